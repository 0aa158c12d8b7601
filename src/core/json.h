// JSON helpers over RapidJSON (used in its non-throwing mode).
//
// Readers return std::nullopt for a missing member, a null, or a value of the
// wrong type, so connectors decide per field whether absence is an error.
// The writer produces compact JSON for CLI output and connector cursors.
#pragma once

#include <rapidjson/document.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace muni {

using JsonValue = rapidjson::Value;

// Parses `text`; a truncated body or an HTML page fails with kParse and a
// message that quotes the start of the text.
Result<std::unique_ptr<rapidjson::Document>> parse_json(std::string_view text);

const JsonValue* json_member(const JsonValue& obj, std::string_view name);
std::optional<std::string> json_string(const JsonValue& obj, std::string_view name);
std::optional<int64_t> json_int(const JsonValue& obj, std::string_view name);
std::optional<double> json_number(const JsonValue& obj, std::string_view name);
std::optional<bool> json_bool(const JsonValue& obj, std::string_view name);
const JsonValue* json_object(const JsonValue& obj, std::string_view name);
const JsonValue* json_array(const JsonValue& obj, std::string_view name);

std::string json_escape(std::string_view s);  // with surrounding quotes

// A small streaming writer for flat and nested output.
class JsonWriter {
 public:
  JsonWriter& begin_object();
  JsonWriter& end_object();
  JsonWriter& begin_array();
  JsonWriter& end_array();
  JsonWriter& key(std::string_view k);
  JsonWriter& value(std::string_view s);
  JsonWriter& value(const char* s) { return value(std::string_view(s)); }
  JsonWriter& value(const std::string& s) { return value(std::string_view(s)); }
  JsonWriter& value(int64_t v);
  JsonWriter& value(int v) { return value(static_cast<int64_t>(v)); }
  JsonWriter& value(double v);
  JsonWriter& value(bool v);
  JsonWriter& null();
  template <class T>
  JsonWriter& value(const std::optional<T>& v) {
    return v ? value(*v) : null();
  }
  JsonWriter& raw(std::string_view json);  // an already-serialized value
  const std::string& str() const { return out_; }

 private:
  void separator();
  std::string out_;
  std::vector<bool> first_;  // per open container: no element written yet
  bool after_key_ = false;
};

std::string json_string_array(const std::vector<std::string>& items);
std::vector<std::string> parse_json_string_array(std::string_view text);

}  // namespace muni
