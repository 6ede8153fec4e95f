/*
 * relay/store/store_redis_schema.c: the Redis backend's keyed hashes of Device Claims and
 * Request-IDs, and the one-time migration of a store written by relays that kept them in the
 * clear (schema 1) to their hashes (schema 2). Split from store_redis.c, which calls rs_hash()
 * for every operation and rs_migrate() once per process before the first one.
 */
#ifdef TIGRESS_HAVE_HIREDIS

#include "store_redis_schema.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

static const char rs_prefix[] = RS_PREFIX;

void rs_hash(const unsigned char key[RS_KEY_LEN], char domain, const char *v,
             char out[RS_HASH_HEX])
{
    crypto_generichash_state h;
    unsigned char d = (unsigned char)domain, bin[32];
    crypto_generichash_init(&h, key, RS_KEY_LEN, sizeof(bin));
    crypto_generichash_update(&h, &d, 1);
    crypto_generichash_update(&h, (const unsigned char *)v, strlen(v));
    crypto_generichash_final(&h, bin, sizeof(bin));
    sodium_bin2hex(out, RS_HASH_HEX, bin, sizeof(bin));
}

/* What rs_hash writes: 64 lowercase hex digits (a claim or Request-ID of schema 1 is not). */
static bool is_hash(const char *v, size_t len)
{
    if (len != RS_HASH_HEX - 1)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!((v[i] >= '0' && v[i] <= '9') || (v[i] >= 'a' && v[i] <= 'f')))
            return false;
    return true;
}

/* Migration scripts (schema 1 -> 2), each a compare-and-set on one key, so a value changed
 * since the scan read it is left alone. */
static const char rs_mig_mb_lua[] =
    "local h = redis.call('HMGET', KEYS[1], 'ini', 'rec')\n"
    "if ARGV[1] ~= '' and h[1] == ARGV[1] then redis.call('HSET', KEYS[1], 'ini', ARGV[2]) end\n"
    "if ARGV[3] ~= '' and h[2] == ARGV[3] then redis.call('HSET', KEYS[1], 'rec', ARGV[4]) end\n"
    "return 0\n";
static const char rs_mig_rq_lua[] =
    "if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end\n"
    "if redis.call('EXISTS', KEYS[2]) == 1 then redis.call('DEL', KEYS[1]) return 0 end\n"
    "local rid = redis.call('HGET', KEYS[1], 'rid')\n"
    "redis.call('RENAME', KEYS[1], KEYS[2])\n"
    "if rid == ARGV[1] then redis.call('HSET', KEYS[2], 'rid', ARGV[2])\n"
    "else redis.call('HDEL', KEYS[2], 'rid') end\n"
    "return 1\n";
static const char rs_mig_set_lua[] =
    "if redis.call('SREM', KEYS[1], ARGV[1]) == 1 then redis.call('SADD', KEYS[1], ARGV[2]) end\n"
    "return 0\n";

/* One SCAN pass over prefix+pattern, calling fn(key) for each key; false on a failed reply. */
static bool scan_keys(redisContext *c, const char *pattern,
                      bool (*fn)(const unsigned char *, redisContext *, const char *),
                      const unsigned char *ckey)
{
    char cursor[32] = "0";
    do {
        redisReply *r = redisCommand(c, "SCAN %s MATCH %s%s COUNT 500", cursor, rs_prefix,
                                     pattern);
        if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
            r->element[0]->type != REDIS_REPLY_STRING) {
            freeReplyObject(r);
            return false;
        }
        snprintf(cursor, sizeof(cursor), "%s", r->element[0]->str);
        const redisReply *keys = r->element[1];
        for (size_t i = 0; i < keys->elements; i++)
            if (!fn(ckey, c, keys->element[i]->str)) {
                freeReplyObject(r);
                return false;
            }
        freeReplyObject(r);
    } while (strcmp(cursor, "0") != 0);
    return true;
}

bool rs_reply_ok(redisReply *r)
{
    bool ok = r != NULL && r->type != REDIS_REPLY_ERROR;
    freeReplyObject(r);
    return ok;
}

static bool mig_mb(const unsigned char *ckey, redisContext *c, const char *key)
{
    redisReply *r = redisCommand(c, "HMGET %s ini rec", key);
    if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements != 2) {
        freeReplyObject(r);
        return false;
    }
    char old[2][160] = {"", ""}, hex[2][RS_HASH_HEX] = {"", ""};
    for (int i = 0; i < 2; i++) {
        const redisReply *v = r->element[i];
        if (v->type == REDIS_REPLY_STRING && !is_hash(v->str, v->len) &&
            v->len < sizeof(old[i])) {
            memcpy(old[i], v->str, v->len + 1);
            rs_hash(ckey, 'c', old[i], hex[i]);
        }
    }
    freeReplyObject(r);
    if (old[0][0] == '\0' && old[1][0] == '\0')
        return true;
    return rs_reply_ok(redisCommand(c, "EVAL %s 1 %s %s %s %s %s", rs_mig_mb_lua, key, old[0],
                                 hex[0], old[1], hex[1]));
}

static bool mig_rq(const unsigned char *ckey, redisContext *c, const char *key)
{
    size_t plen = strlen(rs_prefix) + 3; /* "tigress:rq:" */
    const char *claim = key + plen;
    if (strlen(key) <= plen || is_hash(claim, strlen(claim)))
        return true;
    redisReply *r = redisCommand(c, "HGET %s rid", key);
    if (r == NULL || r->type == REDIS_REPLY_ERROR) {
        freeReplyObject(r);
        return false;
    }
    char rid[160] = "", rid_hex[RS_HASH_HEX] = "", claim_hex[RS_HASH_HEX], newkey[160];
    if (r->type == REDIS_REPLY_STRING && r->len < sizeof(rid)) {
        memcpy(rid, r->str, r->len + 1);
        rs_hash(ckey, 'r', rid, rid_hex);
    }
    freeReplyObject(r);
    rs_hash(ckey, 'c', claim, claim_hex);
    snprintf(newkey, sizeof(newkey), "%srq:%s", rs_prefix, claim_hex);
    return rs_reply_ok(redisCommand(c, "EVAL %s 2 %s %s %s %s", rs_mig_rq_lua, key, newkey, rid,
                                 rid_hex));
}

static bool mig_mbc(const unsigned char *ckey, redisContext *c, const char *key)
{
    redisReply *r = redisCommand(c, "SMEMBERS %s", key);
    if (r == NULL || r->type != REDIS_REPLY_ARRAY) {
        freeReplyObject(r);
        return false;
    }
    bool ok = true;
    for (size_t i = 0; ok && i < r->elements; i++) {
        const redisReply *m = r->element[i];
        if (m->type != REDIS_REPLY_STRING || is_hash(m->str, m->len))
            continue;
        char hex[RS_HASH_HEX];
        rs_hash(ckey, 'c', m->str, hex);
        ok = rs_reply_ok(redisCommand(c, "EVAL %s 1 %s %s %s", rs_mig_set_lua, key, m->str, hex));
    }
    freeReplyObject(r);
    return ok;
}

/* Schema 1 -> 2: every claim and Request-ID stored in the clear (mailbox fields ini and rec,
 * rq key names and their rid, mbc set members) replaced by its hash. Run by the first relay
 * process that finds no tigress:schema, holding tigress:migrating (60 s) so that one process
 * migrates; the others answer STORE_UNAVAILABLE (503) meanwhile. Every step is a
 * compare-and-set on one key and skips what is a hash already, so an interrupted migration
 * simply runs again. Relays of schema 1 must all be stopped first: one still running would
 * keep writing claims in the clear. */
store_rc rs_migrate(redisContext *c, const unsigned char ckey[RS_KEY_LEN])
{
    redisReply *r = redisCommand(c, "GET %sschema", rs_prefix);
    if (r == NULL || r->type == REDIS_REPLY_ERROR) {
        freeReplyObject(r);
        return STORE_UNAVAILABLE;
    }
    bool done = r->type == REDIS_REPLY_STRING && strcmp(r->str, "2") == 0;
    freeReplyObject(r);
    if (done)
        return STORE_OK;
    r = redisCommand(c, "SET %smigrating 1 NX PX 60000", rs_prefix);
    bool mine = r != NULL && r->type == REDIS_REPLY_STATUS;
    freeReplyObject(r);
    if (!mine)
        return STORE_UNAVAILABLE; /* another process migrates (or Redis failed): retry later */
    bool ok = scan_keys(c, "mb:*", mig_mb, ckey) && scan_keys(c, "rq:*", mig_rq, ckey) &&
              scan_keys(c, "mbc:*", mig_mbc, ckey) &&
              rs_reply_ok(redisCommand(c, "SET %sschema 2", rs_prefix));
    rs_reply_ok(redisCommand(c, "DEL %smigrating", rs_prefix));
    return ok ? STORE_OK : STORE_UNAVAILABLE;
}

#endif /* TIGRESS_HAVE_HIREDIS */
