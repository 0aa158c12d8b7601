#include "registry/gv100ad.h"

#include "core/text_decode.h"

#include <map>

#include "core/strings.h"
#include "core/text_safety.h"

namespace muni::registry {

namespace {

constexpr size_t kRecordLength = 220;

// A record as code points, so that fields are cut at character positions.
std::u32string decode_utf8(std::string_view s) {
  std::u32string out;
  for (size_t i = 0; i < s.size();) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    int len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    if (len == 0 || i + static_cast<size_t>(len) > s.size()) {
      out.push_back(0xFFFD);
      ++i;
      continue;
    }
    char32_t cp = len == 1 ? c : len == 2 ? (c & 0x1F) : len == 3 ? (c & 0x0F) : (c & 0x07);
    for (int k = 1; k < len; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
    out.push_back(cp);
    i += static_cast<size_t>(len);
  }
  return out;
}

std::string encode_utf8(std::u32string_view s) {
  std::string out;
  for (const char32_t cp : s) append_utf8(out, cp);
  return out;
}

// Field at 1-based character positions [from, to], trimmed.
std::string field(const std::u32string& record, size_t from, size_t to) {
  if (record.size() < to) return "";
  return std::string(trim(encode_utf8(std::u32string_view(record).substr(from - 1, to - from + 1))));
}

bool all_digits(const std::string& s) {
  return !s.empty() && s.find_first_not_of("0123456789") == std::string::npos;
}

}  // namespace

Result<TextEncoding> parse_text_encoding(std::string_view name) {
  const std::string n = to_lower_ascii(name);
  if (n == "auto") return TextEncoding::kAuto;
  if (n == "utf-8" || n == "utf8") return TextEncoding::kUtf8;
  if (n == "latin1" || n == "latin-1" || n == "iso-8859-1" || n == "iso8859-1" || n == "windows-1252" ||
      n == "cp1252")
    return TextEncoding::kLatin1;
  return make_error(ErrorCode::kInvalidArgument,
                    "unknown encoding '" + std::string(name) + "' (auto, utf-8 or latin1)");
}

Result<GvDirectory> parse_gv100ad(std::string_view bytes, TextEncoding encoding) {
  GvDirectory dir;
  std::string text;
  if (bytes.size() >= 3 && bytes.substr(0, 3) == "\xEF\xBB\xBF") bytes.remove_prefix(3);
  if (encoding == TextEncoding::kAuto)
    encoding = is_valid_utf8(bytes) ? TextEncoding::kUtf8 : TextEncoding::kLatin1;
  if (encoding == TextEncoding::kLatin1) {
    text = muni::latin1_to_utf8(bytes);
  } else {
    text = std::string(bytes);
    if (!is_valid_utf8(text)) {
      return make_error(ErrorCode::kParse,
                        "the file is not valid UTF-8; older GV100AD files are ISO-8859-1 "
                        "(--encoding latin1, or leave --encoding at auto)");
    }
  }
  dir.encoding = encoding;

  // Kreis records first seen; Landkreise get their Gemeinden's population.
  struct Kreis {
    GvEntry entry;
    int64_t population = 0;
  };
  std::vector<Kreis> landkreise;
  std::map<std::string, size_t> kreis_index;
  std::string gebietsstand;
  int line_no = 0;
  int records = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::string_view line(text.data() + pos, end - pos);
    pos = end + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (trim(line).empty()) continue;
    const std::u32string r = decode_utf8(line);
    if (r.size() != kRecordLength) {
      dir.notes.push_back("line " + std::to_string(line_no) + ": " + std::to_string(r.size()) +
                          " characters where a record has 220; skipped");
      continue;
    }
    ++records;
    const std::string satzart = field(r, 1, 2);
    const std::string stand = field(r, 3, 10);
    if (gebietsstand.empty() && all_digits(stand) && stand.size() == 8) gebietsstand = stand;
    const std::string land = field(r, 11, 12);
    const std::string rb = field(r, 13, 13);
    const std::string kreis = field(r, 14, 15);
    const std::string name = field(r, 23, 72);
    const std::string tk_text = field(r, 123, 124);
    const int tk = all_digits(tk_text) ? std::stoi(tk_text) : 0;
    if (satzart == "40") {
      if (tk < 43 || tk > 45) continue;  // 41/42: a kreisfreie Stadt, read as Satzart 60
      if (!all_digits(land + rb + kreis)) {
        dir.notes.push_back("line " + std::to_string(line_no) + ": unreadable Kreis key; skipped");
        continue;
      }
      Kreis k;
      k.entry.land = land;
      k.entry.kreis = land + rb + kreis;
      k.entry.ags = k.entry.kreis + "000";
      k.entry.ars = k.entry.kreis + "0000000";
      k.entry.name = name;
      k.entry.kind = MunicipalityKind::kLandkreis;
      k.entry.textkennzeichen = tk;
      k.entry.line = line_no;
      kreis_index[k.entry.kreis] = landkreise.size();
      landkreise.push_back(std::move(k));
      continue;
    }
    if (satzart != "60") continue;
    const std::string gemeinde = field(r, 16, 18);
    const std::string verband = field(r, 19, 22);
    const std::string population_text = field(r, 140, 150);
    const std::string area_text = field(r, 129, 139);
    if (!all_digits(land + rb + kreis + gemeinde + verband) || gemeinde.size() != 3 ||
        verband.size() != 4) {
      dir.notes.push_back("line " + std::to_string(line_no) + ": unreadable Gemeinde key; skipped");
      continue;
    }
    GvEntry e;
    e.land = land;
    e.kreis = land + rb + kreis;
    e.ags = e.kreis + gemeinde;
    e.ars = e.kreis + verband + gemeinde;
    e.name = name;
    e.textkennzeichen = tk;
    e.line = line_no;
    if (all_digits(population_text)) e.population = std::stoll(population_text);
    if (all_digits(area_text)) e.area_ha = std::stoll(area_text);
    if (tk == 65 || tk == 66) {
      dir.skipped.push_back({e.ars, e.name,
                             tk == 65 ? "gemeindefreies Gebiet (inhabited)"
                                      : "gemeindefreies Gebiet (uninhabited)",
                             line_no});
      dir.population_gemeindefrei += e.population.value_or(0);
      continue;
    }
    switch (tk) {
      case 61:
      case 62:
        e.kind = MunicipalityKind::kKreisfreieStadt;
        ++dir.kreisfreie;
        break;
      case 63:
      case 67:
        e.kind = MunicipalityKind::kStadt;
        ++dir.staedte;
        break;
      case 60:
      case 64:
        e.kind = MunicipalityKind::kGemeinde;
        ++dir.other_gemeinden;
        break;
      default:
        dir.notes.push_back("line " + std::to_string(line_no) + ": " + e.name +
                            ": unknown Textkennzeichen '" + tk_text + "'; skipped");
        continue;
    }
    // The name field has 50 characters; a name that fills it may be cut off
    // (Destatis' notes name Bautzen / Budyšin in the 2025 edition).
    if (r[71] != U' ') {
      dir.notes.push_back("line " + std::to_string(line_no) + ": the name of " + e.ags + " fills all 50 characters of its field and may be truncated: '" + e.name + "'");
    }
    ++dir.gemeinden;
    dir.population_gemeinden += e.population.value_or(0);
    dir.entries.push_back(std::move(e));
  }
  if (records == 0) {
    return make_error(ErrorCode::kParse,
                      "no GV100AD records (lines of 220 characters) in this file");
  }
  if (dir.gemeinden == 0) {
    return make_error(ErrorCode::kParse, "no Gemeinde records (Satzart 60) in this file");
  }
  if (gebietsstand.size() == 8) {
    dir.gebietsstand = CivilDate{std::stoi(gebietsstand.substr(0, 4)),
                                 std::stoi(gebietsstand.substr(4, 2)),
                                 std::stoi(gebietsstand.substr(6, 2))};
  }
  // Landkreise: the population their Gemeinden sum to.
  for (const GvEntry& e : dir.entries) {
    if (const auto it = kreis_index.find(e.kreis); it != kreis_index.end())
      landkreise[it->second].population += e.population.value_or(0);
  }
  for (Kreis& k : landkreise) {
    k.entry.population = k.population;
    dir.entries.push_back(std::move(k.entry));
    ++dir.landkreise;
  }
  return dir;
}

}  // namespace muni::registry
