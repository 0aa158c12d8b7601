// libFuzzer entry point for one target, chosen at build time
// (MUNISCOPE_FUZZ_TARGET); built only by `make fuzz` (clang, -fsanitize=fuzzer).
#include <cstdio>
#include <cstdlib>
#include <string>

#include "connectors/builtin.h"
#include "fuzz_targets.h"

namespace {

const muni::fuzz::Target& target() {
  static const muni::fuzz::Target* t = muni::fuzz::find_target(MUNISCOPE_FUZZ_TARGET);
  if (t == nullptr) {
    std::fprintf(stderr, "unknown fuzz target %s\n", MUNISCOPE_FUZZ_TARGET);
    std::abort();
  }
  return *t;
}

}  // namespace

// MUNISCOPE_FUZZ_PRINT_SEEDS=1: print the target's seed folders (relative
// to tests/fixtures) and exit, for run_fuzzers.sh to build the corpus.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  muni::register_builtin_platforms();
  if (const char* p = std::getenv("MUNISCOPE_FUZZ_PRINT_SEEDS"); p != nullptr && *p == '1') {
    for (const std::string& s : target().seeds) std::printf("%s\n", s.c_str());
    std::exit(0);
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  target().run(data, size);
  return 0;
}
