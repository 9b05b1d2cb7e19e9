#include "net/internal/request_target.h"

#include <boost/url/parse.hpp>

namespace rhip::net::internal {

bool ParseRequestTarget(std::string_view target, RequestTarget* out) {
  if (target == "*") {
    out->path = "*";
    out->query.clear();
    return true;
  }
  const boost::urls::string_view text(target.data(), target.size());
  auto parsed = !target.empty() && target.front() == '/' ? boost::urls::parse_origin_form(text)
                                                         : boost::urls::parse_absolute_uri(text);
  if (!parsed) return false;
  const boost::urls::url_view& url = *parsed;
  // Absolute-form must name a host; that also guarantees the path is empty or rooted.
  if (target.front() != '/' && !url.has_authority()) return false;
  out->path = url.path();
  if (out->path.empty()) out->path = "/";
  if (out->path.find('\0') != std::string::npos) return false;
  const auto query = url.encoded_query();
  out->query.assign(query.data(), query.size());
  return true;
}

}  // namespace rhip::net::internal
