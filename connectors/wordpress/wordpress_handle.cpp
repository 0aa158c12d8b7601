#include "connectors/wordpress/wordpress_handle.h"

#include "connectors/toolkit.h"
#include "core/strings.h"

namespace muni {

Result<std::string> canonical_wordpress_site(std::string_view raw) {
  std::string text(trim(raw));
  if (text.find("://") == std::string::npos) text = "https://" + text;
  auto url = parse_url(text);
  if (!url || (url->host.find('.') == std::string::npos && url->host != "localhost")) {
    return toolkit::handle_error(
        "wordpress", raw,
        "a WordPress account is its site's address, such as https://www.stadt.example");
  }
  std::string path = url->path.substr(0, url->path.find_first_of("?#"));
  // An address of the site's API or feed names the site in front of it.
  for (const std::string_view tail : {"/wp-json", "/feed", "/index.php"}) {
    for (size_t at = path.find(tail); at != std::string::npos; at = path.find(tail, at + 1)) {
      const size_t end = at + tail.size();
      if (end == path.size() || path[end] == '/') {
        path.resize(at);
        break;
      }
    }
  }
  while (!path.empty() && path.back() == '/') path.pop_back();
  return url->origin() + path;
}

}  // namespace muni
