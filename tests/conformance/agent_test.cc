// The freestanding C guest agent (conformance/agent/svsm_agent.c), driven with frames built
// here byte by byte (independently of the C++ wire library) through a memory channel and
// fake guest hooks.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "svsm_agent.h"

namespace {

using Bytes = std::vector<uint8_t>;

void PutU32(Bytes& b, uint32_t v) {
  for (int i = 0; i < 4; ++i) b.push_back(static_cast<uint8_t>(v >> (8 * i)));
}
void PutU64(Bytes& b, uint64_t v) {
  for (int i = 0; i < 8; ++i) b.push_back(static_cast<uint8_t>(v >> (8 * i)));
}
uint32_t GetU32(const Bytes& b, size_t at) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | b.at(at + i);
  return v;
}
uint64_t GetU64(const Bytes& b, size_t at) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | b.at(at + i);
  return v;
}

Bytes Frame(uint8_t type, const Bytes& payload = {}) {
  Bytes f;
  PutU32(f, static_cast<uint32_t>(1 + payload.size()));
  f.push_back(type);
  f.insert(f.end(), payload.begin(), payload.end());
  return f;
}

struct Response {
  uint8_t type = 0;
  Bytes payload;
  uint32_t error_code() const { return GetU32(payload, 0); }
  std::string error_message() const { return std::string(payload.begin() + 4, payload.end()); }
  std::string text() const { return std::string(payload.begin(), payload.end()); }
};

// Splits a byte stream of response frames.
std::vector<Response> ParseResponses(const Bytes& stream) {
  std::vector<Response> out;
  size_t at = 0;
  while (at < stream.size()) {
    EXPECT_LE(at + 4, stream.size());
    const uint32_t n = GetU32(stream, at);
    EXPECT_GE(n, 1u);
    EXPECT_LE(at + 4 + n, stream.size());
    if (n == 0 || at + 4 + n > stream.size()) break;
    Response r;
    r.type = stream[at + 4];
    r.payload.assign(stream.begin() + at + 5, stream.begin() + at + 4 + n);
    out.push_back(r);
    at += 4 + n;
  }
  return out;
}

// ---- A fake guest ---------------------------------------------------------------------------

constexpr uint64_t kRamBase = 0x10000;
constexpr uint64_t kRamSize = 0x10000;

struct FakeGuest {
  Bytes ram = Bytes(kRamSize, 0);
  // CALL
  uint32_t last_vcpu = 0xFFFFFFFF;
  svsm_agent_regs last_in{};
  svsm_agent_call_result reply{};
  int call_rc = SVSM_AGENT_OK;
  // Optional hooks
  uint64_t last_page_state_gpa = 0;
  std::map<uint32_t, int> running;
  int resets = 0;
  int reset_rc = SVSM_AGENT_OK;
  // INJECT
  std::vector<std::pair<uint32_t, uint32_t>> pvalidate_injections;  // (skip, eax)
  std::vector<std::pair<uint64_t, Bytes>> racing_writes;
  int inject_rc = SVSM_AGENT_OK;
  // CALL_WITH_PENDING
  int last_call_pending = -1;

  bool InRam(uint64_t gpa, uint32_t size) const {
    return gpa >= kRamBase && size <= kRamSize && gpa - kRamBase <= kRamSize - size;
  }
};

FakeGuest& G(void* ctx) {
  return *static_cast<FakeGuest*>(ctx);
}

int FakeCall(void* ctx, uint32_t vcpu, const svsm_agent_regs* in, svsm_agent_call_result* out) {
  FakeGuest& g = G(ctx);
  g.last_vcpu = vcpu;
  g.last_in = *in;
  *out = g.reply;
  return g.call_rc;
}
int FakeCallWithPending(void* ctx, uint32_t vcpu, uint8_t call_pending, const svsm_agent_regs* in,
                        svsm_agent_call_result* out) {
  G(ctx).last_call_pending = call_pending;
  return FakeCall(ctx, vcpu, in, out);
}
int FakeRead(void* ctx, uint64_t gpa, void* buf, uint32_t size) {
  FakeGuest& g = G(ctx);
  if (!g.InRam(gpa, size)) return SVSM_AGENT_FAULT;
  std::memcpy(buf, g.ram.data() + (gpa - kRamBase), size);
  return SVSM_AGENT_OK;
}
int FakeWrite(void* ctx, uint64_t gpa, const void* buf, uint32_t size) {
  FakeGuest& g = G(ctx);
  if (!g.InRam(gpa, size)) return SVSM_AGENT_FAULT;
  std::memcpy(g.ram.data() + (gpa - kRamBase), buf, size);
  return SVSM_AGENT_OK;
}
int FakePageState(void* ctx, uint64_t gpa, svsm_agent_page_state* out) {
  G(ctx).last_page_state_gpa = gpa;
  out->validated = 1;
  out->validated_2m = 0;
  out->vmsa = 1;
  out->perms[0] = 0xF;
  out->perms[1] = 0x3;
  out->perms[2] = 0x0;
  return SVSM_AGENT_OK;
}
int FakeSetRunning(void* ctx, uint32_t vcpu, int running) {
  if (vcpu >= 4) return SVSM_AGENT_INVALID;
  G(ctx).running[vcpu] = running;
  return SVSM_AGENT_OK;
}
int FakeInjectPvalidateResult(void* ctx, uint32_t skip, uint32_t eax) {
  G(ctx).pvalidate_injections.emplace_back(skip, eax);
  return G(ctx).inject_rc;
}
int FakeInjectRacingWrite(void* ctx, uint64_t gpa, const void* buf, uint32_t size) {
  const auto* p = static_cast<const uint8_t*>(buf);
  G(ctx).racing_writes.emplace_back(gpa, Bytes(p, p + size));
  return G(ctx).inject_rc;
}
int FakeReset(void* ctx) {
  ++G(ctx).resets;
  return G(ctx).reset_rc;
}

// ---- A memory channel -----------------------------------------------------------------------

struct MemoryChannel {
  Bytes in;
  size_t pos = 0;
  size_t max_chunk = 3;  // short reads and writes on purpose
  Bytes out;
  bool fail_reads = false;
};

ptrdiff_t ChannelRead(void* ctx, void* buf, size_t len) {
  auto& ch = *static_cast<MemoryChannel*>(ctx);
  if (ch.fail_reads) return -1;
  const size_t n = std::min({len, ch.max_chunk, ch.in.size() - ch.pos});
  if (n != 0) std::memcpy(buf, ch.in.data() + ch.pos, n);  // data() may be null when empty
  ch.pos += n;
  return static_cast<ptrdiff_t>(n);
}
ptrdiff_t ChannelWrite(void* ctx, const void* buf, size_t len) {
  auto& ch = *static_cast<MemoryChannel*>(ctx);
  const size_t n = std::min(len, ch.max_chunk + 4);
  const auto* p = static_cast<const uint8_t*>(buf);
  ch.out.insert(ch.out.end(), p, p + n);
  return static_cast<ptrdiff_t>(n);
}

// ---- Fixture --------------------------------------------------------------------------------

const svsm_agent_protocol kProtocols[] = {{0, 1, 1}, {1, 1, 2}};
const svsm_agent_vcpu kVcpus[] = {{0x0, 1, 0x801000, 0x802000}, {0x11, 0, 0x5000, 0x6000}};
const svsm_agent_range kTestMemory[] = {{0x200000, 0x600000, 1}, {0x1000000, 0x2000000, 0}};
const svsm_agent_range kShared[] = {{0x80000000, 0x10000, 0}};
const char kPem[] = "-----BEGIN PUBLIC KEY-----\nMHYw\n-----END PUBLIC KEY-----\n";

svsm_agent_hello FullHello() {
  svsm_agent_hello h{};
  h.target = "agent \"test\"\\ \x01\t\xc3\xa9";
  h.spec_revision = "1.00";
  h.guest_vmpl = 2;
  h.protocols = kProtocols;
  h.protocol_count = 2;
  h.vcpus = kVcpus;
  h.vcpu_count = 2;
  h.svsm_region = {0x40000000, 0x1000000, 0};
  h.startup_vmsa = 0x802000;
  h.test_memory = kTestMemory;
  h.test_memory_count = 2;
  h.shared_memory = kShared;
  h.shared_memory_count = 1;
  h.unmapped = 0xF0000000;
  h.report_public_key = kPem;
  return h;
}

class AgentTest : public ::testing::Test {
 protected:
  AgentTest() : hello_(FullHello()), buf_(SVSM_AGENT_FRAME_BUFFER_SIZE) {
    agent_.channel = {&channel_, ChannelRead, ChannelWrite};
    agent_.frame_buf = buf_.data();
    agent_.frame_buf_size = buf_.size();
    agent_.hello = &hello_;
    agent_.ctx = &guest_;
    agent_.call = FakeCall;
    agent_.mem_read = FakeRead;
    agent_.mem_write = FakeWrite;
    agent_.page_state = FakePageState;
    agent_.set_running = FakeSetRunning;
    agent_.reset = FakeReset;
    agent_.inject_pvalidate_result = FakeInjectPvalidateResult;
    agent_.inject_racing_write = FakeInjectRacingWrite;
    agent_.call_with_pending = FakeCallWithPending;
  }

  // One frame through svsm_agent_handle_frame.
  Response Handle(const Bytes& frame, int expect_rc = SVSM_AGENT_FRAME_CONTINUE) {
    std::copy(frame.begin(), frame.end(), buf_.begin());
    size_t resp_len = 0;
    EXPECT_EQ(svsm_agent_handle_frame(&agent_, buf_.data(), buf_.size(), frame.size(), &resp_len),
              expect_rc);
    const auto responses = ParseResponses(Bytes(buf_.begin(), buf_.begin() + resp_len));
    EXPECT_EQ(responses.size(), 1u);
    return responses.empty() ? Response{} : responses[0];
  }

  void ExpectError(const Response& r, uint32_t code) {
    ASSERT_EQ(r.type, SVSM_AGENT_MSG_ERROR);
    ASSERT_GE(r.payload.size(), 4u);
    EXPECT_EQ(r.error_code(), code) << r.error_message();
    EXPECT_FALSE(r.error_message().empty());
  }

  nlohmann::json HelloJson() {
    Bytes v;
    PutU32(v, 1);
    const Response r = Handle(Frame(SVSM_AGENT_MSG_HELLO, v));
    EXPECT_EQ(r.type, SVSM_AGENT_MSG_HELLO | 0x80);
    return nlohmann::json::parse(r.text());
  }

  FakeGuest guest_;
  MemoryChannel channel_;
  svsm_agent_hello hello_;
  Bytes buf_;
  svsm_agent agent_{};
};

// ---- HELLO ----------------------------------------------------------------------------------

TEST_F(AgentTest, HelloReportsEveryMember) {
  const nlohmann::json j = HelloJson();
  EXPECT_EQ(j["wire_version"], 1);
  EXPECT_EQ(j["target"], "agent \"test\"\\ \x01\t\xc3\xa9");
  EXPECT_EQ(j["spec_revision"], "1.00");
  EXPECT_EQ(j["guest_vmpl"], 2);
  EXPECT_EQ(j["protocols"], nlohmann::json::parse(R"([{"number":0,"min_version":1,"max_version":1},
                                                     {"number":1,"min_version":1,"max_version":2}])"));
  EXPECT_EQ(j["vcpus"], nlohmann::json::parse(
                            R"([{"index":0,"apic_id":"0x0","caa":"0x801000","vmsa":"0x802000"},
                                                 {"index":1,"apic_id":"0x11"}])"));
  EXPECT_EQ(j["svsm_region"], nlohmann::json::parse(R"({"base":"0x40000000","size":"0x1000000"})"));
  EXPECT_EQ(j["startup_vmsa"], "0x802000");
  EXPECT_EQ(j["test_memory"],
            nlohmann::json::parse(R"([{"base":"0x200000","size":"0x600000","validated":true},
                                      {"base":"0x1000000","size":"0x2000000","validated":false}])"));
  EXPECT_EQ(j["shared_memory"],
            nlohmann::json::parse(R"([{"base":"0x80000000","size":"0x10000"}])"));
  EXPECT_EQ(j["unmapped"], "0xf0000000");
  EXPECT_EQ(j["capabilities"],
            nlohmann::json::parse(R"(["reset","page-state","vcpu-control","inject-pvalidate-result",
                                      "inject-racing-write","call-pending-value"])"));
  EXPECT_EQ(j["report_public_key"], kPem);
}

TEST_F(AgentTest, HelloEscapesControlCharactersAsJson) {
  Bytes v;
  PutU32(v, 1);
  const std::string text = Handle(Frame(SVSM_AGENT_MSG_HELLO, v)).text();
  EXPECT_NE(text.find(R"("target":"agent \"test\"\\ \u0001\t)"), std::string::npos) << text;
  EXPECT_NE(text.find(R"(-----BEGIN PUBLIC KEY-----\nMHYw\n)"), std::string::npos) << text;
}

TEST_F(AgentTest, HelloLeavesOutAbsentMembersAndCapabilities) {
  hello_.spec_revision = nullptr;
  hello_.target = nullptr;
  hello_.shared_memory_count = 0;
  hello_.report_public_key = nullptr;
  hello_.unmapped = 0;
  agent_.page_state = nullptr;
  agent_.set_running = nullptr;
  agent_.reset = nullptr;
  agent_.inject_pvalidate_result = nullptr;
  agent_.inject_racing_write = nullptr;
  agent_.call_with_pending = nullptr;
  const nlohmann::json j = HelloJson();
  EXPECT_EQ(j["spec_revision"], SVSM_SPEC_REVISION);
  EXPECT_EQ(j["target"], "");
  EXPECT_FALSE(j.contains("shared_memory"));
  EXPECT_FALSE(j.contains("report_public_key"));
  EXPECT_EQ(j["unmapped"], "0x0");
  EXPECT_EQ(j["capabilities"], nlohmann::json::array());
}

TEST_F(AgentTest, HelloHexFormatsFull64BitValues) {
  const svsm_agent_range big[] = {{0xFFFFFFFFFFFFF000ull, 0x1000, 1}};
  hello_.test_memory = big;
  hello_.test_memory_count = 1;
  const nlohmann::json j = HelloJson();
  EXPECT_EQ(j["test_memory"][0]["base"], "0xfffffffffffff000");
}

TEST_F(AgentTest, HelloUsesGetHelloWhenSet) {
  static svsm_agent_hello dynamic;
  dynamic = FullHello();
  dynamic.guest_vmpl = 3;
  agent_.get_hello = [](void*) -> const svsm_agent_hello* { return &dynamic; };
  EXPECT_EQ(HelloJson()["guest_vmpl"], 3);
}

TEST_F(AgentTest, HelloAnswersVersionOneToNewerRunners) {
  Bytes v;
  PutU32(v, 7);
  const Response r = Handle(Frame(SVSM_AGENT_MSG_HELLO, v));
  ASSERT_EQ(r.type, 0x81);
  EXPECT_EQ(nlohmann::json::parse(r.text())["wire_version"], 1);
}

TEST_F(AgentTest, HelloRejectsVersionZeroAndBadPayloads) {
  Bytes v0;
  PutU32(v0, 0);
  ExpectError(Handle(Frame(SVSM_AGENT_MSG_HELLO, v0)), SVSM_AGENT_ERROR_UNSUPPORTED);
  ExpectError(Handle(Frame(SVSM_AGENT_MSG_HELLO, {1, 0, 0})), SVSM_AGENT_ERROR_MALFORMED);
  ExpectError(Handle(Frame(SVSM_AGENT_MSG_HELLO, {1, 0, 0, 0, 0})), SVSM_AGENT_ERROR_MALFORMED);
}

TEST_F(AgentTest, HelloTooLongForTheBufferIsAnInternalError) {
  Bytes small(SVSM_AGENT_MIN_BUFFER_SIZE);
  Bytes frame = Frame(SVSM_AGENT_MSG_HELLO, {1, 0, 0, 0});
  std::copy(frame.begin(), frame.end(), small.begin());
  size_t n = 0;
  ASSERT_EQ(svsm_agent_handle_frame(&agent_, small.data(), small.size(), frame.size(), &n),
            SVSM_AGENT_FRAME_CONTINUE);
  const auto r = ParseResponses(Bytes(small.begin(), small.begin() + n));
  ASSERT_EQ(r.size(), 1u);
  ExpectError(r[0], SVSM_AGENT_ERROR_INTERNAL);
}

TEST_F(AgentTest, HelloWithoutFactsIsAnInternalError) {
  agent_.hello = nullptr;
  ExpectError(Handle(Frame(SVSM_AGENT_MSG_HELLO, {1, 0, 0, 0})), SVSM_AGENT_ERROR_INTERNAL);
}

// ---- READ / WRITE ---------------------------------------------------------------------------

Bytes ReadReq(uint64_t gpa, uint32_t size) {
  Bytes p;
  PutU64(p, gpa);
  PutU32(p, size);
  return p;
}

TEST_F(AgentTest, WriteThenReadRoundTrips) {
  Bytes w;
  PutU64(w, kRamBase + 0x100);
  for (int i = 0; i < 16; ++i) w.push_back(static_cast<uint8_t>(0xA0 + i));
  const Response wr = Handle(Frame(SVSM_AGENT_MSG_WRITE, w));
  EXPECT_EQ(wr.type, 0x84);
  EXPECT_TRUE(wr.payload.empty());
  EXPECT_EQ(guest_.ram[0x100], 0xA0);
  EXPECT_EQ(guest_.ram[0x10F], 0xAF);

  const Response rd = Handle(Frame(SVSM_AGENT_MSG_READ, ReadReq(kRamBase + 0xFF, 18)));
  ASSERT_EQ(rd.type, 0x83);
  ASSERT_EQ(rd.payload.size(), 18u);
  EXPECT_EQ(rd.payload[0], 0);
  EXPECT_EQ(rd.payload[1], 0xA0);
  EXPECT_EQ(rd.payload[16], 0xAF);
  EXPECT_EQ(rd.payload[17], 0);
}

TEST_F(AgentTest, EmptyReadAndWriteSucceed) {
  EXPECT_EQ(Handle(Frame(SVSM_AGENT_MSG_READ, ReadReq(kRamBase, 0))).type, 0x83);
  Bytes w;
  PutU64(w, kRamBase);
  EXPECT_EQ(Handle(Frame(SVSM_AGENT_MSG_WRITE, w)).type, 0x84);
}

TEST_F(AgentTest, WholeMiBReadFitsTheDefaultBuffer) {
  // The fake RAM is 64 KiB, so read 1 MiB from a guest whose reads always succeed.
  agent_.mem_read = [](void*, uint64_t, void* buf, uint32_t size) {
    std::memset(buf, 0x5A, size);
    return SVSM_AGENT_OK;
  };
  const Response r = Handle(Frame(SVSM_AGENT_MSG_READ, ReadReq(0, SVSM_AGENT_ACCESS_MAX)));
  ASSERT_EQ(r.type, 0x83);
  ASSERT_EQ(r.payload.size(), SVSM_AGENT_ACCESS_MAX);
  EXPECT_EQ(r.payload.back(), 0x5A);
}

TEST_F(AgentTest, FaultingAccessesAnswerError3AndWriteNothing) {
  ExpectError(Handle(Frame(SVSM_AGENT_MSG_READ, ReadReq(kRamBase + kRamSize - 4, 8))),
              SVSM_AGENT_ERROR_FAULT);
  Bytes w;
  PutU64(w, kRamBase - 1);
  w.push_back(1);
  w.push_back(2);
  ExpectError(Handle(Frame(SVSM_AGENT_MSG_WRITE, w)), SVSM_AGENT_ERROR_FAULT);
  EXPECT_EQ(guest_.ram[0], 0);
}

TEST_F(AgentTest, MalformedAccessesAnswerError2) {
  ExpectError(Handle(Frame(SVSM_AGENT_MSG_READ, ReadReq(kRamBase, SVSM_AGENT_ACCESS_MAX + 1))),
              SVSM_AGENT_ERROR_MALFORMED);
  Bytes short_read = ReadReq(kRamBase, 4);
  short_read.pop_back();
  ExpectError(Handle(Frame(SVSM_AGENT_MSG_READ, short_read)), SVSM_AGENT_ERROR_MALFORMED);
  ExpectError(Handle(Frame(SVSM_AGENT_MSG_WRITE, {1, 2, 3, 4, 5, 6, 7})),
              SVSM_AGENT_ERROR_MALFORMED);
  Bytes too_much;
  PutU64(too_much, kRamBase);
  too_much.resize(8 + SVSM_AGENT_ACCESS_MAX + 1);
  ExpectError(Handle(Frame(SVSM_AGENT_MSG_WRITE, too_much)), SVSM_AGENT_ERROR_MALFORMED);
}

TEST_F(AgentTest, ReadLongerThanASmallBufferIsAnInternalError) {
  Bytes small(4096);
  Bytes frame = Frame(SVSM_AGENT_MSG_READ, ReadReq(kRamBase, 8192));
  std::copy(frame.begin(), frame.end(), small.begin());
  size_t n = 0;
  ASSERT_EQ(svsm_agent_handle_frame(&agent_, small.data(), small.size(), frame.size(), &n), 0);
  const auto r = ParseResponses(Bytes(small.begin(), small.begin() + n));
  ASSERT_EQ(r.size(), 1u);
  ExpectError(r[0], SVSM_AGENT_ERROR_INTERNAL);
}

// ---- CALL -----------------------------------------------------------------------------------

Bytes CallReq(uint32_t vcpu, uint64_t rax, uint64_t rcx, uint64_t rdx, uint64_t r8, uint64_t r9) {
  Bytes p;
  PutU32(p, vcpu);
  for (uint64_t v : {rax, rcx, rdx, r8, r9}) PutU64(p, v);
  return p;
}

TEST_F(AgentTest, CallPassesRegistersBothWays) {
  guest_.reply.outcome = SVSM_AGENT_CALL_COMPLETED;
  guest_.reply.regs = {0x80000005, 0x1111, 0x2222, 0x3333, 0x4444};
  guest_.reply.call_pending_after = 0;
  const Response r = Handle(Frame(
      SVSM_AGENT_MSG_CALL, CallReq(3, svsm_make_rax(0, 6), 0xA, 0xB, 0xC, 0xFFFFFFFFFFFFFFFFull)));
  EXPECT_EQ(guest_.last_vcpu, 3u);
  EXPECT_EQ(guest_.last_in.rax, 6u);
  EXPECT_EQ(guest_.last_in.rcx, 0xAu);
  EXPECT_EQ(guest_.last_in.rdx, 0xBu);
  EXPECT_EQ(guest_.last_in.r8, 0xCu);
  EXPECT_EQ(guest_.last_in.r9, 0xFFFFFFFFFFFFFFFFull);
  ASSERT_EQ(r.type, 0x85);
  ASSERT_EQ(r.payload.size(), 45u);
  EXPECT_EQ(GetU32(r.payload, 0), 0u);
  EXPECT_EQ(GetU64(r.payload, 4), 0x80000005u);
  EXPECT_EQ(GetU64(r.payload, 12), 0x1111u);
  EXPECT_EQ(GetU64(r.payload, 20), 0x2222u);
  EXPECT_EQ(GetU64(r.payload, 28), 0x3333u);
  EXPECT_EQ(GetU64(r.payload, 36), 0x4444u);
  EXPECT_EQ(r.payload[44], 0);
}

TEST_F(AgentTest, CallWithPendingPassesTheValueAndAnswersLikeCall) {
  guest_.reply.regs = {0x80000002, 1, 2, 3, 4};
  guest_.reply.call_pending_after = 0;
  Bytes p = CallReq(1, 0x1, 0x2000, 0, 0, 0);
  p.insert(p.begin() + 4, 0x02);  // the CALL_PENDING value after the vCPU index
  const Response r = Handle(Frame(SVSM_AGENT_MSG_CALL_WITH_PENDING, p));
  ASSERT_EQ(r.type, 0x8A);
  ASSERT_EQ(r.payload.size(), 45u);
  EXPECT_EQ(guest_.last_call_pending, 2);
  EXPECT_EQ(guest_.last_vcpu, 1u);
  EXPECT_EQ(guest_.last_in.rax, 0x1u);
  EXPECT_EQ(guest_.last_in.rcx, 0x2000u);
  EXPECT_EQ(GetU64(r.payload, 4), 0x80000002u);
  p.pop_back();
  ExpectError(Handle(Frame(SVSM_AGENT_MSG_CALL_WITH_PENDING, p)), SVSM_AGENT_ERROR_MALFORMED);
  agent_.call_with_pending = nullptr;
  p.push_back(0);
  ExpectError(Handle(Frame(SVSM_AGENT_MSG_CALL_WITH_PENDING, p)), SVSM_AGENT_ERROR_UNSUPPORTED);
}

TEST_F(AgentTest, CallReportsCallPendingAfter) {
  guest_.reply.outcome = SVSM_AGENT_CALL_COMPLETED;
  guest_.reply.regs = {1, 2, 3, 4, 5};
  guest_.reply.call_pending_after = 1;
  const Response r = Handle(Frame(SVSM_AGENT_MSG_CALL, CallReq(0, 1, 2, 3, 4, 5)));
  ASSERT_EQ(r.payload.size(), 45u);
  EXPECT_EQ(r.payload[44], 1);
}

TEST_F(AgentTest, CallsThatDidNotCompleteAnswerTheInputRegisters) {
  for (uint32_t outcome :
       {SVSM_AGENT_CALL_NO_RETURN, SVSM_AGENT_CALL_CANNOT_CALL, SVSM_AGENT_CALL_GUEST_FAULT}) {
    guest_.reply.outcome = outcome;
    guest_.reply.regs = {9, 9, 9, 9, 9};
    guest_.reply.call_pending_after = 1;
    const Response r = Handle(Frame(SVSM_AGENT_MSG_CALL, CallReq(1, 10, 11, 12, 13, 14)));
    ASSERT_EQ(r.payload.size(), 45u);
    EXPECT_EQ(GetU32(r.payload, 0), outcome);
    EXPECT_EQ(GetU64(r.payload, 4), 10u);
    EXPECT_EQ(GetU64(r.payload, 36), 14u);
    EXPECT_EQ(r.payload[44], 0);
  }
}

TEST_F(AgentTest, CallHookFailuresAreInternalErrors) {
  guest_.reply.outcome = 4;
  ExpectError(Handle(Frame(SVSM_AGENT_MSG_CALL, CallReq(0, 0, 0, 0, 0, 0))),
              SVSM_AGENT_ERROR_INTERNAL);
  guest_.reply.outcome = 0;
  guest_.call_rc = -1;
  ExpectError(Handle(Frame(SVSM_AGENT_MSG_CALL, CallReq(0, 0, 0, 0, 0, 0))),
              SVSM_AGENT_ERROR_INTERNAL);
}

TEST_F(AgentTest, CallWithAWrongPayloadSizeIsMalformed) {
  Bytes p = CallReq(0, 0, 0, 0, 0, 0);
  p.pop_back();
  ExpectError(Handle(Frame(SVSM_AGENT_MSG_CALL, p)), SVSM_AGENT_ERROR_MALFORMED);
  p.push_back(0);
  p.push_back(0);
  ExpectError(Handle(Frame(SVSM_AGENT_MSG_CALL, p)), SVSM_AGENT_ERROR_MALFORMED);
}

// ---- PAGE_STATE / SET_RUNNING / RESET / BYE -------------------------------------------------

TEST_F(AgentTest, PageStateAnswersSixBytes) {
  Bytes p;
  PutU64(p, 0x123000);
  const Response r = Handle(Frame(SVSM_AGENT_MSG_PAGE_STATE, p));
  EXPECT_EQ(guest_.last_page_state_gpa, 0x123000u);
  ASSERT_EQ(r.type, 0x86);
  EXPECT_EQ(r.payload, (Bytes{1, 0, 1, 0xF, 0x3, 0x0}));
  ExpectError(Handle(Frame(SVSM_AGENT_MSG_PAGE_STATE, {0, 0, 0, 0})), SVSM_AGENT_ERROR_MALFORMED);
}

TEST_F(AgentTest, SetRunningStartsAndHaltsVcpus) {
  EXPECT_EQ(Handle(Frame(SVSM_AGENT_MSG_SET_RUNNING, {2, 0, 0, 0, 1})).type, 0x87);
  EXPECT_EQ(guest_.running[2], 1);
  EXPECT_EQ(Handle(Frame(SVSM_AGENT_MSG_SET_RUNNING, {2, 0, 0, 0, 0})).type, 0x87);
  EXPECT_EQ(guest_.running[2], 0);
  ExpectError(Handle(Frame(SVSM_AGENT_MSG_SET_RUNNING, {2, 0, 0, 0, 2})),
              SVSM_AGENT_ERROR_MALFORMED);
  ExpectError(Handle(Frame(SVSM_AGENT_MSG_SET_RUNNING, {9, 0, 0, 0, 1})),
              SVSM_AGENT_ERROR_MALFORMED);
  ExpectError(Handle(Frame(SVSM_AGENT_MSG_SET_RUNNING, {2, 0, 0, 0})), SVSM_AGENT_ERROR_MALFORMED);
}

TEST_F(AgentTest, ResetCallsTheHook) {
  const Response r = Handle(Frame(SVSM_AGENT_MSG_RESET));
  EXPECT_EQ(r.type, 0x82);
  EXPECT_TRUE(r.payload.empty());
  EXPECT_EQ(guest_.resets, 1);
  guest_.reset_rc = SVSM_AGENT_UNSUPPORTED;
  ExpectError(Handle(Frame(SVSM_AGENT_MSG_RESET)), SVSM_AGENT_ERROR_UNSUPPORTED);
  guest_.reset_rc = 42;
  ExpectError(Handle(Frame(SVSM_AGENT_MSG_RESET)), SVSM_AGENT_ERROR_INTERNAL);
  ExpectError(Handle(Frame(SVSM_AGENT_MSG_RESET, {0})), SVSM_AGENT_ERROR_MALFORMED);
}

TEST_F(AgentTest, ByeAnswersAndEnds) {
  const Response r = Handle(Frame(SVSM_AGENT_MSG_BYE), SVSM_AGENT_FRAME_BYE);
  EXPECT_EQ(r.type, 0x88);
  EXPECT_TRUE(r.payload.empty());
  ExpectError(Handle(Frame(SVSM_AGENT_MSG_BYE, {0})), SVSM_AGENT_ERROR_MALFORMED);
}

TEST_F(AgentTest, MissingOptionalHooksAnswerUnsupported) {
  agent_.page_state = nullptr;
  agent_.set_running = nullptr;
  agent_.reset = nullptr;
  agent_.inject_pvalidate_result = nullptr;
  agent_.inject_racing_write = nullptr;
  agent_.call_with_pending = nullptr;
  ExpectError(Handle(Frame(SVSM_AGENT_MSG_RESET)), SVSM_AGENT_ERROR_UNSUPPORTED);
  Bytes p;
  PutU64(p, 0x1000);
  ExpectError(Handle(Frame(SVSM_AGENT_MSG_PAGE_STATE, p)), SVSM_AGENT_ERROR_UNSUPPORTED);
  ExpectError(Handle(Frame(SVSM_AGENT_MSG_SET_RUNNING, {0, 0, 0, 0, 1})),
              SVSM_AGENT_ERROR_UNSUPPORTED);
  ExpectError(Handle(Frame(SVSM_AGENT_MSG_INJECT, {1, 0, 0, 0, 0, 0, 0, 0, 0x10, 0, 0, 0})),
              SVSM_AGENT_ERROR_UNSUPPORTED);
  ExpectError(Handle(Frame(SVSM_AGENT_MSG_INJECT, {2, 0, 0, 0, 0, 0x10, 0, 0, 0, 0, 0, 0, 7})),
              SVSM_AGENT_ERROR_UNSUPPORTED);
  EXPECT_EQ(guest_.resets, 0);
}

TEST_F(AgentTest, InjectPassesEachKindToItsHook) {
  EXPECT_EQ(Handle(Frame(SVSM_AGENT_MSG_INJECT, {1, 0, 0, 0, 2, 0, 0, 0, 0x11, 0, 0, 0})).type, 0x89);
  ASSERT_EQ(guest_.pvalidate_injections.size(), 1u);
  EXPECT_EQ(guest_.pvalidate_injections[0], std::make_pair(2u, 0x11u));
  const Response r = Handle(Frame(SVSM_AGENT_MSG_INJECT, {2, 0, 0, 0, 0xca, 0x10, 0, 0, 0, 0, 0, 0, 0, 1}));
  EXPECT_EQ(r.type, 0x89);
  EXPECT_TRUE(r.payload.empty());
  ASSERT_EQ(guest_.racing_writes.size(), 1u);
  EXPECT_EQ(guest_.racing_writes[0].first, 0x10cau);
  EXPECT_EQ(guest_.racing_writes[0].second, (Bytes{0, 1}));
  guest_.inject_rc = SVSM_AGENT_UNSUPPORTED;
  ExpectError(Handle(Frame(SVSM_AGENT_MSG_INJECT, {1, 0, 0, 0, 0, 0, 0, 0, 0x10, 0, 0, 0})),
              SVSM_AGENT_ERROR_UNSUPPORTED);
}

TEST_F(AgentTest, InjectRefusesMalformedPayloads) {
  for (const Bytes& p : {Bytes{1, 0, 0}, Bytes{3, 0, 0, 0}, Bytes{1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
                         Bytes{1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
                         Bytes{2, 0, 0, 0, 0, 0x10, 0, 0, 0, 0, 0, 0},                    // no bytes
                         Bytes{2, 0, 0, 0, 0xff, 0x1f, 0, 0, 0, 0, 0, 0, 1, 2}}) {      // crosses a page
    ExpectError(Handle(Frame(SVSM_AGENT_MSG_INJECT, p)), SVSM_AGENT_ERROR_MALFORMED);
  }
  Bytes big = {2, 0, 0, 0, 0, 0x10, 0, 0, 0, 0, 0, 0};
  big.resize(big.size() + 4097, 0);
  ExpectError(Handle(Frame(SVSM_AGENT_MSG_INJECT, big)), SVSM_AGENT_ERROR_MALFORMED);
  EXPECT_TRUE(guest_.pvalidate_injections.empty());
  EXPECT_TRUE(guest_.racing_writes.empty());
}

TEST_F(AgentTest, UnknownMessageTypesAnswerError1) {
  for (uint8_t type : {0x00, 0x0B, 0x7E, 0x7F, 0x81, 0xFF}) {
    ExpectError(Handle(Frame(type, {1, 2, 3})), SVSM_AGENT_ERROR_UNKNOWN_MESSAGE);
  }
}

TEST_F(AgentTest, FramesWhoseLengthPrefixDisagreesAreMalformed) {
  Bytes f = Frame(SVSM_AGENT_MSG_BYE);
  f[0] = 2;
  ExpectError(Handle(f), SVSM_AGENT_ERROR_MALFORMED);
  ExpectError(Handle(Bytes{0, 0, 0, 0}), SVSM_AGENT_ERROR_MALFORMED);
}

TEST_F(AgentTest, HandleFrameRefusesATinyBuffer) {
  Bytes tiny(SVSM_AGENT_MIN_BUFFER_SIZE - 1);
  Bytes f = Frame(SVSM_AGENT_MSG_BYE);
  std::copy(f.begin(), f.end(), tiny.begin());
  size_t n = 0;
  EXPECT_EQ(svsm_agent_handle_frame(&agent_, tiny.data(), tiny.size(), f.size(), &n),
            SVSM_AGENT_FRAME_BAD_SETUP);
}

TEST(AgentErrorFrame, TruncatesTheMessageToTheBuffer) {
  uint8_t buf[16];
  const size_t n = svsm_agent_error_frame(buf, sizeof(buf), 5, "a long message that does not fit");
  ASSERT_EQ(n, sizeof(buf));
  const auto r = ParseResponses(Bytes(buf, buf + n));
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].error_code(), 5u);
  EXPECT_EQ(r[0].error_message(), "a long ");
  // Never half a UTF-8 sequence.
  const size_t m = svsm_agent_error_frame(buf, 11, 5, "a\xc3\xa9");
  EXPECT_EQ(Bytes(buf + 9, buf + m), (Bytes{'a'}));
  EXPECT_EQ(svsm_agent_error_frame(buf, 8, 5, "x"), 0u);
}

// ---- The request loop -----------------------------------------------------------------------

TEST_F(AgentTest, ServeAnswersEveryFrameUntilBye) {
  Bytes w;
  PutU64(w, kRamBase + 8);
  w.insert(w.end(), {1, 2, 3, 4});
  for (const Bytes& f : {Frame(SVSM_AGENT_MSG_HELLO, {1, 0, 0, 0}), Frame(SVSM_AGENT_MSG_WRITE, w),
                         Frame(SVSM_AGENT_MSG_READ, ReadReq(kRamBase + 8, 4)), Frame(0x42),
                         Frame(SVSM_AGENT_MSG_BYE), Frame(SVSM_AGENT_MSG_RESET)}) {
    channel_.in.insert(channel_.in.end(), f.begin(), f.end());
  }
  EXPECT_EQ(svsm_agent_serve(&agent_), SVSM_AGENT_SERVE_BYE);
  const auto r = ParseResponses(channel_.out);
  ASSERT_EQ(r.size(), 5u);
  EXPECT_EQ(r[0].type, 0x81);
  EXPECT_EQ(nlohmann::json::parse(r[0].text())["guest_vmpl"], 2);
  EXPECT_EQ(r[1].type, 0x84);
  EXPECT_EQ(r[2].type, 0x83);
  EXPECT_EQ(r[2].payload, (Bytes{1, 2, 3, 4}));
  ExpectError(r[3], SVSM_AGENT_ERROR_UNKNOWN_MESSAGE);
  EXPECT_EQ(r[4].type, 0x88);
  EXPECT_EQ(guest_.resets, 0);  // nothing after BYE is read
}

TEST_F(AgentTest, ServeDrainsFramesLongerThanItsBuffer) {
  Bytes small(4096);
  agent_.frame_buf = small.data();
  agent_.frame_buf_size = small.size();
  Bytes w;
  PutU64(w, kRamBase);
  w.resize(8 + 10000, 0xEE);
  for (const Bytes& f :
       {Frame(SVSM_AGENT_MSG_WRITE, w), Frame(SVSM_AGENT_MSG_READ, ReadReq(kRamBase, 2))}) {
    channel_.in.insert(channel_.in.end(), f.begin(), f.end());
  }
  channel_.max_chunk = 1000;
  EXPECT_EQ(svsm_agent_serve(&agent_), SVSM_AGENT_SERVE_EOF);
  const auto r = ParseResponses(channel_.out);
  ASSERT_EQ(r.size(), 2u);
  ExpectError(r[0], SVSM_AGENT_ERROR_MALFORMED);
  EXPECT_EQ(r[1].type, 0x83);
  EXPECT_EQ(r[1].payload, (Bytes{0, 0}));  // the long WRITE was not performed
}

TEST_F(AgentTest, ServeTreatsZeroAndHugeLengthsAsABrokenStream) {
  channel_.in = {0, 0, 0, 0};
  EXPECT_EQ(svsm_agent_serve(&agent_), SVSM_AGENT_SERVE_BAD_FRAME);
  channel_ = MemoryChannel{};
  PutU32(channel_.in, SVSM_AGENT_FRAME_MAX + 1);
  EXPECT_EQ(svsm_agent_serve(&agent_), SVSM_AGENT_SERVE_BAD_FRAME);
  EXPECT_TRUE(channel_.out.empty());
}

TEST_F(AgentTest, ServeReportsStreamErrors) {
  channel_.in = Frame(SVSM_AGENT_MSG_HELLO, {1, 0, 0, 0});
  channel_.in.pop_back();
  EXPECT_EQ(svsm_agent_serve(&agent_), SVSM_AGENT_SERVE_IO_ERROR);
  channel_ = MemoryChannel{};
  channel_.fail_reads = true;
  EXPECT_EQ(svsm_agent_serve(&agent_), SVSM_AGENT_SERVE_IO_ERROR);
  channel_ = MemoryChannel{};
  EXPECT_EQ(svsm_agent_serve(&agent_), SVSM_AGENT_SERVE_EOF);
  agent_.frame_buf_size = SVSM_AGENT_MIN_BUFFER_SIZE - 1;
  EXPECT_EQ(svsm_agent_serve(&agent_), SVSM_AGENT_SERVE_BAD_SETUP);
}

// ---- The guest calling sequence helper ------------------------------------------------------

TEST(AgentGuestCall, SetsAndExchangesCallPending) {
  static svsm_caa caa;
  std::memset(&caa, 0, sizeof(caa));
  struct Seen {
    uint8_t pending_at_exit = 0;
    bool clear = true;
  } seen;
  auto vmgexit = [](void* ctx, svsm_agent_regs* regs) {
    auto* s = static_cast<Seen*>(ctx);
    s->pending_at_exit = caa.call_pending;
    if (s->clear) caa.call_pending = 0;  // the SVSM ran the call
    regs->rax = 0;
    regs->rcx = regs->rcx + 1;
  };
  const svsm_agent_regs in = {svsm_make_rax(0, 6), 41, 0, 0, 0};
  svsm_agent_call_result out{};
  svsm_agent_guest_call(&caa, vmgexit, &seen, &in, &out);
  EXPECT_EQ(seen.pending_at_exit, 1);
  EXPECT_EQ(out.outcome, SVSM_AGENT_CALL_COMPLETED);
  EXPECT_EQ(out.regs.rax, 0u);
  EXPECT_EQ(out.regs.rcx, 42u);
  EXPECT_EQ(out.call_pending_after, 0);
  EXPECT_EQ(caa.call_pending, 0);

  seen.clear = false;  // the SVSM never ran it
  svsm_agent_guest_call(&caa, vmgexit, &seen, &in, &out);
  EXPECT_EQ(out.call_pending_after, 1);
  EXPECT_EQ(caa.call_pending, 0);

  // Another value stored on purpose (CALL_WITH_PENDING).
  svsm_agent_guest_call_pending(&caa, vmgexit, &seen, 7, &in, &out);
  EXPECT_EQ(seen.pending_at_exit, 7);
  EXPECT_EQ(out.call_pending_after, 7);
  EXPECT_EQ(caa.call_pending, 0);
}

}  // namespace
