-- bench/lua/common.lua: shared by every wrk script (loaded with dofile).
--   * unique Device Claims (random v4 UUIDs) and Mailbox-Request-IDs per request
--   * the mailbox IDs and claims bench/store_scale.c writes for index i
--   * optional throttling: BENCH_RATE requests/s in total over BENCH_THREADS wrk threads.
--     wrk calls delay() before every request; each thread hands out send slots spaced
--     threads/rate apart, so the offered rate is fixed while connections are free. Latency is
--     measured from the actual send (wrk has no coordinated-omission correction: see README).
--   * done(): one "BENCHJSON {...}" line with rate, p50/p99 and errors, parsed by run.sh
local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clk, bench_timespec *ts);
]]
local ts = ffi.new("bench_timespec")
function bench_now_ms()
   ffi.C.clock_gettime(1, ts)       -- CLOCK_MONOTONIC
   return tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1e6
end

local rate = tonumber(os.getenv("BENCH_RATE") or "0")
local nthreads = tonumber(os.getenv("BENCH_THREADS") or "1")
local interval = 0
if rate > 0 then interval = 1000.0 * nthreads / rate end
bench_mailboxes = tonumber(os.getenv("BENCH_MAILBOXES") or "1000")

local counter = 0

local thread_no = 0

function setup(thread)
   thread_no = thread_no + 1
   thread:set("tid", thread_no)
end

function init(args)
   tid = tid or 0
   math.randomseed(tid * 7919 + os.time() + math.floor(bench_now_ms()))
   if bench_init then bench_init(args) end
end

function uuid4()
   return string.format("%08x-%04x-4%03x-%04x-%06x%06x",
      math.random(0, 0x7fffffff), math.random(0, 0xffff), math.random(0, 0xfff),
      0x8000 + math.random(0, 0x3fff), math.random(0, 0xffffff), math.random(0, 0xffffff))
end

function next_request_id()
   counter = counter + 1
   return string.format("bench-%d-%d-%d", tid, counter, math.random(0, 0x7fffffff))
end

function fill_id(i) return string.format("b0000000-0000-4000-8000-%012x", i) end
function fill_claim(i) return string.format("c0000000-0000-4000-8000-%012x", i) end
function random_index() return math.random(0, bench_mailboxes - 1) end

-- A payload envelope the size of a sealed credential (344 Base64 characters).
local data = string.rep("QUJDREVGR0hJSktMTU5PUFFSU1RVVldY", 11) .. "QUJDREVGR0g="
create_body = '{"payload":{"type":"XSALSA20_POLY1305","data":"' .. data .. '"},' ..
   '"displayInformation":{"title":"Car key","description":"Shared for the benchmark",' ..
   '"imageURL":""}}'

local next_t = nil
if interval > 0 then
   function delay()
      local t = bench_now_ms()
      if next_t == nil or next_t < t - 50 then next_t = t end   -- never bank more than 50 ms
      next_t = next_t + interval
      local d = next_t - t
      if d < 0 then return 0 end
      return math.floor(d)
   end
end

-- Requests per completed unit (a full transfer is 3 requests).
bench_per_unit = 1

function done(summary, latency, requests)
   local e = summary.errors
   local secs = summary.duration / 1e6
   io.write(string.format(
      'BENCHJSON {"requests":%d,"seconds":%.3f,"req_per_s":%.1f,"units_per_s":%.1f,' ..
      '"p50_ms":%.3f,"p99_ms":%.3f,"mean_ms":%.3f,"errors":{"connect":%d,"read":%d,' ..
      '"write":%d,"status":%d,"timeout":%d}}\n',
      summary.requests, secs, summary.requests / secs, summary.requests / secs / bench_per_unit,
      latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.mean / 1000,
      e.connect, e.read, e.write, e.status, e.timeout))
end
