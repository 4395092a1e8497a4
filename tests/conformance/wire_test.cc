// The target wire protocol (docs/wire-protocol.md): frames and payloads byte for byte, the
// HELLO JSON, ServeWire against raw frames, and WireTarget over a socketpair, a subprocess
// (this test binary re-run as a scripted target), TCP and a Unix socket.
#include "svsm_conform/wire.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "svsm_conform/target.h"
#include "svsm_conform/wire_client.h"
#include "svsm_conform/wire_server.h"

namespace svsm_conform {
namespace {

using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::StartsWith;
using Bytes = std::vector<uint8_t>;
using namespace std::chrono_literals;

// ---------------------------------------------------------------------------------------
// A fake target: 64 KiB of guest memory at 0x100000, vCPU 0 can call, vCPU 1 cannot, only
// vCPUs 0 and 1 exist for SET_RUNNING. The scripted subprocess adds misbehaviour on READs
// of the magic addresses below.

constexpr uint64_t kMemBase = 0x100000;
constexpr uint64_t kMemSize = 0x10000;
constexpr uint64_t kCrashGpa = 0xC000'0000;      // stderr note, then exit(3)
constexpr uint64_t kHangGpa = 0xC000'1000;       // never answers
constexpr uint64_t kGarbageGpa = 0xC000'2000;    // answers bytes that are not a frame
constexpr uint64_t kTruncatedGpa = 0xC000'3000;  // half a frame, then exit

TargetInfo SampleInfo() {
  TargetInfo info;
  info.target = "wire test fake";
  info.spec_revision = "1.00";
  info.guest_vmpl = 2;
  info.protocols = {{0, 1, 1}, {1, 1, 2}};
  info.vcpus = {{0, 0, 0x801000, 0x802000}, {1, 0xffffffff, std::nullopt, std::nullopt}};
  info.svsm_region = {0x40000000, 0x1000000, false};
  info.startup_vmsa = 0x802000;
  info.test_memory = {{0x100000, 0x400000, true}, {0x1000000, 0x1000000, false}};
  info.shared_memory = {{0x80000000, 0x10000, false}};
  info.unmapped = 0xffff'ffff'ffff'f000;
  info.capabilities = {"reset", "page-state", "vcpu-control"};
  info.report_public_key = "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n";
  return info;
}

class FakeTarget : public Target {
 public:
  FakeTarget() : mem_(kMemSize, 0) {}
  TargetResult<TargetInfo> Hello() override { return TargetOk(SampleInfo()); }
  TargetResult<Empty> Reset() override {
    std::fill(mem_.begin(), mem_.end(), 0);
    ++resets;
    return TargetOk(Empty{});
  }
  TargetResult<Bytes> Read(uint64_t gpa, uint32_t size) override {
    if (!InRange(gpa, size)) return TargetFail<Bytes>(TargetError::kFault, "read fault");
    return TargetOk(Bytes(mem_.begin() + (gpa - kMemBase), mem_.begin() + (gpa - kMemBase) + size));
  }
  TargetResult<Empty> Write(uint64_t gpa, std::span<const uint8_t> bytes) override {
    if (!InRange(gpa, bytes.size())) return TargetFail<Empty>(TargetError::kFault, "write fault");
    std::copy(bytes.begin(), bytes.end(), mem_.begin() + (gpa - kMemBase));
    return TargetOk(Empty{});
  }
  TargetResult<CallReply> Call(uint32_t vcpu, const RegisterSet& regs) override {
    CallReply r;
    if (vcpu != 0) {
      r.outcome = CallOutcome::kCannotCall;
      r.regs = regs;
      return TargetOk(r);
    }
    // A recognisable function of the inputs, so a test sees every register travel.
    r.regs = {0, regs.rax + 1, regs.rcx ^ regs.rdx, regs.r8 * 2, ~regs.r9};
    r.call_pending_after = 1;
    return TargetOk(r);
  }
  TargetResult<PageStateReply> PageState(uint64_t gpa) override {
    PageStateReply r;
    r.validated = InRange(gpa, 1);
    r.vmsa = gpa == 0x802000;
    r.perms[0] = 0x0F;
    r.perms[2] = 0x03;
    return TargetOk(r);
  }
  TargetResult<Empty> SetRunning(uint32_t vcpu, bool) override {
    if (vcpu > 1) return TargetFail<Empty>(TargetError::kUnsupported, "no such vCPU");
    return TargetOk(Empty{});
  }
  bool Restart(std::string*) override { return true; }

  int resets = 0;

 private:
  static bool InRange(uint64_t gpa, uint64_t size) {
    return gpa >= kMemBase && size <= kMemSize && gpa - kMemBase <= kMemSize - size;
  }
  Bytes mem_;
};

// ---------------------------------------------------------------------------------------
// This binary as a scripted exec target: SVSM_WIRE_TEST_CHILD=<mode> makes it serve the fake
// on stdin/stdout before GoogleTest starts.

void WriteRaw(int fd, std::span<const uint8_t> b) {
  while (!b.empty()) {
    const ssize_t n = write(fd, b.data(), b.size());
    if (n <= 0) _exit(9);
    b = b.subspan(static_cast<size_t>(n));
  }
}

class ScriptedTarget : public FakeTarget {
 public:
  TargetResult<Bytes> Read(uint64_t gpa, uint32_t size) override {
    if (gpa == kCrashGpa) {
      const char note[] = "fake target: crashing on purpose\n";
      WriteRaw(2, std::span(reinterpret_cast<const uint8_t*>(note), sizeof note - 1));
      _exit(3);
    }
    if (gpa == kHangGpa) {
      for (;;) pause();
    }
    if (gpa == kGarbageGpa) {
      const uint8_t junk[] = {'g', 'a', 'r', 'b', 'a', 'g', 'e', '!'};
      WriteRaw(1, junk);
      for (;;) pause();
    }
    if (gpa == kTruncatedGpa) {
      const uint8_t half[] = {0x11, 0x00, 0x00, 0x00, 0x83, 1, 2, 3};
      WriteRaw(1, half);
      _exit(0);
    }
    return FakeTarget::Read(gpa, size);
  }
};

int RunChildIfAsked() {
  const char* mode = std::getenv("SVSM_WIRE_TEST_CHILD");
  if (mode == nullptr) return 0;
  const std::string m = mode;
  if (m == "chatty") {
    // More standard error than a pipe holds, before serving: the runner must drain it.
    std::string lines;
    for (int i = 0; i < 5000; ++i) lines += "chatty line " + std::to_string(i) + "\n";
    WriteRaw(2, std::span(reinterpret_cast<const uint8_t*>(lines.data()), lines.size()));
  } else {
    const char note[] = "fake target started\n";
    WriteRaw(2, std::span(reinterpret_cast<const uint8_t*>(note), sizeof note - 1));
  }
  ScriptedTarget target;
  _exit(ServeWire(target, 0, 1));
}
[[maybe_unused]] const int kChildRan = RunChildIfAsked();

std::string SelfExe() {
  char buf[4096];
  const ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return {};
  return std::string(buf, static_cast<size_t>(n));
}

std::string ChildCommand(const std::string& mode) {
  return "SVSM_WIRE_TEST_CHILD=" + mode + " exec '" + SelfExe() + "'";
}

// ---------------------------------------------------------------------------------------
// Frames and payloads.

// `fixed_size`: the payload has one length, so one byte short must be refused too.
template <class T>
void ExpectRoundTrip(const T& value, bool fixed_size = true) {
  const Bytes bytes = wire::EncodePayload(value);
  T parsed{};
  std::string error;
  ASSERT_TRUE(wire::ParsePayload(bytes, &parsed, &error)) << error;
  EXPECT_EQ(wire::EncodePayload(parsed), bytes);
  // One byte short and one byte over are both someone else's layout.
  if (fixed_size && !bytes.empty()) {
    const Bytes shorter(bytes.begin(), bytes.end() - 1);
    EXPECT_FALSE(wire::ParsePayload(shorter, &parsed, &error)) << "accepted a truncated payload";
  }
}

TEST(WireFrame, EncodesLengthTypeAndPayload) {
  const Bytes payload = {0xAA, 0xBB};
  const auto frame = wire::EncodeFrame(wire::kRead, payload);
  ASSERT_TRUE(frame);
  EXPECT_EQ(*frame, (Bytes{3, 0, 0, 0, 0x03, 0xAA, 0xBB}));
  const wire::FrameParse p = wire::DecodeFrame(*frame);
  ASSERT_EQ(p.status, wire::FrameStatus::kComplete);
  EXPECT_EQ(p.frame.type, wire::kRead);
  EXPECT_EQ(p.frame.payload, payload);
  EXPECT_EQ(p.consumed, frame->size());
}

TEST(WireFrame, DecodesFirstOfTwoFrames) {
  Bytes two = *wire::EncodeFrame(wire::kReset, {});
  const Bytes second = *wire::EncodeFrame(wire::kBye, {});
  two.insert(two.end(), second.begin(), second.end());
  const wire::FrameParse p = wire::DecodeFrame(two);
  ASSERT_EQ(p.status, wire::FrameStatus::kComplete);
  EXPECT_EQ(p.frame.type, wire::kReset);
  EXPECT_EQ(p.consumed, 5u);
}

TEST(WireFrame, WantsMoreForEveryPrefix) {
  const Bytes frame = *wire::EncodeFrame(wire::kCall, Bytes(44, 7));
  for (size_t n = 0; n < frame.size(); ++n) {
    EXPECT_EQ(wire::DecodeFrame(std::span(frame).first(n)).status, wire::FrameStatus::kIncomplete)
        << n;
  }
}

TEST(WireFrame, RejectsZeroLength) {
  const Bytes zero = {0, 0, 0, 0, 1};
  const wire::FrameParse p = wire::DecodeFrame(zero);
  EXPECT_EQ(p.status, wire::FrameStatus::kBroken);
  EXPECT_THAT(p.error, HasSubstr("length 0"));
}

TEST(WireFrame, RejectsLengthPastLimit) {
  const Bytes over = {0x41, 0x00, 0x10, 0x00};  // 1,048,641
  const wire::FrameParse p = wire::DecodeFrame(over);
  EXPECT_EQ(p.status, wire::FrameStatus::kBroken);
  EXPECT_THAT(p.error, HasSubstr("1048641"));
  const Bytes at = {0x40, 0x00, 0x10, 0x00};  // 1,048,640: allowed, just incomplete
  EXPECT_EQ(wire::DecodeFrame(at).status, wire::FrameStatus::kIncomplete);
}

TEST(WireFrame, RefusesToEncodePastLimit) {
  EXPECT_FALSE(wire::EncodeFrame(wire::kWrite, Bytes(wire::kMaxFrameLength)));
  EXPECT_TRUE(wire::EncodeFrame(wire::kWrite, Bytes(wire::kMaxFrameLength - 1)));
}

TEST(WireFrame, NamesMessages) {
  EXPECT_EQ(wire::MessageName(wire::kHello), "HELLO");
  EXPECT_EQ(wire::MessageName(wire::ResponseType(wire::kPageState)), "PAGE_STATE_OK");
  EXPECT_EQ(wire::MessageName(wire::kError), "ERROR");
  EXPECT_EQ(wire::MessageName(0x42), "0x42");
  EXPECT_EQ(wire::MessageName(0x80), "0x80");
}

TEST(WirePayload, RoundTripsEveryMessage) {
  ExpectRoundTrip(wire::HelloRequest{1});
  ExpectRoundTrip(wire::ReadRequest{0x1122334455667788, wire::kMaxTransfer});
  ExpectRoundTrip(wire::WriteRequest{0x1000, {1, 2, 3}}, /*fixed_size=*/false);
  ExpectRoundTrip(wire::WriteRequest{0x1000, {}}, /*fixed_size=*/false);
  ExpectRoundTrip(wire::CallRequest{3, {1, 2, 3, 4, 0xffffffffffffffff}});
  ExpectRoundTrip(wire::CallWithPendingRequest{3, 0xFF, {1, 2, 3, 4, 0xffffffffffffffff}});
  EXPECT_EQ(wire::EncodePayload(wire::CallWithPendingRequest{1, 2, {3, 0, 0, 0, 0}})[4], 2);
  EXPECT_EQ(wire::MessageName(wire::kCallWithPending), "CALL_WITH_PENDING");
  ExpectRoundTrip(CallReply{CallOutcome::kGuestFault, {5, 6, 7, 8, 9}, 0xFE});
  ExpectRoundTrip(wire::PageStateRequest{0xfffffffffffff000});
  PageStateReply ps;
  ps.validated = true;
  ps.vmsa = true;
  ps.perms[0] = 0x0F;
  ps.perms[1] = 0x05;
  ExpectRoundTrip(ps);
  ExpectRoundTrip(wire::SetRunningRequest{7, true});
  ExpectRoundTrip(wire::ErrorReply{3, "fault at 0x1000 \xc3\xa9"}, /*fixed_size=*/false);
  ExpectRoundTrip(wire::ErrorReply{5, ""}, /*fixed_size=*/false);
}

TEST(WirePayload, EncodesLittleEndianLayouts) {
  EXPECT_EQ(wire::EncodePayload(wire::ReadRequest{0x0102030405060708, 0x100}),
            (Bytes{8, 7, 6, 5, 4, 3, 2, 1, 0x00, 0x01, 0, 0}));
  EXPECT_EQ(wire::EncodePayload(wire::SetRunningRequest{2, true}), (Bytes{2, 0, 0, 0, 1}));
  const Bytes call = wire::EncodePayload(CallReply{CallOutcome::kNoReturn, {1, 2, 3, 4, 5}, 1});
  ASSERT_EQ(call.size(), 45u);
  EXPECT_EQ(call[0], 1);
  EXPECT_EQ(call[4], 1);   // RAX
  EXPECT_EQ(call[36], 5);  // R9
  EXPECT_EQ(call[44], 1);  // CALL_PENDING after
}

TEST(WirePayload, RejectsTrailingBytes) {
  std::string error;
  wire::HelloRequest hello;
  EXPECT_FALSE(wire::ParsePayload(Bytes{1, 0, 0, 0, 0}, &hello, &error));
  EXPECT_THAT(error, HasSubstr("HELLO payload is 5 bytes, expected 4"));
  EXPECT_FALSE(wire::ParseEmptyPayload(Bytes{0}, &error));
}

TEST(WirePayload, RejectsReadPastOneMiB) {
  wire::ReadRequest r;
  std::string error;
  EXPECT_FALSE(wire::ParsePayload(wire::EncodePayload(wire::ReadRequest{0, wire::kMaxTransfer + 1}),
                                  &r, &error));
  EXPECT_THAT(error, HasSubstr("exceeds"));
}

TEST(WirePayload, RejectsWritePastOneMiB) {
  wire::WriteRequest w;
  std::string error;
  Bytes p(8 + wire::kMaxTransfer + 1, 0);
  EXPECT_FALSE(wire::ParsePayload(p, &w, &error));
  p.pop_back();
  EXPECT_TRUE(wire::ParsePayload(p, &w, &error)) << error;
  EXPECT_FALSE(wire::ParsePayload(Bytes(7, 0), &w, &error));
}

Injection PvalidateResult(uint32_t skip, uint32_t eax) {
  Injection i;
  i.kind = Injection::Kind::kPvalidateResult;
  i.skip = skip;
  i.eax = eax;
  return i;
}

Injection RacingWrite(uint64_t gpa, Bytes bytes) {
  Injection i;
  i.kind = Injection::Kind::kRacingWrite;
  i.gpa = gpa;
  i.bytes = std::move(bytes);
  return i;
}

TEST(WirePayload, InjectRoundTripsAndHasItsLayout) {
  ExpectRoundTrip(PvalidateResult(1, 0x10));
  ExpectRoundTrip(PvalidateResult(0xffffffff, 0xffffffff));
  ExpectRoundTrip(RacingWrite(0x1000ca, {0}), /*fixed_size=*/false);
  ExpectRoundTrip(RacingWrite(0x2000, Bytes(4096, 0xAB)), /*fixed_size=*/false);
  ExpectRoundTrip(RacingWrite(0xffffffffffffffff, {1}), /*fixed_size=*/false);  // last byte of memory
  EXPECT_EQ(wire::EncodePayload(PvalidateResult(2, 0x11)), (Bytes{1, 0, 0, 0, 2, 0, 0, 0, 0x11, 0, 0, 0}));
  EXPECT_EQ(wire::EncodePayload(RacingWrite(0x1234, {0xEE})),
            (Bytes{2, 0, 0, 0, 0x34, 0x12, 0, 0, 0, 0, 0, 0, 0xEE}));
  EXPECT_EQ(wire::MessageName(wire::kInject), "INJECT");
  EXPECT_EQ(wire::MessageName(wire::ResponseType(wire::kInject)), "INJECT_OK");
}

TEST(WirePayload, RejectsMalformedInjections) {
  Injection i;
  std::string error;
  EXPECT_FALSE(wire::ParsePayload(Bytes{1, 0, 0}, &i, &error));
  EXPECT_THAT(error, HasSubstr("at least 4"));
  EXPECT_FALSE(wire::ParsePayload(Bytes{3, 0, 0, 0}, &i, &error));
  EXPECT_THAT(error, HasSubstr("kind 3 is not 1 or 2"));
  Bytes pv = wire::EncodePayload(PvalidateResult(0, 0x10));
  pv.push_back(0);
  EXPECT_FALSE(wire::ParsePayload(pv, &i, &error));
  // A racing write of no bytes, of more than a page, or crossing a page.
  EXPECT_FALSE(wire::ParsePayload(Bytes{2, 0, 0, 0, 0, 0x10, 0, 0, 0, 0, 0, 0}, &i, &error));
  EXPECT_FALSE(wire::ParsePayload(wire::EncodePayload(RacingWrite(0x1000, Bytes(4097, 0))), &i, &error));
  EXPECT_FALSE(wire::ParsePayload(wire::EncodePayload(RacingWrite(0x1fff, {1, 2})), &i, &error));
  EXPECT_THAT(error, HasSubstr("crosses a 4 KiB page"));
  EXPECT_TRUE(wire::ParsePayload(wire::EncodePayload(RacingWrite(0x1ffe, {1, 2})), &i, &error)) << error;
}

TEST(WirePayload, RejectsRunningOtherThanZeroOrOne) {
  wire::SetRunningRequest s;
  std::string error;
  EXPECT_FALSE(wire::ParsePayload(Bytes{0, 0, 0, 0, 2}, &s, &error));
  EXPECT_THAT(error, HasSubstr("not 0 or 1"));
}

TEST(WirePayload, RejectsUnknownCallOutcome) {
  Bytes p = wire::EncodePayload(CallReply{});
  p[0] = 4;
  CallReply c;
  std::string error;
  EXPECT_FALSE(wire::ParsePayload(p, &c, &error));
  EXPECT_THAT(error, HasSubstr("outcome 4"));
}

TEST(WirePayload, RejectsPageStateFlagsAndPermissionBits) {
  PageStateReply ps;
  std::string error;
  EXPECT_FALSE(wire::ParsePayload(Bytes{2, 0, 0, 0, 0, 0}, &ps, &error));
  EXPECT_FALSE(wire::ParsePayload(Bytes{1, 0, 0, 0, 0x10, 0}, &ps, &error));
  EXPECT_THAT(error, HasSubstr("VMPL2 permissions 0x10"));
}

TEST(WirePayload, RejectsErrorMessageThatIsNotUtf8) {
  wire::ErrorReply e;
  std::string error;
  EXPECT_FALSE(wire::ParsePayload(Bytes{1, 0, 0, 0, 0xC3}, &e, &error));
  EXPECT_FALSE(wire::ParsePayload(Bytes{1, 0, 0, 0, 0xED, 0xA0, 0x80}, &e, &error));  // surrogate
  EXPECT_FALSE(wire::ParsePayload(Bytes{1, 0, 0}, &e, &error));
}

TEST(WirePayload, TruncatesUtf8AtSequenceBoundary) {
  EXPECT_EQ(wire::TruncateUtf8("ab\xc3\xa9", 3), "ab");
  EXPECT_EQ(wire::TruncateUtf8("abc", 3), "abc");
}

// ---------------------------------------------------------------------------------------
// HELLO JSON.

TEST(TargetInfoJson, RoundTrips) {
  const TargetInfo info = SampleInfo();
  const std::string json = TargetInfoToJson(info);
  std::string error;
  const std::optional<TargetInfo> back = TargetInfoFromJson(json, &error);
  ASSERT_TRUE(back) << error;
  EXPECT_EQ(TargetInfoToJson(*back), json);
  EXPECT_THAT(json, HasSubstr("\"unmapped\":\"0xfffffffffffff000\""));
  EXPECT_THAT(json, HasSubstr("\"apic_id\":\"0xffffffff\""));
}

TEST(TargetInfoJson, ReadsTheDocumentedExample) {
  const char* doc = R"({
    "wire_version": 1, "target": "svsm-spec reference SVSM 0.1.0", "spec_revision": "1.00",
    "guest_vmpl": 2,
    "protocols": [{"number": 0, "min_version": 1, "max_version": 1}],
    "vcpus": [{"index": 0, "apic_id": "0x0", "caa": "0x801000", "vmsa": "0x802000"},
              {"index": 1, "apic_id": "0x1"}],
    "svsm_region": {"base": "0x40000000", "size": "0x1000000"},
    "startup_vmsa": "0x802000",
    "test_memory": [{"base": "0x100000", "size": "0x400000", "validated": true},
                    {"base": "0x1000000", "size": "0x1000000", "validated": false}],
    "shared_memory": [{"base": "0x80000000", "size": "0x10000"}],
    "unmapped": "0xf0000000",
    "capabilities": ["reset", "page-state", "vcpu-control"],
    "report_public_key": "-----BEGIN PUBLIC KEY-----\n...\n-----END PUBLIC KEY-----\n",
    "future_member": {"ignored": [1, 2, 3]}
  })";
  std::string error;
  const std::optional<TargetInfo> info = TargetInfoFromJson(doc, &error);
  ASSERT_TRUE(info) << error;
  EXPECT_EQ(info->guest_vmpl, 2);
  ASSERT_EQ(info->vcpus.size(), 2u);
  EXPECT_EQ(info->vcpus[0].caa, 0x801000u);
  EXPECT_FALSE(info->vcpus[1].vmsa);
  EXPECT_EQ(info->svsm_region.size, 0x1000000u);
  ASSERT_EQ(info->test_memory.size(), 2u);
  EXPECT_TRUE(info->test_memory[0].validated);
  EXPECT_FALSE(info->test_memory[1].validated);
  EXPECT_EQ(info->unmapped, 0xf0000000u);
  EXPECT_TRUE(info->Has("page-state"));
  EXPECT_FALSE(info->Has("teleport"));
}

TEST(TargetInfoJson, OptionalMembersMayBeAbsent) {
  TargetInfo info = SampleInfo();
  info.shared_memory.clear();
  info.report_public_key.clear();
  const std::string json = TargetInfoToJson(info);
  EXPECT_THAT(json, Not(HasSubstr("shared_memory")));
  std::string error;
  ASSERT_TRUE(TargetInfoFromJson(json, &error)) << error;
}

std::string HelloError(const std::string& json) {
  std::string error;
  EXPECT_FALSE(TargetInfoFromJson(json, &error)) << json;
  return error;
}

// The sample's JSON with one member replaced (`value` empty: removed).
std::string WithMember(const std::string& name, const std::string& value) {
  std::string json = TargetInfoToJson(SampleInfo());
  const std::string key = "\"" + name + "\":";
  const size_t at = json.find(key);
  EXPECT_NE(at, std::string::npos) << name;
  // Find the end of the value: the comma or brace at nesting depth 0, outside strings.
  size_t i = at + key.size();
  int depth = 0;
  bool in_string = false;
  for (; i < json.size(); ++i) {
    const char c = json[i];
    if (in_string) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        in_string = false;
      continue;
    }
    if (c == '"')
      in_string = true;
    else if (c == '[' || c == '{')
      ++depth;
    else if ((c == ']' || c == '}') && depth > 0)
      --depth;
    else if ((c == ',' || c == '}') && depth == 0)
      break;
  }
  if (value.empty()) {
    const size_t end = json[i] == ',' ? i + 1 : i;
    return json.substr(0, at) + json.substr(end);
  }
  return json.substr(0, at) + key + value + json.substr(i);
}

TEST(TargetInfoJson, NamesMemberOfWrongType) {
  EXPECT_THAT(HelloError(WithMember("guest_vmpl", "\"2\"")), HasSubstr("'guest_vmpl'"));
  EXPECT_THAT(HelloError(WithMember("guest_vmpl", "4")), HasSubstr("'guest_vmpl'"));
  EXPECT_THAT(HelloError(WithMember("wire_version", "1.5")), HasSubstr("'wire_version'"));
  EXPECT_THAT(HelloError(WithMember("target", "7")), HasSubstr("'target'"));
  EXPECT_THAT(HelloError(WithMember("unmapped", "4026531840")), HasSubstr("'unmapped'"));
  EXPECT_THAT(HelloError(WithMember("startup_vmsa", "\"802000\"")), HasSubstr("'startup_vmsa'"));
  EXPECT_THAT(HelloError(WithMember("capabilities", "[\"reset\", 3]")),
              HasSubstr("'capabilities[1]'"));
  EXPECT_THAT(HelloError(WithMember("protocols", "{}")), HasSubstr("'protocols'"));
  EXPECT_THAT(HelloError(WithMember("svsm_region", "{\"base\": \"0x0\", \"size\": 1}")),
              HasSubstr("'svsm_region.size'"));
  EXPECT_THAT(HelloError(WithMember("vcpus", R"([{"index": 0, "apic_id": "0x0"},
                                                 {"index": 1, "apic_id": "0x100000000"}])")),
              HasSubstr("'vcpus[1].apic_id'"));
  EXPECT_THAT(HelloError(WithMember("test_memory", R"([{"base": "0x0", "size": "0x0",
                                                        "validated": 1}])")),
              HasSubstr("'test_memory[0].validated'"));
  EXPECT_THAT(HelloError(WithMember("shared_memory", "[7]")), HasSubstr("'shared_memory[0]'"));
  EXPECT_THAT(HelloError(WithMember("startup_vmsa", "\"0x10000000000000000\"")),
              HasSubstr("'startup_vmsa'"));
  EXPECT_THAT(HelloError(WithMember("startup_vmsa", "\"0xg\"")), HasSubstr("'startup_vmsa'"));
  EXPECT_THAT(HelloError(WithMember("startup_vmsa", "\"0x\"")), HasSubstr("'startup_vmsa'"));
}

TEST(TargetInfoJson, NamesMissingRequiredMember) {
  EXPECT_THAT(HelloError(WithMember("unmapped", "")), HasSubstr("'unmapped' is missing"));
  EXPECT_THAT(HelloError(WithMember("vcpus", "")), HasSubstr("'vcpus' is missing"));
}

TEST(TargetInfoJson, AcceptsZeroPaddedHex) {
  std::string error;
  const auto info = TargetInfoFromJson(
      WithMember("startup_vmsa", "\"0x00000000000000000000000000802000\""), &error);
  ASSERT_TRUE(info) << error;
  EXPECT_EQ(info->startup_vmsa, 0x802000u);
}

TEST(TargetInfoJson, RejectsNonObjectAndBadJson) {
  EXPECT_THAT(HelloError("[1]"), HasSubstr("not an object"));
  EXPECT_THAT(HelloError("{\"wire_version\": "), HasSubstr("HELLO JSON"));
  EXPECT_THAT(HelloError(""), HasSubstr("HELLO JSON"));
}

// ---------------------------------------------------------------------------------------
// ServeWire against raw frames: the requests are queued in one socket, the server runs to
// the end of them, and its answers are read back from another.

struct ServedRaw {
  int rc = -1;
  std::vector<wire::Frame> replies;
};

ServedRaw ServeRaw(Target& target, const Bytes& input) {
  int in[2], out[2];
  EXPECT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, in), 0);
  EXPECT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, out), 0);
  EXPECT_EQ(write(in[0], input.data(), input.size()), static_cast<ssize_t>(input.size()));
  shutdown(in[0], SHUT_WR);
  ServedRaw r;
  r.rc = ServeWire(target, in[1], out[1]);
  close(out[1]);
  Bytes all;
  uint8_t buf[4096];
  for (ssize_t n; (n = read(out[0], buf, sizeof buf)) > 0;) all.insert(all.end(), buf, buf + n);
  for (size_t at = 0; at < all.size();) {
    const wire::FrameParse p = wire::DecodeFrame(std::span(all).subspan(at));
    EXPECT_EQ(p.status, wire::FrameStatus::kComplete);
    if (p.status != wire::FrameStatus::kComplete) break;
    r.replies.push_back(p.frame);
    at += p.consumed;
  }
  for (int fd : {in[0], in[1], out[0]}) close(fd);
  return r;
}

Bytes Frames(std::initializer_list<std::pair<uint8_t, Bytes>> frames) {
  Bytes all;
  for (const auto& [type, payload] : frames) {
    const Bytes f = *wire::EncodeFrame(type, payload);
    all.insert(all.end(), f.begin(), f.end());
  }
  return all;
}

wire::ErrorReply AsError(const wire::Frame& f) {
  EXPECT_EQ(f.type, wire::kError);
  wire::ErrorReply e;
  std::string error;
  EXPECT_TRUE(wire::ParsePayload(f.payload, &e, &error)) << error;
  return e;
}

TEST(ServeWire, AnswersEveryRequestAndStopsAtBye) {
  FakeTarget t;
  const ServedRaw s = ServeRaw(
      t, Frames({{wire::kHello, wire::EncodePayload(wire::HelloRequest{1})},
                 {wire::kWrite, wire::EncodePayload(wire::WriteRequest{kMemBase, {9, 8}})},
                 {wire::kRead, wire::EncodePayload(wire::ReadRequest{kMemBase, 3})},
                 {wire::kCall, wire::EncodePayload(wire::CallRequest{0, {1, 2, 3, 4, 5}})},
                 {wire::kPageState, wire::EncodePayload(wire::PageStateRequest{kMemBase})},
                 {wire::kSetRunning, wire::EncodePayload(wire::SetRunningRequest{1, true})},
                 {wire::kReset, {}},
                 {wire::kBye, {}},
                 {wire::kReset, {}}}));  // after BYE: never read
  EXPECT_EQ(s.rc, 0);
  ASSERT_EQ(s.replies.size(), 8u);
  for (size_t i = 0; i < s.replies.size(); ++i) EXPECT_GE(s.replies[i].type, 0x81) << i;
  EXPECT_EQ(s.replies[2].payload, (Bytes{9, 8, 0}));
  CallReply c;
  std::string error;
  ASSERT_TRUE(wire::ParsePayload(s.replies[3].payload, &c, &error));
  EXPECT_EQ(c.regs.rcx, 2u);
  EXPECT_EQ(t.resets, 1);
}

TEST(ServeWire, AnswersUnknownTypeWithErrorOneAndGoesOn) {
  FakeTarget t;
  const ServedRaw s =
      ServeRaw(t, Frames({{0x42, {}}, {0x83, {}}, {wire::kError, {}}, {wire::kReset, {}}}));
  EXPECT_EQ(s.rc, 0);
  ASSERT_EQ(s.replies.size(), 4u);
  EXPECT_EQ(AsError(s.replies[0]).code, 1u);
  EXPECT_THAT(AsError(s.replies[0]).message, HasSubstr("0x42"));
  EXPECT_EQ(AsError(s.replies[1]).code, 1u);
  EXPECT_EQ(AsError(s.replies[2]).code, 1u);
  EXPECT_EQ(s.replies[3].type, wire::ResponseType(wire::kReset));
}

TEST(ServeWire, AnswersMalformedPayloadWithErrorTwo) {
  FakeTarget t;
  const ServedRaw s = ServeRaw(t, Frames({{wire::kRead, {1, 2, 3}},
                                          {wire::kReset, {0}},
                                          {wire::kSetRunning, {0, 0, 0, 0, 5}}}));
  ASSERT_EQ(s.replies.size(), 3u);
  for (const auto& f : s.replies) EXPECT_EQ(AsError(f).code, 2u);
  EXPECT_THAT(AsError(s.replies[0]).message, HasSubstr("READ payload is 3 bytes"));
}

TEST(ServeWire, PassesTargetErrorsThrough) {
  FakeTarget t;
  const ServedRaw s = ServeRaw(
      t, Frames({{wire::kRead, wire::EncodePayload(wire::ReadRequest{0, 1})},
                 {wire::kSetRunning, wire::EncodePayload(wire::SetRunningRequest{9, true})}}));
  ASSERT_EQ(s.replies.size(), 2u);
  EXPECT_EQ(AsError(s.replies[0]).code, 3u);
  EXPECT_EQ(AsError(s.replies[0]).message, "read fault");
  EXPECT_EQ(AsError(s.replies[1]).code, 4u);
}

TEST(ServeWire, RefusesWireVersionZero) {
  FakeTarget t;
  const ServedRaw s =
      ServeRaw(t, Frames({{wire::kHello, wire::EncodePayload(wire::HelloRequest{0})}}));
  ASSERT_EQ(s.replies.size(), 1u);
  EXPECT_EQ(AsError(s.replies[0]).code, 4u);
}

TEST(ServeWire, AnswersNewerRunnerWithVersionOne) {
  FakeTarget t;
  const ServedRaw s =
      ServeRaw(t, Frames({{wire::kHello, wire::EncodePayload(wire::HelloRequest{7})}}));
  ASSERT_EQ(s.replies.size(), 1u);
  ASSERT_EQ(s.replies[0].type, wire::ResponseType(wire::kHello));
  std::string error;
  const auto info = TargetInfoFromJson(
      std::string(s.replies[0].payload.begin(), s.replies[0].payload.end()), &error);
  ASSERT_TRUE(info) << error;
  EXPECT_EQ(info->wire_version, 1u);
}

TEST(ServeWire, StopsWithErrorOnForbiddenLength) {
  FakeTarget t;
  const ServedRaw s = ServeRaw(t, Bytes{0, 0, 0, 0});
  EXPECT_EQ(s.rc, 1);
  ASSERT_EQ(s.replies.size(), 1u);
  EXPECT_EQ(AsError(s.replies[0]).code, 2u);
  EXPECT_THAT(AsError(s.replies[0]).message, HasSubstr("length 0"));
}

TEST(ServeWire, FailsOnTruncatedFrame) {
  FakeTarget t;
  EXPECT_EQ(ServeRaw(t, Bytes{9, 0, 0, 0, 3, 1}).rc, 1);
  EXPECT_EQ(ServeRaw(t, Bytes{9, 0}).rc, 1);
}

TEST(ServeWire, ReturnsZeroAtEndOfInput) {
  FakeTarget t;
  const ServedRaw s = ServeRaw(t, Frames({{wire::kReset, {}}}));
  EXPECT_EQ(s.rc, 0);
  EXPECT_EQ(s.replies.size(), 1u);
}

// ---------------------------------------------------------------------------------------
// WireTarget over a socketpair served by ServeWire in a thread.

class Served {
 public:
  Served() {
    int sv[2];
    EXPECT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    server_fd_ = sv[1];
    thread_ = std::thread([this] { rc_ = ServeWire(fake, server_fd_, server_fd_); });
    client = WireTarget::FromFds(sv[0], sv[0], WireOptions{});
  }
  ~Served() {
    client.reset();  // says BYE
    if (thread_.joinable()) thread_.join();
    close(server_fd_);
  }
  int rc() {
    client.reset();
    if (thread_.joinable()) thread_.join();
    return rc_;
  }

  FakeTarget fake;
  std::unique_ptr<WireTarget> client;

 private:
  int server_fd_ = -1;
  int rc_ = -1;
  std::thread thread_;
};

// Checks every request kind through `t`, which serves a FakeTarget.
void ExerciseFake(Target& t) {
  const auto hello = t.Hello();
  ASSERT_TRUE(hello.ok()) << hello.error.message;
  EXPECT_EQ(TargetInfoToJson(*hello.value), TargetInfoToJson(SampleInfo()));

  const Bytes data = {1, 2, 3, 4, 5};
  ASSERT_TRUE(t.Write(kMemBase + 0x10, data).ok());
  const auto read = t.Read(kMemBase + 0x10, 5);
  ASSERT_TRUE(read.ok()) << read.error.message;
  EXPECT_EQ(*read.value, data);
  const auto empty = t.Read(kMemBase, 0);
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty.value->empty());

  const auto fault = t.Read(0x10, 4);
  ASSERT_FALSE(fault.ok());
  EXPECT_EQ(fault.error.code, TargetError::kFault);
  EXPECT_EQ(fault.error.message, "read fault");

  const auto call = t.Call(0, {10, 0xF0, 0x0F, 21, 0});
  ASSERT_TRUE(call.ok()) << call.error.message;
  EXPECT_EQ(call.value->outcome, CallOutcome::kCompleted);
  EXPECT_EQ(call.value->regs, (RegisterSet{0, 11, 0xFF, 42, ~0ull}));
  EXPECT_EQ(call.value->call_pending_after, 1);
  const auto cannot = t.Call(1, {7, 0, 0, 0, 0});
  ASSERT_TRUE(cannot.ok());
  EXPECT_EQ(cannot.value->outcome, CallOutcome::kCannotCall);

  const auto ps = t.PageState(0x802000);
  ASSERT_TRUE(ps.ok());
  EXPECT_TRUE(ps.value->vmsa);
  EXPECT_FALSE(ps.value->validated);
  EXPECT_EQ(ps.value->perms[0], 0x0F);
  EXPECT_EQ(ps.value->perms[2], 0x03);

  EXPECT_TRUE(t.SetRunning(1, false).ok());
  const auto unsupported = t.SetRunning(5, true);
  ASSERT_FALSE(unsupported.ok());
  EXPECT_EQ(unsupported.error.code, TargetError::kUnsupported);

  ASSERT_TRUE(t.Reset().ok());
  EXPECT_EQ(*t.Read(kMemBase + 0x10, 5).value, Bytes(5, 0));
}

TEST(WireTargetFds, DrivesEveryRequestThroughServeWire) {
  Served s;
  ExerciseFake(*s.client);
  EXPECT_FALSE(s.client->broken());
  EXPECT_EQ(s.rc(), 0);  // the destructor's BYE ended the server cleanly
}

TEST(WireTargetFds, CarriesOneMiBBothWays) {
  Served s;
  // The fake has 64 KiB; the transfer limit itself is checked locally.
  Bytes big(kMemSize);
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<uint8_t>(i * 7);
  ASSERT_TRUE(s.client->Write(kMemBase, big).ok());
  EXPECT_EQ(*s.client->Read(kMemBase, kMemSize).value, big);

  const auto too_big = s.client->Read(kMemBase, wire::kMaxTransfer + 1);
  ASSERT_FALSE(too_big.ok());
  EXPECT_EQ(too_big.error.code, TargetError::kMalformed);
  const auto too_big_write = s.client->Write(kMemBase, Bytes(wire::kMaxTransfer + 1));
  EXPECT_EQ(too_big_write.error.code, TargetError::kMalformed);
  EXPECT_FALSE(s.client->broken());
  // Exactly 1 MiB is carried (the fake faults it, but over the wire).
  EXPECT_EQ(s.client->Write(kMemBase, Bytes(wire::kMaxTransfer)).error.code, TargetError::kFault);
  EXPECT_EQ(s.client->Read(kMemBase, wire::kMaxTransfer).error.code, TargetError::kFault);
}

TEST(WireTargetFds, CannotRestart) {
  Served s;
  std::string error;
  EXPECT_FALSE(s.client->Restart(&error));
  EXPECT_THAT(error, HasSubstr("cannot be restarted"));
}

// WireTarget against a raw peer: the test queues the "response" bytes before the request.
class RawPeer : public ::testing::Test {
 protected:
  void SetUp() override {
    int sv[2];
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    peer_ = sv[1];
    WireOptions options;
    options.timeout = 200ms;
    client_ = WireTarget::FromFds(sv[0], sv[0], options);
  }
  void TearDown() override {
    client_.reset();
    close(peer_);
  }
  void Queue(const Bytes& b) {
    ASSERT_EQ(write(peer_, b.data(), b.size()), static_cast<ssize_t>(b.size()));
  }
  void QueueFrame(uint8_t type, const Bytes& payload) { Queue(*wire::EncodeFrame(type, payload)); }
  void ExpectBroken(const TargetError& e, const std::string& why) {
    EXPECT_EQ(e.code, TargetError::kBroken);
    EXPECT_THAT(e.message, HasSubstr(why));
    EXPECT_TRUE(client_->broken());
    // Later requests fail at once with the reason.
    const auto again = client_->Reset();
    EXPECT_EQ(again.error.code, TargetError::kBroken);
    EXPECT_THAT(again.error.message, HasSubstr("restart it"));
  }

  int peer_ = -1;
  std::unique_ptr<WireTarget> client_;
};

TEST_F(RawPeer, ErrorReplyIsAnOrdinaryError) {
  QueueFrame(wire::kError, wire::EncodePayload(wire::ErrorReply{3, "no access"}));
  const auto r = client_->Read(0, 8);
  EXPECT_EQ(r.error.code, TargetError::kFault);
  EXPECT_EQ(r.error.message, "no access");
  EXPECT_FALSE(client_->broken());
}

TEST_F(RawPeer, UndefinedErrorCodeBecomesInternal) {
  QueueFrame(wire::kError, wire::EncodePayload(wire::ErrorReply{100, "pretends to be broken"}));
  const auto r = client_->Reset();
  EXPECT_EQ(r.error.code, TargetError::kInternal);
  EXPECT_THAT(r.error.message, HasSubstr("error code 100"));
  EXPECT_FALSE(client_->broken());
}

TEST_F(RawPeer, WrongResponseTypeBreaks) {
  QueueFrame(wire::ResponseType(wire::kCall), wire::EncodePayload(CallReply{}));
  ExpectBroken(client_->Reset().error, "expected RESET_OK or ERROR, got CALL_OK");
}

TEST_F(RawPeer, OversizedFrameBreaks) {
  Queue({0xFF, 0xFF, 0xFF, 0x7F});
  ExpectBroken(client_->Reset().error, "exceeds the limit");
}

TEST_F(RawPeer, ZeroLengthFrameBreaks) {
  Queue({0, 0, 0, 0});
  ExpectBroken(client_->Reset().error, "frame length 0");
}

TEST_F(RawPeer, MalformedReplyPayloadBreaks) {
  QueueFrame(wire::ResponseType(wire::kCall), Bytes(44));
  ExpectBroken(client_->Call(0, {}).error, "CALL_OK payload is 44 bytes");
}

TEST_F(RawPeer, NonEmptyEmptyReplyBreaks) {
  QueueFrame(wire::ResponseType(wire::kReset), Bytes{0});
  ExpectBroken(client_->Reset().error, "RESET_OK");
}

TEST_F(RawPeer, ShortReadReplyBreaks) {
  QueueFrame(wire::ResponseType(wire::kRead), Bytes(3));
  ExpectBroken(client_->Read(0, 4).error, "READ_OK carries 3 bytes, 4 requested");
}

TEST_F(RawPeer, BadHelloJsonBreaksNamingMember) {
  const std::string json = WithMember("guest_vmpl", "\"two\"");
  QueueFrame(wire::ResponseType(wire::kHello), Bytes(json.begin(), json.end()));
  ExpectBroken(client_->Hello().error, "'guest_vmpl'");
}

TEST_F(RawPeer, NewerHelloVersionBreaks) {
  TargetInfo info = SampleInfo();
  info.wire_version = 2;
  const std::string json = TargetInfoToJson(info);
  QueueFrame(wire::ResponseType(wire::kHello), Bytes(json.begin(), json.end()));
  ExpectBroken(client_->Hello().error, "wire version 2");
}

TEST_F(RawPeer, SilenceTimesOut) {
  const auto start = std::chrono::steady_clock::now();
  const auto r = client_->Reset();
  const auto took = std::chrono::steady_clock::now() - start;
  ExpectBroken(r.error, "within 200 ms");
  EXPECT_GE(took, 190ms);
  EXPECT_LT(took, 2s);
}

TEST_F(RawPeer, HalfAFrameTimesOut) {
  Queue({10, 0, 0, 0, 0x82, 1});
  ExpectBroken(client_->Reset().error, "(2 of 10 frame bytes)");
}

TEST_F(RawPeer, ClosedStreamBreaks) {
  shutdown(peer_, SHUT_WR);
  ExpectBroken(client_->Reset().error, "closed the stream instead of answering RESET");
}

TEST_F(RawPeer, ClosedMidFrameBreaks) {
  Queue({10, 0, 0, 0, 0x82, 1});
  shutdown(peer_, SHUT_WR);
  ExpectBroken(client_->Reset().error, "in the middle of the response to RESET");
}

TEST_F(RawPeer, PeerGoneOnWriteBreaksWithoutSigpipe) {
  close(peer_);
  peer_ = -1;
  // SIGPIPE keeps its default action here: reaching this process would end the test binary.
  ExpectBroken(client_->Write(kMemBase, Bytes(4096)).error, "sending WRITE");
}

// ---------------------------------------------------------------------------------------
// exec: this binary re-run as the target.

std::unique_ptr<WireTarget> Spawn(const std::string& mode, WireOptions options = {}) {
  std::string error;
  auto t = WireTarget::Exec(ChildCommand(mode), options, &error);
  EXPECT_TRUE(t) << error;
  return t;
}

TEST(WireTargetExec, ServesEveryRequest) {
  auto t = Spawn("serve");
  ASSERT_TRUE(t);
  ExerciseFake(*t);
  EXPECT_THAT(t->RecentLog(), HasSubstr("fake target started"));
}

TEST(WireTargetExec, DestructorSaysByeAndReapsChild) {
  auto t = Spawn("serve");
  ASSERT_TRUE(t);
  ASSERT_TRUE(t->Hello().ok());
  const pid_t pid = t->pid();
  ASSERT_GT(pid, 0);
  t.reset();
  EXPECT_EQ(waitpid(pid, nullptr, WNOHANG), -1);  // already reaped
  EXPECT_EQ(errno, ECHILD);
}

TEST(WireTargetExec, CrashMidRequestBreaksAndRestartRecovers) {
  auto t = Spawn("serve");
  ASSERT_TRUE(t);
  ASSERT_TRUE(t->Write(kMemBase, Bytes{7}).ok());
  const auto r = t->Read(kCrashGpa, 8);
  EXPECT_EQ(r.error.code, TargetError::kBroken);
  EXPECT_THAT(r.error.message, HasSubstr("closed the stream instead of answering READ"));
  EXPECT_THAT(r.error.message, HasSubstr("exited with status 3"));
  EXPECT_THAT(t->RecentLog(), HasSubstr("crashing on purpose"));
  EXPECT_EQ(t->Hello().error.code, TargetError::kBroken);

  std::string error;
  ASSERT_TRUE(t->Restart(&error)) << error;
  EXPECT_FALSE(t->broken());
  ASSERT_TRUE(t->Hello().ok());
  EXPECT_EQ(*t->Read(kMemBase, 1).value, Bytes{0});  // a new process: fresh memory
}

TEST(WireTargetExec, KilledChildBreaksWithSignal) {
  auto t = Spawn("serve");
  ASSERT_TRUE(t);
  ASSERT_TRUE(t->Hello().ok());
  ASSERT_EQ(kill(t->pid(), SIGKILL), 0);
  const auto r = t->Reset();
  EXPECT_EQ(r.error.code, TargetError::kBroken);
  EXPECT_THAT(r.error.message, HasSubstr("signal 9"));
}

TEST(WireTargetExec, HangTimesOutAndRestartKillsIt) {
  WireOptions options;
  options.timeout = 200ms;
  auto t = Spawn("serve", options);
  ASSERT_TRUE(t);
  ASSERT_TRUE(t->Hello().ok());
  const pid_t hung = t->pid();
  const auto start = std::chrono::steady_clock::now();
  const auto r = t->Read(kHangGpa, 8);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
  EXPECT_EQ(r.error.code, TargetError::kBroken);
  EXPECT_THAT(r.error.message, HasSubstr("no complete response to READ within 200 ms"));
  std::string error;
  ASSERT_TRUE(t->Restart(&error)) << error;
  EXPECT_EQ(kill(hung, 0), -1);  // killed and reaped
  EXPECT_NE(t->pid(), hung);
  EXPECT_TRUE(t->Hello().ok());
}

TEST(WireTargetExec, GarbageReplyBreaks) {
  auto t = Spawn("serve");
  ASSERT_TRUE(t);
  const auto r = t->Read(kGarbageGpa, 8);
  EXPECT_EQ(r.error.code, TargetError::kBroken);
  EXPECT_THAT(r.error.message, HasSubstr("exceeds the limit"));  // "garb" as a length
  std::string error;
  EXPECT_TRUE(t->Restart(&error)) << error;
  EXPECT_TRUE(t->Hello().ok());
}

TEST(WireTargetExec, TruncatedReplyBreaks) {
  auto t = Spawn("serve");
  ASSERT_TRUE(t);
  const auto r = t->Read(kTruncatedGpa, 16);
  EXPECT_EQ(r.error.code, TargetError::kBroken);
  EXPECT_THAT(r.error.message, HasSubstr("in the middle of the response to READ"));
}

TEST(WireTargetExec, MissingProgramBreaksAtHello) {
  std::string error;
  auto t = WireTarget::Exec("exec /nonexistent/svsm-target", WireOptions{}, &error);
  ASSERT_TRUE(t) << error;
  const auto r = t->Hello();
  EXPECT_EQ(r.error.code, TargetError::kBroken);
  EXPECT_THAT(r.error.message, HasSubstr("status 127"));
  EXPECT_THAT(t->RecentLog(), HasSubstr("nonexistent"));
}

TEST(WireTargetExec, ChildThatNeverReadsDoesNotRaiseSigpipe) {
  std::string error;
  auto t = WireTarget::Exec("exit 0", WireOptions{}, &error);
  ASSERT_TRUE(t) << error;
  // More than a pipe holds, so the write is still going when the child is gone.
  const auto r = t->Write(kMemBase, Bytes(wire::kMaxTransfer));
  EXPECT_EQ(r.error.code, TargetError::kBroken);
  EXPECT_THAT(r.error.message, HasSubstr("sending WRITE"));
}

TEST(WireTargetExec, KeepsTailOfChattyStderr) {
  WireOptions options;
  options.log_capacity = 1024;
  auto t = Spawn("chatty", options);
  ASSERT_TRUE(t);
  ASSERT_TRUE(t->Hello().ok());  // would time out if standard error were not drained
  const std::string log = t->RecentLog();
  EXPECT_LE(log.size(), 1024u);
  EXPECT_THAT(log, StartsWith("chatty line "));
  EXPECT_THAT(log, EndsWith("chatty line 4999\n"));
}

// ---------------------------------------------------------------------------------------
// tcp and unix: a ServeWire thread accepting one connection at a time.

class Listener {
 public:
  explicit Listener(int fd) : fd_(fd) {
    thread_ = std::thread([this] {
      for (;;) {
        const int c = accept(fd_, nullptr, nullptr);
        if (c < 0) {
          if (errno == EINTR) continue;
          return;  // shut down
        }
        ++connections;
        ServeWire(fake, c, c);
        close(c);
      }
    });
  }
  ~Listener() {
    shutdown(fd_, SHUT_RDWR);
    thread_.join();
    close(fd_);
  }

  FakeTarget fake;
  std::atomic<int> connections{0};

 private:
  int fd_;
  std::thread thread_;
};

TEST(WireTargetSockets, TcpServesAndReconnects) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(listen(fd, 4), 0);
  socklen_t len = sizeof addr;
  ASSERT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  const uint16_t port = ntohs(addr.sin_port);
  Listener listener(fd);

  std::string error;
  const auto spec = ParseTargetSpec("tcp:127.0.0.1:" + std::to_string(port), &error);
  ASSERT_TRUE(spec) << error;
  auto t = WireTarget::Open(*spec, WireOptions{}, &error);
  ASSERT_TRUE(t) << error;
  ExerciseFake(*t);
  ASSERT_TRUE(t->Write(kMemBase, Bytes{0x5A}).ok());
  ASSERT_TRUE(t->Restart(&error)) << error;
  // Same server, new connection: the fake's memory is still there.
  EXPECT_EQ(*t->Read(kMemBase, 1).value, Bytes{0x5A});
  t.reset();
  EXPECT_EQ(listener.connections.load(), 2);
}

TEST(WireTargetSockets, TcpConnectRefusedIsAnError) {
  // Bind then close to get a port that (almost certainly) has no listener.
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  std::string error;
  EXPECT_FALSE(WireTarget::Tcp("127.0.0.1", ntohs(addr.sin_port), WireOptions{}, &error));
  EXPECT_THAT(error, HasSubstr("connect"));
}

TEST(WireTargetSockets, UnixServesAndReconnects) {
  char dir[] = "/tmp/svsm-wire-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  const std::string path = std::string(dir) + "/target.sock";
  const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strcpy(addr.sun_path, path.c_str());
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(listen(fd, 4), 0);
  {
    Listener listener(fd);
    std::string error;
    auto t = WireTarget::Unix(path, WireOptions{}, &error);
    ASSERT_TRUE(t) << error;
    ExerciseFake(*t);
    ASSERT_TRUE(t->Restart(&error)) << error;
    EXPECT_TRUE(t->Hello().ok());
    t.reset();
    EXPECT_EQ(listener.connections.load(), 2);
  }
  unlink(path.c_str());
  rmdir(dir);
}

TEST(WireTargetSockets, UnixMissingPathIsAnError) {
  std::string error;
  EXPECT_FALSE(WireTarget::Unix("/nonexistent/svsm.sock", WireOptions{}, &error));
  EXPECT_THAT(error, HasSubstr("unix:/nonexistent/svsm.sock"));
}

// ---------------------------------------------------------------------------------------
// --target values.

TEST(TargetSpecParse, AcceptsEachTransport) {
  std::string error;
  auto e = ParseTargetSpec("exec:qemu-agent --serial /dev/ttyS1", &error);
  ASSERT_TRUE(e) << error;
  EXPECT_EQ(e->kind, TargetSpec::Kind::kExec);
  EXPECT_EQ(e->command, "qemu-agent --serial /dev/ttyS1");
  auto t = ParseTargetSpec("tcp:localhost:4444", &error);
  ASSERT_TRUE(t) << error;
  EXPECT_EQ(t->host, "localhost");
  EXPECT_EQ(t->port, 4444);
  auto v6 = ParseTargetSpec("tcp:[::1]:80", &error);
  ASSERT_TRUE(v6) << error;
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->ToString(), "tcp:[::1]:80");
  auto u = ParseTargetSpec("unix:/run/svsm.sock", &error);
  ASSERT_TRUE(u) << error;
  EXPECT_EQ(u->path, "/run/svsm.sock");
  EXPECT_EQ(u->ToString(), "unix:/run/svsm.sock");
}

TEST(TargetSpecParse, RejectsMalformedSpecs) {
  for (const char* bad : {"", "ref", "exec:", "tcp:host", "tcp::80", "tcp:host:0", "tcp:host:65536",
                          "tcp:host:8x", "unix:", "serial:/dev/ttyS0"}) {
    std::string error;
    EXPECT_FALSE(ParseTargetSpec(bad, &error)) << bad;
    EXPECT_THAT(error, HasSubstr(std::string("'") + bad + "'")) << bad;
  }
  std::string error;
  EXPECT_FALSE(ParseTargetSpec("unix:/" + std::string(200, 'a'), &error));
  EXPECT_THAT(error, HasSubstr("longer than"));
}

}  // namespace
}  // namespace svsm_conform
