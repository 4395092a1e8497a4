// SVSM_CORE_DEPOSIT_MEM and SVSM_CORE_WITHDRAW_MEM (core.deposit-mem.*, core.withdraw-mem.*,
// general.faulting-address).
#include "svsm_test_support.h"

namespace svsm_ref {
namespace {

using namespace svsm_ref::testing;  // NOLINT

constexpr uint64_t kList = 0x700000;   // boot-ram (validated at launch)
constexpr uint64_t kArea = 0x702000;   // boot-ram, the WITHDRAW_MEM area
constexpr uint64_t kPageA = 0x200000;  // boot-ram pages to deposit
constexpr uint64_t kPageB = 0x201000;
constexpr uint64_t kPageC = 0x202000;
constexpr uint64_t kLow = 0x1000000;  // low-ram, not validated
constexpr uint64_t kShared = 0x80000000;
constexpr uint64_t kMmio = 0xE0000000;

uint64_t Large(uint64_t gpa) {
  return gpa | 1;
}

CallResult Deposit(ReferenceSvsm& s, uint64_t list = kList, size_t vcpu = 0) {
  const RegisterSet in = Regs(CoreRax(SVSM_CORE_DEPOSIT_MEM), list);
  CallResult r = Call(s, vcpu, in);
  EXPECT_TRUE(RegsKept(r, in));
  return r;
}

CallResult Withdraw(ReferenceSvsm& s, uint64_t area = kArea, size_t vcpu = 0) {
  const RegisterSet in = Regs(CoreRax(SVSM_CORE_WITHDRAW_MEM), area);
  CallResult r = Call(s, vcpu, in);
  EXPECT_TRUE(RegsKept(r, in));
  return r;
}

void ExpectDeposit(ReferenceSvsm& s, const std::vector<uint64_t>& entries, uint32_t code,
                   const char* rule, uint16_t want_next, uint16_t next = 0) {
  WriteList(s, kList, entries, next);
  EXPECT_TRUE(IsResult(Deposit(s), code, rule));
  EXPECT_EQ(ListNext(s, kList), want_next);
}

uint8_t MemAvailable(const ReferenceSvsm& s) {
  return PhysByte(s, s.vcpus()[0].caa + 1);
}

// A deposited page: VMPL0-only, still validated, the SVSM's.
void ExpectDeposited(const ReferenceSvsm& s, uint64_t gpa) {
  EXPECT_EQ(s.deposited_frames().count(gpa >> kPageShift), 1u) << std::hex << gpa;
  const PageAttrs a = s.PageStateAt(gpa);
  EXPECT_TRUE(a.validated);
  EXPECT_EQ(a.perms, (std::array<uint8_t, 4>{}));
  EXPECT_FALSE(CanRead(s, 1, gpa));
  EXPECT_FALSE(CanRead(s, 2, gpa));
}

void ExpectGuestOwned(const ReferenceSvsm& s, uint64_t gpa, uint8_t vmpl = 2, bool large = false) {
  EXPECT_EQ(s.deposited_frames().count(gpa >> kPageShift), 0u) << std::hex << gpa;
  EXPECT_EQ(s.PageStateAt(gpa), ReferenceSvsm::GrantedAttrs(vmpl, large)) << std::hex << gpa;
  EXPECT_TRUE(CanRead(s, vmpl, gpa));
}

struct Area {
  uint16_t count;
  std::vector<uint64_t> pages;
};
Area ReadArea(const ReferenceSvsm& s, uint64_t area, size_t slots) {
  Area a;
  a.count = static_cast<uint16_t>(PhysByte(s, area) | PhysByte(s, area + 1) << 8);
  for (size_t i = 0; i < slots; ++i) a.pages.push_back(PhysU64(s, area + 8 + i * 8));
  return a;
}

// ------------------------------------------------------------------------- DEPOSIT_MEM

// Covers core.deposit-mem.implemented, core.withdraw-mem.implemented, core.deposit-mem.pages-taken
// and core.withdraw-mem.pages-returned.
TEST(CoreDepositMem, DepositThenWithdrawRoundTrip) {
  auto s = MakeSvsm();
  EXPECT_EQ(MemAvailable(*s), 0);
  ExpectDeposit(*s, {kPageB, kPageA}, SVSM_SUCCESS, "core.deposit-mem.pages-taken", 2);
  EXPECT_EQ(s->deposited_frames(),
            (std::set<uint64_t>{kPageA >> kPageShift, kPageB >> kPageShift}));
  ExpectDeposited(*s, kPageA);
  ExpectDeposited(*s, kPageB);
  EXPECT_EQ(MemAvailable(*s), 1);  // in the startup vCPU's CAA, byte 1
  ExpectGuestOwned(*s, kPageC);

  GuestWriteBytes(*s, kArea, std::vector<uint8_t>(64, 0xAA));
  EXPECT_TRUE(IsResult(Withdraw(*s), SVSM_SUCCESS, "core.withdraw-mem.pages-returned"));
  const Area a = ReadArea(*s, kArea, 3);
  EXPECT_EQ(a.count, 2);
  EXPECT_EQ(a.pages[0], kPageA);
  EXPECT_EQ(a.pages[1], kPageB);
  EXPECT_EQ(a.pages[2], 0xAAAAAAAAAAAAAAAAu);  // slots beyond count untouched
  EXPECT_EQ(PhysByte(*s, kArea + 2), 0xAA);    // the unused bytes 2..7 too
  EXPECT_EQ(PhysByte(*s, kArea + 7), 0xAA);
  EXPECT_TRUE(s->deposited_frames().empty());
  ExpectGuestOwned(*s, kPageA);
  ExpectGuestOwned(*s, kPageB);
  EXPECT_EQ(MemAvailable(*s), 0);
  // Nothing left: count 0.
  EXPECT_TRUE(IsResult(Withdraw(*s), SVSM_SUCCESS, "core.withdraw-mem.pages-returned"));
  EXPECT_EQ(ReadArea(*s, kArea, 1).count, 0);
  EXPECT_EQ(ReadArea(*s, kArea, 1).pages[0], kPageA);  // not zeroed
  EXPECT_EQ(MemAvailable(*s), 0);
}

TEST(CoreDepositMem, Alignment) {
  auto s = MakeSvsm();
  WriteList(*s, kList + 8, {kPageA});
  for (uint64_t off : {1, 4, 7}) {
    EXPECT_TRUE(IsResult(Deposit(*s, kList + 8 + off), SVSM_ERR_INVALID_PARAMETER,
                         "core.deposit-mem.alignment"));
  }
  EXPECT_TRUE(s->deposited_frames().empty());
  EXPECT_TRUE(IsResult(Deposit(*s, kList + 8), SVSM_SUCCESS, "core.deposit-mem.pages-taken"));
}

TEST(CoreDepositMem, EntriesZeroAndNext) {
  auto s = MakeSvsm();
  WriteList(*s, kList, {kPageA}, 0, /*count_override=*/0);
  EXPECT_TRUE(IsResult(Deposit(*s), SVSM_ERR_INVALID_PARAMETER, "core.deposit-mem.entries-zero"));
  ExpectDeposit(*s, {kPageA, kPageB}, SVSM_ERR_INVALID_PARAMETER,
                "core.deposit-mem.next-not-below-entries", 2, 2);
  ExpectDeposit(*s, {kPageA, kPageB}, SVSM_ERR_INVALID_PARAMETER,
                "core.deposit-mem.next-not-below-entries", 9, 9);
  EXPECT_TRUE(s->deposited_frames().empty());
  EXPECT_EQ(MemAvailable(*s), 0);
  // next = 1: entry 0 (MMIO, would fail) is skipped.
  ExpectDeposit(*s, {kMmio, kPageB}, SVSM_SUCCESS, "core.deposit-mem.pages-taken", 2, 1);
  EXPECT_EQ(s->deposited_frames(), (std::set<uint64_t>{kPageB >> kPageShift}));
}

void CheckDepositLimit(uint64_t offset) {
  const uint64_t max = (kPageSize - offset - 8) / 8;
  const uint64_t list = kList + offset;
  for (uint64_t n : {max, max + 1}) {
    if (n == 0) continue;
    auto s = MakeSvsm();
    std::vector<uint64_t> entries;
    for (uint64_t i = 0; i < n; ++i) entries.push_back(kPageA + i * kPageSize);
    WriteList(*s, list, entries);
    const CallResult r = Deposit(*s, list);
    if (n == max) {
      EXPECT_TRUE(IsResult(r, SVSM_SUCCESS, "core.deposit-mem.pages-taken")) << offset;
      EXPECT_EQ(ListNext(*s, list), max);
      EXPECT_EQ(s->deposited_frames().size(), max);
    } else {
      EXPECT_TRUE(IsResult(r, SVSM_ERR_INVALID_PARAMETER, "core.deposit-mem.list-crosses-page"))
          << offset;
      EXPECT_EQ(ListNext(*s, list), 0);
      EXPECT_TRUE(s->deposited_frames().empty());
    }
  }
}

TEST(CoreDepositMem, ListCrossesPage) {
  CheckDepositLimit(0);      // 511 / 512
  CheckDepositLimit(8);      // 510 / 511
  CheckDepositLimit(0xFF0);  // 1 / 2
  CheckDepositLimit(0xFF8);  // 0 / 1
}

TEST(CoreDepositMem, EntryPageSize) {
  for (uint64_t size : {2, 3}) {
    auto s = MakeSvsm();
    ExpectDeposit(*s, {kPageA, kPageB | size, kPageC}, SVSM_ERR_INVALID_PARAMETER,
                  "core.deposit-mem.entry-page-size", 1);
    ExpectDeposited(*s, kPageA);
    ExpectGuestOwned(*s, kPageB);
    ExpectGuestOwned(*s, kPageC);
    EXPECT_EQ(MemAvailable(*s), 1);
  }
}

TEST(CoreDepositMem, EntryReservedBitsAreIgnored) {
  // core.deposit-mem.entry-reserved-bits (freedom): bits 11:2 are not must-be-zero.
  for (unsigned bit = 2; bit <= 11; ++bit) {
    auto s = MakeSvsm();
    ExpectDeposit(*s, {kPageA | (uint64_t{1} << bit)}, SVSM_SUCCESS, "core.deposit-mem.pages-taken",
                  1);
    EXPECT_EQ(s->deposited_frames(), (std::set<uint64_t>{kPageA >> kPageShift}));
  }
}

TEST(CoreDepositMem, LargeEntryMisaligned) {
  for (uint64_t gpa : {kPageA + kPageSize, kPageA + 0x100000, kPageA + 0x1FF000}) {
    auto s = MakeSvsm();
    ExpectDeposit(*s, {kPageC + 0x10000, Large(gpa)}, SVSM_ERR_INVALID_PARAMETER,
                  "core.deposit-mem.entry-gpa-alignment", 1);
    EXPECT_EQ(s->deposited_frames(), (std::set<uint64_t>{(kPageC + 0x10000) >> kPageShift}));
    ExpectGuestOwned(*s, gpa);
  }
}

// Covers core.withdraw-mem.never-incomplete.
TEST(CoreDepositMem, LargeEntry) {
  auto s = MakeSvsm();
  ExpectDeposit(*s, {Large(kPageA)}, SVSM_SUCCESS, "core.deposit-mem.pages-taken", 1);
  EXPECT_EQ(s->deposited_frames().size(), kPagesPerLargePage);
  ExpectDeposited(*s, kPageA);
  ExpectDeposited(*s, kPageA + kLargePageSize - kPageSize);
  ExpectGuestOwned(*s, kPageA + kLargePageSize);
  ExpectGuestOwned(*s, kPageA - kPageSize);
  // core.withdraw-mem.never-incomplete: 511 fit at offset 0, one remains: SUCCESS and
  // MEM_AVAILABLE stays set.
  EXPECT_TRUE(IsResult(Withdraw(*s), SVSM_SUCCESS, "core.withdraw-mem.pages-returned"));
  Area a = ReadArea(*s, kArea, 511);
  EXPECT_EQ(a.count, 511);
  for (uint64_t i = 0; i < 511; ++i) EXPECT_EQ(a.pages[i], kPageA + i * kPageSize);
  EXPECT_EQ(MemAvailable(*s), 1);
  EXPECT_EQ(s->deposited_frames(), (std::set<uint64_t>{(kPageA + 511 * kPageSize) >> kPageShift}));
  ExpectGuestOwned(*s, kPageA);
  EXPECT_TRUE(IsResult(Withdraw(*s), SVSM_SUCCESS, "core.withdraw-mem.pages-returned"));
  a = ReadArea(*s, kArea, 2);
  EXPECT_EQ(a.count, 1);
  EXPECT_EQ(a.pages[0], kPageA + 511 * kPageSize);
  EXPECT_EQ(a.pages[1], kPageA + kPageSize);  // left from the previous call
  EXPECT_EQ(MemAvailable(*s), 0);
  ExpectGuestOwned(*s, kPageA + 511 * kPageSize);
}

TEST(CoreDepositMem, ForbiddenPages) {
  auto s = MakeSvsm();
  const PlatformConfig& c = s->config();
  WriteVmsaPage(*s, 0x100000, ValidVmsa(*s, 2));
  ASSERT_TRUE(IsResult(CoreCall(*s, 0, SVSM_CORE_CREATE_VCPU, 0x100000, 0x101000, 1), SVSM_SUCCESS,
                       "core.create-vcpu.vmsa-created"));
  ExpectDeposit(*s, {kPageC}, SVSM_SUCCESS, "core.deposit-mem.pages-taken", 1);
  for (uint64_t entry : {c.svsm_base, c.svsm_base + c.svsm_size - kPageSize, Large(c.svsm_base),
                         c.startup_vmsa, uint64_t{0x100000},            // active VMSAs
                         c.startup_caa, uint64_t{0x101000},             // active CAAs
                         Large(c.startup_caa & ~(kLargePageSize - 1)),  // 2 MiB holding a CAA
                         Large(0),   // 2 MiB holding a VMSA + CAA
                         kPageC}) {  // already deposited
    const uint64_t first = kPageA + 0x10000 + s->deposited_frames().size() * kPageSize;
    ExpectDeposit(*s, {first, entry}, SVSM_ERR_INVALID_ADDRESS, "core.deposit-mem.entry-forbidden",
                  1);
    ExpectDeposited(*s, first);  // the entry before the failing one stays deposited
  }
  EXPECT_EQ(s->deposited_frames().size(), 11u);
  ExpectDeposited(*s, kPageC);
  EXPECT_TRUE(s->PageStateAt(c.startup_caa).validated);
  EXPECT_EQ(s->PageStateAt(c.startup_caa).perms[2], kPermAll);
}

TEST(CoreDepositMem, UnusableMemoryFaults) {
  auto s = MakeSvsm();
  for (uint64_t entry : {kLow, Large(kLow), kShared, kMmio, uint64_t{0x90000000},
                         uint64_t{0x200000000}, Large(0xFFFFFFFFFFE00000)}) {
    ExpectDeposit(*s, {kPageA, entry}, SVSM_ERR_INVALID_ADDRESS, "general.faulting-address", 1);
    ExpectDeposited(*s, kPageA);
    ASSERT_TRUE(IsResult(Withdraw(*s), SVSM_SUCCESS, "core.withdraw-mem.pages-returned"));
  }
  // The list itself in memory the SVSM may not read.
  for (uint64_t list : {kLow, kMmio, s->config().svsm_base, s->config().startup_vmsa}) {
    EXPECT_TRUE(IsResult(Deposit(*s, list), SVSM_ERR_INVALID_ADDRESS, "general.faulting-address"));
  }
  EXPECT_TRUE(s->deposited_frames().empty());
}

TEST(CoreDepositMem, EntriesBeforeAFailureStayDeposited) {
  auto s = MakeSvsm();
  ExpectDeposit(*s, {kPageA, kPageB, s->config().svsm_base, kPageC}, SVSM_ERR_INVALID_ADDRESS,
                "core.deposit-mem.entry-forbidden", 2);
  ExpectDeposited(*s, kPageA);
  ExpectDeposited(*s, kPageB);
  ExpectGuestOwned(*s, kPageC);
  EXPECT_EQ(MemAvailable(*s), 1);
}

TEST(CoreDepositMem, IncompleteAndReissue) {
  PlatformConfig config = DefaultPlatformConfig();
  config.deposit_entries_per_call = 2;
  auto s = MakeSvsm(config);
  ASSERT_NE(s, nullptr);
  WriteList(*s, kList, {kPageA, kPageB, kPageC});
  EXPECT_TRUE(IsResult(Deposit(*s), SVSM_ERR_INCOMPLETE, "core.deposit-mem.incomplete"));
  EXPECT_EQ(ListNext(*s, kList), 2);
  EXPECT_EQ(s->deposited_frames().size(), 2u);
  ExpectGuestOwned(*s, kPageC);
  EXPECT_EQ(MemAvailable(*s), 1);
  EXPECT_TRUE(IsResult(Deposit(*s), SVSM_SUCCESS, "core.deposit-mem.pages-taken"));
  EXPECT_EQ(ListNext(*s, kList), 3);
  ExpectDeposited(*s, kPageC);
}

TEST(CoreDepositMem, DepositedPagesAreSvsmMemory) {
  auto s = MakeSvsm();
  ExpectDeposit(*s, {kPageA, Large(0x400000)}, SVSM_SUCCESS, "core.deposit-mem.pages-taken", 2);
  WriteList(*s, kList + 0x800, {PvalidateEntryBits(kPageA, 0, 0)});
  EXPECT_TRUE(IsResult(CoreCall(*s, 0, SVSM_CORE_PVALIDATE, kList + 0x800),
                       SVSM_ERR_INVALID_ADDRESS, "core.pvalidate.entry-svsm-memory"));
  WriteList(*s, kList + 0x800, {PvalidateEntryBits(0x400000, 1, 0, 1)});
  EXPECT_TRUE(IsResult(CoreCall(*s, 0, SVSM_CORE_PVALIDATE, kList + 0x800),
                       SVSM_ERR_INVALID_ADDRESS, "core.pvalidate.entry-svsm-memory"));
  EXPECT_TRUE(IsResult(CoreCall(*s, 0, SVSM_CORE_REMAP_CA, kPageA), SVSM_ERR_INVALID_ADDRESS,
                       "core.remap-ca.forbidden-address"));
  WriteVmsaPage(*s, 0x100000, ValidVmsa(*s, 2));
  EXPECT_TRUE(IsResult(CoreCall(*s, 0, SVSM_CORE_CREATE_VCPU, kPageA, 0x101000, 1),
                       SVSM_ERR_INVALID_ADDRESS, "core.create-vcpu.forbidden-address"));
  EXPECT_TRUE(
      IsResult(CoreCall(*s, 0, SVSM_CORE_CREATE_VCPU, 0x100000, 0x400000 + 5 * kPageSize, 1),
               SVSM_ERR_INVALID_ADDRESS, "core.create-vcpu.forbidden-address"));
  EXPECT_FALSE(s->vcpus()[1].vmsa.has_value());
  // Nor may the guest put a call's data there (WITHDRAW area, PVALIDATE list).
  EXPECT_TRUE(IsResult(Withdraw(*s, kPageA), SVSM_ERR_INVALID_ADDRESS, "general.faulting-address"));
  EXPECT_TRUE(IsResult(CoreCall(*s, 0, SVSM_CORE_PVALIDATE, kPageA), SVSM_ERR_INVALID_ADDRESS,
                       "general.faulting-address"));
  EXPECT_EQ(s->deposited_frames().size(), 1 + kPagesPerLargePage);
}

// ------------------------------------------------------------------------- WITHDRAW_MEM

TEST(CoreWithdrawMem, Alignment) {
  auto s = MakeSvsm();
  ExpectDeposit(*s, {kPageA}, SVSM_SUCCESS, "core.deposit-mem.pages-taken", 1);
  for (uint64_t off : {1, 4, 7}) {
    EXPECT_TRUE(IsResult(Withdraw(*s, kArea + off), SVSM_ERR_INVALID_PARAMETER,
                         "core.withdraw-mem.alignment"));
  }
  EXPECT_EQ(s->deposited_frames().size(), 1u);
  EXPECT_EQ(MemAvailable(*s), 1);
}

TEST(CoreWithdrawMem, NoRoom) {
  auto s = MakeSvsm();
  EXPECT_TRUE(IsResult(Withdraw(*s, kArea + 0xFF8), SVSM_ERR_INVALID_PARAMETER,
                       "core.withdraw-mem.no-room"));
  ExpectDeposit(*s, {kPageA}, SVSM_SUCCESS, "core.deposit-mem.pages-taken", 1);
  GuestWriteBytes(*s, kArea + 0xFF8, std::vector<uint8_t>(8, 0xAA));
  EXPECT_TRUE(IsResult(Withdraw(*s, kArea + 0xFF8), SVSM_ERR_INVALID_PARAMETER,
                       "core.withdraw-mem.no-room"));
  EXPECT_EQ(PhysU64(*s, kArea + 0xFF8), 0xAAAAAAAAAAAAAAAAu);
  ExpectDeposited(*s, kPageA);
  EXPECT_EQ(MemAvailable(*s), 1);
}

TEST(CoreWithdrawMem, CapacityFollowsThePageOffset) {
  auto s = MakeSvsm();
  ExpectDeposit(*s, {kPageA, kPageB, kPageC, kPageC + kPageSize}, SVSM_SUCCESS,
                "core.deposit-mem.pages-taken", 4);
  // At 0xFF0 one gPA fits.
  EXPECT_TRUE(
      IsResult(Withdraw(*s, kArea + 0xFF0), SVSM_SUCCESS, "core.withdraw-mem.pages-returned"));
  EXPECT_EQ(ReadArea(*s, kArea + 0xFF0, 1).count, 1);
  EXPECT_EQ(ReadArea(*s, kArea + 0xFF0, 1).pages[0], kPageA);
  EXPECT_EQ(MemAvailable(*s), 1);
  EXPECT_EQ(s->deposited_frames().size(), 3u);
  // At 0xFE8 two fit.
  EXPECT_TRUE(
      IsResult(Withdraw(*s, kArea + 0xFE8), SVSM_SUCCESS, "core.withdraw-mem.pages-returned"));
  EXPECT_EQ(ReadArea(*s, kArea + 0xFE8, 2).count, 2);
  EXPECT_EQ(ReadArea(*s, kArea + 0xFE8, 2).pages, (std::vector<uint64_t>{kPageB, kPageC}));
  EXPECT_EQ(MemAvailable(*s), 1);
  ExpectGuestOwned(*s, kPageB);
  ExpectDeposited(*s, kPageC + kPageSize);
  // The last one.
  EXPECT_TRUE(
      IsResult(Withdraw(*s, kArea + 0xFE8), SVSM_SUCCESS, "core.withdraw-mem.pages-returned"));
  EXPECT_EQ(ReadArea(*s, kArea + 0xFE8, 2).count, 1);
  EXPECT_EQ(ReadArea(*s, kArea + 0xFE8, 2).pages,
            (std::vector<uint64_t>{kPageC + kPageSize, kPageC}));
  EXPECT_EQ(MemAvailable(*s), 0);
}

TEST(CoreWithdrawMem, AreaMustBeAccessible) {
  auto s = MakeSvsm();
  ExpectDeposit(*s, {kPageA}, SVSM_SUCCESS, "core.deposit-mem.pages-taken", 1);
  for (uint64_t area :
       {kLow, kMmio, uint64_t{0x90000000}, s->config().svsm_base, s->config().startup_vmsa}) {
    EXPECT_TRUE(IsResult(Withdraw(*s, area), SVSM_ERR_INVALID_ADDRESS, "general.faulting-address"))
        << std::hex << area;
  }
  ExpectDeposited(*s, kPageA);
  EXPECT_EQ(MemAvailable(*s), 1);
  // Shared RAM is fine.
  EXPECT_TRUE(IsResult(Withdraw(*s, kShared), SVSM_SUCCESS, "core.withdraw-mem.pages-returned"));
  EXPECT_EQ(ReadArea(*s, kShared, 1).pages[0], kPageA);
}

TEST(CoreWithdrawMem, PagesGoToTheRequestingVmpl) {
  auto s = MakeSvsm();
  ExpectDeposit(*s, {kPageA}, SVSM_SUCCESS, "core.deposit-mem.pages-taken", 1);
  WriteVmsaPage(*s, 0x100000, ValidVmsa(*s, 3));
  ASSERT_TRUE(IsResult(CoreCall(*s, 0, SVSM_CORE_CREATE_VCPU, 0x100000, kShared, 1), SVSM_SUCCESS,
                       "core.create-vcpu.vmsa-created"));
  EXPECT_TRUE(IsResult(Withdraw(*s, kShared + 0x1000, 1), SVSM_SUCCESS,
                       "core.withdraw-mem.pages-returned"));
  EXPECT_EQ(ReadArea(*s, kShared + 0x1000, 1).count, 1);
  ExpectGuestOwned(*s, kPageA, 3);
  EXPECT_TRUE(CanRead(*s, 1, kPageA));
  // MEM_AVAILABLE lives in the startup vCPU's CAA, whoever calls.
  EXPECT_EQ(MemAvailable(*s), 0);
  EXPECT_EQ(PhysByte(*s, kShared + 1), 0);
}

}  // namespace
}  // namespace svsm_ref
