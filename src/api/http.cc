#include "api/http.h"

#include <algorithm>
#include <cctype>

namespace scrapersky::api {
namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](unsigned char x, unsigned char y) {
           return std::tolower(x) == std::tolower(y);
         });
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

bool CaseInsensitiveLess::operator()(std::string_view a, std::string_view b) const {
  return std::lexicographical_compare(
      a.begin(), a.end(), b.begin(), b.end(),
      [](unsigned char x, unsigned char y) { return std::tolower(x) < std::tolower(y); });
}

void Headers::add(std::string_view name, std::string_view value) {
  const auto it = fields_.find(name);
  if (it == fields_.end()) {
    fields_.emplace(std::string(name), std::string(value));
  } else {
    it->second += ", ";
    it->second += value;
  }
}

std::optional<std::string_view> Headers::get(std::string_view name) const {
  const auto it = fields_.find(name);
  if (it == fields_.end()) return std::nullopt;
  return std::string_view(it->second);
}

std::string percent_decode(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '%' && i + 2 < text.size()) {
      const int hi = hex_value(text[i + 1]);
      const int lo = hex_value(text[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
        continue;
      }
    }
    out += (plus_is_space && c == '+') ? ' ' : c;
  }
  return out;
}

void Request::set_target(std::string_view new_target) {
  target = std::string(new_target);
  const auto question = new_target.find('?');
  path = std::string(new_target.substr(0, question));
  query.clear();
  query_all.clear();
  if (question == std::string_view::npos) return;
  std::string_view rest = new_target.substr(question + 1);
  if (const auto hash = rest.find('#'); hash != std::string_view::npos) rest = rest.substr(0, hash);
  while (!rest.empty()) {
    const auto amp = rest.find('&');
    const std::string_view pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view{} : rest.substr(amp + 1);
    if (pair.empty()) continue;
    const auto eq = pair.find('=');
    std::string name = percent_decode(pair.substr(0, eq), true);
    std::string value =
        eq == std::string_view::npos ? std::string() : percent_decode(pair.substr(eq + 1), true);
    query.try_emplace(name, value);
    query_all.emplace_back(std::move(name), std::move(value));
  }
}

Response Response::json(int status, const nlohmann::json& value) {
  Response response;
  response.status = status;
  response.headers.emplace_back("Content-Type", "application/json");
  // Invalid UTF-8 in stored data must not turn a response into a 500.
  response.body = value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return response;
}

Response Response::empty(int status) {
  Response response;
  response.status = status;
  return response;
}

Response Response::text(int status, std::string body, std::string content_type) {
  Response response;
  response.status = status;
  response.headers.emplace_back("Content-Type", std::move(content_type));
  response.body = std::move(body);
  return response;
}

std::optional<std::string_view> Response::header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (iequals(key, name)) return std::string_view(value);
  }
  return std::nullopt;
}

void Response::set_header(std::string_view name, std::string value) {
  std::erase_if(headers, [&](const auto& field) { return iequals(field.first, name); });
  headers.emplace_back(std::string(name), std::move(value));
}

ApiError::ApiError(int status, std::string message, nlohmann::json detail)
    : std::runtime_error(message),
      status_(status),
      message_(std::move(message)),
      detail_(std::move(detail)) {}

namespace {

Response envelope(int status, std::string_view message, const nlohmann::json& detail) {
  return Response::json(status, {{"error", true},
                                 {"message", message},
                                 {"detail", detail.is_null() ? nlohmann::json(message) : detail},
                                 {"status_code", status}});
}

// A 503 says when to try again (RFC 9110 15.6.4), so clients and load balancers back off
// instead of hammering a process whose database is away.
void add_retry_after(Response& response, std::optional<int> seconds) {
  if (response.status != 503 || response.header("Retry-After")) return;
  response.headers.emplace_back("Retry-After",
                                std::to_string(seconds.value_or(kRetryAfterUnavailable)));
}

}  // namespace

Response error_response(int status, std::string_view message, const nlohmann::json& detail) {
  Response response = envelope(status, message, detail);
  add_retry_after(response, std::nullopt);
  return response;
}

Response error_response(const ApiError& error) {
  Response response = envelope(error.status(), error.message(), error.detail());
  for (const auto& header : error.headers) response.headers.push_back(header);
  add_retry_after(response, error.retry_after);
  return response;
}

}  // namespace scrapersky::api
