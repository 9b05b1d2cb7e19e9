// A fresh SQLite store with the identity schema, a settable clock, and the identity and
// token services on it, for this module's tests.
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>

#include "core/clock.h"
#include "db/database.h"
#include "gtest/gtest.h"
#include "security/identity_store.h"
#include "security/session_service.h"
#include "security/token_service.h"

namespace rhip::security::testing {

class ManualClock : public Clock {
 public:
  Micros Now() const override { return now_; }
  void Advance(Micros d) { now_ += d; }

 private:
  Micros now_ = 1'700'000'000'000'000;
};

class IdentityFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "rhip-sec-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    auto db = db::Database::Open({.target = dir_});
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = *std::move(db);
    identities_ = std::make_unique<IdentityStore>(db_.get(), &clock_);
    tokens_ = std::make_unique<TokenService>(db_.get(), &clock_, identities_.get());
  }
  void TearDown() override {
    tokens_.reset();
    identities_.reset();
    db_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  ManualClock clock_;
  std::string dir_;
  std::unique_ptr<db::Database> db_;
  std::unique_ptr<IdentityStore> identities_;
  std::unique_ptr<TokenService> tokens_;
};

// The fixture plus user "wang" (doctor at 110101001, password kUserPassword, to be changed at
// first login) and a SessionService with default options.
class SessionFixture : public IdentityFixture {
 public:
  static constexpr char kUserPassword[] = "Initial-Pass-1";

 protected:
  void SetUp() override {
    IdentityFixture::SetUp();
    absl::Status added =
        identities_->AddUser("wang", "王医生", kUserPassword, {{"doctor", "110101001"}});
    ASSERT_TRUE(added.ok()) << added;
    sessions_ = std::make_unique<SessionService>(db_.get(), &clock_, identities_.get());
  }
  void TearDown() override {
    sessions_.reset();
    IdentityFixture::TearDown();
  }
  std::unique_ptr<SessionService> sessions_;
};

}  // namespace rhip::security::testing
