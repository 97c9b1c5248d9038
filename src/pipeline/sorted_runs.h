#pragma once
// Sorting input that is mostly in order already: a writer's unit is a few batches that each
// arrive sorted from the crawl's thread (crawl_writer.h), so merging those runs is a few linear
// passes instead of a sort.
#include <algorithm>
#include <cstddef>
#include <vector>

namespace scrapersky::pipeline {

// Sorts [first, last) by `less` by merging the runs already in order, pairwise, bottom up.
// Input with more than 64 runs is sorted outright (std::sort). Not stable.
template <typename It, typename Less>
void merge_sorted_runs(It first, It last, Less less) {
  constexpr std::size_t kMaxRuns = 64;
  std::vector<It> bounds{first};  // run i is [bounds[i], bounds[i + 1])
  for (It it = first; it != last;) {
    it = std::is_sorted_until(it, last, less);
    bounds.push_back(it);
    if (bounds.size() > kMaxRuns + 1) {
      std::sort(first, last, less);
      return;
    }
  }
  while (bounds.size() > 2) {
    std::vector<It> merged{bounds.front()};
    std::size_t i = 0;
    for (; i + 2 < bounds.size(); i += 2) {
      std::inplace_merge(bounds[i], bounds[i + 1], bounds[i + 2], less);
      merged.push_back(bounds[i + 2]);
    }
    if (i + 1 < bounds.size()) merged.push_back(bounds.back());  // an odd run, carried up
    bounds = std::move(merged);
  }
}

}  // namespace scrapersky::pipeline
