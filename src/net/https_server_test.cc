// HttpServer with TLS: real sockets on 127.0.0.1:0, a client on the OpenSSL API.
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <string>
#include <thread>

#include "core/metrics.h"
#include "gtest/gtest.h"
#include "net/http_server.h"
#include "net/testing/tls_test_util.h"

namespace rhip::net {
namespace {

using testing::TlsClient;

std::string MakeTempDir() {
  std::string pattern = ::testing::TempDir() + "/https_test_XXXXXX";
  const char* dir = mkdtemp(pattern.data());
  return dir == nullptr ? ::testing::TempDir() : std::string(dir);
}

HttpResponse Echo(const HttpRequest& request) {
  HttpResponse response;
  response.SetHeader("Content-Type", "text/plain");
  response.SetHeader("X-Tls", request.tls ? "yes" : "no");
  response.body = request.body.empty() ? request.path : request.body;
  return response;
}

HttpResponse RenderError(int status, std::string_view message) {
  HttpResponse response;
  response.status = status;
  response.body = std::string(message);
  return response;
}

class HttpsServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeTempDir();
    cert_ = testing::WriteSelfSignedCertificate(dir_);
  }

  std::unique_ptr<HttpServer> StartServer(HttpServerOptions options = {}) {
    options.port = 0;
    options.worker_threads = 2;
    options.read_timeout = std::chrono::seconds(1);
    options.idle_timeout = std::chrono::seconds(1);
    options.tls = {cert_.cert_file, cert_.key_file};
    auto server = HttpServer::Start(options, Echo, RenderError);
    EXPECT_TRUE(server.ok()) << server.status();
    return server.ok() ? *std::move(server) : nullptr;
  }

  double Rejected(const std::string& reason, double expected) {
    return testing::CounterValue("rhip_http_rejected_total{reason=\"" + reason + "\"}", expected);
  }

  std::string dir_;
  testing::TestCertificate cert_;
};

TEST_F(HttpsServerTest, GetOverTlsMarksTheRequest) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  TlsClient client;
  ASSERT_TRUE(client.Connect(server->port())) << client.error();
  const std::string version = client.negotiated_version();
  EXPECT_TRUE(version == "TLSv1.3" || version == "TLSv1.2") << version;
  // Two requests on one kept-alive TLS connection.
  ASSERT_TRUE(client.Send("GET /first HTTP/1.1\r\nHost: x\r\n\r\n"));
  std::string got = client.ReadUntil("/first");
  EXPECT_NE(got.find("HTTP/1.1 200"), std::string::npos) << got;
  EXPECT_NE(got.find("X-Tls: yes"), std::string::npos) << got;
  ASSERT_TRUE(client.Send("POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 6\r\n\r\nsecond"));
  got = client.ReadUntil("second");
  EXPECT_NE(got.find("second"), std::string::npos) << got;
  EXPECT_EQ(testing::HttpsGetStatus(server->port(), "/healthz"), 200);
}

TEST_F(HttpsServerTest, BodyFileIsStreamedOverTls) {
  const std::string path = dir_ + "/big.txt";
  std::string content;
  for (int i = 0; content.size() < 3 * 1024 * 1024; ++i) content += std::to_string(i) + "\n";
  content += "END-OF-FILE";
  std::ofstream(path, std::ios::binary) << content;
  HttpServerOptions options;
  options.port = 0;
  options.tls = {cert_.cert_file, cert_.key_file};
  auto server = HttpServer::Start(
      options,
      [&path](const HttpRequest&) {
        HttpResponse response;
        response.body_file = path;
        return response;
      },
      RenderError);
  ASSERT_TRUE(server.ok()) << server.status();
  TlsClient client;
  ASSERT_TRUE(client.Connect((*server)->port())) << client.error();
  ASSERT_TRUE(client.Send("GET /file HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
  const std::string got = client.ReadUntil("END-OF-FILE", std::chrono::milliseconds(20000));
  const size_t body = got.find("\r\n\r\n");
  ASSERT_NE(body, std::string::npos);
  EXPECT_NE(got.find("Content-Length: " + std::to_string(content.size())), std::string::npos);
  EXPECT_TRUE(got.compare(body + 4, std::string::npos, content) == 0) << got.size();
  EXPECT_TRUE(client.WaitClosed());  // after a close_notify
}

TEST_F(HttpsServerTest, LimitsApplyOverTls) {
  HttpServerOptions options;
  options.max_body_bytes = 16;
  auto server = StartServer(options);
  ASSERT_NE(server, nullptr);
  TlsClient client;
  ASSERT_TRUE(client.Connect(server->port())) << client.error();
  ASSERT_TRUE(client.Send("POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n" +
                          std::string(100, 'b')));
  const std::string got = client.ReadUntil("too large");
  EXPECT_NE(got.find("HTTP/1.1 413"), std::string::npos) << got;
  EXPECT_TRUE(client.WaitClosed());
}

TEST_F(HttpsServerTest, PlainHttpToTheTlsPortIsClosedAndCounted) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  const double before = Rejected("tls_handshake", 0);
  const int fd = testing::ConnectLoopback(server->port());
  ASSERT_GE(fd, 0);
  const std::string request = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
  ASSERT_EQ(send(fd, request.data(), request.size(), MSG_NOSIGNAL),
            static_cast<ssize_t>(request.size()));
  std::string received;
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    ASSERT_GT(poll(&p, 1, 5000), 0) << "the server did not close the connection";
    char buf[1024];
    const ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    received.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  EXPECT_EQ(received.find("HTTP/"), std::string::npos) << "plain HTTP must not be answered";
  EXPECT_EQ(Rejected("tls_handshake", before + 1), before + 1);
  EXPECT_EQ(testing::HttpsGetStatus(server->port(), "/after"), 200);  // still serving
}

TEST_F(HttpsServerTest, OldProtocolVersionsAreRefused) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  TlsClient client;
  EXPECT_FALSE(client.Connect(server->port(), TLS1_1_VERSION));
}

TEST_F(HttpsServerTest, StalledHandshakeTimesOut) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  const double before = Rejected("timeout", 0);
  const int fd = testing::ConnectLoopback(server->port());
  ASSERT_GE(fd, 0);
  const auto start = std::chrono::steady_clock::now();
  pollfd p{fd, POLLIN, 0};
  ASSERT_GT(poll(&p, 1, 5000), 0);
  char buf[16];
  EXPECT_LE(recv(fd, buf, sizeof buf, 0), 0);
  close(fd);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(4));
  EXPECT_EQ(Rejected("timeout", before + 1), before + 1);
}

TEST_F(HttpsServerTest, BadCertificateOrKeyFailsStartWithTheFileNamed) {
  HttpServerOptions options;
  options.port = 0;
  const auto start_error = [&](TlsOptions tls) {
    options.tls = std::move(tls);
    auto server = HttpServer::Start(options, Echo, RenderError);
    EXPECT_FALSE(server.ok());
    return server.ok() ? std::string() : std::string(server.status().message());
  };
  const std::string missing = dir_ + "/missing.pem";
  EXPECT_NE(start_error({missing, cert_.key_file}).find(missing), std::string::npos);
  EXPECT_NE(start_error({cert_.cert_file, missing}).find(missing), std::string::npos);
  EXPECT_NE(start_error({cert_.cert_file, ""}).find("private key"), std::string::npos);
  const std::string garbage = dir_ + "/garbage.pem";
  std::ofstream(garbage) << "not a key\n";
  EXPECT_NE(start_error({cert_.cert_file, garbage}).find(garbage), std::string::npos);
  // A valid key of another certificate.
  const std::string other_dir = MakeTempDir();
  const testing::TestCertificate other = testing::WriteSelfSignedCertificate(other_dir);
  const std::string mismatch = start_error({cert_.cert_file, other.key_file});
  EXPECT_NE(mismatch.find(other.key_file), std::string::npos) << mismatch;
  EXPECT_NE(mismatch.find("mismatch"), std::string::npos) << mismatch;
  EXPECT_TRUE(CheckTlsOptions({cert_.cert_file, cert_.key_file}).ok());
  EXPECT_FALSE(CheckTlsOptions({cert_.key_file, cert_.cert_file}).ok());
}

}  // namespace
}  // namespace rhip::net
