// `rhip serve --mllp` and [[mllp_channel]]: the listener is up with the binary; until the
// HL7 v2 handler exists every message is answered with an AR reject.
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <string>

#include "gtest/gtest.h"
#include "net/testing/tls_test_util.h"
#include "tests/support/http_client.h"
#include "tests/support/rhip_process.h"

namespace rhip::testing {
namespace {

// Sends one framed message and returns the reply frame's payload; "" when the server closes
// the connection or 5 s pass without a whole reply.
std::string Exchange(uint16_t port, const std::string& payload) {
  const int fd = net::testing::ConnectLoopback(port);
  if (fd < 0) return "";
  std::string reply;
  if (net::testing::SendAll(fd, "\x0B" + payload + "\x1C\x0D")) {
    while (reply.find("\x1C\x0D") == std::string::npos) {
      pollfd p{fd, POLLIN, 0};
      char buf[4096];
      if (poll(&p, 1, 5000) <= 0) break;
      const ssize_t n = recv(fd, buf, sizeof buf, 0);
      if (n <= 0) break;
      reply.append(buf, static_cast<size_t>(n));
    }
  }
  close(fd);
  const size_t end = reply.find("\x1C\x0D");
  if (reply.empty() || reply[0] != '\x0B' || end == std::string::npos) return "";
  return reply.substr(1, end - 1);
}

constexpr char kAdt[] =
    "MSH|^~\\&|HIS|COUNTY_HOSP|RHIP|REGION|20260101120000||ADT^A01^ADT_A01|MSG00001|P|2.5\r"
    "PID|1||123456^^^COUNTY_HOSP^MR||ZHANG^SAN||19900307|M\r";

TEST(MllpServeTest, EveryMessageGetsAnApplicationReject) {
  TempDir temp;
  RhipProcess server(temp.path() + "/data");
  const uint16_t mllp_port = FreePort();
  ASSERT_TRUE(server.Start({"--mllp", "127.0.0.1:" + std::to_string(mllp_port)}));
  const std::string reply = Exchange(mllp_port, kAdt);
  EXPECT_EQ(reply.rfind("MSH|^~\\&|rhip|rhip|HIS|COUNTY_HOSP|", 0), 0u) << reply;
  EXPECT_NE(reply.find("|ACK|"), std::string::npos) << reply;
  EXPECT_NE(reply.find("|P|2.5\rMSA|AR|MSG00001|no HL7 v2 handler in this build\r"),
            std::string::npos)
      << reply;
  HttpClient http("127.0.0.1", server.port());
  const std::string metrics = http.Get("/metrics").body;
  EXPECT_NE(metrics.find("rhip_mllp_messages_total{channel=\"default\"} 1"), std::string::npos);
  EXPECT_EQ(server.Stop(), 0);
}

TEST(MllpServeTest, ChannelTablesWithSourcesAndTls) {
  TempDir temp;
  const net::testing::TestCertificate cert = net::testing::WriteSelfSignedCertificate(temp.path());
  const uint16_t open_port = FreePort();
  const uint16_t restricted_port = FreePort();
  const uint16_t tls_port = FreePort();
  const std::string cfg = temp.path() + "/rhip.toml";
  std::ofstream(cfg) << "tls_cert = \"" << cert.cert_file << "\"\n"
                     << "tls_key = \"" << cert.key_file << "\"\n"
                     << "[[mllp_channel]]\nname = \"lab\"\nlisten = \"127.0.0.1:" << open_port
                     << "\"\nallowed_sources = [\"127.0.0.0/8\", \"::1\"]\n"
                     << "[[mllp_channel]]\nname = \"restricted\"\nlisten = \"127.0.0.1:"
                     << restricted_port << "\"\nallowed_sources = [\"10.0.0.0/8\"]\n"
                     << "[[mllp_channel]]\nname = \"secure\"\nlisten = \"127.0.0.1:" << tls_port
                     << "\"\ntls = true\n";
  RhipProcess server(temp.path() + "/data");
  // The HTTP side is HTTPS too (top-level tls_cert/tls_key).
  server.SetReadyProbe(
      [](uint16_t port) { return net::testing::HttpsGetStatus(port, "/healthz") == 200; });
  ASSERT_TRUE(server.Start({"--config", cfg}));
  EXPECT_NE(Exchange(open_port, kAdt).find("MSA|AR|MSG00001|"), std::string::npos);
  EXPECT_EQ(Exchange(restricted_port, kAdt), "");  // 127.0.0.1 is not in 10.0.0.0/8
  net::testing::TlsClient tls;
  ASSERT_TRUE(tls.Connect(tls_port)) << tls.error();
  ASSERT_TRUE(tls.Send("\x0B" + std::string(kAdt) + "\x1C\x0D"));
  EXPECT_NE(tls.ReadUntil("\x1C\x0D").find("MSA|AR|MSG00001|"), std::string::npos);
  EXPECT_EQ(server.Stop(), 0);
}

TEST(MllpServeTest, BadChannelSettingsAreUsageErrors) {
  TempDir temp;
  const std::string cfg = temp.path() + "/rhip.toml";
  const std::string data = temp.path() + "/data";
  std::string out;
  std::ofstream(cfg) << "[[mllp_channel]]\nname = \"x\"\nlisten = \"127.0.0.1:0\"\nport = 5\n";
  EXPECT_EQ(RunRhip({"serve", "--data", data, "--config", cfg}, &out), 2);
  EXPECT_NE(out.find("'port'"), std::string::npos) << out;
  std::ofstream(cfg) << "[[mllp_channel]]\nname = \"x\"\nlisten = \"127.0.0.1:0\"\n"
                        "allowed_sources = [\"10.0.0.0/99\"]\n";
  EXPECT_EQ(RunRhip({"serve", "--data", data, "--config", cfg}, &out), 2);
  EXPECT_NE(out.find("10.0.0.0/99"), std::string::npos) << out;
  std::ofstream(cfg) << "[[mllp_channel]]\nname = \"x\"\nlisten = \"127.0.0.1:0\"\ntls = true\n";
  EXPECT_EQ(RunRhip({"serve", "--data", data, "--config", cfg}, &out), 2);
  EXPECT_NE(out.find("tls_cert"), std::string::npos) << out;
  EXPECT_EQ(RunRhip({"serve", "--data", data, "--mllp", "nonsense"}, &out), 2);
}

}  // namespace
}  // namespace rhip::testing
