#include "connectors/lemmy/lemmy_handle.h"

#include <cctype>

#include "connectors/toolkit.h"
#include "core/strings.h"

namespace muni {

namespace {

// Lemmy's actor names: letters, digits and '_' (is_valid_actor_name in
// LemmyNet/lemmy crates/utils/src/utils/validation.rs); the length limit is
// the instance's (actor_name_max_length, 20 by default), so only an
// absurd length is refused here.
bool valid_name(std::string_view n) {
  if (n.empty() || n.size() > 64) return false;
  for (const char c : n) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) return false;
  }
  return true;
}

Result<std::string> from_name(std::string_view raw, std::string_view name, std::string_view host,
                              bool community) {
  if (!valid_name(name))
    return toolkit::handle_error("lemmy", raw, "invalid community or user name");
  auto h = normalize_host(host);
  if (!h || h->find('.') == std::string::npos)
    return toolkit::handle_error("lemmy", raw, "invalid instance host name");
  return std::string(community ? "!" : "@") + to_lower_ascii(name) + "@" + *h;
}

Result<std::string> from_url(std::string_view raw, std::string_view text) {
  auto url = parse_url(text);
  if (!url) return toolkit::handle_error("lemmy", raw, "not a valid address");
  std::string_view path = url->path;
  if (const size_t q = path.find_first_of("?#"); q != std::string_view::npos)
    path = path.substr(0, q);
  bool community = true;
  std::string_view rest;
  if (starts_with(path, "/c/")) {
    rest = path.substr(3);
  } else if (starts_with(path, "/u/")) {
    rest = path.substr(3);
    community = false;
  }
  std::string name(rest.substr(0, rest.find('/')));
  if (name.empty()) {
    return toolkit::handle_error("lemmy", raw,
                                 "an address looks like https://instance/c/name (community) or "
                                 "https://instance/u/name (person)");
  }
  if (const size_t at = name.find('@'); at != std::string::npos) {
    // https://instance/c/name@home: a remote community; its home instance
    // holds the whole of it.
    return from_name(raw, name.substr(0, at), name.substr(at + 1), community);
  }
  if (!valid_name(name))
    return toolkit::handle_error("lemmy", raw, "invalid community or user name");
  if (url->scheme == "https" && url->port == 0)
    return std::string(community ? "!" : "@") + to_lower_ascii(name) + "@" + url->host;
  return url->origin() + (community ? "/c/" : "/u/") + to_lower_ascii(name);
}

}  // namespace

Result<std::string> canonical_lemmy_handle(std::string_view raw) {
  std::string_view text = trim(raw);
  std::string with_scheme;
  if (toolkit::is_schemeless_url(text)) {
    with_scheme = "https://" + std::string(text);
    text = with_scheme;
  }
  if (starts_with(text, "http://") || starts_with(text, "https://")) return from_url(raw, text);
  if (text.empty() || (text[0] != '!' && text[0] != '@')) {
    return toolkit::handle_error("lemmy", raw,
                                 "write a community as !name@instance and a person as "
                                 "@name@instance (or give its web address)");
  }
  const bool community = text[0] == '!';
  text.remove_prefix(1);
  const size_t at = text.find('@');
  if (at == std::string_view::npos)
    return toolkit::handle_error("lemmy", raw, "needs the instance, as !name@instance");
  return from_name(raw, text.substr(0, at), text.substr(at + 1), community);
}

namespace lemmy {

std::optional<Actor> actor_of(std::string_view handle) {
  Actor a;
  if (starts_with(handle, "http://") || starts_with(handle, "https://")) {
    auto url = parse_url(handle);
    if (!url) return std::nullopt;
    if (starts_with(url->path, "/c/")) {
      a.community = true;
    } else if (starts_with(url->path, "/u/")) {
      a.community = false;
    } else {
      return std::nullopt;
    }
    a.name = url->path.substr(3);
    a.base_url = url->origin();
    a.host = url->port == 0 ? url->host : url->host + ":" + std::to_string(url->port);
    if (a.name.empty() || !valid_name(a.name)) return std::nullopt;
    return a;
  }
  if (handle.size() < 4 || (handle[0] != '!' && handle[0] != '@')) return std::nullopt;
  a.community = handle[0] == '!';
  handle.remove_prefix(1);
  const size_t at = handle.find('@');
  if (at == std::string_view::npos || at == 0 || at + 1 >= handle.size()) return std::nullopt;
  a.name = std::string(handle.substr(0, at));
  a.host = std::string(handle.substr(at + 1));
  a.base_url = "https://" + a.host;
  if (!valid_name(a.name)) return std::nullopt;
  return a;
}

}  // namespace lemmy

}  // namespace muni
