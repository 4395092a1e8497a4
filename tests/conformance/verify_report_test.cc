// The verify_report step (docs/vector-format.md): loading with the loader's strictness, and
// running against a fake target whose SERVICES call writes a manifest and an ATTESTATION_REPORT
// signed in the test with a generated P-384 key. A tampered byte, a wrong nonce or manifest
// size, a wrong VMPL or another key fail the step; a target without a key skips the test.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "svsm_conform/runner.h"
#include "svsm_conform/target.h"
#include "svsm_conform/vectors.h"
#include "svsm_spec/model.h"

namespace svsm_conform {
namespace {

using ::testing::HasSubstr;
using Bytes = std::vector<uint8_t>;

constexpr uint64_t kMemBase = 0x100000;
constexpr uint64_t kMemSize = 0x10000;
constexpr uint64_t kAttestServicesRax = uint64_t{1} << 32;  // protocol 1, call 0
constexpr size_t kReportSize = 0x4A0;

// ---------------------------------------------------------------------------------------
// A P-384 key, its public PEM, and signing in the ABI's format.

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;

PkeyPtr GenerateKey(const char* curve) {
  return PkeyPtr(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", curve));
}

std::string PublicPem(EVP_PKEY* key) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), &BIO_free);
  EXPECT_EQ(PEM_write_bio_PUBKEY(bio.get(), key), 1);
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(len));
}

// Signs bytes 0x000-0x29F of `report` and stores R and S (72 bytes little-endian each) at
// 0x2A0 and 0x2E8.
void SignReport(EVP_PKEY* key, Bytes& report) {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  size_t der_len = 0;
  ASSERT_EQ(EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha384(), nullptr, key), 1);
  ASSERT_EQ(EVP_DigestSign(ctx.get(), nullptr, &der_len, report.data(), 0x2A0), 1);
  Bytes der(der_len);
  ASSERT_EQ(EVP_DigestSign(ctx.get(), der.data(), &der_len, report.data(), 0x2A0), 1);
  const unsigned char* cursor = der.data();
  std::unique_ptr<ECDSA_SIG, decltype(&ECDSA_SIG_free)> sig(
      d2i_ECDSA_SIG(nullptr, &cursor, static_cast<long>(der_len)), &ECDSA_SIG_free);
  ASSERT_TRUE(sig);
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(sig.get(), &r, &s);
  ASSERT_EQ(BN_bn2lebinpad(r, report.data() + 0x2A0, 72), 72);
  ASSERT_EQ(BN_bn2lebinpad(s, report.data() + 0x2E8, 72), 72);
}

Bytes Sha512(const Bytes& a, const Bytes& b) {
  Bytes joined = a;
  joined.insert(joined.end(), b.begin(), b.end());
  Bytes digest(64);
  unsigned int len = 0;
  EXPECT_EQ(EVP_Digest(joined.data(), joined.size(), digest.data(), &len, EVP_sha512(), nullptr),
            1);
  return digest;
}

uint64_t Le(const Bytes& b, size_t at, size_t width) {
  uint64_t v = 0;
  for (size_t i = 0; i < width; ++i) v |= uint64_t{b[at + i]} << (8 * i);
  return v;
}

// ---------------------------------------------------------------------------------------
// A fake target: 64 KiB of memory at 0x100000; SVSM_ATTEST_SERVICES (RAX 0x100000000)
// reads the operation structure at RCX, writes a 24-byte manifest and a report whose
// REPORT_DATA is SHA-512(nonce || manifest), signed with `signer`, and returns the sizes.

class AttestFake : public Target {
 public:
  AttestFake(EVP_PKEY* signer, std::string declared_pem)
      : signer_(signer), pem_(std::move(declared_pem)), mem_(kMemSize) {}

  uint32_t report_vmpl = 0;

  TargetResult<TargetInfo> Hello() override {
    TargetInfo info;
    info.target = "verify_report fake";
    info.guest_vmpl = 2;
    info.protocols = {{0, 1, 1}, {1, 1, 1}};
    info.vcpus = {{0, 0, 0x801000, 0x802000}, {1, 1, std::nullopt, std::nullopt}};
    info.svsm_region = {0x40000000, 0x1000000, false};
    info.startup_vmsa = 0x802000;
    info.test_memory = {{kMemBase, kMemSize, true}};
    info.unmapped = 0xF0000000;
    info.capabilities = {"reset"};
    info.report_public_key = pem_;
    return TargetOk(info);
  }
  TargetResult<Empty> Reset() override {
    std::fill(mem_.begin(), mem_.end(), 0);
    return TargetOk(Empty{});
  }
  TargetResult<Bytes> Read(uint64_t gpa, uint32_t size) override {
    if (!InRange(gpa, size)) return TargetFail<Bytes>(TargetError::kFault, "read fault");
    return TargetOk(Bytes(mem_.begin() + Off(gpa), mem_.begin() + Off(gpa) + size));
  }
  TargetResult<Empty> Write(uint64_t gpa, std::span<const uint8_t> bytes) override {
    if (!InRange(gpa, bytes.size())) return TargetFail<Empty>(TargetError::kFault, "write fault");
    std::copy(bytes.begin(), bytes.end(), mem_.begin() + Off(gpa));
    return TargetOk(Empty{});
  }
  TargetResult<CallReply> Call(uint32_t vcpu, const RegisterSet& regs) override {
    CallReply reply;
    reply.regs = regs;
    if (vcpu != 0) {
      reply.outcome = CallOutcome::kCannotCall;
      return TargetOk(reply);
    }
    if (regs.rax != kAttestServicesRax || !InRange(regs.rcx, 0x40)) {
      reply.regs.rax = 0x80000000;  // anything else: INCOMPLETE-like failure the test never expects
      return TargetOk(reply);
    }
    const Bytes op(mem_.begin() + Off(regs.rcx), mem_.begin() + Off(regs.rcx) + 0x40);
    const uint64_t report_gpa = Le(op, 0x00, 8), nonce_gpa = Le(op, 0x10, 8),
                   manifest_gpa = Le(op, 0x20, 8);
    const uint64_t nonce_size = Le(op, 0x18, 2);
    const Bytes nonce(mem_.begin() + Off(nonce_gpa), mem_.begin() + Off(nonce_gpa) + nonce_size);
    Bytes manifest(24, 0xAB);
    Bytes report(kReportSize, 0);
    report[0] = 2;                                     // VERSION
    report[0x30] = static_cast<uint8_t>(report_vmpl);  // VMPL
    report[0x34] = 1;                                  // SIGNATURE_ALGO
    const Bytes report_data = Sha512(nonce, manifest);
    std::copy(report_data.begin(), report_data.end(), report.begin() + 0x50);
    std::fill(report.begin() + 0x90, report.begin() + 0xC0, 0x5A);  // MEASUREMENT
    SignReport(signer_, report);
    std::copy(report.begin(), report.end(), mem_.begin() + Off(report_gpa));
    std::copy(manifest.begin(), manifest.end(), mem_.begin() + Off(manifest_gpa));
    reply.regs = {0, manifest.size(), 0, kReportSize, regs.r9};
    return TargetOk(reply);
  }
  TargetResult<PageStateReply> PageState(uint64_t) override {
    return TargetFail<PageStateReply>(TargetError::kUnsupported, "no page-state");
  }
  TargetResult<Empty> SetRunning(uint32_t, bool) override {
    return TargetFail<Empty>(TargetError::kUnsupported, "no vcpu-control");
  }
  bool Restart(std::string*) override { return true; }

 private:
  static bool InRange(uint64_t gpa, uint64_t size) {
    return gpa >= kMemBase && size <= kMemSize && gpa - kMemBase <= kMemSize - size;
  }
  static size_t Off(uint64_t gpa) { return static_cast<size_t>(gpa - kMemBase); }

  EVP_PKEY* signer_;
  std::string pem_;
  Bytes mem_;
};

// ---------------------------------------------------------------------------------------
// Vectors: the operation structure at $test (report at $test+0x1000, nonce at $test+0x2000,
// manifest at $test+0x3000), a 64-byte nonce, the call, then `extra` steps and the check.

std::string Vector(const std::string& extra_steps, const std::string& verify) {
  return R"({
  "format": 1, "spec_revision": "0.1.0", "protocol": "attest", "call": "SVSM_ATTEST_SERVICES",
  "comment": "verify_report unit test", "flags": {}, "retired": [],
  "tests": [{
    "id": "t.verify", "comment": "c", "rules": ["attest.services.report-data"],
    "requires": {"protocols": {"attest": 1}},
    "steps": [
      {"write": "$test+0x2000", "hex": ")" +
         std::string(128, '7') + R"("},
      {"write": "$test", "le": [["u64", "$test+0x1000"], ["u32", "0x1000"], ["u32", 0],
                                ["u64", "$test+0x2000"], ["u16", 64], ["u16", 0], ["u32", 0],
                                ["u64", "$test+0x3000"], ["u32", "0x1000"], ["u32", 0],
                                ["u64", 0], ["u32", 0], ["u32", 0]]},
      {"call": {"rax": "0x100000000", "rcx": "$test"},
       "expect": {"result": "SVSM_SUCCESS", "regs": {"r8": "0x4a0"}}})" +
         extra_steps + R"(,
      )" +
         verify + R"(
    ]
  }]
})";
}

const char* kVerify =
    R"({"verify_report": "$test+0x1000", "nonce": {"at": "$test+0x2000", "size": 64},
        "manifest": {"at": "$test+0x3000", "size_from": "rcx"}, "vmpl": 0})";

svsm_spec::Spec MinimalSpec() {
  svsm_spec::Spec spec;
  spec.metadata.spec_revision = "test";
  svsm_spec::ResultCode ok;
  ok.name = "SVSM_SUCCESS";
  ok.value = 0;
  spec.result_codes = {ok};
  return spec;
}

std::string Join(const std::vector<std::string>& lines) {
  std::string out;
  for (const std::string& l : lines) out += l + "\n";
  return out;
}

TestResult RunOne(Target& target, const std::string& text) {
  std::vector<std::string> errors;
  auto file = ParseVectorFile(text, "t.json", &errors);
  EXPECT_TRUE(file) << Join(errors);
  if (!file) return {};
  const svsm_spec::Spec spec = MinimalSpec();
  RunOptions options;
  options.spec = &spec;
  RunReport report = RunVectors(target, {*file}, options);
  EXPECT_EQ(report.results.size(), 1u);
  return report.results.empty() ? TestResult{} : report.results.front();
}

class VerifyReportRun : public ::testing::Test {
 protected:
  void SetUp() override {
    key_ = GenerateKey("P-384");
    ASSERT_TRUE(key_);
    pem_ = PublicPem(key_.get());
  }
  PkeyPtr key_;
  std::string pem_;
};

TEST_F(VerifyReportRun, AGenuineReportPasses) {
  AttestFake target(key_.get(), pem_);
  const TestResult r = RunOne(target, Vector("", kVerify));
  EXPECT_EQ(r.status, TestStatus::kPass) << r.reason;
}

TEST_F(VerifyReportRun, AnExplicitManifestSizePasses) {
  AttestFake target(key_.get(), pem_);
  const TestResult r = RunOne(target, Vector("", R"({"verify_report": "$test+0x1000",
      "nonce": {"at": "$test+0x2000", "size": 64}, "manifest": {"at": "$test+0x3000", "size": 24},
      "vmpl": 0, "comment": "explicit sizes"})"));
  EXPECT_EQ(r.status, TestStatus::kPass) << r.reason;
}

TEST_F(VerifyReportRun, OneTamperedByteFailsTheSignature) {
  // Each byte position class: a measured field, REPORT_DATA itself, the signature's R and S.
  for (const char* at : {"$test+0x1000+0x90", "$test+0x1000+0x50", "$test+0x1000+0x2a0",
                         "$test+0x1000+0x2e8", "$test+0x1000+0x29f"}) {
    AttestFake target(key_.get(), pem_);
    const TestResult r = RunOne(
        target, Vector(std::string(R"(, {"write": ")") + at + R"(", "hex": "ff"})", kVerify));
    EXPECT_EQ(r.status, TestStatus::kFail) << at;
    EXPECT_THAT(r.reason, HasSubstr("signature does not verify")) << at;
  }
}

TEST_F(VerifyReportRun, BytesOutsideTheSignedRangeAndSignatureDoNotMatter) {
  // 0x330.. is the signature area's reserved tail: not signed, not part of R or S.
  AttestFake target(key_.get(), pem_);
  const TestResult r =
      RunOne(target, Vector(R"(, {"write": "$test+0x1000+0x330", "hex": "ff"})", kVerify));
  EXPECT_EQ(r.status, TestStatus::kPass) << r.reason;
}

TEST_F(VerifyReportRun, AWrongNonceFailsReportData) {
  {
    AttestFake target(key_.get(), pem_);
    const TestResult r =
        RunOne(target, Vector(R"(, {"write": "$test+0x2000+63", "hex": "00"})", kVerify));
    EXPECT_EQ(r.status, TestStatus::kFail);
    EXPECT_THAT(r.reason, HasSubstr("REPORT_DATA is"));
    EXPECT_THAT(r.reason, HasSubstr("nonce 64 bytes, manifest 24 bytes"));
  }
  {
    AttestFake target(key_.get(), pem_);
    const TestResult r = RunOne(target, Vector("", R"({"verify_report": "$test+0x1000",
        "nonce": {"at": "$test+0x2000", "size": 63}, "manifest": {"at": "$test+0x3000", "size_from": "rcx"},
        "vmpl": 0})"));
    EXPECT_EQ(r.status, TestStatus::kFail);
    EXPECT_THAT(r.reason, HasSubstr("REPORT_DATA is"));
  }
}

TEST_F(VerifyReportRun, TheManifestSizeComesFromTheNamedRegister) {
  // RDX is 0: an empty manifest does not give the REPORT_DATA the fake computed.
  AttestFake target(key_.get(), pem_);
  const TestResult r = RunOne(target, Vector("", R"({"verify_report": "$test+0x1000",
      "nonce": {"at": "$test+0x2000", "size": 64}, "manifest": {"at": "$test+0x3000", "size_from": "rdx"},
      "vmpl": 0})"));
  EXPECT_EQ(r.status, TestStatus::kFail);
  EXPECT_THAT(r.reason, HasSubstr("manifest 0 bytes"));
}

TEST_F(VerifyReportRun, TheLastCallCounts) {
  // A later call that cannot complete leaves no registers to take the size from.
  AttestFake target(key_.get(), pem_);
  const TestResult r = RunOne(
      target,
      Vector(R"(, {"call": {"rax": "0x6"}, "vcpu": 1, "expect": {"outcome": "cannot-call"}})",
             kVerify));
  EXPECT_EQ(r.status, TestStatus::kFail);
  EXPECT_THAT(r.reason, HasSubstr("previous call did not complete"));
}

TEST_F(VerifyReportRun, AWrongVmplFails) {
  AttestFake target(key_.get(), pem_);
  target.report_vmpl = 1;
  const TestResult r = RunOne(target, Vector("", kVerify));
  EXPECT_EQ(r.status, TestStatus::kFail);
  EXPECT_THAT(r.reason, HasSubstr("the report's VMPL is 1, expected 0"));
}

TEST_F(VerifyReportRun, AnotherKeyFails) {
  PkeyPtr other = GenerateKey("P-384");
  ASSERT_TRUE(other);
  AttestFake target(other.get(), pem_);
  const TestResult r = RunOne(target, Vector("", kVerify));
  EXPECT_EQ(r.status, TestStatus::kFail);
  EXPECT_THAT(r.reason, HasSubstr("signature does not verify"));
}

TEST_F(VerifyReportRun, AKeyThatIsNotP384OrNotPemFails) {
  PkeyPtr p256 = GenerateKey("P-256");
  ASSERT_TRUE(p256);
  {
    AttestFake target(key_.get(), PublicPem(p256.get()));
    const TestResult r = RunOne(target, Vector("", kVerify));
    EXPECT_EQ(r.status, TestStatus::kFail);
    EXPECT_THAT(r.reason, HasSubstr("not an ECDSA P-384 key"));
  }
  {
    AttestFake target(key_.get(), "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n");
    const TestResult r = RunOne(target, Vector("", kVerify));
    EXPECT_EQ(r.status, TestStatus::kFail);
    EXPECT_THAT(r.reason, HasSubstr("not a PEM public key"));
  }
}

TEST_F(VerifyReportRun, AMissingKeySkipsTheTest) {
  AttestFake target(key_.get(), "");
  const TestResult r = RunOne(target, Vector("", kVerify));
  EXPECT_EQ(r.status, TestStatus::kSkip);
  EXPECT_THAT(r.reason, HasSubstr("report_public_key"));
}

TEST_F(VerifyReportRun, AnUnreadableReportFails) {
  AttestFake target(key_.get(), pem_);
  const TestResult r = RunOne(target, Vector("", R"({"verify_report": "$unmapped",
      "nonce": {"at": "$test+0x2000", "size": 64}, "manifest": {"at": "$test+0x3000", "size_from": "rcx"},
      "vmpl": 0})"));
  EXPECT_EQ(r.status, TestStatus::kFail);
  EXPECT_THAT(r.reason, HasSubstr("reading the report at 0xf0000000"));
}

// ---------------------------------------------------------------------------------------
// Loading: the step is checked as strictly as the others.

std::vector<std::string> LoadErrors(const std::string& verify, const std::string& before = "") {
  const std::string text =
      R"({"format": 1, "spec_revision": "0.1.0", "protocol": "attest", "tests": [
    {"id": "t", "comment": "c", "rules": ["r"], "steps": [)" +
      before + verify + "]}]}";
  std::vector<std::string> errors;
  auto file = ParseVectorFile(text, "t.json", &errors);
  EXPECT_EQ(file.has_value(), errors.empty());
  return errors;
}

TEST(VerifyReportLoad, AValidStepImpliesTheReportKeyRequirement) {
  const std::string text =
      R"({"format": 1, "spec_revision": "0.1.0", "protocol": "attest", "tests": [
    {"id": "a", "comment": "c", "rules": ["r"], "steps": [{"call": {"rax": "0x100000000"}, "expect": {"result": "SVSM_SUCCESS"}},
      {"verify_report": "$test", "nonce": {"at": "$test+0x1000", "size": 0},
       "manifest": {"at": "$test+0x2000", "size_from": "r8"}, "vmpl": 3}]},
    {"id": "b", "comment": "c", "rules": ["r"], "steps": [{"read": "$test", "size": 1}]}]})";
  std::vector<std::string> errors;
  auto file = ParseVectorFile(text, "t.json", &errors);
  ASSERT_TRUE(file) << Join(errors);
  const Step& s = file->tests[0].steps[1];
  EXPECT_EQ(s.kind, Step::Kind::kVerifyReport);
  EXPECT_EQ(s.address, "$test");
  EXPECT_EQ(s.nonce.at, "$test+0x1000");
  EXPECT_EQ(s.nonce.size, 0u);
  EXPECT_EQ(s.nonce.size_from, "");
  EXPECT_EQ(s.manifest.size_from, "r8");
  EXPECT_EQ(s.report_vmpl, 3u);
  EXPECT_TRUE(file->tests[0].requires_report_key);
  EXPECT_FALSE(file->tests[1].requires_report_key);
}

TEST(VerifyReportLoad, MalformedStepsAreRefused) {
  const std::string nonce = R"("nonce": {"at": "$test", "size": 64})";
  const std::string manifest = R"("manifest": {"at": "$test", "size": 24})";
  const std::string call =
      R"({"call": {"rax": "0x100000000"}, "expect": {"result": "SVSM_SUCCESS"}}, )";
  struct Case {
    std::string step;
    std::string error;
  };
  const std::vector<Case> cases = {
      {R"({"verify_report": "$test", )" + nonce + ", " + manifest + "}", "needs vmpl"},
      {R"({"verify_report": "$test", )" + nonce + ", " + manifest + R"(, "vmpl": 4})",
       "vmpl: expected 0..3"},
      {R"({"verify_report": "$test", )" + nonce + ", " + manifest + R"(, "vmpl": "0"})",
       "vmpl: expected 0..3"},
      {R"({"verify_report": "$test", )" + manifest + R"(, "vmpl": 0})", "needs nonce"},
      {R"({"verify_report": "$test", )" + nonce + R"(, "vmpl": 0})", "needs manifest"},
      {R"({"verify_report": "$test", )" + nonce + ", " + manifest + R"(, "vmpl": 0, "key": "x"})",
       "unknown member \"key\""},
      {R"({"verify_report": "$nowhere", )" + nonce + ", " + manifest + R"(, "vmpl": 0})",
       "unknown symbol $nowhere"},
      {R"({"verify_report": true, )" + nonce + ", " + manifest + R"(, "vmpl": 0})",
       "expected an expression"},
      {R"({"verify_report": "$test", "nonce": {"at": "$test"}, )" + manifest + R"(, "vmpl": 0})",
       "exactly one of size and size_from"},
      {R"({"verify_report": "$test", "nonce": {"at": "$test", "size": 1, "size_from": "rcx"}, )" +
           manifest + R"(, "vmpl": 0})",
       "exactly one of size and size_from"},
      {R"({"verify_report": "$test", "nonce": {"size": 1}, )" + manifest + R"(, "vmpl": 0})",
       "at is required"},
      {R"({"verify_report": "$test", "nonce": {"at": "$test", "size": 1048577}, )" + manifest +
           R"(, "vmpl": 0})",
       "expected 0..1048576"},
      {R"({"verify_report": "$test", "nonce": {"at": "$test", "size": 1, "end": 2}, )" + manifest +
           R"(, "vmpl": 0})",
       "unknown member \"end\""},
      {R"({"verify_report": "$test", "nonce": 64, )" + manifest + R"(, "vmpl": 0})",
       "expected {\"at\""},
      {call + R"({"verify_report": "$test", "nonce": {"at": "$test", "size_from": "rax"}, )" +
           manifest + R"(, "vmpl": 0})",
       "expected an output register"},
      {R"({"verify_report": "$test", "nonce": {"at": "$test", "size_from": "rcx"}, )" + manifest +
           R"(, "vmpl": 0})",
       "needs a call step before it"},
  };
  for (const Case& c : cases) {
    EXPECT_THAT(Join(LoadErrors(c.step)), HasSubstr(c.error)) << c.step;
  }
}

}  // namespace
}  // namespace svsm_conform
