/*
 * relay/store/store_redis_url.c: parses the Redis backend's redis[s]:// location (see the
 * header). Built only when hiredis is found (-DTIGRESS_HAVE_HIREDIS).
 */
#ifdef TIGRESS_HAVE_HIREDIS

#include "store_redis_url.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* A percent-decoded copy of n bytes at p (as redis-cli decodes URL credentials), or NULL
 * (out of memory, or a bad escape). */
static char *pct_decode(const char *p, size_t n)
{
    char *out = malloc(n + 1), *o = out;
    if (out == NULL)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        if (p[i] != '%') {
            *o++ = p[i];
            continue;
        }
        int hi = i + 2 < n ? hexval(p[i + 1]) : -1;
        int lo = hi >= 0 ? hexval(p[i + 2]) : -1;
        if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
            free(out);
            return NULL;
        }
        *o++ = (char)(hi * 16 + lo);
        i += 2;
    }
    *o = '\0';
    return out;
}

/* redis[s]://[[user]:password@]host[:port][/db]. */
bool rs_url_parse(rs_url *u, const char *url)
{
    u->tls = strncasecmp(url, "rediss://", 9) == 0;
    if (!u->tls && strncasecmp(url, "redis://", 8) != 0)
        return false;
    const char *p = url + (u->tls ? 9 : 8); /* after the scheme */
    const char *at = strrchr(p, '@');
    if (at != NULL) {
        const char *colon = memchr(p, ':', (size_t)(at - p));
        const char *pw = colon != NULL ? colon + 1 : p;
        if (colon != NULL && colon > p && (u->user = pct_decode(p, (size_t)(colon - p))) == NULL)
            return false;
        u->password = pct_decode(pw, (size_t)(at - pw));
        if (u->password == NULL)
            return false;
        p = at + 1;
    }
    size_t hl = strcspn(p, ":/");
    if (hl == 0 || hl >= sizeof(u->host))
        return false;
    memcpy(u->host, p, hl);
    u->host[hl] = '\0';
    p += hl;
    u->port = 6379;
    if (*p == ':') {
        char *end;
        long port = strtol(p + 1, &end, 10);
        if (end == p + 1 || port <= 0 || port > 65535)
            return false;
        u->port = (int)port;
        p = end;
    }
    if (*p == '/' && p[1] != '\0') {
        char *end;
        long db = strtol(p + 1, &end, 10);
        if (end == p + 1 || *end != '\0' || db < 0 || db > 1000000)
            return false;
        u->db = (int)db;
    } else if (*p != '\0' && strcmp(p, "/") != 0) {
        return false;
    }
    return true;
}

void rs_url_clear(rs_url *u)
{
    if (u->password != NULL) {
        /* A volatile walk, so the wipe is not optimised away before free(). */
        volatile char *p = u->password;
        while (*p != '\0')
            *p++ = '\0';
        free(u->password);
        u->password = NULL;
    }
    free(u->user);
    u->user = NULL;
}

#else /* !TIGRESS_HAVE_HIREDIS */

typedef int store_redis_url_not_built;

#endif /* TIGRESS_HAVE_HIREDIS */
