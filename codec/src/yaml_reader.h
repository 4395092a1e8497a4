// Strict, non-throwing access to a yaml-cpp document: every key must be known, every
// scalar must have the expected type, and every problem becomes a diagnostic with the
// file, line and column of the offending node. Internal to the codec library.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "svsm_spec/diagnostics.h"

namespace svsm_spec::internal {

class YamlReader {
 public:
  YamlReader(std::string file, Diagnostics& diagnostics)
      : file_(std::move(file)), diagnostics_(diagnostics) {}

  SourceLoc Loc(const YAML::Node& node) const;
  void Error(const YAML::Node& node, const std::string& message);
  void Warning(const YAML::Node& node, const std::string& message);

  // Guards against alias bombs and absurd inputs: false (once reported) when the
  // document has made the reader visit too many nodes.
  bool Visit(const YAML::Node& node);

  const std::string& file() const { return file_; }
  Diagnostics& diagnostics() { return diagnostics_; }

  // Scalar conversions; each reports its own error and returns nullopt on failure.
  std::optional<std::string> String(const YAML::Node& node, const std::string& what);
  std::optional<uint64_t> Unsigned(const YAML::Node& node, const std::string& what, uint64_t max);
  std::optional<bool> Bool(const YAML::Node& node, const std::string& what);
  std::optional<std::string> OneOf(const YAML::Node& node, const std::string& what,
                                   const std::vector<std::string>& allowed);

 private:
  std::string file_;
  Diagnostics& diagnostics_;
  uint64_t visited_ = 0;
  bool budget_reported_ = false;
};

// A mapping whose keys are checked against what the caller reads: call Finish() after
// reading to report keys nobody asked for.
class MapView {
 public:
  // `what` names the element for messages, e.g. "call SVSM_CORE_PVALIDATE".
  MapView(YamlReader& reader, const YAML::Node& node, std::string what);

  bool ok() const { return ok_; }
  const YAML::Node& node() const { return node_; }
  const std::string& what() const { return what_; }
  SourceLoc loc() const { return reader_.Loc(node_); }
  YamlReader& reader() { return reader_; }

  bool Has(const std::string& key) const { return entries_.count(key) != 0; }
  // The value node (marks the key as read), or an undefined node.
  YAML::Node Get(const std::string& key);
  // Reports "missing required key" and returns false when absent.
  bool Require(const std::string& key);

  std::optional<std::string> String(const std::string& key, bool required);
  std::optional<uint64_t> Unsigned(const std::string& key, bool required, uint64_t max);
  std::optional<bool> Bool(const std::string& key, bool required);
  std::optional<std::string> OneOf(const std::string& key, bool required,
                                   const std::vector<std::string>& allowed);
  std::vector<std::string> StringList(const std::string& key, bool required);
  // Calls `each` for every element of a sequence value; reports non-sequences.
  void List(const std::string& key, bool required,
            const std::function<void(const YAML::Node&, std::size_t)>& each);

  void Finish();

 private:
  std::string Context() const { return " (in " + what_ + ")"; }

  YamlReader& reader_;
  YAML::Node node_;
  std::string what_;
  bool ok_ = false;
  struct Entry {
    YAML::Node key;
    YAML::Node value;
    bool read = false;
  };
  std::map<std::string, Entry> entries_;
  std::vector<std::string> order_;
};

}  // namespace svsm_spec::internal
