// Platform files: the embedded default, the shipped example files, YAML and JSON forms of
// the same platform, the JSON round trip, every diagnostic with its exact location, and
// garbage that must be refused without crashing.
#include "svsm_ref/platform_config.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace svsm_ref {
namespace {

namespace fs = std::filesystem;

fs::path TestdataDir() { return fs::path(SVSM_REF_TESTDATA_DIR) / "platform_config"; }

// The repository root, from the test data directory (tests/firmware_ref/testdata).
fs::path RepoRoot() { return (fs::path(SVSM_REF_TESTDATA_DIR) / ".." / ".." / "..").lexically_normal(); }

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Every diagnostic, formatted, one per line, in the order reported.
std::string Formatted(const svsm_spec::Diagnostics& diags) {
  std::string out;
  for (const auto& d : diags.all()) out += d.Format() + "\n";
  return out;
}

PlatformConfig ParseOk(const std::string& text, const std::string& file = "p.yaml") {
  svsm_spec::Diagnostics diags;
  std::optional<PlatformConfig> config = ParsePlatformConfig(text, file, diags);
  EXPECT_TRUE(config.has_value()) << Formatted(diags);
  EXPECT_EQ(diags.all().size(), 0u) << Formatted(diags);
  return config.value_or(PlatformConfig{});
}

PlatformConfig LoadOk(const fs::path& path) {
  svsm_spec::Diagnostics diags;
  std::optional<PlatformConfig> config = LoadPlatformConfigFile(path.string(), diags);
  EXPECT_TRUE(config.has_value()) << Formatted(diags);
  return config.value_or(PlatformConfig{});
}

std::string ParseErrors(const std::string& text) {
  svsm_spec::Diagnostics diags;
  std::optional<PlatformConfig> config = ParsePlatformConfig(text, "p.yaml", diags);
  EXPECT_FALSE(config.has_value());
  return Formatted(diags);
}

TEST(PlatformConfigTest, DefaultPassesChecks) {
  EXPECT_EQ(CheckPlatformConfig(DefaultPlatformConfig()), std::vector<std::string>{});
}

TEST(PlatformConfigTest, DefaultHasTheDocumentedLayout) {
  const PlatformConfig config = DefaultPlatformConfig();
  EXPECT_EQ(config.guest_vmpl, 2);
  ASSERT_EQ(config.memory.size(), 5u);
  EXPECT_EQ(config.memory[0].name, "boot-ram");
  EXPECT_TRUE(config.memory[0].prevalidated);
  EXPECT_EQ(config.memory[0].base + config.memory[0].size, 0x100'0000u);
  EXPECT_EQ(config.memory[1].base + config.memory[1].size, 0x8000'0000u);
  EXPECT_TRUE(config.memory[2].shared);
  EXPECT_EQ(config.memory[3].kind, MemoryRegion::Kind::kMmio);
  EXPECT_EQ(config.memory[4].base, 0x1'0000'0000u);
  EXPECT_EQ(config.svsm_base, 0x4000'0000u);
  EXPECT_EQ(config.svsm_size, 0x100'0000u);
  ASSERT_EQ(config.vcpus.size(), 4u);
  EXPECT_EQ(config.vcpus[3].apic_id, 3u);
  ASSERT_EQ(config.protocols.size(), 2u);
  EXPECT_EQ(config.attestation.measurement[0], 0x01);
  EXPECT_EQ(config.attestation.measurement[47], 0x30);
  EXPECT_EQ(config.attestation.host_data[0], 0xA0);
  EXPECT_EQ(config.attestation.host_data[31], 0xBF);
  EXPECT_EQ(std::string(config.attestation.chip_id.begin(), config.attestation.chip_id.begin() + 24),
            "svsm-spec reference chip");
  EXPECT_EQ(config.attestation.chip_id[24], 0);
  EXPECT_TRUE(config.attestation.signing_key_pem.empty());
  EXPECT_TRUE(config.attestation.services.empty());
}

TEST(PlatformConfigTest, DefaultRoundTripsThroughJson) {
  const PlatformConfig config = DefaultPlatformConfig();
  const std::string json = PlatformConfigToJson(config);
  EXPECT_EQ(ParseOk(json, "default.json"), config);
}

TEST(PlatformConfigTest, JsonWrites64BitValuesAsHexStrings) {
  const nlohmann::json json = nlohmann::json::parse(PlatformConfigToJson(DefaultPlatformConfig()));
  EXPECT_EQ(json["memory"][4]["base"], "0x100000000");
  EXPECT_EQ(json["memory"][3]["kind"], "mmio");
  EXPECT_EQ(json["svsm"]["size"], "0x1000000");
  EXPECT_EQ(json["sev_features"], "0x1");
  EXPECT_EQ(json["vtom"]["max_vtom"], "0x8000000000000");
  EXPECT_EQ(json["vtom"]["alignment_log2"], 20);
  EXPECT_EQ(json["attestation"]["policy"], "0x30000");
  EXPECT_EQ(json["vcpus"][2]["apic_id"], 2);
  EXPECT_EQ(json["attestation"]["host_data"],
            "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf");
}

TEST(PlatformConfigTest, ShippedDefaultFileIsTheEmbeddedDefault) {
  EXPECT_EQ(LoadOk(RepoRoot() / "firmware_ref/platforms/default.yaml"), DefaultPlatformConfig());
}

TEST(PlatformConfigTest, ShippedSmallFileIsASmallPlatform) {
  const PlatformConfig config = LoadOk(RepoRoot() / "firmware_ref/platforms/small.yaml");
  EXPECT_EQ(config.vcpus.size(), 2u);
  uint64_t ram = 0;
  for (const auto& region : config.memory) {
    if (region.kind == MemoryRegion::Kind::kRam && !region.shared) ram += region.size;
  }
  EXPECT_EQ(ram, 64u << 20);
  EXPECT_EQ(config.pvalidate_entries_per_call, 2u);
  ASSERT_EQ(config.attestation.services.size(), 1u);
  EXPECT_EQ(config.attestation.services[0].name, "test-service");
  // Keys the file leaves out keep the defaults.
  EXPECT_EQ(config.guest_vmpl, 2);
  EXPECT_EQ(config.protocols, DefaultPlatformConfig().protocols);
  EXPECT_EQ(config.attestation.measurement, DefaultPlatformConfig().attestation.measurement);
}

TEST(PlatformConfigTest, FullYamlAndJsonAreTheSamePlatform) {
  const PlatformConfig from_yaml = LoadOk(TestdataDir() / "full.yaml");
  const PlatformConfig from_json = LoadOk(TestdataDir() / "full.json");
  EXPECT_EQ(from_yaml, from_json);
  EXPECT_EQ(PlatformConfigToJson(from_yaml), PlatformConfigToJson(from_json));
}

TEST(PlatformConfigTest, FullExampleReadsEveryKey) {
  const PlatformConfig config = LoadOk(TestdataDir() / "full.yaml");
  EXPECT_EQ(config.name, "full example: every key");
  EXPECT_EQ(config.guest_vmpl, 1);
  ASSERT_EQ(config.memory.size(), 5u);
  EXPECT_FALSE(config.memory[0].large_pages);
  EXPECT_EQ(config.memory[2].size, 0x100000u);
  EXPECT_EQ(config.memory[3].kind, MemoryRegion::Kind::kMmio);
  EXPECT_EQ(config.memory[4].base, 0xfffff00000000u);
  EXPECT_EQ(config.sev_features, 0x41u);
  ASSERT_EQ(config.vcpus.size(), 3u);
  EXPECT_EQ(config.vcpus[2].apic_id, 0xFFFFFFFFu);
  ASSERT_EQ(config.protocols.size(), 3u);
  EXPECT_EQ(config.protocols[2].min_version, 1u);  // left out: the struct default
  EXPECT_EQ(config.protocols[2].max_version, 3u);
  EXPECT_FALSE(config.vtom.supported);
  EXPECT_EQ(config.vtom.alignment_log2, 21);
  EXPECT_EQ(config.vtom.max_vtom, 0x400000000u);
  EXPECT_EQ(config.pvalidate_entries_per_call, 3u);
  EXPECT_EQ(config.deposit_entries_per_call, 7u);
  EXPECT_EQ(config.attestation.signing_key_pem.rfind("-----BEGIN PRIVATE KEY-----\n", 0), 0u);
  EXPECT_EQ(config.attestation.policy, ~uint64_t{0});
  EXPECT_EQ(config.attestation.image_id[10], 0xAA);
  EXPECT_EQ(config.attestation.measurement[0], 0xFF);
  EXPECT_FALSE(config.attestation.provide_certificates);
  EXPECT_TRUE(config.attestation.fail_snp_requests);
  ASSERT_EQ(config.attestation.services.size(), 3u);
  // c476f1eb-0123-45a5-9641-b4e7dde5bfe3 on the wire: three groups little-endian, then as written.
  const std::array<uint8_t, 16> vtpm_guid = {0xeb, 0xf1, 0x76, 0xc4, 0x23, 0x01, 0xa5, 0x45,
                                             0x96, 0x41, 0xb4, 0xe7, 0xdd, 0xe5, 0xbf, 0xe3};
  EXPECT_EQ(config.attestation.services[0].guid, vtpm_guid);
  EXPECT_EQ(config.attestation.services[0].manifest, (std::vector<uint8_t>{0x00, 0xFF}));
  EXPECT_TRUE(config.attestation.services[1].manifest.empty());
  EXPECT_TRUE(config.attestation.services[2].manifest.empty());
  EXPECT_EQ(config.attestation.services[2].guid[0], 0x04);
  EXPECT_EQ(config.attestation.services[2].guid[15], 0x10);
}

TEST(PlatformConfigTest, FullExampleRoundTripsThroughJson) {
  const PlatformConfig config = LoadOk(TestdataDir() / "full.yaml");
  const std::string json = PlatformConfigToJson(config);
  EXPECT_EQ(ParseOk(json, "full.json"), config);
  EXPECT_NE(json.find("\"guid\": \"c476f1eb-0123-45a5-9641-b4e7dde5bfe3\""), std::string::npos)
      << json;
}

TEST(PlatformConfigTest, EmptyMappingIsTheDefault) {
  EXPECT_EQ(ParseOk("{}\n"), DefaultPlatformConfig());
}

TEST(PlatformConfigTest, KeysLeftOutKeepDefaults) {
  const PlatformConfig config = ParseOk("guest_vmpl: 3\nattestation:\n  guest_svn: 5\n");
  PlatformConfig expected = DefaultPlatformConfig();
  expected.guest_vmpl = 3;
  expected.attestation.guest_svn = 5;
  EXPECT_EQ(config, expected);
}

TEST(PlatformConfigTest, GivenListsReplaceTheDefaultLists) {
  const PlatformConfig config = ParseOk(
      "vcpus: [{apic_id: 7}]\n"
      "protocols: [{number: 0}]\n");
  ASSERT_EQ(config.vcpus.size(), 1u);
  EXPECT_EQ(config.vcpus[0].apic_id, 7u);
  ASSERT_EQ(config.protocols.size(), 1u);
  EXPECT_EQ(config.protocols[0].number, 0u);
  EXPECT_EQ(config.memory, DefaultPlatformConfig().memory);
}

TEST(PlatformConfigTest, AcceptsEveryIntegerForm) {
  const PlatformConfig config = ParseOk(
      "guest_vmpl: 0x3\n"
      "pvalidate_entries_per_call: 4294967295\n"
      "deposit_entries_per_call: \"0xFFFFFFFF\"\n"
      "sev_features: 0xffffffffffffffff\n");
  EXPECT_EQ(config.guest_vmpl, 3);
  EXPECT_EQ(config.pvalidate_entries_per_call, 0xFFFFFFFFu);
  EXPECT_EQ(config.deposit_entries_per_call, 0xFFFFFFFFu);
  EXPECT_EQ(config.sev_features, ~uint64_t{0});
}

struct MalformedCase {
  const char* name;
  const char* text;
  const char* expected;  // every diagnostic, formatted, one per line
};

// One defect each (some cause more than one message), with every message it must produce.
const MalformedCase kMalformed[] = {
    {"float", "guest_vmpl: 1.5\n",
     "p.yaml:1:13: error: guest_vmpl: expected an unsigned integer (decimal, or hex as 0x...), "
     "got the floating-point number 1.5\n"},
    {"exponent", "sev_features: 1e3\n",
     "p.yaml:1:15: error: sev_features: expected an unsigned integer (decimal, or hex as 0x...), "
     "got the floating-point number 1e3\n"},
    {"negative", "guest_vmpl: -1\n", "p.yaml:1:13: error: guest_vmpl: must not be negative, got -1\n"},
    {"boolean-for-int", "pvalidate_entries_per_call: true\n",
     "p.yaml:1:29: error: pvalidate_entries_per_call: expected an unsigned integer (decimal, or "
     "hex as 0x...), got the boolean true\n"},
    {"u8-overflow", "guest_vmpl: 256\n",
     "p.yaml:1:13: error: guest_vmpl: 256 does not fit in 8 bits (maximum 255)\n"},
    {"u32-overflow", "vcpus:\n  - apic_id: 0x100000000\n",
     "p.yaml:2:14: error: vcpus[0].apic_id: 0x100000000 does not fit in 32 bits (maximum "
     "0xffffffff)\n"},
    {"u64-hex-overflow", "sev_features: \"0x10000000000000000\"\n",
     "p.yaml:1:15: error: sev_features: 0x10000000000000000 does not fit in 64 bits (maximum "
     "0xffffffffffffffff)\n"},
    {"u64-decimal-overflow", "svsm:\n  base: 18446744073709551616\n",
     "p.yaml:2:9: error: svsm.base: 18446744073709551616 does not fit in 64 bits (maximum "
     "18446744073709551615)\n"},
    {"quoted-decimal", "guest_vmpl: \"2\"\n",
     "p.yaml:1:13: error: guest_vmpl: expected an unsigned integer, got the string \"2\" (quoted "
     "numbers must be hex, like \"0x1000\")\n"},
    {"leading-zero", "guest_vmpl: 02\n",
     "p.yaml:1:13: error: guest_vmpl: leading zeros are ambiguous (YAML 1.1 reads '02' as "
     "octal); write it in decimal without them, or as 0x hex\n"},
    {"underscores", "svsm:\n  size: 0x100_0000\n",
     "p.yaml:2:9: error: svsm.size: expected an unsigned integer (decimal, or hex as 0x...), got "
     "'0x100_0000'\n"},
    {"explicit-tag", "guest_vmpl: !!int 2\n",
     "p.yaml:1:13: error: guest_vmpl: explicit YAML tags ('tag:yaml.org,2002:int') are not "
     "supported; write the plain value\n"},
    {"unknown-top-level-key", "guest_vmpl: 2\nguest_vmp1: 2\n",
     "p.yaml:2:1: error: top level: unknown key 'guest_vmp1' (known keys: name, guest_vmpl, "
     "memory, svsm, secrets_page, startup_caa, startup_vmsa, sev_features, vcpus, protocols, "
     "vtom, pvalidate_entries_per_call, deposit_entries_per_call, attestation, faults)\n"},
    {"unknown-nested-key", "vtom:\n  supported: true\n  alignment: 20\n",
     "p.yaml:3:3: error: vtom: unknown key 'alignment' (known keys: supported, alignment_log2, "
     "min_vtom, max_vtom)\n"},
    {"duplicate-key", "attestation:\n  guest_svn: 1\n  guest_svn: 2\n",
     "p.yaml:3:3: error: attestation.guest_svn: duplicate key (first given at line 2)\n"},
    {"non-scalar-key", "? [a, b]\n: 1\n",
     "p.yaml:1:3: error: top level: mapping keys must be plain names, got a list\n"},
    {"list-expected", "memory: {}\n", "p.yaml:1:9: error: memory: expected a list, got a mapping\n"},
    {"mapping-expected", "memory:\n  - 5\n",
     "p.yaml:2:5: error: memory[0]: expected a mapping, got a scalar\n"},
    {"missing-required-key", "memory:\n  - name: a\n    base: 0\n",
     "p.yaml:2:5: error: memory[0]: missing required key 'size'\n"},
    {"bad-kind", "memory:\n  - {name: a, base: 0, size: 0x1000, kind: rom}\n",
     "p.yaml:2:44: error: memory[0].kind: expected ram or mmio, got 'rom'\n"},
    {"yaml-1.1-boolean", "memory:\n  - {name: a, base: 0, size: 0x1000, shared: yes}\n",
     "p.yaml:2:46: error: memory[0].shared: expected true or false, got 'yes'\n"},
    {"quoted-boolean", "vtom:\n  supported: \"true\"\n",
     "p.yaml:2:14: error: vtom.supported: expected true or false, got the string \"true\"\n"},
    {"number-for-string", "name: 123\n",
     "p.yaml:1:7: error: name: expected a string, got '123', which YAML reads as a number, "
     "boolean, date or null; quote it\n"},
    {"empty-value", "name:\n", "p.yaml:1:1: error: name: expected a string, got nothing\n"},
    {"empty-name", "name: \"\"\n", "p.yaml:1:7: error: name: must not be empty\n"},
    {"hex-bytes-length", "attestation:\n  measurement: \"0102\"\n",
     "p.yaml:2:16: error: attestation.measurement: expected a hex string of 48 bytes (96 hex "
     "digits, no 0x), got 4 hex digits\n"},
    {"hex-bytes-character", "attestation:\n  manifest_is_not_here: 1\n  host_data: \"0x01\"\n",
     "p.yaml:2:3: error: attestation: unknown key 'manifest_is_not_here' (known keys: "
     "signing_key_pem, report_version, guest_svn, policy, family_id, image_id, measurement, "
     "host_data, chip_id, provide_certificates, fail_snp_requests, services)\n"
     "p.yaml:3:14: error: attestation.host_data: expected a hex string of 32 bytes (64 hex "
     "digits, no 0x), got a non-hex character at offset 1\n"},
    {"odd-manifest", "attestation:\n  services:\n    - {name: s, guid: 00000000-0000-0000-0000-000000000000, manifest: abc}\n",
     "p.yaml:3:71: error: attestation.services[0].manifest: expected a hex string of whole bytes "
     "(no 0x), got 3 hex digits\n"},
    {"bad-guid", "attestation:\n  services:\n    - {name: s, guid: 0000-0000}\n",
     "p.yaml:3:23: error: attestation.services[0].guid: expected a GUID like "
     "01234567-89ab-cdef-0123-456789abcdef, got '0000-0000'\n"},
    {"yaml-syntax", "memory: [\n",
     "p.yaml:2:1: error: YAML syntax error: end of sequence flow not found\n"},
    {"two-documents", "guest_vmpl: 2\n---\nguest_vmpl: 3\n",
     "p.yaml:3:1: error: a platform file holds one YAML document; found a second one (after '---' "
     "or a stray top-level token)\n"},
    {"empty-file", "", "p.yaml:1:1: error: the platform file is empty; write {} for the default "
                       "platform, or give keys\n"},
    {"top-level-list", "- guest_vmpl: 2\n",
     "p.yaml:1:1: error: top level: expected a mapping, got a list\n"},
    // Semantic checks: reported at the key that carries the offending value.
    {"vmpl-0", "name: x\nguest_vmpl: 0\n",
     "p.yaml:2:1: error: guest_vmpl: must be 1..3 (VMPL0 is the SVSM's), got 0\n"},
    {"unaligned-region",
     "memory:\n"
     "  - {name: a, base: 0, size: 0x80000000, prevalidated: true}\n"
     "  - {name: b, base: 0x100000800, size: 0x1000}\n",
     "p.yaml:3:15: error: memory[1].base: 0x100000800 is not 4 KiB aligned\n"},
    {"empty-region", "memory:\n  - {name: a, base: 0, size: 0x80000000, prevalidated: true}\n  - {name: b, base: 0x100000000, size: 0}\n",
     "p.yaml:3:34: error: memory[1].size: a region must not be empty\n"},
    {"region-beyond-2^52",
     "memory:\n  - {name: a, base: 0, size: 0x80000000, prevalidated: true}\n"
     "  - {name: b, base: 0xffffffffff000, size: 0x2000}\n",
     "p.yaml:3:38: error: memory[1].size: region [0xffffffffff000, 0x10000000001000) extends "
     "beyond the largest guest physical address (2^52)\n"},
    {"overlap",
     "memory:\n  - {name: a, base: 0, size: 0x80000000, prevalidated: true}\n"
     "  - {name: b, base: 0x7ffff000, size: 0x2000}\n",
     "p.yaml:3:15: error: memory[1].base: region [0x7ffff000, 0x80001000) overlaps memory[0] "
     "'a' [0x0, 0x80000000)\n"},
    {"duplicate-region-name",
     "memory:\n  - {name: a, base: 0, size: 0x80000000, prevalidated: true}\n"
     "  - {name: a, base: 0x80000000, size: 0x1000}\n",
     "p.yaml:3:6: error: memory[1].name: region name 'a' is already used by memory[0]\n"},
    {"shared-mmio",
     "memory:\n  - {name: a, base: 0, size: 0x80000000, prevalidated: true}\n"
     "  - {name: m, base: 0x80000000, size: 0x1000, kind: mmio, shared: true}\n",
     "p.yaml:3:59: error: memory[1].shared: an MMIO region cannot be shared (RAM only)\n"},
    {"prevalidated-shared-ram",
     "memory:\n  - {name: a, base: 0, size: 0x80000000, prevalidated: true}\n"
     "  - {name: s, base: 0x80000000, size: 0x1000, shared: true, prevalidated: true}\n",
     "p.yaml:3:61: error: memory[1].prevalidated: shared RAM is never validated; only private "
     "RAM can be prevalidated\n"},
    {"svsm-outside-private-ram", "svsm:\n  base: 0x80000000\n  size: 0x1000\n",
     "p.yaml:2:3: error: svsm.base: the SVSM region [0x80000000, 0x80001000) is not wholly "
     "inside one private RAM region\n"},
    {"svsm-across-regions", "svsm:\n  base: 0xfff000\n",
     "p.yaml:2:3: error: svsm.base: the SVSM region [0xfff000, 0x1fff000) is not wholly inside "
     "one private RAM region\n"},
    {"svsm-empty", "svsm: {size: 0}\n", "p.yaml:1:8: error: svsm.size: the SVSM region must not be empty\n"},
    {"secrets-not-prevalidated", "secrets_page: 0x2000000\n",
     "p.yaml:1:1: error: secrets_page: page 0x2000000 is not in prevalidated private RAM\n"},
    {"caa-is-secrets-page", "startup_caa: 0x800000\n",
     "p.yaml:1:1: error: startup_caa: page 0x800000 is also secrets_page\n"},
    {"vmsa-in-svsm",
     "memory:\n  - {name: a, base: 0, size: 0x80000000, prevalidated: true}\n"
     "startup_vmsa: 0x40000000\n",
     "p.yaml:3:1: error: startup_vmsa: page 0x40000000 is inside the SVSM region [0x40000000, "
     "0x41000000)\n"},
    {"unaligned-page", "startup_vmsa: 0x802010\n",
     "p.yaml:1:1: error: startup_vmsa: 0x802010 is not 4 KiB aligned\n"},
    {"no-vcpus", "vcpus: []\n", "p.yaml:1:1: error: vcpus: at least one vCPU is required\n"},
    {"duplicate-apic-id", "vcpus:\n  - apic_id: 1\n  - apic_id: 1\n",
     "p.yaml:3:5: error: vcpus[1].apic_id: APIC id 1 is already used by vcpus[0]\n"},
    {"no-core-protocol", "protocols:\n  - number: 1\n",
     "p.yaml:1:1: error: protocols: the core protocol (number 0) is required\n"},
    {"duplicate-protocol", "protocols: [{number: 0}, {number: 0}]\n",
     "p.yaml:1:27: error: protocols[1].number: protocol 0 is already listed as protocols[0]\n"},
    {"version-0", "protocols: [{number: 0, min_version: 0}]\n",
     "p.yaml:1:25: error: protocols[0].min_version: protocol versions start at 1\n"},
    {"max-below-min", "protocols: [{number: 0, min_version: 2}]\n",
     "p.yaml:1:13: error: protocols[0].max_version: 1 is below min_version 2\n"},
    {"vtom-alignment", "vtom:\n  alignment_log2: 52\n",
     "p.yaml:2:3: error: vtom.alignment_log2: must be 12..51, got 52\n"},
    {"vtom-unaligned-and-reversed", "vtom:\n  min_vtom: 0x200000000\n  max_vtom: 0x100080000\n",
     "p.yaml:3:3: error: vtom.max_vtom: 0x100080000 is not a multiple of 2^20\n"
     "p.yaml:3:3: error: vtom.max_vtom: 0x100080000 is below min_vtom 0x200000000\n"},
    {"report-version", "attestation:\n  report_version: 1\n",
     "p.yaml:2:3: error: attestation.report_version: must be 2 or later, got 1\n"},
    {"policy-bit-17", "attestation:\n  policy: 0x10000\n",
     "p.yaml:2:3: error: attestation.policy: 0x10000 has bit 17 clear (reserved, must be 1)\n"},
    {"not-pem", "attestation:\n  signing_key_pem: /etc/key.pem\n",
     "p.yaml:2:3: error: attestation.signing_key_pem: not a PEM private key (no '-----BEGIN ' "
     "line); leave it empty to have the model generate a key\n"},
    {"duplicate-service-guid",
     "attestation:\n  services:\n"
     "    - {name: a, guid: c476f1eb-0123-45a5-9641-b4e7dde5bfe3}\n"
     "    - {name: b, guid: C476F1EB-0123-45A5-9641-B4E7DDE5BFE3}\n",
     "p.yaml:4:17: error: attestation.services[1].guid: GUID c476f1eb-0123-45a5-9641-b4e7dde5bfe3 "
     "is already used by attestation.services[0]\n"},
    {"unknown-fault", "faults:\n  - pvalidate.validate-no-zeroing\n  - pvalidate.typo\n",
     "p.yaml:3:5: error: faults[1]: unknown fault 'pvalidate.typo' (svsm_ref/faults.h lists them; "
     "firmware_ref/README.md, \"Fault injection\")\n"},
    {"duplicate-fault", "faults: [call.pending-not-cleared, call.pending-not-cleared]\n",
     "p.yaml:1:36: error: faults[1]: fault 'call.pending-not-cleared' is listed twice\n"},
    {"fault-not-a-string", "faults: [{name: x}]\n",
     "p.yaml:1:10: error: faults[0]: expected a string, got a mapping\n"},
};

class MalformedPlatformTest : public ::testing::TestWithParam<MalformedCase> {};

TEST_P(MalformedPlatformTest, ReportsExactDiagnostics) {
  EXPECT_EQ(ParseErrors(GetParam().text), GetParam().expected) << GetParam().text;
}

INSTANTIATE_TEST_SUITE_P(PlatformConfig, MalformedPlatformTest, ::testing::ValuesIn(kMalformed),
                         [](const ::testing::TestParamInfo<MalformedCase>& info) {
                           std::string name = info.param.name;
                           for (char& c : name) {
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           }
                           return name;
                         });

TEST(PlatformConfigTest, FaultsAreReadCheckedAndWritten) {
  EXPECT_TRUE(DefaultPlatformConfig().faults.empty());
  const PlatformConfig config =
      ParseOk("faults:\n  - pvalidate.skip-reserved-bits-check\n  - attest.report-vmpl-not-zero\n");
  EXPECT_EQ(config.faults, (std::vector<std::string>{"pvalidate.skip-reserved-bits-check",
                                                     "attest.report-vmpl-not-zero"}));
  EXPECT_EQ(ParseOk(PlatformConfigToJson(config)), config);
  EXPECT_EQ(nlohmann::json::parse(PlatformConfigToJson(config))["faults"][1], "attest.report-vmpl-not-zero");
  PlatformConfig unknown = DefaultPlatformConfig();
  unknown.faults = {"no-such-fault"};
  ASSERT_EQ(CheckPlatformConfig(unknown).size(), 1u);
  EXPECT_EQ(CheckPlatformConfig(unknown)[0].rfind("faults[0]: unknown fault 'no-such-fault'", 0), 0u);
}

TEST(PlatformConfigTest, ReportsEveryProblemOfAFileNotJustTheFirst) {
  const std::string errors = ParseErrors("guest_vmpl: x\nsev_features: -3\nnope: 1\n");
  EXPECT_EQ(std::count(errors.begin(), errors.end(), '\n'), 3) << errors;
}

TEST(PlatformConfigTest, CheckNamesTheKeyPath) {
  PlatformConfig config = DefaultPlatformConfig();
  config.memory[2].base = 0x7000'0000;  // inside low-ram
  config.vcpus.clear();
  EXPECT_EQ(CheckPlatformConfig(config),
            (std::vector<std::string>{
                "memory[2].base: region [0x70000000, 0x71000000) overlaps memory[1] 'low-ram' "
                "[0x1000000, 0x80000000)",
                "vcpus: at least one vCPU is required"}));
}

TEST(PlatformConfigTest, CheckFindsOverlapsHiddenBehindAnEnclosingRegion) {
  PlatformConfig config = DefaultPlatformConfig();
  // "c" sits inside "b"; sorted by base, "b" comes between "a" and "c" and reaches furthest.
  config.memory.push_back({"a", 0x2'0000'0000, 0x1'0000'0000});
  config.memory.push_back({"c", 0x2'8000'0000, 0x1000});
  config.memory.push_back({"b", 0x2'1000'0000, 0x1000'0000});
  EXPECT_EQ(CheckPlatformConfig(config),
            (std::vector<std::string>{
                "memory[7].base: region [0x210000000, 0x220000000) overlaps memory[5] 'a' "
                "[0x200000000, 0x300000000)",
                "memory[6].base: region [0x280000000, 0x280001000) overlaps memory[5] 'a' "
                "[0x200000000, 0x300000000)"}));
}

TEST(PlatformConfigTest, LoadReportsAnUnreadableFile) {
  svsm_spec::Diagnostics diags;
  EXPECT_FALSE(LoadPlatformConfigFile("/nonexistent/platform.yaml", diags).has_value());
  EXPECT_EQ(Formatted(diags), "/nonexistent/platform.yaml:0:0: error: cannot open platform file\n");
}

// Garbage must be refused with a reason, never crash or hang; and whatever is accepted
// must survive the JSON round trip.
void ExpectHandled(const std::string& text) {
  svsm_spec::Diagnostics diags;
  std::optional<PlatformConfig> config = ParsePlatformConfig(text, "g.yaml", diags);
  if (!config) {
    EXPECT_TRUE(diags.has_errors());
    return;
  }
  EXPECT_FALSE(diags.has_errors());
  EXPECT_EQ(ParseOk(PlatformConfigToJson(*config)), *config);
}

TEST(PlatformConfigTest, GarbageNeverCrashes) {
  std::mt19937 random(1234);
  for (int i = 0; i < 300; ++i) {
    std::string bytes(random() % 200, '\0');
    for (char& c : bytes) c = static_cast<char>(random());
    ExpectHandled(bytes);
  }
  ExpectHandled(std::string(100000, '['));
  ExpectHandled(std::string(100000, '{'));
  std::string nested_maps;
  for (int i = 0; i < 5000; ++i) nested_maps += std::string(static_cast<std::size_t>(i), ' ') + "a:\n";
  ExpectHandled(nested_maps);
  ExpectHandled("guest_vmpl: " + std::string(5000, '9') + "\n");
  ExpectHandled("sev_features: 0x" + std::string(5000, 'f') + "\n");
  ExpectHandled("name: \"" + std::string(100000, 'x') + "\"\n");
  ExpectHandled("name: \"\\xff\\u0000\"\n");
  ExpectHandled("name: \"\\ud800\"\n");
  ExpectHandled("a: &a [*a]\n");
  ExpectHandled("vcpus: &v [{apic_id: 1}]\nprotocols: *v\n");
  ExpectHandled("x: &x [1,1,1,1,1,1,1,1,1]\ny: &y [*x,*x,*x,*x,*x,*x,*x,*x,*x]\n"
                "z: &z [*y,*y,*y,*y,*y,*y,*y,*y,*y]\nmemory: [*z,*z,*z,*z,*z,*z,*z,*z]\n");
  ExpectHandled(std::string(kMalformed[0].text) + std::string(9 << 20, ' '));
}

TEST(PlatformConfigTest, MutatedExamplesNeverCrash) {
  const std::string base = ReadFile(TestdataDir() / "full.yaml");
  ASSERT_FALSE(base.empty());
  std::mt19937 random(99);
  for (int i = 0; i < 300; ++i) {
    std::string text = base;
    for (int edits = 1 + static_cast<int>(random() % 4); edits > 0; --edits) {
      const std::size_t at = random() % text.size();
      switch (random() % 3) {
        case 0:
          text[at] = static_cast<char>(random());
          break;
        case 1:
          text.erase(at, random() % 16);
          break;
        default:
          text.insert(at, text.substr(random() % text.size(), random() % 32));
          break;
      }
      if (text.empty()) text = "x";
    }
    ExpectHandled(text);
  }
}

}  // namespace
}  // namespace svsm_ref
