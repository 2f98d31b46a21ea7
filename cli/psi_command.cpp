// `hashgate psi keygen|blind|reblind|intersect`: two-party private set intersection over the
// psi/ library (docs/psi.md). Each party blinds its own rows with its own key, re-blinds the other
// party's list, and learns which of its own rows are in both lists.
#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "commands.hpp"
#include "hash_file.hpp"
#include "hashgate/hashgate.hpp"
#include "psi/format.hpp"
#include "psi/group.hpp"

namespace hashgate::cli {

namespace {

using psi::Element;
using psi::Identifier;

/// `intersect` (and `reblind --min-size/--max-size`): the result is held back by policy.
constexpr int k_exit_below_threshold = 3;
constexpr std::size_t k_default_min_size = 100;

constexpr std::string_view k_psi_usage =
    "usage: hashgate psi <step> [options]   (private set intersection; docs/psi.md)\n"
    "  keygen -o KEY\n"
    "      write a new 32-byte secret scalar (file mode 0600)\n"
    "  blind --key KEY --columns COL=F[,COL=F...] [--profile P] [--region CC] --id-column COL\n"
    "        [--threads N] IN.csv|- -o MINE.psi --state MINE.state\n"
    "      hash and blind the identifiers of every row; send MINE.psi, keep MINE.state (0600)\n"
    "  reblind --key KEY [--min-size K] [--max-size N] [--threads N] THEIRS.psi -o "
    "THEIRS.back.psi\n"
    "      re-blind the other party's list, in its order, and send it back\n"
    "  intersect --key KEY --state MINE.state --back MINE.back.psi --theirs THEIRS.psi\n"
    "        [--theirs-back THEIRS.back.psi] [--min-size K] [--threads N] -o MATCHED.csv|-\n"
    "      write the --id-column values of my rows that are in both lists; below --min-size\n"
    "      (default 100) no row is written, 'below_threshold' is printed and the status is 3;\n"
    "      --theirs-back (the file my reblind made from THEIRS.psi) saves re-blinding it again\n"
    "\n"
    "The column options are hash-file's (see hashgate --help).\n"
    "exit status: 0 ok, 3 below_threshold, 64 bad usage, 65 bad data or a refused file,\n"
    "74 I/O error\n";

/// Parsed options of one step: option name (as given, "-o" folded into "--output") → value.
struct StepArgs {
  std::map<std::string, std::string, std::less<>> opts;
  std::vector<std::string> inputs;  ///< positional arguments
  bool help = false;
  std::optional<std::string> get(std::string_view name) const {
    auto it = opts.find(name);
    return it == opts.end() ? std::nullopt : std::optional<std::string>(it->second);
  }
};

// Parses `--opt value`, `--opt=value`, positionals and `--` (all after it positional); only the
// names in `allowed` are accepted.
int parse_step(std::span<char*> args, std::initializer_list<std::string_view> allowed,
               StepArgs& out, const Io& io) {
  bool only_inputs = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string_view a = args[i];
    if (only_inputs || a == "-" || a.empty() || a[0] != '-') {
      out.inputs.emplace_back(a);
      continue;
    }
    if (a == "--") {
      only_inputs = true;
      continue;
    }
    if (a == "-h" || a == "--help") {
      out.help = true;
      continue;
    }
    OptionArg opt = split_option(a);
    if (opt.name == "-o") opt.name = "--output";
    if (std::find(allowed.begin(), allowed.end(), opt.name) == allowed.end())
      return unknown_option(opt.name, i, "hashgate psi --help", io);
    std::string value;
    if (int rc = take_value(args, i, opt, value, io); rc != k_exit_ok) return rc;
    out.opts[std::string(opt.name)] = std::move(value);
  }
  return k_exit_ok;
}

// Checks that every option in `names` was given; prints the first missing one.
int require(const StepArgs& a, std::initializer_list<std::string_view> names, const Io& io) {
  for (std::string_view n : names) {
    if (!a.get(n)) {
      print_err(io, n == "--output" ? std::string_view("-o") : n, " is required",
                " (see hashgate psi --help)");
      return k_exit_usage;
    }
  }
  return k_exit_ok;
}

// Parses a whole number in [lo, hi] for option `name`.
int parse_count(const StepArgs& a, std::string_view name, std::uint64_t lo, std::uint64_t hi,
                std::uint64_t& out, const Io& io) {
  const auto v = a.get(name);
  if (!v) return k_exit_ok;
  char* end = nullptr;
  errno = 0;
  const unsigned long long n = std::strtoull(v->c_str(), &end, 10);
  if (v->empty() || (*v)[0] == '-' || *end != '\0' || errno != 0 || n < lo || n > hi) {
    print_err(io, name, ": expected a whole number from ", std::to_string(lo), " to ",
              std::to_string(hi));
    return k_exit_usage;
  }
  out = n;
  return k_exit_ok;
}

int parse_threads(const StepArgs& a, std::size_t& threads, const Io& io) {
  std::uint64_t n = psi::default_threads();
  if (int rc = parse_count(a, "--threads", 1, 64, n, io); rc != k_exit_ok) return rc;
  threads = static_cast<std::size_t>(n);
  return k_exit_ok;
}

// ---- Files -----------------------------------------------------------------------------------

// Reads a whole file of at most `limit` bytes. `what` names it in messages (an option name).
int read_file(const std::string& path, std::string_view what, std::uint64_t limit,
              std::vector<std::uint8_t>& out, const Io& io) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    print_err(io, what, ": cannot open the file: ", std::strerror(errno));
    return k_exit_usage;
  }
  struct stat st {};
  int rc = k_exit_ok;
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    print_err(io, what, ": not a regular file");
    rc = k_exit_usage;
  } else if (static_cast<std::uint64_t>(st.st_size) > limit) {
    print_err(io, what, ": refused: bad_length (the file is larger than its format allows)");
    rc = k_exit_data;
  } else {
    out.resize(static_cast<std::size_t>(st.st_size));
    std::size_t got = 0;
    while (got < out.size()) {
      const ssize_t n = ::read(fd, out.data() + got, out.size() - got);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      got += static_cast<std::size_t>(n);
    }
    if (got != out.size()) {
      print_err(io, what, ": cannot read the file");
      rc = k_exit_io;
    }
  }
  ::close(fd);
  return rc;
}

/// A file written under a temporary name beside its target and moved into place by commit().
class OutFile {
 public:
  ~OutFile() { abort(); }
  /// Creates the temporary file with permission bits `mode`; false with errno set.
  bool open(const std::string& path, mode_t mode) {
    m_path = path;
    m_tmp = path + ".tmp.XXXXXX";
    m_fd = ::mkstemp(m_tmp.data());
    if (m_fd < 0) {
      m_tmp.clear();
      return false;
    }
    return ::fchmod(m_fd, mode) == 0;
  }
  bool write(std::span<const std::uint8_t> bytes) {
    const std::uint8_t* p = bytes.data();
    std::size_t n = bytes.size();
    while (n > 0) {
      const ssize_t w = ::write(m_fd, p, n);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) return false;
      p += w;
      n -= static_cast<std::size_t>(w);
    }
    return true;
  }
  /// Syncs, then renames over the target (`replace`) or links to it only if it does not exist.
  bool commit(bool replace) {
    bool ok = ::fsync(m_fd) == 0;
    ok = ::close(m_fd) == 0 && ok;
    m_fd = -1;
    if (ok)
      ok = replace ? ::rename(m_tmp.c_str(), m_path.c_str()) == 0
                   : ::link(m_tmp.c_str(), m_path.c_str()) == 0;
    const int saved = errno;
    if (!ok || !replace) ::unlink(m_tmp.c_str());
    m_tmp.clear();
    errno = saved;
    return ok;
  }
  void abort() {
    if (m_fd >= 0) ::close(m_fd);
    m_fd = -1;
    if (!m_tmp.empty()) ::unlink(m_tmp.c_str());
    m_tmp.clear();
  }

 private:
  int m_fd = -1;
  std::string m_path, m_tmp;
};

mode_t umask_mode() {
  const mode_t mask = ::umask(0);
  ::umask(mask);
  return 0666 & ~mask;
}

// Writes `bytes` to `path` atomically with `mode`; `what` names the file in messages.
int write_file(const std::string& path, std::string_view what, std::span<const std::uint8_t> bytes,
               mode_t mode, bool replace, const Io& io) {
  OutFile f;
  if (!f.open(path, mode) || !f.write(bytes) || !f.commit(replace)) {
    print_err(io, what, ": cannot write the file: ", std::strerror(errno));
    return k_exit_io;
  }
  return k_exit_ok;
}

std::span<const std::uint8_t> as_bytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

// Loads --key: exactly 32 bytes holding a canonical non-zero scalar.
int load_key(const StepArgs& a, std::optional<psi::Key>& key, const Io& io) {
  if (!psi::init()) {
    print_err(io, "libsodium cannot be initialized");
    return k_exit_io;
  }
  std::vector<std::uint8_t> bytes;
  if (int rc = read_file(*a.get("--key"), "--key", 4096, bytes, io); rc != k_exit_ok) return rc;
  key = psi::Key::from_bytes(bytes);
  const std::size_t size = bytes.size();
  secure_zero(bytes.data(), bytes.size());
  if (!key) {
    print_err(io, "--key: ",
              size == psi::k_scalar_bytes ? "not a valid secret scalar"
                                          : "a key file holds exactly 32 bytes",
              " (make one with hashgate psi keygen)");
    return k_exit_data;
  }
  return k_exit_ok;
}

// Prints why file `what` was refused (a FileError) and returns 65.
int refuse(const Io& io, std::string_view what, const psi::FileError& e) {
  std::string where;
  if (e.code == psi::FileErrc::invalid_element || e.code == psi::FileErrc::identity_element) {
    where = "element " + std::to_string(e.index) + ": ";
  } else if (e.code == psi::FileErrc::bad_link) {
    where = "link " + std::to_string(e.index) + ": ";
  }
  print_err(io, what, ": refused: ", where, psi::file_error_name(e.code));
  return k_exit_data;
}

// Reads and parses a .psi file named by option `what`.
int load_list(const std::string& path, std::string_view what, psi::ElementCheck check,
              std::size_t threads, psi::PsiList& list, const Io& io) {
  std::vector<std::uint8_t> bytes;
  const std::uint64_t limit = psi::k_psi_header_bytes + psi::k_max_elements * psi::k_element_bytes;
  if (int rc = read_file(path, what, limit, bytes, io); rc != k_exit_ok) return rc;
  if (psi::FileError e = psi::decode_psi(bytes, check, threads, list); !e.ok()) {
    return refuse(io, what, e);
  }
  return k_exit_ok;
}

// ---- The hash-file half of `psi blind` -------------------------------------------------------
// psi blind reads its CSV with hash-file's plan and pipeline steps (hash_file.hpp): the same
// column options, normalization, messages, exit statuses and summary. Instead of writing the
// digests it keeps them, each with the --id-column value of its row.

/// What `psi blind` takes from the CSV: the id of every row with at least one identifier (in
/// input order) and each identifier with the index (into `ids`) of the row it came from.
struct RowIdentifiers {
  std::string id_column;
  std::vector<std::string> ids;
  std::vector<Identifier> identifiers;
  std::vector<std::uint32_t> rows;  ///< parallel to identifiers
  ~RowIdentifiers() {
    if (!identifiers.empty()) {
      secure_zero(identifiers.data(), identifiers.size() * sizeof(Identifier));
    }
    for (std::string& id : ids) secure_clear(id);
  }
};

// Appends `id` to `v`; when `v` must grow, the old buffer (digests) is zeroed before it is freed.
void push_zeroed(std::vector<Identifier>& v, const Identifier& id) {
  if (v.size() == v.capacity()) {
    std::vector<Identifier> bigger;
    bigger.reserve(std::max<std::size_t>(1024, 2 * v.capacity()));
    bigger.assign(v.begin(), v.end());
    if (!v.empty()) secure_zero(v.data(), v.size() * sizeof(Identifier));
    v.swap(bigger);
  }
  v.push_back(id);
}

/// psi blind's ChunkConsumer (hash_rows): reports and counts each chunk as hash-file does, and
/// keeps the digests of every row instead of writing it.
class DigestCollector {
 public:
  DigestCollector(const HashFilePlan& plan, const RowPlan& rows, std::size_t id_index,
                  RowIdentifiers& out, const Io& io)
      : m_columns(plan.columns),
        m_fields(rows.kind.size()),
        m_id_index(id_index),
        m_out(out),
        m_io(io),
        m_reporter(plan.columns),
        m_tally(plan.columns.size()) {
    for (std::size_t kind : rows.kind) {
      if (kind >= 2) m_order.push_back(kind - 2);
    }
  }

  std::optional<int> consume(Chunk& c) {
    auto ev = c.events.begin();
    std::size_t start = 0;
    for (std::size_t r = 0; r < c.rows(); ++r) {
      m_tally.count_row();
      for (; ev != c.events.end() && ev->row == r; ++ev) {
        if (auto rc = m_reporter.report(*ev, c.lines[r], m_io)) return rc;
      }
      take_row(c, r, std::string_view(c.out.data() + start, c.row_ends[r] - start - 1));
      start = c.row_ends[r];
    }
    m_tally.add(c);
    return std::nullopt;
  }
  const Tally& tally() const noexcept { return m_tally; }

 private:
  // Row `r`'s output `line` (without its '\n') holds the hex digests of the hashed columns in
  // input-column order, empty where a value was empty or invalid.
  void take_row(const Chunk& c, std::size_t r, std::string_view line) {
    bool any = false;
    for (std::size_t k : m_order) {
      const std::size_t comma = line.find(',');
      const std::string_view hex = line.substr(0, comma);
      line = comma == std::string_view::npos ? std::string_view() : line.substr(comma + 1);
      if (hex.empty()) continue;
      Identifier id{m_columns[k].field, {}};
      if (!decode_digest(hex, psi::k_digest_bytes, id.digest)) continue;  // never: hex of 32
      if (!any) m_out.ids.emplace_back(c.fields[r * m_fields + m_id_index]);
      any = true;
      push_zeroed(m_out.identifiers, id);
      m_out.rows.push_back(static_cast<std::uint32_t>(m_out.ids.size() - 1));
      secure_zero(id.digest.data(), id.digest.size());
    }
  }

  const std::vector<HashedColumn>& m_columns;
  std::vector<std::size_t> m_order;  ///< hashed column k of each output cell, in cell order
  std::size_t m_fields, m_id_index;
  RowIdentifiers& m_out;
  const Io& m_io;
  RowReporter m_reporter;
  Tally m_tally;
};

// Finds --id-column `name` in the header: exactly once, and not a hashed column.
int bind_id_column(const std::vector<std::string>& header, const RowPlan& rows,
                   std::string_view name, std::size_t& index, const Io& io) {
  const int n = count_column(header, name, index);
  if (n != 1 || rows.kind[index] >= 2) {
    print_err(io, "--id-column: column ", name,
              n == 0  ? " is not in the header"
              : n > 1 ? " appears more than once in the header"
                      : " is also in --columns (use a row id that is not an identifier)");
    return k_exit_usage;
  }
  return k_exit_ok;
}

// hash-file's steps over plan.input, giving each row's identifiers and the summary.
int read_identifiers(HashFilePlan& plan, std::string_view id_column, RowIdentifiers& out,
                     const Io& io) {
  BoundInput in;
  if (int rc = open_bound_input(plan, io, in); rc != k_exit_ok) return rc;
  CsvReader& reader = *in.reader;
  const std::vector<std::string>& header = in.header;
  RowPlan& rows = in.rows;
  std::size_t id_index = 0;
  if (int rc = bind_id_column(header, rows, id_column, id_index, io); rc != k_exit_ok) return rc;
  out.id_column = header[id_index];
  DigestCollector collector(plan, rows, id_index, out, io);
  InputEnd end;
  if (auto rc = hash_rows(
          reader, rows, plan.threads, [&collector](Chunk& c) { return collector.consume(c); },
          end)) {
    return *rc;
  }
  if (int rc = check_end(reader, end, rows.kind.size(), io); rc != k_exit_ok) return rc;
  collector.tally().print_summary("psi blind", plan.columns, io);
  return k_exit_ok;
}

// ---- blind -----------------------------------------------------------------------------------

/// A list ready to blind: one identifier per element (deduplicated, in a random order) and the
/// links from elements to rows.
struct Prepared {
  std::vector<Identifier> inputs;
  std::vector<psi::Link> links;
  std::uint16_t kinds = 0;
  ~Prepared() {
    if (!inputs.empty()) secure_zero(inputs.data(), inputs.size() * sizeof(Identifier));
  }
};

bool identifier_less(const Identifier& a, const Identifier& b) {
  if (a.field != b.field) return a.field < b.field;
  return std::memcmp(a.digest.data(), b.digest.data(), a.digest.size()) < 0;
}

// Deduplicates the identifiers (equal elements would show the other party which rows share a
// value) and puts them in a uniformly random order (libsodium's CSPRNG).
void prepare(const RowIdentifiers& ids, Prepared& p) {
  std::vector<std::uint32_t> order(ids.identifiers.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = static_cast<std::uint32_t>(i);
  std::sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) {
    return identifier_less(ids.identifiers[a], ids.identifiers[b]);
  });
  std::vector<std::uint32_t> group(order.size());  // unique value of each sorted position
  std::uint32_t unique = 0;
  for (std::size_t i = 0; i < order.size(); ++i) {
    if (i > 0 && identifier_less(ids.identifiers[order[i - 1]], ids.identifiers[order[i]])) {
      ++unique;
    }
    group[i] = unique;
  }
  const std::uint32_t count = order.empty() ? 0 : unique + 1;
  std::vector<std::uint32_t> position(count);  // a random permutation (Fisher-Yates)
  for (std::uint32_t i = 0; i < count; ++i) position[i] = i;
  for (std::uint32_t i = count; i > 1; --i) {
    std::swap(position[i - 1], position[randombytes_uniform(i)]);
  }
  p.inputs.resize(count);
  p.links.reserve(order.size());
  for (std::size_t i = 0; i < order.size(); ++i) {
    const Identifier& id = ids.identifiers[order[i]];
    p.inputs[position[group[i]]] = id;
    p.kinds |= psi::field_bit(id.field);
    p.links.push_back(psi::Link{position[group[i]], ids.rows[order[i]]});
  }
  std::sort(p.links.begin(), p.links.end(), [](const psi::Link& a, const psi::Link& b) {
    return a.element != b.element ? a.element < b.element : a.row < b.row;
  });
  p.links.erase(std::unique(p.links.begin(), p.links.end()), p.links.end());
}

// psi blind's own options and hash-file's column options (--columns, --profile, --region,
// checked by make_column_plan with hash-file's messages) into `plan`.
int blind_options(const StepArgs& a, HashFilePlan& plan, const Io& io) {
  if (int rc = require(a, {"--key", "--columns", "--id-column", "--output", "--state"}, io);
      rc != k_exit_ok) {
    return rc;
  }
  if (a.inputs.size() != 1) {
    print_err(io, "psi blind takes exactly one input file (- for stdin)");
    return k_exit_usage;
  }
  Args columns;
  columns.columns = a.get("--columns");
  if (auto p = a.get("--profile")) columns.profile = *p;
  columns.region = a.get("--region");
  if (int rc = make_column_plan(columns, plan, io); rc != k_exit_ok) return rc;
  plan.settings.options.encoding = Encoding::hex;  // decoded back to the 32 digest bytes
  plan.input = a.inputs[0];
  if (*a.get("--output") == "-" || *a.get("--state") == "-" ||
      *a.get("--output") == *a.get("--state")) {
    print_err(io, "-o and --state must be two different files (not -)");
    return k_exit_usage;
  }
  return parse_threads(a, plan.threads, io);
}

int cmd_blind(std::span<char*> args, const Io& io) {
  StepArgs a;
  if (int rc = parse_step(args,
                          {"--key", "--columns", "--profile", "--region", "--id-column",
                           "--threads", "--output", "--state"},
                          a, io);
      rc != k_exit_ok) {
    return rc;
  }
  HashFilePlan plan;
  if (int rc = blind_options(a, plan, io); rc != k_exit_ok) return rc;
  std::optional<psi::Key> key;
  if (int rc = load_key(a, key, io); rc != k_exit_ok) return rc;
  RowIdentifiers ids;
  if (int rc = read_identifiers(plan, *a.get("--id-column"), ids, io); rc != k_exit_ok) {
    return rc;
  }
  if (ids.identifiers.empty()) {
    print_err(io, "psi blind: no row has an identifier that could be hashed; nothing to blind");
    return k_exit_data;
  }
  Prepared p;
  prepare(ids, p);
  if (p.inputs.size() > psi::k_max_elements) {
    print_err(io, "psi blind: more than ", std::to_string(psi::k_max_elements),
              " distinct identifiers; split the input");
    return k_exit_data;
  }
  psi::PsiList list{psi::Stage::blinded, p.kinds, psi::new_list_id(), {}};
  list.elements.resize(p.inputs.size());
  psi::blind_all(*key, p.inputs, list.elements, plan.threads);
  psi::State state;
  state.kinds = list.kinds;
  state.list_id = list.list_id;
  state.key_check = key->check_value();
  state.elements = list.elements.size();
  state.id_column = ids.id_column;
  state.row_ids = std::move(ids.ids);
  state.links = std::move(p.links);
  std::vector<std::uint8_t> state_bytes = psi::encode_state(state);
  int rc = write_file(*a.get("--state"), "--state", state_bytes, 0600, true, io);
  secure_zero(state_bytes.data(), state_bytes.size());
  if (rc != k_exit_ok) return rc;
  if (rc = write_file(*a.get("--output"), "-o", psi::encode_psi(list), umask_mode(), true, io);
      rc != k_exit_ok) {
    return rc;
  }
  print_err(io, "psi blind: elements=", std::to_string(list.elements.size()),
            " rows=", std::to_string(state.row_ids.size()), " kinds=", psi::kind_names(list.kinds));
  return k_exit_ok;
}

// ---- keygen, reblind ---------------------------------------------------------------------------

int cmd_keygen(std::span<char*> args, const Io& io) {
  StepArgs a;
  if (int rc = parse_step(args, {"--output"}, a, io); rc != k_exit_ok) return rc;
  if (int rc = require(a, {"--output"}, io); rc != k_exit_ok) return rc;
  if (!a.inputs.empty() || *a.get("--output") == "-") {
    print_err(io, "psi keygen takes only -o KEY (a file name)");
    return k_exit_usage;
  }
  if (!psi::init()) {
    print_err(io, "libsodium cannot be initialized");
    return k_exit_io;
  }
  const psi::Key key = psi::Key::generate();
  // Never replaces an existing key: a lost key cannot be recovered.
  OutFile f;
  const std::string path = *a.get("--output");
  if (!f.open(path, 0600) || !f.write(key.bytes()) || !f.commit(false)) {
    const int err = errno;
    print_err(io, "-o: cannot write the key file: ", std::strerror(err),
              err == EEXIST ? " (a key is never overwritten)" : "");
    return err == EEXIST ? k_exit_usage : k_exit_io;
  }
  return k_exit_ok;
}

int cmd_reblind(std::span<char*> args, const Io& io) {
  StepArgs a;
  if (int rc =
          parse_step(args, {"--key", "--output", "--threads", "--min-size", "--max-size"}, a, io);
      rc != k_exit_ok) {
    return rc;
  }
  if (int rc = require(a, {"--key", "--output"}, io); rc != k_exit_ok) return rc;
  if (a.inputs.size() != 1 || a.inputs[0] == "-") {
    print_err(io, "psi reblind takes exactly one input list (THEIRS.psi)");
    return k_exit_usage;
  }
  std::size_t threads = 1;
  std::uint64_t min_size = 0, max_size = psi::k_max_elements;
  if (int rc = parse_threads(a, threads, io); rc != k_exit_ok) return rc;
  if (int rc = parse_count(a, "--min-size", 0, psi::k_max_elements, min_size, io);
      rc != k_exit_ok) {
    return rc;
  }
  if (int rc = parse_count(a, "--max-size", 1, psi::k_max_elements, max_size, io);
      rc != k_exit_ok) {
    return rc;
  }
  std::optional<psi::Key> key;
  if (int rc = load_key(a, key, io); rc != k_exit_ok) return rc;
  psi::PsiList list;
  if (int rc =
          load_list(a.inputs[0], "the input list", psi::ElementCheck::structure, threads, list, io);
      rc != k_exit_ok) {
    return rc;
  }
  if (list.stage != psi::Stage::blinded) {
    print_err(io, "the input list: refused: bad_stage (already re-blinded; reblind takes the",
              " other party's blinded list)");
    return k_exit_data;
  }
  const std::size_t n = list.elements.size();
  if (n < min_size || n > max_size) {
    print_err(io, "psi reblind: ", n < min_size ? "below_threshold" : "above_maximum",
              ": the input list has ", std::to_string(n), " elements; nothing written");
    return k_exit_below_threshold;
  }
  if (std::size_t bad = psi::multiply_all(*key, list.elements, threads); bad != psi::k_none) {
    return refuse(io, "the input list", {psi::FileErrc::invalid_element, bad});
  }
  list.stage = psi::Stage::reblinded;
  if (int rc = write_file(*a.get("--output"), "-o", psi::encode_psi(list), umask_mode(), true, io);
      rc != k_exit_ok) {
    return rc;
  }
  print_err(io, "psi reblind: elements=", std::to_string(n),
            " kinds=", psi::kind_names(list.kinds));
  return k_exit_ok;
}

// ---- intersect -------------------------------------------------------------------------------

/// Everything intersect reads, checked against each other.
struct IntersectInputs {
  std::optional<psi::Key> key;
  psi::State state;
  psi::PsiList back, theirs;
  std::optional<psi::PsiList> theirs_back;  ///< --theirs-back: my own reblind of --theirs
};

// --theirs-back: the file my reblind made from --theirs (same list id, count and kinds). A few
// random positions are re-blinded again and compared, so a file made with another key or from
// another list is refused; every element is validated later.
int load_theirs_back(const StepArgs& a, std::size_t threads, IntersectInputs& in, const Io& io) {
  in.theirs_back.emplace();
  psi::PsiList& tb = *in.theirs_back;
  if (int rc = load_list(*a.get("--theirs-back"), "--theirs-back", psi::ElementCheck::structure,
                         threads, tb, io);
      rc != k_exit_ok) {
    return rc;
  }
  const psi::PsiList& t = in.theirs;
  bool same = tb.stage == psi::Stage::reblinded && tb.list_id == t.list_id &&
              tb.elements.size() == t.elements.size() && tb.kinds == t.kinds;
  for (int probe = 0; same && probe < 32; ++probe) {
    const std::size_t i = randombytes_uniform(static_cast<std::uint32_t>(t.elements.size()));
    Element e;
    if (!psi::multiply(*in.key, t.elements[i], e)) {
      return refuse(io, "--theirs", {psi::FileErrc::invalid_element, i});
    }
    same = e == tb.elements[i];
  }
  if (!same) {
    print_err(io, "--theirs-back: refused: not the re-blinded copy of --theirs made with --key");
    return k_exit_data;
  }
  return k_exit_ok;
}

int load_intersect(const StepArgs& a, std::size_t threads, IntersectInputs& in, const Io& io) {
  if (int rc = load_key(a, in.key, io); rc != k_exit_ok) return rc;
  std::vector<std::uint8_t> bytes;
  if (int rc = read_file(*a.get("--state"), "--state", std::uint64_t{1} << 40, bytes, io);
      rc != k_exit_ok) {
    return rc;
  }
  const psi::FileError se = psi::decode_state(bytes, in.state);
  secure_zero(bytes.data(), bytes.size());
  if (!se.ok()) return refuse(io, "--state", se);
  if (sodium_memcmp(in.state.key_check.data(), in.key->check_value().data(), 32) != 0) {
    print_err(io, "--key: refused: not the key this --state was made with");
    return k_exit_data;
  }
  // Elements are checked in full later, on the side that is not multiplied.
  for (auto [opt, list] : {std::pair{"--back", &in.back}, std::pair{"--theirs", &in.theirs}}) {
    if (int rc = load_list(*a.get(opt), opt, psi::ElementCheck::structure, threads, *list, io);
        rc != k_exit_ok) {
      return rc;
    }
  }
  const psi::PsiList& b = in.back;
  if (b.stage != psi::Stage::reblinded || b.list_id != in.state.list_id ||
      b.elements.size() != in.state.elements || b.kinds != in.state.kinds) {
    print_err(io, "--back: refused: not the re-blinded copy of the list this --state belongs to",
              b.stage != psi::Stage::reblinded ? " (bad_stage)" : " (mismatched list)");
    return k_exit_data;
  }
  const psi::PsiList& t = in.theirs;
  if (t.stage != psi::Stage::blinded || t.list_id == in.state.list_id ||
      (t.kinds & in.state.kinds) == 0) {
    print_err(io, "--theirs: refused: ",
              t.stage != psi::Stage::blinded  ? "bad_stage (not a blinded list)"
              : t.list_id == in.state.list_id ? "this is my own list, not the other party's"
                                              : "no field kind in common with my list (mine: " +
                                                    psi::kind_names(in.state.kinds) +
                                                    ", theirs: " + psi::kind_names(t.kinds) + ")");
    return k_exit_data;
  }
  return a.get("--theirs-back") ? load_theirs_back(a, threads, in, io) : k_exit_ok;
}

// Brings both lists to the same blinding (k_mine·k_theirs·H or, cheaper when my list is the
// shorter one, k_theirs·H; with --theirs-back they already are) and marks the elements of mine
// that are in theirs.
int match_elements(IntersectInputs& in, std::size_t threads, std::vector<std::uint8_t>& hit,
                   const Io& io) {
  std::vector<Element>& mine = in.back.elements;
  std::vector<Element>& theirs = in.theirs_back ? in.theirs_back->elements : in.theirs.elements;
  if (in.theirs_back) {
    // Both already carry both keys: nothing to multiply.
    if (std::size_t bad = psi::find_invalid(mine, threads); bad != psi::k_none) {
      return refuse(io, "--back", {psi::FileErrc::invalid_element, bad});
    }
    if (std::size_t bad = psi::find_invalid(theirs, threads); bad != psi::k_none) {
      return refuse(io, "--theirs-back", {psi::FileErrc::invalid_element, bad});
    }
  } else if (mine.size() <= theirs.size()) {
    // k⁻¹·(k'·k·H(x)) = k'·H(x), compared with their k'·H(y).
    if (std::size_t bad = psi::multiply_all(in.key->inverse(), mine, threads); bad != psi::k_none) {
      return refuse(io, "--back", {psi::FileErrc::invalid_element, bad});
    }
    if (std::size_t bad = psi::find_invalid(theirs, threads); bad != psi::k_none) {
      return refuse(io, "--theirs", {psi::FileErrc::invalid_element, bad});
    }
  } else {
    if (std::size_t bad = psi::find_invalid(mine, threads); bad != psi::k_none) {
      return refuse(io, "--back", {psi::FileErrc::invalid_element, bad});
    }
    if (std::size_t bad = psi::multiply_all(*in.key, theirs, threads); bad != psi::k_none) {
      return refuse(io, "--theirs", {psi::FileErrc::invalid_element, bad});
    }
  }
  std::sort(theirs.begin(), theirs.end());
  hit.assign(mine.size(), 0);
  psi::parallel_for(mine.size(), threads, [&](std::size_t begin, std::size_t end) {
    for (std::size_t i = begin; i < end; ++i) {
      hit[i] = std::binary_search(theirs.begin(), theirs.end(), mine[i]) ? 1 : 0;
    }
  });
  return k_exit_ok;
}

// Writes the header and the id of every matched row, in input order.
int write_matched(const std::string& path, const psi::State& state,
                  const std::vector<std::uint8_t>& row_hit, const Io& io) {
  std::string csv;
  append_csv_field(csv, state.id_column, ',');
  csv.push_back('\n');
  for (std::size_t r = 0; r < row_hit.size(); ++r) {
    if (row_hit[r] == 0) continue;
    std::string field;
    append_csv_field(field, state.row_ids[r], ',');
    field.push_back('\n');
    append_zeroed(csv, field);
    secure_clear(field);
  }
  int rc = k_exit_ok;
  if (path == "-") {
    if (std::fwrite(csv.data(), 1, csv.size(), io.out) != csv.size() || std::fflush(io.out) != 0) {
      print_err(io, "cannot write the output");
      rc = k_exit_io;
    }
  } else {
    rc = write_file(path, "-o", as_bytes(csv), 0600, true, io);
  }
  secure_clear(csv);
  return rc;
}

int cmd_intersect(std::span<char*> args, const Io& io) {
  StepArgs a;
  if (int rc = parse_step(args,
                          {"--key", "--state", "--back", "--theirs", "--theirs-back", "--min-size",
                           "--threads", "--output"},
                          a, io);
      rc != k_exit_ok) {
    return rc;
  }
  if (int rc = require(a, {"--key", "--state", "--back", "--theirs", "--output"}, io);
      rc != k_exit_ok) {
    return rc;
  }
  if (!a.inputs.empty()) {
    print_err(io, "psi intersect takes no positional arguments (see hashgate psi --help)");
    return k_exit_usage;
  }
  std::size_t threads = 1;
  std::uint64_t min_size = k_default_min_size;
  if (int rc = parse_threads(a, threads, io); rc != k_exit_ok) return rc;
  if (int rc = parse_count(a, "--min-size", 0, 0xFFFFFFFFull, min_size, io); rc != k_exit_ok) {
    return rc;
  }
  IntersectInputs in;
  if (int rc = load_intersect(a, threads, in, io); rc != k_exit_ok) return rc;
  std::vector<std::uint8_t> hit;
  if (int rc = match_elements(in, threads, hit, io); rc != k_exit_ok) return rc;
  std::vector<std::uint8_t> row_hit(in.state.row_ids.size(), 0);
  for (const psi::Link& l : in.state.links) row_hit[l.row] |= hit[l.element];
  const auto matched = static_cast<std::size_t>(std::count(row_hit.begin(), row_hit.end(), 1));
  if (matched < min_size) {
    // The exact count of a small overlap is itself held back.
    print_err(io, "psi intersect: below_threshold: fewer than ", std::to_string(min_size),
              " rows matched (--min-size); no rows written");
    return k_exit_below_threshold;
  }
  if (int rc = write_matched(*a.get("--output"), in.state, row_hit, io); rc != k_exit_ok) {
    return rc;
  }
  print_err(io, "psi intersect: matched=", std::to_string(matched),
            " rows=", std::to_string(row_hit.size()),
            " mine=", std::to_string(in.back.elements.size()),
            " theirs=", std::to_string(in.theirs.elements.size()));
  return k_exit_ok;
}

}  // namespace

int cmd_psi(std::span<char*> args, const Io& io) {
  const std::string_view step = args.empty() ? std::string_view() : std::string_view(args[0]);
  auto rest = args.empty() ? args : args.subspan(1);
  if (step == "--help" || step == "-h" || step == "help") {
    std::fwrite(k_psi_usage.data(), 1, k_psi_usage.size(), io.out);
    return k_exit_ok;
  }
  for (char* a : rest) {
    if (std::string_view(a) == "--help" || std::string_view(a) == "-h") {
      std::fwrite(k_psi_usage.data(), 1, k_psi_usage.size(), io.out);
      return k_exit_ok;
    }
  }
  if (step == "keygen") return cmd_keygen(rest, io);
  if (step == "blind") return cmd_blind(rest, io);
  if (step == "reblind") return cmd_reblind(rest, io);
  if (step == "intersect") return cmd_intersect(rest, io);
  print_err(io, step.empty() ? "psi: a step is required" : "psi: unknown step",
            " (keygen, blind, reblind, intersect; see hashgate psi --help)");
  return k_exit_usage;
}

}  // namespace hashgate::cli
