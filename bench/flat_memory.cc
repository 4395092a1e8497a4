#include "flat_memory.h"

#include <cstring>

namespace svsm_bench {
namespace {

namespace codec = svsm_spec::codec;

class FlatMemory final : public codec::GuestMemory, public FlatMemoryWriter {
 public:
  FlatMemory(uint64_t base, size_t size) : base_(base), bytes_(size, 0) {}

  const codec::GuestMemory& memory() const override { return *this; }

  void Write(const std::vector<codec::MemoryImage>& images) override {
    for (const auto& image : images) {
      std::memcpy(bytes_.data() + (image.gpa - base_), image.bytes.data(), image.bytes.size());
    }
  }

  bool Read(uint64_t gpa, std::span<uint8_t> out) const override {
    if (gpa < base_) return false;
    const uint64_t offset = gpa - base_;
    if (offset > bytes_.size() || out.size() > bytes_.size() - offset) return false;
    std::memcpy(out.data(), bytes_.data() + offset, out.size());
    return true;
  }

 private:
  uint64_t base_;
  std::vector<uint8_t> bytes_;
};

}  // namespace

std::unique_ptr<FlatMemoryWriter> MakeFlatMemory(uint64_t base, size_t size) {
  return std::make_unique<FlatMemory>(base, size);
}

}  // namespace svsm_bench
