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
 *
 * Reuse. Mapping a block costs about ten system calls (mmap, mprotect x4, madvise x2, mlock,
 * munlock, munmap between sodium_malloc and sodium_free), some 25 us on a virtual machine: far
 * more than decrypting a payload into it. So blocks up to 32 pages (a 64 KiB payload fits) are
 * taken from size classes of 1, 2, 4, 8, 16 and 32 pages and, when released, wiped and kept
 * (up to 64 KiB per class, one block of the largest) for the next allocation instead of being
 * unmapped. An idle block is all zeros and
 * keeps everything sodium_malloc gave it: its guard pages, its mlock, its exclusion from core
 * dumps. The caller's bytes are placed at the very end of the block, against the trailing
 * guard page, so an overrun past what was asked for still faults at once; what the smaller
 * requests of a class leave unused is at the block's start. tigress_global_cleanup() unmaps
 * the idle blocks when the library is last cleaned up.
 */
#include <pthread.h>
#include <sodium.h>
#include <stdalign.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

typedef struct secmem_hdr {
    struct secmem_hdr *next;
    void *base;   /* what sodium_malloc returned: the block's first usable byte */
    size_t size;  /* bytes the caller asked for */
    unsigned cls; /* size class, or SECMEM_UNPOOLED */
} secmem_hdr;

#define SECMEM_ALIGN alignof(max_align_t)
#define SECMEM_ROUND(n) (((n) + SECMEM_ALIGN - 1) / SECMEM_ALIGN * SECMEM_ALIGN)
/* sodium_malloc puts the block's end against the trailing guard page, so a total size that is
 * a multiple of SECMEM_ALIGN leaves both the header and the data aligned. */
#define SECMEM_HDR SECMEM_ROUND(sizeof(secmem_hdr))
#define SECMEM_BUCKETS 256u
/* Bytes of header and data a request of n takes (n == 0 still gets one byte). */
#define SECMEM_NEED(n) (SECMEM_HDR + SECMEM_ROUND((n) == 0 ? 1 : (n)))

#define SECMEM_CLASSES 6u /* blocks of 1, 2, 4, 8, 16 and 32 pages */
#define SECMEM_UNPOOLED SECMEM_CLASSES
#define SECMEM_IDLE_BYTES (64u * 1024u) /* kept per class */
#define SECMEM_IDLE_MAX 16u             /* = SECMEM_IDLE_BYTES / the smallest page size */
/* Left free in a class's first page for libsodium's canary (16 bytes today), so that a class's
 * capacity plus the canary still fits its pages. */
#define SECMEM_SLACK 64u

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static secmem_hdr *g_buckets[SECMEM_BUCKETS];
static size_t g_live;
static void *g_idle[SECMEM_CLASSES][SECMEM_IDLE_MAX]; /* bases of wiped, unused blocks */
static unsigned g_idle_n[SECMEM_CLASSES];

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

/* 4 KiB on most machines, 16 KiB on some arm64 phones: the classes follow the real size.
 * (sysconf reads it from the auxiliary vector: no system call.) */
static size_t page_size(void)
{
    long p = sysconf(_SC_PAGESIZE);

    return p >= 4096 ? (size_t)p : 4096;
}

/* Usable bytes of a class-cls block: sodium_malloc(capacity) fills its pages exactly. */
static size_t class_capacity(unsigned cls)
{
    return (page_size() << cls) - SECMEM_SLACK;
}

/* The smallest class that holds need bytes, or SECMEM_UNPOOLED. */
static unsigned class_for(size_t need)
{
    for (unsigned c = 0; c < SECMEM_CLASSES; c++) {
        if (need <= class_capacity(c))
            return c;
    }
    return SECMEM_UNPOOLED;
}

static unsigned idle_limit(unsigned cls)
{
    size_t n = SECMEM_IDLE_BYTES / (page_size() << cls);

    return n == 0 ? 1u : (unsigned)(n < SECMEM_IDLE_MAX ? n : SECMEM_IDLE_MAX);
}

/* A block for a request of need bytes: an idle one of its class when there is one, else a new
 * mapping. Sets *cls; NULL when out of memory. */
static void *block_take(size_t need, unsigned *cls)
{
    void *base = NULL;

    *cls = class_for(need);
    if (*cls == SECMEM_UNPOOLED)
        return sodium_malloc(need);
    pthread_mutex_lock(&g_lock);
    if (g_idle_n[*cls] > 0)
        base = g_idle[*cls][--g_idle_n[*cls]];
    pthread_mutex_unlock(&g_lock);
    return base != NULL ? base : sodium_malloc(class_capacity(*cls));
}

/* Keeps a wiped block for reuse when its class has room, else unmaps it. */
static void block_give_back(void *base, unsigned cls)
{
    bool kept = false;

    if (cls != SECMEM_UNPOOLED) {
        pthread_mutex_lock(&g_lock);
        if (g_idle_n[cls] < idle_limit(cls)) {
            g_idle[cls][g_idle_n[cls]++] = base;
            kept = true;
        }
        pthread_mutex_unlock(&g_lock);
    }
    if (!kept)
        sodium_free(base); /* wipes the whole block before unmapping it */
}

void *tigress__secure_alloc(size_t size)
{
    secmem_hdr *h;
    unsigned cls;
    void *base;
    size_t need, b;

    if (size > SIZE_MAX / 2)
        return NULL;
    if (sodium_init() < 0 || !tigress__alloc_probe())
        return NULL;
    need = SECMEM_NEED(size);
    base = block_take(need, &cls);
    if (base == NULL)
        return NULL;
    /* The block ends at its trailing guard page; the header and data end there too. */
    h = (secmem_hdr *)(void *)((unsigned char *)base +
                               (cls == SECMEM_UNPOOLED ? need : class_capacity(cls)) - need);
    sodium_memzero(h, need);
    h->base = base;
    h->size = size;
    h->cls = cls;
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
    secmem_hdr *h;
    void *base;
    unsigned cls;

    if (p == NULL || !unregister(p))
        return false;
    h = hdr_of(p);
    base = h->base;
    cls = h->cls;
    /* The rest of a pooled block is still zero from its last wipe (or never held data). */
    sodium_memzero(h, SECMEM_NEED(h->size));
    block_give_back(base, cls);
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

size_t tigress__secure_idle(void)
{
    size_t n = 0;

    pthread_mutex_lock(&g_lock);
    for (unsigned c = 0; c < SECMEM_CLASSES; c++)
        n += g_idle_n[c];
    pthread_mutex_unlock(&g_lock);
    return n;
}

void tigress__secure_drain(void)
{
    for (;;) {
        void *base = NULL;

        pthread_mutex_lock(&g_lock);
        for (unsigned c = 0; c < SECMEM_CLASSES && base == NULL; c++) {
            if (g_idle_n[c] > 0)
                base = g_idle[c][--g_idle_n[c]];
        }
        pthread_mutex_unlock(&g_lock);
        if (base == NULL)
            return;
        sodium_free(base);
    }
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
