-- wrk script for bench_ingest: GET /fhir/Patient/{id} with ids picked at random from a file
-- (one id per line), or a fixed path. Prints one machine-readable line when done.
--   wrk ... -s read_by_id.lua URL -- ids FILE
--   wrk ... -s read_by_id.lua URL -- path /healthz
local ids = {}
local fixed_path = nil

function init(args)
  if args[1] == "ids" then
    for line in io.lines(args[2]) do
      if #line > 0 then ids[#ids + 1] = "/fhir/Patient/" .. line end
    end
    math.randomseed(os.time() + math.floor(os.clock() * 1e6))
  else
    fixed_path = args[2]
  end
end

function request()
  if fixed_path then return wrk.format("GET", fixed_path) end
  return wrk.format("GET", ids[math.random(#ids)])
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "rhip-wrk requests=%d duration_us=%d p50_us=%d p99_us=%d non2xx=%d socket_errors=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.status, e.connect + e.read + e.write + e.timeout))
end
