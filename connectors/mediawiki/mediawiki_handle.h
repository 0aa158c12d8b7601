// MediaWiki accounts as configured, in their canonical form.
//
// One platform, two modes, told apart by the handle alone:
//
//   site mode   the wiki itself, written as its script path: the URL of the
//               folder that holds api.php. "https://wiki.example-stadt.de/w/",
//               ".../w" and ".../w/api.php" are the same wiki. Canonical:
//               "https://host[:port]/path/" (host normalized, one trailing
//               slash, api.php left off). The scheme must be given (http or
//               https): the script path cannot be guessed from a host name.
//   user mode   one user account on a wiki (the municipality's staff):
//               "Name@<site handle>", e.g.
//               "Stadtverwaltung@https://wiki.example-stadt.de/w/". A leading
//               "User:" or "Benutzer:" is dropped, underscores are spaces,
//               and the first letter is upper case (MediaWiki's default
//               $wgCapitalLinks). MediaWiki forbids '@' in user names
//               (default $wgInvalidUsernameCharacters "@:>"), so the first '@'
//               always ends the name; a handle that starts with a scheme is
//               a site.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"

namespace muni {

Result<std::string> canonical_mediawiki_handle(std::string_view raw);

namespace mediawiki {

struct Target {
  std::string script_url;  // "https://wiki.example-stadt.de/w/" (ends in '/')
  std::string user;        // user mode: the user name; site mode: ""
  bool user_mode() const { return !user.empty(); }
  std::string api_url() const { return script_url + "api.php"; }
};

// The target of a canonical handle (nullopt for anything else).
std::optional<Target> target_of(std::string_view canonical);

}  // namespace mediawiki
}  // namespace muni
