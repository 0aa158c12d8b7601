// HttpTransport over libcurl's multi interface: many transfers on one thread,
// connection reuse through the multi handle's connection cache, HTTP/2
// multiplexing where the server offers it, gzip/deflate/brotli (whatever this
// libcurl decodes), connect and total timeouts, a cap on the response size
// (counted after decompression, so a gzip bomb stops at the cap), http and
// https only. Redirects are not followed here: they come back to the engine,
// which applies engine/net_policy.h. Connections to loopback and private
// addresses are refused after DNS unless allow_private_addresses is set.
//
// Not thread-safe: use from the engine thread only.
#pragma once

#include <curl/curl.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "config/config.h"
#include "engine/transport.h"

namespace muni {

struct CurlTransportOptions {
  std::string user_agent = "muniscope";
  long connect_timeout_ms = 10000;
  long total_timeout_ms = 60000;
  int64_t max_response_bytes = 16 * 1024 * 1024;
  bool allow_private_addresses = false;
  long max_connections_per_host = 16;  // curl-level safety net; the engine caps per host itself
  long connection_cache_size = 256;
};

// The transport settings a configuration asks for (User-Agent with contact,
// timeouts, size cap, private addresses): shared by run, poll and discover.
CurlTransportOptions transport_options(const Config& c);

class CurlTransport final : public HttpTransport {
 public:
  explicit CurlTransport(CurlTransportOptions options);
  ~CurlTransport() override;
  CurlTransport(const CurlTransport&) = delete;
  CurlTransport& operator=(const CurlTransport&) = delete;

  void start(uint64_t tag, const HttpRequest& request) override;
  void cancel(uint64_t tag) override;
  std::vector<Completion> poll(int timeout_ms) override;
  size_t in_flight() const override { return transfers_.size(); }

  // poll() returns early when this fd becomes readable (e.g. a signalfd).
  void add_wakeup_fd(int fd) { wakeup_fds_.push_back(fd); }
  // Changes the User-Agent for requests started from now on (config reload).
  void set_user_agent(std::string ua) { options_.user_agent = std::move(ua); }

  struct Transfer;

 private:
  std::vector<Completion> collect();

  CurlTransportOptions options_;
  CURLM* multi_ = nullptr;
  std::map<uint64_t, std::unique_ptr<Transfer>> transfers_;
  std::vector<CURL*> idle_handles_;  // reused easy handles
  std::vector<int> wakeup_fds_;
};

}  // namespace muni
