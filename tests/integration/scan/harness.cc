#include "harness.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "config/settings.h"
#include "db/migrations/migrations.h"

extern char** environ;

namespace scrapersky::scan_testing {
namespace fs = std::filesystem;

namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::string unique_suffix() {
  static std::atomic<int> counter{0};
  return std::to_string(::getpid()) + "_" + std::to_string(++counter) + "_" +
         std::to_string(std::chrono::steady_clock::now().time_since_epoch().count() % 1'000'000);
}

}  // namespace

CliProcess::CliProcess(std::vector<std::string> args, std::map<std::string, std::string> env,
                       const std::string& cwd) {
  out_path_ = cwd + "/cli_" + unique_suffix() + ".out";
  err_path_ = out_path_ + ".err";
  std::map<std::string, std::string> merged;
  for (char** e = environ; *e; ++e) {
    const std::string entry(*e);
    const auto eq = entry.find('=');
    if (eq != std::string::npos) merged[entry.substr(0, eq)] = entry.substr(eq + 1);
  }
  for (auto& [k, v] : env) merged[k] = v;
  std::vector<std::string> env_strings;
  for (auto& [k, v] : merged) env_strings.push_back(k + "=" + v);
  std::vector<char*> envp, argv;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::string binary = SCRAPERSKY_BINARY;
  argv.push_back(binary.data());
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  pid_ = ::fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    const int o = ::open(out_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    const int e = ::open(err_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    const int null_in = ::open("/dev/null", O_RDONLY);
    if (o < 0 || e < 0 || null_in < 0 || ::chdir(cwd.c_str()) != 0) ::_exit(126);
    ::dup2(null_in, 0);
    ::dup2(o, 1);
    ::dup2(e, 2);
    ::execve(argv[0], argv.data(), envp.data());
    ::_exit(127);
  }
}

CliProcess::~CliProcess() {
  if (!result_) {
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
  std::error_code ignored;
  fs::remove(out_path_, ignored);
  fs::remove(err_path_, ignored);
}

void CliProcess::signal(int sig) {
  if (!result_) ::kill(pid_, sig);
}

bool CliProcess::running() {
  if (result_) return false;
  int status = 0;
  const pid_t done = ::waitpid(pid_, &status, WNOHANG);
  if (done != pid_) return true;
  CliResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = read_file(out_path_);
  r.err = read_file(err_path_);
  result_ = r;
  return false;
}

CliResult CliProcess::wait(std::chrono::milliseconds limit) {
  if (result_) return *result_;
  int status = 0;
  const auto deadline = std::chrono::steady_clock::now() + limit;
  for (;;) {
    const pid_t done = ::waitpid(pid_, &status, WNOHANG);
    if (done == pid_) break;
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &status, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  CliResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = read_file(out_path_);
  r.err = read_file(err_path_);
  result_ = r;
  return r;
}

std::string CliProcess::stderr_so_far() const { return read_file(err_path_); }

CliResult run_cli(std::vector<std::string> args, std::map<std::string, std::string> env,
                  const std::string& cwd, std::chrono::milliseconds limit) {
  CliProcess process(std::move(args), std::move(env), cwd);
  return process.wait(limit);
}

std::map<std::string, std::string> scan_env(const std::string& database_url) {
  return {{"DATABASE_URL", database_url},
          {"SCRAPERSKY_ALLOW_PRIVATE_TARGETS", "1"},
          {"FETCH_RETRIES", "1"},
          {"FETCH_TIMEOUT", "20"},
          {"FETCH_CONNECT_TIMEOUT", "5"},
          {"LOG_FORMAT", "text"}};
}

std::ostream& operator<<(std::ostream& os, const ExportRow& row) {
  os << "{" << row.domain << " | " << row.sitemap_url << " | " << row.url << " | "
     << row.lastmod.value_or("null") << " | " << row.changefreq.value_or("null") << " | ";
  if (row.priority) {
    os << *row.priority;
  } else {
    os << "null";
  }
  return os << "}";
}

std::vector<ExportRow> parse_jsonl(const std::string& text) {
  std::vector<ExportRow> rows;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    const auto j = nlohmann::json::parse(line);
    ExportRow row;
    row.domain = j.at("domain").get<std::string>();
    row.sitemap_url = j.at("sitemap_url").get<std::string>();
    row.url = j.at("url").get<std::string>();
    if (!j.at("lastmod").is_null()) row.lastmod = j["lastmod"].get<std::string>();
    if (!j.at("changefreq").is_null()) row.changefreq = j["changefreq"].get<std::string>();
    if (!j.at("priority").is_null()) row.priority = j["priority"].get<double>();
    rows.push_back(std::move(row));
  }
  return rows;
}

std::vector<ExportRow> export_rows(const std::string& database_url, const std::string& cwd,
                                   std::vector<std::string> extra) {
  std::vector<std::string> args{"export", "--format", "jsonl"};
  args.insert(args.end(), extra.begin(), extra.end());
  const auto r = run_cli(args, {{"DATABASE_URL", database_url}}, cwd);
  if (r.exit_code != 0) {
    throw std::runtime_error("export exited " + std::to_string(r.exit_code) + ": " + r.err);
  }
  return parse_jsonl(r.out);
}

std::set<ExportRow> as_set(const std::vector<ExportRow>& rows, bool* had_duplicates) {
  std::set<ExportRow> set(rows.begin(), rows.end());
  if (had_duplicates) *had_duplicates = set.size() != rows.size();
  return set;
}

std::string urlset(const std::vector<UrlEntry>& entries) {
  std::string body = R"(<?xml version="1.0" encoding="UTF-8"?>)"
                     R"(<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">)";
  for (const auto& e : entries) {
    body += "<url><loc>" + e.loc + "</loc>";
    if (e.lastmod) body += "<lastmod>" + *e.lastmod + "</lastmod>";
    if (e.changefreq) body += "<changefreq>" + *e.changefreq + "</changefreq>";
    if (e.priority) body += "<priority>" + *e.priority + "</priority>";
    body += "</url>";
  }
  return body + "</urlset>";
}

std::string urlset_of(const std::vector<std::string>& locs) {
  std::vector<UrlEntry> entries;
  for (const auto& loc : locs) entries.push_back({loc, std::nullopt, std::nullopt, std::nullopt});
  return urlset(entries);
}

std::string sitemapindex(const std::vector<std::string>& locs) {
  std::string body = R"(<?xml version="1.0" encoding="UTF-8"?>)"
                     R"(<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">)";
  for (const auto& loc : locs) body += "<sitemap><loc>" + loc + "</loc></sitemap>";
  return body + "</sitemapindex>";
}

}  // namespace scrapersky::scan_testing
