-- Purpose: GET /api/get_customer/?provided_id=… for a random customer of the
-- generated set (customers.txt), with a random token of its group.

local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "common.lua")

local groups, customers

function init(args)
  groups = read_groups()
  customers = read_rows("customers.txt")
  seed_thread()
end

function request()
  local c = customers[math.random(#customers)]
  return wrk.format("GET", "/api/get_customer/?provided_id=" .. c[2],
                    { ["Explo-Authorization"] = auth(groups[tonumber(c[1])]) })
end
