#include "security/masking.h"

#include <algorithm>
#include <array>
#include <utility>
#include <vector>

#include "core/error.h"
#include "core/strings.h"

namespace rhip::security {
namespace {

// A value must keep at least this many characters hidden, else less of it is shown: keeping
// the last 4 of a 5-character number would show almost all of it.
constexpr size_t kMinHidden = 4;

constexpr std::array<std::string_view, 4> kMaskedTypes = {"Patient", "RelatedPerson", "Person",
                                                          "Practitioner"};

bool IsContinuationByte(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

// The byte offset where each code point of s starts.
std::vector<size_t> CodePointStarts(std::string_view s) {
  std::vector<size_t> starts;
  for (size_t i = 0; i < s.size(); ++i) {
    if (!IsContinuationByte(s[i])) starts.push_back(i);
  }
  return starts;
}

// How many of n units to show at the front and back: (front, back) when kMinHidden stay
// hidden, else (0, back) when that leaves kMinHidden hidden, else (0, 0).
std::pair<size_t, size_t> Kept(size_t n, size_t front, size_t back) {
  if (n >= front + back + kMinHidden) return {front, back};
  if (n >= back + kMinHidden) return {0, back};
  return {0, 0};
}

// s with every code point outside the first `front` and last `back` (as Kept allows)
// replaced by '*'.
std::string MaskMiddle(std::string_view s, size_t front, size_t back) {
  std::vector<size_t> starts = CodePointStarts(s);
  const size_t n = starts.size();
  auto [f, b] = Kept(n, front, back);
  std::string out(s.substr(0, f < n ? starts[f] : s.size()));
  out.append(n - f - b, '*');
  if (b > 0) out.append(s.substr(starts[n - b]));
  return out;
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

void MaskString(json::Value* v, std::string (*rule)(std::string_view)) {
  if (v != nullptr && v->is_string()) v->as_string() = rule(v->as_string());
}

// Identifier.value by its system; the rest of the Identifier (system, type, period,
// assigner) stays so clients still know what kind of number it is.
void MaskIdentifier(json::Value& identifier) {
  if (!identifier.is_object()) return;
  const std::string* system = identifier.FindString("system");
  MaskString(identifier.Find("value"), system != nullptr && *system == kResidentIdSystem
                                           ? MaskResidentIdNumber
                                           : MaskIdentifierValue);
}

// ContactPoint.value by its system; a url, other or system-less value as an identifier.
void MaskContactPoint(json::Value& contact_point) {
  if (!contact_point.is_object()) return;
  const std::string* system = contact_point.FindString("system");
  std::string_view s = system != nullptr ? std::string_view(*system) : std::string_view();
  bool digits = s == "phone" || s == "sms" || s == "fax" || s == "pager";
  MaskString(contact_point.Find("value"), digits         ? MaskPhoneNumber
                                          : s == "email" ? MaskEmail
                                                         : MaskIdentifierValue);
}

// The text of the kept parts, largest first as Chinese addresses are written (北京市东城区),
// space-separated when all are ASCII; "***" stands for the hidden detail.
std::string AddressText(const json::Object& address) {
  std::vector<std::string_view> parts;
  for (std::string_view key : {"state", "city", "district"}) {
    const json::Value* v = address.Find(key);
    // A municipality's state and city are the same (北京市 北京市): say it once.
    if (v != nullptr && v->is_string() && !v->as_string().empty() &&
        (parts.empty() || parts.back() != v->as_string())) {
      parts.push_back(v->as_string());
    }
  }
  parts.push_back("***");
  bool ascii = std::all_of(parts.begin(), parts.end(), [](std::string_view p) {
    return std::all_of(p.begin(), p.end(), [](char c) { return (c & 0x80) == 0; });
  });
  std::string out;
  for (std::string_view p : parts) {
    if (!out.empty() && ascii) out += ' ';
    out += p;
  }
  return out;
}

bool IsDivisionExtension(const json::Value& ext) {
  const std::string* url = ext.FindString("url");
  return url != nullptr && *url == kAdministrativeDivisionExtension;
}

// Keeps only region-level members (a whitelist, so a geolocation extension or anything added
// later does not slip through); each line becomes "***"; text is rebuilt from what is kept.
void MaskAddress(json::Value& address) {
  if (!address.is_object()) return;
  static constexpr std::array<std::string_view, 16> kKept = {
      "id",     "use",  "type",  "country",  "state",  "city",  "district",  "postalCode",
      "period", "_use", "_type", "_country", "_state", "_city", "_district", "_postalCode"};
  json::Object& in = address.as_object();
  // Only an address that had detail gets a text, so none is made up for a bare city.
  const bool had_detail = in.Find("line") != nullptr || in.Find("text") != nullptr;
  json::Object out;
  for (auto& [key, value] : in.members()) {
    if (std::find(kKept.begin(), kKept.end(), key) != kKept.end()) {
      out.Set(key, std::move(value));
    } else if (key == "line" && value.is_array()) {
      json::Array lines(value.as_array().size(), json::Value("***"));
      out.Set("line", std::move(lines));
    } else if (key == "extension" && value.is_array()) {
      json::Array kept;
      for (json::Value& ext : value.as_array()) {
        if (IsDivisionExtension(ext)) kept.push_back(std::move(ext));
      }
      if (!kept.empty()) out.Set("extension", std::move(kept));
    }
  }
  if (had_detail) out.Set("text", AddressText(out));
  address = std::move(out);
}

// rule on parent[key], an array of elements or (as Patient.contact.address) a single one.
void ForEach(json::Object& parent, std::string_view key, void (*rule)(json::Value&)) {
  json::Value* v = parent.Find(key);
  if (v == nullptr) return;
  if (!v->is_array()) return rule(*v);
  for (json::Value& item : v->as_array()) rule(item);
}

// A person's contact details: telecom and address (Patient, Patient.contact, ...).
void MaskContactDetails(json::Object& holder) {
  ForEach(holder, "telecom", MaskContactPoint);
  ForEach(holder, "address", MaskAddress);
}

void MaskOwnElements(json::Object& resource) {
  ForEach(resource, "identifier", MaskIdentifier);
  MaskContactDetails(resource);
  // Patient.contact; Person and the others have no such element.
  if (json::Value* contacts = resource.Find("contact"); contacts && contacts->is_array()) {
    for (json::Value& c : contacts->as_array()) {
      if (c.is_object()) MaskContactDetails(c.as_object());
    }
  }
  // The narrative is generated from the unmasked data and may repeat any of it.
  resource.Erase("text");
  resource.Erase("photo");
}

bool HasLabel(const json::Value* meta) {
  const json::Value* security = meta == nullptr ? nullptr : meta->Find("security");
  if (security == nullptr || !security->is_array()) return false;
  for (const json::Value& c : security->as_array()) {
    const std::string* system = c.FindString("system");
    const std::string* code = c.FindString("code");
    if (system && code && *system == kMaskedLabelSystem && *code == kMaskedLabelCode) return true;
  }
  return false;
}

// Adds the MASKED label unless it is there.
void AddMaskedLabel(json::Object& resource) {
  json::Value* meta = resource.Find("meta");
  if (meta == nullptr || !meta->is_object()) meta = &resource.Set("meta", json::Object());
  if (HasLabel(meta)) return;
  json::Value* security = meta->Find("security");
  if (security == nullptr || !security->is_array()) {
    security = &meta->as_object().Set("security", json::Array());
  }
  json::Object label;
  label.Set("system", kMaskedLabelSystem);
  label.Set("code", kMaskedLabelCode);
  label.Set("display", "masked");
  security->as_array().push_back(std::move(label));
}

// Masks each resource in resource[key][*][inner] (inner empty: the items themselves).
bool MaskNested(json::Object& resource, std::string_view key, std::string_view inner) {
  json::Value* list = resource.Find(key);
  if (list == nullptr || !list->is_array()) return false;
  bool masked = false;
  for (json::Value& item : list->as_array()) {
    json::Value* r = inner.empty() ? &item : item.Find(inner);
    if (r != nullptr && MaskResource(*r)) masked = true;
  }
  return masked;
}

}  // namespace

std::string MaskResidentIdNumber(std::string_view value) {
  size_t n = CodePointStarts(value).size();
  if (n != 18 && n != 15) return MaskIdentifierValue(value);
  return MaskMiddle(value, 4, 4);
}

std::string MaskIdentifierValue(std::string_view value) { return MaskMiddle(value, 0, 4); }

std::string MaskPhoneNumber(std::string_view value) {
  const size_t digits = std::count_if(value.begin(), value.end(), IsDigit);
  auto [front, back] = Kept(digits, 3, 4);
  std::string out(value);
  size_t i = 0;  // index among the digits
  for (char& c : out) {
    if (!IsDigit(c)) continue;
    if (i >= front && i + back < digits) c = '*';
    ++i;
  }
  return out;
}

std::string MaskEmail(std::string_view value) {
  size_t at = value.rfind('@');
  if (at == std::string_view::npos) return MaskIdentifierValue(value);
  std::string_view local = value.substr(0, at);
  size_t first = 0;
  if (!local.empty()) {
    first = 1;
    while (first < local.size() && IsContinuationByte(local[first])) ++first;
  }
  return StrCat(local.substr(0, first), "***", value.substr(at));
}

bool IsMaskedType(std::string_view resource_type) {
  return std::find(kMaskedTypes.begin(), kMaskedTypes.end(), resource_type) != kMaskedTypes.end();
}

bool MayNeedMasking(std::string_view resource_type, std::string_view json_text) {
  return IsMaskedType(resource_type) || resource_type == "Bundle" ||
         json_text.find("\"contained\"") != std::string_view::npos;
}

bool HasMaskedLabel(const json::Value& resource) {
  return resource.is_object() && HasLabel(resource.Find("meta"));
}

bool MaskResource(json::Value& resource) {
  if (!resource.is_object()) return false;
  json::Object& r = resource.as_object();
  const std::string* type = resource.FindString("resourceType");
  bool masked = type != nullptr && IsMaskedType(*type);
  if (masked) MaskOwnElements(r);
  if (MaskNested(r, "contained", "")) masked = true;
  // Entries carry their own labels; the Bundle itself holds no personal data.
  if (type != nullptr && *type == "Bundle") return MaskNested(r, "entry", "resource") || masked;
  if (masked) AddMaskedLabel(r);
  return masked;
}

absl::Status MaskResourceJson(std::string_view resource_type, std::string* json_text) {
  if (!MayNeedMasking(resource_type, *json_text)) return absl::OkStatus();
  absl::StatusOr<json::Value> v = json::Parse(*json_text);
  if (!v.ok()) {
    return MakeError(ErrorKind::kInvalid, StrCat("cannot mask: ", v.status().message()));
  }
  if (MaskResource(*v)) *json_text = json::Serialize(*v);
  return absl::OkStatus();
}

}  // namespace rhip::security
