// Which peer addresses a listener accepts: a list of IPv4/IPv6 addresses and CIDR ranges.
// IPv4 rules also match IPv4-mapped IPv6 peers (::ffff:a.b.c.d, as a dual-stack socket
// reports them).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace rhip::net::internal {

class AddressFilter {
 public:
  // Entries like "10.1.2.3", "10.0.0.0/8", "::1", "fd00::/8". An empty list allows every
  // address. kInvalid naming the bad entry otherwise.
  static absl::StatusOr<AddressFilter> Parse(const std::vector<std::string>& entries);

  // address in text form (a zone suffix "%eth0" is ignored); false when unparsable.
  bool Allows(std::string_view address) const;

 private:
  using Bytes = std::array<uint8_t, 16>;  // IPv6, IPv4 mapped into ::ffff:0:0/96
  struct Range {
    Bytes network;
    int prefix_bits;
  };
  static bool ToBytes(std::string_view text, Bytes* bytes, bool* is_v4);

  bool allow_all_ = true;
  std::vector<Range> ranges_;
};

}  // namespace rhip::net::internal
