#include "fhir/http_util.h"

#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "core/error.h"
#include "core/strings.h"

namespace rhip::fhir {

absl::StatusOr<ExpectedVersion> ParseETag(std::string_view etag) {
  if (etag.empty()) return ExpectedVersion();
  std::string_view v = etag;
  if (v.substr(0, 2) == "W/") v.remove_prefix(2);
  if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
  int64_t n = 0;
  if (!absl::SimpleAtoi(ToAbsl(v), &n) || n < 1) {
    return MakeError(ErrorKind::kInvalid, StrCat("invalid ETag '", etag, "'; expected W/\"n\""));
  }
  return ExpectedVersion(n);
}

std::string FormatETag(int64_t version) { return StrCat("W/\"", version, "\""); }

std::string_view ReasonPhrase(int status) {
  switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 204: return "No Content";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 406: return "Not Acceptable";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 412: return "Precondition Failed";
    case 413: return "Payload Too Large";
    case 415: return "Unsupported Media Type";
    case 422: return "Unprocessable Entity";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    default: return "";
  }
}

std::string StatusLine(int status) { return StrCat(status, " ", ReasonPhrase(status)); }

net::HttpResponse FhirJsonResponse(int status, std::string body) {
  net::HttpResponse r;
  r.status = status;
  r.SetHeader("Content-Type", "application/fhir+json; charset=utf-8");
  r.body = std::move(body);
  return r;
}

}  // namespace rhip::fhir
