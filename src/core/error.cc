#include "core/error.h"

#include <array>

#include "absl/strings/cord.h"
#include "core/json.h"
#include "core/strings.h"

namespace rhip {
namespace {

constexpr absl::string_view kKindUrl = "rhip/error-kind";
constexpr absl::string_view kIssuesUrl = "rhip/issues";

struct KindRow {
  ErrorKind kind;
  absl::StatusCode code;
  ErrorInfo info;
};

// The one table: error kind -> absl code -> HTTP status -> OperationOutcome issue code.
constexpr std::array<KindRow, 16> kTable = {{
    {ErrorKind::kInvalid, absl::StatusCode::kInvalidArgument, {400, "invalid"}},
    {ErrorKind::kUnprocessable, absl::StatusCode::kInvalidArgument, {422, "processing"}},
    {ErrorKind::kUnauthorized, absl::StatusCode::kUnauthenticated, {401, "login"}},
    {ErrorKind::kForbidden, absl::StatusCode::kPermissionDenied, {403, "forbidden"}},
    {ErrorKind::kNotFound, absl::StatusCode::kNotFound, {404, "not-found"}},
    {ErrorKind::kMethodNotAllowed, absl::StatusCode::kUnimplemented, {405, "not-supported"}},
    {ErrorKind::kNotAcceptable, absl::StatusCode::kInvalidArgument, {406, "not-supported"}},
    {ErrorKind::kConflict, absl::StatusCode::kAborted, {409, "conflict"}},
    {ErrorKind::kGone, absl::StatusCode::kNotFound, {410, "deleted"}},
    {ErrorKind::kPreconditionFailed, absl::StatusCode::kFailedPrecondition, {412, "conflict"}},
    {ErrorKind::kTooLarge, absl::StatusCode::kResourceExhausted, {413, "too-costly"}},
    {ErrorKind::kUnsupportedMediaType, absl::StatusCode::kInvalidArgument, {415, "not-supported"}},
    {ErrorKind::kNotSupported, absl::StatusCode::kUnimplemented, {501, "not-supported"}},
    {ErrorKind::kBusy, absl::StatusCode::kUnavailable, {503, "transient"}},
    {ErrorKind::kTimeout, absl::StatusCode::kDeadlineExceeded, {503, "timeout"}},
    {ErrorKind::kInternal, absl::StatusCode::kInternal, {500, "exception"}},
}};

constexpr bool TableInEnumOrder() {
  for (size_t i = 0; i < kTable.size(); ++i) {
    if (static_cast<size_t>(kTable[i].kind) != i) return false;
  }
  return true;
}
static_assert(TableInEnumOrder(), "kTable rows must follow ErrorKind order");

const KindRow& RowOf(ErrorKind kind) { return kTable[static_cast<size_t>(kind)]; }

ErrorKind FromCode(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kOutOfRange:
      return ErrorKind::kInvalid;
    case absl::StatusCode::kNotFound:
      return ErrorKind::kNotFound;
    case absl::StatusCode::kAlreadyExists:
    case absl::StatusCode::kAborted:
      return ErrorKind::kConflict;
    case absl::StatusCode::kFailedPrecondition:
      return ErrorKind::kPreconditionFailed;
    case absl::StatusCode::kPermissionDenied:
      return ErrorKind::kForbidden;
    case absl::StatusCode::kUnauthenticated:
      return ErrorKind::kUnauthorized;
    case absl::StatusCode::kResourceExhausted:
    case absl::StatusCode::kUnavailable:
      return ErrorKind::kBusy;
    case absl::StatusCode::kDeadlineExceeded:
      return ErrorKind::kTimeout;
    case absl::StatusCode::kUnimplemented:
      return ErrorKind::kNotSupported;
    default:
      return ErrorKind::kInternal;
  }
}

}  // namespace

absl::Status MakeError(ErrorKind kind, std::string_view message) {
  absl::Status s(RowOf(kind).code, ToAbsl(message));
  s.SetPayload(kKindUrl, absl::Cord(std::to_string(static_cast<int>(kind))));
  return s;
}

absl::Status MakeError(ErrorKind kind, std::string_view message, const std::vector<Issue>& issues) {
  absl::Status s = MakeError(kind, message);
  json::Array arr;
  for (const Issue& i : issues) {
    json::Object o;
    o.Set("severity", i.severity);
    o.Set("code", i.code);
    o.Set("diagnostics", i.diagnostics);
    o.Set("expression", i.expression);
    arr.emplace_back(std::move(o));
  }
  s.SetPayload(kIssuesUrl, absl::Cord(json::Serialize(json::Value(std::move(arr)))));
  return s;
}

ErrorKind KindOf(const absl::Status& status) {
  if (auto p = status.GetPayload(kKindUrl)) {
    int k = std::stoi(std::string(*p));
    if (k >= 0 && k < static_cast<int>(kTable.size())) return static_cast<ErrorKind>(k);
  }
  return FromCode(status.code());
}

const ErrorInfo& InfoOf(ErrorKind kind) { return RowOf(kind).info; }

std::vector<Issue> IssuesOf(const absl::Status& status) {
  std::vector<Issue> out;
  auto p = status.GetPayload(kIssuesUrl);
  if (!p) return out;
  auto parsed = json::Parse(std::string(*p));
  if (!parsed.ok() || !parsed->is_array()) return out;
  for (const json::Value& v : parsed->as_array()) {
    Issue i;
    if (auto* s = v.FindString("severity")) i.severity = *s;
    if (auto* s = v.FindString("code")) i.code = *s;
    if (auto* s = v.FindString("diagnostics")) i.diagnostics = *s;
    if (auto* s = v.FindString("expression")) i.expression = *s;
    out.push_back(std::move(i));
  }
  return out;
}

}  // namespace rhip
