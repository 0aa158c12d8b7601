#include "core/handles.h"

#include <cctype>

#include "core/strings.h"

namespace muni {

namespace {

bool valid_mastodon_username(std::string_view u) {
  if (u.empty() || u.size() > 64) return false;
  for (const char c : u) {
    // Mastodon usernames: letters, digits, underscore; other servers also
    // allow dots and dashes (Pleroma/Akkoma).
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-'))
      return false;
  }
  return true;
}

Error bad_handle(std::string_view platform, std::string_view raw, std::string_view why) {
  return make_error(ErrorCode::kInvalidArgument, std::string(platform) + " handle '" +
                                                     std::string(raw) +
                                                     "' is not valid: " + std::string(why));
}

// Press releases print profile addresses without the scheme
// ("nrw.social/deck/@stadtaachen"): a slash before any '@' means a URL.
bool is_schemeless_url(std::string_view text) {
  const size_t slash = text.find('/');
  if (text.find("://") != std::string_view::npos) return false;
  return slash != std::string_view::npos && slash > 0 && slash < text.find('@');
}

}  // namespace

Result<std::string> canonical_mastodon_handle(std::string_view raw) {
  std::string_view text = trim(raw);
  std::string with_scheme;
  if (is_schemeless_url(text)) {
    with_scheme = "https://" + std::string(text);
    text = with_scheme;
  }
  if (starts_with(text, "http://") || starts_with(text, "https://")) {
    auto url = parse_url(text);
    if (!url) return bad_handle("mastodon", raw, "not a valid profile URL");
    std::string_view path = url->path;
    // /deck/ is the route of Mastodon's advanced (multi-column) web interface;
    // the city of Aachen's press release of 12.02.2025 links its account so.
    if (starts_with(path, "/deck/")) path.remove_prefix(5);
    std::string user;
    if (starts_with(path, "/@")) {
      user = std::string(path.substr(2));
    } else if (starts_with(path, "/users/")) {
      user = std::string(path.substr(7));
    } else {
      return bad_handle("mastodon", raw, "a profile URL looks like https://instance/@user");
    }
    while (!user.empty() && user.back() == '/') user.pop_back();
    if (user.find('@') != std::string::npos) {
      // https://instance/@user@other.host is a view of a remote account; the
      // home instance is the one to query.
      return canonical_mastodon_handle(user);
    }
    if (!valid_mastodon_username(user)) return bad_handle("mastodon", raw, "invalid user name");
    user = to_lower_ascii(user);
    if (url->scheme == "https" && url->port == 0) return user + "@" + url->host;
    return url->origin() + "/@" + user;
  }
  std::string_view h = text;
  if (starts_with(h, "@")) h.remove_prefix(1);
  const size_t at = h.find('@');
  if (at == std::string_view::npos) {
    return bad_handle("mastodon", raw, "needs the instance, as @user@instance");
  }
  const std::string_view user = h.substr(0, at);
  const std::string_view host = h.substr(at + 1);
  if (!valid_mastodon_username(user)) return bad_handle("mastodon", raw, "invalid user name");
  auto normalized = normalize_host(host);
  if (!normalized || normalized->find('.') == std::string::npos) {
    return bad_handle("mastodon", raw, "invalid instance host name");
  }
  return to_lower_ascii(user) + "@" + *normalized;
}

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
    return bad_handle("bluesky", raw, "a profile URL looks like https://bsky.app/profile/<handle>");
  }
  if (slash != std::string_view::npos) text = text.substr(0, slash);
  if (starts_with(text, "@")) text.remove_prefix(1);
  if (starts_with(text, "did:")) {
    // did:plc:<24 base32 chars> or did:web:<host>
    if (starts_with(text, "did:plc:")) {
      const std::string_view id = text.substr(8);
      if (id.size() != 24)
        return bad_handle("bluesky", raw, "did:plc identifiers have 24 characters");
      for (const char c : id) {
        if (!((c >= 'a' && c <= 'z') || (c >= '2' && c <= '7'))) {
          return bad_handle("bluesky", raw, "did:plc identifiers use base32 (a-z, 2-7)");
        }
      }
      return std::string(text);
    }
    if (starts_with(text, "did:web:") && text.size() > 8) return std::string(text);
    return bad_handle("bluesky", raw, "only did:plc and did:web are used by Bluesky");
  }
  auto host = normalize_host(text);
  if (!host || host->find('.') == std::string::npos) {
    return bad_handle("bluesky", raw,
                      "a handle is a domain name such as stadt.bsky.social, or a DID");
  }
  return *host;
}

Result<std::string> canonical_handle(std::string_view platform, std::string_view raw) {
  if (platform == "mastodon") return canonical_mastodon_handle(raw);
  if (platform == "bluesky") return canonical_bluesky_handle(raw);
  const std::string_view text = trim(raw);
  if (text.empty()) return make_error(ErrorCode::kInvalidArgument, "empty handle");
  return std::string(text);
}

}  // namespace muni
