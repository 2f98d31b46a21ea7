// `hashgate tcf ...`: decode IAB TCF v2 TC strings to JSON and evaluate a consent policy.
// The CLI dispatcher calls cmd_tcf(argc, argv) with argv[0] == "tcf".

#include <charconv>
#include <cstdint>
#include <ctime>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include "commands.hpp"
#include "tcf/consent.hpp"
#include "tcf/tc_string.hpp"

namespace hashgate::cli {
namespace {

/// `tcf decide`: the policy denies the string (k_exit_ok when it allows it).
constexpr int k_exit_denied = 1;

constexpr std::string_view k_usage =
    "usage: hashgate tcf decode STRING... | -\n"
    "         prints one JSON object per TC string ('-': one string per line on stdin)\n"
    "       hashgate tcf decide --basis consent|legitimate_interest --vendor ID\n"
    "         [--purposes 1,2,...] [--no-vendor-consent] [--no-strict] [--now UNIX] STRING\n"
    "         prints the decision summary; exit 0 allowed, 1 denied\n";

int usage(std::string_view message) {
  std::cerr << "hashgate tcf: " << message << "\n" << k_usage;
  return k_exit_usage;
}

/// Decodes one string; prints JSON (or an error object) on stdout and the reason on stderr.
bool decode_one(std::string_view text, std::string_view where) {
  while (!text.empty() && (text.back() == '\r' || text.back() == '\n')) text.remove_suffix(1);
  const auto r = tcf::decode_tc_string(text);
  if (!r.ok()) {
    // The reason names the field only; the input is never echoed.
    std::cerr << "hashgate tcf decode: " << where << "invalid TC string: " << r.error << "\n";
    std::cout << "{\"error\":\"" << r.error << "\"}\n";
    return false;
  }
  std::cout << tcf::tc_string_to_json(*r.tc) << "\n";
  return true;
}

int decode_command(int argc, char** argv) {
  if (argc < 3) return usage("decode needs a TC string or '-'");
  bool all_ok = true;
  if (argc == 3 && std::string_view(argv[2]) == "-") {
    std::string line;
    std::uint64_t n = 0;
    while (std::getline(std::cin, line)) {
      ++n;
      all_ok &= decode_one(line, "line " + std::to_string(n) + ": ");
    }
  } else {
    for (int i = 2; i < argc; ++i) {
      all_ok &= decode_one(argv[i], argc > 3 ? "argument " + std::to_string(i - 1) + ": " : "");
    }
  }
  std::cout.flush();
  return all_ok ? k_exit_ok : k_exit_data;
}

bool parse_int(std::string_view s, std::int64_t& out) {
  if (s.empty()) return false;
  const auto* end = s.data() + s.size();
  const auto [ptr, ec] = std::from_chars(s.data(), end, out);
  return ec == std::errc{} && ptr == end;
}

int decide_command(int argc, char** argv) {
  tcf::TcfPolicy policy;
  tcf::LegalBasis basis = tcf::LegalBasis::consent;
  bool have_basis = false;
  std::int64_t now = static_cast<std::int64_t>(std::time(nullptr));
  std::string_view tc;
  bool have_tc = false;
  for (int i = 2; i < argc; ++i) {
    const std::string_view arg = argv[i];
    const bool has_value = i + 1 < argc;
    std::int64_t number = 0;
    if (arg == "--basis" && has_value) {
      if (!tcf::parse_legal_basis(argv[++i], basis)) return usage("bad --basis");
      have_basis = true;
    } else if (arg == "--vendor" && has_value) {
      if (!parse_int(argv[++i], number) || number < 1 || number > 65535) {
        return usage("bad --vendor");
      }
      policy.vendor_id = static_cast<int>(number);
    } else if (arg == "--purposes" && has_value) {
      std::string_view list = argv[++i];
      while (!list.empty()) {
        const auto comma = list.find(',');
        const auto item = list.substr(0, comma);
        if (!parse_int(item, number) || number < 1 || number > 24) return usage("bad --purposes");
        policy.required_purposes.push_back(static_cast<int>(number));
        list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
      }
    } else if (arg == "--now" && has_value) {
      if (!parse_int(argv[++i], now)) return usage("bad --now");
    } else if (arg == "--no-vendor-consent") {
      policy.require_vendor_consent = false;
    } else if (arg == "--no-strict") {
      policy.strict_policy_version = false;
    } else if (!arg.starts_with("--") && !have_tc) {
      tc = arg;
      have_tc = true;
    } else {
      return usage("unexpected argument");
    }
  }
  if (!have_basis || policy.vendor_id == 0 || !have_tc) {
    return usage("decide needs --basis, --vendor and a TC string");
  }
  const auto d = tcf::decide_consent(basis, policy, tc, now);
  std::cout << d.summary_json << "\n";
  return d.allowed ? k_exit_ok : k_exit_denied;
}

}  // namespace

int cmd_tcf(int argc, char** argv) {
  if (argc < 2) return usage("missing subcommand");
  const std::string_view sub = argv[1];
  if (sub == "decode") return decode_command(argc, argv);
  if (sub == "decide") return decide_command(argc, argv);
  if (sub == "--help" || sub == "-h" || sub == "help") {
    std::cout << k_usage;
    return k_exit_ok;
  }
  return usage("unknown subcommand");
}

}  // namespace hashgate::cli
