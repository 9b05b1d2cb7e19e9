// Where tests find the public test data and the rhip binary: the environment variables
// RHIP_SHARED_DATA and RHIP_BINARY when set, else the paths the build configured.
#pragma once

#include <string>

namespace rhip::testing {

std::string SharedDataDir();  // ../shared/data of the checkout
std::string RhipBinary();     // build/rhip

}  // namespace rhip::testing
