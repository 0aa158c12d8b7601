#include "core/html_text.h"

#include <algorithm>
#include <cctype>
#include <cstdint>

#include "core/strings.h"
#include "core/text_safety.h"

namespace muni {

namespace {

std::string tag_name(std::string_view tag) {
  // tag is the text between '<' and '>'
  size_t i = 0;
  if (i < tag.size() && tag[i] == '/') ++i;
  std::string name;
  while (i < tag.size() && (std::isalnum(static_cast<unsigned char>(tag[i])))) {
    name += static_cast<char>(std::tolower(static_cast<unsigned char>(tag[i])));
    ++i;
  }
  return name;
}

}  // namespace

std::string decode_entities(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '&') {
      out += s[i];
      continue;
    }
    // A reference is at most "&#x10FFFF;" or a short name: look for its ';'
    // only that far. Searching to the end of the text for every '&' made a
    // post of 2 million '&' take half a minute.
    const size_t semi = s.substr(0, std::min(s.size(), i + 12)).find(';', i);
    if (semi == std::string_view::npos || semi - i > 10) {
      out += s[i];
      continue;
    }
    const std::string_view ent = s.substr(i + 1, semi - i - 1);
    bool decoded = true;
    if (ent == "amp") {
      out += '&';
    } else if (ent == "lt") {
      out += '<';
    } else if (ent == "gt") {
      out += '>';
    } else if (ent == "quot") {
      out += '"';
    } else if (ent == "apos" || ent == "#39") {
      out += '\'';
    } else if (ent == "nbsp") {
      append_utf8(out, 0xA0);
    } else if (!ent.empty() && ent[0] == '#') {
      uint32_t cp = 0;
      bool ok = ent.size() > 1;
      if (ent.size() > 1 && (ent[1] == 'x' || ent[1] == 'X')) {
        ok = ent.size() > 2;
        for (size_t k = 2; k < ent.size() && ok; ++k) {
          const char c = ent[k];
          if (!std::isxdigit(static_cast<unsigned char>(c))) ok = false;
          cp = cp * 16 + static_cast<uint32_t>(std::isdigit(static_cast<unsigned char>(c))
                                                   ? c - '0'
                                                   : (std::tolower(c) - 'a' + 10));
        }
      } else {
        for (size_t k = 1; k < ent.size() && ok; ++k) {
          if (!std::isdigit(static_cast<unsigned char>(ent[k]))) ok = false;
          cp = cp * 10 + static_cast<uint32_t>(ent[k] - '0');
        }
      }
      if (ok && cp > 0 && cp < 0x110000 && (cp < 0xD800 || cp > 0xDFFF)) {
        append_utf8(out, cp);
      } else {
        decoded = false;
      }
    } else {
      decoded = false;
    }
    if (decoded) {
      i = semi;
    } else {
      out += '&';
    }
  }
  return out;
}

std::string html_to_text(std::string_view html) {
  std::string text;
  text.reserve(html.size());
  size_t i = 0;
  while (i < html.size()) {
    if (html[i] == '<') {
      const size_t close = html.find('>', i);
      if (close == std::string_view::npos) break;  // truncated tag: drop the rest
      const std::string name = tag_name(html.substr(i + 1, close - i - 1));
      const bool closing = i + 1 < html.size() && html[i + 1] == '/';
      if (name == "br") {
        text += '\n';
      } else if (name == "p" && closing) {
        text += "\n\n";
      } else if (name == "li" && !closing) {
        text += "\n- ";
      }
      i = close + 1;
      continue;
    }
    const size_t next = html.find('<', i);
    text += decode_entities(
        html.substr(i, next == std::string_view::npos ? std::string_view::npos : next - i));
    i = next == std::string_view::npos ? html.size() : next;
  }
  // Trim trailing paragraph breaks and surrounding whitespace.
  return std::string(trim(text));
}

int count_external_links(std::string_view html) {
  int n = 0;
  size_t pos = 0;
  while ((pos = html.find("<a ", pos)) != std::string_view::npos) {
    const size_t close = html.find('>', pos);
    if (close == std::string_view::npos) break;
    const std::string_view tag = html.substr(pos, close - pos);
    const bool has_href = tag.find("href=") != std::string_view::npos;
    const bool internal = tag.find("mention") != std::string_view::npos ||
                          tag.find("hashtag") != std::string_view::npos;
    if (has_href && !internal) ++n;
    pos = close;
  }
  return n;
}

}  // namespace muni
