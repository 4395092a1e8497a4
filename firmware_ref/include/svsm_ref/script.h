// Scripted mode of the reference SVSM (`svsm-spec serve --script FILE`): a JSON list of
// guest and host actions run in order, each answered with one JSON result. The format is in
// firmware_ref/README.md ("Scripts").
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "svsm_ref/svsm.h"

namespace svsm_ref {

// Runs every step of `script` ({"steps": [...]}) against `svsm` and returns one result
// object per step. A malformed step stops the run: the result list so far is returned with
// `*error` set to "steps[i]: what is wrong". Never throws.
nlohmann::json RunScript(ReferenceSvsm& svsm, const nlohmann::json& script, std::string* error);

// The name of a result code of the core and attestation protocols ("SVSM_SUCCESS", ...), or
// an empty string for a code with no name.
std::string ResultCodeName(uint64_t code);

}  // namespace svsm_ref
