-- wrk script for POST /v1/events: unique event_ids per request (thread id + counter + run nonce).
-- Usage: wrk -s events.lua ... URL -- <events_per_request> <bearer_key>
-- done() prints one line "WRKJSON {...}" with requests, errors and latency percentiles.

local threads = {}
local next_tid = 0

function setup(thread)
  next_tid = next_tid + 1
  thread:set("tid", next_tid)
  table.insert(threads, thread)
end

local per_request = 1
local counter = 0
local nonce = 0
local now = 0
local headers = {}

function init(args)
  per_request = tonumber(args[1] or "1")
  local key = args[2] or "sk_demo"
  nonce = tonumber(os.getenv("BENCH_NONCE") or "0") or 0
  now = os.time()
  headers["Content-Type"] = "application/json"
  headers["Authorization"] = "Bearer " .. key
end

-- A synthetic 64-hex "hashed e-mail": the same bytes every platform would accept as sha256 hex.
local function fake_hash(a, b)
  return string.format("%016x%016x%016x%016x", a, b, a * 7 + 3, b * 13 + 5)
end

local function event(n)
  return string.format(
    '{"event_id":"b%d-%d-%d","type":"purchase","time":%d,"ids":{"em":"%s"},' ..
    '"custom":{"value":59.95,"currency":"EUR"}}',
    nonce, tid, n, now, fake_hash(tid, n))
end

function request()
  local parts = {}
  for i = 1, per_request do
    counter = counter + 1
    parts[i] = event(counter)
  end
  local body = '{"events":[' .. table.concat(parts, ",") .. ']}'
  return wrk.format("POST", nil, headers, body)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests":%d,"duration_us":%d,"bytes":%d,"non2xx":%d,"connect":%d,"read":%d,' ..
    '"write":%d,"timeout":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,"mean_us":%.1f}\n',
    summary.requests, summary.duration, summary.bytes, e.status, e.connect, e.read, e.write,
    e.timeout, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, latency.mean))
end
