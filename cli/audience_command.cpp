// `hashgate audience push`: CSV → hash-file's engine → batches of ids objects → the gateway's
// POST /v1/audiences/{name}/members, with retries on 429/503. Only digests leave the process.
#include "audience_command.hpp"

#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "csv.hpp"
#include "hashgate/hashgate.hpp"
#include "http_client.hpp"
#include "pipeline.hpp"

namespace hashgate::cli {

namespace {

constexpr std::string_view k_usage =
    "usage: hashgate audience push --gateway URL --api-key-file F --audience NAME\n"
    "           --columns COL=F[,COL=F...] [--profile P] [--region CC] [--ca-file PEM]\n"
    "           [--batch-size N] [--max-body-bytes N] [--max-retries N] [--max-wait S] IN.csv|-\n"
    "  Hashes the named columns (F: em, ph or external_id) of a CSV file with a header row on\n"
    "  this machine and adds one member per row to audience NAME (1-64 of A-Z a-z 0-9 _ -) at\n"
    "  the gateway (http:// or https://), in batches of at most --batch-size rows (default and\n"
    "  maximum 10000) and --max-body-bytes (default 1048576). Only hashes are sent. A batch\n"
    "  answered 429 or 503 is sent again after Retry-After (at most --max-wait seconds, default\n"
    "  60), up to --max-retries times (default 8). --ca-file trusts a PEM CA (default: the\n"
    "  system's). The API key file holds the tenant's secret API key on one line.\n"
    "exit status: 0 ok, 64 bad usage, 65 malformed CSV, 69 gateway unreachable or refusing\n"
    "(batches acknowledged before stay uploaded), 74 cannot read the input\n";

constexpr std::size_t k_max_batch = 10000;
constexpr std::size_t k_max_reported = 10;

using nlohmann::json;

// Prints "hashgate: audience push: " + parts on stderr. Callers never pass a raw value.
template <typename... Parts>
void say(const Io& io, const Parts&... parts) {
  std::string msg = "hashgate: audience push: ";
  (msg.append(std::string_view(parts)), ...);
  msg.push_back('\n');
  std::fwrite(msg.data(), 1, msg.size(), io.err);
  std::fflush(io.err);
}

std::string num(std::size_t n) { return std::to_string(n); }

/// The command line as given.
struct PushArgs {
  std::optional<std::string> gateway, key_file, audience, columns, region, ca_file, batch_size,
      max_body, max_retries, max_wait;
  std::string profile = "meta";
  std::vector<std::string> inputs;
  bool help = false;
};

// Option names safe to repeat in a message (never a mistyped value).
bool printable_option(std::string_view s) {
  if (s.size() < 3 || s.size() > 40 || s.substr(0, 2) != "--") return false;
  return std::all_of(s.begin() + 2, s.end(),
                     [](char c) { return (c >= 'a' && c <= 'z') || c == '-'; });
}

int parse_push_args(std::span<char*> args, PushArgs& a, const Io& io) {
  std::optional<std::string> profile;
  const std::pair<std::string_view, std::optional<std::string>*> options[] = {
      {"--gateway", &a.gateway},         {"--api-key-file", &a.key_file},
      {"--audience", &a.audience},       {"--columns", &a.columns},
      {"--profile", &profile},           {"--region", &a.region},
      {"--ca-file", &a.ca_file},         {"--batch-size", &a.batch_size},
      {"--max-body-bytes", &a.max_body}, {"--max-retries", &a.max_retries},
      {"--max-wait", &a.max_wait}};
  bool only_values = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view arg = args[i];
    if (only_values || arg == "-" || arg.empty() || arg[0] != '-') {
      a.inputs.emplace_back(arg);
    } else if (arg == "--") {
      only_values = true;
    } else if (arg == "-h" || arg == "--help") {
      a.help = true;
    } else {
      const std::size_t eq = arg.find('=');
      const std::string_view name = arg.substr(0, eq);
      auto it = std::find_if(std::begin(options), std::end(options),
                             [&](const auto& o) { return o.first == name; });
      if (it == std::end(options)) {
        if (printable_option(name)) {
          say(io, "unknown option ", name, " (see hashgate audience push --help)");
        } else {
          say(io, "unknown option in argument ", num(i + 1));
        }
        return k_exit_usage;
      }
      if (eq == std::string_view::npos && i + 1 >= args.size()) {
        say(io, name, ": missing argument");
        return k_exit_usage;
      }
      *it->second = eq != std::string_view::npos ? std::string(arg.substr(eq + 1)) : args[++i];
    }
  }
  if (profile) a.profile = *profile;
  return k_exit_ok;
}

/// One hashed column: its header name and SDK field.
struct PushColumn {
  std::string name;
  Field field{};
};

/// Everything the upload needs, checked.
struct PushSettings {
  GatewayUrl url;
  std::string key;  // the API key; zeroed on destruction
  std::string audience, ca_file, input;
  const Profile* profile = nullptr;
  Options options;
  std::vector<PushColumn> columns;
  std::size_t batch_size = k_max_batch, max_body = 1 << 20;
  std::size_t max_retries = 8;
  std::chrono::seconds max_wait{60};
  ~PushSettings() { secure_clear(key); }
};

// Parses an optional decimal option within [lo, hi]; prints and returns false when it is not.
bool number_option(const Io& io, const char* name, const std::optional<std::string>& v,
                   std::size_t lo, std::size_t hi, std::size_t& out) {
  if (!v) return true;
  std::size_t n = 0;
  const auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
  if (v->empty() || ec != std::errc() || end != v->data() + v->size() || n < lo || n > hi) {
    say(io, name, ": expected a number from ", num(lo), " to ", num(hi));
    return false;
  }
  out = n;
  return true;
}

// Reads the API key: one line of printable ASCII without spaces, a trailing newline removed.
bool read_api_key(const std::string& path, std::string& key) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  char buf[4096];
  ssize_t n;
  do {
    n = ::read(fd, buf, sizeof buf);
  } while (n < 0 && errno == EINTR);
  ::close(fd);
  if (n > 0) key.assign(buf, static_cast<std::size_t>(n));
  secure_zero(buf, sizeof buf);
  if (!key.empty() && key.back() == '\n') key.pop_back();
  if (!key.empty() && key.back() == '\r') key.pop_back();
  const bool ok = n > 0 && n < static_cast<ssize_t>(sizeof buf) && !key.empty() &&
                  std::all_of(key.begin(), key.end(), [](char c) { return c > ' ' && c < 0x7F; });
  if (!ok) secure_clear(key);
  return ok;
}

int resolve_columns(const std::string& spec, std::vector<PushColumn>& out, const Io& io) {
  std::size_t start = 0;
  while (start <= spec.size()) {
    const std::size_t comma = std::min(spec.find(',', start), spec.size());
    const std::string_view item = std::string_view(spec).substr(start, comma - start);
    start = comma + 1;
    const std::size_t eq = item.find('=');
    if (eq == std::string_view::npos || eq == 0) {
      say(io, "--columns: each entry must be COLUMN=FIELD, e.g. email=em");
      return k_exit_usage;
    }
    const auto f = field_by_name(item.substr(eq + 1));
    if (!f || (*f != Field::em && *f != Field::ph && *f != Field::external_id)) {
      say(io, "--columns: ", item.substr(0, eq),
          ": a member is identified by em, ph or external_id only");
      return k_exit_usage;
    }
    for (const PushColumn& c : out) {
      if (c.field == *f) {
        say(io, "--columns: ", field_name(*f), " is named twice (one value per member)");
        return k_exit_usage;
      }
    }
    out.push_back(PushColumn{std::string(item.substr(0, eq)), *f});
  }
  return k_exit_ok;
}

int resolve_push(const PushArgs& a, PushSettings& s, const Io& io) {
  for (const auto& [value, name] :
       {std::pair{&a.gateway, "--gateway URL"}, std::pair{&a.key_file, "--api-key-file F"},
        std::pair{&a.audience, "--audience NAME"},
        std::pair{&a.columns, "--columns COL=F[,...]"}}) {
    if (!*value) {
      say(io, name, " is required");
      return k_exit_usage;
    }
  }
  if (a.inputs.size() != 1) {
    say(io, "exactly one input file is required (- for stdin)");
    return k_exit_usage;
  }
  s.input = a.inputs[0];
  const auto url = parse_gateway_url(*a.gateway);
  if (!url) {
    say(io, "--gateway: expected http://HOST[:PORT][/PATH] or https://...");
    return k_exit_usage;
  }
  s.url = *url;
  if (!valid_audience_name(*a.audience)) {
    say(io, "--audience: 1-64 letters, digits, '_' or '-'");
    return k_exit_usage;
  }
  s.audience = *a.audience;
  s.profile = profile_by_name(a.profile);
  if (s.profile == nullptr) {
    say(io, "--profile: ", code_name(Errc::unsupported_profile));
    return k_exit_usage;
  }
  if (a.region) {
    const auto r = region_by_code(*a.region);
    if (!r) {
      say(io, "--region: ", code_name(Errc::invalid_region));
      return k_exit_usage;
    }
    s.options.region = *r;
  }
  s.options.encoding = Encoding::hex;  // the gateway's canonical form
  if (int rc = resolve_columns(*a.columns, s.columns, io); rc != k_exit_ok) return rc;
  std::size_t wait = 60;
  if (!number_option(io, "--batch-size", a.batch_size, 1, k_max_batch, s.batch_size) ||
      !number_option(io, "--max-body-bytes", a.max_body, 4096, 64u << 20, s.max_body) ||
      !number_option(io, "--max-retries", a.max_retries, 0, 100, s.max_retries) ||
      !number_option(io, "--max-wait", a.max_wait, 1, 3600, wait)) {
    return k_exit_usage;
  }
  s.max_wait = std::chrono::seconds(wait);
  if (a.ca_file) s.ca_file = *a.ca_file;
  if (!read_api_key(*a.key_file, s.key)) {
    say(io, "--api-key-file: cannot read one line of printable characters from it");
    return k_exit_usage;
  }
  return k_exit_ok;
}

/// What the gateway reported, summed over the batches.
struct Totals {
  std::size_t sent = 0, added = 0, removed = 0, members = 0, opted_out = 0, rejected = 0;
  std::size_t batches = 0, retries = 0;
};

// A short error code from an answer body ({"error": "snake_case"}), or "" (never echoes more).
std::string error_name(const std::string& body) {
  const json j = json::parse(body, nullptr, false);
  if (!j.is_object() || !j.contains("error") || !j["error"].is_string()) return "";
  const auto& e = j["error"].get_ref<const std::string&>();
  const bool ok = !e.empty() && e.size() <= 40 && std::all_of(e.begin(), e.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
  return ok ? e : "";
}

// The count at `key` of an answer object, 0 if absent or not a count.
std::size_t count_of(const json& j, const char* key) {
  if (!j.contains(key) || !j[key].is_number_unsigned()) return 0;
  return j[key].get<std::size_t>();
}

/// Collects members into batches and sends each with retries.
class Uploader {
 public:
  Uploader(const PushSettings& s, const Io& io)
      : m_s(s),
        m_io(io),
        m_client(s.url, HttpOptions{s.ca_file}),
        m_target(s.url.base + "/v1/audiences/" + s.audience + "/members"),
        m_instant(std::getenv(k_env_instant_retry) != nullptr &&
                  std::string_view(std::getenv(k_env_instant_retry)) == "1") {
    m_headers.emplace_back("Authorization", "Bearer " + s.key);
    m_progress = ::isatty(io.err_fd) == 1;
  }
  ~Uploader() {
    secure_clear(m_body);
    secure_clear(m_headers[0].second);
  }

  /// Adds one member (a JSON ids object); sends the batch first if it would overflow.
  /// Returns k_exit_ok or the exit status to stop with.
  int add(std::string_view member) {
    if (m_entries > 0 &&
        (m_entries == m_s.batch_size || m_body.size() + member.size() + 3 > m_s.max_body)) {
      if (int rc = send(); rc != k_exit_ok) return rc;
    }
    append_zeroed(m_body, m_entries == 0 ? "{\"add\":[" : ",");
    append_zeroed(m_body, member);
    ++m_entries;
    return k_exit_ok;
  }
  /// Sends the last, partial batch.
  int finish() { return m_entries > 0 ? send() : k_exit_ok; }
  const Totals& totals() const { return m_totals; }

 private:
  int send();
  int accept(const HttpAnswer& answer);
  void pause(std::chrono::seconds d) {
    if (!m_instant) std::this_thread::sleep_for(d);
  }

  const PushSettings& m_s;
  const Io& m_io;
  HttpClient m_client;
  std::string m_target;
  std::vector<std::pair<std::string, std::string>> m_headers;
  bool m_instant = false, m_progress = false;
  std::string m_body;
  std::size_t m_entries = 0;
  Totals m_totals;
};

int Uploader::send() {
  append_zeroed(m_body, "]}");
  const std::string batch = "batch " + num(m_totals.batches + 1);
  for (std::size_t attempt = 0;; ++attempt) {
    HttpAnswer answer;
    std::string why;
    const bool answered = m_client.post(m_target, m_body, m_headers, answer, why);
    if (answered && answer.status >= 200 && answer.status < 300) return accept(answer);
    const bool retry = !answered || answer.status == 429 || answer.status == 503;
    const std::string what = answered ? "HTTP " + std::to_string(answer.status) : why;
    if (!retry || attempt >= m_s.max_retries) {
      if (answered) {
        const std::string code = error_name(answer.body);
        say(m_io, batch, ": the gateway answered ", what, code.empty() ? "" : " (" + code + ")",
            answer.status == 413 ? "; lower --batch-size or --max-body-bytes" : "");
      } else {
        say(m_io, batch, ": ", what);
      }
      if (retry) say(m_io, batch, ": giving up after ", num(attempt), " retries");
      say(m_io, num(m_totals.batches), " batches (", num(m_totals.sent),
          " members) were acknowledged before");
      return k_exit_unavailable;
    }
    const auto delay =
        retry_delay(answered ? answer.retry_after : "", static_cast<int>(attempt + 1), m_s.max_wait,
                    std::chrono::system_clock::now());
    say(m_io, batch, ": ", what, ", retry ", num(attempt + 1), " of ", num(m_s.max_retries), " in ",
        num(static_cast<std::size_t>(delay.count())), " s");
    ++m_totals.retries;
    pause(delay);
  }
}

int Uploader::accept(const HttpAnswer& answer) {
  const json j = json::parse(answer.body, nullptr, false);
  if (!j.is_object()) {
    say(m_io, "batch ", num(m_totals.batches + 1), ": the gateway's answer is not a JSON object");
    return k_exit_unavailable;
  }
  ++m_totals.batches;
  m_totals.sent += m_entries;
  m_totals.added += count_of(j, "added");
  m_totals.removed += count_of(j, "removed");
  m_totals.members = count_of(j, "members");
  if (j.contains("dropped") && j["dropped"].is_object()) {
    m_totals.opted_out += count_of(j["dropped"], "opted_out");
  }
  if (j.contains("rejected") && j["rejected"].is_array()) m_totals.rejected += j["rejected"].size();
  const std::string line = "batch " + num(m_totals.batches) + ": " + num(m_totals.sent) +
                           " members sent, added " + num(m_totals.added) + ", opted out " +
                           num(m_totals.opted_out) + ", rejected " + num(m_totals.rejected);
  if (m_progress) {
    const std::string p = "\rhashgate: audience push: " + line;
    std::fwrite(p.data(), 1, p.size(), m_io.err);
    std::fflush(m_io.err);
  } else {
    say(m_io, line);
  }
  secure_clear(m_body);
  m_entries = 0;
  return k_exit_ok;
}

/// The one adapter over hash-file's engine (pipeline.hpp): hashes the rows of `c` as `plan` says
/// and calls `member(row, ids_object)` for every row with at least one digest. `names[i]` is the
/// ids key of the i-th hashed field of an output row (hashed columns in input order).
template <typename Member>
void hash_members(const RowPlan& plan, const std::vector<std::string_view>& names, Chunk& c,
                  Member member) {
  process_chunk(plan, c);
  std::string obj;
  std::size_t begin = 0;
  for (std::size_t r = 0; r < c.row_ends.size(); ++r) {
    const std::string_view row(c.out.data() + begin, c.row_ends[r] - begin - 1);  // no '\n'
    begin = c.row_ends[r];
    obj.clear();
    obj.push_back('{');
    std::size_t field = 0, start = 0;
    for (std::size_t i = 0; i <= row.size(); ++i) {
      if (i < row.size() && row[i] != plan.delimiter) continue;
      if (i > start) {
        append_zeroed(obj, obj.size() > 1 ? ",\"" : "\"");
        append_zeroed(obj, names[field]);
        append_zeroed(obj, "\":\"");
        append_zeroed(obj, row.substr(start, i - start));
        append_zeroed(obj, "\"");
      }
      ++field;
      start = i + 1;
    }
    if (obj.size() > 1) {
      obj.push_back('}');
      member(r, std::string_view(obj));
    }
  }
  secure_clear(obj);
}

/// Reading state of one push: the CSV, the plan and the counters.
struct PushRun {
  CsvReader reader;
  std::size_t ncols = 0;
  RowPlan plan;
  std::vector<std::string_view> names;  // ids key per output field
  std::size_t rows = 0, members = 0, invalid = 0, empty = 0, reported = 0;
  enum class End { more, clean, csv_error, field_count } end = End::more;
  std::size_t end_line = 0, end_found = 0;

  explicit PushRun(int fd) : reader(fd_source(fd)) {}
};

// Reads the header and builds the plan: hashed columns in input order, every other column
// dropped. Returns k_exit_ok or the exit status.
int plan_columns(PushRun& run, const PushSettings& s, const Io& io) {
  CsvRecord rec;
  if (!run.reader.next(rec)) {
    if (run.reader.error() == CsvErrc::read_error) {
      say(io, "cannot read the input");
      return k_exit_io;
    }
    if (run.reader.error() != CsvErrc::ok) {
      say(io, "line ", num(run.reader.line()),
          ": malformed CSV: ", csv_error_name(run.reader.error()));
    } else {
      say(io, "the input is empty; a header row is required");
    }
    return k_exit_data;
  }
  run.ncols = rec.size();
  run.plan.profile = s.profile;
  run.plan.options = s.options;
  run.plan.kind.assign(run.ncols, 1);
  for (std::size_t k = 0; k < s.columns.size(); ++k) {
    std::size_t found = 0, index = 0;
    for (std::size_t i = 0; i < run.ncols; ++i) {
      if (rec[i] == s.columns[k].name) ++found, index = i;
    }
    if (found != 1) {
      say(io, "--columns: column ", s.columns[k].name,
          found == 0 ? " is not in the header" : " appears more than once in the header");
      return k_exit_usage;
    }
    run.plan.hashed.push_back(RowPlan::Hashed{s.columns[k].field, index});
    run.plan.kind[index] = 2 + k;
  }
  for (std::size_t i = 0; i < run.ncols; ++i) {
    if (run.plan.kind[i] < 2) continue;
    run.names.push_back(field_name(s.columns[run.plan.kind[i] - 2].field));
  }
  return k_exit_ok;
}

// Parses rows into `c` until it is full or the input ends.
void fill_chunk(PushRun& run, Chunk& c) {
  while (c.rows() < k_chunk_rows && c.fields.bytes() < k_chunk_bytes) {
    const std::size_t before = c.fields.size();
    if (!run.reader.next_append(c.fields)) {
      run.end = run.reader.error() == CsvErrc::ok ? PushRun::End::clean : PushRun::End::csv_error;
      run.end_line = run.reader.line();
      return;
    }
    if (c.fields.size() - before != run.ncols) {
      run.end = PushRun::End::field_count;
      run.end_line = run.reader.line();
      run.end_found = c.fields.size() - before;
      return;
    }
    c.lines.push_back(run.reader.line());
  }
}

// Reports the invalid values of a processed chunk like hash-file; a usage error stops the run.
int report_events(PushRun& run, const PushSettings& s, const Chunk& c, const Io& io) {
  for (const RowEvent& ev : c.events) {
    const PushColumn& col = s.columns[ev.column];
    if (is_usage_error(ev.error)) {
      say(io, "--columns: ", col.name, " (", field_name(col.field), "): ", code_name(ev.error));
      return k_exit_usage;
    }
    ++run.invalid;
    if (run.reported < k_max_reported) {
      say(io, "line ", num(c.lines[ev.row]), ": column ", col.name, " (", field_name(col.field),
          "): ", code_name(ev.error));
    } else if (run.reported == k_max_reported) {
      say(io, "further invalid values are only counted in the summary");
    }
    ++run.reported;
  }
  for (const ColumnCounts& k : c.counts) run.empty += k.empty;
  return k_exit_ok;
}

// Reads, hashes and uploads the whole input. Returns the exit status.
int push(const PushSettings& s, const Io& io) {
  int fd = io.in_fd;
  if (s.input != "-") fd = ::open(s.input.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    say(io, "cannot open the input file: ", std::strerror(errno));
    return k_exit_usage;
  }
  struct Closer {
    int fd;
    bool on;
    ~Closer() {
      if (on) ::close(fd);
    }
  } closer{fd, s.input != "-"};
  PushRun run(fd);
  if (int rc = plan_columns(run, s, io); rc != k_exit_ok) return rc;
  Uploader up(s, io);
  Chunk chunk;  // sized up front, as hash-file's, so that filling it never leaves copies behind
  chunk.fields.reserve(k_chunk_bytes + (64 << 10));
  chunk.out.reserve(2 * k_chunk_bytes);
  int rc = k_exit_ok;
  while (run.end == PushRun::End::more && rc == k_exit_ok) {
    fill_chunk(run, chunk);
    hash_members(run.plan, run.names, chunk, [&](std::size_t, std::string_view member) {
      if (rc == k_exit_ok) rc = up.add(member);
      ++run.members;
    });
    run.rows += chunk.rows();
    if (rc == k_exit_ok) rc = report_events(run, s, chunk, io);
    chunk.wipe();
  }
  if (rc != k_exit_ok) return rc;
  if (run.end == PushRun::End::field_count) {
    say(io, "line ", num(run.end_line), ": malformed CSV: expected ", num(run.ncols),
        " fields, found ", num(run.end_found));
    return k_exit_data;
  }
  if (run.reader.error() == CsvErrc::read_error) {
    say(io, "cannot read the input");
    return k_exit_io;
  }
  if (run.end == PushRun::End::csv_error) {
    say(io, "line ", num(run.end_line), ": malformed CSV: ", csv_error_name(run.reader.error()));
    return k_exit_data;
  }
  if (rc = up.finish(); rc != k_exit_ok) return rc;
  const Totals& t = up.totals();
  say(io, "rows=", num(run.rows), " members=", num(run.members), " invalid=", num(run.invalid),
      " empty=", num(run.empty), " batches=", num(t.batches), " retries=", num(t.retries));
  say(io, "gateway: added=", num(t.added), " removed=", num(t.removed),
      " opted_out=", num(t.opted_out), " rejected=", num(t.rejected),
      " audience_members=", num(t.members));
  return k_exit_ok;
}

}  // namespace

bool valid_audience_name(std::string_view name) noexcept {
  if (name.empty() || name.size() > 64) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
  });
}

std::chrono::seconds retry_delay(std::string_view retry_after, int attempt,
                                 std::chrono::seconds cap,
                                 std::chrono::system_clock::time_point now) {
  std::optional<std::int64_t> wait;
  std::int64_t n = 0;
  const auto [end, ec] =
      std::from_chars(retry_after.data(), retry_after.data() + retry_after.size(), n);
  if (!retry_after.empty() && ec == std::errc() && end == retry_after.data() + retry_after.size()) {
    wait = n;
  } else if (retry_after.size() == 29 && retry_after.substr(25) == " GMT") {
    std::tm tm{};  // IMF-fixdate, e.g. "Sun, 06 Nov 1994 08:49:37 GMT"
    const std::string text(retry_after);
    if (const char* e = ::strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm); e && !*e) {
      wait = std::max<std::int64_t>(
          0, static_cast<std::int64_t>(::timegm(&tm)) - std::chrono::system_clock::to_time_t(now));
    }
  }
  if (!wait || *wait < 0) wait = std::int64_t{1} << std::clamp(attempt - 1, 0, 20);
  return std::chrono::seconds(std::min<std::int64_t>(*wait, cap.count()));
}

int cmd_audience(std::span<char*> args, const Io& io) {
  if (args.empty() || std::string_view(args[0]) != "push") {
    const bool help = !args.empty() &&
                      (std::string_view(args[0]) == "--help" || std::string_view(args[0]) == "-h");
    std::fwrite(k_usage.data(), 1, k_usage.size(), help ? io.out : io.err);
    return help ? k_exit_ok : k_exit_usage;
  }
  PushArgs a;
  if (int rc = parse_push_args(args.subspan(1), a, io); rc != k_exit_ok) return rc;
  if (a.help) {
    std::fwrite(k_usage.data(), 1, k_usage.size(), io.out);
    return k_exit_ok;
  }
  PushSettings s;
  if (int rc = resolve_push(a, s, io); rc != k_exit_ok) return rc;
  return push(s, io);
}

}  // namespace hashgate::cli
