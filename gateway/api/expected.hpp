#pragma once
// A minimal expected<T, E> for the gateway's request steps (std::expected is C++23). Like
// hashgate::Result, but the error is any type: a step of a route returns a value or the reason
// it stopped (e.g. a Refusal that carries its HTTP status).

#include <cassert>
#include <utility>
#include <variant>

namespace hashgate::gw::api {

/// Wraps an error value so that Expected<T, E> can be built from it even when T and E convert
/// into each other: `return Unexpected{Refusal{...}};`.
template <typename E>
struct Unexpected {
  E error;
};
template <typename E>
Unexpected(E) -> Unexpected<E>;

/// Either a value of type T or an error of type E. Check ok() before value() or error().
template <typename T, typename E>
class [[nodiscard]] Expected {
 public:
  Expected(T value) : m_v(std::in_place_index<0>, std::move(value)) {}            // NOLINT
  Expected(Unexpected<E> e) : m_v(std::in_place_index<1>, std::move(e.error)) {}  // NOLINT

  bool ok() const noexcept { return m_v.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }
  /// The value; only valid when ok().
  T& value() & { return std::get<0>(m_v); }
  const T& value() const& { return std::get<0>(m_v); }
  T&& value() && { return std::get<0>(std::move(m_v)); }
  T& operator*() & { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  /// The error; only valid when !ok().
  E& error() & { return std::get<1>(m_v); }
  const E& error() const& { return std::get<1>(m_v); }
  E&& error() && { return std::get<1>(std::move(m_v)); }

 private:
  std::variant<T, E> m_v;
};

}  // namespace hashgate::gw::api
