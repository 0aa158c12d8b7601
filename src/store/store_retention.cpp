// Retention: thinning old samples in bounded steps, returning free pages.
#include "store/store.h"

#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>

#include <algorithm>

#include "store/store_internal.h"

namespace muni {

using namespace store_detail;

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

int RetentionPass::percent_done() const {
  int index = 0;
  switch (phase_) {
    case Phase::kStart:
      return 0;
    case Phase::kPostSamples:
      index = 0;
      break;
    case Phase::kAccountSamples:
      index = 1;
      break;
    case Phase::kPollLog:
      index = 2;
      break;
    case Phase::kVacuum:
      return 75;
    case Phase::kDone:
      return 100;
  }
  const double fraction =
      last_id_ > 0 ? std::min(1.0, static_cast<double>(next_id_) / static_cast<double>(last_id_)) : 0;
  return index * 25 + static_cast<int>(fraction * 25);
}

const char* RetentionPass::phase_name() const {
  switch (phase_) {
    case Phase::kStart:
      return "starting";
    case Phase::kPostSamples:
      return "thinning engagement samples";
    case Phase::kAccountSamples:
      return "thinning account samples";
    case Phase::kPollLog:
      return "trimming the poll log";
    case Phase::kVacuum:
      return "returning free pages";
    case Phase::kDone:
      return "done";
  }
  return "";
}

}  // namespace muni
