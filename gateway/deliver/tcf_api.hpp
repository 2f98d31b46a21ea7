#pragma once
// The one place where deliver/ includes the TCF decoder and consent decision (tcf/).

#include "tcf/consent.hpp"
#include "tcf/tc_string.hpp"

namespace hashgate::gw::deliver {

namespace tcf_lib = hashgate::tcf;
using tcf_lib::ConsentDecision;
using tcf_lib::decide_consent;
using tcf_lib::decode_tc_string;
using tcf_lib::format_iso8601_utc;
using tcf_lib::LegalBasis;
using tcf_lib::TcfPolicy;
using tcf_lib::TcString;

}  // namespace hashgate::gw::deliver
