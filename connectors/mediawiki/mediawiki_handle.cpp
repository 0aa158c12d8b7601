#include "connectors/mediawiki/mediawiki_handle.h"

#include "connectors/toolkit.h"
#include "core/strings.h"

namespace muni {

namespace {

Result<std::string> canonical_site(std::string_view raw, std::string_view text) {
  if (!starts_with(text, "https://") && !starts_with(text, "http://"))
    return toolkit::handle_error("mediawiki", raw,
                                 "a wiki is written as the URL of its script path, with http(s):// "
                                 "(https://wiki.example-stadt.de/w/), a user as "
                                 "Name@https://wiki.example-stadt.de/w/");
  const auto url = parse_url(text);
  if (!url) return toolkit::handle_error("mediawiki", raw, "the wiki's address is unreadable");
  std::string path = url->path.substr(0, url->path.find_first_of("?#"));
  if (ends_with(path, "/api.php"))
    path.resize(path.size() - 7);
  else if (ends_with(path, "/index.php"))
    path.resize(path.size() - 9);
  if (path.empty() || path.back() != '/') path += '/';
  if (path.find("//") != std::string::npos)
    return toolkit::handle_error("mediawiki", raw, "the wiki's path has an empty segment");
  return url->origin() + path;
}

// A user name as MediaWiki stores it: spaces for underscores, no doubled or
// surrounding spaces, the first letter upper case (ASCII only: other first
// letters are kept as written).
std::string normalize_user(std::string_view name) {
  std::string out;
  for (char c : name) {
    if (c == '_') c = ' ';
    if (c == ' ' && (out.empty() || out.back() == ' ')) continue;
    out += c;
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  if (!out.empty() && out[0] >= 'a' && out[0] <= 'z') out[0] = static_cast<char>(out[0] - 32);
  return out;
}

}  // namespace

Result<std::string> canonical_mediawiki_handle(std::string_view raw) {
  const std::string_view text = trim(raw);
  if (text.empty()) return toolkit::handle_error("mediawiki", raw, "the handle is empty");
  const size_t scheme = text.find("://");
  const size_t at = text.find('@');
  if (at == std::string_view::npos || (scheme != std::string_view::npos && scheme < at))
    return canonical_site(raw, text);
  std::string_view name = trim(text.substr(0, at));
  for (const std::string_view prefix :
       {"User:", "user:", "Benutzer:", "benutzer:", "Benutzerin:", "benutzerin:"}) {
    if (starts_with(name, prefix)) {
      name.remove_prefix(prefix.size());
      break;
    }
  }
  const std::string user = normalize_user(name);
  if (user.empty()) return toolkit::handle_error("mediawiki", raw, "the user name is empty");
  for (const char c : user) {
    if (c == ':' || c == '>' || c == '#' || c == '/' || c == '|' || c == '[' || c == ']' ||
        c == '{' || c == '}' || c == '<' || static_cast<unsigned char>(c) < 0x20)
      return toolkit::handle_error("mediawiki", raw,
                                   "a MediaWiki user name cannot contain : > # / | [ ] { } <");
  }
  auto site = canonical_site(raw, trim(text.substr(at + 1)));
  if (!site.ok()) return site;
  return user + "@" + *site;
}

namespace mediawiki {

std::optional<Target> target_of(std::string_view canonical) {
  auto c = canonical_mediawiki_handle(canonical);
  if (!c.ok()) return std::nullopt;
  const std::string& h = *c;
  const size_t scheme = h.find("://");
  const size_t at = h.find('@');
  Target t;
  if (at != std::string::npos && (scheme == std::string::npos || at < scheme)) {
    t.user = h.substr(0, at);
    t.script_url = h.substr(at + 1);
  } else {
    t.script_url = h;
  }
  return t;
}

}  // namespace mediawiki
}  // namespace muni
