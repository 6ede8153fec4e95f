/*
 * relay/store/store_redis_pool.h: the Redis backend's connections: where the server is
 * (store_redis_url.h), how to log in (AUTH, SELECT), TLS through the rediss:// tunnel
 * (redis_tls.h), a pool of idle connections, and the circuit breaker in front of it
 * (store_redis_breaker.h); with a redis+sentinel:// URL each new connection asks the
 * sentinels for the current master and checks its ROLE. Used by store_redis.c (the
 * operations) and store_redis_shared.c
 * (change notices, shared rate limit). Only built with hiredis.
 */
#ifndef TIGRESS_RELAY_STORE_REDIS_POOL_H
#define TIGRESS_RELAY_STORE_REDIS_POOL_H

#include <hiredis.h>
#include <pthread.h>

#include "redis_tls.h"
#include "store_redis_breaker.h"
#include "store_redis_url.h"
#include "store_types.h"

typedef struct rs_conn {
    redisContext *c;
    struct rs_conn *next;
} rs_conn;

typedef struct rs_pool {
    rs_url url;
    char *tls_ca, *tls_cert, *tls_key;  /* copies of the store_config files, or NULL */
    redis_tls_opts tls_opts;    /* points at them */
    int timeout_ms;             /* connect and command timeout */
    pthread_mutex_t mu;
    rs_conn *idle;
    int n_idle;
    rs_breaker breaker;
} rs_pool;

/* Why a connection could not be made: the server is unreachable (or hung), or it answered
 * and refused our credentials or database, or its certificate (a configuration error, not an
 * outage). */
typedef enum rs_conn_rc { RS_CONN_OK, RS_CONN_UNREACHABLE, RS_CONN_AUTH, RS_CONN_SELECT,
                          RS_CONN_TLS } rs_conn_rc;

/* Sets up a zeroed pool from cfg (location, TLS files, busy_timeout_ms, else
 * default_timeout_ms). Connects nothing. NULL on success, else what is wrong (no secret in
 * it). rs_pool_free() it either way. */
const char *rs_pool_setup(rs_pool *p, const store_config *cfg, int default_timeout_ms);

/* Closes the idle connections, wipes the password, and waits for the TLS tunnels' threads. */
void rs_pool_free(rs_pool *p);

/* A live, authenticated connection from the pool, or NULL when Redis is unreachable (or at
 * once while the circuit breaker is open after a failure). Put it back after use. */
rs_conn *rs_pool_get(rs_pool *p);

/* Returns a connection to the pool; a broken one (I/O error, timeout) is dropped and opens
 * the breaker, a working one closes it. NULL is a no-op. */
void rs_pool_put(rs_pool *p, rs_conn *k);

/* Closes k (a connection to a server that turned out to be a replica: READONLY) and trips
 * the pool, so that the next connection asks the sentinels again. NULL is a no-op. */
void rs_pool_drop(rs_pool *p, rs_conn *k);

/* Opens the breaker and drops the idle connections (they lead to the same dead server). */
void rs_pool_trip(rs_pool *p);

/* A fresh, authenticated connection outside the pool (the subscriber's, the publisher's, the
 * check at open), or NULL; then why_rc and why (may be NULL) say why. */
redisContext *rs_pool_connect(const rs_pool *p, rs_conn_rc *why_rc, char *why, size_t why_len);

#endif /* TIGRESS_RELAY_STORE_REDIS_POOL_H */
