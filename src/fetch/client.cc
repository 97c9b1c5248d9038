#include "fetch/client.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <cctype>
#include <condition_variable>
#include <deque>
#include <future>
#include <map>
#include <mutex>
#include <random>
#include <thread>
#include <unordered_map>
#include <vector>

#include "version.h"

namespace scrapersky::fetch {
namespace {

using Clock = std::chrono::steady_clock;

void global_init_once() {
  static std::once_flag once;
  static CURLcode rc = CURLE_OK;
  std::call_once(once, [] { rc = curl_global_init(CURL_GLOBAL_DEFAULT); });
  if (rc != CURLE_OK)
    throw Error(std::string("curl_global_init failed: ") + curl_easy_strerror(rc));
}

struct EasyDeleter {
  void operator()(CURL* easy) const { curl_easy_cleanup(easy); }
};
struct SlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
struct UrlDeleter {
  void operator()(CURLU* url) const { curl_url_cleanup(url); }
};

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) {
    s.remove_suffix(1);
  }
  return s;
}

// "host:port" of a URL, the unit of the per-host limit. Unparseable URLs share one key; curl
// reports their error.
std::string host_key(const std::string& url) {
  std::unique_ptr<CURLU, UrlDeleter> handle(curl_url());
  if (!handle || curl_url_set(handle.get(), CURLUPART_URL, url.c_str(), 0) != CURLUE_OK) return "";
  char* host = nullptr;
  char* port = nullptr;
  std::string key;
  if (curl_url_get(handle.get(), CURLUPART_HOST, &host, 0) == CURLUE_OK) key = lower(host);
  if (curl_url_get(handle.get(), CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) == CURLUE_OK) {
    key += ":" + std::string(port);
  }
  curl_free(host);
  curl_free(port);
  return key;
}

std::string describe_duration(std::chrono::milliseconds d) {
  if (d.count() % 1000 == 0) return std::to_string(d.count() / 1000) + " s";
  return std::to_string(d.count()) + " ms";
}

std::string address_text(const sockaddr* address) {
  char buf[INET6_ADDRSTRLEN] = "?";
  if (address->sa_family == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(address)->sin_addr, buf, sizeof buf);
  } else if (address->sa_family == AF_INET6) {
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(address)->sin6_addr, buf,
              sizeof buf);
  }
  return buf;
}

}  // namespace

// One submitted request, across its attempts. Owned by exactly one place of the loop at a
// time: the per-host queue, the running map, or the retry timer queue.
struct Job {
  Request request;
  std::shared_ptr<BodyConsumer> consumer;
  std::string host;
  Result result;
  bool delivered = false;  // body bytes went to the consumer: no retry from now on
  bool head_sent = false;
  const Options* options = nullptr;
  const AddressAllowlist* allowlist = nullptr;

  // State of the current attempt.
  std::unique_ptr<CURL, EasyDeleter> easy;
  std::unique_ptr<curl_slist, SlistDeleter> headers;
  std::int64_t wire_now = 0;
  bool cut = false;           // a cap was reached
  bool stopped = false;       // the consumer asked to stop
  std::string guard_refused;  // the private address refused, if any
  std::string consumer_error;
  std::string requesting_url;     // the URL of the chain's request being sent or answered
  long redirects_judged = 0;      // redirect hops the consumer has been asked about
  std::string declined_redirect;  // a redirect target the consumer did not follow
  ResponseHead head;  // headers of the latest response of the redirect chain
  std::string retry_after;
  char error_buffer[CURL_ERROR_SIZE] = {};

  void reset_attempt() {
    easy.reset();
    headers.reset();
    wire_now = 0;
    cut = stopped = false;
    guard_refused.clear();
    consumer_error.clear();
    requesting_url.clear();
    redirects_judged = 0;
    declined_redirect.clear();
    head = ResponseHead{};
    retry_after.clear();
    error_buffer[0] = '\0';
  }
};

namespace {

long response_code(CURL* easy) {
  long status = 0;
  curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
  return status;
}

bool send_head(Job& job, long status) {
  job.head_sent = true;
  job.head.status = status;
  char* url = nullptr;
  if (curl_easy_getinfo(job.easy.get(), CURLINFO_EFFECTIVE_URL, &url) == CURLE_OK && url) {
    job.head.final_url = url;
  }
  try {
    job.consumer->on_head(job.head);
    return true;
  } catch (const std::exception& e) {
    job.consumer_error = e.what();
  } catch (...) {
    job.consumer_error = "unknown exception";
  }
  return false;
}

size_t on_header(char* data, size_t size, size_t count, void* user) {
  Job& job = *static_cast<Job*>(user);
  const std::string_view line(data, size * count);
  if (line.starts_with("HTTP/")) {  // a new response of the chain (redirect, 1xx, final)
    job.head = ResponseHead{};
    job.retry_after.clear();
    return line.size();
  }
  const auto colon = line.find(':');
  if (colon == std::string_view::npos) return line.size();
  const std::string name = lower(trim(line.substr(0, colon)));
  const std::string value(trim(line.substr(colon + 1)));
  if (name == "content-type")
    job.head.content_type = value;
  else if (name == "content-encoding")
    job.head.content_encoding = value;
  else if (name == "etag")
    job.head.etag = value;
  else if (name == "last-modified")
    job.head.last_modified = value;
  else if (name == "retry-after")
    job.retry_after = value;
  return line.size();
}

// Decoded body bytes: the decoded cap is enforced here, on what the consumer would receive.
size_t on_write(char* data, size_t size, size_t count, void* user) {
  Job& job = *static_cast<Job*>(user);
  const size_t length = size * count;
  const long status = response_code(job.easy.get());
  if (status < 200 || status >= 300) return length;  // error pages are not the consumer's
  if (!job.head_sent && !send_head(job, status)) return CURL_WRITEFUNC_ERROR;
  if (length == 0) return 0;
  const std::int64_t room = job.options->max_body_bytes - job.result.body_bytes;
  const size_t take = static_cast<size_t>(std::clamp<std::int64_t>(room, 0, length));
  bool more = true;
  if (take > 0) {
    try {
      more = job.consumer->on_data(std::span<const char>(data, take));
    } catch (const std::exception& e) {
      job.consumer_error = e.what();
      return CURL_WRITEFUNC_ERROR;
    } catch (...) {
      job.consumer_error = "unknown exception";
      return CURL_WRITEFUNC_ERROR;
    }
    job.delivered = true;
    job.result.body_bytes += static_cast<std::int64_t>(take);
  }
  // libcurl reads up to 100 buffers before it calls the progress callback, so the wire cap
  // is also checked here, on the download counter, once this buffer is delivered: the wire
  // overshoots the cap by at most one read buffer, and a plain body is cut exactly at the cap.
  curl_off_t wire = 0;
  curl_easy_getinfo(job.easy.get(), CURLINFO_SIZE_DOWNLOAD_T, &wire);
  job.wire_now = std::max<std::int64_t>(job.wire_now, wire);
  if (take < length || wire > job.options->max_body_bytes) {
    job.cut = true;
    return CURL_WRITEFUNC_ERROR;
  }
  if (!more) {
    job.stopped = true;
    return CURL_WRITEFUNC_ERROR;
  }
  return length;
}

// Wire bytes: `dlnow` counts what came off the socket before Content-Encoding is undone.
int on_progress(void* user, curl_off_t, curl_off_t dlnow, curl_off_t, curl_off_t) {
  Job& job = *static_cast<Job*>(user);
  job.wire_now = std::max<std::int64_t>(job.wire_now, dlnow);
  if (dlnow > job.options->max_body_bytes) {
    job.cut = true;
    return 1;
  }
  return 0;
}

// The private-address guard: judges the address curl is about to connect to, on every hop
// and for every DNS answer tried.
curl_socket_t on_open_socket(void* user, curlsocktype, curl_sockaddr* address) {
  Job& job = *static_cast<Job*>(user);
  const sockaddr* target = &address->addr;
  if (!job.options->allow_private_targets && is_private_address(target) &&
      !job.allowlist->contains(target)) {
    job.guard_refused = address_text(target);
    return CURL_SOCKET_BAD;
  }
  return ::socket(address->family, address->socktype | SOCK_CLOEXEC, address->protocol);
}

// Runs before each request of a redirect chain is sent (the connection is open, nothing is
// written yet): the consumer may decline a redirect target, which is then never requested.
int on_before_request(void* user, char*, char*, int, int) {
  Job& job = *static_cast<Job*>(user);
  char* url = nullptr;
  long redirects = 0;
  curl_easy_getinfo(job.easy.get(), CURLINFO_EFFECTIVE_URL, &url);
  curl_easy_getinfo(job.easy.get(), CURLINFO_REDIRECT_COUNT, &redirects);
  const std::string target = url ? url : "";
  // A request sent again on a fresh connection is the same hop: asked about once.
  if (redirects > job.redirects_judged) {
    job.redirects_judged = redirects;
    try {
      if (!job.consumer->follow_redirect(target)) {
        job.declined_redirect = target;
        return CURL_PREREQFUNC_ABORT;
      }
    } catch (const std::exception& e) {
      job.consumer_error = e.what();
      return CURL_PREREQFUNC_ABORT;
    } catch (...) {
      job.consumer_error = "unknown exception";
      return CURL_PREREQFUNC_ABORT;
    }
  }
  job.requesting_url = target;
  return CURL_PREREQFUNC_OK;
}

// What one finished attempt means.
struct Outcome {
  ErrorKind error = ErrorKind::kNone;
  std::string message;
  bool retry = false;
};

Outcome http_outcome(long status) {
  if ((status >= 200 && status < 300) || status == 304) return {};
  return {ErrorKind::kHttpStatus, "HTTP " + std::to_string(status), is_retryable_status(status)};
}

Outcome classify(CURLcode code, Job& job, long status) {
  if (!job.consumer_error.empty()) {
    return {ErrorKind::kOther, "body consumer failed: " + job.consumer_error, false};
  }
  if (job.stopped || !job.declined_redirect.empty()) return {};
  const std::string detail = job.error_buffer[0] ? job.error_buffer : curl_easy_strerror(code);
  if (job.cut || code == CURLE_OK) return http_outcome(status);
  switch (code) {
    case CURLE_COULDNT_CONNECT:
      if (!job.guard_refused.empty()) {
        return {ErrorKind::kPrivateAddress, "refused private address " + job.guard_refused, false};
      }
      return {ErrorKind::kConnect, detail, true};
    case CURLE_OPERATION_TIMEDOUT: {
      curl_off_t connect_time = 0;
      curl_easy_getinfo(job.easy.get(), CURLINFO_CONNECT_TIME_T, &connect_time);
      if (connect_time == 0) {
        return {ErrorKind::kConnect,
                "connect timed out after " + describe_duration(job.options->connect_timeout), true};
      }
      return {ErrorKind::kTimeout, "timed out after " + describe_duration(job.options->timeout),
              true};
    }
    case CURLE_COULDNT_RESOLVE_HOST:
      return {ErrorKind::kDns, detail, false};
    case CURLE_UNSUPPORTED_PROTOCOL:
      return {ErrorKind::kBadScheme, detail, false};
    case CURLE_TOO_MANY_REDIRECTS:
      return {ErrorKind::kTooManyRedirects, detail, false};
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_USE_SSL_FAILED:
      return {ErrorKind::kTls, detail, false};
    case CURLE_GOT_NOTHING:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
      return {ErrorKind::kOther, "connection failed: " + detail, true};
    default:
      return {ErrorKind::kOther, detail, false};
  }
}

}  // namespace

class Client::Loop {
 public:
  explicit Loop(Options options)
      : options_(std::move(options)),
        allowlist_(options_.private_address_allowlist),
        rng_(std::random_device{}()) {
    global_init_once();
    if (options_.user_agent.empty()) options_.user_agent = std::string("scrapersky/") + kVersion;
    options_.max_in_flight = std::max(1, options_.max_in_flight);
    options_.max_per_host = std::max(1, options_.max_per_host);
    multi_ = curl_multi_init();
    if (multi_ == nullptr) throw Error("curl_multi_init failed");
    thread_ = std::thread([this] { run(); });
  }

  ~Loop() {
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
    }
    curl_multi_wakeup(multi_);
    thread_.join();
    curl_multi_cleanup(multi_);
  }

  void submit(Request request, std::shared_ptr<BodyConsumer> consumer) {
    auto job = std::make_unique<Job>();
    job->host = host_key(request.url);
    job->request = std::move(request);
    job->consumer = std::move(consumer);
    job->options = &options_;
    job->allowlist = &allowlist_;
    job->result.final_url = job->request.url;
    requests_++;
    {
      std::lock_guard lock(mutex_);
      if (!stop_) {
        inbox_.push_back(std::move(job));
        job = nullptr;
      }
    }
    if (job) {
      finish(*job, ErrorKind::kAborted, "client stopped");  // after the loop is gone
    } else {
      curl_multi_wakeup(multi_);
    }
  }

  void cancel_all() {
    {
      std::lock_guard lock(mutex_);
      cancel_ = true;
      // What is in the inbox now was submitted before this call: it is cancelled too, while
      // later submissions run normally.
      for (auto& job : inbox_) cancelled_inbox_.push_back(std::move(job));
      inbox_.clear();
    }
    curl_multi_wakeup(multi_);
  }

  Stats stats() const {
    Stats s;
    s.requests = requests_;
    s.completed = completed_;
    s.attempts = attempts_;
    s.retries = retries_;
    s.errors = errors_;
    s.wire_bytes = wire_bytes_;
    s.body_bytes = body_bytes_;
    s.in_flight = in_flight_;
    return s;
  }

 private:
  struct Host {
    std::deque<std::unique_ptr<Job>> queue;
    int active = 0;
  };

  void run() {
    while (true) {
      std::vector<std::unique_ptr<Job>> arrived;
      std::vector<std::unique_ptr<Job>> cancelled;
      bool stop = false;
      bool cancel = false;
      {
        std::lock_guard lock(mutex_);
        arrived.swap(inbox_);
        cancelled.swap(cancelled_inbox_);
        stop = stop_;
        cancel = std::exchange(cancel_, false);
      }
      if (cancel || stop) {
        const std::string why = stop ? "client stopped" : "cancelled";
        abort_everything(why);
        for (auto& job : cancelled) finish(*job, ErrorKind::kAborted, why);
      }
      if (stop) {
        for (auto& job : arrived) finish(*job, ErrorKind::kAborted, "client stopped");
        return;
      }
      for (auto& job : arrived) hosts_[job->host].queue.push_back(std::move(job));

      promote_due_retries();
      start_ready();
      int running = 0;
      curl_multi_perform(multi_, &running);
      const bool finished_any = collect_finished();
      if (finished_any) continue;  // free slots: start queued work before sleeping

      curl_multi_poll(multi_, nullptr, 0, poll_timeout_ms(), nullptr);
    }
  }

  int poll_timeout_ms() const {
    if (waiting_.empty()) return 1000;
    const auto wait =
        std::chrono::ceil<std::chrono::milliseconds>(waiting_.begin()->first - Clock::now());
    return static_cast<int>(std::clamp<long long>(wait.count(), 0, 1000));
  }

  void promote_due_retries() {
    const auto now = Clock::now();
    while (!waiting_.empty() && waiting_.begin()->first <= now) {
      auto job = std::move(waiting_.begin()->second);
      waiting_.erase(waiting_.begin());
      hosts_[job->host].queue.push_front(std::move(job));
    }
  }

  // One request per host per pass, so one busy host does not starve the others.
  void start_ready() {
    bool started = true;
    while (started && in_flight_ < options_.max_in_flight) {
      started = false;
      for (auto it = hosts_.begin(); it != hosts_.end();) {
        Host& host = it->second;
        if (in_flight_ < options_.max_in_flight && !host.queue.empty() &&
            host.active < options_.max_per_host) {
          auto job = std::move(host.queue.front());
          host.queue.pop_front();
          start(std::move(job), host);
          started = true;
        }
        if (host.queue.empty() && host.active == 0) {
          it = hosts_.erase(it);
        } else {
          ++it;
        }
      }
    }
  }

  void start(std::unique_ptr<Job> job, Host& host) {
    job->reset_attempt();
    job->easy.reset(curl_easy_init());
    if (!job->easy) {
      finish(*job, ErrorKind::kOther, "curl_easy_init failed");
      return;
    }
    configure(*job);
    CURL* easy = job->easy.get();
    if (curl_multi_add_handle(multi_, easy) != CURLM_OK) {
      finish(*job, ErrorKind::kOther, "curl_multi_add_handle failed");
      return;
    }
    job->result.attempts++;
    attempts_++;
    host.active++;
    in_flight_++;
    running_.emplace(easy, std::move(job));
  }

  void configure(Job& job) {
    CURL* easy = job.easy.get();
    curl_easy_setopt(easy, CURLOPT_URL, job.request.url.c_str());
    curl_easy_setopt(easy, CURLOPT_PRIVATE, &job);
    curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, job.error_buffer);
    curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(easy, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(easy, CURLOPT_MAXREDIRS, 10L);
    curl_easy_setopt(easy, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.timeout.count()));
    curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS,
                     static_cast<long>(options_.connect_timeout.count()));
    curl_easy_setopt(easy, CURLOPT_PROXY, "");  // proxy environment variables are ignored
    curl_easy_setopt(easy, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(easy, CURLOPT_USERAGENT, options_.user_agent.c_str());
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, on_write);
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, &job);
    curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(easy, CURLOPT_HEADERDATA, &job);
    curl_easy_setopt(easy, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(easy, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(easy, CURLOPT_XFERINFODATA, &job);
    curl_easy_setopt(easy, CURLOPT_OPENSOCKETFUNCTION, on_open_socket);
    curl_easy_setopt(easy, CURLOPT_OPENSOCKETDATA, &job);
    curl_easy_setopt(easy, CURLOPT_PREREQFUNCTION, on_before_request);
    curl_easy_setopt(easy, CURLOPT_PREREQDATA, &job);
    curl_slist* headers = nullptr;
    if (!job.request.if_none_match.empty()) {
      headers = curl_slist_append(headers, ("If-None-Match: " + job.request.if_none_match).c_str());
    }
    if (!job.request.if_modified_since.empty()) {
      headers = curl_slist_append(headers,
                                  ("If-Modified-Since: " + job.request.if_modified_since).c_str());
    }
    job.headers.reset(headers);
    if (headers) curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers);
  }

  bool collect_finished() {
    bool any = false;
    int left = 0;
    while (CURLMsg* message = curl_multi_info_read(multi_, &left)) {
      if (message->msg != CURLMSG_DONE) continue;
      any = true;
      CURL* easy = message->easy_handle;
      const CURLcode code = message->data.result;
      auto it = running_.find(easy);
      if (it == running_.end()) continue;
      auto job = std::move(it->second);
      running_.erase(it);
      end_attempt(*job);
      attempt_finished(std::move(job), code);
    }
    return any;
  }

  // Releases the slots of a running attempt.
  void end_attempt(Job& job) {
    curl_multi_remove_handle(multi_, job.easy.get());
    in_flight_--;
    auto host = hosts_.find(job.host);
    if (host != hosts_.end()) host->second.active--;
  }

  void attempt_finished(std::unique_ptr<Job> job, CURLcode code) {
    CURL* easy = job->easy.get();
    Result& result = job->result;
    result.status = response_code(easy);
    char* url = nullptr;
    if (curl_easy_getinfo(easy, CURLINFO_EFFECTIVE_URL, &url) == CURLE_OK && url) {
      result.final_url = url;
    }
    long redirects = 0;
    curl_easy_getinfo(easy, CURLINFO_REDIRECT_COUNT, &redirects);
    result.redirects = static_cast<int>(redirects);
    result.wire_bytes = job->wire_now;
    wire_bytes_ += job->wire_now;
    result.content_type = job->head.content_type;
    result.etag = job->head.etag;
    result.last_modified = job->head.last_modified;
    if (!job->declined_redirect.empty()) {
      // curl already names the declined target as its effective URL; the chain ended one
      // hop earlier, at the response that redirected.
      result.final_url = job->requesting_url;
      result.redirects = std::max(0, result.redirects - 1);
      result.declined_redirect = job->declined_redirect;
    }

    const Outcome outcome = classify(code, *job, result.status);
    if (outcome.error == ErrorKind::kNone) {
      result.truncated = job->cut && result.status >= 200 && result.status < 300;
      result.stopped = job->stopped;
      if (result.status >= 200 && result.status < 300 && !job->head_sent) {
        send_head(*job, result.status);
      }
      finish(*job, ErrorKind::kNone, "");
      return;
    }
    const bool attempts_left = result.attempts <= options_.retries;
    if (outcome.retry && attempts_left && !job->delivered) {
      std::chrono::milliseconds delay{0};
      const auto asked =
          job->retry_after.empty()
              ? std::nullopt
              : parse_retry_after(job->retry_after, std::chrono::system_clock::now());
      if (asked && *asked > options_.max_retry_after) {
        finish(*job, ErrorKind::kRetryAfterTooLong,
               outcome.message + ", Retry-After " + std::to_string(asked->count()) + " s exceeds " +
                   std::to_string(options_.max_retry_after.count()) + " s");
        return;
      }
      if (asked) {
        delay = *asked;
      } else {
        delay = backoff_delay(options_.backoff_base, result.attempts,
                              std::uniform_real_distribution<double>(0.0, 1.0)(rng_));
      }
      retries_++;
      job->reset_attempt();
      waiting_.emplace(Clock::now() + delay, std::move(job));
      return;
    }
    finish(*job, outcome.error, outcome.message);
  }

  void abort_everything(const std::string& why) {
    for (auto& [easy, job] : running_) {
      end_attempt(*job);
      finish(*job, ErrorKind::kAborted, why);
    }
    running_.clear();
    for (auto& [due, job] : waiting_) finish(*job, ErrorKind::kAborted, why);
    waiting_.clear();
    for (auto& [key, host] : hosts_) {
      for (auto& job : host.queue) finish(*job, ErrorKind::kAborted, why);
    }
    hosts_.clear();
  }

  // Hands the result over: exactly once per job.
  void finish(Job& job, ErrorKind error, std::string message) {
    job.result.error = error;
    job.result.error_message = std::move(message);
    if (error != ErrorKind::kNone) errors_++;
    body_bytes_ += job.result.body_bytes;
    completed_++;
    job.easy.reset();
    try {
      job.consumer->on_done(job.result);
    } catch (const std::exception& e) {
      spdlog::warn("fetch: on_done for {} threw: {}", job.request.url, e.what());
    } catch (...) {
      spdlog::warn("fetch: on_done for {} threw", job.request.url);
    }
  }

  Options options_;
  AddressAllowlist allowlist_;
  CURLM* multi_ = nullptr;
  std::mt19937 rng_;

  std::mutex mutex_;  // guards the four below
  std::vector<std::unique_ptr<Job>> inbox_;
  std::vector<std::unique_ptr<Job>> cancelled_inbox_;  // taken from the inbox by cancel_all()
  bool stop_ = false;
  bool cancel_ = false;

  // Loop-thread state.
  std::map<std::string, Host> hosts_;
  std::unordered_map<CURL*, std::unique_ptr<Job>> running_;
  std::multimap<Clock::time_point, std::unique_ptr<Job>> waiting_;

  std::atomic<std::int64_t> requests_{0}, completed_{0}, attempts_{0}, retries_{0}, errors_{0},
      wire_bytes_{0}, body_bytes_{0}, in_flight_{0};
  std::thread thread_;  // last: started when everything else exists
};

namespace {

// Collects a whole body for Client::get().
class CollectingConsumer : public BodyConsumer {
 public:
  bool on_data(std::span<const char> chunk) override {
    body_.append(chunk.data(), chunk.size());
    return true;
  }
  void on_done(const Result& result) override { done_.set_value(result); }
  std::future<Result> future() { return done_.get_future(); }
  std::string take_body() { return std::move(body_); }

 private:
  std::string body_;
  std::promise<Result> done_;
};

}  // namespace

Client::Client(Options options) : loop_(std::make_unique<Loop>(std::move(options))) {}

Client::~Client() = default;

void Client::submit(Request request, std::shared_ptr<BodyConsumer> consumer) {
  loop_->submit(std::move(request), std::move(consumer));
}

void Client::cancel_all() { loop_->cancel_all(); }

Client::Fetched Client::get(const std::string& url) { return get(Request{url, "", ""}); }

Client::Fetched Client::get(Request request) {
  auto consumer = std::make_shared<CollectingConsumer>();
  auto done = consumer->future();
  submit(std::move(request), consumer);
  Fetched fetched;
  fetched.result = done.get();
  fetched.body = consumer->take_body();
  return fetched;
}

Stats Client::stats() const { return loop_->stats(); }

}  // namespace scrapersky::fetch
