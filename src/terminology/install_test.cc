// The built-in terminology is written once per content version, on SQLite and PostgreSQL.
#include "terminology/install.h"

#include <memory>
#include <string>

#include "core/clock.h"
#include "db/testing/test_databases.h"
#include "gtest/gtest.h"

namespace rhip::terminology {
namespace {

class InstallTest : public ::testing::TestWithParam<db::Engine> {
 protected:
  void SetUp() override {
    absl::StatusOr<std::string> target = dbs_.NewTarget(GetParam());
    if (!target.ok()) GTEST_SKIP() << target.status();
    db::Options options;
    options.target = *target;
    auto database = db::Database::Open(options);
    ASSERT_TRUE(database.ok()) << database.status();
    db_ = *std::move(database);
    repo_ = fhir::Repository::Create(db_.get(), &Clock::Real());
  }

  db::TestDatabases dbs_;
  std::unique_ptr<db::Database> db_;
  std::unique_ptr<fhir::Repository> repo_;
};

TEST_P(InstallTest, OncePerContentVersion) {
  auto first = InstallBuiltinTerminology(db_.get(), repo_.get());
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_TRUE(first->written);
  EXPECT_GT(first->resources, 400);
  EXPECT_EQ(first->version, BuiltinTerminologyVersion());
  auto sex = repo_->Read("CodeSystem", "gb-t-2261-1");
  ASSERT_TRUE(sex.ok()) << sex.status();
  EXPECT_EQ(sex->version, 1);
  EXPECT_TRUE(repo_->Read("ValueSet", "gb-t-2261-1").ok());
  EXPECT_TRUE(repo_->Read("ValueSet", "administrative-gender").ok());

  auto again = InstallBuiltinTerminology(db_.get(), repo_.get());
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_FALSE(again->written);
  EXPECT_EQ(repo_->Read("CodeSystem", "gb-t-2261-1")->version, 1);

  // A store from a binary with other content is updated once.
  ASSERT_TRUE(db_->Write([](db::Session& s) {
                   return s.Execute("UPDATE terminology_package SET version = 'older'").status();
                 }).ok());
  auto upgrade = InstallBuiltinTerminology(db_.get(), repo_.get());
  ASSERT_TRUE(upgrade.ok()) << upgrade.status();
  EXPECT_TRUE(upgrade->written);
  EXPECT_EQ(repo_->Read("CodeSystem", "gb-t-2261-1")->version, 2);
  EXPECT_FALSE(InstallBuiltinTerminology(db_.get(), repo_.get())->written);
}

INSTANTIATE_TEST_SUITE_P(Engines, InstallTest, ::testing::Values(db::Engine::kSqlite, db::Engine::kPostgres),
                         [](const ::testing::TestParamInfo<db::Engine>& info) {
                           return info.param == db::Engine::kSqlite ? "Sqlite" : "Postgres";
                         });

}  // namespace
}  // namespace rhip::terminology
