#pragma once
// SHA-256 of a sitemap's decompressed body, fed as the body streams (libcrypto's EVP).
#include <memory>
#include <span>
#include <string>

namespace scrapersky::pipeline {

class ContentHash {
 public:
  ContentHash();
  ~ContentHash();
  ContentHash(const ContentHash&) = delete;
  ContentHash& operator=(const ContentHash&) = delete;

  void update(std::span<const char> bytes);
  // Lowercase hex of the digest; the hash takes no more bytes after it.
  std::string hex();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace scrapersky::pipeline
