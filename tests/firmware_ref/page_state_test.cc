// PageStateTable: boundaries of the 52-bit frame space, splitting and merging of runs, the
// canonical form (checked against a naive per-frame model in a randomized differential test),
// ForEachRun clipping, and the 1 TiB validation that must leave O(1) runs.
#include "svsm_ref/page_state.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <ostream>
#include <random>
#include <vector>

namespace svsm_ref {
namespace {

constexpr uint64_t kMaxU64 = std::numeric_limits<uint64_t>::max();
constexpr uint64_t kLastFrame = kFrameLimit - 1;

PageAttrs Validated4K() {
  return PageAttrs{.validated = true};
}
PageAttrs Validated2M() {
  return PageAttrs{.validated = true, .validated_2m = true};
}
PageAttrs Vmpl1ReadWrite() {
  PageAttrs attrs = Validated4K();
  attrs.perms[1] = kPermRead | kPermWrite;
  return attrs;
}
PageAttrs Vmsa() {
  return PageAttrs{.validated = true, .vmsa = true};
}

struct FrameRun {
  uint64_t first;
  uint64_t count;
  PageAttrs attrs;
  bool operator==(const FrameRun&) const = default;
};

std::ostream& operator<<(std::ostream& os, const FrameRun& run) {
  return os << "{first=" << run.first << " count=" << run.count
            << " validated=" << run.attrs.validated << " 2m=" << run.attrs.validated_2m
            << " vmsa=" << run.attrs.vmsa << " perms1=" << int{run.attrs.perms[1]} << "}";
}

std::vector<FrameRun> Runs(const PageStateTable& table, uint64_t first, uint64_t count) {
  std::vector<FrameRun> runs;
  table.ForEachRun(first, count, [&](uint64_t run_first, uint64_t run_count, const PageAttrs& a) {
    runs.push_back({run_first, run_count, a});
  });
  return runs;
}

// The whole space is covered by contiguous, non-empty runs, no two neighbours equal.
void ExpectCanonical(const PageStateTable& table) {
  const std::vector<FrameRun> runs = Runs(table, 0, kFrameLimit);
  ASSERT_EQ(runs.size(), table.RunCount());
  uint64_t next = 0;
  for (size_t i = 0; i < runs.size(); ++i) {
    EXPECT_EQ(runs[i].first, next) << "run " << i;
    EXPECT_GT(runs[i].count, 0u) << "run " << i;
    if (i > 0) {
      EXPECT_NE(runs[i].attrs, runs[i - 1].attrs) << "runs " << i - 1 << " and " << i;
    }
    next = runs[i].first + runs[i].count;
  }
  EXPECT_EQ(next, kFrameLimit);
}

TEST(PageStateTableTest, FreshTableIsOneDefaultRun) {
  PageStateTable table;
  EXPECT_EQ(table.RunCount(), 1u);
  EXPECT_GT(table.MemoryBytes(), 0u);
  EXPECT_EQ(table.Get(0), PageAttrs{});
  EXPECT_EQ(table.Get(kLastFrame), PageAttrs{});
  EXPECT_TRUE(table.AllEqual(0, kFrameLimit, PageAttrs{}));
  EXPECT_EQ(Runs(table, 0, kFrameLimit), (std::vector<FrameRun>{{0, kFrameLimit, PageAttrs{}}}));
}

TEST(PageStateTableTest, FramesBeyondTheLimitReadAsDefault) {
  PageStateTable table;
  table.Set(0, kMaxU64, Validated4K());
  EXPECT_EQ(table.Get(kLastFrame), Validated4K());
  EXPECT_EQ(table.Get(kFrameLimit), PageAttrs{});
  EXPECT_EQ(table.Get(kMaxU64), PageAttrs{});
}

TEST(PageStateTableTest, SetWithCountZeroChangesNothing) {
  PageStateTable table;
  table.Set(0, 0, Validated4K());
  table.Set(12345, 0, Validated4K());
  table.Set(kLastFrame, 0, Validated4K());
  EXPECT_EQ(table, PageStateTable{});
}

TEST(PageStateTableTest, SetsAndClearsFrameZero) {
  PageStateTable table;
  table.Set(0, 1, Validated4K());
  EXPECT_EQ(table.RunCount(), 2u);
  EXPECT_EQ(table.Get(0), Validated4K());
  EXPECT_EQ(table.Get(1), PageAttrs{});
  ExpectCanonical(table);
  table.Set(0, 1, PageAttrs{});
  EXPECT_EQ(table, PageStateTable{});
}

TEST(PageStateTableTest, SetsAndClearsTheLastFrame) {
  PageStateTable table;
  table.Set(kLastFrame, 1, Vmsa());
  EXPECT_EQ(table.RunCount(), 2u);
  EXPECT_EQ(table.Get(kLastFrame), Vmsa());
  EXPECT_EQ(table.Get(kLastFrame - 1), PageAttrs{});
  ExpectCanonical(table);
  table.Set(kLastFrame, 1, PageAttrs{});
  EXPECT_EQ(table, PageStateTable{});
}

TEST(PageStateTableTest, ClipsRangesPastTheLimit) {
  PageStateTable table;
  table.Set(kLastFrame - 1, 100, Validated4K());
  EXPECT_EQ(table.Get(kLastFrame - 2), PageAttrs{});
  EXPECT_EQ(table.Get(kLastFrame - 1), Validated4K());
  EXPECT_EQ(table.Get(kLastFrame), Validated4K());
  EXPECT_EQ(table.RunCount(), 2u);
  ExpectCanonical(table);

  // A count that wraps 64 bits also means "to the end of the space".
  PageStateTable wrapped;
  wrapped.Set(kLastFrame - 1, kMaxU64, Validated4K());
  EXPECT_EQ(wrapped, table);

  // Ranges starting at or past the limit are ignored.
  const PageStateTable before = table;
  table.Set(kFrameLimit, 5, Vmsa());
  table.Set(kMaxU64, kMaxU64, Vmsa());
  EXPECT_EQ(table, before);
}

TEST(PageStateTableTest, SettingTheWholeSpaceLeavesOneRun) {
  PageStateTable table;
  table.Set(10, 10, Vmsa());
  table.Set(1000, 5, Validated4K());
  table.Set(0, kFrameLimit, Validated2M());
  EXPECT_EQ(table.RunCount(), 1u);
  EXPECT_TRUE(table.AllEqual(0, kFrameLimit, Validated2M()));
  table.Set(0, kFrameLimit, PageAttrs{});
  EXPECT_EQ(table, PageStateTable{});
}

TEST(PageStateTableTest, SplitsARunAndMergesItBack) {
  PageStateTable table;
  table.Set(100, 10, Validated4K());
  EXPECT_EQ(table.RunCount(), 3u);
  table.Set(105, 1, Vmsa());  // splits the validated run in two
  EXPECT_EQ(table.RunCount(), 5u);
  EXPECT_EQ(Runs(table, 99, 12), (std::vector<FrameRun>{{99, 1, PageAttrs{}},
                                                        {100, 5, Validated4K()},
                                                        {105, 1, Vmsa()},
                                                        {106, 4, Validated4K()},
                                                        {110, 1, PageAttrs{}}}));
  ExpectCanonical(table);
  table.Set(105, 1, Validated4K());
  EXPECT_EQ(table.RunCount(), 3u);
  ExpectCanonical(table);
  table.Set(100, 10, PageAttrs{});
  EXPECT_EQ(table, PageStateTable{});
}

TEST(PageStateTableTest, FillingAGapMergesBothNeighbours) {
  PageStateTable table;
  table.Set(0, 10, Validated4K());
  table.Set(20, 10, Validated4K());
  EXPECT_EQ(table.RunCount(), 4u);
  table.Set(10, 10, Validated4K());
  EXPECT_EQ(table.RunCount(), 2u);
  EXPECT_EQ(Runs(table, 0, 31),
            (std::vector<FrameRun>{{0, 30, Validated4K()}, {30, 1, PageAttrs{}}}));
}

TEST(PageStateTableTest, OverwritingManyRunsReplacesThem) {
  PageStateTable table;
  for (uint64_t pfn = 0; pfn < 100; pfn += 2) table.Set(pfn, 1, Vmsa());
  EXPECT_EQ(table.RunCount(), 100u);
  table.Set(1, 97, Validated4K());  // swallows runs 1..97, keeps the Vmsa frames 0 and 98
  EXPECT_EQ(Runs(table, 0, 100),
            (std::vector<FrameRun>{
                {0, 1, Vmsa()}, {1, 97, Validated4K()}, {98, 1, Vmsa()}, {99, 1, PageAttrs{}}}));
  ExpectCanonical(table);
}

TEST(PageStateTableTest, SettingStateAlreadyHeldChangesNothing) {
  PageStateTable table;
  table.Set(0, 1000, Validated4K());
  const PageStateTable before = table;
  table.Set(10, 20, Validated4K());
  table.Set(1000, 1 << 20, PageAttrs{});
  EXPECT_EQ(table, before);
}

TEST(PageStateTableTest, EqualityIgnoresHowTheStateWasReached) {
  PageStateTable in_order;
  in_order.Set(0, 512, Validated2M());
  in_order.Set(512, 512, Validated2M());
  in_order.Set(1024, 1, Vmsa());

  PageStateTable piecemeal;
  piecemeal.Set(1024, 100, Vmsa());
  piecemeal.Set(700, 324, Validated2M());
  piecemeal.Set(1025, 99, PageAttrs{});
  for (uint64_t pfn = 0; pfn < 700; ++pfn) piecemeal.Set(pfn, 1, Validated2M());

  EXPECT_EQ(in_order, piecemeal);
  EXPECT_NE(in_order, PageStateTable{});
}

TEST(PageStateTableTest, AllEqualChecksEveryFrameOfTheRange) {
  PageStateTable table;
  table.Set(100, 10, Validated4K());
  EXPECT_TRUE(table.AllEqual(100, 10, Validated4K()));
  EXPECT_TRUE(table.AllEqual(103, 2, Validated4K()));
  EXPECT_FALSE(table.AllEqual(99, 10, Validated4K()));
  EXPECT_FALSE(table.AllEqual(101, 10, Validated4K()));
  EXPECT_TRUE(table.AllEqual(0, 100, PageAttrs{}));
  EXPECT_FALSE(table.AllEqual(0, 101, PageAttrs{}));
  EXPECT_TRUE(table.AllEqual(5, 0, Vmsa()));  // an empty range holds anything
}

TEST(PageStateTableTest, AllEqualTreatsFramesPastTheLimitAsDefault) {
  PageStateTable table;
  EXPECT_TRUE(table.AllEqual(kLastFrame, 2, PageAttrs{}));
  EXPECT_TRUE(table.AllEqual(kFrameLimit, 10, PageAttrs{}));
  EXPECT_TRUE(table.AllEqual(0, kMaxU64, PageAttrs{}));
  table.Set(kLastFrame, 1, Validated4K());
  EXPECT_TRUE(table.AllEqual(kLastFrame, 1, Validated4K()));
  EXPECT_FALSE(table.AllEqual(kLastFrame, 2, Validated4K()));
  EXPECT_FALSE(table.AllEqual(kFrameLimit, 1, Validated4K()));
  EXPECT_FALSE(table.AllEqual(kMaxU64, kMaxU64, Validated4K()));
}

TEST(PageStateTableTest, ForEachRunClipsRunsToTheRange) {
  PageStateTable table;
  table.Set(100, 100, Validated4K());
  EXPECT_EQ(Runs(table, 150, 100),
            (std::vector<FrameRun>{{150, 50, Validated4K()}, {200, 50, PageAttrs{}}}));
  EXPECT_EQ(Runs(table, 120, 10), (std::vector<FrameRun>{{120, 10, Validated4K()}}));
  EXPECT_EQ(Runs(table, 0, 1), (std::vector<FrameRun>{{0, 1, PageAttrs{}}}));
  EXPECT_EQ(Runs(table, kLastFrame - 9, 100),
            (std::vector<FrameRun>{{kLastFrame - 9, 10, PageAttrs{}}}));
  EXPECT_EQ(Runs(table, kLastFrame, kMaxU64),
            (std::vector<FrameRun>{{kLastFrame, 1, PageAttrs{}}}));
  EXPECT_TRUE(Runs(table, 100, 0).empty());
  EXPECT_TRUE(Runs(table, kFrameLimit, 10).empty());
  EXPECT_TRUE(Runs(table, kMaxU64, kMaxU64).empty());
}

TEST(PageStateTableTest, ValidatingOneTiBIn2MiBPagesLeavesTwoRuns) {
  constexpr uint64_t kTiBFrames = (uint64_t{1} << 40) >> kPageShift;
  PageStateTable table;
  for (uint64_t pfn = 0; pfn < kTiBFrames; pfn += kPagesPerLargePage) {
    table.Set(pfn, kPagesPerLargePage, Validated2M());
  }
  EXPECT_EQ(table.RunCount(), 2u);
  EXPECT_TRUE(table.AllEqual(0, kTiBFrames, Validated2M()));
  EXPECT_EQ(table.Get(kTiBFrames), PageAttrs{});
  EXPECT_EQ(table.MemoryBytes(), 2 * PageStateTable{}.MemoryBytes());
}

TEST(PageStateTableTest, MemoryBytesFollowsTheRunCount) {
  PageStateTable table;
  const size_t one_run = table.MemoryBytes();
  // An honest per-node estimate: at least the value and the tree's three pointers.
  EXPECT_GE(one_run, sizeof(uint64_t) + sizeof(PageAttrs) + 3 * sizeof(void*));
  for (uint64_t pfn = 0; pfn < 2000; pfn += 2) table.Set(pfn, 1, Validated4K());
  EXPECT_EQ(table.RunCount(), 2000u);
  EXPECT_EQ(table.MemoryBytes(), 2000 * one_run);
}

// Differential test against a per-frame vector over a small window, once at the bottom of the
// space and once at the top (where ranges may run past kFrameLimit). A small palette of
// attributes makes merges frequent.
class PageStateDifferentialTest : public ::testing::TestWithParam<uint64_t> {};

TEST_P(PageStateDifferentialTest, MatchesAPerFrameModel) {
  constexpr uint64_t kWindow = 160;
  const uint64_t base = GetParam();
  const bool at_top = base + kWindow == kFrameLimit;
  const std::vector<PageAttrs> palette = {PageAttrs{}, Validated4K(), Validated2M(),
                                          Vmpl1ReadWrite()};
  std::mt19937_64 rng(20240611);
  auto uniform = [&rng](uint64_t lo, uint64_t hi) {  // inclusive
    return std::uniform_int_distribution<uint64_t>(lo, hi)(rng);
  };

  PageStateTable table;
  std::vector<PageAttrs> model(kWindow);
  for (int step = 0; step < 4000; ++step) {
    const uint64_t offset = uniform(0, kWindow - 1);
    uint64_t count = uniform(0, kWindow - offset);
    // At the top of the space, sometimes run far past the limit (or wrap 64 bits).
    if (at_top && uniform(0, 7) == 0) count = uniform(0, 1) ? kWindow * 4 : kMaxU64 - offset;
    const PageAttrs& attrs = palette[uniform(0, palette.size() - 1)];
    table.Set(base + offset, count, attrs);
    for (uint64_t i = offset; i < kWindow && i - offset < count; ++i) model[i] = attrs;

    for (uint64_t i = 0; i < kWindow; ++i) {
      ASSERT_EQ(table.Get(base + i), model[i]) << "step " << step << " frame " << base + i;
    }

    // Runs the model implies, including the default frames outside the window.
    size_t expected_runs = 1;
    for (uint64_t i = 1; i < kWindow; ++i) expected_runs += model[i] != model[i - 1];
    expected_runs += at_top ? model.front() != PageAttrs{} : model.back() != PageAttrs{};
    ASSERT_EQ(table.RunCount(), expected_runs) << "step " << step;

    // ForEachRun and AllEqual over a random sub-range of the window.
    const uint64_t q_offset = uniform(0, kWindow - 1);
    const uint64_t q_count = uniform(0, kWindow - q_offset);
    std::vector<FrameRun> expected;
    for (uint64_t i = q_offset; i < q_offset + q_count; ++i) {
      if (!expected.empty() && expected.back().attrs == model[i]) {
        ++expected.back().count;
      } else {
        expected.push_back({base + i, 1, model[i]});
      }
    }
    ASSERT_EQ(Runs(table, base + q_offset, q_count), expected) << "step " << step;
    const PageAttrs& probe = palette[uniform(0, palette.size() - 1)];
    const bool model_all_equal =
        expected.empty() || (expected.size() == 1 && expected[0].attrs == probe);
    ASSERT_EQ(table.AllEqual(base + q_offset, q_count, probe), model_all_equal) << "step " << step;

    if (step % 200 == 0) ExpectCanonical(table);
  }
  ExpectCanonical(table);
}

INSTANTIATE_TEST_SUITE_P(Windows, PageStateDifferentialTest,
                         ::testing::Values(uint64_t{0}, kFrameLimit - 160),
                         [](const ::testing::TestParamInfo<uint64_t>& info) {
                           return info.param == 0 ? "BottomOfSpace" : "TopOfSpace";
                         });

}  // namespace
}  // namespace svsm_ref
