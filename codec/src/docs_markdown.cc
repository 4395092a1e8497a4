// Markdown reference pages generated from the model (`svsm-spec docs`, docs/reference/).
//
// Pages: index.md, calling-convention.md, result-codes.md, structures.md and
// protocols/<key>.md. Anchors: a call's key, a rule's id, a layout element's name, a result
// code's name, "source-<id>" and "impl-<id>" (index.md), "question-<id>" for open questions.
// Every enum, bitfield and structure is rendered exactly once, on its home page (its
// protocol's page, the calling-convention page for the Calling Area, secrets page and RAX
// layout, structures.md for the rest), and linked from everywhere else.
#include "svsm_spec/docs_markdown.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "text_util.h"

namespace svsm_spec {
namespace {

constexpr const char* kIndexPage = "index.md";
constexpr const char* kCallingPage = "calling-convention.md";
constexpr const char* kResultsPage = "result-codes.md";
constexpr const char* kLayoutsPage = "structures.md";

// ---------------------------------------------------------------------------------------
// Text helpers

std::string Hex(uint64_t value, int digits) {
  digits = std::clamp(digits, 1, 16);
  char buf[32];
  std::snprintf(buf, sizeof buf, "0x%0*llX", digits, static_cast<unsigned long long>(value));
  return buf;
}

std::string Dec(uint64_t value) {
  return std::to_string(value);
}

std::string Or(const std::string& s, const std::string& fallback) {
  return s.empty() ? fallback : s;
}

std::string Collapse(const std::string& s) {
  return internal::CollapseWhitespace(s);
}

bool IsAlpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

// '<' before a letter, '/', '!' or '?' outside code spans would start raw HTML.
std::string EscapeHtml(const std::string& s) {
  std::string out;
  bool in_code = false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    const char next = i + 1 < s.size() ? s[i + 1] : ' ';
    if (c == '`') in_code = !in_code;
    const bool tag_start = IsAlpha(next) || next == '/' || next == '!' || next == '?';
    if (c == '<' && tag_start && !in_code) {
      out += "&lt;";
    } else {
      out += c;
    }
  }
  return out;
}

// User text for one line (list item, table cell).
std::string Text(const std::string& s) {
  return EscapeHtml(Collapse(s));
}

// User prose: the spec writes folded YAML (`>-`), where a line break separates paragraphs,
// so every run of line breaks becomes one blank line. Surrounding whitespace is dropped.
std::string Prose(const std::string& s) {
  const auto first = s.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return "";
  const auto last = s.find_last_not_of(" \t\r\n");
  std::string out;
  bool in_break = false;
  for (char c : EscapeHtml(s.substr(first, last - first + 1))) {
    if (c == '\r') continue;
    if (c == '\n') {
      if (!in_break) out += "\n\n";
      in_break = true;
      continue;
    }
    if (in_break && (c == ' ' || c == '\t')) continue;  // indentation of the next paragraph
    in_break = false;
    out += c;
  }
  return out;
}

std::string Paragraph(const std::string& s) {
  const std::string p = Prose(s);
  return p.empty() ? "" : p + "\n\n";
}

std::string Code(const std::string& s) {
  if (s.empty()) return "";
  const std::string text = Collapse(s);
  std::size_t longest = 0, run = 0;
  for (char c : text) {
    run = c == '`' ? run + 1 : 0;
    longest = std::max(longest, run);
  }
  const std::string fence(longest + 1, '`');
  const bool pad = longest > 0;
  return fence + (pad ? " " : "") + text + (pad ? " " : "") + fence;
}

std::string Join(const std::vector<std::string>& parts, const std::string& sep) {
  std::string out;
  for (const auto& p : parts) {
    if (p.empty()) continue;
    if (!out.empty()) out += sep;
    out += p;
  }
  return out;
}

std::string YesNo(bool b) {
  return b ? "yes" : "no";
}

std::string Versions(uint32_t min, uint32_t max) {
  return min == max ? Dec(min) : Dec(min) + "-" + Dec(max);
}

std::string Anchor(const std::string& s) {
  std::string out;
  for (char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-' || c == '.';
    out += ok ? c : '-';
  }
  return out;
}

std::string AnchorTag(const std::string& id) {
  return id.empty() ? "" : "<a id=\"" + Anchor(id) + "\"></a>";
}

std::string Heading(int level, const std::string& anchor, const std::string& text) {
  return std::string(static_cast<std::size_t>(level), '#') + " " + AnchorTag(anchor) + text +
         "\n\n";
}

std::string Link(const std::string& text, const std::string& url) {
  return "[" + text + "](" + url + ")";
}

// ---------------------------------------------------------------------------------------
// Tables

struct Table {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
};

std::string Cell(const std::string& s) {
  std::string out;
  for (char c : Collapse(s)) {
    if (c == '|') out += '\\';
    out += c;
  }
  return out;
}

std::string RenderRow(const std::vector<std::string>& cells, std::size_t columns) {
  std::string out = "|";
  for (std::size_t i = 0; i < columns; ++i) {
    const std::string cell = i < cells.size() ? Cell(cells[i]) : "";
    out += cell.empty() ? " |" : " " + cell + " |";
  }
  return out + "\n";
}

std::string Render(const Table& t) {
  const std::size_t columns = t.header.size();
  std::string out = RenderRow(t.header, columns) + "|";
  for (std::size_t i = 0; i < columns; ++i) out += " --- |";
  out += "\n";
  for (const auto& row : t.rows) out += RenderRow(row, columns);
  return out + "\n";
}

// ---------------------------------------------------------------------------------------
// Pages and links

struct Ctx {
  const Spec& spec;
  std::string page;  // the page being written
};

std::string SafeFileName(const std::string& s) {
  std::string out;
  for (char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-';
    out += ok ? c : '-';
  }
  return out;
}

std::string ProtocolPage(const Spec& spec, const Protocol& p) {
  std::string base = SafeFileName(p.key);
  if (base.empty()) base = "protocol-" + Dec(p.number);
  // A protocol whose name an earlier one already took gets its position appended.
  for (const auto& other : spec.protocols) {
    if (&other == &p) break;
    std::string other_base = SafeFileName(other.key);
    if (other_base.empty()) other_base = "protocol-" + Dec(other.number);
    if (other_base == base) {
      return "protocols/" + base + "-" + Dec(static_cast<uint64_t>(&p - spec.protocols.data())) +
             ".md";
    }
  }
  return "protocols/" + base + ".md";
}

// Relative URL from page `from` to `anchor` on page `to`.
std::string Rel(const std::string& from, const std::string& to, const std::string& anchor) {
  std::string url;
  if (from != to || anchor.empty()) {
    for (char c : from) {
      if (c == '/') url += "../";
    }
    url += to;
  }
  if (!anchor.empty()) url += "#" + Anchor(anchor);
  return url;
}

std::string PageOfProtocolKey(const Spec& spec, const std::string& key) {
  const Protocol* p = key.empty() ? nullptr : spec.FindProtocol(key);
  return p ? ProtocolPage(spec, *p) : "";
}

// The page an enum, bitfield or structure is rendered on.
std::string LayoutHome(const Spec& spec, const std::string& protocol, const std::string& name) {
  const std::string page = PageOfProtocolKey(spec, protocol);
  if (!page.empty()) return page;
  const auto& cc = spec.calling_convention;
  if (cc && (name == cc->rax_in || name == cc->calling_area || name == cc->secrets_page)) {
    return kCallingPage;
  }
  return kLayoutsPage;
}

std::string LayoutPage(const Spec& spec, const std::string& name) {
  if (const Structure* s = spec.FindStructure(name)) return LayoutHome(spec, s->protocol, name);
  if (const Bitfield* b = spec.FindBitfield(name)) return LayoutHome(spec, b->protocol, name);
  if (const Enum* e = spec.FindEnum(name)) return LayoutHome(spec, e->protocol, name);
  return "";
}

std::string LayoutLink(const Ctx& c, const std::string& name) {
  if (name.empty()) return "";
  const std::string page = LayoutPage(c.spec, name);
  return page.empty() ? Code(name) : Link(Code(name), Rel(c.page, page, name));
}

std::string ProtocolTitle(const Protocol& p) {
  return Text(Or(p.name, Or(p.key, "protocol " + Dec(p.number))));
}

std::string CallTitle(const Call& call) {
  return Code(Or(call.name, Or(call.key, "call")));
}

std::string ProtocolLink(const Ctx& c, const std::string& key) {
  const Protocol* p = key.empty() ? nullptr : c.spec.FindProtocol(key);
  if (!p) return Code(key);
  return Link(ProtocolTitle(*p), Rel(c.page, ProtocolPage(c.spec, *p), ""));
}

std::string ResultAnchor(const Spec& spec, const ResultCode& code) {
  const auto same = std::count_if(spec.result_codes.begin(), spec.result_codes.end(),
                                  [&](const ResultCode& r) { return r.name == code.name; });
  return same > 1 && !code.protocol.empty() ? code.protocol + "." + code.name : code.name;
}

std::string ResultLink(const Ctx& c, const std::string& name, const std::string& protocol) {
  const ResultCode* code = c.spec.FindResultCode(name, protocol);
  if (!code) return Code(name);
  return Link(Code(code->name), Rel(c.page, kResultsPage, ResultAnchor(c.spec, *code)));
}

// Protocols by number; equal numbers (clashes) keep spec order.
std::vector<const Protocol*> ProtocolsByNumber(const Spec& spec) {
  std::vector<const Protocol*> out;
  for (const auto& p : spec.protocols) out.push_back(&p);
  std::stable_sort(out.begin(), out.end(),
                   [](const Protocol* a, const Protocol* b) { return a->number < b->number; });
  return out;
}

// General codes first, then each protocol's codes in protocol-number order; spec order within.
std::vector<const ResultCode*> CodesInOrder(const Spec& spec) {
  const auto protocols = ProtocolsByNumber(spec);
  auto rank = [&](const ResultCode* r) -> std::size_t {
    if (r->protocol.empty()) return 0;
    for (std::size_t i = 0; i < protocols.size(); ++i) {
      if (protocols[i]->key == r->protocol) return i + 1;
    }
    return protocols.size() + 1;
  };
  std::vector<const ResultCode*> out;
  for (const auto& r : spec.result_codes) out.push_back(&r);
  std::stable_sort(out.begin(), out.end(),
                   [&](const ResultCode* a, const ResultCode* b) { return rank(a) < rank(b); });
  return out;
}

std::vector<const ResultRange*> RangesInOrder(const Spec& spec) {
  std::vector<const ResultRange*> out;
  for (const auto& r : spec.result_ranges) out.push_back(&r);
  std::stable_sort(out.begin(), out.end(), [](const ResultRange* a, const ResultRange* b) {
    return a->first != b->first ? a->first < b->first : a->last < b->last;
  });
  return out;
}

std::string RulePage(const Spec& spec, const Rule& r) {
  const std::string page = PageOfProtocolKey(spec, r.protocol);
  return page.empty() ? kCallingPage : page;
}

std::string RuleLink(const Ctx& c, const std::string& id) {
  const Rule* r = id.empty() ? nullptr : c.spec.FindRule(id);
  return r ? Link(Code(id), Rel(c.page, RulePage(c.spec, *r), id)) : Text(id);
}

std::string ImplementationLink(const Ctx& c, const std::string& id) {
  const Implementation* impl = id.empty() ? nullptr : c.spec.FindImplementation(id);
  if (!impl) return Code(id);
  return Link(Text(impl->name.empty() ? id : impl->name), Rel(c.page, kIndexPage, "impl-" + id));
}

// "svsm_caa.call_pending" links to svsm_caa when that is a layout element.
std::string TargetLink(const Ctx& c, const std::string& target) {
  const std::string head = target.substr(0, target.find('.'));
  const std::string page = LayoutPage(c.spec, head);
  return page.empty() ? Code(target) : Link(Code(target), Rel(c.page, page, head));
}

std::string SourceText(const Ctx& c, const SourceRef& s) {
  std::string doc;
  if (!s.doc.empty()) {
    doc = c.spec.FindSource(s.doc) ? Link(Text(s.doc), Rel(c.page, kIndexPage, "source-" + s.doc))
                                   : Text(s.doc);
  }
  return Join({doc, Text(s.ref)}, " ");
}

std::string SourcesText(const Ctx& c, const SourceRef* source, const std::vector<SourceRef>& see) {
  std::vector<std::string> seen;
  for (const auto& s : see) seen.push_back(SourceText(c, s));
  const std::string main = source ? SourceText(c, *source) : "";
  const std::string rest = Join(seen, "; ");
  return Join({main, rest.empty() ? "" : "see " + rest}, "; ");
}

// "- **label**: value" when value is not empty.
std::string Item(const std::string& label, const std::string& value, int indent = 0) {
  if (value.empty()) return "";
  return std::string(static_cast<std::size_t>(indent), ' ') + "- **" + label + "**: " + value +
         "\n";
}

std::string WithBlank(const std::string& block) {
  return block.empty() ? "" : block + "\n";
}

// ---------------------------------------------------------------------------------------
// Layout elements

std::optional<uint64_t> TypeSize(const Spec& spec, FieldType type, const std::string& layout,
                                 const std::string& struct_name) {
  if (const uint32_t scalar = ScalarSize(type)) return scalar;
  switch (type) {
    case FieldType::kBitfield: {
      const Bitfield* b = spec.FindBitfield(layout);
      if (b) return b->width / 8;
      return std::nullopt;
    }
    case FieldType::kStruct: {
      const Structure* s = spec.FindStructure(struct_name);
      if (s && !s->variable) return s->size;
      return std::nullopt;
    }
    default:  // scalars handled above; bytes and arrays are sized by their field
      return std::nullopt;
  }
}

std::string FieldSize(const Spec& spec, const StructField& f) {
  if (f.is_variable()) return "variable";
  if (f.fixed_size != 0) return Dec(f.fixed_size);
  if (f.type == FieldType::kBytes) return f.size ? Dec(*f.size) : "";
  if (f.type == FieldType::kArray) {
    std::optional<uint64_t> element = f.element_size;
    if (!*element && f.element) {
      element = TypeSize(spec, f.element->type, f.element->layout, f.element->struct_name);
    }
    return f.count && element && *element ? Dec(*f.count * *element) : "";
  }
  const auto size = TypeSize(spec, f.type, f.layout, f.struct_name);
  return size ? Dec(*size) : "";
}

std::string TypeText(const Ctx& c, FieldType type, const std::string& layout,
                     const std::string& struct_name) {
  const std::string name = FieldTypeName(type);
  if (type == FieldType::kBitfield && !layout.empty()) return name + " " + LayoutLink(c, layout);
  if (type == FieldType::kStruct && !struct_name.empty()) {
    return name + " " + LayoutLink(c, struct_name);
  }
  return name;
}

std::string FieldTypeText(const Ctx& c, const StructField& f) {
  if (f.type != FieldType::kArray) return TypeText(c, f.type, f.layout, f.struct_name);
  std::string out = "array";
  if (f.element) {
    out += " of " + TypeText(c, f.element->type, f.element->layout, f.element->struct_name);
  }
  if (f.count) return out + " [" + Dec(*f.count) + "]";
  if (!f.count_field.empty()) return out + " [" + Code(f.count_field) + "]";
  return out;
}

std::string StatusNote(Status s, Status parent) {
  return s == parent ? "" : std::string(StatusName(s));
}

std::string SinceNote(uint32_t since) {
  return since > 1 ? "since v" + Dec(since) : "";
}

std::string WithNotes(const std::string& doc, const std::vector<std::string>& notes) {
  const std::string attrs = Join(notes, "; ");
  const std::string text = Text(doc);
  if (attrs.empty()) return text;
  return text.empty() ? attrs : text + " (" + attrs + ")";
}

std::string FieldNotes(const Ctx& c, const StructField& f, Status parent) {
  std::vector<std::string> notes = {
      f.mbz ? "must be zero" : "",
      f.reserved ? "reserved" : "",
      f.align ? "aligned to " + Hex(*f.align, 1) : "",
      f.enum_name.empty() ? "" : "values: " + LayoutLink(c, f.enum_name),
      f.points_to.empty() ? "" : "points to " + LayoutLink(c, f.points_to),
      f.count_field.empty() ? "" : "count in " + Code(f.count_field),
      f.size_field.empty() ? "" : "size in " + Code(f.size_field),
      f.min_count ? "at least " + Dec(*f.min_count) : "",
      f.max_count ? "at most " + Dec(*f.max_count) : "",
      f.max_size ? "at most " + Dec(*f.max_size) + " bytes" : "",
      f.big_endian ? "big-endian" : "",
      StatusNote(f.status, parent),
      SinceNote(f.since),
  };
  return WithNotes(f.doc, notes);
}

std::string LayoutTitle(const std::string& name, const std::string& title) {
  return Code(Or(name, "(unnamed)")) + (title.empty() ? "" : ": " + Text(title));
}

std::string StructureSection(const Ctx& c, const Structure& s, int level) {
  std::string size = Dec(s.size) + " bytes (" + Hex(s.size, 1) + ")";
  if (s.variable) size += " plus a variable part";
  std::string out = Heading(level, s.name, LayoutTitle(s.name, s.title));
  out += Item("Kind", "structure");
  out += Item("Size", size);
  out += Item("Maximum size", s.max_size ? Dec(*s.max_size) + " bytes" : "");
  out += Item("Alignment", s.align ? Hex(*s.align, 1) : "");
  out += Item("Within one 4 KiB page", s.within_page ? "yes" : "");
  out += Item("Sparse", s.sparse ? "yes: only the fields the protocol relies on are listed" : "");
  out += Item("Status", StatusName(s.status));
  out += Item("Since", s.since > 1 ? "version " + Dec(s.since) : "");
  out += Item("Source", SourcesText(c, &s.source, s.see));
  out += "\n" + Paragraph(s.doc);
  Table t{{"offset", "size", "field", "type", "notes"}, {}};
  for (const auto& f : s.fields) {
    t.rows.push_back({Hex(f.offset, 3), FieldSize(c.spec, f), Code(f.name), FieldTypeText(c, f),
                      FieldNotes(c, f, s.status)});
  }
  return out + (s.fields.empty() ? "_No fields._\n\n" : Render(t));
}

// Like Bitfield::mbz_mask(), but safe for fields outside 64 bits.
uint64_t MbzMask(const Bitfield& b) {
  uint64_t covered = 0, mbz = 0;
  for (const auto& f : b.fields) {
    if (f.lsb >= 64 || f.msb < f.lsb) continue;
    const unsigned width = std::min(f.msb, 63u) - f.lsb + 1;
    const uint64_t mask = (width >= 64 ? ~0ull : ((1ull << width) - 1)) << f.lsb;
    covered |= mask;
    if (f.mbz) mbz |= mask;
  }
  const uint64_t all = b.width >= 64 ? ~0ull : ((1ull << b.width) - 1);
  return mbz | (all & ~covered);
}

std::string BitsText(unsigned msb, unsigned lsb) {
  return msb == lsb ? Dec(msb) : Dec(msb) + ":" + Dec(lsb);
}

std::string BitNotes(const Ctx& c, const BitRange& f, Status parent) {
  std::vector<std::string> notes = {
      f.enum_name.empty() ? "" : "values: " + LayoutLink(c, f.enum_name),
      f.shift ? "holds the value >> " + Dec(f.shift) : "",
      f.reserved ? "reserved" : "",
      StatusNote(f.status, parent),
      SinceNote(f.since),
  };
  return WithNotes(f.doc, notes);
}

std::string BitfieldSection(const Ctx& c, const Bitfield& b, int level) {
  std::string out = Heading(level, b.name, LayoutTitle(b.name, b.title));
  out += Item("Kind", "bitfield");
  out += Item("Width", Dec(b.width) + " bits");
  out += Item("Must-be-zero mask", Hex(MbzMask(b), static_cast<int>(std::max(b.width, 8u) / 4)));
  out += Item("Status", StatusName(b.status));
  out += Item("Source", SourcesText(c, b.source ? &*b.source : nullptr, b.see));
  out += "\n" + Paragraph(b.doc);
  std::vector<const BitRange*> fields;
  for (const auto& f : b.fields) fields.push_back(&f);
  std::stable_sort(fields.begin(), fields.end(),
                   [](const BitRange* x, const BitRange* y) { return x->lsb < y->lsb; });
  Table t{{"bits", "field", "meaning", "mbz"}, {}};
  unsigned next = 0;  // lowest bit not yet covered
  for (const BitRange* f : fields) {
    if (f->lsb > next) t.rows.push_back({BitsText(f->lsb - 1, next), "", "_reserved_", "yes"});
    t.rows.push_back(
        {BitsText(f->msb, f->lsb), Code(f->name), BitNotes(c, *f, b.status), f->mbz ? "yes" : ""});
    next = std::max(next, f->msb + 1);
  }
  if (next < b.width) t.rows.push_back({BitsText(b.width - 1, next), "", "_reserved_", "yes"});
  return out + Render(t);
}

std::string EnumValueText(uint64_t v) {
  return v < 10 ? Dec(v) : Dec(v) + " (" + Hex(v, 1) + ")";
}

std::string EnumSection(const Ctx& c, const Enum& e, int level) {
  std::string out = Heading(level, e.name, LayoutTitle(e.name, ""));
  out += Item("Kind", "enum");
  out += Item("Source", e.source ? SourceText(c, *e.source) : "");
  out += "\n" + Paragraph(e.doc);
  Table t{{"value", "name", "meaning", "status"}, {}};
  for (const auto& v : e.values) {
    t.rows.push_back({EnumValueText(v.value), Code(v.name), Text(v.doc),
                      Join({StatusName(v.status), SinceNote(v.since)}, ", ")});
  }
  return out + (e.values.empty() ? "_No values._\n\n" : Render(t));
}

// ---------------------------------------------------------------------------------------
// Rules, questions, divergences

std::string DivergenceText(const Ctx& c, const Divergence& d) {
  std::vector<std::string> notes = {
      d.result.empty() ? "" : "returns " + ResultLink(c, d.result, ""),
      d.since.empty() ? "" : "since " + Text(d.since),
      d.until.empty() ? "" : "until " + Text(d.until),
      SourceText(c, d.source),
  };
  return ImplementationLink(c, d.implementation) + ": " + WithNotes(d.behaviour, notes);
}

std::string DivergenceList(const Ctx& c, const std::vector<Divergence>& ds, int indent) {
  std::string out;
  const std::string pad(static_cast<std::size_t>(indent), ' ');
  for (const auto& d : ds) out += pad + "- " + DivergenceText(c, d) + "\n";
  return out;
}

std::string ResultsText(const Ctx& c, const Rule& r) {
  std::vector<std::string> links;
  if (!r.result.empty()) links.push_back(ResultLink(c, r.result, r.protocol));
  for (const auto& name : r.allowed_results) links.push_back(ResultLink(c, name, r.protocol));
  return Join(links, ", ");
}

std::string OutputsText(const Ctx& c, const Rule& r) {
  std::vector<std::string> parts;
  for (const auto& o : r.outputs) parts.push_back(TargetLink(c, o.target) + " = " + Text(o.value));
  return Join(parts, "; ");
}

std::string ChecksText(const Ctx& c, const Rule& r) {
  std::vector<std::string> parts;
  for (const auto& target : r.checks) parts.push_back(TargetLink(c, target));
  return Join(parts, ", ");
}

std::string EnforcesText(const Ctx& c, const Rule& r) {
  std::vector<std::string> parts;
  for (const auto& e : r.enforces) {
    parts.push_back(Code(ConstraintName(e.constraint)) + " of " + TargetLink(c, e.target));
  }
  return Join(parts, ", ");
}

std::string RuleItem(const Ctx& c, const Rule& r) {
  const std::string tags =
      Join({RuleKindName(r.kind), StatusName(r.status), SinceNote(r.since)}, ", ");
  std::string out = "- " + AnchorTag(r.id) + "**" + Code(Or(r.id, "(no id)")) + "** (" + tags + ")";
  const std::string summary = Text(r.summary);
  out += summary.empty() ? "\n" : ": " + summary + "\n";
  out += Item("When", Text(r.when), 2);
  out += Item(r.allowed_results.empty() ? "Result" : "Results", ResultsText(c, r), 2);
  out += Item("Outputs", OutputsText(c, r), 2);
  out += Item("Checks", ChecksText(c, r), 2);
  out += Item("Enforces", EnforcesText(c, r), 2);
  out += Item("Source", SourcesText(c, &r.source, r.see), 2);
  if (!r.divergences.empty()) out += "  - **Divergences**:\n" + DivergenceList(c, r.divergences, 4);
  return out;
}

std::string RuleList(const Ctx& c, const std::vector<Rule>& rules) {
  std::string out;
  for (const auto& r : rules) out += RuleItem(c, r);
  return WithBlank(out);
}

std::string AlternativeItem(const Ctx& c, const Alternative& a) {
  std::vector<std::string> notes = {
      a.proposed_by.empty() ? "" : "proposed by " + Text(a.proposed_by),
      a.source ? SourceText(c, *a.source) : "",
  };
  return "  - " + (a.id.empty() ? "" : Code(a.id) + ": ") + WithNotes(a.text, notes) + "\n";
}

std::string QuestionList(const Ctx& c, const std::vector<OpenQuestion>& questions) {
  std::string out;
  for (const auto& q : questions) {
    const std::string anchor = q.id.empty() ? "" : "question-" + q.id;
    out += "- " + AnchorTag(anchor) + (q.id.empty() ? "" : "**" + Code(q.id) + "**: ") +
           WithNotes(q.question, {SourceText(c, q.source)}) + "\n";
    for (const auto& a : q.alternatives) out += AlternativeItem(c, a);
  }
  return WithBlank(out);
}

std::string OrderText(const Ctx& c, const std::vector<std::string>& order) {
  std::vector<std::string> parts;
  for (const auto& step : order) parts.push_back(RuleLink(c, step));
  return Join(parts, " → ");
}

std::string CheckOrderSection(const Ctx& c, const CheckOrder& o, int level) {
  std::string out = Heading(level, "", "Check order");
  out += Item("Specified", o.specified ? "yes: the spec fixes which result wins"
                                       : "no: the spec does not say which result wins");
  out += Item("Note", Text(o.note));
  out += Item("Order", OrderText(c, o.order));
  if (!o.observed.empty()) out += "- **Observed**:\n";
  for (const auto& obs : o.observed) {
    out += "  - " + ImplementationLink(c, obs.implementation) + ": " +
           WithNotes(OrderText(c, obs.order), {SourceText(c, obs.source)}) + "\n";
  }
  return out + "\n";
}

// ---------------------------------------------------------------------------------------
// Calls

std::vector<const RegisterUse*> RegisterUses(const Call& call) {
  std::vector<const RegisterUse*> uses;
  auto add = [&](const Registers& regs) {
    for (const auto& u : regs.in) uses.push_back(&u);
    for (const auto& u : regs.out) uses.push_back(&u);
  };
  if (call.registers) add(*call.registers);
  for (const auto& f : call.forms) add(f.registers);
  return uses;
}

// The first call of `p` that uses bitfield `name` as a register layout, or null.
const Call* HostCall(const Protocol& p, const std::string& name) {
  for (const auto& call : p.calls) {
    for (const RegisterUse* u : RegisterUses(call)) {
      if (u->layout == name) return &call;
    }
  }
  return nullptr;
}

std::string RegisterNotes(const Ctx& c, const RegisterUse& u, const Call& call) {
  std::vector<std::string> notes = {
      u.align ? "aligned to " + Hex(*u.align, 1) : "",
      u.points_to.empty() ? "" : "points to " + LayoutLink(c, u.points_to),
      u.enum_name.empty() ? "" : "values: " + LayoutLink(c, u.enum_name),
      StatusNote(u.status, call.status),
      u.since > call.since ? SinceNote(u.since) : "",
  };
  return WithNotes(u.doc, notes);
}

std::string RegisterTable(const Ctx& c, const std::vector<RegisterUse>& regs, const Call& call) {
  if (regs.empty()) return "_None._\n\n";
  Table t{{"register", "name", "type", "description"}, {}};
  for (const auto& u : regs) {
    t.rows.push_back({Code(RegisterName(u.reg)), Code(u.name), TypeText(c, u.type, u.layout, ""),
                      RegisterNotes(c, u, call)});
  }
  return Render(t);
}

std::string RegistersBlock(const Ctx& c, const Registers& regs, const Call& call) {
  return "Input (RAX = `protocol << 32 | call id`):\n\n" + RegisterTable(c, regs.in, call) +
         "Output (RAX = the result code):\n\n" + RegisterTable(c, regs.out, call);
}

std::string FormSection(const Ctx& c, const Form& f, const Call& call, int level) {
  std::string out = Heading(level, "", "Form " + Code(f.name));
  const std::string field = std::string(RegisterName(f.selector.reg)) +
                            (f.selector.field.empty() ? "" : "." + f.selector.field);
  out += "Selected when " + Code(field) + " = " + Dec(f.selector.value) + ".\n\n";
  out += Paragraph(f.doc);
  return out + RegistersBlock(c, f.registers, call);
}

std::string ReferencedLayouts(const Ctx& c, const Call& call) {
  std::vector<std::string> names;
  for (const RegisterUse* u : RegisterUses(call)) {
    for (const std::string* n : {&u->layout, &u->enum_name, &u->points_to}) {
      if (!n->empty() && std::find(names.begin(), names.end(), *n) == names.end()) {
        names.push_back(*n);
      }
    }
  }
  std::string out;
  for (const auto& n : names) {
    const Structure* s = c.spec.FindStructure(n);
    const Bitfield* b = c.spec.FindBitfield(n);
    const std::string title = s ? s->title : b ? b->title : "";
    out += "- " + LayoutLink(c, n) + (title.empty() ? "" : ": " + Text(title)) + "\n";
  }
  return out.empty() ? "" : "Layouts used by this call:\n\n" + out + "\n";
}

std::string CallSection(const Ctx& c, const Protocol& p, const Call& call) {
  std::string out = Heading(3, call.key, Dec(call.id) + ": " + CallTitle(call));
  out +=
      Item("Call id", Dec(call.id) + " (RAX = " +
                          Code(Hex((static_cast<uint64_t>(p.number) << 32) | call.id, 16)) + ")");
  out += Item("Key", Code(call.key));
  out += Item("Since", "version " + Dec(call.since));
  out += Item("Status", StatusName(call.status));
  out += Item("Optional", YesNo(call.optional));
  out += Item("Source", SourcesText(c, &call.source, call.see));
  out += "\n" + Paragraph(call.summary) + Paragraph(call.semantics);
  if (call.registers) out += Heading(4, "", "Registers") + RegistersBlock(c, *call.registers, call);
  for (const auto& f : call.forms) out += FormSection(c, f, call, 4);
  out += ReferencedLayouts(c, call);
  std::string hosted;
  for (const auto& b : c.spec.bitfields) {
    const bool here = LayoutHome(c.spec, b.protocol, b.name) == c.page;
    if (here && HostCall(p, b.name) == &call) hosted += BitfieldSection(c, b, 5);
  }
  if (!hosted.empty()) out += Heading(4, "", "Register layouts") + hosted;
  if (!call.rules.empty()) out += Heading(4, "", "Rules") + RuleList(c, call.rules);
  if (call.check_order) out += CheckOrderSection(c, *call.check_order, 4);
  if (!call.open_questions.empty()) {
    out += Heading(4, "", "Open questions") + QuestionList(c, call.open_questions);
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// Pages

std::string PageHeader(const Ctx& c, const std::string& title) {
  std::string out = "<!-- Generated by `svsm-spec docs` from the spec; do not edit. -->\n\n";
  out += "# " + title + "\n\n";
  if (c.page != kIndexPage) out += "[Reference index](" + Rel(c.page, kIndexPage, "") + ")\n\n";
  return out;
}

std::string CallTable(const Ctx& c, const Protocol& p) {
  Table t{{"id", "call", "since", "status", "optional", "summary"}, {}};
  for (const auto& call : p.calls) {
    t.rows.push_back({Dec(call.id), Link(CallTitle(call), Rel(c.page, c.page, call.key)),
                      Dec(call.since), StatusName(call.status), YesNo(call.optional),
                      Text(call.summary)});
  }
  return Render(t);
}

std::string OwnerText(const Ctx& c, RangeOwner owner, const std::string& protocol) {
  const std::string name = RangeOwnerName(owner);
  return protocol.empty() ? name : name + " (" + ProtocolLink(c, protocol) + ")";
}

// Every range, or with `protocol_page` only those of the protocol whose page that is.
std::string RangeTable(const Ctx& c, bool protocol_page) {
  Table t{{"first", "last", "name", "class", "owner", "meaning", "status"}, {}};
  for (const ResultRange* r : RangesInOrder(c.spec)) {
    if (protocol_page && PageOfProtocolKey(c.spec, r->protocol) != c.page) continue;
    t.rows.push_back({Code(Hex(r->first, 8)), Code(Hex(r->last, 8)), Code(r->name),
                      RangeClassName(r->cls), OwnerText(c, r->defined_by, r->protocol),
                      WithNotes(r->meaning, {SourcesText(c, &r->source, r->see)}),
                      StatusName(r->status)});
  }
  return t.rows.empty() ? "" : Render(t);
}

// The result codes of the protocol whose page this is.
std::string ResultCodeTable(const Ctx& c) {
  Table t{{"name", "value", "meaning", "status"}, {}};
  for (const auto& r : c.spec.result_codes) {
    if (PageOfProtocolKey(c.spec, r.protocol) != c.page) continue;
    t.rows.push_back({Link(Code(r.name), Rel(c.page, kResultsPage, ResultAnchor(c.spec, r))),
                      Code(Hex(r.value, 8)), Text(r.meaning), StatusName(r.status)});
  }
  return t.rows.empty() ? "" : Render(t);
}

std::string ProtocolLayouts(const Ctx& c, const Protocol& p) {
  std::string out;
  for (const auto& s : c.spec.structures) {
    if (LayoutHome(c.spec, s.protocol, s.name) == c.page) out += StructureSection(c, s, 3);
  }
  for (const auto& b : c.spec.bitfields) {
    const bool here = LayoutHome(c.spec, b.protocol, b.name) == c.page;
    if (here && !HostCall(p, b.name)) out += BitfieldSection(c, b, 3);
  }
  for (const auto& e : c.spec.enums) {
    if (LayoutHome(c.spec, e.protocol, e.name) == c.page) out += EnumSection(c, e, 3);
  }
  return out.empty() ? "" : Heading(2, "", "Layouts") + out;
}

std::string ProtocolBody(const Ctx& c, const Protocol& p) {
  std::string out;
  out += Item("Number", Dec(p.number));
  out += Item("Key", Code(p.key));
  out += Item("C prefix", Code(p.c_prefix));
  out += Item("Status", StatusName(p.status));
  out += Item("Mandatory", YesNo(p.mandatory));
  out += Item("Versions", Versions(p.min_version, p.max_version));
  out += Item("Source", SourcesText(c, &p.source, p.see));
  out += "\n" + Paragraph(p.summary) + Paragraph(p.semantics);
  out += Heading(2, "", "Calls") + (p.calls.empty() ? "_No calls._\n\n" : CallTable(c, p));
  for (const auto& call : p.calls) out += CallSection(c, p, call);
  if (!p.rules.empty()) out += Heading(2, "", "Protocol rules") + RuleList(c, p.rules);
  if (!p.open_questions.empty()) {
    out += Heading(2, "", "Open questions") + QuestionList(c, p.open_questions);
  }
  if (!p.divergences.empty()) {
    out += Heading(2, "", "Divergences") + WithBlank(DivergenceList(c, p.divergences, 0));
  }
  const std::string codes = ResultCodeTable(c), ranges = RangeTable(c, true);
  if (!codes.empty()) out += Heading(2, "", "Result codes") + codes;
  if (!ranges.empty()) out += Heading(2, "", "Result code ranges") + ranges;
  return out + ProtocolLayouts(c, p);
}

std::string ProtocolPageText(const Spec& spec, const Protocol& p) {
  const Ctx c{spec, ProtocolPage(spec, p)};
  return PageHeader(c, "Protocol " + Dec(p.number) + ": " + ProtocolTitle(p)) + ProtocolBody(c, p);
}

std::string ProtocolTable(const Ctx& c) {
  Table t{{"number", "protocol", "key", "status", "versions", "mandatory", "calls"}, {}};
  for (const Protocol* p : ProtocolsByNumber(c.spec)) {
    t.rows.push_back({Dec(p->number), Link(ProtocolTitle(*p), ProtocolPage(c.spec, *p)),
                      Code(p->key), StatusName(p->status), Versions(p->min_version, p->max_version),
                      YesNo(p->mandatory), Dec(p->calls.size())});
  }
  return Render(t);
}

std::string ClashNote(const Ctx& c) {
  std::map<uint32_t, std::vector<const Protocol*>> by_number;
  for (const auto& p : c.spec.protocols) by_number[p.number].push_back(&p);
  std::string out;
  for (const auto& [number, ps] : by_number) {
    if (ps.size() < 2) continue;
    std::vector<std::string> names;
    for (const Protocol* p : ps) {
      names.push_back(Link(ProtocolTitle(*p), Rel(c.page, ProtocolPage(c.spec, *p), "")) + " (" +
                      StatusName(p->status) + ")");
    }
    out += "- Number " + Dec(number) + ": " + Join(names, ", ") + "\n";
  }
  if (out.empty()) return "No two protocols share a number.\n\n";
  return "Protocol numbers claimed by more than one protocol (not yet settled):\n\n" + out + "\n";
}

std::string SourceTable(const Ctx& c) {
  Table t{{"id", "title", "publisher", "document", "revision", "date", "status"}, {}};
  for (const auto& s : c.spec.sources) {
    t.rows.push_back({AnchorTag("source-" + s.id) + Code(s.id), WithNotes(s.title, {Text(s.doc)}),
                      Text(s.publisher), Text(s.document), Text(s.revision), Text(s.date),
                      StatusName(s.status)});
  }
  return Render(t);
}

std::string ImplementationTable(const Ctx& c) {
  Table t{{"id", "name", "role", "revision"}, {}};
  for (const auto& i : c.spec.implementations) {
    t.rows.push_back({AnchorTag("impl-" + i.id) + Code(i.id), WithNotes(i.name, {Text(i.doc)}),
                      Text(i.role), Text(i.revision)});
  }
  return Render(t);
}

// The part of `path` before its last '/' ("" when there is none).
std::string DirName(const std::string& path) {
  const auto slash = path.rfind('/');
  return slash == std::string::npos ? "" : path.substr(0, slash);
}

// The directory all `files` lie in ("" when none), without a trailing '/'.
std::string CommonDir(const std::vector<std::string>& files) {
  std::string dir = files.empty() ? "" : DirName(files[0]);
  auto covers = [&](const std::string& f) {
    return f.size() > dir.size() && f.compare(0, dir.size(), dir) == 0 && f[dir.size()] == '/';
  };
  while (!dir.empty() && !std::all_of(files.begin(), files.end(), covers)) dir = DirName(dir);
  return dir;
}

// Spec file names the same however the loader was invoked (relative or absolute paths):
// relative to their common directory, prefixed by its last component ("spec/svsm.yaml").
std::vector<std::string> SpecFileNames(const std::vector<std::string>& files) {
  const std::string dir = CommonDir(files);
  if (dir.empty()) return files;
  const std::string base = dir.substr(DirName(dir).empty() ? 0 : DirName(dir).size() + 1);
  std::vector<std::string> out;
  for (const auto& f : files) {
    const bool named = !base.empty() && base != "." && base != "..";
    out.push_back((named ? base + "/" : "") + f.substr(dir.size() + 1));
  }
  return out;
}

std::string IndexPage(const Spec& spec) {
  const Ctx c{spec, kIndexPage};
  const auto& m = spec.metadata;
  std::string out = PageHeader(c, m.title.empty() ? "SVSM protocol reference" : Text(m.title));
  out += Item("Spec revision", Text(m.spec_revision));
  std::vector<std::string> based_on;
  for (const auto& id : m.based_on) based_on.push_back(SourceText(c, SourceRef{id, "", {}}));
  out += Item("Based on", Join(based_on, ", "));
  out += "\n" + Paragraph(m.doc);
  out += "> Generated by `svsm-spec docs`; do not edit. Change the spec files and regenerate.\n";
  out += "> Spec files:";
  for (const auto& f : SpecFileNames(spec.files)) out += " " + Code(f);
  out += spec.files.empty() ? " none recorded.\n\n" : "\n\n";
  out += Heading(2, "", "Pages");
  out += "- [Calling convention](calling-convention.md): registers, Calling Area, general rules\n";
  out += "- [Result codes](result-codes.md): ranges and every result code\n";
  out += "- [Layouts](structures.md): every structure, bitfield and enum\n";
  for (const Protocol* p : ProtocolsByNumber(spec)) {
    out += "- Protocol " + Dec(p->number) + ": " + Link(ProtocolTitle(*p), ProtocolPage(spec, *p)) +
           "\n";
  }
  out += "\n" + Heading(2, "", "Protocols");
  out += (spec.protocols.empty() ? "_No protocols._\n\n" : ProtocolTable(c)) + ClashNote(c);
  if (!spec.sources.empty()) out += Heading(2, "", "Sources") + SourceTable(c);
  if (!spec.implementations.empty()) {
    out += Heading(2, "", "Implementations") + ImplementationTable(c);
  }
  return out;
}

std::string CallingConventionSection(const Ctx& c, const CallingConvention& cc) {
  std::vector<std::string> regs;
  for (Register r : cc.argument_registers) regs.push_back(Code(RegisterName(r)));
  std::string out;
  out += Item("RAX in", LayoutLink(c, cc.rax_in));
  out += Item("Argument registers", Join(regs, ", "));
  out += Item("RAX out",
              Dec(cc.rax_out_width) + "-bit " + Link("result code", Rel(c.page, kResultsPage, "")));
  out += Item("VMGEXIT exit code", cc.vmgexit_exit_code ? Hex(*cc.vmgexit_exit_code, 3) : "");
  out += Item("Calling Area", LayoutLink(c, cc.calling_area));
  out += Item("Secrets page", LayoutLink(c, cc.secrets_page));
  out += Item("Source", SourcesText(c, &cc.source, cc.see));
  out += "\n" + Paragraph(cc.semantics);
  // The layouts this page is the home of, in the order named above.
  for (const std::string* name : {&cc.rax_in, &cc.calling_area, &cc.secrets_page}) {
    if (LayoutPage(c.spec, *name) != c.page) continue;
    if (const Bitfield* b = c.spec.FindBitfield(*name)) out += BitfieldSection(c, *b, 2);
    if (const Structure* s = c.spec.FindStructure(*name)) out += StructureSection(c, *s, 2);
    if (const Enum* e = c.spec.FindEnum(*name)) out += EnumSection(c, *e, 2);
  }
  return out;
}

std::string CallingConventionPage(const Spec& spec) {
  const Ctx c{spec, kCallingPage};
  std::string out = PageHeader(c, "Calling convention");
  out += spec.calling_convention ? CallingConventionSection(c, *spec.calling_convention)
                                 : "_The spec defines no calling convention._\n\n";
  out += Heading(2, "", "General rules");
  out += spec.rules.empty() ? "_No general rules._\n\n" : RuleList(c, spec.rules);
  return out;
}

std::string CodeMeaning(const Ctx& c, const ResultCode& r) {
  std::vector<std::string> aliases;
  for (const auto& a : r.aliases) aliases.push_back(Code(a));
  const std::string alias_text = Join(aliases, ", ");
  return WithNotes(r.meaning, {alias_text.empty() ? "" : "also " + alias_text,
                               SourcesText(c, &r.source, r.see)});
}

std::string CodeTable(const Ctx& c) {
  Table t{{"name", "value", "protocol", "meaning", "status"}, {}};
  for (const ResultCode* r : CodesInOrder(c.spec)) {
    t.rows.push_back({AnchorTag(ResultAnchor(c.spec, *r)) + Code(r->name), Code(Hex(r->value, 8)),
                      r->protocol.empty() ? "general" : ProtocolLink(c, r->protocol),
                      CodeMeaning(c, *r),
                      Join({StatusName(r->status), SinceNote(r->since)}, ", ")});
  }
  return Render(t);
}

std::string ResultCodesPage(const Spec& spec) {
  const Ctx c{spec, kResultsPage};
  std::string out = PageHeader(c, "Result codes");
  out += "The SVSM returns one of these in RAX (see the " +
         Link("calling convention", Rel(c.page, kCallingPage, "")) + ").\n\n";
  out += Heading(2, "", "Ranges");
  out += spec.result_ranges.empty() ? "_No ranges._\n\n" : RangeTable(c, false);
  out += Heading(2, "", "Codes");
  out += spec.result_codes.empty() ? "_No result codes._\n\n" : CodeTable(c);
  return out;
}

std::string LayoutIndexTable(const Ctx& c) {
  Table t{{"name", "kind", "defined on", "title"}, {}};
  auto add = [&](const std::string& name, const char* kind, const std::string& title) {
    const std::string page = LayoutPage(c.spec, name);
    t.rows.push_back({LayoutLink(c, name), kind,
                      page == c.page ? "this page" : Link(Code(page), Rel(c.page, page, "")),
                      Text(title)});
  };
  for (const auto& s : c.spec.structures) add(s.name, "structure", s.title);
  for (const auto& b : c.spec.bitfields) add(b.name, "bitfield", b.title);
  for (const auto& e : c.spec.enums) add(e.name, "enum", "");
  return t.rows.empty() ? "_No layouts._\n\n" : Render(t);
}

std::string LayoutsPage(const Spec& spec) {
  const Ctx c{spec, kLayoutsPage};
  std::string out = PageHeader(c, "Layouts");
  out +=
      "Every structure, bitfield and enum of the spec. Those of a protocol are described on "
      "its page, those of the calling convention on its page; the rest below.\n\n";
  out += Heading(2, "", "Index") + LayoutIndexTable(c);
  std::string structures, bitfields, enums;
  for (const auto& s : spec.structures) {
    if (LayoutHome(spec, s.protocol, s.name) == c.page) structures += StructureSection(c, s, 3);
  }
  for (const auto& b : spec.bitfields) {
    if (LayoutHome(spec, b.protocol, b.name) == c.page) bitfields += BitfieldSection(c, b, 3);
  }
  for (const auto& e : spec.enums) {
    if (LayoutHome(spec, e.protocol, e.name) == c.page) enums += EnumSection(c, e, 3);
  }
  if (!structures.empty()) out += Heading(2, "", "Structures") + structures;
  if (!bitfields.empty()) out += Heading(2, "", "Bitfields") + bitfields;
  if (!enums.empty()) out += Heading(2, "", "Enums") + enums;
  return out;
}

// Exactly one trailing newline, no trailing spaces on any line.
std::string Finish(const std::string& text) {
  std::string out;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(start, end - start);
    while (!line.empty() && (line.back() == ' ' || line.back() == '\t')) line.pop_back();
    out += line + "\n";
    start = end + 1;
  }
  while (out.size() > 1 && out[out.size() - 1] == '\n' && out[out.size() - 2] == '\n') {
    out.pop_back();
  }
  return out;
}

}  // namespace

std::vector<GeneratedFile> GenerateMarkdownDocs(const Spec& spec) {
  std::vector<GeneratedFile> files;
  files.push_back({kIndexPage, Finish(IndexPage(spec))});
  files.push_back({kCallingPage, Finish(CallingConventionPage(spec))});
  files.push_back({kResultsPage, Finish(ResultCodesPage(spec))});
  files.push_back({kLayoutsPage, Finish(LayoutsPage(spec))});
  for (const auto& p : spec.protocols) {
    files.push_back({ProtocolPage(spec, p), Finish(ProtocolPageText(spec, p))});
  }
  return files;
}

}  // namespace svsm_spec
