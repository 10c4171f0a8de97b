-- Purpose: helpers shared by the scripts of this folder: load report.lua,
-- read the files bench/gen.mjs wrote (in the folder named by $BENCH_DATA),
-- pick a random token of a group, and seed each wrk thread differently.

local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "report.lua")

local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("thread_no", threads)
end

-- The fields (split on spaces) of each line of a data file.
function read_rows(name)
  local dir = os.getenv("BENCH_DATA") or error("BENCH_DATA is not set")
  local rows = {}
  for line in io.lines(dir .. "/" .. name) do
    local row = {}
    for field in line:gmatch("%S+") do row[#row + 1] = field end
    rows[#rows + 1] = row
  end
  return rows
end

-- groups.txt: per group its customer count, one valid mapping entry
-- (schema id, data source id) and its tokens.
function read_groups()
  local groups = {}
  for _, row in ipairs(read_rows("groups.txt")) do
    local tokens = {}
    for i = 5, #row do tokens[#tokens + 1] = row[i] end
    groups[tonumber(row[1])] = { customers = tonumber(row[2]), schema = row[3],
                                 data_source = row[4], tokens = tokens }
  end
  return groups
end

function auth(group)
  return "Token " .. group.tokens[math.random(#group.tokens)]
end

function seed_thread()
  math.randomseed(os.time() * 100 + (thread_no or 0))
end
