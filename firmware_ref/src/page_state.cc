#include "svsm_ref/page_state.h"

#include <iterator>
#include <utility>

namespace svsm_ref {

namespace {

// One past the last frame of [first_pfn, first_pfn + count), clipped to kFrameLimit so that
// huge counts (even ones that would wrap 64 bits) mean "to the end of the address space".
// Requires first_pfn < kFrameLimit.
uint64_t ClippedEnd(uint64_t first_pfn, uint64_t count) {
  return count >= kFrameLimit - first_pfn ? kFrameLimit : first_pfn + count;
}

}  // namespace

PageStateTable::PageStateTable() {
  runs_.emplace(0, PageAttrs{});
}

PageAttrs PageStateTable::Get(uint64_t pfn) const {
  if (pfn >= kFrameLimit) return PageAttrs{};
  // Key 0 always exists, so the run holding `pfn` is the last key <= pfn.
  return std::prev(runs_.upper_bound(pfn))->second;
}

void PageStateTable::Set(uint64_t first_pfn, uint64_t count, const PageAttrs& attrs) {
  if (count == 0 || first_pfn >= kFrameLimit) return;
  const uint64_t end_pfn = ClippedEnd(first_pfn, count);

  auto lo = runs_.lower_bound(first_pfn);  // first run start inside the range, if any
  // Setting frames to what they already hold must not churn nodes (nor allocate).
  const auto holding_first = (lo != runs_.end() && lo->first == first_pfn) ? lo : std::prev(lo);
  if (holding_first->second == attrs) {
    const auto next = std::next(holding_first);
    if (next == runs_.end() || next->first >= end_pfn) return;
  }

  auto hi = end_pfn < kFrameLimit ? runs_.lower_bound(end_pfn) : runs_.end();
  // Frame end_pfn keeps its attributes, so it must start a run of its own.
  if (end_pfn < kFrameLimit && (hi == runs_.end() || hi->first != end_pfn)) {
    const PageAttrs tail = std::prev(hi)->second;
    if (lo != hi) {
      // A run start inside the range is about to be erased: move its node to end_pfn instead
      // of freeing one node and allocating another. This keeps the common in-order pattern
      // (each Set extends the previous run) free of heap traffic.
      const auto after_lo = std::next(lo);
      auto node = runs_.extract(lo);
      node.key() = end_pfn;
      node.mapped() = tail;
      const auto moved = runs_.insert(hi, std::move(node));
      lo = (after_lo == hi) ? moved : after_lo;
      hi = moved;
    } else {
      hi = runs_.emplace_hint(hi, end_pfn, tail);
      lo = hi;  // the range holds no run start: nothing to erase
    }
  }
  runs_.erase(lo, hi);

  // Canonical form: no run start whose attributes equal the preceding run's. Only the two
  // boundaries of the range can have become redundant. When first_pfn > 0, key 0 survives the
  // erase, so the preceding run exists.
  const bool extends_previous = first_pfn > 0 && std::prev(hi)->second == attrs;
  if (!extends_previous) runs_.emplace_hint(hi, first_pfn, attrs);
  if (hi != runs_.end() && hi->second == attrs) runs_.erase(hi);
}

bool PageStateTable::AllEqual(uint64_t first_pfn, uint64_t count, const PageAttrs& attrs) const {
  if (count == 0) return true;
  // Frames at or above kFrameLimit read as default (see Get).
  const bool reaches_past_limit = first_pfn >= kFrameLimit || count > kFrameLimit - first_pfn;
  if (reaches_past_limit && attrs != PageAttrs{}) return false;
  if (first_pfn >= kFrameLimit) return true;
  const uint64_t end_pfn = ClippedEnd(first_pfn, count);
  for (auto it = std::prev(runs_.upper_bound(first_pfn)); it != runs_.end() && it->first < end_pfn;
       ++it) {
    if (it->second != attrs) return false;
  }
  return true;
}

void PageStateTable::ForEachRun(
    uint64_t first_pfn, uint64_t count,
    const std::function<void(uint64_t, uint64_t, const PageAttrs&)>& fn) const {
  // Only frames below kFrameLimit have runs; the rest of the range reports nothing.
  if (count == 0 || first_pfn >= kFrameLimit) return;
  const uint64_t end_pfn = ClippedEnd(first_pfn, count);
  for (auto it = std::prev(runs_.upper_bound(first_pfn)); it != runs_.end() && it->first < end_pfn;
       ++it) {
    const auto next = std::next(it);
    const uint64_t run_end = next == runs_.end() ? kFrameLimit : next->first;
    const uint64_t start = it->first < first_pfn ? first_pfn : it->first;
    const uint64_t stop = run_end < end_pfn ? run_end : end_pfn;
    fn(start, stop - start, it->second);
  }
}

size_t PageStateTable::RunCount() const {
  return runs_.size();
}

size_t PageStateTable::MemoryBytes() const {
  // A libstdc++ red-black tree node is a 32-byte header (colour, parent, left, right) plus the
  // value; glibc malloc adds about 16 bytes of chunk header and rounding per node.
  constexpr size_t kTreeNodeHeader = 32;
  constexpr size_t kAllocatorOverhead = 16;
  constexpr size_t kNodeBytes =
      kTreeNodeHeader + sizeof(decltype(runs_)::value_type) + kAllocatorOverhead;
  return runs_.size() * kNodeBytes;
}

}  // namespace svsm_ref
