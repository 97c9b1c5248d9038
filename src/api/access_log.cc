#include "api/access_log.h"

#include <spdlog/spdlog.h>

namespace scrapersky::api {

void log_access(const AccessRecord& r) {
  // key=value pairs: greppable as text and easy to lift into JSON fields.
  spdlog::info("http_access method={} path={} status={} duration_ms={:.2f} bytes={} remote={}",
               r.method, r.path, r.status, r.duration.count(), r.bytes, r.remote_address);
}

}  // namespace scrapersky::api
