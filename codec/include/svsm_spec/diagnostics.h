// Diagnostics: every problem a user can cause in an input file, with its location.
// Library code reports through these instead of throwing or aborting.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace svsm_spec {

// A position in an input file; line and column are 1-based (0 = unknown).
struct SourceLoc {
  std::string file;
  int line = 0;
  int column = 0;
};

enum class Severity { kWarning, kError };

struct Diagnostic {
  Severity severity = Severity::kError;
  SourceLoc loc;
  std::string message;

  // "file:line:col: error: message"
  std::string Format() const;
};

class Diagnostics {
 public:
  void Error(const SourceLoc& loc, std::string message);
  void Warning(const SourceLoc& loc, std::string message);

  const std::vector<Diagnostic>& all() const { return items_; }
  std::size_t error_count() const;
  std::size_t warning_count() const;
  bool has_errors() const { return error_count() != 0; }

  // Sorted by file, line, column; stable for equal positions.
  std::vector<Diagnostic> Sorted() const;

 private:
  std::vector<Diagnostic> items_;
};

}  // namespace svsm_spec
