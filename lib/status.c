/* Status codes, version numbers and library-owned buffers. */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

const char *tigress_strerror(int status)
{
    switch (status) {
#define TIGRESS_STRERROR_CASE_(name, value, msg) case (value): return (msg);
    TIGRESS_STATUS_MAP(TIGRESS_STRERROR_CASE_)
#undef TIGRESS_STRERROR_CASE_
    default:
        return status <= TIGRESS_E_USER_MIN ? "application callback error" : "unknown error";
    }
}

const char *tigress_status_name(int status)
{
    switch (status) {
#define TIGRESS_NAME_CASE_(name, value, msg) case (value): return "TIGRESS_" #name;
    TIGRESS_STATUS_MAP(TIGRESS_NAME_CASE_)
#undef TIGRESS_NAME_CASE_
    default:
        return status <= TIGRESS_E_USER_MIN ? "TIGRESS_E_USER" : "TIGRESS_E_UNKNOWN";
    }
}

unsigned int tigress_version_num(void)
{
    return TIGRESS_VERSION_NUM;
}

const char *tigress_version_string(void)
{
    return TIGRESS_VERSION_STRING;
}

void tigress_buf_dispose(tigress_buf *buf)
{
    if (buf == NULL)
        return;
    if (buf->ptr != NULL) {
        /* +1: the trailing NUL the library always writes. */
        sodium_memzero(buf->ptr, buf->size + 1);
        tigress__free(buf->ptr);
    }
    buf->ptr = NULL;
    buf->size = 0;
}

void tigress_free(void *ptr)
{
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
