// Page ingest: how the pages of a connector's step reach the store.
//
// Owns (engine_ingest.cpp): Engine::handle_step, commit_page_of,
// commit_counted, admit_page.
//
//   - A batch step may hold pages of several accounts: each commits on its
//     own; a page for an account outside the session is dropped.
//   - Admission (admit_page): the page guard (engine/page_guard.h) drops or
//     corrects what may not be stored, and notes it in the poll log; a
//     newly resolved platform id that another account already has marks
//     this one a duplicate, and nothing of it is stored.
//   - A page and its cursor commit in one transaction; a long page in
//     chunks of Engine::kCommitChunkPosts, only the last with the cursor,
//     backfill state and deletions, so a stop between chunks loses nothing
//     and skips nothing.
//   - After the commit the account's saved position (cursor, platform id,
//     backfill state, history note, own posts stored) follows the page.
#pragma once

#include <cstddef>

#include "engine/connector.h"
#include "store/store.h"

namespace muni {

// The first `n` posts of a long page as a page of their own, with the
// page's profile snapshot; the rest (the cursor, backfill state, deletions
// and every other part) stays in `page`, to be committed last.
Page take_chunk(Page& page, size_t n);

// The account's saved position after `page` was committed: its cursor,
// platform id (resolved, or the snapshot's), backfill state, history note,
// and the count of own posts stored (reposts are not the account's posts).
void follow_page(StoredAccount& account, const Page& page);

}  // namespace muni
