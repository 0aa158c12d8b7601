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
// message that quotes the start of the text. Never exhausts the stack: the
// nesting depth is bounded and RapidJSON parses iteratively. Unpaired UTF-16
// surrogate escapes become U+FFFD instead of failing the whole document.
Result<std::unique_ptr<rapidjson::Document>> parse_json(std::string_view text);

const JsonValue* json_member(const JsonValue& obj, std::string_view name);
std::optional<std::string> json_string(const JsonValue& obj, std::string_view name);
// Integers beyond the int64 range saturate (never wrap); fractions are nullopt.
std::optional<int64_t> json_int(const JsonValue& obj, std::string_view name);
// A count as platforms send it: a JSON integer or a string of decimal digits
// (YouTube). Absurd values (negative, saturated) come back as they are; the
// engine's page guard turns them into unknown, with a warning.
std::optional<int64_t> json_count(const JsonValue& obj, std::string_view name);
std::optional<double> json_number(const JsonValue& obj, std::string_view name);
std::optional<bool> json_bool(const JsonValue& obj, std::string_view name);
const JsonValue* json_object(const JsonValue& obj, std::string_view name);
const JsonValue* json_array(const JsonValue& obj, std::string_view name);

std::string json_escape(std::string_view s);  // with surrounding quotes

// A streaming writer over RapidJSON's Writer: strings are repaired to valid
// UTF-8 before they are written, doubles keep every digit (shortest form that
// reads back exactly), NaN and infinities become null.
class JsonWriter {
 public:
  JsonWriter();
  ~JsonWriter();
  JsonWriter(JsonWriter&&) noexcept;
  JsonWriter& operator=(JsonWriter&&) noexcept;

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
  const std::string& str() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

std::string json_string_array(const std::vector<std::string>& items);
std::vector<std::string> parse_json_string_array(std::string_view text);

}  // namespace muni
