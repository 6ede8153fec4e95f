/*
 * relay/routes.c: request dispatch and the six mailbox endpoints
 * (draft-vinokurov-tigress-http-00 §6 with the decisions D1-D14 of docs/protocol.md).
 *
 * Handlers are plain functions from a parsed request to a response; server.c owns everything
 * libmicrohttpd-specific (body collection, rate limiting, body-size limit, headers, echoing
 * Mailbox-Request-ID on every response). Order of checks: route (404/405), Content-Type (415),
 * Mailbox-Request-ID (400), Mailbox-Device-Claim (401), attestation (401), body (400), store.
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

static const relay_config *g_cfg;
static store *g_store;

static const char ROUTE_COLLECTION[] = "/v1/m";
static const char ROUTE_ITEM[] = "/v1/m/{id}";
static const char ROUTE_HEALTH[] = "/healthz";
static const char JSON_TYPE[] = "application/json";
static const char HTML_TYPE[] = "text/html; charset=utf-8";

void routes_init(const relay_config *cfg, store *st)
{
    g_cfg = cfg;
    g_store = st;
    ratelimit_share(st);        /* shared store: one rate limit across relay processes */
    if (quota_init(cfg->max_mailboxes_per_address) != 0)
        relay_log(LOG_ERROR, "event=quota_off reason=out_of_memory");
}

static int64_t now_s(void)
{
    return (int64_t)time(NULL);
}

/* A store job between the two halves of a handler. Owns copies of everything the job
 * borrows: the request's own strings may be gone when the job runs (client closed). */
struct relay_pending {
    store_async job;
    char id[37], claim[37];
    char *request_id;
    char *body;                 /* create: the urlLink answer; update: the push answer */
    create_request cr;          /* create */
    update_request ur;          /* update */
    char *token;                /* read: the Recipient's token (cJSON allocation) */
    const char *route;          /* for the request log and metrics of the second half */
    char mailbox[37];
    unsigned char quota_key[16]; /* create: the per-address quota entry it counted against */
    bool quota_taken;
    unsigned quota_wait;        /* replay: Retry-After of the 429 when it is no replay */
};

/* snprintf(dst, cap, "%s", src) without the format parsing (every request makes one). */
static void copy_bounded(char *dst, size_t cap, const char *src)
{
    size_t n = strnlen(src, cap - 1);
    memcpy(dst, src, n);
    dst[n] = '\0';
}

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

static relay_pending *pending_new(store_op op, const relay_request *rq, const char *id,
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
    p->job.now = now_s();
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
    return store_submit(g_store, &p->job);
}

void routes_run(relay_pending *p)
{
    store_run(g_store, &p->job);
}


static void set_body(relay_response *rs, unsigned status, const char *type, char *body)
{
    rs->status = status;
    rs->content_type = type;
    free(rs->body);
    rs->body = body;
    rs->body_len = body != NULL ? strlen(body) : 0;
}

static char *dup_str(const char *s)
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
    set_body(rs, status, JSON_TYPE, text);
    if (status == 503 || status == 429)
        rs->retry_after = rs->retry_after ? rs->retry_after : 1;
}

/* Maps a store outcome other than OK/DUPLICATE to an HTTP error. */
static void store_error(relay_response *rs, store_rc rc)
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
static void answer_duplicate(const relay_pending *p, relay_response *rs)
{
    set_body(rs, 201, JSON_TYPE, dup_str(p->job.dup.body != NULL ? p->job.dup.body : "{}"));
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
static bool check_headers(const relay_request *rq, relay_response *rs, bool need_rid,
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

static bool check_body_type(const relay_request *rq, relay_response *rs)
{
    if (rq->body_len > 0 && !is_json_type(rq->content_type)) {
        routes_error(rs, 415, "unsupported_media_type", "the body must be application/json");
        return false;
    }
    return true;
}

static void new_mailbox_id(char out[37])
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

static char *push_body(bool supported)
{
    return dup_str(supported ? "{\"isPushNotificationSupported\":true}"
                             : "{\"isPushNotificationSupported\":false}");
}

static void quota_exceeded(relay_response *rs, unsigned wait)
{
    rs->retry_after = wait;
    routes_error(rs, 429, "quota_exceeded",
                 "this client address has created as many mailboxes as this relay allows "
                 "per 24 hours");
}

/* The quota refuses new mailboxes, not replays (docs/protocol.md D8, R11): a Create that
 * repeats the claim's last Request-ID creates nothing and still gets its duplicate answer.
 * So the store is asked for that answer (a lookup, no write); 429 only when there is none. */
static void replay_or_refuse(const relay_request *rq, relay_response *rs, const char *claim,
                             unsigned wait)
{
    relay_pending *p = pending_new(STORE_OP_REPLAY, rq, NULL, claim);
    if (p == NULL) {
        quota_exceeded(rs, wait);
        return;
    }
    p->quota_wait = wait;
    rs->pending = p;
}

static void finish_replay(relay_pending *p, relay_response *rs)
{
    if (p->job.rc == STORE_DUPLICATE)
        answer_duplicate(p, rs);
    else if (p->job.rc == STORE_NOT_FOUND)
        quota_exceeded(rs, p->quota_wait);
    else
        store_error(rs, p->job.rc);
}

/* ---- CreateMailbox: POST /v1/m ---- */

/* Copies n bytes to w; returns the end of what it wrote. */
static char *put(char *w, const char *s, size_t n)
{
    memcpy(w, s, n);
    return w + n;
}

/* What a new mailbox's Create answers (R4, R6):
 * {"urlLink":"<public URL>/v1/m/<id>","isPushNotificationSupported":<bool>}, byte for byte
 * what cJSON printed before (json_text.c), without building and printing a cJSON tree. */
static char *create_answer(const char id[37], bool push)
{
    static const char head[] = "{\"urlLink\":", mid[] = ",\"isPushNotificationSupported\":";
    const char *tail = push ? "true}" : "false}";
    size_t base = strlen(g_cfg->public_url);
    char *link = malloc(base + sizeof "/v1/m/" + 36);
    if (link == NULL)
        return NULL;
    memcpy(put(put(link, g_cfg->public_url, base), "/v1/m/", 6), id, 37);
    char *body = malloc(sizeof head + json_quoted_len(link) + sizeof mid + strlen(tail));
    if (body != NULL) {
        char *w = json_put_quoted(put(body, head, sizeof head - 1), link);
        memcpy(put(w, mid, sizeof mid - 1), tail, strlen(tail) + 1);
    }
    free(link);
    return body;
}

static void handle_create(const relay_request *rq, relay_response *rs)
{
    char claim[37], id[37];
    if (!check_body_type(rq, rs) || !check_headers(rq, rs, true, claim))
        return;
    if (g_cfg->attestation == RELAY_ATTEST_REQUIRE &&
        (rq->attestation == NULL || rq->attestation[0] == '\0')) {
        routes_error(rs, 401, "attestation_required", "this relay requires device attestation");
        return;
    }
    if (rq->body_len == 0) {
        routes_error(rs, 400, "invalid_body", "request body is empty");
        return;
    }
    create_request cr;
    int64_t now = now_s();
    const char *err = validate_create(rq->body, rq->body_len, now, g_cfg->max_expiry,
                                      g_cfg->default_expiry, &cr);
    if (err != NULL) {
        routes_error(rs, 400, "invalid_body", err);
        return;
    }
    unsigned char qkey[16];
    bool qtaken = false;
    unsigned qwait = quota_take(rq->conn, qkey, &qtaken);
    if (qwait > 0) {
        create_request_clear(&cr);
        replay_or_refuse(rq, rs, claim, qwait);
        return;
    }
    new_mailbox_id(id);
    char *body = create_answer(id, push_supported(cr.token_type));
    relay_pending *p = body != NULL ? pending_new(STORE_OP_CREATE, rq, id, claim) : NULL;
    if (p == NULL) {
        free(body);
        create_request_clear(&cr);
        if (qtaken)
            quota_refund(qkey);
        routes_error(rs, 500, "internal", "out of memory");
        return;
    }
    p->cr = cr;
    p->body = body;
    memcpy(p->quota_key, qkey, sizeof qkey);
    p->quota_taken = qtaken;
    p->job.now = now;
    p->job.response_body = p->body;
    p->job.mb = (store_new_mailbox){
        .id = p->id, .initiator_claim = p->claim, .payload_json = p->cr.payload_json,
        .display_json = p->cr.display_json, .initiator_token_json = p->cr.token_json,
        .rights = p->cr.rights, .expires_at = p->cr.expires_at,
    };
    rs->pending = p;
}

static void finish_create(relay_pending *p, relay_response *rs)
{
    store_rc rc = p->job.rc;
    if (rc != STORE_OK && p->quota_taken)
        quota_refund(p->quota_key);   /* a duplicate or a failure created nothing */
    if (rc == STORE_OK) {
        set_body(rs, 200, JSON_TYPE, p->body);
        p->body = NULL;
        snprintf(rs->mailbox, sizeof rs->mailbox, "%s", p->id);
        metrics_inc(M_CREATED);
    } else if (rc == STORE_DUPLICATE) {
        answer_duplicate(p, rs);
    } else {
        store_error(rs, rc);
    }
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

/* Prefer: wait=N -> N (0 when absent), clamped to the configured maximum. */
static unsigned prefer_wait(const char *prefer)
{
    long v = relay_prefer_wait(prefer);
    if (v <= 0)
        return 0;
    return v > (long)g_cfg->max_wait ? g_cfg->max_wait : (unsigned)v;
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
static void handle_read(const relay_request *rq, relay_response *rs, const char *id)
{
    char claim[37];
    if (!check_body_type(rq, rs) || !check_headers(rq, rs, false, claim))
        return;
    char *token = NULL;
    const char *err = validate_read_body(rq->body, rq->body_len, &token);
    if (err != NULL) {
        routes_error(rs, 400, "invalid_body", err);
        return;
    }
    relay_pending *p = pending_new(STORE_OP_READ, rq, id, claim);
    if (p == NULL) {
        cJSON_free(token);
        routes_error(rs, 500, "internal", "out of memory");
        return;
    }
    p->token = token;
    p->job.token_json = token;
    rs->pending = p;
}

static void finish_read(relay_pending *p, const relay_request *rq, relay_response *rs)
{
    const char *id = p->id;
    store_rc rc = p->job.rc;
    store_mailbox mb = p->job.out;
    memset(&p->job.out, 0, sizeof p->job.out); /* mb owns it now */
    if (rc != STORE_OK) {
        store_error(rs, rc);
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
            if (store_version(g_store, id, now_s()) != mb.version)
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
    rs->content_type = JSON_TYPE;
    free(rs->body);
    rs->body = body;
    rs->body_len = n - 1;
    store_mailbox_clear(&mb);
}

/* ---- UpdateMailbox: PUT /v1/m/{id} ---- */
static void handle_update(const relay_request *rq, relay_response *rs, const char *id)
{
    char claim[37];
    if (!check_body_type(rq, rs) || !check_headers(rq, rs, true, claim))
        return;
    if (rq->body_len == 0) {
        routes_error(rs, 400, "invalid_body", "request body is empty");
        return;
    }
    update_request ur;
    const char *err = validate_update(rq->body, rq->body_len, &ur);
    if (err != NULL) {
        routes_error(rs, 400, "invalid_body", err);
        return;
    }
    /* The body remembered for a duplicate reflects the token sent with this request; when
     * none is sent, the answer below uses the token on file for the caller. */
    relay_pending *p = pending_new(STORE_OP_UPDATE, rq, id, claim);
    if (p == NULL || (p->body = push_body(push_supported(ur.token_type))) == NULL) {
        routes_pending_free(p);
        update_request_clear(&ur);
        routes_error(rs, 500, "internal", "out of memory");
        return;
    }
    p->ur = ur;
    p->job.payload_json = p->ur.payload_json;
    p->job.token_json = p->ur.token_json;
    p->job.response_body = p->body;
    rs->pending = p;
}

static void finish_update(relay_pending *p, relay_response *rs)
{
    const char *id = p->id;
    const update_request *ur = &p->ur;
    store_rc rc = p->job.rc;
    const store_mailbox *mb = &p->job.out;
    char *body = p->body;
    p->body = NULL;
    if (rc == STORE_OK) {
        metrics_inc(M_UPDATES);
        longpoll_wake(id);
        const char *mine = mb->caller == STORE_PARTY_INITIATOR ? mb->initiator_token_json
                                                              : mb->recipient_token_json;
        const char *other = mb->caller == STORE_PARTY_INITIATOR ? mb->recipient_token_json
                                                               : mb->initiator_token_json;
        if (other != NULL && (mb->caller != STORE_PARTY_INITIATOR || mb->recipient_bound))
            push_enqueue(other, id, mb->caller == STORE_PARTY_INITIATOR ? STORE_PARTY_RECIPIENT
                                                                        : STORE_PARTY_INITIATOR);
        if (ur->token_json == NULL) {
            char type[64];
            relay_token_type(mine, type);
            free(body);
            body = push_body(push_supported(type));
        }
        set_body(rs, 200, JSON_TYPE, body);
        body = NULL;
    } else if (rc == STORE_DUPLICATE) {
        answer_duplicate(p, rs);
    } else {
        store_error(rs, rc);
    }
    free(body);
}

/* ---- DeleteMailbox: DELETE /v1/m/{id} ---- */
static void handle_delete(const relay_request *rq, relay_response *rs, const char *id)
{
    char claim[37];
    if (!check_headers(rq, rs, true, claim))
        return;
    relay_pending *p = pending_new(STORE_OP_REMOVE, rq, id, claim);
    if (p == NULL) {
        routes_error(rs, 500, "internal", "out of memory");
        return;
    }
    rs->pending = p;
}

static void finish_delete(relay_pending *p, relay_response *rs)
{
    const char *id = p->id;
    store_rc rc = p->job.rc;
    if (rc != STORE_OK) {
        store_error(rs, rc);
        return;
    }
    metrics_inc(M_DELETES);
    longpoll_wake(id);          /* waiting readers now learn it is gone (404) */
    set_body(rs, 200, JSON_TYPE, dup_str("{}"));
}

/* ---- RelinquishMailbox: PATCH /v1/m/{id} ---- */
static void handle_relinquish(const relay_request *rq, relay_response *rs, const char *id)
{
    char claim[37];
    if (!check_headers(rq, rs, true, claim))
        return;
    relay_pending *p = pending_new(STORE_OP_RELINQUISH, rq, id, claim);
    if (p == NULL) {
        routes_error(rs, 500, "internal", "out of memory");
        return;
    }
    p->job.response_body = "{}";
    rs->pending = p;
}

static void finish_relinquish(relay_pending *p, relay_response *rs)
{
    store_rc rc = p->job.rc;
    if (rc == STORE_OK) {
        metrics_inc(M_RELINQUISHES);
        set_body(rs, 200, JSON_TYPE, dup_str("{}"));
    } else if (rc == STORE_DUPLICATE) {
        answer_duplicate(p, rs);
    } else {
        store_error(rs, rc);
    }
}

/* ---- ReadDisplayInformationFromMailbox: GET/HEAD /v1/m/{id} ---- */
static void handle_preview(const relay_request *rq, relay_response *rs, const char *id)
{
    (void)rq;
    store_mailbox mb;
    memset(&mb, 0, sizeof mb);
    store_rc rc = store_peek(g_store, id, now_s(), &mb);
    size_t len = 0;
    char *page = NULL;
    rs->html_headers = true;
    if (rc == STORE_OK) {
        metrics_inc(M_PREVIEWS);
        page = preview_render(g_cfg->public_url, id, mb.display_json, mb.expires_at, &len);
        rs->status = page != NULL ? 200 : 500;
    } else if (rc == STORE_NOT_FOUND) {
        page = preview_render_missing(&len);
        rs->status = 404;
    } else {
        rs->html_headers = false;
        store_error(rs, rc);
        store_mailbox_clear(&mb);
        return;
    }
    store_mailbox_clear(&mb);
    rs->content_type = HTML_TYPE;
    rs->body = page;
    rs->body_len = len;
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
    new_mailbox_id(probe);
    bool up = store_version(g_store, probe, now_s()) != UINT64_MAX;
    if (!up)
        rs->retry_after = 1;
    set_body(rs, up ? 200 : 503, "text/plain; charset=utf-8", dup_str(up ? "ok\n" : "unavailable\n"));
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
        set_body(rs, 200, JSON_TYPE, dup_str(body));
    }
}

static void dispatch(const relay_request *rq, relay_response *rs)
{
    const char *url = rq->url;
    const char *m = rq->method;
    if (strcmp(url, ROUTE_COLLECTION) == 0) {
        rs->route = ROUTE_COLLECTION;
        if (strcmp(m, "POST") == 0) {
            handle_create(rq, rs);
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
            rs->content_type = HTML_TYPE;
            rs->body = preview_render_missing(&rs->body_len);
        } else {
            routes_error(rs, 404, "not_found", "no such mailbox, or it has expired");
        }
        return;
    }
    relay_lower_uuid(raw, id);
    memcpy(rs->mailbox, id, sizeof id);
    if (strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0)
        handle_preview(rq, rs, id);
    else if (strcmp(m, "POST") == 0)
        handle_read(rq, rs, id);
    else if (strcmp(m, "PUT") == 0)
        handle_update(rq, rs, id);
    else if (strcmp(m, "DELETE") == 0)
        handle_delete(rq, rs, id);
    else
        handle_relinquish(rq, rs, id);
}

void routes_finish(relay_pending *p, const relay_request *rq, relay_response *rs)
{
    rs->route = p->route;
    memcpy(rs->mailbox, p->mailbox, sizeof rs->mailbox);
    switch (p->job.op) {
    case STORE_OP_CREATE: finish_create(p, rs); break;
    case STORE_OP_READ: finish_read(p, rq, rs); break;
    case STORE_OP_UPDATE: finish_update(p, rs); break;
    case STORE_OP_REMOVE: finish_delete(p, rs); break;
    case STORE_OP_RELINQUISH: finish_relinquish(p, rs); break;
    case STORE_OP_REPLAY: finish_replay(p, rs); break;
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
    store_run(g_store, &p->job);
    routes_finish(p, rq, rs);
}
