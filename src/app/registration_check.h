// What a person registering a resident at a rhip desk may not get wrong: the identifiers' own
// checks (registry::CheckPatientIdentifiers; docs/IDENTIFIERS.md). Data from other systems is
// kept as sent and flagged by the patient index instead (issue 5: never silently dropped).
#pragma once

#include "absl/status/status.h"
#include "core/clock.h"
#include "net/http_message.h"

namespace rhip::app {

// For a user's create or update of a Patient (POST/PUT {base}/Patient[/id]) and the Patient
// entries of a batch or transaction Bundle: 422 with every error issue when an identifier
// breaks its rules (a resident ID's check character, birth date, length, ...). Warnings (an ID
// disagreeing with birthDate or gender) pass. Unparsable bodies pass: the FHIR layer answers them.
absl::Status CheckRegistration(const net::HttpRequest& request, Micros now);

}  // namespace rhip::app
