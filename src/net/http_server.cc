// The only translation unit that includes Boost.Beast (it costs ~20 s to compile).
//
// Threads: `io_threads` run the io_context; every connection is one coroutine on its own
// strand ("strand" below also means the io_context itself when one thread runs it). A parsed
// request is handed to the worker pool and the coroutine suspends until the worker posts the
// response back to the strand, so io threads never block on handlers.
#include "net/http_server.h"

#include <time.h>

#include <atomic>
#include <array>
#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/buffers_range.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/file_body.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <condition_variable>
#include <exception>
#include <limits>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include "core/metrics.h"
#include "core/strings.h"
#include "net/internal/request_target.h"
#include "net/internal/tcp_server.h"
#include "net/internal/tls_context.h"
#include "net/internal/worker_pool.h"

namespace rhip::net {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

// I/O errors come back as values: a peer going away is normal, not exceptional.
constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);

// After an error response the client may still be sending the rejected request; reading
// (and discarding) it for a moment before closing keeps the kernel from answering with a
// RST that would destroy our response in the client's receive buffer.
constexpr std::chrono::seconds kLingerTime{1};
constexpr size_t kLingerMaxBytes = 1 << 20;
// Largest up-front reservation for a request body of declared length.
constexpr size_t kBodyReserveBytes = 64 * 1024;
// Read size while waiting for a request to start; the parser asks for more as needed.
constexpr size_t kFirstReadBytes = 4096;

// Process-wide gauges: every server in the process adds to the same counters, so the gauges
// are registered once and never point at a destroyed server.
struct GlobalStats {
  internal::WorkerPoolStats pool;
  std::atomic<int64_t> connections{0};
};

GlobalStats& Stats() {
  static GlobalStats* stats = [] {
    auto* s = new GlobalStats();  // never destroyed: gauges may be rendered at exit
    Metrics& m = Metrics::Global();
    m.RegisterGauge("rhip_http_worker_queue_depth", "HTTP requests waiting for a worker",
                    [s] { return static_cast<double>(s->pool.queued.load()); });
    m.RegisterGauge("rhip_http_workers_busy", "HTTP workers running a handler",
                    [s] { return static_cast<double>(s->pool.busy.load()); });
    m.RegisterGauge("rhip_http_connections_open", "open HTTP connections",
                    [s] { return static_cast<double>(s->connections.load()); });
    m.SetHelp("rhip_http_rejected_total", "counter",
              "HTTP requests or connections refused by the transport, by reason");
    return s;
  }();
  return *stats;
}

void CountRejected(const char* reason) {
  Metrics::Global().Increment("rhip_http_rejected_total", {{"reason", reason}});
}

// The Date header, formatted at most once per second per thread.
const std::string& HttpDate() {
  thread_local time_t cached_second = 0;
  thread_local std::string cached;
  const time_t now = time(nullptr);
  if (now != cached_second) {
    struct tm tm;
    gmtime_r(&now, &tm);
    char buf[64];
    const size_t n = strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    cached.assign(buf, n);
    cached_second = now;
  }
  return cached;
}

// Header text from a handler must not be able to split the response.
bool IsSafeHeaderText(std::string_view s) {
  for (char c : s) {
    if (c == '\r' || c == '\n' || c == '\0') return false;
  }
  return true;
}

// At most this many buffers go to one read or write; fewer is allowed (a partial
// read_some/write_some), and the serializer and parser rarely pass more.
constexpr size_t kMaxBuffers = 16;

// Beast's HTTP algorithms are instantiated once, on this stream, for plain and TLS
// connections alike: every instantiation of the session code costs ~30 s of compile time on
// one core. The cost is one type-erased handler per read or write.
class HttpStream {
 public:
  using executor_type = asio::any_io_executor;
  using Handler = asio::any_completion_handler<void(beast::error_code, std::size_t)>;

  template <typename Buffer>
  struct Buffers {  // the first kMaxBuffers buffers of a sequence, as a sequence
    std::array<Buffer, kMaxBuffers> items;
    size_t count = 0;
    const Buffer* begin() const { return items.data(); }
    const Buffer* end() const { return items.data() + count; }
  };

  explicit HttpStream(internal::Connection& conn) : conn_(conn) {}
  virtual ~HttpStream() = default;

  executor_type get_executor() { return conn_.stream.get_executor(); }
  // The TCP layer: deadlines and the socket.
  beast::tcp_stream& tcp() { return conn_.stream; }

  template <typename MutableBufferSequence, typename Token>
  auto async_read_some(const MutableBufferSequence& buffers, Token&& token) {
    return asio::async_initiate<Token, void(beast::error_code, std::size_t)>(
        [this](auto handler, Buffers<asio::mutable_buffer> b) {
          ReadSome(b, Handler(std::move(handler)));
        },
        token, Collect<asio::mutable_buffer>(buffers));
  }

  template <typename ConstBufferSequence, typename Token>
  auto async_write_some(const ConstBufferSequence& buffers, Token&& token) {
    return asio::async_initiate<Token, void(beast::error_code, std::size_t)>(
        [this](auto handler, Buffers<asio::const_buffer> b) {
          WriteSome(b, Handler(std::move(handler)));
        },
        token, Collect<asio::const_buffer>(buffers));
  }

  // Ends our sending side after the last response (TLS: close_notify first).
  virtual asio::awaitable<void> ShutdownSend() = 0;

 protected:
  // Boost 1.81's any_completion_executor cannot be required to be non-blocking, which
  // Beast's stream asks of a handler's executor; the connection's executor (the strand every
  // operation of this connection already runs on) can.
  auto Bound(Handler handler) { return asio::bind_executor(get_executor(), std::move(handler)); }

  virtual void ReadSome(const Buffers<asio::mutable_buffer>& buffers, Handler handler) = 0;
  virtual void WriteSome(const Buffers<asio::const_buffer>& buffers, Handler handler) = 0;

 private:
  template <typename Buffer, typename Sequence>
  static Buffers<Buffer> Collect(const Sequence& sequence) {
    Buffers<Buffer> out;
    for (auto it = asio::buffer_sequence_begin(sequence);
         it != asio::buffer_sequence_end(sequence) && out.count < kMaxBuffers; ++it) {
      const Buffer b(*it);
      if (b.size() > 0) out.items[out.count++] = b;
    }
    return out;
  }

  internal::Connection& conn_;
};

class PlainHttpStream final : public HttpStream {
 public:
  explicit PlainHttpStream(internal::Connection& conn) : HttpStream(conn) {}
  asio::awaitable<void> ShutdownSend() override { return internal::ShutdownSend(tcp()); }

 private:
  void ReadSome(const Buffers<asio::mutable_buffer>& b, Handler h) override {
    tcp().async_read_some(b, Bound(std::move(h)));
  }
  void WriteSome(const Buffers<asio::const_buffer>& b, Handler h) override {
    tcp().async_write_some(b, Bound(std::move(h)));
  }
};

class TlsHttpStream final : public HttpStream {
 public:
  TlsHttpStream(internal::Connection& conn, internal::TlsStream& tls)
      : HttpStream(conn), tls_(tls) {}
  asio::awaitable<void> ShutdownSend() override { return internal::ShutdownSend(tls_); }

 private:
  void ReadSome(const Buffers<asio::mutable_buffer>& b, Handler h) override {
    tls_.async_read_some(b, Bound(std::move(h)));
  }
  void WriteSome(const Buffers<asio::const_buffer>& b, Handler h) override {
    tls_.async_write_some(b, Bound(std::move(h)));
  }
  internal::TlsStream& tls_;
};

// How a failed request read ends the connection.
struct ReadFailure {
  int status;          // 0: close without answering
  const char* reason;  // rejected_total label; null: not counted
  const char* message;
};

ReadFailure ClassifyReadError(const beast::error_code& ec) {
  if (ec == http::error::header_limit) {
    return {431, "too_large", "request header fields too large"};
  }
  if (ec == http::error::body_limit) return {413, "too_large", "request body too large"};
  if (ec == beast::error::timeout) return {0, "timeout", nullptr};
  if (ec == http::error::end_of_stream || ec == http::error::partial_message) {
    return {0, nullptr, nullptr};  // the peer went away
  }
  if (ec.category() == beast::error_code(http::error::bad_target).category()) {
    return {400, "bad_request", "malformed HTTP request"};
  }
  return {0, nullptr, nullptr};  // socket errors, closed by Stop()
}

// A request body in a std::string, like http::string_body, except that a declared
// Content-Length is not reserved up front: memory follows the bytes that actually arrive,
// so many connections each announcing a large body cannot claim it all at once.
struct RequestBody {
  using value_type = std::string;

  class reader {
   public:
    template <bool kIsRequest, class Fields>
    reader(http::header<kIsRequest, Fields>&, value_type& body) : body_(body) {}

    void init(const boost::optional<std::uint64_t>& length, beast::error_code& ec) {
      if (length) body_.reserve(std::min<std::uint64_t>(*length, kBodyReserveBytes));
      ec = {};
    }

    template <class ConstBufferSequence>
    size_t put(const ConstBufferSequence& buffers, beast::error_code& ec) {
      size_t n = 0;
      for (const auto buffer : beast::buffers_range_ref(buffers)) {
        body_.append(static_cast<const char*>(buffer.data()), buffer.size());
        n += buffer.size();
      }
      ec = {};
      return n;
    }

    void finish(beast::error_code& ec) { ec = {}; }

   private:
    value_type& body_;
  };
};

// Moves the parsed message into the handler's plain value; nullopt for a bad target.
std::optional<HttpRequest> ToHttpRequest(http::request<RequestBody>& message,
                                         const std::string& remote_address, bool tls) {
  internal::RequestTarget target;
  const beast::string_view raw_target = message.target();
  if (!internal::ParseRequestTarget(std::string_view(raw_target.data(), raw_target.size()),
                                    &target)) {
    return std::nullopt;
  }
  HttpRequest request;
  const beast::string_view method = message.method_string();
  request.method.assign(method.data(), method.size());
  request.target.assign(raw_target.data(), raw_target.size());
  request.path = std::move(target.path);
  request.query = std::move(target.query);
  request.headers.reserve(std::distance(message.begin(), message.end()));
  for (const auto& field : message) {
    request.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  }
  request.body = std::move(message.body());
  request.remote_address = remote_address;
  request.tls = tls;
  return request;
}

class HttpServerImpl final : public HttpServer {
 public:
  HttpServerImpl(const HttpServerOptions& options, HttpHandler handler,
                 TransportErrorRenderer render_error, std::unique_ptr<ssl::context> tls)
      : options_(options),
        handler_(std::move(handler)),
        render_error_(std::move(render_error)),
        tls_(std::move(tls)),
        ioc_(options.io_threads),
        work_(ioc_.get_executor()),
        acceptor_(SerialExecutor()),
        registry_(std::make_shared<internal::ConnectionRegistry>(options.max_connections,
                                                                 &Stats().connections)),
        pool_(options.worker_threads, options.max_queued_requests, &Stats().pool) {}

  ~HttpServerImpl() override { Stop(); }

  absl::Status Listen();
  void StartThreads();

  uint16_t port() const override { return port_; }
  void Stop() override;
  void Wait() override;

 private:
  asio::awaitable<void> AcceptLoop();
  asio::awaitable<void> Session(std::shared_ptr<internal::Connection> conn);
  // The keep-alive loop over a plain or TLS stream; conn is its TCP layer.
  asio::awaitable<void> Serve(HttpStream& stream, internal::Connection& conn,
                              const std::string& remote_address);
  asio::awaitable<bool> Write(HttpStream& stream, HttpResponse response, unsigned version,
                              bool keep_alive, bool head);
  asio::awaitable<bool> WriteFile(HttpStream& stream, HttpResponse response, unsigned version,
                                  bool keep_alive, bool head);
  asio::awaitable<void> RejectAndClose(HttpStream& stream, int status, const char* message,
                                       const char* reason);
  HttpResponse CallHandler(const HttpRequest& request) const;
  // An executor whose handlers never run concurrently: a strand, or the io_context itself
  // when one thread runs it (strands would only add overhead then).
  asio::any_io_executor SerialExecutor() {
    if (options_.io_threads == 1) return ioc_.get_executor();
    return asio::make_strand(ioc_);
  }
  HttpResponse RenderError(int status, std::string_view message) const;

  const HttpServerOptions options_;
  const HttpHandler handler_;
  const TransportErrorRenderer render_error_;
  const std::unique_ptr<ssl::context> tls_;  // null: plain HTTP
  asio::io_context ioc_;
  // Keeps run() going while coroutines wait on workers with no I/O pending.
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  tcp::acceptor acceptor_;  // used only on its strand
  uint16_t port_ = 0;
  std::shared_ptr<internal::ConnectionRegistry> registry_;
  internal::WorkerPool pool_;
  std::vector<std::thread> io_threads_;
  std::atomic<bool> stopping_{false};

  std::mutex stop_mu_;
  std::condition_variable stop_cv_;
  bool stop_started_ = false;  // guarded by stop_mu_
  bool stopped_ = false;       // guarded by stop_mu_
};

absl::Status HttpServerImpl::Listen() {
  if (absl::Status s = internal::BindAcceptor(acceptor_, options_.host, options_.port, "");
      !s.ok()) {
    return s;
  }
  beast::error_code ec;
  const auto local = acceptor_.local_endpoint(ec);
  if (ec) return absl::UnavailableError(StrCat("cannot query the listen port: ", ec.message()));
  port_ = local.port();
  return absl::OkStatus();
}

void HttpServerImpl::StartThreads() {
  asio::co_spawn(acceptor_.get_executor(), AcceptLoop(), asio::detached);
  internal::StartIoThreads(ioc_, options_.io_threads, &io_threads_);
}

asio::awaitable<void> HttpServerImpl::AcceptLoop() {
  for (;;) {
    auto [ec, socket] = co_await acceptor_.async_accept(SerialExecutor(), kUseTuple);
    if (stopping_.load() || ec == asio::error::operation_aborted) co_return;
    if (ec) {
      // Typically out of file descriptors: back off instead of spinning.
      asio::steady_timer backoff(acceptor_.get_executor(), std::chrono::milliseconds(50));
      co_await backoff.async_wait(kUseTuple);
      continue;
    }
    beast::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    auto conn = std::make_shared<internal::Connection>(std::move(socket));
    if (!registry_->Add(conn)) {
      CountRejected("connections");
      conn->stream.socket().close(ignored);
      continue;
    }
    asio::co_spawn(conn->stream.get_executor(), Session(conn), asio::detached);
  }
}

asio::awaitable<void> HttpServerImpl::Session(std::shared_ptr<internal::Connection> conn) {
  internal::RegistrationGuard registration(registry_, conn);
  std::string remote_address;
  {
    beast::error_code ec;
    const auto endpoint = conn->stream.socket().remote_endpoint(ec);
    if (ec) co_return;
    remote_address = endpoint.address().to_string();
  }
  if (tls_ == nullptr) {
    PlainHttpStream stream(*conn);
    co_await Serve(stream, *conn, remote_address);
  } else {
    internal::TlsStream tls(conn->stream, *tls_);
    // The handshake counts as the start of the first request: same deadline.
    const beast::error_code ec = co_await internal::TlsHandshake(tls, options_.read_timeout);
    if (ec) {
      CountRejected(ec == beast::error::timeout ? "timeout" : "tls_handshake");
    } else {
      TlsHttpStream stream(*conn, tls);
      co_await Serve(stream, *conn, remote_address);
    }
  }
  conn->stream.close();
}

asio::awaitable<void> HttpServerImpl::Serve(HttpStream& stream, internal::Connection& conn,
                                            const std::string& remote_address) {
  beast::tcp_stream& tcp = conn.stream;
  const uint32_t header_limit = static_cast<uint32_t>(
      std::min<size_t>(options_.max_header_bytes, std::numeric_limits<uint32_t>::max()));
  beast::flat_buffer buffer;
  bool first = true;
  for (;;) {
    // Wait for a request to start. The first request's read_timeout runs from accept (with
    // TLS: from the end of the handshake); later ones get idle_timeout to start and then
    // read_timeout from their first byte.
    if (buffer.size() == 0) {
      if (stopping_.load()) break;
      conn.idle = true;
      tcp.expires_after(first ? options_.read_timeout : options_.idle_timeout);
      auto [ec, n] = co_await stream.async_read_some(buffer.prepare(kFirstReadBytes), kUseTuple);
      conn.idle = false;
      if (ec) {
        if (first && ec == beast::error::timeout) CountRejected("timeout");
        break;
      }
      buffer.commit(n);
    }
    if (!first) tcp.expires_after(options_.read_timeout);
    first = false;

    http::request_parser<RequestBody> parser;
    parser.header_limit(header_limit);
    parser.body_limit(options_.max_body_bytes);
    auto [ec, n] = co_await http::async_read_header(stream, buffer, parser, kUseTuple);
    // Beast (1.81) applies header_limit to each window it parses, not to the whole header: the
    // fields consumed by earlier reads do not count, so many small fields could pass it. n is
    // every header byte the parser consumed.
    if (!ec && n > header_limit) ec = http::error::header_limit;
    if (!ec && !parser.is_done()) {
      const auto& header = parser.get();
      if (header.version() >= 11 && EqualsIgnoreCase(header[http::field::expect], "100-continue")) {
        static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
        std::tie(ec, n) = co_await asio::async_write(
            stream, asio::buffer(kContinue.data(), kContinue.size()), kUseTuple);
      }
      if (!ec) std::tie(ec, n) = co_await http::async_read(stream, buffer, parser, kUseTuple);
    }
    if (ec) {
      const ReadFailure failure = ClassifyReadError(ec);
      if (failure.status != 0) {
        co_await RejectAndClose(stream, failure.status, failure.message, failure.reason);
      } else if (failure.reason != nullptr) {
        CountRejected(failure.reason);
      }
      break;
    }

    http::request<RequestBody>& message = parser.get();
    const unsigned version = message.version();
    const bool head = message.method() == http::verb::head;
    bool keep_alive = message.keep_alive();
    std::optional<HttpRequest> parsed = ToHttpRequest(message, remote_address, tls_ != nullptr);
    if (!parsed) {
      co_await RejectAndClose(stream, 400, "invalid request target", "bad_request");
      break;
    }

    // A named variable, not a temporary in the co_await expression: GCC 12 destroys such
    // temporaries twice (GCC bug 99576).
    auto work = [this, request = std::move(*parsed)] { return CallHandler(request); };
    std::optional<HttpResponse> response =
        co_await internal::RunOnWorker<HttpResponse>(pool_, std::move(work));
    if (!response) {
      CountRejected("busy");
      response = RenderError(503, "server busy, retry later");
      response->SetHeader("Retry-After", "1");
    }
    keep_alive = keep_alive && !stopping_.load() &&
                 !EqualsIgnoreCase(response->Header("Connection"), "close");
    if (!co_await Write(stream, std::move(*response), version, keep_alive, head)) break;
    if (!keep_alive) {
      co_await stream.ShutdownSend();
      break;
    }
  }
}

HttpResponse HttpServerImpl::CallHandler(const HttpRequest& request) const {
  try {
    return handler_(request);
  } catch (...) {
    // Handlers must not throw; if one does, the client still gets an answer.
    return RenderError(500, "internal server error");
  }
}

HttpResponse HttpServerImpl::RenderError(int status, std::string_view message) const {
  try {
    return render_error_(status, message);
  } catch (...) {
    HttpResponse response;
    response.status = status;
    response.SetHeader("Content-Type", "text/plain; charset=utf-8");
    response.body = std::string(message);
    return response;
  }
}

asio::awaitable<bool> HttpServerImpl::Write(HttpStream& stream, HttpResponse response,
                                            unsigned version, bool keep_alive, bool head) {
  if (!response.body_file.empty()) {
    co_return co_await WriteFile(stream, std::move(response), version, keep_alive, head);
  }
  int status = response.status;
  if (status < 100 || status > 599) status = 500;
  http::response<http::string_body> out(static_cast<http::status>(status), version);
  bool has_date = false;
  for (auto& [name, value] : response.headers) {
    if (name.empty() || !IsSafeHeaderText(name) || !IsSafeHeaderText(value)) continue;
    if (EqualsIgnoreCase(name, "Content-Length") || EqualsIgnoreCase(name, "Transfer-Encoding") ||
        EqualsIgnoreCase(name, "Connection")) {
      continue;  // framing is ours
    }
    has_date = has_date || EqualsIgnoreCase(name, "Date");
    out.insert(name, value);
  }
  if (!has_date) out.set(http::field::date, HttpDate());
  out.keep_alive(keep_alive);
  // 1xx, 204 and 304 carry no body (RFC 9110 §6.4.1); HEAD announces the length it omits.
  if (status >= 200 && status != 204 && status != 304) {
    out.content_length(response.body.size());
    if (!head) out.body() = std::move(response.body);
  }
  stream.tcp().expires_after(options_.write_timeout);
  auto [ec, n] = co_await http::async_write(stream, out, kUseTuple);
  if (ec == beast::error::timeout) CountRejected("timeout");
  co_return !ec;
}

// Streams response.body_file: the serializer reads the file a chunk at a time, and the write
// deadline applies to each chunk, so a large file on a slow link is not cut off.
asio::awaitable<bool> HttpServerImpl::WriteFile(HttpStream& stream, HttpResponse response,
                                                unsigned version, bool keep_alive, bool head) {
  http::response<http::file_body> out(static_cast<http::status>(response.status), version);
  beast::error_code ec;
  out.body().open(response.body_file.c_str(), beast::file_mode::scan, ec);
  if (ec) {
    co_return co_await Write(stream, RenderError(404, "file not found"), version, keep_alive, head);
  }
  for (auto& [name, value] : response.headers) {
    if (name.empty() || !IsSafeHeaderText(name) || !IsSafeHeaderText(value)) continue;
    if (EqualsIgnoreCase(name, "Content-Length") || EqualsIgnoreCase(name, "Transfer-Encoding") ||
        EqualsIgnoreCase(name, "Connection")) {
      continue;  // framing is ours
    }
    out.insert(name, value);
  }
  out.set(http::field::date, HttpDate());
  out.keep_alive(keep_alive);
  out.prepare_payload();  // Content-Length from the file size
  http::response_serializer<http::file_body> serializer(out);
  if (head) {
    stream.tcp().expires_after(options_.write_timeout);
    auto [hec, hn] = co_await http::async_write_header(stream, serializer, kUseTuple);
    co_return !hec;
  }
  while (!serializer.is_done()) {
    stream.tcp().expires_after(options_.write_timeout);
    auto [wec, n] = co_await http::async_write_some(stream, serializer, kUseTuple);
    if (wec) {
      if (wec == beast::error::timeout) CountRejected("timeout");
      co_return false;
    }
  }
  co_return true;
}

asio::awaitable<void> HttpServerImpl::RejectAndClose(HttpStream& stream, int status,
                                                     const char* message, const char* reason) {
  CountRejected(reason);
  if (!co_await Write(stream, RenderError(status, message), 11, /*keep_alive=*/false,
                      /*head=*/false)) {
    co_return;
  }
  co_await stream.ShutdownSend();
  // With TLS the discarded bytes are records nobody decrypts.
  beast::tcp_stream& tcp = stream.tcp();
  tcp.expires_after(kLingerTime);
  char discard[4096];
  for (size_t total = 0; total < kLingerMaxBytes;) {
    auto [ec, n] = co_await tcp.async_read_some(asio::buffer(discard), kUseTuple);
    if (ec) break;
    total += n;
  }
}

void HttpServerImpl::Stop() {
  {
    std::unique_lock<std::mutex> lock(stop_mu_);
    if (stop_started_) {
      stop_cv_.wait(lock, [this] { return stopped_; });
      return;
    }
    stop_started_ = true;
  }
  stopping_.store(true);
  asio::post(acceptor_.get_executor(), [this] {
    beast::error_code ignored;
    acceptor_.close(ignored);
  });
  // Idle keep-alive connections go now; busy ones close after their response.
  internal::DrainAndStop(*registry_, pool_, work_, options_.drain_timeout, io_threads_);
  {
    std::lock_guard<std::mutex> lock(stop_mu_);
    stopped_ = true;
  }
  stop_cv_.notify_all();
}

void HttpServerImpl::Wait() {
  std::unique_lock<std::mutex> lock(stop_mu_);
  stop_cv_.wait(lock, [this] { return stopped_; });
}

absl::Status ValidateOptions(const HttpServerOptions& o) {
  if (o.io_threads < 1 || o.worker_threads < 1 || o.max_queued_requests < 1 ||
      o.max_connections < 1 || o.max_header_bytes < 1) {
    return absl::InvalidArgumentError(
        "HTTP server options: io_threads, worker_threads, max_queued_requests, "
        "max_connections and max_header_bytes must be at least 1");
  }
  if (o.read_timeout.count() <= 0 || o.write_timeout.count() <= 0 || o.idle_timeout.count() <= 0 ||
      o.drain_timeout.count() < 0) {
    return absl::InvalidArgumentError("HTTP server options: timeouts must be positive");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(const HttpServerOptions& options,
                                                              HttpHandler handler,
                                                              TransportErrorRenderer render_error) {
  if (absl::Status s = ValidateOptions(options); !s.ok()) return s;
  if (!handler || !render_error) {
    return absl::InvalidArgumentError("HTTP server needs a handler and an error renderer");
  }
  std::unique_ptr<ssl::context> tls;
  if (options.tls.enabled()) {
    auto context = internal::NewServerTlsContext(options.tls);
    if (!context.ok()) return context.status();
    tls = *std::move(context);
  }
  try {
    auto server = std::make_unique<HttpServerImpl>(options, std::move(handler),
                                                   std::move(render_error), std::move(tls));
    if (absl::Status s = server->Listen(); !s.ok()) return s;
    server->StartThreads();
    return std::unique_ptr<HttpServer>(std::move(server));
  } catch (const std::exception& e) {
    return absl::InternalError(StrCat("cannot start HTTP server: ", e.what()));
  }
}

}  // namespace rhip::net
