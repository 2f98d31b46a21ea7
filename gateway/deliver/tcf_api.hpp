#pragma once
// The one place where deliver/ includes the TCF decoder and consent decision. They live in
// gateway/policy/ today and move to the top-level tcf/ library (issue 13); only this file changes.

#include "gateway/policy/consent.hpp"
#include "gateway/policy/tcf.hpp"

namespace hashgate::gw::deliver {

using hashgate::gw::ConsentDecision;
using hashgate::gw::decide_consent;
using hashgate::gw::decode_tc_string;
using hashgate::gw::LegalBasis;
using hashgate::gw::TcfPolicy;
using hashgate::gw::TcString;

}  // namespace hashgate::gw::deliver
