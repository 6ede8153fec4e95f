/* The allocator hooks every libtigress allocation goes through, and library-owned buffers. */
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

bool tigress__alloc_probe(void)
{
    void *p = g_alloc.malloc(1, g_alloc.user_data);

    if (p == NULL)
        return false;
    g_alloc.free(p, g_alloc.user_data);
    return true;
}

void tigress__alloc_install(const tigress_allocator *allocator)
{
    if (allocator != NULL) {
        g_alloc = *allocator;
    } else {
        g_alloc.malloc = default_malloc;
        g_alloc.realloc = default_realloc;
        g_alloc.free = default_free;
        g_alloc.user_data = NULL;
    }
}

/* ---- library-owned buffers ---- */

void tigress_buf_dispose(tigress_buf *buf)
{
    if (buf == NULL)
        return;
    /* Secret material (a Share URL with its fragment, an export blob) lives in guarded memory:
     * sodium_free wipes all of it. */
    if (buf->ptr != NULL && !tigress__secure_release(buf->ptr)) {
        /* +1: the trailing NUL the library always writes. */
        sodium_memzero(buf->ptr, buf->size + 1);
        tigress__free(buf->ptr);
    }
    buf->ptr = NULL;
    buf->size = 0;
}

void tigress_free(void *ptr)
{
    if (!tigress__secure_release(ptr))
        tigress__free(ptr);
}

tigress_status tigress__buf_set(tigress_buf *buf, const void *data, size_t len)
{
    uint8_t *p;

    if (buf == NULL || (data == NULL && len > 0) || len == SIZE_MAX)
        return TIGRESS_E_INVALID;
    p = tigress__malloc(len + 1);
    if (p == NULL)
        return TIGRESS_E_NOMEM;
    if (len > 0)
        memcpy(p, data, len);
    p[len] = 0;
    buf->ptr = p;
    buf->size = len;
    return TIGRESS_OK;
}
