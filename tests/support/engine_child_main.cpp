// A process that runs the engine with the test connector against a toy
// platform server, for the crash-safety test: the parent kills it with
// SIGKILL at random instants and restarts it.
//
//   muniscope_engine_child DB BASE_URL ACCOUNTS forever|once
//
// "forever" polls every minute until killed; "once" runs every account to
// completion (backfill included) and exits 0.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "config/config.h"
#include "connectors/builtin.h"
#include "core/clock.h"
#include "daemon/logging.h"
#include "engine/curl_transport.h"
#include "engine/engine.h"
#include "store/store.h"
#include "test_connector.h"

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: %s DB BASE_URL ACCOUNTS forever|once\n", argv[0]);
    return 2;
  }
  muni::setup_logging("warn");
  muni::register_builtin_platforms();
  muni::test::register_toy_platforms();
  const std::string db = argv[1], base = argv[2], mode = argv[4];
  const int accounts = std::atoi(argv[3]);
  std::string yaml =
      "defaults: {contact: team@example.org, poll_interval: 1m, max_connections_per_host: 8}\n"
      "platforms:\n  toy:\n    base_url: " +
      base +
      "\n"
      "municipalities:\n  - id: m\n    name: M\n    ags: \"08231000\"\n    kind: Stadt\n    state: "
      "BW\n"
      "    accounts:\n";
  for (int i = 0; i < accounts; ++i)
    yaml += "      - {platform: toy, handle: user" + std::to_string(i) + "}\n";
  muni::ConfigLoad load = muni::load_config_from_string(yaml, "child.yaml");
  if (!load.config) return 2;
  auto store = muni::Store::open(db, muni::OpenMode::kReadWrite);
  if (!store.ok()) return 1;
  muni::SystemClock clock;
  if (!(*store)->sync_config(*load.config, clock.now()).ok()) return 1;
  muni::ConnectorRegistry registry;
  registry.add(muni::test::make_test_connector("toy"));
  muni::SystemRandom random;
  muni::CurlTransportOptions topts;
  topts.allow_private_addresses = true;  // the toy server is on loopback
  topts.total_timeout_ms = 5000;
  muni::CurlTransport transport(topts);
  muni::EngineOptions options = muni::EngineOptions::from_config(*load.config);
  options.backoff = muni::BackoffPolicy{100, 1000, 50};
  muni::Engine engine(clock, random, transport, **store, registry, options);
  if (!engine.load(*load.config).ok()) return 1;
  if (mode == "once") {
    auto rows = (*store)->load_accounts(true);
    std::vector<int64_t> ids;
    for (const auto& a : *rows) ids.push_back(a.id);
    engine.start_once(ids, true);
    while (!engine.once_finished()) engine.step(200);
    return 0;
  }
  std::puts("running");
  std::fflush(stdout);
  while (true) engine.step(200);
}
