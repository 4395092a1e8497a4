// Seeded random sequences of core-protocol calls against the reference SVSM, with isolation
// invariants checked after every call.
//
// Several platforms (phases) each get a fresh model. Every phase issues a reproducible mix of
// all eight core calls, valid and invalid encodings, from several vCPUs that the sequence
// creates and deletes as it goes (some marked running), interleaved with guest memory writes.
// After each call the test compares the model with a shadow of its state from before the call:
//
//   1. the SVSM region and the startup VMSA page stay inaccessible to VMPL1..3 and keep their
//      page attributes;
//   2. no page is both an active VMSA and an active CAA (nor is a CAA SVSM-owned or shared by
//      two vCPUs);
//   3. `validated` changes only through PVALIDATE, and only on frames of the entries it
//      processed;
//   4. a frame that is not validated is inaccessible to VMPL1..3;
//   5. a failed call leaves no state behind (page state of the tracked window, vCPUs,
//      deposited frames, contents of the tracked pages; CALL_PENDING of the calling CAA
//      excepted), and a list call changes only what its processed entries name (entries
//      before the returned `next`; all entries from `next` when the walk took the list's own
//      page away and `next` could not be written back, which is counted and printed);
//   6. every completed call's result agrees with the spec's rule (ResultAgreesWithSpec).
//
// The seed is a constant, printed, and overridable with SVSM_REF_RANDOM_SEED (decimal or
// 0x-hex); SVSM_REF_RANDOM_CALLS overrides the number of calls. A failure prints the seed,
// the phase, the call index, the call's registers and list, and the calls before it.
//
// Tracked memory: a 64 MiB window of boot/low RAM, 4 MiB of high RAM and a few shared, MMIO,
// hole pages (page state), and the pages the sequence writes: its page pools, the startup
// pages and two shared pages (contents, compared after every call; every other window page
// must stay all zero, checked every 16384 calls with the full deposited set).
#include <algorithm>
#include <array>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <iterator>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "svsm_test_support.h"

#if defined(__SANITIZE_ADDRESS__)
#define SVSM_RANDOM_SEQUENCE_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SVSM_RANDOM_SEQUENCE_ASAN 1
#endif
#endif

namespace svsm_ref {
namespace {

using namespace svsm_ref::testing;  // NOLINT

#ifdef SVSM_RANDOM_SEQUENCE_ASAN
constexpr uint64_t kDefaultCalls = 250000;
#else
constexpr uint64_t kDefaultCalls = 1000000;
#endif
constexpr uint64_t kDefaultSeed = 0x5356534D53504543;  // "SVSMSPEC"

// ---------------------------------------------------------------------------------------
// Addresses of the default platform the phases start from (checked in MakePhaseSvsm).

constexpr uint64_t kMiB = uint64_t{1} << 20;
constexpr uint64_t kBootPool = 0x100000;     // 12 pages of boot RAM (validated at launch)
constexpr uint64_t kLowPool = 0x1000000;     // 12 pages of low RAM (not validated at launch)
constexpr uint64_t kPoolPages = 12;
constexpr uint64_t kArea0 = 0x2000000;       // 2 MiB pages in low RAM
constexpr uint64_t kArea1 = 0x2200000;
constexpr uint64_t kBootArea = 0x400000;     // 2 MiB of boot RAM, validated as 4 KiB pages
constexpr uint64_t kHighArea = 0x100000000;  // two 2 MiB pages in high RAM
constexpr uint64_t kShared = 0x80000000;     // shared RAM
constexpr uint64_t kHole = 0x90000000;       // no region
constexpr uint64_t kMmio = 0xE0000000;
constexpr uint64_t kBeyond = 0x200000000;    // past the end of high RAM
constexpr uint64_t kWrap4K = 0xFFFFFFFFFFFFF000;
constexpr uint64_t kWrap2M = 0xFFFFFFFFFFE00000;

const std::array<uint8_t, kPageSize> kZeroPage{};

// Frame ranges whose page state is snapshotted around every call.
struct FrameRange {
  uint64_t first;
  uint64_t count;
};
constexpr std::array<FrameRange, 6> kWindow = {{
    {0, (64 * kMiB) >> kPageShift},
    {kHighArea >> kPageShift, (4 * kMiB) >> kPageShift},
    {kShared >> kPageShift, 2},
    {kHole >> kPageShift, 1},
    {kMmio >> kPageShift, 1},
    {kBeyond >> kPageShift, 1},
}};

// ---------------------------------------------------------------------------------------
// Random numbers: xoshiro256** seeded by splitmix64 (the same sequence on every platform).

uint64_t SplitMix(uint64_t& x) {
  uint64_t z = (x += 0x9E3779B97F4A7C15);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
  return z ^ (z >> 31);
}

class Rng {
 public:
  explicit Rng(uint64_t seed) {
    for (uint64_t& w : s_) w = SplitMix(seed);
  }
  uint64_t Next() {
    const uint64_t result = Rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = Rotl(s_[3], 45);
    return result;
  }
  uint64_t Below(uint64_t n) { return n == 0 ? 0 : Next() % n; }
  bool Percent(unsigned p) { return Below(100) < p; }
  template <class T>
  const T& Pick(const std::vector<T>& v) {
    return v[Below(v.size())];
  }

 private:
  static uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  std::array<uint64_t, 4> s_{};
};

uint64_t EnvU64(const char* name, uint64_t fallback) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return fallback;
  char* end = nullptr;
  const uint64_t x = std::strtoull(v, &end, 0);
  return (end != nullptr && *end == '\0') ? x : fallback;
}

std::string Hex(uint64_t v) {
  char b[24];
  std::snprintf(b, sizeof b, "0x%" PRIx64, v);
  return b;
}

// ---------------------------------------------------------------------------------------
// Phases: platforms the sequence runs on.

struct Phase {
  const char* name;
  uint8_t guest_vmpl;
  uint32_t pvalidate_split;
  uint32_t deposit_split;
  bool high_large_pages;
  bool vtom_supported;
};

constexpr std::array<Phase, 4> kPhases = {{
    {"vmpl2-whole-lists", 2, 0, 0, true, true},
    {"vmpl2-split-lists", 2, 2, 3, false, true},
    {"vmpl1-split-1", 1, 1, 1, true, true},
    {"vmpl3-split-5-no-vtom", 3, 5, 0, false, false},
}};

constexpr std::array<uint32_t, 6> kApicIds = {0, 1, 2, 7, 64, 255};

PlatformConfig PhaseConfig(const Phase& p) {
  PlatformConfig c = DefaultPlatformConfig();
  c.guest_vmpl = p.guest_vmpl;
  c.pvalidate_entries_per_call = p.pvalidate_split;
  c.deposit_entries_per_call = p.deposit_split;
  c.vtom.supported = p.vtom_supported;
  c.vcpus.clear();
  for (uint32_t id : kApicIds) c.vcpus.push_back(VcpuConfig{id});
  for (MemoryRegion& r : c.memory) {
    if (r.base == kHighArea) r.large_pages = p.high_large_pages;
  }
  return c;
}

// ---------------------------------------------------------------------------------------
// Snapshots and diffs.

struct StateRun {
  uint64_t first;
  uint64_t count;
  PageAttrs attrs;
};

void CollectRuns(const PageStateTable& t, std::vector<StateRun>& out) {
  out.clear();
  for (const FrameRange& w : kWindow) {
    t.ForEachRun(w.first, w.count, [&](uint64_t f, uint64_t n, const PageAttrs& a) {
      out.push_back(StateRun{f, n, a});
    });
  }
}

void AddRange(std::vector<FrameRange>& out, uint64_t pos, uint64_t n) {
  if (!out.empty() && out.back().first + out.back().count == pos) {
    out.back().count += n;
  } else {
    out.push_back(FrameRange{pos, n});
  }
}

// Frame ranges where `a` and `b` (collected over the same window) differ in any attribute
// (`changed`) and in the validated bit (`changed_validated`).
void DiffRuns(const std::vector<StateRun>& a, const std::vector<StateRun>& b,
              std::vector<FrameRange>& changed, std::vector<FrameRange>& changed_validated) {
  changed.clear();
  changed_validated.clear();
  size_t i = 0, j = 0;
  uint64_t ai = 0, bj = 0;  // frames of a[i] / b[j] already consumed
  while (i < a.size() && j < b.size()) {
    const uint64_t pos = a[i].first + ai;
    const uint64_t n = std::min(a[i].count - ai, b[j].count - bj);
    if (!(a[i].attrs == b[j].attrs)) {
      AddRange(changed, pos, n);
      if (a[i].attrs.validated != b[j].attrs.validated) AddRange(changed_validated, pos, n);
    }
    ai += n;
    bj += n;
    if (ai == a[i].count) ++i, ai = 0;
    if (bj == b[j].count) ++j, bj = 0;
  }
}

bool Covered(const FrameRange& r, const std::vector<FrameRange>& allowed) {
  // Every frame of r lies in some allowed range (allowed ranges may overlap).
  uint64_t pos = r.first;
  const uint64_t end = r.first + r.count;
  bool progress = true;
  while (pos < end && progress) {
    progress = false;
    for (const FrameRange& a : allowed) {
      if (pos >= a.first && pos < a.first + a.count) {
        pos = a.first + a.count;
        progress = true;
      }
    }
  }
  return pos >= end;
}

std::string AttrsString(const PageAttrs& a) {
  std::ostringstream s;
  s << "{validated=" << a.validated << " 2m=" << a.validated_2m << " vmsa=" << a.vmsa
    << " perms=" << int(a.perms[1]) << "," << int(a.perms[2]) << "," << int(a.perms[3]) << "}";
  return s.str();
}

// ---------------------------------------------------------------------------------------
// The sequence.

enum class Kind {
  kRemapCa,
  kPvalidate,
  kCreateVcpu,
  kDeleteVcpu,
  kDepositMem,
  kWithdrawMem,
  kQueryProtocol,
  kConfigureVtom,
  kInvalidRax,
  kHostEntry,  // Enter() directly: spurious entry / reserved CALL_PENDING value
};

const char* KindName(Kind k) {
  switch (k) {
    case Kind::kRemapCa: return "REMAP_CA";
    case Kind::kPvalidate: return "PVALIDATE";
    case Kind::kCreateVcpu: return "CREATE_VCPU";
    case Kind::kDeleteVcpu: return "DELETE_VCPU";
    case Kind::kDepositMem: return "DEPOSIT_MEM";
    case Kind::kWithdrawMem: return "WITHDRAW_MEM";
    case Kind::kQueryProtocol: return "QUERY_PROTOCOL";
    case Kind::kConfigureVtom: return "CONFIGURE_VTOM";
    case Kind::kInvalidRax: return "invalid RAX";
    case Kind::kHostEntry: return "host entry";
  }
  return "?";
}

// A PVALIDATE / DEPOSIT_MEM list as the SVSM will read it (read back from memory).
struct ListImage {
  bool present = false;  // the header could be read (RAM)
  uint16_t entries = 0;
  uint16_t next = 0;
  std::vector<uint64_t> entry;  // the entries that fit in the page
};

struct CallRecord {
  uint64_t index = 0;
  Kind kind = Kind::kQueryProtocol;
  size_t vcpu = 0;
  RegisterSet in{};
  RegisterSet out{};
  CallResult::Outcome outcome = CallResult::Outcome::kCompleted;
  const char* rule = nullptr;
  bool retry = false;
};

class RandomSequence {
 public:
  RandomSequence(ReferenceSvsm& svsm, uint64_t seed, size_t phase_index, uint64_t first_index)
      : s_(svsm),
        rng_(seed ^ (0xA5A5A5A5ull * (phase_index + 1))),
        seed_(seed),
        phase_(phase_index),
        index_(first_index) {
    const PlatformConfig& c = s_.config();
    for (uint64_t g : {c.secrets_page, c.startup_caa, c.startup_vmsa}) AddPage(g);
    for (uint64_t i = 0; i < kPoolPages; ++i) {
      AddPage(kBootPool + i * kPageSize);
      boot_pool_.push_back(kBootPool + i * kPageSize);
    }
    for (uint64_t i = 0; i < kPoolPages; ++i) {
      AddPage(kLowPool + i * kPageSize);
      low_pool_.push_back(kLowPool + i * kPageSize);
    }
    for (uint64_t g : {kArea0, kArea0 + 0x1000, kArea0 + 0x1FF000, kArea1, kArea1 + 0x7000,
                       kHighArea, kHighArea + 0x1000}) {
      AddPage(g);
      area_pool_.push_back(g);
    }
    for (uint64_t g : {kShared, kShared + 0x1000}) {
      AddPage(g);
      shared_pool_.push_back(g);
    }
    pool_ = boot_pool_;
    pool_.insert(pool_.end(), low_pool_.begin(), low_pool_.end());
    pool_.insert(pool_.end(), area_pool_.begin(), area_pool_.end());
    std::sort(pages_.begin(), pages_.end());
    shadow_.resize(pages_.size());
    for (size_t i = 0; i < pages_.size(); ++i) s_.PhysicalRead(pages_[i], shadow_[i]);
    CollectRuns(s_.page_state(), runs_);
    deposited_ = s_.deposited_frames();
  }

  // Runs `calls` calls; false after the first failed check (reported with ADD_FAILURE).
  bool Run(uint64_t calls) {
    for (uint64_t n = 0; n < calls; ++n, ++index_) {
      BetweenCalls();
      if (failed_) return false;
      OneCall();
      if (failed_) return false;
      if ((n & 16383) == 16383 && !FullSweep()) return false;
    }
    return FullSweep();
  }

  const std::map<std::string, uint64_t>& rules() const { return rules_; }
  const std::map<std::string, uint64_t>& kinds() const { return kinds_; }
  uint64_t index() const { return index_; }

 private:
  // --- tracked pages ----------------------------------------------------------------------
  void AddPage(uint64_t gpa) {
    if (std::find(pages_.begin(), pages_.end(), gpa) == pages_.end()) pages_.push_back(gpa);
  }
  std::optional<size_t> PageIndex(uint64_t gpa) const {
    const uint64_t page = gpa & ~(kPageSize - 1);
    auto it = std::lower_bound(pages_.begin(), pages_.end(), page);
    if (it == pages_.end() || *it != page) return std::nullopt;
    return static_cast<size_t>(it - pages_.begin());
  }

  // --- model facts the generator uses -------------------------------------------------------
  std::vector<size_t> ActiveVcpus() const {
    std::vector<size_t> v;
    for (size_t i = 0; i < s_.vcpus().size(); ++i) {
      if (s_.vcpus()[i].vmsa) v.push_back(i);
    }
    return v;
  }
  uint8_t VmplOf(size_t vcpu) const { return s_.CallerVmpl(vcpu); }
  bool SvsmRegion(uint64_t pfn) const {
    const uint64_t first = s_.config().svsm_base >> kPageShift;
    return pfn >= first && pfn - first < (s_.config().svsm_size >> kPageShift);
  }

  uint64_t SvsmPage() {
    const PlatformConfig& c = s_.config();
    switch (rng_.Below(3)) {
      case 0: return c.svsm_base;
      case 1: return c.svsm_base + c.svsm_size - kPageSize;
      default: return c.svsm_base + rng_.Below(c.svsm_size >> kPageShift) * kPageSize;
    }
  }
  uint64_t ActiveVmsaPage() {
    std::vector<size_t> a = ActiveVcpus();
    return *s_.vcpus()[rng_.Pick(a)].vmsa;
  }
  uint64_t ActiveCaaPage() {
    std::vector<size_t> a = ActiveVcpus();
    return s_.vcpus()[rng_.Pick(a)].caa & ~(kPageSize - 1);
  }
  uint64_t DepositedPage() {
    if (s_.deposited_frames().empty()) return rng_.Pick(pool_);
    // The smallest or largest deposited frame (cheap to find).
    return (rng_.Percent(50) ? *s_.deposited_frames().begin() : *s_.deposited_frames().rbegin())
           << kPageShift;
  }
  // A page address outside usable guest memory or owned by the SVSM.
  uint64_t BadPage() {
    switch (rng_.Below(10)) {
      case 0: return SvsmPage();
      case 1: return s_.config().startup_vmsa;
      case 2: return ActiveVmsaPage();
      case 3: return kMmio + rng_.Below(4) * kPageSize;
      case 4: return kHole;
      case 5: return kBeyond;
      case 6: return kWrap4K;
      case 7: return uint64_t{1} << 52;
      case 8: return DepositedPage();
      default: return rng_.Pick(low_pool_);  // maybe not validated
    }
  }
  // A 4 KiB page for a list entry.
  uint64_t EntryPage4K() {
    const unsigned r = static_cast<unsigned>(rng_.Below(100));
    if (r < 55) return rng_.Pick(pool_);
    if (r < 70) {
      // Unpooled pages of the 2 MiB areas (no data; state only).
      const uint64_t base = std::array<uint64_t, 4>{kArea0, kArea1, kHighArea, kBootArea}[rng_.Below(4)];
      return base + rng_.Below(kPagesPerLargePage) * kPageSize;
    }
    if (r < 75) return ActiveCaaPage();
    if (r < 79) return rng_.Pick(shared_pool_);
    return BadPage();
  }
  uint64_t EntryPage2M() {
    switch (rng_.Below(14)) {
      case 0: case 1: case 2: return kArea0;
      case 3: case 4: return kArea1;
      case 5: case 6: return kHighArea;
      case 7: return kHighArea + kLargePageSize;
      case 8: return kBootArea;
      case 9: return 0;  // boot RAM: startup pages, validated as 4 KiB pages
      case 10: return kArea0 + kPageSize * (1 + rng_.Below(511));  // misaligned
      case 11: return s_.config().svsm_base;
      case 12: return std::array<uint64_t, 4>{kShared, kMmio, kBeyond, kWrap2M}[rng_.Below(4)];
      default: return 0x800000 & ~(kLargePageSize - 1);
    }
  }
  // Where a list / area goes: mostly a validated pool page, often CAA + 8.
  uint64_t ListAddress(size_t vcpu, uint64_t bytes) {
    const unsigned r = static_cast<unsigned>(rng_.Below(100));
    if (r < 30) return s_.vcpus()[vcpu].caa + 8;
    if (r < 85) {
      const uint64_t page = rng_.Percent(70) ? rng_.Pick(boot_pool_) : rng_.Pick(pool_);
      const uint64_t room = kPageSize - std::min<uint64_t>(bytes, kPageSize);
      switch (rng_.Below(4)) {
        case 0: return page;
        case 1: return page + (rng_.Below(room / 8 + 1) * 8);
        case 2: return page + room;  // ends at the page end
        default: return page + 8 * rng_.Below(16);
      }
    }
    if (r < 88) return rng_.Pick(shared_pool_) + 8 * rng_.Below(8);
    if (r < 93) return rng_.Pick(pool_) + 1 + rng_.Below(7);  // misaligned
    return BadPage() + 8 * rng_.Below(4);
  }

  // Guest writes at `vmpl`, mirrored into the shadow of the tracked pages.
  bool GWrite(uint8_t vmpl, uint64_t gpa, std::span<const uint8_t> bytes) {
    const bool ok = s_.GuestWrite(vmpl, gpa, bytes);
    ++guest_writes_;
    if (!ok) return false;
    ++guest_writes_ok_;
    for (size_t i = 0; i < bytes.size();) {
      const uint64_t g = gpa + i;
      const size_t in_page = std::min<size_t>(bytes.size() - i, kPageSize - (g & (kPageSize - 1)));
      const uint64_t pfn = g >> kPageShift;
      // The guest may write only pages it owns: never SVSM memory or a VMSA.
      if (SvsmRegion(pfn) || s_.SvsmOwnedFrame(pfn)) {
        Fail("GuestWrite at VMPL" + std::to_string(vmpl) + " succeeded on SVSM-owned page " +
             Hex(g));
        return false;
      }
      if (auto idx = PageIndex(g)) {
        std::memcpy(shadow_[*idx].data() + (g & (kPageSize - 1)), bytes.data() + i, in_page);
      } else {
        Fail("the generator wrote an untracked page " + Hex(g));
        return false;
      }
      i += in_page;
    }
    return true;
  }

  static std::vector<uint8_t> ListBytes(uint16_t entries, uint16_t next,
                                        const std::vector<uint64_t>& e) {
    std::vector<uint8_t> b(8 + e.size() * 8, 0);
    b[0] = static_cast<uint8_t>(entries);
    b[1] = static_cast<uint8_t>(entries >> 8);
    b[2] = static_cast<uint8_t>(next);
    b[3] = static_cast<uint8_t>(next >> 8);
    for (size_t i = 0; i < e.size(); ++i) {
      for (int k = 0; k < 8; ++k) b[8 + i * 8 + k] = static_cast<uint8_t>(e[i] >> (8 * k));
    }
    return b;
  }

  // The list at `gpa` as the SVSM will see it: the guest's call sequence sets CALL_PENDING
  // (byte 0 of the calling CAA, `caa`) to 1 first, which a list placed over the CAA header
  // sees (core.pvalidate.list-overlaps-caa-header).
  ListImage ReadList(uint64_t gpa, uint64_t caa) const {
    ListImage l;
    const MemoryRegion* r = s_.RegionOf(gpa, 8);
    if (r == nullptr || r->kind != MemoryRegion::Kind::kRam || (gpa & (kPageSize - 1)) > kPageSize - 8) {
      return l;
    }
    std::array<uint8_t, kPageSize> page;
    s_.PhysicalRead(gpa & ~(kPageSize - 1), page);
    if ((caa & ~(kPageSize - 1)) == (gpa & ~(kPageSize - 1))) page[caa & (kPageSize - 1)] = 1;
    const uint8_t* h = page.data() + (gpa & (kPageSize - 1));
    l.present = true;
    l.entries = static_cast<uint16_t>(h[0] | h[1] << 8);
    l.next = static_cast<uint16_t>(h[2] | h[3] << 8);
    const uint64_t fit = (kPageSize - (gpa & (kPageSize - 1)) - 8) / 8;
    const uint64_t n = std::min<uint64_t>(l.entries, fit);
    l.entry.resize(n);
    for (uint64_t i = 0; i < n; ++i) {
      const uint8_t* b = h + 8 + i * 8;
      uint64_t v = 0;
      for (int k = 0; k < 8; ++k) v |= uint64_t{b[k]} << (8 * k);
      l.entry[i] = v;
    }
    return l;
  }

  bool RescindsStartupCaa(const ListImage& l) const {
    const uint64_t caa0 = s_.vcpus()[0].caa >> kPageShift;
    for (size_t i = l.next; i < l.entry.size(); ++i) {
      const uint64_t x = l.entry[i];
      const uint64_t pfn = x >> kPageShift;
      const uint64_t n = (x & 3) == 1 ? kPagesPerLargePage : 1;
      if ((x & 4) == 0 && caa0 >= pfn && caa0 - pfn < n) return true;
    }
    return false;
  }

  // --- between calls: guest writes and host actions -------------------------------------------
  void BetweenCalls() {
    if (rng_.Percent(25)) {
      // A guest write of a few random bytes into a pool page (or a forbidden one).
      std::vector<size_t> active = ActiveVcpus();
      const uint8_t vmpl = rng_.Percent(80) ? VmplOf(rng_.Pick(active))
                                            : static_cast<uint8_t>(1 + rng_.Below(3));
      uint64_t gpa;
      if (rng_.Percent(90)) {
        gpa = rng_.Pick(rng_.Percent(90) ? pool_ : shared_pool_) + rng_.Below(kPageSize - 64);
      } else {
        gpa = rng_.Percent(50) ? SvsmPage() : ActiveVmsaPage();
        gpa += rng_.Below(kPageSize - 64);
        std::array<uint8_t, 1> b{0x5A};
        if (s_.GuestWrite(vmpl, gpa, b)) {
          Fail("GuestWrite at VMPL" + std::to_string(vmpl) + " to SVSM-owned " + Hex(gpa) +
               " succeeded");
        }
        return;
      }
      std::vector<uint8_t> bytes(1 + rng_.Below(32));
      for (uint8_t& b : bytes) b = static_cast<uint8_t>(rng_.Next());
      GWrite(vmpl, gpa, bytes);
    }
    if (rng_.Percent(8)) {
      const size_t v = rng_.Below(s_.vcpus().size());
      const bool want = rng_.Percent(50);
      const bool ok = s_.SetVcpuRunning(v, want);
      if (ok != s_.vcpus()[v].vmsa.has_value()) Fail("SetVcpuRunning(" + std::to_string(v) + ") returned " + std::to_string(ok));
    }
  }

  // --- the calls ------------------------------------------------------------------------------
  struct Planned {
    Kind kind = Kind::kQueryProtocol;
    size_t vcpu = 0;
    RegisterSet in{};
    bool retry = false;
    uint8_t host_call_pending = 1;  // kHostEntry: the CALL_PENDING value the host leaves
  };

  Planned Plan() {
    Planned p;
    std::vector<size_t> active = ActiveVcpus();
    if (retry_ && rng_.Percent(85) && s_.vcpus()[retry_->vcpu].vmsa) {
      p = *retry_;
      p.retry = true;
      retry_.reset();
      return p;
    }
    retry_.reset();
    // Mostly vCPUs that can call (their CAA is writable at their VMPL); sometimes one without
    // a VMSA or with an unusable CAA (the call faults in the guest and nothing happens).
    std::vector<size_t> usable;
    for (size_t v : active) {
      uint8_t b;
      if (s_.GuestRead(VmplOf(v), s_.vcpus()[v].caa, std::span<uint8_t>(&b, 1))) usable.push_back(v);
    }
    if (usable.empty()) usable.push_back(0);
    p.vcpu = rng_.Percent(2) ? rng_.Below(s_.vcpus().size())
                             : rng_.Pick(rng_.Percent(95) ? usable : active);
    if (!s_.vcpus()[p.vcpu].vmsa) {
      p.kind = Kind::kQueryProtocol;
      p.in = Regs(CoreRax(SVSM_CORE_QUERY_PROTOCOL), 1);
      return p;
    }
    const uint8_t vmpl = VmplOf(p.vcpu);
    const unsigned r = static_cast<unsigned>(rng_.Below(100));
    if (r < 8) {
      PlanRemapCa(p);
    } else if (r < 34) {
      PlanList(p, vmpl, /*pvalidate=*/true);
    } else if (r < 47) {
      PlanCreateVcpu(p, vmpl);
    } else if (r < 56) {
      PlanDeleteVcpu(p);
    } else if (r < 68) {
      PlanList(p, vmpl, /*pvalidate=*/false);
    } else if (r < 78) {
      PlanWithdraw(p, vmpl);
    } else if (r < 84) {
      PlanQuery(p);
    } else if (r < 93) {
      PlanVtom(p);
    } else if (r < 98) {
      PlanInvalidRax(p);
    } else {
      p.kind = Kind::kHostEntry;
      p.in = Regs(CoreRax(SVSM_CORE_QUERY_PROTOCOL), 1);
      p.host_call_pending = rng_.Percent(50) ? 0 : static_cast<uint8_t>(2 + rng_.Below(254));
    }
    return p;
  }

  void PlanRemapCa(Planned& p) {
    p.kind = Kind::kRemapCa;
    uint64_t rcx;
    const unsigned r = static_cast<unsigned>(rng_.Below(100));
    if (r < 55) rcx = rng_.Pick(pool_);
    else if (r < 63) rcx = s_.vcpus()[p.vcpu].caa;
    else if (r < 70) rcx = ActiveCaaPage();
    else if (r < 78) rcx = rng_.Pick(shared_pool_);
    else if (r < 85) rcx = rng_.Pick(pool_) + 8 * (1 + rng_.Below(511));
    else rcx = BadPage();
    p.in = Regs(CoreRax(SVSM_CORE_REMAP_CA), rcx, rng_.Next(), rng_.Next(), rng_.Next());
  }

  void PlanList(Planned& p, uint8_t vmpl, bool pvalidate) {
    p.kind = pvalidate ? Kind::kPvalidate : Kind::kDepositMem;
    const unsigned shape = static_cast<unsigned>(rng_.Below(100));
    size_t n = 1 + rng_.Below(rng_.Percent(70) ? 4 : 10);
    uint16_t count = 0xFFFF, next = 0;
    if (shape < 3) count = 0;                       // entries-zero
    else if (shape < 6) count = static_cast<uint16_t>(400 + rng_.Below(200));  // crosses page
    else if (shape < 10) next = static_cast<uint16_t>(n + rng_.Below(3));   // next >= entries
    else if (shape < 20) next = static_cast<uint16_t>(rng_.Below(n));
    std::vector<uint64_t> e(n);
    for (uint64_t& x : e) {
      const unsigned t = static_cast<unsigned>(rng_.Below(100));
      uint64_t bits;
      if (t < (pvalidate ? 80u : 88u)) {
        bits = EntryPage4K();
      } else if (t < 97) {
        bits = EntryPage2M() | 1;
      } else {
        bits = EntryPage4K() | (2 + rng_.Below(2));  // page size 2 or 3
      }
      if (pvalidate) {
        if (rng_.Percent(55)) bits |= 4;  // validate
        if (rng_.Percent(50)) bits |= 8;  // ignore_cf
        if (rng_.Percent(3)) bits |= (1 + rng_.Below(255)) << 4;  // reserved
      } else if (rng_.Percent(5)) {
        bits |= (1 + rng_.Below(1023)) << 2;  // reserved (ignored by the model)
      }
      x = bits;
    }
    if (pvalidate) {
      // The startup vCPU keeps a usable CAA (its calls are how the sequence goes on): no
      // list rescinds it. Other vCPUs' CAAs may be rescinded (core.pvalidate.entry-caa); such
      // a vCPU faults on its calls until its CAA is validated again or it is deleted.
      const uint64_t caa0 = s_.vcpus()[0].caa >> kPageShift;
      for (uint64_t& x : e) {
        const uint64_t pfn = x >> kPageShift;
        const uint64_t n = (x & 3) == 1 ? kPagesPerLargePage : 1;
        if ((x & 4) == 0 && caa0 >= pfn && caa0 - pfn < n) x |= 4;
      }
    }
    const uint16_t entries = count == 0xFFFF ? static_cast<uint16_t>(n) : count;
    const std::vector<uint8_t> bytes = ListBytes(entries, next, e);
    const uint64_t rcx = ListAddress(p.vcpu, bytes.size());
    if (PageIndex(rcx) && (rcx & (kPageSize - 1)) + bytes.size() <= kPageSize) {
      GWrite(vmpl, rcx, bytes);
    }
    p.in = Regs(CoreRax(pvalidate ? SVSM_CORE_PVALIDATE : SVSM_CORE_DEPOSIT_MEM), rcx,
                rng_.Next(), rng_.Next(), rng_.Next());
  }

  std::vector<uint8_t> VmsaImage(uint8_t caller_vmpl) {
    std::vector<uint8_t> b(0x670, 0);
    uint8_t vmpl = static_cast<uint8_t>(caller_vmpl + rng_.Below(4 - caller_vmpl));
    uint64_t efer = (uint64_t{1} << 12) | (rng_.Next() & 0xD01);
    uint64_t sev = s_.config().sev_features;
    switch (rng_.Below(20)) {
      case 0: vmpl = 0; break;
      case 1: vmpl = static_cast<uint8_t>(caller_vmpl - 1); break;  // 0 for a VMPL1 caller
      case 2: vmpl = static_cast<uint8_t>(4 + rng_.Below(252)); break;
      case 3: efer &= ~(uint64_t{1} << 12); break;
      case 4: sev ^= uint64_t{1} << (1 + rng_.Below(20)); break;
      default: break;
    }
    b[0xCA] = vmpl;
    for (int k = 0; k < 8; ++k) {
      b[0xD0 + k] = static_cast<uint8_t>(efer >> (8 * k));
      b[0x3B0 + k] = static_cast<uint8_t>(sev >> (8 * k));
      b[0x178 + k] = static_cast<uint8_t>(uint64_t{0xFFF0} >> (8 * k));
    }
    return b;
  }

  void PlanCreateVcpu(Planned& p, uint8_t vmpl) {
    p.kind = Kind::kCreateVcpu;
    uint64_t vmsa;
    const unsigned r = static_cast<unsigned>(rng_.Below(100));
    if (r < 75) {
      vmsa = rng_.Pick(rng_.Percent(70) ? boot_pool_ : pool_);
      GWrite(vmpl, vmsa, VmsaImage(vmpl));
    } else if (r < 80) {
      vmsa = rng_.Pick(pool_) + 8 * (1 + rng_.Below(511));
    } else if (r < 85) {
      vmsa = ActiveCaaPage();
    } else if (r < 88) {
      vmsa = rng_.Pick(shared_pool_);
    } else {
      vmsa = BadPage();
    }
    uint64_t caa;
    const unsigned c = static_cast<unsigned>(rng_.Below(100));
    if (c < 65) caa = rng_.Pick(pool_);
    else if (c < 80) caa = rng_.Pick(shared_pool_);
    else if (c < 85) caa = vmsa;
    else if (c < 90) caa = ActiveCaaPage();
    else if (c < 93) caa = rng_.Pick(pool_) + 8;
    else caa = BadPage();
    uint64_t r8;
    std::vector<uint32_t> free_ids;
    for (const VcpuState& v : s_.vcpus()) {
      if (!v.vmsa) free_ids.push_back(v.apic_id);
    }
    const unsigned a = static_cast<unsigned>(rng_.Below(100));
    if (a < 75 && !free_ids.empty()) r8 = rng_.Pick(free_ids);
    else if (a < 85) r8 = kApicIds[rng_.Below(kApicIds.size())];
    else if (a < 93) r8 = 1000 + rng_.Below(uint64_t{1} << 31);
    else r8 = (rng_.Next() << 32) | kApicIds[rng_.Below(kApicIds.size())];
    p.in = Regs(CoreRax(SVSM_CORE_CREATE_VCPU), vmsa, caa, r8, rng_.Next());
  }

  void PlanDeleteVcpu(Planned& p) {
    p.kind = Kind::kDeleteVcpu;
    uint64_t rcx;
    const unsigned r = static_cast<unsigned>(rng_.Below(100));
    if (r < 55) rcx = ActiveVmsaPage();
    else if (r < 64) rcx = *s_.vcpus()[p.vcpu].vmsa;  // itself (the startup vCPU: refused)
    else if (r < 67) rcx = s_.config().startup_vmsa;
    else if (r < 76) rcx = ActiveVmsaPage() + 8 * (1 + rng_.Below(511));
    else if (r < 90) rcx = rng_.Pick(pool_);
    else rcx = BadPage();
    p.in = Regs(CoreRax(SVSM_CORE_DELETE_VCPU), rcx, rng_.Next(), rng_.Next(), rng_.Next());
  }

  void PlanWithdraw(Planned& p, uint8_t /*vmpl*/) {
    p.kind = Kind::kWithdrawMem;
    uint64_t rcx;
    const unsigned r = static_cast<unsigned>(rng_.Below(100));
    if (r < 25) {
      rcx = s_.vcpus()[p.vcpu].caa + 8;
    } else if (r < 80) {
      const uint64_t page = rng_.Percent(70) ? rng_.Pick(boot_pool_) : rng_.Pick(pool_);
      switch (rng_.Below(6)) {
        case 0: rcx = page; break;
        case 1: rcx = page + 0xFF8; break;  // no room
        case 2: rcx = page + 0xFF0; break;
        case 3: rcx = page + 0x800; break;
        default: rcx = page + 8 * rng_.Below(512); break;
      }
    } else if (r < 87) {
      rcx = rng_.Pick(pool_) + 1 + rng_.Below(7);
    } else if (r < 90) {
      rcx = rng_.Pick(shared_pool_) + 8 * rng_.Below(500);
    } else {
      rcx = BadPage() + 8 * rng_.Below(4);
    }
    // Areas on an active CAA header are generated too: the model refuses them
    // (model.withdraw-mem.area-overlaps-caa-header), so the count cannot be lost.
    if (rng_.Percent(3)) rcx = s_.vcpus()[p.vcpu].caa;
    p.in = Regs(CoreRax(SVSM_CORE_WITHDRAW_MEM), rcx, rng_.Next(), rng_.Next(), rng_.Next());
  }

  void PlanQuery(Planned& p) {
    p.kind = Kind::kQueryProtocol;
    static constexpr std::array<uint64_t, 8> kQueries = {
        0x1, 0x100000001, 0x0, 0x2, 0x100000000, 0x200000001, 0x500000001, 0x1FFFFFFFF};
    const uint64_t rcx = rng_.Percent(85) ? kQueries[rng_.Below(kQueries.size())] : rng_.Next();
    p.in = Regs(CoreRax(SVSM_CORE_QUERY_PROTOCOL), rcx, rng_.Next(), rng_.Next(), rng_.Next());
  }

  void PlanVtom(Planned& p) {
    p.kind = Kind::kConfigureVtom;
    uint64_t rcx;
    if (rng_.Percent(35)) {
      rcx = rng_.Percent(75) ? 1 : (1 | (rng_.Next() & ~uint64_t{1}) | 2);
    } else {
      const bool enable = rng_.Percent(60);
      uint64_t vtom = 0;
      if (enable) {
        switch (rng_.Below(5)) {
          case 0: vtom = kHighArea; break;
          case 1: vtom = (kHighArea << 1) + kMiB * rng_.Below(64); break;
          case 2: vtom = kHighArea + kPageSize * (1 + rng_.Below(255)); break;  // misaligned
          case 3: vtom = kMiB * (1 + rng_.Below(4095)); break;                 // below min
          default: vtom = (uint64_t{1} << 51) + kMiB * (1 + rng_.Below(1000)); break;  // above max
        }
      } else if (rng_.Percent(25)) {
        vtom = kPageSize * (1 + rng_.Below(uint64_t{1} << 20));
      }
      rcx = (vtom & ~(kPageSize - 1)) | (enable ? 2 : 0) | (rng_.Below(8) << 2);
      if (rng_.Percent(8)) rcx |= (1 + rng_.Below(127)) << 5;
    }
    p.in = Regs(CoreRax(SVSM_CORE_CONFIGURE_VTOM), rcx, rng_.Next(), rng_.Next(), rng_.Next());
  }

  void PlanInvalidRax(Planned& p) {
    p.kind = Kind::kInvalidRax;
    uint64_t rax;
    switch (rng_.Below(4)) {
      case 0: rax = 8 + rng_.Below(0xFFFFFFF8); break;                           // core call > 7
      case 1: rax = ((2 + rng_.Below(6)) << 32) | rng_.Below(8); break;          // protocol 2..7
      case 2: rax = (rng_.Next() | (uint64_t{1} << 40)) ; break;                 // any protocol
      default: rax = AttestRax(static_cast<uint32_t>(2 + rng_.Below(100))); break;  // attest call > 1
    }
    p.in = Regs(rax, rng_.Next(), rng_.Next(), rng_.Next(), rng_.Next());
  }

  // --- one call and its checks ----------------------------------------------------------------
  void OneCall() {
    Planned p = Plan();
    if (failed_) return;
    if (p.kind == Kind::kPvalidate && RescindsStartupCaa(ReadList(p.in.rcx, s_.vcpus()[p.vcpu].caa))) {
      // The list in memory is not the one planned (the guest's write of it faulted, or a later
      // write changed it) and would rescind the startup vCPU's CAA: the guest does not issue it.
      p.kind = Kind::kQueryProtocol;
      p.in = Regs(CoreRax(SVSM_CORE_QUERY_PROTOCOL), 1);
    }
    cur_ = p;
    kinds_[KindName(p.kind)]++;

    // Snapshot what the checks need that is not kept in the shadows.
    const std::vector<VcpuState> vcpus_before = s_.vcpus();
    const uint8_t caller_vmpl = s_.vcpus()[p.vcpu].vmsa ? VmplOf(p.vcpu) : 0;
    const uint64_t caller_caa = s_.vcpus()[p.vcpu].caa;
    const bool list_call = p.kind == Kind::kPvalidate || p.kind == Kind::kDepositMem;
    list_before_ = list_call ? ReadList(p.in.rcx, caller_caa) : ListImage{};
    const size_t deposited_size_before = s_.deposited_frames().size();

    CallResult r;
    if (p.kind == Kind::kHostEntry) {
      // The host enters the SVSM with CALL_PENDING as it is (0: spurious) or a reserved value.
      const uint8_t v = p.host_call_pending;
      s_.mutable_memory().Write(caller_caa, std::span<const uint8_t>(&v, 1));
      if (auto idx = PageIndex(caller_caa)) shadow_[*idx][caller_caa & (kPageSize - 1)] = v;
      r = s_.Enter(p.vcpu, p.in);
    } else {
      r = s_.GuestCall(p.vcpu, p.in);
    }
    result_ = r;
    const bool completed = r.outcome == CallResult::Outcome::kCompleted;
    const bool deleted_self = r.outcome == CallResult::Outcome::kVcpuDeleted;
    const uint32_t code = static_cast<uint32_t>(r.regs.rax);
    if (completed && (r.regs.rax >> 32) != 0) return Fail("RAX not zero-extended");
    if (completed || deleted_self) rules_[r.rule_id ? r.rule_id : "(null)"]++;
    outcomes_[static_cast<int>(r.outcome)]++;

    // 6. The result agrees with the spec's rule (the answer depends only on the outcome, the
    // interned rule id and the code, so it is computed once per combination).
    const auto key = std::make_tuple(static_cast<int>(r.outcome), r.rule_id, code);
    if (spec_ok_.count(key) == 0) {
      if (auto ok = ResultAgreesWithSpec(r); !ok) return Fail(ok.message());
      spec_ok_.insert(key);
    }
    if (completed && r.call_pending_after != 0 && p.kind != Kind::kHostEntry) {
      return Fail("CALL_PENDING was " + std::to_string(r.call_pending_after) + " after a completed call");
    }
    if (p.kind == Kind::kHostEntry) {
      const bool expect_spurious = p.host_call_pending == 0;
      if (expect_spurious != (r.outcome == CallResult::Outcome::kSpurious)) {
        return Fail("host entry with CALL_PENDING " + std::to_string(p.host_call_pending) +
                    " had outcome " + std::to_string(static_cast<int>(r.outcome)));
      }
    }
    const bool success = (completed && code == SVSM_SUCCESS) || deleted_self;

    // --- page state: what changed -------------------------------------------------------
    CollectRuns(s_.page_state(), runs_after_);
    DiffRuns(runs_, runs_after_, changed_, changed_validated_);

    // Frames the call may change, and bytes of tracked pages it may write.
    allowed_frames_.clear();
    allowed_bytes_.clear();
    allowed_bytes_.push_back(FrameRange{caller_caa, 1});  // CALL_PENDING of the calling CAA
    std::vector<FrameRange> entry_frames;  // list calls: frames of the processed entries
    uint16_t next_out = list_before_.next;
    if (list_call && completed && list_before_.present) {
      uint8_t nb[2];
      s_.PhysicalRead(p.in.rcx + 2, nb);
      next_out = static_cast<uint16_t>(nb[0] | nb[1] << 8);
      if (!CheckListOutputs(p, code, r.rule_id, next_out)) return;
      for (uint16_t i = list_before_.next; i < next_out && i < list_before_.entry.size(); ++i) {
        const uint64_t e = list_before_.entry[i];
        const uint64_t pfn = e >> kPageShift;
        entry_frames.push_back(FrameRange{pfn, (e & 3) == 1 ? kPagesPerLargePage : 1});
      }
      allowed_bytes_.push_back(FrameRange{p.in.rcx + 2, 2});
      if (code != SVSM_SUCCESS && next_out == list_before_.next && r.rule_id != nullptr &&
          std::strcmp(r.rule_id, "general.faulting-address") == 0 &&
          !s_.SvsmMayAccess(p.in.rcx + 2, 2) && s_.SvsmMayAccess(p.in.rcx, 0) &&
          list_before_.next < list_before_.entries) {
        // The walk took the list's own page away (rescinded or deposited it), so `next`
        // could not be written back: entries from `next` on may have taken effect although
        // the call reports INVALID_ADDRESS (spec: entries processed stay processed; COCONUT
        // answers a failing header write with INVALID_ADDRESS). Reported as a finding.
        ++next_writeback_faults_;
        for (uint16_t i = list_before_.next; i < list_before_.entry.size(); ++i) {
          const uint64_t e = list_before_.entry[i];
          entry_frames.push_back(FrameRange{e >> kPageShift, (e & 3) == 1 ? kPagesPerLargePage : 1});
        }
      }
    }

    if (completed && p.kind == Kind::kPvalidate) {
      allowed_frames_ = entry_frames;
    } else if (completed && p.kind == Kind::kDepositMem) {
      allowed_frames_ = entry_frames;
      allowed_bytes_.push_back(FrameRange{s_.vcpus()[0].caa + 1, 1});  // MEM_AVAILABLE
    } else if (success && p.kind == Kind::kCreateVcpu) {
      allowed_frames_.push_back(FrameRange{p.in.rcx >> kPageShift, 1});
    } else if (success && p.kind == Kind::kDeleteVcpu) {
      allowed_frames_.push_back(FrameRange{p.in.rcx >> kPageShift, 1});
      allowed_bytes_.push_back(FrameRange{p.in.rcx, kPageSize});
    } else if (success && p.kind == Kind::kWithdrawMem) {
      allowed_bytes_.push_back(FrameRange{p.in.rcx, kPageSize - (p.in.rcx & (kPageSize - 1))});
      allowed_bytes_.push_back(FrameRange{s_.vcpus()[0].caa + 1, 1});
      // Frames withdrawn: whatever left the deposited set (checked below).
    } else if (success && p.kind == Kind::kRemapCa) {
      allowed_bytes_.push_back(FrameRange{p.in.rcx, 1});
    } else if (success && p.kind == Kind::kConfigureVtom && (p.in.rcx & 1) == 0) {
      allowed_bytes_.push_back(FrameRange{*vcpus_before[p.vcpu].vmsa, kPageSize});
    }

    // --- deposited frames -------------------------------------------------------------------
    std::vector<uint64_t> withdrawn;
    last_withdrawn_.clear();
    if (p.kind == Kind::kDepositMem || p.kind == Kind::kWithdrawMem ||
        s_.deposited_frames().size() != deposited_size_before) {
      if (!CheckDeposited(p, success, entry_frames, withdrawn)) return;
    }
    last_withdrawn_ = withdrawn;
    if (p.kind == Kind::kWithdrawMem) {
      for (uint64_t f : withdrawn) allowed_frames_.push_back(FrameRange{f, 1});
    }

    // 3. validated changes only through PVALIDATE, and only on its processed entries.
    for (const FrameRange& c : changed_validated_) {
      if (p.kind != Kind::kPvalidate || !completed || !Covered(c, entry_frames)) {
        return Fail("validated bit changed on frames " + Hex(c.first << kPageShift) + " +" +
                    std::to_string(c.count) + " (now " +
                    AttrsString(s_.page_state().Get(c.first)) + ")");
      }
    }
    // 5. Page attributes change only where the call may change them.
    for (const FrameRange& c : changed_) {
      if (!Covered(c, allowed_frames_)) {
        return Fail("page attributes of " + Hex(c.first << kPageShift) + " +" +
                    std::to_string(c.count) + " frames changed to " +
                    AttrsString(s_.page_state().Get(c.first)) + " (call result " + Hex(code) +
                    ")");
      }
    }

    // --- vCPUs ----------------------------------------------------------------------------------
    if (!CheckVcpus(p, vcpus_before, success, deleted_self)) return;

    // --- contents of the tracked pages ------------------------------------------------------
    if (!CheckMemory(p)) return;

    // --- effects the spec names -------------------------------------------------------------
    if (!CheckEffects(p, success, caller_vmpl, next_out)) return;

    // --- 1, 2, 4: isolation -----------------------------------------------------------------
    if (!CheckIsolation()) return;

    std::swap(runs_, runs_after_);
    if (completed && code == SVSM_ERR_INCOMPLETE && list_call) {
      retry_ = p;
      retry_->retry = false;
    }
    history_[history_pos_++ % history_.size()] =
        CallRecord{index_, p.kind, p.vcpu, p.in, r.regs, r.outcome, r.rule_id, p.retry};
  }

  // PVALIDATE / DEPOSIT_MEM `next` and the rule against the list as it was before the call.
  bool CheckListOutputs(const Planned& p, uint32_t code, const char* rule, uint16_t next_out) {
    const ListImage& l = list_before_;
    const std::string id = rule ? rule : "";
    const bool entry_rule = id.find(".entry-") != std::string::npos ||
                            id == "core.pvalidate.instruction-failure" ||
                            id == "core.pvalidate.no-change" ||
                            id == "core.pvalidate.unexpected-eax";
    if (code == SVSM_SUCCESS) {
      if (next_out != l.entries) {
        Fail("list call succeeded with next " + std::to_string(next_out) + " != entries " +
             std::to_string(l.entries));
        return false;
      }
    } else if (code == SVSM_ERR_INCOMPLETE) {
      if (next_out <= l.next || next_out >= l.entries) {
        Fail("INCOMPLETE with next " + std::to_string(next_out) + " (was " +
             std::to_string(l.next) + ", entries " + std::to_string(l.entries) + ")");
        return false;
      }
    } else if (entry_rule) {
      if (next_out < l.next || next_out >= l.entries || next_out >= l.entry.size()) {
        Fail("entry error with next " + std::to_string(next_out) + " outside [" +
             std::to_string(l.next) + ", " + std::to_string(l.entries) + ")");
        return false;
      }
      // The failing entry is the one the rule describes.
      const uint64_t e = l.entry[next_out];
      const bool large = (e & 3) == 1;
      bool fits = true;
      if (id == "core.pvalidate.entry-reserved-bits") fits = (e & 0xFF0) != 0;
      if (id == "core.pvalidate.entry-page-size" || id == "core.deposit-mem.entry-page-size") {
        fits = (e & 3) >= 2;
      }
      if (id == "core.pvalidate.entry-gpa-alignment" || id == "core.deposit-mem.entry-gpa-alignment") {
        fits = large && ((e >> kPageShift) & 0x1FF) != 0;
      }
      if (id == "core.pvalidate.entry-svsm-memory" || id == "core.deposit-mem.entry-forbidden") {
        const uint64_t pfn = e >> kPageShift;
        const uint64_t n = large ? kPagesPerLargePage : 1;
        bool owned = false;
        for (uint64_t f = pfn; f < pfn + n; ++f) {
          if (SvsmRegion(f) || s_.SvsmOwnedFrame(f) ||
              (p.kind == Kind::kDepositMem && s_.VcpuWithCaaFrame(f))) {
            owned = true;
          }
        }
        // Checked after the call: a list call only adds SVSM-owned pages (deposits).
        if (!owned) fits = false;
      }
      if (!fits) {
        Fail(id + " named for entry " + std::to_string(next_out) + " = " + Hex(e));
        return false;
      }
    } else if (next_out != l.next && id != "general.faulting-address") {
      Fail("list call failed (" + id + ") but next changed from " + std::to_string(l.next) +
           " to " + std::to_string(next_out));
      return false;
    }
    return true;
  }

  bool CheckDeposited(const Planned& p, bool success, const std::vector<FrameRange>& entry_frames,
                      std::vector<uint64_t>& withdrawn) {
    const std::set<uint64_t>& now = s_.deposited_frames();
    std::vector<uint64_t> added, removed;
    std::set_difference(now.begin(), now.end(), deposited_.begin(), deposited_.end(),
                        std::back_inserter(added));
    std::set_difference(deposited_.begin(), deposited_.end(), now.begin(), now.end(),
                        std::back_inserter(removed));
    if (p.kind != Kind::kDepositMem && !added.empty()) {
      Fail(std::to_string(added.size()) + " frames deposited by " + KindName(p.kind) +
           ", first " + Hex(added[0] << kPageShift));
      return false;
    }
    for (uint64_t f : added) {
      if (!Covered(FrameRange{f, 1}, entry_frames)) {
        Fail("frame " + Hex(f << kPageShift) + " deposited but not named by a processed entry");
        return false;
      }
      if (s_.page_state().Get(f).perms != std::array<uint8_t, 4>{}) {
        Fail("deposited frame " + Hex(f << kPageShift) + " keeps lower-VMPL access " +
             AttrsString(s_.page_state().Get(f)));
        return false;
      }
    }
    if (!removed.empty() && !(p.kind == Kind::kWithdrawMem && success)) {
      Fail(std::to_string(removed.size()) + " frames left the deposited set in " + KindName(p.kind));
      return false;
    }
    withdrawn = removed;
    for (uint64_t f : added) deposited_.insert(f);
    for (uint64_t f : removed) deposited_.erase(f);
    return true;
  }

  bool CheckVcpus(const Planned& p, const std::vector<VcpuState>& before, bool success,
                  bool deleted_self) {
    const std::vector<VcpuState>& now = s_.vcpus();
    for (size_t i = 0; i < now.size(); ++i) {
      const VcpuState& a = before[i];
      const VcpuState& b = now[i];
      bool same = a.apic_id == b.apic_id && a.vmsa == b.vmsa && a.caa == b.caa &&
                  a.running == b.running;
      if (same) continue;
      bool ok = false;
      if (success && p.kind == Kind::kRemapCa && i == p.vcpu) {
        ok = b.vmsa == a.vmsa && b.caa == p.in.rcx && b.running == a.running;
      } else if (success && p.kind == Kind::kCreateVcpu) {
        ok = !a.vmsa && b.vmsa == p.in.rcx && b.caa == p.in.rdx && !b.running &&
             b.apic_id == static_cast<uint32_t>(p.in.r8);
      } else if (success && p.kind == Kind::kDeleteVcpu) {
        ok = a.vmsa == p.in.rcx && !b.vmsa && !b.running && (i == p.vcpu) == deleted_self;
      }
      if (!ok) {
        Fail("vCPU " + std::to_string(i) + " changed: vmsa " +
             (a.vmsa ? Hex(*a.vmsa) : "-") + " -> " + (b.vmsa ? Hex(*b.vmsa) : "-") + ", caa " +
             Hex(a.caa) + " -> " + Hex(b.caa) + ", running " + std::to_string(a.running) +
             " -> " + std::to_string(b.running));
        return false;
      }
    }
    return true;
  }

  bool AllowedByte(uint64_t gpa) const {
    for (const FrameRange& b : allowed_bytes_) {
      if (gpa >= b.first && gpa - b.first < b.count) return true;
    }
    // Only PVALIDATE writes whole frames (validation zeroes them).
    return cur_.kind == Kind::kPvalidate && Covered(FrameRange{gpa >> kPageShift, 1}, allowed_frames_);
  }

  bool CheckMemory(const Planned& p) {
    std::array<uint8_t, kPageSize> buf;
    for (size_t i = 0; i < pages_.size(); ++i) {
      s_.PhysicalRead(pages_[i], buf);
      const uint8_t* now = buf.data();
      uint8_t* was = shadow_[i].data();
      if (std::memcmp(now, was, kPageSize) == 0) continue;
      for (size_t k = 0; k < kPageSize; k += 64) {
        if (std::memcmp(now + k, was + k, 64) == 0) continue;
        for (size_t b = k; b < k + 64; ++b) {
          if (now[b] != was[b] && !AllowedByte(pages_[i] + b)) {
            Fail("byte " + Hex(pages_[i] + b) + " changed " + Hex(was[b]) + " -> " +
                 Hex(now[b]) + " in " + KindName(p.kind) + " with result " +
                 Hex(result_.regs.rax));
            return false;
          }
        }
      }
      std::memcpy(was, now, kPageSize);
    }
    return true;
  }

  bool CheckEffects(const Planned& p, bool success, uint8_t caller_vmpl, uint16_t next_out) {
    const uint32_t code = static_cast<uint32_t>(result_.regs.rax);
    if (p.kind == Kind::kPvalidate && result_.outcome == CallResult::Outcome::kCompleted) {
      // Rules validate-grants-access / rescind-revokes-access on the entries processed,
      // where no later processed entry touches the same frames.
      const ListImage& l = list_before_;
      for (uint16_t i = l.next; i < next_out && i < l.entry.size(); ++i) {
        const uint64_t e = l.entry[i];
        const FrameRange fr{e >> kPageShift, (e & 3) == 1 ? kPagesPerLargePage : 1};
        bool overlapped = false;
        for (uint16_t j = static_cast<uint16_t>(i + 1); j < next_out && j < l.entry.size(); ++j) {
          const uint64_t f = l.entry[j];
          const FrameRange g{f >> kPageShift, (f & 3) == 1 ? kPagesPerLargePage : 1};
          if (g.first < fr.first + fr.count && fr.first < g.first + g.count) overlapped = true;
        }
        if (overlapped) continue;
        const PageAttrs want = (e & 4) ? ReferenceSvsm::GrantedAttrs(caller_vmpl, (e & 3) == 1)
                                       : PageAttrs{};
        const bool no_change_ignored = (e & 8) != 0;
        bool ok = true;
        s_.page_state().ForEachRun(fr.first, fr.count, [&](uint64_t, uint64_t, const PageAttrs& a) {
          if (a.validated != ((e & 4) != 0)) ok = false;
          // An ignored no-change leaves the attributes as they were.
          if (!no_change_ignored && !(a == want)) ok = false;
        });
        if (!ok) {
          Fail("entry " + std::to_string(i) + " = " + Hex(e) + " processed but frame " +
               Hex(fr.first << kPageShift) + " is " + AttrsString(s_.page_state().Get(fr.first)));
          return false;
        }
      }
    }
    if (!success) return true;
    switch (p.kind) {
      case Kind::kQueryProtocol: {
        const uint32_t proto = static_cast<uint32_t>(p.in.rcx >> 32);
        const uint32_t version = static_cast<uint32_t>(p.in.rcx);
        uint64_t want = 0;
        for (const ProtocolConfig& pc : s_.config().protocols) {
          if (pc.number == proto && version >= pc.min_version && version <= pc.max_version) {
            want = (uint64_t{pc.max_version} << 32) | pc.min_version;
          }
        }
        if (result_.regs.rcx != want) {
          Fail("QUERY_PROTOCOL answered " + Hex(result_.regs.rcx) + ", want " + Hex(want));
          return false;
        }
        break;
      }
      case Kind::kCreateVcpu: {
        const PageAttrs a = s_.page_state().Get(p.in.rcx >> kPageShift);
        if (!a.vmsa || !a.validated || a.perms != std::array<uint8_t, 4>{}) {
          Fail("created VMSA page has " + AttrsString(a));
          return false;
        }
        break;
      }
      case Kind::kDeleteVcpu: {
        const PageAttrs a = s_.page_state().Get(p.in.rcx >> kPageShift);
        const PageAttrs want = ReferenceSvsm::GrantedAttrs(caller_vmpl, a.validated_2m);
        uint8_t efer1 = 0;
        s_.PhysicalRead(p.in.rcx + 0xD1, std::span<uint8_t>(&efer1, 1));
        if (!(a == want) || (efer1 & 0x10) != 0) {
          Fail("deleted VMSA page has " + AttrsString(a) + ", EFER byte 1 " + Hex(efer1));
          return false;
        }
        break;
      }
      case Kind::kWithdrawMem: {
        uint8_t cb[2];
        s_.PhysicalRead(p.in.rcx, cb);
        const uint16_t count = static_cast<uint16_t>(cb[0] | cb[1] << 8);
        if (count != last_withdrawn_.size()) {
          Fail("WITHDRAW_MEM count " + std::to_string(count) + " but " +
               std::to_string(last_withdrawn_.size()) + " frames left the deposited set");
          return false;
        }
        uint8_t avail = 0;
        s_.PhysicalRead(s_.vcpus()[0].caa + 1, std::span<uint8_t>(&avail, 1));
        if ((avail != 0) != !s_.deposited_frames().empty()) {
          Fail("MEM_AVAILABLE " + std::to_string(avail) + " with " +
               std::to_string(s_.deposited_frames().size()) + " frames deposited");
          return false;
        }
        break;
      }
      case Kind::kRemapCa: {
        uint8_t cp = 0xFF;
        s_.PhysicalRead(p.in.rcx, std::span<uint8_t>(&cp, 1));
        if (cp != 0) {
          Fail("new CAA CALL_PENDING is " + std::to_string(cp));
          return false;
        }
        break;
      }
      default: break;
    }
    (void)code;
    return true;
  }

  bool GuestCanTouch(uint64_t gpa) const {
    uint8_t b = 0;
    for (uint8_t v = 1; v <= 3; ++v) {
      if (s_.GuestRead(v, gpa, std::span<uint8_t>(&b, 1))) return true;
    }
    return false;
  }
  bool GuestCanWrite(uint64_t gpa) {
    // Writes back what is there, so a wrong success changes nothing before it is reported.
    uint8_t b = 0;
    s_.PhysicalRead(gpa, std::span<uint8_t>(&b, 1));
    for (uint8_t v = 1; v <= 3; ++v) {
      if (s_.GuestWrite(v, gpa, std::span<const uint8_t>(&b, 1))) return true;
    }
    return false;
  }

  bool CheckIsolation() {
    const PlatformConfig& c = s_.config();
    // 1. The startup VMSA page and the SVSM region.
    PageAttrs vmsa_attrs;
    vmsa_attrs.validated = true;
    vmsa_attrs.vmsa = true;
    const PageAttrs sv = s_.page_state().Get(c.startup_vmsa >> kPageShift);
    if (!(sv == vmsa_attrs)) return Fail("startup VMSA page attributes " + AttrsString(sv)), false;
    const uint64_t probe = c.startup_vmsa + rng_.Below(kPageSize);
    if (GuestCanTouch(probe) || GuestCanWrite(probe)) {
      return Fail("startup VMSA byte " + Hex(probe) + " is guest-accessible"), false;
    }
    bool svsm_ok = true;
    s_.page_state().ForEachRun(c.svsm_base >> kPageShift, c.svsm_size >> kPageShift,
                               [&](uint64_t, uint64_t, const PageAttrs& a) {
                                 if (!a.validated || a.vmsa || a.perms != std::array<uint8_t, 4>{}) svsm_ok = false;
                               });
    if (!svsm_ok) return Fail("SVSM region page attributes changed"), false;
    const uint64_t sp = SvsmPage() + rng_.Below(kPageSize);
    if (GuestCanTouch(sp) || GuestCanWrite(sp)) {
      return Fail("SVSM region byte " + Hex(sp) + " is guest-accessible"), false;
    }
    // 2. VMSAs and CAAs.
    std::array<uint64_t, kApicIds.size()> vmsa_pfn{}, caa_pfn{};
    size_t n = 0;
    for (const VcpuState& v : s_.vcpus()) {
      if (!v.vmsa) continue;
      vmsa_pfn[n] = *v.vmsa >> kPageShift;
      caa_pfn[n] = v.caa >> kPageShift;
      const PageAttrs a = s_.page_state().Get(vmsa_pfn[n]);
      if (!a.vmsa || !a.validated || a.perms != std::array<uint8_t, 4>{}) {
        return Fail("active VMSA " + Hex(*v.vmsa) + " has attributes " + AttrsString(a)), false;
      }
      if (SvsmRegion(caa_pfn[n]) || s_.deposited_frames().count(caa_pfn[n])) {
        return Fail("active CAA " + Hex(v.caa) + " is SVSM memory"), false;
      }
      ++n;
    }
    for (size_t i = 0; i < n; ++i) {
      for (size_t j = 0; j < n; ++j) {
        if (vmsa_pfn[i] == caa_pfn[j]) {
          return Fail("page " + Hex(vmsa_pfn[i] << kPageShift) + " is an active VMSA and an active CAA"), false;
        }
        if (i != j && caa_pfn[i] == caa_pfn[j]) {
          return Fail("two vCPUs share the CAA page " + Hex(caa_pfn[i] << kPageShift)), false;
        }
      }
    }
    // 4. Frames that changed in this call and are not validated, and one pool page per call,
    //    are inaccessible to VMPL1..3 unless they are shared RAM.
    for (const FrameRange& ch : changed_) {
      for (uint64_t f : {ch.first, ch.first + ch.count - 1}) {
        if (!CheckRescindedInaccessible(f)) return false;
      }
    }
    if (!CheckRescindedInaccessible(rng_.Pick(pool_) >> kPageShift)) return false;
    // Deposited frames are never guest-accessible.
    if (!s_.deposited_frames().empty()) {
      const uint64_t f = rng_.Percent(50) ? *s_.deposited_frames().begin()
                                          : *s_.deposited_frames().rbegin();
      if (GuestCanTouch(f << kPageShift)) {
        return Fail("deposited frame " + Hex(f << kPageShift) + " is guest-accessible"), false;
      }
    }
    return true;
  }

  bool CheckRescindedInaccessible(uint64_t pfn) {
    const PageAttrs a = s_.page_state().Get(pfn);
    if (a.validated) return true;
    const MemoryRegion* r = s_.RegionOf(pfn << kPageShift, kPageSize);
    if (r != nullptr && r->kind == MemoryRegion::Kind::kRam && r->shared) return true;
    if (GuestCanTouch(pfn << kPageShift)) {
      Fail("frame " + Hex(pfn << kPageShift) + " is not validated but a lower VMPL can read it");
      return false;
    }
    return true;
  }

  // Every 16384 calls and at the end: the whole window, deposited set and unvalidated frames.
  bool FullSweep() {
    if (failed_) return false;
    if (s_.deposited_frames() != deposited_) {
      Fail("deposited set differs from the shadow");
      return false;
    }
    std::array<uint8_t, kPageSize> buf;
    for (const FrameRange& w : kWindow) {
      for (uint64_t f = w.first; f < w.first + w.count; ++f) {
        const uint64_t g = f << kPageShift;
        s_.PhysicalRead(g, buf);
        if (auto idx = PageIndex(g)) {
          if (buf != shadow_[*idx]) return Fail("tracked page " + Hex(g) + " differs from shadow"), false;
        } else if (std::memcmp(buf.data(), kZeroPage.data(), kPageSize) != 0) {
          return Fail("untracked page " + Hex(g) + " holds data"), false;
        }
      }
    }
    for (const StateRun& r : runs_) {
      if (!r.attrs.validated) {
        if (!CheckRescindedInaccessible(r.first) || !CheckRescindedInaccessible(r.first + r.count - 1)) return false;
      }
      if (r.attrs.vmsa) {
        for (uint64_t f = r.first; f < r.first + r.count; ++f) {
          if (!s_.VcpuWithVmsa(f << kPageShift)) return Fail("page " + Hex(f << kPageShift) + " is a VMSA of no vCPU"), false;
        }
      }
    }
    for (uint64_t f : s_.deposited_frames()) {
      if (s_.page_state().Get(f).perms != std::array<uint8_t, 4>{}) {
        return Fail("deposited frame " + Hex(f << kPageShift) + " has lower-VMPL access"), false;
      }
    }
    return true;
  }

  // --- failure report ---------------------------------------------------------------------------
  static std::string Regs5(const RegisterSet& r) {
    return "rax=" + Hex(r.rax) + " rcx=" + Hex(r.rcx) + " rdx=" + Hex(r.rdx) + " r8=" + Hex(r.r8) +
           " r9=" + Hex(r.r9);
  }
  void Fail(const std::string& what) {
    if (failed_) return;
    failed_ = true;
    std::ostringstream m;
    m << "RandomSequence invariant violated: " << what << "\n  reproduce: SVSM_REF_RANDOM_SEED="
      << Hex(seed_) << " svsm_ref_tests --gtest_filter='RandomSequence*'"
      << "\n  seed " << Hex(seed_) << ", phase " << phase_ << " (" << kPhases[phase_].name
      << "), call index " << index_ << " (calls completed by the model in this phase: "
      << s_.calls_completed() << ")\n  call: " << KindName(cur_.kind) << (cur_.retry ? " (INCOMPLETE retry)" : "")
      << " on vCPU " << cur_.vcpu << " (VMPL" << int(s_.vcpus()[cur_.vcpu].vmsa ? VmplOf(cur_.vcpu) : 0)
      << "): " << Regs5(cur_.in) << "\n  result: outcome " << static_cast<int>(result_.outcome)
      << ", " << Regs5(result_.regs) << ", rule " << (result_.rule_id ? result_.rule_id : "-");
    if (list_before_.present) {
      m << "\n  list at " << Hex(cur_.in.rcx) << " before the call: entries " << list_before_.entries
        << ", next " << list_before_.next << ", entry[]:";
      for (size_t i = 0; i < list_before_.entry.size() && i < 16; ++i) m << " " << Hex(list_before_.entry[i]);
    }
    m << "\n  vCPUs now:";
    for (size_t i = 0; i < s_.vcpus().size(); ++i) {
      const VcpuState& v = s_.vcpus()[i];
      m << " [" << i << " apic " << v.apic_id << " vmsa " << (v.vmsa ? Hex(*v.vmsa) : "-") << " caa "
        << Hex(v.caa) << (v.running ? " running" : "") << "]";
    }
    m << "\n  previous calls (oldest first):";
    for (size_t k = 0; k < history_.size(); ++k) {
      const CallRecord& h = history_[(history_pos_ + k) % history_.size()];
      if (h.rule == nullptr && h.index == 0) continue;
      m << "\n    #" << h.index << " " << KindName(h.kind) << " vCPU " << h.vcpu << " " << Regs5(h.in)
        << " -> rax=" << Hex(h.out.rax) << " rcx=" << Hex(h.out.rcx) << " " << (h.rule ? h.rule : "-");
    }
    ADD_FAILURE() << m.str();
  }

  ReferenceSvsm& s_;
  Rng rng_;
  uint64_t seed_;
  size_t phase_;
  uint64_t index_;
  bool failed_ = false;

  std::vector<uint64_t> pages_;  // tracked pages (sorted)
  std::vector<std::array<uint8_t, kPageSize>> shadow_;
  std::vector<uint64_t> boot_pool_, low_pool_, area_pool_, shared_pool_, pool_;
  std::vector<StateRun> runs_, runs_after_;
  std::vector<FrameRange> changed_, changed_validated_, allowed_frames_, allowed_bytes_;
  std::set<uint64_t> deposited_;
  std::vector<uint64_t> last_withdrawn_;

  Planned cur_;
  CallResult result_;
  ListImage list_before_;
  std::optional<Planned> retry_;
  std::array<CallRecord, 8> history_{};
  size_t history_pos_ = 0;

  std::map<std::string, uint64_t> rules_;
  std::map<std::string, uint64_t> kinds_;
  std::map<int, uint64_t> outcomes_;
  std::set<std::tuple<int, const char*, uint32_t>> spec_ok_;
  uint64_t guest_writes_ = 0, guest_writes_ok_ = 0;
 public:
  uint64_t next_writeback_faults_ = 0;
  std::map<int, uint64_t> outcomes() const { return outcomes_; }
};

std::unique_ptr<ReferenceSvsm> MakePhaseSvsm(const Phase& phase) {
  auto svsm = MakeSvsm(PhaseConfig(phase));
  if (!svsm) return nullptr;
  // The addresses above assume the default memory map.
  const auto ram = [&](uint64_t gpa, bool shared) {
    const MemoryRegion* r = svsm->RegionOf(gpa, kPageSize);
    return r != nullptr && r->kind == MemoryRegion::Kind::kRam && r->shared == shared;
  };
  EXPECT_TRUE(ram(kBootPool, false) && ram(kLowPool, false) && ram(kArea0, false) &&
              ram(kHighArea + kLargePageSize, false) && ram(kShared + kPageSize, true) &&
              svsm->RegionOf(kHole, kPageSize) == nullptr &&
              svsm->RegionOf(kBeyond, kPageSize) == nullptr)
      << "the default memory map changed; update random_sequence_test.cc";
  EXPECT_TRUE(svsm->PageStateAt(kBootPool).validated && !svsm->PageStateAt(kLowPool).validated);
  EXPECT_FALSE(svsm->InSvsmRegion(kArea1 + kLargePageSize));
  return svsm;
}

TEST(RandomSequence, IsolationInvariantsHoldOverAMillionCalls) {
  const uint64_t seed = EnvU64("SVSM_REF_RANDOM_SEED", kDefaultSeed);
  const uint64_t total = EnvU64("SVSM_REF_RANDOM_CALLS", kDefaultCalls);
  std::printf("RandomSequence: seed %s (override with SVSM_REF_RANDOM_SEED), %" PRIu64
              " calls (SVSM_REF_RANDOM_CALLS)\n",
              Hex(seed).c_str(), total);
  ::testing::Test::RecordProperty("seed", Hex(seed));
  ::testing::Test::RecordProperty("calls", std::to_string(total));

  std::map<std::string, uint64_t> rules, kinds;
  std::map<int, uint64_t> outcomes;
  uint64_t writeback_faults = 0;
  uint64_t index = 0;
  const auto start = std::chrono::steady_clock::now();
  const std::clock_t cpu_start = std::clock();
  for (size_t ph = 0; ph < kPhases.size(); ++ph) {
    auto svsm = MakePhaseSvsm(kPhases[ph]);
    ASSERT_NE(svsm, nullptr);
    const uint64_t calls = total / kPhases.size() + (ph + 1 == kPhases.size() ? total % kPhases.size() : 0);
    RandomSequence seq(*svsm, seed, ph, index);
    const bool ok = seq.Run(calls);
    for (const auto& [k, v] : seq.rules()) rules[k] += v;
    for (const auto& [k, v] : seq.kinds()) kinds[k] += v;
    for (const auto& [k, v] : seq.outcomes()) outcomes[k] += v;
    writeback_faults += seq.next_writeback_faults_;
    index = seq.index();
    if (!ok) break;
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double cpu = static_cast<double>(std::clock() - cpu_start) / CLOCKS_PER_SEC;

  std::ostringstream dist;
  for (const auto& [k, v] : rules) dist << k << "=" << v << " ";
  std::ostringstream kd;
  for (const auto& [k, v] : kinds) kd << k << "=" << v << " ";
  static const char* const kOutcome[] = {"completed", "spurious", "not-vmgexit", "no-vmsa",
                                         "guest-fault", "vcpu-deleted"};
  kd << "| outcomes:";
  for (const auto& [k, v] : outcomes) kd << " " << kOutcome[k] << "=" << v;
  kd << " | list calls whose `next` write-back faulted after entries took effect: "
     << writeback_faults;
  std::printf("RandomSequence: %" PRIu64 " calls in %.2f s (%.2f s CPU; %.0f calls/CPU-s)\n  calls: %s\n  rules: %s\n",
              index, secs, cpu, cpu > 0 ? index / cpu : 0.0, kd.str().c_str(), dist.str().c_str());
  ::testing::Test::RecordProperty("rule_distribution", dist.str());
  ::testing::Test::RecordProperty("call_distribution", kd.str());
  ::testing::Test::RecordProperty("calls_per_cpu_second", std::to_string(static_cast<uint64_t>(cpu > 0 ? index / cpu : 0)));
  if (HasFailure()) return;

  // The generator must keep reaching these rules (every core call's success rule and its
  // main errors); a change that stops it doing so fails here instead of passing silently.
  if (total < kDefaultCalls / 10) return;  // a short run (env override) proves nothing here
  static const char* const kRequired[] = {
      "core.remap-ca.new-caa-cleared", "core.remap-ca.alignment", "core.remap-ca.forbidden-address",
      "core.remap-ca.same-address", "core.vmsa-is-svsm-memory", "general.faulting-address",
      "core.pvalidate.process-from-next", "core.pvalidate.alignment", "core.pvalidate.entries-zero",
      "core.pvalidate.list-crosses-page", "core.pvalidate.next-not-below-entries",
      "core.pvalidate.entry-reserved-bits", "core.pvalidate.entry-page-size",
      "core.pvalidate.entry-gpa-alignment", "core.pvalidate.entry-not-guest-memory",
      "core.pvalidate.entry-svsm-memory", "core.pvalidate.instruction-failure",
      "core.pvalidate.no-change", "core.pvalidate.incomplete",
      "core.create-vcpu.vmsa-created", "core.create-vcpu.alignment",
      "core.create-vcpu.forbidden-address", "core.create-vcpu.not-guest-memory",
      "core.create-vcpu.vmsa-caa-same-page", "core.create-vcpu.apic-id",
      "core.create-vcpu.vmsa-vmpl-zero", "core.create-vcpu.vmsa-vmpl-below-caller",
      "core.create-vcpu.vmsa-svme", "core.create-vcpu.vmsa-sev-features",
      "core.delete-vcpu.vmsa-released", "core.delete-vcpu.self", "core.delete-vcpu.alignment",
      "core.delete-vcpu.unknown-vmsa", "core.delete-vcpu.startup-vcpu",
      "core.delete-vcpu.vmsa-vmpl-below-caller", "core.delete-vcpu.in-use",
      "core.deposit-mem.pages-taken", "core.deposit-mem.alignment", "core.deposit-mem.entries-zero",
      "core.deposit-mem.list-crosses-page", "core.deposit-mem.next-not-below-entries",
      "core.deposit-mem.entry-page-size", "core.deposit-mem.entry-gpa-alignment",
      "core.deposit-mem.entry-forbidden", "core.deposit-mem.incomplete",
      "core.withdraw-mem.pages-returned", "core.withdraw-mem.alignment", "core.withdraw-mem.no-room",
      "core.query-protocol.core-available", "core.query-protocol.available",
      "core.query-protocol.unavailable", "core.configure-vtom.query-result",
      "core.configure-vtom.query-reserved-bits", "core.configure-vtom.configure-reserved-bits",
      "core.configure-vtom.cannot-reconfigure", "core.configure-vtom.unsupported-vtom",
      "core.configure-vtom.misaligned-vtom", "core.configure-vtom.disable-nonzero-vtom",
      "core.configure-vtom.configured", "core.unknown-call", "general.unsupported-protocol",
      "general.call-pending-reserved-value",
  };
  for (const char* id : kRequired) {
    EXPECT_GT(rules[id], 0u) << "the random sequence never reached rule " << id;
  }
  EXPECT_EQ(rules["model.unmapped-decode-rule"], 0u);
}

}  // namespace
}  // namespace svsm_ref
