"""The receiver-side check of docs/destinations.md, run by the deliver suite against requests the
C++ worker really sent. Usage: python3 verify_webhook.py CASES.json -> exit 0 when every case
verifies exactly as its "expect" says."""
import base64
import hashlib
import hmac
import json
import sys
import time


# --- the verifier shown in docs/destinations.md ---------------------------------------------------
def verify_hashgate(secret: bytes, header: str, raw_body: bytes, now=None, tolerance=300) -> bool:
    fields = dict(kv.strip().split("=", 1) for kv in header.split(",") if "=" in kv)
    try:
        t = int(fields["t"])
    except (KeyError, ValueError):
        return False
    if abs((time.time() if now is None else now) - t) > tolerance:
        return False
    expected = hmac.new(secret, f"{t}.".encode() + raw_body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, fields.get("v1", ""))
# ---------------------------------------------------------------------------------------------------


def main() -> int:
    with open(sys.argv[1], encoding="utf-8") as f:
        cases = json.load(f)
    failed = 0
    for c in cases:
        ok = verify_hashgate(c["secret"].encode(), c["header"], base64.b64decode(c["body_b64"]), c["now"])
        if ok != c["expect"]:
            print(f"case {c['name']}: verified={ok}, expected {c['expect']}", file=sys.stderr)
            failed += 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
