// Feeds arbitrary bytes to the platform-file reader. A refusal must say why; an accepted
// platform must pass the semantic checks and survive the JSON round trip unchanged
// (ParsePlatformConfig(PlatformConfigToJson(c)) == c).
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "svsm_ref/platform_config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  svsm_spec::Diagnostics diags;
  const std::optional<svsm_ref::PlatformConfig> config =
      svsm_ref::ParsePlatformConfig(text, "fuzz.yaml", diags);
  if (!config) {
    if (!diags.has_errors()) __builtin_trap();
    return 0;
  }
  if (diags.has_errors()) __builtin_trap();
  if (!svsm_ref::CheckPlatformConfig(*config).empty()) __builtin_trap();

  const std::string json = svsm_ref::PlatformConfigToJson(*config);
  svsm_spec::Diagnostics again_diags;
  const std::optional<svsm_ref::PlatformConfig> again =
      svsm_ref::ParsePlatformConfig(json, "fuzz.json", again_diags);
  if (!again || *again != *config) __builtin_trap();
  return 0;
}
