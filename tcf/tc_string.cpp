// IAB TCF v2 TC string decoder. Field order and widths follow the IAB "Transparency and Consent
// String and Global Vendor List Format" specification (v2.2/v2.3); see docs/tcf.md.

#include "tcf/tc_string.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cstdio>
#include <map>
#include <utility>

namespace hashgate::tcf {

// ---------------------------------------------------------------- IdSet

bool IdSet::contains(int id) const noexcept {
  if (id < 0) return false;
  const auto word = static_cast<std::size_t>(id) / 64;
  if (word >= m_words.size()) return false;
  return (m_words[word] >> (static_cast<unsigned>(id) % 64)) & 1U;
}

void IdSet::insert(int id) {
  if (id < 1 || id > k_tcf_max_vendor_id) return;
  const auto word = static_cast<std::size_t>(id) / 64;
  if (m_words.size() <= word) m_words.resize(word + 1, 0);
  m_words[word] |= std::uint64_t{1} << (static_cast<unsigned>(id) % 64);
}

void IdSet::insert_range(int first, int last) {
  if (first < 1 || last < first || last > k_tcf_max_vendor_id) return;
  const auto last_word = static_cast<std::size_t>(last) / 64;
  if (m_words.size() <= last_word) m_words.resize(last_word + 1, 0);
  auto lo = static_cast<std::size_t>(first);
  const auto hi = static_cast<std::size_t>(last);
  while (lo <= hi) {
    const std::size_t word = lo / 64;
    const unsigned bit = lo % 64;
    const std::size_t span = std::min<std::size_t>(64 - bit, hi - lo + 1);
    const std::uint64_t mask =
        span == 64 ? ~std::uint64_t{0} : ((std::uint64_t{1} << span) - 1) << bit;
    m_words[word] |= mask;
    lo += span;
  }
}

std::vector<int> IdSet::to_vector() const {
  std::vector<int> out;
  for (std::size_t w = 0; w < m_words.size(); ++w) {
    std::uint64_t bits = m_words[w];
    while (bits != 0) {
      const int b = std::countr_zero(bits);
      out.push_back(static_cast<int>(w * 64) + b);
      bits &= bits - 1;
    }
  }
  return out;
}

bool IdSet::empty() const noexcept {
  return std::all_of(m_words.begin(), m_words.end(), [](std::uint64_t w) { return w == 0; });
}

// ---------------------------------------------------------------- bits

namespace {

/// Maps one base64url (or standard base64) character to its 6-bit value, or -1.
int base64_value(char c) noexcept {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-' || c == '+') return 62;
  if (c == '_' || c == '/') return 63;
  return -1;
}

/// A segment's bits, MSB first, read with bounds checks.
class BitReader {
 public:
  /// Decodes `segment`; returns false for a character outside the alphabet or misplaced '='.
  bool load(std::string_view segment) {
    while (!segment.empty() && segment.back() == '=') segment.remove_suffix(1);
    if (segment.empty()) return false;
    m_bytes.assign((segment.size() * 6 + 7) / 8, 0);
    std::uint32_t acc = 0;
    unsigned pending = 0;
    std::size_t out = 0;
    for (char c : segment) {
      const int v = base64_value(c);
      if (v < 0) return false;
      acc = (acc << 6) | static_cast<std::uint32_t>(v);
      pending += 6;
      if (pending >= 8) {
        pending -= 8;
        m_bytes[out++] = static_cast<std::uint8_t>(acc >> pending);
      }
    }
    if (pending > 0) m_bytes[out] = static_cast<std::uint8_t>(acc << (8 - pending));
    const std::size_t pos = segment.size() * 6;
    m_size = pos;
    m_pos = 0;
    return true;
  }

  /// Reads `n` (<= 40) bits as an unsigned integer; false when the segment is too short.
  bool read(unsigned n, std::uint64_t& out) {
    if (m_size - m_pos < n) return false;
    std::uint64_t v = 0;
    for (unsigned i = 0; i < n; ++i, ++m_pos) {
      v = (v << 1) | ((m_bytes[m_pos / 8] >> (7 - m_pos % 8)) & 1U);
    }
    out = v;
    return true;
  }

  /// Bits left to read.
  std::size_t remaining() const noexcept { return m_size - m_pos; }

  /// Reads `n` bits (the caller checked remaining()) into `out`: bit i set means id i+1.
  void read_bitfield(std::size_t n, IdSet& out) {
    for (std::size_t i = 0; i < n; ++i, ++m_pos) {
      if ((m_bytes[m_pos / 8] >> (7 - m_pos % 8)) & 1U) out.insert(static_cast<int>(i) + 1);
    }
  }

 private:
  std::vector<std::uint8_t> m_bytes;
  std::size_t m_size = 0;
  std::size_t m_pos = 0;
};

/// Decoding state: the reader plus the first error (a reason that names the field).
struct Decoder {
  BitReader bits;
  std::string error;

  bool fail(std::string_view what, std::string_view field) {
    if (error.empty()) {
      error.assign(what);
      error += ": ";
      error += field;
    }
    return false;
  }

  bool uint(unsigned n, std::string_view field, std::uint64_t& out) {
    if (!bits.read(n, out)) return fail("truncated", field);
    return true;
  }

  bool integer(unsigned n, std::string_view field, int& out) {
    std::uint64_t v = 0;
    if (!uint(n, field, v)) return false;
    out = static_cast<int>(v);
    return true;
  }

  bool boolean(std::string_view field, bool& out) {
    std::uint64_t v = 0;
    if (!uint(1, field, v)) return false;
    out = v != 0;
    return true;
  }

  /// A fixed bitfield of `n` bits where bit i (from 0) means id i+1.
  bool bitfield(unsigned n, std::string_view field, IdSet& out) {
    if (bits.remaining() < n) return fail("truncated", field);
    bits.read_bitfield(n, out);
    return true;
  }

  /// Two letters, 6 bits each, 0 = 'A' .. 25 = 'Z'.
  bool letters(std::string_view field, std::string& out) {
    std::uint64_t a = 0;
    std::uint64_t b = 0;
    if (!uint(6, field, a) || !uint(6, field, b)) return false;
    if (a > 25 || b > 25) return fail("bad letter", field);
    out.clear();
    out += static_cast<char>('A' + a);
    out += static_cast<char>('A' + b);
    return true;
  }

  /// One range entry list (NumEntries + entries); ids must be 1..max_id with start <= end.
  bool ranges(std::string_view field, int max_id, IdSet& out) {
    int entries = 0;
    if (!integer(12, field, entries)) return false;
    for (int i = 0; i < entries; ++i) {
      bool is_range = false;
      int first = 0;
      int last = 0;
      if (!boolean(field, is_range) || !integer(16, field, first)) return false;
      last = first;
      if (is_range && !integer(16, field, last)) return false;
      if (first == 0) return fail("vendor id 0", field);
      if (last < first) return fail("range end before start", field);
      if (last > max_id) return fail("range overflow", field);
      out.insert_range(first, last);
    }
    return true;
  }

  /// A vendor section: MaxVendorId(16), IsRangeEncoding(1), then a bitfield or range entries.
  bool vendor_section(std::string_view field, IdSet& out) {
    int max_id = 0;
    bool is_range = false;
    if (!integer(16, field, max_id) || !boolean(field, is_range)) return false;
    if (!is_range) return bitfield(static_cast<unsigned>(max_id), field, out);
    return ranges(field, max_id, out);
  }

  bool publisher_restrictions(std::vector<TcfPublisherRestriction>& out) {
    constexpr std::string_view field = "publisher_restrictions";
    int count = 0;
    if (!integer(12, field, count)) return false;
    std::map<std::pair<int, int>, IdSet> merged;
    for (int i = 0; i < count; ++i) {
      int purpose = 0;
      int type = 0;
      if (!integer(6, field, purpose) || !integer(2, field, type)) return false;
      if (purpose == 0) return fail("purpose id 0", field);
      if (type == 3) return fail("bad restriction type", field);
      if (!ranges(field, k_tcf_max_vendor_id, merged[{purpose, type}])) return false;
    }
    out.clear();
    for (auto& [key, vendors] : merged) {
      out.push_back(TcfPublisherRestriction{key.first, key.second, std::move(vendors)});
    }
    return true;
  }

  bool core(TcString& tc) {
    std::uint64_t v = 0;
    if (!uint(6, "version", v)) return false;
    if (v != 2) return fail("unsupported version", "version");
    tc.version = 2;
    std::uint64_t created = 0;
    std::uint64_t updated = 0;
    if (!uint(36, "created", created) || !uint(36, "last_updated", updated)) return false;
    tc.created_ds = static_cast<std::int64_t>(created);
    tc.last_updated_ds = static_cast<std::int64_t>(updated);
    return integer(12, "cmp_id", tc.cmp_id) && integer(12, "cmp_version", tc.cmp_version) &&
           integer(6, "consent_screen", tc.consent_screen) &&
           letters("consent_language", tc.consent_language) &&
           integer(12, "vendor_list_version", tc.vendor_list_version) &&
           integer(6, "policy_version", tc.policy_version) &&
           boolean("is_service_specific", tc.is_service_specific) &&
           boolean("use_non_standard_texts", tc.use_non_standard_texts) &&
           bitfield(12, "special_feature_optins", tc.special_feature_optins) &&
           bitfield(24, "purposes_consent", tc.purposes_consent) &&
           bitfield(24, "purposes_li", tc.purposes_li) &&
           boolean("purpose_one_treatment", tc.purpose_one_treatment) &&
           letters("publisher_cc", tc.publisher_cc) &&
           vendor_section("vendor_consent", tc.vendor_consent) &&
           vendor_section("vendor_li", tc.vendor_li) &&
           publisher_restrictions(tc.publisher_restrictions);
  }

  bool publisher_tc(TcfPublisherTc& p) {
    if (!bitfield(24, "publisher_tc.purposes_consent", p.purposes_consent) ||
        !bitfield(24, "publisher_tc.purposes_li", p.purposes_li) ||
        !integer(6, "publisher_tc.num_custom_purposes", p.num_custom_purposes)) {
      return false;
    }
    const auto n = static_cast<unsigned>(p.num_custom_purposes);
    return bitfield(n, "publisher_tc.custom_purposes_consent", p.custom_purposes_consent) &&
           bitfield(n, "publisher_tc.custom_purposes_li", p.custom_purposes_li);
  }
};

/// Splits on '.', keeping empty pieces so that they can be rejected.
std::vector<std::string_view> split_segments(std::string_view text) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = text.find('.', start);
    if (dot == std::string_view::npos) {
      out.push_back(text.substr(start));
      break;
    }
    out.push_back(text.substr(start, dot - start));
    start = dot + 1;
  }
  return out;
}

TcfDecodeResult failure(std::string reason) {
  TcfDecodeResult r;
  r.error = std::move(reason);
  return r;
}

}  // namespace

TcfDecodeResult decode_tc_string(std::string_view text) {
  if (text.empty()) return failure("empty TC string");
  if (text.size() > k_tcf_max_string_length) return failure("TC string too long");
  const auto segments = split_segments(text);
  if (segments.size() > 4) return failure("too many segments");
  TcString tc;
  bool seen_publisher = false;
  for (std::size_t i = 0; i < segments.size(); ++i) {
    Decoder d;
    if (segments[i].empty()) return failure("empty segment");
    if (!d.bits.load(segments[i])) return failure("bad base64url");
    if (i == 0) {
      if (!d.core(tc)) return failure(d.error);
      continue;
    }
    std::uint64_t type = 0;
    if (!d.uint(3, "segment_type", type)) return failure(d.error);
    switch (type) {
      case 1:
        if (tc.has_disclosed_vendors) return failure("duplicate segment: disclosed_vendors");
        tc.has_disclosed_vendors = true;
        if (!d.vendor_section("disclosed_vendors", tc.disclosed_vendors)) return failure(d.error);
        break;
      case 2:  // legacy Allowed Vendors (TCF 2.0/2.1 OOB): validated, never used for decisions
        if (tc.has_allowed_vendors) return failure("duplicate segment: allowed_vendors");
        tc.has_allowed_vendors = true;
        if (!d.vendor_section("allowed_vendors", tc.allowed_vendors)) return failure(d.error);
        break;
      case 3: {
        if (seen_publisher) return failure("duplicate segment: publisher_tc");
        seen_publisher = true;
        TcfPublisherTc p;
        if (!d.publisher_tc(p)) return failure(d.error);
        tc.publisher_tc = std::move(p);
        break;
      }
      default:
        return failure("unknown segment type: segment_type");
    }
  }
  TcfDecodeResult r;
  r.tc = std::move(tc);
  return r;
}

unsigned publisher_restriction_types(const TcString& tc, int vendor_id, int purpose) {
  unsigned mask = 0;
  for (const auto& r : tc.publisher_restrictions) {
    if (r.purpose == purpose && r.vendors.contains(vendor_id)) mask |= 1U << r.type;
  }
  return mask;
}

std::string format_iso8601_utc(std::int64_t unix_seconds) {
  // Days to civil date (H. Hinnant's algorithm), valid for the whole 36-bit decisecond range.
  std::int64_t days = unix_seconds / 86400;
  std::int64_t secs = unix_seconds % 86400;
  if (secs < 0) {
    secs += 86400;
    days -= 1;
  }
  const std::int64_t z = days + 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const std::int64_t doe = z - era * 146097;
  const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const std::int64_t mp = (5 * doy + 2) / 153;
  const std::int64_t day = doy - (153 * mp + 2) / 5 + 1;
  const std::int64_t month = mp < 10 ? mp + 3 : mp - 9;
  const std::int64_t year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  std::array<char, 64> buf{};
  std::snprintf(buf.data(), buf.size(), "%04lld-%02lld-%02lldT%02lld:%02lld:%02lldZ",
                static_cast<long long>(year), static_cast<long long>(month),
                static_cast<long long>(day), static_cast<long long>(secs / 3600),
                static_cast<long long>(secs % 3600 / 60), static_cast<long long>(secs % 60));
  return std::string(buf.data());
}

std::string format_tc_time(std::int64_t deciseconds) {
  std::string out = format_iso8601_utc(deciseconds / 10);
  const auto tenth = deciseconds % 10;
  if (tenth != 0) {
    out.pop_back();  // 'Z'
    out += '.';
    out += static_cast<char>('0' + tenth);
    out += "00Z";
  }
  return out;
}

void append_json_int_array(std::string& out, const std::vector<int>& ids) {
  out += '[';
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (i) out += ',';
    out += std::to_string(ids[i]);
  }
  out += ']';
}

namespace {

void key(std::string& out, std::string_view name) {
  if (out.size() > 1) out += ',';
  out += '"';
  out += name;
  out += "\":";
}

void kv(std::string& out, std::string_view name, long long v) {
  key(out, name);
  out += std::to_string(v);
}

void kv(std::string& out, std::string_view name, bool v) {
  key(out, name);
  out += v ? "true" : "false";
}

// Only used for values the decoder produced itself ([A-Z]{2}, ISO dates): no escaping needed.
void kv(std::string& out, std::string_view name, std::string_view v) {
  key(out, name);
  out += '"';
  out += v;
  out += '"';
}

void kv(std::string& out, std::string_view name, const IdSet& v) {
  key(out, name);
  append_json_int_array(out, v.to_vector());
}

}  // namespace

std::string tc_string_to_json(const TcString& tc) {
  std::string out = "{";
  kv(out, "version", static_cast<long long>(tc.version));
  kv(out, "created", format_tc_time(tc.created_ds));
  kv(out, "last_updated", format_tc_time(tc.last_updated_ds));
  kv(out, "cmp_id", static_cast<long long>(tc.cmp_id));
  kv(out, "cmp_version", static_cast<long long>(tc.cmp_version));
  kv(out, "consent_screen", static_cast<long long>(tc.consent_screen));
  kv(out, "consent_language", tc.consent_language);
  kv(out, "vendor_list_version", static_cast<long long>(tc.vendor_list_version));
  kv(out, "policy_version", static_cast<long long>(tc.policy_version));
  kv(out, "is_service_specific", tc.is_service_specific);
  kv(out, "use_non_standard_texts", tc.use_non_standard_texts);
  kv(out, "purpose_one_treatment", tc.purpose_one_treatment);
  kv(out, "publisher_cc", tc.publisher_cc);
  kv(out, "special_feature_optins", tc.special_feature_optins);
  kv(out, "purposes_consent", tc.purposes_consent);
  kv(out, "purposes_li", tc.purposes_li);
  kv(out, "vendor_consent", tc.vendor_consent);
  kv(out, "vendor_li", tc.vendor_li);
  kv(out, "disclosed_vendors", tc.disclosed_vendors);
  key(out, "publisher_restrictions");
  out += '[';
  for (std::size_t i = 0; i < tc.publisher_restrictions.size(); ++i) {
    const auto& r = tc.publisher_restrictions[i];
    if (i) out += ',';
    out += "{\"purpose\":" + std::to_string(r.purpose) + ",\"type\":" + std::to_string(r.type) +
           ",\"vendors\":";
    append_json_int_array(out, r.vendors.to_vector());
    out += '}';
  }
  out += ']';
  kv(out, "created_unix", static_cast<long long>(tc.created_unix()));
  kv(out, "last_updated_unix", static_cast<long long>(tc.last_updated_unix()));
  kv(out, "has_disclosed_vendors", tc.has_disclosed_vendors);
  kv(out, "has_allowed_vendors", tc.has_allowed_vendors);
  key(out, "publisher_tc");
  if (!tc.publisher_tc) {
    out += "null";
  } else {
    const auto& p = *tc.publisher_tc;
    std::string sub = "{";
    kv(sub, "purposes_consent", p.purposes_consent);
    kv(sub, "purposes_li", p.purposes_li);
    kv(sub, "num_custom_purposes", static_cast<long long>(p.num_custom_purposes));
    kv(sub, "custom_purposes_consent", p.custom_purposes_consent);
    kv(sub, "custom_purposes_li", p.custom_purposes_li);
    sub += '}';
    out += sub;
  }
  out += '}';
  return out;
}

}  // namespace hashgate::tcf
