#include "app/store.h"

#include <filesystem>
#include <system_error>
#include <utility>

#include "core/clock.h"
#include "core/error.h"
#include "core/strings.h"
#include "fhir/search/reindex.h"
#include "terminology/install.h"

namespace rhip::app {

absl::StatusOr<Store> OpenStore(const std::string& data_dir, const std::string& db_url) {
  std::error_code ec;
  std::filesystem::create_directories(data_dir, ec);
  if (ec) {
    return MakeError(ErrorKind::kInternal,
                     StrCat("cannot create data directory ", data_dir, ": ", ec.message()));
  }
  db::Options options;
  options.target = db_url.empty() ? data_dir : db_url;
  auto database = db::Database::Open(options);
  if (!database.ok()) {
    return MakeError(KindOf(database.status()),
                     StrCat("cannot open the database: ", ToStd(database.status().message())));
  }
  Store store;
  store.database = *std::move(database);
  store.repository = fhir::Repository::Create(store.database.get(), &Clock::Real());
  auto index = registry::PatientIndex::Open(store.repository.get(), store.database.get(),
                                            &Clock::Real());
  if (!index.ok()) {
    return MakeError(KindOf(index.status()),
                     StrCat("cannot open the patient index: ", ToStd(index.status().message())));
  }
  store.patient_index = *std::move(index);
  store.repository->AddWriteInterceptor("Patient", store.patient_index.get());
  // An empty store records which search definitions its index follows before anything is written
  // (the built-in terminology below would otherwise make a new store look stale to `rhip serve`).
  if (absl::Status st = fhir::search::CheckIndexState(*store.database).status(); !st.ok()) {
    return MakeError(KindOf(st), StrCat("cannot check the search index: ", ToStd(st.message())));
  }
  // A new store, or one from a binary with other built-in content, gets this binary's.
  absl::StatusOr<terminology::InstallResult> installed =
      terminology::InstallBuiltinTerminology(store.database.get(), store.repository.get());
  if (!installed.ok()) {
    return MakeError(KindOf(installed.status()), ToStd(installed.status().message()));
  }
  return store;
}

}  // namespace rhip::app
