// `muniscope discover`: account proposals from municipalities' official
// websites (registry/discovery.h decides; this file does the polite HTTP).
//
// Politeness by construction: robots.txt first (RFC 9309), one request at a
// time per host with a pause between them, the configured User-Agent with
// its contact, the transport's limits (timeouts, size cap, no private
// addresses unless the configuration allows them), redirects followed only
// within the site (the home page may move to another host once, never from
// https to http).
#pragma once

#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace muni {

struct DiscoverOptions {
  std::string config_path;
  std::vector<std::string> municipalities;
  bool all = false;
  std::string write_file;    // proposals as YAML (status: proposed)
  std::string registry_dir;  // merge them into the registry files instead
  bool show_refused = false;
  int parallel = 8;          // websites fetched at the same time
  double delay_s = 1.0;      // pause between two requests to one host
  std::string format = "table";
};

void add_discover_options(CLI::App& cmd, DiscoverOptions& o);
int cmd_discover(const DiscoverOptions& o);

}  // namespace muni
