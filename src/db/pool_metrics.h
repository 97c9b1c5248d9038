#pragma once
// Counters of a connection pool (docs/database.md, "Pool"), for /metrics and tests.
#include <cstdint>

namespace scrapersky::db {

struct PoolMetrics {
  int size = 0;          // pool_size: connections kept open
  int max_overflow = 0;  // extra connections allowed under load
  int open = 0;          // connections open now (idle + checked out + being opened)
  int idle = 0;
  int checked_out = 0;
  int overflow = 0;                // open beyond size
  std::int64_t waits = 0;          // checkouts that had to wait for a connection
  std::int64_t timeouts = 0;       // checkouts that gave up after pool_timeout
  std::int64_t invalidations = 0;  // generation bumps after a dead connection was found
  std::int64_t connects = 0;       // connections opened since start
};

}  // namespace scrapersky::db
