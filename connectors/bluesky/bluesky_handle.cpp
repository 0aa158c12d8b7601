#include "connectors/bluesky/bluesky_handle.h"

#include "connectors/toolkit.h"
#include "core/strings.h"

namespace muni {

Result<std::string> canonical_bluesky_handle(std::string_view raw) {
  const std::string_view as_written = trim(raw);
  std::string_view text = as_written;
  // True when text now starts with the repo: after "at://" (an AT-URI) or
  // after a profile URL's "bsky.app/profile/" (also printed without scheme).
  bool profile = false;
  if (starts_with(text, "at://")) {
    text.remove_prefix(5);
    profile = true;
  } else {
    for (const std::string_view prefix : {"https://", "http://", "www."}) {
      if (starts_with(text, prefix)) text.remove_prefix(prefix.size());
    }
    constexpr std::string_view kProfilePath = "bsky.app/profile/";
    if (starts_with(text, kProfilePath)) {
      text.remove_prefix(kProfilePath.size());
      profile = true;
    }
  }
  const size_t slash = text.find('/');
  // Any other web address (a city's page announcing the account) is refused,
  // not guessed from.
  if (!profile && (text.size() != as_written.size() || slash != std::string_view::npos)) {
    return toolkit::handle_error("bluesky", raw, "a profile URL looks like https://bsky.app/profile/<handle>");
  }
  if (slash != std::string_view::npos) text = text.substr(0, slash);
  if (starts_with(text, "@")) text.remove_prefix(1);
  if (starts_with(text, "did:")) {
    // did:plc:<24 base32 chars> or did:web:<host>
    if (starts_with(text, "did:plc:")) {
      const std::string_view id = text.substr(8);
      if (id.size() != 24)
        return toolkit::handle_error("bluesky", raw, "did:plc identifiers have 24 characters");
      for (const char c : id) {
        if (!((c >= 'a' && c <= 'z') || (c >= '2' && c <= '7'))) {
          return toolkit::handle_error("bluesky", raw, "did:plc identifiers use base32 (a-z, 2-7)");
        }
      }
      return std::string(text);
    }
    if (starts_with(text, "did:web:") && text.size() > 8) return std::string(text);
    return toolkit::handle_error("bluesky", raw, "only did:plc and did:web are used by Bluesky");
  }
  auto host = normalize_host(text);
  if (!host || host->find('.') == std::string::npos) {
    return toolkit::handle_error("bluesky", raw,
                      "a handle is a domain name such as stadt.bsky.social, or a DID");
  }
  return *host;
}

}  // namespace muni
