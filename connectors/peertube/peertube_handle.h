// PeerTube handles as configured, in their canonical form.
//
// PeerTube publishes videos under two kinds of actor: an account (a user,
// https://host/a/name, API /api/v1/accounts/{name}) and its video channels
// (https://host/c/name, API /api/v1/video-channels/{name}). Both are
// ActivityPub actors named name@host, and one instance never gives an
// account and a channel the same name (creating a channel whose name an
// actor of the instance already has is refused). So:
//
//   "name@host"          an actor of that instance: read as an account; when
//                        the instance knows no account of that name, as a
//                        channel (the connector remembers which it was).
//   "channel:name@host"  a channel, never read as an account.
//
// Accepted input: "@name@host", "name@host", "account:name@host",
// "channel:name@host", and the web addresses https://host/a/name,
// /accounts/name, /c/name, /video-channels/name, /@name (PeerTube's short
// address of either kind), each with any trailing path (/videos) and also
// without "https://". The instance host is normalized to ASCII/Punycode;
// the name is kept as written (channel names may hold capitals, and the
// instance looks actors up by the name as stored: "Stadt" and "stadt" are
// two handles).
// An instance on http or another port keeps its address in the handle:
// "http://host:port/a/name" or "http://host:port/c/name" (tests, private
// instances).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"

namespace muni {

Result<std::string> canonical_peertube_handle(std::string_view raw);

namespace peertube {

// What a canonical handle names.
struct Actor {
  std::string base_url;       // "https://host" (or "http://host:port")
  std::string name;           // the actor's name on its instance
  bool channel_only = false;  // "channel:" or /c/: never read as an account
};
std::optional<Actor> actor_of(std::string_view canonical_handle);

}  // namespace peertube

}  // namespace muni
