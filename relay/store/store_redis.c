/*
 * relay/store/store_redis.c: the Redis store backend, so that several relay processes can
 * share one store (relay/README.md, "Operating at scale"). Built only when hiredis is found
 * (-DTIGRESS_HAVE_HIREDIS). Its connections, with the circuit breaker and the URL, are
 * store_redis_pool.c's; change notices and the shared rate limit, store_redis_shared.c's;
 * running the scripts and decoding their replies, store_redis_call.c's.
 *
 * Atomicity: every operation that reads and then writes (create with its duplicate check,
 * read with first-claim binding, update, delete, relinquish, sweep) is one Lua script, and
 * Redis runs a script without interleaving any other command, from any client. So the
 * checks and the write are one step across all relay processes, exactly like one SQLite
 * transaction. Scripts are sent with EVALSHA and fall back to EVAL when the server has lost
 * its script cache (a restart or SCRIPT FLUSH).
 *
 * Device Claims and Request-IDs never reach Redis (docs/protocol.md D12): this file sends
 * their keyed hashes instead, 64 hex digits of BLAKE2b (crypto_generichash) keyed with the
 * claim key, over a domain byte ('c' claim, 'r' Request-ID) and the value, as the SQLite
 * backend does. So no key name, field, script argument (nor SLOWLOG or MONITOR line) holds
 * one, and the scripts compare hashes. The claim key is the Redis key tigress:claimkey (32
 * random bytes, SET NX by the first relay that needs it), because every process on the server
 * must share it and a Redis server has no file beside it: it protects against a leak of the
 * mailbox data without that key (a partial dump, SLOWLOG, MONITOR, a replica's log), not
 * against a full copy of the database, which holds the key too.
 *
 * Keys (prefix "tigress:"):
 *   mb:<id>    hash: ini, rec (claim hashes), rights, exp, expms, ver, payload, display, itok, rtok
 *   rq:<hash>  hash: rid (hash), mb, body   the last Request-ID processed for a Device Claim
 *   mbc:<id>   set of the claim hashes that have an rq key pointing at this mailbox
 *   exp        sorted set: mailbox id scored by expires_at, for sweep() and count()
 *   claimkey   string: the claim key
 *   schema     string: "2" once claims and Request-IDs are hashes (see rs_migrate)
 * Every per-mailbox key carries PEXPIREAT at the mailbox's expiry, so Redis drops expired
 * mailboxes by itself; the scripts also treat expires_at <= now as gone (R18), and sweep()
 * removes what is left. Durability is the server's: run it with appendonly yes and
 * appendfsync always (the server then fsyncs before it replies, batching clients itself).
 * The scripts touch keys they compute (rq:<claim> of past parties), so this backend wants a
 * single Redis server (or a primary with replicas), not Redis Cluster.
 */
#ifdef TIGRESS_HAVE_HIREDIS

#include "store_backend.h"

#include <hiredis.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store_redis_call.h"
#include "store_redis_pool.h"
#include "store_redis_schema.h"
#include "store_redis_shared.h"

#define RS_SWEEP_BATCH 500
#define RS_DEFAULT_TIMEOUT_MS 2000

typedef struct rs_store {
    store base;
    rs_pool pool;               /* connections, circuit breaker, URL */
    rs_scripts scripts;         /* the Lua scripts' SHA1s (store_redis_call.c) */
    rs_shared *shared;          /* change notices and the shared rate limit */
    pthread_mutex_t key_mu;
    bool ready;                 /* claim key loaded and the store at schema 2 (key_mu) */
    unsigned char key[32];      /* the claim key (key_mu until ready, then read-only) */
} rs_store;

static const char rs_prefix[] = RS_PREFIX;

static void set_err(char *err, size_t err_len, const char *msg)
{
    if (err != NULL && err_len > 0)
        snprintf(err, err_len, "redis store: %s", msg);
}

/* rs_run_script() with this store's scripts and pool. */
static redisReply *run_script(rs_store *s, rs_script which, int nkeys, const rs_args *a,
                              store_rc *src)
{
    return rs_run_script(&s->scripts, &s->pool, which, nkeys, a, src);
}

/* Before any operation that names a claim: the claim key, and the store at schema 2. Done once
 * per process, on first use (the relay may start while Redis is down). */
static store_rc rs_ready(rs_store *s)
{
    pthread_mutex_lock(&s->key_mu);
    if (s->ready) {
        pthread_mutex_unlock(&s->key_mu);
        return STORE_OK;
    }
    rs_conn *k = rs_pool_get(&s->pool);
    if (k == NULL) {
        pthread_mutex_unlock(&s->key_mu);
        return STORE_UNAVAILABLE;
    }
    unsigned char mine[RS_KEY_LEN];
    randombytes_buf(mine, sizeof(mine));
    store_rc src = STORE_UNAVAILABLE;
    redisReply *r = redisCommand(k->c, "SET %sclaimkey %b NX", rs_prefix, mine, sizeof(mine));
    sodium_memzero(mine, sizeof(mine));
    if (rs_reply_ok(r)) {
        r = redisCommand(k->c, "GET %sclaimkey", rs_prefix);
        if (r != NULL && r->type == REDIS_REPLY_STRING && r->len == RS_KEY_LEN) {
            memcpy(s->key, r->str, RS_KEY_LEN);
            src = STORE_OK;
        } else if (r != NULL && r->type != REDIS_REPLY_ERROR) {
            src = STORE_ERROR; /* a tigress:claimkey that is not ours */
        }
        if (r != NULL && r->type == REDIS_REPLY_STRING)
            sodium_memzero(r->str, r->len);
        freeReplyObject(r);
    }
    if (src == STORE_OK)
        src = rs_migrate(k->c, s->key);
    if (src == STORE_OK && !rs_wait_replicas(&s->pool, k->c))
        src = STORE_UNAVAILABLE;    /* the claim key must survive a failover */
    rs_pool_put(&s->pool, k);
    s->ready = src == STORE_OK;
    pthread_mutex_unlock(&s->key_mu);
    return src;
}

/* The hash of a claim (domain 'c') or Request-ID ('r'); "" stays NULL for arg_opt. */
static const char *hash_of(const rs_store *s, char domain, const char *v, char out[RS_HASH_HEX])
{
    if (v == NULL)
        return NULL;
    rs_hash(s->key, domain, v, out);
    return out;
}

/* rs_ready(), then the hashes of claim (into hc) and of *request_id (into hr; *request_id
 * then points at hr, or stays NULL without one): the preamble of every call that may be
 * remembered as a claim's last request. */
static store_rc ready_hashes(rs_store *s, const char *claim, const char **request_id,
                             char hc[RS_HASH_HEX], char hr[RS_HASH_HEX])
{
    store_rc ready = rs_ready(s);
    if (ready != STORE_OK)
        return ready;
    hash_of(s, 'c', claim, hc);
    *request_id = hash_of(s, 'r', *request_id, hr);
    return STORE_OK;
}

/* ---- the vtable (the front, store.c, has checked the arguments and cleared the outputs) -- */

static store_rc rs_create(store *st, const store_new_mailbox *mb, const char *request_id,
                          const char *response_body, store_reply *dup)
{
    rs_store *s = (rs_store *)st;
    char hc[RS_HASH_HEX], hr[RS_HASH_HEX];
    store_rc ready = ready_hashes(s, mb->initiator_claim, &request_id, hc, hr);
    if (ready != STORE_OK)
        return ready;
    rs_args a = {0};
    rs_argkey(&a, "mb:", mb->id);
    rs_argkey(&a, "rq:", hc);
    rs_argkey(&a, "mbc:", mb->id);
    rs_argkey(&a, "exp", "");
    rs_arg(&a, mb->id);
    rs_arg(&a, hc);
    rs_arg(&a, mb->rights);
    rs_argnum(&a, mb->expires_at);
    rs_argnum(&a, mb->expires_at * 1000);
    rs_arg(&a, mb->payload_json);
    rs_arg_opt(&a, mb->display_json);
    rs_arg_opt(&a, mb->initiator_token_json);
    rs_arg_opt(&a, request_id);
    rs_arg_opt(&a, response_body);
    store_rc src = STORE_OK;
    redisReply *r = run_script(s, RS_CREATE, 4, &a, &src);
    rs_args_free(&a);
    if (r == NULL)
        return src;
    src = rs_code_of(r);
    if (src == STORE_DUPLICATE)
        src = rs_take_dup(r, dup);
    else if (r->elements >= 1 && r->element[0]->type == REDIS_REPLY_INTEGER &&
             r->element[0]->integer == RS_TAKEN)
        src = STORE_ERROR; /* the id exists already */
    freeReplyObject(r);
    return src;
}

static store_rc rs_read(store *st, const char *id, const char *claim,
                        const char *recipient_token_json, int64_t now, store_mailbox *out)
{
    rs_store *s = (rs_store *)st;
    store_rc ready = rs_ready(s);
    if (ready != STORE_OK)
        return ready;
    char hc[RS_HASH_HEX];
    rs_args a = {0};
    rs_argkey(&a, "mb:", id);
    rs_arg(&a, hash_of(s, 'c', claim, hc));
    rs_argnum(&a, now);
    rs_arg_opt(&a, recipient_token_json);
    store_rc src = STORE_OK;
    redisReply *r = run_script(s, RS_READ, 1, &a, &src);
    rs_args_free(&a);
    if (r == NULL)
        return src;
    src = rs_code_of(r);
    if (src == STORE_OK)
        src = rs_fill_mailbox(r, id, out);
    freeReplyObject(r);
    return src;
}

/* A single HMGET of key <kind><name> (kind "mb:" or "rq:"): atomic on its own, no script
 * needed. */
static redisReply *hmget(rs_store *s, const char *kind, const char *name, const char *f1,
                         const char *f2, store_rc *src)
{
    char key[160];
    int n = snprintf(key, sizeof(key), "%s%s%s", rs_prefix, kind, name);
    if (n < 0 || (size_t)n >= sizeof(key)) {
        *src = STORE_ERROR;
        return NULL;
    }
    rs_conn *k = rs_pool_get(&s->pool);
    if (k == NULL) {
        *src = STORE_UNAVAILABLE;
        return NULL;
    }
    redisReply *r = redisCommand(k->c, "HMGET %s %s %s", key, f1, f2);
    rs_pool_put(&s->pool, k);
    if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements != 2) {
        *src = r == NULL ? STORE_UNAVAILABLE : STORE_ERROR;
        freeReplyObject(r);
        return NULL;
    }
    return r;
}

static store_rc rs_peek(store *st, const char *id, int64_t now, store_mailbox *out)
{
    store_rc src = STORE_OK;
    redisReply *r = hmget((rs_store *)st, "mb:", id, "exp", "display", &src);
    if (r == NULL)
        return src;
    long long exp = rs_el_num(r, 0);
    if (r->element[0]->type != REDIS_REPLY_STRING || exp <= now) {
        src = STORE_NOT_FOUND;
    } else {
        bool oom = false;
        snprintf(out->id, sizeof(out->id), "%s", id);
        out->expires_at = exp;
        out->display_json = rs_el_dup(r, 1, &oom);
        src = oom ? STORE_ERROR : STORE_OK;
    }
    freeReplyObject(r);
    return src;
}

/* The create script's isdup() without the create: one HMGET of the claim's rq key. */
static store_rc rs_replay(store *st, const char *claim, const char *request_id,
                          store_reply *dup)
{
    rs_store *s = (rs_store *)st;
    char hc[RS_HASH_HEX], hr[RS_HASH_HEX];
    store_rc src = ready_hashes(s, claim, &request_id, hc, hr);
    redisReply *r = src == STORE_OK ? hmget(s, "rq:", hc, "rid", "body", &src) : NULL;
    if (r == NULL)
        return src;
    src = STORE_NOT_FOUND;
    if (r->element[0]->type == REDIS_REPLY_STRING && strcmp(r->element[0]->str, request_id) == 0)
        src = rs_take_dup(r, dup);
    freeReplyObject(r);
    return src;
}

/* The arguments the update and relinquish scripts start with: KEYS mb:<id>, rq:<claim hash>,
 * mbc:<id>; ARGV id, claim hash, now, Request-ID hash (optional). */
static void args_by_party(rs_args *a, const char *id, const char *hc, int64_t now,
                          const char *request_id)
{
    rs_argkey(a, "mb:", id);
    rs_argkey(a, "rq:", hc);
    rs_argkey(a, "mbc:", id);
    rs_arg(a, id);
    rs_arg(a, hc);
    rs_argnum(a, now);
    rs_arg_opt(a, request_id);
}

static store_rc rs_update(store *st, const char *id, const char *claim, const char *request_id,
                          const char *payload_json, const char *token_json,
                          const char *response_body, int64_t now, store_reply *dup,
                          store_mailbox *out)
{
    rs_store *s = (rs_store *)st;
    char hc[RS_HASH_HEX], hr[RS_HASH_HEX];
    store_rc ready = ready_hashes(s, claim, &request_id, hc, hr);
    if (ready != STORE_OK)
        return ready;
    rs_args a = {0};
    args_by_party(&a, id, hc, now, request_id);
    rs_arg(&a, payload_json);
    rs_arg_opt(&a, token_json);
    rs_arg_opt(&a, response_body);
    store_rc src = STORE_OK;
    redisReply *r = run_script(s, RS_UPDATE, 3, &a, &src);
    rs_args_free(&a);
    if (r == NULL)
        return src;
    src = rs_code_of(r);
    if (src == STORE_OK)
        src = rs_fill_mailbox(r, id, out);
    else if (src == STORE_DUPLICATE)
        src = rs_take_dup(r, dup);
    freeReplyObject(r);
    return src;
}

static store_rc rs_remove(store *st, const char *id, const char *claim, int64_t now)
{
    rs_store *s = (rs_store *)st;
    store_rc ready = rs_ready(s);
    if (ready != STORE_OK)
        return ready;
    char hc[RS_HASH_HEX];
    rs_args a = {0};
    rs_argkey(&a, "mb:", id);
    rs_arg(&a, id);
    rs_arg(&a, hash_of(s, 'c', claim, hc));
    rs_argnum(&a, now);
    rs_arg(&a, rs_prefix);
    store_rc src = STORE_OK;
    redisReply *r = run_script(s, RS_REMOVE, 1, &a, &src);
    if (r == NULL)
        return src;
    src = rs_code_of(r);
    freeReplyObject(r);
    return src;
}

static store_rc rs_relinquish(store *st, const char *id, const char *claim,
                              const char *request_id, const char *response_body, int64_t now,
                              store_reply *dup)
{
    rs_store *s = (rs_store *)st;
    char hc[RS_HASH_HEX], hr[RS_HASH_HEX];
    store_rc ready = ready_hashes(s, claim, &request_id, hc, hr);
    if (ready != STORE_OK)
        return ready;
    rs_args a = {0};
    args_by_party(&a, id, hc, now, request_id);
    rs_arg_opt(&a, response_body);
    store_rc src = STORE_OK;
    redisReply *r = run_script(s, RS_RELINQUISH, 3, &a, &src);
    rs_args_free(&a);
    if (r == NULL)
        return src;
    src = rs_code_of(r);
    if (src == STORE_DUPLICATE)
        src = rs_take_dup(r, dup);
    freeReplyObject(r);
    return src;
}

static store_rc rs_drop_token(store *st, const char *id, store_party party,
                              const char *token_json)
{
    rs_store *s = (rs_store *)st;
    store_rc ready = rs_ready(s);
    if (ready != STORE_OK)
        return ready;
    rs_args a = {0};
    rs_argkey(&a, "mb:", id);
    rs_arg(&a, party == STORE_PARTY_INITIATOR ? "itok" : "rtok");
    rs_arg(&a, token_json);
    store_rc src = STORE_OK;
    redisReply *r = run_script(s, RS_DROP_TOKEN, 1, &a, &src);
    rs_args_free(&a);
    if (r == NULL)
        return src;
    src = rs_code_of(r);
    freeReplyObject(r);
    return src;
}

static uint64_t rs_version(store *st, const char *id, int64_t now)
{
    store_rc src = STORE_OK;
    redisReply *r = hmget((rs_store *)st, "mb:", id, "exp", "ver", &src);
    if (r == NULL)
        return src == STORE_UNAVAILABLE ? UINT64_MAX : 0;   /* see store.h: store_version() */
    uint64_t v = 0;
    if (r->element[0]->type == REDIS_REPLY_STRING && rs_el_num(r, 0) > now)
        v = (uint64_t)rs_el_num(r, 1);
    freeReplyObject(r);
    return v;
}

static long rs_sweep(store *st, int64_t now)
{
    rs_store *s = (rs_store *)st;
    long total = 0;
    for (;;) {
        rs_args a = {0};
        rs_argkey(&a, "exp", "");
        rs_argnum(&a, now);
        rs_argnum(&a, RS_SWEEP_BATCH);
        rs_arg(&a, rs_prefix);
        store_rc src = STORE_OK;
        redisReply *r = run_script(s, RS_SWEEP, 1, &a, &src);
        if (r == NULL)
            return -1;
        long n = r->type == REDIS_REPLY_INTEGER ? (long)r->integer : -1;
        freeReplyObject(r);
        if (n < 0)
            return -1;
        total += n;
        if (n < RS_SWEEP_BATCH)
            return total;
    }
}

/* Live means not yet expired by the wall clock (as in the SQLite backend). */
static long rs_count(store *st)
{
    rs_store *s = (rs_store *)st;
    rs_conn *k = rs_pool_get(&s->pool);
    if (k == NULL)
        return -1;
    redisReply *r = redisCommand(k->c, "ZCOUNT %sexp (%lld +inf", rs_prefix,
                                 (long long)time(NULL));
    rs_pool_put(&s->pool, k);
    long n = r != NULL && r->type == REDIS_REPLY_INTEGER ? (long)r->integer : -1;
    freeReplyObject(r);
    return n;
}

static void rs_free(rs_store *s)
{
    rs_shared_free(s->shared);      /* first: its threads use the pool */
    rs_pool_free(&s->pool);
    rs_scripts_destroy(&s->scripts);
    pthread_mutex_destroy(&s->key_mu);
    sodium_memzero(s->key, sizeof(s->key));
    free(s);
}

static void rs_close(store *st)
{
    rs_free((rs_store *)st);
}

/* The optional operations: what the processes on this server share (store_redis_shared.c). */
static void rs_publish(store *st, const char *id)
{
    rs_shared_publish(((rs_store *)st)->shared, id);
}

static int rs_subscribe(store *st, void (*changed)(const char *id, void *arg), void *arg)
{
    return rs_shared_subscribe(((rs_store *)st)->shared, changed, arg);
}

static int rs_shared_key_op(store *st, unsigned char out[32])
{
    return rs_shared_key(((rs_store *)st)->shared, out);
}

static long rs_rate_take(store *st, const unsigned char *key, size_t key_len, double rate,
                         double burst)
{
    return rs_shared_rate_take(((rs_store *)st)->shared, key, key_len, rate, burst);
}

static const store_ops rs_ops = {
    .create = rs_create,
    .replay = rs_replay,
    .read = rs_read,
    .peek = rs_peek,
    .update = rs_update,
    .remove = rs_remove,
    .relinquish = rs_relinquish,
    .drop_token = rs_drop_token,
    .version = rs_version,
    .sweep = rs_sweep,
    .count = rs_count,
    .close = rs_close,
    .publish = rs_publish,
    .subscribe = rs_subscribe,
    .shared_key = rs_shared_key_op,
    .rate_take = rs_rate_take,
};

/* Opening never waits for Redis to be up: the relay must keep answering (503 + Retry-After)
 * through an outage and recover by itself, and that includes an outage at start-up. So an
 * unreachable server is only a warning (in err, with a non-NULL store). What cannot get
 * better by waiting fails: a URL that does not parse, a server that refuses our AUTH (or
 * wants one we do not send), a database it refuses to SELECT. */
store *store_redis_open(const store_config *cfg, char *err, size_t err_len)
{
    if (sodium_init() < 0) {
        set_err(err, err_len, "libsodium cannot be initialised");
        return NULL;
    }
    rs_store *s = calloc(1, sizeof(*s));
    if (s == NULL) {
        set_err(err, err_len, "out of memory");
        return NULL;
    }
    rs_scripts_init(&s->scripts);
    pthread_mutex_init(&s->key_mu, NULL);
    s->base.ops = &rs_ops;
    const char *bad = rs_pool_setup(&s->pool, cfg, RS_DEFAULT_TIMEOUT_MS);
    if (bad == NULL && (s->shared = rs_shared_new(&s->pool)) == NULL)
        bad = "out of memory";
    if (bad != NULL) {
        set_err(err, err_len, bad);
        rs_free(s);
        return NULL;
    }
    const rs_url *u = &s->pool.url;
    rs_conn_rc why_rc = RS_CONN_OK;
    char why[160] = "", msg[480];
    redisContext *c = rs_pool_connect(&s->pool, &why_rc, why, sizeof(why));
    if (c != NULL) {
        rs_scripts_load(&s->scripts, c);  /* so that calls can use EVALSHA */
        redisFree(c);
        return &s->base;
    }
    /* Host and user are cut so each message fits msg (hosts are short in practice). */
    switch (why_rc) {
    case RS_CONN_AUTH:
        if (u->sentinel)
            snprintf(msg, sizeof(msg), "the master %.100s refused the credentials%.64s%.64s "
                     "(%s)", u->master_name, u->user != NULL ? " of user " : "",
                     u->user != NULL ? u->user : "", why);
        else
            snprintf(msg, sizeof(msg), "%.200s:%d refused the credentials%.64s%.64s (%s)",
                     u->host, u->port, u->user != NULL ? " of user " : "",
                     u->user != NULL ? u->user : "", why);
        break;
    case RS_CONN_SELECT:
        snprintf(msg, sizeof(msg), "%.200s:%d refused SELECT %d (%s)", u->host, u->port, u->db, why);
        break;
    case RS_CONN_TLS:
        snprintf(msg, sizeof(msg), "TLS to %.200s:%d: %s", u->host, u->port, why);
        break;
    default:
        /* Unreachable now: start anyway; calls answer STORE_UNAVAILABLE until it is back. */
        if (u->sentinel)
            snprintf(msg, sizeof(msg), "cannot reach the master %.100s through the sentinels "
                     "yet (%.200s); starting anyway, requests get 503 until it answers",
                     u->master_name, why[0] ? why : "no answer");
        else
            snprintf(msg, sizeof(msg), "cannot reach %.200s:%d yet (%s); starting anyway, "
                     "requests get 503 until it answers", u->host, u->port,
                     why[0] ? why : "no answer");
        set_err(err, err_len, msg);
        rs_pool_trip(&s->pool);
        return &s->base;
    }
    set_err(err, err_len, msg);
    rs_free(s);
    return NULL;
}

#else /* !TIGRESS_HAVE_HIREDIS */

/* Without hiredis this file is empty; store_open() reports "redis backend not built". */
typedef int store_redis_not_built;

#endif /* TIGRESS_HAVE_HIREDIS */
