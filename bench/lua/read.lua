-- ReadSecureContentFromMailbox by a claim that may read (the mailbox's Initiator), on a random
-- one of the BENCH_MAILBOXES mailboxes bench/store_scale wrote: the relay's read-only path.
dofile(os.getenv("BENCH_LUA") .. "/common.lua")
function request()
   local i = random_index()
   return wrk.format("POST", "/v1/m/" .. fill_id(i), {["Mailbox-Request-ID"] = next_request_id(),
      ["Mailbox-Device-Claim"] = fill_claim(i)})
end
