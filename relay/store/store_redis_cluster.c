/*
 * relay/store_redis_cluster.c: what several relay processes on one Redis share besides the
 * mailboxes (DESIGN 7, issue 9):
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

#include "store_redis_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>

#define RC_KEY_TTL_S 86400        /* the shared hashing key lives one day */
#define RC_KEY_CACHE_MS 60000     /* a process re-reads it once a minute */
#define RC_BACKOFF_MAX_MS 2000    /* subscriber reconnect backoff */
#define RC_QUEUE 4096             /* change notices waiting to be published */
#define RC_BATCH 256              /* notices pipelined in one write */

typedef struct rs_cluster {
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
    char queue[RC_QUEUE][37];
} rs_cluster;

/* KEYS[1] bucket; ARGV rate, burst. Returns the seconds to wait (0 = allowed). */
static const char rc_rate_lua[] =
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

int rs_cluster_init(rs_store *s)
{
    rs_cluster *cl = calloc(1, sizeof(*cl));
    unsigned char node[8];
    if (cl == NULL || random_bytes(node, sizeof(node)) != 0) {
        free(cl);
        return -1;
    }
    hex(node, sizeof(node), cl->node);
    snprintf(cl->channel, sizeof(cl->channel), "tigress:chg:%d", s->db);
    pthread_mutex_init(&cl->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&cl->cond, &ca);
    pthread_cond_init(&cl->pcond, &ca);
    pthread_condattr_destroy(&ca);
    s->cluster = cl;
    return 0;
}

void rs_cluster_free(rs_store *s)
{
    rs_cluster *cl = s->cluster;
    if (cl == NULL)
        return;
    pthread_mutex_lock(&cl->mu);
    cl->stopping = true;
    if (cl->subc != NULL)
        shutdown(cl->subc->fd, SHUT_RDWR);   /* unblocks redisGetReply in the thread */
    pthread_cond_signal(&cl->cond);
    pthread_cond_signal(&cl->pcond);
    pthread_mutex_unlock(&cl->mu);
    if (cl->running)
        pthread_join(cl->thread, NULL);
    if (cl->prunning)
        pthread_join(cl->pthread, NULL);
    pthread_cond_destroy(&cl->pcond);
    pthread_cond_destroy(&cl->cond);
    pthread_mutex_destroy(&cl->mu);
    volatile unsigned char *p = cl->key;     /* wipe the hashing key */
    for (size_t i = 0; i < sizeof(cl->key); i++)
        p[i] = 0;
    free(cl);
    s->cluster = NULL;
}

/* ---- change notices ------------------------------------------------------------------- */

/* Sleeps up to ms on cv unless the store is closing; false when it is. Called with cl->mu
 * held. */
static bool nap_on(rs_cluster *cl, pthread_cond_t *cv, int ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    if (!cl->stopping)
        pthread_cond_timedwait(cv, &cl->mu, &ts);
    return !cl->stopping;
}

static bool nap(rs_cluster *cl, int ms)
{
    return nap_on(cl, &cl->cond, ms);
}

/* Sends n notices on c, pipelined; false when the connection failed. */
static bool publish_batch(rs_cluster *cl, redisContext *c, char (*ids)[37], size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char msg[64];
        snprintf(msg, sizeof(msg), "%.16s %.36s", cl->node, ids[i]);
        /* One argument each (hiredis does not split a %s substitution at spaces). */
        if (redisAppendCommand(c, "PUBLISH %s %s", cl->channel, msg) != REDIS_OK)
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
    rs_store *s = arg;
    rs_cluster *cl = s->cluster;
    char (*batch)[37] = malloc(RC_BATCH * sizeof(*batch));
    if (batch == NULL)
        return NULL;    /* out of memory: notices queue up and are dropped; recheck covers */
    redisContext *c = NULL;
    pthread_mutex_lock(&cl->mu);
    for (;;) {
        while (cl->qlen == 0 && !cl->stopping)
            pthread_cond_wait(&cl->pcond, &cl->mu);
        if (cl->stopping)
            break;
        size_t n = 0;
        while (cl->qlen > 0 && n < RC_BATCH) {
            memcpy(batch[n++], cl->queue[cl->qhead], 37);
            cl->qhead = (cl->qhead + 1) % RC_QUEUE;
            cl->qlen--;
        }
        pthread_mutex_unlock(&cl->mu);
        if (c == NULL)
            c = rs_new_context(s);
        bool ok = c != NULL && publish_batch(cl, c, batch, n);
        if (!ok && c != NULL) {
            redisFree(c);
            c = NULL;
        }
        pthread_mutex_lock(&cl->mu);
        if (!ok)                        /* Redis is down: these notices are lost; pause */
            nap_on(cl, &cl->pcond, 200);
    }
    pthread_mutex_unlock(&cl->mu);
    if (c != NULL)
        redisFree(c);
    free(batch);
    return NULL;
}

void rs_publish(store *st, const char *id)
{
    rs_store *s = (rs_store *)st;
    rs_cluster *cl = s->cluster;
    if (cl == NULL)
        return;
    pthread_mutex_lock(&cl->mu);
    if (!cl->prunning && !cl->stopping &&
        pthread_create(&cl->pthread, NULL, pub_main, s) == 0)
        cl->prunning = true;            /* started on first use: store tests never need it */
    if (cl->prunning && cl->qlen < RC_QUEUE) {
        snprintf(cl->queue[(cl->qhead + cl->qlen) % RC_QUEUE], 37, "%s", id);
        cl->qlen++;
        pthread_cond_signal(&cl->pcond);
    }
    pthread_mutex_unlock(&cl->mu);
}

/* One notice: ["message", channel, "<node> <id>"]. */
static void deliver(rs_cluster *cl, const redisReply *r)
{
    if (r->type != REDIS_REPLY_ARRAY || r->elements != 3 ||
        r->element[0]->type != REDIS_REPLY_STRING || strcmp(r->element[0]->str, "message") != 0 ||
        r->element[2]->type != REDIS_REPLY_STRING)
        return;
    const char *msg = r->element[2]->str;
    size_t nl = strlen(cl->node);
    if (r->element[2]->len < nl + 2 || msg[nl] != ' ' || strncmp(msg, cl->node, nl) == 0)
        return;                 /* malformed, or our own notice (already handled locally) */
    char id[40];
    snprintf(id, sizeof(id), "%s", msg + nl + 1);
    cl->changed(id, cl->arg);
}

/* Subscribes on a fresh connection; true while it reads notices until the connection ends. */
static bool listen_once(rs_store *s, rs_cluster *cl)
{
    redisContext *c = rs_new_context(s);
    if (c == NULL)
        return false;
    /* SUBSCRIBE under the normal timeout; then block for notices without one. Keepalive
     * probes find a connection a middlebox dropped silently (notices would stop unseen). */
    redisReply *r = redisCommand(c, "SUBSCRIBE %s", cl->channel);
    bool ok = r != NULL && r->type == REDIS_REPLY_ARRAY;
    freeReplyObject(r);
    struct timeval forever = {0, 0};
    /* Over rediss:// c is the AF_UNIX end of the TLS tunnel, where TCP options fail; the
     * tunnel's own TCP socket has keep-alive already (relay/redis_tls.c). */
    ok = ok && redisSetTimeout(c, forever) == REDIS_OK &&
         (s->tls || redisEnableKeepAlive(c) == REDIS_OK);
    pthread_mutex_lock(&cl->mu);
    if (ok && !cl->stopping)
        cl->subc = c;
    else
        ok = false;
    pthread_mutex_unlock(&cl->mu);
    if (!ok) {
        redisFree(c);
        return false;
    }
    /* Notices sent before this subscription may be lost: let the waiters recheck. */
    cl->changed(NULL, cl->arg);
    void *reply = NULL;
    while (redisGetReply(c, &reply) == REDIS_OK && reply != NULL) {
        deliver(cl, reply);
        freeReplyObject(reply);
        reply = NULL;
    }
    pthread_mutex_lock(&cl->mu);
    cl->subc = NULL;
    pthread_mutex_unlock(&cl->mu);
    redisFree(c);
    return true;
}

static void *sub_main(void *arg)
{
    rs_store *s = arg;
    rs_cluster *cl = s->cluster;
    int backoff = 50;
    pthread_mutex_lock(&cl->mu);
    while (!cl->stopping) {
        pthread_mutex_unlock(&cl->mu);
        bool was_up = listen_once(s, cl);
        pthread_mutex_lock(&cl->mu);
        backoff = was_up ? 50 : (backoff * 2 > RC_BACKOFF_MAX_MS ? RC_BACKOFF_MAX_MS : backoff * 2);
        nap(cl, backoff);
    }
    pthread_mutex_unlock(&cl->mu);
    return NULL;
}

int rs_subscribe(store *st, void (*changed)(const char *id, void *arg), void *arg)
{
    rs_store *s = (rs_store *)st;
    rs_cluster *cl = s->cluster;
    if (cl == NULL || cl->running)
        return -1;
    cl->changed = changed;
    cl->arg = arg;
    if (pthread_create(&cl->thread, NULL, sub_main, s) != 0)
        return -1;
    cl->running = true;
    return 0;
}

/* ---- shared rate limiter ---------------------------------------------------------------- */

int rs_shared_key(store *st, unsigned char out[32])
{
    rs_store *s = (rs_store *)st;
    rs_cluster *cl = s->cluster;
    int64_t now = mono_ms();
    pthread_mutex_lock(&cl->mu);
    bool fresh = cl->key_at_ms != 0 && now - cl->key_at_ms < RC_KEY_CACHE_MS;
    if (fresh)
        memcpy(out, cl->key, 32);
    pthread_mutex_unlock(&cl->mu);
    if (fresh)
        return 0;

    unsigned char mine[32];
    if (random_bytes(mine, sizeof(mine)) != 0)
        return -1;
    rs_conn *k = rs_pool_get(s);
    if (k == NULL)
        return -1;
    /* Whoever comes first after the old key expired sets the new one; everyone reads it. */
    redisReply *r = redisCommand(k->c, "SET tigress:rlkey %b NX EX %d", mine, sizeof(mine),
                                 RC_KEY_TTL_S);
    freeReplyObject(r);
    r = redisCommand(k->c, "GET tigress:rlkey");
    rs_pool_put(s, k);
    int rc = -1;
    if (r != NULL && r->type == REDIS_REPLY_STRING && r->len == 32) {
        memcpy(out, r->str, 32);
        pthread_mutex_lock(&cl->mu);
        memcpy(cl->key, r->str, 32);
        cl->key_at_ms = now;
        pthread_mutex_unlock(&cl->mu);
        rc = 0;
    }
    if (r != NULL && r->type == REDIS_REPLY_STRING)
        memset(r->str, 0, r->len);
    freeReplyObject(r);
    memset(mine, 0, sizeof(mine));
    return rc;
}

long rs_rate_take(store *st, const unsigned char *key, size_t key_len, double rate,
                  double burst)
{
    rs_store *s = (rs_store *)st;
    rs_cluster *cl = s->cluster;
    char hexkey[65], name[16 + 65];
    hex(key, key_len, hexkey);
    snprintf(name, sizeof(name), "tigress:rl:%s", hexkey);
    char rate_s[32], burst_s[32], sha[41];
    snprintf(rate_s, sizeof(rate_s), "%.6f", rate);
    snprintf(burst_s, sizeof(burst_s), "%.6f", burst < 1.0 ? 1.0 : burst);
    pthread_mutex_lock(&cl->mu);
    memcpy(sha, cl->rl_sha, sizeof(sha));
    pthread_mutex_unlock(&cl->mu);

    rs_conn *k = rs_pool_get(s);
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
            redisReply *l = redisCommand(k->c, "SCRIPT LOAD %s", rc_rate_lua);
            if (l != NULL && l->type == REDIS_REPLY_STRING && l->len == 40) {
                pthread_mutex_lock(&cl->mu);
                memcpy(cl->rl_sha, l->str, 41);
                memcpy(sha, l->str, 41);
                pthread_mutex_unlock(&cl->mu);
                r = redisCommand(k->c, "EVALSHA %s 1 %s %s %s", sha, name, rate_s, burst_s);
            }
            freeReplyObject(l);
        }
    }
    rs_pool_put(s, k);
    long wait = r != NULL && r->type == REDIS_REPLY_INTEGER ? (long)r->integer : -1;
    freeReplyObject(r);
    return wait;
}

#else /* !TIGRESS_HAVE_HIREDIS */

typedef int store_redis_cluster_not_built;

#endif /* TIGRESS_HAVE_HIREDIS */
