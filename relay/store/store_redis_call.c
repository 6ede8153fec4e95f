/*
 * relay/store/store_redis_call.c: how the Redis backend (store_redis.c) runs its Lua scripts
 * and reads their replies: the argument list, EVALSHA with the EVAL fallback, the scripts'
 * SHA1s, WAIT for replicas, and the decoding of a script's reply into store.h's types.
 * Only built with hiredis.
 */
#ifdef TIGRESS_HAVE_HIREDIS

#include "store_redis_call.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_redis_lua.h"
#include "store_redis_schema.h"

static const char *const rs_lua[RS_SCRIPT_COUNT] = {
    rs_create_lua, rs_read_lua, rs_update_lua, rs_remove_lua, rs_relinquish_lua, rs_sweep_lua,
    rs_drop_token_lua,
};

static const char rs_prefix[] = RS_PREFIX;

void rs_scripts_init(rs_scripts *s)
{
    memset(s->sha, 0, sizeof s->sha);
    pthread_mutex_init(&s->mu, NULL);
}

void rs_scripts_destroy(rs_scripts *s)
{
    pthread_mutex_destroy(&s->mu);
}


void rs_args_free(rs_args *a)
{
    for (int i = 0; i < a->n_heap; i++)
        free(a->heap[i]);
    a->n_heap = 0;
}

void rs_arg(rs_args *a, const char *v)
{
    if (a->n >= RS_MAX_ARGS) { /* a programming error in a caller: fail the call, not memory */
        a->bad = true;
        return;
    }
    a->v[a->n] = v;
    a->len[a->n] = strlen(v);
    a->n++;
}

/* An owned, formatted argument (keys, numbers). */
void rs_argkey(rs_args *a, const char *kind, const char *name)
{
    if (a->n_own >= (int)(sizeof(a->own) / sizeof(a->own[0]))) {
        a->bad = true;
        return;
    }
    char *b = a->own[a->n_own++];
    int n = snprintf(b, sizeof(a->own[0]), "%s%s%s", rs_prefix, kind, name);
    if (n < 0 || (size_t)n >= sizeof(a->own[0]))
        a->bad = true;
    rs_arg(a, b);
}

void rs_argnum(rs_args *a, long long num)
{
    if (a->n_own >= (int)(sizeof(a->own) / sizeof(a->own[0]))) {
        a->bad = true;
        return;
    }
    char *b = a->own[a->n_own++];
    snprintf(b, sizeof(a->own[0]), "%lld", num);
    rs_arg(a, b);
}

/* An optional argument: "" when absent, "=" .. value when present (the scripts' opt()). */
void rs_arg_opt(rs_args *a, const char *v)
{
    if (v == NULL) {
        rs_arg(a, "");
        return;
    }
    size_t n = strlen(v);
    char *b = NULL;
    if (a->n_heap >= (int)(sizeof(a->heap) / sizeof(a->heap[0])) || a->n >= RS_MAX_ARGS ||
        (b = malloc(n + 2)) == NULL) {
        a->bad = true;
        return;
    }
    b[0] = '=';
    memcpy(b + 1, v, n + 1);
    /* b is owned by a->heap and freed by args_free; clang-analyzer loses track of it
     * through the symbolically indexed array and reports a leak that is not there. */
    a->heap[a->n_heap++] = b;
    a->v[a->n] = b;                     // NOLINT(clang-analyzer-unix.Malloc)
    a->len[a->n] = n + 1;               // NOLINT(clang-analyzer-unix.Malloc)
    a->n++;
}

/* The SHA1 of script `which` into sha (41 bytes), loading it with SCRIPT LOAD on first use
 * (the relay may start while Redis is down). When that fails sha is a dummy: EVALSHA then
 * answers NOSCRIPT and rs_run_script sends the script itself. */
static void script_sha(rs_scripts *s, redisContext *c, rs_script which, char sha[41])
{
    pthread_mutex_lock(&s->mu);
    memcpy(sha, s->sha[which], 41);
    pthread_mutex_unlock(&s->mu);
    if (sha[0] != '\0')
        return;
    redisReply *r = redisCommand(c, "SCRIPT LOAD %s", rs_lua[which]);
    if (r != NULL && r->type == REDIS_REPLY_STRING && r->len == 40) {
        memcpy(sha, r->str, 41);
        pthread_mutex_lock(&s->mu);
        memcpy(s->sha[which], sha, 41);
        pthread_mutex_unlock(&s->mu);
    } else {
        snprintf(sha, 41, "%040d", 0);
    }
    freeReplyObject(r);
}

/* With min_replicas (redis+sentinel://...?min_replicas=N): WAIT until N replicas have every
 * write made on c so far, or the wait timeout. False when fewer acknowledged in time (or the
 * connection failed): the write was done on the master but is not known to be replicated, so
 * a failover now could lose it; the caller answers STORE_UNAVAILABLE (503). True at once
 * without min_replicas. */
bool rs_wait_replicas(const rs_pool *pool, redisContext *c)
{
    const rs_url *u = &pool->url;
    if (u->min_replicas <= 0)
        return true;
    /* Below the command timeout, so the socket does not time out first. */
    int ms = u->wait_ms > 0 ? u->wait_ms : pool->timeout_ms / 2;
    if (ms >= pool->timeout_ms)
        ms = pool->timeout_ms > 100 ? pool->timeout_ms - 100 : 1;
    redisReply *r = redisCommand(c, "WAIT %d %d", u->min_replicas, ms > 0 ? ms : 1);
    bool ok = r != NULL && r->type == REDIS_REPLY_INTEGER && r->integer >= u->min_replicas;
    freeReplyObject(r);
    return ok;
}

/* Runs script `which` with nkeys keys then the rest of `a` as ARGV. EVALSHA first; EVAL
 * when the server no longer has the script. NULL reply = connection trouble. */
redisReply *rs_run_script(rs_scripts *scripts, rs_pool *pool, rs_script which, int nkeys,
                          const rs_args *a, store_rc *src)
{
    if (a->bad) {
        *src = STORE_ERROR;
        return NULL;
    }
    rs_conn *k = rs_pool_get(pool);
    if (k == NULL) {
        *src = STORE_UNAVAILABLE;
        return NULL;
    }
    const char *argv[RS_MAX_ARGS + 3];
    size_t lens[RS_MAX_ARGS + 3];
    char nk[16], sha[41];
    snprintf(nk, sizeof(nk), "%d", nkeys);
    script_sha(scripts, k->c, which, sha);
    argv[0] = "EVALSHA";
    argv[1] = sha;
    argv[2] = nk;
    for (int i = 0; i < a->n; i++) {
        argv[i + 3] = a->v[i];
        lens[i + 3] = a->len[i];
    }
    for (int i = 0; i < 3; i++)
        lens[i] = strlen(argv[i]);
    redisReply *r = redisCommandArgv(k->c, a->n + 3, argv, lens);
    if (r != NULL && r->type == REDIS_REPLY_ERROR && strncmp(r->str, "NOSCRIPT", 8) == 0) {
        freeReplyObject(r);
        argv[0] = "EVAL";
        argv[1] = rs_lua[which];
        lens[0] = 4;
        lens[1] = strlen(rs_lua[which]);
        r = redisCommandArgv(k->c, a->n + 3, argv, lens);
    }
    bool readonly = false;
    if (r == NULL)
        *src = STORE_UNAVAILABLE;
    else if (r->type == REDIS_REPLY_ERROR) {
        /* A loading or read-only server is temporary; anything else is ours. */
        readonly = strncmp(r->str, "READONLY", 8) == 0;
        *src = (strncmp(r->str, "LOADING", 7) == 0 || readonly ||
                strncmp(r->str, "BUSY", 4) == 0 || strncmp(r->str, "MISCONF", 7) == 0)
                   ? STORE_UNAVAILABLE
                   : STORE_ERROR;
        freeReplyObject(r);
        r = NULL;
    } else if (!rs_wait_replicas(pool, k->c)) {
        *src = STORE_UNAVAILABLE;   /* done, but not known to be replicated */
        freeReplyObject(r);
        r = NULL;
    }
    /* With sentinels, READONLY means the master we knew was demoted: ask them again. */
    if (readonly && pool->url.sentinel)
        rs_pool_drop(pool, k);
    else
        rs_pool_put(pool, k);
    return r;
}

store_rc rs_code_of(const redisReply *r)
{
    if (r->type != REDIS_REPLY_ARRAY || r->elements < 1 ||
        r->element[0]->type != REDIS_REPLY_INTEGER)
        return STORE_ERROR;
    switch (r->element[0]->integer) {
    case RS_OK: return STORE_OK;
    case RS_DUP: return STORE_DUPLICATE;
    case RS_NOT_FOUND: return STORE_NOT_FOUND;
    case RS_UNAUTH: return STORE_UNAUTHORIZED;
    case RS_CONFLICT: return STORE_CONFLICT;
    default: return STORE_ERROR;
    }
}

char *rs_el_dup(const redisReply *r, size_t i, bool *oom)
{
    if (i >= r->elements || r->element[i]->type != REDIS_REPLY_STRING)
        return NULL;
    char *d = strdup(r->element[i]->str);
    if (d == NULL)
        *oom = true;
    return d;
}

static void el_copy(char *dst, size_t cap, const redisReply *r, size_t i)
{
    dst[0] = '\0';
    if (i < r->elements && r->element[i]->type == REDIS_REPLY_STRING)
        snprintf(dst, cap, "%s", r->element[i]->str);
}

long long rs_el_num(const redisReply *r, size_t i)
{
    if (i >= r->elements)
        return 0;
    if (r->element[i]->type == REDIS_REPLY_INTEGER)
        return r->element[i]->integer;
    if (r->element[i]->type == REDIS_REPLY_STRING)
        return strtoll(r->element[i]->str, NULL, 10);
    return 0;
}

/* The scripts' mbout(): {0, party, rights, exp, ver, payload, display, itok, rtok, bound}. */
store_rc rs_fill_mailbox(const redisReply *r, const char *id, store_mailbox *out)
{
    if (out == NULL)
        return STORE_OK;
    if (r->elements < 10)
        return STORE_ERROR;
    bool oom = false;
    memset(out, 0, sizeof(*out));
    snprintf(out->id, sizeof(out->id), "%s", id);
    el_copy(out->rights, sizeof(out->rights), r, 2);
    out->caller = (store_party)rs_el_num(r, 1);
    out->expires_at = rs_el_num(r, 3);
    out->version = (uint64_t)rs_el_num(r, 4);
    out->payload_json = rs_el_dup(r, 5, &oom);
    out->display_json = rs_el_dup(r, 6, &oom);
    out->initiator_token_json = rs_el_dup(r, 7, &oom);
    out->recipient_token_json = rs_el_dup(r, 8, &oom);
    out->recipient_bound = rs_el_num(r, 9) != 0;
    if (oom) {
        store_mailbox_clear(out);
        return STORE_ERROR;
    }
    return STORE_OK;
}

/* Takes the remembered body of a duplicate: {1, body-or-nil}. */
store_rc rs_take_dup(const redisReply *r, store_reply *dup)
{
    bool oom = false;
    char *b = rs_el_dup(r, 1, &oom);
    if (oom)
        return STORE_ERROR;
    if (dup != NULL)
        dup->body = b;
    else
        free(b);
    return STORE_DUPLICATE;
}

void rs_scripts_load(rs_scripts *s, redisContext *c)
{
    for (int i = 0; i < RS_SCRIPT_COUNT; i++) {
        char sha[41];
        script_sha(s, c, (rs_script)i, sha);
    }
}

#else /* !TIGRESS_HAVE_HIREDIS */

typedef int store_redis_call_not_built;

#endif /* TIGRESS_HAVE_HIREDIS */
