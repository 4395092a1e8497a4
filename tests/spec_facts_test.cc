// The loaded spec agrees with expectations typed by hand from
// shared/reference/svsm-protocol-facts.md (section given per table). These tables are
// deliberately written independently of spec/*.yaml: a number that drifts in either place
// fails here. Names are the spec's; numbers are the facts file's.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <iterator>
#include <map>
#include <string>

#include "svsm_spec/dump_json.h"
#include "svsm_spec/loader.h"

namespace svsm_spec {
namespace {

const Spec& Shipped() {
  static const LoadResult result = LoadSpecFiles({SVSM_SPEC_DIR});
  if (!result.spec) {
    for (const auto& d : result.diagnostics.Sorted()) ADD_FAILURE() << d.Format();
    std::abort();  // test-only: nothing below can run without the spec
  }
  return *result.spec;
}

// The JSON dump (`svsm-spec dump --json`) is what tools outside C++ consume, so the number
// tables below are checked against it, not against the in-memory model.
const nlohmann::ordered_json& Dump() {
  static const nlohmann::ordered_json dump = DumpJson(Shipped());
  return dump;
}

const nlohmann::ordered_json* FindNamed(const nlohmann::ordered_json& list, const char* key,
                                        const std::string& value) {
  for (const auto& item : list) {
    if (item.contains(key) && item[key] == value) return &item;
  }
  return nullptr;
}

std::string Hex32(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", v);
  return buf;
}

struct ProtocolFact {
  const char* key;
  uint32_t number;
  uint32_t min_version, max_version;
  Status status;
};

// Facts §3.0 and §3.1.7 (current version ranges).
const ProtocolFact kProtocols[] = {
    {"core", 0, 1, 1, Status::kPublished}, {"attest", 1, 1, 1, Status::kPublished},
    {"vtpm", 2, 1, 1, Status::kPublished}, {"apic", 3, 1, 1, Status::kDraft},
    {"uefimm", 4, 1, 1, Status::kDraft},   {"reboot", 5, 1, 1, Status::kDraft},
    {"ocp", 5, 1, 1, Status::kProposed},
};

TEST(SpecFacts, ProtocolNumbersVersionsAndStatus) {
  for (const auto& f : kProtocols) {
    const auto* p = FindNamed(Dump()["protocols"], "key", f.key);
    ASSERT_NE(p, nullptr) << f.key;
    EXPECT_EQ((*p)["number"], f.number) << f.key;
    EXPECT_EQ((*p)["versions"]["min"], f.min_version) << f.key;
    EXPECT_EQ((*p)["versions"]["max"], f.max_version) << f.key;
    EXPECT_EQ((*p)["status"], StatusName(f.status)) << f.key;
  }
  EXPECT_EQ((*FindNamed(Dump()["protocols"], "key", "core"))["mandatory"], true);
  EXPECT_EQ(Dump()["protocols"].size(), std::size(kProtocols));
}

struct CallFact {
  const char* protocol;
  const char* name;
  uint32_t id;
};

// Facts §3.1, §3.2, §3.3, §3.4, §3.5, §4.2, §4.3.
const CallFact kCalls[] = {
    {"core", "SVSM_CORE_REMAP_CA", 0},
    {"core", "SVSM_CORE_PVALIDATE", 1},
    {"core", "SVSM_CORE_CREATE_VCPU", 2},
    {"core", "SVSM_CORE_DELETE_VCPU", 3},
    {"core", "SVSM_CORE_DEPOSIT_MEM", 4},
    {"core", "SVSM_CORE_WITHDRAW_MEM", 5},
    {"core", "SVSM_CORE_QUERY_PROTOCOL", 6},
    {"core", "SVSM_CORE_CONFIGURE_VTOM", 7},
    {"attest", "SVSM_ATTEST_SERVICES", 0},
    {"attest", "SVSM_ATTEST_SINGLE_SERVICE", 1},
    {"attest", "SVSM_ATTEST_SINGLE_SERVICE_EX", 2},
    {"vtpm", "SVSM_VTPM_QUERY", 0},
    {"vtpm", "SVSM_VTPM_CMD", 1},
    {"apic", "SVSM_APIC_QUERY_FEATURES", 0},
    {"apic", "SVSM_APIC_CONFIGURE", 1},
    {"apic", "SVSM_APIC_READ_REGISTER", 2},
    {"apic", "SVSM_APIC_WRITE_REGISTER", 3},
    {"apic", "SVSM_APIC_CONFIGURE_VECTOR", 4},
    {"uefimm", "SVSM_UEFI_MM_REQUEST", 1},
    {"reboot", "SVSM_REBOOT_EXECUTE", 0},
    {"ocp", "SVSM_OCP_LIST_OBJECTS", 0},
    {"ocp", "SVSM_OCP_LIST_OBJECT_SOURCES", 1},
    {"ocp", "SVSM_OCP_READ", 2},
    {"ocp", "SVSM_OCP_WRITE", 3},
};

TEST(SpecFacts, EveryCallIdAndNoOthers) {
  std::size_t total = 0;
  for (const auto& p : Dump()["protocols"]) total += p["calls"].size();
  EXPECT_EQ(total, std::size(kCalls));
  for (const auto& f : kCalls) {
    const auto* p = FindNamed(Dump()["protocols"], "key", f.protocol);
    ASSERT_NE(p, nullptr) << f.protocol;
    const auto* c = FindNamed((*p)["calls"], "name", f.name);
    ASSERT_NE(c, nullptr) << f.name;
    EXPECT_EQ((*c)["id"], f.id) << f.name;
  }
}

TEST(SpecFacts, RaxValuesInTheDump) {
  // Facts §1.3: RAX = protocol << 32 | call id.
  const auto dump = DumpJson(Shipped());
  std::map<std::string, std::string> rax;
  for (const auto& p : dump["protocols"]) {
    for (const auto& c : p["calls"]) rax[c["name"]] = c["rax"];
  }
  EXPECT_EQ(rax["SVSM_CORE_PVALIDATE"], "0x1");
  EXPECT_EQ(rax["SVSM_CORE_CONFIGURE_VTOM"], "0x7");
  EXPECT_EQ(rax["SVSM_ATTEST_SINGLE_SERVICE"], "0x100000001");
  EXPECT_EQ(rax["SVSM_VTPM_CMD"], "0x200000001");
  EXPECT_EQ(rax["SVSM_APIC_CONFIGURE_VECTOR"], "0x300000004");
  EXPECT_EQ(rax["SVSM_UEFI_MM_REQUEST"], "0x400000001");
  EXPECT_EQ(rax["SVSM_REBOOT_EXECUTE"], "0x500000000");
  EXPECT_EQ(rax["SVSM_OCP_WRITE"], "0x500000003");
}

struct CodeFact {
  const char* name;
  uint32_t value;
  const char* protocol;  // "" = general
};

// Facts §2.
const CodeFact kCodes[] = {
    {"SVSM_SUCCESS", 0x00000000, ""},
    {"SVSM_ERR_INCOMPLETE", 0x80000000, ""},
    {"SVSM_ERR_UNSUPPORTED_PROTOCOL", 0x80000001, ""},
    {"SVSM_ERR_UNSUPPORTED_CALL", 0x80000002, ""},
    {"SVSM_ERR_INVALID_ADDRESS", 0x80000003, ""},
    {"SVSM_ERR_INVALID_FORMAT", 0x80000004, ""},
    {"SVSM_ERR_INVALID_PARAMETER", 0x80000005, ""},
    {"SVSM_ERR_INVALID_REQUEST", 0x80000006, ""},
    {"SVSM_ERR_BUSY", 0x80000007, ""},
    {"SVSM_ERR_PVALIDATE_FAIL_INPUT", 0x80001001, "core"},
    {"SVSM_ERR_PVALIDATE_FAIL_PERMISSION", 0x80001002, "core"},
    {"SVSM_ERR_CORE_FAIL_INUSE", 0x80001003, "core"},
    {"SVSM_ERR_PVALIDATE_FAIL_SIZEMISMATCH", 0x80001006, "core"},
    {"SVSM_ERR_PVALIDATE_FAIL_NO_CHANGE", 0x80001010, "core"},
    {"SVSM_ERR_PVALIDATE_UNEXPECTED_EAX", 0x80001011, "core"},
    {"SVSM_ERR_APIC_CANNOT_REGISTER", 0x80001000, "apic"},
    {"SVSM_ERR_ATTEST_SNP_REQUEST_FAILED", 0x80001000, "attest"},
    // Names a guest writes: the Linux and EDK2 spellings resolve to the same values.
    {"SVSM_ERR_UNSUPPORTED_CALLID", 0x80000002, ""},
    {"SVSM_PVALIDATE_FAIL_SIZEMISMATCH", 0x80001006, "core"},
    {"SVSM_ERR_PVALIDATE_FAIL_SIZE_MISMATCH", 0x80001006, "core"},
};

TEST(SpecFacts, ResultCodeValues) {
  for (const auto& f : kCodes) {
    // Aliases are listed on their code; look a name up among names and aliases.
    const nlohmann::ordered_json* code = nullptr;
    for (const auto& c : Dump()["result_codes"]) {
      const bool alias =
          c.contains("aliases") &&
          std::find(c["aliases"].begin(), c["aliases"].end(), f.name) != c["aliases"].end();
      if (c["name"] == f.name || alias) code = &c;
    }
    ASSERT_NE(code, nullptr) << f.name;
    EXPECT_EQ((*code)["value"], Hex32(f.value)) << f.name;
    EXPECT_EQ(code->value("protocol", ""), f.protocol) << f.name;
  }
}

TEST(SpecFacts, ResultRanges) {
  // Facts §2: the code space partition.
  struct Range {
    uint32_t first, last;
    RangeClass cls;
  };
  const Range kRanges[] = {{0x00000000, 0x00000FFF, RangeClass::kSuccess},
                           {0x00001000, 0x3FFFFFFF, RangeClass::kSuccess},
                           {0x40000000, 0x7FFFFFFF, RangeClass::kNeedMemory},
                           {0x80000000, 0x80000007, RangeClass::kError},
                           {0x80000008, 0x80000FFF, RangeClass::kError},
                           {0x80001000, 0xFFFFFFFF, RangeClass::kError}};
  for (const auto& want : kRanges) {
    bool found = false;
    for (const auto& r : Shipped().result_ranges) {
      if (r.protocol.empty() && r.first == want.first && r.last == want.last) {
        found = true;
        EXPECT_EQ(r.cls, want.cls) << r.name;
      }
    }
    EXPECT_TRUE(found) << "range " << want.first << ".." << want.last;
  }
  bool pvalidate_eax = false;
  for (const auto& r : Shipped().result_ranges) {
    if (r.protocol == "core" && r.first == 0x80001000 && r.last == 0x8000100F) pvalidate_eax = true;
  }
  EXPECT_TRUE(pvalidate_eax) << "facts §2: PVALIDATE EAX codes 0x80001000-0x8000100F";
}

struct FieldFact {
  const char* structure;
  const char* field;  // "" = the structure's own (fixed) size
  uint32_t offset;
  uint32_t size;  // element size for arrays
};

// Facts §1.1, §1.2, §3.1.2, §3.1.5, §3.1.6, §3.5, §4.3, §6.
const FieldFact kFields[] = {
    {"svsm_caa", "", 0, 4096},
    {"svsm_caa", "call_pending", 0x000, 1},
    {"svsm_caa", "mem_available", 0x001, 1},
    {"svsm_caa", "reserved", 0x002, 6},
    {"svsm_caa", "buffer", 0x008, 4088},
    {"snp_secrets_page_svsm", "svsm_base", 0x140, 8},
    {"snp_secrets_page_svsm", "svsm_size", 0x148, 8},
    {"snp_secrets_page_svsm", "svsm_caa", 0x150, 8},
    {"snp_secrets_page_svsm", "svsm_max_version", 0x158, 4},
    {"snp_secrets_page_svsm", "svsm_guest_vmpl", 0x15C, 1},
    {"snp_secrets_page_svsm", "reserved", 0x15D, 3},
    {"pvalidate_list", "", 0, 8},
    {"pvalidate_list", "entries", 0x000, 2},
    {"pvalidate_list", "next", 0x002, 2},
    {"pvalidate_list", "reserved", 0x004, 4},
    {"pvalidate_list", "entry", 0x008, 8},
    {"deposit_mem_list", "", 0, 8},
    {"deposit_mem_list", "entries", 0x000, 2},
    {"deposit_mem_list", "next", 0x002, 2},
    {"deposit_mem_list", "reserved", 0x004, 4},
    {"deposit_mem_list", "entry", 0x008, 8},
    {"withdraw_mem_area", "", 0, 8},
    {"withdraw_mem_area", "count", 0x000, 2},
    {"withdraw_mem_area", "unused", 0x002, 6},
    {"withdraw_mem_area", "page", 0x008, 8},
    {"uefimm_communicate_header", "", 0, 24},
    {"uefimm_communicate_header", "header_guid", 0, 16},
    {"uefimm_communicate_header", "message_length", 16, 8},
    {"uefimm_service_manifest", "", 0, 8},
    {"uefimm_service_manifest", "version", 0, 4},
    {"uefimm_service_manifest", "flags", 4, 4},
    {"reboot_service_manifest", "", 0, 8},
    {"reboot_service_manifest", "version", 0, 4},
    {"reboot_service_manifest", "flags", 4, 4},
    {"ocp_object_details", "", 0, 12},
    {"ocp_object_details", "object_index", 0, 4},
    {"ocp_object_details", "category", 4, 4},
    {"ocp_object_details", "source_count", 8, 4},
    {"ocp_source_details", "", 0, 128},
    {"ocp_source_details", "object_index", 0x00, 4},
    {"ocp_source_details", "source_index", 0x04, 4},
    {"ocp_source_details", "type", 0x08, 4},
    {"ocp_source_details", "flags", 0x0C, 4},
    {"ocp_source_details", "name", 0x10, 112},
    // Facts §3.2: attestation operations (0x40 and 0x58) and the proposal's 0x68.
    {"attest_services_op", "", 0, 0x40},
    {"attest_services_op", "report_gpa", 0x00, 8},
    {"attest_services_op", "report_size", 0x08, 4},
    {"attest_services_op", "reserved_0c", 0x0C, 4},
    {"attest_services_op", "nonce_gpa", 0x10, 8},
    {"attest_services_op", "nonce_size", 0x18, 2},
    {"attest_services_op", "reserved_1a", 0x1A, 6},
    {"attest_services_op", "manifest_gpa", 0x20, 8},
    {"attest_services_op", "manifest_size", 0x28, 4},
    {"attest_services_op", "reserved_2c", 0x2C, 4},
    {"attest_services_op", "certs_gpa", 0x30, 8},
    {"attest_services_op", "certs_size", 0x38, 4},
    {"attest_services_op", "reserved_3c", 0x3C, 4},
    {"attest_single_service_op", "", 0, 0x58},
    {"attest_single_service_op", "services_op", 0x00, 0x40},
    {"attest_single_service_op", "service_guid", 0x40, 16},
    {"attest_single_service_op", "manifest_version", 0x50, 4},
    {"attest_single_service_op", "reserved_54", 0x54, 4},
    {"attest_single_service_ex_op", "", 0, 0x68},
    {"attest_single_service_ex_op", "selector_gpa", 0x58, 8},
    {"attest_single_service_ex_op", "selector_size", 0x60, 4},
    {"attest_single_service_ex_op", "reserved_64", 0x64, 4},
    // Facts §6: services manifest header and 24-byte entries.
    {"attest_services_manifest", "", 0, 0x18},
    {"attest_services_manifest", "header_guid", 0x00, 16},
    {"attest_services_manifest", "total_length", 0x10, 4},
    {"attest_services_manifest", "entry_count", 0x14, 4},
    {"attest_services_manifest", "entries", 0x18, 24},
    {"attest_services_manifest_entry", "", 0, 24},
    {"attest_services_manifest_entry", "service_guid", 0x00, 16},
    {"attest_services_manifest_entry", "data_offset", 0x10, 4},
    {"attest_services_manifest_entry", "data_size", 0x14, 4},
    // Facts §3.3: vTPM TPM_SEND_COMMAND request (packed) and response.
    {"vtpm_send_command_req", "", 0, 9},
    {"vtpm_send_command_req", "command", 0x0, 4},
    {"vtpm_send_command_req", "locality", 0x4, 1},
    {"vtpm_send_command_req", "command_size", 0x5, 4},
    {"vtpm_send_command_resp", "", 0, 4},
    {"vtpm_send_command_resp", "response_size", 0x0, 4},
    // Facts §6.1: SNP attestation report fields the protocol relies on.
    {"snp_attestation_report", "", 0, 0x4A0},
    {"snp_attestation_report", "version", 0x000, 4},
    {"snp_attestation_report", "guest_svn", 0x004, 4},
    {"snp_attestation_report", "policy", 0x008, 8},
    {"snp_attestation_report", "family_id", 0x010, 16},
    {"snp_attestation_report", "image_id", 0x020, 16},
    {"snp_attestation_report", "vmpl", 0x030, 4},
    {"snp_attestation_report", "signature_algo", 0x034, 4},
    {"snp_attestation_report", "signer_info", 0x048, 4},
    {"snp_attestation_report", "report_data", 0x050, 64},
    {"snp_attestation_report", "measurement", 0x090, 48},
    {"snp_attestation_report", "host_data", 0x0C0, 32},
    {"snp_attestation_report", "id_key_digest", 0x0E0, 48},
    {"snp_attestation_report", "author_key_digest", 0x110, 48},
    {"snp_attestation_report", "report_id", 0x140, 32},
    {"snp_attestation_report", "report_id_ma", 0x160, 32},
    {"snp_attestation_report", "chip_id", 0x1A0, 64},
    {"snp_attestation_report", "signature", 0x2A0, 512},
    {"snp_report_signature", "r", 0x00, 72},
    {"snp_report_signature", "s", 0x48, 72},
    // Facts §3.2: MSG_REPORT_REQ.
    {"snp_msg_report_req", "", 0, 0x60},
    {"snp_msg_report_req", "user_data", 0x00, 64},
    {"snp_msg_report_req", "vmpl", 0x40, 4},
    {"snp_msg_report_req", "flags", 0x44, 4},
    {"snp_msg_report_req", "reserved", 0x48, 24},
    // Facts §7: VMSA fields an SVSM reads.
    {"vmsa", "", 0, 0x670},
    {"vmsa", "vmpl", 0x0CA, 1},
    {"vmsa", "cpl", 0x0CB, 1},
    {"vmsa", "efer", 0x0D0, 8},
    {"vmsa", "cr4", 0x148, 8},
    {"vmsa", "cr3", 0x150, 8},
    {"vmsa", "cr0", 0x158, 8},
    {"vmsa", "rflags", 0x170, 8},
    {"vmsa", "rip", 0x178, 8},
    {"vmsa", "rsp", 0x1D8, 8},
    {"vmsa", "rax", 0x1F8, 8},
    {"vmsa", "rcx", 0x308, 8},
    {"vmsa", "rdx", 0x310, 8},
    {"vmsa", "r8", 0x340, 8},
    {"vmsa", "r9", 0x348, 8},
    {"vmsa", "guest_exit_info_1", 0x390, 8},
    {"vmsa", "guest_exit_info_2", 0x398, 8},
    {"vmsa", "sev_features", 0x3B0, 8},
    {"vmsa", "guest_exit_code", 0x3C0, 8},
    {"vmsa", "virtual_tom", 0x3C8, 8},
};

void ExpectFields(const FieldFact* begin, const FieldFact* end) {
  for (const FieldFact* f = begin; f != end; ++f) {
    const auto* s = FindNamed(Dump()["structures"], "name", f->structure);
    ASSERT_NE(s, nullptr) << f->structure;
    if (std::string(f->field).empty()) {
      EXPECT_EQ((*s)["size"], f->size) << f->structure;
      continue;
    }
    const auto* field = FindNamed((*s)["fields"], "name", f->field);
    ASSERT_NE(field, nullptr) << f->structure << "." << f->field;
    EXPECT_EQ((*field)["offset"], f->offset) << f->structure << "." << f->field;
    const auto& size = (*field)["type"] == "array" ? (*field)["element_size"] : (*field)["size"];
    EXPECT_EQ(size, f->size) << f->structure << "." << f->field;
  }
}

TEST(SpecFacts, StructureOffsetsAndSizes) {
  ExpectFields(std::begin(kFields), std::end(kFields));
}

TEST(SpecFacts, PvalidateListLimit) {
  // Facts §3.1.2: the list must not cross a 4 KiB boundary, so at most
  // (4096 - offset - 8) / 8 entries: 511 at page offset 0, 510 at CAA + 8.
  const Structure* list = Shipped().FindStructure("pvalidate_list");
  ASSERT_NE(list, nullptr);
  EXPECT_TRUE(list->within_page);
  const StructField* entry = list->Find("entry");
  ASSERT_NE(entry, nullptr);
  EXPECT_EQ(entry->count_field, "entries");
  ASSERT_TRUE(entry->max_count.has_value());
  EXPECT_EQ(*entry->max_count, 511u);
  EXPECT_EQ(list->size + *entry->max_count * entry->element_size, 4096u);
}

struct BitsFact {
  const char* bitfield;
  const char* field;
  unsigned msb, lsb;
};

// Facts §1.3, §3.1.2, §3.1.5, §3.1.7, §3.1.8, §3.4, §4.3, §6.
const BitsFact kBits[] = {
    {"svsm_call_rax", "call_id", 31, 0},
    {"svsm_call_rax", "protocol", 63, 32},
    {"pvalidate_entry", "page_size", 1, 0},
    {"pvalidate_entry", "action", 2, 2},
    {"pvalidate_entry", "ignore_cf", 3, 3},
    {"pvalidate_entry", "reserved", 11, 4},
    {"pvalidate_entry", "pfn", 63, 12},
    {"deposit_mem_entry", "page_size", 1, 0},
    {"deposit_mem_entry", "reserved", 11, 2},
    {"deposit_mem_entry", "pfn", 63, 12},
    {"query_protocol_request", "version", 31, 0},
    {"query_protocol_request", "protocol", 63, 32},
    {"query_protocol_response", "min_version", 31, 0},
    {"query_protocol_response", "max_version", 63, 32},
    {"configure_vtom_configure_in", "query", 0, 0},
    {"configure_vtom_configure_in", "enable", 1, 1},
    {"configure_vtom_configure_in", "set_cr3", 2, 2},
    {"configure_vtom_configure_in", "set_rip", 3, 3},
    {"configure_vtom_configure_in", "set_rsp", 4, 4},
    {"configure_vtom_configure_in", "reserved", 11, 5},
    {"configure_vtom_configure_in", "vtom", 63, 12},
    {"configure_vtom_query_out", "supported", 1, 1},
    {"configure_vtom_query_out", "alignment", 19, 12},
    {"apic_configure_vector", "vector", 7, 0},
    {"apic_configure_vector", "enable", 8, 8},
    {"apic_configure_vector", "all_vectors", 9, 9},
    {"apic_configure_vector", "reserved", 63, 10},
    {"uefimm_service_manifest_flags", "nv_persisted", 0, 0},
    {"uefimm_service_manifest_flags", "secure_boot_enabled", 1, 1},
    {"uefimm_service_manifest_flags", "secure_boot_db_updatable", 2, 2},
    {"ocp_source_selector", "source", 31, 0},
    {"ocp_source_selector", "object", 63, 32},
    {"ocp_source_flags", "writable", 0, 0},
    {"vmsa_efer", "svme", 12, 12},
    {"snp_report_signer_info", "author_key_en", 0, 0},
    {"snp_report_signer_info", "mask_chip_key", 1, 1},
    {"snp_report_signer_info", "signing_key", 4, 2},
    {"snp_report_signer_info", "reserved", 31, 5},
    {"vtpm_query_commands", "send_command", 8, 8},
};

TEST(SpecFacts, BitPositions) {
  for (const auto& f : kBits) {
    const auto* b = FindNamed(Dump()["bitfields"], "name", f.bitfield);
    ASSERT_NE(b, nullptr) << f.bitfield;
    const auto* r = FindNamed((*b)["fields"], "name", f.field);
    ASSERT_NE(r, nullptr) << f.bitfield << "." << f.field;
    EXPECT_EQ((*r)["msb"], f.msb) << f.bitfield << "." << f.field;
    EXPECT_EQ((*r)["lsb"], f.lsb) << f.bitfield << "." << f.field;
  }
  // PVALIDATE entry bits 11:4 must be zero (facts §3.1.2).
  EXPECT_EQ((*FindNamed(Dump()["bitfields"], "name", "pvalidate_entry"))["mbz_mask"], "0xff0");
}

TEST(SpecFacts, GuidsAndTheirWireBytes) {
  // Facts §6: the GUID table.
  const std::pair<const char*, const char*> kGuids[] = {
      {"attest_services_manifest_guid", "63849ebb-3d92-4670-a1ff-58f9c94b87bb"},
      {"vtpm_service_guid", "c476f1eb-0123-45a5-9641-b4e7dde5bfe3"},
      {"uefimm_service_guid", "a4453a59-9e1b-4787-a033-1986d6adbe55"},
      {"reboot_service_guid", "0cc20f93-afaa-4013-9fb6-9d16fc42ceae"},
  };
  for (const auto& [name, value] : kGuids) {
    const Guid* g = Shipped().FindGuid(name);
    ASSERT_NE(g, nullptr) << name;
    EXPECT_EQ(g->value, value) << name;
  }
  // Mixed-endian serialization (facts §6): first three groups little-endian.
  const std::vector<uint8_t> want = {0xbb, 0x9e, 0x84, 0x63, 0x92, 0x3d, 0x70, 0x46,
                                     0xa1, 0xff, 0x58, 0xf9, 0xc9, 0x4b, 0x87, 0xbb};
  EXPECT_EQ(Shipped().FindGuid("attest_services_manifest_guid")->Bytes(), want);
}

TEST(SpecFacts, EnumValues) {
  struct EnumFact {
    const char* en;
    const char* value;
    uint64_t number;
  };
  // Facts §3.1.2 (page size, action), §3.3 (MSSIM), §3.4 (x2APIC MSRs, CONFIGURE), §6.1.
  const EnumFact kEnums[] = {
      {"core_page_size", "size_4k", 0},
      {"core_page_size", "size_2m", 1},
      {"pvalidate_action", "rescind", 0},
      {"pvalidate_action", "validate", 1},
      {"vtpm_platform_command", "tpm_signal_power_on", 1},
      {"vtpm_platform_command", "tpm_send_command", 8},
      {"vtpm_platform_command", "tpm_session_end", 20},
      {"vtpm_platform_command", "tpm_get_command_response_sizes", 25},
      {"vtpm_platform_command", "tpm_test_failure_mode", 30},
      {"apic_configure_action", "query_registration", 0},
      {"apic_configure_action", "deregister", 1},
      {"apic_configure_action", "register", 2},
      {"apic_x2apic_register", "apic_id", 0x802},
      {"apic_x2apic_register", "tpr", 0x808},
      {"apic_x2apic_register", "ppr", 0x80A},
      {"apic_x2apic_register", "eoi", 0x80B},
      {"apic_x2apic_register", "ldr", 0x80D},
      {"apic_x2apic_register", "isr0", 0x810},
      {"apic_x2apic_register", "tmr0", 0x818},
      {"apic_x2apic_register", "irr7", 0x827},
      {"apic_x2apic_register", "icr", 0x830},
      {"apic_x2apic_register", "self_ipi", 0x83F},
      {"snp_signing_key", "vcek", 0},
      {"snp_signing_key", "vlek", 1},
      {"snp_signing_key", "none", 7},
      {"snp_signature_algo", "ecdsa_p384_sha384", 1},
  };
  for (const auto& f : kEnums) {
    const Enum* e = Shipped().FindEnum(f.en);
    ASSERT_NE(e, nullptr) << f.en;
    const auto it = std::find_if(e->values.begin(), e->values.end(),
                                 [&](const EnumValue& v) { return v.name == f.value; });
    ASSERT_NE(it, e->values.end()) << f.en << "." << f.value;
    EXPECT_EQ(it->value, f.number) << f.en << "." << f.value;
  }
}

TEST(SpecFacts, CallingConvention) {
  // Facts §1.3 and §1.4.
  ASSERT_TRUE(Shipped().calling_convention.has_value());
  const auto& cc = *Shipped().calling_convention;
  EXPECT_EQ(cc.rax_out_width, 32u);
  EXPECT_EQ(cc.argument_registers,
            (std::vector<Register>{Register::kRcx, Register::kRdx, Register::kR8, Register::kR9}));
  ASSERT_TRUE(cc.vmgexit_exit_code.has_value());
  EXPECT_EQ(*cc.vmgexit_exit_code, 0x403u);
}

}  // namespace
}  // namespace svsm_spec
