#include "pipeline/crawl_writer.h"

#include <exception>

namespace scrapersky::pipeline {

store::SitemapFileOutcome to_file_outcome(const SitemapOutcome& outcome) {
  store::SitemapFileOutcome row;
  row.type = outcome.type;
  row.url_count = outcome.url_count;
  row.size_bytes = outcome.size_bytes;
  row.gzipped = outcome.gzipped;
  row.truncated = outcome.truncated;
  row.http_status = outcome.http_status;
  row.error = outcome.error;
  row.has_lastmod = outcome.has_lastmod;
  row.has_priority = outcome.has_priority;
  row.has_changefreq = outcome.has_changefreq;
  return row;
}

WriteFailure WriteFailure::from_current_exception() {
  try {
    throw;
  } catch (const store::ClaimLost& e) {
    return {Kind::kClaimLost, e.what()};
  } catch (const db::Error& e) {
    // Exhausted budget, or a transient failure whose retry was cancelled by a stopping worker:
    // either way the work itself is fine and someone else should finish it.
    const bool unavailable =
        dynamic_cast<const db::RetryBudgetExhausted*>(&e) != nullptr || db::is_transient(e);
    return {unavailable ? Kind::kUnavailable : Kind::kError, e.what()};
  } catch (const std::exception& e) {
    return {Kind::kError, e.what()};
  } catch (...) {
    return {Kind::kError, "unknown error"};
  }
}

}  // namespace scrapersky::pipeline
