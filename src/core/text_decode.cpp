#include "core/text_decode.h"

#include "core/strings.h"
#include "core/text_safety.h"

namespace muni {

namespace {

// Windows-1252 0x80-0x9F (the five unassigned positions map to U+FFFD).
constexpr uint32_t kCp1252High[32] = {
    0x20AC, 0xFFFD, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0xFFFD, 0x017D, 0xFFFD, 0xFFFD, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0xFFFD, 0x017E, 0x0178};

Result<std::string> utf16_to_utf8(std::string_view bytes, bool little_endian,
                                  const std::string& what) {
  if (bytes.size() % 2 != 0) {
    return make_error(ErrorCode::kParse, what + ": UTF-16 text with an odd number of bytes");
  }
  std::string out;
  out.reserve(bytes.size() / 2);
  auto unit = [&](size_t i) {
    const auto a = static_cast<unsigned char>(bytes[i]);
    const auto b = static_cast<unsigned char>(bytes[i + 1]);
    return static_cast<uint32_t>(little_endian ? (a | (b << 8)) : ((a << 8) | b));
  };
  for (size_t i = 0; i < bytes.size(); i += 2) {
    uint32_t cp = unit(i);
    if (cp >= 0xD800 && cp < 0xDC00 && i + 3 < bytes.size()) {
      const uint32_t low = unit(i + 2);
      if (low >= 0xDC00 && low < 0xE000) {
        cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
        i += 2;
      } else {
        cp = 0xFFFD;
      }
    } else if (cp >= 0xD800 && cp < 0xE000) {
      cp = 0xFFFD;
    }
    if (cp != 0) append_utf8(out, cp);
  }
  return out;
}

}  // namespace

Result<TextEncoding> parse_text_encoding(std::string_view name) {
  const std::string n = to_lower_ascii(trim(name));
  if (n == "auto") return TextEncoding::kAuto;
  if (n == "utf-8" || n == "utf8") return TextEncoding::kUtf8;
  if (n == "windows-1252" || n == "cp1252" || n == "win1252") return TextEncoding::kWindows1252;
  if (n == "latin1" || n == "latin-1" || n == "iso-8859-1" || n == "iso8859-1") {
    return TextEncoding::kLatin1;
  }
  if (n == "utf-16" || n == "utf16") return TextEncoding::kUtf16;
  return make_error(ErrorCode::kInvalidArgument,
                    "unknown encoding '" + std::string(name) +
                        "' (auto, utf-8, windows-1252, latin1 or utf-16)");
}

std::string_view text_encoding_id(TextEncoding e) {
  switch (e) {
    case TextEncoding::kAuto:
      return "auto";
    case TextEncoding::kUtf8:
      return "utf-8";
    case TextEncoding::kWindows1252:
      return "windows-1252";
    case TextEncoding::kLatin1:
      return "iso-8859-1";
    case TextEncoding::kUtf16:
      return "utf-16";
  }
  return "auto";
}

std::string latin1_to_utf8(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() + bytes.size() / 8);
  for (const char ch : bytes) append_utf8(out, static_cast<unsigned char>(ch));
  return out;
}

std::string windows1252_to_utf8(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() + bytes.size() / 8);
  for (const char ch : bytes) {
    const auto c = static_cast<unsigned char>(ch);
    append_utf8(out, c >= 0x80 && c < 0xA0 ? kCp1252High[c - 0x80] : c);
  }
  return out;
}

Result<DecodedText> decode_text(std::string_view bytes, TextEncoding encoding,
                                const std::string& what) {
  DecodedText out;
  const bool le_bom = bytes.size() >= 2 && bytes.substr(0, 2) == "\xFF\xFE";
  const bool be_bom = bytes.size() >= 2 && bytes.substr(0, 2) == "\xFE\xFF";
  if (le_bom || be_bom) {
    if (encoding != TextEncoding::kAuto && encoding != TextEncoding::kUtf16) {
      return make_error(ErrorCode::kParse, what + ": the file is UTF-16 (it starts with a "
                                                  "byte-order mark), not " +
                                                  std::string(text_encoding_id(encoding)));
    }
    MUNI_TRY(out.text, utf16_to_utf8(bytes.substr(2), le_bom, what));
    out.encoding = TextEncoding::kUtf16;
    return out;
  }
  if (encoding == TextEncoding::kUtf16) {
    return make_error(ErrorCode::kParse,
                      what + ": UTF-16 without a byte-order mark cannot be read safely; save the "
                             "file as \"CSV UTF-8\"");
  }
  if (bytes.size() >= 3 && bytes.substr(0, 3) == "\xEF\xBB\xBF") bytes.remove_prefix(3);
  if (bytes.find('\0') != std::string_view::npos) {
    return make_error(ErrorCode::kParse,
                      what + ": the file contains NUL bytes (UTF-16 without a byte-order mark, "
                             "or not a text file); save it as \"CSV UTF-8\"");
  }
  if (encoding == TextEncoding::kAuto) {
    encoding = is_valid_utf8(bytes) ? TextEncoding::kUtf8 : TextEncoding::kWindows1252;
  }
  out.encoding = encoding;
  switch (encoding) {
    case TextEncoding::kUtf8:
      if (!is_valid_utf8(bytes)) {
        // Name the first bad line so the person can look at it.
        int line = 1;
        for (size_t i = 0; i < bytes.size();) {
          const auto c = static_cast<unsigned char>(bytes[i]);
          const size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3
                                                            : (c >> 3) == 0x1E ? 4 : 0;
          if (len == 0 || i + len > bytes.size() || !is_valid_utf8(bytes.substr(i, len))) break;
          if (c == '\n') ++line;
          i += len;
        }
        return make_error(ErrorCode::kParse,
                          what + ":" + std::to_string(line) +
                              ": not valid UTF-8 (saved by Excel as Windows-1252? use "
                              "--encoding windows-1252, or auto)");
      }
      out.text = std::string(bytes);
      break;
    case TextEncoding::kWindows1252:
      out.text = windows1252_to_utf8(bytes);
      break;
    case TextEncoding::kLatin1:
      out.text = latin1_to_utf8(bytes);
      break;
    default:
      break;
  }
  return out;
}

bool is_single_byte_charset(std::string_view label) {
  const std::string n = to_lower_ascii(trim(label));
  if (n.empty()) return false;
  // The labels of the WHATWG Encoding Standard's single-byte encodings
  // (encoding.spec.whatwg.org, "Legacy single-byte encodings"), plus ASCII.
  for (const char* prefix : {"iso-8859-", "iso8859-", "iso_8859-", "iso8859", "windows-125",
                             "cp125", "x-cp125", "koi8", "mac", "x-mac", "ibm8"}) {
    if (starts_with(n, prefix)) return true;
  }
  for (const char* name :
       {"latin1",          "latin-1",        "l1",          "us-ascii", "ascii",
        "ansi_x3.4-1968",  "iso-ir-100",     "csisolatin1", "cp819",    "ibm819",
        "iso_8859-1:1987", "latin2",         "latin9",      "l9",       "cp1252",
        "win1252",         "x-user-defined", "tis-620",     "dos-874",  "cp866"}) {
    if (n == name) return true;
  }
  return false;
}

bool has_multibyte_utf8(std::string_view bytes) {
  bool multibyte = false;
  for (const char c : bytes) {
    if (static_cast<unsigned char>(c) >= 0x80) {
      multibyte = true;
      break;
    }
  }
  return multibyte && is_valid_utf8(bytes);
}

std::string content_type_charset(std::string_view content_type) {
  for (const std::string& part : split(content_type, ';')) {
    const std::string_view p = trim(part);
    const size_t eq = p.find('=');
    if (eq == std::string_view::npos || !iequals(trim(p.substr(0, eq)), "charset")) continue;
    std::string_view v = trim(p.substr(eq + 1));
    if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
    return std::string(trim(v));
  }
  return "";
}

namespace {

constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";

// Where the XML declaration's encoding value sits: [begin, end) in
// `document`, or npos when the declaration has none. `decl_end` is the
// offset of its "?>" (npos without a declaration).
struct XmlDecl {
  size_t decl_end = std::string_view::npos;
  size_t value_begin = std::string_view::npos;
  size_t value_end = std::string_view::npos;
};

XmlDecl find_xml_decl(std::string_view document) {
  XmlDecl d;
  const size_t start = starts_with(document, kUtf8Bom) ? kUtf8Bom.size() : 0;
  const std::string_view rest = document.substr(start);
  if (rest.size() < 6 || rest.substr(0, 5) != "<?xml" ||
      (rest[5] != ' ' && rest[5] != '\t' && rest[5] != '\r' && rest[5] != '\n'))
    return d;
  // A declaration is short; looking further would read the document.
  const size_t end = rest.substr(0, 256).find("?>");
  if (end == std::string_view::npos) return d;
  d.decl_end = start + end;
  const std::string_view decl = rest.substr(0, end);
  size_t at = decl.find("encoding");
  if (at == std::string_view::npos) return d;
  at += 8;
  while (at < decl.size() && (decl[at] == ' ' || decl[at] == '\t')) ++at;
  if (at >= decl.size() || decl[at] != '=') return d;
  ++at;
  while (at < decl.size() && (decl[at] == ' ' || decl[at] == '\t')) ++at;
  if (at >= decl.size() || (decl[at] != '"' && decl[at] != '\'')) return d;
  const char quote = decl[at++];
  const size_t close = decl.find(quote, at);
  if (close == std::string_view::npos) return d;
  d.value_begin = start + at;
  d.value_end = start + close;
  return d;
}

// `document` with its declaration naming `encoding` (one is added where the
// document has none).
std::string with_xml_encoding(std::string_view document, std::string_view encoding) {
  const XmlDecl d = find_xml_decl(document);
  std::string out;
  out.reserve(document.size() + 48);
  if (d.value_begin != std::string_view::npos) {
    out.append(document.substr(0, d.value_begin));
    out.append(encoding);
    out.append(document.substr(d.value_end));
  } else if (d.decl_end != std::string_view::npos) {
    out.append(document.substr(0, d.decl_end));
    out.append(" encoding=\"").append(encoding).append("\"");
    out.append(document.substr(d.decl_end));
  } else {
    const size_t bom = starts_with(document, kUtf8Bom) ? kUtf8Bom.size() : 0;
    out.append(document.substr(0, bom));
    out.append("<?xml version=\"1.0\" encoding=\"").append(encoding).append("\"?>");
    out.append(document.substr(bom));
  }
  return out;
}

bool is_utf8_label(std::string_view label) {
  const std::string n = to_lower_ascii(trim(label));
  return n == "utf-8" || n == "utf8";
}

}  // namespace

std::string xml_declared_encoding(std::string_view document) {
  const XmlDecl d = find_xml_decl(document);
  if (d.value_begin == std::string_view::npos) return "";
  return std::string(trim(document.substr(d.value_begin, d.value_end - d.value_begin)));
}

XmlCharsetFix fix_xml_charset(std::string_view document, std::string_view content_type) {
  XmlCharsetFix fix;
  // UTF-16 and UTF-32 announce themselves with a byte-order mark or NUL
  // bytes: the XML parser reads those, nothing to compare here.
  if (starts_with(document, "\xFF\xFE") || starts_with(document, "\xFE\xFF") ||
      document.substr(0, 4).find('\0') != std::string_view::npos)
    return fix;
  const std::string declared = xml_declared_encoding(document);
  const std::string http = content_type_charset(content_type);
  const bool bom = starts_with(document, kUtf8Bom);
  const std::string_view text = document.substr(bom ? kUtf8Bom.size() : 0);
  // What the document will be read as when nothing is done: its own
  // declaration, else UTF-8 (the XML default; the parser never sees HTTP).
  const std::string& claimed = !declared.empty() ? declared : http;
  if (is_single_byte_charset(claimed) && has_multibyte_utf8(text)) {
    fix.document = with_xml_encoding(document, "UTF-8");
    fix.note = "declared " + claimed + (declared.empty() ? " (by the server)" : "") +
               " but is UTF-8; read as UTF-8";
    return fix;
  }
  if (bom || !is_single_byte_charset(http) || is_valid_utf8(text)) return fix;
  // Not UTF-8, and HTTP names a single-byte charset.
  if (declared.empty()) {
    fix.document = with_xml_encoding(document, http);  // RFC 7303: HTTP's charset applies
  } else if (is_utf8_label(declared)) {
    fix.document = with_xml_encoding(document, http);
    fix.note = "declared " + declared + " but is not UTF-8; read as " + http +
               " (the server's Content-Type)";
  }
  return fix;
}

std::string fold_case(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      out += static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
    } else if (c == 0xC3 && i + 1 < s.size()) {
      // U+00C0-U+00DE (but U+00D7 ×) -> +0x20.
      const auto d = static_cast<unsigned char>(s[i + 1]);
      out += static_cast<char>(c);
      out += static_cast<char>(d >= 0x80 && d <= 0x9E && d != 0x97 ? d + 0x20 : d);
      ++i;
    } else if (c == 0xE1 && i + 2 < s.size() && s[i + 1] == '\xBA' && s[i + 2] == '\x9E') {
      out += "\xC3\x9F";  // ẞ -> ß
      i += 2;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

}  // namespace muni
