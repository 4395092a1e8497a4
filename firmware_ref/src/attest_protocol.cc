// The attestation protocol (1): SVSM_ATTEST_SERVICES and SVSM_ATTEST_SINGLE_SERVICE, with
// the report produced by the model of the SNP firmware (snp_firmware.cc). Each rule of
// spec/protocols/attestation.yaml is enforced where its id is named.
//
// The spec fixes no check order (check_order.specified: false). The model checks the
// operation structure, then the service selection, the nonce, the buffers' addresses, and
// only then the sizes, so a too-small buffer is reported with every output size known.
#include <array>
#include <vector>

#include "rule_results.h"
#include "svsm_ref/svsm.h"
#include "svsm_spec.h"  // generated C header: result codes, call ids, GUIDs

namespace svsm_ref {
namespace {

using namespace svsm_spec::codec::gen;  // NOLINT: the generated codec types
using svsm_spec::codec::RangeFits;
using svsm_spec::codec::WithinPage;

// The rule ids of one call (both calls have the same rules under their own prefix).
struct AttestRuleIds {
  const char* op_misaligned;
  const char* op_crosses_page;
  const char* op_inaccessible;
  const char* buffer_misaligned;
  const char* buffer_inaccessible;
  const char* nonce_crosses_page;
  const char* nonce_inaccessible;
  const char* snp_request_failed;
  const char* report_too_small;
  const char* manifest_too_small;
  const char* certs_too_small;
  const char* report;
};

constexpr AttestRuleIds kServicesRules = {
    "attest.services.op-misaligned",           "attest.services.op-crosses-page",
    "attest.services.op-inaccessible",         "attest.services.buffer-misaligned",
    "attest.services.buffer-inaccessible",     "attest.services.nonce-crosses-page",
    "attest.services.nonce-inaccessible",      "attest.services.snp-request-failed",
    "attest.services.report-buffer-too-small", "attest.services.manifest-buffer-too-small",
    "attest.services.certs-buffer-too-small",  "attest.services.report",
};

constexpr AttestRuleIds kSingleServiceRules = {
    "attest.single-service.op-misaligned",
    "attest.single-service.op-crosses-page",
    "attest.single-service.op-inaccessible",
    "attest.single-service.buffer-misaligned",
    "attest.single-service.buffer-inaccessible",
    "attest.single-service.nonce-crosses-page",
    "attest.single-service.nonce-inaccessible",
    "attest.single-service.snp-request-failed",
    "attest.single-service.report-buffer-too-small",
    "attest.single-service.manifest-buffer-too-small",
    "attest.single-service.certs-buffer-too-small",
    "attest.single-service.report",
};

constexpr std::array<uint8_t, 16> kManifestGuid = SVSM_ATTEST_SERVICES_MANIFEST_GUID_BYTES;

HandlerResult Result(const RegisterSet& regs, uint32_t code, const char* rule) {
  HandlerResult h;
  h.regs = regs;
  h.regs.rax = code;
  h.rule_id = rule;
  return h;
}

// The services manifest (spec Table 12): header, one entry per service, then the blobs.
std::vector<uint8_t> ServicesManifest(const AttestationConfig& config) {
  AttestServicesManifest manifest;
  manifest.header_guid = kManifestGuid;
  std::vector<uint8_t> blobs;
  const size_t header_size =
      AttestServicesManifest::kFixedSize + config.services.size() * AttestServicesManifestEntry::kFixedSize;
  for (const AttestServiceConfig& service : config.services) {
    AttestServicesManifestEntry entry;
    entry.service_guid = service.guid;
    entry.data_offset = static_cast<uint32_t>(header_size + blobs.size());
    entry.data_size = static_cast<uint32_t>(service.manifest.size());
    manifest.entries.push_back(entry);
    blobs.insert(blobs.end(), service.manifest.begin(), service.manifest.end());
  }
  manifest.entry_count = static_cast<uint32_t>(manifest.entries.size());
  manifest.total_length = static_cast<uint32_t>(header_size + blobs.size());
  std::vector<uint8_t> bytes = manifest.Encode();
  bytes.insert(bytes.end(), blobs.begin(), blobs.end());
  return bytes;
}

// Whether the guest buffer [gpa, gpa + size) may receive output.
bool BufferUsable(const ReferenceSvsm& s, uint64_t gpa, uint64_t size) {
  return RangeFits(gpa, size) && s.SvsmMayAccess(gpa, size);
}

HandlerResult Attest(ReferenceSvsm& s, const RegisterSet& in, bool single) {
  const AttestRuleIds& ids = single ? kSingleServiceRules : kServicesRules;
  const uint64_t op_gpa = in.rcx;
  const size_t op_size = single ? AttestSingleServiceOp::kFixedSize : AttestServicesOp::kFixedSize;
  // <call>.op-misaligned, <call>.op-crosses-page, <call>.op-inaccessible
  if (op_gpa % AttestServicesOp::kAlign != 0) {
    return Result(in, SVSM_ERR_INVALID_PARAMETER, ids.op_misaligned);
  }
  if (!WithinPage(op_gpa, op_size)) return Result(in, SVSM_ERR_INVALID_PARAMETER, ids.op_crosses_page);
  std::array<uint8_t, AttestSingleServiceOp::kFixedSize> raw{};
  const std::span<uint8_t> op_bytes(raw.data(), op_size);
  if (!s.SvsmRead(op_gpa, op_bytes)) return Result(in, SVSM_ERR_INVALID_ADDRESS, ids.op_inaccessible);

  // <call>.reserved-nonzero and <call>.buffer-misaligned / -inaccessible (report, manifest)
  // by the structure codec. The certificate buffer's alignment matters only when
  // certificates are requested, so that check is made below instead.
  AttestServicesOp op;
  const AttestServiceConfig* service = nullptr;
  if (single) {
    AttestSingleServiceOp::Rules rules = AttestSingleServiceRequest::OpGpaRules();
    rules.services_op.certs_gpa_align = nullptr;
    rules.services_op.certs_gpa_no_overflow = nullptr;
    if (s.Fault(FaultId::kAttestReservedNotChecked)) {
      rules.reserved_54_mbz = rules.services_op.reserved_0c_mbz = rules.services_op.reserved_1a_mbz =
          rules.services_op.reserved_2c_mbz = rules.services_op.reserved_3c_mbz = nullptr;
    }
    AttestSingleServiceOp single_op;
    if (auto e = AttestSingleServiceOp::DecodeInto(op_bytes, rules, single_op)) {
      const char* rule = InternRuleId(e->rule_id);
      return Result(in, ResultOfRule(rule), rule);
    }
    op = single_op.services_op;
    // attest.single-service.unknown-guid: the service must be one this SVSM offers.
    for (const AttestServiceConfig& candidate : s.config().attestation.services) {
      if (candidate.guid == single_op.service_guid) service = &candidate;
    }
    if (service == nullptr) {
      return Result(in, SVSM_ERR_INVALID_PARAMETER, "attest.single-service.unknown-guid");
    }
    // attest.single-service.manifest-version: every service of the model has version 0 only.
    if (single_op.manifest_version != 0) {
      return Result(in, SVSM_ERR_INVALID_PARAMETER, "attest.single-service.manifest-version");
    }
  } else {
    AttestServicesOp::Rules rules = AttestServicesRequest::OpGpaRules();
    rules.certs_gpa_align = nullptr;
    rules.certs_gpa_no_overflow = nullptr;
    if (s.Fault(FaultId::kAttestReservedNotChecked)) {
      rules.reserved_0c_mbz = rules.reserved_1a_mbz = rules.reserved_2c_mbz = rules.reserved_3c_mbz = nullptr;
    }
    if (auto e = AttestServicesOp::DecodeInto(op_bytes, rules, op)) {
      const char* rule = InternRuleId(e->rule_id);
      return Result(in, ResultOfRule(rule), rule);
    }
  }
  const bool certs_requested = op.certs_size != 0;
  if (certs_requested && op.certs_gpa % kPageSize != 0 && !s.Fault(FaultId::kAttestCertsMisalignmentNotChecked)) {
    return Result(in, SVSM_ERR_INVALID_PARAMETER, ids.buffer_misaligned);
  }

  // <call>.nonce-size (freedom: SUCCESS or INVALID_PARAMETER): the model accepts every size
  // the u16 field can hold (0 included); the nonce is hashed as given.
  // <call>.nonce-crosses-page, <call>.nonce-inaccessible
  std::array<uint8_t, kPageSize> nonce_buf{};
  if (op.nonce_size != 0 && !WithinPage(op.nonce_gpa, op.nonce_size) &&
      !(s.Fault(FaultId::kAttestNonceCrossingNotChecked) && op.nonce_size <= kPageSize)) {
    return Result(in, SVSM_ERR_INVALID_PARAMETER, ids.nonce_crosses_page);
  }
  const std::span<uint8_t> nonce(nonce_buf.data(), op.nonce_size);
  if (!s.SvsmRead(op.nonce_gpa, nonce)) {
    return Result(in, SVSM_ERR_INVALID_ADDRESS, ids.nonce_inaccessible);
  }

  // <call>.buffer-inaccessible: every byte of each buffer the guest declares.
  // <call>.certs-size-limit (freedom): the model has no internal certificate buffer, so it
  // sets no upper bound.
  if (!BufferUsable(s, op.report_gpa, op.report_size) ||
      !BufferUsable(s, op.manifest_gpa, op.manifest_size) ||
      (certs_requested && !BufferUsable(s, op.certs_gpa, op.certs_size))) {
    return Result(in, SVSM_ERR_INVALID_ADDRESS, ids.buffer_inaccessible);
  }

  // <call>.manifest: the services manifest or the selected service's blob.
  // attest.*.service-manifest-unavailable (freedom): the model's manifests are static data
  // and never unavailable.
  const std::vector<uint8_t> manifest =
      single ? service->manifest : ServicesManifest(s.config().attestation);
  const std::vector<uint8_t> empty;
  const std::vector<uint8_t>& certs = certs_requested ? s.firmware().CertificateTable() : empty;

  // The output sizes go back in every outcome from here on, so a guest whose buffer is too
  // small learns what to allocate (the too-small rules' outputs).
  RegisterSet out = in;
  if (single) {
    AttestSingleServiceResponse response;
    response.manifest_size = manifest.size();
    response.certs_size = certs.size();
    response.report_size = kSnpReportSize;
    const RegisterSet r = response.Encode();
    out.rcx = r.rcx, out.rdx = r.rdx, out.r8 = r.r8;
  } else {
    AttestServicesResponse response;
    response.manifest_size = manifest.size();
    response.certs_size = certs.size();
    response.report_size = kSnpReportSize;
    const RegisterSet r = response.Encode();
    out.rcx = r.rcx, out.rdx = r.rdx, out.r8 = r.r8;
  }
  if (s.Fault(FaultId::kAttestSizesNotReturnedOnTooSmall) &&
      (op.report_size < kSnpReportSize || op.manifest_size < manifest.size() ||
       (certs_requested && op.certs_size < certs.size()))) {
    out.rcx = in.rcx, out.rdx = in.rdx, out.r8 = in.r8;
  }
  if (op.report_size < kSnpReportSize ||
      (s.Fault(FaultId::kAttestReportSizeOffByOne) && op.report_size == kSnpReportSize)) {
    return Result(out, SVSM_ERR_INVALID_PARAMETER, ids.report_too_small);
  }
  if (op.manifest_size < manifest.size() && !s.Fault(FaultId::kAttestManifestTooSmallNotChecked)) {
    return Result(out, SVSM_ERR_INVALID_PARAMETER, ids.manifest_too_small);
  }
  if (certs_requested && op.certs_size < certs.size()) {
    return Result(out, SVSM_ERR_INVALID_PARAMETER, ids.certs_too_small);
  }

  // <call>.report-data: REPORT_DATA = SHA-512(nonce || manifest); <call>.request-vmpl: the
  // SVSM asks for a VMPL0 report. attest.report-signing-key (freedom): key selection 0, the
  // firmware's default key (the model has only its VCEK-like key).
  std::array<uint8_t, 64> report_data = Sha512({nonce, manifest});
  if (s.Fault(FaultId::kAttestReportDataWithoutManifest)) report_data = Sha512({nonce});
  const uint32_t report_vmpl = s.Fault(FaultId::kAttestReportVmplNotZero) ? s.config().guest_vmpl : 0;
  const auto report = s.firmware().GetReport(report_data, /*vmpl=*/report_vmpl, /*flags=*/0);
  if (!report) {
    // <call>.snp-request-failed
    return Result(out, SVSM_ERR_ATTEST_SNP_REQUEST_FAILED, ids.snp_request_failed);
  }
  // <call>.report, <call>.manifest, <call>.certificates (writes were checked above).
  s.SvsmWrite(op.report_gpa, *report);
  s.SvsmWrite(op.manifest_gpa, manifest);
  if (certs_requested) s.SvsmWrite(op.certs_gpa, certs);
  return Result(out, SVSM_SUCCESS, ids.report);
}

}  // namespace

HandlerResult HandleAttestCall(ReferenceSvsm& s, size_t /*vcpu*/, uint32_t call_id,
                               const RegisterSet& in) {
  switch (call_id) {
    case SVSM_ATTEST_SERVICES: return Attest(s, in, /*single=*/false);
    case SVSM_ATTEST_SINGLE_SERVICE: return Attest(s, in, /*single=*/true);
    default:
      // attest.unknown-call (SINGLE_SERVICE_EX is a version 2 proposal the model does not
      // offer).
      return Result(in, SVSM_ERR_UNSUPPORTED_CALL, "attest.unknown-call");
  }
}

}  // namespace svsm_ref
