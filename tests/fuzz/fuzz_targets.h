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

const std::vector<Target>& targets();
const Target* find_target(const std::string& name);

}  // namespace muni::fuzz
