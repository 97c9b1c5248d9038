#include "config/settings.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <fstream>

#include "version.h"

namespace scrapersky::config {
namespace {

std::string trim(std::string_view s) {
  const auto first = s.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  const auto last = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(first, last - first + 1));
}

// KEY=VALUE lines; '#' comments; optional `export `; single or double quotes around the value.
std::map<std::string, std::string> read_dotenv(const std::string& path) {
  std::map<std::string, std::string> values;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    std::string text = trim(line);
    if (text.empty() || text[0] == '#') continue;
    if (text.rfind("export ", 0) == 0) text = trim(text.substr(7));
    const auto eq = text.find('=');
    if (eq == std::string::npos) continue;
    std::string key = trim(text.substr(0, eq));
    std::string value = trim(text.substr(eq + 1));
    if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') &&
        value.back() == value.front()) {
      value = value.substr(1, value.size() - 2);
    } else if (const auto hash = value.find(" #"); hash != std::string::npos) {
      value = trim(value.substr(0, hash));
    }
    if (!key.empty()) values[key] = value;
  }
  return values;
}

long long parse_integer(const Source& source, std::string_view name, long long fallback,
                        long long min, long long max) {
  const auto raw = source.get(name);
  if (!raw) return fallback;
  const std::string text = trim(*raw);
  long long value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) {
    throw Error(std::string(name), fmt::format("'{}' is not a whole number", text));
  }
  if (value < min || value > max) {
    throw Error(std::string(name), fmt::format("{} is out of range ({} to {})", value, min, max));
  }
  return value;
}

// A decimal number ("30", "2.5") within [min, max]; `unit` (" seconds" or empty) names it in
// the errors.
double parse_decimal(const Source& source, std::string_view name, double fallback, double min,
                     double max, std::string_view unit) {
  const auto raw = source.get(name);
  if (!raw) return fallback;
  const std::string text = trim(*raw);
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size() || !(value == value)) {
    throw Error(std::string(name), fmt::format("'{}' is not a number{}", text,
                                               unit.empty() ? "" : fmt::format(" of{}", unit)));
  }
  if (value < min || value > max) {
    throw Error(std::string(name),
                fmt::format("{}{} is out of range ({} to {})", text, unit, min, max));
  }
  return value;
}

// Seconds, possibly fractional ("30", "2.5").
std::chrono::milliseconds parse_seconds(const Source& source, std::string_view name,
                                        std::chrono::milliseconds fallback, double min,
                                        double max) {
  if (!source.get(name)) return fallback;
  const double value = parse_decimal(source, name, 0, min, max, " seconds");
  return std::chrono::milliseconds(static_cast<long long>(value * 1000.0));
}

double parse_number(const Source& source, std::string_view name, double fallback, double min,
                    double max) {
  return parse_decimal(source, name, fallback, min, max, "");
}

bool parse_bool(const Source& source, std::string_view name, bool fallback) {
  const auto raw = source.get(name);
  if (!raw) return fallback;
  std::string text = trim(*raw);
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  if (text == "1" || text == "true" || text == "yes" || text == "on") return true;
  if (text == "0" || text == "false" || text == "no" || text == "off" || text.empty()) return false;
  throw Error(std::string(name), fmt::format("'{}' is not a boolean (true/false/1/0)", *raw));
}

// Checks the shape of a database URL; the driver-level parsing lives in src/db/.
void validate_db_url(std::string_view variable, std::string_view url) {
  const auto colon = url.find("://");
  if (colon == std::string_view::npos || colon == 0) {
    throw Error(std::string(variable),
                fmt::format("malformed database URL '{}' (expected scheme://...)", mask_db_url(url)));
  }
  const std::string_view scheme = url.substr(0, colon);
  if (scheme == "sqlite") {
    if (url.substr(colon + 3).empty() || url.substr(colon + 3)[0] != '/' ||
        url.size() <= colon + 4) {
      throw Error(std::string(variable),
                  fmt::format("malformed SQLite URL '{}' (expected sqlite:///relative.db or "
                              "sqlite:////absolute/path.db)",
                              url));
    }
    return;
  }
  if (scheme != "postgresql" && scheme != "postgres") {
    throw Error(std::string(variable),
                fmt::format("unknown database scheme '{}' (expected postgresql or sqlite)", scheme));
  }
  const std::string_view rest = url.substr(colon + 3);
  const auto slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  const auto at = authority.rfind('@');
  const std::string_view hostport = at == std::string_view::npos ? authority : authority.substr(at + 1);
  if (hostport.empty() && rest.find("host=") == std::string_view::npos) {
    throw Error(std::string(variable),
                fmt::format("malformed PostgreSQL URL '{}' (no host)", mask_db_url(url)));
  }
  if (const auto port_colon = hostport.rfind(':');
      port_colon != std::string_view::npos && hostport.find(']') == std::string_view::npos) {
    const std::string_view port = hostport.substr(port_colon + 1);
    int value = 0;
    const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (port.empty() || ec != std::errc() || end != port.data() + port.size() || value <= 0 ||
        value > 65535) {
      throw Error(std::string(variable),
                  fmt::format("malformed PostgreSQL URL '{}' (bad port '{}')", mask_db_url(url), port));
    }
  }
}

}  // namespace

Source Source::from_environment(const std::string& dotenv_dir) {
  Source source;
  source.use_process_env_ = true;
  source.dotenv_ = read_dotenv(dotenv_dir + "/.env");
  return source;
}

Source Source::from_map(std::map<std::string, std::string> values) {
  Source source;
  source.dotenv_ = std::move(values);
  return source;
}

std::optional<std::string> Source::get(std::string_view name) const {
  const std::string key(name);
  if (const auto it = overrides_.find(key); it != overrides_.end()) return it->second;
  if (use_process_env_) {
    if (const char* value = std::getenv(key.c_str())) return std::string(value);
  }
  if (const auto it = dotenv_.find(key); it != dotenv_.end()) return it->second;
  return std::nullopt;
}

std::string percent_encode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string get_db_url(const Source& source) {
  if (const auto url = source.get("DATABASE_URL"); url && !trim(*url).empty()) {
    const std::string value = trim(*url);
    validate_db_url("DATABASE_URL", value);
    return value;
  }
  const auto host = source.get("DB_HOST");
  if (!host || trim(*host).empty()) return "sqlite:///scrapersky.db";
  const std::string host_text = trim(*host);
  if (host_text.find_first_of("/@?# ") != std::string::npos) {
    throw Error("DB_HOST", fmt::format("'{}' is not a host name", host_text));
  }
  std::string url = "postgresql://";
  if (const auto user = source.get("DB_USER"); user && !user->empty()) {
    url += percent_encode(*user);
    if (const auto password = source.get("DB_PASSWORD"); password && !password->empty()) {
      url += ':' + percent_encode(*password);
    }
    url += '@';
  }
  url += host_text.find(':') != std::string::npos ? "[" + host_text + "]" : host_text;
  if (const auto port = source.get("DB_PORT"); port && !trim(*port).empty()) {
    url += ':' + std::to_string(parse_integer(source, "DB_PORT", 5432, 1, 65535));
  }
  url += '/' + percent_encode(source.get("DB_NAME").value_or("postgres"));
  if (const auto sslmode = source.get("DB_SSLMODE"); sslmode && !trim(*sslmode).empty()) {
    static constexpr std::string_view kModes[] = {"disable", "allow",     "prefer",
                                                   "require", "verify-ca", "verify-full"};
    const std::string mode = trim(*sslmode);
    if (std::find(std::begin(kModes), std::end(kModes), mode) == std::end(kModes)) {
      throw Error("DB_SSLMODE", fmt::format("unknown sslmode '{}'", mode));
    }
    url += "?sslmode=" + mode;
  }
  return url;
}

std::string mask_db_url(std::string_view url) {
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return std::string(url);
  const auto authority_start = scheme_end + 3;
  const auto authority_end = url.find_first_of("/?#", authority_start);
  const std::string_view authority =
      url.substr(authority_start, authority_end == std::string_view::npos
                                      ? std::string_view::npos
                                      : authority_end - authority_start);
  const auto at = authority.rfind('@');
  std::string masked(url);
  if (at != std::string_view::npos) {
    const auto colon = authority.substr(0, at).find(':');
    if (colon != std::string_view::npos) {
      masked = std::string(url.substr(0, authority_start + colon + 1)) + "***" +
               std::string(url.substr(authority_start + at));
    }
  }
  // A password given as a query parameter (?password=...) is masked too.
  if (const auto pw = masked.find("password="); pw != std::string::npos) {
    const auto end = masked.find('&', pw);
    masked.replace(pw + 9, end == std::string::npos ? std::string::npos : end - pw - 9, "***");
  }
  return masked;
}

Settings load_settings(const Source& source) {
  Settings s;
  s.database_url = get_db_url(source);
  s.pool.size = static_cast<int>(parse_integer(source, "DB_POOL_SIZE", 5, 1, 1000));
  s.pool.max_overflow = static_cast<int>(parse_integer(source, "DB_MAX_OVERFLOW", 10, 0, 1000));
  s.pool.timeout = parse_seconds(source, "DB_POOL_TIMEOUT", s.pool.timeout, 0, 86400);
  s.pool.recycle = std::chrono::duration_cast<std::chrono::seconds>(
      parse_seconds(source, "DB_POOL_RECYCLE", std::chrono::seconds(1800), -1, 1e9));
  s.pool.pre_ping = parse_bool(source, "DB_POOL_PRE_PING", true);
  s.pool.retry_budget = parse_seconds(source, "DB_RETRY_BUDGET_SECONDS", s.pool.retry_budget, 0, 86400);
  s.sql_echo = parse_bool(source, "SQL_ECHO", false);

  auto& f = s.fetch;
  f.allow_private_targets = parse_bool(source, "SCRAPERSKY_ALLOW_PRIVATE_TARGETS", false);
  f.max_sitemap_bytes =
      parse_integer(source, "MAX_SITEMAP_BYTES", f.max_sitemap_bytes, 1, 1LL << 40);
  f.concurrency = static_cast<int>(parse_integer(source, "FETCH_CONCURRENCY", 64, 1, 10000));
  f.per_host = static_cast<int>(parse_integer(source, "FETCH_PER_HOST", 4, 1, 1000));
  f.timeout = parse_seconds(source, "FETCH_TIMEOUT", f.timeout, 0.001, 86400);
  f.connect_timeout =
      parse_seconds(source, "FETCH_CONNECT_TIMEOUT", f.connect_timeout, 0.001, 86400);
  f.retries = static_cast<int>(parse_integer(source, "FETCH_RETRIES", 3, 0, 100));
  f.max_sitemap_depth = static_cast<int>(parse_integer(source, "MAX_SITEMAP_DEPTH", 10, 1, 1000));
  f.max_sitemaps_per_job =
      static_cast<int>(parse_integer(source, "MAX_SITEMAPS_PER_JOB", 10000, 1, 100'000'000));
  f.user_agent = source.get("USER_AGENT").value_or(
      fmt::format("scrapersky/{} (+https://github.com/scrapersky/scrapersky)", kVersion));

  auto& a = s.api;
  a.jwt_secret_key = source.get("JWT_SECRET_KEY").value_or("");
  a.api_keys = source.get("API_KEYS").value_or("");
  a.cors_origins = source.get("CORS_ORIGINS").value_or("*");
  a.max_body_bytes = parse_integer(source, "API_MAX_BODY_BYTES", a.max_body_bytes, 1, 1LL << 34);
  a.max_upload_bytes =
      parse_integer(source, "API_MAX_UPLOAD_BYTES", a.max_upload_bytes, 1, 1LL << 34);
  a.worker_poll_interval =
      parse_seconds(source, "WORKER_POLL_INTERVAL", a.worker_poll_interval, 0.01, 3600);
  a.worker_lease = std::chrono::seconds(parse_integer(source, "WORKER_LEASE_SECONDS", 60, 1, 86400));
  a.rescan_interval_hours = parse_number(source, "RESCAN_INTERVAL_HOURS", 0, 0, 1'000'000);

  const auto log_format = source.get("LOG_FORMAT");
  if (!log_format || log_format->empty()) {
    s.log_format = isatty(STDERR_FILENO) ? "text" : "json";
  } else if (*log_format == "text" || *log_format == "json") {
    s.log_format = *log_format;
  } else {
    throw Error("LOG_FORMAT", fmt::format("'{}' is not text or json", *log_format));
  }
  return s;
}

}  // namespace scrapersky::config
