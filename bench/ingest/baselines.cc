#include "bench/ingest/baselines.h"

#include <fcntl.h>
#include <unistd.h>

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "bench/ingest/load.h"
#include "bench/ingest/timing.h"
#include "core/status_macros.h"

namespace rhip::bench {
absl::StatusOr<double> RawIngestRate(const std::string& dir,
                                     const std::vector<RawTransaction>& txs,
                                     const RawOptions& options) {
  ASSIGN_OR_RETURN(auto store, RawStore::Create(dir, options));
  size_t resources = 0;
  const auto start = SteadyClock::now();
  for (const RawTransaction& tx : txs) {
    RETURN_IF_ERROR(store->Commit(tx));
    resources += tx.size();
  }
  RETURN_IF_ERROR(store->Finish());
  return resources / SecondsSince(start);
}

absl::StatusOr<double> RawSmallTxRate(const std::string& dir, double seconds) {
  ASSIGN_OR_RETURN(auto store, RawStore::Create(dir));
  const auto start = SteadyClock::now();
  size_t n = 0;
  for (; SecondsSince(start) < seconds; ++n) {
    RETURN_IF_ERROR(store->Commit(RawTransactionOf(SmallTransactionBundle())));
  }
  return n / SecondsSince(start);
}

absl::StatusOr<double> FdatasyncRate(const std::string& dir, double seconds) {
  constexpr int kPages = 256;
  constexpr ssize_t kPage = 4096;
  const std::string path = dir + "/fdatasync.probe";
  std::filesystem::create_directories(dir);
  int fd = open(path.c_str(), O_CREAT | O_TRUNC | O_WRONLY, 0644);
  if (fd < 0) return absl::InternalError(absl::StrCat("cannot create ", path));
  const std::string page(kPage, 'x');
  bool ok = true;
  for (int i = 0; i < kPages; ++i) ok &= write(fd, page.data(), kPage) == kPage;
  ok &= fsync(fd) == 0;
  const auto start = SteadyClock::now();
  size_t n = 0;
  for (; ok && SecondsSince(start) < seconds; ++n) {
    ok &= pwrite(fd, page.data(), kPage, static_cast<off_t>(n % kPages) * kPage) == kPage;
    ok &= fdatasync(fd) == 0;
  }
  close(fd);
  std::filesystem::remove(path);
  if (!ok) return absl::InternalError(absl::StrCat("write/fdatasync failed on ", path));
  return n / SecondsSince(start);
}

}  // namespace rhip::bench
