#include "pipeline/content_hash.h"

#include <openssl/evp.h>

#include <stdexcept>

namespace scrapersky::pipeline {

struct ContentHash::Impl {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  std::string digest;  // set once hex() was called
  ~Impl() { EVP_MD_CTX_free(ctx); }
};

ContentHash::ContentHash() : impl_(std::make_unique<Impl>()) {
  if (impl_->ctx == nullptr || EVP_DigestInit_ex(impl_->ctx, EVP_sha256(), nullptr) != 1) {
    throw std::runtime_error("SHA-256 unavailable in libcrypto");
  }
}

ContentHash::~ContentHash() = default;

void ContentHash::update(std::span<const char> bytes) {
  if (!impl_->digest.empty() || bytes.empty()) return;
  EVP_DigestUpdate(impl_->ctx, bytes.data(), bytes.size());
}

std::string ContentHash::hex() {
  if (impl_->digest.empty()) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    EVP_DigestFinal_ex(impl_->ctx, md, &size);
    static constexpr char kHex[] = "0123456789abcdef";
    for (unsigned int i = 0; i < size; ++i) {
      impl_->digest += kHex[md[i] >> 4];
      impl_->digest += kHex[md[i] & 0x0f];
    }
  }
  return impl_->digest;
}

}  // namespace scrapersky::pipeline
