// The WordPress parsers as a fuzz target: posts and comments collections,
// the error shape, the paging headers, the REST-off classification and the
// feed's guids, over arbitrary bytes. Seeds: tests/fixtures/wordpress and
// tests/fixtures/fuzz/wordpress (inputs with odd values: ids beyond int64,
// strings for numbers, impossible dates, lone surrogates).
#include <cstdlib>
#include <string>
#include <string_view>

#include "connectors/wordpress/wordpress_parse.h"
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

void run_wordpress(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  Page page;
  if (auto posts = wordpress::parse_posts(text); posts.ok()) {
    for (const PostRecord& p : posts->posts) {
      if (p.platform_post_id.empty()) std::abort();  // an id is required
      if (!p.engagement.empty()) std::abort();       // WordPress lists no counts
      valid_text(p.title);
      if (p.text.size() > 4 * size + 64) std::abort();  // text cannot outgrow its input
    }
    page.batch.posts = std::move(posts->posts);
  }
  wordpress::Staff staff;
  staff.user_ids = {"1", "3"};
  staff.names = {"Pressestelle"};
  if (auto comments = wordpress::parse_comments(text, staff); comments.ok()) {
    for (const CommentRecord& c : comments->comments) {
      if (c.platform_comment_id.empty()) std::abort();
      if (c.reply_to_comment_id == "0") std::abort();  // 0 is "top-level", never a parent
      valid_text(c.text);
    }
    page.batch.comments = std::move(comments->comments);
  }
  (void)wordpress::parse_comment_post_ids(text);
  (void)wordpress::parse_comment_status(text);
  (void)wordpress::count_entries(text);
  if (auto e = wordpress::parse_error(text)) valid_text(e->message);
  for (const int status : {200, 400, 401, 404}) {
    (void)wordpress::is_past_last_page(status, text);
    (void)wordpress::rest_off(status, text);
  }
  const std::string id = wordpress::post_id_from_guid(text);
  if (id.find_first_not_of("0123456789") != std::string::npos) std::abort();
  const std::string line(text.substr(0, text.find('\n')));
  (void)wordpress::parse_paging(line, line);
  (void)wordpress::staff_names_for(text, "www.stadt.example");
  (void)guard_page(page, 0, 4102444800000 /* 2100-01-01 */);
}

}  // namespace

MUNISCOPE_REGISTER_FUZZ_TARGET(wordpress, run_wordpress, {"wordpress"});

}  // namespace muni::fuzz
