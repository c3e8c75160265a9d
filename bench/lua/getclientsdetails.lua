-- POST /api/v1/getclientsdetails (the caller's own details and credit
-- balance) for the token clients in turn (services.tsv: client, ...).
dofile((os.getenv("KD_BENCH_LUA") or "bench/lua") .. "/common.lua")
local next_row, tokens
function init(args)
   tokens = kd.tokens()
   next_row = kd.walker(kd.load("services.tsv"))
end
function request()
   return kd.post("/api/v1/getclientsdetails", "", tokens[next_row()[1]])
end
