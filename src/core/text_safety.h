// Text from the network made safe to store and to show.
//
// Every string a server sends may be invalid UTF-8, hold NUL bytes, or carry
// terminal escape sequences and line breaks that forge log lines. muniscope
// keeps two rules:
//   - the store holds valid UTF-8 only: invalid sequences become U+FFFD and
//     the record is flagged (repair_utf8);
//   - what is printed or logged has no control characters: they are shown
//     as escapes (printable), so a 404 body can never write a fake log line
//     or move a terminal's cursor. The same holds for the bidirectional
//     overrides and isolates (U+202A..U+202E, U+2066..U+2069), shown as
//     "\u202e", and for HTML pages (html_escape).
// The store keeps a post's text as the platform sent it (only repaired to
// valid UTF-8 without NUL): ESC or U+202E in a post are data a researcher
// may want to see. They never reach a terminal or a page unescaped.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace muni {

// True when `s` is well-formed UTF-8 (no overlongs, no surrogates, <= U+10FFFF).
bool is_valid_utf8(std::string_view s);

// Replaces every ill-formed sequence with U+FFFD (one per maximal ill-formed
// subpart, as the Unicode standard recommends) and removes NUL bytes.
// Returns true when anything was changed.
bool repair_utf8(std::string& s);

// For logs, terminals and state reasons: valid UTF-8 with control characters
// (C0, DEL, C1) written as escapes ("\n", "\x1b"), cut to at most `max_bytes`
// bytes of output (on a character boundary, with "…" appended when cut).
std::string printable(std::string_view s, size_t max_bytes = 4096);

// Appends the UTF-8 form of code point `cp` (nothing for cp > U+10FFFF).
void append_utf8(std::string& out, uint32_t cp);

// For HTML element content and attribute values: valid UTF-8, no control
// characters but tab and newline, and & < > " ' as entities. Everything a
// platform or a file supplied goes through it before it reaches a page.
std::string html_escape(std::string_view text);

// For table cells on a terminal: like printable(), but tabs and newlines
// become a single space so a cell stays on its line.
std::string printable_cell(std::string_view s);

// For machine formats (CSV, NDJSON) written to a terminal: like printable()
// without a length cap, but line breaks and tabs stay as they are, so the
// format is unchanged while no escape sequence reaches the terminal.
std::string terminal_safe(std::string_view s);

}  // namespace muni
