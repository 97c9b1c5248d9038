#pragma once
// Engines for the PostgreSQL tests. Each engine tags its connections with a unique
// application_name, so a test can count or terminate exactly its own backends without
// disturbing other tests that share the server.
#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <unistd.h>

#include "config/settings.h"
#include "db/engine.h"

namespace scrapersky::db::testing {

inline std::string unique_name(std::string_view prefix) {
  static std::atomic<int> counter{0};
  return std::string(prefix) + "_" + std::to_string(::getpid()) + "_" + std::to_string(++counter);
}

inline std::string with_param(const std::string& url, const std::string& param) {
  return url + (url.find('?') == std::string::npos ? "?" : "&") + param;
}

struct PoolShape {
  int size = 5;
  int overflow = 10;
  std::chrono::milliseconds timeout{30'000};
  std::chrono::seconds recycle{1800};
};

inline std::shared_ptr<Engine> tagged_engine(const std::string& url, const std::string& app,
                                             PoolShape shape = {}) {
  config::Settings settings;
  settings.database_url = with_param(url, "application_name=" + app);
  settings.pool.size = shape.size;
  settings.pool.max_overflow = shape.overflow;
  settings.pool.timeout = shape.timeout;
  settings.pool.recycle = shape.recycle;
  return Engine::create(settings);
}

// Runs one statement in its own committed unit of work.
inline Result run(Engine& engine, std::string_view sql, std::initializer_list<Value> params = {}) {
  auto s = engine.session();
  auto uow = s.begin();
  Result r = uow.tx().exec(sql, params);
  uow.commit();
  return r;
}

inline std::int64_t backends_named(Engine& observer, const std::string& app) {
  return run(observer, "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1", {app})
      .front()
      .get<std::int64_t>(0);
}

// Polls `condition` until it holds or `limit` passes; returns whether it held.
template <typename F>
bool eventually(F condition, std::chrono::milliseconds limit = std::chrono::milliseconds(10'000)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return condition();
}

}  // namespace scrapersky::db::testing
