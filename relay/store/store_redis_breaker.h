/*
 * relay/store/store_redis_breaker.h: the Redis backend's circuit breaker.
 *
 * A hung or unreachable server costs every call the full command timeout; with dozens of
 * requests (and the long-poll recheck, and the shared rate limiter) each waiting it out,
 * answers take many seconds. So after one failure every call fails at once
 * (STORE_UNAVAILABLE: 503 + Retry-After) for RS_BREAKER_MS; then exactly one call probes the
 * server (the others keep failing fast) and its outcome closes or re-opens the breaker.
 * Only built with hiredis; used by the connection pool (store_redis_pool.c).
 */
#ifndef TIGRESS_RELAY_STORE_REDIS_BREAKER_H
#define TIGRESS_RELAY_STORE_REDIS_BREAKER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#define RS_BREAKER_MS 1000      /* after a failure, calls fail fast this long before a retry */

typedef struct rs_breaker {
    _Atomic int64_t down_until; /* 0 while closed, else the monotonic ms until which calls
                                   fail fast */
} rs_breaker;

void rs_breaker_init(rs_breaker *b);

/* May a call go to the server now? True while closed, and for the one call that probes once
 * the window is over (its deadline covers a probe that hangs for timeout_ms). */
bool rs_breaker_admit(rs_breaker *b, int timeout_ms);

/* A call failed: fail fast for RS_BREAKER_MS. */
void rs_breaker_open(rs_breaker *b);

/* A call succeeded: closed. */
void rs_breaker_close(rs_breaker *b);

#endif /* TIGRESS_RELAY_STORE_REDIS_BREAKER_H */
