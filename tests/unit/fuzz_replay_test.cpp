// Replays every fuzz target's seed corpus and every input that once crashed
// a parser (tests/fixtures/fuzz/<target>/) through the fuzz targets, in every
// build: a crash fixed once stays fixed. The targets abort on a broken
// invariant (invalid UTF-8 stored, a control character shown, an absurd
// count kept, a host held for more than a day), which fails this test.
#include <doctest/doctest.h>

#include <filesystem>

#include "../fuzz/fuzz_targets.h"
#include "test_support.h"

using namespace muni;

namespace {

void replay(const fuzz::Target& t, const std::filesystem::path& folder, int& inputs) {
  if (!std::filesystem::is_directory(folder)) return;
  for (const auto& entry : std::filesystem::directory_iterator(folder)) {
    if (!entry.is_regular_file()) continue;
    const std::string data = test::read_file(entry.path().string());
    t.run(reinterpret_cast<const uint8_t*>(data.data()), data.size());
    ++inputs;
  }
}

}  // namespace

TEST_CASE("fuzz targets: seed corpora and every former crash replay without a finding") {
  const std::filesystem::path fixtures = std::filesystem::path(test::source_dir()) / "tests/fixtures";
  for (const fuzz::Target& t : fuzz::targets()) {
    CAPTURE(t.name);
    int inputs = 0;
    for (const std::string& seed : t.seeds) replay(t, fixtures / seed, inputs);
    replay(t, fixtures / "fuzz" / t.name, inputs);
    // Hostile inputs every target gets as well.
    for (const std::string& hostile :
         {std::string(), std::string(100000, '['), std::string("\xff\xfe\x00\x1b[2J", 6),
          std::string("{\"a\":\"\\ud800\"}"), std::string("Retry-After: 99999999999999999999"),
          std::string(5000, '&')}) {
      t.run(reinterpret_cast<const uint8_t*>(hostile.data()), hostile.size());
      ++inputs;
    }
    CHECK(inputs > 6);
  }
}
