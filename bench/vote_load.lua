-- wrk script: POST /v1/elections/<election>/votes, each request with the next voter token.
-- Usage: wrk -s vote_load.lua <url> -- <tokens file> <election> <option>
local tokens, election, option = {}, "bench", "a"
local counter = 0

function init(args)
  for line in io.lines(args[1]) do tokens[#tokens + 1] = line end
  election = args[2] or election
  option = args[3] or option
  -- Each request built once here, not per request: wrk shares the machine with the server,
  -- and formatting a request per call cost it several microseconds of CPU a vote.
  local path, body = "/v1/elections/" .. election .. "/votes", '{"option":"' .. option .. '"}'
  for i, token in ipairs(tokens) do
    tokens[i] = wrk.format("POST", path,
      { ["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json" }, body)
  end
  -- spread threads over the token list
  counter = math.random(#tokens)
end

function request()
  counter = counter % #tokens + 1
  return tokens[counter]
end

function done(summary, latency, requests)
  io.write(string.format("LAT p50_us=%d p99_us=%d\n", latency:percentile(50), latency:percentile(99)))
end
