// Survey codebooks and answer files.
//
// A codebook (YAML) says which CSV column holds which item, what the item
// asks (its type), how raw answers map to codes (value labels), and the
// survey's dates: the fieldwork and the reference period the answers refer
// to. docs/survey.md documents the format; config/survey/ has a ready
// codebook for a KGSt-2016-style questionnaire.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "core/platform.h"
#include "core/result.h"
#include "core/text_decode.h"
#include "core/time_util.h"

namespace muni::survey {

enum class ItemType {
  kUsesSocialMedia,     // any observed account active in the reference period
  kUsesPlatform,        // yes/no for one platform
  kUsesCategory,        // yes/no for one KGSt category
  kCategoryList,        // one column listing the categories used (multi-choice)
  kActiveSince,         // a year, or duration classes in years
  kPostingFrequency,    // classes in posts per week (or a number)
  kRespondsToCitizens,  // yes/no or a scale with a threshold
  kResponseTime,        // classes in hours against the observed median
  kGoal,                // goals such as dialogue: a flag, not a truth test
  kPlannedPlatform,     // planned account appeared within a horizon
};
std::string_view item_type_id(ItemType t);

// An answer class with bounds, for ordered items: [low, high) in the item's
// unit (years, posts per week, hours); high may be infinite.
struct Class {
  std::string code;
  double low = 0;
  double high = 0;
};

struct Item {
  std::string id;      // column name, or column:category for list items
  std::string column;  // CSV column
  ItemType type = ItemType::kUsesPlatform;
  std::string platform;              // kUsesPlatform, kPlannedPlatform, optional scope elsewhere
  std::optional<Category> category;  // kUsesCategory, optional scope elsewhere
  // raw answer (trimmed, case-folded with fold_case) -> code
  std::map<std::string, std::string> labels;
  std::vector<Class> classes;  // ordered items
  bool numeric = false;        // answers are numbers, not labels
  bool year_answer = false;    // kActiveSince given as a year
  double tolerance_years = 1;  // kActiveSince
  std::vector<std::string>
      yes_codes;  // codes meaning "yes" (scales: codes at or above the threshold)
  std::map<std::string, double> scale;  // code -> scale value (Likert items)
  double threshold = 0;                 // scale value at or above which the answer means "yes"
  double reply_share_threshold =
      0.05;  // kRespondsToCitizens: observed "responds" at this reply share
  double service_level_threshold = 0.25;  // ... or this service level, where comments are visible
  int min_timed_replies = 3;              // kResponseTime
  DurationMs horizon_ms = 730 * kDayMs;   // kPlannedPlatform
  std::string separator = ";";            // kCategoryList
  std::string goal;                       // kGoal: "dialogue", ...
  int line = 0;
};

struct Codebook {
  std::string name;
  std::string file;
  CivilDate fieldwork_from{}, fieldwork_to{};
  CivilDate reference_from{}, reference_to{};  // inclusive dates
  std::string id_column;
  bool id_is_ags = false;
  char delimiter = 0;  // 0: detect from the header line
  std::vector<std::string> missing = {"", "na", "n/a", "-99", "k.a.", "keine angabe"};
  std::optional<double> min_coverage;
  // The zone the reference period's dates are read in (survey.timezone);
  // empty: the main configuration's defaults.timezone.
  std::string timezone;
  // How the answers file is encoded (survey.encoding; --encoding overrides).
  TextEncoding encoding = TextEncoding::kAuto;
  std::vector<Item> items;
};

struct CodebookLoad {
  std::optional<Codebook> codebook;
  std::vector<ConfigIssue> errors;  // file:line:column: key: message
};
CodebookLoad load_codebook(const std::string& path);
CodebookLoad load_codebook_from_string(const std::string& text, const std::string& file_name);

// A parsed answers file.
struct AnswerRow {
  int line = 0;                              // 1-based line in the file
  std::map<std::string, std::string> cells;  // column -> raw value
};
struct Answers {
  std::string file;
  TextEncoding encoding = TextEncoding::kUtf8;  // what the file was read as
  char delimiter = ',';
  std::vector<std::string> columns;
  std::vector<AnswerRow> rows;
};
// RFC 4180 CSV (quotes, doubled quotes, newlines in quotes), leading "#"
// comment lines skipped, delimiter ',' or ';' (0: detected from the header
// line). The bytes are decoded first (core/text_decode.h): UTF-8 with or
// without BOM, UTF-16 with BOM, Windows-1252 (German Excel) when `encoding`
// is auto and the bytes are not UTF-8. Column names must be unique.
Result<Answers> read_answers(const std::string& path, char delimiter,
                             TextEncoding encoding = TextEncoding::kAuto);
Result<Answers> parse_answers(const std::string& text, const std::string& file_name,
                              char delimiter);

}  // namespace muni::survey
