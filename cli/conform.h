#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

namespace svsm_cli {

struct ConformOptions {
  std::string target = "ref";
  std::string platform;                  // --target ref only
  std::vector<std::string> faults;       // --target ref only: injected faults (svsm_ref/faults.h)
  std::vector<std::string> spec_paths;   // default: the source tree's spec/
  std::vector<std::string> vector_paths; // default: the source tree's vectors/conformance
  std::string protocol, call, rule, id_glob;
  std::string expectations;
  bool fix = false;
  std::string json_out, junit_out, html_out, coverage_out;
  double timeout_seconds = 10;
  bool quiet = false;
};

void AddConformOptions(CLI::App* conform, ConformOptions& opts);
int RunConform(const ConformOptions& opts);

}  // namespace svsm_cli
