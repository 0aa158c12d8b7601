// Page ingest (engine_ingest.h).
#include "engine/engine_ingest.h"

#include <algorithm>

#include "core/text_safety.h"
#include "engine/engine_state.h"
#include "engine/page_guard.h"

namespace muni {

using namespace engine_detail;

void Engine::handle_step(Session& s, StepResult step, TimeMs now) {
  const uint64_t id = s.id;
  // A batch answer may hold pages of several accounts: each commits on its own.
  std::vector<Page> pages;
  if (step.page) pages.push_back(std::move(*step.page));
  for (Page& p : step.more_pages) pages.push_back(std::move(p));
  step.page.reset();
  step.more_pages.clear();
  for (Page& p : pages) {
    commit_page_of(s, p, now);
    if (sessions_.count(id) == 0) return;  // finished (a duplicate, or the store failed)
  }
  handle_step_rest(s, std::move(step), now);
}

void Engine::commit_page_of(Session& s, Page& page, TimeMs now) {
  {
    const int64_t target = page.account_id != 0 ? page.account_id : s.accounts.front();
    AccountRt* a = std::find(s.accounts.begin(), s.accounts.end(), target) != s.accounts.end()
                       ? account(target)
                       : nullptr;
    if (a == nullptr) {
      // A page for an account outside the session: a connector bug, never stored.
      log()->error("{}: page for account {} outside the session dropped", s.label, target);
    } else {
      if (!admit_page(s, page, *a, now)) {
        return;  // a duplicate: a single session is finished, a batch goes on
      } else if (!page.empty()) {
        // The profile's count of posts ranks the account's backfill.
        if (page.batch.snapshot && page.batch.snapshot->posts)
          a->stored.profile_posts = page.batch.snapshot->posts;
        // A long page (a feed of 100,000 entries) is stored in bounded
        // chunks, so a stop request waits for one chunk, never for the whole
        // page. Only the last chunk carries the cursor, the backfill state
        // and the deletions: a page cut short by a stop is read again next
        // time (stored posts are updated, never duplicated), and nothing is
        // skipped past.
        while (page.batch.posts.size() > kCommitChunkPosts) {
          Page chunk;
          chunk.account_id = page.account_id;
          chunk.batch.snapshot = std::exchange(page.batch.snapshot, std::nullopt);
          chunk.batch.posts.assign(
              std::make_move_iterator(page.batch.posts.begin()),
              std::make_move_iterator(page.batch.posts.begin() + kCommitChunkPosts));
          page.batch.posts.erase(page.batch.posts.begin(),
                                 page.batch.posts.begin() + kCommitChunkPosts);
          if (!commit_counted(s, *a, chunk, now)) return;
          if (stop_requested()) {
            finish(s,
                   Finish{"interrupted", FailureKind::kNone, false,
                          "stopped while storing a long page; the rest is read again next time", 0},
                   now);
            return;
          }
        }
        if (!commit_counted(s, *a, page, now)) return;
        const Page& p = page;
        if (p.cursor) a->stored.cursor = *p.cursor;
        if (p.platform_id) a->stored.platform_id = *p.platform_id;
        if (p.backfill_state) a->stored.backfill_state = *p.backfill_state;
        if (p.history_note) a->stored.history_note = *p.history_note;
        for (const PostRecord& post : p.batch.posts) {
          if (post.kind != PostKind::kRepost)
            ++a->stored.own_posts_stored;  // approximate; reloads recount
        }
        if (p.batch.snapshot && !p.batch.snapshot->platform_id.empty())
          a->stored.platform_id = p.batch.snapshot->platform_id;
      }
    }
  }
}

bool Engine::commit_counted(Session& s, AccountRt& a, const Page& page, TimeMs now) {
  auto counts = store_.commit_page(a.stored.id, page, wall_of(now));
  if (!counts.ok()) {
    commit_failed_ = true;
    finish(s, Finish{"storage_error", FailureKind::kNone, true, counts.error().message, 0}, now);
    return false;
  }
  s.posts_new += counts->posts_new;
  s.posts_updated += counts->posts_updated;
  s.posts_deleted += counts->posts_deleted;
  counters_.posts_new += counts->posts_new;
  counters_.posts_updated += counts->posts_updated;
  counters_.posts_deleted += counts->posts_deleted;
  return true;
}

bool Engine::admit_page(Session& s, Page& page, AccountRt& a, TimeMs now) {
  // What may be stored at all: the same rules for every connector.
  const PageAudit audit = guard_page(page, a.platform->earliest_item_ms, wall_of(now));
  if (!audit.clean()) {
    const std::string summary = audit.summary();
    s.items_skipped += static_cast<int>(audit.skipped.size());
    counters_.items_skipped += static_cast<int64_t>(audit.skipped.size());
    if (s.notes.size() < 2000) s.notes += (s.notes.empty() ? "" : "; ") + summary;
    std::string detail;
    for (size_t i = 0; i < audit.skipped.size() && i < 3; ++i) {
      detail += (i ? "; " : " (") +
                (audit.skipped[i].id.empty() ? "" : audit.skipped[i].id + ": ") +
                audit.skipped[i].reason;
    }
    if (!detail.empty()) detail += audit.skipped.size() > 3 ? "; ...)" : ")";
    log()->warn("{} {}: {}{}", work_kind_id(s.work), a.label(), summary,
                vault_.scrub(printable(detail)));
  }
  // A newly resolved id that another configured account already has: the
  // same platform account under a second spelling. Nothing of it is stored.
  std::string resolved = page.platform_id.value_or("");
  if (resolved.empty() && page.batch.snapshot) resolved = page.batch.snapshot->platform_id;
  if (!resolved.empty()) {
    const std::string identity = identity_of(a, resolved);
    const auto it = identities_.find(identity);
    if (it != identities_.end() && it->second != a.stored.id) {
      if (const AccountRt* primary = account(it->second); primary != nullptr) {
        a.stored.platform_id = resolved;
        mark_duplicate(a, *primary, now);
        if (s.accounts.size() == 1) {
          finish(s, Finish{"duplicate", FailureKind::kDuplicate, false, a.rt().state_reason, 0},
                 now);
        } else {
          s.outcomes[a.stored.id] = {FailureKind::kDuplicate, a.rt().state_reason};
        }
        return false;
      }
    }
    if (resolved != a.stored.platform_id) {
      if (!a.stored.platform_id.empty()) identities_.erase(identity_of(a, a.stored.platform_id));
      identities_[identity] = a.stored.id;
    }
  }
  return true;
}

}  // namespace muni
