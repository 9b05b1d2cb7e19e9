#include "fhir/fhirpath/internal/operations.h"

#include <cctype>
#include <cmath>
#include <cstdlib>
#include <map>
#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "core/error.h"
#include "core/status_macros.h"
#include "core/strings.h"
#include "fhir/fhirpath/internal/temporal_math.h"
#include "fhir/model/structure_model.h"

namespace rhip::fhirpath::internal {
namespace {

constexpr __int128 kUnit = 100000000;

bool IsQuantityType(std::string_view t) {
  return t == "Quantity" || t == "Age" || t == "Duration" || t == "Distance" || t == "Count" ||
         t == "SimpleQuantity" || t == "MoneyQuantity";
}

SystemValue FromJsonPrimitive(const json::Value& v, std::string_view type) {
  using fhir::PrimitiveKind;
  PrimitiveKind kind = fhir::PrimitiveFromName(type);
  switch (v.kind()) {
    case json::Value::Kind::kBool:
      return v.as_bool();
    case json::Value::Kind::kNumber: {
      const std::string& text = v.as_number().text;
      if (kind != PrimitiveKind::kDecimal && text.find_first_of(".eE") == std::string::npos &&
          text.size() <= 18) {
        return static_cast<int64_t>(std::stoll(text));
      }
      if (std::optional<Decimal> d = Decimal::Parse(text)) return *d;
      return std::monostate{};
    }
    case json::Value::Kind::kString: {
      const std::string& s = v.as_string();
      if (kind == PrimitiveKind::kDate || kind == PrimitiveKind::kDateTime ||
          kind == PrimitiveKind::kInstant) {
        if (std::optional<Temporal> t = Temporal::ParseDate(s)) {
          if (kind != PrimitiveKind::kDate) t->kind = Temporal::Kind::kDateTime;
          return *t;
        }
      } else if (kind == PrimitiveKind::kTime) {
        if (std::optional<Temporal> t = Temporal::ParseTime(s)) return *t;
      }
      return s;
    }
    default:
      return std::monostate{};
  }
}

SystemValue QuantityFromNode(const json::Value& v) {
  const json::Value* value = v.Find("value");
  if (value == nullptr || !value->is_number()) return std::monostate{};
  std::optional<Decimal> d = Decimal::Parse(value->as_number().text);
  if (!d) return std::monostate{};
  const std::string* unit = v.FindString("code");
  if (unit == nullptr) unit = v.FindString("unit");
  return Quantity{*d, unit != nullptr ? *unit : std::string("1")};
}

Decimal ToDecimal(const SystemValue& v) {
  if (const int64_t* i = std::get_if<int64_t>(&v)) return Decimal::FromInt(*i);
  return std::get<Decimal>(v);
}

bool IsNumeric(const SystemValue& v) {
  return std::holds_alternative<int64_t>(v) || std::holds_alternative<Decimal>(v);
}

int Sign(__int128 v) { return v < 0 ? -1 : (v > 0 ? 1 : 0); }

std::string NormalizeWhitespace(std::string_view s) {
  std::string out;
  bool space = false;
  for (char c : s) {
    if (std::isspace(static_cast<unsigned char>(c))) {
      space = true;
      continue;
    }
    if (space && !out.empty()) out.push_back(' ');
    space = false;
    out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  return out;
}

struct UnitFactor {
  std::string_view unit;
  std::string_view canonical;
  double factor;
};

// Definite-duration UCUM units and calendar keywords share "s"; 'a' and 'mo' (UCUM's mean
// year and month) are not the calendar year and month, so they stay apart.
constexpr UnitFactor kUnits[] = {
    {"g", "g", 1},           {"mg", "g", 1e-3},       {"kg", "g", 1e3},
    {"ug", "g", 1e-6},       {"[lb_av]", "g", 453.59237}, {"m", "m", 1},
    {"cm", "m", 1e-2},       {"mm", "m", 1e-3},       {"km", "m", 1e3},
    {"[in_i]", "m", 0.0254}, {"s", "s", 1},           {"ms", "s", 1e-3},
    {"min", "s", 60},        {"h", "s", 3600},        {"d", "s", 86400},
    {"wk", "s", 604800},     {"second", "s", 1},      {"seconds", "s", 1},
    {"millisecond", "s", 1e-3}, {"milliseconds", "s", 1e-3}, {"minute", "s", 60},
    {"minutes", "s", 60},    {"hour", "s", 3600},     {"hours", "s", 3600},
    {"day", "s", 86400},     {"days", "s", 86400},    {"week", "s", 604800},
    {"weeks", "s", 604800},  {"mo", "mo", 1},         {"month", "month", 1},
    {"months", "month", 1},  {"a", "a", 1},           {"year", "year", 1},
    {"years", "year", 1},    {"L", "L", 1},           {"dL", "L", 0.1},
    {"mL", "L", 1e-3},
};

std::optional<int> CompareTemporal(const Temporal& a, const Temporal& b) {
  if ((a.kind == Temporal::Kind::kTime) != (b.kind == Temporal::Kind::kTime)) return std::nullopt;
  Temporal x = a, y = b;
  const bool has_time = x.precision >= Temporal::Precision::kHour &&
                        y.precision >= Temporal::Precision::kHour && x.kind != Temporal::Kind::kTime;
  // With a time part, one value with an offset and one without are not comparable.
  if (has_time && x.tz_offset_minutes.has_value() != y.tz_offset_minutes.has_value()) {
    return std::nullopt;
  }
  if (x.tz_offset_minutes && y.tz_offset_minutes) {
    x = ToUtc(x);
    y = ToUtc(y);
  }
  using P = Temporal::Precision;
  // Seconds and milliseconds are one precision for comparison.
  auto level = [](P p) { return p == P::kMillisecond ? P::kSecond : p; };
  P px = level(x.precision), py = level(y.precision);
  P common = std::min(px, py);
  P first = x.kind == Temporal::Kind::kTime ? P::kHour : P::kYear;
  const int xs[] = {x.year, x.month, x.day, x.hour, x.minute, x.second * 1000 + x.millisecond};
  const int ys[] = {y.year, y.month, y.day, y.hour, y.minute, y.second * 1000 + y.millisecond};
  for (int p = static_cast<int>(first); p <= static_cast<int>(common); ++p) {
    if (xs[p] != ys[p]) return xs[p] < ys[p] ? -1 : 1;
  }
  if (px != py) return std::nullopt;
  return 0;
}

std::optional<int> CompareQuantities(const Quantity& a, const Quantity& b) {
  if (a.unit == b.unit) return Sign(a.value.units - b.value.units);
  std::optional<Quantity> ca = Canonical(a), cb = Canonical(b);
  if (!ca || !cb || ca->unit != cb->unit) return std::nullopt;
  double d = ca->value.ToDouble() - cb->value.ToDouble();
  if (std::fabs(d) < 1e-9 * std::max(1.0, std::fabs(ca->value.ToDouble()))) return 0;
  return d < 0 ? -1 : 1;
}

std::optional<int64_t> ParseInteger(std::string_view s) {
  size_t i = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
  if (i == s.size() || s.size() - i > 18) return std::nullopt;
  for (size_t k = i; k < s.size(); ++k) {
    if (!std::isdigit(static_cast<unsigned char>(s[k]))) return std::nullopt;
  }
  return std::stoll(std::string(s));
}

}  // namespace

SystemValue ToSystem(const Item& item) {
  return std::visit(
      [&](const auto& v) -> SystemValue {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, Node>) {
          if (v.value == nullptr) return std::monostate{};
          if (v.value->is_object()) {
            if (IsQuantityType(v.type)) return QuantityFromNode(*v.value);
            return std::monostate{};
          }
          return FromJsonPrimitive(*v.value, v.type);
        } else {
          return v;
        }
      },
      item.data());
}

bool IsPrimitiveItem(const Item& item) {
  if (!item.is_node()) return true;
  const Node& n = item.node();
  return n.value == nullptr ? n.extension != nullptr : !n.value->is_object();
}

namespace {

// The text of an item whose system value is a String, without converting it: a string
// literal, or a JSON string of a FHIR type that is not a date or time. nullptr otherwise.
}  // namespace

const std::string* PlainString(const Item& item) {
  if (const std::string* s = std::get_if<std::string>(&item.data())) return s;
  if (!item.is_node()) return nullptr;
  const Node& n = item.node();
  if (n.value == nullptr || !n.value->is_string()) return nullptr;
  if (n.type == "date" || n.type == "dateTime" || n.type == "instant" || n.type == "time") {
    return nullptr;
  }
  return &n.value->as_string();
}

std::optional<bool> ItemsEqual(const Item& a, const Item& b) {
  // Fast paths for what search expressions compare most: the same element (union
  // de-duplication) and strings (where(system = 'phone')).
  if (a.is_node() && b.is_node() && a.node().value != nullptr &&
      a.node().value == b.node().value) {
    return true;
  }
  if (const std::string* x = PlainString(a)) {
    if (const std::string* y = PlainString(b)) return *x == *y;
  }
  if (a.is_node() && b.is_node() && !IsPrimitiveItem(a) && !IsPrimitiveItem(b)) {
    const Node &x = a.node(), &y = b.node();
    if (x.value == y.value) return true;
    if (x.value == nullptr || y.value == nullptr) return false;
    return *x.value == *y.value;
  }
  SystemValue x = ToSystem(a), y = ToSystem(b);
  if (IsNumeric(x) && IsNumeric(y)) return ToDecimal(x).units == ToDecimal(y).units;
  // Strings meet dates when a FHIR string holds a date (or the model is unknown).
  if (std::holds_alternative<std::string>(x) && std::holds_alternative<Temporal>(y)) std::swap(x, y);
  if (std::holds_alternative<Temporal>(x) && std::holds_alternative<std::string>(y)) {
    const std::string& s = std::get<std::string>(y);
    std::optional<Temporal> t = std::get<Temporal>(x).kind == Temporal::Kind::kTime
                                    ? Temporal::ParseTime(s)
                                    : Temporal::ParseDate(s);
    if (!t) return false;
    y = *t;
  }
  if (x.index() != y.index()) return false;
  if (std::holds_alternative<std::monostate>(x)) return false;
  if (const Temporal* t = std::get_if<Temporal>(&x)) {
    // A date or dateTime is never a time.
    if ((t->kind == Temporal::Kind::kTime) != (std::get<Temporal>(y).kind == Temporal::Kind::kTime)) {
      return false;
    }
    std::optional<int> c = CompareTemporal(*t, std::get<Temporal>(y));
    if (!c) return std::nullopt;
    return *c == 0;
  }
  if (const Quantity* q = std::get_if<Quantity>(&x)) {
    std::optional<int> c = CompareQuantities(*q, std::get<Quantity>(y));
    if (!c) return std::nullopt;
    return *c == 0;
  }
  if (const std::string* s = std::get_if<std::string>(&x)) return *s == std::get<std::string>(y);
  return std::get<bool>(x) == std::get<bool>(y);
}

namespace {

// Equal when both are rounded to the smaller number of decimal places.
bool DecimalsEquivalent(const Decimal& dx, const Decimal& dy) {
  int scale = std::min(dx.scale, dy.scale);
  __int128 p = 1;
  for (int k = scale; k < Decimal::kMaxScale; ++k) p *= 10;
  auto round = [&](__int128 u) {
    __int128 half = p / 2;
    return (u >= 0 ? (u + half) / p : (u - half) / p);
  };
  return round(dx.units) == round(dy.units);
}

}  // namespace

bool ItemsEquivalent(const Item& a, const Item& b) {
  if (a.is_node() && b.is_node() && !IsPrimitiveItem(a) && !IsPrimitiveItem(b)) {
    return ItemsEqual(a, b).value_or(false);
  }
  SystemValue x = ToSystem(a), y = ToSystem(b);
  if (IsNumeric(x) && IsNumeric(y)) return DecimalsEquivalent(ToDecimal(x), ToDecimal(y));
  if (std::holds_alternative<Quantity>(x) && std::holds_alternative<Quantity>(y)) {
    // In a common unit, equal at the precision of the less precise value (4 'g' ~ 4040 'mg').
    Quantity qx = std::get<Quantity>(x), qy = std::get<Quantity>(y);
    if (qx.unit != qy.unit) {
      std::optional<Quantity> cx = Canonical(qx), cy = Canonical(qy);
      if (!cx || !cy || cx->unit != cy->unit) return false;
      qx = *cx;
      qy = *cy;
    }
    return DecimalsEquivalent(qx.value, qy.value);
  }
  if (std::holds_alternative<std::string>(x) && std::holds_alternative<std::string>(y)) {
    return NormalizeWhitespace(std::get<std::string>(x)) ==
           NormalizeWhitespace(std::get<std::string>(y));
  }
  if (std::holds_alternative<Temporal>(x) && std::holds_alternative<Temporal>(y)) {
    return CompareTemporal(std::get<Temporal>(x), std::get<Temporal>(y)) == 0;
  }
  return ItemsEqual(a, b).value_or(false);
}

absl::StatusOr<std::optional<int>> CompareItems(const Item& a, const Item& b) {
  SystemValue x = ToSystem(a), y = ToSystem(b);
  if (IsNumeric(x) && IsNumeric(y)) {
    return std::optional<int>(Sign(ToDecimal(x).units - ToDecimal(y).units));
  }
  if (std::holds_alternative<std::string>(x) && std::holds_alternative<Temporal>(y)) {
    if (auto t = Temporal::ParseDate(std::get<std::string>(x))) x = *t;
  }
  if (std::holds_alternative<Temporal>(x) && std::holds_alternative<std::string>(y)) {
    if (auto t = Temporal::ParseDate(std::get<std::string>(y))) y = *t;
  }
  if (x.index() != y.index() || std::holds_alternative<std::monostate>(x) ||
      std::holds_alternative<bool>(x)) {
    return MakeError(ErrorKind::kUnprocessable, "FHIRPath: cannot compare these values");
  }
  if (const std::string* s = std::get_if<std::string>(&x)) {
    int c = s->compare(std::get<std::string>(y));
    return std::optional<int>(c < 0 ? -1 : (c > 0 ? 1 : 0));
  }
  if (const Temporal* t = std::get_if<Temporal>(&x)) return CompareTemporal(*t, std::get<Temporal>(y));
  return CompareQuantities(std::get<Quantity>(x), std::get<Quantity>(y));
}

std::optional<Quantity> Canonical(const Quantity& q) {
  for (const UnitFactor& f : kUnits) {
    if (f.unit == q.unit) {
      return Quantity{Decimal::FromDouble(q.value.ToDouble() * f.factor), std::string(f.canonical)};
    }
  }
  return std::nullopt;
}

namespace {

absl::StatusOr<std::optional<Item>> DecimalArithmetic(std::string_view op, Decimal a, Decimal b) {
  Decimal r;
  if (op == "+" || op == "-") {
    r.units = op == "+" ? a.units + b.units : a.units - b.units;
    r.scale = std::max(a.scale, b.scale);
  } else if (op == "*") {
    __int128 product;
    if (__builtin_mul_overflow(a.units, b.units, &product)) return std::nullopt;
    r.units = product / kUnit;
    r.scale = std::min(Decimal::kMaxScale, a.scale + b.scale);
  } else {
    if (b.units == 0) return std::nullopt;
    if (op == "/") {
      __int128 scaled;
      if (__builtin_mul_overflow(a.units, kUnit, &scaled)) return std::nullopt;
      r = Decimal::FromUnits(scaled / b.units);
    } else if (op == "div") {
      return std::optional<Item>(Item(static_cast<int64_t>(a.units / b.units)));
    } else {  // mod
      r.units = a.units - b.units * (a.units / b.units);
      r.scale = std::max(a.scale, b.scale);
    }
  }
  return std::optional<Item>(Item(r));
}

absl::StatusOr<std::optional<Item>> IntegerArithmetic(std::string_view op, int64_t a, int64_t b) {
  int64_t r = 0;
  if (op == "+") {
    if (__builtin_add_overflow(a, b, &r)) return std::nullopt;
  } else if (op == "-") {
    if (__builtin_sub_overflow(a, b, &r)) return std::nullopt;
  } else if (op == "*") {
    if (__builtin_mul_overflow(a, b, &r)) return std::nullopt;
  } else if (op == "/") {
    return DecimalArithmetic(op, Decimal::FromInt(a), Decimal::FromInt(b));
  } else {
    if (b == 0) return std::nullopt;
    r = op == "div" ? a / b : a % b;
  }
  return std::optional<Item>(Item(r));
}

}  // namespace

namespace {

// A UCUM unit as a product of canonical base units with exponents ("cm2/s" -> m^2 s^-1,
// factor 1e-4), for the units of the conversion table and units used as they are.
struct UnitTerms {
  std::map<std::string, int> exponents;
  double factor = 1;
};

std::optional<UnitTerms> ParseUnit(std::string_view unit) {
  UnitTerms out;
  int sign = 1;
  size_t i = 0;
  while (i < unit.size()) {
    size_t end = unit.find_first_of("./", i);
    if (end == std::string_view::npos) end = unit.size();
    std::string_view atom = unit.substr(i, end - i);
    size_t digits = atom.size();
    while (digits > 0 && (std::isdigit(static_cast<unsigned char>(atom[digits - 1])) ||
                          atom[digits - 1] == '-')) {
      --digits;
    }
    if (atom.empty()) return std::nullopt;
    std::string_view name = atom.substr(0, digits);
    int exp = 1;
    if (digits < atom.size()) {
      std::optional<int64_t> e = ParseInteger(atom.substr(digits));
      if (!e || *e < -9 || *e > 9) return std::nullopt;
      exp = static_cast<int>(*e);
    }
    if (!name.empty()) {
      std::string base(name);
      double f = 1;
      for (const UnitFactor& uf : kUnits) {
        if (uf.unit == name) {
          base = std::string(uf.canonical);
          f = uf.factor;
        }
      }
      out.exponents[base] += sign * exp;
      out.factor *= std::pow(f, sign * exp);
    }  // else a number such as "1": dimensionless
    if (end < unit.size() && unit[end] == '/') sign = -1;
    i = end + 1;
  }
  return out;
}

std::string UnitText(const std::map<std::string, int>& exponents) {
  std::string num, den;
  for (const auto& [base, exp] : exponents) {
    if (exp == 0) continue;
    std::string& part = exp > 0 ? num : den;
    if (!part.empty()) part += ".";
    part += base;
    if (std::abs(exp) != 1) part += std::to_string(std::abs(exp));
  }
  if (num.empty()) num = "1";
  return den.empty() ? num : num + "/" + den;
}

}  // namespace

bool Comparable(const Quantity& a, const Quantity& b) {
  if (a.unit == b.unit) return true;
  std::optional<Quantity> ca = Canonical(a), cb = Canonical(b);
  return ca && cb && ca->unit == cb->unit;
}

absl::StatusOr<std::optional<Item>> Arithmetic(std::string_view op, const Item& a, const Item& b) {
  SystemValue x = ToSystem(a), y = ToSystem(b);
  if (std::holds_alternative<int64_t>(x) && std::holds_alternative<int64_t>(y)) {
    return IntegerArithmetic(op, std::get<int64_t>(x), std::get<int64_t>(y));
  }
  if (IsNumeric(x) && IsNumeric(y)) return DecimalArithmetic(op, ToDecimal(x), ToDecimal(y));
  if (std::holds_alternative<std::string>(x) && std::holds_alternative<std::string>(y) && op == "+") {
    return std::optional<Item>(Item(std::get<std::string>(x) + std::get<std::string>(y)));
  }
  if (std::holds_alternative<Temporal>(x) && std::holds_alternative<Quantity>(y) &&
      (op == "+" || op == "-")) {
    Quantity q = std::get<Quantity>(y);
    if (op == "-") q.value.units = -q.value.units;
    std::optional<Temporal> t = AddQuantity(std::get<Temporal>(x), q);
    if (!t) {
      return MakeError(ErrorKind::kUnprocessable,
                       "FHIRPath: cannot add quantity '" + q.unit + "' to a date/time");
    }
    return std::optional<Item>(Item(*t));
  }
  if (std::holds_alternative<Quantity>(x) && std::holds_alternative<Quantity>(y)) {
    Quantity qx = std::get<Quantity>(x), qy = std::get<Quantity>(y);
    if (op == "+" || op == "-") {
      if (qx.unit != qy.unit) {
        std::optional<Quantity> cx = Canonical(qx), cy = Canonical(qy);
        if (!cx || !cy || cx->unit != cy->unit) return std::nullopt;
        qx = *cx;
        qy = *cy;
      }
      ASSIGN_OR_RETURN(std::optional<Item> v, DecimalArithmetic(op, qx.value, qy.value));
      return std::optional<Item>(Item(Quantity{std::get<Decimal>(v->data()), qx.unit}));
    }
    if ((op == "*" || op == "/") && (qx.unit == "1" || qy.unit == "1")) {
      ASSIGN_OR_RETURN(std::optional<Item> v, DecimalArithmetic(op, qx.value, qy.value));
      if (!v) return std::nullopt;
      return std::optional<Item>(
          Item(Quantity{std::get<Decimal>(v->data()), qx.unit == "1" ? qy.unit : qx.unit}));
    }
    if (op == "*" || op == "/") {
      // Unit algebra: 2.0 'cm' * 2.0 'm' = 0.04 'm2', 4 'g' / 2 'm' = 2 'g/m'.
      std::optional<UnitTerms> ux = ParseUnit(qx.unit), uy = ParseUnit(qy.unit);
      if (!ux || !uy) return std::nullopt;
      const int sign = op == "*" ? 1 : -1;
      double factor = op == "*" ? ux->factor * uy->factor : ux->factor / uy->factor;
      for (const auto& [base, exp] : uy->exponents) ux->exponents[base] += sign * exp;
      ASSIGN_OR_RETURN(std::optional<Item> v, DecimalArithmetic(op, qx.value, qy.value));
      if (!v) return std::nullopt;
      Decimal value = std::get<Decimal>(v->data());
      if (factor != 1) {
        ASSIGN_OR_RETURN(std::optional<Item> scaled,
                         DecimalArithmetic("*", value, Decimal::FromDouble(factor)));
        if (!scaled) return std::nullopt;
        value = std::get<Decimal>(scaled->data());
      }
      return std::optional<Item>(Item(Quantity{value, UnitText(ux->exponents)}));
    }
    return std::nullopt;
  }
  if (std::holds_alternative<Quantity>(x) && IsNumeric(y) && (op == "*" || op == "/")) {
    const Quantity& q = std::get<Quantity>(x);
    ASSIGN_OR_RETURN(std::optional<Item> v, DecimalArithmetic(op, q.value, ToDecimal(y)));
    if (!v) return std::nullopt;
    return std::optional<Item>(Item(Quantity{std::get<Decimal>(v->data()), q.unit}));
  }
  return MakeError(ErrorKind::kUnprocessable,
                   absl::StrCat("FHIRPath: operator ", ToAbsl(op), " cannot be applied to ", a.TypeName(),
                                " and ", b.TypeName()));
}

std::optional<std::string> ConvertToString(const Item& item) {
  SystemValue v = ToSystem(item);
  return std::visit(
      [](const auto& x) -> std::optional<std::string> {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::monostate>) {
          return std::nullopt;
        } else if constexpr (std::is_same_v<T, bool>) {
          return std::string(x ? "true" : "false");
        } else if constexpr (std::is_same_v<T, int64_t>) {
          return std::to_string(x);
        } else if constexpr (std::is_same_v<T, std::string>) {
          return x;
        } else {
          return x.ToString();
        }
      },
      v);
}

std::optional<int64_t> ConvertToInteger(const Item& item) {
  SystemValue v = ToSystem(item);
  if (const int64_t* i = std::get_if<int64_t>(&v)) return *i;
  if (const bool* b = std::get_if<bool>(&v)) return *b ? 1 : 0;
  if (const std::string* s = std::get_if<std::string>(&v)) return ParseInteger(*s);
  return std::nullopt;
}

std::optional<Decimal> ConvertToDecimal(const Item& item) {
  SystemValue v = ToSystem(item);
  if (IsNumeric(v)) return ToDecimal(v);
  if (const bool* b = std::get_if<bool>(&v)) return Decimal{*b ? kUnit : 0, 1};
  if (const std::string* s = std::get_if<std::string>(&v)) {
    if (s->find_first_of("eE") != std::string::npos) return std::nullopt;
    return Decimal::Parse(*s);
  }
  return std::nullopt;
}

std::optional<bool> ConvertToBoolean(const Item& item) {
  SystemValue v = ToSystem(item);
  if (const bool* b = std::get_if<bool>(&v)) return *b;
  if (const int64_t* i = std::get_if<int64_t>(&v)) {
    if (*i == 0 || *i == 1) return *i == 1;
    return std::nullopt;
  }
  if (const Decimal* d = std::get_if<Decimal>(&v)) {
    if (d->units == 0 || d->units == kUnit) return d->units == kUnit;
    return std::nullopt;
  }
  if (const std::string* s = std::get_if<std::string>(&v)) {
    std::string l = absl::AsciiStrToLower(ToAbsl(*s));
    if (l == "true" || l == "t" || l == "yes" || l == "y" || l == "1" || l == "1.0") return true;
    if (l == "false" || l == "f" || l == "no" || l == "n" || l == "0" || l == "0.0") return false;
  }
  return std::nullopt;
}

std::optional<Quantity> ConvertToQuantity(const Item& item) {
  SystemValue v = ToSystem(item);
  if (const Quantity* q = std::get_if<Quantity>(&v)) return *q;
  if (IsNumeric(v)) return Quantity{ToDecimal(v), "1"};
  if (const bool* b = std::get_if<bool>(&v)) return Quantity{Decimal{*b ? kUnit : 0, 1}, "1"};
  const std::string* s = std::get_if<std::string>(&v);
  if (s == nullptr) return std::nullopt;
  std::string_view text = *s;
  size_t space = text.find(' ');
  std::optional<Decimal> number = Decimal::Parse(text.substr(0, space));
  if (!number) return std::nullopt;
  if (space == std::string_view::npos) return Quantity{*number, "1"};
  std::string_view unit = text.substr(space + 1);
  while (!unit.empty() && unit.front() == ' ') unit.remove_prefix(1);
  if (unit.size() >= 2 && unit.front() == '\'' && unit.back() == '\'') {
    return Quantity{*number, std::string(unit.substr(1, unit.size() - 2))};
  }
  if (IsCalendarUnit(unit)) return Quantity{*number, std::string(unit)};
  return std::nullopt;
}

std::optional<Temporal> ConvertToTemporal(const Item& item, Temporal::Kind kind) {
  SystemValue v = ToSystem(item);
  std::optional<Temporal> t;
  if (const Temporal* x = std::get_if<Temporal>(&v)) t = *x;
  if (const std::string* s = std::get_if<std::string>(&v)) {
    t = kind == Temporal::Kind::kTime ? Temporal::ParseTime(*s) : Temporal::ParseDate(*s);
  }
  if (!t) return std::nullopt;
  if ((t->kind == Temporal::Kind::kTime) != (kind == Temporal::Kind::kTime)) return std::nullopt;
  if (kind == Temporal::Kind::kDate && t->precision > Temporal::Precision::kDay) {
    t->precision = Temporal::Precision::kDay;
    t->hour = t->minute = t->second = t->millisecond = 0;
    t->tz_offset_minutes.reset();
  }
  t->kind = kind;
  return t;
}

}  // namespace rhip::fhirpath::internal
