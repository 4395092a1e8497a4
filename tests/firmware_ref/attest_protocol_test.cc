// The attestation protocol (1) of the reference SVSM: one or more tests per rule of
// spec/protocols/attestation.yaml for SVSM_ATTEST_SERVICES and SVSM_ATTEST_SINGLE_SERVICE.
//
// Every call goes through Call() (svsm_test_support.h), which checks that the result code is one
// the spec allows for the rule the model names; the tests assert the exact RAX, rule id, output
// registers and guest memory afterwards.
//
// The end-to-end checks are independent of the model's code: operation structures are laid out
// here byte by byte (facts §3.2 Tables 11 and 13), the expected services manifest is built here
// (facts §6 Table 12), REPORT_DATA is recomputed with OpenSSL's EVP SHA-512, and the report's
// ECDSA P-384/SHA-384 signature over bytes 0x000-0x29F is verified with OpenSSL from the DER
// signature rebuilt from the little-endian R and S, against both the firmware's public key PEM
// and the key of the certificate found by walking the returned certificate table.
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "report_check.h"
#include "test_keys.h"
#include "svsm_test_support.h"

namespace svsm_ref {
namespace {

using namespace svsm_ref::testing;  // NOLINT
using namespace svsm_ref::report_check;  // NOLINT
using namespace svsm_ref::test_keys;     // NOLINT

// --- Guest layout (all in the launch-validated boot RAM, away from the secrets page, CAA and
// VMSA at 0x800000-0x802FFF) ------------------------------------------------------------------
constexpr uint64_t kOp = 0x200000;
constexpr uint64_t kNonce = 0x201100;
constexpr uint64_t kReport = 0x202000;
constexpr uint64_t kManifest = 0x203000;
constexpr uint64_t kCerts = 0x204000;
constexpr uint64_t kBufferSize = 0x1000;
constexpr uint64_t kCertsBufferSize = 0x4000;
constexpr uint8_t kFill = 0xCC;

// Addresses of the default platform the guest must not use.
constexpr uint64_t kSvsmMemory = 0x40000000;   // the SVSM's own region
constexpr uint64_t kUnvalidated = 0x1000000;   // low-ram: private, not validated at launch
constexpr uint64_t kHole = 0xD0000000;         // between shared-ram and mmio: no memory
constexpr uint64_t kMmio = 0xE0000000;
constexpr uint64_t kSharedRam = 0x80000000;
constexpr uint64_t kStartupVmsa = 0x802000;    // SVSM-owned from boot

constexpr uint64_t kAllOnes = ~uint64_t{0};  // Linux sets RDX = R8 = all-ones on input
constexpr uint64_t kR9In = 0x1234567890ABCDEF;

// --- Report and certificate table layout (SEV-SNP ABI; facts §6.1) ---------------------------
constexpr size_t kReportSize = 0x4A0;
constexpr size_t kVmplOffset = 0x030;
constexpr size_t kSignatureAlgoOffset = 0x034;
constexpr size_t kSignerInfoOffset = 0x048;
constexpr size_t kReportDataOffset = 0x050;
constexpr size_t kCertEntrySize = 24;
// 63da758d-e664-4564-adc5-f4b93be8accd as the string reads (GHCB certificate table).
constexpr std::array<uint8_t, 16> kVcekGuid = {0x63, 0xda, 0x75, 0x8d, 0xe6, 0x64, 0x45, 0x64,
                                               0xad, 0xc5, 0xf4, 0xb9, 0x3b, 0xe8, 0xac, 0xcd};

// 63849ebb-3d92-4670-a1ff-58f9c94b87bb, mixed-endian (facts §6).
constexpr std::array<uint8_t, 16> kManifestHeaderGuid = {0xbb, 0x9e, 0x84, 0x63, 0x92, 0x3d,
                                                         0x70, 0x46, 0xa1, 0xff, 0x58, 0xf9,
                                                         0xc9, 0x4b, 0x87, 0xbb};
// vTPM c476f1eb-0123-45a5-9641-b4e7dde5bfe3 and UEFI MM a4453a59-9e1b-4787-a033-1986d6adbe55,
// mixed-endian.
constexpr std::array<uint8_t, 16> kVtpmGuid = {0xeb, 0xf1, 0x76, 0xc4, 0x23, 0x01, 0xa5, 0x45,
                                               0x96, 0x41, 0xb4, 0xe7, 0xdd, 0xe5, 0xbf, 0xe3};
constexpr std::array<uint8_t, 16> kUefiMmGuid = {0x59, 0x3a, 0x45, 0xa4, 0x1b, 0x9e, 0x87, 0x47,
                                                 0xa0, 0x33, 0x19, 0x86, 0xd6, 0xad, 0xbe, 0x55};
// Reboot (proposal) 0cc20f93-afaa-4013-9fb6-9d16fc42ceae: not offered by the test platforms.
constexpr std::array<uint8_t, 16> kRebootGuid = {0x93, 0x0f, 0xc2, 0x0c, 0xaa, 0xaf, 0x13, 0x40,
                                                 0x9f, 0xb6, 0x9d, 0x16, 0xfc, 0x42, 0xce, 0xae};


// --- Little helpers ----------------------------------------------------------------------------
void PutLe(std::vector<uint8_t>& b, size_t offset, uint64_t v, size_t n) {
  for (size_t i = 0; i < n; ++i) b[offset + i] = static_cast<uint8_t>(v >> (8 * i));
}
uint64_t GetLe(std::span<const uint8_t> b, size_t offset, size_t n) {
  uint64_t v = 0;
  for (size_t i = 0; i < n; ++i) v |= uint64_t{b[offset + i]} << (8 * i);
  return v;
}
std::vector<uint8_t> Slice(std::span<const uint8_t> b, size_t offset, size_t n) {
  return std::vector<uint8_t>(b.begin() + offset, b.begin() + offset + n);
}
template <size_t N>
std::vector<uint8_t> Vec(const std::array<uint8_t, N>& a) {
  return {a.begin(), a.end()};
}
std::vector<uint8_t> Pattern(size_t n, uint8_t first) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<uint8_t>(first + i * 7);
  return v;
}

// The operation structure, laid out from facts §3.2 Tables 11 and 13.
struct Op {
  uint64_t report_gpa = kReport;
  uint32_t report_size = kBufferSize;
  uint64_t nonce_gpa = kNonce;
  uint16_t nonce_size = 64;
  uint64_t manifest_gpa = kManifest;
  uint32_t manifest_size = kBufferSize;
  uint64_t certs_gpa = kCerts;
  uint32_t certs_size = kCertsBufferSize;
  std::array<uint8_t, 16> service_guid = kUefiMmGuid;
  uint32_t manifest_version = 0;

  std::vector<uint8_t> Bytes(bool single) const {
    std::vector<uint8_t> b(single ? 0x58 : 0x40, 0);
    PutLe(b, 0x00, report_gpa, 8);
    PutLe(b, 0x08, report_size, 4);
    PutLe(b, 0x10, nonce_gpa, 8);
    PutLe(b, 0x18, nonce_size, 2);
    PutLe(b, 0x20, manifest_gpa, 8);
    PutLe(b, 0x28, manifest_size, 4);
    PutLe(b, 0x30, certs_gpa, 8);
    PutLe(b, 0x38, certs_size, 4);
    if (single) {
      std::copy(service_guid.begin(), service_guid.end(), b.begin() + 0x40);
      PutLe(b, 0x50, manifest_version, 4);
    }
    return b;
  }
};

// --- OpenSSL (independent of the model) ----------------------------------------------------
// SHA-512(a || b) with EVP directly.
std::vector<uint8_t> Sha512Evp(std::span<const uint8_t> a, std::span<const uint8_t> b) {
  MdCtxPtr ctx(EVP_MD_CTX_new());
  std::vector<uint8_t> out(64);
  unsigned int len = 0;
  EXPECT_TRUE(ctx && EVP_DigestInit_ex(ctx.get(), EVP_sha512(), nullptr) == 1 &&
              EVP_DigestUpdate(ctx.get(), a.data(), a.size()) == 1 &&
              EVP_DigestUpdate(ctx.get(), b.data(), b.size()) == 1 &&
              EVP_DigestFinal_ex(ctx.get(), out.data(), &len) == 1 && len == 64);
  return out;
}

// --- Platforms -----------------------------------------------------------------------------
std::vector<uint8_t> VtpmManifest() { return Pattern(314, 0x11); }
std::vector<uint8_t> UefiMmManifest() { return {0, 0, 0, 0, 0x02, 0, 0, 0}; }

PlatformConfig TwoServicesPlatform() {
  PlatformConfig config = DefaultPlatformConfig();
  config.attestation.services = {{"vtpm", kVtpmGuid, VtpmManifest()},
                                 {"uefi-mm", kUefiMmGuid, UefiMmManifest()}};
  return config;
}

// The services manifest of `services`, built from facts §6 Table 12.
std::vector<uint8_t> ExpectedServicesManifest(const std::vector<AttestServiceConfig>& services) {
  const size_t header = 24 * (services.size() + 1);
  std::vector<uint8_t> m(header, 0);
  std::copy(kManifestHeaderGuid.begin(), kManifestHeaderGuid.end(), m.begin());
  PutLe(m, 0x14, services.size(), 4);
  for (size_t i = 0; i < services.size(); ++i) {
    const size_t at = 24 * (i + 1);
    std::copy(services[i].guid.begin(), services[i].guid.end(), m.begin() + at);
    PutLe(m, at + 16, m.size(), 4);
    PutLe(m, at + 20, services[i].manifest.size(), 4);
    m.insert(m.end(), services[i].manifest.begin(), services[i].manifest.end());
  }
  PutLe(m, 0x10, m.size(), 4);
  return m;
}

// --- Fixture -------------------------------------------------------------------------------
// Parameter: false = SVSM_ATTEST_SERVICES, true = SVSM_ATTEST_SINGLE_SERVICE (selecting the
// second of the two services, UEFI MM).
class AttestCall : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override { Build(TwoServicesPlatform()); }

  void Build(const PlatformConfig& config) {
    config_ = config;
    svsm_ = MakeSvsm(config_);
    ASSERT_NE(svsm_, nullptr);
    nonce_ = Pattern(64, 0x40);
    GuestWriteBytes(*svsm_, kNonce, nonce_);
    FillBuffers();
  }

  bool single() const { return GetParam(); }
  std::string RuleId(const std::string& suffix) const {
    return (single() ? "attest.single-service." : "attest.services.") + suffix;
  }
  uint64_t Rax() const {
    return AttestRax(single() ? SVSM_ATTEST_SINGLE_SERVICE : SVSM_ATTEST_SERVICES);
  }

  void FillBuffers() {
    GuestWriteBytes(*svsm_, kReport, std::vector<uint8_t>(kBufferSize, kFill));
    GuestWriteBytes(*svsm_, kManifest, std::vector<uint8_t>(kBufferSize, kFill));
    GuestWriteBytes(*svsm_, kCerts, std::vector<uint8_t>(kCertsBufferSize, kFill));
  }

  // The manifest the call returns on this platform (built by the test).
  std::vector<uint8_t> ExpectedManifest() const {
    if (single()) return UefiMmManifest();
    return ExpectedServicesManifest(config_.attestation.services);
  }
  uint64_t CertTableSize() const { return svsm_->firmware().CertificateTable().size(); }

  // Writes `op_bytes` at `at` and calls with RCX = `rcx` (default: `at`).
  CallResult Run(const std::vector<uint8_t>& op_bytes, uint64_t at = kOp,
                 std::optional<uint64_t> rcx = std::nullopt) {
    if (!op_bytes.empty()) GuestWriteBytes(*svsm_, at, op_bytes);
    op_at_ = at;
    op_bytes_ = op_bytes;
    reports_before_ = svsm_->firmware().reports_issued();
    rcx_in_ = rcx.value_or(at);
    return Call(*svsm_, 0, Regs(Rax(), rcx_in_, kAllOnes, kAllOnes, kR9In));
  }
  CallResult Run(const Op& op) { return Run(op.Bytes(single())); }

  // Nothing was written: the buffers hold the fill pattern, the operation structure and the
  // nonce are unchanged, and no report was requested from the firmware.
  void ExpectNothingWritten(bool report_requested = false) {
    EXPECT_EQ(GuestReadBytes(*svsm_, kReport, kBufferSize), std::vector<uint8_t>(kBufferSize, kFill));
    EXPECT_EQ(GuestReadBytes(*svsm_, kManifest, kBufferSize),
              std::vector<uint8_t>(kBufferSize, kFill));
    EXPECT_EQ(GuestReadBytes(*svsm_, kCerts, kCertsBufferSize),
              std::vector<uint8_t>(kCertsBufferSize, kFill));
    EXPECT_EQ(GuestReadBytes(*svsm_, kNonce, nonce_.size()), nonce_);
    if (!op_bytes_.empty()) {
      std::vector<uint8_t> now(op_bytes_.size());
      ASSERT_TRUE(svsm_->PhysicalRead(op_at_, now));
      EXPECT_EQ(now, op_bytes_);
    }
    if (!report_requested) {
      EXPECT_EQ(svsm_->firmware().reports_issued(), reports_before_);
    }
  }

  // An error decided before the output sizes are known: RAX and rule as given, the other
  // registers as the guest passed them.
  void ExpectEarlyError(const CallResult& r, uint64_t rax, const std::string& rule) {
    EXPECT_EQ(r.outcome, CallResult::Outcome::kCompleted);
    EXPECT_EQ(r.regs.rax, rax) << std::hex << r.regs.rax;
    ASSERT_NE(r.rule_id, nullptr);
    EXPECT_EQ(std::string(r.rule_id), rule);
    EXPECT_EQ(r.regs.rcx, rcx_in_);
    EXPECT_EQ(r.regs.rdx, kAllOnes);
    EXPECT_EQ(r.regs.r8, kAllOnes);
    EXPECT_EQ(r.regs.r9, kR9In);
    EXPECT_EQ(r.call_pending_after, 0);
    ExpectNothingWritten();
  }

  // An error with every output size returned (too-small buffers, a failed SNP request).
  void ExpectSizedError(const CallResult& r, uint64_t rax, const std::string& rule,
                        uint64_t certs_size, bool report_requested = false) {
    EXPECT_EQ(r.outcome, CallResult::Outcome::kCompleted);
    EXPECT_EQ(r.regs.rax, rax) << std::hex << r.regs.rax;
    ASSERT_NE(r.rule_id, nullptr);
    EXPECT_EQ(std::string(r.rule_id), rule);
    EXPECT_EQ(r.regs.rcx, ExpectedManifest().size());
    EXPECT_EQ(r.regs.rdx, certs_size);
    EXPECT_EQ(r.regs.r8, kReportSize);
    EXPECT_EQ(r.regs.r9, kR9In);
    ExpectNothingWritten(report_requested);
  }

  // A successful call: outputs, manifest, certificates and the report verified end to end.
  void ExpectSuccess(const CallResult& r, const Op& op, std::span<const uint8_t> nonce,
                     bool certs_requested) {
    EXPECT_EQ(r.outcome, CallResult::Outcome::kCompleted);
    ASSERT_EQ(r.regs.rax, SVSM_SUCCESS) << std::hex << r.regs.rax << " " << (r.rule_id ? r.rule_id : "");
    ASSERT_NE(r.rule_id, nullptr);
    EXPECT_EQ(std::string(r.rule_id), RuleId("report"));
    const std::vector<uint8_t> manifest = ExpectedManifest();
    EXPECT_EQ(r.regs.rcx, manifest.size());
    EXPECT_EQ(r.regs.r8, kReportSize);
    EXPECT_EQ(r.regs.r9, kR9In);
    EXPECT_EQ(svsm_->firmware().reports_issued(), reports_before_ + 1);

    // Manifest: exactly its bytes, the rest of the buffer untouched.
    if (!manifest.empty()) {
      EXPECT_EQ(GuestReadBytes(*svsm_, op.manifest_gpa, manifest.size()), manifest);
    }

    // Certificates.
    std::optional<std::vector<CertEntry>> entries;
    if (certs_requested && svsm_->config().attestation.provide_certificates) {
      ASSERT_GT(r.regs.rdx, 2 * kCertEntrySize);
      const std::vector<uint8_t> table = GuestReadBytes(*svsm_, op.certs_gpa, r.regs.rdx);
      entries = WalkCertTable(table);
      ASSERT_TRUE(entries.has_value());
      ASSERT_EQ(entries->size(), 1u);
      EXPECT_EQ((*entries)[0].guid, Vec(kVcekGuid));
    } else {
      EXPECT_EQ(r.regs.rdx, 0u);
      if (op.certs_gpa == kCerts) {
        EXPECT_EQ(GuestReadBytes(*svsm_, kCerts, kCertsBufferSize),
                  std::vector<uint8_t>(kCertsBufferSize, kFill));
      }
    }

    // Report.
    const std::vector<uint8_t> report = GuestReadBytes(*svsm_, op.report_gpa, kReportSize);
    EXPECT_EQ(Slice(report, kReportDataOffset, 64), Sha512Evp(nonce, manifest))
        << "REPORT_DATA = SHA-512(nonce || manifest)";
    EXPECT_EQ(GetLe(report, kVmplOffset, 4), 0u) << "the SVSM requests a VMPL0 report";
    EXPECT_EQ(GetLe(report, kSignatureAlgoOffset, 4), 1u) << "ECDSA P-384 with SHA-384";
    PkeyPtr pem_key = ParsePublicKeyPem(svsm_->firmware().PublicKeyPem());
    ASSERT_NE(pem_key, nullptr);
    EXPECT_TRUE(VerifyReport(report, pem_key.get())) << "with the firmware's public key";
    if (entries) {
      X509Ptr cert = ParseCertificate((*entries)[0].der);
      ASSERT_NE(cert, nullptr);
      EXPECT_TRUE(VerifyReport(report, X509_get0_pubkey(cert.get())))
          << "with the certificate's key";
    }
    report_ = report;
  }

  PlatformConfig config_;
  std::unique_ptr<ReferenceSvsm> svsm_;
  std::vector<uint8_t> nonce_;
  std::vector<uint8_t> op_bytes_;
  std::vector<uint8_t> report_;
  uint64_t op_at_ = kOp;
  uint64_t rcx_in_ = kOp;
  uint64_t reports_before_ = 0;
};

// ---------------------------------------------------------------------------------------------
// <call>.report, .manifest, .report-data, .request-vmpl, .certificates (success)

TEST_P(AttestCall, SucceedsWithCertificatesAndVerifiesEndToEnd) {
  Op op;
  const CallResult r = Run(op);
  ExpectSuccess(r, op, nonce_, /*certs_requested=*/true);
  EXPECT_EQ(r.regs.rdx, CertTableSize());
  // The certificate table exactly, the rest of the buffer untouched.
  EXPECT_EQ(GuestReadBytes(*svsm_, kCerts, CertTableSize()), svsm_->firmware().CertificateTable());
  EXPECT_EQ(GuestReadBytes(*svsm_, kCerts + CertTableSize(), kCertsBufferSize - CertTableSize()),
            std::vector<uint8_t>(kCertsBufferSize - CertTableSize(), kFill));
  // Bytes after the report and after the manifest are untouched.
  EXPECT_EQ(GuestReadBytes(*svsm_, kReport + kReportSize, kBufferSize - kReportSize),
            std::vector<uint8_t>(kBufferSize - kReportSize, kFill));
  const size_t msize = ExpectedManifest().size();
  EXPECT_EQ(GuestReadBytes(*svsm_, kManifest + msize, kBufferSize - msize),
            std::vector<uint8_t>(kBufferSize - msize, kFill));
  // The call changes no SVSM state other than the guest buffers; the operation is unchanged.
  std::vector<uint8_t> now(op_bytes_.size());
  ASSERT_TRUE(svsm_->PhysicalRead(kOp, now));
  EXPECT_EQ(now, op_bytes_);
  EXPECT_EQ(GuestReadBytes(*svsm_, kNonce, 64), nonce_);
}

TEST_P(AttestCall, CertificatesNotRequestedGiveRdxZeroAndLeaveTheBufferAlone) {
  Op op;
  op.certs_size = 0;
  const CallResult r = Run(op);
  ExpectSuccess(r, op, nonce_, /*certs_requested=*/false);
  EXPECT_EQ(r.regs.rdx, 0u);
}

TEST_P(AttestCall, CertsGpaIsIgnoredWhenCertsSizeIsZero) {
  for (uint64_t certs_gpa : {kCerts + 8, kCerts + 1, kSvsmMemory, kHole, kAllOnes}) {
    FillBuffers();
    Op op;
    op.certs_gpa = certs_gpa;
    op.certs_size = 0;
    const CallResult r = Run(op);
    ExpectSuccess(r, op, nonce_, /*certs_requested=*/false);
    EXPECT_EQ(r.regs.rdx, 0u) << std::hex << certs_gpa;
  }
}

TEST_P(AttestCall, ExactSizeBuffersAreEnough) {
  Op op;
  op.report_size = kReportSize;
  op.manifest_size = static_cast<uint32_t>(ExpectedManifest().size());
  op.certs_size = static_cast<uint32_t>(CertTableSize());
  const CallResult r = Run(op);
  ExpectSuccess(r, op, nonce_, /*certs_requested=*/true);
  EXPECT_EQ(r.regs.rdx, CertTableSize());
}

TEST_P(AttestCall, BuffersAndOperationInSharedRamWork) {
  Op op;
  op.report_gpa = kSharedRam;
  op.manifest_gpa = kSharedRam + 0x1000;
  op.certs_gpa = kSharedRam + 0x2000;
  op.nonce_gpa = kSharedRam + 0x7000;
  GuestWriteBytes(*svsm_, op.nonce_gpa, nonce_);
  const CallResult r = Run(op.Bytes(single()), kSharedRam + 0x8000);
  ExpectSuccess(r, op, nonce_, /*certs_requested=*/true);
}

TEST_P(AttestCall, OperationEndingExactlyAtThePageEndIsAccepted) {
  Op op;
  const uint64_t at = kOp + 0x1000 - (single() ? 0x58 : 0x40);
  const CallResult r = Run(op.Bytes(single()), at);
  ExpectSuccess(r, op, nonce_, /*certs_requested=*/true);
}

TEST_P(AttestCall, OperationAtCaaPlus8LikeLinux) {
  // Linux copies the operation structure to CAA+8 and passes that gPA in RCX.
  Op op;
  const CallResult r = Run(op.Bytes(single()), svsm_->config().startup_caa + 8);
  ExpectSuccess(r, op, nonce_, /*certs_requested=*/true);
}

TEST_P(AttestCall, BuffersLargerThanOnePageAreUsedContiguously) {
  // Buffers > 4 KiB are treated as physically contiguous.
  Op op;
  op.report_size = 0x3000;
  op.manifest_size = 0x2000;
  const CallResult r = Run(op);
  ExpectSuccess(r, op, nonce_, /*certs_requested=*/true);
}

// <call>.nonce-size (freedom): the model accepts every size; the nonce is hashed as given.
TEST_P(AttestCall, NonceOfSizeZeroIsHashedAsEmpty) {
  Op op;
  op.nonce_size = 0;
  const CallResult r = Run(op);
  ExpectSuccess(r, op, {}, /*certs_requested=*/true);
  EXPECT_EQ(Slice(report_, kReportDataOffset, 64), Sha512Evp({}, ExpectedManifest()));
}

TEST_P(AttestCall, NonceOfSizeZeroIsNotRead) {
  // Zero bytes at an address the SVSM may not touch: nothing to read, nothing refused.
  Op op;
  op.nonce_size = 0;
  op.nonce_gpa = kSvsmMemory;
  const CallResult r = Run(op);
  ExpectSuccess(r, op, {}, /*certs_requested=*/true);
}

TEST_P(AttestCall, NonceOfSize64) {
  Op op;
  op.nonce_size = 64;
  ExpectSuccess(Run(op), op, nonce_, /*certs_requested=*/true);
}

TEST_P(AttestCall, NonceOfOneWholePage) {
  const std::vector<uint8_t> nonce = Pattern(4096, 0x03);
  GuestWriteBytes(*svsm_, 0x208000, nonce);
  Op op;
  op.nonce_gpa = 0x208000;
  op.nonce_size = 4096;
  ExpectSuccess(Run(op), op, nonce, /*certs_requested=*/true);
}

TEST_P(AttestCall, NonceOfOddSizeEndingAtThePageEnd) {
  const std::vector<uint8_t> nonce = Pattern(33, 0x77);
  GuestWriteBytes(*svsm_, 0x208FDF, nonce);
  Op op;
  op.nonce_gpa = 0x208FDF;
  op.nonce_size = 33;
  ExpectSuccess(Run(op), op, nonce, /*certs_requested=*/true);
}

TEST_P(AttestCall, DifferentNoncesGiveDifferentReportData) {
  Op op;
  ExpectSuccess(Run(op), op, nonce_, true);
  const std::vector<uint8_t> first = Slice(report_, kReportDataOffset, 64);
  nonce_[0] ^= 1;
  GuestWriteBytes(*svsm_, kNonce, nonce_);
  FillBuffers();
  ExpectSuccess(Run(op), op, nonce_, true);
  EXPECT_NE(Slice(report_, kReportDataOffset, 64), first);
}

// attest.report-signing-key (freedom): the model asks for key selection 0 and its firmware
// has only the VCEK stand-in, so SIGNING_KEY (signer info bits 4:2) is 0 (VCEK).
TEST_P(AttestCall, ReportIsSignedWithTheVcekStandIn) {
  Op op;
  ExpectSuccess(Run(op), op, nonce_, true);
  EXPECT_EQ((GetLe(report_, kSignerInfoOffset, 4) >> 2) & 0x7, 0u);
}

TEST_P(AttestCall, ConfiguredSigningKeyVerifiesTheReport) {
  PlatformConfig config = TwoServicesPlatform();
  config.attestation.signing_key_pem = kTestP384KeyPem;
  Build(config);
  Op op;
  ExpectSuccess(Run(op), op, nonce_, true);
  PkeyPtr fixed = ParsePublicKeyPem(kTestP384PublicKeyPem);
  ASSERT_NE(fixed, nullptr);
  EXPECT_TRUE(VerifyReport(report_, fixed.get())) << "with the configured key's public part";
  // And not with another key.
  auto other = MakeSvsm(TwoServicesPlatform());
  PkeyPtr other_key = ParsePublicKeyPem(other->firmware().PublicKeyPem());
  EXPECT_FALSE(VerifyReport(report_, other_key.get()));
  std::vector<uint8_t> tampered = report_;
  tampered[kReportDataOffset] ^= 1;
  EXPECT_FALSE(VerifyReport(tampered, fixed.get()));
}

TEST_P(AttestCall, NoCertificatesAvailableGivesRdxZero) {
  PlatformConfig config = TwoServicesPlatform();
  config.attestation.provide_certificates = false;
  Build(config);
  Op op;
  const CallResult r = Run(op);
  ExpectSuccess(r, op, nonce_, /*certs_requested=*/true);
  EXPECT_EQ(r.regs.rdx, 0u);
  EXPECT_EQ(GuestReadBytes(*svsm_, kCerts, kCertsBufferSize),
            std::vector<uint8_t>(kCertsBufferSize, kFill));
}

// <call>.certs-size-limit (freedom): the model sets no upper bound.
TEST_P(AttestCall, LargeCertificateBufferIsAccepted) {
  Op op;
  op.certs_size = 0x10000;  // 64 KiB, larger than COCONUT's 0x4000
  const CallResult r = Run(op);
  ExpectSuccess(r, op, nonce_, true);
  EXPECT_EQ(r.regs.rdx, CertTableSize());
}

// ---------------------------------------------------------------------------------------------
// <call>.op-misaligned

TEST_P(AttestCall, OpMisaligned) {
  Op op;
  for (uint64_t offset : {1, 2, 4, 7}) {
    const CallResult r = Run(op.Bytes(single()), kOp + 8, kOp + 8 + offset);
    ExpectEarlyError(r, SVSM_ERR_INVALID_PARAMETER, RuleId("op-misaligned"));
  }
}

// <call>.op-crosses-page
TEST_P(AttestCall, OpCrossesPage) {
  Op op;
  for (uint64_t at : {kOp + 0xFF8, kOp + 0xFC8}) {
    const CallResult r = Run(op.Bytes(single()), at);
    ExpectEarlyError(r, SVSM_ERR_INVALID_PARAMETER, RuleId("op-crosses-page"));
  }
}

TEST(AttestSingleServiceLayout, OpOfServicesSizeAtPageEndStillCrossesForSingleService) {
  // 0x40 bytes would fit at page offset 0xFC0, the 0x58-byte single-service operation does not.
  auto svsm = MakeSvsm(TwoServicesPlatform());
  Op op;
  GuestWriteBytes(*svsm, kNonce, Pattern(64, 1));
  const std::vector<uint8_t> bytes = op.Bytes(true);
  GuestWriteBytes(*svsm, kOp + 0xFC0, std::span<const uint8_t>(bytes).first(0x40));
  const CallResult r = Call(*svsm, 0, Regs(AttestRax(SVSM_ATTEST_SINGLE_SERVICE), kOp + 0xFC0));
  EXPECT_EQ(r.regs.rax, SVSM_ERR_INVALID_PARAMETER);
  EXPECT_STREQ(r.rule_id, "attest.single-service.op-crosses-page");
  EXPECT_EQ(r.regs.rcx, kOp + 0xFC0);
}

// <call>.op-inaccessible
TEST_P(AttestCall, OpInaccessible) {
  struct Case {
    const char* what;
    uint64_t gpa;
  };
  for (const Case& c : {Case{"SVSM memory", kSvsmMemory}, Case{"last SVSM page", kSvsmMemory + 0xFFF000},
                        Case{"unvalidated page", kUnvalidated}, Case{"hole", kHole},
                        Case{"MMIO", kMmio}, Case{"startup VMSA", kStartupVmsa},
                        Case{"beyond RAM", 0x200000000}, Case{"top of the address space", 0xFFFFFFFFFFFFF000}}) {
    SCOPED_TRACE(c.what);
    const CallResult r = Run({}, c.gpa);
    ExpectEarlyError(r, SVSM_ERR_INVALID_ADDRESS, RuleId("op-inaccessible"));
  }
}

TEST_P(AttestCall, OpInAPageTheGuestRescindedIsInaccessible) {
  // Rescind (PVALIDATE action 0) the op page through the core protocol, then call.
  Op op;
  GuestWriteBytes(*svsm_, kOp, op.Bytes(single()));
  const uint64_t list = svsm_->config().startup_caa + 8;
  WriteList(*svsm_, list, {PvalidateEntryBits(kOp, 0, 0)});
  ASSERT_EQ(Call(*svsm_, 0, Regs(CoreRax(SVSM_CORE_PVALIDATE), list)).regs.rax, SVSM_SUCCESS);
  ASSERT_FALSE(svsm_->PageStateAt(kOp).validated);
  reports_before_ = svsm_->firmware().reports_issued();
  rcx_in_ = kOp;
  const CallResult r = Call(*svsm_, 0, Regs(Rax(), kOp, kAllOnes, kAllOnes, kR9In));
  EXPECT_EQ(r.regs.rax, SVSM_ERR_INVALID_ADDRESS);
  EXPECT_STREQ(r.rule_id, RuleId("op-inaccessible").c_str());
  EXPECT_EQ(r.regs.rdx, kAllOnes);
  EXPECT_EQ(svsm_->firmware().reports_issued(), reports_before_);
}

// <call>.reserved-nonzero: every byte of every reserved field, one at a time.
TEST_P(AttestCall, ReservedNonzero) {
  std::vector<std::pair<size_t, size_t>> ranges = {{0x0C, 0x10}, {0x1A, 0x20}, {0x2C, 0x30}, {0x3C, 0x40}};
  if (single()) ranges.push_back({0x54, 0x58});
  for (const auto& [begin, end] : ranges) {
    for (size_t i = begin; i < end; ++i) {
      for (uint8_t value : {uint8_t{0x01}, uint8_t{0x80}}) {
        SCOPED_TRACE(::testing::Message() << "byte 0x" << std::hex << i << " = 0x" << int{value});
        std::vector<uint8_t> bytes = Op().Bytes(single());
        bytes[i] = value;
        const CallResult r = Run(bytes);
        ExpectEarlyError(r, SVSM_ERR_INVALID_PARAMETER, RuleId("reserved-nonzero"));
      }
    }
  }
}

TEST_P(AttestCall, LinuxStyleU32NonceLengthWithZeroUpperBytesIsAccepted) {
  // Linux writes the nonce length as a u32 over 0x18-0x1B; below 65536 bytes 0x1A-0x1B are 0.
  Op op;
  std::vector<uint8_t> bytes = op.Bytes(single());
  PutLe(bytes, 0x18, 64, 4);
  ExpectSuccess(Run(bytes), op, nonce_, true);
}

// <call>.buffer-misaligned
TEST_P(AttestCall, BufferMisaligned) {
  struct Case {
    const char* what;
    uint64_t Op::*field;
    uint64_t gpa;
  };
  for (const Case& c : {Case{"report +8", &Op::report_gpa, kReport + 8},
                        Case{"report +0x800", &Op::report_gpa, kReport + 0x800},
                        Case{"manifest +1", &Op::manifest_gpa, kManifest + 1},
                        Case{"manifest +0x10", &Op::manifest_gpa, kManifest + 0x10},
                        Case{"certs +8", &Op::certs_gpa, kCerts + 8},
                        Case{"certs +0xFFF", &Op::certs_gpa, kCerts + 0xFFF}}) {
    SCOPED_TRACE(c.what);
    Op op;
    op.*c.field = c.gpa;
    const CallResult r = Run(op);
    ExpectEarlyError(r, SVSM_ERR_INVALID_PARAMETER, RuleId("buffer-misaligned"));
  }
}

TEST_P(AttestCall, MisalignedReportBufferIsRefusedEvenWhenTooSmall) {
  Op op;
  op.report_gpa = kReport + 8;
  op.report_size = 0;
  ExpectEarlyError(Run(op), SVSM_ERR_INVALID_PARAMETER, RuleId("buffer-misaligned"));
}

// <call>.buffer-inaccessible
TEST_P(AttestCall, BufferInaccessible) {
  struct Case {
    const char* what;
    uint64_t Op::*gpa;
    uint32_t Op::*size;
    uint64_t at;
    uint32_t bytes;
  };
  const std::vector<Case> cases = {
      {"report in SVSM memory", &Op::report_gpa, &Op::report_size, kSvsmMemory, 0x1000},
      {"report runs into SVSM memory", &Op::report_gpa, &Op::report_size, kSvsmMemory - 0x1000, 0x2000},
      {"report unvalidated", &Op::report_gpa, &Op::report_size, kUnvalidated, 0x1000},
      {"report in a hole", &Op::report_gpa, &Op::report_size, kHole, 0x1000},
      {"report in MMIO", &Op::report_gpa, &Op::report_size, kMmio, 0x1000},
      {"report on the VMSA", &Op::report_gpa, &Op::report_size, kStartupVmsa, 0x1000},
      {"report covers the VMSA", &Op::report_gpa, &Op::report_size, kStartupVmsa - 0x1000, 0x2000},
      {"report overflows", &Op::report_gpa, &Op::report_size, 0xFFFFFFFFFFFFF000, 0x2000},
      {"report beyond boot RAM", &Op::report_gpa, &Op::report_size, 0xFFF000, 0x2000},
      {"manifest in SVSM memory", &Op::manifest_gpa, &Op::manifest_size, kSvsmMemory + 0x5000, 0x1000},
      {"manifest unvalidated", &Op::manifest_gpa, &Op::manifest_size, kUnvalidated + 0x1000, 0x1000},
      {"manifest overflows", &Op::manifest_gpa, &Op::manifest_size, 0xFFFFFFFFFFFFF000, 0x1001},
      {"manifest huge", &Op::manifest_gpa, &Op::manifest_size, kManifest, 0xFFFFFFFF},
      {"certs in SVSM memory", &Op::certs_gpa, &Op::certs_size, kSvsmMemory, 0x4000},
      {"certs in a hole", &Op::certs_gpa, &Op::certs_size, kHole, 0x4000},
      {"certs overflow", &Op::certs_gpa, &Op::certs_size, 0xFFFFFFFFFFFFF000, 0x4000},
      {"certs beyond boot RAM", &Op::certs_gpa, &Op::certs_size, 0xFFE000, 0x4000},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    Op op;
    op.*c.gpa = c.at;
    op.*c.size = c.bytes;
    const CallResult r = Run(op);
    ExpectEarlyError(r, SVSM_ERR_INVALID_ADDRESS, RuleId("buffer-inaccessible"));
  }
}

TEST_P(AttestCall, BufferInDepositedMemoryIsInaccessible) {
  // Memory the guest deposited (DEPOSIT_MEM) is the SVSM's until withdrawn.
  svsm_->mutable_deposited().insert(0x209000 >> 12);
  for (uint64_t Op::*field : {&Op::report_gpa, &Op::manifest_gpa, &Op::certs_gpa}) {
    Op op;
    op.*field = 0x209000;
    ExpectEarlyError(Run(op), SVSM_ERR_INVALID_ADDRESS, RuleId("buffer-inaccessible"));
  }
  Op op;
  op.nonce_gpa = 0x209000;
  ExpectEarlyError(Run(op), SVSM_ERR_INVALID_ADDRESS, RuleId("nonce-inaccessible"));
  ExpectEarlyError(Run(Op().Bytes(single()), 0x209000), SVSM_ERR_INVALID_ADDRESS,
                   RuleId("op-inaccessible"));
}

// The platform's RAM regions partition contiguous physical memory for configuration reasons
// (boot-ram 0-16 MiB is a region of its own only because the launch validates it): a buffer
// spanning boot-ram and low-ram whose pages are all validated is memory the SVSM may access.
TEST_P(AttestCall, BufferSpanningTwoAdjacentValidatedRamRegionsIsAccessible) {
  const uint64_t list = svsm_->config().startup_caa + 8;
  WriteList(*svsm_, list, {PvalidateEntryBits(0x1000000, 0, 1)});
  ASSERT_EQ(Call(*svsm_, 0, Regs(CoreRax(SVSM_CORE_PVALIDATE), list)).regs.rax, SVSM_SUCCESS);
  Op op;
  op.report_gpa = 0xFFF000;
  op.report_size = 0x2000;
  ExpectSuccess(Run(op), op, nonce_, /*certs_requested=*/true);
}

// <call>.nonce-crosses-page
TEST_P(AttestCall, NonceCrossesPage) {
  struct Case {
    uint64_t gpa;
    uint16_t size;
  };
  for (const Case& c : {Case{kOp + 0x1FF0, 64}, Case{0x208001, 4096}, Case{0x208000, 4097},
                        Case{0x208FFF, 2}, Case{0x208000, 0xFFFF}}) {
    SCOPED_TRACE(::testing::Message() << std::hex << c.gpa << " size " << c.size);
    Op op;
    op.nonce_gpa = c.gpa;
    op.nonce_size = c.size;
    ExpectEarlyError(Run(op), SVSM_ERR_INVALID_PARAMETER, RuleId("nonce-crosses-page"));
  }
}

// <call>.nonce-inaccessible
TEST_P(AttestCall, NonceInaccessible) {
  for (uint64_t gpa : {kSvsmMemory + 0x100, kUnvalidated, kHole, kMmio, kStartupVmsa + 0x40,
                       0xFFFFFFFFFFFFFF00}) {
    SCOPED_TRACE(::testing::Message() << std::hex << gpa);
    Op op;
    op.nonce_gpa = gpa;
    ExpectEarlyError(Run(op), SVSM_ERR_INVALID_ADDRESS, RuleId("nonce-inaccessible"));
  }
}

// <call>.report-buffer-too-small (with every output size)
TEST_P(AttestCall, ReportBufferTooSmall) {
  for (uint32_t size : {0u, 1u, 0x49Fu}) {
    SCOPED_TRACE(size);
    Op op;
    op.report_size = size;
    ExpectSizedError(Run(op), SVSM_ERR_INVALID_PARAMETER, RuleId("report-buffer-too-small"),
                     CertTableSize());
  }
  Op op;
  op.report_size = 0;
  op.certs_size = 0;
  ExpectSizedError(Run(op), SVSM_ERR_INVALID_PARAMETER, RuleId("report-buffer-too-small"), 0);
}

// <call>.manifest-buffer-too-small
TEST_P(AttestCall, ManifestBufferTooSmall) {
  const uint32_t need = static_cast<uint32_t>(ExpectedManifest().size());
  ASSERT_GT(need, 0u);
  for (uint32_t size : {0u, need - 1}) {
    SCOPED_TRACE(size);
    Op op;
    op.manifest_size = size;
    ExpectSizedError(Run(op), SVSM_ERR_INVALID_PARAMETER, RuleId("manifest-buffer-too-small"),
                     CertTableSize());
  }
}

// <call>.certs-buffer-too-small
TEST_P(AttestCall, CertsBufferTooSmall) {
  for (uint32_t size : {1u, 24u, static_cast<uint32_t>(CertTableSize() - 1)}) {
    SCOPED_TRACE(size);
    Op op;
    op.certs_size = size;
    ExpectSizedError(Run(op), SVSM_ERR_INVALID_PARAMETER, RuleId("certs-buffer-too-small"),
                     CertTableSize());
  }
}

TEST_P(AttestCall, GuestCanRetryWithTheReturnedSizes) {
  // What Linux does: start with tiny buffers, grow them to the returned sizes, retry.
  Op op;
  op.report_size = 0x10;
  op.manifest_size = 0;
  op.certs_size = 0x10;
  CallResult r = Run(op);
  ASSERT_EQ(r.regs.rax, SVSM_ERR_INVALID_PARAMETER);
  op.report_size = static_cast<uint32_t>(r.regs.r8);
  op.manifest_size = static_cast<uint32_t>(r.regs.rcx);
  op.certs_size = static_cast<uint32_t>(r.regs.rdx);
  r = Run(op);
  ExpectSuccess(r, op, nonce_, true);
}

// <call>.snp-request-failed
TEST_P(AttestCall, SnpRequestFailed) {
  PlatformConfig config = TwoServicesPlatform();
  config.attestation.fail_snp_requests = true;
  Build(config);
  Op op;
  ExpectSizedError(Run(op), SVSM_ERR_ATTEST_SNP_REQUEST_FAILED, RuleId("snp-request-failed"),
                   CertTableSize(), /*report_requested=*/true);
  EXPECT_EQ(svsm_->firmware().reports_issued(), 0u);
  op.certs_size = 0;
  const CallResult r = Run(op);
  EXPECT_EQ(r.regs.rax, 0x80001000u);
  ExpectSizedError(r, SVSM_ERR_ATTEST_SNP_REQUEST_FAILED, RuleId("snp-request-failed"), 0, true);
}

std::string CallName(const ::testing::TestParamInfo<bool>& info) {
  return info.param ? "SingleService" : "Services";
}
INSTANTIATE_TEST_SUITE_P(Attest, AttestCall, ::testing::Values(false, true), CallName);

// ---------------------------------------------------------------------------------------------
// SVSM_ATTEST_SERVICES only

// attest.services.manifest: the layout parsed field by field.
TEST(AttestServices, ManifestLayoutParsedByTheGuest) {
  auto svsm = MakeSvsm(TwoServicesPlatform());
  GuestWriteBytes(*svsm, kNonce, Pattern(64, 9));
  Op op;
  op.certs_size = 0;
  GuestWriteBytes(*svsm, kOp, op.Bytes(false));
  const CallResult r = Call(*svsm, 0, Regs(AttestRax(SVSM_ATTEST_SERVICES), kOp));
  ASSERT_EQ(r.regs.rax, SVSM_SUCCESS);
  EXPECT_STREQ(r.rule_id, "attest.services.report");
  const uint64_t len = r.regs.rcx;
  ASSERT_EQ(len, 24u * 3 + 314 + 8);
  const std::vector<uint8_t> m = GuestReadBytes(*svsm, kManifest, len);
  EXPECT_EQ(Slice(m, 0, 16), (std::vector<uint8_t>{0xbb, 0x9e, 0x84, 0x63, 0x92, 0x3d, 0x70, 0x46,
                                                    0xa1, 0xff, 0x58, 0xf9, 0xc9, 0x4b, 0x87, 0xbb}));
  EXPECT_EQ(GetLe(m, 0x10, 4), len) << "total_length";
  ASSERT_EQ(GetLe(m, 0x14, 4), 2u) << "entry_count";
  // Entry 0: vTPM, blob right after the entries.
  EXPECT_EQ(Slice(m, 0x18, 16), Vec(kVtpmGuid));
  EXPECT_EQ(GetLe(m, 0x28, 4), 72u);
  EXPECT_EQ(GetLe(m, 0x2C, 4), 314u);
  // Entry 1: UEFI MM, blob after the vTPM's.
  EXPECT_EQ(Slice(m, 0x30, 16), Vec(kUefiMmGuid));
  EXPECT_EQ(GetLe(m, 0x40, 4), 72u + 314);
  EXPECT_EQ(GetLe(m, 0x44, 4), 8u);
  EXPECT_EQ(Slice(m, 72, 314), VtpmManifest());
  EXPECT_EQ(Slice(m, 72 + 314, 8), UefiMmManifest());
  // REPORT_DATA binds exactly this manifest.
  const std::vector<uint8_t> report = GuestReadBytes(*svsm, kReport, kReportSize);
  EXPECT_EQ(Slice(report, kReportDataOffset, 64), Sha512Evp(Pattern(64, 9), m));
}

TEST(AttestServices, ManifestWithoutServicesIsTheBareHeader) {
  auto svsm = MakeSvsm();  // the default platform offers no services
  GuestWriteBytes(*svsm, kNonce, Pattern(64, 9));
  Op op;
  GuestWriteBytes(*svsm, kOp, op.Bytes(false));
  const CallResult r = Call(*svsm, 0, Regs(AttestRax(SVSM_ATTEST_SERVICES), kOp));
  ASSERT_EQ(r.regs.rax, SVSM_SUCCESS);
  EXPECT_EQ(r.regs.rcx, 24u);
  const std::vector<uint8_t> m = GuestReadBytes(*svsm, kManifest, 24);
  EXPECT_EQ(Slice(m, 0, 16), Vec(kManifestHeaderGuid));
  EXPECT_EQ(GetLe(m, 0x10, 4), 24u);
  EXPECT_EQ(GetLe(m, 0x14, 4), 0u);
}

TEST(AttestServices, ServiceWithAnEmptyManifestStillHasAnEntry) {
  PlatformConfig config = DefaultPlatformConfig();
  config.attestation.services = {{"empty", kRebootGuid, {}}, {"uefi-mm", kUefiMmGuid, UefiMmManifest()}};
  auto svsm = MakeSvsm(config);
  GuestWriteBytes(*svsm, kNonce, Pattern(64, 9));
  Op op;
  GuestWriteBytes(*svsm, kOp, op.Bytes(false));
  const CallResult r = Call(*svsm, 0, Regs(AttestRax(SVSM_ATTEST_SERVICES), kOp));
  ASSERT_EQ(r.regs.rax, SVSM_SUCCESS);
  EXPECT_EQ(GuestReadBytes(*svsm, kManifest, r.regs.rcx), ExpectedServicesManifest(config.attestation.services));
  const std::vector<uint8_t> m = GuestReadBytes(*svsm, kManifest, r.regs.rcx);
  EXPECT_EQ(GetLe(m, 0x28, 4), 72u);
  EXPECT_EQ(GetLe(m, 0x2C, 4), 0u);
  EXPECT_EQ(GetLe(m, 0x40, 4), 72u);
  EXPECT_EQ(GetLe(m, 0x44, 4), 8u);
}

// ---------------------------------------------------------------------------------------------
// SVSM_ATTEST_SINGLE_SERVICE only

class AttestSingleService : public ::testing::Test {
 protected:
  void SetUp() override {
    svsm_ = MakeSvsm(TwoServicesPlatform());
    ASSERT_NE(svsm_, nullptr);
    GuestWriteBytes(*svsm_, kNonce, Pattern(64, 0x40));
    GuestWriteBytes(*svsm_, kReport, std::vector<uint8_t>(kBufferSize, kFill));
    GuestWriteBytes(*svsm_, kManifest, std::vector<uint8_t>(kBufferSize, kFill));
  }
  CallResult Run(const Op& op) {
    GuestWriteBytes(*svsm_, kOp, op.Bytes(true));
    return Call(*svsm_, 0, Regs(AttestRax(SVSM_ATTEST_SINGLE_SERVICE), kOp, kAllOnes, kAllOnes));
  }
  void ExpectRefused(const CallResult& r, const char* rule) {
    EXPECT_EQ(r.regs.rax, SVSM_ERR_INVALID_PARAMETER);
    EXPECT_STREQ(r.rule_id, rule);
    EXPECT_EQ(r.regs.rcx, kOp);
    EXPECT_EQ(r.regs.rdx, kAllOnes);
    EXPECT_EQ(r.regs.r8, kAllOnes);
    EXPECT_EQ(GuestReadBytes(*svsm_, kReport, kBufferSize), std::vector<uint8_t>(kBufferSize, kFill));
    EXPECT_EQ(GuestReadBytes(*svsm_, kManifest, kBufferSize), std::vector<uint8_t>(kBufferSize, kFill));
    EXPECT_EQ(svsm_->firmware().reports_issued(), 0u);
  }
  std::unique_ptr<ReferenceSvsm> svsm_;
};

// attest.single-service.manifest: the selected service's blob, whichever position it has.
TEST_F(AttestSingleService, ManifestIsTheSelectedServicesBlob) {
  Op op;
  op.service_guid = kVtpmGuid;
  const CallResult r = Run(op);
  ASSERT_EQ(r.regs.rax, SVSM_SUCCESS);
  EXPECT_STREQ(r.rule_id, "attest.single-service.report");
  EXPECT_EQ(r.regs.rcx, 314u);
  EXPECT_EQ(GuestReadBytes(*svsm_, kManifest, 314), VtpmManifest());
  const std::vector<uint8_t> report = GuestReadBytes(*svsm_, kReport, kReportSize);
  EXPECT_EQ(Slice(report, kReportDataOffset, 64), Sha512Evp(Pattern(64, 0x40), VtpmManifest()));
  PkeyPtr key = ParsePublicKeyPem(svsm_->firmware().PublicKeyPem());
  EXPECT_TRUE(VerifyReport(report, key.get()));
}

TEST_F(AttestSingleService, ServiceWithAnEmptyManifest) {
  PlatformConfig config = DefaultPlatformConfig();
  config.attestation.services = {{"empty", kRebootGuid, {}}};
  svsm_ = MakeSvsm(config);
  GuestWriteBytes(*svsm_, kNonce, Pattern(64, 0x40));
  GuestWriteBytes(*svsm_, kManifest, std::vector<uint8_t>(kBufferSize, kFill));
  Op op;
  op.service_guid = kRebootGuid;
  op.manifest_size = 0;
  const CallResult r = Run(op);
  ASSERT_EQ(r.regs.rax, SVSM_SUCCESS);
  EXPECT_EQ(r.regs.rcx, 0u);
  EXPECT_EQ(GuestReadBytes(*svsm_, kManifest, kBufferSize), std::vector<uint8_t>(kBufferSize, kFill));
  const std::vector<uint8_t> report = GuestReadBytes(*svsm_, kReport, kReportSize);
  EXPECT_EQ(Slice(report, kReportDataOffset, 64), Sha512Evp(Pattern(64, 0x40), {}));
}

// attest.single-service.unknown-guid
TEST_F(AttestSingleService, UnknownGuid) {
  std::array<uint8_t, 16> services_header = kManifestHeaderGuid;
  std::array<uint8_t, 16> byte_swapped = kVtpmGuid;  // the string-order bytes, not mixed-endian
  std::swap(byte_swapped[0], byte_swapped[3]);
  std::swap(byte_swapped[1], byte_swapped[2]);
  for (const auto& guid : {kRebootGuid, std::array<uint8_t, 16>{}, services_header, byte_swapped}) {
    Op op;
    op.service_guid = guid;
    ExpectRefused(Run(op), "attest.single-service.unknown-guid");
  }
}

TEST_F(AttestSingleService, UnknownGuidOnAPlatformWithoutServices) {
  svsm_ = MakeSvsm();
  GuestWriteBytes(*svsm_, kNonce, Pattern(64, 0x40));
  GuestWriteBytes(*svsm_, kReport, std::vector<uint8_t>(kBufferSize, kFill));
  GuestWriteBytes(*svsm_, kManifest, std::vector<uint8_t>(kBufferSize, kFill));
  Op op;
  op.service_guid = kVtpmGuid;
  ExpectRefused(Run(op), "attest.single-service.unknown-guid");
}

// attest.single-service.manifest-version
TEST_F(AttestSingleService, ManifestVersionOtherThanZero) {
  for (uint32_t version : {1u, 2u, 0x80000000u, 0xFFFFFFFFu}) {
    Op op;
    op.manifest_version = version;
    ExpectRefused(Run(op), "attest.single-service.manifest-version");
  }
}

// ---------------------------------------------------------------------------------------------
// attest.unknown-call

TEST(AttestUnknownCall, RefusedWithUnsupportedCall) {
  auto svsm = MakeSvsm(TwoServicesPlatform());
  for (uint32_t call : {2u, 3u, 0x100u, 0xFFFFFFFFu}) {
    const RegisterSet in = Regs(AttestRax(call), kOp, 0x11, 0x22, 0x33);
    const CallResult r = Call(*svsm, 0, in);
    EXPECT_EQ(r.outcome, CallResult::Outcome::kCompleted);
    EXPECT_EQ(r.regs.rax, SVSM_ERR_UNSUPPORTED_CALL) << call;
    EXPECT_STREQ(r.rule_id, "attest.unknown-call");
    EXPECT_EQ(r.regs.rcx, kOp);
    EXPECT_EQ(r.regs.rdx, 0x11u);
    EXPECT_EQ(r.regs.r8, 0x22u);
    EXPECT_EQ(r.regs.r9, 0x33u);
  }
  EXPECT_EQ(svsm->firmware().reports_issued(), 0u);
}

TEST(AttestUnknownCall, ProtocolNotOfferedIsUnsupportedProtocol) {
  PlatformConfig config = TwoServicesPlatform();
  config.protocols = {{0, 1, 1}};
  auto svsm = MakeSvsm(config);
  const CallResult r = Call(*svsm, 0, Regs(AttestRax(SVSM_ATTEST_SERVICES), kOp));
  EXPECT_EQ(r.regs.rax, SVSM_ERR_UNSUPPORTED_PROTOCOL);
  EXPECT_STREQ(r.rule_id, "general.unsupported-protocol");
}

// Every rule of the two published calls and the protocol-wide rules is named by a test above;
// this pins the list against the spec, so a rule added to the spec is noticed here.
TEST(AttestRuleCoverage, EveryPublishedRuleIsKnownToThisFile) {
  const std::set<std::string> covered = {
      "attest.unknown-call", "attest.report-signing-key",
      "op-misaligned", "op-crosses-page", "op-inaccessible", "reserved-nonzero",
      "service-manifest-unavailable", "nonce-size", "nonce-crosses-page", "nonce-inaccessible",
      "snp-request-failed", "buffer-misaligned", "buffer-inaccessible", "certs-size-limit",
      "report-buffer-too-small", "manifest-buffer-too-small", "certs-buffer-too-small",
      "manifest", "report-data", "request-vmpl", "report", "certificates",
      "unknown-guid", "manifest-version"};
  size_t services = 0, single = 0;
  for (const svsm_spec::Rule* rule : ShippedSpec().AllRules()) {
    if (rule->protocol != "attest") continue;
    if (!rule->call.empty() && rule->call != "services" && rule->call != "single-service") continue;
    const std::string& id = rule->id;
    std::string prefix;
    if (id.rfind("attest.services.", 0) == 0) {
      prefix = "attest.services.";
      ++services;
    } else if (id.rfind("attest.single-service.", 0) == 0) {
      prefix = "attest.single-service.";
      ++single;
    } else {
      EXPECT_TRUE(covered.count(id) != 0) << id;
      continue;
    }
    EXPECT_TRUE(covered.count(id.substr(prefix.size())) != 0) << id;
  }
  EXPECT_EQ(services, 20u);
  EXPECT_EQ(single, 22u);
  EXPECT_NE(ShippedSpec().FindRule("attest.unknown-call"), nullptr);
  EXPECT_NE(ShippedSpec().FindRule("attest.report-signing-key"), nullptr);
}

}  // namespace
}  // namespace svsm_ref
