#include "api/routes/route_support.h"

#include "db/availability.h"

namespace scrapersky::api::routes {

std::optional<std::string> caller_id(const Request& request) {
  if (!request.principal || request.principal->subject.empty()) return std::nullopt;
  return request.principal->subject;
}

void require_filter(bool filter_empty, bool apply_to_all) {
  if (filter_empty && !apply_to_all) {
    throw ApiError(400,
                   "No filter given: a filtered update without filters would change every row. "
                   "Send at least one filter, or \"apply_to_all\": true.");
  }
}

FieldError value_error(nlohmann::json loc, std::string message, nlohmann::json input) {
  FieldError error;
  error.loc = std::move(loc);
  error.msg = "Value error, " + message;
  error.type = "value_error";
  error.input = std::move(input);
  error.ctx = {{"error", message}};
  return error;
}

Response bulk_update_response(std::int64_t updated_count, std::int64_t queued_count) {
  return Response::json(200, {{"updated_count", updated_count}, {"queued_count", queued_count}});
}

}  // namespace scrapersky::api::routes

namespace scrapersky::api::routes {

std::optional<ApiError> database_unavailable(const db::Error& error) {
  if (dynamic_cast<const db::PoolTimeout*>(&error) != nullptr) {
    ApiError busy(503, "Database busy", "No database connection became free in time");
    busy.retry_after = kRetryAfterBusy;
    return busy;
  }
  if (db::is_connection_failure(error)) {
    ApiError unavailable(503, "Database unavailable", "The database connection failed");
    unavailable.retry_after = kRetryAfterUnavailable;
    return unavailable;
  }
  return std::nullopt;
}

std::function<Response(Request&)> with_db_errors(std::function<Response(Request&)> handler) {
  return [handler = std::move(handler)](Request& request) {
    try {
      return handler(request);
    } catch (const db::Error& error) {
      if (auto unavailable = database_unavailable(error)) throw *unavailable;
      throw;
    }
  };
}

}  // namespace scrapersky::api::routes
