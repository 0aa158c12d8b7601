#include "connectors/discourse/discourse_handle.h"

#include <vector>

#include "connectors/toolkit.h"
#include "core/strings.h"

namespace muni {

namespace {

bool all_digits(std::string_view s) {
  if (s.empty() || s.size() > 18) return false;
  for (const char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

std::string strip_json(std::string s) {
  if (ends_with(s, ".json")) s.resize(s.size() - 5);
  return s;
}

}  // namespace

Result<std::string> canonical_discourse_handle(std::string_view raw) {
  std::string text(trim(raw));
  if (text.find("://") == std::string::npos) text = "https://" + text;
  auto url = parse_url(text);
  if (!url || (url->host.find('.') == std::string::npos && url->host != "localhost")) {
    return toolkit::handle_error(
        "discourse", raw,
        "a Discourse account is its forum's address, such as https://forum.stadt.example");
  }
  const std::string path = url->path.substr(0, url->path.find_first_of("?#"));
  std::vector<std::string> segments;
  for (const std::string& s : split(path, '/')) {
    if (!s.empty()) segments.push_back(s);
  }
  // The forum's own routes end the base path; what comes before them is a
  // subfolder install.
  size_t route = segments.size();
  for (size_t i = 0; i < segments.size(); ++i) {
    const std::string s = to_lower_ascii(strip_json(segments[i]));
    if (s == "c" || s == "t" || s == "latest" || s == "categories" || s == "top" || s == "new" ||
        s == "u" || s == "g" || s == "groups" || s == "tag" || s == "tags" || s == "about") {
      route = i;
      break;
    }
  }
  std::string base = url->origin();
  for (size_t i = 0; i < route; ++i) base += "/" + segments[i];
  if (route == segments.size()) return base + "/";
  const std::string first = to_lower_ascii(segments[route]);
  if (first == "t") {
    return toolkit::handle_error("discourse", raw,
                                 "this is one topic of a forum; configure the forum's address "
                                 "(or a category's, /c/<name>/<id>)");
  }
  if (first != "c") return base + "/";  // /latest, /categories, ...: the forum
  // /c/<slug>[/<slug>]/<id>[/l/<filter>]: up to the numeric id.
  std::vector<std::string> slugs;
  for (size_t i = route + 1; i < segments.size(); ++i) {
    const std::string s = strip_json(segments[i]);
    if (all_digits(s)) {
      if (slugs.empty()) break;
      std::string out = base + "/c";
      for (const std::string& slug : slugs) out += "/" + to_lower_ascii(slug);
      return out + "/" + s;
    }
    if (s == "l" || s == "none" || s == "all") break;
    slugs.push_back(s);
  }
  return toolkit::handle_error("discourse", raw,
                               "a category address names the category's number, such as "
                               "https://forum.stadt.example/c/verkehr/12");
}

namespace discourse {

std::optional<Forum> forum_of(std::string_view canonical_handle) {
  const std::string h(canonical_handle);
  auto url = parse_url(h);
  if (!url) return std::nullopt;
  Forum f;
  const size_t at = h.find("/c/", url->origin().size());
  if (at == std::string::npos) {
    f.base = h;
  } else {
    f.base = h.substr(0, at);
    f.category_path = h.substr(at + 3);
  }
  while (!f.base.empty() && f.base.back() == '/') f.base.pop_back();
  return f;
}

}  // namespace discourse

}  // namespace muni
