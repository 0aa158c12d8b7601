// The curl transport (src/engine/curl_transport.h) over real HTTP on
// loopback: compression, redirects handed back to the engine, the size cap,
// timeouts, truncated bodies, and many transfers in flight on one thread.
// The engine above it: engine_http_test.cpp.
#include <doctest/doctest.h>

#include <chrono>

#include "core/json.h"
#include "engine/curl_transport.h"
#include "loopback_server.h"
#include "simulated_transport.h"
#include "test_support.h"

using namespace muni;
using namespace muni::test;

namespace {

// Runs transport.poll until `n` completions arrived (or 10 s passed).
std::vector<HttpTransport::Completion> wait_for(CurlTransport& t, size_t n) {
  std::vector<HttpTransport::Completion> out;
  const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (out.size() < n && std::chrono::steady_clock::now() < end) {
    for (auto& c : t.poll(100)) out.push_back(std::move(c));
  }
  return out;
}

Fault stall(int ms) {
  Fault f;
  f.kind = Fault::Kind::kStall;
  f.stall_ms = ms;
  return f;
}

Fault truncate() {
  Fault f;
  f.kind = Fault::Kind::kTruncate;
  return f;
}

HttpRequest get(const std::string& url) {
  HttpRequest r;
  r.url = url;
  return r;
}

}  // namespace

TEST_CASE("curl transport: JSON over gzip, redirects handed back, size cap, timeout, truncation") {
  LoopbackServer server([](const HttpRequest& r) {
    HttpResponse out;
    if (r.url.find("/hop/") != std::string::npos) {
      const int n = std::stoi(r.url.substr(r.url.find("/hop/") + 5));
      out.status = 302;
      out.headers.push_back({"Location", n > 0 ? "/hop/" + std::to_string(n - 1) : "/data"});
      return out;
    }
    if (r.url.find("/big") != std::string::npos) {
      out.status = 200;
      out.body = std::string(300000, 'x');
      return out;
    }
    out.status = 200;
    out.body = "{\"items\":[" + std::string(2000, ' ') + "1,2,3]}";
    out.headers.push_back({"X-Echo-UA", ""});
    for (const auto& h : r.headers) {
      if (h.name == "User-Agent") out.headers.back().value = h.value;
    }
    return out;
  });
  CurlTransportOptions opts = loopback_transport();
  opts.user_agent = "muniscope-test (+mailto:test@example.org)";
  opts.max_response_bytes = 100000;
  opts.total_timeout_ms = 700;
  CurlTransport t(opts);
  const std::string base = server.base_url();

  t.start(1, get(base + "/data"));
  auto done = wait_for(t, 1);
  REQUIRE(done.size() == 1);
  const HttpResponse& ok = done[0].response;
  CHECK(ok.status == 200);
  // Sent compressed (cpp-httplib picks br or gzip from curl's offer), decoded for us.
  REQUIRE(ok.header("content-encoding").has_value());
  CHECK((*ok.header("content-encoding") == "br" || *ok.header("content-encoding") == "gzip"));
  CHECK(parse_json(ok.body).ok());
  CHECK(ok.header("X-Echo-UA") == "muniscope-test (+mailto:test@example.org)");

  // Redirects come back as they are; the engine decides (net_policy.h).
  t.start(2, get(base + "/hop/4"));
  t.start(4, get(base + "/big"));
  done = wait_for(t, 2);
  REQUIRE(done.size() == 2);
  for (const auto& c : done) {
    if (c.tag == 2) {
      CHECK(c.response.status == 302);
      CHECK(c.response.header("Location").has_value());
    } else {
      CHECK(c.response.status == 0);
      CHECK(c.response.transport_error.find("larger than 100000 bytes") != std::string::npos);
      CHECK(c.response.body.empty());
    }
  }

  server.inject(stall(1500));
  t.start(5, get(base + "/data"));
  done = wait_for(t, 1);
  REQUIRE(done.size() == 1);
  CHECK(done[0].response.status == 0);
  CHECK(done[0].response.transport_error.find("Timeout") != std::string::npos);

  server.inject(truncate());
  t.start(6, get(base + "/data"));
  done = wait_for(t, 1);
  REQUIRE(done.size() == 1);
  CHECK(done[0].response.status == 0);  // a half body is never handed on as a page
  CHECK(done[0].response.body.empty());
}

TEST_CASE("curl transport: many transfers in flight on one thread") {
  LoopbackServer server([](const HttpRequest&) { return json_response(200, "{}"); }, 64);
  server.set_latency_ms(200);
  CurlTransport t(loopback_transport());
  for (uint64_t i = 1; i <= 40; ++i) t.start(i, get(server.base_url() + "/x?" + std::to_string(i)));
  CHECK(t.in_flight() == 40);
  const auto done = wait_for(t, 40);
  CHECK(done.size() == 40);
  // Concurrent, not one after another: while the server sleeps 200 ms in one
  // answer, others are being served. (How fast is bench/'s business.)
  CHECK(server.peak_concurrency() >= 4);
}
