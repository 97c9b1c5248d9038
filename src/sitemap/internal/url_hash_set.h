#pragma once
// Set of 64-bit URL hashes for duplicate detection in one file. Sharded open addressing:
// about 8 bytes / 0.6 load = ~13 bytes per URL, and growth rehashes one small shard at a time,
// so peak memory never doubles. A false "duplicate" needs a 64-bit hash collision
// (~3e-8 for a million URLs).
#include <cstdint>
#include <string_view>
#include <vector>

namespace scrapersky::sitemap::internal {

class UrlHashSet {
 public:
  // True if the URL was not in the set (and is now).
  bool insert(std::string_view url);
  std::size_t size() const { return size_; }

 private:
  static constexpr int kShardBits = 8;
  struct Shard {
    std::vector<std::uint64_t> slots;  // 0 = empty
    std::size_t used = 0;
  };
  static bool insert_into(Shard& shard, std::uint64_t hash);
  static void grow(Shard& shard);

  std::vector<Shard> shards_ = std::vector<Shard>(1u << kShardBits);
  std::size_t size_ = 0;
};

std::uint64_t hash_url(std::string_view url);

}  // namespace scrapersky::sitemap::internal
