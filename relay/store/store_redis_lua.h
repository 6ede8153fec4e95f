/*
 * relay/store/store_redis_lua.h: the Lua scripts of the Redis store backend
 * (store_redis_call.c, the only file that includes this, runs them for store_redis.c). Each
 * script is one atomic step on the Redis server.
 */
#ifndef TIGRESS_RELAY_STORE_REDIS_LUA_H
#define TIGRESS_RELAY_STORE_REDIS_LUA_H

/* Script results, the first element of every script's reply: the numbers of RS_OK ...
 * RS_TAKEN in store_redis_call.h. */

/* Shared by the scripts. Optional arguments arrive as "" (absent) or "=" .. value.
 * Every claim and Request-ID a script sees (ARGV, the ini/rec/rid fields, rq key names, mbc
 * members) is a keyed hash made by store_redis.c (rs_hash), never the value: the comparisons
 * below compare hashes. */
#define RS_PRELUDE                                                                             \
    "local function opt(s) if s == '' then return nil end return string.sub(s, 2) end\n"       \
    "local function live(now)\n"                                                               \
    "  local h = redis.call('HMGET', KEYS[1], 'exp', 'ini', 'rec', 'rights', 'expms')\n"       \
    "  if not h[1] or tonumber(h[1]) <= now then return nil end\n"                             \
    "  return h\n"                                                                             \
    "end\n"                                                                                    \
    "local function party(h, claim)\n"                                                         \
    "  if claim == h[2] then return 1 end\n"                                                   \
    "  if h[3] and claim == h[3] then return 2 end\n"                                          \
    "  return 0\n"                                                                             \
    "end\n"                                                                                    \
    "local function mbout(p)\n"                                                                \
    "  local m = redis.call('HMGET', KEYS[1], 'rights', 'exp', 'ver', 'payload', 'display',"   \
    " 'itok', 'rtok', 'rec')\n"                                                                \
    "  return {0, p, m[1], m[2], m[3], m[4], m[5], m[6], m[7], m[8] and 1 or 0}\n"             \
    "end\n"                                                                                    \
    "local function isdup(rid, id)\n"                                                          \
    "  if not rid then return nil end\n"                                                       \
    "  local r = redis.call('HMGET', KEYS[2], 'rid', 'mb', 'body')\n"                          \
    "  if r[1] == rid and (id == nil or r[2] == id) then return {1, r[3]} end\n"               \
    "  return nil\n"                                                                           \
    "end\n"                                                                                    \
    "local function remember(claim, rid, id, body, expms)\n"                                   \
    "  if not rid then return end\n"                                                           \
    "  redis.call('DEL', KEYS[2])\n"                                                           \
    "  redis.call('HSET', KEYS[2], 'rid', rid, 'mb', id)\n"                                    \
    "  if body then redis.call('HSET', KEYS[2], 'body', body) end\n"                           \
    "  redis.call('PEXPIREAT', KEYS[2], expms)\n"                                              \
    "  redis.call('SADD', KEYS[3], claim)\n"                                                   \
    "  redis.call('PEXPIREAT', KEYS[3], expms)\n"                                              \
    "end\n"

/* KEYS: mb, rq(claim), mbc, exp. ARGV: id, claim, rights, exp, expms, payload, display?,
 * itok?, rid?, body? */
static const char rs_create_lua[] = RS_PRELUDE
    "local d = isdup(opt(ARGV[9]), nil)\n"
    "if d then return d end\n"
    "if redis.call('EXISTS', KEYS[1]) == 1 then return {5} end\n"
    "redis.call('HSET', KEYS[1], 'ini', ARGV[2], 'rights', ARGV[3], 'exp', ARGV[4],"
    " 'expms', ARGV[5], 'ver', 1, 'payload', ARGV[6])\n"
    "local dj = opt(ARGV[7])\n"
    "if dj then redis.call('HSET', KEYS[1], 'display', dj) end\n"
    "local it = opt(ARGV[8])\n"
    "if it then redis.call('HSET', KEYS[1], 'itok', it) end\n"
    "redis.call('PEXPIREAT', KEYS[1], ARGV[5])\n"
    "redis.call('ZADD', KEYS[4], ARGV[4], ARGV[1])\n"
    "remember(ARGV[2], opt(ARGV[9]), ARGV[1], opt(ARGV[10]), ARGV[5])\n"
    "return {0}\n";

/* KEYS: mb. ARGV: claim, now, rtok?. First-claim binding happens here, atomically. */
static const char rs_read_lua[] = RS_PRELUDE
    "local h = live(tonumber(ARGV[2]))\n"
    "if not h then return {2} end\n"
    "if not string.find(h[4], 'R', 1, true) then return {3} end\n"
    "local p = party(h, ARGV[1])\n"
    "if p == 0 then\n"
    "  if h[3] then return {3} end\n"
    "  redis.call('HSET', KEYS[1], 'rec', ARGV[1])\n"
    "  p = 2\n"
    "end\n"
    "local t = opt(ARGV[3])\n"
    "if p == 2 and t then redis.call('HSET', KEYS[1], 'rtok', t) end\n"
    "return mbout(p)\n";

/* KEYS: mb, rq(claim), mbc. ARGV: id, claim, now, rid?, payload, tok?, body? */
static const char rs_update_lua[] = RS_PRELUDE
    "local h = live(tonumber(ARGV[3]))\n"
    "if not h then return {2} end\n"
    "local d = isdup(opt(ARGV[4]), ARGV[1])\n"
    "if d then return d end\n"
    "local p = party(h, ARGV[2])\n"
    "if p == 0 or not string.find(h[4], 'W', 1, true) then return {3} end\n"
    "redis.call('HSET', KEYS[1], 'payload', ARGV[5])\n"
    "redis.call('HINCRBY', KEYS[1], 'ver', 1)\n"
    "local t = opt(ARGV[6])\n"
    "if t then redis.call('HSET', KEYS[1], p == 1 and 'itok' or 'rtok', t) end\n"
    "remember(ARGV[2], opt(ARGV[4]), ARGV[1], opt(ARGV[7]), h[5])\n"
    "return mbout(p)\n";

/* Deletes mailbox `id` with its rq keys (those still pointing at it) and its claim set. */
#define RS_DROP                                                                                \
    "local function drop(prefix, id)\n"                                                        \
    "  local set = prefix .. 'mbc:' .. id\n"                                                   \
    "  for _, c in ipairs(redis.call('SMEMBERS', set)) do\n"                                   \
    "    local k = prefix .. 'rq:' .. c\n"                                                     \
    "    if redis.call('HGET', k, 'mb') == id then redis.call('DEL', k) end\n"                 \
    "  end\n"                                                                                  \
    "  redis.call('DEL', set, prefix .. 'mb:' .. id)\n"                                        \
    "  redis.call('ZREM', prefix .. 'exp', id)\n"                                              \
    "end\n"

/* KEYS: mb. ARGV: id, claim, now, prefix */
static const char rs_remove_lua[] = RS_PRELUDE RS_DROP
    "local h = live(tonumber(ARGV[3]))\n"
    "if not h then return {2} end\n"
    "if party(h, ARGV[2]) == 0 or not string.find(h[4], 'D', 1, true) then return {3} end\n"
    "drop(ARGV[4], ARGV[1])\n"
    "return {0}\n";

/* KEYS: mb, rq(claim), mbc. ARGV: id, claim, now, rid?, body? */
static const char rs_relinquish_lua[] = RS_PRELUDE
    "local h = live(tonumber(ARGV[3]))\n"
    "if not h then return {2} end\n"
    "local d = isdup(opt(ARGV[4]), ARGV[1])\n"
    "if d then return d end\n"
    "local p = party(h, ARGV[2])\n"
    "if p == 1 then return {3} end\n"
    "if not h[3] then return {4} end\n"
    "if p ~= 2 then return {3} end\n"
    "redis.call('HDEL', KEYS[1], 'rec', 'rtok')\n"
    "remember(ARGV[2], opt(ARGV[4]), ARGV[1], opt(ARGV[5]), h[5])\n"
    "return {0}\n";

/* KEYS: mb. ARGV: field ('itok' or 'rtok'), token. A gone push subscription: cleared only
 * while it is still the stored token. */
static const char rs_drop_token_lua[] =
    "if redis.call('HGET', KEYS[1], ARGV[1]) ~= ARGV[2] then return {2} end\n"
    "redis.call('HDEL', KEYS[1], ARGV[1])\n"
    "return {0}\n";

/* KEYS: exp. ARGV: now, limit, prefix. Returns how many expired mailboxes it removed. */
static const char rs_sweep_lua[] = RS_DROP
    "local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, ARGV[2])\n"
    "for _, id in ipairs(ids) do drop(ARGV[3], id) end\n"
    "return #ids\n";

#endif /* TIGRESS_RELAY_STORE_REDIS_LUA_H */
