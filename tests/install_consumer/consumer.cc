// Uses both installed interfaces: the C header's constants and the C++ loader.
#include <svsm_spec.h>

#include <cstdio>

#include "svsm_spec/loader.h"

int main(int argc, char** argv) {
  if (SVSM_CORE_CALL(SVSM_CORE_PVALIDATE) != 1 || SVSM_ERR_INVALID_PARAMETER != 0x80000005u) {
    std::puts("C header constants wrong");
    return 1;
  }
  if (argc != 2) return 2;
  const auto result = svsm_spec::LoadSpecFiles({argv[1]});
  if (!result.spec) {
    std::puts("installed loader refused the spec");
    return 1;
  }
  std::printf("consumer OK: %zu protocols\n", result.spec->protocols.size());
  return 0;
}
