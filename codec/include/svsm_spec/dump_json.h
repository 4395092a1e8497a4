// The resolved model as JSON (`svsm-spec dump --json`); shape documented in
// docs/dump-format.md. 64-bit values are hex strings; small counts are numbers.
#pragma once

#include <nlohmann/json.hpp>

#include "svsm_spec/model.h"

namespace svsm_spec {

nlohmann::ordered_json DumpJson(const Spec& spec);

}  // namespace svsm_spec
