-- The soak's mix, in a fixed cycle of 100 requests per thread:
--   1 login, 5 applycredit, 4 addorder, 10 baseline, 40 getproduct,
--   20 getinvoice, 20 getinvoiceproduct.
-- Each kind walks its own list as in the single-operation scripts;
-- KD_BENCH_LIMIT stops the threads after that many responses in all.
dofile((os.getenv("KD_BENCH_LUA") or "bench/lua") .. "/common.lua")
local tokens, svc, inv, credit, orderers, logins, n
local os_ = { "centos6", "ubuntu22", "win2019" }
function init(args)
   tokens = kd.tokens()
   svc = kd.walker(kd.load("services.tsv"))
   inv = kd.walker(kd.load("invoices.tsv"))
   credit = kd.walker(kd.load("credit.tsv"))
   orderers = kd.walker(kd.load("orderers.tsv"))
   logins = kd.walker(kd.load("logins.tsv"))
   n = 0
end
function request()
   local k = n % 100
   n = n + 1
   local r
   if k == 0 then
      return kd.post("/login", "email=" .. logins()[1]:gsub("@", "%%40")
                     .. "&password=kdata-bench-pass")
   elseif k <= 5 then
      r = credit()
      return kd.post("/api/v1/applycredit", "invoiceid=" .. r[2], tokens[r[1]])
   elseif k <= 9 then
      r = orderers()
      return kd.post("/api/v1/addorder", "product=VPS+01&billingcycle=monthly&os="
                     .. os_[1 + n % 3] .. "&extraIp=" .. (1 + n % 5), tokens[r[1]])
   elseif k <= 19 then
      return kd.post("/baseline", "id=" .. svc()[2])
   elseif k <= 59 then
      r = svc()
      return kd.post("/api/v1/getproduct", "serviceid=" .. r[2], tokens[r[1]])
   elseif k <= 79 then
      r = inv()
      return kd.post("/api/v1/getinvoice", "invoiceid=" .. r[2], tokens[r[1]])
   end
   r = svc()
   return kd.post("/api/v1/getinvoiceproduct", "serviceid=" .. r[2], tokens[r[1]])
end
function response(status, headers, body)
   kd.count()
end
