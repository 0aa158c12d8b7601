#include "engine_run.h"

#include <doctest/doctest.h>

#include "loopback_server.h"

namespace muni::test {

EngineRun::EngineRun(const std::string& yaml, ConnectorRegistry registry)
    : EngineRun(yaml, std::move(registry), system_clock_, system_random_) {}

EngineRun::EngineRun(const std::string& yaml, ConnectorRegistry registry, const Clock& clock,
                     Random& random)
    : clock_(clock), random_(random), registry_(std::move(registry)) {
  ConfigLoad load = load_config_from_string(yaml, "engine_run.yaml");
  for (const auto& e : load.errors) FAIL(e.format());
  REQUIRE(load.config.has_value());
  config_ = *load.config;
  auto store = Store::open(dir_.file("s.db"), OpenMode::kReadWrite);
  REQUIRE(store.ok());
  store_ = std::move(*store);
  REQUIRE(store_->sync_config(config_, clock_.now()).ok());
  options_ = EngineOptions::from_config(config_);
  transport_options_ = loopback_transport();
  transport_options_.max_response_bytes = config_.defaults.max_response_bytes;
}

// The engine goes before the transport and the store it uses.
EngineRun::~EngineRun() {
  engine_.reset();
  transport_.reset();
}

Engine& EngineRun::engine() {
  if (!engine_) return fresh_engine();
  return *engine_;
}

Engine& EngineRun::fresh_engine() {
  engine_.reset();
  if (!transport_) transport_ = std::make_unique<CurlTransport>(transport_options_);
  engine_ = std::make_unique<Engine>(clock_, random_, *transport_, *store_, registry_, options_);
  REQUIRE(engine_->load(config_).ok());
  return *engine_;
}

bool EngineRun::run_once(const std::vector<int64_t>& account_ids, std::chrono::milliseconds limit,
                         int step_ms) {
  std::vector<int64_t> ids = account_ids;
  if (ids.empty()) {
    auto accounts = store_->load_accounts(true);
    REQUIRE(accounts.ok());
    for (const auto& a : *accounts) ids.push_back(a.id);
  }
  Engine& e = engine();
  e.start_once(ids, true);
  const auto start = std::chrono::steady_clock::now();
  while (!e.once_finished() && std::chrono::steady_clock::now() - start < limit) e.step(step_ms);
  return e.once_finished();
}

void EngineRun::once(const std::vector<int64_t>& account_ids, std::chrono::milliseconds limit,
                     int step_ms) {
  REQUIRE_MESSAGE(run_once(account_ids, limit, step_ms), "the run did not finish");
}

StoredAccount EngineRun::account(const std::string& key) {
  auto a = store_->find_account(key);
  REQUIRE_MESSAGE(a.ok(), "no account " << key);
  return *a;
}

int64_t EngineRun::scalar(const std::string& sql) {
  return store_->db().execAndGet(sql).getInt64();
}

std::string EngineRun::text(const std::string& sql) {
  return store_->db().execAndGet(sql).getString();
}

}  // namespace muni::test
