// Durable small writes per second on SQLite: 8 threads, each Write inserts 2 rows and
// returns once fsync'd. Prints the group-commit figure and, as the baseline in the same
// run, the same load with max_group_size = 1 (one fsync per write).
//   build-*/src/db/db_benchmark [seconds=3] [dir=/tmp]
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "db/database.h"

namespace {

using rhip::db::Database;
using rhip::db::Session;

double WritesPerSecond(const std::filesystem::path& dir, int max_group_size, double seconds) {
  constexpr int kThreads = 8;
  std::filesystem::remove_all(dir);
  rhip::db::Options options{.target = dir.string(), .max_group_size = max_group_size};
  auto db = Database::Open(options);
  if (!db.ok()) {
    std::fprintf(stderr, "open: %s\n", db.status().ToString().c_str());
    std::exit(1);
  }
  (void)(*db)->Write([](Session& s) {
    return s.Execute("CREATE TABLE bench (id INTEGER PRIMARY KEY, body TEXT)").status();
  });
  std::atomic<int64_t> next_id = 0;
  std::atomic<int64_t> writes = 0;
  std::atomic<bool> stop = false;
  std::vector<std::thread> threads;
  const auto start = std::chrono::steady_clock::now();
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      const std::string body(200, 'x');
      while (!stop) {
        absl::Status status = (*db)->Write([&](Session& s) -> absl::Status {
          for (int row = 0; row < 2; ++row) {
            auto inserted = s.Execute("INSERT INTO bench (id, body) VALUES (:id, :body)",
                                      {{"id", next_id++}, {"body", body}});
            if (!inserted.ok()) return inserted.status();
          }
          return absl::OkStatus();
        });
        if (!status.ok()) {
          std::fprintf(stderr, "write: %s\n", status.ToString().c_str());
          std::exit(1);
        }
        ++writes;
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (std::thread& t : threads) t.join();
  const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
  db->reset();
  std::filesystem::remove_all(dir);
  return writes / elapsed.count();
}

}  // namespace

int main(int argc, char** argv) {
  const double seconds = argc > 1 ? std::atof(argv[1]) : 3.0;
  const std::filesystem::path dir =
      std::filesystem::path(argc > 2 ? argv[2] : "/tmp") / "rhip-db-benchmark";
  const double grouped = WritesPerSecond(dir, 256, seconds);
  const double single = WritesPerSecond(dir, 1, seconds);
  std::printf("SQLite durable writes/s, 8 threads, 2 rows each: group commit %.0f, "
              "baseline one fsync per write %.0f (x%.1f)\n",
              grouped, single, grouped / single);
  return 0;
}
