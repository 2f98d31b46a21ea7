#pragma once
// Test helpers: a bit writer that builds TC strings field by field (for hostile and edge-case
// inputs), and small set utilities.

#include <cstdint>
#include <string>
#include <vector>

namespace hashgate::tcf::test {

/// Appends big-endian bit fields and renders them as base64url, padded with zero bits.
class BitWriter {
 public:
  /// Appends the low `bits` bits of `value`, most significant first.
  BitWriter& put(std::uint64_t value, unsigned bits) {
    for (unsigned i = bits; i-- > 0;) m_bits.push_back(((value >> i) & 1U) != 0);
    return *this;
  }
  /// Appends a bitfield of `n` bits where id i (1-based) is set when listed in `ids`.
  BitWriter& field(unsigned n, const std::vector<int>& ids) {
    for (unsigned i = 1; i <= n; ++i) {
      bool set = false;
      for (int id : ids) set |= id == static_cast<int>(i);
      m_bits.push_back(set);
    }
    return *this;
  }
  /// The bits so far as base64url, padded to a multiple of 24 bits like the IAB encoder.
  std::string str() const {
    static const char* k_alphabet =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    std::vector<bool> bits = m_bits;
    while (bits.size() % 24 != 0) bits.push_back(false);
    std::string out;
    for (std::size_t i = 0; i < bits.size(); i += 6) {
      int v = 0;
      for (std::size_t j = 0; j < 6; ++j) v = (v << 1) | (bits[i + j] ? 1 : 0);
      out += k_alphabet[v];
    }
    return out;
  }
  std::size_t size() const { return m_bits.size(); }

 private:
  std::vector<bool> m_bits;
};

/// Writes the fixed part of a core segment (everything before the vendor consent section).
inline BitWriter core_header(int policy_version = 4, std::uint64_t created_ds = 17000000000ULL,
                             const std::vector<int>& purposes_consent = {1, 2},
                             const std::vector<int>& purposes_li = {2}) {
  BitWriter w;
  w.put(2, 6)               // version
      .put(created_ds, 36)  // created
      .put(created_ds, 36)  // last_updated
      .put(10, 12)          // cmp_id
      .put(3, 12)           // cmp_version
      .put(1, 6)            // consent_screen
      .put(4, 6)
      .put(13, 6)    // consent_language "EN"
      .put(100, 12)  // vendor_list_version
      .put(static_cast<std::uint64_t>(policy_version), 6)
      .put(0, 1)      // is_service_specific
      .put(0, 1)      // use_non_standard_texts
      .field(12, {})  // special_feature_optins
      .field(24, purposes_consent)
      .field(24, purposes_li)
      .put(0, 1)  // purpose_one_treatment
      .put(3, 6)
      .put(4, 6);  // publisher_cc "DE"
  return w;
}

}  // namespace hashgate::tcf::test
