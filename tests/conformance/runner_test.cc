// The runner on its own: vector loading errors, expressions, id globs, expectation files,
// and robustness against a target that breaks (the failing test errors with the reason, the
// target is restarted, the run goes on and the report is complete).
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "svsm_conform/runner.h"
#include "svsm_conform/vectors.h"
#include "svsm_spec/loader.h"

namespace svsm_conform {
namespace {

const svsm_spec::Spec& Spec() {
  static const auto loaded = svsm_spec::LoadSpecFiles({SVSM_SPEC_DIR});
  return *loaded.spec;
}

// A target answering QUERY_PROTOCOL for core 1..1 from memory it keeps, and breaking
// (kBroken, as a crashed subprocess would) on any call whose RCX is 0xDEAD until restarted.
class FakeTarget : public Target {
 public:
  TargetResult<TargetInfo> Hello() override {
    ++hellos;
    TargetInfo info;
    info.target = "fake";
    info.guest_vmpl = 2;
    info.protocols = {{0, 1, 1}};
    info.vcpus = {{0, 0, 0x1000, 0x2000}};
    info.test_memory = {{0x200000, 0x200000, true}};
    info.capabilities = {"reset"};
    if (can_inject) {
      info.capabilities.push_back("inject-pvalidate-result");
      info.capabilities.push_back("inject-racing-write");
      info.capabilities.push_back("call-pending-value");
    }
    return TargetOk(info);
  }
  TargetResult<Empty> Reset() override {
    ++resets;
    return TargetOk(Empty{});
  }
  TargetResult<std::vector<uint8_t>> Read(uint64_t gpa, uint32_t size) override {
    std::vector<uint8_t> out(size);
    for (uint32_t i = 0; i < size; ++i) out[i] = memory[gpa + i];
    return TargetOk(out);
  }
  TargetResult<Empty> Write(uint64_t gpa, std::span<const uint8_t> bytes) override {
    for (size_t i = 0; i < bytes.size(); ++i) memory[gpa + i] = bytes[i];
    return TargetOk(Empty{});
  }
  TargetResult<CallReply> Call(uint32_t, const RegisterSet& regs) override {
    if (broken || regs.rcx == 0xDEAD) {
      broken = true;
      return TargetFail<CallReply>(TargetError::kBroken, "the target closed the stream");
    }
    CallReply reply;
    reply.regs = regs;
    reply.regs.rax = 0;
    if (regs.rax == 6) reply.regs.rcx = regs.rcx == 1 ? 0x100000001u : 0;
    return TargetOk(reply);
  }
  TargetResult<PageStateReply> PageState(uint64_t) override {
    return TargetFail<PageStateReply>(TargetError::kUnsupported, "no");
  }
  TargetResult<Empty> SetRunning(uint32_t, bool) override {
    return TargetFail<Empty>(TargetError::kUnsupported, "no");
  }
  TargetResult<CallReply> CallWithPending(uint32_t vcpu, uint8_t call_pending,
                                          const RegisterSet& regs) override {
    if (!can_inject) return Target::CallWithPending(vcpu, call_pending, regs);
    call_pendings.push_back(call_pending);
    return Call(vcpu, regs);
  }
  TargetResult<Empty> Inject(const Injection& injection) override {
    if (!can_inject) return Target::Inject(injection);
    injections.push_back(injection);
    return TargetOk(Empty{});
  }
  bool Restart(std::string*) override {
    ++restarts;
    broken = false;
    return true;
  }
  std::string RecentLog() const override { return "fake log line"; }

  std::map<uint64_t, uint8_t> memory;
  bool can_inject = false;
  std::vector<Injection> injections;
  std::vector<uint8_t> call_pendings;
  bool broken = false;
  int hellos = 0, resets = 0, restarts = 0;
};

VectorFile Parse(const std::string& text) {
  std::vector<std::string> errors;
  auto f = ParseVectorFile(text, "test.json", &errors);
  EXPECT_TRUE(f.has_value()) << (errors.empty() ? "" : errors.front());
  return f.value_or(VectorFile{});
}

constexpr const char* kThreeTests = R"({
  "format": 1, "spec_revision": "0.1.0", "protocol": "core", "call": "SVSM_CORE_QUERY_PROTOCOL",
  "flags": {}, "tests": [
    {"id": "a.first", "comment": "passes", "rules": ["core.query-protocol.core-available"],
     "steps": [{"call": {"rax": "0x6", "rcx": "0x1"}, "expect": {"result": "SVSM_SUCCESS", "regs": {"rcx": "0x100000001"}}}]},
    {"id": "b.crash", "comment": "the target breaks", "rules": ["core.query-protocol.available"],
     "steps": [{"call": {"rax": "0x6", "rcx": "0xDEAD"}, "expect": {"result": "SVSM_SUCCESS"}}]},
    {"id": "c.after", "comment": "runs after the restart", "rules": ["core.query-protocol.unavailable"],
     "steps": [{"write": "$test+8", "le": [["u64", "$test|5"]]},
               {"read": "$test+8", "le": [["u64", "0x200005"]]},
               {"call": {"rax": "0x6", "rcx": "0x2"}, "expect": {"result": "SVSM_SUCCESS", "regs": {"rcx": "0"}}}]},
    {"id": "d.skip", "comment": "needs a capability", "rules": ["core.query-protocol.unavailable"],
     "requires": {"capabilities": ["page-state"]},
     "steps": [{"page_state": "$test", "expect": {"validated": true}}]}
  ]})";

TEST(Runner, BrokenTargetErrorsOneTestRestartsAndContinues) {
  FakeTarget target;
  const std::vector<VectorFile> files = {Parse(kThreeTests)};
  RunOptions options;
  options.spec = &Spec();
  const RunReport report = RunVectors(target, files, options);
  ASSERT_EQ(report.results.size(), 4u);
  EXPECT_EQ(report.results[0].status, TestStatus::kPass) << report.results[0].reason;
  EXPECT_EQ(report.results[1].status, TestStatus::kError);
  EXPECT_NE(report.results[1].reason.find("the target closed the stream"), std::string::npos);
  EXPECT_EQ(report.results[1].target_log, "fake log line");
  EXPECT_EQ(report.results[2].status, TestStatus::kPass) << report.results[2].reason;
  EXPECT_EQ(report.results[3].status, TestStatus::kSkip);
  EXPECT_NE(report.results[3].reason.find("page-state"), std::string::npos);
  EXPECT_EQ(target.restarts, 1);
  EXPECT_GE(target.resets, 4);  // one per test, after the claim checks' reset
  EXPECT_FALSE(report.Passed());
  // Coverage is over the whole spec: every rule is a key, named ones list their tests.
  EXPECT_EQ(report.coverage.size(), Spec().AllRules().size());
  EXPECT_EQ(report.coverage.at("core.query-protocol.core-available"), std::vector<std::string>{"a.first"});
}

constexpr const char* kInjecting = R"({
  "format": 1, "spec_revision": "0.1.0", "protocol": "core", "call": "SVSM_CORE_QUERY_PROTOCOL",
  "flags": {}, "tests": [
    {"id": "i.eax", "comment": "injects a PVALIDATE result", "rules": ["core.pvalidate.unexpected-eax"],
     "steps": [{"inject": "pvalidate-result", "skip": 2, "eax": "0x10"},
               {"call": {"rax": "0x6", "rcx": "0x1"}, "expect": {"result": "SVSM_SUCCESS"}}]},
    {"id": "i.race", "comment": "injects a racing write", "rules": ["core.create-vcpu.revoke-before-check"],
     "steps": [{"inject": "racing-write", "at": "$test+0xca", "hex": "00ff"},
               {"call": {"rax": "0x6", "rcx": "0x1"}, "expect": {"result": "SVSM_SUCCESS"}}]},
    {"id": "i.pending", "comment": "stores CALL_PENDING 2", "rules": ["general.call-pending-reserved-value"],
     "steps": [{"call": {"rax": "0x6", "rcx": "0x1"}, "call_pending": 2, "expect": {"result": "SVSM_SUCCESS"}}]}
  ]})";

TEST(Runner, InjectStepsNeedTheirCapabilityAndReachTheTarget) {
  FakeTarget target;
  const std::vector<VectorFile> files = {Parse(kInjecting)};
  ASSERT_EQ(files[0].tests.size(), 3u);
  EXPECT_EQ(files[0].tests[2].required_capabilities, std::vector<std::string>{"call-pending-value"});
  EXPECT_EQ(files[0].tests[0].required_capabilities, std::vector<std::string>{"inject-pvalidate-result"});
  EXPECT_EQ(files[0].tests[1].required_capabilities, std::vector<std::string>{"inject-racing-write"});
  RunOptions options;
  options.spec = &Spec();
  RunReport report = RunVectors(target, files, options);
  ASSERT_EQ(report.results.size(), 3u);
  for (const auto& r : report.results) {
    EXPECT_EQ(r.status, TestStatus::kSkip);
    EXPECT_TRUE(r.reason.find("inject-") != std::string::npos ||
                r.reason.find("call-pending-value") != std::string::npos)
        << r.reason;
  }
  EXPECT_TRUE(target.injections.empty());

  target.can_inject = true;
  report = RunVectors(target, files, options);
  ASSERT_EQ(report.results.size(), 3u);
  for (const auto& r : report.results) EXPECT_EQ(r.status, TestStatus::kPass) << r.id << ": " << r.reason;
  EXPECT_EQ(target.call_pendings, std::vector<uint8_t>{2});
  ASSERT_EQ(target.injections.size(), 2u);
  EXPECT_EQ(target.injections[0].kind, Injection::Kind::kPvalidateResult);
  EXPECT_EQ(target.injections[0].skip, 2u);
  EXPECT_EQ(target.injections[0].eax, 0x10u);
  EXPECT_EQ(target.injections[1].kind, Injection::Kind::kRacingWrite);
  EXPECT_EQ(target.injections[1].gpa, 0x2000cau);  // $test resolved from HELLO
  EXPECT_EQ(target.injections[1].bytes, (std::vector<uint8_t>{0x00, 0xff}));
}

TEST(Runner, FiltersAndExpectations) {
  FakeTarget target;
  const std::vector<VectorFile> files = {Parse(kThreeTests)};
  Expectations expectations;
  expectations.known_failures["b.crash"] = "crashes on purpose";
  expectations.known_failures["a.first"] = "wrongly listed";
  expectations.flaky["gone.test"] = "no longer exists";
  RunOptions options;
  options.spec = &Spec();
  options.expectations = &expectations;
  options.id_glob = "[ab]*";  // no such ids: glob has no classes, so nothing matches...
  EXPECT_TRUE(RunVectors(target, files, options).results.empty());
  options.id_glob = "?.*";
  const RunReport report = RunVectors(target, files, options);
  ASSERT_EQ(report.results.size(), 4u);
  EXPECT_EQ(report.results[1].status, TestStatus::kExpectedFail);
  // A listed test that passes, and a listed id no vector has, fail the run.
  ASSERT_EQ(report.expectation_problems.size(), 2u);
  EXPECT_FALSE(report.Passed());
}

TEST(Runner, GlobMatch) {
  EXPECT_TRUE(GlobMatch("core.*", "core.pvalidate.alignment"));
  EXPECT_TRUE(GlobMatch("*.alignment", "core.pvalidate.alignment"));
  EXPECT_TRUE(GlobMatch("core.pvalidate.?lignment", "core.pvalidate.alignment"));
  EXPECT_FALSE(GlobMatch("core.remap*", "core.pvalidate.alignment"));
  EXPECT_TRUE(GlobMatch("*", ""));
  EXPECT_FALSE(GlobMatch("", "x"));
}

TEST(Expressions, EvaluateWrapAndRefuse) {
  const Symbols symbols = {{"test", 0x200000}, {"svsm", 0x40000000}};
  std::string error;
  EXPECT_EQ(EvalExpr("$test+0x8", symbols, &error), 0x200008u);
  EXPECT_EQ(EvalExpr("$test | 5", symbols, &error), 0x200005u);
  EXPECT_EQ(EvalExpr("$svsm - 0x1000", symbols, &error), 0x3FFFF000u);
  EXPECT_EQ(EvalExpr("0xFFFFFFFFFFFFF000 + 0x2000", symbols, &error), 0x1000u);  // wraps on purpose
  EXPECT_EQ(EvalExpr("18446744073709551615", symbols, &error), ~uint64_t{0});
  EXPECT_FALSE(EvalExpr("18446744073709551616", symbols, &error));
  EXPECT_FALSE(EvalExpr("$nope", symbols, &error));
  EXPECT_NE(error.find("$nope"), std::string::npos);
  for (const char* bad : {"", "+1", "1+", "0x", "0x11111111111111111", "$", "1 2", "$test*2"}) {
    EXPECT_FALSE(EvalExpr(bad, symbols, &error)) << bad;
  }
}

TEST(VectorLoader, RejectsWithLocatedMessages) {
  struct Case {
    const char* text;
    const char* message;
  };
  const Case cases[] = {
      {"not json", "test.json: not valid JSON"},
      {R"({"format": 2, "spec_revision": "x", "protocol": "core", "tests": []})", "test.json: format: expected 1"},
      {R"({"format": 1, "spec_revision": "x", "protocol": "core", "tests": [], "extra": 1})",
       "test.json: unknown member \"extra\""},
      {R"({"format": 1, "spec_revision": "x", "protocol": "core", "tests": [{"id": "a", "comment": "c", "rules": ["r.x"], "steps": [{"call": {"rax": "$bogus"}, "expect": {"result": "SVSM_SUCCESS"}}]}]})",
       "test.json: tests[0].steps[0].call.rax: unknown symbol $bogus"},
      {R"({"format": 1, "spec_revision": "x", "protocol": "core", "tests": [{"id": "a", "comment": "c", "rules": ["r.x"], "flags": ["f"], "steps": [{"read": "0x0", "size": 8}]}]})",
       "test.json: tests[0].flags: flag \"f\" is not explained in the file's flags"},
      {R"({"format": 1, "spec_revision": "x", "protocol": "core", "retired": ["a"], "tests": [{"id": "a", "comment": "c", "rules": ["r.x"], "steps": [{"read": "0x0", "size": 8}]}]})",
       "test.json: tests[0].id: \"a\" is retired and may not be reused"},
      {R"({"format": 1, "spec_revision": "x", "protocol": "core", "tests": [{"id": "a", "comment": "c", "rules": ["r.x"], "steps": [{"read": "0x0", "size": 8}]}, {"id": "a", "comment": "c", "rules": ["r.x"], "steps": [{"read": "0x0", "size": 8}]}]})",
       "test.json: tests[1].id: duplicate id \"a\""},
      {R"({"format": 1, "spec_revision": "x", "protocol": "core", "tests": [{"id": "a", "comment": "c", "rules": ["r.x"], "steps": [{"call": {"rax": "0x6"}, "expect": {"result_in": ["SVSM_SUCCESS"]}}]}]})",
       "test.json: tests[0].steps[0].expect.result_in: expected at least two result codes"},
      {R"({"format": 1, "spec_revision": "x", "protocol": "core", "tests": [{"id": "a", "comment": "c", "rules": ["r.x"], "steps": [{"inject": "cosmic-ray"}]}]})",
       "test.json: tests[0].steps[0].inject: expected \"pvalidate-result\" or \"racing-write\""},
      {R"({"format": 1, "spec_revision": "x", "protocol": "core", "tests": [{"id": "a", "comment": "c", "rules": ["r.x"], "steps": [{"inject": "pvalidate-result", "eax": "0x100000000"}]}]})",
       "test.json: tests[0].steps[0].eax: expected a 32-bit value (\"0x...\" or an integer)"},
      {R"({"format": 1, "spec_revision": "x", "protocol": "core", "tests": [{"id": "a", "comment": "c", "rules": ["r.x"], "steps": [{"inject": "racing-write", "at": "$test", "hex": ""}]}]})",
       "test.json: tests[0].steps[0].hex: expected 1 to 4096 bytes as an even-length hex string"},
      {R"({"format": 1, "spec_revision": "x", "protocol": "core", "tests": [{"id": "a", "comment": "c", "rules": ["r.x"], "steps": [{"inject": "racing-write", "at": "$test", "hex": "00", "eax": 1}]}]})",
       "test.json: tests[0].steps[0]: unknown member \"eax\""},
  };
  for (const Case& c : cases) {
    std::vector<std::string> errors;
    EXPECT_FALSE(ParseVectorFile(c.text, "test.json", &errors).has_value()) << c.text;
    ASSERT_FALSE(errors.empty()) << c.text;
    EXPECT_EQ(errors.front(), c.message) << c.text;
  }
}

TEST(VectorLoader, GarbageNeverCrashes) {
  std::string text = kThreeTests;
  uint32_t seed = 12345;
  for (int i = 0; i < 2000; ++i) {
    std::string mutated = text;
    for (int k = 0; k < 4; ++k) {
      seed = seed * 1103515245 + 12345;
      mutated[(seed >> 8) % mutated.size()] = static_cast<char>(seed >> 16);
    }
    std::vector<std::string> errors;
    auto f = ParseVectorFile(mutated, "m.json", &errors);
    EXPECT_EQ(f.has_value(), errors.empty());
  }
}

}  // namespace
}  // namespace svsm_conform
