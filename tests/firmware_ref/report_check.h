// How a relying party checks an SNP attestation report and the certificate table, with
// OpenSSL directly and fixed offsets: independent of the model's code on purpose, so that
// the tests of snp_firmware.cc and attest_protocol.cc cannot share a mistake with it.
#pragma once

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace svsm_ref::report_check {

// ATTESTATION_REPORT (SEV-SNP ABI, facts §6.1): 0x4A0 bytes, the signature covers
// 0x000-0x29F, R at 0x2A0 and S at 0x2E8, each 72 bytes little-endian.
inline constexpr size_t kReportBytes = 0x4A0;
inline constexpr size_t kSignedBytes = 0x2A0;
inline constexpr size_t kROffset = 0x2A0;
inline constexpr size_t kSOffset = 0x2E8;
inline constexpr size_t kComponentBytes = 72;
// GHCB certificate table entry: guid[16], offset u32, length u32.
inline constexpr size_t kCertEntryBytes = 24;

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct BioFree {
  void operator()(BIO* p) const { BIO_free(p); }
};
struct X509Free {
  void operator()(X509* p) const { X509_free(p); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); }
};
struct EcdsaSigFree {
  void operator()(ECDSA_SIG* p) const { ECDSA_SIG_free(p); }
};
struct BnFree {
  void operator()(BIGNUM* p) const { BN_free(p); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;
using BioPtr = std::unique_ptr<BIO, BioFree>;
using X509Ptr = std::unique_ptr<X509, X509Free>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;
using EcdsaSigPtr = std::unique_ptr<ECDSA_SIG, EcdsaSigFree>;
using BnPtr = std::unique_ptr<BIGNUM, BnFree>;

inline PkeyPtr ParsePublicKeyPem(const std::string& pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  return PkeyPtr(PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr));
}

// ECDSA P-384 with SHA-384 over bytes 0x000-0x29F, the DER ECDSA-Sig-Value rebuilt from the
// little-endian R and S.
inline bool VerifyReport(std::span<const uint8_t> report, EVP_PKEY* key) {
  if (report.size() != kReportBytes || key == nullptr) return false;
  BnPtr r(BN_lebin2bn(report.data() + kROffset, kComponentBytes, nullptr));
  BnPtr s(BN_lebin2bn(report.data() + kSOffset, kComponentBytes, nullptr));
  EcdsaSigPtr sig(ECDSA_SIG_new());
  if (!r || !s || !sig || ECDSA_SIG_set0(sig.get(), r.get(), s.get()) != 1) return false;
  r.release();  // owned by sig now
  s.release();
  unsigned char* der = nullptr;
  const int der_len = i2d_ECDSA_SIG(sig.get(), &der);
  if (der_len <= 0) return false;
  std::vector<uint8_t> der_bytes(der, der + der_len);
  OPENSSL_free(der);
  MdCtxPtr ctx(EVP_MD_CTX_new());
  const bool ok = ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha384(), nullptr, key) == 1 &&
                  EVP_DigestVerify(ctx.get(), der_bytes.data(), der_bytes.size(), report.data(),
                                   kSignedBytes) == 1;
  ERR_clear_error();
  return ok;
}

struct CertEntry {
  std::vector<uint8_t> guid;
  std::vector<uint8_t> der;
};

// Walks a GHCB certificate table ({guid[16], offset u32, length u32}..., all-zero
// terminator); nullopt on any malformed entry.
inline std::optional<std::vector<CertEntry>> WalkCertTable(std::span<const uint8_t> table) {
  auto le32 = [&](size_t at) {
    uint32_t v = 0;
    for (size_t i = 0; i < 4; ++i) v |= static_cast<uint32_t>(table[at + i]) << (8 * i);
    return v;
  };
  std::vector<CertEntry> entries;
  for (size_t at = 0;; at += kCertEntryBytes) {
    if (at + kCertEntryBytes > table.size()) return std::nullopt;
    bool terminator = true;
    for (size_t i = at; i < at + kCertEntryBytes; ++i) terminator = terminator && table[i] == 0;
    if (terminator) break;
    const uint64_t offset = le32(at + 16);
    const uint64_t length = le32(at + 20);
    if (offset + length > table.size()) return std::nullopt;
    entries.push_back({std::vector<uint8_t>(table.begin() + static_cast<std::ptrdiff_t>(at),
                                            table.begin() + static_cast<std::ptrdiff_t>(at + 16)),
                       std::vector<uint8_t>(table.begin() + static_cast<std::ptrdiff_t>(offset),
                                            table.begin() + static_cast<std::ptrdiff_t>(offset + length))});
  }
  return entries;
}

inline X509Ptr ParseCertificate(const std::vector<uint8_t>& der) {
  const unsigned char* p = der.data();
  X509Ptr cert(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  if (cert && p != der.data() + der.size()) return nullptr;  // trailing bytes
  return cert;
}

}  // namespace svsm_ref::report_check
