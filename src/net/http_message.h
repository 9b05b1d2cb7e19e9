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
  // The request came over TLS (HTTPS) to rhip itself; decides Secure cookies and HSTS.
  bool tls = false;

  // Case-insensitive header lookup; empty when absent.
  std::string_view Header(std::string_view name) const;
};

struct HttpResponse {
  int status = 200;
  Headers headers;
  std::string body;
  // When set, the body is this file, streamed from disk in chunks instead of `body` (for
  // files too large to hold in memory, e.g. bulk export output). A file that cannot be
  // opened becomes a 404.
  std::string body_file;

  void SetHeader(std::string_view name, std::string_view value);
  std::string_view Header(std::string_view name) const;
};

}  // namespace rhip::net
