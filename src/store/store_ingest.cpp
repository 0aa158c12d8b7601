// The write path of pages: records and cursor in one transaction.
#include "store/store.h"

#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>

#include "store/store_internal.h"

namespace muni {

using namespace store_detail;

// Prepared statements of the hot write path, built once per connection.
struct Store::Statements {
  explicit Statements(SQLite::Database& db)
      : find_post(
            db,
            "SELECT id, likes, replies, reposts, quotes, views, edited_at, deleted_at, kind, "
            "parent_created_at, text FROM posts WHERE account_id = ? AND platform_post_id = ?"),
        insert_post(
            db,
            "INSERT INTO posts (account_id, platform_post_id, created_at, kind, parent_post_id, "
            "parent_author_id, parent_created_at, parent_state, quoted_post_id, url, text, "
            "language, "
            "has_link, has_media, mentions, first_seen, last_seen, edited_at, likes, replies, "
            "reposts, "
            "quotes, views) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"),
        update_post(
            db,
            "UPDATE posts SET kind = ?, parent_post_id = ?, parent_author_id = ?, "
            "parent_created_at = ?, "
            "parent_state = ?, quoted_post_id = ?, url = ?, text = ?, language = ?, has_link = ?, "
            "has_media = ?, mentions = ?, last_seen = ?, edited_at = ?, deleted_at = NULL, likes = "
            "?, "
            "replies = ?, reposts = ?, quotes = ?, views = ? WHERE id = ?"),
        touch_post(db, "UPDATE posts SET last_seen = ? WHERE id = ?"),
        insert_post_sample(
            db,
            "INSERT OR REPLACE INTO post_samples (post_id, observed_at, likes, replies, reposts, "
            "quotes, views) VALUES (?,?,?,?,?,?,?)"),
        last_account_sample(
            db,
            "SELECT followers, following, posts FROM account_samples WHERE account_id = ? "
            "ORDER BY observed_at DESC LIMIT 1"),
        insert_account_sample(
            db,
            "INSERT OR REPLACE INTO account_samples (account_id, observed_at, followers, "
            "following, posts) VALUES (?,?,?,?,?)"),
        mark_deleted(
            db,
            "UPDATE posts SET deleted_at = ? WHERE account_id = ? AND platform_post_id = ? AND "
            "deleted_at IS NULL"),
        insert_comment(db,
                       "INSERT INTO comments (account_id, platform_comment_id, on_post_id, "
                       "author_id, by_account, "
                       "reply_to_comment_id, created_at, first_seen) VALUES (?,?,?,?,?,?,?,?) "
                       "ON CONFLICT (account_id, platform_comment_id) DO NOTHING"),
        insert_event(
            db,
            "INSERT INTO account_events (account_id, observed_at, kind, detail) VALUES (?,?,?,?)"),
        own_post_exists(db,
                        "SELECT 1 FROM posts WHERE account_id = ? AND platform_post_id = ? AND "
                        "kind != 'repost'"),
        adopt_children(
            db,
            "UPDATE posts SET kind = 'reply_self' WHERE account_id = ? AND parent_post_id = ? AND "
            "kind IN ('reply_other', 'reply_unknown')") {}

  SQLite::Statement find_post;
  SQLite::Statement insert_post;
  SQLite::Statement update_post;
  SQLite::Statement touch_post;
  SQLite::Statement insert_post_sample;
  SQLite::Statement last_account_sample;
  SQLite::Statement insert_account_sample;
  SQLite::Statement mark_deleted;
  SQLite::Statement insert_comment;
  SQLite::Statement insert_event;
  SQLite::Statement own_post_exists;
  SQLite::Statement adopt_children;
};

// Defined here, where Statements is complete.
Store::Store(std::string path, std::unique_ptr<SQLite::Database> db)
    : path_(std::move(path)), db_(std::move(db)) {}
Store::~Store() = default;

Result<PageCounts> Store::commit_page(int64_t account_id, const Page& page, TimeMs now) {
  PageCounts counts;
  try {
    if (!stmts_) stmts_ = std::make_unique<Statements>(*db_);
    Statements& s = *stmts_;
    SQLite::Transaction txn(*db_);
    const auto id64 = static_cast<int64_t>(account_id);
    const auto now64 = static_cast<int64_t>(now);

    if (page.batch.snapshot) {
      const AccountSnapshot& snap = *page.batch.snapshot;
      // Handle changes are recorded generically: the connector reports the
      // current handle, the store compares with the last one it saw.
      SQLite::Statement prev(*db_, "SELECT current_handle FROM accounts WHERE id = ?");
      prev.bind(1, id64);
      std::string previous_handle;
      if (prev.executeStep()) previous_handle = col_text(prev, 0);
      if (!snap.handle.empty() && !previous_handle.empty() && previous_handle != snap.handle) {
        s.insert_event.bind(1, id64);
        s.insert_event.bind(2, now64);
        s.insert_event.bind(3, "handle_changed");
        s.insert_event.bind(4, previous_handle + " -> " + snap.handle);
        s.insert_event.exec();
        s.insert_event.reset();
      }
      SQLite::Statement upd(
          *db_,
          "UPDATE accounts SET current_handle = COALESCE(?, current_handle), "
          "display_name = COALESCE(?, display_name), profile_url = COALESCE(?, profile_url), "
          "created_at = COALESCE(?, created_at), created_precision = COALESCE(?, "
          "created_precision), "
          "last_status_at = COALESCE(?, last_status_at), "
          "platform_id = COALESCE(?, platform_id), updated_at = ? WHERE id = ?");
      bind_text_or_null(upd, 1, snap.handle);
      bind_text_or_null(upd, 2, snap.display_name);
      bind_text_or_null(upd, 3, snap.profile_url);
      bind_opt(upd, 4, snap.created_at);
      if (snap.created_at) {
        upd.bind(5, snap.created_at_day_precision ? "day" : "exact");
      } else {
        upd.bind(5);
      }
      bind_opt(upd, 6, snap.last_status_at);
      bind_text_or_null(upd, 7, snap.platform_id);
      upd.bind(8, now64);
      upd.bind(9, id64);
      upd.exec();
      if (snap.followers || snap.following || snap.posts) {
        s.last_account_sample.bind(1, id64);
        bool changed = true;
        if (s.last_account_sample.executeStep()) {
          changed = col_opt(s.last_account_sample, 0) != snap.followers ||
                    col_opt(s.last_account_sample, 1) != snap.following ||
                    col_opt(s.last_account_sample, 2) != snap.posts;
        }
        s.last_account_sample.reset();
        if (changed) {
          s.insert_account_sample.bind(1, id64);
          s.insert_account_sample.bind(2, now64);
          bind_opt(s.insert_account_sample, 3, snap.followers);
          bind_opt(s.insert_account_sample, 4, snap.following);
          bind_opt(s.insert_account_sample, 5, snap.posts);
          s.insert_account_sample.exec();
          s.insert_account_sample.reset();
          ++counts.account_samples;
        }
      }
    }

    for (const PostRecord& record : page.batch.posts) {
      // A reply to one of the account's own stored posts is a self-thread
      // reply, whatever the platform's reply-to account says (Mastodon carries
      // the original addressee down a self-thread: Status.md,
      // in_reply_to_account_id). Replies stored before their parent are
      // re-classified when the parent arrives (adopt_children below).
      const PostRecord& p = record;
      PostKind kind = p.kind;
      if ((kind == PostKind::kReplyOther || kind == PostKind::kReplyUnknown) &&
          !p.parent_post_id.empty()) {
        s.own_post_exists.bind(1, id64);
        s.own_post_exists.bind(2, p.parent_post_id);
        if (s.own_post_exists.executeStep()) kind = PostKind::kReplySelf;
        s.own_post_exists.reset();
      }
      const bool repost = kind == PostKind::kRepost;
      s.find_post.bind(1, id64);
      s.find_post.bind(2, p.platform_post_id);
      const bool exists = s.find_post.executeStep();
      int64_t post_id = 0;
      Engagement stored;
      bool content_changed = false;
      if (exists) {
        post_id = s.find_post.getColumn(0).getInt64();
        stored =
            Engagement{col_opt(s.find_post, 1), col_opt(s.find_post, 2), col_opt(s.find_post, 3),
                       col_opt(s.find_post, 4), col_opt(s.find_post, 5)};
        content_changed = col_opt(s.find_post, 6) != p.edited_at ||
                          !s.find_post.getColumn(7).isNull() ||
                          col_text(s.find_post, 8) != post_kind_id(kind) ||
                          (p.parent_created_at && col_opt(s.find_post, 9) != p.parent_created_at) ||
                          col_text(s.find_post, 10) != p.text;
      }
      s.find_post.reset();
      if (p.counts_only && !exists) continue;  // nothing to refresh
      // A count the platform left out this time keeps its last value: absent
      // means "not reported", not "dropped to unknown". Reposts carry no
      // engagement of the municipality's own.
      Engagement current;
      if (!repost) {
        current = p.engagement;
        if (!current.likes) current.likes = stored.likes;
        if (!current.replies) current.replies = stored.replies;
        if (!current.reposts) current.reposts = stored.reposts;
        if (!current.quotes) current.quotes = stored.quotes;
        if (!current.views) current.views = stored.views;
      }
      const bool engagement_changed = !repost && !p.engagement.empty() && !(current == stored);
      if (!exists) {
        SQLite::Statement& ins = s.insert_post;
        ins.bind(1, id64);
        ins.bind(2, p.platform_post_id);
        ins.bind(3, static_cast<int64_t>(p.created_at));
        ins.bind(4, std::string(post_kind_id(kind)));
        bind_text_or_null(ins, 5, p.parent_post_id);
        bind_text_or_null(ins, 6, p.parent_author_id);
        bind_opt(ins, 7, p.parent_created_at);
        bind_text_or_null(ins, 8, std::string(parent_state_id(p.parent_state)));
        bind_text_or_null(ins, 9, p.quoted_post_id);
        bind_text_or_null(ins, 10, p.url);
        ins.bind(11, p.text);
        bind_text_or_null(ins, 12, p.language);
        ins.bind(13, p.has_link ? 1 : 0);
        ins.bind(14, p.has_media ? 1 : 0);
        ins.bind(15, p.mentions);
        ins.bind(16, now64);
        ins.bind(17, now64);
        bind_opt(ins, 18, p.edited_at);
        bind_opt(ins, 19, current.likes);
        bind_opt(ins, 20, current.replies);
        bind_opt(ins, 21, current.reposts);
        bind_opt(ins, 22, current.quotes);
        bind_opt(ins, 23, current.views);
        ins.exec();
        ins.reset();
        post_id = db_->getLastInsertRowid();
        ++counts.posts_new;
        if (!repost) {
          s.adopt_children.bind(1, id64);
          s.adopt_children.bind(2, p.platform_post_id);
          s.adopt_children.exec();
          s.adopt_children.reset();
        }
      } else if (p.counts_only) {
        SQLite::Statement upd(
            *db_,
            "UPDATE posts SET likes = ?, replies = ?, reposts = ?, quotes = ?, views = ?, "
            "last_seen = ?, deleted_at = NULL WHERE id = ?");
        bind_opt(upd, 1, current.likes);
        bind_opt(upd, 2, current.replies);
        bind_opt(upd, 3, current.reposts);
        bind_opt(upd, 4, current.quotes);
        bind_opt(upd, 5, current.views);
        upd.bind(6, now64);
        upd.bind(7, static_cast<int64_t>(post_id));
        upd.exec();
        if (engagement_changed) ++counts.posts_updated;
      } else if (engagement_changed || content_changed) {
        SQLite::Statement& upd = s.update_post;
        upd.bind(1, std::string(post_kind_id(kind)));
        bind_text_or_null(upd, 2, p.parent_post_id);
        bind_text_or_null(upd, 3, p.parent_author_id);
        bind_opt(upd, 4, p.parent_created_at);
        bind_text_or_null(upd, 5, std::string(parent_state_id(p.parent_state)));
        bind_text_or_null(upd, 6, p.quoted_post_id);
        bind_text_or_null(upd, 7, p.url);
        upd.bind(8, p.text);
        bind_text_or_null(upd, 9, p.language);
        upd.bind(10, p.has_link ? 1 : 0);
        upd.bind(11, p.has_media ? 1 : 0);
        upd.bind(12, p.mentions);
        upd.bind(13, now64);
        bind_opt(upd, 14, p.edited_at);
        bind_opt(upd, 15, current.likes);
        bind_opt(upd, 16, current.replies);
        bind_opt(upd, 17, current.reposts);
        bind_opt(upd, 18, current.quotes);
        bind_opt(upd, 19, current.views);
        upd.bind(20, static_cast<int64_t>(post_id));
        upd.exec();
        upd.reset();
        ++counts.posts_updated;
      } else {
        s.touch_post.bind(1, now64);
        s.touch_post.bind(2, static_cast<int64_t>(post_id));
        s.touch_post.exec();
        s.touch_post.reset();
      }
      if (engagement_changed) {
        SQLite::Statement& smp = s.insert_post_sample;
        smp.bind(1, static_cast<int64_t>(post_id));
        smp.bind(2, now64);
        bind_opt(smp, 3, current.likes);
        bind_opt(smp, 4, current.replies);
        bind_opt(smp, 5, current.reposts);
        bind_opt(smp, 6, current.quotes);
        bind_opt(smp, 7, current.views);
        smp.exec();
        smp.reset();
        ++counts.engagement_samples;
      }
    }

    for (const std::string& gone : page.batch.deleted_post_ids) {
      s.mark_deleted.bind(1, now64);
      s.mark_deleted.bind(2, id64);
      s.mark_deleted.bind(3, gone);
      if (s.mark_deleted.exec() > 0) ++counts.posts_updated;
      s.mark_deleted.reset();
    }

    for (const CommentRecord& c : page.batch.comments) {
      SQLite::Statement& ins = s.insert_comment;
      ins.bind(1, id64);
      ins.bind(2, c.platform_comment_id);
      ins.bind(3, c.on_post_id);
      bind_text_or_null(ins, 4, c.author_id);
      ins.bind(5, c.by_account ? 1 : 0);
      bind_text_or_null(ins, 6, c.reply_to_comment_id);
      ins.bind(7, static_cast<int64_t>(c.created_at));
      ins.bind(8, now64);
      ins.exec();
      ins.reset();
    }

    for (const AccountEvent& ev : page.batch.events) {
      s.insert_event.bind(1, id64);
      s.insert_event.bind(2, now64);
      s.insert_event.bind(3, ev.kind);
      s.insert_event.bind(4, ev.detail);
      s.insert_event.exec();
      s.insert_event.reset();
    }

    std::optional<BackfillState> backfill_state = page.backfill_state;
    std::optional<std::string> history_note = page.history_note;
    if (backfill_state == BackfillState::kComplete && page.expected_own_posts) {
      SQLite::Statement n(*db_,
                          "SELECT COUNT(*) FROM posts WHERE account_id = ? AND kind != 'repost' "
                          "AND deleted_at IS NULL");
      n.bind(1, id64);
      const int64_t stored = n.executeStep() ? n.getColumn(0).getInt64() : 0;
      if (stored < *page.expected_own_posts) {
        backfill_state = BackfillState::kIncomplete;
        history_note = "the platform's feed ended after " + std::to_string(stored) +
                       " own posts, but the profile reports " +
                       std::to_string(*page.expected_own_posts) + "; older history may be missing";
        s.insert_event.bind(1, id64);
        s.insert_event.bind(2, now64);
        s.insert_event.bind(3, "history_incomplete");
        s.insert_event.bind(4, *history_note);
        s.insert_event.exec();
        s.insert_event.reset();
      }
    }
    if (page.cursor || page.platform_id || backfill_state || history_note) {
      SQLite::Statement upd(
          *db_,
          "UPDATE accounts SET cursor = COALESCE(?, cursor), platform_id = COALESCE(?, "
          "platform_id), "
          "backfill_state = COALESCE(?, backfill_state), history_note = COALESCE(?, history_note), "
          "updated_at = ? WHERE id = ?");
      if (page.cursor) {
        upd.bind(1, *page.cursor);
      } else {
        upd.bind(1);
      }
      if (page.platform_id) {
        upd.bind(2, *page.platform_id);
      } else {
        upd.bind(2);
      }
      if (backfill_state) {
        upd.bind(3, std::string(backfill_state_id(*backfill_state)));
      } else {
        upd.bind(3);
      }
      if (history_note) {
        upd.bind(4, *history_note);
      } else {
        upd.bind(4);
      }
      upd.bind(5, now64);
      upd.bind(6, id64);
      upd.exec();
    }
    txn.commit();
  } catch (const std::exception& e) {
    return storage_error("committing a page for account " + std::to_string(account_id), e);
  }
  return counts;
}

Result<std::vector<std::string>> Store::recent_post_ids(int64_t account_id, TimeMs since,
                                                        size_t limit) {
  std::vector<std::string> out;
  try {
    SQLite::Statement st(
        *db_,
        "SELECT platform_post_id FROM posts WHERE account_id = ? AND created_at >= ? AND "
        "kind != 'repost' AND deleted_at IS NULL ORDER BY created_at DESC LIMIT ?");
    st.bind(1, static_cast<int64_t>(account_id));
    st.bind(2, static_cast<int64_t>(since));
    st.bind(3, static_cast<int64_t>(limit));
    while (st.executeStep()) out.push_back(st.getColumn(0).getString());
  } catch (const std::exception& e) {
    return storage_error("listing recent posts", e);
  }
  return out;
}

}  // namespace muni
