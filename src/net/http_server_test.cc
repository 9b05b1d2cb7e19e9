#include "net/http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "core/metrics.h"
#include "gtest/gtest.h"
#include "net/testing/tls_test_util.h"

namespace rhip::net {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

struct ClientResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
};

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// A blocking HTTP/1.1 client on plain sockets: just enough to drive the server.
class Client {
 public:
  explicit Client(uint16_t port) : fd_(testing::ConnectLoopback(port)) {}
  ~Client() {
    if (fd_ >= 0) close(fd_);
  }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  bool connected() const { return fd_ >= 0; }

  bool Send(std::string_view data) { return testing::SendAll(fd_, data); }

  // Reads one response (the body per Content-Length; none for HEAD). nullopt on EOF or timeout.
  std::optional<ClientResponse> Read(bool head = false, milliseconds timeout = milliseconds(5000)) {
    const auto deadline = Clock::now() + timeout;
    size_t end;
    while ((end = buffer_.find("\r\n\r\n")) == std::string::npos) {
      if (!Fill(deadline)) return std::nullopt;
    }
    ClientResponse response;
    const std::string head_text = buffer_.substr(0, end);
    buffer_.erase(0, end + 4);
    size_t line_end = head_text.find("\r\n");
    const std::string status_line = head_text.substr(0, line_end);
    if (status_line.size() < 12 || status_line.compare(0, 5, "HTTP/") != 0) return std::nullopt;
    response.status = std::stoi(status_line.substr(9, 3));
    while (line_end != std::string::npos) {
      const size_t start = line_end + 2;
      line_end = head_text.find("\r\n", start);
      const std::string line = head_text.substr(start, line_end - start);
      const size_t colon = line.find(':');
      if (colon == std::string::npos) continue;
      size_t value_start = colon + 1;
      while (value_start < line.size() && line[value_start] == ' ') ++value_start;
      response.headers[Lower(line.substr(0, colon))] = line.substr(value_start);
    }
    const size_t length = head || !response.headers.count("content-length")
                              ? 0
                              : std::stoul(response.headers["content-length"]);
    while (buffer_.size() < length) {
      if (!Fill(deadline)) return std::nullopt;
    }
    response.body = buffer_.substr(0, length);
    buffer_.erase(0, length);
    return response;
  }

  std::optional<ClientResponse> Get(const std::string& target, const std::string& extra = "") {
    if (!Send("GET " + target + " HTTP/1.1\r\nHost: test\r\n" + extra + "\r\n")) return {};
    return Read();
  }

  // True when the server closes the connection (EOF or reset) within timeout.
  bool WaitClosed(milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    for (;;) {
      const std::optional<ssize_t> n = Receive(deadline);
      if (!n) return false;
      if (*n <= 0) return true;
    }
  }

 private:
  // Appends what arrives before the deadline to buffer_: recv()'s result, nullopt on timeout.
  std::optional<ssize_t> Receive(Clock::time_point deadline) {
    pollfd p{fd_, POLLIN, 0};
    const auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now()).count();
    if (left <= 0 || poll(&p, 1, static_cast<int>(left)) <= 0) return std::nullopt;
    char buf[16384];
    const ssize_t n = recv(fd_, buf, sizeof buf, 0);
    if (n > 0) buffer_.append(buf, static_cast<size_t>(n));
    return n;
  }

  bool Fill(Clock::time_point deadline) {
    const std::optional<ssize_t> n = Receive(deadline);
    return n && *n > 0;
  }

  int fd_ = -1;
  std::string buffer_;
};

// Lets a test hold handlers inside the worker pool until it opens the gate.
class Gate {
 public:
  void Enter() {
    std::unique_lock<std::mutex> lock(mu_);
    ++entered_;
    cv_.notify_all();
    cv_.wait(lock, [this] { return open_; });
  }
  bool WaitEntered(int n) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(5), [&] { return entered_ >= n; });
  }
  void Open() {
    std::lock_guard<std::mutex> lock(mu_);
    open_ = true;
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int entered_ = 0;
  bool open_ = false;
};

HttpResponse RenderError(int status, std::string_view message) {
  HttpResponse response;
  response.status = status;
  response.SetHeader("Content-Type", "text/plain");
  response.body = "error: " + std::string(message);
  return response;
}

HttpResponse Echo(const HttpRequest& request) {
  HttpResponse response;
  response.SetHeader("Content-Type", "text/plain");
  response.SetHeader("X-Method", request.method);
  response.SetHeader("X-Path", request.path);
  response.SetHeader("X-Query", request.query);
  response.SetHeader("X-Target", request.target);
  response.SetHeader("X-Remote", request.remote_address);
  response.SetHeader("X-Echo", request.Header("x-echo"));
  response.body = request.body;
  return response;
}

HttpServerOptions TestOptions() {
  HttpServerOptions options;
  options.port = 0;
  options.worker_threads = 2;
  options.read_timeout = std::chrono::seconds(1);
  options.write_timeout = std::chrono::seconds(1);
  options.idle_timeout = std::chrono::seconds(1);
  options.drain_timeout = std::chrono::seconds(2);
  return options;
}

std::unique_ptr<HttpServer> StartServer(const HttpServerOptions& options,
                                        HttpHandler handler = Echo) {
  auto server = HttpServer::Start(options, std::move(handler), RenderError);
  if (!server.ok()) throw std::runtime_error(std::string(server.status().message()));
  return *std::move(server);
}

// Sends raw bytes and returns the response status; 0 when there is no answer.
int StatusOf(Client& client, const std::string& raw) {
  if (!client.Send(raw)) return 0;
  const auto response = client.Read();
  return response ? response->status : 0;
}

int StatusOf(uint16_t port, const std::string& raw) {
  Client client(port);
  return StatusOf(client, raw);
}

// Polls briefly: the server may count a rejection just after the client sees its effect.
bool MetricsContain(const std::string& text) {
  const auto deadline = Clock::now() + std::chrono::seconds(2);
  for (;;) {
    if (Metrics::Global().RenderPrometheus().find(text) != std::string::npos) return true;
    if (Clock::now() > deadline) return false;
    std::this_thread::sleep_for(milliseconds(5));
  }
}

TEST(HttpServerTest, GetEchoesDecodedPathAndRawQuery) {
  auto server = StartServer(TestOptions());
  Client client(server->port());
  ASSERT_TRUE(client.connected());
  auto response = client.Get("/fhir/Patient/a%20b?name=%E5%BC%A0&x=1", "X-Echo: hello\r\n");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->headers["x-method"], "GET");
  EXPECT_EQ(response->headers["x-path"], "/fhir/Patient/a b");
  EXPECT_EQ(response->headers["x-query"], "name=%E5%BC%A0&x=1");
  EXPECT_EQ(response->headers["x-target"], "/fhir/Patient/a%20b?name=%E5%BC%A0&x=1");
  EXPECT_EQ(response->headers["x-remote"], "127.0.0.1");
  EXPECT_EQ(response->headers["x-echo"], "hello");
  EXPECT_EQ(response->headers["content-length"], "0");
  EXPECT_TRUE(response->headers.count("date"));
}

TEST(HttpServerTest, PostEchoesBody) {
  auto server = StartServer(TestOptions());
  Client client(server->port());
  std::string large(3 << 20, 'x');  // arrives in many pieces
  for (size_t i = 0; i < large.size(); i += 4096) large[i] = static_cast<char>('a' + i % 26);
  for (const std::string& body : {std::string(R"({"resourceType":"Patient"})"), large}) {
    ASSERT_TRUE(client.Send("POST /fhir/Patient HTTP/1.1\r\nHost: t\r\nContent-Length: " +
                            std::to_string(body.size()) + "\r\n\r\n" + body));
    auto response = client.Read();
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 200);
    EXPECT_EQ(response->headers["x-method"], "POST");
    EXPECT_TRUE(response->body == body) << response->body.size();
  }
}

TEST(HttpServerTest, BodyFileIsStreamedFromDisk) {
  const std::string path = ::testing::TempDir() + "/http_server_test_body_file";
  std::string content(5 << 20, 'y');  // several serializer chunks
  for (size_t i = 0; i < content.size(); i += 1000) content[i] = static_cast<char>('a' + i % 26);
  std::ofstream(path, std::ios::binary) << content;
  auto server = StartServer(TestOptions(), [&](const HttpRequest& request) {
    HttpResponse r;
    r.SetHeader("Content-Type", "application/fhir+ndjson");
    r.body_file = request.path == "/missing" ? path + ".absent" : path;
    return r;
  });
  Client client(server->port());
  auto response = client.Get("/file");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->headers["content-type"], "application/fhir+ndjson");
  EXPECT_EQ(response->headers["content-length"], std::to_string(content.size()));
  EXPECT_TRUE(response->body == content) << response->body.size();
  // Keep-alive continues after a file; a file that cannot be opened is a 404.
  response = client.Get("/missing");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 404);
  std::remove(path.c_str());
}

TEST(HttpServerTest, KeepAliveServesManyRequestsOnOneConnection) {
  auto server = StartServer(TestOptions());
  Client client(server->port());
  for (int i = 0; i < 5; ++i) {
    auto response = client.Get("/r" + std::to_string(i));
    ASSERT_TRUE(response) << i;
    EXPECT_EQ(response->headers["x-path"], "/r" + std::to_string(i));
  }
  // Pipelined: both requests in one write, answers in order.
  ASSERT_TRUE(
      client.Send("GET /p1 HTTP/1.1\r\nHost: t\r\n\r\nGET /p2 HTTP/1.1\r\nHost: t\r\n\r\n"));
  auto first = client.Read();
  auto second = client.Read();
  ASSERT_TRUE(first && second);
  EXPECT_EQ(first->headers["x-path"], "/p1");
  EXPECT_EQ(second->headers["x-path"], "/p2");
}

TEST(HttpServerTest, ConcurrentClientsOnSeveralIoThreads) {
  HttpServerOptions options = TestOptions();
  options.io_threads = 2;
  options.worker_threads = 3;
  auto server = StartServer(options);
  std::atomic<int> ok{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < 8; ++c) {
    clients.emplace_back([&, c] {
      Client client(server->port());
      for (int i = 0; i < 50; ++i) {
        const std::string path = "/c" + std::to_string(c) + "/" + std::to_string(i);
        auto response = client.Get(path);
        if (response && response->headers["x-path"] == path) ++ok;
      }
    });
  }
  for (std::thread& t : clients) t.join();
  EXPECT_EQ(ok.load(), 8 * 50);
}

TEST(HttpServerTest, ConnectionCloseFromClientClosesAfterResponse) {
  auto server = StartServer(TestOptions());
  Client client(server->port());
  auto response = client.Get("/", "Connection: close\r\n");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(Lower(response->headers["connection"]), "close");
  EXPECT_TRUE(client.WaitClosed(milliseconds(500)));
}

TEST(HttpServerTest, HeadSendsHeadersWithoutBody) {
  auto server = StartServer(TestOptions(), [](const HttpRequest&) {
    HttpResponse response;
    response.body = "twelve bytes";
    return response;
  });
  Client client(server->port());
  ASSERT_TRUE(client.Send("HEAD / HTTP/1.1\r\nHost: t\r\n\r\n"));
  auto head = client.Read(/*head=*/true);
  ASSERT_TRUE(head);
  EXPECT_EQ(head->headers["content-length"], "12");
  // Had body bytes been sent, they would garble this second response.
  auto get = client.Get("/");
  ASSERT_TRUE(get);
  EXPECT_EQ(get->status, 200);
  EXPECT_EQ(get->body, "twelve bytes");
}

TEST(HttpServerTest, HeaderOverLimitIs431) {
  HttpServerOptions options = TestOptions();
  options.max_header_bytes = 1024;
  auto server = StartServer(options);
  Client client(server->port());
  auto response = client.Get("/", "X-Big: " + std::string(4096, 'a') + "\r\n");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 431);
  EXPECT_EQ(response->body, "error: request header fields too large");
  EXPECT_TRUE(client.WaitClosed(milliseconds(2000)));
  EXPECT_TRUE(MetricsContain("rhip_http_rejected_total{reason=\"too_large\"}"));
}

// Regression: Beast counted the limit per parse window, so a header of many small fields,
// arriving in several reads, passed it.
TEST(HttpServerTest, ManySmallFieldsOverLimitAre431) {
  HttpServerOptions options = TestOptions();
  options.max_header_bytes = 16 * 1024;  // the default, where it showed
  auto server = StartServer(options);
  auto fields = [](int count) {
    std::string out;
    for (int i = 0; i < count; ++i) out += "X-F" + std::to_string(1000 + i) + ": 0123456789\r\n";
    return out;  // 21 bytes a field
  };
  {
    Client client(server->port());
    auto response = client.Get("/", fields(770));  // 16,170 bytes, and the request line
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 200);
  }
  for (int count : {790, 1000, 2000}) {
    Client client(server->port());
    auto response = client.Get("/", fields(count));
    ASSERT_TRUE(response) << count;
    EXPECT_EQ(response->status, 431) << count;
  }
}

TEST(HttpServerTest, BodyOverLimitIs413) {
  HttpServerOptions options = TestOptions();
  options.max_body_bytes = 100;
  auto server = StartServer(options);
  const std::string post = "POST / HTTP/1.1\r\nHost: t\r\n";
  EXPECT_EQ(StatusOf(server->port(), post + "Content-Length: 101\r\n\r\n" + std::string(101, 'x')),
            413);
  // Chunked: the size is only known while reading the body.
  EXPECT_EQ(StatusOf(server->port(), post + "Transfer-Encoding: chunked\r\n\r\n40\r\n" +
                                         std::string(64, 'x') + "\r\n40\r\n" +
                                         std::string(64, 'y') + "\r\n0\r\n\r\n"),
            413);
  EXPECT_EQ(StatusOf(server->port(), post + "Content-Length: 100\r\n\r\n" + std::string(100, 'x')),
            200);
}

TEST(HttpServerTest, GarbageIs400AndServerSurvives) {
  auto server = StartServer(TestOptions());
  for (const std::string& garbage :
       {std::string("\x01\x02 nonsense\r\n\r\n"), std::string("GET / HTTP/9.9\r\n\r\n"),
        std::string("GET /a%zz HTTP/1.1\r\nHost: t\r\n\r\n"),
        std::string("GET relative HTTP/1.1\r\nHost: t\r\n\r\n"),
        std::string("GET /%00 HTTP/1.1\r\nHost: t\r\n\r\n"),
        std::string("POST / HTTP/1.1\r\nContent-Length: nope\r\n\r\n")}) {
    Client client(server->port());
    EXPECT_EQ(StatusOf(client, garbage), 400) << garbage;
    EXPECT_TRUE(client.WaitClosed(milliseconds(2000))) << garbage;
  }
  Client client(server->port());
  auto response = client.Get("/still-alive");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
}

TEST(HttpServerTest, StalledRequestIsDisconnectedAfterReadTimeout) {
  auto server = StartServer(TestOptions());
  Client client(server->port());
  const auto start = Clock::now();
  ASSERT_TRUE(client.Send("GET / HTTP/1.1\r\nHost: t\r\n"));  // never finished
  EXPECT_TRUE(client.WaitClosed(milliseconds(2500)));
  EXPECT_GE(Clock::now() - start, milliseconds(900));
  EXPECT_TRUE(MetricsContain("rhip_http_rejected_total{reason=\"timeout\"}"));
}

TEST(HttpServerTest, ClientThatStopsReadingIsDisconnectedAfterWriteTimeout) {
  auto server = StartServer(TestOptions(), [](const HttpRequest&) {
    HttpResponse response;
    response.body.assign(64 << 20, 'x');  // more than the socket buffers hold
    return response;
  });
  Client client(server->port());
  ASSERT_TRUE(client.Send("GET / HTTP/1.1\r\nHost: t\r\n\r\n"));
  ASSERT_TRUE(MetricsContain("rhip_http_connections_open 1\n"));
  EXPECT_TRUE(MetricsContain("rhip_http_connections_open 0\n"));
}

TEST(HttpServerTest, IdleKeepAliveConnectionIsClosed) {
  auto server = StartServer(TestOptions());
  Client client(server->port());
  ASSERT_TRUE(client.Get("/"));
  const auto start = Clock::now();
  EXPECT_TRUE(client.WaitClosed(milliseconds(2500)));
  EXPECT_GE(Clock::now() - start, milliseconds(900));
}

TEST(HttpServerTest, FullWorkerQueueAnswers503WithRetryAfter) {
  HttpServerOptions options = TestOptions();
  options.worker_threads = 1;
  options.max_queued_requests = 1;
  Gate gate;
  auto server = StartServer(options, [&](const HttpRequest& request) {
    gate.Enter();
    return Echo(request);
  });
  Client running(server->port()), queued(server->port()), rejected(server->port());
  ASSERT_TRUE(running.Send("GET /running HTTP/1.1\r\nHost: t\r\n\r\n"));
  ASSERT_TRUE(gate.WaitEntered(1));
  ASSERT_TRUE(queued.Send("GET /queued HTTP/1.1\r\nHost: t\r\n\r\n"));
  ASSERT_TRUE(MetricsContain("rhip_http_worker_queue_depth 1\n"));
  auto busy = rejected.Get("/rejected");
  ASSERT_TRUE(busy);
  EXPECT_EQ(busy->status, 503);
  EXPECT_EQ(busy->headers["retry-after"], "1");
  EXPECT_EQ(busy->body, "error: server busy, retry later");
  EXPECT_TRUE(MetricsContain("rhip_http_rejected_total{reason=\"busy\"}"));
  gate.Open();
  auto first = running.Read();
  auto second = queued.Read();
  ASSERT_TRUE(first && second);
  EXPECT_EQ(first->headers["x-path"], "/running");
  EXPECT_EQ(second->headers["x-path"], "/queued");
  // The rejected connection stays usable.
  auto retry = rejected.Get("/retry");
  ASSERT_TRUE(retry);
  EXPECT_EQ(retry->status, 200);
}

TEST(HttpServerTest, StopLetsInFlightRequestFinishThenRefuses) {
  Gate gate;
  auto server = StartServer(TestOptions(), [&](const HttpRequest& request) {
    gate.Enter();
    return Echo(request);
  });
  const uint16_t port = server->port();
  Client idle(port);
  Client busy(port);
  ASSERT_TRUE(busy.Send("GET /slow HTTP/1.1\r\nHost: t\r\n\r\n"));
  ASSERT_TRUE(gate.WaitEntered(1));
  std::thread stopper([&] { server->Stop(); });
  EXPECT_TRUE(idle.WaitClosed(milliseconds(1000)));
  // Once stopping, new connections are refused (or closed without an answer).
  bool refused = false;
  for (int i = 0; i < 100 && !refused; ++i) {
    Client late(port);
    refused = !late.connected() || !late.Get("/late");
    if (!refused) std::this_thread::sleep_for(milliseconds(10));
  }
  EXPECT_TRUE(refused);
  gate.Open();
  auto response = busy.Read();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(Lower(response->headers["connection"]), "close");
  stopper.join();
  server->Wait();  // already stopped: returns at once
  server->Stop();  // idempotent
}

TEST(HttpServerTest, StopAfterDrainTimeoutClosesBusyConnectionsAndDropsQueuedRequests) {
  HttpServerOptions options = TestOptions();
  options.worker_threads = 1;
  options.drain_timeout = std::chrono::seconds(0);
  Gate gate;
  auto server = StartServer(options, [&](const HttpRequest& request) {
    gate.Enter();
    return Echo(request);
  });
  Client running(server->port()), queued(server->port());
  ASSERT_TRUE(running.Send("GET /running HTTP/1.1\r\nHost: t\r\n\r\n"));
  ASSERT_TRUE(gate.WaitEntered(1));
  ASSERT_TRUE(queued.Send("GET /queued HTTP/1.1\r\nHost: t\r\n\r\n"));
  ASSERT_TRUE(MetricsContain("rhip_http_worker_queue_depth 1\n"));
  std::thread stopper([&] { server->Stop(); });
  EXPECT_TRUE(running.WaitClosed(milliseconds(1000)));
  EXPECT_TRUE(queued.WaitClosed(milliseconds(1000)));
  gate.Open();  // Stop() returns once the running handler does
  stopper.join();
  EXPECT_TRUE(MetricsContain("rhip_http_worker_queue_depth 0\n"));
}

TEST(HttpServerTest, ExtraConnectionsAreClosed) {
  HttpServerOptions options = TestOptions();
  options.max_connections = 1;
  auto server = StartServer(options);
  Client first(server->port());
  ASSERT_TRUE(first.Get("/"));
  Client second(server->port());
  EXPECT_TRUE(second.WaitClosed(milliseconds(1000)));
  EXPECT_TRUE(first.Get("/again"));
}

TEST(HttpServerTest, ThrowingHandlerGives500) {
  auto server = StartServer(
      TestOptions(), [](const HttpRequest&) -> HttpResponse { throw std::runtime_error("boom"); });
  Client client(server->port());
  auto response = client.Get("/");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 500);
}

TEST(HttpServerTest, StartRejectsBadOptionsAndBusyPort) {
  HttpServerOptions options = TestOptions();
  options.worker_threads = 0;
  EXPECT_FALSE(HttpServer::Start(options, Echo, RenderError).ok());
  auto server = StartServer(TestOptions());
  options = TestOptions();
  options.port = server->port();
  auto second = HttpServer::Start(options, Echo, RenderError);
  EXPECT_FALSE(second.ok());
}

}  // namespace
}  // namespace rhip::net
