#include "cli/import_commands.h"

#include <CLI/CLI.hpp>

#include <cstdio>
#include <filesystem>
#include <regex>

#include "cli/output.h"
#include "core/strings.h"
#include "registry/gv100ad.h"
#include "registry/registry_yaml.h"
#include "registry/wikidata.h"

namespace muni {

namespace {

// Destatis ships Hinweise.txt beside the GV100AD; it names the population's
// reference date ("Die Bevölkerungsangaben basieren ... auf dem Stichtag
// 31.12.2024").
std::optional<CivilDate> population_date_from_notes(const std::string& gv_file) {
  const auto notes = std::filesystem::path(gv_file).parent_path() / "Hinweise.txt";
  auto text = read_input_file(notes.string());
  if (!text.ok()) return std::nullopt;
  std::smatch m;
  const std::string& t = *text;
  if (!std::regex_search(t, m, std::regex(R"(Bev[^\n]*Stichtag (\d{2})\.(\d{2})\.(\d{4}))")))
    return std::nullopt;
  return CivilDate{std::stoi(m[3]), std::stoi(m[2]), std::stoi(m[1])};
}

}  // namespace

void add_import_gv_options(CLI::App& cmd, ImportGvOptions& o) {
  cmd.add_option("file", o.file, "The GV100AD file (fixed-width text from Destatis GV-ISys)")
      ->required();
  cmd.add_option("-o,--out", o.out_dir,
                 "Directory of the registry files, one per Land (default: registry); existing "
                 "files are merged, never replaced");
  cmd.add_option("--encoding", o.encoding,
                 "auto (default: UTF-8 if the bytes are valid UTF-8, else ISO-8859-1), utf-8 or "
                 "latin1; files before 2025 are ISO-8859-1");
  cmd.add_option("--population-date", o.population_date,
                 "Reference date of the population figures, YYYY-MM-DD (default: read from "
                 "Hinweise.txt beside the file)");
  cmd.footer(
      "Writes DIR/NN-land.yaml with every Gemeinde (kind Gemeinde, Stadt or kreisfreie Stadt) and "
      "Landkreis: id, name, AGS, ARS, Kreis, Land, population. Include them from the main "
      "configuration with `include: registry/*.yaml`. Gemeindefreie Gebiete are reported and "
      "skipped. Exit status 0 on success, 1 when the file cannot be read or written, 2 for bad "
      "arguments. docs/import.md has the details.");
}

int cmd_import_gv(const ImportGvOptions& o) {
  auto encoding = registry::parse_text_encoding(o.encoding);
  if (!encoding.ok()) {
    std::fprintf(stderr, "muniscope: %s\n", encoding.error().message.c_str());
    return 2;
  }
  std::optional<CivilDate> population_date;
  if (!o.population_date.empty()) {
    population_date = parse_civil_date(o.population_date);
    if (!population_date) {
      std::fprintf(stderr, "muniscope: --population-date '%s' is not a date (YYYY-MM-DD)\n",
                   o.population_date.c_str());
      return 2;
    }
  } else {
    population_date = population_date_from_notes(o.file);
  }
  auto bytes = read_input_file(o.file);
  if (!bytes.ok()) {
    std::fprintf(stderr, "muniscope: %s\n", bytes.error().message.c_str());
    return 1;
  }
  auto dir = registry::parse_gv100ad(*bytes, *encoding);
  if (!dir.ok()) {
    std::fprintf(stderr, "muniscope: %s: %s\n", o.file.c_str(), dir.error().message.c_str());
    return 1;
  }
  registry::RegistryWriteOptions wo;
  wo.out_dir = o.out_dir;
  wo.population_date = population_date;
  wo.source = "the Destatis Gemeindeverzeichnis GV100AD, Gebietsstand " +
              format_civil_date(dir->gebietsstand) + " (" +
              std::filesystem::path(o.file).filename().string() + ")";
  auto report = registry::write_registry(*dir, wo);
  if (!report.ok()) {
    std::fprintf(stderr, "muniscope: %s\n", report.error().message.c_str());
    return 1;
  }
  std::printf("%s: Gebietsstand %s, %s\n", o.file.c_str(),
              format_civil_date(dir->gebietsstand).c_str(),
              dir->encoding == registry::TextEncoding::kLatin1 ? "ISO-8859-1" : "UTF-8");
  Table t({{"item"}, {"count"}});
  t.add_row({std::string("Gemeinden"), dir->gemeinden});
  t.add_row({std::string("  kreisfreie Städte"), dir->kreisfreie});
  t.add_row({std::string("  Städte"), dir->staedte});
  t.add_row({std::string("  other Gemeinden"), dir->other_gemeinden});
  t.add_row({std::string("Landkreise"), dir->landkreise});
  t.add_row({std::string("entries written"), static_cast<int64_t>(dir->entries.size())});
  t.add_row({std::string("population of the Gemeinden"), dir->population_gemeinden});
  t.add_row({std::string("gemeindefreie Gebiete skipped"),
             static_cast<int64_t>(dir->skipped.size())});
  t.add_row({std::string("  their population"), dir->population_gemeindefrei});
  t.add_row({std::string("entries added"), report->added});
  t.add_row({std::string("entries updated"), report->updated});
  t.add_row({std::string("entries unchanged"), report->unchanged});
  std::fputs(t.render_table().c_str(), stdout);
  std::printf("population as of: %s\n",
              population_date ? format_civil_date(*population_date).c_str()
                              : "unknown (no Hinweise.txt beside the file; --population-date)");
  std::printf("files: %zu in %s (include them with `include: %s/*.yaml`)\n",
              report->files_written.size(), o.out_dir.c_str(), o.out_dir.c_str());
  auto list = [](const char* title, const std::vector<std::string>& items) {
    if (items.empty()) return;
    std::printf("\n%s (%zu):\n", title, items.size());
    for (const std::string& s : items) std::printf("  %s\n", s.c_str());
  };
  std::vector<std::string> notes = dir->notes;
  list("notes on the file", notes);
  list("names that differ from the directory (kept)", report->name_conflicts);
  list("kinds changed", report->kind_changes);
  list("AGS in the registry but not in this directory (kept)", report->vanished);
  return 0;
}

void add_import_wikidata_options(CLI::App& cmd, ImportWikidataOptions& o) {
  cmd.add_option("file", o.file, "A Wikidata SPARQL result as JSON (the query is in docs/import.md)")
      ->required();
  cmd.add_option("-r,--registry", o.registry_dir,
                 "Directory of the registry files written by `import gv` (default: registry)");
  cmd.footer(
      "Attaches accounts (Mastodon P4033, Bluesky P12361, Facebook P2013, Instagram P2003, "
      "YouTube P2397, X P2002, Telegram P3789) and the official website (P856) to registry "
      "entries by AGS (P439), each with `source:` naming the Wikidata item. Values a platform "
      "cannot use are listed and skipped. Exit status 0 when everything was imported, 1 when "
      "something was skipped or could not be written, 2 for bad arguments.");
}

int cmd_import_wikidata(const ImportWikidataOptions& o) {
  auto bytes = read_input_file(o.file);
  if (!bytes.ok()) {
    std::fprintf(stderr, "muniscope: %s\n", bytes.error().message.c_str());
    return 1;
  }
  auto parsed = registry::parse_wikidata_sparql(*bytes);
  if (!parsed.ok()) {
    std::fprintf(stderr, "muniscope: %s: %s\n", o.file.c_str(), parsed.error().message.c_str());
    return 1;
  }
  auto report = registry::merge_accounts(o.registry_dir, parsed->accounts);
  if (!report.ok()) {
    std::fprintf(stderr, "muniscope: %s\n", report.error().message.c_str());
    return 1;
  }
  Table t({{"item"}, {"count"}});
  t.add_row({std::string("result rows"), parsed->rows});
  t.add_row({std::string("Wikidata items"), parsed->items});
  t.add_row({std::string("accounts and websites found"),
             static_cast<int64_t>(parsed->accounts.size())});
  t.add_row({std::string("added to the registry"), report->added});
  t.add_row({std::string("already there"), report->already_there});
  t.add_row({std::string("no registry entry for the AGS"),
             static_cast<int64_t>(report->no_entry.size())});
  t.add_row({std::string("values skipped"), static_cast<int64_t>(parsed->problems.size())});
  std::fputs(t.render_table().c_str(), stdout);
  std::printf("files changed: %zu (previous versions kept as .bak)\n", report->files_written.size());
  auto list = [](const char* title, const std::vector<std::string>& items) {
    if (items.empty()) return;
    std::printf("\n%s (%zu):\n", title, items.size());
    for (const std::string& s : items) std::printf("  %s\n", s.c_str());
  };
  list("values skipped", parsed->problems);
  list("AGS without a registry entry (run `muniscope import gv` with a current directory)",
       report->no_entry);
  return parsed->problems.empty() && report->no_entry.empty() ? 0 : 1;
}

}  // namespace muni
