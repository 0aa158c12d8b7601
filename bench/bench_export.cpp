// `muniscope export posts` at scale: a synthetic store of N posts (one
// transaction of plain inserts into muniscope's own schema), then the real
// binary exporting it as CSV and as NDJSON to /dev/null. Each export runs as
// its own process; rows/s and its peak RSS (wait4) show whether memory
// stays constant as the row count grows.
//
//   MUNISCOPE_BENCH_EXPORT_ROWS="1000000 5000000" (default) chooses the sizes.

#include <SQLiteCpp/SQLiteCpp.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "bench_process.h"
#include "cli/output.h"
#include "config/config.h"
#include "connectors/builtin.h"
#include "daemon/logging.h"
#include "store/store.h"

int main() {
  namespace fs = std::filesystem;
  muni::setup_logging("error");
  muni::register_builtin_platforms();
  std::vector<int64_t> sizes = {1000000, 5000000};
  if (const char* env = std::getenv("MUNISCOPE_BENCH_EXPORT_ROWS")) {
    sizes.clear();
    std::istringstream in(env);
    int64_t n;
    while (in >> n) sizes.push_back(n);
  }
  const fs::path dir = fs::temp_directory_path() / "muniscope-bench-export";
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string config_path = (dir / "muniscope.yaml").string();
  {
    std::ofstream c(config_path);
    c << "defaults:\n  contact: mailto:bench@example.org\n  allow_private_addresses: true\n"
      << "municipalities:\n  - {id: flensburg, name: \"Flensburg, Stadt\", ags: \"01001000\", "
         "kind: kreisfreie Stadt, state: SH, accounts: [{platform: mastodon, handle: "
         "\"@stadt@example.social\"}]}\n";
  }
  auto load = muni::load_config(config_path);
  if (!load.config) {
    std::fprintf(stderr, "bench config invalid\n");
    return 1;
  }
  muni::Table table({{"rows"}, {"format"}, {"seconds"}, {"rows/s"}, {"peak RSS"}});
  for (const int64_t n : sizes) {
    const std::string db = (dir / ("s" + std::to_string(n) + ".db")).string();
    {
      auto store = std::move(*muni::Store::open(db, muni::OpenMode::kReadWrite));
      (void)store->sync_config(*load.config, 1700000000000);
      SQLite::Transaction tx(store->db());
      SQLite::Statement ins(store->db(),
                            "INSERT INTO posts (account_id, platform_post_id, created_at, kind, "
                            "url, text, first_seen, last_seen, likes, replies, reposts) VALUES "
                            "(1, ?, ?, 'original', ?, ?, ?, ?, ?, ?, ?)");
      for (int64_t i = 0; i < n; ++i) {
        const int64_t t = 1600000000000 + i * 60000;
        ins.bind(1, std::to_string(110000000000000000 + i));
        ins.bind(2, t);
        ins.bind(3, "https://example.social/@stadt/" + std::to_string(i));
        ins.bind(
            4, "Bürgerinfo Nr. " + std::to_string(i) + ": Straßensperrung, \"Umleitung\" ab 7 Uhr");
        ins.bind(5, t);
        ins.bind(6, t);
        ins.bind(7, i % 50);
        ins.bind(8, i % 7);
        ins.bind(9, i % 11);
        ins.exec();
        ins.reset();
      }
      tx.commit();
    }
    for (const char* format : {"csv", "ndjson"}) {
      const muni::bench::Measured m =
          muni::bench::run_measured({MUNISCOPE_BINARY, "export", "posts", "--format", format, "-c",
                                     config_path, "--db", db, "-o", "/dev/null"});
      char secs[32], rate[32], rss[32];
      std::snprintf(secs, sizeof secs, "%.1f", m.seconds);
      std::snprintf(rate, sizeof rate, "%.0f", static_cast<double>(n) / m.seconds);
      std::snprintf(rss, sizeof rss, "%.1f MB%s", m.peak_mb, m.exit_code == 0 ? "" : " (failed)");
      table.add_row(
          {n, std::string(format), std::string(secs), std::string(rate), std::string(rss)});
    }
    fs::remove(db);
  }
  std::fputs(table.render_table().c_str(), stdout);
  fs::remove_all(dir);
  return 0;
}
