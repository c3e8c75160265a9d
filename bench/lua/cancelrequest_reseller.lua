-- POST /api/v1/cancelrequest (serviceid, reason, type) on the heavy
-- accounts: each request cancels a different reseller service (once:
-- a second request would be a 409), with CancelInvoiceOnCancellation on
-- (the fixtures) so the service's Unpaid invoices are cancelled too.
-- bench/run sets KD_BENCH_LIMIT a little under the list's length.
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
   return kd.post("/api/v1/cancelrequest", "serviceid=" .. r[2]
                  .. "&reason=benchmark&type="
                  .. (n % 2 == 0 and "Immediate" or "End+of+Billing+Period"),
                  tokens[r[1]])
end
function response(status, headers, body)
   kd.count()
end
