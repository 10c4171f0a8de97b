-- Purpose: the common end of every benchmark script: after a wrk run, print
-- one machine-readable line that bench/run.sh collects:
--   RESULT <requests> <duration µs> <socket errors> <non-2xx> <p50 µs> <p99 µs>
-- Used on its own (wrk -s report.lua) for fixed URLs, or loaded by the other
-- scripts of this folder with dofile.

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %d %d %d %d %d %d\n",
    summary.requests, summary.duration,
    e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50), latency:percentile(99)))
end
