// Report writers of the conformance runner (reports.h). Each writer is a pure function of a
// RunReport (and the spec). Strings from vectors, targets and target logs are untrusted: they
// go through CleanText and the format's escaping, never into markup, attribute names,
// anchors or script.
#include "svsm_conform/reports.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

namespace svsm_conform {
namespace {

using nlohmann::ordered_json;

constexpr TestStatus kAllStatuses[] = {TestStatus::kPass, TestStatus::kFail,         TestStatus::kError,
                                       TestStatus::kSkip, TestStatus::kExpectedFail, TestStatus::kFlaky};

std::string Hex(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%" PRIx64, v);
  return buf;
}

std::string Seconds(double s, int decimals = 3) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, s);
  return buf;
}

std::string Pad(std::string s, size_t width) {
  if (s.size() < width) s.append(width - s.size(), ' ');
  return s;
}

// "core.pvalidate" for a call's tests, "core" for scenario files.
std::string ClassName(const TestResult& r) {
  if (r.call.empty()) return r.protocol.empty() ? std::string("unknown") : r.protocol;
  return (r.protocol.empty() ? std::string("unknown") : r.protocol) + "." + r.call;
}

// The protocol a rule id belongs to: the part before the first dot ("general" for the
// calling-convention rules).
std::string RulePrefix(const std::string& rule) {
  const size_t dot = rule.find('.');
  return dot == std::string::npos ? rule : rule.substr(0, dot);
}

// Indices of report.results naming each rule.
std::map<std::string, std::vector<size_t>> ResultsByRule(const RunReport& report) {
  std::map<std::string, std::vector<size_t>> by_rule;
  for (size_t i = 0; i < report.results.size(); ++i) {
    for (const std::string& rule : report.results[i].rules) {
      auto& list = by_rule[rule];
      if (list.empty() || list.back() != i) list.push_back(i);
    }
  }
  return by_rule;
}

const std::vector<std::string>& CoverageOf(const RunReport& report, const std::string& rule) {
  static const std::vector<std::string> kNone;
  auto it = report.coverage.find(rule);
  return it == report.coverage.end() ? kNone : it->second;
}

// What a rule's tests in this run say about it, most severe first.
struct RuleState {
  const char* name;     // "passed", "failed", ...: shown
  const char* css;      // class of the cell
  std::vector<size_t> why;  // results whose reasons explain the state
};

RuleState StateOfRule(const RunReport& report, const std::vector<size_t>& results, bool has_vectors) {
  auto with = [&](TestStatus s) {
    std::vector<size_t> out;
    for (size_t i : results) {
      if (report.results[i].status == s) out.push_back(i);
    }
    return out;
  };
  if (auto v = with(TestStatus::kFail); !v.empty()) return {"failed", "fail", v};
  if (auto v = with(TestStatus::kError); !v.empty()) return {"error", "error", v};
  if (auto v = with(TestStatus::kPass); !v.empty()) return {"passed", "pass", {}};
  if (auto v = with(TestStatus::kExpectedFail); !v.empty()) return {"known failure", "expected-fail", v};
  if (auto v = with(TestStatus::kFlaky); !v.empty()) return {"flaky", "flaky", v};
  if (auto v = with(TestStatus::kSkip); !v.empty()) return {"skipped", "skip", v};
  if (has_vectors) return {"not run", "not-run", {}};
  return {"not tested", "not-tested", {}};
}

// Rules named by vectors or results that the spec does not define.
std::vector<std::string> UnknownRules(const RunReport& report, const svsm_spec::Spec& spec) {
  std::set<std::string> known;
  for (const svsm_spec::Rule* r : spec.AllRules()) known.insert(r->id);
  std::set<std::string> unknown;
  for (const auto& [rule, ids] : report.coverage) {
    if (!known.count(rule)) unknown.insert(rule);
  }
  for (const TestResult& r : report.results) {
    for (const std::string& rule : r.rules) {
      if (!known.count(rule)) unknown.insert(rule);
    }
  }
  return {unknown.begin(), unknown.end()};
}

std::string JoinIds(const std::vector<std::string>& ids) {
  std::string out;
  for (const std::string& id : ids) {
    if (!out.empty()) out += ", ";
    out += id;
  }
  return out;
}

// Indents every line after the first of `text` by `indent`.
std::string IndentLines(std::string_view text, const std::string& indent) {
  std::string out;
  for (char c : text) {
    out += c;
    if (c == '\n') out += indent;
  }
  while (!out.empty() && (out.back() == ' ' || out.back() == '\n')) out.pop_back();
  return out;
}

}  // namespace

// ---------------------------------------------------------------------------- escaping

std::string CleanText(std::string_view s) {
  static constexpr char kReplacement[] = "\xEF\xBF\xBD";  // U+FFFD
  std::string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f) {
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\x%02x", c);
        out += buf;
      } else {
        out += static_cast<char>(c);
      }
      ++i;
      continue;
    }
    size_t len = 0;
    uint32_t cp = 0, min = 0;
    if ((c & 0xE0) == 0xC0) {
      len = 2, cp = c & 0x1F, min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3, cp = c & 0x0F, min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4, cp = c & 0x07, min = 0x10000;
    }
    bool ok = len != 0 && i + len <= s.size();
    for (size_t k = 1; ok && k < len; ++k) {
      const unsigned char d = static_cast<unsigned char>(s[i + k]);
      if ((d & 0xC0) != 0x80) ok = false;
      cp = (cp << 6) | (d & 0x3F);
    }
    // U+FFFE and U+FFFF are well-formed but XML refuses them: one replacement for the lot.
    if (ok && (cp == 0xFFFE || cp == 0xFFFF)) {
      out += kReplacement;
      i += len;
      continue;
    }
    // Overlong forms, surrogates and code points beyond U+10FFFF: one replacement per byte.
    if (ok && (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))) ok = false;
    if (!ok) {
      out += kReplacement;
      ++i;
      continue;
    }
    out.append(s.substr(i, len));
    i += len;
  }
  return out;
}

std::string XmlEscape(std::string_view text, bool attribute) {
  const std::string clean = CleanText(text);
  std::string out;
  out.reserve(clean.size());
  for (char c : clean) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      case '\r': out += "&#13;"; break;  // a literal CR would be normalized away
      case '\n': out += attribute ? "&#10;" : "\n"; break;
      case '\t': out += attribute ? "&#9;" : "\t"; break;
      default: out += c;
    }
  }
  return out;
}

std::string HtmlEscape(std::string_view text) {
  const std::string clean = CleanText(text);
  std::string out;
  out.reserve(clean.size());
  for (char c : clean) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

// ---------------------------------------------------------------------------- text

std::string TextSummary(const RunReport& report) {
  std::string out;
  out += "Conformance run against " + CleanText(report.target.target.empty() ? "(unnamed target)" : report.target.target);
  out += " (spec " + CleanText(report.spec_revision.empty() ? "?" : report.spec_revision) + ")";
  if (!report.started_at.empty()) out += ", started " + CleanText(report.started_at);
  out += ", " + Seconds(report.seconds, 2) + " s\n";

  out += std::to_string(report.results.size()) + " tests:";
  bool first = true;
  for (TestStatus s : kAllStatuses) {
    out += std::string(first ? " " : ", ") + std::to_string(report.Count(s)) + " " + TestStatusName(s);
    first = false;
  }
  out += "\n";
  size_t mismatches = 0;
  for (const ClaimCheck& c : report.claim_checks) mismatches += c.ok ? 0 : 1;
  out += "claim checks: " + std::to_string(report.claim_checks.size() - mismatches) + " of " +
         std::to_string(report.claim_checks.size()) + " ok; expectation problems: " +
         std::to_string(report.expectation_problems.size()) + "\n";
  out += std::string("result: ") + (report.Passed() ? "PASSED" : "FAILED") + "\n";

  bool any_failure = false;
  for (const TestResult& r : report.results) {
    if (r.status != TestStatus::kFail && r.status != TestStatus::kError) continue;
    if (!any_failure) out += "\nFailures and errors:\n";
    any_failure = true;
    out += "  " + Pad(r.status == TestStatus::kFail ? "FAIL" : "ERROR", 6) + CleanText(r.id) + "  (" +
           CleanText(r.file) + ")\n";
    out += "        " + IndentLines(CleanText(r.reason.empty() ? "(no reason given)" : r.reason), "        ") + "\n";
    if (!r.target_log.empty()) {
      out += "        target log:\n          " + IndentLines(CleanText(r.target_log), "          ") + "\n";
    }
  }

  if (mismatches != 0) {
    out += "\nClaim-check mismatches (QUERY_PROTOCOL against the protocols claimed in HELLO):\n";
    for (const ClaimCheck& c : report.claim_checks) {
      if (c.ok) continue;
      out += "  protocol " + std::to_string(c.protocol) + " version " + std::to_string(c.version) + ": rcx " +
             Hex(c.actual_rcx) + ", expected " + Hex(c.expected_rcx);
      if (!c.note.empty()) out += ": " + IndentLines(CleanText(c.note), "    ");
      out += "\n";
    }
  }

  if (!report.expectation_problems.empty()) {
    out += "\nExpectation problems:\n";
    for (const std::string& p : report.expectation_problems) out += "  " + IndentLines(CleanText(p), "    ") + "\n";
  }

  // One line per protocol/call, in the order the results came.
  std::vector<std::string> order;
  std::map<std::string, std::map<TestStatus, size_t>> counts;
  for (const TestResult& r : report.results) {
    const std::string key = ClassName(r);
    if (!counts.count(key)) order.push_back(key);
    ++counts[key][r.status];
  }
  if (!order.empty()) {
    size_t width = 0;
    for (const std::string& k : order) width = std::max(width, CleanText(k).size());
    out += "\nPer protocol/call:\n";
    for (const std::string& k : order) {
      auto& c = counts[k];
      out += "  " + Pad(CleanText(k), width) + "  " + std::to_string(c[TestStatus::kPass]) + " pass, " +
             std::to_string(c[TestStatus::kFail]) + " fail";
      for (TestStatus s : {TestStatus::kError, TestStatus::kSkip, TestStatus::kExpectedFail, TestStatus::kFlaky}) {
        if (c[s] != 0) out += ", " + std::to_string(c[s]) + " " + TestStatusName(s);
      }
      out += "\n";
    }
  }

  // Coverage per protocol, from the rule ids' prefixes.
  std::map<std::string, std::pair<size_t, size_t>> coverage;  // prefix -> (tested, rules)
  for (const auto& [rule, ids] : report.coverage) {
    auto& c = coverage[RulePrefix(rule)];
    c.first += ids.empty() ? 0 : 1;
    ++c.second;
  }
  if (!coverage.empty()) {
    out += "\nCoverage (rules named by at least one vector):\n";
    for (const auto& [prefix, c] : coverage) {
      out += "  " + CleanText(prefix) + ": " + std::to_string(c.first) + " of " + std::to_string(c.second) +
             " rules tested\n";
    }
  }
  return out;
}

// ---------------------------------------------------------------------------- JSON

std::string ReportJson(const RunReport& report) {
  ordered_json j;
  j["format"] = kReportJsonFormat;
  j["passed"] = report.Passed();
  j["spec_revision"] = report.spec_revision;
  j["started_at"] = report.started_at;
  j["seconds"] = report.seconds;
  ordered_json target = ordered_json::parse(TargetInfoToJson(report.target), nullptr, false);
  j["target"] = target.is_discarded() ? ordered_json::object() : std::move(target);

  size_t mismatches = 0;
  for (const ClaimCheck& c : report.claim_checks) mismatches += c.ok ? 0 : 1;
  ordered_json totals;
  totals["tests"] = report.results.size();
  for (TestStatus s : kAllStatuses) totals[TestStatusName(s)] = report.Count(s);
  totals["claim_checks"] = report.claim_checks.size();
  totals["claim_mismatches"] = mismatches;
  totals["expectation_problems"] = report.expectation_problems.size();
  size_t rules = 0, tested = 0;
  for (const auto& [rule, ids] : report.coverage) {
    ++rules;
    tested += ids.empty() ? 0 : 1;
  }
  totals["rules"] = rules;
  totals["rules_tested"] = tested;
  j["totals"] = std::move(totals);

  ordered_json results = ordered_json::array();
  for (const TestResult& r : report.results) {
    ordered_json x;
    x["id"] = r.id;
    x["status"] = TestStatusName(r.status);
    x["reason"] = r.reason;
    x["protocol"] = r.protocol;
    x["call"] = r.call;
    x["rules"] = r.rules;
    x["file"] = r.file;
    x["seconds"] = r.seconds;
    x["target_log"] = r.target_log;
    results.push_back(std::move(x));
  }
  j["results"] = std::move(results);

  ordered_json checks = ordered_json::array();
  for (const ClaimCheck& c : report.claim_checks) {
    ordered_json x;
    x["protocol"] = c.protocol;
    x["version"] = c.version;
    x["expected_rcx"] = Hex(c.expected_rcx);
    x["actual_rcx"] = Hex(c.actual_rcx);
    x["ok"] = c.ok;
    x["note"] = c.note;
    checks.push_back(std::move(x));
  }
  j["claim_checks"] = std::move(checks);
  j["expectation_problems"] = report.expectation_problems;

  ordered_json coverage = ordered_json::object();
  for (const auto& [rule, ids] : report.coverage) coverage[rule] = ids;
  j["coverage"] = std::move(coverage);

  // Invalid UTF-8 (a target's log, say) becomes U+FFFD instead of throwing.
  return j.dump(2, ' ', false, ordered_json::error_handler_t::replace) + "\n";
}

// ---------------------------------------------------------------------------- JUnit

std::string ReportJunit(const RunReport& report) {
  auto attr = [](std::string_view v) { return XmlEscape(v, true); };
  auto text = [](std::string_view v) { return XmlEscape(v, false); };

  // Suites per protocol.call, in the order the results came.
  std::vector<std::string> order;
  std::map<std::string, std::vector<const TestResult*>> suites;
  for (const TestResult& r : report.results) {
    const std::string key = ClassName(r);
    if (!suites.count(key)) order.push_back(key);
    suites[key].push_back(&r);
  }

  size_t mismatches = 0;
  for (const ClaimCheck& c : report.claim_checks) mismatches += c.ok ? 0 : 1;
  const size_t skipped =
      report.Count(TestStatus::kSkip) + report.Count(TestStatus::kExpectedFail) + report.Count(TestStatus::kFlaky);
  const size_t tests = report.results.size() + report.claim_checks.size() + report.expectation_problems.size();
  const size_t failures = report.Count(TestStatus::kFail) + mismatches + report.expectation_problems.size();

  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out += "<testsuites name=\"svsm-spec conformance\" tests=\"" + std::to_string(tests) + "\" failures=\"" +
         std::to_string(failures) + "\" errors=\"" + std::to_string(report.Count(TestStatus::kError)) +
         "\" skipped=\"" + std::to_string(skipped) + "\" time=\"" + Seconds(report.seconds) + "\"";
  if (!report.started_at.empty()) out += " timestamp=\"" + attr(report.started_at) + "\"";
  out += ">\n";

  auto properties = [&] {
    return "    <properties>\n      <property name=\"target\" value=\"" + attr(report.target.target) +
           "\"/>\n      <property name=\"spec_revision\" value=\"" + attr(report.spec_revision) +
           "\"/>\n      <property name=\"target_spec_revision\" value=\"" + attr(report.target.spec_revision) +
           "\"/>\n    </properties>\n";
  };
  auto suite_open = [&](const std::string& name, size_t n, size_t fail, size_t err, size_t skip, double secs) {
    std::string s = "  <testsuite name=\"" + attr(name) + "\" tests=\"" + std::to_string(n) + "\" failures=\"" +
                    std::to_string(fail) + "\" errors=\"" + std::to_string(err) + "\" skipped=\"" +
                    std::to_string(skip) + "\" time=\"" + Seconds(secs) + "\"";
    if (!report.started_at.empty()) s += " timestamp=\"" + attr(report.started_at) + "\"";
    return s + ">\n" + properties();
  };

  for (const std::string& name : order) {
    const auto& list = suites[name];
    size_t fail = 0, err = 0, skip = 0;
    double secs = 0;
    for (const TestResult* r : list) {
      fail += r->status == TestStatus::kFail;
      err += r->status == TestStatus::kError;
      skip += r->status == TestStatus::kSkip || r->status == TestStatus::kExpectedFail ||
              r->status == TestStatus::kFlaky;
      secs += r->seconds;
    }
    out += suite_open(name, list.size(), fail, err, skip, secs);
    for (const TestResult* r : list) {
      out += "    <testcase name=\"" + attr(r->id) + "\" classname=\"" + attr(name) + "\" file=\"" + attr(r->file) +
             "\" time=\"" + Seconds(r->seconds) + "\"";
      std::string body;
      switch (r->status) {
        case TestStatus::kPass: break;
        case TestStatus::kFail:
          body += "      <failure message=\"" + attr(r->reason) + "\" type=\"fail\">" + text(r->reason) + "</failure>\n";
          break;
        case TestStatus::kError:
          body += "      <error message=\"" + attr(r->reason) + "\" type=\"error\">" + text(r->reason) + "</error>\n";
          break;
        case TestStatus::kSkip:
          body += "      <skipped message=\"" + attr(r->reason) + "\"/>\n";
          break;
        case TestStatus::kExpectedFail:
          body += "      <skipped message=\"" + attr("expected failure: " + r->reason) + "\"/>\n";
          break;
        case TestStatus::kFlaky:
          body += "      <skipped message=\"" + attr("flaky (does not count)" + (r->reason.empty() ? "" : ": " + r->reason)) + "\"/>\n";
          break;
      }
      if (!r->rules.empty()) body += "      <system-out>rules: " + text(JoinIds(r->rules)) + "</system-out>\n";
      if (!r->target_log.empty()) body += "      <system-err>" + text(r->target_log) + "</system-err>\n";
      out += body.empty() ? "/>\n" : ">\n" + body + "    </testcase>\n";
    }
    out += "  </testsuite>\n";
  }

  out += suite_open("claim-checks", report.claim_checks.size(), mismatches, 0, 0, 0);
  for (const ClaimCheck& c : report.claim_checks) {
    const std::string name = "protocol " + std::to_string(c.protocol) + " version " + std::to_string(c.version);
    out += "    <testcase name=\"" + attr(name) + "\" classname=\"claim-checks\" time=\"0.000\"";
    if (c.ok) {
      out += "/>\n";
      continue;
    }
    const std::string message = "QUERY_PROTOCOL returned rcx " + Hex(c.actual_rcx) + ", expected " +
                                Hex(c.expected_rcx) + (c.note.empty() ? "" : ": " + c.note);
    out += ">\n      <failure message=\"" + attr(message) + "\" type=\"claim-mismatch\">" + text(message) +
           "</failure>\n    </testcase>\n";
  }
  out += "  </testsuite>\n";

  if (!report.expectation_problems.empty()) {
    const size_t n = report.expectation_problems.size();
    out += suite_open("expectations", n, n, 0, 0, 0);
    for (size_t i = 0; i < n; ++i) {
      const std::string& p = report.expectation_problems[i];
      out += "    <testcase name=\"expectation problem " + std::to_string(i + 1) +
             "\" classname=\"expectations\" time=\"0.000\">\n      <failure message=\"" + attr(p) +
             "\" type=\"expectation\">" + text(p) + "</failure>\n    </testcase>\n";
    }
    out += "  </testsuite>\n";
  }
  out += "</testsuites>\n";
  return out;
}

// ---------------------------------------------------------------------------- coverage text

std::string CoverageText(const RunReport& report, const svsm_spec::Spec& spec) {
  std::string out;
  size_t all_rules = 0, all_tested = 0;
  std::vector<std::string> summary;
  auto rule_line = [&](const svsm_spec::Rule& rule, const std::string& indent, size_t& tested) {
    const auto& ids = CoverageOf(report, rule.id);
    tested += ids.empty() ? 0 : 1;
    out += indent + rule.id + ": " + (ids.empty() ? std::string("not tested") : CleanText(JoinIds(ids))) + "\n";
  };

  {
    size_t tested = 0;
    out += "general (calling convention)\n";
    if (spec.rules.empty()) out += "  (no rules)\n";
    for (const svsm_spec::Rule& r : spec.rules) rule_line(r, "  ", tested);
    summary.push_back("general: " + std::to_string(tested) + " of " + std::to_string(spec.rules.size()));
    all_rules += spec.rules.size();
    all_tested += tested;
  }
  for (const svsm_spec::Protocol& p : spec.protocols) {
    size_t tested = 0, rules = p.rules.size();
    out += "\n" + p.key + " (" + p.name + ", protocol " + std::to_string(p.number) + ")\n";
    if (!p.rules.empty()) {
      out += "  protocol-wide\n";
      for (const svsm_spec::Rule& r : p.rules) rule_line(r, "    ", tested);
    }
    for (const svsm_spec::Call& c : p.calls) {
      out += "  " + c.name + " (" + c.key + ", call " + std::to_string(c.id) + ")\n";
      if (c.rules.empty()) out += "    (no rules)\n";
      for (const svsm_spec::Rule& r : c.rules) rule_line(r, "    ", tested);
      rules += c.rules.size();
    }
    summary.push_back(p.key + ": " + std::to_string(tested) + " of " + std::to_string(rules));
    all_rules += rules;
    all_tested += tested;
  }

  const std::vector<std::string> unknown = UnknownRules(report, spec);
  if (!unknown.empty()) {
    out += "\nrules the vectors name that the spec does not define\n";
    for (const std::string& rule : unknown) {
      const auto& ids = CoverageOf(report, rule);
      out += "  " + CleanText(rule) + ": " + (ids.empty() ? std::string("(named by results only)") : CleanText(JoinIds(ids))) + "\n";
    }
  }

  out += "\ncoverage: " + std::to_string(all_tested) + " of " + std::to_string(all_rules) + " rules tested (";
  for (size_t i = 0; i < summary.size(); ++i) out += (i ? "; " : "") + summary[i];
  out += ")\n";
  return out;
}

// ---------------------------------------------------------------------------- HTML

namespace {

constexpr char kCss[] = R"css(
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:1.5em 2em;color:#222;background:#fff}
h1{font-size:1.5em;margin:0 0 .3em}h2{margin-top:1.8em;border-bottom:1px solid #ccc}h3{margin:1.2em 0 .3em}
table{border-collapse:collapse;margin:.4em 0 1.2em}
th,td{border:1px solid #ccc;padding:2px 6px;text-align:left;vertical-align:top}
th{background:#f0f0f0}
code,.id{font-family:ui-monospace,"SFMono-Regular",Menlo,Consolas,monospace;font-size:.92em}
pre{white-space:pre-wrap;word-break:break-all;max-height:24em;overflow:auto;background:#f7f7f7;margin:.2em 0;padding:4px}
.badge{display:inline-block;padding:2px 9px;border-radius:4px;margin:2px 4px 2px 0;border:1px solid #bbb}
.pass{background:#d3f5d3}.fail{background:#ffcdcd}.error{background:#f3c4ff}.skip{background:#ececec}
.expected-fail{background:#ffe7ad}.flaky{background:#d5e5ff}.not-run{background:#fafafa;color:#666}
.not-tested{color:#888;font-style:italic}
.verdict-pass{background:#2e7d32;color:#fff}.verdict-fail{background:#c62828;color:#fff}
.why{margin:0;padding-left:1.2em;font-size:.92em}
.meta td:first-child{font-weight:600;background:#f7f7f7}
#filter{background:#f7f7f7;padding:4px 8px;border:1px solid #ddd}
a{color:#0645ad;text-decoration:none}a:hover{text-decoration:underline}
)css";

// Filtering the test list by status and text: optional, the page is complete without it.
// It reads only data-* attributes the writer produced; no report text is in the script.
constexpr char kScript[] = R"js(
(function(){
var f=document.getElementById('filter');if(!f)return;f.hidden=false;
var boxes=f.querySelectorAll('input[data-status]'),q=document.getElementById('q');
function apply(){var on={};boxes.forEach(function(b){on[b.getAttribute('data-status')]=b.checked;});
var t=q.value.toLowerCase();
document.querySelectorAll('#tests tbody tr').forEach(function(r){
var ok=on[r.getAttribute('data-status')]&&(!t||r.getAttribute('data-key').indexOf(t)>=0);
r.style.display=ok?'':'none';});}
boxes.forEach(function(b){b.addEventListener('change',apply);});q.addEventListener('input',apply);
})();
)js";

std::string Lower(std::string s) {
  for (char& c : s) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return s;
}

class HtmlWriter {
 public:
  HtmlWriter(const RunReport& report, const svsm_spec::Spec& spec)
      : report_(report), spec_(spec), by_rule_(ResultsByRule(report)) {
    for (size_t i = 0; i < report.results.size(); ++i) test_index_.emplace(report.results[i].id, i);
    const auto all = spec.AllRules();
    for (size_t i = 0; i < all.size(); ++i) rule_index_.emplace(all[i]->id, i);
  }

  std::string Write() {
    Head();
    Header();
    Matrix();
    Coverage();
    ClaimChecks();
    ExpectationProblems();
    Tests();
    out_ += "<script>" + std::string(kScript) + "</script>\n</body>\n</html>\n";
    return std::move(out_);
  }

 private:
  static std::string E(std::string_view s) { return HtmlEscape(s); }

  std::string TestLink(const std::string& id) const {
    auto it = test_index_.find(id);
    if (it == test_index_.end()) {
      return "<span class=\"id\" title=\"not run in this report\">" + E(id) + "</span>";
    }
    const TestResult& r = report_.results[it->second];
    return "<a class=\"id " + std::string(TestStatusName(r.status)) + "\" href=\"#t-" + std::to_string(it->second) +
           "\" title=\"" + TestStatusName(r.status) + "\">" + E(id) + "</a>";
  }

  void Head() {
    const std::string title = "SVSM conformance: " + (report_.target.target.empty() ? "target" : report_.target.target);
    out_ += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
    // Nothing outside this file may load, whatever the report contains.
    out_ += "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
            "style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">\n";
    out_ += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
    out_ += "<title>" + E(title) + "</title>\n<style>" + std::string(kCss) + "</style>\n</head>\n<body>\n";
  }

  void Header() {
    const bool passed = report_.Passed();
    out_ += "<h1>SVSM conformance report <span class=\"badge " +
            std::string(passed ? "verdict-pass\">PASSED" : "verdict-fail\">FAILED") + "</span></h1>\n";
    out_ += "<table class=\"meta\">\n";
    auto row = [&](const char* k, const std::string& v_html) {
      out_ += "<tr><td>" + std::string(k) + "</td><td>" + v_html + "</td></tr>\n";
    };
    const TargetInfo& t = report_.target;
    row("target", "<code>" + E(t.target.empty() ? "(unnamed)" : t.target) + "</code>");
    std::string rev = "<code>" + E(report_.spec_revision) + "</code>";
    if (!spec_.metadata.spec_revision.empty() && spec_.metadata.spec_revision != report_.spec_revision) {
      rev += " (this page laid out with spec <code>" + E(spec_.metadata.spec_revision) + "</code>)";
    }
    if (!t.spec_revision.empty() && t.spec_revision != report_.spec_revision) {
      rev += "; the target says <code>" + E(t.spec_revision) + "</code>";
    }
    row("spec revision", rev);
    row("started", E(report_.started_at.empty() ? "(unknown)" : report_.started_at) + ", " +
                       Seconds(report_.seconds, 2) + " s");
    std::string claims;
    for (const ProtocolClaim& p : t.protocols) {
      const svsm_spec::Protocol* sp = nullptr;
      for (const auto& x : spec_.protocols) {
        if (x.number == p.number) sp = &x;
      }
      if (!claims.empty()) claims += ", ";
      claims += (sp ? E(sp->key) : "protocol " + std::to_string(p.number)) + " v" + std::to_string(p.min_version) +
                (p.max_version != p.min_version ? "-" + std::to_string(p.max_version) : "");
    }
    row("protocols claimed", claims.empty() ? "(none)" : claims);
    std::string caps;
    for (const std::string& c : t.capabilities) caps += (caps.empty() ? "" : ", ") + ("<code>" + E(c) + "</code>");
    row("capabilities", caps.empty() ? "(none)" : caps);
    row("guest VMPL, vCPUs", std::to_string(t.guest_vmpl) + ", " + std::to_string(t.vcpus.size()));
    out_ += "</table>\n<p>";
    out_ += "<span class=\"badge\">" + std::to_string(report_.results.size()) + " tests</span>";
    for (TestStatus s : kAllStatuses) {
      out_ += "<span class=\"badge " + std::string(TestStatusName(s)) + "\">" + std::to_string(report_.Count(s)) +
              " " + TestStatusName(s) + "</span>";
    }
    size_t mismatches = 0;
    for (const ClaimCheck& c : report_.claim_checks) mismatches += c.ok ? 0 : 1;
    out_ += "<span class=\"badge " + std::string(mismatches ? "fail" : "pass") + "\">" + std::to_string(mismatches) +
            " claim mismatches</span>";
    out_ += "<span class=\"badge " + std::string(report_.expectation_problems.empty() ? "pass" : "fail") + "\">" +
            std::to_string(report_.expectation_problems.size()) + " expectation problems</span></p>\n";
    out_ += "<p><a href=\"#matrix\">results by rule</a> · <a href=\"#coverage\">coverage</a> · "
            "<a href=\"#claims\">claim checks</a> · <a href=\"#expectations\">expectation problems</a> · "
            "<a href=\"#tests\">all tests</a></p>\n";
  }

  // One matrix row for a rule: its state in this run, why, and the tests naming it.
  void MatrixRow(const svsm_spec::Rule& rule, const std::string& call_cell) {
    auto it = by_rule_.find(rule.id);
    static const std::vector<size_t> kNone;
    const std::vector<size_t>& results = it == by_rule_.end() ? kNone : it->second;
    const RuleState st = StateOfRule(report_, results, !CoverageOf(report_, rule.id).empty());
    const size_t index = rule_index_.at(rule.id);
    out_ += "<tr id=\"m-" + std::to_string(index) + "\">" + call_cell + "<td><a class=\"id\" href=\"#r-" +
            std::to_string(index) + "\">" + E(rule.id) + "</a><br><small>" + E(svsm_spec::RuleKindName(rule.kind)) +
            ": " + E(rule.summary) + "</small></td>";
    out_ += "<td class=\"" + std::string(st.css) + "\">" + st.name;
    if (!st.why.empty()) {
      out_ += "<ul class=\"why\">";
      for (size_t i : st.why) {
        const TestResult& r = report_.results[i];
        out_ += "<li>" + TestLink(r.id) + ": " + E(r.reason.empty() ? "(no reason given)" : r.reason) + "</li>";
      }
      out_ += "</ul>";
    }
    out_ += "</td><td>";
    for (size_t k = 0; k < results.size(); ++k) out_ += (k ? " " : "") + TestLink(report_.results[results[k]].id);
    if (results.empty()) {
      const auto& ids = CoverageOf(report_, rule.id);
      out_ += ids.empty() ? std::string("<span class=\"not-tested\">no vector</span>")
                          : "<span class=\"not-run\">" + std::to_string(ids.size()) + " vector(s), none run</span>";
    }
    out_ += "</td></tr>\n";
  }

  void Matrix() {
    out_ += "<h2 id=\"matrix\">Results by protocol, call and rule</h2>\n"
            "<p>A rule is <em>failed</em> when any test naming it failed, <em>passed</em> when one passed "
            "and none failed, <em>skipped</em> when every test naming it was skipped, <em>not run</em> when "
            "vectors name it but none ran here, <em>not tested</em> when no vector names it.</p>\n";
    const char* kHead = "<table>\n<tr><th>call</th><th>rule</th><th>result</th><th>tests</th></tr>\n";
    out_ += "<h3>General (calling convention)</h3>\n";
    if (spec_.rules.empty()) {
      out_ += "<p>(no rules)</p>\n";
    } else {
      out_ += kHead;
      for (size_t i = 0; i < spec_.rules.size(); ++i) {
        MatrixRow(spec_.rules[i], i == 0 ? "<td rowspan=\"" + std::to_string(spec_.rules.size()) + "\">(all calls)</td>" : "");
      }
      out_ += "</table>\n";
    }
    for (const svsm_spec::Protocol& p : spec_.protocols) {
      out_ += "<h3 id=\"p-" + std::to_string(&p - spec_.protocols.data()) + "\">" + E(p.name) + " <code>" + E(p.key) +
              "</code> (protocol " + std::to_string(p.number) + ", " + svsm_spec::StatusName(p.status) + ")</h3>\n";
      out_ += kHead;
      for (size_t i = 0; i < p.rules.size(); ++i) {
        MatrixRow(p.rules[i], i == 0 ? "<td rowspan=\"" + std::to_string(p.rules.size()) + "\">(protocol-wide)</td>" : "");
      }
      for (const svsm_spec::Call& c : p.calls) {
        const std::string cell = "<td rowspan=\"" + std::to_string(std::max<size_t>(1, c.rules.size())) +
                                 "\"><code>" + E(c.name) + "</code><br><small>" + E(c.key) + ", call " +
                                 std::to_string(c.id) + "</small></td>";
        if (c.rules.empty()) {
          out_ += "<tr>" + cell + "<td colspan=\"3\" class=\"not-tested\">(no rules)</td></tr>\n";
          continue;
        }
        for (size_t i = 0; i < c.rules.size(); ++i) MatrixRow(c.rules[i], i == 0 ? cell : "");
      }
      out_ += "</table>\n";
    }
  }

  void CoverageRow(const svsm_spec::Rule& rule, const std::string& protocol, const std::string& call) {
    const auto& ids = CoverageOf(report_, rule.id);
    const size_t index = rule_index_.at(rule.id);
    out_ += "<tr id=\"r-" + std::to_string(index) + "\"><td>" + protocol + "</td><td>" + call +
            "</td><td><a class=\"id\" href=\"#m-" + std::to_string(index) + "\">" + E(rule.id) + "</a></td><td>" +
            E(svsm_spec::RuleKindName(rule.kind)) + "</td><td>" + svsm_spec::StatusName(rule.status) + "</td>";
    if (ids.empty()) {
      out_ += "<td class=\"not-tested\">not tested</td></tr>\n";
      return;
    }
    out_ += "<td>";
    for (size_t k = 0; k < ids.size(); ++k) out_ += (k ? " " : "") + TestLink(ids[k]);
    out_ += "</td></tr>\n";
  }

  void Coverage() {
    out_ += "<h2 id=\"coverage\">Coverage of the spec</h2>\n<p>Every rule of the spec and the vectors that name it "
            "(whether or not they ran in this report).</p>\n";
    // Summary per protocol.
    out_ += "<table>\n<tr><th>protocol</th><th>rules</th><th>tested</th><th>not tested</th></tr>\n";
    auto count = [&](const std::vector<svsm_spec::Rule>& rules, size_t& n, size_t& tested) {
      for (const auto& r : rules) {
        ++n;
        tested += CoverageOf(report_, r.id).empty() ? 0 : 1;
      }
    };
    size_t total_n = 0, total_tested = 0;
    auto summary_row = [&](const std::string& name_html, size_t n, size_t tested) {
      out_ += "<tr><td>" + name_html + "</td><td>" + std::to_string(n) + "</td><td>" + std::to_string(tested) +
              "</td><td" + (n != tested ? " class=\"not-tested\"" : "") + ">" + std::to_string(n - tested) +
              "</td></tr>\n";
      total_n += n;
      total_tested += tested;
    };
    {
      size_t n = 0, tested = 0;
      count(spec_.rules, n, tested);
      summary_row("general", n, tested);
    }
    for (const auto& p : spec_.protocols) {
      size_t n = 0, tested = 0;
      count(p.rules, n, tested);
      for (const auto& c : p.calls) count(c.rules, n, tested);
      summary_row("<code>" + E(p.key) + "</code>", n, tested);
    }
    out_ += "<tr><th>all</th><th>" + std::to_string(total_n) + "</th><th>" + std::to_string(total_tested) +
            "</th><th>" + std::to_string(total_n - total_tested) + "</th></tr>\n</table>\n";

    out_ += "<table>\n<tr><th>protocol</th><th>call</th><th>rule</th><th>kind</th><th>status</th><th>tested by</th></tr>\n";
    for (const auto& r : spec_.rules) CoverageRow(r, "general", "(all calls)");
    for (const auto& p : spec_.protocols) {
      const std::string key = "<code>" + E(p.key) + "</code>";
      for (const auto& r : p.rules) CoverageRow(r, key, "(protocol-wide)");
      for (const auto& c : p.calls) {
        for (const auto& r : c.rules) CoverageRow(r, key, "<code>" + E(c.name) + "</code>");
      }
    }
    out_ += "</table>\n";

    const std::vector<std::string> unknown = UnknownRules(report_, spec_);
    if (!unknown.empty()) {
      out_ += "<h3>Rules the vectors name that the spec does not define</h3>\n<table>\n<tr><th>rule</th><th>named by</th></tr>\n";
      for (const std::string& rule : unknown) {
        std::vector<std::string> ids = CoverageOf(report_, rule);
        auto it = by_rule_.find(rule);
        if (it != by_rule_.end()) {
          for (size_t i : it->second) {
            if (std::find(ids.begin(), ids.end(), report_.results[i].id) == ids.end()) ids.push_back(report_.results[i].id);
          }
        }
        out_ += "<tr><td class=\"id\">" + E(rule) + "</td><td>";
        for (size_t k = 0; k < ids.size(); ++k) out_ += (k ? " " : "") + TestLink(ids[k]);
        out_ += "</td></tr>\n";
      }
      out_ += "</table>\n";
    }
  }

  void ClaimChecks() {
    out_ += "<h2 id=\"claims\">Claim checks</h2>\n<p>QUERY_PROTOCOL answers against the protocols the target "
            "claims in HELLO.</p>\n";
    if (report_.claim_checks.empty()) {
      out_ += "<p>(none)</p>\n";
      return;
    }
    out_ += "<table>\n<tr><th>protocol</th><th>version</th><th>expected RCX</th><th>actual RCX</th><th>result</th>"
            "<th>note</th></tr>\n";
    for (const ClaimCheck& c : report_.claim_checks) {
      std::string name = std::to_string(c.protocol);
      for (const auto& p : spec_.protocols) {
        if (p.number == c.protocol) name += " (<code>" + E(p.key) + "</code>)";
      }
      out_ += "<tr><td>" + name + "</td><td>" + std::to_string(c.version) + "</td><td><code>" + Hex(c.expected_rcx) +
              "</code></td><td><code>" + Hex(c.actual_rcx) + "</code></td><td class=\"" +
              (c.ok ? "pass\">ok" : "fail\">mismatch") + "</td><td>" + E(c.note) + "</td></tr>\n";
    }
    out_ += "</table>\n";
  }

  void ExpectationProblems() {
    out_ += "<h2 id=\"expectations\">Expectation problems</h2>\n";
    if (report_.expectation_problems.empty()) {
      out_ += "<p>(none)</p>\n";
      return;
    }
    out_ += "<ul>\n";
    for (const std::string& p : report_.expectation_problems) out_ += "<li class=\"fail\">" + E(p) + "</li>\n";
    out_ += "</ul>\n";
  }

  void Tests() {
    out_ += "<h2 id=\"tests\">All tests</h2>\n";
    out_ += "<p id=\"filter\" hidden>show:";
    for (TestStatus s : kAllStatuses) {
      const std::string n = TestStatusName(s);
      out_ += " <label class=\"badge " + n + "\"><input type=\"checkbox\" data-status=\"" + n + "\" checked> " + n +
              "</label>";
    }
    out_ += " <input type=\"search\" id=\"q\" placeholder=\"filter by id, rule or file\"></p>\n";
    if (report_.results.empty()) {
      out_ += "<p>(no tests ran)</p>\n";
      return;
    }
    out_ += "<table id=\"tests\">\n<thead><tr><th>#</th><th>status</th><th>test</th><th>protocol.call</th>"
            "<th>rules</th><th>file</th><th>s</th><th>reason</th></tr></thead>\n<tbody>\n";
    for (size_t i = 0; i < report_.results.size(); ++i) {
      const TestResult& r = report_.results[i];
      const std::string st = TestStatusName(r.status);
      const std::string key = Lower(r.id + " " + JoinIds(r.rules) + " " + r.file + " " + ClassName(r));
      out_ += "<tr id=\"t-" + std::to_string(i) + "\" data-status=\"" + st + "\" data-key=\"" + E(key) + "\"><td>" +
              std::to_string(i + 1) + "</td><td class=\"" + st + "\">" + st + "</td><td class=\"id\">" + E(r.id) +
              "</td><td class=\"id\">" + E(ClassName(r)) + "</td><td>";
      for (size_t k = 0; k < r.rules.size(); ++k) {
        auto it = rule_index_.find(r.rules[k]);
        out_ += k ? "<br>" : "";
        out_ += it == rule_index_.end()
                    ? "<span class=\"id\" title=\"not in the spec\">" + E(r.rules[k]) + "</span>"
                    : "<a class=\"id\" href=\"#m-" + std::to_string(it->second) + "\">" + E(r.rules[k]) + "</a>";
      }
      out_ += "</td><td class=\"id\">" + E(r.file) + "</td><td>" + Seconds(r.seconds) + "</td><td>" + E(r.reason);
      if (!r.target_log.empty()) {
        out_ += "<details><summary>target log</summary><pre>" + E(r.target_log) + "</pre></details>";
      }
      out_ += "</td></tr>\n";
    }
    out_ += "</tbody>\n</table>\n";
  }

  const RunReport& report_;
  const svsm_spec::Spec& spec_;
  std::map<std::string, std::vector<size_t>> by_rule_;
  std::map<std::string, size_t> test_index_;  // first result with the id
  std::map<std::string, size_t> rule_index_;  // position in Spec::AllRules()
  std::string out_;
};

}  // namespace

std::string ReportHtml(const RunReport& report, const svsm_spec::Spec& spec) {
  return HtmlWriter(report, spec).Write();
}

}  // namespace svsm_conform
