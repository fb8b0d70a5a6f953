-- wrk script: POSTs hook request bodies read from files, in turn.
-- usage: wrk -s post.lua URL -- body1.json [body2.json ...]
local requests = {}
local next_index = 0

function init(args)
  for _, path in ipairs(args) do
    local file = assert(io.open(path, "rb"), "cannot open " .. path)
    local body = file:read("*a")
    file:close()
    requests[#requests + 1] = wrk.format("POST", nil, { ["Content-Type"] = "application/json" }, body)
  end
  assert(#requests > 0, "no request body given (wrk ... -- file.json)")
  -- each thread starts at another body, so that threads do not post the same one in step
  next_index = math.random(0, #requests - 1)
end

function request()
  next_index = next_index + 1
  return requests[(next_index % #requests) + 1]
end
