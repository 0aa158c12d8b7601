// One muniscope run inside a test, over real HTTP on loopback: the
// configuration read from YAML, a store in a temporary directory with the
// configuration entered, a connector registry, a libcurl transport and the
// engine, driven like `poll --once`. The hostile tests
// (tests/integration/hostile_*_test.cpp) each wrap one in a small struct that
// writes their configuration and names their accounts.
//
// Until the first engine is made, options() and transport_options() may be
// changed; the engine and the transport are made on first use. An engine
// lives until fresh_engine() replaces it (a new process over the same store,
// as the next `poll --once` would be).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "config/config.h"
#include "core/clock.h"
#include "engine/connector.h"
#include "engine/curl_transport.h"
#include "engine/engine.h"
#include "store/store.h"
#include "test_support.h"

namespace muni::test {

class EngineRun {
 public:
  // A failed load fails the test. `registry`: builtin_connectors() for the
  // real connectors. Clock and random are the system's (seed 11).
  EngineRun(const std::string& yaml, ConnectorRegistry registry);
  // The same with the test's own clock and random (a FakeClock), which must
  // outlive the run.
  EngineRun(const std::string& yaml, ConnectorRegistry registry, const Clock& clock,
            Random& random);
  ~EngineRun();
  EngineRun(const EngineRun&) = delete;
  EngineRun& operator=(const EngineRun&) = delete;

  // EngineOptions::from_config(config()); read by every engine made later.
  EngineOptions& options() { return options_; }
  // loopback_transport() with the configuration's max_response_bytes; read
  // when the transport is made (with the first engine).
  CurlTransportOptions& transport_options() { return transport_options_; }

  // The current engine, made and loaded on first use.
  Engine& engine();
  // A new engine over the same store and transport, loaded.
  Engine& fresh_engine();

  // Starts poll --once over `account_ids` (every account of the store when
  // empty) with the current engine and steps it (at most `step_ms` a step)
  // until it finished or `limit` passed; returns whether it finished.
  bool run_once(const std::vector<int64_t>& account_ids, std::chrono::milliseconds limit,
                int step_ms);
  // The same, failing the test when it does not finish within `limit`.
  void once(const std::vector<int64_t>& account_ids = {},
            std::chrono::milliseconds limit = std::chrono::seconds(60), int step_ms = 200);

  const Config& config() const { return config_; }
  Store& store() { return *store_; }
  TempDir& dir() { return dir_; }
  const Clock& clock() const { return clock_; }
  // The account by its key ("platform:handle"); fails the test when unknown.
  StoredAccount account(const std::string& key);
  // The first column of the first row of `sql` on the store.
  int64_t scalar(const std::string& sql);
  std::string text(const std::string& sql);

 private:
  TempDir dir_;
  SystemClock system_clock_;
  SystemRandom system_random_{11};
  const Clock& clock_;
  Random& random_;
  Config config_;
  std::unique_ptr<Store> store_;
  ConnectorRegistry registry_;
  EngineOptions options_;
  CurlTransportOptions transport_options_;
  std::unique_ptr<CurlTransport> transport_;
  std::unique_ptr<Engine> engine_;
};

}  // namespace muni::test
