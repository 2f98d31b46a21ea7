#pragma once
// A minimal expected<T, Errc> for C++20 (std::expected is C++23). No exceptions are thrown.

#include <cassert>
#include <utility>
#include <variant>

#include "hashgate/error.hpp"

namespace hashgate {

/// Either a value of type T or an Errc. Check with ok() (or operator bool) before value().
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : m_v(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  Result(Errc error) : m_v(error) { assert(error != Errc::ok); }  // NOLINT

  bool ok() const noexcept { return m_v.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }
  /// The value; only valid when ok().
  T& value() & { return std::get<0>(m_v); }
  const T& value() const& { return std::get<0>(m_v); }
  T&& value() && { return std::get<0>(std::move(m_v)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  const T* operator->() const { return &value(); }
  /// The error; Errc::ok when ok().
  Errc error() const noexcept { return ok() ? Errc::ok : std::get<1>(m_v); }

 private:
  std::variant<T, Errc> m_v;
};

/// Propagates an error: `HG_TRY(auto x, f());` declares x from the value or returns the error.
#define HG_TRY_CONCAT_(a, b) a##b
#define HG_TRY_NAME_(l) HG_TRY_CONCAT_(hg_try_result_, l)
#define HG_TRY(decl, expr)                                            \
  auto HG_TRY_NAME_(__LINE__) = (expr);                               \
  if (!HG_TRY_NAME_(__LINE__)) return HG_TRY_NAME_(__LINE__).error(); \
  decl = std::move(HG_TRY_NAME_(__LINE__)).value()

}  // namespace hashgate
