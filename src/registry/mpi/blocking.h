// Blocking: which stored records an incoming record is compared with. A record yields a set of
// exact keys, one or more per rule; two records are candidates when they share a key (the union of
// strict rules of docs/MPI.md — no fuzzy predicate here; the comparison levels do the fuzzy part).
//
// Keys are stored with every record (mpi_block) and looked up per incoming record, so they are
// persisted values: the hash and the rule numbers must never change. A change of rules is a new
// kBlockingVersion, and stores re-key with `rhip mpi dedupe`.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "registry/mpi/person_record.h"

namespace rhip::registry::mpi {

inline constexpr int kBlockingVersion = 1;

// Stored on disk (inside the key hash): do not renumber.
enum class BlockingRule : uint8_t {
  kResidentId = 1,        // the 18-character ID (or the digits given, at least 7)
  kPhone = 2,             // the normalised phone number
  kNameBirthDate = 3,     // each pinyin key of the full name + yyyymmdd (homophones, traditional)
  kNameBirthYear = 4,     // first pinyin key + yyyy (birth-date typos, swapped day and month)
  kBirthDateSexCounty = 5,  // yyyymmdd + sex + 6-digit division (name changed or mistyped)
  kFamilyBirthDate = 6,   // family-name pinyin + yyyymmdd (children's given names changed)
  kInitialsBirthYear = 7,  // pinyin initials + yyyy (one character and a date digit wrong)
  kNameDivision = 8,  // first pinyin key + division code as precise as given (birth date missing)
  kGivenBirthDate = 9,  // given-name pinyin + yyyymmdd (family name changed or mistyped)
};

// Stable 63-bit FNV-1a of the rule number and the key text (non-negative, so it fits a signed
// 64-bit SQL integer on both engines).
int64_t BlockingKeyHash(BlockingRule rule, std::string_view text);

// The distinct keys of a record, sorted. Empty when the record has nothing to block on.
// Thread-safe; allocates the result.
std::vector<int64_t> BlockingKeys(const PersonRecord& record);

}  // namespace rhip::registry::mpi
