// The write interceptors of a repository (fhir/write_interceptor.h) and the context every write
// step carries so that the step that stores a version can run them.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "core/clock.h"
#include "db/database.h"
#include "fhir/model/validator.h"
#include "fhir/write_interceptor.h"

namespace rhip::fhir::internal {

class WriteHooks {
 public:
  // REQUIRES: before the repository is shared between threads.
  void Add(std::string_view type, WriteInterceptor* interceptor);
  // Runs the interceptors registered for written.type, in registration order.
  absl::Status AfterWrite(db::Session& s, Micros now, const StoredResource& written,
                          const ValidateOptions& options) const;

 private:
  std::map<std::string, std::vector<WriteInterceptor*>, std::less<>> by_type_;
};

// What each write step needs besides its session: the transaction's time, and the hooks to run
// after a version is stored (none for an interceptor's own writes).
struct WriteContext {
  Micros now = 0;
  const WriteHooks* hooks = nullptr;
  const ValidateOptions* options = nullptr;  // for the interceptors' TransactionWriter::Put
};

// A TransactionWriter over an open session whose writes run no interceptors.
class SessionWriter final : public TransactionWriter {
 public:
  SessionWriter(db::Session& s, Micros now, const ValidateOptions& options)
      : s_(s), now_(now), options_(options) {}
  db::Session& session() override { return s_; }
  Micros now() const override { return now_; }
  absl::StatusOr<StoredResource> Read(std::string_view type, std::string_view id) override;
  absl::StatusOr<StoredResource> Put(const json::Value& resource) override;
  absl::Status Delete(std::string_view type, std::string_view id) override;

 private:
  db::Session& s_;
  Micros now_;
  const ValidateOptions& options_;
};

}  // namespace rhip::fhir::internal
