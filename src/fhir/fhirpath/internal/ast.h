// The syntax tree the parser builds and the evaluator walks.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "fhir/fhirpath/fhirpath.h"

namespace rhip::fhir {
struct ElementInfo;
}

namespace rhip::fhirpath::internal {

// A member step's element, found at Compile() from the statically known type of its input
// (Observation.code: Observation's "code"), so that evaluation skips the name lookup when the
// input has that type.
struct MemberHint {
  const fhir::TypeInfo* parent = nullptr;
  const fhir::ElementInfo* element = nullptr;
};

enum class NodeKind {
  kLiteral,     // literal: a single item, or empty for {}
  kEmpty,       // {}
  kMember,      // children[0]? . name   (no child: on the implicit focus)
  kFunction,    // children[0]? . name(args...)  args = children[1..]
  kIndexer,     // children[0] [ children[1] ]
  kUnary,       // op children[0]   (op is "-" or "+")
  kBinary,      // children[0] op children[1]; for "|" any number of children (a union chain)
  kTypeOp,      // children[0] is|as type_name
  kThis,        // $this
  kIndex,       // $index
  kTotal,       // $total
  kVariable,    // %name
};

enum class Function {
  kEmpty, kExists, kAll, kAllTrue, kAnyTrue, kAllFalse, kAnyFalse, kSubsetOf, kSupersetOf,
  kCount, kDistinct, kIsDistinct, kWhere, kSelect, kRepeat, kOfType, kSingle, kFirst, kLast,
  kTail, kSkip, kTake, kIntersect, kExclude, kUnion, kCombine, kIif, kNot,
  kToBoolean, kConvertsToBoolean, kToInteger, kConvertsToInteger, kToDecimal, kConvertsToDecimal,
  kToString, kConvertsToString, kToDate, kConvertsToDate, kToDateTime, kConvertsToDateTime,
  kToTime, kConvertsToTime, kToQuantity, kConvertsToQuantity,
  kIndexOf, kSubstring, kStartsWith, kEndsWith, kContains, kUpper, kLower, kReplace, kMatches, kMatchesFull,
  kReplaceMatches, kLength, kToChars, kTrim, kSplit, kJoin, kEncode, kDecode, kEscape, kUnescape,
  kAbs, kCeiling, kExp, kFloor, kLn, kLog, kPower, kRound, kSqrt, kTruncate,
  kChildren, kDescendants, kTrace, kNow, kToday, kTimeOfDay, kIs, kAs, kType, kAggregate,
  kExtension, kHasValue, kResolve, kMemberOf, kConformsTo, kHtmlChecks, kLowBoundary,
  kHighBoundary, kPrecision, kSort, kGetValue, kComparable,
};

// A function's identity and arity, from the function table in parser.cc. Which arguments
// are evaluated per input item (where, select, ...) is up to each function in functions.cc.
struct FunctionInfo {
  Function id;
  int min_args;
  int max_args;
};

// nullptr for an unknown name.
const FunctionInfo* FindFunction(std::string_view name);

struct AstNode {
  NodeKind kind;
  size_t pos = 0;  // offset in the expression text, for error messages
  std::string name;  // member, function, operator, variable or type name
  Function function = Function::kEmpty;
  std::optional<Item> literal;
  std::vector<std::unique_ptr<AstNode>> children;
  // For matches()/replaceMatches() with a literal pattern: compiled once at compile time.
  std::shared_ptr<const std::regex> regex;
  // kMember without a source and with a capitalised name ("Patient" in Patient.name): a type
  // filter on a resource focus. type_ref is that type in the structure model, if it has it.
  bool leading_type = false;
  const fhir::TypeInfo* type_ref = nullptr;
  MemberHint hint;  // kMember
  // Union chain: per child, the resource type its leading type name requires of a resource
  // focus (nullptr: none), for children that are empty whenever that filter is. Lets
  // "Patient.name | Practitioner.name | ..." evaluate only the branch for the focus type.
  std::vector<const fhir::TypeInfo*> branch_types;
};

// A FHIRPath regular expression (ECMAScript syntax, single-line mode: '.' also matches a
// newline, which std::regex cannot be told). Throws std::regex_error.
std::shared_ptr<const std::regex> MakeRegex(std::string_view pattern);

// Parses `text` into a syntax tree (no semantic checks beyond function names and arity).
absl::StatusOr<std::unique_ptr<AstNode>> Parse(std::string_view text);

}  // namespace rhip::fhirpath::internal
