-- wrk script for the QIDO-RS latency scenario: adds the Authorization header
-- (BENCH_AUTH, e.g. "Basic YWRtaW46...") and prints what bench.sh records.
--   BENCH_AUTH=... wrk -t1 -c1 -d5s -s qido.lua 'http://HOST/dicom-web/studies?...'
wrk.headers["Authorization"] = os.getenv("BENCH_AUTH")
wrk.headers["Accept"] = "application/dicom+json"

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("requests %d\nerrors %d\np50_us %d\np99_us %d\n",
    summary.requests, e.connect + e.read + e.write + e.status + e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
