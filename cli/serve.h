#pragma once

#include <CLI/CLI.hpp>
#include <string>

namespace svsm_cli {

// Exit codes shared by every subcommand (docs/cli.md).
inline constexpr int kExitOk = 0;
inline constexpr int kExitInputErrors = 1;
inline constexpr int kExitUsage = 2;

struct ServeOptions {
  std::string platform;
  std::string script;
  bool print_platform = false;
  bool print_public_key = false;
  bool wire = false;
};

void AddServeOptions(CLI::App* serve, ServeOptions& opts);
int RunServe(const ServeOptions& opts);

}  // namespace svsm_cli
