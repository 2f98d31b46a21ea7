#!/usr/bin/env python3
"""The straightforward Python peer of `hashgate hash-file --profile meta`: csv + hashlib.

Usage: hash_csv.py IN.csv OUT.csv. E-mail: trim + lowercase. Phone (meta): E.164 digits without
'+': '(0)' trunk marker removed, '00' international prefix dropped, digits kept. Raw columns are
dropped; output columns em, ph hold lowercase SHA-256 hex.
"""
import csv
import hashlib
import sys


def norm_phone(s):
    s = s.strip().replace("(0)", "")
    digits = "".join(c for c in s if c.isdigit())
    if not s.startswith("+") and digits.startswith("00"):
        digits = digits[2:]
    return digits


def main():
    with open(sys.argv[1], newline="", encoding="utf-8") as f_in, \
            open(sys.argv[2], "w", newline="", encoding="utf-8") as f_out:
        r = csv.DictReader(f_in)
        w = csv.writer(f_out)
        w.writerow(["em", "ph"])
        for row in r:
            em = row["email"].strip().lower()
            ph = norm_phone(row["phone"])
            w.writerow([hashlib.sha256(em.encode()).hexdigest(),
                        hashlib.sha256(ph.encode()).hexdigest()])


if __name__ == "__main__":
    main()
