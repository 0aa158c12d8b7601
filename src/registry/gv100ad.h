// The Destatis Gemeindeverzeichnis GV100AD (fixed-width text, 220 characters
// per record) -> the municipalities and Landkreise muniscope observes.
//
// Record layout (Destatis Datensatzbeschreibung GV100AD; character
// positions, 1-based): 1-2 Satzart (10 Land, 20 Regierungsbezirk, 30 Region,
// 40 Kreis, 50 Gemeindeverband, 60 Gemeinde), 3-10 Gebietsstand (YYYYMMDD),
// 11-12 Land, 13 Regierungsbezirk, 14-15 Kreis, then for Satzart 60
// 16-18 Gemeinde and 19-22 Gemeindeverband, 23-72 name, 73-122 seat of the
// administration (Satzart 40/50), 123-124 Textkennzeichen, 129-139 area in
// ha, 140-150 population, 151-161 of it male, 166-170 postcode.
//
// Textkennzeichen of Satzart 60: 60 Markt, 61 kreisfreie Stadt, 62
// Stadtkreis, 63 Stadt, 64 kreisangehörige Gemeinde, 65/66 gemeindefreies
// Gebiet (inhabited / uninhabited), 67 Große Kreisstadt. Of Satzart 40: 41
// kreisfreie Stadt, 42 Stadtkreis, 43 Kreis, 44 Landkreis, 45
// Regionalverband.
//
// What comes out: every Gemeinde (Satzart 60 without the gemeindefreie
// Gebiete, which are reported and skipped) with kind Gemeinde, Stadt or
// kreisfreie Stadt, and every Landkreis (Satzart 40, Textkennzeichen 43-45;
// the kreisfreie Städte of Satzart 40 are the Gemeinden above and appear
// once), with the population its Gemeinden sum to.
//
// Positions count characters, not bytes: the 2025 files are UTF-8 (Sorbian
// names), older ones ISO-8859-1.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/ags.h"
#include "core/result.h"
#include "core/time_util.h"

namespace muni::registry {

enum class TextEncoding { kAuto, kUtf8, kLatin1 };
Result<TextEncoding> parse_text_encoding(std::string_view name);  // auto, utf-8, latin1 / iso-8859-1

struct GvEntry {
  std::string ags;    // 8 digits
  std::string ars;    // 12 digits
  std::string kreis;  // 5 digits
  std::string land;   // 2 digits
  std::string name;   // as Destatis writes it: "Flensburg, Stadt"
  MunicipalityKind kind = MunicipalityKind::kGemeinde;
  int textkennzeichen = 0;
  std::optional<int64_t> population;
  int64_t area_ha = 0;
  int line = 0;  // in the file
};

struct GvDirectory {
  CivilDate gebietsstand;
  TextEncoding encoding = TextEncoding::kUtf8;  // as read
  std::vector<GvEntry> entries;                 // Gemeinden, then Landkreise, in file order
  struct Skipped {
    std::string key;  // ARS
    std::string name;
    std::string reason;
    int line = 0;
  };
  std::vector<Skipped> skipped;     // gemeindefreie Gebiete
  std::vector<std::string> notes;   // truncated names, unreadable records (with line numbers)
  int64_t gemeinden = 0, kreisfreie = 0, staedte = 0, other_gemeinden = 0, landkreise = 0;
  int64_t population_gemeinden = 0;     // the Gemeinden
  int64_t population_gemeindefrei = 0;  // inhabited gemeindefreie Gebiete
};

// Fails for a file that is no GV100AD (no records of 220 characters, or
// none of Satzart 60). A record that cannot be read is a note, not a failure.
Result<GvDirectory> parse_gv100ad(std::string_view bytes, TextEncoding encoding = TextEncoding::kAuto);

}  // namespace muni::registry
