#include "fhir/search/index_extractor.h"

#include <algorithm>
#include <charconv>
#include <tuple>

#include "core/strings.h"
#include "fhir/search/date_range.h"

namespace rhip::fhir::search {
namespace {

// Index values are capped: a search never needs more, and a huge value must not bloat the index.
constexpr size_t kMaxValueBytes = 256;

std::string Cap(std::string_view s) {
  if (s.size() <= kMaxValueBytes) return std::string(s);
  size_t n = kMaxValueBytes;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;  // whole UTF-8 chars
  return std::string(s.substr(0, n));
}

const std::string* Str(const json::Value* v, std::string_view member) {
  return v != nullptr && v->is_object() ? v->FindString(member) : nullptr;
}

std::string_view TextOf(const json::Value& v) {
  if (v.is_string()) return v.as_string();
  if (v.is_number()) return v.as_number().text;
  if (v.is_bool()) return v.as_bool() ? "true" : "false";
  return {};
}

// The FHIR type of a node: from the model when FHIRPath knows it, else from the JSON shape.
std::string_view ShapeType(const fhirpath::Node& n) {
  if (!n.type.empty()) return n.type;
  const json::Value* v = n.value;
  if (v == nullptr) return {};
  if (v->is_string()) return "string";
  if (v->is_number()) return "decimal";
  if (v->is_bool()) return "boolean";
  if (!v->is_object()) return {};
  if (v->Find("coding") != nullptr) return "CodeableConcept";
  if (v->Find("reference") != nullptr) return "Reference";
  if (v->Find("family") != nullptr || v->Find("given") != nullptr) return "HumanName";
  if (v->Find("start") != nullptr || v->Find("end") != nullptr) return "Period";
  if (v->Find("value") != nullptr && (v->Find("unit") != nullptr || v->Find("code") != nullptr))
    return "Quantity";
  if (v->Find("code") != nullptr) return "Coding";
  return {};
}

std::optional<double> Number(const json::Value* v) {
  if (v == nullptr || !v->is_number()) return std::nullopt;
  std::string_view t = v->as_number().text;
  double d = 0;
  auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), d);
  if (ec != std::errc()) return std::nullopt;
  return d;
}

// Local reference text without a version: "Patient/1/_history/2" -> "Patient/1". Absolute
// URLs of the form [base]/Type/id also give their "Type/id" tail in *local.
void ReferenceForms(std::string_view ref, std::vector<std::string>* out) {
  if (ref.empty() || ref[0] == '#') return;
  if (size_t h = ref.find("/_history/"); h != std::string_view::npos) ref = ref.substr(0, h);
  if (size_t bar = ref.find('|'); bar != std::string_view::npos) {  // canonical|version
    out->push_back(Cap(ref));
    ref = ref.substr(0, bar);
  }
  out->push_back(Cap(ref));
  if (ref.find("://") != std::string_view::npos) {
    size_t last = ref.rfind('/');
    if (last == std::string_view::npos || last == 0) return;
    size_t prev = ref.rfind('/', last - 1);
    if (prev == std::string_view::npos) return;
    std::string_view type = ref.substr(prev + 1, last - prev - 1);
    if (!type.empty() && std::isupper(static_cast<unsigned char>(type[0]))) {
      out->push_back(Cap(ref.substr(prev + 1)));
    }
  }
}

class Extraction {
 public:
  Extraction(const TextFolding& folding, IndexRows* rows) : folding_(folding), rows_(rows) {}

  void Add(const SearchParam& p, const fhirpath::Item& item) {
    switch (p.type) {
      case ParamType::kString: AddString(p, item); break;
      case ParamType::kToken: AddToken(p, item); break;
      case ParamType::kDate: AddDate(p.key, item); break;
      case ParamType::kNumber:
      case ParamType::kQuantity: AddNumber(p.key, item); break;
      case ParamType::kReference: AddReference(p, item); break;
      case ParamType::kUri: AddUri(p.key, item); break;
      case ParamType::kComposite:
      case ParamType::kSpecial: break;
    }
  }

  // Components are evaluated with the item as their focus (two-component composites only;
  // R4's three-component MolecularSequence coordinates are not indexed).
  void AddComposite(const SearchParam& p, const fhirpath::Item& item) {
    if (p.components.size() != 2 || !item.is_node() || item.node().value == nullptr) return;
    const json::Value& focus = *item.node().value;
    auto first = fhirpath::Evaluate(p.components[0].expression, focus, {});
    auto second = fhirpath::Evaluate(p.components[1].expression, focus, {});
    if (!first.ok() || !second.ok()) return;
    std::vector<TokenRow> firsts;
    Collect(&firsts, *first);
    for (const fhirpath::Item& s : *second) {
      IndexRows part;
      Extraction inner(folding_, &part);
      SearchParam as = p;
      as.type = p.components[1].type;
      as.phonetic = false;
      inner.Add(as, s);
      for (const TokenRow& f : firsts) {
        auto row = [&](std::string s2, std::string c2, double lo, double hi) {
          rows_->composites.push_back({p.key, f.system, f.code, std::move(s2), std::move(c2), lo, hi});
        };
        for (const TokenRow& t : part.tokens) row(t.system, t.code, 0, 0);
        for (const StringRow& t : part.strings) row("", t.norm, 0, 0);
        for (const ReferenceRow& t : part.references) row("", t.ref, 0, 0);
        for (const NumberRow& t : part.numbers) row(t.system, t.code, t.value, t.value);
        for (const DateRow& t : part.dates) {
          row("", "", static_cast<double>(t.lo), static_cast<double>(t.hi));
        }
      }
    }
  }

 private:
  void Collect(std::vector<TokenRow>* out, const fhirpath::Collection& items) {
    IndexRows part;
    Extraction inner(folding_, &part);
    SearchParam token;
    token.type = ParamType::kToken;
    for (const fhirpath::Item& i : items) inner.AddToken(token, i);
    *out = std::move(part.tokens);
  }

  void String(const SearchParam& p, std::string_view value, bool surname_first) {
    if (value.empty()) return;
    if (!p.phonetic) rows_->strings.push_back({p.key, Cap(folding_.Fold(value)), Cap(value)});
    keys_.clear();
    folding_.AddPhoneticKeys(value, surname_first, &keys_);
    for (std::string& k : keys_) rows_->strings.push_back({p.key, Cap(k), Cap(value)});
  }

  void AddString(const SearchParam& p, const fhirpath::Item& item) {
    if (!item.is_node()) {
      String(p, fhirpath::ToText(item), false);
      return;
    }
    const fhirpath::Node& n = item.node();
    if (n.value == nullptr) return;
    std::string_view type = ShapeType(n);
    const json::Value& v = *n.value;
    if (v.is_string()) {
      String(p, v.as_string(), false);
      return;
    }
    if (!v.is_object()) return;
    auto each = [&](std::string_view member, bool surname) {
      const json::Value* m = v.Find(member);
      if (m == nullptr) return;
      if (m->is_string()) String(p, m->as_string(), surname);
      if (m->is_array()) {
        for (const json::Value& e : m->as_array()) {
          if (e.is_string()) String(p, e.as_string(), surname);
        }
      }
    };
    if (type == "HumanName") {
      each("family", true);
      each("given", false);
      each("prefix", false);
      each("suffix", false);
      each("text", true);
      // Chinese names are written family name first without a space: index the whole name.
      const std::string* family = v.FindString("family");
      const json::Value* given = v.Find("given");
      if (family != nullptr && given != nullptr && given->is_array() && !given->as_array().empty() &&
          given->as_array()[0].is_string()) {
        std::string whole = StrCat(*family, given->as_array()[0].as_string());
        const std::string* text = v.FindString("text");
        if (text == nullptr || *text != whole) String(p, whole, true);
      }
    } else if (type == "Address") {
      for (std::string_view m : {"line", "city", "district", "state", "postalCode", "country", "text"}) {
        each(m, false);
      }
    } else {
      for (std::string_view m : {"text", "display", "value", "name"}) each(m, false);
    }
  }

  void Token(const SearchParam& p, std::string_view system, std::string_view code) {
    if (code.empty()) return;
    rows_->tokens.push_back({p.key, Cap(system), Cap(code)});
  }

  void TokenText(const SearchParam& p, std::string_view text) {
    if (text.empty() || p.key == 0) return;
    int64_t key = DerivedKey(p, "text");
    rows_->strings.push_back({key, Cap(folding_.Fold(text)), Cap(text)});
  }

  void Coding(const SearchParam& p, const json::Value& c) {
    const std::string* code = Str(&c, "code");
    const std::string* system = Str(&c, "system");
    if (code != nullptr) Token(p, system != nullptr ? *system : "", *code);
    if (const std::string* d = Str(&c, "display")) TokenText(p, *d);
  }

  void AddToken(const SearchParam& p, const fhirpath::Item& item) {
    if (!item.is_node()) {
      Token(p, "", fhirpath::ToText(item));
      return;
    }
    const fhirpath::Node& n = item.node();
    if (n.value == nullptr) return;
    const json::Value& v = *n.value;
    if (!v.is_object()) {
      Token(p, "", TextOf(v));
      return;
    }
    std::string_view type = ShapeType(n);
    if (type == "CodeableConcept") {
      if (const json::Value* codings = v.Find("coding"); codings != nullptr && codings->is_array()) {
        for (const json::Value& c : codings->as_array()) Coding(p, c);
      }
      if (const std::string* t = Str(&v, "text")) TokenText(p, *t);
    } else if (type == "Identifier") {
      const std::string* value = Str(&v, "value");
      const std::string* system = Str(&v, "system");
      if (value == nullptr) return;
      Token(p, system != nullptr ? *system : "", *value);
      const json::Value* id_type = v.Find("type");
      if (id_type != nullptr && p.key != 0) {
        if (const std::string* t = Str(id_type, "text")) TokenText(p, *t);
        if (const json::Value* codings = id_type->Find("coding"); codings != nullptr && codings->is_array()) {
          for (const json::Value& c : codings->as_array()) {
            const std::string* code = Str(&c, "code");
            const std::string* sys = Str(&c, "system");
            if (code == nullptr) continue;
            rows_->tokens.push_back({DerivedKey(p, "of-type"),
                                     Cap(StrCat(sys != nullptr ? *sys : "", "|", *code)), Cap(*value)});
          }
        }
      }
    } else if (type == "ContactPoint") {
      if (const std::string* value = Str(&v, "value")) Token(p, "", *value);
    } else if (type == "Coding") {
      Coding(p, v);
    } else if (type == "Quantity" || type == "Age" || type == "Duration") {
      if (const std::string* code = Str(&v, "code")) {
        const std::string* system = Str(&v, "system");
        Token(p, system != nullptr ? *system : "", *code);
      }
    } else if (type == "Reference") {
      if (const json::Value* id = v.Find("identifier")) {
        if (const std::string* value = Str(id, "value")) {
          const std::string* system = Str(id, "system");
          Token(p, system != nullptr ? *system : "", *value);
        }
      }
    }
  }

  void AddDate(int64_t key, const fhirpath::Item& item) {
    auto range = [&](std::string_view text) { return ParseDateRange(text); };
    if (!item.is_node()) {
      if (auto r = range(fhirpath::ToText(item))) rows_->dates.push_back({key, r->lo, r->hi});
      return;
    }
    const fhirpath::Node& n = item.node();
    if (n.value == nullptr) return;
    const json::Value& v = *n.value;
    if (v.is_string()) {
      if (auto r = range(v.as_string())) rows_->dates.push_back({key, r->lo, r->hi});
      return;
    }
    if (!v.is_object()) return;
    std::string_view type = ShapeType(n);
    if (type == "Period") {
      const std::string* start = Str(&v, "start");
      const std::string* end = Str(&v, "end");
      std::optional<DateRange> s = start ? range(*start) : std::nullopt;
      std::optional<DateRange> e = end ? range(*end) : std::nullopt;
      if (!s && !e) return;
      rows_->dates.push_back({key, s ? s->lo : kMinMicros, e ? e->hi : kMaxMicros});
    } else if (type == "Timing") {
      if (const json::Value* events = v.Find("event"); events != nullptr && events->is_array()) {
        for (const json::Value& e : events->as_array()) {
          if (e.is_string()) {
            if (auto r = range(e.as_string())) rows_->dates.push_back({key, r->lo, r->hi});
          }
        }
      }
      const json::Value* repeat = v.Find("repeat");
      if (const json::Value* bounds = repeat ? repeat->Find("boundsPeriod") : nullptr) {
        const std::string* start = Str(bounds, "start");
        const std::string* end = Str(bounds, "end");
        std::optional<DateRange> s = start ? range(*start) : std::nullopt;
        std::optional<DateRange> e = end ? range(*end) : std::nullopt;
        if (s || e) rows_->dates.push_back({key, s ? s->lo : kMinMicros, e ? e->hi : kMaxMicros});
      }
    }
  }

  void AddNumber(int64_t key, const fhirpath::Item& item) {
    if (!item.is_node()) {
      std::string unit;
      std::string text;
      if (const auto* q = std::get_if<fhirpath::Quantity>(&item.data())) {
        text = fhirpath::ToText(fhirpath::Item(q->value));
        unit = q->unit;
      } else {
        text = fhirpath::ToText(item);
      }
      double d = 0;
      auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), d);
      if (ec == std::errc()) rows_->numbers.push_back({key, d, "", unit});
      return;
    }
    const fhirpath::Node& n = item.node();
    if (n.value == nullptr) return;
    const json::Value& v = *n.value;
    if (v.is_number()) {
      if (auto d = Number(&v)) rows_->numbers.push_back({key, *d, "", ""});
      return;
    }
    if (!v.is_object()) return;
    std::string_view type = ShapeType(n);
    auto quantity = [&](const json::Value& q) {
      auto value = Number(q.Find("value"));
      if (!value) return;
      const std::string* system = Str(&q, "system");
      const std::string* code = Str(&q, "code");
      const std::string* unit = Str(&q, "unit");
      const std::string* currency = Str(&q, "currency");
      std::string c = code ? *code : currency ? *currency : unit ? *unit : "";
      rows_->numbers.push_back({key, *value, system ? Cap(*system) : "", Cap(c)});
    };
    if (type == "Range") {
      if (const json::Value* low = v.Find("low")) quantity(*low);
      if (const json::Value* high = v.Find("high")) quantity(*high);
    } else {
      quantity(v);
    }
  }

  void AddReference(const SearchParam& p, const fhirpath::Item& item) {
    forms_.clear();
    if (!item.is_node()) {
      ReferenceForms(fhirpath::ToText(item), &forms_);
    } else if (const json::Value* v = item.node().value; v != nullptr) {
      if (v->is_string()) {
        ReferenceForms(v->as_string(), &forms_);
      } else if (v->is_object()) {
        if (const std::string* ref = Str(v, "reference")) ReferenceForms(*ref, &forms_);
        if (const json::Value* id = v->Find("identifier")) {
          if (const std::string* value = Str(id, "value")) {
            const std::string* system = Str(id, "system");
            rows_->tokens.push_back({DerivedKey(p, "identifier"), system ? Cap(*system) : "", Cap(*value)});
          }
        }
      }
    }
    for (std::string& f : forms_) rows_->references.push_back({p.key, std::move(f)});
  }

  void AddUri(int64_t key, const fhirpath::Item& item) {
    std::string text;
    if (!item.is_node()) {
      text = fhirpath::ToText(item);
    } else if (const json::Value* v = item.node().value; v != nullptr && v->is_string()) {
      text = v->as_string();
    }
    if (!text.empty()) rows_->uris.push_back({key, Cap(text)});
  }

  const TextFolding& folding_;
  IndexRows* rows_;
  std::vector<std::string> keys_;
  std::vector<std::string> forms_;
};

}  // namespace

void IndexRows::Normalize() {
  auto dedupe = [](auto& v, auto less, auto eq) {
    std::sort(v.begin(), v.end(), less);
    v.erase(std::unique(v.begin(), v.end(), eq), v.end());
  };
  dedupe(strings, [](const StringRow& a, const StringRow& b) {
    return std::tie(a.key, a.norm, a.exact) < std::tie(b.key, b.norm, b.exact);
  }, [](const StringRow& a, const StringRow& b) {
    return std::tie(a.key, a.norm, a.exact) == std::tie(b.key, b.norm, b.exact);
  });
  dedupe(tokens, [](const TokenRow& a, const TokenRow& b) {
    return std::tie(a.key, a.code, a.system) < std::tie(b.key, b.code, b.system);
  }, [](const TokenRow& a, const TokenRow& b) {
    return std::tie(a.key, a.code, a.system) == std::tie(b.key, b.code, b.system);
  });
  dedupe(dates, [](const DateRow& a, const DateRow& b) {
    return std::tie(a.key, a.lo, a.hi) < std::tie(b.key, b.lo, b.hi);
  }, [](const DateRow& a, const DateRow& b) {
    return std::tie(a.key, a.lo, a.hi) == std::tie(b.key, b.lo, b.hi);
  });
  dedupe(numbers, [](const NumberRow& a, const NumberRow& b) {
    return std::tie(a.key, a.value, a.system, a.code) < std::tie(b.key, b.value, b.system, b.code);
  }, [](const NumberRow& a, const NumberRow& b) {
    return std::tie(a.key, a.value, a.system, a.code) == std::tie(b.key, b.value, b.system, b.code);
  });
  dedupe(references, [](const ReferenceRow& a, const ReferenceRow& b) {
    return std::tie(a.key, a.ref) < std::tie(b.key, b.ref);
  }, [](const ReferenceRow& a, const ReferenceRow& b) {
    return std::tie(a.key, a.ref) == std::tie(b.key, b.ref);
  });
  dedupe(uris, [](const UriRow& a, const UriRow& b) {
    return std::tie(a.key, a.value) < std::tie(b.key, b.value);
  }, [](const UriRow& a, const UriRow& b) {
    return std::tie(a.key, a.value) == std::tie(b.key, b.value);
  });
  auto ctie = [](const CompositeRow& r) { return std::tie(r.key, r.c1, r.c2, r.lo, r.hi, r.s1, r.s2); };
  dedupe(composites, [&](const CompositeRow& a, const CompositeRow& b) { return ctie(a) < ctie(b); },
         [&](const CompositeRow& a, const CompositeRow& b) { return ctie(a) == ctie(b); });
}

namespace {

// Appends the rows of the contained resource at `position`, keys moved to its key space.
void AppendContained(IndexRows part, int position, IndexRows* out) {
  auto move_rows = [position](auto& from, auto& to) {
    for (auto& row : from) {
      row.key = ContainedKey(row.key, position);
      to.push_back(std::move(row));
    }
  };
  move_rows(part.strings, out->strings);
  move_rows(part.tokens, out->tokens);
  move_rows(part.dates, out->dates);
  move_rows(part.numbers, out->numbers);
  move_rows(part.references, out->references);
  move_rows(part.uris, out->uris);
  move_rows(part.composites, out->composites);
}

}  // namespace

void IndexExtractor::ExtractInto(const json::Value& resource, IndexRows* rows) const {
  const std::string* type = resource.FindString("resourceType");
  if (type == nullptr) return;
  Extraction extraction(folding_, rows);
  for (const SearchParam* p : registry_.Indexed(*type)) {
    auto items = fhirpath::Evaluate(*p->expression, resource, {});
    if (!items.ok()) continue;
    for (const fhirpath::Item& item : *items) {
      if (p->type == ParamType::kComposite) {
        extraction.AddComposite(*p, item);
      } else {
        extraction.Add(*p, item);
      }
    }
  }
}

IndexRows IndexExtractor::Extract(const json::Value& resource) const {
  IndexRows rows;
  ExtractInto(resource, &rows);
  const json::Value* contained = resource.Find("contained");
  if (contained != nullptr && contained->is_array()) {
    const json::Array& list = contained->as_array();
    for (size_t i = 0; i < list.size() && i < kMaxContainedIndexed; ++i) {
      const std::string* type = list[i].is_object() ? list[i].FindString("resourceType") : nullptr;
      if (type == nullptr) continue;
      int position = static_cast<int>(i);
      const std::string* id = list[i].FindString("id");
      rows.tokens.push_back({ContainedMarkerKey(position), Cap(*type), id ? Cap(*id) : ""});
      IndexRows part;
      ExtractInto(list[i], &part);
      AppendContained(std::move(part), position, &rows);
    }
  }
  rows.Normalize();
  return rows;
}

}  // namespace rhip::fhir::search
