// The SEV-SNP firmware model: MSG_REPORT_REQ -> signed ATTESTATION_REPORT, and the certificate
// table of an extended guest request. Layout comes from the generated SnpAttestationReport
// codec (one source for offsets); every cryptographic operation is an OpenSSL 3 EVP call.
#include "svsm_ref/snp_firmware.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <climits>
#include <cstring>
#include <string_view>
#include <utility>

#include "svsm_spec_codecs.h"

namespace svsm_ref {

// GHCB spec (pub. 56421) certificate table GUID of the VCEK, 63da758d-e664-4564-adc5-
// f4b93be8accd. Unlike the SVSM's own GUIDs (mixed-endian), the certificate table carries
// it in RFC 4122 byte order, i.e. the bytes as the string reads: AMD's sev-guest tools fill
// entries with libuuid uuid_parse(), and go-sev-guest (abi.CertTable) and virtee/sev compare
// the raw 16 bytes against their parsed, big-endian UUIDs.
const std::array<uint8_t, 16> kVcekCertGuid = {0x63, 0xda, 0x75, 0x8d, 0xe6, 0x64, 0x45, 0x64,
                                               0xad, 0xc5, 0xf4, 0xb9, 0x3b, 0xe8, 0xac, 0xcd};

namespace {

namespace gen = svsm_spec::codec::gen;

// MSG_REPORT_REQ flags (SEV-SNP ABI pub. 56860, Table 20; COCONUT SnpReportRequest): bits 1:0
// are KEY_SEL, bits 31:2 reserved.
constexpr uint32_t kKeySelMask = 0x3;
constexpr uint32_t kKeySelVlekIfInstalled = 0;  // the model has no VLEK, so VCEK signs
constexpr uint32_t kKeySelVcek = 1;
constexpr uint32_t kMaxVmpl = 3;

// ECDSA P-384/SHA-384 signature format of the ABI: R and S as 72-byte little-endian integers.
constexpr size_t kSignatureComponentSize = 72;

// A certificate table entry: guid[16], offset u32 LE, length u32 LE.
constexpr size_t kCertTableEntrySize = 24;

// The self-signed certificate's fixed fields, so a given key always yields the same
// to-be-signed certificate (ECDSA itself draws a fresh nonce per signature).
constexpr const char* kCertCommonName = "SEV-VCEK (svsm-spec reference model)";
constexpr const char* kCertOrganization = "svsm-spec";
constexpr const char* kCertNotBefore = "20200101000000Z";
constexpr const char* kCertNotAfter = "20500101000000Z";
constexpr long kCertSerial = 1;
constexpr const char* kP384GroupName = "secp384r1";

struct BioFree {
  void operator()(BIO* p) const { BIO_free(p); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); }
};
struct X509Free {
  void operator()(X509* p) const { X509_free(p); }
};
struct X509NameFree {
  void operator()(X509_NAME* p) const { X509_NAME_free(p); }
};
struct X509ExtFree {
  void operator()(X509_EXTENSION* p) const { X509_EXTENSION_free(p); }
};
struct EcdsaSigFree {
  void operator()(ECDSA_SIG* p) const { ECDSA_SIG_free(p); }
};
struct OpenSslFree {
  void operator()(unsigned char* p) const { OPENSSL_free(p); }
};

using BioPtr = std::unique_ptr<BIO, BioFree>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;
using X509Ptr = std::unique_ptr<X509, X509Free>;
using X509NamePtr = std::unique_ptr<X509_NAME, X509NameFree>;
using X509ExtPtr = std::unique_ptr<X509_EXTENSION, X509ExtFree>;
using EcdsaSigPtr = std::unique_ptr<ECDSA_SIG, EcdsaSigFree>;
using OpenSslBytes = std::unique_ptr<unsigned char, OpenSslFree>;

// The first queued OpenSSL error as text (or `fallback`); clears the queue so a failure here
// does not leak into an unrelated later OpenSSL call of the caller.
std::string TakeOpenSslError(std::string_view fallback) {
  unsigned long code = ERR_get_error();
  std::string text(fallback);
  if (code != 0) {
    char buf[256];
    ERR_error_string_n(code, buf, sizeof(buf));
    text += " (";
    text += buf;
    text += ")";
  }
  ERR_clear_error();
  return text;
}

// Never prompt on the terminal for an encrypted PEM: the model has no passphrase.
int NoPassphrase(char* /*buf*/, int /*size*/, int /*rwflag*/, void* /*user*/) {
  return 0;
}

std::string CurveName(EVP_PKEY* key) {
  char name[80] = {};
  size_t len = 0;
  if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, name, sizeof(name), &len) !=
      1) {
    ERR_clear_error();
    return {};
  }
  return std::string(name, len);
}

PkeyPtr LoadSigningKey(const std::string& pem, std::string* error) {
  if (pem.size() > static_cast<size_t>(INT_MAX)) {
    *error = "attestation.signing_key_pem: too large";
    return nullptr;
  }
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) {
    *error = TakeOpenSslError("attestation.signing_key_pem: cannot allocate a BIO");
    return nullptr;
  }
  PkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, NoPassphrase, nullptr));
  if (!key) {
    *error = TakeOpenSslError("attestation.signing_key_pem: not a PEM private key");
    return nullptr;
  }
  if (!EVP_PKEY_is_a(key.get(), "EC")) {
    *error = std::string("attestation.signing_key_pem: must be an EC P-384 key, got ") +
             EVP_PKEY_get0_type_name(key.get());
    return nullptr;
  }
  std::string curve = CurveName(key.get());
  if (curve != kP384GroupName) {
    *error = "attestation.signing_key_pem: must be an EC key on P-384 (secp384r1), got curve " +
             (curve.empty() ? std::string("(unknown)") : curve);
    return nullptr;
  }
  return key;
}

PkeyPtr GenerateSigningKey(std::string* error) {
  PkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384"));
  if (!key) *error = TakeOpenSslError("cannot generate an EC P-384 signing key");
  return key;
}

std::optional<std::string> EncodePublicKeyPem(EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PUBKEY(bio.get(), key) != 1) return std::nullopt;
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  if (len <= 0 || data == nullptr) return std::nullopt;
  return std::string(data, static_cast<size_t>(len));
}

std::optional<std::vector<uint8_t>> EncodePublicKeyDer(EVP_PKEY* key) {
  unsigned char* der = nullptr;
  int len = i2d_PUBKEY(key, &der);
  if (len <= 0) return std::nullopt;
  OpenSslBytes owned(der);
  return std::vector<uint8_t>(der, der + len);
}

bool AddExtension(X509* cert, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  X509ExtPtr ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value));
  return ext && X509_add_ext(cert, ext.get(), -1) == 1;
}

// A self-signed X.509 v3 certificate of `key`, DER-encoded: the stand-in for the VCEK
// certificate AMD's KDS would issue (a verifier can check reports against its public key).
std::optional<std::vector<uint8_t>> SelfSignedCertificateDer(EVP_PKEY* key) {
  X509Ptr cert(X509_new());
  if (!cert) return std::nullopt;
  X509NamePtr name(X509_NAME_new());
  bool ok = name && X509_set_version(cert.get(), X509_VERSION_3) == 1 &&
            ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), kCertSerial) == 1 &&
            ASN1_TIME_set_string_X509(X509_getm_notBefore(cert.get()), kCertNotBefore) == 1 &&
            ASN1_TIME_set_string_X509(X509_getm_notAfter(cert.get()), kCertNotAfter) == 1 &&
            X509_NAME_add_entry_by_txt(name.get(), "O", MBSTRING_ASC,
                                       reinterpret_cast<const unsigned char*>(kCertOrganization),
                                       -1, -1, 0) == 1 &&
            X509_NAME_add_entry_by_txt(name.get(), "CN", MBSTRING_ASC,
                                       reinterpret_cast<const unsigned char*>(kCertCommonName), -1,
                                       -1, 0) == 1 &&
            X509_set_subject_name(cert.get(), name.get()) == 1 &&
            X509_set_issuer_name(cert.get(), name.get()) == 1 &&
            X509_set_pubkey(cert.get(), key) == 1 &&
            AddExtension(cert.get(), NID_basic_constraints, "critical,CA:FALSE") &&
            AddExtension(cert.get(), NID_key_usage, "critical,digitalSignature") &&
            X509_sign(cert.get(), key, EVP_sha384()) > 0;
  if (!ok) return std::nullopt;
  unsigned char* der = nullptr;
  int len = i2d_X509(cert.get(), &der);
  if (len <= 0) return std::nullopt;
  OpenSslBytes owned(der);
  return std::vector<uint8_t>(der, der + len);
}

void StoreLe32(std::vector<uint8_t>& out, size_t offset, uint32_t value) {
  for (size_t i = 0; i < 4; ++i) out[offset + i] = static_cast<uint8_t>(value >> (8 * i));
}

// The GHCB extended guest request certificate table: one entry per certificate, an all-zero
// terminator entry, then the certificates; offsets count from the start of the table.
std::vector<uint8_t> BuildCertificateTable(const std::array<uint8_t, 16>& guid,
                                           const std::vector<uint8_t>& certificate) {
  constexpr size_t kEntries = 1;
  const size_t header_size = (kEntries + 1) * kCertTableEntrySize;
  // Sized up front and filled in place: GCC 12 at -O3 reports a false -Wstringop-overflow
  // for reserve() followed by insert() here.
  std::vector<uint8_t> table(header_size + certificate.size(), 0);
  std::copy(guid.begin(), guid.end(), table.begin());
  StoreLe32(table, guid.size(), static_cast<uint32_t>(header_size));
  StoreLe32(table, guid.size() + 4, static_cast<uint32_t>(certificate.size()));
  std::copy(certificate.begin(), certificate.end(), table.begin() + static_cast<std::ptrdiff_t>(header_size));
  return table;
}

}  // namespace

struct SnpFirmware::Key {
  PkeyPtr pkey;
  // REPORT_ID: the firmware assigns each guest one at launch; the model derives it from the
  // signing key so it is stable for a firmware instance and reproducible from its key.
  std::array<uint8_t, 32> report_id{};
};

std::array<uint8_t, 64> Sha512(std::initializer_list<std::span<const uint8_t>> parts) {
  std::array<uint8_t, 64> digest{};
  MdCtxPtr ctx(EVP_MD_CTX_new());
  bool ok = ctx && EVP_DigestInit_ex(ctx.get(), EVP_sha512(), nullptr) == 1;
  for (std::span<const uint8_t> part : parts) {
    ok = ok && EVP_DigestUpdate(ctx.get(), part.data(), part.size()) == 1;
  }
  unsigned int len = 0;
  ok = ok && EVP_DigestFinal_ex(ctx.get(), digest.data(), &len) == 1 && len == digest.size();
  // SHA-512 fails only when OpenSSL cannot allocate; the signature leaves no error channel,
  // so an all-zero digest stands for it (it cannot match any real REPORT_DATA check).
  if (!ok) {
    ERR_clear_error();
    digest.fill(0);
  }
  return digest;
}

SnpFirmware::~SnpFirmware() = default;

std::unique_ptr<SnpFirmware> SnpFirmware::Create(const AttestationConfig& config,
                                                 std::string* error) {
  std::string ignored;
  if (error == nullptr) error = &ignored;
  std::unique_ptr<SnpFirmware> firmware(new SnpFirmware());
  firmware->config_ = config;
  firmware->key_ = std::make_unique<Key>();
  Key& key = *firmware->key_;

  key.pkey = config.signing_key_pem.empty() ? GenerateSigningKey(error)
                                            : LoadSigningKey(config.signing_key_pem, error);
  if (!key.pkey) return nullptr;

  std::optional<std::string> pem = EncodePublicKeyPem(key.pkey.get());
  std::optional<std::vector<uint8_t>> spki = EncodePublicKeyDer(key.pkey.get());
  if (!pem || !spki) {
    *error = TakeOpenSslError("cannot encode the signing key's public key");
    return nullptr;
  }
  firmware->public_key_pem_ = std::move(*pem);

  std::array<uint8_t, EVP_MAX_MD_SIZE> spki_digest{};
  unsigned int digest_len = 0;
  if (EVP_Digest(spki->data(), spki->size(), spki_digest.data(), &digest_len, EVP_sha384(),
                 nullptr) != 1 ||
      digest_len < key.report_id.size()) {
    *error = TakeOpenSslError("cannot hash the signing key's public key");
    return nullptr;
  }
  std::memcpy(key.report_id.data(), spki_digest.data(), key.report_id.size());

  if (config.provide_certificates) {
    std::optional<std::vector<uint8_t>> certificate = SelfSignedCertificateDer(key.pkey.get());
    if (!certificate) {
      *error = TakeOpenSslError("cannot build the self-signed VCEK certificate");
      return nullptr;
    }
    firmware->cert_table_ = BuildCertificateTable(kVcekCertGuid, *certificate);
  }
  return firmware;
}

std::optional<std::array<uint8_t, kSnpReportSize>> SnpFirmware::GetReport(
    std::span<const uint8_t, 64> user_data, uint32_t vmpl, uint32_t flags) const {
  if (config_.fail_snp_requests || vmpl > kMaxVmpl || (flags & ~kKeySelMask) != 0) {
    return std::nullopt;
  }
  // KEY_SEL 2 (VLEK) fails as on a platform without a VLEK; 3 is reserved.
  const uint32_t key_sel = flags & kKeySelMask;
  if (key_sel != kKeySelVlekIfInstalled && key_sel != kKeySelVcek) return std::nullopt;

  gen::SnpAttestationReport report;
  static_assert(gen::SnpAttestationReport::kFixedSize == kSnpReportSize);
  report.version = config_.report_version;
  report.guest_svn = config_.guest_svn;
  report.policy = gen::SnpReportPolicy::Unpack(config_.policy);
  report.family_id = config_.family_id;
  report.image_id = config_.image_id;
  report.vmpl = vmpl;
  report.signature_algo = static_cast<uint32_t>(gen::SnpSignatureAlgo::kEcdsaP384Sha384);
  report.signer_info.signing_key = static_cast<uint8_t>(gen::SnpSigningKey::kVcek);
  std::copy(user_data.begin(), user_data.end(), report.report_data.begin());
  report.measurement = config_.measurement;
  report.host_data = config_.host_data;
  report.report_id = key_->report_id;
  report.chip_id = config_.chip_id;

  std::array<uint8_t, kSnpReportSize> bytes{};
  report.EncodeTo(bytes);

  // ECDSA P-384 over SHA-384 of bytes 0x000-0x29F; OpenSSL returns DER, the ABI wants R and S.
  MdCtxPtr ctx(EVP_MD_CTX_new());
  size_t der_len = 0;
  if (!ctx ||
      EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha384(), nullptr, key_->pkey.get()) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &der_len, bytes.data(), kSnpReportSignedSize) != 1) {
    ERR_clear_error();
    return std::nullopt;
  }
  std::vector<uint8_t> der(der_len);
  if (EVP_DigestSign(ctx.get(), der.data(), &der_len, bytes.data(), kSnpReportSignedSize) != 1) {
    ERR_clear_error();
    return std::nullopt;
  }
  const unsigned char* cursor = der.data();
  EcdsaSigPtr signature(d2i_ECDSA_SIG(nullptr, &cursor, static_cast<long>(der_len)));
  if (!signature) {
    ERR_clear_error();
    return std::nullopt;
  }
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(signature.get(), &r, &s);
  gen::SnpReportSignature& sig = report.signature;
  static_assert(sizeof(sig.r) == kSignatureComponentSize && sizeof(sig.s) == sizeof(sig.r));
  if (BN_bn2lebinpad(r, sig.r.data(), static_cast<int>(sig.r.size())) < 0 ||
      BN_bn2lebinpad(s, sig.s.data(), static_cast<int>(sig.s.size())) < 0) {
    ERR_clear_error();
    return std::nullopt;
  }
  report.signature.EncodeTo(std::span<uint8_t>(bytes).subspan(kSnpReportSignedSize));
  ++reports_issued_;
  return bytes;
}

}  // namespace svsm_ref
