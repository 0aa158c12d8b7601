#include "connectors/mastodon/mastodon_handle.h"

#include <cctype>

#include "connectors/toolkit.h"
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

}  // namespace

Result<std::string> canonical_mastodon_handle(std::string_view raw) {
  std::string_view text = trim(raw);
  std::string with_scheme;
  if (toolkit::is_schemeless_url(text)) {
    with_scheme = "https://" + std::string(text);
    text = with_scheme;
  }
  if (starts_with(text, "http://") || starts_with(text, "https://")) {
    auto url = parse_url(text);
    if (!url) return toolkit::handle_error("mastodon", raw, "not a valid profile URL");
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
      return toolkit::handle_error("mastodon", raw, "a profile URL looks like https://instance/@user");
    }
    while (!user.empty() && user.back() == '/') user.pop_back();
    if (user.find('@') != std::string::npos) {
      // https://instance/@user@other.host is a view of a remote account; the
      // home instance is the one to query.
      return canonical_mastodon_handle(user);
    }
    if (!valid_mastodon_username(user)) return toolkit::handle_error("mastodon", raw, "invalid user name");
    user = to_lower_ascii(user);
    if (url->scheme == "https" && url->port == 0) return user + "@" + url->host;
    return url->origin() + "/@" + user;
  }
  std::string_view h = text;
  if (starts_with(h, "@")) h.remove_prefix(1);
  const size_t at = h.find('@');
  if (at == std::string_view::npos) {
    return toolkit::handle_error("mastodon", raw, "needs the instance, as @user@instance");
  }
  const std::string_view user = h.substr(0, at);
  const std::string_view host = h.substr(at + 1);
  if (!valid_mastodon_username(user)) return toolkit::handle_error("mastodon", raw, "invalid user name");
  auto normalized = normalize_host(host);
  if (!normalized || normalized->find('.') == std::string::npos) {
    return toolkit::handle_error("mastodon", raw, "invalid instance host name");
  }
  return to_lower_ascii(user) + "@" + *normalized;
}

}  // namespace muni
