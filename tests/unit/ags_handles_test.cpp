#include <doctest/doctest.h>

#include "core/ags.h"
#include "connectors/bluesky/bluesky_handle.h"
#include "connectors/mastodon/mastodon_handle.h"
#include "core/platform.h"
#include "core/strings.h"

using namespace muni;

TEST_CASE("ags: valid keys pass, and each rule explains its failure") {
  const Land* bw = find_land("Baden-Württemberg");
  REQUIRE(bw != nullptr);
  CHECK(bw->code == "08");
  CHECK(find_land("BW") == bw);
  CHECK(find_land("baden-wuerttemberg") == bw);
  CHECK(find_land("08") == bw);
  CHECK(find_land("Bavaria") == nullptr);

  CHECK_FALSE(check_ags("08231000", MunicipalityKind::kKreisfreieStadt, bw).has_value());
  CHECK_FALSE(check_ags("14612000", std::nullopt, nullptr).has_value());

  auto short_key = check_ags("8231000", std::nullopt, nullptr);
  REQUIRE(short_key.has_value());
  CHECK(short_key->find("exactly 8 digits") != std::string::npos);
  CHECK(short_key->find("quote it") != std::string::npos);
  CHECK(check_ags("0823100X", std::nullopt, nullptr)->find("only digits") != std::string::npos);
  CHECK(check_ags("17000000", std::nullopt, nullptr)->find("Land code 17") != std::string::npos);
  CHECK(check_ags("09162000", std::nullopt, bw)->find("belongs to Bayern") != std::string::npos);
  CHECK(check_ags("08231001", MunicipalityKind::kLandkreis, bw)->find("followed by 000") !=
        std::string::npos);
  CHECK_FALSE(check_ags("08231001", MunicipalityKind::kGemeinde, bw).has_value());
}

TEST_CASE("ags: municipality kinds") {
  CHECK(parse_municipality_kind("kreisfreie Stadt") == MunicipalityKind::kKreisfreieStadt);
  CHECK(parse_municipality_kind("Landkreis") == MunicipalityKind::kLandkreis);
  CHECK(parse_municipality_kind("GEMEINDE") == MunicipalityKind::kGemeinde);
  CHECK_FALSE(parse_municipality_kind("Bezirk").has_value());
}

TEST_CASE("handles: Mastodon spellings of one account agree") {
  const std::string expected = "stadtpforzheim@xn--baw-joa.social";
  CHECK(*canonical_mastodon_handle("@stadtpforzheim@bawü.social") == expected);
  CHECK(*canonical_mastodon_handle("StadtPforzheim@xn--baw-joa.social") == expected);
  CHECK(*canonical_mastodon_handle("https://bawü.social/@stadtpforzheim") == expected);
  CHECK(*canonical_mastodon_handle("https://xn--baw-joa.social/users/stadtpforzheim/") == expected);
  // Other ports and plain http keep the URL form (test servers, self-hosting).
  CHECK(*canonical_mastodon_handle("http://127.0.0.1:8080/@Rathaus") ==
        "http://127.0.0.1:8080/@rathaus");
  // As printed in a press release: no scheme, the advanced web interface's path.
  CHECK(*canonical_mastodon_handle("nrw.social/deck/@stadtaachen") == "stadtaachen@nrw.social");
  CHECK(*canonical_mastodon_handle("nrw.social/@StadtAachen/") == "stadtaachen@nrw.social");
  CHECK(*canonical_mastodon_handle("https://nrw.social/deck/@stadtaachen") ==
        "stadtaachen@nrw.social");
  CHECK_FALSE(canonical_mastodon_handle("nrw.social/about").ok());
  CHECK_FALSE(canonical_mastodon_handle("stadtpforzheim").ok());
  CHECK_FALSE(canonical_mastodon_handle("@a b@host.de").ok());
  CHECK_FALSE(canonical_mastodon_handle("https://host.de/profile").ok());
}

TEST_CASE("handles: Bluesky handles, DIDs and profile URLs") {
  CHECK(*canonical_bluesky_handle("@Stadt.Example.de") == "stadt.example.de");
  CHECK(*canonical_bluesky_handle("https://bsky.app/profile/chriskenny.bsky.social") ==
        "chriskenny.bsky.social");
  CHECK(*canonical_bluesky_handle("did:plc:wpe35pganb6d4pg4ekmfy6u5") ==
        "did:plc:wpe35pganb6d4pg4ekmfy6u5");
  CHECK(*canonical_bluesky_handle("bsky.app/profile/StadtAachen.bsky.social") ==
        "stadtaachen.bsky.social");
  CHECK(*canonical_bluesky_handle("https://bsky.app/profile/stadtaachen.bsky.social/post/3k2a") ==
        "stadtaachen.bsky.social");
  CHECK(
      *canonical_bluesky_handle("at://did:plc:wpe35pganb6d4pg4ekmfy6u5/app.bsky.feed.post/3k2a") ==
      "did:plc:wpe35pganb6d4pg4ekmfy6u5");
  // A page announcing the account is not the account: refused, not guessed.
  CHECK_FALSE(canonical_bluesky_handle("https://frankfurt.de/bluesky").ok());
  CHECK_FALSE(canonical_bluesky_handle("frankfurt.de/bluesky").ok());
  CHECK_FALSE(canonical_bluesky_handle("https://stadt.example.de").ok());
  CHECK_FALSE(canonical_bluesky_handle("did:plc:tooshort").ok());
  CHECK_FALSE(canonical_bluesky_handle("nodot").ok());
}
