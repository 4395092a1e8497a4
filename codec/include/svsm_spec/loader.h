// Loading and linting spec/*.yaml into the immutable model.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "svsm_spec/diagnostics.h"
#include "svsm_spec/model.h"

namespace svsm_spec {

struct LoadResult {
  // Null when any error was reported; the model is only handed out when it is sound.
  std::shared_ptr<const Spec> spec;
  Diagnostics diagnostics;
};

// One input file: the name used in diagnostics and its text.
struct SpecText {
  std::string name;
  std::string text;
};

// Parses, merges and lints the given texts in order. Never throws; every problem is
// a diagnostic. Warnings do not prevent the model from being returned.
LoadResult LoadSpecTexts(const std::vector<SpecText>& texts);

// Reads files (a directory means every *.yaml below it, sorted by path), then
// LoadSpecTexts. Paths in diagnostics are as given (directory-relative for entries).
LoadResult LoadSpecFiles(const std::vector<std::filesystem::path>& paths);

// The lint pass on its own: checks references, numbers, layouts. Run by the loaders;
// exposed for tests. Fills the linter-resolved fields of `spec` (field sizes).
void LintSpec(Spec& spec, Diagnostics& diagnostics);

}  // namespace svsm_spec
