#include "svsm_spec/model.h"

#include <algorithm>
#include <regex>

namespace svsm_spec {

const char* StatusName(Status s) {
  switch (s) {
    case Status::kPublished:
      return "published";
    case Status::kDraft:
      return "draft";
    case Status::kProposed:
      return "proposed";
  }
  return "?";
}

const char* RangeClassName(RangeClass c) {
  switch (c) {
    case RangeClass::kSuccess:
      return "success";
    case RangeClass::kNeedMemory:
      return "need-memory";
    case RangeClass::kError:
      return "error";
  }
  return "?";
}

const char* RangeOwnerName(RangeOwner o) {
  switch (o) {
    case RangeOwner::kGeneral:
      return "general";
    case RangeOwner::kProtocol:
      return "protocol";
    case RangeOwner::kReserved:
      return "reserved";
  }
  return "?";
}

const char* FieldTypeName(FieldType t) {
  switch (t) {
    case FieldType::kU8:
      return "u8";
    case FieldType::kU16:
      return "u16";
    case FieldType::kU32:
      return "u32";
    case FieldType::kU64:
      return "u64";
    case FieldType::kGpa:
      return "gpa";
    case FieldType::kBytes:
      return "bytes";
    case FieldType::kGuid:
      return "guid";
    case FieldType::kBitfield:
      return "bitfield";
    case FieldType::kStruct:
      return "struct";
    case FieldType::kArray:
      return "array";
  }
  return "?";
}

uint32_t ScalarSize(FieldType t) {
  switch (t) {
    case FieldType::kU8:
      return 1;
    case FieldType::kU16:
      return 2;
    case FieldType::kU32:
      return 4;
    case FieldType::kU64:
    case FieldType::kGpa:
      return 8;
    case FieldType::kGuid:
      return 16;
    default:
      return 0;
  }
}

const char* RegisterName(Register r) {
  switch (r) {
    case Register::kRcx:
      return "rcx";
    case Register::kRdx:
      return "rdx";
    case Register::kR8:
      return "r8";
    case Register::kR9:
      return "r9";
  }
  return "?";
}

const char* RuleKindName(RuleKind k) {
  switch (k) {
    case RuleKind::kError:
      return "error";
    case RuleKind::kEffect:
      return "effect";
    case RuleKind::kFreedom:
      return "freedom";
  }
  return "?";
}

namespace {
constexpr std::pair<Constraint, const char*> kConstraintNames[] = {
    {Constraint::kAlign, "align"},        {Constraint::kMbz, "mbz"},
    {Constraint::kEnum, "enum"},          {Constraint::kMinCount, "min_count"},
    {Constraint::kMaxCount, "max_count"}, {Constraint::kWithinPage, "within_page"},
    {Constraint::kNonzero, "nonzero"},    {Constraint::kNoOverflow, "no_overflow"},
};
}  // namespace

const char* ConstraintName(Constraint c) {
  for (const auto& [value, name] : kConstraintNames) {
    if (value == c) return name;
  }
  return "?";
}

std::optional<Constraint> ConstraintFromName(const std::string& name) {
  for (const auto& [value, n] : kConstraintNames) {
    if (name == n) return value;
  }
  return std::nullopt;
}

namespace {
template <typename T, typename Pred>
const T* FindIn(const std::vector<T>& items, Pred pred) {
  auto it = std::find_if(items.begin(), items.end(), pred);
  return it == items.end() ? nullptr : &*it;
}
}  // namespace

std::vector<uint8_t> Guid::Bytes() const {
  static const std::regex kGuid("^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$");
  if (!std::regex_match(value, kGuid)) return {};
  std::string hex;
  for (char c : value) {
    if (c != '-') hex += c;
  }
  std::vector<uint8_t> raw;
  for (std::size_t i = 0; i < 32; i += 2) {
    raw.push_back(static_cast<uint8_t>(std::stoul(hex.substr(i, 2), nullptr, 16)));
  }
  // Mixed-endian: the 32-bit and two 16-bit leading groups are stored little-endian.
  std::reverse(raw.begin(), raw.begin() + 4);
  std::reverse(raw.begin() + 4, raw.begin() + 6);
  std::reverse(raw.begin() + 6, raw.begin() + 8);
  return raw;
}

const BitRange* Bitfield::Find(const std::string& field) const {
  return FindIn(fields, [&](const BitRange& b) { return b.name == field; });
}

uint64_t Bitfield::mbz_mask() const {
  uint64_t covered = 0, mbz = 0;
  for (const auto& f : fields) {
    covered |= f.mask();
    if (f.mbz) mbz |= f.mask();
  }
  const uint64_t all = width >= 64 ? ~0ull : ((1ull << width) - 1);
  return mbz | (all & ~covered);
}

const StructField* Structure::Find(const std::string& field) const {
  return FindIn(fields, [&](const StructField& f) { return f.name == field; });
}

const Call* Protocol::FindCall(uint32_t call_id) const {
  return FindIn(calls, [&](const Call& c) { return c.id == call_id; });
}

const Call* Protocol::FindCallByKey(const std::string& call_key) const {
  return FindIn(calls, [&](const Call& c) { return c.key == call_key; });
}

const Protocol* Spec::FindProtocol(const std::string& key) const {
  return FindIn(protocols, [&](const Protocol& p) { return p.key == key; });
}

const Structure* Spec::FindStructure(const std::string& name) const {
  return FindIn(structures, [&](const Structure& s) { return s.name == name; });
}

const Bitfield* Spec::FindBitfield(const std::string& name) const {
  return FindIn(bitfields, [&](const Bitfield& b) { return b.name == name; });
}

const Enum* Spec::FindEnum(const std::string& name) const {
  return FindIn(enums, [&](const Enum& e) { return e.name == name; });
}

const Guid* Spec::FindGuid(const std::string& name) const {
  return FindIn(guids, [&](const Guid& g) { return g.name == name; });
}

const SourceDocument* Spec::FindSource(const std::string& id) const {
  return FindIn(sources, [&](const SourceDocument& s) { return s.id == id; });
}

const Implementation* Spec::FindImplementation(const std::string& id) const {
  return FindIn(implementations, [&](const Implementation& i) { return i.id == id; });
}

const ResultCode* Spec::FindResultCode(const std::string& name, const std::string& protocol) const {
  return FindIn(result_codes, [&](const ResultCode& c) {
    const bool visible = c.protocol.empty() || c.protocol == protocol;
    if (!visible) return false;
    if (c.name == name) return true;
    return std::find(c.aliases.begin(), c.aliases.end(), name) != c.aliases.end();
  });
}

std::vector<const Rule*> Spec::AllRules() const {
  std::vector<const Rule*> out;
  for (const auto& r : rules) out.push_back(&r);
  for (const auto& p : protocols) {
    for (const auto& r : p.rules) out.push_back(&r);
    for (const auto& c : p.calls) {
      for (const auto& r : c.rules) out.push_back(&r);
    }
  }
  return out;
}

const Rule* Spec::FindRule(const std::string& id) const {
  for (const Rule* r : AllRules()) {
    if (r->id == id) return r;
  }
  return nullptr;
}

}  // namespace svsm_spec
