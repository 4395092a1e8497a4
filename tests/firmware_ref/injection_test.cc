// Injected platform behaviour (ReferenceSvsm::InjectPvalidateResult, InjectRacingWrite): the
// rules a guest cannot observe on real hardware, core.pvalidate.unexpected-eax and
// core.create-vcpu.revoke-before-check, and the faults that break them.
#include "svsm_test_support.h"

namespace svsm_ref {
namespace {

using namespace svsm_ref::testing;  // NOLINT
using Outcome = ReferenceSvsm::RacingWriteOutcome;

// Default platform: boot-ram 0..16 MiB validated at launch (guest VMPL 2 has full access,
// VMPL3 none); low-ram from 16 MiB not validated; the SVSM region at 0x40000000.
constexpr uint64_t kList = 0x700000;  // boot-ram
constexpr uint64_t kLow = 0x1000000;  // low-ram, not validated
constexpr uint64_t kShared = 0x80000000;
constexpr uint64_t kVmsa1 = 0x100000;   // boot-ram
constexpr uint64_t kCaa1 = 0x101000;    // boot-ram
constexpr uint64_t kVmplOffset = 0xCA;  // the VMSA's VMPL byte
constexpr uint32_t kUnexpectedEax = SVSM_ERR_PVALIDATE_UNEXPECTED_EAX;

uint64_t V4k(uint64_t gpa) {
  return PvalidateEntryBits(gpa, 0, 1);
}
uint64_t R4k(uint64_t gpa) {
  return PvalidateEntryBits(gpa, 0, 0);
}

std::vector<uint64_t> ThreeLowPages() {
  return {V4k(kLow), V4k(kLow + kPageSize), V4k(kLow + 2 * kPageSize)};
}

std::unique_ptr<ReferenceSvsm> MakeSvsmWithFault(const std::string& fault) {
  PlatformConfig config = DefaultPlatformConfig();
  config.faults = {fault};
  return MakeSvsm(config);
}

// PVALIDATE of the list at kList from vCPU 0. `spec_checked`: the result must be one the
// spec allows (false for a model running with a fault).
CallResult Pvalidate(ReferenceSvsm& s, bool spec_checked = true) {
  const RegisterSet in = Regs(CoreRax(SVSM_CORE_PVALIDATE), kList);
  const CallResult r = spec_checked ? Call(s, 0, in) : s.GuestCall(0, in);
  EXPECT_TRUE(RegsKept(r, in));
  EXPECT_EQ(r.call_pending_after, 0);
  return r;
}

CallResult CreateVcpu(ReferenceSvsm& s, uint64_t vmsa, uint64_t caa, uint32_t apic) {
  const RegisterSet in = Regs(CoreRax(SVSM_CORE_CREATE_VCPU), vmsa, caa, apic);
  const CallResult r = Call(s, 0, in);
  EXPECT_TRUE(RegsKept(r, in));
  return r;
}

void ExpectValidated(const ReferenceSvsm& s, uint64_t gpa) {
  EXPECT_EQ(s.PageStateAt(gpa), ReferenceSvsm::GrantedAttrs(2, false)) << std::hex << gpa;
}
void ExpectNotValidated(const ReferenceSvsm& s, uint64_t gpa) {
  EXPECT_EQ(s.PageStateAt(gpa), PageAttrs{}) << std::hex << gpa;
}

// ------------------------------------------------------------------ PVALIDATE results

// An injected EAX on the second instruction of a three-entry list: the call fails at entry
// 1 with `code` under `rule`, entry 0 took effect, entries 1 and 2 did not; the injection is
// consumed, so the guest's retry from `next` succeeds.
void ExpectInjectedFailureAtEntry1(uint32_t eax, uint32_t code, const char* rule) {
  SCOPED_TRACE(::testing::Message() << "eax 0x" << std::hex << eax);
  auto s = MakeSvsm();
  WriteList(*s, kList, ThreeLowPages());
  s->InjectPvalidateResult(1, eax);
  EXPECT_TRUE(IsResult(Pvalidate(*s), code, rule));
  EXPECT_EQ(ListNext(*s, kList), 1);
  ExpectValidated(*s, kLow);
  ExpectNotValidated(*s, kLow + kPageSize);
  ExpectNotValidated(*s, kLow + 2 * kPageSize);
  // The list is as the guest left it, with next = 1: the retry processes entries 1 and 2.
  EXPECT_TRUE(IsResult(Pvalidate(*s), SVSM_SUCCESS, "core.pvalidate.process-from-next"));
  EXPECT_EQ(ListNext(*s, kList), 3);
  for (uint64_t i = 0; i < 3; ++i) ExpectValidated(*s, kLow + i * kPageSize);
}

TEST(InjectionPvalidate, EaxAboveFIsUnexpected) {
  ExpectInjectedFailureAtEntry1(0x10, kUnexpectedEax, "core.pvalidate.unexpected-eax");
  ExpectInjectedFailureAtEntry1(0xFFFFFFFF, kUnexpectedEax, "core.pvalidate.unexpected-eax");
  ExpectInjectedFailureAtEntry1(0x80000000, kUnexpectedEax, "core.pvalidate.unexpected-eax");
}

TEST(InjectionPvalidate, EaxUpToFIsAnInstructionFailure) {
  ExpectInjectedFailureAtEntry1(2, 0x80001002, "core.pvalidate.instruction-failure");
  ExpectInjectedFailureAtEntry1(1, 0x80001001, "core.pvalidate.instruction-failure");
  ExpectInjectedFailureAtEntry1(0xF, 0x8000100F, "core.pvalidate.instruction-failure");
}

TEST(InjectionPvalidate, EaxZeroIsTheRmpAnswer) {
  auto s = MakeSvsm();
  WriteList(*s, kList, ThreeLowPages());
  s->InjectPvalidateResult(0, 0x10);
  s->InjectPvalidateResult(1, 0);  // replaces the pending injection
  EXPECT_TRUE(IsResult(Pvalidate(*s), SVSM_SUCCESS, "core.pvalidate.process-from-next"));
  EXPECT_EQ(ListNext(*s, kList), 3);
  for (uint64_t i = 0; i < 3; ++i) ExpectValidated(*s, kLow + i * kPageSize);
  // Consumed: nothing fires on later instructions either.
  WriteList(*s, kList, {R4k(kLow), R4k(kLow + kPageSize)});
  EXPECT_TRUE(IsResult(Pvalidate(*s), SVSM_SUCCESS, "core.pvalidate.process-from-next"));
  ExpectNotValidated(*s, kLow);
  ExpectNotValidated(*s, kLow + kPageSize);
}

TEST(InjectionPvalidate, InjectedResultHasNoEffectWhateverThePageState) {
  auto s = MakeSvsm();
  // A validated page with contents: validating it again would be "no change".
  PvalidateOk(*s, {V4k(kLow)}, kList);
  const std::vector<uint8_t> data = {1, 2, 3, 4};
  GuestWriteBytes(*s, kLow, data);
  WriteList(*s, kList, {V4k(kLow)});
  s->InjectPvalidateResult(0, 3);
  EXPECT_TRUE(IsResult(Pvalidate(*s), 0x80001003, "core.pvalidate.instruction-failure"));
  EXPECT_EQ(ListNext(*s, kList), 0);
  ExpectValidated(*s, kLow);
  EXPECT_EQ(GuestReadBytes(*s, kLow, data.size()), data);
  // Rescinding a page that is valid: the injected EAX wins, the page stays validated.
  WriteList(*s, kList, {R4k(kLow)});
  s->InjectPvalidateResult(0, 0x11);
  EXPECT_TRUE(IsResult(Pvalidate(*s), kUnexpectedEax, "core.pvalidate.unexpected-eax"));
  ExpectValidated(*s, kLow);
  EXPECT_EQ(GuestReadBytes(*s, kLow, data.size()), data);
  // Shared RAM, where the RMP would answer FAIL_INPUT.
  WriteList(*s, kList, {V4k(kShared)});
  s->InjectPvalidateResult(0, 0x10);
  EXPECT_TRUE(IsResult(Pvalidate(*s), kUnexpectedEax, "core.pvalidate.unexpected-eax"));
  // Without an injection the RMP answers again.
  EXPECT_TRUE(IsResult(Pvalidate(*s), 0x80001001, "core.pvalidate.instruction-failure"));
}

TEST(InjectionPvalidate, OnlyExecutedInstructionsCount) {
  auto s = MakeSvsm();
  s->InjectPvalidateResult(2, 0x10);
  // An entry refused before the instruction (SVSM memory) executes no PVALIDATE.
  WriteList(*s, kList, {V4k(s->config().svsm_base)});
  EXPECT_TRUE(
      IsResult(Pvalidate(*s), SVSM_ERR_INVALID_ADDRESS, "core.pvalidate.entry-svsm-memory"));
  // The count goes on across calls: instruction 1 here, 2 and 3 in the next call.
  PvalidateOk(*s, {V4k(kLow)}, kList);
  WriteList(*s, kList, {V4k(kLow + kPageSize), V4k(kLow + 2 * kPageSize)});
  EXPECT_TRUE(IsResult(Pvalidate(*s), kUnexpectedEax, "core.pvalidate.unexpected-eax"));
  EXPECT_EQ(ListNext(*s, kList), 1);
  ExpectValidated(*s, kLow + kPageSize);
  ExpectNotValidated(*s, kLow + 2 * kPageSize);
}

TEST(InjectionPvalidate, ClearInjectionsDropsAPendingResult) {
  auto s = MakeSvsm();
  s->InjectPvalidateResult(0, 0x10);
  s->ClearInjections();
  PvalidateOk(*s, ThreeLowPages(), kList);
}

TEST(InjectionPvalidate, FaultUnexpectedEaxAsFailure) {
  auto s = MakeSvsmWithFault("pvalidate.unexpected-eax-as-failure");
  WriteList(*s, kList, ThreeLowPages());
  s->InjectPvalidateResult(1, 0x10);
  EXPECT_TRUE(IsResult(Pvalidate(*s, /*spec_checked=*/false), 0x80001010,
                       "core.pvalidate.instruction-failure"));
  EXPECT_EQ(ListNext(*s, kList), 1);
  ExpectValidated(*s, kLow);
  ExpectNotValidated(*s, kLow + kPageSize);
  // EAX values PVALIDATE defines are unaffected.
  s->InjectPvalidateResult(0, 2);
  EXPECT_TRUE(IsResult(Pvalidate(*s), 0x80001002, "core.pvalidate.instruction-failure"));
  EXPECT_EQ(ListNext(*s, kList), 1);
}

// ------------------------------------------------------------------ racing writes

TEST(InjectionRacingWrite, CreateVcpuRevokesBeforeTheCheck) {
  auto s = MakeSvsm();
  WriteVmsaPage(*s, kVmsa1, ValidVmsa(*s, 2));
  ASSERT_TRUE(s->InjectRacingWrite(2, kVmsa1 + kVmplOffset, {0}));
  EXPECT_EQ(s->racing_write_outcome(), Outcome::kPending);
  // core.create-vcpu.revoke-before-check: the VMSA page is VMPL0-only when it is read, so
  // the racing VMPL-2 write faults.
  EXPECT_TRUE(
      IsResult(CreateVcpu(*s, kVmsa1, kCaa1, 1), SVSM_SUCCESS, "core.create-vcpu.vmsa-created"));
  EXPECT_EQ(s->racing_write_outcome(), Outcome::kFaulted);
  ASSERT_TRUE(s->VmsaOf(1).has_value());
  EXPECT_EQ(s->VmsaOf(1)->vmpl, 2);
  EXPECT_EQ(s->vcpus()[1].vmpl, 2);
  EXPECT_EQ(PhysByte(*s, kVmsa1 + kVmplOffset), 2);
  // Released again, the page still holds the checked VMPL.
  const RegisterSet del = Regs(CoreRax(SVSM_CORE_DELETE_VCPU), kVmsa1);
  EXPECT_TRUE(IsResult(Call(*s, 0, del), SVSM_SUCCESS, "core.delete-vcpu.vmsa-released"));
  EXPECT_EQ(GuestReadBytes(*s, kVmsa1 + kVmplOffset, 1), std::vector<uint8_t>{2});
}

TEST(InjectionRacingWrite, FaultCreateVcpuChecksBeforeRevoke) {
  auto s = MakeSvsmWithFault("create-vcpu.checks-before-revoke");
  WriteVmsaPage(*s, kVmsa1, ValidVmsa(*s, 2));
  ASSERT_TRUE(s->InjectRacingWrite(2, kVmsa1 + kVmplOffset, {0}));
  EXPECT_TRUE(
      IsResult(CreateVcpu(*s, kVmsa1, kCaa1, 1), SVSM_SUCCESS, "core.create-vcpu.vmsa-created"));
  // The breach the rule prevents: the write landed after the check, and the vCPU's VMSA
  // now says VMPL0 although VMPL 2 was checked.
  EXPECT_EQ(s->racing_write_outcome(), Outcome::kLanded);
  ASSERT_TRUE(s->VmsaOf(1).has_value());
  EXPECT_EQ(s->VmsaOf(1)->vmpl, 0);
  EXPECT_EQ(s->vcpus()[1].vmpl, 2);
  EXPECT_TRUE(s->PageStateAt(kVmsa1).vmsa);
  EXPECT_EQ(s->PageStateAt(kVmsa1).perms, (std::array<uint8_t, 4>{}));
}

TEST(InjectionRacingWrite, FaultCreateVcpuChecksBeforeRevokeWithoutRace) {
  // Without a racing write the fault is invisible.
  auto s = MakeSvsmWithFault("create-vcpu.checks-before-revoke");
  WriteVmsaPage(*s, kVmsa1, ValidVmsa(*s, 2));
  EXPECT_TRUE(
      IsResult(CreateVcpu(*s, kVmsa1, kCaa1, 1), SVSM_SUCCESS, "core.create-vcpu.vmsa-created"));
  EXPECT_EQ(s->VmsaOf(1)->vmpl, 2);
  EXPECT_EQ(s->PageStateAt(kVmsa1).perms, (std::array<uint8_t, 4>{}));
  WriteVmsaPage(*s, kVmsa1 + 2 * kPageSize, ValidVmsa(*s, 0));
  EXPECT_TRUE(IsResult(CreateVcpu(*s, kVmsa1 + 2 * kPageSize, kCaa1 + 2 * kPageSize, 2),
                       SVSM_ERR_INVALID_PARAMETER, "core.create-vcpu.vmsa-vmpl-zero"));
  EXPECT_EQ(s->PageStateAt(kVmsa1 + 2 * kPageSize), ReferenceSvsm::GrantedAttrs(2, false));
}

TEST(InjectionRacingWrite, FiresAfterTheListReadAndLandsOnGuestMemory) {
  auto s = MakeSvsm();
  WriteList(*s, kList, {V4k(kLow), V4k(kLow + kPageSize)});
  // The list page is the guest's: a racing write there lands once the SVSM has read it.
  ASSERT_TRUE(s->InjectRacingWrite(2, kList + 0x800, {1, 2, 3, 4, 5, 6, 7, 8}));
  EXPECT_TRUE(IsResult(Pvalidate(*s), SVSM_SUCCESS, "core.pvalidate.process-from-next"));
  EXPECT_EQ(s->racing_write_outcome(), Outcome::kLanded);
  EXPECT_EQ(PhysU64(*s, kList + 0x800), 0x0807060504030201u);
  ExpectValidated(*s, kLow);
  ExpectValidated(*s, kLow + kPageSize);
  EXPECT_EQ(ListNext(*s, kList), 2);
}

TEST(InjectionRacingWrite, FiresThroughTheDecodersViews) {
  auto s = MakeSvsm();
  // CREATE_VCPU's decoder reads the CAA through physical_view(); the CAA stays guest memory.
  WriteVmsaPage(*s, kVmsa1, ValidVmsa(*s, 2));
  ASSERT_TRUE(s->InjectRacingWrite(2, kCaa1 + 0x100, {0x5A}));
  EXPECT_TRUE(
      IsResult(CreateVcpu(*s, kVmsa1, kCaa1, 1), SVSM_SUCCESS, "core.create-vcpu.vmsa-created"));
  EXPECT_EQ(s->racing_write_outcome(), Outcome::kLanded);
  EXPECT_EQ(PhysByte(*s, kCaa1 + 0x100), 0x5A);

  // svsm_view(): a read over two pages fires a write armed on the second.
  ASSERT_TRUE(s->InjectRacingWrite(2, kList + kPageSize + 0x10, {0x77, 0x88}));
  std::vector<uint8_t> buf(16);
  EXPECT_TRUE(s->svsm_view().Read(kList + kPageSize - 8, buf));
  EXPECT_EQ(buf, std::vector<uint8_t>(16, 0));  // the read saw memory before the write
  EXPECT_EQ(s->racing_write_outcome(), Outcome::kLanded);
  EXPECT_EQ(GuestReadBytes(*s, kList + kPageSize + 0x10, 2), (std::vector<uint8_t>{0x77, 0x88}));

  // physical_view() directly; a read that faults is no read, and fires nothing.
  ASSERT_TRUE(s->InjectRacingWrite(2, kList + 0x20, {0x99}));
  EXPECT_FALSE(s->svsm_view().Read(s->config().svsm_base, buf));
  EXPECT_FALSE(s->physical_view().Read(0x90000000, buf));
  EXPECT_EQ(s->racing_write_outcome(), Outcome::kPending);
  EXPECT_TRUE(s->physical_view().Read(kList, buf));
  EXPECT_EQ(s->racing_write_outcome(), Outcome::kLanded);
  EXPECT_EQ(PhysByte(*s, kList + 0x20), 0x99);
}

TEST(InjectionRacingWrite, FiresOnceAndFaultsWhereTheVmplMayNotWrite) {
  auto s = MakeSvsm();
  // VMPL3 has no access to boot-ram (the guest runs at VMPL2).
  ASSERT_TRUE(s->InjectRacingWrite(3, kList + 0x800, {0xAA}));
  WriteList(*s, kList, {V4k(kLow)});
  EXPECT_TRUE(IsResult(Pvalidate(*s), SVSM_SUCCESS, "core.pvalidate.process-from-next"));
  EXPECT_EQ(s->racing_write_outcome(), Outcome::kFaulted);
  EXPECT_EQ(PhysByte(*s, kList + 0x800), 0);
  // Fired once: another read of the page writes nothing.
  ASSERT_TRUE(s->InjectRacingWrite(2, kList + 0x800, {0xAA}));
  std::vector<uint8_t> buf(8);
  EXPECT_TRUE(s->svsm_view().Read(kList, buf));
  EXPECT_EQ(s->racing_write_outcome(), Outcome::kLanded);
  GuestWriteBytes(*s, kList + 0x800, std::vector<uint8_t>{0});
  EXPECT_TRUE(s->svsm_view().Read(kList, buf));
  EXPECT_EQ(PhysByte(*s, kList + 0x800), 0);
  EXPECT_EQ(s->racing_write_outcome(), Outcome::kLanded);
}

TEST(InjectionRacingWrite, PendingUntilThePageIsReadAndClearedByClearInjections) {
  auto s = MakeSvsm();
  EXPECT_EQ(s->racing_write_outcome(), Outcome::kNone);
  const uint64_t untouched = kList + 4 * kPageSize;
  ASSERT_TRUE(s->InjectRacingWrite(2, untouched, {0x42}));
  PvalidateOk(*s, {V4k(kLow)}, kList);
  // Tests' own reads are no SVSM reads.
  EXPECT_EQ(PhysByte(*s, untouched), 0);
  EXPECT_EQ(GuestReadBytes(*s, untouched, 1), std::vector<uint8_t>{0});
  EXPECT_EQ(s->racing_write_outcome(), Outcome::kPending);
  s->ClearInjections();
  EXPECT_EQ(s->racing_write_outcome(), Outcome::kNone);
  // Dropped: a read of the page now writes nothing.
  std::vector<uint8_t> buf(8);
  EXPECT_TRUE(s->svsm_view().Read(untouched, buf));
  EXPECT_EQ(PhysByte(*s, untouched), 0);
  EXPECT_EQ(s->racing_write_outcome(), Outcome::kNone);
}

TEST(InjectionRacingWrite, InvalidArgumentsArmNothing) {
  auto s = MakeSvsm();
  EXPECT_FALSE(s->InjectRacingWrite(2, kList, {}));
  EXPECT_FALSE(s->InjectRacingWrite(0, kList, {1}));
  EXPECT_FALSE(s->InjectRacingWrite(4, kList, {1}));
  EXPECT_FALSE(s->InjectRacingWrite(2, kList + kPageSize - 1, {1, 2}));
  EXPECT_FALSE(s->InjectRacingWrite(2, kList, std::vector<uint8_t>(kPageSize + 1, 1)));
  EXPECT_FALSE(s->InjectRacingWrite(2, ~uint64_t{0}, {1, 2}));
  EXPECT_EQ(s->racing_write_outcome(), Outcome::kNone);
  // A whole page is fine; a refused one leaves a pending write in place.
  EXPECT_TRUE(s->InjectRacingWrite(2, kList, std::vector<uint8_t>(kPageSize, 1)));
  EXPECT_TRUE(s->InjectRacingWrite(1, kList + 0x10, {0xEE}));  // replaces the first
  EXPECT_FALSE(s->InjectRacingWrite(2, kList, {}));
  EXPECT_EQ(s->racing_write_outcome(), Outcome::kPending);
  std::vector<uint8_t> buf(8);
  EXPECT_TRUE(s->svsm_view().Read(kList, buf));
  EXPECT_EQ(s->racing_write_outcome(), Outcome::kLanded);
  EXPECT_EQ(PhysByte(*s, kList), 0);
  EXPECT_EQ(PhysByte(*s, kList + 0x10), 0xEE);
}

}  // namespace
}  // namespace svsm_ref
