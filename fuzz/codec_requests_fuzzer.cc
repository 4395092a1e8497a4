// Decodes the input as the registers of one call (every call and form of the spec, through
// ForEachCall) plus guest memory, and checks what a successful request decode promises:
//   * EncodeRequest reproduces RAX and never sets a register bit the guest did not set (it
//     writes 0 for registers the call does not use and drops the bits a narrower register
//     type ignores);
//   * RequestMemory reproduces, byte for byte, the guest memory each structure was read from;
//   * decoding the re-encoded registers gives the same request (the encoding is canonical);
//   * the JSON round trip gives the same request.
// The response decoder of the call sees the same registers (it has no checks, so it must
// round-trip through EncodeResponse and JSON).
//
// Body layout after the selector: a flags byte, then RAX, RCX, RDX, R8, R9 as little-endian
// u64 (missing bytes are 0), then the bytes of guest memory mapped at kWindow (everything
// else is inaccessible). Flag bit 0..3: RCX..R9 is kWindow + (value & 0xffff) instead of the
// value, so that pointers land in the window; bit 4: RAX is the value as given instead of
// the call's RAX.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "codec_fuzz_common.h"
#include "svsm_spec/codec_runtime.h"
#include "svsm_spec_codecs.h"

namespace {

using svsm_spec::codec::GuestMemory;
using svsm_spec::codec::MemoryImage;
using svsm_spec::codec::RegisterSet;
using svsm_spec::fuzz::Check;

constexpr uint64_t kWindow = 0x7f000000;
constexpr size_t kHeader = 1 + 5 * 8;

// The fuzz bytes as guest memory at kWindow.
class WindowMemory : public GuestMemory {
 public:
  explicit WindowMemory(std::span<const uint8_t> bytes) : bytes_(bytes) {}

  bool Read(uint64_t gpa, std::span<uint8_t> out) const override {
    if (gpa < kWindow) return false;
    const uint64_t offset = gpa - kWindow;
    if (offset > bytes_.size() || out.size() > bytes_.size() - offset) return false;
    if (!out.empty()) std::memcpy(out.data(), bytes_.data() + offset, out.size());
    return true;
  }

 private:
  std::span<const uint8_t> bytes_;
};

uint64_t Load(std::span<const uint8_t> body, size_t offset) {
  uint64_t v = 0;
  for (size_t i = 0; i < 8 && offset + i < body.size(); ++i) {
    v |= uint64_t{body[offset + i]} << (8 * i);
  }
  return v;
}

bool Subset(uint64_t encoded, uint64_t given) {
  return (encoded & ~given) == 0;
}

template <class Req, class Resp>
void FuzzOne(std::span<const uint8_t> body) {
  const uint8_t flags = body.empty() ? 0 : body[0];
  RegisterSet regs;
  regs.rax = (flags & 0x10) ? Load(body, 1) : Req::kRax;
  uint64_t* gprs[] = {&regs.rcx, &regs.rdx, &regs.r8, &regs.r9};
  for (size_t i = 0; i < 4; ++i) {
    const uint64_t v = Load(body, 9 + 8 * i);
    *gprs[i] = (flags & (1u << i)) ? kWindow + (v & 0xffff) : v;
  }
  const WindowMemory memory(body.size() > kHeader ? body.subspan(kHeader)
                                                  : std::span<const uint8_t>());

  auto r = svsm_spec::codec::DecodeRequest<Req>(regs, memory);
  if (!r.ok()) {
    Check(!r.error().message.empty());
  } else {
    const Req& v = r.value();
    const RegisterSet enc = EncodeRequest(v);
    Check(enc.rax == regs.rax && enc.rax == Req::kRax);
    Check(Subset(enc.rcx, regs.rcx) && Subset(enc.rdx, regs.rdx) && Subset(enc.r8, regs.r8) &&
          Subset(enc.r9, regs.r9));
    for (const MemoryImage& image : RequestMemory(v)) {
      Check(svsm_spec::codec::RangeFits(image.gpa, image.bytes.size()));
      std::vector<uint8_t> guest(image.bytes.size());
      Check(memory.Read(image.gpa, guest));
      Check(guest == image.bytes);
    }
    auto again = svsm_spec::codec::DecodeRequest<Req>(enc, memory);
    Check(again.ok() && again.value() == v);
    Check(EncodeRequest(again.value()) == enc);

    auto back = svsm_spec::codec::FromJson<Req>(svsm_spec::codec::ToJson(v));
    Check(back.ok() && back.value() == v);
  }

  const Resp resp = svsm_spec::codec::DecodeResponse<Resp>(regs);
  const RegisterSet out = EncodeResponse(resp);
  Check(out.rax == (regs.rax & 0xffffffff));
  Check(Subset(out.rcx, regs.rcx) && Subset(out.rdx, regs.rdx) && Subset(out.r8, regs.r8) &&
        Subset(out.r9, regs.r9));
  Check(svsm_spec::codec::DecodeResponse<Resp>(out) == resp);
  auto resp_back = svsm_spec::codec::FromJson<Resp>(svsm_spec::codec::ToJson(resp));
  Check(resp_back.ok() && resp_back.value() == resp);
}

const std::vector<std::string_view>& Names() {
  static const std::vector<std::string_view> names = [] {
    std::vector<std::string_view> n;
    svsm_spec::codec::gen::ForEachCall([&](auto, auto, const char* name) { n.push_back(name); });
    return n;
  }();
  return names;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  svsm_spec::fuzz::Selection sel;
  if (!svsm_spec::fuzz::Select(data, size, Names(), &sel)) return 0;
  size_t i = 0;
  svsm_spec::codec::gen::ForEachCall([&](auto req, auto resp, const char*) {
    if (i++ != sel.index) return;
    FuzzOne<typename decltype(req)::type, typename decltype(resp)::type>(sel.body);
  });
  return 0;
}
