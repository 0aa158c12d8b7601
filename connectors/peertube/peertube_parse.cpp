#include "connectors/peertube/peertube_parse.h"

#include <functional>
#include <set>

#include "core/json.h"
#include "core/strings.h"

namespace muni::peertube {

namespace {

Error bad(const std::string& what) { return make_error(ErrorCode::kParse, "peertube: " + what); }

std::optional<TimeMs> time_of(const JsonValue& obj, std::string_view name) {
  const auto text = json_string(obj, name);
  return text ? parse_iso8601(*text) : std::nullopt;
}

// Ids are JSON numbers (instance-local ids) or strings (uuids).
std::optional<std::string> id_text(const JsonValue& obj, std::string_view name) {
  if (const auto n = json_int(obj, name)) return std::to_string(*n);
  if (auto s = json_string(obj, name); s && !s->empty()) return s;
  return std::nullopt;
}

// "name@host", lower-cased, of an Account or AccountSummary; "" when either
// part is missing.
std::string actor_key(const JsonValue* account) {
  if (account == nullptr || !account->IsObject()) return "";
  const auto name = json_string(*account, "name");
  const auto host = json_string(*account, "host");
  if (!name || !host || name->empty() || host->empty()) return "";
  return to_lower_ascii(*name + "@" + *host);
}

bool has_link(const std::string& text) {
  return text.find("http://") != std::string::npos || text.find("https://") != std::string::npos;
}

Result<ActorInfo> actor(std::string_view body, bool channel) {
  MUNI_TRY(auto doc, parse_json(body));
  const JsonValue& a = *doc;
  const char* what = channel ? "VideoChannel" : "Account";
  if (!a.IsObject()) return bad(std::string("expected an ") + what + " object");
  ActorInfo info;
  info.name = json_string(a, "name").value_or("");
  info.host = to_lower_ascii(json_string(a, "host").value_or(""));
  if (info.name.empty() || info.host.empty())
    return bad(std::string(what) + " without name or host");
  AccountSnapshot& s = info.snapshot;
  s.handle = info.name + "@" + info.host;
  s.platform_id = (channel ? "channel:" : "") + s.handle;
  s.display_name = json_string(a, "displayName").value_or("");
  s.profile_url = json_string(a, "url").value_or("");
  s.followers = json_count(a, "followersCount");
  s.following = json_count(a, "followingCount");
  s.created_at = time_of(a, "createdAt");
  // videosCount is sent for channels asked withStats (and by newer
  // instances); absent stays unknown.
  s.posts = json_count(a, "videosCount");
  if (channel) {
    info.owner = actor_key(json_object(a, "ownerAccount"));
    if (const auto views = json_count(a, "totalViews"))
      s.counters.push_back({"views", views, CountPrecision::kExact});
  } else {
    info.owner = to_lower_ascii(s.handle);
  }
  return info;
}

// A Video (list entry or details) -> a post; nullopt with `why` when it
// cannot be read.
std::optional<PostRecord> video_of(const JsonValue& v, bool counts_only, std::string& why) {
  PostRecord p;
  const auto uuid = json_string(v, "uuid");
  if (!uuid || uuid->empty()) {
    why = "video without uuid";
    return std::nullopt;
  }
  p.platform_post_id = *uuid;
  p.item_type = kItemVideo;
  p.counts_only = counts_only;
  p.title = json_string(v, "name").value_or("");
  // truncatedDescription since 5.0 in lists, description in details.
  p.text =
      json_string(v, "description").value_or(json_string(v, "truncatedDescription").value_or(""));
  p.url = json_string(v, "url").value_or("");
  if (const JsonValue* lang = json_object(v, "language")) {
    if (auto id = json_string(*lang, "id")) p.language = *id;
  }
  if (const auto t = time_of(v, "publishedAt")) p.created_at = *t;
  if (!counts_only && p.created_at == 0) {
    why = "video without a readable publishedAt";
    return std::nullopt;
  }
  const auto updated = time_of(v, "updatedAt");
  (void)updated;  // updatedAt moves with every view count: not an edit
  p.has_media = true;
  p.has_link = has_link(p.text);
  p.engagement.views = json_count(v, "views");
  p.engagement.likes = json_count(v, "likes");
  p.engagement.replies = json_count(v, "comments");  // PeerTube >= 7.2; absent: unknown
  return p;
}

std::optional<CommentRecord> comment_of(const JsonValue& c, std::string_view video_id,
                                        std::string_view owner) {
  const auto id = id_text(c, "id");
  const auto created = time_of(c, "createdAt");
  if (!id || !created) return std::nullopt;
  CommentRecord r;
  r.platform_comment_id = *id;
  r.on_post_id = std::string(video_id);
  r.author_id = actor_key(json_object(c, "account"));
  r.by_account = !owner.empty() && !r.author_id.empty() && r.author_id == owner;
  r.reply_to_comment_id = id_text(c, "inReplyToCommentId").value_or("");
  r.created_at = *created;
  const auto updated = time_of(c, "updatedAt");
  if (updated && *updated > *created) r.edited_at = updated;
  r.text = json_string(c, "text").value_or("");
  return r;  // PeerTube comments have no likes: likes stays unknown
}

bool is_deleted(const JsonValue& c) {
  return json_bool(c, "isDeleted").value_or(false) || json_string(c, "deletedAt").has_value();
}

}  // namespace

std::optional<Problem> parse_problem(std::string_view body) {
  auto doc = parse_json(body);
  if (!doc.ok() || !(*doc)->IsObject()) return std::nullopt;
  const JsonValue& d = **doc;
  Problem p;
  p.status = static_cast<int>(json_int(d, "status").value_or(0));
  p.title = json_string(d, "title").value_or("");
  p.detail = json_string(d, "detail").value_or(json_string(d, "error").value_or(""));
  p.type = json_string(d, "type").value_or("");
  p.code = json_string(d, "code").value_or("");
  if (p.status == 0 && p.title.empty() && p.detail.empty() && p.type.empty()) return std::nullopt;
  return p;
}

std::string error_text(std::string_view body) {
  const auto p = parse_problem(body);
  if (!p) return "";
  std::string out = p->title;
  if (!p->detail.empty()) out += (out.empty() ? "" : ": ") + p->detail;
  if (!p->code.empty()) out += " (" + p->code + ")";
  return out.substr(0, 300);
}

Result<ActorInfo> parse_account(std::string_view body) { return actor(body, false); }
Result<ActorInfo> parse_channel(std::string_view body) { return actor(body, true); }

Result<VideoPage> parse_videos(std::string_view body, bool counts_only) {
  MUNI_TRY(auto doc, parse_json(body));
  if (!doc->IsObject()) return bad("expected a video list {total, data}");
  const JsonValue* data = json_array(*doc, "data");
  if (data == nullptr) return bad("video list without data");
  VideoPage page;
  page.total = json_count(*doc, "total");
  for (const auto& v : data->GetArray()) {
    ++page.items;
    if (!v.IsObject()) {
      page.skipped.push_back({"", "a list entry that is not a video"});
      continue;
    }
    std::string why;
    auto post = video_of(v, counts_only, why);
    if (!post) {
      page.skipped.push_back({json_string(v, "uuid").value_or(""), why});
      continue;
    }
    page.posts.push_back(std::move(*post));
  }
  return page;
}

Result<VideoDetails> parse_video(std::string_view body) {
  MUNI_TRY(auto doc, parse_json(body));
  if (!doc->IsObject()) return bad("expected a Video object");
  std::string why;
  auto post = video_of(*doc, false, why);
  if (!post) return bad(why);
  VideoDetails d;
  d.post = std::move(*post);
  if (const JsonValue* policy = json_object(*doc, "commentsPolicy")) {
    // VideoCommentPolicy: 1 enabled, 2 disabled, 3 requires approval.
    if (const auto id = json_int(*policy, "id")) d.comments_disabled = *id == 2;
  }
  if (!d.comments_disabled) {
    if (const auto enabled = json_bool(*doc, "commentsEnabled")) d.comments_disabled = !*enabled;
  }
  return d;
}

Result<ThreadPage> parse_comment_threads(std::string_view body, std::string_view video_id,
                                         std::string_view owner) {
  MUNI_TRY(auto doc, parse_json(body));
  if (!doc->IsObject()) return bad("expected a comment thread list {total, data}");
  const JsonValue* data = json_array(*doc, "data");
  if (data == nullptr) return bad("comment thread list without data");
  ThreadPage page;
  page.total = json_count(*doc, "total");
  for (const auto& c : data->GetArray()) {
    ++page.items;
    if (!c.IsObject()) continue;
    ThreadRoot t;
    const auto id = id_text(c, "id");
    if (!id) continue;
    t.id = *id;
    t.deleted = is_deleted(c);
    t.total_replies = std::max<int64_t>(0, json_count(c, "totalReplies").value_or(0));
    if (!t.deleted) {
      t.comment = comment_of(c, video_id, owner);
      // A root answers nothing, whatever a server says.
      if (t.comment) t.comment->reply_to_comment_id.clear();
    }
    page.threads.push_back(std::move(t));
  }
  return page;
}

Result<ThreadTree> parse_comment_tree(std::string_view body, std::string_view video_id,
                                      std::string_view owner) {
  MUNI_TRY(auto doc, parse_json(body));
  if (!doc->IsObject()) return bad("expected a comment thread tree {comment, children}");
  const JsonValue* root = json_object(*doc, "comment");
  if (root == nullptr) return bad("comment thread tree without its comment");
  const auto root_id = id_text(*root, "id");
  if (!root_id) return bad("comment thread tree whose comment has no id");
  ThreadTree tree;
  // Every id once: a node repeating an id seen before (a hostile or broken
  // tree) is left out with what hangs below it, so no comment answers itself
  // or a tombstone.
  std::set<std::string> seen{*root_id};
  // Depth-first over the children; `above` is the nearest comment above
  // that is not deleted (or the root's id). The JSON parser bounds the
  // nesting, and so this recursion.
  std::function<void(const JsonValue&, const std::string&)> walk = [&](const JsonValue& node,
                                                                       const std::string& above) {
    const JsonValue* children = json_array(node, "children");
    if (children == nullptr) return;
    for (const auto& child : children->GetArray()) {
      if (!child.IsObject()) continue;
      const JsonValue* c = json_object(child, "comment");
      if (c == nullptr) continue;
      ++tree.descendants;
      const auto id = id_text(*c, "id");
      if (!id || !seen.insert(*id).second) continue;
      if (is_deleted(*c)) {
        tree.deleted_ids.push_back(*id);
        walk(child, above);
        continue;
      }
      auto r = comment_of(*c, video_id, owner);
      if (!r) {
        walk(child, above);
        continue;
      }
      r->reply_to_comment_id = above;
      tree.replies.push_back(std::move(*r));
      walk(child, *id);
    }
  };
  walk(*doc, *root_id);
  return tree;
}

Result<std::string> parse_config(std::string_view body) {
  MUNI_TRY(auto doc, parse_json(body));
  if (!doc->IsObject()) return bad("expected the instance configuration object");
  return json_string(*doc, "serverVersion").value_or("");
}

std::optional<int> version_number(std::string_view version) {
  const auto parts = split(version, '.');
  if (parts.size() < 2) return std::nullopt;
  const auto major = parse_int64(parts[0]);
  // "7.2.0-rc.1": the minor part is the digits before anything else.
  std::string minor_digits;
  for (const char c : parts[1]) {
    if (c < '0' || c > '9') break;
    minor_digits += c;
  }
  const auto minor = parse_int64(minor_digits);
  if (!major || !minor || *major < 0 || *major > 1000 || *minor < 0 || *minor > 999)
    return std::nullopt;
  return static_cast<int>(*major * 1000 + *minor);
}

}  // namespace muni::peertube
