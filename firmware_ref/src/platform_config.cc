// Platform files: a strict reader on yaml-cpp (every key known, every scalar of the expected
// type, every problem located), the semantic checks, and the JSON writer whose output the
// reader reads back to the same config.
#include "svsm_ref/platform_config.h"

#include "svsm_ref/faults.h"

#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <utility>

namespace svsm_ref {
namespace {

using svsm_spec::Diagnostics;
using svsm_spec::SourceLoc;

constexpr uint64_t kPageSize = 0x1000;
// Guest physical addresses have at most 52 bits on SNP.
constexpr uint64_t kMaxGpaExclusive = uint64_t{1} << 52;
// A platform file is a page of hand-written settings; anything this large is a mistake, and
// the limit bounds the reader's work on garbage.
constexpr std::size_t kMaxFileBytes = 8u << 20;

constexpr uint64_t kProtocolCore = 0;
constexpr uint64_t kProtocolAttestation = 1;

std::string Hex(uint64_t value) {
  char buffer[24];
  std::snprintf(buffer, sizeof buffer, "0x%llx", static_cast<unsigned long long>(value));
  return buffer;
}

std::string Range(uint64_t base, uint64_t size) {
  // Saturate so that a region running past 2^64 still prints something meaningful.
  const uint64_t end = size > ~uint64_t{0} - base ? ~uint64_t{0} : base + size;
  return "[" + Hex(base) + ", " + Hex(end) + ")";
}

std::string HexBytes(const uint8_t* data, std::size_t size) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(size * 2);
  for (std::size_t i = 0; i < size; ++i) {
    out += kDigits[data[i] >> 4];
    out += kDigits[data[i] & 0xF];
  }
  return out;
}

int HexDigitValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool IsDecimalDigit(char c) { return c >= '0' && c <= '9'; }

std::string Lower(std::string s) {
  for (char& c : s) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return s;
}

// Wire order of a GUID: the first three groups little-endian, the last eight bytes as written.
std::string GuidText(const std::array<uint8_t, 16>& guid) {
  char buffer[40];
  std::snprintf(buffer, sizeof buffer,
                "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", guid[3],
                guid[2], guid[1], guid[0], guid[5], guid[4], guid[7], guid[6], guid[8], guid[9],
                guid[10], guid[11], guid[12], guid[13], guid[14], guid[15]);
  return buffer;
}

std::optional<std::array<uint8_t, 16>> ParseGuid(const std::string& text) {
  static constexpr std::size_t kGroupLengths[] = {8, 4, 4, 4, 12};
  if (text.size() != 36) return std::nullopt;
  std::array<uint8_t, 16> as_written{};
  std::size_t pos = 0;
  std::size_t byte = 0;
  for (std::size_t group = 0; group < 5; ++group) {
    if (group != 0 && text[pos++] != '-') return std::nullopt;
    for (std::size_t i = 0; i < kGroupLengths[group]; i += 2, pos += 2) {
      const int high = HexDigitValue(text[pos]);
      const int low = HexDigitValue(text[pos + 1]);
      if (high < 0 || low < 0) return std::nullopt;
      as_written[byte++] = static_cast<uint8_t>(high << 4 | low);
    }
  }
  std::array<uint8_t, 16> wire = as_written;
  std::reverse(wire.begin(), wire.begin() + 4);
  std::reverse(wire.begin() + 4, wire.begin() + 6);
  std::reverse(wire.begin() + 6, wire.begin() + 8);
  return wire;
}

bool IsValidUtf8(const std::string& s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto lead = static_cast<unsigned char>(s[i]);
    std::size_t length = 0;
    uint32_t code_point = 0;
    if (lead < 0x80) {
      ++i;
      continue;
    } else if ((lead & 0xE0) == 0xC0) {
      length = 2;
      code_point = lead & 0x1F;
    } else if ((lead & 0xF0) == 0xE0) {
      length = 3;
      code_point = lead & 0x0F;
    } else if ((lead & 0xF8) == 0xF0) {
      length = 4;
      code_point = lead & 0x07;
    } else {
      return false;
    }
    if (i + length > s.size()) return false;
    for (std::size_t k = 1; k < length; ++k) {
      const auto next = static_cast<unsigned char>(s[i + k]);
      if ((next & 0xC0) != 0x80) return false;
      code_point = code_point << 6 | (next & 0x3F);
    }
    static constexpr uint32_t kMinForLength[] = {0, 0, 0x80, 0x800, 0x10000};
    if (code_point < kMinForLength[length] || code_point > 0x10FFFF ||
        (code_point >= 0xD800 && code_point <= 0xDFFF)) {
      return false;
    }
    i += length;
  }
  return true;
}

// Numbers in the YAML 1.2 core schema and the YAML 1.1 forms other tools still use: "0x1F",
// "0o17", "0b101", "1_000", "1.5", "1e3", ".inf".
bool LooksLikeNumber(const std::string& s) {
  std::size_t i = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
  const std::string rest = Lower(s.substr(i));
  if (rest.empty()) return false;
  if (rest == ".inf" || rest == ".nan") return true;
  if (rest.size() > 2 && rest[0] == '0' && (rest[1] == 'x' || rest[1] == 'o' || rest[1] == 'b')) {
    return std::all_of(rest.begin() + 2, rest.end(),
                       [](char c) { return HexDigitValue(c) >= 0 || c == '_'; });
  }
  bool digits = false;
  bool dot = false;
  std::size_t k = 0;
  for (; k < rest.size(); ++k) {
    const char c = rest[k];
    if (IsDecimalDigit(c)) {
      digits = true;
    } else if (c == '_') {
      continue;
    } else if (c == '.' && !dot) {
      dot = true;
    } else {
      break;
    }
  }
  if (!digits) return false;
  if (k == rest.size()) return true;
  if (rest[k] != 'e') return false;
  ++k;
  if (k < rest.size() && (rest[k] == '+' || rest[k] == '-')) ++k;
  if (k == rest.size()) return false;
  return std::all_of(rest.begin() + static_cast<std::ptrdiff_t>(k), rest.end(), IsDecimalDigit);
}

bool LooksLikeDate(const std::string& s) {
  // YAML 1.1 timestamps: 2024-1-31, 2024-01-31T10:00:00, ...
  std::size_t i = 0;
  auto digits = [&](std::size_t min, std::size_t max) {
    std::size_t n = 0;
    while (i < s.size() && IsDecimalDigit(s[i]) && n < max) ++i, ++n;
    return n >= min;
  };
  if (!digits(4, 4) || i >= s.size() || s[i++] != '-') return false;
  if (!digits(1, 2) || i >= s.size() || s[i++] != '-') return false;
  if (!digits(1, 2)) return false;
  return i == s.size() || s[i] == 'T' || s[i] == 't' || s[i] == ' ';
}

bool LooksLikeBoolOrNull(const std::string& s) {
  static const char* const kWords[] = {"true", "false", "yes", "no", "on",
                                       "off",  "null",  "~",   "y",  "n"};
  const std::string lower = Lower(s);
  return std::any_of(std::begin(kWords), std::end(kWords),
                     [&](const char* word) { return lower == word; });
}

// A plain scalar that some YAML tool reads as other than a string; refused where a string is
// expected so that every tool agrees on the file's meaning.
bool LooksLikeNonString(const std::string& s) {
  return LooksLikeBoolOrNull(s) || LooksLikeNumber(s) || LooksLikeDate(s);
}

// Input text quoted in a message: short, one line, printable.
std::string Excerpt(const std::string& text) {
  constexpr std::size_t kMaxShown = 40;
  std::string out = text.substr(0, kMaxShown);
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) c = '?';
  }
  return text.size() > kMaxShown ? out + "..." : out;
}

const char* NodeKindName(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Null:
      return "nothing";
    case YAML::NodeType::Scalar:
      return "a scalar";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Undefined:
      break;
  }
  return "nothing";
}

// "memory[2].base", or "top level" for the document itself.
std::string PathName(const std::string& path) { return path.empty() ? "top level" : path; }

std::string Child(const std::string& path, const std::string& key) {
  return path.empty() ? key : path + "." + key;
}

std::string Item(const std::string& path, std::size_t index) {
  return path + "[" + std::to_string(index) + "]";
}

// One problem found by the semantic checks: the key path it is about, and what is wrong.
struct Issue {
  std::string path;
  std::string message;
};

// ---------------------------------------------------------------------------------------
// Semantic checks

bool IsPrivateRam(const MemoryRegion& region) {
  return region.kind == MemoryRegion::Kind::kRam && !region.shared;
}

bool Contains(const MemoryRegion& region, uint64_t base, uint64_t size) {
  return base >= region.base && size <= region.size && base - region.base <= region.size - size;
}

std::string RegionName(const std::vector<MemoryRegion>& memory, std::size_t index) {
  return Item("memory", index) + " '" + memory[index].name + "'";
}

void CheckMemory(const PlatformConfig& config, std::vector<Issue>& issues) {
  const std::vector<MemoryRegion>& memory = config.memory;
  if (memory.empty()) {
    issues.push_back({"memory", "the platform has no memory regions"});
    return;
  }
  std::map<std::string, std::size_t> names;
  std::vector<std::size_t> well_formed;  // regions whose bounds are valid, for overlap checks
  for (std::size_t i = 0; i < memory.size(); ++i) {
    const MemoryRegion& region = memory[i];
    const std::string path = Item("memory", i);
    auto [first, inserted] = names.emplace(region.name, i);
    if (!inserted) {
      issues.push_back({Child(path, "name"), "region name '" + region.name +
                                                 "' is already used by " +
                                                 Item("memory", first->second)});
    }
    bool bounds_ok = true;
    if (region.base % kPageSize != 0) {
      issues.push_back({Child(path, "base"), Hex(region.base) + " is not 4 KiB aligned"});
      bounds_ok = false;
    } else if (region.base >= kMaxGpaExclusive) {
      issues.push_back({Child(path, "base"), Hex(region.base) +
                                                 " is beyond the largest guest physical address "
                                                 "(2^52)"});
      bounds_ok = false;
    }
    if (region.size == 0) {
      issues.push_back({Child(path, "size"), "a region must not be empty"});
      bounds_ok = false;
    } else if (region.size % kPageSize != 0) {
      issues.push_back({Child(path, "size"), Hex(region.size) + " is not a multiple of 4 KiB"});
      bounds_ok = false;
    } else if (bounds_ok && region.size > kMaxGpaExclusive - region.base) {
      issues.push_back({Child(path, "size"), "region " + Range(region.base, region.size) +
                                                 " extends beyond the largest guest physical "
                                                 "address (2^52)"});
      bounds_ok = false;
    }
    if (region.kind == MemoryRegion::Kind::kMmio) {
      if (region.shared) {
        issues.push_back({Child(path, "shared"), "an MMIO region cannot be shared (RAM only)"});
      }
      if (region.prevalidated) {
        issues.push_back(
            {Child(path, "prevalidated"), "an MMIO region cannot be prevalidated (RAM only)"});
      }
    } else if (region.shared && region.prevalidated) {
      issues.push_back({Child(path, "prevalidated"),
                        "shared RAM is never validated; only private RAM can be prevalidated"});
    }
    if (bounds_ok) well_formed.push_back(i);
  }

  // Sorted by base, each region must start at or after the furthest end seen so far; the
  // region that reaches furthest is the one named, so every overlapping region is reported.
  std::stable_sort(well_formed.begin(), well_formed.end(),
                   [&](std::size_t a, std::size_t b) { return memory[a].base < memory[b].base; });
  std::optional<std::size_t> furthest;
  for (std::size_t index : well_formed) {
    const MemoryRegion& region = memory[index];
    if (furthest) {
      const MemoryRegion& other = memory[*furthest];
      if (other.base + other.size > region.base) {
        // Name the region given later in the file: that is usually the one just added.
        const std::size_t later = std::max(index, *furthest);
        const std::size_t earlier = std::min(index, *furthest);
        issues.push_back({Child(Item("memory", later), "base"),
                          "region " + Range(memory[later].base, memory[later].size) +
                              " overlaps " + RegionName(memory, earlier) + " " +
                              Range(memory[earlier].base, memory[earlier].size)});
      }
      if (other.base + other.size >= region.base + region.size) continue;
    }
    furthest = index;
  }
}

void CheckSvsmRegion(const PlatformConfig& config, std::vector<Issue>& issues) {
  if (config.svsm_base % kPageSize != 0) {
    issues.push_back({"svsm.base", Hex(config.svsm_base) + " is not 4 KiB aligned"});
    return;
  }
  if (config.svsm_size == 0) {
    issues.push_back({"svsm.size", "the SVSM region must not be empty"});
    return;
  }
  if (config.svsm_size % kPageSize != 0) {
    issues.push_back({"svsm.size", Hex(config.svsm_size) + " is not a multiple of 4 KiB"});
    return;
  }
  const bool inside_one = std::any_of(
      config.memory.begin(), config.memory.end(), [&](const MemoryRegion& region) {
        return IsPrivateRam(region) && Contains(region, config.svsm_base, config.svsm_size);
      });
  if (!inside_one) {
    issues.push_back({"svsm.base", "the SVSM region " + Range(config.svsm_base, config.svsm_size) +
                                       " is not wholly inside one private RAM region"});
  }
}

void CheckBootPages(const PlatformConfig& config, std::vector<Issue>& issues) {
  const std::pair<const char*, uint64_t> pages[] = {{"secrets_page", config.secrets_page},
                                                    {"startup_caa", config.startup_caa},
                                                    {"startup_vmsa", config.startup_vmsa}};
  for (std::size_t i = 0; i < std::size(pages); ++i) {
    const char* key = pages[i].first;
    const uint64_t gpa = pages[i].second;
    if (gpa % kPageSize != 0) {
      issues.push_back({key, Hex(gpa) + " is not 4 KiB aligned"});
      continue;
    }
    const bool in_prevalidated = std::any_of(
        config.memory.begin(), config.memory.end(), [&](const MemoryRegion& region) {
          return IsPrivateRam(region) && region.prevalidated && Contains(region, gpa, kPageSize);
        });
    if (!in_prevalidated) {
      issues.push_back({key, "page " + Hex(gpa) + " is not in prevalidated private RAM"});
    }
    if (gpa >= config.svsm_base && gpa - config.svsm_base < config.svsm_size) {
      issues.push_back({key, "page " + Hex(gpa) + " is inside the SVSM region " +
                                 Range(config.svsm_base, config.svsm_size)});
    }
    for (std::size_t k = 0; k < i; ++k) {
      if (pages[k].second == gpa) {
        issues.push_back({key, "page " + Hex(gpa) + " is also " + pages[k].first});
        break;
      }
    }
  }
}

void CheckVcpusAndProtocols(const PlatformConfig& config, std::vector<Issue>& issues) {
  if (config.vcpus.empty()) {
    issues.push_back({"vcpus", "at least one vCPU is required"});
  }
  std::map<uint32_t, std::size_t> apic_ids;
  for (std::size_t i = 0; i < config.vcpus.size(); ++i) {
    auto [first, inserted] = apic_ids.emplace(config.vcpus[i].apic_id, i);
    if (!inserted) {
      issues.push_back({Child(Item("vcpus", i), "apic_id"),
                        "APIC id " + std::to_string(config.vcpus[i].apic_id) +
                            " is already used by " + Item("vcpus", first->second)});
    }
  }

  std::map<uint32_t, std::size_t> numbers;
  for (std::size_t i = 0; i < config.protocols.size(); ++i) {
    const ProtocolConfig& protocol = config.protocols[i];
    const std::string path = Item("protocols", i);
    auto [first, inserted] = numbers.emplace(protocol.number, i);
    if (!inserted) {
      issues.push_back({Child(path, "number"), "protocol " + std::to_string(protocol.number) +
                                                   " is already listed as " +
                                                   Item("protocols", first->second)});
    }
    if (protocol.min_version < 1) {
      issues.push_back({Child(path, "min_version"), "protocol versions start at 1"});
    } else if (protocol.max_version < protocol.min_version) {
      issues.push_back({Child(path, "max_version"),
                        std::to_string(protocol.max_version) + " is below min_version " +
                            std::to_string(protocol.min_version)});
    }
  }
  if (numbers.count(kProtocolCore) == 0) {
    issues.push_back({"protocols", "the core protocol (number 0) is required"});
  }
}

void CheckVtom(const VtomConfig& vtom, std::vector<Issue>& issues) {
  if (vtom.alignment_log2 < 12 || vtom.alignment_log2 > 51) {
    issues.push_back({"vtom.alignment_log2",
                      "must be 12..51, got " + std::to_string(vtom.alignment_log2)});
    return;
  }
  const uint64_t alignment = uint64_t{1} << vtom.alignment_log2;
  const std::string aligned = "a multiple of 2^" + std::to_string(vtom.alignment_log2);
  if (vtom.min_vtom % alignment != 0) {
    issues.push_back({"vtom.min_vtom", Hex(vtom.min_vtom) + " is not " + aligned});
  }
  if (vtom.max_vtom % alignment != 0) {
    issues.push_back({"vtom.max_vtom", Hex(vtom.max_vtom) + " is not " + aligned});
  }
  if (vtom.max_vtom < vtom.min_vtom) {
    issues.push_back({"vtom.max_vtom", Hex(vtom.max_vtom) + " is below min_vtom " +
                                           Hex(vtom.min_vtom)});
  }
}

void CheckAttestation(const AttestationConfig& attestation, std::vector<Issue>& issues) {
  if (!attestation.signing_key_pem.empty() &&
      attestation.signing_key_pem.find("-----BEGIN ") == std::string::npos) {
    issues.push_back({"attestation.signing_key_pem",
                      "not a PEM private key (no '-----BEGIN ' line); leave it empty to have "
                      "the model generate a key"});
  }
  if (attestation.report_version < 2) {
    issues.push_back({"attestation.report_version",
                      "must be 2 or later, got " + std::to_string(attestation.report_version)});
  }
  if ((attestation.policy & (uint64_t{1} << 17)) == 0) {
    issues.push_back({"attestation.policy",
                      Hex(attestation.policy) + " has bit 17 clear (reserved, must be 1)"});
  }
  std::map<std::array<uint8_t, 16>, std::size_t> guids;
  for (std::size_t i = 0; i < attestation.services.size(); ++i) {
    auto [first, inserted] = guids.emplace(attestation.services[i].guid, i);
    if (!inserted) {
      issues.push_back({Child(Item("attestation.services", i), "guid"),
                        "GUID " + GuidText(attestation.services[i].guid) +
                            " is already used by " +
                            Item("attestation.services", first->second)});
    }
  }
}

std::vector<Issue> FindIssues(const PlatformConfig& config) {
  std::vector<Issue> issues;
  if (config.guest_vmpl < 1 || config.guest_vmpl > 3) {
    issues.push_back({"guest_vmpl", "must be 1..3 (VMPL0 is the SVSM's), got " +
                                        std::to_string(config.guest_vmpl)});
  }
  CheckMemory(config, issues);
  CheckSvsmRegion(config, issues);
  CheckBootPages(config, issues);
  CheckVcpusAndProtocols(config, issues);
  CheckVtom(config.vtom, issues);
  CheckAttestation(config.attestation, issues);
  for (std::size_t i = 0; i < config.faults.size(); ++i) {
    const std::string& name = config.faults[i];
    if (!FaultByName(name)) {
      issues.push_back({Item("faults", i), "unknown fault '" + name +
                                               "' (svsm_ref/faults.h lists them; firmware_ref/README.md, "
                                               "\"Fault injection\")"});
    } else if (std::find(config.faults.begin(), config.faults.begin() + static_cast<std::ptrdiff_t>(i),
                         name) != config.faults.begin() + static_cast<std::ptrdiff_t>(i)) {
      issues.push_back({Item("faults", i), "fault '" + name + "' is listed twice"});
    }
  }
  return issues;
}

// ---------------------------------------------------------------------------------------
// Reader

// A value in the document with the key path that leads to it. `key` is the mapping key
// node (undefined for list items and the document itself); yaml-cpp gives empty values no
// position, so messages about them point at the key.
struct Field {
  YAML::Node key;
  YAML::Node value;
  std::string path;
};

class PlatformReader {
 public:
  PlatformReader(std::string file, Diagnostics& diags) : file_(std::move(file)), diags_(diags) {}

  void ReadPlatform(const YAML::Node& root, PlatformConfig& config);

  // Where the semantic issue about `path` is reported: that key if the file gives it, else
  // its nearest enclosing key the file gives, else the document.
  SourceLoc LocForPath(std::string path) const;

 private:
  using Fields = std::map<std::string, Field, std::less<>>;

  SourceLoc Loc(const YAML::Node& node) const {
    if (!node.IsDefined() || node.Mark().is_null()) return {file_, 0, 0};
    return {file_, node.Mark().line + 1, node.Mark().column + 1};
  }
  SourceLoc Loc(const Field& field) const {
    const bool value_has_position = field.value.IsDefined() && !field.value.IsNull() &&
                                    !field.value.Mark().is_null();
    if (value_has_position || !field.key.IsDefined()) return Loc(field.value);
    return Loc(field.key);
  }
  void Error(const Field& field, const std::string& message) {
    diags_.Error(Loc(field), PathName(field.path) + ": " + message);
  }

  bool HasExplicitTag(const Field& field) {
    const std::string& tag = field.value.Tag();
    if (tag.empty() || tag == "?" || tag == "!") return false;
    Error(field, "explicit YAML tags ('" + tag + "') are not supported; write the plain value");
    return true;
  }

  // The known keys of a mapping; reports non-mappings, duplicate, unknown and non-scalar keys.
  std::optional<Fields> ReadMap(const Field& field, std::initializer_list<const char*> known);
  // Calls `each` for every item of a list.
  template <typename Each>
  void ReadList(const Field& field, Each each);

  std::optional<uint64_t> ReadUnsigned(const Field& field, int bits);
  template <typename T>
  void Set(const Fields& fields, const char* key, T& target) {
    const Field* field = Get(fields, key);
    if (field == nullptr) return;
    if (auto value = ReadUnsigned(*field, std::numeric_limits<T>::digits)) {
      target = static_cast<T>(*value);
    }
  }
  void SetBool(const Fields& fields, const char* key, bool& target);
  std::optional<std::string> ReadString(const Field& field, bool allow_empty);
  void SetString(const Fields& fields, const char* key, bool allow_empty, std::string& target) {
    const Field* field = Get(fields, key);
    if (field == nullptr) return;
    if (auto value = ReadString(*field, allow_empty)) target = *value;
  }
  std::optional<std::vector<uint8_t>> ReadHexBytes(const Field& field,
                                                   std::optional<std::size_t> exact_size);
  template <std::size_t N>
  void SetHexBytes(const Fields& fields, const char* key, std::array<uint8_t, N>& target) {
    const Field* field = Get(fields, key);
    if (field == nullptr) return;
    if (auto bytes = ReadHexBytes(*field, N)) std::copy(bytes->begin(), bytes->end(), target.begin());
  }

  const Field* Get(const Fields& fields, const char* key) const {
    auto it = fields.find(key);
    return it == fields.end() ? nullptr : &it->second;
  }
  bool Require(const Field& map, const Fields& fields, const char* key) {
    if (fields.count(key) != 0) return true;
    Error(map, "missing required key '" + std::string(key) + "'");
    return false;
  }

  void ReadMemory(const Field& field, std::vector<MemoryRegion>& memory);
  void ReadVtom(const Field& field, VtomConfig& vtom);
  void ReadAttestation(const Field& field, AttestationConfig& attestation);
  void ReadService(const Field& field, std::vector<AttestServiceConfig>& services);

  std::string file_;
  Diagnostics& diags_;
  // Where each key path the file gives is written, for the semantic checks' messages.
  std::map<std::string, SourceLoc> key_locs_;
};

SourceLoc PlatformReader::LocForPath(std::string path) const {
  while (true) {
    auto it = key_locs_.find(path);
    if (it != key_locs_.end()) return it->second;
    if (path.empty()) return {file_, 1, 1};
    const std::size_t cut = path.find_last_of(".[");
    path = cut == std::string::npos ? std::string() : path.substr(0, cut);
  }
}

std::optional<PlatformReader::Fields> PlatformReader::ReadMap(
    const Field& field, std::initializer_list<const char*> known) {
  if (HasExplicitTag(field)) return std::nullopt;
  if (!field.value.IsMap()) {
    Error(field, std::string("expected a mapping, got ") + NodeKindName(field.value));
    return std::nullopt;
  }
  Fields fields;
  for (auto it = field.value.begin(); it != field.value.end(); ++it) {
    const YAML::Node key = it->first;
    if (!key.IsScalar()) {
      Field where{YAML::Node(YAML::NodeType::Undefined), key, field.path};
      if (!key.IsDefined() || key.IsNull() || key.Mark().is_null()) where.value = field.value;
      Error(where, std::string("mapping keys must be plain names, got ") + NodeKindName(key));
      continue;
    }
    const std::string& name = key.Scalar();
    Field entry{key, it->second, Child(field.path, name)};
    if (std::find_if(known.begin(), known.end(), [&](const char* k) { return name == k; }) ==
        known.end()) {
      std::string list;
      for (const char* k : known) list += (list.empty() ? "" : ", ") + std::string(k);
      diags_.Error(Loc(key), PathName(field.path) + ": unknown key '" + name +
                                 "' (known keys: " + list + ")");
      continue;
    }
    auto [first, inserted] = fields.emplace(name, entry);
    if (!inserted) {
      diags_.Error(Loc(key), entry.path + ": duplicate key (first given at line " +
                                 std::to_string(Loc(first->second.key).line) + ")");
      continue;
    }
    key_locs_[entry.path] = Loc(key);
  }
  return fields;
}

template <typename Each>
void PlatformReader::ReadList(const Field& field, Each each) {
  if (HasExplicitTag(field)) return;
  if (!field.value.IsSequence()) {
    Error(field, std::string("expected a list, got ") + NodeKindName(field.value));
    return;
  }
  std::size_t index = 0;
  for (auto it = field.value.begin(); it != field.value.end(); ++it, ++index) {
    Field item{YAML::Node(YAML::NodeType::Undefined), *it, Item(field.path, index)};
    // An empty item ("- ") has no position of its own; the list's is the nearest.
    if (item.value.IsNull() || item.value.Mark().is_null()) {
      item.key = field.key.IsDefined() ? field.key : field.value;
    }
    key_locs_[item.path] = Loc(item);
    each(item);
  }
}

std::optional<uint64_t> PlatformReader::ReadUnsigned(const Field& field, int bits) {
  if (HasExplicitTag(field)) return std::nullopt;
  const YAML::Node& node = field.value;
  if (!node.IsScalar()) {
    Error(field, std::string("expected an unsigned integer, got ") + NodeKindName(node));
    return std::nullopt;
  }
  const std::string& text = node.Scalar();
  const bool quoted = node.Tag() == "!";
  const bool hex = text.size() > 2 && text[0] == '0' && text[1] == 'x' &&
                   std::all_of(text.begin() + 2, text.end(),
                               [](char c) { return HexDigitValue(c) >= 0; });
  const bool decimal = !text.empty() && std::all_of(text.begin(), text.end(), IsDecimalDigit);
  if (quoted && !hex) {
    Error(field, "expected an unsigned integer, got the string \"" + Excerpt(text) +
                     "\" (quoted numbers must be hex, like \"0x1000\")");
    return std::nullopt;
  }
  if (!hex && !decimal) {
    std::string what = "'" + Excerpt(text) + "'";
    if (Lower(text) == "true" || Lower(text) == "false") {
      what = "the boolean " + text;
    } else if (LooksLikeBoolOrNull(text)) {
      what = "'" + Excerpt(text) + "', which YAML may read as a boolean or null";
    } else if (!text.empty() && text[0] == '-' && LooksLikeNumber(text)) {
      Error(field, "must not be negative, got " + Excerpt(text));
      return std::nullopt;
    } else if (LooksLikeNumber(text)) {
      const std::string lower = Lower(text);
      if (lower.find_first_of(".e") != std::string::npos && lower.find("0x") == std::string::npos) {
        what = "the floating-point number " + Excerpt(text);
      }
    }
    Error(field, "expected an unsigned integer (decimal, or hex as 0x...), got " + what);
    return std::nullopt;
  }
  if (decimal && text.size() > 1 && text[0] == '0') {
    Error(field, "leading zeros are ambiguous (YAML 1.1 reads '" + Excerpt(text) +
                     "' as octal); write it in decimal without them, or as 0x hex");
    return std::nullopt;
  }
  const uint64_t max = bits >= 64 ? ~uint64_t{0} : (uint64_t{1} << bits) - 1;
  const uint64_t base = hex ? 16 : 10;
  uint64_t value = 0;
  for (std::size_t i = hex ? 2 : 0; i < text.size(); ++i) {
    const auto digit = static_cast<uint64_t>(HexDigitValue(text[i]));
    if (value > (max - digit) / base) {
      Error(field, Excerpt(text) + " does not fit in " + std::to_string(bits) + " bits (maximum " +
                       (hex ? Hex(max) : std::to_string(max)) + ")");
      return std::nullopt;
    }
    value = value * base + digit;
  }
  return value;
}

void PlatformReader::SetBool(const Fields& fields, const char* key, bool& target) {
  const Field* field = Get(fields, key);
  if (field == nullptr || HasExplicitTag(*field)) return;
  const YAML::Node& node = field->value;
  if (node.IsScalar() && node.Tag() == "?" && (node.Scalar() == "true" || node.Scalar() == "false")) {
    target = node.Scalar() == "true";
    return;
  }
  std::string got = NodeKindName(node);
  if (node.IsScalar()) got = (node.Tag() == "!" ? "the string \"" : "'") + Excerpt(node.Scalar()) +
                             (node.Tag() == "!" ? "\"" : "'");
  Error(*field, "expected true or false, got " + got);
}

std::optional<std::string> PlatformReader::ReadString(const Field& field, bool allow_empty) {
  if (HasExplicitTag(field)) return std::nullopt;
  const YAML::Node& node = field.value;
  if (!node.IsScalar()) {
    Error(field, std::string("expected a string, got ") + NodeKindName(node));
    return std::nullopt;
  }
  const std::string& text = node.Scalar();
  if (node.Tag() == "?" && LooksLikeNonString(text)) {
    Error(field, "expected a string, got '" + Excerpt(text) +
                     "', which YAML reads as a number, boolean, date or null; quote it");
    return std::nullopt;
  }
  if (text.empty() && !allow_empty) {
    Error(field, "must not be empty");
    return std::nullopt;
  }
  if (!IsValidUtf8(text)) {
    Error(field, "is not valid UTF-8");
    return std::nullopt;
  }
  return text;
}

std::optional<std::vector<uint8_t>> PlatformReader::ReadHexBytes(
    const Field& field, std::optional<std::size_t> exact_size) {
  auto text = ReadString(field, /*allow_empty=*/true);
  if (!text) return std::nullopt;
  const std::string expected =
      exact_size ? "a hex string of " + std::to_string(*exact_size) + " bytes (" +
                       std::to_string(*exact_size * 2) + " hex digits, no 0x)"
                 : std::string("a hex string of whole bytes (no 0x)");
  const auto bad = std::find_if(text->begin(), text->end(),
                                [](char c) { return HexDigitValue(c) < 0; });
  if (bad != text->end()) {
    Error(field, "expected " + expected + ", got a non-hex character at offset " +
                     std::to_string(bad - text->begin()));
    return std::nullopt;
  }
  if (text->size() % 2 != 0 || (exact_size && text->size() != *exact_size * 2)) {
    Error(field, "expected " + expected + ", got " + std::to_string(text->size()) + " hex digits");
    return std::nullopt;
  }
  std::vector<uint8_t> bytes(text->size() / 2);
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    bytes[i] = static_cast<uint8_t>(HexDigitValue((*text)[2 * i]) << 4 |
                                    HexDigitValue((*text)[2 * i + 1]));
  }
  return bytes;
}

void PlatformReader::ReadMemory(const Field& field, std::vector<MemoryRegion>& memory) {
  memory.clear();
  ReadList(field, [&](const Field& item) {
    auto fields = ReadMap(
        item, {"name", "base", "size", "kind", "shared", "large_pages", "prevalidated"});
    if (!fields) return;
    MemoryRegion region;
    for (const char* key : {"name", "base", "size"}) Require(item, *fields, key);
    SetString(*fields, "name", /*allow_empty=*/false, region.name);
    Set(*fields, "base", region.base);
    Set(*fields, "size", region.size);
    if (const Field* kind = Get(*fields, "kind")) {
      if (auto text = ReadString(*kind, /*allow_empty=*/false)) {
        if (*text == "ram") {
          region.kind = MemoryRegion::Kind::kRam;
        } else if (*text == "mmio") {
          region.kind = MemoryRegion::Kind::kMmio;
        } else {
          Error(*kind, "expected ram or mmio, got '" + Excerpt(*text) + "'");
        }
      }
    }
    SetBool(*fields, "shared", region.shared);
    SetBool(*fields, "large_pages", region.large_pages);
    SetBool(*fields, "prevalidated", region.prevalidated);
    memory.push_back(std::move(region));
  });
}

void PlatformReader::ReadVtom(const Field& field, VtomConfig& vtom) {
  auto fields = ReadMap(field, {"supported", "alignment_log2", "min_vtom", "max_vtom"});
  if (!fields) return;
  SetBool(*fields, "supported", vtom.supported);
  Set(*fields, "alignment_log2", vtom.alignment_log2);
  Set(*fields, "min_vtom", vtom.min_vtom);
  Set(*fields, "max_vtom", vtom.max_vtom);
}

void PlatformReader::ReadService(const Field& field, std::vector<AttestServiceConfig>& services) {
  auto fields = ReadMap(field, {"name", "guid", "manifest"});
  if (!fields) return;
  AttestServiceConfig service;
  for (const char* key : {"name", "guid"}) Require(field, *fields, key);
  SetString(*fields, "name", /*allow_empty=*/false, service.name);
  if (const Field* guid = Get(*fields, "guid")) {
    if (auto text = ReadString(*guid, /*allow_empty=*/false)) {
      if (auto bytes = ParseGuid(*text)) {
        service.guid = *bytes;
      } else {
        Error(*guid, "expected a GUID like 01234567-89ab-cdef-0123-456789abcdef, got '" + Excerpt(*text) +
                         "'");
      }
    }
  }
  if (const Field* manifest = Get(*fields, "manifest")) {
    if (auto bytes = ReadHexBytes(*manifest, std::nullopt)) service.manifest = std::move(*bytes);
  }
  services.push_back(std::move(service));
}

void PlatformReader::ReadAttestation(const Field& field, AttestationConfig& attestation) {
  auto fields = ReadMap(field, {"signing_key_pem", "report_version", "guest_svn", "policy",
                                "family_id", "image_id", "measurement", "host_data", "chip_id",
                                "provide_certificates", "fail_snp_requests", "services"});
  if (!fields) return;
  SetString(*fields, "signing_key_pem", /*allow_empty=*/true, attestation.signing_key_pem);
  Set(*fields, "report_version", attestation.report_version);
  Set(*fields, "guest_svn", attestation.guest_svn);
  Set(*fields, "policy", attestation.policy);
  SetHexBytes(*fields, "family_id", attestation.family_id);
  SetHexBytes(*fields, "image_id", attestation.image_id);
  SetHexBytes(*fields, "measurement", attestation.measurement);
  SetHexBytes(*fields, "host_data", attestation.host_data);
  SetHexBytes(*fields, "chip_id", attestation.chip_id);
  SetBool(*fields, "provide_certificates", attestation.provide_certificates);
  SetBool(*fields, "fail_snp_requests", attestation.fail_snp_requests);
  if (const Field* services = Get(*fields, "services")) {
    attestation.services.clear();
    ReadList(*services, [&](const Field& item) { ReadService(item, attestation.services); });
  }
}

void PlatformReader::ReadPlatform(const YAML::Node& root, PlatformConfig& config) {
  const Field document{YAML::Node(YAML::NodeType::Undefined), root, ""};
  key_locs_[""] = Loc(root);
  auto fields = ReadMap(document, {"name", "guest_vmpl", "memory", "svsm", "secrets_page",
                                   "startup_caa", "startup_vmsa", "sev_features", "vcpus",
                                   "protocols", "vtom", "pvalidate_entries_per_call",
                                   "deposit_entries_per_call", "attestation", "faults"});
  if (!fields) return;
  SetString(*fields, "name", /*allow_empty=*/false, config.name);
  Set(*fields, "guest_vmpl", config.guest_vmpl);
  if (const Field* memory = Get(*fields, "memory")) ReadMemory(*memory, config.memory);
  if (const Field* svsm = Get(*fields, "svsm")) {
    if (auto svsm_fields = ReadMap(*svsm, {"base", "size"})) {
      Set(*svsm_fields, "base", config.svsm_base);
      Set(*svsm_fields, "size", config.svsm_size);
    }
  }
  Set(*fields, "secrets_page", config.secrets_page);
  Set(*fields, "startup_caa", config.startup_caa);
  Set(*fields, "startup_vmsa", config.startup_vmsa);
  Set(*fields, "sev_features", config.sev_features);
  if (const Field* vcpus = Get(*fields, "vcpus")) {
    config.vcpus.clear();
    ReadList(*vcpus, [&](const Field& item) {
      auto vcpu_fields = ReadMap(item, {"apic_id"});
      if (!vcpu_fields) return;
      VcpuConfig vcpu;
      Require(item, *vcpu_fields, "apic_id");
      Set(*vcpu_fields, "apic_id", vcpu.apic_id);
      config.vcpus.push_back(vcpu);
    });
  }
  if (const Field* protocols = Get(*fields, "protocols")) {
    config.protocols.clear();
    ReadList(*protocols, [&](const Field& item) {
      auto protocol_fields = ReadMap(item, {"number", "min_version", "max_version"});
      if (!protocol_fields) return;
      ProtocolConfig protocol;
      Require(item, *protocol_fields, "number");
      Set(*protocol_fields, "number", protocol.number);
      Set(*protocol_fields, "min_version", protocol.min_version);
      Set(*protocol_fields, "max_version", protocol.max_version);
      config.protocols.push_back(protocol);
    });
  }
  if (const Field* vtom = Get(*fields, "vtom")) ReadVtom(*vtom, config.vtom);
  Set(*fields, "pvalidate_entries_per_call", config.pvalidate_entries_per_call);
  Set(*fields, "deposit_entries_per_call", config.deposit_entries_per_call);
  if (const Field* attestation = Get(*fields, "attestation")) {
    ReadAttestation(*attestation, config.attestation);
  }
  if (const Field* faults = Get(*fields, "faults")) {
    config.faults.clear();
    ReadList(*faults, [&](const Field& item) {
      if (auto name = ReadString(item, /*allow_empty=*/false)) config.faults.push_back(*name);
    });
  }
}

// Receives parser events only to count documents and to find where the second one starts.
class DocumentCounter : public YAML::EventHandler {
 public:
  int documents() const { return documents_; }
  YAML::Mark second_document_mark() const { return second_document_mark_; }

  void OnDocumentStart(const YAML::Mark&) override { ++documents_; }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& mark, YAML::anchor_t) override { Saw(mark); }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t) override { Saw(mark); }
  void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                const std::string&) override {
    Saw(mark);
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {
    Saw(mark);
  }
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {
    Saw(mark);
  }
  void OnMapEnd() override {}

 private:
  void Saw(const YAML::Mark& mark) {
    if (documents_ == 2 && second_document_mark_.is_null()) second_document_mark_ = mark;
  }

  int documents_ = 0;
  YAML::Mark second_document_mark_ = YAML::Mark::null_mark();
};

std::optional<PlatformConfig> Parse(std::string_view text, const std::string& file,
                                    Diagnostics& diags) {
  if (text.size() > kMaxFileBytes) {
    diags.Error({file, 0, 0}, "platform file is " + std::to_string(text.size()) +
                                  " bytes; refusing to read more than " +
                                  std::to_string(kMaxFileBytes));
    return std::nullopt;
  }
  YAML::Node root;
  try {
    // yaml-cpp 0.7 can produce empty documents forever when a stream starts with ','
    // (jbeder/yaml-cpp#1040), so LoadAll is out: count documents with the event parser,
    // stopping at two, before building any node.
    std::istringstream stream{std::string(text)};
    YAML::Parser parser(stream);
    DocumentCounter counter;
    while (counter.documents() < 2 && parser.HandleNextDocument(counter)) {
    }
    if (counter.documents() == 0) {
      diags.Error({file, 1, 1},
                  "the platform file is empty; write {} for the default platform, or give keys");
      return std::nullopt;
    }
    if (counter.documents() > 1) {
      const YAML::Mark mark = counter.second_document_mark();
      diags.Error(mark.is_null() ? SourceLoc{file, 1, 1}
                                 : SourceLoc{file, mark.line + 1, mark.column + 1},
                  "a platform file holds one YAML document; found a second one (after '---' "
                  "or a stray top-level token)");
      return std::nullopt;
    }
    root = YAML::Load(std::string(text));
  } catch (const YAML::DeepRecursion& e) {
    diags.Error({file, e.mark.line + 1, e.mark.column + 1},
                "YAML nesting deeper than " + std::to_string(e.depth()) + " levels");
    return std::nullopt;
  } catch (const YAML::Exception& e) {
    const SourceLoc loc = e.mark.is_null() ? SourceLoc{file, 1, 1}
                                           : SourceLoc{file, e.mark.line + 1, e.mark.column + 1};
    diags.Error(loc, "YAML syntax error: " + e.msg);
    return std::nullopt;
  }
  if (root.IsNull()) {
    diags.Error({file, 1, 1},
                "the platform file is empty; write {} for the default platform, or give keys");
    return std::nullopt;
  }

  const std::size_t errors_before = diags.error_count();
  PlatformConfig config = DefaultPlatformConfig();
  PlatformReader reader(file, diags);
  reader.ReadPlatform(root, config);
  if (diags.error_count() != errors_before) return std::nullopt;

  const std::vector<Issue> issues = FindIssues(config);
  for (const Issue& issue : issues) {
    diags.Error(reader.LocForPath(issue.path), issue.path + ": " + issue.message);
  }
  if (!issues.empty()) return std::nullopt;
  return config;
}

}  // namespace

PlatformConfig DefaultPlatformConfig() {
  PlatformConfig config;
  config.guest_vmpl = 2;
  auto ram = [](std::string name, uint64_t base, uint64_t size, bool shared, bool prevalidated) {
    MemoryRegion region;
    region.name = std::move(name);
    region.base = base;
    region.size = size;
    region.kind = MemoryRegion::Kind::kRam;
    region.shared = shared;
    region.large_pages = true;
    region.prevalidated = prevalidated;
    return region;
  };
  MemoryRegion mmio;
  mmio.name = "mmio";
  mmio.base = 0xE000'0000;
  mmio.size = 0x1000'0000;
  mmio.kind = MemoryRegion::Kind::kMmio;
  config.memory = {
      ram("boot-ram", 0x0, 0x100'0000, /*shared=*/false, /*prevalidated=*/true),
      ram("low-ram", 0x100'0000, 0x8000'0000 - 0x100'0000, /*shared=*/false,
          /*prevalidated=*/false),
      ram("shared-ram", 0x8000'0000, 0x100'0000, /*shared=*/true, /*prevalidated=*/false),
      mmio,
      ram("high-ram", 0x1'0000'0000, 0x1'0000'0000, /*shared=*/false, /*prevalidated=*/false),
  };
  config.svsm_base = 0x4000'0000;
  config.svsm_size = 0x100'0000;
  config.secrets_page = 0x80'0000;
  config.startup_caa = 0x80'1000;
  config.startup_vmsa = 0x80'2000;
  config.sev_features = 0x1;
  config.vcpus = {{0}, {1}, {2}, {3}};
  config.protocols = {{kProtocolCore, 1, 1}, {kProtocolAttestation, 1, 1}};
  config.pvalidate_entries_per_call = 0;
  config.deposit_entries_per_call = 0;

  // Recognisable, documented patterns (firmware_ref/README.md) so that reports produced by
  // the default platform are easy to spot in hex dumps and to assert on in tests.
  AttestationConfig& attestation = config.attestation;
  for (std::size_t i = 0; i < attestation.measurement.size(); ++i) {
    attestation.measurement[i] = static_cast<uint8_t>(0x01 + i);
  }
  for (std::size_t i = 0; i < attestation.host_data.size(); ++i) {
    attestation.host_data[i] = static_cast<uint8_t>(0xA0 + i);
  }
  static constexpr std::string_view kChipId = "svsm-spec reference chip";
  std::copy(kChipId.begin(), kChipId.end(), attestation.chip_id.begin());
  attestation.provide_certificates = true;
  return config;
}

std::optional<PlatformConfig> ParsePlatformConfig(std::string_view text, std::string_view file,
                                                  svsm_spec::Diagnostics& diags) {
  const std::string file_name(file);
  try {
    return Parse(text, file_name, diags);
  } catch (const std::exception& e) {
    // yaml-cpp can throw from node access on malformed input; never across our API.
    diags.Error({file_name, 0, 0}, std::string("could not read the platform file: ") + e.what());
    return std::nullopt;
  }
}

std::optional<PlatformConfig> LoadPlatformConfigFile(const std::string& path,
                                                     svsm_spec::Diagnostics& diags) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    diags.Error({path, 0, 0}, "cannot open platform file");
    return std::nullopt;
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) {
    diags.Error({path, 0, 0}, "cannot read platform file");
    return std::nullopt;
  }
  return ParsePlatformConfig(text.str(), path, diags);
}

std::vector<std::string> CheckPlatformConfig(const PlatformConfig& config) {
  std::vector<std::string> problems;
  for (const Issue& issue : FindIssues(config)) {
    problems.push_back(issue.path + ": " + issue.message);
  }
  return problems;
}

std::string PlatformConfigToJson(const PlatformConfig& config) {
  using Json = nlohmann::ordered_json;
  Json memory = Json::array();
  for (const MemoryRegion& region : config.memory) {
    memory.push_back({{"name", region.name},
                      {"base", Hex(region.base)},
                      {"size", Hex(region.size)},
                      {"kind", region.kind == MemoryRegion::Kind::kMmio ? "mmio" : "ram"},
                      {"shared", region.shared},
                      {"large_pages", region.large_pages},
                      {"prevalidated", region.prevalidated}});
  }
  Json vcpus = Json::array();
  for (const VcpuConfig& vcpu : config.vcpus) vcpus.push_back({{"apic_id", vcpu.apic_id}});
  Json protocols = Json::array();
  for (const ProtocolConfig& protocol : config.protocols) {
    protocols.push_back({{"number", protocol.number},
                         {"min_version", protocol.min_version},
                         {"max_version", protocol.max_version}});
  }
  const AttestationConfig& attestation = config.attestation;
  Json services = Json::array();
  for (const AttestServiceConfig& service : attestation.services) {
    services.push_back({{"name", service.name},
                        {"guid", GuidText(service.guid)},
                        {"manifest", HexBytes(service.manifest.data(), service.manifest.size())}});
  }
  auto hex_bytes = [](const auto& bytes) { return HexBytes(bytes.data(), bytes.size()); };

  Json json = Json::object();
  json["name"] = config.name;
  json["guest_vmpl"] = config.guest_vmpl;
  json["memory"] = std::move(memory);
  json["svsm"] = {{"base", Hex(config.svsm_base)}, {"size", Hex(config.svsm_size)}};
  json["secrets_page"] = Hex(config.secrets_page);
  json["startup_caa"] = Hex(config.startup_caa);
  json["startup_vmsa"] = Hex(config.startup_vmsa);
  json["sev_features"] = Hex(config.sev_features);
  json["vcpus"] = std::move(vcpus);
  json["protocols"] = std::move(protocols);
  json["vtom"] = {{"supported", config.vtom.supported},
                  {"alignment_log2", config.vtom.alignment_log2},
                  {"min_vtom", Hex(config.vtom.min_vtom)},
                  {"max_vtom", Hex(config.vtom.max_vtom)}};
  json["pvalidate_entries_per_call"] = config.pvalidate_entries_per_call;
  json["deposit_entries_per_call"] = config.deposit_entries_per_call;
  json["attestation"] = {{"signing_key_pem", attestation.signing_key_pem},
                         {"report_version", attestation.report_version},
                         {"guest_svn", attestation.guest_svn},
                         {"policy", Hex(attestation.policy)},
                         {"family_id", hex_bytes(attestation.family_id)},
                         {"image_id", hex_bytes(attestation.image_id)},
                         {"measurement", hex_bytes(attestation.measurement)},
                         {"host_data", hex_bytes(attestation.host_data)},
                         {"chip_id", hex_bytes(attestation.chip_id)},
                         {"provide_certificates", attestation.provide_certificates},
                         {"fail_snp_requests", attestation.fail_snp_requests},
                         {"services", std::move(services)}};
  json["faults"] = config.faults;
  // Names built in code may hold invalid UTF-8 (files cannot: the reader refuses it);
  // replace rather than throw.
  return json.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
}

}  // namespace svsm_ref
