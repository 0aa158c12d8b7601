// The JSON reader (src/core/json.h) every JSON connector parses with. Cases
// named "(finding N)" are regression tests for the findings listed in
// docs/reliability.md; counts are tested with the page guard
// (page_guard_test.cpp).
#include <doctest/doctest.h>

#include "core/json.h"

using namespace muni;

TEST_CASE("json: deeply nested JSON is refused without touching the stack (finding 10)") {
  // Found: 150 KB of '[' overflowed RapidJSON's recursive parser (SIGSEGV).
  const std::string bomb(150 * 1024, '[');
  auto r = parse_json(bomb);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message.find("nested deeper") != std::string::npos);
  // Brackets inside strings do not count; real nesting up to the limit parses.
  std::string deep;
  for (int i = 0; i < 200; ++i) deep += "[";
  deep += "\"[[[[{{{{\"";
  for (int i = 0; i < 200; ++i) deep += "]";
  CHECK(parse_json(deep).ok());
  // Truncated, empty and HTML bodies stay clear errors.
  CHECK(parse_json("{\"a\": [1, 2").error().message.find("invalid JSON") != std::string::npos);
  CHECK(parse_json("").error().message.find("empty body") != std::string::npos);
}

TEST_CASE(
    "json: a lone surrogate escape becomes U+FFFD instead of failing the document (finding 14)") {
  auto doc = parse_json(R"([{"t": "a\ud800b"}, {"t": "ok \ud83c\udfdb"}, {"t": "\udc00"}])");
  REQUIRE(doc.ok());
  CHECK(json_string((**doc)[0], "t") ==
        "a\xEF\xBF\xBD"
        "b");
  CHECK(json_string((**doc)[1], "t") == "ok \xF0\x9F\x8F\x9B");  // a real pair stays
  CHECK(json_string((**doc)[2], "t") == "\xEF\xBF\xBD");
  // An escaped backslash before "ud800" is text, not an escape.
  auto text = parse_json(R"({"t": "\\ud800 and \ud800"})");
  REQUIRE(text.ok());
  CHECK(json_string(**text, "t") == "\\ud800 and \xEF\xBF\xBD");
}
