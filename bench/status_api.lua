-- wrk script for bench/status_api.sh: one parseable line at the end with the
-- latency percentiles (wrk measures in microseconds) and the error count.
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f max_ms=%.3f requests=%d rps=%.0f errors=%d\n",
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, summary.requests, summary.requests / (summary.duration / 1e6),
    e.connect + e.read + e.write + e.status + e.timeout))
end
