-- ReadDisplayInformationFromMailbox: the public HTML preview of a random filled mailbox.
dofile(os.getenv("BENCH_LUA") .. "/common.lua")
function request()
   return wrk.format("GET", "/v1/m/" .. fill_id(random_index()))
end
