// `rhip serve --tls-cert --tls-key`: HTTPS on the real binary, plain HTTP refused, and bad
// certificate or key files reported as usage errors.
#include <fstream>
#include <string>

#include "gtest/gtest.h"
#include "net/testing/tls_test_util.h"
#include "tests/support/http_client.h"
#include "tests/support/rhip_process.h"

namespace rhip::testing {
namespace {

using net::testing::HttpsGetStatus;

class TlsServeTest : public ::testing::Test {
 protected:
  void SetUp() override { cert_ = net::testing::WriteSelfSignedCertificate(temp_.path()); }

  TempDir temp_;
  net::testing::TestCertificate cert_;
};

TEST_F(TlsServeTest, HealthzOverTlsAndPlainHttpFails) {
  RhipProcess server(temp_.path() + "/data");
  server.SetReadyProbe([](uint16_t port) { return HttpsGetStatus(port, "/healthz") == 200; });
  ASSERT_TRUE(server.Start({"--tls-cert", cert_.cert_file, "--tls-key", cert_.key_file}));
  EXPECT_EQ(HttpsGetStatus(server.port(), "/healthz"), 200);
  HttpClient plain("127.0.0.1", server.port());
  EXPECT_EQ(plain.Get("/healthz").status, 0);  // no HTTP answer on the TLS port
  EXPECT_EQ(HttpsGetStatus(server.port(), "/healthz"), 200);  // and the server lives on
  EXPECT_EQ(server.Stop(), 0);
}

TEST_F(TlsServeTest, ConfigFileKeysEnableTls) {
  const std::string cfg = temp_.path() + "/rhip.toml";
  std::ofstream(cfg) << "tls_cert = \"" << cert_.cert_file << "\"\ntls_key = \"" << cert_.key_file
                     << "\"\n";
  RhipProcess server(temp_.path() + "/data");
  server.SetReadyProbe([](uint16_t port) { return HttpsGetStatus(port, "/healthz") == 200; });
  ASSERT_TRUE(server.Start({"--config", cfg}));
  EXPECT_EQ(server.Stop(), 0);
}

TEST_F(TlsServeTest, BadCertificateOrKeyIsAUsageError) {
  const std::string data = temp_.path() + "/data";
  const std::string missing = temp_.path() + "/no-such-key.pem";
  std::string out;
  EXPECT_EQ(RunRhip({"serve", "--data", data, "--listen", "127.0.0.1:0", "--tls-cert",
                     cert_.cert_file, "--tls-key", missing},
                    &out),
            2);
  EXPECT_NE(out.find(missing), std::string::npos) << out;
  EXPECT_NE(out.find("private key"), std::string::npos) << out;
  // Certificate and key swapped.
  EXPECT_EQ(RunRhip({"serve", "--data", data, "--listen", "127.0.0.1:0", "--tls-cert",
                     cert_.key_file, "--tls-key", cert_.cert_file},
                    &out),
            2);
  EXPECT_NE(out.find("certificate"), std::string::npos) << out;
  // Only one of the two.
  EXPECT_EQ(RunRhip({"serve", "--data", data, "--listen", "127.0.0.1:0", "--tls-cert",
                     cert_.cert_file},
                    &out),
            2);
  EXPECT_NE(out.find("private key"), std::string::npos) << out;
}

}  // namespace
}  // namespace rhip::testing
