/*
 * relay/routes_read.c: the endpoints that only read (draft-vinokurov-tigress-http-00 §6,
 * docs/protocol.md D1-D14): ReadSecureContentFromMailbox with the long-poll extension
 * (ETag / If-None-Match / Prefer: wait, held by longpoll.c) and
 * ReadDisplayInformationFromMailbox (the HTML preview, preview.c). The secure read is a store
 * job like the writes (routes.c explains the two halves); the preview reads at once.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "relay.h"
#include "routes_internal.h"

/* "\"<version>\"" into etag[32] (a 64-bit value has at most 20 digits): every read makes one. */
static void format_etag(char etag[32], uint64_t version)
{
    char digits[20];
    size_t n = 0;
    do {
        digits[n++] = (char)('0' + version % 10);
        version /= 10;
    } while (version > 0);
    etag[0] = '"';
    for (size_t i = 0; i < n; i++)
        etag[1 + i] = digits[n - 1 - i];
    etag[n + 1] = '"';
    etag[n + 2] = '\0';
}

/* Prefer: wait=N -> N (0 when absent), clamped to the configured maximum. */
static unsigned prefer_wait(const char *prefer)
{
    long v = relay_prefer_wait(prefer);
    if (v <= 0)
        return 0;
    return v > (long)g_routes_cfg->max_wait ? g_routes_cfg->max_wait : (unsigned)v;
}

/* If-None-Match: "<n>" (or W/"<n>", or n) -> true and *v when it parses. */
static bool parse_etag(const char *s, uint64_t *v)
{
    if (s == NULL)
        return false;
    while (*s == ' ')
        s++;
    if (strncmp(s, "W/", 2) == 0)
        s += 2;
    if (*s == '"')
        s++;
    char *end;
    unsigned long long n = strtoull(s, &end, 10);
    if (end == s)
        return false;
    *v = n;
    return true;
}

/* ---- ReadSecureContentFromMailbox: POST /v1/m/{id} (+ long-poll extension) ---- */
void routes_handle_read(const relay_request *rq, relay_response *rs, const char *id)
{
    char claim[37];
    if (!routes_check_body_type(rq, rs) || !routes_check_headers(rq, rs, false, claim))
        return;
    char *token = NULL;
    const char *err = validate_read_body(rq->body, rq->body_len, &token);
    if (err != NULL) {
        routes_error(rs, 400, "invalid_body", err);
        return;
    }
    relay_pending *p = routes_pending_new(STORE_OP_READ, rq, id, claim);
    if (p == NULL) {
        cJSON_free(token);
        routes_error(rs, 500, "internal", "out of memory");
        return;
    }
    p->token = token;
    p->job.token_json = token;
    rs->pending = p;
}

void routes_finish_read(relay_pending *p, const relay_request *rq, relay_response *rs)
{
    const char *id = p->id;
    store_rc rc = p->job.rc;
    store_mailbox mb = p->job.out;
    memset(&p->job.out, 0, sizeof p->job.out); /* mb owns it now */
    if (rc != STORE_OK) {
        routes_store_error(rs, rc);
        store_mailbox_clear(&mb);
        return;
    }
    metrics_inc(M_READS);
    format_etag(rs->etag, mb.version);
    uint64_t seen;
    if (parse_etag(rq->if_none_match, &seen) && seen == mb.version) {
        unsigned wait = prefer_wait(rq->prefer);
        if (wait > 0 && !rq->resumed) {
            /* Hold the request without a thread until an update or the deadline. */
            longpoll_wait(rq->conn, id, mb.version, relay_now_ms() + (int64_t)wait * 1000,
                          rq->owner);
            /* Close the race with an update that landed between the read and the wait. */
            if (store_version(g_routes_store, id, routes_now()) != mb.version)
                longpoll_wake(id);
            rs->suspended = true;
            store_mailbox_clear(&mb);
            return;
        }
        rs->status = 304;           /* unchanged: no body */
        store_mailbox_clear(&mb);
        return;
    }
    char exp[21];
    relay_format_rfc3339(mb.expires_at, exp);
    const char *pl = mb.payload_json ? mb.payload_json : "null";
    const char *di = mb.display_json ? mb.display_json : "null";
    /* Assembled with memcpy: snprintf walked the payload byte by byte through stdio. */
    static const char k1[] = "{\"payload\":", k2[] = ",\"displayInformation\":",
                      k3[] = ",\"expiration\":\"", k4[] = "\"}";
    size_t lp = strlen(pl), ld = strlen(di), le = strlen(exp);
    size_t n = sizeof k1 - 1 + lp + sizeof k2 - 1 + ld + sizeof k3 - 1 + le + sizeof k4;
    char *body = malloc(n);
    if (body == NULL) {
        store_mailbox_clear(&mb);
        routes_error(rs, 500, "internal", "out of memory");
        return;
    }
    char *o = body;
    memcpy(o, k1, sizeof k1 - 1), o += sizeof k1 - 1;
    memcpy(o, pl, lp), o += lp;
    memcpy(o, k2, sizeof k2 - 1), o += sizeof k2 - 1;
    memcpy(o, di, ld), o += ld;
    memcpy(o, k3, sizeof k3 - 1), o += sizeof k3 - 1;
    memcpy(o, exp, le), o += le;
    memcpy(o, k4, sizeof k4); /* with its NUL */
    rs->status = 200;
    rs->content_type = ROUTES_JSON_TYPE;
    free(rs->body);
    rs->body = body;
    rs->body_len = n - 1;
    store_mailbox_clear(&mb);
}
/* ---- ReadDisplayInformationFromMailbox: GET/HEAD /v1/m/{id} ---- */
void routes_handle_preview(const relay_request *rq, relay_response *rs, const char *id)
{
    (void)rq;
    store_mailbox mb;
    memset(&mb, 0, sizeof mb);
    store_rc rc = store_peek(g_routes_store, id, routes_now(), &mb);
    size_t len = 0;
    char *page = NULL;
    rs->html_headers = true;
    if (rc == STORE_OK) {
        metrics_inc(M_PREVIEWS);
        page = preview_render(g_routes_cfg->public_url, id, mb.display_json, mb.expires_at, &len);
        rs->status = page != NULL ? 200 : 500;
    } else if (rc == STORE_NOT_FOUND) {
        page = preview_render_missing(&len);
        rs->status = 404;
    } else {
        rs->html_headers = false;
        routes_store_error(rs, rc);
        store_mailbox_clear(&mb);
        return;
    }
    store_mailbox_clear(&mb);
    rs->content_type = ROUTES_HTML_TYPE;
    rs->body = page;
    rs->body_len = len;
}
