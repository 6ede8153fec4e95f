/*
 * relay/routes.c: request dispatch and what the mailbox endpoints share
 * (draft-vinokurov-tigress-http-00 §6 with the decisions D1-D14 of docs/protocol.md).
 *
 * Handlers are plain functions from a parsed request to a response; server.c owns everything
 * libmicrohttpd-specific (body collection, rate limiting, body-size limit, headers, echoing
 * Mailbox-Request-ID on every response). Order of checks: route (404/405), Content-Type (415),
 * Mailbox-Request-ID (400), Mailbox-Device-Claim (401), attestation (401), body (400), store.
 * The endpoints live in routes_write.c (create, update, delete, relinquish: the store's
 * writer) and routes_read.c (secure read with long-poll, preview); this file holds dispatch,
 * the header checks, the error answers, the store-job lifecycle, /healthz and /v1/vapid.
 *
 * A handler that needs the store's writer is split in two: the first half validates and
 * returns a relay_pending (rs->pending) holding the store job and everything the second half
 * needs; server.c queues the job without holding its thread, and once the job's batch has
 * committed calls routes_finish(), which turns the outcome into the response. Without a
 * connection to suspend (rq->can_defer false: in-process callers) the job runs at once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <microhttpd.h>
#include <sodium.h>
#include <uuid/uuid.h>

#include "relay.h"
#include "routes_internal.h"

const relay_config *g_routes_cfg;
store *g_routes_store;

static const char ROUTE_COLLECTION[] = "/v1/m";
static const char ROUTE_ITEM[] = "/v1/m/{id}";
static const char ROUTE_HEALTH[] = "/healthz";

void routes_init(const relay_config *cfg, store *st)
{
    g_routes_cfg = cfg;
    g_routes_store = st;
    ratelimit_share(st);        /* shared store: one rate limit across relay processes */
    if (quota_init(cfg->max_mailboxes_per_address) != 0)
        relay_log(LOG_ERROR, "event=quota_off reason=out_of_memory");
}

int64_t routes_now(void)
{
    return (int64_t)time(NULL);
}

/* snprintf(dst, cap, "%s", src) without the format parsing (every request makes one). */
static void copy_bounded(char *dst, size_t cap, const char *src)
{
    size_t n = strnlen(src, cap - 1);
    memcpy(dst, src, n);
    dst[n] = '\0';
}

relay_pending *routes_pending_new(store_op op, const relay_request *rq, const char *id,
                                  const char *claim)
{
    relay_pending *p = calloc(1, sizeof *p);
    if (p == NULL)
        return NULL;
    if (rq->request_id != NULL && (p->request_id = strdup(rq->request_id)) == NULL) {
        free(p);
        return NULL;
    }
    p->job.op = op;
    p->job.now = routes_now();
    copy_bounded(p->id, sizeof p->id, id != NULL ? id : "");
    copy_bounded(p->claim, sizeof p->claim, claim);
    p->job.id = p->id;
    p->job.claim = p->claim;
    p->job.request_id = p->request_id;
    return p;
}

void routes_pending_free(relay_pending *p)
{
    if (p == NULL)
        return;
    store_reply_clear(&p->job.dup);
    store_mailbox_clear(&p->job.out);
    create_request_clear(&p->cr);
    update_request_clear(&p->ur);
    cJSON_free(p->token);
    free(p->request_id);
    free(p->body);
    free(p);
}

bool routes_submit(relay_pending *p, void (*done)(store_async *job), void *ud)
{
    p->job.done = done;
    p->job.ud = ud;
    return store_submit(g_routes_store, &p->job);
}

void routes_run(relay_pending *p)
{
    store_run(g_routes_store, &p->job);
}

void routes_set_body(relay_response *rs, unsigned status, const char *type, char *body)
{
    rs->status = status;
    rs->content_type = type;
    free(rs->body);
    rs->body = body;
    rs->body_len = body != NULL ? strlen(body) : 0;
}

char *routes_dup_str(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = malloc(n);
    if (p != NULL)
        memcpy(p, s, n);
    return p;
}

void routes_error(relay_response *rs, unsigned status, const char *code, const char *message)
{
    cJSON *o = cJSON_CreateObject();
    char *text = NULL;
    if (o != NULL && cJSON_AddStringToObject(o, "error", code) != NULL &&
        cJSON_AddStringToObject(o, "message", message) != NULL)
        text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    /* cJSON allocates with malloc by default, so free() in server.c is right. */
    routes_set_body(rs, status, ROUTES_JSON_TYPE, text);
    if (status == 503 || status == 429)
        rs->retry_after = rs->retry_after ? rs->retry_after : 1;
}

/* Maps a store outcome other than OK/DUPLICATE to an HTTP error. */
void routes_store_error(relay_response *rs, store_rc rc)
{
    switch (rc) {
    case STORE_NOT_FOUND:
        routes_error(rs, 404, "not_found", "no such mailbox, or it has expired");
        break;
    case STORE_UNAUTHORIZED:
        routes_error(rs, 401, "unauthorized",
                     "this device claim may not perform this operation on this mailbox");
        break;
    case STORE_CONFLICT:
        routes_error(rs, 401, "not_bound", "no recipient is bound to this mailbox");
        break;
    case STORE_UNAVAILABLE:
        rs->retry_after = 1;
        routes_error(rs, 503, "unavailable", "the store is busy; retry later");
        break;
    default:
        routes_error(rs, 500, "internal", "internal error");
        break;
    }
}

/* A repeated Create, Update or Relinquish: 201 with the first answer's body (D2). */
void routes_answer_duplicate(const relay_pending *p, relay_response *rs)
{
    const char *first = p->job.dup.body != NULL ? p->job.dup.body : "{}";
    routes_set_body(rs, 201, ROUTES_JSON_TYPE, routes_dup_str(first));
    metrics_inc(M_DUPLICATES);
}

static bool is_json_type(const char *ct)
{
    if (ct == NULL)
        return false;
    while (*ct == ' ')
        ct++;
    size_t n = strlen("application/json");
    return strncasecmp(ct, "application/json", n) == 0 &&
           (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ');
}

/* Mailbox-Request-ID: any 1..128 visible ASCII characters (the draft says SHOULD be a UUID). */
static bool request_id_ok(const char *rid)
{
    size_t n = strlen(rid);
    if (n == 0 || n > 128)
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)rid[i] < 0x21 || (unsigned char)rid[i] > 0x7e)
            return false;
    return true;
}

/* Common header checks. Returns false after filling rs with the error. */
bool routes_check_headers(const relay_request *rq, relay_response *rs, bool need_rid,
                          char claim[37])
{
    if (rq->request_id != NULL && !request_id_ok(rq->request_id)) {
        routes_error(rs, 400, "bad_request_id", "Mailbox-Request-ID is malformed");
        return false;
    }
    if (need_rid && rq->request_id == NULL) {
        routes_error(rs, 400, "missing_request_id", "Mailbox-Request-ID is required");
        return false;
    }
    if (rq->claim == NULL || !relay_is_uuid(rq->claim)) {
        routes_error(rs, 401, "invalid_claim", "Mailbox-Device-Claim must be a UUID");
        return false;
    }
    relay_lower_uuid(rq->claim, claim);
    return true;
}

bool routes_check_body_type(const relay_request *rq, relay_response *rs)
{
    if (rq->body_len > 0 && !is_json_type(rq->content_type)) {
        routes_error(rs, 415, "unsupported_media_type", "the body must be application/json");
        return false;
    }
    return true;
}

void routes_new_mailbox_id(char out[37])
{
    uuid_t u;
    /* A version-4 UUID (RFC 9562 section 5.4) from libsodium's CSPRNG (getrandom()).
     * libuuid's uuid_generate_random also reseeds and stirs libc's random() on every call:
     * about 9,000 instructions, 6% of a create. */
    randombytes_buf(u, sizeof u);
    u[6] = (unsigned char)((u[6] & 0x0f) | 0x40); /* version 4 */
    u[8] = (unsigned char)((u[8] & 0x3f) | 0x80); /* variant 10 */
    uuid_unparse_lower(u, out);
}
/* Content-Length headers seen so far: the first value and whether a later one differs. */
typedef struct cl_scan {
    const char *first;
    bool differ;
} cl_scan;

static enum MHD_Result cl_visit(void *cls, enum MHD_ValueKind kind, const char *key,
                                const char *value)
{
    (void)kind;
    cl_scan *s = cls;
    if (key == NULL || strcasecmp(key, "Content-Length") != 0)
        return MHD_YES;
    if (value == NULL)
        value = "";
    if (s->first == NULL)
        s->first = value;
    else if (strcmp(s->first, value) != 0)
        s->differ = true;
    return s->differ ? MHD_NO : MHD_YES;
}

bool routes_content_length_conflict(struct MHD_Connection *c)
{
    cl_scan s = {NULL, false};
    MHD_get_connection_values(c, MHD_HEADER_KIND, cl_visit, &s);
    return s.differ;
}

/* ---- GET/HEAD /healthz on the API listener (load balancers reach only this port) ----
 * 200 while the store answers, 503 + Retry-After when it does not (Redis down or its circuit
 * breaker open). One version() of a random, never-issued ID: an indexed miss for SQLite, one
 * round trip for Redis; no side effect, nothing stored. */
static void handle_health(const relay_request *rq, relay_response *rs)
{
    rs->route = ROUTE_HEALTH;
    if (strcmp(rq->method, "GET") != 0 && strcmp(rq->method, "HEAD") != 0) {
        rs->allow = "GET, HEAD";
        routes_error(rs, 405, "method_not_allowed", "use GET for the health check");
        return;
    }
    char probe[37];
    routes_new_mailbox_id(probe);
    bool up = store_version(g_routes_store, probe, routes_now()) != UINT64_MAX;
    if (!up)
        rs->retry_after = 1;
    routes_set_body(rs, up ? 200 : 503, "text/plain; charset=utf-8",
                    routes_dup_str(up ? "ok\n" : "unavailable\n"));
}

/* ---- GET/HEAD /v1/vapid: the VAPID public key (relay/vapid.c), the applicationServerKey a
 * client subscribes its webpush token with; 404 when --vapid-key is not set. ---- */
static void handle_vapid(const relay_request *rq, relay_response *rs)
{
    rs->route = "/v1/vapid";
    const char *k = vapid_public_key();
    if (strcmp(rq->method, "GET") != 0 && strcmp(rq->method, "HEAD") != 0) {
        rs->allow = "GET, HEAD";
        routes_error(rs, 405, "method_not_allowed", "use GET for the VAPID key");
    } else if (k == NULL) {
        routes_error(rs, 404, "not_found", "this relay does not use VAPID");
    } else {
        char body[160];
        snprintf(body, sizeof body, "{\"publicKey\":\"%s\"}", k);
        routes_set_body(rs, 200, ROUTES_JSON_TYPE, routes_dup_str(body));
    }
}

static void dispatch(const relay_request *rq, relay_response *rs)
{
    const char *url = rq->url;
    const char *m = rq->method;
    if (strcmp(url, ROUTE_COLLECTION) == 0) {
        rs->route = ROUTE_COLLECTION;
        if (strcmp(m, "POST") == 0) {
            routes_handle_create(rq, rs);
        } else {
            rs->allow = "POST";
            routes_error(rs, 405, "method_not_allowed", "use POST to create a mailbox");
        }
        return;
    }
    if (strcmp(url, ROUTE_HEALTH) == 0) {
        handle_health(rq, rs);
        return;
    }
    if (strncmp(url, "/.well-known/", 13) == 0) {   /* app links (--well-known), else 404 */
        wellknown_handle(rq, rs);
        return;
    }
    if (strcmp(url, "/v1/vapid") == 0) {
        handle_vapid(rq, rs);
        return;
    }
    if (strncmp(url, "/v1/m/", 6) != 0) {
        rs->route = "other";
        routes_error(rs, 404, "not_found", "no such resource");
        return;
    }
    rs->route = ROUTE_ITEM;
    const char *raw = url + 6;
    bool known = strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0 || strcmp(m, "POST") == 0 ||
                 strcmp(m, "PUT") == 0 || strcmp(m, "DELETE") == 0 || strcmp(m, "PATCH") == 0;
    if (!known) {
        rs->allow = "GET, HEAD, POST, PUT, DELETE, PATCH";
        routes_error(rs, 405, "method_not_allowed", "method not allowed on a mailbox");
        return;
    }
    char id[37];
    if (!relay_is_uuid(raw)) {
        /* An ID the relay could never have issued: not found (the draft's "invalid ID"). */
        if (strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0) {
            rs->html_headers = true;
            rs->status = 404;
            rs->content_type = ROUTES_HTML_TYPE;
            rs->body = preview_render_missing(&rs->body_len);
        } else {
            routes_error(rs, 404, "not_found", "no such mailbox, or it has expired");
        }
        return;
    }
    relay_lower_uuid(raw, id);
    memcpy(rs->mailbox, id, sizeof id);
    if (strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0)
        routes_handle_preview(rq, rs, id);
    else if (strcmp(m, "POST") == 0)
        routes_handle_read(rq, rs, id);
    else if (strcmp(m, "PUT") == 0)
        routes_handle_update(rq, rs, id);
    else if (strcmp(m, "DELETE") == 0)
        routes_handle_delete(rq, rs, id);
    else
        routes_handle_relinquish(rq, rs, id);
}

void routes_finish(relay_pending *p, const relay_request *rq, relay_response *rs)
{
    rs->route = p->route;
    memcpy(rs->mailbox, p->mailbox, sizeof rs->mailbox);
    switch (p->job.op) {
    case STORE_OP_CREATE: routes_finish_create(p, rs); break;
    case STORE_OP_READ: routes_finish_read(p, rq, rs); break;
    case STORE_OP_UPDATE: routes_finish_update(p, rs); break;
    case STORE_OP_REMOVE: routes_finish_delete(p, rs); break;
    case STORE_OP_RELINQUISH: routes_finish_relinquish(p, rs); break;
    case STORE_OP_REPLAY: routes_finish_replay(p, rs); break;
    default: routes_error(rs, 500, "internal", "internal error"); break;
    }
    routes_pending_free(p);
}

void routes_handle(const relay_request *rq, relay_response *rs)
{
    dispatch(rq, rs);
    if (rs->pending == NULL)
        return;
    /* What the first half decided for the log, which the second half's response needs. */
    rs->pending->route = rs->route;
    memcpy(rs->pending->mailbox, rs->mailbox, sizeof rs->mailbox);
    if (rq->can_defer)
        return;
    /* Nothing to suspend: run the job here and answer at once. */
    relay_pending *p = rs->pending;
    rs->pending = NULL;
    store_run(g_routes_store, &p->job);
    routes_finish(p, rq, rs);
}
