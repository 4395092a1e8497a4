#include "svsm_spec/diagnostics.h"

#include <algorithm>

namespace svsm_spec {

std::string Diagnostic::Format() const {
  std::string out = loc.file;
  out += ':' + std::to_string(loc.line) + ':' + std::to_string(loc.column) + ": ";
  out += severity == Severity::kError ? "error: " : "warning: ";
  out += message;
  return out;
}

void Diagnostics::Error(const SourceLoc& loc, std::string message) {
  items_.push_back({Severity::kError, loc, std::move(message)});
}

void Diagnostics::Warning(const SourceLoc& loc, std::string message) {
  items_.push_back({Severity::kWarning, loc, std::move(message)});
}

std::size_t Diagnostics::error_count() const {
  return std::count_if(items_.begin(), items_.end(),
                       [](const Diagnostic& d) { return d.severity == Severity::kError; });
}

std::size_t Diagnostics::warning_count() const {
  return items_.size() - error_count();
}

std::vector<Diagnostic> Diagnostics::Sorted() const {
  std::vector<Diagnostic> out = items_;
  std::stable_sort(out.begin(), out.end(), [](const Diagnostic& a, const Diagnostic& b) {
    if (a.loc.file != b.loc.file) return a.loc.file < b.loc.file;
    if (a.loc.line != b.loc.line) return a.loc.line < b.loc.line;
    return a.loc.column < b.loc.column;
  });
  return out;
}

}  // namespace svsm_spec
