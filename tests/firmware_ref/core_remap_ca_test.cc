// SVSM_CORE_REMAP_CA (core.remap-ca.*, core.vmsa-is-svsm-memory, general.faulting-address).
#include "svsm_test_support.h"

namespace svsm_ref {
namespace {

using namespace svsm_ref::testing;  // NOLINT

// Default platform: boot-ram 0..16 MiB validated at launch; low-ram from 16 MiB unvalidated;
// SVSM region 0x40000000 + 16 MiB; shared RAM at 0x80000000; MMIO at 0xE0000000.
constexpr uint64_t kNewCaa = 0x103000;
constexpr uint64_t kVmsa1 = 0x100000;
constexpr uint64_t kCaa1 = 0x101000;

uint64_t StartupCaa(const ReferenceSvsm& s) {
  return s.config().startup_caa;
}

void CreateVcpu1(ReferenceSvsm& s) {
  WriteVmsaPage(s, kVmsa1, ValidVmsa(s, 2));
  ASSERT_TRUE(IsResult(CoreCall(s, 0, SVSM_CORE_CREATE_VCPU, kVmsa1, kCaa1, 1), SVSM_SUCCESS,
                       "core.create-vcpu.vmsa-created"));
}

// A refused REMAP_CA leaves the CAA where it was and still clears the old CALL_PENDING.
void ExpectRefused(ReferenceSvsm& s, uint64_t new_caa, uint32_t code, const char* rule) {
  const uint64_t old = s.vcpus()[0].caa;
  const uint8_t one = 1;
  GuestWriteBytes(s, old, std::span<const uint8_t>(&one, 1));
  const RegisterSet in = Regs(CoreRax(SVSM_CORE_REMAP_CA), new_caa);
  const CallResult r = s.Enter(0, in);
  EXPECT_TRUE(ResultAgreesWithSpec(r));
  EXPECT_TRUE(IsResult(r, code, rule)) << "new CAA 0x" << std::hex << new_caa;
  EXPECT_TRUE(RegsKept(r, in));
  EXPECT_EQ(s.vcpus()[0].caa, old);
  // core.remap-ca.old-caa-released / general.call-pending-clear: cleared whatever the result.
  EXPECT_EQ(PhysByte(s, old), 0);
}

TEST(CoreRemapCa, Alignment) {
  auto s = MakeSvsm();
  ExpectRefused(*s, kNewCaa + 8, SVSM_ERR_INVALID_PARAMETER, "core.remap-ca.alignment");
  ExpectRefused(*s, kNewCaa + 0x800, SVSM_ERR_INVALID_PARAMETER, "core.remap-ca.alignment");
  ExpectRefused(*s, kNewCaa + 1, SVSM_ERR_INVALID_PARAMETER, "core.remap-ca.alignment");
  ExpectRefused(*s, kNewCaa + 0xFF8, SVSM_ERR_INVALID_PARAMETER, "core.remap-ca.alignment");
}

TEST(CoreRemapCa, SameAddressIsANoOpSuccess) {
  auto s = MakeSvsm();
  const uint64_t caa = StartupCaa(*s);
  const CallResult r = CoreCall(*s, 0, SVSM_CORE_REMAP_CA, caa);
  EXPECT_TRUE(IsResult(r, SVSM_SUCCESS, "core.remap-ca.same-address"));
  EXPECT_EQ(r.call_pending_after, 0);
  EXPECT_EQ(s->vcpus()[0].caa, caa);
  EXPECT_EQ(PhysByte(*s, caa), 0);
  EXPECT_TRUE(IsResult(CoreCall(*s, 0, SVSM_CORE_QUERY_PROTOCOL, 1), SVSM_SUCCESS,
                       "core.query-protocol.core-available"));
}

TEST(CoreRemapCa, SvsmRegionIsForbidden) {
  auto s = MakeSvsm();
  const uint64_t base = s->config().svsm_base, size = s->config().svsm_size;
  ExpectRefused(*s, base, SVSM_ERR_INVALID_ADDRESS, "core.remap-ca.forbidden-address");
  ExpectRefused(*s, base + size - kPageSize, SVSM_ERR_INVALID_ADDRESS,
                "core.remap-ca.forbidden-address");
  // Boundaries: the pages just outside the region are ordinary guest memory.
  PvalidateOk(*s,
              {PvalidateEntryBits(base - kPageSize, 0, 1), PvalidateEntryBits(base + size, 0, 1)},
              0x700000);
  EXPECT_TRUE(IsResult(CoreCall(*s, 0, SVSM_CORE_REMAP_CA, base + size), SVSM_SUCCESS,
                       "core.remap-ca.new-caa-cleared"));
  EXPECT_TRUE(IsResult(CoreCall(*s, 0, SVSM_CORE_REMAP_CA, base - kPageSize), SVSM_SUCCESS,
                       "core.remap-ca.new-caa-cleared"));
}

TEST(CoreRemapCa, OtherVcpusCaaIsForbidden) {
  auto s = MakeSvsm();
  CreateVcpu1(*s);
  ExpectRefused(*s, kCaa1, SVSM_ERR_INVALID_ADDRESS, "core.remap-ca.forbidden-address");
  // vCPU 1 may not take the startup vCPU's CAA either.
  const CallResult r = CoreCall(*s, 1, SVSM_CORE_REMAP_CA, StartupCaa(*s));
  EXPECT_TRUE(IsResult(r, SVSM_ERR_INVALID_ADDRESS, "core.remap-ca.forbidden-address"));
  EXPECT_EQ(s->vcpus()[1].caa, kCaa1);
}

TEST(CoreRemapCa, DepositedPageIsForbidden) {
  auto s = MakeSvsm();
  WriteList(*s, 0x700000, {kNewCaa});
  ASSERT_TRUE(IsResult(CoreCall(*s, 0, SVSM_CORE_DEPOSIT_MEM, 0x700000), SVSM_SUCCESS,
                       "core.deposit-mem.pages-taken"));
  ExpectRefused(*s, kNewCaa, SVSM_ERR_INVALID_ADDRESS, "core.remap-ca.forbidden-address");
}

TEST(CoreRemapCa, ActiveVmsaIsSvsmMemory) {
  auto s = MakeSvsm();
  ExpectRefused(*s, s->config().startup_vmsa, SVSM_ERR_INVALID_ADDRESS, "core.vmsa-is-svsm-memory");
  CreateVcpu1(*s);
  ExpectRefused(*s, kVmsa1, SVSM_ERR_INVALID_ADDRESS, "core.vmsa-is-svsm-memory");
  // The VMSA page is untouched (still a VMSA, not a CAA).
  EXPECT_TRUE(s->PageStateAt(kVmsa1).vmsa);
  EXPECT_EQ(s->VmsaOf(1)->vmpl, 2);
}

TEST(CoreRemapCa, NotGuestMemoryFaults) {
  auto s = MakeSvsm();
  for (uint64_t gpa : {uint64_t{0x90000000},             // hole
                       uint64_t{0xE0000000},             // MMIO
                       uint64_t{0x200000000},            // above the last RAM
                       uint64_t{0xFFFFFFFFFFFFF000}}) {  // last page of the address space
    ExpectRefused(*s, gpa, SVSM_ERR_INVALID_ADDRESS, "general.faulting-address");
  }
}

TEST(CoreRemapCa, UnvalidatedPageFaults) {
  auto s = MakeSvsm();
  ExpectRefused(*s, 0x1000000, SVSM_ERR_INVALID_ADDRESS, "general.faulting-address");
  // A page the guest rescinded faults too.
  PvalidateOk(*s, {PvalidateEntryBits(kNewCaa, 0, 0)}, 0x700000);
  ExpectRefused(*s, kNewCaa, SVSM_ERR_INVALID_ADDRESS, "general.faulting-address");
}

// Covers core.remap-ca.new-caa-cleared and core.remap-ca.old-caa-released.
TEST(CoreRemapCa, SuccessMovesTheCallingArea) {
  auto s = MakeSvsm();
  const uint64_t old = StartupCaa(*s);
  // The host (or stale data) left CALL_PENDING = 1 and other bytes in the new page.
  const std::vector<uint8_t> junk = {1, 0, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x77};
  GuestWriteBytes(*s, kNewCaa, junk);
  const uint8_t one = 1;
  GuestWriteBytes(*s, old, std::span<const uint8_t>(&one, 1));
  const RegisterSet in = Regs(CoreRax(SVSM_CORE_REMAP_CA), kNewCaa);
  CallResult r = s->Enter(0, in);
  EXPECT_TRUE(ResultAgreesWithSpec(r));
  EXPECT_TRUE(IsResult(r, SVSM_SUCCESS, "core.remap-ca.new-caa-cleared"));
  EXPECT_TRUE(RegsKept(r, in));
  EXPECT_EQ(s->vcpus()[0].caa, kNewCaa);
  EXPECT_EQ(PhysByte(*s, kNewCaa), 0);  // core.remap-ca.new-caa-cleared
  EXPECT_EQ(PhysByte(*s, old), 0);      // core.remap-ca.old-caa-released: cleared on completion
  EXPECT_EQ(PhysByte(*s, kNewCaa + 8), 0x77);  // only the header is the SVSM's
  // Only the calling vCPU is affected.
  EXPECT_FALSE(s->vcpus()[1].vmsa.has_value());

  // core.remap-ca.old-caa-released: the SVSM no longer looks at the old CAA. A pending flag
  // there is not a call (spurious entry) and stays untouched.
  GuestWriteBytes(*s, old, std::span<const uint8_t>(&one, 1));
  const RegisterSet query = Regs(CoreRax(SVSM_CORE_QUERY_PROTOCOL), 1);
  r = s->Enter(0, query);
  EXPECT_EQ(r.outcome, CallResult::Outcome::kSpurious);
  EXPECT_EQ(PhysByte(*s, old), 1);
  // Calls through the new CAA work and clear its CALL_PENDING.
  GuestWriteBytes(*s, kNewCaa, std::span<const uint8_t>(&one, 1));
  r = s->Enter(0, query);
  EXPECT_TRUE(IsResult(r, SVSM_SUCCESS, "core.query-protocol.core-available"));
  EXPECT_EQ(PhysByte(*s, kNewCaa), 0);
  EXPECT_EQ(PhysByte(*s, old), 1);
  r = Call(*s, 0, query);
  EXPECT_TRUE(IsResult(r, SVSM_SUCCESS, "core.query-protocol.core-available"));
  EXPECT_EQ(r.call_pending_after, 0);

  // The old CAA is ordinary guest memory again: it may now become a VMSA, the new one not.
  WriteVmsaPage(*s, old, ValidVmsa(*s, 2));
  EXPECT_TRUE(IsResult(CoreCall(*s, 0, SVSM_CORE_CREATE_VCPU, old, kCaa1, 1), SVSM_SUCCESS,
                       "core.create-vcpu.vmsa-created"));
  WriteVmsaPage(*s, kVmsa1, ValidVmsa(*s, 2));
  EXPECT_TRUE(IsResult(CoreCall(*s, 0, SVSM_CORE_CREATE_VCPU, kVmsa1, kNewCaa, 2),
                       SVSM_ERR_INVALID_ADDRESS, "core.create-vcpu.forbidden-address"));
}

TEST(CoreRemapCa, SharedPageCanBeTheCallingArea) {
  auto s = MakeSvsm();
  const uint64_t shared = 0x80000000;
  EXPECT_TRUE(IsResult(CoreCall(*s, 0, SVSM_CORE_REMAP_CA, shared), SVSM_SUCCESS,
                       "core.remap-ca.new-caa-cleared"));
  EXPECT_EQ(s->vcpus()[0].caa, shared);
  EXPECT_TRUE(IsResult(CoreCall(*s, 0, SVSM_CORE_QUERY_PROTOCOL, 1), SVSM_SUCCESS,
                       "core.query-protocol.core-available"));
}

TEST(CoreRemapCa, MemAvailableFollowsTheStartupCaa) {
  auto s = MakeSvsm();
  ASSERT_TRUE(IsResult(CoreCall(*s, 0, SVSM_CORE_REMAP_CA, kNewCaa), SVSM_SUCCESS,
                       "core.remap-ca.new-caa-cleared"));
  WriteList(*s, 0x700000, {0x200000});
  ASSERT_TRUE(IsResult(CoreCall(*s, 0, SVSM_CORE_DEPOSIT_MEM, 0x700000), SVSM_SUCCESS,
                       "core.deposit-mem.pages-taken"));
  EXPECT_EQ(PhysByte(*s, kNewCaa + 1), 1);
  EXPECT_EQ(PhysByte(*s, StartupCaa(*s) + 1), 0);
}

}  // namespace
}  // namespace svsm_ref
