// The survey check: agreement statistics against hand-computed values, the
// codebook and CSV readers, and every item type and verdict on a hand-built
// store.
#include <doctest/doctest.h>

#include <cmath>

#include "survey/agreement.h"
#include "survey/check.h"
#include "survey/codebook.h"
#include "test_support.h"

using namespace muni;
using namespace muni::survey;
using muni::test::at;
using muni::test::TempDir;
using muni::test::write_file;

TEST_CASE("survey: Cohen's kappa and its 95 % interval, worked by hand") {
  // 50 municipalities; claimed (rows) x observed (columns), yes/no:
  //   20  5
  //   10 15
  // p_o = 35/50 = 0.70; margins rows .5/.5, columns .6/.4; p_e = .5*.6 + .5*.4 = .50;
  // kappa = (.70 - .50) / (1 - .50) = 0.40.
  // Fleiss-Cohen-Everitt (1969) variance:
  //   A = .4(1 - (.5+.6)(.6))^2 + .3(1 - (.5+.4)(.6))^2 = .4(.34)^2 + .3(.46)^2 = .04624 + .06348 =
  //   .10972 B = (.6)^2 [.1(.6+.5)^2 + .2(.4+.5)^2] = .36 (.121 + .162) = .10188 C = (.40 - .50 *
  //   .60)^2 = .01 var = (A + B - C) / (50 (.5)^2) = .2016 / 12.5 = .016128; SE = .12700
  // 95 %: .40 +/- 1.96 * .12700 = [.1511, .6489]
  auto k = kappa({{20, 5}, {10, 15}}, Weights::kNone);
  REQUIRE(k.has_value());
  CHECK(k->n == 50);
  CHECK(k->observed_agreement == doctest::Approx(0.70));
  CHECK(k->expected_agreement == doctest::Approx(0.50));
  CHECK(k->kappa == doctest::Approx(0.40));
  CHECK(k->se == doctest::Approx(0.12700).epsilon(0.0005));
  CHECK(k->ci_low == doctest::Approx(0.1511).epsilon(0.001));
  CHECK(k->ci_high == doctest::Approx(0.6489).epsilon(0.001));
}

TEST_CASE("survey: weighted kappa (linear weights) for ordered classes, worked by hand") {
  // 40 answers in three ordered classes:
  //   10 3  1
  //    2 8  3
  //    1 2 10
  // Weights 1 on the diagonal, .5 one class apart, 0 two apart.
  // p_o(w) = (28 + .5*10)/40 = .825
  // rows .35/.325/.325, columns .325/.325/.35:
  // p_e(w) = sum w_ij r_i c_j = .5525; kappa_w = (.825 - .5525)/(1 - .5525) = .60894
  // FCE variance with these weights: SE = .10342 (worked term by term: see
  // docs/survey.md, "Statistics").
  auto k = kappa({{10, 3, 1}, {2, 8, 3}, {1, 2, 10}}, Weights::kLinear);
  REQUIRE(k.has_value());
  CHECK(k->observed_agreement == doctest::Approx(0.825));
  CHECK(k->expected_agreement == doctest::Approx(0.5525));
  CHECK(k->kappa == doctest::Approx(0.608939).epsilon(0.0001));
  CHECK(k->se == doctest::Approx(0.103423).epsilon(0.0005));
  // Unweighted on the same table: p_o = .70, p_e = .333125, kappa = .55014.
  auto u = kappa({{10, 3, 1}, {2, 8, 3}, {1, 2, 10}}, Weights::kNone);
  CHECK(u->kappa == doctest::Approx(0.550141).epsilon(0.0001));
  // Perfect agreement, and undefined cases.
  CHECK(kappa({{5, 0}, {0, 5}}, Weights::kNone)->kappa == doctest::Approx(1.0));
  CHECK_FALSE(kappa({{0, 0}, {0, 0}}, Weights::kNone).has_value());
  CHECK_FALSE(kappa({{0, 0}, {0, 7}}, Weights::kNone).has_value());  // chance agreement is 1
}

TEST_CASE("survey: kappa intervals stay within [-1, 1], degenerate items are undefined with a reason") {
  // Small n, high agreement: the Wald interval would pass 1.
  const Matrix high = {{4, 0}, {1, 3}};
  const auto k = kappa(high, Weights::kNone);
  REQUIRE(k.has_value());
  CHECK(k->kappa + 1.96 * k->se > 1.0);
  CHECK(k->ci_high == 1.0);
  CHECK(k->ci_low >= -1.0);
  bool any_outside = false;
  for (int a = 0; a < 5; ++a) {
    for (int b = 0; b < 5; ++b) {
      for (int c = 0; c < 5; ++c) {
        for (int d = 0; d < 5; ++d) {
          const auto kk = kappa({{double(a), double(b)}, {double(c), double(d)}}, Weights::kNone);
          if (kk) any_outside |= kk->ci_low < -1.0 || kk->ci_high > 1.0;
        }
      }
    }
  }
  CHECK_FALSE(any_outside);
  // Every answer "yes": kappa is 0 by construction and means nothing.
  const Matrix all_yes = {{0, 0}, {1, 1}};
  CHECK_FALSE(kappa(all_yes, Weights::kNone).has_value());
  CHECK(kappa_undefined_reason(all_yes, {"no", "yes"}) ==
        "every answer is 'yes': agreement beyond chance cannot be measured");
  CHECK(kappa_undefined_reason({{1, 0}, {1, 0}}, {"no", "yes"}) ==
        "every observation is 'no': agreement beyond chance cannot be measured");
  CHECK(kappa_undefined_reason({{0, 0}, {0, 0}}, {"no", "yes"}) == "no decided pairs");
  CHECK(kappa_undefined_reason(high, {"no", "yes"}) == "");
}

TEST_CASE("survey: numeric agreement") {
  const auto a = numeric_agreement({2010, 2012, 2015, 2018}, {2011, 2012, 2014, 2019});
  CHECK(a.n == 4);
  CHECK(a.mean_difference == doctest::Approx(-0.25));
  CHECK(*a.pearson_r == doctest::Approx(0.96).epsilon(0.01));
  CHECK_FALSE(numeric_agreement({1, 2}, {1, 2}).pearson_r.has_value());  // fewer than 3 pairs
}

TEST_CASE("survey: answers files: delimiters, quotes, BOM and broken rows") {
  auto a = parse_answers(
      "\xEF\xBB\xBFid;name;list\nm1;\"Stadt; mit Semikolon\";\"a; b\"\nm2;\"Sagt \"\"ja\"\"\";x\n",
      "a.csv", 0);
  REQUIRE(a.ok());
  CHECK(a->delimiter == ';');
  CHECK(a->columns == std::vector<std::string>{"id", "name", "list"});
  REQUIRE(a->rows.size() == 2);
  CHECK(a->rows[0].cells.at("name") == "Stadt; mit Semikolon");
  CHECK(a->rows[1].cells.at("name") == "Sagt \"ja\"");
  CHECK(a->rows[1].line == 3);
  auto c = parse_answers("id,q\r\nm1,\"multi\nline\"\r\nm2,y\r\n", "c.csv", 0);
  REQUIRE(c.ok());
  CHECK(c->delimiter == ',');
  CHECK(c->rows[0].cells.at("q") == "multi\nline");
  CHECK(c->rows[1].line == 4);
  auto bad = parse_answers("id,q\nm1,a,b\n", "bad.csv", 0);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().message == "bad.csv:2: 3 fields, the header has 2 (delimiter ',')");
  CHECK_FALSE(parse_answers("id,q\nm1,\"open\n", "o.csv", 0).ok());
  // Leading comment lines are skipped and do not shift line numbers; a comma
  // in a comment does not sway delimiter detection.
  auto commented =
      parse_answers("# fictional, for tests, only\n# second\nid;q\nm1;x;y\n", "k.csv", 0);
  REQUIRE_FALSE(commented.ok());
  CHECK(commented.error().message == "k.csv:4: 3 fields, the header has 2 (delimiter ';')");
}

TEST_CASE("survey: codebook errors name file, line and key") {
  auto load = load_codebook_from_string(R"(survey:
  name: t
  fieldwork: {from: 2025-01-01, to: 2025-01-31}
  reference_period: {from: 2024-01-01, to: 2024-12-31}
  id_column: id
items:
  - {column: a, type: uses_platform, labels: {yes: [ja], no: [nein]}}
  - {column: b, type: maybe_later, labels: {yes: [ja]}}
  - {column: c, type: posting_frequency}
  - {column: d, type: uses_platform, platform: myspace, labels: {jein: [x]}}
  - {column: e, type: uses_category, category: microblog, labels: unknown_set}
)",
                                        "cb.yaml");
  CHECK_FALSE(load.codebook.has_value());
  auto has = [&](const std::string& needle) {
    for (const auto& e : load.errors) {
      if (e.format().find(needle) != std::string::npos) return true;
    }
    return false;
  };
  CHECK(has("cb.yaml:7:5: items[0].platform: is required for uses_platform"));
  CHECK(has("items[1].type: unknown item type 'maybe_later'"));
  CHECK(has("items[2].classes: is required for posting_frequency"));
  CHECK(has("items[3].platform: unknown platform 'myspace'"));
  CHECK(has("codes of a yes/no item are yes and no, got 'jein'"));
  CHECK(has("no label set 'unknown_set'"));
  // Misspelt and missing keys: a hint, and the position of the mapping that
  // lacks the key.
  auto typo = load_codebook_from_string(
      "survey:\n  name: t\n  fieldwork: {from: 2025-01-01, to: 2025-01-31}\n"
      "  reference_period: {from: 2024-01-01, to: 2024-12-31}\n  id_colum: id\n"
      "items:\n  - {type: goal, labels: {yes: [ja]}}\n",
      "t.yaml");
  CHECK_FALSE(typo.codebook.has_value());
  auto typo_has = [&](const std::string& needle) {
    for (const auto& e : typo.errors) {
      if (e.format() == needle) return true;
    }
    return false;
  };
  CHECK(typo_has(
      "t.yaml:5:3: survey.id_colum: unknown key 'id_colum' (did you mean 'id_column'?); known "
      "keys here: name, fieldwork, reference_period, id_column, id_type, delimiter, missing, "
      "min_coverage, timezone, encoding"));
  CHECK(typo_has("t.yaml:2:3: survey.id_column: is required"));
  CHECK(typo_has("t.yaml:7:5: items[0].column: is required"));
  // The shipped codebook is valid.
  auto shipped = load_codebook(test::source_dir() + "/config/survey/kgst2016.codebook.yaml");
  for (const auto& e : shipped.errors) FAIL_CHECK(e.format());
  CHECK(shipped.codebook->items.size() == 14);
}

namespace {

// A store with five municipalities whose 2024 activity is known exactly.
struct SurveyWorld {
  test::TempDir dir;
  std::unique_ptr<Store> store;
  std::map<std::string, int64_t> ids;

  SurveyWorld() {
    store = std::move(*Store::open(dir.file("s.db"), OpenMode::kReadWrite));
    const std::string yaml = R"(defaults: {contact: t@example.org}
municipalities:
  - {id: aktiv, name: A, ags: "08231000", kind: kreisfreie Stadt, state: BW,
     accounts: [{platform: mastodon, handle: a@m.example}, {platform: bluesky, handle: a.bsky.example}]}
  - {id: ruhig, name: R, ags: "08231001", kind: Gemeinde, state: BW, accounts: [{platform: mastodon, handle: r@m.example}]}
  - {id: ohne, name: O, ags: "08231002", kind: Gemeinde, state: BW}
  - {id: fb, name: F, ags: "08231003", kind: Gemeinde, state: BW, accounts: [{platform: facebook, handle: fbstadt}]}
  - {id: luecke, name: L, ags: "08231004", kind: Gemeinde, state: BW, accounts: [{platform: mastodon, handle: l@m.example}]}
)";
    ConfigLoad load = load_config_from_string(yaml, "w.yaml");
    REQUIRE(load.config.has_value());
    REQUIRE(store->sync_config(*load.config, 1).ok());
    auto accounts = store->load_accounts(true);
    REQUIRE(accounts.ok());
    for (const auto& acc : *accounts) ids[acc.account_key] = acc.id;

    // aktiv/mastodon: since June 2019; in 2024 two originals a week (104) and
    // 26 replies to citizens answered 2 hours after the question.
    const int64_t a = ids["mastodon:a@m.example"];
    Page page;
    page.batch.snapshot = AccountSnapshot{};
    page.batch.snapshot->created_at = at("2019-06-01T00:00:00Z");
    page.batch.snapshot->followers = 1000;
    for (int w = 0; w < 52; ++w) {
      for (int k = 0; k < 2; ++k)
        page.batch.posts.push_back(post("a" + std::to_string(w * 2 + k),
                                        at("2024-01-02T10:00:00Z") + w * kWeekMs + k * kDayMs));
      if (w % 2 == 0) {
        PostRecord r = post("ar" + std::to_string(w), at("2024-01-03T12:00:00Z") + w * kWeekMs,
                            PostKind::kReplyOther);
        r.parent_author_id = "citizen";
        r.parent_created_at = r.created_at - 2 * kHourMs;
        page.batch.posts.push_back(r);
      }
    }
    page.backfill_state = BackfillState::kComplete;
    REQUIRE(store->commit_page(a, page, at("2023-12-01T00:00:00Z")).ok());
    cover(a, "2023-12-01T00:00:00Z", "2026-05-01T00:00:00Z");
    // aktiv/bluesky: appears in June 2025, after the survey.
    const int64_t ab = ids["bluesky:a.bsky.example"];
    Page bp;
    bp.batch.snapshot = AccountSnapshot{};
    bp.batch.snapshot->created_at = at("2025-06-01T00:00:00Z");
    bp.batch.posts.push_back(post("b1", at("2025-06-02T10:00:00Z")));
    bp.backfill_state = BackfillState::kComplete;
    REQUIRE(store->commit_page(ab, bp, at("2025-06-03T00:00:00Z")).ok());
    cover(ab, "2025-06-03T00:00:00Z", "2026-05-01T00:00:00Z");

    // ruhig: since March 2023, six originals in 2024, never a reply.
    const int64_t r = ids["mastodon:r@m.example"];
    Page rp;
    rp.batch.snapshot = AccountSnapshot{};
    rp.batch.snapshot->created_at = at("2023-03-01T00:00:00Z");
    for (int i = 0; i < 6; ++i)
      rp.batch.posts.push_back(
          post("r" + std::to_string(i), at("2024-02-01T09:00:00Z") + i * 60 * kDayMs));
    rp.backfill_state = BackfillState::kComplete;
    REQUIRE(store->commit_page(r, rp, at("2023-03-02T00:00:00Z")).ok());
    cover(r, "2023-03-02T00:00:00Z", "2026-05-01T00:00:00Z");

    // fb: a Facebook account, no connector yet.
    AccountRuntime unsupported;
    unsupported.state = AccountState::kUnsupported;
    REQUIRE(store->save_account_runtime(ids["facebook:fbstadt"], unsupported, 1).ok());

    // luecke: polled only since November 2024, history not backfilled.
    const int64_t l = ids["mastodon:l@m.example"];
    Page lp;
    lp.batch.posts.push_back(post("l1", at("2024-11-05T10:00:00Z")));
    lp.batch.posts.push_back(post("l2", at("2024-12-05T10:00:00Z")));
    REQUIRE(store->commit_page(l, lp, at("2024-11-01T00:00:00Z")).ok());
    cover(l, "2024-11-01T00:00:00Z", "2026-05-01T00:00:00Z");
  }

  static PostRecord post(const std::string& id, TimeMs t, PostKind kind = PostKind::kOriginal) {
    PostRecord p;
    p.platform_post_id = id;
    p.created_at = t;
    p.kind = kind;
    return p;
  }
  void cover(int64_t account, const char* from, const char* to) {
    for (TimeMs t = at(from); t <= at(to); t += kDayMs)
      REQUIRE(store->extend_coverage(account, t, 3 * kDayMs).ok());
  }
};

const char* kCodebook = R"(survey:
  name: test survey
  fieldwork: {from: 2025-01-01, to: 2025-01-31}
  reference_period: {from: 2024-01-01, to: 2024-12-31}
  id_column: id
  id_type: id
label_sets:
  yn: {yes: [ja], no: [nein]}
  scale: {"1": [], "2": [], "3": [], "4": [], "5": []}
items:
  - {column: uses_sm, type: uses_social_media, labels: yn}
  - {column: uses_masto, type: uses_platform, platform: mastodon, labels: yn}
  - {column: uses_fb, type: uses_platform, platform: facebook, labels: yn}
  - column: cats
    type: category_list
    labels: {microblog: [Mikroblogs], social_network: [Soziale Netzwerke], none: [keine]}
  - column: since
    type: active_since
    tolerance_years: 1
    classes:
      - {code: lt1, label: ["< 1 Jahr"], from: 0, to: 1}
      - {code: 1to2, label: ["1-2 Jahre"], from: 1, to: 2}
      - {code: 2to4, label: ["2-4 Jahre"], from: 2, to: 4}
      - {code: gt4, label: ["> 4 Jahre"], from: 4}
  - {column: since_year, type: active_since, answer: year, tolerance_years: 1}
  - column: freq
    type: posting_frequency
    classes:
      - {code: rare, label: [selten], from: 0, to: 0.25}
      - {code: monthly, label: [monatlich], from: 0.25, to: 1}
      - {code: weekly, label: [wöchentlich], from: 1, to: 5}
      - {code: daily, label: [täglich], from: 5}
  - column: freq_num
    type: posting_frequency
    answer: number
    classes:
      - {code: rare, from: 0, to: 0.25}
      - {code: monthly, from: 0.25, to: 1}
      - {code: weekly, from: 1, to: 5}
      - {code: daily, from: 5}
  - {column: responds, type: responds_to_citizens, labels: scale, threshold: 4}
  - column: rtime
    type: response_time
    classes:
      - {code: hour, label: [innerhalb einer Stunde], from: 0, to: 1}
      - {code: day, label: [am selben Tag], from: 1, to: 24}
      - {code: days3, label: [innerhalb von drei Tagen], from: 24, to: 72}
      - {code: longer, label: [länger], from: 72}
  - {column: goal, type: goal, goal: dialogue, labels: scale, threshold: 4}
  - {column: plan_bsky, type: planned_platform, platform: bluesky, horizon: 365d, labels: yn}
  - {column: uses_mb, type: uses_category, category: microblog, labels: yn}
  - {column: dialog, type: dialogue_goal, labels: scale, threshold: 4}
)";

const char* kAnswers =
    "id;uses_sm;uses_masto;uses_fb;cats;since;since_year;freq;freq_num;responds;rtime;goal;plan_"
    "bsky;uses_mb;dialog\n"
    "aktiv;ja;ja;nein;Mikroblogs;2-4 Jahre;2019;wöchentlich;2,5;5;am selben Tag;5;ja;ja;5\n"
    "ruhig;ja;nein;nein;;2-4 Jahre;2015;täglich;7;4;innerhalb einer Stunde;5;nein;nein;2\n"
    "ohne;ja;vielleicht;nein;keine;> 4 Jahre;;selten;7;1;;1;ja;nein;\n"
    "fb;ja;nein;ja;Soziale Netzwerke;;;;;;;;;;\n"
    "luecke;nein;ja;nein;Mikroblogs;;;monatlich;;;;;;ja;\n"
    "atlantis;ja;ja;ja;;;;;;;;;;;\n";

}  // namespace

namespace {

// A codebook head and one item; the item text goes under items:.
CodebookLoad one_item(const std::string& item, const std::string& survey_extra = "") {
  return load_codebook_from_string(
      "survey:\n  name: t\n  fieldwork: {from: 2025-01-01, to: 2025-01-31}\n"
      "  reference_period: {from: 2024-01-01, to: 2024-12-31}\n  id_column: id\n" +
          survey_extra + "items:\n" + item,
      "cb.yaml");
}

bool has_error(const CodebookLoad& load, const std::string& needle) {
  for (const auto& e : load.errors) {
    if (e.format().find(needle) != std::string::npos) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("survey: codebooks that would mislead are refused with file, line and key") {
  const std::string freq_head = "  - column: f\n    type: posting_frequency\n    classes:\n";
  // A gap: 1.78 posts per week would fall between "monthly" and "weekly".
  auto gap = one_item(freq_head +
                      "      - {code: rarely, to: 1}\n      - {code: weekly, from: 2, to: 7}\n"
                      "      - {code: daily, from: 7}\n");
  CHECK_FALSE(gap.codebook.has_value());
  CHECK(has_error(gap, "cb.yaml:11:9: items[0].classes[1].from: gap between 1 and 2"));
  auto overlap = one_item(freq_head +
                          "      - {code: rarely, to: 2}\n      - {code: weekly, from: 1}\n");
  CHECK(has_error(overlap, "items[0].classes[1].from: overlaps rarely"));
  auto not_zero = one_item(freq_head + "      - {code: weekly, from: 1}\n");
  CHECK(has_error(not_zero, "the first class must start at 0"));
  auto closed = one_item(freq_head + "      - {code: rarely, to: 1}\n      - {code: often, from: 1, to: 50}\n");
  CHECK(has_error(closed, "items[0].classes[1].to: the last class must be open"));
  // A label whose code is no class of the item.
  auto label = one_item(freq_head + "      - {code: rarely, to: 1}\n      - {code: often, from: 1}\n"
                                    "    labels: {weekly: [wöchentlich]}\n");
  CHECK(has_error(label, "items[0].labels: code 'weekly' is not a class of this item (classes: "
                        "rarely, often)"));
  // Numeric keys are range-checked.
  auto zero = one_item(
      "  - {column: r, type: response_time, min_timed_replies: 0, classes: [{code: fast}]}\n");
  CHECK(has_error(zero, "items[0].min_timed_replies: must be a whole number from 1 to 100000"));
  auto share = one_item(
      "  - {column: r, type: responds_to_citizens, reply_share_threshold: 1.5, labels: {yes: [ja], "
      "no: [nein]}}\n");
  CHECK(has_error(share, "items[0].reply_share_threshold: must be a number from 0 to 1"));
  auto coverage = one_item("  - {column: a, type: uses_social_media, labels: {yes: [ja]}}\n",
                           "  min_coverage: 80\n");
  CHECK(has_error(coverage, "survey.min_coverage: must be a share between 0 and 1"));
  // A key the item type does not read.
  auto inapplicable = one_item(
      "  - {column: f, type: posting_frequency, min_timed_replies: 3, classes: [{code: any}]}\n");
  CHECK(has_error(inapplicable,
                  "items[0].min_timed_replies: does not apply to posting_frequency items (read "
                  "by: response_time)"));
  // Two items on one column.
  auto twice = one_item(
      "  - {column: a, type: uses_platform, platform: mastodon, labels: {yes: [ja], no: [nein]}}\n"
      "  - {column: a, type: uses_platform, platform: bluesky, labels: {yes: [ja], no: [nein]}}\n");
  CHECK(has_error(twice, "items[1].column: column 'a' is already item 0"));
  // The codebook's own time zone must exist.
  auto zone = one_item("  - {column: a, type: uses_social_media, labels: {yes: [ja]}}\n",
                       "  timezone: Europe/Atlantis\n");
  CHECK(has_error(zone, "survey.timezone: unknown time zone 'Europe/Atlantis'"));
  auto good_zone = one_item("  - {column: a, type: uses_social_media, labels: {yes: [ja]}}\n",
                            "  timezone: America/New_York\n  encoding: windows-1252\n");
  REQUIRE(good_zone.codebook.has_value());
  CHECK(good_zone.codebook->timezone == "America/New_York");
  CHECK(good_zone.codebook->encoding == TextEncoding::kWindows1252);
  // The shipped codebook passes every rule.
  auto shipped = load_codebook(test::source_dir() + "/config/survey/kgst2016.codebook.yaml");
  for (const auto& e : shipped.errors) MESSAGE(e.format());
  CHECK(shipped.codebook.has_value());
}

TEST_CASE("survey: answers are compared case-folded beyond ASCII") {
  auto load = one_item(
      "  - column: f\n    type: posting_frequency\n    classes:\n"
      "      - {code: rarely, to: 1, label: [selten]}\n"
      "      - {code: weekly, from: 1, label: [wöchentlich]}\n");
  REQUIRE(load.codebook.has_value());
  const auto& labels = load.codebook->items[0].labels;
  CHECK(labels.count(fold_case("WÖCHENTLICH")) == 1);
  CHECK(fold_case("WÖCHENTLICH") == "wöchentlich");
  CHECK(fold_case("STRAẞE Äußerst") == "straße äußerst");
  CHECK(fold_case("×") == "×");  // the multiplication sign has no lower case
}

TEST_CASE("survey: answers files from Excel: Windows-1252, UTF-16, duplicate columns") {
  TempDir dir;
  // German Excel's "CSV (Trennzeichen-getrennt)": Windows-1252, semicolons.
  write_file(dir.file("cp1252.csv"), std::string("id;haeufigkeit\nm1;t\xE4glich\nm2;\x84ja\x93\n"));
  auto a = read_answers(dir.file("cp1252.csv"), 0);
  REQUIRE(a.ok());
  CHECK(a->encoding == TextEncoding::kWindows1252);
  CHECK(a->rows[0].cells.at("haeufigkeit") == "täglich");
  CHECK(a->rows[1].cells.at("haeufigkeit") == "„ja“");
  // Said to be UTF-8, it is refused with the line and advice, never misread.
  auto strict = read_answers(dir.file("cp1252.csv"), 0, TextEncoding::kUtf8);
  REQUIRE_FALSE(strict.ok());
  CHECK(strict.error().message.find("cp1252.csv:2: not valid UTF-8") != std::string::npos);
  // Excel's "Unicode text": UTF-16 little endian with a byte-order mark.
  std::string utf16 = "\xFF\xFE";
  for (const char c : std::string("id,q\nm1,ja\n")) {
    utf16 += c;
    utf16 += '\0';
  }
  write_file(dir.file("utf16.csv"), utf16);
  auto u = read_answers(dir.file("utf16.csv"), 0);
  REQUIRE(u.ok());
  CHECK(u->encoding == TextEncoding::kUtf16);
  CHECK(u->rows[0].cells.at("q") == "ja");
  // Without the byte-order mark: refused, not "17 fields, the header has 16".
  write_file(dir.file("nobom.csv"), utf16.substr(2));
  auto nobom = read_answers(dir.file("nobom.csv"), 0);
  REQUIRE_FALSE(nobom.ok());
  CHECK(nobom.error().message.find("NUL bytes") != std::string::npos);
  // The same column twice: which one holds the answers is not guessed.
  auto dup = parse_answers("id,q,q\nm1,a,b\n", "dup.csv", 0);
  REQUIRE_FALSE(dup.ok());
  CHECK(dup.error().message == "dup.csv:1: column 'q' appears twice in the header; which one "
                               "holds the answers is not guessed");
}

TEST_CASE("survey: every item type and verdict on a hand-built store") {
  SurveyWorld w;
  auto cb = load_codebook_from_string(kCodebook, "cb.yaml");
  for (const auto& e : cb.errors) FAIL(e.format());
  auto answers = parse_answers(kAnswers, "answers.csv", 0);
  REQUIRE(answers.ok());
  CheckOptions opt;
  opt.tz = *TimeZone::load("Europe/Berlin");
  opt.now = at("2026-06-01T00:00:00Z");
  auto report = check(*cb.codebook, *answers, *w.store, opt);
  REQUIRE(report.ok());
  auto verdict = [&](const std::string& m, const std::string& item) {
    for (const auto& r : report->results) {
      if (r.municipality == m && r.item == item) return std::string(verdict_id(r.verdict));
    }
    return std::string("(none)");
  };
  auto result = [&](const std::string& m, const std::string& item) -> const ItemResult& {
    for (const auto& r : report->results) {
      if (r.municipality == m && r.item == item) return r;
    }
    FAIL("no result " << m << " " << item);
    return report->results.front();
  };
  // aktiv: everything agrees but "since when", which it underclaims.
  CHECK(verdict("aktiv", "uses_sm") == "consistent");
  CHECK(verdict("aktiv", "uses_masto") == "consistent");
  // Facebook has no connector: neither "no" nor "yes" can be checked, and
  // neither counts for or against the municipality.
  CHECK(verdict("aktiv", "uses_fb") == "not_observable");
  CHECK(result("aktiv", "uses_fb").evidence == "no connector for facebook in this installation");
  CHECK(verdict("aktiv", "cats:microblog") == "consistent");
  CHECK(verdict("aktiv", "cats:social_network") == "not_observable");
  CHECK(verdict("aktiv", "since") == "contradicted");  // 5.6 years vs "2-4" (+/- 1)
  CHECK(result("aktiv", "since").evidence.find("observed longer") != std::string::npos);
  CHECK(verdict("aktiv", "since_year") == "consistent");
  CHECK(verdict("aktiv", "freq") == "consistent");      // 130 own posts / 52.3 weeks = 2.49 a week
  CHECK(verdict("aktiv", "freq_num") == "consistent");  // "2,5" with a decimal comma
  CHECK(*result("aktiv", "freq_num").observed_number == doctest::Approx(130 / (366.0 / 7)));
  CHECK(verdict("aktiv", "responds") == "consistent");  // 26 of 130 own posts reply to citizens
  CHECK(verdict("aktiv", "rtime") == "consistent");     // median 2 h: same day
  CHECK(verdict("aktiv", "goal") == "not_observable");
  CHECK(result("aktiv", "goal").flag.empty());
  CHECK(verdict("aktiv", "plan_bsky") == "consistent");  // Bluesky from June 2025, within a year
  CHECK(verdict("aktiv", "uses_mb") == "consistent");
  CHECK(verdict("aktiv", "dialog") == "not_observable");
  CHECK(result("aktiv", "dialog").flag.empty());
  CHECK(result("aktiv", "uses_masto")
            .evidence.find(
                "1 account (mastodon:a@m.example); 130 own posts 2024-01-01..2024-12-31") == 0);
  // ruhig: little activity, claims more.
  CHECK(verdict("ruhig", "uses_sm") == "consistent");
  CHECK(verdict("ruhig", "uses_masto") == "unreported_use");
  CHECK(verdict("ruhig", "freq") == "contradicted");  // 6 posts: rare
  CHECK(verdict("ruhig", "freq_num") == "contradicted");
  CHECK(verdict("ruhig", "responds") == "not_corroborated");
  CHECK(verdict("ruhig", "rtime") == "not_observable");  // no timed replies
  CHECK(verdict("ruhig", "goal") == "not_observable");
  CHECK(result("ruhig", "goal").flag == "claims dialogue, no observable dialogue");
  CHECK(verdict("ruhig", "since") == "consistent");  // 1.8 years, within 2-4 +/- 1
  CHECK(verdict("ruhig", "since_year") == "contradicted");
  CHECK(verdict("ruhig", "plan_bsky") == "consistent");
  CHECK(verdict("ruhig", "uses_mb") == "unreported_use");  // Mastodon is a microblog
  CHECK(result("ruhig", "dialog").flag.empty());  // "2": dialogue not pursued, nothing to flag
  CHECK(verdict("ruhig", "cats:microblog") == "missing");
  // ohne: no accounts at all.
  CHECK(verdict("ohne", "uses_sm") == "not_corroborated");
  CHECK(verdict("ohne", "uses_masto") == "invalid_answer");
  CHECK(verdict("ohne", "cats:microblog") == "consistent");
  CHECK(verdict("ohne", "since") == "not_corroborated");
  CHECK(verdict("ohne", "since_year") == "missing");
  CHECK(verdict("ohne", "freq") == "consistent");  // nothing observed, "rarely" claimed
  // "7 a week" with no account configured: unsupported, not disproved.
  CHECK(verdict("ohne", "freq_num") == "not_corroborated");
  CHECK(result("ohne", "freq_num").observed_class == 0);
  CHECK(verdict("ohne", "responds") == "consistent");
  CHECK(verdict("ohne", "rtime") == "missing");
  CHECK(verdict("ohne", "plan_bsky") == "not_corroborated");  // the horizon is over
  CHECK(verdict("ohne", "uses_mb") == "consistent");
  CHECK(verdict("ohne", "dialog") == "missing");
  // fb: a configured account muniscope cannot observe yet.
  CHECK(verdict("fb", "uses_fb") == "not_observable");
  CHECK(verdict("fb", "uses_sm") == "not_observable");
  CHECK(verdict("fb", "cats:social_network") == "not_observable");
  // luecke: observed only from November.
  CHECK(verdict("luecke", "uses_sm") == "unreported_use");  // posts are positive evidence
  CHECK(verdict("luecke", "uses_masto") == "consistent");
  CHECK(verdict("luecke", "freq") == "insufficient_coverage");

  // Problems: the unmapped answer and the unknown municipality, with line and column.
  // In file order.
  REQUIRE(report->problems.size() == 2);
  CHECK(report->problems[0].line == 4);
  CHECK(report->problems[0].column == "uses_masto");
  CHECK(report->problems[0].message.find(
            "value 'vielleicht' is not in the value labels of item uses_masto") == 0);
  CHECK(report->problems[1].line == 7);
  CHECK(report->problems[1].column == "id");

  // Statistics.
  auto stats = [&](const std::string& item) -> const ItemStatistics& {
    for (const auto& s : report->items) {
      if (s.item == item) return s;
    }
    FAIL("no statistics for " << item);
    return report->items.front();
  };
  const auto& uses = stats("uses_sm");
  CHECK(uses.n == 4);  // aktiv, ruhig, ohne, luecke; fb not observable
  CHECK(uses.consistent == 2);
  CHECK(*uses.agreement == doctest::Approx(0.5));
  CHECK(uses.confusion ==
        Matrix{{0, 1}, {1, 2}});  // claimed no/observed yes: luecke; claimed yes/observed no: ohne
  const auto& freq = stats("freq");
  CHECK(freq.ordered);
  CHECK(freq.kappa.has_value());
  CHECK(freq.n == 3);
  const auto& year = stats("since_year");
  REQUIRE(year.numeric.has_value());
  CHECK(year.numeric->n == 2);
  CHECK(year.numeric->mean_difference == doctest::Approx(((2019 - 2019) + (2015 - 2023)) / 2.0));
  CHECK(stats("goal").flags == 1);
  // fb is checked too: its "no" answers on other platforms are decided, and agree.
  CHECK(report->municipalities_checked == 5);
  CHECK(report->municipalities_consistent == 1);
  REQUIRE_FALSE(report->top_mismatches.empty());
}

TEST_CASE("survey: missing id column or item column is an error naming the file") {
  SurveyWorld w;
  auto cb = load_codebook_from_string(kCodebook, "cb.yaml");
  auto answers = parse_answers("gemeinde;uses_sm\naktiv;ja\n", "a.csv", 0);
  auto r = check(*cb.codebook, *answers, *w.store, CheckOptions{});
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message.find("a.csv: no column 'id'") == 0);
  answers = parse_answers("id;uses_sm\naktiv;ja\n", "a.csv", 0);
  r = check(*cb.codebook, *answers, *w.store, CheckOptions{});
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message.find("no column 'uses_masto' for item uses_masto (cb.yaml:") !=
        std::string::npos);
}
