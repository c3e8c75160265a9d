-- POST /api/v1/getinvoices (no filter: the first page of 25) for the
-- token clients in turn (invoices.tsv: client, invoiceid), each with its
-- own token.
dofile((os.getenv("KD_BENCH_LUA") or "bench/lua") .. "/common.lua")
local next_row, tokens
function init(args)
   tokens = kd.tokens()
   next_row = kd.walker(kd.load("invoices.tsv"))
end
function request()
   return kd.post("/api/v1/getinvoices", "", tokens[next_row()[1]])
end
