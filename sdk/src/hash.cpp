// hash() and hash_batch(): normalize, digest, encode; already-hashed input is re-encoded.
#include "internal.hpp"

namespace hashgate {
namespace detail {

bool algo_allowed(Field f, Algo a, const Profile& p) noexcept {
  if (a == Algo::sha256 || a == Algo::hmac_sha256) return true;
  if (p.id != ProfileId::liveramp) return false;
  if (f == Field::em) return true;             // LiveRamp: sha256, sha1 or md5 e-mails
  if (f == Field::ph) return a == Algo::sha1;  // LiveRamp: sha1 (or sha256) phones
  return false;
}

Errc hash_into(Field f, std::string_view value, const Profile& p, const Options& opt,
               std::string& scratch, std::string& out) {
  out.clear();
  if (!algo_allowed(f, opt.algo, p)) return Errc::unsupported_algo;
  if (opt.algo == Algo::hmac_sha256 && opt.key.empty()) return Errc::missing_key;
  const Encoding enc = opt.encoding.value_or(p.default_encoding);
  const std::size_t n = digest_size(opt.algo);
  std::uint8_t md[32];
  if (value.size() > k_max_input_bytes) return Errc::too_long;
  // A digest of the requested algorithm is re-encoded, never hashed again (HMAC excluded:
  // a keyed digest cannot be recognised).
  if (opt.algo != Algo::hmac_sha256 && decode_digest(value, n, std::span<std::uint8_t>(md, n))) {
    if (enc == Encoding::hex)
      append_hex({md, n}, out);
    else
      append_base64({md, n}, out);
    return Errc::ok;
  }
  std::string_view v;
  if (const Errc e = precheck(value, v); e != Errc::ok) return e;
  Errc e = normalize_field_into(f, v, p, opt, scratch);
  if (e == Errc::ok && scratch.empty()) e = Errc::empty;
  if (e == Errc::ok) e = digest(opt.algo, scratch, {md, n}, opt.key);
  secure_zero(scratch.data(), scratch.capacity());  // also bytes left beyond a shrink
  scratch.clear();
  if (e != Errc::ok) return e;
  if (enc == Encoding::hex)
    append_hex({md, n}, out);
  else
    append_base64({md, n}, out);
  return Errc::ok;
}

}  // namespace detail

Result<std::string> hash(Field f, std::string_view value, const Profile& p, const Options& opt) {
  // The scratch buffer is reused across calls (no allocation per value); hash_into zeroes it
  // after every use, so it never keeps a normalized value between calls.
  thread_local std::string scratch;
  std::string out;
  out.reserve(64);
  const Errc e = detail::hash_into(f, value, p, opt, scratch, out);
  if (e != Errc::ok) return e;
  return out;
}

std::vector<BatchItem> hash_batch(Field f, std::string_view buffer, const Profile& p,
                                  const Options& opt, char sep) {
  std::size_t count = 0;
  for (const char c : buffer) count += c == sep;
  if (!buffer.empty() && buffer.back() != sep) ++count;
  std::vector<BatchItem> items(count);
  std::string scratch;
  scratch.reserve(256);
  std::size_t start = 0;
  for (std::size_t k = 0; k < count; ++k) {
    std::size_t end = buffer.find(sep, start);
    if (end == std::string_view::npos) end = buffer.size();
    BatchItem& item = items[k];
    item.value.reserve(64);
    item.error =
        detail::hash_into(f, buffer.substr(start, end - start), p, opt, scratch, item.value);
    start = end + 1;
  }
  secure_clear(scratch);
  return items;
}

}  // namespace hashgate
