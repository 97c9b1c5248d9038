#pragma once
// The paged list shape of the API: {items, total, page, size, pages}.
#include <cstdint>

#include <nlohmann/json.hpp>

namespace scrapersky::api {

// ceil(total / size); 0 when total is 0 (or size is not positive).
std::int64_t page_count(std::int64_t total, std::int64_t size);

// The row offset of 1-based `page`.
inline std::int64_t page_offset(std::int64_t page, std::int64_t size) { return (page - 1) * size; }

nlohmann::json paginated(nlohmann::json items, std::int64_t total, std::int64_t page,
                         std::int64_t size);

}  // namespace scrapersky::api
