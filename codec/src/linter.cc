// Semantic checks over the merged model: uniqueness, references, layouts, rule ids.
// The schema cannot express these; every finding names the element and where it is.
#include <algorithm>
#include <map>
#include <set>
#include <tuple>

#include "svsm_spec/loader.h"

namespace svsm_spec {
namespace {

std::string Hex(uint64_t v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "0x%llX", static_cast<unsigned long long>(v));
  return buf;
}

std::string At(const SourceLoc& loc) {
  return loc.file + ":" + std::to_string(loc.line);
}

bool IsPowerOfTwo(uint64_t v) {
  return v != 0 && (v & (v - 1)) == 0;
}

bool IsIntegerType(FieldType t) {
  return t == FieldType::kU8 || t == FieldType::kU16 || t == FieldType::kU32 ||
         t == FieldType::kU64;
}

unsigned IntegerBits(FieldType t) {
  switch (t) {
    case FieldType::kU8:
      return 8;
    case FieldType::kU16:
      return 16;
    case FieldType::kU32:
      return 32;
    default:
      return 64;
  }
}

class Linter {
 public:
  Linter(Spec& spec, Diagnostics& d) : spec_(spec), d_(d) {}

  void Run() {
    CheckUniqueNames();
    CheckSources();
    CheckResultCodes();
    CheckEnums();
    CheckBitfields();
    CheckStructures();
    CheckCallingConvention();
    CheckProtocols();
    CheckRules();
    CheckEnforcementCompleteness();
  }

 private:
  // Reports the second and later occurrence of each key.
  template <typename T, typename KeyFn>
  void Unique(const std::vector<T>& items, KeyFn key, const std::string& what) {
    std::map<std::string, SourceLoc> seen;
    for (const auto& item : items) {
      const std::string k = key(item);
      if (k.empty()) continue;
      auto [it, inserted] = seen.emplace(k, item.loc);
      if (!inserted) {
        d_.Error(item.loc,
                 "duplicate " + what + " '" + k + "'; first defined at " + At(it->second));
      }
    }
  }

  void CheckUniqueNames() {
    Unique(
        spec_.sources, [](const SourceDocument& s) { return s.id; }, "source id");
    Unique(
        spec_.implementations, [](const Implementation& i) { return i.id; }, "implementation id");
    Unique(
        spec_.enums, [](const Enum& e) { return e.name; }, "enum name");
    Unique(
        spec_.bitfields, [](const Bitfield& b) { return b.name; }, "bitfield name");
    Unique(
        spec_.structures, [](const Structure& s) { return s.name; }, "structure name");
    Unique(
        spec_.protocols, [](const Protocol& p) { return p.key; }, "protocol key");
    Unique(
        spec_.guids, [](const Guid& g) { return g.name; }, "guid name");
    Unique(
        spec_.guids, [](const Guid& g) { return g.value; }, "guid value");
    for (const auto& g : spec_.guids) CheckSourceRefs(g.source, g.see);
    Unique(
        spec_.result_ranges, [](const ResultRange& r) { return r.protocol + "/" + r.name; },
        "result range");
    // Enum, bitfield and structure names share the type namespace of generated code. The
    // clash is reported at whichever definition comes later in load order.
    struct TypeDef {
      std::string name;
      SourceLoc loc;
      const char* kind;
    };
    std::vector<TypeDef> defs;
    std::set<std::string> e, b, s;  // same-kind duplicates are reported by Unique() above
    for (const auto& x : spec_.enums) {
      if (e.insert(x.name).second) defs.push_back({x.name, x.loc, "enum"});
    }
    for (const auto& x : spec_.bitfields) {
      if (b.insert(x.name).second) defs.push_back({x.name, x.loc, "bitfield"});
    }
    for (const auto& x : spec_.structures) {
      if (s.insert(x.name).second) defs.push_back({x.name, x.loc, "structure"});
    }
    std::stable_sort(defs.begin(), defs.end(), [&](const TypeDef& l, const TypeDef& r) {
      return LoadOrder(l.loc) < LoadOrder(r.loc);
    });
    std::map<std::string, const TypeDef*> first;
    for (const auto& d : defs) {
      auto [it, inserted] = first.emplace(d.name, &d);
      if (!inserted) {
        d_.Error(d.loc, std::string(d.kind) + " '" + d.name + "' has the name of the " +
                            it->second->kind + " defined at " + At(it->second->loc) +
                            "; enums, bitfields and structures share one namespace");
      }
    }
  }

  // Position of a location in load order: file index, then line and column.
  std::tuple<std::size_t, int, int> LoadOrder(const SourceLoc& loc) const {
    const auto it = std::find(spec_.files.begin(), spec_.files.end(), loc.file);
    return {static_cast<std::size_t>(it - spec_.files.begin()), loc.line, loc.column};
  }

  void CheckSourceRef(const SourceRef& ref) {
    if (!ref.doc.empty() && !spec_.FindSource(ref.doc)) {
      d_.Error(ref.loc, "source '" + ref.doc + "' is not listed in any 'sources'");
    }
  }
  void CheckSourceRefs(const SourceRef& source, const std::vector<SourceRef>& see) {
    CheckSourceRef(source);
    for (const auto& s : see) CheckSourceRef(s);
  }

  void CheckSources() {
    for (const auto& doc : spec_.metadata.based_on) {
      if (!spec_.FindSource(doc)) {
        d_.Error(spec_.metadata.loc, "metadata.based_on names unknown source '" + doc + "'");
      }
    }
    if (spec_.metadata.title.empty()) {
      SourceLoc loc{spec_.files.empty() ? "spec" : spec_.files.front(), 1, 1};
      d_.Error(loc, "no file gives 'metadata' (title and spec_revision)");
    }
  }

  void CheckResultCodes() {
    for (const auto& r : spec_.result_ranges) {
      CheckSourceRefs(r.source, r.see);
      if (r.first > r.last) {
        d_.Error(r.loc, "result range '" + r.name + "' has first " + Hex(r.first) + " above last " +
                            Hex(r.last));
      }
    }
    // General ranges partition the code space; they must not overlap.
    std::vector<const ResultRange*> general;
    for (const auto& r : spec_.result_ranges) {
      if (r.protocol.empty()) general.push_back(&r);
    }
    for (std::size_t i = 0; i < general.size(); ++i) {
      for (std::size_t j = 0; j < i; ++j) {
        if (general[i]->first <= general[j]->last && general[j]->first <= general[i]->last) {
          d_.Error(general[i]->loc, "result range '" + general[i]->name + "' overlaps range '" +
                                        general[j]->name + "' defined at " + At(general[j]->loc));
        }
      }
    }
    // Names (and aliases) are global; values are unique per owner, and a protocol code may
    // not reuse a general value.
    std::map<std::string, SourceLoc> names;
    std::map<std::pair<std::string, uint32_t>, const ResultCode*> values;
    for (const auto& c : spec_.result_codes) {
      CheckSourceRefs(c.source, c.see);
      std::vector<std::string> all_names = c.aliases;
      all_names.insert(all_names.begin(), c.name);
      for (const auto& n : all_names) {
        auto [it, inserted] = names.emplace(n, c.loc);
        if (!inserted) {
          d_.Error(c.loc,
                   "duplicate result code name '" + n + "'; first defined at " + At(it->second));
        }
      }
      auto [it, inserted] = values.emplace(std::make_pair(c.protocol, c.value), &c);
      if (!inserted) {
        d_.Error(c.loc, "result code " + c.name + " reuses value " + Hex(c.value) + " of " +
                            it->second->name + " (" + At(it->second->loc) + ")");
      }
      if (!c.protocol.empty()) {
        auto g = values.find({"", c.value});
        if (g != values.end()) {
          d_.Error(c.loc, "protocol result code " + c.name + " reuses general value " +
                              Hex(c.value) + " of " + g->second->name);
        }
      }
      // The owner must be allowed to define codes at that value.
      const ResultRange* home = nullptr;
      for (const ResultRange* r : general) {
        if (c.value >= r->first && c.value <= r->last) home = r;
      }
      if (general.empty()) continue;  // reported below when the general file is missing
      const RangeOwner want = c.protocol.empty() ? RangeOwner::kGeneral : RangeOwner::kProtocol;
      if (home == nullptr) {
        d_.Error(c.loc, "result code " + c.name + " value " + Hex(c.value) +
                            " lies in no general result range");
      } else if (home->defined_by != want) {
        d_.Error(c.loc, "result code " + c.name + " value " + Hex(c.value) + " lies in range '" +
                            home->name + "', which is " + RangeOwnerName(home->defined_by) +
                            ", but the code is defined by " +
                            (c.protocol.empty() ? std::string("the general spec")
                                                : "protocol " + c.protocol));
      }
    }
  }

  void CheckEnums() {
    for (const auto& e : spec_.enums) {
      if (e.source) CheckSourceRef(*e.source);
      if (e.values.empty()) d_.Error(e.loc, "enum " + e.name + " lists no values");
      Unique(
          e.values, [](const EnumValue& v) { return v.name; }, "value name in enum " + e.name);
      std::map<uint64_t, const EnumValue*> seen;
      for (const auto& v : e.values) {
        auto [it, inserted] = seen.emplace(v.value, &v);
        if (!inserted) {
          d_.Error(v.loc, "enum " + e.name + " value " + v.name + " reuses value " + Hex(v.value) +
                              " of " + it->second->name);
        }
      }
    }
  }

  void CheckEnumFits(const std::string& enum_name, unsigned bits, const SourceLoc& loc,
                     const std::string& what) {
    if (enum_name.empty()) return;
    const Enum* e = spec_.FindEnum(enum_name);
    if (!e) {
      d_.Error(loc, what + " refers to unknown enum '" + enum_name + "'");
      return;
    }
    if (bits >= 64) return;
    for (const auto& v : e->values) {
      if (v.value >> bits) {
        d_.Error(loc, what + " is " + std::to_string(bits) + " bits wide but enum " + e->name +
                          " value " + v.name + " = " + Hex(v.value) + " does not fit");
      }
    }
  }

  void CheckBitfields() {
    for (const auto& bf : spec_.bitfields) {
      if (bf.source) CheckSourceRef(*bf.source);
      if (bf.fields.empty()) d_.Error(bf.loc, "bitfield " + bf.name + " lists no fields");
      for (const auto& s : bf.see) CheckSourceRef(s);
      Unique(
          bf.fields, [](const BitRange& b) { return b.name; }, "field name in bitfield " + bf.name);
      for (std::size_t i = 0; i < bf.fields.size(); ++i) {
        const BitRange& f = bf.fields[i];
        const std::string what = "bit field " + bf.name + "." + f.name;
        if (f.msb >= bf.width) {
          d_.Error(f.loc, what + " bit " + std::to_string(f.msb) + " lies outside the " +
                              std::to_string(bf.width) + "-bit width");
          continue;
        }
        for (std::size_t j = 0; j < i; ++j) {
          const BitRange& g = bf.fields[j];
          if (f.lsb <= g.msb && g.lsb <= f.msb) {
            d_.Error(f.loc, what + " (bits " + std::to_string(f.msb) + ":" + std::to_string(f.lsb) +
                                ") overlaps field " + g.name + " (bits " + std::to_string(g.msb) +
                                ":" + std::to_string(g.lsb) + ")");
          }
        }
        CheckEnumFits(f.enum_name, f.width(), f.loc, what);
        if (f.shift && f.shift != f.lsb) {
          d_.Error(f.loc, what + " has shift " + std::to_string(f.shift) + " but starts at bit " +
                              std::to_string(f.lsb) +
                              "; a shifted field holds the value's bits in place");
        }
      }
    }
  }

  // Size in bytes of a non-array type; 0 with an error when it cannot be known.
  uint32_t TypeSize(FieldType type, const std::string& layout, const std::string& struct_name,
                    const SourceLoc& loc, const std::string& what, int depth) {
    if (const uint32_t scalar = ScalarSize(type)) return scalar;
    switch (type) {
      case FieldType::kBitfield: {
        const Bitfield* bf = spec_.FindBitfield(layout);
        if (layout.empty()) {
          d_.Error(loc, what + " has type bitfield but no 'layout'");
        } else if (!bf) {
          d_.Error(loc, what + " refers to unknown bitfield '" + layout + "'");
        }
        return bf ? bf->width / 8 : 0;
      }
      case FieldType::kStruct: {
        const Structure* s = spec_.FindStructure(struct_name);
        if (struct_name.empty()) {
          d_.Error(loc, what + " has type struct but no 'struct'");
          return 0;
        }
        if (!s) {
          d_.Error(loc, what + " refers to unknown structure '" + struct_name + "'");
          return 0;
        }
        if (depth > 16 || s->name == current_struct_) {
          d_.Error(loc, what + " nests structure '" + struct_name + "' inside itself");
          return 0;
        }
        if (s->variable) {
          d_.Error(loc, what + " embeds variable-size structure '" + struct_name +
                            "'; only fixed-size structures can be embedded");
          return 0;
        }
        return s->size;
      }
      default:  // scalars handled above; bytes and arrays are sized by their field
        break;
    }
    return 0;
  }

  void CheckStructures() {
    for (auto& s : spec_.structures) {
      current_struct_ = s.name;
      CheckSourceRefs(s.source, s.see);
      Unique(
          s.fields, [](const StructField& f) { return f.name; },
          "field name in structure " + s.name);
      if (s.align && !IsPowerOfTwo(*s.align)) {
        d_.Error(s.loc,
                 "structure " + s.name + " alignment " + Hex(*s.align) + " is not a power of two");
      }
      const StructField* variable_field = nullptr;
      for (auto& f : s.fields) {
        CheckStructField(s, f);
        if (f.is_variable()) {
          if (variable_field) {
            d_.Error(f.loc, "structure " + s.name + " has a second variable-length field '" +
                                f.name + "'; only the last field may vary");
          }
          variable_field = &f;
        }
      }
      if (variable_field && !s.variable) {
        d_.Error(s.loc, "structure " + s.name + " has variable-length field '" +
                            variable_field->name + "' but is not marked 'variable: true'");
      }
      if (!variable_field && s.variable) {
        d_.Error(s.loc, "structure " + s.name +
                            " is marked 'variable: true' but has no field with count_field or "
                            "size_field");
      }
      CheckLayout(s, variable_field);
    }
    current_struct_.clear();
  }

  void CheckStructField(const Structure& s, StructField& f) {
    const std::string what = "field " + s.name + "." + f.name;
    if (f.align && !IsPowerOfTwo(*f.align)) {
      d_.Error(f.loc, what + " alignment " + Hex(*f.align) + " is not a power of two");
    }
    if (!f.points_to.empty() && !spec_.FindStructure(f.points_to)) {
      d_.Error(f.loc, what + " points to unknown structure '" + f.points_to + "'");
    }
    if (!f.points_to.empty() && f.type != FieldType::kGpa) {
      d_.Error(f.loc, what + " has 'points_to' but is not a gpa");
    }
    if (!f.layout.empty() && f.type != FieldType::kBitfield) {
      d_.Error(f.loc, what + " has 'layout' but type " + FieldTypeName(f.type));
    }
    if (!f.struct_name.empty() && f.type != FieldType::kStruct) {
      d_.Error(f.loc, what + " has 'struct' but type " + FieldTypeName(f.type));
    }
    if (!f.enum_name.empty()) {
      if (!IsIntegerType(f.type)) {
        d_.Error(f.loc, what + " has an enum but type " + FieldTypeName(f.type));
      } else {
        CheckEnumFits(f.enum_name, IntegerBits(f.type), f.loc, what);
      }
    }
    auto check_length_field = [&](const std::string& name, const char* key) {
      const StructField* lf = s.Find(name);
      if (!lf) {
        d_.Error(f.loc, what + " " + key + " '" + name + "' is not a field of " + s.name);
      } else if (!IsIntegerType(lf->type)) {
        d_.Error(f.loc, what + " " + key + " '" + name + "' is not an integer field");
      } else if (lf->offset >= f.offset) {
        d_.Error(f.loc, what + " " + key + " '" + name + "' must come before the field it sizes");
      }
    };
    if (f.type == FieldType::kArray) {
      if (!f.element) {
        d_.Error(f.loc, what + " is an array without 'element'");
        return;
      }
      f.element_size = TypeSize(f.element->type, f.element->layout, f.element->struct_name, f.loc,
                                what + " element", 0);
      const bool fixed = f.count.has_value(), counted = !f.count_field.empty();
      if (fixed == counted) {
        d_.Error(f.loc, what + " needs exactly one of 'count' or 'count_field'");
      }
      if (counted) check_length_field(f.count_field, "count_field");
      if (fixed) f.fixed_size = *f.count * f.element_size;
      if (f.min_count && f.max_count && *f.min_count > *f.max_count) {
        d_.Error(f.loc, what + " min_count " + std::to_string(*f.min_count) +
                            " exceeds max_count " + std::to_string(*f.max_count));
      }
      if (f.size) d_.Error(f.loc, what + " is an array; give 'count', not 'size'");
      return;
    }
    if (f.element || f.count || !f.count_field.empty() || f.min_count || f.max_count) {
      d_.Error(f.loc, what + " is not an array but has array keys (element/count/min/max_count)");
    }
    if (f.type == FieldType::kBytes) {
      const bool sized = f.size.has_value(), variable = !f.size_field.empty();
      if (sized == variable) {
        d_.Error(f.loc, what + " of type bytes needs exactly one of 'size' or 'size_field'");
      }
      if (variable) check_length_field(f.size_field, "size_field");
      if (sized) f.fixed_size = *f.size;
      if (sized && *f.size == 0) d_.Error(f.loc, what + " has size 0");
      return;
    }
    if (!f.size_field.empty()) d_.Error(f.loc, what + " has 'size_field' but is not bytes");
    f.fixed_size = TypeSize(f.type, f.layout, f.struct_name, f.loc, what, 0);
    if (f.size && f.fixed_size && *f.size != f.fixed_size) {
      d_.Error(f.loc, what + " declares size " + std::to_string(*f.size) + " but type " +
                          FieldTypeName(f.type) + " is " + std::to_string(f.fixed_size) + " bytes");
    }
  }

  void CheckLayout(const Structure& s, const StructField* variable_field) {
    struct Span {
      uint64_t begin, end;
      const StructField* field;
    };
    std::vector<Span> spans;
    bool extents_known = true;  // false once a field's own error makes totals meaningless
    for (const auto& f : s.fields) {
      if (&f == variable_field) {
        if (f.offset != s.size) {
          d_.Error(f.loc, "variable-length field " + s.name + "." + f.name + " starts at " +
                              Hex(f.offset) + " but the fixed part ends at " + Hex(s.size) +
                              " (structure size); the variable-length field must be last");
          extents_known = false;
        }
        if (s.max_size && f.max_count && f.element_size &&
            uint64_t{s.size} + uint64_t{*f.max_count} * f.element_size > *s.max_size) {
          d_.Error(f.loc, "max_count " + std::to_string(*f.max_count) + " of " + s.name + "." +
                              f.name + " exceeds the structure's max_size " + Hex(*s.max_size));
        }
        continue;
      }
      if (f.fixed_size == 0) {  // already reported
        extents_known = false;
        continue;
      }
      const uint64_t end = uint64_t{f.offset} + f.fixed_size;
      if (end > s.size) {
        d_.Error(f.loc, "field " + s.name + "." + f.name + " (offset " + Hex(f.offset) + ", size " +
                            Hex(f.fixed_size) + ") ends at " + Hex(end) +
                            ", past the end of the structure (size " + Hex(s.size) + ")");
        extents_known = false;
        continue;
      }
      spans.push_back({f.offset, end, &f});
    }
    std::sort(spans.begin(), spans.end(),
              [](const Span& a, const Span& b) { return a.begin < b.begin; });
    uint64_t cursor = 0;
    const StructField* previous = nullptr;
    for (const auto& span : spans) {
      if (span.begin < cursor && previous) {
        d_.Error(span.field->loc, "field " + s.name + "." + span.field->name + " (" +
                                      Hex(span.begin) + "-" + Hex(span.end - 1) +
                                      ") overlaps field " + previous->name);
      } else if (span.begin > cursor && !s.sparse && extents_known) {
        d_.Error(span.field->loc, "bytes " + Hex(cursor) + "-" + Hex(span.begin - 1) + " of " +
                                      s.name +
                                      " are covered by no field; declare them (reserved) or mark "
                                      "the structure sparse");
      }
      if (span.end > cursor) {
        cursor = span.end;
        previous = span.field;
      }
    }
    if (!s.sparse && extents_known && cursor < s.size) {
      d_.Error(s.loc, "structure " + s.name + " has size " + Hex(s.size) +
                          " but its fields end at " + Hex(cursor) + "; sizes do not add up");
    }
  }

  void CheckCallingConvention() {
    if (!spec_.calling_convention) {
      SourceLoc loc{spec_.files.empty() ? "spec" : spec_.files.front(), 1, 1};
      d_.Error(loc, "no file gives the calling_convention");
      return;
    }
    const CallingConvention& cc = *spec_.calling_convention;
    CheckSourceRefs(cc.source, cc.see);
    const Bitfield* rax = spec_.FindBitfield(cc.rax_in);
    if (!rax) {
      d_.Error(cc.loc, "calling_convention.rax_in refers to unknown bitfield '" + cc.rax_in + "'");
    } else if (!rax->Find("protocol") || !rax->Find("call_id")) {
      d_.Error(cc.loc, "calling_convention.rax_in bitfield '" + cc.rax_in +
                           "' must have fields 'protocol' and 'call_id'");
    }
    if (!spec_.FindStructure(cc.calling_area)) {
      d_.Error(cc.loc, "calling_convention.calling_area refers to unknown structure '" +
                           cc.calling_area + "'");
    }
    if (!spec_.FindStructure(cc.secrets_page)) {
      d_.Error(cc.loc, "calling_convention.secrets_page refers to unknown structure '" +
                           cc.secrets_page + "'");
    }
  }

  void CheckRegisters(const Registers& regs, const std::string& owner) {
    for (const auto* list : {&regs.in, &regs.out}) {
      std::map<Register, const RegisterUse*> seen;
      for (const auto& u : *list) {
        const std::string what =
            "register " + std::string(RegisterName(u.reg)) + " (" + u.name + ") of " + owner;
        auto [it, inserted] = seen.emplace(u.reg, &u);
        if (!inserted) {
          d_.Error(u.loc, what + " is listed twice in the same direction");
        }
        if (u.type == FieldType::kBitfield) {
          const Bitfield* bf = spec_.FindBitfield(u.layout);
          if (u.layout.empty()) {
            d_.Error(u.loc, what + " has type bitfield but no 'layout'");
          } else if (!bf) {
            d_.Error(u.loc, what + " refers to unknown bitfield '" + u.layout + "'");
          }
        } else if (!u.layout.empty()) {
          d_.Error(u.loc, what + " has 'layout' but is not a bitfield");
        }
        if (!u.points_to.empty() && !spec_.FindStructure(u.points_to)) {
          d_.Error(u.loc, what + " points to unknown structure '" + u.points_to + "'");
        }
        if (u.align && !IsPowerOfTwo(*u.align)) {
          d_.Error(u.loc, what + " alignment " + Hex(*u.align) + " is not a power of two");
        }
        if (!u.enum_name.empty()) {
          CheckEnumFits(u.enum_name, u.type == FieldType::kBitfield ? 64 : IntegerBits(u.type),
                        u.loc, what);
        }
      }
    }
  }

  void CheckProtocols() {
    // Numbers: a clash among published protocols is an error; otherwise a warning, because
    // competing proposals (reboot and OCP on 5) are a fact of the ecosystem the spec records.
    std::map<uint32_t, const Protocol*> numbers;
    for (const auto& p : spec_.protocols) {
      auto [it, inserted] = numbers.emplace(p.number, &p);
      if (inserted) continue;
      const Protocol& q = *it->second;
      const std::string msg = "protocol " + p.key + " uses number " + std::to_string(p.number) +
                              ", already claimed by protocol " + q.key + " (" + At(q.loc) + ")";
      if (p.status == Status::kPublished && q.status == Status::kPublished) {
        d_.Error(p.loc, msg);
      } else {
        d_.Warning(p.loc, msg + "; both " + StatusName(q.status) + "/" + StatusName(p.status) +
                              ", so the clash is recorded, not resolved");
      }
    }
    Unique(
        spec_.protocols, [](const Protocol& p) { return p.c_prefix; }, "protocol c_prefix");
    std::map<std::string, SourceLoc> call_names;
    for (const auto& p : spec_.protocols) {
      CheckSourceRefs(p.source, p.see);
      for (const auto& d : p.divergences) CheckDivergence(d, p.key);
      if (p.calls.empty()) d_.Error(p.loc, "protocol " + p.key + " defines no calls");
      std::map<uint32_t, const Call*> ids;
      Unique(
          p.calls, [](const Call& c) { return c.key; }, "call key in protocol " + p.key);
      for (const auto& c : p.calls) {
        auto [it, inserted] = ids.emplace(c.id, &c);
        if (!inserted) {
          d_.Error(c.loc, "call " + c.name + " reuses id " + std::to_string(c.id) + " of call " +
                              it->second->name + " in protocol " + p.key);
        }
        auto [nit, ninserted] = call_names.emplace(c.name, c.loc);
        if (!ninserted) {
          d_.Error(c.loc,
                   "duplicate call name '" + c.name + "'; first defined at " + At(nit->second));
        }
        if (c.name.rfind(p.c_prefix + "_", 0) != 0) {
          d_.Error(c.loc, "call name " + c.name + " does not start with the protocol's c_prefix " +
                              p.c_prefix + "_");
        }
        CheckSourceRefs(c.source, c.see);
        if (c.status == Status::kPublished && c.since > p.max_version) {
          d_.Error(c.loc, "published call " + c.name + " appeared in version " +
                              std::to_string(c.since) + ", beyond the protocol's max version " +
                              std::to_string(p.max_version));
        }
        if (c.since < p.min_version) {
          d_.Error(c.loc, "call " + c.name + " since " + std::to_string(c.since) +
                              " predates the protocol's first version " +
                              std::to_string(p.min_version));
        }
        const std::string owner = "call " + c.name;
        if (c.registers) CheckRegisters(*c.registers, owner);
        std::set<std::string> form_names;
        for (const auto& f : c.forms) {
          if (!form_names.insert(f.name).second) {
            d_.Error(f.loc, "duplicate form name '" + f.name + "' in " + owner);
          }
          CheckRegisters(f.registers, "form " + f.name + " of " + owner);
          CheckSelector(f, owner);
        }
        if (c.check_order) CheckCheckOrder(*c.check_order, p, c);
      }
    }
  }

  void CheckSelector(const Form& f, const std::string& owner) {
    const RegisterUse* use = nullptr;
    for (const auto& u : f.registers.in) {
      if (u.reg == f.selector.reg) use = &u;
    }
    const std::string what = "selector of form " + f.name + " of " + owner;
    if (!use) {
      d_.Error(f.selector.loc, what + " reads " + RegisterName(f.selector.reg) +
                                   ", which the form does not take as input");
      return;
    }
    const Bitfield* bf = spec_.FindBitfield(use->layout);
    if (!bf) {
      d_.Error(f.selector.loc, what + " needs input " + RegisterName(f.selector.reg) +
                                   " to have a bitfield layout");
      return;
    }
    const BitRange* field = bf->Find(f.selector.field);
    if (!field) {
      d_.Error(f.selector.loc, what + " names field '" + f.selector.field + "', which bitfield " +
                                   bf->name + " does not have");
    } else if (field->width() < 64 && (f.selector.value >> field->width())) {
      d_.Error(f.selector.loc,
               what + " value " + Hex(f.selector.value) + " does not fit field " + field->name);
    }
  }

  void CheckCheckOrder(const CheckOrder& co, const Protocol& p, const Call& c) {
    auto check_ids = [&](const std::vector<std::string>& ids, const std::string& what) {
      for (const auto& id : ids) {
        const Rule* r = spec_.FindRule(id);
        if (!r) {
          d_.Error(co.loc, what + " of call " + c.name + " names unknown rule '" + id + "'");
        } else if (!r->protocol.empty() && r->protocol != p.key) {
          d_.Error(co.loc,
                   what + " of call " + c.name + " names rule '" + id + "' of another protocol");
        }
      }
    };
    if (co.specified && co.order.empty()) {
      d_.Error(co.loc, "check_order of call " + c.name + " is specified but gives no 'order'");
    }
    if (!co.specified && !co.order.empty()) {
      d_.Error(co.loc, "check_order of call " + c.name +
                           " gives an 'order' but says the spec does not specify one; use "
                           "'observed' for implementation orders");
    }
    check_ids(co.order, "check_order");
    for (const auto& o : co.observed) {
      CheckSourceRef(o.source);
      if (!spec_.FindImplementation(o.implementation)) {
        d_.Error(co.loc, "observed order of call " + c.name + " names unknown implementation '" +
                             o.implementation + "'");
      }
      check_ids(o.order, "observed order");
    }
  }

  void CheckDivergence(const Divergence& d, const std::string& protocol) {
    CheckSourceRef(d.source);
    if (!spec_.FindImplementation(d.implementation)) {
      d_.Error(d.loc, "divergence names unknown implementation '" + d.implementation + "'");
    }
    if (!d.result.empty() && !spec_.FindResultCode(d.result, protocol)) {
      d_.Error(d.loc, "divergence result '" + d.result + "' is not a known result code");
    }
  }

  bool CheckTarget(const std::string& target, const Rule& rule) {
    if (target == "rax" || target == "rcx" || target == "rdx" || target == "r8" || target == "r9") {
      return true;
    }
    const auto dot = target.find('.');
    if (dot == std::string::npos) return false;
    const std::string owner = target.substr(0, dot), field = target.substr(dot + 1);
    if (const Structure* s = spec_.FindStructure(owner)) return s->Find(field) != nullptr;
    if (const Bitfield* b = spec_.FindBitfield(owner)) return b->Find(field) != nullptr;
    (void)rule;
    return false;
  }

  void CheckRules() {
    std::map<std::string, SourceLoc> ids;
    auto claim = [&](const std::string& id, const SourceLoc& loc, const char* what) {
      auto [it, inserted] = ids.emplace(id, loc);
      if (!inserted) {
        d_.Error(loc, std::string("duplicate ") + what + " id '" + id + "'; first used at " +
                          At(it->second));
      }
    };
    for (const Rule* r : spec_.AllRules()) {
      claim(r->id, r->loc, "rule");
      CheckRule(*r);
    }
    auto check_questions = [&](const std::vector<OpenQuestion>& qs, const std::string& prefix) {
      for (const auto& q : qs) {
        claim(q.id, q.loc, "open question");
        CheckSourceRef(q.source);
        if (q.id.rfind(prefix, 0) != 0) {
          d_.Error(q.loc, "open question id '" + q.id + "' must start with '" + prefix + "'");
        }
        if (q.alternatives.size() < 2) {
          d_.Error(q.loc, "open question " + q.id + " needs at least two alternatives");
        }
        std::set<std::string> alt_ids;
        for (const auto& a : q.alternatives) {
          if (a.source) CheckSourceRef(*a.source);
          if (!alt_ids.insert(a.id).second) {
            d_.Error(q.loc, "open question " + q.id + " repeats alternative id '" + a.id + "'");
          }
        }
      }
    };
    for (const auto& p : spec_.protocols) {
      check_questions(p.open_questions, p.key + ".");
      for (const auto& c : p.calls) check_questions(c.open_questions, p.key + "." + c.key + ".");
    }
  }

  void CheckRule(const Rule& r) {
    CheckSourceRefs(r.source, r.see);
    // The id says where the rule lives: general.x, <protocol>.x or <protocol>.<call>.x.
    std::string prefix = r.protocol.empty() ? "general." : r.protocol + ".";
    if (!r.call.empty()) prefix += r.call + ".";
    const bool well_formed = r.id.rfind(prefix, 0) == 0 && r.id.size() > prefix.size() &&
                             r.id.find('.', prefix.size()) == std::string::npos;
    if (!well_formed) {
      d_.Error(r.loc, "rule id '" + r.id + "' must be '" + prefix +
                          "<name>' (protocol key, call key, then one name)");
    }
    const bool has_result = !r.result.empty(), has_allowed = !r.allowed_results.empty();
    switch (r.kind) {
      case RuleKind::kError:
        if (has_result == has_allowed) {
          d_.Error(r.loc,
                   "error rule " + r.id + " needs exactly one of 'result' or 'allowed_results'");
        }
        break;
      case RuleKind::kEffect:
        if (!has_result || has_allowed) {
          d_.Error(r.loc, "effect rule " + r.id + " needs a 'result' (and no allowed_results)");
        }
        break;
      case RuleKind::kFreedom:
        break;
    }
    if (has_allowed && r.allowed_results.size() < 2) {
      d_.Error(r.loc, "rule " + r.id + " lists fewer than two allowed_results; use 'result'");
    }
    std::vector<std::string> codes = r.allowed_results;
    if (has_result) codes.push_back(r.result);
    for (const auto& code : codes) {
      if (!spec_.FindResultCode(code, r.protocol)) {
        d_.Error(r.loc, "rule " + r.id + " names result code '" + code +
                            "', which is neither a general code nor one of " +
                            (r.protocol.empty() ? std::string("the general codes")
                                                : "protocol " + r.protocol + "'s codes"));
      }
    }
    if (r.kind == RuleKind::kError) {
      for (const auto& code : codes) {
        const ResultCode* c = spec_.FindResultCode(code, r.protocol);
        if (c && c->value < 0x80000000u) {
          d_.Error(r.loc, "error rule " + r.id + " names " + code + " (" + Hex(c->value) +
                              "), which is not an error code; use kind 'effect' or 'freedom'");
        }
      }
    }
    for (const auto& d : r.divergences) CheckDivergence(d, r.protocol);
    for (const auto& target : r.checks) {
      if (!CheckTarget(target, r)) {
        d_.Error(r.loc, "rule " + r.id + " checks '" + target +
                            "', which is not a register, structure.field or bitfield.field");
      }
    }
    for (const auto& out : r.outputs) {
      if (!CheckTarget(out.target, r)) {
        d_.Error(r.loc, "rule " + r.id + " output target '" + out.target +
                            "' is not a register, structure.field or bitfield.field");
      }
    }
    std::set<std::string> enforced;
    for (const auto& e : r.enforces) {
      std::string why;
      if (ResolveEnforcement(r, e, &why).empty()) {
        d_.Error(e.loc, "rule " + r.id + " enforces " + ConstraintName(e.constraint) + " of '" +
                            e.target + "', " + why);
      } else if (!enforced.insert(EnforcementText(e)).second) {
        d_.Error(e.loc, "rule " + r.id + " lists '" + EnforcementText(e) + "' twice");
      }
    }
  }

  static std::string EnforcementText(const Enforcement& e) {
    return std::string(ConstraintName(e.constraint)) + " of " + e.target;
  }

  static std::string Key(Constraint c, const std::string& target) {
    return std::string(ConstraintName(c)) + " of " + target;
  }

  const Call* OwningCall(const Rule& r) const {
    if (r.call.empty()) return nullptr;
    const Protocol* p = spec_.FindProtocol(r.protocol);
    return p ? p->FindCallByKey(r.call) : nullptr;
  }

  // Every input register use of a call, over all its forms.
  static std::vector<const RegisterUse*> InputUses(const Call& c, Register reg) {
    std::vector<const RegisterUse*> uses;
    auto add = [&](const Registers& regs) {
      for (const auto& u : regs.in) {
        if (u.reg == reg) uses.push_back(&u);
      }
    };
    if (c.registers) add(*c.registers);
    for (const auto& f : c.forms) add(f.registers);
    return uses;
  }

  bool PointsToWithinPage(const std::string& points_to) const {
    const Structure* s = spec_.FindStructure(points_to);
    return s && s->within_page;
  }

  // The completeness key ("<constraint> of <target>") an enforcement stands for, or "" with
  // `why` set when its target does not resolve or the constraint does not apply to it. A
  // within_page enforcement of a gpa register or field stands for the structure it points to.
  std::string ResolveEnforcement(const Rule& r, const Enforcement& e, std::string* why) const {
    const Constraint k = e.constraint;
    const std::string& t = e.target;
    auto fail = [&](const std::string& reason) {
      *why = reason;
      return std::string();
    };
    if (t == "rcx" || t == "rdx" || t == "r8" || t == "r9") {
      const Call* c = OwningCall(r);
      if (!c) return fail("but only a call's rules may name its registers");
      const Register reg = t == "rcx"   ? Register::kRcx
                           : t == "rdx" ? Register::kRdx
                           : t == "r8"  ? Register::kR8
                                        : Register::kR9;
      const auto uses = InputUses(*c, reg);
      if (uses.empty()) return fail("which is not an input register of call " + c->name);
      auto any = [&](auto pred) { return std::any_of(uses.begin(), uses.end(), pred); };
      switch (k) {
        case Constraint::kAlign:
          if (!any([](const RegisterUse* u) { return u->align.has_value(); })) {
            return fail("which states no align");
          }
          return Key(k, t);
        case Constraint::kEnum:
          if (!any([](const RegisterUse* u) { return !u->enum_name.empty(); })) {
            return fail("which has no enum");
          }
          return Key(k, t);
        case Constraint::kWithinPage: {
          for (const RegisterUse* u : uses) {
            if (u->type == FieldType::kGpa && PointsToWithinPage(u->points_to)) {
              return Key(k, u->points_to);
            }
          }
          return fail("which is not a gpa pointing to a within_page structure");
        }
        case Constraint::kNonzero:
        case Constraint::kNoOverflow:
          return Key(k, t);
        case Constraint::kMbz:
          return fail(
              "but a register is not an mbz field; name its bitfield's fields "
              "(bitfield.field or bitfield.*)");
        case Constraint::kMinCount:
        case Constraint::kMaxCount:
          return fail("but a register is not an array");
      }
      return fail("which does not apply");
    }
    const auto dot = t.find('.');
    if (dot == std::string::npos) {
      const Structure* s = spec_.FindStructure(t);
      if (!s) {
        return fail(
            "which is not an input register, a structure, structure.field, "
            "bitfield.field or bitfield.*");
      }
      if (k != Constraint::kWithinPage) {
        return fail("but a whole structure can only be enforced within_page");
      }
      if (!s->within_page) return fail("which is not a within_page structure");
      return Key(k, t);
    }
    const std::string owner = t.substr(0, dot), name = t.substr(dot + 1);
    if (const Structure* s = spec_.FindStructure(owner)) {
      const StructField* f = s->Find(name);
      if (!f) return fail("but structure " + owner + " has no field '" + name + "'");
      const bool scalar = IsIntegerType(f->type) || f->type == FieldType::kGpa;
      switch (k) {
        case Constraint::kAlign:
          if (!f->align) return fail("which states no align");
          return Key(k, t);
        case Constraint::kMbz:
          if (!f->mbz) return fail("which is not an mbz field");
          return Key(k, t);
        case Constraint::kEnum:
          if (f->enum_name.empty()) return fail("which has no enum");
          return Key(k, t);
        case Constraint::kMinCount:
          if (f->type != FieldType::kArray || !f->min_count) {
            return fail("which is not an array with a min_count");
          }
          return Key(k, t);
        case Constraint::kMaxCount:
          if (f->type != FieldType::kArray || !f->max_count) {
            return fail("which is not an array with a max_count");
          }
          return Key(k, t);
        case Constraint::kWithinPage:
          if (f->type != FieldType::kGpa || !PointsToWithinPage(f->points_to)) {
            return fail("which is not a gpa pointing to a within_page structure");
          }
          return Key(k, f->points_to);
        case Constraint::kNonzero:
        case Constraint::kNoOverflow:
          if (!scalar) return fail("which is not an integer or gpa field");
          return Key(k, t);
      }
      return fail("which does not apply");
    }
    if (const Bitfield* b = spec_.FindBitfield(owner)) {
      if (name == "*") {
        if (k != Constraint::kMbz) return fail("but bitfield.* takes only mbz");
        if (UncoveredBits(*b) == 0) return fail("but every bit of " + owner + " has a field");
        return Key(k, t);
      }
      const BitRange* f = b->Find(name);
      if (!f) return fail("but bitfield " + owner + " has no field '" + name + "'");
      switch (k) {
        case Constraint::kMbz:
          if (!f->mbz) return fail("which is not an mbz field");
          return Key(k, t);
        case Constraint::kEnum:
          if (f->enum_name.empty()) return fail("which has no enum");
          return Key(k, t);
        case Constraint::kNonzero:
        case Constraint::kNoOverflow:
          return Key(k, t);
        case Constraint::kAlign:
          return fail("which states no align");
        case Constraint::kMinCount:
        case Constraint::kMaxCount:
          return fail("but a bit field is not an array");
        case Constraint::kWithinPage:
          return fail("which is not a gpa pointing to a within_page structure");
      }
      return fail("which does not apply");
    }
    return fail(
        "which is not an input register, a structure, structure.field, bitfield.field "
        "or bitfield.*");
  }

  static uint64_t UncoveredBits(const Bitfield& b) {
    uint64_t covered = 0;
    for (const auto& f : b.fields) {
      if (f.msb < b.width) covered |= f.mask();
    }
    const uint64_t all = b.width >= 64 ? ~0ull : (1ull << b.width) - 1;
    return all & ~covered;
  }

  // True when every value of a `bits`-wide field is a value of the enum, so no decoder
  // check can fail and no rule needs to state one.
  bool EnumCoversWidth(const std::string& enum_name, unsigned bits) const {
    const Enum* e = spec_.FindEnum(enum_name);
    if (!e || bits >= 16) return false;
    std::set<uint64_t> values;
    for (const auto& v : e->values) values.insert(v.value);
    return values.size() == (std::size_t{1} << bits);
  }

  // The decode constraints a call's inputs carry, as (constraint, target) in a stable order.
  using Required = std::vector<std::pair<Constraint, std::string>>;

  void AddRequired(Required& req, Constraint k, const std::string& target) const {
    const auto item = std::make_pair(k, target);
    if (std::find(req.begin(), req.end(), item) == req.end()) req.push_back(item);
  }

  void CollectBitfield(Required& req, const std::string& layout) const {
    const Bitfield* b = spec_.FindBitfield(layout);
    if (!b) return;
    for (const auto& f : b->fields) {
      if (f.mbz) AddRequired(req, Constraint::kMbz, b->name + "." + f.name);
      if (!f.enum_name.empty() && !EnumCoversWidth(f.enum_name, f.width())) {
        AddRequired(req, Constraint::kEnum, b->name + "." + f.name);
      }
    }
    if (UncoveredBits(*b) != 0) AddRequired(req, Constraint::kMbz, b->name + ".*");
  }

  void CollectStructure(Required& req, const std::string& name, int depth) const {
    const Structure* s = spec_.FindStructure(name);
    if (!s || depth > 16) return;
    if (s->within_page && depth == 0) AddRequired(req, Constraint::kWithinPage, s->name);
    for (const auto& f : s->fields) {
      const std::string target = s->name + "." + f.name;
      if (f.mbz) AddRequired(req, Constraint::kMbz, target);
      if (!f.enum_name.empty() && !EnumCoversWidth(f.enum_name, IntegerBits(f.type))) {
        AddRequired(req, Constraint::kEnum, target);
      }
      if (f.type == FieldType::kGpa && f.align) AddRequired(req, Constraint::kAlign, target);
      if (f.type == FieldType::kBitfield) CollectBitfield(req, f.layout);
      if (f.type == FieldType::kStruct) CollectStructure(req, f.struct_name, depth + 1);
      if (f.type == FieldType::kArray) {
        if (f.min_count && *f.min_count > 0) AddRequired(req, Constraint::kMinCount, target);
        if (f.max_count) AddRequired(req, Constraint::kMaxCount, target);
        if (f.element && f.element->type == FieldType::kBitfield) {
          CollectBitfield(req, f.element->layout);
        }
        if (f.element && f.element->type == FieldType::kStruct) {
          CollectStructure(req, f.element->struct_name, depth + 1);
        }
      }
    }
  }

  Required CollectCall(const Call& c) const {
    Required req;
    auto add = [&](const Registers& regs) {
      for (const auto& u : regs.in) {
        const std::string reg = RegisterName(u.reg);
        if (u.align) AddRequired(req, Constraint::kAlign, reg);
        if (u.type == FieldType::kBitfield) CollectBitfield(req, u.layout);
        if (!u.enum_name.empty() &&
            !EnumCoversWidth(u.enum_name,
                             u.type == FieldType::kBitfield ? 64 : IntegerBits(u.type))) {
          AddRequired(req, Constraint::kEnum, reg);
        }
        if (!u.points_to.empty()) CollectStructure(req, u.points_to, 0);
      }
    };
    if (c.registers) add(*c.registers);
    for (const auto& f : c.forms) add(f.registers);
    return req;
  }

  // Every decode constraint of a call's inputs is enforced by exactly one rule: the call's
  // own rules are searched first, then the protocol-wide rules, then the general rules; the
  // first level that enforces it must do so once.
  void CheckEnforcementCompleteness() {
    auto index = [&](const std::vector<Rule>& rules) {
      std::map<std::string, std::vector<std::string>> by_key;
      for (const auto& r : rules) {
        for (const auto& e : r.enforces) {
          std::string why;
          const std::string key = ResolveEnforcement(r, e, &why);
          if (key.empty()) continue;
          auto& ids = by_key[key];
          if (std::find(ids.begin(), ids.end(), r.id) == ids.end()) ids.push_back(r.id);
        }
      }
      return by_key;
    };
    const auto general = index(spec_.rules);
    for (const auto& p : spec_.protocols) {
      const auto protocol_wide = index(p.rules);
      for (const auto& c : p.calls) {
        const auto own = index(c.rules);
        auto report = [&](const std::string& message) {
          if (c.status == Status::kPublished) {
            d_.Error(c.loc, message);
          } else {
            d_.Warning(c.loc, message + " (the call is " + StatusName(c.status) + ")");
          }
        };
        for (const auto& [k, target] : CollectCall(c)) {
          const std::string key = Key(k, target);
          const std::vector<std::string>* ids = nullptr;
          for (const auto* level : {&own, &protocol_wide, &general}) {
            auto it = level->find(key);
            if (it != level->end()) {
              ids = &it->second;
              break;
            }
          }
          if (!ids) {
            report("call " + c.name + ": no rule enforces " + key);
          } else if (ids->size() > 1) {
            std::string list;
            for (const auto& id : *ids) list += (list.empty() ? "" : ", ") + id;
            report("call " + c.name + ": more than one rule enforces " + key + " (" + list + ")");
          }
        }
      }
    }
  }

  Spec& spec_;
  Diagnostics& d_;
  std::string current_struct_;
};

}  // namespace

void LintSpec(Spec& spec, Diagnostics& diagnostics) {
  Linter(spec, diagnostics).Run();
}

}  // namespace svsm_spec
