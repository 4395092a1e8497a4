// SVSM_CORE_PVALIDATE (core.pvalidate.*, general.faulting-address, core.vmsa-is-svsm-memory).
#include "svsm_test_support.h"

namespace svsm_ref {
namespace {

using namespace svsm_ref::testing;  // NOLINT

// Default platform: boot-ram 0..16 MiB validated at launch; low-ram 16 MiB..2 GiB not
// validated (SVSM region 0x40000000 + 16 MiB inside it); shared RAM 0x80000000 + 16 MiB;
// a hole up to MMIO at 0xE0000000; high-ram 4..8 GiB.
constexpr uint64_t kList = 0x700000;    // boot-ram, two validated pages
constexpr uint64_t kLow = 0x1000000;    // first low-ram page (not validated)
constexpr uint64_t kLarge = 0x1200000;  // a 2 MiB frame in low-ram
constexpr uint64_t kShared = 0x80000000;
constexpr uint64_t kMmio = 0xE0000000;
constexpr uint64_t kHole = 0x90000000;

uint64_t V4k(uint64_t gpa, unsigned ignore_cf = 0) {
  return PvalidateEntryBits(gpa, 0, 1, ignore_cf);
}
uint64_t R4k(uint64_t gpa, unsigned ignore_cf = 0) {
  return PvalidateEntryBits(gpa, 0, 0, ignore_cf);
}
uint64_t V2m(uint64_t gpa, unsigned ignore_cf = 0) {
  return PvalidateEntryBits(gpa, 1, 1, ignore_cf);
}
uint64_t R2m(uint64_t gpa, unsigned ignore_cf = 0) {
  return PvalidateEntryBits(gpa, 1, 0, ignore_cf);
}

CallResult Pvalidate(ReferenceSvsm& s, uint64_t list = kList, size_t vcpu = 0) {
  const RegisterSet in = Regs(CoreRax(SVSM_CORE_PVALIDATE), list);
  CallResult r = Call(s, vcpu, in);
  EXPECT_TRUE(RegsKept(r, in));
  EXPECT_EQ(r.call_pending_after, 0);
  return r;
}

// Writes the list, runs it and checks code, rule and the resulting `next`.
void ExpectList(ReferenceSvsm& s, const std::vector<uint64_t>& entries, uint32_t code,
                const char* rule, uint16_t want_next, uint16_t next = 0) {
  WriteList(s, kList, entries, next);
  const CallResult r = Pvalidate(s);
  EXPECT_TRUE(IsResult(r, code, rule));
  EXPECT_EQ(ListNext(s, kList), want_next);
}

PageAttrs Granted(uint8_t vmpl, bool large) {
  return ReferenceSvsm::GrantedAttrs(vmpl, large);
}

// What the guest VMPL sees of a validated page: VMPL1..2 full access, VMPL3 none.
void ExpectGuestPage(const ReferenceSvsm& s, uint64_t gpa, bool large) {
  const PageAttrs a = s.PageStateAt(gpa);
  EXPECT_TRUE(a.validated) << std::hex << gpa;
  EXPECT_EQ(a.validated_2m, large);
  EXPECT_FALSE(a.vmsa);
  EXPECT_EQ(a.perms[1], kPermAll);
  EXPECT_EQ(a.perms[2], kPermAll);
  EXPECT_EQ(a.perms[3], kPermNone);
  EXPECT_TRUE(CanRead(s, 1, gpa));
  EXPECT_TRUE(CanRead(s, 2, gpa));
  EXPECT_FALSE(CanRead(s, 3, gpa));
}

void ExpectInvalidPage(const ReferenceSvsm& s, uint64_t gpa) {
  EXPECT_EQ(s.PageStateAt(gpa), PageAttrs{}) << std::hex << gpa;
  EXPECT_FALSE(CanRead(s, 1, gpa));
  EXPECT_FALSE(CanRead(s, 2, gpa));
  EXPECT_FALSE(CanRead(s, 3, gpa));
}

TEST(CorePvalidate, ListAlignment) {
  auto s = MakeSvsm();
  WriteList(*s, kList + 8, {V4k(kLow)});
  for (uint64_t off : {1, 2, 4, 7}) {
    EXPECT_TRUE(IsResult(Pvalidate(*s, kList + 8 + off), SVSM_ERR_INVALID_PARAMETER,
                         "core.pvalidate.alignment"));
  }
  ExpectInvalidPage(*s, kLow);
  EXPECT_TRUE(IsResult(Pvalidate(*s, kList + 8), SVSM_SUCCESS, "core.pvalidate.process-from-next"));
  ExpectGuestPage(*s, kLow, false);
}

TEST(CorePvalidate, EntriesZero) {
  auto s = MakeSvsm();
  WriteList(*s, kList, {V4k(kLow)}, /*next=*/0, /*count_override=*/0);
  EXPECT_TRUE(IsResult(Pvalidate(*s), SVSM_ERR_INVALID_PARAMETER, "core.pvalidate.entries-zero"));
  EXPECT_EQ(ListNext(*s, kList), 0);
  ExpectInvalidPage(*s, kLow);
}

// The list at page offset `offset` holds at most (4096 - offset - 8) / 8 entries.
void CheckListLimit(uint64_t offset) {
  const uint16_t max = static_cast<uint16_t>((kPageSize - offset - 8) / 8);
  const uint64_t list = kList + offset;
  {
    auto s = MakeSvsm();
    std::vector<uint64_t> entries;
    for (uint16_t i = 0; i < max; ++i) entries.push_back(V4k(kLow + i * kPageSize));
    WriteList(*s, list, entries);
    if (max == 0) return;
    EXPECT_TRUE(IsResult(Pvalidate(*s, list), SVSM_SUCCESS, "core.pvalidate.process-from-next"))
        << "offset " << offset;
    EXPECT_EQ(ListNext(*s, list), max);
    ExpectGuestPage(*s, kLow, false);
    ExpectGuestPage(*s, kLow + (max - 1) * kPageSize, false);
    ExpectInvalidPage(*s, kLow + max * kPageSize);
  }
  {
    auto s = MakeSvsm();
    std::vector<uint64_t> entries;
    for (uint16_t i = 0; i <= max; ++i) entries.push_back(V4k(kLow + i * kPageSize));
    WriteList(*s, list, entries);
    EXPECT_TRUE(IsResult(Pvalidate(*s, list), SVSM_ERR_INVALID_PARAMETER,
                         "core.pvalidate.list-crosses-page"))
        << "offset " << offset;
    EXPECT_EQ(ListNext(*s, list), 0);
    ExpectInvalidPage(*s, kLow);
  }
}

TEST(CorePvalidate, ListCrossesPageBoundaries) {
  CheckListLimit(0);      // 511 fit, 512 cross
  CheckListLimit(8);      // at CAA + 8 style offsets: 510 / 511
  CheckListLimit(0x800);  // 255 / 256
  CheckListLimit(0xFF0);  // 1 / 2
  CheckListLimit(0xFF8);  // 0 / 1: even one entry crosses
}

TEST(CorePvalidate, NextNotBelowEntries) {
  auto s = MakeSvsm();
  ExpectList(*s, {V4k(kLow), V4k(kLow + kPageSize)}, SVSM_ERR_INVALID_PARAMETER,
             "core.pvalidate.next-not-below-entries", /*want_next=*/2, /*next=*/2);
  ExpectList(*s, {V4k(kLow), V4k(kLow + kPageSize)}, SVSM_ERR_INVALID_PARAMETER,
             "core.pvalidate.next-not-below-entries", /*want_next=*/3, /*next=*/3);
  ExpectList(*s, {V4k(kLow), V4k(kLow + kPageSize)}, SVSM_ERR_INVALID_PARAMETER,
             "core.pvalidate.next-not-below-entries", /*want_next=*/0xFFFF, /*next=*/0xFFFF);
  ExpectInvalidPage(*s, kLow);
  ExpectInvalidPage(*s, kLow + kPageSize);
  // next = entries - 1 processes only the last entry.
  ExpectList(*s, {V4k(kMmio), V4k(kLow + kPageSize)}, SVSM_SUCCESS,
             "core.pvalidate.process-from-next", 2, /*next=*/1);
  ExpectInvalidPage(*s, kLow);
  ExpectGuestPage(*s, kLow + kPageSize, false);
}

TEST(CorePvalidate, EntryReservedBitsEach) {
  for (unsigned bit = 4; bit <= 11; ++bit) {
    auto s = MakeSvsm();
    ExpectList(*s,
               {V4k(kLow), V4k(kLow + kPageSize) | (uint64_t{1} << bit), V4k(kLow + 2 * kPageSize)},
               SVSM_ERR_INVALID_PARAMETER, "core.pvalidate.entry-reserved-bits", 1);
    ExpectGuestPage(*s, kLow, false);  // processed before the failing entry: stays processed
    ExpectInvalidPage(*s, kLow + kPageSize);
    ExpectInvalidPage(*s, kLow + 2 * kPageSize);
  }
}

TEST(CorePvalidate, EntryPageSize) {
  for (uint64_t size : {2, 3}) {
    auto s = MakeSvsm();
    ExpectList(*s, {V4k(kLow), V4k(kLow + kPageSize), (kLarge | 4 | size)},
               SVSM_ERR_INVALID_PARAMETER, "core.pvalidate.entry-page-size", 2);
    ExpectGuestPage(*s, kLow + kPageSize, false);
    ExpectInvalidPage(*s, kLarge);
  }
}

TEST(CorePvalidate, LargeEntryMisaligned) {
  for (uint64_t gpa : {kLarge + kPageSize, kLarge + 0x100000, kLarge + 0x1FF000}) {
    auto s = MakeSvsm();
    ExpectList(*s, {V4k(kLow), V2m(gpa)}, SVSM_ERR_INVALID_PARAMETER,
               "core.pvalidate.entry-gpa-alignment", 1);
    ExpectGuestPage(*s, kLow, false);
    ExpectInvalidPage(*s, gpa);
    ExpectInvalidPage(*s, kLarge);
  }
}

TEST(CorePvalidate, EntryNotGuestMemory) {
  auto s = MakeSvsm();
  for (uint64_t entry :
       {V4k(kHole), V4k(kMmio), V2m(kMmio), V4k(0x200000000), V2m(0x1FFE00000 + 0x200000),
        V4k(0xFFFFFFFFFFFFF000), V2m(0xFFFFFFFFFFE00000)}) {
    ExpectList(*s, {V4k(kLow, 1), entry}, SVSM_ERR_INVALID_ADDRESS,
               "core.pvalidate.entry-not-guest-memory", 1);
  }
  ExpectGuestPage(*s, kLow, false);
  // The last pages of high-ram are guest memory.
  ExpectList(*s, {V2m(0x1FFE00000), V4k(0x1FFDFF000)}, SVSM_SUCCESS,
             "core.pvalidate.process-from-next", 2);
  ExpectGuestPage(*s, 0x1FFFFF000, true);
}

TEST(CorePvalidate, SvsmRegionIsSvsmMemory) {
  auto s = MakeSvsm();
  const uint64_t base = s->config().svsm_base, end = base + s->config().svsm_size;
  for (uint64_t entry : {V4k(base), V4k(end - kPageSize), V2m(base), V2m(end - kLargePageSize),
                         R4k(base, 1), V4k(base, 1)}) {
    ExpectList(*s, {V4k(kLow, 1), entry}, SVSM_ERR_INVALID_ADDRESS,
               "core.pvalidate.entry-svsm-memory", 1);
  }
  // The region stays VMPL0-only and validated.
  EXPECT_TRUE(s->PageStateAt(base).validated);
  EXPECT_EQ(s->PageStateAt(base).perms[2], kPermNone);
  // Boundaries: the pages and 2 MiB frames just outside it are guest memory.
  ExpectList(*s, {V2m(base - kLargePageSize), V2m(end)}, SVSM_SUCCESS,
             "core.pvalidate.process-from-next", 2);
  ExpectGuestPage(*s, base - kPageSize, true);
  ExpectGuestPage(*s, end, true);
  ExpectList(*s, {R2m(base - kLargePageSize), R2m(end), V4k(base - kPageSize), V4k(end)},
             SVSM_SUCCESS, "core.pvalidate.process-from-next", 4);
  ExpectGuestPage(*s, base - kPageSize, false);
  ExpectGuestPage(*s, end, false);
}

TEST(CorePvalidate, LargeRangeWhoseTailIsSvsmMemory) {
  PlatformConfig config = DefaultPlatformConfig();
  config.svsm_base = 0x3FFFF000;   // the last 4 KiB of the 2 MiB frame at 0x3FE00000
  config.startup_vmsa = 0x9FF000;  // the last 4 KiB of the 2 MiB frame at 0x800000
  auto s = MakeSvsm(config);
  ASSERT_NE(s, nullptr);
  ExpectList(*s, {V4k(kLow), V2m(0x3FE00000)}, SVSM_ERR_INVALID_ADDRESS,
             "core.pvalidate.entry-svsm-memory", 1);
  ExpectInvalidPage(*s, 0x3FE00000);
  ExpectList(*s, {V4k(kLow + kPageSize), V2m(0x800000)}, SVSM_ERR_INVALID_ADDRESS,
             "core.pvalidate.entry-svsm-memory", 1);
  ExpectList(*s, {R2m(0x800000, 1)}, SVSM_ERR_INVALID_ADDRESS, "core.pvalidate.entry-svsm-memory",
             0);
  // 4 KiB just below the SVSM region is fine.
  ExpectList(*s, {V4k(0x3FFFE000)}, SVSM_SUCCESS, "core.pvalidate.process-from-next", 1);
}

TEST(CorePvalidate, ActiveVmsaIsSvsmMemory) {
  auto s = MakeSvsm();
  const uint64_t vmsa = s->config().startup_vmsa;
  ExpectList(*s, {V4k(kLow), R4k(vmsa)}, SVSM_ERR_INVALID_ADDRESS,
             "core.pvalidate.entry-svsm-memory", 1);
  ExpectList(*s, {V4k(vmsa, 1)}, SVSM_ERR_INVALID_ADDRESS, "core.pvalidate.entry-svsm-memory", 0);
  ExpectList(*s, {R2m(vmsa & ~(kLargePageSize - 1))}, SVSM_ERR_INVALID_ADDRESS,
             "core.pvalidate.entry-svsm-memory", 0);
  EXPECT_TRUE(s->PageStateAt(vmsa).vmsa);
  // A VMSA made by CREATE_VCPU at the tail of a 2 MiB frame.
  const uint64_t vmsa1 = kLarge - kPageSize;  // 0x11FF000, last page of the frame at 0x1000000
  ExpectList(*s, {V4k(vmsa1)}, SVSM_SUCCESS, "core.pvalidate.process-from-next", 1);
  WriteVmsaPage(*s, vmsa1, ValidVmsa(*s, 2));
  ASSERT_TRUE(IsResult(CoreCall(*s, 0, SVSM_CORE_CREATE_VCPU, vmsa1, 0x101000, 1), SVSM_SUCCESS,
                       "core.create-vcpu.vmsa-created"));
  ExpectList(*s, {V2m(0x1000000)}, SVSM_ERR_INVALID_ADDRESS, "core.pvalidate.entry-svsm-memory", 0);
  ExpectList(*s, {R4k(vmsa1)}, SVSM_ERR_INVALID_ADDRESS, "core.pvalidate.entry-svsm-memory", 0);
  EXPECT_TRUE(s->PageStateAt(vmsa1).vmsa);
  EXPECT_TRUE(s->PageStateAt(vmsa1).validated);
}

TEST(CorePvalidate, SharedMemoryFailInput) {
  auto s = MakeSvsm();
  ExpectList(*s, {V4k(kLow), V4k(kShared)}, SVSM_ERR_PVALIDATE_FAIL_INPUT,
             "core.pvalidate.instruction-failure", 1);
  ExpectList(*s, {V2m(kShared)}, SVSM_ERR_PVALIDATE_FAIL_INPUT,
             "core.pvalidate.instruction-failure", 0);
  ExpectList(*s, {R4k(kShared, 1)}, SVSM_ERR_PVALIDATE_FAIL_INPUT,
             "core.pvalidate.instruction-failure", 0);
  ExpectGuestPage(*s, kLow, false);
  EXPECT_EQ(s->PageStateAt(kShared), PageAttrs{});
}

TEST(CorePvalidate, SmallPagesOnlyRegionSizeMismatch) {
  PlatformConfig config = DefaultPlatformConfig();
  ASSERT_NE(RegionNamed(config, "low-ram"), nullptr);
  RegionNamed(config, "low-ram")->large_pages = false;
  auto s = MakeSvsm(config);
  ASSERT_NE(s, nullptr);
  ExpectList(*s, {V4k(kLow), V2m(kLarge)}, SVSM_ERR_PVALIDATE_FAIL_SIZEMISMATCH,
             "core.pvalidate.instruction-failure", 1);
  ExpectInvalidPage(*s, kLarge);
  // 4 KiB entries work there; 2 MiB entries elsewhere (high-ram) still work.
  ExpectList(*s, {V4k(kLarge), V2m(0x100000000)}, SVSM_SUCCESS, "core.pvalidate.process-from-next",
             2);
  ExpectGuestPage(*s, kLarge, false);
  ExpectGuestPage(*s, 0x100000000, true);
}

// Covers core.pvalidate.no-change (ignore_cf 0 and 1), core.pvalidate.rescind-revokes-access,
// core.pvalidate.validate-zeroes-page and core.pvalidate.validate-grants-access.
TEST(CorePvalidate, ValidateRescindRevalidateNoChange) {
  auto s = MakeSvsm();
  ExpectList(*s, {V4k(kLow)}, SVSM_SUCCESS, "core.pvalidate.process-from-next", 1);
  ExpectGuestPage(*s, kLow, false);
  GuestWriteU64(*s, kLow, 0x1122334455667788);
  // Validating again: no change (CF); ignore_cf 0 fails, 1 counts as done and changes nothing.
  ExpectList(*s, {V4k(kLow)}, SVSM_ERR_PVALIDATE_FAIL_NO_CHANGE, "core.pvalidate.no-change", 0);
  ExpectList(*s, {V4k(kLow + kPageSize), V4k(kLow)}, SVSM_ERR_PVALIDATE_FAIL_NO_CHANGE,
             "core.pvalidate.no-change", 1);
  ExpectList(*s, {V4k(kLow, 1), V4k(kLow + 2 * kPageSize)}, SVSM_SUCCESS,
             "core.pvalidate.process-from-next", 2);
  EXPECT_EQ(PhysU64(*s, kLow), 0x1122334455667788u);  // not zeroed again
  ExpectGuestPage(*s, kLow, false);
  ExpectGuestPage(*s, kLow + 2 * kPageSize, false);
  // Rescind: access revoked for every VMPL, not validated.
  ExpectList(*s, {R4k(kLow)}, SVSM_SUCCESS, "core.pvalidate.process-from-next", 1);
  ExpectInvalidPage(*s, kLow);
  ExpectList(*s, {R4k(kLow)}, SVSM_ERR_PVALIDATE_FAIL_NO_CHANGE, "core.pvalidate.no-change", 0);
  ExpectList(*s, {R4k(kLow, 1)}, SVSM_SUCCESS, "core.pvalidate.process-from-next", 1);
  ExpectInvalidPage(*s, kLow);
  // Re-validate: zeroed.
  ExpectList(*s, {V4k(kLow)}, SVSM_SUCCESS, "core.pvalidate.process-from-next", 1);
  ExpectGuestPage(*s, kLow, false);
  EXPECT_EQ(GuestReadBytes(*s, kLow, 8), std::vector<uint8_t>(8, 0));
}

// Covers core.pvalidate.validate-zeroes-page (4 KiB and 2 MiB).
TEST(CorePvalidate, ValidateZeroesThePage) {
  auto s = MakeSvsm();
  // A launch-validated page with data: rescind, re-validate, read zeros (first and last byte).
  const uint64_t page = 0x300000;
  GuestWriteBytes(*s, page, std::vector<uint8_t>(kPageSize, 0xAB));
  ExpectList(*s, {R4k(page)}, SVSM_SUCCESS, "core.pvalidate.process-from-next", 1);
  EXPECT_EQ(PhysByte(*s, page), 0xAB);  // rescinding does not zero
  ExpectList(*s, {V4k(page)}, SVSM_SUCCESS, "core.pvalidate.process-from-next", 1);
  EXPECT_EQ(GuestReadBytes(*s, page, kPageSize), std::vector<uint8_t>(kPageSize, 0));
  // 2 MiB: every byte of the frame is zeroed.
  ExpectList(*s, {V2m(kLarge)}, SVSM_SUCCESS, "core.pvalidate.process-from-next", 1);
  GuestWriteBytes(*s, kLarge, std::vector<uint8_t>(16, 0xCD));
  GuestWriteBytes(*s, kLarge + kLargePageSize - 16, std::vector<uint8_t>(16, 0xCD));
  ExpectList(*s, {R2m(kLarge)}, SVSM_SUCCESS, "core.pvalidate.process-from-next", 1);
  ExpectList(*s, {V2m(kLarge)}, SVSM_SUCCESS, "core.pvalidate.process-from-next", 1);
  EXPECT_EQ(GuestReadBytes(*s, kLarge, 16), std::vector<uint8_t>(16, 0));
  EXPECT_EQ(GuestReadBytes(*s, kLarge + kLargePageSize - 16, 16), std::vector<uint8_t>(16, 0));
}

TEST(CorePvalidate, LargePageStatesAndSizeMismatch) {
  auto s = MakeSvsm();
  ExpectList(*s, {V2m(kLarge)}, SVSM_SUCCESS, "core.pvalidate.process-from-next", 1);
  ExpectGuestPage(*s, kLarge, true);
  ExpectGuestPage(*s, kLarge + kLargePageSize - kPageSize, true);
  ExpectInvalidPage(*s, kLarge + kLargePageSize);
  // 4 KiB PVALIDATE inside a 2 MiB validated page: size mismatch (rescind and validate).
  ExpectList(*s, {V4k(kLow), R4k(kLarge + 5 * kPageSize)}, SVSM_ERR_PVALIDATE_FAIL_SIZEMISMATCH,
             "core.pvalidate.instruction-failure", 1);
  ExpectList(*s, {R4k(kLarge + 5 * kPageSize, 1)}, SVSM_ERR_PVALIDATE_FAIL_SIZEMISMATCH,
             "core.pvalidate.instruction-failure", 0);
  ExpectList(*s, {V4k(kLarge, 1)}, SVSM_ERR_PVALIDATE_FAIL_SIZEMISMATCH,
             "core.pvalidate.instruction-failure", 0);
  ExpectGuestPage(*s, kLarge + 5 * kPageSize, true);
  ExpectList(*s, {V2m(kLarge)}, SVSM_ERR_PVALIDATE_FAIL_NO_CHANGE, "core.pvalidate.no-change", 0);
  ExpectList(*s, {V2m(kLarge, 1)}, SVSM_SUCCESS, "core.pvalidate.process-from-next", 1);
  ExpectList(*s, {R2m(kLarge)}, SVSM_SUCCESS, "core.pvalidate.process-from-next", 1);
  ExpectInvalidPage(*s, kLarge);
  ExpectInvalidPage(*s, kLarge + kLargePageSize - kPageSize);
  ExpectList(*s, {R2m(kLarge)}, SVSM_ERR_PVALIDATE_FAIL_NO_CHANGE, "core.pvalidate.no-change", 0);
  // A 2 MiB frame holding 4 KiB-validated pages (mixed, or all): size mismatch.
  ExpectList(*s, {V4k(kLarge + kPageSize)}, SVSM_SUCCESS, "core.pvalidate.process-from-next", 1);
  ExpectList(*s, {V2m(kLarge)}, SVSM_ERR_PVALIDATE_FAIL_SIZEMISMATCH,
             "core.pvalidate.instruction-failure", 0);
  ExpectList(*s, {R2m(kLarge)}, SVSM_ERR_PVALIDATE_FAIL_SIZEMISMATCH,
             "core.pvalidate.instruction-failure", 0);
  ExpectList(*s, {R2m(0x200000)}, SVSM_ERR_PVALIDATE_FAIL_SIZEMISMATCH,
             "core.pvalidate.instruction-failure", 0);  // launch-validated 4 KiB frames
  ExpectInvalidPage(*s, kLarge);
  ExpectGuestPage(*s, kLarge + kPageSize, false);
}

TEST(CorePvalidate, EntriesBeforeAFailureStayProcessed) {
  auto s = MakeSvsm();
  ExpectList(*s, {V4k(kLow), V2m(kLarge), V4k(kMmio), V4k(kLow + kPageSize)},
             SVSM_ERR_INVALID_ADDRESS, "core.pvalidate.entry-not-guest-memory", 2);
  ExpectGuestPage(*s, kLow, false);
  ExpectGuestPage(*s, kLarge, true);
  ExpectInvalidPage(*s, kLow + kPageSize);
  // The guest fixes the failing entry and continues from `next` as the SVSM left it.
  WriteList(*s, kList, {V4k(kLow), V2m(kLarge), V4k(kLow + 2 * kPageSize), V4k(kLow + kPageSize)},
            2);
  EXPECT_TRUE(IsResult(Pvalidate(*s), SVSM_SUCCESS, "core.pvalidate.process-from-next"));
  EXPECT_EQ(ListNext(*s, kList), 4);
  ExpectGuestPage(*s, kLow + kPageSize, false);
  ExpectGuestPage(*s, kLow + 2 * kPageSize, false);
}

TEST(CorePvalidate, IncompleteAndReissueUntilSuccess) {
  PlatformConfig config = DefaultPlatformConfig();
  config.pvalidate_entries_per_call = 2;
  auto s = MakeSvsm(config);
  ASSERT_NE(s, nullptr);
  std::vector<uint64_t> entries;
  for (int i = 0; i < 5; ++i) entries.push_back(V4k(kLow + i * kPageSize));
  WriteList(*s, kList, entries);
  EXPECT_TRUE(IsResult(Pvalidate(*s), SVSM_ERR_INCOMPLETE, "core.pvalidate.incomplete"));
  EXPECT_EQ(ListNext(*s, kList), 2);
  ExpectGuestPage(*s, kLow + kPageSize, false);
  ExpectInvalidPage(*s, kLow + 2 * kPageSize);
  EXPECT_TRUE(IsResult(Pvalidate(*s), SVSM_ERR_INCOMPLETE, "core.pvalidate.incomplete"));
  EXPECT_EQ(ListNext(*s, kList), 4);
  ExpectGuestPage(*s, kLow + 3 * kPageSize, false);
  ExpectInvalidPage(*s, kLow + 4 * kPageSize);
  EXPECT_TRUE(IsResult(Pvalidate(*s), SVSM_SUCCESS, "core.pvalidate.process-from-next"));
  EXPECT_EQ(ListNext(*s, kList), 5);
  ExpectGuestPage(*s, kLow + 4 * kPageSize, false);
  // Exactly `limit` entries left: SUCCESS, not INCOMPLETE.
  WriteList(*s, kList, {R4k(kLow), R4k(kLow + kPageSize)});
  EXPECT_TRUE(IsResult(Pvalidate(*s), SVSM_SUCCESS, "core.pvalidate.process-from-next"));
  EXPECT_EQ(ListNext(*s, kList), 2);
  // A failure inside a slice reports the failing index.
  WriteList(
      *s, kList,
      {R4k(kLow + 2 * kPageSize), R4k(kLow + 3 * kPageSize), R4k(kLow), R4k(kLow + 4 * kPageSize)});
  EXPECT_TRUE(IsResult(Pvalidate(*s), SVSM_ERR_INCOMPLETE, "core.pvalidate.incomplete"));
  EXPECT_EQ(ListNext(*s, kList), 2);
  EXPECT_TRUE(
      IsResult(Pvalidate(*s), SVSM_ERR_PVALIDATE_FAIL_NO_CHANGE, "core.pvalidate.no-change"));
  EXPECT_EQ(ListNext(*s, kList), 2);
  ExpectGuestPage(*s, kLow + 4 * kPageSize, false);
}

// Covers core.pvalidate.validate-grants-access and core.pvalidate.rescind-revokes-access for
// the requesting VMPL.
TEST(CorePvalidate, PermissionsForTheRequestingVmplOnly) {
  auto s = MakeSvsm();
  ExpectList(*s, {V4k(kLow)}, SVSM_SUCCESS, "core.pvalidate.process-from-next", 1);
  EXPECT_EQ(s->PageStateAt(kLow), ReferenceSvsm::GrantedAttrs(2, false));
  ExpectGuestPage(*s, kLow, false);
  // A VMPL3 vCPU (its CAA in shared RAM, its list too) validates for VMPL1..3.
  WriteVmsaPage(*s, 0x100000, ValidVmsa(*s, 3));
  ASSERT_TRUE(IsResult(CoreCall(*s, 0, SVSM_CORE_CREATE_VCPU, 0x100000, kShared, 1), SVSM_SUCCESS,
                       "core.create-vcpu.vmsa-created"));
  const uint64_t list = kShared + 0x1000;
  WriteList(*s, list, {V4k(kLow + kPageSize), V2m(kLarge)});
  EXPECT_TRUE(IsResult(Pvalidate(*s, list, 1), SVSM_SUCCESS, "core.pvalidate.process-from-next"));
  EXPECT_EQ(ListNext(*s, list), 2);
  EXPECT_EQ(s->PageStateAt(kLow + kPageSize), Granted(3, false));
  EXPECT_EQ(s->PageStateAt(kLarge + 7 * kPageSize), Granted(3, true));
  EXPECT_TRUE(CanRead(*s, 3, kLow + kPageSize));
  EXPECT_TRUE(CanRead(*s, 1, kLow + kPageSize));
  // Its rescind revokes every VMPL's access, the guest VMPL's included.
  WriteList(*s, list, {R4k(kLow)});
  EXPECT_TRUE(IsResult(Pvalidate(*s, list, 1), SVSM_SUCCESS, "core.pvalidate.process-from-next"));
  ExpectInvalidPage(*s, kLow);
}

TEST(CorePvalidate, ListMustBeAccessibleMemory) {
  auto s = MakeSvsm();
  // Where the list lives: unvalidated, MMIO, a hole, the SVSM region, the startup VMSA.
  for (uint64_t list : {kLow, kMmio, kHole, s->config().svsm_base, s->config().startup_vmsa}) {
    EXPECT_TRUE(IsResult(Pvalidate(*s, list), SVSM_ERR_INVALID_ADDRESS, "general.faulting-address"))
        << std::hex << list;
  }
  // A list in shared RAM is fine.
  const uint64_t shared_list = kShared + 0x2000;
  WriteList(*s, shared_list, {V4k(kLow)});
  EXPECT_TRUE(
      IsResult(Pvalidate(*s, shared_list), SVSM_SUCCESS, "core.pvalidate.process-from-next"));
  EXPECT_EQ(ListNext(*s, shared_list), 1);
  // A list whose own page an entry rescinds: `next` cannot be written back.
  WriteList(*s, kLow, {R4k(kLow)});
  EXPECT_TRUE(IsResult(Pvalidate(*s, kLow), SVSM_ERR_INVALID_ADDRESS, "general.faulting-address"));
  ExpectInvalidPage(*s, kLow);
}

TEST(CorePvalidate, ListMayOverlapTheCaaHeader) {
  // core.pvalidate.list-overlaps-caa-header (freedom): the model accepts a list at CAA + 0.
  // CALL_PENDING (= 1 during the call) is the low byte of `entries`.
  auto s = MakeSvsm();
  const uint64_t caa = s->config().startup_caa;
  WriteList(*s, caa, {V4k(kLow)});
  EXPECT_TRUE(IsResult(Pvalidate(*s, caa), SVSM_SUCCESS, "core.pvalidate.process-from-next"));
  ExpectGuestPage(*s, kLow, false);
  EXPECT_EQ(ListNext(*s, caa), 1);
  // The usual place, CAA + 8.
  WriteList(*s, caa + 8, {V4k(kLow + kPageSize)});
  EXPECT_TRUE(IsResult(Pvalidate(*s, caa + 8), SVSM_SUCCESS, "core.pvalidate.process-from-next"));
  ExpectGuestPage(*s, kLow + kPageSize, false);
}

TEST(CorePvalidate, PageHoldingAnActiveCaaIsProcessed) {
  // core.pvalidate.entry-caa (freedom): the model processes it like any guest page.
  auto s = MakeSvsm();
  WriteVmsaPage(*s, 0x100000, ValidVmsa(*s, 2));
  ASSERT_TRUE(IsResult(CoreCall(*s, 0, SVSM_CORE_CREATE_VCPU, 0x100000, 0x101000, 1), SVSM_SUCCESS,
                       "core.create-vcpu.vmsa-created"));
  ExpectList(*s, {R4k(0x101000)}, SVSM_SUCCESS, "core.pvalidate.process-from-next", 1);
  ExpectInvalidPage(*s, 0x101000);
  // vCPU 1 can no longer signal a call through it.
  EXPECT_EQ(s->GuestCall(1, Regs(CoreRax(SVSM_CORE_QUERY_PROTOCOL), 1)).outcome,
            CallResult::Outcome::kGuestFault);
  ExpectList(*s, {V4k(0x101000)}, SVSM_SUCCESS, "core.pvalidate.process-from-next", 1);
  EXPECT_TRUE(IsResult(CoreCall(*s, 1, SVSM_CORE_QUERY_PROTOCOL, 1), SVSM_SUCCESS,
                       "core.query-protocol.core-available"));
}

}  // namespace
}  // namespace svsm_ref
