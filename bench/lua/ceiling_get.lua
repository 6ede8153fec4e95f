-- Ceiling: GET of a fixed 200 answer from bench/ceiling_server.c (compared with previews).
dofile(os.getenv("BENCH_LUA") .. "/common.lua")
function request()
   return wrk.format("GET", "/v1/m/" .. fill_id(random_index()), {["Mailbox-Request-ID"] = next_request_id()})
end
