// The README's tour runs as written: every command between <!-- tour --> and
// <!-- /tour -->, verbatim, from a directory laid out like the repository
// after `make run` (config/, build/muniscope, var/muniscope.db holding the
// example's accounts as the daemon's start leaves them). Nothing here
// reaches the network: the tour only reads the store.
#include <doctest/doctest.h>

#include <cstdio>
#include <fstream>
#include <filesystem>
#include <sstream>

#include "config/config.h"
#include "core/clock.h"
#include "store/store.h"
#include "test_support.h"

using namespace muni;
namespace fs = std::filesystem;

namespace {

struct Shell {
  int status = -1;
  std::string out;
};

Shell sh(const std::string& command) {
  Shell r;
  FILE* p = popen((command + " 2>&1").c_str(), "r");
  if (p == nullptr) return r;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  const int st = pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

std::vector<std::string> tour_commands() {
  std::ifstream in(test::source_dir() + "/README.md");
  std::vector<std::string> out;
  std::string line;
  bool inside = false;
  while (std::getline(in, line)) {
    if (line == "<!-- tour -->") inside = true;
    if (line == "<!-- /tour -->") inside = false;
    if (inside && line.rfind("./build/muniscope ", 0) == 0) out.push_back(line);
  }
  return out;
}

}  // namespace

TEST_CASE("readme: every command of the tour runs as written") {
  const auto commands = tour_commands();
  REQUIRE(commands.size() >= 8);
  test::TempDir dir;
  const fs::path root = dir.path();
  fs::create_directory_symlink(fs::path(test::source_dir()) / "config", root / "config");
  fs::create_directories(root / "build");
  fs::create_symlink(test::muniscope_binary(), root / "build" / "muniscope");
  fs::create_directories(root / "var");
  {
    // What the daemon's start leaves: the schema and the configured accounts.
    auto load = load_config((root / "config" / "example.yaml").string());
    REQUIRE(load.config.has_value());
    auto store = Store::open((root / "var" / "muniscope.db").string(), OpenMode::kReadWrite);
    REQUIRE(store.ok());
    REQUIRE((*store)->sync_config(*load.config, SystemClock().now()).ok());
  }
  for (const std::string& cmd : commands) {
    CAPTURE(cmd);
    const Shell r = sh("cd " + root.string() + " && " + cmd);
    INFO(r.out);
    CHECK(r.status == 0);
    CHECK(r.out.find("terminate") == std::string::npos);
  }
  CHECK(fs::exists(root / "var" / "survey-report.html"));
}
