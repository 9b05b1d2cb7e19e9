// A fixture with a fresh SQLite store and FHIR repository per test, for the registry's tests.
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>

#include "core/clock.h"
#include "db/database.h"
#include "fhir/repository.h"
#include "gtest/gtest.h"

namespace rhip::registry::testing {

class RepositoryFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "rhip-registry-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    auto db = db::Database::Open({.target = dir_});
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = *std::move(db);
    repo_ = fhir::Repository::Create(db_.get(), &Clock::Real());
  }
  void TearDown() override {
    repo_.reset();
    db_.reset();
    std::filesystem::remove_all(dir_);
  }

  std::string dir_;
  std::unique_ptr<db::Database> db_;
  std::unique_ptr<fhir::Repository> repo_;
};

}  // namespace rhip::registry::testing
