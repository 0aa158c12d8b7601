// `muniscope export` (the real binary) over a store filled by polling a
// loopback Mastodon world: row counts equal the store's, RFC 4180 quoting of
// hostile text, the AGS with its leading zero as text, the metadata sidecar
// and the NDJSON metadata line, metrics with period dates.
#include <doctest/doctest.h>

#include <fstream>
#include <sstream>

#include "core/clock.h"
#include "core/json.h"
#include "fake_platforms.h"
#include "store/store.h"
#include "test_support.h"

using namespace muni;
using namespace muni::test;

namespace {

std::vector<std::string> lines_of(const std::string& text, const std::string& eol) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find(eol, pos);
    if (end == std::string::npos) end = text.size();
    out.push_back(text.substr(pos, end - pos));
    pos = end + eol.size();
  }
  return out;
}

// RFC 4180 records (quoted fields may hold CRLF).
std::vector<std::vector<std::string>> parse_csv(const std::string& text) {
  std::vector<std::vector<std::string>> rows(1);
  std::string field;
  bool quoted = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      rows.back().push_back(field);
      field.clear();
    } else if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
      rows.back().push_back(field);
      field.clear();
      rows.emplace_back();
      ++i;
    } else {
      field += c;
    }
  }
  if (rows.back().empty()) rows.pop_back();
  return rows;
}

}  // namespace

TEST_CASE("export: posts, samples and metrics as CSV and NDJSON that readers take as they are") {
  const TimeMs now = SystemClock().now();
  LoopbackPlatforms platforms;
  platforms.mastodon.add_account("rathaus", "110000000000000001", 2000);
  for (int i = 0; i < 40; ++i) {
    platforms.mastodon.add_status("rathaus", now - 40 * kDayMs + i * kDayMs, PostKind::kOriginal);
  }
  TempDir dir;
  write_file(dir.file("muniscope.yaml"),
             "defaults:\n  contact: mailto:test@example.org\n  allow_private_addresses: true\n"
             "municipalities:\n"
             "  - id: flensburg\n    name: \"Flensburg, Stadt\"\n    ags: \"01001000\"\n"
             "    kind: kreisfreie Stadt\n    state: SH\n    accounts:\n"
             "      - {platform: mastodon, handle: \"" + platforms.mastodon_server.base_url() +
             "/@rathaus\"}\n");
  const std::string c = "-c " + dir.file("muniscope.yaml") + " --db " + dir.file("s.db") + " ";
  REQUIRE(run_muniscope("poll --once --all " + c).exit_code == 0);
  int64_t posts = 0, account_samples = 0, post_samples = 0;
  {
    auto store = *Store::open(dir.file("s.db"), OpenMode::kReadWrite);
    // Text a spreadsheet would split or a parser choke on.
    store->db().exec(
        "UPDATE posts SET text = 'Bürgerversammlung, \"heute\"' || char(13) || char(10) || "
        "'um 19 Uhr; Eintritt frei' WHERE id = (SELECT MIN(id) FROM posts)");
    posts = store->db().execAndGet("SELECT COUNT(*) FROM posts").getInt64();
    account_samples = store->db().execAndGet("SELECT COUNT(*) FROM account_samples").getInt64();
    post_samples = store->db().execAndGet("SELECT COUNT(*) FROM post_samples").getInt64();
  }
  REQUIRE(posts == 40);

  SUBCASE("posts as CSV with its metadata sidecar") {
    const auto r = run_muniscope("export posts --format csv -o " + dir.file("posts.csv") + " " + c);
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    const auto rows = parse_csv(read_file(dir.file("posts.csv")));
    REQUIRE(rows.size() == static_cast<size_t>(posts) + 1);  // one header row
    const auto& header = rows[0];
    CHECK(header[0] == "municipality_id");
    CHECK(header[2] == "ags");
    const size_t ags = 2;
    const size_t text = std::find(header.begin(), header.end(), "text") - header.begin();
    const size_t created = std::find(header.begin(), header.end(), "created_at") - header.begin();
    REQUIRE(text < header.size());
    bool hostile_found = false;
    for (size_t i = 1; i < rows.size(); ++i) {
      REQUIRE(rows[i].size() == header.size());
      CHECK(rows[i][ags] == "01001000");  // text, leading zero kept
      CHECK(rows[i][1] == "Flensburg, Stadt");
      CHECK(rows[i][created].back() == 'Z');  // ISO-8601 UTC
      hostile_found |=
          rows[i][text] == "Bürgerversammlung, \"heute\"\r\num 19 Uhr; Eintritt frei";
    }
    CHECK(hostile_found);
    // The raw file quotes the AGS cell only if needed; never a number form.
    CHECK(read_file(dir.file("posts.csv")).find(",1001000,") == std::string::npos);
    auto meta = parse_json(read_file(dir.file("posts.csv.meta.json")));
    REQUIRE(meta.ok());
    CHECK(json_string(**meta, "muniscope_version").has_value());
    CHECK(json_string(**meta, "time_zone") == std::optional<std::string>("Europe/Berlin"));
    CHECK(json_string(**meta, "configuration_sha256").value_or("").size() == 64);
    CHECK(json_string(**meta, "export") == std::optional<std::string>("posts"));
  }

  SUBCASE("NDJSON: a metadata line, then one object per row") {
    const auto r = run_muniscope("export posts --format ndjson " + c);
    REQUIRE(r.exit_code == 0);
    const auto lines = lines_of(r.out, "\n");
    REQUIRE(lines.size() == static_cast<size_t>(posts) + 1);
    auto first = parse_json(lines[0]);
    REQUIRE(first.ok());
    REQUIRE(json_object(**first, "_meta") != nullptr);
    for (size_t i = 1; i < lines.size(); ++i) {
      auto row = parse_json(lines[i]);
      REQUIRE(row.ok());
      CHECK(json_string(**row, "ags") == std::optional<std::string>("01001000"));
    }
  }

  SUBCASE("samples and filters") {
    auto r = run_muniscope("export account-samples " + c);
    REQUIRE(r.exit_code == 0);
    CHECK(parse_csv(r.out).size() == static_cast<size_t>(account_samples) + 1);
    r = run_muniscope("export post-samples --format ndjson " + c);
    REQUIRE(r.exit_code == 0);
    CHECK(lines_of(r.out, "\n").size() == static_cast<size_t>(post_samples) + 1);
    // A period and a platform filter: only the matching rows.
    const std::string from = format_civil_date(civil_from_days((now - 10 * kDayMs) / kDayMs));
    r = run_muniscope("export posts --platform mastodon --from " + from + " " + c);
    REQUIRE(r.exit_code == 0);
    const size_t some = parse_csv(r.out).size() - 1;
    CHECK(some >= 9);
    CHECK(some <= 12);
    r = run_muniscope("export posts --platform bluesky " + c);
    REQUIRE(r.exit_code == 0);
    CHECK(parse_csv(r.out).size() == 1);  // the header alone
  }

  SUBCASE("metrics with period dates and the municipality's facts") {
    const auto r = run_muniscope("export metrics --by month --format csv " + c);
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    const auto rows = parse_csv(r.out);
    REQUIRE(rows.size() >= 2);
    const auto& h = rows[0];
    for (const char* col : {"municipality", "municipality_name", "ags", "land", "period",
                            "period_start", "period_end", "own_posts", "coverage"}) {
      CAPTURE(col);
      CHECK(std::find(h.begin(), h.end(), col) != h.end());
    }
    const size_t start = std::find(h.begin(), h.end(), "period_start") - h.begin();
    CHECK(rows[1][start].size() == 10);  // YYYY-MM-DD
    CHECK(rows[1][2] == "01001000");
  }

  SUBCASE("parquet is refused with the reason, unknown platforms with a hint") {
    auto r = run_muniscope("export posts --format parquet " + c);
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("Apache Arrow") != std::string::npos);
    r = run_muniscope("export posts --platform mastdon " + c);
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("did you mean 'mastodon'") != std::string::npos);
  }
}
