// Lexer and recursive-descent parser for the FHIRPath grammar (precedence as in the
// specification's ANTLR grammar, lowest first: implies; or xor; and; in contains;
// = ~ != !~; < > <= >=; |; is as; + - &; * / div mod; unary + -; . [] invocation).
#include <cctype>
#include <charconv>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/text_scan.h"
#include "absl/strings/str_cat.h"
#include "core/error.h"
#include "core/strings.h"
#include "core/status_macros.h"
#include "fhir/fhirpath/fhirpath.h"
#include "fhir/fhirpath/internal/ast.h"

namespace rhip::fhirpath {
namespace internal {
namespace {

// Bounds that keep parsing and evaluation within the stack on hostile input; real
// expressions (search parameters, invariants) are far below them.
constexpr int kMaxDepth = 256;
constexpr size_t kMaxExpressionLength = 16 * 1024;

constexpr std::pair<std::string_view, FunctionInfo> kFunctions[] = {
    {"empty", {Function::kEmpty, 0, 0}},
    {"exists", {Function::kExists, 0, 1}},
    {"all", {Function::kAll, 1, 1}},
    {"allTrue", {Function::kAllTrue, 0, 0}},
    {"anyTrue", {Function::kAnyTrue, 0, 0}},
    {"allFalse", {Function::kAllFalse, 0, 0}},
    {"anyFalse", {Function::kAnyFalse, 0, 0}},
    {"subsetOf", {Function::kSubsetOf, 1, 1}},
    {"supersetOf", {Function::kSupersetOf, 1, 1}},
    {"count", {Function::kCount, 0, 0}},
    {"distinct", {Function::kDistinct, 0, 0}},
    {"isDistinct", {Function::kIsDistinct, 0, 0}},
    {"where", {Function::kWhere, 1, 1}},
    {"select", {Function::kSelect, 1, 1}},
    {"repeat", {Function::kRepeat, 1, 1}},
    {"ofType", {Function::kOfType, 1, 1}},
    {"single", {Function::kSingle, 0, 0}},
    {"first", {Function::kFirst, 0, 0}},
    {"last", {Function::kLast, 0, 0}},
    {"tail", {Function::kTail, 0, 0}},
    {"skip", {Function::kSkip, 1, 1}},
    {"take", {Function::kTake, 1, 1}},
    {"intersect", {Function::kIntersect, 1, 1}},
    {"exclude", {Function::kExclude, 1, 1}},
    {"union", {Function::kUnion, 1, 1}},
    {"combine", {Function::kCombine, 1, 1}},
    {"iif", {Function::kIif, 2, 3}},
    {"not", {Function::kNot, 0, 0}},
    {"toBoolean", {Function::kToBoolean, 0, 0}},
    {"convertsToBoolean", {Function::kConvertsToBoolean, 0, 0}},
    {"toInteger", {Function::kToInteger, 0, 0}},
    {"convertsToInteger", {Function::kConvertsToInteger, 0, 0}},
    {"toDecimal", {Function::kToDecimal, 0, 0}},
    {"convertsToDecimal", {Function::kConvertsToDecimal, 0, 0}},
    {"toString", {Function::kToString, 0, 0}},
    {"convertsToString", {Function::kConvertsToString, 0, 0}},
    {"toDate", {Function::kToDate, 0, 0}},
    {"convertsToDate", {Function::kConvertsToDate, 0, 0}},
    {"toDateTime", {Function::kToDateTime, 0, 0}},
    {"convertsToDateTime", {Function::kConvertsToDateTime, 0, 0}},
    {"toTime", {Function::kToTime, 0, 0}},
    {"convertsToTime", {Function::kConvertsToTime, 0, 0}},
    {"toQuantity", {Function::kToQuantity, 0, 1}},
    {"convertsToQuantity", {Function::kConvertsToQuantity, 0, 1}},
    {"indexOf", {Function::kIndexOf, 1, 1}},
    {"substring", {Function::kSubstring, 1, 2}},
    {"startsWith", {Function::kStartsWith, 1, 1}},
    {"endsWith", {Function::kEndsWith, 1, 1}},
    {"contains", {Function::kContains, 1, 1}},
    {"upper", {Function::kUpper, 0, 0}},
    {"lower", {Function::kLower, 0, 0}},
    {"replace", {Function::kReplace, 2, 2}},
    {"matches", {Function::kMatches, 1, 1}},
    {"matchesFull", {Function::kMatchesFull, 1, 1}},
    {"replaceMatches", {Function::kReplaceMatches, 2, 2}},
    {"length", {Function::kLength, 0, 0}},
    {"toChars", {Function::kToChars, 0, 0}},
    {"trim", {Function::kTrim, 0, 0}},
    {"split", {Function::kSplit, 1, 1}},
    {"join", {Function::kJoin, 0, 1}},
    {"encode", {Function::kEncode, 1, 1}},
    {"decode", {Function::kDecode, 1, 1}},
    {"escape", {Function::kEscape, 1, 1}},
    {"unescape", {Function::kUnescape, 1, 1}},
    {"abs", {Function::kAbs, 0, 0}},
    {"ceiling", {Function::kCeiling, 0, 0}},
    {"exp", {Function::kExp, 0, 0}},
    {"floor", {Function::kFloor, 0, 0}},
    {"ln", {Function::kLn, 0, 0}},
    {"log", {Function::kLog, 1, 1}},
    {"power", {Function::kPower, 1, 1}},
    {"round", {Function::kRound, 0, 1}},
    {"sqrt", {Function::kSqrt, 0, 0}},
    {"truncate", {Function::kTruncate, 0, 0}},
    {"children", {Function::kChildren, 0, 0}},
    {"descendants", {Function::kDescendants, 0, 0}},
    {"trace", {Function::kTrace, 1, 2}},
    {"now", {Function::kNow, 0, 0}},
    {"today", {Function::kToday, 0, 0}},
    {"timeOfDay", {Function::kTimeOfDay, 0, 0}},
    {"is", {Function::kIs, 1, 1}},
    {"as", {Function::kAs, 1, 1}},
    {"type", {Function::kType, 0, 0}},
    {"aggregate", {Function::kAggregate, 1, 2}},
    {"extension", {Function::kExtension, 1, 1}},
    {"hasValue", {Function::kHasValue, 0, 0}},
    {"resolve", {Function::kResolve, 0, 0}},
    {"memberOf", {Function::kMemberOf, 1, 1}},
    {"conformsTo", {Function::kConformsTo, 1, 1}},
    {"comparable", {Function::kComparable, 1, 1}},
    {"lowBoundary", {Function::kLowBoundary, 0, 1}},
    {"highBoundary", {Function::kHighBoundary, 0, 1}},
    {"precision", {Function::kPrecision, 0, 0}},
    {"sort", {Function::kSort, 0, 8}},
};

// Functions whose single argument is a type specifier, not an expression.
bool TakesTypeArgument(Function f) {
  return f == Function::kOfType || f == Function::kIs || f == Function::kAs;
}

enum class Tok {
  kEnd, kIdentifier, kDelimitedIdentifier, kString, kNumber, kDate, kTime, kDollar, kPercent,
  kOp,  // punctuation and symbolic operators; text holds it
};

struct Token {
  Tok kind = Tok::kEnd;
  std::string text;  // decoded for strings and delimited identifiers
  size_t pos = 0;
};

absl::Status SyntaxError(size_t pos, std::string_view message) {
  return MakeError(ErrorKind::kInvalid,
                   absl::StrCat("FHIRPath syntax error at offset ", pos, ": ", ToAbsl(message)));
}

bool IsIdentStart(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool IsIdentChar(char c) { return IsIdentStart(c) || IsAsciiDigit(c); }

class Lexer {
 public:
  explicit Lexer(std::string_view s) : s_(s) {}

  absl::StatusOr<std::vector<Token>> Run() {
    std::vector<Token> out;
    while (true) {
      RETURN_IF_ERROR(SkipSpaceAndComments());
      Token t;
      t.pos = i_;
      if (i_ >= s_.size()) {
        out.push_back(std::move(t));
        return out;
      }
      RETURN_IF_ERROR(Next(&t));
      out.push_back(std::move(t));
    }
  }

 private:
  absl::Status SkipSpaceAndComments() {
    while (i_ < s_.size()) {
      char c = s_[i_];
      if (std::isspace(static_cast<unsigned char>(c))) {
        ++i_;
      } else if (s_.substr(i_, 2) == "//") {
        while (i_ < s_.size() && s_[i_] != '\n') ++i_;
      } else if (s_.substr(i_, 2) == "/*") {
        size_t end = s_.find("*/", i_ + 2);
        if (end == std::string_view::npos) return SyntaxError(i_, "unterminated comment");
        i_ = end + 2;
      } else {
        break;
      }
    }
    return absl::OkStatus();
  }

  absl::Status Next(Token* t) {
    char c = s_[i_];
    if (IsIdentStart(c)) {
      size_t start = i_;
      while (i_ < s_.size() && IsIdentChar(s_[i_])) ++i_;
      t->kind = Tok::kIdentifier;
      t->text = std::string(s_.substr(start, i_ - start));
      return absl::OkStatus();
    }
    if (IsAsciiDigit(c)) {
      size_t start = i_;
      while (i_ < s_.size() && IsAsciiDigit(s_[i_])) ++i_;
      if (i_ + 1 < s_.size() && s_[i_] == '.' && IsAsciiDigit(s_[i_ + 1])) {
        ++i_;
        while (i_ < s_.size() && IsAsciiDigit(s_[i_])) ++i_;
      }
      t->kind = Tok::kNumber;
      t->text = std::string(s_.substr(start, i_ - start));
      return absl::OkStatus();
    }
    switch (c) {
      case '\'':
        t->kind = Tok::kString;
        return Quoted('\'', &t->text);
      case '`':
        t->kind = Tok::kDelimitedIdentifier;
        return Quoted('`', &t->text);
      case '@':
        return DateTime(t);
      case '$':
        ++i_;
        t->kind = Tok::kDollar;
        return absl::OkStatus();
      case '%':
        ++i_;
        t->kind = Tok::kPercent;
        return absl::OkStatus();
      default:
        break;
    }
    static constexpr std::string_view kTwo[] = {"!=", "!~", "<=", ">="};
    for (std::string_view op : kTwo) {
      if (s_.substr(i_, 2) == op) {
        t->kind = Tok::kOp;
        t->text = std::string(op);
        i_ += 2;
        return absl::OkStatus();
      }
    }
    if (std::string_view(".[](),+-*/&|=~<>{}").find(c) != std::string_view::npos) {
      t->kind = Tok::kOp;
      t->text = std::string(1, c);
      ++i_;
      return absl::OkStatus();
    }
    return SyntaxError(i_, absl::StrCat("unexpected character '", std::string(1, c), "'"));
  }

  absl::Status Quoted(char quote, std::string* out) {
    size_t start = i_++;
    while (i_ < s_.size() && s_[i_] != quote) {
      char c = s_[i_++];
      if (c != '\\') {
        out->push_back(c);
        continue;
      }
      if (i_ >= s_.size()) break;
      char e = s_[i_++];
      switch (e) {
        case 'n': out->push_back('\n'); break;
        case 'r': out->push_back('\r'); break;
        case 't': out->push_back('\t'); break;
        case 'f': out->push_back('\f'); break;
        case 'u': {
          if (i_ + 4 > s_.size()) return SyntaxError(i_, "truncated \\u escape");
          unsigned cp = 0;
          for (int k = 0; k < 4; ++k) {
            int h = HexDigitValue(s_[i_++]);
            if (h < 0) return SyntaxError(i_, "invalid \\u escape");
            cp = cp * 16 + static_cast<unsigned>(h);
          }
          AppendUtf8(cp, out);
          break;
        }
        default: out->push_back(e); break;  // \' \" \` \\ \/
      }
    }
    if (i_ >= s_.size()) return SyntaxError(start, "unterminated string");
    ++i_;
    return absl::OkStatus();
  }

  size_t Digits() {
    size_t n = 0;
    while (i_ < s_.size() && IsAsciiDigit(s_[i_])) ++i_, ++n;
    return n;
  }

  bool Accept(char c) {
    if (i_ < s_.size() && s_[i_] == c) {
      ++i_;
      return true;
    }
    return false;
  }

  // hh(:mm(:ss(.fff)?)?)?  — the caller has consumed 'T'.
  void TimePart() {
    if (Digits() != 2) return;
    size_t save = i_;
    if (Accept(':') && Digits() == 2) {
      save = i_;
      if (Accept(':') && Digits() == 2) {
        save = i_;
        if (Accept('.') && Digits() > 0) save = i_;
      }
    }
    i_ = save;
  }

  void TimeZone() {
    if (Accept('Z')) return;
    if (i_ < s_.size() && (s_[i_] == '+' || s_[i_] == '-')) {
      size_t save = i_++;
      if (Digits() == 2 && Accept(':') && Digits() == 2) return;
      i_ = save;
    }
  }

  // @YYYY(-MM(-DD)?)?(T time? tz?)?  or  @T time.  Validated later by Temporal::Parse*.
  absl::Status DateTime(Token* t) {
    size_t start = ++i_;
    if (Accept('T')) {
      TimePart();
      t->kind = Tok::kTime;
      t->text = std::string(s_.substr(start + 1, i_ - start - 1));
      return absl::OkStatus();
    }
    if (Digits() != 4) return SyntaxError(start, "invalid date literal");
    size_t save = i_;
    if (Accept('-') && Digits() == 2) {
      save = i_;
      if (Accept('-') && Digits() == 2) save = i_;
    }
    i_ = save;
    if (Accept('T')) {
      TimePart();
      TimeZone();
    }
    t->kind = Tok::kDate;
    t->text = std::string(s_.substr(start, i_ - start));
    return absl::OkStatus();
  }

  std::string_view s_;
  size_t i_ = 0;
};

using Ptr = std::unique_ptr<AstNode>;

Ptr MakeNode(NodeKind kind, size_t pos, std::string name = {}) {
  auto n = std::make_unique<AstNode>();
  n->kind = kind;
  n->pos = pos;
  n->name = std::move(name);
  return n;
}

class Parser {
 public:
  explicit Parser(std::vector<Token> tokens) : t_(std::move(tokens)) {}

  absl::StatusOr<Ptr> ParseAll() {
    ASSIGN_OR_RETURN(Ptr e, Expr(0));
    if (Peek().kind != Tok::kEnd) return SyntaxError(Peek().pos, "unexpected '" + Peek().text + "'");
    return e;
  }

 private:
  const Token& Peek(size_t ahead = 0) const { return t_[std::min(k_ + ahead, t_.size() - 1)]; }
  bool IsOp(std::string_view op) const { return Peek().kind == Tok::kOp && Peek().text == op; }
  bool IsWord(std::string_view w) const {
    return Peek().kind == Tok::kIdentifier && Peek().text == w;
  }
  absl::Status Expect(std::string_view op) {
    if (!IsOp(op)) return SyntaxError(Peek().pos, absl::StrCat("expected '", ToAbsl(op), "'"));
    ++k_;
    return absl::OkStatus();
  }

  // Binary operator levels, lowest precedence first.
  static constexpr int kLevels = 10;
  bool MatchOperator(int level, std::string* op) const {
    // Level kTypeLevel (is, as) takes a type name on its right and is handled in Expr().
    static const std::vector<std::string_view> kOps[kLevels] = {
        {"implies"}, {"or", "xor"}, {"and"}, {"in", "contains"}, {"=", "~", "!=", "!~"},
        {"<", ">", "<=", ">="}, {"|"}, {}, {"+", "-", "&"}, {"*", "/", "div", "mod"}};
    const Token& t = Peek();
    if (t.kind != Tok::kOp && t.kind != Tok::kIdentifier) return false;
    for (std::string_view o : kOps[level]) {
      if (t.text == o) {
        *op = t.text;
        return true;
      }
    }
    return false;
  }

  static constexpr int kTypeLevel = 7;

  absl::StatusOr<Ptr> Expr(int level) {
    if (level == 0) {
      // Parentheses, arguments and indexers recurse here: bound the stack.
      if (depth_ >= kMaxDepth) return SyntaxError(Peek().pos, "expression nested too deeply");
      ++depth_;
      absl::StatusOr<Ptr> e = Level(0);
      --depth_;
      return e;
    }
    return Level(level);
  }

  absl::StatusOr<Ptr> Level(int level) {
    if (level == kLevels) return Unary();
    ASSIGN_OR_RETURN(Ptr left, Expr(level + 1));
    while (true) {
      std::string op;
      if (level == kTypeLevel && (IsWord("is") || IsWord("as"))) {
        ASSIGN_OR_RETURN(left, TypeOp(std::move(left)));
        continue;
      }
      if (!MatchOperator(level, &op)) return left;
      size_t pos = Peek().pos;
      ++k_;
      ASSIGN_OR_RETURN(Ptr right, Expr(level + 1));
      Ptr n = MakeNode(NodeKind::kBinary, pos, op);
      n->children.push_back(std::move(left));
      n->children.push_back(std::move(right));
      left = std::move(n);
    }
  }

  absl::StatusOr<Ptr> TypeOp(Ptr left) {
    Token op = Peek();
    ++k_;
    ASSIGN_OR_RETURN(std::string type, QualifiedName());
    Ptr n = MakeNode(NodeKind::kTypeOp, op.pos, op.text);
    n->children.push_back(std::move(left));
    n->children.push_back(MakeNode(NodeKind::kMember, op.pos, std::move(type)));
    return n;
  }

  absl::StatusOr<std::string> QualifiedName() {
    std::string name;
    while (true) {
      if (Peek().kind != Tok::kIdentifier && Peek().kind != Tok::kDelimitedIdentifier) {
        return SyntaxError(Peek().pos, "type name expected");
      }
      absl::StrAppend(&name, Peek().text);
      ++k_;
      if (!IsOp(".") || (Peek(1).kind != Tok::kIdentifier &&
                         Peek(1).kind != Tok::kDelimitedIdentifier)) {
        return name;
      }
      ++k_;
      name.push_back('.');
    }
  }

  absl::StatusOr<Ptr> Unary() {
    if (IsOp("-") || IsOp("+")) {
      size_t pos = Peek().pos;
      std::string op = Peek().text;
      ++k_;
      if (++depth_ > kMaxDepth) return SyntaxError(pos, "expression nested too deeply");
      absl::StatusOr<Ptr> operand_or = Unary();
      --depth_;
      ASSIGN_OR_RETURN(Ptr operand, std::move(operand_or));
      Ptr n = MakeNode(NodeKind::kUnary, pos, op);
      n->children.push_back(std::move(operand));
      return n;
    }
    return Postfix();
  }

  absl::StatusOr<Ptr> Postfix() {
    ASSIGN_OR_RETURN(Ptr e, Term());
    while (true) {
      if (IsOp(".")) {
        ++k_;
        ASSIGN_OR_RETURN(e, Invocation(std::move(e)));
      } else if (IsOp("[")) {
        size_t pos = Peek().pos;
        ++k_;
        ASSIGN_OR_RETURN(Ptr index, Expr(0));
        RETURN_IF_ERROR(Expect("]"));
        Ptr n = MakeNode(NodeKind::kIndexer, pos);
        n->children.push_back(std::move(e));
        n->children.push_back(std::move(index));
        e = std::move(n);
      } else {
        return e;
      }
    }
  }

  // identifier | function(args) | $this | $index | $total, applied to `source` (may be null).
  absl::StatusOr<Ptr> Invocation(Ptr source) {
    const Token& t = Peek();
    size_t pos = t.pos;
    if (t.kind == Tok::kDollar) {
      ++k_;
      if (Peek().kind != Tok::kIdentifier) return SyntaxError(pos, "expected $this, $index or $total");
      std::string w = Peek().text;
      ++k_;
      NodeKind kind;
      if (w == "this") {
        kind = NodeKind::kThis;
      } else if (w == "index") {
        kind = NodeKind::kIndex;
      } else if (w == "total") {
        kind = NodeKind::kTotal;
      } else {
        return SyntaxError(pos, "unknown $" + w);
      }
      if (source) return SyntaxError(pos, "$" + w + " cannot follow '.'");
      return MakeNode(kind, pos);
    }
    if (t.kind != Tok::kIdentifier && t.kind != Tok::kDelimitedIdentifier) {
      return SyntaxError(pos, "identifier expected");
    }
    std::string name = t.text;
    bool delimited = t.kind == Tok::kDelimitedIdentifier;
    ++k_;
    if (delimited || !IsOp("(")) {
      Ptr n = MakeNode(NodeKind::kMember, pos, std::move(name));
      if (source) n->children.push_back(std::move(source));
      return n;
    }
    ++k_;
    const FunctionInfo* info = FindFunction(name);
    if (info == nullptr) {
      return MakeError(ErrorKind::kInvalid, absl::StrCat("FHIRPath error at offset ", pos,
                                                         ": unknown function '", name, "'"));
    }
    Ptr n = MakeNode(NodeKind::kFunction, pos, std::move(name));
    n->function = info->id;
    n->children.push_back(std::move(source));  // may be null: the implicit focus
    if (!IsOp(")")) {
      while (true) {
        if (TakesTypeArgument(info->id)) {
          size_t arg_pos = Peek().pos;
          ASSIGN_OR_RETURN(std::string type, QualifiedName());
          n->children.push_back(MakeNode(NodeKind::kMember, arg_pos, std::move(type)));
        } else {
          ASSIGN_OR_RETURN(Ptr arg, Expr(0));
          n->children.push_back(std::move(arg));
        }
        if (!IsOp(",")) break;
        ++k_;
      }
    }
    RETURN_IF_ERROR(Expect(")"));
    int args = static_cast<int>(n->children.size()) - 1;
    if (args < info->min_args || args > info->max_args) {
      return MakeError(ErrorKind::kInvalid,
                       absl::StrCat("FHIRPath error at offset ", pos, ": wrong number of arguments to ",
                                    n->name, "()"));
    }
    return n;
  }

  absl::StatusOr<Ptr> Literal(size_t pos, Item item) {
    Ptr n = MakeNode(NodeKind::kLiteral, pos);
    n->literal.emplace(std::move(item));
    return n;
  }

  absl::StatusOr<Ptr> Term() {
    Token t = Peek();
    switch (t.kind) {
      case Tok::kEnd:
        return SyntaxError(t.pos, "unexpected end of expression");
      case Tok::kString:
        ++k_;
        return Literal(t.pos, Item(std::move(t.text)));
      case Tok::kNumber: {
        ++k_;
        std::optional<Decimal> d = Decimal::Parse(t.text);
        if (!d) return SyntaxError(t.pos, "invalid number");
        // A number followed by a unit string or calendar keyword is a quantity.
        if (Peek().kind == Tok::kString ||
            (Peek().kind == Tok::kIdentifier && IsCalendarUnit(Peek().text))) {
          std::string unit = Peek().text;
          ++k_;
          return Literal(t.pos, Item(Quantity{*d, std::move(unit)}));
        }
        if (t.text.find('.') == std::string::npos) {
          int64_t n = 0;
          auto [end, ec] = std::from_chars(t.text.data(), t.text.data() + t.text.size(), n);
          if (ec != std::errc()) return SyntaxError(t.pos, "integer literal out of range");
          return Literal(t.pos, Item(n));
        }
        return Literal(t.pos, Item(*d));
      }
      case Tok::kDate: {
        ++k_;
        std::optional<Temporal> v = Temporal::ParseDate(t.text);
        if (!v) return SyntaxError(t.pos, "invalid date/time literal @" + t.text);
        return Literal(t.pos, Item(*v));
      }
      case Tok::kTime: {
        ++k_;
        std::optional<Temporal> v = Temporal::ParseTime(t.text);
        if (!v) return SyntaxError(t.pos, "invalid time literal @T" + t.text);
        return Literal(t.pos, Item(*v));
      }
      case Tok::kPercent: {
        ++k_;
        const Token& name = Peek();
        if (name.kind != Tok::kIdentifier && name.kind != Tok::kDelimitedIdentifier &&
            name.kind != Tok::kString) {
          return SyntaxError(t.pos, "variable name expected after %");
        }
        Ptr n = MakeNode(NodeKind::kVariable, t.pos, name.text);
        ++k_;
        return n;
      }
      case Tok::kOp:
        if (t.text == "(") {
          ++k_;
          ASSIGN_OR_RETURN(Ptr e, Expr(0));
          RETURN_IF_ERROR(Expect(")"));
          return e;
        }
        if (t.text == "{") {
          ++k_;
          RETURN_IF_ERROR(Expect("}"));
          return MakeNode(NodeKind::kEmpty, t.pos);
        }
        return SyntaxError(t.pos, "unexpected '" + t.text + "'");
      case Tok::kIdentifier:
        if (t.text == "true" || t.text == "false") {
          ++k_;
          return Literal(t.pos, Item(t.text == "true"));
        }
        return Invocation(nullptr);
      default:
        return Invocation(nullptr);
    }
  }

  std::vector<Token> t_;
  size_t k_ = 0;
  int depth_ = 0;
};

// The syntax tree's depth without recursion (left-nested chains such as a.b.c... or 1+1+...
// are built by loops, so the parser's own guard does not see them).
size_t TreeDepth(const AstNode& root) {
  size_t max_depth = 0;
  std::vector<std::pair<const AstNode*, size_t>> stack = {{&root, 1}};
  while (!stack.empty()) {
    auto [node, depth] = stack.back();
    stack.pop_back();
    max_depth = std::max(max_depth, depth);
    for (const auto& c : node->children) {
      if (c) stack.push_back({c.get(), depth + 1});
    }
  }
  return max_depth;
}

}  // namespace

const FunctionInfo* FindFunction(std::string_view name) {
  for (const auto& [n, info] : kFunctions) {
    if (n == name) return &info;
  }
  return nullptr;
}

absl::StatusOr<std::unique_ptr<AstNode>> Parse(std::string_view text) {
  if (text.size() > kMaxExpressionLength) {
    return SyntaxError(0, absl::StrCat("expression longer than ", kMaxExpressionLength, " bytes"));
  }
  ASSIGN_OR_RETURN(std::vector<Token> tokens, Lexer(text).Run());
  ASSIGN_OR_RETURN(std::unique_ptr<AstNode> root, Parser(std::move(tokens)).ParseAll());
  // The evaluator recurses along the tree.
  if (TreeDepth(*root) > kMaxDepth) return SyntaxError(0, "expression nested too deeply");
  return root;
}

}  // namespace internal
}  // namespace rhip::fhirpath
