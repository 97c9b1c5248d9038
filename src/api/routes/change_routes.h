#pragma once
// GET /api/v3/scans/{job_id}/changes and GET /api/v3/domains/{domain_id}/changes
// (docs/api.md, "Changes").
#include "api/router.h"
#include "db/engine.h"

namespace scrapersky::api::routes {

void add_change_routes(Router& router, db::Engine& engine);

}  // namespace scrapersky::api::routes
