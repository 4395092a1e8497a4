// Drives the reference SVSM with a byte-coded sequence of guest actions: memory writes at
// interesting addresses, calls with arbitrary registers (RAX mostly a real call), vCPUs
// marked running or halted. Everything the SVSM reads from the guest (registers, lists,
// operation structures, VMSAs, nonces) comes from the input. Checked after every call:
//   * the result is zero-extended (general.result-zero-extended) and a rule is named;
//   * the decoders never hand the model a rule it cannot map (model.unmapped-decode-rule);
//   * the SVSM region and the startup VMSA never become guest-accessible;
//   * no page is both an active VMSA and an active Calling Area.
//
// Input: a sequence of records, each an opcode byte then its operands (little-endian,
// missing bytes are 0):
//   op % 4 == 0: write   addr-selector u8, offset u16, length u8, then that many bytes
//   op % 4 == 1: call    vcpu u8, call-selector u8, then RCX RDX R8 R9 as u64; an
//                        addr-selector byte per register precedes it when op bit 7 is set
//   op % 4 == 2: running vcpu u8, running u8
//   op % 4 == 3: enter   vcpu u8, exit-code u16 (host-caused entries, spurious or not)
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <string_view>

#include "codec_fuzz_common.h"
#include "svsm_ref/svsm.h"
#include "svsm_spec.h"

namespace {

using svsm_ref::CallResult;
using svsm_ref::ReferenceSvsm;
using svsm_spec::codec::RegisterSet;
using svsm_spec::fuzz::Check;

class Reader {
 public:
  explicit Reader(std::span<const uint8_t> data) : data_(data) {}
  bool done() const { return pos_ >= data_.size(); }
  uint64_t Take(size_t n) {
    uint64_t v = 0;
    for (size_t i = 0; i < n; ++i) {
      const uint64_t b = pos_ < data_.size() ? data_[pos_] : 0;
      ++pos_;
      v |= b << (8 * i);
    }
    return v;
  }
  std::span<const uint8_t> Bytes(size_t n) {
    const size_t start = pos_ < data_.size() ? pos_ : data_.size();
    const size_t end = start + n < data_.size() ? start + n : data_.size();
    pos_ += n;
    return data_.subspan(start, end - start);
  }

 private:
  std::span<const uint8_t> data_;
  size_t pos_ = 0;
};

// Addresses worth aiming at: the CAA and its argument area, the SVSM region and its edges,
// the startup VMSA, the secrets page, page and 2 MiB boundaries, shared RAM, MMIO, the top
// of the address space.
uint64_t Address(const ReferenceSvsm& svsm, uint8_t selector, uint64_t offset) {
  const auto& c = svsm.config();
  const std::array<uint64_t, 16> bases = {
      c.startup_caa,          c.startup_caa + 8,   c.svsm_base,
      c.svsm_base - 0x200000, c.startup_vmsa,      c.secrets_page,
      0x100000,               0x200000,            0x1000000,
      0x3FE00000,             0x80000000,          0xE0000000,
      0x100000000,            0xFFFFFFFFFFFFF000u, c.svsm_base + c.svsm_size,
      0x0,
  };
  if (selector >= 0x80) return offset << 12;  // anywhere: a page number
  return bases[selector % bases.size()] + (offset << 3);
}

// A P-384 key made for this fuzzer with `openssl genpkey`; it protects nothing.
constexpr const char* kFuzzSigningKey = R"(-----BEGIN PRIVATE KEY-----
MIG2AgEAMBAGByqGSM49AgEGBSuBBAAiBIGeMIGbAgEBBDBMKyqMSisQ3T69LdAy
vjNvwuNB9n05l2CFkl/dnK9TuRPGP/IfQdZx+WpoWLzE45qhZANiAATfo19sPDOW
M+p4QTU5YA19c5Hqe9EN5GjT7L3H1BFDO7dbKcZNdN7LxCIXysO3ufN5U2SMwoY8
JXrhL+bwIBi5tnZHz4cstolE0+2/ICiamQ52OV84R2oMB3ayHMI0ya4=
-----END PRIVATE KEY-----
)";

constexpr std::array<uint64_t, 12> kCalls = {
    SVSM_CORE_CALL(SVSM_CORE_REMAP_CA),     SVSM_CORE_CALL(SVSM_CORE_PVALIDATE),
    SVSM_CORE_CALL(SVSM_CORE_CREATE_VCPU),  SVSM_CORE_CALL(SVSM_CORE_DELETE_VCPU),
    SVSM_CORE_CALL(SVSM_CORE_DEPOSIT_MEM),  SVSM_CORE_CALL(SVSM_CORE_WITHDRAW_MEM),
    SVSM_CORE_CALL(SVSM_CORE_QUERY_PROTOCOL), SVSM_CORE_CALL(SVSM_CORE_CONFIGURE_VTOM),
    SVSM_ATTEST_CALL(SVSM_ATTEST_SERVICES), SVSM_ATTEST_CALL(SVSM_ATTEST_SINGLE_SERVICE),
    SVSM_ATTEST_CALL(2),                    0x900000000u,
};

void CheckInvariants(const ReferenceSvsm& svsm, const CallResult& r) {
  if (r.outcome == CallResult::Outcome::kCompleted) {
    Check(r.regs.rax <= 0xFFFFFFFFu);
    Check(r.rule_id != nullptr);
    Check(std::string_view(r.rule_id) != "model.unmapped-decode-rule");
  }
  const auto& c = svsm.config();
  std::array<uint8_t, 8> probe{};
  for (uint8_t vmpl = 1; vmpl <= 3; ++vmpl) {
    Check(!svsm.GuestRead(vmpl, c.svsm_base, probe));
    Check(!svsm.GuestRead(vmpl, c.svsm_base + c.svsm_size - 8, probe));
    Check(!svsm.GuestRead(vmpl, c.startup_vmsa, probe));
  }
  for (const auto& a : svsm.vcpus()) {
    if (!a.vmsa) continue;
    for (const auto& b : svsm.vcpus()) {
      if (b.vmsa) Check((*a.vmsa >> 12) != (b.caa >> 12));
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  svsm_ref::PlatformConfig config = svsm_ref::DefaultPlatformConfig();
  // The first byte picks platform variants, so splitting and refusals are reachable.
  config.pvalidate_entries_per_call = data[0] & 3;
  config.deposit_entries_per_call = (data[0] >> 2) & 3;
  config.vtom.supported = (data[0] & 0x10) == 0;
  if (data[0] & 0x20) {
    config.attestation.services.push_back(
        {"test", {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}, {0xAA, 0xBB}});
  }
  config.attestation.fail_snp_requests = (data[0] & 0x40) != 0;
  // Each input gets a fresh model (no state leaks between inputs); a fixed key and no
  // certificate keep its start-up cheap (key generation would dominate the run).
  config.attestation.signing_key_pem = kFuzzSigningKey;
  config.attestation.provide_certificates = false;
  std::string error;
  auto svsm = ReferenceSvsm::Create(config, &error);
  Check(svsm != nullptr);

  Reader in(std::span<const uint8_t>(data + 1, size - 1));
  for (int steps = 0; !in.done() && steps < 64; ++steps) {
    const uint8_t op = static_cast<uint8_t>(in.Take(1));
    switch (op % 4) {
      case 0: {
        const uint8_t selector = static_cast<uint8_t>(in.Take(1));
        const uint64_t offset = in.Take(2);
        const size_t length = static_cast<size_t>(in.Take(1));
        const auto bytes = in.Bytes(length);
        svsm->GuestWrite(svsm->config().guest_vmpl, Address(*svsm, selector, offset), bytes);
        break;
      }
      case 1: {
        const size_t vcpu = static_cast<size_t>(in.Take(1) % 4);
        const uint8_t call = static_cast<uint8_t>(in.Take(1));
        RegisterSet regs;
        regs.rax = call < 0xF0 ? kCalls[call % kCalls.size()] : in.Take(8);
        uint64_t* args[] = {&regs.rcx, &regs.rdx, &regs.r8, &regs.r9};
        for (uint64_t* reg : args) {
          if (op & 0x80) {
            const uint8_t selector = static_cast<uint8_t>(in.Take(1));
            *reg = Address(*svsm, selector, in.Take(2));
          } else {
            *reg = in.Take(8);
          }
        }
        const CallResult r = svsm->GuestCall(vcpu, regs);
        CheckInvariants(*svsm, r);
        break;
      }
      case 2: {
        const size_t vcpu = static_cast<size_t>(in.Take(1) % 4);
        svsm->SetVcpuRunning(vcpu, (in.Take(1) & 1) != 0);
        break;
      }
      case 3: {
        const size_t vcpu = static_cast<size_t>(in.Take(1) % 4);
        const uint64_t exit_code = in.Take(2);
        const CallResult r = svsm->Enter(vcpu, RegisterSet{kCalls[6], 1, 0, 0, 0}, exit_code);
        CheckInvariants(*svsm, r);
        break;
      }
    }
  }
  return 0;
}
