// The MediaWiki parsers as a fuzz target: siteinfo, users, recentchanges and
// usercontribs answers, the error object and the continue values, over
// arbitrary bytes. Seeds: tests/fixtures/mediawiki and
// tests/fixtures/fuzz/mediawiki (ids beyond int64, strings for numbers,
// impossible dates, lone surrogates, foreign keys in "continue").
#include <cstdlib>
#include <string>
#include <string_view>

#include "connectors/mediawiki/mediawiki_parse.h"
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

// Continue values may only carry continuation keys back to the server.
void check_continue(const std::string& q) {
  for (const std::string& part : {std::string("&action="), std::string("&format="),
                                  std::string("&list="), std::string("&maxlag=")}) {
    if (q.find(part) != std::string::npos) std::abort();
  }
  if (!q.empty() && q[0] != '&') std::abort();
}

void run_mediawiki(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const std::string site = "https://wiki.musterstadt.example/w/";
  Page page;
  for (const auto kind :
       {mediawiki::ListKind::kRecentChanges, mediawiki::ListKind::kUserContribs}) {
    auto c = mediawiki::parse_changes(text, kind, site);
    if (!c.ok()) {
      valid_text(c.error().message);
      continue;
    }
    check_continue(c->continue_query);
    if (c->bot_edits < 0 || c->posts.size() + static_cast<size_t>(c->bot_edits) > c->seen.size())
      std::abort();  // every record and every bot edit is a seen entry
    for (const PostRecord& p : c->posts) {
      if (p.platform_post_id.empty() ||
          p.platform_post_id.find_first_not_of("0123456789") != std::string::npos)
        std::abort();  // a revision id, never anything else
      if (p.item_type != kItemWikiEdit && p.item_type != kItemWikiPageCreated) std::abort();
      if (p.url.rfind(site, 0) != 0) std::abort();  // links stay on the wiki
      if (!p.engagement.empty()) std::abort();      // edits have no counts
      valid_text(p.title);
    }
    page.batch.posts.insert(page.batch.posts.end(), c->posts.begin(), c->posts.end());
  }
  if (auto s = mediawiki::parse_siteinfo(text); s.ok()) {
    valid_text(s->snapshot.display_name);
    if (s->snapshot.followers) std::abort();  // a wiki has no followers
    page.batch.snapshot = s->snapshot;
  }
  if (auto u = mediawiki::parse_user(text); u.ok()) valid_text(u->snapshot.handle);
  if (auto e = mediawiki::parse_error(text)) {
    if (e->code.empty()) std::abort();
    valid_text(e->info);
  }
  (void)guard_page(page, 0, 4102444800000 /* 2100-01-01 */);
}

}  // namespace

MUNISCOPE_REGISTER_FUZZ_TARGET(mediawiki, run_mediawiki, {"mediawiki"});

}  // namespace muni::fuzz
