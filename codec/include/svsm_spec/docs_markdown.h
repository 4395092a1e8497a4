// Markdown reference documentation generated from the model (docs/reference/).
#pragma once

#include <string>
#include <vector>

#include "svsm_spec/generated_file.h"
#include "svsm_spec/model.h"

namespace svsm_spec {

// Deterministic: the same spec always yields byte-identical files, in a stable order.
std::vector<GeneratedFile> GenerateMarkdownDocs(const Spec& spec);

}  // namespace svsm_spec
