#include "psi/group.hpp"

#include <sodium.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <system_error>
#include <thread>
#include <vector>

#include "hashgate/hashgate.hpp"

namespace hashgate::psi {

namespace {

constexpr std::string_view k_tag_prefix = "hashgate/psi/v1/";
constexpr std::string_view k_key_check_tag = "hashgate/psi/v1/key-check:";

// Lowers `target` to `value` if it is smaller (the lowest failing index wins).
void keep_lowest(std::atomic<std::size_t>& target, std::size_t value) noexcept {
  std::size_t cur = target.load(std::memory_order_relaxed);
  while (value < cur && !target.compare_exchange_weak(cur, value, std::memory_order_relaxed)) {
  }
}

}  // namespace

bool init() noexcept {
  static const bool ok = sodium_init() >= 0;
  return ok;
}

Key Key::generate() {
  init();
  Key k;
  do {
    crypto_core_ristretto255_scalar_random(k.m_s.data());
  } while (sodium_is_zero(k.m_s.data(), k.m_s.size()) != 0);
  return k;
}

std::optional<Key> Key::from_bytes(std::span<const std::uint8_t> bytes) {
  init();
  if (bytes.size() != k_scalar_bytes || sodium_is_zero(bytes.data(), bytes.size()) != 0) {
    return std::nullopt;
  }
  // Canonical iff reducing the zero-extended value mod L leaves it unchanged.
  std::uint8_t wide[crypto_core_ristretto255_NONREDUCEDSCALARBYTES] = {};
  std::memcpy(wide, bytes.data(), k_scalar_bytes);
  Key k;
  crypto_core_ristretto255_scalar_reduce(k.m_s.data(), wide);
  const bool canonical = sodium_memcmp(k.m_s.data(), bytes.data(), k_scalar_bytes) == 0;
  secure_zero(wide, sizeof wide);
  if (!canonical) return std::nullopt;
  return k;
}

Key Key::inverse() const {
  Key inv;
  // Cannot fail: the scalar is not zero.
  (void)crypto_core_ristretto255_scalar_invert(inv.m_s.data(), m_s.data());
  return inv;
}

std::array<std::uint8_t, 32> Key::check_value() const {
  std::uint8_t full[crypto_hash_sha512_BYTES];
  crypto_hash_sha512_state st;
  crypto_hash_sha512_init(&st);
  crypto_hash_sha512_update(&st, reinterpret_cast<const unsigned char*>(k_key_check_tag.data()),
                            k_key_check_tag.size());
  crypto_hash_sha512_update(&st, m_s.data(), m_s.size());
  crypto_hash_sha512_final(&st, full);
  secure_zero(&st, sizeof st);
  std::array<std::uint8_t, 32> out;
  std::memcpy(out.data(), full, out.size());
  secure_zero(full, sizeof full);
  return out;
}

Key::Key(Key&& other) noexcept : m_s(other.m_s) { secure_zero(other.m_s.data(), other.m_s.size()); }

Key& Key::operator=(Key&& other) noexcept {
  if (this != &other) {
    m_s = other.m_s;
    secure_zero(other.m_s.data(), other.m_s.size());
  }
  return *this;
}

Key::~Key() { secure_zero(m_s.data(), m_s.size()); }

std::string hash_tag(Field f) {
  std::string tag(k_tag_prefix);
  tag.append(field_name(f));
  tag.push_back(':');
  return tag;
}

void hash_input(const Identifier& id, std::span<std::uint8_t, 64> out) noexcept {
  // The tag is at most ~32 bytes; build it on the stack (no allocation on the hot path).
  const std::string_view name = field_name(id.field);
  crypto_hash_sha512_state st;
  crypto_hash_sha512_init(&st);
  crypto_hash_sha512_update(&st, reinterpret_cast<const unsigned char*>(k_tag_prefix.data()),
                            k_tag_prefix.size());
  crypto_hash_sha512_update(&st, reinterpret_cast<const unsigned char*>(name.data()), name.size());
  crypto_hash_sha512_update(&st, reinterpret_cast<const unsigned char*>(":"), 1);
  crypto_hash_sha512_update(&st, id.digest.data(), id.digest.size());
  crypto_hash_sha512_final(&st, out.data());
  secure_zero(&st, sizeof st);  // the state held the digest
}

void hash_to_group(const Identifier& id, Element& out) noexcept {
  std::uint8_t wide[64];
  hash_input(id, wide);
  crypto_core_ristretto255_from_hash(out.data(), wide);
  secure_zero(wide, sizeof wide);
}

bool is_valid_element(const Element& e) noexcept {
  return sodium_is_zero(e.data(), e.size()) == 0 &&
         crypto_core_ristretto255_is_valid_point(e.data()) == 1;
}

bool multiply(const Key& k, const Element& p, Element& out) noexcept {
  // libsodium refuses an invalid encoding and a result that is the identity; with 0 < k < L
  // in a group of prime order L, the latter happens only for the identity itself.
  return crypto_scalarmult_ristretto255(out.data(), k.bytes().data(), p.data()) == 0;
}

std::size_t default_threads() noexcept {
  return std::max<std::size_t>(1, std::thread::hardware_concurrency());
}

void parallel_for(std::size_t n, std::size_t threads,
                  const std::function<void(std::size_t, std::size_t)>& fn) {
  if (n == 0) return;
  threads = std::clamp<std::size_t>(threads, 1, 256);
  // Ranges are handed out from a shared counter, so a thread slowed by other load on the machine
  // takes fewer of them.
  const std::size_t grain = std::clamp<std::size_t>(n / (threads * 16), 64, 16384);
  std::atomic<std::size_t> next{0};
  auto work = [&] {
    for (;;) {
      const std::size_t begin = next.fetch_add(grain, std::memory_order_relaxed);
      if (begin >= n) return;
      fn(begin, std::min(n, begin + grain));
    }
  };
  std::vector<std::thread> pool;
  const std::size_t extra = std::min(threads - 1, (n + grain - 1) / grain - 1);
  for (std::size_t i = 0; i < extra; ++i) {
    try {
      pool.emplace_back(work);
    } catch (const std::system_error&) {
      break;  // fewer threads: the ranges are still all done below
    }
  }
  work();
  for (std::thread& t : pool) t.join();
}

void blind_all(const Key& k, std::span<const Identifier> ids, std::span<Element> out,
               std::size_t threads) {
  parallel_for(ids.size(), threads, [&](std::size_t begin, std::size_t end) {
    Element h;
    for (std::size_t i = begin; i < end; ++i) {
      hash_to_group(ids[i], h);
      // H(x) is never the identity (from_hash never yields it for SHA-512 output in practice);
      // if it were, the element would be left as zeros and refused by every reader.
      if (!multiply(k, h, out[i])) out[i].fill(0);
    }
    secure_zero(h.data(), h.size());
  });
}

std::size_t multiply_all(const Key& k, std::span<Element> elems, std::size_t threads) {
  std::atomic<std::size_t> bad{k_none};
  parallel_for(elems.size(), threads, [&](std::size_t begin, std::size_t end) {
    Element r;
    for (std::size_t i = begin; i < end; ++i) {
      if (!multiply(k, elems[i], r)) {
        keep_lowest(bad, i);
        continue;
      }
      elems[i] = r;
    }
  });
  return bad.load();
}

std::size_t find_invalid(std::span<const Element> elems, std::size_t threads) {
  std::atomic<std::size_t> bad{k_none};
  parallel_for(elems.size(), threads, [&](std::size_t begin, std::size_t end) {
    for (std::size_t i = begin; i < end; ++i) {
      if (!is_valid_element(elems[i])) keep_lowest(bad, i);
    }
  });
  return bad.load();
}

}  // namespace hashgate::psi
