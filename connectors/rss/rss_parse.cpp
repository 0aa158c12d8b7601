#include "connectors/rss/rss_parse.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <set>
#include <tuple>
#include <unordered_map>

#include "core/html_text.h"
#include "core/strings.h"
#include "core/text_decode.h"
#include "core/text_safety.h"
#include "core/xml.h"

namespace muni::rss {

namespace {

constexpr const char* kAtom = "http://www.w3.org/2005/Atom";
constexpr const char* kRss1 = "http://purl.org/rss/1.0/";
constexpr const char* kRdf = "http://www.w3.org/1999/02/22-rdf-syntax-ns#";
constexpr const char* kDc = "http://purl.org/dc/elements/1.1/";
constexpr const char* kContent = "http://purl.org/rss/1.0/modules/content/";
constexpr const char* kMedia = "http://search.yahoo.com/mrss/";
constexpr const char* kSlash = "http://purl.org/rss/1.0/modules/slash/";
constexpr const char* kThread = "http://purl.org/syndication/thread/1.0";
// Atom 0.3 (www.mnot.net/drafts/draft-nottingham-atom-format-02.html) and
// RSS 0.90 (www.rssboard.org/rss-0-9-0), Dublin Core terms (dcterms).
constexpr const char* kAtom03 = "http://purl.org/atom/ns#";
constexpr const char* kRss090 = "http://my.netscape.com/rdf/simple/0.9/";
constexpr const char* kDcTerms = "http://purl.org/dc/terms/";

// How many shared ids and implausible dates a note names; a hostile feed
// could otherwise fill the status with thousands.
constexpr size_t kNamedInNote = 3;

Error bad(const std::string& what) { return make_error(ErrorCode::kParse, "feed: " + what); }

std::string clean(std::string_view s) { return std::string(trim(s)); }

std::string hex16(uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016" PRIx64, v);
  return buf;
}

// A link as written, made absolute against the base in force.
std::string absolute(const std::string& link, const std::string& base) {
  if (link.empty()) return "";
  if (parse_url(link)) return link;
  if (auto resolved = resolve_url(base, link)) return *resolved;
  return link;
}

// An Atom text construct as plain text. RFC 4287 3.1: type="text" (the
// default) is plain text, never run through the HTML stripper ("History of
// the <blink> tag" stays so); "html" is escaped HTML; "xhtml" is markup
// whose text the XML parser already holds. Atom 0.3 (3.1 of its draft)
// names a MIME type (default text/plain) and a mode (default "xml");
// only mode="escaped" HTML is HTML to strip, "base64" is not read.
std::string atom_text(const XmlNode& node, bool atom03) {
  if (!node.valid()) return "";
  const std::string type =
      to_lower_ascii(node.attr("type").value_or(atom03 ? "text/plain" : "text"));
  if (atom03) {
    const std::string mode = node.attr("mode").value_or("xml");
    if (mode == "base64") return "";
    const bool html = type.find("html") != std::string::npos;
    return clean(html && mode == "escaped" ? html_to_text(node.text()) : node.text());
  }
  if (type == "html" || type == "text/html") return clean(html_to_text(node.text()));
  return clean(node.text());
}

// Item text: the richest body the item has, as plain text.
std::string atom_body(const XmlNode& item, const char* ns, bool atom03) {
  const XmlNode content = item.child_in("content", ns);
  if (content.valid()) {
    std::string text = atom_text(content, atom03);
    if (!text.empty()) return text;
  }
  return atom_text(item.child_in("summary", ns), atom03);
}

std::string rss_body(const XmlNode& item, const char* ns) {
  std::string html = item.child_text_in("encoded", kContent);
  if (html.empty()) html = item.child_text_in("description", ns);
  return clean(html_to_text(html));
}

// A count as the feed writes it: through the one saturating parser; the
// page guard stores a negative or absurd one as unknown.
std::optional<int64_t> count_of(const std::string& text) {
  if (trim(text).empty()) return std::nullopt;
  return parse_count(text);
}

// An entry's date from its candidates, most authoritative first (Atom
// published, then updated; RSS pubDate, then dc:date).
struct Dating {
  std::optional<TimeMs> date;  // the first readable and plausible candidate
  std::string written;         // the first candidate as written: part of deeper keys
  std::string implausible;     // a readable candidate outside the range, when none fits
};

Dating read_date(std::initializer_list<std::string> candidates, const FeedContext& c) {
  Dating d;
  for (const std::string& raw : candidates) {
    const std::string text = clean(raw);
    if (text.empty()) continue;
    if (d.written.empty()) d.written = text;
    const auto t = parse_feed_date(text);
    if (!t) continue;
    if ((c.earliest && *t < *c.earliest) || (c.latest && *t > *c.latest)) {
      if (d.implausible.empty()) d.implausible = text;
      continue;
    }
    d.date = t;
    return d;
  }
  return d;
}

}  // namespace

std::string content_id(std::string_view title, std::string_view date_written,
                       std::string_view text) {
  std::string material;
  material.reserve(title.size() + date_written.size() + text.size() + 2);
  material.append(title).append(1, '\x1f').append(date_written).append(1, '\x1f').append(text);
  return std::string(kContentIdPrefix) + hex16(fnv1a64(material));
}

namespace {

// An entry as read, before its key is settled.
struct Entry {
  PostRecord post;
  std::string id;            // guid / rdf:about / id, else the link
  bool id_is_link = false;   // the entry has no id of its own
  std::string date_written;  // stable across polls, unlike an estimated date
};

std::string key_of(const Entry& e, KeyDepth depth) {
  std::string key = e.id;
  if (depth >= KeyDepth::kLink && e.post.url != e.id) key += "|link=" + e.post.url;
  if (depth >= KeyDepth::kLinkDate) key += "|date=" + e.date_written;
  if (depth >= KeyDepth::kLinkDateTitle) key += "|title=" + hex16(fnv1a64(e.post.title));
  return key;
}

std::string describe(KeyDepth depth, std::string_view id_name, bool id_is_link) {
  const std::string id(id_name);
  switch (depth) {
    case KeyDepth::kId:
      return id;
    case KeyDepth::kLink:
      return id + " and link";
    case KeyDepth::kLinkDate:
      return id_is_link ? "link and date" : id + ", link and date";
    case KeyDepth::kLinkDateTitle:
      return id_is_link ? "link, date and title" : id + ", link, date and title";
  }
  return id;
}

// Collects entries, then settles their keys and says what it interpreted.
class Reader {
 public:
  Reader(const FeedContext& c, Feed& out, std::string_view id_name)
      : c_(c), out_(out), id_name_(id_name) {
    out_.shared = c.shared;
  }

  // False when the entry has nothing to know it by (no id, link, title,
  // date or text).
  bool add(PostRecord p, std::string own_id, const std::string& raw_html, const Dating& dating) {
    Entry e;
    e.id = std::move(own_id);
    if (e.id.empty() && !p.url.empty()) {
      e.id = p.url;
      e.id_is_link = true;
    }
    if (e.id.empty()) {
      if (p.title.empty() && dating.written.empty() && p.text.empty()) return false;
      e.id = content_id(p.title, dating.written, p.text);
    }
    p.platform_post_id = e.id;
    p.item_type = kItemArticle;
    p.kind = PostKind::kOriginal;
    p.has_link = p.has_link || count_external_links(raw_html) > 0;
    if (dating.date) {
      p.created_at = *dating.date;
    } else {
      // Unreadable, implausible or missing: the time it was first seen
      // (the store keeps the first such date), flagged.
      p.created_at = c_.now;
      p.quality |= kQualityDateEstimated;
      if (!dating.implausible.empty()) {
        if (implausible_.size() < kNamedInNote) implausible_.push_back(dating.implausible);
        ++implausible_count_;
      }
    }
    e.date_written = dating.written;
    e.post = std::move(p);
    entries_.push_back(std::move(e));
    return true;
  }

  void finish() {
    if (!out_.charset_note.empty()) out_.notes.push_back(out_.charset_note);
    settle_keys();
    if (implausible_count_ > 0) {
      std::string examples;
      for (const std::string& d : implausible_) {
        examples += (examples.empty() ? "" : ", ") + ("'" + printable(d, 60) + "'");
      }
      out_.notes.push_back(std::to_string(implausible_count_) + " " +
                           (implausible_count_ == 1 ? "entry" : "entries") +
                           " dated outside the plausible range (" + examples +
                           (implausible_count_ > implausible_.size() ? ", ..." : "") +
                           "): dated when first seen and flagged");
    }
    out_.items.reserve(entries_.size());
    for (Entry& e : entries_) out_.items.push_back(std::move(e.post));
  }

 private:
  // Distinct entries under one id get distinct keys; the same entry
  // repeated (same link, date and title) keeps one, and the page guard
  // stores it once.
  void settle_keys() {
    std::unordered_map<std::string_view, std::vector<size_t>> groups;
    std::vector<std::string_view> order;
    for (size_t i = 0; i < entries_.size(); ++i) {
      auto [it, inserted] = groups.try_emplace(entries_[i].id);
      if (inserted) order.push_back(entries_[i].id);
      it->second.push_back(i);
    }
    size_t shared_groups = 0;
    for (const std::string_view id : order) {
      const std::vector<size_t>& members = groups[id];
      const KeyDepth needed = members.size() > 1 ? depth_needed(members) : KeyDepth::kId;
      const KeyDepth depth = std::max(needed, c_.shared.depth(id));
      if (needed > KeyDepth::kId) {
        const Entry& first = entries_[members.front()];
        const std::string how = describe(needed, id_name_, first.id_is_link);
        const std::string note = std::to_string(distinct_) + " entries share the " +
                                 (first.id_is_link ? "link" : std::string(id_name_)) + " " +
                                 printable(id, 200) + "; keyed by " + how;
        if (++shared_groups <= kNamedInNote) out_.notes.push_back(note);
        if (out_.shared.raise(id, needed) && out_.newly_shared.size() < kNamedInNote)
          out_.newly_shared.push_back(note);
      }
      if (depth == KeyDepth::kId) continue;
      for (const size_t i : members) entries_[i].post.platform_post_id = key_of(entries_[i], depth);
    }
    if (shared_groups > kNamedInNote)
      out_.notes.push_back("and " + std::to_string(shared_groups - kNamedInNote) +
                           " more ids shared by several entries");
  }

  // The least depth that tells the group's distinct entries apart; sets
  // distinct_ to how many there are.
  KeyDepth depth_needed(const std::vector<size_t>& members) {
    using Tuple = std::tuple<std::string_view, std::string_view, std::string_view>;
    std::set<Tuple> distinct;
    for (const size_t i : members) {
      const Entry& e = entries_[i];
      distinct.emplace(e.post.url, e.date_written, e.post.title);
    }
    distinct_ = distinct.size();
    if (distinct.size() < 2) return KeyDepth::kId;
    std::set<std::string_view> links;
    std::set<std::pair<std::string_view, std::string_view>> link_dates;
    for (const auto& [url, date, title] : distinct) {
      links.insert(url);
      link_dates.emplace(url, date);
    }
    if (links.size() == distinct.size()) return KeyDepth::kLink;
    if (link_dates.size() == distinct.size()) return KeyDepth::kLinkDate;
    return KeyDepth::kLinkDateTitle;
  }

  const FeedContext& c_;
  Feed& out_;
  std::string_view id_name_;
  std::vector<Entry> entries_;
  std::vector<std::string> implausible_;
  size_t implausible_count_ = 0;
  size_t distinct_ = 0;
};

}  // namespace

SharedIds SharedIds::parse(std::string_view text) {
  SharedIds s;
  for (const std::string& part : split(text, ' ')) {
    const size_t colon = part.find(':');
    if (colon != 1 || part.size() != 18) continue;
    const int depth = part[0] - '0';
    if (depth < 1 || depth > 3) continue;
    uint64_t hash = 0;
    bool ok = true;
    for (size_t i = 2; i < part.size() && ok; ++i) {
      const char c = part[i];
      const int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
      ok = v >= 0;
      hash = hash << 4 | static_cast<uint64_t>(v < 0 ? 0 : v);
    }
    if (!ok) continue;
    s.entries_.emplace_back(hash, static_cast<KeyDepth>(depth));
    if (s.entries_.size() > kMaxRemembered) s.entries_.erase(s.entries_.begin());
  }
  return s;
}

std::string SharedIds::dump() const {
  std::string out;
  for (const auto& [hash, depth] : entries_) {
    if (!out.empty()) out += ' ';
    out += std::to_string(static_cast<int>(depth)) + ":" + hex16(hash);
  }
  return out;
}

KeyDepth SharedIds::depth(std::string_view id) const {
  const uint64_t h = fnv1a64(id);
  for (const auto& [hash, depth] : entries_) {
    if (hash == h) return depth;
  }
  return KeyDepth::kId;
}

bool SharedIds::raise(std::string_view id, KeyDepth depth) {
  if (depth == KeyDepth::kId) return false;
  const uint64_t h = fnv1a64(id);
  for (auto& [hash, d] : entries_) {
    if (hash != h) continue;
    if (depth <= d) return false;
    d = depth;
    return true;
  }
  entries_.emplace_back(h, depth);
  if (entries_.size() > kMaxRemembered) entries_.erase(entries_.begin());
  return true;
}

std::string_view format_name(Format f) {
  switch (f) {
    case Format::kRss2:
      return "RSS 2.0";
    case Format::kRss1:
      return "RSS 1.0";
    case Format::kAtom:
      return "Atom";
    case Format::kAtom03:
      return "Atom 0.3";
    case Format::kRss090:
      return "RSS 0.90";
  }
  return "feed";
}

Result<Feed> parse_feed(std::string_view body, std::string_view feed_url, TimeMs now) {
  FeedContext c;
  c.now = now;
  return parse_feed(body, feed_url, c);
}

namespace {

// The base links of `node` resolve against: its xml:base (itself resolved
// against the feed's address), else the feed's address.
std::string base_of(const XmlNode& node, const std::string& feed_url) {
  const std::string b = node.base();
  if (b.empty()) return feed_url;
  return absolute(b, feed_url);
}

// The alternate link among Atom <link> elements (rel absent means
// "alternate", RFC 4287 4.2.7.2); Atom 0.3 writes rel="alternate"
// explicitly. Sets `media` for an enclosure and `replies` for RFC 4685's
// thr:count.
struct AtomLinks {
  std::string alternate;
  bool media = false;
  std::optional<int64_t> replies;
};
AtomLinks atom_links(const XmlNode& parent, const char* ns, const std::string& base) {
  AtomLinks out;
  for (const XmlNode& link : parent.children_in("link", ns)) {
    const std::string rel = link.attr("rel").value_or("alternate");
    const std::string href = clean(link.attr("href").value_or(""));
    if ((rel == "alternate" || rel == "http://www.iana.org/assignments/relation/alternate") &&
        out.alternate.empty() && !href.empty())
      out.alternate = absolute(href, base_of(link, base));
    if (rel == "enclosure") out.media = true;
    // RFC 4685: thr:count on a "replies" link (WordPress writes one per
    // format, with the same count).
    if (rel == "replies" && !out.replies) out.replies = count_of(link.attr("count").value_or(""));
  }
  return out;
}

// A feed with undeclared HTML entities (&uuml;) is invalid XML; RSS 0.91's
// Netscape DTD declared them, and old templates write them anyway. They are
// read as HTML5 names them (core/html_text.h). Not for UTF-16 documents,
// whose bytes are no ASCII text.
std::optional<std::string> with_html_entities(std::string_view body, size_t& replaced) {
  replaced = 0;
  if (body.substr(0, 4).find('\0') != std::string_view::npos || starts_with(body, "\xFF\xFE") ||
      starts_with(body, "\xFE\xFF") || body.find('&') == std::string_view::npos)
    return std::nullopt;
  std::string out = xml_with_html_entities(body, &replaced);
  if (replaced == 0) return std::nullopt;
  return out;
}

Result<Feed> read_atom(const XmlNode& root, bool atom03, const std::string& feed_url,
                       const FeedContext& context, Feed out) {
  const char* ns = atom03 ? kAtom03 : kAtom;
  out.format = atom03 ? Format::kAtom03 : Format::kAtom;
  out.dialect = atom03 ? "Atom 0.3" : "Atom 1.0";
  const std::string feed_base = base_of(root, feed_url);
  out.snapshot.display_name = atom_text(root.child_in("title", ns), atom03);
  out.snapshot.profile_url = atom_links(root, ns, feed_base).alternate;
  Reader reader(context, out, "id");
  for (const XmlNode& entry : root.children_in("entry", ns)) {
    PostRecord p;
    p.title = atom_text(entry.child_in("title", ns), atom03);
    const AtomLinks links = atom_links(entry, ns, base_of(entry, feed_url));
    p.url = links.alternate;
    p.has_media = links.media;
    std::string id = clean(entry.child_text_in("id", ns));
    p.text = atom_body(entry, ns, atom03);
    p.engagement.replies = count_of(entry.child_text_in("total", kThread));
    if (!p.engagement.replies) p.engagement.replies = links.replies;
    // Atom 1.0: published, then updated (RFC 4287 4.2.9, 4.2.15). Atom 0.3:
    // issued (which may be zone-less, local time of the author: then no
    // instant), created, modified. Dublin Core where a feed adds it.
    const std::string edited = entry.child_text_in(atom03 ? "modified" : "updated", ns);
    const Dating dating =
        atom03
            ? read_date({entry.child_text_in("issued", ns), entry.child_text_in("created", ns),
                         edited, entry.child_text_in("date", kDc)},
                        context)
            : read_date({entry.child_text_in("published", ns), edited,
                         entry.child_text_in("date", kDc), entry.child_text_in("issued", kDcTerms),
                         entry.child_text_in("created", kDcTerms)},
                        context);
    const auto edited_at = parse_feed_date(edited);
    if (edited_at && dating.date && *edited_at > *dating.date) p.edited_at = edited_at;
    const std::string raw = entry.child_text_in("content", ns) + entry.child_text_in("summary", ns);
    if (!reader.add(std::move(p), std::move(id), raw, dating))
      out.skipped.push_back({"", "Atom entry without id, link, title, date or text"});
  }
  reader.finish();
  return out;
}

// RSS 0.90 (ns kRss090), 0.91-2.0 (no namespace), 1.0 (kRss1).
Result<Feed> read_rss(const XmlNode& root, Format format, const char* ns,
                      const std::string& feed_url, const FeedContext& context, Feed out) {
  out.format = format;
  const XmlNode channel = root.child_in("channel", ns);
  if (!channel.valid()) return bad("an RSS document without <channel>");
  if (format == Format::kRss2) {
    const std::string version = clean(root.attr("version").value_or(""));
    out.dialect = "RSS " + (version.empty() ? std::string("2.0") : printable(version, 10));
  } else {
    out.dialect = format == Format::kRss1 ? "RSS 1.0" : "RSS 0.90";
  }
  const std::string channel_base = base_of(channel, feed_url);
  out.snapshot.display_name = clean(html_to_text(channel.child_text_in("title", ns)));
  out.snapshot.profile_url = absolute(clean(channel.child_text_in("link", ns)), channel_base);
  if (out.snapshot.profile_url.empty())
    out.snapshot.profile_url = atom_links(channel, kAtom, channel_base).alternate;
  Reader reader(context, out, format == Format::kRss1 ? "rdf:about" : "guid");
  // RSS 0.91-2.0 items sit in the channel, RSS 0.90 and 1.0 items beside it.
  const std::vector<XmlNode> items =
      format == Format::kRss2 ? channel.children_in("item", ns) : root.children_in("item", ns);
  for (const XmlNode& item : items) {
    PostRecord p;
    const std::string base = base_of(item, feed_url);
    // The feed's own <title>, never <media:title>; Dublin Core's where a
    // feed has only that (RSS 1.0 modules).
    std::string title = item.child_text_in("title", ns);
    if (trim(title).empty()) title = item.child_text_in("title", kDc);
    p.title = clean(html_to_text(title));
    p.url = absolute(clean(item.child_text_in("link", ns)), base);
    // An atom:link inside the item (RSS 2.0 best practice for feeds that
    // mix in Atom elements).
    const AtomLinks atom = atom_links(item, kAtom, base);
    if (p.url.empty()) p.url = atom.alternate;
    std::string id;
    if (format == Format::kRss1) {
      id = clean(item.attr("about").value_or(""));
    } else if (format == Format::kRss2) {
      const XmlNode guid = item.child_in("guid", ns);
      id = clean(guid.text());
      // RSS 2.0: a guid is a permalink unless isPermaLink="false"; with no
      // <link>, a permalink guid is the item's link.
      const std::string permalink = to_lower_ascii(trim(guid.attr("isPermaLink").value_or("true")));
      if (p.url.empty() && !id.empty() && permalink == "true") {
        // Only an absolute URL: a permalink guid is one (RSS 2.0), and
        // "news-42" resolved against the feed's address would be invented.
        if (const auto u = parse_url(id); u && (u->scheme == "http" || u->scheme == "https"))
          p.url = id;
      }
    }
    p.text = rss_body(item, ns);
    p.has_media = atom.media || item.child_in("enclosure", ns).valid() ||
                  item.child("content", kMedia).valid();
    p.engagement.replies = count_of(item.child_text_in("comments", kSlash));
    // pubDate (RSS 0.93+), then Dublin Core: dc:date (RSS 1.0's module),
    // dcterms:issued, dcterms:created, dcterms:modified.
    const std::string modified = item.child_text_in("modified", kDcTerms);
    const Dating dating = read_date(
        {item.child_text_in("pubDate", ns), item.child_text_in("date", kDc),
         item.child_text_in("issued", kDcTerms), item.child_text_in("created", kDcTerms), modified,
         item.child_text_in("published", kAtom), item.child_text_in("updated", kAtom)},
        context);
    const auto edited_at = parse_feed_date(modified);
    if (edited_at && dating.date && *edited_at > *dating.date) p.edited_at = edited_at;
    const std::string raw =
        item.child_text_in("encoded", kContent) + item.child_text_in("description", ns);
    if (!reader.add(std::move(p), std::move(id), raw, dating))
      out.skipped.push_back({"", "item without guid, link, title, date or text"});
  }
  reader.finish();
  return out;
}

}  // namespace

Result<Feed> parse_feed(std::string_view body, std::string_view feed_url,
                        const FeedContext& context) {
  size_t html_entities = 0;
  const std::optional<std::string> entities_read = with_html_entities(body, html_entities);
  if (entities_read) body = *entities_read;
  // RFC 7303: the byte-order mark, then HTTP's charset, then the
  // document's declaration; a declaration the bytes contradict (UTF-8 under
  // "ISO-8859-1") would be read as mojibake without any error: read what
  // the bytes are, and say so.
  const XmlCharsetFix charset = fix_xml_charset(body, context.content_type);
  if (!charset.refusal.empty()) return bad(charset.refusal);
  auto doc = XmlDocument::parse_xml(charset.document ? std::string_view(*charset.document) : body);
  if (!doc.ok()) {
    const std::string start = to_lower_ascii(trim(body.substr(0, 512)));
    if (start.find("<html") != std::string::npos ||
        start.find("<!doctype html") != std::string::npos)
      return bad("an HTML page, not a feed (is this the web page rather than its feed?)");
    return bad(doc.error().message);
  }
  const XmlNode root = doc->root();
  const std::string name = root.name();
  const std::string base(feed_url);
  Feed out;
  out.charset_note = charset.note;
  if (html_entities > 0 &&
      to_lower_ascii(body.substr(0, 1024)).find("<!doctype") == std::string::npos)
    out.notes.push_back(std::to_string(html_entities) +
                        " HTML entities XML does not know (like &uuml;) read as HTML names them");
  if (name == "html")
    return bad("an HTML page, not a feed (is this the web page rather than its feed?)");
  if (name == "feed" && root.ns() == kAtom) return read_atom(root, false, base, context, out);
  if (name == "feed" && root.ns() == kAtom03) return read_atom(root, true, base, context, out);
  if (name == "rss" && root.ns().empty())
    return read_rss(root, Format::kRss2, "", base, context, out);
  if (name == "RDF" && root.ns() == kRdf) {
    if (root.child_in("channel", kRss1).valid())
      return read_rss(root, Format::kRss1, kRss1, base, context, out);
    if (root.child_in("channel", kRss090).valid())
      return read_rss(root, Format::kRss090, kRss090, base, context, out);
    return bad("an RDF document without an RSS 1.0 or 0.90 <channel>");
  }
  return bad("XML, but not a feed (root element <" + name + ">)");
}

}  // namespace muni::rss
