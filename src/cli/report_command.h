// `muniscope report`: the self-contained HTML report (report/html_report.h).
#pragma once

#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace muni {

struct CommonOptions;

struct ReportCommandOptions {
  std::vector<std::string> municipalities;
  std::string from, to;
  std::string lang = "de";
  std::string output;
  std::string survey;    // answers file
  std::string codebook;  // with --survey
};

void add_report_options(CLI::App& app, ReportCommandOptions& o);
int cmd_report(const ReportCommandOptions& o, const CommonOptions& common);

}  // namespace muni
