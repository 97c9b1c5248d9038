// Writes N rows (default 1,000,000) into sitemap_urls through Transaction::copy_rows in
// batches (one unit of work per batch; row strings prepared before timing), directly and through PgBouncer, and compares with
// `psql -c "\copy ..."` of the same rows into the same, truncated table in the same run.
// Also SQLite. URLs come from SCRAPERSKY_TEST_PG_URL / SCRAPERSKY_TEST_PGBOUNCER_URL
// (scripts/test-servers.sh). Usage: bench_bulk_write [rows] [batch]
#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "config/settings.h"
#include "db/engine.h"
#include "db/migrations/migrations.h"
#include "model/uuid.h"

namespace db = scrapersky::db;
using Clock = std::chrono::steady_clock;

namespace {

constexpr const char* kSchema = "bench_bulk";
constexpr int kSitemapFiles = 10;
const std::vector<std::string_view> kColumns = {"sitemap_file_id", "domain_id", "url", "lastmod",
                                                "changefreq", "priority"};

struct Fixture {
  std::string domain_id;
  std::vector<std::string> file_ids;
};

// ~80-byte URLs, distinct per row.
std::string url_of(long i) {
  return fmt::format("https://www.example-bench-shop.com/products/category-{:02}/item-{:08}-blue-widget.html",
                     i % 97, i);
}
std::string lastmod_of(long i) {
  return fmt::format("2024-{:02}-{:02}T{:02}:{:02}:00Z", 1 + i % 12, 1 + i % 28, i % 24, i % 60);
}

std::shared_ptr<db::Engine> engine_for(const std::string& url) {
  scrapersky::config::Settings settings;
  settings.database_url = url;
  return db::Engine::create(settings);
}

void exec(db::Engine& engine, const std::string& sql, std::initializer_list<db::Value> params = {}) {
  auto s = engine.session();
  auto uow = s.begin();
  uow.tx().exec(sql, params);
  uow.commit();
}

Fixture make_fixture(db::Engine& engine, const std::string& prefix) {
  Fixture f;
  f.domain_id = scrapersky::model::new_uuid_v4();
  exec(engine, "INSERT INTO " + prefix + "domains (id, domain) VALUES ($1, $2)",
       {f.domain_id, "www.example-bench-shop.com"});
  for (int i = 0; i < kSitemapFiles; ++i) {
    f.file_ids.push_back(scrapersky::model::new_uuid_v4());
    exec(engine, "INSERT INTO " + prefix + "sitemap_files (id, domain_id, url) VALUES ($1, $2, $3)",
         {f.file_ids.back(), f.domain_id, fmt::format("https://www.example-bench-shop.com/sitemap-{}.xml", i)});
  }
  return f;
}

// rows/s of the bulk API: one unit of work per batch; values are built inside the timing.
double bulk_api(db::Engine& engine, const std::string& table, const Fixture& f, long rows, long batch) {
  // The row data exists before timing, as the raw COPY's file does; moving it into Values,
  // escaping and sending it is what is measured.
  std::vector<std::string> urls, lastmods;
  for (long i = 0; i < rows; ++i) {
    urls.push_back(url_of(i));
    lastmods.push_back(lastmod_of(i));
  }
  std::vector<db::Value> cells;
  cells.reserve(static_cast<std::size_t>(batch) * kColumns.size());
  const auto started = Clock::now();
  auto session = engine.session();
  for (long first = 0; first < rows; first += batch) {
    cells.clear();
    const long end = std::min(rows, first + batch);
    for (long i = first; i < end; ++i) {
      cells.emplace_back(f.file_ids[i % kSitemapFiles]);
      cells.emplace_back(f.domain_id);
      cells.emplace_back(urls[i]);
      cells.emplace_back(lastmods[i]);
      cells.emplace_back(std::string("daily"));
      cells.emplace_back(0.5);
    }
    auto uow = session.begin();
    uow.tx().copy_rows(table, kColumns, cells);
    uow.commit();
  }
  return rows / std::chrono::duration<double>(Clock::now() - started).count();
}

// rows/s of `psql -c "\copy ..."` reading the same rows from a file.
double raw_copy(const std::string& url, const std::string& table, const std::string& file) {
  const std::string command = fmt::format(
      "psql -q -v ON_ERROR_STOP=1 '{}' -c \"\\copy {} ({}) from '{}'\"", url, table,
      fmt::join(kColumns, ", "), file);
  const auto started = Clock::now();
  if (std::system(command.c_str()) != 0) throw std::runtime_error("psql \\copy failed");
  return std::chrono::duration<double>(Clock::now() - started).count();
}

void write_copy_file(const std::string& path, const Fixture& f, long rows) {
  std::ofstream out(path);
  for (long i = 0; i < rows; ++i) {
    out << f.file_ids[i % kSitemapFiles] << '\t' << f.domain_id << '\t' << url_of(i) << '\t'
        << lastmod_of(i) << "\tdaily\t0.5\n";
  }
}

std::int64_t count_rows(db::Engine& engine, const std::string& table) {
  auto s = engine.session();
  auto uow = s.begin_read();
  return uow.tx().exec("SELECT count(*) FROM " + table).front().get<std::int64_t>(0);
}

std::string with_param(const std::string& url, const std::string& param) {
  return url + (url.find('?') == std::string::npos ? "?" : "&") + param;
}

}  // namespace

int main(int argc, char** argv) {
  const long rows = argc > 1 ? std::atol(argv[1]) : 1'000'000;
  const long batch = argc > 2 ? std::atol(argv[2]) : 10'000;
  const char* pg = std::getenv("SCRAPERSKY_TEST_PG_URL");
  const char* bouncer = std::getenv("SCRAPERSKY_TEST_PGBOUNCER_URL");
  fmt::print("bulk write: {} rows, batches of {}\n", rows, batch);
  try {
    if (pg) {
      // A schema of its own, so the run never touches other users' tables.
      auto admin = engine_for(pg);
      exec(*admin, fmt::format("DROP SCHEMA IF EXISTS {} CASCADE", kSchema));
      exec(*admin, fmt::format("CREATE SCHEMA {}", kSchema));
      auto scoped = engine_for(with_param(pg, fmt::format("options=-csearch_path%3D{}", kSchema)));
      db::migrate(*scoped);
      const std::string prefix = std::string(kSchema) + ".";
      const std::string table = prefix + "sitemap_urls";
      const Fixture f = make_fixture(*scoped, prefix);  // its triggers see the schema's row_counts
      const std::string file = fmt::format("/tmp/bench_bulk_write_{}.tsv", ::getpid());
      write_copy_file(file, f, rows);

      auto measure = [&](const char* label, const std::string& url) {
        auto engine = engine_for(url);
        exec(*admin, "TRUNCATE " + table);
        const double raw = rows / raw_copy(url, table, file);
        if (count_rows(*admin, table) != rows) throw std::runtime_error("raw copy row count");
        exec(*admin, "TRUNCATE " + table);
        const double api = bulk_api(*engine, table, f, rows, batch);
        if (count_rows(*admin, table) != rows) throw std::runtime_error("bulk api row count");
        fmt::print("{:<11} bulk API {:>9.0f} rows/s   psql \\copy {:>9.0f} rows/s   ratio {:.2f}x\n",
                   label, api, raw, api / raw);
      };
      measure("direct", pg);
      if (bouncer) measure("pgbouncer", bouncer);
      std::filesystem::remove(file);
      exec(*admin, fmt::format("DROP SCHEMA {} CASCADE", kSchema));
    } else {
      fmt::print("SCRAPERSKY_TEST_PG_URL not set: PostgreSQL skipped\n");
    }

    const std::string path = fmt::format("/tmp/bench_bulk_write_{}.db", ::getpid());
    {
      auto sqlite = engine_for("sqlite:///" + path);
      db::migrate(*sqlite);
      const Fixture f = make_fixture(*sqlite, "");
      const double api = bulk_api(*sqlite, "sitemap_urls", f, rows, batch);
      if (count_rows(*sqlite, "sitemap_urls") != rows) throw std::runtime_error("sqlite row count");
      fmt::print("{:<11} bulk API {:>9.0f} rows/s\n", "sqlite", api);
    }
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "bench_bulk_write: " << e.what() << "\n";
    return 1;
  }
}
