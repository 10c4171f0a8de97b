-- Purpose: GET /api/data_sources/ with a random token of a random group.

local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "common.lua")

local groups

function init(args)
  groups = read_groups()
  seed_thread()
end

function request()
  return wrk.format("GET", "/api/data_sources/",
                    { ["Explo-Authorization"] = auth(groups[math.random(#groups)]) })
end
