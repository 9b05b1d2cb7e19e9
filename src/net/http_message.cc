#include "net/http_message.h"

#include "core/strings.h"

namespace rhip::net {
namespace {

std::string_view Find(const Headers& headers, std::string_view name) {
  for (const auto& [k, v] : headers) {
    if (rhip::EqualsIgnoreCase(k, name)) return v;
  }
  return {};
}

}  // namespace

std::string_view HttpRequest::Header(std::string_view name) const { return Find(headers, name); }

std::string_view HttpResponse::Header(std::string_view name) const { return Find(headers, name); }

void HttpResponse::SetHeader(std::string_view name, std::string_view value) {
  for (auto& [k, v] : headers) {
    if (rhip::EqualsIgnoreCase(k, name)) {
      v = std::string(value);
      return;
    }
  }
  headers.emplace_back(std::string(name), std::string(value));
}

}  // namespace rhip::net
