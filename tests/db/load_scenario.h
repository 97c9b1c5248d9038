#pragma once
// The concurrency scenario (docs/database.md, "Tests"), shared by the SQLite and PgBouncer tests:
// many threads, each running short units of work that insert, update, select, read, and
// fail on purpose (a duplicate key; an unknown column followed by commit). Afterwards the
// table must hold exactly the rows of the units reported committed.
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "db/engine.h"

namespace scrapersky::db::testing {

struct LoadOutcome {
  std::set<std::int64_t> committed;
  std::set<std::int64_t> present;
  std::int64_t deliberate_failures = 0;
  std::vector<std::string> unexpected;  // errors nobody asked for
  std::string log;                      // everything the program logged (SQL_ECHO on)
};

// Captures spdlog output for the duration of a test.
class LogCapture {
 public:
  LogCapture() : previous_(spdlog::default_logger()) {
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(stream_);
    spdlog::set_default_logger(std::make_shared<spdlog::logger>("capture", sink));
  }
  ~LogCapture() { spdlog::set_default_logger(previous_); }
  std::string text() const { return stream_.str(); }

 private:
  std::ostringstream stream_;
  std::shared_ptr<spdlog::logger> previous_;
};

inline LoadOutcome run_load(Engine& engine, const std::string& table, int threads, int per_thread) {
  LoadOutcome out;
  LogCapture capture;
  {
    auto s = engine.session();
    auto uow = s.begin();
    uow.tx().exec("DROP TABLE IF EXISTS " + table);
    uow.tx().exec("CREATE TABLE " + table +
                  " (id bigint PRIMARY KEY, thread integer NOT NULL, n integer NOT NULL, "
                  "value text NOT NULL, updates integer NOT NULL DEFAULT 0)");
    uow.commit();
  }
  std::mutex mutex;
  auto note = [&](const std::string& what) {
    std::lock_guard lock(mutex);
    out.unexpected.push_back(what);
  };
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      std::vector<std::int64_t> mine;
      std::int64_t failures = 0;
      for (int i = 0; i < per_thread; ++i) {
        const std::int64_t id = std::int64_t{t} * 1'000'000 + i;
        try {
          auto session = engine.session();
          if (i % 10 == 5) {
            auto read = session.begin_read();
            read.tx().exec("SELECT count(*) FROM " + table + " WHERE thread = $1", {t});
            read.commit();
            continue;
          }
          auto uow = session.begin();
          auto& tx = uow.tx();
          tx.exec("INSERT INTO " + table + " (id, thread, n, value) VALUES ($1, $2, $3, $4)",
                  {id, t, i, "new"});
          tx.exec("UPDATE " + table + " SET value = $1, updates = updates + 1 WHERE id = $2",
                  {"updated", id});
          const auto r = tx.exec("SELECT value FROM " + table + " WHERE id = $1", {id});
          if (r.size() != 1 || r.front().get<std::string>(0) != "updated") note("read-back mismatch");
          if (i % 10 == 3) {  // deliberate: duplicate key, then a statement that must be refused
            try {
              tx.exec("INSERT INTO " + table + " (id, thread, n, value) VALUES ($1, $2, $3, $4)",
                      {id, t, i, "dup"});
              note("duplicate accepted");
            } catch (const IntegrityError&) {
            }
            try {
              tx.exec("SELECT 1");
              note("statement after an error accepted");
            } catch (const TransactionFailed&) {
            }
            ++failures;
            continue;  // destroyed without commit
          }
          if (i % 10 == 7) {  // deliberate: a failing statement, then commit must refuse
            try {
              tx.exec("SELECT no_such_column FROM " + table + " WHERE id = $1", {id});
              note("unknown column accepted");
            } catch (const Error&) {
            }
            try {
              uow.commit();
              note("commit after an error succeeded");
            } catch (const CommitFailed&) {
            }
            ++failures;
            continue;
          }
          uow.commit();
          mine.push_back(id);
        } catch (const std::exception& e) {
          note(e.what());
        }
      }
      std::lock_guard lock(mutex);
      out.committed.insert(mine.begin(), mine.end());
      out.deliberate_failures += failures;
    });
  }
  for (auto& w : workers) w.join();
  {
    auto s = engine.session();
    auto uow = s.begin_read();
    for (const Row row : uow.tx().exec("SELECT id FROM " + table)) {
      out.present.insert(row.get<std::int64_t>(0));
    }
    uow.commit();
  }
  {
    auto s = engine.session();
    auto uow = s.begin();
    uow.tx().exec("DROP TABLE " + table);
    uow.commit();
  }
  out.log = capture.text();
  return out;
}

}  // namespace scrapersky::db::testing
