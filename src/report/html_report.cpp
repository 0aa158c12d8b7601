#include "report/html_report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>

#include "core/ags.h"
#include "core/platform.h"
#include "core/text_safety.h"
#include "metrics/metrics.h"
#include "report/svg_chart.h"

namespace muni::report {

namespace {

// Every text of the report in both languages: {key, German, English}.
struct Term {
  const char* key;
  const char* de;
  const char* en;
};
constexpr Term kTerms[] = {
    {"title", "Social-Media-Nutzung der Kommunen", "Social media use of municipalities"},
    {"period", "Beobachtungszeitraum", "Observation period"},
    {"generated", "Erstellt", "Generated"},
    {"overview", "Überblick", "Overview"},
    {"municipality", "Kommune", "Municipality"},
    {"ags", "AGS", "AGS"},
    {"land", "Land", "Land"},
    {"kind", "Art", "Kind"},
    {"population", "Einwohner", "Population"},
    {"platforms", "Plattformen", "Platforms"},
    {"categories", "Instrumente (KGSt)", "Instruments (KGSt)"},
    {"first_activity", "Erste Aktivität", "First activity"},
    {"posts_per_week", "Beiträge je Woche", "Posts per week"},
    {"reply_share", "Anteil Antworten an Bürger", "Share of replies to citizens"},
    {"response_median", "Antwortzeit (Median)", "Response time (median)"},
    {"followers", "Follower", "Followers"},
    {"followers_growth", "Follower-Zuwachs", "Follower growth"},
    {"coverage", "Abdeckung", "Coverage"},
    {"own_posts", "Eigene Beiträge", "Own posts"},
    {"chart_posts", "Beiträge je Monat und Plattform", "Posts per month and platform"},
    {"chart_followers", "Follower im Zeitverlauf", "Followers over time"},
    {"chart_response", "Antwortzeiten auf Bürgerbeiträge", "Response times to citizens"},
    {"chart_heatmap", "Beiträge nach Wochentag und Uhrzeit (Ortszeit)",
     "Posts by weekday and hour (local time)"},
    {"month", "Monat", "Month"},
    {"count_posts", "Beiträge (Anzahl)", "Posts (count)"},
    {"count_followers", "Follower (Anzahl)", "Followers (count)"},
    {"count_replies", "Antworten (Anzahl)", "Replies (count)"},
    {"date", "Datum", "Date"},
    {"response_bin", "Zeit bis zur Antwort", "Time to reply"},
    {"hour", "Stunde (0–23, Ortszeit)", "Hour (0–23, local time)"},
    {"accounts", "Konten", "Accounts"},
    {"platform", "Plattform", "Platform"},
    {"handle", "Konto", "Account"},
    {"name", "Name", "Name"},
    {"state", "Zustand", "State"},
    {"posts_stored", "Gespeicherte Beiträge", "Posts stored"},
    {"history", "Historie", "History"},
    {"unknown", "unbekannt", "unknown"},
    {"low_coverage", "geringe Abdeckung: Zahlen unvollständig", "low coverage: figures incomplete"},
    {"survey", "Abgleich mit der Befragung", "Survey check"},
    {"verdicts", "Urteile je Kommune und Frage", "Verdicts per municipality and item"},
    {"agreement", "Übereinstimmung je Frage", "Agreement per item"},
    {"item", "Frage", "Item"},
    {"n", "n (entschieden)", "n (decided)"},
    {"percent_agreement", "Übereinstimmung", "Agreement"},
    {"kappa", "Kappa (95-%-Intervall)", "Kappa (95 % interval)"},
    {"glossary", "Begriffe", "Terms"},
    {"no_accounts", "Keine Konten konfiguriert.", "No accounts configured."},
    {"comparison", "Vergleich der Kommunen", "Comparison of municipalities"},
    {"hours", "Std.", "h"},
    {"no_observation", "keine Beobachtung in diesem Zeitraum", "no observation in this period"},
};

const char* tr(const std::string& lang, const char* key) {
  for (const Term& t : kTerms) {
    if (std::string_view(t.key) == key) return lang == "en" ? t.en : t.de;
  }
  return key;
}

// The glossary: every verdict and every figure that needs a definition.
struct Gloss {
  const char* term;
  const char* de;
  const char* en;
};
constexpr Gloss kGlossary[] = {
    {"consistent", "Die Beobachtung stimmt mit der Antwort überein.",
     "The observation agrees with the answer."},
    {"contradicted", "Die Beobachtung fällt in eine andere Antwortklasse.",
     "The observation falls into another answer class."},
    {"not_corroborated",
     "Nutzung (oder Antworten, ein Plan) angegeben, aber nichts davon beobachtet. Kein Beweis "
     "einer falschen Angabe: Antworten per Direktnachricht etwa sind nicht sichtbar.",
     "Use (or replying, a plan) claimed, but none observed. Not proof of a false answer: "
     "replies by direct message, for instance, are invisible."},
    {"unreported_use", "Beobachtete Nutzung, die nicht angegeben wurde.",
     "Observed use that was not reported."},
    {"insufficient_coverage", "Der Zeitraum ist nicht ausreichend beobachtet, um zu entscheiden.",
     "The period was not observed well enough to decide."},
    {"not_observable",
     "Mit öffentlichen Daten oder in dieser Installation nicht prüfbar (z. B. keine Anbindung "
     "für die Plattform).",
     "Cannot be checked from public data or in this installation (e.g. no connector for the "
     "platform)."},
    {"missing", "Keine Antwort.", "No answer."},
    {"invalid_answer", "Eine Antwort, die das Codebuch nicht kennt; nie geraten.",
     "An answer the codebook does not know; never guessed."},
    {"–", "Unbekannt: nicht beobachtet oder von der Plattform nicht geliefert, nicht null.",
     "Unknown: not observed or not provided by the platform, not zero."},
};

std::string fmt(double v, int decimals) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

// German and English number formats: 12.345,6 and 12,345.6.
std::string number(const std::string& lang, double v, int decimals) {
  std::string s = fmt(v, decimals);
  const char group = lang == "de" ? '.' : ',';
  const char point = lang == "de" ? ',' : '.';
  const size_t dot = s.find('.');
  std::string whole = s.substr(0, dot), frac = dot == std::string::npos ? "" : s.substr(dot + 1);
  const bool negative = !whole.empty() && whole[0] == '-';
  if (negative) whole.erase(0, 1);
  std::string grouped;
  for (size_t i = 0; i < whole.size(); ++i) {
    if (i > 0 && (whole.size() - i) % 3 == 0) grouped += group;
    grouped += whole[i];
  }
  return (negative ? "-" : "") + grouped + (frac.empty() ? "" : std::string(1, point) + frac);
}

std::string cell(const std::string& lang, const Value& v, int decimals, bool percent = false,
                 const std::string& suffix = "") {
  if (const auto* s = std::get_if<std::string>(&v)) return html_escape(*s);
  const auto n = number_of(v);
  if (!n) return "<span class=\"unk\" title=\"unbekannt / unknown\">–</span>";
  if (percent) return number(lang, *n * 100, 1) + "&nbsp;%";
  return number(lang, *n, decimals) + suffix;
}

std::optional<double> num(const metrics::Values& v, const char* name) {
  const auto it = v.find(name);
  return it == v.end() ? std::nullopt : number_of(it->second);
}

const char* kCss = R"(
:root{--fg:#1a1a1a;--muted:#555;--line:#ccc;--bg:#fff}
*{box-sizing:border-box}
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif;color:var(--fg);background:var(--bg);margin:0 auto;max-width:1180px;padding:24px}
h1{font-size:26px;margin:0 0 4px}h2{font-size:21px;margin:32px 0 8px;border-bottom:2px solid var(--fg)}h3{font-size:17px;margin:22px 0 6px}
.meta{color:var(--muted);margin:0 0 16px}
.scroll{overflow-x:auto;max-width:100%}
table{border-collapse:collapse;margin:8px 0;font-size:14px}
th,td{border-bottom:1px solid var(--line);padding:4px 8px;text-align:left;vertical-align:top}
td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
th{background:#f2f2f2}
.unk{color:var(--muted)}
.warn{border-left:4px solid #D55E00;padding:2px 8px;margin:6px 0;background:#fff6f0}
.figures{display:flex;flex-wrap:wrap;gap:8px;margin:8px 0}
.figure{border:1px solid var(--line);padding:6px 10px;min-width:150px}
.figure b{display:block;font-size:20px}
.chart{width:100%;max-width:720px;height:auto;display:block}
.chart .ct{font-size:14px;font-weight:600}.chart .tick,.chart .hv{font-size:11px}.chart .al{font-size:12px}
.chart .grid{stroke:#ddd}.chart .nodata{font-size:15px;fill:#555}
.legend{list-style:none;padding:0;margin:4px 0 12px;display:flex;flex-wrap:wrap;gap:12px;font-size:13px}
.legend li{display:flex;align-items:center;gap:4px}
.v{font-weight:600;white-space:nowrap}
.v-consistent{background:#e6f4ea}.v-consistent::before{content:"✓ "}
.v-contradicted{background:#fde2d6}.v-contradicted::before{content:"✗ "}
.v-not_corroborated{background:#fff1c6}.v-not_corroborated::before{content:"? "}
.v-unreported_use{background:#dbeafd}.v-unreported_use::before{content:"+ "}
.v-insufficient_coverage,.v-not_observable,.v-missing,.v-invalid_answer{color:var(--muted)}
.v-insufficient_coverage::before,.v-not_observable::before{content:"· "}
section.m{page-break-before:always;break-before:page}
@media print{body{max-width:none;padding:0;font-size:11pt}.scroll{overflow:visible}a{color:inherit}}
)";

struct MunicipalityData {
  const MunicipalityConfig* config = nullptr;
  std::vector<StoredAccount> accounts;
  std::vector<metrics::AccountData> data;
  metrics::Values values;
};

std::string account_link(const StoredAccount& a) {
  const std::string shown = a.current_handle.empty() ? a.handle : a.current_handle;
  // Only http(s) addresses become links: a "javascript:" profile URL from a
  // hostile server stays inert text.
  const std::string& url = a.profile_url;
  if (url.rfind("https://", 0) == 0 || url.rfind("http://", 0) == 0) {
    return "<a href=\"" + html_escape(url) + "\" rel=\"noopener noreferrer\">" +
           html_escape(shown) + "</a>";
  }
  return html_escape(shown);
}

std::string figures(const std::string& lang, const metrics::Values& v) {
  std::string s = "<div class=\"figures\">";
  auto box = [&](const char* key, const std::string& value) {
    s += "<div class=\"figure\">" + std::string(tr(lang, key)) + "<b>" + value + "</b></div>";
  };
  box("first_activity", cell(lang, v.at("first_activity"), 0));
  box("posts_per_week", cell(lang, v.at("posts_per_week"), 2));
  box("reply_share", cell(lang, v.at("reply_share"), 1, true));
  box("response_median", cell(lang, v.at("response_time_median_h"), 1, false,
                              std::string("&nbsp;") + tr(lang, "hours")));
  box("followers", cell(lang, v.at("followers_end"), 0));
  box("followers_growth", cell(lang, v.at("followers_growth"), 0));
  box("coverage", cell(lang, v.at("coverage"), 1, true));
  return s + "</div>";
}

// The metric options the configuration sets, for the report's time zone
// and instant.
metrics::Options metric_options(const Config& config, const ReportOptions& o) {
  return metrics::options_from_config(config, o.tz, o.now);
}

// The municipalities shown, in configuration order, each with its accounts
// (duplicates left out, so nothing is counted twice), their data for the
// period and its figures for the whole period. Without --municipality, a
// municipality without accounts is left out; named, it gets its page.
Result<std::vector<MunicipalityData>> load_municipalities(Store& store, const Config& config,
                                                          const ReportOptions& o,
                                                          const metrics::Options& mo) {
  MUNI_TRY(auto stored, store.load_accounts(true, true));
  const metrics::Period whole{o.from, o.to, ""};
  std::map<std::string, int64_t> populations;
  for (const auto& m : config.municipalities) {
    if (m.population) populations[m.id] = *m.population;
  }
  std::vector<MunicipalityData> ms;
  for (const MunicipalityConfig& m : config.municipalities) {
    if (!o.municipalities.empty() &&
        std::find(o.municipalities.begin(), o.municipalities.end(), m.id) == o.municipalities.end())
      continue;
    MunicipalityData d;
    d.config = &m;
    for (const StoredAccount& a : stored) {
      if (a.municipality_id == m.id && !a.duplicate_of) d.accounts.push_back(a);
    }
    if (d.accounts.empty() && o.municipalities.empty()) continue;
    MUNI_TRY(d.data, metrics::load_account_data(store, d.accounts, populations,
                                                config.defaults.poll_interval_ms, o.from, o.to));
    std::vector<const metrics::AccountData*> group;
    for (const auto& x : d.data) group.push_back(&x);
    d.values = metrics::compute(group, whole, mo);
    ms.push_back(std::move(d));
  }
  return ms;
}

// What every part of the page needs: the language, the period and the
// options the figures are computed with.
struct Page {
  const std::string& lang;
  const ReportOptions& o;
  const metrics::Options& mo;
  std::vector<metrics::Period> months;  // the period's months, for the posts chart
  std::string no_observation;           // what a chart without any value says
};

// The platform's name in the report's language (unknown ids as they are).
std::string platform_name(const std::string& lang, const std::string& platform) {
  const PlatformDescriptor* pd = find_platform(platform);
  return pd ? pd->display_name_for(lang) : platform;
}

// The document up to the title block: language, period and time zone,
// when and by which version it was generated; the CSS and the SVG
// definitions inline, so the file stands alone.
std::string document_head(const Config& config, const ReportOptions& o) {
  const std::string& lang = o.lang;
  const std::string period = format_civil_date(o.tz.to_local(o.from).date) + " – " +
                             format_civil_date(o.tz.to_local(o.to - 1).date);
  std::string h = "<!DOCTYPE html>\n<html lang=\"" + std::string(lang == "en" ? "en" : "de") +
                  "\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" "
                  "content=\"width=device-width,initial-scale=1\"><title>" +
                  html_escape(std::string(tr(lang, "title")) + " · " + period) + "</title><style>" +
                  kCss + "</style></head><body>\n" + svg_defs();
  h += "<h1>" + std::string(tr(lang, "title")) + "</h1><p class=\"meta\">" + tr(lang, "period") +
       ": " + html_escape(period) + " (" + html_escape(config.defaults.timezone) + ") · " +
       tr(lang, "generated") + ": " + html_escape(format_iso8601(o.now)) + " · muniscope " +
       html_escape(kMuniscopeVersion) + "</p>\n";
  return h;
}

// The overview: one row per municipality with its platforms and key
// figures, each linking to the municipality's page.
std::string comparison_table(const std::string& lang, const std::vector<MunicipalityData>& ms) {
  std::string h =
      "<h2>" + std::string(tr(lang, "comparison")) + "</h2><div class=\"scroll\"><table><tr>";
  for (const char* k :
       {"municipality", "ags", "land", "platforms", "first_activity", "posts_per_week",
        "reply_share", "response_median", "followers", "coverage"}) {
    h += "<th>" + std::string(tr(lang, k)) + "</th>";
  }
  h += "</tr>";
  for (const MunicipalityData& d : ms) {
    std::set<std::string> platforms;
    for (const auto& a : d.accounts) platforms.insert(a.platform);
    std::string plist;
    for (const auto& p : platforms) {
      plist += (plist.empty() ? "" : ", ") + html_escape(platform_name(lang, p));
    }
    const Land* land = find_land(d.config->ags.substr(0, 2));
    h += "<tr><td><a href=\"#m-" + html_escape(d.config->id) + "\">" + html_escape(d.config->name) +
         "</a></td><td>" + html_escape(d.config->ags) + "</td><td>" +
         html_escape(land ? std::string(land->iso) : d.config->state) + "</td><td>" + plist +
         "</td><td class=\"n\">" + cell(lang, d.values.at("first_activity"), 0) +
         "</td><td class=\"n\">" + cell(lang, d.values.at("posts_per_week"), 2) +
         "</td><td class=\"n\">" + cell(lang, d.values.at("reply_share"), 1, true) +
         "</td><td class=\"n\">" +
         cell(lang, d.values.at("response_time_median_h"), 1, false,
              std::string("&nbsp;") + tr(lang, "hours")) +
         "</td><td class=\"n\">" + cell(lang, d.values.at("followers_end"), 0) +
         "</td><td class=\"n\">" + cell(lang, d.values.at("coverage"), 1, true) + "</td></tr>";
  }
  h += "</table></div>\n";
  return h;
}

// The verdict matrix: municipalities (in the answers' order) by items, each
// cell the verdict with its evidence as a tooltip.
std::string verdict_matrix(const std::string& lang, const survey::Report& r, const Config& config) {
  std::vector<std::string> items;
  std::map<std::pair<std::string, std::string>, const survey::ItemResult*> by;
  std::vector<std::string> munis;
  for (const auto& x : r.results) {
    if (std::find(items.begin(), items.end(), x.item) == items.end()) items.push_back(x.item);
    if (std::find(munis.begin(), munis.end(), x.municipality) == munis.end())
      munis.push_back(x.municipality);
    by[{x.municipality, x.item}] = &x;
  }
  std::string h = "<h3>" + std::string(tr(lang, "verdicts")) +
                  "</h3><div class=\"scroll\"><table><tr><th>" + tr(lang, "municipality") + "</th>";
  for (const auto& i : items) h += "<th>" + html_escape(i) + "</th>";
  h += "</tr>";
  std::map<std::string, std::string> names;
  for (const auto& mc : config.municipalities) names[mc.id] = mc.name;
  for (const auto& m : munis) {
    h += "<tr><td>" + html_escape(names.count(m) ? names[m] : m) + "</td>";
    for (const auto& i : items) {
      const auto it = by.find({m, i});
      if (it == by.end()) {
        h += "<td></td>";
        continue;
      }
      const std::string v(survey::verdict_id(it->second->verdict));
      h += "<td class=\"v v-" + v + "\" title=\"" + html_escape(it->second->evidence) + "\">" +
           html_escape(v) + "</td>";
    }
    h += "</tr>";
  }
  h += "</table></div>";
  return h;
}

// Agreement per item: n decided, percent agreement, and kappa with its 95 %
// interval, or why kappa is undefined.
std::string agreement_table(const std::string& lang, const survey::Report& r) {
  std::string h = "<h3>" + std::string(tr(lang, "agreement")) +
                  "</h3><div class=\"scroll\"><table><tr><th>" + tr(lang, "item") + "</th><th>" +
                  tr(lang, "n") + "</th><th>" + tr(lang, "percent_agreement") + "</th><th>" +
                  tr(lang, "kappa") + "</th></tr>";
  for (const auto& s : r.items) {
    std::string kappa = "<span class=\"unk\">–</span>";
    if (s.kappa) {
      kappa = number(lang, s.kappa->kappa, 2) + " (" + number(lang, s.kappa->ci_low, 2) + " – " +
              number(lang, s.kappa->ci_high, 2) + ")";
    } else if (!s.kappa_undefined.empty()) {
      kappa = "<span class=\"unk\">– (" + html_escape(s.kappa_undefined) + ")</span>";
    }
    h += "<tr><td>" + html_escape(s.item) + "</td><td class=\"n\">" + std::to_string(s.n) +
         "</td><td class=\"n\">" + cell(lang, value_of(s.agreement), 1, true) + "</td><td>" +
         kappa + "</td></tr>";
  }
  h += "</table></div>\n";
  return h;
}

// With a survey: its section, the verdict matrix and the agreement table.
std::string survey_section(const std::string& lang, const survey::Report& r, const Config& config) {
  return "<h2>" + std::string(tr(lang, "survey")) + ": " + html_escape(r.survey) + "</h2>" +
         verdict_matrix(lang, r, config) + agreement_table(lang, r);
}

// A municipality's page opens with its name, AGS, Land, kind and
// population.
std::string municipality_header(const std::string& lang, const MunicipalityConfig& m) {
  std::string h = "<section class=\"m\" id=\"m-" + html_escape(m.id) + "\"><h2>" +
                  html_escape(m.name) + "</h2>";
  const Land* land = find_land(m.ags.substr(0, 2));
  h += "<p class=\"meta\">" + std::string(tr(lang, "ags")) + " " + html_escape(m.ags) + " · " +
       html_escape(land ? std::string(land->name) : m.state) + " · " +
       html_escape(std::string(municipality_kind_label(m.kind))) +
       (m.population ? " · " + std::string(tr(lang, "population")) + " " +
                           number(lang, static_cast<double>(*m.population), 0)
                     : "") +
       "</p>";
  return h;
}

// The key figures, and a warning when coverage is below the configured
// minimum, so incomplete figures are never read as complete.
std::string key_figures(const std::string& lang, const metrics::Values& values) {
  std::string h = figures(lang, values);
  if (num(values, "low_coverage").value_or(0) > 0) {
    h += "<p class=\"warn\">" + std::string(tr(lang, "low_coverage")) + " (" +
         tr(lang, "coverage") + " " + cell(lang, values.at("coverage"), 1, true) + ")</p>";
  }
  return h;
}

// Own posts per month, one stacked series per platform; a month without a
// value (metrics::compute says unknown) stays empty, never 0.
std::string posts_chart(const Page& page, const MunicipalityData& d) {
  std::vector<std::string> labels;
  for (const auto& p : page.months) labels.push_back(p.label);
  std::map<std::string, std::vector<const metrics::AccountData*>> by_platform;
  for (const auto& x : d.data) by_platform[x.account.platform].push_back(&x);
  std::vector<Series> bars;
  for (const auto& [platform, group] : by_platform) {
    Series s;
    s.name = platform_name(page.lang, platform);
    for (const auto& p : page.months) {
      const auto v = num(metrics::compute(group, p, page.mo), "own_posts");
      s.values.push_back(v ? *v : std::nan(""));
    }
    bars.push_back(std::move(s));
  }
  return stacked_bars({tr(page.lang, "chart_posts"), tr(page.lang, "month"),
                       tr(page.lang, "count_posts"), page.no_observation},
                      labels, bars);
}

// Followers over time, one line per account, on a common day axis: the
// days with a sample in the period; each line carries its last known count
// forward, and is empty before its first sample.
std::string followers_chart(const Page& page, const MunicipalityData& d) {
  std::set<int64_t> days;
  for (const auto& x : d.data) {
    for (const auto& f : x.followers) {
      if (f.at >= page.o.from && f.at < page.o.to) days.insert(f.at / kDayMs);
    }
  }
  std::vector<double> xs(days.begin(), days.end());
  std::vector<Series> lines;
  for (const auto& x : d.data) {
    if (x.followers.empty()) continue;
    Series s;
    s.name = x.account.platform + ": " +
             (x.account.current_handle.empty() ? x.account.handle : x.account.current_handle);
    for (const double day : xs) {
      std::optional<int64_t> last;
      for (const auto& f : x.followers) {
        if (f.at / kDayMs <= static_cast<int64_t>(day)) last = f.followers;
      }
      s.values.push_back(last ? static_cast<double>(*last) : std::nan(""));
    }
    lines.push_back(std::move(s));
  }
  return time_lines({tr(page.lang, "chart_followers"), tr(page.lang, "date"),
                     tr(page.lang, "count_followers"), page.no_observation},
                    xs, lines);
}

// When the municipality posts and how fast it answers citizens, counted
// over its own posts in the period (reposts left out).
struct PostingPattern {
  static inline const std::vector<std::string> kResponseBins = {"< 1 h", "1–4 h", "4–24 h", "1–3 d",
                                                                "> 3 d"};
  std::vector<double> responses;          // replies to others per kResponseBins
  std::vector<std::vector<double>> heat;  // weekday (Monday first) x local hour
};

// Counts are 0 only where the period was observed; where nothing of it was
// (coverage 0, as metrics::compute judges it) they are unknown (NaN), and
// the charts say so instead of drawing an empty scale.
PostingPattern posting_pattern(const Page& page, const MunicipalityData& d) {
  const double known = num(d.values, "coverage_mean").value_or(0) > 0 ? 0 : std::nan("");
  PostingPattern pattern{std::vector<double>(PostingPattern::kResponseBins.size(), known),
                         std::vector<std::vector<double>>(7, std::vector<double>(24, known))};
  for (const auto& x : d.data) {
    for (const auto& p : x.posts) {
      if (p.created_at < page.o.from || p.created_at >= page.o.to || p.kind == PostKind::kRepost)
        continue;
      const LocalTime lt = page.o.tz.to_local(p.created_at);
      pattern.heat[static_cast<size_t>(lt.weekday)][static_cast<size_t>(lt.hour)] += 1;
      if (p.kind == PostKind::kReplyOther && p.parent_created_at &&
          p.created_at >= *p.parent_created_at) {
        const double hours = static_cast<double>(p.created_at - *p.parent_created_at) / kHourMs;
        const size_t bin = hours < 1 ? 0 : hours < 4 ? 1 : hours < 24 ? 2 : hours < 72 ? 3 : 4;
        pattern.responses[bin] += 1;
      }
    }
  }
  return pattern;
}

// The distribution of response times and the weekday x hour heatmap.
std::string pattern_charts(const Page& page, const PostingPattern& pattern) {
  const std::string& lang = page.lang;
  static const char* const kWeekdaysDe[] = {"Mo", "Di", "Mi", "Do", "Fr", "Sa", "So"};
  static const char* const kWeekdaysEn[] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
  const Series responses{tr(lang, "count_replies"), pattern.responses};
  std::string h = stacked_bars({tr(lang, "chart_response"), tr(lang, "response_bin"),
                                tr(lang, "count_replies"), page.no_observation},
                               PostingPattern::kResponseBins, {responses});
  std::vector<std::string> wd, hours;
  for (int i = 0; i < 7; ++i) wd.emplace_back(lang == "en" ? kWeekdaysEn[i] : kWeekdaysDe[i]);
  for (int i = 0; i < 24; ++i) hours.push_back(std::to_string(i));
  h += heatmap({tr(lang, "chart_heatmap"), tr(lang, "hour"), "", page.no_observation}, wd, hours,
               pattern.heat);
  return h;
}

// The municipality's accounts: platform, handle (linked where safe), name,
// state and how far its history is read.
std::string accounts_table(const std::string& lang, const std::vector<StoredAccount>& accounts) {
  std::string h =
      "<h3>" + std::string(tr(lang, "accounts")) + "</h3><div class=\"scroll\"><table><tr>";
  for (const char* k : {"platform", "handle", "name", "state", "posts_stored", "history"}) {
    h += "<th>" + std::string(tr(lang, k)) + "</th>";
  }
  h += "</tr>";
  for (const StoredAccount& a : accounts) {
    h += "<tr><td>" + html_escape(platform_name(lang, a.platform)) + "</td><td>" + account_link(a) +
         "</td><td>" + html_escape(a.display_name) + "</td><td>" +
         html_escape(std::string(a.state_id())) + "</td><td class=\"n\">" +
         std::to_string(a.own_posts_stored) + "</td><td>" +
         html_escape(std::string(backfill_state_id(a.backfill_state))) + "</td></tr>";
  }
  h += "</table></div>";
  return h;
}

// One page per municipality (a page break before each in print): header,
// key figures, the four charts and the accounts; without accounts, just
// the header and a line saying so.
std::string municipality_page(const Page& page, const MunicipalityData& d) {
  std::string h = municipality_header(page.lang, *d.config);
  if (d.accounts.empty())
    return h + "<p>" + std::string(tr(page.lang, "no_accounts")) + "</p></section>\n";
  h += key_figures(page.lang, d.values);
  h += posts_chart(page, d);
  h += followers_chart(page, d);
  h += pattern_charts(page, posting_pattern(page, d));
  h += accounts_table(page.lang, d.accounts);
  h += "</section>\n";
  return h;
}

// Every verdict and figure that needs a definition, coverage last; closes
// the document.
std::string glossary(const std::string& lang) {
  std::string h = "<h2>" + std::string(tr(lang, "glossary")) + "</h2><dl>";
  for (const Gloss& g : kGlossary) {
    h += "<dt><b>" + html_escape(g.term) + "</b></dt><dd>" +
         html_escape(lang == "en" ? g.en : g.de) + "</dd>";
  }
  h += "<dt><b>" + std::string(tr(lang, "coverage")) + "</b></dt><dd>" +
       html_escape(lang == "en"
                       ? "The share of the period for which an account's posts are known; figures "
                         "below the configured minimum are marked as incomplete (docs/metrics.md)."
                       : "Der Anteil des Zeitraums, für den die Beiträge eines Kontos bekannt "
                         "sind; Werte unter dem eingestellten Mindestwert gelten als unvollständig "
                         "(docs/metrics.md).") +
       "</dd></dl></body></html>\n";
  return h;
}

}  // namespace

// Load, then the document top to bottom: head, comparison, survey (when
// given), one page per municipality, glossary.
Result<std::string> render_report(Store& store, const Config& config, const ReportOptions& o) {
  const metrics::Options mo = metric_options(config, o);
  MUNI_TRY(const auto ms, load_municipalities(store, config, o, mo));
  const Page page{o.lang, o, mo,
                  metrics::split_periods(o.from, o.to, metrics::Granularity::kMonth, o.tz),
                  tr(o.lang, "no_observation")};
  std::string h = document_head(config, o);
  h += comparison_table(o.lang, ms);
  if (o.survey != nullptr) h += survey_section(o.lang, *o.survey, config);
  for (const MunicipalityData& d : ms) h += municipality_page(page, d);
  h += glossary(o.lang);
  return h;
}

}  // namespace muni::report
