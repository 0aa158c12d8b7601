// The text and date helpers feeds are read with: HTML5 character
// references (core/html_text.h), feed dates (core/time_util.h). The feeds
// that use them are in tests/connectors/rss_conformance_test.cpp.
#include <doctest/doctest.h>

#include "core/html_text.h"
#include "core/time_util.h"
#include "test_support.h"

using namespace muni;
using muni::test::at;

TEST_CASE(
    "html text: every HTML5 named reference, legacy ones without a semicolon, C1 numbers as windows-1252") {
  CHECK(decode_entities("&uuml;&Auml;&szlig;&euro;&hellip;&bdquo;&ldquo;") == "üÄß€…„“");
  CHECK(decode_entities("&NotEqualTilde;") == "\xE2\x89\x82\xCC\xB8");  // two code points
  CHECK(decode_entities("&CounterClockwiseContourIntegral;") == "\xE2\x88\xB3");
  CHECK(decode_entities("&copy 2024") == "© 2024");        // legacy, no ';'
  CHECK(decode_entities("?a=1&copy=2") == "?a=1&copy=2");  // not in a query
  CHECK(decode_entities("&hellip no") == "&hellip no");    // not a legacy name
  CHECK(decode_entities("&#146;&#128;&#x96;&#x81;") == "’€–\xC2\x81");
  CHECK(decode_entities("&foo; &amp") == "&foo; &amp");  // unknown; legacy at the end kept
  CHECK(decode_entities("&#0; &#xD800; &#x110000;") == "&#0; &#xD800; &#x110000;");
  size_t n = 0;
  CHECK(xml_with_html_entities("<t>B&uuml;ro &amp; &lt; &#8211; &foo;</t>", &n) ==
        "<t>B&#252;ro &amp; &lt; &#8211; &foo;</t>");
  CHECK(n == 1);
  CHECK(xml_with_html_entities("<t><![CDATA[&uuml;]]>&ouml;</t>", &n) ==
        "<t><![CDATA[&uuml;]]>&#246;</t>");
}

TEST_CASE("feed dates: RFC 822 zones, German names, W3C-DTF forms, refused offsets") {
  CHECK(parse_rfc822_date("Di, 03 Dez 2024 10:00:00 MEZ") == at("2024-12-03T09:00:00Z"));
  CHECK(parse_rfc822_date("Sa, 01 Aug 2026 10:00:00 MESZ") == at("2026-08-01T08:00:00Z"));
  CHECK(parse_rfc822_date("Tue, 03 Dec 2024 10:00:00 CEST") == at("2024-12-03T08:00:00Z"));
  CHECK(parse_rfc822_date("Tue, 03 Dec 2024 10:00:00 PDT") == at("2024-12-03T17:00:00Z"));
  CHECK(parse_rfc822_date("Tue, 03 Dec 2024 10:00:00 Q") == at("2024-12-03T10:00:00Z"));
  CHECK_FALSE(parse_rfc822_date("Tue, 03 Dec 2024 10:00:00"));  // no zone: no guess
  CHECK_FALSE(parse_rfc822_date("Tue, 03 Dec 2024 10:00:00 +0575"));
  CHECK(expand_two_digit_year(49) == 2049);
  CHECK(expand_two_digit_year(50) == 1950);
  CHECK(parse_w3cdtf("2024") == at("2024-01-01T00:00:00Z"));
  CHECK(parse_w3cdtf("2024-12-03T10:00+01:00") == at("2024-12-03T09:00:00Z"));
  CHECK(parse_w3cdtf("20241203T100000Z") == at("2024-12-03T10:00:00Z"));
  CHECK_FALSE(parse_w3cdtf("2024-12-03T10:00:00"));
  CHECK_FALSE(parse_w3cdtf("2024-12-03T10:00:00+05:75"));
  CHECK_FALSE(parse_iso8601("2024-12-03T10:00:00+05:75"));
  CHECK_FALSE(parse_w3cdtf("2024T10:00Z"));
  CHECK(parse_feed_date("  Tue, 03 Dec 2024 10:00:00 GMT ") == at("2024-12-03T10:00:00Z"));
}
