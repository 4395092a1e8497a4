// Rust generator: one no_std module, svsm_spec.rs, for guest code (e.g. COCONUT-SVSM).
//
// The module uses `core` only (no std, no alloc, no unsafe) and compiles as a crate root
// with `rustc --edition 2021 --crate-type lib -D warnings` or as a module (`mod svsm_spec;`).
// It carries no `#![no_std]` itself: that attribute belongs to the including crate's root
// and would be an unused-attribute warning inside a module.
//
// Naming scheme (every name comes from the spec; nothing is invented per element):
//   - Values live in the module's value namespace as UPPER_SNAKE consts:
//       protocol number       <C_PREFIX>_PROTOCOL: u32   (SVSM_CORE_PROTOCOL)
//       protocol versions     <C_PREFIX>_PROTOCOL_VERSION_MIN / _MAX: u32 (as in the C header)
//       call id               <CALL NAME>: u32            (SVSM_CORE_PVALIDATE, the C name)
//       call RAX on entry     <CALL NAME>_RAX: u64        (protocol << 32 | id)
//       result code / alias   <CODE NAME>: u32            (aliases are consts naming the code)
//       result-code range     SVSM_RESULT_RANGE_<NAME>_FIRST / _LAST: u32
//       GUID                  <GUID NAME>: [u8; 16]        (wire bytes, mixed-endian)
//       enum value            <ENUM>_<VALUE>: u64          (SNP_SIGNING_KEY_VCEK)
//       VMGEXIT exit code     SVSM_VMGEXIT_EXIT_CODE: u64
//     Protocols sharing a number (reboot and ocp claim 5) keep their own C prefixes, so
//     their consts do not clash; the docs of both name the clash.
//   - Types are CamelCase of the spec name (snp_attestation_report -> SnpAttestationReport):
//       enum       `#[repr(u64)] enum` with CamelCase variants, TryFrom<u64>, From<_> for u64
//       bitfield   `#[repr(transparent)]` newtype over u8/u16/u32/u64 with associated
//                  <FIELD>_SHIFT / <FIELD>_MASK (mask in place), MBZ_MASK, getters <field>()
//                  (bool for 1-bit fields, else the narrowest unsigned type), with_<field>(),
//                  mbz_ok(); a field with a spec `shift` also gets <field>_value() and
//                  with_<field>_value() (the value the field encodes, field << shift)
//       structure  `#[repr(C, packed)]` struct whose fields are byte arrays (or nested
//                  structures), so layout is exact and host-endian independent; sparse
//                  gaps are explicit `_gap_0x<offset>` fields. Associated SIZE, <FIELD>_OFFSET,
//                  <FIELD>_SIZE, const layout asserts (size_of, offset_of!), zeroed() (also
//                  Default), from_bytes(), write_to(), to_bytes(), getters <field>() and
//                  setters set_<field>() (integers by value, little-endian unless the field
//                  says byte_order big; bitfields as their newtype; bytes, GUIDs and nested
//                  structures by reference), mbz_ok() when some field is must-be-zero, and
//                  <field>_at(i) / set_<field>_at(i, v) for fixed-count arrays.
//                  A variable-length tail is not part of the type: the type is the fixed
//                  header, with <FIELD>_OFFSET, <FIELD>_ELEMENT_SIZE, <FIELD>_MIN/MAX_COUNT or
//                  <FIELD>_MAX_SIZE and checked associated functions over the whole byte
//                  slice: <field>_at(b, i) / set_<field>_at(b, i, v) for arrays,
//                  <field>_bytes(b) / <field>_bytes_mut(b) for blobs (length from the
//                  header's size field, refused above <FIELD>_MAX_SIZE).
//   - Field idents are the spec's snake_case names; a Rust keyword gets a trailing `_`
//     (ocp_source_details.type -> `type_`, getter `type_()`, setter `set_type`).
//   - Any remaining clash (two spec names mapping to one Rust name, or a spec name equal to
//     a generated one such as SIZE) is resolved by appending `_2`, `_3`... (types: `2`,
//     `3`...) to the later name, in spec order, so output stays deterministic.
//
// Every decoder is panic-free: slices are taken with get()/get_mut() and every length is
// checked with `?`; there is no indexing, unwrap or arithmetic that can overflow.
#include <algorithm>
#include <cstdio>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "svsm_spec/generators.h"
#include "text_util.h"

namespace svsm_spec {
namespace {

constexpr std::size_t kLineWidth = 100;

// ---------------------------------------------------------------------------------------
// Text helpers

std::string Hex(uint64_t value) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "0x%llX", static_cast<unsigned long long>(value));
  return buf;
}

std::string HexW(uint64_t value, int digits) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "0x%0*llX", digits, static_cast<unsigned long long>(value));
  return buf;
}

std::string Offset(uint64_t value) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "0x%03llX", static_cast<unsigned long long>(value));
  return buf;
}

std::string Collapse(const std::string& s) {
  return internal::CollapseWhitespace(s);
}

// Paragraphs of a prose text: blank lines separate them; other whitespace collapses.
std::vector<std::string> Paragraphs(const std::string& s) {
  std::vector<std::string> out;
  std::string current;
  std::size_t pos = 0;
  while (pos <= s.size()) {
    std::size_t nl = s.find('\n', pos);
    if (nl == std::string::npos) nl = s.size();
    const std::string line = s.substr(pos, nl - pos);
    if (Collapse(line).empty()) {
      if (!Collapse(current).empty()) out.push_back(Collapse(current));
      current.clear();
    } else {
      current += line + "\n";
    }
    pos = nl + 1;
  }
  if (!Collapse(current).empty()) out.push_back(Collapse(current));
  return out;
}

std::vector<std::string> Wrap(const std::string& text, std::size_t width) {
  std::vector<std::string> lines;
  std::string line;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t sp = text.find(' ', pos);
    if (sp == std::string::npos) sp = text.size();
    const std::string word = text.substr(pos, sp - pos);
    if (!line.empty() && line.size() + 1 + word.size() > width) {
      lines.push_back(line);
      line.clear();
    }
    line += (line.empty() ? "" : " ") + word;
    pos = sp + 1;
  }
  if (!line.empty()) lines.push_back(line);
  return lines;
}

// A doc comment under construction: paragraphs, emitted as wrapped `///` lines.
struct Doc {
  std::vector<std::string> paras;
  Doc& Add(const std::string& p) {
    const std::string c = Collapse(p);
    if (!c.empty()) paras.push_back(c);
    return *this;
  }
  Doc& Text(const std::string& s) {
    for (const auto& p : Paragraphs(s)) paras.push_back(p);
    return *this;
  }
};

std::string EmitDoc(const Doc& doc, const std::string& indent) {
  std::string out;
  const std::size_t width = kLineWidth > indent.size() + 24 ? kLineWidth - indent.size() - 4 : 20;
  auto is_item = [&](std::size_t i) { return doc.paras[i].rfind("- ", 0) == 0; };
  for (std::size_t i = 0; i < doc.paras.size(); ++i) {
    // Consecutive "- " paragraphs form one Markdown list; continuation lines are indented.
    const bool item = is_item(i);
    if (i && !(item && is_item(i - 1))) out += indent + "///\n";
    bool first = true;
    for (const auto& l : Wrap(doc.paras[i], item ? width - 2 : width)) {
      out += indent + "/// " + (item && !first ? "  " : "") + l + "\n";
      first = false;
    }
  }
  return out;
}

// One wrapped doc paragraph.
std::string DocLine(const std::string& indent, const std::string& text) {
  Doc d;
  d.Add(text);
  return EmitDoc(d, indent);
}

std::string Comment(const std::string& text, const std::string& indent = "") {
  std::string out;
  for (const auto& l : Wrap(Collapse(text), kLineWidth - indent.size() - 3)) {
    out += indent + "// " + l + "\n";
  }
  return out;
}

std::string SectionComment(const std::string& title) {
  std::string line = "// ---- " + title + " ";
  while (line.size() < kLineWidth) line += '-';
  return "\n" + line + "\n";
}

// ---------------------------------------------------------------------------------------
// Names

const std::set<std::string>& RustKeywords() {
  static const std::set<std::string> k = {
      "as",      "break",  "const",  "continue", "crate",    "else",       "enum",     "extern",
      "false",   "fn",     "for",    "if",       "impl",     "in",         "let",      "loop",
      "match",   "mod",    "move",   "mut",      "pub",      "ref",        "return",   "self",
      "Self",    "static", "struct", "super",    "trait",    "true",       "type",     "unsafe",
      "use",     "where",  "while",  "async",    "await",    "dyn",        "abstract", "become",
      "box",     "do",     "final",  "macro",    "override", "priv",       "typeof",   "unsized",
      "virtual", "yield",  "try",    "gen",      "union",    "macro_rules"};
  return k;
}

std::string Sanitize(const std::string& s) {
  std::string out;
  for (char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    out += ok ? c : '_';
  }
  return out;
}

bool IsDigit(char c) {
  return c >= '0' && c <= '9';
}

std::string Lower(std::string s) {
  for (char& c : s) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return s;
}

std::string UpperStr(std::string s) {
  for (char& c : s) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return s;
}

// snake_case part of a composed name (set_<part>, <part>_at): no keyword escaping.
std::string SnakePart(const std::string& name) {
  std::string s = Lower(Sanitize(name));
  if (s.empty()) s = "field";
  if (IsDigit(s[0])) s = "f_" + s;
  return s;
}

// A snake_case identifier on its own: keywords get a trailing underscore.
std::string SnakeIdent(const std::string& name) {
  std::string s = SnakePart(name);
  if (RustKeywords().count(s)) s += "_";
  return s;
}

std::string Upper(const std::string& name) {
  std::string s = UpperStr(Sanitize(name));
  if (s.empty()) s = "VALUE";
  if (IsDigit(s[0])) s = "V_" + s;
  return s;
}

std::string Camel(const std::string& name) {
  std::string out;
  bool start = true;
  for (char c : Sanitize(name)) {
    if (c == '_') {
      start = true;
      continue;
    }
    if (start && c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    if (!start && c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    out += c;
    start = false;
  }
  if (out.empty()) out = "Value";
  if (IsDigit(out[0])) out = "V" + out;
  if (out == "Self") out = "SelfValue";
  return out;
}

// A set of names in one namespace; a clash gets a numeric suffix.
class Names {
 public:
  explicit Names(std::string sep = "_") : sep_(std::move(sep)) {}
  void Reserve(const std::string& n) { used_.insert(n); }
  std::string Take(const std::string& want) {
    if (used_.insert(want).second) return want;
    for (int i = 2;; ++i) {
      std::string c = want + sep_ + std::to_string(i);
      if (used_.insert(c).second) return c;
    }
  }

 private:
  std::string sep_;
  std::set<std::string> used_;
};

// ---------------------------------------------------------------------------------------
// Model helpers

std::string StatusText(Status s) {
  switch (s) {
    case Status::kPublished:
      return "published";
    case Status::kDraft:
      return "DRAFT (from a draft specification; may change)";
    case Status::kProposed:
      return "PROPOSED (an open proposal, in no specification yet; may change)";
  }
  return "?";
}

std::string RefText(const SourceRef& r) {
  if (r.ref.empty()) return r.doc;
  return r.doc + ", " + r.ref;
}

std::string SourceLine(const SourceRef* source, const std::vector<SourceRef>& see) {
  std::string out;
  if (source && !source->doc.empty()) out = "Source: " + RefText(*source) + ".";
  if (!see.empty()) {
    out += out.empty() ? "See: " : " See also: ";
    for (std::size_t i = 0; i < see.size(); ++i) out += (i ? "; " : "") + RefText(see[i]);
    out += ".";
  }
  return out;
}

std::string MetaLine(Status status, uint32_t since, const SourceRef* source,
                     const std::vector<SourceRef>& see) {
  std::string out = "Status: " + StatusText(status) + ".";
  if (since > 1) out += " Since protocol version " + std::to_string(since) + ".";
  const std::string src = SourceLine(source, see);
  if (!src.empty()) out += " " + src;
  return out;
}

// Marker for a child whose status differs from its parent's.
std::string ChildStatus(Status child, Status parent, uint32_t since, uint32_t parent_since) {
  std::string out;
  if (child != parent) out += "Status: " + StatusText(child) + ".";
  if (since > parent_since) {
    out += (out.empty() ? "" : " ") + std::string("Since protocol version ") +
           std::to_string(since) + ".";
  }
  return out;
}

std::string UintForBits(unsigned bits) {
  if (bits <= 8) return "u8";
  if (bits <= 16) return "u16";
  if (bits <= 32) return "u32";
  return "u64";
}

bool IsInt(FieldType t) {
  return t == FieldType::kU8 || t == FieldType::kU16 || t == FieldType::kU32 ||
         t == FieldType::kU64 || t == FieldType::kGpa;
}

std::string IntType(FieldType t) {
  switch (t) {
    case FieldType::kU8:
      return "u8";
    case FieldType::kU16:
      return "u16";
    case FieldType::kU32:
      return "u32";
    default:
      return "u64";
  }
}

std::string RegName(Register r) {
  return UpperStr(RegisterName(r));
}

// ---------------------------------------------------------------------------------------
// The emitter

class RustEmitter {
 public:
  explicit RustEmitter(const Spec& spec) : spec_(spec), types_("") {
    for (const char* n :
         {"Option", "Result", "Some", "None", "Ok", "Err", "Default", "Clone", "Copy", "Debug",
          "PartialEq", "Eq", "Hash", "TryFrom", "From", "Into", "Sized", "Send", "Sync"}) {
      types_.Reserve(n);
    }
    for (const auto& s : spec_.structures) struct_types_[s.name] = types_.Take(Camel(s.name));
    for (const auto& b : spec_.bitfields) bitfield_types_[b.name] = types_.Take(Camel(b.name));
    for (const auto& e : spec_.enums) enum_types_[e.name] = types_.Take(Camel(e.name));
  }

  std::string Run() {
    std::string body;
    body += GeneralSection();
    for (const auto& p : spec_.protocols) body += ProtocolSection(p);

    std::string out = Header();
    if (need_rd_ || need_wr_ || need_is_zero_) out += WireHelpers();
    out += body;
    return out;
  }

 private:
  // ----- header and helpers

  std::string Header() const {
    std::string files;
    for (std::size_t i = 0; i < spec_.files.size(); ++i) {
      files += (i ? ", " : "") + spec_.files[i];
    }
    if (files.empty()) files = "(no files recorded)";
    std::string out;
    out += Comment(std::string("Generated by svsm-spec ") + kGeneratorVersion + " from " + files +
                   "; do not edit.");
    out += "//\n";
    std::string title = spec_.metadata.title;
    if (!spec_.metadata.spec_revision.empty()) {
      title += " (spec revision " + spec_.metadata.spec_revision + ")";
    }
    if (!title.empty()) out += Comment(title + ".");
    out += Comment(
        "A no_std module: it uses core only (no alloc, no unsafe) and can be a crate root or "
        "a module (`#[path = \"svsm_spec.rs\"] mod svsm_spec;`). Structures are "
        "#[repr(C, packed)] byte-array layouts with little-endian accessors (big-endian where "
        "the spec says so); from_bytes() returns None on short input and never panics. Items "
        "marked DRAFT or PROPOSED are not in a published specification and may change.");
    return out;
  }

  std::string WireHelpers() const {
    std::string out = SectionComment("Byte access helpers");
    out +=
        "/// Panic-free byte access used by the layouts below.\n"
        "mod wire {\n";
    std::string sep;
    if (need_rd_) {
      out +=
          "    /// The `L` bytes at `off`, or None when `b` is too short.\n"
          "    #[inline]\n"
          "    pub(super) fn rd<const L: usize>(b: &[u8], off: usize) -> Option<[u8; L]> {\n"
          "        b.get(off..off.checked_add(L)?)?.try_into().ok()\n"
          "    }\n";
      sep = "\n";
    }
    if (need_wr_) {
      out += sep +
             "    /// Copies `v` to `off`, or returns None (writing nothing) when `out` is too "
             "short.\n"
             "    #[inline]\n"
             "    pub(super) fn wr(out: &mut [u8], off: usize, v: &[u8]) -> Option<()> {\n"
             "        out.get_mut(off..off.checked_add(v.len())?)?.copy_from_slice(v);\n"
             "        Some(())\n"
             "    }\n";
      sep = "\n";
    }
    if (need_is_zero_) {
      out += sep +
             "    /// True when every byte is zero.\n"
             "    #[inline]\n"
             "    pub(super) fn is_zero(b: &[u8]) -> bool {\n"
             "        b.iter().all(|x| *x == 0)\n"
             "    }\n";
    }
    out += "}\n";
    return out;
  }

  // ----- sections

  std::string GeneralSection() {
    std::string out;
    out += SectionComment("Calling convention and general definitions");
    if (spec_.calling_convention) {
      const CallingConvention& cc = *spec_.calling_convention;
      if (cc.vmgexit_exit_code) {
        Doc d;
        d.Add(
            "Guest exit code (VMSA guest_exit_code) of a VMGEXIT, the only exit on which the "
            "SVSM processes a call.");
        d.Add(SourceLine(&cc.source, cc.see));
        out += EmitDoc(d, "");
        out += "pub const " + values_.Take("SVSM_VMGEXIT_EXIT_CODE") +
               ": u64 = " + Hex(*cc.vmgexit_exit_code) + ";\n";
      }
    }
    out += ResultCodes("");
    out += ResultRanges("");
    out += Elements("");
    return out;
  }

  std::string ProtocolSection(const Protocol& p) {
    std::string out;
    std::string title = "Protocol " + std::to_string(p.number) + ": " + p.name + " (" + p.key +
                        (p.file.empty() ? "" : ", " + p.file) + ")";
    out += SectionComment(title);
    if (p.status != Status::kPublished) {
      out += Comment("Status: " + StatusText(p.status) + ".");
    }
    const std::string prefix = p.c_prefix.empty() ? "SVSM_" + Upper(p.key) : Upper(p.c_prefix);
    protocol_prefix_[p.key] = prefix;

    Doc d;
    d.Add("Protocol number of the " + p.name + " protocol (RAX bits 63:32).");
    d.Text(p.summary);
    std::vector<std::string> clash;
    for (const auto& q : spec_.protocols) {
      if (&q != &p && q.number == p.number) clash.push_back(q.key);
    }
    if (!clash.empty()) {
      std::string c = "Number " + std::to_string(p.number) + " is also claimed by protocol";
      for (std::size_t i = 0; i < clash.size(); ++i) c += (i ? ", " : " ") + clash[i];
      c += "; the clash is recorded in the spec, not resolved.";
      d.Add(c);
    }
    if (p.mandatory) d.Add("Every SVSM implements this protocol.");
    d.Add(MetaLine(p.status, 1, &p.source, p.see));
    out += EmitDoc(d, "");
    out += "pub const " + values_.Take(prefix + "_PROTOCOL") +
           ": u32 = " + std::to_string(p.number) + ";\n";
    out += "/// Lowest version of the " + p.name + " protocol the spec defines.\n";
    out += "pub const " + values_.Take(prefix + "_PROTOCOL_VERSION_MIN") +
           ": u32 = " + std::to_string(p.min_version) + ";\n";
    out += "/// Highest version of the " + p.name + " protocol the spec defines.\n";
    out += "pub const " + values_.Take(prefix + "_PROTOCOL_VERSION_MAX") +
           ": u32 = " + std::to_string(p.max_version) + ";\n";

    for (const auto& c : p.calls) out += CallConsts(p, c);
    out += ResultCodes(p.key);
    out += ResultRanges(p.key);
    out += Elements(p.key);
    return out;
  }

  std::string RegisterLine(const RegisterUse& r, const char* dir) const {
    std::string t = r.type == FieldType::kBitfield && !r.layout.empty()
                        ? TypeOfBitfield(r.layout)
                        : std::string(FieldTypeName(r.type));
    std::string s = RegName(r.reg) + " " + dir + ": " + r.name + " (" + t;
    if (!r.enum_name.empty()) s += ", enum " + TypeOfEnum(r.enum_name);
    if (r.align) s += ", align " + Hex(*r.align);
    if (!r.points_to.empty()) s += ", points to " + TypeOfStruct(r.points_to);
    s += ")";
    s += r.doc.empty() ? "." : ": " + Collapse(r.doc);
    if (r.status != Status::kPublished) s += " [" + std::string(StatusName(r.status)) + "]";
    return s;
  }

  void AddRegisters(Doc& d, const Registers& regs) const {
    for (const auto& r : regs.in) d.Add("- " + RegisterLine(r, "in"));
    for (const auto& r : regs.out) d.Add("- " + RegisterLine(r, "out"));
  }

  std::string CallConsts(const Protocol& p, const Call& c) {
    std::string out = "\n";
    Doc d;
    d.Add(c.name + ": " + Collapse(c.summary));
    if (c.optional) d.Add("Optional: an SVSM may omit it (SVSM_ERR_UNSUPPORTED_CALL).");
    if (c.registers) AddRegisters(d, *c.registers);
    for (const auto& f : c.forms) {
      d.Add("Form " + f.name + " (" + RegName(f.selector.reg) + "." + f.selector.field + " = " +
            std::to_string(f.selector.value) + "):" + (f.doc.empty() ? "" : " " + Collapse(f.doc)));
      AddRegisters(d, f.registers);
    }
    d.Add(MetaLine(c.status, c.since, &c.source, c.see));
    out += EmitDoc(d, "");
    const std::string name = values_.Take(Upper(c.name));
    out += "pub const " + name + ": u32 = " + std::to_string(c.id) + ";\n";
    out += DocLine("", "RAX on entry for " + name + ": " + protocol_prefix_[p.key] +
                           "_PROTOCOL << 32 | " + name + ".");
    const uint64_t rax = (uint64_t{p.number} << 32) | c.id;
    out += "pub const " + values_.Take(Upper(c.name) + "_RAX") + ": u64 = " + HexW(rax, 16) + ";\n";
    return out;
  }

  std::string ResultCodes(const std::string& protocol) {
    std::string out;
    bool first = true;
    for (const auto& r : spec_.result_codes) {
      if (r.protocol != protocol) continue;
      if (first) out += "\n" + Comment("Result codes (RAX on return).");
      first = false;
      Doc d;
      d.Add(r.meaning);
      d.Add(MetaLine(r.status, r.since, &r.source, r.see));
      out += EmitDoc(d, "");
      const std::string name = values_.Take(Upper(r.name));
      out += "pub const " + name + ": u32 = " + HexW(r.value, 8) + ";\n";
      for (const auto& a : r.aliases) {
        out += "/// Alias of " + name + " (another name used by implementations).\n";
        out += "pub const " + values_.Take(Upper(a)) + ": u32 = " + name + ";\n";
      }
    }
    return out;
  }

  std::string ResultRanges(const std::string& protocol) {
    std::string out;
    bool first = true;
    for (const auto& r : spec_.result_ranges) {
      if (r.protocol != protocol) continue;
      if (first) out += "\n" + Comment("Result-code ranges (inclusive).");
      first = false;
      Doc d;
      d.Add(std::string("First code of range ") + r.name + " (" + RangeClassName(r.cls) +
            ", defined by " + RangeOwnerName(r.defined_by) + "): " + Collapse(r.meaning));
      d.Add(MetaLine(r.status, 1, &r.source, r.see));
      out += EmitDoc(d, "");
      const std::string base = "SVSM_RESULT_RANGE_" + Upper(r.name);
      out += "pub const " + values_.Take(base + "_FIRST") + ": u32 = " + HexW(r.first, 8) + ";\n";
      out += "/// Last code of range " + r.name + ".\n";
      out += "pub const " + values_.Take(base + "_LAST") + ": u32 = " + HexW(r.last, 8) + ";\n";
    }
    return out;
  }

  // GUIDs, enums, bitfields and structures owned by `protocol` ("" = general).
  std::string Elements(const std::string& protocol) {
    std::string out;
    for (const auto& g : spec_.guids) {
      if (g.protocol == protocol) out += GuidConst(g);
    }
    for (const auto& e : spec_.enums) {
      if (e.protocol == protocol) out += EnumItem(e);
    }
    for (const auto& b : spec_.bitfields) {
      if (b.protocol == protocol) out += BitfieldItem(b);
    }
    for (const auto& s : spec_.structures) {
      if (s.protocol == protocol) out += StructItem(s);
    }
    return out;
  }

  std::string TypeOfStruct(const std::string& n) const {
    auto it = struct_types_.find(n);
    return it == struct_types_.end() ? Camel(n) : it->second;
  }
  std::string TypeOfBitfield(const std::string& n) const {
    auto it = bitfield_types_.find(n);
    return it == bitfield_types_.end() ? Camel(n) : it->second;
  }
  // True when `s` gets mbz_ok(): a must-be-zero field, or a nested structure or bitfield
  // member of its fixed part that has must-be-zero bytes or bits itself.
  bool HasMbz(const Structure& s) const {
    for (const auto& f : s.fields) {
      if (f.is_variable()) continue;
      if (f.mbz || MemberHasMbz(f)) return true;
    }
    return false;
  }
  bool MemberHasMbz(const StructField& f) const {
    if (f.type == FieldType::kStruct) {
      const Structure* n = spec_.FindStructure(f.struct_name);
      return n && HasMbz(*n);
    }
    if (f.type == FieldType::kBitfield) {
      const Bitfield* b = spec_.FindBitfield(f.layout);
      return b && b->mbz_mask() != 0;
    }
    return false;
  }
  std::string TypeOfEnum(const std::string& n) const {
    auto it = enum_types_.find(n);
    return it == enum_types_.end() ? Camel(n) : it->second;
  }

  // ----- GUIDs

  std::string GuidConst(const Guid& g) {
    std::string out = "\n";
    Doc d;
    d.Add("GUID " + g.value + ": " + Collapse(g.meaning));
    d.Add("Wire bytes (mixed-endian, EFI / guid_t order).");
    d.Add(MetaLine(g.status, 1, &g.source, g.see));
    out += EmitDoc(d, "");
    const std::vector<uint8_t> bytes = g.Bytes();
    std::string list;
    for (std::size_t i = 0; i < bytes.size(); ++i) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "0x%02x", bytes[i]);
      list += (i ? ", " : "") + std::string(buf);
    }
    const std::string name = values_.Take(Upper(g.name));
    if (bytes.size() != 16) {
      // The linter rejects malformed GUIDs; stay compilable regardless.
      out += "pub const " + name + ": [u8; 16] = [0; 16];\n";
      return out;
    }
    std::string line = "pub const " + name + ": [u8; 16] = [" + list + "];";
    if (line.size() <= kLineWidth) {
      out += line + "\n";
    } else {
      out += "pub const " + name + ": [u8; 16] = [\n";
      for (std::size_t row = 0; row < 2; ++row) {
        out += "   ";
        for (std::size_t i = row * 8; i < row * 8 + 8; ++i) {
          char buf[8];
          std::snprintf(buf, sizeof buf, " 0x%02x,", bytes[i]);
          out += buf;
        }
        out += "\n";
      }
      out += "];\n";
    }
    return out;
  }

  // ----- enums

  std::string EnumItem(const Enum& e) {
    std::string out = "\n";
    const std::string type = TypeOfEnum(e.name);
    const Status parent = e.protocol.empty() ? Status::kPublished : ProtocolStatus(e.protocol);
    const std::string prefix = Upper(e.name);

    // The consts first: they are the primary form (a wire value may be unlisted).
    out += Comment("Values of enum " + e.name + " (type " + type + ").");
    for (const auto& v : e.values) {
      Doc d;
      d.Add(e.name + "." + v.name + (v.doc.empty() ? "." : ": " + Collapse(v.doc)));
      d.Add(ChildStatus(v.status, parent, v.since, 1));
      out += EmitDoc(d, "");
      out += "pub const " + values_.Take(prefix + "_" + Upper(v.name)) + ": u64 = " + Hex(v.value) +
             ";\n";
    }

    std::set<uint64_t> distinct;
    for (const auto& v : e.values) distinct.insert(v.value);
    Doc d;
    d.Add("Enum " + e.name + (e.doc.empty() ? "." : ": " + Collapse(e.doc)));
    d.Add(MetaLine(parent, 1, e.source ? &*e.source : nullptr, {}));
    if (e.values.empty() || distinct.size() != e.values.size()) {
      out += Comment("Enum " + e.name +
                     " has no values or duplicate values; no Rust enum type is generated.");
      return out;
    }
    out += EmitDoc(d, "");
    out += "#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]\n#[repr(u64)]\n";
    out += "pub enum " + type + " {\n";
    Names variants("");
    std::vector<std::string> vnames;
    for (const auto& v : e.values) {
      const std::string vn = variants.Take(Camel(v.name));
      vnames.push_back(vn);
      Doc vd;
      vd.Add(v.name + (v.doc.empty() ? "." : ": " + Collapse(v.doc)));
      vd.Add(ChildStatus(v.status, parent, v.since, 1));
      out += EmitDoc(vd, "    ");
      out += "    " + vn + " = " + Hex(v.value) + ",\n";
    }
    out += "}\n\n";
    out += "impl " + type + " {\n";
    out += "    /// The value on the wire.\n";
    out += "    pub const fn value(self) -> u64 {\n        self as u64\n    }\n";
    out += "}\n\n";
    out += "impl ::core::convert::TryFrom<u64> for " + type + " {\n";
    out += "    type Error = u64;\n\n";
    out += "    /// The named value, or Err(value) for a value the spec does not list.\n";
    out += "    fn try_from(value: u64) -> Result<Self, u64> {\n";
    out += "        match value {\n";
    for (std::size_t i = 0; i < e.values.size(); ++i) {
      out += "            " + Hex(e.values[i].value) + " => Ok(Self::" + vnames[i] + "),\n";
    }
    out += "            other => Err(other),\n        }\n    }\n}\n\n";
    out += "impl From<" + type + "> for u64 {\n";
    out += "    fn from(value: " + type + ") -> u64 {\n        value as u64\n    }\n}\n";
    return out;
  }

  Status ProtocolStatus(const std::string& key) const {
    const Protocol* p = spec_.FindProtocol(key);
    return p ? p->status : Status::kPublished;
  }

  // ----- bitfields

  std::string BitfieldItem(const Bitfield& b) {
    std::string out = "\n";
    const std::string type = TypeOfBitfield(b.name);
    const unsigned width = b.width == 8 || b.width == 16 || b.width == 32 ? b.width : 64;
    const std::string base = UintForBits(width);
    const uint64_t all = width >= 64 ? ~0ull : ((1ull << width) - 1);
    const int digits = static_cast<int>(width / 4);

    Doc d;
    d.Add(b.title.empty() ? b.name : b.title + " (" + b.name + ")");
    d.Text(b.doc);
    std::string layout = std::to_string(width) + "-bit value, little-endian on the wire. Fields:";
    for (const auto& f : b.fields) {
      layout += " " + f.name + " " + std::to_string(f.msb) +
                (f.msb == f.lsb ? "" : ":" + std::to_string(f.lsb)) + ";";
    }
    layout.back() = '.';
    if (b.fields.empty()) layout.back() = '.';
    d.Add(layout);
    d.Add(MetaLine(b.status, 1, b.source ? &*b.source : nullptr, b.see));
    out += EmitDoc(d, "");
    out += "#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]\n#[repr(transparent)]\n";
    out += "pub struct " + type + "(pub " + base + ");\n\n";
    out += "impl " + type + " {\n";

    Names consts;
    Names methods;
    for (const char* n : {"WIDTH", "MBZ_MASK"}) consts.Reserve(n);
    for (const char* n : {"new", "bits", "from_bytes", "to_bytes", "mbz_ok"}) methods.Reserve(n);

    out += "    /// Width in bits.\n";
    out += "    pub const WIDTH: u32 = " + std::to_string(width) + ";\n";
    out += "    /// Bits that must be zero: mbz fields and bits no field covers.\n";
    out += "    pub const MBZ_MASK: " + base + " = " + HexW(b.mbz_mask() & all, digits) + ";\n";

    struct FieldNames {
      std::string shift, mask, value_shift, get, with, get_value, with_value, ty;
    };
    std::vector<FieldNames> names;
    for (const auto& f : b.fields) {
      FieldNames n;
      const std::string up = Upper(f.name);
      n.shift = consts.Take(up + "_SHIFT");
      n.mask = consts.Take(up + "_MASK");
      const bool shifted = f.shift > 0 && f.shift < 64;
      if (shifted) n.value_shift = consts.Take(up + "_VALUE_SHIFT");
      n.get = methods.Take(SnakeIdent(f.name));
      n.with = methods.Take("with_" + SnakePart(f.name));
      if (shifted) {
        n.get_value = methods.Take(SnakePart(f.name) + "_value");
        n.with_value = methods.Take("with_" + SnakePart(f.name) + "_value");
      }
      n.ty = f.width() == 1 ? "bool" : UintForBits(f.width());
      names.push_back(n);
    }
    for (std::size_t i = 0; i < b.fields.size(); ++i) {
      const BitRange& f = b.fields[i];
      const FieldNames& n = names[i];
      out += "    /// Lowest bit of " + f.name + ".\n";
      out += "    pub const " + n.shift + ": u32 = " + std::to_string(f.lsb) + ";\n";
      out += "    /// Bits of " + f.name + " in place.\n";
      out += "    pub const " + n.mask + ": " + base + " = " + HexW(f.mask() & all, digits) + ";\n";
      if (!n.value_shift.empty()) {
        out += "    /// " + f.name + " holds its value shifted right by this many bits.\n";
        out += "    pub const " + n.value_shift + ": u32 = " + std::to_string(f.shift) + ";\n";
      }
    }

    out += "\n    /// The value with the given raw bits.\n";
    out += "    pub const fn new(bits: " + base + ") -> Self {\n        Self(bits)\n    }\n\n";
    out += "    /// The raw bits.\n";
    out += "    pub const fn bits(self) -> " + base + " {\n        self.0\n    }\n\n";
    out += "    /// Decodes the first " + std::to_string(width / 8) +
           " bytes (little-endian); None when `b` is shorter.\n";
    out += "    pub fn from_bytes(b: &[u8]) -> Option<Self> {\n";
    out += "        wire::rd(b, 0).map(|a| Self(" + base + "::from_le_bytes(a)))\n";
    need_rd_ = true;
    out += "    }\n\n";
    out += "    /// The wire bytes (little-endian).\n";
    out += "    pub const fn to_bytes(self) -> [u8; " + std::to_string(width / 8) + "] {\n";
    out += "        self.0.to_le_bytes()\n    }\n\n";
    out += "    /// True when every must-be-zero bit (MBZ_MASK) is zero.\n";
    out +=
        "    pub const fn mbz_ok(self) -> bool {\n        (self.0 & Self::MBZ_MASK) == 0\n    }\n";

    for (std::size_t i = 0; i < b.fields.size(); ++i) {
      const BitRange& f = b.fields[i];
      const FieldNames& n = names[i];
      Doc fd;
      std::string where = f.msb == f.lsb
                              ? "bit " + std::to_string(f.lsb)
                              : "bits " + std::to_string(f.msb) + ":" + std::to_string(f.lsb);
      fd.Add(f.name + " (" + where + ")" + (f.doc.empty() ? "." : ": " + Collapse(f.doc)));
      std::string notes;
      if (!f.enum_name.empty()) {
        notes += "Values: enum " + TypeOfEnum(f.enum_name) + " (" + Upper(f.enum_name) + "_*). ";
      }
      if (f.mbz) notes += "Must be zero. ";
      if (f.reserved && !f.mbz) notes += "Reserved. ";
      if (!n.value_shift.empty()) {
        notes += "Holds a value shifted right by " + std::to_string(f.shift) + " (see " +
                 n.get_value + "). ";
      }
      notes += ChildStatus(f.status, b.status, f.since, 1);
      fd.Add(notes);
      out += "\n" + EmitDoc(fd, "    ");
      if (n.ty == "bool") {
        out += "    pub const fn " + n.get + "(self) -> bool {\n";
        out += "        (self.0 & Self::" + n.mask + ") != 0\n    }\n\n";
      } else {
        out += "    pub const fn " + n.get + "(self) -> " + n.ty + " {\n";
        out += "        ((self.0 & Self::" + n.mask + ") >> Self::" + n.shift + ") as " + n.ty +
               "\n    }\n\n";
      }
      out += "    /// A copy with " + f.name + " set" +
             (n.ty == "bool" ? "" : " (bits above its width are dropped)") + ".\n";
      out += "    pub const fn " + n.with + "(self, v: " + n.ty + ") -> Self {\n";
      out += "        let mask = Self::" + n.mask + ";\n";
      out += "        Self((self.0 & !mask) | (((v as " + base + ") << Self::" + n.shift +
             ") & mask))\n    }\n";
      if (!n.value_shift.empty()) {
        out += "\n    /// The value " + f.name + " encodes: the field shifted left by " +
               n.value_shift + ".\n";
        out += "    pub const fn " + n.get_value + "(self) -> u64 {\n";
        out += "        (self." + n.get + "() as u64) << Self::" + n.value_shift + "\n    }\n\n";
        out += "    /// A copy with " + f.name + " set from a value (its low " +
               std::to_string(f.shift) + " bits are dropped).\n";
        out += "    pub const fn " + n.with_value + "(self, v: u64) -> Self {\n";
        out += "        self." + n.with + "((v >> Self::" + n.value_shift + ") as " + n.ty +
               ")\n    }\n";
      }
    }
    out += "}\n";
    return out;
  }

  // ----- structures

  struct Member {
    const StructField* field = nullptr;  // null for a gap
    uint32_t offset = 0, size = 0;
    std::string ident;
  };

  std::string ElemType(const ArrayElement& e, uint32_t size) const {
    switch (e.type) {
      case FieldType::kBitfield:
        return TypeOfBitfield(e.layout);
      case FieldType::kStruct:
        return TypeOfStruct(e.struct_name);
      case FieldType::kGuid:
      case FieldType::kBytes:
      case FieldType::kArray:
        return "[u8; " + std::to_string(size) + "]";
      default:
        return IntType(e.type);
    }
  }

  // An expression of type Option<elem> reading the element at `off` in slice `b`.
  std::string ElemRead(const ArrayElement& e, uint32_t size, bool big, const std::string& b,
                       const std::string& off) const {
    const std::string from = big ? "::from_be_bytes" : "::from_le_bytes";
    switch (e.type) {
      case FieldType::kBitfield: {
        const Bitfield* bf = spec_.FindBitfield(e.layout);
        const std::string base = UintForBits(bf ? bf->width : 64);
        return "wire::rd(" + b + ", " + off + ").map(|a| " + TypeOfBitfield(e.layout) + "(" + base +
               from + "(a)))";
      }
      case FieldType::kStruct:
        return b + ".get(" + off + "..).and_then(" + TypeOfStruct(e.struct_name) + "::from_bytes)";
      case FieldType::kGuid:
      case FieldType::kBytes:
      case FieldType::kArray:
        return "wire::rd::<" + std::to_string(size) + ">(" + b + ", " + off + ")";
      default:
        return "wire::rd(" + b + ", " + off + ").map(" + IntType(e.type) + from + ")";
    }
  }

  // A statement sequence writing `v` at `off` in slice `b`, ending in an Option<()>.
  std::string ElemWrite(const ArrayElement& e, bool big, const std::string& b,
                        const std::string& off) const {
    const std::string to = big ? ".to_be_bytes()" : ".to_le_bytes()";
    switch (e.type) {
      case FieldType::kBitfield:
        return "wire::wr(" + b + ", " + off + ", &v.0" + to + ")";
      case FieldType::kStruct:
        return "v.write_to(" + b + ".get_mut(" + off + "..)?)";
      case FieldType::kGuid:
      case FieldType::kBytes:
      case FieldType::kArray:
        return "wire::wr(" + b + ", " + off + ", &v)";
      default:
        return "wire::wr(" + b + ", " + off + ", &v" + to + ")";
    }
  }

  std::string FieldTypeText(const StructField& f) const {
    std::string t;
    switch (f.type) {
      case FieldType::kBitfield:
        t = "bitfield " + TypeOfBitfield(f.layout);
        break;
      case FieldType::kStruct:
        t = "structure " + TypeOfStruct(f.struct_name);
        break;
      case FieldType::kArray:
        if (f.element) {
          std::string et =
              f.element->type == FieldType::kBitfield ? TypeOfBitfield(f.element->layout)
              : f.element->type == FieldType::kStruct ? TypeOfStruct(f.element->struct_name)
                                                      : std::string(FieldTypeName(f.element->type));
          t = "array of " + et;
        } else {
          t = "array";
        }
        break;
      case FieldType::kBytes:
        t = f.size_field.empty() ? std::to_string(f.fixed_size) + " bytes" : "bytes";
        break;
      default:
        t = FieldTypeName(f.type);
    }
    if (f.big_endian && f.type != FieldType::kBytes) t += ", big-endian";
    if (f.big_endian && f.type == FieldType::kBytes) t += ", big-endian content";
    return t;
  }

  std::string StructItem(const Structure& s) {
    std::string out = "\n";
    const std::string type = TypeOfStruct(s.name);
    need_rd_ = need_wr_ = true;

    // Layout members in offset order, with explicit gaps.
    std::vector<const StructField*> fixed;
    const StructField* variable = nullptr;
    for (const auto& f : s.fields) {
      if (f.is_variable()) {
        variable = &f;
      } else if (f.fixed_size) {
        fixed.push_back(&f);
      }
    }
    std::stable_sort(fixed.begin(), fixed.end(), [](const StructField* a, const StructField* b) {
      return a->offset < b->offset;
    });
    std::vector<Member> members;
    uint32_t cursor = 0;
    auto gap = [&](uint32_t from, uint32_t to) {
      if (to > from) members.push_back({nullptr, from, to - from, "_gap_" + Lower(Offset(from))});
    };
    Names idents;
    for (const StructField* f : fixed) {
      if (f->offset < cursor) continue;  // overlap: reported by the linter
      gap(cursor, f->offset);
      members.push_back({f, f->offset, f->fixed_size, idents.Take(SnakeIdent(f->name))});
      cursor = f->offset + f->fixed_size;
    }
    gap(cursor, s.size);

    // Struct doc.
    Doc d;
    d.Add(s.title.empty() ? s.name : s.title + " (" + s.name + ")");
    d.Text(s.doc);
    std::string shape = "Size " + Hex(s.size) + " (" + std::to_string(s.size) + ") bytes";
    if (variable) shape += " of fixed header, followed by the variable field " + variable->name;
    if (s.max_size) shape += "; at most " + Hex(*s.max_size) + " bytes in all";
    if (s.align) shape += "; address aligned to " + Hex(*s.align);
    if (s.within_page) shape += "; must not cross a 4 KiB page boundary";
    if (s.sparse) shape += "; sparse: only the fields the protocol relies on are named";
    d.Add(shape + ".");
    d.Add(MetaLine(s.status, s.since, &s.source, s.see));
    out += EmitDoc(d, "");
    out += "#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]\n#[repr(C, packed)]\n";
    out += "pub struct " + type + " {\n";
    for (const auto& m : members) {
      if (m.field) {
        Doc fd;
        fd.Add(FieldSummary(s, *m.field));
        out += EmitDoc(fd, "    ");
        out += "    pub " + m.ident + ": " + StorageType(m) + ",\n";
      } else {
        out += "    /// Bytes " + Offset(m.offset) + "-" + Offset(m.offset + m.size - 1) +
               ": not described by the spec; kept as read.\n";
        out += "    pub " + m.ident + ": [u8; " + std::to_string(m.size) + "],\n";
      }
    }
    out += "}\n\n";

    Names consts;
    Names methods;
    for (const char* n : {"SIZE", "ALIGN", "MAX_SIZE", "WITHIN_PAGE"}) consts.Reserve(n);
    for (const char* n : {"zeroed", "from_bytes", "write_to", "to_bytes", "mbz_ok"}) {
      methods.Reserve(n);
    }
    for (const auto& m : members) methods.Reserve(m.ident);  // getters share the field idents

    out += "impl " + type + " {\n";
    out += "    /// Size in bytes" + std::string(variable ? " of the fixed header" : "") + ".\n";
    out += "    pub const SIZE: usize = " + Hex(s.size) + ";\n";
    if (s.align) {
      out += "    /// Required alignment of its guest physical address.\n";
      out += "    pub const ALIGN: usize = " + Hex(*s.align) + ";\n";
    }
    if (s.max_size) {
      out += "    /// Largest size in bytes, variable part included.\n";
      out += "    pub const MAX_SIZE: usize = " + Hex(*s.max_size) + ";\n";
    }
    if (s.within_page) {
      out += "    /// The structure must not cross a 4 KiB page boundary.\n";
      out += "    pub const WITHIN_PAGE: bool = true;\n";
    }
    std::map<const StructField*, std::string> offset_const;
    for (const auto& m : members) {
      if (!m.field) continue;
      const StructField& f = *m.field;
      const std::string up = Upper(f.name);
      offset_const[&f] = consts.Take(up + "_OFFSET");
      out += "    /// Offset of " + f.name + ".\n";
      out += "    pub const " + offset_const[&f] + ": usize = " + Hex(f.offset) + ";\n";
      out += "    /// Size of " + f.name + " in bytes.\n";
      out += "    pub const " + consts.Take(up + "_SIZE") + ": usize = " + Hex(m.size) + ";\n";
      if (f.type == FieldType::kArray && f.element) {
        out += "    /// Size of one " + f.name + " element in bytes.\n";
        out += "    pub const " + consts.Take(up + "_ELEMENT_SIZE") +
               ": usize = " + Hex(f.element_size) + ";\n";
        out += "    /// Number of " + f.name + " elements.\n";
        out += "    pub const " + consts.Take(up + "_COUNT") +
               ": usize = " + std::to_string(f.count.value_or(0)) + ";\n";
      }
    }
    std::string var_offset, var_elem_size, var_max;
    if (variable) {
      const StructField& f = *variable;
      const std::string up = Upper(f.name);
      var_offset = consts.Take(up + "_OFFSET");
      out += "    /// Offset of the variable-length " + f.name + " (the end of the header).\n";
      out += "    pub const " + var_offset + ": usize = " + Hex(f.offset) + ";\n";
      if (f.type == FieldType::kArray) {
        var_elem_size = consts.Take(up + "_ELEMENT_SIZE");
        out += "    /// Size of one " + f.name + " element in bytes.\n";
        out += "    pub const " + var_elem_size + ": usize = " + Hex(f.element_size) + ";\n";
        if (f.min_count) {
          out += "    /// Fewest elements of " + f.name + " (their number is in " + f.count_field +
                 ").\n";
          out += "    pub const " + consts.Take(up + "_MIN_COUNT") +
                 ": usize = " + std::to_string(*f.min_count) + ";\n";
        }
        if (f.max_count) {
          out += "    /// Most elements of " + f.name + " (their number is in " + f.count_field +
                 ").\n";
          out += "    pub const " + consts.Take(up + "_MAX_COUNT") +
                 ": usize = " + std::to_string(*f.max_count) + ";\n";
        }
      } else if (f.max_size) {
        var_max = consts.Take(up + "_MAX_SIZE");
        out += "    /// Largest size of " + f.name + " in bytes (size in " + f.size_field + ").\n";
        out += "    pub const " + var_max + ": usize = " + Hex(*f.max_size) + ";\n";
      }
    }

    // zeroed / Default
    out += "\n    /// All bytes zero.\n";
    out += "    pub const fn zeroed() -> Self {\n        Self {\n";
    for (const auto& m : members) {
      if (m.field && m.field->type == FieldType::kStruct) {
        out +=
            "            " + m.ident + ": " + TypeOfStruct(m.field->struct_name) + "::zeroed(),\n";
      } else {
        out += "            " + m.ident + ": [0; " + std::to_string(m.size) + "],\n";
      }
    }
    out += "        }\n    }\n\n";

    // from_bytes / write_to / to_bytes
    out += "    /// Decodes the first SIZE bytes of `b`; None when `b` is shorter. Never panics.\n";
    out += "    pub fn from_bytes(b: &[u8]) -> Option<Self> {\n        Some(Self {\n";
    for (const auto& m : members) {
      if (m.field && m.field->type == FieldType::kStruct) {
        out += "            " + m.ident + ": " + TypeOfStruct(m.field->struct_name) +
               "::from_bytes(b.get(" + Hex(m.offset) + "..)?)?,\n";
      } else {
        out += "            " + m.ident + ": wire::rd(b, " + Hex(m.offset) + ")?,\n";
      }
    }
    out += "        })\n    }\n\n";
    out += "    /// Writes the SIZE bytes to the start of `out`; None (and nothing written) when\n";
    out += "    /// `out` is shorter. Never panics.\n";
    out += "    pub fn write_to(&self, out: &mut [u8]) -> Option<()> {\n";
    out += "        let out = out.get_mut(..Self::SIZE)?;\n";
    for (const auto& m : members) {
      if (m.field && m.field->type == FieldType::kStruct) {
        out += "        self." + m.ident + ".write_to(out.get_mut(" + Hex(m.offset) + "..)?)?;\n";
      } else {
        out += "        wire::wr(out, " + Hex(m.offset) + ", &self." + m.ident + ")?;\n";
      }
    }
    out += "        Some(())\n    }\n\n";
    out += "    /// The SIZE wire bytes.\n";
    out += "    pub fn to_bytes(&self) -> [u8; " + Hex(s.size) + "] {\n";
    out += "        let mut out = [0u8; " + Hex(s.size) + "];\n";
    out += "        // Cannot fail: `out` is exactly SIZE bytes.\n";
    out += "        let _ = self.write_to(&mut out);\n";
    out += "        out\n    }\n";

    // mbz_ok
    std::vector<const Member*> mbz;
    for (const auto& m : members) {
      if (m.field && !m.field->is_variable() && (m.field->mbz || MemberHasMbz(*m.field))) {
        mbz.push_back(&m);
      }
    }
    if (!mbz.empty()) {
      need_is_zero_ = true;
      std::string own, nested;
      for (const Member* m : mbz) {
        std::string& list = m->field->mbz ? own : nested;
        list += (list.empty() ? "" : ", ") + m->field->name;
      }
      std::string text = "True when";
      if (!own.empty()) text += " every must-be-zero field (" + own + ") is zero";
      if (!own.empty() && !nested.empty()) text += " and";
      if (!nested.empty()) text += " the must-be-zero parts of " + nested + " are zero";
      out += "\n" + DocLine("    ", text + ".");
      out += "    pub fn mbz_ok(&self) -> bool {\n        ";
      for (std::size_t i = 0; i < mbz.size(); ++i) {
        const Member& m = *mbz[i];
        out += i ? "\n            && " : "";
        if (!m.field->mbz && m.field->type == FieldType::kStruct) {
          out += "self." + m.ident + ".mbz_ok()";
        } else if (!m.field->mbz && m.field->type == FieldType::kBitfield) {
          out += TypeOfBitfield(m.field->layout) + "::from_bytes(&self." + m.ident +
                 ").map_or(false, |v| v.mbz_ok())";
        } else if (m.field->type == FieldType::kStruct) {
          out += "wire::is_zero(&self." + m.ident + ".to_bytes())";
        } else {
          out += "wire::is_zero(&self." + m.ident + ")";
        }
      }
      out += "\n    }\n";
    }

    // Accessors.
    for (const auto& m : members) {
      if (!m.field) continue;
      out += FieldAccessors(*m.field, m, methods);
    }
    if (variable)
      out += VariableAccessors(s, *variable, var_offset, var_elem_size, var_max, methods, members);
    out += "}\n\n";

    out += "impl Default for " + type + " {\n";
    out += "    fn default() -> Self {\n        Self::zeroed()\n    }\n}\n\n";
    out +=
        "const _: () = assert!(::core::mem::size_of::<" + type + ">() == " + Hex(s.size) + ");\n";
    for (const auto& m : members) {
      if (!m.field) continue;
      out += "const _: () = assert!(::core::mem::offset_of!(" + type + ", " + m.ident +
             ") == " + Hex(m.offset) + ");\n";
    }
    return out;
  }

  std::string StorageType(const Member& m) const {
    if (m.field && m.field->type == FieldType::kStruct) return TypeOfStruct(m.field->struct_name);
    return "[u8; " + std::to_string(m.size) + "]";
  }

  std::string FieldSummary(const Structure& s, const StructField& f) const {
    std::string t = f.name + " (offset " + Hex(f.offset) + ", " + FieldTypeText(f) +
                    (f.reserved ? ", reserved" : "") + (f.mbz ? ", must be zero" : "") + ")" +
                    (f.doc.empty() ? "." : ": " + Collapse(f.doc));
    if (!t.empty() && t.back() != '.') t += ".";
    std::string notes;
    if (!f.enum_name.empty()) {
      notes += " Values: enum " + TypeOfEnum(f.enum_name) + " (" + Upper(f.enum_name) + "_*).";
    }
    if (f.align) notes += " Aligned to " + Hex(*f.align) + ".";
    if (!f.points_to.empty()) notes += " Points to " + TypeOfStruct(f.points_to) + ".";
    if (!f.count_field.empty()) notes += " Element count in " + f.count_field + ".";
    if (!f.size_field.empty()) notes += " Byte size in " + f.size_field + ".";
    const std::string st = ChildStatus(f.status, s.status, f.since, s.since);
    if (!st.empty()) notes += " " + st;
    return t + notes;
  }

  std::string FieldAccessors(const StructField& f, const Member& m, Names& methods) const {
    std::string out = "\n";
    const std::string get = m.ident;  // reserved in `methods` already
    const std::string set = methods.Take("set_" + SnakePart(f.name));
    const std::string from = f.big_endian ? "::from_be_bytes" : "::from_le_bytes";
    const std::string to = f.big_endian ? ".to_be_bytes()" : ".to_le_bytes()";
    const std::string order = f.big_endian ? "big-endian" : "little-endian";
    if (IsInt(f.type)) {
      const std::string ty = IntType(f.type);
      out += "    /// " + f.name + " (" + order + ").\n";
      out += "    pub const fn " + get + "(&self) -> " + ty + " {\n";
      out += "        " + ty + from + "(self." + m.ident + ")\n    }\n\n";
      out += "    /// Sets " + f.name + " (" + order + ").\n";
      out += "    pub fn " + set + "(&mut self, v: " + ty + ") {\n";
      out += "        self." + m.ident + " = v" + to + ";\n    }\n";
      return out;
    }
    switch (f.type) {
      case FieldType::kBitfield: {
        const Bitfield* bf = spec_.FindBitfield(f.layout);
        const std::string base = UintForBits(bf ? bf->width : 64);
        const std::string ty = TypeOfBitfield(f.layout);
        out += "    /// " + f.name + " as a " + ty + " (" + order + ").\n";
        out += "    pub const fn " + get + "(&self) -> " + ty + " {\n";
        out += "        " + ty + "(" + base + from + "(self." + m.ident + "))\n    }\n\n";
        out += "    /// Sets " + f.name + " (" + order + ").\n";
        out += "    pub fn " + set + "(&mut self, v: " + ty + ") {\n";
        out += "        self." + m.ident + " = v.0" + to + ";\n    }\n";
        return out;
      }
      case FieldType::kStruct: {
        const std::string ty = TypeOfStruct(f.struct_name);
        out += "    /// " + f.name + ".\n";
        out += "    pub const fn " + get + "(&self) -> &" + ty + " {\n";
        out += "        &self." + m.ident + "\n    }\n\n";
        out += "    /// Sets " + f.name + ".\n";
        out += "    pub fn " + set + "(&mut self, v: " + ty + ") {\n";
        out += "        self." + m.ident + " = v;\n    }\n";
        return out;
      }
      case FieldType::kArray: {
        if (!f.element) return "";
        const std::string at = methods.Take(SnakePart(f.name) + "_at");
        const std::string set_at = methods.Take("set_" + SnakePart(f.name) + "_at");
        const std::string et = ElemType(*f.element, f.element_size);
        const std::string esz = std::to_string(f.element_size);
        out += "    /// Element `i` of " + f.name + "; None when `i` is out of range.\n";
        out += "    pub fn " + at + "(&self, i: usize) -> Option<" + et + "> {\n";
        out += "        let off = i.checked_mul(" + esz + ")?;\n";
        out += "        " +
               ElemRead(*f.element, f.element_size, f.big_endian, "&self." + m.ident, "off") +
               "\n    }\n\n";
        out += "    /// Sets element `i` of " + f.name + "; None when `i` is out of range.\n";
        out += "    pub fn " + set_at + "(&mut self, i: usize, v: " + et + ") -> Option<()> {\n";
        out += "        let off = i.checked_mul(" + esz + ")?;\n";
        out += "        let b = &mut self." + m.ident + ";\n";
        out += "        " + ElemWrite(*f.element, f.big_endian, "b", "off") + "\n    }\n";
        return out;
      }
      default: {  // bytes, guid
        const std::string n = std::to_string(m.size);
        const std::string what = f.type == FieldType::kGuid ? " (GUID wire bytes)" : "";
        out += "    /// " + f.name + what + ".\n";
        out += "    pub const fn " + get + "(&self) -> &[u8; " + n + "] {\n";
        out += "        &self." + m.ident + "\n    }\n\n";
        out += "    /// Sets " + f.name + what + ".\n";
        out += "    pub fn " + set + "(&mut self, v: [u8; " + n + "]) {\n";
        out += "        self." + m.ident + " = v;\n    }\n";
        return out;
      }
    }
  }

  std::string VariableAccessors(const Structure& s, const StructField& f,
                                const std::string& off_const, const std::string& elem_size,
                                const std::string& max_const, Names& methods,
                                const std::vector<Member>& members) const {
    std::string out = "\n";
    if (f.type == FieldType::kArray && f.element) {
      const std::string at = methods.Take(SnakePart(f.name) + "_at");
      const std::string set_at = methods.Take("set_" + SnakePart(f.name) + "_at");
      const std::string et = ElemType(*f.element, f.element_size);
      out += DocLine("    ", "Element `i` of the variable-length " + f.name +
                                 ", read from `b` (the whole structure, header first); None "
                                 "when `b` is too short. Does not check `i` against " +
                                 f.count_field + ".");
      out += "    pub fn " + at + "(b: &[u8], i: usize) -> Option<" + et + "> {\n";
      out += "        let off = i.checked_mul(Self::" + elem_size +
             ")?.checked_add(Self::" + off_const + ")?;\n";
      out += "        " + ElemRead(*f.element, f.element_size, f.big_endian, "b", "off") +
             "\n    }\n\n";
      out += DocLine("    ", "Writes element `i` of " + f.name +
                                 " into `b` (the whole structure); None (nothing written) when "
                                 "`b` is too short. Does not update " +
                                 f.count_field + ".");
      out += "    pub fn " + set_at + "(b: &mut [u8], i: usize, v: " + et + ") -> Option<()> {\n";
      out += "        let off = i.checked_mul(Self::" + elem_size +
             ")?.checked_add(Self::" + off_const + ")?;\n";
      out += "        " + ElemWrite(*f.element, f.big_endian, "b", "off") + "\n    }\n";
      return out;
    }
    // A blob sized by size_field.
    std::string size_getter;
    for (const auto& m : members) {
      if (m.field && m.field->name == f.size_field) size_getter = m.ident;
    }
    if (size_getter.empty()) return "";
    const std::string bytes = methods.Take(SnakePart(f.name) + "_bytes");
    const std::string bytes_mut = methods.Take(SnakePart(f.name) + "_bytes_mut");
    std::string check =
        "        let len = usize::try_from(Self::from_bytes(b)?." + size_getter + "()).ok()?;\n";
    if (!max_const.empty()) {
      check += "        if len > Self::" + max_const + " {\n            return None;\n        }\n";
    }
    const std::string range = "Self::" + off_const + "..Self::" + off_const + ".checked_add(len)?";
    out += DocLine("    ",
                   "The variable-length " + f.name + ": the " + f.size_field +
                       " bytes after the header of `b` (the whole structure). None when "
                       "`b` is too short" +
                       (max_const.empty() ? "" : " or " + f.size_field + " exceeds " + max_const) +
                       ".");
    out += "    pub fn " + bytes + "(b: &[u8]) -> Option<&[u8]> {\n" + check;
    out += "        b.get(" + range + ")\n    }\n\n";
    out += DocLine("    ",
                   "Mutable " + bytes + ": " + f.name + " as sized by the header already in `b`.");
    out += "    pub fn " + bytes_mut + "(b: &mut [u8]) -> Option<&mut [u8]> {\n" + check;
    out += "        b.get_mut(" + range + ")\n    }\n";
    (void)s;
    return out;
  }

  const Spec& spec_;
  Names types_;
  Names values_;
  std::map<std::string, std::string> struct_types_, bitfield_types_, enum_types_;
  std::map<std::string, std::string> protocol_prefix_;
  bool need_rd_ = false, need_wr_ = false, need_is_zero_ = false;
};

}  // namespace

std::vector<GeneratedFile> GenerateRustModule(const Spec& spec) {
  RustEmitter emitter(spec);
  return {GeneratedFile{"svsm_spec.rs", emitter.Run()}};
}

}  // namespace svsm_spec
