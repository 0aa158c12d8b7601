// The muniscope(1) manual page, rendered from the same CLI11 definitions that
// print --help, so the two never drift apart. The build runs the hidden
// `muniscope man-page` command and installs the result.
#pragma once

#include <string>

namespace CLI {
class App;
}

namespace muni {

// roff (man(7) macros) for `app` and all its subcommands, plus the sections
// --help has no room for: files, environment, signals, exit status.
std::string render_man_page(const CLI::App& app, const std::string& version);

}  // namespace muni
