// One main for every muniscope test executable: doctest, with spdlog turned
// down so expected failures do not flood the test output (set
// MUNISCOPE_TEST_LOG=debug to see them).
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <cstdlib>
#include <string>

#include "daemon/logging.h"

int main(int argc, char** argv) {
  const char* level = std::getenv("MUNISCOPE_TEST_LOG");
  muni::setup_logging(level != nullptr ? level : "off");
  doctest::Context context(argc, argv);
  return context.run();
}
