/*
 * relay/store/store_redis_shared.c: what several relay processes on one Redis share besides
 * the mailboxes (so that any request may reach any process, see relay/README.md, "Operating
 * at scale"):
 *
 * - Change notices. A process that updated or deleted a mailbox PUBLISHes "<node> <id>" on
 *   the channel tigress:chg:<db> (queued, and sent pipelined by one publisher thread on its
 *   own connection, so the Update's answer never waits for it); every process runs one
 *   subscriber thread on its own
 *   connection and hands other nodes' notices to the long-poll module, which resumes the
 *   readers waiting on that mailbox. Pub/sub is fire-and-forget: a notice sent while a
 *   subscriber is reconnecting is lost, so after every (re)subscription the callback is told
 *   changed(NULL) ("recheck everything"), and the long-poll module keeps its own slow version
 *   recheck as a safety net. The mailbox ID on the channel is what a Redis operator could
 *   read from the keys anyway; it is never logged.
 *
 * - The shared rate limiter. One token bucket per client in a Redis hash, updated by a Lua
 *   script (refill from the server clock, take one, PEXPIRE when full again), so every
 *   process sees the same bucket and nothing outlives its window. The bucket's name is a
 *   keyed hash computed by the caller with shared_key(): a random 32-byte secret kept under
 *   tigress:rlkey that expires after a day (then the next process makes a new one), so no
 *   address is ever sent to Redis and yesterday's names cannot be recomputed.
 *
 * No libsodium here (the store tests link this file without it): randomness is getrandom().
 */
#ifdef TIGRESS_HAVE_HIREDIS

#include "store_redis_shared.h"

#include "store_redis_pool.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>

#define RSH_KEY_TTL_S 86400        /* the shared hashing key lives one day */
#define RSH_KEY_CACHE_MS 60000     /* a process re-reads it once a minute */
#define RSH_BACKOFF_MAX_MS 2000    /* subscriber reconnect backoff */
#define RSH_QUEUE 4096             /* change notices waiting to be published */
#define RSH_BATCH 256              /* notices pipelined in one write */

struct rs_shared {
    rs_pool *pool;                /* the backend's connections (borrowed) */
    char node[17];                /* random per process: our own notices are skipped */
    char channel[48];
    pthread_mutex_t mu;
    pthread_cond_t cond;
    pthread_t thread;
    bool running, stopping;
    redisContext *subc;           /* the subscriber's connection while it is open */
    void (*changed)(const char *id, void *arg);
    void *arg;
    unsigned char key[32];
    int64_t key_at_ms;            /* when key was read; 0 = never */
    char rl_sha[41];
    /* Publisher: notices are queued and sent by one thread, pipelined, so an Update never
     * waits for an extra round trip; when the queue is full a notice is dropped (the
     * waiters' version recheck covers it). */
    pthread_cond_t pcond;
    pthread_t pthread;
    bool prunning;
    size_t qhead, qlen;
    char queue[RSH_QUEUE][37];
};

/* KEYS[1] bucket; ARGV rate, burst. Returns the seconds to wait (0 = allowed). */
static const char rsh_rate_lua[] =
    "local rate = tonumber(ARGV[1]) local burst = tonumber(ARGV[2])\n"
    "local t = redis.call('TIME') local now = tonumber(t[1]) + tonumber(t[2]) / 1000000\n"
    "local v = redis.call('HMGET', KEYS[1], 'tk', 'ts')\n"
    "local tk = tonumber(v[1]) or burst local ts = tonumber(v[2]) or now\n"
    "if now > ts then tk = tk + (now - ts) * rate end\n"
    "if tk > burst then tk = burst end\n"
    "local wait = 0\n"
    "if tk >= 1 then tk = tk - 1 else\n"
    "  wait = math.ceil((1 - tk) / rate) if wait < 1 then wait = 1 end end\n"
    "redis.call('HSET', KEYS[1], 'tk', tostring(tk), 'ts', tostring(now))\n"
    "redis.call('PEXPIRE', KEYS[1], math.ceil((burst - tk) / rate * 1000) + 1000)\n"
    "return wait\n";

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void hex(const unsigned char *in, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * n] = '\0';
}

static int random_bytes(unsigned char *out, size_t n)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = getrandom(out + got, n - got, 0);
        if (r < 0 && errno != EINTR)
            return -1;
        if (r > 0)
            got += (size_t)r;
    }
    return 0;
}

rs_shared *rs_shared_new(rs_pool *pool)
{
    rs_shared *sh = calloc(1, sizeof(*sh));
    unsigned char node[8];
    if (sh == NULL || random_bytes(node, sizeof(node)) != 0) {
        free(sh);
        return NULL;
    }
    sh->pool = pool;
    hex(node, sizeof(node), sh->node);
    snprintf(sh->channel, sizeof(sh->channel), "tigress:chg:%d", pool->url.db);
    pthread_mutex_init(&sh->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&sh->cond, &ca);
    pthread_cond_init(&sh->pcond, &ca);
    pthread_condattr_destroy(&ca);
    return sh;
}

void rs_shared_free(rs_shared *sh)
{
    if (sh == NULL)
        return;
    pthread_mutex_lock(&sh->mu);
    sh->stopping = true;
    if (sh->subc != NULL)
        shutdown(sh->subc->fd, SHUT_RDWR);   /* unblocks redisGetReply in the thread */
    pthread_cond_signal(&sh->cond);
    pthread_cond_signal(&sh->pcond);
    pthread_mutex_unlock(&sh->mu);
    if (sh->running)
        pthread_join(sh->thread, NULL);
    if (sh->prunning)
        pthread_join(sh->pthread, NULL);
    pthread_cond_destroy(&sh->pcond);
    pthread_cond_destroy(&sh->cond);
    pthread_mutex_destroy(&sh->mu);
    volatile unsigned char *p = sh->key;     /* wipe the hashing key */
    for (size_t i = 0; i < sizeof(sh->key); i++)
        p[i] = 0;
    free(sh);
}

/* ---- change notices ------------------------------------------------------------------- */

/* Sleeps up to ms on cv unless the store is closing; false when it is. Called with sh->mu
 * held. */
static bool nap_on(rs_shared *sh, pthread_cond_t *cv, int ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    if (!sh->stopping)
        pthread_cond_timedwait(cv, &sh->mu, &ts);
    return !sh->stopping;
}

static bool nap(rs_shared *sh, int ms)
{
    return nap_on(sh, &sh->cond, ms);
}

/* Sends n notices on c, pipelined; false when the connection failed. */
static bool publish_batch(rs_shared *sh, redisContext *c, char (*ids)[37], size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char msg[64];
        snprintf(msg, sizeof(msg), "%.16s %.36s", sh->node, ids[i]);
        /* One argument each (hiredis does not split a %s substitution at spaces). */
        if (redisAppendCommand(c, "PUBLISH %s %s", sh->channel, msg) != REDIS_OK)
            return false;
    }
    for (size_t i = 0; i < n; i++) {
        void *r = NULL;
        if (redisGetReply(c, &r) != REDIS_OK)
            return false;
        freeReplyObject(r);
    }
    return true;
}

static void *pub_main(void *arg)
{
    rs_shared *sh = arg;
    char (*batch)[37] = malloc(RSH_BATCH * sizeof(*batch));
    if (batch == NULL)
        return NULL;    /* out of memory: notices queue up and are dropped; recheck covers */
    redisContext *c = NULL;
    pthread_mutex_lock(&sh->mu);
    for (;;) {
        while (sh->qlen == 0 && !sh->stopping)
            pthread_cond_wait(&sh->pcond, &sh->mu);
        if (sh->stopping)
            break;
        size_t n = 0;
        while (sh->qlen > 0 && n < RSH_BATCH) {
            memcpy(batch[n++], sh->queue[sh->qhead], 37);
            sh->qhead = (sh->qhead + 1) % RSH_QUEUE;
            sh->qlen--;
        }
        pthread_mutex_unlock(&sh->mu);
        if (c == NULL)
            c = rs_pool_connect(sh->pool, NULL, NULL, 0);
        bool ok = c != NULL && publish_batch(sh, c, batch, n);
        if (!ok && c != NULL) {
            redisFree(c);
            c = NULL;
        }
        pthread_mutex_lock(&sh->mu);
        if (!ok)                        /* Redis is down: these notices are lost; pause */
            nap_on(sh, &sh->pcond, 200);
    }
    pthread_mutex_unlock(&sh->mu);
    if (c != NULL)
        redisFree(c);
    free(batch);
    return NULL;
}

void rs_shared_publish(rs_shared *sh, const char *id)
{
    if (sh == NULL)
        return;
    pthread_mutex_lock(&sh->mu);
    if (!sh->prunning && !sh->stopping &&
        pthread_create(&sh->pthread, NULL, pub_main, sh) == 0)
        sh->prunning = true;            /* started on first use: store tests never need it */
    if (sh->prunning && sh->qlen < RSH_QUEUE) {
        snprintf(sh->queue[(sh->qhead + sh->qlen) % RSH_QUEUE], 37, "%s", id);
        sh->qlen++;
        pthread_cond_signal(&sh->pcond);
    }
    pthread_mutex_unlock(&sh->mu);
}

/* One notice: ["message", channel, "<node> <id>"]. */
static void deliver(rs_shared *sh, const redisReply *r)
{
    if (r->type != REDIS_REPLY_ARRAY || r->elements != 3 ||
        r->element[0]->type != REDIS_REPLY_STRING || strcmp(r->element[0]->str, "message") != 0 ||
        r->element[2]->type != REDIS_REPLY_STRING)
        return;
    const char *msg = r->element[2]->str;
    size_t nl = strlen(sh->node);
    if (r->element[2]->len < nl + 2 || msg[nl] != ' ' || strncmp(msg, sh->node, nl) == 0)
        return;                 /* malformed, or our own notice (already handled locally) */
    char id[40];
    snprintf(id, sizeof(id), "%s", msg + nl + 1);
    sh->changed(id, sh->arg);
}

/* Subscribes on a fresh connection; true while it reads notices until the connection ends. */
static bool listen_once(rs_shared *sh)
{
    redisContext *c = rs_pool_connect(sh->pool, NULL, NULL, 0);
    if (c == NULL)
        return false;
    /* SUBSCRIBE under the normal timeout; then block for notices without one. Keepalive
     * probes find a connection a middlebox dropped silently (notices would stop unseen). */
    redisReply *r = redisCommand(c, "SUBSCRIBE %s", sh->channel);
    bool ok = r != NULL && r->type == REDIS_REPLY_ARRAY;
    freeReplyObject(r);
    struct timeval forever = {0, 0};
    /* Over rediss:// c is the AF_UNIX end of the TLS tunnel, where TCP options fail; the
     * tunnel's own TCP socket has keep-alive already (relay/store/redis_tls.c). */
    ok = ok && redisSetTimeout(c, forever) == REDIS_OK &&
         (sh->pool->url.tls || redisEnableKeepAlive(c) == REDIS_OK);
    pthread_mutex_lock(&sh->mu);
    if (ok && !sh->stopping)
        sh->subc = c;
    else
        ok = false;
    pthread_mutex_unlock(&sh->mu);
    if (!ok) {
        redisFree(c);
        return false;
    }
    /* Notices sent before this subscription may be lost: let the waiters recheck. */
    sh->changed(NULL, sh->arg);
    void *reply = NULL;
    while (redisGetReply(c, &reply) == REDIS_OK && reply != NULL) {
        deliver(sh, reply);
        freeReplyObject(reply);
        reply = NULL;
    }
    pthread_mutex_lock(&sh->mu);
    sh->subc = NULL;
    pthread_mutex_unlock(&sh->mu);
    redisFree(c);
    return true;
}

static void *sub_main(void *arg)
{
    rs_shared *sh = arg;
    int backoff = 50;
    pthread_mutex_lock(&sh->mu);
    while (!sh->stopping) {
        pthread_mutex_unlock(&sh->mu);
        bool was_up = listen_once(sh);
        pthread_mutex_lock(&sh->mu);
        backoff = was_up ? 50
                         : (backoff * 2 > RSH_BACKOFF_MAX_MS ? RSH_BACKOFF_MAX_MS : backoff * 2);
        nap(sh, backoff);
    }
    pthread_mutex_unlock(&sh->mu);
    return NULL;
}

int rs_shared_subscribe(rs_shared *sh, void (*changed)(const char *id, void *arg), void *arg)
{
    if (sh == NULL || sh->running)
        return -1;
    sh->changed = changed;
    sh->arg = arg;
    if (pthread_create(&sh->thread, NULL, sub_main, sh) != 0)
        return -1;
    sh->running = true;
    return 0;
}

/* ---- shared rate limiter ---------------------------------------------------------------- */

int rs_shared_key(rs_shared *sh, unsigned char out[32])
{
    int64_t now = mono_ms();
    pthread_mutex_lock(&sh->mu);
    bool fresh = sh->key_at_ms != 0 && now - sh->key_at_ms < RSH_KEY_CACHE_MS;
    if (fresh)
        memcpy(out, sh->key, 32);
    pthread_mutex_unlock(&sh->mu);
    if (fresh)
        return 0;

    unsigned char mine[32];
    if (random_bytes(mine, sizeof(mine)) != 0)
        return -1;
    rs_conn *k = rs_pool_get(sh->pool);
    if (k == NULL)
        return -1;
    /* Whoever comes first after the old key expired sets the new one; everyone reads it. */
    redisReply *r = redisCommand(k->c, "SET tigress:rlkey %b NX EX %d", mine, sizeof(mine),
                                 RSH_KEY_TTL_S);
    freeReplyObject(r);
    r = redisCommand(k->c, "GET tigress:rlkey");
    rs_pool_put(sh->pool, k);
    int rc = -1;
    if (r != NULL && r->type == REDIS_REPLY_STRING && r->len == 32) {
        memcpy(out, r->str, 32);
        pthread_mutex_lock(&sh->mu);
        memcpy(sh->key, r->str, 32);
        sh->key_at_ms = now;
        pthread_mutex_unlock(&sh->mu);
        rc = 0;
    }
    if (r != NULL && r->type == REDIS_REPLY_STRING)
        memset(r->str, 0, r->len);
    freeReplyObject(r);
    memset(mine, 0, sizeof(mine));
    return rc;
}

long rs_shared_rate_take(rs_shared *sh, const unsigned char *key, size_t key_len, double rate,
                         double burst)
{
    char hexkey[65], name[16 + 65];
    hex(key, key_len, hexkey);
    snprintf(name, sizeof(name), "tigress:rl:%s", hexkey);
    char rate_s[32], burst_s[32], sha[41];
    snprintf(rate_s, sizeof(rate_s), "%.6f", rate);
    snprintf(burst_s, sizeof(burst_s), "%.6f", burst < 1.0 ? 1.0 : burst);
    pthread_mutex_lock(&sh->mu);
    memcpy(sha, sh->rl_sha, sizeof(sha));
    pthread_mutex_unlock(&sh->mu);

    rs_conn *k = rs_pool_get(sh->pool);
    if (k == NULL)
        return -1;
    redisReply *r = NULL;
    if (sha[0] != '\0')
        r = redisCommand(k->c, "EVALSHA %s 1 %s %s %s", sha, name, rate_s, burst_s);
    if (r == NULL || r->type == REDIS_REPLY_ERROR) {
        /* First call, or the server lost its script cache (restart): send the script. */
        freeReplyObject(r);
        r = NULL;
        if (k->c->err == 0) {
            redisReply *l = redisCommand(k->c, "SCRIPT LOAD %s", rsh_rate_lua);
            if (l != NULL && l->type == REDIS_REPLY_STRING && l->len == 40) {
                pthread_mutex_lock(&sh->mu);
                memcpy(sh->rl_sha, l->str, 41);
                memcpy(sha, l->str, 41);
                pthread_mutex_unlock(&sh->mu);
                r = redisCommand(k->c, "EVALSHA %s 1 %s %s %s", sha, name, rate_s, burst_s);
            }
            freeReplyObject(l);
        }
    }
    rs_pool_put(sh->pool, k);
    long wait = r != NULL && r->type == REDIS_REPLY_INTEGER ? (long)r->integer : -1;
    freeReplyObject(r);
    return wait;
}

#else /* !TIGRESS_HAVE_HIREDIS */

typedef int store_redis_shared_not_built;

#endif /* TIGRESS_HAVE_HIREDIS */
