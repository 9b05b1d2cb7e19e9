// The master patient index over HTTP, as FHIR operations under {base}/Patient (docs/MPI.md):
//   POST $match                      candidates for a Patient (FHIR R4 Patient/$match)
//   GET  $ihe-pix?sourceIdentifier=  every identifier of the linked Patients (IHE PIXm)
//   POST $mpi-link, $mpi-unlink      a steward links two Patients / takes one out of its Person
//   POST $merge, $unmerge            a duplicate retired into its survivor, and back
//   GET  $mpi-review, POST           the review queue and a decision on one item
//   GET  {id}/$mpi-history           every link change of a Patient, with who, when and why
// The server's router checks permissions before (fhir/rest_access.h names what each needs) and
// asks this handler before the generic REST handler.
#pragma once

#include <optional>

#include "fhir/repository.h"
#include "fhir/request_access.h"
#include "net/http_message.h"
#include "registry/patient_index.h"

namespace rhip::registry {

class PatientIndexRestHandler {
 public:
  // REQUIRES: index and repository outlive the handler.
  PatientIndexRestHandler(PatientIndex* index, fhir::Repository* repository,
                          std::string base_path = "/fhir")
      : index_(index), repository_(repository), base_path_(std::move(base_path)) {}

  // nullopt when the request is none of the operations above. Restricted callers see and change
  // only Patients in their scope. Records the Patients touched in `access`. Thread-safe.
  std::optional<net::HttpResponse> Handle(const net::HttpRequest& request,
                                          fhir::RequestAccess& access) const;

 private:
  PatientIndex* index_;
  fhir::Repository* repository_;
  std::string base_path_;
};

}  // namespace rhip::registry
