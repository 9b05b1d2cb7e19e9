// The HTTP/1.1 server: Boost.Beast on Asio with C++20 coroutines for I/O, and a bounded
// pool of worker threads for handlers (which may block on the database). When the worker
// queue is full the server answers 503 with Retry-After instead of queueing without bound.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "net/http_message.h"
#include "net/tls_context.h"

namespace rhip::net {

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 8080;  // 0 picks a free port (tests)
  int io_threads = 1;
  int worker_threads = 8;
  int max_queued_requests = 256;  // beyond this: 503 + Retry-After
  int max_connections = 1024;     // beyond this new connections are closed at once
  size_t max_header_bytes = 16 * 1024;  // request line + headers
  size_t max_body_bytes = 64 * 1024 * 1024;
  std::chrono::seconds read_timeout{30};   // a whole request must arrive within this
  std::chrono::seconds write_timeout{30};
  std::chrono::seconds idle_timeout{60};   // keep-alive connection with no request
  std::chrono::seconds drain_timeout{20};  // graceful stop waits this long for in-flight work
  // When enabled every connection is HTTPS: the handshake must finish within read_timeout,
  // and requests carry tls = true. Start fails (kInvalid) on a bad certificate or key.
  TlsOptions tls;
};

// Handles one request on a worker thread. Must not throw.
using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

// Errors the transport itself produces (bad request line, body too large, busy) are
// rendered by this function so that one place formats every error body.
using TransportErrorRenderer = std::function<HttpResponse(int status, std::string_view message)>;

class HttpServer {
 public:
  virtual ~HttpServer() = default;  // the implementation's destructor calls Stop()

  static absl::StatusOr<std::unique_ptr<HttpServer>> Start(const HttpServerOptions& options,
                                                           HttpHandler handler,
                                                           TransportErrorRenderer render_error);

  // The port actually bound (useful with port 0).
  virtual uint16_t port() const = 0;

  // Stops accepting, lets in-flight requests finish (up to drain_timeout), closes idle
  // keep-alive connections, then returns. Requests still queued after drain_timeout are
  // dropped; a handler already running is waited for, however long it takes.
  // Idempotent and thread-safe. REQUIRES: not called from a handler.
  virtual void Stop() = 0;

  // Blocks until Stop() has completed.
  virtual void Wait() = 0;
};

}  // namespace rhip::net
