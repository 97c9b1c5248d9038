#pragma once
// Small pieces every /api/v3 route file shares: who the caller is (as stored text), the units
// of work a handler owns (db/unit.h: one try each; a failure answers 503 and the client
// retries), list pages by single reads, nullable JSON values, the "filtered update needs a
// filter" rule (docs/api.md), and an is-this-a-value-error helper for 422s.
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
#include "db/unit.h"

namespace scrapersky::api::routes {

using db::read_unit;
using db::single_read;
using db::write_unit;

// The caller's id as stored in created_by/updated_by: the JWT `sub` (text, never a foreign
// key); nullopt for API keys and open mode.
std::optional<std::string> caller_id(const Request& request);

// A list page by single reads: `list(tx)` returns a store::RecordPage whose total rides on
// its rows; a page past the end has none, so `count(tx)` supplies the total then.
template <typename List, typename Count>
auto single_read_page(db::Engine& engine, List&& list, Count&& count, std::int64_t offset) {
  auto page = single_read(engine, std::forward<List>(list));
  if (page.items.empty() && offset > 0) page.total = single_read(engine, std::forward<Count>(count));
  return page;
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
