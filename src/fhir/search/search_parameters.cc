#include "fhir/search/search_parameters.h"

#include <map>
#include <unordered_map>

#include <cstdio>
#include <cstdlib>
#include "core/json.h"
#include "core/strings.h"
#include "fhir/model/structure_model.h"

namespace rhip::fhir::search {
namespace internal {
std::string_view R4Definitions();
std::string_view RhipDefinitions();
std::string_view PatientCompartmentDefinitions();
}  // namespace internal

namespace {

// Bump when extraction changes what rows a definition produces: stored digests then differ
// and `rhip serve` asks for `rhip reindex`.
constexpr std::string_view kExtractionVersion = "extract-2";  // 2: contained resources

uint64_t Fnv1a(std::string_view text, uint64_t h = 1469598103934665603ULL) {
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h;
}

int64_t KeyOf(std::string_view text) {
  return static_cast<int64_t>(Fnv1a(text) & 0x7fffffffffffffffULL);
}

std::optional<ParamType> ParseType(std::string_view t) {
  static const std::map<std::string_view, ParamType> kTypes = {
      {"number", ParamType::kNumber},     {"date", ParamType::kDate},
      {"string", ParamType::kString},     {"token", ParamType::kToken},
      {"reference", ParamType::kReference}, {"composite", ParamType::kComposite},
      {"quantity", ParamType::kQuantity}, {"uri", ParamType::kUri},
      {"special", ParamType::kSpecial}};
  auto it = kTypes.find(t);
  if (it == kTypes.end()) return std::nullopt;
  return it->second;
}

// Splits a FHIRPath union at top level: "A.x | (B.y as C)" -> {"A.x", "(B.y as C)"}.
std::vector<std::string_view> SplitUnion(std::string_view expr) {
  std::vector<std::string_view> parts;
  int depth = 0;
  bool quoted = false;
  size_t start = 0;
  for (size_t i = 0; i < expr.size(); ++i) {
    char c = expr[i];
    if (c == '\'' && (i == 0 || expr[i - 1] != '\\')) quoted = !quoted;
    if (quoted) continue;
    if (c == '(') ++depth;
    if (c == ')') --depth;
    if (c == '|' && depth == 0) {
      parts.push_back(expr.substr(start, i - start));
      start = i + 1;
    }
  }
  parts.push_back(expr.substr(start));
  for (std::string_view& p : parts) {
    while (!p.empty() && p.front() == ' ') p.remove_prefix(1);
    while (!p.empty() && p.back() == ' ') p.remove_suffix(1);
  }
  return parts;
}

// The resource type a union part starts with ("(Observation.value as Quantity)" ->
// "Observation"), or empty when it starts with something else.
std::string_view LeadingType(std::string_view part) {
  while (!part.empty() && part.front() == '(') part.remove_prefix(1);
  size_t n = 0;
  while (n < part.size() && (std::isalnum(static_cast<unsigned char>(part[n])) != 0)) ++n;
  std::string_view name = part.substr(0, n);
  if (name.empty() || !std::isupper(static_cast<unsigned char>(name[0]))) return {};
  if (n < part.size() && part[n] != '.' && part[n] != ' ' && part[n] != ')') return {};
  return name;
}

// The expression restricted to the union parts that can apply to `type`.
std::string ReduceFor(std::string_view expr, std::string_view type) {
  const StructureModel& model = StructureModel::R4();
  std::string out;
  for (std::string_view part : SplitUnion(expr)) {
    std::string_view lead = LeadingType(part);
    if (!lead.empty() && lead != type && lead != "Resource" && lead != "DomainResource" &&
        model.IsResourceType(lead)) {
      continue;
    }
    if (!out.empty()) out.append(" | ");
    out.append(part);
  }
  return out;
}

struct Definition {
  std::string url;
  std::string code;
  std::vector<std::string> base;
  ParamType type;
  std::string expression;
  std::vector<std::string> targets;
  std::vector<std::pair<std::string, std::string>> components;  // definition url, expression
  bool phonetic = false;
};

std::vector<std::string> Strings(const json::Value* v) {
  std::vector<std::string> out;
  if (v == nullptr || !v->is_array()) return out;
  for (const json::Value& s : v->as_array()) {
    if (s.is_string()) out.push_back(s.as_string());
  }
  return out;
}

// The definitions are compiled into the binary: failing to read them is a build defect.
[[noreturn]] void Fatal(const absl::Status& status) {
  std::fprintf(stderr, "rhip: embedded search definitions are broken: %s\n",
               std::string(status.message()).c_str());
  std::abort();
}

void LoadBundle(std::string_view text, std::vector<Definition>* out) {
  auto parsed = json::Parse(text);
  if (!parsed.ok()) Fatal(parsed.status());
  for (const json::Value& entry : parsed->Find("entry")->as_array()) {
    const json::Value* r = entry.Find("resource");
    if (r == nullptr) continue;
    Definition d;
    const std::string* url = r->FindString("url");
    const std::string* code = r->FindString("code");
    const std::string* type = r->FindString("type");
    if (url == nullptr || code == nullptr || type == nullptr) continue;
    auto t = ParseType(*type);
    if (!t) continue;
    d.url = *url;
    d.code = *code;
    d.type = *t;
    d.base = Strings(r->Find("base"));
    d.targets = Strings(r->Find("target"));
    if (const std::string* e = r->FindString("expression")) d.expression = *e;
    if (const std::string* u = r->FindString("xpathUsage")) d.phonetic = *u == "phonetic";
    if (const json::Value* comps = r->Find("component"); comps != nullptr && comps->is_array()) {
      for (const json::Value& c : comps->as_array()) {
        const std::string* def = c.FindString("definition");
        const std::string* expr = c.FindString("expression");
        if (def != nullptr && expr != nullptr) d.components.emplace_back(*def, *expr);
      }
    }
    out->push_back(std::move(d));
  }
}

}  // namespace

std::string_view ParamTypeName(ParamType type) {
  switch (type) {
    case ParamType::kNumber: return "number";
    case ParamType::kDate: return "date";
    case ParamType::kString: return "string";
    case ParamType::kToken: return "token";
    case ParamType::kReference: return "reference";
    case ParamType::kComposite: return "composite";
    case ParamType::kQuantity: return "quantity";
    case ParamType::kUri: return "uri";
    case ParamType::kSpecial: return "special";
  }
  return "unknown";
}

int64_t DerivedKey(const SearchParam& param, std::string_view suffix) {
  return KeyOf(StrCat(param.resource_type, ".", param.code, ":", suffix));
}

int64_t ContainedKey(int64_t key, int position) {
  // The low 6 bits hold the position (kMaxContainedIndexed = 64).
  static_assert(kMaxContainedIndexed == 64);
  return (KeyOf(StrCat("contained:", key)) & ~int64_t{63}) + position;
}

int64_t ContainedMarkerKey(int position) {
  static const int64_t base = KeyOf("contained.resourceType") & ~int64_t{63};
  return base + position;
}

struct SearchParamRegistry::Data {
  std::vector<std::unique_ptr<SearchParam>> params;
  // type -> code -> param ("Resource" and "DomainResource" hold the common ones)
  std::unordered_map<std::string, std::unordered_map<std::string, const SearchParam*>> by_type;
  std::unordered_map<std::string, std::vector<const SearchParam*>> indexed;
  std::map<std::string, std::vector<std::string>, std::less<>> compartment;
  std::vector<std::string> compartment_types;
};

SearchParamRegistry::SearchParamRegistry(std::unique_ptr<Data> data) : data_(std::move(data)) {}
SearchParamRegistry::~SearchParamRegistry() = default;

const SearchParamRegistry& SearchParamRegistry::Default() {
  static const SearchParamRegistry* registry = [] {
    std::vector<Definition> defs;
    LoadBundle(internal::R4Definitions(), &defs);
    LoadBundle(internal::RhipDefinitions(), &defs);
    std::unordered_map<std::string, const Definition*> by_url;
    for (const Definition& d : defs) by_url[d.url] = &d;

    auto data = std::make_unique<Data>();
    const StructureModel& model = StructureModel::R4();
    for (const Definition& d : defs) {
      for (const std::string& base : d.base) {
        auto p = std::make_unique<SearchParam>();
        p->resource_type = base;
        p->code = d.code;
        p->url = d.url;
        p->type = d.type;
        p->targets = d.targets;
        p->phonetic = d.phonetic;
        p->key = KeyOf(StrCat(base, ".", d.code));
        bool from_table = d.code == "_id" || d.code == "_lastUpdated";
        if (!from_table && !d.expression.empty() && d.type != ParamType::kSpecial) {
          std::string reduced = ReduceFor(d.expression, base);
          auto compiled = fhirpath::Compile(reduced);
          if (!compiled.ok()) continue;  // counted by the definitions test
          p->expression = *std::move(compiled);
        }
        bool components_ok = true;
        for (const auto& [url, expr] : d.components) {
          auto it = by_url.find(url);
          auto compiled = fhirpath::Compile(expr);
          if (it == by_url.end() || !compiled.ok()) {
            components_ok = false;
            break;
          }
          p->components.push_back({it->second->type, *std::move(compiled)});
        }
        if (!components_ok) continue;
        if (!from_table && !p->expression) continue;  // _text, _content, _query: not indexable
        data->by_type[base][d.code] = p.get();
        data->params.push_back(std::move(p));
      }
    }
    auto add_indexed = [&](const std::string& type, const std::string& from) {
      auto it = data->by_type.find(from);
      if (it == data->by_type.end()) return;
      for (const auto& [code, p] : it->second) {
        if (p->expression) data->indexed[type].push_back(p);
      }
    };
    const TypeInfo* domain = model.FindType("DomainResource");
    for (std::string_view name : model.ResourceTypeNames()) {
      std::string type(name);
      add_indexed(type, type);
      const TypeInfo* info = model.FindType(name);
      if (domain != nullptr && info != nullptr && info->IsA(*domain)) {
        add_indexed(type, "DomainResource");
      }
      add_indexed(type, "Resource");
    }

    auto compartment = json::Parse(internal::PatientCompartmentDefinitions());
    if (!compartment.ok()) Fatal(compartment.status());
    for (const json::Value& r : compartment->Find("resource")->as_array()) {
      const std::string* code = r.FindString("code");
      std::vector<std::string> params = Strings(r.Find("param"));
      if (code == nullptr || params.empty()) continue;
      data->compartment_types.push_back(*code);
      data->compartment[*code] = std::move(params);
    }

    auto* out = new SearchParamRegistry(std::move(data));
    out->digest_ = StrCat(kExtractionVersion, "-",
                          Fnv1a(internal::RhipDefinitions(), Fnv1a(internal::R4Definitions())));
    return out;
  }();
  return *registry;
}

const SearchParam* SearchParamRegistry::Find(std::string_view resource_type,
                                             std::string_view code) const {
  std::string key(code);
  for (std::string_view t : {resource_type, std::string_view("DomainResource"),
                             std::string_view("Resource")}) {
    auto it = data_->by_type.find(std::string(t));
    if (it == data_->by_type.end()) continue;
    auto p = it->second.find(key);
    if (p != it->second.end()) return p->second;
  }
  return nullptr;
}

std::span<const SearchParam* const> SearchParamRegistry::Indexed(
    std::string_view resource_type) const {
  auto it = data_->indexed.find(std::string(resource_type));
  if (it == data_->indexed.end()) return {};
  return it->second;
}

std::span<const std::string> SearchParamRegistry::PatientCompartmentParams(
    std::string_view resource_type) const {
  auto it = data_->compartment.find(resource_type);
  if (it == data_->compartment.end()) return {};
  return it->second;
}

std::span<const std::string> SearchParamRegistry::PatientCompartmentTypes() const {
  return data_->compartment_types;
}

}  // namespace rhip::fhir::search
