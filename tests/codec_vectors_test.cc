// The codec vectors (vectors/codec/*.json, written by tools/make-codec-vectors.py from the
// facts file, independently of the generators) checked against all three generated codecs:
//   * C++ (svsm_spec_codecs): structure Decode/ToJson/FromJson/Encode, bitfield
//     Decode/Unpack/Pack, request and response register encode/decode, and for every invalid
//     case the exact rule id the decoder names;
//   * C (svsm_spec.h): a generated C11 program memcpy's the case bytes into the packed struct
//     and compares members and bitfield getters, then builds the bytes again from members and
//     setters; bitfield cases through getters/setters; mbz violations through _MBZ_MASK;
//   * Rust (svsm_spec.rs): the same as a generated main.rs (from_bytes/getters and
//     zeroed/set_/with_/write_to); mbz violations through mbz_ok(). Skipped, saying so, only
//     when rustc is not installed.
// Names and field types for the C and Rust programs come from the spec model (the element
// names the generators use); every value and byte comes from the vectors.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <type_traits>
#include <vector>

#include "svsm_spec/codec_runtime.h"
#include "svsm_spec/loader.h"
#include "svsm_spec/model.h"
#include "svsm_spec_codecs.h"
#include "test_support.h"

namespace svsm_spec::codec::gen {
namespace {

using namespace ::svsm_spec::testing_support;  // NOLINT: test helpers

namespace fs = std::filesystem;

// ---------------------------------------------------------------------------------------
// Loading

struct Case {
  std::string file;
  Json j;
  std::string id() const { return j.value("id", std::string("?")); }
  std::string kind() const { return j.value("kind", std::string()); }
  bool valid() const { return j.value("valid", false); }
};

const std::vector<Case>& AllCases() {
  static const std::vector<Case> cases = [] {
    std::vector<Case> out;
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(fs::path(SVSM_SPEC_VECTORS_DIR) / "codec")) {
      if (e.path().extension() == ".json") files.push_back(e.path());
    }
    std::sort(files.begin(), files.end());
    for (const auto& f : files) {
      Json doc = Json::parse(ReadFile(f), nullptr, false);
      if (doc.is_discarded() || !doc.contains("cases")) {
        ADD_FAILURE() << f << " is not a vector file";
        continue;
      }
      for (const auto& c : doc["cases"]) out.push_back(Case{f.stem().string(), c});
    }
    return out;
  }();
  return cases;
}

const Spec& TheSpec() {
  static const std::shared_ptr<const Spec> spec = [] {
    LoadResult r = LoadSpecFiles({fs::path(SVSM_SPEC_DIR)});
    return r.spec;
  }();
  if (!spec) std::abort();
  return *spec;
}

std::string Str(const Json& j) {
  return j.is_string() ? j.get<std::string>() : std::string();
}

uint64_t U64(const Json& j) {
  uint64_t v = 0;
  if (!JsonToUint(j, ~uint64_t{0}, &v)) ADD_FAILURE() << "not an integer: " << j.dump();
  return v;
}

std::vector<uint8_t> Bytes(const Json& j) {
  std::vector<uint8_t> v;
  if (!JsonToBytes(j, &v)) ADD_FAILURE() << "not a hex byte string: " << j.dump().substr(0, 80);
  return v;
}

RegisterSet Regs(const Json& j) {
  RegisterSet r;
  r.rax = U64(j.at("rax"));
  r.rcx = U64(j.at("rcx"));
  r.rdx = U64(j.at("rdx"));
  r.r8 = U64(j.at("r8"));
  r.r9 = U64(j.at("r9"));
  return r;
}

std::string RegsText(const RegisterSet& r) {
  return "rax=" + HexU64(r.rax) + " rcx=" + HexU64(r.rcx) + " rdx=" + HexU64(r.rdx) +
         " r8=" + HexU64(r.r8) + " r9=" + HexU64(r.r9);
}

// ---------------------------------------------------------------------------------------
// JSON normalization: the vectors write every integer as "0x.."; the C++ codecs write
// integers of up to 32 bits as JSON numbers. Byte strings and GUID text compare as text.

bool IsHexInt(const Json& j) {
  if (!j.is_string()) return false;
  const auto& s = j.get_ref<const std::string&>();
  return s.size() > 2 && s[0] == '0' && s[1] == 'x';
}

bool IsZeroValue(const Json& j) {
  if (j.is_number()) return j.get<uint64_t>() == 0;
  if (IsHexInt(j)) return U64(j) == 0;
  if (j.is_string()) {
    const auto& s = j.get_ref<const std::string&>();
    return s.find_first_not_of('0') == std::string::npos;
  }
  return false;
}

// Compares the codec's JSON `got` with the case's `want`. Members only `got` has must be
// zero-valued pad_* / other_bits members (bytes the spec does not describe, bits no field
// covers) or, when `allow_pointers`, the structures a request points to (object or null).
void ExpectJsonMatch(const Json& got, const Json& want, const std::string& path,
                     bool allow_pointers, std::vector<std::string>* problems) {
  if (want.is_object()) {
    if (!got.is_object()) {
      problems->push_back(path + ": expected an object, codec has " + got.dump().substr(0, 60));
      return;
    }
    for (auto it = got.begin(); it != got.end(); ++it) {
      if (want.contains(it.key())) continue;
      const bool pad = it.key().rfind("pad_", 0) == 0 || it.key() == "other_bits";
      if (pad && IsZeroValue(it.value())) continue;
      if (allow_pointers && (it.value().is_object() || it.value().is_null())) continue;
      problems->push_back(path + "." + it.key() + ": codec has a member the vector lacks (" +
                          it.value().dump().substr(0, 60) + ")");
    }
    for (auto it = want.begin(); it != want.end(); ++it) {
      if (!got.contains(it.key())) {
        problems->push_back(path + "." + it.key() + ": missing in the codec's JSON");
        continue;
      }
      ExpectJsonMatch(got[it.key()], it.value(), path + "." + it.key(), false, problems);
    }
    return;
  }
  if (want.is_array()) {
    if (!got.is_array() || got.size() != want.size()) {
      problems->push_back(path + ": array length differs");
      return;
    }
    for (size_t i = 0; i < want.size(); ++i) {
      ExpectJsonMatch(got[i], want[i], path + "[" + std::to_string(i) + "]", false, problems);
    }
    return;
  }
  if (IsHexInt(want)) {
    uint64_t g = 0;
    if (!JsonToUint(got, ~uint64_t{0}, &g) || g != U64(want)) {
      problems->push_back(path + ": codec " + got.dump() + ", vector " + want.dump());
    }
    return;
  }
  if (got != want)
    problems->push_back(path + ": codec " + got.dump().substr(0, 80) + ", vector " +
                        want.dump().substr(0, 80));
}

std::string Join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += "\n  " + x;
  return s;
}

// `base` (a default value's JSON, so pad_* members are present) with the case's fields.
Json Overlay(Json base, const Json& fields) {
  if (!base.is_object() || !fields.is_object()) return fields;
  for (auto it = fields.begin(); it != fields.end(); ++it) {
    if (base.contains(it.key()) && base[it.key()].is_object() && it.value().is_object()) {
      base[it.key()] = Overlay(base[it.key()], it.value());
    } else {
      base[it.key()] = it.value();
    }
  }
  return base;
}

// Guest memory of whole 4 KiB pages; unmapped pages are inaccessible.
class PageMemory : public GuestMemory {
 public:
  void Write(uint64_t gpa, std::span<const uint8_t> bytes) {
    for (size_t i = 0; i < bytes.size(); ++i) {
      const uint64_t a = gpa + i;
      pages_[a & ~uint64_t{0xfff}][a & 0xfff] = bytes[i];
    }
  }
  bool Read(uint64_t gpa, std::span<uint8_t> out) const override {
    for (size_t i = 0; i < out.size(); ++i) {
      const uint64_t a = gpa + i;
      auto it = pages_.find(a & ~uint64_t{0xfff});
      if (it == pages_.end()) return false;
      out[i] = it->second[a & 0xfff];
    }
    return true;
  }

 private:
  std::map<uint64_t, std::array<uint8_t, 4096>> pages_;
};

// ---------------------------------------------------------------------------------------
// C++ checks

// Decodes `bytes` as `structure` with the rules call `call` applies to it.
std::optional<Result<int>> DecodeForCall(const std::string& call, const std::string& structure,
                                         std::span<const uint8_t> bytes) {
  auto wrap = [](const auto& r) -> Result<int> {
    if (r.ok()) return 0;
    return r.error();
  };
  if (call == "core.pvalidate" && structure == "pvalidate_list") {
    return wrap(PvalidateList::Decode(bytes, CorePvalidateRequest::ListRules()));
  }
  if (call == "core.deposit-mem" && structure == "deposit_mem_list") {
    return wrap(DepositMemList::Decode(bytes, CoreDepositMemRequest::ListRules()));
  }
  if (call == "core.withdraw-mem" && structure == "withdraw_mem_area") {
    return wrap(WithdrawMemArea::Decode(bytes, CoreWithdrawMemRequest::AreaRules()));
  }
  if (call == "attest.services" && structure == "attest_services_op") {
    return wrap(AttestServicesOp::Decode(bytes, AttestServicesRequest::OpGpaRules()));
  }
  if (call == "attest.single-service" && structure == "attest_single_service_op") {
    return wrap(AttestSingleServiceOp::Decode(bytes, AttestSingleServiceRequest::OpGpaRules()));
  }
  if (call == "attest.single-service-ex" && structure == "attest_single_service_ex_op") {
    return wrap(AttestSingleServiceExOp::Decode(bytes, AttestSingleServiceExRequest::OpGpaRules()));
  }
  return std::nullopt;
}

template <class T>
void CheckStructure(const Case& c) {
  const std::vector<uint8_t> bytes = Bytes(c.j.at("bytes"));
  if (!c.valid()) {
    auto r = DecodeForCall(Str(c.j.at("decoded_by")), Str(c.j.at("structure")), bytes);
    ASSERT_TRUE(r.has_value()) << c.id() << ": no decoder table entry for " << c.j.at("decoded_by")
                               << " / " << c.j.at("structure");
    ASSERT_FALSE(r->ok()) << c.id() << ": decode succeeded, expected " << c.j.at("rule");
    EXPECT_EQ(r->error().rule_id, c.j.at("rule").get<std::string>())
        << c.id() << ": " << r->error().ToString();
    return;
  }
  auto d = T::Decode(bytes);
  ASSERT_TRUE(d.ok()) << c.id() << ": " << d.error().ToString();
  std::vector<std::string> problems;
  ExpectJsonMatch(d.value().ToJson(), c.j.at("fields"), c.j.at("structure"), false, &problems);
  EXPECT_TRUE(problems.empty()) << c.id() << ": bytes -> fields differ:" << Join(problems);
  EXPECT_EQ(HexBytes(d.value().Encode()), HexBytes(bytes)) << c.id() << ": Encode(Decode(bytes))";
  auto f = T::FromJson(Overlay(T{}.ToJson(), c.j.at("fields")));
  ASSERT_TRUE(f.ok()) << c.id() << ": FromJson: " << f.error().ToString();
  EXPECT_EQ(HexBytes(f.value().Encode()), HexBytes(bytes))
      << c.id() << ": Encode(FromJson(fields))";
  EXPECT_TRUE(f.value() == d.value()) << c.id() << ": FromJson(fields) != Decode(bytes)";
}

template <class B>
void CheckBitfield(const Case& c) {
  const uint64_t raw = U64(c.j.at("value"));
  auto d = B::Decode(raw);
  ASSERT_TRUE(d.ok()) << c.id() << ": " << d.error().ToString();
  std::vector<std::string> problems;
  ExpectJsonMatch(d.value().ToJson(), c.j.at("fields"), c.j.at("bitfield"), false, &problems);
  EXPECT_TRUE(problems.empty()) << c.id() << ": value -> fields differ:" << Join(problems);
  EXPECT_EQ(HexU64(d.value().Pack()), HexU64(raw)) << c.id() << ": Pack(Decode(value))";
  EXPECT_TRUE(B::Unpack(raw) == d.value()) << c.id() << ": Unpack != Decode";
  auto f = B::FromJson(Overlay(B{}.ToJson(), c.j.at("fields")));
  ASSERT_TRUE(f.ok()) << c.id() << ": FromJson: " << f.error().ToString();
  EXPECT_EQ(HexU64(f.value().Pack()), HexU64(raw)) << c.id() << ": Pack(FromJson(fields))";
}

#define SVSM_VECTOR_BITFIELDS(X)                                 \
  X(VmsaEfer, "vmsa_efer")                                       \
  X(SnpReportSignerInfo, "snp_report_signer_info")               \
  X(SnpReportPolicy, "snp_report_policy")                        \
  X(ApicConfigureVector, "apic_configure_vector")                \
  X(PvalidateEntry, "pvalidate_entry")                           \
  X(DepositMemEntry, "deposit_mem_entry")                        \
  X(QueryProtocolRequest, "query_protocol_request")              \
  X(QueryProtocolResponse, "query_protocol_response")            \
  X(ConfigureVtomQueryIn, "configure_vtom_query_in")             \
  X(ConfigureVtomConfigureIn, "configure_vtom_configure_in")     \
  X(ConfigureVtomQueryOut, "configure_vtom_query_out")           \
  X(OcpListSourcesSelector, "ocp_list_sources_selector")         \
  X(OcpSourceSelector, "ocp_source_selector")                    \
  X(OcpSourceFlags, "ocp_source_flags")                          \
  X(UefimmServiceManifestFlags, "uefimm_service_manifest_flags") \
  X(VtpmQueryCommands, "vtpm_query_commands")                    \
  X(SvsmCallRax, "svsm_call_rax")

template <class Req, class Resp>
void CheckRegisters(const Case& c) {
  const RegisterSet regs = Regs(c.j.at("registers"));
  PageMemory memory;
  std::vector<MemoryImage> images;
  if (c.j.contains("memory")) {
    for (const auto& m : c.j["memory"]) {
      images.push_back(MemoryImage{U64(m.at("gpa")), Bytes(m.at("bytes"))});
      memory.Write(images.back().gpa, images.back().bytes);
    }
  }
  const bool request = c.j.at("direction") == "request";
  if (!c.valid()) {
    ASSERT_TRUE(request) << c.id() << ": invalid cases are requests";
    auto d = Req::Decode(regs, memory);
    ASSERT_FALSE(d.ok()) << c.id() << ": decode succeeded, expected " << c.j.at("rule");
    EXPECT_EQ(d.error().rule_id, c.j.at("rule").get<std::string>())
        << c.id() << ": " << d.error().ToString();
    return;
  }
  const Json& fields = c.j.at("fields");
  std::vector<std::string> problems;
  if (request) {
    auto f = Req::FromJson(Overlay(Req{}.ToJson(), fields));
    ASSERT_TRUE(f.ok()) << c.id() << ": FromJson: " << f.error().ToString();
    EXPECT_EQ(RegsText(EncodeRequest(f.value())), RegsText(regs)) << c.id() << ": EncodeRequest";
    auto d = Req::Decode(regs, memory);
    ASSERT_TRUE(d.ok()) << c.id() << ": DecodeRequest: " << d.error().ToString();
    ExpectJsonMatch(d.value().ToJson(), fields, "request", true, &problems);
    // The structures the registers point to, re-encoded, are the memory the case gave.
    std::vector<MemoryImage> got = RequestMemory(d.value());
    auto by_gpa = [](const MemoryImage& a, const MemoryImage& b) { return a.gpa < b.gpa; };
    std::sort(got.begin(), got.end(), by_gpa);
    std::sort(images.begin(), images.end(), by_gpa);
    EXPECT_EQ(got.size(), images.size()) << c.id() << ": structures read through registers";
    for (size_t i = 0; i < std::min(got.size(), images.size()); ++i) {
      EXPECT_EQ(got[i].gpa, images[i].gpa) << c.id();
      EXPECT_EQ(HexBytes(got[i].bytes), HexBytes(images[i].bytes)) << c.id() << ": memory image";
    }
  } else {
    auto f = Resp::FromJson(Overlay(Resp{}.ToJson(), fields));
    ASSERT_TRUE(f.ok()) << c.id() << ": FromJson: " << f.error().ToString();
    EXPECT_EQ(RegsText(EncodeResponse(f.value())), RegsText(regs)) << c.id() << ": EncodeResponse";
    ExpectJsonMatch(Resp::Decode(regs).ToJson(), fields, "response", false, &problems);
  }
  EXPECT_TRUE(problems.empty()) << c.id() << ": registers -> fields differ:" << Join(problems);
}

// The generators' name of a call (form), e.g. "SVSM_CORE_CONFIGURE_VTOM form query".
std::string CallName(const Case& c) {
  const std::string call = Str(c.j.at("call"));
  const auto dot = call.find('.');
  const Protocol* p = TheSpec().FindProtocol(call.substr(0, dot));
  if (!p) return "";
  const Call* k = p->FindCallByKey(call.substr(dot + 1));
  if (!k) return "";
  return c.j.contains("form") ? k->name + " form " + c.j["form"].get<std::string>() : k->name;
}

TEST(CodecVectors, FilesCoverEveryElement) {
  const Spec& spec = TheSpec();
  std::set<std::string> structures, bitfields, calls;
  std::set<std::string> ids;
  for (const auto& c : AllCases()) {
    EXPECT_TRUE(ids.insert(c.id()).second) << "duplicate id " << c.id();
    if (!c.valid()) continue;
    if (c.kind() == "structure") structures.insert(Str(c.j.at("structure")));
    if (c.kind() == "bitfield") bitfields.insert(Str(c.j.at("bitfield")));
    if (c.kind() == "registers")
      calls.insert(CallName(c) + " " + c.j.at("direction").get<std::string>());
  }
  for (const auto& s : spec.structures)
    EXPECT_TRUE(structures.count(s.name)) << "no valid case for structure " << s.name;
  for (const auto& b : spec.bitfields)
    EXPECT_TRUE(bitfields.count(b.name)) << "no valid case for bitfield " << b.name;
  ForEachCall([&](auto, auto, const char* name) {
    EXPECT_TRUE(calls.count(std::string(name) + " request"))
        << "no valid request case for " << name;
    EXPECT_TRUE(calls.count(std::string(name) + " response"))
        << "no valid response case for " << name;
  });
}

// Every decode-time constraint (`enforces`) of the published core and attestation calls has
// an invalid case naming its rule, unless no encoding can violate it (listed here).
TEST(CodecVectors, InvalidCasesCoverPublishedCoreAndAttestRules) {
  // no_overflow of a 4 KiB-aligned gPA over at most 4 KiB (or of pfn << 12 over one page)
  // cannot wrap: the highest aligned address plus the size is exactly 2^64.
  const std::set<std::string> unreachable = {"core.pvalidate.entry-not-guest-memory",
                                             "attest.services.buffer-inaccessible",
                                             "attest.single-service.buffer-inaccessible"};
  std::set<std::string> rules;
  for (const auto& c : AllCases()) {
    if (!c.valid()) rules.insert(Str(c.j.at("rule")));
  }
  for (const auto& p : TheSpec().protocols) {
    if (p.key != "core" && p.key != "attest") continue;
    for (const auto& call : p.calls) {
      if (call.status != Status::kPublished) continue;
      for (const auto& r : call.rules) {
        if (r.enforces.empty() || unreachable.count(r.id)) continue;
        EXPECT_TRUE(rules.count(r.id)) << "no invalid case for rule " << r.id;
      }
    }
  }
}

TEST(CodecVectors, Cpp) {
  size_t checked = 0;
  for (const auto& c : AllCases()) {
    SCOPED_TRACE(c.id());
    bool found = false;
    if (c.kind() == "structure") {
      ForEachStructure([&](auto t, const char* name) {
        using T = typename decltype(t)::type;
        if (c.j.at("structure") == name) {
          found = true;
          CheckStructure<T>(c);
        }
      });
    } else if (c.kind() == "bitfield") {
#define SVSM_VECTOR_BITFIELD_CASE(T, name) \
  if (c.j.at("bitfield") == name) {        \
    found = true;                          \
    CheckBitfield<T>(c);                   \
  }
      SVSM_VECTOR_BITFIELDS(SVSM_VECTOR_BITFIELD_CASE)
#undef SVSM_VECTOR_BITFIELD_CASE
    } else if (c.kind() == "registers") {
      const std::string want = CallName(c);
      ForEachCall([&](auto q, auto s, const char* name) {
        using Req = typename decltype(q)::type;
        using Resp = typename decltype(s)::type;
        if (want == name) {
          found = true;
          CheckRegisters<Req, Resp>(c);
        }
      });
    }
    EXPECT_TRUE(found) << c.id() << ": no C++ codec for this case";
    checked += found;
  }
  EXPECT_GT(checked, 100u);
  std::printf("[codec vectors] C++: %zu cases checked\n", checked);
}

// ---------------------------------------------------------------------------------------
// C and Rust programs

std::string CName(const std::string& n) {
  return n.rfind("svsm_", 0) == 0 ? n : "svsm_" + n;
}

std::string Upper(std::string s) {
  for (auto& ch : s) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  return s;
}

std::string Camel(const std::string& n) {
  std::string out;
  bool up = true;
  for (char ch : n) {
    if (ch == '_') {
      up = true;
      continue;
    }
    out += up ? static_cast<char>(std::toupper(static_cast<unsigned char>(ch))) : ch;
    up = false;
  }
  return out;
}

bool RustKeyword(const std::string& n) {
  static const std::set<std::string> k = {"type", "match", "ref", "self",  "fn",     "mod", "loop",
                                          "move", "impl",  "use", "where", "struct", "enum"};
  return k.count(n) > 0;
}
std::string RustGetter(const std::string& n) {
  return RustKeyword(n) ? n + "_" : n;
}

std::string CU64(uint64_t v) {
  return "UINT64_C(" + HexU64(v) + ")";
}

std::string ByteList(const std::vector<uint8_t>& b) {
  std::string s;
  char buf[8];
  for (size_t i = 0; i < b.size(); ++i) {
    std::snprintf(buf, sizeof buf, "%s0x%02x", i ? "," : "", b[i]);
    s += buf;
    if (i % 32 == 31) s += "\n";
  }
  return s;
}

// Bytes of a bytes/guid field value.
std::vector<uint8_t> FieldBytes(const StructField& f, const Json& v) {
  if (f.type == FieldType::kGuid) {
    std::array<uint8_t, 16> g{};
    if (!JsonToGuid(v, &g)) ADD_FAILURE() << f.name << ": not a GUID: " << v.dump();
    return std::vector<uint8_t>(g.begin(), g.end());
  }
  return Bytes(v);
}

unsigned RustIntBits(unsigned width) {
  return width <= 8 ? 8 : width <= 16 ? 16 : width <= 32 ? 32 : 64;
}

const char* ScalarRustType(FieldType t) {
  switch (t) {
    case FieldType::kU8:
      return "u8";
    case FieldType::kU16:
      return "u16";
    case FieldType::kU32:
      return "u32";
    default:
      return "u64";
  }
}

// Emits the checks and builders of one case in C and Rust. Problems with the case itself
// (unknown field names) are collected as test failures.
class Emitter {
 public:
  explicit Emitter(const Spec& spec) : spec_(spec) {}

  std::string c, rs;  // function bodies
  std::vector<std::string> problems;

  // ---- bitfield value: checks of `cexpr` / `rexpr` against the subfield values.
  void BitfieldChecks(const Bitfield& b, const Json& fields, const std::string& cexpr,
                      const std::string& rexpr, const std::string& what) {
    for (auto it = fields.begin(); it != fields.end(); ++it) {
      const BitRange* r = b.Find(it.key());
      if (!r) {
        problems.push_back(what + "." + it.key() + ": bitfield " + b.name + " has no such field");
        continue;
      }
      const std::string v = HexU64(U64(it.value()));
      c += "  CK(" + CName(b.name) + "_get_" + r->name + "(" + cexpr +
           ") == " + CU64(U64(it.value())) + ", \"" + what + "." + r->name + "\");\n";
      rs += "    ck((" + rexpr + "." + RustGetter(r->name) + "() as u64) == " + v + "u64, \"" +
            what + "." + r->name + "\", &mut f);\n";
    }
  }

  // C: `var` = setters applied to 0; Rust: an expression building the value.
  std::string BitfieldBuildC(const Bitfield& b, const Json& fields, const std::string& var) {
    std::string s = "  " + var + " = 0;\n";
    for (auto it = fields.begin(); it != fields.end(); ++it) {
      const BitRange* r = b.Find(it.key());
      if (!r) continue;
      s += "  " + var + " = " + CName(b.name) + "_set_" + r->name + "(" + var + ", " +
           CU64(U64(it.value())) + ");\n";
    }
    return s;
  }
  std::string BitfieldBuildRust(const Bitfield& b, const Json& fields) {
    std::string s = Camel(b.name) + "(0)";
    for (auto it = fields.begin(); it != fields.end(); ++it) {
      const BitRange* r = b.Find(it.key());
      if (!r) continue;
      const uint64_t v = U64(it.value());
      if (r->width() == 1) {
        s += ".with_" + r->name + "(" + (v ? "true" : "false") + ")";
      } else {
        s += ".with_" + r->name + "(" + HexU64(v) + "u" + std::to_string(RustIntBits(r->width())) +
             ")";
      }
    }
    return s;
  }

  // ---- fixed fields of a structure value.
  // cget: C lvalue of the decoded struct ("s", "s.services_op"); cset: of the built one.
  // rget: Rust expression of the decoded struct; returns a Rust expression building it.
  std::string StructFixed(const Structure& s, const Json& fields, const std::string& cget,
                          const std::string& cset, const std::string& rget, const std::string& what,
                          int depth) {
    const std::string rv = "n" + std::to_string(depth);
    std::string rbuild = "{ let mut " + rv + " = " + Camel(s.name) + "::zeroed();\n";
    for (auto it = fields.begin(); it != fields.end(); ++it) {
      const StructField* f = s.Find(it.key());
      const std::string w = what + "." + it.key();
      if (!f) {
        problems.push_back(w + ": structure " + s.name + " has no such field");
        continue;
      }
      if (f->is_variable()) continue;
      const Json& v = it.value();
      const std::string cm = cget + "." + f->name, sm = cset + "." + f->name;
      const std::string rm = rget + "." + RustGetter(f->name) + "()";
      switch (f->type) {
        case FieldType::kU8:
        case FieldType::kU16:
        case FieldType::kU32:
        case FieldType::kU64:
        case FieldType::kGpa: {
          const uint64_t x = U64(v);
          c += "  CK((uint64_t)" + cm + " == " + CU64(x) + ", \"" + w + "\");\n";
          c += "  " + sm + " = " + CU64(x) + ";\n";
          rs += "    ck((" + rm + " as u64) == " + HexU64(x) + "u64, \"" + w + "\", &mut f);\n";
          rbuild += rv + ".set_" + f->name + "(" + HexU64(x) + ScalarRustType(f->type) + ");\n";
          break;
        }
        case FieldType::kBytes:
        case FieldType::kGuid: {
          const auto b = FieldBytes(*f, v);
          const std::string n = std::to_string(b.size());
          c += "  { static const uint8_t ev[" + n + "] = {" + ByteList(b) + "};\n";
          c += "    CK(sizeof(" + cm + ") == " + n + " && memcmp(" + cm + ", ev, " + n +
               ") == 0, \"" + w + "\");\n    memcpy(" + sm + ", ev, " + n + "); }\n";
          rs += "    ck(*" + rm + " == [" + ByteList(b) + "], \"" + w + "\", &mut f);\n";
          rbuild += rv + ".set_" + f->name + "([" + ByteList(b) + "]);\n";
          break;
        }
        case FieldType::kBitfield: {
          const Bitfield* b = spec_.FindBitfield(f->layout);
          if (!b) break;
          BitfieldChecks(*b, v, cm, rm, w);
          c += BitfieldBuildC(*b, v, sm);
          rbuild += rv + ".set_" + f->name + "(" + BitfieldBuildRust(*b, v) + ");\n";
          break;
        }
        case FieldType::kStruct: {
          const Structure* n = spec_.FindStructure(f->struct_name);
          if (!n) break;
          rbuild +=
              rv + ".set_" + f->name + "(" + StructFixed(*n, v, cm, sm, rm, w, depth + 1) + ");\n";
          break;
        }
        case FieldType::kArray:
          problems.push_back(w + ": fixed-count arrays are not handled");
          break;
      }
    }
    return rbuild + rv + " }";
  }

  // ---- the variable part of a structure (checks against `b`, writes into `out`).
  void StructVariable(const Structure& s, const Json& fields, const std::string& what) {
    for (const auto& f : s.fields) {
      if (!f.is_variable() || !fields.contains(f.name)) continue;
      const Json& v = fields[f.name];
      const std::string w = what + "." + f.name;
      const std::string macro = Upper(CName(s.name)) + "_" + Upper(f.name);
      const std::string rs_t = Camel(s.name);
      if (f.type == FieldType::kBytes) {
        const auto b = Bytes(v);
        const std::string n = std::to_string(b.size());
        c += "  { static const uint8_t e[" + n + "] = {" + ByteList(b) + "};\n";
        c += "    CK(sizeof b >= " + macro + "_OFFSET + " + n + " && memcmp(b + " + macro +
             "_OFFSET, e, " + n + ") == 0, \"" + w + "\");\n";
        c += "    memcpy(out + " + macro + "_OFFSET, e, " + n + "); }\n";
        rs += "    { let e: [u8; " + n + "] = [" + ByteList(b) + "];\n";
        rs += "      ck(" + rs_t + "::" + f.name + "_bytes(b) == Some(&e[..]), \"" + w +
              "\", &mut f);\n";
        rs += "      match " + rs_t + "::" + f.name +
              "_bytes_mut(&mut out) { Some(x) if x.len() == " + n +
              " => x.copy_from_slice(&e), _ => ck(false, \"" + w + " (bytes_mut)\", &mut f) } }\n";
        continue;
      }
      if (f.type != FieldType::kArray || !f.element || !v.is_array()) {
        problems.push_back(w + ": unhandled variable field");
        continue;
      }
      const ArrayElement& el = *f.element;
      const size_t n = v.size();
      if (n == 0) continue;  // nothing to check or write; the count field is checked
      if (el.type == FieldType::kBitfield || el.type == FieldType::kU64 ||
          el.type == FieldType::kGpa) {
        // Table of expected values: one column per subfield (bitfield) or the value (u64).
        const Bitfield* b =
            el.type == FieldType::kBitfield ? spec_.FindBitfield(el.layout) : nullptr;
        std::vector<std::string> cols;
        if (b) {
          for (const auto& r : b->fields) cols.push_back(r.name);
        } else {
          cols.push_back("");
        }
        std::string table, rtable;
        for (size_t i = 0; i < n; ++i) {
          std::string row;
          for (size_t k = 0; k < cols.size(); ++k) {
            uint64_t x = 0;
            if (b) {
              if (v[i].contains(cols[k])) x = U64(v[i][cols[k]]);
            } else {
              x = U64(v[i]);
            }
            row += (k ? "," : "") + HexU64(x);
          }
          table += "{" + row + "},";
          rtable += "[" + row + "],";
          if (i % 4 == 3) table += "\n", rtable += "\n";
        }
        const std::string nn = std::to_string(n), kk = std::to_string(cols.size());
        const unsigned bits = b ? b->width : 64;
        const std::string ct = "uint" + std::to_string(bits) + "_t";
        c += "  { static const uint64_t t[" + nn + "][" + kk + "] = {" + table + "};\n";
        c += "    for (size_t i = 0; i < " + nn + "; ++i) {\n";
        c += "      " + ct + " e; memcpy(&e, b + " + macro + "_OFFSET + i * " + macro +
             "_ELEMENT_SIZE, sizeof e);\n";
        rs += "    { const T: [[u64; " + kk + "]; " + nn + "] = [" + rtable + "];\n";
        rs += "      for i in 0.." + nn + " {\n";
        rs += "        let e = match " + rs_t + "::" + f.name +
              "_at(b, i) { Some(e) => e, None => { ck(false, \"" + w +
              " (at)\", &mut f); continue; } };\n";
        std::string rbuild = b ? Camel(b->name) + "(0)" : "t[i][0]";
        if (b) {
          c += "      " + ct + " o = 0;\n";
          for (size_t k = 0; k < cols.size(); ++k) {
            const BitRange* r = b->Find(cols[k]);
            const std::string kidx = std::to_string(k);
            c += "      CK(" + CName(b->name) + "_get_" + r->name + "(e) == t[i][" + kidx +
                 "], \"" + w + "[]." + r->name + "\");\n";
            c += "      o = " + CName(b->name) + "_set_" + r->name + "(o, t[i][" + kidx + "]);\n";
            rs += "        ck((e." + RustGetter(r->name) + "() as u64) == T[i][" + kidx + "], \"" +
                  w + "[]." + r->name + "\", &mut f);\n";
            rbuild += r->width() == 1 ? ".with_" + r->name + "(T[i][" + kidx + "] != 0)"
                                      : ".with_" + r->name + "(T[i][" + kidx + "] as u" +
                                            std::to_string(RustIntBits(r->width())) + ")";
          }
        } else {
          c += "      CK(e == t[i][0], \"" + w + "[]\");\n      " + ct + " o = t[i][0];\n";
          rs += "        ck(e == T[i][0], \"" + w + "[]\", &mut f);\n";
          rbuild = "T[i][0]";
        }
        c += "      memcpy(out + " + macro + "_OFFSET + i * " + macro +
             "_ELEMENT_SIZE, &o, sizeof o);\n    } }\n";
        rs += "        if " + rs_t + "::set_" + f.name + "_at(&mut out, i, " + rbuild +
              ").is_none() { ck(false, \"" + w + " (set_at)\", &mut f); }\n      } }\n";
        continue;
      }
      if (el.type == FieldType::kStruct) {
        const Structure* es = spec_.FindStructure(el.struct_name);
        if (!es) continue;
        for (size_t i = 0; i < n; ++i) {
          const std::string is = std::to_string(i);
          const std::string wi = w + "[" + is + "]";
          c += "  { struct " + CName(es->name) + " e, o; memset(&o, 0, sizeof o);\n";
          c += "    memcpy(&e, b + " + macro + "_OFFSET + " + is + " * " + macro +
               "_ELEMENT_SIZE, sizeof e);\n";
          rs +=
              "    { let e = " + rs_t + "::" + f.name + "_at(b, " + is + ").unwrap_or_default();\n";
          const std::string build = StructFixed(*es, v[i], "e", "o", "e", wi, 10);
          c += "    memcpy(out + " + macro + "_OFFSET + " + is + " * " + macro +
               "_ELEMENT_SIZE, &o, sizeof o); }\n";
          rs += "      if " + rs_t + "::set_" + f.name + "_at(&mut out, " + is + ", " + build +
                ").is_none() { ck(false, \"" + wi + " (set_at)\", &mut f); } }\n";
        }
        continue;
      }
      problems.push_back(w + ": unhandled element type");
    }
  }

 private:
  const Spec& spec_;
};

struct Programs {
  std::string c, rs;
  size_t structure_cases = 0, bitfield_cases = 0, mbz_cases = 0;
  std::vector<std::string> problems;
};

Programs MakePrograms() {
  const Spec& spec = TheSpec();
  Programs p;
  std::string c_calls, rs_calls;
  int n = 0;
  for (const auto& cs : AllCases()) {
    const Json& j = cs.j;
    const std::string id = cs.id();
    const std::string fn = "case_" + std::to_string(n++);
    Emitter e(spec);
    if (cs.valid() && cs.kind() == "structure") {
      const Structure* s = spec.FindStructure(Str(j.at("structure")));
      if (!s) {
        p.problems.push_back(id + ": unknown structure");
        continue;
      }
      const auto bytes = Bytes(j.at("bytes"));
      const std::string len = std::to_string(bytes.size());
      const std::string ct = "struct " + CName(s->name);
      e.c += "  static const uint8_t b[" + len + "] = {" + ByteList(bytes) + "};\n";
      e.c += "  static uint8_t out[" + len + "];\n  " + ct + " s, t;\n";
      e.c += "  CK(sizeof s <= sizeof b, \"size\");\n  if (sizeof s > sizeof b) return;\n";
      e.c +=
          "  memcpy(&s, b, sizeof s);\n  memset(&t, 0, sizeof t);\n  memset(out, 0, sizeof out);\n";
      e.rs += "    let b: &[u8] = &[" + ByteList(bytes) + "];\n";
      e.rs += "    let s = match " + Camel(s->name) +
              "::from_bytes(b) { Some(s) => s, None => { ck(false, \"from_bytes\", &mut f); return "
              "f; } };\n";
      const std::string build = e.StructFixed(*s, j.at("fields"), "s", "t", "s", s->name, 0);
      e.c += "  memcpy(out, &t, sizeof t);\n";
      e.rs += "    let t = " + build + ";\n    let mut out = vec![0u8; b.len()];\n";
      e.rs += "    if t.write_to(&mut out).is_none() { ck(false, \"write_to\", &mut f); }\n";
      e.StructVariable(*s, j.at("fields"), s->name);
      e.c += "  CK(memcmp(out, b, sizeof b) == 0, \"fields -> bytes\");\n";
      e.rs += "    ck(out[..] == b[..], \"fields -> bytes\", &mut f);\n";
      ++p.structure_cases;
    } else if (cs.valid() && cs.kind() == "bitfield") {
      const Bitfield* b = spec.FindBitfield(Str(j.at("bitfield")));
      if (!b) {
        p.problems.push_back(id + ": unknown bitfield");
        continue;
      }
      const uint64_t v = U64(j.at("value"));
      const std::string ct = "uint" + std::to_string(b->width) + "_t";
      e.c += "  const " + ct + " v = (" + ct + ")" + CU64(v) + ";\n  " + ct + " o;\n";
      e.rs += "    let v = " + Camel(b->name) + "::new(" + HexU64(v) + "u" +
              std::to_string(b->width) + ");\n";
      e.BitfieldChecks(*b, j.at("fields"), "v", "v", b->name);
      e.c += e.BitfieldBuildC(*b, j.at("fields"), "o");
      e.c += "  CK(o == v, \"fields -> value\");\n";
      e.c += "  CK((v & " + Upper(CName(b->name)) + "_MBZ_MASK) == 0, \"mbz clear\");\n";
      e.rs += "    ck(" + e.BitfieldBuildRust(*b, j.at("fields")) +
              " == v, \"fields -> value\", &mut f);\n";
      e.rs += "    ck(v.mbz_ok(), \"mbz clear\", &mut f);\n";
      ++p.bitfield_cases;
    } else if (!cs.valid() && j.contains("mbz_check")) {
      const Json& m = j["mbz_check"];
      if (m.contains("bitfield")) {
        const Bitfield* b = spec.FindBitfield(Str(m["bitfield"]));
        if (!b) continue;
        const uint64_t v = U64(m.at("value"));
        e.c += "  CK((" + CU64(v) + " & " + Upper(CName(b->name)) +
               "_MBZ_MASK) != 0, \"_MBZ_MASK flags it\");\n";
        e.rs += "    ck(!" + Camel(b->name) + "::new(" + HexU64(v) + "u" +
                std::to_string(b->width) + ").mbz_ok(), \"mbz_ok() flags it\", &mut f);\n";
      } else {
        const Structure* s = spec.FindStructure(Str(m.at("structure")));
        if (!s) continue;
        const auto bytes = Bytes(j.at("bytes"));
        // C has no structure-level mbz helper: some mbz member (nested too) is non-zero.
        e.c += "  static const uint8_t b[" + std::to_string(bytes.size()) + "] = {" +
               ByteList(bytes) + "};\n";
        e.c += "  static const uint8_t z[64];\n  struct " + CName(s->name) +
               " s;\n  memcpy(&s, b, sizeof s);\n  int nz = 0;\n";
        std::function<void(const Structure&, const std::string&)> mbz = [&](const Structure& st,
                                                                            const std::string& ex) {
          for (const auto& f : st.fields) {
            if (f.mbz && f.type == FieldType::kBytes) {
              e.c += "  nz |= memcmp(" + ex + "." + f.name + ", z, sizeof " + ex + "." + f.name +
                     ") != 0;\n";
            } else if (f.type == FieldType::kStruct) {
              if (const Structure* n2 = spec.FindStructure(f.struct_name))
                mbz(*n2, ex + "." + f.name);
            }
          }
        };
        mbz(*s, "s");
        e.c += "  CK(nz, \"an mbz member is non-zero\");\n";
        e.rs += "    let b: &[u8] = &[" + ByteList(bytes) + "];\n";
        e.rs += "    ck(" + Camel(s->name) +
                "::from_bytes(b).map_or(false, |s| !s.mbz_ok()), \"mbz_ok() flags it\", &mut f);\n";
      }
      ++p.mbz_cases;
    } else {
      continue;
    }
    for (auto& pr : e.problems) p.problems.push_back(id + ": " + pr);
    p.c += "static void " + fn + "(void) {\n  const char* id = \"" + id + "\";\n" + e.c + "}\n\n";
    c_calls += "  " + fn + "();\n";
    p.rs += "#[allow(unused_mut, unused_variables)]\nfn " + fn +
            "() -> u32 {\n    let mut f = 0u32;\n    let id = \"" + id +
            "\";\n    let ck = |c: bool, what: &str, f: &mut u32| { if !c { println!(\"FAIL {}: "
            "{}\", id, what); *f += 1; } };\n" +
            e.rs + "    f\n}\n\n";
    rs_calls += "    fails += " + fn + "();\n    cases += 1;\n";
  }
  p.c =
      "#include <stdint.h>\n#include <stdio.h>\n#include <string.h>\n#include \"svsm_spec.h\"\n\n"
      "static unsigned fails;\n"
      "#define CK(cond, what) do { if (!(cond)) { printf(\"FAIL %s: %s\\n\", id, what); ++fails; } "
      "} while (0)\n\n" +
      p.c + "int main(void) {\n" + c_calls +
      "  printf(\"%u failures\\n\", fails);\n  return fails ? 1 : 0;\n}\n";
  p.rs =
      "#[allow(dead_code, unused_imports, clippy::all)]\n#[path = \"svsm_spec.rs\"]\nmod "
      "svsm_spec;\nuse svsm_spec::*;\n\n" +
      p.rs + "fn main() {\n    let mut fails = 0u32;\n    let mut cases = 0u32;\n" + rs_calls +
      "    println!(\"{} cases, {} failures\", cases, fails);\n    std::process::exit(if fails == "
      "0 { 0 } else { 1 });\n}\n";
  return p;
}

std::string Quote(const std::string& s) {
  std::string out = "'";
  for (char ch : s) out += ch == '\'' ? std::string("'\\''") : std::string(1, ch);
  return out + "'";
}

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "svsm-codec-vectors-XXXXXX").string();
    if (::mkdtemp(tmpl.data())) path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty() && !std::getenv("SVSM_SPEC_KEEP_TEMP")) fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

int RunShell(const std::string& command, const fs::path& dir, std::string* output) {
  const fs::path log = dir / "log.txt";
  const int rc = std::system((command + " >" + Quote(log.string()) + " 2>&1").c_str());
  *output = ReadFile(log);
  if (rc == -1 || !WIFEXITED(rc)) return -1;
  return WEXITSTATUS(rc);
}

bool WriteText(const fs::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary);
  out << text;
  return static_cast<bool>(out);
}

std::string Tail(const std::string& s, size_t n = 6000) {
  return s.size() <= n ? s : "..." + s.substr(s.size() - n);
}

TEST(CodecVectors, C) {
  const Programs p = MakePrograms();
  EXPECT_TRUE(p.problems.empty()) << Join(p.problems);
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  ASSERT_TRUE(WriteText(dir.path() / "vectors.c", p.c));
  std::string out;
  const std::string cc = "cc -std=c11 -Wall -Wextra -Werror -I" +
                         Quote(std::string(SVSM_SPEC_GENERATED_DIR) + "/c") + " -o " +
                         Quote((dir.path() / "vectors").string()) + " " +
                         Quote((dir.path() / "vectors.c").string());
  ASSERT_EQ(RunShell(cc, dir.path(), &out), 0) << cc << "\n" << Tail(out);
  EXPECT_EQ(RunShell(Quote((dir.path() / "vectors").string()), dir.path(), &out), 0) << Tail(out);
  EXPECT_NE(out.find("0 failures"), std::string::npos) << Tail(out);
  std::printf("[codec vectors] C: %zu structure, %zu bitfield, %zu mbz cases: %s",
              p.structure_cases, p.bitfield_cases, p.mbz_cases, out.c_str());
}

TEST(CodecVectors, Rust) {
  const std::string rustc = FindRustc();
  if (rustc.empty())
    GTEST_SKIP()
        << "rustc not found on PATH or in $HOME/.cargo/bin: the Rust module is not checked";
  const Programs p = MakePrograms();
  EXPECT_TRUE(p.problems.empty()) << Join(p.problems);
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  std::error_code ec;
  fs::copy_file(fs::path(SVSM_SPEC_GENERATED_DIR) / "rust" / "svsm_spec.rs",
                dir.path() / "svsm_spec.rs", ec);
  ASSERT_FALSE(ec) << ec.message();
  ASSERT_TRUE(WriteText(dir.path() / "main.rs", p.rs));
  std::string out;
  const std::string cmd = Quote(rustc) + " --edition 2021 -o " +
                          Quote((dir.path() / "vectors").string()) + " " +
                          Quote((dir.path() / "main.rs").string());
  ASSERT_EQ(RunShell(cmd, dir.path(), &out), 0) << cmd << "\n" << Tail(out);
  EXPECT_EQ(RunShell(Quote((dir.path() / "vectors").string()), dir.path(), &out), 0) << Tail(out);
  EXPECT_NE(out.find(" 0 failures"), std::string::npos) << Tail(out);
  std::printf("[codec vectors] Rust: %s", out.c_str());
}

}  // namespace
}  // namespace svsm_spec::codec::gen
