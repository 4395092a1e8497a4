// The core protocol (0), all eight calls. Each rule of spec/protocols/core.yaml is enforced
// at the one place that names its id; where the spec leaves a choice (`freedom` rules) the
// comment there says which choice the model makes and why.
#include <algorithm>
#include <array>
#include <cstring>

#include "rule_results.h"
#include "svsm_ref/svsm.h"
#include "svsm_spec.h"  // generated C header: result codes and call ids

namespace svsm_ref {
namespace {

using namespace svsm_spec::codec::gen;  // NOLINT: the generated codec types
using svsm_spec::codec::CodecError;
using svsm_spec::codec::LoadLe;
using svsm_spec::codec::RangeFits;
using svsm_spec::codec::StoreLe;
using svsm_spec::codec::WithinPage;

// PVALIDATE "instruction" outcomes (EAX), as the hardware reports them.
constexpr uint32_t kPvalidateFailInput = 1;
constexpr uint32_t kPvalidateFailSizeMismatch = 6;

HandlerResult Result(const RegisterSet& in, uint32_t code, const char* rule) {
  HandlerResult h;
  h.regs = in;
  h.regs.rax = code;
  h.rule_id = rule;
  return h;
}

// A decoder refused the input: answer with the result of the rule it names.
HandlerResult Refused(const RegisterSet& in, const CodecError& error) {
  const char* rule = InternRuleId(error.rule_id);
  return Result(in, ResultOfRule(rule), rule);
}

bool IsRam(const MemoryRegion* r) { return r != nullptr && r->kind == MemoryRegion::Kind::kRam; }

// ---------------------------------------------------------------------------------------
// SVSM_CORE_REMAP_CA

HandlerResult RemapCa(ReferenceSvsm& s, size_t vcpu, const RegisterSet& in) {
  // core.remap-ca.alignment is checked by the decoder; the CAA it reads is checked below.
  auto req = CoreRemapCaRequest::Decode(in, s.physical_view());
  if (s.Fault(FaultId::kRemapCaMisalignedRoundedDown)) {
    req = CoreRemapCaRequest::Decode(RegisterSet{in.rax, in.rcx & ~(kPageSize - 1), in.rdx, in.r8, in.r9},
                                     s.physical_view());
  }
  if (!req.ok()) return Refused(in, req.error());
  const uint64_t new_caa = req.value().new_caa;
  const uint64_t pfn = new_caa >> kPageShift;
  const uint64_t current = s.vcpus()[vcpu].caa;

  if (new_caa == current) {
    // core.remap-ca.same-address (freedom: SUCCESS or INVALID_ADDRESS). The model treats it
    // as a successful no-op: the spec gives no reason to refuse, and CALL_PENDING is
    // cleared on completion as for any call.
    return Result(in, SVSM_SUCCESS, "core.remap-ca.same-address");
  }
  // core.vmsa-is-svsm-memory: an active VMSA page is SVSM memory.
  if (s.VcpuWithVmsa(new_caa)) {
    return Result(in, SVSM_ERR_INVALID_ADDRESS, "core.vmsa-is-svsm-memory");
  }
  // core.remap-ca.forbidden-address (freedom: INVALID_ADDRESS or INVALID_PARAMETER): the
  // model answers INVALID_ADDRESS, the code Table 4 gives for a gPA the SVSM will not use,
  // for the SVSM region, deposited memory and another vCPU's active CAA.
  if (s.AnySvsmOwned(pfn, 1) ||
      (s.VcpuWithCaaFrame(pfn).has_value() && !s.Fault(FaultId::kRemapCaOtherVcpuCaaAccepted))) {
    return Result(in, SVSM_ERR_INVALID_ADDRESS, "core.remap-ca.forbidden-address");
  }
  // general.faulting-address: the page must be guest memory the SVSM can write (private
  // pages validated).
  if (!s.SvsmMayAccess(new_caa, kPageSize)) {
    return Result(in, SVSM_ERR_INVALID_ADDRESS, "general.faulting-address");
  }
  // core.remap-ca.new-caa-cleared: the new CAA's CALL_PENDING starts at 0, so the host
  // cannot fake a pending call. The old CAA's flag is cleared by the caller (Enter).
  const uint8_t zero = 0;
  if (!s.Fault(FaultId::kRemapCaNewCaaNotCleared)) {
    s.mutable_memory().Write(new_caa, std::span<const uint8_t>(&zero, 1));
  }
  if (s.Fault(FaultId::kRemapCaOldCaaStillRegistered)) return Result(in, SVSM_SUCCESS, "core.remap-ca.new-caa-cleared");
  s.mutable_vcpus()[vcpu].caa = new_caa;
  return Result(in, SVSM_SUCCESS, "core.remap-ca.new-caa-cleared");
}

// ---------------------------------------------------------------------------------------
// PVALIDATE and DEPOSIT_MEM share the list walk: header checks, then entries from `next`,
// `next` written back with the number processed.

struct EntryOutcome {
  uint32_t code = SVSM_SUCCESS;
  const char* rule = nullptr;
  bool ok() const { return code == SVSM_SUCCESS; }
};

EntryOutcome Fail(uint32_t code, const char* rule) { return EntryOutcome{code, rule}; }

// The PVALIDATE instruction on [gpa, gpa + size) as the RMP model answers it; on success the
// page-state effects are applied. `requester_vmpl` receives access to validated pages.
EntryOutcome PvalidateOne(ReferenceSvsm& s, const PvalidateEntry& e, uint8_t requester_vmpl) {
  const bool large = e.page_size == SVSM_CORE_PAGE_SIZE_SIZE_2M;
  const uint64_t size = large ? kLargePageSize : kPageSize;
  const uint64_t gpa = e.pfn << kPageShift;  // pfn has 52 bits: no bits are lost
  // core.pvalidate.entry-gpa-alignment
  if (large && gpa % kLargePageSize != 0) {
    return Fail(SVSM_ERR_INVALID_PARAMETER, "core.pvalidate.entry-gpa-alignment");
  }
  // core.pvalidate.entry-not-guest-memory: the whole page range inside one RAM region.
  const MemoryRegion* region = s.RegionOf(gpa, size);
  if (!RangeFits(gpa, size) || !IsRam(region)) {
    return Fail(SVSM_ERR_INVALID_ADDRESS, "core.pvalidate.entry-not-guest-memory");
  }
  const uint64_t first = gpa >> kPageShift;
  const uint64_t count = size >> kPageShift;
  // core.pvalidate.entry-svsm-memory (with core.vmsa-is-svsm-memory): the SVSM region,
  // active VMSAs and deposited pages.
  if (s.AnySvsmOwned(first, s.Fault(FaultId::kPvalidateSvsmMemoryCheckedAtStart) ? 1 : count)) {
    return Fail(SVSM_ERR_INVALID_ADDRESS, "core.pvalidate.entry-svsm-memory");
  }
  // core.pvalidate.entry-caa (freedom: SUCCESS or INVALID_ADDRESS): the model processes a
  // page holding an active CAA like any other guest page; the spec forbids nothing here.

  // From here on the hardware speaks (core.pvalidate.instruction-failure: 0x80001000 + EAX).
  // The instruction executes here; a test harness may force its EAX (InjectPvalidateResult),
  // in which case it has no effect whatever the page state.
  if (const std::optional<uint32_t> eax = s.ExecutePvalidateInstruction()) {
    // core.pvalidate.unexpected-eax: an EAX above 0xF is no failure code PVALIDATE defines,
    // so the SVSM cannot pass it on as 0x80001000 + EAX.
    if (*eax > 0xF && !s.Fault(FaultId::kPvalidateUnexpectedEaxAsFailure)) {
      return Fail(SVSM_ERR_PVALIDATE_UNEXPECTED_EAX, "core.pvalidate.unexpected-eax");
    }
    return Fail(0x80001000u + *eax, "core.pvalidate.instruction-failure");
  }
  if (region->shared && !s.Fault(FaultId::kPvalidateSharedPageAccepted)) {
    // PVALIDATE of a page not assigned to the guest: FAIL_INPUT.
    return Fail(0x80001000u + kPvalidateFailInput, "core.pvalidate.instruction-failure");
  }
  if (large && !region->large_pages) {
    // The hypervisor backs this range with 4 KiB RMP entries.
    return Fail(0x80001000u + kPvalidateFailSizeMismatch, "core.pvalidate.instruction-failure");
  }
  bool any_valid = false, any_invalid = false, any_valid_2m = false, any_valid_4k = false;
  s.page_state().ForEachRun(first, count, [&](uint64_t, uint64_t, const PageAttrs& a) {
    if (a.validated) {
      any_valid = true;
      (a.validated_2m ? any_valid_2m : any_valid_4k) = true;
    } else {
      any_invalid = true;
    }
  });
  const bool validate = e.action == 1;
  bool no_change = false;
  if (large) {
    // A 2 MiB PVALIDATE needs one 2 MiB RMP entry: frames validated one by one, or a mix of
    // states, mean 4 KiB entries (FAIL_SIZEMISMATCH).
    if ((any_valid_4k && !s.Fault(FaultId::kPvalidateNoSizeMismatchOver4k)) || (any_valid && any_invalid)) {
      return Fail(0x80001000u + kPvalidateFailSizeMismatch, "core.pvalidate.instruction-failure");
    }
    no_change = validate ? any_valid : !any_valid;
  } else {
    // A 4 KiB PVALIDATE inside a 2 MiB validated page hits a 2 MiB RMP entry.
    if (any_valid_2m) {
      return Fail(0x80001000u + kPvalidateFailSizeMismatch, "core.pvalidate.instruction-failure");
    }
    no_change = validate ? any_valid : any_invalid;
  }
  if (no_change) {
    // core.pvalidate.no-change: EFLAGS.CF = 1; fine only when the entry says to ignore it.
    if (e.ignore_cf || s.Fault(FaultId::kPvalidateNoChangeAlwaysIgnored)) return EntryOutcome{};
    return Fail(SVSM_ERR_PVALIDATE_FAIL_NO_CHANGE, "core.pvalidate.no-change");
  }
  if (validate) {
    // core.pvalidate.validate-zeroes-page, then core.pvalidate.validate-grants-access.
    if (!s.Fault(FaultId::kPvalidateNoZeroing)) s.mutable_memory().Zero(gpa, size);
    s.mutable_page_state().Set(first, count, ReferenceSvsm::GrantedAttrs(requester_vmpl, large));
    if (s.Fault(FaultId::kPvalidateGrantsWrongVmpl)) {
      s.mutable_page_state().Set(first, count, ReferenceSvsm::GrantedAttrs(requester_vmpl - 1, large));
    }
  } else {
    // core.pvalidate.rescind-revokes-access: RMPADJUST takes every lower-VMPL permission
    // away, then PVALIDATE clears the validated state.
    s.mutable_page_state().Set(first, count, PageAttrs{});
    if (s.Fault(FaultId::kPvalidateRescindKeepsPermissions)) {
      PageAttrs kept = ReferenceSvsm::GrantedAttrs(requester_vmpl, false);
      kept.validated = false;
      s.mutable_page_state().Set(first, count, kept);
    }
  }
  return EntryOutcome{};
}

// Reads and checks the fixed part and entries of a list at `gpa` (PVALIDATE or DEPOSIT_MEM)
// through the generated structure codec, with the entry checks left to the per-entry walk
// (an entry error must come only after the entries before it were processed).
template <class List>
std::optional<HandlerResult> ReadList(const ReferenceSvsm& s, const RegisterSet& in,
                                      typename List::Rules rules, const char* faulting_rule,
                                      List& out) {
  const uint64_t gpa = in.rcx;
  std::array<uint8_t, kPageSize> buf{};
  if (!WithinPage(gpa, List::kFixedSize) ||
      !s.SvsmRead(gpa, std::span<uint8_t>(buf.data(), List::kFixedSize))) {
    return Result(in, SVSM_ERR_INVALID_ADDRESS, faulting_rule);
  }
  auto size = List::SizeFromFixed(std::span<const uint8_t>(buf.data(), List::kFixedSize), rules);
  if (!size.ok()) return Refused(in, size.error());
  if (!WithinPage(gpa, size.value())) {
    return Result(in, SVSM_ERR_INVALID_PARAMETER, InternRuleId(rules.within_page));
  }
  const std::span<uint8_t> bytes(buf.data(), static_cast<size_t>(size.value()));
  if (!s.SvsmRead(gpa, bytes)) return Result(in, SVSM_ERR_INVALID_ADDRESS, faulting_rule);
  if (auto e = List::DecodeInto(bytes, rules, out)) return Refused(in, *e);
  return std::nullopt;
}

// Writes `next` (offset 2 of both list layouts) back to the guest's list.
bool WriteNext(ReferenceSvsm& s, uint64_t list_gpa, uint16_t next) {
  std::array<uint8_t, 2> bytes{};
  StoreLe(bytes, 0, 2, next);
  return s.SvsmWrite(list_gpa + 2, bytes);
}

HandlerResult ListResult(ReferenceSvsm& s, const RegisterSet& in, uint16_t next, uint32_t code,
                         const char* rule) {
  // The list's `next` is an output of every path that processed entries (the rule's
  // outputs: the failing index, or the number processed). If the SVSM cannot write it back
  // (the walk rescinded the list's own page), the address faults.
  if (!WriteNext(s, in.rcx, next)) {
    return Result(in, SVSM_ERR_INVALID_ADDRESS, "general.faulting-address");
  }
  return Result(in, code, rule);
}

HandlerResult Pvalidate(ReferenceSvsm& s, size_t vcpu, const RegisterSet& in) {
  // core.pvalidate.alignment
  if (in.rcx % PvalidateList::kAlign != 0) {
    return Result(in, SVSM_ERR_INVALID_PARAMETER, "core.pvalidate.alignment");
  }
  // core.pvalidate.entries-zero and core.pvalidate.list-crosses-page are the list codec's
  // min_count / max_count / within_page checks under these rule ids.
  PvalidateList::Rules list_rules = CorePvalidateRequest::ListRules();
  PvalidateEntry::Rules entry_rules = list_rules.entry;
  if (s.Fault(FaultId::kPvalidateSkipReservedBitsCheck)) entry_rules.reserved_mbz = nullptr;
  list_rules.entry = PvalidateEntry::Rules{nullptr, nullptr, nullptr, nullptr};
  // core.pvalidate.list-overlaps-caa-header (freedom: SUCCESS or INVALID_ADDRESS): the model
  // reads a list wherever the guest may place its data, CAA bytes 0-7 included.
  PvalidateList list;
  if (auto refused = ReadList(s, in, list_rules, "general.faulting-address", list)) return *refused;
  // core.pvalidate.next-not-below-entries
  if (list.next >= list.entries &&
      !(s.Fault(FaultId::kPvalidateNextEqualEntriesAccepted) && list.next == list.entries)) {
    return Result(in, SVSM_ERR_INVALID_PARAMETER, "core.pvalidate.next-not-below-entries");
  }
  if (s.Fault(FaultId::kPvalidateStartsAtZero)) list.next = 0;
  const uint8_t vmpl = s.CallerVmpl(vcpu);
  const uint32_t limit = s.config().pvalidate_entries_per_call;
  uint32_t done_this_call = 0;
  // core.pvalidate.process-from-next: entries from `next` upwards, in order.
  for (uint16_t i = list.next; i < list.entries; ++i) {
    if (limit != 0 && done_this_call == limit) {
      // core.pvalidate.incomplete (freedom): the model splits work when configured to.
      return ListResult(s, in, i, SVSM_ERR_INCOMPLETE, "core.pvalidate.incomplete");
    }
    // core.pvalidate.entry-reserved-bits, core.pvalidate.entry-page-size and the address
    // wrap of core.pvalidate.entry-not-guest-memory, from the entry codec.
    auto entry = PvalidateEntry::Decode(list.entry[i].Pack(), entry_rules);
    if (!entry.ok()) {
      const char* rule = InternRuleId(entry.error().rule_id);
      return ListResult(s, in, i, ResultOfRule(rule), rule);
    }
    const EntryOutcome outcome = PvalidateOne(s, entry.value(), vmpl);
    if (!outcome.ok() && s.Fault(FaultId::kPvalidateNextPastFailingEntry)) {
      return ListResult(s, in, static_cast<uint16_t>(i + 1), outcome.code, outcome.rule);
    }
    if (!outcome.ok()) return ListResult(s, in, i, outcome.code, outcome.rule);
    ++done_this_call;
  }
  if (s.Fault(FaultId::kPvalidateNextNotWrittenBack)) {
    return Result(in, SVSM_SUCCESS, "core.pvalidate.process-from-next");
  }
  return ListResult(s, in, list.entries, SVSM_SUCCESS, "core.pvalidate.process-from-next");
}

// ---------------------------------------------------------------------------------------
// SVSM_CORE_CREATE_VCPU / SVSM_CORE_DELETE_VCPU

HandlerResult CreateVcpu(ReferenceSvsm& s, size_t vcpu, const RegisterSet& in) {
  // core.create-vcpu.alignment and the address wrap of core.create-vcpu.not-guest-memory
  // come from the decoder; it reads the CAA page through the view of all RAM.
  auto req = CoreCreateVcpuRequest::Decode(in, s.physical_view());
  if (!req.ok()) {
    if (req.error().rule_id == "general.faulting-address") {
      return Result(in, SVSM_ERR_INVALID_ADDRESS, "core.create-vcpu.not-guest-memory");
    }
    return Refused(in, req.error());
  }
  const uint64_t vmsa_gpa = req.value().vmsa;
  const uint64_t caa_gpa = req.value().caa;
  const uint64_t vmsa_pfn = vmsa_gpa >> kPageShift;
  const uint64_t caa_pfn = caa_gpa >> kPageShift;

  // core.create-vcpu.not-guest-memory: both pages in RAM.
  if (!IsRam(s.RegionOf(vmsa_gpa, kPageSize)) || !IsRam(s.RegionOf(caa_gpa, kPageSize))) {
    return Result(in, SVSM_ERR_INVALID_ADDRESS, "core.create-vcpu.not-guest-memory");
  }
  // core.create-vcpu.forbidden-address: SVSM memory (region, deposited pages), an active
  // VMSA (the startup vCPU's included) or an active CAA, for either page.
  for (uint64_t pfn : {vmsa_pfn, caa_pfn}) {
    if (pfn == caa_pfn && s.Fault(FaultId::kCreateVcpuActiveCaaAccepted)) continue;
    if (s.AnySvsmOwned(pfn, 1) || s.VcpuWithCaaFrame(pfn).has_value()) {
      return Result(in, SVSM_ERR_INVALID_ADDRESS, "core.create-vcpu.forbidden-address");
    }
  }
  // core.create-vcpu.vmsa-caa-same-page (freedom: INVALID_ADDRESS or INVALID_PARAMETER):
  // INVALID_ADDRESS, as for any other page the new vCPU may not use as its VMSA.
  if (vmsa_pfn == caa_pfn && !s.Fault(FaultId::kCreateVcpuSamePageAccepted)) {
    return Result(in, SVSM_ERR_INVALID_ADDRESS, "core.create-vcpu.vmsa-caa-same-page");
  }
  // A VMSA must be a validated private page (RMPADJUST cannot make anything else a VMSA),
  // and the SVSM must be able to use the CAA; the model reports both as addresses that are
  // not usable guest memory.
  const PageAttrs old_attrs = s.page_state().Get(vmsa_pfn);
  if (s.RegionOf(vmsa_gpa, kPageSize)->shared || !old_attrs.validated ||
      !s.SvsmMayAccess(caa_gpa, kPageSize)) {
    return Result(in, SVSM_ERR_INVALID_ADDRESS, "core.create-vcpu.not-guest-memory");
  }
  // core.create-vcpu.apic-id (freedom: SUCCESS or INVALID_PARAMETER): the model refuses an
  // APIC ID (R8 bits 31:0) that names no vCPU of the platform, or a vCPU that already has a
  // VMSA (replacing a live VMSA would orphan it); R8 bits 63:32 are ignored, as COCONUT does.
  const auto& vcpus = s.vcpus();
  auto target = std::find_if(vcpus.begin(), vcpus.end(),
                             [&](const VcpuState& v) { return v.apic_id == req.value().apic_id; });
  if (target == vcpus.end() || target->vmsa.has_value()) {
    return Result(in, SVSM_ERR_INVALID_PARAMETER, "core.create-vcpu.apic-id");
  }
  const size_t target_index = static_cast<size_t>(target - vcpus.begin());

  // core.create-vcpu.revoke-before-check: lower VMPLs lose access before the contents are
  // read, so a racing guest vCPU cannot change them after the check (a racing write armed
  // on the page fires right after SvsmPhysicalRead, and faults).
  PageAttrs revoked = old_attrs;
  revoked.perms = {};
  std::array<uint8_t, Vmsa::kFixedSize> bytes{};
  if (s.Fault(FaultId::kCreateVcpuChecksBeforeRevoke)) {
    // Read (and checked below) while the guest may still write the page: in the
    // single-threaded model the only racing write lands right after this read, so revoking
    // after it is the same as revoking after the checks.
    s.SvsmPhysicalRead(vmsa_gpa, bytes);
    s.mutable_page_state().Set(vmsa_pfn, 1, revoked);
  } else {
    s.mutable_page_state().Set(vmsa_pfn, 1, revoked);
    s.SvsmPhysicalRead(vmsa_gpa, bytes);
  }
  auto refuse = [&](const char* rule) {
    s.mutable_page_state().Set(vmsa_pfn, 1, old_attrs);  // a failed call leaves no state
    return Result(in, SVSM_ERR_INVALID_PARAMETER, rule);
  };
  const Vmsa vmsa = Vmsa::Decode(bytes).value();  // no decode constraint can fail on a Vmsa
  const uint8_t caller_vmpl = s.CallerVmpl(vcpu);
  if (vmsa.vmpl == 0) return refuse("core.create-vcpu.vmsa-vmpl-zero");
  if (vmsa.vmpl < caller_vmpl && !s.Fault(FaultId::kCreateVcpuVmplBelowCallerAccepted)) {
    return refuse("core.create-vcpu.vmsa-vmpl-below-caller");
  }
  // VMPLs above 3 do not exist; no spec rule names this, so it is a model rule.
  if (vmsa.vmpl > 3) return refuse("model.create-vcpu.vmsa-vmpl-range");
  if (vmsa.efer.svme != 1 && !s.Fault(FaultId::kCreateVcpuSvmeNotChecked)) return refuse("core.create-vcpu.vmsa-svme");
  const auto startup = s.VmsaOf(0);
  if (!startup || (vmsa.sev_features != startup->sev_features &&
                   !s.Fault(FaultId::kCreateVcpuSevFeaturesNotChecked))) {
    return refuse("core.create-vcpu.vmsa-sev-features");
  }
  // core.create-vcpu.vmsa-created
  revoked.vmsa = true;
  s.mutable_page_state().Set(vmsa_pfn, 1, revoked);
  VcpuState& t = s.mutable_vcpus()[target_index];
  t.vmsa = vmsa_gpa;
  t.caa = caa_gpa;
  t.vmpl = vmsa.vmpl;  // the caller VMPL of its calls (the page is VMPL0-only from now on)
  t.running = false;  // the host starts it (AP_CREATION)
  return Result(in, SVSM_SUCCESS, "core.create-vcpu.vmsa-created");
}

HandlerResult DeleteVcpu(ReferenceSvsm& s, size_t vcpu, const RegisterSet& in) {
  // core.delete-vcpu.alignment
  auto req = CoreDeleteVcpuRequest::Decode(in, s.physical_view());
  if (!req.ok()) return Refused(in, req.error());
  const uint64_t vmsa_gpa = req.value().vmsa;
  // core.delete-vcpu.unknown-vmsa
  const std::optional<size_t> target = s.VcpuWithVmsa(vmsa_gpa);
  if (!target && s.Fault(FaultId::kDeleteVcpuUnknownVmsaSucceeds)) {
    return Result(in, SVSM_SUCCESS, "core.delete-vcpu.vmsa-released");
  }
  if (!target) return Result(in, SVSM_ERR_INVALID_PARAMETER, "core.delete-vcpu.unknown-vmsa");
  // core.delete-vcpu.startup-vcpu
  if (vmsa_gpa == s.config().startup_vmsa && !s.Fault(FaultId::kDeleteVcpuStartupDeletable)) {
    return Result(in, SVSM_ERR_INVALID_PARAMETER, "core.delete-vcpu.startup-vcpu");
  }
  // core.delete-vcpu.vmsa-vmpl-below-caller
  const uint8_t caller_vmpl = s.CallerVmpl(vcpu);
  std::optional<Vmsa> vmsa = s.VmsaOf(*target);
  if (!vmsa) return Result(in, SVSM_ERR_INVALID_PARAMETER, "core.delete-vcpu.unknown-vmsa");
  if (vmsa->vmpl < caller_vmpl && !s.Fault(FaultId::kDeleteVcpuVmplBelowCallerAccepted)) {
    return Result(in, SVSM_ERR_INVALID_PARAMETER, "core.delete-vcpu.vmsa-vmpl-below-caller");
  }
  // core.delete-vcpu.in-use: SVME cannot be cleared while the vCPU runs.
  if (s.vcpus()[*target].running && !s.Fault(FaultId::kDeleteVcpuInUseNotReported)) {
    return Result(in, SVSM_ERR_CORE_FAIL_INUSE, "core.delete-vcpu.in-use");
  }
  // core.delete-vcpu.vmsa-released: SVME = 0, a normal page again with full access for the
  // requester and every more-privileged VMPL; the SVSM forgets the VMSA and its CAA.
  vmsa->efer.svme = 0;
  s.mutable_memory().Write(vmsa_gpa, vmsa->Encode());
  const PageAttrs old_attrs = s.page_state().Get(vmsa_gpa >> kPageShift);
  s.mutable_page_state().Set(vmsa_gpa >> kPageShift, 1,
                             ReferenceSvsm::GrantedAttrs(caller_vmpl, old_attrs.validated_2m));
  if (s.Fault(FaultId::kDeleteVcpuPageNotReleased)) s.mutable_page_state().Set(vmsa_gpa >> kPageShift, 1, old_attrs);
  VcpuState& t = s.mutable_vcpus()[*target];
  t.vmsa.reset();
  t.caa = 0;
  t.running = false;
  if (*target == vcpu) {
    // core.delete-vcpu.self: deleting one's own VMSA never returns.
    HandlerResult h = Result(in, SVSM_SUCCESS, "core.delete-vcpu.self");
    h.vcpu_deleted = true;
    return h;
  }
  return Result(in, SVSM_SUCCESS, "core.delete-vcpu.vmsa-released");
}

// ---------------------------------------------------------------------------------------
// SVSM_CORE_DEPOSIT_MEM / SVSM_CORE_WITHDRAW_MEM

EntryOutcome DepositOne(ReferenceSvsm& s, const DepositMemEntry& e) {
  const bool large = e.page_size == SVSM_CORE_PAGE_SIZE_SIZE_2M;
  const uint64_t size = large ? kLargePageSize : kPageSize;
  const uint64_t gpa = e.pfn << kPageShift;
  // core.deposit-mem.entry-gpa-alignment
  if (large && gpa % kLargePageSize != 0) {
    return Fail(SVSM_ERR_INVALID_PARAMETER, "core.deposit-mem.entry-gpa-alignment");
  }
  const uint64_t first = gpa >> kPageShift;
  const uint64_t count = size >> kPageShift;
  // core.deposit-mem.entry-forbidden: already SVSM-private (region, VMSAs, deposited) or
  // holding an active CAA.
  bool holds_caa = false;
  for (uint64_t pfn = first; pfn < first + count && RangeFits(gpa, size); ++pfn) {
    if (s.VcpuWithCaaFrame(pfn)) holds_caa = true;
  }
  if (s.Fault(FaultId::kDepositActiveCaaAccepted)) holds_caa = false;
  if (RangeFits(gpa, size) && (s.AnySvsmOwned(first, count) || holds_caa)) {
    return Fail(SVSM_ERR_INVALID_ADDRESS, "core.deposit-mem.entry-forbidden");
  }
  // The SVSM can only take validated private guest memory (RMPADJUST needs a validated
  // page); anything else is an address it cannot use: general.faulting-address.
  const MemoryRegion* region = s.RegionOf(gpa, size);
  if (!RangeFits(gpa, size) || !IsRam(region) || region->shared) {
    return Fail(SVSM_ERR_INVALID_ADDRESS, "general.faulting-address");
  }
  bool all_validated = true;
  s.page_state().ForEachRun(first, count, [&](uint64_t, uint64_t, const PageAttrs& a) {
    if (!a.validated) all_validated = false;
  });
  if (!all_validated && s.Fault(FaultId::kDepositFailingEntryPartlyTaken)) {
    for (uint64_t pfn = first; pfn < first + count && s.page_state().Get(pfn).validated; ++pfn) {
      PageAttrs taken = s.page_state().Get(pfn);
      taken.perms = {};
      s.mutable_page_state().Set(pfn, 1, taken);
      s.mutable_deposited().insert(pfn);
    }
  }
  if (!all_validated) return Fail(SVSM_ERR_INVALID_ADDRESS, "general.faulting-address");
  if (s.Fault(FaultId::kDepositPagesNotSvsmOwned)) return EntryOutcome{};
  // core.deposit-mem.pages-taken: VMPL0-only from now on, and the SVSM's.
  std::vector<std::pair<uint64_t, PageAttrs>> runs;
  s.page_state().ForEachRun(first, count, [&](uint64_t f, uint64_t n, const PageAttrs& a) {
    PageAttrs taken = a;
    taken.perms = {};
    for (uint64_t i = 0; i < n; ++i) s.mutable_deposited().insert(f + i);
    runs.emplace_back(f, taken);
    (void)n;
  });
  for (size_t i = 0; i < runs.size(); ++i) {
    const uint64_t end = i + 1 < runs.size() ? runs[i + 1].first : first + count;
    s.mutable_page_state().Set(runs[i].first, end - runs[i].first, runs[i].second);
  }
  return EntryOutcome{};
}

HandlerResult DepositMem(ReferenceSvsm& s, const RegisterSet& in) {
  // core.deposit-mem.alignment
  if (in.rcx % DepositMemList::kAlign != 0) {
    return Result(in, SVSM_ERR_INVALID_PARAMETER, "core.deposit-mem.alignment");
  }
  DepositMemList::Rules list_rules = CoreDepositMemRequest::ListRules();
  DepositMemEntry::Rules entry_rules = list_rules.entry;
  list_rules.entry = DepositMemEntry::Rules{};
  list_rules.entry.page_size_enum = nullptr;
  // core.deposit-mem.entry-page-size (freedom: INVALID_PARAMETER or INVALID_REQUEST): the
  // model uses INVALID_PARAMETER, as PVALIDATE does for the same field.
  // core.deposit-mem.entry-reserved-bits (freedom: SUCCESS or INVALID_PARAMETER): bits 11:2
  // are reserved, not must-be-zero, so the model ignores them.
  DepositMemList list;
  if (auto refused = ReadList(s, in, list_rules, "general.faulting-address", list)) return *refused;
  // core.deposit-mem.next-not-below-entries
  if (list.next >= list.entries) {
    return Result(in, SVSM_ERR_INVALID_PARAMETER, "core.deposit-mem.next-not-below-entries");
  }
  const uint32_t limit = s.config().deposit_entries_per_call;
  uint32_t done_this_call = 0;
  for (uint16_t i = list.next; i < list.entries; ++i) {
    if (limit != 0 && done_this_call == limit) {
      // core.deposit-mem.incomplete (freedom): split when configured to.
      s.UpdateMemAvailable();
      return ListResult(s, in, i, SVSM_ERR_INCOMPLETE, "core.deposit-mem.incomplete");
    }
    auto entry = DepositMemEntry::Decode(list.entry[i].Pack(), entry_rules);
    if (!entry.ok()) {
      const char* rule = InternRuleId(entry.error().rule_id);
      s.UpdateMemAvailable();
      return ListResult(s, in, i, ResultOfRule(rule), rule);
    }
    const EntryOutcome outcome = DepositOne(s, entry.value());
    if (!outcome.ok()) {
      // core.deposit-mem.pages-taken: entries before `next` stay deposited.
      s.UpdateMemAvailable();
      return ListResult(s, in, i, outcome.code, outcome.rule);
    }
    ++done_this_call;
  }
  if (!s.Fault(FaultId::kDepositMemAvailableNotSet)) s.UpdateMemAvailable();
  if (s.Fault(FaultId::kDepositNextNotWrittenBack)) return Result(in, SVSM_SUCCESS, "core.deposit-mem.pages-taken");
  return ListResult(s, in, list.entries, SVSM_SUCCESS, "core.deposit-mem.pages-taken");
}

HandlerResult WithdrawMem(ReferenceSvsm& s, size_t vcpu, const RegisterSet& in) {
  // core.withdraw-mem.alignment
  auto req = CoreWithdrawMemRequest::Decode(in, s.svsm_view());
  if (!req.ok()) return Refused(in, req.error());
  const uint64_t area = req.value().area;
  const uint64_t offset = area % kPageSize;
  // core.withdraw-mem.no-room
  if (offset == kPageSize - 8 && !s.Fault(FaultId::kWithdrawNoRoomNotReported)) {
    return Result(in, SVSM_ERR_INVALID_PARAMETER, "core.withdraw-mem.no-room");
  }
  uint64_t capacity = (kPageSize - offset - 8) / 8;
  if (s.Fault(FaultId::kWithdrawReturnsMoreThanFits)) capacity = (kPageSize - offset) / 8;
  const uint64_t n = std::min<uint64_t>(capacity, s.deposited_frames().size());
  if (!s.SvsmMayAccess(area, 8 + n * 8)) {
    return Result(in, SVSM_ERR_INVALID_ADDRESS, "general.faulting-address");
  }
  // No spec rule covers an area on a Calling Area header: the SVSM's own CALL_PENDING clear
  // and MEM_AVAILABLE update would overwrite the count, and the guest would lose the pages.
  // The model refuses it as an address it cannot use (COCONUT's accessor protects every
  // CAA header the same way).
  for (const VcpuState& v : s.vcpus()) {
    if (v.vmsa && area < v.caa + 8 && v.caa < area + 8 + n * 8) {
      return Result(in, SVSM_ERR_INVALID_ADDRESS, "model.withdraw-mem.area-overlaps-caa-header");
    }
  }
  // core.withdraw-mem.pages-returned: count, then the gPAs; slots beyond count untouched.
  std::vector<uint8_t> bytes(static_cast<size_t>(n * 8));
  const uint8_t vmpl = s.CallerVmpl(vcpu);
  for (uint64_t i = 0; i < n; ++i) {
    const uint64_t pfn = *s.deposited_frames().begin();
    s.mutable_deposited().erase(s.deposited_frames().begin());
    const PageAttrs old_attrs = s.page_state().Get(pfn);
    s.mutable_page_state().Set(pfn, 1, ReferenceSvsm::GrantedAttrs(vmpl, old_attrs.validated_2m));
    if (s.Fault(FaultId::kWithdrawPagesNotReturned)) s.mutable_page_state().Set(pfn, 1, old_attrs);
    StoreLe(bytes, static_cast<size_t>(i * 8), 8, pfn << kPageShift);
  }
  std::array<uint8_t, 2> count{};
  StoreLe(count, 0, 2, n);
  s.SvsmWrite(area, count);
  s.SvsmWrite(area + 8, bytes);
  // core.withdraw-mem.never-incomplete: SUCCESS, with MEM_AVAILABLE telling whether more
  // remains.
  if (!s.Fault(FaultId::kWithdrawMemAvailableNotCleared)) s.UpdateMemAvailable();
  return Result(in, SVSM_SUCCESS, "core.withdraw-mem.pages-returned");
}

// ---------------------------------------------------------------------------------------
// SVSM_CORE_QUERY_PROTOCOL / SVSM_CORE_CONFIGURE_VTOM

HandlerResult QueryProtocol(ReferenceSvsm& s, const RegisterSet& in) {
  auto req = CoreQueryProtocolRequest::Decode(in, s.svsm_view());
  if (!req.ok()) return Refused(in, req.error());
  const QueryProtocolRequest& q = req.value().request;
  CoreQueryProtocolResponse response;
  response.result = SVSM_SUCCESS;
  // core.query-protocol.no-memory: answered from the configuration, never asks for memory.
  const char* rule = "core.query-protocol.unavailable";
  for (const ProtocolConfig& p : s.config().protocols) {
    const bool version_ok =
        (q.version >= p.min_version && q.version <= p.max_version) ||
        (s.Fault(FaultId::kQueryProtocolMaxPlusOneAvailable) && q.version == uint64_t{p.max_version} + 1) ||
        s.Fault(FaultId::kQueryProtocolVersionIgnored);
    if (p.number == q.protocol && version_ok) {
      // core.query-protocol.available (core.query-protocol.core-available for core 1).
      response.response.max_version = p.max_version;
      response.response.min_version = p.min_version;
      rule = p.number == SVSM_CORE_PROTOCOL ? "core.query-protocol.core-available"
                                            : "core.query-protocol.available";
    }
  }
  HandlerResult h = Result(in, SVSM_SUCCESS, rule);
  h.regs.rcx = response.Encode().rcx;
  return h;
}

HandlerResult ConfigureVtom(ReferenceSvsm& s, size_t vcpu, const RegisterSet& in) {
  const VtomConfig& vtom = s.config().vtom;
  if (in.rcx & 1) {
    // core.configure-vtom.query-reserved-bits
    auto req = CoreConfigureVtomQueryRequest::Decode(in, s.svsm_view());
    if (!req.ok()) return Refused(in, req.error());
    // core.configure-vtom.query-result
    HandlerResult h = Result(in, SVSM_SUCCESS, "core.configure-vtom.query-result");
    CoreConfigureVtomQueryResponse response;
    if (vtom.supported) {
      response.capabilities.supported = 1;
      response.capabilities.alignment = vtom.alignment_log2;
      response.min_vtom = vtom.min_vtom;
      response.max_vtom = vtom.max_vtom;
      if (s.Fault(FaultId::kVtomQueryMinMaxSwapped)) std::swap(response.min_vtom, response.max_vtom);
      const RegisterSet out = response.Encode();
      h.regs.rcx = out.rcx;
      h.regs.rdx = out.rdx;
      h.regs.r8 = out.r8;
    } else {
      h.regs.rcx = 0;  // RDX and R8 are undefined: left as they were
    }
    return h;
  }
  // core.configure-vtom.configure-reserved-bits
  auto req = CoreConfigureVtomConfigureRequest::Decode(in, s.svsm_view());
  if (!req.ok()) return Refused(in, req.error());
  const CoreConfigureVtomConfigureRequest& c = req.value();
  if (s.Fault(FaultId::kVtomVmsaUpdatedOnFailure)) {
    if (std::optional<Vmsa> early = s.VmsaOf(vcpu)) {
      early->virtual_tom = c.request.enable ? c.request.vtom << kPageShift : 0;
      if (c.request.set_cr3) early->cr3 = c.new_cr3;
      if (c.request.set_rip) early->rip = c.new_rip;
      if (c.request.set_rsp) early->rsp = c.new_rsp;
      s.mutable_memory().Write(*s.vcpus()[vcpu].vmsa, early->Encode());
    }
  }
  // core.configure-vtom.cannot-reconfigure: without support, or once a second vCPU has a
  // VMSA (vTOM is a guest-wide setting the model changes only while one vCPU exists).
  const auto active = std::count_if(s.vcpus().begin(), s.vcpus().end(),
                                    [](const VcpuState& v) { return v.vmsa.has_value(); });
  if (!vtom.supported || (active > 1 && !s.Fault(FaultId::kVtomReconfigureWithOtherVcpus))) {
    return Result(in, SVSM_ERR_INVALID_REQUEST, "core.configure-vtom.cannot-reconfigure");
  }
  const uint64_t value = c.request.vtom << kPageShift;
  if (c.request.enable) {
    // core.configure-vtom.misaligned-vtom (freedom: INVALID_ADDRESS or INVALID_PARAMETER):
    // the model follows the general alignment rule, INVALID_PARAMETER.
    if (value % (uint64_t{1} << vtom.alignment_log2) != 0 && !s.Fault(FaultId::kVtomMisalignedAccepted)) {
      return Result(in, SVSM_ERR_INVALID_PARAMETER, "core.configure-vtom.misaligned-vtom");
    }
    // core.configure-vtom.unsupported-vtom
    if (value < vtom.min_vtom || value > vtom.max_vtom ||
        (s.Fault(FaultId::kVtomMaxRefused) && value == vtom.max_vtom)) {
      return Result(in, SVSM_ERR_INVALID_ADDRESS, "core.configure-vtom.unsupported-vtom");
    }
  } else if (value != 0) {
    // core.configure-vtom.disable-nonzero-vtom (freedom: SUCCESS or INVALID_PARAMETER): the
    // field is to be 0 when disabling; the model refuses anything else.
    return Result(in, SVSM_ERR_INVALID_PARAMETER, "core.configure-vtom.disable-nonzero-vtom");
  }
  // core.configure-vtom.configured: all checks passed, so the VMSA changes all at once.
  std::optional<Vmsa> vmsa = s.VmsaOf(vcpu);
  if (!vmsa) return Result(in, SVSM_ERR_INVALID_REQUEST, "core.configure-vtom.cannot-reconfigure");
  vmsa->virtual_tom = c.request.enable ? value : 0;
  if (c.request.set_cr3) vmsa->cr3 = c.new_cr3;
  if (c.request.set_rip) vmsa->rip = c.new_rip;
  if (c.request.set_rsp) vmsa->rsp = c.new_rsp;
  s.mutable_memory().Write(*s.vcpus()[vcpu].vmsa, vmsa->Encode());
  return Result(in, SVSM_SUCCESS, "core.configure-vtom.configured");
}

}  // namespace

HandlerResult HandleCoreCall(ReferenceSvsm& s, size_t vcpu, uint32_t call_id,
                             const RegisterSet& in) {
  switch (call_id) {
    case SVSM_CORE_REMAP_CA: return RemapCa(s, vcpu, in);
    case SVSM_CORE_PVALIDATE: return Pvalidate(s, vcpu, in);
    case SVSM_CORE_CREATE_VCPU: return CreateVcpu(s, vcpu, in);
    case SVSM_CORE_DELETE_VCPU: return DeleteVcpu(s, vcpu, in);
    case SVSM_CORE_DEPOSIT_MEM: return DepositMem(s, in);
    case SVSM_CORE_WITHDRAW_MEM: return WithdrawMem(s, vcpu, in);
    case SVSM_CORE_QUERY_PROTOCOL: return QueryProtocol(s, in);
    case SVSM_CORE_CONFIGURE_VTOM: return ConfigureVtom(s, vcpu, in);
    default:
      if (s.Fault(FaultId::kUnknownCoreCallWrongCode)) return Result(in, SVSM_ERR_INVALID_PARAMETER, "core.unknown-call");
      return Result(in, SVSM_ERR_UNSUPPORTED_CALL, "core.unknown-call");
  }
}

}  // namespace svsm_ref
