#include "survey/check.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>

#include "core/platform.h"
#include "core/strings.h"
#include "core/text_decode.h"
#include "metrics/metrics.h"

namespace muni::survey {

std::string observed_unit(const ItemResult& x) {
  if (!x.observed_number) return "";
  if (x.type == "posting_frequency") return "posts/week";
  if (x.type == "response_time") return "hours";
  if (x.type == "active_since") return x.claimed_number ? "year" : "years";
  return "";
}

std::string_view verdict_id(Verdict v) {
  switch (v) {
    case Verdict::kConsistent:
      return "consistent";
    case Verdict::kContradicted:
      return "contradicted";
    case Verdict::kNotCorroborated:
      return "not_corroborated";
    case Verdict::kUnreportedUse:
      return "unreported_use";
    case Verdict::kInsufficientCoverage:
      return "insufficient_coverage";
    case Verdict::kNotObservable:
      return "not_observable";
    case Verdict::kMissing:
      return "missing";
    case Verdict::kInvalidAnswer:
      return "invalid_answer";
  }
  return "missing";
}

bool decided(Verdict v) {
  return v == Verdict::kConsistent || v == Verdict::kContradicted ||
         v == Verdict::kNotCorroborated || v == Verdict::kUnreportedUse;
}

namespace {

using metrics::AccountData;
using metrics::Values;

std::string fmt(double v, int decimals = 2) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

std::optional<double> num(const Values& v, const char* name) { return number_of(v.at(name)); }

// One municipality's observation: its accounts' data over the reference period.
struct Municipality {
  std::string id;
  int line = 0;
  const AnswerRow* row = nullptr;
  std::vector<AccountData> data;
};

struct Context {
  const Codebook& cb;
  const CheckOptions& opt;
  metrics::Period ref;
  TimeMs survey_time = 0;  // start of fieldwork: "now" for the respondent
  TimeMs fieldwork_end = 0;
  metrics::Options mo;
  std::string window;  // "2015-01-01..2015-12-31"
};

std::vector<const AccountData*> scope_of(const Municipality& m, const Item& item) {
  std::vector<const AccountData*> out;
  for (const auto& d : m.data) {
    if (!item.platform.empty() && d.account.platform != item.platform) continue;
    if (item.category && d.account.category != category_id(*item.category)) continue;
    out.push_back(&d);
  }
  return out;
}

// Whether this installation can observe the item at all: a platform
// without a connector (Facebook today) cannot corroborate or contradict
// anything, configured accounts or not. "" when observable, else why not.
std::string unobservable_reason(const Item& item) {
  auto has_connector = [](const PlatformDescriptor& p) { return p.capabilities.connector; };
  if (!item.platform.empty()) {
    const PlatformDescriptor* p = find_platform(item.platform);
    if (p == nullptr || !has_connector(*p)) {
      return "no connector for " + item.platform + " in this installation";
    }
    return "";
  }
  if (item.category) {
    for (const PlatformDescriptor& p : platform_registry().all()) {
      if (p.category == *item.category && has_connector(p)) return "";
    }
    return "no connector for any " + std::string(category_id(*item.category)) +
           " platform in this installation";
  }
  return "";
}

bool all_unsupported(const std::vector<const AccountData*>& scope) {
  if (scope.empty()) return false;
  return std::all_of(scope.begin(), scope.end(), [](const AccountData* d) {
    return d->account.runtime.state == AccountState::kUnsupported;
  });
}

std::string accounts_text(const std::vector<const AccountData*>& scope) {
  if (scope.empty()) return "no account configured";
  std::string s = std::to_string(scope.size()) + (scope.size() == 1 ? " account (" : " accounts (");
  for (size_t i = 0; i < scope.size(); ++i) s += (i ? ", " : "") + scope[i]->account.account_key;
  return s + ")";
}

std::string evidence(const Context& c, const std::vector<const AccountData*>& scope,
                     const Values& v) {
  std::string e = accounts_text(scope);
  if (scope.empty()) return e;
  e += "; " + std::to_string(static_cast<int64_t>(num(v, "own_posts").value_or(0))) +
       " own posts " + c.window;
  if (auto pw = num(v, "posts_per_week")) e += ", " + fmt(*pw) + " per week";
  if (auto cov = num(v, "coverage")) e += "; coverage " + fmt(*cov);
  return e;
}

// Maps the raw answer; returns nullopt (with the verdict set) when it is
// missing or invalid.
std::optional<std::string> answer_code(const Context& c, const Item& item, const std::string& raw,
                                       ItemResult& r, std::vector<Problem>& problems, int line) {
  const std::string norm = fold_case(trim(raw));
  if (std::find(c.cb.missing.begin(), c.cb.missing.end(), norm) != c.cb.missing.end()) {
    r.verdict = Verdict::kMissing;
    return std::nullopt;
  }
  if (item.numeric) {
    std::string n(trim(raw));
    std::replace(n.begin(), n.end(), ',', '.');  // German decimal comma
    if (parse_double(n)) return n;
  } else if (auto it = item.labels.find(norm); it != item.labels.end()) {
    return it->second;
  }
  r.verdict = Verdict::kInvalidAnswer;
  r.claimed = std::string(trim(raw));
  std::string known;
  if (item.numeric) {
    known = item.year_answer ? "a year such as 2012" : "a number";
  } else {
    std::set<std::string> raws;
    for (const auto& [k, code] : item.labels) raws.insert(k);
    known = "known: " + join(std::vector<std::string>(raws.begin(), raws.end()), ", ");
  }
  problems.push_back({line, item.column,
                      "value '" + std::string(trim(raw)) + "' is not in the value labels of item " +
                          item.id + " (" + known + "); not guessed"});
  return std::nullopt;
}

bool claims_yes(const Item& item, const std::string& code) {
  if (code == "yes") return true;
  if (code == "no") return false;
  if (auto it = item.scale.find(code); it != item.scale.end()) return it->second >= item.threshold;
  return false;
}

int class_index(const Item& item, double value) {
  for (size_t i = 0; i < item.classes.size(); ++i) {
    if (value >= item.classes[i].low && value < item.classes[i].high) return static_cast<int>(i);
  }
  return -1;
}

int class_of_code(const Item& item, const std::string& code) {
  for (size_t i = 0; i < item.classes.size(); ++i) {
    if (item.classes[i].code == code) return static_cast<int>(i);
  }
  return -1;
}

// When the scope's accounts were first active: the earliest account creation
// date, else the earliest stored own post. Exact when it is a creation date
// or the history was backfilled completely; otherwise the true start may be
// earlier.
struct FirstActivity {
  std::optional<TimeMs> at;
  bool exact = false;
};
FirstActivity first_activity(const std::vector<const AccountData*>& scope) {
  FirstActivity first;
  for (const AccountData* d : scope) {
    std::optional<TimeMs> f = d->first_own_post;
    bool f_exact = d->account.backfill_state == BackfillState::kComplete;
    if (d->account.created_at && (!f || *d->account.created_at <= *f)) {
      f = d->account.created_at;
      f_exact = true;
    }
    if (f && (!first.at || *f < *first.at)) first = {f, f_exact};
  }
  return first;
}

// Claimed and observed use of something: agreement, a claim nothing
// corroborates, or use nobody reported.
Verdict binary_verdict(bool claimed, bool observed) {
  if (claimed) return observed ? Verdict::kConsistent : Verdict::kNotCorroborated;
  return observed ? Verdict::kUnreportedUse : Verdict::kConsistent;
}

// The binary use logic shared by uses_* and category_list items.
void judge_use(const Context& c, const Municipality& m, const Item& item, bool claim,
               ItemResult& r) {
  const auto scope = scope_of(m, item);
  const Values v = metrics::compute(scope, c.ref, c.mo);
  r.claimed = claim ? "yes" : "no";
  r.claimed_class = claim ? 1 : 0;
  r.evidence = evidence(c, scope, v);
  if (all_unsupported(scope)) {
    r.observed = "configured, not observed";
    r.verdict = Verdict::kNotObservable;
    r.evidence += "; no connector for this platform yet";
    return;
  }
  const auto own = num(v, "own_posts").value_or(0);
  const auto coverage = num(v, "coverage").value_or(0);
  bool observed = own >= 1;
  if (!observed && !scope.empty() && coverage < c.opt.min_coverage) {
    r.observed = "unknown";
    r.verdict = Verdict::kInsufficientCoverage;
    return;
  }
  r.observed = observed ? "yes" : "no";
  r.observed_class = observed ? 1 : 0;
  r.verdict = binary_verdict(claim, observed);
}

void judge_active_since(const Context& c, const Municipality& m, const Item& item,
                        const std::string& code, ItemResult& r) {
  const auto scope = scope_of(m, item);
  const auto [first, exact] = first_activity(scope);
  r.evidence = accounts_text(scope);
  if (first)
    r.evidence += "; first activity " + format_civil_date(c.opt.tz.to_local(*first).date) +
                  (exact ? "" : " (or earlier: history incomplete)");
  // No first activity known, and the accounts were not watched over the
  // reference period: nothing is known, which is not evidence of no use.
  double coverage = 0;
  if (!scope.empty()) {
    const Values v = metrics::compute(scope, c.ref, c.mo);
    coverage = num(v, "coverage").value_or(0);
  }
  const bool unknown = !first && !scope.empty() && coverage < c.opt.min_coverage;
  if (item.year_answer) {
    const double year = *parse_double(code);
    r.claimed = code;
    r.claimed_number = year;
    if (!first) {
      r.observed = unknown ? "unknown" : "none";
      r.verdict = all_unsupported(scope) ? Verdict::kNotObservable
                  : unknown              ? Verdict::kInsufficientCoverage
                                         : Verdict::kNotCorroborated;
      return;
    }
    const int fy = c.opt.tz.to_local(*first).date.year;
    r.observed = std::to_string(fy);
    r.observed_number = fy;
    if (std::abs(fy - year) <= item.tolerance_years) {
      r.verdict = exact ? Verdict::kConsistent : Verdict::kInsufficientCoverage;
    } else if (!exact && fy > year) {
      r.verdict = Verdict::kInsufficientCoverage;  // the true start may be earlier
    } else {
      r.verdict = Verdict::kContradicted;
    }
    return;
  }
  const int claimed_class = class_of_code(item, code);
  const Class& cls = item.classes[static_cast<size_t>(claimed_class)];
  r.claimed = code;
  r.claimed_class = claimed_class;
  if (!first || *first > c.survey_time) {
    r.observed = first ? "started after the survey" : unknown ? "unknown" : "none";
    r.verdict = all_unsupported(scope) ? Verdict::kNotObservable
                : unknown              ? Verdict::kInsufficientCoverage
                                       : Verdict::kNotCorroborated;
    return;
  }
  const double years = static_cast<double>(c.survey_time - *first) / (365.25 * kDayMs);
  r.observed_number = years;
  r.observed = fmt(years, 1) + " years";
  r.observed_class = class_index(item, years);
  const bool within =
      years >= cls.low - item.tolerance_years && years <= cls.high + item.tolerance_years;
  if (within) {
    r.verdict = exact ? Verdict::kConsistent : Verdict::kInsufficientCoverage;
  } else if (years > cls.high + item.tolerance_years) {
    r.verdict = Verdict::kContradicted;
    r.evidence +=
        "; observed longer than claimed (underclaim, or an account of another department)";
  } else {
    r.verdict = exact ? Verdict::kContradicted : Verdict::kInsufficientCoverage;
    if (exact)
      r.evidence +=
          "; observed shorter than claimed (overclaim, or an older account deleted or renamed)";
  }
}

void judge_frequency(const Context& c, const Municipality& m, const Item& item,
                     const std::string& code, ItemResult& r) {
  const auto scope = scope_of(m, item);
  const Values v = metrics::compute(scope, c.ref, c.mo);
  r.evidence = evidence(c, scope, v);
  r.claimed = code;
  r.claimed_class =
      item.numeric ? class_index(item, *parse_double(code)) : class_of_code(item, code);
  if (item.numeric) r.claimed_number = *parse_double(code);
  if (all_unsupported(scope)) {
    r.verdict = Verdict::kNotObservable;
    r.observed = "configured, not observed";
    return;
  }
  const double rate = scope.empty() ? 0.0 : num(v, "posts_per_week").value_or(0);
  if (!scope.empty() && num(v, "coverage").value_or(0) < c.opt.min_coverage) {
    r.verdict = Verdict::kInsufficientCoverage;
    r.observed = fmt(rate) + " posts/week (partly observed)";
    return;
  }
  r.observed_number = rate;
  r.observed_class = class_index(item, rate);
  r.observed =
      (r.observed_class >= 0 ? item.classes[static_cast<size_t>(r.observed_class)].code : "?") +
      " (" + fmt(rate) + " posts/week)";
  if (r.observed_class == r.claimed_class) {
    r.verdict = Verdict::kConsistent;
  } else if (scope.empty()) {
    // Nothing configured is nothing observed, not an observed silence: a
    // claimed rate above the lowest class is left uncorroborated, as the
    // yes/no rule does for a claimed use.
    r.verdict = Verdict::kNotCorroborated;
  } else {
    r.verdict = Verdict::kContradicted;
  }
}

void judge_responds(const Context& c, const Municipality& m, const Item& item,
                    const std::string& code, ItemResult& r) {
  const auto scope = scope_of(m, item);
  const Values v = metrics::compute(scope, c.ref, c.mo);
  const bool claim = claims_yes(item, code);
  r.claimed = code + (code == "yes" || code == "no" ? "" : claim ? " (yes)" : " (no)");
  r.claimed_class = claim ? 1 : 0;
  r.evidence = evidence(c, scope, v);
  if (all_unsupported(scope)) {
    r.verdict = Verdict::kNotObservable;
    r.observed = "configured, not observed";
    return;
  }
  if (!scope.empty() && num(v, "coverage").value_or(0) < c.opt.min_coverage) {
    r.verdict = Verdict::kInsufficientCoverage;
    r.observed = "unknown";
    return;
  }
  const auto share = num(v, "reply_share");
  const auto service = num(v, "service_level");
  const bool observed = (share && *share >= item.reply_share_threshold) ||
                        (service && *service >= item.service_level_threshold);
  // Comments that were never read are no silence: unless the replies
  // already show dialogue, a scope with unread comments has no verdict
  // (docs/metrics.md, "Comment coverage").
  if (const auto comments = num(v, "comment_coverage"); !observed && comments && *comments < 1) {
    r.verdict = Verdict::kInsufficientCoverage;
    r.observed = "unknown (comments read for " + fmt(*comments * 100, 1) + " % of the items)";
    return;
  }
  r.observed = std::string(observed ? "yes" : "no") + " (reply share " +
               (share ? fmt(*share * 100, 1) + " %" : "-") +
               (service ? ", service level " + fmt(*service * 100, 1) + " %" : "") + ")";
  r.observed_class = observed ? 1 : 0;
  // Answers may happen where muniscope cannot see them (direct messages): no
  // public replies do not contradict a "yes", they fail to corroborate it.
  r.verdict = binary_verdict(claim, observed);
}

void judge_response_time(const Context& c, const Municipality& m, const Item& item,
                         const std::string& code, ItemResult& r) {
  const auto scope = scope_of(m, item);
  const Values v = metrics::compute(scope, c.ref, c.mo);
  r.claimed = code;
  r.claimed_class = class_of_code(item, code);
  r.evidence = evidence(c, scope, v);
  const auto timed = static_cast<int>(num(v, "responses_timed").value_or(0));
  r.evidence += "; " + std::to_string(timed) + " timed replies to others";
  if (scope.empty() || all_unsupported(scope) || timed < item.min_timed_replies) {
    r.verdict = Verdict::kNotObservable;
    r.observed = timed == 0 ? "no timed replies"
                            : std::to_string(timed) + " timed replies (need " +
                                  std::to_string(item.min_timed_replies) + ")";
    return;
  }
  if (num(v, "coverage").value_or(0) < c.opt.min_coverage) {
    r.verdict = Verdict::kInsufficientCoverage;
    r.observed = "unknown";
    return;
  }
  const double median = *num(v, "response_time_median_h");
  r.observed_number = median;
  r.observed_class = class_index(item, median);
  r.observed =
      (r.observed_class >= 0 ? item.classes[static_cast<size_t>(r.observed_class)].code : "?") +
      " (median " + fmt(median, 1) + " h)";
  r.verdict = r.observed_class == r.claimed_class ? Verdict::kConsistent : Verdict::kContradicted;
}

void judge_planned(const Context& c, const Municipality& m, const Item& item,
                   const std::string& code, ItemResult& r) {
  const auto scope = scope_of(m, item);
  const bool claim = code == "yes";
  r.claimed = code;
  r.claimed_class = claim ? 1 : 0;
  const std::optional<TimeMs> first = first_activity(scope).at;
  const TimeMs horizon_end = c.fieldwork_end + item.horizon_ms;
  r.evidence = accounts_text(scope) + "; horizon until " +
               format_civil_date(c.opt.tz.to_local(horizon_end - 1).date);
  if (first) r.evidence += "; first activity " + format_civil_date(c.opt.tz.to_local(*first).date);
  const bool existed = first && *first < c.fieldwork_end;
  const bool appeared = first && !existed && *first < horizon_end;
  r.observed = existed ? "already present" : appeared ? "appeared" : "absent";
  r.observed_class = appeared ? 1 : 0;
  if (claim) {
    if (appeared) {
      r.verdict = Verdict::kConsistent;
    } else if (existed) {
      r.verdict = Verdict::kContradicted;
      r.evidence += "; the account already existed at the survey";
    } else if (c.opt.now < horizon_end) {
      r.verdict = Verdict::kInsufficientCoverage;
      r.evidence += "; the horizon is not over yet";
    } else {
      r.verdict = Verdict::kNotCorroborated;
    }
  } else {
    r.verdict = appeared ? Verdict::kUnreportedUse : Verdict::kConsistent;
  }
}

// The bottom decile of reply share and service level among the checked
// municipalities (nullopt where none had the figure): the bar for the
// dialogue-goal flag.
struct DialogueDeciles {
  std::optional<double> share_p10;
  std::optional<double> service_p10;
};

// Goals are intentions: never true or false, at most a flag. A goal of
// dialogue is flagged when the municipality's reply share and service level
// are both missing or in the bottom decile of the checked municipalities.
void judge_goal(const Context& c, const Municipality& m, const Item& item, const std::string& code,
                const DialogueDeciles& deciles, ItemResult& r) {
  const auto scope = scope_of(m, item);
  const Values v = metrics::compute(scope, c.ref, c.mo);
  const bool claim = claims_yes(item, code);
  r.claimed = code + (claim ? " (pursued)" : " (not pursued)");
  const auto share = num(v, "reply_share");
  const auto service = num(v, "service_level");
  r.observed = "reply share " + (share ? fmt(*share * 100, 1) + " %" : std::string("-"));
  r.evidence = evidence(c, scope, v);
  r.verdict = Verdict::kNotObservable;
  const bool low_share = !share || (deciles.share_p10 && *share <= *deciles.share_p10);
  const bool low_service = !service || (deciles.service_p10 && *service <= *deciles.service_p10);
  if (claim && item.goal == "dialogue" && low_share && low_service) {
    r.flag = "claims dialogue, no observable dialogue";
    r.evidence += "; reply share in the bottom decile of the checked municipalities";
  }
}

// The reference period and fieldwork as instants in the survey's zone
// (inclusive dates become half-open [start, end)), and the metric options
// every judgement uses.
Context make_context(const Codebook& cb, const CheckOptions& opt) {
  Context c{cb, opt, {}, 0, 0, {}, ""};
  c.ref.start = opt.tz.from_local(cb.reference_from);
  c.ref.end = opt.tz.from_local(civil_from_days(days_from_civil(cb.reference_to) + 1));
  c.window = format_civil_date(cb.reference_from) + ".." + format_civil_date(cb.reference_to);
  c.ref.label = c.window;
  c.survey_time = opt.tz.from_local(cb.fieldwork_from);
  c.fieldwork_end = opt.tz.from_local(civil_from_days(days_from_civil(cb.fieldwork_to) + 1));
  c.mo.tz = opt.tz;
  c.mo.now = opt.now;
  c.mo.min_coverage = opt.min_coverage;
  return c;
}

// The answers file has the id column and every item's column; otherwise
// the check cannot start (the first missing column is named).
Status check_columns(const Codebook& cb, const Answers& answers) {
  if (std::find(answers.columns.begin(), answers.columns.end(), cb.id_column) ==
      answers.columns.end()) {
    return make_error(ErrorCode::kInvalidArgument,
                      answers.file + ": no column '" + cb.id_column +
                          "' (the codebook's id_column); columns: " + join(answers.columns, ", "));
  }
  for (const Item& item : cb.items) {
    if (std::find(answers.columns.begin(), answers.columns.end(), item.column) ==
        answers.columns.end()) {
      return make_error(ErrorCode::kInvalidArgument, answers.file + ": no column '" + item.column +
                                                         "' for item " + item.id + " (" + cb.file +
                                                         ":" + std::to_string(item.line) + ")");
    }
  }
  return ok_status();
}

// The configured municipalities (by AGS and by id) and their active
// accounts, as the store has them.
struct Roster {
  std::map<std::string, std::vector<std::string>> by_ags;  // AGS -> municipality ids
  std::set<std::string> ids;
  // Duplicates (one account under two spellings) count once, as their primary.
  std::map<std::string, std::vector<StoredAccount>> accounts_of;
};

Result<Roster> load_roster(Store& store) {
  Roster roster;
  MUNI_TRY(auto municipalities, store.list_municipalities());
  for (const auto& m : municipalities) {
    roster.by_ags[m.ags].push_back(m.id);
    roster.ids.insert(m.id);
  }
  MUNI_TRY(auto accounts, store.load_accounts(false, false));
  for (auto& a : accounts) {
    if (a.active && !a.duplicate_of) roster.accounts_of[a.municipality_id].push_back(std::move(a));
  }
  return roster;
}

// The configured municipality an answers row belongs to, by AGS or id as
// the codebook says; nullopt, with a problem, when there is none or more
// than one.
std::optional<std::string> respondent_id(const Codebook& cb, const Roster& roster,
                                         const AnswerRow& row, std::vector<Problem>& problems) {
  const std::string key(trim(row.cells.at(cb.id_column)));
  if (!cb.id_is_ags) {
    if (!roster.ids.count(key)) {
      problems.push_back({row.line, cb.id_column, "municipality '" + key + "' is not configured"});
      return std::nullopt;
    }
    return key;
  }
  const auto it = roster.by_ags.find(key);
  if (it == roster.by_ags.end()) {
    problems.push_back({row.line, cb.id_column,
                        "AGS '" + key +
                            "' is not in the registry (no configured municipality has "
                            "it; an AGS from before a merger? docs/import.md)"});
    return std::nullopt;
  }
  if (it->second.size() > 1) {
    problems.push_back({row.line, cb.id_column,
                        "AGS '" + key + "' belongs to several configured municipalities (" +
                            join(it->second, ", ") + "); use id_type: id"});
    return std::nullopt;
  }
  return it->second.front();
}

// Pass 1: who is who, and what their accounts did in the reference period.
// A row of an unknown municipality, or a second row of one, is a problem
// and skipped.
Result<std::vector<Municipality>> observe_respondents(const Context& c, const Answers& answers,
                                                      Store& store, Roster& roster,
                                                      std::vector<Problem>& problems) {
  std::vector<Municipality> rows;
  std::set<std::string> seen;
  for (const AnswerRow& row : answers.rows) {
    const auto id = respondent_id(c.cb, roster, row, problems);
    if (!id) continue;
    if (!seen.insert(*id).second) {
      problems.push_back({row.line, c.cb.id_column,
                          "municipality '" + *id + "' answered twice; this row is skipped"});
      continue;
    }
    Municipality m;
    m.id = *id;
    m.line = row.line;
    m.row = &row;
    MUNI_TRY(m.data, metrics::load_account_data(store, roster.accounts_of[*id], c.opt.populations,
                                                c.opt.default_interval_ms, c.ref.start, c.ref.end));
    rows.push_back(std::move(m));
  }
  return rows;
}

// Population deciles for goal flags: the reply share and service level of
// every municipality with own posts in the reference period.
DialogueDeciles dialogue_deciles(const Context& c, const std::vector<Municipality>& rows) {
  std::vector<double> shares, services;
  for (const Municipality& m : rows) {
    std::vector<const AccountData*> all;
    for (const auto& d : m.data) all.push_back(&d);
    const Values v = metrics::compute(all, c.ref, c.mo);
    if (num(v, "own_posts").value_or(0) > 0) {
      if (auto s = num(v, "reply_share")) shares.push_back(*s);
      if (auto s = num(v, "service_level")) services.push_back(*s);
    }
  }
  return {metrics::percentile(shares, 0.1), metrics::percentile(services, 0.1)};
}

// A category list's answer: the categories listed (none: none), or the
// verdict for every category when the answer is missing or holds a value
// the labels do not map (each such value a problem).
struct ListedCategories {
  Verdict whole = Verdict::kConsistent;  // kConsistent: judge category by category
  std::set<std::string> claimed;         // category ids
};

ListedCategories read_category_list(const Context& c, const Municipality& m, const Item& item,
                                    const std::string& raw, std::vector<Problem>& problems) {
  ListedCategories listed;
  const std::string norm = fold_case(trim(raw));
  if (std::find(c.cb.missing.begin(), c.cb.missing.end(), norm) != c.cb.missing.end()) {
    listed.whole = Verdict::kMissing;
    return listed;
  }
  for (const std::string& token : split(raw, item.separator.empty() ? ';' : item.separator[0])) {
    const std::string t = fold_case(trim(token));
    if (t.empty()) continue;
    const auto it = item.labels.find(t);
    if (it == item.labels.end()) {
      problems.push_back({m.line, item.column,
                          "value '" + std::string(trim(token)) + "' in item " + item.id +
                              " is not in its value labels; not guessed"});
      listed.whole = Verdict::kInvalidAnswer;
    } else if (it->second != "none") {
      listed.claimed.insert(it->second);
    }
  }
  return listed;
}

// One result per KGSt category ("item:category"): listed means claimed,
// judged as a uses_category item would be.
void judge_category_list(const Context& c, const Municipality& m, const Item& item,
                         const std::string& raw, Report& rep) {
  ItemResult base;
  base.municipality = m.id;
  base.answers_line = m.line;
  base.type = std::string(item_type_id(item.type));
  const ListedCategories listed = read_category_list(c, m, item, raw, rep.problems);
  for (const Category cat : all_categories()) {
    ItemResult r = base;
    r.item = item.id + ":" + std::string(category_id(cat));
    if (listed.whole != Verdict::kConsistent) {
      r.verdict = listed.whole;
      if (listed.whole == Verdict::kInvalidAnswer) r.claimed = std::string(trim(raw));
    } else {
      Item scoped = item;
      scoped.category = cat;
      const bool claim = listed.claimed.count(std::string(category_id(cat))) > 0;
      const std::string unobservable = unobservable_reason(scoped);
      if (!unobservable.empty()) {
        r.claimed = claim ? "yes" : "no";
        r.observed = "not observable";
        r.verdict = Verdict::kNotObservable;
        r.evidence = unobservable;
      } else {
        judge_use(c, m, scoped, claim, r);
      }
    }
    rep.results.push_back(std::move(r));
  }
}

// A mapped answer against the observation, by the item's type.
void judge_answer(const Context& c, const Municipality& m, const Item& item,
                  const std::string& code, const DialogueDeciles& deciles, ItemResult& r) {
  switch (item.type) {
    case ItemType::kUsesSocialMedia:
    case ItemType::kUsesPlatform:
    case ItemType::kUsesCategory:
      judge_use(c, m, item, code == "yes", r);
      break;
    case ItemType::kActiveSince:
      judge_active_since(c, m, item, code, r);
      break;
    case ItemType::kPostingFrequency:
      judge_frequency(c, m, item, code, r);
      break;
    case ItemType::kRespondsToCitizens:
      judge_responds(c, m, item, code, r);
      break;
    case ItemType::kResponseTime:
      judge_response_time(c, m, item, code, r);
      break;
    case ItemType::kPlannedPlatform:
      judge_planned(c, m, item, code, r);
      break;
    case ItemType::kGoal:
      judge_goal(c, m, item, code, deciles, r);
      break;
    case ItemType::kCategoryList:  // judge_category_list
      break;
  }
}

// One item of one municipality: missing and invalid answers keep their
// verdict (answer_code); an item this installation cannot observe is not
// observable (goals are judged anyway: they are never true or false).
ItemResult judge_item(const Context& c, const Municipality& m, const Item& item,
                      const std::string& raw, const DialogueDeciles& deciles,
                      std::vector<Problem>& problems) {
  ItemResult r;
  r.municipality = m.id;
  r.answers_line = m.line;
  r.item = item.id;
  r.type = std::string(item_type_id(item.type));
  const auto code = answer_code(c, item, raw, r, problems, m.line);
  const std::string unobservable = unobservable_reason(item);
  if (code && !unobservable.empty() && item.type != ItemType::kGoal) {
    r.claimed = *code;
    r.observed = "not observable";
    r.verdict = Verdict::kNotObservable;
    r.evidence = unobservable;
  } else if (code) {
    judge_answer(c, m, item, *code, deciles, r);
  }
  return r;
}

// Pass 2: every item of every municipality, in answers-file then codebook
// order.
void judge_all(const Context& c, const std::vector<Municipality>& rows,
               const DialogueDeciles& deciles, Report& rep) {
  for (const Municipality& m : rows) {
    for (const Item& item : c.cb.items) {
      const std::string raw = m.row->cells.at(item.column);
      if (item.type == ItemType::kCategoryList) {
        judge_category_list(c, m, item, raw, rep);
      } else {
        rep.results.push_back(judge_item(c, m, item, raw, deciles, rep.problems));
      }
    }
  }
}

// Verdict counts per result item (category lists per category), in the
// order items first appear, with the codebook item each belongs to.
struct Tally {
  std::vector<std::string> order;
  std::map<std::string, ItemStatistics> stats;
  std::map<std::string, const Item*> item_of;
};

Tally tally_verdicts(const Codebook& cb, const std::vector<ItemResult>& results) {
  Tally t;
  for (const ItemResult& r : results) {
    if (!t.stats.count(r.item)) {
      t.order.push_back(r.item);
      t.stats[r.item].item = r.item;
      t.stats[r.item].type = r.type;
      for (const Item& it : cb.items) {
        if (it.id == r.item || r.item.rfind(it.id + ":", 0) == 0) t.item_of[r.item] = &it;
      }
    }
    ItemStatistics& s = t.stats[r.item];
    ++s.verdicts[std::string(verdict_id(r.verdict))];
    if (!r.flag.empty()) ++s.flags;
    if (r.verdict != Verdict::kMissing && r.verdict != Verdict::kInvalidAnswer) ++s.answered;
    if (!decided(r.verdict)) continue;
    ++s.n;
    if (r.verdict == Verdict::kConsistent) ++s.consistent;
  }
  return t;
}

// "no: why" when this installation cannot observe the item (a category
// list's result item, "item:category", for its category).
void mark_observability(const Item& item, const std::string& id, ItemStatistics& s) {
  Item scoped = item;
  if (item.type == ItemType::kCategoryList) {
    scoped.category = parse_category(id.substr(id.find(':') + 1));
  }
  const std::string why = unobservable_reason(scoped);
  if (!why.empty()) s.observable = "no: " + why;
}

// Items with classes (no/yes for binary items): the confusion matrix and
// kappa, weighted linearly for ordered classes. n, agreement and kappa are
// over the same rows: a decided row without a class on both sides (an
// account that started after the survey, for "since when") is counted
// apart, never in one statistic but not another.
void classify_agreement(const Item& item, const std::string& id,
                        const std::vector<ItemResult>& results, ItemStatistics& s) {
  const bool binary =
      item.type == ItemType::kUsesSocialMedia || item.type == ItemType::kUsesPlatform ||
      item.type == ItemType::kUsesCategory || item.type == ItemType::kCategoryList ||
      item.type == ItemType::kRespondsToCitizens || item.type == ItemType::kPlannedPlatform;
  const bool ordered = !item.classes.empty();
  if (!binary && !ordered) return;
  if (binary) {
    s.classes = {"no", "yes"};
  } else {
    for (const Class& cl : item.classes) s.classes.push_back(cl.code);
  }
  s.ordered = ordered && !binary;
  const size_t k = s.classes.size();
  s.confusion.assign(k, std::vector<double>(k, 0));
  int n = 0, consistent = 0;
  for (const ItemResult& r : results) {
    if (r.item != id || !decided(r.verdict)) continue;
    if (r.claimed_class < 0 || r.observed_class < 0) {
      ++s.unclassified;
      continue;
    }
    s.confusion[static_cast<size_t>(r.claimed_class)][static_cast<size_t>(r.observed_class)] += 1;
    ++n;
    consistent += r.verdict == Verdict::kConsistent;
  }
  s.n = n;
  s.consistent = consistent;
  s.agreement = n > 0 ? std::optional<double>(static_cast<double>(consistent) / n) : std::nullopt;
  s.kappa = kappa(s.confusion, s.ordered ? Weights::kLinear : Weights::kNone);
  if (!s.kappa) s.kappa_undefined = kappa_undefined_reason(s.confusion, s.classes);
}

// Numeric items: agreement of claimed and observed numbers over decided
// results that have both.
void numeric_agreement_of(const std::string& id, const std::vector<ItemResult>& results,
                          ItemStatistics& s) {
  std::vector<double> a, b;
  for (const ItemResult& r : results) {
    if (r.item == id && decided(r.verdict) && r.claimed_number && r.observed_number) {
      a.push_back(*r.claimed_number);
      b.push_back(*r.observed_number);
    }
  }
  s.numeric = numeric_agreement(a, b);
}

// Statistics per result item (category-list items per category), in the
// order the items first appear among the results.
std::vector<ItemStatistics> item_statistics(const Codebook& cb,
                                            const std::vector<ItemResult>& results) {
  Tally t = tally_verdicts(cb, results);
  std::vector<ItemStatistics> out;
  for (const std::string& id : t.order) {
    ItemStatistics& s = t.stats[id];
    const Item& item = *t.item_of[id];
    mark_observability(item, id, s);
    if (s.n > 0) s.agreement = static_cast<double>(s.consistent) / s.n;
    classify_agreement(item, id, results, s);
    if (item.numeric) numeric_agreement_of(id, results, s);
    out.push_back(s);
  }
  return out;
}

// Overall: municipalities with a decided item and those whose every
// decided item is consistent, and the ten most frequent mismatches
// ("item: verdict"; ties in key order).
void summarize_overall(Report& rep) {
  std::map<std::string, std::pair<int, int>> per_municipality;  // decided, consistent
  std::map<std::string, int> mismatches;
  for (const ItemResult& r : rep.results) {
    if (!decided(r.verdict)) continue;
    auto& p = per_municipality[r.municipality];
    ++p.first;
    if (r.verdict == Verdict::kConsistent) {
      ++p.second;
    } else {
      ++mismatches[r.item + ": " + std::string(verdict_id(r.verdict))];
    }
  }
  rep.municipalities_checked = static_cast<int>(per_municipality.size());
  for (const auto& [m, p] : per_municipality) rep.municipalities_consistent += p.first == p.second;
  for (const auto& [k, n] : mismatches) rep.top_mismatches.emplace_back(k, n);
  std::stable_sort(rep.top_mismatches.begin(), rep.top_mismatches.end(),
                   [](const auto& x, const auto& y) { return x.second > y.second; });
  if (rep.top_mismatches.size() > 10) rep.top_mismatches.resize(10);
}

}  // namespace

Result<Report> check(const Codebook& cb, const Answers& answers, Store& store,
                     const CheckOptions& opt) {
  Report rep;
  rep.survey = cb.name;
  const Context c = make_context(cb, opt);
  rep.reference_period = c.window;
  MUNI_TRY_STATUS(check_columns(cb, answers));
  MUNI_TRY(Roster roster, load_roster(store));
  MUNI_TRY(const std::vector<Municipality> rows,
           observe_respondents(c, answers, store, roster, rep.problems));
  judge_all(c, rows, dialogue_deciles(c, rows), rep);
  rep.items = item_statistics(cb, rep.results);
  summarize_overall(rep);
  // Problems come from two passes; report them in file order.
  std::stable_sort(rep.problems.begin(), rep.problems.end(),
                   [](const Problem& x, const Problem& y) { return x.line < y.line; });
  return rep;
}

}  // namespace muni::survey
