-- The summary every bench script's wrk run prints, in the form scripts/bench-*.sh parse.
-- Loaded with dofile() by the request scripts; wrk runs from the repository root.
done = function(summary, latency, requests)
  io.write(string.format("requests_per_second %.0f\n", summary.requests / (summary.duration / 1e6)))
  io.write(string.format("p50_ms %.2f\np99_ms %.2f\n", latency:percentile(50) / 1000, latency:percentile(99) / 1000))
  io.write(string.format("non_2xx %d\n", summary.errors.status))
  io.write(string.format("errors %d\n", summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
