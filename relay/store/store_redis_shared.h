/*
 * relay/store/store_redis_shared.h: what several relay processes on one Redis share besides
 * the mailboxes: change notices over pub/sub (for long-poll) and the shared rate limiter.
 * The Redis backend (store_redis.c) owns one rs_shared and hands its optional store_ops to
 * it. Only built with hiredis.
 */
#ifndef TIGRESS_RELAY_STORE_REDIS_SHARED_H
#define TIGRESS_RELAY_STORE_REDIS_SHARED_H

#include <stddef.h>

typedef struct rs_pool rs_pool;
typedef struct rs_shared rs_shared;

/* State for the connections of `pool` (borrowed: it outlives the result). Starts no thread
 * yet. NULL when out of memory. */
rs_shared *rs_shared_new(rs_pool *pool);

/* Stops the publisher and subscriber threads and frees. NULL is a no-op. */
void rs_shared_free(rs_shared *sh);

/* store_publish(), store_subscribe(), store_shared_key(), store_rate_take() (store.h), with
 * the arguments checked by the front. */
void rs_shared_publish(rs_shared *sh, const char *id);
int rs_shared_subscribe(rs_shared *sh, void (*changed)(const char *id, void *arg), void *arg);
int rs_shared_key(rs_shared *sh, unsigned char out[32]);
long rs_shared_rate_take(rs_shared *sh, const unsigned char *key, size_t key_len, double rate,
                         double burst);

#endif /* TIGRESS_RELAY_STORE_REDIS_SHARED_H */
