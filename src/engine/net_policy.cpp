#include "engine/net_policy.h"

#include <arpa/inet.h>

#include <array>
#include <cstdint>
#include <cstring>

#include "core/strings.h"

namespace muni {

bool is_redirect_status(int status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

std::optional<std::string> resolve_redirect(std::string_view from_url, std::string_view location) {
  return resolve_url(from_url, location);
}

namespace {

std::string strip_www(const std::string& host) {
  return starts_with(host, "www.") ? host.substr(4) : host;
}

}  // namespace

std::optional<std::string> redirect_refusal(std::string_view from, std::string_view to,
                                            const std::vector<std::string>& allowed_hosts) {
  const auto a = parse_url(from);
  const auto b = parse_url(to);
  if (!a || !b) return "the redirect target is not an http(s) URL";
  if (a->scheme == "https" && b->scheme == "http")
    return "it would downgrade https to http";
  for (const std::string& allowed : allowed_hosts) {
    const auto host = normalize_host(allowed);
    if (host && *host == b->host) return std::nullopt;
  }
  const int port_a = a->port != 0 ? a->port : (a->scheme == "https" ? 443 : 80);
  const int port_b = b->port != 0 ? b->port : (b->scheme == "https" ? 443 : 80);
  const bool same_host = a->host == b->host || strip_www(a->host) == strip_www(b->host);
  // An http -> https upgrade changes the default port; anything else must
  // stay on the same port of the same host.
  const bool same_port = port_a == port_b || (a->scheme == "http" && b->scheme == "https" &&
                                              a->port == 0 && b->port == 0);
  if (!same_host) return "it leads to another host (" + b->host + ")";
  if (!same_port) return "it leads to another port (" + std::to_string(port_b) + ")";
  return std::nullopt;
}

bool is_private_address(std::string_view ip_text) {
  const std::string ip(ip_text);
  in_addr v4{};
  if (inet_pton(AF_INET, ip.c_str(), &v4) == 1) {
    const uint32_t a = ntohl(v4.s_addr);
    const auto in = [&](uint32_t net, int bits) {
      const uint32_t mask = bits == 0 ? 0 : ~uint32_t{0} << (32 - bits);
      return (a & mask) == (net & mask);
    };
    return in(0x00000000, 8) ||    // 0.0.0.0/8 "this network"
           in(0x0A000000, 8) ||    // 10/8
           in(0x64400000, 10) ||   // 100.64/10 shared address space (CGNAT)
           in(0x7F000000, 8) ||    // 127/8 loopback
           in(0xA9FE0000, 16) ||   // 169.254/16 link-local (cloud metadata)
           in(0xAC100000, 12) ||   // 172.16/12
           in(0xC0000000, 24) ||   // 192.0.0/24 IETF protocol assignments
           in(0xC0A80000, 16) ||   // 192.168/16
           in(0xC6120000, 15) ||   // 198.18/15 benchmarking
           in(0xE0000000, 3);      // 224/4 multicast and 240/4 reserved, broadcast
  }
  in6_addr v6{};
  if (inet_pton(AF_INET6, ip.c_str(), &v6) == 1) {
    const unsigned char* b = v6.s6_addr;
    static constexpr std::array<unsigned char, 12> kMapped = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (std::memcmp(b, kMapped.data(), kMapped.size()) == 0) {
      char text[INET_ADDRSTRLEN];
      in_addr mapped{};
      std::memcpy(&mapped.s_addr, b + 12, 4);
      if (inet_ntop(AF_INET, &mapped, text, sizeof text) == nullptr) return true;
      return is_private_address(text);
    }
    bool zero_prefix = true;  // :: and ::1
    for (int i = 0; i < 15; ++i) zero_prefix = zero_prefix && b[i] == 0;
    if (zero_prefix) return true;
    if ((b[0] & 0xFE) == 0xFC) return true;                  // fc00::/7 unique local
    if (b[0] == 0xFE && (b[1] & 0xC0) == 0x80) return true;  // fe80::/10 link-local
    if (b[0] == 0xFF) return true;                           // ff00::/8 multicast
    return false;
  }
  return true;
}

}  // namespace muni
