#!/usr/bin/env python3
"""Writes a seeded, synthetic CRM export (email, phone, first_name) for the hash-file benchmark.

Usage: gen_csv.py OUT.csv [ROWS]. Every e-mail and phone is unique (derived from the row number),
made up from small word lists, in the messy shapes CRM exports have: mixed case, stray spaces,
plus-tags, phones in international form with spaces, dashes, brackets and a '(0)' trunk marker.
"""
import csv
import random
import sys

FIRST = ["Anna", "Jan", "Pieter", "Sophie", "Lucas", "Emma", "Noah", "Julia", "Daan", "Tess",
         "Mohammed", "Fatima", "Li", "Wei", "Olga", "Ivan", "Maria", "José", "Giulia", "Marco",
         "Chloé", "Louis", "Hannah", "Felix", "Aisha", "Kofi", "Priya", "Arjun", "Yuki", "Sven"]
LAST = ["jansen", "de.vries", "bakker", "visser", "smit", "meijer", "smith", "garcia", "muller",
        "rossi", "dubois", "nowak", "tanaka", "kim", "nguyen", "okafor", "patel", "silva"]
DOMAINS = ["gmail.com", "gmail.com", "gmail.com", "outlook.com", "hotmail.com", "yahoo.com",
           "icloud.com", "ziggo.nl", "kpnmail.nl", "web.de", "orange.fr", "example-shop.co.uk"]
SPACES = ["", "", "", "", " ", "  ", "\t"]


def email(rnd, i):
    first = rnd.choice(FIRST).lower().replace("é", "e")
    local = f"{first}.{rnd.choice(LAST)}{i}"
    if rnd.random() < 0.1:
        local += "+crm"
    addr = f"{local}@{rnd.choice(DOMAINS)}"
    mode = rnd.random()
    if mode < 0.2:
        addr = addr.upper()
    elif mode < 0.4:
        addr = addr[0].upper() + addr[1:]
    return rnd.choice(SPACES) + addr + rnd.choice(SPACES)


def phone(rnd, i):
    # 8 subscriber digits, a bijection of the row number (48271 is coprime with 10**8).
    d = f"{(i * 48271 + 1_000_003) % 100_000_000:08d}"
    shape = rnd.randrange(6)
    if shape == 0:  # Dutch mobile
        return f"+31 6 {d[:4]} {d[4:]}"
    if shape == 1:  # Dutch mobile with trunk marker
        return f"+31 (0)6 {d}"
    if shape == 2:  # Dutch mobile, 00 prefix
        return f"0031 6 {d}"
    if shape == 3:  # US (NANP: area code and exchange start with 2-9)
        area = f"{rnd.randrange(2, 10)}{rnd.randrange(10)}{rnd.randrange(10)}"
        return f"+1 ({area}) {2 + int(d[0]) % 8}{d[1:3]}-{d[3:7]}"
    if shape == 4:  # UK London with trunk marker
        return f"+44 (0)20 {d[:4]} {d[4:]}"
    return f"+33 6 {d[:2]} {d[2:4]} {d[4:6]} {d[6:]}"  # French mobile


def main():
    out = sys.argv[1]
    rows = int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000
    rnd = random.Random(20261129)
    with open(out, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["email", "phone", "first_name"])
        for i in range(rows):
            w.writerow([email(rnd, i), phone(rnd, i), rnd.choice(FIRST)])


if __name__ == "__main__":
    main()
