// The reference SVSM as a conformance target (svsm_conform::Target), in-process: what
// `svsm-spec conform --target ref` drives, what `svsm-spec serve --wire` serves, and what
// svsm-ref-agent puts behind the C guest agent. One place derives the HELLO facts, so every
// way of reaching the reference SVSM reports the same target.
#pragma once

#include <memory>
#include <string>

#include "svsm_conform/target.h"
#include "svsm_ref/platform_config.h"
#include "svsm_ref/svsm.h"

namespace svsm_cli {

// HELLO facts of a reference SVSM: claims, vCPUs, forbidden regions, test memory (2 MiB
// aligned, clear of the secrets page, the startup CAA and VMSA and the SVSM region; a
// validated and an unvalidated range of up to 32 MiB), shared memory, an unmapped address
// and the report-signing key.
svsm_conform::TargetInfo ReferenceTargetInfo(const svsm_ref::ReferenceSvsm& svsm);

// A fresh P-384 private key as PEM (empty and `error` set on failure).
std::string GenerateSigningKeyPem(std::string* error);

// Arms `injection` on the model (ReferenceSvsm::InjectPvalidateResult / InjectRacingWrite;
// the racing vCPU runs at the guest VMPL). kMalformed for a racing write the model refuses.
svsm_conform::TargetResult<svsm_conform::Empty> InjectIntoModel(svsm_ref::ReferenceSvsm& svsm,
                                                                const svsm_conform::Injection& injection);

class ReferenceTarget final : public svsm_conform::Target {
 public:
  // Gives the platform a signing key when it has none, so RESET keeps the same report key.
  static std::unique_ptr<ReferenceTarget> Create(svsm_ref::PlatformConfig config, std::string* error);

  svsm_conform::TargetResult<svsm_conform::TargetInfo> Hello() override;
  svsm_conform::TargetResult<svsm_conform::Empty> Reset() override;
  svsm_conform::TargetResult<std::vector<uint8_t>> Read(uint64_t gpa, uint32_t size) override;
  svsm_conform::TargetResult<svsm_conform::Empty> Write(uint64_t gpa, std::span<const uint8_t> bytes) override;
  svsm_conform::TargetResult<svsm_conform::CallReply> Call(uint32_t vcpu, const svsm_conform::RegisterSet& regs) override;
  svsm_conform::TargetResult<svsm_conform::CallReply> CallWithPending(uint32_t vcpu, uint8_t call_pending,
                                                                      const svsm_conform::RegisterSet& regs) override;
  svsm_conform::TargetResult<svsm_conform::PageStateReply> PageState(uint64_t gpa) override;
  svsm_conform::TargetResult<svsm_conform::Empty> SetRunning(uint32_t vcpu, bool running) override;
  svsm_conform::TargetResult<svsm_conform::Empty> Inject(const svsm_conform::Injection& injection) override;
  bool Restart(std::string* error) override;

  svsm_ref::ReferenceSvsm& svsm() { return *svsm_; }
  const svsm_ref::PlatformConfig& config() const { return config_; }

 private:
  explicit ReferenceTarget(svsm_ref::PlatformConfig config) : config_(std::move(config)) {}
  svsm_ref::PlatformConfig config_;
  std::unique_ptr<svsm_ref::ReferenceSvsm> svsm_;
};

}  // namespace svsm_cli
