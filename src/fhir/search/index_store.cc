#include "fhir/search/index_store.h"

#include "core/status_macros.h"
#include "core/strings.h"

namespace rhip::fhir::search {

absl::Status InsertIndexRows(db::Session& s, int64_t rk, const IndexRows& rows) {
  for (const StringRow& r : rows.strings) {
    RETURN_IF_ERROR(s.Execute("INSERT INTO sp_string (p, norm, rk, exact) VALUES (:p, :n, :rk, :e)",
                              {{"p", r.key}, {"n", r.norm}, {"rk", rk}, {"e", r.exact}})
                        .status());
  }
  for (const TokenRow& r : rows.tokens) {
    RETURN_IF_ERROR(s.Execute("INSERT INTO sp_token (p, code, system, rk) VALUES (:p, :c, :s, :rk)",
                              {{"p", r.key}, {"c", r.code}, {"s", r.system}, {"rk", rk}})
                        .status());
  }
  for (const DateRow& r : rows.dates) {
    RETURN_IF_ERROR(s.Execute("INSERT INTO sp_date (p, lo, hi, rk) VALUES (:p, :lo, :hi, :rk)",
                              {{"p", r.key}, {"lo", r.lo}, {"hi", r.hi}, {"rk", rk}})
                        .status());
  }
  for (const NumberRow& r : rows.numbers) {
    RETURN_IF_ERROR(
        s.Execute("INSERT INTO sp_number (p, value, code, system, rk) VALUES (:p, :v, :c, :s, :rk)",
                  {{"p", r.key}, {"v", r.value}, {"c", r.code}, {"s", r.system}, {"rk", rk}})
            .status());
  }
  for (const ReferenceRow& r : rows.references) {
    RETURN_IF_ERROR(s.Execute("INSERT INTO sp_reference (p, ref, rk) VALUES (:p, :r, :rk)",
                              {{"p", r.key}, {"r", r.ref}, {"rk", rk}})
                        .status());
  }
  for (const UriRow& r : rows.uris) {
    RETURN_IF_ERROR(s.Execute("INSERT INTO sp_uri (p, value, rk) VALUES (:p, :v, :rk)",
                              {{"p", r.key}, {"v", r.value}, {"rk", rk}})
                        .status());
  }
  for (const CompositeRow& r : rows.composites) {
    RETURN_IF_ERROR(s.Execute("INSERT INTO sp_composite (p, c1, c2, lo, hi, s1, s2, rk) "
                              "VALUES (:p, :c1, :c2, :lo, :hi, :s1, :s2, :rk)",
                              {{"p", r.key}, {"c1", r.c1}, {"c2", r.c2}, {"lo", r.lo},
                               {"hi", r.hi}, {"s1", r.s1}, {"s2", r.s2}, {"rk", rk}})
                        .status());
  }
  return absl::OkStatus();
}

absl::Status DeleteIndexRows(db::Session& s, int64_t rk) {
  for (const char* table : kIndexTables) {
    RETURN_IF_ERROR(s.Execute(StrCat("DELETE FROM ", table, " WHERE rk = :rk"), {{"rk", rk}}).status());
  }
  return absl::OkStatus();
}

}  // namespace rhip::fhir::search
