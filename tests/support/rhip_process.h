// Starts the real build/rhip binary for integration tests and stops it (gracefully or
// with SIGKILL). The binary is RHIP_BINARY from the environment (set by CTest).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "core/testing/paths.h"

namespace rhip::testing {

// A fresh directory under $TMPDIR, removed on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// The system client every RhipProcess is started with (RHIP_BOOTSTRAP_CLIENT): full access,
// so tests can get a token now that /fhir requires one.
inline constexpr char kTestClientId[] = "rhip-test";
inline constexpr char kTestClientSecret[] = "rhip-test-secret";

class HttpClient;
// A token for the test client from POST /auth/token; "" when the server does not issue one.
std::string FetchTestToken(HttpClient& client);
// Makes every later request of client carry the test client's bearer token. False when no
// token could be had.
bool AuthorizeTestClient(HttpClient& client);

// A free TCP port on 127.0.0.1 (bound then released; good enough for tests).
uint16_t FreePort();

class RhipProcess {
 public:
  // db_url empty: SQLite in data_dir.
  RhipProcess(std::string data_dir, std::string db_url = "");
  ~RhipProcess();

  // Sets an environment variable for the server process (from the next Start on).
  void SetEnv(std::string name, std::string value);
  // How Start tells the server is ready; default: GET /healthz over plain HTTP answers 200
  // (an HTTPS server needs a TLS client instead).
  void SetReadyProbe(std::function<bool(uint16_t port)> probe) { ready_ = std::move(probe); }
  // Starts `rhip serve` and waits until the ready probe succeeds. False on failure.
  bool Start(std::vector<std::string> extra_args = {});
  // SIGTERM and wait; returns the exit status (or -1).
  int Stop();
  // SIGKILL and wait.
  void Kill();
  uint16_t port() const { return port_; }
  const std::string& log_path() const { return log_path_; }

 private:
  std::string data_dir_;
  std::string db_url_;
  std::string log_path_;
  std::vector<std::pair<std::string, std::string>> env_;
  std::function<bool(uint16_t)> ready_;
  uint16_t port_ = 0;
  pid_t pid_ = -1;
};

// Runs the binary with args, returns its exit code, and stderr+stdout in *output.
int RunRhip(const std::vector<std::string>& args, std::string* output);

}  // namespace rhip::testing
