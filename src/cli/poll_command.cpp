#include "cli/poll_command.h"

#include <cstdio>
#include <map>
#include <memory>

#include "cli/output.h"
#include "cli/progress.h"
#include "core/clock.h"

namespace muni {

namespace {

// What was done, and what failed by kind.
Table summary_table(const PollOnceReport& r) {
  const EngineCounters& c = r.counters;
  std::map<std::string, int64_t> by_outcome;
  for (const auto& [key, n] : c.polls) by_outcome[key.second] += n;
  Table table({{"item"}, {"value"}});
  table.add_row({std::string("accounts selected"), r.accounts_selected});
  if (r.accounts_unsupported > 0)
    table.add_row({std::string("accounts without connector"), r.accounts_unsupported});
  table.add_row({std::string("requests"), c.requests});
  table.add_row({std::string("posts new"), c.posts_new});
  table.add_row({std::string("posts updated"), c.posts_updated});
  table.add_row({std::string("posts deleted"), c.posts_deleted});
  if (c.items_skipped > 0) table.add_row({std::string("items skipped"), c.items_skipped});
  if (c.redirects_refused > 0)
    table.add_row({std::string("redirects refused"), c.redirects_refused});
  if (c.units_stopped > 0)
    table.add_row({std::string("units of work stopped by the per-unit guard"), c.units_stopped});
  // Waits are part of what happened: a long silent pause is a rate limit.
  if (c.rate_limit_waits > 0)
    table.add_row(
        {std::string("rate-limit waits (429/503 answers and held requests)"), c.rate_limit_waits});
  if (c.quota_waits > 0) table.add_row({std::string("quota waits"), c.quota_waits});
  for (const auto& [outcome, n] : by_outcome) table.add_row({"units of work " + outcome, n});
  if (!r.not_ok.empty())
    table.add_row({std::string("accounts not ok"), static_cast<int64_t>(r.not_ok.size())});
  return table;
}

}  // namespace

int cmd_poll_once(const PollOnceOptions& options) {
  // On a terminal, one line rewritten in place; in the journal nothing here
  // (the engine logs one line per unit of work).
  SystemClock clock;
  std::unique_ptr<ProgressLine> progress;
  const PollOnceReport report = run_poll_once(options, [&](const PollOnceProgress& p) {
    if (!progress) progress = std::make_unique<ProgressLine>(clock, stderr, "poll", "accounts", p.total);
    if (progress->active()) progress->update(p.done, p.waiting);
  });
  if (progress) progress->clear();
  if (!report.ran) return report.exit_code;
  write_stdout(summary_table(report).render_table());
  if (!report.not_ok.empty()) {
    Table errors({{"account"}, {"state"}, {"reason"}});
    for (const PollOnceReport::NotOk& n : report.not_ok)
      errors.add_row({n.account, n.state, n.reason});
    std::puts("");
    write_stdout(errors.render_table());
  }
  return report.exit_code;
}

}  // namespace muni
