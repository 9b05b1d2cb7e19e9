#include "net/internal/tcp_server.h"

#include <exception>

#include "core/strings.h"

namespace rhip::net::internal {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

absl::Status BindAcceptor(tcp::acceptor& acceptor, const std::string& host, uint16_t port,
                          std::string_view what) {
  boost::system::error_code ec;
  tcp::endpoint endpoint;
  const auto address = asio::ip::make_address(host, ec);
  if (!ec) {
    endpoint = tcp::endpoint(address, port);
  } else {
    tcp::resolver resolver(acceptor.get_executor());
    auto results = resolver.resolve(host, std::to_string(port), tcp::resolver::passive, ec);
    if (ec || results.empty()) {
      return absl::InvalidArgumentError(
          StrCat(what, ": cannot resolve listen host '", host, "': ", ec.message()));
    }
    endpoint = results.begin()->endpoint();
  }
  const auto fail = [&](const char* verb) {
    return absl::UnavailableError(
        StrCat(what, ": cannot ", verb, " ", host, ":", port, ": ", ec.message()));
  };
  if (acceptor.open(endpoint.protocol(), ec)) return fail("open socket for");
  if (acceptor.set_option(asio::socket_base::reuse_address(true), ec)) return fail("configure");
  if (acceptor.bind(endpoint, ec)) return fail("bind");
  if (acceptor.listen(asio::socket_base::max_listen_connections, ec)) return fail("listen on");
  return absl::OkStatus();
}

void StartIoThreads(asio::io_context& ioc, int n, std::vector<std::thread>* threads) {
  for (int i = 0; i < n; ++i) {
    threads->emplace_back([&ioc] {
      for (;;) {
        try {
          ioc.run();
          return;
        } catch (const std::exception&) {
          // A completion handler threw; the connection it belonged to is gone, keep serving.
        }
      }
    });
  }
}

namespace {
constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);
// After the drain deadline connections are force-closed; this bounds the wait for their
// coroutines to notice.
constexpr std::chrono::seconds kForcedCloseGrace{2};
}  // namespace

void DrainAndStop(ConnectionRegistry& registry, WorkerPool& pool,
                  asio::executor_work_guard<asio::io_context::executor_type>& work,
                  std::chrono::seconds drain_timeout, std::vector<std::thread>& io_threads) {
  registry.PostToEach([](Connection& conn) {
    if (conn.idle) conn.stream.close();
  });
  if (!registry.WaitEmpty(drain_timeout)) {
    registry.PostToEach([](Connection& conn) { conn.stream.close(); });
  }
  // Jobs still queued belong to force-closed connections and are dropped; running handlers
  // are waited for.
  pool.Shutdown();
  registry.WaitEmpty(kForcedCloseGrace);
  asio::io_context& ioc = static_cast<asio::io_context&>(work.get_executor().context());
  work.reset();
  ioc.stop();
  for (std::thread& t : io_threads) t.join();
}

asio::awaitable<boost::system::error_code> TlsHandshake(TlsStream& stream,
                                                        std::chrono::seconds timeout) {
  stream.next_layer().expires_after(timeout);
  auto [ec] = co_await stream.async_handshake(asio::ssl::stream_base::server, kUseTuple);
  co_return ec;
}

asio::awaitable<void> ShutdownSend(boost::beast::tcp_stream& stream) {
  boost::system::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
  co_return;
}

asio::awaitable<void> ShutdownSend(TlsStream& stream) {
  stream.next_layer().expires_after(std::chrono::seconds(1));
  co_await stream.async_shutdown(kUseTuple);
  co_await ShutdownSend(stream.next_layer());
}

bool ConnectionRegistry::Add(const std::shared_ptr<Connection>& conn) {
  std::lock_guard<std::mutex> lock(mu_);
  if (connections_.size() >= max_) return false;
  connections_.insert(conn);
  if (open_gauge_ != nullptr) open_gauge_->fetch_add(1, std::memory_order_relaxed);
  return true;
}

void ConnectionRegistry::Remove(const std::shared_ptr<Connection>& conn) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (connections_.erase(conn) == 0) return;
    if (open_gauge_ != nullptr) open_gauge_->fetch_sub(1, std::memory_order_relaxed);
  }
  cv_.notify_all();
}

bool ConnectionRegistry::WaitEmpty(std::chrono::steady_clock::duration timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  return cv_.wait_for(lock, timeout, [this] { return connections_.empty(); });
}

}  // namespace rhip::net::internal
