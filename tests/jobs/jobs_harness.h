#pragma once
// Helpers for the worker tests: one fresh database per test (an SQLite file in a temporary
// directory, or a new PostgreSQL database reached through PgBouncer, dropped afterwards),
// statements in their own units, and polling with a deadline.
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "config/settings.h"
#include "db/engine.h"
#include "db/migrations/migrations.h"

namespace scrapersky::jobs_testing {

class TempDir {
 public:
  TempDir() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "scrapersky-jobs-XXXXXX").string();
    if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// `psql <url> -c <sql>`, quietly; throws when it fails.
inline void psql(const std::string& url, const std::string& sql) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::execlp("psql", "psql", url.c_str(), "-X", "-q", "-o", "/dev/null", "-v", "ON_ERROR_STOP=1",
             "-c", sql.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    throw std::runtime_error("psql failed: " + sql);
  }
}

inline std::string with_database(const std::string& url, const std::string& name) {
  const auto slash = url.find('/', url.find("://") + 3);
  const auto query = url.find('?', slash);
  return url.substr(0, slash + 1) + name +
         (query == std::string::npos ? std::string() : url.substr(query));
}

inline std::shared_ptr<db::Engine> engine_for(const std::string& url) {
  config::Settings settings;
  settings.database_url = url;
  return db::Engine::create(settings);
}

class TestDatabase {
 public:
  static std::unique_ptr<TestDatabase> sqlite(const TempDir& dir) {
    std::unique_ptr<TestDatabase> db(new TestDatabase);
    db->url_ = "sqlite:///" + dir.path() + "/jobs.db";
    db->engine_ = engine_for(db->url_);
    db::migrate(*db->engine_);
    return db;
  }
  static std::unique_ptr<TestDatabase> postgres(const std::string& direct_url,
                                                const std::string& bouncer_url) {
    static std::atomic<int> counter{0};
    std::unique_ptr<TestDatabase> db(new TestDatabase);
    db->name_ = "jobs_" + std::to_string(::getpid()) + "_" + std::to_string(++counter) + "_" +
                std::to_string(std::chrono::steady_clock::now().time_since_epoch().count() % 100000);
    db->direct_url_ = direct_url;
    psql(direct_url, "CREATE DATABASE " + db->name_);
    db->url_ = with_database(bouncer_url, db->name_);
    db->engine_ = engine_for(db->url_);
    db::migrate(*db->engine_);
    return db;
  }
  ~TestDatabase() {
    engine_.reset();
    if (!direct_url_.empty()) {
      try {
        psql(direct_url_, "DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
      } catch (const std::exception&) {
        // A throwaway database left on a throwaway server is harmless.
      }
    }
  }

  const std::string& url() const { return url_; }
  bool is_postgres() const { return !direct_url_.empty(); }
  db::Engine& engine() { return *engine_; }

  db::Result query(std::string_view sql, std::vector<db::Value> params = {}) {
    auto session = engine_->session();
    auto unit = session.begin();
    auto result = unit.tx().exec(sql, params);
    unit.commit();
    return result;
  }
  std::int64_t count(std::string_view sql, std::vector<db::Value> params = {}) {
    return query(sql, std::move(params)).front().get<std::int64_t>(0);
  }
  std::string text(std::string_view sql, std::vector<db::Value> params = {}) {
    auto rows = query(sql, std::move(params));
    if (rows.empty()) return "<no row>";
    return rows.front().get<std::optional<std::string>>(0).value_or("<null>");
  }

 private:
  TestDatabase() = default;
  std::string url_, direct_url_, name_;
  std::shared_ptr<db::Engine> engine_;
};

// Polls `condition` until it holds or `limit` passes; returns whether it held.
template <typename F>
bool eventually(F condition, std::chrono::milliseconds limit = std::chrono::seconds(20)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  return condition();
}

}  // namespace scrapersky::jobs_testing
