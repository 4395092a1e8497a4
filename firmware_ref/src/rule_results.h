// Result codes of the rules the generated decoders can name (the rules whose `enforces`
// cover a decode constraint), so a handler can answer a refused decode with the code the
// spec gives that rule. Rule ids are returned as static strings (CallResult::rule_id).
#pragma once

#include <cstdint>
#include <string_view>

namespace svsm_ref {

// The static copy of `rule_id`, or "model.unmapped-decode-rule" when the table lacks it
// (a test asserts no call ever reports that id).
const char* InternRuleId(std::string_view rule_id);
// The result code of a rule id returned by InternRuleId (INVALID_PARAMETER when unmapped).
uint32_t ResultOfRule(std::string_view rule_id);

}  // namespace svsm_ref
