-- mod_kdbaseline: one primary-key SELECT per request, over the same
-- service ids getproduct reads (services.tsv: client, serviceid).
dofile((os.getenv("KD_BENCH_LUA") or "bench/lua") .. "/common.lua")
local next_row
function init(args) next_row = kd.walker(kd.load("services.tsv")) end
function request()
   return kd.post("/baseline", "id=" .. next_row()[2])
end
