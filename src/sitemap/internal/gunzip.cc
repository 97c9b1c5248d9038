#include "sitemap/internal/gunzip.h"

#include <stdexcept>

namespace scrapersky::sitemap::internal {

GzipInflater::GzipInflater() : out_(std::make_unique<std::array<char, 65536>>()) {
  // 16 + MAX_WBITS: gzip wrapper only (zlib/raw deflate bodies are not gzip).
  if (inflateInit2(&stream_, 16 + MAX_WBITS) != Z_OK) throw std::bad_alloc();
}

GzipInflater::~GzipInflater() { inflateEnd(&stream_); }

GzipInflater::Status GzipInflater::inflate_some(std::span<const char>& input, const Sink& sink) {
  stream_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(input.data()));
  stream_.avail_in = static_cast<uInt>(input.size());
  for (;;) {
    stream_.next_out = reinterpret_cast<Bytef*>(out_->data());
    stream_.avail_out = static_cast<uInt>(out_->size());
    const int rc = inflate(&stream_, Z_NO_FLUSH);
    const std::size_t produced = out_->size() - stream_.avail_out;
    // Output produced before an error is clean data: hand it over first.
    if (produced > 0 && !sink(std::span<const char>(out_->data(), produced))) {
      return Status::kStopped;
    }
    if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR) return Status::kCorrupt;
    if (rc == Z_STREAM_END) {
      state_ = State::kBetweenMembers;
      break;
    }
    if (stream_.avail_in == 0 && stream_.avail_out != 0) break;  // needs more input
    if (rc == Z_BUF_ERROR && produced == 0) break;
  }
  input = input.subspan(input.size() - stream_.avail_in);
  return Status::kOk;
}

GzipInflater::Status GzipInflater::feed(std::span<const char> compressed, const Sink& sink) {
  while (!compressed.empty()) {
    switch (state_) {
      case State::kTrailingGarbage:
        return Status::kOk;  // bytes after the last member are ignored, as gzip(1) does
      case State::kInMember: {
        const Status status = inflate_some(compressed, sink);
        if (status != Status::kOk) return status;
        // zlib stopped inside a member without taking all input: it made no progress.
        if (state_ == State::kInMember && !compressed.empty()) return Status::kCorrupt;
        break;
      }
      case State::kBetweenMembers: {
        const auto byte = static_cast<unsigned char>(compressed.front());
        if (!has_pending_magic_) {
          if (byte != 0x1f) {
            state_ = State::kTrailingGarbage;
            break;
          }
          has_pending_magic_ = true;
          pending_magic_ = byte;
          compressed = compressed.subspan(1);
          break;
        }
        has_pending_magic_ = false;
        if (byte != 0x8b) {
          state_ = State::kTrailingGarbage;
          break;
        }
        // A new member: replay its two magic bytes into a reset stream.
        inflateReset(&stream_);
        state_ = State::kInMember;
        static constexpr char kMagic[2] = {'\x1f', '\x8b'};
        std::span<const char> magic(kMagic, 2);
        const Status status = inflate_some(magic, sink);
        if (status != Status::kOk) return status;
        compressed = compressed.subspan(1);
        break;
      }
    }
  }
  return Status::kOk;
}

}  // namespace scrapersky::sitemap::internal
