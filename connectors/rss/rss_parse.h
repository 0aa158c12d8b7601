// RSS 2.0, RSS 1.0 (RDF) and Atom 1.0 feeds -> normalized records. Pure
// functions over response text. Element meanings follow the RSS 2.0
// specification (rssboard.org/rss-specification), RSS 1.0
// (web.resource.org/rss/1.0/spec) with Dublin Core dc:date, and RFC 4287
// (Atom); the documentation examples in ../shared/api-samples/rss/ show them.
// Fixtures and sources: tests/fixtures/rss/SOURCES.md.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/model.h"
#include "core/result.h"

namespace muni::rss {

enum class Format { kRss2, kRss1, kAtom };
std::string_view format_name(Format f);

struct Feed {
  Format format = Format::kRss2;
  AccountSnapshot snapshot;  // title, the site's link; feeds report no counts
  std::vector<PostRecord> items;  // item type "article"
  std::vector<SkippedItem> skipped;
};

// `feed_url` resolves relative links (Atom's xml:base first). Items are keyed
// by guid (RSS 2.0), rdf:about (RSS 1.0) or id (Atom), else by their link.
// An item without a readable date is dated `now` and flagged
// kQualityDateEstimated (the store keeps the first such date).
// Fails for bad XML, an HTML page, or XML that is no feed.
Result<Feed> parse_feed(std::string_view body, std::string_view feed_url, TimeMs now);

}  // namespace muni::rss
