/*
 * relay/store/store_redis_schema.h: what the Redis backend stores instead of claims and
 * Request-IDs (their keyed hashes), and the migration of a schema-1 store, whose values were in
 * the clear, to schema 2. Only built with hiredis; used by store_redis.c alone.
 */
#ifndef TIGRESS_RELAY_STORE_REDIS_SCHEMA_H
#define TIGRESS_RELAY_STORE_REDIS_SCHEMA_H

#include <hiredis.h>
#include <stdbool.h>

#include "store.h"

#define RS_PREFIX "tigress:"     /* every key the backend uses starts with it */
#define RS_KEY_LEN 32            /* the claim key (tigress:claimkey) */
#define RS_HASH_HEX (2 * 32 + 1) /* a keyed hash as lowercase hex, with its NUL */

/* The keyed BLAKE2b of v under the claim key, over a domain byte ('c' claim, 'r' Request-ID),
 * as 64 lowercase hex digits. */
void rs_hash(const unsigned char key[RS_KEY_LEN], char domain, const char *v,
             char out[RS_HASH_HEX]);

/* True for a reply that is neither missing nor an error; frees it either way. */
bool rs_reply_ok(redisReply *r);

/* Brings the store on connection c to schema 2 under claim key ckey (see the definition for
 * the locking between relay processes). STORE_OK once it is there; STORE_UNAVAILABLE while
 * another process migrates or when Redis fails, so the caller retries later. */
store_rc rs_migrate(redisContext *c, const unsigned char ckey[RS_KEY_LEN]);

#endif /* TIGRESS_RELAY_STORE_REDIS_SCHEMA_H */
