// rhip's error vocabulary on top of absl::Status. An ErrorKind rides as a payload so that
// FHIR-specific outcomes (410 Gone, 412 Precondition Failed, 422) survive the trip through
// modules that only know absl codes. The one table mapping kinds to HTTP lives in error.cc.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"

namespace rhip {

// Stored nowhere: renumbering is safe, but keep error.cc's table in the same order.
enum class ErrorKind {
  kInvalid,             // malformed request or resource (400)
  kUnprocessable,       // well-formed but violates rules, e.g. validation (422)
  kUnauthorized,        // no or bad credentials (401)
  kForbidden,           // authenticated but not allowed (403)
  kNotFound,            // no such resource or route (404)
  kMethodNotAllowed,    // route exists, method does not (405)
  kNotAcceptable,       // cannot produce the requested format (406)
  kConflict,            // version conflict, duplicate id (409)
  kGone,                // deleted (410)
  kPreconditionFailed,  // If-Match mismatch, several conditional matches (412)
  kTooLarge,            // body or header over its limit (413)
  kUnsupportedMediaType,  // (415)
  kNotSupported,        // a FHIR feature rhip does not implement (501)
  kBusy,                // queue full; retry later (503)
  kTimeout,             // a deadline passed (503)
  kInternal,            // infrastructure fault (500)
};

struct ErrorInfo {
  int http_status;
  const char* fhir_issue_code;  // OperationOutcome.issue.code
};

// One detail of an error, e.g. one validation finding.
struct Issue {
  std::string severity = "error";  // fatal | error | warning | information
  std::string code = "invalid";    // FHIR IssueType
  std::string diagnostics;
  std::string expression;  // element path, e.g. Patient.name[0].family; empty if none
};

absl::Status MakeError(ErrorKind kind, std::string_view message);
absl::Status MakeError(ErrorKind kind, std::string_view message, const std::vector<Issue>& issues);

// The kind of a non-OK status: its payload, or derived from the absl code.
ErrorKind KindOf(const absl::Status& status);
const ErrorInfo& InfoOf(ErrorKind kind);
// Detail issues attached with MakeError (empty when none).
std::vector<Issue> IssuesOf(const absl::Status& status);

}  // namespace rhip
