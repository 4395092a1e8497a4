// svsm-ref-agent: the C guest agent (svsm_agent.c) in front of the reference SVSM, speaking
// the conformance wire protocol (docs/wire-protocol.md) on standard input and output, so
// that `svsm-spec conform --target exec:build/conformance/agent/svsm-ref-agent` exercises
// the agent end to end against a known-good SVSM.
//
//   svsm-ref-agent [--platform FILE]
//
// The agent's hooks play the guest on the reference model: CALL is ReferenceSvsm::GuestCall,
// READ/WRITE are GuestRead/GuestWrite at the guest VMPL, PAGE_STATE reads the model's page
// state, SET_RUNNING is SetVcpuRunning, and RESET builds a fresh model from the same platform
// and the same attestation signing key (generated once at start unless the platform file
// names one). Standard error carries diagnostics only.
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "svsm_ref/platform_config.h"
#include "svsm_ref/svsm.h"
#include "svsm_spec/diagnostics.h"

extern "C" {
#include "svsm_agent.h"
}

namespace {

using svsm_ref::CallResult;
using svsm_ref::MemoryRegion;
using svsm_ref::PlatformConfig;
using svsm_ref::ReferenceSvsm;

constexpr uint64_t kLargePage = uint64_t{1} << 21;
// At most this much unvalidated test memory is offered (the core suite needs 1 MiB).
constexpr uint64_t kUnvalidatedTestMemoryMax = uint64_t{32} << 20;
// Below this, boot RAM is left alone (real-mode and firmware conventions).
constexpr uint64_t kTestMemoryFloor = kLargePage;
// The hole the default platform leaves between MMIO and high RAM.
constexpr uint64_t kPreferredUnmapped = 0xF000'0000;

uint64_t AlignUp(uint64_t v, uint64_t a) {
  return (v + a - 1) & ~(a - 1);
}
uint64_t AlignDown(uint64_t v, uint64_t a) {
  return v & ~(a - 1);
}

// The HELLO facts as owned storage; Bind() gives the C view the agent serialises.
struct HelloData {
  std::string target;
  std::string spec_revision;
  std::vector<svsm_agent_protocol> protocols;
  std::vector<svsm_agent_vcpu> vcpus;
  std::vector<svsm_agent_range> test_memory;
  std::vector<svsm_agent_range> shared_memory;
  std::string public_key;
  svsm_agent_hello c{};

  void Bind() {
    c.target = target.c_str();
    c.spec_revision = spec_revision.c_str();
    c.protocols = protocols.data();
    c.protocol_count = protocols.size();
    c.vcpus = vcpus.data();
    c.vcpu_count = vcpus.size();
    c.test_memory = test_memory.data();
    c.test_memory_count = test_memory.size();
    c.shared_memory = shared_memory.data();
    c.shared_memory_count = shared_memory.size();
    c.report_public_key = public_key.empty() ? nullptr : public_key.c_str();
  }
};

bool InAnyRegion(const PlatformConfig& config, uint64_t gpa) {
  for (const MemoryRegion& r : config.memory) {
    if (gpa >= r.base && gpa - r.base < r.size) return true;
  }
  return false;
}

// The lowest address >= start that the guest must not use as test memory (secrets page,
// startup Calling Area and VMSA, the SVSM region), or UINT64_MAX.
uint64_t NextForbidden(const PlatformConfig& config, uint64_t start) {
  uint64_t next = UINT64_MAX;
  const uint64_t pages[] = {config.secrets_page, config.startup_caa, config.startup_vmsa};
  for (uint64_t p : pages) {
    if (p + svsm_ref::kPageSize > start && p < next) next = p < start ? start : p;
  }
  if (config.svsm_base + config.svsm_size > start && config.svsm_base < next) {
    next = config.svsm_base < start ? start : config.svsm_base;
  }
  return next;
}

// A 2 MiB-aligned range of private RAM of the requested kind clear of everything the
// platform reserves, starting at or above kTestMemoryFloor; size 0 when there is none.
svsm_agent_range FindTestMemory(const PlatformConfig& config, bool validated, uint64_t max_size) {
  for (const MemoryRegion& r : config.memory) {
    if (r.kind != MemoryRegion::Kind::kRam || r.shared || r.prevalidated != validated) continue;
    uint64_t start = AlignUp(std::max(r.base, kTestMemoryFloor), kLargePage);
    const uint64_t region_end = r.base + r.size;
    while (start < region_end) {
      const uint64_t forbidden = NextForbidden(config, start);
      const uint64_t limit = max_size > UINT64_MAX - start ? UINT64_MAX : start + max_size;
      const uint64_t end = AlignDown(std::min({region_end, forbidden, limit}), kLargePage);
      if (end > start) return {start, end - start, validated ? 1 : 0};
      if (forbidden >= region_end) break;
      // Something reserved at `start`: continue in the next 2 MiB page past it.
      start = AlignUp(forbidden + 1, kLargePage);
    }
  }
  return {0, 0, validated ? 1 : 0};
}

// A page-aligned address no region maps: the default platform's hole above MMIO when it is
// free, else the end of the first region not followed by another.
uint64_t FindUnmapped(const PlatformConfig& config) {
  if (!InAnyRegion(config, kPreferredUnmapped)) return kPreferredUnmapped;
  for (const MemoryRegion& r : config.memory) {
    const uint64_t end = r.base + r.size;
    if (!InAnyRegion(config, end)) return end;
  }
  return svsm_ref::kAddressLimit;
}

// What the in-process reference target reports, derived from the platform and the model's
// current vCPUs. (To be replaced by the shared helper of cli/ref_target.h once it lands, so
// that both targets report the same facts by construction.)
void DeriveHello(const ReferenceSvsm& svsm, HelloData& h) {
  const PlatformConfig& config = svsm.config();
  h.target = config.name + " " + SVSM_SPEC_VERSION;
  h.spec_revision = "1.00";  // AMD pub. 58019 revision the spec restates
  h.c.guest_vmpl = config.guest_vmpl;
  h.protocols.clear();
  for (const auto& p : config.protocols)
    h.protocols.push_back({p.number, p.min_version, p.max_version});
  h.vcpus.clear();
  for (const auto& v : svsm.vcpus()) {
    svsm_agent_vcpu c{};
    c.apic_id = v.apic_id;
    c.can_call = v.vmsa.has_value() ? 1 : 0;
    c.caa = v.vmsa ? v.caa : 0;
    c.vmsa = v.vmsa.value_or(0);
    h.vcpus.push_back(c);
  }
  h.c.svsm_region = {config.svsm_base, config.svsm_size, 0};
  h.c.startup_vmsa = config.startup_vmsa;
  h.test_memory.clear();
  for (bool validated : {true, false}) {
    const svsm_agent_range r =
        FindTestMemory(config, validated, validated ? UINT64_MAX : kUnvalidatedTestMemoryMax);
    if (r.size != 0) h.test_memory.push_back(r);
  }
  h.shared_memory.clear();
  for (const MemoryRegion& r : config.memory) {
    if (r.kind == MemoryRegion::Kind::kRam && r.shared)
      h.shared_memory.push_back({r.base, r.size, 0});
  }
  h.c.unmapped = FindUnmapped(config);
  h.public_key = svsm.firmware().PublicKeyPem();
  h.Bind();
}

// ---- The target state behind the hooks ------------------------------------------------------

struct RefTarget {
  PlatformConfig config;  // signing key filled in
  std::unique_ptr<ReferenceSvsm> svsm;
  HelloData hello;

  bool Boot(std::string* error) {
    svsm = ReferenceSvsm::Create(config, error);
    return svsm != nullptr;
  }
};

RefTarget& Self(void* ctx) {
  return *static_cast<RefTarget*>(ctx);
}

int HookCall(void* ctx, uint32_t vcpu, const svsm_agent_regs* in, svsm_agent_call_result* out) {
  svsm_ref::RegisterSet regs;
  regs.rax = in->rax;
  regs.rcx = in->rcx;
  regs.rdx = in->rdx;
  regs.r8 = in->r8;
  regs.r9 = in->r9;
  const CallResult r = Self(ctx).svsm->GuestCall(vcpu, regs);
  switch (r.outcome) {
    case CallResult::Outcome::kCompleted:
    case CallResult::Outcome::kSpurious:
    case CallResult::Outcome::kNotVmgexit:
      out->outcome = SVSM_AGENT_CALL_COMPLETED;
      break;
    case CallResult::Outcome::kVcpuDeleted:
      out->outcome = SVSM_AGENT_CALL_NO_RETURN;
      break;
    case CallResult::Outcome::kNoVmsa:
      out->outcome = SVSM_AGENT_CALL_CANNOT_CALL;
      break;
    case CallResult::Outcome::kGuestFault:
      out->outcome = SVSM_AGENT_CALL_GUEST_FAULT;
      break;
  }
  out->regs = {r.regs.rax, r.regs.rcx, r.regs.rdx, r.regs.r8, r.regs.r9};
  out->call_pending_after = r.call_pending_after;
  return SVSM_AGENT_OK;
}

int HookRead(void* ctx, uint64_t gpa, void* buf, uint32_t size) {
  RefTarget& t = Self(ctx);
  return t.svsm->GuestRead(t.config.guest_vmpl, gpa,
                           std::span<uint8_t>(static_cast<uint8_t*>(buf), size))
             ? SVSM_AGENT_OK
             : SVSM_AGENT_FAULT;
}

int HookWrite(void* ctx, uint64_t gpa, const void* buf, uint32_t size) {
  RefTarget& t = Self(ctx);
  return t.svsm->GuestWrite(t.config.guest_vmpl, gpa,
                            std::span<const uint8_t>(static_cast<const uint8_t*>(buf), size))
             ? SVSM_AGENT_OK
             : SVSM_AGENT_FAULT;
}

int HookPageState(void* ctx, uint64_t gpa, svsm_agent_page_state* out) {
  const svsm_ref::PageAttrs a = Self(ctx).svsm->PageStateAt(gpa);
  out->validated = a.validated ? 1 : 0;
  out->validated_2m = a.validated_2m ? 1 : 0;
  out->vmsa = a.vmsa ? 1 : 0;
  for (int v = 1; v <= 3; ++v) out->perms[v - 1] = a.perms[v];
  return SVSM_AGENT_OK;
}

int HookSetRunning(void* ctx, uint32_t vcpu, int running) {
  return Self(ctx).svsm->SetVcpuRunning(vcpu, running != 0) ? SVSM_AGENT_OK : SVSM_AGENT_INVALID;
}

int HookReset(void* ctx) {
  std::string error;
  if (!Self(ctx).Boot(&error)) {
    std::fprintf(stderr, "svsm-ref-agent: reset failed: %s\n", error.c_str());
    return -1;
  }
  return SVSM_AGENT_OK;
}

const svsm_agent_hello* HookHello(void* ctx) {
  RefTarget& t = Self(ctx);
  DeriveHello(*t.svsm, t.hello);
  return &t.hello.c;
}

// ---- Standard input and output --------------------------------------------------------------

ptrdiff_t ChannelRead(void*, void* buf, size_t len) {
  for (;;) {
    const ssize_t n = ::read(STDIN_FILENO, buf, len);
    if (n < 0 && errno == EINTR) continue;
    return n;
  }
}

ptrdiff_t ChannelWrite(void*, const void* buf, size_t len) {
  for (;;) {
    const ssize_t n = ::write(STDOUT_FILENO, buf, len);
    if (n < 0 && errno == EINTR) continue;
    return n;
  }
}

// A fresh P-384 signing key as PEM, so that every RESET keeps the same report key.
bool GenerateSigningKey(std::string* pem) {
  EVP_PKEY* key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384");
  if (key == nullptr) return false;
  BIO* bio = BIO_new(BIO_s_mem());
  bool ok = bio != nullptr &&
            PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr) == 1;
  if (ok) {
    char* data = nullptr;
    const long len = BIO_get_mem_data(bio, &data);
    ok = len > 0 && data != nullptr;
    if (ok) pem->assign(data, static_cast<size_t>(len));
  }
  BIO_free(bio);
  EVP_PKEY_free(key);
  return ok;
}

int Usage() {
  std::fprintf(stderr, "usage: svsm-ref-agent [--platform FILE]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  RefTarget target;
  target.config = svsm_ref::DefaultPlatformConfig();
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--platform" && i + 1 < argc) {
      svsm_spec::Diagnostics diags;
      auto config = svsm_ref::LoadPlatformConfigFile(argv[++i], diags);
      if (!config) {
        for (const auto& d : diags.Sorted()) std::fprintf(stderr, "%s\n", d.Format().c_str());
        return 1;
      }
      target.config = *config;
    } else {
      return Usage();
    }
  }
  if (target.config.attestation.signing_key_pem.empty() &&
      !GenerateSigningKey(&target.config.attestation.signing_key_pem)) {
    std::fprintf(stderr, "svsm-ref-agent: cannot generate the attestation signing key\n");
    return 1;
  }
  std::string error;
  if (!target.Boot(&error)) {
    std::fprintf(stderr, "svsm-ref-agent: cannot create the reference SVSM: %s\n", error.c_str());
    return 1;
  }
  // A runner that goes away makes write() fail instead of killing us.
  ::signal(SIGPIPE, SIG_IGN);

  std::vector<uint8_t> frame(SVSM_AGENT_FRAME_BUFFER_SIZE);
  svsm_agent agent{};
  agent.channel = {nullptr, ChannelRead, ChannelWrite};
  agent.frame_buf = frame.data();
  agent.frame_buf_size = frame.size();
  agent.get_hello = HookHello;
  agent.ctx = &target;
  agent.call = HookCall;
  agent.mem_read = HookRead;
  agent.mem_write = HookWrite;
  agent.page_state = HookPageState;
  agent.set_running = HookSetRunning;
  agent.reset = HookReset;

  const int rc = svsm_agent_serve(&agent);
  switch (rc) {
    case SVSM_AGENT_SERVE_BYE:
    case SVSM_AGENT_SERVE_EOF:
      return 0;
    case SVSM_AGENT_SERVE_BAD_FRAME:
      std::fprintf(stderr, "svsm-ref-agent: bad frame length; closing\n");
      return 1;
    default:
      std::fprintf(stderr, "svsm-ref-agent: stream error (%d)\n", rc);
      return 1;
  }
}
