-- wrk script for bench/stack.py: counts every answer that is not a 2xx (wrk's own
-- summary lets 3xx pass) and prints one JSON line with the figures at the end.
-- `wrk ... -s wrk_count.lua URL -- MS` waits MS milliseconds between the requests
-- of each connection: a bounded load at fixed concurrency (no pause when left out).
local threads = {}
local pause = 0

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  ok = 0
  bad = 0
  pause = tonumber(args[1]) or 0
end

function delay()
  return pause
end

function response(status, headers, body)
  if status >= 200 and status < 300 then
    ok = ok + 1
  else
    bad = bad + 1
  end
end

function done(summary, latency, requests)
  local answered_ok, non_2xx = 0, 0
  for _, thread in ipairs(threads) do
    answered_ok = answered_ok + thread:get("ok")
    non_2xx = non_2xx + thread:get("bad")
  end
  local e = summary.errors
  io.write(string.format(
    'WEBSTACK {"requests": %d, "ok": %d, "non_2xx": %d, "connect_errors": %d, "read_errors": %d, '
    .. '"write_errors": %d, "timeouts": %d, "seconds": %.3f, "p50_ms": %.3f, "p99_ms": %.3f}\n',
    summary.requests, answered_ok, non_2xx, e.connect, e.read, e.write, e.timeout,
    summary.duration / 1e6, latency:percentile(50) / 1e3, latency:percentile(99) / 1e3))
end
