// Accounts from Wikidata: a SPARQL query result (application/sparql-results+json,
// W3C "SPARQL 1.1 Query Results JSON Format") -> account proposals by AGS.
//
// The query (docs/import.md) selects every item with an AGS (P439) and its
// accounts: P4033 Mastodon address, P12361 Bluesky handle, P2013 Facebook
// username, P2003 Instagram username, P2397 YouTube channel id, P2002 X
// username, P3789 Telegram username, and P856 official website. Variables:
// ?item ?ags and any of ?mastodon ?bluesky ?facebook ?instagram ?youtube ?x
// ?telegram ?website. Each value is canonicalized by its platform; a value
// that does not canonicalize is reported, never half-imported.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "registry/registry_yaml.h"

namespace muni::registry {

struct WikidataImport {
  std::vector<AccountProposal> accounts;  // source: https://www.wikidata.org/wiki/Q... (Pnnn)
  std::vector<std::string> problems;      // values not imported, with the reason
  int64_t rows = 0;
  int64_t items = 0;
};

// Platform variable -> (platform id, property). "website" for P856.
struct WikidataVariable {
  const char* variable;
  const char* platform;
  const char* property;
};
const std::vector<WikidataVariable>& wikidata_variables();

Result<WikidataImport> parse_wikidata_sparql(std::string_view json);

}  // namespace muni::registry
