// RSS/Atom conformance: every feed in tests/fixtures/rss/conformance/ with
// what it must yield, stated beside it in a .expect file (format:
// tools/gen_rss_conformance.py; sources: tests/fixtures/rss/SOURCES.md).
// g-* feeds are written by that generator, h-* by hand, s-* name a recorded
// sample in ../shared/api-samples/rss (skipped when absent). Each feed is
// also read twice: the same document must give the same ids (stable ids,
// content-derived ones included).
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "connectors/rss/rss_parse.h"
#include "core/strings.h"
#include "core/text_safety.h"
#include "core/time_util.h"
#include "test_support.h"

using namespace muni;
using namespace muni::test;

namespace {

constexpr const char* kDefaultUrl = "https://www.musterstadt.example/aktuelles/feed.xml";

// "\u00A0" escapes as the generator writes them; everything else as is.
std::string unescape(const std::string& v) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) {
    if (v[i] == '\\' && i + 5 < v.size() && v[i + 1] == 'u') {
      const auto cp = std::stoul(v.substr(i + 2, 4), nullptr, 16);
      append_utf8(out, static_cast<uint32_t>(cp));
      i += 5;
    } else {
      out += v[i];
    }
  }
  return out;
}

struct ExpectedItem {
  std::map<std::string, std::string> fields;  // id, title, link, date, edited, text~
};

struct Expectation {
  std::string file, url = kDefaultUrl, content_type, error, dialect;
  std::vector<std::string> notes;  // "-" = none
  std::optional<size_t> count;
  std::vector<ExpectedItem> items;
};

Expectation read_expectation(const std::filesystem::path& path) {
  Expectation e;
  e.file = path.stem().string() + ".xml";
  for (const std::string& raw : split(read_file(path.string()), '\n')) {
    const std::string_view line = trim(raw);
    if (line.empty() || line[0] == '#') continue;
    if (line == "item") {
      e.items.emplace_back();
      continue;
    }
    const size_t colon = line.find(':');
    REQUIRE_MESSAGE(colon != std::string_view::npos, path.string() << ": " << std::string(line));
    const std::string key(trim(line.substr(0, colon)));
    const std::string value = unescape(std::string(trim(line.substr(colon + 1))));
    if (!e.items.empty()) {
      e.items.back().fields[key] = value;
    } else if (key == "file") {
      e.file = value;
    } else if (key == "url") {
      e.url = value;
    } else if (key == "content-type") {
      e.content_type = value;
    } else if (key == "error") {
      e.error = value;
    } else if (key == "dialect") {
      e.dialect = value;
    } else if (key == "note") {
      e.notes.push_back(value);
    } else if (key == "count") {
      e.count = static_cast<size_t>(std::stoul(value));
    } else {
      FAIL("unknown key " << key << " in " << path.string());
    }
  }
  return e;
}

std::string date_text(const PostRecord& p) {
  if ((p.quality & kQualityDateEstimated) != 0) return "unknown";
  return format_iso8601(p.created_at);
}

struct Tally {
  int feeds = 0, passed = 0, skipped = 0, items = 0;
};

// Checks one feed; true when everything matched.
bool check_feed(const std::string& name, const Expectation& e, const std::string& body) {
  bool ok = true;
  auto expect = [&](bool cond, const std::string& what) {
    CHECK_MESSAGE(cond, name << ": " << what);
    ok = ok && cond;
  };
  rss::FeedContext c;
  c.now = at("2026-12-01T00:00:00Z");
  c.content_type = e.content_type;
  auto feed = rss::parse_feed(body, e.url, c);
  if (!e.error.empty()) {
    expect(!feed.ok(), "must be refused");
    if (!feed.ok())
      expect(feed.error().message.find(e.error) != std::string::npos,
             "refusal '" + feed.error().message + "' should say '" + e.error + "'");
    return ok;
  }
  if (!feed.ok()) {
    expect(false, "refused: " + feed.error().message);
    return false;
  }
  if (!e.dialect.empty()) expect(feed->dialect == e.dialect, "dialect " + feed->dialect);
  for (const std::string& n : e.notes) {
    if (n == "-") {
      expect(feed->notes.empty(), "no notes expected, got '" + join(feed->notes, "; ") + "'");
      continue;
    }
    const bool found = std::any_of(feed->notes.begin(), feed->notes.end(),
                                   [&](const auto& x) { return x.find(n) != std::string::npos; });
    expect(found, "a note saying '" + n + "', got '" + join(feed->notes, "; ") + "'");
  }
  if (e.count)
    expect(feed->items.size() == *e.count, "count " + std::to_string(feed->items.size()));
  for (size_t i = 0; i < e.items.size() && i < feed->items.size(); ++i) {
    const PostRecord& p = feed->items[i];
    for (const auto& [key, want] : e.items[i].fields) {
      std::string got;
      if (key == "id")
        got = p.platform_post_id;
      else if (key == "title")
        got = p.title;
      else if (key == "link")
        got = p.url;
      else if (key == "date")
        got = date_text(p);
      else if (key == "edited")
        got = p.edited_at ? format_iso8601(*p.edited_at) : "none";
      else if (key == "text~") {
        expect(p.text.find(want) != std::string::npos, "item " + std::to_string(i + 1) + " text '" +
                                                           p.text + "' should hold '" + want + "'");
        continue;
      } else {
        expect(false, "unknown item key " + key);
        continue;
      }
      expect(got == want, "item " + std::to_string(i + 1) + " " + key + " '" + got +
                              "', expected '" + want + "'");
    }
  }
  // Polled twice: the same ids.
  auto again = rss::parse_feed(body, e.url, c);
  REQUIRE(again.ok());
  bool same = again->items.size() == feed->items.size();
  for (size_t i = 0; same && i < feed->items.size(); ++i)
    same = again->items[i].platform_post_id == feed->items[i].platform_post_id;
  expect(same, "ids differ between two reads of the same document");
  return ok;
}

}  // namespace

TEST_CASE("rss conformance: 150+ feeds from the specifications yield what they should") {
  const std::filesystem::path dir = fixture_path("rss/conformance");
  std::vector<std::filesystem::path> expects;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() == ".expect") expects.push_back(entry.path());
  }
  std::sort(expects.begin(), expects.end());
  Tally t;
  std::map<std::string, int> per_family;
  for (const auto& path : expects) {
    const Expectation e = read_expectation(path);
    std::string body;
    if (starts_with(e.file, "shared:")) {
      const auto shared = shared_samples("rss");
      if (!shared) {
        ++t.skipped;
        continue;
      }
      body = read_file((*shared / e.file.substr(7)).string());
    } else {
      body = read_file((dir / e.file).string());
    }
    ++t.feeds;
    t.items += static_cast<int>(e.count.value_or(0));
    const std::string name = path.stem().string();
    if (check_feed(name, e, body)) ++t.passed;
    const std::string family = name.substr(0, name.find('-', 2));
    ++per_family[family];
  }
  std::string families;
  for (const auto& [f, n] : per_family) families += " " + f + ":" + std::to_string(n);
  MESSAGE("rss conformance: " << t.passed << " of " << t.feeds << " feeds pass (" << t.items
                              << " items expected; " << t.skipped
                              << " shared samples skipped); by family:" << families);
  CHECK(t.feeds >= 150);
  CHECK(t.passed == t.feeds);
}
