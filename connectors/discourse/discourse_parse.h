// Discourse JSON answers -> normalized records. Pure functions over response
// text. Shapes: the official API documentation (discourse/discourse_api_docs,
// openapi.json; docs.discourse.org) and the real responses recorded there
// (../shared/api-samples/discourse/: latest topics, a topic, a post, a
// user); field meanings from discourse/discourse (app/serializers:
// topic_list_item, topic_view, post; lib/topic_query.rb). Fixtures and their
// sources: tests/fixtures/discourse/SOURCES.md.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/model.h"
#include "core/result.h"

namespace muni::discourse {

// A topic list: GET /latest.json or /c/{slug}/{id}.json
// {"users": [...], "topic_list": {"per_page", "more_topics_url", "topics":
// [...]}}. Each topic is an item of type "topic" (id = the topic's id),
// dated by its created_at, with posts_count - 1 as its replies (every post
// after the opening one answers the topic), like_count and views. A count
// the forum does not send stays unknown. Private messages (archetype
// "private_message") are never listed to anonymous readers and are skipped.
struct TopicList {
  std::vector<PostRecord> posts;
  std::vector<SkippedItem> skipped;
  size_t items = 0;  // entries of topic_list.topics, read or skipped
  std::optional<int64_t> per_page;
  bool more = false;  // more_topics_url is present
};
// `base`: the forum's address, for the topics' URLs.
Result<TopicList> parse_topic_list(std::string_view body, std::string_view base);

// Who answers for the municipality on this forum (AccountView settings and
// the group members read): usernames lower-cased, group names lower-cased,
// and whether Discourse's own staff flags (staff, admin, moderator on a
// post) count.
struct Staff {
  std::set<std::string> usernames;
  std::set<std::string> groups;  // matched against a post's primary_group_name
  bool site_staff = true;
  bool is_staff(const std::string& username, const std::string& primary_group, bool flagged) const;
};

// One post of a topic (post_stream.posts[] of /t/{id}.json and of
// /t/{id}/posts.json, or /posts/{id}.json).
struct Post {
  std::string id;  // the post's id (forum-wide)
  int64_t topic_id = 0;
  int64_t post_number = 0;
  std::optional<int64_t> reply_to_post_number;
  std::string username;       // lower-cased
  std::string primary_group;  // lower-cased primary_group_name
  bool staff_flag = false;    // staff, admin or moderator
  TimeMs created_at = 0;
  std::optional<TimeMs> updated_at;
  int64_t post_type = 1;  // 1 regular, 2 moderator action, 3 small action, 4 whisper
  bool hidden = false;    // hidden by flags
  bool deleted = false;   // deleted_at set, or user_deleted
  std::string text;       // cooked HTML as plain text
  std::optional<int64_t> likes;
  // Whether the post may be stored and counted: a regular post (type 1),
  // neither hidden nor deleted. Whispers, small actions ("closed this
  // topic"), moderator actions, hidden and deleted posts are never answers.
  bool counts() const { return post_type == 1 && !hidden && !deleted; }
};

// GET /t/{id}.json: the topic, its first posts (chunk_size, 20 by default)
// and its stream (the ids of every post the reader may see, in order).
struct TopicView {
  PostRecord topic;  // as in a list (counts from the topic itself)
  std::vector<Post> posts;
  std::vector<std::string> stream;
  std::vector<SkippedItem> skipped;
};
Result<TopicView> parse_topic(std::string_view body, std::string_view base);

// GET /t/{id}/posts.json?post_ids[]=...: {"post_stream": {"posts": [...]}}.
struct PostChunk {
  std::vector<Post> posts;
  std::vector<SkippedItem> skipped;
};
Result<PostChunk> parse_post_chunk(std::string_view body);

// GET /posts/{id}.json: one post.
Result<Post> parse_post(std::string_view body);

// The post as a comment on its topic: the opening post (number 1) is the
// thread's top-level comment; every later post answers the post named by
// reply_to_post_number when that post is one of `kept` (number -> id of a
// post stored), else the opening post (`opening_id`; when the opening post
// is not stored, "topic:<id>", which names the thread without being a
// question of anyone's). by_account from `staff`.
CommentRecord to_comment(const Post& p, const std::string& topic_id, const std::string& opening_id,
                         const std::vector<std::pair<int64_t, std::string>>& kept,
                         const Staff& staff);

// GET /groups/{name}/members.json?limit=&offset=: {"members": [{"username"}],
// "owners": [...], "meta": {"total", "limit", "offset"}}.
struct GroupMembers {
  std::vector<std::string> usernames;  // lower-cased
  size_t items = 0;
  std::optional<int64_t> total;
};
Result<GroupMembers> parse_group_members(std::string_view body);

// A Discourse error body: {"errors": ["..."], "error_type": "not_found" |
// "invalid_access" | "rate_limit" | ..., "extras": {"wait_seconds": N}}
// (app/controllers/application_controller.rb, render_json_error).
struct ErrorBody {
  std::string type;
  std::string message;
  std::optional<int64_t> wait_seconds;
};
std::optional<ErrorBody> parse_error(std::string_view body);

// "alice, bob, forum.stadt.example=carol": the names that apply to
// `host` (entries without "host=" apply to every forum), lower-cased.
std::vector<std::string> names_for(std::string_view setting, std::string_view host);

}  // namespace muni::discourse
