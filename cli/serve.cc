// `svsm-spec serve`: runs the reference SVSM (firmware_ref/) as a process. Today it runs a
// script of guest and host actions and prints one JSON result per line; the runner's wire
// protocol (subprocess and socket transports) is served from here once it exists.
#include "serve.h"

#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

#include <unistd.h>

#include <csignal>

#include "ref_target.h"
#include "svsm_conform/wire_server.h"
#include "svsm_ref/platform_config.h"
#include "svsm_ref/script.h"
#include "svsm_ref/svsm.h"

namespace svsm_cli {

void AddServeOptions(CLI::App* serve, ServeOptions& opts) {
  serve->add_option("--platform", opts.platform,
                    "Platform file (YAML or JSON; default: the embedded platform)")
      ->check(CLI::ExistingFile);
  serve->add_option("--script", opts.script,
                    "JSON script of calls and memory actions to run ('-' reads standard input)");
  serve->add_flag("--wire", opts.wire,
                  "Serve the target wire protocol (docs/wire-protocol.md) on standard input/output");
  serve->add_flag("--print-platform", opts.print_platform,
                  "Print the effective platform as JSON and exit");
  serve->add_flag("--print-public-key", opts.print_public_key,
                  "Print the report-signing public key (PEM) and exit");
}

int RunServe(const ServeOptions& opts) {
  svsm_ref::PlatformConfig config = svsm_ref::DefaultPlatformConfig();
  if (!opts.platform.empty()) {
    svsm_spec::Diagnostics diags;
    auto loaded = svsm_ref::LoadPlatformConfigFile(opts.platform, diags);
    for (const auto& d : diags.Sorted()) std::cerr << d.Format() << '\n';
    if (!loaded) return kExitInputErrors;
    config = *loaded;
  }
  if (opts.print_platform) {
    std::cout << svsm_ref::PlatformConfigToJson(config) << '\n';
    return kExitOk;
  }
  std::string error;
  if (opts.wire) {
    // The conformance runner's subprocess transport: frames on stdin/stdout, logs on stderr.
    auto target = ReferenceTarget::Create(config, &error);
    if (!target) {
      std::cerr << "serve: " << error << '\n';
      return kExitInputErrors;
    }
    ::signal(SIGPIPE, SIG_IGN);  // a runner that goes away makes write() fail instead
    return svsm_conform::ServeWire(*target, STDIN_FILENO, STDOUT_FILENO) == 0 ? kExitOk : kExitInputErrors;
  }
  auto svsm = svsm_ref::ReferenceSvsm::Create(config, &error);
  if (!svsm) {
    std::cerr << "serve: " << error << '\n';
    return kExitInputErrors;
  }
  if (opts.print_public_key) {
    std::cout << svsm->firmware().PublicKeyPem();
    return kExitOk;
  }
  if (opts.script.empty()) {
    std::cerr << "serve: give --script FILE or --wire\n";
    return kExitUsage;
  }
  std::string text;
  if (opts.script == "-") {
    text.assign(std::istreambuf_iterator<char>(std::cin), {});
  } else {
    std::ifstream in(opts.script, std::ios::binary);
    if (!in) {
      std::cerr << "serve: cannot read " << opts.script << '\n';
      return kExitUsage;
    }
    text.assign(std::istreambuf_iterator<char>(in), {});
  }
  const nlohmann::json script = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (script.is_discarded()) {
    std::cerr << "serve: " << opts.script << ": not valid JSON\n";
    return kExitInputErrors;
  }
  const nlohmann::json results = svsm_ref::RunScript(*svsm, script, &error);
  for (const auto& r : results) std::cout << r.dump() << '\n';
  if (!error.empty()) {
    std::cerr << "serve: " << opts.script << ": " << error << '\n';
    return kExitInputErrors;
  }
  return kExitOk;
}

}  // namespace svsm_cli
