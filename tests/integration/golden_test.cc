// Golden test: every official R4 JSON example is written to the real server and read back
// equivalent (only meta.versionId and meta.lastUpdated may differ); the known-invalid ones
// are refused with 400 and an OperationOutcome; AuditEvents with 405 (rhip's AuditEvent is a
// read-only view of its own audit trail).
#include <filesystem>
#include <string>

#include "core/json.h"
#include "fhir/model/testing/r4_examples.h"
#include "gtest/gtest.h"
#include "tests/support/http_client.h"
#include "tests/support/rhip_process.h"

namespace rhip::testing {
namespace {

// Drops what the server sets, so the rest must be equal.
json::Value WithoutServerMeta(json::Value v) {
  if (json::Value* meta = v.Find("meta"); meta != nullptr && meta->is_object()) {
    meta->as_object().Erase("versionId");
    meta->as_object().Erase("lastUpdated");
    if (meta->as_object().empty()) v.as_object().Erase("meta");
  }
  return v;
}

TEST(GoldenTest, OfficialR4ExamplesRoundTripThroughTheServer) {
  fhir::testing::R4Examples examples;
  if (!examples.ok()) GTEST_SKIP() << "the R4 examples archive is not available";
  TempDir temp;
  RhipProcess server(temp.path() + "/data");
  ASSERT_TRUE(server.Start());
  HttpClient c("127.0.0.1", server.port());
  EXPECT_TRUE(AuthorizeTestClient(c));
  int stored = 0, refused = 0, read_only = 0;
  for (const std::string& path : examples.JsonFiles()) {
    std::string name = std::filesystem::path(path).filename().string();
    std::string text = fhir::testing::R4Examples::ReadFile(path);
    auto doc = json::Parse(text);
    if (doc.ok() && doc->FindString("resourceType") == nullptr) continue;  // package.json
    const fhir::testing::KnownInvalid* known = fhir::testing::FindKnownInvalid(name);
    std::string type = doc.ok() ? *doc->FindString("resourceType") : "Basic";
    const std::string* id = doc.ok() ? doc->FindString("id") : nullptr;
    HttpResult w = id != nullptr ? c.Send("PUT", "/fhir/" + type + "/" + *id, text)
                                 : c.Send("POST", "/fhir/" + type, text);
    if (type == "AuditEvent") {
      EXPECT_EQ(w.status, 405) << name << ": " << w.body;
      ++read_only;
      continue;
    }
    if (known != nullptr) {
      EXPECT_EQ(w.status, 400) << name << " (" << known->reason << ") was accepted";
      EXPECT_NE(w.body.find("OperationOutcome"), std::string::npos) << name;
      ++refused;
      continue;
    }
    ASSERT_TRUE(w.status == 200 || w.status == 201) << name << ": " << w.status << " " << w.body;
    std::string location = w.Header("Location");
    std::string target = location.substr(location.find("/fhir/"));
    target = target.substr(0, target.find("/_history"));
    HttpResult r = c.Get(target);
    ASSERT_EQ(r.status, 200) << name;
    auto back = json::Parse(r.body);
    ASSERT_TRUE(back.ok()) << name;
    json::Value expected = WithoutServerMeta(*doc);
    if (id == nullptr) back->as_object().Erase("id");
    EXPECT_EQ(WithoutServerMeta(*back), expected) << name << " changed on the way through";
    ++stored;
  }
  std::cout << "R4 examples through the server: " << stored << " stored and read back equal, "
            << refused << " known-invalid refused, " << read_only << " AuditEvent refused\n";
  EXPECT_GT(stored, 5000);
  EXPECT_EQ(server.Stop(), 0);
}

}  // namespace
}  // namespace rhip::testing
