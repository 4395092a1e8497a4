// Builds the model from YAML: shape and types here, cross-references in linter.cc.
#include "svsm_spec/loader.h"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "yaml_reader.h"

namespace svsm_spec {
namespace {

using internal::MapView;
using internal::YamlReader;

constexpr uint64_t kU32Max = 0xFFFFFFFFull;
constexpr uint64_t kU64Max = ~0ull;
// Larger spec files are certainly not hand-written protocol definitions.
constexpr std::size_t kMaxFileBytes = 8u << 20;

const std::vector<std::string> kStatusNames = {"published", "draft", "proposed"};

Status StatusFromName(const std::string& s) {
  if (s == "draft") return Status::kDraft;
  if (s == "proposed") return Status::kProposed;
  return Status::kPublished;
}

std::optional<Register> RegisterFromName(const std::string& s) {
  if (s == "rcx") return Register::kRcx;
  if (s == "rdx") return Register::kRdx;
  if (s == "r8") return Register::kR8;
  if (s == "r9") return Register::kR9;
  return std::nullopt;
}

const std::vector<std::string> kRegisterNames = {"rcx", "rdx", "r8", "r9"};

const std::vector<std::string> kConstraintNames = {
    "align", "mbz", "enum", "min_count", "max_count", "within_page", "nonzero", "no_overflow"};

std::optional<FieldType> FieldTypeFromName(const std::string& s) {
  static const std::pair<const char*, FieldType> kTypes[] = {
      {"u8", FieldType::kU8},         {"u16", FieldType::kU16},
      {"u32", FieldType::kU32},       {"u64", FieldType::kU64},
      {"gpa", FieldType::kGpa},       {"bytes", FieldType::kBytes},
      {"guid", FieldType::kGuid},     {"bitfield", FieldType::kBitfield},
      {"struct", FieldType::kStruct}, {"array", FieldType::kArray}};
  for (const auto& [name, type] : kTypes) {
    if (s == name) return type;
  }
  return std::nullopt;
}

// Parses one file into the shared Spec. Each element inherits `status` and `since`
// from its parent when it does not state them.
class FileParser {
 public:
  FileParser(Spec& spec, YamlReader& reader) : spec_(spec), r_(reader) {}

  void ParseDocument(const YAML::Node& root) {
    MapView top(r_, root, "file");
    if (!top.ok()) return;
    if (!top.Require("spec_format")) return;
    YAML::Node fmt = top.Get("spec_format");
    if (!fmt.IsDefined()) return;
    auto version = r_.Unsigned(fmt, "'spec_format'", kU32Max);
    if (!version) return;
    if (*version > static_cast<uint64_t>(kSpecFormatVersion)) {
      r_.Error(fmt, "spec_format " + std::to_string(*version) +
                        " is newer than this loader understands (" +
                        std::to_string(kSpecFormatVersion) +
                        "); use a newer svsm-spec to read this file");
      return;  // Never guess at a newer language.
    }
    if (*version < 1) {
      r_.Error(fmt, "spec_format 0 does not exist; the first version is 1");
      return;
    }

    if (top.Has("metadata")) ParseMetadata(top);
    top.List("sources", false, [&](const YAML::Node& n, std::size_t) { ParseSource(n); });
    top.List("implementations", false,
             [&](const YAML::Node& n, std::size_t) { ParseImplementation(n); });
    if (top.Has("calling_convention")) ParseCallingConvention(top);
    ParseShared(top, "", Status::kPublished, 1);
    top.List("rules", false, [&](const YAML::Node& n, std::size_t) {
      if (auto rule = ParseRule(n, "", "", Status::kPublished, 1)) spec_.rules.push_back(*rule);
    });
    if (top.Has("protocol")) ParseProtocol(top.Get("protocol"));
    top.Finish();
  }

 private:
  std::optional<SourceRef> ParseSourceRef(const YAML::Node& node, const std::string& what) {
    MapView m(r_, node, what);
    if (!m.ok()) return std::nullopt;
    SourceRef ref;
    ref.loc = m.loc();
    auto doc = m.String("doc", true);
    auto where = m.String("ref", true);
    m.Finish();
    if (!doc || !where) return std::nullopt;
    ref.doc = *doc;
    ref.ref = *where;
    return ref;
  }

  // `source` (required or not) and `see`.
  void ParseCitations(MapView& m, bool source_required, std::optional<SourceRef>& source,
                      std::vector<SourceRef>& see) {
    if (source_required ? m.Require("source") : m.Has("source")) {
      YAML::Node n = m.Get("source");
      if (n.IsDefined()) source = ParseSourceRef(n, "source of " + m.what());
    }
    m.List("see", false, [&](const YAML::Node& n, std::size_t) {
      if (auto s = ParseSourceRef(n, "'see' of " + m.what())) see.push_back(*s);
    });
  }
  void ParseCitations(MapView& m, SourceRef& source, std::vector<SourceRef>& see) {
    std::optional<SourceRef> s;
    ParseCitations(m, true, s, see);
    if (s) source = *s;
  }

  Status ParseStatus(MapView& m, Status inherited) {
    auto s = m.OneOf("status", false, kStatusNames);
    if (!s) return inherited;
    Status st = StatusFromName(*s);
    if (st < inherited) {
      r_.Error(m.Get("status"), "status '" + *s + "' of " + m.what() +
                                    " is more settled than its enclosing element's '" +
                                    StatusName(inherited) + "'");
      return inherited;
    }
    return st;
  }

  uint32_t ParseSince(MapView& m, uint32_t inherited) {
    auto v = m.Unsigned("since", false, kU32Max);
    if (!v) return inherited;
    if (*v == 0) {
      r_.Error(m.Get("since"), "'since' of " + m.what() + " must be a protocol version >= 1");
      return inherited;
    }
    return static_cast<uint32_t>(*v);
  }

  std::string Str(MapView& m, const char* key, bool required) {
    return m.String(key, required).value_or("");
  }

  void ParseMetadata(MapView& top) {
    YAML::Node n = top.Get("metadata");
    MapView m(r_, n, "metadata");
    if (!m.ok()) return;
    if (!spec_.metadata.title.empty()) {
      r_.Error(n, "metadata is given twice; it was already given in another file");
    }
    spec_.metadata.loc = m.loc();
    spec_.metadata.title = Str(m, "title", true);
    spec_.metadata.spec_revision = Str(m, "spec_revision", true);
    spec_.metadata.based_on = m.StringList("based_on", false);
    spec_.metadata.doc = Str(m, "doc", false);
    m.Finish();
  }

  void ParseSource(const YAML::Node& n) {
    MapView m(r_, n, "source document " + NameOf(n, "id"));
    if (!m.ok()) return;
    SourceDocument d;
    d.loc = m.loc();
    d.id = Str(m, "id", true);
    d.title = Str(m, "title", true);
    d.publisher = Str(m, "publisher", false);
    d.document = Str(m, "document", false);
    d.revision = Str(m, "revision", false);
    d.date = Str(m, "date", false);
    d.doc = Str(m, "doc", false);
    if (!m.Require("status")) return;
    d.status = ParseStatus(m, Status::kPublished);
    m.Finish();
    spec_.sources.push_back(d);
  }

  void ParseImplementation(const YAML::Node& n) {
    MapView m(r_, n, "implementation " + NameOf(n, "id"));
    if (!m.ok()) return;
    Implementation impl;
    impl.loc = m.loc();
    impl.id = Str(m, "id", true);
    impl.name = Str(m, "name", true);
    impl.role = m.OneOf("role", true, {"svsm", "guest"}).value_or("");
    impl.revision = Str(m, "revision", false);
    impl.doc = Str(m, "doc", false);
    m.Finish();
    spec_.implementations.push_back(impl);
  }

  void ParseCallingConvention(MapView& top) {
    YAML::Node n = top.Get("calling_convention");
    MapView m(r_, n, "calling_convention");
    if (!m.ok()) return;
    if (spec_.calling_convention) {
      r_.Error(n, "calling_convention is given twice; it was already given in another file");
      return;
    }
    CallingConvention cc;
    cc.loc = m.loc();
    cc.rax_in = Str(m, "rax_in", true);
    if (auto w = m.OneOf("rax_out_width", true, {"32", "64"})) cc.rax_out_width = std::stoul(*w);
    m.List("argument_registers", true, [&](const YAML::Node& item, std::size_t) {
      if (auto s = r_.OneOf(item, "argument register", kRegisterNames)) {
        cc.argument_registers.push_back(*RegisterFromName(*s));
      }
    });
    cc.calling_area = Str(m, "calling_area", true);
    cc.secrets_page = Str(m, "secrets_page", true);
    cc.vmgexit_exit_code = m.Unsigned("vmgexit_exit_code", false, kU64Max);
    cc.semantics = Str(m, "semantics", false);
    ParseCitations(m, cc.source, cc.see);
    m.Finish();
    spec_.calling_convention = cc;
  }

  // The element lists a file or a protocol may carry.
  void ParseShared(MapView& m, const std::string& protocol, Status status, uint32_t since) {
    m.List("result_codes", false,
           [&](const YAML::Node& n, std::size_t) { ParseResultCode(n, protocol, status, since); });
    m.List("result_ranges", false,
           [&](const YAML::Node& n, std::size_t) { ParseResultRange(n, protocol, status); });
    m.List("guids", false,
           [&](const YAML::Node& n, std::size_t) { ParseGuid(n, protocol, status); });
    m.List("enums", false,
           [&](const YAML::Node& n, std::size_t) { ParseEnum(n, protocol, status, since); });
    m.List("bitfields", false,
           [&](const YAML::Node& n, std::size_t) { ParseBitfield(n, protocol, status, since); });
    m.List("structures", false,
           [&](const YAML::Node& n, std::size_t) { ParseStructure(n, protocol, status, since); });
  }

  // Re-opens `n` with a name for messages once the element's name is known.
  std::string NameOf(const YAML::Node& n, const char* key) {
    if (n.IsMap() && n[key] && n[key].IsScalar()) return n[key].Scalar();
    return "?";
  }

  void ParseResultCode(const YAML::Node& n, const std::string& protocol, Status status,
                       uint32_t since) {
    MapView m(r_, n, "result code " + NameOf(n, "name"));
    if (!m.ok()) return;
    ResultCode c;
    c.loc = m.loc();
    c.protocol = protocol;
    c.name = Str(m, "name", true);
    c.value = static_cast<uint32_t>(m.Unsigned("value", true, kU32Max).value_or(0));
    c.meaning = Str(m, "meaning", true);
    c.status = ParseStatus(m, status);
    c.since = ParseSince(m, since);
    c.aliases = m.StringList("aliases", false);
    ParseCitations(m, c.source, c.see);
    m.Finish();
    spec_.result_codes.push_back(c);
  }

  void ParseResultRange(const YAML::Node& n, const std::string& protocol, Status status) {
    MapView m(r_, n, "result range " + NameOf(n, "name"));
    if (!m.ok()) return;
    ResultRange rr;
    rr.loc = m.loc();
    rr.protocol = protocol;
    rr.name = Str(m, "name", true);
    rr.first = static_cast<uint32_t>(m.Unsigned("first", true, kU32Max).value_or(0));
    rr.last = static_cast<uint32_t>(m.Unsigned("last", true, kU32Max).value_or(0));
    if (auto c = m.OneOf("class", true, {"success", "need-memory", "error"})) {
      rr.cls = *c == "success"       ? RangeClass::kSuccess
               : *c == "need-memory" ? RangeClass::kNeedMemory
                                     : RangeClass::kError;
    }
    rr.defined_by = protocol.empty() ? RangeOwner::kGeneral : RangeOwner::kProtocol;
    if (auto o = m.OneOf("defined_by", false, {"general", "protocol", "reserved"})) {
      rr.defined_by = *o == "general"    ? RangeOwner::kGeneral
                      : *o == "protocol" ? RangeOwner::kProtocol
                                         : RangeOwner::kReserved;
    }
    rr.meaning = Str(m, "meaning", true);
    rr.status = ParseStatus(m, status);
    ParseCitations(m, rr.source, rr.see);
    m.Finish();
    spec_.result_ranges.push_back(rr);
  }

  void ParseGuid(const YAML::Node& n, const std::string& protocol, Status status) {
    MapView m(r_, n, "guid " + NameOf(n, "name"));
    if (!m.ok()) return;
    Guid g;
    g.loc = m.loc();
    g.protocol = protocol;
    g.name = Str(m, "name", true);
    g.value = Str(m, "value", true);
    if (!g.value.empty() && g.Bytes().empty()) {
      r_.Error(m.Get("value"), "guid value '" + g.value +
                                   "' is not in the form xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx "
                                   "(lower-case hex) (in " +
                                   m.what() + ")");
    }
    g.meaning = Str(m, "meaning", true);
    g.status = ParseStatus(m, status);
    ParseCitations(m, g.source, g.see);
    m.Finish();
    spec_.guids.push_back(g);
  }

  void ParseEnum(const YAML::Node& n, const std::string& protocol, Status status, uint32_t since) {
    MapView m(r_, n, "enum " + NameOf(n, "name"));
    if (!m.ok()) return;
    Enum e;
    e.loc = m.loc();
    e.protocol = protocol;
    e.name = Str(m, "name", true);
    e.doc = Str(m, "doc", false);
    m.List("values", true, [&](const YAML::Node& vn, std::size_t) {
      MapView vm(r_, vn, "value " + NameOf(vn, "name") + " of enum " + e.name);
      if (!vm.ok()) return;
      EnumValue v;
      v.loc = vm.loc();
      v.name = Str(vm, "name", true);
      v.value = vm.Unsigned("value", true, kU64Max).value_or(0);
      v.doc = Str(vm, "doc", false);
      v.status = ParseStatus(vm, status);
      v.since = ParseSince(vm, since);
      vm.Finish();
      e.values.push_back(v);
    });
    std::vector<SourceRef> unused_see;
    ParseCitations(m, false, e.source, unused_see);
    m.Finish();
    spec_.enums.push_back(e);
  }

  std::optional<BitRange> ParseBitRange(const YAML::Node& n, const std::string& owner,
                                        Status status, uint32_t since) {
    MapView m(r_, n, "bit field " + NameOf(n, "name") + " of " + owner);
    if (!m.ok()) return std::nullopt;
    BitRange b;
    b.loc = m.loc();
    b.name = Str(m, "name", true);
    const bool has_bits = m.Has("bits"), has_bit = m.Has("bit");
    if (has_bits == has_bit) {
      r_.Error(n, "give exactly one of 'bits: [msb, lsb]' or 'bit: n' (in " + m.what() + ")");
      if (has_bit) m.Get("bit");  // known key; the error above already says what is wrong
    }
    if (has_bits) {
      YAML::Node bits = m.Get("bits");
      if (bits.IsDefined()) {
        if (!bits.IsSequence() || bits.size() != 2) {
          r_.Error(bits, "'bits' must be a list [msb, lsb] (in " + m.what() + ")");
        } else {
          auto msb = r_.Unsigned(bits[0], "msb (in " + m.what() + ")", 63);
          auto lsb = r_.Unsigned(bits[1], "lsb (in " + m.what() + ")", 63);
          if (msb && lsb) {
            if (*msb < *lsb) {
              r_.Error(bits, "bits [" + std::to_string(*msb) + ", " + std::to_string(*lsb) +
                                 "] are reversed: write [msb, lsb] (in " + m.what() + ")");
            }
            b.msb = static_cast<unsigned>(std::max(*msb, *lsb));
            b.lsb = static_cast<unsigned>(std::min(*msb, *lsb));
          }
        }
      }
    } else if (has_bit) {
      if (auto bit = m.Unsigned("bit", true, 63)) b.msb = b.lsb = static_cast<unsigned>(*bit);
    }
    b.doc = Str(m, "doc", false);
    b.enum_name = Str(m, "enum", false);
    b.mbz = m.Bool("mbz", false).value_or(false);
    b.reserved = m.Bool("reserved", false).value_or(false);
    b.shift = static_cast<unsigned>(m.Unsigned("shift", false, 63).value_or(0));
    b.status = ParseStatus(m, status);
    b.since = ParseSince(m, since);
    m.Finish();
    return b;
  }

  void ParseBitfield(const YAML::Node& n, const std::string& protocol, Status status,
                     uint32_t since) {
    MapView m(r_, n, "bitfield " + NameOf(n, "name"));
    if (!m.ok()) return;
    Bitfield bf;
    bf.loc = m.loc();
    bf.protocol = protocol;
    bf.name = Str(m, "name", true);
    bf.title = Str(m, "title", false);
    bf.doc = Str(m, "doc", false);
    if (auto w = m.OneOf("width", true, {"8", "16", "32", "64"})) bf.width = std::stoul(*w);
    bf.status = ParseStatus(m, status);
    m.List("fields", true, [&](const YAML::Node& fn, std::size_t) {
      if (auto f = ParseBitRange(fn, "bitfield " + bf.name, bf.status, since)) {
        bf.fields.push_back(*f);
      }
    });
    ParseCitations(m, false, bf.source, bf.see);
    m.Finish();
    spec_.bitfields.push_back(bf);
  }

  std::optional<StructField> ParseStructField(const YAML::Node& n, const std::string& owner,
                                              Status status, uint32_t since) {
    MapView m(r_, n, "field " + NameOf(n, "name") + " of structure " + owner);
    if (!m.ok()) return std::nullopt;
    StructField f;
    f.loc = m.loc();
    f.name = Str(m, "name", true);
    f.offset = static_cast<uint32_t>(m.Unsigned("offset", true, kU32Max).value_or(0));
    if (auto t = m.OneOf(
            "type", true,
            {"u8", "u16", "u32", "u64", "gpa", "bytes", "guid", "bitfield", "struct", "array"})) {
      f.type = *FieldTypeFromName(*t);
    }
    if (auto v = m.Unsigned("size", false, kU32Max)) f.size = static_cast<uint32_t>(*v);
    f.size_field = Str(m, "size_field", false);
    if (auto v = m.Unsigned("max_size", false, kU32Max)) f.max_size = static_cast<uint32_t>(*v);
    f.layout = Str(m, "layout", false);
    f.struct_name = Str(m, "struct", false);
    f.enum_name = Str(m, "enum", false);
    if (m.Has("element")) {
      MapView em(r_, m.Get("element"), "element of " + m.what());
      if (em.ok()) {
        ArrayElement el;
        if (auto t = em.OneOf("type", true,
                              {"u8", "u16", "u32", "u64", "gpa", "guid", "bitfield", "struct"})) {
          el.type = *FieldTypeFromName(*t);
        }
        el.layout = Str(em, "layout", false);
        el.struct_name = Str(em, "struct", false);
        em.Finish();
        f.element = el;
      }
    }
    if (auto v = m.Unsigned("count", false, kU32Max)) f.count = static_cast<uint32_t>(*v);
    f.count_field = Str(m, "count_field", false);
    if (auto v = m.Unsigned("min_count", false, kU32Max)) f.min_count = static_cast<uint32_t>(*v);
    if (auto v = m.Unsigned("max_count", false, kU32Max)) f.max_count = static_cast<uint32_t>(*v);
    f.align = m.Unsigned("align", false, kU64Max);
    f.points_to = Str(m, "points_to", false);
    f.mbz = m.Bool("mbz", false).value_or(false);
    f.reserved = m.Bool("reserved", false).value_or(false);
    if (auto bo = m.OneOf("byte_order", false, {"little", "big"})) f.big_endian = *bo == "big";
    f.doc = Str(m, "doc", false);
    f.status = ParseStatus(m, status);
    f.since = ParseSince(m, since);
    m.Finish();
    return f;
  }

  void ParseStructure(const YAML::Node& n, const std::string& protocol, Status status,
                      uint32_t since) {
    MapView m(r_, n, "structure " + NameOf(n, "name"));
    if (!m.ok()) return;
    Structure s;
    s.loc = m.loc();
    s.protocol = protocol;
    s.name = Str(m, "name", true);
    s.title = Str(m, "title", true);
    s.size = static_cast<uint32_t>(m.Unsigned("size", true, kU32Max).value_or(0));
    s.variable = m.Bool("variable", false).value_or(false);
    if (auto v = m.Unsigned("max_size", false, kU32Max)) s.max_size = static_cast<uint32_t>(*v);
    s.align = m.Unsigned("align", false, kU64Max);
    s.within_page = m.Bool("within_page", false).value_or(false);
    s.sparse = m.Bool("sparse", false).value_or(false);
    s.doc = Str(m, "doc", false);
    s.status = ParseStatus(m, status);
    s.since = ParseSince(m, since);
    m.List("fields", true, [&](const YAML::Node& fn, std::size_t) {
      if (auto f = ParseStructField(fn, s.name, s.status, s.since)) s.fields.push_back(*f);
    });
    ParseCitations(m, s.source, s.see);
    m.Finish();
    spec_.structures.push_back(s);
  }

  std::optional<RegisterUse> ParseRegisterUse(const YAML::Node& n, const std::string& owner,
                                              Status status, uint32_t since) {
    MapView m(r_, n, "register " + NameOf(n, "name") + " of " + owner);
    if (!m.ok()) return std::nullopt;
    RegisterUse u;
    u.loc = m.loc();
    if (auto reg = m.OneOf("reg", true, kRegisterNames)) u.reg = *RegisterFromName(*reg);
    u.name = Str(m, "name", true);
    if (auto t = m.OneOf("type", true, {"u8", "u16", "u32", "u64", "gpa", "bitfield"})) {
      u.type = *FieldTypeFromName(*t);
    }
    u.layout = Str(m, "layout", false);
    u.enum_name = Str(m, "enum", false);
    u.align = m.Unsigned("align", false, kU64Max);
    u.points_to = Str(m, "points_to", false);
    u.doc = Str(m, "doc", false);
    u.status = ParseStatus(m, status);
    u.since = ParseSince(m, since);
    m.Finish();
    return u;
  }

  Registers ParseRegisters(const YAML::Node& n, const std::string& owner, Status status,
                           uint32_t since) {
    Registers regs;
    MapView m(r_, n, "registers of " + owner);
    if (!m.ok()) return regs;
    m.List("in", false, [&](const YAML::Node& rn, std::size_t) {
      if (auto u = ParseRegisterUse(rn, owner + " (in)", status, since)) regs.in.push_back(*u);
    });
    m.List("out", false, [&](const YAML::Node& rn, std::size_t) {
      if (auto u = ParseRegisterUse(rn, owner + " (out)", status, since)) regs.out.push_back(*u);
    });
    m.Finish();
    return regs;
  }

  std::optional<Divergence> ParseDivergence(const YAML::Node& n, const std::string& owner) {
    MapView m(r_, n, "divergence of " + owner);
    if (!m.ok()) return std::nullopt;
    Divergence d;
    d.loc = m.loc();
    d.implementation = Str(m, "implementation", true);
    d.behaviour = Str(m, "behaviour", true);
    d.result = Str(m, "result", false);
    d.since = Str(m, "since", false);
    d.until = Str(m, "until", false);
    std::vector<SourceRef> unused_see;
    ParseCitations(m, d.source, unused_see);
    m.Finish();
    return d;
  }

  std::optional<Rule> ParseRule(const YAML::Node& n, const std::string& protocol,
                                const std::string& call, Status status, uint32_t since) {
    MapView m(r_, n, "rule " + NameOf(n, "id"));
    if (!m.ok()) return std::nullopt;
    Rule rule;
    rule.loc = m.loc();
    rule.protocol = protocol;
    rule.call = call;
    rule.id = Str(m, "id", true);
    if (auto k = m.OneOf("kind", true, {"error", "effect", "freedom"})) {
      rule.kind = *k == "error"    ? RuleKind::kError
                  : *k == "effect" ? RuleKind::kEffect
                                   : RuleKind::kFreedom;
    }
    rule.summary = Str(m, "summary", true);
    rule.when = Str(m, "when", false);
    rule.result = Str(m, "result", false);
    rule.allowed_results = m.StringList("allowed_results", false);
    m.List("outputs", false, [&](const YAML::Node& on, std::size_t) {
      MapView om(r_, on, "output of rule " + rule.id);
      if (!om.ok()) return;
      RuleOutput out{Str(om, "target", true), Str(om, "value", true)};
      om.Finish();
      rule.outputs.push_back(out);
    });
    rule.checks = m.StringList("checks", false);
    m.List("enforces", false, [&](const YAML::Node& en, std::size_t) {
      MapView em(r_, en, "enforcement of rule " + rule.id);
      if (!em.ok()) return;
      Enforcement e;
      e.loc = em.loc();
      e.target = Str(em, "target", true);
      auto constraint = em.OneOf("constraint", true, kConstraintNames);
      em.Finish();
      if (e.target.empty() || !constraint) return;
      e.constraint = *ConstraintFromName(*constraint);
      rule.enforces.push_back(e);
    });
    rule.status = ParseStatus(m, status);
    rule.since = ParseSince(m, since);
    ParseCitations(m, rule.source, rule.see);
    m.List("divergences", false, [&](const YAML::Node& dn, std::size_t) {
      if (auto d = ParseDivergence(dn, "rule " + rule.id)) rule.divergences.push_back(*d);
    });
    m.Finish();
    return rule;
  }

  std::optional<OpenQuestion> ParseOpenQuestion(const YAML::Node& n) {
    MapView m(r_, n, "open question " + NameOf(n, "id"));
    if (!m.ok()) return std::nullopt;
    OpenQuestion q;
    q.loc = m.loc();
    q.id = Str(m, "id", true);
    q.question = Str(m, "question", true);
    m.List("alternatives", true, [&](const YAML::Node& an, std::size_t) {
      MapView am(r_, an, "alternative of open question " + q.id);
      if (!am.ok()) return;
      Alternative a;
      a.id = Str(am, "id", true);
      a.text = Str(am, "text", true);
      a.proposed_by = Str(am, "proposed_by", false);
      std::vector<SourceRef> unused_see;
      ParseCitations(am, false, a.source, unused_see);
      am.Finish();
      q.alternatives.push_back(a);
    });
    std::vector<SourceRef> unused_see;
    ParseCitations(m, q.source, unused_see);
    m.Finish();
    return q;
  }

  std::optional<CheckOrder> ParseCheckOrder(const YAML::Node& n, const std::string& owner) {
    MapView m(r_, n, "check_order of " + owner);
    if (!m.ok()) return std::nullopt;
    CheckOrder co;
    co.loc = m.loc();
    co.specified = m.Bool("specified", true).value_or(false);
    co.note = Str(m, "note", true);
    co.order = m.StringList("order", false);
    m.List("observed", false, [&](const YAML::Node& on, std::size_t) {
      MapView om(r_, on, "observed order of " + owner);
      if (!om.ok()) return;
      ObservedOrder o;
      o.implementation = Str(om, "implementation", true);
      o.order = om.StringList("order", true);
      std::vector<SourceRef> unused_see;
      ParseCitations(om, o.source, unused_see);
      om.Finish();
      co.observed.push_back(o);
    });
    m.Finish();
    return co;
  }

  std::optional<Call> ParseCall(const YAML::Node& n, const Protocol& p) {
    MapView m(r_, n, "call " + NameOf(n, "name"));
    if (!m.ok()) return std::nullopt;
    Call c;
    c.loc = m.loc();
    c.id = static_cast<uint32_t>(m.Unsigned("id", true, kU32Max).value_or(0));
    c.name = Str(m, "name", true);
    c.key = Str(m, "key", true);
    if (m.Require("since")) c.since = ParseSince(m, p.min_version);
    if (m.Require("status")) c.status = ParseStatus(m, p.status);
    c.optional = m.Bool("optional", false).value_or(false);
    c.summary = Str(m, "summary", true);
    c.semantics = Str(m, "semantics", false);
    const bool has_regs = m.Has("registers"), has_forms = m.Has("forms");
    if (has_regs == has_forms) {
      r_.Error(n, "give exactly one of 'registers' or 'forms' (in " + m.what() + ")");
    }
    if (has_regs) {
      YAML::Node rn = m.Get("registers");
      if (rn.IsDefined()) c.registers = ParseRegisters(rn, m.what(), c.status, c.since);
    }
    m.List("forms", false, [&](const YAML::Node& fn, std::size_t) {
      MapView fm(r_, fn, "form " + NameOf(fn, "name") + " of " + m.what());
      if (!fm.ok()) return;
      Form f;
      f.loc = fm.loc();
      f.name = Str(fm, "name", true);
      f.doc = Str(fm, "doc", false);
      if (fm.Require("selector")) {
        MapView sm(r_, fm.Get("selector"), "selector of " + fm.what());
        if (sm.ok()) {
          f.selector.loc = sm.loc();
          if (auto reg = sm.OneOf("reg", true, kRegisterNames)) {
            f.selector.reg = *RegisterFromName(*reg);
          }
          f.selector.field = Str(sm, "field", true);
          f.selector.value = sm.Unsigned("value", true, kU64Max).value_or(0);
          sm.Finish();
        }
      }
      if (fm.Require("registers")) {
        f.registers = ParseRegisters(fm.Get("registers"), fm.what(), c.status, c.since);
      }
      fm.Finish();
      c.forms.push_back(f);
    });
    m.List("rules", false, [&](const YAML::Node& rn, std::size_t) {
      if (auto rule = ParseRule(rn, p.key, c.key, c.status, c.since)) c.rules.push_back(*rule);
    });
    if (m.Has("check_order")) {
      YAML::Node on = m.Get("check_order");
      if (on.IsDefined()) c.check_order = ParseCheckOrder(on, m.what());
    }
    m.List("open_questions", false, [&](const YAML::Node& qn, std::size_t) {
      if (auto q = ParseOpenQuestion(qn)) c.open_questions.push_back(*q);
    });
    ParseCitations(m, c.source, c.see);
    m.Finish();
    return c;
  }

  void ParseProtocol(const YAML::Node& n) {
    MapView m(r_, n, "protocol " + NameOf(n, "key"));
    if (!m.ok()) return;
    Protocol p;
    p.loc = m.loc();
    p.file = r_.file();
    p.key = Str(m, "key", true);
    p.number = static_cast<uint32_t>(m.Unsigned("number", true, kU32Max).value_or(0));
    p.name = Str(m, "name", true);
    p.c_prefix = Str(m, "c_prefix", true);
    if (m.Require("status")) p.status = ParseStatus(m, Status::kPublished);
    p.mandatory = m.Bool("mandatory", true).value_or(false);
    if (m.Require("versions")) {
      MapView vm(r_, m.Get("versions"), "versions of " + m.what());
      if (vm.ok()) {
        p.min_version = static_cast<uint32_t>(vm.Unsigned("min", true, kU32Max).value_or(1));
        p.max_version = static_cast<uint32_t>(vm.Unsigned("max", true, kU32Max).value_or(1));
        if (p.min_version == 0) {
          r_.Error(vm.Get("min"), "protocol versions start at 1 (in " + vm.what() + ")");
        }
        if (p.max_version < p.min_version) {
          r_.Error(vm.node(), "versions.max " + std::to_string(p.max_version) +
                                  " is below versions.min " + std::to_string(p.min_version) +
                                  " (in " + vm.what() + ")");
        }
        vm.Finish();
      }
    }
    p.summary = Str(m, "summary", true);
    p.semantics = Str(m, "semantics", false);
    ParseCitations(m, p.source, p.see);
    ParseShared(m, p.key, p.status, p.min_version);
    m.List("calls", true, [&](const YAML::Node& cn, std::size_t) {
      if (auto c = ParseCall(cn, p)) p.calls.push_back(*c);
    });
    m.List("rules", false, [&](const YAML::Node& rn, std::size_t) {
      if (auto rule = ParseRule(rn, p.key, "", p.status, p.min_version)) p.rules.push_back(*rule);
    });
    m.List("open_questions", false, [&](const YAML::Node& qn, std::size_t) {
      if (auto q = ParseOpenQuestion(qn)) p.open_questions.push_back(*q);
    });
    m.List("divergences", false, [&](const YAML::Node& dn, std::size_t) {
      if (auto d = ParseDivergence(dn, "protocol " + p.key)) p.divergences.push_back(*d);
    });
    m.Finish();
    spec_.protocols.push_back(p);
  }

  Spec& spec_;
  YamlReader& r_;
};

// Receives parser events and keeps nothing: used only to count documents.
class NullEventHandler : public YAML::EventHandler {
 public:
  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}
};

void ParseText(Spec& spec, const SpecText& text, Diagnostics& diagnostics) {
  YamlReader reader(text.name, diagnostics);
  if (text.text.size() > kMaxFileBytes) {
    diagnostics.Error(
        {text.name, 1, 1},
        "file is larger than " + std::to_string(kMaxFileBytes >> 20) + " MiB; refusing to read it");
    return;
  }
  YAML::Node root;
  try {
    // yaml-cpp 0.7 can produce empty documents forever when a stream starts with ','
    // (jbeder/yaml-cpp#1040), so count documents with the event parser, stopping at two,
    // before building any node.
    std::istringstream stream(text.text);
    YAML::Parser parser(stream);
    NullEventHandler discard;
    int documents = 0;
    while (documents < 2 && parser.HandleNextDocument(discard)) ++documents;
    if (documents != 1) {
      diagnostics.Error({text.name, 1, 1},
                        documents == 0 ? std::string("file holds no YAML document")
                                       : std::string("expected exactly one YAML document, "
                                                     "found more (a second '---' or a stray "
                                                     "top-level token)"));
      return;
    }
    root = YAML::Load(text.text);
  } catch (const YAML::Exception& e) {
    diagnostics.Error({text.name, e.mark.is_null() ? 1 : e.mark.line + 1,
                       e.mark.is_null() ? 1 : e.mark.column + 1},
                      "YAML syntax error: " + e.msg);
    return;
  } catch (const std::exception& e) {
    diagnostics.Error({text.name, 1, 1}, std::string("cannot parse YAML: ") + e.what());
    return;
  }
  spec.files.push_back(text.name);
  try {
    FileParser(spec, reader).ParseDocument(root);
  } catch (const std::exception& e) {
    // yaml-cpp may throw on corner cases we did not foresee; it must not escape.
    diagnostics.Error({text.name, 1, 1}, std::string("cannot read spec file: ") + e.what());
  }
}

}  // namespace

LoadResult LoadSpecTexts(const std::vector<SpecText>& texts) {
  LoadResult result;
  auto spec = std::make_shared<Spec>();
  for (const auto& t : texts) ParseText(*spec, t, result.diagnostics);
  if (!result.diagnostics.has_errors()) LintSpec(*spec, result.diagnostics);
  if (!result.diagnostics.has_errors()) result.spec = std::move(spec);
  return result;
}

LoadResult LoadSpecFiles(const std::vector<std::filesystem::path>& paths) {
  LoadResult result;
  std::vector<SpecText> texts;
  auto read = [&](const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    if (!in) {
      result.diagnostics.Error({p.string(), 0, 0}, "cannot open file");
      return;
    }
    std::ostringstream ss;
    ss << in.rdbuf();
    texts.push_back({p.string(), ss.str()});
  };
  for (const auto& p : paths) {
    std::error_code ec;
    if (std::filesystem::is_directory(p, ec)) {
      std::vector<std::filesystem::path> files;
      for (auto it = std::filesystem::recursive_directory_iterator(p, ec);
           !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
        if (it->is_regular_file(ec) && it->path().extension() == ".yaml") {
          files.push_back(it->path());
        }
      }
      if (ec)
        result.diagnostics.Error({p.string(), 0, 0}, "cannot list directory: " + ec.message());
      std::sort(files.begin(), files.end());
      if (files.empty()) result.diagnostics.Error({p.string(), 0, 0}, "no *.yaml files found");
      for (const auto& f : files) read(f);
    } else {
      read(p);
    }
  }
  if (result.diagnostics.has_errors()) return result;
  LoadResult loaded = LoadSpecTexts(texts);
  return loaded;
}

}  // namespace svsm_spec
