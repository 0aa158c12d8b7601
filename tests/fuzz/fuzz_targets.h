// The fuzz targets: every parser of untrusted input, as functions over bytes.
// `make fuzz` links each into a libFuzzer binary (fuzz_main.cpp, clang);
// the unit suite replays the seed corpora and every input that once crashed
// (tests/fixtures/fuzz/<target>/) through the same functions, so a fixed
// crash stays fixed in every build. docs/reliability.md has the figures.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace muni::fuzz {

struct Target {
  std::string name;                // "mastodon", "rate_limit_headers", ...
  void (*run)(const uint8_t* data, size_t size);
  std::vector<std::string> seeds;  // fixture folders (under tests/fixtures) seeding the corpus
};

// Every target: the core ones (fuzz_targets.cpp) and those connectors register
// from their own tests/fuzz/<platform>_fuzz.cpp, sorted by name.
const std::vector<Target>& targets();
const Target* find_target(const std::string& name);

// A connector's fuzz target registers itself at static initialisation:
//   MUNISCOPE_REGISTER_FUZZ_TARGET(wordpress, run_wordpress, {"wordpress"});
// (the CMake globs compile every tests/fuzz/*_fuzz.cpp into the unit suite,
// which replays its corpus, and into its own `make fuzz` binary).
struct Registrar {
  explicit Registrar(Target target);
};
#define MUNISCOPE_REGISTER_FUZZ_TARGET(name, function, ...) \
  static const ::muni::fuzz::Registrar fuzz_registrar_##name{     \
      ::muni::fuzz::Target{#name, function, __VA_ARGS__}}

}  // namespace muni::fuzz
