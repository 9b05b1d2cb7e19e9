#include "fhir/audit_event_rest.h"

#include <algorithm>
#include <cctype>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "core/error.h"
#include "core/status_macros.h"
#include "core/strings.h"
#include "fhir/http_util.h"
#include "fhir/rest_handler.h"
#include "fhir/search/date_range.h"
#include "fhir/search_query.h"
#include "security/password.h"

namespace rhip::fhir {
namespace {

constexpr std::string_view kDicom = "http://dicom.nema.org/resources/ontology/DCM";
constexpr std::string_view kActionSystem = "https://rhip.cn/fhir/CodeSystem/audit-action";
constexpr std::string_view kOrgUnitExtension = "https://rhip.cn/fhir/StructureDefinition/audit-org-unit";
constexpr std::string_view kChainExtension = "https://rhip.cn/fhir/StructureDefinition/audit-chain";
constexpr int kDefaultCount = 50;

json::Value Coding(std::string_view system, std::string_view code, std::string_view display) {
  json::Object c;
  c.Set("system", system);
  c.Set("code", code);
  if (!display.empty()) c.Set("display", display);
  return c;
}

json::Value Reference(std::string_view reference) {
  json::Object r;
  r.Set("reference", reference);
  return r;
}

// The AuditEvent.action code of an rhip action: C create, R read, U update, D delete,
// E execute (searches, exports, logins, break the glass: operations on more than one record).
std::string_view ActionCode(std::string_view action) {
  if (action == security::kAuditCreate) return "C";
  if (action == security::kAuditRead) return "R";
  if (action == security::kAuditUpdate) return "U";
  if (action == security::kAuditDelete) return "D";
  return "E";
}

json::Value EventType(std::string_view action) {
  if (action == security::kAuditLogin || action == security::kAuditLoginFailed) {
    return Coding(kDicom, "110114", "User Authentication");
  }
  if (action == security::kAuditRead || action == security::kAuditSearch ||
      action == security::kAuditCreate || action == security::kAuditUpdate ||
      action == security::kAuditDelete || action == security::kAuditExport ||
      action == security::kAuditBreakGlass) {
    return Coding(kDicom, "110110", "Patient Record");
  }
  return Coding("http://terminology.hl7.org/CodeSystem/audit-event-type", "rest",
                "RESTful Operation");
}

json::Value Entity(std::string_view reference, std::string_view type_code,
                   std::string_view type_display, std::string_view role_code,
                   std::string_view role_display) {
  json::Object e;
  if (!reference.empty()) e.Set("what", Reference(reference));
  e.Set("type", Coding("http://terminology.hl7.org/CodeSystem/audit-entity-type", type_code,
                       type_display));
  e.Set("role", Coding("http://terminology.hl7.org/CodeSystem/object-role", role_code, role_display));
  return e;
}

json::Value StringExtension(std::string_view url, std::string_view value) {
  json::Object e;
  e.Set("url", url);
  e.Set("valueString", value);
  return e;
}

// A resource reference's "Type/id" shape; anything else is carried as text only.
bool LooksLikeReference(std::string_view s) {
  size_t slash = s.find('/');
  return slash != std::string_view::npos && slash > 0 && slash + 1 < s.size() &&
         s.find('/', slash + 1) == std::string_view::npos;
}

}  // namespace

json::Value ToAuditEvent(const security::AuditEntry& entry) {
  const security::AuditRecord& r = entry.record;
  json::Object ev;
  ev.Set("resourceType", "AuditEvent");
  ev.Set("id", std::to_string(entry.seq));
  json::Object meta;
  meta.Set("versionId", "1");
  meta.Set("lastUpdated", FormatInstant(r.time));
  ev.Set("meta", std::move(meta));
  // The record's place in the hash chain: enough to check it against `rhip audit verify`.
  json::Object chain;
  chain.Set("url", kChainExtension);
  chain.Set("extension", json::Array{StringExtension("seq", std::to_string(entry.seq)),
                                     StringExtension("hash", entry.hash),
                                     StringExtension("prevHash", entry.prev_hash)});
  ev.Set("extension", json::Array{std::move(chain)});
  ev.Set("type", EventType(r.action));
  ev.Set("subtype", json::Array{Coding(kActionSystem, r.action, "")});
  ev.Set("action", ActionCode(r.action));
  ev.Set("recorded", FormatInstant(r.time));
  ev.Set("outcome",
         std::to_string(static_cast<int>(security::ClassifyAuditOutcome(r.outcome))));
  ev.Set("outcomeDesc", r.outcome);

  json::Object agent;
  if (!r.org_unit.empty()) {
    json::Object org;
    org.Set("url", kOrgUnitExtension);
    if (LooksLikeReference(r.org_unit)) {
      org.Set("valueReference", Reference(r.org_unit));
    } else {
      org.Set("valueString", r.org_unit);
    }
    agent.Set("extension", json::Array{std::move(org)});
  }
  if (!r.role.empty()) {
    json::Object role;
    role.Set("text", r.role);
    agent.Set("role", json::Array{std::move(role)});
  }
  json::Object who;
  json::Object identifier;
  identifier.Set("value", r.actor);
  who.Set("identifier", std::move(identifier));
  who.Set("display", r.actor);
  agent.Set("who", std::move(who));
  agent.Set("requestor", true);
  if (!r.client_address.empty()) {
    json::Object network;
    network.Set("address", r.client_address);
    network.Set("type", "2");  // IP address
    agent.Set("network", std::move(network));
  }
  if (r.action == security::kAuditBreakGlass || !r.reason.empty()) {
    json::Object purpose;
    if (r.action == security::kAuditBreakGlass) {
      purpose.Set("coding", json::Array{Coding("http://terminology.hl7.org/CodeSystem/v3-ActReason",
                                               "BTG", "break the glass")});
    }
    if (!r.reason.empty()) purpose.Set("text", r.reason);
    agent.Set("purposeOfUse", json::Array{std::move(purpose)});
  }
  ev.Set("agent", json::Array{std::move(agent)});

  json::Object source;
  json::Object observer;
  observer.Set("display", "rhip");
  source.Set("observer", std::move(observer));
  source.Set("type", json::Array{Coding("http://terminology.hl7.org/CodeSystem/security-source-type",
                                        "4", "Application Server")});
  ev.Set("source", std::move(source));

  json::Array entities;
  if (!r.patient.empty()) entities.push_back(Entity(r.patient, "1", "Person", "1", "Patient"));
  for (absl::string_view res : absl::StrSplit(ToAbsl(r.resources), ',', absl::SkipEmpty())) {
    if (ToStd(res) == r.patient) continue;
    entities.push_back(Entity(ToStd(res), "2", "System Object", "4", "Domain Resource"));
  }
  if (!r.query.empty()) {
    json::Value query = Entity("", "2", "System Object", "24", "Query");
    query.as_object().Set("query", security::Base64Encode(r.query));
    entities.push_back(std::move(query));
  }
  if (!entities.empty()) ev.Set("entity", std::move(entities));
  return ev;
}

namespace {

// The search, and the parameters it understood (for the self and next links).
struct ParsedSearch {
  security::AuditQuery query;
  QueryParams understood;
};

absl::Status Invalid(std::string_view message) { return MakeError(ErrorKind::kInvalid, message); }

// Narrows [since, until) by one date parameter (FHIR prefixes; values at their precision).
absl::Status ApplyDate(std::string_view value, security::AuditQuery& q) {
  std::string_view prefix = "eq";
  if (value.size() > 2 && std::isalpha(static_cast<unsigned char>(value[0])) &&
      std::isalpha(static_cast<unsigned char>(value[1]))) {
    prefix = value.substr(0, 2);
    value.remove_prefix(2);
  }
  std::optional<search::DateRange> range = search::ParseDateRange(value);
  if (!range) return Invalid(StrCat("date: '", value, "' is not a FHIR date or dateTime"));
  auto narrow_since = [&](Micros t) { q.since = q.since ? std::max(*q.since, t) : t; };
  auto narrow_until = [&](Micros t) { q.until = q.until ? std::min(*q.until, t) : t; };
  if (prefix == "ge") {
    narrow_since(range->lo);
  } else if (prefix == "gt" || prefix == "sa") {
    narrow_since(range->hi + 1);
  } else if (prefix == "le") {
    narrow_until(range->hi + 1);
  } else if (prefix == "lt" || prefix == "eb") {
    narrow_until(range->lo);
  } else if (prefix == "eq") {
    narrow_since(range->lo);
    narrow_until(range->hi + 1);
  } else {
    return Invalid(StrCat("date: the prefix '", prefix, "' is not supported (eq ge gt le lt)"));
  }
  return absl::OkStatus();
}

absl::StatusOr<ParsedSearch> ParseSearch(const QueryParams& params, bool lenient) {
  ParsedSearch p;
  p.query.limit = kDefaultCount;
  std::vector<std::string> ignored;
  auto once = [&](std::string_view name, std::string* out, std::string value) -> absl::Status {
    if (!out->empty()) return Invalid(StrCat(name, " is given twice; give one value"));
    *out = std::move(value);
    return absl::OkStatus();
  };
  for (const auto& [name, value] : params) {
    bool understood = true;
    if (name == "date") {
      RETURN_IF_ERROR(ApplyDate(value, p.query));
    } else if (name == "agent" || name == "altid") {
      RETURN_IF_ERROR(once("agent", &p.query.actor, value));
    } else if (name == "patient") {
      RETURN_IF_ERROR(once("patient", &p.query.patient,
                           value.starts_with("Patient/") ? value : StrCat("Patient/", value)));
    } else if (name == "subtype") {
      for (absl::string_view v : absl::StrSplit(ToAbsl(value), ',', absl::SkipEmpty())) {
        // A token may name the system: https://rhip.cn/fhir/CodeSystem/audit-action|read.
        std::string_view code = ToStd(v);
        if (size_t bar = code.find('|'); bar != std::string_view::npos) code.remove_prefix(bar + 1);
        p.query.actions.emplace_back(code);
      }
    } else if (name == "outcome") {
      if (p.query.outcome_class) return Invalid("outcome is given twice; give one value");
      if (value == "0") {
        p.query.outcome_class = security::AuditOutcomeClass::kSuccess;
      } else if (value == "4") {
        p.query.outcome_class = security::AuditOutcomeClass::kMinorFailure;
      } else if (value == "8") {
        p.query.outcome_class = security::AuditOutcomeClass::kSeriousFailure;
      } else {
        return Invalid(StrCat("outcome must be 0, 4 or 8, not '", value, "'"));
      }
    } else if (name == "_count") {
      int n = 0;
      if (!absl::SimpleAtoi(ToAbsl(value), &n) || n < 1) {
        return Invalid(StrCat("_count must be a positive number, not '", value, "'"));
      }
      p.query.limit = std::min(n, security::kMaxAuditQueryLimit);
    } else if (name == "_cursor") {
      if (!absl::SimpleAtoi(ToAbsl(value), &p.query.before_seq) || p.query.before_seq < 1) {
        return Invalid("_cursor is not one this server handed out");
      }
      understood = false;  // the next link sets its own
    } else if (name == "_format") {
      if (value.find("json") == std::string::npos) {
        return MakeError(ErrorKind::kNotAcceptable, "only JSON is supported (_format=json)");
      }
    } else {
      understood = false;
      if (!lenient) {
        return Invalid(StrCat("AuditEvent search: the parameter '", name,
                              "' is not supported (date, agent, altid, patient, subtype, outcome, "
                              "_count); send Prefer: handling=lenient to ignore it"));
      }
    }
    if (understood) p.understood.emplace_back(name, value);
  }
  return p;
}

std::string Link(std::string_view base, const QueryParams& params, int64_t cursor) {
  std::string url = StrCat(base, "/AuditEvent");
  char sep = '?';
  for (const auto& [name, value] : params) {
    StrAppend(&url, std::string(1, sep), PercentEncode(name), "=", PercentEncode(value));
    sep = '&';
  }
  if (cursor > 0) StrAppend(&url, std::string(1, sep), "_cursor=", cursor);
  return url;
}

json::Value LinkEntry(std::string_view relation, std::string url) {
  json::Object l;
  l.Set("relation", relation);
  l.Set("url", std::move(url));
  return l;
}

}  // namespace

AuditEventRestHandler::AuditEventRestHandler(db::Database* database,
                                             AuditEventRestOptions options)
    : database_(database), options_(std::move(options)) {}

std::optional<net::HttpResponse> AuditEventRestHandler::Handle(
    const net::HttpRequest& req) const {
  const std::string type_path = StrCat(options_.base_path, "/AuditEvent");
  std::string_view path = req.path;
  if (!path.starts_with(type_path)) return std::nullopt;
  std::string_view rest = path.substr(type_path.size());
  if (!rest.empty() && rest[0] != '/') return std::nullopt;  // AuditEventX
  while (rest.starts_with('/')) rest.remove_prefix(1);
  while (rest.ends_with('/')) rest.remove_suffix(1);
  std::vector<std::string> seg;
  for (absl::string_view s : absl::StrSplit(ToAbsl(rest), '/', absl::SkipEmpty())) {
    seg.emplace_back(ToStd(s));
  }
  const bool search_post = req.method == "POST" && seg.size() == 1 && seg[0] == "_search";
  const bool read = req.method == "GET" || req.method == "HEAD";
  auto fail = [&](const absl::Status& st) {
    net::HttpResponse r = ErrorHttpResponse(st);
    if (r.status == 405) r.SetHeader("Allow", "GET, HEAD");
    if (req.method == "HEAD") r.body.clear();
    return r;
  };
  if (!read && !search_post) {
    return fail(MakeError(ErrorKind::kMethodNotAllowed,
                          "AuditEvent is read-only: the audit trail is written only by the "
                          "server (审计记录只能由服务器写入)"));
  }
  std::string base = options_.public_base_url;
  if (base.empty()) {
    std::string_view host = req.Header("Host");
    base = StrCat("http://", host.empty() ? "localhost" : host, options_.base_path);
  }

  if (seg.size() == 1 && !search_post) {
    int64_t seq = 0;
    if (!absl::SimpleAtoi(seg[0], &seq) || seq < 1) {
      return fail(MakeError(ErrorKind::kNotFound, StrCat("AuditEvent/", seg[0], " is not known")));
    }
    absl::StatusOr<std::optional<security::AuditEntry>> entry = security::ReadAudit(*database_, seq);
    if (!entry.ok()) return fail(entry.status());
    if (!entry->has_value()) {
      return fail(MakeError(ErrorKind::kNotFound, StrCat("AuditEvent/", seq, " is not known")));
    }
    net::HttpResponse r = FhirJsonResponse(200, json::Serialize(ToAuditEvent(**entry)));
    r.SetHeader("ETag", "W/\"1\"");
    if (req.method == "HEAD") r.body.clear();
    return r;
  }
  if (!seg.empty() && !search_post) {
    return fail(MakeError(ErrorKind::kNotFound,
                          StrCat("AuditEvent supports search and read only (", req.path, ")")));
  }

  absl::StatusOr<QueryParams> params = ParseQueryParams(req.query);
  if (!params.ok()) return fail(Invalid(ToStd(params.status().message())));
  if (search_post) {
    absl::StatusOr<QueryParams> form = ParseQueryParams(req.body);
    if (!form.ok()) return fail(Invalid(ToStd(form.status().message())));
    params->insert(params->end(), form->begin(), form->end());
  }
  const bool lenient = req.Header("Prefer").find("handling=lenient") != std::string_view::npos;
  absl::StatusOr<ParsedSearch> search = ParseSearch(*params, lenient);
  if (!search.ok()) return fail(search.status());
  absl::StatusOr<security::AuditPage> page = security::QueryAudit(*database_, search->query);
  if (!page.ok()) return fail(page.status());

  json::Object bundle;
  bundle.Set("resourceType", "Bundle");
  bundle.Set("type", "searchset");
  json::Array links{LinkEntry("self", Link(base, search->understood, search->query.before_seq))};
  if (page->next_before_seq > 0) {
    links.push_back(LinkEntry("next", Link(base, search->understood, page->next_before_seq)));
  }
  bundle.Set("link", std::move(links));
  json::Array entries;
  for (const security::AuditEntry& e : page->entries) {
    json::Object entry;
    entry.Set("fullUrl", StrCat(base, "/AuditEvent/", e.seq));
    entry.Set("resource", ToAuditEvent(e));
    json::Object mode;
    mode.Set("mode", "match");
    entry.Set("search", std::move(mode));
    entries.push_back(std::move(entry));
  }
  if (!entries.empty()) bundle.Set("entry", std::move(entries));
  net::HttpResponse r = FhirJsonResponse(200, json::Serialize(bundle));
  if (req.method == "HEAD") r.body.clear();
  return r;
}

}  // namespace rhip::fhir
