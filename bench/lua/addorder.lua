-- POST /api/v1/addorder: every request a new VPS order (tblorders,
-- tblhosting, tblhostingconfigoptions, invoice + item, activity log),
-- round-robin over the order clients (orderers.tsv: client; no credit,
-- so the invoice stays Unpaid), with varied options.
dofile((os.getenv("KD_BENCH_LUA") or "bench/lua") .. "/common.lua")
local next_row, tokens, n
local os_ = { "centos6", "ubuntu22", "win2019" }
function init(args)
   tokens = kd.tokens()
   next_row = kd.walker(kd.load("orderers.tsv"))
   n = kd_tid or 0
end
function request()
   local r = next_row()
   n = n + 1
   return kd.post("/api/v1/addorder",
      "product=VPS+0" .. (1 + n % 2) .. "&billingcycle=monthly&os="
      .. os_[1 + n % 3] .. "&cpu=" .. (n % 2 == 0 and "2+Core" or "4+Core")
      .. "&ram=" .. (n % 2 == 0 and "1GB" or "2GB") .. "&hdd=40G&extraIp="
      .. (1 + n % 5) .. "&hostname=h" .. n .. "-" .. (kd_tid or 0)
      .. ".bench.example", tokens[r[1]])
end
