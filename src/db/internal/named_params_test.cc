#include "db/internal/named_params.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace rhip::db::internal {
namespace {

using ::testing::ElementsAre;

PositionalSql Rewrite(std::string_view sql) {
  absl::StatusOr<PositionalSql> result = RewriteToPositional(sql);
  EXPECT_TRUE(result.ok()) << result.status();
  return result.ok() ? *result : PositionalSql{};
}

TEST(RewriteToPositional, NumbersNamesInOrderOfFirstUse) {
  PositionalSql out = Rewrite("a = :x AND b = :y_2 OR c = :x");
  EXPECT_EQ(out.sql, "a = $1 AND b = $2 OR c = $1");
  EXPECT_THAT(out.names, ElementsAre("x", "y_2"));
}

TEST(RewriteToPositional, LeavesLiteralsCommentsAndCastsAlone) {
  const std::string_view untouched[] = {
      "SELECT ':x', 'it''s :x'",
      "SELECT E'\\' :x'",
      "SELECT \"col:x\", \"a\"\":x\"",
      "SELECT 1 -- :x\n",
      "SELECT /* :x /* nested :y */ :z */ 1",
      "SELECT $$ :x $$, $tag$ :y $ :z $tag$",
      "SELECT 1::bigint, arr[1:2], $1",
  };
  for (std::string_view sql : untouched) {
    PositionalSql out = Rewrite(sql);
    EXPECT_EQ(out.sql, sql);
    EXPECT_TRUE(out.names.empty()) << sql;
  }
}

TEST(RewriteToPositional, PlaceholderNextToCast) {
  PositionalSql out = Rewrite("SELECT :t::timestamptz, ':s', :s");
  EXPECT_EQ(out.sql, "SELECT $1::timestamptz, ':s', $2");
  EXPECT_THAT(out.names, ElementsAre("t", "s"));
}

TEST(RewriteToPositional, UnterminatedIsInvalidArgument) {
  for (std::string_view sql : {"SELECT 'x", "SELECT \"x", "SELECT /* x", "SELECT $a$ x"}) {
    EXPECT_EQ(RewriteToPositional(sql).status().code(), absl::StatusCode::kInvalidArgument)
        << sql;
  }
}

TEST(MatchParams, OrdersValuesByPlaceholder) {
  Params params = {{"b", int64_t{2}}, {"a", std::string("one")}};
  absl::StatusOr<std::vector<const Value*>> values = MatchParams({"a", "b"}, params);
  ASSERT_TRUE(values.ok()) << values.status();
  ASSERT_EQ(values->size(), 2u);
  EXPECT_EQ(*(*values)[0], Value(std::string("one")));
  EXPECT_EQ(*(*values)[1], Value(int64_t{2}));
}

TEST(MatchParams, MismatchesAreInvalidArgument) {
  const std::vector<std::string> names = {"a"};
  EXPECT_EQ(MatchParams(names, {}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(MatchParams(names, {{"a", {}}, {"b", {}}}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(MatchParams(names, {{"a", {}}, {"a", {}}}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace rhip::db::internal
