#!/usr/bin/env python3
"""Onboarding match benchmark (issue 14): a 1,000,000-member audience against a publisher graph
of 5,000,000 links, opt-outs of both sides applied, next to two peers doing the same
intersection on the same data:

- hashgate: `match_audience` (gateway/onboarding) on the data in memory; and, as a preview of the
  gateway's path, the same after reading every input out of SQLite with the C API;
- sqlite3: the Debian `sqlite3` shell running bench/onboarding/peer.sql on the same SQLite file
  (the graph clustered on (kind, digest), the audience indexed on it);
- python: bench/onboarding/py_match.py, built-in sets over the records in memory.

The data is generated once, deterministically, by `hashgate_onboarding_bench gen`. Rounds are
interleaved (the order rotates) so that load from other processes spreads over all tools. All
tools must report the same matched count. Prints a table (median wall seconds, CPU seconds,
ratios) and writes bench/out/onboarding.json.

Usage: bench/onboarding/run.py   (env: HASHGATE_ONBOARDING_BENCH=path to the bench program,
default build/bin/hashgate_onboarding_bench; BENCH_ONB_MEMBERS=1000000; BENCH_ONB_LINKS=5000000;
BENCH_ONB_ROUNDS=3; BENCH_ONB_DIR=folder to keep the generated data in between runs)
"""
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
BENCH = os.path.abspath(os.environ.get("HASHGATE_ONBOARDING_BENCH",
                                       os.path.join(ROOT, "build/bin/hashgate_onboarding_bench")))
MEMBERS = int(os.environ.get("BENCH_ONB_MEMBERS", "1000000"))
LINKS = int(os.environ.get("BENCH_ONB_LINKS", "5000000"))
ROUNDS = max(1, int(os.environ.get("BENCH_ONB_ROUNDS", "3")))


def fail(msg, code=1):
    print(f"bench/onboarding: {msg}", file=sys.stderr)
    sys.exit(code)


def run(cmd, stdin=None):
    """Runs cmd; returns (wall seconds, CPU seconds of the child, stdout)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    r = subprocess.run(cmd, stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if r.returncode != 0:
        fail(f"{' '.join(cmd)} exited with {r.returncode}: {r.stderr.decode(errors='replace')[-800:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, r.stdout.decode()


def generate(data):
    marker = os.path.join(data, f"gen-{MEMBERS}-{LINKS}.json")
    if os.path.exists(marker):
        print(f"[onboarding] reusing the data in {data}", file=sys.stderr)
        return
    print(f"[onboarding] generating {MEMBERS:,} members and {LINKS:,} links in {data}", file=sys.stderr)
    _, _, out = run([BENCH, "gen", data, str(MEMBERS), str(LINKS)])
    with open(marker, "w") as f:
        f.write(out)


def one_round(data, rnd, results):
    """Runs every tool once, in an order that rotates with the round."""
    def ours():
        _, _, out = run([BENCH, "match", data, "1"])
        j = json.loads(out)
        results["hashgate"].append((j["match_s"][0], j["match_cpu_s"][0], j["matched"]))
        results["hashgate_load_s"].append(j["load_s"])

    def ours_sqlite():
        _, _, out = run([BENCH, "match-sqlite", data, "1"])
        j = json.loads(out)
        results["hashgate_sqlite"].append((j["total_s"][0], j["total_cpu_s"][0], j["matched"]))
        results["hashgate_sqlite_read_s"].append(j["read_s"][0])

    def python():
        _, _, out = run([sys.executable, os.path.join(HERE, "py_match.py"), data, "1"])
        j = json.loads(out)
        results["python"].append((j["match_s"][0], j["match_cpu_s"][0], j["matched"]))
        results["python_load_s"].append(j["load_s"])

    def sqlite():
        with open(os.path.join(HERE, "peer.sql"), "rb") as sql:
            wall, cpu, out = run(["sqlite3", os.path.join(data, "peer.db")], stdin=sql)
        results["sqlite3"].append((wall, cpu, int(out.strip())))

    tools = [ours, python, sqlite, ours_sqlite]
    k = rnd % len(tools)
    for t in tools[k:] + tools[:k]:
        t()
    last = {name: results[name][-1] for name in ("hashgate", "python", "sqlite3", "hashgate_sqlite")}
    print(f"[onboarding] round {rnd + 1}/{ROUNDS}: " +
          " ".join(f"{n} {w:.3f}s" for n, (w, _, _) in last.items()), file=sys.stderr)


def main():
    if not os.access(BENCH, os.X_OK):
        fail(f"missing {BENCH} — build it first (make build); no figure measured", 2)
    if shutil.which("sqlite3") is None:
        fail("the sqlite3 shell is missing (Debian package sqlite3, scripts/deps.sh)", 2)
    load_start = os.getloadavg()
    keep = os.environ.get("BENCH_ONB_DIR")
    tmp = None if keep else tempfile.TemporaryDirectory(prefix="hashgate-bench-onb-")
    data = keep or tmp.name
    os.makedirs(data, exist_ok=True)
    try:
        generate(data)
        results = {k: [] for k in ("hashgate", "hashgate_sqlite", "python", "sqlite3", "hashgate_load_s",
                                   "hashgate_sqlite_read_s", "python_load_s")}
        for rnd in range(ROUNDS):
            one_round(data, rnd, results)
    finally:
        if tmp:
            tmp.cleanup()
    report(results, load_start)


def report(results, load_start):
    counts = {n: {m for _, _, m in results[n]} for n in ("hashgate", "hashgate_sqlite", "python", "sqlite3")}
    if len(set().union(*counts.values())) != 1:
        fail(f"the tools disagree on the matched count: {counts}")
    matched = counts["hashgate"].pop()
    med = {n: (statistics.median(w for w, _, _ in results[n]), statistics.median(c for _, c, _ in results[n]))
           for n in counts}
    ours, ours_cpu = med["hashgate"]
    faster = min(("python", "sqlite3"), key=lambda n: med[n][0])
    ratio = med[faster][0] / ours
    print(f"Onboarding match: {MEMBERS:,}-member audience x {LINKS:,}-link publisher graph, opt-outs of "
          f"both sides; {matched:,} people matched; median of {ROUNDS} interleaved rounds")
    print(f"{'tool':<44} {'wall s':>8} {'CPU s':>8} {'wall vs ours':>13}")
    rows = [("hashgate match_audience (in memory)", "hashgate"),
            (f"python {platform.python_version()} sets (in memory)", "python"),
            ("sqlite3 shell, one query (peer.db)", "sqlite3"),
            ("hashgate, inputs read from SQLite + match", "hashgate_sqlite")]
    for label, n in rows:
        w, c = med[n]
        print(f"{label:<44} {w:>8.3f} {c:>8.3f} {w / ours:>12.2f}x")
    print(f"(load from files, not timed above: hashgate {statistics.median(results['hashgate_load_s']):.3f}s, "
          f"python {statistics.median(results['python_load_s']):.3f}s)")
    print(f"hashgate vs the faster peer ({faster}): {ratio:.2f}x wall, {med[faster][1] / ours_cpu:.2f}x CPU")
    os.makedirs(os.path.join(ROOT, "bench/out"), exist_ok=True)
    with open(os.path.join(ROOT, "bench/out/onboarding.json"), "w") as f:
        json.dump({"bench": "onboarding", "program": BENCH, "members": MEMBERS, "links": LINKS,
                   "rounds": ROUNDS, "matched": matched, "raw": results,
                   "hashgate_match_s": ours, "hashgate_match_cpu_s": ours_cpu,
                   "hashgate_sqlite_total_s": med["hashgate_sqlite"][0],
                   "python_match_s": med["python"][0], "sqlite3_s": med["sqlite3"][0],
                   "faster_peer": faster, "ratio_vs_faster_peer": ratio,
                   "ratio_vs_faster_peer_cpu": med[faster][1] / ours_cpu,
                   "python": platform.python_version(),
                   "machine": {"nproc": os.cpu_count(), "loadavg_at_start": load_start,
                               "loadavg_at_end": os.getloadavg()}}, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
