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

  void add(PostRecord p, std::string own_id, const std::string& raw_html, const Dating& dating) {
    Entry e;
    e.id = std::move(own_id);
    if (e.id.empty()) {
      e.id = p.url;
      e.id_is_link = true;
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
  }
  return "feed";
}

Result<Feed> parse_feed(std::string_view body, std::string_view feed_url, TimeMs now) {
  FeedContext c;
  c.now = now;
  return parse_feed(body, feed_url, c);
}

Result<Feed> parse_feed(std::string_view body, std::string_view feed_url,
                        const FeedContext& context) {
  // A declaration the bytes contradict (UTF-8 under "ISO-8859-1") would be
  // read as mojibake without any error: read what the bytes are, and say so.
  const XmlCharsetFix charset = fix_xml_charset(body, context.content_type);
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
  if (name == "html")
    return bad("an HTML page, not a feed (is this the web page rather than its feed?)");

  if (name == "feed" && root.ns() == kAtom) {
    out.format = Format::kAtom;
    out.snapshot.display_name = clean(root.child_text("title", kAtom));
    for (const XmlNode& link : root.children("link", kAtom)) {
      if (link.attr("rel").value_or("alternate") == "alternate")
        out.snapshot.profile_url =
            absolute(link.attr("href").value_or(""), root.base().empty() ? base : root.base());
    }
    Reader reader(context, out, "id");
    for (const XmlNode& entry : root.children("entry", kAtom)) {
      PostRecord p;
      p.title = clean(html_to_text(entry.child_text("title", kAtom)));
      const std::string entry_base = entry.base().empty() ? base : entry.base();
      std::optional<int64_t> reply_link_count;
      for (const XmlNode& link : entry.children("link", kAtom)) {
        const std::string rel = link.attr("rel").value_or("alternate");
        if (rel == "alternate" && p.url.empty())
          p.url = absolute(link.attr("href").value_or(""), entry_base);
        if (rel == "enclosure") p.has_media = true;
        // RFC 4685: thr:count on a "replies" link (WordPress writes one per
        // format, with the same count).
        if (rel == "replies" && !reply_link_count)
          reply_link_count = count_of(link.attr("count").value_or(""));
      }
      std::string id = clean(entry.child_text("id", kAtom));
      if (id.empty() && p.url.empty()) {
        out.skipped.push_back({"", "Atom entry without id and link"});
        continue;
      }
      p.text = body_text(entry, true);
      p.engagement.replies = count_of(entry.child_text("total", kThread));
      if (!p.engagement.replies) p.engagement.replies = reply_link_count;
      const std::string published = entry.child_text("published", kAtom);
      const std::string updated_text = entry.child_text("updated", kAtom);
      const Dating dating = read_date({published, updated_text}, context);
      const auto updated = parse_feed_date(updated_text);
      if (updated && dating.date && *updated > *dating.date) p.edited_at = updated;
      reader.add(std::move(p), std::move(id),
                 entry.child_text("content", kAtom) + entry.child_text("summary", kAtom), dating);
    }
    reader.finish();
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
    Reader reader(context, out, rdf ? "rdf:about" : "guid");
    // RSS 2.0 items sit in the channel, RSS 1.0 items beside it.
    const std::vector<XmlNode> items =
        rdf ? root.children("item", kRss1) : channel.children("item");
    for (const XmlNode& item : items) {
      PostRecord p;
      p.title = clean(html_to_text(item.child_text("title", ns)));
      p.url = absolute(clean(item.child_text("link", ns)), base);
      std::string id =
          rdf ? clean(item.attr("about").value_or("")) : clean(item.child_text("guid"));
      if (id.empty() && p.url.empty()) {
        out.skipped.push_back({"", "item without guid and link"});
        continue;
      }
      p.text = body_text(item, false);
      p.has_media = item.child("enclosure").valid() || item.child("content", kMedia).valid();
      p.engagement.replies = count_of(item.child_text("comments", kSlash));
      const Dating dating =
          read_date({item.child_text("pubDate"), item.child_text("date", kDc)}, context);
      const std::string raw =
          item.child_text("encoded", kContent) + item.child_text("description", ns);
      reader.add(std::move(p), std::move(id), raw, dating);
    }
    reader.finish();
    return out;
  }
  return bad("XML, but not a feed (root element <" + name + ">)");
}

}  // namespace muni::rss
