// The Mastodon and Bluesky fakes served on loopback together: what the
// end-to-end tests of the social platforms point a configuration at.
#pragma once

#include "fake_bluesky.h"
#include "fake_mastodon.h"
#include "loopback_server.h"

namespace muni::test {

// Both fakes served on loopback, each on its own port: what the end-to-end
// tests point a configuration at (Mastodon handles as URLs on
// `mastodon_server`, `platforms.bluesky.base_url` = `appview.base_url()`).
struct LoopbackPlatforms {
  FakeMastodon mastodon{""};
  FakeBluesky bluesky;
  LoopbackServer mastodon_server{[this](const HttpRequest& r) { return mastodon.handle(r); }};
  LoopbackServer appview{[this](const HttpRequest& r) { return bluesky.handle(r); }};
  LoopbackPlatforms() { mastodon.set_base_url(mastodon_server.base_url()); }
};

}  // namespace muni::test
