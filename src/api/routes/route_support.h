#pragma once
// Small pieces every /api/v3 route file shares: who the caller is (as stored text), the one
// unit of work a handler owns, nullable JSON values, the "filtered update needs a filter"
// rule (api.md correction 6), and an is-this-a-value-error helper for 422s.
#include <functional>
#include <optional>
#include <type_traits>
#include <string>
#include <string_view>
#include <utility>

#include <nlohmann/json.hpp>

#include "api/http.h"
#include "api/validation.h"
#include "db/engine.h"

namespace scrapersky::api::routes {

// The caller's id as stored in created_by/updated_by: the JWT `sub` (text, never a foreign
// key); nullopt for API keys and open mode.
std::optional<std::string> caller_id(const Request& request);

// Runs `work(tx)` in a read unit (begin_read) and returns its result; nothing is committed.
template <typename F>
auto read_unit(db::Engine& engine, F&& work) {
  auto session = engine.session();
  auto unit = session.begin_read();
  return std::forward<F>(work)(unit.tx());
}

// Runs `work(tx)`, which issues exactly one SELECT, as a single-statement read
// (Session::begin_single_read): one round trip, no BEGIN/COMMIT, no separate pre-ping. For
// the hot reads whose repository function is one statement; anything more throws.
template <typename F>
auto single_read(db::Engine& engine, F&& work) {
  auto session = engine.session();
  auto unit = session.begin_single_read();
  return std::forward<F>(work)(unit.tx());
}

// A list page by single reads: `list(tx)` returns a store::RecordPage whose total rides on
// its rows; a page past the end has none, so `count(tx)` supplies the total then.
template <typename List, typename Count>
auto single_read_page(db::Engine& engine, List&& list, Count&& count, std::int64_t offset) {
  auto page = single_read(engine, std::forward<List>(list));
  if (page.items.empty() && offset > 0) page.total = single_read(engine, std::forward<Count>(count));
  return page;
}

// Runs `work(tx)` in a write unit and commits it when `work` returns (an exception rolls back).
template <typename F>
auto write_unit(db::Engine& engine, F&& work) {
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

template <typename T>
nlohmann::json nullable(const std::optional<T>& value) {
  return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
}

// 400 unless the filtered update has a filter or says "apply_to_all": true.
void require_filter(bool filter_empty, bool apply_to_all);

// A pydantic `value_error` at loc (e.g. {"body", "base_url"}).
FieldError value_error(nlohmann::json loc, std::string message, nlohmann::json input);

// {"updated_count": n, "queued_count": q}
Response bulk_update_response(std::int64_t updated_count, std::int64_t queued_count);

}  // namespace scrapersky::api::routes

namespace scrapersky::api::routes {

// The 503 for a database that is busy (PoolTimeout: "Database busy", Retry-After
// kRetryAfterBusy) or unreachable (db::is_connection_failure: a lost connection, class 08,
// 57P01/57P03, a commit that failed because of one: "Database unavailable", Retry-After
// kRetryAfterUnavailable); nullopt for any other error.
std::optional<ApiError> database_unavailable(const db::Error& error);

// Wraps a handler so that database unavailability answers 503 (database_unavailable) instead
// of a 500; every other error passes through unchanged.
std::function<Response(Request&)> with_db_errors(std::function<Response(Request&)> handler);

}  // namespace scrapersky::api::routes
