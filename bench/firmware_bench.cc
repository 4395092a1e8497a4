// Benchmarks of the reference SVSM (library svsm_ref).
//
// Each section is self-contained; BENCHMARK_MAIN() stays at the very end of the file.
#include <benchmark/benchmark.h>

#include <cstddef>
#include <cstdint>
#include <vector>

#include "svsm_ref/page_state.h"

// =======================================================================================
// Page-state table (svsm_ref::PageStateTable)
//
// What PVALIDATE costs the model as the guest grows: one iteration validates a whole range
// from a fresh table, in address order, the way a guest's boot-time acceptance loop does.
//
//   BM_PageState_ValidateTiB_2M       all of 1 TiB in 2 MiB steps (524288 Set calls).
//   BM_PageState_ValidateGiB_4K       all of 1 GiB in 4 KiB steps (262144 Set calls).
//   BM_PageState_Fragmented64GiB_2M   64 GiB in 2 MiB steps, attributes alternating every
//                                     2 MiB (VMPL1 read/write on every other page): the worst
//                                     case for the run count.
//   BM_PageState_ValidateGiB_4K_FlatBaseline
//                                     the same 1 GiB in 4 KiB steps on a flat byte-per-frame
//                                     std::vector<uint8_t>: the layout the table replaces
//                                     (fast, but 256 MiB per TiB of guest, 1 TiB for the
//                                     52-bit space). Ratio ValidateGiB_4K / this baseline.
//
// Counters (from the final state of an iteration): runs, memory_bytes (the table's own
// MemoryBytes() estimate, or the vector's bytes), memory_bytes_per_GiB (per validated GiB);
// items = Set calls (FlatMark calls for the baseline).

namespace page_state_bench {

using svsm_ref::kLargePageSize;
using svsm_ref::kPageShift;
using svsm_ref::kPageSize;
using svsm_ref::kPagesPerLargePage;
using svsm_ref::kPermRead;
using svsm_ref::kPermWrite;
using svsm_ref::PageAttrs;
using svsm_ref::PageStateTable;

constexpr uint64_t kGiB = uint64_t{1} << 30;
constexpr uint64_t kTiB = uint64_t{1} << 40;

PageAttrs Validated2M() {
  return PageAttrs{.validated = true, .validated_2m = true};
}
PageAttrs Validated4K() {
  return PageAttrs{.validated = true};
}
PageAttrs Validated2MVmpl1ReadWrite() {
  PageAttrs attrs = Validated2M();
  attrs.perms[1] = kPermRead | kPermWrite;
  return attrs;
}

void ReportTable(benchmark::State& state, const PageStateTable& table, uint64_t validated_bytes,
                 uint64_t set_calls) {
  state.counters["runs"] = static_cast<double>(table.RunCount());
  state.counters["memory_bytes"] = static_cast<double>(table.MemoryBytes());
  state.counters["memory_bytes_per_GiB"] =
      static_cast<double>(table.MemoryBytes()) / (static_cast<double>(validated_bytes) / kGiB);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * set_calls));
}

// Validates [0, bytes) in steps of `step` bytes from a fresh table.
void ValidateInOrder(benchmark::State& state, uint64_t bytes, uint64_t step,
                     const PageAttrs& attrs) {
  const uint64_t frames = bytes >> kPageShift;
  const uint64_t step_frames = step >> kPageShift;
  PageStateTable table;
  for (auto _ : state) {
    state.PauseTiming();
    table = PageStateTable{};
    state.ResumeTiming();
    for (uint64_t pfn = 0; pfn < frames; pfn += step_frames) table.Set(pfn, step_frames, attrs);
    benchmark::DoNotOptimize(table);
  }
  ReportTable(state, table, bytes, frames / step_frames);
}

void BM_PageState_ValidateTiB_2M(benchmark::State& state) {
  ValidateInOrder(state, kTiB, kLargePageSize, Validated2M());
}
BENCHMARK(BM_PageState_ValidateTiB_2M)->Unit(benchmark::kMillisecond);

void BM_PageState_ValidateGiB_4K(benchmark::State& state) {
  ValidateInOrder(state, kGiB, kPageSize, Validated4K());
}
BENCHMARK(BM_PageState_ValidateGiB_4K)->Unit(benchmark::kMicrosecond);

void BM_PageState_Fragmented64GiB_2M(benchmark::State& state) {
  constexpr uint64_t kBytes = 64 * kGiB;
  constexpr uint64_t kFrames = kBytes >> kPageShift;
  const PageAttrs even = Validated2M();
  const PageAttrs odd = Validated2MVmpl1ReadWrite();
  PageStateTable table;
  for (auto _ : state) {
    state.PauseTiming();
    table = PageStateTable{};
    state.ResumeTiming();
    bool use_odd = false;
    for (uint64_t pfn = 0; pfn < kFrames; pfn += kPagesPerLargePage) {
      table.Set(pfn, kPagesPerLargePage, use_odd ? odd : even);
      use_odd = !use_odd;
    }
    benchmark::DoNotOptimize(table);
  }
  ReportTable(state, table, kBytes, kFrames / kPagesPerLargePage);
}
BENCHMARK(BM_PageState_Fragmented64GiB_2M)->Unit(benchmark::kMillisecond);

// The baseline marks a byte per frame. Out of line, so that, like PageStateTable::Set (in
// another translation unit), each step costs one call and the loop is not fused into a memset.
[[gnu::noinline]] void FlatMark(std::vector<uint8_t>& frames, uint64_t first_pfn, uint64_t count,
                                uint8_t state_byte) {
  for (uint64_t pfn = first_pfn; pfn < first_pfn + count; ++pfn) frames[pfn] = state_byte;
}

void BM_PageState_ValidateGiB_4K_FlatBaseline(benchmark::State& state) {
  constexpr uint64_t kFrames = kGiB >> kPageShift;
  constexpr uint8_t kValidatedByte = 1;
  std::vector<uint8_t> frames;
  for (auto _ : state) {
    state.PauseTiming();
    frames.assign(kFrames, 0);  // a fresh "nothing validated" map, as the table starts
    state.ResumeTiming();
    for (uint64_t pfn = 0; pfn < kFrames; ++pfn) FlatMark(frames, pfn, 1, kValidatedByte);
    benchmark::DoNotOptimize(frames.data());
    benchmark::ClobberMemory();
  }
  state.counters["memory_bytes"] = static_cast<double>(frames.capacity());
  state.counters["memory_bytes_per_GiB"] = static_cast<double>(frames.capacity());
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kFrames));
}
BENCHMARK(BM_PageState_ValidateGiB_4K_FlatBaseline)->Unit(benchmark::kMicrosecond);

}  // namespace page_state_bench

// End of the page-state table section.
// =======================================================================================

BENCHMARK_MAIN();
