// `rhip validate`: exit codes and the issues it prints, for a resource, a Bundle and NDJSON.
#include <fstream>
#include <string>

#include "gtest/gtest.h"
#include "tests/support/rhip_process.h"

namespace rhip::testing {
namespace {

std::string Write(const TempDir& dir, const std::string& name, const std::string& text) {
  std::string path = dir.path() + "/" + name;
  std::ofstream(path) << text;
  return path;
}

constexpr char kValid[] = R"({"resourceType":"Patient","id":"p1","gender":"female"})";
constexpr char kBadGender[] = R"({"resourceType":"Patient","id":"p2","gender":"F"})";

TEST(ValidateCliTest, ValidResourceExitsZero) {
  TempDir dir;
  std::string out;
  EXPECT_EQ(RunRhip({"validate", Write(dir, "p.json", kValid)}, &out), 0) << out;
  EXPECT_NE(out.find("Patient/p1: ok"), std::string::npos) << out;
  // dom-6 (no narrative) is a warning: printed, not failing.
  EXPECT_NE(out.find("warning Patient: dom-6"), std::string::npos) << out;
}

TEST(ValidateCliTest, ErrorsExitOneWithPathAndValueSet) {
  TempDir dir;
  std::string out;
  EXPECT_EQ(RunRhip({"validate", Write(dir, "p.json", kValid), Write(dir, "bad.json", kBadGender)}, &out), 1);
  EXPECT_NE(out.find("Patient/p2: INVALID"), std::string::npos) << out;
  EXPECT_NE(out.find("error Patient.gender:"), std::string::npos) << out;
  EXPECT_NE(out.find("administrative-gender"), std::string::npos) << out;
  EXPECT_NE(out.find("2 resource(s) checked, 1 with errors"), std::string::npos) << out;
}

TEST(ValidateCliTest, BundlesAndNdjson) {
  TempDir dir;
  std::string out;
  std::string bundle = std::string(R"({"resourceType":"Bundle","type":"collection","entry":[{"resource":)") +
                       kValid + R"(},{"resource":)" + kBadGender + "}]}";
  EXPECT_EQ(RunRhip({"validate", Write(dir, "b.json", bundle)}, &out), 1);
  EXPECT_NE(out.find("entry[1] Patient/p2: INVALID"), std::string::npos) << out;
  EXPECT_EQ(RunRhip({"validate", Write(dir, "ok.ndjson", std::string(kValid) + "\n\n" + kValid + "\n")}, &out), 0)
      << out;
  EXPECT_EQ(RunRhip({"validate", Write(dir, "x.ndjson", std::string(kValid) + "\n{not json\n")}, &out), 1);
  EXPECT_NE(out.find("x.ndjson:2: INVALID"), std::string::npos) << out;
}

TEST(ValidateCliTest, ProfilesFromFiles) {
  TempDir dir;
  std::string profile = Write(dir, "sd.json", R"({"resourceType":"StructureDefinition",
      "url":"http://example.org/sd/p","type":"Patient","snapshot":{"element":[
      {"id":"Patient","path":"Patient","min":0,"max":"*"},
      {"id":"Patient.birthDate","path":"Patient.birthDate","min":1,"max":"1"}]}})");
  std::string patient = Write(dir, "p.json", R"({"resourceType":"Patient","meta":{"profile":["http://example.org/sd/p"]}})");
  std::string out;
  EXPECT_EQ(RunRhip({"validate", "--profile", profile, patient}, &out), 1);
  EXPECT_NE(out.find("error Patient.birthDate:"), std::string::npos) << out;
  EXPECT_EQ(RunRhip({"validate", patient}, &out), 0) << out;  // no profiles given: not checked
}

TEST(ValidateCliTest, UsageErrorsExitTwo) {
  std::string out;
  EXPECT_EQ(RunRhip({"validate"}, &out), 2);
  EXPECT_EQ(RunRhip({"validate", "/nonexistent/file.json"}, &out), 2);
}

}  // namespace
}  // namespace rhip::testing
