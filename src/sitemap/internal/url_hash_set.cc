#include "sitemap/internal/url_hash_set.h"

#include <functional>

namespace scrapersky::sitemap::internal {

std::uint64_t hash_url(std::string_view url) {
  std::uint64_t h = std::hash<std::string_view>{}(url);
  // Mix so that both the shard bits (top) and the slot bits (bottom) are well spread.
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  return h == 0 ? 1 : h;
}

bool UrlHashSet::insert_into(Shard& shard, std::uint64_t hash) {
  const std::size_t mask = shard.slots.size() - 1;
  for (std::size_t i = hash & mask;; i = (i + 1) & mask) {
    if (shard.slots[i] == hash) return false;
    if (shard.slots[i] == 0) {
      shard.slots[i] = hash;
      ++shard.used;
      return true;
    }
  }
}

void UrlHashSet::grow(Shard& shard) {
  std::vector<std::uint64_t> old = std::move(shard.slots);
  shard.slots.assign(old.empty() ? 64 : old.size() * 2, 0);
  shard.used = 0;
  for (const std::uint64_t h : old) {
    if (h != 0) insert_into(shard, h);
  }
}

bool UrlHashSet::insert(std::string_view url) {
  const std::uint64_t h = hash_url(url);
  Shard& shard = shards_[h >> (64 - kShardBits)];
  // Keep the load under 3/4 so probes stay short.
  if ((shard.used + 1) * 4 > shard.slots.size() * 3) grow(shard);
  if (!insert_into(shard, h)) return false;
  ++size_;
  return true;
}

}  // namespace scrapersky::sitemap::internal
