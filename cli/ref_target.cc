#include "ref_target.h"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <algorithm>
#include <cstdint>

#include "svsm_spec.h"  // generated C header: SVSM_SPEC_REVISION

namespace svsm_cli {
namespace {

using svsm_conform::Empty;
using svsm_conform::MemoryRange;
using svsm_conform::TargetError;
using svsm_conform::TargetFail;
using svsm_conform::TargetOk;
using svsm_conform::TargetResult;
using svsm_ref::MemoryRegion;
using svsm_ref::PlatformConfig;

constexpr uint64_t kLargePage = uint64_t{1} << 21;
// At most this much test memory of each kind is offered (the core suite needs 1 MiB).
constexpr uint64_t kTestMemoryMax = uint64_t{32} << 20;
// Below this, boot RAM is left alone (real-mode and firmware conventions).
constexpr uint64_t kTestMemoryFloor = kLargePage;
// The hole the default platform leaves between MMIO and high RAM.
constexpr uint64_t kPreferredUnmapped = 0xF000'0000;

uint64_t AlignUp(uint64_t v, uint64_t a) { return (v + a - 1) & ~(a - 1); }
uint64_t AlignDown(uint64_t v, uint64_t a) { return v & ~(a - 1); }

bool InAnyRegion(const PlatformConfig& config, uint64_t gpa) {
  return std::any_of(config.memory.begin(), config.memory.end(),
                     [&](const MemoryRegion& r) { return gpa >= r.base && gpa - r.base < r.size; });
}

// The lowest address >= start the guest must not use as test memory (secrets page, startup
// Calling Area and VMSA, the SVSM region), or UINT64_MAX.
uint64_t NextForbidden(const PlatformConfig& config, uint64_t start) {
  uint64_t next = UINT64_MAX;
  for (uint64_t p : {config.secrets_page, config.startup_caa, config.startup_vmsa}) {
    if (p + svsm_ref::kPageSize > start && p < next) next = p < start ? start : p;
  }
  if (config.svsm_base + config.svsm_size > start && config.svsm_base < next) {
    next = config.svsm_base < start ? start : config.svsm_base;
  }
  return next;
}

// A 2 MiB-aligned range of private RAM of the requested kind clear of everything the
// platform reserves, at or above kTestMemoryFloor; size 0 when there is none.
MemoryRange FindTestMemory(const PlatformConfig& config, bool validated) {
  for (const MemoryRegion& r : config.memory) {
    if (r.kind != MemoryRegion::Kind::kRam || r.shared || r.prevalidated != validated) continue;
    uint64_t start = AlignUp(std::max(r.base, kTestMemoryFloor), kLargePage);
    const uint64_t region_end = r.base + r.size;
    while (start < region_end) {
      const uint64_t forbidden = NextForbidden(config, start);
      const uint64_t end = AlignDown(std::min({region_end, forbidden, start + kTestMemoryMax}), kLargePage);
      if (end > start) return {start, end - start, validated};
      if (forbidden >= region_end) break;
      start = AlignUp(forbidden + 1, kLargePage);  // past what is reserved at `start`
    }
  }
  return {0, 0, validated};
}

// A page-aligned address no region maps.
uint64_t FindUnmapped(const PlatformConfig& config) {
  if (!InAnyRegion(config, kPreferredUnmapped)) return kPreferredUnmapped;
  for (const MemoryRegion& r : config.memory) {
    if (!InAnyRegion(config, r.base + r.size)) return r.base + r.size;
  }
  return svsm_ref::kAddressLimit;
}

}  // namespace

svsm_conform::TargetInfo ReferenceTargetInfo(const svsm_ref::ReferenceSvsm& svsm) {
  const PlatformConfig& config = svsm.config();
  svsm_conform::TargetInfo info;
  info.target = config.name + " " SVSM_SPEC_VERSION;
  info.spec_revision = SVSM_SPEC_REVISION;
  info.guest_vmpl = config.guest_vmpl;
  for (const auto& p : config.protocols) info.protocols.push_back({p.number, p.min_version, p.max_version});
  for (size_t i = 0; i < svsm.vcpus().size(); ++i) {
    const svsm_ref::VcpuState& v = svsm.vcpus()[i];
    svsm_conform::VcpuInfo c;
    c.index = static_cast<uint32_t>(i);
    c.apic_id = v.apic_id;
    if (v.vmsa) {
      c.caa = v.caa;
      c.vmsa = *v.vmsa;
    }
    info.vcpus.push_back(c);
  }
  info.svsm_region = {config.svsm_base, config.svsm_size, false};
  info.startup_vmsa = config.startup_vmsa;
  for (bool validated : {true, false}) {
    const MemoryRange r = FindTestMemory(config, validated);
    if (r.size != 0) info.test_memory.push_back(r);
  }
  for (const MemoryRegion& r : config.memory) {
    if (r.kind == MemoryRegion::Kind::kRam && r.shared) info.shared_memory.push_back({r.base, r.size, false});
  }
  info.unmapped = FindUnmapped(config);
  info.capabilities = {"reset", "page-state", "vcpu-control", "inject-pvalidate-result",
                       "inject-racing-write", "call-pending-value"};
  info.report_public_key = svsm.firmware().PublicKeyPem();
  return info;
}

std::string GenerateSigningKeyPem(std::string* error) {
  EVP_PKEY* key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384");
  if (key == nullptr) {
    if (error) *error = "P-384 key generation failed";
    return {};
  }
  std::string pem;
  BIO* bio = BIO_new(BIO_s_mem());
  if (bio != nullptr && PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr) == 1) {
    char* data = nullptr;
    const long len = BIO_get_mem_data(bio, &data);
    if (len > 0 && data != nullptr) pem.assign(data, static_cast<size_t>(len));
  }
  BIO_free(bio);
  EVP_PKEY_free(key);
  if (pem.empty() && error) *error = "writing the P-384 key as PEM failed";
  return pem;
}

std::unique_ptr<ReferenceTarget> ReferenceTarget::Create(PlatformConfig config, std::string* error) {
  if (config.attestation.signing_key_pem.empty()) {
    config.attestation.signing_key_pem = GenerateSigningKeyPem(error);
    if (config.attestation.signing_key_pem.empty()) return nullptr;
  }
  std::unique_ptr<ReferenceTarget> t(new ReferenceTarget(std::move(config)));
  if (!t->Restart(error)) return nullptr;
  return t;
}

bool ReferenceTarget::Restart(std::string* error) {
  svsm_ = svsm_ref::ReferenceSvsm::Create(config_, error);
  return svsm_ != nullptr;
}

TargetResult<svsm_conform::TargetInfo> ReferenceTarget::Hello() { return TargetOk(ReferenceTargetInfo(*svsm_)); }

TargetResult<Empty> ReferenceTarget::Reset() {
  std::string error;
  if (!Restart(&error)) return TargetFail<Empty>(TargetError::kInternal, error);
  return TargetOk(Empty{});
}

TargetResult<std::vector<uint8_t>> ReferenceTarget::Read(uint64_t gpa, uint32_t size) {
  if (size > (1u << 20)) return TargetFail<std::vector<uint8_t>>(TargetError::kMalformed, "size above 1 MiB");
  std::vector<uint8_t> out(size);
  if (!svsm_->GuestRead(config_.guest_vmpl, gpa, out)) {
    return TargetFail<std::vector<uint8_t>>(TargetError::kFault, "the guest access faults");
  }
  return TargetOk(std::move(out));
}

TargetResult<Empty> ReferenceTarget::Write(uint64_t gpa, std::span<const uint8_t> bytes) {
  if (bytes.size() > (1u << 20)) return TargetFail<Empty>(TargetError::kMalformed, "size above 1 MiB");
  if (!svsm_->GuestWrite(config_.guest_vmpl, gpa, bytes)) {
    return TargetFail<Empty>(TargetError::kFault, "the guest access faults");
  }
  return TargetOk(Empty{});
}

TargetResult<svsm_conform::CallReply> ReferenceTarget::Call(uint32_t vcpu, const svsm_conform::RegisterSet& regs) {
  return CallWithPending(vcpu, 1, regs);
}

TargetResult<svsm_conform::CallReply> ReferenceTarget::CallWithPending(uint32_t vcpu, uint8_t call_pending,
                                                                       const svsm_conform::RegisterSet& regs) {
  const svsm_ref::CallResult r = svsm_->GuestCall(vcpu, regs, call_pending);
  svsm_conform::CallReply reply;
  reply.regs = r.regs;
  reply.call_pending_after = r.call_pending_after;
  switch (r.outcome) {
    case svsm_ref::CallResult::Outcome::kCompleted:
    case svsm_ref::CallResult::Outcome::kSpurious:
    case svsm_ref::CallResult::Outcome::kNotVmgexit:
      reply.outcome = svsm_conform::CallOutcome::kCompleted;
      break;
    case svsm_ref::CallResult::Outcome::kVcpuDeleted:
      reply.outcome = svsm_conform::CallOutcome::kNoReturn;
      reply.regs = regs;
      break;
    case svsm_ref::CallResult::Outcome::kNoVmsa:
      reply.outcome = svsm_conform::CallOutcome::kCannotCall;
      break;
    case svsm_ref::CallResult::Outcome::kGuestFault:
      reply.outcome = svsm_conform::CallOutcome::kGuestFault;
      break;
  }
  return TargetOk(reply);
}

TargetResult<svsm_conform::PageStateReply> ReferenceTarget::PageState(uint64_t gpa) {
  const svsm_ref::PageAttrs a = svsm_->PageStateAt(gpa);
  svsm_conform::PageStateReply p;
  p.validated = a.validated;
  p.validated_2m = a.validated_2m;
  p.vmsa = a.vmsa;
  for (int v = 1; v <= 3; ++v) p.perms[v - 1] = a.perms[v];
  return TargetOk(p);
}

TargetResult<Empty> ReferenceTarget::SetRunning(uint32_t vcpu, bool running) {
  if (!svsm_->SetVcpuRunning(vcpu, running)) {
    return TargetFail<Empty>(TargetError::kMalformed, "vCPU " + std::to_string(vcpu) + " has no VMSA");
  }
  return TargetOk(Empty{});
}

TargetResult<Empty> InjectIntoModel(svsm_ref::ReferenceSvsm& svsm, const svsm_conform::Injection& injection) {
  switch (injection.kind) {
    case svsm_conform::Injection::Kind::kPvalidateResult:
      svsm.InjectPvalidateResult(injection.skip, injection.eax);
      return TargetOk(Empty{});
    case svsm_conform::Injection::Kind::kRacingWrite:
      if (!svsm.InjectRacingWrite(svsm.config().guest_vmpl, injection.gpa, injection.bytes)) {
        return TargetFail<Empty>(TargetError::kMalformed, "racing write of " + std::to_string(injection.bytes.size()) +
                                                       " bytes refused (empty, or crossing a page)");
      }
      return TargetOk(Empty{});
  }
  return TargetFail<Empty>(TargetError::kUnsupported, "unknown injection kind");
}

TargetResult<Empty> ReferenceTarget::Inject(const svsm_conform::Injection& injection) {
  return InjectIntoModel(*svsm_, injection);
}

}  // namespace svsm_cli
