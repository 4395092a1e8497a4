// Decodes the input as one of the generated structures or bitfields (every one of the spec,
// through ForEachStructure and ForEachBitfield) with default rules.
//   * Structure: a successful decode must re-encode to exactly the bytes it consumed (as many
//     as SizeFromFixed announces for a variable structure), decode again to the same value
//     (also through DecodeFields and DecodeAnyStructure), and survive the JSON round trip; a
//     failed one must say why.
//   * Bitfield (the body is the raw value, little-endian, up to 8 bytes): Unpack/Pack keep
//     every bit inside the width; Decode succeeds exactly when Valid() says so, and then
//     equals Unpack, has no must-be-zero bit set and survives the JSON round trip.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "codec_fuzz_common.h"
#include "svsm_spec/codec_runtime.h"
#include "svsm_spec_codecs.h"

namespace {

using svsm_spec::fuzz::Check;

template <class T>
void FuzzBitfield(std::span<const uint8_t> bytes) {
  uint64_t raw = 0;
  for (size_t i = 0; i < bytes.size() && i < 8; ++i) raw |= uint64_t{bytes[i]} << (8 * i);
  const uint64_t in_width = raw & svsm_spec::codec::LowMask(T::kWidth);
  const T u = T::Unpack(raw);
  Check(u.Pack() == in_width);
  auto r = T::Decode(raw);
  if constexpr (requires { u.Valid(); }) Check(r.ok() == u.Valid());
  if (!r.ok()) {
    Check(!r.error().message.empty());
    return;
  }
  Check(r.value() == u);
  Check((in_width & (T::kMbzMask | T::kUncoveredMask)) == 0);
  auto back = T::FromJson(r.value().ToJson());
  Check(back.ok() && back.value() == u);
}

template <class T>
void FuzzOne(std::string_view name, std::span<const uint8_t> bytes) {
  auto r = T::Decode(bytes);
  auto any = svsm_spec::codec::gen::DecodeAnyStructure(name, bytes);
  Check(any.ok() == r.ok());
  if (!r.ok()) {
    Check(!r.error().message.empty());
    Check(r.error().field.starts_with(name));
    return;
  }
  const T& v = r.value();
  const std::vector<uint8_t> enc = v.Encode();
  Check(enc.size() == v.EncodedSize());
  Check(enc.size() >= T::kFixedSize && enc.size() <= bytes.size());
  Check(std::equal(enc.begin(), enc.end(), bytes.begin()));
  Check(any.value() == enc);
  if (T::kMaxSize != 0) Check(enc.size() <= T::kMaxSize);
  if constexpr (requires { T::SizeFromFixed(bytes); }) {
    auto announced = T::SizeFromFixed(bytes);
    Check(announced.ok() && announced.value() == enc.size());
  }

  // Decoding is a function of the consumed bytes only.
  auto again = T::Decode(enc);
  Check(again.ok() && again.value() == v);
  auto fields = T::DecodeFields(bytes);
  Check(fields.ok() && fields.value() == v);

  // (JSON text is left to codec_json_fuzzer: dumping and parsing kilobytes of hex per run
  // would cost most of the time here.)
  auto back = T::FromJson(v.ToJson());
  Check(back.ok() && back.value() == v);
}

// Structures, then bitfields, by spec name.
const std::vector<std::string_view>& Names() {
  static const std::vector<std::string_view> names = [] {
    std::vector<std::string_view> n;
    svsm_spec::codec::gen::ForEachStructure([&](auto, const char* name) { n.push_back(name); });
    svsm_spec::codec::gen::ForEachBitfield([&](auto, const char* name) { n.push_back(name); });
    return n;
  }();
  return names;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  svsm_spec::fuzz::Selection sel;
  if (!svsm_spec::fuzz::Select(data, size, Names(), &sel)) return 0;
  size_t i = 0;
  svsm_spec::codec::gen::ForEachStructure([&](auto type, const char* name) {
    if (i++ == sel.index) FuzzOne<typename decltype(type)::type>(name, sel.body);
  });
  svsm_spec::codec::gen::ForEachBitfield([&](auto type, const char*) {
    if (i++ == sel.index) FuzzBitfield<typename decltype(type)::type>(sel.body);
  });
  return 0;
}
