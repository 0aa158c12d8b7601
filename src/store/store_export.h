// Streaming exports of the store's raw data (`muniscope export`), as a store
// contract: a stable, documented column order (docs/exports.md), one row at a
// time from one SQLite statement, so memory stays constant however many rows
// there are. Every row carries what a reader needs to join and cite it: the
// municipality's id, name, AGS (as text) and Land beside the account.
// Timestamps are ISO-8601 UTC text; counts are whole numbers or empty
// (unknown).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "core/time_util.h"
#include "core/value.h"

namespace muni {

class Store;

enum class ExportKind { kPosts, kAccountSamples, kPostSamples };
// "posts", "account-samples", "post-samples".
std::optional<ExportKind> parse_export_kind(std::string_view name);

struct ExportFilter {
  std::vector<std::string> municipalities;  // ids; empty: all
  std::string platform;                     // empty: all
  std::optional<TimeMs> from, to;           // [from, to) on created_at (posts) or observed_at
};

// The columns of an export, in order.
const std::vector<std::string>& export_columns(ExportKind kind);

// How many rows export_rows would give (for a progress line with an ETA;
// one index scan, a small fraction of the export's time).
Result<int64_t> count_export_rows(Store& store, ExportKind kind, const ExportFilter& filter);

// Calls `row` for every row, values aligned with export_columns(kind), in
// the order of municipality id, account key, then time (posts: created_at;
// account samples: observed_at; post samples: the post's created_at, then
// each post's samples by observed_at, so a post's series is contiguous).
// Rows stream in index order; nothing is sorted in bulk. Stops early when
// `row` returns false.
Status export_rows(Store& store, ExportKind kind, const ExportFilter& filter,
                   const std::function<bool(const std::vector<Value>&)>& row);

}  // namespace muni
