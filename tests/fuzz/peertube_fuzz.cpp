// The PeerTube parsers as a fuzz target: accounts and channels, video lists
// and details, comment thread lists and trees, RFC 7807 problems, the
// instance configuration and its version, and the handle, over arbitrary
// bytes. Seeds: tests/fixtures/peertube and tests/fixtures/fuzz/peertube
// (odd values: ids beyond int64, strings for numbers, negative counts,
// impossible dates, a deep reply tree, lone surrogates).
#include <cstdlib>
#include <set>
#include <string>
#include <string_view>

#include "connectors/peertube/peertube_handle.h"
#include "connectors/peertube/peertube_parse.h"
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

constexpr const char* kOwner = "stadt@tube.example";

void check_comment(const CommentRecord& c) {
  if (c.platform_comment_id.empty() || c.created_at == 0) std::abort();
  if (c.reply_to_comment_id == c.platform_comment_id) std::abort();  // answers itself
  if (c.by_account && c.author_id != kOwner) std::abort();
  valid_text(c.text);
}

void run_peertube(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  Page page;
  if (auto list = peertube::parse_videos(text); list.ok()) {
    if (list->posts.size() + list->skipped.size() != list->items) std::abort();
    for (const PostRecord& p : list->posts) {
      if (p.platform_post_id.empty() || p.created_at == 0) std::abort();
      valid_text(p.title);
    }
    page.batch.posts = std::move(list->posts);
  }
  if (auto v = peertube::parse_video(text); v.ok()) {
    if (v->post.platform_post_id.empty()) std::abort();
    page.batch.posts.push_back(std::move(v->post));
  }
  for (auto* parse : {peertube::parse_account, peertube::parse_channel}) {
    if (auto a = parse(text); a.ok()) {
      if (a->name.empty() || a->host.empty()) std::abort();
      valid_text(a->snapshot.display_name);
    }
  }
  if (auto threads = peertube::parse_comment_threads(text, "v", kOwner); threads.ok()) {
    for (const auto& t : threads->threads) {
      if (t.id.empty() || t.total_replies < 0) std::abort();
      if (t.deleted && t.comment) std::abort();  // a tombstone is nobody's comment
      if (t.comment) {
        if (!t.comment->reply_to_comment_id.empty()) std::abort();  // a root answers nothing
        check_comment(*t.comment);
        page.batch.comments.push_back(*t.comment);
      }
    }
  }
  if (auto tree = peertube::parse_comment_tree(text, "v", kOwner); tree.ok()) {
    if (tree->descendants < static_cast<int64_t>(tree->replies.size() + tree->deleted_ids.size()))
      std::abort();
    const std::set<std::string> deleted(tree->deleted_ids.begin(), tree->deleted_ids.end());
    for (const CommentRecord& c : tree->replies) {
      check_comment(c);
      if (c.reply_to_comment_id.empty()) std::abort();         // a reply always names its thread
      if (deleted.count(c.reply_to_comment_id)) std::abort();  // never answers a tombstone
    }
    page.batch.comments.insert(page.batch.comments.end(), tree->replies.begin(),
                               tree->replies.end());
  }
  if (auto p = peertube::parse_problem(text)) {
    valid_text(p->detail);
    valid_text(peertube::error_text(text));
  }
  if (auto v = peertube::parse_config(text); v.ok()) (void)peertube::version_number(*v);
  (void)peertube::version_number(text.substr(0, 40));
  if (size < 300) {
    if (auto h = canonical_peertube_handle(text); h.ok()) {
      // A canonical handle is a fixed point and names an instance.
      auto again = canonical_peertube_handle(*h);
      if (!again.ok() || *again != *h) std::abort();
      if (!peertube::actor_of(*h)) std::abort();
    }
  }
  (void)guard_page(page, 0, 4102444800000 /* 2100-01-01 */);
}

}  // namespace

MUNISCOPE_REGISTER_FUZZ_TARGET(peertube, run_peertube, {"peertube"});

}  // namespace muni::fuzz
