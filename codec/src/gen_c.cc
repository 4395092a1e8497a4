// Freestanding C header generator (`GenerateCHeader`): one file, svsm_spec.h, that a guest
// (Linux, OVMF, a test kernel) drops into its tree. Only <stdint.h> and <stddef.h>; valid C99,
// C11 and C++ (gcc/clang, -pedantic); structures are packed (`SVSM_SPEC_PACKED`) and every
// size and offset is checked with `SVSM_SPEC_STATIC_ASSERT`.
//
// Naming scheme (mechanical, repeated in the generated header):
//   * UPPER(x): ASCII letters upper-cased, every other non-alphanumeric character -> '_'.
//   * C constants the spec spells itself are used as written: a call's `name`
//     (SVSM_CORE_PVALIDATE), a result code's `name` and each of its `aliases`, a protocol's
//     `c_prefix`.
//   * Every other element name N gets the prefix "svsm_" unless it already starts with
//     "svsm_": P = svsm_N (lower case, for struct tags and functions), PU = UPPER(P). So
//     `vmsa` -> struct svsm_vmsa / SVSM_VMSA_*, `svsm_caa` -> struct svsm_caa / SVSM_CAA_*.
//   * protocol: <c_prefix>_PROTOCOL (its number), <c_prefix>_PROTOCOL_VERSION_MIN / _MAX,
//     <c_prefix>_CALL(id) = ((number ULL << 32) | (id)) as in Linux.
//   * call: <name> = id. result code: <name> = value (unsigned); each alias is
//     `#define <alias> <name>`. result range: SVSM_RESULT_RANGE_<UPPER(name)>_FIRST / _LAST.
//   * guid: PU_BYTES (the 16 wire bytes as a brace initializer), PU_STRING (text form).
//   * enum value V: PU_<UPPER(V)>.
//   * bitfield, per field F: PU_<F>_SHIFT, PU_<F>_MASK (in place), P_get_<f>(v),
//     P_set_<f>(v, x); a field with `shift: n` also PU_<F>_VALUE_SHIFT and
//     P_get_<f>_value / P_set_<f>_value (the unshifted quantity, e.g. a gPA). Per bitfield:
//     PU_MBZ_MASK (Bitfield::mbz_mask()) and P_pack(<every non-reserved, non-mbz field>).
//   * structure: struct P, PU_SIZE (fixed part), PU_ALIGN, PU_MAX_SIZE; a variable trailing
//     field F is not a member (no flexible array members: they are invalid in C++ and inside
//     other structs) but PU_<F>_OFFSET, and PU_<F>_ELEMENT_SIZE / _MIN_COUNT / _MAX_COUNT
//     (arrays) or PU_<F>_MAX_SIZE (byte blobs). Gaps (sparse structures) become
//     `uint8_t pad_<hex offset>[n]` so every listed offset is exact.
//   * A field or parameter name that is a C/C++ keyword gets a trailing '_'.
// Numbers: values below 10 in decimal, others in hex; a `U` suffix above INT32_MAX, `ULL`
// above UINT32_MAX. Result codes are always 8-digit hex with `U`.
//
// Every macro, function and struct tag name is claimed exactly once. When two elements map
// to the same C name the second is not emitted; an `#error` line naming both takes its place,
// so the header fails loudly instead of redefining a macro.
#include <algorithm>
#include <cstdio>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "svsm_spec/generators.h"
#include "text_util.h"

namespace svsm_spec {
namespace {

// ---------------------------------------------------------------------------------------
// Text helpers

std::string Upper(const std::string& s) {
  return internal::IdentifierCase(s, true);
}
std::string Lower(const std::string& s) {
  return internal::IdentifierCase(s, false);
}

// The lower-case C base name of a spec element: svsm_<name> unless already prefixed.
std::string Prefixed(const std::string& name) {
  std::string lower = Lower(name);
  if (lower.rfind("svsm_", 0) == 0) return lower;
  return "svsm_" + lower;
}

bool IsCIdentifier(const std::string& s) {
  if (s.empty()) return false;
  if (!(s[0] == '_' || (s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z'))) {
    return false;
  }
  return std::all_of(s.begin(), s.end(), [](char c) {
    return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  });
}

bool IsKeyword(const std::string& s) {
  static const std::set<std::string> kKeywords = {
      // C
      "auto", "break", "case", "char", "const", "continue", "default", "do", "double", "else",
      "enum", "extern", "float", "for", "goto", "if", "inline", "int", "long", "register",
      "restrict", "return", "short", "signed", "sizeof", "static", "struct", "switch", "typedef",
      "union", "unsigned", "void", "volatile", "while", "offsetof",
      // C++
      "alignas", "alignof", "and", "and_eq", "asm", "bitand", "bitor", "bool", "catch", "char8_t",
      "char16_t", "char32_t", "class", "compl", "concept", "consteval", "constexpr", "constinit",
      "const_cast", "co_await", "co_return", "co_yield", "decltype", "delete", "dynamic_cast",
      "explicit", "export", "false", "friend", "mutable", "namespace", "new", "noexcept", "not",
      "not_eq", "nullptr", "operator", "or", "or_eq", "private", "protected", "public",
      "reinterpret_cast", "requires", "static_assert", "static_cast", "template", "this",
      "thread_local", "throw", "true", "try", "typeid", "typename", "using", "virtual", "wchar_t",
      "xor", "xor_eq"};
  return kKeywords.count(s) != 0;
}

// A struct member or parameter name for a spec field name.
std::string MemberName(const std::string& name) {
  std::string lower = Lower(name);
  if (lower.empty() || (lower[0] >= '0' && lower[0] <= '9')) lower = "f_" + lower;
  if (IsKeyword(lower)) lower += '_';
  return lower;
}

std::string HexRaw(uint64_t v, int digits = 1) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "0x%0*llx", digits, static_cast<unsigned long long>(v));
  return buf;
}

// A number as a C integer literal (see the scheme at the top).
std::string Num(uint64_t v) {
  std::string s = v < 10 ? std::to_string(v) : HexRaw(v);
  if (v > 0xffffffffull) return s + "ULL";
  if (v > 0x7fffffffull) return s + "U";
  return s;
}

// A mask literal in the type of a bitfield of `width` bits.
std::string MaskLiteral(uint64_t v, unsigned width) {
  return HexRaw(v) + (width > 32 ? "ULL" : "U");
}

std::string UintType(unsigned bytes) {
  switch (bytes) {
    case 1:
      return "uint8_t";
    case 2:
      return "uint16_t";
    case 4:
      return "uint32_t";
    default:
      return "uint64_t";
  }
}

unsigned BitfieldBytes(const Bitfield& b) {
  if (b.width <= 8) return 1;
  if (b.width <= 16) return 2;
  if (b.width <= 32) return 4;
  return 8;
}

// Text that is safe inside a C block comment: one line, no comment delimiters, no trigraphs.
std::string CommentSafe(const std::string& s) {
  std::string out;
  for (char c : internal::CollapseWhitespace(s)) {
    if (!out.empty() && ((out.back() == '*' && c == '/') || (out.back() == '/' && c == '*') ||
                         (out.back() == '?' && c == '?'))) {
      out += ' ';
    }
    out += c;
  }
  return out;
}

// A C string literal of one line of text (printable ASCII; anything else becomes '?').
std::string StringLiteral(const std::string& text) {
  std::string out = "\"";
  for (char c : CommentSafe(text)) {
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

// Word-wraps `text` to lines of at most `width` characters (longer words stay whole).
std::vector<std::string> Wrap(const std::string& text, std::size_t width) {
  std::vector<std::string> lines;
  std::string line;
  std::size_t i = 0;
  const std::string s = CommentSafe(text);
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

std::string StatusTag(Status s) {
  switch (s) {
    case Status::kPublished:
      return "published";
    case Status::kDraft:
      return "DRAFT (not in a published revision; may change)";
    case Status::kProposed:
      return "PROPOSED (open proposal; may change or be withdrawn)";
  }
  return "?";
}

std::string Cite(const SourceRef& r) {
  return r.ref.empty() ? r.doc : r.doc + ", " + r.ref;
}

std::string SourceLine(const SourceRef& source, const std::vector<SourceRef>& see) {
  std::string s = "Source: " + Cite(source) + ".";
  if (!see.empty()) {
    s += " See:";
    for (std::size_t i = 0; i < see.size(); ++i) s += (i ? "; " : " ") + Cite(see[i]);
    s += ".";
  }
  return s;
}

// ---------------------------------------------------------------------------------------
// The writer: output text plus the registry of claimed C names.

class Writer {
 public:
  void Line(const std::string& s = "") {
    out_ += s;
    out_ += '\n';
  }

  // A block comment; each paragraph is wrapped separately.
  // With `spaced`, paragraphs are separated by an empty comment line.
  void Comment(const std::vector<std::string>& paragraphs, const std::string& indent = "",
               bool spaced = false) {
    std::vector<std::string> lines;
    for (const auto& p : paragraphs) {
      std::vector<std::string> wrapped = Wrap(p, 96 - indent.size());
      if (wrapped.empty()) continue;
      if (spaced && !lines.empty()) lines.push_back("");
      for (auto& l : wrapped) lines.push_back(l);
    }
    if (lines.empty()) return;
    if (lines.size() == 1 && lines[0].size() + indent.size() <= 92) {
      Line(indent + "/* " + lines[0] + " */");
      return;
    }
    Line(indent + "/*");
    for (const auto& l : lines) Line(indent + (l.empty() ? " *" : " * " + l));
    Line(indent + " */");
  }

  void Section(const std::string& title) {
    Line();
    Line("/* " + std::string(88, '-'));
    Line(" * " + CommentSafe(title));
    Line(" */");
    Line();
  }

  // Claims a C name for `owner`. On a clash (or an invalid identifier) emits an #error line
  // naming both owners and returns false: the caller then skips the definition.
  bool Claim(const std::string& name, const std::string& owner) {
    const bool is_tag = name.rfind("struct ", 0) == 0;
    if (!IsCIdentifier(is_tag ? name.substr(7) : name)) {
      Error("\"" + name + "\" (" + owner + ") is not a valid C identifier");
      return false;
    }
    auto [it, inserted] = owners_.emplace(name, owner);
    if (!inserted) {
      Error("C name " + name + " of " + owner + " clashes with " + it->second);
      return false;
    }
    return true;
  }

  void Define(const std::string& name, const std::string& value, const std::string& owner) {
    if (Claim(name, owner)) Line("#define " + name + " " + value);
  }

  void Error(const std::string& message) {
    std::string m;
    for (char c : CommentSafe(message)) m += (c == '"' || c == '\\') ? '\'' : c;
    Line("#error \"svsm_spec.h: " + m + "\"");
  }

  // The text, with runs of blank lines collapsed to one.
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
  std::map<std::string, std::string> owners_;
};

// ---------------------------------------------------------------------------------------
// The generator

class CHeaderGenerator {
 public:
  explicit CHeaderGenerator(const Spec& spec) : spec_(spec) {}

  std::string Run() {
    Banner();
    Prologue();
    CallingConvention();
    ResultCodes();
    std::vector<const Protocol*> protocols;
    for (const auto& p : spec_.protocols) protocols.push_back(&p);
    std::stable_sort(protocols.begin(), protocols.end(), [](const Protocol* a, const Protocol* b) {
      return a->number != b->number ? a->number < b->number : a->key < b->key;
    });
    for (const Protocol* p : protocols) EmitProtocol(*p);
    Guids();
    Enums();
    Bitfields();
    Structures();
    Epilogue();
    return w_.Take();
  }

 private:
  void Banner() {
    std::string files;
    for (std::size_t i = 0; i < spec_.files.size(); ++i) {
      files += (i ? ", " : "") + spec_.files[i];
    }
    if (files.empty()) files = "(no files)";
    std::vector<std::string> p = {
        std::string("Generated by svsm-spec ") + kGeneratorVersion + " from " + files +
            "; do not edit.",
        spec_.metadata.title + ", spec revision " + spec_.metadata.spec_revision + ".",
        "Freestanding C header (C99, C11 and C++; only <stdint.h> and <stddef.h>) with the "
        "constants, packed structure layouts and bitfield helpers of the SVSM guest protocol. "
        "Elements marked DRAFT or PROPOSED are not in a published revision of AMD pub. 58019.",
        "Naming: a call's and a result code's C name is the spec's own (result-code aliases are "
        "extra #defines); every other element N becomes svsm_N / SVSM_N (unchanged if N already "
        "starts with svsm_). Protocols: <PREFIX>_PROTOCOL, <PREFIX>_CALL(id). Enums: "
        "<ENUM>_<VALUE>. Bitfields: <BITFIELD>_<FIELD>_SHIFT/_MASK, <BITFIELD>_MBZ_MASK, "
        "<bitfield>_get_<field>(), <bitfield>_set_<field>(), <bitfield>_pack(). Structures: "
        "struct <name>, <NAME>_SIZE; a variable trailing part is described by "
        "<NAME>_<FIELD>_OFFSET/_ELEMENT_SIZE/_MAX_COUNT/_MAX_SIZE instead of a member; gaps "
        "are pad_<offset> byte arrays. GUIDs: <NAME>_BYTES (wire order) and <NAME>_STRING.",
        "Define SVSM_SPEC_PACKED before including this header on a compiler that is neither "
        "gcc nor clang."};
    if (!spec_.sources.empty()) {
      std::string s = "Cited sources:";
      for (const auto& d : spec_.sources) {
        s += " " + d.id + " = " + d.title;
        if (!d.revision.empty()) s += " rev " + d.revision;
        if (d.status != Status::kPublished) s += std::string(" [") + StatusName(d.status) + "]";
        s += ";";
      }
      s.back() = '.';
      p.push_back(s);
    }
    w_.Comment(p, "", true);
  }

  void Prologue() {
    w_.Line("#ifndef SVSM_SPEC_H");
    w_.Line("#define SVSM_SPEC_H");
    w_.Line();
    w_.Line("#include <stddef.h>");
    w_.Line("#include <stdint.h>");
    w_.Line();
    w_.Line("#ifdef __cplusplus");
    w_.Line("extern \"C\" {");
    w_.Line("#endif");
    w_.Line();
    const std::string infra = "header infrastructure";
    w_.Claim("SVSM_SPEC_H", infra);
    w_.Define("SVSM_SPEC_GENERATOR_VERSION", StringLiteral(kGeneratorVersion), infra);
    w_.Define("SVSM_SPEC_REVISION", StringLiteral(spec_.metadata.spec_revision), infra);
    w_.Define("SVSM_SPEC_FORMAT", std::to_string(kSpecFormatVersion), infra);
    w_.Line();
    w_.Comment({"Packed structure layouts."});
    w_.Claim("SVSM_SPEC_PACKED", infra);
    w_.Line("#ifndef SVSM_SPEC_PACKED");
    w_.Line("#if defined(__GNUC__) || defined(__clang__)");
    w_.Line("#define SVSM_SPEC_PACKED __attribute__((packed))");
    w_.Line("#else");
    w_.Line("#error \"svsm_spec.h: define SVSM_SPEC_PACKED for this compiler\"");
    w_.Line("#endif");
    w_.Line("#endif");
    w_.Line();
    w_.Comment({"static inline for C99/C11/C++; __inline__ for older dialects."});
    w_.Claim("SVSM_SPEC_INLINE", infra);
    w_.Line(
        "#if defined(__cplusplus) || (defined(__STDC_VERSION__) && __STDC_VERSION__ >= 199901L)");
    w_.Line("#define SVSM_SPEC_INLINE static inline");
    w_.Line("#else");
    w_.Line("#define SVSM_SPEC_INLINE static __inline__");
    w_.Line("#endif");
    w_.Line();
    w_.Comment(
        {"Compile-time layout checks: static_assert (C++11), _Static_assert (C11), and "
         "for C99 a typedef of an array whose size is negative when the check fails "
         "(one unique name per line)."});
    w_.Claim("SVSM_SPEC_STATIC_ASSERT", infra);
    w_.Claim("SVSM_SPEC_CONCAT_", infra);
    w_.Claim("SVSM_SPEC_CONCAT", infra);
    w_.Line("#if defined(__cplusplus) && __cplusplus >= 201103L");
    w_.Line("#define SVSM_SPEC_STATIC_ASSERT(cond, msg) static_assert(cond, msg)");
    w_.Line("#elif defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L");
    w_.Line("#define SVSM_SPEC_STATIC_ASSERT(cond, msg) _Static_assert(cond, msg)");
    w_.Line("#else");
    w_.Line("#define SVSM_SPEC_CONCAT_(a, b) a##b");
    w_.Line("#define SVSM_SPEC_CONCAT(a, b) SVSM_SPEC_CONCAT_(a, b)");
    w_.Line("#define SVSM_SPEC_STATIC_ASSERT(cond, msg) \\");
    w_.Line("  typedef char SVSM_SPEC_CONCAT(svsm_spec_static_assert_, __LINE__)[(cond) ? 1 : -1]");
    w_.Line("#endif");
  }

  void Epilogue() {
    w_.Line();
    w_.Line("#ifdef __cplusplus");
    w_.Line("} /* extern \"C\" */");
    w_.Line("#endif");
    w_.Line();
    w_.Line("#endif /* SVSM_SPEC_H */");
  }

  void CallingConvention() {
    w_.Section("Calling convention");
    if (spec_.calling_convention) {
      const auto& cc = *spec_.calling_convention;
      std::vector<std::string> p = {
          "RAX on entry = protocol << 32 | call id (layout " + Prefixed(cc.rax_in) +
              "); RAX on return = the " + std::to_string(cc.rax_out_width) +
              "-bit result code. Calling Area: struct " + Prefixed(cc.calling_area) +
              "; secrets page: struct " + Prefixed(cc.secrets_page) + ".",
          cc.semantics, SourceLine(cc.source, cc.see)};
      w_.Comment(p);
      if (cc.vmgexit_exit_code) {
        w_.Define("SVSM_VMGEXIT_EXIT_CODE", Num(*cc.vmgexit_exit_code),
                  "calling_convention.vmgexit_exit_code");
      }
    }
    w_.Line();
    w_.Comment({"RAX for a call: protocol number in bits 63:32, call id in bits 31:0."});
    if (w_.Claim("svsm_make_rax", "calling convention helper")) {
      w_.Line("SVSM_SPEC_INLINE uint64_t svsm_make_rax(uint32_t protocol, uint32_t call_id) {");
      w_.Line("  return ((uint64_t)protocol << 32) | (uint64_t)call_id;");
      w_.Line("}");
    }
  }

  void ResultCode(const ::svsm_spec::ResultCode& rc) {
    std::string owner = "result code " + rc.name;
    std::vector<std::string> p = {rc.name + ": " + rc.meaning};
    std::string meta = "Status: " + StatusTag(rc.status) + ".";
    if (rc.since > 1) meta += " Since version " + std::to_string(rc.since) + ".";
    meta += " " + SourceLine(rc.source, rc.see);
    p.push_back(meta);
    if (!rc.aliases.empty()) {
      std::string a = "Also known as:";
      for (const auto& alias : rc.aliases) a += " " + alias;
      p.push_back(a + ".");
    }
    w_.Comment(p);
    w_.Define(rc.name, HexRaw(rc.value, 8) + "U", owner);
    for (const auto& alias : rc.aliases) w_.Define(alias, rc.name, "alias of " + rc.name);
  }

  void ResultCodes() {
    w_.Section("Result codes (RAX on return)");
    for (const auto& r : spec_.result_ranges) {
      if (r.protocol.empty()) ResultRange(r);
    }
    w_.Line();
    for (const auto& rc : spec_.result_codes) {
      if (rc.protocol.empty()) ResultCode(rc);
    }
  }

  void ResultRange(const ::svsm_spec::ResultRange& r) {
    const std::string owner = "result range " + r.name;
    const std::string p =
        "Range " + r.name + " [" + HexRaw(r.first, 8) + ", " + HexRaw(r.last, 8) +
        "]: " + RangeClassName(r.cls) + ", defined by " + RangeOwnerName(r.defined_by) +
        (r.protocol.empty() ? "" : " (protocol " + r.protocol + ")") + ". " + r.meaning;
    w_.Comment({p, "Status: " + StatusTag(r.status) + ". " + SourceLine(r.source, r.see)});
    const std::string base = "SVSM_RESULT_RANGE_" + Upper(r.name);
    w_.Define(base + "_FIRST", HexRaw(r.first, 8) + "U", owner);
    w_.Define(base + "_LAST", HexRaw(r.last, 8) + "U", owner);
  }

  static std::string RegisterText(const RegisterUse& r, Status call_status) {
    std::string s = Upper(RegisterName(r.reg)) + " = " + r.name + " (" + FieldTypeName(r.type);
    if (!r.layout.empty()) s += " " + Prefixed(r.layout);
    if (!r.enum_name.empty()) s += ", values " + Upper(Prefixed(r.enum_name)) + "_*";
    if (r.align) s += ", align " + HexRaw(*r.align);
    if (!r.points_to.empty()) s += ", -> struct " + Prefixed(r.points_to);
    if (r.status != call_status) s += std::string(", ") + StatusName(r.status);
    s += ")";
    return s;
  }

  static std::string RegistersText(const Registers& regs, Status call_status) {
    std::string s;
    if (!regs.in.empty()) {
      s += "In:";
      for (std::size_t i = 0; i < regs.in.size(); ++i) {
        s += (i ? "; " : " ") + RegisterText(regs.in[i], call_status);
      }
      s += ".";
    }
    if (!regs.out.empty()) {
      s += s.empty() ? "Out:" : " Out:";
      for (std::size_t i = 0; i < regs.out.size(); ++i) {
        s += (i ? "; " : " ") + RegisterText(regs.out[i], call_status);
      }
      s += ".";
    }
    return s;
  }

  void EmitProtocol(const Protocol& p) {
    w_.Section("Protocol " + std::to_string(p.number) + ": " + p.name + " (" + p.key + ")");
    std::vector<std::string> paras = {p.summary};
    std::string meta = "Status: " + StatusTag(p.status) + ". " +
                       (p.mandatory ? "Mandatory" : "Optional") + ", versions " +
                       std::to_string(p.min_version) + "-" + std::to_string(p.max_version) + ". " +
                       SourceLine(p.source, p.see);
    paras.push_back(meta);
    for (const auto& other : spec_.protocols) {
      if (&other != &p && other.number == p.number) {
        paras.push_back("NUMBER CLASH: protocol number " + std::to_string(p.number) +
                        " is also claimed by protocol " + other.key + " (" + other.c_prefix + ", " +
                        StatusName(other.status) +
                        "); both are emitted under their own prefixes. The number alone does not "
                        "tell which of them an SVSM implements.");
      }
    }
    w_.Comment(paras);
    const std::string owner = "protocol " + p.key;
    const std::string prefix = p.c_prefix.empty() ? Upper(Prefixed(p.key)) : p.c_prefix;
    w_.Define(prefix + "_PROTOCOL", std::to_string(p.number), owner);
    w_.Define(prefix + "_PROTOCOL_VERSION_MIN", std::to_string(p.min_version), owner);
    w_.Define(prefix + "_PROTOCOL_VERSION_MAX", std::to_string(p.max_version), owner);
    if (w_.Claim(prefix + "_CALL", owner)) {
      w_.Line("#define " + prefix + "_CALL(id) ((" + std::to_string(p.number) +
              "ULL << 32) | (id))");
    }
    for (const auto& c : p.calls) {
      w_.Line();
      std::vector<std::string> cp = {c.name + " (id " + std::to_string(c.id) + "): " + c.summary};
      std::string cmeta = "Status: " + StatusTag(c.status) + ".";
      if (c.optional) cmeta += " Optional.";
      if (c.since > 1) cmeta += " Since version " + std::to_string(c.since) + ".";
      cmeta += " " + SourceLine(c.source, c.see);
      cp.push_back(cmeta);
      if (c.registers) cp.push_back(RegistersText(*c.registers, c.status));
      for (const auto& f : c.forms) {
        cp.push_back("Form " + f.name + " (" + Upper(RegisterName(f.selector.reg)) + "." +
                     f.selector.field + " = " + std::to_string(f.selector.value) +
                     "): " + RegistersText(f.registers, c.status));
      }
      w_.Comment(cp);
      // The name is the spec's own C constant; the macro-name form is checked by Claim.
      w_.Define(c.name, Num(c.id), "call " + p.key + "." + c.key);
    }
    bool first = true;
    for (const auto& r : spec_.result_ranges) {
      if (r.protocol != p.key) continue;
      if (first) w_.Line();
      first = false;
      ResultRange(r);
    }
    for (const auto& rc : spec_.result_codes) {
      if (rc.protocol != p.key) continue;
      if (first) w_.Line();
      first = false;
      ResultCode(rc);
    }
  }

  static std::string ProtocolNote(const std::string& protocol) {
    return protocol.empty() ? "" : " Protocol: " + protocol + ".";
  }

  void Guids() {
    if (spec_.guids.empty()) return;
    w_.Section("GUIDs (bytes in wire order: first three groups little-endian)");
    for (const auto& g : spec_.guids) {
      const std::string base = Upper(Prefixed(g.name));
      const std::string owner = "guid " + g.name;
      w_.Comment({g.name + " = " + g.value + ": " + g.meaning,
                  "Status: " + StatusTag(g.status) + "." + ProtocolNote(g.protocol) + " " +
                      SourceLine(g.source, g.see)});
      auto bytes = g.Bytes();
      if (bytes.size() != 16) {
        w_.Error("GUID " + g.name + " has a malformed value " + g.value);
        continue;
      }
      std::string init = "{";
      for (std::size_t i = 0; i < bytes.size(); ++i) {
        init += (i ? ", " : "") + HexRaw(bytes[i], 2);
      }
      init += "}";
      w_.Define(base + "_BYTES", init, owner);
      w_.Define(base + "_STRING", StringLiteral(g.value), owner);
      w_.Line();
    }
  }

  void Enums() {
    if (spec_.enums.empty()) return;
    w_.Section("Enumerations");
    for (const auto& e : spec_.enums) {
      const std::string base = Upper(Prefixed(e.name));
      std::vector<std::string> p = {"enum " + e.name + ": " + e.doc};
      std::string meta = ProtocolNote(e.protocol);
      if (e.source) meta += " " + SourceLine(*e.source, {});
      p.push_back(meta);
      w_.Comment(p);
      for (const auto& v : e.values) {
        std::string note = v.doc;
        if (v.status != Status::kPublished) note = "[" + StatusTag(v.status) + "] " + note;
        if (v.since > 1) note += " (since version " + std::to_string(v.since) + ")";
        if (!CommentSafe(note).empty()) w_.Comment({note});
        w_.Define(base + "_" + Upper(v.name), Num(v.value), "enum " + e.name + "." + v.name);
      }
      w_.Line();
    }
  }

  void Bitfields() {
    if (spec_.bitfields.empty()) return;
    w_.Section("Bitfields: per field _SHIFT and _MASK (in place), get/set helpers, _pack()");
    for (const auto& b : spec_.bitfields) EmitBitfield(b);
  }

  void EmitBitfield(const Bitfield& b) {
    const std::string lower = Prefixed(b.name);
    const std::string upper = Upper(lower);
    const std::string owner = "bitfield " + b.name;
    const std::string type = UintType(BitfieldBytes(b));
    const std::string wide = b.width > 32 ? "uint64_t" : "uint32_t";
    std::vector<std::string> p = {"bitfield " + b.name + " (" + std::to_string(b.width) +
                                  " bits): " + b.title + (b.title.empty() ? "" : ". ") + b.doc};
    std::string meta = "Status: " + StatusTag(b.status) + "." + ProtocolNote(b.protocol);
    if (b.source) meta += " " + SourceLine(*b.source, b.see);
    p.push_back(meta);
    w_.Comment(p);
    w_.Define(upper + "_MBZ_MASK", MaskLiteral(b.mbz_mask(), b.width), owner);
    std::vector<const BitRange*> packed;
    for (const auto& f : b.fields) {
      const std::string fu = upper + "_" + Upper(f.name);
      const std::string fl = Lower(f.name);
      const std::string fowner = owner + "." + f.name;
      std::string note = "bits " + std::to_string(f.msb) + ":" + std::to_string(f.lsb) + " " +
                         f.name + "." + (f.doc.empty() ? "" : " " + f.doc);
      if (!f.enum_name.empty()) note += " Values: " + Upper(Prefixed(f.enum_name)) + "_*.";
      if (f.mbz || f.reserved) {
        note += std::string(" [") + (f.reserved ? "reserved" : "") +
                (f.mbz && f.reserved ? ", " : "") + (f.mbz ? "must be zero" : "") + "]";
      }
      if (f.shift) note += " Holds value >> " + std::to_string(f.shift) + ".";
      if (f.status != b.status) note += " [" + StatusTag(f.status) + "]";
      w_.Comment({note});
      w_.Define(fu + "_SHIFT", std::to_string(f.lsb), fowner);
      w_.Define(fu + "_MASK", MaskLiteral(f.mask(), b.width), fowner);
      if (w_.Claim(lower + "_get_" + fl, fowner)) {
        w_.Line("SVSM_SPEC_INLINE " + type + " " + lower + "_get_" + fl + "(" + type + " v) {");
        w_.Line("  return (" + type + ")((v & " + fu + "_MASK) >> " + fu + "_SHIFT);");
        w_.Line("}");
      }
      if (w_.Claim(lower + "_set_" + fl, fowner)) {
        w_.Line("SVSM_SPEC_INLINE " + type + " " + lower + "_set_" + fl + "(" + type + " v, " +
                type + " x) {");
        w_.Line("  return (" + type + ")((v & ~" + fu + "_MASK) | (((" + wide + ")x << " + fu +
                "_SHIFT) & " + fu + "_MASK));");
        w_.Line("}");
      }
      if (f.shift) {
        w_.Define(fu + "_VALUE_SHIFT", std::to_string(f.shift), fowner);
        if (w_.Claim(lower + "_get_" + fl + "_value", fowner)) {
          w_.Line("SVSM_SPEC_INLINE " + type + " " + lower + "_get_" + fl + "_value(" + type +
                  " v) {");
          w_.Line("  return (" + type + ")((" + wide + ")" + lower + "_get_" + fl + "(v) << " + fu +
                  "_VALUE_SHIFT);");
          w_.Line("}");
        }
        if (w_.Claim(lower + "_set_" + fl + "_value", fowner)) {
          w_.Line("SVSM_SPEC_INLINE " + type + " " + lower + "_set_" + fl + "_value(" + type +
                  " v, " + type + " value) {");
          w_.Line("  return " + lower + "_set_" + fl + "(v, (" + type + ")(value >> " + fu +
                  "_VALUE_SHIFT));");
          w_.Line("}");
        }
      }
      if (!f.reserved && !f.mbz) packed.push_back(&f);
    }
    if (w_.Claim(lower + "_pack", owner)) {
      std::string params;
      std::set<std::string> seen;
      for (const BitRange* f : packed) {
        std::string name = MemberName(f->name);
        while (!seen.insert(name).second) name += '_';
        params += (params.empty() ? "" : ", ") + type + " " + name;
      }
      w_.Comment({"All settable fields (not reserved, not must-be-zero) in one value."});
      w_.Line("SVSM_SPEC_INLINE " + type + " " + lower + "_pack(" +
              (params.empty() ? "void" : params) + ") {");
      if (packed.empty()) {
        w_.Line("  return 0;");
      } else {
        std::string expr;
        seen.clear();
        for (const BitRange* f : packed) {
          std::string name = MemberName(f->name);
          while (!seen.insert(name).second) name += '_';
          const std::string fu = upper + "_" + Upper(f->name);
          if (!expr.empty()) expr += " |\n                    ";
          expr += "(((" + wide + ")" + name + " << " + fu + "_SHIFT) & " + fu + "_MASK)";
        }
        w_.Line("  return (" + type + ")(" + expr + ");");
      }
      w_.Line("}");
    }
    w_.Line();
  }

  // --- structures -------------------------------------------------------------------------

  // Byte size of one element of an array field.
  uint32_t ElementSize(const StructField& f) const {
    if (!f.element) return f.element_size;
    if (const uint32_t scalar = ScalarSize(f.element->type)) return scalar;
    switch (f.element->type) {
      case FieldType::kBitfield:
        if (const Bitfield* b = spec_.FindBitfield(f.element->layout)) return BitfieldBytes(*b);
        return f.element_size;
      case FieldType::kStruct:
        if (const Structure* s = spec_.FindStructure(f.element->struct_name)) return s->size;
        return f.element_size;
      default:
        return f.element_size;
    }
  }

  // The C type and array suffix of a value of `type` (one array element for arrays).
  struct CDecl {
    std::string type, dims;
    uint32_t size = 0;
  };

  CDecl ScalarDecl(FieldType type, const std::string& layout, const std::string& struct_name,
                   uint32_t fallback_size) const {
    switch (type) {
      case FieldType::kU8:
        return {"uint8_t", "", 1};
      case FieldType::kU16:
        return {"uint16_t", "", 2};
      case FieldType::kU32:
        return {"uint32_t", "", 4};
      case FieldType::kU64:
      case FieldType::kGpa:
        return {"uint64_t", "", 8};
      case FieldType::kGuid:
        return {"uint8_t", "[16]", 16};
      case FieldType::kBitfield: {
        unsigned bytes = fallback_size;
        if (const Bitfield* b = spec_.FindBitfield(layout)) bytes = BitfieldBytes(*b);
        return {UintType(bytes), "", bytes};
      }
      case FieldType::kStruct: {
        uint32_t size = fallback_size;
        if (const Structure* s = spec_.FindStructure(struct_name)) size = s->size;
        return {"struct " + Prefixed(struct_name), "", size};
      }
      case FieldType::kBytes:
      case FieldType::kArray:
        break;
    }
    return {"uint8_t", "[" + std::to_string(fallback_size) + "]", fallback_size};
  }

  CDecl FieldDecl(const StructField& f) const {
    if (f.type == FieldType::kBytes) {
      uint32_t size = f.size.value_or(f.fixed_size);
      return {"uint8_t", "[" + std::to_string(size) + "]", size};
    }
    if (f.type == FieldType::kArray) {
      const uint32_t esize = ElementSize(f);
      CDecl elem =
          f.element ? ScalarDecl(f.element->type, f.element->layout, f.element->struct_name, esize)
                    : CDecl{"uint8_t", "[" + std::to_string(esize) + "]", esize};
      const uint32_t count = f.count.value_or(0);
      return {elem.type, "[" + std::to_string(count) + "]" + elem.dims, count * elem.size};
    }
    return ScalarDecl(f.type, f.layout, f.struct_name, f.fixed_size);
  }

  std::string FieldNote(const StructField& f, const Structure& s) const {
    std::string n = HexRaw(f.offset, 3) + " " + f.name + ": " + FieldTypeName(f.type);
    if (!f.layout.empty()) n += " " + Prefixed(f.layout);
    if (!f.struct_name.empty()) n += " " + Prefixed(f.struct_name);
    if (f.element) {
      n += " of " + std::string(FieldTypeName(f.element->type));
      if (!f.element->layout.empty()) n += " " + Prefixed(f.element->layout);
      if (!f.element->struct_name.empty()) n += " " + Prefixed(f.element->struct_name);
    }
    n += ".";
    if (!f.doc.empty()) n += " " + f.doc;
    if (!f.enum_name.empty()) n += " Values: " + Upper(Prefixed(f.enum_name)) + "_*.";
    if (f.align) n += " Aligned to " + HexRaw(*f.align) + ".";
    if (!f.points_to.empty()) n += " Points to struct " + Prefixed(f.points_to) + ".";
    if (f.big_endian) n += " BIG-ENDIAN.";
    if (f.mbz || f.reserved) {
      n += std::string(" [") + (f.reserved ? "reserved" : "") + (f.mbz && f.reserved ? ", " : "") +
           (f.mbz ? "must be zero" : "") + "]";
    }
    if (f.status != s.status) n += " [" + StatusTag(f.status) + "]";
    if (f.since > 1) n += " (since version " + std::to_string(f.since) + ")";
    return n;
  }

  void Structures() {
    if (spec_.structures.empty()) return;
    w_.Section("Structures (packed; every size and listed offset is checked at compile time)");
    std::set<std::string> done, active;
    std::function<void(const Structure&)> visit = [&](const Structure& s) {
      if (done.count(s.name)) return;
      if (active.count(s.name)) {
        w_.Error("structure " + s.name + " contains itself");
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

  void EmitStructure(const Structure& s) {
    const std::string lower = Prefixed(s.name);
    const std::string upper = Upper(lower);
    const std::string owner = "structure " + s.name;
    const std::string tag = "struct " + lower;
    std::vector<std::string> p = {tag + ": " + s.title + (s.title.empty() ? "" : ". ") + s.doc};
    std::string meta = "Status: " + StatusTag(s.status) + "." + ProtocolNote(s.protocol);
    if (s.since > 1) meta += " Since version " + std::to_string(s.since) + ".";
    meta += " " + SourceLine(s.source, s.see);
    p.push_back(meta);
    std::string shape = "Size " + HexRaw(s.size) + " (" + std::to_string(s.size) + ") bytes";
    if (s.variable) shape += " plus a variable trailing part";
    if (s.max_size) shape += ", at most " + HexRaw(*s.max_size) + " in all";
    shape += ".";
    if (s.align) shape += " Must be aligned to " + HexRaw(*s.align) + ".";
    if (s.within_page) shape += " Must not cross a 4 KiB page boundary.";
    if (s.sparse) {
      shape +=
          " SPARSE: only the fields the protocol relies on are named; the pad_<offset> "
          "arrays stand for bytes this spec does not describe.";
    }
    p.push_back(shape);
    w_.Comment(p);

    w_.Define(upper + "_SIZE", HexRaw(s.size), owner);
    if (s.align) w_.Define(upper + "_ALIGN", Num(*s.align), owner);
    if (s.max_size) w_.Define(upper + "_MAX_SIZE", HexRaw(*s.max_size), owner);

    std::vector<const StructField*> fields;
    for (const auto& f : s.fields) fields.push_back(&f);
    std::stable_sort(fields.begin(), fields.end(), [](const StructField* a, const StructField* b) {
      return a->offset < b->offset;
    });

    // Member list (fixed part), then the variable part's constants.
    struct Member {
      const StructField* field;  // null for padding
      std::string name;
      CDecl decl;
      uint32_t offset;
    };
    std::vector<Member> members;
    std::vector<const StructField*> variable;
    std::set<std::string> member_names;
    auto unique_member = [&](std::string name) {
      while (!member_names.insert(name).second) name += '_';
      return name;
    };
    for (const StructField* f : fields) {
      if (!f->is_variable()) unique_member(MemberName(f->name));
    }
    uint32_t pos = 0;
    auto pad_to = [&](uint32_t offset) {
      if (offset <= pos) return;
      char buf[16];
      std::snprintf(buf, sizeof buf, "pad_%03x", pos);
      std::string name = buf;
      while (member_names.count(name)) name += '_';
      member_names.insert(name);
      members.push_back({nullptr,
                         name,
                         {"uint8_t", "[" + std::to_string(offset - pos) + "]", offset - pos},
                         pos});
      pos = offset;
    };
    for (const StructField* f : fields) {
      if (f->is_variable()) {
        variable.push_back(f);
        continue;
      }
      if (!variable.empty()) {
        w_.Error(owner + ": fixed field " + f->name + " follows the variable field " +
                 variable.front()->name);
        continue;
      }
      if (f->offset < pos) {
        w_.Error(owner + ": field " + f->name + " overlaps the previous field");
        continue;
      }
      pad_to(f->offset);
      CDecl decl = FieldDecl(*f);
      members.push_back({f, MemberName(f->name), decl, f->offset});
      pos = f->offset + decl.size;
    }
    if (pos > s.size) {
      w_.Error(owner + ": fields end at " + HexRaw(pos) + ", past the size " + HexRaw(s.size));
    }
    pad_to(s.size);

    if (members.empty()) {
      w_.Comment({tag + " has no fixed part; only its constants are emitted."});
    } else if (w_.Claim(tag, owner)) {
      w_.Line(tag + " {");
      for (const auto& m : members) {
        if (m.field) {
          w_.Comment({FieldNote(*m.field, s)}, "  ");
        } else {
          w_.Comment({HexRaw(m.offset, 3) + ": " + std::to_string(m.decl.size) +
                      " bytes not described by this spec."},
                     "  ");
        }
        w_.Line("  " + m.decl.type + " " + m.name + m.decl.dims + ";");
      }
      w_.Line("} SVSM_SPEC_PACKED;");
      w_.Line();
      w_.Line("SVSM_SPEC_STATIC_ASSERT(sizeof(" + tag + ") == " + HexRaw(s.size) + ", \"" + tag +
              " size\");");
      for (const auto& m : members) {
        if (!m.field) continue;
        w_.Line("SVSM_SPEC_STATIC_ASSERT(offsetof(" + tag + ", " + m.name +
                ") == " + HexRaw(m.offset) + ", \"" + lower + "." + m.name + " offset\");");
        w_.Line("SVSM_SPEC_STATIC_ASSERT(sizeof(((" + tag + "*)0)->" + m.name + ") == " +
                std::to_string(m.decl.size) + ", \"" + lower + "." + m.name + " size\");");
      }
    }

    for (const StructField* f : variable) {
      const std::string fu = upper + "_" + Upper(f->name);
      const std::string fowner = owner + "." + f->name;
      std::string note = "Variable part: " + FieldNote(*f, s);
      if (!f->count_field.empty()) note += " Element count in field " + f->count_field + ".";
      if (!f->size_field.empty()) note += " Byte size in field " + f->size_field + ".";
      w_.Comment({note});
      w_.Define(fu + "_OFFSET", HexRaw(f->offset), fowner);
      if (f->type == FieldType::kArray) {
        w_.Define(fu + "_ELEMENT_SIZE", std::to_string(ElementSize(*f)), fowner);
        if (f->min_count) w_.Define(fu + "_MIN_COUNT", std::to_string(*f->min_count), fowner);
        if (f->max_count) w_.Define(fu + "_MAX_COUNT", std::to_string(*f->max_count), fowner);
      } else if (f->max_size) {
        w_.Define(fu + "_MAX_SIZE", HexRaw(*f->max_size), fowner);
      }
    }
    w_.Line();
  }

  const Spec& spec_;
  Writer w_;
};

}  // namespace

std::vector<GeneratedFile> GenerateCHeader(const Spec& spec) {
  CHeaderGenerator gen(spec);
  return {GeneratedFile{"svsm_spec.h", gen.Run()}};
}

}  // namespace svsm_spec
