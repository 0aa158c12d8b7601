#include "core/text_safety.h"

#include <cstdint>
#include <cstdio>

namespace muni {

namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

// Length of the well-formed UTF-8 sequence starting at s[i], or 0 when the
// bytes there are ill-formed (Unicode 15, table 3-7).
size_t valid_sequence_length(std::string_view s, size_t i) {
  const auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = b(i);
  const size_t left = s.size() - i;
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF) {
    return left >= 2 && (b(i + 1) & 0xC0) == 0x80 ? 2 : 0;
  }
  if (c >= 0xE0 && c <= 0xEF) {
    if (left < 3) return 0;
    const unsigned char c1 = b(i + 1);
    const bool first_ok = c == 0xE0   ? (c1 >= 0xA0 && c1 <= 0xBF)
                          : c == 0xED ? (c1 >= 0x80 && c1 <= 0x9F)  // no surrogates
                                      : (c1 & 0xC0) == 0x80;
    return first_ok && (b(i + 2) & 0xC0) == 0x80 ? 3 : 0;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    if (left < 4) return 0;
    const unsigned char c1 = b(i + 1);
    const bool first_ok = c == 0xF0   ? (c1 >= 0x90 && c1 <= 0xBF)
                          : c == 0xF4 ? (c1 >= 0x80 && c1 <= 0x8F)
                                      : (c1 & 0xC0) == 0x80;
    return first_ok && (b(i + 2) & 0xC0) == 0x80 && (b(i + 3) & 0xC0) == 0x80 ? 4 : 0;
  }
  return 0;
}

// How many bytes an ill-formed subpart at s[i] spans: the lead byte plus the
// continuation bytes that could have followed it.
size_t ill_formed_length(std::string_view s, size_t i) {
  size_t n = 1;
  while (i + n < s.size() && n < 3 && (static_cast<unsigned char>(s[i + n]) & 0xC0) == 0x80 &&
         static_cast<unsigned char>(s[i]) >= 0xC2)
    ++n;
  return n;
}

}  // namespace

bool is_valid_utf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    const size_t n = valid_sequence_length(s, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

bool repair_utf8(std::string& s) {
  // Fast path: most text is valid and NUL-free.
  bool clean = true;
  for (size_t i = 0; i < s.size();) {
    const size_t n = valid_sequence_length(s, i);
    if (n == 0 || s[i] == '\0') {
      clean = false;
      break;
    }
    i += n;
  }
  if (clean) return false;
  std::string out;
  out.reserve(s.size() + 8);
  for (size_t i = 0; i < s.size();) {
    if (s[i] == '\0') {
      ++i;
      continue;
    }
    const size_t n = valid_sequence_length(s, i);
    if (n == 0) {
      out += kReplacement;
      i += ill_formed_length(s, i);
      continue;
    }
    out.append(s, i, n);
    i += n;
  }
  s = std::move(out);
  return true;
}

namespace {

// The explicit bidirectional formatting characters (UAX #9): embeddings and
// overrides U+202A..U+202E, isolates U+2066..U+2069. Shown raw, U+202E makes
// a terminal or a page display the text that follows backwards ("Trojan
// Source"); its length in bytes is 3 (E2 80 AA..AE, E2 81 A6..A9).
uint32_t bidi_control_at(std::string_view s, size_t i) {
  if (i + 2 >= s.size() || static_cast<unsigned char>(s[i]) != 0xE2) return 0;
  const unsigned char b1 = static_cast<unsigned char>(s[i + 1]);
  const unsigned char b2 = static_cast<unsigned char>(s[i + 2]);
  if (b1 == 0x80 && b2 >= 0xAA && b2 <= 0xAE) return 0x202A + (b2 - 0xAA);
  if (b1 == 0x81 && b2 >= 0xA6 && b2 <= 0xA9) return 0x2066 + (b2 - 0xA6);
  return 0;
}

std::string escape_controls(std::string_view in, size_t max_bytes, bool cell,
                            bool keep_line_breaks = false) {
  std::string s(in.substr(0, std::min(in.size(), max_bytes + 8)));
  const bool cut_input = in.size() > s.size();
  repair_utf8(s);
  std::string out;
  out.reserve(std::min(s.size(), max_bytes) + 8);
  bool cut = cut_input;
  for (size_t i = 0; i < s.size();) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    std::string piece;
    size_t len = 1;
    if (keep_line_breaks && (c == '\n' || c == '\r' || c == '\t')) {
      piece.assign(1, static_cast<char>(c));
    } else if (c < 0x20 || c == 0x7F) {
      if (cell && (c == '\n' || c == '\r' || c == '\t')) {
        piece = " ";
      } else if (c == '\n') {
        piece = "\\n";
      } else if (c == '\r') {
        piece = "\\r";
      } else if (c == '\t') {
        piece = "\\t";
      } else {
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\x%02x", c);
        piece = buf;
      }
    } else if (c == 0xC2 && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) >= 0x80 &&
               static_cast<unsigned char>(s[i + 1]) <= 0x9F) {
      // C1 control characters (U+0080..U+009F) include the 8-bit CSI.
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned char>(s[i + 1]));
      piece = buf;
      len = 2;
    } else if (const uint32_t bidi = bidi_control_at(s, i); bidi != 0) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(bidi));
      piece = buf;
      len = 3;
    } else {
      len = valid_sequence_length(s, i);
      if (len == 0) len = 1;  // cannot happen after repair_utf8
      piece.assign(s, i, len);
    }
    if (out.size() + piece.size() > max_bytes) {
      cut = true;
      break;
    }
    out += piece;
    i += len;
  }
  if (cut) out += "\xE2\x80\xA6";  // U+2026
  return out;
}

}  // namespace

std::string printable(std::string_view s, size_t max_bytes) {
  return escape_controls(s, max_bytes, false);
}

std::string printable_cell(std::string_view s) {
  return escape_controls(s, static_cast<size_t>(-1) / 2, true);
}

std::string terminal_safe(std::string_view s) {
  return escape_controls(s, static_cast<size_t>(-1) / 2, false, true);
}

void append_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x110000) {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

std::string html_escape(std::string_view raw) {
  std::string text(raw);
  repair_utf8(text);
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        if (static_cast<unsigned char>(c) >= 0x20 || c == '\n' || c == '\t') out += c;
    }
  }
  // Bidirectional overrides and isolates are shown as what they are, so a
  // post can never make the page display its text (or what follows) reordered.
  std::string visible;
  visible.reserve(out.size());
  for (size_t i = 0; i < out.size();) {
    if (const uint32_t bidi = bidi_control_at(out, i); bidi != 0) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(bidi));
      visible += buf;
      i += 3;
    } else {
      visible += out[i++];
    }
  }
  return visible;
}

}  // namespace muni
