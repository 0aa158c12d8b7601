// Reading YAML with positions. Every problem becomes a ConfigIssue naming the
// file, line, column and the key path it concerns, so a user fixes a file in
// one pass. Shared by the configuration and the survey codebook, the two
// YAML formats muniscope reads.
#pragma once

#include <yaml-cpp/yaml.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "core/time_util.h"

namespace muni {

// The YAML tree of `text`, or nullopt with the syntax error and its position
// appended to `errors`.
std::optional<YAML::Node> parse_yaml(const std::string& text, const std::string& file,
                                     std::vector<ConfigIssue>& errors);

class YamlReader {
 public:
  // Issues go to `errors` (and `warnings`, when given).
  YamlReader(std::string file, std::vector<ConfigIssue>& errors,
             std::vector<ConfigIssue>* warnings = nullptr);

  const std::string& file() const { return file_; }

  static int line_of(const YAML::Node& n);    // 1-based; 0 when unknown
  static int column_of(const YAML::Node& n);  // 1-based; 0 when unknown
  static std::string child_path(const std::string& parent, const std::string& key);

  void error(const YAML::Node& at, const std::string& key, const std::string& message);
  void warn(const YAML::Node& at, const std::string& key, const std::string& message);

  // Reports every key of `map` not in `allowed`, at the key's position, with
  // a "did you mean" hint for a near miss.
  void check_keys(const YAML::Node& map, const std::string& path,
                  const std::vector<std::string_view>& allowed);
  bool expect_map(const YAML::Node& n, const std::string& path);

  // Typed values; nullopt (after reporting) when absent or malformed.
  std::optional<std::string> scalar(const YAML::Node& n, const std::string& path);
  // The trimmed, non-empty value of `map[key]`; a missing key is reported at
  // the map's position (where it belongs), as `path.key`.
  std::optional<std::string> required(const YAML::Node& map, const std::string& key,
                                      const std::string& path);
  std::optional<bool> boolean(const YAML::Node& n, const std::string& path);
  std::optional<int64_t> integer(const YAML::Node& n, const std::string& path, int64_t min,
                                 int64_t max);
  std::optional<double> number(const YAML::Node& n, const std::string& path);  // "inf" allowed
  std::optional<DurationMs> duration(const YAML::Node& n, const std::string& path,
                                     DurationMs min = kSecondMs);
  std::optional<CivilDate> date(const YAML::Node& n, const std::string& path);

 private:
  std::string file_;
  std::vector<ConfigIssue>& errors_;
  std::vector<ConfigIssue>* warnings_;
};

}  // namespace muni
