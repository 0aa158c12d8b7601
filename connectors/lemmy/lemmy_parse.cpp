#include "connectors/lemmy/lemmy_parse.h"

#include <algorithm>
#include <map>

#include "core/json.h"
#include "core/strings.h"
#include "core/time_util.h"

namespace muni::lemmy {

namespace {

Error bad(const std::string& what) { return make_error(ErrorCode::kParse, "lemmy: " + what); }

// Lemmy 1.0 names first, then 0.19's. Times before 0.19 were written
// without a zone (UTC): parse_iso8601_utc reads both.
std::optional<TimeMs> time_of(const JsonValue& obj, std::string_view now_name,
                              std::string_view old_name) {
  auto text = json_string(obj, now_name);
  if (!text) text = json_string(obj, old_name);
  return text ? parse_iso8601_utc(*text) : std::nullopt;
}
std::optional<TimeMs> published(const JsonValue& obj) {
  return time_of(obj, "published_at", "published");
}
std::optional<TimeMs> updated(const JsonValue& obj) {
  return time_of(obj, "updated_at", "updated");
}
std::string ap_id(const JsonValue& obj) {
  if (auto s = json_string(obj, "ap_id")) return *s;
  return json_string(obj, "actor_id").value_or("");
}

std::optional<std::string> id_text(const JsonValue& obj, std::string_view name) {
  if (const auto n = json_int(obj, name); n && *n > 0) return std::to_string(*n);
  return std::nullopt;
}

// A count from the view's `counts` (0.19) or the object itself (1.0).
std::optional<int64_t> count_of(const JsonValue* counts, const JsonValue& obj,
                                std::string_view name) {
  if (counts != nullptr && counts->IsObject()) {
    if (const auto v = json_count(*counts, name)) return v;
  }
  return json_count(obj, name);
}

std::string host_of(const std::string& url) {
  auto u = parse_url(url);
  if (!u) return "";
  return u->port == 0 ? u->host : u->host + ":" + std::to_string(u->port);
}

std::string person_key(const JsonValue* person) {
  if (person == nullptr || !person->IsObject()) return "";
  const auto name = json_string(*person, "name");
  const std::string host = host_of(ap_id(*person));
  if (!name || name->empty() || host.empty()) return "";
  return to_lower_ascii(*name + "@" + host);
}

bool has_link(const std::string& text) {
  return text.find("http://") != std::string::npos || text.find("https://") != std::string::npos;
}

// A PostView -> a post; nullopt with `why` when it cannot be read.
std::optional<PostItem> post_of(const JsonValue& view, std::string& why) {
  if (!view.IsObject()) {
    why = "a post entry that is no object";
    return std::nullopt;
  }
  const JsonValue* p = json_object(view, "post");
  if (p == nullptr) {
    why = "a post entry without post";
    return std::nullopt;
  }
  PostItem item;
  PostRecord& r = item.post;
  const auto id = id_text(*p, "id");
  if (!id) {
    why = "a post without id";
    return std::nullopt;
  }
  r.platform_post_id = *id;
  r.item_type = kItemPost;
  r.title = json_string(*p, "name").value_or("");
  r.text = json_string(*p, "body").value_or("");
  r.url = ap_id(*p);
  const auto t = published(*p);
  if (!t) {
    why = "post " + *id + " without a readable published time";
    return std::nullopt;
  }
  r.created_at = *t;
  r.edited_at = updated(*p);
  const std::string link = json_string(*p, "url").value_or("");
  const std::string content_type = json_string(*p, "url_content_type").value_or("");
  r.has_link = (!link.empty() && !starts_with(content_type, "image/") &&
                !starts_with(content_type, "video/")) ||
               has_link(r.text);
  r.has_media = starts_with(content_type, "image/") || starts_with(content_type, "video/");
  const JsonValue* counts = json_object(view, "counts");
  // Votes: upvotes are the post's likes (score = upvotes - downvotes);
  // instances that hide votes send none (unknown, never 0).
  r.engagement.likes = count_of(counts, *p, "upvotes");
  r.engagement.replies = count_of(counts, *p, "comments");
  item.creator = person_key(json_object(view, "creator"));
  item.featured = json_bool(*p, "featured_community").value_or(false) ||
                  json_bool(*p, "featured_local").value_or(false);
  item.gone = json_bool(*p, "deleted").value_or(false) || json_bool(*p, "removed").value_or(false);
  return item;
}

std::optional<CommentItem> comment_of(const JsonValue& view, std::string& why) {
  if (!view.IsObject()) {
    why = "a comment entry that is no object";
    return std::nullopt;
  }
  const JsonValue* c = json_object(view, "comment");
  if (c == nullptr) {
    why = "a comment entry without comment";
    return std::nullopt;
  }
  CommentItem item;
  const auto id = id_text(*c, "id");
  const auto post = id_text(*c, "post_id");
  if (!id || !post) {
    why = "a comment without id or post_id";
    return std::nullopt;
  }
  item.id = *id;
  item.post_id = *post;
  // path "0.<root>.<...>.<id>": the ids above the comment, root first.
  const auto path = split(json_string(*c, "path").value_or(""), '.');
  if (path.size() < 2 || path.front() != "0" || path.back() != *id) {
    why = "comment " + *id + " with a path that does not end in its id";
    return std::nullopt;
  }
  for (size_t i = 1; i + 1 < path.size(); ++i) {
    if (path[i].empty() || path[i].size() > 20 ||
        !std::all_of(path[i].begin(), path[i].end(),
                     [](char ch) { return ch >= '0' && ch <= '9'; })) {
      why = "comment " + *id + " with an unreadable path";
      return std::nullopt;
    }
    if (path[i] == *id) {
      why = "comment " + *id + " with itself in its path";
      return std::nullopt;
    }
    item.ancestors.push_back(path[i]);
  }
  const auto t = published(*c);
  if (!t) {
    why = "comment " + *id + " without a readable published time";
    return std::nullopt;
  }
  item.gone = json_bool(*c, "deleted").value_or(false) || json_bool(*c, "removed").value_or(false);
  item.creator = person_key(json_object(view, "creator"));
  item.creator_id = id_text(*c, "creator_id").value_or("");
  if (const JsonValue* p = json_object(view, "post")) {
    item.post_created_at = published(*p);
    item.post_creator_id = id_text(*p, "creator_id").value_or("");
  }
  CommentRecord& r = item.comment;
  r.platform_comment_id = *id;
  r.on_post_id = *post;
  r.author_id = item.creator;
  r.created_at = *t;
  r.text = json_string(*c, "content").value_or("");
  r.edited_at = updated(*c);
  r.likes = count_of(json_object(view, "counts"), *c, "upvotes");
  return item;
}

std::string next_page_of(const JsonValue& doc) {
  auto s = json_string(doc, "next_page");
  return s && s->size() < 512 ? *s : "";
}

Result<PostList> posts_in(const JsonValue& doc, const char* member) {
  PostList out;
  const JsonValue* arr = json_array(doc, member);
  if (arr == nullptr) return bad(std::string("an answer without a '") + member + "' list");
  std::set<std::string> seen;
  for (const JsonValue& v : arr->GetArray()) {
    ++out.items;
    std::string why;
    auto item = post_of(v, why);
    if (!item) {
      out.skipped.push_back({"", why});
      continue;
    }
    if (!seen.insert(item->post.platform_post_id).second) {
      out.skipped.push_back({item->post.platform_post_id, "the same post twice in one answer"});
      continue;
    }
    out.posts.push_back(std::move(*item));
  }
  return out;
}

Result<CommentList> comments_in(const JsonValue& doc) {
  CommentList out;
  const JsonValue* arr = json_array(doc, "comments");
  if (arr == nullptr) return bad("an answer without a 'comments' list");
  std::set<std::string> seen;
  for (const JsonValue& v : arr->GetArray()) {
    ++out.items;
    std::string why;
    auto item = comment_of(v, why);
    if (!item) {
      out.skipped.push_back({"", why});
      continue;
    }
    if (!seen.insert(item->id).second) {
      out.skipped.push_back({item->id, "the same comment twice in one answer"});
      continue;
    }
    out.comments.push_back(std::move(*item));
  }
  return out;
}

}  // namespace

std::optional<ApiError> parse_error(std::string_view body) {
  auto doc = parse_json(body);
  if (!doc.ok() || !(*doc)->IsObject()) return std::nullopt;
  auto e = json_string(**doc, "error");
  if (!e || e->empty() || e->size() > 200) return std::nullopt;
  ApiError out;
  out.error = *e;
  if (auto m = json_string(**doc, "message"); m && m->size() < 500) out.message = *m;
  return out;
}

std::string error_text(std::string_view body) {
  const auto e = parse_error(body);
  if (!e) return "";
  return e->message.empty() ? e->error : e->error + " (" + e->message + ")";
}

bool is_rate_limit(int status, std::string_view body) {
  if (status == 429) return true;
  if (status != 400) return false;
  const auto e = parse_error(body);
  return e && (e->error == "rate_limit_error" || e->error == "too_many_requests");
}

Result<std::string> parse_site_version(std::string_view body) {
  MUNI_TRY(auto doc, parse_json(body));
  if (!doc->IsObject()) return bad("expected a GetSiteResponse object");
  return json_string(*doc, "version").value_or("");
}

std::optional<int> version_number(std::string_view version) {
  if (!version.empty() && version[0] == 'v') version.remove_prefix(1);
  const auto parts = split(version, '.');
  if (parts.size() < 2) return std::nullopt;
  const auto major = parse_int64(parts[0]);
  std::string minor_digits;
  for (char c : parts[1]) {
    if (c < '0' || c > '9') break;
    minor_digits += c;
  }
  const auto minor = parse_int64(minor_digits);
  if (!major || !minor || *major < 0 || *major > 999 || *minor < 0 || *minor > 999)
    return std::nullopt;
  return static_cast<int>(*major * 1000 + *minor);
}

std::set<std::string> staff_persons_for(std::string_view setting, std::string_view account_host) {
  std::set<std::string> out;
  const std::string home = to_lower_ascii(account_host);
  // "host=a, b; other=c" and "host=a, host=b": an entry "host=name" starts
  // a scope that holds for the names after it until the next scope.
  std::string scope;
  for (std::string part : split(setting, ',')) {
    for (char& ch : part) {
      if (ch == ';') ch = ' ';
    }
    std::string_view entry = trim(part);
    if (const size_t eq = entry.find('='); eq != std::string_view::npos) {
      scope = to_lower_ascii(trim(entry.substr(0, eq)));
      entry = trim(entry.substr(eq + 1));
    }
    if (!scope.empty() && scope != home) continue;
    if (!entry.empty() && (entry[0] == '@')) entry.remove_prefix(1);
    if (entry.empty()) continue;
    std::string key = to_lower_ascii(entry);
    if (key.find('@') == std::string::npos) key += "@" + home;
    out.insert(key);
  }
  return out;
}

Result<CommunityInfo> parse_community(std::string_view body) {
  MUNI_TRY(auto doc, parse_json(body));
  if (!doc->IsObject()) return bad("expected a GetCommunityResponse object");
  const JsonValue* view = json_object(*doc, "community_view");
  if (view == nullptr) return bad("an answer without community_view");
  const JsonValue* c = json_object(*view, "community");
  if (c == nullptr) return bad("a community_view without community");
  CommunityInfo info;
  const auto id = json_int(*c, "id");
  const auto name = json_string(*c, "name");
  const std::string host = host_of(ap_id(*c));
  if (!id || *id <= 0 || !name || name->empty() || host.empty())
    return bad("a community without id, name or address");
  info.id = *id;
  AccountSnapshot& s = info.snapshot;
  s.handle = to_lower_ascii(*name) + "@" + host;
  s.platform_id = "!" + s.handle;
  s.display_name = json_string(*c, "title").value_or("");
  s.profile_url = ap_id(*c);
  s.created_at = published(*c);
  const JsonValue* counts = json_object(*view, "counts");
  s.followers = count_of(counts, *c, "subscribers");
  s.posts = count_of(counts, *c, "posts");
  if (const auto n = count_of(counts, *c, "comments"))
    s.counters.push_back({"comments", n, CountPrecision::kExact});
  if (const auto n = count_of(counts, *c, "users_active_month"))
    s.counters.push_back({"active_users_month", n, CountPrecision::kExact});
  info.deleted = json_bool(*c, "deleted").value_or(false);
  info.removed = json_bool(*c, "removed").value_or(false);
  return info;
}

Result<PostList> parse_posts(std::string_view body) {
  MUNI_TRY(auto doc, parse_json(body));
  if (!doc->IsObject()) return bad("expected a GetPostsResponse object");
  MUNI_TRY(PostList out, posts_in(*doc, "posts"));
  out.next_page = next_page_of(*doc);
  return out;
}

Result<PostItem> parse_post(std::string_view body) {
  MUNI_TRY(auto doc, parse_json(body));
  if (!doc->IsObject()) return bad("expected a GetPostResponse object");
  const JsonValue* view = json_object(*doc, "post_view");
  if (view == nullptr) return bad("an answer without post_view");
  std::string why;
  auto item = post_of(*view, why);
  if (!item) return bad(why);
  return *item;
}

Result<CommentList> parse_comments(std::string_view body) {
  MUNI_TRY(auto doc, parse_json(body));
  if (!doc->IsObject()) return bad("expected a GetCommentsResponse object");
  MUNI_TRY(CommentList out, comments_in(*doc));
  out.next_page = next_page_of(*doc);
  return out;
}

Result<PersonPage> parse_person(std::string_view body) {
  MUNI_TRY(auto doc, parse_json(body));
  if (!doc->IsObject()) return bad("expected a GetPersonDetailsResponse object");
  const JsonValue* view = json_object(*doc, "person_view");
  if (view == nullptr) return bad("an answer without person_view");
  const JsonValue* p = json_object(*view, "person");
  if (p == nullptr) return bad("a person_view without person");
  PersonPage out;
  out.key = person_key(p);
  out.person_id = id_text(*p, "id").value_or("");
  if (out.key.empty() || out.person_id.empty()) return bad("a person without id, name or address");
  AccountSnapshot& s = out.snapshot;
  s.handle = out.key;
  s.platform_id = "@" + out.key;
  s.display_name = json_string(*p, "display_name").value_or("");
  s.profile_url = ap_id(*p);
  s.created_at = published(*p);
  const JsonValue* counts = json_object(*view, "counts");
  s.posts = count_of(counts, *p, "post_count");
  if (const auto n = count_of(counts, *p, "comment_count"))
    s.counters.push_back({"comments", n, CountPrecision::kExact});
  // Lemmy persons have no followers: unknown, never 0.
  out.deleted = json_bool(*p, "deleted").value_or(false);
  out.banned = json_bool(*p, "banned").value_or(false);
  MUNI_TRY(out.posts, posts_in(*doc, "posts"));
  MUNI_TRY(out.comments, comments_in(*doc));
  return out;
}

std::string opening_id(std::string_view post_id) { return "post:" + std::string(post_id); }

Thread assemble_thread(const std::vector<CommentItem>& items, const std::string& opening,
                       const std::set<std::string>& staff) {
  Thread out;
  std::set<std::string> gone;
  for (const CommentItem& c : items) {
    if (c.gone) gone.insert(c.id);
  }
  for (const CommentItem& c : items) {
    if (c.gone) {
      out.gone_ids.push_back(c.id);
      continue;
    }
    CommentRecord r = c.comment;
    r.by_account = !c.creator.empty() && staff.count(c.creator) > 0;
    std::string parent;
    for (auto it = c.ancestors.rbegin(); it != c.ancestors.rend(); ++it) {
      if (!gone.count(*it)) {
        parent = *it;
        break;
      }
    }
    if (parent.empty())
      parent = opening.empty() && !c.ancestors.empty() ? c.ancestors.front() : opening;
    r.reply_to_comment_id = parent;
    out.comments.push_back(std::move(r));
  }
  return out;
}

}  // namespace muni::lemmy
