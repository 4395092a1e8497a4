// The reference SVSM: a model of an SEV-SNP guest (memory, RMP page state, VMPLs, vCPUs with
// VMSAs and Calling Areas, the SNP firmware) and the SVSM at VMPL0 serving the guest's calls.
//
// Every call is decoded through the generated codecs (svsm_spec_codecs.h) and every rule of
// the spec is enforced at one place in core_protocol.cc / attest_protocol.cc that names its
// rule id; each call's outcome names the rule that decided it (CallResult::rule_id).
//
// The model is single-threaded: the caller (a test, the scripted `serve` mode, or the
// conformance runner's in-process target) plays both the guest and the host.
#pragma once

#include <bitset>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "svsm_ref/faults.h"
#include "svsm_ref/page_state.h"
#include "svsm_ref/platform_config.h"
#include "svsm_ref/snp_firmware.h"
#include "svsm_ref/sparse_memory.h"
#include "svsm_spec_codecs.h"

namespace svsm_ref {

using svsm_spec::codec::RegisterSet;

// VMSA.GUEST_EXIT_CODE of an exit the SVSM acts on (VMGEXIT).
inline constexpr uint64_t kVmgexitExitCode = 0x403;

struct VcpuState {
  uint32_t apic_id = 0;
  // gPA of the vCPU's VMSA while it has one (the startup vCPU's from boot; others after
  // CREATE_VCPU until DELETE_VCPU).
  std::optional<uint64_t> vmsa;
  // gPA of its Calling Area (meaningful while `vmsa` is set).
  uint64_t caa = 0;
  // The VMPL byte of its VMSA, read when the VMSA became active (the page is not writable by
  // the guest from then on, so it cannot change behind the SVSM's back).
  uint8_t vmpl = 0;
  // The vCPU is executing guest code (a host action; a vCPU inside an SVSM call is not).
  // DELETE_VCPU of a running vCPU's VMSA fails with FAIL_INUSE.
  bool running = false;
};

struct CallResult {
  enum class Outcome {
    kCompleted,     // the SVSM processed the call; regs.rax holds the result code
    kSpurious,      // CALL_PENDING was 0: the SVSM resumed the guest without action
    kNotVmgexit,    // the exit was not a VMGEXIT: resumed without action
    kNoVmsa,        // the vCPU has no VMSA, so it cannot run or call
    kGuestFault,    // GuestCall only: the guest could not write CALL_PENDING in its CAA
    kVcpuDeleted,   // the vCPU deleted its own VMSA: the call never returns
  };
  Outcome outcome = Outcome::kCompleted;
  // Registers as the guest sees them after the call (inputs where the call wrote nothing).
  RegisterSet regs;
  // GuestCall only: the CALL_PENDING value the guest's exchange read back (0 means RAX is
  // valid; non-zero means the SVSM never ran the call).
  uint8_t call_pending_after = 0;
  // The spec rule that decided the result (errors and effects alike; nullptr when the
  // outcome is not kCompleted). A model choice no rule covers is "model.<name>".
  const char* rule_id = nullptr;
};

class ReferenceSvsm {
 public:
  // Builds the platform (memory map, launch-validated memory, secrets page, startup vCPU and
  // its VMSA, SNP firmware). nullptr and `error` when the configuration is inconsistent or
  // the firmware cannot be created.
  static std::unique_ptr<ReferenceSvsm> Create(const PlatformConfig& config, std::string* error);

  // --- Guest side -------------------------------------------------------------------------
  // The whole calling sequence of a guest on vCPU `vcpu`: set CALL_PENDING = 1 in its CAA,
  // load the registers, VMGEXIT, and exchange CALL_PENDING with 0 afterwards. A guest may
  // store another `call_pending` value (0, or a reserved one) to see what the SVSM does.
  CallResult GuestCall(size_t vcpu, const RegisterSet& in, uint8_t call_pending = 1);
  // Guest memory as software at `vmpl` (1..3) sees it: private pages must be validated and
  // grant the VMPL read (write) permission; shared RAM is always accessible; anything else
  // (holes, MMIO, SVSM memory, VMSA pages) faults. False (nothing done) on a fault.
  bool GuestRead(uint8_t vmpl, uint64_t gpa, std::span<uint8_t> out) const;
  bool GuestWrite(uint8_t vmpl, uint64_t gpa, std::span<const uint8_t> in);

  // --- Host side --------------------------------------------------------------------------
  // The vCPU exited to the SVSM with `exit_code` and registers `in` (what the SVSM reads
  // from the caller's VMSA); runs the SVSM side of the calling convention.
  CallResult Enter(size_t vcpu, const RegisterSet& in, uint64_t exit_code = kVmgexitExitCode);
  // Marks a vCPU as executing guest code or not (AP_CREATION / halt). False when the vCPU
  // index is out of range or the vCPU has no VMSA.
  bool SetVcpuRunning(size_t vcpu, bool running);

  // --- Introspection (tests, invariant checks, the runner's page-state capability) --------
  const PlatformConfig& config() const { return config_; }
  const std::vector<VcpuState>& vcpus() const { return vcpus_; }
  const SnpFirmware& firmware() const { return *firmware_; }
  const PageStateTable& page_state() const { return pages_; }
  const SparseMemory& memory() const { return memory_; }
  PageAttrs PageStateAt(uint64_t gpa) const { return pages_.Get(gpa >> kPageShift); }
  // Frames the guest deposited (DEPOSIT_MEM) and not yet withdrawn.
  const std::set<uint64_t>& deposited_frames() const { return deposited_; }
  // Whether `gpa` is inside the SVSM's own region.
  bool InSvsmRegion(uint64_t gpa) const;
  // The region of the memory map holding [gpa, gpa + size), if one holds all of it.
  const MemoryRegion* RegionOf(uint64_t gpa, uint64_t size) const;
  // The first region of [gpa, gpa + size) when contiguous RAM regions of one sharedness
  // (private or shared) hold all of it, else null: memory as software sees it, where a
  // split made by the configuration (launch validation, 2 MiB backing) is no boundary.
  const MemoryRegion* RamSpan(uint64_t gpa, uint64_t size) const;
  // Reads physical memory regardless of policy (tests and introspection: no racing write
  // fires; the SVSM's own reads use SvsmPhysicalRead).
  bool PhysicalRead(uint64_t gpa, std::span<uint8_t> out) const { return memory_.Read(gpa, out); }
  // The VMSA of a vCPU, decoded (nullopt when it has none).
  std::optional<svsm_spec::codec::gen::Vmsa> VmsaOf(size_t vcpu) const;
  // Calls processed (kCompleted) so far.
  uint64_t calls_completed() const { return calls_completed_; }
  // Whether the platform enables this injected fault (PlatformConfig::faults, faults.h).
  bool Fault(FaultId id) const { return faults_.test(static_cast<size_t>(id)); }

  // --- Injected platform behaviour (tests; the conformance runner's inject-* capabilities) --
  // Behaviour real hardware shows only in races or never, switched on by a test harness so
  // that rules a guest cannot otherwise observe can be tested. Each injection fires once and
  // is then cleared; a new one of the same kind replaces a pending one.
  //
  // The (skip + 1)-th PVALIDATE instruction the SVSM executes from now on returns `eax`
  // (with EFLAGS.CF = 0) and has no effect, whatever the page state. eax 0 means "as the
  // RMP answers" (the injection is then only consumed).
  void InjectPvalidateResult(uint32_t skip, uint32_t eax);
  // The next time the SVSM reads guest memory in the 4 KiB page holding `gpa` (any read it
  // makes on the guest's behalf: SvsmRead, the decoders' views svsm_view()/physical_view(),
  // the VMSA read of CREATE_VCPU), right after that read a vCPU running at `vmpl` writes
  // `bytes` at `gpa`, as a racing vCPU would. The write obeys the RMP at that moment (as
  // GuestWrite): it lands, or it faults and writes nothing. False (nothing armed) when
  // `bytes` is empty, crosses the page, `vmpl` is not 1..3, or gpa + size wraps.
  bool InjectRacingWrite(uint8_t vmpl, uint64_t gpa, std::vector<uint8_t> bytes);
  enum class RacingWriteOutcome { kNone, kPending, kLanded, kFaulted };
  // What the last armed racing write did (kNone when none was ever armed since the last
  // ClearInjections).
  RacingWriteOutcome racing_write_outcome() const;
  // Drops every pending injection and forgets the last outcome.
  void ClearInjections();

  // --- Used by the protocol handlers --------------------------------------------------------
  // What the SVSM may touch on the guest's behalf: every byte inside one RAM region, outside
  // the SVSM region, active VMSAs and deposited memory, and private pages validated.
  bool SvsmMayAccess(uint64_t gpa, uint64_t size) const;
  // A read that succeeds is a read the SVSM made on the guest's behalf: a racing write
  // armed on one of its pages fires right after it (InjectRacingWrite).
  bool SvsmRead(uint64_t gpa, std::span<uint8_t> out) const;
  bool SvsmWrite(uint64_t gpa, std::span<const uint8_t> in);
  // Reads physical memory regardless of policy as the SVSM does on the guest's behalf where
  // the handler checks the address itself (the VMSA read of CREATE_VCPU, physical_view()):
  // PhysicalRead, then a racing write armed on one of the pages read fires.
  bool SvsmPhysicalRead(uint64_t gpa, std::span<uint8_t> out) const;
  // One PVALIDATE instruction executes (core_protocol.cc, PvalidateOne): the EAX an
  // injection forces on it (InjectPvalidateResult), or nullopt when the RMP answers.
  std::optional<uint32_t> ExecutePvalidateInstruction();
  // The guest-memory view the decoders read through (policy of SvsmMayAccess).
  const svsm_spec::codec::GuestMemory& svsm_view() const { return *svsm_view_; }
  // The view of all RAM, for decoders whose address checks the handler makes itself.
  const svsm_spec::codec::GuestMemory& physical_view() const { return *physical_view_; }

  // Whether frame `pfn` is SVSM-owned: the SVSM region, an active VMSA (startup included),
  // or deposited memory.
  bool SvsmOwnedFrame(uint64_t pfn) const;
  bool AnySvsmOwned(uint64_t first_pfn, uint64_t count) const;
  // Index of the vCPU whose active CAA page is frame `pfn`, if any.
  std::optional<size_t> VcpuWithCaaFrame(uint64_t pfn) const;
  std::optional<size_t> VcpuWithVmsa(uint64_t gpa) const;
  // The VMPL of the calling vCPU (its VMSA's VMPL byte).
  uint8_t CallerVmpl(size_t vcpu) const;

  // Permissions RMPADJUST gives a page validated for / returned to `requester_vmpl`: full
  // for VMPL1..requester, none for the less privileged VMPLs.
  static PageAttrs GrantedAttrs(uint8_t requester_vmpl, bool validated_2m);

  PageStateTable& mutable_page_state() { return pages_; }
  SparseMemory& mutable_memory() { return memory_; }
  std::vector<VcpuState>& mutable_vcpus() { return vcpus_; }
  std::set<uint64_t>& mutable_deposited() { return deposited_; }
  void UpdateMemAvailable();

  // Neither copied nor moved: the views hold a reference to this object, and the racing
  // write relies on no ReferenceSvsm being a const object (see RaceAfterRead).
  ReferenceSvsm(const ReferenceSvsm&) = delete;
  ReferenceSvsm& operator=(const ReferenceSvsm&) = delete;

 private:
  explicit ReferenceSvsm(const PlatformConfig& config);
  bool Boot(std::string* error);
  // Dispatches one call from vCPU `vcpu` (RAX selects protocol and call).
  CallResult Dispatch(size_t vcpu, const RegisterSet& in);
  // The SVSM has just read [gpa, gpa + size) on the guest's behalf: fires an armed racing
  // write on one of those pages.
  void RaceAfterRead(uint64_t gpa, uint64_t size) const;

  struct PendingPvalidateResult {
    uint32_t skip = 0;  // instructions still to execute as the RMP answers
    uint32_t eax = 0;
  };
  struct PendingRacingWrite {
    uint8_t vmpl = 0;
    uint64_t gpa = 0;
    std::vector<uint8_t> bytes;
  };

  PlatformConfig config_;
  PageStateTable pages_;
  SparseMemory memory_;
  std::vector<VcpuState> vcpus_;
  std::set<uint64_t> deposited_;
  std::unique_ptr<SnpFirmware> firmware_;
  std::unique_ptr<svsm_spec::codec::GuestMemory> svsm_view_;
  std::unique_ptr<svsm_spec::codec::GuestMemory> physical_view_;
  uint64_t calls_completed_ = 0;
  std::bitset<kFaultCount> faults_;
  // Injected platform behaviour (InjectPvalidateResult, InjectRacingWrite).
  std::optional<PendingPvalidateResult> injected_pvalidate_;
  std::optional<PendingRacingWrite> racing_write_;
  RacingWriteOutcome racing_write_outcome_ = RacingWriteOutcome::kNone;
};

// The protocol handlers (core_protocol.cc, attest_protocol.cc). Each returns the registers
// after the call and the deciding rule; `in` are the registers at entry.
struct HandlerResult {
  RegisterSet regs;
  const char* rule_id = nullptr;
  bool vcpu_deleted = false;  // DELETE_VCPU of the caller's own VMSA
};
HandlerResult HandleCoreCall(ReferenceSvsm& svsm, size_t vcpu, uint32_t call_id,
                             const RegisterSet& in);
HandlerResult HandleAttestCall(ReferenceSvsm& svsm, size_t vcpu, uint32_t call_id,
                               const RegisterSet& in);

}  // namespace svsm_ref
