-- POST /api/v1/getproduct (serviceid) over the token clients' services
-- (services.tsv: client, serviceid), each with its owner's token.
dofile((os.getenv("KD_BENCH_LUA") or "bench/lua") .. "/common.lua")
local next_row, tokens
function init(args)
   tokens = kd.tokens()
   next_row = kd.walker(kd.load("services.tsv"))
end
function request()
   local r = next_row()
   return kd.post("/api/v1/getproduct", "serviceid=" .. r[2], tokens[r[1]])
end
