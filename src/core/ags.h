// German municipality identifiers: the 8-digit Amtlicher Gemeindeschlüssel
// (AGS), the 16 Länder and the kinds of local authority muniscope tracks.
//
// AGS structure (Destatis, Gemeindeverzeichnis GV-ISys): digits 1-2 Land,
// 3 Regierungsbezirk, 4-5 Kreis, 6-8 Gemeinde. A Landkreis or a kreisfreie
// Stadt is identified by its 5-digit Kreisschlüssel padded with "000".
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace muni {

enum class MunicipalityKind { kGemeinde, kStadt, kKreisfreieStadt, kLandkreis };

std::string_view municipality_kind_label(
    MunicipalityKind kind);  // "Gemeinde", "kreisfreie Stadt", ...
// Accepts the labels case-insensitively, plus "kreisfreie_stadt"/"Landkreis"/"Kreis".
std::optional<MunicipalityKind> parse_municipality_kind(std::string_view text);
std::string municipality_kind_choices();

struct Land {
  std::string_view code;   // "08" (first two AGS digits)
  std::string_view name;   // "Baden-Württemberg"
  std::string_view iso;    // "BW" (ISO 3166-2:DE)
  std::string_view ascii;  // "Baden-Wuerttemberg"
};

const std::vector<Land>& all_laender();
// Finds a Land by AGS code ("08"), name, ASCII name or ISO code, case-insensitively.
const Land* find_land(std::string_view text);

// Checks an AGS: exactly 8 digits, a valid Land code, and consistency with the
// kind (Landkreis and kreisfreie Stadt end in "000") and, when given, with the
// configured Land. Returns an explanation when invalid, nullopt when valid.
std::optional<std::string> check_ags(std::string_view ags, std::optional<MunicipalityKind> kind,
                                     const Land* land);

}  // namespace muni
