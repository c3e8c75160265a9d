-- POST /api/v1/getinvoice (invoiceid) over the token clients' invoices
-- (invoices.tsv: client, invoiceid), each with its owner's token.
dofile((os.getenv("KD_BENCH_LUA") or "bench/lua") .. "/common.lua")
local next_row, tokens
function init(args)
   tokens = kd.tokens()
   next_row = kd.walker(kd.load("invoices.tsv"))
end
function request()
   local r = next_row()
   return kd.post("/api/v1/getinvoice", "invoiceid=" .. r[2], tokens[r[1]])
end
