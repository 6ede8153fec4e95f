/* Reference-counted global initialisation: the top of the library's base. It sets up what the
 * layers below need once per process (libsodium, libcurl when built with it, the allocator hooks) and gives back
 * what they hold (crypto.c's ciphers) at the last cleanup. */
#ifdef TIGRESS_HAVE_CURL
#include <curl/curl.h>
#endif
#include <pthread.h>
#include <sodium.h>

#include "crypto_internal.h"

static pthread_mutex_t g_init_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned int g_init_count;

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
#ifdef TIGRESS_HAVE_CURL
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return tigress__fail(TIGRESS_E_INTERNAL, "libcurl failed to initialise");
#endif
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
    tigress__alloc_install(allocator);
    rc = init_locked();
    pthread_mutex_unlock(&g_init_lock);
    return rc;
}

void tigress_global_cleanup(void)
{
    pthread_mutex_lock(&g_init_lock);
    if (g_init_count > 0 && --g_init_count == 0) {
#ifdef TIGRESS_HAVE_CURL
        curl_global_cleanup();
#endif
        tigress__crypto_global_cleanup();
        tigress__secure_drain();
    }
    pthread_mutex_unlock(&g_init_lock);
}
