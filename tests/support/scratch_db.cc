#include "support/scratch_db.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "db/migrations/migrations.h"

namespace scrapersky::test_support {
namespace fs = std::filesystem;

TempDir::TempDir(std::string_view prefix) {
  std::string pattern = (fs::temp_directory_path() / (std::string(prefix) + "-XXXXXX")).string();
  if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ignored;
  fs::remove_all(path_, ignored);
}

std::string with_database(const std::string& url, const std::string& name) {
  const auto slash = url.find('/', url.find("://") + 3);
  const auto query = url.find('?', slash);
  return url.substr(0, slash + 1) + name +
         (query == std::string::npos ? std::string() : url.substr(query));
}

void psql(const std::string& url, const std::string& sql) {
  TempDir dir("scrapersky-psql");
  const std::string err = dir.path() + "/err";
  const pid_t pid = ::fork();
  if (pid == 0) {
    const int out_fd = ::open("/dev/null", O_WRONLY);
    const int err_fd = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ::dup2(out_fd, 1);
    ::dup2(err_fd, 2);
    ::execlp("psql", "psql", url.c_str(), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-c", sql.c_str(),
             static_cast<char*>(nullptr));
    ::_exit(127);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::ifstream in(err);
    std::ostringstream message;
    message << in.rdbuf();
    throw std::runtime_error("psql -c '" + sql + "' failed: " + message.str());
  }
}

TestDatabase::TestDatabase(config::Settings settings, std::string url)
    : settings_(std::move(settings)) {
  settings_.database_url = std::move(url);
}

namespace {
void migrate_to(db::Engine& engine, int up_to_schema) {
  if (up_to_schema == 0) {
    db::migrate(engine);
  } else {
    db::migrate(engine, up_to_schema);
  }
}
}  // namespace

std::unique_ptr<TestDatabase> TestDatabase::sqlite(const TempDir& dir, config::Settings settings,
                                                   int up_to_schema) {
  std::unique_ptr<TestDatabase> db(
      new TestDatabase(std::move(settings), "sqlite:///" + dir.path() + "/test.db"));
  db->engine_ = db::Engine::create(db->settings_);
  migrate_to(*db->engine_, up_to_schema);
  return db;
}

std::unique_ptr<TestDatabase> TestDatabase::postgres(const std::string& direct_url,
                                                     const std::string& bouncer_url,
                                                     config::Settings settings,
                                                     int up_to_schema) {
  static std::atomic<int> counter{0};
  const std::string name =
      "t_" + std::to_string(::getpid()) + "_" + std::to_string(++counter) + "_" +
      std::to_string(std::chrono::steady_clock::now().time_since_epoch().count() % 1'000'000);
  psql(direct_url, "CREATE DATABASE " + name);
  std::unique_ptr<TestDatabase> db(
      new TestDatabase(std::move(settings), with_database(bouncer_url, name)));
  db->direct_url_ = direct_url;
  db->name_ = name;
  db->engine_ = db::Engine::create(db->settings_);
  migrate_to(*db->engine_, up_to_schema);
  return db;
}

TestDatabase::~TestDatabase() {
  engine_.reset();
  if (direct_url_.empty()) return;
  try {
    psql(direct_url_, "DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
  } catch (const std::exception&) {
    // A throwaway database left on the throwaway test server is harmless.
  }
}

db::Result TestDatabase::query(std::string_view sql, std::vector<db::Value> params) {
  auto session = engine_->session();
  auto unit = session.begin();
  auto result = unit.tx().exec(sql, params);
  unit.commit();
  return result;
}

std::int64_t TestDatabase::count(std::string_view sql, std::vector<db::Value> params) {
  return query(sql, std::move(params)).front().get<std::int64_t>(0);
}

std::string TestDatabase::text(std::string_view sql, std::vector<db::Value> params) {
  auto rows = query(sql, std::move(params));
  if (rows.empty()) return "<no row>";
  return rows.front().get<std::optional<std::string>>(0).value_or("<null>");
}

}  // namespace scrapersky::test_support
