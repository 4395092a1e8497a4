// Running conformance vectors against a target, and the results every report is made from.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "svsm_conform/target.h"
#include "svsm_conform/vectors.h"
#include "svsm_spec/model.h"

namespace svsm_conform {

enum class TestStatus {
  kPass,
  kFail,          // the target answered, and not as the vector expects
  kError,         // the target broke (crash, hang, garbage): restarted, run continued
  kSkip,          // a requirement is missing (protocol version, capability, symbol)
  kExpectedFail,  // failed, and listed as a known failure in the expectation file
  kFlaky,         // listed as flaky; pass or fail, it does not count
};
const char* TestStatusName(TestStatus s);

struct TestResult {
  std::string id;
  std::string file;
  std::string protocol;  // protocol key of the vector file
  std::string call;      // call name of the vector file ("" for scenarios)
  std::vector<std::string> rules;
  TestStatus status = TestStatus::kPass;
  std::string reason;    // why it failed, errored or was skipped
  double seconds = 0;
  std::string target_log;  // recent target diagnostics, for errors
};

// QUERY_PROTOCOL answers against the protocols the target claims in HELLO.
struct ClaimCheck {
  uint32_t protocol = 0;
  uint32_t version = 0;
  uint64_t expected_rcx = 0;
  uint64_t actual_rcx = 0;
  bool ok = true;
  std::string note;
};

// Expectation file (docs/vector-format.md, "Expectation files").
struct Expectations {
  std::map<std::string, std::string> known_failures;  // id -> reason
  std::map<std::string, std::string> flaky;           // id -> reason
};
std::optional<Expectations> LoadExpectations(const std::string& path, std::string* error);
std::string ExpectationsToJson(const Expectations& e);

struct RunReport {
  TargetInfo target;
  std::string spec_revision;
  std::vector<TestResult> results;
  std::vector<ClaimCheck> claim_checks;
  // Expectation-file problems that fail the run: a listed test that now passes, or that no
  // longer exists.
  std::vector<std::string> expectation_problems;
  // rule id -> ids of the vectors that test it (every rule of the spec is a key).
  std::map<std::string, std::vector<std::string>> coverage;
  std::string started_at;  // ISO 8601 UTC
  double seconds = 0;

  size_t Count(TestStatus s) const;
  // Whether the run passed: no fail or error, every claim check ok, no expectation problem.
  bool Passed() const;
};

struct RunOptions {
  const svsm_spec::Spec* spec = nullptr;  // result-code names, rules (coverage); required
  // Filters (all must match; empty = any): protocol key, call name, rule id, id glob (*, ?).
  std::string protocol, call, rule, id_glob;
  const Expectations* expectations = nullptr;
  // Called after each test (progress display).
  std::function<void(const TestResult&, size_t done, size_t total)> progress;
};

// Runs every selected test of `files` against `target` (HELLO first; RESET before each
// test when the target offers it, else tests run in sequence on one state) and fills the
// report. Never throws; a broken target is restarted and the run continues.
RunReport RunVectors(Target& target, const std::vector<VectorFile>& files, const RunOptions& options);

// The symbols of a target (docs/vector-format.md, "Symbols").
Symbols TargetSymbols(const TargetInfo& info);

// Whether `id` matches the glob (* and ?).
bool GlobMatch(std::string_view glob, std::string_view id);

}  // namespace svsm_conform
