// `rhip serve`: the whole platform in one process.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"

namespace rhip::app {

// One MLLP listener (a [[mllp_channel]] table in the config file).
struct MllpChannelConfig {
  std::string name;
  std::string listen;                        // HOST:PORT
  std::vector<std::string> allowed_sources;  // addresses and CIDR ranges; empty: any
  bool tls = false;                          // with the top-level tls_cert/tls_key
  std::string tls_cert;                      // or a certificate of its own
  std::string tls_key;
};

struct ServeConfig {
  std::string data_dir;         // SQLite data directory (created on first use)
  std::string db_url;           // postgresql://... instead of SQLite
  std::string listen = "127.0.0.1:8080";
  std::string public_url;       // absolute base of /fhir for links; default from Host
  std::string config_file;      // optional TOML with the same keys
  std::string tls_cert;         // PEM certificate chain: serve HTTPS instead of HTTP
  std::string tls_key;          // PEM private key for tls_cert
  std::string mllp;             // HOST:PORT of MLLP channel "default" (any source, no TLS)
  std::vector<MllpChannelConfig> mllp_channels;
  int io_threads = 0;  // 0: one per core, at most 4
  int worker_threads = 16;
  int max_queued_requests = 256;
  int max_connections = 1024;
  int64_t max_body_bytes = 64 * 1024 * 1024;
  int64_t bulk_max_file_bytes = int64_t{1} << 30;  // bulk export splits files beyond this
  // Web sessions and logins (config file only; docs/SECURITY.md "Web sessions").
  int session_idle_minutes = 30;
  int session_max_hours = 12;
  int password_max_age_days = 0;       // 0: passwords do not expire
  int login_attempts_per_address = 10;  // per minute; 0: no limit
  int login_attempts_per_account = 5;   // per minute; 0: no limit
};

// Registers the subcommand; the returned config is filled when it is parsed.
void AddServeCommand(CLI::App& app, ServeConfig* config);

// Runs until SIGTERM or SIGINT, then drains. Returns the process exit code.
int RunServe(ServeConfig config);

}  // namespace rhip::app
