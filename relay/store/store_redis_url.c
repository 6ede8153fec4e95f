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

/* A decimal in [lo, hi] spanning exactly n bytes at p. */
static bool parse_num(const char *p, size_t n, long lo, long hi, int *out)
{
    if (n == 0 || n > 9)
        return false;
    long v = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return false;
        v = v * 10 + (p[i] - '0');
    }
    if (v < lo || v > hi)
        return false;
    *out = (int)v;
    return true;
}

/* One host[:port] of n bytes at p into *hp. */
static bool parse_hostport(const char *p, size_t n, int default_port, rs_hostport *hp)
{
    const char *colon = memchr(p, ':', n);
    size_t hl = colon != NULL ? (size_t)(colon - p) : n;
    if (hl == 0 || hl >= sizeof(hp->host))
        return false;
    memcpy(hp->host, p, hl);
    hp->host[hl] = '\0';
    hp->port = default_port;
    if (colon != NULL)
        return parse_num(colon + 1, n - hl - 1, 1, 65535, &hp->port);
    return true;
}

/* The user information before the last '@' of the authority [p, end), if any; *p moves past
 * it. */
static bool parse_userinfo(rs_url *u, const char **p, const char *end)
{
    const char *at = NULL;
    for (const char *q = *p; q < end; q++)
        if (*q == '@')
            at = q;
    if (at == NULL)
        return true;
    const char *colon = memchr(*p, ':', (size_t)(at - *p));
    const char *pw = colon != NULL ? colon + 1 : *p;
    if (colon != NULL && colon > *p && (u->user = pct_decode(*p, (size_t)(colon - *p))) == NULL)
        return false;
    u->password = pct_decode(pw, (size_t)(at - pw));
    if (u->password == NULL)
        return false;
    *p = at + 1;
    return true;
}

/* redis+sentinel://[[user]:password@]host[:port][,host[:port]...]/MASTERNAME[?params], the
 * parameters db=N, min_replicas=N and wait_ms=MS joined by '&'. */
static bool parse_sentinel(rs_url *u, const char *p)
{
    u->sentinel = true;
    const char *slash = strchr(p, '/');
    if (slash == NULL)
        return false;
    if (!parse_userinfo(u, &p, slash))
        return false;
    while (p < slash) {
        const char *comma = memchr(p, ',', (size_t)(slash - p));
        const char *end = comma != NULL ? comma : slash;
        if (u->n_sentinels >= RS_MAX_SENTINELS ||
            !parse_hostport(p, (size_t)(end - p), 26379, &u->sentinels[u->n_sentinels]))
            return false;
        u->n_sentinels++;
        p = comma != NULL ? comma + 1 : slash;
        if (comma != NULL && p == slash)
            return false;   /* a trailing comma */
    }
    if (u->n_sentinels == 0)
        return false;
    memcpy(u->host, u->sentinels[0].host, sizeof(u->host));
    u->port = u->sentinels[0].port;
    p = slash + 1;
    size_t nl = strcspn(p, "?");
    if (nl == 0 || nl >= sizeof(u->master_name) || memchr(p, '/', nl) != NULL)
        return false;
    for (size_t i = 0; i < nl; i++)
        if ((unsigned char)p[i] <= ' ' || p[i] == '%')
            return false;   /* no spaces nor escapes in a master name */
    memcpy(u->master_name, p, nl);
    u->master_name[nl] = '\0';
    p += nl;
    if (*p == '\0')
        return true;
    p++;    /* '?' */
    while (*p != '\0') {
        size_t n = strcspn(p, "&");
        const char *eq = memchr(p, '=', n);
        if (eq == NULL)
            return false;
        size_t kl = (size_t)(eq - p), vl = n - kl - 1;
        if (kl == 2 && strncmp(p, "db", 2) == 0) {
            if (!parse_num(eq + 1, vl, 0, 1000000, &u->db))
                return false;
        } else if (kl == 12 && strncmp(p, "min_replicas", 12) == 0) {
            if (!parse_num(eq + 1, vl, 0, 1000, &u->min_replicas))
                return false;
        } else if (kl == 7 && strncmp(p, "wait_ms", 7) == 0) {
            if (!parse_num(eq + 1, vl, 1, 600000, &u->wait_ms))
                return false;
        } else {
            return false;   /* an unknown parameter: a typo must not pass silently */
        }
        p += n;
        if (*p == '&')
            p++;
    }
    return true;
}

/* redis[s]://[[user]:password@]host[:port][/db], or the Sentinel form. */
bool rs_url_parse(rs_url *u, const char *url)
{
    if (strncasecmp(url, "redis+sentinel://", 17) == 0)
        return parse_sentinel(u, url + 17);
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
