#include "fhir/internal/write_hooks.h"

#include "core/error.h"
#include "core/status_macros.h"
#include "core/strings.h"
#include "fhir/internal/operations.h"
#include "fhir/internal/resource_store.h"

namespace rhip::fhir::internal {

void WriteHooks::Add(std::string_view type, WriteInterceptor* interceptor) {
  auto it = by_type_.find(type);
  if (it == by_type_.end()) it = by_type_.emplace(std::string(type), std::vector<WriteInterceptor*>{}).first;
  it->second.push_back(interceptor);
}

absl::Status WriteHooks::AfterWrite(db::Session& s, Micros now, const StoredResource& written,
                                    const ValidateOptions& options) const {
  auto it = by_type_.find(written.type);
  if (it == by_type_.end()) return absl::OkStatus();
  SessionWriter writer(s, now, options);
  for (WriteInterceptor* interceptor : it->second) {
    RETURN_IF_ERROR(interceptor->AfterWrite(written, writer));
  }
  return absl::OkStatus();
}

absl::StatusOr<StoredResource> SessionWriter::Read(std::string_view type, std::string_view id) {
  return DoRead(s_, type, id);
}

absl::StatusOr<StoredResource> SessionWriter::Put(const json::Value& resource) {
  RETURN_IF_ERROR(CheckResource(resource, "", options_));
  const std::string* type = resource.FindString("resourceType");
  const std::string* id = resource.FindString("id");
  if (id == nullptr || id->empty()) {
    return MakeError(ErrorKind::kInternal, StrCat("an interceptor wrote a ", *type, " without id"));
  }
  ASSIGN_OR_RETURN(std::optional<CurrentRow> current, LoadCurrent(s_, *type, *id));
  bool create = !current || current->deleted;
  return WriteVersion(s_, *type, *id, current, &resource, create ? "POST" : "PUT",
                      WriteContext{.now = now_});
}

absl::Status SessionWriter::Delete(std::string_view type, std::string_view id) {
  return DoDelete(s_, WriteContext{.now = now_}, type, id, std::nullopt).status();
}

}  // namespace rhip::fhir::internal
