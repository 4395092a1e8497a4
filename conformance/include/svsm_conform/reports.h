// Reports of a conformance run: pure functions of a RunReport (and of the spec, where rule
// names and the spec's order are needed). None throws; every string that came from a vector,
// a target or its log is escaped for the output format (and invalid UTF-8 or control bytes
// are made visible), so no input can break or inject into a report.
//
//   TextSummary   plain text for a terminal: totals, failures, claim mismatches, per call
//   ReportJson    the complete machine-readable report (docs/conformance-report.md)
//   ReportJunit   JUnit XML for CI systems
//   ReportHtml    one self-contained HTML page (inline CSS, no external resources)
//   CoverageText  every rule of the spec and the vectors that test it
#pragma once

#include <string>
#include <string_view>

#include "svsm_conform/runner.h"
#include "svsm_spec/model.h"

namespace svsm_conform {

// Version of the ReportJson shape ("format" member); bumped on incompatible changes.
inline constexpr int kReportJsonFormat = 1;

// Totals per status, failures and errors with their reasons, claim-check mismatches,
// expectation problems, one line per protocol/call with its counts, and one coverage line
// per protocol ("core: 12 of 76 rules tested"; protocol taken from the rule id's prefix).
std::string TextSummary(const RunReport& report);

// The report as JSON (shape in docs/conformance-report.md); 64-bit values as hex strings.
std::string ReportJson(const RunReport& report);

// JUnit XML: one <testsuite> per protocol.call (classname), one <testcase> per test, plus
// suites "claim-checks" and "expectations". Expected failures and flaky tests are <skipped>.
std::string ReportJunit(const RunReport& report);

// One HTML page: header with totals, a protocol x call x rule matrix of results in spec
// order, coverage of every rule of the spec, claim checks, expectation problems, every test.
std::string ReportHtml(const RunReport& report, const svsm_spec::Spec& spec);

// Every rule of the spec grouped by protocol and call (general rules first), each with the
// ids of the vectors that test it or "not tested"; then rules the vectors name that the spec
// does not define.
std::string CoverageText(const RunReport& report, const svsm_spec::Spec& spec);

// Escaping used by the writers (exposed for tests). All three first make `text` valid UTF-8:
// an invalid byte becomes U+FFFD, and a control character other than tab, newline and
// carriage return becomes the visible text "\xNN" (XML 1.0 cannot carry them at all).
std::string CleanText(std::string_view text);
std::string XmlEscape(std::string_view text, bool attribute);  // attribute: also \t \n \r
std::string HtmlEscape(std::string_view text);

}  // namespace svsm_conform
