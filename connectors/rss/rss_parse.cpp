#include "connectors/rss/rss_parse.h"

#include "core/html_text.h"
#include "core/strings.h"
#include "core/xml.h"
#include "engine/net_policy.h"

namespace muni::rss {

namespace {

constexpr const char* kAtom = "http://www.w3.org/2005/Atom";
constexpr const char* kRss1 = "http://purl.org/rss/1.0/";
constexpr const char* kRdf = "http://www.w3.org/1999/02/22-rdf-syntax-ns#";
constexpr const char* kDc = "http://purl.org/dc/elements/1.1/";
constexpr const char* kContent = "http://purl.org/rss/1.0/modules/content/";
constexpr const char* kMedia = "http://search.yahoo.com/mrss/";

Error bad(const std::string& what) { return make_error(ErrorCode::kParse, "feed: " + what); }

std::string clean(std::string_view s) { return std::string(trim(s)); }

// A link as written, made absolute against the base in force.
std::string absolute(const std::string& link, const std::string& base) {
  if (link.empty()) return "";
  if (parse_url(link)) return link;
  if (auto resolved = resolve_redirect(base, link)) return *resolved;
  return link;
}

// Item text: the richest body the item has, as plain text.
std::string body_text(const XmlNode& item, bool atom) {
  if (atom) {
    const XmlNode content = item.child("content", kAtom);
    if (content.valid()) {
      const std::string type = content.attr("type").value_or("text");
      return clean(type == "text" ? content.text() : html_to_text(content.text()));
    }
    const XmlNode summary = item.child("summary", kAtom);
    const std::string type = summary.attr("type").value_or("text");
    return clean(type == "text" ? summary.text() : html_to_text(summary.text()));
  }
  std::string html = item.child_text("encoded", kContent);
  if (html.empty()) html = item.child_text("description");
  if (html.empty()) html = item.child_text("description", kRss1);
  return clean(html_to_text(html));
}

void finish_item(PostRecord& p, const std::string& raw_html, TimeMs now,
                 std::optional<TimeMs> date) {
  p.item_type = kItemArticle;
  p.kind = PostKind::kOriginal;
  p.has_link = p.has_link || count_external_links(raw_html) > 0;
  if (date) {
    p.created_at = *date;
  } else {
    p.created_at = now;
    p.quality |= kQualityDateEstimated;
  }
}

}  // namespace

std::string_view format_name(Format f) {
  switch (f) {
    case Format::kRss2:
      return "RSS 2.0";
    case Format::kRss1:
      return "RSS 1.0";
    case Format::kAtom:
      return "Atom";
  }
  return "feed";
}

Result<Feed> parse_feed(std::string_view body, std::string_view feed_url, TimeMs now) {
  auto doc = XmlDocument::parse_xml(body);
  if (!doc.ok()) {
    const std::string start = to_lower_ascii(trim(body.substr(0, 512)));
    if (start.find("<html") != std::string::npos || start.find("<!doctype html") != std::string::npos)
      return bad("an HTML page, not a feed (is this the web page rather than its feed?)");
    return bad(doc.error().message);
  }
  const XmlNode root = doc->root();
  const std::string name = root.name();
  const std::string base(feed_url);
  Feed out;
  if (name == "html") return bad("an HTML page, not a feed (is this the web page rather than its feed?)");

  if (name == "feed" && root.ns() == kAtom) {
    out.format = Format::kAtom;
    out.snapshot.display_name = clean(root.child_text("title", kAtom));
    for (const XmlNode& link : root.children("link", kAtom)) {
      if (link.attr("rel").value_or("alternate") == "alternate")
        out.snapshot.profile_url = absolute(link.attr("href").value_or(""), root.base().empty() ? base : root.base());
    }
    for (const XmlNode& entry : root.children("entry", kAtom)) {
      PostRecord p;
      p.title = clean(html_to_text(entry.child_text("title", kAtom)));
      const std::string entry_base = entry.base().empty() ? base : entry.base();
      for (const XmlNode& link : entry.children("link", kAtom)) {
        const std::string rel = link.attr("rel").value_or("alternate");
        if (rel == "alternate" && p.url.empty()) p.url = absolute(link.attr("href").value_or(""), entry_base);
        if (rel == "enclosure") p.has_media = true;
      }
      p.platform_post_id = clean(entry.child_text("id", kAtom));
      if (p.platform_post_id.empty()) p.platform_post_id = p.url;
      if (p.platform_post_id.empty()) {
        out.skipped.push_back({"", "Atom entry without id and link"});
        continue;
      }
      p.text = body_text(entry, true);
      auto date = parse_feed_date(entry.child_text("published", kAtom));
      if (!date) date = parse_feed_date(entry.child_text("updated", kAtom));
      const auto updated = parse_feed_date(entry.child_text("updated", kAtom));
      if (updated && date && *updated > *date) p.edited_at = updated;
      finish_item(p, entry.child_text("content", kAtom) + entry.child_text("summary", kAtom), now, date);
      out.items.push_back(std::move(p));
    }
    return out;
  }

  const bool rdf = name == "RDF" && root.ns() == kRdf;
  if (name == "rss" || rdf) {
    out.format = rdf ? Format::kRss1 : Format::kRss2;
    const char* ns = rdf ? kRss1 : "";
    const XmlNode channel = root.child("channel", ns);
    if (!channel.valid()) return bad("an RSS document without <channel>");
    out.snapshot.display_name = clean(channel.child_text("title", ns));
    out.snapshot.profile_url = absolute(clean(channel.child_text("link", ns)), base);
    // RSS 2.0 items sit in the channel, RSS 1.0 items beside it.
    const std::vector<XmlNode> items = rdf ? root.children("item", kRss1) : channel.children("item");
    for (const XmlNode& item : items) {
      PostRecord p;
      p.title = clean(html_to_text(item.child_text("title", ns)));
      p.url = absolute(clean(item.child_text("link", ns)), base);
      if (rdf) {
        p.platform_post_id = clean(item.attr("about").value_or(""));
      } else {
        p.platform_post_id = clean(item.child_text("guid"));
      }
      if (p.platform_post_id.empty()) p.platform_post_id = p.url;
      if (p.platform_post_id.empty()) {
        out.skipped.push_back({"", "item without guid and link"});
        continue;
      }
      p.text = body_text(item, false);
      p.has_media = item.child("enclosure").valid() || item.child("content", kMedia).valid();
      auto date = parse_feed_date(item.child_text("pubDate"));
      if (!date) date = parse_feed_date(item.child_text("date", kDc));
      const std::string raw = item.child_text("encoded", kContent) + item.child_text("description", ns);
      if (!date && !trim(item.child_text("pubDate")).empty()) {
        // A date that is there but unreadable: say so, and date it when first seen.
        p.quality |= kQualityDateEstimated;
      }
      finish_item(p, raw, now, date);
      out.items.push_back(std::move(p));
    }
    return out;
  }
  return bad("XML, but not a feed (root element <" + name + ">)");
}

}  // namespace muni::rss
