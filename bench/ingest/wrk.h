// Runs wrk (the Debian package) with read_by_id.lua and reads its result line.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace rhip::bench {

struct WrkOptions {
  std::string url;                       // http://host:port
  std::vector<std::string> script_args;  // {"ids", FILE} or {"path", "/healthz"}
  int threads = 2;
  int connections = 32;
  int seconds = 10;
  std::string bearer_token;  // non-empty: sent as Authorization with every request
};

struct WrkResult {
  std::string command;  // for the report
  int64_t requests = 0;
  double seconds = 0;
  double p50_ms = 0;
  double p99_ms = 0;
  int64_t non2xx = 0;
  int64_t socket_errors = 0;
  double cpu_seconds = 0;  // wrk's own CPU time: taken from the server on a small machine
  double RequestsPerSecond() const { return seconds > 0 ? requests / seconds : 0; }
};

absl::StatusOr<WrkResult> RunWrk(const WrkOptions& options);

}  // namespace rhip::bench
