#include "app/serve_command.h"

#include <signal.h>
#include <time.h>

#include <algorithm>
#include <filesystem>
#include <cstdlib>
#include <thread>

#include <chrono>
#include <iostream>
#include <optional>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "app/http_router.h"
#include "app/http_services.h"
#include "app/mllp_fallback.h"
#include "app/store.h"
#include "app/version.h"
#include "core/clock.h"
#include "core/error.h"
#include "core/metrics.h"
#include "core/status_macros.h"
#include "core/strings.h"
#include "db/database.h"
#include "fhir/repository.h"
#include "fhir/rest_handler.h"
#include "fhir/search/reindex.h"
#include "net/http_server.h"
#include "net/mllp_server.h"
#include "security/http_headers.h"
#include "security/identity_store.h"
#include "toml++/toml.h"

namespace rhip::app {
namespace {

struct Options {
  CLI::Option* data;
  CLI::Option* db;
  CLI::Option* listen;
  CLI::Option* public_url;
  CLI::Option* tls_cert;
  CLI::Option* tls_key;
  CLI::Option* mllp;
  CLI::Option* io_threads;
  CLI::Option* workers;
  CLI::Option* max_queue;
  CLI::Option* max_connections;
  CLI::Option* max_body;
  CLI::Option* bulk_file_bytes;
};

Options options;

// Reads the [[mllp_channel]] tables; false (after saying why) on an unknown key or a wrong
// type.
bool ParseMllpChannels(const toml::node& value, const std::string& file,
                       std::vector<MllpChannelConfig>* out) {
  const toml::array* tables = value.as_array();
  if (tables == nullptr || !tables->is_array_of_tables()) {
    std::cerr << "rhip serve: 'mllp_channel' in " << file << " must be [[mllp_channel]] tables\n";
    return false;
  }
  for (const toml::node& node : *tables) {
    MllpChannelConfig channel;
    for (const auto& [key, v] : *node.as_table()) {
      const std::string_view k = key.str();
      bool ok = true;
      if (k == "name" && v.is_string()) channel.name = v.as_string()->get();
      else if (k == "listen" && v.is_string()) channel.listen = v.as_string()->get();
      else if (k == "tls" && v.is_boolean()) channel.tls = v.as_boolean()->get();
      else if (k == "tls_cert" && v.is_string()) channel.tls_cert = v.as_string()->get();
      else if (k == "tls_key" && v.is_string()) channel.tls_key = v.as_string()->get();
      else if (k == "allowed_sources" && v.is_array()) {
        for (const toml::node& source : *v.as_array()) {
          if (!source.is_string()) ok = false;
          else channel.allowed_sources.push_back(source.as_string()->get());
        }
      } else if (k == "name" || k == "listen" || k == "tls" || k == "tls_cert" || k == "tls_key" ||
                 k == "allowed_sources") {
        ok = false;
      } else {
        std::cerr << "rhip serve: unknown setting '" << k << "' in an [[mllp_channel]] of " << file
                  << "\n";
        return false;
      }
      if (!ok) {
        std::cerr << "rhip serve: [[mllp_channel]] setting '" << k << "' in " << file
                  << " has the wrong type\n";
        return false;
      }
    }
    if (channel.name.empty() || channel.listen.empty()) {
      std::cerr << "rhip serve: every [[mllp_channel]] in " << file << " needs a name and a listen\n";
      return false;
    }
    out->push_back(std::move(channel));
  }
  return true;
}

// Fills settings the command line left unset from the TOML file. Unknown keys are an
// error: a misspelt setting must not be silently ignored.
bool ApplyConfigFile(ServeConfig* c) {
  toml::table t;
  try {
    t = toml::parse_file(c->config_file);
  } catch (const toml::parse_error& e) {
    std::cerr << "rhip serve: cannot read config " << c->config_file << ": " << e.description()
              << "\n";
    return false;
  }
  for (const auto& [key, value] : t) {
    std::string_view k = key.str();
    auto set_string = [&](CLI::Option* opt, std::string* out) {
      if (!value.is_string()) return false;
      if (opt->count() == 0) *out = value.as_string()->get();
      return true;
    };
    auto set_int = [&](CLI::Option* opt, auto* out) {
      if (!value.is_integer()) return false;
      if (opt->count() == 0) *out = static_cast<std::remove_reference_t<decltype(*out)>>(value.as_integer()->get());
      return true;
    };
    // Settings only the file has: an integer of at least `min`.
    auto set_positive = [&](int* out, int min) {
      if (!value.is_integer() || value.as_integer()->get() < min ||
          value.as_integer()->get() > 1'000'000) {
        return false;
      }
      *out = static_cast<int>(value.as_integer()->get());
      return true;
    };
    bool ok;
    if (k == "data") ok = set_string(options.data, &c->data_dir);
    else if (k == "db") ok = set_string(options.db, &c->db_url);
    else if (k == "listen") ok = set_string(options.listen, &c->listen);
    else if (k == "public_url") ok = set_string(options.public_url, &c->public_url);
    else if (k == "tls_cert") ok = set_string(options.tls_cert, &c->tls_cert);
    else if (k == "tls_key") ok = set_string(options.tls_key, &c->tls_key);
    else if (k == "mllp") ok = set_string(options.mllp, &c->mllp);
    else if (k == "mllp_channel") {
      if (!ParseMllpChannels(value, c->config_file, &c->mllp_channels)) return false;
      ok = true;
    }
    else if (k == "io_threads") ok = set_int(options.io_threads, &c->io_threads);
    else if (k == "workers") ok = set_int(options.workers, &c->worker_threads);
    else if (k == "max_queued_requests") ok = set_int(options.max_queue, &c->max_queued_requests);
    else if (k == "max_connections") ok = set_int(options.max_connections, &c->max_connections);
    else if (k == "max_body_bytes") ok = set_int(options.max_body, &c->max_body_bytes);
    else if (k == "bulk_max_file_bytes") ok = set_int(options.bulk_file_bytes, &c->bulk_max_file_bytes);
    else if (k == "session_idle_minutes") ok = set_positive(&c->session_idle_minutes, 1);
    else if (k == "session_max_hours") ok = set_positive(&c->session_max_hours, 1);
    else if (k == "password_max_age_days") ok = set_positive(&c->password_max_age_days, 0);
    else if (k == "login_attempts_per_address") ok = set_positive(&c->login_attempts_per_address, 0);
    else if (k == "login_attempts_per_account") ok = set_positive(&c->login_attempts_per_account, 0);
    else {
      std::cerr << "rhip serve: unknown setting '" << k << "' in " << c->config_file << "\n";
      return false;
    }
    if (!ok) {
      std::cerr << "rhip serve: setting '" << k << "' in " << c->config_file
                << " has the wrong type or is out of range\n";
      return false;
    }
  }
  return true;
}

bool ParseListen(const std::string& listen, std::string* host, uint16_t* port) {
  size_t colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0) return false;
  int p = 0;
  if (!absl::SimpleAtoi(listen.substr(colon + 1), &p) || p < 0 || p > 65535) return false;
  *host = listen.substr(0, colon);
  if (host->size() > 2 && host->front() == '[' && host->back() == ']') {
    *host = host->substr(1, host->size() - 2);
  }
  *port = static_cast<uint16_t>(p);
  return true;
}

// The MLLP channels of --mllp and [[mllp_channel]]. Returns 0, or the exit code after saying
// why.
int BuildMllpOptions(const ServeConfig& c, const net::TlsOptions& tls,
                     net::MllpServerOptions* out) {
  std::vector<MllpChannelConfig> channels = c.mllp_channels;
  if (!c.mllp.empty()) {
    MllpChannelConfig channel;
    channel.name = "default";
    channel.listen = c.mllp;
    channels.insert(channels.begin(), channel);
  }
  for (const MllpChannelConfig& channel : channels) {
    net::MllpChannelOptions o;
    o.name = channel.name;
    if (!ParseListen(channel.listen, &o.host, &o.port)) {
      std::cerr << "rhip serve: MLLP channel '" << channel.name << "': listen must be HOST:PORT, got '"
                << channel.listen << "'\n";
      return 2;
    }
    o.allowed_sources = channel.allowed_sources;
    if (!channel.tls_cert.empty() || !channel.tls_key.empty()) {
      o.tls = {channel.tls_cert, channel.tls_key};
    } else if (channel.tls) {
      if (!tls.enabled()) {
        std::cerr << "rhip serve: MLLP channel '" << channel.name
                  << "': tls = true needs tls_cert and tls_key (or the channel's own)\n";
        return 2;
      }
      o.tls = tls;
    }
    out->channels.push_back(std::move(o));
  }
  return 0;
}

// Now as an HL7 v2 TS in UTC, e.g. 20260101120000+0000.
std::string Hl7Now() {
  const time_t now = time(nullptr);
  struct tm tm;
  gmtime_r(&now, &tm);
  char buf[32];
  return std::string(buf, strftime(buf, sizeof buf, "%Y%m%d%H%M%S+0000", &tm));
}

// RHIP_BOOTSTRAP_CLIENT=ID:SECRET creates a full-access system client when no client has that
// id, so a fresh deployment can get its first token. The secret is never printed.
// Returns 0, or the exit code: 2 for a malformed value, 1 when the store fails.
int EnsureBootstrapClient(security::IdentityStore& identities) {
  const char* env = std::getenv("RHIP_BOOTSTRAP_CLIENT");
  if (env == nullptr || *env == '\0') return 0;
  std::string_view value(env);
  size_t colon = value.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == value.size()) {
    std::cerr << "rhip serve: RHIP_BOOTSTRAP_CLIENT must be ID:SECRET\n";
    return 2;
  }
  std::string id(value.substr(0, colon));
  absl::StatusOr<bool> added = identities.EnsureClient(
      id, value.substr(colon + 1), *security::ParseScopes("system/*.cruds"));
  if (!added.ok()) {
    std::cerr << "rhip serve: cannot create the bootstrap client: " << added.status().message()
              << "\n";
    return KindOf(added.status()) == ErrorKind::kInvalid ? 2 : 1;
  }
  if (*added) std::cerr << "rhip serve: created bootstrap client " << id << "\n";
  return 0;
}

}  // namespace

void AddServeCommand(CLI::App& app, ServeConfig* c) {
  CLI::App* serve = app.add_subcommand("serve", "Serve the FHIR API, web app and interfaces");
  options.data = serve->add_option("--data", c->data_dir,
                                   "Data directory (created on first use; holds the SQLite database)");
  options.db = serve->add_option("--db", c->db_url,
                                 "PostgreSQL URI (postgresql://...) instead of SQLite in --data");
  options.listen = serve->add_option("--listen", c->listen, "HTTP address HOST:PORT")
                       ->capture_default_str();
  options.public_url =
      serve->add_option("--public-url", c->public_url,
                        "Absolute base URL of the FHIR API for links (default: from the Host header)");
  options.tls_cert = serve->add_option("--tls-cert", c->tls_cert,
                                       "PEM certificate chain: serve HTTPS (TLS 1.2+) instead of HTTP");
  options.tls_key = serve->add_option("--tls-key", c->tls_key, "PEM private key for --tls-cert");
  options.mllp = serve->add_option(
      "--mllp", c->mllp,
      "MLLP (HL7 v2) address HOST:PORT; more channels: [[mllp_channel]] in --config");
  serve->add_option("--config", c->config_file, "TOML file with the same settings")
      ->check(CLI::ExistingFile);
  options.io_threads =
      serve->add_option("--io-threads", c->io_threads, "Network I/O threads (0: one per core, at most 4)")
          ->check(CLI::Range(0, 64))
          ->capture_default_str();
  options.workers = serve->add_option("--workers", c->worker_threads,
                                      "Handler threads (more let group commit batch more writes)")
                        ->check(CLI::Range(1, 256))
                        ->capture_default_str();
  options.max_queue = serve->add_option("--max-queue", c->max_queued_requests,
                                        "Requests waiting for a handler before 503")
                          ->check(CLI::Range(1, 100000))
                          ->capture_default_str();
  options.max_connections =
      serve->add_option("--max-connections", c->max_connections, "Open connections at most")
          ->check(CLI::Range(1, 100000))
          ->capture_default_str();
  options.max_body = serve->add_option("--max-body", c->max_body_bytes, "Request body bytes at most")
                         ->check(CLI::Range(int64_t{1024}, int64_t{1} << 32))
                         ->capture_default_str();
  options.bulk_file_bytes =
      serve->add_option("--bulk-max-file-bytes", c->bulk_max_file_bytes,
                        "Bulk export: start a new NDJSON file beyond this size")
          ->check(CLI::Range(int64_t{1}, int64_t{1} << 40))
          ->capture_default_str();
}

int RunServe(ServeConfig c) {
  if (!c.config_file.empty() && !ApplyConfigFile(&c)) return 2;
  if (c.data_dir.empty()) {
    std::cerr << "rhip serve: --data DIR is required (or 'data' in the config file)\n";
    return 2;
  }
  std::string host;
  uint16_t port = 0;
  if (!ParseListen(c.listen, &host, &port)) {
    std::cerr << "rhip serve: --listen must be HOST:PORT, got '" << c.listen << "'\n";
    return 2;
  }
  const net::TlsOptions tls{c.tls_cert, c.tls_key};
  if (tls.enabled()) {
    // A bad certificate or key is a usage error, reported before the store is opened.
    if (absl::Status st = net::CheckTlsOptions(tls); !st.ok()) {
      std::cerr << "rhip serve: " << st.message() << " (--tls-cert/--tls-key)\n";
      return 2;
    }
  }
  net::MllpServerOptions mllp;
  if (int code = BuildMllpOptions(c, tls, &mllp); code != 0) return code;
  // Block the stop signals before any thread starts so only sigwait below sees them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  auto store = OpenStore(c.data_dir, c.db_url);
  if (!store.ok()) {
    std::cerr << "rhip serve: " << store.status().message() << "\n";
    return 1;
  }
  db::Database* database = store->database.get();
  fhir::Repository* repository = store->repository.get();
  auto index_state = fhir::search::CheckIndexState(*database);
  if (!index_state.ok()) {
    std::cerr << "rhip serve: cannot check the search index: " << index_state.status().message() << "\n";
    return 1;
  }
  if (*index_state != fhir::search::IndexState::kCurrent) {
    // Serving stays possible (reads, writes, searches on what is indexed), but say so loudly.
    std::cerr << "rhip serve: warning: the search index "
              << (*index_state == fhir::search::IndexState::kReindexing
                      ? "is being rebuilt (an interrupted `rhip reindex`)"
                      : "was built with other search definitions")
              << "; searches may miss resources until `rhip reindex` has run\n";
  }
  // A bulk import that was interrupted leaves staged index rows: finish them before serving,
  // so every stored resource is found by search.
  auto staged = repository->BuildStagedIndex();
  if (!staged.ok()) {
    std::cerr << "rhip serve: cannot build the staged search index: " << staged.status().message()
              << "\n";
    return 1;
  }
  if (*staged > 0) std::cerr << "rhip serve: indexed " << *staged << " staged search rows\n";
  constexpr Micros kMinute = int64_t{60} * 1000 * 1000;
  HttpServicesOptions services_options;
  services_options.data_dir = c.data_dir;
  services_options.public_url = c.public_url;
  services_options.software_version = RHIP_VERSION;
  services_options.bulk_max_file_bytes = c.bulk_max_file_bytes;
  services_options.sessions = {.idle_timeout = c.session_idle_minutes * kMinute,
                               .absolute_timeout = c.session_max_hours * 60 * kMinute,
                               .password_max_age_days = c.password_max_age_days};
  services_options.login = {
      .per_address = {.max_events = c.login_attempts_per_address, .window = kMinute},
      .per_account = {.max_events = c.login_attempts_per_account, .window = kMinute}};
  auto services =
      HttpServices::Open(database, repository, store->patient_index.get(), services_options);
  if (!services.ok()) {
    std::cerr << "rhip serve: cannot open the audit trail: " << services.status().message() << "\n";
    return 1;
  }
  if (int code = EnsureBootstrapClient((*services)->identities()); code != 0) return code;
  if (absl::Status st = (*services)->bulk().Start(); !st.ok()) {
    std::cerr << "rhip serve: cannot start bulk jobs: " << st.message() << "\n";
    return 1;
  }
  const Router& router = (*services)->router();

  net::HttpServerOptions http;
  http.host = host;
  http.port = port;
  http.io_threads = c.io_threads > 0
                        ? c.io_threads
                        : static_cast<int>(std::clamp(std::thread::hardware_concurrency(), 1u, 4u));
  http.worker_threads = c.worker_threads;
  http.max_queued_requests = c.max_queued_requests;
  http.max_connections = c.max_connections;
  http.max_body_bytes = static_cast<size_t>(c.max_body_bytes);
  http.tls = tls;
  // MLLP starts first, so that a ready /healthz means every listener is up.
  std::unique_ptr<net::MllpServer> mllp_server;
  if (!mllp.channels.empty()) {
    // No HL7 v2 handler exists yet (interop/hl7v2): every message gets an AR reject.
    auto started = net::MllpServer::Start(mllp, [](const net::MllpMessage& m) {
      return NoHandlerReject(m.payload, Hl7Now());
    });
    if (!started.ok()) {
      std::cerr << "rhip serve: " << started.status().message() << "\n";
      return started.status().code() == absl::StatusCode::kInvalidArgument ? 2 : 1;
    }
    mllp_server = *std::move(started);
    for (const net::MllpChannelOptions& channel : mllp.channels) {
      std::cerr << "rhip: MLLP channel " << channel.name << " listening on " << channel.host << ":"
                << mllp_server->port(channel.name) << (channel.tls.enabled() ? " (TLS)" : "")
                << "; no HL7 v2 handler in this build: every message is answered AR\n";
    }
  }
  auto server = net::HttpServer::Start(
      http, [&router](const net::HttpRequest& r) { return router.Handle(r); },
      [tls_on = tls.enabled()](int status, std::string_view message) {
        ErrorKind kind = status == 413   ? ErrorKind::kTooLarge
                         : status == 503 ? ErrorKind::kBusy
                         : status == 408 ? ErrorKind::kTimeout
                                         : ErrorKind::kInvalid;
        net::HttpResponse r = fhir::ErrorHttpResponse(MakeError(kind, message));
        r.status = status;  // 431 and 408 keep their own codes
        // The transport's own answers carry the same security headers as the router's.
        net::HttpRequest unknown;
        unknown.tls = tls_on;
        security::AddSecurityHeaders(unknown, &r);
        return r;
      });
  if (!server.ok()) {
    std::cerr << "rhip serve: cannot listen on " << c.listen << ": " << server.status().message()
              << "\n";
    return 1;
  }
  std::cerr << "rhip " << RHIP_VERSION << " listening on " << (tls.enabled() ? "https" : "http")
            << "://" << host << ":"
            << (*server)->port() << "/fhir (database: "
            << (c.db_url.empty() ? "SQLite in " + c.data_dir : "PostgreSQL") << ")" << std::endl;

  int sig = 0;
  sigwait(&stop_signals, &sig);
  std::cerr << "rhip: signal " << sig << ", draining" << std::endl;
  if (mllp_server != nullptr) mllp_server->Stop();
  (*server)->Stop();
  (*server)->Wait();
  return 0;
}

}  // namespace rhip::app
