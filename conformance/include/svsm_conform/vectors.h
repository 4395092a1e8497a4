// Conformance vectors (vectors/<protocol>/*.json; format in docs/vector-format.md, JSON
// Schema in vectors/schema/conformance-vectors.schema.json): the loaded, checked form.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace svsm_conform {

// A little-endian field of a memory image: width in bytes (1, 2, 4, 8) and an expression.
struct LeField {
  unsigned width = 8;
  std::string value;
};

// What a call must return. `results` holds one result-code name (or "0x..." value), or
// several when the spec allows several (flag check-order-open or a freedom rule).
struct CallExpect {
  std::vector<std::string> results;
  std::map<std::string, std::string> regs;  // "rcx" -> expression, compared exactly
  std::optional<uint8_t> call_pending_after;
  std::optional<std::string> outcome;  // "completed" (default), "no-return", "cannot-call"
};

// A guest buffer a verify_report step reads: its address, and its size given in the vector
// or taken from an output register of the test's previous call.
struct BufferRef {
  std::string at;         // address expression
  uint32_t size = 0;      // when size_from is empty
  std::string size_from;  // "rcx", "rdx", "r8" or "r9": that register of the previous call
};

struct Step {
  enum class Kind { kWrite, kRead, kCall, kSetRunning, kPageState, kVerifyReport, kInject };
  Kind kind = Kind::kCall;
  uint32_t vcpu = 0;
  std::string where;  // "tests[3].steps[2]", for messages

  // kWrite / kRead / kPageState / kVerifyReport: the address expression.
  std::string address;
  // kWrite: the bytes (hex) or the little-endian fields; kRead: what must be read.
  std::vector<uint8_t> bytes;
  std::vector<LeField> le;
  uint32_t size = 0;             // kRead (derived from bytes/le when those are given)
  bool expect_fault = false;     // kWrite / kRead: the guest access must fault
  bool expect_zero = false;      // kRead: every byte 0
  bool has_expected_bytes = false;

  // kCall: raw registers (expressions) or a typed request encoded by the generated codecs.
  std::map<std::string, std::string> regs;
  std::string call_name;          // typed: the call's name in the spec (form included)
  nlohmann::json request;         // typed: the request's JSON form, "$..." strings resolved
  CallExpect expect;
  // kCall: re-issue the same registers while the result is SVSM_ERR_INCOMPLETE (the spec's
  // guest duty: same RCX, RAX reloaded), then check `expect` on the final answer.
  bool reissue_while_incomplete = false;
  // kCall: the CALL_PENDING value the guest stores before the VMGEXIT instead of 1 (0 or a
  // reserved value); implies the capability call-pending-value.
  std::optional<uint8_t> call_pending;

  // kSetRunning
  bool running = false;
  // kPageState: expected members (validated, validated_2m, vmsa: bool; perms: [3 ints]).
  nlohmann::json expect_state;

  // kVerifyReport: the SNP attestation report at `address` must carry REPORT_DATA =
  // SHA-512(nonce || manifest), VMPL = report_vmpl, and a signature by the target's
  // report_public_key.
  BufferRef nonce;
  BufferRef manifest;
  uint32_t report_vmpl = 0;

  // kInject: injected platform behaviour (docs/vector-format.md; target.h, Injection).
  // "pvalidate-result" uses inject_skip and inject_eax; "racing-write" uses address and
  // bytes. The step implies the capability "inject-<kind>".
  std::string inject_kind;
  uint32_t inject_skip = 0;
  uint32_t inject_eax = 0;
};

struct VectorTest {
  std::string id;
  std::string comment;
  std::vector<std::string> rules;
  std::vector<std::string> flags;
  std::map<uint32_t, uint32_t> required_protocols;  // protocol number -> version
  std::vector<std::string> required_capabilities;
  // The test verifies report signatures (a verify_report step): the target must give a
  // report_public_key in HELLO.
  bool requires_report_key = false;
  std::vector<Step> steps;
  std::string file;  // the vector file it came from
};

struct VectorFile {
  std::string path;
  int format = 1;
  std::string spec_revision;
  std::string protocol;  // protocol key ("core", "attest")
  std::string call;      // call name, or empty for scenario files
  std::map<std::string, std::string> flags;  // flag -> what it means
  std::vector<std::string> retired;          // ids never to be reused
  std::vector<VectorTest> tests;
};

// Loads every *.json under the given files or directories (sorted), checking structure,
// expressions, unique ids across all files, and that no test reuses a retired id.
// Problems go to `errors` as "path: tests[i].steps[j].member: what"; returns what loaded.
std::vector<VectorFile> LoadVectorFiles(const std::vector<std::string>& paths,
                                        std::vector<std::string>* errors);
// One file's text (for tests and the fuzzer).
std::optional<VectorFile> ParseVectorFile(std::string_view text, const std::string& path,
                                          std::vector<std::string>* errors);

// Address and value expressions: terms joined by +, - and | (left to right, wrapping
// 64-bit arithmetic); a term is a "0x..." or decimal number or a symbol "$name".
using Symbols = std::map<std::string, uint64_t>;
std::optional<uint64_t> EvalExpr(std::string_view expr, const Symbols& symbols,
                                 std::string* error);
// The symbol names an expression uses (syntax errors reported through `error`).
bool ExprSymbols(std::string_view expr, std::vector<std::string>* names, std::string* error);

// The symbols every target defines (documented in docs/vector-format.md); symbols outside
// this list are a load error.
const std::vector<std::string>& KnownSymbols();

}  // namespace svsm_conform
