/*
 * relay/proxy.c: the client address behind a load balancer (--trusted-proxy CIDR[,CIDR...]).
 *
 * The address that rate limits, the per-address creation quota and the held-read cap count is
 * the connection's peer address, except when the peer is inside one of the trusted CIDRs: then
 * it comes from `Forwarded` (RFC 7239, the `for=` of each element) or, when that header is
 * absent, `X-Forwarded-For`: the right-most hop that is not itself a trusted proxy (walking from
 * the right, trusted hops are skipped; when every hop is trusted, the left-most one). Every line
 * of the header counts, in order. A header that does not parse (an element without `for=`, an
 * obfuscated or "unknown" node, anything that is not an IP address) is ignored: the peer address
 * is used. From peers outside the CIDRs both headers are ignored.
 * IPv4-mapped IPv6 addresses (::ffff:a.b.c.d) count as the IPv4 address.
 * The per-connection cap (--max-connections-per-address) is applied when the connection is
 * accepted, before any header, so it can only count the peer: with trusted proxies configured
 * it is counted by conncap.c, which exempts the proxies' own connections (each carries many
 * clients; the proxy limits connections per client).
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include <microhttpd.h>

#include "relay.h"

#define PROXY_HEADER_MAX 4096   /* longer forwarding headers are treated as malformed */
#define PROXY_HOPS_MAX 64

static proxy_cidr *g_cidrs;
static size_t g_ncidrs;

/* One IP address (no port, no brackets) into out: 4 or 16 bytes; 0 when it is none. A mapped
 * IPv4 address gives its 4 bytes. */
static size_t parse_ip(const char *s, size_t n, unsigned char out[16])
{
    char buf[INET6_ADDRSTRLEN + 1];
    if (n == 0 || n >= sizeof buf)
        return 0;
    memcpy(buf, s, n);
    buf[n] = '\0';
    if (strchr(buf, ':') == NULL)
        return inet_pton(AF_INET, buf, out) == 1 ? 4 : 0;
    if (inet_pton(AF_INET6, buf, out) != 1)
        return 0;
    static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (memcmp(out, mapped, 12) == 0) {
        memmove(out, out + 12, 4);
        return 4;
    }
    return 16;
}

bool proxy_parse_cidrs(const char *s, proxy_cidr **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    if (s == NULL || *s == '\0')
        return false;
    size_t cap = 1;
    for (const char *p = s; *p; p++)
        cap += *p == ',';
    proxy_cidr *v = calloc(cap, sizeof *v);
    if (v == NULL)
        return false;
    size_t k = 0;
    const char *p = s;
    for (;;) {
        size_t len = strcspn(p, ",");
        const char *a = p, *e = p + len;
        while (a < e && *a == ' ')
            a++;
        while (e > a && e[-1] == ' ')
            e--;
        const char *slash = memchr(a, '/', (size_t)(e - a));
        proxy_cidr *c = &v[k];
        const char *ae = slash != NULL ? slash : e;
        bool v6_text = memchr(a, ':', (size_t)(ae - a)) != NULL;
        unsigned max = v6_text ? 128 : 32;
        c->len = parse_ip(a, (size_t)(ae - a), c->addr);
        unsigned long b = max;
        if (c->len != 0 && slash != NULL) {
            char *end = NULL;
            const char *d = slash + 1;
            b = (d < e && isdigit((unsigned char)*d)) ? strtoul(d, &end, 10) : 999;
            if (end != e)
                b = 999;
        }
        /* An IPv4-mapped prefix (::ffff:a.b.c.d/NN, NN >= 96) counts as IPv4. */
        if (v6_text && c->len == 4)
            b = b >= 96 && b <= 128 ? b - 96 : 999;
        max = (unsigned)c->len * 8;
        c->bits = b <= max ? (unsigned)b : 999;
        if (c->len == 0 || c->bits > max) {
            free(v);
            return false;
        }
        k++;
        if (p[len] == '\0')
            break;
        p += len + 1;
    }
    *out = v;
    *n = k;
    return true;
}

bool proxy_cidr_match(const proxy_cidr *c, size_t n, const unsigned char *ip, size_t len)
{
    for (size_t i = 0; i < n; i++) {
        if (c[i].len != len)
            continue;
        unsigned full = c[i].bits / 8, rest = c[i].bits % 8;
        if (memcmp(c[i].addr, ip, full) != 0)
            continue;
        if (rest == 0)
            return true;
        unsigned char mask = (unsigned char)(0xff << (8 - rest));
        if ((c[i].addr[full] & mask) == (ip[full] & mask))
            return true;
    }
    return false;
}

/* One node: "a.b.c.d", "a.b.c.d:port", "v6", "[v6]", "[v6]:port" (quotes already removed). */
static size_t parse_node(const char *s, size_t n, unsigned char out[16])
{
    while (n > 0 && (*s == ' ' || *s == '\t')) {
        s++;
        n--;
    }
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    if (n > 0 && s[0] == '[') {
        const char *close = memchr(s, ']', n);
        if (close == NULL)
            return 0;
        size_t after = n - (size_t)(close - s) - 1;
        if (after > 0 && (close[1] != ':' || after < 2 || after > 6 ||
                          strspn(close + 2, "0123456789") < after - 1))
            return 0;
        size_t got = parse_ip(s + 1, (size_t)(close - s - 1), out);
        return got;
    }
    const char *colon = memchr(s, ':', n);
    if (colon != NULL && memchr(colon + 1, ':', n - (size_t)(colon - s) - 1) == NULL) {
        size_t port = n - (size_t)(colon - s) - 1;     /* a.b.c.d:port */
        if (port == 0 || port > 5 || strspn(colon + 1, "0123456789") < port)
            return 0;
        size_t got = parse_ip(s, (size_t)(colon - s), out);
        return got == 4 ? 4 : 0;
    }
    return parse_ip(s, n, out);
}

/* The `for=` value of one Forwarded element (`pair *( ";" pair )`) into node; false when it
 * has none or it is malformed. */
static bool forwarded_for(const char *el, size_t n, char *node, size_t cap)
{
    const char *p = el, *end = el + n;
    bool found = false;
    while (p < end) {
        const char *semi = memchr(p, ';', (size_t)(end - p));
        const char *pe = semi != NULL ? semi : end;
        while (p < pe && (*p == ' ' || *p == '\t'))
            p++;
        if (pe - p > 4 && strncasecmp(p, "for=", 4) == 0) {
            if (found)
                return false;               /* two for= in one element */
            const char *v = p + 4, *ve = pe;
            while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
                ve--;
            if (ve - v >= 2 && *v == '"' && ve[-1] == '"') {
                v++;
                ve--;
            }
            if ((size_t)(ve - v) >= cap || memchr(v, '"', (size_t)(ve - v)) != NULL)
                return false;
            memcpy(node, v, (size_t)(ve - v));
            node[ve - v] = '\0';
            found = true;
        }
        p = semi != NULL ? semi + 1 : end;
    }
    return found;
}

size_t proxy_pick(const proxy_cidr *c, size_t n, const char *forwarded, const char *xff,
                  const unsigned char *peer, size_t peer_len, unsigned char out[16])
{
    memcpy(out, peer, peer_len);
    if (!proxy_cidr_match(c, n, peer, peer_len))
        return peer_len;
    bool rfc = forwarded != NULL;
    const char *h = rfc ? forwarded : xff;
    if (h == NULL || strlen(h) > PROXY_HEADER_MAX)
        return peer_len;
    unsigned char hops[PROXY_HOPS_MAX][16];
    size_t lens[PROXY_HOPS_MAX], nh = 0;
    const char *p = h;
    for (;;) {
        size_t len = strcspn(p, ",");
        char node[128];
        const char *s = p;
        size_t sl = len;
        if (rfc) {
            if (!forwarded_for(p, len, node, sizeof node))
                return peer_len;
            s = node;
            sl = strlen(node);
        }
        if (nh == PROXY_HOPS_MAX || (lens[nh] = parse_node(s, sl, hops[nh])) == 0)
            return peer_len;
        nh++;
        if (p[len] == '\0')
            break;
        p += len + 1;
    }
    size_t i = nh;
    while (i > 1 && proxy_cidr_match(c, n, hops[i - 1], lens[i - 1]))
        i--;
    memcpy(out, hops[i - 1], lens[i - 1]);
    return lens[i - 1];
}

int proxy_init(const char *cidrs)
{
    if (cidrs == NULL)
        return 0;
    if (!proxy_parse_cidrs(cidrs, &g_cidrs, &g_ncidrs)) {
        fprintf(stderr, "tigress-relay: --trusted-proxy must be a comma-separated list of IPv4 "
                        "or IPv6 CIDRs (e.g. 10.0.0.0/8,::1/128)\n");
        return RELAY_EXIT_USAGE;
    }
    return 0;
}

void proxy_free(void)
{
    free(g_cidrs);
    g_cidrs = NULL;
    g_ncidrs = 0;
}

typedef struct joined {
    const char *name;
    char buf[PROXY_HEADER_MAX + 2];
    size_t len;
    bool seen, overflow;
} joined;

static enum MHD_Result join_lines(void *cls, enum MHD_ValueKind kind, const char *key,
                                  const char *value)
{
    (void)kind;
    joined *j = cls;
    if (key == NULL || value == NULL || strcasecmp(key, j->name) != 0)
        return MHD_YES;
    size_t n = strlen(value);
    if (j->len + n + 1 > PROXY_HEADER_MAX) {
        j->overflow = true;
        return MHD_NO;
    }
    if (j->seen)
        j->buf[j->len++] = ',';
    memcpy(j->buf + j->len, value, n);
    j->len += n;
    j->buf[j->len] = '\0';
    j->seen = true;
    return MHD_YES;
}

/* Every line of header `name`, joined by commas; NULL when absent. An over-long header gives
 * a value proxy_pick treats as malformed. */
static const char *header_lines(struct MHD_Connection *c, joined *j, const char *name)
{
    j->name = name;
    j->len = 0;
    j->seen = j->overflow = false;
    MHD_get_connection_values(c, MHD_HEADER_KIND, join_lines, j);
    if (j->overflow)
        return "malformed";
    return j->seen ? j->buf : NULL;
}

size_t proxy_peer_addr(const struct sockaddr *sa, unsigned char out[16])
{
    if (sa == NULL)
        return 0;
    if (sa->sa_family == AF_INET) {
        memcpy(out, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, 4);
        return 4;
    }
    if (sa->sa_family != AF_INET6)
        return 0;
    memcpy(out, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, 16);
    static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (memcmp(out, mapped, 12) == 0) {
        memmove(out, out + 12, 4);
        return 4;
    }
    return 16;
}

bool proxy_trusted(const unsigned char *ip, size_t len)
{
    return g_ncidrs > 0 && proxy_cidr_match(g_cidrs, g_ncidrs, ip, len);
}

size_t proxy_client_addr(struct MHD_Connection *c, unsigned char out[16])
{
    const union MHD_ConnectionInfo *ci =
        c != NULL ? MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS) : NULL;
    if (ci == NULL)
        return 0;
    unsigned char peer[16];
    size_t plen = proxy_peer_addr(ci->client_addr, peer);
    if (plen == 0)
        return 0;
    if (!proxy_trusted(peer, plen)) {
        memcpy(out, peer, plen);
        return plen;
    }
    joined *fw = malloc(sizeof *fw), *xf = malloc(sizeof *xf);
    size_t n = plen;
    memcpy(out, peer, plen);
    if (fw != NULL && xf != NULL)
        n = proxy_pick(g_cidrs, g_ncidrs, header_lines(c, fw, "Forwarded"),
                       header_lines(c, xf, "X-Forwarded-For"), peer, plen, out);
    free(fw);
    free(xf);
    return n;
}
