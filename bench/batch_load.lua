-- wrk script: POST /v1/elections/<election>/votes:batch, each request a batch of <size> votes of
-- voters and refs never sent before (so every vote is appended: no retry, no duplicate).
-- Usage: wrk -s batch_load.lua <url> -- <gateway secret> <election> <size>
local secret, election, size = "", "bench", 100
local thread_no, counter = 0, 0
local threads = {}

function setup(thread)
  thread:set("thread_no", #threads + 1)
  threads[#threads + 1] = thread
end

function init(args)
  secret = args[1]
  election = args[2] or election
  size = tonumber(args[3] or size)
  -- a random run id, so two runs against one server never share a ref or a voter
  math.randomseed(os.time() * 1000 + (thread_no or 0))
  run = string.format("%x%x", math.random(0, 0xffffff), thread_no or 0)
end

function request()
  counter = counter + 1
  local parts = {}
  for i = 1, size do
    local id = run .. "-" .. counter .. "-" .. i
    parts[i] = '{"voter":"v' .. id .. '","option":"' .. (i % 2 == 0 and "a" or "b") ..
               '","ref":"' .. id .. '"}'
  end
  return wrk.format("POST", "/v1/elections/" .. election .. "/votes:batch",
    { ["Authorization"] = "Bearer " .. secret, ["Content-Type"] = "application/json" },
    '{"votes":[' .. table.concat(parts, ",") .. ']}')
end

function done(summary, latency, requests)
  io.write(string.format("LAT p50_us=%d p99_us=%d\n", latency:percentile(50), latency:percentile(99)))
end
