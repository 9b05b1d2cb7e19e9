#include "fhir/operation_outcome.h"

#include "core/error.h"

namespace rhip::fhir {
namespace {

json::Value MakeIssue(std::string_view severity, std::string_view code, std::string_view diagnostics,
                      std::string_view expression) {
  json::Object issue;
  issue.Set("severity", severity);
  issue.Set("code", code);
  if (!diagnostics.empty()) issue.Set("diagnostics", diagnostics);
  if (!expression.empty()) issue.Set("expression", json::Array{json::Value(expression)});
  return issue;
}

json::Value Outcome(json::Array issues) {
  json::Object oo;
  oo.Set("resourceType", "OperationOutcome");
  oo.Set("issue", std::move(issues));
  return oo;
}

}  // namespace

ErrorResponse ErrorResponseFor(const absl::Status& status) {
  ErrorKind kind = KindOf(status);
  const ErrorInfo& info = InfoOf(kind);
  json::Array issues;
  std::vector<Issue> details = IssuesOf(status);
  // Internal faults say what failed without leaking internals such as SQL text.
  std::string message = kind == ErrorKind::kInternal
                            ? "internal server error: " + std::string(status.message())
                            : std::string(status.message());
  if (details.empty()) {
    issues.push_back(MakeIssue("error", info.fhir_issue_code, message, ""));
  } else {
    for (const Issue& i : details) {
      issues.push_back(MakeIssue(i.severity, i.code, i.diagnostics, i.expression));
    }
  }
  return {info.http_status, Outcome(std::move(issues))};
}

json::Value InformationOutcome(std::string_view message) {
  return Outcome({MakeIssue("information", "informational", message, "")});
}

}  // namespace rhip::fhir
