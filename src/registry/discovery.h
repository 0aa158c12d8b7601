// Account discovery on a municipality's official website, sans IO.
//
// SiteDiscovery is the state machine for one website: it names the next URL
// to fetch (robots.txt, the home page, then at most a few likely pages:
// social media, press, contact, imprint), reads what came back, and in the
// end turns the links it saw into proposals with evidence. The caller does
// the HTTP (src/cli/discover_command.cpp: one request at a time per host,
// redirects only within the site, the configured User-Agent).
//
// What is proposed, and what is not (docs/import.md, "Discovery"). Which
// links belong to which platform is each platform's knowledge, kept in its
// descriptor (PlatformLinks, src/core/platform.h; connectors/<id>/<id>_links.cpp):
// discovery serves every registered platform, planned ones included.
//   proposed  links to an account on a registered platform, or the site's
//             own feed or blog, when the link is marked rel="me", sits in
//             the page's header, footer or navigation, appears on two or more
//             pages of the site, stands alone by its kind (the site's own
//             feed), or is the only account of its platform on the site and
//             its name resembles the municipality's
//   refused   what the platform's links call no account (share buttons,
//             home pages, posts and videos, tracking redirects whose target
//             is not an account), accounts whose name is another
//             municipality's, and accounts that only appear in a page's
//             content beside other accounts of the same platform (a
//             Landkreis page linking its towns)
// Every refusal is kept with its reason, so a researcher can see what the
// rules left out.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/strings.h"

namespace muni::registry {

// robots.txt as RFC 9309 reads it: the group for our product token (else
// "*"), allow/disallow rules with * and $, the longest match wins, allow on
// ties.
class RobotsRules {
 public:
  static RobotsRules parse(std::string_view text, std::string_view product_token);
  static RobotsRules allow_all() { return {}; }
  static RobotsRules disallow_all();
  bool allows(std::string_view path) const;

 private:
  struct Rule {
    bool allow;
    std::string pattern;
  };
  std::vector<Rule> rules_;
};

// An account a link points to, or why the link is not one.
struct LinkVerdict {
  std::string platform;   // "" when the link is not a platform link at all
  std::string handle;     // canonical, when accepted
  std::string refused;    // non-empty: a platform link that is not an account
  std::string evidence;   // accepted on its own (a site's own feed): why
  bool tracking = false;  // the platform's tracking redirect (its target was judged)
};

struct PageLink {
  std::string url;   // absolute
  std::string text;  // link text (or its image's alt/title), for likely pages and hints
  std::vector<std::string> rels;  // rel tokens, lower-case
  std::string type;               // a <link>'s type, lower-case
  bool head = false;              // a <link> element, not an <a> or <area>
  bool rel_me = false;
  bool in_chrome = false;  // inside <header>, <footer>, <nav> or a "social"/"footer" block
  bool feed = false;       // <link rel="alternate" type="application/rss+xml|atom+xml">
};

// Classifies a link of a page by every registered platform's PlatformLinks
// (hooks first, then hosts and patterns); a platform's tracking redirect,
// or any redirect service, counts as its target. `same_site`: the link
// points into the municipality's own website.
LinkVerdict classify_link(const PageLink& link, bool same_site);
// classify_link for a bare absolute URL. `rel_me` lets any host's
// /users/name be read as a Mastodon address (a fediverse server can have
// any name).
LinkVerdict classify_account_link(std::string_view url, bool rel_me);
// Every link of an HTML page, resolved against the page's URL (and <base>).
std::vector<PageLink> scan_page(std::string_view html, std::string_view page_url);

struct DiscoveryTarget {
  std::string municipality_id;
  std::string ags;
  std::string name;     // "Tecklenburg, Stadt"
  std::string website;  // the official website
  // Names of the other municipalities in the registry, for refusing their
  // accounts (a Landkreis page linking its towns).
  const std::vector<std::string>* other_names = nullptr;
};

struct DiscoveryProposal {
  std::string platform;
  std::string handle;
  std::string page_url;  // where the link was found (the first page)
  std::string link;      // the link as found
  std::string evidence;  // "rel=me", "page footer on 3 pages", ...
};

struct DiscoveryRefusal {
  std::string page_url;
  std::string link;
  std::string reason;
};

struct DiscoveryOptions {
  std::string product_token = "muniscope";  // for robots.txt groups
  size_t max_extra_pages = 4;               // likely pages after the home page
};

class SiteDiscovery {
 public:
  SiteDiscovery(DiscoveryTarget target, DiscoveryOptions options = {});

  // The next URL to fetch, or nullopt when there is nothing more to fetch.
  std::optional<std::string> next_url();
  // The final answer for the URL last returned by next_url() (after the
  // caller followed redirects; `final_url` is where it ended up).
  void on_response(int status, std::string_view body, std::string_view final_url);
  // The request could not be made (refused redirect, no connection): noted.
  void on_failure(std::string_view reason);
  bool done() const { return stage_ == Stage::kDone; }

  // After done(): the verdicts (computed afresh on every call).
  struct Result {
    std::vector<DiscoveryProposal> proposals;
    std::vector<DiscoveryRefusal> refusals;
  };
  Result result() const;
  const std::vector<std::string>& problems() const { return problems_; }
  int pages_fetched() const { return pages_fetched_; }
  const DiscoveryTarget& target() const { return target_; }
  // The host the site lives on (after the home page's redirects).
  const std::string& site_host() const { return site_host_; }

 private:
  enum class Stage { kRobots, kHome, kPages, kDone };
  struct Seen {
    std::string platform, handle, first_page, first_link;
    std::set<std::string> pages;
    bool rel_me = false, in_chrome = false;
    std::string evidence;  // the link's kind stands alone (LinkVerdict::evidence)
  };
  void read_page(std::string_view html, std::string_view page_url, bool home);
  void plan_likely_pages(const std::vector<PageLink>& links);
  bool same_site(std::string_view url) const;
  void finish_if_empty();

  DiscoveryTarget target_;
  DiscoveryOptions options_;
  Stage stage_ = Stage::kRobots;
  std::string origin_;     // scheme://host of the website
  std::string site_host_;  // without "www."
  std::string pending_;    // the URL handed out last
  RobotsRules robots_;
  std::vector<std::string> queue_;  // likely pages still to fetch
  std::set<std::string> fetched_;
  std::vector<Seen> seen_;
  std::vector<DiscoveryRefusal> refusals_;
  std::vector<std::string> problems_;
  int pages_fetched_ = 0;
};

// "Stadt Tecklenburg" / "tecklenburg_stadt" -> "tecklenburg", folded for
// comparing account names with municipality names: lower-case ASCII, umlauts
// as ae/oe/ue, ß as ss, everything else dropped.
std::string fold_name(std::string_view text);

}  // namespace muni::registry
