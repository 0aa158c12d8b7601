// Errors as values. Every fallible function in muniscope returns a Result<T>
// or a Status; exceptions thrown by third-party libraries are caught where the
// library is called and turned into an Error there.
//
// Callers branch on Error::code; people read Error::message, which says what
// was being done and with what ("mastodon: GET https://...: HTTP 502").
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace muni {

enum class ErrorCode {
  kInvalidArgument,  // caller passed something malformed (a bad date, a bad flag)
  kConfig,           // configuration file invalid
  kNotFound,         // the thing asked for does not exist
  kParse,            // input text could not be understood (JSON, CSV, HTML)
  kStorage,          // SQLite failed
  kIo,               // file system or socket failed
  kUnsupported,      // no connector or feature for this yet
  kInternal,         // a broken invariant; a bug in muniscope
};

const char* error_code_name(ErrorCode code);

struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;

  // "what: message" prefixing keeps context while an error travels up.
  Error with_context(const std::string& what) const { return Error{code, what + ": " + message}; }
};

inline Error make_error(ErrorCode code, std::string message) {
  return Error{code, std::move(message)};
}

// Result<T> holds either a T or an Error. Mirrors the parts of std::expected
// (C++23) that muniscope uses, so a later move is a rename.
template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT: implicit by design
  Result(Error error) : v_(std::move(error)) {}  // NOLINT: implicit by design

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  // REQUIRES: ok()
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  // On a temporary Result the value is moved out, by value: a reference into
  // the temporary would dangle in `for (auto& x : *load())`.
  T value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  // REQUIRES: !ok()
  const Error& error() const { return std::get<1>(v_); }

  T value_or(T fallback) const& { return ok() ? value() : std::move(fallback); }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT: implicit by design

  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const { return error_; }

 private:
  Error error_;
  bool ok_ = true;
};

using Status = Result<void>;

inline Status ok_status() { return Status(); }

}  // namespace muni

// MUNI_TRY(auto x, expr): evaluates expr (a Result); on error returns the
// error from the enclosing function, otherwise binds the value.
#define MUNI_CONCAT_INNER(a, b) a##b
#define MUNI_CONCAT(a, b) MUNI_CONCAT_INNER(a, b)
#define MUNI_TRY(decl, expr)                                                                   \
  auto MUNI_CONCAT(muni_try_, __LINE__) = (expr);                                              \
  if (!MUNI_CONCAT(muni_try_, __LINE__).ok()) return MUNI_CONCAT(muni_try_, __LINE__).error(); \
  decl = std::move(MUNI_CONCAT(muni_try_, __LINE__)).value()

// MUNI_TRY_STATUS(expr): evaluates a Status; returns its error if any.
#define MUNI_TRY_STATUS(expr)                                    \
  do {                                                           \
    auto muni_try_status_ = (expr);                              \
    if (!muni_try_status_.ok()) return muni_try_status_.error(); \
  } while (0)
