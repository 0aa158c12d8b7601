// Accounts and municipalities: configuration sync, saved state, poll log,
// coverage spans, lookups.
#include "store/store.h"

#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>

#include <set>

#include "core/json.h"
#include "core/platform.h"
#include "core/strings.h"

#include "store/store_internal.h"

namespace muni {

using namespace store_detail;

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
        const PlatformDescriptor* info = find_platform(a.platform);
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
    "a.backoff_until, a.failures, a.not_found_strikes, a.skipped_polls, a.duplicate_of, ";
// Own posts stored, and the profile's count at the latest account sample
// (one index seek each: the samples' key is (account_id, observed_at)).
constexpr const char* kPostCounts =
    "(SELECT COUNT(*) FROM posts p WHERE p.account_id = a.id AND p.kind != 'repost'), "
    "(SELECT s.posts FROM account_samples s WHERE s.account_id = a.id "
    "ORDER BY s.observed_at DESC LIMIT 1)";

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
  AccountRuntime& rt = a.runtime;
  rt.state = parse_account_state(col_text(st, 22));
  rt.state_reason = col_text(st, 23);
  rt.state_since = col_opt(st, 24);
  rt.last_attempt_at = col_opt(st, 25);
  rt.last_success_at = col_opt(st, 26);
  rt.next_due_at = col_opt(st, 27);
  rt.next_refresh_at = col_opt(st, 28);
  rt.backoff_until = col_opt(st, 29);
  rt.failures = st.getColumn(30).getInt();
  rt.not_found_strikes = st.getColumn(31).getInt();
  rt.skipped_polls = st.getColumn(32).getInt64();
  a.duplicate_of = col_opt(st, 33);
  a.own_posts_stored = st.getColumn(34).getInt64();
  a.profile_posts = col_opt(st, 35);
  return a;
}

}  // namespace

Result<std::vector<StoredAccount>> Store::load_accounts(bool active_only, bool with_post_counts) {
  std::vector<StoredAccount> out;
  try {
    std::string sql = std::string("SELECT ") + kAccountColumns +
                      (with_post_counts ? kPostCounts : "0, NULL") + " FROM accounts a";
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
      SQLite::Statement st(*db_, std::string("SELECT ") + kAccountColumns + kPostCounts +
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

Status Store::save_account_runtime(int64_t account_id, const AccountRuntime& rt, TimeMs now) {
  try {
    SQLite::Statement st(
        *db_,
        "UPDATE accounts SET state_since = CASE WHEN state = ? THEN state_since ELSE ? END, "
        "state = ?, state_reason = ?, last_attempt_at = ?, last_success_at = ?, next_due_at = ?, "
        "next_refresh_at = ?, backoff_until = ?, failures = ?, not_found_strikes = ?, "
        "skipped_polls = ?, updated_at = ? WHERE id = ?");
    const std::string state(account_state_id(rt.state));
    st.bind(1, state);
    st.bind(2, static_cast<int64_t>(now));
    st.bind(3, state);
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
                         "http_status, error, posts_new, posts_updated, requests, items_skipped, "
                         "notes) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)");
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
    st.bind(11, entry.items_skipped);
    bind_text_or_null(st, 12, entry.notes);
    st.exec();
  } catch (const std::exception& e) {
    return storage_error("writing poll log", e);
  }
  return ok_status();
}

Status Store::set_duplicate_of(int64_t account_id, std::optional<int64_t> primary_id) {
  try {
    SQLite::Statement st(*db_, "UPDATE accounts SET duplicate_of = ? WHERE id = ?");
    bind_opt(st, 1, primary_id);
    st.bind(2, static_cast<int64_t>(account_id));
    st.exec();
  } catch (const std::exception& e) {
    return storage_error("recording a duplicate account", e);
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

}  // namespace muni
