#include "connectors/discourse/discourse_parse.h"

#include <algorithm>

#include "core/html_text.h"
#include "core/json.h"
#include "core/strings.h"

namespace muni::discourse {

namespace {

Error bad(const std::string& what) { return make_error(ErrorCode::kParse, "discourse: " + what); }

std::optional<TimeMs> time_of(const JsonValue& obj, std::string_view name) {
  const auto text = json_string(obj, name);
  return text ? parse_iso8601(*text) : std::nullopt;
}

// A topic of a list or a topic view; nullopt with `why` when unreadable.
std::optional<PostRecord> topic_of(const JsonValue& t, std::string_view base, std::string& why) {
  const auto id = json_int(t, "id");
  if (!id || *id <= 0) {
    why = "topic without a numeric id";
    return std::nullopt;
  }
  PostRecord p;
  p.platform_post_id = std::to_string(*id);
  p.item_type = kItemTopic;
  p.title = json_string(t, "title").value_or("");
  const auto created = time_of(t, "created_at");
  if (!created) {
    why = "topic " + p.platform_post_id + " without a readable created_at";
    return std::nullopt;
  }
  p.created_at = *created;
  const std::string slug = json_string(t, "slug").value_or("topic");
  p.url = std::string(base) + "/t/" + url_encode(slug.empty() ? "topic" : slug) + "/" +
          p.platform_post_id;
  // Lists carry an excerpt for pinned topics only; the text of the opening
  // post is read with the topic's posts.
  if (const auto excerpt = json_string(t, "excerpt")) p.text = html_to_text(*excerpt);
  if (const auto posts = json_count(t, "posts_count"); posts && *posts >= 1)
    p.engagement.replies = *posts - 1;
  p.engagement.likes = json_count(t, "like_count");
  p.engagement.views = json_count(t, "views");
  return p;
}

std::optional<Post> post_of(const JsonValue& v, std::string& why) {
  Post p;
  const auto id = json_int(v, "id");
  if (!id || *id <= 0) {
    why = "post without a numeric id";
    return std::nullopt;
  }
  p.id = std::to_string(*id);
  const auto number = json_int(v, "post_number");
  const auto created = time_of(v, "created_at");
  if (!number || *number < 1 || !created) {
    why = "post " + p.id + " without post_number or created_at";
    return std::nullopt;
  }
  p.post_number = *number;
  p.created_at = *created;
  p.topic_id = json_int(v, "topic_id").value_or(0);
  if (const auto to = json_int(v, "reply_to_post_number"); to && *to >= 1 && *to < *number)
    p.reply_to_post_number = to;
  p.username = to_lower_ascii(json_string(v, "username").value_or(""));
  p.primary_group = to_lower_ascii(json_string(v, "primary_group_name").value_or(""));
  p.staff_flag = json_bool(v, "staff").value_or(false) || json_bool(v, "admin").value_or(false) ||
                 json_bool(v, "moderator").value_or(false);
  p.updated_at = time_of(v, "updated_at");
  p.post_type = json_int(v, "post_type").value_or(1);
  p.hidden = json_bool(v, "hidden").value_or(false);
  const JsonValue* deleted_at = json_member(v, "deleted_at");
  p.deleted = (deleted_at != nullptr && !deleted_at->IsNull()) ||
              json_bool(v, "user_deleted").value_or(false);
  const std::string cooked = json_string(v, "cooked").value_or("");
  p.text = html_to_text(cooked);
  // Likes: actions_summary entry id 2 (PostActionType like). The serializer
  // leaves out action types nobody took that the reader cannot take either,
  // so a present, empty list means no likes (our reading of
  // post_serializer.rb; not stated in the API docs). Absent: unknown.
  if (const JsonValue* actions = json_array(v, "actions_summary")) {
    int64_t likes = 0;
    for (const auto& a : actions->GetArray()) {
      if (!a.IsObject()) continue;
      if (json_int(a, "id").value_or(0) == 2) likes = json_count(a, "count").value_or(0);
    }
    p.likes = likes;
  }
  if (const auto like_count = json_count(v, "like_count")) p.likes = like_count;  // newer forums
  if (p.likes && *p.likes < 0) p.likes.reset();                                   // absurd: unknown
  return p;
}

void read_posts(const JsonValue& posts, std::vector<Post>& out, std::vector<SkippedItem>& skipped) {
  for (const auto& v : posts.GetArray()) {
    if (!v.IsObject()) {
      skipped.push_back({"", "post that is not an object"});
      continue;
    }
    std::string why;
    if (auto p = post_of(v, why)) {
      out.push_back(std::move(*p));
    } else {
      skipped.push_back({json_int(v, "id") ? std::to_string(*json_int(v, "id")) : "", why});
    }
  }
}

}  // namespace

bool Staff::is_staff(const std::string& username, const std::string& primary_group,
                     bool flagged) const {
  if (!username.empty() && usernames.count(username)) return true;
  if (!primary_group.empty() && groups.count(primary_group)) return true;
  return site_staff && flagged;
}

Result<TopicList> parse_topic_list(std::string_view body, std::string_view base) {
  MUNI_TRY(auto doc, parse_json(body));
  const JsonValue& root = *doc;
  if (!root.IsObject()) return bad("expected a topic list object");
  const JsonValue* list = json_object(root, "topic_list");
  if (list == nullptr) return bad("answer without topic_list");
  const JsonValue* topics = json_array(*list, "topics");
  if (topics == nullptr) return bad("topic_list without topics");
  TopicList out;
  out.per_page = json_count(*list, "per_page");
  const auto more = json_string(*list, "more_topics_url");
  out.more = more && !more->empty();
  std::set<std::string> seen;
  for (const auto& t : topics->GetArray()) {
    ++out.items;
    if (!t.IsObject()) {
      out.skipped.push_back({"", "topic that is not an object"});
      continue;
    }
    if (json_string(t, "archetype").value_or("regular") == "private_message") {
      out.skipped.push_back({"", "a private message, not a public topic"});
      continue;
    }
    std::string why;
    if (auto p = topic_of(t, base, why)) {
      // A forum lists a topic once: a list naming one twice is no real
      // answer, and would cost the other topic its place.
      if (!seen.insert(p->platform_post_id).second)
        return bad("topic " + p->platform_post_id + " appears twice in one list");
      out.posts.push_back(std::move(*p));
    } else {
      out.skipped.push_back({json_int(t, "id") ? std::to_string(*json_int(t, "id")) : "", why});
    }
  }
  return out;
}

Result<TopicView> parse_topic(std::string_view body, std::string_view base) {
  MUNI_TRY(auto doc, parse_json(body));
  const JsonValue& root = *doc;
  if (!root.IsObject()) return bad("expected a topic object");
  TopicView out;
  std::string why;
  auto topic = topic_of(root, base, why);
  if (!topic) return bad(why);
  out.topic = std::move(*topic);
  const JsonValue* stream = json_object(root, "post_stream");
  if (stream == nullptr) return bad("topic without post_stream");
  if (const JsonValue* posts = json_array(*stream, "posts"))
    read_posts(*posts, out.posts, out.skipped);
  if (const JsonValue* ids = json_array(*stream, "stream")) {
    for (const auto& id : ids->GetArray()) {
      if (id.IsInt64() && id.GetInt64() > 0) out.stream.push_back(std::to_string(id.GetInt64()));
    }
  }
  return out;
}

Result<PostChunk> parse_post_chunk(std::string_view body) {
  MUNI_TRY(auto doc, parse_json(body));
  const JsonValue& root = *doc;
  if (!root.IsObject()) return bad("expected a post_stream object");
  const JsonValue* stream = json_object(root, "post_stream");
  if (stream == nullptr) return bad("answer without post_stream");
  const JsonValue* posts = json_array(*stream, "posts");
  if (posts == nullptr) return bad("post_stream without posts");
  PostChunk out;
  read_posts(*posts, out.posts, out.skipped);
  return out;
}

Result<Post> parse_post(std::string_view body) {
  MUNI_TRY(auto doc, parse_json(body));
  if (!(*doc).IsObject()) return bad("expected a post object");
  std::string why;
  auto p = post_of(*doc, why);
  if (!p) return bad(why);
  return std::move(*p);
}

CommentRecord to_comment(const Post& p, const std::string& topic_id, const std::string& opening_id,
                         const std::vector<std::pair<int64_t, std::string>>& kept,
                         const Staff& staff) {
  CommentRecord c;
  c.platform_comment_id = p.id;
  c.on_post_id = topic_id;
  c.author_id = p.username;
  c.by_account = staff.is_staff(p.username, p.primary_group, p.staff_flag);
  c.created_at = p.created_at;
  if (p.updated_at && *p.updated_at > p.created_at + kMinuteMs) c.edited_at = p.updated_at;
  c.text = p.text;
  c.likes = p.likes;
  if (p.post_number == 1) return c;  // the thread's opening
  std::string parent;
  if (p.reply_to_post_number) {
    for (const auto& [number, id] : kept) {
      if (number == *p.reply_to_post_number) parent = id;
    }
  }
  if (parent.empty()) parent = opening_id.empty() ? "topic:" + topic_id : opening_id;
  c.reply_to_comment_id = parent;
  return c;
}

Result<GroupMembers> parse_group_members(std::string_view body) {
  MUNI_TRY(auto doc, parse_json(body));
  const JsonValue& root = *doc;
  if (!root.IsObject()) return bad("expected a group members object");
  const JsonValue* members = json_array(root, "members");
  if (members == nullptr) return bad("answer without members");
  GroupMembers out;
  for (const auto& m : members->GetArray()) {
    ++out.items;
    if (!m.IsObject()) continue;
    if (auto name = json_string(m, "username"); name && !name->empty() && name->size() < 100)
      out.usernames.push_back(to_lower_ascii(*name));
  }
  if (const JsonValue* meta = json_object(root, "meta")) out.total = json_count(*meta, "total");
  return out;
}

std::optional<ErrorBody> parse_error(std::string_view body) {
  auto doc = parse_json(body);
  if (!doc.ok() || !(*doc)->IsObject()) return std::nullopt;
  const JsonValue& root = **doc;
  ErrorBody e;
  e.type = json_string(root, "error_type").value_or("");
  if (const JsonValue* errors = json_array(root, "errors")) {
    for (const auto& m : errors->GetArray()) {
      if (m.IsString()) {
        e.message = std::string(m.GetString(), std::min<size_t>(m.GetStringLength(), 300));
        break;
      }
    }
  }
  if (const JsonValue* extras = json_object(root, "extras")) {
    if (const auto w = json_number(*extras, "wait_seconds"); w && *w >= 0 && *w < 1e7)
      e.wait_seconds = static_cast<int64_t>(*w + 0.999);
  }
  if (e.type.empty() && e.message.empty()) return std::nullopt;
  return e;
}

std::vector<std::string> names_for(std::string_view setting, std::string_view host) {
  std::vector<std::string> out;
  for (const std::string& part : split(setting, ',')) {
    std::string_view entry = trim(part);
    const size_t eq = entry.find('=');
    if (eq != std::string_view::npos) {
      if (!iequals(trim(entry.substr(0, eq)), host)) continue;
      entry = trim(entry.substr(eq + 1));
    }
    if (!entry.empty() && entry.size() < 100) out.push_back(to_lower_ascii(std::string(entry)));
  }
  return out;
}

}  // namespace muni::discourse
