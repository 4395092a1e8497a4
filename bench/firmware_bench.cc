// Benchmarks of the reference SVSM (library svsm_ref).
//
// Each section is self-contained; BENCHMARK_MAIN() stays at the very end of the file.
#include <benchmark/benchmark.h>

#include <cstddef>
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

#include "svsm_ref/page_state.h"
#include "svsm_ref/svsm.h"
#include "svsm_spec.h"

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

// =======================================================================================
// The reference SVSM (svsm_ref::ReferenceSvsm): whole calls
//
//   BM_Svsm_QueryProtocol               one QUERY_PROTOCOL through the guest's calling
//                                       sequence (CALL_PENDING set, entry checks, decode,
//                                       dispatch, encode, CALL_PENDING cleared and exchanged).
//   BM_Svsm_QueryProtocol_EnterOnly     the SVSM side only (Enter), CALL_PENDING stored directly.
//   BM_Svsm_QueryProtocol_Baseline      the same answer from a hand-written switch on RAX
//                                       that reads and clears a CALL_PENDING byte in a flat
//                                       buffer: what the call would cost with no model, no
//                                       codec and no memory policy. Ratio = model / baseline.
//   BM_Svsm_PvalidateTiB_2M             validates all of a 1 TiB RAM region with 2 MiB
//                                       entries, 511 per PVALIDATE list (1027 calls), from a
//                                       fresh model; counters give the model's state bytes.
//   BM_Svsm_PvalidateGiB_4K/N           validates N GiB with 4 KiB entries, 511 per list.
//
// Counters: items = calls (QUERY) or list entries (PVALIDATE); state_bytes = page-state
// table plus sparse memory (MemoryBytes()) after the run; state_bytes_per_GiB per validated
// GiB.
namespace svsm_bench {

using svsm_ref::CallResult;
using svsm_ref::DefaultPlatformConfig;
using svsm_ref::MemoryRegion;
using svsm_ref::PlatformConfig;
using svsm_ref::ReferenceSvsm;
using svsm_spec::codec::RegisterSet;

constexpr uint64_t kGiB = uint64_t{1} << 30;
constexpr uint64_t kTiB = uint64_t{1} << 40;
// A PVALIDATE list at a page boundary holds at most 511 entries.
constexpr uint64_t kListGpa = 0x900000;
constexpr size_t kEntriesPerList = 511;

std::unique_ptr<ReferenceSvsm> MakeSvsm(uint64_t big_region_bytes) {
  PlatformConfig config = DefaultPlatformConfig();
  if (big_region_bytes != 0) {
    for (auto it = config.memory.begin(); it != config.memory.end();) {
      it = it->name == "high-ram" ? config.memory.erase(it) : it + 1;
    }
    MemoryRegion big;
    big.name = "bench-ram";
    big.base = uint64_t{1} << 41;  // 2 TiB: 2 MiB aligned, above every default region
    big.size = big_region_bytes;
    config.memory.push_back(big);
  }
  std::string error;
  auto svsm = ReferenceSvsm::Create(config, &error);
  if (!svsm) std::abort();
  return svsm;
}

void BM_Svsm_QueryProtocol(benchmark::State& state) {
  auto svsm = MakeSvsm(0);
  const RegisterSet in{SVSM_CORE_CALL(SVSM_CORE_QUERY_PROTOCOL), 0x1, 0, 0, 0};
  for (auto _ : state) {
    CallResult r = svsm->GuestCall(0, in);
    benchmark::DoNotOptimize(r);
  }
  if (svsm->GuestCall(0, in).regs.rcx != 0x100000001u) state.SkipWithError("wrong answer");
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_Svsm_QueryProtocol);

// The SVSM side alone: CALL_PENDING is set by a direct memory store (no guest access
// checks), then Enter runs entry checks, decode, dispatch, encode and the CALL_PENDING clear.
void BM_Svsm_QueryProtocol_EnterOnly(benchmark::State& state) {
  auto svsm = MakeSvsm(0);
  const RegisterSet in{SVSM_CORE_CALL(SVSM_CORE_QUERY_PROTOCOL), 0x1, 0, 0, 0};
  const uint64_t caa = svsm->config().startup_caa;
  const uint8_t one = 1;
  for (auto _ : state) {
    svsm->mutable_memory().Write(caa, std::span<const uint8_t>(&one, 1));
    CallResult r = svsm->Enter(0, in);
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_Svsm_QueryProtocol_EnterOnly);

// Out of line so that, like the model's entry point, each call costs one call.
[[gnu::noinline]] RegisterSet BaselineQuery(uint8_t* caa, const RegisterSet& in) {
  RegisterSet out = in;
  caa[0] = 1;  // the guest sets CALL_PENDING
  if (caa[0] == 1 && in.rax == 6) {
    const uint32_t protocol = static_cast<uint32_t>(in.rcx >> 32);
    const uint32_t version = static_cast<uint32_t>(in.rcx);
    out.rcx = protocol <= 1 && version == 1 ? 0x100000001u : 0;
    out.rax = 0;
  }
  caa[0] = 0;
  return out;
}

void BM_Svsm_QueryProtocol_Baseline(benchmark::State& state) {
  std::vector<uint8_t> caa(4096);
  const RegisterSet in{6, 0x1, 0, 0, 0};
  for (auto _ : state) {
    RegisterSet r = BaselineQuery(caa.data(), in);
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_Svsm_QueryProtocol_Baseline);

// Validates [base, base + bytes) with entries of `page` bytes, 511 per list.
void ValidateRange(ReferenceSvsm& svsm, uint64_t base, uint64_t bytes, uint64_t page,
                   benchmark::State& state) {
  const unsigned size_bits = page == svsm_ref::kLargePageSize ? 1 : 0;
  std::vector<uint8_t> list(8 + kEntriesPerList * 8);
  for (uint64_t gpa = base; gpa < base + bytes;) {
    const size_t n = static_cast<size_t>(std::min<uint64_t>(kEntriesPerList, (base + bytes - gpa) / page));
    list[0] = static_cast<uint8_t>(n);
    list[1] = static_cast<uint8_t>(n >> 8);
    list[2] = list[3] = 0;
    for (size_t i = 0; i < n; ++i, gpa += page) {
      const uint64_t entry = gpa | (1u << 2) | size_bits;
      std::memcpy(list.data() + 8 + i * 8, &entry, 8);
    }
    svsm.GuestWrite(2, kListGpa, std::span<const uint8_t>(list.data(), 8 + n * 8));
    const CallResult r = svsm.GuestCall(0, RegisterSet{SVSM_CORE_CALL(SVSM_CORE_PVALIDATE), kListGpa, 0, 0, 0});
    if (r.regs.rax != SVSM_SUCCESS) {
      state.SkipWithError("PVALIDATE failed");
      return;
    }
  }
}

void ReportState(benchmark::State& state, const ReferenceSvsm& svsm, uint64_t bytes, uint64_t page) {
  const double state_bytes =
      static_cast<double>(svsm.page_state().MemoryBytes() + svsm.memory().MemoryBytes());
  state.counters["state_bytes"] = state_bytes;
  state.counters["state_bytes_per_GiB"] = state_bytes / (static_cast<double>(bytes) / kGiB);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * (bytes / page)));
}

void BM_Svsm_PvalidateTiB_2M(benchmark::State& state) {
  std::unique_ptr<ReferenceSvsm> svsm;
  for (auto _ : state) {
    state.PauseTiming();
    svsm = MakeSvsm(kTiB);
    state.ResumeTiming();
    ValidateRange(*svsm, uint64_t{1} << 41, kTiB, svsm_ref::kLargePageSize, state);
  }
  ReportState(state, *svsm, kTiB, svsm_ref::kLargePageSize);
}
BENCHMARK(BM_Svsm_PvalidateTiB_2M)->Unit(benchmark::kMillisecond)->Iterations(3);

void BM_Svsm_PvalidateGiB_4K(benchmark::State& state) {
  const uint64_t bytes = static_cast<uint64_t>(state.range(0)) * kGiB;
  std::unique_ptr<ReferenceSvsm> svsm;
  for (auto _ : state) {
    state.PauseTiming();
    svsm = MakeSvsm(kTiB);
    state.ResumeTiming();
    ValidateRange(*svsm, uint64_t{1} << 41, bytes, svsm_ref::kPageSize, state);
  }
  ReportState(state, *svsm, bytes, svsm_ref::kPageSize);
}
BENCHMARK(BM_Svsm_PvalidateGiB_4K)->Arg(1)->Arg(4)->Unit(benchmark::kMillisecond)->Iterations(3);

}  // namespace svsm_bench

// End of the reference SVSM section.
// =======================================================================================

BENCHMARK_MAIN();
