-- POST /login over distinct accounts (logins.tsv: email); every account
-- of the generated data has the password kdata-bench-pass (bcrypt, cost 10).
dofile((os.getenv("KD_BENCH_LUA") or "bench/lua") .. "/common.lua")
local next_row
function init(args) next_row = kd.walker(kd.load("logins.tsv")) end
function request()
   return kd.post("/login", "email=" .. next_row()[1]:gsub("@", "%%40")
                  .. "&password=kdata-bench-pass")
end
