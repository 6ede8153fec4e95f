/*
 * relay/store_redis_internal.h: what store_redis.c shares with store_redis_cluster.c (the
 * cross-process parts: change notices over pub/sub and the shared rate limiter). Not used
 * anywhere else; only built with hiredis.
 */
#ifndef TIGRESS_RELAY_STORE_REDIS_INTERNAL_H
#define TIGRESS_RELAY_STORE_REDIS_INTERNAL_H

#include <hiredis.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "redis_tls.h"
#include "store_backend.h"

#define RS_SCRIPTS_MAX 8

typedef struct rs_conn {
    redisContext *c;
    struct rs_conn *next;
} rs_conn;

struct rs_cluster;

typedef struct rs_store {
    store base;
    char host[256];
    int port;
    int db;
    char *user;                 /* ACL user name (AUTH user password), NULL: default user */
    char *password;             /* NULL when none; never logged; wiped at close */
    bool tls;                   /* rediss://: connections go through redis_tls_connect() */
    char *tls_ca, *tls_cert, *tls_key;  /* copies of the store_config files, or NULL */
    redis_tls_opts tls_opts;    /* points at them */
    int timeout_ms;
    char sha[RS_SCRIPTS_MAX][41];
    pthread_mutex_t mu;
    rs_conn *idle;
    int n_idle;
    _Atomic int64_t down_until; /* circuit breaker: fail fast until then (monotonic ms) */
    struct rs_cluster *cluster; /* pub/sub and rate-limit state; NULL until first used */
} rs_store;

/* The connection pool of store_redis.c: a live, authenticated connection (NULL when Redis is
 * unreachable, or at once while the circuit breaker is open after a failure); put it back
 * after use (a broken one is dropped and opens the breaker). */
rs_conn *rs_pool_get(rs_store *s);
void rs_pool_put(rs_store *s, rs_conn *k);
/* A fresh connection outside the pool (the subscriber's), or NULL. */
redisContext *rs_new_context(const rs_store *s);

/* store_redis_cluster.c */
int rs_cluster_init(rs_store *s);          /* 0 on success (called by store_redis_open) */
void rs_cluster_free(rs_store *s);         /* stops the subscriber thread */
void rs_publish(store *st, const char *id);
int rs_subscribe(store *st, void (*changed)(const char *id, void *arg), void *arg);
int rs_shared_key(store *st, unsigned char out[32]);
long rs_rate_take(store *st, const unsigned char *key, size_t key_len, double rate,
                  double burst);

#endif
