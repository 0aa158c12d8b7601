// Discovery on official websites, sans IO: link classification, robots.txt,
// page scanning, and the whole site walk over fixture pages.
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <map>

#include "core/platform.h"
#include "registry/discovery.h"
#include "test_support.h"

using namespace muni;
using namespace muni::registry;
using muni::test::read_fixture;

TEST_CASE("discovery: links to accounts become canonical handles") {
  struct Case {
    const char* url;
    const char* platform;
    const char* handle;
  };
  const Case accepted[] = {
      {"https://www.facebook.com/stadt.musterstadt", "facebook", "stadt.musterstadt"},
      {"https://de-de.facebook.com/Stadt.Musterstadt/", "facebook", "stadt.musterstadt"},
      {"https://www.facebook.com/profile.php?id=100064512345678", "facebook", "100064512345678"},
      {"https://www.facebook.com/pages/Stadt-Musterstadt/123456789012", "facebook", "123456789012"},
      {"https://www.instagram.com/stadtmusterstadt/", "instagram", "stadtmusterstadt"},
      {"https://instagram.com/Stadt_Muster?igsh=abc", "instagram", "stadt_muster"},
      {"https://twitter.com/Musterstadt", "x", "musterstadt"},
      {"https://x.com/@Musterstadt", "x", "musterstadt"},
      {"https://bsky.app/profile/musterstadt.bsky.social", "bluesky", "musterstadt.bsky.social"},
      {"https://t.me/musterstadt_info", "telegram", "@musterstadt_info"},
      {"https://t.me/s/musterstadt_info", "telegram", "@musterstadt_info"},
      {"https://www.threads.net/@musterstadt", "threads", "musterstadt"},
      {"https://www.youtube.com/@StadtMusterstadt", "youtube", "@stadtmusterstadt"},
      {"https://www.youtube.com/channel/UCabcdefghijklmnopqrstuv", "youtube",
       "UCabcdefghijklmnopqrstuv"},
      {"https://social.example/@musterstadt", "mastodon", "musterstadt@social.example"},
      // A redirect service wrapping an account link: the target counts.
      {"https://www.musterstadt.example/redirect?url=https%3A%2F%2Fx.com%2Fmusterstadt", "x",
       "musterstadt"},
      {"https://l.facebook.com/l.php?u=https%3A%2F%2Fwww.instagram.com%2Fstadtmusterstadt&h=AT0",
       "instagram", "stadtmusterstadt"},
  };
  for (const Case& c : accepted) {
    CAPTURE(c.url);
    const LinkVerdict v = classify_account_link(c.url, false);
    CHECK(v.refused == "");
    CHECK(v.platform == c.platform);
    CHECK(v.handle == c.handle);
  }
  // rel="me" makes /users/NAME on any host a Mastodon address too.
  CHECK(classify_account_link("https://bawue.social/users/Stadt", true).handle ==
        "stadt@bawue.social");
  CHECK(classify_account_link("https://bawue.social/users/Stadt", false).platform.empty());
}

TEST_CASE("discovery: share buttons, home pages, posts and videos are refused with a reason") {
  const char* refused[] = {
      "https://www.facebook.com/sharer/sharer.php?u=https%3A%2F%2Fwww.musterstadt.example%2F",
      "https://www.facebook.com/sharer.php?u=x",
      "https://twitter.com/intent/tweet?text=Hallo&url=https%3A%2F%2Fx.example",
      "https://x.com/share?url=x",
      "https://t.me/share/url?url=https%3A%2F%2Fwww.musterstadt.example",
      "https://bsky.app/intent/compose?text=x",
      "https://www.facebook.com/",
      "https://www.instagram.com/",
      "https://www.instagram.com/p/C1a2b3c4d5e/",
      "https://x.com/musterstadt/status/1790000000000000000",
      "https://www.youtube.com/watch?v=AbCdEfGhIjK",
      "https://youtu.be/AbCdEfGhIjK",
      "https://www.youtube.com/c/StadtMusterstadt",  // custom URLs cannot be resolved
      "https://t.me/joinchat/AAAAAE",
      "https://t.me/+AbCdEf",
      "https://www.facebook.com/groups/123456789",
      "https://www.facebook.com/stadt.musterstadt/posts/pfbid0abc",
      "https://bsky.app/profile/musterstadt.bsky.social/post/3kxyz",
      "https://l.facebook.com/l.php?u=https%3A%2F%2Fwww.musterstadt.example%2F",
  };
  for (const char* url : refused) {
    CAPTURE(url);
    const LinkVerdict v = classify_account_link(url, false);
    CHECK(v.platform != "");
    CHECK(v.refused != "");
    CHECK(v.handle == "");
  }
  // Not platform links at all.
  for (const char* url : {"https://www.musterstadt.example/presse/", "https://medium.com/@stadt",
                          "https://www.tiktok.com/@stadt", "https://example.org/a/b"}) {
    CAPTURE(url);
    CHECK(classify_account_link(url, false).platform == "");
  }
}

TEST_CASE("discovery: robots.txt groups, wildcards and the longest match (RFC 9309)") {
  const RobotsRules r = RobotsRules::parse(read_fixture("discovery/robots.txt"), "muniscope");
  CHECK(r.allows("/"));
  CHECK(r.allows("/presse/"));
  CHECK_FALSE(r.allows("/typo3/index.php"));
  CHECK_FALSE(r.allows("/intern/social-media-richtlinie/"));
  CHECK(r.allows("/intern/oeffentlich/leitlinien"));  // the longer Allow wins
  // Our own group replaces "*" entirely.
  const RobotsRules ours = RobotsRules::parse(
      "User-agent: *\nDisallow: /\n\nUser-agent: Muniscope\nDisallow: /private\n", "muniscope");
  CHECK(ours.allows("/kontakt"));
  CHECK_FALSE(ours.allows("/private/x"));
  // Wildcards and the end anchor.
  const RobotsRules w =
      RobotsRules::parse("User-agent: *\nDisallow: /*.pdf$\nDisallow: /*?s=\n", "muniscope");
  CHECK_FALSE(w.allows("/files/plan.pdf"));
  CHECK(w.allows("/files/plan.pdf.html"));
  CHECK_FALSE(w.allows("/suche?s=wahl"));
  CHECK(w.allows("/suche"));
  // Consecutive user-agent lines share one group; an empty Disallow allows.
  const RobotsRules g = RobotsRules::parse(
      "User-agent: a\nUser-agent: muniscope\nDisallow: /x\nUser-agent: b\nDisallow:\n",
      "muniscope");
  CHECK_FALSE(g.allows("/x"));
  CHECK(g.allows("/y"));
  CHECK(RobotsRules::parse("", "muniscope").allows("/anything"));
  CHECK_FALSE(RobotsRules::disallow_all().allows("/"));
}

TEST_CASE("discovery: page scanning resolves links and knows header, footer and rel=me") {
  const auto links =
      scan_page(read_fixture("discovery/home.html"), "https://www.musterstadt.example/");
  auto find = [&](const std::string& url) -> const PageLink* {
    for (const PageLink& l : links) {
      if (l.url == url) return &l;
    }
    return nullptr;
  };
  const PageLink* feed = find("https://www.musterstadt.example/presse/rss.xml");
  REQUIRE(feed != nullptr);
  CHECK(feed->feed);
  const PageLink* mastodon = find("https://social.example/@musterstadt");
  REQUIRE(mastodon != nullptr);
  CHECK(mastodon->rel_me);
  CHECK(mastodon->in_chrome);
  const PageLink* impressum = find("https://www.musterstadt.example/impressum/");
  REQUIRE(impressum != nullptr);
  CHECK(impressum->text == "Impressum");
  const PageLink* share = find(
      "https://www.facebook.com/sharer/sharer.php?u=https%3A%2F%2Fwww.musterstadt.example%2Fnews%"
      "2Fbaugebiet");
  REQUIRE(share != nullptr);
  CHECK_FALSE(share->in_chrome);  // in the article, not the page frame
  const PageLink* fb = find("https://www.facebook.com/stadt.musterstadt");
  REQUIRE(fb != nullptr);
  CHECK(fb->in_chrome);
  CHECK(fb->text == "Stadt Musterstadt auf Facebook");
  // javascript: and mailto: links are no links to follow.
  for (const PageLink& l : links) {
    CHECK(l.url.rfind("http", 0) == 0);
  }
}

namespace {

// Drives a SiteDiscovery over a map of URL -> (status, body).
SiteDiscovery::Result walk_site(SiteDiscovery& d, const std::map<std::string, std::string>& pages,
                                std::vector<std::string>* fetched = nullptr) {
  for (int guard = 0; guard < 50 && !d.done(); ++guard) {
    auto url = d.next_url();
    if (!url) break;
    if (fetched != nullptr) fetched->push_back(*url);
    auto it = pages.find(*url);
    if (it == pages.end()) {
      d.on_response(404, "", *url);
    } else {
      d.on_response(200, it->second, *url);
    }
  }
  return d.result();
}

std::map<std::string, std::string> musterstadt_site() {
  const std::string base = "https://www.musterstadt.example";
  return {{base + "/robots.txt", read_fixture("discovery/robots.txt")},
          {base + "/", read_fixture("discovery/home.html")},
          {base + "/social-media/", read_fixture("discovery/social-media.html")},
          {base + "/impressum/", read_fixture("discovery/impressum.html")}};
}

}  // namespace

TEST_CASE("discovery: a municipal website gives its own accounts and none of the traps") {
  const std::vector<std::string> names = {"Musterstadt, Stadt", "Beispielhausen",
                                          "Musterkreis, Landkreis"};
  SiteDiscovery d({"musterstadt", "09999001", "Musterstadt, Stadt",
                   "https://www.musterstadt.example/", &names});
  std::vector<std::string> fetched;
  const auto r = walk_site(d, musterstadt_site(), &fetched);
  REQUIRE(d.done());

  // robots.txt first, then the home page, then at most four likely pages in
  // order of use (social media, press, contact, imprint); the internal page
  // robots.txt disallows is never fetched.
  const std::vector<std::string> expected_fetches = {
      "https://www.musterstadt.example/robots.txt",
      "https://www.musterstadt.example/",
      "https://www.musterstadt.example/social-media/",
      "https://www.musterstadt.example/presse/",
      "https://www.musterstadt.example/kontakt/",
      "https://www.musterstadt.example/impressum/"};
  CHECK(fetched == expected_fetches);
  bool robots_noted = false;
  for (const std::string& p : d.problems()) {
    robots_noted |= p.find("robots.txt disallows") != std::string::npos &&
                    p.find("/intern/") != std::string::npos;
  }
  CHECK(robots_noted);

  std::map<std::string, std::string> proposed;  // platform:handle -> evidence
  for (const auto& p : r.proposals) proposed[p.platform + ":" + p.handle] = p.evidence;
  const std::vector<std::string> want = {"facebook:stadt.musterstadt",
                                         "instagram:stadtmusterstadt",
                                         "youtube:@stadtmusterstadt",
                                         "mastodon:musterstadt@social.example",
                                         "bluesky:musterstadt.bsky.social",
                                         "rss:https://www.musterstadt.example/presse/rss.xml",
                                         "x:musterstadt",
                                         "telegram:@musterstadt_info",
                                         "threads:musterstadt"};
  for (const std::string& w : want) {
    CAPTURE(w);
    CHECK(proposed.count(w) == 1);
  }
  CHECK(proposed.size() == want.size());
  CHECK(proposed["mastodon:musterstadt@social.example"].find("rel=\"me\"") == 0);
  CHECK(proposed["facebook:stadt.musterstadt"].find("footer") != std::string::npos);

  auto reason_for = [&](const std::string& link_part) -> std::string {
    for (const auto& f : r.refusals) {
      if (f.link.find(link_part) != std::string::npos) return f.reason;
    }
    return "";
  };
  CHECK(reason_for("sharer.php").find("share button") != std::string::npos);
  CHECK(reason_for("intent/tweet").find("share button") != std::string::npos);
  CHECK(reason_for("t.me/share").find("share button") != std::string::npos);
  CHECK(reason_for("watch?v=").find("video") != std::string::npos);
  CHECK(reason_for("instagram.com/p/").find("post") != std::string::npos);
  CHECK(reason_for("gemeinde.beispielhausen").find("another municipality") != std::string::npos);
  // The Landkreis is in the registry too: its name gives it away.
  CHECK(reason_for("landkreis.musterkreis").find("another municipality (Musterkreis") !=
        std::string::npos);
  CHECK(reason_for("stadtbibliothek_musterstadt").find("other instagram") != std::string::npos);
  bool home_refused = false;
  for (const auto& f : r.refusals) {
    home_refused |= f.link == "https://www.facebook.com/" && f.reason == "the platform's home page";
  }
  CHECK(home_refused);
  // The Landkreis's feed is another site's: neither proposed nor listed.
  CHECK(reason_for("landkreis-musterkreis.example/rss.xml") == "");
}

TEST_CASE(
    "discovery: robots.txt that forbids everything, or a server error on it, fetches nothing") {
  const std::vector<std::string> names;
  {
    SiteDiscovery d({"m", "09999001", "Musterstadt", "https://www.musterstadt.example/", &names});
    std::vector<std::string> fetched;
    std::map<std::string, std::string> site = {
        {"https://www.musterstadt.example/robots.txt", "User-agent: *\nDisallow: /\n"}};
    walk_site(d, site, &fetched);
    CHECK(fetched.size() == 1);
    CHECK(d.pages_fetched() == 0);
  }
  {
    SiteDiscovery d({"m", "09999001", "Musterstadt", "https://www.musterstadt.example/", &names});
    REQUIRE(d.next_url().has_value());
    d.on_response(503, "", "https://www.musterstadt.example/robots.txt");
    CHECK(d.done());
    CHECK_FALSE(d.next_url().has_value());
  }
  {
    // No robots.txt (404): everything may be fetched.
    SiteDiscovery d({"m", "09999001", "Musterstadt", "https://www.musterstadt.example/", &names});
    REQUIRE(d.next_url().has_value());
    d.on_response(404, "", "https://www.musterstadt.example/robots.txt");
    CHECK(d.next_url() == std::optional<std::string>("https://www.musterstadt.example/"));
  }
}

TEST_CASE("discovery: name folding for comparing accounts with municipalities") {
  CHECK(fold_name("Bautzen / Budyšin, Stadt") == "bautzenbudysin");
  CHECK(fold_name("Stadt_Tecklenburg") == "stadttecklenburg");
  CHECK(fold_name("Müllheim im Markgräflerland") == "muellheimimmarkgraeflerland");
  CHECK(fold_name("Gießen") == "giessen");
}

// ------------------------------------------------ every registered platform

TEST_CASE("discovery: planned platforms' accounts are proposed from a municipal page") {
  // Facebook, Instagram, X, Threads, Telegram, PeerTube, Lemmy, WordPress
  // (the site's own, by its API link, and a WordPress.com blog), MediaWiki
  // and Discourse: each platform's links come from its descriptor.
  const std::vector<std::string> names = {"Neustadt, Stadt", "Musterkreis, Landkreis"};
  SiteDiscovery d(
      {"neustadt", "09999002", "Neustadt, Stadt", "https://www.neustadt.example/", &names});
  const std::map<std::string, std::string> site = {
      {"https://www.neustadt.example/", read_fixture("discovery/neustadt.html")}};
  const auto r = walk_site(d, site);
  REQUIRE(d.done());
  std::map<std::string, std::string> proposed;  // platform:handle -> evidence
  for (const auto& p : r.proposals) proposed[p.platform + ":" + p.handle] = p.evidence;
  const std::vector<std::string> want = {
      "facebook:stadtneustadt",
      "instagram:stadt.neustadt",
      "x:stadtneustadt",
      "threads:stadt.neustadt",
      "telegram:@neustadt_aktuell",
      "peertube:channel:neustadt_kanal@tube.neustadt.example",
      "lemmy:!neustadt@feddit.org",
      "wordpress:https://www.neustadt.example",
      "wordpress:https://stadtarchiv-neustadt.wordpress.com",
      "mediawiki:https://stadtwiki-neustadt.example/w/",
      "discourse:https://forum.neustadt.example/",
      "rss:https://www.neustadt.example/feed/",
  };
  for (const std::string& w : want) {
    CAPTURE(w);
    CHECK(proposed.count(w) == 1);
  }
  for (const auto& [key, evidence] : proposed) {
    CAPTURE(key);
    CHECK(std::find(want.begin(), want.end(), key) != want.end());
  }
  CHECK(proposed["wordpress:https://www.neustadt.example"].find("api.w.org") != std::string::npos);

  // Share buttons, posts, videos, articles and tracking redirects: refused,
  // each with its reason; none is an account.
  auto reason_for = [&](const std::string& link_part) -> std::string {
    for (const auto& f : r.refusals) {
      if (f.link.find(link_part) != std::string::npos) return f.reason;
    }
    return "(not refused)";
  };
  const std::vector<std::pair<std::string, std::string>> traps = {
      {"facebook.com/sharer.php", "share button"},
      {"x.com/intent/tweet", "share button"},
      {"twitter.com/share?url=", "share button"},
      {"t.me/share/url", "share button"},
      {"threads.net/intent/post", "share button"},
      {"bsky.app/intent/compose", "share button"},
      {"wordpress.com/press-this.php", "share button"},
      {"x.com/StadtNeustadt/status/", "post"},
      {"instagram.com/reel/", "post"},
      {"facebook.com/watch/", "post"},
      {"t.me/neustadt_aktuell/512", "message"},
      {"threads.net/@stadt.neustadt/post/", "post"},
      {"feddit.org/post/", "post"},
      {"forum.neustadt.example/t/", "topic"},
      {"wordpress.com/2025/05/01/", "post"},
      {"tube.neustadt.example/w/", "video"},
      {"youtu.be/", "video"},
      {"de.wikipedia.org/wiki/Neustadt", "encyclopedia"},
      {"l.facebook.com/l.php", "tracking redirect"},
      {"youtube.com/redirect", "tracking redirect"},
  };
  for (const auto& [link, reason] : traps) {
    CAPTURE(link);
    CHECK(reason_for(link).find(reason) != std::string::npos);
  }
  // Head links that are not feeds or rel="me" (stylesheets, preconnects)
  // are neither proposed nor refused.
  CHECK(reason_for("www-player.css") == "(not refused)");
  for (const auto& f : r.refusals) CHECK(f.link != "https://www.facebook.com");
}

TEST_CASE("discovery: links of planned platforms, and what they are not") {
  struct Case {
    const char* url;
    const char* text;
    const char* platform;
    const char* handle;  // "" : refused
  };
  const Case cases[] = {
      {"https://tube.example/a/stadt_x", "", "peertube", "stadt_x@tube.example"},
      {"https://video.example/video-channels/rathaus", "", "peertube",
       "channel:rathaus@video.example"},
      {"https://peertube.example/videos/watch/1234", "", "peertube", ""},
      {"https://lemmy.example/u/stadt_x", "", "lemmy", "@stadt_x@lemmy.example"},
      {"https://discuss.example/c/stadt_x", "Lemmy", "lemmy", "!stadt_x@discuss.example"},
      {"https://feddit.org/c/stadt_x@lemmy.example", "", "lemmy", "!stadt_x@lemmy.example"},
      {"https://stadt-x.wordpress.com/", "", "wordpress", "https://stadt-x.wordpress.com"},
      {"https://wordpress.com/", "", "wordpress", ""},
      {"https://community.example/latest", "", "discourse", "https://community.example/"},
      {"https://wiki.stadt-x.example/index.php?title=Rathaus", "", "mediawiki",
       "https://wiki.stadt-x.example/"},
      {"https://wiki.stadt-x.example/wiki/Rathaus", "", "mediawiki",
       "https://wiki.stadt-x.example/w/"},
      {"https://en.wikipedia.org/wiki/Musterstadt", "", "mediawiki", ""},
      {"https://t.me/s", "", "telegram", ""},
      {"https://www.threads.com/@stadt_x", "", "threads", "stadt_x"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.url);
    PageLink link;
    link.url = c.url;
    link.text = c.text;
    const LinkVerdict v = classify_link(link, false);
    CHECK(v.platform == c.platform);
    CHECK(v.handle == c.handle);
    CHECK(v.refused.empty() == (std::string(c.handle) != ""));
  }
  // Without a hint, short paths other software uses are no platform's.
  for (const char* url : {"https://example.org/c/stadt", "https://example.org/u/stadt",
                          "https://example.org/a/stadt", "https://example.org/wiki/Stadt"}) {
    CAPTURE(url);
    CHECK(classify_account_link(url, false).platform == "");
  }
}

TEST_CASE("discovery: every registered platform brings its link knowledge") {
  // The built-in platforms (tests register toy platforms without links too).
  for (const char* id :
       {"facebook", "instagram", "mastodon", "bluesky", "x", "threads", "youtube", "peertube",
        "rss", "wordpress", "mediawiki", "discourse", "lemmy", "telegram"}) {
    CAPTURE(id);
    const PlatformDescriptor* found = find_platform(id);
    REQUIRE(found != nullptr);
    const PlatformDescriptor& d = *found;
    // Something to recognise its accounts by: hosts with patterns, or a hook.
    CHECK((!d.links.hosts.empty() || d.links.recognise));
    if (!d.links.hosts.empty()) CHECK_FALSE(d.links.patterns.empty());
    // A Wikidata property with its source, or a note why there is none.
    if (d.links.wikidata_property.empty()) {
      CHECK_FALSE(d.links.wikidata_note.empty());
    } else {
      CHECK(d.links.wikidata_property[0] == 'P');
      CHECK(d.links.wikidata_source ==
            "https://www.wikidata.org/wiki/Property:" + d.links.wikidata_property);
      CHECK_FALSE(d.links.wikidata_label.empty());
    }
  }
}

TEST_CASE("platform knowledge lives only in connectors: no platform id as a string in src") {
  // docs/connectors.md: src/ names no platform. A quoted platform id in any
  // file under src/ (code or comment) fails here, as the review hook would.
  namespace fs = std::filesystem;
  const fs::path src = fs::path(muni::test::source_dir()) / "src";
  REQUIRE(fs::exists(src));
  std::vector<std::string> quoted;
  for (const PlatformDescriptor& d : platform_registry().all()) {
    // The built-in platforms: those with links (tests register toy ones).
    if (!d.links.hosts.empty() || d.links.recognise) quoted.push_back("\"" + d.id + "\"");
  }
  REQUIRE(quoted.size() >= 14);
  int files = 0;
  for (const auto& entry : fs::recursive_directory_iterator(src)) {
    if (!entry.is_regular_file()) continue;
    ++files;
    const std::string text = muni::test::read_file(entry.path().string());
    for (const std::string& q : quoted) {
      CAPTURE(entry.path().string());
      CAPTURE(q);
      CHECK(text.find(q) == std::string::npos);
    }
  }
  CHECK(files > 50);
}
