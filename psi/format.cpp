#include "psi/format.hpp"

#include <sodium.h>

#include <algorithm>
#include <cstring>

#include "hashgate/hashgate.hpp"

namespace hashgate::psi {

namespace {

constexpr std::array<std::uint8_t, 8> k_psi_magic = {0x89, 'H', 'G', 'P', 'S', 'I', '\r', '\n'};
constexpr std::array<std::uint8_t, 8> k_state_magic = {0x89, 'H', 'G', 'P', 'S', 'T', '\r', '\n'};
constexpr std::size_t k_field_count = 11;

void put_le(std::vector<std::uint8_t>& out, std::uint64_t v, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

void put_bytes(std::vector<std::uint8_t>& out, std::span<const std::uint8_t> b) {
  const std::size_t at = out.size();
  out.resize(at + b.size());
  if (!b.empty()) std::memcpy(out.data() + at, b.data(), b.size());
}

// Bounds-checked little-endian cursor over a file's bytes.
class Cursor {
 public:
  explicit Cursor(std::span<const std::uint8_t> b) : m_b(b) {}
  std::size_t left() const noexcept { return m_b.size() - m_pos; }
  bool take(std::size_t n, std::span<const std::uint8_t>& out) noexcept {
    if (left() < n) return false;
    out = m_b.subspan(m_pos, n);
    m_pos += n;
    return true;
  }
  bool le(std::size_t n, std::uint64_t& v) noexcept {
    std::span<const std::uint8_t> s;
    if (!take(n, s)) return false;
    v = 0;
    for (std::size_t i = 0; i < n; ++i) v |= std::uint64_t{s[i]} << (8 * i);
    return true;
  }

 private:
  std::span<const std::uint8_t> m_b;
  std::size_t m_pos = 0;
};

bool kinds_ok(std::uint64_t kinds) noexcept { return kinds != 0 && (kinds & ~k_all_kinds) == 0; }

// The fields shared by both headers: magic, version, one byte (stage or reserved), kinds,
// 4 reserved bytes, list id.
FileError read_common(Cursor& c, const std::array<std::uint8_t, 8>& magic, std::uint8_t& byte9,
                      std::uint16_t& kinds, ListId& id) {
  std::span<const std::uint8_t> m;
  if (!c.take(magic.size(), m)) {
    // A file shorter than the magic: truncated if it is a prefix of it, else not ours at all.
    const std::size_t n = c.left();
    c.take(n, m);
    return {std::equal(m.begin(), m.end(), magic.begin()) ? FileErrc::truncated
                                                          : FileErrc::bad_magic};
  }
  if (!std::equal(m.begin(), m.end(), magic.begin())) return {FileErrc::bad_magic};
  std::uint64_t version = 0, b9 = 0, k = 0, reserved = 0;
  if (!c.le(1, version)) return {FileErrc::truncated};
  if (version != k_format_version) return {FileErrc::bad_version};
  if (!c.le(1, b9) || !c.le(2, k) || !c.le(4, reserved)) return {FileErrc::truncated};
  byte9 = static_cast<std::uint8_t>(b9);
  if (!kinds_ok(k)) return {FileErrc::bad_kinds};
  if (reserved != 0) return {FileErrc::bad_reserved};
  kinds = static_cast<std::uint16_t>(k);
  std::span<const std::uint8_t> lid;
  if (!c.take(id.size(), lid)) return {FileErrc::truncated};
  std::copy(lid.begin(), lid.end(), id.begin());
  return {};
}

FileError check_elements(std::span<const Element> elems, ElementCheck check, std::size_t threads) {
  if (check == ElementCheck::structure) {
    for (std::size_t i = 0; i < elems.size(); ++i) {
      if (sodium_is_zero(elems[i].data(), elems[i].size()) != 0) {
        return {FileErrc::identity_element, i};
      }
    }
    return {};
  }
  const std::size_t bad = find_invalid(elems, threads);
  if (bad == k_none) return {};
  const bool zero = sodium_is_zero(elems[bad].data(), elems[bad].size()) != 0;
  return {zero ? FileErrc::identity_element : FileErrc::invalid_element, bad};
}

// Reads a u32 length and that many bytes (at most `limit`) into `out`.
FileError read_string(Cursor& c, std::size_t limit, std::uint64_t index, std::string& out) {
  std::uint64_t n = 0;
  if (!c.le(4, n)) return {FileErrc::truncated, index};
  if (n > limit) return {FileErrc::bad_length, index};
  std::span<const std::uint8_t> s;
  if (!c.take(n, s)) return {FileErrc::truncated, index};
  out.assign(reinterpret_cast<const char*>(s.data()), s.size());
  return {};
}

// Links sorted by (element, row) without repeats; every element and every row linked.
FileError check_links(const State& s) {
  std::vector<bool> row_seen(s.row_ids.size(), false);
  std::uint64_t next_element = 0;  // the lowest element not yet seen
  for (std::size_t i = 0; i < s.links.size(); ++i) {
    const Link& l = s.links[i];
    if (l.element >= s.elements || l.row >= s.row_ids.size()) return {FileErrc::bad_link, i};
    if (i > 0) {
      const Link& p = s.links[i - 1];
      if (l.element < p.element || (l.element == p.element && l.row <= p.row)) {
        return {FileErrc::bad_link, i};
      }
    }
    if (l.element > next_element) return {FileErrc::bad_link, i};  // an element skipped
    if (l.element == next_element) ++next_element;
    row_seen[l.row] = true;
  }
  if (next_element != s.elements) return {FileErrc::bad_link, s.links.size()};
  for (std::size_t r = 0; r < row_seen.size(); ++r) {
    if (!row_seen[r]) return {FileErrc::bad_link, s.links.size()};
  }
  return {};
}

}  // namespace

ListId new_list_id() {
  init();
  ListId id;
  randombytes_buf(id.data(), id.size());
  return id;
}

std::uint16_t field_bit(Field f) noexcept {
  // Field's enumerators are numbered in the order of the wire codes (checked by the tests).
  return static_cast<std::uint16_t>(1u << static_cast<unsigned>(f));
}

std::string kind_names(std::uint16_t kinds) {
  std::string out;
  for (std::size_t i = 0; i < k_field_count; ++i) {
    if ((kinds & (1u << i)) == 0) continue;
    if (!out.empty()) out.push_back(',');
    out.append(field_name(static_cast<Field>(i)));
  }
  return out;
}

std::string_view file_error_name(FileErrc e) noexcept {
  switch (e) {
    case FileErrc::ok:
      return "ok";
    case FileErrc::truncated:
      return "truncated";
    case FileErrc::bad_magic:
      return "bad_magic";
    case FileErrc::bad_version:
      return "bad_version";
    case FileErrc::bad_stage:
      return "bad_stage";
    case FileErrc::bad_kinds:
      return "bad_kinds";
    case FileErrc::bad_reserved:
      return "bad_reserved";
    case FileErrc::bad_count:
      return "bad_count";
    case FileErrc::trailing_bytes:
      return "trailing_bytes";
    case FileErrc::invalid_element:
      return "invalid_element";
    case FileErrc::identity_element:
      return "identity_element";
    case FileErrc::bad_length:
      return "bad_length";
    case FileErrc::bad_link:
      return "bad_link";
  }
  return "unknown";
}

std::vector<std::uint8_t> encode_psi(const PsiList& list) {
  std::vector<std::uint8_t> out;
  out.reserve(k_psi_header_bytes + list.elements.size() * k_element_bytes);
  put_bytes(out, k_psi_magic);
  put_le(out, k_format_version, 1);
  put_le(out, static_cast<std::uint8_t>(list.stage), 1);
  put_le(out, list.kinds, 2);
  put_le(out, 0, 4);
  put_bytes(out, list.list_id);
  put_le(out, list.elements.size(), 8);
  for (const Element& e : list.elements) put_bytes(out, e);
  return out;
}

FileError decode_psi(std::span<const std::uint8_t> bytes, ElementCheck check, std::size_t threads,
                     PsiList& out) {
  Cursor c(bytes);
  std::uint8_t stage = 0;
  if (FileError e = read_common(c, k_psi_magic, stage, out.kinds, out.list_id); !e.ok()) return e;
  if (stage != static_cast<std::uint8_t>(Stage::blinded) &&
      stage != static_cast<std::uint8_t>(Stage::reblinded)) {
    return {FileErrc::bad_stage};
  }
  out.stage = static_cast<Stage>(stage);
  std::uint64_t count = 0;
  if (!c.le(8, count)) return {FileErrc::truncated};
  if (count == 0 || count > k_max_elements) return {FileErrc::bad_count};
  // Checked against the bytes present before anything is allocated.
  const std::uint64_t have = c.left() / k_element_bytes;
  if (have < count) return {FileErrc::truncated, have};
  if (c.left() != count * k_element_bytes) return {FileErrc::trailing_bytes};
  std::span<const std::uint8_t> body;
  c.take(count * k_element_bytes, body);
  out.elements.resize(count);
  std::memcpy(out.elements.data(), body.data(), body.size());
  return check_elements(out.elements, check, threads);
}

State::~State() {
  for (std::string& id : row_ids) secure_clear(id);
}

std::vector<std::uint8_t> encode_state(const State& s) {
  std::vector<std::uint8_t> out;
  put_bytes(out, k_state_magic);
  put_le(out, k_format_version, 1);
  put_le(out, 0, 1);
  put_le(out, s.kinds, 2);
  put_le(out, 0, 4);
  put_bytes(out, s.list_id);
  put_bytes(out, s.key_check);
  put_le(out, s.elements, 8);
  put_le(out, s.row_ids.size(), 8);
  auto put_string = [&](std::string_view v) {
    put_le(out, v.size(), 4);
    out.insert(out.end(), v.begin(), v.end());
  };
  put_string(s.id_column);
  for (const std::string& id : s.row_ids) put_string(id);
  put_le(out, s.links.size(), 8);
  for (const Link& l : s.links) {
    put_le(out, l.element, 4);
    put_le(out, l.row, 4);
  }
  return out;
}

FileError decode_state(std::span<const std::uint8_t> bytes, State& out) {
  Cursor c(bytes);
  std::uint8_t reserved = 0;
  if (FileError e = read_common(c, k_state_magic, reserved, out.kinds, out.list_id); !e.ok()) {
    return e;
  }
  if (reserved != 0) return {FileErrc::bad_reserved};
  std::span<const std::uint8_t> check;
  std::uint64_t elements = 0, rows = 0;
  if (!c.take(out.key_check.size(), check) || !c.le(8, elements) || !c.le(8, rows)) {
    return {FileErrc::truncated};
  }
  std::copy(check.begin(), check.end(), out.key_check.begin());
  if (elements == 0 || elements > k_max_elements) return {FileErrc::bad_count};
  out.elements = elements;
  // Every row takes at least its 4-byte length, and each is linked to an element.
  if (rows == 0 || rows > c.left() / 4 || rows > std::uint64_t{k_max_elements} * k_field_count) {
    return {rows == 0 ? FileErrc::bad_count : FileErrc::truncated};
  }
  if (FileError e = read_string(c, k_max_column_name_bytes, 0, out.id_column); !e.ok()) return e;
  out.row_ids.assign(rows, std::string());
  for (std::uint64_t r = 0; r < rows; ++r) {
    if (FileError e = read_string(c, k_max_id_bytes, r, out.row_ids[r]); !e.ok()) return e;
  }
  std::uint64_t links = 0;
  if (!c.le(8, links)) return {FileErrc::truncated};
  if (links < elements || links > 0xFFFFFFFFull) return {FileErrc::bad_count};
  if (c.left() / 8 < links) return {FileErrc::truncated};
  if (c.left() != links * 8) return {FileErrc::trailing_bytes};
  out.links.resize(links);
  for (Link& l : out.links) {
    std::uint64_t e = 0, r = 0;
    c.le(4, e);
    c.le(4, r);
    l = Link{static_cast<std::uint32_t>(e), static_cast<std::uint32_t>(r)};
  }
  return check_links(out);
}

}  // namespace hashgate::psi
