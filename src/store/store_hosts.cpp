// Per-host budgets for `status`, and the validators of conditional GETs.
#include "store/store.h"

#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>

#include "store/store_internal.h"

namespace muni {

using namespace store_detail;

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

Status Store::save_budgets(const std::vector<BudgetRow>& budgets) {
  try {
    SQLite::Transaction txn(*db_);
    SQLite::Statement st(
        *db_,
        "INSERT INTO budgets (scope, platform, policy, units, spent, period_start, blocked_until, "
        "next_reset, log, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?) ON CONFLICT (scope) DO UPDATE "
        "SET platform = excluded.platform, policy = excluded.policy, units = excluded.units, "
        "spent = excluded.spent, period_start = excluded.period_start, "
        "blocked_until = excluded.blocked_until, next_reset = excluded.next_reset, "
        "log = excluded.log, updated_at = excluded.updated_at");
    for (const BudgetRow& b : budgets) {
      st.bind(1, b.scope);
      st.bind(2, b.platform);
      st.bind(3, b.policy);
      st.bind(4, static_cast<int64_t>(b.units));
      st.bind(5, static_cast<int64_t>(b.spent));
      bind_opt(st, 6, b.period_start);
      bind_opt(st, 7, b.blocked_until);
      bind_opt(st, 8, b.next_reset);
      bind_text_or_null(st, 9, b.log);
      st.bind(10, static_cast<int64_t>(b.updated_at));
      st.exec();
      st.reset();
    }
    txn.commit();
  } catch (const std::exception& e) {
    return storage_error("saving quota budgets", e);
  }
  return ok_status();
}

Result<std::vector<BudgetRow>> Store::load_budgets() {
  std::vector<BudgetRow> out;
  try {
    SQLite::Statement st(*db_,
                         "SELECT scope, platform, policy, units, spent, period_start, "
                         "blocked_until, next_reset, log, updated_at FROM budgets ORDER BY scope");
    while (st.executeStep()) {
      BudgetRow b;
      b.scope = col_text(st, 0);
      b.platform = col_text(st, 1);
      b.policy = col_text(st, 2);
      b.units = st.getColumn(3).getInt64();
      b.spent = st.getColumn(4).getInt64();
      b.period_start = col_opt(st, 5);
      b.blocked_until = col_opt(st, 6);
      b.next_reset = col_opt(st, 7);
      b.log = col_text(st, 8);
      b.updated_at = st.getColumn(9).getInt64();
      out.push_back(std::move(b));
    }
  } catch (const std::exception& e) {
    return storage_error("loading quota budgets", e);
  }
  return out;
}

}  // namespace muni
