-- Ceiling: POST of a create-sized body to bench/ceiling_server.c (compared with creates,
-- secure reads and transfers).
dofile(os.getenv("BENCH_LUA") .. "/common.lua")
function request()
   return wrk.format("POST", "/v1/m", {["Content-Type"] = "application/json",
      ["Mailbox-Request-ID"] = next_request_id(), ["Mailbox-Device-Claim"] = uuid4()}, create_body)
end
