// Loading and checking conformance vector files (docs/vector-format.md).
#include "svsm_conform/vectors.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <set>

#include "svsm_spec.h"  // generated C header: protocol numbers

namespace svsm_conform {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

struct Protocol {
  const char* key;
  uint32_t number;
};
// The protocol keys vectors use in `requires` (the spec's protocol keys).
constexpr Protocol kProtocols[] = {
    {"core", SVSM_CORE_PROTOCOL},   {"attest", SVSM_ATTEST_PROTOCOL}, {"vtpm", SVSM_VTPM_PROTOCOL},
    {"apic", SVSM_APIC_PROTOCOL},   {"uefimm", SVSM_UEFI_MM_PROTOCOL},
};

class Errors {
 public:
  Errors(const std::string& path, std::vector<std::string>* out) : path_(path), out_(out) {}
  void Add(const std::string& where, const std::string& what) {
    ++count_;
    if (out_) out_->push_back(path_ + ": " + (where.empty() ? "" : where + ": ") + what);
  }
  size_t count() const { return count_; }

 private:
  std::string path_;
  std::vector<std::string>* out_;
  size_t count_ = 0;
};

bool IsHexDigit(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

std::optional<std::vector<uint8_t>> ParseHex(const std::string& s) {
  if (s.size() % 2 != 0) return std::nullopt;
  std::vector<uint8_t> out;
  out.reserve(s.size() / 2);
  for (size_t i = 0; i < s.size(); i += 2) {
    if (!IsHexDigit(s[i]) || !IsHexDigit(s[i + 1])) return std::nullopt;
    out.push_back(static_cast<uint8_t>(std::stoul(s.substr(i, 2), nullptr, 16)));
  }
  return out;
}

// An expression given as a JSON string, or an unsigned number (kept as decimal text).
std::optional<std::string> ExprOf(const Json& j) {
  if (j.is_string()) return j.get<std::string>();
  if (j.is_number_unsigned()) return std::to_string(j.get<uint64_t>());
  if (j.is_number_integer() && j.get<int64_t>() >= 0) return std::to_string(j.get<int64_t>());
  return std::nullopt;
}

void CheckExpr(const std::string& expr, const std::string& where, Errors& errors) {
  std::vector<std::string> names;
  std::string error;
  if (!ExprSymbols(expr, &names, &error)) {
    errors.Add(where, error);
    return;
  }
  const auto& known = KnownSymbols();
  for (const std::string& n : names) {
    if (std::find(known.begin(), known.end(), n) == known.end()) {
      errors.Add(where, "unknown symbol $" + n);
    }
  }
}

void CheckMembers(const Json& j, std::initializer_list<const char*> allowed,
                  const std::string& where, Errors& errors) {
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (std::find_if(allowed.begin(), allowed.end(),
                     [&](const char* a) { return it.key() == a; }) == allowed.end()) {
      errors.Add(where, "unknown member \"" + it.key() + "\"");
    }
  }
}

std::vector<LeField> ParseLe(const Json& j, const std::string& where, Errors& errors) {
  std::vector<LeField> fields;
  if (!j.is_array()) {
    errors.Add(where, "expected an array of [\"u8|u16|u32|u64\", value] pairs");
    return fields;
  }
  for (size_t i = 0; i < j.size(); ++i) {
    const std::string at = where + "[" + std::to_string(i) + "]";
    const Json& f = j[i];
    if (!f.is_array() || f.size() != 2 || !f[0].is_string()) {
      errors.Add(at, "expected [\"u8|u16|u32|u64\", value]");
      continue;
    }
    const std::string type = f[0].get<std::string>();
    LeField field;
    if (type == "u8") field.width = 1;
    else if (type == "u16") field.width = 2;
    else if (type == "u32") field.width = 4;
    else if (type == "u64") field.width = 8;
    else {
      errors.Add(at, "unknown field type \"" + type + "\"");
      continue;
    }
    auto value = ExprOf(f[1]);
    if (!value) {
      errors.Add(at, "value: expected an expression string or an unsigned number");
      continue;
    }
    CheckExpr(*value, at, errors);
    field.value = *value;
    fields.push_back(field);
  }
  return fields;
}

uint32_t LeSize(const std::vector<LeField>& fields) {
  uint32_t n = 0;
  for (const LeField& f : fields) n += f.width;
  return n;
}

// Resolves nothing, but checks every "$..." string inside a typed request.
void CheckRequestExprs(const Json& j, const std::string& where, Errors& errors) {
  if (j.is_string()) {
    const std::string s = j.get<std::string>();
    if (s.find('$') != std::string::npos) CheckExpr(s, where, errors);
  } else if (j.is_object()) {
    for (auto it = j.begin(); it != j.end(); ++it) CheckRequestExprs(it.value(), where + "." + it.key(), errors);
  } else if (j.is_array()) {
    for (size_t i = 0; i < j.size(); ++i) CheckRequestExprs(j[i], where + "[" + std::to_string(i) + "]", errors);
  }
}

std::optional<uint32_t> U32(const Json& j) {
  if (j.is_number_unsigned() && j.get<uint64_t>() <= 0xFFFFFFFFu) return static_cast<uint32_t>(j.get<uint64_t>());
  if (j.is_number_integer() && j.get<int64_t>() >= 0 && j.get<int64_t>() <= 0xFFFFFFFF) {
    return static_cast<uint32_t>(j.get<int64_t>());
  }
  return std::nullopt;
}

CallExpect ParseExpect(const Json& j, const std::string& where, Errors& errors) {
  CallExpect e;
  if (!j.is_object()) {
    errors.Add(where, "expected an object");
    return e;
  }
  CheckMembers(j, {"result", "result_in", "regs", "call_pending_after", "outcome"}, where, errors);
  if (j.contains("result") == j.contains("result_in") && !j.contains("outcome")) {
    errors.Add(where, "give exactly one of result and result_in");
  }
  if (j.contains("result")) {
    if (!j["result"].is_string()) errors.Add(where + ".result", "expected a result-code name or \"0x...\"");
    else e.results.push_back(j["result"].get<std::string>());
  }
  if (j.contains("result_in")) {
    const Json& r = j["result_in"];
    if (!r.is_array() || r.size() < 2) errors.Add(where + ".result_in", "expected at least two result codes");
    else {
      for (const Json& x : r) {
        if (!x.is_string()) errors.Add(where + ".result_in", "expected result-code names");
        else e.results.push_back(x.get<std::string>());
      }
    }
  }
  if (j.contains("regs")) {
    const Json& r = j["regs"];
    if (!r.is_object()) errors.Add(where + ".regs", "expected an object");
    else {
      for (auto it = r.begin(); it != r.end(); ++it) {
        static const std::set<std::string> kRegs = {"rcx", "rdx", "r8", "r9"};
        if (!kRegs.count(it.key())) {
          errors.Add(where + ".regs", "\"" + it.key() + "\" is not an output register (rcx, rdx, r8, r9)");
          continue;
        }
        auto v = ExprOf(it.value());
        if (!v) errors.Add(where + ".regs." + it.key(), "expected an expression");
        else {
          CheckExpr(*v, where + ".regs." + it.key(), errors);
          e.regs[it.key()] = *v;
        }
      }
    }
  }
  if (j.contains("call_pending_after")) {
    auto v = U32(j["call_pending_after"]);
    if (!v || *v > 255) errors.Add(where + ".call_pending_after", "expected 0..255");
    else e.call_pending_after = static_cast<uint8_t>(*v);
  }
  if (j.contains("outcome")) {
    static const std::set<std::string> kOutcomes = {"completed", "no-return", "cannot-call", "guest-fault"};
    if (!j["outcome"].is_string() || !kOutcomes.count(j["outcome"].get<std::string>())) {
      errors.Add(where + ".outcome", "expected completed, no-return, cannot-call or guest-fault");
    } else {
      e.outcome = j["outcome"].get<std::string>();
    }
  }
  return e;
}

// {"at": ADDR, "size": N} or {"at": ADDR, "size_from": "rcx"} (a verify_report buffer).
BufferRef ParseBufferRef(const Json& j, const std::string& where, Errors& errors) {
  BufferRef b;
  if (!j.is_object()) {
    errors.Add(where, "expected {\"at\": ADDR, \"size\": N} or {\"at\": ADDR, \"size_from\": REG}");
    return b;
  }
  CheckMembers(j, {"at", "size", "size_from"}, where, errors);
  if (!j.contains("at")) {
    errors.Add(where, "at is required");
  } else if (auto at = ExprOf(j["at"])) {
    CheckExpr(*at, where + ".at", errors);
    b.at = *at;
  } else {
    errors.Add(where + ".at", "expected an expression");
  }
  if (j.contains("size") == j.contains("size_from")) {
    errors.Add(where, "give exactly one of size and size_from");
  }
  if (j.contains("size")) {
    auto v = U32(j["size"]);
    if (!v || *v > (1u << 20)) errors.Add(where + ".size", "expected 0..1048576");
    else b.size = *v;
  }
  if (j.contains("size_from")) {
    static const std::set<std::string> kRegs = {"rcx", "rdx", "r8", "r9"};
    if (!j["size_from"].is_string() || !kRegs.count(j["size_from"].get<std::string>())) {
      errors.Add(where + ".size_from", "expected an output register (rcx, rdx, r8, r9)");
    } else {
      b.size_from = j["size_from"].get<std::string>();
    }
  }
  return b;
}

std::optional<Step> ParseStep(const Json& j, const std::string& where, Errors& errors) {
  if (!j.is_object()) {
    errors.Add(where, "expected an object");
    return std::nullopt;
  }
  Step s;
  s.where = where;
  if (j.contains("vcpu")) {
    auto v = U32(j["vcpu"]);
    if (!v) errors.Add(where + ".vcpu", "expected an unsigned integer");
    else s.vcpu = *v;
  }
  const size_t before = errors.count();
  if (j.contains("write") || j.contains("read")) {
    const bool write = j.contains("write");
    s.kind = write ? Step::Kind::kWrite : Step::Kind::kRead;
    CheckMembers(j, {"write", "read", "vcpu", "hex", "le", "size", "expect_fault", "expect_zero", "comment"}, where, errors);
    auto addr = ExprOf(j[write ? "write" : "read"]);
    if (!addr) errors.Add(where, "address: expected an expression");
    else {
      CheckExpr(*addr, where, errors);
      s.address = *addr;
    }
    if (j.contains("hex")) {
      auto bytes = j["hex"].is_string() ? ParseHex(j["hex"].get<std::string>()) : std::nullopt;
      if (!bytes) errors.Add(where + ".hex", "expected an even-length hex string");
      else s.bytes = *bytes;
      s.has_expected_bytes = !write;
      s.size = static_cast<uint32_t>(s.bytes.size());
    }
    if (j.contains("le")) {
      s.le = ParseLe(j["le"], where + ".le", errors);
      s.has_expected_bytes = !write;
      s.size = LeSize(s.le);
    }
    if (j.contains("size")) {
      auto v = U32(j["size"]);
      if (!v || *v == 0 || *v > (1u << 20)) errors.Add(where + ".size", "expected 1..1048576");
      else s.size = *v;
    }
    if (j.contains("expect_fault")) s.expect_fault = j["expect_fault"].is_boolean() && j["expect_fault"].get<bool>();
    if (j.contains("expect_zero")) s.expect_zero = j["expect_zero"].is_boolean() && j["expect_zero"].get<bool>();
    if (write && !j.contains("hex") && !j.contains("le")) errors.Add(where, "write needs hex or le");
    if (!write && s.size == 0) errors.Add(where, "read needs hex, le or size");
    if (j.contains("hex") && j.contains("le")) errors.Add(where, "give hex or le, not both");
  } else if (j.contains("call")) {
    s.kind = Step::Kind::kCall;
    CheckMembers(j, {"call", "vcpu", "request", "expect", "reissue_while_incomplete", "call_pending", "comment"},
                 where, errors);
    if (j.contains("call_pending")) {
      auto v = U32(j["call_pending"]);
      if (!v || *v > 255) errors.Add(where + ".call_pending", "expected 0..255 (the byte the guest stores)");
      else s.call_pending = static_cast<uint8_t>(*v);
    }
    if (j.contains("reissue_while_incomplete")) {
      if (!j["reissue_while_incomplete"].is_boolean()) {
        errors.Add(where + ".reissue_while_incomplete", "expected true or false");
      } else {
        s.reissue_while_incomplete = j["reissue_while_incomplete"].get<bool>();
      }
    }
    const Json& c = j["call"];
    if (c.is_string()) {
      s.call_name = c.get<std::string>();
      if (!j.contains("request")) errors.Add(where, "a typed call needs request");
      else {
        s.request = j["request"];
        CheckRequestExprs(s.request, where + ".request", errors);
      }
    } else if (c.is_object()) {
      for (auto it = c.begin(); it != c.end(); ++it) {
        static const std::set<std::string> kRegs = {"rax", "rcx", "rdx", "r8", "r9"};
        if (!kRegs.count(it.key())) {
          errors.Add(where + ".call", "\"" + it.key() + "\" is not a call register");
          continue;
        }
        auto v = ExprOf(it.value());
        if (!v) errors.Add(where + ".call." + it.key(), "expected an expression");
        else {
          CheckExpr(*v, where + ".call." + it.key(), errors);
          s.regs[it.key()] = *v;
        }
      }
      if (!s.regs.count("rax")) errors.Add(where + ".call", "rax is required");
    } else {
      errors.Add(where + ".call", "expected a call name or a register object");
    }
    if (!j.contains("expect")) errors.Add(where, "a call needs expect");
    else s.expect = ParseExpect(j["expect"], where + ".expect", errors);
  } else if (j.contains("set_running")) {
    s.kind = Step::Kind::kSetRunning;
    CheckMembers(j, {"set_running", "vcpu", "comment"}, where, errors);
    if (!j["set_running"].is_boolean()) errors.Add(where + ".set_running", "expected true or false");
    else s.running = j["set_running"].get<bool>();
  } else if (j.contains("page_state")) {
    s.kind = Step::Kind::kPageState;
    CheckMembers(j, {"page_state", "expect", "comment"}, where, errors);
    auto addr = ExprOf(j["page_state"]);
    if (!addr) errors.Add(where, "page_state: expected an expression");
    else {
      CheckExpr(*addr, where, errors);
      s.address = *addr;
    }
    if (!j.contains("expect") || !j["expect"].is_object()) errors.Add(where, "page_state needs an expect object");
    else {
      s.expect_state = j["expect"];
      CheckMembers(s.expect_state, {"validated", "validated_2m", "vmsa", "perms"}, where + ".expect", errors);
    }
  } else if (j.contains("verify_report")) {
    s.kind = Step::Kind::kVerifyReport;
    CheckMembers(j, {"verify_report", "nonce", "manifest", "vmpl", "comment"}, where, errors);
    auto addr = ExprOf(j["verify_report"]);
    if (!addr) errors.Add(where, "verify_report: expected an expression");
    else {
      CheckExpr(*addr, where, errors);
      s.address = *addr;
    }
    if (!j.contains("nonce")) errors.Add(where, "verify_report needs nonce");
    else s.nonce = ParseBufferRef(j["nonce"], where + ".nonce", errors);
    if (!j.contains("manifest")) errors.Add(where, "verify_report needs manifest");
    else s.manifest = ParseBufferRef(j["manifest"], where + ".manifest", errors);
    if (!j.contains("vmpl")) errors.Add(where, "verify_report needs vmpl (the report's expected VMPL field)");
    else {
      auto v = U32(j["vmpl"]);
      if (!v || *v > 3) errors.Add(where + ".vmpl", "expected 0..3");
      else s.report_vmpl = *v;
    }
  } else if (j.contains("inject")) {
    s.kind = Step::Kind::kInject;
    const Json& kind = j["inject"];
    if (kind == "pvalidate-result") {
      CheckMembers(j, {"inject", "skip", "eax", "comment"}, where, errors);
      s.inject_kind = "pvalidate-result";
      auto skip = j.contains("skip") ? U32(j["skip"]) : std::optional<uint32_t>(0);
      if (!skip) errors.Add(where + ".skip", "expected an unsigned 32-bit integer");
      else s.inject_skip = *skip;
      std::optional<uint32_t> eax;
      if (j.contains("eax") && j["eax"].is_string()) {
        auto v = EvalExpr(j["eax"].get<std::string>(), Symbols{}, nullptr);
        if (v && *v <= 0xFFFFFFFFu) eax = static_cast<uint32_t>(*v);
      } else if (j.contains("eax")) {
        eax = U32(j["eax"]);
      }
      if (!eax) errors.Add(where + ".eax", "expected a 32-bit value (\"0x...\" or an integer)");
      else s.inject_eax = *eax;
    } else if (kind == "racing-write") {
      CheckMembers(j, {"inject", "at", "hex", "comment"}, where, errors);
      s.inject_kind = "racing-write";
      auto addr = j.contains("at") ? ExprOf(j["at"]) : std::nullopt;
      if (!addr) errors.Add(where + ".at", "expected an address expression");
      else {
        CheckExpr(*addr, where + ".at", errors);
        s.address = *addr;
      }
      auto bytes = j.contains("hex") && j["hex"].is_string() ? ParseHex(j["hex"].get<std::string>())
                                                            : std::nullopt;
      if (!bytes || bytes->empty() || bytes->size() > 4096) {
        errors.Add(where + ".hex", "expected 1 to 4096 bytes as an even-length hex string");
      } else {
        s.bytes = *bytes;
      }
    } else {
      errors.Add(where + ".inject", "expected \"pvalidate-result\" or \"racing-write\"");
    }
  } else {
    errors.Add(where, "expected one of write, read, call, set_running, page_state, verify_report, inject");
  }
  if (errors.count() != before) return std::nullopt;
  return s;
}

std::optional<VectorTest> ParseTest(const Json& j, const std::string& where, Errors& errors) {
  if (!j.is_object()) {
    errors.Add(where, "expected an object");
    return std::nullopt;
  }
  CheckMembers(j, {"id", "comment", "rules", "flags", "requires", "steps"}, where, errors);
  VectorTest t;
  if (!j.contains("id") || !j["id"].is_string() || j["id"].get<std::string>().empty()) {
    errors.Add(where + ".id", "expected a non-empty string");
  } else {
    t.id = j["id"].get<std::string>();
  }
  if (!j.contains("comment") || !j["comment"].is_string()) errors.Add(where + ".comment", "expected a string");
  else t.comment = j["comment"].get<std::string>();
  if (!j.contains("rules") || !j["rules"].is_array() || j["rules"].empty()) {
    errors.Add(where + ".rules", "expected a non-empty array of rule ids");
  } else {
    for (const Json& r : j["rules"]) {
      if (r.is_string()) t.rules.push_back(r.get<std::string>());
      else errors.Add(where + ".rules", "expected rule-id strings");
    }
  }
  if (j.contains("flags")) {
    if (!j["flags"].is_array()) errors.Add(where + ".flags", "expected an array");
    else {
      for (const Json& f : j["flags"]) {
        if (f.is_string()) t.flags.push_back(f.get<std::string>());
        else errors.Add(where + ".flags", "expected strings");
      }
    }
  }
  if (j.contains("requires")) {
    const Json& r = j["requires"];
    CheckMembers(r, {"protocols", "capabilities"}, where + ".requires", errors);
    if (r.contains("protocols")) {
      if (!r["protocols"].is_object()) errors.Add(where + ".requires.protocols", "expected {\"core\": 1, ...}");
      else {
        for (auto it = r["protocols"].begin(); it != r["protocols"].end(); ++it) {
          auto p = std::find_if(std::begin(kProtocols), std::end(kProtocols),
                                [&](const Protocol& x) { return it.key() == x.key; });
          auto version = U32(it.value());
          if (p == std::end(kProtocols)) errors.Add(where + ".requires.protocols", "unknown protocol \"" + it.key() + "\"");
          else if (!version || *version == 0) errors.Add(where + ".requires.protocols." + it.key(), "expected a version >= 1");
          else t.required_protocols[p->number] = *version;
        }
      }
    }
    if (r.contains("capabilities")) {
      if (!r["capabilities"].is_array()) errors.Add(where + ".requires.capabilities", "expected an array");
      else {
        for (const Json& c : r["capabilities"]) {
          if (c.is_string()) t.required_capabilities.push_back(c.get<std::string>());
          else errors.Add(where + ".requires.capabilities", "expected strings");
        }
      }
    }
  }
  if (!j.contains("steps") || !j["steps"].is_array() || j["steps"].empty()) {
    errors.Add(where + ".steps", "expected a non-empty array");
  } else {
    bool after_call = false;
    for (size_t i = 0; i < j["steps"].size(); ++i) {
      const std::string at = where + ".steps[" + std::to_string(i) + "]";
      auto step = ParseStep(j["steps"][i], at, errors);
      if (!step) continue;
      // size_from names a register of the previous call: there must be one.
      if (step->kind == Step::Kind::kVerifyReport && !after_call) {
        for (const BufferRef* b : {&step->nonce, &step->manifest}) {
          if (!b->size_from.empty()) errors.Add(at, "size_from \"" + b->size_from + "\" needs a call step before it");
        }
      }
      if (step->kind == Step::Kind::kCall) after_call = true;
      t.steps.push_back(std::move(*step));
    }
  }
  // Steps that need a capability imply it.
  for (const Step& s : t.steps) {
    const std::string inject_cap = "inject-" + s.inject_kind;
    const char* cap = s.kind == Step::Kind::kSetRunning                    ? "vcpu-control"
                      : s.kind == Step::Kind::kPageState                   ? "page-state"
                      : s.kind == Step::Kind::kInject                      ? inject_cap.c_str()
                      : s.kind == Step::Kind::kCall && s.call_pending ? "call-pending-value"
                                                                           : nullptr;
    if (cap && std::find(t.required_capabilities.begin(), t.required_capabilities.end(), cap) ==
                   t.required_capabilities.end()) {
      t.required_capabilities.push_back(cap);
    }
    // A verify_report step needs the target's report_public_key.
    if (s.kind == Step::Kind::kVerifyReport) t.requires_report_key = true;
  }
  return t;
}

}  // namespace

const std::vector<std::string>& KnownSymbols() {
  static const std::vector<std::string> kSymbols = [] {
    std::vector<std::string> s = {"caa",        "startup_vmsa",    "svsm",     "svsm_end",
                                  "svsm_size",  "test",            "test_end", "unvalidated",
                                  "unvalidated_end", "shared",     "unmapped", "guest_vmpl"};
    for (int i = 0; i < 16; ++i) s.push_back("apic" + std::to_string(i));
    return s;
  }();
  return kSymbols;
}

bool ExprSymbols(std::string_view expr, std::vector<std::string>* names, std::string* error) {
  Symbols none;
  // Parse with every symbol defined as 0, collecting names.
  size_t i = 0;
  bool expect_term = true;
  auto fail = [&](const std::string& what) {
    if (error) *error = "expression \"" + std::string(expr) + "\": " + what;
    return false;
  };
  while (i < expr.size()) {
    const char c = expr[i];
    if (c == ' ') {
      ++i;
      continue;
    }
    if (expect_term) {
      if (c == '$') {
        size_t j = i + 1;
        while (j < expr.size() && (std::isalnum(static_cast<unsigned char>(expr[j])) || expr[j] == '_')) ++j;
        if (j == i + 1) return fail("empty symbol name");
        if (names) names->emplace_back(expr.substr(i + 1, j - i - 1));
        i = j;
      } else if (std::isdigit(static_cast<unsigned char>(c))) {
        size_t j = i;
        if (c == '0' && i + 1 < expr.size() && (expr[i + 1] == 'x' || expr[i + 1] == 'X')) {
          j = i + 2;
          const size_t start = j;
          while (j < expr.size() && IsHexDigit(expr[j])) ++j;
          if (j == start || j - start > 16) return fail("bad hex number");
        } else {
          while (j < expr.size() && std::isdigit(static_cast<unsigned char>(expr[j]))) ++j;
          // 2^64 - 1 has 20 digits; EvalExpr refuses values above it.
          if (j - i > 20) return fail("decimal number too long");
        }
        i = j;
      } else {
        return fail(std::string("unexpected '") + c + "'");
      }
      expect_term = false;
    } else {
      if (c != '+' && c != '-' && c != '|') return fail(std::string("expected +, - or | before '") + c + "'");
      ++i;
      expect_term = true;
    }
  }
  if (expect_term) return fail(expr.empty() ? "empty" : "ends with an operator");
  return true;
}

std::optional<uint64_t> EvalExpr(std::string_view expr, const Symbols& symbols, std::string* error) {
  std::vector<std::string> names;
  if (!ExprSymbols(expr, &names, error)) return std::nullopt;
  uint64_t acc = 0;
  char op = '+';
  size_t i = 0;
  while (i < expr.size()) {
    const char c = expr[i];
    if (c == ' ') {
      ++i;
      continue;
    }
    if (c == '+' || c == '-' || c == '|') {
      op = c;
      ++i;
      continue;
    }
    uint64_t term = 0;
    size_t j = i;
    if (c == '$') {
      j = i + 1;
      while (j < expr.size() && (std::isalnum(static_cast<unsigned char>(expr[j])) || expr[j] == '_')) ++j;
      const std::string name(expr.substr(i + 1, j - i - 1));
      auto it = symbols.find(name);
      if (it == symbols.end()) {
        if (error) *error = "the target defines no $" + name;
        return std::nullopt;
      }
      term = it->second;
    } else if (c == '0' && i + 1 < expr.size() && (expr[i + 1] == 'x' || expr[i + 1] == 'X')) {
      j = i + 2;
      while (j < expr.size() && IsHexDigit(expr[j])) ++j;
      term = std::stoull(std::string(expr.substr(i + 2, j - i - 2)), nullptr, 16);
    } else {
      while (j < expr.size() && std::isdigit(static_cast<unsigned char>(expr[j]))) ++j;
      const std::string digits(expr.substr(i, j - i));
      // Decimal terms beyond 2^64 - 1 do not fit: refuse rather than wrap silently.
      errno = 0;
      char* end = nullptr;
      const unsigned long long v = std::strtoull(digits.c_str(), &end, 10);
      if (errno != 0) {
        if (error) *error = "decimal number " + digits + " does not fit in 64 bits";
        return std::nullopt;
      }
      term = v;
    }
    acc = op == '+' ? acc + term : op == '-' ? acc - term : (acc | term);
    i = j;
  }
  return acc;
}

std::optional<VectorFile> ParseVectorFile(std::string_view text, const std::string& path,
                                          std::vector<std::string>* out_errors) {
  Errors errors(path, out_errors);
  const Json j = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    errors.Add("", "not valid JSON");
    return std::nullopt;
  }
  if (!j.is_object()) {
    errors.Add("", "expected an object");
    return std::nullopt;
  }
  CheckMembers(j, {"format", "spec_revision", "protocol", "call", "comment", "flags", "retired", "tests"}, "", errors);
  VectorFile f;
  f.path = path;
  if (!j.contains("format") || U32(j["format"]) != 1u) errors.Add("format", "expected 1");
  if (!j.contains("spec_revision") || !j["spec_revision"].is_string()) errors.Add("spec_revision", "expected a string");
  else f.spec_revision = j["spec_revision"].get<std::string>();
  if (!j.contains("protocol") || !j["protocol"].is_string()) errors.Add("protocol", "expected a protocol key");
  else f.protocol = j["protocol"].get<std::string>();
  if (j.contains("call")) {
    if (!j["call"].is_string()) errors.Add("call", "expected a call name");
    else f.call = j["call"].get<std::string>();
  }
  if (j.contains("flags")) {
    if (!j["flags"].is_object()) errors.Add("flags", "expected {flag: meaning}");
    else {
      for (auto it = j["flags"].begin(); it != j["flags"].end(); ++it) {
        if (!it.value().is_string()) errors.Add("flags." + it.key(), "expected the flag's meaning");
        else f.flags[it.key()] = it.value().get<std::string>();
      }
    }
  }
  if (j.contains("retired")) {
    if (!j["retired"].is_array()) errors.Add("retired", "expected an array of ids");
    else {
      for (const Json& r : j["retired"]) {
        if (r.is_string()) f.retired.push_back(r.get<std::string>());
        else errors.Add("retired", "expected id strings");
      }
    }
  }
  if (!j.contains("tests") || !j["tests"].is_array()) {
    errors.Add("tests", "expected an array");
  } else {
    std::set<std::string> ids;
    for (size_t i = 0; i < j["tests"].size(); ++i) {
      const std::string where = "tests[" + std::to_string(i) + "]";
      auto t = ParseTest(j["tests"][i], where, errors);
      if (!t) continue;
      t->file = path;
      for (const std::string& flag : t->flags) {
        if (!f.flags.count(flag)) errors.Add(where + ".flags", "flag \"" + flag + "\" is not explained in the file's flags");
      }
      if (!ids.insert(t->id).second) errors.Add(where + ".id", "duplicate id \"" + t->id + "\"");
      if (std::find(f.retired.begin(), f.retired.end(), t->id) != f.retired.end()) {
        errors.Add(where + ".id", "\"" + t->id + "\" is retired and may not be reused");
      }
      f.tests.push_back(std::move(*t));
    }
  }
  if (errors.count() != 0) return std::nullopt;
  return f;
}

std::vector<VectorFile> LoadVectorFiles(const std::vector<std::string>& paths,
                                        std::vector<std::string>* errors) {
  std::vector<std::string> files;
  for (const std::string& p : paths) {
    std::error_code ec;
    if (fs::is_directory(p, ec)) {
      for (auto it = fs::recursive_directory_iterator(p, ec); !ec && it != fs::recursive_directory_iterator();
           it.increment(ec)) {
        if (it->is_regular_file() && it->path().extension() == ".json") files.push_back(it->path().string());
      }
    } else {
      files.push_back(p);
    }
  }
  std::sort(files.begin(), files.end());
  std::vector<VectorFile> out;
  std::map<std::string, std::string> id_file;
  std::set<std::string> retired;
  for (const std::string& path : files) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      if (errors) errors->push_back(path + ": cannot read");
      continue;
    }
    const std::string text((std::istreambuf_iterator<char>(in)), {});
    auto f = ParseVectorFile(text, path, errors);
    if (!f) continue;
    for (const std::string& r : f->retired) retired.insert(r);
    for (const VectorTest& t : f->tests) {
      auto [it, inserted] = id_file.emplace(t.id, path);
      if (!inserted && errors) errors->push_back(path + ": id \"" + t.id + "\" is also used in " + it->second);
    }
    out.push_back(std::move(*f));
  }
  for (const VectorFile& f : out) {
    for (const VectorTest& t : f.tests) {
      if (retired.count(t.id) && errors) errors->push_back(f.path + ": id \"" + t.id + "\" is retired");
    }
  }
  return out;
}

}  // namespace svsm_conform
