#include <string_view>

#include "fhir/model/structure_model.h"
#include "gtest/gtest.h"

namespace rhip::fhir {
namespace {

struct Case {
  std::string_view type;
  std::string_view text;
  bool valid;
};

// Cases follow the R4 regexes (datatypes.html) and their documented ranges.
constexpr Case kCases[] = {
    {"boolean", "true", true},
    {"boolean", "True", false},
    {"integer", "0", true},
    {"integer", "-2147483648", true},
    {"integer", "2147483647", true},
    {"integer", "2147483648", false},
    {"integer", "-2147483649", false},
    {"integer", "01", false},
    {"integer", "1.0", false},
    {"integer", "1e3", false},
    {"positiveInt", "1", true},
    {"positiveInt", "0", false},
    {"unsignedInt", "0", true},
    {"unsignedInt", "-1", false},
    {"decimal", "1.50", true},
    {"decimal", "-0.001", true},
    {"decimal", "6.022e23", true},
    {"decimal", "1.", false},
    {"decimal", "01.5", false},
    {"decimal", "abc", false},
    {"string", "张三", true},
    {"string", "line\nbreak\tand tab", true},
    {"string", "", false},
    {"string", std::string_view("nul\0byte", 8), false},
    {"string", "0123456789ab\x01" "cdef", false},
    {"string", "0123456789abcdef\x1f", false},
    {"string", "张三李四王五赵六钱七孙八\r\n", true},
    {"code", "final", true},
    {"code", "mm[Hg] x", true},
    {"code", " final", false},
    {"code", "a  b", false},
    {"id", "abc-123.DEF", true},
    {"id", "a_b", false},
    {"id", "0123456789012345678901234567890123456789012345678901234567890123", true},
    {"id", "01234567890123456789012345678901234567890123456789012345678901234", false},
    {"uri", "http://example.org/fhir", true},
    {"uri", "urn:oid:1.2.3", true},
    {"uri", "has space", false},
    {"canonical", "http://hl7.org/fhir/ValueSet/x|4.0.1", true},
    {"oid", "urn:oid:2.16.840.1.113883", true},
    {"oid", "urn:oid:3.1", false},
    {"oid", "urn:oid:1.02", false},
    {"oid", "2.16.840", false},
    {"uuid", "urn:uuid:c757873d-ec9a-4326-a141-556f43239520", true},
    {"uuid", "urn:uuid:C757873D-EC9A-4326-A141-556F43239520", false},
    {"uuid", "c757873d-ec9a-4326-a141-556f43239520", false},
    {"date", "2024", true},
    {"date", "2024-02", true},
    {"date", "2024-02-29", true},
    {"date", "2023-02-29", false},
    {"date", "2024-13", false},
    {"date", "0000", false},
    {"date", "2024-1-01", false},
    {"date", "2024-01-01T00:00:00Z", false},
    {"dateTime", "2015-02-07T13:28:17-05:00", true},
    {"dateTime", "2017-01-01T00:00:00.000Z", true},
    {"dateTime", "2017-01-01T00:00:00+14:00", true},
    {"dateTime", "2017-01-01T00:00:00+14:30", false},
    {"dateTime", "2017-01-01T00:00:00", false},
    {"dateTime", "2017-01-01T00:00Z", false},
    {"dateTime", "2017-01T00:00:00Z", false},
    {"dateTime", "2017", true},
    {"instant", "2015-02-07T13:28:17.239+02:00", true},
    {"instant", "2015-02-07", false},
    {"time", "23:59:60", true},
    {"time", "24:00:00", false},
    {"time", "12:30", false},
    {"time", "12:30:00.5", true},
    {"base64Binary", "aGVsbG8=", true},
    {"base64Binary", "aGVs\nbG8=", true},
    {"base64Binary", "aGVsbG8", false},
    {"base64Binary", "aG=VsbG8", false},
    {"markdown", "**粗体**", true},
    {"xhtml", "<div xmlns=\"http://www.w3.org/1999/xhtml\">x</div>", true},
    {"xhtml", "plain text", false},
};

TEST(PrimitivesTest, LexicalForms) {
  for (const Case& c : kCases) {
    EXPECT_EQ(IsValidPrimitive(c.type, c.text), c.valid) << c.type << " '" << c.text << "'";
  }
}

TEST(PrimitivesTest, NamesRoundTrip) {
  for (int i = 1; i <= static_cast<int>(PrimitiveKind::kXhtml); ++i) {
    auto kind = static_cast<PrimitiveKind>(i);
    EXPECT_EQ(PrimitiveFromName(PrimitiveName(kind)), kind);
  }
  EXPECT_EQ(PrimitiveFromName("Quantity"), PrimitiveKind::kNone);
  EXPECT_FALSE(IsValidPrimitive("Quantity", "x"));
}

// Every primitive type in the R4 definitions is one rhip knows, and vice versa.
TEST(PrimitivesTest, MatchesTheModel) {
  const StructureModel& model = StructureModel::R4();
  for (int i = 1; i <= static_cast<int>(PrimitiveKind::kXhtml); ++i) {
    auto kind = static_cast<PrimitiveKind>(i);
    const TypeInfo* t = model.FindType(PrimitiveName(kind));
    ASSERT_NE(t, nullptr) << PrimitiveName(kind);
    EXPECT_EQ(t->kind(), TypeInfo::Kind::kPrimitive);
    EXPECT_EQ(t->primitive(), kind);
  }
}

}  // namespace
}  // namespace rhip::fhir
