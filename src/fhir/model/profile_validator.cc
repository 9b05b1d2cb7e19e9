#include "fhir/model/profile_validator.h"

#include <cctype>
#include <optional>
#include <string>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "core/strings.h"
#include "fhir/model/rules.h"

namespace rhip::fhir {
namespace {

using json::Value;

// One value found at a profile path, with its expression ("Patient.name[0].family").
struct Instance {
  const Value* value;
  std::string path;
  std::string_view choice_type;  // for a [x] element: the JSON suffix ("Quantity")
};

bool EndsWithX(std::string_view segment) {
  return segment.size() > 3 && segment.substr(segment.size() - 3) == "[x]";
}

void AddValues(const Value& v, std::string path, std::string_view choice_type,
               std::vector<Instance>* out) {
  if (!v.is_array()) {
    out->push_back({&v, std::move(path), choice_type});
    return;
  }
  const json::Array& items = v.as_array();
  for (size_t i = 0; i < items.size(); ++i) {
    if (!items[i].is_null()) out->push_back({&items[i], StrCat(path, "[", i, "]"), choice_type});
  }
}

// The values of `segment` ("name", "value[x]") inside one instance.
std::vector<Instance> Children(const Instance& parent, std::string_view segment) {
  std::vector<Instance> out;
  if (!parent.value->is_object()) return out;
  if (!EndsWithX(segment)) {
    if (const Value* v = parent.value->Find(segment)) AddValues(*v, StrCat(parent.path, ".", segment), "", &out);
    return out;
  }
  std::string_view base = segment.substr(0, segment.size() - 3);
  for (const auto& [key, value] : parent.value->as_object()) {
    if (key.size() > base.size() && key.compare(0, base.size(), base) == 0 &&
        key[base.size()] >= 'A' && key[base.size()] <= 'Z') {
      AddValues(value, StrCat(parent.path, ".", key), std::string_view(key).substr(base.size()), &out);
    }
  }
  return out;
}

std::vector<std::string_view> Segments(std::string_view path) {
  std::vector<std::string_view> out;
  while (true) {
    size_t dot = path.find('.');
    out.push_back(path.substr(0, dot));
    if (dot == std::string_view::npos) return out;
    path = path.substr(dot + 1);
  }
}

// pattern[x] semantics: every member of the pattern is in the value, arrays by "each pattern
// item matches some value item", primitives by equality.
bool MatchesPattern(const Value& value, const Value& pattern) {
  if (pattern.is_object()) {
    if (!value.is_object()) return false;
    for (const auto& [key, p] : pattern.as_object()) {
      const Value* v = value.Find(key);
      if (v == nullptr || !MatchesPattern(*v, p)) return false;
    }
    return true;
  }
  if (pattern.is_array()) {
    if (!value.is_array()) return false;
    for (const Value& p : pattern.as_array()) {
      bool found = false;
      for (const Value& v : value.as_array()) found = found || MatchesPattern(v, p);
      if (!found) return false;
    }
    return true;
  }
  return value == pattern;
}

// The fixed[x] or pattern[x] member of an element definition, if any.
const Value* PrefixedMember(const Value& element, std::string_view prefix) {
  for (const auto& [key, value] : element.as_object()) {
    if (key.size() > prefix.size() && key.compare(0, prefix.size(), prefix) == 0 &&
        key[prefix.size()] >= 'A' && key[prefix.size()] <= 'Z') {
      return &value;
    }
  }
  return nullptr;
}

size_t Utf8Length(std::string_view s) {
  size_t n = 0;
  for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

class ProfileChecker {
 public:
  ProfileChecker(const Value& resource, std::string_view url, std::vector<Issue>* issues)
      : resource_(resource), url_(url), issues_(issues) {}

  void Check(const Value& sd) {
    const std::string* type = sd.FindString("type");
    const Value* snapshot = sd.Find("snapshot");
    const Value* elements = snapshot != nullptr ? snapshot->Find("element") : nullptr;
    const std::string& resource_type = *resource_.FindString("resourceType");
    if (elements == nullptr || !elements->is_array() || type == nullptr) {
      Report("warning", "not-supported", resource_type,
             "is not a StructureDefinition with a snapshot; not checked");
      return;
    }
    if (*type != resource_type) {
      Report("error", "invalid", resource_type, StrCat("constrains ", *type, ", not ", resource_type));
      return;
    }
    for (const Value& el : elements->as_array()) {
      const std::string* path = el.FindString("path");
      const std::string* id = el.FindString("id");
      // Slices (and their children) need slicing discriminators: not checked here.
      if (path == nullptr || el.Find("sliceName") != nullptr ||
          (id != nullptr && id->find(':') != std::string::npos)) {
        continue;
      }
      std::vector<std::string_view> segments = Segments(*path);
      if (segments.size() < 2 || segments[0] != resource_type) continue;
      Element(el, segments);
    }
  }

 private:
  void Report(std::string_view severity, std::string_view code, std::string_view expression,
              std::string_view message) {
    Issue& issue = issues_->emplace_back();
    issue.severity = std::string(severity);
    issue.code = std::string(code);
    issue.expression = std::string(expression);
    issue.diagnostics = StrCat("profile ", url_, ": ", message);
  }

  void Element(const Value& el, const std::vector<std::string_view>& segments) {
    std::vector<Instance> parents{{&resource_, std::string(segments[0]), ""}};
    for (size_t i = 1; i + 1 < segments.size(); ++i) {
      std::vector<Instance> next;
      for (const Instance& p : parents) {
        for (Instance& c : Children(p, segments[i])) next.push_back(std::move(c));
      }
      parents = std::move(next);
      if (parents.empty()) return;
    }
    std::string_view last = segments.back();
    std::string_view name = EndsWithX(last) ? last.substr(0, last.size() - 3) : last;
    const Value* min = el.Find("min");
    const std::string* max = el.FindString("max");
    int64_t min_count = min != nullptr ? min->AsInt64().value_or(0) : 0;
    for (const Instance& p : parents) {
      std::vector<Instance> kids = Children(p, last);
      if (static_cast<int64_t>(kids.size()) < min_count) {
        Report("error", "required", StrCat(p.path, ".", name),
               StrCat("at least ", min_count, " value(s) of ", name, " required, found ", kids.size()));
      }
      if (max != nullptr && *max != "*" && !max->empty() &&
          static_cast<int64_t>(kids.size()) > std::stoll(*max)) {
        Report("error", "structure", StrCat(p.path, ".", name),
               StrCat("at most ", *max, " value(s) of ", name, " allowed, found ", kids.size()));
      }
      for (const Instance& kid : kids) CheckValue(el, kid);
    }
  }

  void CheckValue(const Value& el, const Instance& kid) {
    if (const Value* fixed = PrefixedMember(el, "fixed"); fixed != nullptr && !(*kid.value == *fixed)) {
      Report("error", "value", kid.path, StrCat("must be exactly ", json::Serialize(*fixed)));
    }
    if (const Value* pattern = PrefixedMember(el, "pattern");
        pattern != nullptr && !MatchesPattern(*kid.value, *pattern)) {
      Report("error", "value", kid.path, StrCat("must match the pattern ", json::Serialize(*pattern)));
    }
    if (const Value* max_length = el.Find("maxLength"); max_length != nullptr && kid.value->is_string()) {
      std::optional<int64_t> n = max_length->AsInt64();
      if (n && static_cast<int64_t>(Utf8Length(kid.value->as_string())) > *n) {
        Report("error", "value", kid.path, StrCat("longer than the maximum length ", *n));
      }
    }
    if (!kid.choice_type.empty()) AllowedType(el, kid);
    Binding(el, kid);
  }

  void AllowedType(const Value& el, const Instance& kid) {
    const Value* types = el.Find("type");
    if (types == nullptr || !types->is_array()) return;
    for (const Value& t : types->as_array()) {
      const std::string* code = t.FindString("code");
      if (code != nullptr && !code->empty() && code->size() == kid.choice_type.size() &&
          std::toupper(static_cast<unsigned char>((*code)[0])) == kid.choice_type[0] &&
          code->compare(1, std::string::npos, kid.choice_type.substr(1)) == 0) {
        return;
      }
    }
    Report("error", "structure", kid.path, StrCat("type ", kid.choice_type, " is not allowed here"));
  }

  void Binding(const Value& el, const Instance& kid) {
    const Value* binding = el.Find("binding");
    if (binding == nullptr) return;
    const std::string* strength = binding->FindString("strength");
    const std::string* url = binding->FindString("valueSet");
    if (strength == nullptr || *strength != "required" || url == nullptr) return;
    const ValueSet* vs = ValidationRules::R4().FindValueSet(*url);
    if (vs == nullptr) return;  // not in the built-in table: not checked
    CodedKind kind = kid.value->is_string()        ? CodedKind::kCode
                     : kid.value->Find("coding")   ? CodedKind::kCodeableConcept
                                                   : CodedKind::kCoding;
    std::string bad = BindingViolation(*kid.value, kind, *vs);
    if (!bad.empty()) {
      Report("error", "code-invalid", kid.path,
             StrCat("the code '", bad, "' is not in the value set ", vs->url(), " (required binding)"));
    }
  }

  const Value& resource_;
  std::string_view url_;
  std::vector<Issue>* issues_;
};

}  // namespace

void ValidateProfiles(const json::Value& resource, const ValidateOptions& options,
                      std::vector<Issue>* issues) {
  std::vector<std::string> urls = options.extra_profiles;
  if (const Value* meta = resource.Find("meta"); meta != nullptr) {
    if (const Value* profiles = meta->Find("profile"); profiles != nullptr && profiles->is_array()) {
      for (const Value& p : profiles->as_array()) {
        if (p.is_string()) urls.push_back(p.as_string());
      }
    }
  }
  const std::string& type = *resource.FindString("resourceType");
  for (const std::string& url : urls) {
    std::optional<json::Value> sd = options.profile_lookup(url);
    if (!sd) {
      Issue& issue = issues->emplace_back();
      issue.severity = "warning";
      issue.code = "not-found";
      issue.expression = type;
      issue.diagnostics = StrCat("profile ", url, " is not known to this server; not checked");
      continue;
    }
    ProfileChecker(resource, url, issues).Check(*sd);
  }
}

}  // namespace rhip::fhir
