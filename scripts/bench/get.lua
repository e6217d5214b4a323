-- wrk script: GET with a bearer token from the environment (CHITTYID_BENCH_TOKEN), printing
-- requests per second and p50/p99 in a form the bench scripts parse.
local token = os.getenv("CHITTYID_BENCH_TOKEN") or ""
if token ~= "" then
  wrk.headers["Authorization"] = "Bearer " .. token
end

dofile("scripts/bench/report.lua")
