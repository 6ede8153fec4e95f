/*
 * Guarded memory for Secret material: Secrets, the Share URL with its fragment, export blobs.
 *
 * Each block comes from libsodium's sodium_malloc: its own pages between guard pages, mlock'd
 * (when RLIMIT_MEMLOCK allows), excluded from core dumps (MADV_DONTDUMP), a canary in front,
 * and wiped by sodium_free. That costs three or more pages and a few system calls per block, so
 * it is kept for what holds the Secret (or the Device Claim with it) longer than one call;
 * transient copies inside a call stay in ordinary memory and are wiped before they are freed.
 *
 * The allocator hooks (tigress_global_init_mem) cannot provide such memory, so secure blocks
 * bypass them; to keep allocation failure testable and an app's accounting honest, every
 * secure allocation is first charged to the hooks as a one-byte probe (allocated and freed at
 * once): when the hooks refuse it, the secure allocation fails as if sodium_malloc had.
 *
 * Every live block is registered (an intrusive hash list, under a mutex) so that the public
 * release functions, tigress_free() and tigress_buf_dispose(), recognise a block they are
 * handed and give it back to sodium_free instead of the hooks. Ordinary pointers are never
 * dereferenced to find out: only the registry is consulted.
 */
#include <pthread.h>
#include <sodium.h>
#include <stdalign.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "internal.h"

typedef struct secmem_hdr {
    struct secmem_hdr *next;
    size_t size; /* bytes the caller asked for */
} secmem_hdr;

#define SECMEM_ALIGN alignof(max_align_t)
#define SECMEM_ROUND(n) (((n) + SECMEM_ALIGN - 1) / SECMEM_ALIGN * SECMEM_ALIGN)
/* sodium_malloc puts the block's end against the trailing guard page, so a total size that is
 * a multiple of SECMEM_ALIGN leaves both the header and the data aligned. */
#define SECMEM_HDR SECMEM_ROUND(sizeof(secmem_hdr))
#define SECMEM_BUCKETS 256u

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static secmem_hdr *g_buckets[SECMEM_BUCKETS];
static size_t g_live;

static secmem_hdr *hdr_of(const void *p)
{
    return (secmem_hdr *)(uintptr_t)((const unsigned char *)p - SECMEM_HDR);
}

static void *data_of(secmem_hdr *h)
{
    return (unsigned char *)h + SECMEM_HDR;
}

/* Every block has pages of its own: the page number is a good key. */
static size_t bucket_of(const void *p)
{
    uint64_t k = (uint64_t)((uintptr_t)p >> 12) * UINT64_C(0x9E3779B97F4A7C15);

    return (size_t)(k >> 56) % SECMEM_BUCKETS;
}

void *tigress__secure_alloc(size_t size)
{
    secmem_hdr *h;
    size_t b;

    if (size > SIZE_MAX / 2)
        return NULL;
    if (sodium_init() < 0 || !tigress__alloc_probe())
        return NULL;
    h = sodium_malloc(SECMEM_HDR + SECMEM_ROUND(size == 0 ? 1 : size));
    if (h == NULL)
        return NULL;
    sodium_memzero(h, SECMEM_HDR + SECMEM_ROUND(size == 0 ? 1 : size));
    h->size = size;
    b = bucket_of(data_of(h));
    pthread_mutex_lock(&g_lock);
    h->next = g_buckets[b];
    g_buckets[b] = h;
    g_live++;
    pthread_mutex_unlock(&g_lock);
    return data_of(h);
}

/* Unlink p's block when p is a live secure block; true when it was. */
static bool unregister(const void *p)
{
    secmem_hdr **link;
    bool found = false;

    pthread_mutex_lock(&g_lock);
    for (link = &g_buckets[bucket_of(p)]; *link != NULL; link = &(*link)->next) {
        if (data_of(*link) == p) {
            *link = (*link)->next;
            g_live--;
            found = true;
            break;
        }
    }
    pthread_mutex_unlock(&g_lock);
    return found;
}

bool tigress__secure_release(void *p)
{
    if (p == NULL || !unregister(p))
        return false;
    /* sodium_free wipes the whole block (header included) before unmapping it. */
    sodium_free(hdr_of(p));
    return true;
}

void tigress__secure_free(void *p)
{
    (void)tigress__secure_release(p);
}

bool tigress__secure_owns(const void *p)
{
    bool found = false;

    if (p == NULL)
        return false;
    /* Any byte of a block's data counts (accessors hand out interior pointers, which may sit
     * on another page than the block's start), so every bucket is searched: this is for
     * tests and assertions, not a hot path. */
    pthread_mutex_lock(&g_lock);
    for (size_t b = 0; b < SECMEM_BUCKETS && !found; b++) {
        for (const secmem_hdr *h = g_buckets[b]; h != NULL; h = h->next) {
            const unsigned char *start = (const unsigned char *)h + SECMEM_HDR;
            if ((const unsigned char *)p >= start &&
                (const unsigned char *)p < start + (h->size == 0 ? 1 : h->size)) {
                found = true;
                break;
            }
        }
    }
    pthread_mutex_unlock(&g_lock);
    return found;
}

size_t tigress__secure_live(void)
{
    size_t n;

    pthread_mutex_lock(&g_lock);
    n = g_live;
    pthread_mutex_unlock(&g_lock);
    return n;
}

char *tigress__secure_strndup(const char *s, size_t n)
{
    char *d;

    if (s == NULL || n == SIZE_MAX)
        return NULL;
    d = tigress__secure_alloc(n + 1);
    if (d == NULL)
        return NULL;
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}
