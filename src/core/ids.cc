#include "core/ids.h"

#include <openssl/rand.h>

#include <array>
#include <cstdint>
#include <cstdlib>

#include "core/clock.h"

namespace rhip {

std::string NewResourceId() {
  // 48 bits of milliseconds, then 80 random bits (as UUIDv7 does): new ids sort by creation
  // time, so the (type, id) index grows at its right edge instead of dirtying a random
  // leaf page per insert; 80 bits keep ids unguessable.
  // Random bytes are drawn 4 KiB at a time per thread: RAND_bytes per id costs a syscall.
  thread_local std::array<unsigned char, 4096> pool;
  thread_local size_t used = pool.size();
  if (used + 10 > pool.size()) {
    if (RAND_bytes(pool.data(), static_cast<int>(pool.size())) != 1) {
      // The CSPRNG failing means the machine is broken; ids must never repeat.
      std::abort();
    }
    used = 0;
  }
  const unsigned char* random = pool.data() + used;
  used += 10;
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(32);
  uint64_t millis = static_cast<uint64_t>(Clock::Real().Now() / 1000);
  for (int shift = 44; shift >= 0; shift -= 4) out.push_back(kHex[(millis >> shift) & 0xF]);
  for (int i = 0; i < 10; ++i) {
    out.push_back(kHex[random[i] >> 4]);
    out.push_back(kHex[random[i] & 0xF]);
  }
  return out;
}

bool IsValidFhirId(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '.';
    if (!ok) return false;
  }
  return true;
}

}  // namespace rhip
