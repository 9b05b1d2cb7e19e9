#include "core/ids.h"

#include <set>
#include <string>

#include "gtest/gtest.h"

namespace rhip {
namespace {

TEST(IdsTest, NewIdsAreValidUniqueAndSortByCreation) {
  std::set<std::string> seen;
  std::string previous;
  for (int i = 0; i < 100000; ++i) {
    std::string id = NewResourceId();
    ASSERT_EQ(id.size(), 32u);
    ASSERT_TRUE(IsValidFhirId(id)) << id;
    ASSERT_TRUE(seen.insert(id).second) << "repeated id " << id;
    // The 12-character time prefix never goes backwards.
    if (!previous.empty()) {
      ASSERT_GE(id.substr(0, 12), previous.substr(0, 12));
    }
    previous = id;
  }
}

TEST(IdsTest, ValidatesFhirIds) {
  EXPECT_TRUE(IsValidFhirId("zhang-san.1"));
  EXPECT_FALSE(IsValidFhirId(""));
  EXPECT_FALSE(IsValidFhirId("bad$id"));
  EXPECT_FALSE(IsValidFhirId(std::string(65, 'a')));
  EXPECT_TRUE(IsValidFhirId(std::string(64, 'a')));
}

}  // namespace
}  // namespace rhip
