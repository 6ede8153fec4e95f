/*
 * relay/quota.c: the per-address storage quota (docs/protocol.md D8): at most
 * --max-mailboxes-per-address mailboxes created from one client address per 24 hours.
 *
 * The relay cannot count an address's *live* mailboxes without keeping the address (or a
 * hash of it) in the store next to each mailbox, which it never does (D12). So the quota is
 * on creation instead: a mailbox lives at most --max-expiry (7 days by default), so an address
 * holds at most 7 x N live mailboxes at the default settings, and usually far fewer.
 *
 * Like the rate limiter (ratelimit.c) it is in memory only and keys on a keyed BLAKE2b hash of
 * the address with a random per-process key: no address is kept in the clear, and nothing
 * reaches the store. The window is a sliding-window counter (this window's creations plus
 * the previous window's, weighted by how much of it still overlaps the last 24 hours), an
 * approximation that never lets an address create more than 2 x N in any 24 hours and keeps
 * it at about N. The table has a fixed size (QUOTA_SETS x QUOTA_WAYS entries); when a set is
 * full the entry whose window is oldest is replaced, which can only forget a client's count
 * (lenient), never charge an innocent one. With several relay processes on one store, each
 * process keeps its own count.
 */
#include <math.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <microhttpd.h>
#include <sodium.h>

#include "relay.h"

#define QUOTA_SETS 4096
#define QUOTA_WAYS 4
#define QUOTA_WINDOW_S 86400

typedef struct entry {
    unsigned char key[16];
    int64_t start;          /* monotonic second the current window began */
    uint32_t cur, prev;     /* creations in the current and the previous window */
    bool used;
} entry;

static struct {
    unsigned max;           /* 0 = off */
    unsigned char hkey[crypto_generichash_KEYBYTES];
    pthread_mutex_t lock;
    entry *table;
} g_q = {.lock = PTHREAD_MUTEX_INITIALIZER};

static int64_t mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec;
}

int quota_init(unsigned max_per_address)
{
    g_q.max = max_per_address;
    if (max_per_address == 0)
        return 0;
    randombytes_buf(g_q.hkey, sizeof g_q.hkey);
    if (g_q.table == NULL)
        g_q.table = calloc((size_t)QUOTA_SETS * QUOTA_WAYS, sizeof *g_q.table);
    return g_q.table != NULL ? 0 : -1;
}

void quota_free(void)
{
    pthread_mutex_lock(&g_q.lock);
    if (g_q.table != NULL)
        sodium_memzero(g_q.table, (size_t)QUOTA_SETS * QUOTA_WAYS * sizeof *g_q.table);
    free(g_q.table);
    g_q.table = NULL;
    g_q.max = 0;
    pthread_mutex_unlock(&g_q.lock);
}

/* The keyed hash of the request's client address (proxy.c: the forwarded client's behind a
 * --trusted-proxy); false when there is none (no quota). */
static bool address_key(struct MHD_Connection *c, unsigned char key[16])
{
    unsigned char ip[16];
    size_t n = proxy_client_addr(c, ip);
    if (n == 0)
        return false;
    crypto_generichash(key, 16, ip, n, g_q.hkey, sizeof g_q.hkey);
    return true;
}

/* The entry for key, rolled forward to now; created (replacing the stalest) when absent. */
static entry *lookup(const unsigned char key[16], int64_t now)
{
    uint32_t idx;
    memcpy(&idx, key, sizeof idx);
    entry *set = &g_q.table[(size_t)(idx % QUOTA_SETS) * QUOTA_WAYS], *victim = NULL;
    for (int w = 0; w < QUOTA_WAYS; w++) {
        entry *e = &set[w];
        if (e->used && memcmp(e->key, key, 16) == 0) {
            int64_t windows = (now - e->start) / QUOTA_WINDOW_S;
            if (windows >= 2) {
                e->prev = 0;
                e->cur = 0;
                e->start = now;
            } else if (windows == 1) {
                e->prev = e->cur;
                e->cur = 0;
                e->start += QUOTA_WINDOW_S;
            }
            return e;
        }
        if (victim == NULL || !e->used || (victim->used && e->start < victim->start))
            victim = e;
    }
    memset(victim, 0, sizeof *victim);
    memcpy(victim->key, key, 16);
    victim->start = now;
    victim->used = true;
    return victim;
}

unsigned quota_take(struct MHD_Connection *c, unsigned char key[16], bool *taken)
{
    *taken = false;
    if (g_q.max == 0 || g_q.table == NULL || !address_key(c, key))
        return 0;
    int64_t now = mono_s();
    unsigned wait = 0;
    pthread_mutex_lock(&g_q.lock);
    entry *e = lookup(key, now);
    double left = (double)(QUOTA_WINDOW_S - (now - e->start)) / QUOTA_WINDOW_S;
    double used = (double)e->prev * left + (double)e->cur;
    if (used + 1.0 <= (double)g_q.max) {
        e->cur++;
        *taken = true;
    } else if (e->cur + 1 > g_q.max || e->prev == 0) {
        /* This window alone is full: wait for it to end and for enough of it to age out. */
        wait = (unsigned)(e->start + QUOTA_WINDOW_S - now) + 1;
    } else {
        /* Enough of the previous window must age out: prev x left' + cur + 1 <= max. */
        double need = ((double)g_q.max - 1.0 - (double)e->cur) / (double)e->prev;
        double t = (1.0 - need) * QUOTA_WINDOW_S - (double)(now - e->start);
        wait = t < 1.0 ? 1 : (unsigned)ceil(t);
    }
    pthread_mutex_unlock(&g_q.lock);
    return wait;
}

void quota_refund(const unsigned char key[16])
{
    if (g_q.max == 0 || g_q.table == NULL)
        return;
    pthread_mutex_lock(&g_q.lock);
    entry *e = lookup(key, mono_s());
    if (e->cur > 0)
        e->cur--;
    else if (e->prev > 0)
        e->prev--;
    pthread_mutex_unlock(&g_q.lock);
}
