// A real HTTP server on 127.0.0.1 for integration tests (cpp-httplib, a
// thread pool so many requests can be served at once). Answers come from a
// handler over muniscope's own HttpRequest/HttpResponse types; faults can be
// injected for the next requests: added latency, a stall longer than the
// client's timeout, a truncated body, a burst of 5xx, a 429 with headers.
#pragma once

#include <atomic>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "engine/curl_transport.h"
#include "engine/http.h"

namespace muni::test {

// Transport options for talking to loopback servers: muniscope refuses
// loopback and private addresses unless told otherwise, and tests say so.
inline CurlTransportOptions loopback_transport() {
  CurlTransportOptions o;
  o.allow_private_addresses = true;
  return o;
}

struct Fault {
  enum class Kind { kStatus, kStall, kTruncate } kind = Kind::kStatus;
  int status = 503;
  std::vector<HttpHeader> headers;
  std::string body;
  int stall_ms = 0;
};

class LoopbackServer {
 public:
  using Handler = std::function<HttpResponse(const HttpRequest&)>;
  explicit LoopbackServer(Handler handler, size_t threads = 32,
                          const std::string& host = "127.0.0.1");
  ~LoopbackServer();
  LoopbackServer(const LoopbackServer&) = delete;
  LoopbackServer& operator=(const LoopbackServer&) = delete;

  int port() const { return port_; }
  std::string base_url() const;  // http://127.0.0.1:PORT
  void set_latency_ms(int ms) { latency_ms_ = ms; }
  // The next requests get these faults, one each, in order.
  void inject(Fault fault);
  // Decides per request whether it gets a fault (consulted before the queue
  // above); for faults that must hit one account only.
  using FaultSelector = std::function<std::optional<Fault>(const HttpRequest&)>;
  void set_fault_selector(FaultSelector selector);
  int64_t requests() const { return requests_.load(); }
  int peak_concurrency() const { return peak_.load(); }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::thread thread_;
  std::string host_;
  int port_ = 0;
  std::atomic<int> latency_ms_{0};
  std::atomic<int64_t> requests_{0};
  std::atomic<int> active_{0};
  std::atomic<int> peak_{0};
  std::mutex mu_;
  std::deque<Fault> faults_;  // guarded by mu_
  FaultSelector selector_;    // guarded by mu_
};

}  // namespace muni::test
