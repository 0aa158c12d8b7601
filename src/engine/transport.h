// The engine's view of HTTP: start many requests, collect completions. One
// implementation drives libcurl's multi interface on the engine thread
// (CurlTransport); tests substitute scripted or simulated transports.
#pragma once

#include <cstdint>
#include <vector>

#include "engine/http.h"

namespace muni {

class HttpTransport {
 public:
  virtual ~HttpTransport() = default;

  // Starts `request`; its completion is reported by a later poll() under `tag`.
  virtual void start(uint64_t tag, const HttpRequest& request) = 0;
  // Aborts a request started earlier; it will not be reported.
  virtual void cancel(uint64_t tag) = 0;

  struct Completion {
    uint64_t tag = 0;
    HttpResponse response;
  };
  // Waits at most `timeout_ms` for activity (returns sooner when a wake-up fd
  // becomes readable) and returns the requests completed meanwhile.
  virtual std::vector<Completion> poll(int timeout_ms) = 0;
  virtual size_t in_flight() const = 0;
};

}  // namespace muni
