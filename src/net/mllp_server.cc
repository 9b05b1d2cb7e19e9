// Threads as in http_server.cc: io threads run one io_context, every connection is a
// coroutine on its own strand, handlers run on the worker pool.
#include "net/mllp_server.h"

#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/write.hpp>
#include <mutex>
#include <set>
#include <utility>

#include "core/metrics.h"
#include "core/strings.h"
#include "net/internal/address_filter.h"
#include "net/internal/mllp_framer.h"
#include "net/internal/tcp_server.h"
#include "net/internal/tls_context.h"

namespace rhip::net {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);
constexpr size_t kReadBytes = 16 * 1024;
// How often a connection retries handing a message to a full worker queue.
constexpr std::chrono::milliseconds kBusyRetry{10};

std::atomic<int64_t>& OpenConnections() {
  static std::atomic<int64_t>* open = [] {
    auto* n = new std::atomic<int64_t>(0);  // never destroyed: gauges may be rendered at exit
    Metrics& m = Metrics::Global();
    m.RegisterGauge("rhip_mllp_connections_open", "open MLLP connections (all channels)",
                    [n] { return static_cast<double>(n->load()); });
    m.SetHelp("rhip_mllp_connections_total", "counter", "MLLP connections accepted, by channel");
    m.SetHelp("rhip_mllp_messages_total", "counter", "MLLP messages received, by channel");
    m.SetHelp("rhip_mllp_framing_errors_total", "counter",
              "MLLP framing errors (stray bytes, broken or unfinished frames), by channel");
    m.SetHelp("rhip_mllp_rejected_total", "counter",
              "MLLP connections closed by the transport, by channel and reason");
    return n;
  }();
  return *open;
}

struct Channel {
  MllpChannelOptions options;
  internal::AddressFilter sources;
  std::unique_ptr<asio::ssl::context> tls;  // null: plain TCP
  std::unique_ptr<tcp::acceptor> acceptor;
  uint16_t port = 0;

  void Count(const char* name, double n = 1) const {
    Metrics::Global().Increment(name, {{"channel", options.name}}, n);
  }
  void Rejected(const char* reason) const {
    Metrics::Global().Increment("rhip_mllp_rejected_total",
                                {{"channel", options.name}, {"reason", reason}});
  }
};

// What a worker made of one message: the reply, or failed when the handler threw.
struct HandlerResult {
  bool failed = false;
  std::string reply;
};

class MllpServerImpl final : public MllpServer {
 public:
  MllpServerImpl(const MllpServerOptions& options, MllpHandler handler)
      : options_(options),
        handler_(std::move(handler)),
        ioc_(options.io_threads),
        work_(ioc_.get_executor()),
        registry_(std::make_shared<internal::ConnectionRegistry>(options.max_connections,
                                                                 &OpenConnections())),
        pool_(options.worker_threads, options.max_queued_messages, nullptr) {}
  ~MllpServerImpl() override { Stop(); }

  absl::Status Listen(std::vector<Channel> channels);
  void StartThreads();
  uint16_t port(std::string_view channel) const override;
  void Stop() override;

 private:
  asio::awaitable<void> AcceptLoop(const Channel& channel);
  asio::awaitable<void> Session(const Channel& channel,
                                std::shared_ptr<internal::Connection> conn);
  template <typename Stream>
  asio::awaitable<void> Serve(Stream& stream, internal::Connection& conn, const Channel& channel,
                              const std::string& remote_address);
  // The handler's result, or nullopt when the message could not be handed to a worker.
  asio::awaitable<std::optional<HandlerResult>> Handle(const Channel& channel,
                                                       std::shared_ptr<const MllpMessage> message);
  asio::any_io_executor SerialExecutor() {
    if (options_.io_threads == 1) return ioc_.get_executor();
    return asio::make_strand(ioc_);
  }

  const MllpServerOptions options_;
  const MllpHandler handler_;
  asio::io_context ioc_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  std::vector<Channel> channels_;  // fixed after Listen()
  std::shared_ptr<internal::ConnectionRegistry> registry_;
  internal::WorkerPool pool_;
  std::vector<std::thread> io_threads_;
  std::atomic<bool> stopping_{false};
  std::once_flag stop_once_;
};

absl::Status MllpServerImpl::Listen(std::vector<Channel> channels) {
  channels_ = std::move(channels);
  for (Channel& channel : channels_) {
    channel.acceptor = std::make_unique<tcp::acceptor>(SerialExecutor());
    if (absl::Status s = internal::BindAcceptor(*channel.acceptor, channel.options.host,
                                                channel.options.port,
                                                StrCat("MLLP channel ", channel.options.name));
        !s.ok()) {
      return s;
    }
    beast::error_code ec;
    channel.port = channel.acceptor->local_endpoint(ec).port();
    if (ec) return absl::UnavailableError(StrCat("MLLP: cannot query port: ", ec.message()));
  }
  return absl::OkStatus();
}

void MllpServerImpl::StartThreads() {
  for (const Channel& channel : channels_) {
    asio::co_spawn(channel.acceptor->get_executor(), AcceptLoop(channel), asio::detached);
  }
  internal::StartIoThreads(ioc_, options_.io_threads, &io_threads_);
}

uint16_t MllpServerImpl::port(std::string_view name) const {
  for (const Channel& channel : channels_) {
    if (channel.options.name == name) return channel.port;
  }
  return 0;
}

asio::awaitable<void> MllpServerImpl::AcceptLoop(const Channel& channel) {
  for (;;) {
    auto [ec, socket] = co_await channel.acceptor->async_accept(SerialExecutor(), kUseTuple);
    if (stopping_.load() || ec == asio::error::operation_aborted) co_return;
    if (ec) {
      asio::steady_timer backoff(channel.acceptor->get_executor(), std::chrono::milliseconds(50));
      co_await backoff.async_wait(kUseTuple);
      continue;
    }
    beast::error_code ignored;
    const tcp::endpoint peer = socket.remote_endpoint(ignored);
    // Refused before any byte is read (and before a TLS handshake costs anything).
    if (ignored || !channel.sources.Allows(peer.address().to_string())) {
      channel.Rejected("source");
      socket.close(ignored);
      continue;
    }
    socket.set_option(tcp::no_delay(true), ignored);
    auto conn = std::make_shared<internal::Connection>(std::move(socket));
    if (!registry_->Add(conn)) {
      channel.Rejected("connections");
      conn->stream.socket().close(ignored);
      continue;
    }
    channel.Count("rhip_mllp_connections_total");
    asio::co_spawn(conn->stream.get_executor(), Session(channel, conn), asio::detached);
  }
}

asio::awaitable<void> MllpServerImpl::Session(const Channel& channel,
                                              std::shared_ptr<internal::Connection> conn) {
  internal::RegistrationGuard registration(registry_, conn);
  beast::error_code ec;
  const std::string remote_address = conn->stream.socket().remote_endpoint(ec).address().to_string();
  if (ec) co_return;
  if (channel.tls == nullptr) {
    co_await Serve(conn->stream, *conn, channel, remote_address);
  } else {
    internal::TlsStream stream(conn->stream, *channel.tls);
    ec = co_await internal::TlsHandshake(stream, options_.read_timeout);
    if (ec) {
      channel.Rejected(ec == beast::error::timeout ? "timeout" : "tls_handshake");
    } else {
      co_await Serve(stream, *conn, channel, remote_address);
      co_await internal::ShutdownSend(stream);
    }
  }
  conn->stream.close();
}

template <typename Stream>
asio::awaitable<void> MllpServerImpl::Serve(Stream& stream, internal::Connection& conn,
                                            const Channel& channel,
                                            const std::string& remote_address) {
  internal::MllpFramer framer(options_.max_message_bytes);
  uint64_t framing_errors = 0;
  std::optional<Clock::time_point> message_deadline;  // set while a message is incomplete
  std::vector<std::string> payloads;
  char buffer[kReadBytes];
  for (;;) {
    if (stopping_.load()) break;
    // Between messages the idle timeout applies; from the first byte of a message (or of
    // stray bytes) the whole message must arrive within read_timeout.
    if (framer.between_messages()) {
      message_deadline.reset();
      conn.stream.expires_after(options_.idle_timeout);
    } else {
      if (!message_deadline) message_deadline = Clock::now() + options_.read_timeout;
      conn.stream.expires_at(*message_deadline);
    }
    conn.idle = framer.between_messages();
    auto [ec, n] = co_await stream.async_read_some(asio::buffer(buffer), kUseTuple);
    conn.idle = false;
    if (ec) {
      if (ec == beast::error::timeout) channel.Rejected("timeout");
      if (!framer.between_messages()) channel.Count("rhip_mllp_framing_errors_total");
      break;
    }
    payloads.clear();
    const bool within_limit = framer.Feed(std::string_view(buffer, n), &payloads);
    if (framer.framing_errors() != framing_errors) {
      channel.Count("rhip_mllp_framing_errors_total",
                    static_cast<double>(framer.framing_errors() - framing_errors));
      framing_errors = framer.framing_errors();
    }
    bool open = true;
    for (std::string& payload : payloads) {
      channel.Count("rhip_mllp_messages_total");
      auto message = std::make_shared<const MllpMessage>(
          MllpMessage{channel.options.name, remote_address, channel.tls != nullptr,
                      std::move(payload)});
      std::optional<HandlerResult> result = co_await Handle(channel, std::move(message));
      if (!result || result->failed) {
        open = false;
        break;
      }
      if (result->reply.empty()) continue;
      const std::string frame = internal::MllpFrame(result->reply);
      conn.stream.expires_after(options_.write_timeout);
      auto [wec, written] = co_await asio::async_write(stream, asio::buffer(frame), kUseTuple);
      if (wec) {
        if (wec == beast::error::timeout) channel.Rejected("timeout");
        open = false;
        break;
      }
    }
    if (!open) break;
    if (!within_limit) {
      channel.Rejected("too_large");
      break;
    }
  }
}

asio::awaitable<std::optional<HandlerResult>> MllpServerImpl::Handle(
    const Channel& channel, std::shared_ptr<const MllpMessage> message) {
  const Clock::time_point give_up = Clock::now() + options_.read_timeout;
  for (;;) {
    // A named variable, not a temporary in the co_await expression (GCC bug 99576).
    auto work = [this, message] {
      HandlerResult result;
      try {
        result.reply = handler_(*message);
      } catch (...) {
        result.failed = true;
      }
      return result;
    };
    std::optional<HandlerResult> result =
        co_await internal::RunOnWorker<HandlerResult>(pool_, std::move(work));
    if (result) {
      if (result->failed) channel.Rejected("handler");
      co_return result;
    }
    // The queue is full (or the server is stopping): the sender waits; that is MLLP's
    // natural back-pressure, bounded by read_timeout.
    if (stopping_.load()) co_return std::nullopt;
    if (Clock::now() >= give_up) {
      channel.Rejected("busy");
      co_return std::nullopt;
    }
    asio::steady_timer retry(co_await asio::this_coro::executor, kBusyRetry);
    co_await retry.async_wait(kUseTuple);
  }
}

void MllpServerImpl::Stop() {
  std::call_once(stop_once_, [this] {
    stopping_.store(true);
    for (Channel& channel : channels_) {
      if (channel.acceptor == nullptr) continue;  // Listen failed before this one
      asio::post(channel.acceptor->get_executor(), [&channel] {
        beast::error_code ignored;
        channel.acceptor->close(ignored);
      });
    }
    internal::DrainAndStop(*registry_, pool_, work_, options_.drain_timeout, io_threads_);
  });
}

absl::StatusOr<std::vector<Channel>> PrepareChannels(const MllpServerOptions& o) {
  if (o.channels.empty()) return absl::InvalidArgumentError("MLLP server: no channel configured");
  if (o.io_threads < 1 || o.worker_threads < 1 || o.max_queued_messages < 1 ||
      o.max_connections < 1 || o.max_message_bytes < 1 || o.read_timeout.count() <= 0 ||
      o.write_timeout.count() <= 0 || o.idle_timeout.count() <= 0 || o.drain_timeout.count() < 0) {
    return absl::InvalidArgumentError(
        "MLLP server options: threads, queue, connections, message size and timeouts must be "
        "positive");
  }
  std::set<std::string> names;
  std::vector<Channel> channels;
  for (const MllpChannelOptions& options : o.channels) {
    if (options.name.empty() || !names.insert(options.name).second) {
      return absl::InvalidArgumentError(
          StrCat("MLLP channel names must be unique and not empty: '", options.name, "'"));
    }
    Channel channel;
    channel.options = options;
    auto sources = internal::AddressFilter::Parse(options.allowed_sources);
    if (!sources.ok()) {
      return absl::InvalidArgumentError(
          StrCat("MLLP channel ", options.name, ": ", sources.status().message()));
    }
    channel.sources = *std::move(sources);
    if (options.tls.enabled()) {
      auto tls = internal::NewServerTlsContext(options.tls);
      if (!tls.ok()) {
        return absl::InvalidArgumentError(
            StrCat("MLLP channel ", options.name, ": ", tls.status().message()));
      }
      channel.tls = *std::move(tls);
    }
    channels.push_back(std::move(channel));
  }
  return channels;
}

}  // namespace

absl::StatusOr<std::unique_ptr<MllpServer>> MllpServer::Start(const MllpServerOptions& options,
                                                              MllpHandler handler) {
  if (!handler) return absl::InvalidArgumentError("MLLP server needs a handler");
  auto channels = PrepareChannels(options);
  if (!channels.ok()) return channels.status();
  try {
    auto server = std::make_unique<MllpServerImpl>(options, std::move(handler));
    if (absl::Status s = server->Listen(*std::move(channels)); !s.ok()) return s;
    server->StartThreads();
    return std::unique_ptr<MllpServer>(std::move(server));
  } catch (const std::exception& e) {
    return absl::InternalError(StrCat("cannot start MLLP server: ", e.what()));
  }
}

}  // namespace rhip::net
