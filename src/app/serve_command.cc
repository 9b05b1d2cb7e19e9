#include "app/serve_command.h"

#include <signal.h>

#include <algorithm>
#include <cstdlib>
#include <thread>

#include <chrono>
#include <iostream>
#include <optional>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "app/store.h"
#include "app/version.h"
#include "core/clock.h"
#include "core/error.h"
#include "core/metrics.h"
#include "core/status_macros.h"
#include "core/strings.h"
#include "db/database.h"
#include "fhir/audit_event_rest.h"
#include "fhir/bulk/bulk_rest.h"
#include "fhir/bulk/bulk_service.h"
#include "fhir/repository.h"
#include "fhir/rest_access.h"
#include "fhir/rest_handler.h"
#include "fhir/search/reindex.h"
#include "net/http_server.h"
#include "security/identity_store.h"
#include "security/token_endpoint.h"
#include "security/token_service.h"
#include "toml++/toml.h"

namespace rhip::app {
namespace {

struct Options {
  CLI::Option* data;
  CLI::Option* db;
  CLI::Option* listen;
  CLI::Option* public_url;
  CLI::Option* io_threads;
  CLI::Option* workers;
  CLI::Option* max_queue;
  CLI::Option* max_connections;
  CLI::Option* max_body;
  CLI::Option* bulk_file_bytes;
};

Options options;

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
    bool ok;
    if (k == "data") ok = set_string(options.data, &c->data_dir);
    else if (k == "db") ok = set_string(options.db, &c->db_url);
    else if (k == "listen") ok = set_string(options.listen, &c->listen);
    else if (k == "public_url") ok = set_string(options.public_url, &c->public_url);
    else if (k == "io_threads") ok = set_int(options.io_threads, &c->io_threads);
    else if (k == "workers") ok = set_int(options.workers, &c->worker_threads);
    else if (k == "max_queued_requests") ok = set_int(options.max_queue, &c->max_queued_requests);
    else if (k == "max_connections") ok = set_int(options.max_connections, &c->max_connections);
    else if (k == "max_body_bytes") ok = set_int(options.max_body, &c->max_body_bytes);
    else if (k == "bulk_max_file_bytes") ok = set_int(options.bulk_file_bytes, &c->bulk_max_file_bytes);
    else {
      std::cerr << "rhip serve: unknown setting '" << k << "' in " << c->config_file << "\n";
      return false;
    }
    if (!ok) {
      std::cerr << "rhip serve: setting '" << k << "' in " << c->config_file
                << " has the wrong type\n";
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

net::HttpResponse PlainResponse(int status, std::string content_type, std::string body) {
  net::HttpResponse r;
  r.status = status;
  r.SetHeader("Content-Type", content_type);
  r.body = std::move(body);
  return r;
}

// Routes a request and records per-route metrics.
class Router {
 public:
  // REQUIRES: every pointer outlives the router.
  Router(const fhir::RestHandler* fhir, const fhir::bulk::BulkRestHandler* bulk,
         const fhir::AuditEventRestHandler* audit_events, const security::TokenEndpoint* token,
         const security::TokenService* tokens)
      : fhir_(fhir), bulk_(bulk), audit_events_(audit_events), token_(token), tokens_(tokens) {}

  net::HttpResponse Handle(const net::HttpRequest& req) const {
    auto start = std::chrono::steady_clock::now();
    std::string route;
    net::HttpResponse resp = Dispatch(req, &route);
    std::chrono::duration<double> d = std::chrono::steady_clock::now() - start;
    Metrics& m = Metrics::Global();
    m.Increment("rhip_http_requests_total",
                {{"route", route}, {"method", req.method}, {"status", std::to_string(resp.status)}});
    m.Observe("rhip_http_request_duration_seconds", {{"route", route}, {"method", req.method}},
              d.count());
    return resp;
  }

 private:
  net::HttpResponse Dispatch(const net::HttpRequest& req, std::string* route) const {
    const std::string& p = req.path;
    if (p == "/healthz") {
      *route = p;
      return PlainResponse(200, "text/plain; charset=utf-8", "ok\n");
    }
    if (p == "/metrics") {
      *route = p;
      return PlainResponse(200, "text/plain; version=0.0.4; charset=utf-8",
                           Metrics::Global().RenderPrometheus());
    }
    if (p == "/auth/token") {
      *route = p;
      return token_->Handle(req);
    }
    bool fhir_path = p == "/fhir" || p.rfind("/fhir/", 0) == 0;
    if (fhir_path) {
      if (absl::Status allowed = Authorize(req); !allowed.ok()) {
        *route = fhir::RestHandler::RouteLabel(req, "/fhir");
        return fhir::ErrorHttpResponse(allowed);
      }
    }
    if (std::optional<net::HttpResponse> r = bulk_->Handle(req)) {
      *route = bulk_->RouteLabel(req);
      return *std::move(r);
    }
    if (fhir_path) {
      *route = fhir::RestHandler::RouteLabel(req, "/fhir");
      // AuditEvent is a read-only view of the audit chain, not a stored resource type.
      if (std::optional<net::HttpResponse> r = audit_events_->Handle(req)) return *std::move(r);
      return fhir_->Handle(req);
    }
    *route = "other";
    return fhir::ErrorHttpResponse(
        MakeError(ErrorKind::kNotFound, StrCat("no route for ", req.path)));
  }

  const fhir::RestHandler* fhir_;
  const fhir::bulk::BulkRestHandler* bulk_;
  const fhir::AuditEventRestHandler* audit_events_;
  // Every /fhir request but the CapabilityStatement needs a valid bearer token (401) whose
  // scopes allow each type and action the request touches (403).
  absl::Status Authorize(const net::HttpRequest& req) const {
    if (fhir::IsPublicFhirRequest(req, "/fhir")) return absl::OkStatus();
    ASSIGN_OR_RETURN(security::Principal principal, security::AuthenticateRequest(*tokens_, req));
    for (const fhir::AccessNeed& need : fhir::RequiredAccess(req, "/fhir")) {
      // The audit trail is written only by the server: no token may write AuditEvent, also
      // not as an entry of a batch or transaction (which would land in the generic store).
      if (need.resource_type == "AuditEvent" && need.action != 'r' && need.action != 's') {
        return MakeError(ErrorKind::kMethodNotAllowed,
                         "AuditEvent is read-only: the audit trail is written only by the server");
      }
      if (!security::ScopesAllow(principal.scopes, need.resource_type, need.action)) {
        return MakeError(ErrorKind::kForbidden,
                         StrCat("the token's scopes do not allow '", std::string(1, need.action),
                                "' on ", need.resource_type == "*" ? "all resource types"
                                                                   : need.resource_type));
      }
    }
    return absl::OkStatus();
  }

  const security::TokenEndpoint* token_;
  const security::TokenService* tokens_;
};

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
  security::IdentityStore identities(database, &Clock::Real());
  if (int code = EnsureBootstrapClient(identities); code != 0) return code;
  security::TokenService tokens(database, &Clock::Real(), &identities);
  security::TokenEndpoint token_endpoint(&tokens);
  fhir::RestOptions rest_options;
  rest_options.public_base_url = c.public_url;
  rest_options.software_version = RHIP_VERSION;
  fhir::RestHandler rest(repository, rest_options);
  fhir::bulk::BulkOptions bulk_options;
  bulk_options.data_dir = c.data_dir;
  bulk_options.max_file_bytes = c.bulk_max_file_bytes;
  fhir::bulk::BulkService bulk(database, repository, &Clock::Real(), bulk_options);
  if (absl::Status st = bulk.Start(); !st.ok()) {
    std::cerr << "rhip serve: cannot start bulk jobs: " << st.message() << "\n";
    return 1;
  }
  fhir::bulk::BulkRestHandler bulk_rest(&bulk, repository, {"/fhir", c.public_url});
  fhir::AuditEventRestHandler audit_events(database, {"/fhir", c.public_url});
  Router router(&rest, &bulk_rest, &audit_events, &token_endpoint, &tokens);

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
  auto server = net::HttpServer::Start(
      http, [&router](const net::HttpRequest& r) { return router.Handle(r); },
      [](int status, std::string_view message) {
        ErrorKind kind = status == 413   ? ErrorKind::kTooLarge
                         : status == 503 ? ErrorKind::kBusy
                         : status == 408 ? ErrorKind::kTimeout
                                         : ErrorKind::kInvalid;
        net::HttpResponse r = fhir::ErrorHttpResponse(MakeError(kind, message));
        r.status = status;  // 431 and 408 keep their own codes
        return r;
      });
  if (!server.ok()) {
    std::cerr << "rhip serve: cannot listen on " << c.listen << ": " << server.status().message()
              << "\n";
    return 1;
  }
  std::cerr << "rhip " << RHIP_VERSION << " listening on http://" << host << ":"
            << (*server)->port() << "/fhir (database: "
            << (c.db_url.empty() ? "SQLite in " + c.data_dir : "PostgreSQL") << ")" << std::endl;

  int sig = 0;
  sigwait(&stop_signals, &sig);
  std::cerr << "rhip: signal " << sig << ", draining" << std::endl;
  (*server)->Stop();
  (*server)->Wait();
  return 0;
}

}  // namespace rhip::app
