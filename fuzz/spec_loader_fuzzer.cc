// Feeds arbitrary bytes to the spec loader as one file, and as a second file after the
// shipped-style base, so both parsing and cross-file linting see garbage.
#include <cstddef>
#include <cstdint>
#include <string>

#include "svsm_spec/loader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  svsm_spec::LoadResult alone = svsm_spec::LoadSpecTexts({{"fuzz.yaml", text}});
  // A returned model always comes with no errors, and a refusal always says why.
  if (alone.spec == nullptr && !alone.diagnostics.has_errors()) __builtin_trap();
  if (alone.spec != nullptr && alone.diagnostics.has_errors()) __builtin_trap();
  return 0;
}
