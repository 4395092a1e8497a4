// Runs conformance vectors against a target (docs/vector-format.md).
#include "svsm_conform/runner.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <algorithm>
#include <array>
#include <cinttypes>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <iterator>
#include <optional>
#include <set>
#include <span>
#include <string_view>

#include "svsm_spec_codecs.h"

namespace svsm_conform {
namespace {

using Json = nlohmann::json;
using Clock = std::chrono::steady_clock;

// SVSM_ERR_INCOMPLETE (general result code; the value every protocol shares).
constexpr uint64_t kIncomplete = 0x80000000u;

std::string Hex(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%" PRIx64, v);
  return buf;
}

// Result-code names of the spec (general and protocol codes, aliases included).
class ResultNames {
 public:
  explicit ResultNames(const svsm_spec::Spec& spec) : spec_(spec) {}

  std::optional<uint32_t> Value(const std::string& name) const {
    if (name.rfind("0x", 0) == 0) {
      std::string error;
      auto v = EvalExpr(name, {}, &error);
      if (v && *v <= 0xFFFFFFFFu) return static_cast<uint32_t>(*v);
      return std::nullopt;
    }
    for (const auto& rc : spec_.result_codes) {
      if (rc.name == name || std::find(rc.aliases.begin(), rc.aliases.end(), name) != rc.aliases.end()) {
        return rc.value;
      }
    }
    return std::nullopt;
  }

  // "NAME (0x...)" for a code, preferring general names, then the given protocol's.
  std::string Describe(uint64_t code, const std::string& protocol) const {
    const svsm_spec::ResultCode* best = nullptr;
    for (const auto& rc : spec_.result_codes) {
      if (rc.value != code) continue;
      if (rc.protocol.empty()) {
        best = &rc;
        break;
      }
      if (rc.protocol == protocol && (best == nullptr || !best->protocol.empty())) best = &rc;
    }
    return best ? best->name + " (" + Hex(code) + ")" : Hex(code);
  }

 private:
  const svsm_spec::Spec& spec_;
};

// The SNP ATTESTATION_REPORT an SVSM returns (facts §6.1; SEV-SNP ABI pub. 56860).
constexpr size_t kReportSize = 0x4A0;
constexpr size_t kReportVmplOffset = 0x30;
constexpr size_t kReportDataOffset = 0x50;
constexpr size_t kReportDataSize = 64;
constexpr size_t kReportSignedSize = 0x2A0;  // the signature covers bytes 0x000-0x29F
constexpr size_t kReportSigR = 0x2A0;        // R, then S, each 72 bytes little-endian
constexpr size_t kReportSigS = 0x2E8;
constexpr size_t kReportSigComponentSize = 72;
static_assert(svsm_spec::codec::gen::SnpAttestationReport::kFixedSize == kReportSize);

std::string HexBytes(std::span<const uint8_t> bytes) {
  std::string out;
  char buf[4];
  for (uint8_t b : bytes) {
    std::snprintf(buf, sizeof buf, "%02x", b);
    out += buf;
  }
  return out;
}

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); }
};
struct BioFree {
  void operator()(BIO* p) const { BIO_free(p); }
};
struct EcdsaSigFree {
  void operator()(ECDSA_SIG* p) const { ECDSA_SIG_free(p); }
};
struct BnFree {
  void operator()(BIGNUM* p) const { BN_free(p); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;

// SHA-512(a || b), or nullopt when OpenSSL fails.
std::optional<std::array<uint8_t, 64>> Sha512(std::span<const uint8_t> a, std::span<const uint8_t> b) {
  std::array<uint8_t, 64> digest{};
  MdCtxPtr ctx(EVP_MD_CTX_new());
  unsigned int len = 0;
  const bool ok = ctx && EVP_DigestInit_ex(ctx.get(), EVP_sha512(), nullptr) == 1 &&
                  EVP_DigestUpdate(ctx.get(), a.data(), a.size()) == 1 &&
                  EVP_DigestUpdate(ctx.get(), b.data(), b.size()) == 1 &&
                  EVP_DigestFinal_ex(ctx.get(), digest.data(), &len) == 1 && len == digest.size();
  ERR_clear_error();
  if (!ok) return std::nullopt;
  return digest;
}

// Whether `report` (kReportSize bytes) carries a valid ECDSA P-384/SHA-384 signature over
// its first kReportSignedSize bytes by the public key in `pem`; "" when it does, else why not.
std::string VerifyReportSignature(std::span<const uint8_t> report, const std::string& pem) {
  std::string why;
  std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  PkeyPtr key(bio ? PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  char group[80] = {};
  size_t group_len = 0;
  if (!key) {
    why = "the target's report_public_key is not a PEM public key";
  } else if (!EVP_PKEY_is_a(key.get(), "EC") ||
             EVP_PKEY_get_utf8_string_param(key.get(), OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group,
                                            &group_len) != 1 ||
             std::string_view(group, group_len) != "secp384r1") {
    why = "the target's report_public_key is not an ECDSA P-384 key";
  } else {
    // The ABI stores R and S as 72-byte little-endian integers; EVP wants DER.
    std::unique_ptr<BIGNUM, BnFree> r(BN_lebin2bn(report.data() + kReportSigR, kReportSigComponentSize, nullptr));
    std::unique_ptr<BIGNUM, BnFree> s(BN_lebin2bn(report.data() + kReportSigS, kReportSigComponentSize, nullptr));
    std::unique_ptr<ECDSA_SIG, EcdsaSigFree> sig(ECDSA_SIG_new());
    unsigned char* der = nullptr;
    int der_len = -1;
    if (r && s && sig && ECDSA_SIG_set0(sig.get(), r.get(), s.get()) == 1) {
      r.release();  // owned by sig now
      s.release();
      der_len = i2d_ECDSA_SIG(sig.get(), &der);
    }
    MdCtxPtr ctx(EVP_MD_CTX_new());
    if (der_len <= 0 || !ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha384(), nullptr, key.get()) != 1) {
      why = "cannot set up the signature check (OpenSSL)";
    } else if (EVP_DigestVerify(ctx.get(), der, static_cast<size_t>(der_len), report.data(), kReportSignedSize) != 1) {
      why = "the report's signature does not verify with the target's report_public_key";
    }
    OPENSSL_free(der);
  }
  ERR_clear_error();
  return why;
}

// A test is abandoned at its first failed expectation (kFail) or broken target (kError).
struct StepFailure {
  TestStatus status = TestStatus::kFail;
  std::string reason;
};

class TestRun {
 public:
  TestRun(Target& target, const Symbols& symbols, const ResultNames& names, const VectorFile& file,
          const std::string& report_public_key)
      : target_(target), symbols_(symbols), names_(names), file_(file), report_public_key_(report_public_key) {}

  std::optional<StepFailure> Run(const VectorTest& test) {
    for (const Step& step : test.steps) {
      if (auto f = RunStep(step)) {
        f->reason = step.where.substr(step.where.find('.') + 1) + ": " + f->reason;
        return f;
      }
    }
    return std::nullopt;
  }

 private:
  std::optional<StepFailure> Broken(const TargetError& e) {
    return StepFailure{TestStatus::kError, "target broke: " + e.message};
  }
  static std::optional<StepFailure> Fail(std::string reason) {
    return StepFailure{TestStatus::kFail, std::move(reason)};
  }

  std::optional<uint64_t> Eval(const std::string& expr, std::string* error) {
    return EvalExpr(expr, symbols_, error);
  }

  std::optional<std::vector<uint8_t>> LeBytes(const std::vector<LeField>& fields, std::string* error) {
    std::vector<uint8_t> out;
    for (const LeField& f : fields) {
      auto v = Eval(f.value, error);
      if (!v) return std::nullopt;
      if (f.width < 8 && (*v >> (8 * f.width)) != 0) {
        *error = "value " + Hex(*v) + " does not fit in " + std::to_string(f.width) + " bytes";
        return std::nullopt;
      }
      for (unsigned i = 0; i < f.width; ++i) out.push_back(static_cast<uint8_t>(*v >> (8 * i)));
    }
    return out;
  }

  std::optional<StepFailure> RunStep(const Step& step) {
    std::string error;
    switch (step.kind) {
      case Step::Kind::kWrite: {
        auto gpa = Eval(step.address, &error);
        if (!gpa) return Fail(error);
        std::vector<uint8_t> bytes = step.bytes;
        if (!step.le.empty()) {
          auto le = LeBytes(step.le, &error);
          if (!le) return Fail(error);
          bytes = *le;
        }
        auto r = target_.Write(*gpa, bytes);
        if (!r.ok() && r.error.code == TargetError::kBroken) return Broken(r.error);
        if (step.expect_fault) {
          if (r.ok()) return Fail("write at " + Hex(*gpa) + " succeeded; the guest access must fault");
          if (r.error.code != TargetError::kFault) return Fail("write at " + Hex(*gpa) + ": " + r.error.message);
          return std::nullopt;
        }
        if (!r.ok()) return Fail("guest write at " + Hex(*gpa) + " failed: " + r.error.message);
        return std::nullopt;
      }
      case Step::Kind::kRead: {
        auto gpa = Eval(step.address, &error);
        if (!gpa) return Fail(error);
        auto r = target_.Read(*gpa, step.size);
        if (!r.ok() && r.error.code == TargetError::kBroken) return Broken(r.error);
        if (step.expect_fault) {
          if (r.ok()) return Fail("read at " + Hex(*gpa) + " succeeded; the guest access must fault");
          if (r.error.code != TargetError::kFault) return Fail("read at " + Hex(*gpa) + ": " + r.error.message);
          return std::nullopt;
        }
        if (!r.ok()) return Fail("guest read at " + Hex(*gpa) + " failed: " + r.error.message);
        if (r.value->size() != step.size) return Fail("read returned " + std::to_string(r.value->size()) + " bytes");
        std::vector<uint8_t> expected;
        if (step.expect_zero) expected.assign(step.size, 0);
        else if (!step.le.empty()) {
          auto le = LeBytes(step.le, &error);
          if (!le) return Fail(error);
          expected = *le;
        } else if (step.has_expected_bytes) {
          expected = step.bytes;
        } else {
          return std::nullopt;
        }
        for (size_t i = 0; i < expected.size(); ++i) {
          if ((*r.value)[i] != expected[i]) {
            char buf[96];
            std::snprintf(buf, sizeof buf, "byte %zu at %s is 0x%02x, expected 0x%02x", i,
                          Hex(*gpa + i).c_str(), (*r.value)[i], expected[i]);
            return Fail(buf);
          }
        }
        return std::nullopt;
      }
      case Step::Kind::kCall: return RunCall(step);
      case Step::Kind::kVerifyReport: return RunVerifyReport(step);
      case Step::Kind::kInject: {
        Injection injection;
        if (step.inject_kind == "pvalidate-result") {
          injection.kind = Injection::Kind::kPvalidateResult;
          injection.skip = step.inject_skip;
          injection.eax = step.inject_eax;
        } else {
          injection.kind = Injection::Kind::kRacingWrite;
          auto gpa = Eval(step.address, &error);
          if (!gpa) return Fail(error);
          injection.gpa = *gpa;
          injection.bytes = step.bytes;
        }
        auto r = target_.Inject(injection);
        if (!r.ok() && r.error.code == TargetError::kBroken) return Broken(r.error);
        if (!r.ok()) return Fail("inject " + step.inject_kind + ": " + r.error.message);
        return std::nullopt;
      }
      case Step::Kind::kSetRunning: {
        auto r = target_.SetRunning(step.vcpu, step.running);
        if (!r.ok() && r.error.code == TargetError::kBroken) return Broken(r.error);
        if (!r.ok()) return Fail("set_running: " + r.error.message);
        return std::nullopt;
      }
      case Step::Kind::kPageState: {
        auto gpa = Eval(step.address, &error);
        if (!gpa) return Fail(error);
        auto r = target_.PageState(*gpa);
        if (!r.ok() && r.error.code == TargetError::kBroken) return Broken(r.error);
        if (!r.ok()) return Fail("page_state: " + r.error.message);
        const PageStateReply& p = *r.value;
        const Json& e = step.expect_state;
        auto check_bool = [&](const char* key, bool actual) -> std::optional<StepFailure> {
          if (e.contains(key) && e[key].is_boolean() && e[key].get<bool>() != actual) {
            return Fail(std::string("page ") + Hex(*gpa) + " " + key + " is " + (actual ? "true" : "false"));
          }
          return std::nullopt;
        };
        if (auto f = check_bool("validated", p.validated)) return f;
        if (auto f = check_bool("validated_2m", p.validated_2m)) return f;
        if (auto f = check_bool("vmsa", p.vmsa)) return f;
        if (e.contains("perms")) {
          const Json actual = Json::array({p.perms[0], p.perms[1], p.perms[2]});
          if (e["perms"] != actual) return Fail("page " + Hex(*gpa) + " perms are " + actual.dump());
        }
        return std::nullopt;
      }
    }
    return std::nullopt;
  }

  // Replaces every string containing '$' by the hex value of its expression.
  bool Resolve(Json& j, std::string* error) {
    if (j.is_string()) {
      const std::string s = j.get<std::string>();
      if (s.find('$') == std::string::npos) return true;
      auto v = Eval(s, error);
      if (!v) return false;
      j = Hex(*v);
      return true;
    }
    if (j.is_object() || j.is_array()) {
      for (auto& x : j) {
        if (!Resolve(x, error)) return false;
      }
    }
    return true;
  }

  std::optional<StepFailure> RunCall(const Step& step) {
    std::string error;
    RegisterSet regs;
    if (!step.call_name.empty()) {
      Json request = step.request;
      if (!Resolve(request, &error)) return Fail(error);
      std::optional<std::string> encode_error;
      bool found = false;
      std::vector<svsm_spec::codec::MemoryImage> images;
      svsm_spec::codec::gen::ForEachCall([&](auto req_type, auto, const char* name) {
        if (found || step.call_name != name) return;
        found = true;
        using Request = typename decltype(req_type)::type;
        auto r = Request::FromJson(request);
        if (!r.ok()) {
          encode_error = r.error().ToString();
          return;
        }
        regs = r.value().Encode();
        images = r.value().Memory();
      });
      if (!found) return Fail("no call named " + step.call_name);
      if (encode_error) return Fail("request: " + *encode_error);
      for (const auto& image : images) {
        auto w = target_.Write(image.gpa, image.bytes);
        if (!w.ok() && w.error.code == TargetError::kBroken) return Broken(w.error);
        if (!w.ok()) return Fail("writing the request's memory at " + Hex(image.gpa) + ": " + w.error.message);
      }
    } else {
      uint64_t* fields[] = {&regs.rax, &regs.rcx, &regs.rdx, &regs.r8, &regs.r9};
      const char* names[] = {"rax", "rcx", "rdx", "r8", "r9"};
      for (int i = 0; i < 5; ++i) {
        auto it = step.regs.find(names[i]);
        if (it == step.regs.end()) continue;
        auto v = Eval(it->second, &error);
        if (!v) return Fail(error);
        *fields[i] = *v;
      }
    }
    last_call_.reset();
    // A step that sets call_pending uses the variant of the calling sequence that stores that
    // value (capability call-pending-value, implied by the step).
    auto issue = [&] {
      return step.call_pending ? target_.CallWithPending(step.vcpu, *step.call_pending, regs)
                               : target_.Call(step.vcpu, regs);
    };
    auto r = issue();
    // An SVSM may split work (SVSM_ERR_INCOMPLETE); the guest re-issues the same call. The
    // bound keeps a target that never finishes from hanging the run.
    constexpr int kMaxReissues = 4096;
    for (int i = 0; step.reissue_while_incomplete && i < kMaxReissues && r.ok() &&
                    r.value->outcome == CallOutcome::kCompleted && r.value->regs.rax == kIncomplete;
         ++i) {
      r = issue();
    }
    if (!r.ok() && r.error.code == TargetError::kBroken) return Broken(r.error);
    if (!r.ok()) return Fail("call: " + r.error.message);
    const CallReply& reply = *r.value;
    if (reply.outcome == CallOutcome::kCompleted) last_call_ = reply.regs;
    const std::string expected_outcome = step.expect.outcome.value_or("completed");
    static const char* kOutcomes[] = {"completed", "no-return", "cannot-call", "guest-fault"};
    const auto outcome_index = static_cast<uint32_t>(reply.outcome);
    const std::string outcome = outcome_index < 4 ? kOutcomes[outcome_index] : "unknown";
    if (outcome != expected_outcome) return Fail("call outcome " + outcome + ", expected " + expected_outcome);
    if (reply.outcome != CallOutcome::kCompleted) return std::nullopt;
    if (!step.expect.results.empty()) {
      bool match = false;
      std::string expected;
      for (const std::string& name : step.expect.results) {
        auto v = names_.Value(name);
        if (!v) return Fail("unknown result code " + name);
        if (reply.regs.rax == *v) match = true;
        expected += (expected.empty() ? "" : " or ") + name;
      }
      if (!match) {
        return Fail("result " + names_.Describe(reply.regs.rax, file_.protocol) + ", expected " + expected);
      }
    }
    const std::pair<const char*, uint64_t> outputs[] = {
        {"rcx", reply.regs.rcx}, {"rdx", reply.regs.rdx}, {"r8", reply.regs.r8}, {"r9", reply.regs.r9}};
    for (const auto& [name, actual] : outputs) {
      auto it = step.expect.regs.find(name);
      if (it == step.expect.regs.end()) continue;
      auto v = Eval(it->second, &error);
      if (!v) return Fail(error);
      if (*v != actual) return Fail(std::string(name) + " is " + Hex(actual) + ", expected " + Hex(*v));
    }
    if (step.expect.call_pending_after && *step.expect.call_pending_after != reply.call_pending_after) {
      return Fail("CALL_PENDING after the call is " + std::to_string(reply.call_pending_after) + ", expected " +
                  std::to_string(*step.expect.call_pending_after));
    }
    return std::nullopt;
  }

  // Reads a verify_report buffer; its size comes from the vector or the previous call.
  std::optional<StepFailure> ReadBuffer(const BufferRef& b, const char* what, std::vector<uint8_t>* out) {
    std::string error;
    auto gpa = Eval(b.at, &error);
    if (!gpa) return Fail(error);
    uint64_t size = b.size;
    if (!b.size_from.empty()) {
      if (!last_call_) return Fail(std::string(what) + " size_from " + b.size_from + ": the previous call did not complete");
      const RegisterSet& regs = *last_call_;
      size = b.size_from == "rcx" ? regs.rcx : b.size_from == "rdx" ? regs.rdx : b.size_from == "r8" ? regs.r8 : regs.r9;
      if (size > (1u << 20)) {
        return Fail(std::string(what) + " size " + Hex(size) + " (from " + b.size_from + ") is above 1 MiB");
      }
    }
    out->clear();
    if (size == 0) return std::nullopt;
    auto r = target_.Read(*gpa, static_cast<uint32_t>(size));
    if (!r.ok() && r.error.code == TargetError::kBroken) return Broken(r.error);
    if (!r.ok()) return Fail(std::string("reading the ") + what + " at " + Hex(*gpa) + ": " + r.error.message);
    if (r.value->size() != size) return Fail(std::string("reading the ") + what + " returned " + std::to_string(r.value->size()) + " bytes");
    *out = std::move(*r.value);
    return std::nullopt;
  }

  std::optional<StepFailure> RunVerifyReport(const Step& step) {
    std::vector<uint8_t> report, nonce, manifest;
    if (report_public_key_.empty()) return Fail("the target gives no report_public_key");
    BufferRef report_ref{step.address, static_cast<uint32_t>(kReportSize), ""};
    if (auto f = ReadBuffer(report_ref, "report", &report)) return f;
    if (auto f = ReadBuffer(step.nonce, "nonce", &nonce)) return f;
    if (auto f = ReadBuffer(step.manifest, "manifest", &manifest)) return f;
    const std::string bad_signature = VerifyReportSignature(report, report_public_key_);
    if (!bad_signature.empty()) return Fail(bad_signature);
    const auto expected = Sha512(nonce, manifest);
    if (!expected) return Fail("SHA-512 failed (OpenSSL)");
    const std::span<const uint8_t> report_data(report.data() + kReportDataOffset, kReportDataSize);
    if (!std::equal(report_data.begin(), report_data.end(), expected->begin())) {
      return Fail("REPORT_DATA is " + HexBytes(report_data) + ", expected SHA-512(nonce || manifest) = " +
                  HexBytes(*expected) + " (nonce " + std::to_string(nonce.size()) + " bytes, manifest " +
                  std::to_string(manifest.size()) + " bytes)");
    }
    uint32_t vmpl = 0;
    for (size_t i = 0; i < 4; ++i) vmpl |= uint32_t{report[kReportVmplOffset + i]} << (8 * i);
    if (vmpl != step.report_vmpl) {
      return Fail("the report's VMPL is " + std::to_string(vmpl) + ", expected " + std::to_string(step.report_vmpl));
    }
    return std::nullopt;
  }

  Target& target_;
  const Symbols& symbols_;
  const ResultNames& names_;
  const VectorFile& file_;
  const std::string& report_public_key_;
  // The output registers of the test's last call, when it completed (size_from).
  std::optional<RegisterSet> last_call_;
};

std::string NowIso() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// Why a test cannot run on this target, or "" when it can.
std::string MissingRequirement(const VectorTest& test, const TargetInfo& info, const Symbols& symbols) {
  for (const auto& required : test.required_protocols) {
    // Plain copies: clang 14 cannot capture structured bindings in the lambda below.
    const uint32_t number = required.first;
    const uint32_t version = required.second;
    const bool claimed = std::any_of(info.protocols.begin(), info.protocols.end(), [&](const ProtocolClaim& p) {
      return p.number == number && version >= p.min_version && version <= p.max_version;
    });
    if (!claimed) return "the target does not claim protocol " + std::to_string(number) + " version " + std::to_string(version);
  }
  for (const std::string& cap : test.required_capabilities) {
    if (!info.Has(cap)) return "the target lacks capability " + cap;
  }
  if (test.requires_report_key && info.report_public_key.empty()) {
    return "the target gives no report_public_key to verify reports with";
  }
  // Symbols the target does not define (e.g. $shared without shared memory).
  for (const Step& step : test.steps) {
    std::vector<std::string> exprs = {step.address, step.nonce.at, step.manifest.at};
    for (const auto& [reg, e] : step.regs) exprs.push_back(e);
    for (const auto& [reg, e] : step.expect.regs) exprs.push_back(e);
    for (const LeField& f : step.le) exprs.push_back(f.value);
    for (const std::string& e : exprs) {
      std::vector<std::string> names;
      if (e.empty() || !ExprSymbols(e, &names, nullptr)) continue;
      for (const std::string& n : names) {
        if (!symbols.count(n)) return "the target defines no $" + n;
      }
    }
  }
  return "";
}

std::vector<ClaimCheck> CheckClaims(Target& target, const TargetInfo& info) {
  std::vector<ClaimCheck> checks;
  std::set<std::pair<uint32_t, uint32_t>> asked;
  auto ask = [&](uint32_t protocol, uint32_t version, uint64_t expected, std::string note) {
    if (!asked.insert({protocol, version}).second) return;
    ClaimCheck c;
    c.protocol = protocol;
    c.version = version;
    c.expected_rcx = expected;
    c.note = std::move(note);
    const RegisterSet regs{svsm_spec::codec::gen::kCoreQueryProtocolRax, (uint64_t{protocol} << 32) | version, 0, 0, 0};
    auto r = target.Call(0, regs);
    if (!r.ok() || r.value->outcome != CallOutcome::kCompleted || r.value->regs.rax != 0) {
      c.ok = false;
      c.note += r.ok() ? "; QUERY_PROTOCOL did not complete with SUCCESS" : "; " + r.error.message;
    } else {
      c.actual_rcx = r.value->regs.rcx;
      c.ok = c.actual_rcx == expected;
    }
    checks.push_back(c);
  };
  for (const ProtocolClaim& p : info.protocols) {
    const uint64_t range = (uint64_t{p.max_version} << 32) | p.min_version;
    ask(p.number, 0, 0, "version 0 is never available");
    ask(p.number, p.min_version, range, "claimed minimum version");
    ask(p.number, p.max_version, range, "claimed maximum version");
    if (p.max_version != 0xFFFFFFFFu) ask(p.number, p.max_version + 1, 0, "past the claimed maximum");
  }
  // Protocols the target does not claim must not be offered either.
  for (uint32_t number = 0; number <= 8; ++number) {
    const bool claimed = std::any_of(info.protocols.begin(), info.protocols.end(),
                                     [&](const ProtocolClaim& p) { return p.number == number; });
    if (!claimed) ask(number, 1, 0, "not claimed by the target");
  }
  return checks;
}

}  // namespace

const char* TestStatusName(TestStatus s) {
  switch (s) {
    case TestStatus::kPass: return "pass";
    case TestStatus::kFail: return "fail";
    case TestStatus::kError: return "error";
    case TestStatus::kSkip: return "skip";
    case TestStatus::kExpectedFail: return "expected-fail";
    case TestStatus::kFlaky: return "flaky";
  }
  return "?";
}

size_t RunReport::Count(TestStatus s) const {
  return static_cast<size_t>(std::count_if(results.begin(), results.end(),
                                           [&](const TestResult& r) { return r.status == s; }));
}

bool RunReport::Passed() const {
  return Count(TestStatus::kFail) == 0 && Count(TestStatus::kError) == 0 && expectation_problems.empty() &&
         std::all_of(claim_checks.begin(), claim_checks.end(), [](const ClaimCheck& c) { return c.ok; });
}

Symbols TargetSymbols(const TargetInfo& info) {
  Symbols s;
  for (const VcpuInfo& v : info.vcpus) {
    if (v.index < 16) s["apic" + std::to_string(v.index)] = v.apic_id;
    if (v.index == 0 && v.caa) s["caa"] = *v.caa;
  }
  s["startup_vmsa"] = info.startup_vmsa;
  s["svsm"] = info.svsm_region.base;
  s["svsm_size"] = info.svsm_region.size;
  s["svsm_end"] = info.svsm_region.base + info.svsm_region.size;
  s["unmapped"] = info.unmapped;
  s["guest_vmpl"] = info.guest_vmpl;
  for (const MemoryRange& m : info.test_memory) {
    const char* name = m.validated ? "test" : "unvalidated";
    if (!s.count(name)) {
      s[name] = m.base;
      s[std::string(name) + "_end"] = m.base + m.size;
    }
  }
  if (!info.shared_memory.empty()) s["shared"] = info.shared_memory.front().base;
  return s;
}

bool GlobMatch(std::string_view glob, std::string_view id) {
  size_t g = 0, i = 0, star = std::string_view::npos, mark = 0;
  while (i < id.size()) {
    if (g < glob.size() && (glob[g] == '?' || glob[g] == id[i])) {
      ++g;
      ++i;
    } else if (g < glob.size() && glob[g] == '*') {
      star = g++;
      mark = i;
    } else if (star != std::string_view::npos) {
      g = star + 1;
      i = ++mark;
    } else {
      return false;
    }
  }
  while (g < glob.size() && glob[g] == '*') ++g;
  return g == glob.size();
}

RunReport RunVectors(Target& target, const std::vector<VectorFile>& files, const RunOptions& options) {
  RunReport report;
  report.started_at = NowIso();
  const auto run_start = Clock::now();
  const ResultNames names(*options.spec);
  report.spec_revision = options.spec->metadata.spec_revision;

  // Coverage over the whole spec: every rule, and the vectors naming it.
  for (const svsm_spec::Rule* rule : options.spec->AllRules()) report.coverage[rule->id];
  for (const VectorFile& f : files) {
    for (const VectorTest& t : f.tests) {
      for (const std::string& r : t.rules) report.coverage[r].push_back(t.id);
    }
  }

  struct Selected {
    const VectorFile* file;
    const VectorTest* test;
  };
  std::vector<Selected> selected;
  for (const VectorFile& f : files) {
    if (!options.protocol.empty() && f.protocol != options.protocol) continue;
    if (!options.call.empty() && f.call != options.call) continue;
    for (const VectorTest& t : f.tests) {
      if (!options.rule.empty() && std::find(t.rules.begin(), t.rules.end(), options.rule) == t.rules.end()) continue;
      if (!options.id_glob.empty() && !GlobMatch(options.id_glob, t.id)) continue;
      selected.push_back({&f, &t});
    }
  }

  auto hello = target.Hello();
  std::string restart_error;
  if (!hello.ok() && target.Restart(&restart_error)) hello = target.Hello();
  if (!hello.ok()) {
    for (const Selected& s : selected) {
      report.results.push_back({s.test->id, s.file->path, s.file->protocol, s.file->call, s.test->rules,
                                TestStatus::kError, "the target did not answer HELLO: " + hello.error.message, 0,
                                target.RecentLog()});
    }
    report.seconds = std::chrono::duration<double>(Clock::now() - run_start).count();
    return report;
  }
  report.target = *hello.value;
  const bool can_reset = report.target.Has("reset");
  if (can_reset) target.Reset();
  report.claim_checks = CheckClaims(target, report.target);

  size_t done = 0;
  for (const Selected& s : selected) {
    const auto start = Clock::now();
    TestResult result{s.test->id, s.file->path, s.file->protocol, s.file->call, s.test->rules,
                      TestStatus::kPass, "", 0, ""};
    TargetInfo info = report.target;
    bool ready = true;
    if (can_reset) {
      auto r = target.Reset();
      auto h = r.ok() ? target.Hello() : decltype(target.Hello()){};
      if (!r.ok() || !h.ok()) {
        ready = false;
        result.status = TestStatus::kError;
        result.reason = "reset failed: " + (r.ok() ? h.error.message : r.error.message);
      } else {
        info = *h.value;
      }
    }
    if (ready) {
      const Symbols symbols = TargetSymbols(info);
      const std::string missing = MissingRequirement(*s.test, info, symbols);
      if (!missing.empty()) {
        result.status = TestStatus::kSkip;
        result.reason = missing;
      } else {
        TestRun run(target, symbols, names, *s.file, info.report_public_key);
        if (auto failure = run.Run(*s.test)) {
          result.status = failure->status;
          result.reason = failure->reason;
        }
      }
    }
    if (result.status == TestStatus::kError) {
      result.target_log = target.RecentLog();
      std::string error;
      if (target.Restart(&error)) {
        auto h = target.Hello();
        if (h.ok()) report.target = *h.value;
      } else {
        result.reason += "; restart failed: " + error;
      }
    }
    if (options.expectations) {
      const Expectations& e = *options.expectations;
      if (e.flaky.count(result.id)) {
        if (result.status == TestStatus::kPass || result.status == TestStatus::kFail ||
            result.status == TestStatus::kError) {
          result.status = TestStatus::kFlaky;
        }
      } else if (auto it = e.known_failures.find(result.id); it != e.known_failures.end()) {
        if (result.status == TestStatus::kFail || result.status == TestStatus::kError) {
          result.status = TestStatus::kExpectedFail;
          result.reason += " (known failure: " + it->second + ")";
        } else if (result.status == TestStatus::kPass) {
          report.expectation_problems.push_back(result.id + " is listed as a known failure but passes");
        }
      }
    }
    result.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    report.results.push_back(std::move(result));
    ++done;
    if (options.progress) options.progress(report.results.back(), done, selected.size());
  }

  if (options.expectations) {
    std::set<std::string> existing;
    for (const VectorFile& f : files) {
      for (const VectorTest& t : f.tests) existing.insert(t.id);
    }
    for (const auto* list : {&options.expectations->known_failures, &options.expectations->flaky}) {
      for (const auto& [id, reason] : *list) {
        if (!existing.count(id)) report.expectation_problems.push_back(id + " is listed but no vector has that id");
      }
    }
  }
  report.seconds = std::chrono::duration<double>(Clock::now() - run_start).count();
  return report;
}

std::optional<Expectations> LoadExpectations(const std::string& path, std::string* error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (error) *error = path + ": cannot read";
    return std::nullopt;
  }
  const std::string text((std::istreambuf_iterator<char>(in)), {});
  const Json j = Json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    if (error) *error = path + ": not a JSON object";
    return std::nullopt;
  }
  Expectations e;
  for (auto it = j.begin(); it != j.end(); ++it) {
    std::map<std::string, std::string>* list = it.key() == "known_failures" ? &e.known_failures
                                               : it.key() == "flaky"        ? &e.flaky
                                                                            : nullptr;
    if (it.key() == "comment" || it.key() == "target") continue;
    if (list == nullptr || !it.value().is_object()) {
      if (error) *error = path + ": " + it.key() + ": expected known_failures or flaky as {id: reason}";
      return std::nullopt;
    }
    for (auto x = it.value().begin(); x != it.value().end(); ++x) {
      if (!x.value().is_string()) {
        if (error) *error = path + ": " + it.key() + "." + x.key() + ": expected the reason as a string";
        return std::nullopt;
      }
      (*list)[x.key()] = x.value().get<std::string>();
    }
  }
  return e;
}

std::string ExpectationsToJson(const Expectations& e) {
  Json j = Json::object();
  j["known_failures"] = Json::object();
  for (const auto& [id, reason] : e.known_failures) j["known_failures"][id] = reason;
  j["flaky"] = Json::object();
  for (const auto& [id, reason] : e.flaky) j["flaky"][id] = reason;
  return j.dump(2) + "\n";
}

}  // namespace svsm_conform
