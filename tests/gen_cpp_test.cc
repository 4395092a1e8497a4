// The C++ codec generator (codec/src/gen_cpp.cc):
//   * golden: tests/testdata/golden/cpp/input.yaml generates exactly svsm_spec_codecs.h.golden
//     and svsm_spec_codecs.cc.golden (SVSM_SPEC_UPDATE_GOLDEN=1 rewrites them instead);
//   * output is deterministic, and the rule ids of each call context are looked up from the
//     `enforces` annotations (call rules first, then protocol-wide, then general);
//   * the codecs of the golden spec and of the shipped spec compile with -Wall -Wextra -Werror.
// The behaviour of the shipped codecs is tested in tests/codecs_test.cc.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "svsm_spec/generators.h"
#include "svsm_spec/loader.h"
#include "test_support.h"

namespace svsm_spec {
namespace {

using namespace ::svsm_spec::testing_support;  // NOLINT: test helpers

namespace fs = std::filesystem;

const fs::path kGoldenDir = fs::path(SVSM_SPEC_TESTDATA_DIR) / "golden" / "cpp";
const fs::path kRuntimeInclude =
    fs::path(SVSM_SPEC_TESTDATA_DIR) / ".." / ".." / "codec" / "include";

std::string Diagnose(const LoadResult& r) {
  std::string s;
  for (const auto& d : r.diagnostics.Sorted()) s += d.Format() + "\n";
  return s;
}

std::vector<GeneratedFile> GoldenFiles() {
  LoadResult r = LoadSpecTexts({{"input.yaml", ReadFile(kGoldenDir / "input.yaml")}});
  if (!r.spec) {
    ADD_FAILURE() << Diagnose(r);
    return {};
  }
  EXPECT_EQ(r.diagnostics.warning_count(), 0u) << Diagnose(r);
  return GenerateCppCodecs(*r.spec);
}

const std::vector<GeneratedFile>& ShippedFiles() {
  static const std::vector<GeneratedFile> files = [] {
    LoadResult r = LoadSpecFiles({fs::path(SVSM_SPEC_DIR)});
    if (!r.spec) {
      ADD_FAILURE() << "shipped spec does not load:\n" << Diagnose(r);
      return std::vector<GeneratedFile>();
    }
    return GenerateCppCodecs(*r.spec);
  }();
  return files;
}

std::string FileOf(const std::vector<GeneratedFile>& files, const std::string& path) {
  for (const auto& f : files) {
    if (f.path == path) return f.content;
  }
  ADD_FAILURE() << "no generated file " << path;
  return "";
}

// Writes `files` to a scratch directory and compiles the .cc with `compiler`.
void ExpectCompiles(const std::vector<GeneratedFile>& files, const std::string& compiler) {
  if (!HaveTool(compiler)) GTEST_SKIP() << compiler << " not installed";
  const fs::path dir = ScratchDir("svsm_spec_gen_cpp");
  for (const auto& f : files) WriteFile(dir / f.path, f.content);
  std::string output;
  const std::string cmd = compiler + " -std=c++20 -Wall -Wextra -Werror -fsyntax-only -I" +
                          kRuntimeInclude.string() + " -I" + dir.string() + " " +
                          (dir / "svsm_spec_codecs.cc").string();
  EXPECT_EQ(RunCommand(cmd, dir, &output), 0) << cmd << "\n" << output;
  fs::remove_all(dir);
}

// ---------------------------------------------------------------------------------------

TEST(GenCppCodecs, GoldenOutput) {
  const std::vector<GeneratedFile> files = GoldenFiles();
  ASSERT_EQ(files.size(), 2u);
  EXPECT_EQ(files[0].path, "svsm_spec_codecs.h");
  EXPECT_EQ(files[1].path, "svsm_spec_codecs.cc");
  const char* update = std::getenv("SVSM_SPEC_UPDATE_GOLDEN");
  const bool rewrite = update != nullptr && std::string(update) == "1";
  for (const auto& f : files) {
    const fs::path golden = kGoldenDir / (f.path + ".golden");
    if (rewrite) {
      WriteFile(golden, f.content);
      continue;
    }
    ASSERT_TRUE(fs::exists(golden)) << golden << " is missing; run with SVSM_SPEC_UPDATE_GOLDEN=1";
    EXPECT_EQ(f.content, ReadFile(golden))
        << "generated " << f.path << " differs from " << golden
        << "; if the change is intended, rerun with SVSM_SPEC_UPDATE_GOLDEN=1 and review the diff";
  }
  if (rewrite) GTEST_SKIP() << "rewrote the golden files in " << kGoldenDir;
}

TEST(GenCppCodecs, Deterministic) {
  LoadResult a = LoadSpecFiles({fs::path(SVSM_SPEC_DIR)});
  LoadResult b = LoadSpecFiles({fs::path(SVSM_SPEC_DIR)});
  ASSERT_NE(a.spec, nullptr) << Diagnose(a);
  ASSERT_NE(b.spec, nullptr) << Diagnose(b);
  const auto fa = GenerateCppCodecs(*a.spec);
  const auto fb = GenerateCppCodecs(*b.spec);
  ASSERT_EQ(fa.size(), fb.size());
  for (std::size_t i = 0; i < fa.size(); ++i) {
    EXPECT_EQ(fa[i].path, fb[i].path);
    EXPECT_EQ(fa[i].content, fb[i].content);
  }
}

TEST(GenCppCodecs, GoldenRuleLookup) {
  const std::vector<GeneratedFile> files = GoldenFiles();
  const std::string cc = FileOf(files, "svsm_spec_codecs.cc");
  const std::string h = FileOf(files, "svsm_spec_codecs.h");
  // Register checks name the call's rule; structure checks are assigned per call context.
  EXPECT_NE(cc.find("return MakeError(\"demo.list.misaligned\", \"rcx\""), std::string::npos);
  EXPECT_NE(cc.find("r.entry_min_count = \"demo.list.bad-list\";"), std::string::npos);
  EXPECT_NE(cc.find("r.entry.reserved_mbz = \"demo.list.bad-list\";"), std::string::npos);
  EXPECT_NE(cc.find("r.entry.other_bits_mbz = \"demo.list.bad-list\";"), std::string::npos);
  // Rules structs default to "checked, no rule id".
  EXPECT_NE(h.find("struct DemoEntryRules {"), std::string::npos);
  EXPECT_NE(h.find("  const char* reserved_mbz = \"\";  // mbz of demo_entry.reserved"),
            std::string::npos);
  // Forms get their own request types; RAX constants are protocol << 32 | id.
  EXPECT_NE(h.find("struct DemoConfigureQueryRequest {"), std::string::npos);
  EXPECT_NE(h.find("struct DemoConfigureConfigureRequest {"), std::string::npos);
  EXPECT_NE(h.find("inline constexpr uint64_t kDemoListRax = 0x700000000;"), std::string::npos);
  // The banner.
  EXPECT_NE(h.find(std::string("// Generated by svsm-spec ") + kGeneratorVersion + " from "),
            std::string::npos);
  EXPECT_EQ(h.find("#error"), std::string::npos) << h;
}

TEST(GenCppCodecs, ShippedRuleLookup) {
  const std::string cc = FileOf(ShippedFiles(), "svsm_spec_codecs.cc");
  const std::string h = FileOf(ShippedFiles(), "svsm_spec_codecs.h");
  EXPECT_EQ(h.find("#error"), std::string::npos);
  EXPECT_NE(cc.find("r.entry.reserved_mbz = \"core.pvalidate.entry-reserved-bits\";"),
            std::string::npos);
  EXPECT_NE(cc.find("r.within_page = \"core.pvalidate.list-crosses-page\";"), std::string::npos);
  EXPECT_NE(cc.find("r.services_op.reserved_0c_mbz = \"attest.single-service.reserved-nonzero\";"),
            std::string::npos);
  EXPECT_NE(cc.find("return MakeError(\"core.pvalidate.alignment\", \"rcx\""), std::string::npos);
  // An inaccessible pointer with no call rule names the general faulting-address rule.
  EXPECT_NE(cc.find("MakeError(\"general.faulting-address\", \"rcx\""), std::string::npos);
  EXPECT_NE(h.find("inline constexpr uint64_t kCorePvalidateRax = 0x1;"), std::string::npos);
}

TEST(GenCppCodecs, GoldenCompilesWithGcc) {
  ExpectCompiles(GoldenFiles(), "g++");
}

TEST(GenCppCodecs, GoldenCompilesWithClang) {
  ExpectCompiles(GoldenFiles(), "clang++");
}

TEST(GenCppCodecs, ShippedCompilesWithClang) {
  ExpectCompiles(ShippedFiles(), "clang++");
}

}  // namespace
}  // namespace svsm_spec
