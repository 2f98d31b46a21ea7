#!/usr/bin/env python3
"""The Python peer of bench/onboarding: the same match with built-in sets.

Reads the records written by `hashgate_onboarding_bench gen DIR` (37 bytes: kind, 32-byte digest,
little-endian owner), then, ROUNDS times, computes the publisher's matched people with the
opt-outs of both sides applied, exactly as the engine defines it: a person matches when an
audience member that has no suppressed id shares an id (kind + digest) with them, and the person
has no suppressed id. Prints one JSON line with the load time and the match times.

Usage: py_match.py DIR [ROUNDS]
"""
import json
import struct
import sys
import time


def load(path):
    with open(path, "rb") as f:
        return list(struct.iter_unpack("<33sI", f.read()))


def match(audience, links, suppressed):
    sup = {k for k, _ in suppressed}
    bad_members = {m for k, m in audience if k in sup}
    good_ids = {k for k, m in audience if m not in bad_members}
    bad_persons = {p for k, p in links if k in sup}
    matched = {p for k, p in links if k in good_ids}
    return matched - bad_persons


def main():
    d = sys.argv[1]
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    t0 = time.perf_counter()
    audience, links, suppressed = (load(f"{d}/{n}.bin") for n in ("audience", "links", "suppressed"))
    load_s = time.perf_counter() - t0
    wall, cpu = [], []
    for _ in range(rounds):
        t0, c0 = time.perf_counter(), time.process_time()
        matched = match(audience, links, suppressed)
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    print(json.dumps({"load_s": load_s, "match_s": wall, "match_cpu_s": cpu, "matched": len(matched),
                      "python": sys.version.split()[0]}))


if __name__ == "__main__":
    main()
