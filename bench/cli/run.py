#!/usr/bin/env python3
"""hash-file benchmark: `hashgate hash-file --profile meta` vs bench/cli/hash_csv.py (csv + hashlib)
on a seeded 1,000,000-row CSV. Prints seconds and the ratio, checks that both outputs agree on a
sample of rows, writes bench/out/cli.json.

Usage: bench/cli/run.py   (env: HASHGATE_CLI=path to the CLI, default build/bin/hashgate;
BENCH_CLI_ROWS=1000000; BENCH_CLI_ROUNDS=3)
"""
import csv
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
CLI = os.path.abspath(os.environ.get("HASHGATE_CLI", os.path.join(ROOT, "build/bin/hashgate")))
ROWS = int(os.environ.get("BENCH_CLI_ROWS", "1000000"))
ROUNDS = max(3, int(os.environ.get("BENCH_CLI_ROUNDS", "3")))
HEX64 = re.compile(r"^[0-9a-f]{64}$")


def fail(msg, code=1):
    print(f"bench/cli: {msg}", file=sys.stderr)
    sys.exit(code)


def timed(cmd):
    t0 = time.perf_counter()
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    t1 = time.perf_counter()
    if r.returncode != 0:
        tail = r.stderr.decode(errors="replace")[-1500:]
        fail(f"{os.path.basename(cmd[0])} exited with {r.returncode}: {tail}")
    return t1 - t0, r.stderr.decode(errors="replace")


def hashes_by_row(path):
    """Per data row, the tuple of its 64-hex cells (column names may differ between tools)."""
    with open(path, newline="", encoding="utf-8") as f:
        r = csv.reader(f)
        next(r, None)
        return [tuple(c for c in row if HEX64.match(c)) for row in r]


def main():
    if not os.path.isfile(CLI) or not os.access(CLI, os.X_OK):
        fail(f"missing {CLI} — build it first (make build); no figure measured", 2)
    load_start = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="hashgate-bench-cli-") as tmp:
        src = os.path.join(tmp, "crm.csv")
        out_cli = os.path.join(tmp, "out-hashgate.csv")
        out_py = os.path.join(tmp, "out-python.csv")
        print(f"[cli] generating {ROWS} rows", file=sys.stderr)
        subprocess.run([sys.executable, os.path.join(HERE, "gen_csv.py"), src, str(ROWS)], check=True)
        # --drop-columns (the default since hash-file drops unlisted columns) kept for clarity; the Python peer writes only the
        # two hashes, so both tools produce the same columns.
        cli_cmd = [CLI, "hash-file", "--profile", "meta", "--columns", "email=em,phone=ph",
                   "--drop-columns", "first_name", src, "-o", out_cli]
        py_cmd = [sys.executable, os.path.join(HERE, "hash_csv.py"), src, out_py]
        t_cli, t_py = [], []
        cli_stderr = ""
        for rnd in range(ROUNDS):
            order = [("cli", cli_cmd), ("py", py_cmd)] if rnd % 2 == 0 else [("py", py_cmd), ("cli", cli_cmd)]
            for name, cmd in order:
                s, err = timed(cmd)
                (t_cli if name == "cli" else t_py).append(s)
                if name == "cli":
                    cli_stderr = err
            print(f"[cli] round {rnd + 1}/{ROUNDS}: hashgate {t_cli[-1]:.3f}s python {t_py[-1]:.3f}s", file=sys.stderr)
        a, b = hashes_by_row(out_cli), hashes_by_row(out_py)
        if len(a) != len(b):
            fail(f"row counts differ: hashgate {len(a)}, python {len(b)}")
        sample = list(range(min(100, len(a)))) + list(range(100, len(a), 997))
        bad = [i for i in sample if a[i] != b[i]]
        if bad:
            fail(f"outputs differ on {len(bad)} of {len(sample)} sampled rows (first data row {bad[0] + 1})")
        print(f"[cli] outputs agree on {len(sample)} sampled rows of {len(a)}", file=sys.stderr)
    m_cli, m_py = statistics.median(t_cli), statistics.median(t_py)
    ratio = m_py / m_cli
    print(f"CLI hash-file, {ROWS:,} rows (email, phone hashed; first_name dropped), median of {ROUNDS} rounds")
    print(f"{'tool':<28} {'seconds':>8} {'rows/s':>12}")
    print(f"{'hashgate hash-file':<28} {m_cli:>8.3f} {ROWS / m_cli:>12,.0f}")
    print(f"{'python csv+hashlib ' + platform.python_version():<28} {m_py:>8.3f} {ROWS / m_py:>12,.0f}")
    print(f"hashgate/python speed ratio: {ratio:.2f}x")
    os.makedirs(os.path.join(ROOT, "bench/out"), exist_ok=True)
    with open(os.path.join(ROOT, "bench/out/cli.json"), "w") as f:
        json.dump({"bench": "cli", "rows": ROWS, "rounds": ROUNDS, "cli": CLI,
                   "cli_command": " ".join(os.path.basename(c) if c == CLI else c for c in cli_cmd),
                   "python": platform.python_version(), "hashgate_seconds": t_cli, "python_seconds": t_py,
                   "hashgate_median_s": m_cli, "python_median_s": m_py, "ratio_vs_python": ratio,
                   "hashgate_stderr_tail": cli_stderr[-500:],
                   "machine": {"nproc": os.cpu_count(), "loadavg_at_start": load_start,
                               "loadavg_at_end": os.getloadavg()}}, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
