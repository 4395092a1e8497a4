// Scripted mode of the reference SVSM (svsm_ref::RunScript, `svsm-spec serve --script`): every
// op, the "steps[i]: ..." errors of malformed steps (which stop the run), and a fuzz-like loop
// showing that arbitrary JSON values never crash or throw.
#include "svsm_ref/script.h"

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "svsm_test_support.h"
#include "test_keys.h"

namespace svsm_ref {
namespace {

using namespace svsm_ref::testing;  // NOLINT
using Json = nlohmann::json;

PlatformConfig ScriptPlatform() {
  PlatformConfig config = DefaultPlatformConfig();
  // A fixed key keeps the many platforms cheap to create (no key generation).
  config.attestation.signing_key_pem = test_keys::kTestP384KeyPem;
  return config;
}

std::string Hex(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

class ScriptTest : public ::testing::Test {
 protected:
  void SetUp() override {
    svsm_ = MakeSvsm(ScriptPlatform());
    ASSERT_NE(svsm_, nullptr);
  }
  Json Run(const Json& script) {
    error_.clear();
    Json out;
    EXPECT_NO_THROW(out = RunScript(*svsm_, script, &error_));
    return out;
  }
  Json RunSteps(const Json& steps) { return Run(Json{{"steps", steps}}); }
  // One step that must run cleanly; its result.
  Json RunOne(const Json& step) {
    Json out = RunSteps(Json::array({step}));
    EXPECT_EQ(error_, "") << step.dump();
    EXPECT_EQ(out.size(), 1u) << step.dump();
    return out.size() == 1 ? out[0] : Json();
  }
  // The error of a script whose step `bad` (of `steps`) is malformed: the earlier steps ran.
  void ExpectStepError(Json steps, size_t bad, const std::string& message) {
    steps.push_back({{"op", "page_state"}, {"gpa", 0}});  // never reached
    const Json out = RunSteps(steps);
    EXPECT_EQ(error_, "steps[" + std::to_string(bad) + "]: " + message) << steps.dump();
    EXPECT_EQ(out.size(), bad) << "results of the steps before the malformed one only";
    for (size_t i = 0; i < out.size(); ++i) EXPECT_EQ(out[i]["step"], i);
  }

  std::unique_ptr<ReferenceSvsm> svsm_;
  std::string error_;
};

Json QueryProtocolRaw(uint32_t protocol, uint32_t version) {
  return {{"op", "call"},
          {"regs", {{"rax", Hex(SVSM_CORE_QUERY_PROTOCOL)}, {"rcx", Hex(uint64_t{protocol} << 32 | version)}}}};
}

// --- Each op -------------------------------------------------------------------------------

TEST_F(ScriptTest, RawCall) {
  const Json r = RunOne(QueryProtocolRaw(1, 1));
  EXPECT_EQ(r["outcome"], "completed");
  EXPECT_EQ(r["result"], "0x0");
  EXPECT_EQ(r["result_name"], "SVSM_SUCCESS");
  EXPECT_EQ(r["rule"], "core.query-protocol.available");
  EXPECT_EQ(r["regs"]["rcx"], "0x100000001");
  EXPECT_EQ(r["regs"]["rax"], "0x0");
  EXPECT_EQ(r["call_pending_after"], 0);
  EXPECT_EQ(r["step"], 0);
  EXPECT_FALSE(r.contains("response")) << "raw calls are not decoded";
}

TEST_F(ScriptTest, RawCallAcceptsIntegersAndHexStringsAndNamesErrors) {
  const Json r = RunOne({{"op", "call"}, {"regs", {{"rax", uint64_t{1} << 32 | 7}, {"rcx", "0X2000"}}}});
  EXPECT_EQ(r["result"], Hex(SVSM_ERR_UNSUPPORTED_CALL));
  EXPECT_EQ(r["result_name"], "SVSM_ERR_UNSUPPORTED_CALL");
  EXPECT_EQ(r["rule"], "attest.unknown-call");
  EXPECT_EQ(r["regs"]["rcx"], "0x2000");
}

TEST_F(ScriptTest, RawCallNamesTheAttestationProtocolsOwnCode) {
  PlatformConfig config = ScriptPlatform();
  config.attestation.fail_snp_requests = true;
  svsm_ = MakeSvsm(config);
  std::vector<uint8_t> op(0x40, 0);
  auto put = [&](size_t at, uint64_t v, size_t n) {
    for (size_t i = 0; i < n; ++i) op[at + i] = static_cast<uint8_t>(v >> (8 * i));
  };
  put(0x00, 0x202000, 8);
  put(0x08, 0x1000, 4);
  put(0x20, 0x203000, 8);
  put(0x28, 0x1000, 4);
  std::string hex;
  for (uint8_t b : op) {
    char two[3];
    std::snprintf(two, sizeof two, "%02x", b);
    hex += two;
  }
  const Json out = RunSteps(
      {{{"op", "write"}, {"gpa", "0x200000"}, {"hex", hex}},
       {{"op", "call"}, {"regs", {{"rax", Hex(AttestRax(SVSM_ATTEST_SERVICES))}, {"rcx", "0x200000"}}}}});
  ASSERT_EQ(error_, "");
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[1]["result"], "0x80001000");
  EXPECT_EQ(out[1]["result_name"], "SVSM_ERR_ATTEST_SNP_REQUEST_FAILED");
  EXPECT_EQ(out[1]["rule"], "attest.services.snp-request-failed");
}

TEST_F(ScriptTest, TypedCallByName) {
  const Json r = RunOne({{"op", "call"},
                         {"call", "SVSM_CORE_QUERY_PROTOCOL"},
                         {"request", {{"request", {{"protocol", 0}, {"version", 1}}}}}});
  EXPECT_EQ(r["outcome"], "completed");
  EXPECT_EQ(r["result_name"], "SVSM_SUCCESS");
  EXPECT_EQ(r["rule"], "core.query-protocol.core-available");
  EXPECT_EQ(r["response"]["response"]["min_version"], 1);
  EXPECT_EQ(r["response"]["response"]["max_version"], 1);
  EXPECT_EQ(r["response"]["result"], 0);
}

TEST_F(ScriptTest, TypedCallWritesTheRequestsMemoryImages) {
  const uint64_t list = svsm_->config().startup_caa + 8;
  const Json r = RunOne(
      {{"op", "call"},
       {"call", "SVSM_CORE_PVALIDATE"},
       {"request",
        {{"list", Hex(list)},
         {"pvalidate_list",
          {{"entries", 1},
           {"next", 0},
           {"reserved", "00000000"},
           {"entry", {{{"page_size", 0}, {"action", 1}, {"ignore_cf", 0}, {"reserved", 0}, {"pfn", "0x1000"}}}}}}}}});
  EXPECT_EQ(r["result_name"], "SVSM_SUCCESS");
  EXPECT_TRUE(svsm_->PageStateAt(0x1000000).validated);
  EXPECT_EQ(ListNext(*svsm_, list), 1);
}

TEST_F(ScriptTest, TypedCallWhoseMemoryImageFaultsIsAGuestFault) {
  const Json r = RunOne(
      {{"op", "call"},
       {"call", "SVSM_CORE_PVALIDATE"},
       {"request",
        {{"list", "0x40000000"},  // the SVSM's memory: the guest cannot write its list there
         {"pvalidate_list",
          {{"entries", 1}, {"next", 0}, {"reserved", "00000000"},
           {"entry", {{{"page_size", 0}, {"action", 1}, {"ignore_cf", 0}, {"reserved", 0}, {"pfn", "0x1000"}}}}}}}}});
  EXPECT_EQ(r["outcome"], "guest-fault");
  EXPECT_EQ(r["fault_gpa"], "0x40000000");
  EXPECT_EQ(svsm_->calls_completed(), 0u);
}

TEST_F(ScriptTest, TypedAttestationCall) {
  std::string nonce;
  for (int i = 0; i < 64; ++i) nonce += "ab";
  const Json out = RunSteps(
      {{{"op", "write"}, {"gpa", "0x201100"}, {"hex", nonce}},
       {{"op", "call"},
        {"call", "SVSM_ATTEST_SERVICES"},
        {"request",
         {{"op_gpa", "0x200000"},
          {"attest_services_op",
           {{"report_gpa", "0x202000"}, {"report_size", "0x1000"}, {"reserved_0c", "00000000"},
            {"nonce_gpa", "0x201100"}, {"nonce_size", "0x40"}, {"reserved_1a", "000000000000"},
            {"manifest_gpa", "0x203000"}, {"manifest_size", "0x1000"}, {"reserved_2c", "00000000"},
            {"certs_gpa", "0x0"}, {"certs_size", "0x0"}, {"reserved_3c", "00000000"}}}}}},
       {{"op", "read"}, {"gpa", "0x203000"}, {"size", 24}}});
  ASSERT_EQ(error_, "");
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[1]["rule"], "attest.services.report");
  EXPECT_EQ(out[1]["regs"]["r8"], "0x4a0");
  EXPECT_EQ(out[1]["response"]["manifest_size"], "0x18");
  EXPECT_EQ(out[2]["hex"], "bb9e8463923d7046a1ff58f9c94b87bb1800000000000000");
}

TEST_F(ScriptTest, EnterWithoutCallPendingIsSpurious) {
  const Json r = RunOne({{"op", "enter"}, {"regs", {{"rax", "0x6"}, {"rcx", "0x1"}}}});
  EXPECT_EQ(r["outcome"], "spurious");
  EXPECT_FALSE(r.contains("result"));
  EXPECT_FALSE(r.contains("rule"));
  EXPECT_EQ(r["regs"]["rcx"], "0x1");
}

TEST_F(ScriptTest, EnterWithCallPendingAndExitCodes) {
  const std::string caa = Hex(svsm_->config().startup_caa);
  const Json out = RunSteps({{{"op", "write"}, {"gpa", caa}, {"hex", "01"}},
                             {{"op", "enter"}, {"regs", {{"rax", "0x6"}, {"rcx", "0x1"}}}, {"exit_code", "0x7b"}},
                             {{"op", "enter"}, {"regs", {{"rax", "0x6"}, {"rcx", "0x1"}}}, {"exit_code", 0x403}},
                             {{"op", "read"}, {"gpa", caa}, {"size", 1}}});
  ASSERT_EQ(error_, "");
  ASSERT_EQ(out.size(), 4u);
  EXPECT_EQ(out[1]["outcome"], "not-vmgexit");
  EXPECT_EQ(out[2]["outcome"], "completed");
  EXPECT_EQ(out[2]["result_name"], "SVSM_SUCCESS");
  EXPECT_EQ(out[3]["hex"], "00") << "the SVSM cleared CALL_PENDING";
}

TEST_F(ScriptTest, WriteAndRead) {
  const Json out = RunSteps({{{"op", "write"}, {"gpa", "0x300000"}, {"hex", "DEADbeef"}},
                             {{"op", "read"}, {"gpa", 0x300000}, {"size", 4}},
                             {{"op", "read"}, {"gpa", "0x300000"}, {"size", 0}},
                             {{"op", "write"}, {"gpa", "0x40000000"}, {"hex", "00"}},
                             {{"op", "read"}, {"gpa", "0x40000000"}, {"size", 1}},
                             {{"op", "read"}, {"gpa", "0x1000000"}, {"size", 1}},
                             {{"op", "write"}, {"gpa", "0x300000"}, {"hex", ""}}});
  ASSERT_EQ(error_, "");
  ASSERT_EQ(out.size(), 7u);
  EXPECT_EQ(out[0], (Json{{"ok", true}, {"step", 0}}));
  EXPECT_EQ(out[1], (Json{{"ok", true}, {"hex", "deadbeef"}, {"step", 1}}));
  EXPECT_EQ(out[2]["hex"], "");
  EXPECT_EQ(out[3]["ok"], false) << "SVSM memory";
  EXPECT_EQ(out[4], (Json{{"ok", false}, {"step", 4}}));
  EXPECT_EQ(out[5]["ok"], false) << "unvalidated";
  EXPECT_EQ(out[6]["ok"], true);
  EXPECT_EQ(GuestReadBytes(*svsm_, 0x300000, 4), (std::vector<uint8_t>{0xde, 0xad, 0xbe, 0xef}));
}

TEST_F(ScriptTest, ReadAndWriteAtAnExplicitVmpl) {
  // VMPL3 has no permission on launch-validated pages granted to the guest VMPL2.
  const Json out = RunSteps({{{"op", "write"}, {"gpa", "0x300000"}, {"hex", "01"}, {"vmpl", 3}},
                             {{"op", "read"}, {"gpa", "0x300000"}, {"size", 1}, {"vmpl", 1}},
                             {{"op", "read"}, {"gpa", "0x300000"}, {"size", 1}, {"vmpl", 0}}});
  ASSERT_EQ(error_, "");
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0]["ok"], svsm_->GuestWrite(3, 0x300000, std::vector<uint8_t>{1}));
  EXPECT_EQ(out[1]["ok"], true);
  EXPECT_EQ(out[2]["ok"], false) << "VMPL0 is the SVSM's, not a guest view";
}

TEST_F(ScriptTest, SetRunning) {
  const Json out = RunSteps({{{"op", "set_running"}, {"running", true}},
                             {{"op", "set_running"}, {"vcpu", 0}, {"running", false}},
                             {{"op", "set_running"}, {"vcpu", 1}, {"running", true}}});
  ASSERT_EQ(error_, "");
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0]["ok"], true);
  EXPECT_EQ(out[1]["ok"], true);
  EXPECT_EQ(out[2]["ok"], false) << "vCPU 1 has no VMSA";
  EXPECT_FALSE(svsm_->vcpus()[0].running);
}

TEST_F(ScriptTest, PageState) {
  const Json boot = RunOne({{"op", "page_state"}, {"gpa", "0x300000"}});
  EXPECT_EQ(boot["validated"], true);
  EXPECT_EQ(boot["vmsa"], false);
  EXPECT_EQ(boot["perms"].size(), 3u);
  const PageAttrs a = svsm_->PageStateAt(0x300000);
  EXPECT_EQ(boot["perms"], (Json{a.perms[1], a.perms[2], a.perms[3]}));
  EXPECT_EQ(RunOne({{"op", "page_state"}, {"gpa", "0x1000000"}})["validated"], false);
  EXPECT_EQ(RunOne({{"op", "page_state"}, {"gpa", Hex(svsm_->config().startup_vmsa)}})["vmsa"], true);
  // Any address, even far outside the memory map, is a page-state query, not an error.
  EXPECT_EQ(RunOne({{"op", "page_state"}, {"gpa", "0xfffffffffffff000"}})["validated"], false);
}

TEST_F(ScriptTest, CallOnAnotherVcpu) {
  const Json r = RunOne({{"op", "call"}, {"vcpu", 1}, {"regs", {{"rax", "0x6"}}}});
  EXPECT_EQ(r["outcome"], "no-vmsa");
  EXPECT_FALSE(r.contains("result"));
}

TEST_F(ScriptTest, EmptyScriptAndExtraKeys) {
  EXPECT_EQ(RunSteps(Json::array()), Json::array());
  EXPECT_EQ(error_, "");
  Json script = {{"comment", "ignored"}, {"steps", Json::array({QueryProtocolRaw(0, 1)})}};
  EXPECT_EQ(Run(script).size(), 1u);
  EXPECT_EQ(error_, "");
}

// --- Malformed scripts and steps -------------------------------------------------------------

TEST_F(ScriptTest, ScriptMustBeAnObjectWithSteps) {
  for (const Json& script : {Json(), Json::array(), Json(5), Json("steps"), Json::object(),
                             Json{{"steps", Json::object()}}, Json{{"steps", "x"}}, Json{{"Steps", Json::array()}}}) {
    const Json out = Run(script);
    EXPECT_EQ(error_, "expected an object with a \"steps\" array") << script.dump();
    EXPECT_EQ(out, Json::array());
  }
}

TEST_F(ScriptTest, MalformedStepsStopTheRunWithTheirIndex) {
  const Json good = QueryProtocolRaw(0, 1);
  struct Case {
    Json step;
    std::string message;
  };
  const std::string ops = "op: expected call, enter, write, read, set_running or page_state";
  const std::vector<Case> cases = {
      {Json(5), "expected an object"},
      {Json::array(), "expected an object"},
      {Json("call"), "expected an object"},
      {Json::object(), ops},
      {{{"op", "jump"}}, ops},
      {{{"op", 5}}, ops},
      {{{"op", nullptr}}, ops},
      {{{"op", "call"}}, "regs: expected an object"},
      {{{"op", "call"}, {"regs", "0x6"}}, "regs: expected an object"},
      {{{"op", "call"}, {"regs", {{"rax", -1}}}}, "regs.rax: expected a hex string or unsigned integer"},
      {{{"op", "call"}, {"regs", {{"rax", 1.5}}}}, "regs.rax: expected a hex string or unsigned integer"},
      {{{"op", "call"}, {"regs", {{"rcx", "0x"}}}}, "regs.rcx: expected a hex string or unsigned integer"},
      {{{"op", "call"}, {"regs", {{"rdx", "0x10000000000000000"}}}}, "regs.rdx: expected a hex string or unsigned integer"},
      {{{"op", "call"}, {"regs", {{"r8", "12"}}}}, "regs.r8: expected a hex string or unsigned integer"},
      {{{"op", "call"}, {"regs", {{"r10", 0}}}}, "regs.r10: not a call register"},
      {{{"op", "call"}, {"vcpu", 4}, {"regs", {{"rax", 6}}}}, "vcpu 4 does not exist"},
      {{{"op", "call"}, {"vcpu", "one"}, {"regs", {{"rax", 6}}}}, "vcpu: expected a hex string or unsigned integer"},
      {{{"op", "call"}, {"vcpu", -1}, {"regs", {{"rax", 6}}}}, "vcpu: expected a hex string or unsigned integer"},
      {{{"op", "call"}, {"call", "SVSM_CORE_NOPE"}, {"request", Json::object()}}, "call: no call named \"SVSM_CORE_NOPE\""},
      {{{"op", "call"}, {"call", 6}, {"request", Json::object()}}, "call: expected a call name"},
      {{{"op", "call"}, {"call", "SVSM_CORE_QUERY_PROTOCOL"}}, "request: missing"},
      {{{"op", "enter"}}, "regs: expected an object"},
      {{{"op", "enter"}, {"regs", {{"rax", 6}}}, {"exit_code", "vmgexit"}}, "exit_code: expected a hex string or unsigned integer"},
      {{{"op", "write"}, {"hex", "00"}}, "gpa: expected a hex string or unsigned integer"},
      {{{"op", "write"}, {"gpa", 0}}, "hex: expected an even-length hex string"},
      {{{"op", "write"}, {"gpa", 0}, {"hex", "abc"}}, "hex: expected an even-length hex string"},
      {{{"op", "write"}, {"gpa", 0}, {"hex", "zz"}}, "hex: expected an even-length hex string"},
      {{{"op", "write"}, {"gpa", 0}, {"hex", 12}}, "hex: expected an even-length hex string"},
      {{{"op", "write"}, {"gpa", 0}, {"hex", "00"}, {"vmpl", 4}}, "vmpl: expected 0..3"},
      {{{"op", "write"}, {"gpa", 0}, {"hex", "00"}, {"vmpl", 258}}, "vmpl: expected 0..3"},
      {{{"op", "read"}, {"gpa", 0}, {"size", 1}, {"vmpl", "two"}}, "vmpl: expected 0..3"},
      {{{"op", "read"}, {"gpa", 0}}, "size: expected 0..1048576"},
      {{{"op", "read"}, {"gpa", 0}, {"size", 1048577}}, "size: expected 0..1048576"},
      {{{"op", "read"}, {"gpa", 0}, {"size", "0xffffffffffffffff"}}, "size: expected 0..1048576"},
      {{{"op", "read"}, {"gpa", true}, {"size", 1}}, "gpa: expected a hex string or unsigned integer"},
      {{{"op", "set_running"}}, "running: expected true or false"},
      {{{"op", "set_running"}, {"running", 1}}, "running: expected true or false"},
      {{{"op", "page_state"}}, "gpa: expected a hex string or unsigned integer"},
      {{{"op", "page_state"}, {"gpa", "0x-1"}}, "gpa: expected a hex string or unsigned integer"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.step.dump());
    ExpectStepError(Json::array({good, good, c.step}), 2, c.message);
    ExpectStepError(Json::array({c.step, good}), 0, c.message);
  }
}

TEST_F(ScriptTest, TypedCallRequestErrorsNameTheMember) {
  ExpectStepError(Json::array({{{"op", "call"}, {"call", "SVSM_CORE_QUERY_PROTOCOL"}, {"request", Json::object()}}}),
                  0, "request: request: missing");
  const Json out = RunSteps(Json::array(
      {{{"op", "call"}, {"call", "SVSM_CORE_QUERY_PROTOCOL"}, {"request", {{"request", {{"protocol", -1}, {"version", 1}}}}}}}));
  EXPECT_EQ(out, Json::array());
  EXPECT_EQ(error_.rfind("steps[0]: request: ", 0), 0u) << error_;
  EXPECT_NE(error_.find("protocol"), std::string::npos) << error_;
}

TEST_F(ScriptTest, AStepErrorLeavesEarlierEffectsInPlace) {
  const Json out = RunSteps({{{"op", "write"}, {"gpa", "0x300000"}, {"hex", "5a"}}, {{"op", "bogus"}}});
  EXPECT_EQ(out.size(), 1u);
  EXPECT_EQ(error_, "steps[1]: op: expected call, enter, write, read, set_running or page_state");
  EXPECT_EQ(GuestReadBytes(*svsm_, 0x300000, 1)[0], 0x5a);
}

// --- Garbage never crashes -------------------------------------------------------------------

// A script exercising every op; the fuzz loop mutates copies of it.
Json SeedScript() {
  std::string nonce;
  for (int i = 0; i < 64; ++i) nonce += "5a";
  return Json::parse(R"({"steps": [
    {"op": "call", "regs": {"rax": "0x6", "rcx": "0x100000001"}},
    {"op": "call", "call": "SVSM_CORE_QUERY_PROTOCOL", "request": {"request": {"protocol": 1, "version": 1}}},
    {"op": "call", "call": "SVSM_CORE_PVALIDATE", "request": {"list": "0x801008",
      "pvalidate_list": {"entries": 1, "next": 0, "reserved": "00000000",
        "entry": [{"page_size": 0, "action": 1, "ignore_cf": 0, "reserved": 0, "pfn": "0x1000"}]}}},
    {"op": "write", "gpa": "0x201100", "hex": ")" + nonce + R"("},
    {"op": "call", "call": "SVSM_ATTEST_SERVICES", "request": {"op_gpa": "0x200000",
      "attest_services_op": {"report_gpa": "0x202000", "report_size": "0x1000", "reserved_0c": "00000000",
        "nonce_gpa": "0x201100", "nonce_size": "0x40", "reserved_1a": "000000000000",
        "manifest_gpa": "0x203000", "manifest_size": "0x1000", "reserved_2c": "00000000",
        "certs_gpa": "0x204000", "certs_size": "0x4000", "reserved_3c": "00000000"}}},
    {"op": "call", "call": "SVSM_CORE_CREATE_VCPU", "request": {"vmsa": "0x300000", "caa": "0x301000", "apic_id": 1}},
    {"op": "call", "call": "SVSM_CORE_DEPOSIT_MEM", "request": {"list": "0x801008"}},
    {"op": "enter", "vcpu": 0, "regs": {"rax": "0x6", "rcx": "0x1"}, "exit_code": "0x403"},
    {"op": "read", "gpa": "0x203000", "size": 24, "vmpl": 2},
    {"op": "set_running", "vcpu": 0, "running": true},
    {"op": "page_state", "gpa": "0x1000000"}
  ]})");
}

Json RandomValue(std::mt19937_64& rng, int depth = 0) {
  switch (rng() % (depth > 2 ? 12 : 14)) {
    case 0: return nullptr;
    case 1: return rng() % 2 == 0;
    case 2: return static_cast<int64_t>(rng()) ;
    case 3: return rng();
    case 4: return -static_cast<int64_t>(rng() % 10) - 1;
    case 5: return static_cast<double>(rng() % 1000) / 7.0;
    case 6: return "0x" + std::string(rng() % 20, "0123456789abcdefXg"[rng() % 18]);
    case 7: return std::string(rng() % 9, "0aF"[rng() % 3]);
    case 8: {
      static const char* const kNames[] = {"call", "enter", "write", "read", "set_running", "page_state",
                                           "SVSM_CORE_PVALIDATE", "SVSM_ATTEST_SERVICES", "SVSM_ATTEST_SINGLE_SERVICE",
                                           "SVSM_CORE_REMAP_CA", "SVSM_CORE_CONFIGURE_VTOM form configure",
                                           "SVSM_CORE_WITHDRAW_MEM", "SVSM_CORE_DELETE_VCPU", ""};
      return kNames[rng() % std::size(kNames)];
    }
    case 9: return Hex(rng() % 4 == 0 ? rng() : rng() % 0x2000000);
    case 10: return rng() % 5;
    case 11: return std::string(static_cast<size_t>(rng() % 3000), 'f');
    case 12: {
      Json a = Json::array();
      for (size_t i = rng() % 4; i > 0; --i) a.push_back(RandomValue(rng, depth + 1));
      return a;
    }
    default: {
      Json o = Json::object();
      static const char* const kKeys[] = {"op", "regs", "rax", "rcx", "call", "request", "gpa", "size",
                                          "hex", "vcpu", "vmpl", "running", "exit_code", "entries", "entry"};
      for (size_t i = rng() % 4; i > 0; --i) o[kKeys[rng() % std::size(kKeys)]] = RandomValue(rng, depth + 1);
      return o;
    }
  }
}

// Replaces (or removes, or adds) one value somewhere in `j`.
void Mutate(Json& j, std::mt19937_64& rng) {
  Json* node = &j;
  for (int depth = 0; depth < 8; ++depth) {
    if (!(node->is_object() || node->is_array()) || node->empty() || rng() % 4 == 0) break;
    auto it = node->begin();
    std::advance(it, static_cast<long>(rng() % node->size()));
    if (rng() % 6 == 0 && depth > 0) {
      // Remove this member / element.
      if (node->is_object()) node->erase(it.key());
      else node->erase(static_cast<size_t>(std::distance(node->begin(), it)));
      return;
    }
    node = &*it;
  }
  if (node->is_object() && rng() % 3 == 0) {
    (*node)[std::to_string(rng() % 3)] = RandomValue(rng);
  } else {
    *node = RandomValue(rng);
  }
}

TEST(ScriptFuzz, MutatedScriptsNeverCrashOrThrow) {
  std::mt19937_64 rng(0x5eed5c21);
  const Json seed = SeedScript();
  {
    auto svsm = MakeSvsm(ScriptPlatform());
    std::string error;
    const Json out = RunScript(*svsm, seed, &error);
    ASSERT_EQ(error, "") << "the seed script runs cleanly";
    ASSERT_EQ(out.size(), seed["steps"].size());
  }
  auto svsm = MakeSvsm(ScriptPlatform());
  size_t errors = 0, clean = 0;
  for (int i = 0; i < 1500; ++i) {
    if (i % 100 == 0) svsm = MakeSvsm(ScriptPlatform());  // fresh state now and then
    Json script = seed;
    for (uint64_t m = 1 + rng() % 4; m > 0; --m) Mutate(script, rng);
    std::string error;
    Json out;
    ASSERT_NO_THROW(out = RunScript(*svsm, script, &error)) << script.dump();
    ASSERT_TRUE(out.is_array());
    if (error.empty()) {
      ++clean;
      ASSERT_EQ(out.size(), script["steps"].size()) << script.dump();
    } else {
      ++errors;
      const bool step_error = error.rfind("steps[", 0) == 0;
      ASSERT_TRUE(step_error || error == "expected an object with a \"steps\" array") << error;
      if (step_error) {
        const size_t bad = std::stoul(error.substr(6));
        ASSERT_EQ(out.size(), bad) << error;
      }
    }
    for (size_t k = 0; k < out.size(); ++k) ASSERT_EQ(out[k]["step"], k);
    ASSERT_NO_THROW((void)out.dump());
  }
  // Both kinds of outcome were exercised.
  EXPECT_GT(errors, 100u);
  EXPECT_GT(clean, 100u);
}

TEST(ScriptFuzz, EveryStepReplacedByGarbage) {
  std::mt19937_64 rng(42);
  auto svsm = MakeSvsm(ScriptPlatform());
  for (int i = 0; i < 500; ++i) {
    Json steps = Json::array();
    for (int k = 0; k < 4; ++k) steps.push_back(RandomValue(rng));
    std::string error;
    ASSERT_NO_THROW((void)RunScript(*svsm, Json{{"steps", steps}}, &error)) << steps.dump();
    // A null error pointer is allowed too.
    ASSERT_NO_THROW((void)RunScript(*svsm, Json{{"steps", steps}}, nullptr));
  }
}

TEST(ScriptResultCodeName, NamesCoreAndAttestationCodes) {
  EXPECT_EQ(ResultCodeName(SVSM_SUCCESS), "SVSM_SUCCESS");
  EXPECT_EQ(ResultCodeName(SVSM_ERR_INVALID_ADDRESS), "SVSM_ERR_INVALID_ADDRESS");
  EXPECT_EQ(ResultCodeName(SVSM_ERR_PVALIDATE_FAIL_INPUT), "SVSM_ERR_PVALIDATE_FAIL_INPUT");
  EXPECT_EQ(ResultCodeName(SVSM_ERR_ATTEST_SNP_REQUEST_FAILED), "SVSM_ERR_ATTEST_SNP_REQUEST_FAILED");
  EXPECT_EQ(ResultCodeName(0x12345678), "");
}

}  // namespace
}  // namespace svsm_ref
