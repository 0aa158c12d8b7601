#include "cli/man_page.h"

#include <CLI/CLI.hpp>

namespace muni {

namespace {

// Escapes text for roff: backslashes, and a leading dot or quote that would
// read as a request.
std::string roff(const std::string& text) {
  std::string out;
  bool line_start = true;
  for (const char c : text) {
    if (line_start && (c == '.' || c == '\'')) out += "\\&";
    if (c == '\\') {
      out += "\\e";
    } else if (c == '-') {
      out += "\\-";
    } else {
      out += c;
    }
    line_start = c == '\n';
  }
  return out;
}

// --help text wraps lines by hand; a manual page reflows them.
std::string unwrap(const std::string& text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\n' && i + 1 < text.size() && text[i + 1] != '\n') {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

bool visible(const CLI::App* sub) { return !sub->get_group().empty(); }

void render_options(const CLI::App& app, std::string& out) {
  for (const CLI::Option* opt : app.get_options()) {
    if (opt->get_group().empty()) continue;
    std::string name =
        opt->get_positional() && opt->get_lnames().empty() && opt->get_snames().empty()
            ? opt->get_name(true)
            : opt->get_name(false, true);
    if (name == "-h,--help") continue;
    out += ".TP\n.B " + roff(name);
    const std::string type = opt->get_type_name();
    if (!type.empty() && opt->get_type_size() != 0) out += " \\fI" + roff(type) + "\\fR";
    out += "\n" + roff(unwrap(opt->get_description())) + "\n";
  }
}

// Leaf commands get a section; groups such as `store` only name their children.
void render_command(const CLI::App& app, const std::string& path, std::string& out) {
  const auto subs = app.get_subcommands(visible);
  if (subs.empty()) {
    out += ".SS " + roff(path) + "\n" + roff(unwrap(app.get_description())) + "\n";
    render_options(app, out);
    if (!app.get_footer().empty()) out += ".PP\n" + roff(unwrap(app.get_footer())) + "\n";
  }
  for (const CLI::App* sub : subs) render_command(*sub, path + " " + sub->get_name(), out);
}

}  // namespace

std::string render_man_page(const CLI::App& app, const std::string& version) {
  std::string out;
  out += ".TH MUNISCOPE 1 \"\" \"muniscope " + roff(version) + "\" \"User Commands\"\n";
  out +=
      ".SH NAME\nmuniscope \\- observe municipal social media accounts and check survey answers\n";
  out +=
      ".SH SYNOPSIS\n.B muniscope\n[\\fB\\-c\\fR \\fICONFIG\\fR] [\\fB\\-\\-db\\fR \\fIFILE\\fR] "
      "\\fICOMMAND\\fR [\\fIOPTIONS\\fR]\n";
  out += ".SH DESCRIPTION\n" + roff(unwrap(app.get_description())) + "\n";
  out +=
      ".PP\nThe daemon (\\fBmuniscope run\\fR, started by \\fBmuniscope.service\\fR) polls the "
      "configured accounts through one connector per platform and writes their activity into "
      "an SQLite store. Every other command reads that store, or the configuration.\n";
  out += ".SH GLOBAL OPTIONS\n";
  render_options(app, out);
  out += ".SH COMMANDS\n";
  for (const CLI::App* sub : app.get_subcommands(visible))
    render_command(*sub, sub->get_name(), out);
  out += R"(.SH FILES
.TP
.I /etc/muniscope/muniscope.yaml
The configuration: municipalities, accounts, platform settings, retention.
.TP
.I /etc/muniscope/credentials/
Platform tokens; the service receives each file as the systemd credential
\fBmuniscope_\fR\fIname\fR.
.TP
.I /var/lib/muniscope/muniscope.db
The store (SQLite, write-ahead log). Back it up with \fBmuniscope store backup\fR.
.TP
.I /usr/share/doc/muniscope/
Documentation: configuration, operations, metrics, survey check, connectors.
.SH ENVIRONMENT
.TP
.B MUNISCOPE_CONFIG
Configuration file when \fB\-\-config\fR is not given.
.TP
.B STATE_DIRECTORY
Set by systemd; the default store is \fI$STATE_DIRECTORY/muniscope.db\fR.
.TP
.B CREDENTIALS_DIRECTORY
Set by systemd; relative credential file names in the configuration are looked up here.
.TP
.B NOTIFY_SOCKET\fR, \fBWATCHDOG_USEC\fR, \fBJOURNAL_STREAM
Set by systemd; the daemon reports readiness and watchdog pings, and logs with
journald priorities instead of timestamps.
.SH SIGNALS
.TP
.B SIGHUP
Reload the configuration; an invalid one is reported and the running one kept.
.TP
.BR SIGTERM ", " SIGINT
Commit what has arrived and stop within about five seconds.
.SH EXIT STATUS
0 on success; 1 on runtime errors (and, for \fBsurvey check\fR, answers that
could not be mapped); 2 on usage or configuration errors.
.SH SEE ALSO
.BR systemd.service (5),
.BR systemd.exec (5),
.BR sqlite3 (1)
)";
  return out;
}

}  // namespace muni
