#pragma once
// The one place where deliver/ includes the TCF decoder and consent decision. Issue 13 moves them
// from gateway/policy/ (namespace hashgate::gw) to the top-level tcf/ library (namespace
// hashgate::tcf); both layouts compile, so this branch merges either way. After the merge the
// #else branch can go.

#if __has_include("tcf/consent.hpp")
#include "tcf/consent.hpp"
#include "tcf/tc_string.hpp"
namespace hashgate::gw::deliver {
namespace tcf_lib = hashgate::tcf;
}
#else
#include "gateway/policy/consent.hpp"
#include "gateway/policy/tcf.hpp"
namespace hashgate::gw::deliver {
namespace tcf_lib = hashgate::gw;
}
#endif

namespace hashgate::gw::deliver {

using tcf_lib::ConsentDecision;
using tcf_lib::decide_consent;
using tcf_lib::decode_tc_string;
using tcf_lib::format_iso8601_utc;
using tcf_lib::LegalBasis;
using tcf_lib::TcfPolicy;
using tcf_lib::TcString;

}  // namespace hashgate::gw::deliver
