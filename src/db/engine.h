#pragma once
// The one gate to the database (docs/database.md). One Engine per process owns the pool;
// Sessions come only from it; a UnitOfWork (created by request handlers and job runners) is
// the only thing that can commit; services and repositories get a Transaction&, which runs
// statements and nothing else.
//
//   auto engine = db::Engine::create(settings);
//   auto session = engine->session();
//   auto uow = session.begin();
//   repo.save(uow.tx(), ...);     // Transaction&: exec / copy_rows only
//   uow.commit();                 // destroyed without commit() = rolled back
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "config/settings.h"
#include "db/appender.h"
#include "db/dialect.h"
#include "db/errors.h"
#include "db/pool_metrics.h"
#include "db/result.h"

namespace scrapersky::db {

namespace internal {
class Connection;
struct EngineCore;
struct SessionState;
}  // namespace internal

class UnitOfWork;

// The statement handle of one open transaction. It has no begin/commit/rollback on purpose
// (docs/database.md, "Units of work"; tests/db/transaction_shape_test.cc keeps it so). After a statement fails, every
// further call throws TransactionFailed naming the first error.
class Transaction {
 public:
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  // One statement; placeholders are $1, $2, ... on both backends.
  Result exec(std::string_view sql, std::span<const Value> params = {});
  Result exec(std::string_view sql, std::initializer_list<Value> params);

  // One SELECT whose rows are visited as views, without building a Result: for reads of many
  // rows (export pages). Not in a single-statement read unit.
  void for_each_row(std::string_view sql, std::span<const Value> params,
                    const std::function<void(const RowView&)>& visit);

  // A bulk write of rows encoded as they come (db/appender.h): COPY FROM STDIN on
  // PostgreSQL, one prepared INSERT stepped per row on SQLite. No other statement may run on
  // this transaction until the appender is closed.
  Appender append(std::string_view table, std::span<const std::string_view> columns,
                  CopyFormat format = CopyFormat::kText);

  // The same for rows already held as values: `cells` is row-major, columns.size() values per
  // row. Returns the rows written.
  std::int64_t copy_rows(std::string_view table, std::span<const std::string_view> columns,
                         std::span<const Value> cells);

  Dialect dialect() const;

  // This transaction's COMMIT need not wait for its WAL to reach disk (PostgreSQL
  // `SET LOCAL synchronous_commit = off`; nothing on SQLite). For idempotent bulk batches:
  // a crash can lose only the last moments of such commits, never leave them half-applied,
  // and any later synchronous commit (a job's final status) flushes them too.
  void defer_durability();

  // This transaction's reads that want rows in an index's order (keyset pages: ... WHERE key >
  // $1 ORDER BY key LIMIT n) get them from the index, whatever the table's statistics say
  // (PostgreSQL `SET LOCAL enable_sort = off`; nothing on SQLite, whose plans follow the key).
  // Right after a bulk load the statistics still describe the table before it, and PostgreSQL
  // then planned each page as a bitmap scan of everything after the key and a sort of it on disk.
  void walk_in_key_order();

 private:
  friend class UnitOfWork;
  friend class Appender;
  Transaction(internal::Connection* connection, bool echo) : connection_(connection), echo_(echo) {}
  void check_usable() const;
  void record_failure(const Error& error);
  Result run(std::string_view sql, std::span<const Value> params);
  Result run_single_read(std::string_view sql, std::span<const Value> params);

  internal::Connection* connection_;
  bool echo_;
  bool finished_ = false;
  bool appending_ = false;  // an Appender is open: the connection is inside a bulk write
  std::optional<std::string> first_error_;
  std::string first_error_state_;  // its SQLSTATE: the cause of later refusals
  // A single-statement read unit (Session::begin_single_read): one SELECT, no BEGIN; a lost
  // connection is replaced once through `replace_connection_` and the SELECT run again.
  bool single_read_ = false;
  int statements_ = 0;
  std::function<internal::Connection*()> replace_connection_;
};

// One transaction, RAII: rolled back in the destructor unless commit() succeeded. Only one
// unit of work is open per session at a time; the connection goes back to the pool once both
// the unit and its session are gone.
class UnitOfWork {
 public:
  UnitOfWork(const UnitOfWork&) = delete;
  UnitOfWork& operator=(const UnitOfWork&) = delete;
  ~UnitOfWork();

  Transaction& tx() { return tx_; }
  // Checks the transaction status before COMMIT; throws CommitFailed when a statement failed
  // earlier, the status is not committable, or the server does not answer COMMIT.
  void commit();
  // Ends the unit without keeping anything (also what the destructor does).
  void rollback();

 private:
  friend class Session;
  // A non-empty `single_read_reconnect` makes this a single-statement read unit.
  UnitOfWork(std::shared_ptr<internal::SessionState> session, internal::Connection* connection,
             bool echo, std::function<internal::Connection*()> single_read_reconnect = {});
  void finish();

  std::shared_ptr<internal::SessionState> session_;  // kept alive even if the Session goes first
  Transaction tx_;
  bool done_ = false;
};

// A pooled connection borrowed from the Engine, taken lazily at the first begin() and given
// back (reset) when the session is destroyed. Background work opens its own session.
class Session {
 public:
  Session(Session&&) noexcept;
  Session& operator=(Session&&) noexcept;
  ~Session();

  // A write unit: BEGIN on PostgreSQL, BEGIN IMMEDIATE on SQLite's writer connection.
  UnitOfWork begin();
  // A read unit: deferred BEGIN on an SQLite reader connection; PostgreSQL: same as begin().
  UnitOfWork begin_read();
  // A read unit of exactly one SELECT, sent without BEGIN/COMMIT: the statement is its own
  // transaction (one snapshot), so the whole unit is one round trip. Its checkout skips the
  // pre-ping: the SELECT is the ping, and on a lost connection it runs once more on a fresh
  // one (the pool invalidates everything older, as after a failed ping). A second statement,
  // or one that is not a SELECT, throws Error (SQLSTATE 25006) without reaching the server.
  UnitOfWork begin_single_read();

 private:
  friend class Engine;
  explicit Session(std::shared_ptr<internal::EngineCore> core);
  UnitOfWork start(bool write, bool single_read = false);

  std::shared_ptr<internal::SessionState> state_;
};

class Engine {
 public:
  // Builds the pool(s) for settings.database_url; connects lazily. Throws config::Error for
  // a URL this layer cannot use.
  static std::shared_ptr<Engine> create(const config::Settings& settings);
  ~Engine();

  Session session();  // the session factory (get_db_session())

  // Held while a crawl stores its findings: on SQLite the writer connection then runs with
  // settings for bulk loads (docs/database.md, "SQLite during bulk loads"), and goes back to
  // its normal settings once no load is held. Nothing on PostgreSQL.
  class BulkLoad {
   public:
    BulkLoad(BulkLoad&& other) noexcept : core_(std::move(other.core_)) {}
    BulkLoad& operator=(BulkLoad&&) = delete;
    ~BulkLoad();

   private:
    friend class Engine;
    explicit BulkLoad(std::shared_ptr<internal::EngineCore> core);
    std::shared_ptr<internal::EngineCore> core_;
  };
  BulkLoad bulk_load();

  PoolMetrics metrics() const;
  Dialect dialect() const;
  std::string masked_url() const;

 private:
  explicit Engine(std::shared_ptr<internal::EngineCore> core) : core_(std::move(core)) {}
  std::shared_ptr<internal::EngineCore> core_;
};


}  // namespace scrapersky::db
