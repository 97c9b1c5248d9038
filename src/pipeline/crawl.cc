#include "pipeline/crawl.h"

#include <algorithm>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <set>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include <cstdio>

#include <fmt/format.h>

#include "pipeline/content_hash.h"

#include "sitemap/discovery.h"
#include "sitemap/html_links.h"
#include "sitemap/robots.h"

namespace scrapersky::pipeline {
namespace {

using model::DiscoveryMethod;

// Failures after which a bare host is tried again over http:// (spec "Outcome of a job").
bool is_connection_level(fetch::ErrorKind kind) {
  return kind == fetch::ErrorKind::kConnect || kind == fetch::ErrorKind::kTls;
}

bool is_sitemap_kind(sitemap::DocumentKind kind) {
  using sitemap::DocumentKind;
  return kind == DocumentKind::kUrlset || kind == DocumentKind::kSitemapIndex ||
         kind == DocumentKind::kRss || kind == DocumentKind::kAtom || kind == DocumentKind::kText;
}

// Collects a small body (robots.txt, the home page) up to a cap, then hands it over.
class SmallBodyFetch : public fetch::BodyConsumer {
 public:
  using Done = std::function<void(const fetch::Result&, std::string body)>;
  SmallBodyFetch(std::int64_t cap, Done done) : cap_(cap), done_(std::move(done)) {}
  bool on_data(std::span<const char> chunk) override {
    const auto room = cap_ - static_cast<std::int64_t>(body_.size());
    body_.append(chunk.data(), static_cast<std::size_t>(std::min<std::int64_t>(room, chunk.size())));
    return static_cast<std::int64_t>(body_.size()) < cap_;
  }
  void on_done(const fetch::Result& result) override { done_(result, std::move(body_)); }

 private:
  std::int64_t cap_;
  Done done_;
  std::string body_;
};

}  // namespace

// Shared by the crawl and every consumer it submitted: consumers may outlive run() briefly.
struct Crawl::State : std::enable_shared_from_this<Crawl::State> {
  State(fetch::Client& c, CrawlSink& s, CrawlLimits l, const RescanBasis* b)
      : client(c), sink(s), limits(l), basis(b) {}

  fetch::Client& client;
  CrawlSink& sink;
  const CrawlLimits limits;
  const RescanBasis* basis;

  std::mutex mutex;
  std::condition_variable idle;
  int pending = 0;  // submitted requests whose on_done has not finished
  std::atomic<bool> stopping{false};
  std::atomic<bool> interrupted{false};
  std::atomic<std::int64_t> urls{0};

  // The URLs a sitemap of this job was requested and answered under (its redirect chain and
  // final URL) and its index, so that a redirect back up the chain can be recognised.
  struct Lineage {
    std::vector<std::string> urls;
    std::optional<int> parent_id;
  };
  // Where a redirect of a sitemap's fetch leads.
  enum class RedirectTarget {
    kNew,       // a URL this job has not requested: follow it
    kKnown,     // a URL this job already requested: another name for it
    kOwnChain,  // a URL of this fetch's own redirect chain: a loop
    kAncestor,  // a URL of an index above this sitemap: a cycle through a redirect
  };

  // Guarded by mutex.
  std::unordered_set<std::string> requested;         // each URL is requested once per job
  std::unordered_map<std::string, int> claimed;      // final URL -> sitemap id
  std::unordered_map<int, Lineage> lineage;          // sitemap id -> its URLs and its index
  int next_id = 0;
  int scheduled_sitemaps = 0;
  bool any_response = false;
  std::set<std::string> caps;
  CrawlReport report;
  sitemap::Target target;
  std::string origin;
  bool tried_http_fallback = false;
  int unclaimed_tops = 0;  // tops of the current discovery step not yet identified
  std::function<void()> next_step;

  class SitemapFetch;

  void submit(fetch::Request request, std::shared_ptr<fetch::BodyConsumer> consumer) {
    {
      std::lock_guard lock(mutex);
      ++pending;
    }
    client.submit(std::move(request), std::move(consumer));
  }
  void submit(const std::string& url, std::shared_ptr<fetch::BodyConsumer> consumer) {
    submit(fetch::Request{url, {}, {}}, std::move(consumer));
  }

  void finish_request() {
    std::lock_guard lock(mutex);
    if (--pending == 0) idle.notify_all();
  }

  void cap_hit(std::string_view cap) {
    std::lock_guard lock(mutex);
    caps.emplace(cap);
  }

  void note_response(long status) {
    if (status <= 0) return;
    std::lock_guard lock(mutex);
    any_response = true;
  }

  // Claims a final URL for this fetch; false when another fetch of this job has it.
  bool claim(const std::string& url) {
    std::lock_guard lock(mutex);
    if (!claimed.emplace(url, 0).second) return false;
    requested.insert(url);
    return true;
  }
  // The row id of a claimed URL, given when the fetch proves to be a sitemap row.
  int assign_id(const SitemapRef& ref, std::vector<std::string> chain) {
    std::lock_guard lock(mutex);
    const int id = claimed[ref.url] = ++next_id;
    chain.push_back(ref.url);
    lineage[id] = {std::move(chain), ref.parent_id};
    return id;
  }

  RedirectTarget judge_redirect(const std::string& target, const std::vector<std::string>& chain,
                                std::optional<int> parent_id) {
    const auto in = [&target](const std::vector<std::string>& urls) {
      return std::find(urls.begin(), urls.end(), target) != urls.end();
    };
    std::lock_guard lock(mutex);
    if (in(chain)) return RedirectTarget::kOwnChain;
    for (auto id = parent_id; id;) {
      const auto it = lineage.find(*id);
      if (it == lineage.end()) break;
      if (in(it->second.urls)) return RedirectTarget::kAncestor;
      id = it->second.parent_id;
    }
    return requested.count(target) ? RedirectTarget::kKnown : RedirectTarget::kNew;
  }
  void release(const std::string& url) {
    std::lock_guard lock(mutex);
    claimed.erase(url);
  }

  // A top sitemap of the current discovery step has been identified (or failed): once all
  // are, the next step starts, so robots.txt wins over probes and probes over HTML links.
  void top_settled() {
    std::function<void()> step;
    {
      std::lock_guard lock(mutex);
      if (--unclaimed_tops == 0 && next_step) step = std::exchange(next_step, nullptr);
    }
    if (step) step();
  }

  void schedule_sitemap(const std::string& url, DiscoveryMethod method, int depth,
                        std::optional<int> parent, bool gated_top);
  void start_discovery();
  void on_robots(const fetch::Result& result, const std::string& body);
  void start_probes();
  void start_home_page();
  void record_outcome(const SitemapOutcome& outcome);
};

class Crawl::State::SitemapFetch : public fetch::BodyConsumer {
 public:
  // `prior`: the stored sitemap this request is conditional on (validators sent, body hashed
  // and compared), or null.
  SitemapFetch(std::shared_ptr<State> state, SitemapRef ref, bool gated_top,
               const PriorSitemap* prior)
      : state_(std::move(state)),
        ref_(std::move(ref)),
        gated_top_(gated_top),
        prior_(prior),
        sent_validators_(prior != nullptr &&
                         (!prior->etag.empty() || !prior->last_modified.empty())),
        chain_{ref_.requested_url} {}
  ~SitemapFetch() override {
    if (spool_ != nullptr) std::fclose(spool_);
  }

  // Each URL is requested once per job, redirect targets included (spec "Limits and loops").
  bool follow_redirect(const std::string& url) override {
    switch (state_->judge_redirect(url, chain_, ref_.parent_id)) {
      case RedirectTarget::kNew:
        chain_.push_back(url);
        return true;
      case RedirectTarget::kKnown:
        duplicate_ = true;  // another name for a URL of this job: no row of its own
        return false;
      case RedirectTarget::kOwnChain:
        redirect_error_ = fmt::format("redirect loop back to {}, not followed", url);
        return false;
      case RedirectTarget::kAncestor:
        redirect_error_ = fmt::format("redirect back to ancestor sitemap {}, not followed", url);
        return false;
    }
    return false;
  }

  void on_head(const fetch::ResponseHead& head) override {
    ref_.url = head.final_url.empty() ? ref_.requested_url : head.final_url;
    content_encoding_ = head.content_encoding;
    duplicate_ = !state_->claim(ref_.url);
    claimed_ = !duplicate_;
    settle();
    if (!duplicate_) start_body();
  }

  bool on_data(std::span<const char> chunk) override {
    if (duplicate_ || state_->stopping) return false;
    if (!parser_ && !verifier_) start_body();
    if (verifier_) {
      // Hashed now, parsed only if the hash differs: the raw bytes wait in a spool file.
      if (spool_ == nullptr ||
          std::fwrite(chunk.data(), 1, chunk.size(), spool_) != chunk.size()) {
        spool_failed_ = true;
        return false;
      }
      return verifier_->feed(chunk) && !state_->stopping;
    }
    const bool more = parser_->feed(chunk);
    return more && !stop_for_cap_ && !state_->stopping;
  }

  void on_done(const fetch::Result& result) override {
    state_->note_response(result.status);
    if (retry_over_http(result)) {
      state_->finish_request();
      return;
    }
    if (!result.final_url.empty() && ref_.url == ref_.requested_url && !parser_) {
      ref_.url = result.final_url;
    }
    settle();
    const bool answered_not_modified = result.not_modified() && sent_validators_;
    const bool failed_probe = is_probe() && !parser_ && !verifier_ && !answered_not_modified;
    if (!duplicate_ && !claimed_ && !failed_probe) {
      duplicate_ = !state_->claim(ref_.url);
      claimed_ = !duplicate_;
    }
    if (!duplicate_ && !failed_probe) finish(result);
    state_->finish_request();
  }

 private:
  bool is_probe() const { return ref_.method == DiscoveryMethod::kCommonPath; }

  // A sitemap target typed without a scheme gets https:// first and http:// after a
  // connection-level failure, as a bare host does (spec "Outcome of a job").
  bool retry_over_http(const fetch::Result& result) {
    if (ref_.method != DiscoveryMethod::kManual || !state_->target.bare_host ||
        result.status != 0 || !is_connection_level(result.error) ||
        ref_.requested_url.rfind("https://", 0) != 0) {
      return false;
    }
    state_->schedule_sitemap("http://" + ref_.requested_url.substr(8), DiscoveryMethod::kManual,
                             1, {}, false);
    return true;
  }

  void settle() {
    if (gated_top_ && !settled_) {
      settled_ = true;
      state_->top_settled();
    }
  }

  sitemap::ParseLimits parse_limits() const {
    sitemap::ParseLimits limits;
    limits.max_decompressed_bytes = state_->limits.max_sitemap_bytes;
    return limits;
  }

  // The body of a 2xx: parsed as it streams, or (a stored hash to compare with) hashed and
  // spooled, and parsed from the spool only if it changed.
  void start_body() {
    if (prior_ != nullptr && !prior_->content_sha256.empty()) {
      verifier_.emplace(parse_limits(), nullptr, nullptr);
      verifier_->observe_only();  // gunzip and hash; the XML is read only if the hash differs
      verifier_->observe_document([this](std::span<const char> bytes) { hash_.update(bytes); });
      spool_ = std::tmpfile();
      return;
    }
    make_parser();
    parser_->observe_document([this](std::span<const char> bytes) { hash_.update(bytes); });
  }

  void make_parser() {
    parser_.emplace(
        parse_limits(), [this](const sitemap::Entry& entry) { on_url(entry); },
        [this](const sitemap::Entry& entry) { on_child(entry); });
  }

  // The spooled body, through the real parser, as it would have streamed.
  void replay_spool() {
    make_parser();
    if (spool_ == nullptr || std::fseek(spool_, 0, SEEK_SET) != 0) return;
    std::vector<char> buffer(64 * 1024);
    for (;;) {
      const std::size_t got = std::fread(buffer.data(), 1, buffer.size(), spool_);
      if (got == 0) break;
      if (!parser_->feed(std::span<const char>(buffer.data(), got)) || stop_for_cap_ ||
          state_->stopping) {
        break;
      }
    }
  }

  // Nothing of this sitemap is parsed or stored: its type and counts are the stored ones,
  // and an index's children are the files stored under it, each requested in turn.
  void finish_not_modified(const fetch::Result& result) {
    SitemapOutcome out;
    out.not_modified = true;
    out.http_status = result.status;
    out.etag = result.etag;
    out.last_modified = result.last_modified;
    out.content_sha256 = hash_hex_;
    out.type = prior_->type;
    out.url_count = prior_->url_count;
    announce();
    out.ref = ref_;
    if (prior_->type == model::SitemapType::kIndex) {
      for (const auto& child : prior_->children) {
        state_->schedule_sitemap(child, DiscoveryMethod::kSitemapIndex, ref_.depth + 1, ref_.id,
                                 false);
      }
    }
    state_->sink.on_sitemap_done(out);
    state_->record_outcome(out);
  }

  void announce() {
    if (announced_) return;
    announced_ = true;
    ref_.id = state_->assign_id(ref_, chain_);
    state_->sink.on_sitemap(ref_);
  }

  void on_url(const sitemap::Entry& entry) {
    if (stop_for_cap_) return;
    const auto max = state_->limits.max_urls;
    if (max > 0 && state_->urls.fetch_add(1) >= max) {
      state_->urls.fetch_sub(1);
      stop_for_cap_ = true;
      state_->cap_hit("max_urls");
      state_->stopping = true;
      return;
    }
    if (max == 0) state_->urls.fetch_add(1);
    announce();
    ++urls_;
    state_->sink.on_url(ref_, entry);
  }

  void on_child(const sitemap::Entry& entry) {
    announce();
    ++children_;
    state_->schedule_sitemap(entry.loc, DiscoveryMethod::kSitemapIndex, ref_.depth + 1, ref_.id,
                             false);
  }

  void finish(const fetch::Result& result) {
    if (result.not_modified() && sent_validators_) {
      finish_not_modified(result);
      return;
    }
    SitemapOutcome out;
    sitemap::ParseResult parsed;
    const bool fetched = result.ok() || (result.status >= 200 && result.status < 300);
    const bool complete_body =
        result.error == fetch::ErrorKind::kNone && !result.truncated && !result.stopped;
    if (verifier_) {
      const auto verified = verifier_->finish(complete_body && !spool_failed_);
      const bool whole = fetched && complete_body && !spool_failed_ &&
                         verified.error == sitemap::FileError::kNone && !verified.truncated;
      if (whole) hash_hex_ = hash_.hex();
      if (whole && hash_hex_ == prior_->content_sha256 && prior_->type) {
        finish_not_modified(result);
        return;
      }
      if (fetched && !spool_failed_) replay_spool();
    }
    if (parser_) {
      const bool complete = result.error == fetch::ErrorKind::kNone && !result.truncated &&
                            !result.stopped;
      parsed = parser_->finish(complete);
    }
    const bool is_sitemap = parser_ && is_sitemap_kind(parsed.kind) &&
                            !(parsed.kind == sitemap::DocumentKind::kText && parsed.entries == 0);
    if (is_probe() && !(fetched && is_sitemap)) {
      // A probe that is not a sitemap (404, HTML, soft-404) leaves no row.
      if (claimed_) state_->release(ref_.url);
      return;
    }
    out.http_status = result.status;
    out.etag = result.etag;
    out.last_modified = result.last_modified;
    if (parser_ && !verifier_ && fetched && complete_body && !parsed.truncated &&
        parsed.error == sitemap::FileError::kNone) {
      hash_hex_ = hash_.hex();
    }
    out.content_sha256 = hash_hex_;
    if (parser_) {
      out.type = is_sitemap ? parsed.type : std::nullopt;
      out.invalid_locs = parsed.invalid_locs;
      out.size_bytes = parsed.decompressed_bytes;
      out.gzipped = parsed.gzipped || content_encoding_.find("gzip") != std::string::npos;
      out.truncated = parsed.truncated || result.truncated;
      out.has_lastmod = parsed.has_lastmod;
      out.has_priority = parsed.has_priority;
      out.has_changefreq = parsed.has_changefreq;
    }
    out.url_count = parsed.kind == sitemap::DocumentKind::kSitemapIndex ? children_ : urls_;
    if (!redirect_error_.empty()) {
      out.error = redirect_error_;
    } else if (result.error != fetch::ErrorKind::kNone && !(result.stopped && stop_for_cap_)) {
      out.error = result.error_message.empty() ? std::string(fetch::to_string(result.error))
                                               : result.error_message;
    } else if (result.not_modified()) {
      out.error = "HTTP 304 Not Modified to a request that carried no validator";
    } else if (spool_failed_) {
      out.error = "could not spool the body to compare it with the stored hash";
    } else if (!fetched) {
      out.error = fmt::format("HTTP {}", result.status);
    } else if (parser_ && !is_sitemap) {
      out.error = parsed.error_message.empty() ? "not a sitemap" : parsed.error_message;
    } else if (parsed.error != sitemap::FileError::kNone &&
               parsed.error != sitemap::FileError::kTooLarge) {
      out.error = parsed.error_message;
    }
    announce();
    out.ref = ref_;
    state_->sink.on_sitemap_done(out);
    state_->record_outcome(out);
  }

  std::shared_ptr<State> state_;
  SitemapRef ref_;
  bool gated_top_;
  const PriorSitemap* prior_;     // owned by the crawl's RescanBasis
  const bool sent_validators_;
  ContentHash hash_;              // of the decompressed body, as it streams
  std::string hash_hex_;          // set once the body was read whole
  std::optional<sitemap::SitemapParser> verifier_;  // gunzips and hashes, parses nothing
  std::FILE* spool_ = nullptr;    // the raw body while the verifier reads it
  bool spool_failed_ = false;
  bool settled_ = false;
  bool duplicate_ = false;
  bool claimed_ = false;
  bool announced_ = false;
  bool stop_for_cap_ = false;
  std::int64_t urls_ = 0;
  std::int64_t children_ = 0;
  std::string content_encoding_;
  std::optional<sitemap::SitemapParser> parser_;
  std::vector<std::string> chain_;  // the requested URL, then each redirect target followed
  std::string redirect_error_;      // a redirect back up the chain, declined
};

void Crawl::State::record_outcome(const SitemapOutcome& outcome) {
  std::lock_guard lock(mutex);
  ++report.sitemaps_found;
  if (!outcome.error.empty()) {
    ++report.sitemaps_failed;
    report.errors.push_back({outcome.ref.url, outcome.error});
  }
  if (outcome.not_modified) ++report.sitemaps_not_modified;
  if (outcome.ref.method == DiscoveryMethod::kManual && target.kind ==
                                                            sitemap::Target::Kind::kSitemapUrl) {
    // A direct sitemap target that cannot be fetched or is not a sitemap fails the job.
    const bool answered = outcome.not_modified ||
                          (outcome.http_status >= 200 && outcome.http_status < 300);
    if (!outcome.type || !answered) {
      report.failed = true;
      report.error = outcome.error.empty() ? "not a sitemap" : outcome.error;
    }
  }
}

void Crawl::State::schedule_sitemap(const std::string& url, DiscoveryMethod method, int depth,
                                    std::optional<int> parent, bool gated_top) {
  if (stopping) return;
  {
    std::lock_guard lock(mutex);
    if (depth > limits.max_depth) {
      caps.emplace("max_depth");
      return;
    }
    if (!requested.insert(url).second) return;  // self-listing, cycles, duplicates
    if (method != DiscoveryMethod::kCommonPath) {
      if (scheduled_sitemaps >= limits.max_sitemaps) {
        caps.emplace("max_sitemaps");
        return;
      }
      ++scheduled_sitemaps;
    }
    if (gated_top) ++unclaimed_tops;
  }
  SitemapRef ref;
  ref.url = ref.requested_url = url;
  ref.method = method;
  ref.depth = depth;
  ref.parent_id = parent;
  const PriorSitemap* prior = basis != nullptr ? basis->conditional_on(url) : nullptr;
  fetch::Request request{url, {}, {}};
  if (prior != nullptr) {
    // Sent back exactly as received (weak ETags and unparsable dates included).
    request.if_none_match = prior->etag;
    request.if_modified_since = prior->last_modified;
  }
  submit(std::move(request),
         std::make_shared<SitemapFetch>(shared_from_this(), std::move(ref), gated_top, prior));
}

void Crawl::State::start_discovery() {
  auto self = shared_from_this();
  submit(origin + std::string(sitemap::kRobotsTxtPath),
         std::make_shared<SmallBodyFetch>(limits.max_robots_bytes,
                                          [self](const fetch::Result& result, std::string body) {
                                            self->on_robots(result, body);
                                            self->finish_request();
                                          }));
}

void Crawl::State::on_robots(const fetch::Result& result, const std::string& body) {
  note_response(result.status);
  if (result.status == 0) {
    if (is_connection_level(result.error) && target.bare_host && !tried_http_fallback &&
        origin.rfind("https://", 0) == 0) {
      tried_http_fallback = true;
      origin = "http://" + origin.substr(8);
      start_discovery();
      return;
    }
    if (result.error == fetch::ErrorKind::kPrivateAddress ||
        result.error == fetch::ErrorKind::kBadScheme || is_connection_level(result.error) ||
        result.error == fetch::ErrorKind::kDns) {
      std::lock_guard lock(mutex);
      report.failed = true;
      report.unreachable = result.error != fetch::ErrorKind::kPrivateAddress;
      report.error = report.unreachable ? "unreachable: " + result.error_message
                                        : "refused: " + result.error_message;
      return;
    }
  }
  std::vector<std::string> listed;
  if (result.ok()) listed = sitemap::sitemap_urls_from_robots(body, origin + "/robots.txt");
  {
    std::lock_guard lock(mutex);
    report.robots_answered =
        result.error == fetch::ErrorKind::kNone || result.error == fetch::ErrorKind::kHttpStatus
            ? (result.ok() || (result.status >= 400 && result.status < 500 && result.status != 429))
            : false;
    unclaimed_tops = 1;  // held until every listed top is scheduled
    next_step = [this] { start_probes(); };
  }
  for (const auto& url : listed) schedule_sitemap(url, DiscoveryMethod::kRobotsTxt, 1, {}, true);
  top_settled();
}

void Crawl::State::start_probes() {
  {
    std::lock_guard lock(mutex);
    unclaimed_tops = 1;
    next_step = [this] { start_home_page(); };
  }
  for (const auto path : sitemap::kWellKnownSitemapPaths) {
    schedule_sitemap(origin + std::string(path), DiscoveryMethod::kCommonPath, 1, {}, true);
  }
  top_settled();
}

void Crawl::State::start_home_page() {
  if (stopping) return;
  auto self = shared_from_this();
  const std::string home = origin + "/";
  submit(home, std::make_shared<SmallBodyFetch>(
                   limits.max_home_page_bytes,
                   [self, home](const fetch::Result& result, std::string body) {
                     self->note_response(result.status);
                     if (result.ok()) {
                       const auto page = result.final_url.empty() ? home : result.final_url;
                       for (const auto& url : sitemap::sitemap_links_from_html(body, page)) {
                         self->schedule_sitemap(url, DiscoveryMethod::kHtmlLink, 1, {}, false);
                       }
                     }
                     self->finish_request();
                   }));
}

Crawl::Crawl(fetch::Client& client, CrawlSink& sink, CrawlLimits limits,
             const RescanBasis* basis)
    : state_(std::make_shared<State>(client, sink, limits, basis)) {}

Crawl::~Crawl() { stop(); }

void Crawl::stop() {
  state_->interrupted = true;
  state_->stopping = true;
}

CrawlReport Crawl::run(const sitemap::Target& target) {
  State& st = *state_;
  st.target = target;
  if (target.kind == sitemap::Target::Kind::kSitemapUrl) {
    st.schedule_sitemap(target.url, DiscoveryMethod::kManual, 1, {}, false);
  } else {
    st.origin = target.origin;
    st.start_discovery();
  }
  std::unique_lock lock(st.mutex);
  st.idle.wait(lock, [&] { return st.pending == 0; });
  CrawlReport report = st.report;
  report.origin = st.origin.empty() ? target.origin : st.origin;
  report.urls = st.urls;
  report.caps_hit.assign(st.caps.begin(), st.caps.end());
  if (st.interrupted && !st.caps.count("max_urls")) {
    report.interrupted = true;
    if (!report.failed) {
      report.failed = true;
      report.error = "interrupted";
    }
  }
  if (!report.failed && target.kind == sitemap::Target::Kind::kDiscovery && !st.any_response) {
    report.failed = true;
    report.unreachable = true;
    report.error = "unreachable: no HTTP response from " + report.origin;
  }
  return report;
}

}  // namespace scrapersky::pipeline
