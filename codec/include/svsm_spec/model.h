// The resolved, immutable model of the SVSM protocol spec (spec/*.yaml).
//
// Values only: a Spec is built once by LoadSpec() and shared as
// std::shared_ptr<const Spec>. Every element keeps the SourceLoc it came from so
// later tools (generators, the runner) can point back into spec/.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "svsm_spec/diagnostics.h"

namespace svsm_spec {

inline constexpr int kSpecFormatVersion = 1;

// Ordered by how settled an element is: a child may not be more settled than its parent.
enum class Status { kPublished, kDraft, kProposed };
const char* StatusName(Status s);

struct SourceRef {
  std::string doc;  // id of a SourceDocument
  std::string ref;  // table or section inside it
  SourceLoc loc;
};

struct SourceDocument {
  std::string id, title, publisher, document, revision, date, doc;
  Status status = Status::kPublished;
  SourceLoc loc;
};

struct Implementation {
  std::string id, name, role, revision, doc;
  SourceLoc loc;
};

struct Metadata {
  std::string title, spec_revision, doc;
  std::vector<std::string> based_on;
  SourceLoc loc;
};

struct ResultCode {
  std::string name;
  uint32_t value = 0;
  std::string meaning;
  Status status = Status::kPublished;
  uint32_t since = 1;
  std::vector<std::string> aliases;
  SourceRef source;
  std::vector<SourceRef> see;
  std::string protocol;  // key of the defining protocol; empty for general codes
  SourceLoc loc;
};

enum class RangeClass { kSuccess, kNeedMemory, kError };
enum class RangeOwner { kGeneral, kProtocol, kReserved };
const char* RangeClassName(RangeClass c);
const char* RangeOwnerName(RangeOwner o);

struct ResultRange {
  std::string name;
  uint32_t first = 0, last = 0;
  RangeClass cls = RangeClass::kError;
  RangeOwner defined_by = RangeOwner::kGeneral;
  std::string meaning;
  Status status = Status::kPublished;
  SourceRef source;
  std::vector<SourceRef> see;
  std::string protocol;
  SourceLoc loc;
};

// A GUID the protocol names (service manifests). `value` is the canonical lower-case text
// form; on the wire GUIDs are mixed-endian (EFI byte order), see GuidBytes().
struct Guid {
  std::string name, value, meaning;
  Status status = Status::kPublished;
  SourceRef source;
  std::vector<SourceRef> see;
  std::string protocol;
  SourceLoc loc;

  // The 16 bytes as serialized: first three groups little-endian, last 8 bytes as written.
  // Empty when `value` is not a well-formed GUID.
  std::vector<uint8_t> Bytes() const;
};

struct EnumValue {
  std::string name;
  uint64_t value = 0;
  std::string doc;
  Status status = Status::kPublished;
  uint32_t since = 1;
  SourceLoc loc;
};

struct Enum {
  std::string name, doc;
  std::vector<EnumValue> values;
  std::optional<SourceRef> source;
  std::string protocol;
  SourceLoc loc;
};

struct BitRange {
  std::string name;
  unsigned msb = 0, lsb = 0;
  std::string doc;
  std::string enum_name;
  bool mbz = false;
  bool reserved = false;
  unsigned shift = 0;
  Status status = Status::kPublished;
  uint32_t since = 1;
  SourceLoc loc;

  unsigned width() const { return msb - lsb + 1; }
  uint64_t mask() const {  // mask in place
    return (width() >= 64 ? ~0ull : ((1ull << width()) - 1)) << lsb;
  }
};

struct Bitfield {
  std::string name, title, doc;
  unsigned width = 64;
  std::vector<BitRange> fields;
  Status status = Status::kPublished;
  std::optional<SourceRef> source;
  std::vector<SourceRef> see;
  std::string protocol;
  SourceLoc loc;

  const BitRange* Find(const std::string& field) const;
  uint64_t mbz_mask() const;  // bits covered by mbz fields plus bits covered by no field
};

enum class FieldType { kU8, kU16, kU32, kU64, kGpa, kBytes, kGuid, kBitfield, kStruct, kArray };
const char* FieldTypeName(FieldType t);
// Byte size of a type whose size the type alone fixes (u8..u64, gpa, guid); 0 for the
// others (bytes, bitfield, struct, array), whose size depends on the field.
uint32_t ScalarSize(FieldType t);

struct ArrayElement {
  FieldType type = FieldType::kU64;
  std::string layout;       // bitfield name
  std::string struct_name;  // structure name
};

struct StructField {
  std::string name;
  uint32_t offset = 0;
  FieldType type = FieldType::kU8;
  std::optional<uint32_t> size;  // as written
  std::string size_field;
  std::optional<uint32_t> max_size;
  std::string layout, struct_name, enum_name;
  std::optional<ArrayElement> element;
  std::optional<uint32_t> count;
  std::string count_field;
  std::optional<uint32_t> min_count, max_count;
  std::optional<uint64_t> align;
  std::string points_to;
  bool mbz = false;
  bool reserved = false;
  bool big_endian = false;
  std::string doc;
  Status status = Status::kPublished;
  uint32_t since = 1;
  SourceLoc loc;

  // Resolved by the linter: byte size of a fixed field, or of one element of an array.
  uint32_t fixed_size = 0;
  uint32_t element_size = 0;
  bool is_variable() const { return !size_field.empty() || !count_field.empty(); }
};

struct Structure {
  std::string name, title, doc;
  uint32_t size = 0;
  bool variable = false;
  std::optional<uint32_t> max_size;
  std::optional<uint64_t> align;
  bool within_page = false;
  bool sparse = false;
  std::vector<StructField> fields;
  Status status = Status::kPublished;
  uint32_t since = 1;
  SourceRef source;
  std::vector<SourceRef> see;
  std::string protocol;
  SourceLoc loc;

  const StructField* Find(const std::string& field) const;
};

enum class Register { kRcx, kRdx, kR8, kR9 };
const char* RegisterName(Register r);

struct RegisterUse {
  Register reg = Register::kRcx;
  std::string name;
  FieldType type = FieldType::kU64;  // kU8..kU64, kGpa or kBitfield
  std::string layout, enum_name, points_to, doc;
  std::optional<uint64_t> align;
  Status status = Status::kPublished;
  uint32_t since = 1;
  SourceLoc loc;
};

struct Registers {
  std::vector<RegisterUse> in, out;
};

struct FormSelector {
  Register reg = Register::kRcx;
  std::string field;
  uint64_t value = 0;
  SourceLoc loc;
};

struct Form {
  std::string name, doc;
  FormSelector selector;
  Registers registers;
  SourceLoc loc;
};

struct RuleOutput {
  std::string target, value;
};

struct Divergence {
  std::string implementation, behaviour, result, since, until;
  SourceRef source;
  SourceLoc loc;
};

enum class RuleKind { kError, kEffect, kFreedom };
const char* RuleKindName(RuleKind k);

// A decode-time condition a rule enforces (`enforces:`); see docs/spec-format.md.
enum class Constraint {
  kAlign,       // the target's stated align
  kMbz,         // an mbz field (or bitfield.* for the bits no field covers)
  kEnum,        // the value is one of the target's enum values
  kMinCount,    // an array's min_count
  kMaxCount,    // an array's max_count
  kWithinPage,  // a within_page structure (or a gpa pointing to one) does not cross a page
  kNonzero,     // the value is not 0
  kNoOverflow,  // address + size does not wrap
};
const char* ConstraintName(Constraint c);
std::optional<Constraint> ConstraintFromName(const std::string& name);

// One `enforces` entry: target is rcx|rdx|r8|r9 (an input register of the owning call),
// structure, structure.field, bitfield.field or bitfield.* (the bits no field covers).
struct Enforcement {
  std::string target;
  Constraint constraint = Constraint::kAlign;
  SourceLoc loc;
};

struct Rule {
  std::string id;
  RuleKind kind = RuleKind::kError;
  std::string summary, when;
  std::string result;  // result-code name; empty when allowed_results is used
  std::vector<std::string> allowed_results;
  std::vector<RuleOutput> outputs;
  std::vector<std::string> checks;
  std::vector<Enforcement> enforces;
  Status status = Status::kPublished;
  uint32_t since = 1;
  SourceRef source;
  std::vector<SourceRef> see;
  std::vector<Divergence> divergences;
  std::string protocol;  // owning protocol key; empty for general rules
  std::string call;      // owning call key; empty for protocol-wide and general rules
  SourceLoc loc;
};

struct ObservedOrder {
  std::string implementation;
  std::vector<std::string> order;
  SourceRef source;
};

struct CheckOrder {
  bool specified = false;
  std::string note;
  std::vector<std::string> order;
  std::vector<ObservedOrder> observed;
  SourceLoc loc;
};

struct Alternative {
  std::string id, text, proposed_by;
  std::optional<SourceRef> source;
};

struct OpenQuestion {
  std::string id, question;
  std::vector<Alternative> alternatives;
  SourceRef source;
  SourceLoc loc;
};

struct Call {
  uint32_t id = 0;
  std::string name, key;
  uint32_t since = 1;
  Status status = Status::kPublished;
  bool optional = false;
  std::string summary, semantics;
  std::optional<Registers> registers;  // exactly one of registers / forms
  std::vector<Form> forms;
  std::vector<Rule> rules;
  std::optional<CheckOrder> check_order;
  std::vector<OpenQuestion> open_questions;
  SourceRef source;
  std::vector<SourceRef> see;
  SourceLoc loc;
};

struct Protocol {
  std::string key;
  uint32_t number = 0;
  std::string name, c_prefix;
  Status status = Status::kPublished;
  bool mandatory = false;
  uint32_t min_version = 1, max_version = 1;
  std::string summary, semantics;
  SourceRef source;
  std::vector<SourceRef> see;
  std::vector<Call> calls;
  std::vector<Rule> rules;
  std::vector<OpenQuestion> open_questions;
  std::vector<Divergence> divergences;
  std::string file;
  SourceLoc loc;

  const Call* FindCall(uint32_t id) const;
  const Call* FindCallByKey(const std::string& key) const;
};

struct CallingConvention {
  std::string rax_in;  // bitfield name
  unsigned rax_out_width = 32;
  std::vector<Register> argument_registers;
  std::string calling_area, secrets_page;
  std::optional<uint64_t> vmgexit_exit_code;
  std::string semantics;
  SourceRef source;
  std::vector<SourceRef> see;
  SourceLoc loc;
};

struct Spec {
  std::vector<std::string> files;  // the files it was loaded from, in load order
  Metadata metadata;
  std::vector<SourceDocument> sources;
  std::vector<Implementation> implementations;
  std::optional<CallingConvention> calling_convention;
  std::vector<ResultCode> result_codes;    // general and per protocol, in load order
  std::vector<ResultRange> result_ranges;  // general and protocol-defined
  std::vector<Guid> guids;
  std::vector<Enum> enums;
  std::vector<Bitfield> bitfields;
  std::vector<Structure> structures;
  std::vector<Rule> rules;  // general (calling-convention) rules
  std::vector<Protocol> protocols;

  const Protocol* FindProtocol(const std::string& key) const;
  const Structure* FindStructure(const std::string& name) const;
  const Bitfield* FindBitfield(const std::string& name) const;
  const Enum* FindEnum(const std::string& name) const;
  const Guid* FindGuid(const std::string& name) const;
  const SourceDocument* FindSource(const std::string& id) const;
  const Implementation* FindImplementation(const std::string& id) const;
  // A general code, or a code of `protocol` when given.
  const ResultCode* FindResultCode(const std::string& name, const std::string& protocol = "") const;
  // Every rule: general, then per protocol (protocol-wide, then per call).
  std::vector<const Rule*> AllRules() const;
  const Rule* FindRule(const std::string& id) const;
};

}  // namespace svsm_spec
