#include "fetch/options.h"

#include "fetch/result.h"

namespace scrapersky::fetch {

Options Options::from_settings(const config::FetchSettings& settings) {
  Options options;
  options.max_in_flight = settings.concurrency;
  options.max_per_host = settings.per_host;
  options.timeout = settings.timeout;
  options.connect_timeout = settings.connect_timeout;
  options.retries = settings.retries;
  options.max_body_bytes = settings.max_sitemap_bytes;
  options.allow_private_targets = settings.allow_private_targets;
  options.user_agent = settings.user_agent;
  return options;
}

std::string_view to_string(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kNone:
      return "none";
    case ErrorKind::kHttpStatus:
      return "http_status";
    case ErrorKind::kTimeout:
      return "timeout";
    case ErrorKind::kConnect:
      return "connect";
    case ErrorKind::kDns:
      return "dns";
    case ErrorKind::kTls:
      return "tls";
    case ErrorKind::kPrivateAddress:
      return "private_address";
    case ErrorKind::kTooManyRedirects:
      return "too_many_redirects";
    case ErrorKind::kBadScheme:
      return "bad_scheme";
    case ErrorKind::kTooLarge:
      return "too_large";
    case ErrorKind::kRetryAfterTooLong:
      return "retry_after_too_long";
    case ErrorKind::kAborted:
      return "aborted";
    case ErrorKind::kOther:
      return "other";
  }
  return "other";
}

}  // namespace scrapersky::fetch
