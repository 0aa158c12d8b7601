// String and URL helpers (src/core/strings.h). Reading local files
// (read_input_file) is tested with the configuration (config_test.cpp).
#include <doctest/doctest.h>

#include "core/strings.h"

using namespace muni;

TEST_CASE("strings: IDNA host normalization through libidn2 (Punycode, UTS 46 mapping)") {
  CHECK(normalize_host("bawü.social") == "xn--baw-joa.social");
  CHECK(normalize_host("BAWÜ.Social") == "xn--baw-joa.social");
  CHECK(normalize_host("xn--baw-joa.social") == "xn--baw-joa.social");
  // ß is its own letter in IDNA2008 (nontransitional), not "ss".
  CHECK(normalize_host("straße.example") == "xn--strae-oqa.example");
  // A decomposed ü (u + combining diaeresis) is the same host (NFC).
  CHECK(normalize_host("baw\x75\xcc\x88.social") == "xn--baw-joa.social");
  CHECK_FALSE(normalize_host("\xff\xfe.example").has_value());  // not UTF-8
  CHECK(normalize_host("BÜCHER.example") == "xn--bcher-kva.example");
  CHECK(normalize_host("münchen.de") == "xn--mnchen-3ya.de");
  CHECK_FALSE(normalize_host("bad host").has_value());
}

TEST_CASE("strings: URL helpers") {
  auto u = parse_url("https://Example.ORG:443/api/v1?x=1");
  REQUIRE(u.has_value());
  CHECK(u->origin() == "https://example.org");
  CHECK(u->path == "/api/v1?x=1");
  CHECK(url_query_param("https://h/x?limit=5&max_id=117020580489281910", "max_id") ==
        "117020580489281910");
  CHECK_FALSE(url_query_param("https://h/x?limit=5", "max_id").has_value());
  CHECK(url_encode("a b&c") == "a%20b%26c");
  CHECK(redact_url("https://h/x?key=SECRET&part=snippet") ==
        "https://h/x?key=REDACTED&part=snippet");
}

TEST_CASE("strings: remove_query_param takes out every occurrence of one parameter") {
  CHECK(remove_query_param("https://a.example/v?x=1&key=S&y=2&key=S#f", "key") ==
        "https://a.example/v?x=1&y=2#f");
  CHECK(remove_query_param("https://a.example/v?key=S", "key") == "https://a.example/v");
  CHECK(remove_query_param("https://a.example/v", "key") == "https://a.example/v");
  CHECK(remove_query_param("https://a.example/v?keys=1&k%65y=S", "key") ==
        "https://a.example/v?keys=1");
}
