// Splits an HTTP request target into the percent-decoded path and the raw query.
#pragma once

#include <string>
#include <string_view>

namespace rhip::net::internal {

struct RequestTarget {
  std::string path;   // percent-decoded
  std::string query;  // as sent, without '?'
};

// Accepts origin-form ("/a/b?x=1"), absolute-form ("http://h/a?x=1", whose path may be
// empty and then reads as "/") and the asterisk form "*". Returns false for anything else,
// for malformed percent-escapes and for a path that decodes to a NUL byte.
bool ParseRequestTarget(std::string_view target, RequestTarget* out);

}  // namespace rhip::net::internal
