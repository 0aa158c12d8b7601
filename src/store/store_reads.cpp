#include "store/store_reads.h"

#include <SQLiteCpp/SQLiteCpp.h>

#include "store/store.h"
#include "store/store_internal.h"

namespace muni {

using store_detail::col_opt;

namespace {

Error read_error(const std::string& what, const std::exception& e) {
  return make_error(ErrorCode::kStorage, what + ": " + e.what());
}

}  // namespace

struct ActivityReader::Statements {
  explicit Statements(SQLite::Database& db)
      : posts(db,
              "SELECT created_at, kind, parent_author_id, parent_created_at, mentions, likes, "
              "replies, reposts FROM posts WHERE account_id = ? AND created_at >= ? AND "
              "created_at < ? ORDER BY created_at"),
        first(db, "SELECT MIN(created_at) FROM posts WHERE account_id = ? AND kind != 'repost'"),
        before(db,
               "SELECT MAX(created_at) FROM posts WHERE account_id = ? AND kind != 'repost' AND "
               "created_at < ?"),
        followers(db,
                  "SELECT observed_at, followers FROM account_samples WHERE account_id = ? AND "
                  "followers IS NOT NULL ORDER BY observed_at"),
        spans(db,
              "SELECT from_at, to_at FROM coverage_spans WHERE account_id = ? ORDER BY from_at"),
        comments(db,
                 "SELECT platform_comment_id, by_account, reply_to_comment_id, created_at FROM "
                 "comments WHERE account_id = ? AND created_at >= ? AND created_at < ? ORDER BY "
                 "created_at"),
        sweeps(db,
               "SELECT created_at, comments_swept_at, comments_sweep FROM posts WHERE "
               "account_id = ? AND created_at < ? AND kind != 'repost' AND deleted_at IS NULL "
               "ORDER BY created_at") {}
  SQLite::Statement posts, first, before, followers, spans, comments, sweeps;
};

ActivityReader::ActivityReader(Store& store) {
  try {
    st_ = std::make_unique<Statements>(store.db());
  } catch (const std::exception& e) {
    error_ = e.what();
  }
}

ActivityReader::~ActivityReader() = default;

Result<AccountActivity> ActivityReader::read(int64_t account_id, const std::string& platform_id,
                                             TimeMs from, TimeMs to, bool with_comments) {
  if (!st_) return make_error(ErrorCode::kStorage, "loading data for metrics: " + error_);
  Statements& s = *st_;
  AccountActivity d;
  try {
    s.posts.bind(1, account_id);
    s.posts.bind(2, static_cast<int64_t>(from));
    s.posts.bind(3, static_cast<int64_t>(to));
    while (s.posts.executeStep()) {
      ActivityPost r;
      r.created_at = s.posts.getColumn(0).getInt64();
      r.kind = parse_post_kind(s.posts.getColumn(1).getString()).value_or(PostKind::kOriginal);
      r.parent_is_other =
          !s.posts.getColumn(2).isNull() && s.posts.getColumn(2).getString() != platform_id;
      r.parent_created_at = col_opt(s.posts, 3);
      r.mentions = s.posts.getColumn(4).getInt();
      r.likes = col_opt(s.posts, 5);
      r.replies = col_opt(s.posts, 6);
      r.reposts = col_opt(s.posts, 7);
      d.posts.push_back(std::move(r));
    }
    s.posts.reset();
    s.first.bind(1, account_id);
    if (s.first.executeStep()) d.first_own_post = col_opt(s.first, 0);
    s.first.reset();
    s.before.bind(1, account_id);
    s.before.bind(2, static_cast<int64_t>(from));
    if (s.before.executeStep()) d.last_own_post_before_window = col_opt(s.before, 0);
    s.before.reset();
    s.followers.bind(1, account_id);
    while (s.followers.executeStep())
      d.followers.push_back(
          {s.followers.getColumn(0).getInt64(), s.followers.getColumn(1).getInt64()});
    s.followers.reset();
    s.spans.bind(1, account_id);
    while (s.spans.executeStep())
      d.spans.emplace_back(s.spans.getColumn(0).getInt64(), s.spans.getColumn(1).getInt64());
    s.spans.reset();
    if (with_comments) {
      s.comments.bind(1, account_id);
      s.comments.bind(2, static_cast<int64_t>(from));
      s.comments.bind(3, static_cast<int64_t>(to));
      while (s.comments.executeStep()) {
        ActivityComment c;
        c.id = s.comments.getColumn(0).getString();
        c.by_account = s.comments.getColumn(1).getInt() != 0;
        if (!s.comments.getColumn(2).isNull()) c.reply_to = s.comments.getColumn(2).getString();
        c.created_at = s.comments.getColumn(3).getInt64();
        d.comments.push_back(std::move(c));
      }
      s.comments.reset();
      s.sweeps.bind(1, account_id);
      s.sweeps.bind(2, static_cast<int64_t>(to));
      while (s.sweeps.executeStep()) {
        ItemCommentSweep w;
        w.created_at = s.sweeps.getColumn(0).getInt64();
        w.swept_at = col_opt(s.sweeps, 1);
        w.complete = w.swept_at && !s.sweeps.getColumn(2).isNull() &&
                     s.sweeps.getColumn(2).getString() != "partial";
        d.comment_sweeps.push_back(w);
      }
      s.sweeps.reset();
    }
  } catch (const std::exception& e) {
    // Leave the statements reusable for the next account.
    for (SQLite::Statement* st :
         {&s.posts, &s.first, &s.before, &s.followers, &s.spans, &s.comments, &s.sweeps}) {
      try {
        st->reset();
      } catch (...) {
      }
    }
    return read_error("loading data for metrics", e);
  }
  return d;
}

Result<std::optional<TimeMs>> first_observation(Store& store, int64_t account_id) {
  try {
    SQLite::Statement q(
        store.db(),
        "SELECT MIN(t) FROM (SELECT MIN(created_at) AS t FROM posts WHERE account_id = ?1 "
        "UNION ALL SELECT MIN(observed_at) FROM account_samples WHERE account_id = ?1)");
    q.bind(1, account_id);
    if (q.executeStep()) return col_opt(q, 0);
    return std::optional<TimeMs>();
  } catch (const std::exception& e) {
    return read_error("reading the first observation", e);
  }
}

Result<std::optional<CountsSample>> counts_before(Store& store, int64_t account_id, TimeMs before) {
  try {
    SQLite::Statement q(store.db(),
                        "SELECT followers, following, posts FROM account_samples WHERE account_id "
                        "= ? AND observed_at < ? ORDER BY observed_at DESC LIMIT 1");
    q.bind(1, account_id);
    q.bind(2, static_cast<int64_t>(before));
    if (!q.executeStep()) return std::optional<CountsSample>();
    return std::optional<CountsSample>(CountsSample{col_opt(q, 0), col_opt(q, 1), col_opt(q, 2)});
  } catch (const std::exception& e) {
    return read_error("reading account samples", e);
  }
}

Result<int64_t> count_account_samples(Store& store, int64_t account_id, TimeMs from, TimeMs to) {
  try {
    SQLite::Statement q(store.db(),
                        "SELECT COUNT(*) FROM account_samples WHERE account_id = ? AND observed_at "
                        ">= ? AND observed_at < ?");
    q.bind(1, account_id);
    q.bind(2, static_cast<int64_t>(from));
    q.bind(3, static_cast<int64_t>(to));
    q.executeStep();
    return q.getColumn(0).getInt64();
  } catch (const std::exception& e) {
    return read_error("counting account samples", e);
  }
}

Result<std::map<std::string, int64_t>> post_kind_counts(Store& store, int64_t account_id,
                                                        TimeMs from, TimeMs to) {
  try {
    SQLite::Statement q(store.db(),
                        "SELECT kind, COUNT(*) FROM posts WHERE account_id = ? AND created_at >= ? "
                        "AND created_at < ? GROUP BY kind");
    q.bind(1, account_id);
    q.bind(2, static_cast<int64_t>(from));
    q.bind(3, static_cast<int64_t>(to));
    std::map<std::string, int64_t> n;
    while (q.executeStep()) n[q.getColumn(0).getString()] = q.getColumn(1).getInt64();
    return n;
  } catch (const std::exception& e) {
    return read_error("counting posts", e);
  }
}

Result<EngagementTotals> engagement_totals(Store& store, int64_t account_id, TimeMs from,
                                           TimeMs to) {
  try {
    SQLite::Statement q(
        store.db(),
        "SELECT COUNT(*), SUM(likes), SUM(replies), SUM(reposts), COUNT(likes), COUNT(replies), "
        "COUNT(reposts) FROM posts WHERE account_id = ? AND kind != 'repost' AND created_at >= ? "
        "AND created_at < ?");
    q.bind(1, account_id);
    q.bind(2, static_cast<int64_t>(from));
    q.bind(3, static_cast<int64_t>(to));
    q.executeStep();
    EngagementTotals t;
    t.own_posts = q.getColumn(0).getInt64();
    t.likes = col_opt(q, 1);
    t.replies = col_opt(q, 2);
    t.reposts = col_opt(q, 3);
    t.likes_known = q.getColumn(4).getInt64();
    t.replies_known = q.getColumn(5).getInt64();
    t.reposts_known = q.getColumn(6).getInt64();
    return t;
  } catch (const std::exception& e) {
    return read_error("summing engagement", e);
  }
}

Result<std::optional<int64_t>> latest_followers(Store& store, int64_t account_id) {
  try {
    SQLite::Statement q(store.db(),
                        "SELECT followers FROM account_samples WHERE account_id = ? AND followers "
                        "IS NOT NULL ORDER BY observed_at DESC LIMIT 1");
    q.bind(1, account_id);
    if (q.executeStep()) return std::optional<int64_t>(q.getColumn(0).getInt64());
    return std::optional<int64_t>();
  } catch (const std::exception& e) {
    return read_error("reading followers", e);
  }
}

Result<std::vector<AccountEventRow>> account_events(Store& store, int64_t account_id) {
  try {
    SQLite::Statement q(store.db(),
                        "SELECT observed_at, kind, detail FROM account_events WHERE account_id = ? "
                        "ORDER BY observed_at, id");
    q.bind(1, account_id);
    std::vector<AccountEventRow> out;
    while (q.executeStep()) {
      out.push_back(
          {q.getColumn(0).getInt64(), q.getColumn(1).getString(), store_detail::col_text(q, 2)});
    }
    return out;
  } catch (const std::exception& e) {
    return read_error("reading account events", e);
  }
}

Result<std::vector<std::pair<std::string, int64_t>>> table_row_counts(Store& store) {
  std::vector<std::pair<std::string, int64_t>> out;
  try {
    for (const char* table : {"municipalities", "accounts", "posts", "post_samples",
                              "account_samples", "comments", "account_events", "poll_log"}) {
      out.emplace_back(
          table, store.db().execAndGet(std::string("SELECT COUNT(*) FROM ") + table).getInt64());
    }
  } catch (const std::exception& e) {
    return read_error("counting rows", e);
  }
  return out;
}

}  // namespace muni
