// The Lemmy parsers as a fuzz target: site version, community, post lists
// and single posts, comment lists and the thread built from their paths,
// person details, error bodies and the rate-limit test, staff persons and
// the handle, over arbitrary bytes. Seeds: tests/fixtures/lemmy (0.19 and
// 1.0 shapes, a thread three levels deep, deleted and removed comments,
// error bodies).
#include <cstdlib>
#include <set>
#include <string>
#include <string_view>

#include "connectors/lemmy/lemmy_handle.h"
#include "connectors/lemmy/lemmy_parse.h"
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

void check_posts(const lemmy::PostList& list, Page& page) {
  if (list.posts.size() + list.skipped.size() != list.items) std::abort();
  std::set<std::string> ids;
  for (const lemmy::PostItem& p : list.posts) {
    if (p.post.platform_post_id.empty() || p.post.created_at == 0) std::abort();
    if (!ids.insert(p.post.platform_post_id).second) std::abort();  // one post once
    valid_text(p.post.title);
    valid_text(p.post.text);
    page.batch.posts.push_back(p.post);
  }
}

void check_thread(const lemmy::CommentList& list, Page& page) {
  if (list.comments.size() + list.skipped.size() != list.items) std::abort();
  const std::set<std::string> staff{"presse@lemmy.example"};
  for (const std::string& opening : {std::string(), lemmy::opening_id("1")}) {
    const lemmy::Thread t = lemmy::assemble_thread(list.comments, opening, staff);
    const std::set<std::string> gone(t.gone_ids.begin(), t.gone_ids.end());
    for (const CommentRecord& c : t.comments) {
      if (c.platform_comment_id.empty() || c.created_at == 0) std::abort();
      if (c.reply_to_comment_id == c.platform_comment_id) std::abort();  // answers itself
      if (gone.count(c.platform_comment_id)) std::abort();  // a gone comment is never stored
      if (gone.count(c.reply_to_comment_id)) {
        // Only a gone root may name a thread, and only without an opening.
        if (!opening.empty()) std::abort();
      }
      if (c.by_account && !staff.count(c.author_id)) std::abort();
      valid_text(c.text);
    }
    if (t.comments.size() + t.gone_ids.size() != list.comments.size()) std::abort();
    page.batch.comments = t.comments;
  }
}

void run_lemmy(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  Page page;
  if (auto list = lemmy::parse_posts(text); list.ok()) check_posts(*list, page);
  if (auto p = lemmy::parse_post(text); p.ok()) {
    if (p->post.platform_post_id.empty() || p->post.created_at == 0) std::abort();
    page.batch.posts.push_back(p->post);
  }
  if (auto list = lemmy::parse_comments(text); list.ok()) check_thread(*list, page);
  if (auto person = lemmy::parse_person(text); person.ok()) {
    if (person->key.empty() || person->key.find('@') == std::string::npos) std::abort();
    check_posts(person->posts, page);
    check_thread(person->comments, page);
  }
  if (auto c = lemmy::parse_community(text); c.ok()) {
    if (c->id <= 0 || c->snapshot.platform_id.empty() || c->snapshot.platform_id[0] != '!')
      std::abort();
    valid_text(c->snapshot.display_name);
  }
  if (auto v = lemmy::parse_site_version(text); v.ok()) (void)lemmy::version_number(*v);
  (void)lemmy::version_number(text.substr(0, 40));
  valid_text(lemmy::error_text(text));
  // Only a 400 with the rate-limit body, or a 429, is a refusal.
  if (lemmy::is_rate_limit(200, text) || lemmy::is_rate_limit(404, text)) std::abort();
  if (size < 300) {
    (void)lemmy::staff_persons_for(text, "lemmy.example");
    if (auto h = canonical_lemmy_handle(text); h.ok()) {
      // A canonical handle is a fixed point and names an instance.
      auto again = canonical_lemmy_handle(*h);
      if (!again.ok() || *again != *h) std::abort();
      if (!lemmy::actor_of(*h)) std::abort();
    }
  }
  (void)guard_page(page, 0, 4102444800000 /* 2100-01-01 */);
}

}  // namespace

MUNISCOPE_REGISTER_FUZZ_TARGET(lemmy, run_lemmy, {"lemmy"});

}  // namespace muni::fuzz
