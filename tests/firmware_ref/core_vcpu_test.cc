// SVSM_CORE_CREATE_VCPU and SVSM_CORE_DELETE_VCPU (core.create-vcpu.*, core.delete-vcpu.*,
// core.vmsa-is-svsm-memory).
#include <functional>

#include "svsm_test_support.h"

namespace svsm_ref {
namespace {

using namespace svsm_ref::testing;  // NOLINT
using svsm_spec::codec::gen::Vmsa;

// boot-ram pages (validated at launch, guest VMPL 2 has full access).
constexpr uint64_t kVmsa1 = 0x100000;
constexpr uint64_t kCaa1 = 0x101000;
constexpr uint64_t kVmsa2 = 0x102000;
constexpr uint64_t kCaa2 = 0x103000;
constexpr uint64_t kShared = 0x80000000;  // shared RAM: every VMPL may use it
constexpr uint64_t kLow = 0x1000000;      // low-ram, not validated
constexpr uint64_t kList = 0x700000;

CallResult Create(ReferenceSvsm& s, size_t caller, uint64_t vmsa, uint64_t caa, uint64_t apic) {
  const RegisterSet in = Regs(CoreRax(SVSM_CORE_CREATE_VCPU), vmsa, caa, apic);
  CallResult r = Call(s, caller, in);
  EXPECT_TRUE(RegsKept(r, in));
  return r;
}

CallResult Delete(ReferenceSvsm& s, size_t caller, uint64_t vmsa) {
  const RegisterSet in = Regs(CoreRax(SVSM_CORE_DELETE_VCPU), vmsa);
  CallResult r = Call(s, caller, in);
  if (r.outcome == CallResult::Outcome::kCompleted) {
    EXPECT_TRUE(RegsKept(r, in));
  }
  return r;
}

void CreateOk(ReferenceSvsm& s, size_t caller, uint64_t vmsa, uint64_t caa, uint32_t apic,
              uint8_t vmpl) {
  WriteVmsaPage(s, vmsa, ValidVmsa(s, vmpl));
  ASSERT_TRUE(
      IsResult(Create(s, caller, vmsa, caa, apic), SVSM_SUCCESS, "core.create-vcpu.vmsa-created"));
}

// A refused CREATE_VCPU changes nothing: vCPU table, the pages' state.
void ExpectCreateRefused(ReferenceSvsm& s, uint64_t vmsa, uint64_t caa, uint64_t apic,
                         uint32_t code, const char* rule, size_t caller = 0) {
  const std::vector<VcpuState> vcpus = s.vcpus();
  const PageAttrs vmsa_attrs = s.PageStateAt(vmsa), caa_attrs = s.PageStateAt(caa);
  const CallResult r = Create(s, caller, vmsa, caa, apic);
  EXPECT_TRUE(IsResult(r, code, rule)) << std::hex << "vmsa 0x" << vmsa << " caa 0x" << caa;
  for (size_t i = 0; i < vcpus.size(); ++i) {
    EXPECT_EQ(s.vcpus()[i].vmsa, vcpus[i].vmsa) << i;
    EXPECT_EQ(s.vcpus()[i].caa, vcpus[i].caa) << i;
  }
  EXPECT_EQ(s.PageStateAt(vmsa), vmsa_attrs);
  EXPECT_EQ(s.PageStateAt(caa), caa_attrs);
}

// ------------------------------------------------------------------------- CREATE_VCPU

TEST(CoreCreateVcpu, Success) {
  auto s = MakeSvsm();
  GuestWriteBytes(*s, kCaa1, std::vector<uint8_t>(8, 0));
  CreateOk(*s, 0, kVmsa1, kCaa1, 1, 2);
  const VcpuState& v = s->vcpus()[1];
  EXPECT_EQ(v.apic_id, 1u);
  EXPECT_EQ(v.vmsa, kVmsa1);
  EXPECT_EQ(v.caa, kCaa1);
  EXPECT_FALSE(v.running);
  // The page is a VMSA page now, VMPL0-only: SVSM memory.
  const PageAttrs a = s->PageStateAt(kVmsa1);
  EXPECT_TRUE(a.validated);
  EXPECT_TRUE(a.vmsa);
  EXPECT_EQ(a.perms, (std::array<uint8_t, 4>{}));
  EXPECT_FALSE(CanRead(*s, 2, kVmsa1));
  EXPECT_FALSE(s->GuestWrite(2, kVmsa1, std::vector<uint8_t>(1, 0)));
  EXPECT_EQ(s->VmsaOf(1)->vmpl, 2);
  EXPECT_EQ(s->VmsaOf(1)->efer.svme, 1);
  // The CAA is untouched guest memory.
  EXPECT_EQ(s->PageStateAt(kCaa1), ReferenceSvsm::GrantedAttrs(2, false));
  EXPECT_TRUE(CanRead(*s, 2, kCaa1));
  // Other vCPUs unchanged.
  EXPECT_EQ(s->vcpus()[0].vmsa, s->config().startup_vmsa);
  EXPECT_FALSE(s->vcpus()[2].vmsa.has_value());
}

TEST(CoreCreateVcpu, CreatedVcpuCallsThroughItsOwnCaa) {
  auto s = MakeSvsm();
  CreateOk(*s, 0, kVmsa1, kCaa1, 1, 2);
  CallResult r = CoreCall(*s, 1, SVSM_CORE_QUERY_PROTOCOL, 1);
  EXPECT_TRUE(IsResult(r, SVSM_SUCCESS, "core.query-protocol.core-available"));
  EXPECT_EQ(r.call_pending_after, 0);
  const uint8_t one = 1;
  const RegisterSet query = Regs(CoreRax(SVSM_CORE_QUERY_PROTOCOL), 1);
  // The SVSM looks at vCPU 1's CAA, not the startup one.
  GuestWriteBytes(*s, s->config().startup_caa, std::span<const uint8_t>(&one, 1));
  EXPECT_EQ(s->Enter(1, query).outcome, CallResult::Outcome::kSpurious);
  EXPECT_EQ(PhysByte(*s, s->config().startup_caa), 1);
  GuestWriteBytes(*s, kCaa1, std::span<const uint8_t>(&one, 1));
  r = s->Enter(1, query);
  EXPECT_TRUE(IsResult(r, SVSM_SUCCESS, "core.query-protocol.core-available"));
  EXPECT_EQ(PhysByte(*s, kCaa1), 0);
  EXPECT_EQ(PhysByte(*s, s->config().startup_caa), 1);
  // A created vCPU may create another (it is VMPL2 too).
  CreateOk(*s, 1, kVmsa2, kCaa2, 2, 2);
  EXPECT_EQ(s->vcpus()[2].vmsa, kVmsa2);
}

TEST(CoreCreateVcpu, Alignment) {
  auto s = MakeSvsm();
  WriteVmsaPage(*s, kVmsa1, ValidVmsa(*s, 2));
  for (auto [vmsa, caa] : {std::pair{kVmsa1 + 8, kCaa1}, std::pair{kVmsa1 + 0x800, kCaa1},
                           std::pair{kVmsa1, kCaa1 + 8}, std::pair{kVmsa1, kCaa1 + 0xFF8},
                           std::pair{kVmsa1 + 1, kCaa1 + 1}}) {
    ExpectCreateRefused(*s, vmsa, caa, 1, SVSM_ERR_INVALID_PARAMETER, "core.create-vcpu.alignment");
  }
}

TEST(CoreCreateVcpu, NotGuestMemory) {
  auto s = MakeSvsm();
  WriteVmsaPage(*s, kVmsa1, ValidVmsa(*s, 2));
  for (uint64_t bad : {uint64_t{0x90000000}, uint64_t{0xE0000000}, uint64_t{0x200000000},
                       uint64_t{0xFFFFFFFFFFFFF000}}) {
    ExpectCreateRefused(*s, bad, kCaa1, 1, SVSM_ERR_INVALID_ADDRESS,
                        "core.create-vcpu.not-guest-memory");
    ExpectCreateRefused(*s, kVmsa1, bad, 1, SVSM_ERR_INVALID_ADDRESS,
                        "core.create-vcpu.not-guest-memory");
  }
  // Model: a VMSA must be a validated private page, the CAA memory the SVSM can use.
  ExpectCreateRefused(*s, kLow, kCaa1, 1, SVSM_ERR_INVALID_ADDRESS,
                      "core.create-vcpu.not-guest-memory");
  ExpectCreateRefused(*s, kShared, kCaa1, 1, SVSM_ERR_INVALID_ADDRESS,
                      "core.create-vcpu.not-guest-memory");
  ExpectCreateRefused(*s, kVmsa1, kLow, 1, SVSM_ERR_INVALID_ADDRESS,
                      "core.create-vcpu.not-guest-memory");
}

TEST(CoreCreateVcpu, ForbiddenAddresses) {
  auto s = MakeSvsm();
  const PlatformConfig& c = s->config();
  CreateOk(*s, 0, kVmsa1, kCaa1, 1, 2);
  WriteVmsaPage(*s, kVmsa2, ValidVmsa(*s, 2));
  WriteList(*s, kList, {0x200000});
  ASSERT_TRUE(IsResult(CoreCall(*s, 0, SVSM_CORE_DEPOSIT_MEM, kList), SVSM_SUCCESS,
                       "core.deposit-mem.pages-taken"));
  for (uint64_t bad : {c.svsm_base, c.svsm_base + c.svsm_size - kPageSize,  // SVSM region
                       c.startup_vmsa, kVmsa1,                              // active VMSAs
                       c.startup_caa, kCaa1,                                // active CAAs
                       uint64_t{0x200000}}) {                               // deposited
    ExpectCreateRefused(*s, bad, kCaa2, 2, SVSM_ERR_INVALID_ADDRESS,
                        "core.create-vcpu.forbidden-address");
    ExpectCreateRefused(*s, kVmsa2, bad, 2, SVSM_ERR_INVALID_ADDRESS,
                        "core.create-vcpu.forbidden-address");
  }
  EXPECT_TRUE(s->PageStateAt(kVmsa1).vmsa);
  EXPECT_EQ(s->vcpus()[1].caa, kCaa1);
  CreateOk(*s, 0, kVmsa2, kCaa2, 2, 2);
}

TEST(CoreCreateVcpu, SamePage) {
  auto s = MakeSvsm();
  WriteVmsaPage(*s, kVmsa1, ValidVmsa(*s, 2));
  ExpectCreateRefused(*s, kVmsa1, kVmsa1, 1, SVSM_ERR_INVALID_ADDRESS,
                      "core.create-vcpu.vmsa-caa-same-page");
  EXPECT_EQ(s->PageStateAt(kVmsa1), ReferenceSvsm::GrantedAttrs(2, false));
}

TEST(CoreCreateVcpu, ApicId) {
  auto s = MakeSvsm();
  WriteVmsaPage(*s, kVmsa1, ValidVmsa(*s, 2));
  // No such vCPU; the startup vCPU (it has a VMSA).
  for (uint64_t apic : {uint64_t{4}, uint64_t{7}, uint64_t{0xFFFFFFFF}, uint64_t{0}}) {
    ExpectCreateRefused(*s, kVmsa1, kCaa1, apic, SVSM_ERR_INVALID_PARAMETER,
                        "core.create-vcpu.apic-id");
  }
  CreateOk(*s, 0, kVmsa1, kCaa1, 1, 2);
  // A vCPU that already has a VMSA.
  WriteVmsaPage(*s, kVmsa2, ValidVmsa(*s, 2));
  ExpectCreateRefused(*s, kVmsa2, kCaa2, 1, SVSM_ERR_INVALID_PARAMETER, "core.create-vcpu.apic-id");
  EXPECT_EQ(s->vcpus()[1].vmsa, kVmsa1);
  // R8 bits 63:32 are ignored (the model's choice, as COCONUT).
  ASSERT_TRUE(IsResult(Create(*s, 0, kVmsa2, kCaa2, (uint64_t{0xFFFF} << 32) | 3), SVSM_SUCCESS,
                       "core.create-vcpu.vmsa-created"));
  EXPECT_EQ(s->vcpus()[3].vmsa, kVmsa2);
}

// Each VMSA content check: refused with INVALID_PARAMETER, and the guest's access to the page
// is restored (core.create-vcpu.revoke-before-check undone on failure).
void ExpectVmsaRefused(const std::function<void(Vmsa&)>& spoil, const char* rule) {
  auto s = MakeSvsm();
  Vmsa vmsa = ValidVmsa(*s, 2);
  spoil(vmsa);
  WriteVmsaPage(*s, kVmsa1, vmsa);
  ExpectCreateRefused(*s, kVmsa1, kCaa1, 1, SVSM_ERR_INVALID_PARAMETER, rule);
  EXPECT_EQ(s->PageStateAt(kVmsa1), ReferenceSvsm::GrantedAttrs(2, false)) << rule;
  EXPECT_TRUE(CanRead(*s, 2, kVmsa1));
  EXPECT_TRUE(s->GuestWrite(2, kVmsa1 + 0x800, std::vector<uint8_t>(1, 0)));
  EXPECT_FALSE(s->vcpus()[1].vmsa.has_value());
  // Fixed, the same page is accepted.
  WriteVmsaPage(*s, kVmsa1, ValidVmsa(*s, 2));
  EXPECT_TRUE(
      IsResult(Create(*s, 0, kVmsa1, kCaa1, 1), SVSM_SUCCESS, "core.create-vcpu.vmsa-created"));
}

// Also covers core.create-vcpu.revoke-before-check as far as it is observable: the guest's
// access is gone after success (Success) and restored after a refused check.
TEST(CoreCreateVcpu, VmsaChecks) {
  ExpectVmsaRefused([](Vmsa& v) { v.vmpl = 0; }, "core.create-vcpu.vmsa-vmpl-zero");
  ExpectVmsaRefused([](Vmsa& v) { v.vmpl = 1; }, "core.create-vcpu.vmsa-vmpl-below-caller");
  ExpectVmsaRefused([](Vmsa& v) { v.vmpl = 4; }, "model.create-vcpu.vmsa-vmpl-range");
  ExpectVmsaRefused([](Vmsa& v) { v.vmpl = 0xFF; }, "model.create-vcpu.vmsa-vmpl-range");
  ExpectVmsaRefused([](Vmsa& v) { v.efer.svme = 0; }, "core.create-vcpu.vmsa-svme");
  ExpectVmsaRefused(
      [](Vmsa& v) { v.efer = svsm_spec::codec::gen::VmsaEfer::Unpack(~(uint64_t{1} << 12)); },
      "core.create-vcpu.vmsa-svme");
  ExpectVmsaRefused([](Vmsa& v) { v.sev_features = 0; }, "core.create-vcpu.vmsa-sev-features");
  ExpectVmsaRefused([](Vmsa& v) { v.sev_features = 3; }, "core.create-vcpu.vmsa-sev-features");
  ExpectVmsaRefused([](Vmsa& v) { v.sev_features = uint64_t{1} << 63 | 1; },
                    "core.create-vcpu.vmsa-sev-features");
}

TEST(CoreCreateVcpu, LessPrivilegedVmplAndOtherEferBitsAreFine) {
  auto s = MakeSvsm();
  Vmsa vmsa = ValidVmsa(*s, 3);
  vmsa.efer = svsm_spec::codec::gen::VmsaEfer::Unpack(0xFFFFFFFFFFFFFFFF);
  WriteVmsaPage(*s, kVmsa1, vmsa);
  EXPECT_TRUE(
      IsResult(Create(*s, 0, kVmsa1, kShared, 1), SVSM_SUCCESS, "core.create-vcpu.vmsa-created"));
  EXPECT_EQ(s->VmsaOf(1)->vmpl, 3);
  EXPECT_EQ(s->vcpus()[1].caa, kShared);
}

TEST(CoreCreateVcpu, SevFeaturesComparedWithTheStartupVcpu) {
  PlatformConfig config = DefaultPlatformConfig();
  config.sev_features = 0x5;
  auto s = MakeSvsm(config);
  ASSERT_NE(s, nullptr);
  Vmsa vmsa = ValidVmsa(*s, 2);
  vmsa.sev_features = 1;
  WriteVmsaPage(*s, kVmsa1, vmsa);
  ExpectCreateRefused(*s, kVmsa1, kCaa1, 1, SVSM_ERR_INVALID_PARAMETER,
                      "core.create-vcpu.vmsa-sev-features");
  vmsa.sev_features = 5;
  WriteVmsaPage(*s, kVmsa1, vmsa);
  EXPECT_TRUE(
      IsResult(Create(*s, 0, kVmsa1, kCaa1, 1), SVSM_SUCCESS, "core.create-vcpu.vmsa-created"));
}

TEST(CoreCreateVcpu, CreatedVmsaIsSvsmMemory) {
  auto s = MakeSvsm();
  CreateOk(*s, 0, kVmsa1, kCaa1, 1, 2);
  WriteList(*s, kList, {PvalidateEntryBits(kVmsa1, 0, 0)});
  EXPECT_TRUE(IsResult(CoreCall(*s, 0, SVSM_CORE_PVALIDATE, kList), SVSM_ERR_INVALID_ADDRESS,
                       "core.pvalidate.entry-svsm-memory"));
  EXPECT_TRUE(IsResult(CoreCall(*s, 0, SVSM_CORE_REMAP_CA, kVmsa1), SVSM_ERR_INVALID_ADDRESS,
                       "core.vmsa-is-svsm-memory"));
  WriteList(*s, kList, {kVmsa1});
  EXPECT_TRUE(IsResult(CoreCall(*s, 0, SVSM_CORE_DEPOSIT_MEM, kList), SVSM_ERR_INVALID_ADDRESS,
                       "core.deposit-mem.entry-forbidden"));
  EXPECT_TRUE(s->PageStateAt(kVmsa1).vmsa);
  EXPECT_TRUE(s->deposited_frames().empty());
}

// ------------------------------------------------------------------------- DELETE_VCPU

TEST(CoreDeleteVcpu, Alignment) {
  auto s = MakeSvsm();
  CreateOk(*s, 0, kVmsa1, kCaa1, 1, 2);
  for (uint64_t off : {1, 8, 0x800, 0xFF8}) {
    EXPECT_TRUE(IsResult(Delete(*s, 0, kVmsa1 + off), SVSM_ERR_INVALID_PARAMETER,
                         "core.delete-vcpu.alignment"));
  }
  EXPECT_EQ(s->vcpus()[1].vmsa, kVmsa1);
}

TEST(CoreDeleteVcpu, UnknownVmsa) {
  auto s = MakeSvsm();
  for (uint64_t gpa : {kVmsa1, kCaa1, s->config().startup_caa, s->config().svsm_base,
                       uint64_t{0x90000000}, uint64_t{0xFFFFFFFFFFFFF000}}) {
    EXPECT_TRUE(
        IsResult(Delete(*s, 0, gpa), SVSM_ERR_INVALID_PARAMETER, "core.delete-vcpu.unknown-vmsa"))
        << std::hex << gpa;
  }
  // A deleted VMSA is unknown again.
  CreateOk(*s, 0, kVmsa1, kCaa1, 1, 2);
  ASSERT_TRUE(IsResult(Delete(*s, 0, kVmsa1), SVSM_SUCCESS, "core.delete-vcpu.vmsa-released"));
  EXPECT_TRUE(
      IsResult(Delete(*s, 0, kVmsa1), SVSM_ERR_INVALID_PARAMETER, "core.delete-vcpu.unknown-vmsa"));
}

TEST(CoreDeleteVcpu, StartupVcpu) {
  auto s = MakeSvsm();
  const uint64_t vmsa = s->config().startup_vmsa;
  EXPECT_TRUE(
      IsResult(Delete(*s, 0, vmsa), SVSM_ERR_INVALID_PARAMETER, "core.delete-vcpu.startup-vcpu"));
  CreateOk(*s, 0, kVmsa1, kCaa1, 1, 2);
  EXPECT_TRUE(
      IsResult(Delete(*s, 1, vmsa), SVSM_ERR_INVALID_PARAMETER, "core.delete-vcpu.startup-vcpu"));
  EXPECT_EQ(s->vcpus()[0].vmsa, vmsa);
  EXPECT_TRUE(s->PageStateAt(vmsa).vmsa);
  EXPECT_EQ(s->VmsaOf(0)->efer.svme, 1);
}

TEST(CoreDeleteVcpu, RunningVcpuIsInUse) {
  auto s = MakeSvsm();
  CreateOk(*s, 0, kVmsa1, kCaa1, 1, 2);
  ASSERT_TRUE(s->SetVcpuRunning(1, true));
  EXPECT_TRUE(IsResult(Delete(*s, 0, kVmsa1), SVSM_ERR_CORE_FAIL_INUSE, "core.delete-vcpu.in-use"));
  EXPECT_EQ(s->vcpus()[1].vmsa, kVmsa1);
  EXPECT_TRUE(s->vcpus()[1].running);
  EXPECT_EQ(s->VmsaOf(1)->efer.svme, 1);
  EXPECT_TRUE(s->PageStateAt(kVmsa1).vmsa);
  ASSERT_TRUE(s->SetVcpuRunning(1, false));
  EXPECT_TRUE(IsResult(Delete(*s, 0, kVmsa1), SVSM_SUCCESS, "core.delete-vcpu.vmsa-released"));
}

TEST(CoreDeleteVcpu, ReleasedPageIsGuestMemoryAgain) {
  auto s = MakeSvsm();
  CreateOk(*s, 0, kVmsa1, kCaa1, 1, 2);
  EXPECT_TRUE(IsResult(Delete(*s, 0, kVmsa1), SVSM_SUCCESS, "core.delete-vcpu.vmsa-released"));
  EXPECT_FALSE(s->vcpus()[1].vmsa.has_value());
  EXPECT_FALSE(s->VmsaOf(1).has_value());
  EXPECT_EQ(s->PageStateAt(kVmsa1), ReferenceSvsm::GrantedAttrs(2, false));
  // SVME = 0 in the page (EFER at 0xD0, bit 12); the VMPL byte is kept.
  EXPECT_EQ(PhysU64(*s, kVmsa1 + 0xD0) & (uint64_t{1} << 12), 0u);
  EXPECT_EQ(GuestReadBytes(*s, kVmsa1 + 0xCA, 1)[0], 2);
  EXPECT_TRUE(s->GuestWrite(2, kVmsa1, std::vector<uint8_t>(8, 0x11)));
  // The vCPU can no longer run; its CAA is an ordinary page (it may become a CAA of vCPU 0).
  EXPECT_EQ(s->GuestCall(1, Regs(CoreRax(SVSM_CORE_QUERY_PROTOCOL), 1)).outcome,
            CallResult::Outcome::kNoVmsa);
  EXPECT_FALSE(s->SetVcpuRunning(1, true));
  // Both pages are usable again, even for the same vCPU.
  CreateOk(*s, 0, kVmsa1, kCaa1, 1, 2);
  EXPECT_TRUE(IsResult(Delete(*s, 0, kVmsa1), SVSM_SUCCESS, "core.delete-vcpu.vmsa-released"));
  EXPECT_TRUE(IsResult(CoreCall(*s, 0, SVSM_CORE_REMAP_CA, kCaa1), SVSM_SUCCESS,
                       "core.remap-ca.new-caa-cleared"));
  WriteList(*s, kList, {PvalidateEntryBits(kVmsa1, 0, 0)});
  EXPECT_TRUE(IsResult(CoreCall(*s, 0, SVSM_CORE_PVALIDATE, kList), SVSM_SUCCESS,
                       "core.pvalidate.process-from-next"));
}

TEST(CoreDeleteVcpu, PermissionsGoToTheRequestingVmpl) {
  auto s = MakeSvsm();
  CreateOk(*s, 0, kVmsa1, kShared, 1, 3);
  CreateOk(*s, 0, kVmsa2, kCaa2, 2, 2);
  // A VMPL2 caller deleting a VMPL3 VMSA: VMPL1..2 get access, VMPL3 none.
  EXPECT_TRUE(IsResult(Delete(*s, 2, kVmsa1), SVSM_SUCCESS, "core.delete-vcpu.vmsa-released"));
  EXPECT_EQ(s->PageStateAt(kVmsa1), ReferenceSvsm::GrantedAttrs(2, false));
  EXPECT_FALSE(CanRead(*s, 3, kVmsa1));
  // A VMPL3 caller deleting a VMSA it created: VMPL1..3 get access.
  CreateOk(*s, 0, kVmsa1, kShared, 1, 3);
  WriteVmsaPage(*s, 0x104000, ValidVmsa(*s, 3));
  ASSERT_TRUE(IsResult(Create(*s, 1, 0x104000, kShared + kPageSize, 3), SVSM_SUCCESS,
                       "core.create-vcpu.vmsa-created"));
  EXPECT_TRUE(IsResult(Delete(*s, 1, 0x104000), SVSM_SUCCESS, "core.delete-vcpu.vmsa-released"));
  EXPECT_EQ(s->PageStateAt(0x104000), ReferenceSvsm::GrantedAttrs(3, false));
  EXPECT_TRUE(CanRead(*s, 3, 0x104000));
}

TEST(CoreDeleteVcpu, VmsaMorePrivilegedThanTheCaller) {
  auto s = MakeSvsm();
  CreateOk(*s, 0, kVmsa1, kCaa1, 1, 2);    // VMPL2
  CreateOk(*s, 0, kVmsa2, kShared, 2, 3);  // VMPL3, CAA in shared RAM (VMPL3 may write it)
  EXPECT_TRUE(IsResult(Delete(*s, 2, kVmsa1), SVSM_ERR_INVALID_PARAMETER,
                       "core.delete-vcpu.vmsa-vmpl-below-caller"));
  EXPECT_EQ(s->vcpus()[1].vmsa, kVmsa1);
  EXPECT_TRUE(s->PageStateAt(kVmsa1).vmsa);
  EXPECT_EQ(s->VmsaOf(1)->efer.svme, 1);
  // The startup check and the unknown check still come first for their addresses.
  EXPECT_TRUE(IsResult(Delete(*s, 2, s->config().startup_vmsa), SVSM_ERR_INVALID_PARAMETER,
                       "core.delete-vcpu.startup-vcpu"));
  // Likewise, a VMPL3 caller cannot create a VMPL2 vCPU.
  WriteVmsaPage(*s, 0x104000, ValidVmsa(*s, 2));
  ExpectCreateRefused(*s, 0x104000, 0x105000, 3, SVSM_ERR_INVALID_PARAMETER,
                      "core.create-vcpu.vmsa-vmpl-below-caller", /*caller=*/2);
  EXPECT_EQ(s->PageStateAt(0x104000), ReferenceSvsm::GrantedAttrs(2, false));
  // The VMPL2 vCPU may delete the VMPL3 one.
  EXPECT_TRUE(IsResult(Delete(*s, 1, kVmsa2), SVSM_SUCCESS, "core.delete-vcpu.vmsa-released"));
}

TEST(CoreDeleteVcpu, SelfDeleteNeverReturns) {
  auto s = MakeSvsm();
  CreateOk(*s, 0, kVmsa1, kCaa1, 1, 2);
  ASSERT_TRUE(s->SetVcpuRunning(1, true));  // it is running guest code when it calls
  const uint64_t calls = s->calls_completed();
  const CallResult r = Delete(*s, 1, kVmsa1);
  EXPECT_EQ(r.outcome, CallResult::Outcome::kVcpuDeleted);
  EXPECT_STREQ(r.rule_id, "core.delete-vcpu.self");
  EXPECT_EQ(s->calls_completed(), calls);
  EXPECT_FALSE(s->vcpus()[1].vmsa.has_value());
  EXPECT_FALSE(s->vcpus()[1].running);
  EXPECT_EQ(s->PageStateAt(kVmsa1), ReferenceSvsm::GrantedAttrs(2, false));
  EXPECT_EQ(PhysU64(*s, kVmsa1 + 0xD0) & (uint64_t{1} << 12), 0u);
  // The SVSM no longer touches its CAA: the call's CALL_PENDING is never cleared.
  EXPECT_EQ(PhysByte(*s, kCaa1), 1);
  EXPECT_EQ(s->GuestCall(1, Regs(CoreRax(SVSM_CORE_QUERY_PROTOCOL), 1)).outcome,
            CallResult::Outcome::kNoVmsa);
  // The startup vCPU is unaffected.
  EXPECT_TRUE(IsResult(CoreCall(*s, 0, SVSM_CORE_QUERY_PROTOCOL, 1), SVSM_SUCCESS,
                       "core.query-protocol.core-available"));
}

}  // namespace
}  // namespace svsm_ref
