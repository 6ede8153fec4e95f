/*
 * relay/conncap.c: --max-connections-per-address when --trusted-proxy is set.
 *
 * Without trusted proxies libmicrohttpd's own per-IP limit does the job. Behind a proxy every
 * connection comes from the proxy's address, and that limit would cap the proxy, that is every
 * client behind it together. A connection's headers (Forwarded, X-Forwarded-For) are not known
 * when it is accepted, so its client cannot be counted there; instead the connections of a
 * trusted proxy are not counted at all (the proxy limits connections per client), while every
 * other peer is capped as before. The request-level limits (rate limit, creation quota, held
 * long-polls) use the forwarded client address (proxy.c).
 *
 * Counts are kept only while a connection is open, keyed by a SipHash of the peer address under
 * a random per-process key (addresses are never stored), in a fixed table of buckets so that a
 * new connection costs O(addresses in its bucket), not O(all addresses). conncap_full() is the
 * cheap refusal at accept time (before libmicrohttpd allocates the connection and its TLS
 * session); conncap_take() is the exact count, made when the connection starts, which can only
 * miss the pre-check when connections from one address race in several server threads.
 */
#include <pthread.h>
#include <stdlib.h>
#include <sys/socket.h>

#include <sodium.h>

#include "relay.h"

#define CONNCAP_BUCKETS 4096

typedef struct addr_count {
    struct addr_count *next;
    uint64_t key;
    unsigned n;
} addr_count;

static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static addr_count *g_buckets[CONNCAP_BUCKETS];
static unsigned g_cap;
static unsigned char g_key[crypto_shorthash_KEYBYTES];

void conncap_init(unsigned cap)
{
    g_cap = cap;
    randombytes_buf(g_key, sizeof g_key);
}

/* The keyed hash of sa's address; false for a trusted proxy, no address, or the cap off. */
static bool counted_key(const struct sockaddr *sa, uint64_t *key)
{
    unsigned char ip[16];
    size_t n = proxy_peer_addr(sa, ip);
    if (g_cap == 0 || n == 0 || proxy_trusted(ip, n))
        return false;
    crypto_shorthash((unsigned char *)key, ip, n, g_key);
    return true;
}

static addr_count **find(uint64_t key)
{
    addr_count **pp = &g_buckets[key % CONNCAP_BUCKETS];
    while (*pp != NULL && (*pp)->key != key)
        pp = &(*pp)->next;
    return pp;
}

bool conncap_full(const struct sockaddr *sa)
{
    uint64_t key;
    if (!counted_key(sa, &key))
        return false;
    pthread_mutex_lock(&g_mu);
    addr_count *h = *find(key);
    bool full = h != NULL && h->n >= g_cap;
    pthread_mutex_unlock(&g_mu);
    return full;
}

int conncap_take(const struct sockaddr *sa, uint64_t *key)
{
    if (!counted_key(sa, key))
        return 0;
    int r = 1;
    pthread_mutex_lock(&g_mu);
    addr_count **pp = find(*key);
    if (*pp == NULL && (*pp = calloc(1, sizeof **pp)) != NULL)
        (*pp)->key = *key;
    if (*pp == NULL)
        r = 0;                      /* no memory for a count: not counted (lenient) */
    else if ((*pp)->n >= g_cap)
        r = -1;
    else
        (*pp)->n++;
    pthread_mutex_unlock(&g_mu);
    return r;
}

void conncap_release(uint64_t key)
{
    pthread_mutex_lock(&g_mu);
    addr_count **pp = find(key);
    addr_count *h = *pp;
    if (h != NULL && --h->n == 0) {
        *pp = h->next;
        free(h);
    }
    pthread_mutex_unlock(&g_mu);
}

void conncap_free(void)
{
    pthread_mutex_lock(&g_mu);
    for (size_t i = 0; i < CONNCAP_BUCKETS; i++) {
        while (g_buckets[i] != NULL) {
            addr_count *h = g_buckets[i];
            g_buckets[i] = h->next;
            free(h);
        }
    }
    pthread_mutex_unlock(&g_mu);
}
