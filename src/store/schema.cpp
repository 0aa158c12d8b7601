#include "store/schema.h"

namespace muni {

// All times are INTEGER milliseconds since the Unix epoch, UTC (column names
// end in _at). Counts are NULL when the platform did not report them.
static const char* const kMigration1 = R"SQL(
CREATE TABLE municipalities (
  id                  TEXT PRIMARY KEY,
  name                TEXT NOT NULL,
  ags                 TEXT NOT NULL,
  kind                TEXT NOT NULL,
  state               TEXT NOT NULL,
  population          INTEGER,
  labels              TEXT NOT NULL DEFAULT '[]',
  active              INTEGER NOT NULL DEFAULT 1,
  first_configured_at INTEGER NOT NULL,
  updated_at          INTEGER NOT NULL
);

CREATE TABLE accounts (
  id                  INTEGER PRIMARY KEY,
  municipality_id     TEXT NOT NULL REFERENCES municipalities(id),
  platform            TEXT NOT NULL,
  category            TEXT NOT NULL,
  handle              TEXT NOT NULL,
  account_key         TEXT NOT NULL UNIQUE,
  role                TEXT NOT NULL DEFAULT '',
  source              TEXT NOT NULL DEFAULT '',
  interval_ms         INTEGER,
  backfill_since      TEXT,
  follow_moves        INTEGER NOT NULL DEFAULT 1,
  active              INTEGER NOT NULL DEFAULT 1,
  platform_id         TEXT,
  current_handle      TEXT,
  display_name        TEXT,
  profile_url         TEXT,
  created_at          INTEGER,
  created_precision   TEXT,
  last_status_at      INTEGER,
  cursor              TEXT,
  backfill_state      TEXT NOT NULL DEFAULT 'pending',
  history_note        TEXT,
  state               TEXT NOT NULL DEFAULT 'pending',
  state_reason        TEXT,
  state_since         INTEGER,
  last_attempt_at     INTEGER,
  last_success_at     INTEGER,
  next_due_at         INTEGER,
  next_refresh_at     INTEGER,
  backoff_until       INTEGER,
  failures            INTEGER NOT NULL DEFAULT 0,
  not_found_strikes   INTEGER NOT NULL DEFAULT 0,
  skipped_polls       INTEGER NOT NULL DEFAULT 0,
  first_configured_at INTEGER NOT NULL,
  updated_at          INTEGER NOT NULL
);
CREATE INDEX accounts_municipality ON accounts(municipality_id);

CREATE TABLE account_samples (
  account_id  INTEGER NOT NULL REFERENCES accounts(id),
  observed_at INTEGER NOT NULL,
  followers   INTEGER,
  following   INTEGER,
  posts       INTEGER,
  PRIMARY KEY (account_id, observed_at)
) WITHOUT ROWID;

CREATE TABLE posts (
  id                INTEGER PRIMARY KEY,
  account_id        INTEGER NOT NULL REFERENCES accounts(id),
  platform_post_id  TEXT NOT NULL,
  created_at        INTEGER NOT NULL,
  kind              TEXT NOT NULL CHECK (kind IN
                      ('original','reply_other','reply_self','reply_unknown','repost','quote')),
  parent_post_id    TEXT,
  parent_author_id  TEXT,
  parent_created_at INTEGER,
  parent_state      TEXT,
  quoted_post_id    TEXT,
  url               TEXT,
  text              TEXT,
  language          TEXT,
  has_link          INTEGER NOT NULL DEFAULT 0,
  has_media         INTEGER NOT NULL DEFAULT 0,
  mentions          INTEGER NOT NULL DEFAULT 0,
  first_seen        INTEGER NOT NULL,
  last_seen         INTEGER NOT NULL,
  edited_at         INTEGER,
  deleted_at        INTEGER,
  likes             INTEGER,
  replies           INTEGER,
  reposts           INTEGER,
  quotes            INTEGER,
  views             INTEGER,
  UNIQUE (account_id, platform_post_id)
);
CREATE INDEX posts_account_created ON posts(account_id, created_at);
-- Finds replies waiting for their parent to be recognised as the account's own.
CREATE INDEX posts_account_parent ON posts(account_id, parent_post_id)
  WHERE kind IN ('reply_other', 'reply_unknown');

CREATE TABLE post_samples (
  post_id     INTEGER NOT NULL REFERENCES posts(id),
  observed_at INTEGER NOT NULL,
  likes       INTEGER,
  replies     INTEGER,
  reposts     INTEGER,
  quotes      INTEGER,
  views       INTEGER,
  PRIMARY KEY (post_id, observed_at)
) WITHOUT ROWID;

CREATE TABLE comments (
  id                  INTEGER PRIMARY KEY,
  account_id          INTEGER NOT NULL REFERENCES accounts(id),
  platform_comment_id TEXT NOT NULL,
  on_post_id          TEXT NOT NULL,
  author_id           TEXT,
  by_account          INTEGER NOT NULL DEFAULT 0,
  reply_to_comment_id TEXT,
  created_at          INTEGER NOT NULL,
  first_seen          INTEGER NOT NULL,
  UNIQUE (account_id, platform_comment_id)
);
CREATE INDEX comments_account_created ON comments(account_id, created_at);

CREATE TABLE account_events (
  id          INTEGER PRIMARY KEY,
  account_id  INTEGER NOT NULL REFERENCES accounts(id),
  observed_at INTEGER NOT NULL,
  kind        TEXT NOT NULL,
  detail      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX account_events_account ON account_events(account_id, observed_at);

CREATE TABLE poll_log (
  id            INTEGER PRIMARY KEY,
  account_id    INTEGER NOT NULL REFERENCES accounts(id),
  work          TEXT NOT NULL,
  started_at    INTEGER NOT NULL,
  ended_at      INTEGER NOT NULL,
  outcome       TEXT NOT NULL,
  http_status   INTEGER,
  error         TEXT,
  posts_new     INTEGER NOT NULL DEFAULT 0,
  posts_updated INTEGER NOT NULL DEFAULT 0,
  requests      INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX poll_log_account ON poll_log(account_id, started_at);

-- Spans of uninterrupted observation per account: successful polls no more
-- than a few poll intervals apart extend the latest span (coverage, metrics).
CREATE TABLE coverage_spans (
  account_id INTEGER NOT NULL REFERENCES accounts(id),
  from_at    INTEGER NOT NULL,
  to_at      INTEGER NOT NULL,
  PRIMARY KEY (account_id, from_at)
) WITHOUT ROWID;

CREATE TABLE hosts (
  host               TEXT PRIMARY KEY,
  platform           TEXT NOT NULL,
  rate_limit         INTEGER,
  remaining          INTEGER,
  window_ms          INTEGER,
  reset_at           INTEGER,
  wait_until         INTEGER,
  budget_source      TEXT,
  in_flight          INTEGER NOT NULL DEFAULT 0,
  queued             INTEGER NOT NULL DEFAULT 0,
  requests_total     INTEGER NOT NULL DEFAULT 0,
  rate_limited_total INTEGER NOT NULL DEFAULT 0,
  updated_at         INTEGER NOT NULL
);

CREATE TABLE http_cache (
  url           TEXT PRIMARY KEY,
  etag          TEXT,
  last_modified TEXT,
  updated_at    INTEGER NOT NULL
);

CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);

-- Convenience views with ISO-8601 text times for people reading the store
-- directly; the tables stay the source of truth.
CREATE VIEW v_posts AS
  SELECT p.id, a.municipality_id, a.platform, a.handle, p.platform_post_id,
         strftime('%Y-%m-%dT%H:%M:%fZ', p.created_at / 1000.0, 'unixepoch') AS created_at_utc,
         p.kind, p.parent_post_id, p.parent_author_id,
         strftime('%Y-%m-%dT%H:%M:%fZ', p.parent_created_at / 1000.0, 'unixepoch') AS parent_created_at_utc,
         p.url, p.text, p.language, p.has_link, p.has_media,
         p.likes, p.replies, p.reposts, p.quotes, p.views,
         strftime('%Y-%m-%dT%H:%M:%fZ', p.deleted_at / 1000.0, 'unixepoch') AS deleted_at_utc
  FROM posts p JOIN accounts a ON a.id = p.account_id;

CREATE VIEW v_account_samples AS
  SELECT s.account_id, a.municipality_id, a.platform, a.handle,
         strftime('%Y-%m-%dT%H:%M:%fZ', s.observed_at / 1000.0, 'unixepoch') AS observed_at_utc,
         s.followers, s.following, s.posts
  FROM account_samples s JOIN accounts a ON a.id = s.account_id;
)SQL";

// Version 2: data safety. Deletions need confirmation and can be revoked;
// records carry what the page guard corrected; an account configured twice
// under two spellings points at the one that is polled; the poll log keeps
// what was skipped.
static const char* const kMigration2 = R"SQL(
ALTER TABLE posts ADD COLUMN missing_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE posts ADD COLUMN missing_since INTEGER;
ALTER TABLE posts ADD COLUMN quality INTEGER NOT NULL DEFAULT 0;
ALTER TABLE accounts ADD COLUMN duplicate_of INTEGER REFERENCES accounts(id);
ALTER TABLE poll_log ADD COLUMN items_skipped INTEGER NOT NULL DEFAULT 0;
ALTER TABLE poll_log ADD COLUMN notes TEXT;
)SQL";

// Version 3: the item model for the platforms to come. Items have a type
// and a title; accounts have further counters with their precision; comments
// keep their text, edits, counts and deletions (and may lack a platform id);
// quota budgets survive restarts.
static const char* const kMigration3 = R"SQL(
ALTER TABLE posts ADD COLUMN item_type TEXT NOT NULL DEFAULT 'post';
ALTER TABLE posts ADD COLUMN title TEXT;
ALTER TABLE account_samples ADD COLUMN followers_precision TEXT;

CREATE TABLE account_counter_samples (
  account_id  INTEGER NOT NULL REFERENCES accounts(id),
  counter     TEXT NOT NULL,
  observed_at INTEGER NOT NULL,
  value       INTEGER,
  precision   TEXT NOT NULL DEFAULT 'exact',
  PRIMARY KEY (account_id, counter, observed_at)
) WITHOUT ROWID;

ALTER TABLE comments ADD COLUMN text TEXT;
ALTER TABLE comments ADD COLUMN edited_at INTEGER;
ALTER TABLE comments ADD COLUMN deleted_at INTEGER;
ALTER TABLE comments ADD COLUMN last_seen INTEGER;
ALTER TABLE comments ADD COLUMN likes INTEGER;
ALTER TABLE comments ADD COLUMN missing_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE comments ADD COLUMN id_derived INTEGER NOT NULL DEFAULT 0;
UPDATE comments SET last_seen = first_seen;

CREATE TABLE budgets (
  scope         TEXT PRIMARY KEY,
  platform      TEXT NOT NULL,
  policy        TEXT NOT NULL,
  units         INTEGER NOT NULL,
  spent         INTEGER NOT NULL DEFAULT 0,
  period_start  INTEGER,
  blocked_until INTEGER,
  next_reset    INTEGER,
  log           TEXT,
  updated_at    INTEGER NOT NULL
);

DROP VIEW v_posts;
CREATE VIEW v_posts AS
  SELECT p.id, a.municipality_id, a.platform, a.handle, p.platform_post_id, p.item_type, p.title,
         strftime('%Y-%m-%dT%H:%M:%fZ', p.created_at / 1000.0, 'unixepoch') AS created_at_utc,
         p.kind, p.parent_post_id, p.parent_author_id,
         strftime('%Y-%m-%dT%H:%M:%fZ', p.parent_created_at / 1000.0, 'unixepoch') AS parent_created_at_utc,
         p.url, p.text, p.language, p.has_link, p.has_media,
         p.likes, p.replies, p.reposts, p.quotes, p.views,
         strftime('%Y-%m-%dT%H:%M:%fZ', p.deleted_at / 1000.0, 'unixepoch') AS deleted_at_utc
  FROM posts p JOIN accounts a ON a.id = p.account_id;
)SQL";

// Version 4: comment coverage. Per item, when its comments were last read
// and how that reading ended (complete, partial, disabled); dialogue figures
// rest on it (docs/metrics.md, "Comment coverage") and comment backfill
// picks the items never read, then the longest unread (engine).
static const char* const kMigration4 = R"SQL(
ALTER TABLE posts ADD COLUMN comments_swept_at INTEGER;
ALTER TABLE posts ADD COLUMN comments_sweep TEXT;
CREATE INDEX posts_account_comment_sweep ON posts(account_id, comments_swept_at);
)SQL";

const std::vector<const char*>& schema_migrations() {
  static const std::vector<const char*> kMigrations = {kMigration1, kMigration2, kMigration3,
                                                       kMigration4};
  return kMigrations;
}

}  // namespace muni
