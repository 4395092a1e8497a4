// A file produced from the spec by one of the generators.
#pragma once

#include <string>

namespace svsm_spec {

// Bumped whenever any generator's output changes shape; named in every generated header.
inline constexpr const char* kGeneratorVersion = "0.1.0";

struct GeneratedFile {
  std::string path;  // relative to the output directory, '/'-separated
  std::string content;
};

}  // namespace svsm_spec
