// Benchmarks of the conformance runner (library svsm_conform) against the reference SVSM.
//
//   BM_Conform_Suite_InProcess     one iteration runs every vector of vectors/conformance
//                                  against the reference SVSM in-process (--target ref).
//   BM_Conform_Suite_Subprocess    the same through the wire protocol to svsm-ref-agent (the
//                                  C guest agent in front of the reference SVSM) over pipes.
//   BM_Call_InProcess              one QUERY_PROTOCOL through the Target interface, in-process.
//   BM_Call_Subprocess             the same over the wire to svsm-ref-agent: the ratio
//                                  Subprocess / InProcess is the per-call wire overhead.
//
// Wall-clock time throughout (UseRealTime): the subprocess spends its time in the child.
// Counters: items = tests (suites) or calls; tests_per_second on the suites.
#include <benchmark/benchmark.h>

#include <memory>
#include <string>
#include <vector>

#include "ref_target.h"
#include "svsm_conform/runner.h"
#include "svsm_conform/vectors.h"
#include "svsm_conform/wire_client.h"
#include "svsm_spec/loader.h"

namespace {

const svsm_spec::Spec& Spec() {
  static const auto loaded = svsm_spec::LoadSpecFiles({SVSM_SPEC_DIR});
  if (!loaded.spec) std::abort();
  return *loaded.spec;
}

const std::vector<svsm_conform::VectorFile>& Vectors() {
  static const std::vector<svsm_conform::VectorFile> files = [] {
    std::vector<std::string> errors;
    auto f = svsm_conform::LoadVectorFiles({SVSM_SPEC_SOURCE_DIR "/vectors/conformance"}, &errors);
    if (!errors.empty()) std::abort();
    return f;
  }();
  return files;
}

size_t TestCount() {
  size_t n = 0;
  for (const auto& f : Vectors()) n += f.tests.size();
  return n;
}

std::unique_ptr<svsm_conform::Target> MakeTarget(bool subprocess) {
  std::string error;
  if (subprocess) {
    auto t = svsm_conform::WireTarget::Exec(SVSM_REF_AGENT_PATH, svsm_conform::WireOptions{}, &error);
    if (!t) std::abort();
    return t;
  }
  auto t = svsm_cli::ReferenceTarget::Create(svsm_ref::DefaultPlatformConfig(), &error);
  if (!t) std::abort();
  return t;
}

void RunSuite(benchmark::State& state, bool subprocess) {
  auto target = MakeTarget(subprocess);
  svsm_conform::RunOptions options;
  options.spec = &Spec();
  for (auto _ : state) {
    const svsm_conform::RunReport report = svsm_conform::RunVectors(*target, Vectors(), options);
    if (!report.Passed()) state.SkipWithError("the suite failed");
    benchmark::DoNotOptimize(report.results.data());
  }
  const auto tests = static_cast<double>(TestCount());
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * TestCount()));
  state.counters["tests_per_second"] =
      benchmark::Counter(tests * static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

void BM_Conform_Suite_InProcess(benchmark::State& state) { RunSuite(state, false); }
BENCHMARK(BM_Conform_Suite_InProcess)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_Conform_Suite_Subprocess(benchmark::State& state) { RunSuite(state, true); }
BENCHMARK(BM_Conform_Suite_Subprocess)->Unit(benchmark::kMillisecond)->UseRealTime();

void RunCalls(benchmark::State& state, bool subprocess) {
  auto target = MakeTarget(subprocess);
  if (!target->Hello().ok()) std::abort();
  const svsm_conform::RegisterSet regs{6, 0x1, 0, 0, 0};
  for (auto _ : state) {
    auto r = target->Call(0, regs);
    if (!r.ok() || r.value->regs.rcx != 0x100000001u) state.SkipWithError("QUERY_PROTOCOL failed");
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}

void BM_Call_InProcess(benchmark::State& state) { RunCalls(state, false); }
BENCHMARK(BM_Call_InProcess)->UseRealTime();

void BM_Call_Subprocess(benchmark::State& state) { RunCalls(state, true); }
BENCHMARK(BM_Call_Subprocess)->Unit(benchmark::kMicrosecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
