#include "cli/discover_command.h"

#include <yaml-cpp/yaml.h>

#include <CLI/CLI.hpp>
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

std::string host_of(const std::string& url) {
  auto parts = parse_url(url);
  return parts ? parts->host : std::string();
}

}  // namespace

int cmd_discover(const DiscoverOptions& o) {
  ConfigLoad load = load_config(o.config_path);
  if (!load.config) {
    for (const auto& e : load.errors) std::fprintf(stderr, "error: %s\n", e.format().c_str());
    std::fprintf(stderr, "muniscope: configuration %s is invalid\n", o.config_path.c_str());
    return 2;
  }
  const Config& config = *load.config;
  if (auto why = placeholder_contact(config.defaults);
      why && !config.defaults.allow_private_addresses) {
    std::fprintf(stderr,
                 "muniscope: defaults.contact: %s; not fetching any website. Set your own address "
                 "(or MUNISCOPE_CONTACT=mailto:you@your.institution)\n",
                 why->c_str());
    return 2;
  }
  if (!o.all && o.municipalities.empty()) {
    std::fprintf(stderr, "muniscope: discover needs --municipality ID or --all\n");
    return 2;
  }
  auto format = parse_output_format(o.format);
  if (!format.ok()) {
    std::fprintf(stderr, "muniscope: %s\n", format.error().message.c_str());
    return 2;
  }

  std::vector<const MunicipalityConfig*> selected;
  int without_website = 0;
  if (o.all) {
    for (const MunicipalityConfig& m : config.municipalities) {
      if (m.website.empty()) {
        ++without_website;
      } else {
        selected.push_back(&m);
      }
    }
  } else {
    for (const std::string& id : o.municipalities) {
      const MunicipalityConfig* found = nullptr;
      for (const MunicipalityConfig& m : config.municipalities) {
        if (m.id == id) found = &m;
      }
      if (found == nullptr) {
        std::fprintf(stderr, "muniscope: no municipality '%s' in %s\n", id.c_str(),
                     o.config_path.c_str());
        return 2;
      }
      if (found->website.empty()) {
        std::fprintf(stderr,
                     "muniscope: municipality '%s' has no `website` (set it, or import it from "
                     "Wikidata P856: docs/import.md)\n",
                     id.c_str());
        return 2;
      }
      selected.push_back(found);
    }
  }

  std::vector<std::string> names;
  names.reserve(config.municipalities.size());
  for (const MunicipalityConfig& m : config.municipalities) names.push_back(m.name);

  std::vector<Site> sites;
  sites.reserve(selected.size());
  // Other municipalities' names, for refusing their accounts; a site's own
  // name is checked first, so sharing one list is safe.
  for (const MunicipalityConfig* m : selected) {
    Site s;
    s.municipality = m;
    s.discovery = std::make_unique<registry::SiteDiscovery>(
        registry::DiscoveryTarget{m->id, m->ags, m->name, m->website, &names});
    sites.push_back(std::move(s));
  }

  SystemClock clock;
  CurlTransport transport(transport_options(config));
  ProgressLine progress(clock, stderr, "discover", "sites", static_cast<int64_t>(sites.size()));
  std::map<std::string, TimeMs> host_free_at;  // politeness: next request to a host
  std::set<std::string> host_busy;             // one request at a time per host
  const DurationMs delay_ms = static_cast<DurationMs>(o.delay_s * 1000);
  size_t next_site = 0, active = 0, finished = 0;
  std::vector<size_t> active_sites;
  std::map<uint64_t, size_t> by_tag;
  uint64_t next_tag = 1;
  int unreadable = 0;

  auto finish_site = [&](size_t i) {
    Site& s = sites[i];
    s.finished = true;
    ++finished;
    --active;
    const auto r = s.discovery->result();
    if (!s.discovery->problems().empty() && s.discovery->pages_fetched() == 0) ++unreadable;
    if (!progress.active()) {
      std::fprintf(stderr, "discover %s: %d pages, %zu proposed, %zu refused%s%s\n",
                   s.municipality->id.c_str(), s.discovery->pages_fetched(), r.proposals.size(),
                   r.refusals.size(), s.discovery->problems().empty() ? "" : "; ",
                   s.discovery->problems().empty()
                       ? ""
                       : printable(s.discovery->problems().front(), 200).c_str());
    }
  };

  while (finished < sites.size()) {
    // Open more sites up to --parallel.
    while (active < static_cast<size_t>(o.parallel) && next_site < sites.size()) {
      active_sites.push_back(next_site++);
      ++active;
    }
    const TimeMs now = clock.monotonic();  // politeness delays are elapsed time
    std::string waiting;
    for (size_t i : active_sites) {
      Site& s = sites[i];
      if (s.finished || s.in_flight) continue;
      if (s.url.empty()) {
        auto url = s.discovery->next_url();
        if (!url) {
          finish_site(i);
          continue;
        }
        s.url = *url;
        s.redirects = 0;
        s.home_request = *url == s.discovery->target().website;
      }
      const std::string host = host_of(s.url);
      if (host_busy.count(host)) continue;
      auto free_at = host_free_at.find(host);
      if (free_at != host_free_at.end() && free_at->second > now) {
        waiting = "pausing between requests to " + host;
        continue;
      }
      HttpRequest request;
      request.url = s.url;
      request.headers.push_back({"Accept", "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5"});
      const uint64_t tag = next_tag++;
      by_tag[tag] = i;
      host_busy.insert(host);
      s.in_flight = true;
      transport.start(tag, request);
    }
    active_sites.erase(std::remove_if(active_sites.begin(), active_sites.end(),
                                      [&](size_t i) { return sites[i].finished; }),
                       active_sites.end());
    progress.update(static_cast<int64_t>(finished), waiting);
    if (finished == sites.size()) break;

    for (auto& done : transport.poll(100)) {
      auto it = by_tag.find(done.tag);
      if (it == by_tag.end()) continue;
      Site& s = sites[it->second];
      by_tag.erase(it);
      const std::string host = host_of(s.url);
      host_busy.erase(host);
      host_free_at[host] = clock.monotonic() + delay_ms;
      s.in_flight = false;
      const HttpResponse& r = done.response;
      if (r.status == 0) {
        s.discovery->on_failure(r.refused ? "address refused (" + r.transport_error + ")"
                                          : r.transport_error);
        s.url.clear();
        continue;
      }
      if (is_redirect_status(r.status)) {
        auto location = r.header("Location");
        auto target = location ? resolve_redirect(s.url, *location) : std::nullopt;
        std::optional<std::string> refusal;
        if (!target) {
          refusal = "redirect without a usable Location";
        } else if (++s.redirects > kMaxRedirects) {
          refusal = "more than " + std::to_string(kMaxRedirects) + " redirects";
        } else if (s.home_request && s.redirects == 1) {
          // The home page may move to another host once (stadt-x.de ->
          // www.x.de), but never from https to http.
          if (starts_with(s.url, "https://") && starts_with(*target, "http://")) {
            refusal = "redirect from https to http";
          }
        } else {
          refusal = redirect_refusal(s.url, *target, {});
        }
        if (refusal) {
          s.discovery->on_failure("not followed: " + *refusal);
          s.url.clear();
        } else {
          s.url = *target;
        }
        continue;
      }
      s.discovery->on_response(r.status, r.body, r.url.empty() ? s.url : r.url);
      s.url.clear();
    }
  }
  progress.clear();

  // Results.
  Table proposals({{"municipality"}, {"platform"}, {"handle"}, {"evidence"}, {"page"}, {"link"}});
  Table refused({{"municipality"}, {"link"}, {"reason"}, {"page"}});
  Table problems({{"municipality"}, {"problem"}});
  std::vector<registry::AccountProposal> merge;
  YAML::Emitter yaml;
  yaml << YAML::BeginMap << YAML::Key << "proposals" << YAML::Value << YAML::BeginSeq;
  size_t proposal_count = 0;
  for (const Site& s : sites) {
    const auto r = s.discovery->result();
    const MunicipalityConfig& m = *s.municipality;
    for (const auto& p : r.proposals) {
      ++proposal_count;
      proposals.add_row({m.id, p.platform, p.handle, p.evidence, p.page_url, p.link});
      yaml << YAML::BeginMap << YAML::Key << "municipality" << YAML::Value << m.id;
      yaml << YAML::Key << "ags" << YAML::Value << YAML::DoubleQuoted << m.ags;
      yaml << YAML::Key << "platform" << YAML::Value << p.platform;
      yaml << YAML::Key << "handle" << YAML::Value << YAML::DoubleQuoted << p.handle;
      yaml << YAML::Key << "status" << YAML::Value << "proposed";
      yaml << YAML::Key << "source" << YAML::Value << YAML::DoubleQuoted << p.page_url;
      yaml << YAML::Key << "evidence" << YAML::Value << YAML::DoubleQuoted
           << (p.evidence + ": " + p.link);
      yaml << YAML::EndMap;
      registry::AccountProposal a;
      a.ags = m.ags;
      a.platform = p.platform;
      a.handle = p.handle;
      a.source = p.page_url;
      a.evidence = p.evidence + ": " + p.link;
      a.proposed = true;
      merge.push_back(std::move(a));
    }
    for (const auto& f : r.refusals) refused.add_row({m.id, f.link, f.reason, f.page_url});
    for (const std::string& p : s.discovery->problems()) problems.add_row({m.id, p});
  }
  yaml << YAML::EndSeq << YAML::EndMap;

  write_stdout(proposals.render(*format));
  if (o.show_refused && refused.size() > 0) {
    if (*format == OutputFormat::kTable) std::fputs("\nNot proposed:\n", stdout);
    write_stdout(refused.render(*format));
  }
  if (problems.size() > 0) {
    std::fputs("\nProblems:\n", stderr);
    std::fputs(problems.render_table().c_str(), stderr);
  }
  std::fprintf(stderr, "%zu sites, %zu proposals, %zu links not proposed%s", sites.size(),
               proposal_count, refused.size(), o.show_refused ? "\n" : " (--refused lists them)\n");
  if (without_website > 0) {
    std::fprintf(stderr, "%d municipalities have no website and were skipped\n", without_website);
  }

  int rc = unreadable > 0 ? 1 : 0;
  if (!o.write_file.empty()) {
    std::ofstream out(o.write_file, std::ios::trunc);
    out << "# muniscope discover, " << format_iso8601(clock.now())
        << ": accounts found on official websites.\n"
        << "# Proposals only: review each, then add it to the municipality with\n"
        << "# `status: confirmed` (or `muniscope discover ... --registry DIR`).\n"
        << yaml.c_str() << "\n";
    if (!out) {
      std::fprintf(stderr, "muniscope: cannot write %s\n", o.write_file.c_str());
      rc = 1;
    } else {
      std::fprintf(stderr, "proposals written to %s\n", o.write_file.c_str());
    }
  }
  if (!o.registry_dir.empty() && !merge.empty()) {
    auto report = registry::merge_accounts(o.registry_dir, merge);
    if (!report.ok()) {
      std::fprintf(stderr, "muniscope: %s\n", report.error().message.c_str());
      return 1;
    }
    std::fprintf(stderr, "registry: %lld added as proposed, %lld already there\n",
                 static_cast<long long>(report->added),
                 static_cast<long long>(report->already_there));
    for (const std::string& ags : report->no_entry) {
      std::fprintf(stderr, "registry: no entry for AGS %s\n", ags.c_str());
    }
  }
  return rc;
}

}  // namespace muni
