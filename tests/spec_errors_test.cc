// The malformed-spec corpus: every tests/testdata/spec_errors/NN-name.yaml holds one defect
// and is loaded after base.yaml (a small valid spec); the loader must report exactly the
// diagnostics in NN-name.expected (Diagnostic::Format() lines in Diagnostics::Sorted()
// order). Plus a robustness test feeding the loader garbage and mutated specs.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "svsm_spec/loader.h"

#if defined(__linux__)
#include <sys/resource.h>
#include <unistd.h>

#include "test_support.h"
#endif

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define SVSM_SPEC_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || \
    __has_feature(memory_sanitizer)
#define SVSM_SPEC_SANITIZED 1
#endif
#endif

namespace svsm_spec {
namespace {

using namespace ::svsm_spec::testing_support;  // NOLINT: test helpers

namespace fs = std::filesystem;

#ifndef SVSM_SPEC_TESTDATA_DIR
#error "SVSM_SPEC_TESTDATA_DIR must name tests/testdata"
#endif

fs::path CorpusDir() {
  return fs::path(SVSM_SPEC_TESTDATA_DIR) / "spec_errors";
}

// Lines without their terminators (tolerates CRLF checkouts); no trailing empty line.
std::vector<std::string> SplitLines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(line);
  }
  return lines;
}

std::string JoinLines(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

// The case files (NN-name.yaml), sorted; base.yaml is not a case.
std::vector<std::string> CaseNames() {
  std::vector<std::string> names;
  std::error_code ec;
  for (fs::directory_iterator it(CorpusDir(), ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (it->path().extension() == ".yaml" && name != "base.yaml") names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::vector<std::string> FormatSorted(const Diagnostics& diagnostics) {
  std::vector<std::string> lines;
  for (const auto& d : diagnostics.Sorted()) lines.push_back(d.Format());
  return lines;
}

LoadResult LoadWithBase(const std::string& case_name) {
  return LoadSpecTexts({{"base.yaml", ReadFile(CorpusDir() / "base.yaml")},
                        {case_name, ReadFile(CorpusDir() / case_name)}});
}

fs::path ExpectedPath(const std::string& case_name) {
  return (CorpusDir() / case_name).replace_extension(".expected");
}

TEST(SpecErrorsBase, LoadsWithoutDiagnostics) {
  const std::string base = ReadFile(CorpusDir() / "base.yaml");
  ASSERT_FALSE(base.empty()) << "cannot read " << (CorpusDir() / "base.yaml");
  LoadResult result = LoadSpecTexts({{"base.yaml", base}});
  EXPECT_EQ(JoinLines(FormatSorted(result.diagnostics)), "");
  ASSERT_NE(result.spec, nullptr);
  EXPECT_EQ(result.spec->protocols.size(), 1u);
}

class SpecErrorCase : public testing::TestWithParam<std::string> {};

TEST_P(SpecErrorCase, ReportsExactlyTheExpectedDiagnostics) {
  const std::string name = GetParam();
  const fs::path expected_path = ExpectedPath(name);
  ASSERT_TRUE(fs::exists(expected_path)) << "missing " << expected_path;
  const std::vector<std::string> expected = SplitLines(ReadFile(expected_path));
  ASSERT_FALSE(expected.empty()) << expected_path << " is empty: every case must be diagnosed";

  LoadResult result = LoadWithBase(name);
  const std::vector<std::string> actual = FormatSorted(result.diagnostics);
  // Multi-line string comparison: gtest prints a line diff on mismatch.
  EXPECT_EQ(JoinLines(expected), JoinLines(actual))
      << "diagnostics of base.yaml + " << name << " differ from " << expected_path;

  const bool expects_error = std::any_of(expected.begin(), expected.end(), [](const auto& l) {
    return l.find(": error: ") != std::string::npos;
  });
  if (expects_error) {
    EXPECT_EQ(result.spec, nullptr) << name << ": a spec with errors must not be handed out";
  } else {
    EXPECT_NE(result.spec, nullptr) << name << ": warnings alone must not stop the spec loading";
    EXPECT_EQ(result.diagnostics.error_count(), 0u);
  }
}

INSTANTIATE_TEST_SUITE_P(Corpus, SpecErrorCase, testing::ValuesIn(CaseNames()),
                         [](const testing::TestParamInfo<std::string>& info) {
                           std::string id = fs::path(info.param).stem().string();
                           for (char& c : id) {
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           }
                           return "c" + id;
                         });
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(SpecErrorCase);

TEST(SpecErrorsCorpus, HasAtLeastFortyDistinctCases) {
  const std::vector<std::string> names = CaseNames();
  EXPECT_GE(names.size(), 40u) << "corpus directory " << CorpusDir();
  // Distinct defects: the first expected message differs from every other case's once the
  // location and the case's own file name are taken out.
  static const std::regex kLocation(R"(^[^:]*:[0-9]+:[0-9]+: )");
  std::map<std::string, std::string> first_lines;
  for (const auto& name : names) {
    EXPECT_TRUE(std::regex_match(name, std::regex(R"([0-9]{2,3}-[a-z0-9-]+\.yaml)")))
        << name << " is not named NN-short-name.yaml";
    const std::vector<std::string> expected = SplitLines(ReadFile(ExpectedPath(name)));
    if (expected.empty()) continue;  // reported by the case itself
    std::string key = std::regex_replace(expected.front(), kLocation, "");
    for (std::size_t at; (at = key.find(name)) != std::string::npos;) {
      key.replace(at, name.size(), "<case>");
    }
    auto [it, inserted] = first_lines.emplace(key, name);
    EXPECT_TRUE(inserted) << name << " and " << it->second
                          << " start with the same diagnostic: " << key;
  }
}

// Caps the address space while garbage is parsed, so that a parser which runs away
// allocating (yaml-cpp 0.7's LoadAll loops on a stray ',': jbeder/yaml-cpp#1040) fails
// with bad_alloc within a second or two instead of exhausting the machine. Not under
// sanitizers, which reserve huge amounts of address space.
class AddressSpaceCap {
 public:
  explicit AddressSpaceCap(uint64_t headroom) {
#if defined(__linux__) && !defined(SVSM_SPEC_SANITIZED)
    if (getrlimit(RLIMIT_AS, &saved_) != 0) return;
    std::ifstream statm("/proc/self/statm");
    uint64_t pages = 0;
    if (!(statm >> pages)) return;
    const uint64_t want = pages * static_cast<uint64_t>(sysconf(_SC_PAGESIZE)) + headroom;
    if (saved_.rlim_cur != RLIM_INFINITY && saved_.rlim_cur <= want) return;
    rlimit cap = saved_;
    cap.rlim_cur = want;
    active_ = setrlimit(RLIMIT_AS, &cap) == 0;
#else
    (void)headroom;
#endif
  }
  ~AddressSpaceCap() {
#if defined(__linux__) && !defined(SVSM_SPEC_SANITIZED)
    if (active_) setrlimit(RLIMIT_AS, &saved_);
#endif
  }
  AddressSpaceCap(const AddressSpaceCap&) = delete;
  AddressSpaceCap& operator=(const AddressSpaceCap&) = delete;

 private:
#if defined(__linux__) && !defined(SVSM_SPEC_SANITIZED)
  rlimit saved_{};
  bool active_ = false;
#endif
};

constexpr uint64_t kGarbageHeadroom = 256ull << 20;

// The input as a C string literal, to paste into a reproducer.
std::string Escaped(const std::string& text) {
  std::string out = "\"";
  for (unsigned char c : text) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c >= 0x20 && c < 0x7F) {
      out += static_cast<char>(c);
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02X\"\"", c);
      out += buf;
    }
  }
  return out + "\"";
}

// Garbage in, diagnostics out: never a throw, never running out of memory, and every
// refusal says where. Returns false (after recording a failure) when the loader misbehaved.
bool ExpectGracefulRefusal(const std::string& name, const std::string& text,
                           const std::string& label) {
  LoadResult result;
  try {
    result = LoadSpecTexts({{name, text}});
  } catch (const std::exception& e) {
    ADD_FAILURE() << label << ": LoadSpecTexts threw: " << e.what() << "\ninput: " << Escaped(text);
    return false;
  } catch (...) {
    ADD_FAILURE() << label << ": LoadSpecTexts threw a non-std exception\ninput: " << Escaped(text);
    return false;
  }
  const auto& all = result.diagnostics.all();
  const bool exhausted = std::any_of(all.begin(), all.end(), [](const Diagnostic& d) {
    return d.message.find("bad_alloc") != std::string::npos;
  });
  EXPECT_FALSE(exhausted) << label << ": the loader ran out of memory on " << text.size()
                          << " bytes of input: " << Escaped(text);
  if (exhausted) return false;
  if (result.spec != nullptr) return true;
  const bool located = std::any_of(all.begin(), all.end(), [](const Diagnostic& d) {
    return d.severity == Severity::kError && d.loc.line >= 1;
  });
  EXPECT_TRUE(located) << label << ": refused without an error that has a line; input "
                       << Escaped(text) << "\ndiagnostics:\n"
                       << JoinLines(FormatSorted(result.diagnostics));
  return located;
}

// yaml-cpp 0.7 loops forever, allocating, on a ',' outside any flow collection.
TEST(SpecErrorsGarbage, StrayCommaIsRefusedPromptly) {
  AddressSpaceCap cap(kGarbageHeadroom);
  EXPECT_TRUE(ExpectGracefulRefusal("comma.yaml", ",\n", "stray comma"));
  EXPECT_TRUE(ExpectGracefulRefusal("comma.yaml", "spec_format: 1\n,\n", "comma after a key"));
}

TEST(SpecErrorsGarbage, RandomAndMutatedInputsNeverThrow) {
  const std::string base = ReadFile(CorpusDir() / "base.yaml");
  ASSERT_FALSE(base.empty());
  AddressSpaceCap cap(kGarbageHeadroom);
  // mt19937's output is fixed by the standard (distributions are not): same inputs everywhere.
  std::mt19937 rng(20250806);
  auto below = [&](std::size_t n) { return static_cast<std::size_t>(rng() % n); };
  // Bytes YAML gives meaning to, so that random text gets past the tokenizer sometimes.
  static const std::string kYamlish = "{}[]:,-#&*!|>'\"\n\n  \t?%@`~0x19abz_.";
  int failures = 0;
  for (int i = 0; i < 1000; ++i) {
    std::string text(below(256), '\0');
    const bool yamlish = i % 2 == 0;
    for (char& c : text) {
      c = yamlish ? kYamlish[below(kYamlish.size())] : static_cast<char>(below(256));
    }
    if (!ExpectGracefulRefusal("garbage.yaml", text, "random input " + std::to_string(i))) {
      ASSERT_LT(++failures, 5) << "too many failures; stopping";
    }
  }
  for (int i = 0; i < 1000; ++i) {
    std::string text = base;
    const std::size_t edits = 1 + below(8);
    for (std::size_t e = 0; e < edits; ++e) {
      switch (below(3)) {
        case 0:  // flip
          if (!text.empty()) text[below(text.size())] ^= static_cast<char>(1u << below(8));
          break;
        case 1: {  // insert (one draw per statement: argument order is unspecified)
          const std::size_t at = below(text.size() + 1);
          const char c =
              below(2) ? kYamlish[below(kYamlish.size())] : static_cast<char>(below(256));
          text.insert(at, 1, c);
          break;
        }
        default:  // delete a short run
          if (!text.empty()) {
            const std::size_t at = below(text.size());
            text.erase(at, 1 + below(std::min<std::size_t>(16, text.size() - at)));
          }
          break;
      }
    }
    if (!ExpectGracefulRefusal("base.yaml", text, "mutation " + std::to_string(i))) {
      ASSERT_LT(++failures, 5) << "too many failures; stopping";
    }
  }
}

}  // namespace
}  // namespace svsm_spec
