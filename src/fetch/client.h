#pragma once
// The HTTP fetcher: one event-loop thread driving a libcurl multi handle. Bodies are streamed
// chunk by chunk to a BodyConsumer (never buffered whole); per-host and global concurrency
// limits, retries with backoff and Retry-After, size caps enforced in the write path, and the
// private-address guard on every connect. See docs/fetching.md for the decisions.
#include <atomic>
#include <cstdint>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>

#include "fetch/address_guard.h"
#include "fetch/options.h"
#include "fetch/result.h"
#include "fetch/retry_policy.h"

namespace scrapersky::fetch {

// A failure of the client itself (libcurl could not be initialised), never of one request:
// request outcomes are reported in Result.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Receives one request's response. All calls happen on the client's loop thread, so a
// consumer must not block; on_done() is called exactly once per submitted request.
class BodyConsumer {
 public:
  virtual ~BodyConsumer() = default;
  // Headers of the final 2xx response, before any data (also for an empty body).
  virtual void on_head(const ResponseHead&) {}
  // A piece of the decoded body. Return false to stop the transfer (not an error).
  virtual bool on_data(std::span<const char> chunk) = 0;
  // Before a redirect is followed, with the absolute URL it leads to. False leaves that URL
  // unrequested: the request ends with the redirect response itself (its 3xx status, its URL
  // as final_url), no error, and Result::declined_redirect naming the target.
  virtual bool follow_redirect(const std::string& /*url*/) { return true; }
  virtual void on_done(const Result& result) = 0;
};

struct Request {
  std::string url;
  std::string if_none_match;      // sent as If-None-Match when not empty
  std::string if_modified_since;  // sent as If-Modified-Since when not empty
};

struct Stats {
  std::int64_t requests = 0;   // submitted
  std::int64_t completed = 0;  // on_done() given
  std::int64_t attempts = 0;   // transfers started, retries included
  std::int64_t retries = 0;
  std::int64_t errors = 0;  // results with error != kNone
  std::int64_t wire_bytes = 0;
  std::int64_t body_bytes = 0;
  std::int64_t in_flight = 0;  // transfers running now
};

class Client {
 public:
  explicit Client(Options options);
  // Stops the loop; requests not finished get on_done() with kAborted.
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Queues a request; thread-safe, never blocks on the network.
  void submit(Request request, std::shared_ptr<BodyConsumer> consumer);
  // Aborts every request submitted before this call (running, queued, waiting to retry)
  // with kAborted; later submissions run normally. Returns at once; the on_done() calls
  // happen on the loop thread.
  void cancel_all();

  // Fetch and collect the body (capped by Options); blocking. For tests and small files;
  // must not be called from a consumer callback.
  struct Fetched {
    Result result;
    std::string body;
  };
  Fetched get(const std::string& url);
  Fetched get(Request request);

  Stats stats() const;

 private:
  class Loop;
  std::unique_ptr<Loop> loop_;
};

}  // namespace scrapersky::fetch
