// The Patient compartment (http://hl7.org/fhir/R4/compartmentdefinition-patient.html): for
// each resource type, the search parameters that link a resource to its patient. Read from
// the official CompartmentDefinition embedded at build time.
#pragma once

#include <string>
#include <vector>

namespace rhip::fhir::bulk {

struct CompartmentLink {
  std::string type;                 // e.g. Observation
  std::vector<std::string> params;  // e.g. subject, performer
};

// Every resource type with at least one linking parameter, in the definition's order.
// Patient itself is listed with its "link" parameter. Thread-safe (built once).
const std::vector<CompartmentLink>& PatientCompartment();

}  // namespace rhip::fhir::bulk
