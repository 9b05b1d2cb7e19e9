// Explicit limits of the real server: body size, header size, malformed requests.
#include <string>

#include "gtest/gtest.h"
#include "tests/support/http_client.h"
#include "tests/support/rhip_process.h"

namespace rhip::testing {
namespace {

TEST(LimitsTest, OversizedAndMalformedRequestsGetClearErrors) {
  TempDir temp;
  RhipProcess server(temp.path() + "/data");
  ASSERT_TRUE(server.Start({"--max-body", "4096"}));
  HttpClient c("127.0.0.1", server.port());
  EXPECT_TRUE(AuthorizeTestClient(c));

  std::string big = R"({"resourceType":"Patient","name":[{"text":")" + std::string(8000, 'x') + R"("}]})";
  HttpResult too_large = c.Send("POST", "/fhir/Patient", big);
  EXPECT_EQ(too_large.status, 413);
  EXPECT_NE(too_large.body.find("OperationOutcome"), std::string::npos) << too_large.body;
  // The transport's own answers carry the security headers too.
  EXPECT_EQ(too_large.Header("X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(too_large.Header("X-Frame-Options"), "DENY");

  HttpResult huge_header = c.Send("GET", "/fhir/metadata", "", {{"X-Junk", std::string(20000, 'a')}});
  EXPECT_EQ(huge_header.status, 431);

  std::string garbage = c.SendRaw("\x16\x03\x01 this is not HTTP\r\n\r\n");
  EXPECT_NE(garbage.find(" 400 "), std::string::npos) << garbage;

  // The server is still healthy afterwards.
  HttpClient fresh("127.0.0.1", server.port());
  EXPECT_TRUE(AuthorizeTestClient(fresh));
  EXPECT_EQ(fresh.Get("/healthz").status, 200);
  EXPECT_EQ(server.Stop(), 0);
}

}  // namespace
}  // namespace rhip::testing
