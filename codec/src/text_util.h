// Small text helpers shared by the emitters (docs, C, Rust, C++). Internal to the codec.
#pragma once

#include <string>
#include <string_view>

namespace svsm_spec::internal {

inline bool IsAsciiSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

// One line: every run of whitespace becomes one space, no leading or trailing space.
inline std::string CollapseWhitespace(std::string_view s) {
  std::string out;
  bool pending_space = false;
  for (char c : s) {
    if (IsAsciiSpace(c)) {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out += ' ';
    pending_space = false;
    out += c;
  }
  return out;
}

}  // namespace svsm_spec::internal
