-- wrk script: POST a generate (gateway) or mint (authority, CHITTYID_BENCH_PATH=/v1/mint)
-- request with a bearer token from the environment (CHITTYID_BENCH_TOKEN). A sequence space
-- holds 10,000 IDs a month, so requests spread over 270 spaces (5 entity types x 9 regions x 6
-- trust levels), as a real mix of callers would.
local token = os.getenv("CHITTYID_BENCH_TOKEN")
local path = os.getenv("CHITTYID_BENCH_PATH") or "/api/id/generate"
local entities = { "PEO", "PLACE", "PROP", "EVNT", "AUTH" }
local headers = { ["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token }
-- CHITTYID_BENCH_KEYED=1: every request carries a new Idempotency-Key.
local keyed = os.getenv("CHITTYID_BENCH_KEYED") == "1"
local prefix = tostring(math.random(1, 1e9))
local sent = 0

request = function()
  if keyed then
    sent = sent + 1
    headers["Idempotency-Key"] = "bench-" .. prefix .. "-" .. sent
  end
  local body = string.format('{"entity":"%s","region":%d,"trustLevel":%d,"metadata":{"source":"bench"}}',
    entities[math.random(1, 5)], math.random(1, 9), math.random(0, 5))
  return wrk.format("POST", path, headers, body)
end

dofile("scripts/bench/report.lua")
