// The store every command that touches data opens the same way: the data directory, the
// database (SQLite in it, or PostgreSQL) and the FHIR repository on it.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "db/database.h"
#include "fhir/repository.h"
#include "registry/patient_index.h"

namespace rhip::app {

struct Store {
  std::unique_ptr<db::Database> database;
  std::unique_ptr<fhir::Repository> repository;  // on database, with the real clock
  // Matches every Patient write through repository (registered as its write interceptor).
  std::unique_ptr<registry::PatientIndex> patient_index;
};

// Creates data_dir when missing, opens (and migrates) the database — PostgreSQL at db_url, or
// SQLite in data_dir when db_url is empty — builds the repository on it, with the master patient
// index plugged into its Patient writes, and installs the built-in terminology when the store lacks
// this binary's version (terminology/install.h). The error
// message is ready for "rhip COMMAND: " in front of it.
absl::StatusOr<Store> OpenStore(const std::string& data_dir, const std::string& db_url);

}  // namespace rhip::app
