#include "core/ags.h"

#include "core/strings.h"

namespace muni {

std::string_view municipality_kind_label(MunicipalityKind kind) {
  switch (kind) {
    case MunicipalityKind::kGemeinde:
      return "Gemeinde";
    case MunicipalityKind::kStadt:
      return "Stadt";
    case MunicipalityKind::kKreisfreieStadt:
      return "kreisfreie Stadt";
    case MunicipalityKind::kLandkreis:
      return "Landkreis";
  }
  return "Gemeinde";
}

std::optional<MunicipalityKind> parse_municipality_kind(std::string_view text) {
  const std::string t = to_lower_ascii(trim(text));
  if (t == "gemeinde") return MunicipalityKind::kGemeinde;
  if (t == "stadt") return MunicipalityKind::kStadt;
  if (t == "kreisfreie stadt" || t == "kreisfreie_stadt" || t == "stadtkreis") {
    return MunicipalityKind::kKreisfreieStadt;
  }
  if (t == "landkreis" || t == "kreis") return MunicipalityKind::kLandkreis;
  return std::nullopt;
}

std::string municipality_kind_choices() { return "Gemeinde, Stadt, kreisfreie Stadt, Landkreis"; }

const std::vector<Land>& all_laender() {
  // Land codes of the AGS (Destatis GV-ISys); ISO 3166-2:DE subdivision codes.
  static const std::vector<Land> kLaender = {
      {"01", "Schleswig-Holstein", "SH", "Schleswig-Holstein"},
      {"02", "Hamburg", "HH", "Hamburg"},
      {"03", "Niedersachsen", "NI", "Niedersachsen"},
      {"04", "Bremen", "HB", "Bremen"},
      {"05", "Nordrhein-Westfalen", "NW", "Nordrhein-Westfalen"},
      {"06", "Hessen", "HE", "Hessen"},
      {"07", "Rheinland-Pfalz", "RP", "Rheinland-Pfalz"},
      {"08", "Baden-Württemberg", "BW", "Baden-Wuerttemberg"},
      {"09", "Bayern", "BY", "Bayern"},
      {"10", "Saarland", "SL", "Saarland"},
      {"11", "Berlin", "BE", "Berlin"},
      {"12", "Brandenburg", "BB", "Brandenburg"},
      {"13", "Mecklenburg-Vorpommern", "MV", "Mecklenburg-Vorpommern"},
      {"14", "Sachsen", "SN", "Sachsen"},
      {"15", "Sachsen-Anhalt", "ST", "Sachsen-Anhalt"},
      {"16", "Thüringen", "TH", "Thueringen"},
  };
  return kLaender;
}

const Land* find_land(std::string_view text) {
  const std::string_view t = trim(text);
  for (const Land& l : all_laender()) {
    if (t == l.code || t == l.name || iequals(t, l.name) || iequals(t, l.iso) ||
        iequals(t, l.ascii))
      return &l;
  }
  return nullptr;
}

std::optional<std::string> check_ags(std::string_view ags, std::optional<MunicipalityKind> kind,
                                     const Land* land) {
  if (ags.size() != 8) {
    return "an AGS has exactly 8 digits, got " + std::to_string(ags.size()) + " characters ('" +
           std::string(ags) + "'; quote it in YAML so leading zeros survive)";
  }
  for (const char c : ags) {
    if (c < '0' || c > '9') return "an AGS has only digits, got '" + std::string(ags) + "'";
  }
  const std::string_view land_code = ags.substr(0, 2);
  const Land* by_code = find_land(land_code);
  if (by_code == nullptr) {
    return "AGS '" + std::string(ags) + "' starts with Land code " + std::string(land_code) +
           ", which does not exist (01..16)";
  }
  if (land != nullptr && by_code != land) {
    return "AGS '" + std::string(ags) + "' belongs to " + std::string(by_code->name) + " (" +
           std::string(land_code) + "), but state is " + std::string(land->name);
  }
  const std::string_view gemeinde = ags.substr(5, 3);
  if (kind &&
      (*kind == MunicipalityKind::kLandkreis || *kind == MunicipalityKind::kKreisfreieStadt) &&
      gemeinde != "000") {
    return "a " + std::string(municipality_kind_label(*kind)) +
           " is identified by its Kreisschlüssel followed by 000, got '" + std::string(ags) + "'";
  }
  return std::nullopt;
}

}  // namespace muni
