// End to end: `muniscope poll --once` against a loopback Mastodon instance and
// Bluesky AppView whose activity is known exactly, then `muniscope survey
// check` of a prepared answers file, asserting each verdict. The survey's
// dates are relative to today so the world never ages out of the test.
#include <doctest/doctest.h>

#include <map>

#include "core/clock.h"
#include "core/json.h"
#include "core/time_util.h"
#include "loopback_platforms.h"
#include "loopback_server.h"
#include "test_support.h"

using namespace muni;
using namespace muni::test;

namespace {

const char* kStadtDid = "did:plc:stadtmuster234567abcdefg";

std::string day(int64_t days) { return format_civil_date(civil_from_days(days)); }

// Mastodon ids are Snowflakes: milliseconds << 16. The connector reads the
// parent's time from in_reply_to_id this way.
std::string snowflake(TimeMs t) { return std::to_string(static_cast<uint64_t>(t) << 16); }

}  // namespace

TEST_CASE("e2e survey: poll a known world, then check prepared answers verdict by verdict") {
  const TimeMs now = SystemClock().now();
  const int64_t today = now / kDayMs;
  const TimeMs noon_today = today * kDayMs + 12 * kHourMs;

  LoopbackPlatforms platforms;
  FakeMastodon& mastodon = platforms.mastodon;
  FakeBluesky& bluesky = platforms.bluesky;
  const LoopbackServer& mastodon_server = platforms.mastodon_server;
  const LoopbackServer& appview = platforms.appview;

  // musterstadt: the town hall posts every day for 250 days and answers a
  // citizen every fifth day, three hours after the question. (The fake
  // Mastodon reports the account as created on 2022-11-08.)
  mastodon.add_account("rathaus", "110000000000000001", 2000);
  for (int d = 250; d >= 1; --d) {
    const TimeMs t = noon_today - d * kDayMs;
    mastodon.add_status("rathaus", t, PostKind::kOriginal);
    if (d % 5 == 0) {
      mastodon.add_status("rathaus", t + kHourMs, PostKind::kReplyOther, snowflake(t - 2 * kHourMs),
                          "109000000000000042");
    }
  }
  // ... and on Bluesky (profile created 2025-02-03) twenty posts.
  bluesky.add_account(kStadtDid, "stadt.muster.example", 800);
  for (int i = 0; i < 20; ++i)
    bluesky.add_post(kStadtDid, noon_today - (190 - 7 * i) * kDayMs, PostKind::kOriginal);
  // dorf: four posts in the reference period, never a reply.
  mastodon.add_account("dorf", "110000000000000002", 150);
  for (const int d : {190, 150, 100, 50})
    mastodon.add_status("dorf", noon_today - d * kDayMs, PostKind::kOriginal);

  TempDir dir;
  const std::string m = mastodon_server.base_url();
  write_file(
      dir.file("muniscope.yaml"),
      "defaults:\n  contact: mailto:test@example.org\n  allow_private_addresses: true\n  timezone: UTC\n"
      "platforms:\n  bluesky:\n    base_url: " +
          appview.base_url() +
          "\n"
          "municipalities:\n"
          "  - {id: musterstadt, name: Stadt Musterstadt, ags: \"08231000\", kind: kreisfreie "
          "Stadt, state: BW,\n"
          "     accounts: [{platform: mastodon, handle: \"" +
          m +
          "/@rathaus\"}, {platform: bluesky, handle: stadt.muster.example}]}\n"
          "  - {id: dorf, name: Gemeinde Dorf, ags: \"08231001\", kind: Gemeinde, state: BW,\n"
          "     accounts: [{platform: mastodon, handle: \"" +
          m +
          "/@dorf\"}]}\n"
          "  - {id: fbstadt, name: Stadt F, ags: \"08231003\", kind: Gemeinde, state: BW,\n"
          "     accounts: [{platform: facebook, handle: fbstadt}]}\n");
  const std::string common = " -c " + dir.file("muniscope.yaml") + " --db " + dir.file("s.db");
  auto poll = run_muniscope("poll --once --all" + common);
  REQUIRE_MESSAGE(poll.exit_code == 0, poll.out << poll.err);

  // Reference period: days -200..-31; fieldwork: days -30..-20.
  write_file(
      dir.file("codebook.yaml"),
      "survey:\n  name: e2e\n"
      "  fieldwork: {from: " +
          day(today - 30) + ", to: " + day(today - 20) +
          "}\n"
          "  reference_period: {from: " +
          day(today - 200) + ", to: " + day(today - 31) +
          "}\n"
          "  id_column: ags\n  id_type: ags\n  missing: [\"\", k.A.]\n"
          "label_sets:\n  jn: {yes: [ja], no: [nein]}\n"
          "  zustimmung: {\"1\": [trifft gar nicht zu], \"3\": [teils/teils], \"5\": [trifft voll "
          "zu]}\n"
          "items:\n"
          "  - {column: nutzt, type: uses_social_media, labels: jn}\n"
          "  - {column: mastodon, type: uses_platform, platform: mastodon, labels: jn}\n"
          "  - {column: bluesky, type: uses_platform, platform: bluesky, labels: jn}\n"
          "  - {column: facebook, type: uses_platform, platform: facebook, labels: jn}\n"
          "  - column: seit\n    type: active_since\n    classes:\n"
          "      - {code: unter_1, label: \"< 1 Jahr\", from: 0, to: 1}\n"
          "      - {code: 1_4, label: \"1-4 Jahre\", from: 1, to: 4}\n"
          "      - {code: ueber_4, label: \"> 4 Jahre\", from: 4}\n"
          "  - column: haeufigkeit\n    type: posting_frequency\n    classes:\n"
          "      - {code: selten, label: selten, from: 0, to: 0.25}\n"
          "      - {code: monatlich, label: monatlich, from: 0.25, to: 1}\n"
          "      - {code: woechentlich, label: wöchentlich, from: 1, to: 5}\n"
          "      - {code: taeglich, label: täglich, from: 5}\n"
          "  - {column: antwortet, type: responds_to_citizens, labels: zustimmung, threshold: 4}\n"
          "  - column: antwortzeit\n    type: response_time\n    classes:\n"
          "      - {code: 1h, label: innerhalb einer Stunde, from: 0, to: 1}\n"
          "      - {code: tag, label: am selben Tag, from: 1, to: 24}\n"
          "      - {code: laenger, label: länger, from: 24}\n"
          "  - {column: plan_bluesky, type: planned_platform, platform: bluesky, horizon: 730d, "
          "labels: jn}\n");
  // 09999999 is not configured; fbstadt's 'vielleicht' is not a label.
  write_file(
      dir.file("answers.csv"),
      "ags;nutzt;mastodon;bluesky;facebook;seit;haeufigkeit;antwortet;antwortzeit;plan_bluesky\n"
      "08231000;ja;ja;ja;nein;> 4 Jahre;täglich;trifft voll zu;am selben Tag;nein\n"
      "08231001;ja;ja;nein;nein;< 1 Jahr;wöchentlich;trifft voll zu;innerhalb einer Stunde;ja\n"
      "08231003;ja;nein;k.A.;ja;vielleicht;selten;teils/teils;länger;nein\n"
      "09999999;ja;ja;ja;ja;> 4 Jahre;täglich;teils/teils;länger;nein\n");

  auto r = run_muniscope("survey check " + dir.file("answers.csv") + " --codebook " +
                         dir.file("codebook.yaml") + " --format json" + common);
  CHECK_MESSAGE(r.exit_code == 1, r.err);  // answers that could not be mapped
  CHECK(r.err.find("answers.csv:4: seit: value 'vielleicht' is not in the value labels") !=
        std::string::npos);
  CHECK(
      r.err.find("answers.csv:5: ags: AGS '09999999' is not in the registry") !=
      std::string::npos);
  CHECK(r.err.find("answers.csv:4:") < r.err.find("answers.csv:5:"));  // in file order
  auto doc = parse_json(r.out);
  REQUIRE_MESSAGE(doc.ok(), r.out);
  const JsonValue& root = **doc;
  std::map<std::string, std::string> verdict;  // "municipality/item" -> verdict
  std::map<std::string, std::string> observed;
  const JsonValue* results = json_array(root, "results");
  REQUIRE(results != nullptr);
  for (const JsonValue& row : results->GetArray()) {
    const std::string key = *json_string(row, "municipality") + "/" + *json_string(row, "item");
    verdict[key] = *json_string(row, "verdict");
    if (auto o = json_string(row, "observed")) observed[key] = *o;
  }
  CHECK(verdict.size() == 27);  // three municipalities, nine items

  // musterstadt answered truthfully throughout.
  CHECK(verdict["musterstadt/nutzt"] == "consistent");
  CHECK(verdict["musterstadt/mastodon"] == "consistent");
  CHECK(verdict["musterstadt/bluesky"] == "consistent");
  // No Facebook connector: not observable, never a mismatch either way.
  CHECK(verdict["musterstadt/facebook"] == "not_observable");
  CHECK(verdict["musterstadt/seit"] == "consistent");
  CHECK(verdict["musterstadt/haeufigkeit"] == "consistent");
  CHECK(observed["musterstadt/haeufigkeit"].rfind("taeglich", 0) == 0);
  CHECK(verdict["musterstadt/antwortet"] == "consistent");
  CHECK(verdict["musterstadt/antwortzeit"] == "consistent");
  CHECK(observed["musterstadt/antwortzeit"] == "tag (median 3.0 h)");
  CHECK(verdict["musterstadt/plan_bluesky"] ==
        "consistent");  // no plan: the account already existed

  // dorf overclaims.
  CHECK(verdict["dorf/nutzt"] == "consistent");
  CHECK(verdict["dorf/mastodon"] == "consistent");
  CHECK(verdict["dorf/bluesky"] == "consistent");
  CHECK(verdict["dorf/seit"] == "contradicted");  // observed since 2022
  CHECK(verdict["dorf/haeufigkeit"] == "contradicted");
  CHECK(observed["dorf/haeufigkeit"].rfind("selten", 0) == 0);
  CHECK(verdict["dorf/antwortet"] == "not_corroborated");
  CHECK(verdict["dorf/antwortzeit"] == "not_observable");  // no replies to time
  CHECK(verdict["dorf/plan_bluesky"] ==
        "insufficient_coverage");  // the two-year horizon is still running

  // fbstadt: only a Facebook account, which has no connector yet.
  CHECK(verdict["fbstadt/nutzt"] == "not_observable");
  CHECK(verdict["fbstadt/facebook"] == "not_observable");
  CHECK(verdict["fbstadt/mastodon"] == "consistent");
  CHECK(verdict["fbstadt/bluesky"] == "missing");
  CHECK(verdict["fbstadt/seit"] == "invalid_answer");

  // Overall: musterstadt and fbstadt (whose only decided items, mastodon and
  // plan_bluesky, agree) are fully consistent; dorf is not.
  const JsonValue* overall = json_object(root, "overall");
  REQUIRE(overall != nullptr);
  CHECK(json_int(*overall, "municipalities_checked") == 3);
  CHECK(json_int(*overall, "municipalities_consistent") == 2);

  // The same check as CSV and HTML works and writes to a file.
  auto csv = run_muniscope("survey check " + dir.file("answers.csv") + " --codebook " +
                           dir.file("codebook.yaml") + " --format csv --view items -o " +
                           dir.file("items.csv") + common);
  CHECK(csv.exit_code == 1);
  CHECK(read_file(dir.file("items.csv")).rfind("item,type,observable,answered,n,unclassified,agreement,kappa", 0) == 0);
  // The confusion matrices as rows; their counts sum to each item's n.
  auto confusion = run_muniscope("survey check " + dir.file("answers.csv") + " --codebook " +
                                 dir.file("codebook.yaml") + " --format csv --view confusion" +
                                 common);
  CHECK(confusion.out.rfind("item,claimed,observed,count\r\n", 0) == 0);
  CHECK(confusion.out.find("\r\nmastodon,yes,yes,") != std::string::npos);
  // Results carry the observed number and its unit apart from the text.
  auto results_csv = run_muniscope("survey check " + dir.file("answers.csv") + " --codebook " +
                               dir.file("codebook.yaml") + " --format csv --view results" + common);
  CHECK(results_csv.out.find("observed,observed_value,observed_unit,verdict") != std::string::npos);
  CHECK(results_csv.out.find(",posts/week,") != std::string::npos);
  auto html = run_muniscope("survey check " + dir.file("answers.csv") + " --codebook " +
                            dir.file("codebook.yaml") + " --format html" + common);
  CHECK(html.out.find("<h2>Agreement per item</h2>") != std::string::npos);
}
