#include "connectors/bluesky/bluesky_parse.h"

#include "core/strings.h"

namespace muni::bluesky {

namespace {

Error bad(const std::string& what) { return make_error(ErrorCode::kParse, "bluesky: " + what); }

std::string type_of(const JsonValue& v) { return json_string(v, "$type").value_or(""); }

std::optional<TimeMs> time_member(const JsonValue& obj, std::string_view name) {
  auto text = json_string(obj, name);
  return text ? parse_iso8601(*text) : std::nullopt;
}

bool is_post_uri(std::string_view uri) {
  return uri.find("/app.bsky.feed.post/") != std::string_view::npos;
}

// The post an embed quotes, if it quotes a post (app.bsky.embed.record, or
// app.bsky.embed.recordWithMedia's inner record). Embedded feeds, lists and
// starter packs are also "records" but not quotes.
std::string quoted_uri(const JsonValue& record) {
  const JsonValue* embed = json_object(record, "embed");
  if (embed == nullptr) return "";
  const std::string t = type_of(*embed);
  const JsonValue* ref = nullptr;
  if (t == "app.bsky.embed.record") {
    ref = json_object(*embed, "record");
  } else if (t == "app.bsky.embed.recordWithMedia") {
    if (const JsonValue* outer = json_object(*embed, "record")) ref = json_object(*outer, "record");
  }
  if (ref == nullptr) return "";
  const std::string uri = json_string(*ref, "uri").value_or("");
  return is_post_uri(uri) ? uri : "";
}

// The quoted post's createdAt as hydrated in the postView's embed view.
std::optional<TimeMs> quoted_created_at(const JsonValue& post_view) {
  const JsonValue* embed = json_object(post_view, "embed");
  if (embed == nullptr) return std::nullopt;
  const JsonValue* view = json_object(*embed, "record");
  if (view != nullptr && type_of(*embed) == "app.bsky.embed.recordWithMedia#view")
    view = json_object(*view, "record");
  if (view == nullptr) return std::nullopt;
  if (const JsonValue* value = json_object(*view, "value")) {
    return time_member(*value, "createdAt");
  }
  return std::nullopt;
}

void fill_content(PostRecord& p, const JsonValue& post_view, const JsonValue& record,
                  std::string_view own_did) {
  p.text = json_string(record, "text").value_or("");
  if (const JsonValue* langs = json_array(record, "langs");
      langs != nullptr && !langs->Empty() && (*langs)[0].IsString()) {
    p.language = (*langs)[0].GetString();
  }
  if (const JsonValue* facets = json_array(record, "facets")) {
    for (const auto& f : facets->GetArray()) {
      const JsonValue* features = json_array(f, "features");
      if (features == nullptr) continue;
      for (const auto& feat : features->GetArray()) {
        const std::string t = type_of(feat);
        if (t == "app.bsky.richtext.facet#link") p.has_link = true;
        if (t == "app.bsky.richtext.facet#mention" &&
            json_string(feat, "did").value_or("") != own_did)
          ++p.mentions;
      }
    }
  }
  if (const JsonValue* embed = json_object(record, "embed")) {
    const std::string t = type_of(*embed);
    if (t == "app.bsky.embed.external") p.has_link = true;
    if (t == "app.bsky.embed.images" || t == "app.bsky.embed.video") p.has_media = true;
    if (t == "app.bsky.embed.recordWithMedia") {
      if (const JsonValue* media = json_object(*embed, "media")) {
        const std::string mt = type_of(*media);
        if (mt == "app.bsky.embed.external") {
          p.has_link = true;
        } else {
          p.has_media = true;
        }
      }
    }
  }
  (void)post_view;
}

Engagement counts_of(const JsonValue& post_view) {
  Engagement e;
  e.likes = json_int(post_view, "likeCount");
  e.replies = json_int(post_view, "replyCount");
  e.reposts = json_int(post_view, "repostCount");
  e.quotes = json_int(post_view, "quoteCount");
  return e;
}

// A postView as a counts-only record (getPosts, getPostThread); nullopt
// without a uri.
std::optional<PostRecord> counts_record(const JsonValue& post_view) {
  auto uri = post_view.IsObject() ? json_string(post_view, "uri") : std::nullopt;
  if (!uri) return std::nullopt;
  PostRecord p;
  p.platform_post_id = *uri;
  p.counts_only = true;
  p.engagement = counts_of(post_view);
  return p;
}

}  // namespace

std::string did_of_uri(std::string_view uri) {
  constexpr std::string_view kPrefix = "at://";
  if (!starts_with(uri, kPrefix)) return "";
  uri.remove_prefix(kPrefix.size());
  const std::string_view authority = uri.substr(0, uri.find('/'));
  return starts_with(authority, "did:") ? std::string(authority) : "";
}

std::string web_url_of(std::string_view uri) {
  constexpr std::string_view kPrefix = "at://";
  if (!starts_with(uri, kPrefix)) return "";
  const std::vector<std::string> parts = split(uri.substr(kPrefix.size()), '/');
  if (parts.size() != 3 || parts[1] != "app.bsky.feed.post") return "";
  return "https://bsky.app/profile/" + parts[0] + "/post/" + parts[2];
}

std::optional<XrpcError> parse_error(std::string_view body) {
  auto doc = parse_json(body);
  if (!doc.ok() || !(*doc)->IsObject()) return std::nullopt;
  auto error = json_string(**doc, "error");
  if (!error) return std::nullopt;
  return XrpcError{*error, json_string(**doc, "message").value_or("")};
}

namespace {

Result<AccountSnapshot> profile_of(const JsonValue& p) {
  if (!p.IsObject()) return bad("expected a profileViewDetailed object");
  auto did = json_string(p, "did");
  auto handle = json_string(p, "handle");
  if (!did || !handle) return bad("profile without did or handle");
  AccountSnapshot s;
  s.platform_id = *did;
  s.handle = *handle;
  s.display_name = json_string(p, "displayName").value_or("");
  s.profile_url = "https://bsky.app/profile/" + *did;
  s.followers = json_int(p, "followersCount");
  s.following = json_int(p, "followsCount");
  s.posts = json_int(p, "postsCount");
  // createdAt is the best available account start; whether it is the
  // account's or the profile record's creation is not documented.
  s.created_at = time_member(p, "createdAt");
  return s;
}

}  // namespace

Result<AccountSnapshot> parse_profile(std::string_view body) {
  MUNI_TRY(auto doc, parse_json(body));
  return profile_of(*doc);
}

Result<std::vector<AccountSnapshot>> parse_profiles(std::string_view body) {
  MUNI_TRY(auto doc, parse_json(body));
  const JsonValue* profiles = doc->IsObject() ? json_array(*doc, "profiles") : nullptr;
  if (profiles == nullptr) return bad("getProfiles response has no profiles array");
  std::vector<AccountSnapshot> out;
  for (const auto& p : profiles->GetArray()) {
    auto snap = profile_of(p);
    if (snap.ok()) out.push_back(std::move(*snap));  // an unusable entry is as if not sent
  }
  return out;
}

Result<FeedItem> parse_feed_item(const JsonValue& item, std::string_view own_did) {
  const JsonValue* post = json_object(item, "post");
  if (post == nullptr) return bad("feed item without post");
  const JsonValue* record = json_object(*post, "record");
  auto uri = json_string(*post, "uri");
  const JsonValue* author = json_object(*post, "author");
  if (record == nullptr || !uri || author == nullptr)
    return bad("postView without uri, author or record");
  const std::string author_did = json_string(*author, "did").value_or("");
  const auto indexed_at = time_member(*post, "indexedAt");
  const auto record_created = time_member(*record, "createdAt");
  if (!record_created && !indexed_at)
    return bad("post " + *uri + " has no readable createdAt or indexedAt");

  FeedItem out;
  PostRecord& p = out.post;
  p.url = web_url_of(*uri);

  const JsonValue* reason = json_object(item, "reason");
  const std::string reason_type = reason != nullptr ? type_of(*reason) : "";
  if (reason_type == "app.bsky.feed.defs#reasonRepost") {
    // The post is someone else's (or an own post reposted); the feed entry is
    // the repost, made at reason.indexedAt.
    const JsonValue* by = json_object(*reason, "by");
    const std::string by_did = by != nullptr ? json_string(*by, "did").value_or("") : "";
    const auto repost_at = time_member(*reason, "indexedAt");
    if (!repost_at) return bad("repost of " + *uri + " without indexedAt");
    p.kind = PostKind::kRepost;
    // Newer AppViews send the repost record's own uri; otherwise one repost
    // per (account, post) is what atproto allows, so this key is stable.
    p.platform_post_id =
        json_string(*reason, "uri")
            .value_or("repost:" + (by_did.empty() ? std::string(own_did) : by_did) + ":" + *uri);
    p.created_at = *repost_at;
    p.parent_post_id = *uri;
    p.parent_author_id = author_did;
    p.parent_created_at = record_created;
    p.parent_state = ParentState::kVisible;
    fill_content(p, *post, *record, own_did);
    out.key = p.platform_post_id;
    out.sort_at = p.created_at;
    return out;
  }

  p.platform_post_id = *uri;
  // createdAt is client-supplied and may lie; the feed sorts by the earlier
  // of createdAt and indexedAt (bsky-docs advanced-guides/timestamps.md).
  // indexedAt is the AppView's own time: the page guard falls back to it
  // when createdAt is implausible (a backdated import, 0001-01-01).
  p.created_at = record_created.value_or(*indexed_at);
  p.created_at_evidence = indexed_at;
  out.key = *uri;
  out.sort_at =
      std::min(record_created.value_or(*indexed_at), indexed_at.value_or(*record_created));
  fill_content(p, *post, *record, own_did);
  p.engagement = counts_of(*post);

  const std::string quote = quoted_uri(*record);
  if (const JsonValue* reply_ref = json_object(*record, "reply")) {
    const JsonValue* parent_ref = json_object(*reply_ref, "parent");
    const std::string parent_uri =
        parent_ref != nullptr ? json_string(*parent_ref, "uri").value_or("") : "";
    p.parent_post_id = parent_uri;
    p.parent_author_id = did_of_uri(parent_uri);
    p.parent_state = ParentState::kUnknown;
    // The hydrated parent (feedViewPost.reply.parent) says whether it is
    // still visible, and when it was written.
    const JsonValue* hydrated = json_object(item, "reply");
    const JsonValue* parent_view = hydrated != nullptr ? json_object(*hydrated, "parent") : nullptr;
    if (parent_view != nullptr) {
      const std::string t = type_of(*parent_view);
      if (t == "app.bsky.feed.defs#notFoundPost") {
        p.parent_state = ParentState::kDeleted;
      } else if (t == "app.bsky.feed.defs#blockedPost") {
        p.parent_state = ParentState::kBlocked;
        if (const JsonValue* ba = json_object(*parent_view, "author")) {
          p.parent_author_id = json_string(*ba, "did").value_or(p.parent_author_id);
        }
      } else if (const JsonValue* pa = json_object(*parent_view, "author")) {
        p.parent_state = ParentState::kVisible;
        p.parent_author_id = json_string(*pa, "did").value_or(p.parent_author_id);
        if (const JsonValue* pr = json_object(*parent_view, "record"))
          p.parent_created_at = time_member(*pr, "createdAt");
      }
    }
    if (p.parent_state == ParentState::kDeleted || p.parent_state == ParentState::kBlocked) {
      // The parent cannot be seen: its target is unknown for dialogue metrics
      // (its author's DID stays stored, taken from the AT-URI).
      p.kind = p.parent_author_id == own_did ? PostKind::kReplySelf : PostKind::kReplyUnknown;
    } else if (p.parent_author_id.empty()) {
      p.kind = PostKind::kReplyUnknown;
    } else {
      p.kind = p.parent_author_id == own_did ? PostKind::kReplySelf : PostKind::kReplyOther;
    }
    if (!quote.empty()) p.quoted_post_id = quote;
    return out;
  }
  if (!quote.empty()) {
    p.kind = PostKind::kQuote;
    p.quoted_post_id = quote;
    p.parent_post_id = quote;
    p.parent_author_id = did_of_uri(quote);
    p.parent_created_at = quoted_created_at(*post);
    p.parent_state = p.parent_created_at ? ParentState::kVisible : ParentState::kUnknown;
    return out;
  }
  p.kind = PostKind::kOriginal;
  return out;
}

Result<FeedPage> parse_author_feed(std::string_view body, std::string_view own_did) {
  MUNI_TRY(auto doc, parse_json(body));
  if (!doc->IsObject()) return bad("expected {feed, cursor}");
  const JsonValue* feed = json_array(*doc, "feed");
  if (feed == nullptr) return bad("response has no feed array");
  FeedPage page;
  page.cursor = json_string(*doc, "cursor").value_or("");
  page.items.reserve(feed->Size());
  for (const auto& item : feed->GetArray()) {
    if (const JsonValue* reason = json_object(item, "reason")) {
      // Pinned posts are only sent with includePins=true; muniscope does not
      // ask for them, but skips them if a server sends them anyway: they
      // repeat a post out of order.
      if (type_of(*reason) == "app.bsky.feed.defs#reasonPin") continue;
    }
    auto fi = parse_feed_item(item, own_did);
    if (!fi.ok()) {
      // One unreadable entry must not stall the rest of the page.
      const JsonValue* post = json_object(item, "post");
      page.skipped.push_back(
          {post != nullptr ? json_string(*post, "uri").value_or("") : "", fi.error().message});
      continue;
    }
    page.items.push_back(std::move(*fi));
  }
  return page;
}

Result<std::vector<PostRecord>> parse_posts_counts(std::string_view body) {
  MUNI_TRY(auto doc, parse_json(body));
  const JsonValue* posts = doc->IsObject() ? json_array(*doc, "posts") : nullptr;
  if (posts == nullptr) return bad("getPosts response has no posts array");
  std::vector<PostRecord> out;
  for (const auto& pv : posts->GetArray()) {
    auto p = counts_record(pv);
    if (p) out.push_back(std::move(*p));  // else unusable: the post counts as not returned
  }
  return out;
}

PostCheck read_post_thread(int http_status, std::string_view body, std::string_view uri) {
  PostCheck out;
  const auto xrpc = parse_error(body);
  if (http_status != 200) {
    if (http_status == 400 && xrpc && xrpc->error == "NotFound") {
      out.verdict = PostCheck::Verdict::kNotFound;
    } else {
      out.detail =
          "HTTP " + std::to_string(http_status) +
          (xrpc ? " " + xrpc->error + (xrpc->message.empty() ? "" : " (" + xrpc->message + ")")
                : std::string());
    }
    return out;
  }
  auto doc = parse_json(body);
  if (!doc.ok()) {
    out.detail = doc.error().message;
    return out;
  }
  const JsonValue* thread = (*doc)->IsObject() ? json_object(**doc, "thread") : nullptr;
  if (thread == nullptr) {
    out.detail = "the answer has no thread";
    return out;
  }
  const std::string type = type_of(*thread);
  if (type == "app.bsky.feed.defs#notFoundPost") {
    if (json_string(*thread, "uri").value_or("") == uri) {
      out.verdict = PostCheck::Verdict::kNotFound;
    } else {
      out.detail = "a notFoundPost for another URI";
    }
    return out;
  }
  if (type == "app.bsky.feed.defs#blockedPost") {
    out.detail = "the post is shown as blocked";
    return out;
  }
  const JsonValue* post = json_object(*thread, "post");
  auto record = post != nullptr ? counts_record(*post) : std::nullopt;
  if (!record) {
    out.detail = "the thread has no readable post";
  } else if (record->platform_post_id != uri) {
    out.detail = "the thread is another post";
  } else {
    out.verdict = PostCheck::Verdict::kShown;
    out.post = std::move(*record);
  }
  return out;
}

}  // namespace muni::bluesky
