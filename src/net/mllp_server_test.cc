// MllpServer over real sockets on 127.0.0.1:0 with a test handler (the HL7 handler lives in
// interop/hl7v2).
#include "net/mllp_server.h"

#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/metrics.h"
#include "gtest/gtest.h"
#include "net/internal/mllp_framer.h"
#include "net/testing/tls_test_util.h"

namespace rhip::net {
namespace {

using internal::MllpFrame;
using std::chrono::milliseconds;

// A plain MLLP client: raw bytes out, framed replies in.
class Client {
 public:
  explicit Client(uint16_t port) : fd_(testing::ConnectLoopback(port)) {}
  ~Client() {
    if (fd_ >= 0) close(fd_);
  }
  bool connected() const { return fd_ >= 0; }
  bool Send(std::string_view data) { return testing::SendAll(fd_, data); }
  void ShutdownWrite() { shutdown(fd_, SHUT_WR); }
  // The next n reply payloads; fewer when the server closes or 5 s pass.
  std::vector<std::string> Replies(size_t n) {
    std::vector<std::string> replies;
    internal::MllpFramer framer(1 << 20);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (replies.size() < n) {
      if (!framer.Feed(pending_, &replies)) break;
      pending_.clear();
      if (replies.size() >= n || !Receive(deadline)) break;
    }
    return replies;
  }
  // True when the server closes the connection within timeout (bytes before are dropped).
  bool WaitClosed(milliseconds timeout = milliseconds(5000)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (Receive(deadline)) {
    }
    return closed_;
  }

 private:
  bool Receive(std::chrono::steady_clock::time_point deadline) {
    const auto left =
        std::chrono::duration_cast<milliseconds>(deadline - std::chrono::steady_clock::now());
    pollfd p{fd_, POLLIN, 0};
    if (left.count() <= 0 || poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
    char buf[4096];
    const ssize_t n = recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) {
      closed_ = true;
      return false;
    }
    pending_.append(buf, static_cast<size_t>(n));
    return true;
  }

  int fd_;
  bool closed_ = false;
  std::string pending_;
};

// Answers "ACK:" + payload and remembers what it saw.
class TestHandler {
 public:
  MllpHandler AsHandler() {
    return [this](const MllpMessage& m) {
      if (m.payload == "throw") throw std::runtime_error("handler failure");
      if (m.payload.rfind("slow", 0) == 0) std::this_thread::sleep_for(milliseconds(200));
      std::lock_guard<std::mutex> lock(mu_);
      seen_.push_back(m);
      return "ACK:" + m.payload;
    };
  }
  std::vector<MllpMessage> seen() {
    std::lock_guard<std::mutex> lock(mu_);
    return seen_;
  }

 private:
  std::mutex mu_;
  std::vector<MllpMessage> seen_;
};

class MllpServerTest : public ::testing::Test {
 protected:
  // A server with one channel named after the test.
  std::unique_ptr<MllpServer> StartServer(MllpServerOptions options = {},
                                          MllpChannelOptions channel = {}) {
    static int serial = 0;  // a fresh name per server, so its counters start at zero
    channel.name = std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()) +
                   "-" + std::to_string(++serial);
    channel.port = 0;
    name_ = channel.name;
    options.channels = {channel};
    options.read_timeout = std::chrono::seconds(1);
    if (options.idle_timeout == MllpServerOptions().idle_timeout) {
      options.idle_timeout = std::chrono::seconds(5);
    }
    options.drain_timeout = std::chrono::seconds(2);
    auto server = MllpServer::Start(options, handler_.AsHandler());
    EXPECT_TRUE(server.ok()) << server.status();
    if (!server.ok()) return nullptr;
    port_ = (*server)->port(name_);
    return *std::move(server);
  }
  double Rejected(const std::string& reason, double expected = 1) {
    return testing::CounterValue("rhip_mllp_rejected_total{channel=\"" + name_ + "\",reason=\"" + reason + "\"}",
                   expected);
  }
  double Count(const std::string& metric, double expected) {
    return testing::CounterValue(metric + "{channel=\"" + name_ + "\"}", expected);
  }

  TestHandler handler_;
  std::string name_;
  uint16_t port_ = 0;
};

TEST_F(MllpServerTest, FrameSplitAcrossWrites) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  Client client(port_);
  ASSERT_TRUE(client.connected());
  const std::string wire = MllpFrame("MSH|^~\\&|HIS\rPID|1");
  ASSERT_TRUE(client.Send(wire.substr(0, 1)));
  std::this_thread::sleep_for(milliseconds(30));
  ASSERT_TRUE(client.Send(wire.substr(1, 7)));
  std::this_thread::sleep_for(milliseconds(30));
  ASSERT_TRUE(client.Send(wire.substr(8, wire.size() - 9)));
  std::this_thread::sleep_for(milliseconds(30));
  ASSERT_TRUE(client.Send(wire.substr(wire.size() - 1)));  // the final CR alone
  EXPECT_EQ(client.Replies(1), std::vector<std::string>{"ACK:MSH|^~\\&|HIS\rPID|1"});
  const std::vector<MllpMessage> seen = handler_.seen();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].channel, name_);
  EXPECT_EQ(seen[0].remote_address, "127.0.0.1");
  EXPECT_FALSE(seen[0].tls);
  EXPECT_EQ(Count("rhip_mllp_messages_total", 1), 1);
  EXPECT_EQ(Count("rhip_mllp_connections_total", 1), 1);
}

TEST_F(MllpServerTest, TwoMessagesInOneWriteAreAnsweredInOrder) {
  MllpServerOptions options;
  options.worker_threads = 4;
  auto server = StartServer(options);
  ASSERT_NE(server, nullptr);
  Client client(port_);
  // The first is slow: a reply for the second must still come after it.
  ASSERT_TRUE(client.Send(MllpFrame("slow-1") + MllpFrame("fast-2") + MllpFrame("fast-3")));
  EXPECT_EQ(client.Replies(3), (std::vector<std::string>{"ACK:slow-1", "ACK:fast-2", "ACK:fast-3"}));
}

TEST_F(MllpServerTest, GarbageBeforeStartIsSkippedAndCounted) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  Client client(port_);
  ASSERT_TRUE(client.Send("GET / HTTP/1.0\r\n\r\n" + MllpFrame("m1")));
  EXPECT_EQ(client.Replies(1), std::vector<std::string>{"ACK:m1"});
  EXPECT_EQ(Count("rhip_mllp_framing_errors_total", 1), 1);
}

TEST_F(MllpServerTest, OversizedMessageClosesTheConnection) {
  MllpServerOptions options;
  options.max_message_bytes = 100;
  auto server = StartServer(options);
  ASSERT_NE(server, nullptr);
  Client client(port_);
  ASSERT_TRUE(client.Send(MllpFrame(std::string(100, 'a'))));  // at the limit: fine
  EXPECT_EQ(client.Replies(1).size(), 1u);
  client.Send(MllpFrame(std::string(101, 'b')));
  EXPECT_TRUE(client.WaitClosed());
  EXPECT_EQ(handler_.seen().size(), 1u);
  EXPECT_EQ(Rejected("too_large"), 1);
}

TEST_F(MllpServerTest, DisallowedSourceIsClosedAtOnce) {
  MllpChannelOptions channel;
  channel.allowed_sources = {"10.0.0.0/8", "2001:db8::/32"};
  auto server = StartServer({}, channel);
  ASSERT_NE(server, nullptr);
  Client client(port_);
  client.Send(MllpFrame("m"));
  EXPECT_TRUE(client.WaitClosed(milliseconds(2000)));
  EXPECT_TRUE(handler_.seen().empty());
  EXPECT_EQ(Rejected("source"), 1);
  EXPECT_EQ(Count("rhip_mllp_connections_total", 0), 0);
}

TEST_F(MllpServerTest, AllowedSourceIsServed) {
  MllpChannelOptions channel;
  channel.allowed_sources = {"10.0.0.0/8", "127.0.0.0/8"};
  auto server = StartServer({}, channel);
  ASSERT_NE(server, nullptr);
  Client client(port_);
  ASSERT_TRUE(client.Send(MllpFrame("m")));
  EXPECT_EQ(client.Replies(1), std::vector<std::string>{"ACK:m"});
}

TEST_F(MllpServerTest, TlsRoundTrip) {
  std::string dir = ::testing::TempDir() + "/mllp_tls_XXXXXX";
  ASSERT_NE(mkdtemp(dir.data()), nullptr);
  const testing::TestCertificate cert = testing::WriteSelfSignedCertificate(dir);
  MllpChannelOptions channel;
  channel.tls = {cert.cert_file, cert.key_file};
  auto server = StartServer({}, channel);
  ASSERT_NE(server, nullptr);
  testing::TlsClient client;
  ASSERT_TRUE(client.Connect(port_)) << client.error();
  ASSERT_TRUE(client.Send(MllpFrame("over-tls-1") + MllpFrame("over-tls-2")));
  const std::string got = client.ReadUntil(MllpFrame("ACK:over-tls-2"));
  EXPECT_EQ(got, MllpFrame("ACK:over-tls-1") + MllpFrame("ACK:over-tls-2"));
  const std::vector<MllpMessage> seen = handler_.seen();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_TRUE(seen[0].tls);
  // Plain MLLP on the TLS channel gets nothing back.
  Client plain(port_);
  plain.Send(MllpFrame("plain"));
  EXPECT_TRUE(plain.WaitClosed());
  EXPECT_EQ(Rejected("tls_handshake"), 1);
  EXPECT_EQ(handler_.seen().size(), 2u);
}

TEST_F(MllpServerTest, ManyConcurrentConnections) {
  MllpServerOptions options;
  options.io_threads = 2;
  options.worker_threads = 4;
  auto server = StartServer(options);
  ASSERT_NE(server, nullptr);
  constexpr int kClients = 40;
  constexpr int kMessages = 5;
  std::atomic<int> good{0};
  std::vector<std::thread> threads;
  for (int c = 0; c < kClients; ++c) {
    threads.emplace_back([&, c] {
      Client client(port_);
      std::string wire;
      std::vector<std::string> expected;
      for (int m = 0; m < kMessages; ++m) {
        const std::string payload = "c" + std::to_string(c) + "m" + std::to_string(m);
        wire += MllpFrame(payload);
        expected.push_back("ACK:" + payload);
      }
      if (client.Send(wire) && client.Replies(kMessages) == expected) ++good;
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(good.load(), kClients);
  EXPECT_EQ(Count("rhip_mllp_messages_total", kClients * kMessages), kClients * kMessages);
}

TEST_F(MllpServerTest, ConnectionsBeyondTheCapAreClosed) {
  MllpServerOptions options;
  options.max_connections = 2;
  auto server = StartServer(options);
  ASSERT_NE(server, nullptr);
  Client a(port_), b(port_);
  ASSERT_TRUE(a.Send(MllpFrame("a")));
  ASSERT_TRUE(b.Send(MllpFrame("b")));
  EXPECT_EQ(a.Replies(1).size(), 1u);
  EXPECT_EQ(b.Replies(1).size(), 1u);
  Client c(port_);
  EXPECT_TRUE(c.WaitClosed(milliseconds(2000)));
  EXPECT_EQ(Rejected("connections"), 1);
}

TEST_F(MllpServerTest, IdleConnectionIsClosed) {
  MllpServerOptions options;
  options.idle_timeout = std::chrono::seconds(1);
  auto server = StartServer(options);
  ASSERT_NE(server, nullptr);
  Client client(port_);
  ASSERT_TRUE(client.Send(MllpFrame("m")));
  EXPECT_EQ(client.Replies(1).size(), 1u);
  const auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(client.WaitClosed(milliseconds(4000)));
  EXPECT_GE(std::chrono::steady_clock::now() - start, milliseconds(800));
  EXPECT_EQ(Rejected("timeout"), 1);
}

TEST_F(MllpServerTest, StalledMessageTimesOutAndIsDiscarded) {
  auto server = StartServer();  // read_timeout 1 s, idle_timeout 5 s
  ASSERT_NE(server, nullptr);
  Client client(port_);
  ASSERT_TRUE(client.Send("\x0B" "MSH|never finished"));
  const auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(client.WaitClosed(milliseconds(4000)));
  EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(3000));
  EXPECT_TRUE(handler_.seen().empty());
  EXPECT_EQ(Count("rhip_mllp_framing_errors_total", 1), 1);
}

TEST_F(MllpServerTest, PartialFrameAtEofIsDiscarded) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  Client client(port_);
  ASSERT_TRUE(client.Send(MllpFrame("whole") + "\x0B" "half"));
  client.ShutdownWrite();
  EXPECT_EQ(client.Replies(1), std::vector<std::string>{"ACK:whole"});
  EXPECT_TRUE(client.WaitClosed());
  ASSERT_EQ(handler_.seen().size(), 1u);
  EXPECT_EQ(Count("rhip_mllp_framing_errors_total", 1), 1);
}

TEST_F(MllpServerTest, ThrowingHandlerClosesTheConnection) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  Client client(port_);
  ASSERT_TRUE(client.Send(MllpFrame("throw") + MllpFrame("after")));
  EXPECT_TRUE(client.WaitClosed());
  EXPECT_TRUE(handler_.seen().empty());
  EXPECT_EQ(Rejected("handler"), 1);
  Client next(port_);  // the server lives on
  ASSERT_TRUE(next.Send(MllpFrame("next")));
  EXPECT_EQ(next.Replies(1), std::vector<std::string>{"ACK:next"});
}

TEST_F(MllpServerTest, StopClosesIdleConnections) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  Client client(port_);
  ASSERT_TRUE(client.Send(MllpFrame("m")));
  EXPECT_EQ(client.Replies(1).size(), 1u);
  const auto start = std::chrono::steady_clock::now();
  server->Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(1500));
  EXPECT_TRUE(client.WaitClosed(milliseconds(1000)));
}

TEST(MllpServerStartTest, BadOptionsAreRefused) {
  const auto start_error = [](MllpServerOptions options) {
    auto server = MllpServer::Start(options, [](const MllpMessage&) { return std::string(); });
    EXPECT_FALSE(server.ok());
    return server.ok() ? std::string() : std::string(server.status().message());
  };
  MllpServerOptions options;
  EXPECT_NE(start_error(options).find("no channel"), std::string::npos);
  MllpChannelOptions channel;
  channel.name = "adt";
  channel.port = 0;
  channel.allowed_sources = {"10.0.0.0/40"};
  options.channels = {channel};
  EXPECT_NE(start_error(options).find("10.0.0.0/40"), std::string::npos);
  channel.allowed_sources = {};
  channel.tls = {"/nonexistent/cert.pem", "/nonexistent/key.pem"};
  options.channels = {channel};
  EXPECT_NE(start_error(options).find("/nonexistent/cert.pem"), std::string::npos);
  channel.tls = {};
  options.channels = {channel, channel};
  EXPECT_NE(start_error(options).find("unique"), std::string::npos);
}

}  // namespace
}  // namespace rhip::net
