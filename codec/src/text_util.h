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

// An identifier in one case: letters upper- or lower-cased, digits kept, anything else '_'.
inline std::string IdentifierCase(std::string_view s, bool upper) {
  std::string out;
  for (char c : s) {
    if (c >= 'a' && c <= 'z') {
      out += upper ? static_cast<char>(c - 'a' + 'A') : c;
    } else if (c >= 'A' && c <= 'Z') {
      out += upper ? c : static_cast<char>(c - 'A' + 'a');
    } else if (c >= '0' && c <= '9') {
      out += c;
    } else {
      out += '_';
    }
  }
  return out;
}

}  // namespace svsm_spec::internal
