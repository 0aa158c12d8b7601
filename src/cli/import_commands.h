// `muniscope import gv` (the official municipality directory) and
// `muniscope import wikidata` (accounts from a Wikidata SPARQL result):
// configuration files from official and open data (docs/import.md).
#pragma once

#include <string>

namespace CLI {
class App;
}

namespace muni {

struct ImportGvOptions {
  std::string file;
  std::string out_dir = "registry";
  std::string encoding = "auto";
  std::string population_date;  // YYYY-MM-DD; default: from Hinweise.txt beside the file
};
void add_import_gv_options(CLI::App& cmd, ImportGvOptions& o);
int cmd_import_gv(const ImportGvOptions& o);

struct ImportWikidataOptions {
  std::string file;
  std::string registry_dir = "registry";
  std::string out_file = "accounts-wikidata.yaml";
};
void add_import_wikidata_options(CLI::App& cmd, ImportWikidataOptions& o);
int cmd_import_wikidata(const ImportWikidataOptions& o);

}  // namespace muni
