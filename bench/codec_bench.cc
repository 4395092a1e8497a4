// The generated C++ codecs (svsm_spec_codecs) against a hand-written baseline in the same
// binary: decode and encode of a full PVALIDATE list (510 entries, the most a list at
// CAA + 8 holds) and of the Attest Services Operation (0x40 bytes).
//
// The baseline does exactly the checks the generated decoder runs with the call's rules
// (CorePvalidateRequest::ListRules(), AttestServicesRequest::OpGpaRules()), in the same
// order, and nothing more; what it leaves out is the generated code's machinery (Result,
// CodecError, std::vector storage, rule ids). It reports failures as a small enum. Its
// functions are noinline so both sides pay one out-of-line call per operation.
//
// Pairs are named BM_<Op>_Generated / BM_<Op>_Baseline; bench/compare.py prints the ratio
// generated/baseline of the median real time. Goal: <= 1.10 (see bench/README.md).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <vector>

#include "flat_memory.h"
#include "svsm_spec/codec_runtime.h"
#include "svsm_spec_codecs.h"

namespace {

namespace codec = svsm_spec::codec;
namespace gen = svsm_spec::codec::gen;

constexpr uint64_t kCaa = 0x7f000000;
constexpr uint64_t kListGpa = kCaa + 8;         // where Linux and EDK2 place the list
constexpr size_t kListEntries = 510;            // the most a list at CAA + 8 holds
constexpr uint64_t kOpGpa = kCaa + 0x1000 + 8;  // CAA + 8 of a second calling area

// ---------------------------------------------------------------------------------------
// Hand-written baseline: plain structs, memcpy-based little-endian loads and stores.

namespace baseline {

inline uint16_t Load16(const uint8_t* p) {
  uint16_t v;
  std::memcpy(&v, p, sizeof v);
  if constexpr (std::endian::native == std::endian::big) v = __builtin_bswap16(v);
  return v;
}
inline uint32_t Load32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, sizeof v);
  if constexpr (std::endian::native == std::endian::big) v = __builtin_bswap32(v);
  return v;
}
inline uint64_t Load64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, sizeof v);
  if constexpr (std::endian::native == std::endian::big) v = __builtin_bswap64(v);
  return v;
}
inline void Store16(uint8_t* p, uint16_t v) {
  if constexpr (std::endian::native == std::endian::big) v = __builtin_bswap16(v);
  std::memcpy(p, &v, sizeof v);
}
inline void Store32(uint8_t* p, uint32_t v) {
  if constexpr (std::endian::native == std::endian::big) v = __builtin_bswap32(v);
  std::memcpy(p, &v, sizeof v);
}
inline void Store64(uint8_t* p, uint64_t v) {
  if constexpr (std::endian::native == std::endian::big) v = __builtin_bswap64(v);
  std::memcpy(p, &v, sizeof v);
}

// `size` bytes at `address` stay inside one 4 KiB page.
inline bool WithinPage(uint64_t address, uint64_t size) {
  return size <= 4096 && (address & 0xfff) + size <= 4096;
}
// address + size - 1 does not wrap (size >= 1).
inline bool RangeFits(uint64_t address, uint64_t size) {
  return address <= UINT64_MAX - (size - 1);
}

enum class Error : uint8_t {
  kOk,
  kBadRax,
  kShort,
  kMisaligned,        // core.pvalidate.alignment, attest.services.op-misaligned
  kCrossesPage,       // core.pvalidate.list-crosses-page, attest.services.op-crosses-page
  kInaccessible,      // general.faulting-address
  kEntriesZero,       // core.pvalidate.entries-zero
  kTooManyEntries,    // core.pvalidate.list-crosses-page (max_count)
  kEntryPageSize,     // core.pvalidate.entry-page-size
  kEntryAction,       // enum of pvalidate_entry.action (no rule)
  kEntryReserved,     // core.pvalidate.entry-reserved-bits
  kEntryOverflow,     // core.pvalidate.entry-not-guest-memory
  kBufferMisaligned,  // attest.services.buffer-misaligned
  kBufferWraps,       // attest.services.buffer-inaccessible
  kReservedNonzero,   // attest.services.reserved-nonzero
};

struct PvalidateEntry {
  uint8_t page_size;
  uint8_t action;
  uint8_t ignore_cf;
  uint8_t reserved;
  uint64_t pfn;
};

struct PvalidateList {
  uint16_t entries;
  uint16_t next;
  uint8_t reserved[4];
  uint32_t count;          // entries decoded into `entry`
  uint32_t failing_index;  // set by the per-entry errors
  PvalidateEntry entry[511];
};

struct PvalidateRequest {
  uint64_t list;
  PvalidateList pvalidate_list;
};

struct AttestServicesOp {
  uint64_t report_gpa;
  uint32_t report_size;
  uint8_t reserved_0c[4];
  uint64_t nonce_gpa;
  uint16_t nonce_size;
  uint8_t reserved_1a[6];
  uint64_t manifest_gpa;
  uint32_t manifest_size;
  uint8_t reserved_2c[4];
  uint64_t certs_gpa;
  uint32_t certs_size;
  uint8_t reserved_3c[4];
};

struct AttestServicesRequest {
  uint64_t op_gpa;
  AttestServicesOp op;
};

constexpr size_t kPvalidateHeader = 8;
constexpr uint32_t kPvalidateMaxEntries = 511;  // max_count; 8 + 511 * 8 = 4096 = max_size
constexpr size_t kAttestOpSize = 0x40;
constexpr uint64_t kPvalidateRax = 0x1;
constexpr uint64_t kAttestServicesRax = uint64_t{1} << 32;

// The checks of PvalidateList::Decode with CorePvalidateRequest::ListRules().
[[gnu::noinline]] Error DecodePvalidateList(std::span<const uint8_t> bytes, PvalidateList* out) {
  if (bytes.size() < kPvalidateHeader) return Error::kShort;
  const uint8_t* p = bytes.data();
  out->entries = Load16(p);
  out->next = Load16(p + 2);
  std::memcpy(out->reserved, p + 4, 4);  // reserved, not mbz: kept verbatim
  const uint32_t n = out->entries;
  if (n < 1) return Error::kEntriesZero;
  if (n > kPvalidateMaxEntries) return Error::kTooManyEntries;
  if (bytes.size() < kPvalidateHeader + size_t{n} * 8) return Error::kShort;
  for (uint32_t i = 0; i < n; ++i) {
    const uint64_t raw = Load64(p + kPvalidateHeader + size_t{i} * 8);
    PvalidateEntry& e = out->entry[i];
    e.page_size = static_cast<uint8_t>(raw & 0x3);
    e.action = static_cast<uint8_t>((raw >> 2) & 0x1);
    e.ignore_cf = static_cast<uint8_t>((raw >> 3) & 0x1);
    e.reserved = static_cast<uint8_t>((raw >> 4) & 0xff);
    e.pfn = raw >> 12;
    Error err = Error::kOk;
    if (e.page_size > 1) {
      err = Error::kEntryPageSize;
    } else if (e.action > 1) {  // a 1-bit field: never fails, checked as the enum requires
      err = Error::kEntryAction;
    } else if (e.reserved != 0) {
      err = Error::kEntryReserved;
    } else if (e.pfn > (UINT64_MAX >> 12) || !RangeFits(e.pfn << 12, 0x1000)) {
      err = Error::kEntryOverflow;  // pfn << 12 .. + 0xfff must not wrap
    }
    if (err != Error::kOk) {
      out->failing_index = i;
      return err;
    }
  }
  out->count = n;
  return Error::kOk;
}

// The checks of CorePvalidateRequest::Decode: registers, then two guest reads (header,
// then the whole list) into a stack buffer.
[[gnu::noinline]] Error DecodePvalidateRequest(const codec::RegisterSet& regs,
                                               const codec::GuestMemory& memory,
                                               PvalidateRequest* out) {
  if (regs.rax != kPvalidateRax) return Error::kBadRax;
  if (regs.rcx % 8 != 0) return Error::kMisaligned;
  out->list = regs.rcx;
  const uint64_t gpa = regs.rcx;
  if (!WithinPage(gpa, kPvalidateHeader)) return Error::kCrossesPage;
  alignas(8) uint8_t buf[4096];
  if (!memory.Read(gpa, std::span<uint8_t>(buf, kPvalidateHeader))) return Error::kInaccessible;
  const uint32_t n = Load16(buf);
  if (n < 1) return Error::kEntriesZero;
  if (n > kPvalidateMaxEntries) return Error::kTooManyEntries;
  const size_t total = kPvalidateHeader + size_t{n} * 8;
  if (!WithinPage(gpa, total)) return Error::kCrossesPage;
  if (!memory.Read(gpa, std::span<uint8_t>(buf, total))) return Error::kInaccessible;
  return DecodePvalidateList(std::span<const uint8_t>(buf, total), &out->pvalidate_list);
}

// PvalidateList::EncodeTo: raw, writes the header and the `count` entries as held.
[[gnu::noinline]] void EncodePvalidateList(const PvalidateList& in, std::span<uint8_t> out) {
  uint8_t* p = out.data();
  Store16(p, in.entries);
  Store16(p + 2, in.next);
  std::memcpy(p + 4, in.reserved, 4);
  for (uint32_t i = 0; i < in.count; ++i) {
    const PvalidateEntry& e = in.entry[i];
    const uint64_t raw = (uint64_t{e.page_size} & 0x3) | (uint64_t{e.action} & 0x1) << 2 |
                         (uint64_t{e.ignore_cf} & 0x1) << 3 | (uint64_t{e.reserved} & 0xff) << 4 |
                         (e.pfn & 0xfffffffffffff) << 12;
    Store64(p + kPvalidateHeader + size_t{i} * 8, raw);
  }
}

inline bool Zero4(const uint8_t* p) {
  return Load32(p) == 0;
}
inline bool Zero6(const uint8_t* p) {
  return Load32(p) == 0 && Load16(p + 4) == 0;
}

// The checks of AttestServicesOp::Decode with AttestServicesRequest::OpGpaRules().
[[gnu::noinline]] Error DecodeAttestServicesOp(std::span<const uint8_t> bytes,
                                               AttestServicesOp* out) {
  if (bytes.size() < kAttestOpSize) return Error::kShort;
  const uint8_t* p = bytes.data();
  out->report_gpa = Load64(p + 0x0);
  if (out->report_gpa % 0x1000 != 0) return Error::kBufferMisaligned;
  if (!RangeFits(out->report_gpa, 0x4a0)) return Error::kBufferWraps;
  out->report_size = Load32(p + 0x8);
  if (!Zero4(p + 0xc)) return Error::kReservedNonzero;
  std::memcpy(out->reserved_0c, p + 0xc, 4);
  out->nonce_gpa = Load64(p + 0x10);
  out->nonce_size = Load16(p + 0x18);
  if (!Zero6(p + 0x1a)) return Error::kReservedNonzero;
  std::memcpy(out->reserved_1a, p + 0x1a, 6);
  out->manifest_gpa = Load64(p + 0x20);
  if (out->manifest_gpa % 0x1000 != 0) return Error::kBufferMisaligned;
  if (!RangeFits(out->manifest_gpa, 0x1000)) return Error::kBufferWraps;
  out->manifest_size = Load32(p + 0x28);
  if (!Zero4(p + 0x2c)) return Error::kReservedNonzero;
  std::memcpy(out->reserved_2c, p + 0x2c, 4);
  out->certs_gpa = Load64(p + 0x30);
  if (out->certs_gpa % 0x1000 != 0) return Error::kBufferMisaligned;
  if (!RangeFits(out->certs_gpa, 0x1000)) return Error::kBufferWraps;
  out->certs_size = Load32(p + 0x38);
  if (!Zero4(p + 0x3c)) return Error::kReservedNonzero;
  std::memcpy(out->reserved_3c, p + 0x3c, 4);
  return Error::kOk;
}

// The checks of AttestServicesRequest::Decode: registers, then one guest read.
[[gnu::noinline]] Error DecodeAttestServicesRequest(const codec::RegisterSet& regs,
                                                    const codec::GuestMemory& memory,
                                                    AttestServicesRequest* out) {
  if (regs.rax != kAttestServicesRax) return Error::kBadRax;
  if (regs.rcx % 8 != 0) return Error::kMisaligned;
  out->op_gpa = regs.rcx;
  if (!WithinPage(regs.rcx, kAttestOpSize)) return Error::kCrossesPage;
  alignas(8) uint8_t buf[kAttestOpSize];
  if (!memory.Read(regs.rcx, std::span<uint8_t>(buf))) return Error::kInaccessible;
  return DecodeAttestServicesOp(std::span<const uint8_t>(buf), &out->op);
}

// AttestServicesOp::EncodeTo: raw, every member as held.
[[gnu::noinline]] void EncodeAttestServicesOp(const AttestServicesOp& in, std::span<uint8_t> out) {
  uint8_t* p = out.data();
  Store64(p + 0x0, in.report_gpa);
  Store32(p + 0x8, in.report_size);
  std::memcpy(p + 0xc, in.reserved_0c, 4);
  Store64(p + 0x10, in.nonce_gpa);
  Store16(p + 0x18, in.nonce_size);
  std::memcpy(p + 0x1a, in.reserved_1a, 6);
  Store64(p + 0x20, in.manifest_gpa);
  Store32(p + 0x28, in.manifest_size);
  std::memcpy(p + 0x2c, in.reserved_2c, 4);
  Store64(p + 0x30, in.certs_gpa);
  Store32(p + 0x38, in.certs_size);
  std::memcpy(p + 0x3c, in.reserved_3c, 4);
}

}  // namespace baseline

// ---------------------------------------------------------------------------------------
// Inputs, shared by both sides.

gen::CorePvalidateRequest MakePvalidateRequest() {
  gen::CorePvalidateRequest req;
  req.list = kListGpa;
  gen::PvalidateList list;
  list.entries = static_cast<uint16_t>(kListEntries);
  for (size_t i = 0; i < kListEntries; ++i) {
    gen::PvalidateEntry e;
    e.page_size = (i % 7 == 0) ? 1 : 0;
    e.pfn = (i % 7 == 0) ? 0x200000 + i * 0x200 : 0x100000 + i;
    e.action = static_cast<uint8_t>(i & 1);
    e.ignore_cf = static_cast<uint8_t>((i >> 1) & 1);
    list.entry.push_back(e);
  }
  req.pvalidate_list = list;
  return req;
}

gen::AttestServicesRequest MakeAttestRequest() {
  gen::AttestServicesRequest req;
  req.op_gpa = kOpGpa;
  gen::AttestServicesOp op;
  op.report_gpa = 0x100000;
  op.report_size = 0x1000;
  op.nonce_gpa = 0x101000;
  op.nonce_size = 64;
  op.manifest_gpa = 0x200000;
  op.manifest_size = 0x2000;
  op.certs_gpa = 0x300000;
  op.certs_size = 0x3000;
  req.attest_services_op = op;
  return req;
}

struct Inputs {
  gen::CorePvalidateRequest pvalidate = MakePvalidateRequest();
  gen::AttestServicesRequest attest = MakeAttestRequest();
  std::vector<uint8_t> list_bytes = pvalidate.pvalidate_list->Encode();
  std::vector<uint8_t> op_bytes = attest.attest_services_op->Encode();
  std::unique_ptr<svsm_bench::FlatMemoryWriter> flat = svsm_bench::MakeFlatMemory(kCaa, 2 * 4096);
  const codec::GuestMemory& memory = flat->memory();
  Inputs() {
    flat->Write(gen::RequestMemory(pvalidate));
    flat->Write(gen::RequestMemory(attest));
  }
};

const Inputs& GetInputs() {
  static const Inputs inputs;
  return inputs;
}

// The attestation operation's bytes in the benchmark's own frame. Decoding from the shared
// heap copy into a stack output made each process's figures depend on where ASLR put the
// stack relative to the heap: when the output's address is just above the input's modulo
// 4 KiB, each load right after a store to the output is taken for a reload of it (4K
// aliasing) and waits, so one binary measured about 3 ns in one process and 6 ns in the
// next, on either side. Input and output in one frame are less than 4 KiB apart: no load of
// the input can be mistaken for one of the output, on either side.
struct LocalAttestOp {
  alignas(64) std::array<uint8_t, baseline::kAttestOpSize> bytes{};
  explicit LocalAttestOp(const std::vector<uint8_t>& from) {
    std::copy_n(from.begin(), bytes.size(), bytes.begin());
  }
  std::span<const uint8_t> span() const { return bytes; }
};

// Both sides must accept the inputs and agree on every field before anything is timed.
bool Same(const gen::PvalidateList& g, const baseline::PvalidateList& b) {
  if (g.entries != b.entries || g.next != b.next || g.entry.size() != b.count ||
      std::memcmp(g.reserved.data(), b.reserved, 4) != 0) {
    return false;
  }
  for (size_t i = 0; i < g.entry.size(); ++i) {
    const auto& x = g.entry[i];
    const auto& y = b.entry[i];
    if (x.page_size != y.page_size || x.action != y.action || x.ignore_cf != y.ignore_cf ||
        x.reserved != y.reserved || x.pfn != y.pfn) {
      return false;
    }
  }
  return true;
}

bool Same(const gen::AttestServicesOp& g, const baseline::AttestServicesOp& b) {
  std::array<uint8_t, 0x40> x{}, y{};
  g.EncodeTo(x);
  baseline::EncodeAttestServicesOp(b, y);
  return x == y;
}

void SetPvalidateCounters(benchmark::State& state) {
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kListEntries));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * (8 + kListEntries * 8)));
}

void SetAttestCounters(benchmark::State& state) {
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * baseline::kAttestOpSize));
}

// ---------------------------------------------------------------------------------------
// PVALIDATE list, structure-level decode from bytes already in memory.

void BM_PvalidateDecode_Generated(benchmark::State& state) {
  const Inputs& in = GetInputs();
  const std::span<const uint8_t> bytes(in.list_bytes);
  const gen::PvalidateList::Rules rules = gen::CorePvalidateRequest::ListRules();
  {
    auto r = gen::PvalidateList::Decode(bytes, rules);
    if (!r.ok() || r.value() != *in.pvalidate.pvalidate_list) {
      state.SkipWithError("generated decode disagrees with the input");
      return;
    }
  }
  for (auto _ : state) {
    benchmark::DoNotOptimize(bytes.data());
    auto r = gen::PvalidateList::Decode(bytes, rules);
    benchmark::DoNotOptimize(r);
  }
  SetPvalidateCounters(state);
}
BENCHMARK(BM_PvalidateDecode_Generated);

void BM_PvalidateDecode_Baseline(benchmark::State& state) {
  const Inputs& in = GetInputs();
  const std::span<const uint8_t> bytes(in.list_bytes);
  baseline::PvalidateList out{};
  if (baseline::DecodePvalidateList(bytes, &out) != baseline::Error::kOk ||
      !Same(*in.pvalidate.pvalidate_list, out)) {
    state.SkipWithError("baseline decode disagrees with the generated one");
    return;
  }
  for (auto _ : state) {
    benchmark::DoNotOptimize(bytes.data());
    baseline::Error e = baseline::DecodePvalidateList(bytes, &out);
    benchmark::DoNotOptimize(e);
    benchmark::ClobberMemory();
  }
  SetPvalidateCounters(state);
}
BENCHMARK(BM_PvalidateDecode_Baseline);

// PVALIDATE request: registers plus the list read through GuestMemory (flat buffer).

void BM_PvalidateDecodeRequest_Generated(benchmark::State& state) {
  const Inputs& in = GetInputs();
  const codec::RegisterSet regs = gen::EncodeRequest(in.pvalidate);
  {
    auto r = codec::DecodeRequest<gen::CorePvalidateRequest>(regs, in.memory);
    if (!r.ok() || r.value() != in.pvalidate) {
      state.SkipWithError("generated request decode disagrees with the input");
      return;
    }
  }
  for (auto _ : state) {
    auto r = codec::DecodeRequest<gen::CorePvalidateRequest>(regs, in.memory);
    benchmark::DoNotOptimize(r);
  }
  SetPvalidateCounters(state);
}
BENCHMARK(BM_PvalidateDecodeRequest_Generated);

void BM_PvalidateDecodeRequest_Baseline(benchmark::State& state) {
  const Inputs& in = GetInputs();
  const codec::RegisterSet regs = gen::EncodeRequest(in.pvalidate);
  baseline::PvalidateRequest out{};
  if (baseline::DecodePvalidateRequest(regs, in.memory, &out) != baseline::Error::kOk ||
      out.list != in.pvalidate.list || !Same(*in.pvalidate.pvalidate_list, out.pvalidate_list)) {
    state.SkipWithError("baseline request decode disagrees with the generated one");
    return;
  }
  for (auto _ : state) {
    baseline::Error e = baseline::DecodePvalidateRequest(regs, in.memory, &out);
    benchmark::DoNotOptimize(e);
    benchmark::ClobberMemory();
  }
  SetPvalidateCounters(state);
}
BENCHMARK(BM_PvalidateDecodeRequest_Baseline);

// The same decode into the caller's storage (DecodeInto: no Result built per call), the
// shape of the baseline, which is therefore timed again under the pair's name.
void BM_PvalidateDecodeRequestInto_Generated(benchmark::State& state) {
  const Inputs& in = GetInputs();
  const codec::RegisterSet regs = gen::EncodeRequest(in.pvalidate);
  gen::CorePvalidateRequest out{};
  if (gen::CorePvalidateRequest::DecodeInto(regs, in.memory, out) || out != in.pvalidate) {
    state.SkipWithError("generated request decode disagrees with the input");
    return;
  }
  for (auto _ : state) {
    std::optional<codec::CodecError> e = gen::CorePvalidateRequest::DecodeInto(regs, in.memory, out);
    benchmark::DoNotOptimize(e);
    benchmark::ClobberMemory();
  }
  SetPvalidateCounters(state);
}
BENCHMARK(BM_PvalidateDecodeRequestInto_Generated);
BENCHMARK(BM_PvalidateDecodeRequest_Baseline)->Name("BM_PvalidateDecodeRequestInto_Baseline");

// PVALIDATE list encode into a caller's buffer.

void BM_PvalidateEncode_Generated(benchmark::State& state) {
  const Inputs& in = GetInputs();
  const gen::PvalidateList& list = *in.pvalidate.pvalidate_list;
  std::vector<uint8_t> out(list.EncodedSize());
  for (auto _ : state) {
    list.EncodeTo(out);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  if (out != in.list_bytes) state.SkipWithError("generated encode disagrees with the input");
  SetPvalidateCounters(state);
}
BENCHMARK(BM_PvalidateEncode_Generated);

void BM_PvalidateEncode_Baseline(benchmark::State& state) {
  const Inputs& in = GetInputs();
  baseline::PvalidateList list{};
  if (baseline::DecodePvalidateList(in.list_bytes, &list) != baseline::Error::kOk) {
    state.SkipWithError("baseline decode failed");
    return;
  }
  std::vector<uint8_t> out(in.list_bytes.size());
  for (auto _ : state) {
    baseline::EncodePvalidateList(list, out);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  if (out != in.list_bytes) state.SkipWithError("baseline encode disagrees with the input");
  SetPvalidateCounters(state);
}
BENCHMARK(BM_PvalidateEncode_Baseline);

// Not paired: the allocating Encode() (a new std::vector per call), for reference.
void BM_PvalidateEncodeVector_Generated(benchmark::State& state) {
  const Inputs& in = GetInputs();
  const gen::PvalidateList& list = *in.pvalidate.pvalidate_list;
  for (auto _ : state) {
    std::vector<uint8_t> out = list.Encode();
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  SetPvalidateCounters(state);
}
BENCHMARK(BM_PvalidateEncodeVector_Generated);

// ---------------------------------------------------------------------------------------
// Attest Services Operation, structure-level decode from bytes already in memory.

void BM_AttestOpDecode_Generated(benchmark::State& state) {
  const Inputs& in = GetInputs();
  const LocalAttestOp local(in.op_bytes);
  const std::span<const uint8_t> bytes = local.span();
  const gen::AttestServicesOp::Rules rules = gen::AttestServicesRequest::OpGpaRules();
  {
    auto r = gen::AttestServicesOp::Decode(bytes, rules);
    if (!r.ok() || r.value() != *in.attest.attest_services_op) {
      state.SkipWithError("generated decode disagrees with the input");
      return;
    }
  }
  for (auto _ : state) {
    benchmark::DoNotOptimize(bytes.data());
    auto r = gen::AttestServicesOp::Decode(bytes, rules);
    benchmark::DoNotOptimize(r);
  }
  SetAttestCounters(state);
}
BENCHMARK(BM_AttestOpDecode_Generated);

void BM_AttestOpDecode_Baseline(benchmark::State& state) {
  const Inputs& in = GetInputs();
  const LocalAttestOp local(in.op_bytes);
  const std::span<const uint8_t> bytes = local.span();
  baseline::AttestServicesOp out{};
  if (baseline::DecodeAttestServicesOp(bytes, &out) != baseline::Error::kOk ||
      !Same(*in.attest.attest_services_op, out)) {
    state.SkipWithError("baseline decode disagrees with the generated one");
    return;
  }
  for (auto _ : state) {
    benchmark::DoNotOptimize(bytes.data());
    baseline::Error e = baseline::DecodeAttestServicesOp(bytes, &out);
    benchmark::DoNotOptimize(e);
    benchmark::ClobberMemory();
  }
  SetAttestCounters(state);
}
BENCHMARK(BM_AttestOpDecode_Baseline);

// The same decode into the caller's storage (DecodeInto), the baseline's shape.
void BM_AttestOpDecodeInto_Generated(benchmark::State& state) {
  const Inputs& in = GetInputs();
  const LocalAttestOp local(in.op_bytes);
  const std::span<const uint8_t> bytes = local.span();
  const gen::AttestServicesOp::Rules rules = gen::AttestServicesRequest::OpGpaRules();
  gen::AttestServicesOp out{};
  if (gen::AttestServicesOp::DecodeInto(bytes, rules, out) || out != *in.attest.attest_services_op) {
    state.SkipWithError("generated decode disagrees with the input");
    return;
  }
  for (auto _ : state) {
    benchmark::DoNotOptimize(bytes.data());
    std::optional<codec::CodecError> e = gen::AttestServicesOp::DecodeInto(bytes, rules, out);
    benchmark::DoNotOptimize(e);
    benchmark::ClobberMemory();
  }
  SetAttestCounters(state);
}
BENCHMARK(BM_AttestOpDecodeInto_Generated);
BENCHMARK(BM_AttestOpDecode_Baseline)->Name("BM_AttestOpDecodeInto_Baseline");

// Attest Services request: registers plus the operation read through GuestMemory.

void BM_AttestOpDecodeRequest_Generated(benchmark::State& state) {
  const Inputs& in = GetInputs();
  const codec::RegisterSet regs = gen::EncodeRequest(in.attest);
  {
    auto r = codec::DecodeRequest<gen::AttestServicesRequest>(regs, in.memory);
    if (!r.ok() || r.value() != in.attest) {
      state.SkipWithError("generated request decode disagrees with the input");
      return;
    }
  }
  for (auto _ : state) {
    auto r = codec::DecodeRequest<gen::AttestServicesRequest>(regs, in.memory);
    benchmark::DoNotOptimize(r);
  }
  SetAttestCounters(state);
}
BENCHMARK(BM_AttestOpDecodeRequest_Generated);

void BM_AttestOpDecodeRequest_Baseline(benchmark::State& state) {
  const Inputs& in = GetInputs();
  const codec::RegisterSet regs = gen::EncodeRequest(in.attest);
  baseline::AttestServicesRequest out{};
  if (baseline::DecodeAttestServicesRequest(regs, in.memory, &out) != baseline::Error::kOk ||
      out.op_gpa != in.attest.op_gpa || !Same(*in.attest.attest_services_op, out.op)) {
    state.SkipWithError("baseline request decode disagrees with the generated one");
    return;
  }
  for (auto _ : state) {
    baseline::Error e = baseline::DecodeAttestServicesRequest(regs, in.memory, &out);
    benchmark::DoNotOptimize(e);
    benchmark::ClobberMemory();
  }
  SetAttestCounters(state);
}
BENCHMARK(BM_AttestOpDecodeRequest_Baseline);

void BM_AttestOpDecodeRequestInto_Generated(benchmark::State& state) {
  const Inputs& in = GetInputs();
  const codec::RegisterSet regs = gen::EncodeRequest(in.attest);
  gen::AttestServicesRequest out{};
  if (gen::AttestServicesRequest::DecodeInto(regs, in.memory, out) || out != in.attest) {
    state.SkipWithError("generated request decode disagrees with the input");
    return;
  }
  for (auto _ : state) {
    std::optional<codec::CodecError> e = gen::AttestServicesRequest::DecodeInto(regs, in.memory, out);
    benchmark::DoNotOptimize(e);
    benchmark::ClobberMemory();
  }
  SetAttestCounters(state);
}
BENCHMARK(BM_AttestOpDecodeRequestInto_Generated);
BENCHMARK(BM_AttestOpDecodeRequest_Baseline)->Name("BM_AttestOpDecodeRequestInto_Baseline");

// Attest Services Operation encode into a caller's buffer.

void BM_AttestOpEncode_Generated(benchmark::State& state) {
  const Inputs& in = GetInputs();
  // A copy in this frame, as the baseline's operation is (see LocalAttestOp).
  const gen::AttestServicesOp op = *in.attest.attest_services_op;
  std::array<uint8_t, 0x40> out{};
  for (auto _ : state) {
    benchmark::DoNotOptimize(&op);
    op.EncodeTo(out);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  if (!std::equal(out.begin(), out.end(), in.op_bytes.begin(), in.op_bytes.end())) {
    state.SkipWithError("generated encode disagrees with the input");
  }
  SetAttestCounters(state);
}
BENCHMARK(BM_AttestOpEncode_Generated);

void BM_AttestOpEncode_Baseline(benchmark::State& state) {
  const Inputs& in = GetInputs();
  baseline::AttestServicesOp op{};
  if (baseline::DecodeAttestServicesOp(in.op_bytes, &op) != baseline::Error::kOk) {
    state.SkipWithError("baseline decode failed");
    return;
  }
  std::array<uint8_t, 0x40> out{};
  for (auto _ : state) {
    benchmark::DoNotOptimize(&op);
    baseline::EncodeAttestServicesOp(op, out);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  if (!std::equal(out.begin(), out.end(), in.op_bytes.begin(), in.op_bytes.end())) {
    state.SkipWithError("baseline encode disagrees with the input");
  }
  SetAttestCounters(state);
}
BENCHMARK(BM_AttestOpEncode_Baseline);

}  // namespace

BENCHMARK_MAIN();
