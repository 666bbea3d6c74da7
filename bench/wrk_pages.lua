-- wrk script for bench/region.py: cycles through prepared requests (one per user session),
-- counts responses with an unexpected status, and prints the summary as one JSON line.
--
-- Usage: wrk ... -s bench/wrk_pages.lua URL -- <requests file> <expected status>
-- Requests file: one request per line, tab-separated: METHOD, PATH, COOKIE, BODY ("-" = none).

local threads = {}
local reqs = {}
local i = 0
local expected = 200
unexpected = 0

local function split(line)
  local out = {}
  for field in string.gmatch(line, "([^\t]*)\t?") do
    table.insert(out, field)
  end
  return out
end

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  expected = tonumber(args[2])
  for line in io.lines(args[1]) do
    if line ~= "" then
      local f = split(line)
      local headers = {}
      if f[3] ~= "-" then headers["Cookie"] = f[3] end
      local body = nil
      if f[4] ~= "-" and f[4] ~= nil then
        body = f[4]
        headers["Content-Type"] = "application/x-www-form-urlencoded"
      end
      table.insert(reqs, wrk.format(f[1], f[2], headers, body))
    end
  end
  -- threads start at different requests, so that they use different sessions
  i = (id or 0) * 3
end

function request()
  i = i % #reqs + 1
  return reqs[i]
end

function response(status, headers, body)
  if status ~= expected then
    unexpected = unexpected + 1
  end
end

function done(summary, latency, requests)
  local bad = 0
  for _, thread in ipairs(threads) do
    bad = bad + thread:get("unexpected")
  end
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "p50_us": %d, "p95_us": %d, "p99_us": %d, ' ..
    '"mean_us": %.1f, "unexpected_status": %d, "socket_errors": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), latency.mean, bad,
    e.connect + e.read + e.write + e.timeout))
end
