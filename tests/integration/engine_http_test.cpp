// The engine over real HTTP: the real engine, store and curl transport
// against a loopback server that throttles and cuts pages. The transport
// alone: transport_test.cpp; killed mid-ingest: crash_safety_test.cpp.
#include <doctest/doctest.h>

#include <chrono>

#include "config/config.h"
#include "core/clock.h"
#include "engine/curl_transport.h"
#include "engine/engine.h"
#include "loopback_server.h"
#include "store/store.h"
#include "test_connector.h"
#include "test_support.h"
#include "toy_world.h"

using namespace muni;
using namespace muni::test;

namespace {

Fault truncate() {
  Fault f;
  f.kind = Fault::Kind::kTruncate;
  return f;
}

Fault status(int code, std::vector<HttpHeader> headers, std::string body) {
  Fault f;
  f.status = code;
  f.headers = std::move(headers);
  f.body = std::move(body);
  return f;
}

}  // namespace

TEST_CASE("engine over HTTP: 429 with Retry-After and a truncated page, then recovery") {
  ToyWorld world;
  world.add_posts("anna", 30, 1700000000000);
  LoopbackServer server([&](const HttpRequest& r) { return world.handle(r); });
  server.inject(status(429, {{"Retry-After", "1"}}, "{\"error\":\"Too many requests\"}"));
  server.inject(truncate());
  TempDir dir;
  const std::string yaml =
      "defaults: {contact: t@example.org, allow_private_addresses: true}\nplatforms:\n  toy:\n    base_url: " + server.base_url() +
      "\nmunicipalities:\n  - {id: m, name: M, ags: \"08231000\", kind: Stadt, state: BW, "
      "accounts: [{platform: toy, handle: anna}]}\n";
  ConfigLoad load = load_config_from_string(yaml, "t.yaml");
  REQUIRE(load.config.has_value());
  auto store = Store::open(dir.file("s.db"), OpenMode::kReadWrite);
  REQUIRE((*store)->sync_config(*load.config, 0).ok());
  ConnectorRegistry registry;
  registry.add(make_test_connector("toy"));
  SystemClock clock;
  SystemRandom random(7);
  CurlTransport transport(loopback_transport());
  EngineOptions options = EngineOptions::from_config(*load.config);
  options.once_backoff = BackoffPolicy{200, 400, 100};
  Engine engine(clock, random, transport, **store, registry, options);
  REQUIRE(engine.load(*load.config).ok());
  const int64_t id = (*store)->find_account("toy:anna")->id;
  engine.start_once({id}, true);
  const auto start = std::chrono::steady_clock::now();
  while (!engine.once_finished() &&
         std::chrono::steady_clock::now() - start < std::chrono::seconds(20))
    engine.step(100);
  REQUIRE(engine.once_finished());
  CHECK(std::chrono::steady_clock::now() - start >=
        std::chrono::seconds(1));  // waited for Retry-After
  CHECK((*store)->db().execAndGet("SELECT COUNT(*) FROM posts").getInt() == 30);
  CHECK((*store)
            ->db()
            .execAndGet("SELECT COUNT(*) FROM poll_log WHERE outcome = 'transport_error'")
            .getInt() == 1);
  CHECK((*store)->find_account("toy:anna")->state_id() == "ok");
  CHECK(engine.counters().rate_limit_waits >= 1);
}
