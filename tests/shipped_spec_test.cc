// The shipped spec/ loads cleanly, with exactly the warnings we expect, and its model
// holds together (every rule cited, every call reachable by its RAX value).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "svsm_spec/dump_json.h"
#include "svsm_spec/loader.h"

namespace svsm_spec {
namespace {

using ::testing::HasSubstr;

const LoadResult& Shipped() {
  static const LoadResult result = LoadSpecFiles({SVSM_SPEC_DIR});
  return result;
}

std::string AllDiagnostics(const Diagnostics& d) {
  std::string out;
  for (const auto& x : d.Sorted()) out += x.Format() + "\n";
  return out;
}

TEST(ShippedSpec, LoadsWithoutErrors) {
  EXPECT_FALSE(Shipped().diagnostics.has_errors()) << AllDiagnostics(Shipped().diagnostics);
  ASSERT_NE(Shipped().spec, nullptr);
}

TEST(ShippedSpec, OnlyWarningIsTheProtocolFiveClash) {
  const auto& diags = Shipped().diagnostics;
  ASSERT_EQ(diags.warning_count(), 1u) << AllDiagnostics(diags);
  const Diagnostic& w = diags.all().front();
  EXPECT_EQ(w.severity, Severity::kWarning);
  EXPECT_THAT(w.message, HasSubstr("uses number 5, already claimed by protocol"));
  EXPECT_THAT(w.loc.file, HasSubstr("spec/protocols/"));
  EXPECT_GT(w.loc.line, 0);
}

TEST(ShippedSpec, CoversEveryProtocolTheIssueNames) {
  ASSERT_NE(Shipped().spec, nullptr);
  std::set<std::string> keys;
  for (const auto& p : Shipped().spec->protocols) keys.insert(p.key);
  EXPECT_EQ(keys,
            (std::set<std::string>{"core", "attest", "vtpm", "apic", "uefimm", "reboot", "ocp"}));
}

TEST(ShippedSpec, EveryRuleHasSourceAndKnownCodes) {
  ASSERT_NE(Shipped().spec, nullptr);
  const Spec& spec = *Shipped().spec;
  std::size_t rules = 0;
  for (const Rule* r : spec.AllRules()) {
    ++rules;
    EXPECT_FALSE(r->source.doc.empty()) << r->id;
    EXPECT_NE(spec.FindSource(r->source.doc), nullptr) << r->id;
    if (r->kind != RuleKind::kFreedom) {
      EXPECT_TRUE(!r->result.empty() || !r->allowed_results.empty()) << r->id;
    }
  }
  EXPECT_GE(rules, 100u) << "the spec should state every rule of every call";
}

TEST(ShippedSpec, EveryCallHasRulesAndEveryErrorCallHasACheckOrderStatement) {
  ASSERT_NE(Shipped().spec, nullptr);
  for (const auto& p : Shipped().spec->protocols) {
    for (const auto& c : p.calls) {
      EXPECT_FALSE(c.rules.empty()) << c.name;
      const bool has_error_rule = std::any_of(
          c.rules.begin(), c.rules.end(), [](const Rule& r) { return r.kind == RuleKind::kError; });
      if (has_error_rule) {
        EXPECT_TRUE(c.check_order.has_value()) << c.name;
      }
    }
  }
}

TEST(ShippedSpec, DumpRoundTripsThroughJsonText) {
  ASSERT_NE(Shipped().spec, nullptr);
  const auto dump = DumpJson(*Shipped().spec);
  const auto reparsed = nlohmann::ordered_json::parse(dump.dump());
  EXPECT_EQ(dump, reparsed);
  EXPECT_EQ(dump["spec_format"], 1);
  EXPECT_EQ(dump["protocols"].size(), Shipped().spec->protocols.size());
}

TEST(ShippedSpec, DivergencesNameKnownImplementations) {
  ASSERT_NE(Shipped().spec, nullptr);
  const Spec& spec = *Shipped().spec;
  std::size_t divergences = 0;
  for (const Rule* r : spec.AllRules()) {
    for (const auto& d : r->divergences) {
      ++divergences;
      EXPECT_NE(spec.FindImplementation(d.implementation), nullptr) << r->id;
    }
  }
  // Facts §5 lists 20 known divergences; most concern an SVSM's behaviour on some rule.
  EXPECT_GE(divergences, 15u);
}

// Decoders report the rule a failed check violates (`enforces`): a published call that takes
// a guest physical address must have at least one rule of its own that enforces something,
// and every enforcement names a known constraint on a non-empty target.
TEST(ShippedSpec, PublishedCallsWithGpaInputsEnforceConstraints) {
  ASSERT_NE(Shipped().spec, nullptr);
  std::size_t gpa_calls = 0;
  for (const auto& p : Shipped().spec->protocols) {
    for (const auto& c : p.calls) {
      if (c.status != Status::kPublished) continue;
      bool takes_gpa = false;
      auto scan = [&](const Registers& regs) {
        for (const auto& u : regs.in) takes_gpa = takes_gpa || u.type == FieldType::kGpa;
      };
      if (c.registers) scan(*c.registers);
      for (const auto& f : c.forms) scan(f.registers);
      if (!takes_gpa) continue;
      ++gpa_calls;
      std::size_t enforced = 0;
      for (const auto& r : c.rules) {
        for (const auto& e : r.enforces) {
          ++enforced;
          EXPECT_FALSE(e.target.empty()) << r.id;
          EXPECT_STRNE(ConstraintName(e.constraint), "?") << r.id;
        }
      }
      EXPECT_GE(enforced, 1u) << c.name << " takes a gpa but none of its rules enforces anything";
    }
  }
  // REMAP_CA, PVALIDATE, CREATE_VCPU, DELETE_VCPU, DEPOSIT_MEM, WITHDRAW_MEM, ATTEST_SERVICES,
  // ATTEST_SINGLE_SERVICE, VTPM_CMD.
  EXPECT_GE(gpa_calls, 9u);
}

}  // namespace
}  // namespace svsm_spec
