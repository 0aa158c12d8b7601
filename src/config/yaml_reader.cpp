#include "config/yaml_reader.h"

#include <map>

#include <yaml-cpp/depthguard.h>

#include <algorithm>
#include <limits>

#include "core/strings.h"

namespace muni {

namespace {

std::string join_keys(const std::vector<std::string_view>& keys) {
  std::string out;
  for (const auto k : keys) {
    if (!out.empty()) out += ", ";
    out += k;
  }
  return out;
}

}  // namespace

std::optional<YAML::Node> parse_yaml(const std::string& text, const std::string& file,
                                     std::vector<ConfigIssue>& errors) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::DeepRecursion& e) {
    // yaml-cpp's own message for this is "bad file".
    errors.push_back({file, e.mark.line + 1, e.mark.column + 1, "",
                      "nested too deeply (more than yaml-cpp's limit of levels); a configuration "
                      "never needs that"});
    return std::nullopt;
  } catch (const YAML::ParserException& e) {
    errors.push_back({file, e.mark.line + 1, e.mark.column + 1, "", "YAML syntax error: " + e.msg});
    return std::nullopt;
  }
  // yaml-cpp keeps both entries of a duplicated key and answers lookups with
  // the first: two `poll_interval:` would pass with one silently ignored.
  // Like promtool, refuse them.
  const size_t before = errors.size();
  struct Pending {
    YAML::Node node;
    int depth;
    std::string path;
  };
  std::vector<Pending> stack = {{root, 0, ""}};
  while (!stack.empty()) {
    auto [node, depth, path] = stack.back();
    stack.pop_back();
    if (depth > 256) continue;
    if (node.IsMap()) {
      std::map<std::string, int> seen;  // key -> first line
      for (auto it = node.begin(); it != node.end(); ++it) {
        if (it->first.IsScalar()) {
          const std::string key = it->first.Scalar();
          const int line = it->first.Mark().line + 1;
          auto [first, inserted] = seen.emplace(key, line);
          if (!inserted && errors.size() - before < 50) {
            errors.push_back({file, line, it->first.Mark().column + 1, YamlReader::child_path(path, key),
                              "duplicate key '" + key + "' (first at line " +
                                  std::to_string(first->second) +
                                  "); only one may stand, which one is not guessed"});
          }
        }
        stack.push_back({it->second, depth + 1,
                         YamlReader::child_path(path, it->first.IsScalar() ? it->first.Scalar() : "?")});
      }
    } else if (node.IsSequence()) {
      for (size_t i = 0; i < node.size(); ++i) {
        stack.push_back({node[i], depth + 1, path + "[" + std::to_string(i) + "]"});
      }
    }
  }
  if (errors.size() > before) return std::nullopt;
  return root;
}

YamlReader::YamlReader(std::string file, std::vector<ConfigIssue>& errors,
                       std::vector<ConfigIssue>* warnings)
    : file_(std::move(file)), errors_(errors), warnings_(warnings) {}

int YamlReader::line_of(const YAML::Node& n) {
  return n && n.Mark().line >= 0 ? n.Mark().line + 1 : 0;
}

int YamlReader::column_of(const YAML::Node& n) {
  return n && n.Mark().column >= 0 ? n.Mark().column + 1 : 0;
}

std::string YamlReader::child_path(const std::string& parent, const std::string& key) {
  return parent.empty() ? key : parent + "." + key;
}

void YamlReader::error(const YAML::Node& at, const std::string& key, const std::string& message) {
  errors_.push_back({file_, line_of(at), column_of(at), key, message});
}

void YamlReader::warn(const YAML::Node& at, const std::string& key, const std::string& message) {
  if (warnings_ != nullptr) warnings_->push_back({file_, line_of(at), column_of(at), key, message});
}

void YamlReader::check_keys(const YAML::Node& map, const std::string& path,
                            const std::vector<std::string_view>& allowed) {
  for (auto it = map.begin(); it != map.end(); ++it) {
    const std::string key = it->first.IsScalar() ? it->first.Scalar() : "?";
    if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) continue;
    const std::string hint = did_you_mean(key, allowed);
    error(it->first, YamlReader::child_path(path, key),
          "unknown key '" + key + "'" + hint + "; known keys here: " + join_keys(allowed));
  }
}

bool YamlReader::expect_map(const YAML::Node& n, const std::string& path) {
  if (n.IsMap()) return true;
  error(n, path, "must be a mapping (key: value lines)");
  return false;
}

std::optional<std::string> YamlReader::scalar(const YAML::Node& n, const std::string& path) {
  if (!n) {
    error(n, path, "is required");
    return std::nullopt;
  }
  if (!n.IsScalar()) {
    error(n, path, "must be a single value, not a list or mapping");
    return std::nullopt;
  }
  return n.Scalar();
}

std::optional<std::string> YamlReader::required(const YAML::Node& map, const std::string& key,
                                                const std::string& path) {
  const std::string at = child_path(path, key);
  if (!map.IsMap()) {
    // Indexing a scalar or a list throws in yaml-cpp (found by fuzzing).
    error(map, path, "must be a mapping of keys");
    return std::nullopt;
  }
  const YAML::Node v = map[key];
  if (!v) {
    error(map, at, "is required");
    return std::nullopt;
  }
  const auto s = scalar(v, at);
  if (!s) return std::nullopt;
  std::string value(trim(*s));
  if (value.empty()) {
    error(v, at, "must not be empty");
    return std::nullopt;
  }
  return value;
}

std::optional<bool> YamlReader::boolean(const YAML::Node& n, const std::string& path) {
  const auto s = scalar(n, path);
  if (!s) return std::nullopt;
  const std::string v = to_lower_ascii(*s);
  if (v == "true" || v == "yes" || v == "on") return true;
  if (v == "false" || v == "no" || v == "off") return false;
  error(n, path, "must be true or false");
  return std::nullopt;
}

std::optional<int64_t> YamlReader::integer(const YAML::Node& n, const std::string& path,
                                           int64_t min, int64_t max) {
  const auto s = scalar(n, path);
  if (!s) return std::nullopt;
  auto parsed = parse_int64(*s);
  if (!parsed || *parsed < min || *parsed > max) {
    error(n, path,
          "must be a whole number between " + std::to_string(min) + " and " + std::to_string(max));
    return std::nullopt;
  }
  return parsed;
}

std::optional<double> YamlReader::number(const YAML::Node& n, const std::string& path) {
  const auto s = scalar(n, path);
  if (!s) return std::nullopt;
  if (*s == "inf" || *s == ".inf") return std::numeric_limits<double>::infinity();
  auto d = parse_double(*s);
  if (!d) error(n, path, "must be a number");
  return d;
}

std::optional<DurationMs> YamlReader::duration(const YAML::Node& n, const std::string& path,
                                               DurationMs min) {
  const auto s = scalar(n, path);
  if (!s) return std::nullopt;
  auto d = parse_duration(*s);
  if (!d) {
    error(n, path, "must be a duration such as 90s, 15m, 1h, 7d");
    return std::nullopt;
  }
  if (*d < min) {
    error(n, path, "must be at least " + format_duration(min));
    return std::nullopt;
  }
  return d;
}

std::optional<CivilDate> YamlReader::date(const YAML::Node& n, const std::string& path) {
  const auto s = scalar(n, path);
  if (!s) return std::nullopt;
  auto d = parse_civil_date(*s);
  if (!d) error(n, path, "must be a date YYYY-MM-DD");
  return d;
}

}  // namespace muni
