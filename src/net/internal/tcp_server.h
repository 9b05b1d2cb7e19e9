// Pieces every TCP listener in net/ shares (HTTP and MLLP): binding, the io threads, the
// registry of open connections that Stop() walks, and handing work to the worker pool
// from a coroutine. Includes Asio/Beast: for net's own .cc files only.
#pragma once

#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_set>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "net/internal/worker_pool.h"

namespace rhip::net::internal {

// Opens, binds (SO_REUSEADDR) and listens; host may be an address or a name to resolve.
// what names the listener in errors ("HTTP", "MLLP channel adt").
absl::Status BindAcceptor(boost::asio::ip::tcp::acceptor& acceptor, const std::string& host,
                          uint16_t port, std::string_view what);

// Starts n threads running ioc; a throwing completion handler ends only its connection.
void StartIoThreads(boost::asio::io_context& ioc, int n, std::vector<std::thread>* threads);

struct Connection {
  explicit Connection(boost::asio::ip::tcp::socket socket) : stream(std::move(socket)) {}
  boost::beast::tcp_stream stream;  // the TCP layer; TLS, when on, sits on top of it
  bool idle = true;  // waiting for a request to start; touched only on the stream's strand
};

// Open connections of one server. Shared with the session coroutines so that a coroutine
// destroyed late (when the io_context itself is destroyed) still unregisters safely.
class ConnectionRegistry {
 public:
  // open_gauge (may be null, else outlives the registry) follows the number of connections.
  ConnectionRegistry(size_t max, std::atomic<int64_t>* open_gauge)
      : max_(max), open_gauge_(open_gauge) {}

  // False when max connections are open already.
  bool Add(const std::shared_ptr<Connection>& conn);
  void Remove(const std::shared_ptr<Connection>& conn);

  // Runs fn(conn) on each connection's strand.
  template <typename Fn>
  void PostToEach(Fn fn) {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& conn : connections_) {
      boost::asio::post(conn->stream.get_executor(), [conn, fn] { fn(*conn); });
    }
  }

  bool WaitEmpty(std::chrono::steady_clock::duration timeout);

 private:
  const size_t max_;
  std::atomic<int64_t>* const open_gauge_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::unordered_set<std::shared_ptr<Connection>> connections_;  // guarded by mu_
};

class RegistrationGuard {
 public:
  RegistrationGuard(std::shared_ptr<ConnectionRegistry> registry, std::shared_ptr<Connection> conn)
      : registry_(std::move(registry)), conn_(std::move(conn)) {}
  ~RegistrationGuard() { registry_->Remove(conn_); }
  RegistrationGuard(const RegistrationGuard&) = delete;
  RegistrationGuard& operator=(const RegistrationGuard&) = delete;

 private:
  std::shared_ptr<ConnectionRegistry> registry_;
  std::shared_ptr<Connection> conn_;
};

// Stops a server whose acceptors are closed: idle connections are closed now, busy ones get
// drain_timeout to finish and are then closed; the pool drops queued jobs and waits for
// running ones; then the io threads end. REQUIRES: not called from an io or pool thread.
void DrainAndStop(ConnectionRegistry& registry, WorkerPool& pool,
                  boost::asio::executor_work_guard<boost::asio::io_context::executor_type>& work,
                  std::chrono::seconds drain_timeout, std::vector<std::thread>& io_threads);

// A TLS layer over a connection's TCP stream (which keeps the deadlines).
using TlsStream = boost::asio::ssl::stream<boost::beast::tcp_stream&>;

// The server side of the handshake, within timeout.
boost::asio::awaitable<boost::system::error_code> TlsHandshake(TlsStream& stream,
                                                               std::chrono::seconds timeout);

// Ends our sending side after the last reply: a TCP FIN; with TLS first a close_notify
// (waiting at most a second for the peer's), so the peer can tell a complete reply from a
// truncated one.
boost::asio::awaitable<void> ShutdownSend(boost::beast::tcp_stream& stream);
boost::asio::awaitable<void> ShutdownSend(TlsStream& stream);

// Runs work() (returning Result, must not throw) on the pool and resumes the calling
// coroutine on its own executor with the result; nullopt when the pool's queue is full or
// the job was cancelled by shutdown. The io thread never waits for the work.
template <typename Result, typename Work>
boost::asio::awaitable<std::optional<Result>> RunOnWorker(WorkerPool& pool, Work work) {
  namespace asio = boost::asio;
  return asio::async_initiate<const asio::use_awaitable_t<>&, void(std::optional<Result>)>(
      [&pool](auto handler, Work work) {
        struct Pending {
          decltype(handler) completion;
          Work work;
        };
        auto pending = std::make_shared<Pending>(Pending{std::move(handler), std::move(work)});
        // The completion resumes the coroutine, so it must run on the connection's strand.
        const auto complete = [](std::shared_ptr<Pending> p, std::optional<Result> r) {
          auto executor = asio::get_associated_executor(p->completion);
          asio::post(executor, [p = std::move(p), r = std::move(r)]() mutable {
            std::move(p->completion)(std::move(r));
          });
        };
        WorkerPool::Job job = [pending, complete](bool cancelled) {
          std::optional<Result> result;
          if (!cancelled) result = pending->work();
          complete(pending, std::move(result));
        };
        if (!pool.TrySubmit(job)) complete(pending, std::nullopt);
      },
      asio::use_awaitable, std::move(work));
}

}  // namespace rhip::net::internal
