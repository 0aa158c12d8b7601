// Text files from people's tools, as UTF-8: spreadsheets save CSV as
// Windows-1252 (German Excel) or UTF-16 ("Unicode text"), old directories
// are ISO-8859-1. Nothing that is not valid UTF-8 goes past this point.
#pragma once

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
  std::string text;  // valid UTF-8, without a byte-order mark
  TextEncoding encoding = TextEncoding::kUtf8;  // what the bytes were read as
};
// Decodes `bytes`; `what` names the input in error messages. UTF-16 without
// a byte-order mark (NUL bytes in text) is refused with advice, not misread.
Result<DecodedText> decode_text(std::string_view bytes, TextEncoding encoding,
                                const std::string& what);

// Case folding for comparing what people type: ASCII, the Latin-1 letters
// (Ä Ö Ü À–Þ) and capital sharp s (ẞ -> ß). "WÖCHENTLICH" -> "wöchentlich".
std::string fold_case(std::string_view s);

}  // namespace muni
