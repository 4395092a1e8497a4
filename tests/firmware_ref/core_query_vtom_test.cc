// SVSM_CORE_QUERY_PROTOCOL and SVSM_CORE_CONFIGURE_VTOM (core.query-protocol.*,
// core.configure-vtom.*), and unknown core calls (core.unknown-call).
#include "svsm_test_support.h"

namespace svsm_ref {
namespace {

using namespace svsm_ref::testing;  // NOLINT

// ------------------------------------------------------------------------- QUERY_PROTOCOL

// Also covers core.mandatory (core 1 always available) and core.query-protocol.no-memory.
TEST(CoreQueryProtocol, EveryProtocolAndVersion) {
  auto s = MakeSvsm();  // core 1..1 and attestation 1..1
  for (uint32_t protocol = 0; protocol <= 8; ++protocol) {
    for (uint32_t version = 0; version <= 3; ++version) {
      const uint64_t rcx = (uint64_t{protocol} << 32) | version;
      const RegisterSet in = Regs(CoreRax(SVSM_CORE_QUERY_PROTOCOL), rcx, 0x1111, 0x2222, 0x3333);
      const CallResult r = Call(*s, 0, in);
      const bool available = (protocol == 0 || protocol == 1) && version == 1;
      const char* rule = !available      ? "core.query-protocol.unavailable"
                         : protocol == 0 ? "core.query-protocol.core-available"
                                         : "core.query-protocol.available";
      SCOPED_TRACE(::testing::Message() << "protocol " << protocol << " version " << version);
      // core.query-protocol.no-memory: always SUCCESS, never a need-memory code.
      EXPECT_TRUE(IsResult(r, SVSM_SUCCESS, rule));
      EXPECT_EQ(r.regs.rcx, available ? 0x0000000100000001u : 0u);
      EXPECT_EQ(r.regs.rdx, 0x1111u);
      EXPECT_EQ(r.regs.r8, 0x2222u);
      EXPECT_EQ(r.regs.r9, 0x3333u);
      EXPECT_EQ(r.call_pending_after, 0);
    }
  }
}

TEST(CoreQueryProtocol, UnknownProtocolAndHugeVersion) {
  auto s = MakeSvsm();
  for (uint64_t rcx :
       {uint64_t{0xFFFFFFFFFFFFFFFF}, uint64_t{0xFFFFFFFF00000001}, uint64_t{0x00000000FFFFFFFF},
        uint64_t{0x0000000100000002}, uint64_t{0x0000000500000001}}) {
    const CallResult r = CoreCall(*s, 0, SVSM_CORE_QUERY_PROTOCOL, rcx);
    EXPECT_TRUE(IsResult(r, SVSM_SUCCESS, "core.query-protocol.unavailable")) << std::hex << rcx;
    EXPECT_EQ(r.regs.rcx, 0u);
  }
}

TEST(CoreQueryProtocol, ReportsTheConfiguredRange) {
  PlatformConfig config = DefaultPlatformConfig();
  for (ProtocolConfig& p : config.protocols) {
    if (p.number == 1) p.max_version = 3;
  }
  auto s = MakeSvsm(config);
  ASSERT_NE(s, nullptr);
  for (uint32_t version = 0; version <= 4; ++version) {
    const CallResult r = CoreCall(*s, 0, SVSM_CORE_QUERY_PROTOCOL, (uint64_t{1} << 32) | version);
    const bool available = version >= 1 && version <= 3;
    EXPECT_TRUE(
        IsResult(r, SVSM_SUCCESS,
                 available ? "core.query-protocol.available" : "core.query-protocol.unavailable"));
    EXPECT_EQ(r.regs.rcx, available ? 0x0000000300000001u : 0u) << version;
  }
}

TEST(CoreUnknownCall, CallIdsAboveSeven) {
  auto s = MakeSvsm();
  for (uint64_t call :
       {uint64_t{8}, uint64_t{9}, uint64_t{0x100}, uint64_t{0x7FFFFFFF}, uint64_t{0xFFFFFFFF}}) {
    const RegisterSet in = Regs(call, 0x1000, 0x2000, 3, 4);
    const CallResult r = Call(*s, 0, in);
    EXPECT_TRUE(IsResult(r, SVSM_ERR_UNSUPPORTED_CALL, "core.unknown-call")) << call;
    EXPECT_TRUE(RegsKept(r, in));
    EXPECT_EQ(r.call_pending_after, 0);
  }
  EXPECT_EQ(s->vcpus()[0].caa, s->config().startup_caa);
  EXPECT_TRUE(s->deposited_frames().empty());
}

// ------------------------------------------------------------------------- CONFIGURE_VTOM

constexpr uint64_t kQuery = 1;
constexpr uint64_t kEnable = 1 << 1;
constexpr uint64_t kSetCr3 = 1 << 2;
constexpr uint64_t kSetRip = 1 << 3;
constexpr uint64_t kSetRsp = 1 << 4;
constexpr uint64_t kFourGiB = uint64_t{1} << 32;

std::vector<uint8_t> VmsaBytes(const ReferenceSvsm& s, size_t vcpu) {
  std::vector<uint8_t> page(kPageSize);
  EXPECT_TRUE(s.PhysicalRead(*s.vcpus()[vcpu].vmsa, page));
  return page;
}

CallResult Vtom(ReferenceSvsm& s, uint64_t rcx, uint64_t rdx = 0xC3C3000, uint64_t r8 = 0x8000,
                uint64_t r9 = 0x9000, size_t vcpu = 0) {
  return CoreCall(s, vcpu, SVSM_CORE_CONFIGURE_VTOM, rcx, rdx, r8, r9);
}

// A refused configure leaves the VMSA byte for byte as it was and the registers as they were.
void ExpectConfigureRefused(ReferenceSvsm& s, uint64_t rcx, uint32_t code, const char* rule) {
  const std::vector<uint8_t> before = VmsaBytes(s, 0);
  const CallResult r = Vtom(s, rcx);
  EXPECT_TRUE(IsResult(r, code, rule)) << std::hex << "rcx 0x" << rcx;
  EXPECT_TRUE(RegsKept(r, Regs(0, rcx, 0xC3C3000, 0x8000, 0x9000)));
  EXPECT_EQ(VmsaBytes(s, 0), before) << std::hex << "rcx 0x" << rcx;
}

TEST(CoreConfigureVtom, QuerySupported) {
  auto s = MakeSvsm();
  const CallResult r = Vtom(*s, kQuery, 0xAAAA, 0xBBBB, 0xCCCC);
  EXPECT_TRUE(IsResult(r, SVSM_SUCCESS, "core.configure-vtom.query-result"));
  EXPECT_EQ(r.regs.rcx, (uint64_t{20} << 12) | 2);  // supported, alignment 2^20
  EXPECT_EQ(r.regs.rdx, kFourGiB);                  // minimum vTOM
  EXPECT_EQ(r.regs.r8, uint64_t{1} << 51);          // maximum vTOM
  EXPECT_EQ(r.regs.r9, 0xCCCCu);
  EXPECT_EQ(s->VmsaOf(0)->virtual_tom, 0u);
}

TEST(CoreConfigureVtom, QueryReservedBitsEach) {
  auto s = MakeSvsm();
  for (unsigned bit = 1; bit <= 63; ++bit) {
    const uint64_t rcx = kQuery | (uint64_t{1} << bit);
    const CallResult r = Vtom(*s, rcx, 0xAAAA, 0xBBBB);
    EXPECT_TRUE(IsResult(r, SVSM_ERR_INVALID_PARAMETER, "core.configure-vtom.query-reserved-bits"))
        << bit;
    EXPECT_EQ(r.regs.rcx, rcx);
    EXPECT_EQ(r.regs.rdx, 0xAAAAu);
    EXPECT_EQ(r.regs.r8, 0xBBBBu);
  }
}

TEST(CoreConfigureVtom, UnsupportedPlatform) {
  PlatformConfig config = DefaultPlatformConfig();
  config.vtom.supported = false;
  auto s = MakeSvsm(config);
  ASSERT_NE(s, nullptr);
  const CallResult r = Vtom(*s, kQuery, 0xAAAA, 0xBBBB);
  EXPECT_TRUE(IsResult(r, SVSM_SUCCESS, "core.configure-vtom.query-result"));
  EXPECT_EQ(r.regs.rcx, 0u);
  EXPECT_EQ(r.regs.rdx, 0xAAAAu);  // undefined: the model leaves them
  EXPECT_EQ(r.regs.r8, 0xBBBBu);
  for (uint64_t rcx :
       {kEnable | kFourGiB, uint64_t{0}, kEnable | kSetCr3 | kSetRip | kSetRsp | kFourGiB}) {
    ExpectConfigureRefused(*s, rcx, SVSM_ERR_INVALID_REQUEST,
                           "core.configure-vtom.cannot-reconfigure");
  }
}

TEST(CoreConfigureVtom, ConfigureReservedBitsEach) {
  auto s = MakeSvsm();
  for (unsigned bit = 5; bit <= 11; ++bit) {
    ExpectConfigureRefused(*s, kEnable | kSetCr3 | kFourGiB | (uint64_t{1} << bit),
                           SVSM_ERR_INVALID_PARAMETER,
                           "core.configure-vtom.configure-reserved-bits");
  }
}

TEST(CoreConfigureVtom, SeveralVcpusCannotReconfigure) {
  auto s = MakeSvsm();
  WriteVmsaPage(*s, 0x100000, ValidVmsa(*s, 2));
  ASSERT_TRUE(IsResult(CoreCall(*s, 0, SVSM_CORE_CREATE_VCPU, 0x100000, 0x101000, 1), SVSM_SUCCESS,
                       "core.create-vcpu.vmsa-created"));
  const uint64_t rcx = kEnable | kSetRip | kFourGiB;
  ExpectConfigureRefused(*s, rcx, SVSM_ERR_INVALID_REQUEST,
                         "core.configure-vtom.cannot-reconfigure");
  ExpectConfigureRefused(*s, 0, SVSM_ERR_INVALID_REQUEST, "core.configure-vtom.cannot-reconfigure");
  const std::vector<uint8_t> vmsa1 = VmsaBytes(*s, 1);
  EXPECT_TRUE(IsResult(Vtom(*s, rcx, 0, 0, 0, 1), SVSM_ERR_INVALID_REQUEST,
                       "core.configure-vtom.cannot-reconfigure"));
  EXPECT_EQ(VmsaBytes(*s, 1), vmsa1);
  // The query still works.
  EXPECT_TRUE(IsResult(Vtom(*s, kQuery), SVSM_SUCCESS, "core.configure-vtom.query-result"));
  // Back to one vCPU: allowed again.
  ASSERT_TRUE(IsResult(CoreCall(*s, 0, SVSM_CORE_DELETE_VCPU, 0x100000), SVSM_SUCCESS,
                       "core.delete-vcpu.vmsa-released"));
  EXPECT_TRUE(IsResult(Vtom(*s, rcx), SVSM_SUCCESS, "core.configure-vtom.configured"));
  EXPECT_EQ(s->VmsaOf(0)->virtual_tom, kFourGiB);
}

TEST(CoreConfigureVtom, Misaligned) {
  auto s = MakeSvsm();
  for (uint64_t vtom : {kFourGiB + kPageSize, kFourGiB + 0x80000, kFourGiB + 0xFF000}) {
    ExpectConfigureRefused(*s, kEnable | vtom, SVSM_ERR_INVALID_PARAMETER,
                           "core.configure-vtom.misaligned-vtom");
  }
}

TEST(CoreConfigureVtom, OutOfRange) {
  auto s = MakeSvsm();
  for (uint64_t vtom : {uint64_t{0}, uint64_t{0x100000}, kFourGiB - 0x100000,
                        (uint64_t{1} << 51) + 0x100000, uint64_t{0xFFFFFFFFFFF00000}}) {
    ExpectConfigureRefused(*s, kEnable | kSetCr3 | vtom, SVSM_ERR_INVALID_ADDRESS,
                           "core.configure-vtom.unsupported-vtom");
  }
  // The bounds themselves are supported.
  EXPECT_TRUE(
      IsResult(Vtom(*s, kEnable | kFourGiB), SVSM_SUCCESS, "core.configure-vtom.configured"));
  EXPECT_EQ(s->VmsaOf(0)->virtual_tom, kFourGiB);
  EXPECT_TRUE(IsResult(Vtom(*s, kEnable | (uint64_t{1} << 51)), SVSM_SUCCESS,
                       "core.configure-vtom.configured"));
  EXPECT_EQ(s->VmsaOf(0)->virtual_tom, uint64_t{1} << 51);
}

TEST(CoreConfigureVtom, DisableWithNonZeroVtom) {
  auto s = MakeSvsm();
  for (uint64_t vtom : {kFourGiB, uint64_t{0x1000}, uint64_t{0xFFFFFFFFFFFFF000}}) {
    ExpectConfigureRefused(*s, kSetRip | vtom, SVSM_ERR_INVALID_PARAMETER,
                           "core.configure-vtom.disable-nonzero-vtom");
  }
}

TEST(CoreConfigureVtom, ConfiguredSetsTheVmsa) {
  auto s = MakeSvsm();
  const auto before = *s->VmsaOf(0);
  const uint64_t vtom = uint64_t{1} << 40;
  CallResult r = Vtom(*s, kEnable | kSetCr3 | kSetRip | kSetRsp | vtom, 0x123000,
                      0xFFFF800000001000, 0xFFFF800000ff0);
  EXPECT_TRUE(IsResult(r, SVSM_SUCCESS, "core.configure-vtom.configured"));
  auto v = *s->VmsaOf(0);
  EXPECT_EQ(v.virtual_tom, vtom);
  EXPECT_EQ(v.cr3, 0x123000u);
  EXPECT_EQ(v.rip, 0xFFFF800000001000u);
  EXPECT_EQ(v.rsp, 0xFFFF800000ff0u);
  // Offsets of the facts (§7): vTOM 0x3C8, CR3 0x150, RIP 0x178, RSP 0x1D8.
  const uint64_t gpa = s->config().startup_vmsa;
  EXPECT_EQ(PhysU64(*s, gpa + 0x3C8), vtom);
  EXPECT_EQ(PhysU64(*s, gpa + 0x150), 0x123000u);
  EXPECT_EQ(PhysU64(*s, gpa + 0x178), 0xFFFF800000001000u);
  EXPECT_EQ(PhysU64(*s, gpa + 0x1D8), 0xFFFF800000ff0u);
  EXPECT_EQ(v.vmpl, before.vmpl);
  EXPECT_EQ(v.efer.Pack(), before.efer.Pack());
  EXPECT_EQ(v.sev_features, before.sev_features);
  // Without the set_* bits only vTOM changes.
  r = Vtom(*s, kEnable | (vtom * 2), 0x999000, 0x1, 0x2);
  EXPECT_TRUE(IsResult(r, SVSM_SUCCESS, "core.configure-vtom.configured"));
  v = *s->VmsaOf(0);
  EXPECT_EQ(v.virtual_tom, vtom * 2);
  EXPECT_EQ(v.cr3, 0x123000u);
  EXPECT_EQ(v.rip, 0xFFFF800000001000u);
  EXPECT_EQ(v.rsp, 0xFFFF800000ff0u);
  // Each set_* bit alone.
  EXPECT_TRUE(IsResult(Vtom(*s, kEnable | kSetRip | vtom, 0x5000, 0x6000, 0x7000), SVSM_SUCCESS,
                       "core.configure-vtom.configured"));
  v = *s->VmsaOf(0);
  EXPECT_EQ(v.rip, 0x6000u);
  EXPECT_EQ(v.cr3, 0x123000u);
  EXPECT_EQ(v.rsp, 0xFFFF800000ff0u);
  EXPECT_TRUE(IsResult(Vtom(*s, kEnable | kSetRsp | vtom, 0x5000, 0x6001, 0x7000), SVSM_SUCCESS,
                       "core.configure-vtom.configured"));
  v = *s->VmsaOf(0);
  EXPECT_EQ(v.rsp, 0x7000u);
  EXPECT_EQ(v.rip, 0x6000u);
  EXPECT_EQ(v.cr3, 0x123000u);
  // Disable: vTOM 0, CR3 set too.
  EXPECT_TRUE(IsResult(Vtom(*s, kSetCr3, 0x5000), SVSM_SUCCESS, "core.configure-vtom.configured"));
  v = *s->VmsaOf(0);
  EXPECT_EQ(v.virtual_tom, 0u);
  EXPECT_EQ(v.cr3, 0x5000u);
  // The VMSA is still the startup vCPU's and still SVSM memory.
  EXPECT_TRUE(s->PageStateAt(gpa).vmsa);
  EXPECT_TRUE(IsResult(CoreCall(*s, 0, SVSM_CORE_QUERY_PROTOCOL, 1), SVSM_SUCCESS,
                       "core.query-protocol.core-available"));
}

TEST(CoreConfigureVtom, AlignmentFromTheConfiguration) {
  PlatformConfig config = DefaultPlatformConfig();
  config.vtom.alignment_log2 = 30;
  config.vtom.min_vtom = uint64_t{1} << 30;
  config.vtom.max_vtom = uint64_t{1} << 34;
  auto s = MakeSvsm(config);
  ASSERT_NE(s, nullptr);
  CallResult r = Vtom(*s, kQuery);
  EXPECT_TRUE(IsResult(r, SVSM_SUCCESS, "core.configure-vtom.query-result"));
  EXPECT_EQ(r.regs.rcx, (uint64_t{30} << 12) | 2);
  EXPECT_EQ(r.regs.rdx, uint64_t{1} << 30);
  EXPECT_EQ(r.regs.r8, uint64_t{1} << 34);
  ExpectConfigureRefused(*s, kEnable | (uint64_t{3} << 29), SVSM_ERR_INVALID_PARAMETER,
                         "core.configure-vtom.misaligned-vtom");
  ExpectConfigureRefused(*s, kEnable | (uint64_t{5} << 32), SVSM_ERR_INVALID_ADDRESS,
                         "core.configure-vtom.unsupported-vtom");
  EXPECT_TRUE(IsResult(Vtom(*s, kEnable | (uint64_t{3} << 30)), SVSM_SUCCESS,
                       "core.configure-vtom.configured"));
  EXPECT_EQ(s->VmsaOf(0)->virtual_tom, uint64_t{3} << 30);
}

}  // namespace
}  // namespace svsm_ref
