-- wrk script: GET with a bearer token from the environment (CHITTYID_BENCH_TOKEN), printing
-- requests per second and p50/p99 in a form the bench scripts parse.
local token = os.getenv("CHITTYID_BENCH_TOKEN") or ""
if token ~= "" then
  wrk.headers["Authorization"] = "Bearer " .. token
end

done = function(summary, latency, requests)
  io.write(string.format("requests_per_second %.0f\n", summary.requests / (summary.duration / 1e6)))
  io.write(string.format("p50_ms %.2f\np99_ms %.2f\n", latency:percentile(50) / 1000, latency:percentile(99) / 1000))
  io.write(string.format("non_2xx %d\n", summary.errors.status))
  io.write(string.format("errors %d\n", summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
