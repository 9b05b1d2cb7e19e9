#include "core/testing/paths.h"

#include <cstdlib>

namespace rhip::testing {

std::string SharedDataDir() {
  const char* env = std::getenv("RHIP_SHARED_DATA");
  return env != nullptr ? env : RHIP_DEFAULT_SHARED_DATA;
}

std::string RhipBinary() {
  const char* env = std::getenv("RHIP_BINARY");
  return env != nullptr ? env : RHIP_DEFAULT_BINARY;
}

}  // namespace rhip::testing
