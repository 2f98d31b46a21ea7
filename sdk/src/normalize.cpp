// normalize(): field dispatch, shared by hash() and hash_batch().
#include "internal.hpp"

namespace hashgate {
namespace detail {

Errc normalize_field_into(Field f, std::string_view v, const Profile& p, const Options& opt,
                          std::string& out) {
  if (p.id == ProfileId::uid2 && f != Field::em && f != Field::ph) return Errc::unsupported_field;
  switch (f) {
    case Field::em:
      return normalize_email_into(v, p, out);
    case Field::ph:
      return normalize_phone_into(v, p, opt.region, out);
    case Field::fn:
    case Field::ln:
      return normalize_name_into(f, v, p, out);
    case Field::ct:
      return normalize_city_into(v, out);
    case Field::st:
      return normalize_state_into(v, out);
    case Field::zp:
      return normalize_zip_into(v, opt.region, out);
    case Field::country:
      return normalize_country_into(v, out);
    case Field::db:
      return normalize_date_into(v, out);
    case Field::ge:
      return normalize_gender_into(v, out);
    case Field::external_id:
      // Kept byte for byte after trimming: it is the advertiser's own identifier.
      out.assign(v);
      return Errc::ok;
  }
  return Errc::unsupported_field;
}

}  // namespace detail

Result<std::string> normalize(Field f, std::string_view value, const Profile& p,
                              const Options& opt) {
  std::string_view v;
  if (const Errc e = detail::precheck(value, v); e != Errc::ok) return e;
  std::string out;
  if (const Errc e = detail::normalize_field_into(f, v, p, opt, out); e != Errc::ok) {
    secure_clear(out);
    return e;
  }
  if (out.empty()) return Errc::empty;
  return out;
}

}  // namespace hashgate
