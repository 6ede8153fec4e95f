/*
 * relay/ratelimit.c: per-client token buckets (docs/protocol.md D12): in memory, or in the
 * shared store when several relay processes use one (ratelimit_share; Redis:
 * store/store_redis_shared.c).
 *
 * The client address is never stored as such: the table keys on a keyed BLAKE2b hash of it with a
 * random per-process key, so even a memory dump does not list addresses in the clear. The table
 * has a fixed number of slots; a collision simply replaces the older entry (which can only make
 * the limit more lenient for that client, never block an innocent one for long).
 */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "relay.h"

#define RL_SLOTS 4096

typedef struct bucket {
    unsigned char key[16];
    double tokens;
    double last;      /* monotonic seconds of the last refill */
    bool used;
} bucket;

struct ratelimit {
    double rate, burst;
    unsigned char hkey[crypto_generichash_KEYBYTES];
    pthread_mutex_t lock;
    bucket slots[RL_SLOTS];
};

ratelimit *ratelimit_new(double rate, double burst)
{
    ratelimit *rl = calloc(1, sizeof *rl);
    if (rl == NULL)
        return NULL;
    rl->rate = rate;
    rl->burst = burst < 1.0 ? 1.0 : burst;
    randombytes_buf(rl->hkey, sizeof rl->hkey);
    pthread_mutex_init(&rl->lock, NULL);
    return rl;
}

void ratelimit_free(ratelimit *rl)
{
    if (rl == NULL)
        return;
    pthread_mutex_destroy(&rl->lock);
    sodium_memzero(rl, sizeof *rl);
    free(rl);
}

static double mono_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Shared store (several relay processes): the bucket lives there so a client's limit is the
 * same whichever process it reaches. NULL for SQLite. */
static store *g_shared;

void ratelimit_share(store *st)
{
    g_shared = store_is_shared(st) ? st : NULL;
}

/* The shared bucket's verdict, or -1 when the store cannot answer (then the in-memory one
 * decides: a Redis outage must not lift or tighten the limit by much). */
static long shared_take(const ratelimit *rl, const void *addr, size_t addr_len)
{
    unsigned char skey[32], name[16];
    if (store_shared_key(g_shared, skey) != 0)
        return -1;
    crypto_generichash(name, sizeof name, addr, addr_len, skey, sizeof skey);
    sodium_memzero(skey, sizeof skey);
    long wait = store_rate_take(g_shared, name, sizeof name, rl->rate, rl->burst);
    sodium_memzero(name, sizeof name);
    return wait;
}

unsigned ratelimit_take(ratelimit *rl, const void *addr, size_t addr_len)
{
    if (rl == NULL || rl->rate <= 0.0 || addr == NULL)
        return 0;
    if (g_shared != NULL) {
        long w = shared_take(rl, addr, addr_len);
        if (w >= 0)
            return (unsigned)w;
    }
    unsigned char key[16];
    crypto_generichash(key, sizeof key, addr, addr_len, rl->hkey, sizeof rl->hkey);
    uint32_t idx;
    memcpy(&idx, key, sizeof idx);
    idx %= RL_SLOTS;
    double now = mono_seconds();
    unsigned wait = 0;

    pthread_mutex_lock(&rl->lock);
    bucket *b = &rl->slots[idx];
    if (!b->used || memcmp(b->key, key, sizeof key) != 0) {
        memcpy(b->key, key, sizeof key);
        b->tokens = rl->burst;
        b->last = now;
        b->used = true;
    }
    b->tokens += (now - b->last) * rl->rate;
    if (b->tokens > rl->burst)
        b->tokens = rl->burst;
    b->last = now;
    if (b->tokens >= 1.0) {
        b->tokens -= 1.0;
    } else {
        double secs = (1.0 - b->tokens) / rl->rate;
        wait = (unsigned)ceil(secs);
        if (wait < 1)
            wait = 1;
    }
    pthread_mutex_unlock(&rl->lock);
    sodium_memzero(key, sizeof key);
    return wait;
}
