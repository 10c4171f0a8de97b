-- Purpose: POST /api/create_customer/ with a provided_id never used before
-- (run, thread and counter in it), so that every request writes a new
-- customer, with a one-entry mapping valid for its group (groups.txt).

local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "common.lua")

local groups, prefix
local n = 0

function init(args)
  groups = read_groups()
  seed_thread()
  prefix = string.format("w%d-%d-%d-", os.time(), thread_no or 0, math.random(1000000))
end

function request()
  local g = groups[math.random(#groups)]
  n = n + 1
  local body = string.format(
    '{"provided_id":"%s%d","name":"Written customer %d","mapping":{"%s":"%s"},' ..
    '"emails":["ops@example.com"],"properties":{"seats":%d,"theme":"dark","locale":"en-GB"}}',
    prefix, n, n, g.schema, g.data_source, math.random(500))
  return wrk.format("POST", "/api/create_customer/",
                    { ["Explo-Authorization"] = auth(g), ["Content-Type"] = "application/json" },
                    body)
end
