// A domain and its re-scan schedule (docs/changes.md, "Scheduled re-scans"):
// GET /api/v3/domains/{domain_id}, PUT /api/v3/domains/{domain_id}/schedule.
#include <cmath>

#include "api/routes/route_support.h"
#include "api/routes/v3_routes.h"
#include "store/domains.h"

namespace scrapersky::api::routes {
namespace {

using nlohmann::json;

json schedule_json(const store::DomainSchedule& d, double global_hours) {
  json out = {{"id", d.id}, {"domain", d.domain}};
  add_schedule_fields(out, d.rescan_interval_hours, d.last_scan_at, global_hours);
  return out;
}

Response get_domain(db::Engine& engine, Request& request, double global_hours) {
  const auto id = path_uuid(request, "domain_id");
  const auto domain =
      single_read(engine, [&](db::Transaction& tx) { return store::find_domain_schedule(tx, id); });
  if (!domain) throw ApiError(404, "Domain not found", "No domain with id " + id);
  return Response::json(200, schedule_json(*domain, global_hours));
}

// {"rescan_interval_hours": N} (0: never; null: the global value; negative or not a number: 422).
std::optional<double> interval_of(const Request& request) {
  auto body = JsonBody::parse(request);
  const auto& raw = body.raw();
  const auto field = raw.find("rescan_interval_hours");
  const json loc = json::array({"body", "rescan_interval_hours"});
  if (field == raw.end()) {
    throw validation_error({FieldError{loc, "Field required", "missing", nullptr, nullptr}});
  }
  if (field->is_null()) return std::nullopt;
  if (!field->is_number() || !std::isfinite(field->get<double>())) {
    throw validation_error({value_error(loc, "Input should be a valid number", *field)});
  }
  const double hours = field->get<double>();
  if (hours < 0) {
    throw validation_error({FieldError{loc, "Input should be greater than or equal to 0",
                                       "greater_than_equal", *field, {{"ge", 0}}}});
  }
  return hours;
}

Response put_schedule(db::Engine& engine, Request& request, double global_hours) {
  const auto id = path_uuid(request, "domain_id");
  const auto hours = interval_of(request);
  const auto domain = write_unit(engine, [&](db::Transaction& tx) {
    return store::set_domain_rescan_interval(tx, id, hours) ? store::find_domain_schedule(tx, id)
                                                            : std::nullopt;
  });
  if (!domain) throw ApiError(404, "Domain not found", "No domain with id " + id);
  return Response::json(200, schedule_json(*domain, global_hours));
}

}  // namespace

void add_schedule_fields(nlohmann::json& out, std::optional<double> override_hours,
                         const std::optional<std::string>& last_scan_at, double global_hours) {
  const auto nullable = [](const auto& v) { return v ? json(*v) : json(nullptr); };
  out["rescan_interval_hours"] = nullable(override_hours);
  out["last_scan_at"] = nullable(last_scan_at);
  out["next_scan_at"] = nullable(store::next_scan_at(override_hours, last_scan_at, global_hours));
}

void add_schedule_routes(Router& router, db::Engine& engine, double rescan_interval_hours) {
  db::Engine* e = &engine;
  const double global = rescan_interval_hours;
  router.add("GET", "/api/v3/domains/{domain_id}",
             with_db_errors([e, global](Request& r) { return get_domain(*e, r, global); }),
             {.summary = "A domain with its re-scan schedule",
              .doc = {.parameters = {path_uuid_param("domain_id")},
                      .responses = {{200, "The domain and its schedule", "DomainSchedule"},
                                    {404, "No such domain", "ErrorEnvelope"}}}});
  router.add("PUT", "/api/v3/domains/{domain_id}/schedule",
             with_db_errors([e, global](Request& r) { return put_schedule(*e, r, global); }),
             {.summary = "Set a domain's re-scan interval (0: never; null: the global value)",
              .doc = {.parameters = {path_uuid_param("domain_id")},
                      .request_body = "DomainScheduleUpdate",
                      .responses = {{200, "The domain and its schedule", "DomainSchedule"},
                                    {404, "No such domain", "ErrorEnvelope"}}}});
}

}  // namespace scrapersky::api::routes
