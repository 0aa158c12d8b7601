// Telegram's public web pages as records: pure functions over HTML text,
// read through libxml2's HTML parser (no network, no external entities;
// connectors/telegram/telegram_parse.cpp). The markup is Telegram's
// internal one, with no compatibility guarantee: every class name read here
// is pinned by the fixtures in tests/fixtures/telegram/ (see SOURCES.md).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/model.h"
#include "core/result.h"

namespace muni::telegram {

// A count as the preview writes it: "857", "33.4K", "1.2M", "1 234". An
// abbreviated count ("33.4K") is the shown value (33,400) with precision
// kApproximate; plain digits are exact. nullopt for anything else.
struct ShownCount {
  int64_t value = 0;
  CountPrecision precision = CountPrecision::kExact;
};
std::optional<ShownCount> parse_shown_count(std::string_view text);

// One page of the channel preview https://t.me/s/<channel>[?before=<id>].
struct PreviewPage {
  std::vector<PostRecord> posts;     // the channel's messages, oldest first
  std::vector<SkippedItem> skipped;  // messages without a readable id or date
  // The data-before of the "more" link: where the next older page starts.
  // nullopt: no older page (the channel's first message is on this page).
  std::optional<int64_t> before;
  // Smallest and largest message id on the page (service messages
  // included); 0 when the page has none.
  int64_t min_id = 0;
  int64_t max_id = 0;
  // A service message "Channel created" with its date: the channel's
  // creation (the first message of every channel).
  std::optional<TimeMs> created_at;
  bool first_message_seen = false;  // message id 1 is on the page
  // A message id that occurs twice on the page (never on a real one).
  std::optional<int64_t> repeated_id;
  // Some view count was abbreviated ("33.4K"): stored as shown.
  bool views_approximate = false;
  // The channel header (tgme_channel_info) of the page.
  std::string title;
  std::optional<ShownCount> subscribers;  // "109K subscribers": approximate
};

// Fails (kParse) when the text is no channel preview at all: neither a
// message history nor a channel header (a maintenance page, a login wall,
// the channel page itself). `channel` is the configured name; it only
// decides whether a reply's parent is the channel's own message.
Result<PreviewPage> parse_preview(std::string_view html, std::string_view channel);

// The channel page https://t.me/<channel>.
struct ChannelPage {
  enum class Kind {
    kChannel,  // "12 345 subscribers"
    kGroup,    // "1 234 members, 56 online"
    kOther,    // a person or a bot ("@name"), or no such username at all
  } kind = Kind::kOther;
  std::string title;
  // "12 345 subscribers": exact, spaces as thousands separators (an
  // abbreviated "109K" would be approximate).
  std::optional<ShownCount> subscribers;
  bool has_preview_link = false;  // "Preview channel" -> /s/<channel>
};
// Never fails: a page that says nothing is kOther.
ChannelPage parse_channel_page(std::string_view html);

// Whether the page is the channel page rather than the preview (the preview
// of a channel without one redirects there).
bool looks_like_channel_page(std::string_view html);

}  // namespace muni::telegram
