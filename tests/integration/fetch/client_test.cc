// The fetch client against loopback fixture sites: one behaviour per test.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <condition_variable>
#include <cstdlib>
#include <functional>
#include <future>
#include <mutex>
#include <random>

#include <zlib.h>

#include "fetch/client.h"
#include "support/fixture_site.h"

namespace scrapersky::fetch {
namespace {

using namespace std::chrono_literals;
using test_support::ConcurrencyGauge;
using test_support::FixtureRequest;
using test_support::FixtureResponse;
using test_support::FixtureSite;
using test_support::gzip;

// Fixture sites live on loopback, so tests lift the guard unless they test it.
Options test_options() {
  Options options;
  options.allow_private_targets = true;
  options.timeout = 5s;
  options.connect_timeout = 2s;
  options.retries = 3;
  options.backoff_base = 10ms;
  options.user_agent = "scrapersky-test/1";
  return options;
}

bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds limit = 5s) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return condition();
}

// Records what the client hands over; can stop after the first chunk.
class RecordingConsumer : public BodyConsumer {
 public:
  explicit RecordingConsumer(bool stop_after_first_chunk = false)
      : stop_after_first_chunk_(stop_after_first_chunk) {}

  void on_head(const ResponseHead& head) override {
    std::lock_guard lock(mutex_);
    heads_.push_back(head);
  }
  bool on_data(std::span<const char> chunk) override {
    std::lock_guard lock(mutex_);
    chunks_.emplace_back(chunk.data(), chunk.size());
    return !stop_after_first_chunk_;
  }
  void on_done(const Result& result) override {
    {
      std::lock_guard lock(mutex_);
      results_.push_back(result);
    }
    cv_.notify_all();
  }

  // The result, once on_done() was called (fails the test after the limit).
  Result wait(std::chrono::milliseconds limit = 10s) {
    std::unique_lock lock(mutex_);
    EXPECT_TRUE(cv_.wait_for(lock, limit, [this] { return !results_.empty(); }))
        << "on_done() was not called in time";
    return results_.empty() ? Result{} : results_.front();
  }
  int done_calls() {
    std::lock_guard lock(mutex_);
    return static_cast<int>(results_.size());
  }
  std::vector<std::string> chunks() {
    std::lock_guard lock(mutex_);
    return chunks_;
  }
  std::string body() {
    std::string all;
    for (const auto& chunk : chunks()) all += chunk;
    return all;
  }
  std::vector<ResponseHead> heads() {
    std::lock_guard lock(mutex_);
    return heads_;
  }

 private:
  const bool stop_after_first_chunk_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<ResponseHead> heads_;
  std::vector<std::string> chunks_;
  std::vector<Result> results_;
};

std::string pattern(std::size_t size) {
  std::string text;
  text.reserve(size);
  for (std::size_t i = 0; text.size() < size; ++i) text += "<url>" + std::to_string(i) + "</url>\n";
  text.resize(size);
  return text;
}

// gzip with a sync flush after every input byte: valid, and about six times the input.
std::string bloated_gzip(std::string_view data) {
  z_stream stream{};
  deflateInit2(&stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  std::string out;
  char buffer[256];
  for (std::size_t i = 0; i <= data.size(); ++i) {
    const bool last = i == data.size();
    stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data() + i));
    stream.avail_in = last ? 0 : 1;
    do {
      stream.next_out = reinterpret_cast<Bytef*>(buffer);
      stream.avail_out = sizeof buffer;
      deflate(&stream, last ? Z_FINISH : Z_SYNC_FLUSH);
      out.append(buffer, sizeof buffer - stream.avail_out);
    } while (stream.avail_out == 0);
  }
  deflateEnd(&stream);
  return out;
}

// A handler answering `first` for the first `times` requests, then `then`.
FixtureSite::Handler first_then(int times, FixtureResponse first, FixtureResponse then) {
  auto count = std::make_shared<std::atomic<int>>(0);
  return [=](const FixtureRequest&) { return (*count)++ < times ? first : then; };
}

FixtureResponse status(int code, std::vector<std::pair<std::string, std::string>> headers = {}) {
  FixtureResponse response;
  response.status = code;
  response.headers = std::move(headers);
  response.body = "error page " + std::to_string(code);
  return response;
}

// --- Streaming and statuses -------------------------------------------------------------

TEST(FetchClient, StreamsA200BodyToTheConsumerInSeveralChunks) {
  FixtureSite site;
  FixtureResponse response = FixtureResponse::text(pattern(6000), "application/xml");
  response.headers.emplace_back("ETag", "\"v1\"");
  response.headers.emplace_back("Last-Modified", "Sun, 06 Nov 1994 08:49:37 GMT");
  response.chunked = true;
  response.chunk_size = 1000;
  response.delay_between_chunks = 20ms;
  site.route("/sitemap.xml", response);
  Client client(test_options());
  auto consumer = std::make_shared<RecordingConsumer>();

  client.submit({site.url("/sitemap.xml"), "", ""}, consumer);
  const Result result = consumer->wait();

  EXPECT_TRUE(result.ok()) << result.error_message;
  EXPECT_EQ(result.status, 200);
  EXPECT_GE(consumer->chunks().size(), 2u);
  EXPECT_EQ(consumer->body(), response.body);
  EXPECT_EQ(result.body_bytes, 6000);
  EXPECT_EQ(result.attempts, 1);
  EXPECT_EQ(result.final_url, site.url("/sitemap.xml"));
  EXPECT_EQ(result.content_type, "application/xml");
  EXPECT_EQ(result.etag, "\"v1\"");
  EXPECT_EQ(result.last_modified, "Sun, 06 Nov 1994 08:49:37 GMT");
  ASSERT_EQ(consumer->heads().size(), 1u);
  EXPECT_EQ(consumer->heads()[0].status, 200);
  EXPECT_EQ(consumer->heads()[0].content_type, "application/xml");
  EXPECT_EQ(consumer->done_calls(), 1);
}

TEST(FetchClient, EmptyBodyStillGivesTheHeadAndOneDone) {
  FixtureSite site;
  site.route("/empty", FixtureResponse::text(""));
  Client client(test_options());
  auto consumer = std::make_shared<RecordingConsumer>();

  client.submit({site.url("/empty"), "", ""}, consumer);
  const Result result = consumer->wait();

  EXPECT_TRUE(result.ok());
  EXPECT_EQ(consumer->heads().size(), 1u);
  EXPECT_TRUE(consumer->chunks().empty());
}

TEST(FetchClient, NotFoundGoneAndForbiddenAreRequestedOnceAndTheirBodiesNotDelivered) {
  for (const int code : {404, 410, 403}) {
    FixtureSite site;
    site.route("/missing", status(code));
    Client client(test_options());
    auto consumer = std::make_shared<RecordingConsumer>();

    client.submit({site.url("/missing"), "", ""}, consumer);
    const Result result = consumer->wait();

    EXPECT_EQ(result.error, ErrorKind::kHttpStatus) << code;
    EXPECT_EQ(result.status, code);
    EXPECT_EQ(result.error_message, "HTTP " + std::to_string(code));
    EXPECT_EQ(result.attempts, 1);
    EXPECT_EQ(site.hits("/missing"), 1);
    EXPECT_TRUE(consumer->chunks().empty());
    EXPECT_TRUE(consumer->heads().empty());
  }
}

TEST(FetchClient, ServerErrorThenSuccessIsRetried) {
  FixtureSite site;
  site.route("/flaky", first_then(1, status(500), FixtureResponse::text("ok")));
  Client client(test_options());

  const auto fetched = client.get(site.url("/flaky"));

  EXPECT_TRUE(fetched.result.ok()) << fetched.result.error_message;
  EXPECT_EQ(fetched.body, "ok");
  EXPECT_EQ(fetched.result.attempts, 2);
  EXPECT_EQ(site.hits("/flaky"), 2);
  EXPECT_EQ(client.stats().retries, 1);
}

TEST(FetchClient, TooManyRequestsWithRetryAfterOneSecondWaitsThatLong) {
  FixtureSite site;
  std::mutex mutex;
  std::vector<std::chrono::steady_clock::time_point> seen;
  auto count = std::make_shared<int>(0);
  site.route("/busy", [&](const FixtureRequest&) {
    std::lock_guard lock(mutex);
    seen.push_back(std::chrono::steady_clock::now());
    return seen.size() == 1 ? status(429, {{"Retry-After", "1"}}) : FixtureResponse::text("ok");
  });
  Client client(test_options());  // backoff_base is 10 ms: only Retry-After explains a 1 s wait

  const auto fetched = client.get(site.url("/busy"));

  EXPECT_TRUE(fetched.result.ok()) << fetched.result.error_message;
  EXPECT_EQ(fetched.result.attempts, 2);
  std::lock_guard lock(mutex);
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_GE(seen[1] - seen[0], 950ms);
}

TEST(FetchClient, RetryAfterLongerThanTheLimitFailsWithoutWaiting) {
  FixtureSite site;
  site.route("/later", status(503, {{"Retry-After", "120"}}));
  Client client(test_options());
  const auto start = std::chrono::steady_clock::now();

  const auto fetched = client.get(site.url("/later"));

  EXPECT_EQ(fetched.result.error, ErrorKind::kRetryAfterTooLong);
  EXPECT_EQ(fetched.result.status, 503);
  EXPECT_EQ(fetched.result.attempts, 1);
  EXPECT_EQ(site.hits("/later"), 1);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
}

TEST(FetchClient, ExhaustedRetriesReportTheErrorWithOnePlusRetriesAttempts) {
  FixtureSite site;
  site.route("/down", status(502));
  Options options = test_options();
  options.retries = 3;
  Client client(options);

  const auto fetched = client.get(site.url("/down"));

  EXPECT_EQ(fetched.result.error, ErrorKind::kHttpStatus);
  EXPECT_EQ(fetched.result.error_message, "HTTP 502");
  EXPECT_EQ(fetched.result.attempts, 4);
  EXPECT_EQ(site.hits("/down"), 4);
}

// --- Redirects ---------------------------------------------------------------------------

// /r0 -> /r1 -> ... -> /r<hops> which answers 200.
void route_redirect_chain(FixtureSite& site, int hops) {
  for (int i = 0; i < hops; ++i) {
    site.route("/r" + std::to_string(i),
               FixtureResponse::redirect(i % 2 ? 301 : 302, "/r" + std::to_string(i + 1)));
  }
  site.route("/r" + std::to_string(hops), FixtureResponse::text("end"));
}

TEST(FetchClient, FollowsAChainOfTenRedirects) {
  FixtureSite site;
  route_redirect_chain(site, 10);
  Client client(test_options());

  const auto fetched = client.get(site.url("/r0"));

  EXPECT_TRUE(fetched.result.ok()) << fetched.result.error_message;
  EXPECT_EQ(fetched.body, "end");
  EXPECT_EQ(fetched.result.redirects, 10);
  EXPECT_EQ(fetched.result.final_url, site.url("/r10"));
}

TEST(FetchClient, AnEleventhRedirectIsAnError) {
  FixtureSite site;
  route_redirect_chain(site, 11);
  Client client(test_options());

  const auto fetched = client.get(site.url("/r0"));

  EXPECT_EQ(fetched.result.error, ErrorKind::kTooManyRedirects);
  EXPECT_EQ(fetched.result.attempts, 1);
  EXPECT_EQ(site.hits("/r11"), 0);
}

TEST(FetchClient, RedirectToAnotherOriginIsFollowedAndGivesTheFinalUrl) {
  FixtureSite first;
  FixtureSite second;
  first.route("/sitemap.xml", FixtureResponse::redirect(301, second.url("/moved.xml")));
  second.route("/moved.xml", FixtureResponse::text("moved"));
  Client client(test_options());

  const auto fetched = client.get(first.url("/sitemap.xml"));

  EXPECT_TRUE(fetched.result.ok());
  EXPECT_EQ(fetched.body, "moved");
  EXPECT_EQ(fetched.result.final_url, second.url("/moved.xml"));
  EXPECT_EQ(fetched.result.redirects, 1);
}

// Follows redirects until one leads to `decline`; remembers every target it was asked about.
class RedirectJudgingConsumer : public RecordingConsumer {
 public:
  explicit RedirectJudgingConsumer(std::string decline) : decline_(std::move(decline)) {}
  bool follow_redirect(const std::string& url) override {
    std::lock_guard lock(mutex_);
    asked_.push_back(url);
    return url != decline_;
  }
  std::vector<std::string> asked() {
    std::lock_guard lock(mutex_);
    return asked_;
  }

 private:
  const std::string decline_;
  std::mutex mutex_;
  std::vector<std::string> asked_;
};

TEST(FetchClient, ConsumerIsAskedAboutEveryRedirectTargetAsAnAbsoluteUrl) {
  FixtureSite site;
  route_redirect_chain(site, 3);
  Client client(test_options());
  auto consumer = std::make_shared<RedirectJudgingConsumer>("");

  client.submit({site.url("/r0"), "", ""}, consumer);
  const Result result = consumer->wait();

  EXPECT_TRUE(result.ok()) << result.error_message;
  EXPECT_EQ(consumer->asked(),
            (std::vector<std::string>{site.url("/r1"), site.url("/r2"), site.url("/r3")}));
  EXPECT_EQ(result.declined_redirect, "");
  EXPECT_EQ(consumer->body(), "end");
}

TEST(FetchClient, ADeclinedRedirectIsNeverRequestedAndTheResultIsTheRedirectResponse) {
  FixtureSite site;
  route_redirect_chain(site, 3);  // /r0 -302-> /r1 -301-> /r2 -302-> /r3
  Client client(test_options());
  auto consumer = std::make_shared<RedirectJudgingConsumer>(site.url("/r2"));

  client.submit({site.url("/r0"), "", ""}, consumer);
  const Result result = consumer->wait();

  EXPECT_EQ(site.hits("/r0"), 1);
  EXPECT_EQ(site.hits("/r1"), 1);
  EXPECT_EQ(site.hits("/r2"), 0);
  EXPECT_EQ(site.hits("/r3"), 0);
  EXPECT_EQ(result.error, ErrorKind::kNone) << result.error_message;
  EXPECT_FALSE(result.ok());
  EXPECT_EQ(result.status, 301);
  EXPECT_EQ(result.final_url, site.url("/r1"));
  EXPECT_EQ(result.redirects, 1);
  EXPECT_EQ(result.declined_redirect, site.url("/r2"));
  EXPECT_EQ(result.attempts, 1);
  EXPECT_TRUE(consumer->heads().empty());
  EXPECT_TRUE(consumer->chunks().empty());
  EXPECT_EQ(consumer->done_calls(), 1);
}

TEST(FetchClient, ARedirectToTheSameUrlIsAskedAboutLikeAnyOther) {
  FixtureSite site;
  site.route("/loop", FixtureResponse::redirect(301, "/loop"));
  Client client(test_options());
  auto consumer = std::make_shared<RedirectJudgingConsumer>(site.url("/loop"));

  client.submit({site.url("/loop"), "", ""}, consumer);
  const Result result = consumer->wait();

  EXPECT_EQ(site.hits("/loop"), 1);
  EXPECT_EQ(consumer->asked(), std::vector<std::string>{site.url("/loop")});
  EXPECT_EQ(result.status, 301);
  EXPECT_EQ(result.final_url, site.url("/loop"));
  EXPECT_EQ(result.declined_redirect, site.url("/loop"));
}

TEST(FetchClient, RedirectToFtpOrFileIsRefused) {
  for (const std::string target : {"ftp://127.0.0.1/sitemap.xml", "file:///etc/passwd"}) {
    FixtureSite site;
    site.route("/jump", FixtureResponse::redirect(302, target));
    Client client(test_options());
    auto consumer = std::make_shared<RecordingConsumer>();

    client.submit({site.url("/jump"), "", ""}, consumer);
    const Result result = consumer->wait();

    EXPECT_EQ(result.error, ErrorKind::kBadScheme) << target;
    EXPECT_EQ(result.attempts, 1);
    EXPECT_TRUE(consumer->chunks().empty()) << target;
  }
}

TEST(FetchClient, NonHttpFirstUrlIsRefused) {
  Client client(test_options());
  EXPECT_EQ(client.get("file:///etc/passwd").result.error, ErrorKind::kBadScheme);
  EXPECT_EQ(client.get("ftp://127.0.0.1/x").result.error, ErrorKind::kBadScheme);
}

// --- Content-Encoding and caps -----------------------------------------------------------

TEST(FetchClient, ContentEncodingGzipIsUndoneExactlyOnce) {
  FixtureSite site;
  const std::string xml = pattern(5000);
  FixtureResponse once = FixtureResponse::text(gzip(xml), "application/xml");
  once.headers.emplace_back("Content-Encoding", "gzip");
  site.route("/plain.xml", once);
  // A .xml.gz served with Content-Encoding: gzip: the transport layer comes off, the file's
  // own gzip stays for the parser to sniff.
  FixtureResponse twice = FixtureResponse::text(gzip(gzip(xml)), "application/gzip");
  twice.headers.emplace_back("Content-Encoding", "gzip");
  site.route("/sitemap.xml.gz", twice);
  Client client(test_options());

  const auto plain = client.get(site.url("/plain.xml"));
  const auto inner = client.get(site.url("/sitemap.xml.gz"));

  EXPECT_EQ(plain.body, xml);
  EXPECT_EQ(inner.body, gzip(xml));
  ASSERT_GE(inner.body.size(), 2u);
  EXPECT_EQ(static_cast<unsigned char>(inner.body[0]), 0x1f);
  EXPECT_EQ(static_cast<unsigned char>(inner.body[1]), 0x8b);
  const auto request = site.requests().front();
  EXPECT_TRUE(request.header("Accept-Encoding").has_value());
}

TEST(FetchClient, DecodedCapStopsAGzipBombAndMarksTruncated) {
  FixtureSite site;
  const std::string bomb = gzip(std::string(20 << 20, '\0'));  // 20 MiB of zeros, ~20 KiB
  FixtureResponse response = FixtureResponse::text(bomb, "application/xml");
  response.headers.emplace_back("Content-Encoding", "gzip");
  site.route("/bomb.xml", response);
  Options options = test_options();
  options.max_body_bytes = 1 << 20;
  Client client(options);

  const auto fetched = client.get(site.url("/bomb.xml"));

  EXPECT_TRUE(fetched.result.ok()) << fetched.result.error_message;
  EXPECT_TRUE(fetched.result.truncated);
  EXPECT_EQ(fetched.result.body_bytes, 1 << 20);
  EXPECT_EQ(fetched.body.size(), std::size_t{1} << 20);
  EXPECT_LT(fetched.result.wire_bytes, 1 << 20);
  EXPECT_EQ(fetched.result.attempts, 1);
}

TEST(FetchClient, WireCapCutsAPlainBodyAndKeepsWhatWasDelivered) {
  FixtureSite site;
  const std::string body = pattern(300'000);
  site.route("/big.xml", FixtureResponse::text(body));
  Options options = test_options();
  options.max_body_bytes = 100'000;
  Client client(options);

  const auto fetched = client.get(site.url("/big.xml"));

  EXPECT_TRUE(fetched.result.ok()) << fetched.result.error_message;
  EXPECT_TRUE(fetched.result.truncated);
  EXPECT_EQ(fetched.result.body_bytes, 100'000);
  EXPECT_EQ(fetched.body, body.substr(0, 100'000));
}

TEST(FetchClient, BodyExactlyAtTheCapIsNotTruncated) {
  FixtureSite site;
  const std::string body = pattern(100'000);
  site.route("/exact.xml", FixtureResponse::text(body));
  Options options = test_options();
  options.max_body_bytes = 100'000;
  Client client(options);

  const auto fetched = client.get(site.url("/exact.xml"));

  EXPECT_TRUE(fetched.result.ok()) << fetched.result.error_message;
  EXPECT_FALSE(fetched.result.truncated);
  EXPECT_EQ(fetched.body, body);
}

TEST(FetchClient, ChunkedBodyIsCutAtTheCap) {
  FixtureSite site;
  FixtureResponse response = FixtureResponse::text(pattern(200'000));
  response.chunked = true;
  response.chunk_size = 7'000;
  site.route("/chunked.xml", response);
  Options options = test_options();
  options.max_body_bytes = 50'000;
  Client client(options);

  const auto fetched = client.get(site.url("/chunked.xml"));

  EXPECT_TRUE(fetched.result.ok()) << fetched.result.error_message;
  EXPECT_TRUE(fetched.result.truncated);
  EXPECT_LE(fetched.result.body_bytes, 50'000);
  EXPECT_EQ(fetched.body, response.body.substr(0, fetched.body.size()));
}

TEST(FetchClient, WireCapCountsCompressedBytesBeforeDecoding) {
  FixtureSite site;
  // A gzip stream flushed after every byte carries ~6 wire bytes per decoded byte: the wire
  // counter passes the cap long before the decoded one could.
  const std::string text = pattern(50'000);
  FixtureResponse response = FixtureResponse::text(bloated_gzip(text), "application/xml");
  response.headers.emplace_back("Content-Encoding", "gzip");
  site.route("/bloated.xml", response);
  Options options = test_options();
  options.max_body_bytes = 100'000;
  Client client(options);

  const auto fetched = client.get(site.url("/bloated.xml"));

  EXPECT_TRUE(fetched.result.ok()) << fetched.result.error_message;
  EXPECT_TRUE(fetched.result.truncated);
  EXPECT_GT(fetched.result.wire_bytes, 100'000);
  EXPECT_LT(fetched.result.body_bytes, 50'000);
  EXPECT_EQ(fetched.body, text.substr(0, fetched.body.size()));
}

// --- Timeouts and connection failures ----------------------------------------------------

TEST(FetchClient, HangingResponseHitsTheRequestTimeoutAndKeepsDeliveredBytes) {
  FixtureSite site;
  FixtureResponse response = FixtureResponse::text(pattern(1000));
  response.hang_after_headers = true;
  response.chunk_size = 100;
  site.route("/stall.xml", response);
  Options options = test_options();
  options.timeout = 300ms;
  Client client(options);
  auto consumer = std::make_shared<RecordingConsumer>();

  client.submit({site.url("/stall.xml"), "", ""}, consumer);
  const Result result = consumer->wait();

  EXPECT_EQ(result.error, ErrorKind::kTimeout);
  EXPECT_EQ(result.error_message, "timed out after 300 ms");
  EXPECT_EQ(result.body_bytes, 100);
  EXPECT_EQ(consumer->body(), response.body.substr(0, 100));
  EXPECT_EQ(result.attempts, 1) << "no retry once bytes were handed over";
  EXPECT_EQ(site.hits("/stall.xml"), 1);
}

TEST(FetchClient, TimeoutBeforeAnyBodyIsRetried) {
  FixtureSite site;
  FixtureResponse stall = FixtureResponse::text("late");
  stall.delay_before = 10s;
  site.route("/slow", first_then(1, stall, FixtureResponse::text("fast")));
  Options options = test_options();
  options.timeout = 200ms;
  Client client(options);

  const auto fetched = client.get(site.url("/slow"));

  EXPECT_TRUE(fetched.result.ok()) << fetched.result.error_message;
  EXPECT_EQ(fetched.body, "fast");
  EXPECT_EQ(fetched.result.attempts, 2);
}

TEST(FetchClient, RefusedPortIsAConnectErrorAndIsRetried) {
  Options options = test_options();
  options.retries = 1;
  Client client(options);

  const auto fetched =
      client.get("http://127.0.0.1:" + std::to_string(test_support::unused_port()) + "/");

  EXPECT_EQ(fetched.result.error, ErrorKind::kConnect) << fetched.result.error_message;
  EXPECT_EQ(fetched.result.attempts, 2);
  EXPECT_EQ(fetched.result.status, 0);
}

// A listener that never accepts, with its one-slot backlog already taken: further SYNs are
// dropped by the kernel, so a connect hangs until the connect timeout.
class BlackHole {
 public:
  BlackHole() {
    listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address);
    ::listen(listener_, 0);
    socklen_t length = sizeof address;
    ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
    for (int& filler : fillers_) {
      filler = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
      ::connect(filler, reinterpret_cast<sockaddr*>(&address), sizeof address);
    }
  }
  ~BlackHole() {
    for (const int filler : fillers_) ::close(filler);
    ::close(listener_);
  }
  std::uint16_t port() const { return port_; }

 private:
  int listener_ = -1;
  int fillers_[3] = {-1, -1, -1};
  std::uint16_t port_ = 0;
};

TEST(FetchClient, ConnectTimeoutIsAConnectError) {
  BlackHole hole;
  Options options = test_options();
  options.connect_timeout = 200ms;
  options.retries = 0;
  Client client(options);
  const auto start = std::chrono::steady_clock::now();

  const auto fetched = client.get("http://127.0.0.1:" + std::to_string(hole.port()) + "/");

  EXPECT_EQ(fetched.result.error, ErrorKind::kConnect) << fetched.result.error_message;
  EXPECT_EQ(fetched.result.error_message, "connect timed out after 200 ms");
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
}

TEST(FetchClient, ConnectionCutMidBodyKeepsDeliveredBytesAndIsNotRetried) {
  FixtureSite site;
  FixtureResponse response = FixtureResponse::text(pattern(5000));
  response.send_only_bytes = 1200;
  site.route("/cut.xml", response);
  Client client(test_options());

  const auto fetched = client.get(site.url("/cut.xml"));

  EXPECT_EQ(fetched.result.error, ErrorKind::kOther) << fetched.result.error_message;
  EXPECT_FALSE(fetched.result.ok());
  EXPECT_EQ(fetched.body, response.body.substr(0, 1200));
  EXPECT_EQ(fetched.result.attempts, 1);
  EXPECT_EQ(site.hits("/cut.xml"), 1);
}

TEST(FetchClient, ConsumerThatThrowsEndsTheRequestWithAnError) {
  class Throwing : public BodyConsumer {
   public:
    bool on_data(std::span<const char>) override { throw std::runtime_error("parser broke"); }
    void on_done(const Result& result) override { done.set_value(result); }
    std::promise<Result> done;
  };
  FixtureSite site;
  site.route("/x", FixtureResponse::text("data"));
  Client client(test_options());
  auto consumer = std::make_shared<Throwing>();
  auto done = consumer->done.get_future();

  client.submit({site.url("/x"), "", ""}, consumer);
  ASSERT_EQ(done.wait_for(5s), std::future_status::ready);
  const Result result = done.get();

  EXPECT_EQ(result.error, ErrorKind::kOther);
  EXPECT_EQ(result.error_message, "body consumer failed: parser broke");
  EXPECT_EQ(result.attempts, 1);
}

// --- The private-address guard -------------------------------------------------------------

TEST(FetchClient, PrivateAddressGuardRefusesLoopbackInEverySpelling) {
  FixtureSite site;
  site.route("/", FixtureResponse::text("secret"));
  Options options = test_options();
  options.allow_private_targets = false;
  Client client(options);
  const std::string port = std::to_string(site.port());

  for (const std::string host :
       {"127.0.0.1", "localhost", "0x7f.1", "2130706433", "[::ffff:127.0.0.1]", "[::1]"}) {
    const auto fetched = client.get("http://" + host + ":" + port + "/");
    EXPECT_EQ(fetched.result.error, ErrorKind::kPrivateAddress)
        << host << ": " << fetched.result.error_message;
    EXPECT_EQ(fetched.result.attempts, 1) << host;
    EXPECT_TRUE(fetched.body.empty()) << host;
  }
  EXPECT_EQ(site.total_hits(), 0);
}

TEST(FetchClient, RedirectFromAnAllowedOriginToLoopbackIsRefused) {
  FixtureSite allowed;
  FixtureSite inner;
  inner.route("/admin", FixtureResponse::text("secret"));
  allowed.route("/ok", FixtureResponse::text("public"));
  allowed.route("/sitemap.xml", FixtureResponse::redirect(302, inner.url("/admin")));
  Options options = test_options();
  options.allow_private_targets = false;
  options.private_address_allowlist = {"127.0.0.1:" + std::to_string(allowed.port())};
  Client client(options);

  const auto direct = client.get(allowed.url("/ok"));
  const auto redirected = client.get(allowed.url("/sitemap.xml"));

  EXPECT_TRUE(direct.result.ok()) << direct.result.error_message;
  EXPECT_EQ(redirected.result.error, ErrorKind::kPrivateAddress) << redirected.result.error_message;
  EXPECT_EQ(allowed.hits("/sitemap.xml"), 1);
  EXPECT_EQ(inner.total_hits(), 0);
}

// --- Limits ---------------------------------------------------------------------------------

TEST(FetchClient, PerHostLimitIsRespected) {
  FixtureSite site;
  FixtureResponse slow = FixtureResponse::text("x");
  slow.delay_before = 80ms;
  site.route("/page", slow);
  Options options = test_options();
  options.max_per_host = 2;
  Client client(options);
  std::vector<std::shared_ptr<RecordingConsumer>> consumers;

  for (int i = 0; i < 8; ++i) {
    consumers.push_back(std::make_shared<RecordingConsumer>());
    client.submit({site.url("/page?n=" + std::to_string(i)), "", ""}, consumers.back());
  }
  for (auto& consumer : consumers) EXPECT_TRUE(consumer->wait().ok());

  EXPECT_EQ(site.hits("/page"), 8);
  EXPECT_EQ(site.max_concurrent(), 2);
}

TEST(FetchClient, GlobalLimitIsRespectedAcrossHosts) {
  auto gauge = std::make_shared<ConcurrencyGauge>();
  std::vector<std::unique_ptr<FixtureSite>> sites;
  FixtureResponse slow = FixtureResponse::text("x");
  slow.delay_before = 80ms;
  for (int i = 0; i < 3; ++i) {
    sites.push_back(std::make_unique<FixtureSite>(gauge));
    sites.back()->route("/page", slow);
  }
  Options options = test_options();
  options.max_in_flight = 3;
  options.max_per_host = 4;
  Client client(options);
  std::vector<std::shared_ptr<RecordingConsumer>> consumers;

  for (int i = 0; i < 4; ++i) {
    for (auto& site : sites) {
      consumers.push_back(std::make_shared<RecordingConsumer>());
      client.submit({site->url("/page?n=" + std::to_string(i)), "", ""}, consumers.back());
    }
  }
  for (auto& consumer : consumers) EXPECT_TRUE(consumer->wait().ok());

  EXPECT_EQ(gauge->peak(), 3);
}

// --- Request details -------------------------------------------------------------------------

// Sets environment variables for one test and restores them.
class ScopedEnv {
 public:
  void set(const char* name, const std::string& value) {
    const char* old = std::getenv(name);
    saved_.emplace_back(name, old ? std::optional<std::string>(old) : std::nullopt);
    ::setenv(name, value.c_str(), 1);
  }
  ~ScopedEnv() {
    for (const auto& [name, value] : saved_) {
      if (value) {
        ::setenv(name.c_str(), value->c_str(), 1);
      } else {
        ::unsetenv(name.c_str());
      }
    }
  }

 private:
  std::vector<std::pair<std::string, std::optional<std::string>>> saved_;
};

TEST(FetchClient, ProxyEnvironmentVariablesAreIgnored) {
  FixtureSite proxy;
  FixtureSite site;
  site.route("/sitemap.xml", FixtureResponse::text("direct"));
  ScopedEnv env;
  for (const char* name :
       {"http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "ALL_PROXY", "all_proxy"}) {
    env.set(name, proxy.origin());
  }
  env.set("no_proxy", "");
  env.set("NO_PROXY", "");
  Client client(test_options());

  const auto fetched = client.get(site.url("/sitemap.xml"));

  EXPECT_EQ(fetched.body, "direct");
  EXPECT_EQ(proxy.total_hits(), 0);
  EXPECT_EQ(site.hits("/sitemap.xml"), 1);
}

TEST(FetchClient, SendsTheConfiguredUserAgent) {
  FixtureSite site;
  site.route("/", FixtureResponse::text("hi"));
  Options options = test_options();
  options.user_agent = "scrapersky/9.9 (+https://example.test)";
  Client client(options);

  client.get(site.url("/"));

  ASSERT_EQ(site.requests().size(), 1u);
  EXPECT_EQ(site.requests()[0].header("User-Agent"), "scrapersky/9.9 (+https://example.test)");
}

TEST(FetchClient, ConditionalRequestIsAnsweredNotModified) {
  FixtureSite site;
  site.route("/sitemap.xml", [](const FixtureRequest& request) {
    if (request.header("If-None-Match") == "\"v1\"" &&
        request.header("If-Modified-Since") == "Sun, 06 Nov 1994 08:49:37 GMT") {
      FixtureResponse not_modified;
      not_modified.status = 304;
      not_modified.headers.emplace_back("ETag", "\"v1\"");
      return not_modified;
    }
    return FixtureResponse::text("full");
  });
  Client client(test_options());
  auto consumer = std::make_shared<RecordingConsumer>();

  client.submit({site.url("/sitemap.xml"), "\"v1\"", "Sun, 06 Nov 1994 08:49:37 GMT"}, consumer);
  const Result result = consumer->wait();

  EXPECT_EQ(result.status, 304);
  EXPECT_TRUE(result.not_modified());
  EXPECT_EQ(result.error, ErrorKind::kNone);
  EXPECT_EQ(result.etag, "\"v1\"");
  EXPECT_EQ(result.attempts, 1);
  EXPECT_TRUE(consumer->chunks().empty());
}

// --- Stopping -----------------------------------------------------------------------------

TEST(FetchClient, ConsumerReturningFalseStopsTheTransferWithoutError) {
  FixtureSite site;
  FixtureResponse response = FixtureResponse::text(pattern(10'000));
  response.chunked = true;
  response.chunk_size = 1000;
  response.delay_between_chunks = 30ms;
  site.route("/long.xml", response);
  Client client(test_options());
  auto consumer = std::make_shared<RecordingConsumer>(/*stop_after_first_chunk=*/true);

  client.submit({site.url("/long.xml"), "", ""}, consumer);
  const Result result = consumer->wait();

  EXPECT_TRUE(result.ok()) << result.error_message;
  EXPECT_TRUE(result.stopped);
  EXPECT_FALSE(result.truncated);
  EXPECT_EQ(consumer->chunks().size(), 1u);
  EXPECT_EQ(result.attempts, 1);
  EXPECT_EQ(site.hits("/long.xml"), 1);
}

TEST(FetchClient, CancelAllAbortsRunningQueuedAndWaitingRequests) {
  FixtureSite site;
  FixtureResponse stall = FixtureResponse::text("never");
  stall.delay_before = 60s;
  site.route("/stall", stall);
  site.route("/retry", status(503));
  Options options = test_options();
  options.max_per_host = 1;
  options.backoff_base = 60s;
  Client client(options);
  std::vector<std::shared_ptr<RecordingConsumer>> consumers;
  for (int i = 0; i < 3; ++i) {
    consumers.push_back(std::make_shared<RecordingConsumer>());
    client.submit({site.url("/stall?n=" + std::to_string(i)), "", ""}, consumers.back());
  }
  FixtureSite other;
  other.route("/retry", status(503));
  auto waiting = std::make_shared<RecordingConsumer>();
  client.submit({other.url("/retry"), "", ""}, waiting);
  ASSERT_TRUE(eventually([&] { return site.hits("/stall") == 1 && other.hits("/retry") == 1; }));

  client.cancel_all();

  consumers.push_back(waiting);
  for (auto& consumer : consumers) {
    const Result result = consumer->wait(2s);
    EXPECT_EQ(result.error, ErrorKind::kAborted);
    EXPECT_EQ(consumer->done_calls(), 1);
  }
  EXPECT_EQ(site.hits("/stall"), 1) << "queued requests never started";
}

TEST(FetchClient, RequestsSubmittedAfterCancelAllRunNormally) {
  FixtureSite site;
  FixtureResponse stall = FixtureResponse::text("never");
  stall.delay_before = 60s;
  site.route("/stall", stall);
  site.route("/fine", FixtureResponse::text("fine"));
  Client client(test_options());
  auto stalled = std::make_shared<RecordingConsumer>();
  client.submit({site.url("/stall"), "", ""}, stalled);
  ASSERT_TRUE(eventually([&] { return site.hits("/stall") == 1; }));

  client.cancel_all();
  const auto fetched = client.get(site.url("/fine"));  // submitted before the loop woke

  EXPECT_TRUE(fetched.result.ok()) << fetched.result.error_message;
  EXPECT_EQ(fetched.body, "fine");
  EXPECT_EQ(stalled->wait(2s).error, ErrorKind::kAborted);
}

TEST(FetchClient, DestructorWithRequestsInFlightDoesNotHang) {
  FixtureSite site;
  FixtureResponse stall = FixtureResponse::text(pattern(1000));
  stall.hang_after_headers = true;
  stall.chunk_size = 10;
  site.route("/stall", stall);
  auto running = std::make_shared<RecordingConsumer>();
  auto queued = std::make_shared<RecordingConsumer>();
  const auto start = std::chrono::steady_clock::now();
  {
    Options options = test_options();
    options.max_per_host = 1;
    Client client(options);
    client.submit({site.url("/stall"), "", ""}, running);
    client.submit({site.url("/stall?second"), "", ""}, queued);
    ASSERT_TRUE(eventually([&] { return !running->chunks().empty(); }));
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
  EXPECT_EQ(running->wait(0ms).error, ErrorKind::kAborted);
  EXPECT_EQ(queued->wait(0ms).error, ErrorKind::kAborted);
  EXPECT_EQ(running->done_calls(), 1);
}

TEST(FetchClient, SubmitAfterManyRequestsCountsThemInStats) {
  FixtureSite site;
  site.route("/a", FixtureResponse::text("aaaa"));
  site.route("/b", status(404));
  Client client(test_options());

  client.get(site.url("/a"));
  client.get(site.url("/b"));

  const Stats stats = client.stats();
  EXPECT_EQ(stats.requests, 2);
  EXPECT_EQ(stats.completed, 2);
  EXPECT_EQ(stats.errors, 1);
  EXPECT_EQ(stats.body_bytes, 4);
  EXPECT_EQ(stats.in_flight, 0);
}

}  // namespace
}  // namespace scrapersky::fetch
