-- bench/lua/common.lua: shared by every wrk script of bench/run.
--
-- Environment (set by bench/run):
--   KD_BENCH_DATA     folder with the data files (tokens.tsv, *.tsv)
--   KD_BENCH_THREADS  wrk's -t, so each thread walks its own share
--   KD_BENCH_LIMIT    optional: total responses after which the threads
--                     stop (the soak), else wrk's -d bounds the run
-- Each thread walks a list of (client, object) pairs from its own offset
-- with a stride of the thread count: every request names a different
-- object, owned by the client whose token it carries.

kd = {}
kd.data = os.getenv("KD_BENCH_DATA") or "."
kd.nthreads = tonumber(os.getenv("KD_BENCH_THREADS") or "1")
kd.limit = tonumber(os.getenv("KD_BENCH_LIMIT") or "0")

local nsetup = 0
function setup(thread)
   thread:set("kd_tid", nsetup)
   nsetup = nsetup + 1
end

-- lines of a TSV file as arrays of fields
function kd.load(name)
   local rows = {}
   local f = assert(io.open(kd.data .. "/" .. name, "r"), "no " .. name)
   for line in f:lines() do
      local row = {}
      for field in line:gmatch("[^\t]+") do row[#row + 1] = field end
      if #row > 0 then rows[#rows + 1] = row end
   end
   f:close()
   assert(#rows > 0, name .. " is empty")
   return rows
end

-- client id -> bearer token
function kd.tokens()
   local t = {}
   for _, row in ipairs(kd.load("tokens.tsv")) do t[row[1]] = row[2] end
   return t
end

-- a walker over rows: thread i takes rows i, i+n, i+2n, ... (wrapping)
function kd.walker(rows)
   local i = (kd_tid or 0) % #rows
   return function()
      local row = rows[i + 1]
      i = (i + kd.nthreads) % #rows
      return row
   end
end

local form_hdr = { ["Content-Type"] = "application/x-www-form-urlencoded" }
function kd.post(path, body, token)
   local h = form_hdr
   if token then
      h = { ["Content-Type"] = "application/x-www-form-urlencoded",
            ["Authorization"] = "Bearer " .. token }
   end
   return wrk.format("POST", path, h, body)
end

-- runs of KD_BENCH_LIMIT responses (the soak, cancelrequest): each
-- thread stops after its share and leaves a marker for bench/run, which
-- then ends wrk (wrk itself would sleep out its -d)
local seen, stopped = 0, false
function kd.count()
   seen = seen + 1
   if kd.limit > 0 and not stopped
      and seen >= math.ceil(kd.limit / kd.nthreads) then
      stopped = true
      local f = io.open(kd.data .. "/done." .. (kd_tid or 0), "w")
      if f then f:write(seen, "\n"); f:close() end
      wrk.thread:stop()
   end
end

-- one machine-readable line for bench/run:
-- KDRESULT requests duration_us req/s p50_us p99_us max_us non2xx/4xx+5xx
--          connect read write timeout
function done(summary, latency, requests)
   local e = summary.errors
   io.write(string.format(
      "KDRESULT\t%d\t%d\t%.1f\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\n",
      summary.requests, summary.duration,
      summary.requests / (summary.duration / 1e6),
      latency:percentile(50), latency:percentile(99), latency.max,
      e.status, e.connect, e.read, e.write, e.timeout))
end
