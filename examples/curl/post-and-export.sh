#!/usr/bin/env bash
# Posts one pre-hashed purchase event with the demo API key, then reads the export.
# Usage: examples/curl/post-and-export.sh [GATEWAY]   (default http://127.0.0.1:8080)
set -euo pipefail
gw=${1:-http://127.0.0.1:8080}

# Hash locally (meta profile: trim + lowercase e-mail; E.164 digits without '+' for phones).
em=$(printf '%s' 'jan.jansen@example.com' | sha256sum | cut -d' ' -f1)
ph=$(printf '%s' '31612345678' | sha256sum | cut -d' ' -f1)
now=$(date +%s)

curl -sS -X POST "$gw/v1/events" \
  -H 'Authorization: Bearer sk_demo' \
  -H 'Content-Type: application/json' \
  --data-binary @- <<JSON
{ "events": [ {
    "event_id": "curl-example-$now",
    "type": "purchase",
    "time": $now,
    "ids": { "em": "$em", "ph": "$ph" },
    "custom": { "value": 59.95, "currency": "EUR" }
} ] }
JSON
echo

# The export is NDJSON, one stored event per line; the hashes are stored as lowercase hex.
curl -sS -H 'Authorization: Bearer sk_demo' "$gw/v1/events/export?since=0"
