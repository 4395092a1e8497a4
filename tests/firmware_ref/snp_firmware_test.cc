// The SEV-SNP firmware model (svsm_ref::SnpFirmware). Reports are checked independently of the
// model's code: the test reads fields at fixed ABI offsets (SEV-SNP ABI pub. 56860 Table 21, as
// restated by go-sev-guest abi/abi.go), rebuilds the DER signature from the little-endian R and
// S with OpenSSL, and verifies it with the public key PEM and with the key of the certificate it
// finds by walking the certificate table itself.
#include "report_check.h"
#include "test_keys.h"
#include "svsm_ref/snp_firmware.h"

#include <gtest/gtest.h>
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
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace svsm_ref {
namespace {

using namespace svsm_ref::report_check;  // NOLINT
using namespace svsm_ref::test_keys;     // NOLINT

// ATTESTATION_REPORT offsets, written out here rather than taken from the generated codec so
// that the test does not share the model's source of layout.
constexpr size_t kVersionOffset = 0x000;
constexpr size_t kGuestSvnOffset = 0x004;
constexpr size_t kPolicyOffset = 0x008;
constexpr size_t kFamilyIdOffset = 0x010;
constexpr size_t kImageIdOffset = 0x020;
constexpr size_t kVmplOffset = 0x030;
constexpr size_t kSignatureAlgoOffset = 0x034;
constexpr size_t kCurrentTcbOffset = 0x038;
constexpr size_t kPlatformInfoOffset = 0x040;
constexpr size_t kSignerInfoOffset = 0x048;
constexpr size_t kReportDataOffset = 0x050;
constexpr size_t kMeasurementOffset = 0x090;
constexpr size_t kHostDataOffset = 0x0C0;
constexpr size_t kIdKeyDigestOffset = 0x0E0;
constexpr size_t kReportIdOffset = 0x140;
constexpr size_t kReportIdMaOffset = 0x160;
constexpr size_t kReportedTcbOffset = 0x180;
constexpr size_t kChipIdOffset = 0x1A0;
constexpr size_t kSignatureOffset = 0x2A0;
constexpr size_t kSignatureRSize = 72;
constexpr size_t kSignatureSOffset = kSignatureOffset + 0x48;
constexpr size_t kReportSize = 0x4A0;
constexpr uint32_t kEcdsaP384Sha384 = 1;

// GHCB certificate table.
constexpr size_t kCertEntrySize = 24;
// 63da758d-e664-4564-adc5-f4b93be8accd as AMD's sev-guest tools (uuid_parse) and go-sev-guest
// write and compare it: the bytes in the order the string reads.
constexpr std::array<uint8_t, 16> kExpectedVcekGuidBytes = {
    0x63, 0xda, 0x75, 0x8d, 0xe6, 0x64, 0x45, 0x64, 0xad, 0xc5, 0xf4, 0xb9, 0x3b, 0xe8, 0xac, 0xcd};

// `openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256`: the wrong curve.
constexpr const char* kTestP256KeyPem = R"(-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgH1qvLFFXYXfKLBfe
ggR311FeAt4tNv9h3Ex1Qv2DeGahRANCAAS/lz79MEy2taLVWHKrNcDcvRCx6d4x
kKratiGTlA2WkWW/Mh3rLR0iNW/5Thu9F2Dpi4YJcYDRN7oWjkMs5CdH
-----END PRIVATE KEY-----
)";

using Report = std::array<uint8_t, kSnpReportSize>;

uint32_t Le32(std::span<const uint8_t> bytes, size_t offset) {
  uint32_t v = 0;
  for (size_t i = 0; i < 4; ++i) v |= static_cast<uint32_t>(bytes[offset + i]) << (8 * i);
  return v;
}

uint64_t Le64(std::span<const uint8_t> bytes, size_t offset) {
  uint64_t v = 0;
  for (size_t i = 0; i < 8; ++i) v |= static_cast<uint64_t>(bytes[offset + i]) << (8 * i);
  return v;
}

std::vector<uint8_t> Slice(std::span<const uint8_t> bytes, size_t offset, size_t size) {
  return std::vector<uint8_t>(bytes.begin() + offset, bytes.begin() + offset + size);
}

template <size_t N>
std::vector<uint8_t> Vec(const std::array<uint8_t, N>& a) {
  return std::vector<uint8_t>(a.begin(), a.end());
}

bool AllZero(std::span<const uint8_t> bytes, size_t begin, size_t end) {
  for (size_t i = begin; i < end; ++i) {
    if (bytes[i] != 0) return false;
  }
  return true;
}

template <size_t N>
std::array<uint8_t, N> Filled(uint8_t first) {
  std::array<uint8_t, N> a{};
  for (size_t i = 0; i < N; ++i) a[i] = static_cast<uint8_t>(first + i);
  return a;
}


std::string Hex(std::span<const uint8_t> bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string s;
  for (uint8_t b : bytes) {
    s += kDigits[b >> 4];
    s += kDigits[b & 0xf];
  }
  return s;
}

std::span<const uint8_t> Bytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

AttestationConfig ConfigWithTestKey() {
  AttestationConfig config;
  config.signing_key_pem = kTestP384KeyPem;
  return config;
}

std::unique_ptr<SnpFirmware> MakeFirmware(const AttestationConfig& config) {
  std::string error;
  std::unique_ptr<SnpFirmware> firmware = SnpFirmware::Create(config, &error);
  EXPECT_NE(firmware, nullptr) << error;
  return firmware;
}

std::array<uint8_t, 64> UserData(uint8_t first) {
  return Filled<64>(first);
}

TEST(Sha512, MatchesFips180Vectors) {
  EXPECT_EQ(Hex(Sha512({Bytes("abc")})),
            "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
            "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f");
  EXPECT_EQ(Hex(Sha512({})),
            "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce"
            "47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e");
}

TEST(Sha512, HashesTheConcatenationOfItsParts) {
  EXPECT_EQ(Sha512({Bytes("a"), Bytes(""), Bytes("bc")}), Sha512({Bytes("abc")}));
}

TEST(SnpFirmware, LoadsThePemSigningKey) {
  std::unique_ptr<SnpFirmware> firmware = MakeFirmware(ConfigWithTestKey());
  ASSERT_NE(firmware, nullptr);
  EXPECT_EQ(firmware->PublicKeyPem(), kTestP384PublicKeyPem);
}

TEST(SnpFirmware, GeneratesAP384KeyWhenNoneIsConfigured) {
  std::unique_ptr<SnpFirmware> firmware = MakeFirmware(AttestationConfig{});
  ASSERT_NE(firmware, nullptr);
  PkeyPtr key = ParsePublicKeyPem(firmware->PublicKeyPem());
  ASSERT_NE(key, nullptr);
  EXPECT_TRUE(EVP_PKEY_is_a(key.get(), "EC"));
  EXPECT_EQ(EVP_PKEY_get_bits(key.get()), 384);
  auto report = firmware->GetReport(UserData(1), 0, 0);
  ASSERT_TRUE(report.has_value());
  EXPECT_TRUE(VerifyReport(*report, key.get()));
}

TEST(SnpFirmware, RejectsAKeyOnTheWrongCurve) {
  AttestationConfig config;
  config.signing_key_pem = kTestP256KeyPem;
  std::string error;
  EXPECT_EQ(SnpFirmware::Create(config, &error), nullptr);
  EXPECT_NE(error.find("P-384"), std::string::npos) << error;
  EXPECT_NE(error.find("prime256v1"), std::string::npos) << error;
  EXPECT_EQ(ERR_peek_error(), 0u) << "the OpenSSL error queue is left dirty";
}

TEST(SnpFirmware, RejectsGarbagePem) {
  for (const char* pem :
       {"not a key", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
        kTestP384PublicKeyPem}) {
    AttestationConfig config;
    config.signing_key_pem = pem;
    std::string error;
    EXPECT_EQ(SnpFirmware::Create(config, &error), nullptr) << pem;
    EXPECT_NE(error.find("signing_key_pem"), std::string::npos) << error;
    EXPECT_EQ(ERR_peek_error(), 0u);
  }
}

TEST(SnpFirmware, RejectsANonEcKey) {
  PkeyPtr rsa(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{2048}));
  ASSERT_NE(rsa, nullptr);
  BioPtr bio(BIO_new(BIO_s_mem()));
  ASSERT_EQ(PEM_write_bio_PrivateKey(bio.get(), rsa.get(), nullptr, nullptr, 0, nullptr, nullptr),
            1);
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  AttestationConfig config;
  config.signing_key_pem.assign(data, static_cast<size_t>(len));
  std::string error;
  EXPECT_EQ(SnpFirmware::Create(config, &error), nullptr);
  EXPECT_NE(error.find("EC P-384"), std::string::npos) << error;
}

// An encrypted key must fail rather than prompt for a passphrase on the terminal.
TEST(SnpFirmware, RejectsAnEncryptedKeyWithoutPrompting) {
  BioPtr in(BIO_new_mem_buf(kTestP384KeyPem, -1));
  PkeyPtr key(PEM_read_bio_PrivateKey(in.get(), nullptr, nullptr, nullptr));
  ASSERT_NE(key, nullptr);
  BioPtr out(BIO_new(BIO_s_mem()));
  static char passphrase[] = "secret";
  ASSERT_EQ(PEM_write_bio_PKCS8PrivateKey(out.get(), key.get(), EVP_aes_256_cbc(), passphrase,
                                          sizeof(passphrase) - 1, nullptr, nullptr),
            1);
  char* data = nullptr;
  long len = BIO_get_mem_data(out.get(), &data);
  AttestationConfig config;
  config.signing_key_pem.assign(data, static_cast<size_t>(len));
  std::string error;
  EXPECT_EQ(SnpFirmware::Create(config, &error), nullptr);
  EXPECT_FALSE(error.empty());
}

TEST(SnpFirmware, PutsEveryConfiguredFieldAtItsAbiOffset) {
  AttestationConfig config = ConfigWithTestKey();
  config.report_version = 3;
  config.guest_svn = 0x01020304;
  config.policy = 0x1F0003;  // SMT, reserved-one bit, migrate-MA, debug, single socket; ABI 0.3
  config.family_id = Filled<16>(0x10);
  config.image_id = Filled<16>(0x20);
  config.measurement = Filled<48>(0x30);
  config.host_data = Filled<32>(0x60);
  config.chip_id = Filled<64>(0x80);
  std::unique_ptr<SnpFirmware> firmware = MakeFirmware(config);
  ASSERT_NE(firmware, nullptr);
  auto report = firmware->GetReport(UserData(0xA0), 2, 0);
  ASSERT_TRUE(report.has_value());
  const Report& r = *report;

  EXPECT_EQ(Le32(r, kVersionOffset), 3u);
  EXPECT_EQ(Le32(r, kGuestSvnOffset), 0x01020304u);
  EXPECT_EQ(Le64(r, kPolicyOffset), 0x1F0003u);
  EXPECT_EQ(Slice(r, kFamilyIdOffset, 16), Vec(config.family_id));
  EXPECT_EQ(Slice(r, kImageIdOffset, 16), Vec(config.image_id));
  EXPECT_EQ(Le32(r, kVmplOffset), 2u);
  EXPECT_EQ(Le32(r, kSignatureAlgoOffset), kEcdsaP384Sha384);
  // Signer info: AUTHOR_KEY_EN 0, MASK_CHIP_KEY 0, SIGNING_KEY (bits 4:2) 0 = VCEK.
  EXPECT_EQ(Le32(r, kSignerInfoOffset), 0u);
  EXPECT_EQ(Slice(r, kReportDataOffset, 64), Vec(UserData(0xA0)));
  EXPECT_EQ(Slice(r, kMeasurementOffset, 48), Vec(config.measurement));
  EXPECT_EQ(Slice(r, kHostDataOffset, 32), Vec(config.host_data));
  EXPECT_EQ(Slice(r, kChipIdOffset, 64), Vec(config.chip_id));
  EXPECT_FALSE(AllZero(r, kReportIdOffset, kReportIdOffset + 32));

  // What the model does not model stays zero: TCB versions, platform info, reserved words,
  // ID/author key digests, REPORT_ID_MA, and the signature area after R and S.
  EXPECT_TRUE(AllZero(r, kCurrentTcbOffset, kPlatformInfoOffset + 8));
  EXPECT_TRUE(AllZero(r, kSignerInfoOffset + 4, kReportDataOffset));
  EXPECT_TRUE(AllZero(r, kIdKeyDigestOffset, kReportIdOffset));
  EXPECT_TRUE(AllZero(r, kReportIdMaOffset, kReportIdMaOffset + 32));
  EXPECT_TRUE(AllZero(r, kReportedTcbOffset, kChipIdOffset));
  EXPECT_TRUE(AllZero(r, kChipIdOffset + 64, kSignatureOffset));
  EXPECT_TRUE(AllZero(r, kSignatureSOffset + kSignatureRSize, kReportSize));
  EXPECT_FALSE(AllZero(r, kSignatureOffset, kSignatureOffset + kSignatureRSize));
  EXPECT_FALSE(AllZero(r, kSignatureSOffset, kSignatureSOffset + kSignatureRSize));
}

TEST(SnpFirmware, EchoesTheRequestedVmpl) {
  std::unique_ptr<SnpFirmware> firmware = MakeFirmware(ConfigWithTestKey());
  ASSERT_NE(firmware, nullptr);
  for (uint32_t vmpl = 0; vmpl <= 3; ++vmpl) {
    auto report = firmware->GetReport(UserData(0), vmpl, 0);
    ASSERT_TRUE(report.has_value()) << vmpl;
    EXPECT_EQ(Le32(*report, kVmplOffset), vmpl);
  }
}

TEST(SnpFirmware, EchoesUserDataAsReportData) {
  std::unique_ptr<SnpFirmware> firmware = MakeFirmware(ConfigWithTestKey());
  ASSERT_NE(firmware, nullptr);
  const std::array<uint8_t, 64> user_data = Sha512({Bytes("nonce"), Bytes("manifest")});
  auto report = firmware->GetReport(user_data, 0, 0);
  ASSERT_TRUE(report.has_value());
  EXPECT_EQ(Slice(*report, kReportDataOffset, 64), Vec(user_data));
}

TEST(SnpFirmware, SignatureVerifiesWithThePublicKeyPem) {
  std::unique_ptr<SnpFirmware> firmware = MakeFirmware(ConfigWithTestKey());
  ASSERT_NE(firmware, nullptr);
  PkeyPtr key = ParsePublicKeyPem(firmware->PublicKeyPem());
  ASSERT_NE(key, nullptr);
  for (uint8_t seed = 0; seed < 8; ++seed) {
    auto report = firmware->GetReport(UserData(seed), seed % 4, seed % 2);
    ASSERT_TRUE(report.has_value());
    EXPECT_TRUE(VerifyReport(*report, key.get())) << int{seed};
  }
}

TEST(SnpFirmware, SignatureDoesNotVerifyWithAnotherKey) {
  std::unique_ptr<SnpFirmware> firmware = MakeFirmware(ConfigWithTestKey());
  std::unique_ptr<SnpFirmware> other = MakeFirmware(AttestationConfig{});
  ASSERT_NE(firmware, nullptr);
  ASSERT_NE(other, nullptr);
  PkeyPtr other_key = ParsePublicKeyPem(other->PublicKeyPem());
  auto report = firmware->GetReport(UserData(3), 0, 0);
  ASSERT_TRUE(report.has_value());
  EXPECT_FALSE(VerifyReport(*report, other_key.get()));
}

TEST(SnpFirmware, TamperingWithAnySignedByteOrTheSignatureBreaksVerification) {
  std::unique_ptr<SnpFirmware> firmware = MakeFirmware(ConfigWithTestKey());
  ASSERT_NE(firmware, nullptr);
  PkeyPtr key = ParsePublicKeyPem(firmware->PublicKeyPem());
  auto report = firmware->GetReport(UserData(7), 0, 0);
  ASSERT_TRUE(report.has_value());
  ASSERT_TRUE(VerifyReport(*report, key.get()));
  for (size_t offset :
       {kVersionOffset, kVmplOffset, kReportDataOffset + 63, kMeasurementOffset, kChipIdOffset,
        kSignatureOffset - 1, kSignatureOffset, kSignatureSOffset + 5}) {
    Report tampered = *report;
    tampered[offset] ^= 0x01;
    EXPECT_FALSE(VerifyReport(tampered, key.get())) << "offset 0x" << std::hex << offset;
  }
}

TEST(SnpFirmware, ReportIdIsFixedPerSigningKey) {
  std::unique_ptr<SnpFirmware> a = MakeFirmware(ConfigWithTestKey());
  std::unique_ptr<SnpFirmware> b = MakeFirmware(ConfigWithTestKey());
  std::unique_ptr<SnpFirmware> c = MakeFirmware(AttestationConfig{});
  ASSERT_TRUE(a && b && c);
  auto a1 = a->GetReport(UserData(1), 0, 0);
  auto a2 = a->GetReport(UserData(2), 1, 1);
  auto b1 = b->GetReport(UserData(1), 0, 0);
  auto c1 = c->GetReport(UserData(1), 0, 0);
  ASSERT_TRUE(a1 && a2 && b1 && c1);
  EXPECT_EQ(Slice(*a1, kReportIdOffset, 32), Slice(*a2, kReportIdOffset, 32));
  EXPECT_EQ(Slice(*a1, kReportIdOffset, 32), Slice(*b1, kReportIdOffset, 32));
  EXPECT_NE(Slice(*a1, kReportIdOffset, 32), Slice(*c1, kReportIdOffset, 32));
  // Everything but the (randomized) ECDSA signature is reproducible from key and inputs.
  EXPECT_EQ(Slice(*a1, 0, kSignatureOffset), Slice(*b1, 0, kSignatureOffset));
}

TEST(SnpFirmware, FailsEveryRequestWhenConfiguredTo) {
  AttestationConfig config = ConfigWithTestKey();
  config.fail_snp_requests = true;
  std::unique_ptr<SnpFirmware> firmware = MakeFirmware(config);
  ASSERT_NE(firmware, nullptr);
  EXPECT_FALSE(firmware->GetReport(UserData(0), 0, 0).has_value());
  EXPECT_FALSE(firmware->GetReport(UserData(0), 1, 1).has_value());
  EXPECT_EQ(firmware->reports_issued(), 0u);
}

TEST(SnpFirmware, RejectsAVmplAboveThree) {
  std::unique_ptr<SnpFirmware> firmware = MakeFirmware(ConfigWithTestKey());
  ASSERT_NE(firmware, nullptr);
  EXPECT_FALSE(firmware->GetReport(UserData(0), 4, 0).has_value());
  EXPECT_FALSE(firmware->GetReport(UserData(0), 0xFFFFFFFF, 0).has_value());
}

// KEY_SEL (flags bits 1:0): 0 = VLEK if installed else VCEK, 1 = VCEK, 2 = VLEK, 3 reserved.
// The model has no VLEK; bits 31:2 are reserved.
TEST(SnpFirmware, HonoursKeySelectionAndRejectsReservedFlags) {
  std::unique_ptr<SnpFirmware> firmware = MakeFirmware(ConfigWithTestKey());
  ASSERT_NE(firmware, nullptr);
  for (uint32_t key_sel : {0u, 1u}) {
    auto report = firmware->GetReport(UserData(0), 0, key_sel);
    ASSERT_TRUE(report.has_value()) << key_sel;
    EXPECT_EQ((Le32(*report, kSignerInfoOffset) >> 2) & 0x7, 0u) << "signed by the VCEK";
  }
  EXPECT_FALSE(firmware->GetReport(UserData(0), 0, 2).has_value()) << "no VLEK installed";
  EXPECT_FALSE(firmware->GetReport(UserData(0), 0, 3).has_value()) << "reserved KEY_SEL";
  for (uint32_t reserved : {1u << 2, 1u << 5, 1u << 31}) {
    EXPECT_FALSE(firmware->GetReport(UserData(0), 0, reserved).has_value()) << reserved;
  }
}

TEST(SnpFirmware, CountsOnlyIssuedReports) {
  std::unique_ptr<SnpFirmware> firmware = MakeFirmware(ConfigWithTestKey());
  ASSERT_NE(firmware, nullptr);
  EXPECT_TRUE(firmware->GetReport(UserData(0), 0, 0).has_value());
  EXPECT_FALSE(firmware->GetReport(UserData(0), 9, 0).has_value());
  EXPECT_TRUE(firmware->GetReport(UserData(0), 0, 1).has_value());
  EXPECT_EQ(firmware->reports_issued(), 2u);
}

TEST(SnpFirmware, CertificateTableHoldsOneVcekCertificate) {
  std::unique_ptr<SnpFirmware> firmware = MakeFirmware(ConfigWithTestKey());
  ASSERT_NE(firmware, nullptr);
  const std::vector<uint8_t>& table = firmware->CertificateTable();
  EXPECT_EQ(Vec(kVcekCertGuid), Vec(kExpectedVcekGuidBytes));
  std::optional<std::vector<CertEntry>> entries = WalkCertTable(table);
  ASSERT_TRUE(entries.has_value());
  ASSERT_EQ(entries->size(), 1u);
  EXPECT_EQ((*entries)[0].guid, Vec(kExpectedVcekGuidBytes));
  // One entry plus the terminator, then the certificate right behind them.
  EXPECT_EQ(Le32(table, 16), 2 * kCertEntrySize);
  EXPECT_EQ(table.size(), 2 * kCertEntrySize + (*entries)[0].der.size());
}

TEST(SnpFirmware, CertificateIsSelfSignedAndVerifiesReports) {
  std::unique_ptr<SnpFirmware> firmware = MakeFirmware(ConfigWithTestKey());
  ASSERT_NE(firmware, nullptr);
  std::optional<std::vector<CertEntry>> entries = WalkCertTable(firmware->CertificateTable());
  ASSERT_TRUE(entries.has_value() && entries->size() == 1);
  X509Ptr cert = ParseCertificate((*entries)[0].der);
  ASSERT_NE(cert, nullptr);
  EVP_PKEY* cert_key = X509_get0_pubkey(cert.get());
  ASSERT_NE(cert_key, nullptr);
  EXPECT_EQ(X509_verify(cert.get(), cert_key), 1) << "self-signature";
  EXPECT_EQ(X509_get_signature_nid(cert.get()), NID_ecdsa_with_SHA384);
  EXPECT_EQ(X509_get_version(cert.get()), X509_VERSION_3);
  EXPECT_EQ(ASN1_INTEGER_get(X509_get0_serialNumber(cert.get())), 1);
  EXPECT_EQ(X509_NAME_cmp(X509_get_subject_name(cert.get()), X509_get_issuer_name(cert.get())), 0);
  char common_name[128] = {};
  X509_NAME_get_text_by_NID(X509_get_subject_name(cert.get()), NID_commonName, common_name,
                            sizeof(common_name));
  EXPECT_EQ(std::string(common_name), "SEV-VCEK (svsm-spec reference model)");

  PkeyPtr pem_key = ParsePublicKeyPem(firmware->PublicKeyPem());
  EXPECT_EQ(EVP_PKEY_eq(cert_key, pem_key.get()), 1);
  auto report = firmware->GetReport(UserData(9), 0, 0);
  ASSERT_TRUE(report.has_value());
  EXPECT_TRUE(VerifyReport(*report, cert_key));
}

TEST(SnpFirmware, CertificateTableIsEmptyWithoutCertificates) {
  AttestationConfig config = ConfigWithTestKey();
  config.provide_certificates = false;
  std::unique_ptr<SnpFirmware> firmware = MakeFirmware(config);
  ASSERT_NE(firmware, nullptr);
  EXPECT_TRUE(firmware->CertificateTable().empty());
  EXPECT_TRUE(firmware->GetReport(UserData(0), 0, 0).has_value());
}

}  // namespace
}  // namespace svsm_ref
