// The preview's markup, as the recorded pages show it
// (../shared/api-samples/telegram, tests/fixtures/telegram/SOURCES.md):
//
//   section.tgme_channel_history
//     a.tme_messages_more[data-before=<id>]          the next older page
//     div.tgme_widget_message_wrap
//       div.tgme_widget_message[data-post="<channel>/<id>"]
//         div.tgme_widget_message_forwarded_from > a..._forwarded_from_name[href]
//         a.tgme_widget_message_reply[href="https://t.me/<channel>/<id>"]
//         div.tgme_widget_message_text               the text (<br/> for newlines)
//         span.tgme_widget_message_views             "33.4K"
//         span.tgme_widget_message_meta
//           span.tgme_widget_message_edited          "edited" (no time shown)
//           a.tgme_widget_message_date > time[datetime]
//   div.tgme_channel_info_counter > span.counter_value + span.counter_type
//
// Service messages ("Channel created", a new photo) carry the class
// service_message on the message element: they are no posts of the
// account; "Channel created" dates the channel.
//
// The document is parsed with libxml2's HTML parser: no network
// (HTML_PARSE_NONET), no DTD loading, no entity substitution beyond HTML's
// own character references; lenient, as HTML on the web always is. The
// tree is walked iteratively, so a hostile nesting depth costs no stack.
#include "connectors/telegram/telegram_parse.h"

#include <libxml/HTMLparser.h>
#include <libxml/tree.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <memory>
#include <mutex>

#include "core/strings.h"
#include "core/time_util.h"

namespace muni::telegram {

namespace {

void quiet(void*, const char*, ...) {}

struct DocFree {
  void operator()(xmlDoc* d) const { xmlFreeDoc(d); }
};
using Doc = std::unique_ptr<xmlDoc, DocFree>;

Doc parse_html(std::string_view text) {
  static std::once_flag once;
  std::call_once(once, [] {
    xmlInitParser();
    xmlSetGenericErrorFunc(nullptr, quiet);
  });
  if (text.empty() || text.size() > static_cast<size_t>(INT32_MAX)) return nullptr;
  return Doc(htmlReadMemory(
      text.data(), static_cast<int>(text.size()), nullptr, "UTF-8",
      HTML_PARSE_NONET | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING | HTML_PARSE_RECOVER));
}

std::string attr(const xmlNode* n, const char* name) {
  xmlChar* v = xmlGetProp(n, reinterpret_cast<const xmlChar*>(name));
  if (v == nullptr) return "";
  std::string out(reinterpret_cast<const char*>(v));
  xmlFree(v);
  return out;
}

bool has_attr(const xmlNode* n, const char* name) {
  return xmlHasProp(n, reinterpret_cast<const xmlChar*>(name)) != nullptr;
}

bool is(const xmlNode* n, const char* tag) {
  return n->type == XML_ELEMENT_NODE && n->name != nullptr &&
         iequals(reinterpret_cast<const char*>(n->name), tag);
}

// Whether the class attribute holds `cls` as one of its tokens.
bool has_class(const xmlNode* n, std::string_view cls) {
  if (n->type != XML_ELEMENT_NODE) return false;
  const std::string c = attr(n, "class");
  size_t at = 0;
  while (at < c.size()) {
    while (at < c.size() && std::isspace(static_cast<unsigned char>(c[at]))) ++at;
    size_t end = at;
    while (end < c.size() && !std::isspace(static_cast<unsigned char>(c[end]))) ++end;
    if (std::string_view(c).substr(at, end - at) == cls) return true;
    at = end;
  }
  return false;
}

// Depth-first, in document order, without recursion. `visit` returns false
// to skip a node's subtree.
void walk(xmlNode* root, const std::function<bool(xmlNode*)>& visit) {
  if (root == nullptr) return;
  xmlNode* n = root;
  while (n != nullptr) {
    const bool descend = visit(n) && n->children != nullptr;
    if (descend) {
      n = n->children;
      continue;
    }
    while (n != nullptr && n != root && n->next == nullptr) n = n->parent;
    if (n == nullptr || n == root) break;
    n = n->next;
  }
}

// The elements below `root` with class `cls`, outside any subtree whose
// element has a class in `skip`.
std::vector<xmlNode*> by_class(xmlNode* root, std::string_view cls,
                               std::initializer_list<std::string_view> skip = {}) {
  std::vector<xmlNode*> out;
  walk(root, [&](xmlNode* n) {
    if (n->type != XML_ELEMENT_NODE) return n == root;
    if (n != root) {
      for (const std::string_view s : skip) {
        if (has_class(n, s)) return false;
      }
    }
    if (has_class(n, cls)) out.push_back(n);
    return true;
  });
  return out;
}

xmlNode* first_by_class(xmlNode* root, std::string_view cls,
                        std::initializer_list<std::string_view> skip = {}) {
  auto all = by_class(root, cls, skip);
  return all.empty() ? nullptr : all.front();
}

xmlNode* first_tag(xmlNode* root, const char* tag) {
  xmlNode* found = nullptr;
  walk(root, [&](xmlNode* n) {
    if (found != nullptr) return false;
    if (n != root && is(n, tag)) found = n;
    return found == nullptr;
  });
  return found;
}

// Text as a browser shows it: runs of white space collapse to one space,
// <br> is a line break, lines are trimmed.
std::string shown_text(xmlNode* root) {
  std::string raw;
  walk(root, [&](xmlNode* n) {
    if (n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) {
      if (n->content != nullptr) {
        for (const char* p = reinterpret_cast<const char*>(n->content); *p != '\0'; ++p) {
          const bool space = *p == ' ' || *p == '\n' || *p == '\t' || *p == '\r' || *p == '\f';
          if (space) {
            if (!raw.empty() && raw.back() != ' ' && raw.back() != '\n') raw += ' ';
          } else {
            raw += *p;
          }
        }
      }
      return false;
    }
    if (is(n, "br")) {
      while (!raw.empty() && raw.back() == ' ') raw.pop_back();
      raw += '\n';
      return false;
    }
    if (is(n, "script") || is(n, "style")) return false;
    return true;
  });
  std::vector<std::string> lines;
  for (const std::string& line : split(raw, '\n')) lines.emplace_back(trim(line));
  while (!lines.empty() && lines.back().empty()) lines.pop_back();
  size_t first = 0;
  while (first < lines.size() && lines[first].empty()) ++first;
  lines.erase(lines.begin(), lines.begin() + static_cast<long>(first));
  return join(lines, "\n");
}

// "https://t.me/<channel>/<id>" (or a relative "/<channel>/<id>") as
// {channel, id}; nullopt when the link names no message.
struct MessageRef {
  std::string channel;
  std::string id;
};
std::optional<MessageRef> message_ref(std::string_view href) {
  std::string_view path = href;
  if (const size_t scheme = path.find("://"); scheme != std::string_view::npos) {
    path.remove_prefix(scheme + 3);
    const size_t slash = path.find('/');
    if (slash == std::string_view::npos) return std::nullopt;
    path.remove_prefix(slash);
  }
  path = path.substr(0, path.find_first_of("?#"));
  const auto parts = split(path, '/');
  // "", channel, id  (a "/s/" preview link has one part more)
  std::vector<std::string> rest;
  for (const auto& p : parts) {
    if (!p.empty()) rest.push_back(p);
  }
  if (rest.size() == 3 && rest[0] == "s") rest.erase(rest.begin());
  if (rest.size() != 2) return std::nullopt;
  const auto id = parse_int64(rest[1]);
  if (!id || *id <= 0) return std::nullopt;
  return MessageRef{rest[0], std::to_string(*id)};
}

bool is_media(const xmlNode* n) {
  for (const char* cls : {"tgme_widget_message_photo_wrap", "tgme_widget_message_video_player",
                          "tgme_widget_message_video", "tgme_widget_message_document",
                          "tgme_widget_message_roundvideo_player", "tgme_widget_message_voice",
                          "tgme_widget_message_sticker_wrap", "tgme_widget_message_grouped_wrap",
                          "message_media_not_supported"}) {
    if (has_class(n, cls)) return true;
  }
  return false;
}

// Whether a link leaves Telegram (t.me links name channels and messages,
// "?q=%23tag" links are hashtags).
bool external_link(std::string_view href) {
  if (!starts_with(href, "http://") && !starts_with(href, "https://")) return false;
  const auto url = parse_url(href);
  if (!url) return false;
  return url->host != "t.me" && url->host != "telegram.me" && url->host != "telegram.org";
}

void read_message(xmlNode* m, std::string_view channel, PreviewPage& page) {
  const std::string post = attr(m, "data-post");
  const size_t slash = post.rfind('/');
  const auto id = slash == std::string::npos ? std::nullopt : parse_int64(post.substr(slash + 1));
  if (!id || *id <= 0) {
    page.skipped.push_back({"", "a message without a readable data-post id"});
    return;
  }
  for (const PostRecord& seen : page.posts) {
    if (seen.platform_post_id == std::to_string(*id)) page.repeated_id = *id;
  }
  page.min_id = page.min_id == 0 ? *id : std::min(page.min_id, *id);
  page.max_id = std::max(page.max_id, *id);
  if (*id == 1) page.first_message_seen = true;
  const std::string id_text = std::to_string(*id);
  const std::string own_channel = post.substr(0, slash);

  std::optional<TimeMs> created;
  if (xmlNode* date = first_by_class(m, "tgme_widget_message_date")) {
    if (xmlNode* time = first_tag(date, "time")) created = parse_iso8601(attr(time, "datetime"));
  }
  if (!created) {
    // Some layouts put the <time> straight into the meta block.
    if (xmlNode* meta = first_by_class(m, "tgme_widget_message_meta")) {
      if (xmlNode* time = first_tag(meta, "time")) created = parse_iso8601(attr(time, "datetime"));
    }
  }

  if (has_class(m, "service_message")) {
    xmlNode* text = first_by_class(m, "tgme_widget_message_text");
    const std::string what = to_lower_ascii(text != nullptr ? shown_text(text) : "");
    if (created && what.find("channel created") != std::string::npos) {
      page.created_at = page.created_at ? std::min(*page.created_at, *created) : *created;
    }
    return;  // no post of the account
  }
  if (!created) {
    page.skipped.push_back({id_text, "message " + id_text + " has no readable date"});
    return;
  }

  PostRecord p;
  p.platform_post_id = id_text;
  p.created_at = *created;
  p.url =
      "https://t.me/" + (own_channel.empty() ? std::string(channel) : own_channel) + "/" + id_text;
  // The text of the message itself, not the quoted text of a reply's parent.
  if (xmlNode* text = first_by_class(m, "tgme_widget_message_text",
                                     {"tgme_widget_message_reply", "link_preview_description"})) {
    p.text = shown_text(text);
    walk(text, [&](xmlNode* n) {
      if (is(n, "a")) {
        const std::string href = attr(n, "href");
        if (external_link(href)) p.has_link = true;
        const std::string label = shown_text(n);
        if (starts_with(label, "@")) ++p.mentions;
      }
      return true;
    });
  }
  if (first_by_class(m, "tgme_widget_message_link_preview") != nullptr) p.has_link = true;
  walk(m, [&](xmlNode* n) {
    if (is_media(n)) p.has_media = true;
    return !p.has_media;
  });

  if (xmlNode* fwd = first_by_class(m, "tgme_widget_message_forwarded_from")) {
    // A forward: the original's author and message where the preview links
    // them (a forward from a hidden user names no link).
    p.kind = PostKind::kRepost;
    p.parent_state = ParentState::kUnknown;
    if (xmlNode* from = first_by_class(fwd, "tgme_widget_message_forwarded_from_name")) {
      if (auto ref = message_ref(attr(from, "href"))) {
        p.parent_author_id = to_lower_ascii(ref->channel);
        p.parent_post_id = ref->channel + "/" + ref->id;
      }
    }
  } else if (xmlNode* reply = first_by_class(m, "tgme_widget_message_reply")) {
    // A reply in a channel answers a message of the channel itself (a
    // thread) or, rarely, one of another chat.
    p.parent_state = ParentState::kUnknown;
    p.kind = PostKind::kReplyUnknown;
    if (auto ref = message_ref(attr(reply, "href"))) {
      if (iequals(ref->channel, channel) || iequals(ref->channel, own_channel)) {
        p.kind = PostKind::kReplySelf;
        p.parent_post_id = ref->id;
        p.parent_author_id = to_lower_ascii(channel);
      } else {
        p.kind = PostKind::kReplyOther;
        p.parent_post_id = ref->channel + "/" + ref->id;
        p.parent_author_id = to_lower_ascii(ref->channel);
      }
    }
  }

  // Edited: the preview says "edited" and no time. A time where one is
  // given; otherwise the message's own time stands for "edited, when
  // unknown" (docs/platforms.md), stable from poll to poll.
  if (xmlNode* edited = first_by_class(m, "tgme_widget_message_edited")) {
    std::optional<TimeMs> when;
    if (xmlNode* time = first_tag(edited, "time")) when = parse_iso8601(attr(time, "datetime"));
    p.edited_at = when.value_or(*created);
  }

  if (p.kind != PostKind::kRepost) {
    // The counts of a forward belong to its author (core/model.h).
    if (xmlNode* views = first_by_class(m, "tgme_widget_message_views")) {
      if (auto count = parse_shown_count(shown_text(views))) {
        p.engagement.views = count->value;
        if (count->precision != CountPrecision::kExact) {
          page.views_approximate = true;
          p.quality |= kQualityCountsApproximate;  // "33.4K": stored as approximate
        }
      }
    }
  }
  page.posts.push_back(std::move(p));
}

}  // namespace

std::optional<ShownCount> parse_shown_count(std::string_view text) {
  std::string s;
  for (const char c : trim(text)) {
    if (c == ' ' || c == ',') continue;  // "1 234", "1,234"
    s += c;
  }
  // U+00A0 and U+202F (no-break spaces) as thousands separators.
  for (const std::string_view nbsp : {"\xC2\xA0", "\xE2\x80\xAF"}) {
    for (size_t at = s.find(nbsp); at != std::string::npos; at = s.find(nbsp))
      s.erase(at, nbsp.size());
  }
  if (s.empty()) return std::nullopt;
  int64_t scale = 1;
  const char last = s.back();
  if (last == 'K' || last == 'k') scale = 1000;
  if (last == 'M' || last == 'm') scale = 1000000;
  if (last == 'B' || last == 'b') scale = 1000000000;
  if (scale > 1) s.pop_back();
  if (s.empty() || s.size() > 24) return std::nullopt;
  if (scale == 1) {
    for (const char c : s) {
      if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
    }
    auto v = parse_count(s);
    if (!v) return std::nullopt;
    return ShownCount{*v, CountPrecision::kExact};
  }
  // digits, at most one '.', digits
  int dots = 0;
  for (const char c : s) {
    if (c == '.')
      ++dots;
    else if (!std::isdigit(static_cast<unsigned char>(c)))
      return std::nullopt;
  }
  if (dots > 1 || s.front() == '.' || s.back() == '.') return std::nullopt;
  const auto value = parse_double(s);
  if (!value || !std::isfinite(*value) || *value < 0) return std::nullopt;
  const double shown = *value * static_cast<double>(scale);
  if (shown >= 9.0e18) return ShownCount{INT64_MAX, CountPrecision::kApproximate};
  return ShownCount{static_cast<int64_t>(std::llround(shown)), CountPrecision::kApproximate};
}

Result<PreviewPage> parse_preview(std::string_view html, std::string_view channel) {
  Doc doc = parse_html(html);
  xmlNode* root = doc ? xmlDocGetRootElement(doc.get()) : nullptr;
  if (root == nullptr) return make_error(ErrorCode::kParse, "an empty or unreadable page");
  PreviewPage page;
  bool history = false;
  bool info = false;
  std::vector<xmlNode*> messages;
  walk(root, [&](xmlNode* n) {
    if (n->type != XML_ELEMENT_NODE) return n == root;
    if (has_class(n, "tgme_channel_history")) history = true;
    if (has_class(n, "tgme_channel_info")) info = true;
    if (has_class(n, "tgme_widget_message") && has_attr(n, "data-post")) {
      messages.push_back(n);
      return false;  // a message holds no messages
    }
    if (has_class(n, "tme_messages_more") && has_attr(n, "data-before")) {
      if (auto before = parse_int64(attr(n, "data-before")); before && *before > 0)
        page.before = page.before ? std::min(*page.before, *before) : *before;
    }
    if (has_class(n, "tgme_channel_info_counter")) {
      xmlNode* value = first_by_class(n, "counter_value");
      xmlNode* type = first_by_class(n, "counter_type");
      if (value != nullptr && type != nullptr &&
          starts_with(to_lower_ascii(shown_text(type)), "subscriber")) {
        page.subscribers = parse_shown_count(shown_text(value));
      }
      return false;
    }
    if (has_class(n, "tgme_channel_info_header_title")) {
      page.title = shown_text(n);
      return false;
    }
    return true;
  });
  if (!history && !info && messages.empty()) {
    return make_error(ErrorCode::kParse,
                      "not a Telegram channel preview (no messages and no channel header)");
  }
  for (xmlNode* m : messages) read_message(m, channel, page);
  std::sort(page.posts.begin(), page.posts.end(), [](const PostRecord& a, const PostRecord& b) {
    return a.platform_post_id.size() != b.platform_post_id.size()
               ? a.platform_post_id.size() < b.platform_post_id.size()
               : a.platform_post_id < b.platform_post_id;
  });
  return page;
}

ChannelPage parse_channel_page(std::string_view html) {
  ChannelPage out;
  Doc doc = parse_html(html);
  xmlNode* root = doc ? xmlDocGetRootElement(doc.get()) : nullptr;
  if (root == nullptr) return out;
  std::string extra;
  bool extra_seen = false;
  walk(root, [&](xmlNode* n) {
    if (n->type != XML_ELEMENT_NODE) return n == root;
    if (has_class(n, "tgme_page_title") && out.title.empty()) {
      out.title = shown_text(n);
      return false;
    }
    if (has_class(n, "tgme_page_extra") && !extra_seen) {
      extra = shown_text(n);
      extra_seen = true;
      return false;
    }
    if (is(n, "a")) {
      const std::string href = attr(n, "href");
      if (href.find("/s/") != std::string::npos) out.has_preview_link = true;
    }
    return true;
  });
  const std::string lower = to_lower_ascii(extra);
  if (const size_t at = lower.find("subscriber"); at != std::string::npos) {
    out.kind = ChannelPage::Kind::kChannel;
    // "12 345 subscribers": every digit before the word, separators left out.
    out.subscribers = parse_shown_count(trim(std::string_view(extra).substr(0, at)));
  } else if (lower.find("member") != std::string::npos) {
    out.kind = ChannelPage::Kind::kGroup;
  }
  return out;
}

bool looks_like_channel_page(std::string_view html) {
  return html.find("tgme_page_extra") != std::string_view::npos &&
         html.find("tgme_channel_history") == std::string_view::npos;
}

}  // namespace muni::telegram
