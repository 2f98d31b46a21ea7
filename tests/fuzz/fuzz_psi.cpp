// Fuzzes the strict readers of the psi/ file formats. The first byte picks the reader: even the
// .psi reader (decode_psi), odd the .state reader (decode_state). Whatever a reader accepts must
// satisfy the format's invariants and serialize back to exactly the bytes it was read from (so
// no two files mean the same list, and nothing is silently dropped or defaulted).
#include <psi/format.hpp>

#include <vector>

#include "fuzz_common.hpp"

using namespace hashgate::psi;

namespace {

void fuzz_psi(std::span<const std::uint8_t> bytes) {
  PsiList full;
  const FileError e = decode_psi(bytes, ElementCheck::full, 1, full);
  PsiList structure;
  const FileError s = decode_psi(bytes, ElementCheck::structure, 1, structure);
  // The structure check is the full check minus the encoding test: never stricter.
  if (e.ok()) HG_FUZZ_CHECK(s.ok());
  if (s.ok() && !e.ok()) HG_FUZZ_CHECK(e.code == FileErrc::invalid_element);
  if (!e.ok()) return;
  HG_FUZZ_CHECK(!full.elements.empty() && full.elements.size() <= k_max_elements);
  HG_FUZZ_CHECK(full.kinds != 0 && (full.kinds & ~k_all_kinds) == 0);
  for (const Element& el : full.elements) HG_FUZZ_CHECK(is_valid_element(el));
  const std::vector<std::uint8_t> again = encode_psi(full);
  HG_FUZZ_CHECK(again.size() == bytes.size() &&
                std::equal(again.begin(), again.end(), bytes.begin()));
}

void fuzz_state(std::span<const std::uint8_t> bytes) {
  State st;
  if (!decode_state(bytes, st).ok()) return;
  HG_FUZZ_CHECK(st.elements > 0 && st.links.size() >= st.elements);
  for (const Link& l : st.links) {
    HG_FUZZ_CHECK(l.element < st.elements && l.row < st.row_ids.size());
  }
  const std::vector<std::uint8_t> again = encode_state(st);
  HG_FUZZ_CHECK(again.size() == bytes.size() &&
                std::equal(again.begin(), again.end(), bytes.begin()));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const bool ok = init();
  HG_FUZZ_CHECK(ok);
  hashgate::fuzz::Cursor in(data, size);
  const std::uint8_t selector = in.byte();
  const std::string_view rest = in.rest();
  const std::span<const std::uint8_t> bytes(reinterpret_cast<const std::uint8_t*>(rest.data()),
                                            rest.size());
  if (selector % 2 == 0) {
    fuzz_psi(bytes);
  } else {
    fuzz_state(bytes);
  }
  return 0;
}
