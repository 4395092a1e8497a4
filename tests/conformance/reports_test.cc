// The report writers (svsm_conform/reports.h) over hand-built RunReports: every status, a claim
// mismatch, an expectation problem, and hostile strings (markup, "]]>", quotes, control and
// invalid UTF-8 bytes) in ids, reasons, logs and the target's name. JSON must parse with the
// documented shape, JUnit XML must be well-formed (a small strict parser here, and python3's
// minidom when present) with matching counts, and the HTML must carry no unescaped input.
#include "svsm_conform/reports.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "svsm_spec/loader.h"

namespace svsm_conform {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kScriptReason[] = "rax 0x1, expected \"0x0\" <script>alert(2)</script> ]]> & 'q'\nsecond line";
constexpr char kHostileTarget[] = "evil<script>alert(1)</script>\"><img src=x onerror=alert(3)>";
constexpr char kHostileId[] = "core.x.fail\"><script>alert(4)</script>";
constexpr char kLog[] = "log line\n<script>alert(5)</script>\x1b[31m red ]]> \xff\xfe end";

// A small spec: two general rules, one protocol-wide rule, call x with two rules, call y with
// one, call z with none.
svsm_spec::Rule MakeRule(std::string id, std::string protocol, std::string call) {
  svsm_spec::Rule r;
  r.id = std::move(id);
  r.protocol = std::move(protocol);
  r.call = std::move(call);
  r.summary = "summary of " + r.id + " <em>not markup</em>";
  return r;
}

svsm_spec::Spec SmallSpec() {
  svsm_spec::Spec spec;
  spec.metadata.spec_revision = "2025-test";
  spec.rules = {MakeRule("general.a", "", ""), MakeRule("general.b", "", "")};
  svsm_spec::Protocol core;
  core.key = "core";
  core.number = 0;
  core.name = "Core protocol";
  core.rules = {MakeRule("core.wide", "core", "")};
  svsm_spec::Call x;
  x.id = 1;
  x.name = "SVSM_CORE_X";
  x.key = "x";
  x.rules = {MakeRule("core.x.ok", "core", "x"), MakeRule("core.x.bad", "core", "x")};
  svsm_spec::Call y;
  y.id = 2;
  y.name = "SVSM_CORE_Y";
  y.key = "y";
  y.rules = {MakeRule("core.y.untested", "core", "y")};
  svsm_spec::Call z;
  z.id = 3;
  z.name = "SVSM_CORE_Z";
  z.key = "z";
  core.calls = {x, y, z};
  spec.protocols = {core};
  return spec;
}

TestResult Result(std::string id, std::string file, std::string call, std::vector<std::string> rules,
                  TestStatus status, std::string reason, std::string log = "") {
  TestResult r;
  r.id = std::move(id);
  r.file = std::move(file);
  r.protocol = "core";
  r.call = std::move(call);
  r.rules = std::move(rules);
  r.status = status;
  r.reason = std::move(reason);
  r.seconds = 0.125;
  r.target_log = std::move(log);
  return r;
}

RunReport HostileReport() {
  RunReport r;
  r.target.target = kHostileTarget;
  r.target.spec_revision = "2025-test";
  r.target.protocols = {{0, 1, 1}, {1, 1, 1}};
  r.target.capabilities = {"reset", "<b>cap</b>"};
  r.spec_revision = "2025-test";
  r.started_at = "2025-01-02T03:04:05Z";
  r.seconds = 1.5;
  const std::string x = "vectors/core/x.json", scen = "vectors/core/scenarios<>.json";
  r.results = {
      Result("core.x.pass", x, "x", {"core.x.ok"}, TestStatus::kPass, ""),
      Result(kHostileId, x, "x", {"core.x.ok", "core.x.bad"}, TestStatus::kFail, kScriptReason),
      Result("core.x.error", x, "x", {"core.x.bad"}, TestStatus::kError, "target crashed & ]]>", kLog),
      Result("core.x.skip", x, "x", {"core.wide"}, TestStatus::kSkip, "needs capability 'vcpu-control'"),
      Result("core.scen.xfail", scen, "", {"general.a"}, TestStatus::kExpectedFail,
             "result 0x1 (known failure: <i>tracked</i>)"),
      Result("core.scen.flaky", scen, "", {"unknown.rule"}, TestStatus::kFlaky, "sometimes \"slow\""),
  };
  ClaimCheck ok;
  ok.protocol = 0;
  ok.version = 1;
  ok.expected_rcx = 0x100000001;
  ok.actual_rcx = 0x100000001;
  ClaimCheck bad;
  bad.protocol = 1;
  bad.version = 1;
  bad.expected_rcx = 0x100000001;
  bad.actual_rcx = 0;
  bad.ok = false;
  bad.note = "claimed in HELLO <claim> ]]> but QUERY_PROTOCOL says no";
  r.claim_checks = {ok, bad};
  r.expectation_problems = {"core.x.pass is listed as a known failure but passes <script>alert(6)</script>"};
  r.coverage = {
      {"general.a", {"core.scen.xfail"}},
      {"general.b", {}},
      {"core.wide", {"core.x.skip"}},
      {"core.x.ok", {"core.x.pass", kHostileId}},
      {"core.x.bad", {kHostileId, "core.x.error"}},
      {"core.y.untested", {}},
      {"unknown.rule", {"core.scen.flaky"}},
  };
  return r;
}

// ------------------------------------------------------------------ a small strict XML parser

struct XmlNode {
  std::string name;
  std::map<std::string, std::string> attrs;
  std::vector<std::unique_ptr<XmlNode>> children;
  std::string text;

  std::vector<const XmlNode*> All(const std::string& n) const {
    std::vector<const XmlNode*> out;
    for (const auto& c : children) {
      if (c->name == n) out.push_back(c.get());
      for (const XmlNode* d : c->All(n)) out.push_back(d);
    }
    return out;
  }
  const XmlNode* Child(const std::string& n) const {
    for (const auto& c : children) {
      if (c->name == n) return c.get();
    }
    return nullptr;
  }
};

// Enough of XML 1.0 for the writer's output: declaration, elements, attributes, text, the five
// entities and character references. Anything else (a stray '<' or '&', unbalanced tags,
// duplicate attributes, control characters, "]]>" in text) is an error.
class XmlParser {
 public:
  explicit XmlParser(std::string_view s) : s_(s) {}

  std::unique_ptr<XmlNode> Parse(std::string* error) {
    if (s_.substr(0, 5) == "<?xml") {
      const size_t end = s_.find("?>");
      if (end == std::string_view::npos) return Fail(error, "unterminated declaration");
      i_ = end + 2;
    }
    SkipSpace();
    auto root = Element(error);
    if (!root) return nullptr;
    SkipSpace();
    if (i_ != s_.size()) return Fail(error, "content after the root element");
    return root;
  }

 private:
  std::unique_ptr<XmlNode> Fail(std::string* error, const std::string& what) {
    if (error->empty()) *error = what + " at offset " + std::to_string(i_);
    return nullptr;
  }
  void SkipSpace() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\n' || s_[i_] == '\t' || s_[i_] == '\r')) ++i_;
  }
  static bool NameChar(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
           c == '.' || c == ':';
  }
  std::string Name() {
    const size_t start = i_;
    while (i_ < s_.size() && NameChar(s_[i_])) ++i_;
    return std::string(s_.substr(start, i_ - start));
  }
  // Character data up to `stop`, entities resolved.
  std::optional<std::string> Chars(char stop, std::string* error) {
    std::string out;
    while (i_ < s_.size() && s_[i_] != stop) {
      const unsigned char c = static_cast<unsigned char>(s_[i_]);
      if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') {
        Fail(error, "control character");
        return std::nullopt;
      }
      if (c == '<' || (stop == '<' && s_.substr(i_, 3) == "]]>")) {
        Fail(error, "'<' or ']]>' in character data");
        return std::nullopt;
      }
      if (c != '&') {
        out += s_[i_++];
        continue;
      }
      const size_t semi = s_.find(';', i_);
      if (semi == std::string_view::npos) {
        Fail(error, "unterminated reference");
        return std::nullopt;
      }
      const std::string ref(s_.substr(i_ + 1, semi - i_ - 1));
      static const std::map<std::string, std::string> kEntities = {
          {"amp", "&"}, {"lt", "<"}, {"gt", ">"}, {"quot", "\""}, {"apos", "'"}};
      if (auto it = kEntities.find(ref); it != kEntities.end()) {
        out += it->second;
      } else if (ref.size() > 1 && ref[0] == '#') {
        const bool hex = ref[1] == 'x';
        const std::string digits = ref.substr(hex ? 2 : 1);
        if (digits.empty() || digits.find_first_not_of(hex ? "0123456789abcdefABCDEF" : "0123456789") != std::string::npos) {
          Fail(error, "bad character reference");
          return std::nullopt;
        }
        const unsigned long cp = std::stoul(digits, nullptr, hex ? 16 : 10);
        if (cp != 9 && cp != 10 && cp != 13 && (cp < 0x20 || cp >= 0x80)) {  // ASCII is enough here
          Fail(error, "character reference out of range");
          return std::nullopt;
        }
        out += static_cast<char>(cp);
      } else {
        Fail(error, "unknown entity &" + ref + ";");
        return std::nullopt;
      }
      i_ = semi + 1;
    }
    return out;
  }

  std::unique_ptr<XmlNode> Element(std::string* error) {
    if (i_ >= s_.size() || s_[i_] != '<') return Fail(error, "expected '<'");
    ++i_;
    auto node = std::make_unique<XmlNode>();
    node->name = Name();
    if (node->name.empty()) return Fail(error, "expected an element name");
    for (;;) {
      const size_t before = i_;
      SkipSpace();
      if (s_.substr(i_, 2) == "/>") {
        i_ += 2;
        return node;
      }
      if (i_ < s_.size() && s_[i_] == '>') {
        ++i_;
        break;
      }
      if (i_ == before) return Fail(error, "expected space before an attribute");
      const std::string name = Name();
      if (name.empty() || i_ + 1 >= s_.size() || s_[i_] != '=' || (s_[i_ + 1] != '"' && s_[i_ + 1] != '\'')) {
        return Fail(error, "malformed attribute");
      }
      const char quote = s_[i_ + 1];
      i_ += 2;
      auto value = Chars(quote, error);
      if (!value) return nullptr;
      if (i_ >= s_.size()) return Fail(error, "unterminated attribute");
      ++i_;
      if (!node->attrs.emplace(name, *value).second) return Fail(error, "duplicate attribute " + name);
    }
    for (;;) {
      auto text = Chars('<', error);
      if (!text) return nullptr;
      node->text += *text;
      if (i_ >= s_.size()) return Fail(error, "unterminated element " + node->name);
      if (s_.substr(i_, 2) == "</") {
        i_ += 2;
        if (Name() != node->name) return Fail(error, "mismatched end tag for " + node->name);
        SkipSpace();
        if (i_ >= s_.size() || s_[i_] != '>') return Fail(error, "malformed end tag");
        ++i_;
        return node;
      }
      auto child = Element(error);
      if (!child) return nullptr;
      node->children.push_back(std::move(child));
    }
  }

  std::string_view s_;
  size_t i_ = 0;
};

std::unique_ptr<XmlNode> ParseXml(const std::string& text) {
  std::string error;
  auto root = XmlParser(text).Parse(&error);
  EXPECT_NE(root, nullptr) << error;
  return root;
}

// Runs python3's minidom over `xml`; nullopt when python3 is not installed.
std::optional<bool> PythonParses(const std::string& xml) {
  if (std::system("command -v python3 >/dev/null 2>&1") != 0) return std::nullopt;
  const std::filesystem::path path =
      std::filesystem::temp_directory_path() / ("svsm_reports_test_" + std::to_string(getpid()) + ".xml");
  std::ofstream(path, std::ios::binary) << xml;
  const std::string cmd =
      "python3 -c 'import sys, xml.dom.minidom; xml.dom.minidom.parse(sys.argv[1])' '" + path.string() + "'";
  const int rc = std::system(cmd.c_str());
  std::filesystem::remove(path);
  return rc == 0;
}

// The start tags and end tags of an HTML page balance (void elements excepted; script bodies
// skipped), and no tag is opened inside another.
bool HtmlTagsBalance(const std::string& html, std::string* error) {
  static const std::set<std::string> kVoid = {"meta", "br", "input", "hr", "img", "link"};
  std::vector<std::string> stack;
  size_t i = 0;
  while ((i = html.find('<', i)) != std::string::npos) {
    if (html.compare(i, 9, "<!DOCTYPE") == 0) {
      i = html.find('>', i);
      continue;
    }
    const bool end = html.compare(i + 1, 1, "/") == 0;
    size_t j = i + (end ? 2 : 1);
    std::string name;
    while (j < html.size() && std::isalnum(static_cast<unsigned char>(html[j]))) name += html[j++];
    if (name.empty()) {
      *error = "a '<' that starts no tag at " + std::to_string(i);
      return false;
    }
    char quote = 0;
    for (; j < html.size(); ++j) {
      if (quote) {
        if (html[j] == quote) quote = 0;
      } else if (html[j] == '"' || html[j] == '\'') {
        quote = html[j];
      } else if (html[j] == '<') {
        *error = "'<' inside tag " + name + " at " + std::to_string(j);
        return false;
      } else if (html[j] == '>') {
        break;
      }
    }
    if (end) {
      if (stack.empty() || stack.back() != name) {
        *error = "</" + name + "> does not close " + (stack.empty() ? "anything" : "<" + stack.back() + ">");
        return false;
      }
      stack.pop_back();
    } else if (name == "script") {
      j = html.find("</script>", j);
      if (j == std::string::npos) {
        *error = "unterminated script";
        return false;
      }
      j += 8;
    } else if (!kVoid.count(name)) {
      stack.push_back(name);
    }
    i = j;
  }
  if (!stack.empty()) *error = "<" + stack.back() + "> is never closed";
  return stack.empty();
}

size_t Occurrences(const std::string& s, const std::string& what) {
  size_t n = 0;
  for (size_t i = s.find(what); i != std::string::npos; i = s.find(what, i + 1)) ++n;
  return n;
}

// The <tr> holding `marker` (the row of one rule or test).
std::string RowWith(const std::string& html, const std::string& marker) {
  const size_t at = html.find(marker);
  if (at == std::string::npos) return "";
  const size_t start = html.rfind("<tr", at);
  const size_t end = html.find("</tr>", at);
  return html.substr(start, end - start);
}

// ------------------------------------------------------------------ escaping

TEST(ReportEscaping, CleanTextKeepsValidUtf8AndMakesTheRestVisible) {
  EXPECT_EQ(CleanText("plain\ttext\nline\r"), "plain\ttext\nline\r");
  EXPECT_EQ(CleanText("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"), "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80");
  EXPECT_EQ(CleanText(std::string("a\x01" "b\x7f" "c\0d", 7)), "a\\x01b\\x7fc\\x00d");
  EXPECT_EQ(CleanText("\xff"), "\xEF\xBF\xBD");
  EXPECT_EQ(CleanText("\xC0\xAF"), "\xEF\xBF\xBD\xEF\xBF\xBD");  // overlong '/'
  EXPECT_EQ(CleanText("\xED\xA0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // surrogate
  EXPECT_EQ(CleanText("\xE2\x82"), "\xEF\xBF\xBD\xEF\xBF\xBD");  // truncated
  EXPECT_EQ(CleanText("\xEF\xBF\xBF"), "\xEF\xBF\xBD");  // U+FFFF, not XML
}

TEST(ReportEscaping, XmlAndHtmlEscapeEveryMarkupCharacter) {
  EXPECT_EQ(XmlEscape("<a href=\"x\">'&'</a>]]>", false), "&lt;a href=&quot;x&quot;&gt;&apos;&amp;&apos;&lt;/a&gt;]]&gt;");
  EXPECT_EQ(XmlEscape("a\nb\tc\rd", true), "a&#10;b&#9;c&#13;d");
  EXPECT_EQ(XmlEscape("a\nb\tc\rd", false), "a\nb\tc&#13;d");
  EXPECT_EQ(HtmlEscape("<script>\"'&"), "&lt;script&gt;&quot;&#39;&amp;");
}

// ------------------------------------------------------------------ JSON

TEST(ReportJson, ParsesAndHasTheDocumentedShape) {
  const RunReport report = HostileReport();
  const nlohmann::json j = nlohmann::json::parse(ReportJson(report));
  EXPECT_EQ(j["format"], kReportJsonFormat);
  EXPECT_EQ(j["passed"], false);
  EXPECT_EQ(j["spec_revision"], "2025-test");
  EXPECT_EQ(j["started_at"], "2025-01-02T03:04:05Z");
  EXPECT_DOUBLE_EQ(j["seconds"].get<double>(), 1.5);
  EXPECT_EQ(j["target"]["target"], kHostileTarget);
  EXPECT_EQ(j["target"]["capabilities"][1], "<b>cap</b>");

  const auto& t = j["totals"];
  EXPECT_EQ(t["tests"], 6);
  for (const char* s : {"pass", "fail", "error", "skip", "expected-fail", "flaky"}) EXPECT_EQ(t[s], 1) << s;
  EXPECT_EQ(t["claim_checks"], 2);
  EXPECT_EQ(t["claim_mismatches"], 1);
  EXPECT_EQ(t["expectation_problems"], 1);
  EXPECT_EQ(t["rules"], 7);
  EXPECT_EQ(t["rules_tested"], 5);

  ASSERT_EQ(j["results"].size(), 6u);
  const auto& fail = j["results"][1];
  for (const char* m : {"id", "status", "reason", "protocol", "call", "rules", "file", "seconds", "target_log"}) {
    EXPECT_TRUE(fail.contains(m)) << m;
  }
  EXPECT_EQ(fail["id"], kHostileId);
  EXPECT_EQ(fail["status"], "fail");
  EXPECT_EQ(fail["reason"], kScriptReason);
  EXPECT_EQ(fail["rules"], nlohmann::json({"core.x.ok", "core.x.bad"}));
  EXPECT_EQ(fail["call"], "x");
  EXPECT_DOUBLE_EQ(fail["seconds"].get<double>(), 0.125);
  // Invalid UTF-8 in a target log is replaced, not fatal.
  EXPECT_THAT(j["results"][2]["target_log"].get<std::string>(), HasSubstr("<script>alert(5)</script>"));
  EXPECT_EQ(j["results"][4]["status"], "expected-fail");
  EXPECT_EQ(j["results"][4]["call"], "");

  ASSERT_EQ(j["claim_checks"].size(), 2u);
  EXPECT_EQ(j["claim_checks"][1]["protocol"], 1);
  EXPECT_EQ(j["claim_checks"][1]["version"], 1);
  EXPECT_EQ(j["claim_checks"][1]["expected_rcx"], "0x100000001");
  EXPECT_EQ(j["claim_checks"][1]["actual_rcx"], "0x0");
  EXPECT_EQ(j["claim_checks"][1]["ok"], false);
  EXPECT_EQ(j["claim_checks"][1]["note"], report.claim_checks[1].note);
  EXPECT_EQ(j["expectation_problems"], nlohmann::json(report.expectation_problems));
  EXPECT_EQ(j["coverage"]["core.x.bad"], nlohmann::json({kHostileId, "core.x.error"}));
  EXPECT_EQ(j["coverage"]["core.y.untested"], nlohmann::json::array());
}

TEST(ReportJson, EmptyReportIsComplete) {
  const nlohmann::json j = nlohmann::json::parse(ReportJson(RunReport{}));
  EXPECT_EQ(j["passed"], true);
  EXPECT_EQ(j["results"], nlohmann::json::array());
  EXPECT_EQ(j["claim_checks"], nlohmann::json::array());
  EXPECT_EQ(j["expectation_problems"], nlohmann::json::array());
  EXPECT_EQ(j["coverage"], nlohmann::json::object());
  EXPECT_EQ(j["totals"]["tests"], 0);
  EXPECT_TRUE(j["target"].is_object());
}

// ------------------------------------------------------------------ JUnit

TEST(ReportJunit, IsWellFormedAndCountsMatch) {
  const RunReport report = HostileReport();
  const std::string xml = ReportJunit(report);
  auto root = ParseXml(xml);
  ASSERT_NE(root, nullptr) << xml;
  EXPECT_EQ(root->name, "testsuites");
  EXPECT_EQ(root->attrs["tests"], "9");  // 6 tests, 2 claim checks, 1 expectation problem
  EXPECT_EQ(root->attrs["failures"], "3");
  EXPECT_EQ(root->attrs["errors"], "1");
  EXPECT_EQ(root->attrs["skipped"], "3");
  EXPECT_EQ(root->All("testcase").size(), 9u);
  EXPECT_EQ(root->All("failure").size(), 3u);
  EXPECT_EQ(root->All("error").size(), 1u);
  EXPECT_EQ(root->All("skipped").size(), 3u);

  std::map<std::string, const XmlNode*> suites;
  for (const XmlNode* s : root->All("testsuite")) suites[s->attrs.at("name")] = s;
  ASSERT_EQ(suites.size(), 4u);
  ASSERT_TRUE(suites.count("core.x") && suites.count("core") && suites.count("claim-checks") &&
              suites.count("expectations"));
  const XmlNode* x = suites["core.x"];
  EXPECT_EQ(x->attrs.at("tests"), "4");
  EXPECT_EQ(x->attrs.at("failures"), "1");
  EXPECT_EQ(x->attrs.at("errors"), "1");
  EXPECT_EQ(x->attrs.at("skipped"), "1");
  EXPECT_EQ(suites["core"]->attrs.at("skipped"), "2");
  EXPECT_EQ(suites["claim-checks"]->attrs.at("tests"), "2");
  EXPECT_EQ(suites["claim-checks"]->attrs.at("failures"), "1");
  for (const auto& [name, s] : suites) {
    size_t cases = 0;
    for (const XmlNode* c : s->All("testcase")) {
      ++cases;
      EXPECT_EQ(c->attrs.at("classname"), name);
    }
    EXPECT_EQ(std::to_string(cases), s->attrs.at("tests")) << name;
  }

  // Hostile strings survive escaping exactly.
  const XmlNode* failed = nullptr;
  for (const XmlNode* c : x->All("testcase")) {
    if (c->attrs.at("name") == kHostileId) failed = c;
  }
  ASSERT_NE(failed, nullptr);
  ASSERT_NE(failed->Child("failure"), nullptr);
  EXPECT_EQ(failed->Child("failure")->attrs.at("message"), kScriptReason);
  EXPECT_EQ(failed->Child("failure")->text, kScriptReason);
  EXPECT_EQ(failed->Child("system-out")->text, "rules: core.x.ok, core.x.bad");
  const XmlNode* props = suites["core.x"]->Child("properties");
  ASSERT_NE(props, nullptr);
  EXPECT_EQ(props->children[0]->attrs.at("value"), kHostileTarget);
  // The log's control byte and invalid UTF-8 are made visible, never raw.
  std::string log_text;
  for (const XmlNode* e : root->All("system-err")) log_text += e->text;
  EXPECT_THAT(log_text, HasSubstr("<script>alert(5)</script>\\x1b[31m red ]]> \xEF\xBF\xBD\xEF\xBF\xBD end"));
  EXPECT_THAT(xml, Not(HasSubstr("<script>")));
  EXPECT_THAT(xml, Not(HasSubstr("<![CDATA[")));

  if (auto ok = PythonParses(xml)) {
    EXPECT_TRUE(*ok) << xml;
  }
}

TEST(ReportJunit, ClaimSuiteExistsWithoutClaimsAndEmptyRunIsWellFormed) {
  const std::string xml = ReportJunit(RunReport{});
  auto root = ParseXml(xml);
  ASSERT_NE(root, nullptr);
  EXPECT_EQ(root->attrs["tests"], "0");
  ASSERT_EQ(root->All("testsuite").size(), 1u);
  EXPECT_EQ(root->All("testsuite")[0]->attrs.at("name"), "claim-checks");
  if (auto ok = PythonParses(xml)) {
    EXPECT_TRUE(*ok) << xml;
  }
}

// ------------------------------------------------------------------ HTML

TEST(ReportHtml, EscapesEveryHostileString) {
  const std::string html = ReportHtml(HostileReport(), SmallSpec());
  // Exactly one script element: the writer's own filter.
  EXPECT_EQ(Occurrences(html, "<script"), 1u);
  EXPECT_EQ(Occurrences(html, "</script>"), 1u);
  for (const char* raw : {"<script>alert", "<img", "\"><img", "\"><script", "<b>cap", "<i>tracked", "<claim>", "<em>not markup",
                          "\x1b", "\xff"}) {
    EXPECT_THAT(html, Not(HasSubstr(raw))) << raw;
  }
  EXPECT_THAT(html, HasSubstr("evil&lt;script&gt;alert(1)&lt;/script&gt;&quot;&gt;&lt;img src=x onerror=alert(3)&gt;"));
  EXPECT_THAT(html, HasSubstr("core.x.fail&quot;&gt;&lt;script&gt;alert(4)&lt;/script&gt;"));
  EXPECT_THAT(html, HasSubstr("&lt;script&gt;alert(5)&lt;/script&gt;\\x1b[31m red ]]&gt;"));
  EXPECT_THAT(html, HasSubstr("alert(6)"));
  // Self-contained: nothing to fetch.
  for (const char* ext : {"http:", "https:", "src=\"", "@import", "url("}) EXPECT_THAT(html, Not(HasSubstr(ext))) << ext;
  std::string error;
  EXPECT_TRUE(HtmlTagsBalance(html, &error)) << error;
}

TEST(ReportHtml, ShowsHeaderTotalsClaimsExpectationsAndEveryTest) {
  const RunReport report = HostileReport();
  const std::string html = ReportHtml(report, SmallSpec());
  EXPECT_THAT(html, HasSubstr("FAILED"));
  EXPECT_THAT(html, HasSubstr("2025-01-02T03:04:05Z"));
  EXPECT_THAT(html, HasSubstr("<span class=\"badge fail\">1 fail</span>"));
  EXPECT_THAT(html, HasSubstr("<span class=\"badge pass\">1 pass</span>"));
  EXPECT_THAT(html, HasSubstr("1 claim mismatches"));
  EXPECT_THAT(html, HasSubstr("<td class=\"fail\">mismatch</td>"));
  EXPECT_THAT(html, HasSubstr("<code>0x100000001</code>"));
  EXPECT_THAT(html, HasSubstr("core.x.pass is listed as a known failure but passes"));
  for (size_t i = 0; i < report.results.size(); ++i) {
    const std::string row = RowWith(html, "<tr id=\"t-" + std::to_string(i) + "\"");
    ASSERT_FALSE(row.empty()) << i;
    EXPECT_THAT(row, HasSubstr(std::string("data-status=\"") + TestStatusName(report.results[i].status) + "\""));
    EXPECT_THAT(row, HasSubstr(HtmlEscape(report.results[i].reason)));
  }
}

TEST(ReportHtml, MatrixAndCoverageCoverEveryRuleInSpecOrder) {
  const svsm_spec::Spec spec = SmallSpec();
  const std::string html = ReportHtml(HostileReport(), spec);
  const auto rules = spec.AllRules();
  size_t last = 0;
  for (size_t i = 0; i < rules.size(); ++i) {
    const size_t at = html.find("<tr id=\"m-" + std::to_string(i) + "\"");
    ASSERT_NE(at, std::string::npos) << rules[i]->id;
    EXPECT_GT(at, last) << "matrix out of spec order at " << rules[i]->id;
    last = at;
    EXPECT_THAT(RowWith(html, "<tr id=\"m-" + std::to_string(i) + "\""), HasSubstr(">" + rules[i]->id + "</a>"));
    EXPECT_THAT(RowWith(html, "<tr id=\"r-" + std::to_string(i) + "\""), HasSubstr(">" + rules[i]->id + "</a>"));
  }
  auto matrix = [&](const std::string& id) {
    for (size_t i = 0; i < rules.size(); ++i) {
      if (rules[i]->id == id) return RowWith(html, "<tr id=\"m-" + std::to_string(i) + "\"");
    }
    return std::string();
  };
  auto coverage = [&](const std::string& id) {
    for (size_t i = 0; i < rules.size(); ++i) {
      if (rules[i]->id == id) return RowWith(html, "<tr id=\"r-" + std::to_string(i) + "\"");
    }
    return std::string();
  };
  EXPECT_THAT(matrix("core.x.ok"), HasSubstr("<td class=\"fail\">failed"));  // one pass, one fail
  EXPECT_THAT(matrix("core.x.ok"), HasSubstr("href=\"#t-0\""));
  EXPECT_THAT(matrix("core.x.ok"), HasSubstr("href=\"#t-1\""));
  EXPECT_THAT(matrix("core.x.bad"), HasSubstr("<td class=\"fail\">failed"));
  EXPECT_THAT(matrix("core.wide"), HasSubstr("<td class=\"skip\">skipped"));
  EXPECT_THAT(matrix("core.wide"), HasSubstr("needs capability &#39;vcpu-control&#39;"));  // why
  EXPECT_THAT(matrix("general.a"), HasSubstr("<td class=\"expected-fail\">known failure"));
  EXPECT_THAT(matrix("general.b"), HasSubstr("<td class=\"not-tested\">not tested"));
  EXPECT_THAT(matrix("core.y.untested"), HasSubstr("<td class=\"not-tested\">not tested"));
  EXPECT_THAT(coverage("general.b"), HasSubstr("<td class=\"not-tested\">not tested</td>"));
  EXPECT_THAT(coverage("core.y.untested"), HasSubstr("<td class=\"not-tested\">not tested</td>"));
  EXPECT_THAT(coverage("core.x.bad"), HasSubstr("href=\"#t-2\""));
  EXPECT_THAT(coverage("core.x.bad"), Not(HasSubstr("not tested")));
  // Matrix and coverage table, once each.
  EXPECT_EQ(Occurrences(html, "<td class=\"not-tested\">not tested</td>"), 4u);
  EXPECT_THAT(html, HasSubstr("SVSM_CORE_Z"));  // a call without rules still has its row
  EXPECT_THAT(html, HasSubstr("Rules the vectors name that the spec does not define"));
  EXPECT_THAT(html, HasSubstr("unknown.rule"));
}

TEST(ReportHtml, LaysOutTheShippedSpecAndMarksUntestedRules) {
  svsm_spec::LoadResult loaded = svsm_spec::LoadSpecFiles({std::filesystem::path(SVSM_SPEC_DIR)});
  ASSERT_NE(loaded.spec, nullptr);
  const svsm_spec::Spec& spec = *loaded.spec;
  const auto rules = spec.AllRules();
  ASSERT_GT(rules.size(), 100u);
  RunReport report;
  report.spec_revision = spec.metadata.spec_revision;
  for (const svsm_spec::Rule* r : rules) report.coverage[r->id];
  report.coverage[rules[3]->id] = {"t.one"};
  report.results = {Result("t.one", "vectors/x.json", "x", {rules[3]->id}, TestStatus::kPass, "")};

  const std::string html = ReportHtml(report, spec);
  for (size_t i = 0; i < rules.size(); ++i) {
    EXPECT_THAT(RowWith(html, "<tr id=\"m-" + std::to_string(i) + "\""), HasSubstr(HtmlEscape(rules[i]->id)));
    EXPECT_THAT(RowWith(html, "<tr id=\"r-" + std::to_string(i) + "\""), HasSubstr(HtmlEscape(rules[i]->id)));
  }
  for (const auto& p : spec.protocols) {
    for (const auto& c : p.calls) EXPECT_THAT(html, HasSubstr("<code>" + HtmlEscape(c.name) + "</code>"));
  }
  EXPECT_EQ(Occurrences(html, "<td class=\"not-tested\">not tested</td>"), 2 * (rules.size() - 1));
  EXPECT_THAT(RowWith(html, "<tr id=\"m-3\""), HasSubstr("<td class=\"pass\">passed"));
  std::string error;
  EXPECT_TRUE(HtmlTagsBalance(html, &error)) << error;

  const std::string text = CoverageText(report, spec);
  for (const svsm_spec::Rule* r : rules) EXPECT_THAT(text, HasSubstr("  " + r->id + ": "));
  EXPECT_EQ(Occurrences(text, ": not tested\n"), rules.size() - 1);
  EXPECT_THAT(text, HasSubstr(rules[3]->id + ": t.one\n"));
  EXPECT_THAT(text, HasSubstr("coverage: 1 of " + std::to_string(rules.size()) + " rules tested"));
}

// ------------------------------------------------------------------ text

TEST(ReportText, SummaryListsTotalsFailuresClaimsExpectationsCallsAndCoverage) {
  const std::string text = TextSummary(HostileReport());
  EXPECT_THAT(text, HasSubstr("6 tests: 1 pass, 1 fail, 1 error, 1 skip, 1 expected-fail, 1 flaky"));
  EXPECT_THAT(text, HasSubstr("result: FAILED"));
  EXPECT_THAT(text, HasSubstr(std::string("FAIL  ") + kHostileId + "  (vectors/core/x.json)"));
  EXPECT_THAT(text, HasSubstr("rax 0x1, expected \"0x0\""));
  EXPECT_THAT(text, HasSubstr("        second line"));  // continuation lines stay indented
  EXPECT_THAT(text, HasSubstr("ERROR core.x.error  (vectors/core/x.json)\n        target crashed & ]]>"));
  EXPECT_THAT(text, HasSubstr("target log:"));
  EXPECT_THAT(text, HasSubstr("\\x1b[31m"));  // the escape byte is shown, not sent to the terminal
  EXPECT_THAT(text, Not(HasSubstr("\x1b")));
  EXPECT_THAT(text, HasSubstr("protocol 1 version 1: rcx 0x0, expected 0x100000001: claimed in HELLO"));
  EXPECT_THAT(text, HasSubstr("core.x.pass is listed as a known failure but passes"));
  EXPECT_THAT(text, HasSubstr("core.x  1 pass, 1 fail, 1 error, 1 skip\n"));
  EXPECT_THAT(text, HasSubstr("core    0 pass, 0 fail, 1 expected-fail, 1 flaky\n"));
  EXPECT_THAT(text, HasSubstr("core: 3 of 4 rules tested"));
  EXPECT_THAT(text, HasSubstr("general: 1 of 2 rules tested"));
  EXPECT_THAT(text, Not(HasSubstr("core.x.skip")));  // skips are counted, not listed
}

TEST(ReportText, PassingRunSaysPassed) {
  RunReport report;
  report.results = {Result("a", "f.json", "x", {"core.x.ok"}, TestStatus::kPass, "")};
  report.coverage = {{"core.x.ok", {"a"}}};
  const std::string text = TextSummary(report);
  EXPECT_THAT(text, HasSubstr("result: PASSED"));
  EXPECT_THAT(text, Not(HasSubstr("Failures")));
  EXPECT_THAT(text, HasSubstr("core: 1 of 1 rules tested"));
}

TEST(CoverageText, GroupsByProtocolAndCallAndMarksUntested) {
  const std::string text = CoverageText(HostileReport(), SmallSpec());
  EXPECT_THAT(text, HasSubstr("general (calling convention)\n  general.a: core.scen.xfail\n  general.b: not tested\n"));
  EXPECT_THAT(text, HasSubstr("core (Core protocol, protocol 0)\n  protocol-wide\n    core.wide: core.x.skip\n"));
  EXPECT_THAT(text, HasSubstr("  SVSM_CORE_X (x, call 1)\n    core.x.ok: core.x.pass, " + std::string(kHostileId) +
                              "\n    core.x.bad: "));
  EXPECT_THAT(text, HasSubstr("  SVSM_CORE_Y (y, call 2)\n    core.y.untested: not tested\n"));
  EXPECT_THAT(text, HasSubstr("  SVSM_CORE_Z (z, call 3)\n    (no rules)\n"));
  EXPECT_THAT(text, HasSubstr("rules the vectors name that the spec does not define\n  unknown.rule: core.scen.flaky\n"));
  EXPECT_THAT(text, HasSubstr("coverage: 4 of 6 rules tested (general: 1 of 2; core: 3 of 4)"));
}

}  // namespace
}  // namespace svsm_conform
