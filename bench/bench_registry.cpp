// The registry at national scale: `muniscope import gv` over the whole
// official directory (11,045 entries), then loading the national
// configuration that includes the 16 files it wrote (`check-config`, which
// parses and validates exactly what `run` loads). Each runs as its own
// process, so the wall time and peak RSS are the command's own (wait4).
//
// Needs ../shared/data/destatis-gv100ad/ (the real file); prints a note and
// exits 0 without it.

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "bench_process.h"
#include "cli/output.h"

int main() {
  namespace fs = std::filesystem;
  const fs::path gv = fs::path(MUNISCOPE_SOURCE_DIR) / ".." / "shared" / "data" /
                      "destatis-gv100ad" / "GV100AD_30112025.txt";
  if (!fs::exists(gv)) {
    std::printf("registry bench: %s not found; skipped\n", gv.string().c_str());
    return 0;
  }
  const fs::path dir = fs::temp_directory_path() / "muniscope-bench-registry";
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string binary = MUNISCOPE_BINARY;

  muni::Table table({{"benchmark"}, {"measure"}, {"result"}});
  char buf[128];
  const muni::bench::Measured import = muni::bench::run_measured(
      {binary, "import", "gv", gv.string(), "-o", (dir / "registry").string()});
  std::snprintf(buf, sizeof buf, "%.2f s, peak RSS %.1f MB (exit %d)", import.seconds,
                import.peak_mb, import.exit_code);
  table.add_row(
      {std::string("import gv"), std::string("11,045 entries into 16 files"), std::string(buf)});
  // A merge into existing files (the yearly update): every entry matched.
  const muni::bench::Measured merge = muni::bench::run_measured(
      {binary, "import", "gv", gv.string(), "-o", (dir / "registry").string()});
  std::snprintf(buf, sizeof buf, "%.2f s, peak RSS %.1f MB (exit %d)", merge.seconds, merge.peak_mb,
                merge.exit_code);
  table.add_row(
      {std::string("import gv"), std::string("merge into the same 16 files"), std::string(buf)});

  {
    std::ofstream config(dir / "muniscope.yaml");
    config << "defaults:\n  contact: mailto:bench@example.org\n"
           << "store:\n  path: " << (dir / "store.db").string() << "\n"
           << "include: registry/*.yaml\n";
  }
  const muni::bench::Measured load =
      muni::bench::run_measured({binary, "check-config", (dir / "muniscope.yaml").string()});
  std::snprintf(buf, sizeof buf, "%.2f s, peak RSS %.1f MB (exit %d)", load.seconds, load.peak_mb,
                load.exit_code);
  table.add_row({std::string("national config"), std::string("check-config over the 16 files"),
                 std::string(buf)});
  std::fputs(table.render_table().c_str(), stdout);
  fs::remove_all(dir);
  return import.exit_code == 0 && merge.exit_code == 0 && load.exit_code == 0 ? 0 : 1;
}
