// The RMP-like state of every 4 KiB guest frame: validated or not, at which page size, VMSA,
// and the permissions of VMPL1..3 (VMPL0, the SVSM, always has every permission).
//
// Stored as runs of equal attributes, so the cost follows what the guest touched, not the
// size of the guest: a fresh 52-bit address space is one run, and validating all of a
// 1 TiB guest with 2 MiB pages leaves a handful of runs.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>

namespace svsm_ref {

inline constexpr uint64_t kPageShift = 12;
inline constexpr uint64_t kPageSize = uint64_t{1} << kPageShift;
inline constexpr uint64_t kLargePageSize = uint64_t{1} << 21;
inline constexpr uint64_t kPagesPerLargePage = kLargePageSize / kPageSize;  // 512
// SNP guests have at most a 52-bit physical address space.
inline constexpr uint64_t kAddressLimit = uint64_t{1} << 52;
inline constexpr uint64_t kFrameLimit = kAddressLimit >> kPageShift;

// RMPADJUST permission bits (per VMPL).
inline constexpr uint8_t kPermRead = 1;
inline constexpr uint8_t kPermWrite = 2;
inline constexpr uint8_t kPermExecUser = 4;
inline constexpr uint8_t kPermExecSupervisor = 8;
inline constexpr uint8_t kPermAll = 0xF;
inline constexpr uint8_t kPermNone = 0;

enum class PageSize : uint8_t { k4K = 0, k2M = 1 };

struct PageAttrs {
  // PVALIDATE state of the frame.
  bool validated = false;
  // The frame was validated by a 2 MiB PVALIDATE (all 512 frames of its 2 MiB frame share
  // this); a 4 KiB rescind of such a frame is a size mismatch.
  bool validated_2m = false;
  // The frame is a VMSA page (RMPADJUST VMSA bit).
  bool vmsa = false;
  // perms[v] for VMPL v = 1..3 (perms[0] is unused: VMPL0 always has kPermAll).
  std::array<uint8_t, 4> perms{};

  bool operator==(const PageAttrs&) const = default;
};

class PageStateTable {
 public:
  // Every frame of the 52-bit space starts with default PageAttrs (not validated, no
  // permissions).
  PageStateTable();

  // The attributes of frame `pfn` (pfn < kFrameLimit; larger frames read as default).
  PageAttrs Get(uint64_t pfn) const;

  // Sets frames [first_pfn, first_pfn + count) to `attrs`, merging with equal neighbours.
  // Frames at or above kFrameLimit are ignored.
  void Set(uint64_t first_pfn, uint64_t count, const PageAttrs& attrs);

  // Whether every frame of [first_pfn, first_pfn + count) has exactly `attrs`.
  bool AllEqual(uint64_t first_pfn, uint64_t count, const PageAttrs& attrs) const;

  // Calls fn(first_pfn, count, attrs) for each maximal run of equal attributes overlapping
  // [first_pfn, first_pfn + count), clipped to that range, in address order.
  void ForEachRun(uint64_t first_pfn, uint64_t count,
                  const std::function<void(uint64_t, uint64_t, const PageAttrs&)>& fn) const;

  // Number of runs (1 for a fresh table) and an estimate of the heap bytes they use.
  size_t RunCount() const;
  size_t MemoryBytes() const;

  // Tables are kept canonical (no two adjacent runs with equal attributes), so two tables
  // holding the same state compare equal however they got there.
  bool operator==(const PageStateTable&) const = default;

 private:
  // Run start frame -> attributes; a run extends to the next key (the last to kFrameLimit).
  std::map<uint64_t, PageAttrs> runs_;
};

}  // namespace svsm_ref
