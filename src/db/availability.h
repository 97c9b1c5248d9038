#pragma once
// Telling "the database cannot be reached right now" apart from every other failure, and
// waiting for the database at start. `serve` and `worker` may start before their database
// (containers started together, a database restarting): they retry with back-off instead of
// exiting, and the API answers 503 rather than 500 while the database is away.
//
//   std::atomic<bool> stop{false};      // set by SIGTERM/SIGINT
//   if (!db::wait_for_schema(*engine, stop)) return kExitOk;  // stopped while waiting
//   pool.start();                       // the schema is there and the database answers
#include <atomic>
#include <chrono>
#include <string_view>

#include "db/engine.h"
#include "db/errors.h"

namespace scrapersky::db {

// SQLSTATEs that mean the connection failed or went away, not that the work was wrong:
// class 08 (connection exception), 57P01 (admin shutdown), 57P02 (crash shutdown), 57P03
// (cannot connect now: the server is starting).
bool is_connection_state(std::string_view sqlstate);

// The database could not be reached, or the connection was lost: a ConnectionError, any error
// with a connection SQLSTATE, or a TransactionFailed/CommitFailed whose cause was one. The
// same work may succeed once the database is back.
bool is_connection_failure(const Error& error);

// Worth retrying later, in a fresh unit of work: a connection failure, a PoolTimeout (every
// connection busy), or a serialization failure or deadlock (40001/40P01). Never a
// RetryBudgetExhausted: that already is the end of the retries (db/unit.h).
bool is_transient(const Error& error);

// The back-off of wait_for_schema: first_delay, doubling, at most max_delay; each delay is
// shortened by up to `jitter` (a fraction) at random, so processes started together do not
// retry in step, and no delay exceeds max_delay.
struct SchemaWait {
  std::chrono::milliseconds first_delay{250};
  std::chrono::milliseconds max_delay{5'000};
  double jitter = 0.2;
};

// The delay after the `failures`-th failed attempt (1 for the first); `unit_random` in [0, 1)
// picks the jitter.
std::chrono::milliseconds backoff_delay(const SchemaWait& wait, int failures, double unit_random);

// Runs ensure_schema (migrations/migrations.h) until it succeeds (true) or `stop` becomes true
// (false). A transient failure logs one warning per attempt (masked URL, the error, the next
// delay) and is retried after the back-off; any other failure (SchemaBehind on PostgreSQL: run
// `scrapersky migrate`) is thrown at once. `stop` is checked before each attempt and every
// 50 ms of a delay; an attempt itself lasts as long as connecting does (libpq's
// `connect_timeout` in the URL bounds it against an unroutable host).
bool wait_for_schema(Engine& engine, const std::atomic<bool>& stop, const SchemaWait& wait = {});

}  // namespace scrapersky::db
