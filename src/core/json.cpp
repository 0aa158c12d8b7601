#include "core/json.h"

#include <rapidjson/error/en.h>

#include <cmath>
#include <cstdio>

namespace muni {

Result<std::unique_ptr<rapidjson::Document>> parse_json(std::string_view text) {
  auto doc = std::make_unique<rapidjson::Document>();
  doc->Parse<rapidjson::kParseDefaultFlags>(text.data(), text.size());
  if (doc->HasParseError()) {
    std::string start(text.substr(0, 60));
    for (char& c : start) {
      if (c == '\n' || c == '\r' || c == '\t') c = ' ';
    }
    std::string what = "invalid JSON at offset " + std::to_string(doc->GetErrorOffset()) + " (" +
                       rapidjson::GetParseError_En(doc->GetParseError()) + ")";
    if (text.empty()) {
      what = "empty body where JSON was expected";
    } else if (start.find('<') != std::string::npos && start.find('{') == std::string::npos) {
      what = "HTML or XML where JSON was expected";
    }
    return make_error(ErrorCode::kParse, what + "; body starts: " + start);
  }
  return doc;
}

const JsonValue* json_member(const JsonValue& obj, std::string_view name) {
  if (!obj.IsObject()) return nullptr;
  const auto it = obj.FindMember(rapidjson::Value(rapidjson::StringRef(name.data(), name.size())));
  if (it == obj.MemberEnd()) return nullptr;
  return &it->value;
}

std::optional<std::string> json_string(const JsonValue& obj, std::string_view name) {
  const JsonValue* v = json_member(obj, name);
  if (v == nullptr || !v->IsString()) return std::nullopt;
  return std::string(v->GetString(), v->GetStringLength());
}

std::optional<int64_t> json_int(const JsonValue& obj, std::string_view name) {
  const JsonValue* v = json_member(obj, name);
  if (v == nullptr) return std::nullopt;
  if (v->IsInt64()) return v->GetInt64();
  if (v->IsUint64()) return static_cast<int64_t>(v->GetUint64());
  if (v->IsDouble() && std::floor(v->GetDouble()) == v->GetDouble())
    return static_cast<int64_t>(v->GetDouble());
  return std::nullopt;
}

std::optional<double> json_number(const JsonValue& obj, std::string_view name) {
  const JsonValue* v = json_member(obj, name);
  if (v == nullptr || !v->IsNumber()) return std::nullopt;
  return v->GetDouble();
}

std::optional<bool> json_bool(const JsonValue& obj, std::string_view name) {
  const JsonValue* v = json_member(obj, name);
  if (v == nullptr || !v->IsBool()) return std::nullopt;
  return v->GetBool();
}

const JsonValue* json_object(const JsonValue& obj, std::string_view name) {
  const JsonValue* v = json_member(obj, name);
  return v != nullptr && v->IsObject() ? v : nullptr;
}

const JsonValue* json_array(const JsonValue& obj, std::string_view name) {
  const JsonValue* v = json_member(obj, name);
  return v != nullptr && v->IsArray() ? v : nullptr;
}

std::string json_escape(std::string_view s) {
  std::string out = "\"";
  for (const char ch : s) {
    const unsigned char c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += ch;
        }
    }
  }
  out += '"';
  return out;
}

void JsonWriter::separator() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (!first_.empty()) {
    if (!first_.back()) out_ += ',';
    first_.back() = false;
  }
}

JsonWriter& JsonWriter::begin_object() {
  separator();
  out_ += '{';
  first_.push_back(true);
  return *this;
}
JsonWriter& JsonWriter::end_object() {
  out_ += '}';
  first_.pop_back();
  return *this;
}
JsonWriter& JsonWriter::begin_array() {
  separator();
  out_ += '[';
  first_.push_back(true);
  return *this;
}
JsonWriter& JsonWriter::end_array() {
  out_ += ']';
  first_.pop_back();
  return *this;
}
JsonWriter& JsonWriter::key(std::string_view k) {
  separator();
  out_ += json_escape(k);
  out_ += ':';
  after_key_ = true;
  return *this;
}
JsonWriter& JsonWriter::value(std::string_view s) {
  separator();
  out_ += json_escape(s);
  return *this;
}
JsonWriter& JsonWriter::value(int64_t v) {
  separator();
  out_ += std::to_string(v);
  return *this;
}
JsonWriter& JsonWriter::value(double v) {
  separator();
  if (!std::isfinite(v)) {
    out_ += "null";
  } else {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.10g", v);
    out_ += buf;
  }
  return *this;
}
JsonWriter& JsonWriter::value(bool v) {
  separator();
  out_ += v ? "true" : "false";
  return *this;
}
JsonWriter& JsonWriter::null() {
  separator();
  out_ += "null";
  return *this;
}
JsonWriter& JsonWriter::raw(std::string_view json) {
  separator();
  out_ += json;
  return *this;
}

std::string json_string_array(const std::vector<std::string>& items) {
  JsonWriter w;
  w.begin_array();
  for (const auto& s : items) w.value(s);
  w.end_array();
  return w.str();
}

std::vector<std::string> parse_json_string_array(std::string_view text) {
  std::vector<std::string> out;
  auto doc = parse_json(text);
  if (!doc.ok() || !(*doc)->IsArray()) return out;
  for (const auto& v : (*doc)->GetArray()) {
    if (v.IsString()) out.emplace_back(v.GetString(), v.GetStringLength());
  }
  return out;
}

}  // namespace muni
