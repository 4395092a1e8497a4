#include "rule_results.h"

#include <array>

#include "svsm_spec.h"  // generated C header: result codes

namespace svsm_ref {
namespace {

struct RuleResult {
  const char* id;
  uint32_t code;
};

// Kept in step with spec/protocols/{core,attestation}.yaml by the svsm_ref tests, which
// compare every entry with the spec's `result` (or `allowed_results`) for the rule.
constexpr std::array kDecodeRules = {
    RuleResult{"general.faulting-address", SVSM_ERR_INVALID_ADDRESS},
    RuleResult{"core.remap-ca.alignment", SVSM_ERR_INVALID_PARAMETER},
    RuleResult{"core.pvalidate.alignment", SVSM_ERR_INVALID_PARAMETER},
    RuleResult{"core.pvalidate.entries-zero", SVSM_ERR_INVALID_PARAMETER},
    RuleResult{"core.pvalidate.list-crosses-page", SVSM_ERR_INVALID_PARAMETER},
    RuleResult{"core.pvalidate.entry-reserved-bits", SVSM_ERR_INVALID_PARAMETER},
    RuleResult{"core.pvalidate.entry-page-size", SVSM_ERR_INVALID_PARAMETER},
    RuleResult{"core.pvalidate.entry-not-guest-memory", SVSM_ERR_INVALID_ADDRESS},
    RuleResult{"core.create-vcpu.alignment", SVSM_ERR_INVALID_PARAMETER},
    RuleResult{"core.create-vcpu.not-guest-memory", SVSM_ERR_INVALID_ADDRESS},
    RuleResult{"core.delete-vcpu.alignment", SVSM_ERR_INVALID_PARAMETER},
    RuleResult{"core.deposit-mem.alignment", SVSM_ERR_INVALID_PARAMETER},
    RuleResult{"core.deposit-mem.entries-zero", SVSM_ERR_INVALID_PARAMETER},
    RuleResult{"core.deposit-mem.list-crosses-page", SVSM_ERR_INVALID_PARAMETER},
    // A freedom (INVALID_PARAMETER or INVALID_REQUEST); the model's choice.
    RuleResult{"core.deposit-mem.entry-page-size", SVSM_ERR_INVALID_PARAMETER},
    RuleResult{"core.withdraw-mem.alignment", SVSM_ERR_INVALID_PARAMETER},
    RuleResult{"core.configure-vtom.query-reserved-bits", SVSM_ERR_INVALID_PARAMETER},
    RuleResult{"core.configure-vtom.configure-reserved-bits", SVSM_ERR_INVALID_PARAMETER},
    RuleResult{"attest.services.op-misaligned", SVSM_ERR_INVALID_PARAMETER},
    RuleResult{"attest.services.op-crosses-page", SVSM_ERR_INVALID_PARAMETER},
    RuleResult{"attest.services.reserved-nonzero", SVSM_ERR_INVALID_PARAMETER},
    RuleResult{"attest.services.buffer-misaligned", SVSM_ERR_INVALID_PARAMETER},
    RuleResult{"attest.services.buffer-inaccessible", SVSM_ERR_INVALID_ADDRESS},
    RuleResult{"attest.single-service.op-misaligned", SVSM_ERR_INVALID_PARAMETER},
    RuleResult{"attest.single-service.op-crosses-page", SVSM_ERR_INVALID_PARAMETER},
    RuleResult{"attest.single-service.reserved-nonzero", SVSM_ERR_INVALID_PARAMETER},
    RuleResult{"attest.single-service.buffer-misaligned", SVSM_ERR_INVALID_PARAMETER},
    RuleResult{"attest.single-service.buffer-inaccessible", SVSM_ERR_INVALID_ADDRESS},
};

constexpr const char* kUnmapped = "model.unmapped-decode-rule";

}  // namespace

const char* InternRuleId(std::string_view rule_id) {
  for (const RuleResult& r : kDecodeRules) {
    if (rule_id == r.id) return r.id;
  }
  return kUnmapped;
}

uint32_t ResultOfRule(std::string_view rule_id) {
  for (const RuleResult& r : kDecodeRules) {
    if (rule_id == r.id) return r.code;
  }
  return SVSM_ERR_INVALID_PARAMETER;
}

}  // namespace svsm_ref
