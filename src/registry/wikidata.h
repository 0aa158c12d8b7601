// Accounts from Wikidata: a SPARQL query result (application/sparql-results+json,
// W3C "SPARQL 1.1 Query Results JSON Format") -> account proposals by AGS.
//
// The query (wikidata_query(), printed in docs/import.md) selects every item
// with an AGS (P439), its official website (P856, variable ?website) and,
// for every registered platform whose PlatformLinks names a Wikidata
// property, the accounts under that property in a variable named like the
// platform id. Which property holds which platform's accounts is the
// platform's knowledge (connectors/<id>/<id>_links.cpp), not this file's.
// Each value is turned into a raw handle by the platform
// (PlatformLinks::wikidata_handle) and canonicalized by it; a value that does
// not canonicalize is reported, never half-imported.
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

// A variable of the query: the official website (platform empty), or a
// platform's account property (variable = platform id).
struct WikidataVariable {
  std::string variable;
  std::string platform;  // empty: the website (P856)
  std::string property;  // "P856", "P4033", ...
  std::string label;     // the property's label, for the query's comments
};
// The website first, then the registered platforms in registry order.
std::vector<WikidataVariable> wikidata_variables();
// The SPARQL query for the Wikidata Query Service (docs/import.md).
std::string wikidata_query();

Result<WikidataImport> parse_wikidata_sparql(std::string_view json);

}  // namespace muni::registry
