// The C++ codecs generated from the shipped spec (svsm_spec_codecs.h/.cc, built by
// `svsm-spec gen --lang cpp`): request/response round trips through registers and guest
// memory, decode failures that name the enforcing rule id, JSON round trips, and random
// inputs that must never crash a decoder (run under ASan+UBSan in sanitizer builds).
#include <gtest/gtest.h>

#include <array>
#include <bit>
#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include "svsm_spec/codec_runtime.h"
#include "svsm_spec_codecs.h"

namespace svsm_spec::codec::gen {
namespace {

// Guest memory of whole 4 KiB pages; unmapped pages are inaccessible.
class PageMemory : public GuestMemory {
 public:
  void Map(uint64_t page_gpa) { pages_[page_gpa & ~uint64_t{0xfff}]; }

  void Write(uint64_t gpa, std::span<const uint8_t> bytes) {
    for (size_t i = 0; i < bytes.size(); ++i) {
      const uint64_t a = gpa + i;
      pages_[a & ~uint64_t{0xfff}][a & 0xfff] = bytes[i];
    }
  }

  void Write(const std::vector<MemoryImage>& images) {
    for (const auto& image : images) Write(image.gpa, image.bytes);
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

constexpr uint64_t kCaa = 0x7f000000;

PvalidateEntry Entry(uint64_t pfn, uint8_t page_size, uint8_t action) {
  PvalidateEntry e;
  e.pfn = pfn;
  e.page_size = page_size;
  e.action = action;
  return e;
}

CorePvalidateRequest PvalidateRequest(uint64_t gpa, size_t n) {
  CorePvalidateRequest req;
  req.list = gpa;
  PvalidateList list;
  list.entries = static_cast<uint16_t>(n);
  for (size_t i = 0; i < n; ++i) {
    list.entry.push_back(Entry(0x100000 + i, 0, static_cast<uint8_t>(i & 1)));
  }
  req.pvalidate_list = list;
  return req;
}

Result<CorePvalidateRequest> RoundTrip(const CorePvalidateRequest& req, PageMemory* memory) {
  memory->Write(RequestMemory(req));
  return DecodeRequest<CorePvalidateRequest>(EncodeRequest(req), *memory);
}

TEST(Codecs, PvalidateRoundTrip) {
  PageMemory memory;
  memory.Map(kCaa);
  const CorePvalidateRequest req = PvalidateRequest(kCaa + 8, 510);
  const RegisterSet regs = EncodeRequest(req);
  EXPECT_EQ(regs.rax, kCorePvalidateRax);
  EXPECT_EQ(regs.rax, 1u);
  EXPECT_EQ(regs.rcx, kCaa + 8);
  const std::vector<MemoryImage> images = RequestMemory(req);
  ASSERT_EQ(images.size(), 1u);
  EXPECT_EQ(images[0].gpa, kCaa + 8);
  EXPECT_EQ(images[0].bytes.size(), 8u + 510 * 8);  // exactly fills the CAA page
  EXPECT_EQ(images[0].bytes[0], 0xfe);
  EXPECT_EQ(images[0].bytes[1], 0x01);
  // Entry 1: pfn 0x100001, validate (bit 2).
  EXPECT_EQ(LoadLe(images[0].bytes, 16, 8), (uint64_t{0x100001} << 12) | 4);

  auto decoded = RoundTrip(req, &memory);
  ASSERT_TRUE(decoded.ok()) << decoded.error().ToString();
  EXPECT_EQ(decoded.value(), req);
  EXPECT_EQ(EncodeRequest(decoded.value()), regs);
  EXPECT_EQ(RequestMemory(decoded.value()), images);

  CorePvalidateResponse resp;
  resp.result = 0x80000005;
  const RegisterSet out = EncodeResponse(resp);
  EXPECT_EQ(out.rax, 0x80000005u);
  EXPECT_EQ(DecodeResponse<CorePvalidateResponse>(out), resp);
}

TEST(Codecs, PvalidateEntryReservedBitsNameTheRule) {
  PageMemory memory;
  memory.Map(kCaa);
  CorePvalidateRequest req = PvalidateRequest(kCaa + 8, 5);
  req.pvalidate_list->entry[3].reserved = 0x10;  // raw layer encodes it as held
  auto r = RoundTrip(req, &memory);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().rule_id, "core.pvalidate.entry-reserved-bits");
  EXPECT_EQ(r.error().field, "pvalidate_list.entry[3].reserved");

  // The same bits through the bitfield alone, with default rules (checked, no rule id).
  auto e = PvalidateEntry::Decode(uint64_t{1} << 4);
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().rule_id, "");
  EXPECT_EQ(e.error().field, "reserved");
  EXPECT_EQ(PvalidateEntry::kMbzMask, 0xff0u);
  // Unpack/Pack keep every bit.
  EXPECT_EQ(PvalidateEntry::Unpack(0xfffffffffffffffful).Pack(), 0xfffffffffffffffful);

  // Page size 2 is not a core_page_size value.
  req = PvalidateRequest(kCaa + 8, 5);
  req.pvalidate_list->entry[4].page_size = 2;
  r = RoundTrip(req, &memory);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().rule_id, "core.pvalidate.entry-page-size");
  EXPECT_EQ(r.error().field, "pvalidate_list.entry[4].page_size");
}

TEST(Codecs, PvalidateEntriesZero) {
  PageMemory memory;
  memory.Map(kCaa);
  auto r = RoundTrip(PvalidateRequest(kCaa + 8, 0), &memory);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().rule_id, "core.pvalidate.entries-zero");
  EXPECT_EQ(r.error().field, "pvalidate_list.entry");
}

TEST(Codecs, PvalidateListCrossingAPage) {
  PageMemory memory;
  memory.Map(kCaa);
  memory.Map(kCaa + 0x1000);
  // Two entries at the last 8 bytes of the page: 24 bytes cross into the next page.
  auto r = RoundTrip(PvalidateRequest(kCaa + 0xff8, 2), &memory);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().rule_id, "core.pvalidate.list-crosses-page");
  // 512 entries exceed max_count (same rule).
  r = RoundTrip(PvalidateRequest(kCaa, 512), &memory);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().rule_id, "core.pvalidate.list-crosses-page");
  EXPECT_EQ(r.error().field, "pvalidate_list.entry");
  // 511 entries fit a whole page, 510 at offset 8 just fit; 511 at offset 8 do not.
  EXPECT_TRUE(RoundTrip(PvalidateRequest(kCaa, 511), &memory).ok());
  EXPECT_TRUE(RoundTrip(PvalidateRequest(kCaa + 8, 510), &memory).ok());
  r = RoundTrip(PvalidateRequest(kCaa + 8, 511), &memory);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().rule_id, "core.pvalidate.list-crosses-page");
}

TEST(Codecs, PvalidateMisalignedAndInaccessible) {
  PageMemory memory;
  memory.Map(kCaa);
  CorePvalidateRequest req = PvalidateRequest(kCaa + 8, 1);
  memory.Write(RequestMemory(req));
  RegisterSet regs = EncodeRequest(req);
  regs.rcx = kCaa + 12;
  auto r = DecodeRequest<CorePvalidateRequest>(regs, memory);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().rule_id, "core.pvalidate.alignment");
  EXPECT_EQ(r.error().field, "rcx");

  regs.rcx = 0x5000;  // not mapped
  r = DecodeRequest<CorePvalidateRequest>(regs, memory);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().rule_id, "general.faulting-address");

  regs.rax = kCoreDepositMemRax;
  r = DecodeRequest<CorePvalidateRequest>(regs, memory);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().field, "rax");
}

TEST(Codecs, QueryProtocolHalves) {
  RegisterSet regs;
  regs.rax = kCoreQueryProtocolRax;
  regs.rcx = (uint64_t{2} << 32) | 1;  // vTPM protocol, version 1
  PageMemory memory;
  auto r = DecodeRequest<CoreQueryProtocolRequest>(regs, memory);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r.value().request.protocol, 2u);
  EXPECT_EQ(r.value().request.version, 1u);
  EXPECT_EQ(EncodeRequest(r.value()), regs);
  EXPECT_EQ(kCoreQueryProtocolRax, 6u);

  CoreQueryProtocolResponse resp;
  resp.response.min_version = 1;
  resp.response.max_version = 3;
  const RegisterSet out = EncodeResponse(resp);
  EXPECT_EQ(out.rax, 0u);
  EXPECT_EQ(out.rcx, (uint64_t{3} << 32) | 1);
  const auto back = DecodeResponse<CoreQueryProtocolResponse>(out);
  EXPECT_EQ(back.response.min_version, 1u);
  EXPECT_EQ(back.response.max_version, 3u);
}

TEST(Codecs, ConfigureVtomForms) {
  PageMemory memory;
  RegisterSet regs;
  regs.rax = kCoreConfigureVtomQueryRax;
  regs.rcx = 1;
  EXPECT_TRUE(DecodeRequest<CoreConfigureVtomQueryRequest>(regs, memory).ok());
  EXPECT_FALSE(DecodeRequest<CoreConfigureVtomConfigureRequest>(regs, memory).ok());
  regs.rcx = 1 | (1u << 7);
  auto r = DecodeRequest<CoreConfigureVtomQueryRequest>(regs, memory);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().rule_id, "core.configure-vtom.query-reserved-bits");
  EXPECT_EQ(r.error().field, "rcx.reserved");
}

TEST(Codecs, AttestationReservedBytes) {
  PageMemory memory;
  memory.Map(kCaa);
  AttestServicesRequest req;
  req.op_gpa = kCaa + 8;
  AttestServicesOp op;
  op.report_gpa = 0x100000;
  op.report_size = 0x1000;
  op.manifest_gpa = 0x200000;
  op.certs_gpa = 0x300000;
  req.attest_services_op = op;
  memory.Write(RequestMemory(req));
  auto ok = DecodeRequest<AttestServicesRequest>(EncodeRequest(req), memory);
  ASSERT_TRUE(ok.ok()) << ok.error().ToString();
  EXPECT_EQ(ok.value(), req);

  req.attest_services_op->reserved_1a[5] = 1;
  memory.Write(RequestMemory(req));
  auto r = DecodeRequest<AttestServicesRequest>(EncodeRequest(req), memory);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().rule_id, "attest.services.reserved-nonzero");
  EXPECT_EQ(r.error().field, "attest_services_op.reserved_1a");

  req.attest_services_op->reserved_1a[5] = 0;
  req.attest_services_op->report_gpa = 0x100008;
  memory.Write(RequestMemory(req));
  r = DecodeRequest<AttestServicesRequest>(EncodeRequest(req), memory);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().rule_id, "attest.services.buffer-misaligned");
  EXPECT_EQ(r.error().field, "attest_services_op.report_gpa");

  // Nested: the same reserved bytes inside SINGLE_SERVICE's op name that call's rule.
  AttestSingleServiceRequest single;
  single.op_gpa = kCaa + 0x100;
  AttestSingleServiceOp sop;
  sop.services_op = op;
  sop.services_op.reserved_3c[0] = 0xff;
  single.attest_single_service_op = sop;
  memory.Write(RequestMemory(single));
  auto n = DecodeRequest<AttestSingleServiceRequest>(EncodeRequest(single), memory);
  ASSERT_FALSE(n.ok());
  EXPECT_EQ(n.error().rule_id, "attest.single-service.reserved-nonzero");
  EXPECT_EQ(n.error().field, "attest_single_service_op.services_op.reserved_3c");

  // The op must not cross a page.
  single.attest_single_service_op->services_op.reserved_3c[0] = 0;
  single.op_gpa = kCaa + 0xfb0;
  memory.Map(kCaa + 0x1000);
  memory.Write(RequestMemory(single));
  auto s = DecodeRequest<AttestSingleServiceRequest>(EncodeRequest(single), memory);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().rule_id, "attest.single-service.op-crosses-page");
}

TEST(Codecs, JsonRoundTrip) {
  const CorePvalidateRequest req = PvalidateRequest(kCaa + 8, 3);
  const Json j = ToJson(req);
  EXPECT_EQ(j["list"], "0x7f000008");
  EXPECT_EQ(j["pvalidate_list"]["entries"], 3);
  EXPECT_EQ(j["pvalidate_list"]["entry"][1]["pfn"], "0x100001");
  auto back = FromJson<CorePvalidateRequest>(j);
  ASSERT_TRUE(back.ok()) << back.error().ToString();
  EXPECT_EQ(back.value(), req);
  // Through text as well.
  auto reparsed = FromJson<CorePvalidateRequest>(Json::parse(j.dump()));
  ASSERT_TRUE(reparsed.ok());
  EXPECT_EQ(reparsed.value(), req);

  AttestSingleServiceOp op;
  op.service_guid = {0xbb, 0x9e, 0x84, 0x63, 0x92, 0x3d, 0x70, 0x46,
                     0xa1, 0xff, 0x58, 0xf9, 0xc9, 0x4b, 0x87, 0xbb};
  op.manifest_version = 7;
  const Json oj = op.ToJson();
  EXPECT_EQ(oj["service_guid"], "63849ebb-3d92-4670-a1ff-58f9c94b87bb");
  auto op_back = FromJson<AttestSingleServiceOp>(oj);
  ASSERT_TRUE(op_back.ok()) << op_back.error().ToString();
  EXPECT_EQ(op_back.value(), op);

  CoreQueryProtocolResponse resp;
  resp.result = 0x80000005;
  resp.response.max_version = 2;
  auto resp_back = FromJson<CoreQueryProtocolResponse>(ToJson(resp));
  ASSERT_TRUE(resp_back.ok());
  EXPECT_EQ(resp_back.value(), resp);

  // Bad JSON is an error, never an exception.
  EXPECT_FALSE(FromJson<CorePvalidateRequest>(Json::array()).ok());
  EXPECT_FALSE(FromJson<CorePvalidateRequest>(Json{{"list", "0xzz"}}).ok());
  EXPECT_FALSE(FromJson<PvalidateEntry>(Json{{"page_size", 7}}).ok());
  Json extra = j;
  extra["bogus"] = 1;
  EXPECT_FALSE(FromJson<CorePvalidateRequest>(extra).ok());
  Json wide = j;
  wide["pvalidate_list"]["entries"] = 70000;  // above u16
  EXPECT_FALSE(FromJson<CorePvalidateRequest>(wide).ok());
}

TEST(Codecs, ReservedNotMbzKeptVerbatim) {
  // pvalidate_list.reserved and deposit_mem_entry.reserved are reserved but not mbz.
  std::vector<uint8_t> bytes(16, 0);
  bytes[0] = 1;                   // entries
  bytes[4] = 0xaa;                // reserved
  bytes[8] = 0x04 | 0x10 | 0x20;  // entry: action + reserved bits (deposit: reserved 11:2)
  auto d = DepositMemList::Decode(bytes);
  ASSERT_TRUE(d.ok()) << d.error().ToString();
  EXPECT_EQ(d.value().Encode(), bytes);
  // Trailing bytes are ignored.
  bytes.push_back(0x55);
  d = DepositMemList::Decode(bytes);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d.value().EncodedSize(), 16u);
  // Too short for the announced count.
  bytes[0] = 3;
  d = DepositMemList::Decode(bytes);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().field, "deposit_mem_list.entry");
}

TEST(Codecs, GenericEntryPoints) {
  // ForEachBitfield / ForEachStructure / ForEachCall visit every type once (the fuzz targets
  // rely on them to cover everything); DecodeAnyStructure decodes by spec name with default
  // rules.
  size_t bitfields = 0;
  ForEachBitfield([&](auto type, const char* name) {
    using T = typename decltype(type)::type;
    ++bitfields;
    if (std::string(name) == "pvalidate_entry") {
      EXPECT_EQ(T::kMbzMask, PvalidateEntry::kMbzMask);
    }
  });
  EXPECT_EQ(bitfields, kBitfieldCount);
  EXPECT_GE(kBitfieldCount, 1u);
  size_t structures = 0;
  bool saw_list = false;
  ForEachStructure([&](auto type, const char* name) {
    using T = typename decltype(type)::type;
    ++structures;
    if (std::string(name) == "pvalidate_list") {
      saw_list = true;
      EXPECT_EQ(T::kFixedSize, PvalidateList::kFixedSize);
    }
  });
  EXPECT_EQ(structures, kStructureCount);
  EXPECT_TRUE(saw_list);
  size_t calls = 0;
  bool saw_call = false;
  ForEachCall([&](auto req, auto, const char* name) {
    using Req = typename decltype(req)::type;
    ++calls;
    if (std::string(name) == "SVSM_CORE_PVALIDATE") {
      saw_call = true;
      EXPECT_EQ(Req::kRax, kCorePvalidateRax);
    }
  });
  EXPECT_EQ(calls, kCallCount);
  EXPECT_TRUE(saw_call);

  std::vector<uint8_t> bytes(16, 0);
  bytes[0] = 1;     // entries
  bytes[8] = 0x04;  // entry 0: validate
  bytes.push_back(0x55);
  auto any = DecodeAnyStructure("pvalidate_list", bytes);
  ASSERT_TRUE(any.ok()) << any.error().ToString();
  EXPECT_EQ(any.value(), std::vector<uint8_t>(bytes.begin(), bytes.begin() + 16));
  bytes[0] = 0;  // below min_count
  any = DecodeAnyStructure("pvalidate_list", bytes);
  ASSERT_FALSE(any.ok());
  EXPECT_EQ(any.error().field, "pvalidate_list.entry");
  EXPECT_FALSE(DecodeAnyStructure("no_such_structure", bytes).ok());
}

// Decodes random buffers of random lengths; fixes the round trip whenever decoding works.
template <class T>
void FuzzStructure(std::mt19937_64& rng, const char* name) {
  std::vector<uint8_t> buf;
  int decoded = 0;
  for (int i = 0; i < 20000; ++i) {
    size_t len = rng() % (T::kFixedSize + 64);
    if (i % 4 == 0) len = T::kFixedSize + rng() % 16;
    buf.resize(len);
    const bool zeros = i % 3 == 0;  // mostly zero buffers get past the checks
    for (auto& b : buf)
      b = zeros ? ((rng() % 16) == 0 ? static_cast<uint8_t>(rng()) : 0)
                : static_cast<uint8_t>(rng());
    auto r = T::Decode(buf);
    if (!r.ok()) {
      EXPECT_FALSE(r.error().message.empty()) << name;
      continue;
    }
    ++decoded;
    const std::vector<uint8_t> enc = r.value().Encode();
    ASSERT_LE(enc.size(), buf.size()) << name;
    ASSERT_TRUE(std::equal(enc.begin(), enc.end(), buf.begin())) << name;
    auto j = FromJson<T>(ToJson(r.value()));
    ASSERT_TRUE(j.ok()) << name << ": " << j.error().ToString();
    ASSERT_EQ(j.value(), r.value()) << name;
  }
  (void)decoded;
}

TEST(Codecs, RandomBuffersNeverCrash) {
  std::mt19937_64 rng(20240521);
#define SVSM_FUZZ(T) FuzzStructure<T>(rng, #T)
  SVSM_FUZZ(Vmsa);
  SVSM_FUZZ(SnpReportSignature);
  SVSM_FUZZ(SnpAttestationReport);
  SVSM_FUZZ(SnpMsgReportReq);
  SVSM_FUZZ(AttestServicesOp);
  SVSM_FUZZ(AttestSingleServiceOp);
  SVSM_FUZZ(AttestSingleServiceExOp);
  SVSM_FUZZ(AttestExSelectorContext);
  SVSM_FUZZ(AttestExVtpmSelector);
  SVSM_FUZZ(AttestServicesManifestEntry);
  SVSM_FUZZ(AttestServicesManifest);
  SVSM_FUZZ(PvalidateList);
  SVSM_FUZZ(DepositMemList);
  SVSM_FUZZ(WithdrawMemArea);
  SVSM_FUZZ(OcpObjectDetails);
  SVSM_FUZZ(OcpSourceDetails);
  SVSM_FUZZ(RebootServiceManifest);
  SVSM_FUZZ(UefimmCommunicateHeader);
  SVSM_FUZZ(UefimmServiceManifest);
  SVSM_FUZZ(VtpmCmdRequestHeader);
  SVSM_FUZZ(VtpmCmdResponseHeader);
  SVSM_FUZZ(VtpmSendCommandReq);
  SVSM_FUZZ(VtpmSendCommandResp);
  SVSM_FUZZ(SvsmCaa);
  SVSM_FUZZ(SnpSecretsPageSvsm);
#undef SVSM_FUZZ
}

// Every structure's decoder runs two versions of its checks: the fast path
// (DecodeIntoIfValid: only whether all pass) and the checking decode (CheckingDecodeInto:
// the first failure's CodecError); Decode trusts the fast path when it passes. They must
// agree on every input and every set of enabled rules, and decode the same value: a fast
// path that passes what a check refuses would make Decode accept invalid input. Rules are
// structs of rule-id pointers (nested for nested structures and bitfields); each pointer is
// kept or cleared at random, so disabled checks are exercised too.
template <class T>
void FastPathAgreesWithCheckingDecode(std::mt19937_64& rng, const char* name) {
  using Rules = typename T::Rules;
  // Empty (or made of empty nested Rules): nothing to clear.
  constexpr bool kNoRules = sizeof(Rules) % sizeof(const char*) != 0;
  static_assert(std::is_trivially_copyable_v<Rules>);
  constexpr size_t kSlots = kNoRules ? 1 : sizeof(Rules) / sizeof(const char*);
  std::vector<uint8_t> buf;
  int passed = 0, failed = 0;
  for (int i = 0; i < 4000; ++i) {
    Rules rules{};
    if constexpr (!kNoRules) {
      if (i % 2 == 1) {
        auto slots = std::bit_cast<std::array<const char*, kSlots>>(rules);
        for (auto& slot : slots) {
          if (rng() % 3 == 0) slot = nullptr;
        }
        rules = std::bit_cast<Rules>(slots);
      }
    }
    size_t len = T::kFixedSize + rng() % 64;
    if (i % 8 == 0) len = rng() % (T::kFixedSize + 1);
    buf.resize(len);
    const unsigned density = 1 + rng() % 64;  // mostly-zero buffers get past more checks
    for (auto& b : buf) b = (rng() % density) == 0 ? static_cast<uint8_t>(rng()) : 0;
    T fast_out{};
    T slow_out{};
    const bool fast = T::DecodeIntoIfValid(buf, rules, fast_out);
    const std::optional<CodecError> slow = T::CheckingDecodeInto(buf, rules, slow_out);
    ASSERT_EQ(fast, !slow.has_value())
        << name << " (" << len << " bytes): fast path says " << (fast ? "valid" : "invalid")
        << ", checking decode says " << (slow ? slow->ToString() : "valid");
    if (fast) {
      ASSERT_EQ(fast_out, slow_out) << name;
      ++passed;
    } else {
      ++failed;
    }
  }
  // Both outcomes must have been seen, or the comparison proved little.
  EXPECT_GT(passed, 0) << name;
  EXPECT_GT(failed, 0) << name;
}

TEST(Codecs, FastPathAgreesWithCheckingDecodeOnEveryStructure) {
  std::mt19937_64 rng(20261122);
  size_t structures = 0;
  ForEachStructure([&](auto type, const char* name) {
    using T = typename decltype(type)::type;
    FastPathAgreesWithCheckingDecode<T>(rng, name);
    ++structures;
  });
  EXPECT_EQ(structures, kStructureCount);
}

// Random registers against random memory for the requests that read guest memory.
template <class T>
void FuzzRequest(std::mt19937_64& rng, const PageMemory& memory) {
  for (int i = 0; i < 2000; ++i) {
    RegisterSet regs;
    regs.rax = i % 8 == 0 ? rng() : T::kRax;
    const uint64_t choices[] = {rng(), kCaa + (rng() % 0x2000), ~uint64_t{0} - (rng() % 64),
                                kCaa + 0xff8};
    regs.rcx = choices[rng() % 4];
    regs.rdx = choices[rng() % 4];
    regs.r8 = rng();
    regs.r9 = rng();
    auto r = DecodeRequest<T>(regs, memory);
    if (r.ok()) {
      EXPECT_EQ(EncodeRequest(r.value()).rax, regs.rax);
    }
  }
}

TEST(Codecs, RandomRequestsNeverCrash) {
  std::mt19937_64 rng(7);
  PageMemory memory;
  std::vector<uint8_t> page(4096);
  for (auto& b : page) b = static_cast<uint8_t>(rng() % 4 == 0 ? rng() : 0);
  memory.Write(kCaa, page);
  memory.Write(kCaa + 0x1000, page);
  FuzzRequest<CorePvalidateRequest>(rng, memory);
  FuzzRequest<CoreDepositMemRequest>(rng, memory);
  FuzzRequest<CoreWithdrawMemRequest>(rng, memory);
  FuzzRequest<CoreRemapCaRequest>(rng, memory);
  FuzzRequest<CoreCreateVcpuRequest>(rng, memory);
  FuzzRequest<AttestServicesRequest>(rng, memory);
  FuzzRequest<AttestSingleServiceRequest>(rng, memory);
  FuzzRequest<AttestSingleServiceExRequest>(rng, memory);
  FuzzRequest<VtpmCmdRequest>(rng, memory);
  FuzzRequest<UefimmRequestRequest>(rng, memory);
  FuzzRequest<OcpListObjectsRequest>(rng, memory);
  FuzzRequest<ApicConfigureVectorRequest>(rng, memory);
}

}  // namespace
}  // namespace svsm_spec::codec::gen
