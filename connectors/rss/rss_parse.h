// RSS 0.90, 0.91, 0.92, 2.0, RSS 1.0 (RDF) and Atom 0.3 / 1.0 feeds ->
// normalized records. Pure functions over response text. Element meanings
// follow the RSS 2.0 specification (rssboard.org/rss-specification), RSS
// 0.90 / 0.91 / 0.92 (rssboard.org/rss-0-9-0, -0-9-1-netscape, -0-9-2),
// RSS 1.0 (web.resource.org/rss/1.0/spec) with its Dublin Core module
// (dc:date, dc:title), DCMI terms (dcterms:issued/created/modified) and the
// Slash module's slash:comments, Atom 0.3 (draft-nottingham-atom-format-02:
// issued/created/modified, mode="escaped"), RFC 4287 (Atom 1.0) and RFC 4685
// (Atom threading: thr:total); the documentation examples in
// ../shared/api-samples/rss/ show them. Encodings: RFC 7303 and the WHATWG
// Encoding Standard (core/text_decode.h); text: HTML5 character references
// (core/html_text.h); dates: core/time_util.h parse_feed_date. Fixtures and
// sources: tests/fixtures/rss/SOURCES.md.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/model.h"
#include "core/result.h"

namespace muni::rss {

// kRss2 is every <rss> document (0.91, 0.92, 2.0: Feed::dialect says which).
enum class Format { kRss2, kRss1, kAtom, kAtom03, kRss090 };
std::string_view format_name(Format f);

// How the entries under one id are keyed when the feed gives that id to
// several distinct entries (a CMS that writes the site's URL as every
// item's guid). Each level adds to the one before; the least that tells the
// entries apart is used, and never less than was used before for that id.
enum class KeyDepth {
  kId = 0,             // the id alone: the normal case
  kLink = 1,           // id and link
  kLinkDate = 2,       // id, link and the date as written
  kLinkDateTitle = 3,  // id, link, date and a hash of the title
};

// The ids a feed has given to distinct entries, with the depth their
// entries are keyed at. Saved in the cursor, so that an entry keeps its key
// when the feed later shows it alone (otherwise it would come back as a
// second item under the bare id). Ids are kept as 64-bit hashes; the
// oldest are forgotten beyond kMaxRemembered.
class SharedIds {
 public:
  static constexpr size_t kMaxRemembered = 256;
  // "1:0123456789abcdef 2:...", as dump() writes it; unreadable parts are ignored.
  static SharedIds parse(std::string_view text);
  std::string dump() const;
  KeyDepth depth(std::string_view id) const;
  // Records that `id` needs at least `depth`; true when that is new.
  bool raise(std::string_view id, KeyDepth depth);
  bool empty() const { return entries_.empty(); }

 private:
  std::vector<std::pair<uint64_t, KeyDepth>> entries_;  // oldest first
};

// What the parser needs beyond the text.
struct FeedContext {
  // When the feed was read: the date of entries without a usable one.
  TimeMs now = 0;
  // The plausible range of dates. An entry dated outside it (a CMS that
  // writes 9999-12-31, 0001-01-01 or the epoch) is treated like one with an
  // unreadable date: dated `now`, flagged kQualityDateEstimated, kept. The
  // connector passes the platform's earliest bound and now + the page
  // guard's future skew; unset bounds are not checked.
  std::optional<TimeMs> earliest;
  std::optional<TimeMs> latest;
  // The HTTP Content-Type: its charset is weighed against the document's
  // own declaration and its bytes (core/text_decode.h fix_xml_charset).
  std::string content_type;
  // Ids known to be shared, from the saved cursor.
  SharedIds shared;
};

struct Feed {
  Format format = Format::kRss2;
  std::string dialect;            // "RSS 0.91", "RSS 2.0", "RSS 1.0", "Atom 0.3", ...
  AccountSnapshot snapshot;       // title, the site's link; feeds report no counts
  std::vector<PostRecord> items;  // item type "article"
  std::vector<SkippedItem> skipped;
  // FeedContext::shared with the ids found shared in this document added.
  SharedIds shared;
  // Ids first found shared (or needing a deeper key) in this document, as
  // sentences: "19 entries share the guid X; keyed by guid and link".
  std::vector<std::string> newly_shared;
  // What the document declared about its charset and what it was read as
  // ("declared ISO-8859-1 but is UTF-8; read as UTF-8"), or "".
  std::string charset_note;
  // Everything the parser had to interpret, a sentence each: the charset,
  // every shared id of this document, entries with implausible dates.
  std::vector<std::string> notes;
};

// The id of an entry that has neither id nor link: "content:" and a 64-bit
// FNV-1a hash (hex) of its title, its date as written and its plain text,
// joined by U+001F. The same entry polled twice gets the same id; an entry
// whose title, date or text is changed becomes a new item (the feed gave
// nothing else to recognise it by).
inline constexpr std::string_view kContentIdPrefix = "content:";
std::string content_id(std::string_view title, std::string_view date_written,
                       std::string_view text);

// `feed_url` resolves relative links (xml:base first, in Atom and RSS). Items
// are keyed by guid (RSS 0.91-2.0), rdf:about (RSS 1.0) or id (Atom), else by
// their link, else by content_id (an entry with none of title, date or text
// is skipped). The link is <link>, else an atom:link (rel alternate) in an
// RSS item, else a guid that is a permalink (isPermaLink absent or "true").
// Titles come from the feed's own vocabulary (never media:title); Atom
// type="text" titles stay plain text. Dates: Atom 1.0 published, updated;
// Atom 0.3 issued (only with a zone), created, modified; RSS pubDate, then
// dc:date, dcterms:issued, dcterms:created, dcterms:modified;
// distinct entries sharing one id are keyed deeper (KeyDepth), the same
// entry repeated keeps one key. An item without a readable and plausible
// date is dated `context.now` and flagged kQualityDateEstimated (the store
// keeps the first such date). Comment counts (slash:comments, thr:total)
// go through core/strings.h parse_count; the page guard judges them.
// Fails for bad XML, an HTML page, or XML that is no feed.
Result<Feed> parse_feed(std::string_view body, std::string_view feed_url,
                        const FeedContext& context);
// The same without a plausible range, charset header or memory of shared ids.
Result<Feed> parse_feed(std::string_view body, std::string_view feed_url, TimeMs now);

}  // namespace muni::rss
