/* Allocator hooks and reference-counted global initialisation. */
#include <curl/curl.h>
#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static void *default_malloc(size_t size, void *ud) { (void)ud; return malloc(size); }
static void *default_realloc(void *p, size_t size, void *ud) { (void)ud; return realloc(p, size); }
static void default_free(void *p, void *ud) { (void)ud; free(p); }

static tigress_allocator g_alloc = {
    TIGRESS_ALLOCATOR_VERSION, default_malloc, default_realloc, default_free, NULL
};
static pthread_mutex_t g_init_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned int g_init_count;

void *tigress__malloc(size_t size)
{
    return g_alloc.malloc(size == 0 ? 1 : size, g_alloc.user_data);
}

void *tigress__calloc(size_t count, size_t size)
{
    void *p;

    if (size != 0 && count > SIZE_MAX / size)
        return NULL;
    p = tigress__malloc(count * size);
    if (p != NULL)
        memset(p, 0, count * size);
    return p;
}

void *tigress__realloc(void *ptr, size_t size)
{
    return g_alloc.realloc(ptr, size == 0 ? 1 : size, g_alloc.user_data);
}

void tigress__free(void *ptr)
{
    if (ptr != NULL)
        g_alloc.free(ptr, g_alloc.user_data);
}

char *tigress__strndup(const char *s, size_t n)
{
    char *d;

    if (s == NULL)
        return NULL;
    d = tigress__malloc(n + 1);
    if (d == NULL)
        return NULL;
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

char *tigress__strdup(const char *s)
{
    return s == NULL ? NULL : tigress__strndup(s, strlen(s));
}

void tigress__free_wiped_str(char *s)
{
    if (s == NULL)
        return;
    sodium_memzero(s, strlen(s));
    tigress__free(s);
}

bool tigress__initialized(void)
{
    bool up;

    pthread_mutex_lock(&g_init_lock);
    up = g_init_count > 0;
    pthread_mutex_unlock(&g_init_lock);
    return up;
}

/* Called with g_init_lock held. */
static tigress_status init_locked(void)
{
    if (g_init_count > 0) {
        g_init_count++;
        return TIGRESS_OK;
    }
    /* sodium_init() returns 1 when already initialised by someone else: success. */
    if (sodium_init() < 0)
        return tigress__fail(TIGRESS_E_INTERNAL, "libsodium failed to initialise");
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return tigress__fail(TIGRESS_E_INTERNAL, "libcurl failed to initialise");
    g_init_count = 1;
    return TIGRESS_OK;
}

tigress_status tigress_global_init(void)
{
    tigress_status rc;

    pthread_mutex_lock(&g_init_lock);
    rc = init_locked();
    pthread_mutex_unlock(&g_init_lock);
    return rc;
}

tigress_status tigress_global_init_mem(const tigress_allocator *allocator)
{
    tigress_status rc;

    if (allocator != NULL) {
        if (allocator->version < 1 || allocator->version > TIGRESS_ALLOCATOR_VERSION)
            return tigress__fail(TIGRESS_E_VERSION, "unsupported tigress_allocator version %u",
                                 allocator->version);
        if (allocator->malloc == NULL || allocator->realloc == NULL || allocator->free == NULL)
            return tigress__fail(TIGRESS_E_INVALID, "tigress_allocator is missing a hook");
    }
    pthread_mutex_lock(&g_init_lock);
    if (g_init_count > 0) {
        pthread_mutex_unlock(&g_init_lock);
        return tigress__fail(TIGRESS_E_STATE,
                             "allocator hooks must be installed before tigress_global_init()");
    }
    if (allocator != NULL) {
        g_alloc = *allocator;
    } else {
        g_alloc.malloc = default_malloc;
        g_alloc.realloc = default_realloc;
        g_alloc.free = default_free;
        g_alloc.user_data = NULL;
    }
    rc = init_locked();
    pthread_mutex_unlock(&g_init_lock);
    return rc;
}

void tigress_global_cleanup(void)
{
    pthread_mutex_lock(&g_init_lock);
    if (g_init_count > 0 && --g_init_count == 0) {
        curl_global_cleanup();
        tigress__crypto_global_cleanup();
    }
    pthread_mutex_unlock(&g_init_lock);
}
