// `scrapersky changes`: the change rows of one job or of one domain (docs/cli.md, "changes";
// docs/changes.md), streamed in keyset pages of one short read unit each.
#include <cstdio>
#include <iostream>
#include <string>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/process.h"
#include "config/settings.h"
#include "db/migrations/migrations.h"
#include "db/timestamps.h"
#include "db/unit.h"
#include "sitemap/domain.h"
#include "sitemap/errors.h"
#include "store/domain_curation.h"
#include "store/url_changes.h"

namespace scrapersky::cli {
namespace {

constexpr std::int64_t kPageRows = 10'000;

std::string csv_field(std::string_view text) {
  if (text.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(text);
  std::string out = "\"";
  for (const char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + '"';
}

void print(const store::ChangeRow& c, bool csv, std::string& out) {
  if (csv) {
    out += csv_field(c.job_id) + ',' + csv_field(c.domain) + ',' + csv_field(c.sitemap_url) + ',' +
           csv_field(c.url) + ',' + c.change + ',' + c.lastmod.value_or("") + ',' +
           c.previous_lastmod.value_or("") + ',' + c.detected_at + '\n';
    return;
  }
  const auto nullable = [](const std::optional<std::string>& v) {
    return v ? nlohmann::ordered_json(*v) : nlohmann::ordered_json(nullptr);
  };
  const nlohmann::ordered_json line = {{"job_id", c.job_id},
                                       {"domain", c.domain},
                                       {"sitemap_url", c.sitemap_url},
                                       {"url", c.url},
                                       {"change", c.change},
                                       {"lastmod", nullable(c.lastmod)},
                                       {"previous_lastmod", nullable(c.previous_lastmod)},
                                       {"detected_at", c.detected_at}};
  out += line.dump();
  out += '\n';
}

int usage(const std::string& message) {
  std::cerr << "scrapersky changes: " << message << " (see --help)\n";
  return kExitUsage;
}

}  // namespace

int run_changes(const ChangesOptions& options) {
  if (options.job_id.has_value() == options.domain.has_value()) {
    return usage("give exactly one of --job JOB_ID or --domain HOST");
  }
  if (options.since && !options.domain) return usage("--since goes with --domain");
  store::ChangeQuery query;
  query.job_id = options.job_id;
  query.change = options.change;
  query.limit = kPageRows;
  if (options.since) {
    query.since = db::to_utc_iso(*options.since);
    if (!query.since) return usage("--since '" + *options.since + "' is not an ISO-8601 date and time");
  }
  std::string domain;
  if (options.domain) {
    try {
      domain = sitemap::normalize_domain(*options.domain);
    } catch (const sitemap::Error& e) {
      return usage("invalid --domain '" + *options.domain + "': " + e.what());
    }
  }
  const auto settings = config::load_settings(config::Source::from_environment());
  configure_logging(settings, /*quiet_info=*/true);
  auto engine = db::Engine::create(settings);
  db::ensure_schema(*engine);
  if (options.domain) {
    const auto id = db::read_unit(*engine, [&](db::Transaction& tx) {
      return store::find_domain_id(tx, domain);
    });
    if (!id) {
      std::cerr << "scrapersky changes: no domain " << domain << " is stored\n";
      return kExitFailed;
    }
    query.domain_id = *id;
  }

  const bool csv = options.format == "csv";
  std::string out;
  if (csv) out = "job_id,domain,sitemap_url,url,change,lastmod,previous_lastmod,detected_at\n";
  for (;;) {
    const auto page = db::read_unit(*engine, [&](db::Transaction& tx) {
      return store::list_changes(tx, query);
    });
    for (const auto& row : page) print(row, csv, out);
    std::fwrite(out.data(), 1, out.size(), stdout);
    out.clear();
    if (static_cast<std::int64_t>(page.size()) < kPageRows) break;
    query.after = page.back();
  }
  std::fflush(stdout);
  return kExitOk;
}

}  // namespace scrapersky::cli
