// The survey check: each municipality's answers, item by item, against what
// its configured accounts did in the survey's reference period; then
// agreement statistics per item and overall. Rules per item type and verdict
// are in docs/survey.md.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "core/tz.h"
#include "store/store.h"
#include "survey/agreement.h"
#include "survey/codebook.h"

namespace muni::survey {

enum class Verdict {
  kConsistent,            // the observation agrees with the answer
  kContradicted,          // the observation falls in another answer class
  kNotCorroborated,       // use (or a plan) claimed, nothing observed
  kUnreportedUse,         // observed, not claimed
  kInsufficientCoverage,  // the observation does not cover enough of the period to decide
  kNotObservable,         // the item cannot be checked from public data (or no connector yet)
  kMissing,               // no answer
  kInvalidAnswer,         // an answer the codebook does not map (reported, never guessed)
};
std::string_view verdict_id(Verdict v);
// Verdicts that take part in agreement statistics.
bool decided(Verdict v);

struct ItemResult {
  std::string municipality;  // config id
  int answers_line = 0;
  std::string item;  // item id
  std::string type;
  std::string claimed;   // the code (or number) the answer maps to; raw text when invalid
  std::string observed;  // the observed value in the same terms
  Verdict verdict = Verdict::kMissing;
  std::string evidence;  // accounts, counts, dates, coverage
  std::string flag;      // goal items: "claims dialogue, no observable dialogue"
  // For statistics: class indices (or 0/1 for binary items), numbers for numeric items.
  int claimed_class = -1;
  int observed_class = -1;
  std::optional<double> claimed_number;
  std::optional<double> observed_number;
};

// The unit of a result's observed number ("posts/week", "hours", "year",
// "years"), empty when it has none: the value/unit columns of tables and
// exports.
std::string observed_unit(const ItemResult& result);

struct ItemStatistics {
  std::string item;
  std::string type;
  int answered = 0;      // answers present and valid
  int n = 0;             // decided pairs (with a class on both sides, where the item has classes)
  int unclassified = 0;  // decided, but without a class on one side: left out of n and kappa
  int consistent = 0;
  std::optional<double> agreement;  // consistent / n
  bool ordered = false;             // weighted kappa (linear) for ordered classes
  std::optional<Kappa> kappa;
  std::string kappa_undefined;     // why kappa is undefined, when it is (and the item has classes)
  std::string observable = "yes";  // or why this installation cannot observe the item
  std::vector<std::string> classes;  // confusion matrix labels
  Matrix confusion;                  // rows claimed, columns observed
  std::optional<NumericAgreement> numeric;
  std::map<std::string, int> verdicts;  // verdict id -> count
  int flags = 0;
};

struct Problem {
  int line = 0;
  std::string column;
  std::string message;
};

struct Report {
  std::string survey;
  std::string reference_period;  // "2015-01-01..2015-12-31"
  std::vector<ItemResult> results;
  std::vector<ItemStatistics> items;
  int municipalities_checked = 0;                           // with at least one decided item
  int municipalities_consistent = 0;                        // every decided item consistent
  std::vector<std::pair<std::string, int>> top_mismatches;  // "item: verdict" -> count
  std::vector<Problem> problems;  // unmapped answers, unknown municipalities
};

struct CheckOptions {
  TimeZone tz = TimeZone::utc();
  TimeMs now = 0;
  double min_coverage = 0.8;
  DurationMs default_interval_ms = kHourMs;
  std::map<std::string, int64_t> populations;
};

Result<Report> check(const Codebook& codebook, const Answers& answers, Store& store,
                     const CheckOptions& options);

}  // namespace muni::survey
