// Page ingest (engine_ingest.h).
#include "engine/engine_ingest.h"

#include <algorithm>

#include "core/text_safety.h"
#include "engine/engine_state.h"
#include "engine/page_guard.h"

namespace muni {

using namespace engine_detail;

Page take_chunk(Page& page, size_t n) {
  Page chunk;
  chunk.account_id = page.account_id;
  chunk.batch.snapshot = std::exchange(page.batch.snapshot, std::nullopt);
  const size_t take = std::min(n, page.batch.posts.size());
  chunk.batch.posts.assign(std::make_move_iterator(page.batch.posts.begin()),
                           std::make_move_iterator(page.batch.posts.begin() + take));
  page.batch.posts.erase(page.batch.posts.begin(), page.batch.posts.begin() + take);
  return chunk;
}

void follow_page(StoredAccount& account, const Page& page) {
  if (page.cursor) account.cursor = *page.cursor;
  if (page.platform_id) account.platform_id = *page.platform_id;
  if (page.backfill_state) account.backfill_state = *page.backfill_state;
  if (page.history_note) account.history_note = *page.history_note;
  for (const PostRecord& post : page.batch.posts) {
    if (post.kind != PostKind::kRepost) ++account.own_posts_stored;  // approximate; reloads recount
  }
  if (page.batch.snapshot && !page.batch.snapshot->platform_id.empty())
    account.platform_id = page.batch.snapshot->platform_id;
}

Engine::Ingest Engine::handle_step(Session& s, StepResult step, TimeMs now, bool not_modified) {
  const uint64_t id = s.id;
  // A batch answer may hold pages of several accounts: each commits on its own.
  std::vector<Page> pages;
  if (step.page) pages.push_back(std::move(*step.page));
  for (Page& p : step.more_pages) pages.push_back(std::move(p));
  step.page.reset();
  step.more_pages.clear();
  for (Page& p : pages) {
    const Ingest result = commit_page_of(s, p, now);
    if (sessions_.count(id) == 0) return result;  // finished (a duplicate, a stop, the store)
  }
  handle_step_rest(s, std::move(step), not_modified, now);
  return Ingest::kStored;
}

Engine::Ingest Engine::commit_page_of(Session& s, Page& page, TimeMs now) {
  const int64_t target = page.account_id != 0 ? page.account_id : s.accounts.front();
  AccountRt* a = std::find(s.accounts.begin(), s.accounts.end(), target) != s.accounts.end()
                     ? account(target)
                     : nullptr;
  if (a == nullptr) {
    // A page for an account outside the session: a connector bug, never stored.
    log()->error("{}: page for account {} outside the session dropped", s.label, target);
    return Ingest::kStored;
  }
  // A duplicate: a single session is finished, a batch goes on.
  if (!admit_page(s, page, *a, now)) return Ingest::kDuplicate;
  if (page.empty()) return Ingest::kStored;
  // The profile's count of posts ranks the account's backfill.
  if (page.batch.snapshot && page.batch.snapshot->posts)
    a->stored.profile_posts = page.batch.snapshot->posts;
  // A long page (a feed of 100,000 entries) is stored in bounded chunks, so
  // a stop request waits for one chunk, never for the whole page. Only the
  // last chunk carries the cursor, the backfill state and the deletions: a
  // page cut short by a stop is read again next time (stored posts are
  // updated, never duplicated), and nothing is skipped past.
  while (page.batch.posts.size() > kCommitChunkPosts) {
    const Page chunk = take_chunk(page, kCommitChunkPosts);
    if (!commit_counted(s, *a, chunk, now)) return Ingest::kStoreFailed;
    if (stop_requested()) {
      finish(s,
             Finish{Outcome::kInterrupted, FailureKind::kNone, false,
                    "stopped while storing a long page; the rest is read again next time", 0},
             now);
      return Ingest::kInterrupted;
    }
  }
  if (!commit_counted(s, *a, page, now)) return Ingest::kStoreFailed;
  follow_page(a->stored, page);
  return Ingest::kStored;
}

bool Engine::commit_counted(Session& s, AccountRt& a, const Page& page, TimeMs now) {
  auto counts = store_.commit_page(a.stored.id, page, wall_of(now));
  if (!counts.ok()) {
    finish(s, Finish{Outcome::kStorageError, FailureKind::kNone, true, counts.error().message, 0},
           now);
    return false;
  }
  s.posts_new += counts->posts_new;
  s.posts_updated += counts->posts_updated;
  s.posts_deleted += counts->posts_deleted;
  s.comment_sweeps += counts->comment_sweeps;
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
          finish(
              s,
              Finish{Outcome::kDuplicate, FailureKind::kDuplicate, false, a.rt().state_reason, 0},
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
