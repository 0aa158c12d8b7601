#include "cli/discover_command.h"

#include <yaml-cpp/yaml.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <set>

#include "cli/output.h"
#include "cli/progress.h"
#include "config/config.h"
#include "core/clock.h"
#include "core/text_safety.h"
#include "core/time_util.h"
#include "engine/curl_transport.h"
#include "engine/net_policy.h"
#include "registry/discovery.h"
#include "registry/registry_yaml.h"

namespace muni {

void add_discover_options(CLI::App& cmd, DiscoverOptions& o) {
  cmd.add_option("-m,--municipality", o.municipalities,
                 "Municipality id to look at (repeatable); see also --all");
  cmd.add_flag("--all", o.all, "Every configured municipality with a website");
  cmd.add_option("--write", o.write_file,
                 "Write the proposals as YAML (status: proposed) to this file for review");
  cmd.add_option("-r,--registry", o.registry_dir,
                 "Add the proposals, marked `status: proposed`, to the registry files in this "
                 "directory (written by `import gv`)");
  cmd.add_flag("--refused", o.show_refused, "Also list the links that were not proposed, and why");
  cmd.add_option("--parallel", o.parallel, "Websites fetched at the same time (default 8)")
      ->check(CLI::Range(1, 64));
  cmd.add_option("--delay", o.delay_s, "Seconds between two requests to the same host (default 1)")
      ->check(CLI::Range(0.0, 60.0));
  add_format_option(cmd, o.format);
  cmd.footer(
      "Fetches each municipality's official website (the `website` key, from the registry or "
      "Wikidata P856): robots.txt, the home page and up to four likely pages (social media, "
      "press, contact, imprint), and proposes the accounts it links to, with the page and the "
      "link as evidence. Share buttons, platform home pages, posts, tracking redirects and "
      "other bodies' accounts are not proposed (--refused lists them). Proposed accounts are "
      "never polled until you change `status: proposed` to `confirmed` or remove the key "
      "(docs/import.md). Exit status 0 when every site was read, 1 when some could not be, 2 "
      "for bad arguments or configuration.");
}

namespace {

// Prints "muniscope: MESSAGE" and gives the exit status for bad arguments or
// configuration.
int usage_error(const std::string& message) {
  std::fprintf(stderr, "muniscope: %s\n", message.c_str());
  return 2;
}

// What must hold before any website is asked: a valid configuration, a
// contact address of one's own (a site's operator must be able to reach
// whoever fetches it; placeholders are refused unless private addresses are
// allowed, i.e. in tests), and a selection. Exit status 2 with the reason
// printed, or nothing when discovery may go ahead.
std::optional<int> refuse_before_fetching(const ConfigLoad& load, const DiscoverOptions& o) {
  if (!load.config) {
    for (const auto& e : load.errors) std::fprintf(stderr, "error: %s\n", e.format().c_str());
    return usage_error("configuration " + o.config_path + " is invalid");
  }
  const Config& config = *load.config;
  if (auto why = placeholder_contact(config.defaults);
      why && !config.defaults.allow_private_addresses) {
    return usage_error("defaults.contact: " + *why +
                       "; not fetching any website. Set your own address "
                       "(or MUNISCOPE_CONTACT=mailto:you@your.institution)");
  }
  if (!o.all && o.municipalities.empty()) {
    return usage_error("discover needs --municipality ID or --all");
  }
  return std::nullopt;
}

// The municipalities whose websites are read, in the order asked for.
struct Selection {
  std::vector<const MunicipalityConfig*> municipalities;
  int without_website = 0;  // skipped by --all (reported, not an error)
};

// --all takes every municipality with a website and counts the others;
// --municipality names each one, and a name that is unknown or has no
// website is an error (nullopt, reason printed): asked-for work that cannot
// be done must not pass silently.
std::optional<Selection> select_municipalities(const Config& config, const DiscoverOptions& o) {
  Selection selection;
  if (o.all) {
    for (const MunicipalityConfig& m : config.municipalities) {
      if (m.website.empty()) {
        ++selection.without_website;
      } else {
        selection.municipalities.push_back(&m);
      }
    }
    return selection;
  }
  for (const std::string& id : o.municipalities) {
    const MunicipalityConfig* found = nullptr;
    for (const MunicipalityConfig& m : config.municipalities) {
      if (m.id == id) found = &m;
    }
    if (found == nullptr) {
      usage_error("no municipality '" + id + "' in " + o.config_path);
      return std::nullopt;
    }
    if (found->website.empty()) {
      usage_error("municipality '" + id +
                  "' has no `website` (set it, or import it from Wikidata P856: docs/import.md)");
      return std::nullopt;
    }
    selection.municipalities.push_back(found);
  }
  return selection;
}

// One website being read.
struct Site {
  std::unique_ptr<registry::SiteDiscovery> discovery;
  const MunicipalityConfig* municipality = nullptr;
  std::string url;  // the request in flight (or next)
  int redirects = 0;
  bool in_flight = false;
  bool home_request = false;
  bool finished = false;
};

// Every configured municipality's name, for refusing other municipalities'
// accounts; a site's own name is checked first, so all sites share one list.
std::vector<std::string> municipality_names(const Config& config) {
  std::vector<std::string> names;
  names.reserve(config.municipalities.size());
  for (const MunicipalityConfig& m : config.municipalities) names.push_back(m.name);
  return names;
}

// One discovery per selected municipality. `names` must outlive the sites:
// their targets point at it.
std::vector<Site> open_sites(const Selection& selection, const std::vector<std::string>& names) {
  std::vector<Site> sites;
  sites.reserve(selection.municipalities.size());
  for (const MunicipalityConfig* m : selection.municipalities) {
    Site s;
    s.municipality = m;
    s.discovery = std::make_unique<registry::SiteDiscovery>(
        registry::DiscoveryTarget{m->id, m->ags, m->name, m->website, &names});
    sites.push_back(std::move(s));
  }
  return sites;
}

std::string host_of(const std::string& url) {
  auto parts = parse_url(url);
  return parts ? parts->host : std::string();
}

// Why a redirect from the site's current URL to `target` is not followed,
// or nothing when it is (counting it). The home page may move to another
// host once (stadt-x.de -> www.x.de), but never from https to http; every
// other redirect must pass the engine's policy (within the site).
std::optional<std::string> redirect_refusal_for(Site& s, const std::optional<std::string>& target) {
  if (!target) return "redirect without a usable Location";
  if (++s.redirects > kMaxRedirects) {
    return "more than " + std::to_string(kMaxRedirects) + " redirects";
  }
  if (s.home_request && s.redirects == 1) {
    if (starts_with(s.url, "https://") && starts_with(*target, "http://")) {
      return "redirect from https to http";
    }
    return std::nullopt;
  }
  return redirect_refusal(s.url, *target, {});
}

// The polite fetch loop: up to --parallel sites open at once, one request at
// a time per host with --delay between two (elapsed time, so a stepped wall
// clock changes nothing), redirects followed here so each hop is checked.
// Each site's SiteDiscovery says what to fetch next and reads the answers.
class PoliteCrawl {
 public:
  PoliteCrawl(const Config& config, const DiscoverOptions& o, const Clock& clock,
              std::vector<Site>& sites)
      : clock_(clock),
        sites_(sites),
        parallel_(static_cast<size_t>(o.parallel)),
        delay_ms_(static_cast<DurationMs>(o.delay_s * 1000)),
        transport_(transport_options(config)),
        progress_(clock, stderr, "discover", "sites", static_cast<int64_t>(sites.size())) {}

  // Reads every site to its end. Returns how many could not be read at all
  // (problems and not a single page).
  int run() {
    while (finished_ < sites_.size()) {
      open_more_sites();
      const std::string waiting = start_requests();
      progress_.update(static_cast<int64_t>(finished_), waiting);
      if (finished_ == sites_.size()) break;
      for (auto& done : transport_.poll(100)) on_completion(done);
    }
    progress_.clear();
    return unreadable_;
  }

 private:
  // Opens sites in order until --parallel are being read.
  void open_more_sites() {
    while (active_ < parallel_ && next_site_ < sites_.size()) {
      active_sites_.push_back(next_site_++);
      ++active_;
    }
  }

  // Starts the next request of every open site whose host is neither busy
  // nor resting, and finishes the sites with nothing more to fetch. Returns
  // what the crawl waits for, for the progress line (empty: nothing).
  std::string start_requests() {
    const TimeMs now = clock_.monotonic();  // politeness delays are elapsed time
    std::string waiting;
    for (size_t i : active_sites_) {
      Site& s = sites_[i];
      if (s.finished || s.in_flight) continue;
      if (s.url.empty() && !take_next_url(i)) continue;
      const std::string host = host_of(s.url);
      if (host_busy_.count(host)) continue;
      auto free_at = host_free_at_.find(host);
      if (free_at != host_free_at_.end() && free_at->second > now) {
        waiting = "pausing between requests to " + host;
        continue;
      }
      send(i, host);
    }
    active_sites_.erase(std::remove_if(active_sites_.begin(), active_sites_.end(),
                                       [&](size_t i) { return sites_[i].finished; }),
                        active_sites_.end());
    return waiting;
  }

  // Asks site `i` for its next URL; false (and the site finished) when it
  // has none.
  bool take_next_url(size_t i) {
    Site& s = sites_[i];
    auto url = s.discovery->next_url();
    if (!url) {
      finish_site(i);
      return false;
    }
    s.url = *url;
    s.redirects = 0;
    s.home_request = *url == s.discovery->target().website;
    return true;
  }

  void send(size_t i, const std::string& host) {
    Site& s = sites_[i];
    HttpRequest request;
    request.url = s.url;
    request.headers.push_back({"Accept", "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5"});
    const uint64_t tag = next_tag_++;
    by_tag_[tag] = i;
    host_busy_.insert(host);
    s.in_flight = true;
    transport_.start(tag, request);
  }

  // An answer arrived: the host rests for --delay; a failure is noted, a
  // redirect followed (or refused), anything else read by the discovery.
  void on_completion(const HttpTransport::Completion& done) {
    auto it = by_tag_.find(done.tag);
    if (it == by_tag_.end()) return;
    Site& s = sites_[it->second];
    by_tag_.erase(it);
    const std::string host = host_of(s.url);
    host_busy_.erase(host);
    host_free_at_[host] = clock_.monotonic() + delay_ms_;
    s.in_flight = false;
    const HttpResponse& r = done.response;
    if (r.status == 0) {
      s.discovery->on_failure(r.refused ? "address refused (" + r.transport_error + ")"
                                        : r.transport_error);
      s.url.clear();
      return;
    }
    if (is_redirect_status(r.status)) {
      follow_redirect(s, r);
      return;
    }
    s.discovery->on_response(r.status, r.body, r.url.empty() ? s.url : r.url);
    s.url.clear();
  }

  // The next request of the site goes to the redirect's target, or the
  // refusal is noted and the site moves on.
  void follow_redirect(Site& s, const HttpResponse& r) {
    auto location = r.header("Location");
    auto target = location ? resolve_redirect(s.url, *location) : std::nullopt;
    if (auto refusal = redirect_refusal_for(s, target)) {
      s.discovery->on_failure("not followed: " + *refusal);
      s.url.clear();
    } else {
      s.url = *target;
    }
  }

  // Without a progress line, one plain line per site (the journal keeps it).
  void finish_site(size_t i) {
    Site& s = sites_[i];
    s.finished = true;
    ++finished_;
    --active_;
    const auto r = s.discovery->result();
    if (!s.discovery->problems().empty() && s.discovery->pages_fetched() == 0) ++unreadable_;
    if (!progress_.active()) {
      std::fprintf(stderr, "discover %s: %d pages, %zu proposed, %zu refused%s%s\n",
                   s.municipality->id.c_str(), s.discovery->pages_fetched(), r.proposals.size(),
                   r.refusals.size(), s.discovery->problems().empty() ? "" : "; ",
                   s.discovery->problems().empty()
                       ? ""
                       : printable(s.discovery->problems().front(), 200).c_str());
    }
  }

  const Clock& clock_;
  std::vector<Site>& sites_;
  const size_t parallel_;
  const DurationMs delay_ms_;
  CurlTransport transport_;
  ProgressLine progress_;
  std::map<std::string, TimeMs> host_free_at_;  // politeness: next request to a host
  std::set<std::string> host_busy_;             // one request at a time per host
  size_t next_site_ = 0, active_ = 0, finished_ = 0;
  std::vector<size_t> active_sites_;
  std::map<uint64_t, size_t> by_tag_;
  uint64_t next_tag_ = 1;
  int unreadable_ = 0;
};

// What the sites gave, in each form it leaves in: tables for the terminal,
// YAML for --write, account proposals for --registry.
struct DiscoveryResults {
  Table proposals{{{"municipality"}, {"platform"}, {"handle"}, {"evidence"}, {"page"}, {"link"}}};
  Table refused{{{"municipality"}, {"link"}, {"reason"}, {"page"}}};
  Table problems{{{"municipality"}, {"problem"}}};
  std::vector<registry::AccountProposal> merge;
  std::string yaml;
  size_t proposal_count = 0;
};

// One proposal as a YAML entry marked `status: proposed`, with its page and
// link as evidence, so a reviewer can check it before confirming.
void emit_proposal(YAML::Emitter& yaml, const MunicipalityConfig& m,
                   const registry::DiscoveryProposal& p) {
  yaml << YAML::BeginMap << YAML::Key << "municipality" << YAML::Value << m.id;
  yaml << YAML::Key << "ags" << YAML::Value << YAML::DoubleQuoted << m.ags;
  yaml << YAML::Key << "platform" << YAML::Value << p.platform;
  yaml << YAML::Key << "handle" << YAML::Value << YAML::DoubleQuoted << p.handle;
  yaml << YAML::Key << "status" << YAML::Value << "proposed";
  yaml << YAML::Key << "source" << YAML::Value << YAML::DoubleQuoted << p.page_url;
  yaml << YAML::Key << "evidence" << YAML::Value << YAML::DoubleQuoted
       << (p.evidence + ": " + p.link);
  yaml << YAML::EndMap;
}

// Every site's verdicts, in the order of the sites.
DiscoveryResults collect_results(const std::vector<Site>& sites) {
  DiscoveryResults out;
  YAML::Emitter yaml;
  yaml << YAML::BeginMap << YAML::Key << "proposals" << YAML::Value << YAML::BeginSeq;
  for (const Site& s : sites) {
    const auto r = s.discovery->result();
    const MunicipalityConfig& m = *s.municipality;
    for (const auto& p : r.proposals) {
      ++out.proposal_count;
      out.proposals.add_row({m.id, p.platform, p.handle, p.evidence, p.page_url, p.link});
      emit_proposal(yaml, m, p);
      registry::AccountProposal a;
      a.ags = m.ags;
      a.platform = p.platform;
      a.handle = p.handle;
      a.source = p.page_url;
      a.evidence = p.evidence + ": " + p.link;
      a.proposed = true;
      out.merge.push_back(std::move(a));
    }
    for (const auto& f : r.refusals) out.refused.add_row({m.id, f.link, f.reason, f.page_url});
    for (const std::string& p : s.discovery->problems()) out.problems.add_row({m.id, p});
  }
  yaml << YAML::EndSeq << YAML::EndMap;
  out.yaml = yaml.c_str();
  return out;
}

// The proposals (and with --refused the refusals) on standard output in the
// chosen format; problems and the counts on standard error, so the output
// stays machine-readable.
void print_results(const DiscoveryResults& r, const DiscoverOptions& o, OutputFormat format,
                   size_t site_count, int without_website) {
  write_stdout(r.proposals.render(format));
  if (o.show_refused && r.refused.size() > 0) {
    if (format == OutputFormat::kTable) std::fputs("\nNot proposed:\n", stdout);
    write_stdout(r.refused.render(format));
  }
  if (r.problems.size() > 0) {
    std::fputs("\nProblems:\n", stderr);
    std::fputs(r.problems.render_table().c_str(), stderr);
  }
  std::fprintf(stderr, "%zu sites, %zu proposals, %zu links not proposed%s", site_count,
               r.proposal_count, r.refused.size(),
               o.show_refused ? "\n" : " (--refused lists them)\n");
  if (without_website > 0) {
    std::fprintf(stderr, "%d municipalities have no website and were skipped\n", without_website);
  }
}

// --write: the proposals as YAML under a header saying what they are and
// how to confirm them. False (reason printed) when the file cannot be
// written.
bool write_proposals_file(const std::string& path, const std::string& yaml, TimeMs now) {
  std::ofstream out(path, std::ios::trunc);
  out << "# muniscope discover, " << format_iso8601(now)
      << ": accounts found on official websites.\n"
      << "# Proposals only: review each, then add it to the municipality with\n"
      << "# `status: confirmed` (or `muniscope discover ... --registry DIR`).\n"
      << yaml << "\n";
  if (!out) {
    std::fprintf(stderr, "muniscope: cannot write %s\n", path.c_str());
    return false;
  }
  std::fprintf(stderr, "proposals written to %s\n", path.c_str());
  return true;
}

// --registry: the proposals added to the registry files, marked proposed.
// False (reason printed) when the files cannot be read or written.
bool merge_into_registry(const std::string& dir,
                         const std::vector<registry::AccountProposal>& merge) {
  auto report = registry::merge_accounts(dir, merge);
  if (!report.ok()) {
    std::fprintf(stderr, "muniscope: %s\n", report.error().message.c_str());
    return false;
  }
  std::fprintf(stderr, "registry: %lld added as proposed, %lld already there\n",
               static_cast<long long>(report->added),
               static_cast<long long>(report->already_there));
  for (const std::string& ags : report->no_entry) {
    std::fprintf(stderr, "registry: no entry for AGS %s\n", ags.c_str());
  }
  return true;
}

}  // namespace

// Check, select, crawl politely, then present and write what was found.
// Exit status 1 when some site could not be read or a file not written.
int cmd_discover(const DiscoverOptions& o) {
  ConfigLoad load = load_config(o.config_path);
  if (auto rc = refuse_before_fetching(load, o)) return *rc;
  const Config& config = *load.config;
  auto format = parse_output_format(o.format);
  if (!format.ok()) return usage_error(format.error().message);
  const auto selection = select_municipalities(config, o);
  if (!selection) return 2;

  const std::vector<std::string> names = municipality_names(config);
  std::vector<Site> sites = open_sites(*selection, names);
  SystemClock clock;
  const int unreadable = PoliteCrawl(config, o, clock, sites).run();

  const DiscoveryResults results = collect_results(sites);
  print_results(results, o, *format, sites.size(), selection->without_website);
  int rc = unreadable > 0 ? 1 : 0;
  if (!o.write_file.empty() && !write_proposals_file(o.write_file, results.yaml, clock.now())) {
    rc = 1;
  }
  if (!o.registry_dir.empty() && !results.merge.empty() &&
      !merge_into_registry(o.registry_dir, results.merge)) {
    return 1;
  }
  return rc;
}

}  // namespace muni
