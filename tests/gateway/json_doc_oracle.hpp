// Differential check of api::JsonDoc against nlohmann::json (the reference), shared by
// json_doc_test.cpp and the fuzz_json target. Returns an empty string when both agree on `text`,
// else what differed (never the text itself).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "gateway/api/json_doc.hpp"

namespace hashgate::gw::test {

/// Compares every value of `ours` with `ref`: kind, dump, size, and per key find().
inline std::string compare_json(hashgate::gw::api::JsonDoc::Value ours, const nlohmann::json& ref) {
  using Kind = hashgate::gw::api::JsonDoc::Kind;
  std::string a;
  ours.dump(a);
  if (a != ref.dump()) return "dump differs";
  if (ours.is_object() != ref.is_object() || ours.is_array() != ref.is_array() ||
      ours.is_string() != ref.is_string() || ours.is_boolean() != ref.is_boolean() ||
      ours.is_integer() != ref.is_number_integer() ||
      ours.is_unsigned() != ref.is_number_unsigned() ||
      (ours.kind() == Kind::floating) != ref.is_number_float() ||
      (ours.kind() == Kind::null) != ref.is_null())
    return "kind differs";
  if (ours.is_integer() &&
      (ours.as_int64() != ref.get<std::int64_t>() || ours.as_uint64() != ref.get<std::uint64_t>()))
    return "integer value differs";
  if (ours.is_string() && ours.str() != ref.get_ref<const std::string&>()) return "string differs";
  if (ours.is_object() || ours.is_array()) {
    if (ours.size() != ref.size()) return "size differs";
    std::size_t depth = 0;
    auto depth_of = [](const nlohmann::json& v, auto& self) -> std::size_t {
      if (!v.is_structured()) return 0;
      std::size_t d = 0;
      for (const auto& x : v) d = std::max(d, self(x, self));
      return d + 1;
    };
    depth = depth_of(ref, depth_of);
    if (ours.depth() != depth) return "depth differs";
  }
  if (ours.is_array()) {
    std::string why;
    ours.elements([&](std::size_t i, hashgate::gw::api::JsonDoc::Value v) {
      if (why.empty()) why = compare_json(v, ref[i]);
    });
    return why;
  }
  if (ours.is_object()) {
    auto it = ref.begin();
    std::string why;
    bool order_ok = true;
    ours.members([&](std::string_view k, hashgate::gw::api::JsonDoc::Value v) {
      if (it == ref.end() || it.key() != k) {
        order_ok = false;
        return false;
      }
      why = compare_json(v, it.value());
      auto f = ours.find(k);
      std::string fd, vd;
      if (!f.valid()) return why = "find() misses a key", false;
      f.dump(fd);
      v.dump(vd);
      if (fd != vd) return why = "find() differs from iteration", false;
      ++it;
      return why.empty();
    });
    if (!order_ok) return "member order differs";
    if (!why.empty()) return why;
    if (ours.find("\x01no such key\x02").valid() && !ref.contains("\x01no such key\x02"))
      return "find() invents a key";
  }
  return {};
}

/// Parses `text` with both; empty when they agree on validity and, if valid, on every value.
/// One deliberate difference: nlohmann stops reading at a NUL byte outside a string (so
/// "{}\0junk" passes), JsonDoc rejects any byte after the value. For such texts JsonDoc must
/// reject, and must agree with nlohmann on the text before the NUL.
inline std::string json_differs(std::string_view text) {
  hashgate::gw::api::JsonDoc doc;
  const bool ours = doc.parse(text, 10000);
  if (const auto nul = text.find('\0'); nul != std::string_view::npos) {
    hashgate::gw::api::JsonDoc prefix_doc;
    const bool in_string_or_bad = !prefix_doc.parse(text.substr(0, nul), 10000);
    if (!in_string_or_bad) return ours ? "accepted bytes after a NUL" : std::string();
    // A NUL inside a string or after invalid text: both reject.
    nlohmann::json ref = nlohmann::json::parse(text.begin(), text.end(), nullptr, false);
    if (ours || !ref.is_discarded()) return "a text with a NUL byte is accepted";
    return {};
  }
  nlohmann::json ref = nlohmann::json::parse(text.begin(), text.end(), nullptr, false);
  const bool theirs = !ref.is_discarded();
  if (ours != theirs)
    return ours ? "accepted what nlohmann rejects" : "rejected what nlohmann accepts";
  if (!ours) return {};
  return compare_json(doc.root(), ref);
}

}  // namespace hashgate::gw::test
