#include "connectors/discourse/discourse_links.h"

#include "core/strings.h"

namespace muni {

namespace {

// A Discourse forum runs on its own host, and its paths (/c/<category>,
// /t/<slug>/<id>, /u/<user>, /latest) are short words other software uses
// too. A link counts when the host starts with "forum.", "discourse.",
// "community." or "diskussion.", or the link's text says "forum" or
// "discourse": the forum's front page, /latest, /categories and category
// pages name the forum (its handle: scheme://host/); /t/... is one topic.
// URL forms: Discourse's routes (meta.discourse.org, "Discourse URL
// structure").
bool hinted(const LinkContext& l) {
  for (const char* prefix : {"forum.", "forum-", "discourse.", "community.", "diskussion."}) {
    if (starts_with(l.host, prefix)) return true;
  }
  const std::string text = to_lower_ascii(l.text);
  return text.find("forum") != std::string::npos || text.find("discourse") != std::string::npos;
}

std::optional<LinkMatch> recognise(const LinkContext& l) {
  if (l.claimed || l.head || l.feed || l.same_site || !hinted(l)) return std::nullopt;
  const std::string first = l.segments.empty() ? "" : to_lower_ascii(l.segments[0]);
  LinkMatch m;
  if (first == "t" && l.segments.size() >= 2) {
    m.kind = LinkKind::kPost;
    m.reason = "a forum topic, not the forum (link to the forum instead)";
    return m;
  }
  if (first.empty() || first == "latest" || first == "categories" || first == "top" ||
      (first == "c" && l.segments.size() >= 2)) {
    m.handle = l.origin + "/";
    return m;
  }
  return std::nullopt;
}

}  // namespace

PlatformLinks discourse_links() {
  PlatformLinks l;
  l.recognise = recognise;
  // "https://forum.stadt-x.example/" -> "stadt-x" (the host's name after
  // the forum prefix).
  l.account_name = [](std::string_view handle) {
    auto parts = parse_url(handle);
    if (!parts) return std::string();
    std::string host = parts->host;
    const size_t dot = host.find('.');
    if (dot != std::string::npos && host.find('.', dot + 1) != std::string::npos) {
      host = host.substr(dot + 1);
    }
    return host.substr(0, host.find('.'));
  };
  l.wikidata_note = "none: Wikidata has no property for a Discourse forum";
  return l;
}

}  // namespace muni
