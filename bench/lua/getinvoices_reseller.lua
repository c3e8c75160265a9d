-- POST /api/v1/getinvoices on the heavy accounts (rservices.tsv:
-- reseller, serviceid; 5,000 invoices each): their Unpaid invoices and
-- all of them in turn, walking pages of 25 (limitstart 0 ... 4975), with
-- each reseller's own token.  Every call counts all the matching
-- invoices (totalresults).
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
   local body = "limitstart=" .. (n % 200) * 25
   if n % 2 == 0 then body = body .. "&status=Unpaid" end
   return kd.post("/api/v1/getinvoices", body, tokens[r[1]])
end
