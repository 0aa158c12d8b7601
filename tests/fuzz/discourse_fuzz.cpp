// The Discourse parsers as a fuzz target: topic lists, topic views, post
// chunks and single posts, posts as comments (threads by
// reply_to_post_number), group members, error bodies, staff names and the
// handle, over arbitrary bytes. Seeds: tests/fixtures/discourse (the
// fixtures and the fuzz-*.json odd values: ids beyond int64, strings for
// numbers, negative counts, impossible dates, replies to later posts).
#include <cstdlib>
#include <set>
#include <string>
#include <string_view>

#include "connectors/discourse/discourse_handle.h"
#include "connectors/discourse/discourse_parse.h"
#include "core/text_safety.h"
#include "engine/page_guard.h"
#include "fuzz_targets.h"

namespace muni::fuzz {

namespace {

void valid_text(const std::string& s) {
  std::string copy = s;
  repair_utf8(copy);
  if (!is_valid_utf8(copy)) std::abort();
}

void check_posts(const std::vector<discourse::Post>& posts, Page& page) {
  discourse::Staff staff;
  staff.usernames = {"stadt"};
  std::vector<std::pair<int64_t, std::string>> kept;
  std::string opening;
  for (const discourse::Post& p : posts) {
    if (p.id.empty() || p.post_number < 1 || p.created_at == 0) std::abort();
    if (p.reply_to_post_number && *p.reply_to_post_number >= p.post_number) std::abort();
    if (p.likes && *p.likes < 0) std::abort();
    valid_text(p.text);
    if (!p.counts()) continue;
    if (p.post_number == 1) opening = p.id;
    const CommentRecord c = discourse::to_comment(p, "1", opening, kept, staff);
    if (c.reply_to_comment_id == c.platform_comment_id) std::abort();  // answers itself
    if ((p.post_number == 1) != c.reply_to_comment_id.empty()) std::abort();
    if (c.by_account && c.author_id != "stadt" && !p.staff_flag) std::abort();
    kept.emplace_back(p.post_number, p.id);
    page.batch.comments.push_back(c);
  }
}

void run_discourse(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const std::string base = "https://forum.example";
  Page page;
  if (auto list = discourse::parse_topic_list(text, base); list.ok()) {
    if (list->posts.size() + list->skipped.size() != list->items) std::abort();
    std::set<std::string> ids;
    for (const PostRecord& p : list->posts) {
      if (p.platform_post_id.empty() || p.created_at == 0) std::abort();
      if (!ids.insert(p.platform_post_id).second) std::abort();  // never one topic twice
      if (p.engagement.replies && *p.engagement.replies < 0) std::abort();
      valid_text(p.title);
    }
    page.batch.posts = std::move(list->posts);
  }
  if (auto view = discourse::parse_topic(text, base); view.ok()) {
    if (view->topic.platform_post_id.empty()) std::abort();
    for (const std::string& id : view->stream)
      if (id.empty() || id[0] == '-') std::abort();
    check_posts(view->posts, page);
    page.batch.posts.push_back(std::move(view->topic));
  }
  if (auto chunk = discourse::parse_post_chunk(text); chunk.ok()) check_posts(chunk->posts, page);
  if (auto post = discourse::parse_post(text); post.ok()) check_posts({*post}, page);
  if (auto g = discourse::parse_group_members(text); g.ok()) {
    if (g->usernames.size() > g->items) std::abort();
    for (const std::string& n : g->usernames) valid_text(n);
  }
  if (auto e = discourse::parse_error(text)) {
    valid_text(e->message);
    if (e->wait_seconds && *e->wait_seconds < 0) std::abort();
  }
  if (size < 300) {
    for (const std::string& n : discourse::names_for(text, "forum.example"))
      if (n.empty()) std::abort();
    if (auto h = canonical_discourse_handle(text); h.ok()) {
      // A canonical handle is a fixed point and names a forum.
      auto again = canonical_discourse_handle(*h);
      if (!again.ok() || *again != *h) std::abort();
      if (!discourse::forum_of(*h)) std::abort();
    }
  }
  (void)guard_page(page, 0, 4102444800000 /* 2100-01-01 */);
}

}  // namespace

MUNISCOPE_REGISTER_FUZZ_TARGET(discourse, run_discourse, {"discourse"});

}  // namespace muni::fuzz
