#pragma once
// Incremental gzip inflation of a body (all members of a multi-member file), for the parser.
#include <zlib.h>

#include <array>
#include <functional>
#include <memory>
#include <span>

namespace scrapersky::sitemap::internal {

class GzipInflater {
 public:
  // Receives inflated bytes; returns false to stop inflating.
  using Sink = std::function<bool(std::span<const char>)>;
  enum class Status { kOk, kStopped, kCorrupt };

  GzipInflater();
  ~GzipInflater();
  GzipInflater(const GzipInflater&) = delete;
  GzipInflater& operator=(const GzipInflater&) = delete;

  Status feed(std::span<const char> compressed, const Sink& sink);
  // True when the stream ended cleanly at a member boundary.
  bool ended_cleanly() const { return state_ != State::kInMember; }

 private:
  enum class State { kInMember, kBetweenMembers, kTrailingGarbage };
  Status inflate_some(std::span<const char>& input, const Sink& sink);

  z_stream stream_{};
  State state_ = State::kInMember;
  unsigned char pending_magic_ = 0;  // first byte of a possible next member
  bool has_pending_magic_ = false;
  std::unique_ptr<std::array<char, 65536>> out_;
};

}  // namespace scrapersky::sitemap::internal
