// Fault injection: plausible implementation mistakes the reference SVSM can be told to make
// (PlatformConfig::faults, `svsm-spec conform --target ref --fault NAME`), so that the
// conformance suite can be shown to catch each of them (mutation testing,
// tests/mutation_test.cc; firmware_ref/README.md, "Fault injection").
//
// Each fault is one `if (s.Fault(FaultId::k...))` branch next to the rule it breaks in
// svsm.cc, core_protocol.cc or attest_protocol.cc; with no fault enabled the model behaves
// exactly as without this header.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace svsm_ref {

enum class FaultId : uint8_t {
  // Calling convention and dispatch (svsm.cc, HandleCoreCall)
  kCallPendingNotCleared,
  kCallPendingKeptOnError,
  kCallPendingZeroProcessed,
  kCallPendingReservedValueProcessed,
  kResultNotZeroExtended,
  kUnsupportedProtocolWrongCode,
  kUnknownCoreCallWrongCode,
  // SVSM_CORE_REMAP_CA
  kRemapCaNewCaaNotCleared,
  kRemapCaOldCaaStillRegistered,
  kRemapCaOtherVcpuCaaAccepted,
  kRemapCaMisalignedRoundedDown,
  // SVSM_CORE_PVALIDATE
  kPvalidateSkipReservedBitsCheck,
  kPvalidateNoZeroing,
  kPvalidateNextNotWrittenBack,
  kPvalidateNextPastFailingEntry,
  kPvalidateNoChangeAlwaysIgnored,
  kPvalidateNextEqualEntriesAccepted,
  kPvalidateSvsmMemoryCheckedAtStart,
  kPvalidateGrantsWrongVmpl,
  kPvalidateNoSizeMismatchOver4k,
  kPvalidateSharedPageAccepted,
  kPvalidateStartsAtZero,
  kPvalidateRescindKeepsPermissions,
  kPvalidateUnexpectedEaxAsFailure,
  // SVSM_CORE_CREATE_VCPU
  kCreateVcpuVmplBelowCallerAccepted,
  kCreateVcpuSvmeNotChecked,
  kCreateVcpuSevFeaturesNotChecked,
  kCreateVcpuSamePageAccepted,
  kCreateVcpuActiveCaaAccepted,
  kCreateVcpuChecksBeforeRevoke,
  // SVSM_CORE_DELETE_VCPU
  kDeleteVcpuStartupDeletable,
  kDeleteVcpuInUseNotReported,
  kDeleteVcpuPageNotReleased,
  kDeleteVcpuUnknownVmsaSucceeds,
  kDeleteVcpuVmplBelowCallerAccepted,
  // SVSM_CORE_DEPOSIT_MEM / SVSM_CORE_WITHDRAW_MEM
  kDepositPagesNotSvsmOwned,
  kDepositActiveCaaAccepted,
  kDepositFailingEntryPartlyTaken,
  kDepositNextNotWrittenBack,
  kDepositMemAvailableNotSet,
  kWithdrawReturnsMoreThanFits,
  kWithdrawNoRoomNotReported,
  kWithdrawPagesNotReturned,
  kWithdrawMemAvailableNotCleared,
  // SVSM_CORE_QUERY_PROTOCOL
  kQueryProtocolMaxPlusOneAvailable,
  kQueryProtocolVersionIgnored,
  // SVSM_CORE_CONFIGURE_VTOM
  kVtomMisalignedAccepted,
  kVtomMaxRefused,
  kVtomReconfigureWithOtherVcpus,
  kVtomVmsaUpdatedOnFailure,
  kVtomQueryMinMaxSwapped,
  // Attestation protocol
  kAttestReportDataWithoutManifest,
  kAttestReportVmplNotZero,
  kAttestSizesNotReturnedOnTooSmall,
  kAttestReservedNotChecked,
  kAttestNonceCrossingNotChecked,
  kAttestReportSizeOffByOne,
  kAttestManifestTooSmallNotChecked,
  kAttestCertsMisalignmentNotChecked,
  kCount,
};

inline constexpr size_t kFaultCount = static_cast<size_t>(FaultId::kCount);

struct FaultInfo {
  FaultId id;
  std::string_view name;         // what PlatformConfig::faults and --fault take
  std::string_view description;  // the mistake, and the spec rule it breaks
};

inline constexpr std::array<FaultInfo, kFaultCount> kFaults = {{
    {FaultId::kCallPendingNotCleared, "call.pending-not-cleared",
     "CALL_PENDING is left at 1 after every call (general.call-pending-clear)"},
    {FaultId::kCallPendingKeptOnError, "call.pending-kept-on-error",
     "CALL_PENDING is cleared only when the result is SUCCESS (general.call-pending-clear)"},
    {FaultId::kCallPendingZeroProcessed, "call.pending-zero-processed",
     "an entry with CALL_PENDING 0 is processed as a call instead of ignored "
     "(general.call-pending-clear)"},
    {FaultId::kCallPendingReservedValueProcessed, "call.pending-reserved-value-processed",
     "any non-zero CALL_PENDING is taken as a call, as COCONUT does, instead of INVALID_FORMAT "
     "(general.call-pending-reserved-value)"},
    {FaultId::kResultNotZeroExtended, "call.result-not-zero-extended",
     "the result is written to EAX only: RAX[63:32] keep the caller's protocol number "
     "(general.result-zero-extended)"},
    {FaultId::kUnsupportedProtocolWrongCode, "call.unsupported-protocol-wrong-code",
     "an unknown protocol answers UNSUPPORTED_CALL instead of UNSUPPORTED_PROTOCOL "
     "(general.unsupported-protocol)"},
    {FaultId::kUnknownCoreCallWrongCode, "core.unknown-call-wrong-code",
     "an unknown core call answers INVALID_PARAMETER instead of UNSUPPORTED_CALL (core.unknown-call)"},

    {FaultId::kRemapCaNewCaaNotCleared, "remap-ca.new-caa-not-cleared",
     "the new Calling Area's CALL_PENDING is not cleared (core.remap-ca.new-caa-cleared)"},
    {FaultId::kRemapCaOldCaaStillRegistered, "remap-ca.old-caa-still-registered",
     "REMAP_CA answers SUCCESS but the vCPU stays registered on its old Calling Area "
     "(core.remap-ca.old-caa-released)"},
    {FaultId::kRemapCaOtherVcpuCaaAccepted, "remap-ca.other-vcpu-caa-accepted",
     "another vCPU's active Calling Area is accepted as the new CAA (core.remap-ca.forbidden-address)"},
    {FaultId::kRemapCaMisalignedRoundedDown, "remap-ca.misaligned-rounded-down",
     "a misaligned CAA address is rounded down to its page instead of refused (core.remap-ca.alignment)"},

    {FaultId::kPvalidateSkipReservedBitsCheck, "pvalidate.skip-reserved-bits-check",
     "entry bits 11:4 are not checked to be zero (core.pvalidate.entry-reserved-bits)"},
    {FaultId::kPvalidateNoZeroing, "pvalidate.validate-no-zeroing",
     "validating a page does not zero it (core.pvalidate.validate-zeroes-page)"},
    {FaultId::kPvalidateNextNotWrittenBack, "pvalidate.next-not-written-back",
     "the list's next is not written back (core.pvalidate.process-from-next and the entry rules' outputs)"},
    {FaultId::kPvalidateNextPastFailingEntry, "pvalidate.next-past-failing-entry",
     "on an entry error, next names the entry after the failing one"},
    {FaultId::kPvalidateNoChangeAlwaysIgnored, "pvalidate.no-change-always-ignored",
     "a no-change PVALIDATE succeeds even without the ignore-CF bit (core.pvalidate.no-change)"},
    {FaultId::kPvalidateNextEqualEntriesAccepted, "pvalidate.next-equal-entries-accepted",
     "off by one: next == entries is accepted and nothing is done "
     "(core.pvalidate.next-not-below-entries)"},
    {FaultId::kPvalidateSvsmMemoryCheckedAtStart, "pvalidate.svsm-memory-checked-at-start-only",
     "a 2 MiB entry is checked against SVSM memory at its first 4 KiB frame only "
     "(core.pvalidate.entry-svsm-memory, core.vmsa-is-svsm-memory)"},
    {FaultId::kPvalidateGrantsWrongVmpl, "pvalidate.grants-wrong-vmpl",
     "validation grants access to VMPLs below the requester only, not the requester itself "
     "(core.pvalidate.validate-grants-access)"},
    {FaultId::kPvalidateNoSizeMismatchOver4k, "pvalidate.no-size-mismatch-over-4k-pages",
     "a 2 MiB PVALIDATE over pages validated one by one is not a size mismatch "
     "(core.pvalidate.instruction-failure)"},
    {FaultId::kPvalidateSharedPageAccepted, "pvalidate.shared-page-accepted",
     "PVALIDATE of shared RAM succeeds instead of FAIL_INPUT (core.pvalidate.instruction-failure)"},
    {FaultId::kPvalidateStartsAtZero, "pvalidate.starts-at-zero",
     "entries are processed from 0 instead of from next (core.pvalidate.process-from-next)"},
    {FaultId::kPvalidateRescindKeepsPermissions, "pvalidate.rescind-keeps-permissions",
     "rescinding leaves the lower VMPLs' permissions in place (core.pvalidate.rescind-revokes-access)"},
    {FaultId::kPvalidateUnexpectedEaxAsFailure, "pvalidate.unexpected-eax-as-failure",
     "a PVALIDATE EAX above 0xF is reported as 0x80001000 + EAX (an instruction failure) instead "
     "of 0x80001011 (core.pvalidate.unexpected-eax; needs an injected PVALIDATE result)"},

    {FaultId::kCreateVcpuVmplBelowCallerAccepted, "create-vcpu.vmpl-below-caller-accepted",
     "a VMSA more privileged than the caller (but not VMPL0) is accepted "
     "(core.create-vcpu.vmsa-vmpl-below-caller)"},
    {FaultId::kCreateVcpuSvmeNotChecked, "create-vcpu.svme-not-checked",
     "a VMSA with EFER.SVME = 0 is accepted (core.create-vcpu.vmsa-svme)"},
    {FaultId::kCreateVcpuSevFeaturesNotChecked, "create-vcpu.sev-features-not-checked",
     "a VMSA whose SEV_FEATURES differ from the startup vCPU's is accepted "
     "(core.create-vcpu.vmsa-sev-features)"},
    {FaultId::kCreateVcpuSamePageAccepted, "create-vcpu.vmsa-caa-same-page-accepted",
     "a VMSA and CAA in the same page are accepted (core.create-vcpu.vmsa-caa-same-page)"},
    {FaultId::kCreateVcpuActiveCaaAccepted, "create-vcpu.active-caa-accepted",
     "the CAA page is not checked against active Calling Areas (core.create-vcpu.forbidden-address)"},
    {FaultId::kCreateVcpuChecksBeforeRevoke, "create-vcpu.checks-before-revoke",
     "the VMSA contents are read and checked before lower-VMPL access is revoked, so a racing "
     "write after the check lands in what becomes the VMSA (core.create-vcpu.revoke-before-check; "
     "needs an injected racing write)"},

    {FaultId::kDeleteVcpuStartupDeletable, "delete-vcpu.startup-vcpu-deletable",
     "the startup vCPU's VMSA can be deleted (core.delete-vcpu.startup-vcpu)"},
    {FaultId::kDeleteVcpuInUseNotReported, "delete-vcpu.in-use-not-reported",
     "a running vCPU is deleted instead of FAIL_INUSE (core.delete-vcpu.in-use)"},
    {FaultId::kDeleteVcpuPageNotReleased, "delete-vcpu.page-not-released",
     "the deleted VMSA page stays a VMSA, inaccessible to the guest (core.delete-vcpu.vmsa-released)"},
    {FaultId::kDeleteVcpuUnknownVmsaSucceeds, "delete-vcpu.unknown-vmsa-succeeds",
     "deleting a page that is no VMSA answers SUCCESS (core.delete-vcpu.unknown-vmsa)"},
    {FaultId::kDeleteVcpuVmplBelowCallerAccepted, "delete-vcpu.vmpl-below-caller-accepted",
     "a vCPU may delete a VMSA more privileged than itself (core.delete-vcpu.vmsa-vmpl-below-caller)"},

    {FaultId::kDepositPagesNotSvsmOwned, "deposit-mem.pages-not-svsm-owned",
     "DEPOSIT_MEM succeeds but the pages stay the guest's (core.deposit-mem.pages-taken)"},
    {FaultId::kDepositActiveCaaAccepted, "deposit-mem.active-caa-accepted",
     "a page holding an active Calling Area can be deposited (core.deposit-mem.entry-forbidden)"},
    {FaultId::kDepositFailingEntryPartlyTaken, "deposit-mem.failing-entry-partly-taken",
     "a 2 MiB entry that fails on an unvalidated frame leaves the validated frames before it "
     "taken: state left behind on an error path (core.deposit-mem.pages-taken)"},
    {FaultId::kDepositNextNotWrittenBack, "deposit-mem.next-not-written-back",
     "the list's next is not written back (core.deposit-mem.pages-taken and the entry rules' outputs)"},
    {FaultId::kDepositMemAvailableNotSet, "deposit-mem.mem-available-not-set",
     "MEM_AVAILABLE is not set after a deposit (core.withdraw-mem.never-incomplete)"},
    {FaultId::kWithdrawReturnsMoreThanFits, "withdraw-mem.returns-more-than-fits",
     "off by one: the area's capacity does not subtract its 8-byte header, so the last gPA "
     "lands past the page (core.withdraw-mem.pages-returned)"},
    {FaultId::kWithdrawNoRoomNotReported, "withdraw-mem.no-room-not-reported",
     "an area with no room for one gPA answers SUCCESS with count 0 (core.withdraw-mem.no-room)"},
    {FaultId::kWithdrawPagesNotReturned, "withdraw-mem.pages-not-returned",
     "withdrawn pages are reported but keep VMPL0-only permissions (core.withdraw-mem.pages-returned)"},
    {FaultId::kWithdrawMemAvailableNotCleared, "withdraw-mem.mem-available-not-cleared",
     "MEM_AVAILABLE stays 1 after the last page is withdrawn (core.withdraw-mem.never-incomplete)"},

    {FaultId::kQueryProtocolMaxPlusOneAvailable, "query-protocol.max-plus-one-available",
     "off by one: version max + 1 is reported available (core.query-protocol.unavailable)"},
    {FaultId::kQueryProtocolVersionIgnored, "query-protocol.version-ignored",
     "a known protocol is reported available at any version (core.query-protocol.unavailable)"},

    {FaultId::kVtomMisalignedAccepted, "configure-vtom.misaligned-accepted",
     "a vTOM that is not a multiple of the alignment is accepted (core.configure-vtom.misaligned-vtom)"},
    {FaultId::kVtomMaxRefused, "configure-vtom.max-vtom-refused",
     "off by one: vTOM equal to the reported maximum is refused (core.configure-vtom.unsupported-vtom)"},
    {FaultId::kVtomReconfigureWithOtherVcpus, "configure-vtom.reconfigure-with-other-vcpus",
     "vTOM is configured while other vCPUs have VMSAs (core.configure-vtom.cannot-reconfigure)"},
    {FaultId::kVtomVmsaUpdatedOnFailure, "configure-vtom.vmsa-updated-on-failure",
     "vTOM, CR3, RIP and RSP are written to the VMSA as soon as the request decodes, so a call "
     "that then fails changes them: state left behind on an error path (core.configure-vtom.configured)"},
    {FaultId::kVtomQueryMinMaxSwapped, "configure-vtom.query-min-max-swapped",
     "the query reports the maximum vTOM in RDX and the minimum in R8 (core.configure-vtom.query-result)"},

    {FaultId::kAttestReportDataWithoutManifest, "attest.report-data-without-manifest",
     "REPORT_DATA is SHA-512(nonce) without the manifest (attest.*.report-data)"},
    {FaultId::kAttestReportVmplNotZero, "attest.report-vmpl-not-zero",
     "the report is requested at the guest's VMPL instead of VMPL0 (attest.*.request-vmpl)"},
    {FaultId::kAttestSizesNotReturnedOnTooSmall, "attest.sizes-not-returned-on-too-small",
     "a too-small buffer is refused without the needed sizes in RCX/RDX/R8 "
     "(attest.*.*-buffer-too-small)"},
    {FaultId::kAttestReservedNotChecked, "attest.reserved-not-checked",
     "reserved bytes of the operation structure are not checked (attest.*.reserved-nonzero)"},
    {FaultId::kAttestNonceCrossingNotChecked, "attest.nonce-page-crossing-not-checked",
     "a nonce crossing a page boundary is read anyway (attest.*.nonce-crosses-page)"},
    {FaultId::kAttestReportSizeOffByOne, "attest.report-size-off-by-one",
     "off by one: a report buffer of exactly the report's size is too small "
     "(attest.*.report-buffer-too-small)"},
    {FaultId::kAttestManifestTooSmallNotChecked, "attest.manifest-too-small-not-checked",
     "a too-small manifest buffer is not refused (attest.*.manifest-buffer-too-small)"},
    {FaultId::kAttestCertsMisalignmentNotChecked, "attest.certs-misalignment-not-checked",
     "a certificate buffer that is not page aligned is accepted (attest.*.buffer-misaligned)"},
}};

// Every entry sits at the index of its id.
constexpr bool FaultTableInOrder() {
  for (size_t i = 0; i < kFaults.size(); ++i) {
    if (static_cast<size_t>(kFaults[i].id) != i || kFaults[i].name.empty()) return false;
  }
  return true;
}
static_assert(FaultTableInOrder(), "kFaults must list every FaultId in declaration order");

constexpr const FaultInfo& FaultInfoOf(FaultId id) { return kFaults[static_cast<size_t>(id)]; }

constexpr std::optional<FaultId> FaultByName(std::string_view name) {
  for (const FaultInfo& f : kFaults) {
    if (f.name == name) return f.id;
  }
  return std::nullopt;
}

}  // namespace svsm_ref
