// What the conformance runner drives: a target that plays the guest for it (docs/
// wire-protocol.md). Implementations: the reference SVSM in-process (cli/), a wire client
// over a subprocess or a socket (wire_client.h), and any other SVSM behind the C agent.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "svsm_spec/codec_runtime.h"

namespace svsm_conform {

using svsm_spec::codec::RegisterSet;

struct MemoryRange {
  uint64_t base = 0;
  uint64_t size = 0;
  bool validated = false;  // test memory only: validated for the guest VMPL at start
};

struct ProtocolClaim {
  uint32_t number = 0;
  uint32_t min_version = 0;
  uint32_t max_version = 0;
};

struct VcpuInfo {
  uint32_t index = 0;
  uint32_t apic_id = 0;
  std::optional<uint64_t> caa;   // set when the vCPU can issue calls now
  std::optional<uint64_t> vmsa;
};

// The HELLO answer (docs/wire-protocol.md).
struct TargetInfo {
  uint32_t wire_version = 1;
  std::string target;
  std::string spec_revision;
  uint8_t guest_vmpl = 0;
  std::vector<ProtocolClaim> protocols;
  std::vector<VcpuInfo> vcpus;
  MemoryRange svsm_region;
  uint64_t startup_vmsa = 0;
  std::vector<MemoryRange> test_memory;
  std::vector<MemoryRange> shared_memory;
  uint64_t unmapped = 0;
  std::vector<std::string> capabilities;
  // PEM (SubjectPublicKeyInfo) of the key that signs attestation reports, when the target
  // knows it (the attestation vectors verify signatures against it).
  std::string report_public_key;

  bool Has(const std::string& capability) const;
};

enum class CallOutcome : uint32_t {
  kCompleted = 0,
  kNoReturn = 1,
  kCannotCall = 2,
  kGuestFault = 3,
};

struct CallReply {
  CallOutcome outcome = CallOutcome::kCompleted;
  RegisterSet regs;
  uint8_t call_pending_after = 0;
};

// Platform behaviour a target can be told to show (docs/wire-protocol.md, INJECT), for the
// rules a guest cannot observe on its own: hardware answers real hardware never gives, and
// races. Capabilities `inject-pvalidate-result` and `inject-racing-write`.
struct Injection {
  enum class Kind : uint32_t {
    // The (skip + 1)-th PVALIDATE instruction the SVSM executes from now on returns `eax`
    // (CF = 0) without effect.
    kPvalidateResult = 1,
    // The next time the SVSM reads guest memory in the page holding `gpa`, right after that
    // read, another vCPU of the guest (at the guest VMPL) writes `bytes` at `gpa`, as a
    // racing vCPU would; the write lands only if the guest may write there at that moment.
    kRacingWrite = 2,
  };
  Kind kind = Kind::kPvalidateResult;
  uint32_t skip = 0;  // kPvalidateResult
  uint32_t eax = 0;
  uint64_t gpa = 0;  // kRacingWrite: 1..4096 bytes, inside one 4 KiB page
  std::vector<uint8_t> bytes;
  bool operator==(const Injection&) const = default;
};

// The capability a target offers for `kind` ("inject-pvalidate-result", ...).
const char* InjectionCapability(Injection::Kind kind);

struct PageStateReply {
  bool validated = false;
  bool validated_2m = false;
  bool vmsa = false;
  uint8_t perms[3] = {0, 0, 0};  // VMPL1..3
};

// Why a target request failed: the target answered ERROR (code per the wire protocol), or
// the transport broke (kBroken: timeout, closed stream, garbage), after which the target
// must be restarted.
struct TargetError {
  enum Code : uint32_t {
    kUnknownMessage = 1,
    kMalformed = 2,
    kFault = 3,
    kUnsupported = 4,
    kInternal = 5,
    kBroken = 100,
  };
  uint32_t code = kInternal;
  std::string message;
};

template <class T>
struct TargetResult {
  std::optional<T> value;
  TargetError error;
  bool ok() const { return value.has_value(); }
};

// A target's answer, or its error: what every Target implementation returns.
template <class T>
TargetResult<T> TargetOk(T value) {
  TargetResult<T> r;
  r.value = std::move(value);
  return r;
}
template <class T>
TargetResult<T> TargetFail(TargetError error) {
  TargetResult<T> r;
  r.error = std::move(error);
  return r;
}
template <class T>
TargetResult<T> TargetFail(uint32_t code, std::string message) {
  return TargetFail<T>(TargetError{code, std::move(message)});
}

struct Empty {};

// Every method returns the target's answer or a TargetError; none throws.
class Target {
 public:
  virtual ~Target() = default;
  virtual TargetResult<TargetInfo> Hello() = 0;
  virtual TargetResult<Empty> Reset() = 0;
  virtual TargetResult<std::vector<uint8_t>> Read(uint64_t gpa, uint32_t size) = 0;
  virtual TargetResult<Empty> Write(uint64_t gpa, std::span<const uint8_t> bytes) = 0;
  virtual TargetResult<CallReply> Call(uint32_t vcpu, const RegisterSet& regs) = 0;
  // Call, with the guest storing `call_pending` (instead of 1) in CALL_PENDING before the
  // VMGEXIT: what a guest may do to see how the SVSM treats 0 and reserved values
  // (capability call-pending-value). Targets without it answer kUnsupported.
  virtual TargetResult<CallReply> CallWithPending(uint32_t vcpu, uint8_t call_pending,
                                                  const RegisterSet& regs);
  virtual TargetResult<PageStateReply> PageState(uint64_t gpa) = 0;
  virtual TargetResult<Empty> SetRunning(uint32_t vcpu, bool running) = 0;
  // Arms injected platform behaviour (capabilities inject-*); targets without it answer
  // kUnsupported.
  virtual TargetResult<Empty> Inject(const Injection& injection);
  // Brings a broken target back (a new process or connection); false when it cannot.
  virtual bool Restart(std::string* error) = 0;
  // Recent diagnostics of the target (e.g. a subprocess's standard error), for reports.
  virtual std::string RecentLog() const { return {}; }
};

// HELLO payload <-> TargetInfo (JSON; 64-bit values as hex strings).
std::string TargetInfoToJson(const TargetInfo& info);
std::optional<TargetInfo> TargetInfoFromJson(std::string_view json, std::string* error);

}  // namespace svsm_conform
