// HTTP requests and responses as plain values. Connectors build HttpRequests
// and read HttpResponses; only the transport (curl_transport.cpp) performs IO.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace muni {

struct HttpHeader {
  std::string name;
  std::string value;
};

// Whether (and how) the engine attaches the account's credential to a
// request. Connectors say so; they never see the secret.
struct CredentialUse {
  enum class Kind {
    kNone,            // no credential
    kPlatform,        // as the platform's descriptor says (AuthStyle)
    kBearerHeader,    // Authorization: Bearer <secret>
    kQueryParameter,  // ?<parameter>=<secret>
  } kind = Kind::kNone;
  std::string parameter;  // query parameter name for kQueryParameter ("key")
};

struct HttpRequest {
  std::string method = "GET";
  std::string url;
  std::vector<HttpHeader> headers;
  CredentialUse credential;
  // Conditional GET: the engine adds If-None-Match / If-Modified-Since from
  // the validators it saved for this URL and passes a 304 to the connector.
  bool conditional = false;
  // An optional request (a verification the connector can do without): every
  // answer goes to the connector, transport errors (status 0), 5xx and 429
  // included, instead of failing or holding the unit of work.
  bool optional = false;
  // Units this request costs against the platform's quota budget (YouTube
  // Data API: 1 for list calls, 100 for search.list). Every request also
  // counts once against its host's rate limit.
  int cost = 1;
};

struct HttpResponse {
  int status = 0;  // 0: no HTTP response at all (see transport_error)
  std::vector<HttpHeader> headers;
  std::string body;
  std::string transport_error;  // connection refused, timeout, body too large, ...
  bool refused = false;         // muniscope refused the address (net_policy.h)
  std::string url;              // the URL answered (never with a credential in it)
  double seconds = 0;           // total time of the exchange

  // First header with this name, compared case-insensitively.
  std::optional<std::string> header(std::string_view name) const;
  bool ok() const { return status >= 200 && status < 300; }
};

// RFC 8288 Link header: rel -> URL, e.g. Mastodon's
// <https://host/api/v1/...&max_id=1>; rel="next", <...&min_id=9>; rel="prev".
std::vector<std::pair<std::string, std::string>> parse_link_header(std::string_view value);
std::optional<std::string> link_rel(std::string_view value, std::string_view rel);

}  // namespace muni
