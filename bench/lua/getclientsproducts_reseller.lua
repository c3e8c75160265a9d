-- POST /api/v1/getclientsproducts on the heavy accounts (rservices.tsv:
-- reseller, serviceid; 500 services each), walking their pages of 25
-- (limitstart 0, 25, ... 475) with each reseller's own token.
dofile((os.getenv("KD_BENCH_LUA") or "bench/lua") .. "/common.lua")
local next_row, tokens, n
function init(args)
   tokens = kd.tokens()
   next_row = kd.walker(kd.load("rservices.tsv"))
   n = 0
end
function request()
   local r = next_row()
   n = n + 1
   return kd.post("/api/v1/getclientsproducts",
                  "limitstart=" .. (n % 20) * 25, tokens[r[1]])
end
