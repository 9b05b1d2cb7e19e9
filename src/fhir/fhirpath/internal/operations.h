// Value semantics of FHIRPath: turning FHIR nodes into system values, equality,
// equivalence, ordering and arithmetic. Used by the evaluator and the functions.
#pragma once

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "fhir/fhirpath/fhirpath.h"

namespace rhip::fhirpath::internal {

// A system value; std::monostate for complex nodes and primitives without a value.
using SystemValue = std::variant<std::monostate, bool, int64_t, Decimal, std::string, Temporal,
                                 Quantity>;

SystemValue ToSystem(const Item& item);

// Whether the node is a FHIR primitive (or a system value), i.e. not a complex element.
bool IsPrimitiveItem(const Item& item);

// Item equality: true/false, or nullopt when it cannot be decided (date precision).
// The text of a string-like item (a System String, or a FHIR primitive held as a JSON string
// that is not a date or time), compared by plain equality; nullptr otherwise.
const std::string* PlainString(const Item& item);
std::optional<bool> ItemsEqual(const Item& a, const Item& b);
bool ItemsEquivalent(const Item& a, const Item& b);
// <0, 0, >0; nullopt when not comparable (different types, precision, units).
// An error when the operands can never be compared (e.g. a string and a number).
absl::StatusOr<std::optional<int>> CompareItems(const Item& a, const Item& b);

// Arithmetic operator on two single items ("+", "-", "*", "/", "div", "mod").
// nullopt for an empty result (division by zero, overflow, incompatible units).
absl::StatusOr<std::optional<Item>> Arithmetic(std::string_view op, const Item& a, const Item& b);

// Conversions following the FHIRPath toX() rules; nullopt when not convertible.
std::optional<std::string> ConvertToString(const Item& item);
std::optional<int64_t> ConvertToInteger(const Item& item);
std::optional<Decimal> ConvertToDecimal(const Item& item);
std::optional<bool> ConvertToBoolean(const Item& item);
std::optional<Quantity> ConvertToQuantity(const Item& item);
std::optional<Temporal> ConvertToTemporal(const Item& item, Temporal::Kind kind);

// The quantity in canonical units for comparison (g, m, s, ...), if the unit is known.
std::optional<Quantity> Canonical(const Quantity& q);
// Whether two quantities' units convert into each other (comparable()).
bool Comparable(const Quantity& a, const Quantity& b);

// lowBoundary() / highBoundary() (boundary.cc): the least / greatest value an imprecise
// decimal, quantity, date, dateTime or time may stand for, at `precision` digits (decimal
// places; for dates and times the digits of the written form: 4 year ... 17 milliseconds).
// nullopt (empty) for other items and precisions out of range.
std::optional<Item> Boundary(const Item& item, std::optional<int64_t> precision, bool high);

}  // namespace rhip::fhirpath::internal
