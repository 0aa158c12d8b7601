// Where muniscope's requests may go. A server's answer must never send
// muniscope somewhere else: a redirect to another host would store that
// host's data as the account's (and is a blind SSRF), an https -> http
// redirect would downgrade it, and a name that resolves to a loopback or
// private address reaches into the machine's own network.
//
//   redirects  followed by the engine itself, at most kMaxRedirects, only to
//              the same host (or its "www." twin), upgrading http -> https
//              but never downgrading, or to a host the configuration lists
//              in platforms.<id>.redirect_hosts
//   addresses  loopback, private (RFC 1918, RFC 4193), link-local, shared
//              (RFC 6598), multicast and unspecified addresses are refused at
//              connect time, after DNS, unless defaults.allow_private_addresses
//              says otherwise (tests on loopback set it explicitly)
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace muni {

constexpr int kMaxRedirects = 5;

// 301, 302, 303, 307, 308.
bool is_redirect_status(int status);

// The absolute URL a Location header points to, resolved against the URL of
// the request it answered (absolute, scheme-relative, absolute-path and
// relative references); nullopt when it is not an http(s) URL.
std::optional<std::string> resolve_redirect(std::string_view from_url, std::string_view location);

// Why following a redirect from `from` to `to` is refused, or nullopt when it
// may be followed. `allowed_hosts` are extra hosts the configuration allows.
std::optional<std::string> redirect_refusal(std::string_view from, std::string_view to,
                                            const std::vector<std::string>& allowed_hosts);

// True for an IPv4 or IPv6 address (text form) that is not a public unicast
// address. Unparseable text counts as private (refused).
bool is_private_address(std::string_view ip);

}  // namespace muni
