#pragma once
// What one fetch produced: the outcome kinds, the final response head handed to a body
// consumer, and the result handed over once at the end.
#include <cstdint>
#include <string>
#include <string_view>

namespace scrapersky::fetch {

enum class ErrorKind {
  kNone,
  kHttpStatus,         // a final status that is not 2xx/304 (after retries)
  kTimeout,            // whole-request timeout (after the connection was made)
  kConnect,            // refused, unreachable, or connect timeout
  kDns,                // host name did not resolve
  kTls,                // handshake or certificate failure
  kPrivateAddress,     // refused by the private-address guard; the server saw no request
  kTooManyRedirects,   // more than 10
  kBadScheme,          // not http/https, on the first URL or any redirect hop
  kTooLarge,           // reserved: caps cut the body (truncated=true) rather than fail
  kRetryAfterTooLong,  // Retry-After longer than Options::max_retry_after
  kAborted,            // cancel_all() or client destroyed
  kOther,              // connection reset, malformed URL, consumer threw, ...
};

std::string_view to_string(ErrorKind kind);

// Headers of the final 2xx response, given to the consumer before any body data.
struct ResponseHead {
  long status = 0;
  std::string final_url;
  std::string content_type, content_encoding, etag, last_modified;
};

struct Result {
  long status = 0;              // last HTTP status seen (0: no response)
  std::string final_url;        // URL after redirects
  int attempts = 0;             // 1 + retries made
  int redirects = 0;            // redirects followed in the last attempt
  std::int64_t wire_bytes = 0;  // body bytes received on the wire (before decoding), last attempt
  std::int64_t body_bytes = 0;  // decoded bytes handed to the consumer
  bool truncated = false;       // a cap was reached and the body cut; delivered bytes stand
  bool stopped = false;         // the consumer returned false from on_data (not an error)
  std::string declined_redirect;  // a redirect target the consumer did not follow (not requested)
  ErrorKind error = ErrorKind::kNone;
  std::string error_message;  // "HTTP 404", "timed out after 30 s", ...
  std::string etag, last_modified, content_type;

  // 2xx and no error (a truncated or consumer-stopped body is ok()).
  bool ok() const { return error == ErrorKind::kNone && status >= 200 && status < 300; }
  // A conditional request answered 304: no error, no body, ok() is false.
  bool not_modified() const { return error == ErrorKind::kNone && status == 304; }
};

}  // namespace scrapersky::fetch
