#include "simulated_transport.h"

#include <algorithm>

#include "core/strings.h"

namespace muni::test {

namespace {
std::string host_of(const std::string& url) {
  auto u = parse_url(url);
  return u ? u->host + (u->port ? ":" + std::to_string(u->port) : "") : url;
}
}  // namespace

HttpResponse json_response(int status, std::string body, std::vector<HttpHeader> headers) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  r.headers = std::move(headers);
  r.headers.push_back({"Content-Type", "application/json; charset=utf-8"});
  return r;
}

void SimulatedTransport::start(uint64_t tag, const HttpRequest& request) {
  const std::string host = host_of(request.url);
  sent_.push_back({clock_.now(), clock_.monotonic(), request});
  HttpResponse response = handler_(request);
  response.url = request.url;
  pending_.push_back({tag, clock_.monotonic() + latency_ms_, host, std::move(response)});
  peak_by_host_[host] = std::max(peak_by_host_[host], ++in_flight_by_host_[host]);
}

void SimulatedTransport::cancel(uint64_t tag) {
  const auto it = std::find_if(pending_.begin(), pending_.end(),
                               [&](const Pending& p) { return p.tag == tag; });
  if (it == pending_.end()) return;
  --in_flight_by_host_[it->host];
  pending_.erase(it);
}

std::vector<HttpTransport::Completion> SimulatedTransport::poll(int timeout_ms) {
  std::vector<Completion> done;
  // Latency is waited on monotonic time, as the real transport does.
  const TimeMs deadline = clock_.monotonic() + std::max(timeout_ms, 0);
  TimeMs first = deadline;
  for (const Pending& p : pending_) first = std::min(first, p.done_at);
  clock_.advance(std::max<TimeMs>(0, first - clock_.monotonic()));
  for (auto it = pending_.begin(); it != pending_.end();) {
    if (it->done_at <= clock_.monotonic()) {
      --in_flight_by_host_[it->host];
      done.push_back({it->tag, std::move(it->response)});
      it = pending_.erase(it);
    } else {
      ++it;
    }
  }
  return done;
}

int SimulatedTransport::peak_in_flight(const std::string& host) const {
  const auto it = peak_by_host_.find(host);
  return it == peak_by_host_.end() ? 0 : it->second;
}

}  // namespace muni::test
