#include "api/pagination.h"

namespace scrapersky::api {

std::int64_t page_count(std::int64_t total, std::int64_t size) {
  if (total <= 0 || size <= 0) return 0;
  return (total + size - 1) / size;
}

nlohmann::json paginated(nlohmann::json items, std::int64_t total, std::int64_t page,
                         std::int64_t size) {
  if (!items.is_array()) items = nlohmann::json::array();
  return {{"items", std::move(items)},
          {"total", total},
          {"page", page},
          {"size", size},
          {"pages", page_count(total, size)}};
}

}  // namespace scrapersky::api
