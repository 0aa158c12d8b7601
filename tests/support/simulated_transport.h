// An HttpTransport in virtual time: each request is answered by a handler
// function after a simulated latency; poll() advances the FakeClock to the
// next completion instead of sleeping. Records what was sent and the peak
// number of requests in flight per host.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "engine/transport.h"
#include "test_support.h"

namespace muni::test {

class SimulatedTransport final : public HttpTransport {
 public:
  using Handler = std::function<HttpResponse(const HttpRequest&)>;
  SimulatedTransport(FakeClock& clock, Handler handler, DurationMs latency_ms = 50)
      : clock_(clock), handler_(std::move(handler)), latency_ms_(latency_ms) {}

  void start(uint64_t tag, const HttpRequest& request) override;
  void cancel(uint64_t tag) override;
  std::vector<Completion> poll(int timeout_ms) override;
  size_t in_flight() const override { return pending_.size(); }

  struct Sent {
    TimeMs at;    // wall clock when sent
    TimeMs tick;  // monotonic clock when sent
    HttpRequest request;
  };
  const std::vector<Sent>& sent() const { return sent_; }
  int peak_in_flight(const std::string& host) const;
  void set_latency(DurationMs ms) { latency_ms_ = ms; }

 private:
  struct Pending {
    uint64_t tag;
    TimeMs done_at;
    std::string host;
    HttpResponse response;
  };
  FakeClock& clock_;
  Handler handler_;
  DurationMs latency_ms_;
  std::vector<Pending> pending_;
  std::vector<Sent> sent_;
  std::map<std::string, int> in_flight_by_host_;
  std::map<std::string, int> peak_by_host_;
};

// Builds a JSON response.
HttpResponse json_response(int status, std::string body, std::vector<HttpHeader> headers = {});

}  // namespace muni::test
