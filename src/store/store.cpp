#include "store/store.h"

#include <SQLiteCpp/Backup.h>
#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>
#include <sqlite3.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

#include "core/json.h"
#include "core/platform.h"
#include "core/strings.h"
#include "store/schema.h"

namespace muni {

namespace {

void bind_opt(SQLite::Statement& st, int index, const std::optional<int64_t>& v) {
  if (v) {
    st.bind(index, static_cast<int64_t>(*v));
  } else {
    st.bind(index);
  }
}

void bind_text_or_null(SQLite::Statement& st, int index, const std::string& v) {
  if (v.empty()) {
    st.bind(index);
  } else {
    st.bind(index, v);
  }
}

std::optional<int64_t> col_opt(const SQLite::Statement& st, int index) {
  const SQLite::Column c = st.getColumn(index);
  if (c.isNull()) return std::nullopt;
  return c.getInt64();
}

std::string col_text(const SQLite::Statement& st, int index) {
  const SQLite::Column c = st.getColumn(index);
  return c.isNull() ? std::string() : c.getString();
}

Error storage_error(const std::string& what, const std::exception& e) {
  return make_error(ErrorCode::kStorage, what + ": " + e.what());
}

}  // namespace

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

Store::Store(std::string path, std::unique_ptr<SQLite::Database> db)
    : path_(std::move(path)), db_(std::move(db)) {}
Store::~Store() = default;

Result<std::unique_ptr<Store>> Store::open(const std::string& path, OpenMode mode) {
  try {
    if (mode == OpenMode::kReadOnly && !std::filesystem::exists(path)) {
      return make_error(
          ErrorCode::kNotFound,
          "no store at " + path + " (run `muniscope poll --once` or the daemon first)");
    }
    if (mode == OpenMode::kReadWrite) {
      const auto parent = std::filesystem::path(path).parent_path();
      if (!parent.empty()) std::filesystem::create_directories(parent);
    }
    const int flags = mode == OpenMode::kReadOnly ? SQLite::OPEN_READONLY
                                                  : (SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    auto db = std::make_unique<SQLite::Database>(path, flags, 5000);
    std::unique_ptr<Store> store(new Store(path, std::move(db)));
    SQLite::Database& d = *store->db_;
    d.exec("PRAGMA foreign_keys = ON");
    if (mode == OpenMode::kReadWrite) {
      // auto_vacuum must be chosen before the first table exists; on an
      // existing file this is a no-op unless it is empty.
      d.exec("PRAGMA auto_vacuum = INCREMENTAL");
      d.exec("PRAGMA journal_mode = WAL");
      d.exec("PRAGMA synchronous = NORMAL");
      d.exec("PRAGMA temp_store = MEMORY");
      MUNI_TRY_STATUS(store->migrate());
    } else {
      const int version = store->schema_version();
      if (version == 0)
        return make_error(ErrorCode::kStorage,
                          path + " is not a muniscope store (schema version 0)");
      if (version > kSchemaVersion) {
        return make_error(ErrorCode::kStorage,
                          path + " has schema version " + std::to_string(version) +
                              ", newer than this muniscope understands (" +
                              std::to_string(kSchemaVersion) + "); upgrade muniscope");
      }
      if (version < kSchemaVersion) {
        return make_error(ErrorCode::kStorage, path + " has schema version " +
                                                   std::to_string(version) +
                                                   "; start the daemon once to migrate it to " +
                                                   std::to_string(kSchemaVersion));
      }
    }
    return store;
  } catch (const std::exception& e) {
    return storage_error("opening store " + path, e);
  }
}

int Store::schema_version() const {
  try {
    return db_->execAndGet("PRAGMA user_version").getInt();
  } catch (const std::exception&) {
    return -1;
  }
}

Status Store::migrate() {
  const auto& migrations = schema_migrations();
  const int version = schema_version();
  if (version > static_cast<int>(migrations.size())) {
    return make_error(ErrorCode::kStorage,
                      path_ + " has schema version " + std::to_string(version) +
                          ", newer than this muniscope understands; upgrade muniscope");
  }
  for (int v = version; v < static_cast<int>(migrations.size()); ++v) {
    try {
      SQLite::Transaction txn(*db_);
      db_->exec(migrations[static_cast<size_t>(v)]);
      db_->exec("PRAGMA user_version = " + std::to_string(v + 1));
      txn.commit();
    } catch (const std::exception& e) {
      return storage_error("migrating store to schema version " + std::to_string(v + 1), e);
    }
  }
  return ok_status();
}

Result<SyncSummary> Store::sync_config(const Config& config, TimeMs now) {
  SyncSummary summary;
  try {
    SQLite::Transaction txn(*db_);
    SQLite::Statement upsert_m(
        *db_,
        "INSERT INTO municipalities (id, name, ags, kind, state, population, labels, active, "
        "first_configured_at, updated_at) VALUES (?,?,?,?,?,?,?,1,?,?) "
        "ON CONFLICT (id) DO UPDATE SET name = excluded.name, ags = excluded.ags, "
        "kind = excluded.kind, state = excluded.state, population = excluded.population, "
        "labels = excluded.labels, active = 1, updated_at = excluded.updated_at");
    std::set<std::string> municipality_ids;
    std::set<std::string> account_keys;
    for (const MunicipalityConfig& m : config.municipalities) {
      upsert_m.bind(1, m.id);
      upsert_m.bind(2, m.name);
      upsert_m.bind(3, m.ags);
      upsert_m.bind(4, std::string(municipality_kind_label(m.kind)));
      upsert_m.bind(5, m.state);
      bind_opt(upsert_m, 6, m.population);
      upsert_m.bind(7, json_string_array(m.labels));
      upsert_m.bind(8, static_cast<int64_t>(now));
      upsert_m.bind(9, static_cast<int64_t>(now));
      upsert_m.exec();
      upsert_m.reset();
      municipality_ids.insert(m.id);
      ++summary.municipalities;
    }
    SQLite::Statement find_a(*db_, "SELECT id FROM accounts WHERE account_key = ?");
    SQLite::Statement insert_a(
        *db_,
        "INSERT INTO accounts (municipality_id, platform, category, handle, account_key, role, "
        "source, interval_ms, backfill_since, follow_moves, active, first_configured_at, "
        "updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,1,?,?)");
    SQLite::Statement update_a(
        *db_,
        "UPDATE accounts SET municipality_id = ?, role = ?, source = ?, interval_ms = ?, "
        "backfill_since = ?, follow_moves = ?, active = 1, "
        "state = CASE WHEN state = 'inactive' THEN 'pending' ELSE state END, "
        "updated_at = ? WHERE id = ?");
    for (const MunicipalityConfig& m : config.municipalities) {
      for (const AccountConfig& a : m.accounts) {
        const std::string key = a.key();
        account_keys.insert(key);
        find_a.bind(1, key);
        const bool exists = find_a.executeStep();
        const int64_t id = exists ? find_a.getColumn(0).getInt64() : 0;
        find_a.reset();
        const PlatformInfo* info = find_platform(a.platform);
        const std::string since = a.backfill_since ? format_civil_date(*a.backfill_since) : "";
        if (!exists) {
          insert_a.bind(1, m.id);
          insert_a.bind(2, a.platform);
          insert_a.bind(3, std::string(info ? category_id(info->category) : "unknown"));
          insert_a.bind(4, a.handle);
          insert_a.bind(5, key);
          insert_a.bind(6, a.role);
          insert_a.bind(7, a.source);
          bind_opt(insert_a, 8, a.interval);
          bind_text_or_null(insert_a, 9, since);
          insert_a.bind(10, a.follow_moves ? 1 : 0);
          insert_a.bind(11, static_cast<int64_t>(now));
          insert_a.bind(12, static_cast<int64_t>(now));
          insert_a.exec();
          insert_a.reset();
          ++summary.accounts_added;
        } else {
          update_a.bind(1, m.id);
          update_a.bind(2, a.role);
          update_a.bind(3, a.source);
          bind_opt(update_a, 4, a.interval);
          bind_text_or_null(update_a, 5, since);
          update_a.bind(6, a.follow_moves ? 1 : 0);
          update_a.bind(7, static_cast<int64_t>(now));
          update_a.bind(8, static_cast<int64_t>(id));
          update_a.exec();
          update_a.reset();
          ++summary.accounts_updated;
        }
      }
    }
    // Whatever is no longer configured stays, inactive, with its history.
    SQLite::Statement active_a(*db_, "SELECT id, account_key FROM accounts WHERE active = 1");
    std::vector<int64_t> deactivate;
    while (active_a.executeStep()) {
      if (!account_keys.count(active_a.getColumn(1).getString()))
        deactivate.push_back(active_a.getColumn(0).getInt64());
    }
    SQLite::Statement deact_a(
        *db_,
        "UPDATE accounts SET active = 0, state = 'inactive', state_reason = "
        "'removed from the configuration', state_since = ?, updated_at = ? WHERE id = ?");
    for (const int64_t id : deactivate) {
      deact_a.bind(1, static_cast<int64_t>(now));
      deact_a.bind(2, static_cast<int64_t>(now));
      deact_a.bind(3, static_cast<int64_t>(id));
      deact_a.exec();
      deact_a.reset();
      ++summary.accounts_deactivated;
    }
    SQLite::Statement active_m(*db_, "SELECT id FROM municipalities WHERE active = 1");
    std::vector<std::string> deactivate_m;
    while (active_m.executeStep()) {
      if (!municipality_ids.count(active_m.getColumn(0).getString()))
        deactivate_m.push_back(active_m.getColumn(0).getString());
    }
    SQLite::Statement deact_m(*db_,
                              "UPDATE municipalities SET active = 0, updated_at = ? WHERE id = ?");
    for (const std::string& id : deactivate_m) {
      deact_m.bind(1, static_cast<int64_t>(now));
      deact_m.bind(2, id);
      deact_m.exec();
      deact_m.reset();
      ++summary.municipalities_deactivated;
    }
    txn.commit();
  } catch (const std::exception& e) {
    return storage_error("syncing configuration into the store", e);
  }
  return summary;
}

namespace {

constexpr const char* kAccountColumns =
    "a.id, a.municipality_id, a.platform, a.category, a.handle, a.account_key, a.role, a.source, "
    "a.interval_ms, "
    "a.backfill_since, a.follow_moves, a.active, a.platform_id, a.current_handle, a.display_name, "
    "a.profile_url, "
    "a.created_at, a.created_precision, a.last_status_at, a.cursor, a.backfill_state, "
    "a.history_note, a.state, "
    "a.state_reason, a.state_since, a.last_attempt_at, a.last_success_at, a.next_due_at, "
    "a.next_refresh_at, "
    "a.backoff_until, a.failures, a.not_found_strikes, a.skipped_polls, ";
constexpr const char* kOwnPostCount =
    "(SELECT COUNT(*) FROM posts p WHERE p.account_id = a.id AND p.kind != 'repost')";

StoredAccount read_account_row(const SQLite::Statement& st) {
  StoredAccount a;
  a.id = st.getColumn(0).getInt64();
  a.municipality_id = col_text(st, 1);
  a.platform = col_text(st, 2);
  a.category = col_text(st, 3);
  a.handle = col_text(st, 4);
  a.account_key = col_text(st, 5);
  a.role = col_text(st, 6);
  a.source = col_text(st, 7);
  a.interval_ms = col_opt(st, 8);
  if (const std::string since = col_text(st, 9); !since.empty())
    a.backfill_since = parse_civil_date(since);
  a.follow_moves = st.getColumn(10).getInt() != 0;
  a.active = st.getColumn(11).getInt() != 0;
  a.platform_id = col_text(st, 12);
  a.current_handle = col_text(st, 13);
  a.display_name = col_text(st, 14);
  a.profile_url = col_text(st, 15);
  a.created_at = col_opt(st, 16);
  a.created_at_day_precision = col_text(st, 17) == "day";
  a.last_status_at = col_opt(st, 18);
  a.cursor = col_text(st, 19);
  a.backfill_state = parse_backfill_state(col_text(st, 20)).value_or(BackfillState::kPending);
  a.history_note = col_text(st, 21);
  a.state = col_text(st, 22);
  a.state_reason = col_text(st, 23);
  a.state_since = col_opt(st, 24);
  a.last_attempt_at = col_opt(st, 25);
  a.last_success_at = col_opt(st, 26);
  a.next_due_at = col_opt(st, 27);
  a.next_refresh_at = col_opt(st, 28);
  a.backoff_until = col_opt(st, 29);
  a.failures = st.getColumn(30).getInt();
  a.not_found_strikes = st.getColumn(31).getInt();
  a.skipped_polls = st.getColumn(32).getInt64();
  a.own_posts_stored = st.getColumn(33).getInt64();
  return a;
}

}  // namespace

Result<std::vector<StoredAccount>> Store::load_accounts(bool active_only, bool with_post_counts) {
  std::vector<StoredAccount> out;
  try {
    std::string sql = std::string("SELECT ") + kAccountColumns +
                      (with_post_counts ? kOwnPostCount : "0") + " FROM accounts a";
    if (active_only) sql += " WHERE a.active = 1";
    sql += " ORDER BY a.municipality_id, a.platform, a.handle";
    SQLite::Statement st(*db_, sql);
    while (st.executeStep()) out.push_back(read_account_row(st));
  } catch (const std::exception& e) {
    return storage_error("loading accounts", e);
  }
  return out;
}

Result<StoredAccount> Store::find_account(const std::string& ref) {
  try {
    auto query = [&](const std::string& where, auto bind) -> std::vector<StoredAccount> {
      SQLite::Statement st(*db_, std::string("SELECT ") + kAccountColumns + kOwnPostCount +
                                     " FROM accounts a WHERE " + where);
      bind(st);
      std::vector<StoredAccount> rows;
      while (st.executeStep()) rows.push_back(read_account_row(st));
      return rows;
    };
    if (auto id = parse_int64(ref)) {
      auto rows =
          query("a.id = ?", [&](SQLite::Statement& st) { st.bind(1, static_cast<int64_t>(*id)); });
      if (!rows.empty()) return rows.front();
    }
    auto rows = query("a.account_key = ?", [&](SQLite::Statement& st) { st.bind(1, ref); });
    if (!rows.empty()) return rows.front();
    rows = query("a.handle = ? OR a.current_handle = ?", [&](SQLite::Statement& st) {
      st.bind(1, ref);
      st.bind(2, ref);
    });
    if (rows.size() == 1) return rows.front();
    if (rows.size() > 1) {
      return make_error(ErrorCode::kInvalidArgument,
                        "'" + ref + "' matches several accounts; use the id or platform:handle");
    }
  } catch (const std::exception& e) {
    return storage_error("finding account " + ref, e);
  }
  return make_error(ErrorCode::kNotFound, "no account '" + ref + "' (see `muniscope accounts`)");
}

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

Status Store::save_account_runtime(int64_t account_id, const AccountRuntime& rt, TimeMs now) {
  try {
    SQLite::Statement st(
        *db_,
        "UPDATE accounts SET state_since = CASE WHEN state = ? THEN state_since ELSE ? END, "
        "state = ?, state_reason = ?, last_attempt_at = ?, last_success_at = ?, next_due_at = ?, "
        "next_refresh_at = ?, backoff_until = ?, failures = ?, not_found_strikes = ?, "
        "skipped_polls = ?, updated_at = ? WHERE id = ?");
    st.bind(1, rt.state);
    st.bind(2, static_cast<int64_t>(now));
    st.bind(3, rt.state);
    bind_text_or_null(st, 4, rt.state_reason);
    bind_opt(st, 5, rt.last_attempt_at);
    bind_opt(st, 6, rt.last_success_at);
    bind_opt(st, 7, rt.next_due_at);
    bind_opt(st, 8, rt.next_refresh_at);
    bind_opt(st, 9, rt.backoff_until);
    st.bind(10, rt.failures);
    st.bind(11, rt.not_found_strikes);
    st.bind(12, static_cast<int64_t>(rt.skipped_polls));
    st.bind(13, static_cast<int64_t>(now));
    st.bind(14, static_cast<int64_t>(account_id));
    st.exec();
  } catch (const std::exception& e) {
    return storage_error("saving state of account " + std::to_string(account_id), e);
  }
  return ok_status();
}

Status Store::log_poll(const PollLogEntry& entry) {
  try {
    SQLite::Statement st(*db_,
                         "INSERT INTO poll_log (account_id, work, started_at, ended_at, outcome, "
                         "http_status, error, "
                         "posts_new, posts_updated, requests) VALUES (?,?,?,?,?,?,?,?,?,?)");
    st.bind(1, static_cast<int64_t>(entry.account_id));
    st.bind(2, entry.work);
    st.bind(3, static_cast<int64_t>(entry.started_at));
    st.bind(4, static_cast<int64_t>(entry.ended_at));
    st.bind(5, entry.outcome);
    if (entry.http_status > 0) {
      st.bind(6, entry.http_status);
    } else {
      st.bind(6);
    }
    bind_text_or_null(st, 7, entry.error);
    st.bind(8, entry.posts_new);
    st.bind(9, entry.posts_updated);
    st.bind(10, entry.requests);
    st.exec();
  } catch (const std::exception& e) {
    return storage_error("writing poll log", e);
  }
  return ok_status();
}

Status Store::extend_coverage(int64_t account_id, TimeMs at, DurationMs max_gap) {
  try {
    SQLite::Statement last(*db_,
                           "SELECT from_at, to_at FROM coverage_spans WHERE account_id = ? ORDER "
                           "BY from_at DESC LIMIT 1");
    last.bind(1, account_id);
    if (last.executeStep() && at - last.getColumn(1).getInt64() <= max_gap) {
      SQLite::Statement upd(
          *db_,
          "UPDATE coverage_spans SET to_at = MAX(to_at, ?) WHERE account_id = ? AND from_at = ?");
      upd.bind(1, static_cast<int64_t>(at));
      upd.bind(2, account_id);
      upd.bind(3, last.getColumn(0).getInt64());
      upd.exec();
    } else {
      SQLite::Statement ins(
          *db_, "INSERT OR IGNORE INTO coverage_spans (account_id, from_at, to_at) VALUES (?,?,?)");
      ins.bind(1, account_id);
      ins.bind(2, static_cast<int64_t>(at));
      ins.bind(3, static_cast<int64_t>(at));
      ins.exec();
    }
  } catch (const std::exception& e) {
    return storage_error("recording coverage", e);
  }
  return ok_status();
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

Status Store::save_hosts(const std::vector<HostStatusRow>& hosts) {
  try {
    SQLite::Transaction txn(*db_);
    SQLite::Statement st(
        *db_,
        "INSERT INTO hosts (host, platform, rate_limit, remaining, window_ms, reset_at, "
        "wait_until, "
        "budget_source, in_flight, queued, requests_total, rate_limited_total, updated_at) "
        "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT (host) DO UPDATE SET "
        "platform = excluded.platform, rate_limit = excluded.rate_limit, "
        "remaining = excluded.remaining, window_ms = excluded.window_ms, "
        "reset_at = excluded.reset_at, wait_until = excluded.wait_until, "
        "budget_source = excluded.budget_source, in_flight = excluded.in_flight, "
        "queued = excluded.queued, requests_total = excluded.requests_total, "
        "rate_limited_total = excluded.rate_limited_total, updated_at = excluded.updated_at");
    for (const HostStatusRow& h : hosts) {
      st.bind(1, h.host);
      st.bind(2, h.platform);
      st.bind(3, h.limit);
      st.bind(4, h.remaining);
      st.bind(5, static_cast<int64_t>(h.window_ms));
      bind_opt(st, 6, h.reset_at);
      bind_opt(st, 7, h.wait_until);
      st.bind(8, h.budget_source);
      st.bind(9, h.in_flight);
      st.bind(10, h.queued);
      st.bind(11, static_cast<int64_t>(h.requests_total));
      st.bind(12, static_cast<int64_t>(h.rate_limited_total));
      st.bind(13, static_cast<int64_t>(h.updated_at));
      st.exec();
      st.reset();
    }
    txn.commit();
  } catch (const std::exception& e) {
    return storage_error("saving host budgets", e);
  }
  return ok_status();
}

Result<std::vector<HostStatusRow>> Store::load_hosts() {
  std::vector<HostStatusRow> out;
  try {
    SQLite::Statement st(*db_,
                         "SELECT host, platform, rate_limit, remaining, window_ms, reset_at, "
                         "wait_until, budget_source, "
                         "in_flight, queued, requests_total, rate_limited_total, updated_at FROM "
                         "hosts ORDER BY host");
    while (st.executeStep()) {
      HostStatusRow h;
      h.host = col_text(st, 0);
      h.platform = col_text(st, 1);
      h.limit = st.getColumn(2).getInt();
      h.remaining = st.getColumn(3).isNull() ? -1 : st.getColumn(3).getInt();
      h.window_ms = st.getColumn(4).getInt64();
      h.reset_at = col_opt(st, 5);
      h.wait_until = col_opt(st, 6);
      h.budget_source = col_text(st, 7);
      h.in_flight = st.getColumn(8).getInt();
      h.queued = st.getColumn(9).getInt();
      h.requests_total = st.getColumn(10).getInt64();
      h.rate_limited_total = st.getColumn(11).getInt64();
      h.updated_at = st.getColumn(12).getInt64();
      out.push_back(std::move(h));
    }
  } catch (const std::exception& e) {
    return storage_error("loading host budgets", e);
  }
  return out;
}

Result<std::optional<HttpCacheEntry>> Store::http_cache_get(const std::string& url) {
  try {
    SQLite::Statement st(*db_, "SELECT etag, last_modified FROM http_cache WHERE url = ?");
    st.bind(1, url);
    if (st.executeStep())
      return std::optional<HttpCacheEntry>(HttpCacheEntry{col_text(st, 0), col_text(st, 1)});
  } catch (const std::exception& e) {
    return storage_error("reading HTTP cache", e);
  }
  return std::optional<HttpCacheEntry>();
}

Status Store::http_cache_put(const std::string& url, const HttpCacheEntry& entry, TimeMs now) {
  try {
    SQLite::Statement st(
        *db_,
        "INSERT INTO http_cache (url, etag, last_modified, updated_at) VALUES (?,?,?,?) "
        "ON CONFLICT (url) DO UPDATE SET etag = excluded.etag, "
        "last_modified = excluded.last_modified, updated_at = excluded.updated_at");
    st.bind(1, url);
    bind_text_or_null(st, 2, entry.etag);
    bind_text_or_null(st, 3, entry.last_modified);
    st.bind(4, static_cast<int64_t>(now));
    st.exec();
  } catch (const std::exception& e) {
    return storage_error("writing HTTP cache", e);
  }
  return ok_status();
}

Status Store::set_meta(const std::string& key, const std::string& value) {
  try {
    SQLite::Statement st(*db_,
                         "INSERT INTO meta (key, value) VALUES (?,?) ON CONFLICT (key) DO UPDATE "
                         "SET value = excluded.value");
    st.bind(1, key);
    st.bind(2, value);
    st.exec();
  } catch (const std::exception& e) {
    return storage_error("writing meta " + key, e);
  }
  return ok_status();
}

Result<std::optional<std::string>> Store::get_meta(const std::string& key) {
  try {
    SQLite::Statement st(*db_, "SELECT value FROM meta WHERE key = ?");
    st.bind(1, key);
    if (st.executeStep()) return std::optional<std::string>(st.getColumn(0).getString());
  } catch (const std::exception& e) {
    return storage_error("reading meta " + key, e);
  }
  return std::optional<std::string>();
}

Result<std::vector<MunicipalityRow>> Store::list_municipalities() {
  std::vector<MunicipalityRow> out;
  try {
    SQLite::Statement st(
        *db_,
        "SELECT m.id, m.name, m.ags, m.kind, m.state, m.population, m.labels, m.active, "
        "(SELECT COUNT(*) FROM accounts a WHERE a.municipality_id = m.id AND a.active = 1) "
        "FROM municipalities m ORDER BY m.active DESC, m.id");
    while (st.executeStep()) {
      MunicipalityRow r;
      r.id = col_text(st, 0);
      r.name = col_text(st, 1);
      r.ags = col_text(st, 2);
      r.kind = col_text(st, 3);
      r.state = col_text(st, 4);
      r.population = col_opt(st, 5);
      r.labels = parse_json_string_array(col_text(st, 6));
      r.active = st.getColumn(7).getInt() != 0;
      r.accounts = st.getColumn(8).getInt();
      out.push_back(std::move(r));
    }
  } catch (const std::exception& e) {
    return storage_error("listing municipalities", e);
  }
  return out;
}

Result<RetentionSummary> Store::apply_retention(const RetentionSettings& settings, TimeMs now) {
  RetentionPass pass(settings, now);
  // Large steps: nobody waits between them here.
  while (!pass.done()) MUNI_TRY_STATUS(retention_step(pass, 1'000'000));
  return pass.summary();
}

namespace {

// Per series (post or account), samples older than keep_all fall into
// buckets: one per UTC day while younger than daily_until, one per
// Monday-based week beyond. The latest sample of each bucket survives, and
// so do the first and the last sample of the whole series. Only the series
// with ids in [:lo, :hi] are looked at.
std::string thinning_sql(const char* table, const char* series) {
  const std::string t = table, s = series;
  return "DELETE FROM " + t + " WHERE " + s + " BETWEEN :lo AND :hi AND (" + s +
         ", observed_at) IN (SELECT " + s + ", observed_at FROM (SELECT " + s +
         ", observed_at, ROW_NUMBER() OVER (PARTITION BY " + s +
         ", CASE WHEN observed_at >= :daily THEN 0 ELSE 1 END, "
         "CASE WHEN observed_at >= :daily THEN observed_at / 86400000 "
         "ELSE (observed_at / 86400000 + 3) / 7 END ORDER BY observed_at DESC) AS rn, "
         "MIN(observed_at) OVER (PARTITION BY " +
         s + ") AS first_at, MAX(observed_at) OVER (PARTITION BY " + s + ") AS last_at FROM " + t +
         " WHERE " + s +
         " BETWEEN :lo AND :hi) WHERE observed_at < :keep AND rn > 1 AND observed_at != first_at "
         "AND observed_at != last_at)";
}

int64_t scalar_or(SQLite::Database& db, const std::string& sql, int64_t fallback) {
  SQLite::Statement st(db, sql);
  if (!st.executeStep() || st.getColumn(0).isNull()) return fallback;
  return st.getColumn(0).getInt64();
}

}  // namespace

Status Store::retention_step(RetentionPass& pass, int64_t samples_per_step) {
  using Phase = RetentionPass::Phase;
  const int64_t n = std::max<int64_t>(1, samples_per_step);
  try {
    switch (pass.phase_) {
      case Phase::kStart:
        pass.summary_.bytes_before = file_size_bytes();
        pass.next_id_ = 0;
        pass.last_id_ = scalar_or(*db_, "SELECT MAX(id) FROM posts", 0);
        pass.phase_ = Phase::kPostSamples;
        return ok_status();
      case Phase::kPostSamples:
      case Phase::kAccountSamples: {
        const bool posts = pass.phase_ == Phase::kPostSamples;
        const char* table = posts ? "post_samples" : "account_samples";
        const char* series = posts ? "post_id" : "account_id";
        // The range ends with the series that holds the n-th sample from lo
        // (a walk along the primary key), so a step handles about n samples
        // however they are spread: a post has tens, an account thousands.
        const int64_t lo = pass.next_id_;
        SQLite::Statement bound(*db_, std::string("SELECT ") + series + " FROM " + table +
                                          " WHERE " + series + " >= ? ORDER BY " + series +
                                          ", observed_at LIMIT 1 OFFSET ?");
        bound.bind(1, lo);
        bound.bind(2, n - 1);
        const int64_t hi = bound.executeStep() ? bound.getColumn(0).getInt64() : pass.last_id_;
        SQLite::Transaction txn(*db_);
        SQLite::Statement st(*db_, thinning_sql(table, series));
        st.bind(":lo", lo);
        st.bind(":hi", hi);
        st.bind(":daily", static_cast<int64_t>(pass.now_ - pass.settings_.daily_until_ms));
        st.bind(":keep", static_cast<int64_t>(pass.now_ - pass.settings_.keep_all_ms));
        (posts ? pass.summary_.engagement_samples_deleted
               : pass.summary_.account_samples_deleted) += st.exec();
        txn.commit();
        pass.next_id_ = hi + 1;
        if (pass.next_id_ > pass.last_id_) {
          pass.next_id_ = 0;
          if (posts) {
            pass.last_id_ = scalar_or(*db_, "SELECT MAX(id) FROM accounts", 0);
            pass.phase_ = Phase::kAccountSamples;
          } else {
            // poll_log ids grow with insertion, started_at nearly so. Every row
            // before the first young one (in id order) is old: delete up to
            // there by id range, which needs no index on started_at. Old rows
            // after it (long sessions logged late) go in a later pass.
            SQLite::Statement first_young(
                *db_, "SELECT id FROM poll_log WHERE started_at >= ? ORDER BY id LIMIT 1");
            first_young.bind(1, static_cast<int64_t>(pass.now_ - pass.settings_.poll_log_keep_ms));
            pass.last_id_ = first_young.executeStep()
                                ? first_young.getColumn(0).getInt64() - 1
                                : scalar_or(*db_, "SELECT MAX(id) FROM poll_log", 0);
            pass.next_id_ = scalar_or(*db_, "SELECT MIN(id) FROM poll_log", 0);
            pass.phase_ = Phase::kPollLog;
          }
        }
        return ok_status();
      }
      case Phase::kPollLog: {
        // The poll log is for operations and debugging; coverage lives in
        // coverage_spans, so old log rows can go.
        if (pass.next_id_ <= pass.last_id_) {
          const int64_t hi = std::min(pass.last_id_, pass.next_id_ + n - 1);
          SQLite::Statement del(*db_, "DELETE FROM poll_log WHERE id BETWEEN ? AND ?");
          del.bind(1, pass.next_id_);
          del.bind(2, hi);
          pass.summary_.poll_log_deleted += del.exec();
          pass.next_id_ = hi + 1;
        }
        if (pass.next_id_ > pass.last_id_) pass.phase_ = Phase::kVacuum;
        return ok_status();
      }
      case Phase::kVacuum: {
        // auto_vacuum=INCREMENTAL: hand back up to n/16 free pages per step
        // (moving a page costs more than looking at a sample). A
        // freelist that does not shrink (a store made without incremental
        // auto_vacuum) ends the phase instead of looping.
        const int64_t before = scalar_or(*db_, "PRAGMA freelist_count", 0);
        const int64_t pages = std::max<int64_t>(1, n / 16);
        if (before > 0) db_->exec("PRAGMA incremental_vacuum(" + std::to_string(pages) + ")");
        const int64_t after = scalar_or(*db_, "PRAGMA freelist_count", 0);
        if (after == 0 || after >= before) {
          db_->exec("PRAGMA wal_checkpoint(TRUNCATE)");
          pass.summary_.bytes_after = file_size_bytes();
          pass.phase_ = Phase::kDone;
        }
        return ok_status();
      }
      case Phase::kDone:
        return ok_status();
    }
  } catch (const std::exception& e) {
    return storage_error("applying retention", e);
  }
  return ok_status();
}

Status Store::incremental_vacuum() {
  try {
    db_->exec("PRAGMA incremental_vacuum");
    db_->exec("PRAGMA wal_checkpoint(TRUNCATE)");
  } catch (const std::exception& e) {
    return storage_error("incremental vacuum", e);
  }
  return ok_status();
}

Status Store::backup_to(const std::string& destination) {
  if (std::filesystem::exists(destination)) {
    return make_error(ErrorCode::kIo, destination + " exists; choose a new file name");
  }
  // Copy into a side file and rename it at the end, so a file under the
  // destination name is always a complete backup.
  const std::string partial = destination + ".partial";
  std::error_code ec;
  std::filesystem::remove(partial, ec);
  try {
    {
      SQLite::Database dest(partial, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
      SQLite::Backup backup(dest, *db_);
      // One step copies every page inside one read transaction: in WAL mode
      // the daemon keeps writing meanwhile, and the copy is the snapshot at
      // the step's start. (Copying in small steps would restart whenever
      // the daemon commits, and might never finish on a busy store.)
      int rc;
      while ((rc = backup.executeStep(-1)) == SQLITE_BUSY || rc == SQLITE_LOCKED) sqlite3_sleep(20);
      if (rc != SQLITE_DONE) {
        std::filesystem::remove(partial, ec);
        return make_error(ErrorCode::kStorage, std::string("backup failed: ") + sqlite3_errstr(rc));
      }
    }
    std::filesystem::rename(partial, destination);
  } catch (const std::exception& e) {
    std::filesystem::remove(partial, ec);
    return storage_error("backing up to " + destination, e);
  }
  return ok_status();
}

int64_t Store::file_size_bytes() const {
  std::error_code ec;
  int64_t total = 0;
  for (const char* suffix : {"", "-wal"}) {
    const auto size = std::filesystem::file_size(path_ + suffix, ec);
    if (!ec) total += static_cast<int64_t>(size);
  }
  return total;
}

std::string store_path_for(const Config* config, const std::string& override_path) {
  if (!override_path.empty()) return override_path;
  if (config != nullptr) return config->resolved_store_path();
  return "var/muniscope.db";
}

}  // namespace muni
