// Contents of guest physical memory, stored sparsely: a page that was never written (or was
// zeroed) costs nothing and reads as zeros. No access policy lives here; the SVSM model
// decides who may read or write what.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <span>

#include "svsm_ref/page_state.h"

namespace svsm_ref {

class SparseMemory {
 public:
  // Copies [gpa, gpa + out.size()) into `out`; false (and `out` unspecified) when the range
  // wraps or reaches kAddressLimit.
  bool Read(uint64_t gpa, std::span<uint8_t> out) const;
  // Copies `in` to [gpa, gpa + in.size()); false (and nothing written) when the range wraps
  // or reaches kAddressLimit. Writing zeros to an absent page stores nothing.
  bool Write(uint64_t gpa, std::span<const uint8_t> in);
  // Makes [gpa, gpa + size) read as zeros; whole pages are dropped. Same bounds as Write.
  bool Zero(uint64_t gpa, uint64_t size);

  // Pages holding data, and an estimate of the heap bytes used.
  size_t ResidentPages() const;
  size_t MemoryBytes() const;

 private:
  using Page = std::array<uint8_t, kPageSize>;
  // Frame number -> contents (ordered, so zeroing a 2 MiB range is one range erase).
  std::map<uint64_t, std::unique_ptr<Page>> pages_;
};

}  // namespace svsm_ref
