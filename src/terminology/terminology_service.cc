#include "terminology/terminology_service.h"

#include <algorithm>
#include <deque>
#include <functional>
#include <regex>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "absl/strings/str_split.h"
#include "core/clock.h"
#include "core/error.h"
#include "core/ids.h"
#include "core/status_macros.h"
#include "core/strings.h"
#include "terminology/internal/json_fields.h"

namespace rhip::terminology {
namespace {

using internal::ArrayAt;
using internal::StringAt;

// A canonical may carry "|version".
std::pair<std::string, std::string> SplitCanonical(std::string_view canonical) {
  size_t bar = canonical.find('|');
  if (bar == std::string_view::npos) return {std::string(canonical), ""};
  return {std::string(canonical.substr(0, bar)), std::string(canonical.substr(bar + 1))};
}

json::Value Part(std::string_view name, std::string_view value_key, json::Value value) {
  json::Object p;
  p.Set("name", std::string(name));
  p.Set(value_key, std::move(value));
  return p;
}

json::Value PartWithParts(std::string_view name, json::Array parts) {
  json::Object p;
  p.Set("name", std::string(name));
  p.Set("part", std::move(parts));
  return p;
}

json::Value Parameters(json::Array parameters) {
  json::Object p;
  p.Set("resourceType", "Parameters");
  p.Set("parameter", std::move(parameters));
  return p;
}

json::Value CodingOf(std::string_view system, std::string_view code, std::string_view display) {
  json::Object c;
  if (!system.empty()) c.Set("system", std::string(system));
  c.Set("code", std::string(code));
  if (!display.empty()) c.Set("display", std::string(display));
  return c;
}

// The value[x] member of a property or filter object: its key and value.
const json::Object::Member* ValueMember(const json::Value& v) {
  if (!v.is_object()) return nullptr;
  for (const json::Object::Member& m : v.as_object()) {
    if (m.first.starts_with("value")) return &m;
  }
  return nullptr;
}

std::string ValueText(const json::Value& v) {
  if (v.is_string()) return v.as_string();
  if (v.is_bool()) return v.as_bool() ? "true" : "false";
  if (v.is_number()) return v.as_number().text;
  return json::Serialize(v);
}

// A display in the requested language: a designation whose language is it (or a subtag of
// it, zh for zh-CN), else the concept's display.
std::string_view DisplayIn(const Concept& c, std::string_view language) {
  if (!language.empty()) {
    for (const Designation& d : c.designations) {
      if (d.language == language || (language.starts_with(d.language) && !d.language.empty() &&
                                     language[d.language.size()] == '-') ||
          (d.language.starts_with(language) && d.language.size() > language.size() &&
           d.language[language.size()] == '-')) {
        return d.value;
      }
    }
  }
  return c.display;
}

// One code of an expansion. Views point into an index or into the Expander's own storage.
struct Entry {
  const CodeSystemIndex* cs = nullptr;  // the index `term` belongs to, if any
  std::string_view system;
  std::string_view version;
  const Concept* term = nullptr;
  std::string_view display;
};

std::string EntryKey(const Entry& e) { return StrCat(e.system, "|", e.term->code); }

// Runs ValueSet.compose (R4 valueset.html#compose): include / exclude with concept lists,
// whole code systems, filters on the concept hierarchy and properties, imported value sets.
class Expander {
 public:
  explicit Expander(TerminologyService* service,
                    std::function<absl::StatusOr<json::Value>(const std::string&)> resolve)
      : service_(service), resolve_(std::move(resolve)) {}

  absl::Status Expand(const json::Value& value_set, int depth, std::vector<Entry>* out) {
    if (depth > 8) return MakeError(ErrorKind::kInvalid, "value set imports nest too deep");
    const json::Value* compose = value_set.Find("compose");
    if (compose == nullptr) {
      // A ValueSet with only an expansion: take its contains as given.
      if (const json::Value* exp = value_set.Find("expansion")) return FromExpansion(*exp, out);
      return MakeError(ErrorKind::kInvalid,
                       StrCat("ValueSet ", StringAt(value_set, "url"), " has no compose to expand"));
    }
    const json::Array* includes = ArrayAt(*compose, "include");
    if (includes == nullptr) return MakeError(ErrorKind::kInvalid, "ValueSet.compose has no include");
    std::unordered_set<std::string> seen;
    for (const json::Value& inc : *includes) {
      std::vector<Entry> part;
      RETURN_IF_ERROR(Include(inc, depth, &part));
      if (includes->size() == 1) {
        *out = std::move(part);
        break;
      }
      for (Entry& e : part) {
        if (seen.insert(EntryKey(e)).second) out->push_back(e);
      }
    }
    if (const json::Array* excludes = ArrayAt(*compose, "exclude")) {
      std::unordered_set<std::string> drop;
      for (const json::Value& exc : *excludes) {
        std::vector<Entry> part;
        RETURN_IF_ERROR(Include(exc, depth, &part));
        for (const Entry& e : part) drop.insert(EntryKey(e));
      }
      if (!drop.empty()) {
        std::erase_if(*out, [&](const Entry& e) { return drop.count(EntryKey(e)) != 0; });
      }
    }
    return absl::OkStatus();
  }

 private:
  absl::Status FromExpansion(const json::Value& exp, std::vector<Entry>* out) {
    const json::Array* contains = ArrayAt(exp, "contains");
    if (contains == nullptr) return absl::OkStatus();
    for (const json::Value& c : *contains) {
      const std::string* code = c.FindString("code");
      if (code == nullptr) continue;
      out->push_back(Owned(StringAt(c, "system"), StringAt(c, "version"), *code,
                           StringAt(c, "display")));
    }
    return absl::OkStatus();
  }

  Entry Owned(std::string system, std::string version, std::string code, std::string display) {
    Concept& c = owned_.emplace_back();
    c.code = std::move(code);
    c.display = std::move(display);
    ComputeSearchKeys(&c);
    Entry e;
    e.system = strings_.emplace_back(std::move(system));
    e.version = strings_.emplace_back(std::move(version));
    e.term = &c;
    e.display = c.display;
    return e;
  }

  absl::Status Include(const json::Value& inc, int depth, std::vector<Entry>* out) {
    std::string system = StringAt(inc, "system");
    std::string version = StringAt(inc, "version");
    bool has_system = !system.empty();
    if (has_system) RETURN_IF_ERROR(FromSystem(inc, system, version, out));
    const json::Array* imports = ArrayAt(inc, "valueSet");
    if (imports == nullptr) {
      if (!has_system) return MakeError(ErrorKind::kInvalid, "a compose include has neither system nor valueSet");
      return absl::OkStatus();
    }
    // Imported value sets intersect with each other and with the system's codes.
    for (size_t i = 0; i < imports->size(); ++i) {
      const json::Value& url = (*imports)[i];
      if (!url.is_string()) return MakeError(ErrorKind::kInvalid, "include.valueSet must be canonical URLs");
      ASSIGN_OR_RETURN(json::Value vs, resolve_(url.as_string()));
      const json::Value& kept = keep_json_.emplace_back(std::move(vs));
      std::vector<Entry> imported;
      RETURN_IF_ERROR(Expand(kept, depth + 1, &imported));
      if (i == 0 && !has_system) {
        *out = std::move(imported);
        continue;
      }
      std::unordered_set<std::string> in;
      for (const Entry& e : imported) in.insert(EntryKey(e));
      std::erase_if(*out, [&](const Entry& e) { return in.count(EntryKey(e)) == 0; });
    }
    return absl::OkStatus();
  }

  absl::Status FromSystem(const json::Value& inc, const std::string& system,
                          const std::string& version, std::vector<Entry>* out) {
    absl::StatusOr<std::shared_ptr<const CodeSystemIndex>> found = service_->CodeSystem(system, version);
    if (!found.ok() && KindOf(found.status()) != ErrorKind::kNotFound) return found.status();
    const CodeSystemIndex* cs = nullptr;
    if (found.ok()) {
      keep_.push_back(*found);
      cs = found->get();
    }
    if (const json::Array* concepts = ArrayAt(inc, "concept")) {
      for (const json::Value& c : *concepts) {
        const std::string* code = c.FindString("code");
        if (code == nullptr) continue;
        std::string display = StringAt(c, "display");
        int i = cs != nullptr ? cs->Find(*code) : -1;
        if (i < 0) {
          out->push_back(Owned(system, version, *code, std::move(display)));
          continue;
        }
        Entry e{cs, cs->url(), cs->version(), &cs->concepts()[i], {}};
        e.display = display.empty() ? std::string_view(e.term->display)
                                    : std::string_view(strings_.emplace_back(std::move(display)));
        out->push_back(e);
      }
      return absl::OkStatus();
    }
    if (cs == nullptr) {
      return MakeError(ErrorKind::kNotFound,
                       StrCat("cannot expand all codes of ", system,
                              ": that CodeSystem is not on this server (代码系统不存在)"));
    }
    std::vector<char> mask(cs->concepts().size(), 1);
    if (const json::Array* filters = ArrayAt(inc, "filter")) {
      for (const json::Value& f : *filters) RETURN_IF_ERROR(ApplyFilter(*cs, f, &mask));
    }
    for (size_t i = 0; i < mask.size(); ++i) {
      if (!mask[i]) continue;
      const Concept& c = cs->concepts()[i];
      out->push_back({cs, cs->url(), cs->version(), &c, c.display});
    }
    return absl::OkStatus();
  }

  // ANDs one compose filter into mask.
  static absl::Status ApplyFilter(const CodeSystemIndex& cs, const json::Value& f,
                                  std::vector<char>* mask) {
    std::string property = StringAt(f, "property");
    std::string op = StringAt(f, "op");
    std::string value = StringAt(f, "value");
    const std::vector<Concept>& concepts = cs.concepts();
    std::vector<char> keep(concepts.size(), 0);
    auto mark = [&](const std::vector<int>& idx) {
      for (int i : idx) keep[i] = 1;
    };
    bool on_code = property == "concept" || property == "code";
    if (on_code && (op == "is-a" || op == "descendent-of" || op == "is-not-a")) {
      int root = cs.Find(value);
      if (root >= 0) mark(cs.Descendants(root, op != "descendent-of"));
      if (op == "is-not-a") {
        for (char& k : keep) k = !k;
      }
    } else if (on_code && op == "=") {
      if (int i = cs.Find(value); i >= 0) keep[i] = 1;
    } else if (on_code && op == "in") {
      for (absl::string_view code : absl::StrSplit(ToAbsl(value), ',')) {
        if (int i = cs.Find(ToStd(code)); i >= 0) keep[i] = 1;
      }
    } else if (on_code && op == "regex") {
      std::regex re;
      try {
        re = std::regex(value, std::regex::ECMAScript);
      } catch (const std::regex_error&) {
        return MakeError(ErrorKind::kInvalid, StrCat("filter regex '", value, "' is not valid"));
      }
      for (size_t i = 0; i < concepts.size(); ++i) keep[i] = std::regex_match(concepts[i].code, re);
    } else if (property == "display" && op == "=") {
      for (size_t i = 0; i < concepts.size(); ++i) keep[i] = concepts[i].display == value;
    } else if ((property == "parent" || property == "child") && op == "=") {
      int other = cs.Find(value);
      if (other >= 0) mark(property == "parent" ? concepts[other].children : concepts[other].parents);
    } else if (op == "=" || op == "exists") {
      for (size_t i = 0; i < concepts.size(); ++i) {
        bool has = false;
        for (const json::Value* p : concepts[i].properties) {
          if (StringAt(*p, "code") != property) continue;
          const json::Object::Member* v = ValueMember(*p);
          if (op == "exists" || (v != nullptr && ValueText(v->second) == value)) has = true;
        }
        keep[i] = op == "exists" ? has == (value == "true") : has;
      }
    } else {
      return MakeError(ErrorKind::kInvalid,
                       StrCat("filter '", property, " ", op, " ", value,
                              "' is not supported (supported: concept is-a, descendent-of, "
                              "is-not-a, =, in, regex; display =; a property = or exists)"));
    }
    for (size_t i = 0; i < mask->size(); ++i) (*mask)[i] = (*mask)[i] && keep[i];
    return absl::OkStatus();
  }

  TerminologyService* service_;
  std::function<absl::StatusOr<json::Value>(const std::string&)> resolve_;
  std::deque<Concept> owned_;
  std::deque<std::string> strings_;
  std::deque<json::Value> keep_json_;
  std::vector<std::shared_ptr<const CodeSystemIndex>> keep_;
};

std::optional<bool> IsInactive(const Concept& c) {
  for (const json::Value* p : c.properties) {
    std::string code = StringAt(*p, "code");
    if (code != "inactive" && code != "status") continue;
    const json::Object::Member* v = ValueMember(*p);
    if (v == nullptr) continue;
    std::string text = ValueText(v->second);
    if (code == "inactive") return text == "true";
    return text == "retired" || text == "inactive";
  }
  return std::nullopt;
}

// (system, version) when the ValueSet is exactly all codes of one code system.
std::optional<std::pair<std::string, std::string>> WholeSystem(const json::Value& vs) {
  const json::Value* compose = vs.Find("compose");
  if (compose == nullptr || !compose->is_object()) return std::nullopt;
  for (const auto& [k, v] : compose->as_object()) {
    if (k != "include" && k != "inactive" && k != "lockedDate") return std::nullopt;
  }
  const json::Array* includes = ArrayAt(*compose, "include");
  if (includes == nullptr || includes->size() != 1 || !includes->front().is_object()) return std::nullopt;
  for (const auto& [k, v] : includes->front().as_object()) {
    if (k != "system" && k != "version") return std::nullopt;
  }
  std::string system = StringAt(includes->front(), "system");
  if (system.empty()) return std::nullopt;
  return std::make_pair(system, StringAt(includes->front(), "version"));
}

// The ValueSet with its expansion: `page` holds the codes from `offset` of `total`.
json::Value ExpansionAnswer(json::Value vs, const ExpandRequest& r, int64_t total, int64_t offset,
                            const std::vector<Entry>& page) {
  json::Object expansion;
  // NewResourceId is 32 hex digits: written as a UUID (8-4-4-4-12) for urn:uuid.
  std::string hex = NewResourceId();
  expansion.Set("identifier", StrCat("urn:uuid:", hex.substr(0, 8), "-", hex.substr(8, 4), "-",
                                     hex.substr(12, 4), "-", hex.substr(16, 4), "-", hex.substr(20)));
  expansion.Set("timestamp", FormatInstant(Clock::Real().Now()));
  expansion.Set("total", total);
  if (r.offset) expansion.Set("offset", offset);
  json::Array params;
  if (!r.filter.empty()) params.push_back(Part("filter", "valueString", r.filter));
  if (r.offset) params.push_back(Part("offset", "valueInteger", offset));
  if (r.count) params.push_back(Part("count", "valueInteger", *r.count));
  if (!r.display_language.empty()) params.push_back(Part("displayLanguage", "valueCode", r.display_language));
  if (!params.empty()) expansion.Set("parameter", std::move(params));
  json::Array contains;
  for (const Entry& e : page) {
    json::Object c;
    c.Set("system", std::string(e.system));
    if (!e.version.empty()) c.Set("version", std::string(e.version));
    if (std::optional<bool> inactive = IsInactive(*e.term); inactive && *inactive) c.Set("inactive", true);
    c.Set("code", e.term->code);
    std::string_view display = r.display_language.empty() ? e.display : DisplayIn(*e.term, r.display_language);
    if (display.empty()) display = e.display;
    if (!display.empty()) c.Set("display", std::string(display));
    contains.push_back(std::move(c));
  }
  if (!contains.empty()) expansion.Set("contains", std::move(contains));
  vs.as_object().Erase("text");
  vs.as_object().Set("expansion", std::move(expansion));
  return vs;
}

}  // namespace

absl::StatusOr<json::Value> TerminologyService::FindByUrl(std::string_view type,
                                                          std::string_view url,
                                                          std::string_view version,
                                                          fhir::StoredResource* found) {
  fhir::SearchInput input;
  input.type = std::string(type);
  input.params.emplace_back("url", std::string(url));
  if (!version.empty()) input.params.emplace_back("version", std::string(version));
  input.params.emplace_back("_count", "50");
  ASSIGN_OR_RETURN(fhir::SearchResult result, repository_->Search(input));
  if (result.matches.empty()) {
    return MakeError(ErrorKind::kNotFound,
                     StrCat("no ", type, " with url ", url, version.empty() ? "" : "|", version,
                            " on this server"));
  }
  // Several versions of one canonical: the one written last.
  auto newest = std::max_element(result.matches.begin(), result.matches.end(),
                                 [](const fhir::StoredResource& a, const fhir::StoredResource& b) {
                                   return a.last_updated < b.last_updated;
                                 });
  absl::StatusOr<json::Value> parsed = json::Parse(newest->json, {.max_depth = 256});
  if (!parsed.ok()) return MakeError(ErrorKind::kInternal, ToStd(parsed.status().message()));
  if (found != nullptr) {
    found->type = newest->type;
    found->id = newest->id;
    found->version = newest->version;
  }
  return parsed;
}

absl::StatusOr<json::Value> TerminologyService::ReadById(std::string_view type, std::string_view id) {
  ASSIGN_OR_RETURN(fhir::StoredResource r, repository_->Read(type, id));
  absl::StatusOr<json::Value> parsed = json::Parse(r.json, {.max_depth = 256});
  if (!parsed.ok()) return MakeError(ErrorKind::kInternal, ToStd(parsed.status().message()));
  return parsed;
}

absl::StatusOr<int64_t> TerminologyService::CountByUrl(std::string_view type, std::string_view url,
                                                       std::string_view version) {
  fhir::SearchInput input;
  input.type = std::string(type);
  input.params.emplace_back("url", std::string(url));
  if (!version.empty()) input.params.emplace_back("version", std::string(version));
  input.params.emplace_back("_summary", "count");
  ASSIGN_OR_RETURN(fhir::SearchResult result, repository_->Search(input));
  return result.total.value_or(0);
}

// Cheap checks instead of reading a large resource again: the same number of CodeSystems carry
// the URL, the cached one has no newer version, and it is not deleted.
absl::StatusOr<bool> TerminologyService::StillCurrent(const CacheEntry& entry, std::string_view url,
                                                      std::string_view version) {
  ASSIGN_OR_RETURN(int64_t matching, CountByUrl("CodeSystem", url, version));
  if (matching != entry.matching) return false;
  absl::StatusOr<fhir::StoredResource> next =
      repository_->VRead("CodeSystem", entry.id, entry.version_id + 1);
  if (next.ok()) return false;
  if (KindOf(next.status()) != ErrorKind::kNotFound && KindOf(next.status()) != ErrorKind::kGone) {
    return next.status();
  }
  ASSIGN_OR_RETURN(fhir::Visibility v, repository_->CheckVisible("CodeSystem", entry.id, {}));
  return v.visible;
}

absl::StatusOr<std::shared_ptr<const CodeSystemIndex>> TerminologyService::CodeSystem(
    std::string_view url, std::string_view version) {
  std::string key = StrCat(url, "|", version);
  std::optional<CacheEntry> cached;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = cache_.find(key);
    if (it != cache_.end()) cached = it->second;
  }
  if (cached) {
    ASSIGN_OR_RETURN(bool current, StillCurrent(*cached, url, version));
    if (current) return cached->index;
  }
  CacheEntry entry;
  ASSIGN_OR_RETURN(entry.matching, CountByUrl("CodeSystem", url, version));
  fhir::StoredResource found;
  ASSIGN_OR_RETURN(json::Value cs, FindByUrl("CodeSystem", url, version, &found));
  entry.id = found.id;
  entry.version_id = found.version;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto same = by_resource_.find(entry.id);
    if (same != by_resource_.end() && same->second.version_id == entry.version_id) {
      entry.index = same->second.index;
      cache_[key] = entry;
      return entry.index;
    }
  }
  ASSIGN_OR_RETURN(entry.index, CodeSystemIndex::Build(std::move(cs)));
  std::lock_guard<std::mutex> lock(mu_);
  cache_[key] = entry;
  by_resource_[entry.id] = entry;
  return entry.index;
}

absl::StatusOr<json::Value> TerminologyService::ResolveValueSet(const std::string& url,
                                                                const std::string& id,
                                                                const std::string& version) {
  if (!id.empty()) return ReadById("ValueSet", id);
  if (url.empty()) return MakeError(ErrorKind::kInvalid, "give the value set: url, or call it on ValueSet/[id]");
  auto [bare, v] = SplitCanonical(url);
  return FindByUrl("ValueSet", bare, version.empty() ? v : version, nullptr);
}

absl::StatusOr<json::Value> TerminologyService::Lookup(CodedValue coding, const std::string& id) {
  if (!id.empty() && coding.system.empty()) {
    ASSIGN_OR_RETURN(json::Value cs, ReadById("CodeSystem", id));
    coding.system = StringAt(cs, "url");
  }
  if (coding.system.empty() || coding.code.empty()) {
    return MakeError(ErrorKind::kInvalid, "$lookup needs system and code (or coding)");
  }
  ASSIGN_OR_RETURN(std::shared_ptr<const CodeSystemIndex> cs, CodeSystem(coding.system, coding.version));
  int i = cs->Find(coding.code);
  if (i < 0) {
    return MakeError(ErrorKind::kNotFound, StrCat("code '", coding.code, "' is not in ", coding.system,
                                                  " (代码不存在)"));
  }
  const Concept& c = cs->concepts()[i];
  json::Array out;
  const std::string* title = cs->resource().FindString("title");
  out.push_back(Part("name", "valueString", !cs->name().empty() ? cs->name()
                                            : title != nullptr   ? *title
                                                                 : cs->url()));
  if (!cs->version().empty()) out.push_back(Part("version", "valueString", cs->version()));
  if (!c.display.empty()) out.push_back(Part("display", "valueString", c.display));
  if (!c.definition.empty()) out.push_back(Part("definition", "valueString", c.definition));
  for (const Designation& d : c.designations) {
    json::Array parts;
    if (!d.language.empty()) parts.push_back(Part("language", "valueCode", d.language));
    if (d.use != nullptr) parts.push_back(Part("use", "valueCoding", *d.use));
    parts.push_back(Part("value", "valueString", d.value));
    out.push_back(PartWithParts("designation", std::move(parts)));
  }
  auto property = [&](std::string_view code, std::string_view key, json::Value value) {
    json::Array parts;
    parts.push_back(Part("code", "valueCode", std::string(code)));
    parts.push_back(Part("value", key, std::move(value)));
    out.push_back(PartWithParts("property", std::move(parts)));
  };
  for (const json::Value* p : c.properties) {
    const json::Object::Member* v = ValueMember(*p);
    if (v == nullptr) continue;
    std::string code = StringAt(*p, "code");
    // parent / child are reported from the hierarchy below, once.
    if (code == "parent" || code == "child") continue;
    property(code, v->first, v->second);
  }
  for (int parent : c.parents) property("parent", "valueCode", cs->concepts()[parent].code);
  for (int child : c.children) property("child", "valueCode", cs->concepts()[child].code);
  return Parameters(std::move(out));
}

absl::StatusOr<json::Value> TerminologyService::ValidateCodeInCodeSystem(const ValidateRequest& r) {
  std::string url = r.url, version = r.version;
  if (!r.id.empty()) {
    ASSIGN_OR_RETURN(json::Value cs, ReadById("CodeSystem", r.id));
    url = StringAt(cs, "url");
    if (version.empty()) version = StringAt(cs, "version");
  }
  if (url.empty() && !r.codings.empty()) url = r.codings.front().system;
  if (url.empty()) return MakeError(ErrorKind::kInvalid, "$validate-code needs the code system: url, or CodeSystem/[id]");
  if (r.codings.empty()) return MakeError(ErrorKind::kInvalid, "$validate-code needs code, coding or codeableConcept");
  ASSIGN_OR_RETURN(std::shared_ptr<const CodeSystemIndex> cs, CodeSystem(url, version));
  std::string message;
  for (const CodedValue& v : r.codings) {
    if (!v.system.empty() && v.system != url) {
      message = StrCat("system ", v.system, " is not the code system ", url);
      continue;
    }
    int i = cs->Find(v.code);
    if (i < 0) {
      message = StrCat("code '", v.code, "' is not in ", url, " (代码不存在)");
      continue;
    }
    const Concept& c = cs->concepts()[i];
    json::Array out;
    if (!v.display.empty() && v.display != c.display &&
        std::none_of(c.designations.begin(), c.designations.end(),
                     [&](const Designation& d) { return d.value == v.display; })) {
      out.push_back(Part("result", "valueBoolean", false));
      out.push_back(Part("message", "valueString",
                         StrCat("display '", v.display, "' is not a display of ", url, "#", v.code,
                                "; it is '", c.display, "' (名称不符)")));
      out.push_back(Part("display", "valueString", c.display));
      return Parameters(std::move(out));
    }
    out.push_back(Part("result", "valueBoolean", true));
    if (!c.display.empty()) out.push_back(Part("display", "valueString", c.display));
    return Parameters(std::move(out));
  }
  return Parameters({Part("result", "valueBoolean", false), Part("message", "valueString", message)});
}

absl::StatusOr<json::Value> TerminologyService::ValidateCodeInValueSet(const ValidateRequest& r) {
  if (r.codings.empty()) return MakeError(ErrorKind::kInvalid, "$validate-code needs code, coding or codeableConcept");
  ASSIGN_OR_RETURN(json::Value vs, ResolveValueSet(r.url, r.id, r.version));
  std::vector<Entry> entries;
  Expander expander(this, [this](const std::string& url) { return ResolveValueSet(url, "", ""); });
  std::shared_ptr<const CodeSystemIndex> cs;  // keeps the entries' concepts alive
  if (std::optional<std::pair<std::string, std::string>> whole = WholeSystem(vs)) {
    // All of one code system: look the codes up in its index rather than listing it.
    ASSIGN_OR_RETURN(cs, CodeSystem(whole->first, whole->second));
    for (const CodedValue& v : r.codings) {
      int i = v.system.empty() || v.system == cs->url() ? cs->Find(v.code) : -1;
      if (i >= 0) entries.push_back({cs.get(), cs->url(), cs->version(), &cs->concepts()[i], cs->concepts()[i].display});
    }
  } else {
    RETURN_IF_ERROR(expander.Expand(vs, 0, &entries));
  }
  std::string vs_url = StringAt(vs, "url");
  std::string message;
  for (const CodedValue& v : r.codings) {
    auto it = std::find_if(entries.begin(), entries.end(), [&](const Entry& e) {
      return e.term->code == v.code && (v.system.empty() || e.system == v.system);
    });
    if (it == entries.end()) {
      message = StrCat("code '", v.system, v.system.empty() ? "" : "#", v.code,
                       "' is not in the value set ", vs_url, " (代码不在值集中)");
      continue;
    }
    json::Array out;
    if (!v.display.empty() && v.display != it->display && v.display != it->term->display) {
      out.push_back(Part("result", "valueBoolean", false));
      out.push_back(Part("message", "valueString",
                         StrCat("display '", v.display, "' is not a display of ", it->system, "#",
                                v.code, "; it is '", it->display, "' (名称不符)")));
    } else {
      out.push_back(Part("result", "valueBoolean", true));
    }
    if (!it->display.empty()) out.push_back(Part("display", "valueString", std::string(it->display)));
    return Parameters(std::move(out));
  }
  return Parameters({Part("result", "valueBoolean", false), Part("message", "valueString", message)});
}

absl::StatusOr<json::Value> TerminologyService::Expand(const ExpandRequest& r) {
  json::Value vs;
  if (r.value_set) {
    vs = *r.value_set;
  } else {
    ASSIGN_OR_RETURN(vs, ResolveValueSet(r.url, r.id, r.value_set_version));
  }
  if (r.offset && *r.offset < 0) return MakeError(ErrorKind::kInvalid, "offset must not be negative");
  if (r.count && *r.count < 0) return MakeError(ErrorKind::kInvalid, "count must not be negative");
  TextFilter filter(r.filter);
  int64_t total = 0;
  std::vector<Entry> page;  // the codes of this page, best first
  auto page_bounds = [&](int64_t n) -> absl::StatusOr<std::pair<int64_t, int64_t>> {
    total = n;
    int64_t offset = std::min(r.offset.value_or(0), n);
    int64_t count = r.count ? std::min(*r.count, n - offset) : n - offset;
    if (!r.count && count > kMaxUnpagedExpansion) {
      return MakeError(ErrorKind::kInvalid,
                       StrCat("the expansion has ", n, " codes; page it with count and offset (at most ",
                              kMaxUnpagedExpansion, " without count) or narrow it with filter "
                              "(结果过多，请分页或过滤)"));
    }
    return std::make_pair(offset, offset + count);
  };
  std::optional<std::pair<std::string, std::string>> whole = WholeSystem(vs);
  if (whole) {
    // All of one code system (the ICD-10 picker): search its index directly instead of
    // listing 45k codes first. Same order as the general path.
    ASSIGN_OR_RETURN(std::shared_ptr<const CodeSystemIndex> cs, CodeSystem(whole->first, whole->second));
    const std::vector<Concept>& concepts = cs->concepts();
    std::vector<CodeSystemIndex::Match> matches;
    if (!filter.empty()) matches = cs->Search(filter);
    ASSIGN_OR_RETURN(auto bounds, page_bounds(filter.empty() ? int64_t(concepts.size()) : int64_t(matches.size())));
    for (int64_t k = bounds.first; k < bounds.second; ++k) {
      const Concept& c = concepts[filter.empty() ? size_t(k) : size_t(matches[k].concept_index)];
      page.push_back({cs.get(), cs->url(), cs->version(), &c, c.display});
    }
    return ExpansionAnswer(std::move(vs), r, total, bounds.first, page);
  }
  Expander expander(this, [this](const std::string& url) { return ResolveValueSet(url, "", ""); });
  std::vector<Entry> entries;
  RETURN_IF_ERROR(expander.Expand(vs, 0, &entries));

  // Text filter, ranked (code, initials, pinyin, text); an expansion without one keeps the
  // compose order.
  std::vector<std::pair<MatchRank, size_t>> order;
  order.reserve(entries.size());
  // Codes of an indexed code system are ranked all at once (sorted keys, one text scan).
  std::unordered_map<const CodeSystemIndex*, std::vector<MatchRank>> ranked;
  for (size_t i = 0; i < entries.size(); ++i) {
    const Entry& e = entries[i];
    MatchRank rank = MatchRank::kExactCode;
    if (!filter.empty() && e.cs != nullptr) {
      std::vector<MatchRank>& all = ranked[e.cs];
      if (all.empty()) all = e.cs->RankAll(filter);
      rank = all[size_t(e.term - e.cs->concepts().data())];
    } else if (!filter.empty()) {
      rank = Rank(filter, *e.term);
    }
    if (rank != MatchRank::kNone) order.emplace_back(rank, i);
  }
  if (!filter.empty()) {
    std::stable_sort(order.begin(), order.end(), [&](const auto& a, const auto& b) {
      if (a.first != b.first) return a.first < b.first;
      const Entry& ea = entries[a.second];
      const Entry& eb = entries[b.second];
      return TieBreakLength(a.first, ea.term->code, ea.display) <
             TieBreakLength(b.first, eb.term->code, eb.display);
    });
  }
  ASSIGN_OR_RETURN(auto bounds, page_bounds(int64_t(order.size())));
  for (int64_t k = bounds.first; k < bounds.second; ++k) page.push_back(entries[order[k].second]);
  return ExpansionAnswer(std::move(vs), r, total, bounds.first, page);
}

absl::StatusOr<json::Value> TerminologyService::Translate(const TranslateRequest& r) {
  const CodedValue& in = r.coding;
  if (in.code.empty()) return MakeError(ErrorKind::kInvalid, "$translate needs code (with system) or coding");
  std::vector<json::Value> maps;
  if (!r.id.empty()) {
    ASSIGN_OR_RETURN(json::Value m, ReadById("ConceptMap", r.id));
    maps.push_back(std::move(m));
  } else if (!r.url.empty()) {
    auto [bare, v] = SplitCanonical(r.url);
    ASSIGN_OR_RETURN(json::Value m, FindByUrl("ConceptMap", bare, v, nullptr));
    maps.push_back(std::move(m));
  } else {
    // Every ConceptMap from the code's system (or, reversed, to it).
    if (in.system.empty()) return MakeError(ErrorKind::kInvalid, "$translate needs url, or system with code");
    fhir::SearchInput input;
    input.type = "ConceptMap";
    input.params.emplace_back(r.reverse ? "target-system" : "source-system", in.system);
    input.params.emplace_back("_count", "100");
    ASSIGN_OR_RETURN(fhir::SearchResult result, repository_->Search(input));
    for (const fhir::StoredResource& s : result.matches) {
      absl::StatusOr<json::Value> m = json::Parse(s.json, {.max_depth = 256});
      if (m.ok()) maps.push_back(*std::move(m));
    }
  }
  json::Array matches;
  for (const json::Value& map : maps) {
    std::string map_url = StringAt(map, "url");
    auto uri = [&](std::string_view key) {
      const json::Value* v = map.Find(StrCat(key, "Uri"));
      if (v == nullptr) v = map.Find(StrCat(key, "Canonical"));
      return v != nullptr && v->is_string() ? v->as_string() : std::string();
    };
    std::string source_vs = uri(r.reverse ? "target" : "source");
    std::string target_vs = uri(r.reverse ? "source" : "target");
    if (!r.source_value_set.empty() && !source_vs.empty() && source_vs != r.source_value_set) continue;
    if (!r.target_value_set.empty() && !target_vs.empty() && target_vs != r.target_value_set) continue;
    const json::Array* groups = ArrayAt(map, "group");
    if (groups == nullptr) continue;
    for (const json::Value& g : *groups) {
      std::string source = StringAt(g, r.reverse ? "target" : "source");
      std::string target = StringAt(g, r.reverse ? "source" : "target");
      if (!in.system.empty() && !source.empty() && source != in.system) continue;
      if (!r.target_system.empty() && target != r.target_system) continue;
      const json::Array* elements = ArrayAt(g, "element");
      if (elements == nullptr) continue;
      for (const json::Value& el : *elements) {
        const json::Array* targets = ArrayAt(el, "target");
        if (targets == nullptr) continue;
        for (const json::Value& t : *targets) {
          std::string from = StringAt(r.reverse ? t : el, "code");
          if (from != in.code) continue;
          const json::Value& to = r.reverse ? el : t;
          std::string equivalence = StringAt(t, "equivalence");
          json::Array parts;
          parts.push_back(Part("equivalence", "valueCode", equivalence.empty() ? "equivalent" : equivalence));
          if (!StringAt(to, "code").empty()) {
            parts.push_back(Part("concept", "valueCoding",
                                 CodingOf(target, StringAt(to, "code"), StringAt(to, "display"))));
          }
          if (!map_url.empty()) parts.push_back(Part("source", "valueUri", map_url));
          matches.push_back(PartWithParts("match", std::move(parts)));
        }
      }
    }
  }
  // Only equivalences that say the concepts differ leave the result false (R4 $translate:
  // result is true when a match is an acceptable translation).
  bool ok = false;
  for (const json::Value& m : matches) {
    std::string eq = StringAt(m.Find("part")->as_array()[0], "valueCode");
    if (eq != "unmatched" && eq != "disjoint") ok = true;
  }
  json::Array out;
  out.push_back(Part("result", "valueBoolean", ok));
  if (!ok) {
    out.push_back(Part("message", "valueString",
                       StrCat("no translation found for ", in.system, in.system.empty() ? "" : "#",
                              in.code, " (未找到对应代码)")));
  }
  for (json::Value& m : matches) out.push_back(std::move(m));
  return Parameters(std::move(out));
}

}  // namespace rhip::terminology
