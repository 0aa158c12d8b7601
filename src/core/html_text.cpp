#include "core/html_text.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <iterator>
#include <string_view>

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

namespace {

struct NamedReference {
  const char* name;  // without ';'
  uint32_t first;
  uint32_t second;  // 0 when the reference is one code point
  bool legacy;      // HTML5 also reads it without ';' ("&copy 2024")
};

constexpr NamedReference kNamedReferences[] = {
#include "core/html_entities.inc"
};

// The longest name in the table ("CounterClockwiseContourIntegral").
constexpr size_t kLongestName = 31;

const NamedReference* find_reference(std::string_view name) {
  const auto* begin = std::begin(kNamedReferences);
  const auto* end = std::end(kNamedReferences);
  const auto* it = std::lower_bound(
      begin, end, name,
      [](const NamedReference& r, std::string_view n) { return std::string_view(r.name) < n; });
  return it != end && std::string_view(it->name) == name ? it : nullptr;
}

// HTML5 "numeric character reference end state": the C1 controls 0x80-0x9F
// are read as windows-1252 (authors meant the byte); 0x81, 0x8D, 0x8F, 0x90
// and 0x9D, unassigned there, stay as they are.
uint32_t html5_numeric(uint32_t cp) {
  static constexpr uint32_t kC1[32] = {
      0x20AC, 0x81,   0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
      0x2039, 0x0152, 0x8D,   0x017D, 0x8F,   0x90,   0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
      0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x9D,   0x017E, 0x0178};
  return cp >= 0x80 && cp < 0xA0 ? kC1[cp - 0x80] : cp;
}

bool is_alnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }

}  // namespace

std::string decode_entities(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '&') {
      out += s[i];
      continue;
    }
    // A reference is at most "&#x10FFFF;" or a name of 31 letters: look for
    // its end only that far. Searching to the end of the text for every '&'
    // made a post of 2 million '&' take half a minute.
    if (i + 1 < s.size() && s[i + 1] == '#') {
      const size_t semi = s.substr(0, std::min(s.size(), i + 12)).find(';', i);
      const std::string_view ent =
          semi == std::string_view::npos ? std::string_view() : s.substr(i + 1, semi - i - 1);
      uint32_t cp = 0;
      bool ok = ent.size() > 1;
      if (ok && (ent[1] == 'x' || ent[1] == 'X')) {
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
      // NUL, surrogates and numbers beyond Unicode are kept as written.
      if (ok && cp > 0 && cp < 0x110000 && (cp < 0xD800 || cp > 0xDFFF)) {
        append_utf8(out, html5_numeric(cp));
        i = semi;
      } else {
        out += '&';
      }
      continue;
    }
    size_t j = i + 1;
    while (j < s.size() && j - i - 1 < kLongestName + 1 && is_alnum(s[j])) ++j;
    const std::string_view name = s.substr(i + 1, j - i - 1);
    const NamedReference* ref = name.empty() ? nullptr : find_reference(name);
    if (ref != nullptr && j < s.size() && s[j] == ';') {
      i = j;
    } else if (ref != nullptr && ref->legacy && j < s.size() && s[j] != '=' && s[j] != ';' &&
               !is_alnum(s[j])) {
      // "&copy 2024", "&auml," as old pages write them; never inside a
      // query ("?a=1&copy=2") nor at the very end of the text.
      i = j - 1;
    } else {
      out += '&';
      continue;
    }
    append_utf8(out, ref->first);
    if (ref->second != 0) append_utf8(out, ref->second);
  }
  return out;
}

std::string xml_with_html_entities(std::string_view xml, size_t* replaced) {
  std::string out;
  out.reserve(xml.size() + 64);
  size_t count = 0;
  for (size_t i = 0; i < xml.size(); ++i) {
    const char c = xml[i];
    if (c == '<' && xml.substr(i, 9) == "<![CDATA[") {
      const size_t close = xml.find("]]>", i + 9);
      const size_t stop = close == std::string_view::npos ? xml.size() : close + 3;
      out.append(xml.substr(i, stop - i));
      i = stop - 1;
      continue;
    }
    if (c != '&') {
      out += c;
      continue;
    }
    size_t j = i + 1;
    while (j < xml.size() && j - i - 1 < kLongestName + 1 && is_alnum(xml[j])) ++j;
    const std::string_view name = xml.substr(i + 1, j - i - 1);
    const bool xml_own =
        name == "amp" || name == "lt" || name == "gt" || name == "quot" || name == "apos";
    const NamedReference* ref = name.empty() || xml_own || j >= xml.size() || xml[j] != ';'
                                    ? nullptr
                                    : find_reference(name);
    if (ref == nullptr) {
      out += c;
      continue;
    }
    out += "&#" + std::to_string(ref->first) + ";";
    if (ref->second != 0) out += "&#" + std::to_string(ref->second) + ";";
    ++count;
    i = j;
  }
  if (replaced != nullptr) *replaced = count;
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
