// C++ codec generator (`GenerateCppCodecs`): svsm_spec_codecs.h and svsm_spec_codecs.cc,
// typed encoders/decoders of every bitfield, structure and call of the spec, used by the
// reference SVSM and the conformance runner. The generated code includes the hand-written
// runtime svsm_spec/codec_runtime.h (Result, CodecError, RegisterSet, GuestMemory, checked
// arithmetic, JSON helpers) and lives in namespace svsm_spec::codec::gen.
//
// Naming scheme (mechanical, repeated in the generated header):
//   * Camel(x): split at every non-alphanumeric character, each part capitalized
//     (pvalidate_list -> PvalidateList, query-protocol -> QueryProtocol).
//   * enum E: struct Camel(E) { static constexpr uint64_t k<Camel(value)>; Contains(); Name(); }.
//   * bitfield B: struct Camel(B) with one member per field (reserved fields included, so
//     nothing is lost) plus `other_bits` (in place) when some bits are covered by no field;
//     Camel(B)Rules holds the rule ids of its decode checks.
//   * structure S: struct Camel(S) with one member per field in offset order, `pad_<hex>`
//     byte arrays for gaps of sparse structures; Camel(S)Rules likewise.
//   * call C of protocol P: Camel(P.key + C.key) + Request / Response (for a call with forms,
//     Camel(P.key + C.key + form)), and constexpr k<that>Rax.
//   * members: the spec's field name in lower case ('_' appended to C++ keywords).
// Rules structs: one `const char*` per decode constraint, named <field>_<constraint>
// (`other_bits_mbz` for bitfield.*), or a nested Rules struct for a bitfield / structure
// field or array element. A value of "" means "checked, no rule named"; nullptr skips the
// check. nonzero / no_overflow slots exist only where some rule of the spec enforces them
// and default to nullptr (they are not properties of the layout).
//
// Every type name is claimed once; on a clash the second element is skipped and an #error
// line naming both is emitted instead.
#include <algorithm>
#include <array>
#include <cstdio>
#include <functional>
#include <map>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "svsm_spec/generators.h"
#include "text_util.h"

namespace svsm_spec {
namespace {

// ---------------------------------------------------------------------------------------
// Text helpers

std::string Lower(const std::string& s) {
  return internal::IdentifierCase(s, false);
}

std::string Camel(const std::string& s) {
  std::string out;
  bool up = true;
  for (char c : s) {
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (!alnum) {
      up = true;
      continue;
    }
    if (up && c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    out += c;
    up = false;
  }
  if (out.empty() || (out[0] >= '0' && out[0] <= '9')) out = "X" + out;
  return out;
}

bool IsKeyword(const std::string& s) {
  static const std::set<std::string> kKeywords = {
      "alignas", "alignof", "and", "and_eq", "asm", "auto", "bitand", "bitor", "bool", "break",
      "case", "catch", "char", "char8_t", "char16_t", "char32_t", "class", "compl", "concept",
      "const", "consteval", "constexpr", "constinit", "const_cast", "continue", "co_await",
      "co_return", "co_yield", "decltype", "default", "delete", "do", "double", "dynamic_cast",
      "else", "enum", "explicit", "export", "extern", "false", "float", "for", "friend", "goto",
      "if", "inline", "int", "long", "mutable", "namespace", "new", "noexcept", "not", "not_eq",
      "nullptr", "operator", "or", "or_eq", "private", "protected", "public", "register",
      "reinterpret_cast", "requires", "return", "short", "signed", "sizeof", "static",
      "static_assert", "static_cast", "struct", "switch", "template", "this", "thread_local",
      "throw", "true", "try", "typedef", "typeid", "typename", "union", "unsigned", "using",
      "virtual", "void", "volatile", "wchar_t", "while", "xor", "xor_eq",
      // names the generated code uses itself
      "rules", "result", "regs", "memory", "bytes", "out", "raw", "j", "v"};
  return kKeywords.count(s) != 0;
}

std::string MemberName(const std::string& name) {
  std::string lower = Lower(name);
  if (lower.empty() || (lower[0] >= '0' && lower[0] <= '9')) lower = "f_" + lower;
  if (IsKeyword(lower)) lower += '_';
  return lower;
}

std::string HexRaw(uint64_t v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

std::string U64(uint64_t v) {
  return "uint64_t{" + HexRaw(v) + "}";
}

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

std::string OneLine(const std::string& s) {
  std::string out;
  bool pending = false;
  for (char c : s) {
    if (IsSpace(c)) {
      pending = !out.empty();
      continue;
    }
    if (pending) out += ' ';
    pending = false;
    out += c;
  }
  return out;
}

std::string Str(const std::string& text) {
  std::string out = "\"";
  for (char c : OneLine(text)) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c < 0x20 || c > 0x7e) {
      out += '?';
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::vector<std::string> Wrap(const std::string& text, std::size_t width) {
  std::vector<std::string> lines;
  std::string line;
  const std::string s = OneLine(text);
  std::size_t i = 0;
  while (i < s.size()) {
    std::size_t j = s.find(' ', i);
    if (j == std::string::npos) j = s.size();
    const std::string word = s.substr(i, j - i);
    if (!line.empty() && line.size() + 1 + word.size() > width) {
      lines.push_back(line);
      line.clear();
    }
    if (!line.empty()) line += ' ';
    line += word;
    i = j + 1;
  }
  if (!line.empty()) lines.push_back(line);
  return lines;
}

std::string UintType(unsigned bytes) {
  if (bytes <= 1) return "uint8_t";
  if (bytes <= 2) return "uint16_t";
  if (bytes <= 4) return "uint32_t";
  return "uint64_t";
}

unsigned BytesForBits(unsigned bits) {
  if (bits <= 8) return 1;
  if (bits <= 16) return 2;
  if (bits <= 32) return 4;
  return 8;
}

class Writer {
 public:
  void Line(const std::string& s = "") {
    out_ += s;
    out_ += '\n';
  }
  void Comment(const std::string& text, const std::string& indent = "") {
    for (const auto& l : Wrap(text, 96 - indent.size())) Line(indent + "// " + l);
  }
  size_t Mark() const { return out_.size(); }
  // Rewrites every `return MakeError(...);` / `return Prefixed(...);` written since `mark`
  // (each on one line) as `return ColdError([&] { return ...; });`: the error is built in a
  // cold out-of-line function, so a function inlined into a hot caller brings no string
  // building, temporaries or callee-saved registers with it.
  void ColdErrorsSince(size_t mark) {
    static const std::regex kErrorReturn(R"(return ((?:MakeError|Prefixed)\(.*\));$)");
    std::string tail = out_.substr(mark);
    std::string rewritten;
    size_t start = 0;
    while (start < tail.size()) {
      size_t end = tail.find('\n', start);
      if (end == std::string::npos) end = tail.size();
      rewritten += std::regex_replace(tail.substr(start, end - start), kErrorReturn,
                                      "return ColdError([&] { return $1; });");
      if (end < tail.size()) rewritten += '\n';
      start = end + 1;
    }
    out_.replace(mark, std::string::npos, rewritten);
  }
  std::string Take() {
    std::string out;
    for (char c : out_) {
      if (c == '\n' && out.size() >= 2 && out[out.size() - 1] == '\n' &&
          out[out.size() - 2] == '\n') {
        continue;
      }
      out += c;
    }
    return out;
  }

 private:
  std::string out_;
};

// ---------------------------------------------------------------------------------------
// Value types: a structure field, an array element or a register, as C++.

struct VType {
  enum Kind { kInt, kBytes, kGuid, kBitfield, kStruct, kInvalid } kind = kInvalid;
  unsigned bytes = 0;  // wire size
  std::string cpp;     // C++ type
  const Bitfield* bitfield = nullptr;
  const Structure* structure = nullptr;
  bool big_endian = false;
};

// Structures whose fixed part is at most this size are decoded into a local, which the
// compiler keeps in registers, and stored into their destination (a Result, a request's
// optional) once every check has passed: building the destination first zero-fills what
// the decode then overwrites. Larger ones are decoded in place (no copy of a 4 KiB VMSA).
constexpr uint64_t kDecodeInLocalMax = 0x100;

// A check on a decoder's fast path: returns false when `failed` holds and the check's rule
// slot `rule` is set. The condition comes first and is the unlikely branch, so on valid
// input no rule pointer is loaded and no branch is taken (a taken branch per check, which
// `if (failed && rule) [[unlikely]]` gives with GCC, cost the attestation decode about 20%).
std::string FastCheck(const std::string& indent, const std::string& failed,
                      const std::string& rule) {
  return indent + "if (" + failed + ") [[unlikely]] { if (" + rule + ") return false; }";
}

// One decode check of a Rules struct (flattened paths for context assignment).
struct Slot {
  std::string member;  // member of the Rules struct at this level
  std::string target;  // enforcement target
  Constraint constraint;
  bool optional;  // nonzero / no_overflow: default nullptr
};

class CppGenerator {
 public:
  explicit CppGenerator(const Spec& spec) : spec_(spec) {
    for (const Rule* r : spec_.AllRules()) {
      for (const auto& e : r->enforces) {
        if (e.constraint == Constraint::kNonzero || e.constraint == Constraint::kNoOverflow) {
          optional_targets_.insert({e.target, e.constraint});
        }
      }
    }
  }

  std::vector<GeneratedFile> Run() {
    Banner(h_);
    Banner(c_);
    h_.Line("#pragma once");
    h_.Line();
    h_.Line("#include <array>");
    h_.Line("#include <cstddef>");
    h_.Line("#include <cstdint>");
    h_.Line("#include <optional>");
    h_.Line("#include <span>");
    h_.Line("#include <string>");
    h_.Line("#include <string_view>");
    h_.Line("#include <type_traits>");
    h_.Line("#include <vector>");
    h_.Line();
    h_.Line("#include \"svsm_spec/codec_runtime.h\"");
    h_.Line();
    h_.Line("namespace svsm_spec::codec::gen {");
    h_.Line();
    h_.Line("inline constexpr const char* kGeneratorVersion = " + Str(kGeneratorVersion) + ";");
    h_.Line("inline constexpr const char* kSpecRevision = " + Str(spec_.metadata.spec_revision) +
            ";");
    c_.Line("#include \"svsm_spec_codecs.h\"");
    c_.Line();
    c_.Line("#include <cstring>");
    c_.Line("#include <exception>");
    c_.Line("#include <string>");
    c_.Line("#include <utility>");
    c_.Line();
    c_.Line("namespace svsm_spec::codec::gen {");
    Enums();
    Bitfields();
    Structures();
    Calls();
    Generic();
    h_.Line();
    h_.Line("}  // namespace svsm_spec::codec::gen");
    c_.Line();
    c_.Line("}  // namespace svsm_spec::codec::gen");
    return {GeneratedFile{"svsm_spec_codecs.h", h_.Take()},
            GeneratedFile{"svsm_spec_codecs.cc", c_.Take()}};
  }

 private:
  // ------------------------------------------------------------------ infrastructure

  void Banner(Writer& w) {
    std::string files;
    for (std::size_t i = 0; i < spec_.files.size(); ++i) {
      files += (i ? ", " : "") + spec_.files[i];
    }
    if (files.empty()) files = "(no files)";
    w.Comment(std::string("Generated by svsm-spec ") + kGeneratorVersion + " from " + files +
              "; do not edit.");
    w.Comment(spec_.metadata.title + ", spec revision " + spec_.metadata.spec_revision + ".");
    w.Line("//");
    w.Comment(
        "C++20 codecs of the SVSM guest protocol (namespace svsm_spec::codec::gen), on top of "
        "svsm_spec/codec_runtime.h. Raw layer: Pack()/Unpack() and Encode() never validate, "
        "so deliberately invalid encodings can be built. Checked layer: Decode() validates "
        "lengths and every decode-time constraint and names the enforcing rule id in "
        "CodecError::rule_id; a Rules struct (\"\" = checked without a rule id, nullptr = "
        "skipped) carries the ids, since the same structure is decoded by several calls.");
    w.Comment(
        "Naming: enums, bitfields and structures are Camel(name); calls are "
        "Camel(protocol key + call key [+ form]) + Request/Response with k<Call>Rax; members "
        "are the spec's field names; Rules members are <field>_<constraint> (other_bits_mbz "
        "for bits no field covers) or nested Rules.");
    w.Line();
  }

  bool Claim(const std::string& name, const std::string& owner) {
    auto [it, inserted] = names_.emplace(name, owner);
    if (!inserted) {
      h_.Line("#error \"svsm_spec_codecs.h: name " + name + " of " + owner + " clashes with " +
              it->second + "\"");
      return false;
    }
    return true;
  }

  // The rule enforcing (target, constraint) in the context of `call` / `protocol`: the
  // call's rules, then the protocol-wide rules, then the general rules.
  const Rule* Enforcer(const Protocol* protocol, const Call* call, const std::string& target,
                       Constraint c) const {
    auto search = [&](const std::vector<Rule>& rules) -> const Rule* {
      for (const auto& r : rules) {
        for (const auto& e : r.enforces) {
          if (e.target == target && e.constraint == c) return &r;
        }
      }
      return nullptr;
    };
    if (call) {
      if (const Rule* r = search(call->rules)) return r;
    }
    if (protocol) {
      if (const Rule* r = search(protocol->rules)) return r;
    }
    return search(spec_.rules);
  }

  bool HasOptional(const std::string& target, Constraint c) const {
    return optional_targets_.count({target, c}) != 0;
  }

  VType IntType(unsigned bytes, bool big_endian = false) const {
    VType t;
    t.kind = VType::kInt;
    t.bytes = bytes;
    t.cpp = UintType(bytes);
    t.big_endian = big_endian;
    return t;
  }

  VType Scalar(FieldType type, const std::string& layout, const std::string& struct_name,
               bool big_endian) const {
    switch (type) {
      case FieldType::kU8:
        return IntType(1, big_endian);
      case FieldType::kU16:
        return IntType(2, big_endian);
      case FieldType::kU32:
        return IntType(4, big_endian);
      case FieldType::kU64:
      case FieldType::kGpa:
        return IntType(8, big_endian);
      case FieldType::kGuid: {
        VType t;
        t.kind = VType::kGuid;
        t.bytes = 16;
        t.cpp = "std::array<uint8_t, 16>";
        return t;
      }
      case FieldType::kBitfield: {
        VType t;
        const Bitfield* b = spec_.FindBitfield(layout);
        if (!b) return t;
        t.kind = VType::kBitfield;
        t.bitfield = b;
        t.bytes = BytesForBits(b->width);
        t.cpp = Camel(b->name);
        t.big_endian = big_endian;
        return t;
      }
      case FieldType::kStruct: {
        VType t;
        const Structure* s = spec_.FindStructure(struct_name);
        if (!s || s->variable) return t;
        t.kind = VType::kStruct;
        t.structure = s;
        t.bytes = s->size;
        t.cpp = Camel(s->name);
        return t;
      }
      default:
        return VType{};
    }
  }

  // ------------------------------------------------------------------ enums

  void Enums() {
    if (spec_.enums.empty()) return;
    h_.Line();
    h_.Line("// " + std::string(88, '-'));
    h_.Line("// Enums: named values; members holding them stay plain integers.");
    for (const auto& e : spec_.enums) {
      const std::string name = Camel(e.name);
      if (!Claim(name, "enum " + e.name)) continue;
      h_.Line();
      h_.Comment(e.name + (e.doc.empty() ? "" : ": " + e.doc));
      h_.Line("struct " + name + " {");
      std::set<std::string> seen;
      for (const auto& v : e.values) {
        std::string k = "k" + Camel(v.name);
        while (!seen.insert(k).second) k += '_';
        h_.Line("  static constexpr uint64_t " + k + " = " + HexRaw(v.value) + ";");
      }
      h_.Line("  static constexpr bool Contains(uint64_t v) {");
      std::string cond;
      for (const auto& v : e.values)
        cond += (cond.empty() ? "" : " || ") + ("v == " + HexRaw(v.value));
      h_.Line("    return " + (cond.empty() ? std::string("false") : cond) + ";");
      h_.Line("  }");
      h_.Line("  // The value's spec name, or nullptr.");
      h_.Line("  static constexpr const char* Name(uint64_t v) {");
      for (const auto& v : e.values) {
        h_.Line("    if (v == " + HexRaw(v.value) + ") return " + Str(v.name) + ";");
      }
      h_.Line("    return nullptr;");
      h_.Line("  }");
      h_.Line("};");
    }
  }

  // ------------------------------------------------------------------ bitfields

  static uint64_t CoveredMask(const Bitfield& b) {
    uint64_t m = 0;
    for (const auto& f : b.fields) m |= f.mask();
    return m;
  }
  static uint64_t WidthMask(const Bitfield& b) {
    return b.width >= 64 ? ~0ull : ((1ull << b.width) - 1);
  }
  static uint64_t UncoveredMask(const Bitfield& b) { return WidthMask(b) & ~CoveredMask(b); }

  std::vector<Slot> BitfieldSlots(const Bitfield& b) const {
    std::vector<Slot> slots;
    for (const auto& f : b.fields) {
      const std::string m = MemberName(f.name);
      const std::string target = b.name + "." + f.name;
      if (f.mbz) slots.push_back({m + "_mbz", target, Constraint::kMbz, false});
      if (!f.enum_name.empty()) slots.push_back({m + "_enum", target, Constraint::kEnum, false});
      if (HasOptional(target, Constraint::kNonzero)) {
        slots.push_back({m + "_nonzero", target, Constraint::kNonzero, true});
      }
      if (HasOptional(target, Constraint::kNoOverflow)) {
        slots.push_back({m + "_no_overflow", target, Constraint::kNoOverflow, true});
      }
    }
    if (UncoveredMask(b) != 0) {
      slots.push_back({"other_bits_mbz", b.name + ".*", Constraint::kMbz, false});
    }
    return slots;
  }

  static std::string SlotComment(const Slot& s) {
    return std::string(ConstraintName(s.constraint)) + " of " + s.target;
  }

  void EmitRulesStruct(const std::string& name, const std::vector<Slot>& slots,
                       const std::vector<std::pair<std::string, std::string>>& nested,
                       const std::string& owner) {
    if (!Claim(name, owner)) return;
    h_.Line("struct " + name + " {");
    for (const auto& s : slots) {
      h_.Line("  const char* " + s.member + " = " + (s.optional ? "nullptr" : "\"\"") + ";  // " +
              SlotComment(s));
    }
    for (const auto& [member, type] : nested) h_.Line("  " + type + " " + member + ";");
    h_.Line("};");
  }

  void Bitfields() {
    if (spec_.bitfields.empty()) return;
    h_.Line();
    h_.Line("// " + std::string(88, '-'));
    h_.Line("// Bitfields");
    c_.Line();
    c_.Line("// " + std::string(88, '-'));
    c_.Line("// Bitfields");
    for (const auto& b : spec_.bitfields) EmitBitfield(b);
  }

  struct BitMember {
    const BitRange* field;
    std::string name, type;
    uint64_t value_mask;  // unshifted
  };

  std::vector<BitMember> BitMembers(const Bitfield& b) const {
    std::vector<BitMember> out;
    std::set<std::string> seen = {"other_bits"};
    for (const auto& f : b.fields) {
      std::string n = MemberName(f.name);
      while (!seen.insert(n).second) n += '_';
      const uint64_t vm = f.width() >= 64 ? ~0ull : ((1ull << f.width()) - 1);
      out.push_back({&f, n, UintType(BytesForBits(f.width())), vm});
    }
    return out;
  }

  void EmitBitfield(const Bitfield& b) {
    const std::string type = Camel(b.name);
    const std::string owner = "bitfield " + b.name;
    if (b.width == 0 || b.width > 64) {
      h_.Line("#error \"svsm_spec_codecs.h: bitfield " + b.name + " has a bad width\"");
      return;
    }
    for (const auto& f : b.fields) {
      if (f.msb < f.lsb || f.msb >= b.width) {
        h_.Line("#error \"svsm_spec_codecs.h: bitfield " + b.name + " field " + f.name +
                " is outside the width\"");
        return;
      }
    }
    h_.Line();
    EmitRulesStruct(type + "Rules", BitfieldSlots(b), {}, owner);
    if (!Claim(type, owner)) return;
    bitfield_types_.emplace_back(type, b.name);
    const uint64_t other = UncoveredMask(b);
    const std::vector<BitMember> members = BitMembers(b);
    h_.Line();
    h_.Comment(b.name + ": " + b.title + (b.doc.empty() ? "" : ". " + b.doc));
    h_.Line("struct " + type + " {");
    h_.Line("  using Rules = " + type + "Rules;");
    h_.Line("  static constexpr unsigned kWidth = " + std::to_string(b.width) + ";");
    h_.Line("  static constexpr uint64_t kMbzMask = " + HexRaw(b.mbz_mask()) + ";");
    h_.Line("  static constexpr uint64_t kUncoveredMask = " + HexRaw(other) + ";");
    for (const auto& m : members) {
      const BitRange& f = *m.field;
      std::string note = "bits " + std::to_string(f.msb) + ":" + std::to_string(f.lsb);
      if (!f.enum_name.empty()) note += ", values " + Camel(f.enum_name);
      if (f.shift) note += ", holds value >> " + std::to_string(f.shift);
      if (f.reserved) note += ", reserved";
      if (f.mbz) note += ", must be zero";
      if (!f.doc.empty()) note += ". " + f.doc;
      h_.Comment(note, "  ");
      h_.Line("  " + m.type + " " + m.name + " = 0;");
    }
    if (other) {
      h_.Line("  // Bits no field covers (reserved, must be zero), in place.");
      h_.Line("  uint64_t other_bits = 0;");
    }
    h_.Line();
    h_.Line("  // Raw: every bit of `raw` inside the width is kept.");
    h_.Line("  static " + type + " Unpack(uint64_t raw);");
    h_.Line("  // Raw: encodes whatever the members hold (masked to each field's width).");
    h_.Line("  uint64_t Pack() const;");
    h_.Line(
        "  // Checked: Unpack plus the decode checks; error fields are relative (\"reserved\").");
    h_.Line("  static Result<" + type + "> Decode(uint64_t raw, const Rules& rules = {});");
    h_.Line(
        "  // Checked: whether Decode(Pack()) succeeds, without building the Result (the fast "
        "path of the decoders that hold this bitfield).");
    h_.Line("  bool Valid(const Rules& rules = {}) const;");
    h_.Line("  Json ToJson() const;");
    h_.Line("  static Result<" + type + "> FromJson(const Json& j);");
    h_.Line("  bool operator==(const " + type + "&) const = default;");
    h_.Line("};");

    // Unpack
    c_.Line();
    c_.Line(type + " " + type + "::Unpack(uint64_t raw) {");
    c_.Line("  " + type + " v;");
    for (const auto& m : members) {
      c_.Line("  v." + m.name + " = static_cast<" + m.type + ">((raw >> " +
              std::to_string(m.field->lsb) + ") & " + HexRaw(m.value_mask) + ");");
    }
    if (other) c_.Line("  v.other_bits = raw & kUncoveredMask;");
    if (members.empty() && !other) c_.Line("  (void)raw;");
    c_.Line("  return v;");
    c_.Line("}");
    // Pack
    c_.Line();
    c_.Line("uint64_t " + type + "::Pack() const {");
    c_.Line("  uint64_t raw = 0;");
    for (const auto& m : members) {
      c_.Line("  raw |= (static_cast<uint64_t>(" + m.name + ") & " + HexRaw(m.value_mask) +
              ") << " + std::to_string(m.field->lsb) + ";");
    }
    if (other) c_.Line("  raw |= other_bits & kUncoveredMask;");
    c_.Line("  return raw;");
    c_.Line("}");
    // Decode
    c_.Line();
    c_.Line("Result<" + type + "> " + type + "::Decode(uint64_t raw, const Rules& rules) {");
    c_.Line("  (void)rules;");
    c_.Line("  " + type + " v = Unpack(raw);");
    // Valid() runs the same checks in the same order and only says whether they pass.
    // BitsValidAll: the same checks without a branch per check (`bad |= failed & enabled`),
    // for the loops over arrays of the bitfield, which the compiler can then vectorize.
    std::vector<std::string> valid, valid_all;
    for (const auto& slot : BitfieldSlots(b)) {
      if (slot.member == "other_bits_mbz") {
        valid.push_back(FastCheck("  ", "v.other_bits != 0", "rules.other_bits_mbz"));
        valid_all.push_back("  bad |= (v.other_bits != 0) & (rules.other_bits_mbz != nullptr);");
        c_.Line("  if (rules.other_bits_mbz && v.other_bits != 0) {");
        c_.Line(
            "    return MakeError(rules.other_bits_mbz, \"*\", \"bits no field covers must be "
            "zero (are \" + HexU64(v.other_bits) + \")\");");
        c_.Line("  }");
        continue;
      }
      const BitMember* m = nullptr;
      for (const auto& mm : members) {
        if (b.name + "." + mm.field->name == slot.target) m = &mm;
      }
      if (!m) continue;
      const std::string r = "rules." + slot.member;
      const std::string fname = Str(m->field->name);
      switch (slot.constraint) {
        case Constraint::kMbz:
          valid.push_back(FastCheck("  ", "v." + m->name + " != 0", r));
          valid_all.push_back("  bad |= (v." + m->name + " != 0) & (" + r + " != nullptr);");
          c_.Line("  if (" + r + " && v." + m->name + " != 0) {");
          c_.Line("    return MakeError(" + r + ", " + fname +
                  ", \"must be zero (is \" + HexU64(v." + m->name + ") + \")\");");
          c_.Line("  }");
          break;
        case Constraint::kEnum:
          if (spec_.FindEnum(m->field->enum_name)) {
            valid.push_back(FastCheck(
                "  ", "!" + Camel(m->field->enum_name) + "::Contains(v." + m->name + ")", r));
            valid_all.push_back("  bad |= !" + Camel(m->field->enum_name) + "::Contains(v." +
                                m->name + ") & (" + r + " != nullptr);");
            c_.Line("  if (" + r + " && !" + Camel(m->field->enum_name) + "::Contains(v." +
                    m->name + ")) {");
            c_.Line("    return MakeError(" + r + ", " + fname + ", \"not a value of " +
                    m->field->enum_name + ": \" + HexU64(v." + m->name + "));");
            c_.Line("  }");
          }
          break;
        case Constraint::kNonzero:
          valid.push_back(FastCheck("  ", "v." + m->name + " == 0", r));
          valid_all.push_back("  bad |= (v." + m->name + " == 0) & (" + r + " != nullptr);");
          c_.Line("  if (" + r + " && v." + m->name + " == 0) {");
          c_.Line("    return MakeError(" + r + ", " + fname + ", \"must not be zero\");");
          c_.Line("  }");
          break;
        case Constraint::kNoOverflow: {
          const unsigned shift = m->field->shift;
          valid.push_back("  {");
          valid.push_back("    uint64_t address = 0;");
          valid.push_back(FastCheck("    ",
                                    "!CheckedShl(v." + m->name + ", " + std::to_string(shift) +
                                        ", &address) || !RangeFits(address, " + U64(1ull << shift) +
                                        ")",
                                    r));
          valid.push_back("  }");
          valid_all.push_back("  {");
          valid_all.push_back("    uint64_t address = 0;");
          valid_all.push_back("    const bool shifted = CheckedShl(v." + m->name + ", " +
                              std::to_string(shift) + ", &address);");
          valid_all.push_back("    const bool wraps = !shifted || !RangeFits(address, " +
                              U64(1ull << shift) + ");");
          valid_all.push_back("    bad |= wraps & (" + r + " != nullptr);");
          valid_all.push_back("  }");
          c_.Line("  if (" + r + ") {");
          c_.Line("    uint64_t address = 0;");
          c_.Line("    if (!CheckedShl(v." + m->name + ", " + std::to_string(shift) +
                  ", &address) || !RangeFits(address, " + U64(1ull << shift) + ")) {");
          c_.Line("      return MakeError(" + r + ", " + fname +
                  ", \"address range wraps around the address space\");");
          c_.Line("    }");
          c_.Line("  }");
          break;
        }
        default:
          break;
      }
    }
    c_.Line("  return v;");
    c_.Line("}");
    // Valid, through BitsValid: an internal always-inlined copy the decoders' fast paths
    // call per value (GCC does not inline the member into a loop over an array).
    c_.Line();
    c_.Line("namespace {");
    c_.Line();
    c_.Line("[[gnu::always_inline]] inline bool BitsValid(const " + type + "& v, const " + type +
            "Rules& rules) {");
    c_.Line("  (void)rules;");
    c_.Line("  (void)v;");
    for (const auto& line : valid) c_.Line(line);
    c_.Line("  return true;");
    c_.Line("}");
    c_.Line();
    c_.Line("[[maybe_unused, gnu::always_inline]] inline bool BitsValidAll(const " + type +
            "& v, const " + type + "Rules& rules) {");
    c_.Line("  (void)rules;");
    c_.Line("  (void)v;");
    c_.Line("  bool bad = false;");
    for (const auto& line : valid_all) c_.Line(line);
    c_.Line("  return !bad;");
    c_.Line("}");
    c_.Line();
    c_.Line("}  // namespace");
    c_.Line();
    c_.Line("bool " + type + "::Valid(const Rules& rules) const {");
    c_.Line("  return BitsValid(*this, rules);");
    c_.Line("}");
    // JSON
    c_.Line();
    c_.Line("Json " + type + "::ToJson() const {");
    c_.Line("  Json j = Json::object();");
    for (const auto& m : members) {
      c_.Line("  j[" + Str(m.field->name) + "] = " +
              (m.type == "uint64_t" ? "U64Json(" + m.name + ")" : "Json(" + m.name + ")") + ";");
    }
    if (other) c_.Line("  j[\"other_bits\"] = U64Json(other_bits);");
    c_.Line("  return j;");
    c_.Line("}");
    c_.Line();
    c_.Line("Result<" + type + "> " + type + "::FromJson(const Json& j) {");
    c_.Line("  try {");
    std::vector<std::string> keys;
    for (const auto& m : members) keys.push_back(m.field->name);
    if (other) keys.push_back("other_bits");
    EmitObjectCheck(keys);
    c_.Line("    " + type + " v;");
    for (const auto& m : members) {
      EmitUintFromJson(Str(m.field->name), "v." + m.name, m.type, m.value_mask);
    }
    if (other) EmitUintFromJson("\"other_bits\"", "v.other_bits", "uint64_t", other);
    c_.Line("    return v;");
    EmitCatch();
    c_.Line("}");
  }

  void EmitObjectCheck(const std::vector<std::string>& keys) {
    c_.Line("    if (!j.is_object()) return JsonError(\"\", \"expected an object\");");
    c_.Line("    for (auto it = j.begin(); it != j.end(); ++it) {");
    std::string cond;
    for (const auto& k : keys) cond += (cond.empty() ? "" : " && ") + ("it.key() != " + Str(k));
    if (cond.empty()) cond = "true";
    c_.Line("      if (" + cond + ") return JsonError(it.key(), \"unknown member\");");
    c_.Line("    }");
  }

  void EmitCatch() {
    c_.Line("  } catch (const std::exception& e) {");
    c_.Line("    return JsonError(\"\", std::string(\"invalid JSON value: \") + e.what());");
    c_.Line("  }");
  }

  // Reads member `key` (a C string literal) of `j` into `target` of type `type`.
  void EmitUintFromJson(const std::string& key, const std::string& target, const std::string& type,
                        uint64_t max, const std::string& ind = "    ") {
    c_.Line(ind + "{");
    c_.Line(ind + "  const Json* m = JsonMember(j, " + key + ");");
    c_.Line(ind + "  uint64_t u = 0;");
    c_.Line(ind + "  if (!m || !JsonToUint(*m, " + HexRaw(max) + ", &u)) {");
    c_.Line(ind + "    return JsonError(" + key +
            ", \"expected an unsigned integer <= " + HexRaw(max) + "\");");
    c_.Line(ind + "  }");
    c_.Line(ind + "  " + target + " = static_cast<" + type + ">(u);");
    c_.Line(ind + "}");
  }

  // ------------------------------------------------------------------ structures

  struct Member {
    const StructField* field = nullptr;  // null for a pad
    std::string name;
    uint32_t offset = 0, size = 0;
    VType type;             // element type for arrays; pads are bytes
    bool is_array = false;  // fixed (count) or variable (count_field) array
    bool variable = false;  // variable array or variable byte blob
    uint32_t count = 0;     // fixed arrays
  };

  std::string MemberCppType(const Member& m) const {
    if (m.variable) return m.is_array ? "std::vector<" + m.type.cpp + ">" : "std::vector<uint8_t>";
    if (m.is_array) return "std::array<" + m.type.cpp + ", " + std::to_string(m.count) + ">";
    return m.type.cpp;
  }

  // The members of a structure in offset order, or an error text.
  std::vector<Member> Members(const Structure& s, std::string* error) const {
    std::vector<const StructField*> fields;
    for (const auto& f : s.fields) fields.push_back(&f);
    std::stable_sort(fields.begin(), fields.end(), [](const StructField* a, const StructField* b) {
      return a->offset < b->offset;
    });
    std::vector<Member> out;
    std::set<std::string> names;
    for (const StructField* f : fields) names.insert(MemberName(f->name));
    uint32_t pos = 0;
    auto pad_to = [&](uint32_t offset) {
      if (offset <= pos) return;
      char buf[16];
      std::snprintf(buf, sizeof buf, "pad_%03x", pos);
      std::string name = buf;
      while (names.count(name)) name += '_';
      names.insert(name);
      Member m;
      m.name = name;
      m.offset = pos;
      m.size = offset - pos;
      m.type.kind = VType::kBytes;
      m.type.bytes = m.size;
      m.type.cpp = "std::array<uint8_t, " + std::to_string(m.size) + ">";
      out.push_back(m);
      pos = offset;
    };
    bool seen_variable = false;
    for (const StructField* f : fields) {
      if (seen_variable) {
        *error = "field " + f->name + " follows the variable part";
        return {};
      }
      if (f->offset < pos) {
        *error = "field " + f->name + " overlaps the previous field";
        return {};
      }
      pad_to(f->offset);
      Member m;
      m.field = f;
      m.name = MemberName(f->name);
      m.offset = f->offset;
      if (f->type == FieldType::kArray) {
        if (!f->element) {
          *error = "array " + f->name + " has no element type";
          return {};
        }
        m.is_array = true;
        m.type =
            Scalar(f->element->type, f->element->layout, f->element->struct_name, f->big_endian);
        if (m.type.kind == VType::kInvalid) {
          *error = "array " + f->name + " has an unsupported element type";
          return {};
        }
        if (!f->count_field.empty()) {
          m.variable = true;
          if (!s.Find(f->count_field)) {
            *error = "count_field of " + f->name + " is unknown";
            return {};
          }
        } else {
          m.count = f->count.value_or(0);
          m.size = m.count * m.type.bytes;
        }
      } else if (f->type == FieldType::kBytes) {
        if (!f->size_field.empty()) {
          m.variable = true;
          if (!s.Find(f->size_field)) {
            *error = "size_field of " + f->name + " is unknown";
            return {};
          }
        } else {
          m.size = f->size.value_or(f->fixed_size);
        }
        m.type.kind = VType::kBytes;
        m.type.bytes = m.size;
        m.type.cpp = "std::array<uint8_t, " + std::to_string(m.size) + ">";
      } else {
        m.type = Scalar(f->type, f->layout, f->struct_name, f->big_endian);
        if (m.type.kind == VType::kInvalid) {
          *error = "field " + f->name + " has an unsupported type";
          return {};
        }
        m.size = m.type.bytes;
      }
      if (m.variable) {
        seen_variable = true;
        if (f->offset != s.size) {
          *error = "variable field " + f->name + " does not start at the end of the fixed part";
          return {};
        }
      } else {
        pos = f->offset + m.size;
      }
      out.push_back(m);
    }
    if (pos > s.size) {
      *error = "fields end past the size";
      return {};
    }
    if (!seen_variable) {
      pad_to(s.size);
    } else {
      // A gap before the variable part.
      std::vector<Member> var = {out.back()};
      out.pop_back();
      pad_to(s.size);
      out.push_back(var[0]);
    }
    if (s.variable != seen_variable) {
      *error = "variable: true and the fields disagree";
      return {};
    }
    return out;
  }

  // Slots of a structure's own level; `nested` gets (member, Rules type) of sub-rules.
  std::vector<Slot> StructSlots(const Structure& s, const std::vector<Member>& members,
                                std::vector<std::pair<std::string, std::string>>* nested) const {
    std::vector<Slot> slots;
    if (s.within_page) slots.push_back({"within_page", s.name, Constraint::kWithinPage, false});
    for (const auto& m : members) {
      if (!m.field) continue;
      const StructField& f = *m.field;
      const std::string target = s.name + "." + f.name;
      if (f.mbz) slots.push_back({m.name + "_mbz", target, Constraint::kMbz, false});
      if (!f.enum_name.empty() && m.type.kind == VType::kInt && !m.is_array) {
        slots.push_back({m.name + "_enum", target, Constraint::kEnum, false});
      }
      if (f.align && *f.align > 0 && m.type.kind == VType::kInt && !m.is_array) {
        slots.push_back({m.name + "_align", target, Constraint::kAlign, false});
      }
      if (m.is_array && m.variable) {
        if (f.min_count && *f.min_count > 0) {
          slots.push_back({m.name + "_min_count", target, Constraint::kMinCount, false});
        }
        if (f.max_count) {
          slots.push_back({m.name + "_max_count", target, Constraint::kMaxCount, false});
        }
      }
      if (m.type.kind == VType::kInt && !m.is_array) {
        if (HasOptional(target, Constraint::kNonzero)) {
          slots.push_back({m.name + "_nonzero", target, Constraint::kNonzero, true});
        }
        if (HasOptional(target, Constraint::kNoOverflow)) {
          slots.push_back({m.name + "_no_overflow", target, Constraint::kNoOverflow, true});
        }
      }
      if (nested && (m.type.kind == VType::kBitfield || m.type.kind == VType::kStruct)) {
        nested->push_back({m.name, m.type.cpp + "Rules"});
      }
    }
    return slots;
  }

  // Every (path, slot) of a structure or bitfield, recursively (paths like "entry.reserved_mbz").
  void FlatSlots(const VType& t, const std::string& prefix,
                 std::vector<std::pair<std::string, Slot>>* out) const {
    if (t.kind == VType::kBitfield) {
      for (const auto& s : BitfieldSlots(*t.bitfield)) out->push_back({prefix + s.member, s});
      return;
    }
    if (t.kind != VType::kStruct) return;
    std::string error;
    const std::vector<Member> members = Members(*t.structure, &error);
    for (const auto& s : StructSlots(*t.structure, members, nullptr)) {
      out->push_back({prefix + s.member, s});
    }
    for (const auto& m : members) {
      if (m.type.kind == VType::kBitfield || m.type.kind == VType::kStruct) {
        FlatSlots(m.type, prefix + m.name + ".", out);
      }
    }
  }

  VType StructType(const Structure& s) const {
    VType t;
    t.kind = VType::kStruct;
    t.structure = &s;
    t.bytes = s.size;
    t.cpp = Camel(s.name);
    return t;
  }

  void Structures() {
    if (spec_.structures.empty()) return;
    h_.Line();
    h_.Line("// " + std::string(88, '-'));
    h_.Line("// Structures");
    c_.Line();
    c_.Line("// " + std::string(88, '-'));
    c_.Line("// Structures");
    std::set<std::string> done, active;
    std::function<void(const Structure&)> visit = [&](const Structure& s) {
      if (done.count(s.name)) return;
      if (active.count(s.name)) {
        h_.Line("#error \"svsm_spec_codecs.h: structure " + s.name + " contains itself\"");
        return;
      }
      active.insert(s.name);
      for (const auto& f : s.fields) {
        std::string dep;
        if (f.type == FieldType::kStruct) dep = f.struct_name;
        if (f.type == FieldType::kArray && f.element && f.element->type == FieldType::kStruct) {
          dep = f.element->struct_name;
        }
        if (dep.empty()) continue;
        if (const Structure* d = spec_.FindStructure(dep)) visit(*d);
      }
      active.erase(s.name);
      done.insert(s.name);
      EmitStructure(s);
    };
    for (const auto& s : spec_.structures) visit(s);
  }

  // Code reading one value of type `t` at `off` of span `b` into `target`, with `rules`
  // for nested checks; an error is prefixed with `path` (a std::string expression).
  // With `push`, `target` is a vector and the value is appended to it.
  // With `fast`, a failed check is `return false;` (the fast path, see EmitStructure).
  void EmitLoad(const VType& t, const std::string& b, const std::string& off,
                const std::string& target, const std::string& rules, const std::string& path,
                const std::string& ind, bool push = false, bool fast = false) {
    const std::string load = t.big_endian ? "LoadBe" : "LoadLe";
    auto assign = [&](const std::string& expr) {
      return push ? target + ".push_back(" + expr + ");" : target + " = " + expr + ";";
    };
    switch (t.kind) {
      case VType::kInt:
        c_.Line(ind + assign("static_cast<" + t.cpp + ">(" + load + "(" + b + ", " + off + ", " +
                             std::to_string(t.bytes) + "))"));
        break;
      case VType::kGuid:
      case VType::kBytes:
        // Copied straight into the target: a std::array returned by value is built on the
        // stack first (GCC does not scalarize the odd sizes, e.g. 6 bytes).
        if (push) {
          c_.Line(ind + assign("LoadArray<" + std::to_string(t.bytes) + ">(" + b + ", " + off + ")"));
        } else {
          c_.Line(ind + "LoadArrayInto(" + target + ", " + b + ", " + off + ");");
        }
        break;
      case VType::kBitfield:
        // Fast path: Unpack plus Valid() (inlined here, no Result per value); Decode runs
        // only to build the error. Going through Decode's Result for every value costs an
        // out-of-line call and a store-forwarding stall when the value is copied out.
        c_.Line(ind + "{");
        c_.Line(ind + "  const uint64_t raw = " + load + "(" + b + ", " + off + ", " +
                std::to_string(t.bytes) + ");");
        c_.Line(ind + "  const " + t.cpp + " value = " + t.cpp + "::Unpack(raw);");
        if (fast) {
          c_.Line(ind + "  if (!BitsValid(value, " + rules + ")) [[unlikely]] return false;");
        } else {
          c_.Line(ind + "  if (!BitsValid(value, " + rules + ")) {");
          c_.Line(ind + "    return Prefixed(" + t.cpp + "::Decode(raw, " + rules + ").error(), " +
                  path + ");");
          c_.Line(ind + "  }");
        }
        c_.Line(ind + "  " + assign("value"));
        c_.Line(ind + "}");
        break;
      case VType::kStruct:
        if (fast) {
          c_.Line(ind + "if (!FastDecodeInto(" + b + ".subspan(" + off + ", " +
                  std::to_string(t.bytes) + "), " + rules + ", " +
                  (push ? target + ".emplace_back()" : target) + ")) [[unlikely]] {");
          c_.Line(ind + "  return false;");
          c_.Line(ind + "}");
          break;
        }
        // Decoded in place (no Result copied out, which would reload the just-stored value).
        c_.Line(ind + "if (auto e = " + t.cpp + "::DecodeInto(" + b + ".subspan(" + off + ", " +
                std::to_string(t.bytes) + "), " + rules + ", " +
                (push ? target + ".emplace_back()" : target) + ")) {");
        c_.Line(ind + "  return Prefixed(*e, " + path + ");");
        c_.Line(ind + "}");
        break;
      case VType::kInvalid:
        break;
    }
  }

  void EmitStore(const VType& t, const std::string& b, const std::string& off,
                 const std::string& expr, const std::string& ind) {
    const std::string store = t.big_endian ? "StoreBe" : "StoreLe";
    switch (t.kind) {
      case VType::kInt:
        c_.Line(ind + store + "(" + b + ", " + off + ", " + std::to_string(t.bytes) + ", " + expr +
                ");");
        break;
      case VType::kGuid:
      case VType::kBytes:
        c_.Line(ind + "StoreArray(" + b + ", " + off + ", " + expr + ");");
        break;
      case VType::kBitfield:
        c_.Line(ind + store + "(" + b + ", " + off + ", " + std::to_string(t.bytes) + ", " + expr +
                ".Pack());");
        break;
      case VType::kStruct:
        c_.Line(ind + expr + ".EncodeTo(" + b + ".subspan(" + off + ", " + std::to_string(t.bytes) +
                "));");
        break;
      case VType::kInvalid:
        break;
    }
  }

  std::string JsonOut(const VType& t, const std::string& expr) const {
    switch (t.kind) {
      case VType::kInt:
        return t.bytes == 8 ? "U64Json(" + expr + ")" : "Json(" + expr + ")";
      case VType::kGuid:
        return "Json(GuidToString(" + expr + "))";
      case VType::kBytes:
        return "Json(HexBytes(" + expr + "))";
      case VType::kBitfield:
      case VType::kStruct:
        return expr + ".ToJson()";
      case VType::kInvalid:
        break;
    }
    return "Json()";
  }

  // Code converting JSON value `jv` (a const Json& expression) into `target`.
  void EmitJsonIn(const VType& t, const std::string& jv, const std::string& target,
                  const std::string& path, const std::string& ind) {
    switch (t.kind) {
      case VType::kInt: {
        const uint64_t max = t.bytes >= 8 ? ~0ull : ((1ull << (8 * t.bytes)) - 1);
        c_.Line(ind + "{");
        c_.Line(ind + "  uint64_t u = 0;");
        c_.Line(ind + "  if (!JsonToUint(" + jv + ", " + HexRaw(max) + ", &u)) {");
        c_.Line(ind + "    return JsonError(" + path +
                ", \"expected an unsigned integer <= " + HexRaw(max) + "\");");
        c_.Line(ind + "  }");
        c_.Line(ind + "  " + target + " = static_cast<" + t.cpp + ">(u);");
        c_.Line(ind + "}");
        break;
      }
      case VType::kGuid:
        c_.Line(ind + "if (!JsonToGuid(" + jv + ", &" + target + ")) {");
        c_.Line(ind + "  return JsonError(" + path + ", \"expected a GUID string\");");
        c_.Line(ind + "}");
        break;
      case VType::kBytes:
        c_.Line(ind + "if (!JsonToArray(" + jv + ", &" + target + ")) {");
        c_.Line(ind + "  return JsonError(" + path + ", \"expected " + std::to_string(t.bytes) +
                " bytes as a hex string\");");
        c_.Line(ind + "}");
        break;
      case VType::kBitfield:
      case VType::kStruct:
        c_.Line(ind + "{");
        c_.Line(ind + "  auto r = " + t.cpp + "::FromJson(" + jv + ");");
        c_.Line(ind + "  if (!r.ok()) return Prefixed(r.error(), " + path + ");");
        c_.Line(ind + "  " + target + " = std::move(r).value();");
        c_.Line(ind + "}");
        break;
      case VType::kInvalid:
        break;
    }
  }

  // The checks of DecodeInto of structure `type` over `bytes` into `v` (a free function:
  // members are qualified). `fast`: only whether every check passes (FastDecodeInto);
  // otherwise the CodecError of the first failed check (SlowDecodeInto), checks in member
  // order. The fast path loads each scalar member once (EmitFastMember), checks a variable
  // array of bitfields in one read-only pass without a branch per check (BitsValidAll, rules
  // in a local; the compiler may vectorize it), then fills the vector in one more
  // (AssignGenerated: no push_back per element).
  void EmitDecodeBody(const std::string& type, const std::vector<Member>& members,
                      const std::function<bool(const std::string&)>& has_slot, bool fast) {
    const std::string fixed = type + "::kFixedSize";
    c_.Line("  (void)rules;");
    c_.Line("  (void)v;");
    if (fast) {
      c_.Line("  if (bytes.size() < " + fixed + ") [[unlikely]] return false;");
    } else {
      c_.Line("  if (bytes.size() < " + fixed + ") {");
      c_.Line("    return MakeError(\"\", \"\", \"need \" + std::to_string(" + fixed +
              ") + \" bytes, have \" + std::to_string(bytes.size()));");
      c_.Line("  }");
    }
    for (const auto& m : members) {
      const std::string path = "std::string(" + Str(m.field ? m.field->name : m.name) + ")";
      const std::string fname = Str(m.field ? m.field->name : m.name);
      if (m.variable) {
        const StructField& f = *m.field;
        const std::string w = std::to_string(m.type.bytes);
        const std::string at = HexRaw(m.offset) + " + i * " + w;
        c_.Line("  {");
        if (fast) {
          c_.Line("    uint64_t total = 0;");
          c_.Line("    if (!FastSizeFromFixed(bytes, rules, &total)) [[unlikely]] return false;");
          c_.Line("    if (bytes.size() < total) [[unlikely]] return false;");
        } else {
          c_.Line("    auto size = " + type + "::SizeFromFixed(bytes, rules);");
          c_.Line("    if (!size.ok()) return size.error();");
          c_.Line("    const uint64_t total = size.value();");
          c_.Line("    if (bytes.size() < total) {");
          std::string rule = "\"\"";
          if (m.is_array && has_slot(m.name + "_max_count")) {
            rule = "rules." + m.name + "_max_count";
          }
          c_.Line("      return MakeError(" + rule + ", " + fname +
                  ", \"need \" + "
                  "std::to_string(total) + \" bytes for the count/size the structure "
                  "announces, have \" + std::to_string(bytes.size()));");
          c_.Line("    }");
        }
        if (!m.is_array) {
          c_.Line("    v." + m.name +
                  ".assign(bytes.begin() + " + fixed + ", bytes.begin() + "
                  "static_cast<std::ptrdiff_t>(total));");
          c_.Line("  }");
          continue;
        }
        c_.Line("    const size_t n = static_cast<size_t>((total - " + fixed + ") / " + w + ");");
        const std::string load = m.type.big_endian ? "LoadBe" : "LoadLe";
        if (fast && m.type.kind == VType::kBitfield) {
          c_.Line("    {");
          c_.Line("      const " + m.type.cpp + "Rules element_rules = rules." + m.name + ";");
          c_.Line("      uint64_t bad = 0;");
          c_.Line("      for (size_t i = 0; i < n; ++i) {");
          c_.Line("        bad |= static_cast<uint64_t>(!BitsValidAll(" + m.type.cpp + "::Unpack(" +
                  load + "(bytes, " + at + ", " + w + ")), element_rules));");
          c_.Line("      }");
          c_.Line("      if (bad != 0) [[unlikely]] return false;");
          c_.Line("    }");
          c_.Line("    AssignGenerated(v." + m.name + ", n, [bytes](size_t i) { return " +
                  m.type.cpp + "::Unpack(" + load + "(bytes, " + at + ", " + w + ")); });");
        } else if (fast && m.type.kind == VType::kInt) {
          c_.Line("    AssignGenerated(v." + m.name + ", n, [bytes](size_t i) { return static_cast<" +
                  m.type.cpp + ">(" + load + "(bytes, " + at + ", " + w + ")); });");
        } else if (fast && (m.type.kind == VType::kBytes || m.type.kind == VType::kGuid)) {
          c_.Line("    AssignGenerated(v." + m.name + ", n, [bytes](size_t i) { return LoadArray<" +
                  w + ">(bytes, " + at + "); });");
        } else {
          // reserve + push_back: resize would zero-fill what the loop then overwrites.
          c_.Line("    v." + m.name + ".clear();");
          c_.Line("    v." + m.name + ".reserve(n);");
          c_.Line("    for (size_t i = 0; i < n; ++i) {");
          EmitLoad(m.type, "bytes", at, "v." + m.name, "rules." + m.name,
                   "std::string(" + Str(f.name + "[") + ") + std::to_string(i) + \"]\"", "      ",
                   /*push=*/true, fast);
          c_.Line("    }");
        }
        c_.Line("  }");
        continue;
      }
      if (m.is_array) {
        c_.Line("  for (size_t i = 0; i < " + std::to_string(m.count) + "; ++i) {");
        EmitLoad(m.type, "bytes", HexRaw(m.offset) + " + i * " + std::to_string(m.type.bytes),
                 "v." + m.name + "[i]", "rules." + m.name,
                 "std::string(" + Str(m.field->name + "[") + ") + std::to_string(i) + \"]\"",
                 "    ", /*push=*/false, fast);
        c_.Line("  }");
        continue;
      }
      if (fast) {
        EmitFastMember(m, has_slot);
        continue;
      }
      // Must-be-zero bytes are checked on the input (the copy is checked by no one).
      const bool bytes_mbz = m.field && has_slot(m.name + "_mbz") &&
                             (m.type.kind == VType::kBytes || m.type.kind == VType::kGuid);
      if (bytes_mbz) {
        const std::string r = "rules." + m.name + "_mbz";
        c_.Line("  if (" + r + " && !AllZeroBytes<" + std::to_string(m.type.bytes) +
                ">(bytes.data() + " + HexRaw(m.offset) + ")) {");
        c_.Line("    return MakeError(" + r + ", " + fname + ", \"must be zero\");");
        c_.Line("  }");
      }
      EmitLoad(m.type, "bytes", HexRaw(m.offset), "v." + m.name, "rules." + m.name, path, "  ");
      for (const FieldCheck& check : ScalarChecks(m, "v." + m.name, has_slot)) {
        c_.Line("  if (" + check.rule + " && " + check.failed + ") {");
        c_.Line("    return MakeError(" + check.rule + ", " + fname + ", " + check.message + ");");
        c_.Line("  }");
      }
    }
  }

  // A decode-time check of one scalar member: rule slot, failure condition (pure and total)
  // and the error message (a std::string expression).
  struct FieldCheck {
    std::string rule, failed, message;
  };

  // The checks of scalar member `m` whose decoded value is the expression `value`, in the
  // order the checking decode runs them (must-be-zero bytes and bitfields excepted).
  std::vector<FieldCheck> ScalarChecks(const Member& m, const std::string& value,
                                       const std::function<bool(const std::string&)>& has_slot) {
    std::vector<FieldCheck> checks;
    if (!m.field) return checks;
    const StructField& f = *m.field;
    const std::string rules = "rules." + m.name;
    if (has_slot(m.name + "_mbz") && m.type.kind == VType::kInt) {
      checks.push_back({rules + "_mbz", value + " != 0", "\"must be zero\""});
    }
    if (has_slot(m.name + "_enum") && spec_.FindEnum(f.enum_name)) {
      checks.push_back({rules + "_enum", "!" + Camel(f.enum_name) + "::Contains(" + value + ")",
                        "\"not a value of " + f.enum_name + ": \" + HexU64(" + value + ")"});
    }
    if (has_slot(m.name + "_align")) {
      checks.push_back(
          {rules + "_align", value + " % " + U64(*f.align) + " != 0",
           "\"\" + HexU64(" + value + ") + \" is not a multiple of " + HexRaw(*f.align) + "\""});
    }
    if (has_slot(m.name + "_nonzero")) {
      checks.push_back({rules + "_nonzero", value + " == 0", "\"must not be zero\""});
    }
    if (has_slot(m.name + "_no_overflow")) {
      uint64_t size = 1;
      if (const Structure* p = spec_.FindStructure(f.points_to)) {
        size = p->size;
      } else if (f.align && *f.align) {
        size = *f.align;
      }
      checks.push_back(
          {rules + "_no_overflow", "!RangeFits(" + value + ", " + U64(size) + ")",
           "\"address range of " + HexRaw(size) + " bytes wraps around the address space\""});
    }
    return checks;
  }

  // Whether the fast path holds member `m` in a local between its load and its store: the
  // scalars (integers, bitfields, byte arrays of at most 16 bytes).
  static bool HeldInLocal(const Member& m) {
    if (m.variable || m.is_array) return false;
    switch (m.type.kind) {
      case VType::kInt:
      case VType::kBitfield:
        return true;
      case VType::kBytes:
      case VType::kGuid:
        return m.type.bytes <= 16;
      default:
        return false;
    }
  }

  // One non-array member on the fast path. A scalar is loaded once into a local, checked
  // there and stored from it: the output may alias the input (both are bytes to the
  // compiler), so checking the stored copy, or copying the input after a store, would load
  // it again. Large byte arrays are checked on the input and copied; nested structures are
  // decoded in place. Each check tests its condition first, so on valid input no rule
  // pointer is loaded.
  void EmitFastMember(const Member& m, const std::function<bool(const std::string&)>& has_slot) {
    const std::string r = "rules." + m.name;
    const bool is_bytes = m.type.kind == VType::kBytes || m.type.kind == VType::kGuid;
    const bool bytes_mbz = m.field && is_bytes && has_slot(m.name + "_mbz");
    if (!HeldInLocal(m)) {
      if (bytes_mbz) {
        c_.Line(FastCheck("  ",
                          "!AllZeroBytes<" + std::to_string(m.type.bytes) + ">(bytes.data() + " +
                              HexRaw(m.offset) + ")",
                          r + "_mbz"));
      }
      EmitLoad(m.type, "bytes", HexRaw(m.offset), "v." + m.name, r, "", "  ", /*push=*/false,
               /*fast=*/true);
      return;
    }
    const std::string local = "in_" + m.name;
    const std::string raw = std::string(m.type.big_endian ? "LoadBe" : "LoadLe") + "(bytes, " +
                            HexRaw(m.offset) + ", " + std::to_string(m.type.bytes) + ")";
    if (m.type.kind == VType::kInt) {
      c_.Line("  const " + m.type.cpp + " " + local + " = static_cast<" + m.type.cpp + ">(" + raw +
              ");");
    } else if (m.type.kind == VType::kBitfield) {
      c_.Line("  const " + m.type.cpp + " " + local + " = " + m.type.cpp + "::Unpack(" + raw +
              ");");
      c_.Line("  if (!BitsValid(" + local + ", " + r + ")) [[unlikely]] return false;");
    } else {
      const std::string n = std::to_string(m.type.bytes);
      c_.Line("  const HeldBytes<" + n + "> " + local + " = LoadHeldBytes<" + n + ">(bytes, " +
              HexRaw(m.offset) + ");");
      if (bytes_mbz) {
        c_.Line(FastCheck("  ", "!" + local + ".IsZero()", r + "_mbz"));
      }
    }
    for (const FieldCheck& check : ScalarChecks(m, local, has_slot)) {
      c_.Line(FastCheck("  ", check.failed, check.rule));
    }
    if (is_bytes) {
      c_.Line("  StoreHeldBytes(v." + m.name + ", " + local + ");");
    } else {
      c_.Line("  v." + m.name + " = " + local + ";");
    }
  }

  void EmitStructure(const Structure& s) {
    const std::string type = Camel(s.name);
    const std::string owner = "structure " + s.name;
    std::string error;
    const std::vector<Member> members = Members(s, &error);
    if (!error.empty()) {
      h_.Line("#error \"svsm_spec_codecs.h: structure " + s.name + ": " + error + "\"");
      return;
    }
    std::vector<std::pair<std::string, std::string>> nested;
    const std::vector<Slot> slots = StructSlots(s, members, &nested);
    auto has_slot = [&](const std::string& member) {
      for (const auto& sl : slots) {
        if (sl.member == member) return true;
      }
      return false;
    };
    h_.Line();
    EmitRulesStruct(type + "Rules", slots, nested, owner);
    if (!Claim(type, owner)) return;
    structure_types_.emplace_back(type, s.name);
    const Member* var = (!members.empty() && members.back().variable) ? &members.back() : nullptr;

    h_.Line();
    std::string shape = "Size " + HexRaw(s.size);
    if (s.variable) shape += " plus a variable part";
    if (s.max_size) shape += ", at most " + HexRaw(*s.max_size) + " in all";
    if (s.align) shape += ", aligned to " + HexRaw(*s.align);
    if (s.within_page) shape += ", within one 4 KiB page";
    if (s.sparse)
      shape += "; SPARSE: pad_<offset> members keep the bytes the spec does not describe";
    h_.Comment(s.name + ": " + s.title + ". " + shape + ".");
    h_.Line("struct " + type + " {");
    h_.Line("  using Rules = " + type + "Rules;");
    h_.Line("  static constexpr size_t kFixedSize = " + HexRaw(s.size) + ";");
    h_.Line("  static constexpr bool kVariable = " + std::string(var ? "true" : "false") + ";");
    h_.Line("  static constexpr size_t kMaxSize = " + HexRaw(s.max_size.value_or(0)) +
            ";  // 0: no bound");
    h_.Line("  static constexpr uint64_t kAlign = " + HexRaw(s.align.value_or(0)) +
            ";  // 0: none");
    h_.Line("  static constexpr bool kWithinPage = " +
            std::string(s.within_page ? "true" : "false") + ";");
    for (const auto& m : members) {
      std::string note = HexRaw(m.offset) + " ";
      if (!m.field) {
        note += "bytes the spec does not describe";
      } else {
        const StructField& f = *m.field;
        note += f.name + ": " + FieldTypeName(f.type);
        if (m.is_array && m.variable) note += ", count in " + f.count_field;
        if (!f.size_field.empty()) note += ", size in " + f.size_field;
        if (!f.enum_name.empty()) note += ", values " + Camel(f.enum_name);
        if (f.align) note += ", align " + HexRaw(*f.align);
        if (!f.points_to.empty()) note += ", -> " + Camel(f.points_to);
        if (f.big_endian) note += ", big-endian";
        if (f.reserved) note += ", reserved";
        if (f.mbz) note += ", must be zero";
        if (!f.doc.empty()) note += ". " + f.doc;
      }
      h_.Comment(note, "  ");
      const std::string mt = MemberCppType(m);
      const bool scalar_int = m.type.kind == VType::kInt && !m.is_array && !m.variable;
      h_.Line("  " + mt + " " + m.name + (scalar_int ? " = 0;" : "{};"));
    }
    h_.Line();
    if (var) {
      h_.Line(
          "  // The whole size the fixed part `fixed` announces (count / size checks run here).");
      h_.Line(
          "  static Result<uint64_t> SizeFromFixed(std::span<const uint8_t> fixed, "
          "const Rules& rules = {});");
    }
    h_.Line("  // Raw: kFixedSize plus the variable part as held.");
    h_.Line("  size_t EncodedSize() const;");
    h_.Line("  // Raw: writes the members as held into out[0, EncodedSize()).");
    h_.Line("  void EncodeTo(std::span<uint8_t> out) const;");
    h_.Line("  std::vector<uint8_t> Encode() const;");
    h_.Line("  // Checked: decodes from the start of `bytes` (trailing bytes are ignored);");
    h_.Line("  // error fields start with \"" + s.name + ".\".");
    h_.Line("  static Result<" + type +
            "> Decode(std::span<const uint8_t> bytes, "
            "const Rules& rules = {});");
    h_.Line("  // As Decode, with error fields relative to the structure.");
    h_.Line("  static Result<" + type +
            "> DecodeFields(std::span<const uint8_t> bytes, "
            "const Rules& rules = {});");
    h_.Line("  // As DecodeInto, saying only whether every check passed: no CodecError is built");
    h_.Line("  // (`out` is left partly written when one failed).");
    h_.Line("  static bool DecodeIntoIfValid(std::span<const uint8_t> bytes, const Rules& rules, " +
            type + "& out);");
    h_.Line("  // The checking decode: the CodecError of the first failed check, if any.");
    h_.Line(
        "  static std::optional<CodecError> CheckingDecodeInto(std::span<const uint8_t> bytes, "
        "const Rules& rules, " +
        type + "& out);");
    h_.Line(
        "  // As DecodeFields, into `out` (left partly written on an error). Inline, so that on");
    h_.Line("  // valid input the caller gets a bool in a register and builds the empty optional");
    h_.Line("  // itself; the checking decode runs only to say what failed.");
    h_.Line(
        "  static std::optional<CodecError> DecodeInto(std::span<const uint8_t> bytes, "
        "const Rules& rules, " +
        type + "& out) {");
    h_.Line("    if (DecodeIntoIfValid(bytes, rules, out)) [[likely]] return std::nullopt;");
    h_.Line("    return CheckingDecodeInto(bytes, rules, out);");
    h_.Line("  }");
    h_.Line("  Json ToJson() const;");
    h_.Line("  static Result<" + type + "> FromJson(const Json& j);");
    h_.Line("  bool operator==(const " + type + "&) const = default;");
    h_.Line("};");

    // ---- SizeFromFixed: the public one builds the error; FastSizeFromFixed (internal, the
    // same checks in the same order) only says whether they pass.
    if (var) {
      const StructField& f = *var->field;
      const std::string fname = Str(f.name);
      for (const bool fast : {true, false}) {
        // `return <error>;`, or `return false;` on the fast path.
        auto ret = [&](const std::string& ind, const std::string& error) {
          c_.Line(ind + "return " + (fast ? std::string("false") : error) + ";");
        };
        c_.Line();
        if (fast) {
          c_.Line("namespace {");
          c_.Line();
          c_.Line("// " + type + "::SizeFromFixed without the CodecError: false on any failed check.");
          c_.Line("[[gnu::always_inline]] inline bool FastSizeFromFixed(std::span<const uint8_t> "
                  "fixed, const " + type + "Rules& rules, uint64_t* out) {");
        } else {
          c_.Line("Result<uint64_t> " + type +
                  "::SizeFromFixed(std::span<const uint8_t> fixed, const Rules& rules) {");
        }
        c_.Line("  (void)rules;");
        c_.Line("  if (fixed.size() < " + type + "::kFixedSize) {");
        ret("    ", "MakeError(\"\", \"\", \"need \" + std::to_string(" + type +
                       "::kFixedSize) + \" bytes, have \" + std::to_string(fixed.size()))");
        c_.Line("  }");
        const std::string cf = var->is_array ? f.count_field : f.size_field;
        const StructField* cfield = s.Find(cf);
        const VType ct = Scalar(cfield->type, cfield->layout, "", cfield->big_endian);
        if (ct.kind != VType::kInt) {
          if (!fast) {
            h_.Line("#error \"svsm_spec_codecs.h: " + s.name + "." + cf + " is not an integer\"");
          }
          ret("  ", "MakeError(\"\", \"\", \"bad count field\")");
          c_.Line("}");
          if (fast) {
            c_.Line();
            c_.Line("}  // namespace");
          }
          continue;
        }
        c_.Line("  const uint64_t n = " + std::string(ct.big_endian ? "LoadBe" : "LoadLe") +
                "(fixed, " + HexRaw(cfield->offset) + ", " + std::to_string(ct.bytes) + ");");
        if (var->is_array) {
          if (has_slot(var->name + "_min_count")) {
            const std::string r = "rules." + var->name + "_min_count";
            const std::string cond = "n < " + std::to_string(*f.min_count);
            if (fast) {
              c_.Line(FastCheck("  ", cond, r));
            } else {
              c_.Line("  if (" + r + " && " + cond + ") {");
              c_.Line("    return MakeError(" + r + ", " + fname +
                      ", \"count \" + std::to_string(n) + \" is below the minimum " +
                      std::to_string(*f.min_count) + "\");");
              c_.Line("  }");
            }
          }
          if (has_slot(var->name + "_max_count")) {
            const std::string r = "rules." + var->name + "_max_count";
            const std::string cond = "n > " + std::to_string(*f.max_count);
            if (fast) {
              c_.Line(FastCheck("  ", cond, r));
            } else {
              c_.Line("  if (" + r + " && " + cond + ") {");
              c_.Line("    return MakeError(" + r + ", " + fname +
                      ", \"count \" + std::to_string(n) + \" is above the maximum " +
                      std::to_string(*f.max_count) + "\");");
              c_.Line("  }");
            }
          }
          c_.Line("  uint64_t part = 0;");
          c_.Line("  uint64_t total = 0;");
          c_.Line("  if (!CheckedMul(n, " + std::to_string(var->type.bytes) +
                  ", &part) || !CheckedAdd(" + type + "::kFixedSize, part, &total)) {");
          ret("    ", "MakeError(\"\", " + fname + ", \"size overflows\")");
          c_.Line("  }");
        } else {
          if (f.max_size) {
            c_.Line("  if (n > " + HexRaw(*f.max_size) + ") {");
            ret("    ", "MakeError(\"\", " + fname +
                           ", \"size \" + HexU64(n) + \" is above the maximum " +
                           HexRaw(*f.max_size) + "\")");
            c_.Line("  }");
          }
          c_.Line("  uint64_t total = 0;");
          c_.Line("  if (!CheckedAdd(" + type + "::kFixedSize, n, &total)) {");
          ret("    ", "MakeError(\"\", " + fname + ", \"size overflows\")");
          c_.Line("  }");
        }
        if (s.max_size) {
          c_.Line("  if (total > " + type + "::kMaxSize) {");
          ret("    ", "MakeError(\"\", " + fname +
                         ", \"structure size \" + HexU64(total) + \" is above its max_size " +
                         HexRaw(*s.max_size) + "\")");
          c_.Line("  }");
        }
        if (fast) {
          c_.Line("  *out = total;");
          c_.Line("  return true;");
          c_.Line("}");
          c_.Line();
          c_.Line("}  // namespace");
        } else {
          c_.Line("  return total;");
          c_.Line("}");
        }
      }
    }

    // ---- EncodedSize / EncodeTo / Encode
    c_.Line();
    c_.Line("size_t " + type + "::EncodedSize() const {");
    if (var) {
      c_.Line("  return kFixedSize + " + var->name + ".size()" +
              (var->is_array ? " * " + std::to_string(var->type.bytes) : std::string()) + ";");
    } else {
      c_.Line("  return kFixedSize;");
    }
    c_.Line("}");
    c_.Line();
    c_.Line("void " + type + "::EncodeTo(std::span<uint8_t> out) const {");
    if (members.empty()) c_.Line("  (void)out;");
    for (const auto& m : members) {
      if (m.variable) {
        // The vector's data in a local: the stores into `out` may alias it, so it would be
        // reloaded per element. The bound is re-read on purpose: with it in a local too, GCC
        // -O3 versions the loop for SSE2, which packs these elements ~15% slower than the
        // scalar loop (bench/codec_bench, PvalidateEncode).
        if (m.is_array) {
          c_.Line("  {");
          c_.Line("    const " + m.type.cpp + "* const data = " + m.name + ".data();");
          c_.Line("    for (size_t i = 0; i < " + m.name + ".size(); ++i) {");
          EmitStore(m.type, "out", HexRaw(m.offset) + " + i * " + std::to_string(m.type.bytes),
                    "data[i]", "      ");
          c_.Line("    }");
          c_.Line("  }");
        } else {
          c_.Line("  if (!" + m.name + ".empty()) {");
          c_.Line("    std::memcpy(out.data() + " + HexRaw(m.offset) + ", " + m.name + ".data(), " +
                  m.name + ".size());");
          c_.Line("  }");
        }
      } else if (m.is_array) {
        c_.Line("  for (size_t i = 0; i < " + std::to_string(m.count) + "; ++i) {");
        EmitStore(m.type, "out", HexRaw(m.offset) + " + i * " + std::to_string(m.type.bytes),
                  m.name + "[i]", "    ");
        c_.Line("  }");
      } else {
        EmitStore(m.type, "out", HexRaw(m.offset), m.name, "  ");
      }
    }
    c_.Line("}");
    c_.Line();
    c_.Line("std::vector<uint8_t> " + type + "::Encode() const {");
    c_.Line("  std::vector<uint8_t> out(EncodedSize(), 0);");
    c_.Line("  EncodeTo(out);");
    c_.Line("  return out;");
    c_.Line("}");

    // ---- Decode / DecodeFields / DecodeInto
    //
    // Two internal versions of the checks: FastDecodeInto runs them all in the same order
    // and only says whether they pass (no CodecError, no strings, nothing but the bool
    // returned: inlined into the public functions); SlowDecodeInto (cold) is the checking
    // decode that builds the CodecError of the first failed check. The public functions run
    // the fast path and, only when it fails, the slow one over the same bytes, so results
    // and errors are exactly those of the checking decode. Decode builds the value in a local
    // and moves it into the Result (the local does not escape, so the default member
    // initializers the decode overwrites are dead stores the compiler drops).
    c_.Line();
    c_.Line("namespace {");
    c_.Line();
    c_.Line("// Fast path of " + type + "::DecodeInto: false on any failed check.");
    c_.Line("[[gnu::always_inline]] inline bool FastDecodeInto(std::span<const uint8_t> bytes, "
            "const " + type + "Rules& rules, " + type + "& v) {");
    EmitDecodeBody(type, members, has_slot, /*fast=*/true);
    c_.Line("  return true;");
    c_.Line("}");
    c_.Line();
    c_.Line("// The checking decode of " + type + ": the CodecError of the first failed check.");
    c_.Line("[[gnu::cold, gnu::noinline]] std::optional<CodecError> SlowDecodeInto("
            "std::span<const uint8_t> bytes, const " + type + "Rules& rules, " + type + "& v) {");
    EmitDecodeBody(type, members, has_slot, /*fast=*/false);
    c_.Line("  return std::nullopt;");
    c_.Line("}");
    c_.Line();
    c_.Line("// The error half of " + type + "::Decode (prefix " + Str(s.name) +
            ") and DecodeFields (prefix null).");
    c_.Line("[[gnu::cold, gnu::noinline]] Result<" + type +
            "> DecodeFailure(std::span<const uint8_t> bytes, const " + type +
            "Rules& rules, const char* prefix) {");
    c_.Line("  " + type + " v;");
    c_.Line("  std::optional<CodecError> e = SlowDecodeInto(bytes, rules, v);");
    c_.Line("  if (!e) return Result<" + type + ">(std::move(v));  // the fast path agrees: not reached");
    c_.Line("  if (prefix) return Prefixed(std::move(*e), prefix);");
    c_.Line("  return std::move(*e);");
    c_.Line("}");
    c_.Line();
    c_.Line("}  // namespace");
    c_.Line();
    // Small structures are decoded into a local (kDecodeInLocalMax), larger ones in place in
    // the Result (NRVO). Decode prefixes errors with the structure's name; DecodeFields
    // does not.
    for (const auto& [function, error_prefix] :
         {std::pair<std::string, std::string>{"Decode", Str(s.name)}, {"DecodeFields", "nullptr"}}) {
      c_.Line("Result<" + type + "> " + type + "::" + function +
              "(std::span<const uint8_t> bytes, const Rules& rules) {");
      if (s.size <= kDecodeInLocalMax) {
        c_.Line("  " + type + " v;");
        c_.Line("  if (FastDecodeInto(bytes, rules, v)) [[likely]] return Result<" + type +
                ">(std::move(v));");
        c_.Line("  return DecodeFailure(bytes, rules, " + error_prefix + ");");
      } else {
        c_.Line("  Result<" + type + "> result{" + type + "{}};");
        c_.Line("  if (!FastDecodeInto(bytes, rules, result.value())) [[unlikely]] {");
        c_.Line("    result = DecodeFailure(bytes, rules, " + error_prefix + ");");
        c_.Line("  }");
        c_.Line("  return result;");
      }
      c_.Line("}");
      c_.Line();
    }
    c_.Line("bool " + type +
            "::DecodeIntoIfValid(std::span<const uint8_t> bytes, const Rules& rules, " + type +
            "& v) {");
    c_.Line("  return FastDecodeInto(bytes, rules, v);");
    c_.Line("}");
    c_.Line();
    c_.Line("std::optional<CodecError> " + type +
            "::CheckingDecodeInto(std::span<const uint8_t> bytes, const Rules& rules, " + type +
            "& v) {");
    c_.Line("  return SlowDecodeInto(bytes, rules, v);");
    c_.Line("}");

    // ---- JSON
    c_.Line();
    c_.Line("Json " + type + "::ToJson() const {");
    c_.Line("  Json j = Json::object();");
    for (const auto& m : members) {
      const std::string key = Str(m.field ? m.field->name : m.name);
      if (m.variable && !m.is_array) {
        c_.Line("  j[" + key + "] = Json(HexBytes(" + m.name + "));");
      } else if (m.is_array) {
        c_.Line("  {");
        c_.Line("    Json a = Json::array();");
        c_.Line("    for (const auto& e : " + m.name + ") a.push_back(" + JsonOut(m.type, "e") +
                ");");
        c_.Line("    j[" + key + "] = std::move(a);");
        c_.Line("  }");
      } else {
        c_.Line("  j[" + key + "] = " + JsonOut(m.type, m.name) + ";");
      }
    }
    c_.Line("  return j;");
    c_.Line("}");
    c_.Line();
    c_.Line("Result<" + type + "> " + type + "::FromJson(const Json& j) {");
    c_.Line("  try {");
    std::vector<std::string> keys;
    for (const auto& m : members) keys.push_back(m.field ? m.field->name : m.name);
    EmitObjectCheck(keys);
    c_.Line("    " + type + " v;");
    for (const auto& m : members) {
      const std::string key = Str(m.field ? m.field->name : m.name);
      c_.Line("    {");
      c_.Line("      const Json* m = JsonMember(j, " + key + ");");
      c_.Line("      if (!m) return JsonError(" + key + ", \"missing\");");
      if (m.variable && !m.is_array) {
        c_.Line("      if (!JsonToBytes(*m, &v." + m.name + ")) {");
        c_.Line("        return JsonError(" + key + ", \"expected a hex string\");");
        c_.Line("      }");
      } else if (m.is_array) {
        c_.Line("      if (!m->is_array()) return JsonError(" + key + ", \"expected an array\");");
        if (m.variable) {
          c_.Line("      v." + m.name + ".resize(m->size());");
        } else {
          c_.Line("      if (m->size() != " + std::to_string(m.count) + ") {");
          c_.Line("        return JsonError(" + key + ", \"expected " + std::to_string(m.count) +
                  " elements\");");
          c_.Line("      }");
        }
        c_.Line("      for (size_t i = 0; i < m->size(); ++i) {");
        EmitJsonIn(m.type, "(*m)[i]", "v." + m.name + "[i]",
                   "std::string(" + Str((m.field ? m.field->name : m.name) + "[") +
                       ") + std::to_string(i) + \"]\"",
                   "        ");
        c_.Line("      }");
      } else {
        EmitJsonIn(m.type, "*m", "v." + m.name, key, "      ");
      }
      c_.Line("    }");
    }
    c_.Line("    return v;");
    EmitCatch();
    c_.Line("}");
  }

  // ------------------------------------------------------------------ calls

  struct RegMember {
    const RegisterUse* use;
    std::string name;
    VType type;
    std::string reg;             // "rcx"
    const Structure* points_to;  // may be null
    std::string data_name;       // member holding the pointed structure
    bool read = false;           // DecodeRequest reads the structure
  };

  void Calls() {
    std::vector<const Protocol*> protocols;
    for (const auto& p : spec_.protocols) protocols.push_back(&p);
    std::stable_sort(protocols.begin(), protocols.end(), [](const Protocol* a, const Protocol* b) {
      return a->number != b->number ? a->number < b->number : a->key < b->key;
    });
    h_.Line();
    h_.Line("// " + std::string(88, '-'));
    h_.Line("// Calls");
    c_.Line();
    c_.Line("// " + std::string(88, '-'));
    c_.Line("// Calls");
    for (const Protocol* p : protocols) {
      for (const auto& c : p->calls) {
        if (c.registers) {
          EmitCall(*p, c, nullptr, *c.registers);
        } else {
          for (const auto& f : c.forms) EmitCall(*p, c, &f, f.registers);
        }
      }
    }
  }

  VType RegisterType(const RegisterUse& r) const {
    switch (r.type) {
      case FieldType::kU8:
        return IntType(1);
      case FieldType::kU16:
        return IntType(2);
      case FieldType::kU32:
        return IntType(4);
      case FieldType::kBitfield: {
        VType t = Scalar(FieldType::kBitfield, r.layout, "", false);
        if (t.kind == VType::kBitfield) t.bytes = 8;
        return t;
      }
      default:
        return IntType(8);
    }
  }

  std::string RuleLit(const Rule* r) const { return r ? Str(r->id) : "\"\""; }

  // Whether DecodeRequest reads the structure `s` a register points to: unless every rule of
  // the call context that enforces a constraint on its contents is an effect (then the
  // structure is an output the SVSM fills).
  bool ReadsStructure(const Protocol& p, const Call& c, const Structure& s) const {
    std::vector<std::pair<std::string, Slot>> flat;
    FlatSlots(StructType(s), "", &flat);
    bool any = false, input = false;
    for (const auto& [path, slot] : flat) {
      if (slot.constraint == Constraint::kWithinPage) continue;
      const Rule* r = Enforcer(&p, &c, slot.target, slot.constraint);
      if (!r) continue;
      any = true;
      if (r->kind != RuleKind::kEffect) input = true;
    }
    return !any || input;
  }

  void EmitRulesFunction(const Protocol& p, const Call& c, const VType& t, const std::string& fname,
                         std::vector<std::string>* hdr) {
    std::vector<std::pair<std::string, Slot>> flat;
    FlatSlots(t, "", &flat);
    const std::string qualified = "::svsm_spec::codec::gen::" + t.cpp + "Rules";
    hdr->push_back("  // The rule ids of this call for the checks of " + t.cpp + ".");
    hdr->push_back("  static " + qualified + " " + fname + "();");
    c_.Line();
    c_.Line(qualified + " " + current_type_ + "::" + fname + "() {");
    c_.Line("  " + qualified + " r;");
    for (const auto& [path, slot] : flat) {
      if (const Rule* r = Enforcer(&p, &c, slot.target, slot.constraint)) {
        c_.Line("  r." + path + " = " + Str(r->id) + ";  // " + SlotComment(slot));
      }
    }
    c_.Line("  return r;");
    c_.Line("}");
  }

  // `type`::Encode(): RAX from `rax`, then each member into its register (bitfields packed).
  // Shared by requests (RAX = the call) and responses (RAX = the result).
  void EmitRegisterEncode(const std::string& type, const std::string& rax,
                          const std::vector<RegMember>& members) {
    c_.Line("RegisterSet " + type + "::Encode() const {");
    c_.Line("  RegisterSet regs;");
    c_.Line("  regs.rax = " + rax + ";");
    for (const auto& m : members) {
      c_.Line("  regs." + m.reg + " = " +
              (m.type.kind == VType::kBitfield ? m.name + ".Pack()"
                                               : "static_cast<uint64_t>(" + m.name + ")") +
              ";");
    }
    c_.Line("  return regs;");
    c_.Line("}");
  }

  void EmitCall(const Protocol& p, const Call& c, const Form* form, const Registers& regs) {
    const std::string base = Camel(p.key + "_" + c.key + (form ? "_" + form->name : std::string()));
    const std::string req = base + "Request", resp = base + "Response";
    const std::string owner = "call " + c.name + (form ? " form " + form->name : "");
    const uint64_t rax = (static_cast<uint64_t>(p.number) << 32) | c.id;
    h_.Line();
    std::string what = c.name + " (protocol " + p.key + " " + std::to_string(p.number) + ", call " +
                       std::to_string(c.id) + ")";
    if (form) what += ", form " + form->name;
    h_.Comment(what + ": " + c.summary + " [" + StatusName(c.status) + "]");
    if (Claim("k" + base + "Rax", owner)) {
      h_.Line("inline constexpr uint64_t k" + base + "Rax = " + HexRaw(rax) + ";");
    }
    if (!Claim(req, owner) || !Claim(resp, owner)) return;
    call_types_.push_back({req, resp, c.name + (form ? " form " + form->name : "")});

    // ---- request members
    std::vector<RegMember> in;
    std::set<std::string> names;
    for (const auto& r : regs.in) {
      RegMember m;
      m.use = &r;
      m.name = MemberName(r.name);
      while (!names.insert(m.name).second) m.name += '_';
      m.type = RegisterType(r);
      m.reg = RegisterName(r.reg);
      m.points_to = r.points_to.empty() ? nullptr : spec_.FindStructure(r.points_to);
      in.push_back(m);
    }
    for (auto& m : in) {
      if (!m.points_to) continue;
      m.data_name = MemberName(m.points_to->name);
      while (!names.insert(m.data_name).second) m.data_name += '_';
      m.read = ReadsStructure(p, c, *m.points_to);
    }
    current_type_ = req;
    std::vector<std::string> hdr;
    h_.Line("struct " + req + " {");
    h_.Line("  static constexpr uint64_t kRax = " + HexRaw(rax) + ";");
    for (const auto& m : in) {
      std::string note =
          std::string(m.reg) + ": " + m.use->name + ", " + FieldTypeName(m.use->type);
      if (!m.use->enum_name.empty()) note += ", values " + Camel(m.use->enum_name);
      if (m.use->align) note += ", align " + HexRaw(*m.use->align);
      if (!m.use->doc.empty()) note += ". " + m.use->doc;
      h_.Comment(note, "  ");
      h_.Line("  " + m.type.cpp + " " + m.name + (m.type.kind == VType::kInt ? " = 0;" : "{};"));
    }
    for (const auto& m : in) {
      if (!m.points_to) continue;
      h_.Comment(std::string("The ") + m.points_to->name + " " + m.reg + " points to; " +
                     (m.read ? "read and checked by Decode."
                             : "an output the SVSM fills, not read by Decode (only its rules "
                               "constrain it)."),
                 "  ");
      h_.Line("  std::optional<" + Camel(m.points_to->name) + "> " + m.data_name + ";");
    }
    h_.Line();
    // Rule functions
    for (const auto& m : in) {
      if (m.type.kind == VType::kBitfield) {
        EmitRulesFunction(p, c, m.type, Camel(m.name) + "Rules", &hdr);
      }
      if (m.points_to) {
        EmitRulesFunction(p, c, StructType(*m.points_to), Camel(m.name) + "Rules", &hdr);
      }
    }
    hdr.push_back("  // Checked: registers, then the structures they point to (through memory).");
    hdr.push_back("  static Result<" + req +
                  "> Decode(const RegisterSet& regs, const GuestMemory& memory);");
    hdr.push_back("  // As Decode, into the caller's `out` (reused storage, no Result built): nullopt");
    hdr.push_back("  // when valid; on an error `out` holds what was decoded before the failed check.");
    hdr.push_back("  static std::optional<CodecError> DecodeInto(const RegisterSet& regs, "
                  "const GuestMemory& memory, " + req + "& out);");
    hdr.push_back("  // Raw: RAX = kRax and the registers as held (unused registers 0).");
    hdr.push_back("  RegisterSet Encode() const;");
    hdr.push_back("  // Raw: the encoded structures, each at the gpa its register holds.");
    hdr.push_back("  std::vector<MemoryImage> Memory() const;");
    hdr.push_back("  Json ToJson() const;");
    hdr.push_back("  static Result<" + req + "> FromJson(const Json& j);");
    hdr.push_back("  bool operator==(const " + req + "&) const = default;");
    for (const auto& l : hdr) h_.Line(l);
    h_.Line("};");

    // ---- Decode
    const std::string faulting =
        spec_.FindRule("general.faulting-address") ? "\"general.faulting-address\"" : "\"\"";
    c_.Line();
    // The checks (RequestDecodeInto) fill the caller's value through a reference and are
    // inlined into DecodeInto and into Decode, which passes its value in place in the Result
    // (NRVO); every error is built out of line (ColdErrorsSince), so the inlined checks
    // bring no string building with them. The structures read through
    // guest memory are checked by their fast paths; only when one fails is the checking
    // decode rerun, over the same bytes already read (never a second guest read), with the
    // Rules built anew there, so that the fast path's constant Rules need not be
    // materialized in memory.
    const size_t body_mark = c_.Mark();
    c_.Line("namespace {");
    c_.Line();
    c_.Line(
        "[[gnu::always_inline]] inline std::optional<CodecError> RequestDecodeInto("
        "const RegisterSet& regs, const GuestMemory& memory, " +
        req + "& v) {");
    c_.Line("  constexpr uint64_t kRax = " + req + "::kRax;");
    c_.Line("  (void)memory;");
    c_.Line("  (void)v;");
    c_.Line("  if (regs.rax != kRax) {");
    c_.Line("    return MakeError(\"\", \"rax\", HexU64(regs.rax) + \" does not select " + c.name +
            " (" + HexRaw(rax) + ")\");");
    c_.Line("  }");
    if (form) {
      const std::string sreg = RegisterName(form->selector.reg);
      const RegMember* sel = nullptr;
      for (const auto& m : in) {
        if (m.reg == sreg) sel = &m;
      }
      std::string expr = "regs." + sreg;
      if (sel && sel->type.kind == VType::kBitfield && !form->selector.field.empty()) {
        const BitRange* f = sel->type.bitfield->Find(form->selector.field);
        if (f) {
          const uint64_t vm = f->width() >= 64 ? ~0ull : ((1ull << f->width()) - 1);
          expr = "((regs." + sreg + " >> " + std::to_string(f->lsb) + ") & " + HexRaw(vm) + ")";
        }
      }
      c_.Line("  if (" + expr + " != " + U64(form->selector.value) + ") {");
      c_.Line("    return MakeError(\"\", " +
              Str(sreg + (form->selector.field.empty() ? "" : "." + form->selector.field)) +
              ", \"does not select form " + form->name + "\");");
      c_.Line("  }");
    }
    for (const auto& m : in) {
      const std::string reg = "regs." + m.reg;
      const std::string rname = Str(m.reg);
      if (const Rule* r = Enforcer(&p, &c, m.reg, Constraint::kNonzero)) {
        c_.Line("  if (" + reg + " == 0) return MakeError(" + RuleLit(r) + ", " + rname +
                ", \"must not be zero\");");
      }
      if (m.use->align && *m.use->align > 1) {
        const Rule* r = Enforcer(&p, &c, m.reg, Constraint::kAlign);
        c_.Line("  if (" + reg + " % " + U64(*m.use->align) + " != 0) {");
        c_.Line("    return MakeError(" + RuleLit(r) + ", " + rname + ", HexU64(" + reg +
                ") + \" is not a multiple of " + HexRaw(*m.use->align) + "\");");
        c_.Line("  }");
      }
      if (!m.use->enum_name.empty() && spec_.FindEnum(m.use->enum_name)) {
        const Rule* r = Enforcer(&p, &c, m.reg, Constraint::kEnum);
        c_.Line("  if (!" + Camel(m.use->enum_name) + "::Contains(" + reg + ")) {");
        c_.Line("    return MakeError(" + RuleLit(r) + ", " + rname + ", HexU64(" + reg +
                ") + \" is not a value of " + m.use->enum_name + "\");");
        c_.Line("  }");
      }
      if (const Rule* r = Enforcer(&p, &c, m.reg, Constraint::kNoOverflow)) {
        uint64_t size = 1;
        if (m.points_to) {
          size = m.points_to->size;
        } else if (m.use->align && *m.use->align) {
          size = *m.use->align;
        }
        c_.Line("  if (!RangeFits(" + reg + ", " + U64(size) + ")) {");
        c_.Line("    return MakeError(" + RuleLit(r) + ", " + rname + ", \"address range of " +
                HexRaw(size) + " bytes wraps around the address space\");");
        c_.Line("  }");
      }
      if (m.type.kind == VType::kBitfield) {
        c_.Line("  {");
        c_.Line("    const " + m.type.cpp + " value = " + m.type.cpp + "::Unpack(" + reg + ");");
        c_.Line("    if (!BitsValid(value, " + req + "::" + Camel(m.name) + "Rules())) {");
        c_.Line("      return Prefixed(" + m.type.cpp + "::Decode(" + reg + ", " + req +
                "::" + Camel(m.name) + "Rules()).error(), " + rname + ");");
        c_.Line("    }");
        c_.Line("    v." + m.name + " = value;");
        c_.Line("  }");
      } else {
        c_.Line("  v." + m.name + " = static_cast<" + m.type.cpp + ">(" + reg + ");");
      }
    }
    for (const auto& m : in) {
      if (!m.points_to || !m.read) continue;
      const Structure& s = *m.points_to;
      const std::string st = Camel(s.name);
      const std::string reg = "regs." + m.reg;
      const std::string rname = Str(m.reg);
      const Rule* inaccessible = Enforcer(&p, &c, m.reg, Constraint::kNoOverflow);
      const std::string bad_address = inaccessible ? RuleLit(inaccessible) : faulting;
      const Rule* wp = Enforcer(&p, &c, m.reg, Constraint::kWithinPage);
      if (!wp) wp = Enforcer(&p, &c, s.name, Constraint::kWithinPage);
      c_.Line("  {");
      c_.Line("    const " + st + "::Rules rules = " + req + "::" + Camel(m.name) + "Rules();");
      c_.Line("    const uint64_t gpa = " + reg + ";");
      c_.Line("    uint64_t total = " + st + "::kFixedSize;");
      if (s.within_page) {
        c_.Line("    if (!WithinPage(gpa, total)) {");
        c_.Line("      return MakeError(" + RuleLit(wp) + ", " + Str(s.name) + ", \"" + s.name +
                " at \" + HexU64(gpa) + \" crosses a 4 KiB page\");");
        c_.Line("    }");
      }
      // Bounded sizes are read into a stack buffer (no allocation per call).
      const bool fixed_buf = !s.variable && s.size <= 4096;
      const bool page_buf = s.variable && s.within_page;
      if (fixed_buf || page_buf) {
        c_.Line("    std::array<uint8_t, " +
                (fixed_buf ? st + "::kFixedSize" : std::string("kPageSize")) + "> buf;");
        c_.Line("    std::span<const uint8_t> bytes(buf.data(), static_cast<size_t>(total));");
        c_.Line(
            "    if (!ReadGuest(memory, gpa, std::span<uint8_t>(buf.data(), "
            "static_cast<size_t>(total)))) {");
      } else {
        c_.Line("    std::vector<uint8_t> bytes;");
        c_.Line("    if (!ReadGuest(memory, gpa, total, &bytes)) {");
      }
      c_.Line("      return MakeError(" + bad_address + ", " + rname + ", \"" + s.name +
              " at \" + HexU64(gpa) + \" is not accessible\");");
      c_.Line("    }");
      if (s.variable) {
        c_.Line("    if (!FastSizeFromFixed(bytes, rules, &total)) {");
        c_.Line("      auto size = " + st + "::SizeFromFixed(bytes, " + req + "::" + Camel(m.name) +
                "Rules());");
        c_.Line("      if (!size.ok()) return Prefixed(size.error(), " + Str(s.name) + ");");
        c_.Line("      total = size.value();");
        c_.Line("    }");
        if (s.within_page) {
          c_.Line("    if (!WithinPage(gpa, total)) {");
          c_.Line("      return MakeError(" + RuleLit(wp) + ", " + Str(s.name) + ", \"" + s.name +
                  " of \" + std::to_string(total) + \" bytes at \" + HexU64(gpa) + \" crosses a "
                  "4 KiB page\");");
          c_.Line("    }");
        }
        c_.Line("    if (total > kMaxGuestRead) {");
        c_.Line("      return MakeError(\"\", " + Str(s.name) +
                ", \"size \" + HexU64(total) + "
                "\" is above the reader's limit\");");
        c_.Line("    }");
        if (page_buf) {
          c_.Line("    bytes = std::span<const uint8_t>(buf.data(), static_cast<size_t>(total));");
          c_.Line(
              "    if (!ReadGuest(memory, gpa, std::span<uint8_t>(buf.data(), "
              "static_cast<size_t>(total)))) {");
        } else {
          c_.Line("    if (!ReadGuest(memory, gpa, total, &bytes)) {");
        }
        c_.Line("      return MakeError(" + bad_address + ", " + rname + ", \"" + s.name +
                " of \" + std::to_string(total) + \" bytes at \" + HexU64(gpa) + \" is not "
                "accessible\");");
        c_.Line("    }");
      }
      if (s.size <= kDecodeInLocalMax) {
        c_.Line("    " + st + " data;");
        c_.Line("    if (FastDecodeInto(bytes, rules, data)) [[likely]] {");
        c_.Line("      v." + m.data_name + ".emplace(std::move(data));");
        c_.Line("    } else if (auto e = SlowDecodeInto(bytes, " + req + "::" + Camel(m.name) +
                "Rules(), v." + m.data_name + ".emplace())) {");
        c_.Line("      return Prefixed(*e, " + Str(s.name) + ");");
        c_.Line("    }");
      } else {
        c_.Line("    " + st + "& data = v." + m.data_name + ".emplace();");
        c_.Line("    if (!FastDecodeInto(bytes, rules, data)) {");
        c_.Line("      if (auto e = SlowDecodeInto(bytes, " + req + "::" + Camel(m.name) +
                "Rules(), data)) {");
        c_.Line("        return Prefixed(*e, " + Str(s.name) + ");");
        c_.Line("      }");
        c_.Line("    }");
      }
      c_.Line("  }");
    }
    c_.Line("  return std::nullopt;");
    c_.Line("}");
    c_.Line();
    c_.Line("}  // namespace");
    c_.ColdErrorsSince(body_mark);
    c_.Line();
    c_.Line("std::optional<CodecError> " + req +
            "::DecodeInto(const RegisterSet& regs, "
            "const GuestMemory& memory, " +
            req + "& v) {");
    c_.Line("  return RequestDecodeInto(regs, memory, v);");
    c_.Line("}");
    c_.Line();
    c_.Line("Result<" + req + "> " + req +
            "::Decode(const RegisterSet& regs, const GuestMemory& memory) {");
    c_.Line("  Result<" + req + "> result{" + req + "{}};");
    c_.Line("  if (auto e = RequestDecodeInto(regs, memory, result.value())) [[unlikely]] {");
    c_.Line("    result = std::move(*e);");
    c_.Line("  }");
    c_.Line("  return result;");
    c_.Line("}");

    // ---- Encode / Memory
    c_.Line();
    EmitRegisterEncode(req, "kRax", in);
    c_.Line();
    c_.Line("std::vector<MemoryImage> " + req + "::Memory() const {");
    c_.Line("  std::vector<MemoryImage> images;");
    for (const auto& m : in) {
      if (!m.points_to) continue;
      c_.Line("  if (" + m.data_name + ") {");
      c_.Line("    images.push_back(MemoryImage{static_cast<uint64_t>(" +
              (m.type.kind == VType::kBitfield ? m.name + ".Pack()" : m.name) + "), " +
              m.data_name + "->Encode()});");
      c_.Line("  }");
    }
    c_.Line("  return images;");
    c_.Line("}");

    // ---- request JSON
    c_.Line();
    c_.Line("Json " + req + "::ToJson() const {");
    c_.Line("  Json j = Json::object();");
    for (const auto& m : in)
      c_.Line("  j[" + Str(m.use->name) + "] = " + JsonOut(m.type, m.name) + ";");
    for (const auto& m : in) {
      if (!m.points_to) continue;
      c_.Line("  j[" + Str(m.data_name) + "] = " + m.data_name + " ? " + m.data_name +
              "->ToJson() : Json();");
    }
    c_.Line("  return j;");
    c_.Line("}");
    c_.Line();
    c_.Line("Result<" + req + "> " + req + "::FromJson(const Json& j) {");
    c_.Line("  try {");
    std::vector<std::string> keys;
    for (const auto& m : in) keys.push_back(m.use->name);
    for (const auto& m : in) {
      if (m.points_to) keys.push_back(m.data_name);
    }
    EmitObjectCheck(keys);
    c_.Line("    " + req + " v;");
    for (const auto& m : in) {
      const std::string key = Str(m.use->name);
      c_.Line("    {");
      c_.Line("      const Json* m = JsonMember(j, " + key + ");");
      c_.Line("      if (!m) return JsonError(" + key + ", \"missing\");");
      EmitJsonIn(m.type, "*m", "v." + m.name, key, "      ");
      c_.Line("    }");
    }
    for (const auto& m : in) {
      if (!m.points_to) continue;
      const std::string key = Str(m.data_name);
      c_.Line("    if (const Json* m = JsonMember(j, " + key + "); m && !m->is_null()) {");
      c_.Line("      auto r = " + Camel(m.points_to->name) + "::FromJson(*m);");
      c_.Line("      if (!r.ok()) return Prefixed(r.error(), " + key + ");");
      c_.Line("      v." + m.data_name + " = std::move(r).value();");
      c_.Line("    }");
    }
    c_.Line("    return v;");
    EmitCatch();
    c_.Line("}");

    // ---- response
    std::vector<RegMember> out;
    std::set<std::string> onames = {"result"};
    for (const auto& r : regs.out) {
      RegMember m;
      m.use = &r;
      m.name = MemberName(r.name);
      while (!onames.insert(m.name).second) m.name += '_';
      m.type = RegisterType(r);
      m.reg = RegisterName(r.reg);
      m.points_to = nullptr;
      out.push_back(m);
    }
    h_.Line();
    h_.Line("struct " + resp + " {");
    h_.Line("  // RAX: the result code.");
    h_.Line("  uint32_t result = 0;");
    for (const auto& m : out) {
      std::string note =
          std::string(m.reg) + ": " + m.use->name + ", " + FieldTypeName(m.use->type);
      if (!m.use->doc.empty()) note += ". " + m.use->doc;
      h_.Comment(note, "  ");
      h_.Line("  " + m.type.cpp + " " + m.name + (m.type.kind == VType::kInt ? " = 0;" : "{};"));
    }
    h_.Line();
    h_.Line("  // Raw: no checks (RAX is truncated to 32 bits).");
    h_.Line("  static " + resp + " Decode(const RegisterSet& regs);");
    h_.Line("  RegisterSet Encode() const;");
    h_.Line("  Json ToJson() const;");
    h_.Line("  static Result<" + resp + "> FromJson(const Json& j);");
    h_.Line("  bool operator==(const " + resp + "&) const = default;");
    h_.Line("};");
    h_.Line();
    h_.Line("inline RegisterSet EncodeRequest(const " + req + "& r) { return r.Encode(); }");
    h_.Line("inline std::vector<MemoryImage> RequestMemory(const " + req +
            "& r) { return r.Memory(); }");
    h_.Line("inline RegisterSet EncodeResponse(const " + resp + "& r) { return r.Encode(); }");

    c_.Line();
    c_.Line(resp + " " + resp + "::Decode(const RegisterSet& regs) {");
    c_.Line("  " + resp + " v;");
    c_.Line("  v.result = static_cast<uint32_t>(regs.rax);");
    for (const auto& m : out) {
      if (m.type.kind == VType::kBitfield) {
        c_.Line("  v." + m.name + " = " + m.type.cpp + "::Unpack(regs." + m.reg + ");");
      } else {
        c_.Line("  v." + m.name + " = static_cast<" + m.type.cpp + ">(regs." + m.reg + ");");
      }
    }
    c_.Line("  return v;");
    c_.Line("}");
    c_.Line();
    EmitRegisterEncode(resp, "result", out);
    c_.Line();
    c_.Line("Json " + resp + "::ToJson() const {");
    c_.Line("  Json j = Json::object();");
    c_.Line("  j[\"result\"] = Json(result);");
    for (const auto& m : out)
      c_.Line("  j[" + Str(m.use->name) + "] = " + JsonOut(m.type, m.name) + ";");
    c_.Line("  return j;");
    c_.Line("}");
    c_.Line();
    c_.Line("Result<" + resp + "> " + resp + "::FromJson(const Json& j) {");
    c_.Line("  try {");
    keys = {"result"};
    for (const auto& m : out) keys.push_back(m.use->name);
    EmitObjectCheck(keys);
    c_.Line("    " + resp + " v;");
    EmitUintFromJson("\"result\"", "v.result", "uint32_t", 0xffffffffull);
    for (const auto& m : out) {
      const std::string key = Str(m.use->name);
      c_.Line("    {");
      c_.Line("      const Json* m = JsonMember(j, " + key + ");");
      c_.Line("      if (!m) return JsonError(" + key + ", \"missing\");");
      EmitJsonIn(m.type, "*m", "v." + m.name, key, "      ");
      c_.Line("    }");
    }
    c_.Line("    return v;");
    EmitCatch();
    c_.Line("}");
  }

  // ------------------------------------------------------------------ generic entry points

  // Every emitted bitfield, structure and call by type, for code that must cover them all
  // (fuzzers, tools), plus DecodeAnyStructure on top.
  void Generic() {
    h_.Line();
    h_.Line("// " + std::string(88, '-'));
    h_.Line(
        "// Generic entry points: every bitfield, structure and call by type (tools, fuzzers).");
    h_.Line();
    h_.Line("inline constexpr size_t kBitfieldCount = " + std::to_string(bitfield_types_.size()) +
            ";");
    h_.Line("inline constexpr size_t kStructureCount = " + std::to_string(structure_types_.size()) +
            ";");
    h_.Line("inline constexpr size_t kCallCount = " + std::to_string(call_types_.size()) + ";");
    h_.Line();
    h_.Line("// Calls f(std::type_identity<T>{}, \"spec name\") for every bitfield T, in order.");
    h_.Line("template <class F>");
    h_.Line("void ForEachBitfield(F&& f) {");
    if (bitfield_types_.empty()) h_.Line("  (void)f;");
    for (const auto& [type, name] : bitfield_types_) {
      h_.Line("  f(std::type_identity<" + type + ">{}, " + Str(name) + ");");
    }
    h_.Line("}");
    h_.Line();
    h_.Line("// Calls f(std::type_identity<T>{}, \"spec name\") for every structure T, in order.");
    h_.Line("template <class F>");
    h_.Line("void ForEachStructure(F&& f) {");
    if (structure_types_.empty()) h_.Line("  (void)f;");
    for (const auto& [type, name] : structure_types_) {
      h_.Line("  f(std::type_identity<" + type + ">{}, " + Str(name) + ");");
    }
    h_.Line("}");
    h_.Line();
    h_.Line(
        "// Calls f(std::type_identity<Request>{}, std::type_identity<Response>{}, \"call name\")");
    h_.Line("// for every call (each form of a call with forms), in order.");
    h_.Line("template <class F>");
    h_.Line("void ForEachCall(F&& f) {");
    if (call_types_.empty()) h_.Line("  (void)f;");
    for (const auto& c : call_types_) {
      h_.Line("  f(std::type_identity<" + c[0] + ">{}, std::type_identity<" + c[1] + ">{}, " +
              Str(c[2]) + ");");
    }
    h_.Line("}");
    h_.Line();
    h_.Line("// Checked: decodes the structure named `name` (its spec name) from the start of");
    h_.Line("// `bytes` with default Rules and returns its Encode(); an unknown name is an error.");
    h_.Line(
        "Result<std::vector<uint8_t>> DecodeAnyStructure(std::string_view name, "
        "std::span<const uint8_t> bytes);");

    c_.Line();
    c_.Line("// " + std::string(88, '-'));
    c_.Line("// Generic entry points");
    c_.Line();
    c_.Line(
        "Result<std::vector<uint8_t>> DecodeAnyStructure(std::string_view name, "
        "std::span<const uint8_t> bytes) {");
    c_.Line("  std::optional<Result<std::vector<uint8_t>>> out;");
    c_.Line("  ForEachStructure([&](auto type, const char* spec_name) {");
    c_.Line("    using T = typename decltype(type)::type;");
    c_.Line("    if (out || name != spec_name) return;");
    c_.Line("    auto r = T::Decode(bytes);");
    c_.Line("    if (r.ok()) {");
    c_.Line("      out.emplace(r.value().Encode());");
    c_.Line("    } else {");
    c_.Line("      out.emplace(r.error());");
    c_.Line("    }");
    c_.Line("  });");
    c_.Line("  if (out) return std::move(*out);");
    c_.Line("  (void)bytes;");
    c_.Line("  return MakeError(\"\", \"\", \"no structure named \" + std::string(name));");
    c_.Line("}");
  }

  const Spec& spec_;
  Writer h_, c_;
  std::vector<std::pair<std::string, std::string>> bitfield_types_;   // C++ type, spec name
  std::vector<std::pair<std::string, std::string>> structure_types_;  // C++ type, spec name
  std::vector<std::array<std::string, 3>> call_types_;                // request, response, name
  std::map<std::string, std::string> names_;
  std::set<std::pair<std::string, Constraint>> optional_targets_;
  std::string current_type_;
};

}  // namespace

std::vector<GeneratedFile> GenerateCppCodecs(const Spec& spec) {
  CppGenerator gen(spec);
  return gen.Run();
}

}  // namespace svsm_spec
