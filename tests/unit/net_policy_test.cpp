// Where requests may go (src/engine/net_policy.h): redirects and private
// addresses. The engine's handling of a refused redirect is tested in
// engine_test.cpp, the transport's address check in
// integration/transport_test.cpp. Cases named "(finding N)" are regression
// tests for the findings listed in docs/reliability.md.
#include <doctest/doctest.h>

#include "engine/net_policy.h"

using namespace muni;

TEST_CASE("net policy: redirects stay on their host and never downgrade (finding 3)") {
  CHECK(resolve_redirect("https://a.example/x/y?q=1", "/z") == "https://a.example/z");
  CHECK(resolve_redirect("https://a.example/x/y?q=1", "w") == "https://a.example/x/w");
  CHECK(resolve_redirect("https://a.example/x/y", "?p=2") == "https://a.example/x/y?p=2");
  CHECK(resolve_redirect("https://a.example/x", "//b.example/z") == "https://b.example/z");
  CHECK_FALSE(resolve_redirect("https://a.example/x", "ftp://b.example/z").has_value());
  CHECK_FALSE(resolve_redirect("https://a.example/x", "").has_value());
  CHECK_FALSE(redirect_refusal("https://a.example/x", "https://a.example/y", {}).has_value());
  CHECK_FALSE(redirect_refusal("http://a.example/x", "https://a.example/x", {}).has_value());
  CHECK_FALSE(redirect_refusal("https://a.example/x", "https://www.a.example/x", {}).has_value());
  CHECK(redirect_refusal("https://a.example/x", "http://a.example/x", {})->find("downgrade") !=
        std::string::npos);
  CHECK(
      redirect_refusal("https://a.example/x", "https://evil.example/x", {})->find("another host") !=
      std::string::npos);
  CHECK(redirect_refusal("http://127.0.0.1:8080/x", "http://127.0.0.1:9090/x", {})
            ->find("another port") != std::string::npos);
  CHECK_FALSE(redirect_refusal("https://a.example/x", "https://feeds.example/x", {"feeds.example"})
                  .has_value());
}

TEST_CASE("net policy: loopback, private and link-local addresses are recognised (finding 3)") {
  for (const char* ip : {"127.0.0.1", "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1",
                         "169.254.169.254", "100.64.0.1", "0.0.0.0", "224.0.0.1", "::1", "::",
                         "fe80::1", "fd00::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1", "garbage"}) {
    CAPTURE(ip);
    CHECK(is_private_address(ip));
  }
  for (const char* ip :
       {"93.184.216.34", "172.32.0.1", "8.8.8.8", "2a01:4f8::1", "::ffff:8.8.8.8"}) {
    CAPTURE(ip);
    CHECK_FALSE(is_private_address(ip));
  }
}
