#include "security/scopes.h"

#include <algorithm>

#include "absl/strings/str_split.h"
#include "core/error.h"
#include "core/strings.h"

namespace rhip::security {
namespace {

constexpr std::string_view kAllActions = "cruds";

absl::Status Malformed(std::string_view text, std::string_view why) {
  return MakeError(ErrorKind::kInvalid, StrCat("invalid scope '", text, "': ", why));
}

bool IsResourceName(std::string_view s) {
  if (s == "*") return true;
  if (s.empty() || s.size() > 64 || s[0] < 'A' || s[0] > 'Z') return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
  });
}

// v2 letters in canonical order, or "" when `s` is not a valid action string.
std::string NormaliseActions(std::string_view s) {
  if (s == "read") return "rs";
  if (s == "write") return "cud";
  if (s == "*") return std::string(kAllActions);
  return IsValidActions(s) ? std::string(s) : "";
}

}  // namespace

bool IsValidActions(std::string_view actions) {
  // Letters must appear at most once and in c r u d s order (SMART v2 §scopes).
  size_t next = 0;
  for (char c : actions) {
    size_t at = kAllActions.find(c, next);
    if (at == std::string_view::npos) return false;
    next = at + 1;
  }
  return !actions.empty();
}

std::string Scope::ToString() const { return StrCat(context, "/", resource, ".", actions); }

bool Scope::Covers(const Scope& other) const {
  if (context != other.context) return false;
  if (resource != "*" && resource != other.resource) return false;
  return std::all_of(other.actions.begin(), other.actions.end(),
                     [&](char c) { return actions.find(c) != std::string::npos; });
}

absl::StatusOr<Scope> ParseScope(std::string_view text) {
  size_t slash = text.find('/');
  if (slash == std::string_view::npos) return Malformed(text, "expected context/Resource.actions");
  Scope s;
  s.context = std::string(text.substr(0, slash));
  if (s.context != "system" && s.context != "user" && s.context != "patient") {
    return Malformed(text, "context must be system, user or patient");
  }
  std::string_view rest = text.substr(slash + 1);
  size_t dot = rest.find('.');
  if (dot == std::string_view::npos) return Malformed(text, "expected Resource.actions");
  std::string_view resource = rest.substr(0, dot);
  if (!IsResourceName(resource)) return Malformed(text, "resource must be a type name or *");
  s.resource = std::string(resource);
  std::string_view actions = rest.substr(dot + 1);
  // SMART v2 allows ?param=value constraints after the actions; rhip does not enforce them
  // yet, so refusing them is safer than granting more than was asked for.
  if (actions.find('?') != std::string_view::npos) {
    return Malformed(text, "scope parameters (?...) are not supported");
  }
  s.actions = NormaliseActions(actions);
  if (s.actions.empty()) return Malformed(text, "actions must be letters of cruds in that order");
  return s;
}

absl::StatusOr<std::vector<Scope>> ParseScopes(std::string_view text) {
  std::vector<Scope> out;
  for (absl::string_view part : absl::StrSplit(ToAbsl(text), ' ', absl::SkipEmpty())) {
    absl::StatusOr<Scope> s = ParseScope(ToStd(part));
    if (!s.ok()) return s.status();
    if (std::find(out.begin(), out.end(), *s) == out.end()) out.push_back(*std::move(s));
  }
  return out;
}

std::string FormatScopes(const std::vector<Scope>& scopes) {
  std::string out;
  for (const Scope& s : scopes) {
    if (!out.empty()) out.push_back(' ');
    out += s.ToString();
  }
  return out;
}

absl::StatusOr<std::vector<Scope>> NarrowScopes(const std::vector<Scope>& granted,
                                                const std::vector<Scope>& requested) {
  if (requested.empty()) return granted;
  for (const Scope& r : requested) {
    bool covered = std::any_of(granted.begin(), granted.end(),
                               [&](const Scope& g) { return g.Covers(r); });
    if (!covered) {
      return MakeError(ErrorKind::kInvalid,
                       StrCat("scope ", r.ToString(), " exceeds what the client may be granted"));
    }
  }
  return requested;
}

bool ScopesAllow(const std::vector<Scope>& scopes, std::string_view resource_type, char action) {
  return std::any_of(scopes.begin(), scopes.end(), [&](const Scope& s) {
    return (s.resource == "*" || s.resource == resource_type) &&
           s.actions.find(action) != std::string::npos;
  });
}

}  // namespace rhip::security
