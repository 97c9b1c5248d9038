// pipeline::merge_sorted_runs: the writer's key order for units made of sorted batches.
#include "pipeline/sorted_runs.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace scrapersky::pipeline {
namespace {

// `runs` sorted runs of random strings, concatenated.
std::vector<std::string> runs_of(int runs, int each, std::mt19937& rng) {
  std::vector<std::string> out;
  for (int r = 0; r < runs; ++r) {
    std::vector<std::string> run;
    for (int i = 0; i < each; ++i) run.push_back(std::to_string(rng() % 100000));
    std::sort(run.begin(), run.end());
    out.insert(out.end(), run.begin(), run.end());
  }
  return out;
}

TEST(MergeSortedRuns, SortsAnyNumberOfSortedRunsLikeASort) {
  std::mt19937 rng(20261203);
  for (const int runs : {0, 1, 2, 3, 5, 8, 64, 65, 300}) {
    SCOPED_TRACE(runs);
    auto rows = runs_of(runs, 37, rng);
    auto expected = rows;
    std::sort(expected.begin(), expected.end());
    merge_sorted_runs(rows.begin(), rows.end(), std::less<>());
    EXPECT_EQ(rows, expected);
  }
}

TEST(MergeSortedRuns, LeavesSortedInputAsItIsAndSortsReversedInput) {
  std::vector<int> sorted{1, 2, 2, 3, 9};
  merge_sorted_runs(sorted.begin(), sorted.end(), std::less<>());
  EXPECT_EQ(sorted, (std::vector<int>{1, 2, 2, 3, 9}));
  std::vector<int> reversed;
  for (int i = 200; i > 0; --i) reversed.push_back(i);  // 200 runs of one
  merge_sorted_runs(reversed.begin(), reversed.end(), std::less<>());
  EXPECT_TRUE(std::is_sorted(reversed.begin(), reversed.end()));
  EXPECT_EQ(reversed.size(), 200u);
}

}  // namespace
}  // namespace scrapersky::pipeline
