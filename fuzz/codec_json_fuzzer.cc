// Feeds the input as JSON text (parsed with exceptions disabled) to FromJson of one generated
// type: any structure, or the request or response of any call. FromJson must never throw or
// crash. What it accepts must round-trip through ToJson, and must encode without crashing
// (the raw layer writes whatever the members hold, e.g. a count that disagrees with the array);
// decoding that encoding again must not crash either, and when it succeeds it re-encodes to a
// prefix of the encoding (the whole of it only for the value it came from).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "codec_fuzz_common.h"
#include "svsm_spec/codec_runtime.h"
#include "svsm_spec_codecs.h"

namespace {

using svsm_spec::codec::GuestMemory;
using svsm_spec::codec::Json;
using svsm_spec::codec::MemoryImage;
using svsm_spec::codec::RegisterSet;
using svsm_spec::fuzz::Check;
using svsm_spec::fuzz::Fail;

// Exactly the bytes of a request's memory images (later images win); nothing else is mapped.
class ImageMemory : public GuestMemory {
 public:
  explicit ImageMemory(const std::vector<MemoryImage>& images) {
    for (const auto& image : images) {
      for (size_t i = 0; i < image.bytes.size(); ++i) bytes_[image.gpa + i] = image.bytes[i];
    }
  }

  bool Read(uint64_t gpa, std::span<uint8_t> out) const override {
    for (size_t i = 0; i < out.size(); ++i) {
      auto it = bytes_.find(gpa + i);
      if (it == bytes_.end()) return false;
      out[i] = it->second;
    }
    return true;
  }

 private:
  std::map<uint64_t, uint8_t> bytes_;
};

template <class T>
svsm_spec::codec::Result<T> FromJsonNoThrow(const Json& j) {
  try {
    return svsm_spec::codec::FromJson<T>(j);
  } catch (...) {
    Fail();
  }
}

template <class T>
bool JsonRoundTrips(const T& v) {
  auto back = FromJsonNoThrow<T>(svsm_spec::codec::ToJson(v));
  return back.ok() && back.value() == v;
}

template <class T>
void Structure(const Json& j) {
  auto r = FromJsonNoThrow<T>(j);
  if (!r.ok()) return;
  const T& v = r.value();
  Check(JsonRoundTrips(v));
  const std::vector<uint8_t> enc = v.Encode();
  Check(enc.size() == v.EncodedSize());
  auto d = T::Decode(enc);
  if (!d.ok()) return;
  const std::vector<uint8_t> again = d.value().Encode();
  Check(again.size() <= enc.size() && std::equal(again.begin(), again.end(), enc.begin()));
  if (again.size() == enc.size()) Check(d.value() == v);
  Check(JsonRoundTrips(d.value()));
}

template <class Req>
void Request(const Json& j) {
  auto r = FromJsonNoThrow<Req>(j);
  if (!r.ok()) return;
  Check(JsonRoundTrips(r.value()));
  const RegisterSet regs = EncodeRequest(r.value());
  Check(regs.rax == Req::kRax);
  const ImageMemory memory(RequestMemory(r.value()));
  auto d = svsm_spec::codec::DecodeRequest<Req>(regs, memory);
  if (d.ok()) Check(JsonRoundTrips(d.value()));
}

template <class Resp>
void Response(const Json& j) {
  auto r = FromJsonNoThrow<Resp>(j);
  if (!r.ok()) return;
  Check(JsonRoundTrips(r.value()));
  Check(svsm_spec::codec::DecodeResponse<Resp>(EncodeResponse(r.value())) == r.value());
}

// Structures by spec name, then requests by call name, then responses ("<call> response").
struct Targets {
  std::vector<std::string> owned;
  std::vector<std::string_view> names;
  size_t structures = 0, calls = 0;
};

const Targets& AllTargets() {
  static const Targets targets = [] {
    Targets t;
    std::vector<std::string> names;
    svsm_spec::codec::gen::ForEachStructure([&](auto, const char* n) { names.push_back(n); });
    t.structures = names.size();
    svsm_spec::codec::gen::ForEachCall([&](auto, auto, const char* n) { names.push_back(n); });
    t.calls = names.size() - t.structures;
    svsm_spec::codec::gen::ForEachCall(
        [&](auto, auto, const char* n) { names.push_back(std::string(n) + " response"); });
    t.owned = std::move(names);
    for (const auto& n : t.owned) t.names.push_back(n);
    return t;
  }();
  return targets;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const Targets& t = AllTargets();
  svsm_spec::fuzz::Selection sel;
  if (!svsm_spec::fuzz::Select(data, size, t.names, &sel)) return 0;
  const std::string_view text(reinterpret_cast<const char*>(sel.body.data()), sel.body.size());
  Json j;
  try {
    j = Json::parse(text, nullptr, false);
  } catch (...) {
    Fail();  // exceptions are disabled for parsing
  }
  if (j.is_discarded()) return 0;
  size_t i = 0;
  if (sel.index < t.structures) {
    svsm_spec::codec::gen::ForEachStructure([&](auto type, const char*) {
      if (i++ == sel.index) Structure<typename decltype(type)::type>(j);
    });
  } else if (sel.index < t.structures + t.calls) {
    i = t.structures;
    svsm_spec::codec::gen::ForEachCall([&](auto req, auto, const char*) {
      if (i++ == sel.index) Request<typename decltype(req)::type>(j);
    });
  } else {
    i = t.structures + t.calls;
    svsm_spec::codec::gen::ForEachCall([&](auto, auto resp, const char*) {
      if (i++ == sel.index) Response<typename decltype(resp)::type>(j);
    });
  }
  return 0;
}
