#include "db/unit.h"

#include <algorithm>
#include <random>
#include <thread>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace scrapersky::db {
namespace {

// Full jitter on the upper half: processes that lost the database together do not all come
// back in the same millisecond.
std::chrono::milliseconds jittered(std::chrono::milliseconds delay) {
  thread_local std::minstd_rand random(std::random_device{}());
  const auto half = std::max<std::int64_t>(1, delay.count() / 2);
  return std::chrono::milliseconds(half + static_cast<std::int64_t>(random() % half));
}

}  // namespace

RetryPolicy RetryPolicy::from_settings(const config::Settings& settings) {
  RetryPolicy policy;
  policy.budget = settings.pool.retry_budget;
  return policy;
}

std::chrono::milliseconds Retrying::back_off(const Error& error,
                                             std::chrono::steady_clock::time_point deadline,
                                             std::chrono::milliseconds delay) {
  const auto now = std::chrono::steady_clock::now();
  if (now >= deadline) {
    throw RetryBudgetExhausted(
        error.sqlstate().empty() ? "08000" : error.sqlstate(),
        fmt::format("{}: the database stayed unavailable for {} s (retry budget): {}", what_,
                    std::chrono::duration_cast<std::chrono::seconds>(policy_.budget).count(),
                    error.what()));
  }
  const auto wait = std::min(jittered(delay), std::chrono::duration_cast<std::chrono::milliseconds>(
                                                  deadline - now));
  spdlog::warn("{} failed ({}), retrying in {} ms: {}", what_,
               error.sqlstate().empty() ? "no SQLSTATE" : error.sqlstate(), wait.count(),
               error.what());
  // Sleep in short steps so that a cancel (a stopping worker) is seen promptly.
  const auto until = std::chrono::steady_clock::now() + wait;
  while (std::chrono::steady_clock::now() < until) {
    if (cancel_ != nullptr && cancel_->load()) throw;
    std::this_thread::sleep_for(std::min<std::chrono::milliseconds>(
        std::chrono::milliseconds(50), std::chrono::duration_cast<std::chrono::milliseconds>(
                                           until - std::chrono::steady_clock::now()) +
                                           std::chrono::milliseconds(1)));
  }
  return std::min(delay * 2, policy_.max_delay);
}

}  // namespace scrapersky::db
