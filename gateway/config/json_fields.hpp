// Reading typed values out of the JSON configuration, shared by the config loader and the
// destinations' parser (gateway/deliver): every failure is a ConfigError that names the key
// ("config: tenants[0].x: why"), never the value.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "gateway/config/config.hpp"  // ConfigError

namespace hashgate::gw::config::fields {

using nlohmann::json;

[[noreturn]] inline void fail(const std::string& key, const std::string& why) {
  throw ConfigError("config: " + key + ": " + why);
}

/// `a.b`, or `b` at the top level.
inline std::string join(const std::string& a, const char* b) {
  return a.empty() ? std::string(b) : a + "." + b;
}

/// Fails unless `obj` is an object whose keys are all in `keys`.
inline void only_keys(const json& obj, const std::string& where,
                      std::initializer_list<const char*> keys) {
  if (!obj.is_object()) fail(where.empty() ? "(top level)" : where, "must be an object");
  const std::set<std::string> allowed(keys.begin(), keys.end());
  for (const auto& item : obj.items()) {
    if (!allowed.count(item.key())) fail(join(where, item.key().c_str()), "unknown key");
  }
}

/// The integer `obj[key]` within [lo, hi]; `def` when absent.
inline std::int64_t get_int(const json& obj, const std::string& where, const char* key,
                            std::int64_t def, std::int64_t lo, std::int64_t hi) {
  if (!obj.contains(key)) return def;
  const auto& v = obj.at(key);
  if (!v.is_number_integer()) fail(join(where, key), "must be an integer");
  const auto n = v.get<std::int64_t>();
  if (n < lo || n > hi)
    fail(join(where, key), "must be between " + std::to_string(lo) + " and " + std::to_string(hi));
  return n;
}

}  // namespace hashgate::gw::config::fields
