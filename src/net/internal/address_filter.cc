#include "net/internal/address_filter.h"

#include <arpa/inet.h>

#include <cstring>

#include "absl/strings/numbers.h"
#include "core/error.h"
#include "core/strings.h"

namespace rhip::net::internal {
namespace {

bool InRange(const std::array<uint8_t, 16>& address, const std::array<uint8_t, 16>& network,
             int prefix_bits) {
  for (int i = 0; i < 16 && prefix_bits > 0; ++i, prefix_bits -= 8) {
    const uint8_t mask = prefix_bits >= 8 ? 0xFF : static_cast<uint8_t>(0xFF << (8 - prefix_bits));
    if ((address[i] & mask) != (network[i] & mask)) return false;
  }
  return true;
}

}  // namespace

bool AddressFilter::ToBytes(std::string_view text, Bytes* bytes, bool* is_v4) {
  const size_t zone = text.find('%');
  const std::string s(text.substr(0, zone));
  in_addr v4;
  if (inet_pton(AF_INET, s.c_str(), &v4) == 1) {
    bytes->fill(0);
    (*bytes)[10] = 0xFF;
    (*bytes)[11] = 0xFF;
    std::memcpy(bytes->data() + 12, &v4, 4);
    *is_v4 = true;
    return true;
  }
  *is_v4 = false;
  return inet_pton(AF_INET6, s.c_str(), bytes->data()) == 1;
}

absl::StatusOr<AddressFilter> AddressFilter::Parse(const std::vector<std::string>& entries) {
  AddressFilter filter;
  filter.allow_all_ = entries.empty();
  for (const std::string& entry : entries) {
    const auto bad = [&](std::string_view why) {
      return MakeError(ErrorKind::kInvalid,
                       StrCat("allowed source '", entry, "': ", why,
                              " (expected an IPv4/IPv6 address or a CIDR range like 10.0.0.0/8)"));
    };
    const size_t slash = entry.find('/');
    Range range;
    bool is_v4 = false;
    if (!ToBytes(std::string_view(entry).substr(0, slash), &range.network, &is_v4)) {
      return bad("not an IP address");
    }
    const int max_bits = is_v4 ? 32 : 128;
    int bits = max_bits;
    if (slash != std::string::npos &&
        (!absl::SimpleAtoi(ToAbsl(std::string_view(entry).substr(slash + 1)), &bits) || bits < 0 ||
         bits > max_bits)) {
      return bad(StrCat("prefix length must be 0 to ", max_bits));
    }
    range.prefix_bits = is_v4 ? bits + 96 : bits;
    filter.ranges_.push_back(range);
  }
  return filter;
}

bool AddressFilter::Allows(std::string_view address) const {
  if (allow_all_) return true;
  Bytes bytes;
  bool is_v4;
  if (!ToBytes(address, &bytes, &is_v4)) return false;
  for (const Range& range : ranges_) {
    if (InRange(bytes, range.network, range.prefix_bits)) return true;
  }
  return false;
}

}  // namespace rhip::net::internal
