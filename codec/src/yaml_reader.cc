#include "yaml_reader.h"

#include <algorithm>
#include <cctype>
#include <regex>

namespace svsm_spec::internal {
namespace {

// Plain scalars that YAML 1.1 tools (editors, PyYAML) read as something other than a
// string. We refuse them where a string is expected so that every tool agrees.
bool LooksLikeNonString(const std::string& s) {
  static const std::regex kNumber(
      R"(^[-+]?(0x[0-9a-fA-F_]+|0o?[0-7_]+|[0-9][0-9_]*(\.[0-9_]*)?([eE][-+]?[0-9]+)?|\.[0-9]+|\.inf|\.nan)$)",
      std::regex::icase);
  static const std::regex kDate(R"(^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([Tt ].*)?$)");
  std::string lower = s;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  static const char* kWords[] = {"true", "false", "yes", "no", "on", "off", "null", "~", "y", "n"};
  for (const char* w : kWords) {
    if (lower == w) return true;
  }
  return std::regex_match(s, kNumber) || std::regex_match(s, kDate);
}

const char* TypeName(const YAML::Node& node) {
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
  return "an undefined node";
}

constexpr uint64_t kMaxVisitedNodes = 2'000'000;

}  // namespace

SourceLoc YamlReader::Loc(const YAML::Node& node) const {
  if (!node.IsDefined()) return {file_, 0, 0};
  const YAML::Mark mark = node.Mark();
  if (mark.is_null()) return {file_, 0, 0};
  return {file_, mark.line + 1, mark.column + 1};
}

void YamlReader::Error(const YAML::Node& node, const std::string& message) {
  diagnostics_.Error(Loc(node), message);
}

void YamlReader::Warning(const YAML::Node& node, const std::string& message) {
  diagnostics_.Warning(Loc(node), message);
}

bool YamlReader::Visit(const YAML::Node& node) {
  if (++visited_ <= kMaxVisitedNodes) return true;
  if (!budget_reported_) {
    budget_reported_ = true;
    Error(node, "document too large or too deeply aliased (more than " +
                    std::to_string(kMaxVisitedNodes) + " nodes visited); refusing to read further");
  }
  return false;
}

std::optional<std::string> YamlReader::String(const YAML::Node& node, const std::string& what) {
  if (!node.IsScalar()) {
    Error(node, "expected a string for " + what + ", got " + TypeName(node));
    return std::nullopt;
  }
  const std::string& s = node.Scalar();
  if (node.Tag() == "?" && LooksLikeNonString(s)) {
    Error(node, "expected a string for " + what + ", got '" + s +
                    "', which YAML reads as a number, boolean, date or null; quote it");
    return std::nullopt;
  }
  if (s.empty()) {
    Error(node, "expected a non-empty string for " + what);
    return std::nullopt;
  }
  return s;
}

std::optional<uint64_t> YamlReader::Unsigned(const YAML::Node& node, const std::string& what,
                                             uint64_t max) {
  if (!node.IsScalar() || node.Tag() != "?") {
    std::string got = TypeName(node);
    if (node.IsScalar()) {
      got = node.Tag() == "!" ? "a quoted string" : "a scalar tagged '" + node.Tag() + "'";
    }
    Error(node,
          "expected an unsigned integer for " + what + ", got " + got + " (write a plain number)");
    return std::nullopt;
  }
  const std::string& s = node.Scalar();
  static const std::regex kHex(R"(^0x[0-9a-fA-F]{1,16}$)");
  static const std::regex kDec(R"(^(0|[1-9][0-9]{0,19})$)");
  uint64_t value = 0;
  bool parsed = false;
  if (std::regex_match(s, kHex)) {
    for (char c : s.substr(2)) {
      const int digit = std::isdigit(static_cast<unsigned char>(c))
                            ? c - '0'
                            : std::tolower(static_cast<unsigned char>(c)) - 'a' + 10;
      value = value * 16 + static_cast<uint64_t>(digit);
    }
    parsed = true;
  } else if (std::regex_match(s, kDec)) {
    parsed = true;
    for (char c : s) {
      const uint64_t digit = static_cast<uint64_t>(c - '0');
      if (value > (UINT64_MAX - digit) / 10) {
        parsed = false;
        break;
      }
      value = value * 10 + digit;
    }
    if (!parsed) {
      Error(node, what + " '" + s + "' does not fit in 64 bits");
      return std::nullopt;
    }
  }
  if (!parsed) {
    Error(node, "expected an unsigned integer (decimal or 0x hex, no underscores) for " + what +
                    ", got '" + s + "'");
    return std::nullopt;
  }
  if (value > max) {
    Error(node, what + " " + s + " is out of range (maximum " + std::to_string(max) + ")");
    return std::nullopt;
  }
  return value;
}

std::optional<bool> YamlReader::Bool(const YAML::Node& node, const std::string& what) {
  if (node.IsScalar() && node.Tag() == "?") {
    if (node.Scalar() == "true") return true;
    if (node.Scalar() == "false") return false;
  }
  Error(node, "expected true or false for " + what);
  return std::nullopt;
}

std::optional<std::string> YamlReader::OneOf(const YAML::Node& node, const std::string& what,
                                             const std::vector<std::string>& allowed) {
  if (!node.IsScalar()) {
    Error(node, "expected one of the names for " + what + ", got " + TypeName(node));
    return std::nullopt;
  }
  const std::string& s = node.Scalar();
  if (std::find(allowed.begin(), allowed.end(), s) != allowed.end()) return s;
  std::string list;
  for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
  Error(node, "invalid " + what + " '" + s + "' (expected one of: " + list + ")");
  return std::nullopt;
}

MapView::MapView(YamlReader& reader, const YAML::Node& node, std::string what)
    : reader_(reader), node_(node), what_(std::move(what)) {
  if (!reader_.Visit(node)) return;
  if (!node.IsMap()) {
    reader_.Error(node, "expected a mapping for " + what_ + ", got " + TypeName(node));
    return;
  }
  ok_ = true;
  for (auto it = node.begin(); it != node.end(); ++it) {
    const YAML::Node key = it->first;
    if (!key.IsScalar()) {
      reader_.Error(key, "mapping keys must be plain names" + Context());
      continue;
    }
    const std::string& name = key.Scalar();
    auto [pos, inserted] = entries_.emplace(name, Entry{key, it->second, false});
    if (!inserted) {
      reader_.Error(key, "duplicate key '" + name + "'" + Context() + "; first given at line " +
                             std::to_string(reader_.Loc(pos->second.key).line));
      continue;
    }
    order_.push_back(name);
  }
}

YAML::Node MapView::Get(const std::string& key) {
  auto it = entries_.find(key);
  if (it == entries_.end()) return YAML::Node(YAML::NodeType::Undefined);
  it->second.read = true;
  // yaml-cpp gives empty values no position; point at the key instead.
  if (it->second.value.IsNull()) {
    reader_.Error(it->second.key, "key '" + key + "' has no value" + Context());
    return YAML::Node(YAML::NodeType::Undefined);
  }
  return it->second.value;
}

bool MapView::Require(const std::string& key) {
  if (!ok_) return false;
  if (Has(key)) return true;
  reader_.Error(node_, "missing required key '" + key + "'" + Context());
  return false;
}

std::optional<std::string> MapView::String(const std::string& key, bool required) {
  if (!ok_ || (required ? !Require(key) : !Has(key))) return std::nullopt;
  YAML::Node v = Get(key);
  if (!v.IsDefined()) return std::nullopt;
  return reader_.String(v, "'" + key + "'" + Context());
}

std::optional<uint64_t> MapView::Unsigned(const std::string& key, bool required, uint64_t max) {
  if (!ok_ || (required ? !Require(key) : !Has(key))) return std::nullopt;
  YAML::Node v = Get(key);
  if (!v.IsDefined()) return std::nullopt;
  return reader_.Unsigned(v, "'" + key + "'" + Context(), max);
}

std::optional<bool> MapView::Bool(const std::string& key, bool required) {
  if (!ok_ || (required ? !Require(key) : !Has(key))) return std::nullopt;
  YAML::Node v = Get(key);
  if (!v.IsDefined()) return std::nullopt;
  return reader_.Bool(v, "'" + key + "'" + Context());
}

std::optional<std::string> MapView::OneOf(const std::string& key, bool required,
                                          const std::vector<std::string>& allowed) {
  if (!ok_ || (required ? !Require(key) : !Has(key))) return std::nullopt;
  YAML::Node v = Get(key);
  if (!v.IsDefined()) return std::nullopt;
  return reader_.OneOf(v, "'" + key + "'" + Context(), allowed);
}

std::vector<std::string> MapView::StringList(const std::string& key, bool required) {
  std::vector<std::string> out;
  List(key, required, [&](const YAML::Node& item, std::size_t i) {
    if (auto s = reader_.String(item, "'" + key + "'[" + std::to_string(i) + "]" + Context())) {
      out.push_back(*s);
    }
  });
  return out;
}

void MapView::List(const std::string& key, bool required,
                   const std::function<void(const YAML::Node&, std::size_t)>& each) {
  if (!ok_ || (required ? !Require(key) : !Has(key))) return;
  YAML::Node v = Get(key);
  if (!v.IsDefined()) return;
  if (!v.IsSequence()) {
    reader_.Error(v, "expected a list for '" + key + "'" + Context() + ", got " + TypeName(v));
    return;
  }
  std::size_t i = 0;
  for (auto it = v.begin(); it != v.end(); ++it, ++i) {
    if (!reader_.Visit(*it)) return;
    each(*it, i);
  }
}

void MapView::Finish() {
  if (!ok_) return;
  std::vector<std::string> unknown;
  for (const auto& name : order_) {
    const Entry& e = entries_.at(name);
    if (!e.read) {
      reader_.Error(e.key, "unknown key '" + name + "'" + Context());
    }
  }
}

}  // namespace svsm_spec::internal
