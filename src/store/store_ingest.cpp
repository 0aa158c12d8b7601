// The write path of pages: a page's records and the cursor that follows them
// commit in one transaction, through the named steps of PageWriter.
#include "store/store.h"

#include <array>

#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>

#include <cstdio>
#include <set>

#include "store/store_internal.h"

namespace muni {

using namespace store_detail;

namespace {

// The post columns a page writes, in one place: the upsert below binds them
// by these names.
constexpr const char* kUpsertPost =
    "INSERT INTO posts (account_id, platform_post_id, created_at, kind, parent_post_id, "
    "parent_author_id, parent_created_at, parent_state, quoted_post_id, url, text, language, "
    "has_link, has_media, mentions, first_seen, last_seen, edited_at, likes, replies, reposts, "
    "quotes, views, quality, item_type, title) VALUES (:account, :id, :created, :kind, :parent, "
    ":parent_author, :parent_created, :parent_state, :quoted, :url, :text, :language, :has_link, "
    ":has_media, :mentions, :now, :now, :edited, :likes, :replies, :reposts, :quotes, :views, "
    ":quality, :item_type, :title) "
    "ON CONFLICT (account_id, platform_post_id) DO UPDATE SET kind = excluded.kind, "
    "item_type = excluded.item_type, title = excluded.title, "
    "parent_post_id = excluded.parent_post_id, parent_author_id = excluded.parent_author_id, "
    "parent_created_at = excluded.parent_created_at, parent_state = excluded.parent_state, "
    "quoted_post_id = excluded.quoted_post_id, url = excluded.url, text = excluded.text, "
    "language = excluded.language, has_link = excluded.has_link, has_media = excluded.has_media, "
    "mentions = excluded.mentions, last_seen = excluded.last_seen, edited_at = excluded.edited_at, "
    "likes = excluded.likes, replies = excluded.replies, reposts = excluded.reposts, "
    "quotes = excluded.quotes, views = excluded.views, quality = excluded.quality, "
    "deleted_at = NULL, missing_count = 0, missing_since = NULL";

// A post as stored before this page.
struct StoredPost {
  int64_t id = 0;
  Engagement engagement;
  std::optional<TimeMs> edited_at;
  std::optional<TimeMs> parent_created_at;
  std::optional<TimeMs> deleted_at;
  std::optional<TimeMs> missing_since;
  int missing_count = 0;
  std::string kind;
  std::string text;
  std::string title;
  uint32_t quality = 0;
};

}  // namespace

// Prepared statements of the hot write path, built once per connection.
struct Store::Statements {
  explicit Statements(SQLite::Database& db)
      : find_post(db,
                  "SELECT id, likes, replies, reposts, quotes, views, edited_at, deleted_at, kind, "
                  "parent_created_at, text, missing_count, missing_since, quality, title FROM "
                  "posts WHERE account_id = ? AND platform_post_id = ?"),
        upsert_post(db, kUpsertPost),
        update_counts(db,
                      "UPDATE posts SET likes = ?, replies = ?, reposts = ?, quotes = ?, "
                      "views = ?, last_seen = ?, deleted_at = NULL, missing_count = 0, "
                      "missing_since = NULL WHERE id = ?"),
        touch_post(db, "UPDATE posts SET last_seen = ? WHERE id = ?"),
        mark_missing(db,
                     "UPDATE posts SET missing_count = ?, missing_since = ?, deleted_at = ? "
                     "WHERE id = ?"),
        insert_post_sample(db,
                           "INSERT OR REPLACE INTO post_samples (post_id, observed_at, likes, "
                           "replies, reposts, quotes, views) VALUES (?,?,?,?,?,?,?)"),
        last_account_sample(db,
                            "SELECT followers, following, posts, followers_precision FROM "
                            "account_samples WHERE account_id = ? ORDER BY observed_at DESC LIMIT 1"),
        insert_account_sample(db,
                              "INSERT OR REPLACE INTO account_samples (account_id, observed_at, "
                              "followers, following, posts, followers_precision) "
                              "VALUES (?,?,?,?,?,?)"),
        last_counter(db,
                     "SELECT value, precision FROM account_counter_samples WHERE account_id = ? "
                     "AND counter = ? ORDER BY observed_at DESC LIMIT 1"),
        insert_counter(db,
                       "INSERT OR REPLACE INTO account_counter_samples (account_id, counter, "
                       "observed_at, value, precision) VALUES (?,?,?,?,?)"),
        upsert_comment(db,
                       "INSERT INTO comments (account_id, platform_comment_id, on_post_id, "
                       "author_id, by_account, reply_to_comment_id, created_at, first_seen, "
                       "last_seen, text, edited_at, likes, id_derived) "
                       "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?) "
                       "ON CONFLICT (account_id, platform_comment_id) DO UPDATE SET "
                       "last_seen = excluded.last_seen, text = excluded.text, "
                       "edited_at = COALESCE(excluded.edited_at, comments.edited_at), "
                       "likes = COALESCE(excluded.likes, comments.likes), "
                       "by_account = excluded.by_account, deleted_at = NULL, missing_count = 0"),
        comment_state(db,
                      "SELECT id, deleted_at, missing_count FROM comments WHERE account_id = ? "
                      "AND platform_comment_id = ?"),
        mark_comment_missing(db,
                             "UPDATE comments SET missing_count = ?, deleted_at = ? WHERE id = ?"),
        record_sweep(db,
                     "UPDATE posts SET comments_swept_at = ?, comments_sweep = ? WHERE "
                     "account_id = ? AND platform_post_id = ?"),
        insert_event(db,
                     "INSERT INTO account_events (account_id, observed_at, kind, detail) "
                     "VALUES (?,?,?,?)"),
        own_post_exists(db,
                        "SELECT 1 FROM posts WHERE account_id = ? AND platform_post_id = ? AND "
                        "kind != 'repost'") {
    static constexpr const char* kNames[kParamCount] = {
        ":account", ":id", ":created", ":kind", ":parent", ":parent_author", ":parent_created",
        ":parent_state", ":quoted", ":url", ":text", ":language", ":has_link", ":has_media",
        ":mentions", ":now", ":edited", ":likes", ":replies", ":reposts", ":quotes", ":views",
        ":quality", ":item_type", ":title"};
    for (int i = 0; i < kParamCount; ++i) upsert_index[i] = upsert_post.getIndex(kNames[i]);
  }

  SQLite::Statement find_post;
  SQLite::Statement upsert_post;
  // upsert_post's parameter indexes, looked up once: binding by name scans
  // the statement's parameter list with string compares on every call
  // (a tenth of the ingest time before).
  enum Param {
    kAccount, kId, kCreated, kKind, kParent, kParentAuthor, kParentCreated, kParentState,
    kQuoted, kUrl, kText, kLanguage, kHasLink, kHasMedia, kMentions, kNow, kEdited, kLikes,
    kReplies, kReposts, kQuotes, kViews, kQuality, kItemType, kTitle, kParamCount
  };
  std::array<int, kParamCount> upsert_index{};
  SQLite::Statement update_counts;
  SQLite::Statement touch_post;
  SQLite::Statement mark_missing;
  SQLite::Statement insert_post_sample;
  SQLite::Statement last_account_sample;
  SQLite::Statement insert_account_sample;
  SQLite::Statement last_counter;
  SQLite::Statement insert_counter;
  SQLite::Statement upsert_comment;
  SQLite::Statement comment_state;
  SQLite::Statement mark_comment_missing;
  SQLite::Statement record_sweep;
  SQLite::Statement insert_event;
  SQLite::Statement own_post_exists;
};

// One page's writes, in the order commit_page performs them. Every step runs
// inside the caller's transaction and throws SQLite::Exception on failure.
class PageWriter {
 public:
  PageWriter(SQLite::Database& db, Store::Statements& s, int64_t account_id, TimeMs now)
      : db_(db), s_(s), account_(account_id), now_(now) {}

  PageCounts counts;

  // Profile fields, the handle-change event, and an account sample when a
  // count changed since the last one.
  void record_snapshot(const AccountSnapshot& snap) {
    SQLite::Statement prev(db_, "SELECT current_handle, platform_id FROM accounts WHERE id = ?");
    prev.bind(1, account_);
    const bool found = prev.executeStep();
    const std::string previous_handle = found ? col_text(prev, 0) : "";
    const std::string previous_id = found ? col_text(prev, 1) : "";
    if (!snap.handle.empty() && !previous_handle.empty() && previous_handle != snap.handle)
      record_event("handle_changed", previous_handle + " -> " + snap.handle);
    // The configured handle now names another platform account (a handle
    // given up and taken by someone else): the history so far belongs to the
    // old id; a researcher must see the break.
    if (!snap.platform_id.empty() && !previous_id.empty() && previous_id != snap.platform_id)
      record_event("platform_id_changed", previous_id + " -> " + snap.platform_id);
    SQLite::Statement upd(
        db_,
        "UPDATE accounts SET current_handle = COALESCE(?, current_handle), "
        "display_name = COALESCE(?, display_name), profile_url = COALESCE(?, profile_url), "
        "created_at = COALESCE(?, created_at), created_precision = COALESCE(?, "
        "created_precision), last_status_at = COALESCE(?, last_status_at), "
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
    upd.bind(8, now_);
    upd.bind(9, account_);
    upd.exec();
    for (const AccountCounter& c : snap.counters) record_counter(c);
    if (!snap.followers && !snap.following && !snap.posts) return;
    // NULL precision means exact (the common case, and every row before schema 3).
    const std::string precision =
        snap.followers_precision == CountPrecision::kExact
            ? std::string()
            : std::string(count_precision_id(snap.followers_precision));
    s_.last_account_sample.bind(1, account_);
    bool changed = true;
    if (s_.last_account_sample.executeStep()) {
      changed = col_opt(s_.last_account_sample, 0) != snap.followers ||
                col_opt(s_.last_account_sample, 1) != snap.following ||
                col_opt(s_.last_account_sample, 2) != snap.posts ||
                col_text(s_.last_account_sample, 3) != precision;
    }
    s_.last_account_sample.reset();
    if (!changed) return;
    SQLite::Statement& ins = s_.insert_account_sample;
    ins.bind(1, account_);
    ins.bind(2, now_);
    bind_opt(ins, 3, snap.followers);
    bind_opt(ins, 4, snap.following);
    bind_opt(ins, 5, snap.posts);
    bind_text_or_null(ins, 6, precision);
    ins.exec();
    ins.reset();
    ++counts.account_samples;
  }

  // A further account counter, as its own series: a sample only when the
  // value or its precision changed.
  void record_counter(const AccountCounter& c) {
    if (c.name.empty()) return;
    const std::string precision(count_precision_id(c.precision));
    s_.last_counter.bind(1, account_);
    s_.last_counter.bind(2, c.name);
    bool changed = true;
    if (s_.last_counter.executeStep()) {
      changed = col_opt(s_.last_counter, 0) != c.value || col_text(s_.last_counter, 1) != precision;
    }
    s_.last_counter.reset();
    if (!changed) return;
    SQLite::Statement& ins = s_.insert_counter;
    ins.bind(1, account_);
    ins.bind(2, c.name);
    ins.bind(3, now_);
    bind_opt(ins, 4, c.value);
    ins.bind(5, precision);
    ins.exec();
    ins.reset();
    ++counts.account_samples;
  }

  // Replies stored before their parent (on this page or an earlier one)
  // become self-thread replies once the parent is known to be the account's
  // own: one statement per page for the page's new own posts (one per post
  // cost a tenth of the ingest time).
  void adopt_children() {
    constexpr size_t kChunk = 200;  // well below SQLite's parameter limit
    for (size_t from = 0; from < new_own_ids_.size(); from += kChunk) {
      const size_t n = std::min(kChunk, new_own_ids_.size() - from);
      std::string sql =
          "UPDATE posts SET kind = 'reply_self' WHERE account_id = ? AND kind IN "
          "('reply_other', 'reply_unknown') AND parent_post_id IN (?";
      for (size_t i = 1; i < n; ++i) sql += ",?";
      sql += ")";
      SQLite::Statement st(db_, sql);
      st.bind(1, account_);
      for (size_t i = 0; i < n; ++i)
        st.bind(static_cast<int>(i + 2), new_own_ids_[from + i]);
      st.exec();
    }
    new_own_ids_.clear();
  }

  void upsert_post(const PostRecord& p) {
    const PostKind kind = effective_kind(p);
    const std::optional<StoredPost> stored = find(p.platform_post_id);
    if (p.counts_only) {
      if (stored) update_counts(*stored, p);  // nothing to refresh otherwise
      return;
    }
    const bool repost = kind == PostKind::kRepost;
    // A count the platform left out this time keeps its last value: absent
    // means "not reported", not "dropped to unknown". Reposts carry no
    // engagement of the municipality's own.
    const Engagement current =
        repost ? Engagement{} : merged(p.engagement, stored ? stored->engagement : Engagement{});
    const bool engagement_changed =
        !repost && !p.engagement.empty() && !(stored && current == stored->engagement);
    if (!stored) {
      write_post(p, kind, current);
      const int64_t post_id = db_.getLastInsertRowid();
      ++counts.posts_new;
      if (!repost) new_own_ids_.push_back(p.platform_post_id);
      if (engagement_changed) sample(post_id, current);
      return;
    }
    const bool content_changed =
        stored->edited_at != p.edited_at || stored->deleted_at.has_value() ||
        stored->missing_count > 0 || stored->kind != post_kind_id(kind) ||
        (p.parent_created_at && stored->parent_created_at != p.parent_created_at) ||
        stored->text != p.text || stored->quality != p.quality || stored->title != p.title;
    if (engagement_changed || content_changed) {
      write_post(p, kind, current);
      ++counts.posts_updated;
      if (stored->deleted_at) record_event("post_restored", p.platform_post_id);
    } else {
      s_.touch_post.bind(1, now_);
      s_.touch_post.bind(2, stored->id);
      s_.touch_post.exec();
      s_.touch_post.reset();
    }
    if (engagement_changed) sample(stored->id, current);
  }

  // Posts a listing left out. Absence is no evidence of deletion (a server
  // that answers a batch with nothing, or omits what its timeline still
  // shows, would otherwise delete history): it is only noted, as how often
  // and since when the post was missed, for the connector's own per-item
  // check and for diagnosis. Only record_deleted marks a post deleted.
  void record_missing(const std::vector<std::string>& ids) {
    for (const std::string& id : std::set<std::string>(ids.begin(), ids.end())) {
      const std::optional<StoredPost> stored = find(id);
      if (!stored || stored->deleted_at) continue;
      set_missing(stored->id, stored->missing_count + 1, stored->missing_since.value_or(now_),
                  std::nullopt);
    }
  }

  // Posts the platform explicitly reported deleted.
  void record_deleted(const std::vector<std::string>& ids) {
    for (const std::string& id : std::set<std::string>(ids.begin(), ids.end())) {
      const std::optional<StoredPost> stored = find(id);
      if (!stored || stored->deleted_at) continue;
      set_missing(stored->id, stored->missing_count, stored->missing_since.value_or(now_), now_);
      ++counts.posts_deleted;
    }
  }

  // Comments are upserted: text, edits and counts follow the platform; a
  // comment that was missing and comes back is restored. A comment without a
  // platform id gets a stable derived key.
  void upsert_comment(const CommentRecord& c) {
    const bool derived = c.platform_comment_id.empty();
    const std::string id = derived ? derived_comment_id(c) : c.platform_comment_id;
    SQLite::Statement& ins = s_.upsert_comment;
    ins.bind(1, account_);
    ins.bind(2, id);
    ins.bind(3, c.on_post_id);
    bind_text_or_null(ins, 4, c.author_id);
    ins.bind(5, c.by_account ? 1 : 0);
    bind_text_or_null(ins, 6, c.reply_to_comment_id);
    ins.bind(7, static_cast<int64_t>(c.created_at));
    ins.bind(8, now_);
    ins.bind(9, now_);
    bind_text_or_null(ins, 10, c.text);
    bind_opt(ins, 11, c.edited_at);
    bind_opt(ins, 12, c.likes);
    ins.bind(13, derived ? 1 : 0);
    ins.exec();
    ins.reset();
    ++counts.comments;
  }

  // An item's comments were read (comment coverage). An item the store
  // does not hold changes nothing: coverage belongs to stored items.
  void record_comment_sweep(const CommentSweep& c) {
    SQLite::Statement& st = s_.record_sweep;
    st.bind(1, static_cast<int64_t>(now_));
    st.bind(2, std::string(comment_sweep_result_id(c.result)));
    st.bind(3, account_);
    st.bind(4, c.on_post_id);
    if (st.exec() > 0) ++counts.comment_sweeps;
    st.reset();
  }

  // Comments a complete reading did not return: deleted on the second
  // reading in a row, like posts.
  void record_missing_comments(const std::vector<std::string>& ids) {
    for (const std::string& id : std::set<std::string>(ids.begin(), ids.end())) {
      s_.comment_state.bind(1, account_);
      s_.comment_state.bind(2, id);
      if (!s_.comment_state.executeStep()) {
        s_.comment_state.reset();
        continue;
      }
      const int64_t row = s_.comment_state.getColumn(0).getInt64();
      const bool deleted = !s_.comment_state.getColumn(1).isNull();
      const int missing = s_.comment_state.getColumn(2).getInt() + 1;
      s_.comment_state.reset();
      if (deleted) continue;
      SQLite::Statement& st = s_.mark_comment_missing;
      st.bind(1, missing);
      if (missing >= kDeletionConfirmations) {
        st.bind(2, now_);
      } else {
        st.bind(2);
      }
      st.bind(3, row);
      st.exec();
      st.reset();
    }
  }

  void record_event(std::string_view kind, const std::string& detail) {
    SQLite::Statement& ins = s_.insert_event;
    ins.bind(1, account_);
    ins.bind(2, now_);
    ins.bind(3, std::string(kind));
    ins.bind(4, detail);
    ins.exec();
    ins.reset();
  }

  // The cursor, a resolved id and where backfill stands. "Complete" is only
  // believed when the posts stored add up to what the profile reports, if it
  // reports anything; otherwise the history is recorded as incomplete.
  void save_progress(const Page& page) {
    std::optional<BackfillState> backfill_state = page.backfill_state;
    std::optional<std::string> history_note = page.history_note;
    if (backfill_state == BackfillState::kComplete && page.expected_own_posts) {
      SQLite::Statement n(db_,
                          "SELECT COUNT(*) FROM posts WHERE account_id = ? AND kind != 'repost' "
                          "AND deleted_at IS NULL");
      n.bind(1, account_);
      const int64_t stored = n.executeStep() ? n.getColumn(0).getInt64() : 0;
      if (stored < *page.expected_own_posts) {
        backfill_state = BackfillState::kIncomplete;
        history_note = "the platform's feed ended after " + std::to_string(stored) +
                       " own posts, but the profile reports " +
                       std::to_string(*page.expected_own_posts) + "; older history may be missing";
        record_event("history_incomplete", *history_note);
      }
    }
    if (!page.cursor && !page.platform_id && !backfill_state && !history_note) return;
    SQLite::Statement upd(db_,
                          "UPDATE accounts SET cursor = COALESCE(?, cursor), "
                          "platform_id = COALESCE(?, platform_id), "
                          "backfill_state = COALESCE(?, backfill_state), "
                          "history_note = COALESCE(?, history_note), updated_at = ? WHERE id = ?");
    bind_opt_text(upd, 1, page.cursor);
    bind_opt_text(upd, 2, page.platform_id);
    bind_opt_text(upd, 3, backfill_state ? std::optional<std::string>(std::string(
                                               backfill_state_id(*backfill_state)))
                                         : std::nullopt);
    bind_opt_text(upd, 4, history_note);
    upd.bind(5, now_);
    upd.bind(6, account_);
    upd.exec();
  }

 private:
  static void bind_opt_text(SQLite::Statement& st, int index, const std::optional<std::string>& v) {
    if (v) {
      st.bind(index, *v);
    } else {
      st.bind(index);
    }
  }

  static Engagement merged(const Engagement& now, const Engagement& before) {
    Engagement e = now;
    if (!e.likes) e.likes = before.likes;
    if (!e.replies) e.replies = before.replies;
    if (!e.reposts) e.reposts = before.reposts;
    if (!e.quotes) e.quotes = before.quotes;
    if (!e.views) e.views = before.views;
    return e;
  }

  // A reply to one of the account's own stored posts is a self-thread
  // reply, whatever the platform's reply-to account says (Mastodon carries
  // the original addressee down a self-thread: Status.md,
  // in_reply_to_account_id). Replies stored before their parent are
  // re-classified when the parent arrives (adopt_children).
  PostKind effective_kind(const PostRecord& p) {
    if ((p.kind != PostKind::kReplyOther && p.kind != PostKind::kReplyUnknown) ||
        p.parent_post_id.empty())
      return p.kind;
    s_.own_post_exists.bind(1, account_);
    s_.own_post_exists.bind(2, p.parent_post_id);
    const bool own_parent = s_.own_post_exists.executeStep();
    s_.own_post_exists.reset();
    return own_parent ? PostKind::kReplySelf : p.kind;
  }

  std::optional<StoredPost> find(const std::string& platform_post_id) {
    SQLite::Statement& f = s_.find_post;
    f.bind(1, account_);
    f.bind(2, platform_post_id);
    std::optional<StoredPost> out;
    if (f.executeStep()) {
      StoredPost p;
      p.id = f.getColumn(0).getInt64();
      p.engagement =
          Engagement{col_opt(f, 1), col_opt(f, 2), col_opt(f, 3), col_opt(f, 4), col_opt(f, 5)};
      p.edited_at = col_opt(f, 6);
      p.deleted_at = col_opt(f, 7);
      p.kind = col_text(f, 8);
      p.parent_created_at = col_opt(f, 9);
      p.text = col_text(f, 10);
      p.missing_count = f.getColumn(11).getInt();
      p.missing_since = col_opt(f, 12);
      p.quality = static_cast<uint32_t>(f.getColumn(13).getInt64());
      p.title = col_text(f, 14);
      out = std::move(p);
    }
    f.reset();
    return out;
  }

  void write_post(const PostRecord& p, PostKind kind, const Engagement& e) {
    using S = Store::Statements;
    SQLite::Statement& st = s_.upsert_post;
    const auto& at = s_.upsert_index;
    st.bind(at[S::kAccount], account_);
    // The record outlives exec(): SQLite may read the strings in place.
    st.bindNoCopy(at[S::kId], p.platform_post_id);
    st.bind(at[S::kCreated], static_cast<int64_t>(p.created_at));
    st.bind(at[S::kKind], std::string(post_kind_id(kind)));
    bind_text_or_null(st, at[S::kParent], p.parent_post_id);
    bind_text_or_null(st, at[S::kParentAuthor], p.parent_author_id);
    bind_opt(st, at[S::kParentCreated], p.parent_created_at);
    bind_text_or_null(st, at[S::kParentState], std::string(parent_state_id(p.parent_state)));
    bind_text_or_null(st, at[S::kQuoted], p.quoted_post_id);
    bind_text_or_null(st, at[S::kUrl], p.url);
    st.bindNoCopy(at[S::kText], p.text);
    bind_text_or_null(st, at[S::kLanguage], p.language);
    st.bind(at[S::kHasLink], p.has_link ? 1 : 0);
    st.bind(at[S::kHasMedia], p.has_media ? 1 : 0);
    st.bind(at[S::kMentions], p.mentions);
    st.bind(at[S::kNow], now_);
    bind_opt(st, at[S::kEdited], p.edited_at);
    bind_opt(st, at[S::kLikes], e.likes);
    bind_opt(st, at[S::kReplies], e.replies);
    bind_opt(st, at[S::kReposts], e.reposts);
    bind_opt(st, at[S::kQuotes], e.quotes);
    bind_opt(st, at[S::kViews], e.views);
    st.bind(at[S::kQuality], static_cast<int64_t>(p.quality));
    st.bind(at[S::kItemType], p.item_type.empty() ? std::string(kItemPost) : p.item_type);
    bind_text_or_null(st, at[S::kTitle], p.title);
    st.exec();
    st.reset();
  }

  void update_counts(const StoredPost& stored, const PostRecord& p) {
    const Engagement current = merged(p.engagement, stored.engagement);
    const bool changed = !p.engagement.empty() && !(current == stored.engagement);
    SQLite::Statement& st = s_.update_counts;
    bind_opt(st, 1, current.likes);
    bind_opt(st, 2, current.replies);
    bind_opt(st, 3, current.reposts);
    bind_opt(st, 4, current.quotes);
    bind_opt(st, 5, current.views);
    st.bind(6, now_);
    st.bind(7, stored.id);
    st.exec();
    st.reset();
    if (stored.deleted_at) record_event("post_restored", p.platform_post_id);
    if (changed || stored.deleted_at) ++counts.posts_updated;
    if (changed) sample(stored.id, current);
  }

  void set_missing(int64_t post_id, int missing, TimeMs since, std::optional<TimeMs> deleted) {
    SQLite::Statement& st = s_.mark_missing;
    st.bind(1, missing);
    st.bind(2, since);
    bind_opt(st, 3, deleted);
    st.bind(4, post_id);
    st.exec();
    st.reset();
  }

  void sample(int64_t post_id, const Engagement& e) {
    SQLite::Statement& smp = s_.insert_post_sample;
    smp.bind(1, post_id);
    smp.bind(2, now_);
    bind_opt(smp, 3, e.likes);
    bind_opt(smp, 4, e.replies);
    bind_opt(smp, 5, e.reposts);
    bind_opt(smp, 6, e.quotes);
    bind_opt(smp, 7, e.views);
    smp.exec();
    smp.reset();
    ++counts.engagement_samples;
  }

  // A key for a comment whose platform hides its id: the item, the author,
  // the time and the text identify it as well as anything can (FNV-1a).
  static std::string derived_comment_id(const CommentRecord& c) {
    uint64_t h = 14695981039346656037ULL;
    for (const std::string* part : {&c.on_post_id, &c.author_id, &c.text}) {
      for (const char ch : *part) {
        h ^= static_cast<unsigned char>(ch);
        h *= 1099511628211ULL;
      }
      h ^= 0x1f;
      h *= 1099511628211ULL;
    }
    h ^= static_cast<uint64_t>(c.created_at);
    h *= 1099511628211ULL;
    char buf[24];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
    return std::string("derived:") + buf;
  }


  SQLite::Database& db_;
  Store::Statements& s_;
  int64_t account_;
  std::vector<std::string> new_own_ids_;  // new own posts of this page (adopt_children)
  TimeMs now_;
};

// Defined here, where Statements is complete.
Store::Store(std::string path, std::unique_ptr<SQLite::Database> db)
    : path_(std::move(path)), db_(std::move(db)) {}
Store::~Store() = default;

Result<PageCounts> Store::commit_page(int64_t account_id, const Page& page, TimeMs now) {
  try {
    if (!stmts_) stmts_ = std::make_unique<Statements>(*db_);
    SQLite::Transaction txn(*db_);
    PageWriter w(*db_, *stmts_, account_id, now);
    const Batch& b = page.batch;
    if (b.snapshot) w.record_snapshot(*b.snapshot);
    for (const PostRecord& p : b.posts) w.upsert_post(p);
    w.adopt_children();
    w.record_missing(b.missing_post_ids);
    w.record_deleted(b.deleted_post_ids);
    for (const CommentRecord& c : b.comments) w.upsert_comment(c);
    w.record_missing_comments(b.missing_comment_ids);
    for (const CommentSweep& c : b.comment_sweeps) w.record_comment_sweep(c);
    for (const AccountEvent& e : b.events) w.record_event(e.kind, e.detail);
    w.save_progress(page);
    txn.commit();
    return w.counts;
  } catch (const std::exception& e) {
    return storage_error("committing a page for account " + std::to_string(account_id), e);
  }
}

Result<std::vector<std::string>> Store::comment_sweep_due(int64_t account_id, TimeMs since,
                                                          TimeMs swept_before, size_t limit) {
  std::vector<std::string> out;
  try {
    SQLite::Statement st(*db_,
                         "SELECT platform_post_id FROM posts WHERE account_id = ?1 AND "
                         "created_at >= ?2 AND kind != 'repost' AND deleted_at IS NULL AND "
                         "(comments_swept_at IS NULL OR comments_swept_at < ?3) ORDER BY "
                         "comments_swept_at IS NOT NULL, comments_swept_at, created_at DESC "
                         "LIMIT ?4");
    st.bind(1, static_cast<int64_t>(account_id));
    st.bind(2, static_cast<int64_t>(since));
    st.bind(3, static_cast<int64_t>(swept_before));
    st.bind(4, static_cast<int64_t>(limit));
    while (st.executeStep()) out.push_back(st.getColumn(0).getString());
  } catch (const std::exception& e) {
    return storage_error("listing items whose comments are due", e);
  }
  return out;
}

Result<Store::CommentProgress> Store::comment_progress(int64_t account_id, TimeMs since,
                                                       TimeMs swept_before) {
  CommentProgress p;
  try {
    SQLite::Statement st(*db_,
                         "SELECT COUNT(*), COUNT(comments_swept_at), "
                         "SUM(comments_swept_at IS NULL OR comments_swept_at < ?3) FROM posts "
                         "WHERE account_id = ?1 AND created_at >= ?2 AND kind != 'repost' AND "
                         "deleted_at IS NULL");
    st.bind(1, static_cast<int64_t>(account_id));
    st.bind(2, static_cast<int64_t>(since));
    st.bind(3, static_cast<int64_t>(swept_before));
    if (st.executeStep()) {
      p.items = st.getColumn(0).getInt64();
      p.swept = st.getColumn(1).getInt64();
      p.due = st.getColumn(2).isNull() ? 0 : st.getColumn(2).getInt64();
    }
  } catch (const std::exception& e) {
    return storage_error("reading comment coverage", e);
  }
  return p;
}

Result<std::vector<std::string>> Store::recent_post_ids(int64_t account_id, TimeMs since,
                                                        size_t limit) {
  std::vector<std::string> out;
  try {
    // Deleted posts are asked for again: a deletion stays revocable while
    // the post is within the refresh window.
    SQLite::Statement st(*db_,
                         "SELECT platform_post_id FROM posts WHERE account_id = ? AND "
                         "created_at >= ? AND kind != 'repost' ORDER BY created_at DESC LIMIT ?");
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
