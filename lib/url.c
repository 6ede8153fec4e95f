/*
 * Share URLs: https://host[:port]/v1/m/{uuid}[?v=a|h|c][#Secret]
 *
 * The parser is strict about everything the relay will see (scheme, authority, path) and keeps
 * the fragment apart: it becomes a tigress_secret, and the mailbox URL handed to the transport
 * never contains it (C13, C14). No error message quotes any part of the input, so a Secret can
 * never leak through tigress_error_last().
 */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

#define URL_MAX 2048
#define MAILBOX_PATH "/v1/m/"
#define UUID_LEN 36

struct tigress_share_url {
    char *mailbox_url; /* scheme://host[:port]/v1/m/{id} */
    char *relay;       /* scheme://host[:port] */
    char *host;        /* lowercase, without brackets or port */
    char id[UUID_LEN + 1];
    char vertical;
    tigress_secret *secret;
};

/* The pieces of a Share URL, as offsets into the caller's text; nothing is copied yet. */
struct url_parts {
    bool https;
    const char *host;     /* without brackets */
    size_t host_len;
    const char *hostport; /* as written, brackets and port included */
    size_t hostport_len;
    const char *id;       /* UUID_LEN chars */
    const char *query;    /* after '?', or NULL */
    size_t query_len;
    const char *fragment; /* after '#' (NUL-terminated: it runs to the end), or NULL */
};

static char lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

static bool starts_with_ci(const char *s, const char *prefix)
{
    for (; *prefix != '\0'; s++, prefix++)
        if (lower(*s) != *prefix)
            return false;
    return true;
}

static bool is_digit(char c) { return c >= '0' && c <= '9'; }
static bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
static bool is_hex(char c) { return is_digit(c) || (lower(c) >= 'a' && lower(c) <= 'f'); }

/* Registered names and IPv4 literals: letters, digits, '-' and '.'. */
static bool valid_reg_name(const char *h, size_t n)
{
    if (n == 0 || n > 253)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!is_alpha(h[i]) && !is_digit(h[i]) && h[i] != '-' && h[i] != '.')
            return false;
    return true;
}

/* IPv6 literals: hex digits, ':' and '.' (an embedded IPv4), at least one ':'. No zone IDs. */
static bool valid_ipv6(const char *h, size_t n)
{
    size_t colons = 0;

    if (n < 2 || n > 45)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (h[i] == ':')
            colons++;
        else if (!is_hex(h[i]) && h[i] != '.')
            return false;
    }
    return colons >= 2;
}

static bool valid_port(const char *p, size_t n)
{
    unsigned long v = 0;

    if (n == 0 || n > 5)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (!is_digit(p[i]))
            return false;
        v = v * 10 + (unsigned long)(p[i] - '0');
    }
    return v >= 1 && v <= 65535;
}

/* Split authority [start, end) into host and port (range-checked); reject userinfo. NULL when
 * well-formed, else what is wrong, to follow "... URL ". */
static const char *split_authority(tigress__url_split_parts *p, const char *start, const char *end)
{
    const char *port = NULL;

    p->hostport = start;
    p->hostport_len = (size_t)(end - start);
    if (memchr(start, '@', p->hostport_len) != NULL)
        return "must not contain user information";
    if (start < end && *start == '[') {
        const char *close = memchr(start, ']', p->hostport_len);
        if (close == NULL)
            return "has an unterminated IPv6 address";
        p->host = start + 1;
        p->host_len = (size_t)(close - p->host);
        if (!valid_ipv6(p->host, p->host_len))
            return "has a malformed IPv6 address";
        if (close + 1 < end) {
            if (close[1] != ':')
                return "has junk after the IPv6 address";
            port = close + 2;
        }
    } else {
        const char *colon = memchr(start, ':', p->hostport_len);
        p->host = start;
        p->host_len = (size_t)((colon != NULL ? colon : end) - start);
        if (!valid_reg_name(p->host, p->host_len))
            return "has a missing or malformed host";
        if (colon != NULL)
            port = colon + 1;
    }
    if (port != NULL && !valid_port(port, (size_t)(end - port)))
        return "has a malformed port";
    return NULL;
}

const char *tigress__url_split(const char *url, tigress__url_split_parts *p)
{
    const char *sep = strstr(url, "://"), *start, *end;

    memset(p, 0, sizeof(*p));
    if (sep == NULL || sep == url || !is_alpha(url[0]))
        return "has no scheme://";
    for (const char *c = url; c < sep; c++)
        if (!is_alpha(*c) && !is_digit(*c) && *c != '+' && *c != '-' && *c != '.')
            return "has a malformed scheme";
    p->scheme = url;
    p->scheme_len = (size_t)(sep - url);
    start = sep + 3;
    end = start + strcspn(start, "/?#");
    p->rest = end;
    return split_authority(p, start, end);
}

bool tigress__url_is_loopback(const char *h, size_t n)
{
    return (n == 9 && memcmp(h, "127.0.0.1", 9) == 0) || (n == 3 && memcmp(h, "::1", 3) == 0) ||
           (n == 9 && starts_with_ci(h, "localhost"));
}

/* Everything up to the fragment; the fragment is only located, never inspected here. */
static tigress_status split_url(struct url_parts *p, const char *url, unsigned int flags)
{
    const char *auth_end, *path_end, *why;
    size_t len = strlen(url);
    tigress__url_split_parts sp;

    memset(p, 0, sizeof(*p));
    if (len > URL_MAX)
        return tigress__fail(TIGRESS_E_URL, "Share URL is longer than %d characters", URL_MAX);
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)url[i] <= 0x20 || (unsigned char)url[i] >= 0x7f)
            return tigress__fail(TIGRESS_E_URL,
                                 "Share URL contains a space, control or non-ASCII character");
    if (starts_with_ci(url, "https://"))
        p->https = true;
    else if (!starts_with_ci(url, "http://"))
        return tigress__fail(TIGRESS_E_URL, "Share URL must start with https://");
    why = tigress__url_split(url, &sp);
    if (why != NULL)
        return tigress__fail(TIGRESS_E_URL, "Share URL %s", why);
    p->host = sp.host;
    p->host_len = sp.host_len;
    p->hostport = sp.hostport;
    p->hostport_len = sp.hostport_len;
    auth_end = sp.rest;
    /* C1: plain http only to this machine, and only when the caller opted in. */
    if (!p->https && (!(flags & TIGRESS_URL_ALLOW_INSECURE_LOOPBACK) ||
                      !tigress__url_is_loopback(p->host, p->host_len)))
        return tigress__fail(TIGRESS_E_INSECURE, "Share URL is not https");

    path_end = auth_end + strcspn(auth_end, "?#");
    if ((size_t)(path_end - auth_end) != strlen(MAILBOX_PATH) + UUID_LEN ||
        strncmp(auth_end, MAILBOX_PATH, strlen(MAILBOX_PATH)) != 0)
        return tigress__fail(TIGRESS_E_URL, "Share URL path must be /v1/m/{mailbox id}");
    p->id = auth_end + strlen(MAILBOX_PATH);
    {
        char id[UUID_LEN + 1];
        memcpy(id, p->id, UUID_LEN);
        id[UUID_LEN] = '\0';
        if (!tigress__is_uuid(id))
            return tigress__fail(TIGRESS_E_URL, "Share URL mailbox id is not a UUID");
    }
    if (*path_end == '?') {
        p->query = path_end + 1;
        p->query_len = strcspn(p->query, "#");
        path_end = p->query + p->query_len;
    }
    if (*path_end == '#')
        p->fragment = path_end + 1;
    return TIGRESS_OK;
}

/* Find v= among &-separated parameters; others are ignored (the relay may add its own). */
static tigress_status parse_vertical(char *out, const char *q, size_t n)
{
    const char *end = q == NULL ? NULL : q + n;

    *out = 0;
    if (q == NULL)
        return TIGRESS_OK;
    while (q < end) {
        const char *amp = memchr(q, '&', (size_t)(end - q));
        const char *pe = amp != NULL ? amp : end;
        size_t plen = (size_t)(pe - q);

        if (plen >= 1 && q[0] == 'v' && (plen == 1 || q[1] == '=')) {
            if (*out != 0)
                return tigress__fail(TIGRESS_E_URL, "Share URL has more than one vertical");
            if (plen != 3 || (q[2] != 'a' && q[2] != 'h' && q[2] != 'c'))
                return tigress__fail(TIGRESS_E_URL, "Share URL vertical must be a, h or c");
            *out = q[2];
        }
        q = pe + (amp != NULL ? 1 : 0);
    }
    return TIGRESS_OK;
}

void tigress_share_url_free(tigress_share_url *url)
{
    if (url == NULL)
        return;
    tigress__free(url->mailbox_url);
    tigress__free(url->relay);
    tigress__free(url->host);
    tigress_secret_free(url->secret);
    tigress__free(url);
}

/* Fill the normalised strings of u from p: lowercase scheme, host and id. */
static tigress_status fill_names(tigress_share_url *u, const struct url_parts *p)
{
    const char *scheme = p->https ? "https://" : "http://";
    size_t relay_len = strlen(scheme) + p->hostport_len;
    size_t mbox_len = relay_len + strlen(MAILBOX_PATH) + UUID_LEN;

    for (size_t i = 0; i < UUID_LEN; i++)
        u->id[i] = lower(p->id[i]);
    u->id[UUID_LEN] = '\0';
    u->host = tigress__strndup(p->host, p->host_len);
    u->relay = tigress__malloc(relay_len + 1);
    u->mailbox_url = tigress__malloc(mbox_len + 1);
    if (u->host == NULL || u->relay == NULL || u->mailbox_url == NULL)
        return tigress__fail(TIGRESS_E_NOMEM, "out of memory parsing a Share URL");
    for (size_t i = 0; u->host[i] != '\0'; i++)
        u->host[i] = lower(u->host[i]);
    snprintf(u->relay, relay_len + 1, "%s", scheme);
    for (size_t i = 0; i < p->hostport_len; i++)
        u->relay[strlen(scheme) + i] = lower(p->hostport[i]);
    u->relay[relay_len] = '\0';
    snprintf(u->mailbox_url, mbox_len + 1, "%s%s%s", u->relay, MAILBOX_PATH, u->id);
    return TIGRESS_OK;
}

tigress_status tigress_share_url_parse(tigress_share_url **out, const char *url,
                                       unsigned int flags)
{
    struct url_parts p;
    tigress_share_url *u = NULL;
    tigress_status rc;

    if (out == NULL)
        return tigress__fail(TIGRESS_E_INVALID, "tigress_share_url_parse: out is NULL");
    *out = NULL;
    if (url == NULL)
        return tigress__fail(TIGRESS_E_INVALID, "tigress_share_url_parse: url is NULL");
    rc = split_url(&p, url, flags);
    if (rc != TIGRESS_OK)
        return rc;
    u = tigress__calloc(1, sizeof(*u));
    if (u == NULL)
        return tigress__fail(TIGRESS_E_NOMEM, "out of memory parsing a Share URL");
    rc = parse_vertical(&u->vertical, p.query, p.query_len);
    if (rc != TIGRESS_OK)
        goto out;
    rc = fill_names(u, &p);
    if (rc != TIGRESS_OK)
        goto out;
    /* An empty fragment ("...#") carries no Secret: the Secret was sent apart. */
    if (p.fragment != NULL && *p.fragment != '\0') {
        rc = tigress_secret_from_text(&u->secret, p.fragment);
        if (rc == TIGRESS_E_KEY)
            rc = tigress__fail(rc, "Share URL fragment is not a valid Secret");
        if (rc != TIGRESS_OK)
            goto out;
    }
    *out = u;
    u = NULL;
out:
    tigress_share_url_free(u);
    return rc;
}

const char *tigress_share_url_mailbox_url(const tigress_share_url *url)
{
    return url == NULL ? NULL : url->mailbox_url;
}

const char *tigress_share_url_relay(const tigress_share_url *url)
{
    return url == NULL ? NULL : url->relay;
}

const char *tigress_share_url_host(const tigress_share_url *url)
{
    return url == NULL ? NULL : url->host;
}

const char *tigress_share_url_mailbox_id(const tigress_share_url *url)
{
    return url == NULL ? NULL : url->id;
}

char tigress_share_url_vertical(const tigress_share_url *url)
{
    return url == NULL ? 0 : url->vertical;
}

const tigress_secret *tigress_share_url_secret(const tigress_share_url *url)
{
    return url == NULL ? NULL : url->secret;
}

tigress_status tigress_share_url_build(tigress_buf *out, const char *url_link, char vertical,
                                       const tigress_secret *secret)
{
    struct url_parts p;
    tigress_share_url *u = NULL;
    char *text = NULL;
    size_t len = 0, cap = 0;
    tigress_status rc;

    if (out == NULL)
        return tigress__fail(TIGRESS_E_INVALID, "tigress_share_url_build: out is NULL");
    out->ptr = NULL;
    out->size = 0;
    if (url_link == NULL)
        return tigress__fail(TIGRESS_E_INVALID, "tigress_share_url_build: url_link is NULL");
    if (vertical != 0 && vertical != 'a' && vertical != 'h' && vertical != 'c')
        return tigress__fail(TIGRESS_E_INVALID, "vertical must be 'a', 'h', 'c' or 0");
    /* The link comes from the relay we just talked to: the client already applied its own
     * insecure-loopback policy, so http is accepted here for loopback hosts only. */
    rc = split_url(&p, url_link, TIGRESS_URL_ALLOW_INSECURE_LOOPBACK);
    if (rc != TIGRESS_OK)
        return rc;
    if (p.query != NULL || p.fragment != NULL)
        return tigress__fail(TIGRESS_E_URL, "urlLink must not have a query or fragment");
    u = tigress__calloc(1, sizeof(*u));
    if (u == NULL)
        return tigress__fail(TIGRESS_E_NOMEM, "out of memory building a Share URL");
    rc = fill_names(u, &p);
    if (rc != TIGRESS_OK)
        goto out;
    cap = strlen(u->mailbox_url) + 4 + 1 + (secret != NULL ? strlen(tigress_secret_text(secret))
                                                           : 0) + 1;
    /* With the Secret in it the text goes to guarded memory (tigress_buf_dispose knows it). */
    text = secret != NULL ? tigress__secure_alloc(cap) : tigress__malloc(cap);
    if (text == NULL) {
        rc = tigress__fail(TIGRESS_E_NOMEM, "out of memory building a Share URL");
        goto out;
    }
    len = (size_t)snprintf(text, cap, "%s", u->mailbox_url);
    if (vertical != 0)
        len += (size_t)snprintf(text + len, cap - len, "?v=%c", vertical);
    /* C13: the Secret, when it travels with the URL, is the fragment; standard padded Base64
     * ('+', '/', '=') is valid fragment syntax as it stands. */
    if (secret != NULL)
        len += (size_t)snprintf(text + len, cap - len, "#%s", tigress_secret_text(secret));
    out->ptr = (uint8_t *)text;
    out->size = len;
    text = NULL;
    rc = TIGRESS_OK;
out:
    if (text != NULL && !tigress__secure_release(text)) {
        sodium_memzero(text, cap);
        tigress__free(text);
    }
    tigress_share_url_free(u);
    return rc;
}
