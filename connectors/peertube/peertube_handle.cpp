#include "connectors/peertube/peertube_handle.h"

#include <cctype>

#include "connectors/toolkit.h"
#include "core/strings.h"

namespace muni {

namespace {

constexpr std::string_view kChannelPrefix = "channel:";
constexpr std::string_view kAccountPrefix = "account:";

// PeerTube actor names: letters, digits, '_', '.', '-' (user names are
// [a-z0-9._]; channel names also allow capitals and '-'). ':' is left out on
// purpose: it would make "channel:" ambiguous.
bool valid_name(std::string_view n) {
  if (n.empty() || n.size() > 64) return false;
  for (const char c : n) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-'))
      return false;
  }
  return true;
}

Result<std::string> from_url(std::string_view raw, std::string_view text) {
  auto url = parse_url(text);
  if (!url) return toolkit::handle_error("peertube", raw, "not a valid address");
  std::string_view path = url->path;
  if (const size_t q = path.find_first_of("?#"); q != std::string_view::npos)
    path = path.substr(0, q);
  bool channel = false;
  std::string_view rest;
  for (const auto& [prefix, is_channel] : {std::pair<std::string_view, bool>{"/a/", false},
                                           {"/accounts/", false},
                                           {"/c/", true},
                                           {"/video-channels/", true},
                                           {"/@", false}}) {
    if (starts_with(path, prefix)) {
      rest = path.substr(prefix.size());
      channel = is_channel;
      break;
    }
  }
  if (rest.empty()) {
    return toolkit::handle_error("peertube", raw,
                                 "an address looks like https://instance/a/name (account) or "
                                 "https://instance/c/name (channel)");
  }
  std::string name(rest.substr(0, rest.find('/')));
  if (name.find('@') != std::string::npos) {
    // https://instance/a/name@other.host is a view of a remote actor: its
    // home instance is the one to ask.
    return canonical_peertube_handle(std::string(channel ? kChannelPrefix : "") + name);
  }
  if (!valid_name(name)) return toolkit::handle_error("peertube", raw, "invalid actor name");
  if (url->scheme == "https" && url->port == 0)
    return std::string(channel ? kChannelPrefix : "") + name + "@" + url->host;
  return url->origin() + (channel ? "/c/" : "/a/") + name;
}

}  // namespace

Result<std::string> canonical_peertube_handle(std::string_view raw) {
  std::string_view text = trim(raw);
  bool channel = false;
  if (starts_with(text, kChannelPrefix)) {
    channel = true;
    text.remove_prefix(kChannelPrefix.size());
  } else if (starts_with(text, kAccountPrefix)) {
    text.remove_prefix(kAccountPrefix.size());
  }
  std::string with_scheme;
  if (toolkit::is_schemeless_url(text)) {
    with_scheme = "https://" + std::string(text);
    text = with_scheme;
  }
  if (starts_with(text, "http://") || starts_with(text, "https://")) {
    if (channel)
      return toolkit::handle_error("peertube", raw,
                                   "write a channel's address as https://instance/c/name");
    return from_url(raw, text);
  }
  std::string_view h = text;
  if (starts_with(h, "@")) h.remove_prefix(1);
  const size_t at = h.find('@');
  if (at == std::string_view::npos)
    return toolkit::handle_error("peertube", raw, "needs the instance, as name@instance");
  const std::string_view name = h.substr(0, at);
  if (!valid_name(name)) return toolkit::handle_error("peertube", raw, "invalid actor name");
  auto host = normalize_host(h.substr(at + 1));
  if (!host || host->find('.') == std::string::npos)
    return toolkit::handle_error("peertube", raw, "invalid instance host name");
  return std::string(channel ? kChannelPrefix : "") + std::string(name) + "@" + *host;
}

namespace peertube {

std::optional<Actor> actor_of(std::string_view handle) {
  Actor a;
  if (starts_with(handle, "http://") || starts_with(handle, "https://")) {
    auto url = parse_url(handle);
    if (!url) return std::nullopt;
    if (starts_with(url->path, "/c/")) {
      a.channel_only = true;
      a.name = url->path.substr(3);
    } else if (starts_with(url->path, "/a/")) {
      a.name = url->path.substr(3);
    } else {
      return std::nullopt;
    }
    a.base_url = url->origin();
    return a.name.empty() ? std::nullopt : std::optional<Actor>(a);
  }
  if (starts_with(handle, kChannelPrefix)) {
    a.channel_only = true;
    handle.remove_prefix(kChannelPrefix.size());
  }
  const size_t at = handle.find('@');
  if (at == std::string_view::npos || at == 0 || at + 1 >= handle.size()) return std::nullopt;
  a.name = std::string(handle.substr(0, at));
  a.base_url = "https://" + std::string(handle.substr(at + 1));
  return a;
}

}  // namespace peertube

}  // namespace muni
