#include "terminology/terminology_operations.h"

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "core/error.h"
#include "core/status_macros.h"
#include "core/strings.h"

namespace rhip::terminology {
namespace {

// The operation's input parameters, from the URL and from a POSTed Parameters resource.
class Inputs {
 public:
  static absl::StatusOr<Inputs> From(const fhir::OperationCall& call) {
    Inputs in;
    in.query_ = &call.query;
    if (call.body != nullptr) {
      const std::string* type = call.body->FindString("resourceType");
      if (type == nullptr || *type != "Parameters") {
        return MakeError(ErrorKind::kInvalid, StrCat(call.name, " takes a Parameters resource in a POST body"));
      }
      if (const json::Value* ps = call.body->Find("parameter"); ps != nullptr && ps->is_array()) {
        for (const json::Value& p : ps->as_array()) {
          const std::string* name = p.FindString("name");
          if (name != nullptr) in.body_.emplace_back(*name, &p);
        }
      }
    }
    return in;
  }

  // A primitive input (string, code, uri, canonical, integer, boolean) as text; "" if absent.
  std::string Text(std::string_view name) const {
    for (const auto& [k, v] : *query_) {
      if (k == name) return v;
    }
    for (const auto& [k, p] : body_) {
      if (k != name || !p->is_object()) continue;
      for (const auto& [key, value] : p->as_object()) {
        if (!key.starts_with("value")) continue;
        if (value.is_string()) return value.as_string();
        if (value.is_bool()) return value.as_bool() ? "true" : "false";
        if (value.is_number()) return value.as_number().text;
      }
    }
    return "";
  }

  const json::Value* Complex(std::string_view name, std::string_view key) const {
    for (const auto& [k, p] : body_) {
      if (k == name) {
        if (const json::Value* v = p->Find(key)) return v;
      }
    }
    return nullptr;
  }

  absl::StatusOr<std::optional<int64_t>> Integer(std::string_view name) const {
    std::string text = Text(name);
    if (text.empty()) return std::nullopt;
    int64_t n = 0;
    if (!absl::SimpleAtoi(text, &n)) {
      return MakeError(ErrorKind::kInvalid, StrCat("parameter ", name, " must be an integer, got '", text, "'"));
    }
    return n;
  }

  // code + system (+ version, display), or coding, or each coding of codeableConcept.
  std::vector<CodedValue> Codings(std::string_view system_param) const {
    std::vector<CodedValue> out;
    auto from = [](const json::Value& c) {
      CodedValue v;
      if (const std::string* s = c.FindString("system")) v.system = *s;
      if (const std::string* s = c.FindString("version")) v.version = *s;
      if (const std::string* s = c.FindString("code")) v.code = *s;
      if (const std::string* s = c.FindString("display")) v.display = *s;
      return v;
    };
    std::string code = Text("code");
    if (!code.empty()) {
      out.push_back({Text(system_param), Text(system_param == "system" ? "version" : "systemVersion"),
                     code, Text("display")});
    }
    if (const json::Value* c = Complex("coding", "valueCoding")) out.push_back(from(*c));
    if (const json::Value* cc = Complex("codeableConcept", "valueCodeableConcept")) {
      if (const json::Value* cs = cc->Find("coding"); cs != nullptr && cs->is_array()) {
        for (const json::Value& c : cs->as_array()) out.push_back(from(c));
      }
    }
    return out;
  }

 private:
  const fhir::QueryParams* query_ = nullptr;
  std::vector<std::pair<std::string, const json::Value*>> body_;
};

}  // namespace

std::vector<fhir::OperationInfo> TerminologyOperations::Operations() const {
  return {{"CodeSystem", "lookup", "http://hl7.org/fhir/OperationDefinition/CodeSystem-lookup"},
          {"CodeSystem", "validate-code", "http://hl7.org/fhir/OperationDefinition/CodeSystem-validate-code"},
          {"ValueSet", "expand", "http://hl7.org/fhir/OperationDefinition/ValueSet-expand"},
          {"ValueSet", "validate-code", "http://hl7.org/fhir/OperationDefinition/ValueSet-validate-code"},
          {"ConceptMap", "translate", "http://hl7.org/fhir/OperationDefinition/ConceptMap-translate"}};
}

bool TerminologyOperations::Serves(std::string_view type, std::string_view name) const {
  if (!name.starts_with("$")) return false;
  for (const fhir::OperationInfo& op : Operations()) {
    if (op.type == type && op.name == name.substr(1)) return true;
  }
  return false;
}

absl::StatusOr<json::Value> TerminologyOperations::Run(const fhir::OperationCall& call) const {
  ASSIGN_OR_RETURN(Inputs in, Inputs::From(call));
  std::string id(call.id);
  if (call.type == "CodeSystem" && call.name == "$lookup") {
    std::vector<CodedValue> codings = in.Codings("system");
    if (codings.empty()) return MakeError(ErrorKind::kInvalid, "$lookup needs system and code, or coding");
    return service_->Lookup(codings.front(), id);
  }
  if (call.name == "$validate-code") {
    ValidateRequest r;
    r.id = id;
    if (call.type == "CodeSystem") {
      r.url = in.Text("url");
      r.version = in.Text("version");
      r.codings = in.Codings("url");
      return service_->ValidateCodeInCodeSystem(r);
    }
    r.url = in.Text("url");
    r.version = in.Text("valueSetVersion");
    r.codings = in.Codings("system");
    return service_->ValidateCodeInValueSet(r);
  }
  if (call.name == "$expand") {
    ExpandRequest r;
    r.id = id;
    r.url = in.Text("url");
    r.value_set_version = in.Text("valueSetVersion");
    if (const json::Value* vs = in.Complex("valueSet", "resource")) r.value_set = *vs;
    r.filter = in.Text("filter");
    ASSIGN_OR_RETURN(r.offset, in.Integer("offset"));
    ASSIGN_OR_RETURN(r.count, in.Integer("count"));
    r.display_language = in.Text("displayLanguage");
    return service_->Expand(r);
  }
  TranslateRequest r;
  r.id = id;
  r.url = in.Text("url");
  r.source_value_set = in.Text("source");
  r.target_value_set = in.Text("target");
  r.target_system = in.Text("targetsystem");
  r.reverse = in.Text("reverse") == "true";
  std::vector<CodedValue> codings = in.Codings("system");
  if (codings.empty()) return MakeError(ErrorKind::kInvalid, "$translate needs system and code, or coding");
  r.coding = codings.front();
  return service_->Translate(r);
}

}  // namespace rhip::terminology
