#include "db/postgres/pg_binary_cells.h"

#include <charconv>
#include <cstdint>
#include <cstring>
#include <limits>

#include "db/postgres/pg_types.h"
#include "db/timestamps.h"

namespace scrapersky::db::internal {
namespace {

// Network byte order.
template <typename T>
bool get(std::string_view bytes, T& value) {
  if (bytes.size() != sizeof(T)) return false;
  std::make_unsigned_t<T> bits = 0;
  for (const char c : bytes) bits = static_cast<decltype(bits)>((bits << 8) | static_cast<unsigned char>(c));
  value = static_cast<T>(bits);
  return true;
}

template <typename T>
bool decimal(std::string_view bytes, std::string& out) {
  T value{};
  if (!get(bytes, value)) return false;
  char buffer[24];
  const auto end = std::to_chars(buffer, buffer + sizeof(buffer), static_cast<std::int64_t>(value)).ptr;
  out.assign(buffer, end);
  return true;
}

template <typename Float, typename Bits>
bool shortest(std::string_view bytes, std::string& out) {
  Bits bits{};
  if (!get(bytes, bits)) return false;
  Float value;
  std::memcpy(&value, &bits, sizeof(value));
  char buffer[32];
  const auto end = std::to_chars(buffer, buffer + sizeof(buffer), value).ptr;
  out.assign(buffer, end);
  if (out == "inf") out = "Infinity";
  if (out == "-inf") out = "-Infinity";
  if (out == "nan" || out == "-nan") out = "NaN";
  return true;
}

bool uuid(std::string_view bytes, std::string& out) {
  if (bytes.size() != 16) return false;
  static constexpr char kHex[] = "0123456789abcdef";
  out.clear();
  for (std::size_t i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    const auto b = static_cast<unsigned char>(bytes[i]);
    out += kHex[b >> 4];
    out += kHex[b & 0xf];
  }
  return true;
}

// 2000-01-01T00:00:00Z, PostgreSQL's epoch, in unix seconds.
constexpr std::int64_t kPostgresEpoch = 946'684'800;

bool timestamp(std::string_view bytes, std::string& out) {
  std::int64_t micros = 0;
  if (!get(bytes, micros)) return false;
  if (micros == std::numeric_limits<std::int64_t>::max()) {
    out = "infinity";
    return true;
  }
  if (micros == std::numeric_limits<std::int64_t>::min()) {
    out = "-infinity";
    return true;
  }
  std::int64_t seconds = micros / 1'000'000;
  if (micros % 1'000'000 < 0) --seconds;  // fractions dropped towards the past, as in text
  seconds += kPostgresEpoch;
  if (!utc_seconds_in_range(seconds)) return false;
  out.clear();
  append_utc_seconds(out, seconds);
  return true;
}

}  // namespace

bool binary_cell_is_text(unsigned type) {
  switch (type) {
    case kText: case kVarchar: case kBpchar: case kJson: case kUnknown:
      return true;
    default:
      return false;
  }
}

bool render_binary_cell(unsigned type, std::string_view bytes, std::string& out) {
  switch (type) {
    case kText: case kVarchar: case kBpchar: case kJson: case kUnknown:
      out.assign(bytes);
      return true;
    case kJsonb:
      if (bytes.empty() || bytes.front() != 1) return false;  // version 1: text follows
      out.assign(bytes.substr(1));
      return true;
    case kUuid:
      return uuid(bytes, out);
    case kTimestamptz:
      return timestamp(bytes, out);
    case kInt2:
      return decimal<std::int16_t>(bytes, out);
    case kInt4:
      return decimal<std::int32_t>(bytes, out);
    case kInt8:
      return decimal<std::int64_t>(bytes, out);
    case kFloat4:
      return shortest<float, std::uint32_t>(bytes, out);
    case kFloat8:
      return shortest<double, std::uint64_t>(bytes, out);
    case kBool:
      if (bytes.size() != 1) return false;
      out = bytes.front() != 0 ? "t" : "f";
      return true;
    default:
      return false;
  }
}

}  // namespace scrapersky::db::internal
