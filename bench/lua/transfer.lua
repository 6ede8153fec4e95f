-- A full stateless transfer, three requests in order on one connection per wrk thread
-- (run with -t N -c N): CreateMailbox (Initiator claim), ReadSecureContent by a fresh
-- Recipient claim (binds it: a durable write), DeleteMailbox by the Recipient (completion).
-- units_per_s in the result counts completed transfers.
dofile(os.getenv("BENCH_LUA") .. "/common.lua")
bench_per_unit = 3
local step, mailbox, recipient = 0, nil, nil
function request()
   if step == 0 or mailbox == nil then
      step = 0
      return wrk.format("POST", "/v1/m", {["Content-Type"] = "application/json",
         ["Mailbox-Request-ID"] = next_request_id(), ["Mailbox-Device-Claim"] = uuid4()}, create_body)
   elseif step == 1 then
      recipient = uuid4()
      return wrk.format("POST", "/v1/m/" .. mailbox, {["Mailbox-Request-ID"] = next_request_id(),
         ["Mailbox-Device-Claim"] = recipient})
   else
      return wrk.format("DELETE", "/v1/m/" .. mailbox, {["Mailbox-Request-ID"] = next_request_id(),
         ["Mailbox-Device-Claim"] = recipient})
   end
end
function response(status, headers, body)
   if status ~= 200 then step, mailbox = 0, nil; return end
   if step == 0 then
      mailbox = string.match(body, "/v1/m/([0-9a-f%-]+)")
      step = mailbox and 1 or 0
   elseif step == 1 then
      step = 2
   else
      step, mailbox = 0, nil
   end
end
