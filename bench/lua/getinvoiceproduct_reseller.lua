-- POST /api/v1/getinvoiceproduct (serviceid) on the heavy accounts
-- (rservices.tsv: reseller, serviceid; 500 services and 5,000 invoices
-- per reseller), each with the reseller's own token.
dofile((os.getenv("KD_BENCH_LUA") or "bench/lua") .. "/common.lua")
local next_row, tokens
function init(args)
   tokens = kd.tokens()
   next_row = kd.walker(kd.load("rservices.tsv"))
end
function request()
   local r = next_row()
   return kd.post("/api/v1/getinvoiceproduct", "serviceid=" .. r[2], tokens[r[1]])
end
