// The platform model and the SVSM side of the calling convention (spec §5): entry checks,
// CALL_PENDING handling, dispatch by protocol, and the result written back zero-extended.
#include "svsm_ref/svsm.h"

#include <algorithm>
#include <array>

#include "svsm_spec.h"  // generated C header: result codes and protocol numbers

namespace svsm_ref {
namespace {

using svsm_spec::codec::GuestMemory;
using svsm_spec::codec::gen::SnpSecretsPageSvsm;
using svsm_spec::codec::gen::SvsmCallRax;
using svsm_spec::codec::gen::Vmsa;

// Offsets in the Calling Area (spec Table: CALL_PENDING at 0, MEM_AVAILABLE at 1).
constexpr uint64_t kCaaCallPending = 0x0;
constexpr uint64_t kCaaMemAvailable = 0x1;
// The reset vector a startup VMSA points at before firmware runs.
constexpr uint64_t kResetRip = 0xFFF0;
// EFER.SVME; the spec requires it set in any VMSA the SVSM runs.
constexpr uint64_t kEferSvme = uint64_t{1} << 12;

class SvsmView final : public GuestMemory {
 public:
  explicit SvsmView(const ReferenceSvsm& svsm) : svsm_(svsm) {}
  bool Read(uint64_t gpa, std::span<uint8_t> out) const override {
    return svsm_.SvsmRead(gpa, out);
  }

 private:
  const ReferenceSvsm& svsm_;
};

class PhysicalView final : public GuestMemory {
 public:
  explicit PhysicalView(const ReferenceSvsm& svsm) : svsm_(svsm) {}
  bool Read(uint64_t gpa, std::span<uint8_t> out) const override {
    if (svsm_.RamSpan(gpa, out.size()) == nullptr) return false;
    return svsm_.SvsmPhysicalRead(gpa, out);
  }

 private:
  const ReferenceSvsm& svsm_;
};

// Whether every frame of [first, first + count) satisfies `ok`; one lookup for one frame
// (the common case: CALL_PENDING, list headers).
template <class Pred>
bool AllFrames(const PageStateTable& pages, uint64_t first, uint64_t count, Pred ok) {
  if (count == 1) return ok(pages.Get(first));
  bool all = true;
  pages.ForEachRun(first, count, [&](uint64_t, uint64_t, const PageAttrs& a) {
    if (!ok(a)) all = false;
  });
  return all;
}
bool Overlaps(uint64_t a, uint64_t a_size, uint64_t b, uint64_t b_size) {
  return a < b + b_size && b < a + a_size;
}

}  // namespace

ReferenceSvsm::ReferenceSvsm(const PlatformConfig& config) : config_(config) {
  for (const std::string& name : config.faults) {
    if (const auto id = FaultByName(name)) faults_.set(static_cast<size_t>(*id));
  }
}

std::unique_ptr<ReferenceSvsm> ReferenceSvsm::Create(const PlatformConfig& config,
                                                     std::string* error) {
  const std::vector<std::string> problems = CheckPlatformConfig(config);
  if (!problems.empty()) {
    if (error) *error = "inconsistent platform: " + problems.front();
    return nullptr;
  }
  for (const ProtocolConfig& p : config.protocols) {
    // The model implements these protocols; enabling another would make QUERY_PROTOCOL
    // claim what no handler serves.
    if (p.number != SVSM_CORE_PROTOCOL && p.number != SVSM_ATTEST_PROTOCOL) {
      if (error) *error = "protocol " + std::to_string(p.number) + " is not implemented by the model";
      return nullptr;
    }
  }
  std::unique_ptr<ReferenceSvsm> svsm(new ReferenceSvsm(config));
  if (!svsm->Boot(error)) return nullptr;
  return svsm;
}

bool ReferenceSvsm::Boot(std::string* error) {
  svsm_view_ = std::make_unique<SvsmView>(*this);
  physical_view_ = std::make_unique<PhysicalView>(*this);
  firmware_ = SnpFirmware::Create(config_.attestation, error);
  if (!firmware_) return false;

  // Launch validation: the SVSM validated these pages and granted the guest access.
  for (const MemoryRegion& r : config_.memory) {
    if (r.kind == MemoryRegion::Kind::kRam && !r.shared && r.prevalidated) {
      pages_.Set(r.base >> kPageShift, r.size >> kPageShift, GrantedAttrs(config_.guest_vmpl, false));
    }
  }
  // The SVSM's own region is validated and VMPL0-only.
  PageAttrs svsm_attrs;
  svsm_attrs.validated = true;
  pages_.Set(config_.svsm_base >> kPageShift, config_.svsm_size >> kPageShift, svsm_attrs);

  // The startup vCPU's VMSA belongs to the SVSM from boot (core.vmsa-is-svsm-memory).
  Vmsa vmsa;
  vmsa.vmpl = config_.guest_vmpl;
  vmsa.efer = svsm_spec::codec::gen::VmsaEfer::Unpack(kEferSvme);
  vmsa.sev_features = config_.sev_features;
  vmsa.rip = kResetRip;
  const std::vector<uint8_t> vmsa_bytes = vmsa.Encode();
  memory_.Zero(config_.startup_vmsa, kPageSize);
  memory_.Write(config_.startup_vmsa, vmsa_bytes);
  PageAttrs vmsa_attrs;
  vmsa_attrs.validated = true;
  vmsa_attrs.vmsa = true;
  pages_.Set(config_.startup_vmsa >> kPageShift, 1, vmsa_attrs);

  // Secrets page, SVSM fields (spec Table 1).
  SnpSecretsPageSvsm secrets;
  secrets.svsm_base = config_.svsm_base;
  secrets.svsm_size = config_.svsm_size;
  secrets.svsm_caa = config_.startup_caa;
  for (const ProtocolConfig& p : config_.protocols) {
    if (p.number == SVSM_CORE_PROTOCOL) secrets.svsm_max_version = p.max_version;
  }
  secrets.svsm_guest_vmpl = config_.guest_vmpl;
  memory_.Write(config_.secrets_page, secrets.Encode());
  // The Calling Area starts all zero (COCONUT zeroes it before launching firmware).
  memory_.Zero(config_.startup_caa, kPageSize);

  vcpus_.clear();
  for (const VcpuConfig& c : config_.vcpus) vcpus_.push_back(VcpuState{c.apic_id, std::nullopt, 0, 0, false});
  vcpus_[0].vmsa = config_.startup_vmsa;
  vcpus_[0].vmpl = config_.guest_vmpl;
  vcpus_[0].caa = config_.startup_caa;
  vcpus_[0].running = true;
  return true;
}

PageAttrs ReferenceSvsm::GrantedAttrs(uint8_t requester_vmpl, bool validated_2m) {
  PageAttrs a;
  a.validated = true;
  a.validated_2m = validated_2m;
  for (uint8_t v = 1; v <= 3; ++v) a.perms[v] = v <= requester_vmpl ? kPermAll : kPermNone;
  return a;
}

// ---------------------------------------------------------------------------------------
// Memory policy

const MemoryRegion* ReferenceSvsm::RegionOf(uint64_t gpa, uint64_t size) const {
  if (size == 0 || !svsm_spec::codec::RangeFits(gpa, size)) return nullptr;
  for (const MemoryRegion& r : config_.memory) {
    if (gpa >= r.base && gpa - r.base < r.size && size <= r.size - (gpa - r.base)) return &r;
  }
  return nullptr;
}

const MemoryRegion* ReferenceSvsm::RamSpan(uint64_t gpa, uint64_t size) const {
  if (size == 0 || !svsm_spec::codec::RangeFits(gpa, size)) return nullptr;
  const uint64_t last = gpa + (size - 1);
  const MemoryRegion* first = RegionOf(gpa, 1);
  if (first == nullptr || first->kind != MemoryRegion::Kind::kRam) return nullptr;
  // Regions split only by a configuration detail (launch validation, 2 MiB backing) are one
  // stretch of RAM to software: follow contiguous RAM regions of the same sharedness.
  const MemoryRegion* current = first;
  while (last - current->base >= current->size) {
    const uint64_t next_base = current->base + current->size;
    const MemoryRegion* next = RegionOf(next_base, 1);
    if (next == nullptr || next->kind != MemoryRegion::Kind::kRam || next->shared != first->shared) {
      return nullptr;
    }
    current = next;
  }
  return first;
}

bool ReferenceSvsm::InSvsmRegion(uint64_t gpa) const {
  return gpa >= config_.svsm_base && gpa - config_.svsm_base < config_.svsm_size;
}

bool ReferenceSvsm::SvsmOwnedFrame(uint64_t pfn) const { return AnySvsmOwned(pfn, 1); }

bool ReferenceSvsm::AnySvsmOwned(uint64_t first_pfn, uint64_t count) const {
  if (count == 0) return false;
  const uint64_t svsm_first = config_.svsm_base >> kPageShift;
  const uint64_t svsm_count = config_.svsm_size >> kPageShift;
  if (Overlaps(first_pfn, count, svsm_first, svsm_count)) return true;
  for (const VcpuState& v : vcpus_) {
    if (v.vmsa && Overlaps(first_pfn, count, *v.vmsa >> kPageShift, 1)) return true;
  }
  auto it = deposited_.lower_bound(first_pfn);
  return it != deposited_.end() && *it - first_pfn < count;
}

std::optional<size_t> ReferenceSvsm::VcpuWithCaaFrame(uint64_t pfn) const {
  for (size_t i = 0; i < vcpus_.size(); ++i) {
    if (vcpus_[i].vmsa && (vcpus_[i].caa >> kPageShift) == pfn) return i;
  }
  return std::nullopt;
}

std::optional<size_t> ReferenceSvsm::VcpuWithVmsa(uint64_t gpa) const {
  for (size_t i = 0; i < vcpus_.size(); ++i) {
    if (vcpus_[i].vmsa && *vcpus_[i].vmsa == gpa) return i;
  }
  return std::nullopt;
}

bool ReferenceSvsm::SvsmMayAccess(uint64_t gpa, uint64_t size) const {
  if (size == 0) return true;
  const MemoryRegion* region = RamSpan(gpa, size);
  if (region == nullptr) return false;
  const uint64_t first = gpa >> kPageShift;
  const uint64_t count = ((gpa + size - 1) >> kPageShift) - first + 1;
  if (AnySvsmOwned(first, count)) return false;
  if (region->shared) return true;
  // A private page the guest has not validated faults (#VC) when the SVSM touches it.
  return AllFrames(pages_, first, count, [](const PageAttrs& a) { return a.validated; });
}

bool ReferenceSvsm::SvsmRead(uint64_t gpa, std::span<uint8_t> out) const {
  if (!SvsmMayAccess(gpa, out.size()) || !memory_.Read(gpa, out)) return false;
  RaceAfterRead(gpa, out.size());
  return true;
}

bool ReferenceSvsm::SvsmPhysicalRead(uint64_t gpa, std::span<uint8_t> out) const {
  if (!memory_.Read(gpa, out)) return false;
  RaceAfterRead(gpa, out.size());
  return true;
}

bool ReferenceSvsm::SvsmWrite(uint64_t gpa, std::span<const uint8_t> in) {
  return SvsmMayAccess(gpa, in.size()) && memory_.Write(gpa, in);
}

bool ReferenceSvsm::GuestRead(uint8_t vmpl, uint64_t gpa, std::span<uint8_t> out) const {
  if (out.empty()) return true;
  const MemoryRegion* region = RamSpan(gpa, out.size());
  if (region == nullptr || vmpl == 0 || vmpl > 3) {
    return false;
  }
  if (!region->shared) {
    const uint64_t first = gpa >> kPageShift;
    const uint64_t count = ((gpa + out.size() - 1) >> kPageShift) - first + 1;
    if (!AllFrames(pages_, first, count, [&](const PageAttrs& a) {
          return a.validated && !a.vmsa && (a.perms[vmpl] & kPermRead) != 0;
        })) {
      return false;
    }
  }
  return memory_.Read(gpa, out);
}

bool ReferenceSvsm::GuestWrite(uint8_t vmpl, uint64_t gpa, std::span<const uint8_t> in) {
  if (in.empty()) return true;
  const MemoryRegion* region = RamSpan(gpa, in.size());
  if (region == nullptr || vmpl == 0 || vmpl > 3) {
    return false;
  }
  if (!region->shared) {
    const uint64_t first = gpa >> kPageShift;
    const uint64_t count = ((gpa + in.size() - 1) >> kPageShift) - first + 1;
    if (!AllFrames(pages_, first, count, [&](const PageAttrs& a) {
          return a.validated && !a.vmsa && (a.perms[vmpl] & kPermWrite) != 0;
        })) {
      return false;
    }
  }
  return memory_.Write(gpa, in);
}

// ---------------------------------------------------------------------------------------
// Injected platform behaviour

void ReferenceSvsm::InjectPvalidateResult(uint32_t skip, uint32_t eax) {
  injected_pvalidate_ = PendingPvalidateResult{skip, eax};
}

std::optional<uint32_t> ReferenceSvsm::ExecutePvalidateInstruction() {
  if (!injected_pvalidate_) return std::nullopt;
  if (injected_pvalidate_->skip > 0) {
    --injected_pvalidate_->skip;
    return std::nullopt;
  }
  const uint32_t eax = injected_pvalidate_->eax;
  injected_pvalidate_.reset();
  if (eax == 0) return std::nullopt;  // consumed; the RMP answers this one
  return eax;
}

bool ReferenceSvsm::InjectRacingWrite(uint8_t vmpl, uint64_t gpa, std::vector<uint8_t> bytes) {
  if (bytes.empty() || vmpl == 0 || vmpl > 3 || !svsm_spec::codec::RangeFits(gpa, bytes.size()) ||
      !svsm_spec::codec::WithinPage(gpa, bytes.size())) {
    return false;
  }
  racing_write_ = PendingRacingWrite{vmpl, gpa, std::move(bytes)};
  racing_write_outcome_ = RacingWriteOutcome::kPending;
  return true;
}

ReferenceSvsm::RacingWriteOutcome ReferenceSvsm::racing_write_outcome() const {
  return racing_write_outcome_;
}

void ReferenceSvsm::ClearInjections() {
  injected_pvalidate_.reset();
  racing_write_.reset();
  racing_write_outcome_ = RacingWriteOutcome::kNone;
}

void ReferenceSvsm::RaceAfterRead(uint64_t gpa, uint64_t size) const {
  if (!racing_write_ || size == 0) return;
  const uint64_t page = racing_write_->gpa & ~(kPageSize - 1);
  if (!Overlaps(gpa, size, page, kPageSize)) return;
  // The racing vCPU acts on the platform while the SVSM reads it: the SVSM's read is const
  // (the SVSM changes nothing), the platform still changes under it. Casting const away is
  // defined here because no ReferenceSvsm is a const object: Create() allocates every one
  // non-const and copies are deleted. The model is single-threaded, so "right after the
  // read" is exactly here, before the caller looks at what it read.
  ReferenceSvsm& platform = const_cast<ReferenceSvsm&>(*this);
  const PendingRacingWrite write = std::move(*platform.racing_write_);
  platform.racing_write_.reset();  // fires once, before the write (GuestWrite reads nothing)
  platform.racing_write_outcome_ = platform.GuestWrite(write.vmpl, write.gpa, write.bytes)
                                       ? RacingWriteOutcome::kLanded
                                       : RacingWriteOutcome::kFaulted;
}

// ---------------------------------------------------------------------------------------
// vCPUs

uint8_t ReferenceSvsm::CallerVmpl(size_t vcpu) const {
  if (vcpu < vcpus_.size() && vcpus_[vcpu].vmsa) return vcpus_[vcpu].vmpl;
  return config_.guest_vmpl;
}

std::optional<Vmsa> ReferenceSvsm::VmsaOf(size_t vcpu) const {
  if (vcpu >= vcpus_.size() || !vcpus_[vcpu].vmsa) return std::nullopt;
  std::array<uint8_t, Vmsa::kFixedSize> bytes{};
  if (!memory_.Read(*vcpus_[vcpu].vmsa, bytes)) return std::nullopt;
  auto decoded = Vmsa::Decode(bytes);
  if (!decoded.ok()) return std::nullopt;
  return decoded.value();
}

bool ReferenceSvsm::SetVcpuRunning(size_t vcpu, bool running) {
  if (vcpu >= vcpus_.size() || !vcpus_[vcpu].vmsa) return false;
  vcpus_[vcpu].running = running;
  return true;
}

void ReferenceSvsm::UpdateMemAvailable() {
  // core.withdraw-mem.never-incomplete: MEM_AVAILABLE in the startup vCPU's CAA says whether
  // deposited memory can be withdrawn.
  const uint8_t available = deposited_.empty() ? 0 : 1;
  if (vcpus_.empty() || !vcpus_[0].vmsa) return;
  memory_.Write(vcpus_[0].caa + kCaaMemAvailable, std::span<const uint8_t>(&available, 1));
}

// ---------------------------------------------------------------------------------------
// Calling convention

CallResult ReferenceSvsm::Enter(size_t vcpu, const RegisterSet& in, uint64_t exit_code) {
  CallResult r;
  r.regs = in;
  if (vcpu >= vcpus_.size() || !vcpus_[vcpu].vmsa) {
    r.outcome = CallResult::Outcome::kNoVmsa;
    return r;
  }
  // Spec §5: act only on a VMGEXIT exit and only when the guest set CALL_PENDING; anything
  // else is a spurious entry the host caused, and the guest resumes untouched
  // (general.call-pending-clear: an entry with CALL_PENDING 0 is ignored).
  if (exit_code != kVmgexitExitCode) {
    r.outcome = CallResult::Outcome::kNotVmgexit;
    return r;
  }
  const uint64_t caa = vcpus_[vcpu].caa;
  uint8_t pending = 0;
  memory_.Read(caa + kCaaCallPending, std::span<uint8_t>(&pending, 1));
  if (pending == 0 && !Fault(FaultId::kCallPendingZeroProcessed)) {
    r.outcome = CallResult::Outcome::kSpurious;
    return r;
  }
  const bool was_running = vcpus_[vcpu].running;
  vcpus_[vcpu].running = false;  // inside the SVSM, not executing guest code
  // general.call-pending-reserved-value: only 1 asks for a call.
  if (pending > 1 && !Fault(FaultId::kCallPendingReservedValueProcessed)) {
    r.regs.rax = SVSM_ERR_INVALID_FORMAT;
    r.rule_id = "general.call-pending-reserved-value";
  } else {
    r = Dispatch(vcpu, in);
  }
  if (r.outcome == CallResult::Outcome::kVcpuDeleted) {
    // core.delete-vcpu.self: the vCPU is gone; its CAA is no longer touched.
    return r;
  }
  vcpus_[vcpu].running = was_running;
  // general.call-pending-clear: CALL_PENDING of the CAA the call came through is cleared on
  // completion, whatever the result (core.remap-ca.old-caa-released for REMAP_CA).
  const uint8_t zero = 0;
  memory_.Write(caa + kCaaCallPending, std::span<const uint8_t>(&zero, 1));
  if (Fault(FaultId::kCallPendingNotCleared) ||
      (Fault(FaultId::kCallPendingKeptOnError) && (r.regs.rax & 0xFFFFFFFFu) != SVSM_SUCCESS)) {
    memory_.Write(caa + kCaaCallPending, std::span<const uint8_t>(&pending, 1));  // left set
  }
  // general.result-zero-extended: RAX holds the 32-bit result zero-extended.
  r.regs.rax &= 0xFFFFFFFFu;
  if (Fault(FaultId::kResultNotZeroExtended)) r.regs.rax |= in.rax & ~uint64_t{0xFFFFFFFF};
  ++calls_completed_;
  return r;
}

CallResult ReferenceSvsm::GuestCall(size_t vcpu, const RegisterSet& in, uint8_t call_pending) {
  CallResult r;
  r.regs = in;
  if (vcpu >= vcpus_.size() || !vcpus_[vcpu].vmsa) {
    r.outcome = CallResult::Outcome::kNoVmsa;
    return r;
  }
  const uint8_t vmpl = CallerVmpl(vcpu);
  const uint64_t caa = vcpus_[vcpu].caa;
  if (!GuestWrite(vmpl, caa + kCaaCallPending, std::span<const uint8_t>(&call_pending, 1))) {
    r.outcome = CallResult::Outcome::kGuestFault;
    return r;
  }
  r = Enter(vcpu, in, kVmgexitExitCode);
  if (r.outcome == CallResult::Outcome::kVcpuDeleted) return r;
  // The guest's atomic exchange of CALL_PENDING with 0, on the CAA it called through.
  uint8_t old = 0;
  if (GuestRead(vmpl, caa + kCaaCallPending, std::span<uint8_t>(&old, 1))) {
    const uint8_t zero = 0;
    GuestWrite(vmpl, caa + kCaaCallPending, std::span<const uint8_t>(&zero, 1));
  }
  r.call_pending_after = old;
  return r;
}

CallResult ReferenceSvsm::Dispatch(size_t vcpu, const RegisterSet& in) {
  CallResult r;
  const SvsmCallRax rax = SvsmCallRax::Unpack(in.rax);
  const bool enabled = std::any_of(config_.protocols.begin(), config_.protocols.end(),
                                   [&](const ProtocolConfig& p) { return p.number == rax.protocol; });
  HandlerResult h;
  if (!enabled) {
    h.regs = in;
    h.regs.rax = SVSM_ERR_UNSUPPORTED_PROTOCOL;
    h.rule_id = "general.unsupported-protocol";
    if (Fault(FaultId::kUnsupportedProtocolWrongCode)) h.regs.rax = SVSM_ERR_UNSUPPORTED_CALL;
  } else if (rax.protocol == SVSM_CORE_PROTOCOL) {
    h = HandleCoreCall(*this, vcpu, rax.call_id, in);
  } else {
    h = HandleAttestCall(*this, vcpu, rax.call_id, in);
  }
  r.regs = h.regs;
  r.rule_id = h.rule_id;
  if (h.vcpu_deleted) r.outcome = CallResult::Outcome::kVcpuDeleted;
  return r;
}

}  // namespace svsm_ref
