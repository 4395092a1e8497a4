// Shared by the codec fuzz targets: picking one of the generated types from the input, and
// the failure hook.
//
// An input starts with the name of what it targets and a newline ("pvalidate_list\n...",
// "SVSM_CORE_PVALIDATE\n..."), so that seeds stay readable and keep their meaning when the
// spec adds types; when the first line names nothing, the first byte picks the type by
// index and the rest is the body.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>
#include <vector>

namespace svsm_spec::fuzz {

// A violated invariant: crash so that libFuzzer keeps the input.
[[noreturn]] inline void Fail() {
  __builtin_trap();
}

inline void Check(bool ok) {
  if (!ok) Fail();
}

struct Selection {
  size_t index = 0;
  std::span<const uint8_t> body;
};

// `names` lists the selectable names in index order; names.empty() selects nothing.
inline bool Select(const uint8_t* data, size_t size, const std::vector<std::string_view>& names,
                   Selection* out) {
  if (names.empty() || size == 0) return false;
  const size_t limit = size < 96 ? size : 96;
  if (const void* nl = std::memchr(data, '\n', limit)) {
    const size_t len = static_cast<size_t>(static_cast<const uint8_t*>(nl) - data);
    const std::string_view first(reinterpret_cast<const char*>(data), len);
    for (size_t i = 0; i < names.size(); ++i) {
      if (names[i] == first) {
        out->index = i;
        out->body = std::span<const uint8_t>(data + len + 1, size - len - 1);
        return true;
      }
    }
  }
  out->index = data[0] % names.size();
  out->body = std::span<const uint8_t>(data + 1, size - 1);
  return true;
}

}  // namespace svsm_spec::fuzz
