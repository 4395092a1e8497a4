#include "svsm_spec/diagnostics.h"

#include <gtest/gtest.h>

namespace svsm_spec {
namespace {

TEST(Diagnostics, FormatsFileLineColumnSeverity) {
  Diagnostic d{Severity::kError, {"spec/core.yaml", 12, 7}, "unknown key 'foo'"};
  EXPECT_EQ(d.Format(), "spec/core.yaml:12:7: error: unknown key 'foo'");
  d.severity = Severity::kWarning;
  EXPECT_EQ(d.Format(), "spec/core.yaml:12:7: warning: unknown key 'foo'");
}

TEST(Diagnostics, SortsByFileThenPositionAndCounts) {
  Diagnostics diags;
  diags.Error({"b.yaml", 1, 1}, "b1");
  diags.Warning({"a.yaml", 9, 2}, "a9");
  diags.Error({"a.yaml", 3, 4}, "a3");
  diags.Error({"a.yaml", 3, 1}, "a3c1");
  EXPECT_EQ(diags.error_count(), 3u);
  EXPECT_EQ(diags.warning_count(), 1u);
  const auto sorted = diags.Sorted();
  ASSERT_EQ(sorted.size(), 4u);
  EXPECT_EQ(sorted[0].message, "a3c1");
  EXPECT_EQ(sorted[1].message, "a3");
  EXPECT_EQ(sorted[2].message, "a9");
  EXPECT_EQ(sorted[3].message, "b1");
}

}  // namespace
}  // namespace svsm_spec
