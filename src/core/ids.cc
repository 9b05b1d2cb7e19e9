#include "core/ids.h"

#include <openssl/rand.h>

#include <array>
#include <cstdlib>

namespace rhip {

std::string NewResourceId() {
  // Random bytes are drawn 4 KiB at a time per thread: RAND_bytes per id costs a syscall.
  thread_local std::array<unsigned char, 4096> pool;
  thread_local size_t used = pool.size();
  if (used + 16 > pool.size()) {
    if (RAND_bytes(pool.data(), static_cast<int>(pool.size())) != 1) {
      // The CSPRNG failing means the machine is broken; ids must never repeat.
      std::abort();
    }
    used = 0;
  }
  const unsigned char* bytes = pool.data() + used;
  used += 16;
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(32);
  for (int i = 0; i < 16; ++i) {
    unsigned char b = bytes[i];
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 0xF]);
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
