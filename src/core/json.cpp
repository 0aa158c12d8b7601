#include "core/json.h"

#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cmath>
#include <cstdio>
#include <limits>

#include "core/strings.h"
#include "core/text_safety.h"

namespace muni {

namespace {

// Deepest nesting accepted. Real API answers nest a dozen levels; a body of
// 150 KB of '[' is an attack on the parser (RapidJSON's recursive parser
// overflowed the stack on it), refused before parsing.
constexpr int kMaxJsonDepth = 256;

// The nesting depth of `text`, counting brackets outside strings; stops
// counting once `limit` is exceeded.
int nesting_depth(std::string_view text, int limit) {
  int depth = 0;
  int max_depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth) max_depth = depth;
      if (max_depth > limit) return max_depth;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return max_depth;
}

bool hex4(std::string_view s, size_t i, unsigned& out) {
  if (i + 4 > s.size()) return false;
  out = 0;
  for (size_t k = i; k < i + 4; ++k) {
    const char c = s[k];
    out <<= 4;
    if (c >= '0' && c <= '9') {
      out |= static_cast<unsigned>(c - '0');
    } else if (c >= 'a' && c <= 'f') {
      out |= static_cast<unsigned>(c - 'a' + 10);
    } else if (c >= 'A' && c <= 'F') {
      out |= static_cast<unsigned>(c - 'A' + 10);
    } else {
      return false;
    }
  }
  return true;
}

// Replaces \u escapes of unpaired UTF-16 surrogates (a lone "\ud800", which
// RapidJSON rejects with the whole document) by "\ufffd". Paired surrogates
// and everything else stay as they are.
std::string repair_surrogate_escapes(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (!in_string) {
      if (c == '"') in_string = true;
      out += c;
      continue;
    }
    if (c == '"') {
      in_string = false;
      out += c;
      continue;
    }
    if (c != '\\' || i + 1 >= text.size()) {
      out += c;
      continue;
    }
    unsigned unit = 0;
    if (text[i + 1] != 'u' || !hex4(text, i + 2, unit)) {
      out += c;
      out += text[i + 1];
      ++i;
      continue;
    }
    if (unit >= 0xD800 && unit <= 0xDBFF) {
      unsigned low = 0;
      if (i + 11 < text.size() && text[i + 6] == '\\' && text[i + 7] == 'u' &&
          hex4(text, i + 8, low) && low >= 0xDC00 && low <= 0xDFFF) {
        out.append(text.substr(i, 12));
        i += 11;
        continue;
      }
      out += "\\ufffd";
      i += 5;
      continue;
    }
    if (unit >= 0xDC00 && unit <= 0xDFFF) {
      out += "\\ufffd";
      i += 5;
      continue;
    }
    out.append(text.substr(i, 6));
    i += 5;
  }
  return out;
}

}  // namespace

Result<std::unique_ptr<rapidjson::Document>> parse_json(std::string_view text) {
  auto doc = std::make_unique<rapidjson::Document>();
  const int depth = nesting_depth(text, kMaxJsonDepth);
  if (depth > kMaxJsonDepth) {
    return make_error(ErrorCode::kParse, "JSON nested deeper than " +
                                             std::to_string(kMaxJsonDepth) +
                                             " levels; refused without parsing");
  }
  // The iterative parser keeps its state on the heap: no input can exhaust
  // the stack, whatever the depth check above lets through.
  constexpr unsigned kFlags = rapidjson::kParseIterativeFlag;
  doc->Parse<kFlags>(text.data(), text.size());
  if (doc->HasParseError() &&
      doc->GetParseError() == rapidjson::kParseErrorStringUnicodeSurrogateInvalid) {
    // One lone surrogate in one post must not reject every post of the page.
    const std::string repaired = repair_surrogate_escapes(text);
    doc = std::make_unique<rapidjson::Document>();
    doc->Parse<kFlags>(repaired.data(), repaired.size());
  }
  if (doc->HasParseError()) {
    std::string start(text.substr(0, 60));
    for (char& c : start) {
      if (static_cast<unsigned char>(c) < 0x20) c = ' ';
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
  // Beyond int64 the value saturates: casting 2^64-1 or 1e300 to int64 is
  // wrong (-1) or undefined; a saturated value is plainly absurd, and the
  // page guard turns absurd counts into "unknown".
  if (v->IsUint64()) return std::numeric_limits<int64_t>::max();
  if (v->IsDouble()) {
    const double d = v->GetDouble();
    if (!std::isfinite(d) || std::floor(d) != d) return std::nullopt;
    if (d >= 9.2e18) return std::numeric_limits<int64_t>::max();
    if (d <= -9.2e18) return std::numeric_limits<int64_t>::min();
    return static_cast<int64_t>(d);
  }
  return std::nullopt;
}

std::optional<int64_t> json_count(const JsonValue& obj, std::string_view name) {
  const JsonValue* v = json_member(obj, name);
  if (v == nullptr) return std::nullopt;
  if (v->IsString()) {
    // Some APIs (YouTube statistics) send counts as decimal strings; a string
    // of 19 or more digits saturates instead of wrapping into a negative.
    return parse_count(std::string_view(v->GetString(), v->GetStringLength()));
  }
  return json_int(obj, name);
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
  JsonWriter w;
  w.value(s);
  return w.str();
}

struct JsonWriter::Impl {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer{buffer};
  std::string text;  // cached copy for str()
};

JsonWriter::JsonWriter() : impl_(std::make_unique<Impl>()) {}
JsonWriter::~JsonWriter() = default;
JsonWriter::JsonWriter(JsonWriter&&) noexcept = default;
JsonWriter& JsonWriter::operator=(JsonWriter&&) noexcept = default;

JsonWriter& JsonWriter::begin_object() {
  impl_->writer.StartObject();
  return *this;
}
JsonWriter& JsonWriter::end_object() {
  impl_->writer.EndObject();
  return *this;
}
JsonWriter& JsonWriter::begin_array() {
  impl_->writer.StartArray();
  return *this;
}
JsonWriter& JsonWriter::end_array() {
  impl_->writer.EndArray();
  return *this;
}
JsonWriter& JsonWriter::key(std::string_view k) {
  std::string text(k);
  repair_utf8(text);
  impl_->writer.Key(text.data(), static_cast<rapidjson::SizeType>(text.size()), true);
  return *this;
}
JsonWriter& JsonWriter::value(std::string_view s) {
  // Output is always valid UTF-8: whatever came in (a platform's text, a
  // Windows-1252 answers file) is repaired before it is written.
  std::string text(s);
  repair_utf8(text);
  impl_->writer.String(text.data(), static_cast<rapidjson::SizeType>(text.size()), true);
  return *this;
}
JsonWriter& JsonWriter::value(int64_t v) {
  impl_->writer.Int64(v);
  return *this;
}
JsonWriter& JsonWriter::value(double v) {
  // Shortest representation that reads back to the same double (Grisu2);
  // NaN and infinities have no JSON form and are written as null.
  if (std::isfinite(v)) {
    impl_->writer.Double(v);
  } else {
    impl_->writer.Null();
  }
  return *this;
}
JsonWriter& JsonWriter::value(bool v) {
  impl_->writer.Bool(v);
  return *this;
}
JsonWriter& JsonWriter::null() {
  impl_->writer.Null();
  return *this;
}
JsonWriter& JsonWriter::raw(std::string_view json) {
  impl_->writer.RawValue(json.data(), json.size(), rapidjson::kObjectType);
  return *this;
}
const std::string& JsonWriter::str() const {
  impl_->text.assign(impl_->buffer.GetString(), impl_->buffer.GetSize());
  return impl_->text;
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
