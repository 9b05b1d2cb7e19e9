#include "net/internal/address_filter.h"

#include "gtest/gtest.h"

namespace rhip::net::internal {
namespace {

TEST(AddressFilterTest, EmptyListAllowsEveryone) {
  auto filter = AddressFilter::Parse({});
  ASSERT_TRUE(filter.ok());
  EXPECT_TRUE(filter->Allows("203.0.113.7"));
  EXPECT_TRUE(filter->Allows("2001:db8::1"));
}

TEST(AddressFilterTest, AddressesAndRanges) {
  auto filter = AddressFilter::Parse({"10.0.0.0/8", "192.168.1.20", "2001:db8::/32", "::1"});
  ASSERT_TRUE(filter.ok()) << filter.status();
  EXPECT_TRUE(filter->Allows("10.255.1.2"));
  EXPECT_FALSE(filter->Allows("11.0.0.1"));
  EXPECT_TRUE(filter->Allows("192.168.1.20"));
  EXPECT_FALSE(filter->Allows("192.168.1.21"));
  EXPECT_TRUE(filter->Allows("2001:db8:ffff::5"));
  EXPECT_FALSE(filter->Allows("2001:db9::5"));
  EXPECT_TRUE(filter->Allows("::1"));
  EXPECT_FALSE(filter->Allows("127.0.0.1"));
  // A dual-stack socket reports IPv4 peers as mapped IPv6 addresses.
  EXPECT_TRUE(filter->Allows("::ffff:10.1.2.3"));
  EXPECT_FALSE(filter->Allows("::ffff:11.1.2.3"));
  EXPECT_TRUE(filter->Allows("2001:db8::1%eth0"));
  EXPECT_FALSE(filter->Allows("not an address"));
}

TEST(AddressFilterTest, OddPrefixLengths) {
  auto filter = AddressFilter::Parse({"172.16.0.0/12", "0.0.0.0/0"});
  ASSERT_TRUE(filter.ok());
  EXPECT_TRUE(filter->Allows("1.2.3.4"));  // /0 is everything IPv4
  EXPECT_FALSE(filter->Allows("2001:db8::1"));
  auto narrow = AddressFilter::Parse({"172.16.0.0/12"});
  ASSERT_TRUE(narrow.ok());
  EXPECT_TRUE(narrow->Allows("172.31.255.255"));
  EXPECT_FALSE(narrow->Allows("172.32.0.0"));
}

TEST(AddressFilterTest, BadEntriesAreNamed) {
  for (const char* bad : {"10.0.0.0/33", "::/129", "10.0.0.0/", "10.0.0/8", "host.example", "",
                          "10.0.0.0/-1", "10.0.0.0/8x"}) {
    auto filter = AddressFilter::Parse({bad});
    EXPECT_FALSE(filter.ok()) << bad;
    if (!filter.ok()) {
      EXPECT_NE(filter.status().message().find(std::string("'") + bad + "'"), std::string::npos);
    }
  }
}

}  // namespace
}  // namespace rhip::net::internal
