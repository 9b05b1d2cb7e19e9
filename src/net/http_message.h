// HTTP request and response as plain values, so handlers never see Boost.Beast.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rhip::net {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
  std::string method;  // GET, POST, ...
  std::string target;  // as sent: path plus optional ?query (percent-encoded)
  std::string path;    // decoded path without the query
  std::string query;   // raw query string without '?'
  Headers headers;     // names as sent; look up with Header()
  std::string body;
  std::string remote_address;

  // Case-insensitive header lookup; empty when absent.
  std::string_view Header(std::string_view name) const;
};

struct HttpResponse {
  int status = 200;
  Headers headers;
  std::string body;

  void SetHeader(std::string_view name, std::string_view value);
  std::string_view Header(std::string_view name) const;
};

}  // namespace rhip::net
