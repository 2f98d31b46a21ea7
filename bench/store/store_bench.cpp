// hashgate_store_bench: prints group-commit throughput of the SQLite store. A measurement program
// run on demand, never a test. Closed loop: `clients` virtual clients each keep one request in
// flight and submit the next one from the previous one's done callback (as an HTTP handler
// answering 202 after commit would).
//
//   hashgate_store_bench [--durability normal|full|extra] [--clients N] [--requests N]
//                        [--events N] [--dir PATH]
#include "store.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <future>
#include <mutex>
#include <string>
#include <vector>

namespace {

std::string hex_id(unsigned long n) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016lx", n);
  std::string s;
  for (int i = 0; i < 4; ++i) s += buf;
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  using hashgate::gw::Durability;
  std::string durability = "full";
  int clients = 64;
  int requests = 20000;
  int events = 1;
  std::string dir;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i];
    const char* v = argv[i + 1];
    if (k == "--durability")
      durability = v;
    else if (k == "--clients")
      clients = std::atoi(v);
    else if (k == "--requests")
      requests = std::atoi(v);
    else if (k == "--events")
      events = std::atoi(v);
    else if (k == "--dir")
      dir = v;
    else {
      std::fprintf(stderr, "unknown option %s\n", k.c_str());
      return 64;
    }
  }
  if (clients < 1 || requests < 1 || events < 1) {
    std::fprintf(stderr, "--clients, --requests and --events must be positive\n");
    return 64;
  }
  const bool own_dir = dir.empty();
  if (own_dir) {
    std::string tmpl = (std::filesystem::temp_directory_path() / "hashgate-bench-XXXXXX").string();
    if (mkdtemp(tmpl.data()) == nullptr) return 1;
    dir = tmpl;
  }
  hashgate::gw::StoreConfig cfg;
  cfg.data_dir = dir;
  cfg.durability = durability == "normal"  ? Durability::normal
                   : durability == "extra" ? Durability::extra
                                           : Durability::full;
  std::error_code err;
  std::string why;
  auto store = hashgate::gw::Store::open(cfg, err, why);
  if (!store) {
    std::fprintf(stderr, "%s\n", why.c_str());
    return 1;
  }
  std::mutex mu;
  std::vector<double> commits;
  store->on_commit = [&](double s) {
    std::lock_guard lk(mu);
    commits.push_back(s);
  };

  std::atomic<int> next{0};
  std::atomic<int> finished{0};
  std::atomic<long> accepted{0};
  std::promise<void> all_done;
  std::function<void()> launch;
  launch = [&] {
    const int n = next++;
    if (n >= requests) return;
    std::vector<hashgate::gw::EventRecord> batch;
    for (int e = 0; e < events; ++e) {
      hashgate::gw::EventRecord r;
      r.tenant = "bench";
      r.event_id = "ev-" + std::to_string(n) + "-" + std::to_string(e);
      r.type = "purchase";
      r.time = r.received = 1764374400 + n;
      r.ids = {{"em", hex_id(static_cast<unsigned long>(n) * 2)},
               {"ph", hex_id(static_cast<unsigned long>(n) * 2 + 1)}};
      r.uid = "u" + std::to_string(n % 5000);
      r.online_ids_json = R"({"fbp":"fb.1.1764374400.1"})";
      r.custom_json = R"({"value":59.95,"currency":"EUR"})";
      r.legal_basis = "consent";
      r.consent_summary = R"({"gdpr":1})";
      batch.push_back(std::move(r));
    }
    store->submit(std::move(batch), [&](hashgate::gw::SubmitResult res) {
      if (!res.error) {
        accepted += static_cast<long>(
            std::count(res.outcomes.begin(), res.outcomes.end(), hashgate::gw::Outcome::accepted));
      }
      if (++finished == requests) all_done.set_value();
      launch();
    });
  };
  const auto t0 = std::chrono::steady_clock::now();
  for (int c = 0; c < clients; ++c) launch();
  all_done.get_future().wait();
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  store->close();

  std::sort(commits.begin(), commits.end());
  auto pct = [&](double p) {
    return commits.empty() ? 0.0 : commits[static_cast<std::size_t>(p * (commits.size() - 1))];
  };
  std::printf(
      "durability=%s clients=%d requests=%d events/request=%d\n"
      "  %.0f events/s, %.0f requests/s (%ld accepted in %.2f s)\n"
      "  %zu commits, %.1f events/commit, commit p50 %.2f ms, p99 %.2f ms\n",
      durability.c_str(), clients, requests, events, accepted / secs, requests / secs,
      accepted.load(), secs, commits.size(),
      commits.empty() ? 0.0 : double(accepted) / commits.size(), pct(0.5) * 1e3, pct(0.99) * 1e3);
  if (own_dir) std::filesystem::remove_all(dir);
  return 0;
}
