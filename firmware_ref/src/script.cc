#include "svsm_ref/script.h"

#include <cstdio>
#include <optional>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

#include "svsm_spec.h"  // generated C header: result codes

namespace svsm_ref {
namespace {

using Json = nlohmann::json;
using svsm_spec::codec::gen::ForEachCall;

std::string Hex(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

std::string HexBytes(std::span<const uint8_t> bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string s;
  s.reserve(bytes.size() * 2);
  for (uint8_t b : bytes) {
    s.push_back(kDigits[b >> 4]);
    s.push_back(kDigits[b & 0xF]);
  }
  return s;
}

// A 64-bit value given as a JSON unsigned integer or a "0x..." hex string.
std::optional<uint64_t> U64(const Json& j) {
  if (j.is_number_unsigned()) return j.get<uint64_t>();
  if (j.is_number_integer() && j.get<int64_t>() >= 0) return static_cast<uint64_t>(j.get<int64_t>());
  if (!j.is_string()) return std::nullopt;
  const std::string& s = j.get_ref<const std::string&>();
  if (s.size() < 3 || s.size() > 18 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X')) return std::nullopt;
  uint64_t v = 0;
  for (size_t i = 2; i < s.size(); ++i) {
    const char c = s[i];
    uint64_t d;
    if (c >= '0' && c <= '9') d = static_cast<uint64_t>(c - '0');
    else if (c >= 'a' && c <= 'f') d = static_cast<uint64_t>(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F') d = static_cast<uint64_t>(c - 'A' + 10);
    else return std::nullopt;
    v = (v << 4) | d;
  }
  return v;
}

std::optional<std::vector<uint8_t>> Bytes(const Json& j) {
  if (!j.is_string()) return std::nullopt;
  const std::string& s = j.get_ref<const std::string&>();
  if (s.size() % 2 != 0) return std::nullopt;
  std::vector<uint8_t> out;
  out.reserve(s.size() / 2);
  for (size_t i = 0; i < s.size(); i += 2) {
    auto nibble = [](char c) -> int {
      if (c >= '0' && c <= '9') return c - '0';
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      if (c >= 'A' && c <= 'F') return c - 'A' + 10;
      return -1;
    };
    const int hi = nibble(s[i]), lo = nibble(s[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<uint8_t>(hi << 4 | lo));
  }
  return out;
}

Json RegsJson(const RegisterSet& r) {
  return Json{{"rax", Hex(r.rax)}, {"rcx", Hex(r.rcx)}, {"rdx", Hex(r.rdx)}, {"r8", Hex(r.r8)},
              {"r9", Hex(r.r9)}};
}

const char* OutcomeName(CallResult::Outcome o) {
  switch (o) {
    case CallResult::Outcome::kCompleted: return "completed";
    case CallResult::Outcome::kSpurious: return "spurious";
    case CallResult::Outcome::kNotVmgexit: return "not-vmgexit";
    case CallResult::Outcome::kNoVmsa: return "no-vmsa";
    case CallResult::Outcome::kGuestFault: return "guest-fault";
    case CallResult::Outcome::kVcpuDeleted: return "vcpu-deleted";
  }
  return "?";
}

Json CallJson(const CallResult& r) {
  Json j{{"outcome", OutcomeName(r.outcome)}, {"regs", RegsJson(r.regs)}};
  if (r.outcome == CallResult::Outcome::kCompleted) {
    j["result"] = Hex(r.regs.rax);
    const std::string name = ResultCodeName(r.regs.rax);
    if (!name.empty()) j["result_name"] = name;
    j["call_pending_after"] = r.call_pending_after;
  }
  if (r.rule_id) j["rule"] = r.rule_id;
  return j;
}

class StepError {
 public:
  explicit StepError(std::string m) : message(std::move(m)) {}
  std::string message;
};

// Step helpers report malformed input by returning a StepError.
using StepResult = std::variant<Json, StepError>;

std::optional<uint64_t> Field(const Json& step, const char* key) {
  auto it = step.find(key);
  if (it == step.end()) return std::nullopt;
  return U64(*it);
}

// An optional number: `fallback` when absent, nullopt when present but malformed (a
// malformed value must not silently become the default).
std::optional<uint64_t> OptionalField(const Json& step, const char* key, uint64_t fallback) {
  if (!step.contains(key)) return fallback;
  return Field(step, key);
}

// An optional string: "" when absent, nullopt when present but not a string (Json::value
// would throw on the wrong type).
std::optional<std::string> StringField(const Json& step, const char* key) {
  auto it = step.find(key);
  if (it == step.end()) return std::string();
  if (!it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

StepResult VcpuOf(const ReferenceSvsm& svsm, const Json& step, size_t* vcpu) {
  auto v = OptionalField(step, "vcpu", 0);
  if (!v) return StepError("vcpu: expected a hex string or unsigned integer");
  if (*v >= svsm.vcpus().size()) return StepError("vcpu " + std::to_string(*v) + " does not exist");
  *vcpu = static_cast<size_t>(*v);
  return Json();
}

StepResult RegsOf(const Json& step, RegisterSet* regs) {
  auto it = step.find("regs");
  if (it == step.end() || !it->is_object()) return StepError("regs: expected an object");
  for (auto r = it->begin(); r != it->end(); ++r) {
    auto v = U64(r.value());
    if (!v) return StepError("regs." + r.key() + ": expected a hex string or unsigned integer");
    if (r.key() == "rax") regs->rax = *v;
    else if (r.key() == "rcx") regs->rcx = *v;
    else if (r.key() == "rdx") regs->rdx = *v;
    else if (r.key() == "r8") regs->r8 = *v;
    else if (r.key() == "r9") regs->r9 = *v;
    else return StepError("regs." + r.key() + ": not a call register");
  }
  return Json();
}

// A typed call: {"call": "<name as in the spec>", "request": {...}} encoded by the
// generated codecs; the request's memory images are written as the guest would.
StepResult TypedCall(ReferenceSvsm& svsm, size_t vcpu, const Json& step) {
  const std::optional<std::string> call_name_json = StringField(step, "call");
  if (!call_name_json) return StepError("call: expected a call name");
  const std::string& name = *call_name_json;
  auto request_json = step.find("request");
  if (request_json == step.end()) return StepError("request: missing");
  std::optional<StepResult> out;
  ForEachCall([&](auto req_type, auto resp_type, const char* call_name) {
    if (out || name != call_name) return;
    using Request = typename decltype(req_type)::type;
    using Response = typename decltype(resp_type)::type;
    auto request = Request::FromJson(*request_json);
    if (!request.ok()) {
      out = StepError("request: " + request.error().ToString());
      return;
    }
    const uint8_t vmpl = svsm.CallerVmpl(vcpu);
    for (const auto& image : request.value().Memory()) {
      if (!svsm.GuestWrite(vmpl, image.gpa, image.bytes)) {
        Json j{{"outcome", "guest-fault"}, {"fault_gpa", Hex(image.gpa)}};
        out = j;
        return;
      }
    }
    const CallResult r = svsm.GuestCall(vcpu, request.value().Encode());
    Json j = CallJson(r);
    if (r.outcome == CallResult::Outcome::kCompleted) j["response"] = Response::Decode(r.regs).ToJson();
    out = j;
  });
  if (!out) return StepError("call: no call named \"" + name + "\"");
  return *out;
}

StepResult RunStep(ReferenceSvsm& svsm, const Json& step) {
  if (!step.is_object()) return StepError("expected an object");
  const std::optional<std::string> op_json = StringField(step, "op");
  if (!op_json) return StepError("op: expected call, enter, write, read, set_running or page_state");
  const std::string& op = *op_json;
  size_t vcpu = 0;
  if (auto r = VcpuOf(svsm, step, &vcpu); std::holds_alternative<StepError>(r)) return r;
  if (op == "call") {
    if (step.contains("call")) return TypedCall(svsm, vcpu, step);
    RegisterSet regs;
    if (auto r = RegsOf(step, &regs); std::holds_alternative<StepError>(r)) return r;
    return CallJson(svsm.GuestCall(vcpu, regs));
  }
  if (op == "enter") {
    RegisterSet regs;
    if (auto r = RegsOf(step, &regs); std::holds_alternative<StepError>(r)) return r;
    const auto exit_code = OptionalField(step, "exit_code", kVmgexitExitCode);
    if (!exit_code) return StepError("exit_code: expected a hex string or unsigned integer");
    return CallJson(svsm.Enter(vcpu, regs, *exit_code));
  }
  if (op == "write" || op == "read") {
    auto gpa = Field(step, "gpa");
    if (!gpa) return StepError("gpa: expected a hex string or unsigned integer");
    const auto vmpl_json = OptionalField(step, "vmpl", svsm.CallerVmpl(vcpu));
    if (!vmpl_json || *vmpl_json > 3) return StepError("vmpl: expected 0..3");
    const uint8_t vmpl = static_cast<uint8_t>(*vmpl_json);
    if (op == "write") {
      auto it = step.find("hex");
      auto bytes = it == step.end() ? std::nullopt : Bytes(*it);
      if (!bytes) return StepError("hex: expected an even-length hex string");
      return Json{{"ok", svsm.GuestWrite(vmpl, *gpa, *bytes)}};
    }
    auto size = Field(step, "size");
    if (!size || *size > (uint64_t{1} << 20)) return StepError("size: expected 0..1048576");
    std::vector<uint8_t> bytes(static_cast<size_t>(*size));
    if (!svsm.GuestRead(vmpl, *gpa, bytes)) return Json{{"ok", false}};
    return Json{{"ok", true}, {"hex", HexBytes(bytes)}};
  }
  if (op == "set_running") {
    auto it = step.find("running");
    if (it == step.end() || !it->is_boolean()) return StepError("running: expected true or false");
    return Json{{"ok", svsm.SetVcpuRunning(vcpu, it->get<bool>())}};
  }
  if (op == "page_state") {
    auto gpa = Field(step, "gpa");
    if (!gpa) return StepError("gpa: expected a hex string or unsigned integer");
    const PageAttrs a = svsm.PageStateAt(*gpa);
    return Json{{"validated", a.validated},
                {"validated_2m", a.validated_2m},
                {"vmsa", a.vmsa},
                {"perms", {a.perms[1], a.perms[2], a.perms[3]}}};
  }
  return StepError("op: expected call, enter, write, read, set_running or page_state");
}

}  // namespace

std::string ResultCodeName(uint64_t code) {
  struct Named {
    uint64_t code;
    const char* name;
  };
  static constexpr Named kNames[] = {
      {SVSM_SUCCESS, "SVSM_SUCCESS"},
      {SVSM_ERR_INCOMPLETE, "SVSM_ERR_INCOMPLETE"},
      {SVSM_ERR_UNSUPPORTED_PROTOCOL, "SVSM_ERR_UNSUPPORTED_PROTOCOL"},
      {SVSM_ERR_UNSUPPORTED_CALL, "SVSM_ERR_UNSUPPORTED_CALL"},
      {SVSM_ERR_INVALID_ADDRESS, "SVSM_ERR_INVALID_ADDRESS"},
      {SVSM_ERR_INVALID_FORMAT, "SVSM_ERR_INVALID_FORMAT"},
      {SVSM_ERR_INVALID_PARAMETER, "SVSM_ERR_INVALID_PARAMETER"},
      {SVSM_ERR_INVALID_REQUEST, "SVSM_ERR_INVALID_REQUEST"},
      {SVSM_ERR_BUSY, "SVSM_ERR_BUSY"},
      {SVSM_ERR_PVALIDATE_FAIL_INPUT, "SVSM_ERR_PVALIDATE_FAIL_INPUT"},
      {SVSM_ERR_PVALIDATE_FAIL_PERMISSION, "SVSM_ERR_PVALIDATE_FAIL_PERMISSION"},
      {SVSM_ERR_CORE_FAIL_INUSE, "SVSM_ERR_CORE_FAIL_INUSE"},
      {SVSM_ERR_PVALIDATE_FAIL_SIZEMISMATCH, "SVSM_ERR_PVALIDATE_FAIL_SIZEMISMATCH"},
      {SVSM_ERR_PVALIDATE_FAIL_NO_CHANGE, "SVSM_ERR_PVALIDATE_FAIL_NO_CHANGE"},
      {SVSM_ERR_PVALIDATE_UNEXPECTED_EAX, "SVSM_ERR_PVALIDATE_UNEXPECTED_EAX"},
      {SVSM_ERR_ATTEST_SNP_REQUEST_FAILED, "SVSM_ERR_ATTEST_SNP_REQUEST_FAILED"},
  };
  for (const Named& n : kNames) {
    if (n.code == code) return n.name;
  }
  return "";
}

Json RunScript(ReferenceSvsm& svsm, const Json& script, std::string* error) {
  Json results = Json::array();
  auto steps = script.is_object() ? script.find("steps") : script.end();
  if (!script.is_object() || steps == script.end() || !steps->is_array()) {
    if (error) *error = "expected an object with a \"steps\" array";
    return results;
  }
  for (size_t i = 0; i < steps->size(); ++i) {
    StepResult r = RunStep(svsm, (*steps)[i]);
    if (auto* e = std::get_if<StepError>(&r)) {
      if (error) *error = "steps[" + std::to_string(i) + "]: " + e->message;
      return results;
    }
    Json j = std::get<Json>(std::move(r));
    j["step"] = i;
    results.push_back(std::move(j));
  }
  return results;
}

}  // namespace svsm_ref
