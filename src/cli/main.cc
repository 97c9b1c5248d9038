// scrapersky: one binary, thin subcommands. Exit codes (docs/cli.md, "Exit codes"): 0 done, 1 job
// failed or database unusable, 2 usage or configuration error, 130 interrupted.
#include <CLI/CLI.hpp>

#include <iostream>

#include "cli/commands.h"
#include "cli/process.h"
#include "version.h"

int main(int argc, char** argv) {
  using namespace scrapersky::cli;
  keep_freed_memory();
  CLI::App app{"scrapersky: finds every sitemap of a set of websites and stores every URL"};
  app.set_version_flag("--version", std::string("scrapersky ") + scrapersky::kVersion);
  app.require_subcommand(1);

  ScanOptions scan;
  auto* scan_cmd = app.add_subcommand("scan", "Scan targets (hosts, root URLs or sitemap URLs)");
  scan_cmd->add_option("targets", scan.targets, "host, https://host/ or a sitemap URL")
      ->required();
  scan_cmd->add_option("--max-urls", scan.max_urls, "stop storing after N URLs per job")
      ->check(CLI::PositiveNumber);
  scan_cmd->add_option("--concurrency", scan.concurrency, "targets scanned at once")
      ->check(CLI::PositiveNumber);
  scan_cmd->add_flag("--json", scan.json, "print one JSON summary per job");
  scan_cmd->add_flag("--quiet", scan.quiet, "no progress line");
  scan_cmd->add_flag("--full", scan.full,
                     "fetch and parse every sitemap, ignoring stored validators and hashes");

  ExportOptions exp;
  auto* export_cmd = app.add_subcommand("export", "Write stored sitemap URLs to stdout");
  export_cmd->add_option("--format", exp.format, "jsonl or csv")
      ->check(CLI::IsMember({"jsonl", "csv"}));
  export_cmd->add_option("--domain", exp.domain, "only this domain");
  export_cmd->add_option("--job", exp.job_id, "only URLs of this job");
  export_cmd->add_flag("--include-removed", exp.include_removed,
                       "also URLs a re-scan found removed from their sitemap");

  ChangesOptions changes;
  auto* changes_cmd =
      app.add_subcommand("changes", "Write the URLs re-scans found added, removed or changed");
  changes_cmd->add_option("--job", changes.job_id, "the changes of this job");
  changes_cmd->add_option("--domain", changes.domain, "the changes of every job of this domain");
  changes_cmd->add_option("--since", changes.since, "with --domain: detected at or after (ISO-8601)");
  changes_cmd->add_option("--change", changes.change, "only added, removed or changed")
      ->check(CLI::IsMember({"added", "removed", "changed"}));
  changes_cmd->add_option("--format", changes.format, "jsonl or csv")
      ->check(CLI::IsMember({"jsonl", "csv"}));

  ServeOptions serve;
  auto* serve_cmd = app.add_subcommand("serve", "HTTP API (and background workers)");
  serve_cmd->add_option("--host", serve.host, "listen address");
  serve_cmd->add_option("--port", serve.port, "listen port")->check(CLI::Range(0, 65535));
  serve_cmd->add_flag("--no-workers", serve.no_workers, "serve the API only");

  WorkerOptions worker;
  auto* worker_cmd = app.add_subcommand("worker", "Background workers only");
  worker_cmd->add_option("--concurrency", worker.concurrency, "items worked at once")
      ->check(CLI::PositiveNumber);

  auto* migrate_cmd = app.add_subcommand("migrate", "Bring the schema to the newest version");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "scrapersky: " << e.what() << " (see --help)\n";
    return kExitUsage;
  }

  if (*scan_cmd) return run_command([&] { return run_scan(scan); });
  if (*export_cmd) return run_command([&] { return run_export(exp); });
  if (*changes_cmd) return run_command([&] { return run_changes(changes); });
  if (*serve_cmd) return run_command([&] { return run_serve(serve); });
  if (*worker_cmd) return run_command([&] { return run_worker(worker); });
  if (*migrate_cmd) return run_command([&] { return run_migrate(); });
  return kExitUsage;
}
