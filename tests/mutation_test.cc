// Mutation testing of the conformance suite: for every fault the reference SVSM can inject
// (firmware_ref/include/svsm_ref/faults.h), run every vector of vectors/conformance against
// a reference target with that fault enabled; at least one vector (or one QUERY_PROTOCOL
// claim check) that passes without the fault must fail with it. Without any fault, every
// vector passes.
//
// Each fault's line says what killed it ("fault X killed by: id1, id2"); the Summary test
// prints the whole table, survivors first named with the mistake they model.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <memory>
#include <ostream>
#include <set>
#include <string>
#include <vector>

#include "ref_target.h"
#include "svsm_conform/runner.h"
#include "svsm_conform/vectors.h"
#include "svsm_ref/faults.h"
#include "svsm_ref/platform_config.h"
#include "svsm_spec/loader.h"

namespace svsm_ref {
// Test names and failure messages show the fault's name, not its bytes.
void PrintTo(const FaultInfo& fault, std::ostream* os) { *os << fault.name; }
}  // namespace svsm_ref

namespace {

using svsm_conform::RunReport;
using svsm_conform::TestStatus;
using svsm_ref::FaultInfo;
using svsm_ref::kFaults;

// Everything the runs share: the spec, the vectors, one signing key (so every target signs
// alike and no run pays for key generation) and the fault-free baseline.
struct Suite {
  std::shared_ptr<const svsm_spec::Spec> spec;
  std::vector<svsm_conform::VectorFile> files;
  std::vector<std::string> load_errors;
  std::string signing_key_pem;
  std::string setup_error;
  std::unique_ptr<RunReport> baseline;
  std::set<std::string> baseline_passing;  // test ids that pass without a fault
};

std::unique_ptr<RunReport> RunWithFaults(const Suite& suite, const std::vector<std::string>& faults,
                                         std::string* error) {
  svsm_ref::PlatformConfig config = svsm_ref::DefaultPlatformConfig();
  config.attestation.signing_key_pem = suite.signing_key_pem;
  config.faults = faults;
  auto target = svsm_cli::ReferenceTarget::Create(config, error);
  if (!target) return nullptr;
  svsm_conform::RunOptions options;
  options.spec = suite.spec.get();
  return std::make_unique<RunReport>(svsm_conform::RunVectors(*target, suite.files, options));
}

const Suite& GetSuite() {
  static const Suite* suite = [] {
    auto* s = new Suite;
    svsm_spec::LoadResult loaded = svsm_spec::LoadSpecFiles({SVSM_SPEC_DIR});
    if (!loaded.spec) {
      s->setup_error = "the spec at " SVSM_SPEC_DIR " does not load";
      return s;
    }
    s->spec = loaded.spec;
    s->files = svsm_conform::LoadVectorFiles({SVSM_SPEC_SOURCE_DIR "/vectors/conformance"}, &s->load_errors);
    s->signing_key_pem = svsm_cli::GenerateSigningKeyPem(&s->setup_error);
    if (s->signing_key_pem.empty()) return s;
    s->baseline = RunWithFaults(*s, {}, &s->setup_error);
    if (s->baseline) {
      for (const auto& r : s->baseline->results) {
        if (r.status == TestStatus::kPass) s->baseline_passing.insert(r.id);
      }
    }
    return s;
  }();
  return *suite;
}

// What a fault broke: vectors that pass without it and fail (or error) with it, and claim
// checks that pass without it and fail with it ("claim:<protocol>/<version>").
struct Kill {
  std::vector<std::string> killers;
  std::string error;  // the faulty target could not be run at all
  std::map<std::string, std::string> reasons;  // killer -> why it failed
};

const Kill& KillOf(const FaultInfo& fault) {
  static std::map<std::string, Kill> cache;
  auto it = cache.find(std::string(fault.name));
  if (it != cache.end()) return it->second;
  Kill& kill = cache[std::string(fault.name)];
  const Suite& suite = GetSuite();
  std::unique_ptr<RunReport> report = RunWithFaults(suite, {std::string(fault.name)}, &kill.error);
  if (!report) return kill;
  for (const auto& r : report->results) {
    if ((r.status == TestStatus::kFail || r.status == TestStatus::kError) && suite.baseline_passing.count(r.id)) {
      kill.killers.push_back(r.id);
      kill.reasons[r.id] = r.reason;
    }
  }
  std::set<std::pair<uint32_t, uint32_t>> baseline_ok;
  for (const auto& c : suite.baseline->claim_checks) {
    if (c.ok) baseline_ok.insert({c.protocol, c.version});
  }
  for (const auto& c : report->claim_checks) {
    if (!c.ok && baseline_ok.count({c.protocol, c.version})) {
      const std::string id = "claim:" + std::to_string(c.protocol) + "/" + std::to_string(c.version);
      kill.killers.push_back(id);
      kill.reasons[id] = c.note;
    }
  }
  return kill;
}

std::string Join(const std::vector<std::string>& ids) {
  std::string out;
  for (const std::string& id : ids) out += (out.empty() ? "" : ", ") + id;
  return out;
}

void ExpectSuiteLoaded(const Suite& suite) {
  ASSERT_TRUE(suite.setup_error.empty()) << suite.setup_error;
  ASSERT_TRUE(suite.load_errors.empty()) << "vector files do not load:\n" << Join(suite.load_errors);
  ASSERT_NE(suite.baseline, nullptr);
  ASSERT_FALSE(suite.files.empty()) << "no vectors under " SVSM_SPEC_SOURCE_DIR "/vectors/conformance";
}

TEST(MutationTest, WithoutAFaultEveryVectorPasses) {
  const Suite& suite = GetSuite();
  ExpectSuiteLoaded(suite);
  const RunReport& report = *suite.baseline;
  for (const auto& r : report.results) {
    EXPECT_TRUE(r.status == TestStatus::kPass || r.status == TestStatus::kSkip)
        << r.id << " (" << r.file << "): " << svsm_conform::TestStatusName(r.status) << ": " << r.reason;
  }
  for (const auto& c : report.claim_checks) {
    EXPECT_TRUE(c.ok) << "claim check " << c.protocol << "/" << c.version << ": " << c.note;
  }
  EXPECT_GT(suite.baseline_passing.size(), 0u);
}

TEST(MutationTest, FaultTableNamesAreUniqueAndKnownToThePlatformReader) {
  std::set<std::string_view> names;
  for (const FaultInfo& f : kFaults) {
    EXPECT_TRUE(names.insert(f.name).second) << f.name;
    EXPECT_EQ(svsm_ref::FaultByName(f.name), f.id) << f.name;
    svsm_ref::PlatformConfig config = svsm_ref::DefaultPlatformConfig();
    config.faults = {std::string(f.name)};
    EXPECT_TRUE(svsm_ref::CheckPlatformConfig(config).empty()) << f.name;
  }
  EXPECT_GE(kFaults.size(), 30u);
}

class FaultTest : public ::testing::TestWithParam<FaultInfo> {};

TEST_P(FaultTest, IsKilledByAtLeastOneVector) {
  const Suite& suite = GetSuite();
  ExpectSuiteLoaded(suite);
  const FaultInfo& fault = GetParam();
  const Kill& kill = KillOf(fault);
  ASSERT_TRUE(kill.error.empty()) << "the target with fault " << fault.name << " does not start: " << kill.error;
  if (kill.killers.empty()) {
    ADD_FAILURE() << "fault " << fault.name << " SURVIVED every vector: " << fault.description;
  } else {
    std::printf("fault %s killed by: %s\n", std::string(fault.name).c_str(), Join(kill.killers).c_str());
    std::printf("  first: %s: %s\n", kill.killers.front().c_str(), kill.reasons.at(kill.killers.front()).c_str());
  }
}

INSTANTIATE_TEST_SUITE_P(Faults, FaultTest, ::testing::ValuesIn(kFaults),
                         [](const ::testing::TestParamInfo<FaultInfo>& info) {
                           std::string name(info.param.name);
                           for (char& c : name) {
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           }
                           return name;
                         });

// The table of every fault (runs what the parameterized tests have not run yet).
TEST(MutationTest, Summary) {
  const Suite& suite = GetSuite();
  ExpectSuiteLoaded(suite);
  size_t killed = 0;
  std::vector<std::string> survivors;
  std::printf("\n%-48s %7s  %s\n", "fault", "killers", "killed by");
  for (const FaultInfo& fault : kFaults) {
    const Kill& kill = KillOf(fault);
    std::string by = kill.error.empty() ? Join(kill.killers) : "(target error: " + kill.error + ")";
    if (by.size() > 120) by = by.substr(0, 117) + "...";
    std::printf("%-48s %7zu  %s\n", std::string(fault.name).c_str(), kill.killers.size(),
                kill.killers.empty() ? "SURVIVED" : by.c_str());
    if (kill.killers.empty()) {
      survivors.push_back(std::string(fault.name));
    } else {
      ++killed;
    }
  }
  std::printf("%zu of %zu faults killed by %zu vectors in %zu files\n", killed, kFaults.size(),
              suite.baseline->results.size(), suite.files.size());
  if (!survivors.empty()) std::printf("survivors: %s\n", Join(survivors).c_str());
  EXPECT_TRUE(survivors.empty()) << "surviving faults: " << Join(survivors);
}

}  // namespace
