#include <doctest/doctest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>

#include "config/config.h"
#include "core/strings.h"
#include "test_support.h"

using namespace muni;

namespace {

const char* kValid = R"(
store:
  path: /tmp/x.db
defaults:
  contact: mailto:team@example.org
  poll_interval: 30m
  backfill: {since: 2016-01-01}
platforms:
  bluesky:
    base_url: http://127.0.0.1:9/
    rate_limit: {requests: 100, per: 1m}
municipalities:
  - id: pforzheim
    name: Stadt Pforzheim
    ags: "08231000"
    kind: kreisfreie Stadt
    state: BW
    population: 125000
    labels: [a, b]
    accounts:
      - platform: mastodon
        handle: "@stadtpforzheim@bawü.social"
        role: press
        interval: 15m
      - platform: bluesky
        handle: stadt.example.de
)";

// Finds the first error whose formatted text contains `needle`.
const ConfigIssue* find_issue(const std::vector<ConfigIssue>& issues, const std::string& needle) {
  for (const auto& i : issues) {
    if (i.format().find(needle) != std::string::npos) return &i;
  }
  return nullptr;
}

std::string with(const std::string& from, const std::string& to) {
  std::string s = kValid;
  const size_t pos = s.find(from);
  REQUIRE(pos != std::string::npos);
  s.replace(pos, from.size(), to);
  return s;
}

}  // namespace

TEST_CASE("config: a valid file becomes typed settings") {
  const ConfigLoad load = load_config_from_string(kValid, "main.yaml");
  REQUIRE_MESSAGE(load.errors.empty(), (load.errors.empty() ? "" : load.errors[0].format()));
  const Config& c = *load.config;
  CHECK(c.store_path == "/tmp/x.db");
  CHECK(c.defaults.poll_interval_ms == 30 * kMinuteMs);
  CHECK(c.defaults.backfill_since == CivilDate{2016, 1, 1});
  CHECK(c.defaults.timezone == "Europe/Berlin");
  CHECK(c.effective_user_agent() ==
        std::string("muniscope/") + kMuniscopeVersion + " (+mailto:team@example.org)");
  REQUIRE(c.platform("bluesky") != nullptr);
  CHECK(c.platform("bluesky")->base_url == "http://127.0.0.1:9");
  CHECK(c.platform("bluesky")->rate_limit.requests == 100);
  CHECK(c.platform("bluesky")->rate_limit.window_ms == kMinuteMs);
  REQUIRE(c.municipalities.size() == 1);
  const MunicipalityConfig& m = c.municipalities[0];
  CHECK(m.state == "Baden-Württemberg");
  CHECK(m.kind == MunicipalityKind::kKreisfreieStadt);
  CHECK(m.population == 125000);
  CHECK(m.labels == std::vector<std::string>{"a", "b"});
  REQUIRE(m.accounts.size() == 2);
  CHECK(m.accounts[0].handle == "stadtpforzheim@xn--baw-joa.social");
  CHECK(m.accounts[0].interval == 15 * kMinuteMs);
  CHECK(m.accounts[0].key() == "mastodon:stadtpforzheim@xn--baw-joa.social");
  CHECK(c.account_count() == 2);
}

TEST_CASE("config: a misspelt key names file, line, column and the key, with a hint") {
  const ConfigLoad load =
      load_config_from_string(with("poll_interval: 30m", "pol_interval: 30m"), "main.yaml");
  REQUIRE(load.errors.size() == 1);
  const ConfigIssue& e = load.errors[0];
  CHECK(e.file == "main.yaml");
  CHECK(e.line == 6);
  CHECK(e.column == 3);
  CHECK(e.key == "defaults.pol_interval");
  CHECK(e.format().find("did you mean 'poll_interval'") != std::string::npos);
  CHECK_FALSE(load.config.has_value());
}

TEST_CASE("config: every error class is reported") {
  SUBCASE("unknown platform lists the known ones") {
    auto load = load_config_from_string(with("platform: bluesky", "platform: myspace"), "m.yaml");
    auto* e = find_issue(load.errors, "unknown platform 'myspace'");
    REQUIRE(e != nullptr);
    CHECK(e->format().find("mastodon, bluesky") != std::string::npos);
    CHECK(e->key == "municipalities[0].accounts[1].platform");
  }
  SUBCASE("duplicate municipality ids") {
    std::string text = kValid;
    text += R"(
  - id: pforzheim
    name: Again
    ags: "08231000"
    kind: Stadt
    state: BW
)";
    auto load = load_config_from_string(text, "m.yaml");
    auto* e = find_issue(load.errors, "duplicate municipality id 'pforzheim'");
    REQUIRE(e != nullptr);
    CHECK(e->format().find("first defined at m.yaml:") != std::string::npos);
  }
  SUBCASE("duplicate accounts, even when spelt differently") {
    auto load =
        load_config_from_string(with("handle: stadt.example.de",
                                     "handle: stadt.example.de\n      - platform: mastodon\n       "
                                     " handle: https://bawü.social/@StadtPforzheim"),
                                "m.yaml");
    CHECK(find_issue(load.errors, "duplicate account mastodon:stadtpforzheim@xn--baw-joa.social") !=
          nullptr);
  }
  SUBCASE("bad AGS") {
    auto load = load_config_from_string(with("\"08231000\"", "8231000"), "m.yaml");
    auto* e = find_issue(load.errors, "exactly 8 digits");
    REQUIRE(e != nullptr);
    CHECK(e->key == "municipalities[0].ags");
    CHECK(e->line == 15);
  }
  SUBCASE("AGS of another Land") {
    auto load = load_config_from_string(with("state: BW", "state: Bayern"), "m.yaml");
    CHECK(find_issue(load.errors, "belongs to Baden-Württemberg") != nullptr);
  }
  SUBCASE("missing required keys") {
    auto load = load_config_from_string(with("    name: Stadt Pforzheim\n", ""), "m.yaml");
    CHECK(find_issue(load.errors, "municipalities[0].name: is required") != nullptr);
  }
  SUBCASE("unknown kind and state") {
    auto load = load_config_from_string(with("kind: kreisfreie Stadt", "kind: Bezirk"), "m.yaml");
    CHECK(find_issue(load.errors,
                     "'Bezirk' is not one of Gemeinde, Stadt, kreisfreie Stadt, Landkreis") !=
          nullptr);
  }
  SUBCASE("a handle the platform cannot use") {
    auto load = load_config_from_string(with("\"@stadtpforzheim@bawü.social\"", "stadtpforzheim"),
                                        "m.yaml");
    CHECK(find_issue(load.errors, "needs the instance") != nullptr);
  }
  SUBCASE("no contact for the User-Agent") {
    auto load = load_config_from_string(with("  contact: mailto:team@example.org\n", ""), "m.yaml");
    CHECK(find_issue(load.errors, "defaults.contact: is required") != nullptr);
  }
  SUBCASE("bad durations and dates") {
    auto load = load_config_from_string(with("30m", "soon"), "m.yaml");
    CHECK(find_issue(load.errors, "must be a duration") != nullptr);
    load = load_config_from_string(with("2016-01-01", "01.01.2016"), "m.yaml");
    CHECK(find_issue(load.errors, "must be a date YYYY-MM-DD") != nullptr);
  }
  SUBCASE("metrics endpoint beyond loopback needs an explicit setting") {
    std::string text = kValid;
    text += "metrics_listen: 0.0.0.0:9464\n";
    auto load = load_config_from_string(text, "m.yaml");
    CHECK(find_issue(load.errors, "metrics_listen_allow_remote") != nullptr);
    text += "metrics_listen_allow_remote: true\n";
    CHECK(load_config_from_string(text, "m.yaml").errors.empty());
  }
  SUBCASE("YAML syntax errors carry their position") {
    auto load = load_config_from_string("defaults: [unclosed\n", "m.yaml");
    REQUIRE(load.errors.size() == 1);
    CHECK(load.errors[0].format().find("YAML syntax error") != std::string::npos);
    CHECK(load.errors[0].line >= 1);
  }
  SUBCASE("several problems are all reported at once") {
    auto load =
        load_config_from_string(std::string("bogus: 1\n") + kValid + "another: 2\n", "m.yaml");
    CHECK(load.errors.size() == 2);
  }
}

TEST_CASE("config: duplicate keys and absurd nesting are errors with their line") {
  auto dup = load_config_from_string(
      "defaults:\n  contact: mailto:a@b.de\n  poll_interval: 1h\n  poll_interval: 2h\n"
      "log:\n  level: info\nlog:\n  level: debug\n",
      "d.yaml");
  CHECK_FALSE(dup.config.has_value());
  CHECK(find_issue(dup.errors, "d.yaml:4:3: defaults.poll_interval: duplicate key "
                               "'poll_interval' (first at line 3)") != nullptr);
  CHECK(find_issue(dup.errors, "d.yaml:7:1: log: duplicate key 'log' (first at line 5)") !=
        nullptr);
  const std::string deep = "a: " + std::string(5000, '[') + std::string(5000, ']') + "\n";
  auto nested = load_config_from_string(deep, "n.yaml");
  CHECK_FALSE(nested.config.has_value());
  CHECK(find_issue(nested.errors, "nested too deeply") != nullptr);
}

TEST_CASE("config: a placeholder contact on a domain reserved for examples is warned, and MUNISCOPE_CONTACT replaces it") {
  auto load = load_config_from_string(kValid, "m.yaml");
  REQUIRE(load.config.has_value());
  const ConfigIssue* w = find_issue(load.warnings, "defaults.contact: 'mailto:team@example.org' is on example.org");
  REQUIRE(w != nullptr);
  CHECK(w->format().find("`run` and `poll` refuse") != std::string::npos);
  Defaults d;
  for (const char* bad : {"mailto:x@example.com", "https://research.example/contact",
                          "x@team.example.net", "mailto:me@host.test", "a@b.invalid"}) {
    d.contact = bad;
    CAPTURE(bad);
    CHECK(placeholder_contact(d).has_value());
  }
  for (const char* good : {"mailto:x@uni-example.de", "https://www.examples.org/", "x@test.de"}) {
    d.contact = good;
    CAPTURE(good);
    CHECK_FALSE(placeholder_contact(d).has_value());
  }
  setenv("MUNISCOPE_CONTACT", "mailto:me@my.institution", 1);
  auto env = load_config_from_string(kValid, "m.yaml");
  unsetenv("MUNISCOPE_CONTACT");
  REQUIRE(env.config.has_value());
  CHECK(env.config->defaults.contact == "mailto:me@my.institution");
  CHECK(find_issue(env.warnings, "defaults.contact") == nullptr);
}

TEST_CASE(
    "config: an inline secret is accepted with a warning, env and file references are not warned") {
  std::string text = kValid;
  text.replace(text.find("platforms:\n"), 11,
               "platforms:\n  youtube:\n    credential: AIzaSyEXAMPLE\n");
  auto load = load_config_from_string(text, "m.yaml");
  REQUIRE(load.errors.empty());
  // (The placeholder contact of kValid is warned about as well.)
  std::erase_if(load.warnings, [](const ConfigIssue& w) { return w.key == "defaults.contact"; });
  REQUIRE(load.warnings.size() == 1);
  CHECK(load.warnings[0].key == "platforms.youtube.credential");
  CHECK(load.warnings[0].format().find("AIzaSyEXAMPLE") ==
        std::string::npos);  // never echo the secret
  text = kValid;
  text.replace(text.find("platforms:\n"), 11,
               "platforms:\n  youtube:\n    credential: {env: MUNI_TEST_KEY}\n");
  load = load_config_from_string(text, "m.yaml");
  REQUIRE(load.errors.empty());
  std::erase_if(load.warnings, [](const ConfigIssue& w) { return w.key == "defaults.contact"; });
  CHECK(load.warnings.empty());
  const CredentialRef& ref = load.config->platform("youtube")->credential;
  CHECK_FALSE(read_credential(ref).ok());
  setenv("MUNI_TEST_KEY", " s3cret\n", 1);
  CHECK(*read_credential(ref) == "s3cret");
  unsetenv("MUNI_TEST_KEY");
}

TEST_CASE("config: includes with globs, relative to the including file") {
  test::TempDir dir;
  test::write_file(
      dir.file("main.yaml"),
      "defaults: {contact: team@example.org}\ninclude: [laender/*.yaml, extra.yaml]\n");
  test::write_file(dir.file("laender/bw.yaml"), R"(municipalities:
  - {id: a, name: A, ags: "08111000", kind: kreisfreie Stadt, state: BW}
)");
  test::write_file(dir.file("laender/by.yaml"), R"(municipalities:
  - {id: b, name: B, ags: "09162000", kind: kreisfreie Stadt, state: BY, accounts: [{platform: bluesky, handle: b.example.de}]}
)");
  test::write_file(dir.file("extra.yaml"), R"(municipalities:
  - {id: c, name: C, ags: "14612000", kind: kreisfreie Stadt, state: SN, colour: blue}
)");
  ConfigLoad load = load_config(dir.file("main.yaml"));
  // The unknown key in an included file names that file.
  auto* e = find_issue(load.errors, "unknown key 'colour'");
  REQUIRE(e != nullptr);
  CHECK(e->file == dir.file("extra.yaml"));
  CHECK(e->line == 2);

  test::write_file(dir.file("extra.yaml"), "municipalities: []\n");
  load = load_config(dir.file("main.yaml"));
  REQUIRE(load.errors.empty());
  CHECK(load.config->files.size() == 4);
  CHECK(load.config->municipalities.size() == 2);
  CHECK(load.config->municipalities[1].accounts.size() == 1);
  // Every entry commented out: an empty list, not an error.
  test::write_file(dir.file("extra.yaml"), "municipalities:\n#  - {id: c, name: C}\n");
  load = load_config(dir.file("main.yaml"));
  CHECK(load.errors.empty());
  CHECK(load.config->municipalities.size() == 2);

  test::write_file(dir.file("main.yaml"),
                   "defaults: {contact: team@example.org}\ninclude: missing.yaml\n");
  load = load_config(dir.file("main.yaml"));
  CHECK(find_issue(load.errors, "does not exist") != nullptr);
}

TEST_CASE("config: the shipped example config is valid") {
  const ConfigLoad load = load_config(test::source_dir() + "/config/example.yaml");
  for (const auto& e : load.errors) FAIL_CHECK(e.format());
  REQUIRE(load.config.has_value());
  CHECK(load.config->account_count() >= 1);
  bool mastodon = false;
  bool bluesky = false;
  bool rss = false;
  bool youtube = false;
  for (const auto& m : load.config->municipalities) {
    for (const auto& a : m.accounts) {
      mastodon = mastodon || a.platform == "mastodon";
      bluesky = bluesky || a.platform == "bluesky";
      rss = rss || a.platform == "rss";
      youtube = youtube || a.platform == "youtube";
      CHECK_MESSAGE(!a.source.empty(),
                    "every real account in the example names its source: " << a.key());
    }
  }
  CHECK(mastodon);
  CHECK(bluesky);
  CHECK(rss);
  CHECK(youtube);
}

TEST_CASE("config: local inputs are regular files of bounded size (finding 16)") {
  test::TempDir dir;
  // Found: check-config /dev/zero grew past 361 MB; a FIFO blocked forever;
  // a directory was accepted as an include.
  auto z = read_input_file("/dev/zero");
  REQUIRE_FALSE(z.ok());
  CHECK(z.error().message.find("not a regular file") != std::string::npos);
  const std::string fifo = dir.file("fifo");
  REQUIRE(mkfifo(fifo.c_str(), 0600) == 0);
  auto f = read_input_file(fifo);  // returns at once, never waits for a writer
  REQUIRE_FALSE(f.ok());
  CHECK(f.error().message.find("not a regular file") != std::string::npos);
  auto d = read_input_file(dir.path().string());
  REQUIRE_FALSE(d.ok());
  CHECK(d.error().message.find("directory") != std::string::npos);
  test::write_file(dir.file("big"), std::string(2000, 'x'));
  auto big = read_input_file(dir.file("big"), 1000);
  REQUIRE_FALSE(big.ok());
  CHECK(big.error().message.find("more than the limit") != std::string::npos);
  CHECK(read_input_file(dir.file("big")).ok());

  std::filesystem::create_directory(dir.file("munis"));
  test::write_file(dir.file("main.yaml"),
                   "defaults: {contact: t@example.org}\ninclude: [munis, fifo]\n");
  ConfigLoad load = load_config(dir.file("main.yaml"));
  CHECK_FALSE(load.config.has_value());
  REQUIRE(load.errors.size() == 2);
  CHECK(load.errors[0].format().find("directory") != std::string::npos);
  CHECK(load.errors[1].format().find("not a regular file") != std::string::npos);
  ConfigLoad zero = load_config("/dev/zero");
  REQUIRE_FALSE(zero.config.has_value());
  CHECK(zero.errors[0].message.find("not a regular file") != std::string::npos);
}

TEST_CASE("config: a secret written where the variable name belongs is never echoed (finding 19)") {
  const std::string token = "ghp_AbCdEf0123456789aBcDeF0123456789xyZ";
  ConfigLoad load = load_config_from_string(
      "defaults: {contact: t@example.org}\nplatforms:\n  youtube:\n    credential: {env: \"" + token +
          "\"}\n",
      "c.yaml");
  REQUIRE(load.config.has_value());
  std::erase_if(load.warnings, [](const ConfigIssue& w) { return w.key == "defaults.contact"; });
  REQUIRE(load.warnings.size() == 1);
  CHECK(load.warnings[0].format().find(token) == std::string::npos);
  CHECK(load.warnings[0].format().find("looks like a secret") != std::string::npos);
  const CredentialRef& ref = load.config->platforms.at("youtube").credential;
  CHECK(ref.describe().find(token) == std::string::npos);
  auto secret = read_credential(ref);
  REQUIRE_FALSE(secret.ok());
  CHECK(secret.error().message.find(token) == std::string::npos);
  CHECK(secret.error().message.find("looks like a secret") != std::string::npos);
  // An ordinary variable name is named in messages, as before.
  CHECK_FALSE(looks_like_secret("YOUTUBE_API_KEY"));
  CHECK(looks_like_secret("AIzaSyA1234567890abcdefghijklmnopqrstuv"));
  CredentialRef plain;
  plain.kind = CredentialRef::Kind::kEnv;
  plain.name = "MUNISCOPE_TEST_SURELY_UNSET";
  CHECK(read_credential(plain).error().message.find("MUNISCOPE_TEST_SURELY_UNSET") !=
        std::string::npos);
}

TEST_CASE("config: a platforms: section reads without dangling references (finding 11)") {
  // Found under AddressSanitizer: a reference into yaml-cpp's iterator proxy
  // (stack-use-after-scope) for every configuration with platforms:. The
  // sanitizer build (make test-sanitize) is what catches a relapse; here the
  // values must come through intact.
  ConfigLoad load = load_config_from_string(
      "defaults: {contact: t@example.org}\nplatforms:\n  mastodon:\n    poll_interval: 2h\n"
      "  bluesky:\n    base_url: https://appview.example\n    redirect_hosts: [cdn.example]\n",
      "p.yaml");
  REQUIRE(load.config.has_value());
  CHECK(load.config->platforms.at("mastodon").poll_interval == 2 * kHourMs);
  CHECK(load.config->platforms.at("bluesky").base_url == "https://appview.example");
  CHECK(load.config->platforms.at("bluesky").redirect_hosts == std::vector<std::string>{"cdn.example"});
}
