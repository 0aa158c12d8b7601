// A small tagged value for tables of results: nothing (unknown), text, a
// whole number or a real number. Metrics, survey results and CLI tables
// share it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>

namespace muni {

using Value = std::variant<std::monostate, std::string, int64_t, double>;

inline Value value_of(const std::optional<double>& v) { return v ? Value(*v) : Value(); }
inline Value value_of(const std::optional<int64_t>& v) { return v ? Value(*v) : Value(); }
inline bool is_null(const Value& v) { return std::holds_alternative<std::monostate>(v); }
// The number in a value, if it holds one.
inline std::optional<double> number_of(const Value& v) {
  if (const auto* i = std::get_if<int64_t>(&v)) return static_cast<double>(*i);
  if (const auto* d = std::get_if<double>(&v)) return *d;
  return std::nullopt;
}

}  // namespace muni
