-- POST /api/v1/applycredit (invoiceid): each request pays a different
-- fresh Unpaid invoice (credit.tsv: client, invoiceid, made by bench/run
-- just before the run; consecutive rows belong to different clients, so
-- the client row locks of concurrent requests do not collide).  Once the
-- list is used up the requests would get 409: bench/run sizes it well
-- above what the run can pay and reports non-2xx answers.
dofile((os.getenv("KD_BENCH_LUA") or "bench/lua") .. "/common.lua")
local next_row, tokens
function init(args)
   tokens = kd.tokens()
   next_row = kd.walker(kd.load("credit.tsv"))
end
function request()
   local r = next_row()
   return kd.post("/api/v1/applycredit", "invoiceid=" .. r[2], tokens[r[1]])
end
