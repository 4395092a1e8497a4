// Guest memory for codec_bench: one flat buffer at a base address; anything outside it is
// inaccessible. Its own translation unit, reached only through codec::GuestMemory, so that
// neither the generated decoders (compiled in another library) nor the hand-written
// baseline (compiled in codec_bench.cc) can devirtualize and inline the guest read: both
// pay the same indirect call, as decoders reading a real SVSM's guest memory do.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "svsm_spec/codec_runtime.h"

namespace svsm_bench {

class FlatMemoryWriter {
 public:
  virtual ~FlatMemoryWriter() = default;
  virtual const svsm_spec::codec::GuestMemory& memory() const = 0;
  // Places each image at its gpa (inside the buffer).
  virtual void Write(const std::vector<svsm_spec::codec::MemoryImage>& images) = 0;
};

std::unique_ptr<FlatMemoryWriter> MakeFlatMemory(uint64_t base, size_t size);

}  // namespace svsm_bench
