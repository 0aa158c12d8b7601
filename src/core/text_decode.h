// Text files from people's tools, as UTF-8: spreadsheets save CSV as
// Windows-1252 (German Excel) or UTF-16 ("Unicode text"), old directories
// are ISO-8859-1. Nothing that is not valid UTF-8 goes past this point.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"

namespace muni {

enum class TextEncoding {
  kAuto,         // UTF-16 by its byte-order mark, else UTF-8 if valid, else Windows-1252
  kUtf8,         // invalid bytes are an error
  kWindows1252,  // 0x80-0x9F are Windows' letters and signs (€, „, “, –)
  kLatin1,       // ISO-8859-1: 0x80-0x9F are control characters
  kUtf16,        // with a byte-order mark (little or big endian)
};

// "auto", "utf-8", "windows-1252" / "cp1252", "latin1" / "iso-8859-1", "utf-16".
Result<TextEncoding> parse_text_encoding(std::string_view name);
std::string_view text_encoding_id(TextEncoding e);

std::string latin1_to_utf8(std::string_view bytes);
std::string windows1252_to_utf8(std::string_view bytes);

struct DecodedText {
  std::string text;                             // valid UTF-8, without a byte-order mark
  TextEncoding encoding = TextEncoding::kUtf8;  // what the bytes were read as
};
// Decodes `bytes`; `what` names the input in error messages. UTF-16 without
// a byte-order mark (NUL bytes in text) is refused with advice, not misread.
Result<DecodedText> decode_text(std::string_view bytes, TextEncoding encoding,
                                const std::string& what);

// Documents from the network declare their charset (an XML declaration's
// encoding="...", HTTP's Content-Type charset=...), and the declaration is
// often wrong: a CMS writes UTF-8 under a template that still says
// ISO-8859-1, so read as declared every "ü" becomes "Ã¼" (mojibake), with
// no error anywhere. The helpers below compare what is declared with what
// the bytes are.

// The WHATWG Encoding Standard's name for a charset label
// (encoding.spec.whatwg.org, "Encodings" table): labels are matched after
// trimming ASCII whitespace, case-insensitively. "iso-8859-1", "latin1",
// "us-ascii" and "ascii" are windows-1252 (what every browser reads them
// as: 0x80-0x9F are "€„“–" and not control characters), "iso-8859-9" is
// windows-1254, "tis-620" windows-874, "utf-16" UTF-16LE. "" for a label the
// standard does not know.
std::string whatwg_encoding_name(std::string_view label);

// Whether a charset label names a single-byte charset, one byte per
// character: ISO-8859-x, windows-125x, US-ASCII, KOI8 and their aliases
// (case-insensitive). UTF-8, UTF-16 and multi-byte Asian charsets are not.
bool is_single_byte_charset(std::string_view label);

// Whether `bytes` are valid UTF-8 with at least one multi-byte sequence.
// Text like that, declared single-byte, is UTF-8 in disguise: real Latin-1
// or windows-1252 text with letters beyond ASCII is practically never valid
// UTF-8 ("ü" is the lone byte 0xFC; UTF-8 needs a lead byte and a
// continuation byte in a row).
bool has_multibyte_utf8(std::string_view bytes);

// The charset parameter of a Content-Type value, unquoted ("text/xml;
// charset=\"ISO-8859-1\"" -> "ISO-8859-1"), or "".
std::string content_type_charset(std::string_view content_type);

// The encoding an XML document declares in its first line
// (<?xml version="1.0" encoding="ISO-8859-1"?>, after an optional UTF-8
// byte-order mark), or "" when it declares none.
std::string xml_declared_encoding(std::string_view document);

// How to read an XML document whose declarations may be wrong. Which
// declaration governs follows RFC 7303 8.1 (and the WHATWG Encoding
// Standard for labels): a byte-order mark, else the charset of HTTP's
// Content-Type, else the document's own encoding="...", else UTF-8. Then
// the bytes are weighed against it:
//   - declared single-byte but valid UTF-8 with multi-byte sequences:
//     read as UTF-8, and say so ("declared ISO-8859-1 but is UTF-8");
//   - declared UTF-8 but not valid UTF-8, while the other declaration
//     (the document's, or HTTP's) names a single-byte charset: read as that
//     one, and say so;
//   - declared UTF-8, not valid UTF-8 and nothing else declared: refused
//     (`refusal` says where the first bad byte is);
//   - declared UTF-16 without a byte-order mark or NUL bytes: 8-bit text
//     under a wrong label, checked as UTF-8 (and said);
//   - otherwise as the governing declaration says, its label read as WHATWG
//     says (ISO-8859-1 as windows-1252).
struct XmlCharsetFix {
  // The document with its declaration rewritten, when it must be read
  // otherwise than it says; nullopt to parse the bytes as they are.
  std::optional<std::string> document;
  // What was corrected, for the poll log and status ("declared ISO-8859-1
  // but is UTF-8; read as UTF-8"); "" when nothing was.
  std::string note;
  // Why the document cannot be read at all, or "".
  std::string refusal;
};
XmlCharsetFix fix_xml_charset(std::string_view document, std::string_view content_type = {});

// Case folding for comparing what people type: ASCII, the Latin-1 letters
// (Ä Ö Ü À–Þ) and capital sharp s (ẞ -> ß). "WÖCHENTLICH" -> "wöchentlich".
std::string fold_case(std::string_view s);

}  // namespace muni
