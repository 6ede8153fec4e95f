/*
 * relay/store/store_redis_call.h: running the Redis backend's Lua scripts and reading their
 * replies (store_redis_call.c), for store_redis.c. Only built with hiredis.
 */
#ifndef TIGRESS_RELAY_STORE_REDIS_CALL_H
#define TIGRESS_RELAY_STORE_REDIS_CALL_H

#include <hiredis.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "store_backend.h"
#include "store_redis_pool.h"

/* Script results: the first element of every script's reply (store_redis_lua.h returns them
 * as the numbers below). */
enum { RS_OK = 0, RS_DUP = 1, RS_NOT_FOUND = 2, RS_UNAUTH = 3, RS_CONFLICT = 4, RS_TAKEN = 5 };

typedef enum rs_script { RS_CREATE, RS_READ, RS_UPDATE, RS_REMOVE, RS_RELINQUISH, RS_SWEEP,
                         RS_DROP_TOKEN, RS_SCRIPT_COUNT } rs_script;

/* Each script's SHA1 once the server has loaded it ("" until then), shared by every thread of
 * one store. */
typedef struct rs_scripts {
    pthread_mutex_t mu;
    char sha[RS_SCRIPT_COUNT][41];
} rs_scripts;

void rs_scripts_init(rs_scripts *s);
void rs_scripts_destroy(rs_scripts *s);
/* SCRIPT LOAD of every script on c, so that calls can use EVALSHA; a script that fails to load
 * here is loaded on first use. */
void rs_scripts_load(rs_scripts *s, redisContext *c);

#define RS_MAX_ARGS 20

/* Argument list for one script call (KEYS then ARGV); strings are borrowed or kept in `own`
 * and `heap`. Start from {0}; release with rs_args_free(). A call whose arguments did not fit
 * or ran out of memory (bad) fails with STORE_ERROR instead of running. */
typedef struct rs_args {
    int n;
    const char *v[RS_MAX_ARGS];
    size_t len[RS_MAX_ARGS];
    char own[8][160];
    int n_own;
    char *heap[6];         /* optional arguments with their "=" prefix */
    int n_heap;
    bool bad;              /* an argument did not fit, or out of memory: the call fails */
} rs_args;

void rs_args_free(rs_args *a);
/* v as the next argument (borrowed: it must outlive the call). */
void rs_arg(rs_args *a, const char *v);
/* The key name "tigress:" kind name (copied). */
void rs_argkey(rs_args *a, const char *kind, const char *name);
/* num in decimal (copied). */
void rs_argnum(rs_args *a, long long num);
/* An optional argument: "" when v is NULL, "=" v otherwise (the scripts' opt()). */
void rs_arg_opt(rs_args *a, const char *v);

/* Runs script `which` with the first nkeys arguments as KEYS and the rest as ARGV, on a
 * connection of pool: EVALSHA, then EVAL when the server has lost the script. Returns the
 * reply (free with freeReplyObject) or NULL with *src set: STORE_UNAVAILABLE for connection
 * trouble, a loading, read-only or busy server, or replicas that did not acknowledge in time;
 * STORE_ERROR otherwise. */
redisReply *rs_run_script(rs_scripts *scripts, rs_pool *pool, rs_script which, int nkeys,
                          const rs_args *a, store_rc *src);

/* With min_replicas in the URL: WAIT until that many replicas have every write made on c so
 * far. False when fewer acknowledged in time (the write may not survive a failover); true at
 * once without min_replicas. */
bool rs_wait_replicas(const rs_pool *pool, redisContext *c);

/* A script reply's status (its first element) as a store_rc; RS_TAKEN is STORE_ERROR. */
store_rc rs_code_of(const redisReply *r);
/* Element i as a malloc'ed string, NULL when absent or not a string (*oom set when out of
 * memory). */
char *rs_el_dup(const redisReply *r, size_t i, bool *oom);
/* Element i as a number (an integer or a decimal string), 0 when absent. */
long long rs_el_num(const redisReply *r, size_t i);
/* The scripts' mailbox answer into *out (NULL: ignored). STORE_ERROR when malformed. */
store_rc rs_fill_mailbox(const redisReply *r, const char *id, store_mailbox *out);
/* A duplicate's remembered body into dup->body (NULL: dropped); returns STORE_DUPLICATE, or
 * STORE_ERROR when out of memory. */
store_rc rs_take_dup(const redisReply *r, store_reply *dup);

#endif /* TIGRESS_RELAY_STORE_REDIS_CALL_H */
