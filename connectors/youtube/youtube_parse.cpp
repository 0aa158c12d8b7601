#include "connectors/youtube/youtube_parse.h"

#include "core/html_text.h"
#include "core/json.h"
#include "core/strings.h"
#include "core/xml.h"

namespace muni::youtube {

namespace {

constexpr const char* kAtom = "http://www.w3.org/2005/Atom";
constexpr const char* kYt = "http://www.youtube.com/xml/schemas/2015";
constexpr const char* kMedia = "http://search.yahoo.com/mrss/";

Error bad(const std::string& what) { return make_error(ErrorCode::kParse, "youtube: " + what); }

std::optional<TimeMs> time_of(const JsonValue& obj, std::string_view name) {
  const auto text = json_string(obj, name);
  return text ? parse_iso8601(*text) : std::nullopt;
}

std::string watch_url(const std::string& id) { return "https://www.youtube.com/watch?v=" + id; }

CommentRecord comment_of(const JsonValue& comment, std::string_view video_id,
                         std::string_view channel_id) {
  CommentRecord c;
  c.platform_comment_id = json_string(comment, "id").value_or("");
  const JsonValue* snippet = json_object(comment, "snippet");
  if (snippet == nullptr) return c;
  c.on_post_id = json_string(*snippet, "videoId").value_or(std::string(video_id));
  if (const JsonValue* author = json_object(*snippet, "authorChannelId"))
    c.author_id = json_string(*author, "value").value_or("");
  c.by_account = !channel_id.empty() && c.author_id == channel_id;
  c.reply_to_comment_id = json_string(*snippet, "parentId").value_or("");
  c.created_at = time_of(*snippet, "publishedAt").value_or(0);
  const auto updated = time_of(*snippet, "updatedAt");
  if (updated && *updated != c.created_at) c.edited_at = updated;
  c.text = json_string(*snippet, "textOriginal").value_or("");
  c.likes = json_count(*snippet, "likeCount");
  return c;
}

}  // namespace

Result<std::vector<Channel>> parse_channels(std::string_view body) {
  MUNI_TRY(auto doc, parse_json(body));
  if (!doc->IsObject() || json_string(*doc, "kind").value_or("") != "youtube#channelListResponse")
    return bad("expected a channelListResponse");
  std::vector<Channel> out;
  const JsonValue* items = json_array(*doc, "items");
  if (items == nullptr) return out;  // "no such channel" comes as HTTP 200 without items
  for (const auto& it : items->GetArray()) {
    const auto id = json_string(it, "id");
    if (!id) continue;
    Channel ch;
    AccountSnapshot& s = ch.snapshot;
    s.platform_id = *id;
    s.profile_url = "https://www.youtube.com/channel/" + *id;
    if (const JsonValue* sn = json_object(it, "snippet")) {
      s.display_name = json_string(*sn, "title").value_or("");
      s.handle = json_string(*sn, "customUrl").value_or("");
      // Older answers wrote customUrl without the '@' (sample
      // channels_list_single_statistics.json).
      if (!s.handle.empty() && s.handle[0] != '@') s.handle = "@" + s.handle;
      s.handle = to_lower_ascii(s.handle);
      s.created_at = time_of(*sn, "publishedAt");
    }
    if (const JsonValue* cd = json_object(it, "contentDetails")) {
      if (const JsonValue* rp = json_object(*cd, "relatedPlaylists"))
        ch.uploads = json_string(*rp, "uploads").value_or("");
    }
    if (const JsonValue* st = json_object(it, "statistics")) {
      // subscriberCount is rounded to three significant figures; when the
      // owner hides it, it means nothing.
      if (!json_bool(*st, "hiddenSubscriberCount").value_or(false)) {
        s.followers = json_count(*st, "subscriberCount");
        s.followers_precision = CountPrecision::kRounded;
      }
      s.posts = json_count(*st, "videoCount");
      ch.video_count = s.posts;
      s.counters.push_back({"views", json_count(*st, "viewCount"), CountPrecision::kExact});
    }
    out.push_back(std::move(ch));
  }
  return out;
}

Result<PlaylistPage> parse_playlist_items(std::string_view body) {
  MUNI_TRY(auto doc, parse_json(body));
  if (!doc->IsObject() ||
      json_string(*doc, "kind").value_or("") != "youtube#playlistItemListResponse")
    return bad("expected a playlistItemListResponse");
  PlaylistPage page;
  page.next_page_token = json_string(*doc, "nextPageToken").value_or("");
  if (const JsonValue* info = json_object(*doc, "pageInfo"))
    page.total = json_count(*info, "totalResults");
  const JsonValue* items = json_array(*doc, "items");
  if (items == nullptr) return page;
  for (const auto& it : items->GetArray()) {
    PlaylistItem item;
    if (const JsonValue* cd = json_object(it, "contentDetails")) {
      item.video_id = json_string(*cd, "videoId").value_or("");
      // The video's own time; snippet.publishedAt is when it joined the playlist.
      item.published_at = time_of(*cd, "videoPublishedAt");
    }
    if (const JsonValue* sn = json_object(it, "snippet")) {
      item.title = json_string(*sn, "title").value_or("");
      if (item.video_id.empty()) {
        if (const JsonValue* rid = json_object(*sn, "resourceId"))
          item.video_id = json_string(*rid, "videoId").value_or("");
      }
    }
    if (!item.video_id.empty()) page.items.push_back(std::move(item));
  }
  return page;
}

Result<Videos> parse_videos(std::string_view body, bool counts_only) {
  MUNI_TRY(auto doc, parse_json(body));
  if (!doc->IsObject() || json_string(*doc, "kind").value_or("") != "youtube#videoListResponse")
    return bad("expected a videoListResponse");
  Videos out;
  const JsonValue* items = json_array(*doc, "items");
  if (items == nullptr) return out;
  for (const auto& it : items->GetArray()) {
    const auto id = json_string(it, "id");
    if (!id) {
      out.skipped.push_back({"", "video without id"});
      continue;
    }
    PostRecord p;
    p.platform_post_id = *id;
    p.item_type = kItemVideo;
    p.counts_only = counts_only;
    p.url = watch_url(*id);
    const JsonValue* sn = json_object(it, "snippet");
    if (sn != nullptr) {
      const std::string live = json_string(*sn, "liveBroadcastContent").value_or("none");
      if (live != "none") {
        // A scheduled premiere or a stream still on air: not published yet.
        out.upcoming.push_back(*id);
        continue;
      }
      p.title = json_string(*sn, "title").value_or("");
      p.text = json_string(*sn, "description").value_or("");
      p.language = json_string(*sn, "defaultLanguage")
                       .value_or(json_string(*sn, "defaultAudioLanguage").value_or(""));
      if (const auto t = time_of(*sn, "publishedAt")) p.created_at = *t;
    }
    if (!counts_only && p.created_at == 0) {
      out.skipped.push_back({*id, "video without a readable publishedAt"});
      continue;
    }
    p.has_media = true;
    p.has_link =
        p.text.find("http://") != std::string::npos || p.text.find("https://") != std::string::npos;
    if (const JsonValue* st = json_object(it, "statistics")) {
      p.engagement.views = json_count(*st, "viewCount");
      p.engagement.likes = json_count(*st, "likeCount");
      p.engagement.replies = json_count(*st, "commentCount");
    }
    out.posts.push_back(std::move(p));
  }
  return out;
}

Result<CommentPage> parse_comment_threads(std::string_view body, std::string_view channel_id) {
  MUNI_TRY(auto doc, parse_json(body));
  if (!doc->IsObject() ||
      json_string(*doc, "kind").value_or("") != "youtube#commentThreadListResponse")
    return bad("expected a commentThreadListResponse");
  CommentPage page;
  page.next_page_token = json_string(*doc, "nextPageToken").value_or("");
  const JsonValue* items = json_array(*doc, "items");
  if (items == nullptr) return page;
  for (const auto& thread : items->GetArray()) {
    const JsonValue* sn = json_object(thread, "snippet");
    if (sn == nullptr) continue;
    const std::string video = json_string(*sn, "videoId").value_or("");
    const JsonValue* top = json_object(*sn, "topLevelComment");
    if (top == nullptr) continue;
    CommentRecord c = comment_of(*top, video, channel_id);
    if (c.platform_comment_id.empty() || c.created_at == 0) continue;
    const std::string thread_id = c.platform_comment_id;
    page.comments.push_back(std::move(c));
    size_t included = 0;
    if (const JsonValue* replies = json_object(thread, "replies")) {
      if (const JsonValue* list = json_array(*replies, "comments")) {
        for (const auto& r : list->GetArray()) {
          CommentRecord rc = comment_of(r, video, channel_id);
          if (rc.reply_to_comment_id.empty()) rc.reply_to_comment_id = thread_id;
          if (rc.platform_comment_id.empty() || rc.created_at == 0) continue;
          page.comments.push_back(std::move(rc));
          ++included;
        }
      }
    }
    // The replies part is a subset: page through comments.list for the rest.
    const auto total = json_count(*sn, "totalReplyCount").value_or(0);
    if (total > static_cast<int64_t>(included)) page.threads_with_more_replies.push_back(thread_id);
  }
  return page;
}

Result<CommentPage> parse_comments(std::string_view body, std::string_view channel_id) {
  MUNI_TRY(auto doc, parse_json(body));
  if (!doc->IsObject() || json_string(*doc, "kind").value_or("") != "youtube#commentListResponse")
    return bad("expected a commentListResponse");
  CommentPage page;
  page.next_page_token = json_string(*doc, "nextPageToken").value_or("");
  const JsonValue* items = json_array(*doc, "items");
  if (items == nullptr) return page;
  for (const auto& it : items->GetArray()) {
    CommentRecord c = comment_of(it, "", channel_id);
    if (c.platform_comment_id.empty() || c.created_at == 0) continue;
    page.comments.push_back(std::move(c));
  }
  return page;
}

Result<size_t> count_items(std::string_view body, std::string_view kind) {
  MUNI_TRY(auto doc, parse_json(body));
  if (!doc->IsObject() || json_string(*doc, "kind").value_or("") != kind)
    return bad("expected a " + std::string(kind));
  const JsonValue* items = json_array(*doc, "items");
  return items == nullptr ? size_t{0} : static_cast<size_t>(items->Size());
}

std::optional<ApiError> parse_error(std::string_view body) {
  auto doc = parse_json(body);
  if (!doc.ok() || !(*doc)->IsObject()) return std::nullopt;
  const JsonValue* e = json_object(**doc, "error");
  if (e == nullptr) return std::nullopt;
  ApiError out;
  out.code = static_cast<int>(json_int(*e, "code").value_or(0));
  out.message = html_to_text(json_string(*e, "message").value_or(""));
  if (const JsonValue* errors = json_array(*e, "errors"); errors != nullptr && !errors->Empty()) {
    out.reason = json_string((*errors)[0], "reason").value_or("");
  }
  return out;
}

Result<Feed> parse_feed(std::string_view body) {
  MUNI_TRY(XmlDocument doc, XmlDocument::parse_xml(body));
  const XmlNode feed = doc.root();
  if (feed.name() != "feed" || feed.ns() != kAtom) {
    return bad("expected an Atom feed, got <" + feed.name() + ">" +
               (feed.name() == "html" ? " (an HTML page)" : ""));
  }
  Feed out;
  AccountSnapshot& s = out.snapshot;
  // The feed-level yt:channelId lacks the "UC" prefix that entries carry.
  const std::string channel(trim(feed.child_text("channelId", kYt)));
  if (!channel.empty()) s.platform_id = starts_with(channel, "UC") ? channel : "UC" + channel;
  s.display_name = std::string(trim(feed.child_text("title", kAtom)));
  if (!s.platform_id.empty()) s.profile_url = "https://www.youtube.com/channel/" + s.platform_id;
  s.created_at = parse_iso8601(trim(feed.child_text("published", kAtom)));
  for (const XmlNode& entry : feed.children("entry", kAtom)) {
    const std::string id(trim(entry.child_text("videoId", kYt)));
    if (id.empty()) {
      out.skipped.push_back({"", "feed entry without yt:videoId"});
      continue;
    }
    PostRecord p;
    p.platform_post_id = id;
    p.item_type = kItemVideo;
    p.title = std::string(trim(entry.child_text("title", kAtom)));
    p.url = watch_url(id);
    for (const XmlNode& link : entry.children("link", kAtom)) {
      if (link.attr("rel").value_or("alternate") == "alternate")
        p.url = link.attr("href").value_or(p.url);  // /shorts/<id> for Shorts
    }
    const auto published = parse_iso8601(trim(entry.child_text("published", kAtom)));
    if (!published) {
      out.skipped.push_back({id, "feed entry without a readable <published>"});
      continue;
    }
    p.created_at = *published;
    p.has_media = true;
    const XmlNode group = entry.child("group", kMedia);
    p.text = group.child_text("description", kMedia);
    const XmlNode community = group.child("community", kMedia);
    // Counts through the one saturating parser (core/strings.h parse_count),
    // as json_count does for the API: the page guard judges the value.
    if (const auto views = community.child("statistics", kMedia).attr("views"))
      p.engagement.views = parse_count(*views);
    // starRating count is the like count since dislikes were hidden.
    if (const auto likes = community.child("starRating", kMedia).attr("count"))
      p.engagement.likes = parse_count(*likes);
    out.posts.push_back(std::move(p));
  }
  return out;
}

}  // namespace muni::youtube
