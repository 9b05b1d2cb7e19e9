#include "net/internal/request_target.h"

#include <boost/url/parse.hpp>

namespace rhip::net::internal {

bool ParseRequestTarget(std::string_view target, RequestTarget* out) {
  if (target == "*") {
    out->path = "*";
    out->query.clear();
    return true;
  }
  // FHIR clients send '|' and other RFC 3986-reserved characters unencoded in queries
  // (identifier=system|value), so the query is checked leniently here and decoded by the
  // handler; only the path goes through Boost.URL's strict parser.
  std::string_view raw_query;
  if (size_t q = target.find('?'); q != std::string_view::npos) {
    raw_query = target.substr(q + 1);
    target = target.substr(0, q);
    for (char c : raw_query) {
      if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7F || c == '#') return false;
    }
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
  out->query.assign(raw_query.data(), raw_query.size());
  return true;
}

}  // namespace rhip::net::internal
