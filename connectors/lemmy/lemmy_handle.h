// Lemmy handles as configured, in their canonical form.
//
// Lemmy has two kinds of actor a municipality can be observed through: a
// community (a forum of posts and comment threads; web address
// https://host/c/name, Lemmy's own notation !name@host) and a person
// (https://host/u/name, @name@host; join-lemmy.org docs, "Getting
// started"). Every request goes to the actor's home instance: other
// instances only hold what they federated.
//
// Canonical forms (the same discovery proposes, lemmy_links.cpp):
//   "!name@host"   a community
//   "@name@host"   a person
// Accepted input besides: the web addresses https://host/c/name and
// https://host/u/name (any trailing path; also without "https://"), and
// https://host/c/name@home (a remote community seen on another instance:
// its home is asked). Names are ASCII letters, digits and '_' (Lemmy's
// actor names), compared and stored lower-case; the host is normalized to
// ASCII/Punycode. "name@host" alone is refused: it does not say which kind.
// An instance on http or another port keeps its address in the handle,
// "http://host:port/c/name" or "http://host:port/u/name" (tests, private
// instances).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"

namespace muni {

Result<std::string> canonical_lemmy_handle(std::string_view raw);

namespace lemmy {

// What a canonical handle names.
struct Actor {
  std::string base_url;  // "https://host" (or "http://host:port")
  std::string host;      // "host" or "host:port": the actor's instance
  std::string name;      // lower-case
  bool community = true;
};
std::optional<Actor> actor_of(std::string_view canonical_handle);

}  // namespace lemmy

}  // namespace muni
