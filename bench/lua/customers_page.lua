-- Purpose: GET /v2/api/customers/?page=P&page_size=100 for a random group and
-- a random full page of that group's customers (groups.txt), so that deep
-- pages are measured as well as the first.

local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "common.lua")

local groups

function init(args)
  groups = read_groups()
  seed_thread()
end

function request()
  local g = groups[math.random(#groups)]
  local pages = math.max(1, math.floor(g.customers / 100))
  return wrk.format("GET", "/v2/api/customers/?page=" .. math.random(pages) .. "&page_size=100",
                    { ["Explo-Authorization"] = auth(g) })
end
