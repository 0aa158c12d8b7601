#include "core/text_decode.h"

#include <cstdio>
#include <initializer_list>

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
  return make_error(
      ErrorCode::kInvalidArgument,
      "unknown encoding '" + std::string(name) + "' (auto, utf-8, windows-1252, latin1 or utf-16)");
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
      return make_error(ErrorCode::kParse, what +
                                               ": the file is UTF-16 (it starts with a "
                                               "byte-order mark), not " +
                                               std::string(text_encoding_id(encoding)));
    }
    MUNI_TRY(out.text, utf16_to_utf8(bytes.substr(2), le_bom, what));
    out.encoding = TextEncoding::kUtf16;
    return out;
  }
  if (encoding == TextEncoding::kUtf16) {
    return make_error(ErrorCode::kParse,
                      what +
                          ": UTF-16 without a byte-order mark cannot be read safely; save the "
                          "file as \"CSV UTF-8\"");
  }
  if (bytes.size() >= 3 && bytes.substr(0, 3) == "\xEF\xBB\xBF") bytes.remove_prefix(3);
  if (bytes.find('\0') != std::string_view::npos) {
    return make_error(ErrorCode::kParse,
                      what +
                          ": the file contains NUL bytes (UTF-16 without a byte-order mark, "
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
          const size_t len = c < 0x80           ? 1
                             : (c >> 5) == 0x6  ? 2
                             : (c >> 4) == 0xE  ? 3
                             : (c >> 3) == 0x1E ? 4
                                                : 0;
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

}  // namespace

std::string xml_declared_encoding(std::string_view document) {
  const XmlDecl d = find_xml_decl(document);
  if (d.value_begin == std::string_view::npos) return "";
  return std::string(trim(document.substr(d.value_begin, d.value_end - d.value_begin)));
}

namespace {

// The WHATWG Encoding Standard's labels (encoding.spec.whatwg.org, section 4.2
// "Names and labels"), for the encodings feeds are written in: every UTF-8
// and single-byte encoding, the East Asian ones, UTF-16.
struct EncodingLabels {
  const char* name;
  std::initializer_list<const char*> labels;
};
const EncodingLabels kWhatwgEncodings[] = {
    {"UTF-8",
     {"unicode-1-1-utf-8", "unicode11utf8", "unicode20utf8", "utf-8", "utf8", "x-unicode20utf8"}},
    {"IBM866", {"866", "cp866", "csibm866", "ibm866"}},
    {"ISO-8859-2",
     {"csisolatin2", "iso-8859-2", "iso-ir-101", "iso8859-2", "iso88592", "iso_8859-2",
      "iso_8859-2:1987", "l2", "latin2"}},
    {"ISO-8859-3",
     {"csisolatin3", "iso-8859-3", "iso-ir-109", "iso8859-3", "iso88593", "iso_8859-3",
      "iso_8859-3:1988", "l3", "latin3"}},
    {"ISO-8859-4",
     {"csisolatin4", "iso-8859-4", "iso-ir-110", "iso8859-4", "iso88594", "iso_8859-4",
      "iso_8859-4:1988", "l4", "latin4"}},
    {"ISO-8859-5",
     {"csisolatincyrillic", "cyrillic", "iso-8859-5", "iso-ir-144", "iso8859-5", "iso88595",
      "iso_8859-5", "iso_8859-5:1988"}},
    {"ISO-8859-6",
     {"arabic", "asmo-708", "csiso88596e", "csiso88596i", "csisolatinarabic", "ecma-114",
      "iso-8859-6", "iso-8859-6-e", "iso-8859-6-i", "iso-ir-127", "iso8859-6", "iso88596",
      "iso_8859-6", "iso_8859-6:1987"}},
    {"ISO-8859-7",
     {"csisolatingreek", "ecma-118", "elot_928", "greek", "greek8", "iso-8859-7", "iso-ir-126",
      "iso8859-7", "iso88597", "iso_8859-7", "iso_8859-7:1987", "sun_eu_greek"}},
    {"ISO-8859-8",
     {"csiso88598e", "csisolatinhebrew", "hebrew", "iso-8859-8", "iso-8859-8-e", "iso-ir-138",
      "iso8859-8", "iso88598", "iso_8859-8", "iso_8859-8:1988", "visual"}},
    {"ISO-8859-8-I", {"csiso88598i", "iso-8859-8-i", "logical"}},
    {"ISO-8859-10",
     {"csisolatin6", "iso-8859-10", "iso-ir-157", "iso8859-10", "iso885910", "l6", "latin6"}},
    {"ISO-8859-13", {"iso-8859-13", "iso8859-13", "iso885913"}},
    {"ISO-8859-14", {"iso-8859-14", "iso8859-14", "iso885914"}},
    {"ISO-8859-15", {"csisolatin9", "iso-8859-15", "iso8859-15", "iso885915", "iso_8859-15", "l9"}},
    {"ISO-8859-16", {"iso-8859-16"}},
    {"KOI8-R", {"cskoi8r", "koi", "koi8", "koi8-r", "koi8_r"}},
    {"KOI8-U", {"koi8-ru", "koi8-u"}},
    {"macintosh", {"csmacintosh", "mac", "macintosh", "x-mac-roman"}},
    {"windows-874",
     {"dos-874", "iso-8859-11", "iso8859-11", "iso885911", "tis-620", "windows-874"}},
    {"windows-1250", {"cp1250", "windows-1250", "x-cp1250"}},
    {"windows-1251", {"cp1251", "windows-1251", "x-cp1251"}},
    {"windows-1252",
     {"ansi_x3.4-1968", "ascii", "cp1252", "cp819", "csisolatin1", "ibm819", "iso-8859-1",
      "iso-ir-100", "iso8859-1", "iso88591", "iso_8859-1", "iso_8859-1:1987", "l1", "latin1",
      "us-ascii", "windows-1252", "x-cp1252"}},
    {"windows-1253", {"cp1253", "windows-1253", "x-cp1253"}},
    {"windows-1254",
     {"cp1254", "csisolatin5", "iso-8859-9", "iso-ir-148", "iso8859-9", "iso88599", "iso_8859-9",
      "iso_8859-9:1989", "l5", "latin5", "windows-1254", "x-cp1254"}},
    {"windows-1255", {"cp1255", "windows-1255", "x-cp1255"}},
    {"windows-1256", {"cp1256", "windows-1256", "x-cp1256"}},
    {"windows-1257", {"cp1257", "windows-1257", "x-cp1257"}},
    {"windows-1258", {"cp1258", "windows-1258", "x-cp1258"}},
    {"x-mac-cyrillic", {"x-mac-cyrillic", "x-mac-ukrainian"}},
    {"GBK",
     {"chinese", "csgb2312", "csiso58gb231280", "gb2312", "gb_2312", "gb_2312-80", "gbk",
      "iso-ir-58", "x-gbk"}},
    {"gb18030", {"gb18030"}},
    {"Big5", {"big5", "big5-hkscs", "cn-big5", "csbig5", "x-x-big5"}},
    {"EUC-JP", {"cseucpkdfmtjapanese", "euc-jp", "x-euc-jp"}},
    {"ISO-2022-JP", {"csiso2022jp", "iso-2022-jp"}},
    {"Shift_JIS",
     {"csshiftjis", "ms932", "ms_kanji", "shift-jis", "shift_jis", "sjis", "windows-31j",
      "x-sjis"}},
    {"EUC-KR",
     {"cseuckr", "csksc56011987", "euc-kr", "iso-ir-149", "korean", "ks_c_5601-1987",
      "ks_c_5601-1989", "ksc5601", "ksc_5601", "windows-949"}},
    {"UTF-16BE", {"unicodefffe", "utf-16be"}},
    {"UTF-16LE",
     {"csunicode", "iso-10646-ucs-2", "ucs-2", "unicode", "unicodefeff", "utf-16", "utf-16le"}},
};

// The single-byte encodings among them (one byte, one character).
bool is_single_byte_encoding(std::string_view name) {
  return name != "" && name != "UTF-8" && name != "GBK" && name != "gb18030" && name != "Big5" &&
         name != "EUC-JP" && name != "ISO-2022-JP" && name != "Shift_JIS" && name != "EUC-KR" &&
         name != "UTF-16BE" && name != "UTF-16LE";
}

// The name libxml2 (through iconv) knows an encoding by: the WHATWG name,
// but for the "logical" Hebrew variant, which iconv only knows as ISO-8859-8.
std::string libxml_name(std::string_view name) {
  if (name == "ISO-8859-8-I") return "ISO-8859-8";
  return std::string(name);
}

// What libxml2 reads a document as when it is left alone: its declaration
// taken literally (iso-8859-1 as real Latin-1, us-ascii as ASCII), else UTF-8.
enum class LiteralReading { kUtf8, kLatin1, kAscii, kOther };
LiteralReading literal_reading(std::string_view declared) {
  const std::string n = to_lower_ascii(trim(declared));
  if (n.empty() || n == "utf-8" || n == "utf8") return LiteralReading::kUtf8;
  if (n == "iso-8859-1" || n == "iso8859-1" || n == "iso_8859-1" || n == "latin1" ||
      n == "latin-1" || n == "l1" || n == "iso-latin-1" || n == "iso_8859-1:1987")
    return LiteralReading::kLatin1;
  if (n == "us-ascii" || n == "ascii") return LiteralReading::kAscii;
  return LiteralReading::kOther;
}

bool has_high_bytes(std::string_view bytes) {
  for (const char c : bytes)
    if (static_cast<unsigned char>(c) >= 0x80) return true;
  return false;
}

bool has_c1_bytes(std::string_view bytes) {
  for (const char c : bytes) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x80 && u < 0xA0) return true;
  }
  return false;
}

// "byte 0xFC on line 3": where UTF-8 first fails.
std::string first_bad_utf8(std::string_view bytes) {
  int line = 1;
  size_t i = 0;
  while (i < bytes.size()) {
    const auto c = static_cast<unsigned char>(bytes[i]);
    const size_t len = c < 0x80           ? 1
                       : (c >> 5) == 0x6  ? 2
                       : (c >> 4) == 0xE  ? 3
                       : (c >> 3) == 0x1E ? 4
                                          : 0;
    if (len == 0 || i + len > bytes.size() || !is_valid_utf8(bytes.substr(i, len))) break;
    if (c == '\n') ++line;
    i += len;
  }
  char buf[48];
  std::snprintf(buf, sizeof buf, "byte 0x%02X on line %d",
                i < bytes.size() ? static_cast<unsigned char>(bytes[i]) : 0, line);
  return buf;
}

}  // namespace

std::string whatwg_encoding_name(std::string_view label) {
  const std::string n = to_lower_ascii(trim(label));
  if (n.empty()) return "";
  for (const EncodingLabels& e : kWhatwgEncodings) {
    for (const char* l : e.labels)
      if (n == l) return e.name;
  }
  return "";
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
  const std::string declared_name = whatwg_encoding_name(declared);
  const std::string http_name = whatwg_encoding_name(http);

  // The governing declaration (RFC 7303 8.1): the byte-order mark, HTTP's
  // charset, the document's own, UTF-8. A label nobody knows is passed on.
  std::string label;  // as written, for notes
  std::string name;   // its WHATWG name ("" when unknown)
  bool by_http = false;
  bool http_alone = true;
  if (bom) {
    label = name = "UTF-8";
  } else if (!http.empty() && !http_name.empty()) {
    label = http;
    name = http_name;
    by_http = true;
  } else if (!declared.empty()) {
    label = declared;
    name = declared_name;
  } else {
    label = name = "UTF-8";
  }
  // Said "by the server" only where the document does not say the same.
  if (by_http && !declared.empty() && declared_name == http_name) {
    label = declared;
    http_alone = false;
  }
  const std::string source = by_http && http_alone ? " (by the server)" : "";

  // UTF-16 announces itself (the early return above): a document that says
  // UTF-16 without being it is 8-bit text under a wrong label.
  std::string utf16_note;
  if (starts_with(name, "UTF-16")) {
    utf16_note = "declared " + label + (by_http ? " (by the server)" : "") +
                 " but is no UTF-16; read as UTF-8";
    name = "UTF-8";
  }
  std::string read_as = name;  // what the bytes are decoded as, "" = as declared
  // HTTP overrides a document's declaration (RFC 7303) without a word, but
  // a declaration the bytes contradict is worth saying.
  if (by_http && !declared.empty() && !bom) {
    const bool wrong = (declared_name == "UTF-8" && !is_valid_utf8(text)) ||
                       (is_single_byte_encoding(declared_name) && has_multibyte_utf8(text));
    if (wrong && !(is_single_byte_encoding(name) && has_multibyte_utf8(text)) &&
        !(name == "UTF-8" && !is_valid_utf8(text)))
      fix.note = "declared " + declared + " but is " +
                 (declared_name == "UTF-8" ? std::string("not UTF-8") : std::string("UTF-8")) +
                 "; read as " + (http_name == "UTF-8" ? std::string("UTF-8") : http) +
                 " (the server's Content-Type)";
  }
  if (is_single_byte_encoding(name) && has_multibyte_utf8(text)) {
    read_as = "UTF-8";
    fix.note = "declared " + label + source + " but is UTF-8; read as UTF-8";
  } else if (name == "UTF-8" && !bom && !is_valid_utf8(text)) {
    // The other declaration, when it names a single-byte charset.
    const std::string& other = by_http ? declared : http;
    const std::string other_name = by_http ? declared_name : http_name;
    if (is_single_byte_encoding(other_name)) {
      read_as = other_name;
      fix.note = "declared " + label + source + " but is not UTF-8; read as " + other +
                 (by_http ? " (the document's declaration)" : " (the server's Content-Type)");
    } else {
      fix.refusal = "declared " + label + source + " but is not UTF-8 (" + first_bad_utf8(text) +
                    ") and no other charset is declared";
      return fix;
    }
  }
  if (!utf16_note.empty() && fix.note.empty()) fix.note = utf16_note;
  if (read_as.empty()) return fix;  // a label WHATWG does not know: as written

  // Rewrite the declaration only where libxml2, reading the document as it
  // stands, would decode the bytes otherwise.
  // ASCII reads alike in all of them (but not under a UTF-16 label).
  if (!has_high_bytes(text) && utf16_note.empty()) return fix;
  const LiteralReading literal = literal_reading(declared);
  bool same = false;
  if (read_as == "UTF-8") {
    same = literal == LiteralReading::kUtf8 && utf16_note.empty();
  } else if (to_lower_ascii(trim(declared)) == to_lower_ascii(libxml_name(read_as))) {
    same = true;  // declared by the name libxml2 decodes as WHATWG does
  } else if (read_as == "windows-1252" && literal == LiteralReading::kLatin1) {
    same = !has_c1_bytes(text);  // Latin-1 and windows-1252 differ only at 0x80-0x9F
  }
  if (same) return fix;
  fix.document = with_xml_encoding(document, libxml_name(read_as));
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
