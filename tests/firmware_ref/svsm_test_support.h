// Shared helpers of the reference-SVSM tests: a model on the default (or a given) platform,
// guest-side helpers, and the check that every call's result is one the spec allows for the
// rule the model says decided it.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "svsm_ref/svsm.h"
#include "svsm_spec.h"  // generated C header: result codes, call ids
#include "svsm_spec/loader.h"

namespace svsm_ref::testing {

using svsm_spec::codec::RegisterSet;

// The shipped spec, loaded once (SVSM_SPEC_DIR).
inline const svsm_spec::Spec& ShippedSpec() {
  static const std::shared_ptr<const svsm_spec::Spec> spec = [] {
    svsm_spec::LoadResult r = svsm_spec::LoadSpecFiles({SVSM_SPEC_DIR});
    if (!r.spec) {
      for (const auto& d : r.diagnostics.all()) ADD_FAILURE() << d.Format();
    }
    return r.spec;
  }();
  return *spec;
}

// Whether `r` (a completed call) returned a code the spec allows for the rule the model
// names: the rule's `result`, one of its `allowed_results`, SUCCESS for an effect, or for
// core.pvalidate.instruction-failure any code of the PVALIDATE EAX range. Model rules
// ("model.*") are not in the spec; the unmapped-decode marker is always a failure.
inline ::testing::AssertionResult ResultAgreesWithSpec(const CallResult& r) {
  if (r.outcome != CallResult::Outcome::kCompleted &&
      r.outcome != CallResult::Outcome::kVcpuDeleted) {
    return ::testing::AssertionSuccess();
  }
  if (r.rule_id == nullptr) return ::testing::AssertionFailure() << "no rule named for the call";
  const std::string id = r.rule_id;
  if (id == "model.unmapped-decode-rule") {
    return ::testing::AssertionFailure() << "a decoder named a rule the model does not map";
  }
  if (id.rfind("model.", 0) == 0) return ::testing::AssertionSuccess();
  const svsm_spec::Spec& spec = ShippedSpec();
  const svsm_spec::Rule* rule = spec.FindRule(id);
  if (rule == nullptr) return ::testing::AssertionFailure() << "rule " << id << " is not in the spec";
  if (r.outcome == CallResult::Outcome::kVcpuDeleted) return ::testing::AssertionSuccess();
  const uint32_t code = static_cast<uint32_t>(r.regs.rax);
  std::vector<std::string> names;
  if (!rule->result.empty()) names.push_back(rule->result);
  names.insert(names.end(), rule->allowed_results.begin(), rule->allowed_results.end());
  if (names.empty()) {
    // A freedom without listed results (e.g. a signing-key choice): any code is the spec's.
    return ::testing::AssertionSuccess();
  }
  for (const std::string& name : names) {
    const svsm_spec::ResultCode* rc = spec.FindResultCode(name, rule->protocol);
    if (rc != nullptr && rc->value == code) return ::testing::AssertionSuccess();
  }
  if (id == "core.pvalidate.instruction-failure" && code >= 0x80001000u && code <= 0x8000100Fu) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure() << "rule " << id << " does not allow result 0x" << std::hex
                                       << code;
}

inline std::unique_ptr<ReferenceSvsm> MakeSvsm(const PlatformConfig& config = DefaultPlatformConfig()) {
  std::string error;
  auto svsm = ReferenceSvsm::Create(config, &error);
  EXPECT_NE(svsm, nullptr) << error;
  return svsm;
}

// One guest call on `vcpu`, checked against the spec (see ResultAgreesWithSpec).
inline CallResult Call(ReferenceSvsm& svsm, size_t vcpu, const RegisterSet& in) {
  CallResult r = svsm.GuestCall(vcpu, in);
  EXPECT_TRUE(ResultAgreesWithSpec(r)) << "rax in 0x" << std::hex << in.rax;
  return r;
}

inline RegisterSet Regs(uint64_t rax, uint64_t rcx = 0, uint64_t rdx = 0, uint64_t r8 = 0,
                        uint64_t r9 = 0) {
  return RegisterSet{rax, rcx, rdx, r8, r9};
}

inline uint64_t CoreRax(uint32_t call) { return call; }
inline uint64_t AttestRax(uint32_t call) { return (uint64_t{SVSM_ATTEST_PROTOCOL} << 32) | call; }

// Guest memory writes and reads at the guest VMPL of the default platform.
inline void GuestWriteBytes(ReferenceSvsm& svsm, uint64_t gpa, std::span<const uint8_t> bytes) {
  ASSERT_TRUE(svsm.GuestWrite(svsm.config().guest_vmpl, gpa, bytes)) << "gpa 0x" << std::hex << gpa;
}
inline void GuestWriteU64(ReferenceSvsm& svsm, uint64_t gpa, uint64_t value) {
  uint8_t b[8];
  for (int i = 0; i < 8; ++i) b[i] = static_cast<uint8_t>(value >> (8 * i));
  GuestWriteBytes(svsm, gpa, b);
}
inline std::vector<uint8_t> GuestReadBytes(const ReferenceSvsm& svsm, uint64_t gpa, size_t size) {
  std::vector<uint8_t> out(size);
  EXPECT_TRUE(svsm.GuestRead(svsm.config().guest_vmpl, gpa, out)) << "gpa 0x" << std::hex << gpa;
  return out;
}

// A PVALIDATE entry: page size (0 = 4 KiB, 1 = 2 MiB), action (1 = validate), ignore-CF.
inline uint64_t PvalidateEntryBits(uint64_t gpa, unsigned page_size, unsigned action,
                                   unsigned ignore_cf = 0) {
  return (gpa & ~uint64_t{0xFFF}) | (uint64_t{ignore_cf} << 3) | (uint64_t{action} << 2) | page_size;
}

// Writes a PVALIDATE (or DEPOSIT_MEM) list {entries, next, reserved, entry...} at `gpa`.
inline void WriteList(ReferenceSvsm& svsm, uint64_t gpa, const std::vector<uint64_t>& entries,
                      uint16_t next = 0, uint16_t count_override = 0xFFFF) {
  std::vector<uint8_t> bytes(8 + entries.size() * 8, 0);
  const uint16_t count = count_override == 0xFFFF ? static_cast<uint16_t>(entries.size()) : count_override;
  bytes[0] = static_cast<uint8_t>(count);
  bytes[1] = static_cast<uint8_t>(count >> 8);
  bytes[2] = static_cast<uint8_t>(next);
  bytes[3] = static_cast<uint8_t>(next >> 8);
  for (size_t i = 0; i < entries.size(); ++i) {
    for (int b = 0; b < 8; ++b) bytes[8 + i * 8 + b] = static_cast<uint8_t>(entries[i] >> (8 * b));
  }
  GuestWriteBytes(svsm, gpa, bytes);
}

// The list's `next` as the SVSM left it.
inline uint16_t ListNext(const ReferenceSvsm& svsm, uint64_t gpa) {
  uint8_t b[2] = {};
  EXPECT_TRUE(svsm.PhysicalRead(gpa + 2, b));
  return static_cast<uint16_t>(b[0] | b[1] << 8);
}

// ---------------------------------------------------------------------------------------
// Core-protocol helpers (core_*_test.cc; usable by any test).

// Whether a completed call returned exactly `code` and the model named `rule`.
inline ::testing::AssertionResult IsResult(const CallResult& r, uint32_t code, const char* rule) {
  if (r.outcome != CallResult::Outcome::kCompleted) {
    return ::testing::AssertionFailure() << "outcome " << static_cast<int>(r.outcome);
  }
  const std::string got_rule = r.rule_id ? r.rule_id : "(null)";
  if (r.regs.rax != code || got_rule != rule) {
    ::testing::Message m;  // one stream, so std::hex holds for every number
    m << std::hex << "got rax 0x" << r.regs.rax << " rule " << got_rule << ", want 0x" << code
      << " rule " << rule;
    return ::testing::AssertionFailure() << m;
  }
  return ::testing::AssertionSuccess();
}

// The registers other than RAX are as the call found them (calls without register outputs).
inline ::testing::AssertionResult RegsKept(const CallResult& r, const RegisterSet& in) {
  if (r.regs.rcx != in.rcx || r.regs.rdx != in.rdx || r.regs.r8 != in.r8 || r.regs.r9 != in.r9) {
    return ::testing::AssertionFailure() << "a register other than RAX changed";
  }
  return ::testing::AssertionSuccess();
}

// One core call (protocol 0) on `vcpu`, checked against the spec like Call.
inline CallResult CoreCall(ReferenceSvsm& svsm, size_t vcpu, uint32_t call, uint64_t rcx = 0,
                           uint64_t rdx = 0, uint64_t r8 = 0, uint64_t r9 = 0) {
  return Call(svsm, vcpu, Regs(CoreRax(call), rcx, rdx, r8, r9));
}

// A VMSA that passes every CREATE_VCPU content check on `svsm`'s platform for `vmpl`:
// EFER.SVME set and SEV_FEATURES equal to the startup vCPU's.
inline svsm_spec::codec::gen::Vmsa ValidVmsa(const ReferenceSvsm& svsm, uint8_t vmpl) {
  svsm_spec::codec::gen::Vmsa v;
  v.vmpl = vmpl;
  v.efer.svme = 1;
  v.sev_features = svsm.config().sev_features;
  v.rip = 0xFFF0;
  return v;
}

// Writes `vmsa` at the start of page `gpa` (the rest of the page zero) as the guest VMPL.
inline void WriteVmsaPage(ReferenceSvsm& svsm, uint64_t gpa,
                          const svsm_spec::codec::gen::Vmsa& vmsa) {
  std::vector<uint8_t> page(kPageSize, 0);
  const std::vector<uint8_t> bytes = vmsa.Encode();
  for (size_t i = 0; i < bytes.size(); ++i) page[i] = bytes[i];
  GuestWriteBytes(svsm, gpa, page);
}

// One byte of physical memory (regardless of policy).
inline uint8_t PhysByte(const ReferenceSvsm& svsm, uint64_t gpa) {
  uint8_t b = 0;
  EXPECT_TRUE(svsm.PhysicalRead(gpa, std::span<uint8_t>(&b, 1))) << "gpa 0x" << std::hex << gpa;
  return b;
}
inline uint64_t PhysU64(const ReferenceSvsm& svsm, uint64_t gpa) {
  uint8_t b[8] = {};
  EXPECT_TRUE(svsm.PhysicalRead(gpa, b)) << "gpa 0x" << std::hex << gpa;
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | b[i];
  return v;
}

// Whether software at `vmpl` can read one byte at `gpa`.
inline bool CanRead(const ReferenceSvsm& svsm, uint8_t vmpl, uint64_t gpa) {
  uint8_t b = 0;
  return svsm.GuestRead(vmpl, gpa, std::span<uint8_t>(&b, 1));
}

// Runs a PVALIDATE of `entries` (PvalidateEntryBits values) from `vcpu` with the list at
// `list_gpa` and expects SUCCESS.
inline void PvalidateOk(ReferenceSvsm& svsm, const std::vector<uint64_t>& entries,
                        uint64_t list_gpa, size_t vcpu = 0) {
  WriteList(svsm, list_gpa, entries);
  const CallResult r = CoreCall(svsm, vcpu, SVSM_CORE_PVALIDATE, list_gpa);
  ASSERT_TRUE(IsResult(r, SVSM_SUCCESS, "core.pvalidate.process-from-next"));
}

// The memory region of a config by name (nullptr if none).
inline MemoryRegion* RegionNamed(PlatformConfig& config, const std::string& name) {
  for (MemoryRegion& r : config.memory) {
    if (r.name == name) return &r;
  }
  return nullptr;
}

}  // namespace svsm_ref::testing
