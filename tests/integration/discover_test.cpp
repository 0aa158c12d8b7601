// `muniscope discover` (the real binary) against a loopback municipal
// website: robots.txt first, one request at a time per host, the configured
// User-Agent, redirects only within the site, proposals with evidence, the
// traps refused; --write and --registry give accounts marked proposed that
// check-config counts and polling leaves alone.
#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <mutex>

#include "core/strings.h"
#include "loopback_server.h"
#include "test_support.h"

using namespace muni;
using namespace muni::test;

namespace {

struct Site {
  std::mutex mu;
  std::vector<std::string> paths;
  std::vector<std::string> agents;

  HttpResponse handle(const HttpRequest& r) {
    const std::string path = r.url.substr(r.url.find('/', r.url.find("://") + 3));
    {
      std::lock_guard<std::mutex> lock(mu);
      paths.push_back(path);
      for (const HttpHeader& h : r.headers) {
        if (iequals(h.name, "User-Agent")) agents.push_back(h.value);
      }
    }
    static const std::map<std::string, std::string> kPages = {
        {"/robots.txt", "discovery/robots.txt"},
        {"/", "discovery/home.html"},
        {"/social-media/", "discovery/social-media.html"},
        {"/impressum/", "discovery/impressum.html"},
        {"/beispielhausen/", "discovery/beispielhausen.html"},
    };
    HttpResponse out;
    if (path == "/start") {  // the configured website moved to "/"
      out.status = 301;
      out.headers.push_back({"Location", "/"});
      return out;
    }
    if (path == "/presse/") {  // a press page that sends crawlers elsewhere
      out.status = 302;
      out.headers.push_back({"Location", "http://press-service.example/stadt"});
      return out;
    }
    auto it = kPages.find(path);
    if (it == kPages.end()) {
      out.status = 404;
      out.body = "not found";
      return out;
    }
    out.status = 200;
    out.headers.push_back(
        {"Content-Type", path == "/robots.txt" ? "text/plain" : "text/html; charset=utf-8"});
    out.body = read_fixture(it->second);
    return out;
  }
};

}  // namespace

TEST_CASE("discover: a loopback municipal website, politely, with proposals and refusals") {
  Site site;
  LoopbackServer server([&](const HttpRequest& r) { return site.handle(r); });
  const std::string base = server.base_url();
  TempDir dir;
  write_file(
      dir.file("registry/09-bayern.yaml"),
      "municipalities:\n"
      "  - id: musterstadt\n    name: \"Musterstadt, Stadt\"\n    ags: \"09999001\"\n"
      "    kind: Stadt\n    state: BY\n    website: \"" +
          base +
          "/start\"\n"
          "    accounts:\n      - {platform: facebook, handle: stadt.musterstadt}\n"
          "  - id: beispielhausen\n    name: Beispielhausen\n    ags: \"09999002\"\n"
          "    kind: Gemeinde\n    state: BY\n    website: \"" +
          base +
          "/beispielhausen/\"\n"
          "  - id: musterkreis\n    name: \"Musterkreis, Landkreis\"\n    ags: \"09999000\"\n"
          "    kind: Landkreis\n    state: BY\n");
  write_file(dir.file("muniscope.yaml"),
             "defaults:\n  contact: mailto:research@example.org\n  allow_private_addresses: true\n"
             "store:\n  path: " +
                 dir.file("store.db") +
                 "\n"
                 "include: registry/*.yaml\n");
  const std::string config = "--config " + dir.file("muniscope.yaml");

  SUBCASE("proposals, refusals and politeness") {
    const RunResult r = run_muniscope(config +
                                      " discover --municipality musterstadt "
                                      "--municipality beispielhausen --delay 0.05 --refused "
                                      "--format csv --write " +
                                      dir.file("proposals.yaml"));
    INFO(r.err);
    CHECK(r.exit_code == 0);
    // Own accounts, with evidence (CSV: municipality,platform,handle,...).
    for (const char* row :
         {"musterstadt,facebook,stadt.musterstadt,", "musterstadt,instagram,stadtmusterstadt,",
          "musterstadt,youtube,@stadtmusterstadt,",
          "musterstadt,mastodon,musterstadt@social.example,",
          "musterstadt,bluesky,musterstadt.bsky.social,", "musterstadt,x,musterstadt,",
          "musterstadt,telegram,@musterstadt_info,", "musterstadt,threads,musterstadt,",
          "beispielhausen,instagram,gemeinde_beispielhausen,"}) {
      CAPTURE(row);
      CHECK(r.out.find(row) != std::string::npos);
    }
    CHECK(r.out.find("musterstadt,rss," + base + "/presse/rss.xml,") != std::string::npos);
    // The traps appear only among the refusals.
    CHECK(r.out.find("share button") != std::string::npos);
    CHECK(r.out.find("another municipality (Beispielhausen)") != std::string::npos);
    CHECK(r.out.find(",facebook,gemeinde.beispielhausen,") == std::string::npos);
    CHECK(r.out.find(",instagram,stadtbibliothek_musterstadt,") == std::string::npos);
    // The press page's redirect to another host was not followed.
    CHECK(r.err.find("not followed") != std::string::npos);

    std::lock_guard<std::mutex> lock(site.mu);
    // robots.txt before anything else, the disallowed page never.
    REQUIRE(!site.paths.empty());
    CHECK(site.paths.front() == "/robots.txt");
    for (const std::string& p : site.paths) CHECK(p.find("/intern/") == std::string::npos);
    CHECK(std::count(site.paths.begin(), site.paths.end(), "/social-media/") == 1);
    CHECK(std::count(site.paths.begin(), site.paths.end(), "/impressum/") == 1);
    // One request at a time on this host, though two sites live on it.
    CHECK(server.peak_concurrency() == 1);
    for (const std::string& ua : site.agents) {
      CHECK(ua.find("mailto:research@example.org") != std::string::npos);
    }

    const std::string yaml = read_file_text(dir.file("proposals.yaml")).value_or("");
    CHECK(yaml.find("status: proposed") != std::string::npos);
    CHECK(yaml.find("handle: \"musterstadt@social.example\"") != std::string::npos);
    CHECK(yaml.find("ags: \"09999001\"") != std::string::npos);
  }

  SUBCASE("--registry adds proposals that check-config counts and polling leaves alone") {
    const RunResult r = run_muniscope(config +
                                      " discover --municipality musterstadt --delay 0 "
                                      "--registry " +
                                      dir.file("registry"));
    INFO(r.err);
    CHECK(r.exit_code == 0);
    // The Facebook page configured by hand is already there: not added again.
    CHECK(r.err.find("already there") != std::string::npos);
    const std::string registry = read_file_text(dir.file("registry/09-bayern.yaml")).value_or("");
    CHECK(registry.find("status: proposed") != std::string::npos);
    CHECK(registry.find("musterstadt@social.example") != std::string::npos);
    const RunResult check = run_muniscope("check-config " + dir.file("muniscope.yaml"));
    INFO(check.err);
    CHECK(check.exit_code == 0);
    CHECK(check.out.find("proposed") != std::string::npos);
    // Proposed accounts are not accounts yet: `accounts` lists only the confirmed one.
    const RunResult accounts = run_muniscope(config + " accounts --format csv");
    CHECK(accounts.out.find("stadt.musterstadt") != std::string::npos);
    CHECK(accounts.out.find("musterstadt@social.example") == std::string::npos);
  }

  SUBCASE("usage errors") {
    CHECK(run_muniscope(config + " discover").exit_code == 2);
    CHECK(run_muniscope(config + " discover --municipality nowhere").exit_code == 2);
    const RunResult no_site = run_muniscope(config + " discover --municipality musterkreis");
    CHECK(no_site.exit_code == 2);
    CHECK(no_site.err.find("no `website`") != std::string::npos);
  }
}
