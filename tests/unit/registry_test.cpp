// The municipality registry: the real Destatis GV100AD (when
// ../shared/data is present) with the exact counts of issue 12, older
// ISO-8859-1 files, hostile records, merging into existing registry files,
// and accounts from a Wikidata SPARQL result.
#include <doctest/doctest.h>

#include <filesystem>
#include <map>

#include "config/config.h"
#include "core/strings.h"
#include "registry/gv100ad.h"
#include "registry/registry_yaml.h"
#include "registry/wikidata.h"
#include "test_support.h"

using namespace muni;
using namespace muni::registry;

namespace {

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (size_t pos = s.find(from); pos != std::string::npos; pos = s.find(from, pos + to.size()))
    s.replace(pos, from.size(), to);
  return s;
}

std::optional<std::string> real_directory() {
  const auto path = std::filesystem::path(test::source_dir()) /
                    "../shared/data/destatis-gv100ad/GV100AD_30112025.txt";
  if (!std::filesystem::exists(path)) return std::nullopt;
  return test::read_file(path.string());
}

// A GV100AD record: fields at their character positions, padded to 220.
std::string record(const std::string& satzart, const std::string& key, const std::string& name,
                   const std::string& tk, int64_t population = 0) {
  std::u32string r(220, U' ');
  auto put = [&](size_t from, const std::string& text) {
    // text is ASCII or UTF-8; count characters.
    size_t pos = from - 1;
    for (size_t i = 0; i < text.size();) {
      const unsigned char c = static_cast<unsigned char>(text[i]);
      const size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : 4;
      char32_t cp = len == 1 ? c : len == 2 ? (c & 0x1F) : len == 3 ? (c & 0x0F) : (c & 0x07);
      for (size_t k = 1; k < len; ++k) cp = (cp << 6) | (text[i + k] & 0x3F);
      r[pos++] = cp;
      i += len;
    }
  };
  put(1, satzart);
  put(3, "20161231");
  put(11, key);
  put(23, name);
  put(123, tk);
  if (satzart == "60") {
    char buf[12];
    std::snprintf(buf, sizeof buf, "%011lld", static_cast<long long>(population));
    put(129, "00000001000");
    put(140, buf);
  }
  std::string out;
  for (const char32_t cp : r) {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xC0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      out += static_cast<char>(0xE0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }
  return out + "\r\n";
}

// A small directory: Land BW, Landkreis Enzkreis with two Gemeinden, the
// kreisfreie Stadt Pforzheim (both as Satzart 40 and 60), and a
// gemeindefreies Gebiet. Keys: Land 08, RB 2, Kreis 31/36; Satzart 60 key
// continues with Gemeinde (3) and Gemeindeverband (4).
std::string small_directory(bool with_birkenfeld = true, bool with_new = false) {
  std::string s;
  s += record("10", "08", "Baden-Württemberg", "  ");
  s += record("40", "08231", "Pforzheim, Stadt", "41");
  s += record("60", "082310000000", "Pforzheim, Stadt", "61", 128000);
  s += record("40", "08236", "Enzkreis", "44");
  if (with_birkenfeld) s += record("60", "082360060006", "Birkenfeld", "64", 10500);
  s += record("60", "082360400040", "Mühlacker, Stadt", "67", 26000);
  s += record("60", "082369990000", "Forst Musterwald", "66", 0);
  if (with_new) s += record("60", "082360990099", "Neuenbürg-Birkenfeld", "64", 21000);
  return s;
}

const GvEntry* by_ags(const GvDirectory& d, const std::string& ags) {
  for (const GvEntry& e : d.entries) {
    if (e.ags == ags) return &e;
  }
  return nullptr;
}

}  // namespace

TEST_CASE("registry: the real GV100AD of 30.11.2025 gives exactly the official counts") {
  auto bytes = real_directory();
  if (!bytes) {
    MESSAGE("skipped: ../shared/data/destatis-gv100ad not present");
    return;
  }
  auto d = parse_gv100ad(*bytes);
  REQUIRE(d.ok());
  CHECK(d->encoding == TextEncoding::kUtf8);
  CHECK(d->gebietsstand == CivilDate{2025, 11, 30});
  CHECK(d->gemeinden == 10751);
  CHECK(d->kreisfreie == 106);
  CHECK(d->staedte == 1954);
  CHECK(d->other_gemeinden == 8691);
  CHECK(d->landkreise == 294);
  CHECK(d->entries.size() == 11045);
  CHECK(d->skipped.size() == 202);
  CHECK(d->population_gemeinden == 83576223);
  CHECK(d->population_gemeinden + d->population_gemeindefrei == 83577140);
  // Landkreise carry what their Gemeinden sum to: with the kreisfreie
  // Städte that is everyone.
  int64_t landkreise = 0, kreisfreie = 0;
  std::map<std::string, int64_t> kinds;
  for (const GvEntry& e : d->entries) {
    ++kinds[std::string(municipality_kind_label(e.kind))];
    if (e.kind == MunicipalityKind::kLandkreis) landkreise += *e.population;
    if (e.kind == MunicipalityKind::kKreisfreieStadt) kreisfreie += *e.population;
  }
  CHECK(landkreise + kreisfreie == 83576223);
  CHECK(kinds["Landkreis"] == 294);
  // Every AGS once.
  std::map<std::string, int> seen;
  for (const GvEntry& e : d->entries) ++seen[e.ags];
  CHECK(seen.size() == 11045);
  // The Stadtstaaten, Bremen's two cities, and a Sorbian name intact.
  const GvEntry* berlin = by_ags(*d, "11000000");
  REQUIRE(berlin != nullptr);
  CHECK(berlin->kind == MunicipalityKind::kKreisfreieStadt);
  CHECK(berlin->name == "Berlin, Stadt");
  CHECK(berlin->land == "11");
  const GvEntry* hamburg = by_ags(*d, "02000000");
  REQUIRE(hamburg != nullptr);
  CHECK(hamburg->kind == MunicipalityKind::kKreisfreieStadt);
  REQUIRE(by_ags(*d, "04012000") != nullptr);
  CHECK(by_ags(*d, "04012000")->name == "Bremerhaven, Stadt");
  const GvEntry* bautzen = by_ags(*d, "14625020");
  REQUIRE(bautzen != nullptr);
  CHECK(bautzen->name.find("Budyšin") != std::string::npos);
  // ARS = Land, RB, Kreis, Gemeindeverband 0020, Gemeinde 020 (Satzart 50 record 0020).
  CHECK(bautzen->ars == "146250020020");
  // Destatis' notes warn that this name is cut off: reported, not silent.
  bool warned = false;
  for (const std::string& n : d->notes) warned |= n.find("14625020") != std::string::npos;
  CHECK(warned);
  // The Kreis of a Gemeinde, and a Landkreis's own key.
  const GvEntry* teck = by_ags(*d, "05566088");
  REQUIRE(teck != nullptr);
  CHECK(teck->name == "Tecklenburg, Stadt");
  CHECK(teck->kreis == "05566");
  CHECK(teck->population == 9098);
  REQUIRE(by_ags(*d, "05566000") != nullptr);
  CHECK(by_ags(*d, "05566000")->kind == MunicipalityKind::kLandkreis);
}

TEST_CASE("registry: the national registry files load as a valid configuration") {
  auto bytes = real_directory();
  if (!bytes) {
    MESSAGE("skipped: ../shared/data/destatis-gv100ad not present");
    return;
  }
  auto d = parse_gv100ad(*bytes);
  REQUIRE(d.ok());
  test::TempDir dir;
  RegistryWriteOptions o;
  o.out_dir = dir.file("registry");
  o.population_date = CivilDate{2024, 12, 31};
  o.source = "GV100AD 30.11.2025";
  auto report = write_registry(*d, o);
  REQUIRE(report.ok());
  CHECK(report->files_written.size() == 16);
  CHECK(report->added == 11045);
  test::write_file(dir.file("main.yaml"),
                   "defaults: {contact: t@example.org}\ninclude: registry/*.yaml\n");
  const ConfigLoad load = load_config(dir.file("main.yaml"));
  for (const auto& e : load.errors) FAIL_CHECK(e.format());
  REQUIRE(load.config.has_value());
  CHECK(load.config->municipalities.size() == 11045);
  const MunicipalityConfig* berlin = nullptr;
  for (const auto& m : load.config->municipalities) {
    if (m.ags == "11000000") berlin = &m;
  }
  REQUIRE(berlin != nullptr);
  CHECK(berlin->state == "Berlin");
  CHECK(berlin->kind == MunicipalityKind::kKreisfreieStadt);
  CHECK(berlin->ars == "110000000000");
  CHECK(berlin->population_date == CivilDate{2024, 12, 31});
  // Importing the same directory again changes nothing.
  auto again = write_registry(*d, o);
  REQUIRE(again.ok());
  CHECK(again->added == 0);
  CHECK(again->updated == 0);
  CHECK(again->unchanged == 11045);
}

TEST_CASE("registry: older ISO-8859-1 files are detected or named, never misread") {
  const std::string utf8 = small_directory();
  const std::string latin1 = [&] {
    // The same bytes in ISO-8859-1 (ü -> 0xFC).
    std::string out;
    for (size_t i = 0; i < utf8.size(); ++i) {
      const unsigned char c = static_cast<unsigned char>(utf8[i]);
      if (c == 0xC3) {
        out += static_cast<char>(static_cast<unsigned char>(utf8[i + 1]) + 0x40);
        ++i;
      } else {
        out += utf8[i];
      }
    }
    return out;
  }();
  auto d = parse_gv100ad(latin1);
  REQUIRE(d.ok());
  CHECK(d->encoding == TextEncoding::kLatin1);
  REQUIRE(by_ags(*d, "08236040") != nullptr);
  CHECK(by_ags(*d, "08236040")->name == "Mühlacker, Stadt");
  auto forced = parse_gv100ad(latin1, TextEncoding::kUtf8);
  REQUIRE_FALSE(forced.ok());
  CHECK(forced.error().message.find("latin1") != std::string::npos);
  CHECK(parse_text_encoding("ISO-8859-1").value() == TextEncoding::kLatin1);
  CHECK_FALSE(parse_text_encoding("ebcdic").ok());
}

TEST_CASE("registry: the small directory: kinds, Landkreis population, gemeindefreie Gebiete") {
  auto d = parse_gv100ad(small_directory());
  REQUIRE(d.ok());
  CHECK(d->gemeinden == 3);
  CHECK(d->landkreise == 1);
  CHECK(d->skipped.size() == 1);
  CHECK(d->skipped[0].reason.find("uninhabited") != std::string::npos);
  CHECK(by_ags(*d, "08231000")->kind == MunicipalityKind::kKreisfreieStadt);
  CHECK(by_ags(*d, "08236040")->kind == MunicipalityKind::kStadt);  // Große Kreisstadt (67)
  CHECK(by_ags(*d, "08236006")->kind == MunicipalityKind::kGemeinde);
  const GvEntry* enzkreis = by_ags(*d, "08236000");
  REQUIRE(enzkreis != nullptr);
  CHECK(enzkreis->kind == MunicipalityKind::kLandkreis);
  CHECK(enzkreis->population == 36500);  // Birkenfeld + Mühlacker
  CHECK(by_ags(*d, "08236006")->ars == "082360006006");
}

TEST_CASE("registry: hostile input is reported, never crashes or invents entries") {
  std::string s = small_directory();
  s += "60 short line\r\n";
  s += record("60", "08236ABC0040", "Broken key", "64", 5);
  s += record("60", "082360500050", "Unknown kind", "69", 5);
  auto d = parse_gv100ad(s);
  REQUIRE(d.ok());
  CHECK(d->gemeinden == 3);
  CHECK(d->notes.size() == 3);
  CHECK_FALSE(parse_gv100ad("").ok());
  CHECK_FALSE(parse_gv100ad("<html>not a directory</html>").ok());
  CHECK_FALSE(parse_gv100ad(record("40", "08236", "Enzkreis", "44")).ok());  // no Gemeinde
}

TEST_CASE("registry: merging keeps hand-made entries and accounts, reports renames and mergers") {
  test::TempDir dir;
  RegistryWriteOptions o;
  o.out_dir = dir.file("registry");
  o.source = "test";
  auto first = parse_gv100ad(small_directory());
  REQUIRE(first.ok());
  REQUIRE(write_registry(*first, o).ok());
  const std::string file = dir.file("registry/08-baden-wuerttemberg.yaml");
  std::string text = test::read_file(file);
  // By hand: an account for Pforzheim, a corrected name for Mühlacker, an
  // entry the directory does not have, a label.
  text = replace_all(text, "name: Mühlacker, Stadt", "name: Große Kreisstadt Mühlacker");
  text =
      replace_all(text, "    population: 128000\n",
                  "    population: 128000\n    labels: [pilot]\n    accounts:\n      - platform: "
                  "mastodon\n        handle: \"@stadtpforzheim@bawü.social\"\n        source: "
                  "https://bonfire.cafe/post/01K0NZM6S08WTW8S88YETYZ6RA\n");
  text +=
      "  - id: handmade\n    name: Zweckverband Beispiel\n    ags: \"08236777\"\n    kind: "
      "Gemeinde\n    state: BW\n";
  test::write_file(file, text);
  // A newer directory: Birkenfeld merged into a new Gemeinde.
  auto newer = parse_gv100ad(small_directory(false, true));
  REQUIRE(newer.ok());
  auto report = write_registry(*newer, o);
  REQUIRE(report.ok());
  CHECK(report->added == 1);
  REQUIRE(report->name_conflicts.size() == 1);
  CHECK(report->name_conflicts[0].find("08236040") != std::string::npos);
  REQUIRE(report->vanished.size() == 2);  // Birkenfeld and the hand-made entry, both kept
  CHECK(std::filesystem::exists(file + ".bak"));
  test::write_file(dir.file("main.yaml"),
                   "defaults: {contact: t@example.org}\ninclude: registry/*.yaml\n");
  const ConfigLoad load = load_config(dir.file("main.yaml"));
  for (const auto& e : load.errors) FAIL_CHECK(e.format());
  REQUIRE(load.config.has_value());
  std::map<std::string, const MunicipalityConfig*> m;
  for (const auto& x : load.config->municipalities) m[x.ags] = &x;
  CHECK(m.size() == 6);
  CHECK(m.at("08236040")->name == "Große Kreisstadt Mühlacker");  // the hand's, kept
  REQUIRE(m.at("08231000")->accounts.size() == 1);                // the account, kept
  CHECK(m.at("08231000")->labels == std::vector<std::string>{"pilot"});
  CHECK(m.count("08236777") == 1);
  CHECK(m.count("08236006") == 1);  // vanished from the directory, kept
  CHECK(m.count("08236099") == 1);  // new
}

TEST_CASE("registry: accounts and websites from a Wikidata SPARQL result, by AGS, with sources") {
  auto parsed = parse_wikidata_sparql(test::read_fixture("wikidata/sparql_result.json"));
  REQUIRE(parsed.ok());
  CHECK(parsed->rows == 5);
  CHECK(parsed->items == 4);
  // Musterstadt: Mastodon, Bluesky, YouTube, Instagram and the website, each once.
  CHECK(parsed->accounts.size() == 6);
  for (const auto& a : parsed->accounts) {
    CHECK(a.source.rfind("https://www.wikidata.org/wiki/Q9999000", 0) == 0);
    CHECK(a.source.find("(P") != std::string::npos);
  }
  // The /c/ URL, the bad Mastodon value and the short AGS are reported.
  CHECK(parsed->problems.size() == 3);
  CHECK_FALSE(parse_wikidata_sparql("{\"head\":{}}").ok());

  test::TempDir dir;
  RegistryWriteOptions o;
  o.out_dir = dir.file("registry");
  o.source = "test";
  auto d = parse_gv100ad(small_directory());
  REQUIRE(d.ok());
  REQUIRE(write_registry(*d, o).ok());
  // Only 08231000 (as Pforzheim's AGS) is in the small registry.
  auto report = merge_accounts(o.out_dir, parsed->accounts);
  REQUIRE(report.ok());
  CHECK(report->added == 5);            // four accounts and the website
  CHECK(report->no_entry.size() == 1);  // X of 08231888
  auto again = merge_accounts(o.out_dir, parsed->accounts);
  REQUIRE(again.ok());
  CHECK(again->added == 0);
  CHECK(again->already_there == 5);
  test::write_file(dir.file("main.yaml"),
                   "defaults: {contact: t@example.org}\ninclude: registry/*.yaml\n");
  const ConfigLoad load = load_config(dir.file("main.yaml"));
  for (const auto& e : load.errors) FAIL_CHECK(e.format());
  REQUIRE(load.config.has_value());
  for (const auto& m : load.config->municipalities) {
    if (m.ags != "08231000") continue;
    CHECK(m.website == "https://www.musterstadt.example/");
    CHECK(m.accounts.size() == 4);
    for (const auto& a : m.accounts) CHECK_FALSE(a.source.empty());
  }
}

TEST_CASE("registry: real public-sector Mastodon addresses from Wikidata canonicalize") {
  // ../shared/data/fedipol lists Mastodon accounts taken from Wikidata P4033,
  // among them Stadtverwaltung Mannheim, Köln and Stuttgart.
  const auto path = std::filesystem::path(test::source_dir()) /
                    "../shared/data/fedipol/politiker-und-institutionen-im-fediverse.md";
  if (!std::filesystem::exists(path)) {
    MESSAGE("skipped: ../shared/data/fedipol not present");
    return;
  }
  const std::string text = test::read_file(path.string());
  int checked = 0;
  for (const char* needle :
       {"bawü.social/@mannheim", "social.cologne/@koeln", "xn--baw-joa.social/@stuttgart",
        "social.schleswig-holstein.de/@neuwittenbek"}) {
    CAPTURE(needle);
    REQUIRE(text.find(needle) != std::string::npos);
    auto c = find_platform("mastodon")->canonicalize(std::string("https://") + needle);
    REQUIRE(c.ok());
    CHECK(c->find('@') != std::string::npos);
    ++checked;
  }
  CHECK(checked == 4);
  CHECK(find_platform("mastodon")->canonicalize("https://bawü.social/@mannheim").value() ==
        find_platform("mastodon")->canonicalize("mannheim@xn--baw-joa.social").value());
}

TEST_CASE("registry: Wikidata import maps every platform's account property") {
  // Which property holds which platform's accounts comes from each
  // platform's PlatformLinks; the fixture has one value for each of them.
  const auto vars = wikidata_variables();
  REQUIRE(vars.size() >= 10);
  CHECK(vars.front().property == "P856");
  auto parsed = parse_wikidata_sparql(test::read_fixture("wikidata/all_properties.json"));
  REQUIRE(parsed.ok());
  for (const auto& p : parsed->problems) FAIL_CHECK(p);
  std::map<std::string, const AccountProposal*> by_platform;
  for (const auto& a : parsed->accounts) by_platform[a.platform] = &a;
  CHECK(parsed->accounts.size() == vars.size());
  for (const auto& v : vars) {
    CAPTURE(v.variable);
    const std::string platform = v.platform.empty() ? v.variable : v.platform;
    REQUIRE(by_platform.count(platform) == 1);
    CHECK(by_platform[platform]->source ==
          "https://www.wikidata.org/wiki/Q99990010 (" + v.property + ")");
  }
  // A Lemmy community ID becomes Lemmy's own notation.
  CHECK(by_platform["lemmy"]->handle == "!neustadt@feddit.example");
  // Every platform that names a property is asked for by the query.
  const std::string query = wikidata_query();
  for (const PlatformDescriptor& d : platform_registry().all()) {
    if (d.links.wikidata_property.empty()) continue;
    CAPTURE(d.id);
    CHECK(query.find("wdt:" + d.links.wikidata_property + " ?" + d.id + " ") != std::string::npos);
  }
}

TEST_CASE("registry: docs/import.md prints the Wikidata query the registry makes") {
  const std::string doc = test::read_file(test::source_dir() + "/docs/import.md");
  const std::string query = wikidata_query();
  CAPTURE(query);
  CHECK(doc.find("```sparql\n" + query + "```") != std::string::npos);
}
