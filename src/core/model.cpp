#include "core/model.h"

#include <array>

namespace muni {

namespace {
constexpr std::array<std::pair<PostKind, std::string_view>, 6> kKinds = {{
    {PostKind::kOriginal, "original"},
    {PostKind::kReplyOther, "reply_other"},
    {PostKind::kReplySelf, "reply_self"},
    {PostKind::kReplyUnknown, "reply_unknown"},
    {PostKind::kRepost, "repost"},
    {PostKind::kQuote, "quote"},
}};
constexpr std::array<std::pair<BackfillState, std::string_view>, 4> kBackfill = {{
    {BackfillState::kPending, "pending"},
    {BackfillState::kComplete, "complete"},
    {BackfillState::kReachedStart, "reached_start"},
    {BackfillState::kIncomplete, "incomplete"},
}};
}  // namespace

std::string_view post_kind_id(PostKind kind) {
  for (const auto& [k, id] : kKinds) {
    if (k == kind) return id;
  }
  return "original";
}

std::optional<PostKind> parse_post_kind(std::string_view id) {
  for (const auto& [k, name] : kKinds) {
    if (name == id) return k;
  }
  return std::nullopt;
}

std::string_view parent_state_id(ParentState s) {
  switch (s) {
    case ParentState::kNone:
      return "";
    case ParentState::kVisible:
      return "visible";
    case ParentState::kDeleted:
      return "deleted";
    case ParentState::kBlocked:
      return "blocked";
    case ParentState::kUnknown:
      return "unknown";
  }
  return "";
}

std::string_view comment_sweep_result_id(CommentSweepResult r) {
  switch (r) {
    case CommentSweepResult::kComplete:
      return "complete";
    case CommentSweepResult::kPartial:
      return "partial";
    case CommentSweepResult::kDisabled:
      return "disabled";
  }
  return "complete";
}

std::string_view count_precision_id(CountPrecision p) {
  switch (p) {
    case CountPrecision::kExact:
      return "exact";
    case CountPrecision::kRounded:
      return "rounded";
    case CountPrecision::kApproximate:
      return "approximate";
  }
  return "exact";
}

std::string_view backfill_state_id(BackfillState s) {
  for (const auto& [k, id] : kBackfill) {
    if (k == s) return id;
  }
  return "pending";
}

std::optional<BackfillState> parse_backfill_state(std::string_view id) {
  for (const auto& [k, name] : kBackfill) {
    if (name == id) return k;
  }
  return std::nullopt;
}

}  // namespace muni
