// Reading JSON request bodies: parse failures, the raw-PII scan, hashed id sets.
#include "gateway/api/body.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <map>

#include <hashgate/hashgate.hpp>
#include "gateway/policy/pii_guard.hpp"

namespace hashgate::gw::api {

namespace {

/// Digest size in bytes for each accepted ids key; 0 for any other key.
std::size_t id_digest_bytes(std::string_view key) {
  static const std::map<std::string, std::size_t, std::less<>> m{
      {"em", 32}, {"ph", 32},      {"external_id", 32}, {"fn", 32},      {"ln", 32},
      {"ct", 32}, {"st", 32},      {"zp", 32},          {"country", 32}, {"db", 32},
      {"ge", 32}, {"em_sha1", 20}, {"em_md5", 16},      {"ph_sha1", 20}};
  auto it = m.find(key);
  return it == m.end() ? 0 : it->second;
}

/// One step of the walk from the root of find_raw_pii to the value being looked at: a key of an
/// object (`key` set) or an index of an array. The JSON pointer is only built when something is
/// found, so a clean body costs no path strings.
struct PiiFrame {
  const PiiFrame* up;
  std::string_view key;
  std::size_t index;
  bool is_key = false;
};

std::string pii_pointer(const std::string& root, const PiiFrame* f) {
  if (!f) return root;
  return pii_pointer(root, f->up) + "/" + (f->is_key ? path_key(f->key) : std::to_string(f->index));
}

/// True when the value reached through `f` lies on one of the tenant's allow paths (they apply
/// below an event, never to keys, never to `ids`).
bool on_allow_path(const PiiScan& scan, const PiiFrame* f) {
  if (!scan.event || !scan.guard.has_allow_paths()) return false;
  std::array<policy::PathStep, 16> steps;
  std::size_t n = 0;
  for (; f; f = f->up) {
    if (n == steps.size()) return false;
    steps[n++] = policy::PathStep{f->key, f->index, f->is_key};
  }
  std::reverse(steps.begin(), steps.begin() + static_cast<std::ptrdiff_t>(n));
  return scan.guard.allowed({steps.data(), n});
}

bool pii_in_string(std::string_view s, bool ids_object, PiiScan& scan, const PiiFrame* f) {
  if (ids_object &&
      (policy::is_digest(s, 32) || policy::is_digest(s, 20) || policy::is_digest(s, 16)))
    return false;
  return scan.guard.find(s, scan.budget, !on_allow_path(scan, f)) != policy::PiiKind::none;
}

bool pii_in_integer(JsonDoc::Value v, PiiScan& scan, const PiiFrame* f) {
  char buf[24];
  const auto conv = v.is_unsigned() ? std::to_chars(buf, buf + sizeof buf, v.as_uint64())
                                    : std::to_chars(buf, buf + sizeof buf, v.as_int64());
  const std::string_view d(buf, static_cast<std::size_t>(conv.ptr - buf));
  return d.size() >= 10 && !on_allow_path(scan, f) &&
         scan.guard.find_in_integer(d, scan.budget) != policy::PiiKind::none;
}

bool find_raw_pii_at(JsonDoc::Value v, const std::string& root, const PiiFrame* f,
                     std::string& path, bool ids_object, PiiScan& scan) {
  bool found = false;
  switch (v.kind()) {
    case JsonDoc::Kind::string:
      found = pii_in_string(v.str(), ids_object, scan, f);
      break;
    case JsonDoc::Kind::integer:
    case JsonDoc::Kind::unsigned_integer:
      found = pii_in_integer(v, scan, f);
      break;
    case JsonDoc::Kind::array:
      v.elements([&](std::size_t i, JsonDoc::Value x) {
        if (found) return;
        const PiiFrame child{f, {}, i};
        found = find_raw_pii_at(x, root, &child, path, false, scan);
      });
      return found;
    case JsonDoc::Kind::object: {
      // The values of an object reached by the key "ids" are digests: those are not scanned.
      const bool ids = f && (f->is_key ? f->key == "ids" : scan.id_set_elements);
      return !v.members([&](std::string_view k, JsonDoc::Value x) {
        if (scan.guard.find(k, scan.budget) != policy::PiiKind::none) {
          path = pii_pointer(root, f) + "/<key>";
          return false;
        }
        const PiiFrame child{f, k, 0, true};
        return !find_raw_pii_at(x, root, &child, path, ids, scan);
      });
    }
    default:
      return false;
  }
  if (found) path = pii_pointer(root, f);
  return found;
}

}  // namespace

BodyWiper::~BodyWiper() { hashgate::secure_clear(body); }

std::optional<Refusal> parse_body(const std::string& body, std::size_t max_depth, JsonDoc& doc) {
  // A parsed body is well-formed UTF-8 and nests at most max_depth deep (JsonDoc checks both),
  // so the two whole-body scans below run only to name why a body failed.
  if (doc.parse(body, max_depth)) return std::nullopt;
  if (!hashgate::valid_utf8(body))
    return Refusal{400, "invalid_utf8", "the body is not well-formed UTF-8", {}};
  if (text_depth(body) > max_depth)
    return Refusal{400, "too_deep", "the JSON nesting is too deep", {}};
  return Refusal{400, "bad_json", "the body is not valid JSON", {}};
}

std::optional<Refusal> read_json_body(const Request& req, std::size_t max_depth, JsonDoc& doc) {
  if (!content_type_ok(req))
    return Refusal{415, "unsupported_media_type", "Content-Type must be application/json", {}};
  return parse_body(req.body, max_depth, doc);
}

std::size_t text_depth(std::string_view s) {
  std::size_t depth = 0, max_depth = 0;
  bool in_str = false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (in_str) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        in_str = false;
      continue;
    }
    if (c == '"')
      in_str = true;
    else if (c == '{' || c == '[')
      max_depth = std::max(max_depth, ++depth);
    else if ((c == '}' || c == ']') && depth > 0)
      --depth;
  }
  return max_depth;
}

std::string path_key(std::string_view k) {
  if (k.empty() || k.size() > 64) return "<key>";
  for (char c : k)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.'))
      return "<key>";
  if (policy::find_pii(k) != policy::PiiKind::none) return "<key>";
  return std::string(k);
}

bool find_raw_pii(JsonDoc::Value v, const std::string& at, std::string& path, PiiScan& scan) {
  return find_raw_pii_at(v, at, nullptr, path, false, scan);
}

Refusal raw_pii_refusal(std::string path) {
  return Refusal{422, "raw_pii", "a raw e-mail address or phone number was found", std::move(path)};
}

IdSet parse_ids(JsonDoc::Value ids, const std::string& at) {
  IdSet r;
  if (!ids.is_object()) {
    r.code = "invalid_ids";
    r.path = at;
    return r;
  }
  ids.members([&](std::string_view key, JsonDoc::Value v) {
    const std::size_t bytes = id_digest_bytes(key);
    if (!bytes) {
      r.code = "unknown_field";
      r.path = at + "/" + path_key(key);
      return false;
    }
    std::optional<std::string> canon;
    if (v.is_string()) canon = policy::canonical_digest(v.str(), bytes);
    if (!canon) {
      r.code = "invalid_hash";
      r.path = at + "/" + std::string(key);
      return false;
    }
    r.ids.emplace_back(std::string(key), std::move(*canon));
    return true;
  });
  return r;
}

std::optional<IdSet> read_id_sets(JsonDoc::Value sets, bool indexed, std::size_t limit,
                                  std::vector<std::string>& out) {
  std::optional<IdSet> bad;
  auto take = [&](std::size_t i, JsonDoc::Value set) {
    if (bad || i >= limit) return;
    auto r = parse_ids(set, indexed ? "/ids/" + std::to_string(i) : "/ids");
    if (!r.code.empty()) return bad.emplace(std::move(r)), void();
    for (auto& [k, v] : r.ids) out.push_back(v);
  };
  if (sets.is_array())
    sets.elements(take);
  else
    take(0, sets);
  return bad;
}

}  // namespace hashgate::gw::api
