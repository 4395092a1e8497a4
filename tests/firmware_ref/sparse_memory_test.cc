// SparseMemory: absent pages read as zeros and cost nothing, accesses crossing pages, Zero of
// partial and whole pages, ResidentPages accounting, the bounds of the 52-bit address space,
// and a randomized differential test against a flat byte array.
#include "svsm_ref/sparse_memory.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <random>
#include <span>
#include <vector>

namespace svsm_ref {
namespace {

constexpr uint64_t kMaxU64 = std::numeric_limits<uint64_t>::max();

std::vector<uint8_t> Pattern(size_t size, uint8_t seed = 1) {
  std::vector<uint8_t> bytes(size);
  for (size_t i = 0; i < size; ++i) bytes[i] = static_cast<uint8_t>(seed + i * 7) | 1;  // no 0
  return bytes;
}

std::vector<uint8_t> ReadBack(const SparseMemory& memory, uint64_t gpa, size_t size) {
  std::vector<uint8_t> out(size, 0xAA);  // poison, so a read that skips bytes shows
  EXPECT_TRUE(memory.Read(gpa, out));
  return out;
}

TEST(SparseMemoryTest, FreshMemoryReadsZerosAndHoldsNothing) {
  SparseMemory memory;
  EXPECT_EQ(ReadBack(memory, 0x1234, 3 * kPageSize), std::vector<uint8_t>(3 * kPageSize, 0));
  EXPECT_EQ(ReadBack(memory, kAddressLimit - 16, 16), std::vector<uint8_t>(16, 0));
  EXPECT_EQ(memory.ResidentPages(), 0u);
  EXPECT_EQ(memory.MemoryBytes(), 0u);
}

TEST(SparseMemoryTest, WritesAndReadsWithinOnePage) {
  SparseMemory memory;
  const std::vector<uint8_t> data = Pattern(100);
  ASSERT_TRUE(memory.Write(0x5010, data));
  EXPECT_EQ(memory.ResidentPages(), 1u);
  EXPECT_EQ(ReadBack(memory, 0x5010, 100), data);
  EXPECT_EQ(ReadBack(memory, 0x5000, 0x10), std::vector<uint8_t>(0x10, 0));
  EXPECT_EQ(ReadBack(memory, 0x5074, 0x10), std::vector<uint8_t>(0x10, 0));
}

TEST(SparseMemoryTest, WritesAndReadsAcrossPages) {
  SparseMemory memory;
  const std::vector<uint8_t> data = Pattern(3 * kPageSize);
  ASSERT_TRUE(memory.Write(0x1800, data));  // 0x1800..0x4800: frames 1..4
  EXPECT_EQ(memory.ResidentPages(), 4u);
  EXPECT_EQ(ReadBack(memory, 0x1800, data.size()), data);

  // A read that starts before and ends after the written bytes, over absent pages too.
  const std::vector<uint8_t> wide = ReadBack(memory, 0, 6 * kPageSize);
  for (size_t i = 0; i < wide.size(); ++i) {
    const bool written = i >= 0x1800 && i < 0x4800;
    ASSERT_EQ(wide[i], written ? data[i - 0x1800] : 0) << "offset " << i;
  }
}

TEST(SparseMemoryTest, WritingZerosToAbsentPagesStoresNothing) {
  SparseMemory memory;
  ASSERT_TRUE(memory.Write(0x10000, std::vector<uint8_t>(4 * kPageSize, 0)));
  EXPECT_EQ(memory.ResidentPages(), 0u);

  // Zeros on one page, data on the next: only the second is stored.
  std::vector<uint8_t> mixed(2 * kPageSize, 0);
  mixed[kPageSize + 5] = 0x42;
  ASSERT_TRUE(memory.Write(0x20000, mixed));
  EXPECT_EQ(memory.ResidentPages(), 1u);
  EXPECT_EQ(ReadBack(memory, 0x20000, mixed.size()), mixed);
}

TEST(SparseMemoryTest, WritingZerosOverDataClearsIt) {
  SparseMemory memory;
  ASSERT_TRUE(memory.Write(0x3000, Pattern(kPageSize)));
  ASSERT_TRUE(memory.Write(0x3100, std::vector<uint8_t>(0x100, 0)));
  const std::vector<uint8_t> page = ReadBack(memory, 0x3000, kPageSize);
  EXPECT_EQ(std::vector<uint8_t>(page.begin() + 0x100, page.begin() + 0x200),
            std::vector<uint8_t>(0x100, 0));
  EXPECT_NE(page[0xFF], 0);
  EXPECT_NE(page[0x200], 0);
}

TEST(SparseMemoryTest, ZeroDropsWholePagesAndClearsPartialOnes) {
  SparseMemory memory;
  ASSERT_TRUE(memory.Write(0, std::vector<uint8_t>(10 * kPageSize, 0xFF)));
  ASSERT_EQ(memory.ResidentPages(), 10u);

  ASSERT_TRUE(memory.Zero(0x800, 4 * kPageSize));  // 0x800..0x4800: frames 1..3 whole
  EXPECT_EQ(memory.ResidentPages(), 7u);
  const std::vector<uint8_t> all = ReadBack(memory, 0, 10 * kPageSize);
  for (size_t i = 0; i < all.size(); ++i) {
    const bool zeroed = i >= 0x800 && i < 0x4800;
    ASSERT_EQ(all[i], zeroed ? 0 : 0xFF) << "offset " << i;
  }
}

TEST(SparseMemoryTest, ZeroInsideOnePageKeepsThePage) {
  SparseMemory memory;
  ASSERT_TRUE(memory.Write(0x7000, std::vector<uint8_t>(kPageSize, 0xFF)));
  ASSERT_TRUE(memory.Zero(0x7010, 0x20));
  EXPECT_EQ(memory.ResidentPages(), 1u);
  const std::vector<uint8_t> page = ReadBack(memory, 0x7000, kPageSize);
  for (size_t i = 0; i < page.size(); ++i) {
    ASSERT_EQ(page[i], (i >= 0x10 && i < 0x30) ? 0 : 0xFF) << "offset " << i;
  }
}

TEST(SparseMemoryTest, ZeroStraddlingOneBoundaryClearsBothSides) {
  SparseMemory memory;
  ASSERT_TRUE(memory.Write(0x7000, std::vector<uint8_t>(2 * kPageSize, 0xFF)));
  ASSERT_TRUE(memory.Zero(0x7F00, 0x200));  // last 0x100 of frame 7, first 0x100 of frame 8
  EXPECT_EQ(memory.ResidentPages(), 2u);
  const std::vector<uint8_t> both = ReadBack(memory, 0x7000, 2 * kPageSize);
  for (size_t i = 0; i < both.size(); ++i) {
    ASSERT_EQ(both[i], (i >= 0xF00 && i < 0x1100) ? 0 : 0xFF) << "offset " << i;
  }
}

TEST(SparseMemoryTest, ZeroOfAlignedPagesDropsExactlyThem) {
  SparseMemory memory;
  for (uint64_t pfn = 0; pfn < 8; ++pfn) ASSERT_TRUE(memory.Write(pfn * kPageSize, Pattern(1)));
  ASSERT_TRUE(memory.Zero(2 * kPageSize, 3 * kPageSize));
  EXPECT_EQ(memory.ResidentPages(), 5u);
  EXPECT_EQ(ReadBack(memory, 1 * kPageSize, 1), Pattern(1));
  EXPECT_EQ(ReadBack(memory, 2 * kPageSize, 1), std::vector<uint8_t>{0});
  EXPECT_EQ(ReadBack(memory, 5 * kPageSize, 1), Pattern(1));
}

TEST(SparseMemoryTest, ZeroOfAbsentPagesAllocatesNothing) {
  SparseMemory memory;
  ASSERT_TRUE(memory.Zero(0x123, 5 * kPageSize));
  ASSERT_TRUE(memory.Zero(0x10, 0x10));
  EXPECT_EQ(memory.ResidentPages(), 0u);
}

TEST(SparseMemoryTest, ZeroOfTheWholeSpaceDropsEverything) {
  SparseMemory memory;
  ASSERT_TRUE(memory.Write(0, Pattern(10)));
  ASSERT_TRUE(memory.Write(kAddressLimit - kPageSize, Pattern(10)));
  ASSERT_TRUE(memory.Zero(0, kAddressLimit));
  EXPECT_EQ(memory.ResidentPages(), 0u);
  EXPECT_EQ(memory.MemoryBytes(), 0u);
}

TEST(SparseMemoryTest, TheLastPageOfTheAddressSpaceIsUsable) {
  SparseMemory memory;
  const std::vector<uint8_t> data = Pattern(kPageSize);
  ASSERT_TRUE(memory.Write(kAddressLimit - kPageSize, data));
  EXPECT_EQ(ReadBack(memory, kAddressLimit - kPageSize, kPageSize), data);
  EXPECT_EQ(ReadBack(memory, kAddressLimit - 1, 1), std::vector<uint8_t>{data.back()});
  ASSERT_TRUE(memory.Zero(kAddressLimit - 1, 1));
  EXPECT_EQ(memory.ResidentPages(), 1u);
  ASSERT_TRUE(memory.Zero(kAddressLimit - kPageSize, kPageSize));
  EXPECT_EQ(memory.ResidentPages(), 0u);
}

TEST(SparseMemoryTest, RejectsRangesPastTheAddressLimitAndWritesNothing) {
  SparseMemory memory;
  const std::vector<uint8_t> two = Pattern(2);
  std::vector<uint8_t> out(2);
  EXPECT_FALSE(memory.Write(kAddressLimit - 1, two));
  EXPECT_FALSE(memory.Write(kAddressLimit, two));
  EXPECT_FALSE(memory.Read(kAddressLimit - 1, out));
  EXPECT_FALSE(memory.Read(kAddressLimit, out));
  EXPECT_FALSE(memory.Zero(kAddressLimit - 1, 2));
  EXPECT_FALSE(memory.Zero(0, kAddressLimit + 1));
  // A write that fails must not store its in-range part either.
  EXPECT_FALSE(memory.Write(kAddressLimit - kPageSize, Pattern(kPageSize + 1)));
  EXPECT_EQ(memory.ResidentPages(), 0u);
}

TEST(SparseMemoryTest, RejectsRangesThatWrap) {
  SparseMemory memory;
  ASSERT_TRUE(memory.Write(0, Pattern(16)));
  std::vector<uint8_t> out(4);
  EXPECT_FALSE(memory.Read(kMaxU64 - 1, out));
  EXPECT_FALSE(memory.Write(kMaxU64 - 1, Pattern(4)));
  EXPECT_FALSE(memory.Zero(kMaxU64 - 1, 4));
  EXPECT_FALSE(memory.Zero(1, kMaxU64));
  EXPECT_FALSE(memory.Zero(kMaxU64, kMaxU64));
  EXPECT_EQ(memory.ResidentPages(), 1u);
  EXPECT_EQ(ReadBack(memory, 0, 16), Pattern(16));  // the failed Zero left data alone
}

TEST(SparseMemoryTest, EmptyRangesSucceedInsideTheSpaceAndFailOutside) {
  SparseMemory memory;
  EXPECT_TRUE(memory.Read(0x1000, std::span<uint8_t>{}));
  EXPECT_TRUE(memory.Write(0x1000, std::span<const uint8_t>{}));
  EXPECT_TRUE(memory.Zero(0x1000, 0));
  EXPECT_TRUE(memory.Read(kAddressLimit - 1, std::span<uint8_t>{}));
  EXPECT_FALSE(memory.Read(kAddressLimit, std::span<uint8_t>{}));
  EXPECT_FALSE(memory.Write(kMaxU64, std::span<const uint8_t>{}));
  EXPECT_FALSE(memory.Zero(kAddressLimit, 0));
  EXPECT_EQ(memory.ResidentPages(), 0u);
}

TEST(SparseMemoryTest, MemoryBytesCountsEveryResidentPage) {
  SparseMemory memory;
  ASSERT_TRUE(memory.Write(0x1000, Pattern(1)));
  const size_t one_page = memory.MemoryBytes();
  EXPECT_GE(one_page, kPageSize);
  ASSERT_TRUE(memory.Write(0x40000000, Pattern(2 * kPageSize)));
  EXPECT_EQ(memory.ResidentPages(), 3u);
  EXPECT_EQ(memory.MemoryBytes(), 3 * one_page);
}

// Random writes (with runs of zeros), zeroes and reads over a 16-page window starting one page
// below a 2 MiB boundary, checked byte for byte against a flat array.
TEST(SparseMemoryTest, MatchesAFlatArrayUnderRandomOperations) {
  constexpr uint64_t kBase = kLargePageSize - kPageSize;
  constexpr uint64_t kWindow = 16 * kPageSize;
  std::mt19937_64 rng(7);
  auto uniform = [&rng](uint64_t lo, uint64_t hi) {  // inclusive
    return std::uniform_int_distribution<uint64_t>(lo, hi)(rng);
  };
  SparseMemory memory;
  std::vector<uint8_t> flat(kWindow, 0);
  for (int step = 0; step < 3000; ++step) {
    const uint64_t offset = uniform(0, kWindow - 1);
    const uint64_t size = uniform(0, std::min<uint64_t>(kWindow - offset, 3 * kPageSize));
    switch (uniform(0, 2)) {
      case 0: {
        std::vector<uint8_t> data(size);
        const bool zeros = uniform(0, 3) == 0;
        for (auto& b : data) b = zeros ? 0 : static_cast<uint8_t>(uniform(0, 255));
        ASSERT_TRUE(memory.Write(kBase + offset, data));
        std::copy(data.begin(), data.end(), flat.begin() + offset);
        break;
      }
      case 1:
        ASSERT_TRUE(memory.Zero(kBase + offset, size));
        std::fill_n(flat.begin() + offset, size, 0);
        break;
      default: {
        const std::vector<uint8_t> expected(flat.begin() + offset, flat.begin() + offset + size);
        ASSERT_EQ(ReadBack(memory, kBase + offset, size), expected) << "step " << step;
      }
    }
    ASSERT_LE(memory.ResidentPages(), kWindow / kPageSize);
  }
  EXPECT_EQ(ReadBack(memory, kBase, kWindow), flat);
  EXPECT_EQ(ReadBack(memory, kBase - kPageSize, kPageSize), std::vector<uint8_t>(kPageSize, 0));
  EXPECT_EQ(ReadBack(memory, kBase + kWindow, kPageSize), std::vector<uint8_t>(kPageSize, 0));
}

}  // namespace
}  // namespace svsm_ref
