#include "survey/codebook.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include "config/yaml_reader.h"
#include "core/strings.h"
#include "core/tz.h"

namespace muni::survey {

std::string_view item_type_id(ItemType t) {
  switch (t) {
    case ItemType::kUsesSocialMedia:
      return "uses_social_media";
    case ItemType::kUsesPlatform:
      return "uses_platform";
    case ItemType::kUsesCategory:
      return "uses_category";
    case ItemType::kCategoryList:
      return "category_list";
    case ItemType::kActiveSince:
      return "active_since";
    case ItemType::kPostingFrequency:
      return "posting_frequency";
    case ItemType::kRespondsToCitizens:
      return "responds_to_citizens";
    case ItemType::kResponseTime:
      return "response_time";
    case ItemType::kGoal:
      return "goal";
    case ItemType::kPlannedPlatform:
      return "planned_platform";
  }
  return "unknown";
}

namespace {

std::optional<ItemType> parse_item_type(const std::string& s) {
  for (const ItemType t : {ItemType::kUsesSocialMedia, ItemType::kUsesPlatform,
                           ItemType::kUsesCategory, ItemType::kCategoryList, ItemType::kActiveSince,
                           ItemType::kPostingFrequency, ItemType::kRespondsToCitizens,
                           ItemType::kResponseTime, ItemType::kGoal, ItemType::kPlannedPlatform}) {
    if (item_type_id(t) == s) return t;
  }
  if (s == "dialogue_goal") return ItemType::kGoal;
  return std::nullopt;
}

// Answers compare trimmed and case-folded beyond ASCII: "WÖCHENTLICH" is
// "wöchentlich".
std::string normalize(std::string_view raw) { return fold_case(trim(raw)); }

// The keys each item type reads besides column and type; any other key is
// an error, so a key that would silently do nothing is caught.
const std::vector<std::string>& keys_of(ItemType t) {
  static const std::map<ItemType, std::vector<std::string>> kKeys = {
      {ItemType::kUsesSocialMedia, {"labels", "platform", "category"}},
      {ItemType::kUsesPlatform, {"labels", "platform"}},
      {ItemType::kUsesCategory, {"labels", "category"}},
      {ItemType::kCategoryList, {"labels", "separator"}},
      {ItemType::kActiveSince,
       {"labels", "classes", "answer", "tolerance_years", "platform", "category"}},
      {ItemType::kPostingFrequency, {"labels", "classes", "answer", "platform", "category"}},
      {ItemType::kRespondsToCitizens,
       {"labels", "threshold", "reply_share_threshold", "service_level_threshold", "platform",
        "category"}},
      {ItemType::kResponseTime, {"labels", "classes", "min_timed_replies", "platform", "category"}},
      {ItemType::kGoal, {"labels", "threshold", "goal", "platform", "category"}},
      {ItemType::kPlannedPlatform, {"labels", "platform", "horizon"}},
  };
  return kKeys.at(t);
}

// Which item types read `key`, for the error message.
std::string types_reading(const std::string& key) {
  std::vector<std::string> types;
  for (const ItemType t : {ItemType::kUsesSocialMedia, ItemType::kUsesPlatform,
                           ItemType::kUsesCategory, ItemType::kCategoryList, ItemType::kActiveSince,
                           ItemType::kPostingFrequency, ItemType::kRespondsToCitizens,
                           ItemType::kResponseTime, ItemType::kGoal, ItemType::kPlannedPlatform}) {
    const auto& keys = keys_of(t);
    if (std::find(keys.begin(), keys.end(), key) != keys.end()) {
      types.emplace_back(item_type_id(t));
    }
  }
  return types.empty() ? "no item type" : join(types, ", ");
}

// Label map: code -> [raw answers]; a string names a label set.
std::map<std::string, std::string> read_labels(
    YamlReader& r, const YAML::Node& n, const std::string& path,
    const std::map<std::string, std::map<std::string, std::string>>& sets) {
  std::map<std::string, std::string> out;
  if (n.IsScalar()) {
    const auto it = sets.find(n.Scalar());
    if (it == sets.end()) {
      r.error(n, path, "no label set '" + n.Scalar() + "' in label_sets");
    } else {
      out = it->second;
    }
    return out;
  }
  if (!n.IsMap()) {
    r.error(n, path, "must be a label set name or a map code: [raw answers]");
    return out;
  }
  for (auto it = n.begin(); it != n.end(); ++it) {
    const std::string code = it->first.Scalar();
    auto add = [&](const YAML::Node& raw) {
      if (raw.IsScalar()) out[normalize(raw.Scalar())] = code;
    };
    if (it->second.IsSequence()) {
      for (size_t i = 0; i < it->second.size(); ++i) add(it->second[i]);
    } else {
      add(it->second);
    }
    out[normalize(code)] = code;  // the code itself is always accepted
  }
  return out;
}

std::string fmt_bound(double v) {
  if (std::isinf(v)) return "infinity";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

// A map of label set name -> (raw answer -> code), as label_sets: defines
// them; items name a set instead of repeating its labels.
using LabelSets = std::map<std::string, std::map<std::string, std::string>>;

// survey.fieldwork / survey.reference_period: from: and to: dates, in order.
void read_period(YamlReader& r, const YAML::Node& survey, const char* key, CivilDate& from,
                 CivilDate& to) {
  const YAML::Node p = survey[key];
  const std::string path = std::string("survey.") + key;
  if (!p || !p.IsMap() || !p["from"] || !p["to"]) {
    r.error(p ? p : survey, path, "needs from: and to: dates");
    return;
  }
  r.check_keys(p, path, {"from", "to"});
  if (auto d = r.date(p["from"], path + ".from")) from = *d;
  if (auto d = r.date(p["to"], path + ".to")) to = *d;
  if (to < from) r.error(p, path, "to must not be before from");
}

// How an answers row is identified and split: id_type, delimiter and the
// answers that count as missing (normalized, as answers are compared).
void read_answers_layout(YamlReader& r, const YAML::Node& survey, Codebook& cb) {
  if (const auto t = survey["id_type"]) {
    const std::string v = t.Scalar();
    if (v == "ags") {
      cb.id_is_ags = true;
    } else if (v != "id") {
      r.error(t, "survey.id_type", "must be ags or id");
    }
  }
  if (const auto d = survey["delimiter"]) {
    const std::string v = d.Scalar();
    if (v == ",") {
      cb.delimiter = ',';
    } else if (v == ";") {
      cb.delimiter = ';';
    } else if (v != "auto") {
      r.error(d, "survey.delimiter", "must be \",\", \";\" or auto");
    }
  }
  if (const auto m = survey["missing"]) {
    cb.missing.clear();
    for (size_t i = 0; m.IsSequence() && i < m.size(); ++i)
      cb.missing.push_back(normalize(m[i].Scalar()));
  }
}

// survey.min_coverage: a share in [0, 1] below which a verdict is withheld.
void read_min_coverage(YamlReader& r, const YAML::Node& survey, Codebook& cb) {
  const auto mc = survey["min_coverage"];
  if (!mc) return;
  cb.min_coverage = r.number(mc, "survey.min_coverage");
  if (cb.min_coverage && !(*cb.min_coverage >= 0 && *cb.min_coverage <= 1)) {
    r.error(mc, "survey.min_coverage", "must be a share between 0 and 1 (0.8 = 80 %)");
  }
}

// survey.timezone (an IANA zone that must load) and survey.encoding.
void read_zone_and_encoding(YamlReader& r, const YAML::Node& survey, Codebook& cb) {
  if (const auto tz = survey["timezone"]) {
    cb.timezone = tz.Scalar();
    if (!TimeZone::load(cb.timezone).ok()) {
      r.error(tz, "survey.timezone",
              "unknown time zone '" + cb.timezone + "' (an IANA name such as Europe/Berlin)");
    }
  }
  if (const auto e = survey["encoding"]) {
    auto enc = parse_text_encoding(e.Scalar());
    if (!enc.ok()) {
      r.error(e, "survey.encoding", enc.error().message);
    } else {
      cb.encoding = *enc;
    }
  }
}

// The survey: section into `cb`. False when it is missing or not a mapping:
// without it nothing else is worth reading. Any other problem is reported
// and reading goes on, so a user fixes the file in one pass.
bool read_survey_section(YamlReader& r, const YAML::Node& root, Codebook& cb) {
  const YAML::Node survey = root["survey"];
  if (!survey || !survey.IsMap()) {
    r.error(root, "survey", "is required: name, fieldwork, reference_period, id_column");
    return false;
  }
  r.check_keys(survey, "survey",
               {"name", "fieldwork", "reference_period", "id_column", "id_type", "delimiter",
                "missing", "min_coverage", "timezone", "encoding"});
  cb.name = survey["name"] ? survey["name"].Scalar() : "survey";
  read_period(r, survey, "fieldwork", cb.fieldwork_from, cb.fieldwork_to);
  read_period(r, survey, "reference_period", cb.reference_from, cb.reference_to);
  if (auto c = r.required(survey, "id_column", "survey")) cb.id_column = *c;
  read_answers_layout(r, survey, cb);
  read_min_coverage(r, survey, cb);
  read_zone_and_encoding(r, survey, cb);
  return true;
}

// label_sets:, in file order; a set may name a set defined before it.
LabelSets read_label_sets(YamlReader& r, const YAML::Node& root) {
  LabelSets sets;
  if (const auto ls = root["label_sets"]) {
    for (auto it = ls.begin(); it != ls.end(); ++it) {
      sets[it->first.Scalar()] =
          read_labels(r, it->second, "label_sets." + it->first.Scalar(), sets);
    }
  }
  return sets;
}

// An item's column and type (both required; the type as written in
// `type_text`, since "dialogue_goal" also implies a goal). False after the
// error when either is unusable: nothing else about the item can be judged.
bool read_column_and_type(YamlReader& r, const YAML::Node& n, const std::string& path, Item& item,
                          std::string& type_text) {
  auto column = r.required(n, "column", path);
  auto text = r.required(n, "type", path);
  if (!column || !text) return false;
  item.column = item.id = *column;
  type_text = *text;
  auto type = parse_item_type(type_text);
  if (!type) {
    r.error(n["type"], path + ".type",
            "unknown item type '" + type_text +
                "' (uses_social_media, uses_platform, uses_category, category_list, "
                "active_since, posting_frequency, responds_to_citizens, response_time, goal, "
                "planned_platform)");
    return false;
  }
  item.type = *type;
  return true;
}

// A key some other item type reads would silently do nothing here: an
// error naming the types that do read it.
void check_keys_apply_to_type(YamlReader& r, const YAML::Node& n, const std::string& path,
                              ItemType type) {
  for (auto kv = n.begin(); kv != n.end(); ++kv) {
    const std::string key = kv->first.Scalar();
    if (key == "column" || key == "type") continue;
    const auto& allowed = keys_of(type);
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end() &&
        types_reading(key) != "no item type") {
      r.error(kv->first, path + "." + key,
              "does not apply to " + std::string(item_type_id(type)) +
                  " items (read by: " + types_reading(key) + ")");
    }
  }
}

// column -> the item that has it ("3 (line 40)"), for the error message.
using ColumnOwners = std::map<std::string, std::string>;

// One column, one item: two items on one column would be counted as one in
// the agreement statistics.
void claim_column(YamlReader& r, const YAML::Node& n, const std::string& path, size_t index,
                  const Item& item, ColumnOwners& columns) {
  if (const auto first = columns.find(item.column); first != columns.end()) {
    r.error(n["column"], path + ".column",
            "column '" + item.column + "' is already item " + first->second +
                "'s; two items on one column would be counted as one in the statistics");
  } else {
    columns[item.column] = std::to_string(index) + " (line " + std::to_string(item.line) + ")";
  }
}

// platform: and category: (known ones), required where the type is about
// one platform or one category.
void read_scope(YamlReader& r, const YAML::Node& n, const std::string& path, Item& item) {
  if (const auto p = n["platform"]) {
    item.platform = p.Scalar();
    if (find_platform(item.platform) == nullptr) {
      r.error(p, path + ".platform", unknown_platform_message(item.platform));
    }
  }
  if (const auto c = n["category"]) {
    item.category = parse_category(c.Scalar());
    if (!item.category) r.error(c, path + ".category", "unknown category '" + c.Scalar() + "'");
  }
  if ((item.type == ItemType::kUsesPlatform || item.type == ItemType::kPlannedPlatform) &&
      item.platform.empty()) {
    r.error(n, path + ".platform", "is required for " + std::string(item_type_id(item.type)));
  }
  if (item.type == ItemType::kUsesCategory && !item.category) {
    r.error(n, path + ".category", "is required for uses_category");
  }
}

// labels: (a map or a label set's name) and answer: (label, number or year).
void read_labels_and_answer_kind(YamlReader& r, const YAML::Node& n, const std::string& path,
                                 const LabelSets& sets, Item& item) {
  if (const auto l = n["labels"]) item.labels = read_labels(r, l, path + ".labels", sets);
  if (const auto a = n["answer"]) {
    const std::string v = a.Scalar();
    if (v == "year") {
      item.year_answer = item.numeric = true;
    } else if (v == "number") {
      item.numeric = true;
    } else if (v != "label") {
      r.error(a, path + ".answer", "must be label, number or year");
    }
  }
}

// classes: each [from, to) with a code; a class's label(s) and its code
// become answers meaning that code. Bounds are checked one class at a time
// here, and against each other in check_classes_tile.
void read_classes(YamlReader& r, const YAML::Node& n, const std::string& path, Item& item) {
  const auto cl = n["classes"];
  if (!cl) return;
  for (size_t k = 0; cl.IsSequence() && k < cl.size(); ++k) {
    const YAML::Node c = cl[k];
    const std::string cp = path + ".classes[" + std::to_string(k) + "]";
    r.check_keys(c, cp, {"code", "label", "from", "to"});
    Class cls;
    if (auto code = r.required(c, "code", cp)) cls.code = *code;
    cls.low = c["from"] ? r.number(c["from"], cp + ".from").value_or(0) : 0;
    cls.high = c["to"] ? r.number(c["to"], cp + ".to").value_or(0)
                       : std::numeric_limits<double>::infinity();
    if (!std::isfinite(cls.low) || cls.low < 0) {
      r.error(c["from"] ? c["from"] : c, cp + ".from", "must be a number >= 0");
    } else if (cls.high <= cls.low) {
      r.error(c, cp, "to must be greater than from");
    }
    if (const auto lab = c["label"]) {
      if (lab.IsSequence()) {
        for (size_t j = 0; j < lab.size(); ++j) item.labels[normalize(lab[j].Scalar())] = cls.code;
      } else {
        item.labels[normalize(lab.Scalar())] = cls.code;
      }
    }
    item.labels[normalize(cls.code)] = cls.code;
    item.classes.push_back(cls);
  }
}

// Classes must tile [0, infinity): every observation falls into exactly
// one class, so no observed value can land between two answers. Codes are
// unique.
void check_classes_tile(YamlReader& r, const YAML::Node& n, const std::string& path,
                        const Item& item) {
  if (item.classes.empty()) return;
  const YAML::Node cl = n["classes"];
  for (size_t k = 0; k < item.classes.size(); ++k) {
    const Class& cls = item.classes[k];
    const YAML::Node at = cl[k];
    const std::string cp = path + ".classes[" + std::to_string(k) + "]";
    if (k == 0 && cls.low != 0) {
      r.error(at, cp + ".from",
              "the first class must start at 0 (observations below " + fmt_bound(cls.low) +
                  " would fall into no class)");
    }
    if (k > 0) {
      const Class& prev = item.classes[k - 1];
      if (cls.low > prev.high) {
        r.error(at, cp + ".from",
                "gap between " + fmt_bound(prev.high) + " and " + fmt_bound(cls.low) + " (" +
                    prev.code + " ends at " + fmt_bound(prev.high) + ", " + cls.code +
                    " starts at " + fmt_bound(cls.low) +
                    "): observations there would fall into no class");
      } else if (cls.low < prev.high) {
        r.error(at, cp + ".from",
                "overlaps " + prev.code + " (which ends at " + fmt_bound(prev.high) +
                    "): each class starts where the previous one ends");
      }
    }
    if (k + 1 == item.classes.size() && std::isfinite(cls.high)) {
      r.error(at, cp + ".to",
              "the last class must be open (no to:), or observations above " + fmt_bound(cls.high) +
                  " would fall into no class");
    }
    for (size_t j = 0; j < k; ++j) {
      if (item.classes[j].code == cls.code) {
        r.error(at, cp + ".code", "class code '" + cls.code + "' is used twice");
      }
    }
  }
}

// On an item with classes, every answer must map to a class: an answer
// coded otherwise would count as contradicted whatever was observed. The
// first such code is reported.
void check_labels_are_classes(YamlReader& r, const YAML::Node& n, const std::string& path,
                              const Item& item) {
  if (item.classes.empty()) return;
  for (const auto& [raw, code] : item.labels) {
    const bool is_class = std::any_of(item.classes.begin(), item.classes.end(),
                                      [&](const Class& c) { return c.code == code; });
    if (!is_class) {
      std::vector<std::string> codes;
      for (const Class& c : item.classes) codes.push_back(c.code);
      r.error(n["labels"] ? n["labels"] : n, path + ".labels",
              "code '" + code + "' is not a class of this item (classes: " + join(codes, ", ") +
                  "); every answer it stands for would count as "
                  "contradicted");
      break;
    }
  }
}

// n[key], when present, into `into` if it is a number (whole where
// `integer`) in [low, high]; otherwise an error and `into` keeps its default.
void read_bounded(YamlReader& r, const YAML::Node& n, const std::string& path, const char* key,
                  double low, double high, bool integer, double& into) {
  const YAML::Node t = n[key];
  if (!t) return;
  const auto v = r.number(t, path + "." + key);
  if (!v) return;
  if (!(std::isfinite(*v) && *v >= low && *v <= high) || (integer && *v != std::floor(*v))) {
    r.error(t, path + "." + key,
            "must be " + std::string(integer ? "a whole number" : "a number") + " from " +
                fmt_bound(low) + " to " + fmt_bound(high) + ", got " + t.Scalar());
    return;
  }
  into = *v;
}

// The numbers an item's verdict is judged by (tolerances, thresholds, the
// replies a median needs, the planning horizon), each within its bounds.
void read_thresholds(YamlReader& r, const YAML::Node& n, const std::string& path, Item& item) {
  read_bounded(r, n, path, "tolerance_years", 0, 50, false, item.tolerance_years);
  read_bounded(r, n, path, "threshold", -1e6, 1e6, false, item.threshold);
  read_bounded(r, n, path, "reply_share_threshold", 0, 1, false, item.reply_share_threshold);
  read_bounded(r, n, path, "service_level_threshold", 0, 1, false, item.service_level_threshold);
  double min_timed = item.min_timed_replies;
  read_bounded(r, n, path, "min_timed_replies", 1, 100000, true, min_timed);
  item.min_timed_replies = static_cast<int>(min_timed);
  if (const auto h = n["horizon"]) {
    auto d = parse_duration(h.Scalar());
    if (!d || *d <= 0) {
      r.error(h, path + ".horizon", "must be a positive duration such as 730d");
    } else {
      item.horizon_ms = *d;
    }
  }
}

// separator: (category lists) and goal: ("dialogue" when the type was
// written as dialogue_goal).
void read_separator_and_goal(const YAML::Node& n, const std::string& type_text, Item& item) {
  if (const auto s = n["separator"]) item.separator = s.Scalar();
  if (const auto g = n["goal"]) {
    item.goal = g.Scalar();
  } else if (type_text == "dialogue_goal") {
    item.goal = "dialogue";
  }
}

// Items answered in classes: without classes no answer can be compared.
bool is_ordered(const Item& item) {
  return item.type == ItemType::kPostingFrequency || item.type == ItemType::kResponseTime ||
         (item.type == ItemType::kActiveSince && !item.year_answer);
}
// Items whose codes are exactly yes and no.
bool is_yes_no(ItemType t) {
  return t == ItemType::kUsesSocialMedia || t == ItemType::kUsesPlatform ||
         t == ItemType::kUsesCategory || t == ItemType::kPlannedPlatform;
}
// Items coded yes/no or on a numeric scale with a threshold.
bool is_scaled(ItemType t) { return t == ItemType::kRespondsToCitizens || t == ItemType::kGoal; }

// What each type needs to be judged at all: classes for ordered items,
// labels for coded ones.
void check_required_for_type(YamlReader& r, const YAML::Node& n, const std::string& path,
                             const Item& item) {
  if (is_ordered(item) && item.classes.empty())
    r.error(n, path + ".classes", "is required for " + std::string(item_type_id(item.type)));
  if ((is_yes_no(item.type) || item.type == ItemType::kCategoryList || is_scaled(item.type)) &&
      item.labels.empty()) {
    r.error(n, path + ".labels", "is required for " + std::string(item_type_id(item.type)));
  }
}

// Codes the check can compare: KGSt categories (or none) for category
// lists, yes/no for yes/no items, yes/no or scale numbers for scaled items,
// whose numbers go to item.scale and need a threshold. The first bad code
// of an item is reported.
void read_codes_for_type(YamlReader& r, const YAML::Node& n, const std::string& path, Item& item) {
  if (item.type == ItemType::kCategoryList) {
    for (const auto& [raw, code] : item.labels) {
      if (!parse_category(code) && code != "none") {
        r.error(n["labels"], path + ".labels",
                "code '" + code + "' is not a KGSt category (or none)");
        break;
      }
    }
  }
  if (is_yes_no(item.type)) {
    for (const auto& [raw, code] : item.labels) {
      if (code != "yes" && code != "no") {
        r.error(n["labels"], path + ".labels",
                "codes of a yes/no item are yes and no, got '" + code + "'");
        break;
      }
    }
  }
  if (is_scaled(item.type)) {
    for (const auto& [raw, code] : item.labels) {
      if (code == "yes" || code == "no") continue;
      if (auto v = parse_double(code)) {
        item.scale[code] = *v;
      } else {
        r.error(n["labels"], path + ".labels",
                "codes are yes/no or scale numbers, got '" + code + "'");
        break;
      }
    }
    if (!item.scale.empty() && !n["threshold"])
      r.error(n, path + ".threshold", "is required with scale codes");
  }
}

// One entry of items:, or nullopt when its column or type is unusable (its
// error reported). An item with other problems is still returned: the
// errors already fail the load, and its column still counts as taken.
std::optional<Item> read_item(YamlReader& r, const YAML::Node& n, const std::string& path,
                              size_t index, const LabelSets& sets, ColumnOwners& columns) {
  r.check_keys(n, path,
               {"column", "type", "platform", "category", "labels", "classes", "answer",
                "tolerance_years", "threshold", "reply_share_threshold", "service_level_threshold",
                "min_timed_replies", "horizon", "separator", "goal"});
  Item item;
  item.line = n.Mark().line + 1;
  std::string type_text;
  if (!read_column_and_type(r, n, path, item, type_text)) return std::nullopt;
  check_keys_apply_to_type(r, n, path, item.type);
  claim_column(r, n, path, index, item, columns);
  read_scope(r, n, path, item);
  read_labels_and_answer_kind(r, n, path, sets, item);
  read_classes(r, n, path, item);
  check_classes_tile(r, n, path, item);
  check_labels_are_classes(r, n, path, item);
  read_thresholds(r, n, path, item);
  read_separator_and_goal(n, type_text, item);
  check_required_for_type(r, n, path, item);
  read_codes_for_type(r, n, path, item);
  return item;
}

// items:, in order. Every item is read even after an error, so one pass
// reports them all.
void read_items(YamlReader& r, const YAML::Node& items, const LabelSets& sets,
                std::vector<Item>& out) {
  ColumnOwners columns;
  for (size_t i = 0; i < items.size(); ++i) {
    const YAML::Node n = items[i];
    const std::string path = "items[" + std::to_string(i) + "]";
    if (!n.IsMap()) {
      r.error(n, path, "must be a mapping");
      continue;
    }
    if (auto item = read_item(r, n, path, i, sets, columns)) out.push_back(std::move(*item));
  }
}

}  // namespace

// The codebook in `text`, or every error found in it. May throw
// YAML::Exception where a node of an unexpected kind is indexed;
// load_codebook_from_string turns that into an error.
static CodebookLoad load_codebook_unchecked(const std::string& text, const std::string& file_name) {
  CodebookLoad load;
  const auto parsed = parse_yaml(text, file_name, load.errors);
  if (!parsed) return load;
  const YAML::Node& root = *parsed;
  YamlReader r(file_name, load.errors);
  if (!root.IsMap()) {
    r.error(root, "", "a codebook is a mapping with survey:, items: and optionally label_sets:");
    return load;
  }
  r.check_keys(root, "", {"survey", "label_sets", "items"});
  Codebook cb;
  cb.file = file_name;
  if (!read_survey_section(r, root, cb)) return load;
  const LabelSets sets = read_label_sets(r, root);
  const YAML::Node items = root["items"];
  if (!items || !items.IsSequence()) {
    r.error(root, "items", "is required: a list of items");
    return load;
  }
  read_items(r, items, sets, cb.items);
  if (load.errors.empty()) load.codebook = std::move(cb);
  return load;
}

CodebookLoad load_codebook_from_string(const std::string& text, const std::string& file_name) {
  try {
    return load_codebook_unchecked(text, file_name);
  } catch (const YAML::Exception& e) {
    // A node of an unexpected kind indexed somewhere: an error, never a
    // crash (found by fuzzing).
    CodebookLoad load;
    load.errors.push_back({file_name, e.mark.line + 1, e.mark.column + 1, "",
                           "unexpected structure (a list or value where a mapping belongs?): " +
                               std::string(e.msg)});
    return load;
  }
}

CodebookLoad load_codebook(const std::string& path) {
  const auto text = read_input_file(path);
  if (!text) {
    CodebookLoad load;
    load.errors.push_back({path, 0, 0, "", "cannot read the codebook: " + text.error().message});
    return load;
  }
  return load_codebook_from_string(*text, path);
}

Result<Answers> parse_answers(const std::string& text_in, const std::string& file_name,
                              char delimiter) {
  std::string_view text = text_in;
  if (starts_with(text, "\xEF\xBB\xBF")) text.remove_prefix(3);  // UTF-8 BOM (Excel)
  // Comment lines before the header ("# ...") let an example or an archived
  // file say where its answers come from; spreadsheets never write them.
  int skipped_lines = 0;
  while (starts_with(text, "#")) {
    const size_t eol = text.find('\n');
    text.remove_prefix(eol == std::string_view::npos ? text.size() : eol + 1);
    ++skipped_lines;
  }
  if (delimiter == 0) {
    const std::string_view header = text.substr(0, text.find('\n'));
    delimiter = std::count(header.begin(), header.end(), ';') >
                        std::count(header.begin(), header.end(), ',')
                    ? ';'
                    : ',';
  }
  Answers out;
  out.file = file_name;
  out.delimiter = delimiter;
  std::vector<std::vector<std::string>> records;
  std::vector<int> record_lines;
  std::vector<std::string> fields;
  std::string field;
  bool quoted = false, field_started = false;
  int line = 1 + skipped_lines, record_line = line;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"') {
        if (i + 1 < text.size() && text[i + 1] == '"') {
          field += '"';
          ++i;
        } else {
          quoted = false;
        }
      } else {
        if (c == '\n') ++line;
        field += c;
      }
      continue;
    }
    if (c == '"' && !field_started) {
      quoted = field_started = true;
    } else if (c == delimiter) {
      fields.push_back(field);
      field.clear();
      field_started = false;
    } else if (c == '\n' || c == '\r') {
      if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      fields.push_back(field);
      field.clear();
      field_started = false;
      if (!(fields.size() == 1 && fields[0].empty())) {
        records.push_back(fields);
        record_lines.push_back(record_line);
      }
      fields.clear();
      ++line;
      record_line = line;
    } else {
      field += c;
      field_started = true;
    }
  }
  if (quoted)
    return make_error(ErrorCode::kParse, file_name + ":" + std::to_string(record_line) +
                                             ": a quoted field is never closed");
  if (field_started || !fields.empty()) {
    fields.push_back(field);
    records.push_back(fields);
    record_lines.push_back(record_line);
  }
  if (records.empty())
    return make_error(ErrorCode::kParse, file_name + ": empty file; a header row is required");
  for (const auto& h : records[0]) {
    std::string column(trim(h));
    if (std::find(out.columns.begin(), out.columns.end(), column) != out.columns.end()) {
      return make_error(ErrorCode::kParse,
                        file_name + ":" + std::to_string(record_lines[0]) + ": column '" + column +
                            "' appears twice in the header; which one holds the answers is "
                            "not guessed");
    }
    out.columns.push_back(std::move(column));
  }
  for (size_t r = 1; r < records.size(); ++r) {
    if (records[r].size() != out.columns.size()) {
      return make_error(ErrorCode::kParse, file_name + ":" + std::to_string(record_lines[r]) +
                                               ": " + std::to_string(records[r].size()) +
                                               " fields, the header has " +
                                               std::to_string(out.columns.size()) +
                                               " (delimiter '" + std::string(1, delimiter) + "')");
    }
    AnswerRow row;
    row.line = record_lines[r];
    for (size_t c = 0; c < out.columns.size(); ++c) row.cells[out.columns[c]] = records[r][c];
    out.rows.push_back(std::move(row));
  }
  return out;
}

Result<Answers> read_answers(const std::string& path, char delimiter, TextEncoding encoding) {
  const auto bytes = read_input_file(path);
  if (!bytes) {
    return make_error(ErrorCode::kIo, "cannot read the answers file: " + bytes.error().message);
  }
  MUNI_TRY(auto decoded, decode_text(*bytes, encoding, path));
  MUNI_TRY(auto answers, parse_answers(decoded.text, path, delimiter));
  answers.encoding = decoded.encoding;
  return answers;
}

}  // namespace muni::survey
