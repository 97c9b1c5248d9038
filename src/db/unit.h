#pragma once
// Units of work in one call, and the one retry policy for work that must outlast a database
// outage (docs/database.md, "Retries").
//
//   auto page = db::single_read(engine, [&](db::Transaction& tx) { return store::list(tx); });
//   db::write_unit(engine, [&](db::Transaction& tx) { store::save(tx, row); });   // one try
//   db::Retrying retry(engine, policy, "storing a batch");
//   retry.write([&](db::Transaction& tx) { store::save_batch(tx, rows); });       // outlasts outages
//
// Request handlers use the one-try helpers (a failure becomes a 503 with Retry-After: the
// client retries). Background writers use Retrying: every attempt is a fresh session and a
// fresh unit, so a statement never runs on a connection or transaction an earlier failure
// left behind.
#include <atomic>
#include <chrono>
#include <string>
#include <type_traits>
#include <utility>

#include "config/settings.h"
#include "db/availability.h"
#include "db/engine.h"
#include "db/errors.h"

namespace scrapersky::db {

// How long background work keeps trying through a database outage before it gives up (and a
// worker hands its claim back). The budget must outlast a pooler's back-off: PgBouncer refuses
// new server logins for server_login_retry (15 s) after one failed login, so a 3 s PostgreSQL
// restart is ~18 s of errors seen through it.
struct RetryPolicy {
  std::chrono::milliseconds budget{45'000};  // DB_RETRY_BUDGET_SECONDS
  std::chrono::milliseconds first_delay{200};
  std::chrono::milliseconds max_delay{3'000};

  static RetryPolicy from_settings(const config::Settings& settings);
};

// Runs `work(tx)` in a read unit (Session::begin_read) and returns its result.
template <typename F>
auto read_unit(Engine& engine, F&& work) {
  auto session = engine.session();
  auto unit = session.begin_read();
  return std::forward<F>(work)(unit.tx());
}

// Runs `work(tx)`, which issues exactly one SELECT, as a single-statement read
// (Session::begin_single_read): one round trip, no BEGIN/COMMIT, no separate pre-ping.
template <typename F>
auto single_read(Engine& engine, F&& work) {
  auto session = engine.session();
  auto unit = session.begin_single_read();
  return std::forward<F>(work)(unit.tx());
}

// Runs `work(tx)` in a write unit and commits when it returns (an exception rolls back).
template <typename F>
auto write_unit(Engine& engine, F&& work) {
  auto session = engine.session();
  auto unit = session.begin();
  if constexpr (std::is_void_v<decltype(std::forward<F>(work)(unit.tx()))>) {
    std::forward<F>(work)(unit.tx());
    unit.commit();
  } else {
    auto result = std::forward<F>(work)(unit.tx());
    unit.commit();
    return result;
  }
}

// Runs units of work under a RetryPolicy: a transient failure (db::is_transient) is retried in a fresh unit after
// an exponential back-off until the budget is spent (then RetryBudgetExhausted); any other
// failure is thrown at once. `cancel` (optional) ends the waiting early: the last error is
// thrown as it is. The work of a unit must be safe to run again: it was rolled back, or (a
// COMMIT with no answer) it may have committed.
class Retrying {
 public:
  Retrying(Engine& engine, RetryPolicy policy, std::string what,
           const std::atomic<bool>* cancel = nullptr)
      : engine_(engine), policy_(policy), what_(std::move(what)), cancel_(cancel) {}

  template <typename F>
  auto write(F&& work) {
    return attempt([&] { return write_unit(engine_, work); });
  }
  template <typename F>
  auto read(F&& work) {
    return attempt([&] { return read_unit(engine_, work); });
  }

  int retries() const { return retries_; }  // transient failures so far, over every call

 private:
  template <typename Attempt>
  auto attempt(Attempt&& once) {
    const auto deadline = std::chrono::steady_clock::now() + policy_.budget;
    auto delay = policy_.first_delay;
    for (;;) {
      try {
        return once();
      } catch (const Error& e) {
        if (!is_transient(e)) throw;
        ++retries_;
        delay = back_off(e, deadline, delay);
      }
    }
  }
  // Logs, sleeps and returns the next delay, or throws when the budget or the caller says stop.
  std::chrono::milliseconds back_off(const Error& error,
                                     std::chrono::steady_clock::time_point deadline,
                                     std::chrono::milliseconds delay);

  Engine& engine_;
  const RetryPolicy policy_;
  const std::string what_;
  const std::atomic<bool>* cancel_;
  int retries_ = 0;
};

}  // namespace scrapersky::db
