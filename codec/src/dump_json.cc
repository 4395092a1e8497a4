#include "svsm_spec/dump_json.h"

#include <cstdio>

namespace svsm_spec {
namespace {

using Json = nlohmann::ordered_json;

std::string Hex(uint64_t v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

// Result codes keep their conventional 8-digit width.
std::string Hex32(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", v);
  return buf;
}

Json Source(const SourceRef& s) {
  return {{"doc", s.doc}, {"ref", s.ref}};
}

void PutCitations(Json& j, const SourceRef& source, const std::vector<SourceRef>& see) {
  j["source"] = Source(source);
  if (!see.empty()) {
    Json arr = Json::array();
    for (const auto& s : see) arr.push_back(Source(s));
    j["see"] = arr;
  }
}

void PutIf(Json& j, const char* key, const std::string& value) {
  if (!value.empty()) j[key] = value;
}

Json Divergences(const std::vector<Divergence>& divs) {
  Json arr = Json::array();
  for (const auto& d : divs) {
    Json j = {{"implementation", d.implementation}, {"behaviour", d.behaviour}};
    PutIf(j, "result", d.result);
    PutIf(j, "since", d.since);
    PutIf(j, "until", d.until);
    j["source"] = Source(d.source);
    arr.push_back(j);
  }
  return arr;
}

Json RuleJson(const Rule& r, const Spec& spec) {
  Json j = {{"id", r.id}, {"kind", RuleKindName(r.kind)}, {"summary", r.summary}};
  PutIf(j, "when", r.when);
  if (!r.result.empty()) {
    j["result"] = r.result;
    if (const ResultCode* c = spec.FindResultCode(r.result, r.protocol)) {
      j["result_value"] = Hex32(c->value);
    }
  }
  if (!r.allowed_results.empty()) j["allowed_results"] = r.allowed_results;
  if (!r.outputs.empty()) {
    Json outs = Json::array();
    for (const auto& o : r.outputs) outs.push_back({{"target", o.target}, {"value", o.value}});
    j["outputs"] = outs;
  }
  if (!r.checks.empty()) j["checks"] = r.checks;
  if (!r.enforces.empty()) {
    Json enforces = Json::array();
    for (const auto& e : r.enforces) {
      enforces.push_back({{"target", e.target}, {"constraint", ConstraintName(e.constraint)}});
    }
    j["enforces"] = enforces;
  }
  j["status"] = StatusName(r.status);
  j["since"] = r.since;
  PutCitations(j, r.source, r.see);
  if (!r.divergences.empty()) j["divergences"] = Divergences(r.divergences);
  return j;
}

Json Rules(const std::vector<Rule>& rules, const Spec& spec) {
  Json arr = Json::array();
  for (const auto& r : rules) arr.push_back(RuleJson(r, spec));
  return arr;
}

Json RegisterJson(const RegisterUse& u) {
  Json j = {{"reg", RegisterName(u.reg)}, {"name", u.name}, {"type", FieldTypeName(u.type)}};
  PutIf(j, "layout", u.layout);
  PutIf(j, "enum", u.enum_name);
  if (u.align) j["align"] = Hex(*u.align);
  PutIf(j, "points_to", u.points_to);
  PutIf(j, "doc", u.doc);
  j["status"] = StatusName(u.status);
  j["since"] = u.since;
  return j;
}

Json RegistersJson(const Registers& regs) {
  Json in = Json::array(), out = Json::array();
  for (const auto& u : regs.in) in.push_back(RegisterJson(u));
  for (const auto& u : regs.out) out.push_back(RegisterJson(u));
  return {{"in", in}, {"out", out}};
}

Json OpenQuestions(const std::vector<OpenQuestion>& qs) {
  Json arr = Json::array();
  for (const auto& q : qs) {
    Json alts = Json::array();
    for (const auto& a : q.alternatives) {
      Json aj = {{"id", a.id}, {"text", a.text}};
      PutIf(aj, "proposed_by", a.proposed_by);
      if (a.source) aj["source"] = Source(*a.source);
      alts.push_back(aj);
    }
    arr.push_back({{"id", q.id},
                   {"question", q.question},
                   {"alternatives", alts},
                   {"source", Source(q.source)}});
  }
  return arr;
}

Json CallJson(const Protocol& p, const Call& c, const Spec& spec) {
  Json j = {{"id", c.id},
            {"name", c.name},
            {"key", c.key},
            {"rax", Hex((uint64_t{p.number} << 32) | c.id)},
            {"since", c.since},
            {"status", StatusName(c.status)},
            {"optional", c.optional},
            {"summary", c.summary}};
  PutIf(j, "semantics", c.semantics);
  if (c.registers) j["registers"] = RegistersJson(*c.registers);
  if (!c.forms.empty()) {
    Json forms = Json::array();
    for (const auto& f : c.forms) {
      Json fj = {{"name", f.name}};
      PutIf(fj, "doc", f.doc);
      fj["selector"] = {{"reg", RegisterName(f.selector.reg)},
                        {"field", f.selector.field},
                        {"value", Hex(f.selector.value)}};
      fj["registers"] = RegistersJson(f.registers);
      forms.push_back(fj);
    }
    j["forms"] = forms;
  }
  j["rules"] = Rules(c.rules, spec);
  if (c.check_order) {
    Json co = {{"specified", c.check_order->specified}, {"note", c.check_order->note}};
    if (!c.check_order->order.empty()) co["order"] = c.check_order->order;
    Json observed = Json::array();
    for (const auto& o : c.check_order->observed) {
      observed.push_back(
          {{"implementation", o.implementation}, {"order", o.order}, {"source", Source(o.source)}});
    }
    if (!observed.empty()) co["observed"] = observed;
    j["check_order"] = co;
  }
  if (!c.open_questions.empty()) j["open_questions"] = OpenQuestions(c.open_questions);
  PutCitations(j, c.source, c.see);
  return j;
}

Json FieldJson(const StructField& f) {
  Json j = {{"name", f.name}, {"offset", f.offset}, {"type", FieldTypeName(f.type)}};
  if (f.type == FieldType::kArray) {
    j["element_size"] = f.element_size;
    if (f.element) {
      j["element"] = {{"type", FieldTypeName(f.element->type)}};
      PutIf(j["element"], "layout", f.element->layout);
      PutIf(j["element"], "struct", f.element->struct_name);
    }
    if (f.count) j["count"] = *f.count;
    PutIf(j, "count_field", f.count_field);
    if (f.min_count) j["min_count"] = *f.min_count;
    if (f.max_count) j["max_count"] = *f.max_count;
  }
  if (!f.is_variable()) j["size"] = f.fixed_size;
  PutIf(j, "size_field", f.size_field);
  if (f.max_size) j["max_size"] = *f.max_size;
  PutIf(j, "layout", f.layout);
  PutIf(j, "struct", f.struct_name);
  PutIf(j, "enum", f.enum_name);
  if (f.align) j["align"] = Hex(*f.align);
  PutIf(j, "points_to", f.points_to);
  if (f.mbz) j["mbz"] = true;
  if (f.reserved) j["reserved"] = true;
  if (f.big_endian) j["byte_order"] = "big";
  PutIf(j, "doc", f.doc);
  j["status"] = StatusName(f.status);
  j["since"] = f.since;
  return j;
}

Json StructureJson(const Structure& s) {
  Json j = {{"name", s.name}, {"title", s.title}, {"size", s.size}, {"variable", s.variable}};
  if (s.max_size) j["max_size"] = *s.max_size;
  if (s.align) j["align"] = Hex(*s.align);
  j["within_page"] = s.within_page;
  j["sparse"] = s.sparse;
  PutIf(j, "protocol", s.protocol);
  PutIf(j, "doc", s.doc);
  Json fields = Json::array();
  for (const auto& f : s.fields) fields.push_back(FieldJson(f));
  j["fields"] = fields;
  j["status"] = StatusName(s.status);
  PutCitations(j, s.source, s.see);
  return j;
}

Json BitfieldJson(const Bitfield& b) {
  Json j = {{"name", b.name}, {"width", b.width}};
  PutIf(j, "title", b.title);
  PutIf(j, "protocol", b.protocol);
  PutIf(j, "doc", b.doc);
  Json fields = Json::array();
  for (const auto& f : b.fields) {
    Json fj = {{"name", f.name}, {"msb", f.msb}, {"lsb", f.lsb}, {"mask", Hex(f.mask())}};
    if (f.mbz) fj["mbz"] = true;
    if (f.reserved) fj["reserved"] = true;
    if (f.shift) fj["shift"] = f.shift;
    PutIf(fj, "enum", f.enum_name);
    PutIf(fj, "doc", f.doc);
    fj["status"] = StatusName(f.status);
    fj["since"] = f.since;
    fields.push_back(fj);
  }
  j["fields"] = fields;
  j["mbz_mask"] = Hex(b.mbz_mask());
  j["status"] = StatusName(b.status);
  if (b.source) PutCitations(j, *b.source, b.see);
  return j;
}

Json EnumJson(const Enum& e) {
  Json j = {{"name", e.name}};
  PutIf(j, "protocol", e.protocol);
  PutIf(j, "doc", e.doc);
  Json values = Json::array();
  for (const auto& v : e.values) {
    Json vj = {{"name", v.name}, {"value", Hex(v.value)}};
    PutIf(vj, "doc", v.doc);
    vj["status"] = StatusName(v.status);
    values.push_back(vj);
  }
  j["values"] = values;
  if (e.source) j["source"] = Source(*e.source);
  return j;
}

}  // namespace

nlohmann::ordered_json DumpJson(const Spec& spec) {
  Json root;
  root["spec_format"] = kSpecFormatVersion;
  root["metadata"] = {{"title", spec.metadata.title},
                      {"spec_revision", spec.metadata.spec_revision},
                      {"based_on", spec.metadata.based_on}};
  root["files"] = spec.files;

  Json sources = Json::array();
  for (const auto& s : spec.sources) {
    Json j = {{"id", s.id}, {"title", s.title}, {"status", StatusName(s.status)}};
    PutIf(j, "publisher", s.publisher);
    PutIf(j, "document", s.document);
    PutIf(j, "revision", s.revision);
    PutIf(j, "date", s.date);
    sources.push_back(j);
  }
  root["sources"] = sources;

  Json impls = Json::array();
  for (const auto& i : spec.implementations) {
    Json j = {{"id", i.id}, {"name", i.name}, {"role", i.role}};
    PutIf(j, "revision", i.revision);
    impls.push_back(j);
  }
  root["implementations"] = impls;

  if (spec.calling_convention) {
    const auto& cc = *spec.calling_convention;
    Json regs = Json::array();
    for (Register r : cc.argument_registers) regs.push_back(RegisterName(r));
    Json j = {{"rax_in", cc.rax_in},
              {"rax_out_width", cc.rax_out_width},
              {"argument_registers", regs},
              {"calling_area", cc.calling_area},
              {"secrets_page", cc.secrets_page}};
    if (cc.vmgexit_exit_code) j["vmgexit_exit_code"] = Hex(*cc.vmgexit_exit_code);
    PutIf(j, "semantics", cc.semantics);
    PutCitations(j, cc.source, cc.see);
    root["calling_convention"] = j;
  }

  Json ranges = Json::array();
  for (const auto& r : spec.result_ranges) {
    Json j = {{"name", r.name},
              {"first", Hex32(r.first)},
              {"last", Hex32(r.last)},
              {"class", RangeClassName(r.cls)},
              {"defined_by", RangeOwnerName(r.defined_by)}};
    PutIf(j, "protocol", r.protocol);
    j["meaning"] = r.meaning;
    j["status"] = StatusName(r.status);
    j["source"] = Source(r.source);
    ranges.push_back(j);
  }
  root["result_ranges"] = ranges;

  Json codes = Json::array();
  for (const auto& c : spec.result_codes) {
    Json j = {{"name", c.name}, {"value", Hex32(c.value)}};
    PutIf(j, "protocol", c.protocol);
    j["meaning"] = c.meaning;
    if (!c.aliases.empty()) j["aliases"] = c.aliases;
    j["status"] = StatusName(c.status);
    j["since"] = c.since;
    PutCitations(j, c.source, c.see);
    codes.push_back(j);
  }
  root["result_codes"] = codes;

  Json guids = Json::array();
  for (const auto& g : spec.guids) {
    Json j = {{"name", g.name}, {"value", g.value}};
    PutIf(j, "protocol", g.protocol);
    j["meaning"] = g.meaning;
    j["status"] = StatusName(g.status);
    j["source"] = Source(g.source);
    guids.push_back(j);
  }
  root["guids"] = guids;

  Json enums = Json::array(), bitfields = Json::array(), structures = Json::array();
  for (const auto& e : spec.enums) enums.push_back(EnumJson(e));
  for (const auto& b : spec.bitfields) bitfields.push_back(BitfieldJson(b));
  for (const auto& s : spec.structures) structures.push_back(StructureJson(s));
  root["enums"] = enums;
  root["bitfields"] = bitfields;
  root["structures"] = structures;
  root["rules"] = Rules(spec.rules, spec);

  Json protocols = Json::array();
  for (const auto& p : spec.protocols) {
    Json j = {{"key", p.key},
              {"number", p.number},
              {"name", p.name},
              {"c_prefix", p.c_prefix},
              {"status", StatusName(p.status)},
              {"mandatory", p.mandatory},
              {"versions", {{"min", p.min_version}, {"max", p.max_version}}},
              {"summary", p.summary}};
    PutIf(j, "semantics", p.semantics);
    PutCitations(j, p.source, p.see);
    Json calls = Json::array();
    for (const auto& c : p.calls) calls.push_back(CallJson(p, c, spec));
    j["calls"] = calls;
    j["rules"] = Rules(p.rules, spec);
    if (!p.open_questions.empty()) j["open_questions"] = OpenQuestions(p.open_questions);
    if (!p.divergences.empty()) j["divergences"] = Divergences(p.divergences);
    protocols.push_back(j);
  }
  root["protocols"] = protocols;
  return root;
}

}  // namespace svsm_spec
