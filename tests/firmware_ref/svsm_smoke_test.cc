// The calling convention and dispatch of the reference SVSM (spec §5, general rules).
#include "svsm_test_support.h"

namespace svsm_ref {
namespace {

using namespace svsm_ref::testing;  // NOLINT

TEST(SvsmCallingConvention, QueryProtocolCoreOne) {
  auto svsm = MakeSvsm();
  const CallResult r = Call(*svsm, 0, Regs(CoreRax(SVSM_CORE_QUERY_PROTOCOL), 0x1));
  EXPECT_EQ(r.outcome, CallResult::Outcome::kCompleted);
  EXPECT_EQ(r.regs.rax, SVSM_SUCCESS);
  EXPECT_EQ(r.regs.rcx, 0x0000000100000001u);
  EXPECT_STREQ(r.rule_id, "core.query-protocol.core-available");
  EXPECT_EQ(r.call_pending_after, 0);
}

TEST(SvsmCallingConvention, UnknownProtocolAndCall) {
  auto svsm = MakeSvsm();
  EXPECT_EQ(Call(*svsm, 0, Regs(uint64_t{7} << 32)).regs.rax, SVSM_ERR_UNSUPPORTED_PROTOCOL);
  EXPECT_EQ(Call(*svsm, 0, Regs(8)).regs.rax, SVSM_ERR_UNSUPPORTED_CALL);
  EXPECT_EQ(Call(*svsm, 0, Regs(AttestRax(2))).regs.rax, SVSM_ERR_UNSUPPORTED_CALL);
}

TEST(SvsmCallingConvention, SpuriousEntryAndNonVmgexitDoNothing) {
  auto svsm = MakeSvsm();
  const RegisterSet in = Regs(CoreRax(SVSM_CORE_QUERY_PROTOCOL), 0x1);
  CallResult r = svsm->Enter(0, in);  // CALL_PENDING is 0
  EXPECT_EQ(r.outcome, CallResult::Outcome::kSpurious);
  EXPECT_EQ(r.regs, in);
  const uint8_t one = 1;
  GuestWriteBytes(*svsm, svsm->config().startup_caa, std::span<const uint8_t>(&one, 1));
  r = svsm->Enter(0, in, /*exit_code=*/0x7B);
  EXPECT_EQ(r.outcome, CallResult::Outcome::kNotVmgexit);
  EXPECT_EQ(GuestReadBytes(*svsm, svsm->config().startup_caa, 1)[0], 1);
  EXPECT_EQ(svsm->calls_completed(), 0u);
}

TEST(SvsmCallingConvention, ReservedCallPendingValueIsInvalidFormat) {
  auto svsm = MakeSvsm();
  const uint8_t two = 2;
  GuestWriteBytes(*svsm, svsm->config().startup_caa, std::span<const uint8_t>(&two, 1));
  const CallResult r = svsm->Enter(0, Regs(CoreRax(SVSM_CORE_QUERY_PROTOCOL), 0x1));
  EXPECT_EQ(r.regs.rax, SVSM_ERR_INVALID_FORMAT);
  EXPECT_STREQ(r.rule_id, "general.call-pending-reserved-value");
  EXPECT_TRUE(ResultAgreesWithSpec(r));
  // general.call-pending-clear: cleared whatever the result.
  EXPECT_EQ(GuestReadBytes(*svsm, svsm->config().startup_caa, 1)[0], 0);
}

TEST(SvsmCallingConvention, GuestCallStoresTheCallPendingValueItIsGiven) {
  auto svsm = MakeSvsm();
  const RegisterSet in = Regs(CoreRax(SVSM_CORE_QUERY_PROTOCOL), 0x1);
  // 0: the SVSM ignores the entry; the guest's registers come back as they went in.
  CallResult r = svsm->GuestCall(0, in, /*call_pending=*/0);
  EXPECT_EQ(r.outcome, CallResult::Outcome::kSpurious);
  EXPECT_EQ(r.regs, in);
  EXPECT_EQ(r.call_pending_after, 0);
  EXPECT_EQ(svsm->calls_completed(), 0u);
  // Every reserved value: INVALID_FORMAT, the call not run, CALL_PENDING cleared.
  for (int value : {2, 3, 0x80, 0xFF}) {
    r = svsm->GuestCall(0, in, static_cast<uint8_t>(value));
    EXPECT_EQ(r.regs.rax, SVSM_ERR_INVALID_FORMAT) << value;
    EXPECT_EQ(r.regs.rcx, 0x1u) << value;  // QUERY_PROTOCOL did not answer
    EXPECT_STREQ(r.rule_id, "general.call-pending-reserved-value");
    EXPECT_EQ(r.call_pending_after, 0) << value;
  }
  EXPECT_EQ(svsm->GuestCall(0, in, 1).regs.rcx, 0x0000000100000001u);
}

TEST(SvsmCallingConvention, FaultsOnCallPendingValues) {
  const RegisterSet in = Regs(CoreRax(SVSM_CORE_QUERY_PROTOCOL), 0x1);
  {
    PlatformConfig config = DefaultPlatformConfig();
    config.faults.push_back("call.pending-zero-processed");
    auto svsm = MakeSvsm(config);
    const CallResult r = svsm->GuestCall(0, in, 0);
    EXPECT_EQ(r.outcome, CallResult::Outcome::kCompleted);
    EXPECT_EQ(r.regs.rcx, 0x0000000100000001u);  // answered although the guest asked nothing
  }
  {
    PlatformConfig config = DefaultPlatformConfig();
    config.faults.push_back("call.pending-reserved-value-processed");
    auto svsm = MakeSvsm(config);
    const CallResult r = svsm->GuestCall(0, in, 2);
    EXPECT_EQ(r.regs.rax, SVSM_SUCCESS);
    EXPECT_EQ(r.regs.rcx, 0x0000000100000001u);
  }
}

TEST(SvsmCallingConvention, VcpuWithoutVmsaCannotCall) {
  auto svsm = MakeSvsm();
  EXPECT_EQ(svsm->GuestCall(1, Regs(6, 1)).outcome, CallResult::Outcome::kNoVmsa);
}

}  // namespace
}  // namespace svsm_ref
