// Helpers shared by the tests that write files and run compilers (gen_*_test,
// codec_vectors_test, spec_errors_test).
#pragma once

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace svsm_spec::testing_support {

namespace fs = std::filesystem;

inline std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline bool WriteFile(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  return static_cast<bool>(out);
}

// Single-quoted for /bin/sh.
inline std::string Quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// A fresh scratch directory named for the running test (tests may run in parallel
// processes, hence the pid).
inline fs::path ScratchDir(const std::string& prefix) {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string name = std::string(info->test_suite_name()) + "_" + info->name();
  for (char& c : name) {
    if (c == '/') c = '_';
  }
  fs::path dir =
      fs::temp_directory_path() / (prefix + "_" + std::to_string(::getpid()) + "_" + name);
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

inline bool HaveTool(const std::string& tool) {
  return std::system(("command -v " + tool + " >/dev/null 2>&1").c_str()) == 0;
}

// Runs `command` through the shell with stdout and stderr captured into `output` (via a log
// in `dir`); returns the exit status, or -1 when the command could not run or was killed.
inline int RunCommand(const std::string& command, const fs::path& dir, std::string* output) {
  const fs::path log = dir / "command.log";
  const int rc = std::system((command + " >" + Quote(log.string()) + " 2>&1").c_str());
  *output = ReadFile(log);
  if (rc == -1 || !WIFEXITED(rc)) return -1;
  return WEXITSTATUS(rc);
}

// rustc on PATH, else in $HOME/.cargo/bin; empty when there is none.
inline std::string FindRustc() {
  auto executable = [](const fs::path& p) {
    std::error_code ec;
    return fs::is_regular_file(p, ec) && ::access(p.c_str(), X_OK) == 0;
  };
  if (const char* path = std::getenv("PATH")) {
    std::stringstream dirs(path);
    std::string d;
    while (std::getline(dirs, d, ':')) {
      if (!d.empty() && executable(fs::path(d) / "rustc")) return (fs::path(d) / "rustc").string();
    }
  }
  if (const char* home = std::getenv("HOME")) {
    const fs::path p = fs::path(home) / ".cargo" / "bin" / "rustc";
    if (executable(p)) return p.string();
  }
  return "";
}

}  // namespace svsm_spec::testing_support
