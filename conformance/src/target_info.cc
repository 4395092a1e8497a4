// TargetInfo and its HELLO JSON (docs/wire-protocol.md). The reader is strict about the
// members it knows (a wrong type names the member) and ignores the rest, so targets can add
// members without breaking older runners.
#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>

#include "svsm_conform/target.h"

namespace svsm_conform {
namespace {

using nlohmann::json;
using nlohmann::ordered_json;

std::string Hex(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%" PRIx64, v);
  return buf;
}

ordered_json RangeJson(const MemoryRange& r) {
  ordered_json j;
  j["base"] = Hex(r.base);
  j["size"] = Hex(r.size);
  return j;
}

// Reads members of one JSON object, naming each by its path ("vcpus[1].apic_id") in errors.
// The first error wins; later reads are no-ops so callers can read a whole object and check
// once.
class ObjectReader {
 public:
  ObjectReader(const json& obj, std::string path, std::string* error)
      : obj_(obj), path_(std::move(path)), error_(error) {}

  bool ok() const { return ok_; }

  const json* Member(const char* name, bool required) {
    if (!ok_) return nullptr;
    auto it = obj_.find(name);
    if (it == obj_.end()) {
      if (required) Fail(Path(name), "is missing");
      return nullptr;
    }
    return &*it;
  }

  void Uint(const char* name, uint64_t max, uint64_t* out, bool required = true) {
    const json* v = Member(name, required);
    if (v == nullptr) return;
    if (!v->is_number_unsigned() || v->get<uint64_t>() > max) {
      Fail(Path(name), "must be an integer from 0 to " + std::to_string(max));
      return;
    }
    *out = v->get<uint64_t>();
  }

  // 64-bit values travel as "0x..." strings: JSON numbers lose precision past 2^53.
  void HexValue(const char* name, uint64_t max, uint64_t* out, bool required = true) {
    const json* v = Member(name, required);
    if (v == nullptr) return;
    if (!v->is_string() || !ParseHex(v->get_ref<const std::string&>(), out) || *out > max) {
      Fail(Path(name), "must be a hex string \"0x...\" of at most " + Hex(max));
    }
  }

  void String(const char* name, std::string* out, bool required = true) {
    const json* v = Member(name, required);
    if (v == nullptr) return;
    if (!v->is_string()) {
      Fail(Path(name), "must be a string");
      return;
    }
    *out = v->get<std::string>();
  }

  void Bool(const char* name, bool* out, bool required = true) {
    const json* v = Member(name, required);
    if (v == nullptr) return;
    if (!v->is_boolean()) {
      Fail(Path(name), "must be true or false");
      return;
    }
    *out = v->get<bool>();
  }

  // The array member `name`, or nullptr (after an error if it is required or not an array).
  const json* Array(const char* name, bool required = true) {
    const json* v = Member(name, required);
    if (v == nullptr) return nullptr;
    if (!v->is_array()) {
      Fail(Path(name), "must be an array");
      return nullptr;
    }
    return v;
  }

  // An object (an array element or a member) checked to be one.
  bool ExpectObject(const json& v, const std::string& path) {
    if (!ok_) return false;
    if (!v.is_object()) {
      Fail(path, "must be an object");
      return false;
    }
    return true;
  }

  std::string Path(const std::string& name) const {
    return path_.empty() ? name : path_ + "." + name;
  }

  // For a nested reader that already wrote the error through the same pointer.
  void MarkFailed() { ok_ = false; }
  std::string* error() const { return error_; }

  void Fail(const std::string& where, const std::string& what) {
    if (!ok_) return;
    ok_ = false;
    if (error_ != nullptr) *error_ = "HELLO member '" + where + "' " + what;
  }

 private:
  static bool ParseHex(const std::string& s, uint64_t* out) {
    if (s.size() < 3 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X')) return false;
    // Leading zeros are harmless (a target may pad); past them at most 16 digits fit.
    size_t first = 2;
    while (first + 1 < s.size() && s[first] == '0') ++first;
    if (s.size() - first > 16) return false;
    uint64_t v = 0;
    for (size_t i = first; i < s.size(); ++i) {
      const char c = s[i];
      uint64_t d;
      if (c >= '0' && c <= '9') {
        d = static_cast<uint64_t>(c - '0');
      } else if (c >= 'a' && c <= 'f') {
        d = static_cast<uint64_t>(c - 'a' + 10);
      } else if (c >= 'A' && c <= 'F') {
        d = static_cast<uint64_t>(c - 'A' + 10);
      } else {
        return false;
      }
      v = (v << 4) | d;
    }
    *out = v;
    return true;
  }

  const json& obj_;
  std::string path_;
  std::string* error_;
  bool ok_ = true;
};

constexpr uint64_t kU64Max = std::numeric_limits<uint64_t>::max();
constexpr uint64_t kU32Max = std::numeric_limits<uint32_t>::max();

// Reads an array of objects with `read_one(reader, element_out)`; the parent's reader
// carries the error.
template <class T, class F>
void ReadObjects(ObjectReader& parent, const char* name, bool required, std::vector<T>* out,
                 F read_one) {
  const json* arr = parent.Array(name, required);
  if (arr == nullptr) return;
  for (size_t i = 0; i < arr->size() && parent.ok(); ++i) {
    const std::string path = parent.Path(name) + "[" + std::to_string(i) + "]";
    const json& elem = (*arr)[i];
    if (!parent.ExpectObject(elem, path)) return;
    ObjectReader r(elem, path, parent.error());
    T value{};
    read_one(r, value);
    if (!r.ok()) {
      parent.MarkFailed();
      return;
    }
    out->push_back(std::move(value));
  }
}

}  // namespace

TargetResult<Empty> Target::Inject(const Injection& injection) {
  return TargetFail<Empty>(TargetError::kUnsupported,
                           std::string("no capability ") + InjectionCapability(injection.kind));
}

TargetResult<CallReply> Target::CallWithPending(uint32_t, uint8_t, const RegisterSet&) {
  return TargetFail<CallReply>(TargetError::kUnsupported, "no capability call-pending-value");
}

const char* InjectionCapability(Injection::Kind kind) {
  switch (kind) {
    case Injection::Kind::kPvalidateResult: return "inject-pvalidate-result";
    case Injection::Kind::kRacingWrite: return "inject-racing-write";
  }
  return "inject-unknown";
}

bool TargetInfo::Has(const std::string& capability) const {
  return std::find(capabilities.begin(), capabilities.end(), capability) != capabilities.end();
}

std::string TargetInfoToJson(const TargetInfo& info) {
  ordered_json j;
  j["wire_version"] = info.wire_version;
  j["target"] = info.target;
  j["spec_revision"] = info.spec_revision;
  j["guest_vmpl"] = info.guest_vmpl;
  j["protocols"] = ordered_json::array();
  for (const ProtocolClaim& p : info.protocols) {
    ordered_json e;
    e["number"] = p.number;
    e["min_version"] = p.min_version;
    e["max_version"] = p.max_version;
    j["protocols"].push_back(std::move(e));
  }
  j["vcpus"] = ordered_json::array();
  for (const VcpuInfo& v : info.vcpus) {
    ordered_json e;
    e["index"] = v.index;
    e["apic_id"] = Hex(v.apic_id);
    if (v.caa) e["caa"] = Hex(*v.caa);
    if (v.vmsa) e["vmsa"] = Hex(*v.vmsa);
    j["vcpus"].push_back(std::move(e));
  }
  j["svsm_region"] = RangeJson(info.svsm_region);
  j["startup_vmsa"] = Hex(info.startup_vmsa);
  j["test_memory"] = ordered_json::array();
  for (const MemoryRange& r : info.test_memory) {
    ordered_json e = RangeJson(r);
    e["validated"] = r.validated;
    j["test_memory"].push_back(std::move(e));
  }
  if (!info.shared_memory.empty()) {
    j["shared_memory"] = ordered_json::array();
    for (const MemoryRange& r : info.shared_memory) j["shared_memory"].push_back(RangeJson(r));
  }
  j["unmapped"] = Hex(info.unmapped);
  j["capabilities"] = info.capabilities;
  if (!info.report_public_key.empty()) j["report_public_key"] = info.report_public_key;
  // Replace rather than throw on a string that is not UTF-8: this is a printer, not a check.
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::optional<TargetInfo> TargetInfoFromJson(std::string_view text, std::string* error) {
  json j;
  try {
    j = json::parse(text);
  } catch (const json::exception& e) {
    if (error != nullptr) *error = std::string("HELLO JSON: ") + e.what();
    return std::nullopt;
  }
  if (!j.is_object()) {
    if (error != nullptr) *error = "HELLO JSON is not an object";
    return std::nullopt;
  }
  TargetInfo info;
  ObjectReader r(j, "", error);
  uint64_t u = 0;
  r.Uint("wire_version", kU32Max, &u);
  info.wire_version = static_cast<uint32_t>(u);
  r.String("target", &info.target);
  r.String("spec_revision", &info.spec_revision);
  u = 0;
  r.Uint("guest_vmpl", 3, &u);
  info.guest_vmpl = static_cast<uint8_t>(u);
  ReadObjects(r, "protocols", true, &info.protocols, [](ObjectReader& e, ProtocolClaim& p) {
    uint64_t v = 0;
    e.Uint("number", kU32Max, &v);
    p.number = static_cast<uint32_t>(v);
    e.Uint("min_version", kU32Max, &v);
    p.min_version = static_cast<uint32_t>(v);
    e.Uint("max_version", kU32Max, &v);
    p.max_version = static_cast<uint32_t>(v);
  });
  ReadObjects(r, "vcpus", true, &info.vcpus, [](ObjectReader& e, VcpuInfo& v) {
    uint64_t x = 0;
    e.Uint("index", kU32Max, &x);
    v.index = static_cast<uint32_t>(x);
    x = 0;
    e.HexValue("apic_id", kU32Max, &x);
    v.apic_id = static_cast<uint32_t>(x);
    if (e.Member("caa", false) != nullptr) {
      e.HexValue("caa", kU64Max, &x);
      v.caa = x;
    }
    if (e.Member("vmsa", false) != nullptr) {
      e.HexValue("vmsa", kU64Max, &x);
      v.vmsa = x;
    }
  });
  if (const json* region = r.Member("svsm_region", true); region != nullptr) {
    if (r.ExpectObject(*region, "svsm_region")) {
      ObjectReader e(*region, "svsm_region", error);
      e.HexValue("base", kU64Max, &info.svsm_region.base);
      e.HexValue("size", kU64Max, &info.svsm_region.size);
      if (!e.ok()) r.MarkFailed();
    }
  }
  r.HexValue("startup_vmsa", kU64Max, &info.startup_vmsa);
  ReadObjects(r, "test_memory", true, &info.test_memory, [](ObjectReader& e, MemoryRange& m) {
    e.HexValue("base", kU64Max, &m.base);
    e.HexValue("size", kU64Max, &m.size);
    e.Bool("validated", &m.validated);
  });
  ReadObjects(r, "shared_memory", false, &info.shared_memory, [](ObjectReader& e, MemoryRange& m) {
    e.HexValue("base", kU64Max, &m.base);
    e.HexValue("size", kU64Max, &m.size);
  });
  r.HexValue("unmapped", kU64Max, &info.unmapped);
  if (const json* caps = r.Array("capabilities"); caps != nullptr) {
    for (size_t i = 0; i < caps->size() && r.ok(); ++i) {
      if (!(*caps)[i].is_string()) {
        r.Fail("capabilities[" + std::to_string(i) + "]", "must be a string");
        break;
      }
      info.capabilities.push_back((*caps)[i].get<std::string>());
    }
  }
  r.String("report_public_key", &info.report_public_key, false);
  if (!r.ok()) return std::nullopt;
  return info;
}

}  // namespace svsm_conform
