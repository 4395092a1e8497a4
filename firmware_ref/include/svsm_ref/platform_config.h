// The platform the reference SVSM models: memory map, the SVSM's region, vCPUs, guest VMPL,
// protocols and versions, vTOM limits, attestation keys and report contents, and the knobs
// that make the model split or fail work where the spec allows it.
//
// Read from a YAML or JSON platform file (docs: firmware_ref/README.md, "Platform file");
// DefaultPlatformConfig() is the embedded default, so nothing is needed to start.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "svsm_spec/diagnostics.h"

namespace svsm_ref {

struct MemoryRegion {
  enum class Kind { kRam, kMmio };
  std::string name;
  uint64_t base = 0;  // 4 KiB aligned
  uint64_t size = 0;  // multiple of 4 KiB, > 0
  Kind kind = Kind::kRam;
  // RAM only: shared (hypervisor-visible, never validated) instead of private.
  bool shared = false;
  // RAM only: the hypervisor backs the range with 2 MiB RMP entries where it can, so
  // 2 MiB PVALIDATE works; false makes every 2 MiB PVALIDATE here a size mismatch.
  bool large_pages = true;
  // Private RAM only: validated at launch (by the SVSM before the guest starts), with full
  // permissions for the guest VMPL and every more-privileged VMPL.
  bool prevalidated = false;

  bool operator==(const MemoryRegion&) const = default;
};

struct VcpuConfig {
  uint32_t apic_id = 0;

  bool operator==(const VcpuConfig&) const = default;
};

struct ProtocolConfig {
  uint32_t number = 0;
  uint32_t min_version = 1;
  uint32_t max_version = 1;

  bool operator==(const ProtocolConfig&) const = default;
};

struct VtomConfig {
  bool supported = true;
  uint8_t alignment_log2 = 20;  // vTOM must be a multiple of 2^alignment_log2
  uint64_t min_vtom = uint64_t{1} << 32;
  uint64_t max_vtom = uint64_t{1} << 51;

  bool operator==(const VtomConfig&) const = default;
};

// A service the attestation protocol can report on (its manifest, version 0).
struct AttestServiceConfig {
  std::string name;
  std::array<uint8_t, 16> guid{};  // wire (mixed-endian) byte order
  std::vector<uint8_t> manifest;

  bool operator==(const AttestServiceConfig&) const = default;
};

struct AttestationConfig {
  // PEM of the ECDSA P-384 private key that signs reports (the VCEK stand-in); empty: the
  // model generates a fresh key at start.
  std::string signing_key_pem;
  uint32_t report_version = 2;
  uint32_t guest_svn = 0;
  uint64_t policy = 0x30000;  // bit 17 (must be 1) and bit 16 (SMT allowed)
  std::array<uint8_t, 16> family_id{};
  std::array<uint8_t, 16> image_id{};
  std::array<uint8_t, 48> measurement{};
  std::array<uint8_t, 32> host_data{};
  std::array<uint8_t, 64> chip_id{};
  // Whether the model's SNP firmware returns a certificate table (a self-signed VCEK-like
  // certificate of the signing key) for extended requests.
  bool provide_certificates = true;
  // Make every SNP guest request fail (to exercise the SNP-request-failure rules).
  bool fail_snp_requests = false;
  std::vector<AttestServiceConfig> services;

  bool operator==(const AttestationConfig&) const = default;
};

struct PlatformConfig {
  std::string name = "svsm-spec reference SVSM";
  uint8_t guest_vmpl = 2;  // 1..3
  std::vector<MemoryRegion> memory;
  uint64_t svsm_base = 0;  // inside private RAM, 4 KiB aligned
  uint64_t svsm_size = 0;  // multiple of 4 KiB, > 0
  uint64_t secrets_page = 0;  // private RAM, prevalidated, outside the SVSM region
  uint64_t startup_caa = 0;   // private RAM, prevalidated, outside the SVSM region
  uint64_t startup_vmsa = 0;  // private RAM outside the SVSM region; SVSM-owned from boot
  uint64_t sev_features = 1;  // SEV_FEATURES of the startup vCPU (bit 0: SNPActive)
  std::vector<VcpuConfig> vcpus;  // vcpus[0] is the startup vCPU
  std::vector<ProtocolConfig> protocols;  // what QUERY_PROTOCOL reports and calls accept
  VtomConfig vtom;
  // Work splitting (spec freedom core.pvalidate.incomplete / core.deposit-mem.incomplete):
  // 0 = process whole lists; n > 0 = return SVSM_ERR_INCOMPLETE after n entries.
  uint32_t pvalidate_entries_per_call = 0;
  uint32_t deposit_entries_per_call = 0;
  AttestationConfig attestation;
  // Fault injection (svsm_ref/faults.h): names of implementation mistakes the model makes on
  // purpose, for mutation testing of a conformance suite. Empty on any real platform.
  std::vector<std::string> faults;

  bool operator==(const PlatformConfig&) const = default;
};

// The embedded default platform (documented in firmware_ref/README.md).
PlatformConfig DefaultPlatformConfig();

// Parses a platform file (YAML 1.2; JSON is accepted as YAML). Keys left out keep the
// defaults of DefaultPlatformConfig(). Unknown keys, wrong types, out-of-range numbers and
// an inconsistent platform (overlapping regions, SVSM region outside private RAM, ...) are
// errors reported as "file:line:col: error: ..." in `diags`; returns nullopt then.
std::optional<PlatformConfig> ParsePlatformConfig(std::string_view text, std::string_view file,
                                                  svsm_spec::Diagnostics& diags);
std::optional<PlatformConfig> LoadPlatformConfigFile(const std::string& path,
                                                     svsm_spec::Diagnostics& diags);

// Semantic checks shared by the parser and programmatic users; returns the problems, each
// naming the offending key path (e.g. "memory[2].base"). Empty when consistent.
std::vector<std::string> CheckPlatformConfig(const PlatformConfig& config);

// The platform as JSON (the same keys the parser reads; 64-bit values as hex strings).
std::string PlatformConfigToJson(const PlatformConfig& config);

}  // namespace svsm_ref
