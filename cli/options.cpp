#include "options.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <cerrno>

namespace hashgate::cli {

namespace {

/// An option that takes a value: its name, the OptMask group that allows it (0: always
/// allowed), and the Args member it fills (nullptr: --profile, a plain string).
struct OptionSpec {
  std::string_view name;
  unsigned group;
  std::optional<std::string> Args::*slot;
};

constexpr std::array<OptionSpec, 12> k_options{{
    {"--profile", 0, nullptr},
    {"--field", k_opt_field, &Args::field},
    {"--region", 0, &Args::region},
    {"--algo", k_opt_algo, &Args::algo},
    {"--key-file", k_opt_algo, &Args::key_file},
    {"--encoding", k_opt_algo, &Args::encoding},
    {"--columns", k_opt_file, &Args::columns},
    {"--keep-columns", k_opt_file, &Args::keep_columns},
    {"--drop-columns", k_opt_file, &Args::drop_columns},
    {"--threads", k_opt_file, &Args::threads},
    {"-o", k_opt_file, &Args::output},
    {"--output", k_opt_file, &Args::output},
}};

const OptionSpec* find_option(std::string_view name, unsigned allowed) {
  for (const OptionSpec& o : k_options) {
    if (o.name == name && (o.group == 0 || (allowed & o.group))) return &o;
  }
  return nullptr;
}

// Reads the HMAC key file: raw bytes, one trailing "\n" or "\r\n" removed.
bool read_key_file(const std::string& path, std::string& key) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  char buf[4096];
  bool ok = true;
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) ok = false;
    if (n <= 0) break;
    key.append(buf, static_cast<std::size_t>(n));
    if (key.size() > (1 << 16)) {
      ok = false;
      break;
    }
  }
  secure_zero(buf, sizeof buf);
  ::close(fd);
  if (!key.empty() && key.back() == '\n') key.pop_back();
  if (!key.empty() && key.back() == '\r') key.pop_back();
  return ok;
}

// --algo hmac-sha256 needs a readable, non-empty --key-file; other algorithms take none.
int resolve_key(const Args& a, Settings& s, const Io& io) {
  if (s.options.algo != Algo::hmac_sha256) {
    if (!a.key_file) return k_exit_ok;
    print_err(io, "--key-file is only used with --algo hmac-sha256");
    return k_exit_usage;
  }
  if (!a.key_file) {
    print_err(io, "--algo hmac-sha256 needs --key-file");
    return k_exit_usage;
  }
  if (!read_key_file(*a.key_file, s.key)) {
    print_err(io, "--key-file: cannot read the key file");
    return k_exit_usage;
  }
  if (s.key.empty()) {
    print_err(io, "--key-file: the key file is empty");
    return k_exit_usage;
  }
  s.options.key = std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(s.key.data()),
                                                s.key.size());
  return k_exit_ok;
}

}  // namespace

bool printable_option(std::string_view s) noexcept {
  if (s.size() < 3 || s.size() > 40 || s.substr(0, 2) != "--") return false;
  for (char c : s.substr(2)) {
    if (!((c >= 'a' && c <= 'z') || c == '-')) return false;
  }
  return true;
}

OptionArg split_option(std::string_view arg) noexcept {
  if (auto eq = arg.find('='); arg.substr(0, 2) == "--" && eq != std::string_view::npos)
    return {arg.substr(0, eq), arg.substr(eq + 1)};
  return {arg, std::nullopt};
}

int unknown_option(std::string_view name, std::size_t index, std::string_view help_command,
                   const Io& io) {
  if (printable_option(name)) {
    print_err(io, "unknown option ", name, " (see ", help_command, ")");
  } else {
    print_err(io, "unknown option in argument ", std::to_string(index + 1),
              " (use -- before values)");
  }
  return k_exit_usage;
}

int take_value(std::span<char*> args, std::size_t& i, const OptionArg& opt, std::string& value,
               const Io& io) {
  if (!opt.inline_value && i + 1 >= args.size()) {
    print_err(io, opt.name, ": missing argument");
    return k_exit_usage;
  }
  value = opt.inline_value ? std::string(*opt.inline_value) : std::string(args[++i]);
  return k_exit_ok;
}

int parse_args(std::span<char*> args, unsigned allowed, Args& out, const Io& io) {
  bool only_values = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string_view a = args[i];
    if (only_values || a == "-" || a.empty() || a[0] != '-') {
      out.values.push_back(args[i]);
      continue;
    }
    if (a == "--") {
      only_values = true;
      continue;
    }
    if (a == "-h" || a == "--help") {
      out.help = true;
      continue;
    }
    const OptionArg opt = split_option(a);
    const OptionSpec* spec = find_option(opt.name, allowed);
    if (spec == nullptr) return unknown_option(opt.name, i, "hashgate --help", io);
    std::string value;
    if (int rc = take_value(args, i, opt, value, io); rc != k_exit_ok) return rc;
    if (spec->slot == nullptr) {
      out.profile = std::move(value);
    } else {
      out.*(spec->slot) = std::move(value);
    }
  }
  return k_exit_ok;
}

int resolve_settings(const Args& a, Settings& s, const Io& io) {
  s.profile = profile_by_name(a.profile);
  if (s.profile == nullptr) {
    print_err(io, "--profile: ", code_name(Errc::unsupported_profile));
    return k_exit_usage;
  }
  if (a.region) {
    auto r = region_by_code(*a.region);
    if (!r) {
      print_err(io, "--region: ", code_name(Errc::invalid_region));
      return k_exit_usage;
    }
    s.options.region = *r;
  }
  if (a.algo) {
    auto al = algo_by_name(*a.algo);
    if (!al) {
      print_err(io, "--algo: ", code_name(Errc::unsupported_algo));
      return k_exit_usage;
    }
    s.options.algo = *al;
  }
  if (a.encoding) {
    auto e = encoding_by_name(*a.encoding);
    if (!e) {
      print_err(io, "--encoding: ", code_name(Errc::unsupported_encoding));
      return k_exit_usage;
    }
    s.options.encoding = *e;
  }
  return resolve_key(a, s, io);
}

std::vector<std::string_view> split_list(std::string_view s) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  for (;;) {
    std::size_t comma = s.find(',', start);
    out.push_back(
        s.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return out;
}

}  // namespace hashgate::cli
