#include "svsm_ref/sparse_memory.h"

#include <algorithm>
#include <cstring>

namespace svsm_ref {

namespace {

// Whether [gpa, gpa + size) lies inside the guest physical address space without wrapping.
// A zero-sized range is accepted anywhere a byte could be.
bool InAddressSpace(uint64_t gpa, uint64_t size) {
  return gpa < kAddressLimit && size <= kAddressLimit - gpa;
}

bool AllZero(std::span<const uint8_t> bytes) {
  return std::all_of(bytes.begin(), bytes.end(), [](uint8_t b) { return b == 0; });
}

}  // namespace

bool SparseMemory::Read(uint64_t gpa, std::span<uint8_t> out) const {
  if (!InAddressSpace(gpa, out.size())) return false;
  uint64_t done = 0;
  // One lookup, then walk the ordered map alongside the pages the range covers.
  auto it = pages_.lower_bound(gpa >> kPageShift);
  while (done < out.size()) {
    const uint64_t addr = gpa + done;
    const uint64_t pfn = addr >> kPageShift;
    const uint64_t offset = addr & (kPageSize - 1);
    const uint64_t chunk = std::min<uint64_t>(kPageSize - offset, out.size() - done);
    while (it != pages_.end() && it->first < pfn) ++it;
    if (it != pages_.end() && it->first == pfn) {
      std::memcpy(out.data() + done, it->second->data() + offset, chunk);
    } else {
      std::memset(out.data() + done, 0, chunk);
    }
    done += chunk;
  }
  return true;
}

bool SparseMemory::Write(uint64_t gpa, std::span<const uint8_t> in) {
  if (!InAddressSpace(gpa, in.size())) return false;
  uint64_t done = 0;
  while (done < in.size()) {
    const uint64_t addr = gpa + done;
    const uint64_t pfn = addr >> kPageShift;
    const uint64_t offset = addr & (kPageSize - 1);
    const uint64_t chunk = std::min<uint64_t>(kPageSize - offset, in.size() - done);
    const auto bytes = in.subspan(done, chunk);
    auto it = pages_.lower_bound(pfn);
    if (it == pages_.end() || it->first != pfn) {
      // An absent page already reads as zeros; only materialise it for non-zero data.
      if (AllZero(bytes)) {
        done += chunk;
        continue;
      }
      it = pages_.emplace_hint(it, pfn, std::make_unique<Page>());  // value-initialised: zeros
    }
    std::memcpy(it->second->data() + offset, bytes.data(), chunk);
    done += chunk;
  }
  return true;
}

bool SparseMemory::Zero(uint64_t gpa, uint64_t size) {
  if (!InAddressSpace(gpa, size)) return false;
  if (size == 0) return true;
  const uint64_t end = gpa + size;  // <= kAddressLimit, no wrap
  // Clears [from, to) inside one page, if that page holds data.
  auto zero_inside_page = [this](uint64_t from, uint64_t to) {
    const auto it = pages_.find(from >> kPageShift);
    if (it != pages_.end())
      std::memset(it->second->data() + (from & (kPageSize - 1)), 0, to - from);
  };
  // Whole pages in [first_whole, end_whole) (frame numbers) are dropped with one range erase.
  const uint64_t first_whole = (gpa + kPageSize - 1) >> kPageShift;
  const uint64_t end_whole = end >> kPageShift;
  if (first_whole >= end_whole) {
    // No whole page: the range sits in one page or straddles one boundary.
    const uint64_t boundary = (gpa | (kPageSize - 1)) + 1;
    if (end <= boundary) {
      zero_inside_page(gpa, end);
    } else {
      zero_inside_page(gpa, boundary);
      zero_inside_page(boundary, end);
    }
    return true;
  }
  if ((gpa & (kPageSize - 1)) != 0) zero_inside_page(gpa, first_whole << kPageShift);
  pages_.erase(pages_.lower_bound(first_whole), pages_.lower_bound(end_whole));
  if ((end & (kPageSize - 1)) != 0) zero_inside_page(end_whole << kPageShift, end);
  return true;
}

size_t SparseMemory::ResidentPages() const {
  return pages_.size();
}

size_t SparseMemory::MemoryBytes() const {
  // Per page: the 4 KiB block and a map node (32-byte tree header plus key and pointer), each a
  // separate allocation with about 16 bytes of glibc malloc overhead.
  constexpr size_t kTreeNodeHeader = 32;
  constexpr size_t kAllocatorOverhead = 16;
  constexpr size_t kPerPage = sizeof(Page) + kAllocatorOverhead + kTreeNodeHeader +
                              sizeof(decltype(pages_)::value_type) + kAllocatorOverhead;
  return pages_.size() * kPerPage;
}

}  // namespace svsm_ref
