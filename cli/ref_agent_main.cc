// svsm-ref-agent: the C guest agent (svsm_agent.c) in front of the reference SVSM, speaking
// the conformance wire protocol (docs/wire-protocol.md) on standard input and output, so
// that `svsm-spec conform --target exec:build/cli/svsm-ref-agent` exercises
// the agent end to end against a known-good SVSM.
//
//   svsm-ref-agent [--platform FILE]
//
// The agent's hooks play the guest on the reference model: CALL is ReferenceSvsm::GuestCall,
// READ/WRITE are GuestRead/GuestWrite at the guest VMPL, PAGE_STATE reads the model's page
// state, SET_RUNNING is SetVcpuRunning, INJECT arms the model's injected platform behaviour,
// and RESET builds a fresh model from the same platform
// and the same attestation signing key (generated once at start unless the platform file
// names one). Standard error carries diagnostics only.
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

#include "ref_target.h"
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

// The HELLO facts as owned storage; Bind() gives the C view the agent serialises. They come
// from ReferenceTargetInfo, the same derivation the in-process target reports.
struct HelloData {
  std::string target;
  std::string spec_revision;
  std::vector<svsm_agent_protocol> protocols;
  std::vector<svsm_agent_vcpu> vcpus;
  std::vector<svsm_agent_range> test_memory;
  std::vector<svsm_agent_range> shared_memory;
  std::string public_key;
  svsm_agent_hello c{};

  void From(const svsm_conform::TargetInfo& info) {
    target = info.target;
    spec_revision = info.spec_revision;
    c.guest_vmpl = info.guest_vmpl;
    protocols.clear();
    for (const auto& p : info.protocols) protocols.push_back({p.number, p.min_version, p.max_version});
    vcpus.clear();
    for (const auto& v : info.vcpus) {
      svsm_agent_vcpu x{};
      x.apic_id = v.apic_id;
      x.can_call = v.caa.has_value() ? 1 : 0;
      x.caa = v.caa.value_or(0);
      x.vmsa = v.vmsa.value_or(0);
      vcpus.push_back(x);
    }
    c.svsm_region = {info.svsm_region.base, info.svsm_region.size, 0};
    c.startup_vmsa = info.startup_vmsa;
    test_memory.clear();
    for (const auto& r : info.test_memory) test_memory.push_back({r.base, r.size, r.validated ? 1 : 0});
    shared_memory.clear();
    for (const auto& r : info.shared_memory) shared_memory.push_back({r.base, r.size, 0});
    c.unmapped = info.unmapped;
    public_key = info.report_public_key;
    Bind();
  }

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

// ---- The target state behind the hooks ------------------------------------------------------

struct RefTarget {
  std::unique_ptr<svsm_cli::ReferenceTarget> target;
  HelloData hello;
  ReferenceSvsm& svsm() { return target->svsm(); }
  uint8_t guest_vmpl() const { return target->config().guest_vmpl; }
};

RefTarget& Self(void* ctx) {
  return *static_cast<RefTarget*>(ctx);
}

int HookCallWithPending(void* ctx, uint32_t vcpu, uint8_t call_pending, const svsm_agent_regs* in,
                        svsm_agent_call_result* out) {
  svsm_ref::RegisterSet regs;
  regs.rax = in->rax;
  regs.rcx = in->rcx;
  regs.rdx = in->rdx;
  regs.r8 = in->r8;
  regs.r9 = in->r9;
  const CallResult r = Self(ctx).svsm().GuestCall(vcpu, regs, call_pending);
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

int HookCall(void* ctx, uint32_t vcpu, const svsm_agent_regs* in, svsm_agent_call_result* out) {
  return HookCallWithPending(ctx, vcpu, 1, in, out);
}

int HookRead(void* ctx, uint64_t gpa, void* buf, uint32_t size) {
  RefTarget& t = Self(ctx);
  return t.svsm().GuestRead(t.guest_vmpl(), gpa,
                           std::span<uint8_t>(static_cast<uint8_t*>(buf), size))
             ? SVSM_AGENT_OK
             : SVSM_AGENT_FAULT;
}

int HookWrite(void* ctx, uint64_t gpa, const void* buf, uint32_t size) {
  RefTarget& t = Self(ctx);
  return t.svsm().GuestWrite(t.guest_vmpl(), gpa,
                            std::span<const uint8_t>(static_cast<const uint8_t*>(buf), size))
             ? SVSM_AGENT_OK
             : SVSM_AGENT_FAULT;
}

int HookPageState(void* ctx, uint64_t gpa, svsm_agent_page_state* out) {
  const svsm_ref::PageAttrs a = Self(ctx).svsm().PageStateAt(gpa);
  out->validated = a.validated ? 1 : 0;
  out->validated_2m = a.validated_2m ? 1 : 0;
  out->vmsa = a.vmsa ? 1 : 0;
  for (int v = 1; v <= 3; ++v) out->perms[v - 1] = a.perms[v];
  return SVSM_AGENT_OK;
}

int HookSetRunning(void* ctx, uint32_t vcpu, int running) {
  return Self(ctx).svsm().SetVcpuRunning(vcpu, running != 0) ? SVSM_AGENT_OK : SVSM_AGENT_INVALID;
}

int HookReset(void* ctx) {
  std::string error;
  if (!Self(ctx).target->Restart(&error)) {
    std::fprintf(stderr, "svsm-ref-agent: reset failed: %s\n", error.c_str());
    return -1;
  }
  return SVSM_AGENT_OK;
}

int HookInject(void* ctx, const svsm_conform::Injection& injection) {
  const auto r = svsm_cli::InjectIntoModel(Self(ctx).svsm(), injection);
  if (r.ok()) return SVSM_AGENT_OK;
  return r.error.code == svsm_conform::TargetError::kMalformed ? SVSM_AGENT_INVALID : SVSM_AGENT_UNSUPPORTED;
}

int HookInjectPvalidateResult(void* ctx, uint32_t skip, uint32_t eax) {
  svsm_conform::Injection injection;
  injection.kind = svsm_conform::Injection::Kind::kPvalidateResult;
  injection.skip = skip;
  injection.eax = eax;
  return HookInject(ctx, injection);
}

int HookInjectRacingWrite(void* ctx, uint64_t gpa, const void* buf, uint32_t size) {
  svsm_conform::Injection injection;
  injection.kind = svsm_conform::Injection::Kind::kRacingWrite;
  injection.gpa = gpa;
  const auto* bytes = static_cast<const uint8_t*>(buf);
  injection.bytes.assign(bytes, bytes + size);
  return HookInject(ctx, injection);
}

const svsm_agent_hello* HookHello(void* ctx) {
  RefTarget& t = Self(ctx);
  t.hello.From(svsm_cli::ReferenceTargetInfo(t.svsm()));
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

int Usage() {
  std::fprintf(stderr, "usage: svsm-ref-agent [--platform FILE]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  svsm_ref::PlatformConfig config = svsm_ref::DefaultPlatformConfig();
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--platform" && i + 1 < argc) {
      svsm_spec::Diagnostics diags;
      auto loaded = svsm_ref::LoadPlatformConfigFile(argv[++i], diags);
      if (!loaded) {
        for (const auto& d : diags.Sorted()) std::fprintf(stderr, "%s\n", d.Format().c_str());
        return 1;
      }
      config = *loaded;
    } else {
      return Usage();
    }
  }
  RefTarget target;
  std::string error;
  // ReferenceTarget gives the platform one signing key for its life, so RESET keeps it.
  target.target = svsm_cli::ReferenceTarget::Create(config, &error);
  if (!target.target) {
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
  agent.inject_pvalidate_result = HookInjectPvalidateResult;
  agent.inject_racing_write = HookInjectRacingWrite;
  agent.call_with_pending = HookCallWithPending;

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
