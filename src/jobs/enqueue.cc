#include "jobs/enqueue.h"

#include "sitemap/domain.h"
#include "store/queue.h"

namespace scrapersky::jobs {

std::string enqueue_scan(db::Transaction& tx, std::string_view target,
                         std::optional<std::int64_t> max_pages,
                         const std::optional<std::string>& created_by) {
  return store::enqueue_scan(tx, target, max_pages, created_by);
}

std::string create_batch(db::Transaction& tx, std::span<const std::string> domains,
                         std::optional<std::int64_t> max_pages,
                         const std::optional<std::string>& created_by) {
  store::NewBatch batch;
  batch.max_pages = max_pages;
  batch.created_by = created_by;
  for (const auto& domain : domains) {
    try {
      batch.domains.push_back(sitemap::normalize_domain(domain));
    } catch (const sitemap::DomainError& e) {
      throw sitemap::DomainError("'" + domain + "': " + e.what());
    }
  }
  return store::insert_batch(tx, batch);
}

std::optional<store::BatchRecord> find_batch(db::Transaction& tx, std::string_view batch_id) {
  return store::find_batch(tx, batch_id);
}

}  // namespace scrapersky::jobs
