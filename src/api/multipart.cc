#include "api/multipart.h"

#include <algorithm>
#include <cctype>
#include <optional>

#include "api/validation.h"

namespace scrapersky::api {
namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// The value of `name` among `; name=value` parameters (quoted or not), case-insensitive name.
std::optional<std::string> header_parameter(std::string_view header, std::string_view name) {
  std::size_t pos = header.find(';');
  while (pos != std::string_view::npos) {
    std::string_view rest = trim(header.substr(pos + 1));
    const auto eq = rest.find('=');
    if (eq == std::string_view::npos) return std::nullopt;
    const std::string key = lower(trim(rest.substr(0, eq)));
    rest = trim(rest.substr(eq + 1));
    std::string value;
    std::size_t consumed = 0;
    if (!rest.empty() && rest.front() == '"') {
      std::size_t i = 1;
      for (; i < rest.size() && rest[i] != '"'; ++i) {
        if (rest[i] == '\\' && i + 1 < rest.size()) ++i;
        value += rest[i];
      }
      consumed = std::min(i + 1, rest.size());
    } else {
      consumed = std::min(rest.find(';'), rest.size());
      value = std::string(trim(rest.substr(0, consumed)));
    }
    if (key == name) return value;
    const std::size_t offset = static_cast<std::size_t>(rest.data() - header.data()) + consumed;
    pos = header.find(';', offset);
  }
  return std::nullopt;
}

ApiError malformed(std::string_view why) {
  return ApiError(400, "Malformed multipart/form-data body", std::string(why));
}

}  // namespace

std::vector<FormPart> parse_multipart(std::string_view content_type, std::string_view body) {
  if (lower(trim(content_type.substr(0, content_type.find(';')))) != "multipart/form-data") {
    throw malformed("Content-Type is not multipart/form-data");
  }
  const auto boundary = header_parameter(content_type, "boundary");
  if (!boundary || boundary->empty() || boundary->size() > 200) throw malformed("no boundary");
  const std::string delimiter = "--" + *boundary;

  std::vector<FormPart> parts;
  std::size_t pos = body.find(delimiter);
  if (pos == std::string_view::npos) throw malformed("no boundary in the body");
  while (true) {
    pos += delimiter.size();
    if (body.substr(pos, 2) == "--") return parts;  // closing delimiter
    // Skip transport padding and the CRLF after the delimiter.
    while (pos < body.size() && (body[pos] == ' ' || body[pos] == '\t')) ++pos;
    if (body.substr(pos, 2) != "\r\n") throw malformed("delimiter not followed by CRLF");
    pos += 2;
    const auto headers_end = body.find("\r\n\r\n", pos);
    if (headers_end == std::string_view::npos) throw malformed("truncated part headers");
    FormPart part;
    std::string_view headers = body.substr(pos, headers_end - pos);
    while (!headers.empty()) {
      const auto eol = headers.find("\r\n");
      const std::string_view line = headers.substr(0, eol);
      headers = eol == std::string_view::npos ? std::string_view{} : headers.substr(eol + 2);
      const auto colon = line.find(':');
      if (colon == std::string_view::npos) continue;
      const std::string name = lower(trim(line.substr(0, colon)));
      const std::string_view value = trim(line.substr(colon + 1));
      if (name == "content-disposition") {
        part.name = header_parameter(value, "name").value_or("");
        part.filename = header_parameter(value, "filename").value_or("");
      } else if (name == "content-type") {
        part.content_type = std::string(value);
      }
    }
    const std::size_t content_start = headers_end + 4;
    const auto next = body.find("\r\n" + delimiter, content_start);
    if (next == std::string_view::npos) throw malformed("truncated part (no closing boundary)");
    part.content = std::string(body.substr(content_start, next - content_start));
    parts.push_back(std::move(part));
    pos = next + 2;
  }
}

FormPart read_uploaded_file(const Request& request, std::string_view field) {
  const auto content_type = request.headers.get("Content-Type").value_or("");
  const auto missing = [&] {
    return validation_error({FieldError{nlohmann::json::array({"body", field}), "Field required",
                                        "missing", nullptr, nullptr}});
  };
  if (lower(trim(content_type.substr(0, content_type.find(';')))) != "multipart/form-data") {
    throw missing();
  }
  for (auto& part : parse_multipart(content_type, request.body)) {
    if (part.name == field) return std::move(part);
  }
  throw missing();
}

}  // namespace scrapersky::api
