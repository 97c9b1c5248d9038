#include "db/engine.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <cctype>
#include <chrono>
#include <type_traits>
#include <utility>
#include <variant>

#include "db/internal/connection.h"
#include "db/internal/pool.h"
#include "db/postgres/pg_connection.h"
#include "db/sqlite/sqlite_connection.h"

namespace scrapersky::db {
namespace internal {

struct EngineCore {
  Dialect dialect = Dialect::kPostgres;
  std::string masked_url;
  std::shared_ptr<Pool> writer;   // PostgreSQL: the one pool; SQLite: the single writer
  std::shared_ptr<Pool> readers;  // SQLite only
  bool echo = false;
  std::atomic<int> bulk_loads{0};  // Engine::BulkLoad objects alive
};

struct SessionState {
  std::shared_ptr<EngineCore> core;
  Pool::PooledConnection connection;
  bool connection_is_writer = false;
  bool unit_open = false;
};

}  // namespace internal

namespace {

constexpr std::string_view kSqlitePrefix = "sqlite:///";
constexpr std::chrono::milliseconds kSqliteBusyTimeout{30'000};

internal::PoolOptions pool_options(const config::PoolSettings& p) {
  internal::PoolOptions o;
  o.size = p.size;
  o.max_overflow = p.max_overflow;
  o.timeout = p.timeout;
  o.recycle = std::chrono::duration_cast<std::chrono::milliseconds>(p.recycle);
  o.pre_ping = p.pre_ping;
  return o;
}

// "sqlite:///rel.db" -> "rel.db" (relative to the working directory);
// "sqlite:////abs/x.db" -> "/abs/x.db".
std::string sqlite_path(std::string_view url) {
  std::string_view rest = url.substr(kSqlitePrefix.size());
  if (const auto q = rest.find('?'); q != std::string_view::npos) rest = rest.substr(0, q);
  if (rest.empty() || rest == "/") {
    throw config::Error("DATABASE_URL", fmt::format("SQLite URL '{}' names no file", url));
  }
  return std::string(rest);
}

}  // namespace

// ---- Transaction ----

void Transaction::check_usable() const {
  if (finished_) throw TransactionFailed("25000", "the unit of work has already ended");
  if (appending_) {
    throw Error("55000", "a bulk write is open on this transaction: close its appender first");
  }
  if (first_error_) {
    throw TransactionFailed("25P02", "transaction failed earlier: " + *first_error_,
                            first_error_state_);
  }
}

void Transaction::record_failure(const Error& error) {
  if (first_error_) return;
  first_error_ = error.what();
  first_error_state_ = error.sqlstate();
}

Result Transaction::exec(std::string_view sql, std::span<const Value> params) {
  check_usable();
  return single_read_ ? run_single_read(sql, params) : run(sql, params);
}

Result Transaction::run(std::string_view sql, std::span<const Value> params) {
  const auto started = std::chrono::steady_clock::now();
  try {
    Result result = connection_->exec(sql, params);
    if (echo_) {
      const std::chrono::duration<double, std::milli> took = std::chrono::steady_clock::now() - started;
      spdlog::info("SQL {:.3f} ms, {} rows, {} params (redacted): {}", took.count(),
                   result.affected_rows(), params.size(), sql);
    }
    return result;
  } catch (const Error& e) {
    record_failure(e);
    if (echo_) spdlog::info("SQL failed ({}): {}", e.sqlstate(), sql);
    throw;
  }
}

namespace {

bool is_select(std::string_view sql) {
  const auto start = sql.find_first_not_of(" \t\r\n(");
  if (start == std::string_view::npos || sql.size() - start < 6) return false;
  std::string word(sql.substr(start, 6));
  for (char& c : word) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return word == "SELECT";
}

}  // namespace

Result Transaction::run_single_read(std::string_view sql, std::span<const Value> params) {
  if (statements_ > 0 || !is_select(sql)) {
    Error refused("25006", statements_ > 0
                               ? "a single-statement read unit runs one statement; use begin_read()"
                               : "a single-statement read unit runs one SELECT only");
    record_failure(refused);
    throw refused;
  }
  ++statements_;
  try {
    return run(sql, params);
  } catch (const ConnectionError&) {
    if (!replace_connection_) throw;
    // The SELECT was its own transaction on a connection that is gone: nothing happened, and
    // it runs again on a fresh connection, which is what the skipped pre-ping would have done.
    const auto replace = std::move(replace_connection_);
    replace_connection_ = nullptr;
    first_error_.reset();
    first_error_state_.clear();
    connection_ = nullptr;  // the lost one goes back to the pool as broken
    try {
      connection_ = replace();
    } catch (const Error& e) {
      record_failure(e);
      throw;
    }
    return run(sql, params);
  }
}

Result Transaction::exec(std::string_view sql, std::initializer_list<Value> params) {
  return exec(sql, std::span<const Value>(params.begin(), params.size()));
}

void Transaction::for_each_row(std::string_view sql, std::span<const Value> params,
                               const std::function<void(const RowView&)>& visit) {
  check_usable();
  if (single_read_) throw Error("25006", "a single-statement read unit runs exec() only");
  const auto started = std::chrono::steady_clock::now();
  try {
    connection_->for_each_row(sql, params, visit);
    if (echo_) {
      const std::chrono::duration<double, std::milli> took = std::chrono::steady_clock::now() - started;
      spdlog::info("SQL {:.3f} ms, rows visited, {} params (redacted): {}", took.count(),
                   params.size(), sql);
    }
  } catch (const Error& e) {
    record_failure(e);
    if (echo_) spdlog::info("SQL failed ({}): {}", e.sqlstate(), sql);
    throw;
  }
}

Appender Transaction::append(std::string_view table, std::span<const std::string_view> columns,
                             CopyFormat format) {
  check_usable();
  if (single_read_) throw Error("25006", "a single-statement read unit cannot write rows");
  try {
    auto sink = connection_->append(table, columns, format);
    return Appender(*this, std::move(sink), std::string(table));
  } catch (const Error& e) {
    record_failure(e);
    throw;
  }
}

std::int64_t Transaction::copy_rows(std::string_view table, std::span<const std::string_view> columns,
                                    std::span<const Value> cells) {
  if (columns.empty() || cells.size() % columns.size() != 0) {
    throw Error("22023", "copy_rows: cell count is not a multiple of the column count");
  }
  Appender rows = append(table, columns);
  for (std::size_t i = 0; i < cells.size(); ++i) {
    std::visit(
        [&rows](const auto& v) {
          using T = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<T, std::nullptr_t>) rows.null();
          else if constexpr (std::is_same_v<T, std::int64_t>) rows.integer(v);
          else if constexpr (std::is_same_v<T, double>) rows.real(v);
          else if constexpr (std::is_same_v<T, bool>) rows.boolean(v);
          else rows.text(v);
        },
        cells[i]);
    if ((i + 1) % columns.size() == 0) rows.end_row();
  }
  return rows.close();
}

// ---- Appender ----

Appender::Appender(Transaction& tx, std::unique_ptr<internal::RowSink> sink, std::string table)
    : tx_(&tx), sink_(std::move(sink)), table_(std::move(table)),
      started_(std::chrono::steady_clock::now()) {
  tx_->appending_ = true;
}

Appender::Appender(Appender&& other) noexcept
    : tx_(std::exchange(other.tx_, nullptr)),
      sink_(std::move(other.sink_)),
      table_(std::move(other.table_)),
      started_(other.started_) {}

Appender::~Appender() {
  if (sink_ == nullptr) return;
  sink_->abandon();
  sink_.reset();
  tx_->appending_ = false;
  tx_->record_failure(Error("57014", "a bulk write into " + table_ + " was abandoned before close()"));
}

template <typename F>
Appender& Appender::guarded(F&& step) {
  if (sink_ == nullptr) throw Error("55000", "the bulk write into " + table_ + " has ended");
  try {
    step(*sink_);
  } catch (const Error& e) {
    sink_->abandon();
    sink_.reset();
    tx_->appending_ = false;
    tx_->record_failure(e);
    throw;
  }
  return *this;
}

Appender& Appender::text(std::string_view value) {
  return guarded([&](internal::RowSink& s) { s.text(value); });
}
Appender& Appender::null() {
  return guarded([](internal::RowSink& s) { s.null(); });
}
Appender& Appender::integer(std::int64_t value) {
  return guarded([&](internal::RowSink& s) { s.integer(value); });
}
Appender& Appender::real(double value) {
  return guarded([&](internal::RowSink& s) { s.real(value); });
}
Appender& Appender::boolean(bool value) {
  return guarded([&](internal::RowSink& s) { s.boolean(value); });
}
Appender& Appender::utc_seconds(std::int64_t unix_seconds) {
  return guarded([&](internal::RowSink& s) { s.utc_seconds(unix_seconds); });
}
void Appender::end_row() {
  guarded([](internal::RowSink& s) { s.end_row(); });
}

std::int64_t Appender::close() {
  std::int64_t written = 0;
  guarded([&](internal::RowSink& s) { written = s.finish(); });
  sink_.reset();
  tx_->appending_ = false;
  if (tx_->echo_) {
    const std::chrono::duration<double, std::milli> took = std::chrono::steady_clock::now() - started_;
    spdlog::info("SQL {:.3f} ms, {} rows: bulk write into {} (values redacted)", took.count(),
                 written, table_);
  }
  return written;
}

Dialect Transaction::dialect() const {
  if (connection_ == nullptr) throw TransactionFailed("08003", "the unit of work lost its connection");
  return connection_->dialect();
}

void Transaction::defer_durability() {
  if (dialect() == Dialect::kPostgres) exec("SET LOCAL synchronous_commit = off");
}

void Transaction::walk_in_key_order() {
  if (dialect() == Dialect::kPostgres) exec("SET LOCAL enable_sort = off");
}

// ---- UnitOfWork ----

UnitOfWork::UnitOfWork(std::shared_ptr<internal::SessionState> session,
                       internal::Connection* connection, bool echo,
                       std::function<internal::Connection*()> single_read_reconnect)
    : session_(std::move(session)), tx_(connection, echo) {
  if (single_read_reconnect) {
    tx_.single_read_ = true;
    tx_.replace_connection_ = std::move(single_read_reconnect);
  }
}

UnitOfWork::~UnitOfWork() {
  if (done_) return;
  try {
    rollback();
  } catch (...) {
    // The pool resets (or discards) the connection on return; nothing more to do here.
    finish();
  }
}

void UnitOfWork::commit() {
  if (done_) throw CommitFailed("25000", "commit failed: the unit of work has already ended");
  if (tx_.first_error_) {
    const std::string first = *tx_.first_error_;
    const std::string cause = tx_.first_error_state_;
    rollback();
    throw CommitFailed("25P02", "commit failed: transaction failed earlier: " + first, cause);
  }
  try {
    if (!tx_.single_read_) tx_.connection_->commit();  // a single read committed by itself
  } catch (...) {
    finish();
    throw;
  }
  finish();
}

void UnitOfWork::rollback() {
  if (done_) return;
  try {
    if (!tx_.single_read_ && !tx_.connection_->broken()) tx_.connection_->rollback();
  } catch (...) {
    finish();
    throw;
  }
  finish();
}

void UnitOfWork::finish() {
  done_ = true;
  tx_.finished_ = true;
  session_->unit_open = false;
  // SQLite has one writer: hold it only for the unit of work. A lost connection goes back
  // now so the pool can discard it and bump its generation.
  if ((session_->connection_is_writer && session_->core->dialect == Dialect::kSqlite) ||
      (session_->connection && session_->connection->broken())) {
    session_->connection.release();
  }
}

// ---- Session ----

Session::Session(std::shared_ptr<internal::EngineCore> core)
    : state_(std::make_shared<internal::SessionState>()) {
  state_->core = std::move(core);
}
Session::Session(Session&&) noexcept = default;
Session& Session::operator=(Session&&) noexcept = default;
Session::~Session() = default;

UnitOfWork Session::begin() { return start(true); }
UnitOfWork Session::begin_read() { return start(false); }
UnitOfWork Session::begin_single_read() { return start(false, true); }

UnitOfWork Session::start(bool write, bool single_read) {
  if (!state_) throw Error("", "session was moved from");
  if (state_->unit_open) {
    throw Error("25001", "a unit of work is already open on this session (no nested transactions)");
  }
  auto& core = *state_->core;
  const bool use_writer = write || core.dialect == Dialect::kPostgres;
  if (state_->connection && state_->connection_is_writer != use_writer) state_->connection.release();
  const auto& pool = use_writer ? core.writer : core.readers;
  if (!state_->connection) {
    state_->connection = pool->checkout(/*ping=*/!single_read);
    state_->connection_is_writer = use_writer;
  }
  if (single_read) {
    state_->unit_open = true;
    return UnitOfWork(state_, &*state_->connection, core.echo, [state = state_.get(), pool] {
      state->connection.release();  // lost: the pool discards it and invalidates older connections
      state->connection = pool->checkout();
      return &*state->connection;
    });
  }
  try {
    if (use_writer) state_->connection->set_bulk_load(core.bulk_loads.load() > 0);
    state_->connection->begin(write);
  } catch (...) {
    state_->connection.release();
    throw;
  }
  state_->unit_open = true;
  return UnitOfWork(state_, &*state_->connection, core.echo);
}

// ---- Engine ----

Engine::BulkLoad::BulkLoad(std::shared_ptr<internal::EngineCore> core) : core_(std::move(core)) {
  ++core_->bulk_loads;
}
Engine::BulkLoad::~BulkLoad() {
  if (core_) --core_->bulk_loads;
}
Engine::BulkLoad Engine::bulk_load() { return BulkLoad(core_); }

std::shared_ptr<Engine> Engine::create(const config::Settings& settings) {
  auto core = std::make_shared<internal::EngineCore>();
  const std::string& url = settings.database_url;
  core->masked_url = config::mask_db_url(url);
  core->echo = settings.sql_echo;
  if (url.rfind(kSqlitePrefix, 0) == 0) {
    core->dialect = Dialect::kSqlite;
    const std::string path = sqlite_path(url);
    auto connector = [path] { return internal::connect_sqlite(path, kSqliteBusyTimeout); };
    internal::PoolOptions writer = pool_options(settings.pool);
    writer.size = 1;
    writer.max_overflow = 0;
    writer.pre_ping = false;
    internal::PoolOptions readers = pool_options(settings.pool);
    readers.pre_ping = false;
    core->writer = internal::Pool::create(writer, connector);
    core->readers = internal::Pool::create(readers, connector);
  } else if (url.rfind("postgresql://", 0) == 0 || url.rfind("postgres://", 0) == 0) {
    core->dialect = Dialect::kPostgres;
    core->writer = internal::Pool::create(pool_options(settings.pool),
                                          [url] { return internal::connect_postgres(url); });
  } else {
    throw config::Error("DATABASE_URL",
                        fmt::format("unsupported database URL '{}'", core->masked_url));
  }
  return std::shared_ptr<Engine>(new Engine(std::move(core)));
}

Engine::~Engine() = default;

Session Engine::session() { return Session(core_); }

PoolMetrics Engine::metrics() const {
  PoolMetrics m = core_->writer->metrics();
  if (core_->readers) {
    const PoolMetrics r = core_->readers->metrics();
    m.size += r.size;
    m.max_overflow += r.max_overflow;
    m.open += r.open;
    m.idle += r.idle;
    m.checked_out += r.checked_out;
    m.overflow += r.overflow;
    m.waits += r.waits;
    m.timeouts += r.timeouts;
    m.invalidations += r.invalidations;
    m.connects += r.connects;
  }
  return m;
}

Dialect Engine::dialect() const { return core_->dialect; }
std::string Engine::masked_url() const { return core_->masked_url; }

}  // namespace scrapersky::db
