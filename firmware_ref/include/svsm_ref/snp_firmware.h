// A model of the SEV-SNP firmware (PSP) as the SVSM sees it through SNP guest requests:
// MSG_REPORT_REQ in, a signed ATTESTATION_REPORT out (real 0x4A0-byte layout, ECDSA P-384
// with SHA-384 over bytes 0x000-0x29F, R and S little-endian), plus the certificate table of
// an extended request. All cryptography is OpenSSL; nothing is hand-written.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "svsm_ref/platform_config.h"

namespace svsm_ref {

inline constexpr size_t kSnpReportSize = 0x4A0;
inline constexpr size_t kSnpReportSignedSize = 0x2A0;
// GHCB extended guest request certificate table entry GUID of the VCEK certificate
// (63da758d-e664-4564-adc5-f4b93be8accd), wire byte order: RFC 4122 (the bytes as the string
// reads), not the mixed-endian order of the SVSM's own GUIDs.
extern const std::array<uint8_t, 16> kVcekCertGuid;

// SHA-512 of the concatenation of `parts` (REPORT_DATA = SHA-512(nonce || manifest)).
std::array<uint8_t, 64> Sha512(std::initializer_list<std::span<const uint8_t>> parts);

class SnpFirmware {
 public:
  // Loads config.signing_key_pem (must be an EC P-384 private key) or generates a key;
  // nullptr with `error` set when the PEM is unusable or key generation fails.
  static std::unique_ptr<SnpFirmware> Create(const AttestationConfig& config, std::string* error);
  ~SnpFirmware();
  SnpFirmware(const SnpFirmware&) = delete;
  SnpFirmware& operator=(const SnpFirmware&) = delete;

  // Answers MSG_REPORT_REQ (user_data, vmpl, flags as in the snp_msg_report_req layout):
  // the signed report, or nullopt when the request fails (config.fail_snp_requests, vmpl > 3,
  // non-zero reserved/unsupported flags).
  std::optional<std::array<uint8_t, kSnpReportSize>> GetReport(
      std::span<const uint8_t, 64> user_data, uint32_t vmpl, uint32_t flags) const;

  // The certificate table an extended guest request returns: entries {guid[16], offset u32,
  // length u32} ended by an all-zero entry, followed by the DER certificates. Holds one
  // self-signed X.509 certificate of the signing key under kVcekCertGuid; empty when
  // config.provide_certificates is false.
  const std::vector<uint8_t>& CertificateTable() const { return cert_table_; }

  // The public key (SubjectPublicKeyInfo PEM) that verifies every report.
  const std::string& PublicKeyPem() const { return public_key_pem_; }

  const AttestationConfig& config() const { return config_; }

  // How many reports GetReport has signed (failed requests do not count).
  uint64_t reports_issued() const { return reports_issued_.load(); }

 private:
  SnpFirmware() = default;
  struct Key;
  AttestationConfig config_;
  std::unique_ptr<Key> key_;
  std::vector<uint8_t> cert_table_;
  std::string public_key_pem_;
  // Atomic because GetReport is const and may run on several vCPU threads. REPORT_ID does not
  // use it: like the firmware's per-guest REPORT_ID it is fixed for the instance.
  mutable std::atomic<uint64_t> reports_issued_{0};
};

}  // namespace svsm_ref
