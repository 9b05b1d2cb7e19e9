// The rhip command line: version, help and usage errors.
#include <fstream>
#include <string>

#include "gtest/gtest.h"
#include "tests/support/http_client.h"
#include "tests/support/rhip_process.h"

namespace rhip::testing {
namespace {

std::string WriteConfig(const TempDir& dir, const std::string& text) {
  std::string path = dir.path() + "/rhip.toml";
  std::ofstream(path) << text;
  return path;
}

TEST(CliTest, VersionAndHelp) {
  std::string out;
  EXPECT_EQ(RunRhip({"--version"}, &out), 0);
  EXPECT_NE(out.find("rhip "), std::string::npos);
  EXPECT_EQ(RunRhip({"serve", "--help"}, &out), 0);
  EXPECT_NE(out.find("--data"), std::string::npos);
}

TEST(CliTest, UsageErrorsExitTwo) {
  std::string out;
  EXPECT_EQ(RunRhip({}, &out), 2);
  EXPECT_EQ(RunRhip({"frobnicate"}, &out), 2);
  EXPECT_EQ(RunRhip({"serve"}, &out), 2);
  EXPECT_NE(out.find("--data"), std::string::npos) << out;
  EXPECT_EQ(RunRhip({"serve", "--data", "/tmp/x", "--listen", "nonsense"}, &out), 2);
  EXPECT_EQ(RunRhip({"serve", "--data", "/tmp/x", "--workers", "0"}, &out), 2);
}

TEST(CliTest, ConfigFileRejectsUnknownKeys) {
  TempDir dir;
  std::string cfg = WriteConfig(dir, "data = \"/tmp/rhip-x\"\nlisten_address = \"1.2.3.4:5\"\n");
  std::string out;
  EXPECT_EQ(RunRhip({"serve", "--config", cfg}, &out), 2);
  EXPECT_NE(out.find("listen_address"), std::string::npos) << out;
}

TEST(CliTest, ConfigFileSettingsApply) {
  TempDir dir;
  std::string cfg = WriteConfig(dir, "workers = 2\nio_threads = 1\nmax_body_bytes = 2048\n");
  RhipProcess server(dir.path() + "/data");
  ASSERT_TRUE(server.Start({"--config", cfg}));
  HttpClient c("127.0.0.1", server.port());
  EXPECT_TRUE(AuthorizeTestClient(c));
  std::string body = R"({"resourceType":"Patient","name":[{"text":")" + std::string(4000, 'x') + R"("}]})";
  EXPECT_EQ(c.Send("POST", "/fhir/Patient", body).status, 413);  // max_body_bytes from the file
  EXPECT_EQ(c.Send("POST", "/fhir/Patient", R"({"resourceType":"Patient"})").status, 201);
  EXPECT_EQ(server.Stop(), 0);
}

}  // namespace
}  // namespace rhip::testing
