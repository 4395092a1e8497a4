// `svsm-spec conform`: runs the conformance vectors against a target and writes the reports.
//
// Exit codes (docs/cli.md): 0 every test passed (known failures and flaky tests as the
// expectation file says), every QUERY_PROTOCOL answer matched the claims; 1 a test failed or
// errored, a claim check failed, or the expectation file is stale; 2 usage error or invalid
// input (spec, vectors, platform file, expectation file), or a report could not be written;
// 3 the target could not be started or never answered HELLO.
#include "conform.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <iostream>

#include "ref_target.h"
#include "serve.h"
#include "svsm_conform/reports.h"
#include "svsm_conform/runner.h"
#include "svsm_conform/vectors.h"
#include "svsm_conform/wire_client.h"
#include "svsm_ref/faults.h"
#include "svsm_spec/loader.h"

namespace svsm_cli {
namespace {

constexpr int kExitTargetUnusable = 3;

bool WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) {
    std::cerr << "conform: cannot write " << path << '\n';
    return false;
  }
  return true;
}

// One line redrawn in place on a terminal: [#####.....] done/total id
void DrawProgress(const svsm_conform::TestResult& r, size_t done, size_t total) {
  constexpr int kWidth = 30;
  const int filled = total == 0 ? kWidth : static_cast<int>(kWidth * done / total);
  std::string bar(static_cast<size_t>(filled), '#');
  bar.append(static_cast<size_t>(kWidth - filled), '.');
  std::string id = r.id.size() > 40 ? r.id.substr(0, 37) + "..." : r.id;
  std::fprintf(stderr, "\r[%s] %zu/%zu %-40s", bar.c_str(), done, total, id.c_str());
  if (done == total) std::fprintf(stderr, "\r%*s\r", kWidth + 60, "");
  std::fflush(stderr);
}

// The expectation file rewritten to match this run: failures become known failures (an
// existing reason is kept), tests that pass or no longer exist leave the file, flaky
// entries stay while their tests exist.
svsm_conform::Expectations FixedExpectations(const svsm_conform::RunReport& report,
                                             const svsm_conform::Expectations* old,
                                             const std::vector<svsm_conform::VectorFile>& files) {
  svsm_conform::Expectations fixed;
  std::set<std::string> existing;
  for (const auto& f : files) {
    for (const auto& t : f.tests) existing.insert(t.id);
  }
  if (old) {
    for (const auto& [id, reason] : old->flaky) {
      if (existing.count(id)) fixed.flaky[id] = reason;
    }
  }
  for (const auto& r : report.results) {
    using S = svsm_conform::TestStatus;
    if (r.status != S::kFail && r.status != S::kError && r.status != S::kExpectedFail) continue;
    if (fixed.flaky.count(r.id)) continue;
    std::string reason = r.reason;
    if (old && old->known_failures.count(r.id)) reason = old->known_failures.at(r.id);
    fixed.known_failures[r.id] = reason;
  }
  return fixed;
}

}  // namespace

void AddConformOptions(CLI::App* conform, ConformOptions& opts) {
  conform->add_option("paths", opts.vector_paths,
                      "Vector files or directories (default: " SVSM_SPEC_SOURCE_DIR "/vectors/conformance)");
  conform->add_option("--target", opts.target, "ref, exec:CMD, tcp:HOST:PORT or unix:PATH")->capture_default_str();
  conform->add_option("--platform", opts.platform, "Platform file of the reference target (--target ref)")
      ->check(CLI::ExistingFile);
  conform->add_option("--fault", opts.faults,
                      "Inject this fault into the reference target (repeatable; mutation testing, "
                      "firmware_ref/README.md \"Fault injection\")")
      ->check(CLI::Validator(
          [](std::string& name) {
            return svsm_ref::FaultByName(name) ? std::string()
                                               : "unknown fault '" + name + "' (firmware_ref/README.md lists them)";
          },
          "FAULT", "fault"));
  conform->add_option("--spec", opts.spec_paths, "Spec files or directories (default: " SVSM_SPEC_DEFAULT_DIR ")")
      ->check(CLI::ExistingPath);
  conform->add_option("--protocol", opts.protocol, "Only vectors of this protocol key (core, attest, ...)");
  conform->add_option("--call", opts.call, "Only vectors of this call (e.g. SVSM_CORE_PVALIDATE)");
  conform->add_option("--rule", opts.rule, "Only tests of this rule id");
  conform->add_option("--id", opts.id_glob, "Only tests whose id matches this glob (* and ?)");
  conform->add_option("--expect", opts.expectations, "Expectation file: known failures and flaky tests");
  conform->add_flag("--fix", opts.fix, "Rewrite the expectation file to match this run");
  conform->add_option("--json", opts.json_out, "Write the JSON report here (docs/conformance-report.md)");
  conform->add_option("--junit", opts.junit_out, "Write JUnit XML here");
  conform->add_option("--html", opts.html_out, "Write the self-contained HTML report here");
  conform->add_option("--coverage", opts.coverage_out, "Write the per-rule coverage report (text) here");
  conform->add_option("--timeout", opts.timeout_seconds, "Seconds to wait for each target response")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
}

int RunConform(const ConformOptions& opts) {
  // The spec: result-code names, rules (coverage, report layout).
  std::vector<std::filesystem::path> spec_paths(opts.spec_paths.begin(), opts.spec_paths.end());
  if (spec_paths.empty()) spec_paths.emplace_back(SVSM_SPEC_DEFAULT_DIR);
  svsm_spec::LoadResult loaded = svsm_spec::LoadSpecFiles(spec_paths);
  if (!loaded.spec) {
    for (const auto& d : loaded.diagnostics.Sorted()) std::cerr << d.Format() << '\n';
    return kExitUsage;
  }
  const svsm_spec::Spec& spec = *loaded.spec;

  std::vector<std::string> vector_paths = opts.vector_paths;
  if (vector_paths.empty()) vector_paths.push_back(SVSM_SPEC_SOURCE_DIR "/vectors/conformance");
  std::vector<std::string> errors;
  const std::vector<svsm_conform::VectorFile> files = svsm_conform::LoadVectorFiles(vector_paths, &errors);
  for (const std::string& e : errors) std::cerr << e << '\n';
  if (!errors.empty()) return kExitUsage;

  std::optional<svsm_conform::Expectations> expectations;
  if (!opts.expectations.empty()) {
    std::string error;
    if (std::filesystem::exists(opts.expectations)) {
      expectations = svsm_conform::LoadExpectations(opts.expectations, &error);
      if (!expectations) {
        std::cerr << "conform: " << error << '\n';
        return kExitUsage;
      }
    } else if (!opts.fix) {
      std::cerr << "conform: " << opts.expectations << " does not exist (use --fix to create it)\n";
      return kExitUsage;
    }
  }

  std::unique_ptr<svsm_conform::Target> target;
  std::string error;
  if (opts.target == "ref") {
    svsm_ref::PlatformConfig config = svsm_ref::DefaultPlatformConfig();
    if (!opts.platform.empty()) {
      svsm_spec::Diagnostics diags;
      auto platform = svsm_ref::LoadPlatformConfigFile(opts.platform, diags);
      for (const auto& d : diags.Sorted()) std::cerr << d.Format() << '\n';
      if (!platform) return kExitUsage;
      config = *platform;
    }
    for (const std::string& fault : opts.faults) {
      if (std::find(config.faults.begin(), config.faults.end(), fault) == config.faults.end()) {
        config.faults.push_back(fault);
      }
    }
    target = ReferenceTarget::Create(config, &error);
  } else {
    if (!opts.faults.empty()) {
      std::cerr << "conform: --fault needs --target ref (faults are injected into the reference SVSM)\n";
      return kExitUsage;
    }
    auto spec_target = svsm_conform::ParseTargetSpec(opts.target, &error);
    if (!spec_target) {
      std::cerr << "conform: --target: " << error << '\n';
      return kExitUsage;
    }
    svsm_conform::WireOptions wire;
    wire.timeout = std::chrono::milliseconds(static_cast<int64_t>(opts.timeout_seconds * 1000));
    target = svsm_conform::WireTarget::Open(*spec_target, wire, &error);
  }
  if (!target) {
    std::cerr << "conform: cannot start the target: " << error << '\n';
    return kExitTargetUnusable;
  }

  svsm_conform::RunOptions run;
  run.spec = &spec;
  run.protocol = opts.protocol;
  run.call = opts.call;
  run.rule = opts.rule;
  run.id_glob = opts.id_glob;
  run.expectations = expectations ? &*expectations : nullptr;
  if (!opts.quiet && ::isatty(STDERR_FILENO)) run.progress = DrawProgress;
  const svsm_conform::RunReport report = svsm_conform::RunVectors(*target, files, run);

  const bool no_hello = !report.results.empty() &&
                        std::all_of(report.results.begin(), report.results.end(), [](const auto& r) {
                          return r.status == svsm_conform::TestStatus::kError &&
                                 r.reason.rfind("the target did not answer HELLO", 0) == 0;
                        });
  if (!opts.quiet) std::cout << svsm_conform::TextSummary(report);

  bool written = true;
  if (!opts.json_out.empty()) written &= WriteFile(opts.json_out, svsm_conform::ReportJson(report));
  if (!opts.junit_out.empty()) written &= WriteFile(opts.junit_out, svsm_conform::ReportJunit(report));
  if (!opts.html_out.empty()) written &= WriteFile(opts.html_out, svsm_conform::ReportHtml(report, spec));
  if (!opts.coverage_out.empty()) written &= WriteFile(opts.coverage_out, svsm_conform::CoverageText(report, spec));
  if (opts.fix && !opts.expectations.empty()) {
    const auto fixed = FixedExpectations(report, expectations ? &*expectations : nullptr, files);
    written &= WriteFile(opts.expectations, svsm_conform::ExpectationsToJson(fixed));
    if (!opts.quiet) std::cout << "conform: rewrote " << opts.expectations << '\n';
  }
  if (!written) return kExitUsage;
  if (no_hello) return kExitTargetUnusable;
  if (opts.fix) return kExitOk;  // the file now describes this run
  return report.Passed() ? kExitOk : kExitInputErrors;
}

}  // namespace svsm_cli
