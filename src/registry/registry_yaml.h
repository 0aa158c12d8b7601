// The municipality registry as configuration: one YAML file per Land, ready
// to include from the main configuration (`include: registry/*.yaml`).
//
// A new file is written in full, with a header naming the source. An
// existing file is merged, never replaced: entries are matched by AGS; the
// directory's ARS, Kreis, kind and population are brought up to date; hand-
// made keys and accounts stay as they are; a name that differs from the
// directory's is kept and reported (a rename or a hand correction, not
// guessed); an AGS in the file that the directory no longer has (a merger)
// is kept and reported; new AGS are added. Merging rewrites the file from its
// parsed form, so comments inside it are lost: the previous version is kept
// beside it as FILE.bak.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "registry/gv100ad.h"

namespace muni::registry {

struct RegistryWriteOptions {
  std::string out_dir;
  std::optional<CivilDate> population_date;  // the population's reference date, if known
  std::string source;                        // for the header: where the directory came from
};

struct RegistryReport {
  std::vector<std::string> files_written;
  int64_t added = 0;
  int64_t updated = 0;  // existing entries whose directory fields changed
  int64_t unchanged = 0;
  std::vector<std::string> name_conflicts;  // "08231000: file 'Pforzheim', directory 'Pforzheim, Stadt'"
  std::vector<std::string> vanished;        // in the files, not in the directory
  std::vector<std::string> kind_changes;
};

Result<RegistryReport> write_registry(const GvDirectory& directory,
                                      const RegistryWriteOptions& options);

// An account to attach to a registry entry, found in open data (Wikidata)
// or by discovery on the municipality's website.
struct AccountProposal {
  std::string ags;
  std::string platform;  // a platform id, or "website" for the entry's website
  std::string handle;    // canonical
  std::string source;    // where it is documented (a Wikidata item, the page it was found on)
  std::string evidence;  // for discovery: the link as found
  bool proposed = false; // written with `status: proposed` (not polled until confirmed)
};

struct AccountMergeReport {
  std::vector<std::string> files_written;
  int64_t added = 0;
  int64_t already_there = 0;  // the same platform and canonical handle, under any status
  std::vector<std::string> no_entry;  // AGS without a registry entry
};

// Adds the proposals to the registry files in `registry_dir` (entries
// matched by AGS; an account already configured on the entry, written in any
// spelling, is not added again; a website only where the entry has none).
Result<AccountMergeReport> merge_accounts(const std::string& registry_dir,
                                          const std::vector<AccountProposal>& proposals);

// "Bautzen / Budyšin, Stadt, …" -> "bautzen-budysin": the name before its
// first comma, lower-case ASCII (ä -> ae, ß -> ss, other accents dropped).
std::string name_slug(std::string_view name);
// The id an imported entry gets: "<slug>-<ags>" (unique, readable, stable).
std::string registry_id(const GvEntry& entry);
// The file of a Land: "08-baden-wuerttemberg.yaml".
std::string land_file_name(std::string_view land_code);

}  // namespace muni::registry
