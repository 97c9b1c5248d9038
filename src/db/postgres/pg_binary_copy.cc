#include "db/postgres/pg_binary_copy.h"

#include <bit>
#include <cstring>
#include <limits>

#include <fmt/format.h>

#include "db/errors.h"
#include "db/postgres/pg_types.h"

namespace scrapersky::db::internal {
namespace {

bool encodable(unsigned type) {
  switch (type) {
    case kBool: case kInt8: case kInt2: case kInt4: case kText: case kJson: case kFloat4:
    case kFloat8: case kVarchar: case kTimestamp: case kTimestamptz: case kUuid: case kJsonb:
      return true;
    default:
      return false;
  }
}

// Network byte order.
template <typename T>
void put(std::string& out, T value) {
  using U = std::make_unsigned_t<T>;
  auto bits = static_cast<U>(value);
  char bytes[sizeof(T)];
  for (std::size_t i = 0; i < sizeof(T); ++i) {
    bytes[sizeof(T) - 1 - i] = static_cast<char>(bits & 0xff);
    bits = static_cast<U>(bits >> 8);
  }
  out.append(bytes, sizeof(T));
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// 2000-01-01T00:00:00Z, PostgreSQL's epoch, in unix seconds.
constexpr std::int64_t kPostgresEpoch = 946'684'800;

}  // namespace

BinaryCopyEncoder::BinaryCopyEncoder(std::vector<Column> columns) : columns_(std::move(columns)) {
  for (const auto& c : columns_) {
    if (!encodable(c.type)) {
      throw Error("0A000", fmt::format("a binary bulk write cannot encode column '{}' (type oid {})",
                                       c.name, c.type));
    }
  }
}

void BinaryCopyEncoder::header(std::string& out) {
  out.append("PGCOPY\n\377\r\n\0", 11);
  put<std::int32_t>(out, 0);  // flags
  put<std::int32_t>(out, 0);  // header extension length
}

void BinaryCopyEncoder::trailer(std::string& out) { put<std::int16_t>(out, -1); }

void BinaryCopyEncoder::row_start(std::string& out) const {
  put<std::int16_t>(out, static_cast<std::int16_t>(columns_.size()));
}

void BinaryCopyEncoder::mismatch(std::size_t column, const char* given) const {
  throw Error("22023", fmt::format("a binary bulk write got {} for column '{}' (type oid {})", given,
                                   columns_.at(column).name, columns_.at(column).type));
}

void BinaryCopyEncoder::text(std::string& out, std::size_t column, std::string_view value) const {
  switch (columns_.at(column).type) {
    case kText: case kVarchar: case kJson:
      put<std::int32_t>(out, static_cast<std::int32_t>(value.size()));
      out.append(value);
      return;
    case kJsonb:
      put<std::int32_t>(out, static_cast<std::int32_t>(value.size() + 1));
      out += '\1';  // jsonb's binary version
      out.append(value);
      return;
    case kUuid: {
      char bytes[16] = {};
      std::size_t digits = 0;
      bool valid = true;
      for (const char c : value) {
        if (c == '-') continue;
        const int v = hex_value(c);
        if (v < 0 || digits == 32) {
          valid = false;
          break;
        }
        bytes[digits / 2] = static_cast<char>(digits % 2 == 0 ? v << 4 : bytes[digits / 2] | v);
        ++digits;
      }
      if (!valid || digits != 32) {
        throw Error("22P02", fmt::format("invalid input syntax for type uuid: \"{}\"", value));
      }
      put<std::int32_t>(out, 16);
      out.append(bytes, 16);
      return;
    }
    default:
      mismatch(column, "text");
  }
}

void BinaryCopyEncoder::null(std::string& out) { put<std::int32_t>(out, -1); }

void BinaryCopyEncoder::integer(std::string& out, std::size_t column, std::int64_t value) const {
  const auto fits = [&](auto limit) {
    using L = decltype(limit);
    if (value < std::numeric_limits<L>::min() || value > std::numeric_limits<L>::max()) {
      throw Error("22003", fmt::format("{} is out of range for column '{}'", value, columns_[column].name));
    }
  };
  switch (columns_.at(column).type) {
    case kInt2:
      fits(std::int16_t{});
      put<std::int32_t>(out, 2);
      put<std::int16_t>(out, static_cast<std::int16_t>(value));
      return;
    case kInt4:
      fits(std::int32_t{});
      put<std::int32_t>(out, 4);
      put<std::int32_t>(out, static_cast<std::int32_t>(value));
      return;
    case kInt8:
      put<std::int32_t>(out, 8);
      put<std::int64_t>(out, value);
      return;
    default:
      mismatch(column, "an integer");
  }
}

void BinaryCopyEncoder::real(std::string& out, std::size_t column, double value) const {
  switch (columns_.at(column).type) {
    case kFloat4:
      put<std::int32_t>(out, 4);
      put<std::uint32_t>(out, std::bit_cast<std::uint32_t>(static_cast<float>(value)));
      return;
    case kFloat8:
      put<std::int32_t>(out, 8);
      put<std::uint64_t>(out, std::bit_cast<std::uint64_t>(value));
      return;
    default:
      mismatch(column, "a real number");
  }
}

void BinaryCopyEncoder::boolean(std::string& out, std::size_t column, bool value) const {
  if (columns_.at(column).type != kBool) mismatch(column, "a boolean");
  put<std::int32_t>(out, 1);
  out += value ? '\1' : '\0';
}

void BinaryCopyEncoder::utc_seconds(std::string& out, std::size_t column,
                                    std::int64_t unix_seconds) const {
  const auto type = columns_.at(column).type;
  if (type != kTimestamptz && type != kTimestamp) mismatch(column, "an instant");
  put<std::int32_t>(out, 8);
  put<std::int64_t>(out, (unix_seconds - kPostgresEpoch) * 1'000'000);
}

}  // namespace scrapersky::db::internal
