// `muniscope export`: the store's raw data and the metrics as files R, Stata
// and pandas read as they are (docs/exports.md).
//
//   posts | account-samples | post-samples   streamed from the store
//                                           (store/store_export.h)
//   metrics                                 one row per group and period
//   survey                                  one row per municipality and
//                                           survey item (survey/check.h)
//
// Formats: csv (RFC 4180, UTF-8, one header row, CRLF) with a sidecar
// FILE.meta.json; ndjson (one JSON object per line) whose first line is the
// metadata record {"_meta": {...}}. The metadata names the muniscope
// version, when the file was generated, the time zone, the period, the store
// and a SHA-256 digest of the main configuration file, so a file can be
// cited and its provenance checked. Parquet is not offered: Debian 12 does
// not package Apache Arrow's C++ library, and muniscope takes its
// dependencies from Debian only.
#pragma once

#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace muni {

struct CommonOptions;

struct ExportOptions {
  std::string what;  // posts, account-samples, post-samples, metrics, survey
  std::vector<std::string> municipalities;
  std::string platform;
  std::string from, to;  // inclusive local dates
  std::string format = "csv";
  std::string output;  // "" or "-": standard output
  // metrics only
  std::string by;
  std::string level = "municipality";
  // survey only
  std::string answers, codebook, encoding;
  bool progress = true;
};

void add_export_options(CLI::App& app, ExportOptions& o);
int cmd_export(const ExportOptions& o, const CommonOptions& common);

}  // namespace muni
