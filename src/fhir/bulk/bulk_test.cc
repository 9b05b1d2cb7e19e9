#include <stdlib.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "fhir/bulk/ndjson_writer.h"
#include "fhir/bulk/resource_reader.h"
#include "gtest/gtest.h"

namespace rhip::fhir::bulk {
namespace {

class TempDir {
 public:
  TempDir() {
    std::string t = (std::filesystem::temp_directory_path() / "rhip_bulk_XXXXXX").string();
    path_ = mkdtemp(t.data()) != nullptr ? t : "";
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::string WriteFile(const std::string& dir, const std::string& name, const std::string& text) {
  std::string path = dir + "/" + name;
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

std::vector<ReadItem> ReadAll(const std::string& path, int64_t skip_number = 0, int64_t skip_offset = 0) {
  auto reader = ResourceReader::Open(path, skip_number, skip_offset);
  EXPECT_TRUE(reader.ok()) << reader.status();
  std::vector<ReadItem> out;
  if (!reader.ok()) return out;
  while (true) {
    ReadItem item;
    auto more = (*reader)->Next(&item);
    EXPECT_TRUE(more.ok()) << more.status();
    if (!more.ok() || !*more) break;
    out.push_back(item);
  }
  return out;
}

TEST(ResourceReaderTest, NdjsonLinesSkipBlankAndResumeAtOffset) {
  TempDir dir;
  std::string path = WriteFile(dir.path(), "a.ndjson", "{\"a\":1}\r\n\n{\"b\":2}\n  \n{\"c\":3}");
  std::vector<ReadItem> items = ReadAll(path);
  ASSERT_EQ(items.size(), 3u);
  EXPECT_EQ(items[0].text, "{\"a\":1}");
  EXPECT_EQ(items[1].text, "{\"b\":2}");
  EXPECT_EQ(items[1].number, 3);
  EXPECT_EQ(items[2].text, "{\"c\":3}");
  EXPECT_EQ(items[2].number, 5);
  EXPECT_EQ(items[2].end_offset, 28);  // the file size: no trailing newline
  std::vector<ReadItem> rest = ReadAll(path, items[0].number, items[0].end_offset);
  ASSERT_EQ(rest.size(), 2u);
  EXPECT_EQ(rest[0].text, "{\"b\":2}");
  EXPECT_EQ(rest[0].number, 3);
}

TEST(ResourceReaderTest, NdjsonLongerThanOneReadBuffer) {
  TempDir dir;
  std::string big(3 << 20, 'x');
  std::string path = WriteFile(dir.path(), "big.ndjson", "{\"v\":\"" + big + "\"}\n{\"w\":1}\n");
  std::vector<ReadItem> items = ReadAll(path);
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[0].text.size(), big.size() + 8);
  EXPECT_EQ(items[1].text, "{\"w\":1}");
}

TEST(ResourceReaderTest, BundleEntriesAreCutOutWhateverTheirContent) {
  TempDir dir;
  // Brackets and an "entry" key inside strings and nested objects must not confuse the scanner.
  std::string text =
      "{\"resourceType\":\"Bundle\",\"meta\":{\"entry\":[1,2]},\"type\":\"transaction\",\"entry\":[\n"
      "  {\"fullUrl\":\"urn:uuid:1\",\"resource\":{\"resourceType\":\"Patient\",\"id\":\"1\","
      "\"text\":{\"div\":\"<div>}]\\\"{[</div>\"}}},\n"
      "  {\"resource\":{\"resourceType\":\"Observation\",\"entry\":{\"x\":[{}]}}}\n"
      "],\"total\":2}";
  std::string path = WriteFile(dir.path(), "b.json", text);
  std::vector<ReadItem> items = ReadAll(path);
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[0].text.substr(0, 24), "{\"fullUrl\":\"urn:uuid:1\",");
  EXPECT_EQ(items[0].text.back(), '}');
  EXPECT_EQ(items[1].number, 2);
  EXPECT_EQ(items[1].text, "{\"resource\":{\"resourceType\":\"Observation\",\"entry\":{\"x\":[{}]}}}");
  std::vector<ReadItem> rest = ReadAll(path, 1, items[0].end_offset);
  ASSERT_EQ(rest.size(), 1u);
  EXPECT_EQ(rest[0].number, 2);
}

TEST(ResourceReaderTest, TruncatedBundleIsAnError) {
  TempDir dir;
  std::string path = WriteFile(dir.path(), "t.json", "{\"entry\":[{\"resource\":{}}");
  auto reader = ResourceReader::Open(path);
  ASSERT_TRUE(reader.ok());
  ReadItem item;
  ASSERT_TRUE(*(*reader)->Next(&item));
  EXPECT_FALSE((*reader)->Next(&item).ok());
  EXPECT_FALSE(ResourceReader::Open(dir.path() + "/x.csv").ok());
  // A lone resource is not a Bundle: an error, not an empty import.
  reader = ResourceReader::Open(WriteFile(dir.path(), "p.json", "{\"resourceType\":\"Patient\"}"));
  ASSERT_TRUE(reader.ok());
  EXPECT_FALSE((*reader)->Next(&item).ok());
  reader = ResourceReader::Open(WriteFile(dir.path(), "e.json", "{\"resourceType\":\"Bundle\",\"entry\":[]}"));
  ASSERT_TRUE(reader.ok());
  auto more = (*reader)->Next(&item);
  ASSERT_TRUE(more.ok()) << more.status();
  EXPECT_FALSE(*more);
}

TEST(NdjsonWriterTest, SplitsAtTheSizeLimit) {
  TempDir dir;
  NdjsonWriter w(dir.path(), "Patient", 20);
  ASSERT_TRUE(w.Write("{\"id\":\"1\"}").ok());   // 11 bytes with newline
  ASSERT_TRUE(w.Write("{\"id\":\"2\"}").ok());   // would be 22: new file
  ASSERT_TRUE(w.Write("{\"id\":\"333333333333333333\"}").ok());  // alone over the limit: own file
  ASSERT_TRUE(w.Close().ok());
  ASSERT_EQ(w.files().size(), 3u);
  EXPECT_EQ(w.files()[0].name, "Patient-1.ndjson");
  EXPECT_EQ(w.files()[1].count, 1);
  std::ifstream in(dir.path() + "/Patient-2.ndjson");
  std::stringstream ss;
  ss << in.rdbuf();
  EXPECT_EQ(ss.str(), "{\"id\":\"2\"}\n");
}

}  // namespace
}  // namespace rhip::fhir::bulk
