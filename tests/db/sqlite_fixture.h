#pragma once
// A fresh SQLite database file in a temporary directory per test, removed afterwards.
#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <string>

#include "config/settings.h"
#include "db/engine.h"

namespace scrapersky::db::testing {

class SqliteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "scrapersky-db-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    url_ = "sqlite:///" + (dir_ / "test.db").string();  // sqlite:////tmp/... (absolute)
  }
  void TearDown() override {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  std::shared_ptr<Engine> engine(int pool_size = 5, int overflow = 10) const {
    config::Settings settings;
    settings.database_url = url_;
    settings.pool.size = pool_size;
    settings.pool.max_overflow = overflow;
    return Engine::create(settings);
  }

  std::filesystem::path dir_;
  std::string url_;
};

}  // namespace scrapersky::db::testing
