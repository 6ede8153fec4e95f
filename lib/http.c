/* One relay request (the retry engine): the request headers, retries with back-off and the same Mailbox-Request-ID (C4), the echo check (C5) and status mapping. */
#define _DEFAULT_SOURCE /* strcasecmp */
#include <cjson/cJSON.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http.h"
#include "http_response.h"

#define BODY_MAX TIGRESS__HTTP_BODY_MAX
#define BACKOFF_BASE_MS 200L
#define BACKOFF_CAP_MS 5000L
#define RETRY_AFTER_CAP_S 30L
#define RELAY_MSG_MAX 120              /* characters of the relay's message we quote */

/* ---- the internal response ---- */

void tigress__response_clear(tigress__response *r)
{
    if (r == NULL)
        return;
    tigress__free(r->body);
    tigress__free(r->etag);
    memset(r, 0, sizeof(*r));
    r->retry_after_s = -1;
}

/* Delta-seconds form only; an HTTP-date is ignored (-1). */
static long parse_retry_after(const char *v)
{
    char *end;
    long n;

    if (v == NULL || *v < '0' || *v > '9')
        return -1;
    n = strtol(v, &end, 10);
    if (*end != '\0' || n < 0)
        return -1;
    return n;
}

static tigress_status fill_response(const tigress_http_response *hr, tigress__response *out)
{
    const char *etag = tigress__http_response_header(hr, "ETag");
    size_t body_len;
    const uint8_t *body = tigress__http_response_body(hr, &body_len);

    out->status = tigress__http_response_status(hr);
    out->retry_after_s = parse_retry_after(tigress__http_response_header(hr, "Retry-After"));
    if (body_len > 0) {
        out->body = tigress__strndup((const char *)body, body_len);
        if (out->body == NULL)
            return TIGRESS_E_NOMEM;
        out->body_len = body_len;
    }
    if (etag != NULL && (out->etag = tigress__strdup(etag)) == NULL)
        return TIGRESS_E_NOMEM;
    return TIGRESS_OK;
}

/* ---- building the request ---- */

static bool header_value_ok(const char *v)
{
    for (; *v != '\0'; v++)
        if (*v == '\r' || *v == '\n')
            return false;
    return true;
}

typedef struct call_ctx {
    tigress_http_header headers[10];
    size_t header_count;
    char prefer[32];
    tigress_http_request req;
} call_ctx;

static void add_hdr(call_ctx *x, const char *name, const char *value)
{
    x->headers[x->header_count].name = name;
    x->headers[x->header_count].value = value;
    x->header_count++;
}

static void build_request(tigress_client *c, tigress__request *rq, call_ctx *x)
{
    const tigress_client_options *o = tigress__client_options(c);

    memset(x, 0, sizeof(*x));
    add_hdr(x, "Mailbox-Request-ID", rq->request_id);
    if (rq->claim != NULL)
        add_hdr(x, "Mailbox-Device-Claim", rq->claim);
    if (rq->attestation != NULL)
        add_hdr(x, "Mailbox-Device-Attestation", rq->attestation);
    if (rq->body != NULL)
        add_hdr(x, "Content-Type", "application/json");
    add_hdr(x, "Accept", "application/json");
    add_hdr(x, "User-Agent", o->user_agent);
    if (rq->if_none_match != NULL)
        add_hdr(x, "If-None-Match", rq->if_none_match);
    if (rq->prefer_wait_s > 0) {
        snprintf(x->prefer, sizeof(x->prefer), "wait=%d", rq->prefer_wait_s);
        add_hdr(x, "Prefer", x->prefer);
    }
    x->req.version = TIGRESS_HTTP_REQUEST_VERSION;
    x->req.method = rq->method;
    x->req.url = rq->url;
    x->req.headers = x->headers;
    x->req.header_count = x->header_count;
    x->req.body = (const uint8_t *)rq->body;
    x->req.body_len = rq->body != NULL ? rq->body_len : 0;
    x->req.timeout_ms = o->request_timeout_ms +
                        (rq->prefer_wait_s > 0 ? (long)rq->prefer_wait_s * 1000L : 0);
    x->req.connect_timeout_ms = o->connect_timeout_ms;
    x->req.ca_file = o->ca_file;
}

static tigress_status validate(tigress_client *c, tigress__request *rq)
{
    if (rq->method == NULL || rq->url == NULL)
        return tigress__client_fail(c, TIGRESS_E_INVALID, "request method or URL is NULL");
    /* C14: a fragment (where the Secret may travel) is never sent to the relay. */
    if (strchr(rq->url, '#') != NULL || !header_value_ok(rq->url) || strchr(rq->url, ' ') != NULL)
        return tigress__client_fail(c, TIGRESS_E_INVALID,
                                    "request URL must not contain a fragment or whitespace");
    if ((rq->claim != NULL && !header_value_ok(rq->claim)) ||
        (rq->attestation != NULL && !header_value_ok(rq->attestation)) ||
        (rq->if_none_match != NULL && !header_value_ok(rq->if_none_match)))
        return tigress__client_fail(c, TIGRESS_E_INVALID, "a request header contains CR or LF");
    if (rq->prefer_wait_s < 0 || rq->prefer_wait_s > 3600)
        return tigress__client_fail(c, TIGRESS_E_INVALID, "prefer_wait_s out of range");
    if (rq->request_id[0] == '\0')
        tigress__uuid_v4(rq->request_id);
    else if (!tigress__is_uuid(rq->request_id))
        return tigress__client_fail(c, TIGRESS_E_INVALID, "request_id is not a UUID");
    return tigress__client_check_relay(c, rq->url);
}

/* ---- status mapping and messages ---- */

static tigress_status map_status(int status)
{
    switch (status) {
    case 200: case 201: case 304: return TIGRESS_OK;
    case 400: return TIGRESS_E_BAD_REQUEST;
    case 401: return TIGRESS_E_UNAUTHORIZED;
    case 404: return TIGRESS_E_NOT_FOUND;
    case 413: return TIGRESS_E_TOO_LARGE;
    case 429: return TIGRESS_E_RATE_LIMITED;
    case 503: return TIGRESS_E_UNAVAILABLE;
    default: return TIGRESS_E_SERVER;
    }
}

static const char *status_phrase(int status)
{
    switch (status) {
    case 400: return "relay rejected the request as malformed";
    case 401: return "relay refused the device claim or access right";
    case 404: return "mailbox not found (completed, revoked, expired or never existed)";
    case 413: return "relay refused the request as too large";
    case 429: return "relay rate limit reached";
    case 503: return "relay temporarily unavailable";
    default: return "relay returned an unexpected status";
    }
}

/* The relay's {"message": "..."} (or "error"), sanitised; "" when absent. */
static void relay_message(const tigress_http_response *hr, char *out, size_t cap)
{
    cJSON *j, *m;
    size_t body_len;
    const uint8_t *body = tigress__http_response_body(hr, &body_len);

    out[0] = '\0';
    if (body_len == 0 || body[0] != '{')
        return;
    j = cJSON_ParseWithLength((const char *)body, body_len);
    if (j == NULL)
        return;
    m = cJSON_GetObjectItemCaseSensitive(j, "message");
    if (!cJSON_IsString(m))
        m = cJSON_GetObjectItemCaseSensitive(j, "error");
    if (cJSON_IsString(m))
        tigress__copy_printable(out, cap, m->valuestring, RELAY_MSG_MAX);
    cJSON_Delete(j);
}

static tigress_status fail_status(tigress_client *c, const char *method,
                                  const tigress_http_response *hr)
{
    char msg[RELAY_MSG_MAX + 1];
    int status = tigress__http_response_status(hr);
    tigress_status code = map_status(status);
    tigress__error_slot *slot = tigress__client_error(c);

    relay_message(hr, msg, sizeof(msg));
    tigress__client_fail(c, code, "%s (HTTP %d on %s)%s%s", status_phrase(status),
                         status, method, msg[0] != '\0' ? ": " : "", msg);
    slot->pub.http_status = status;
    return code;
}

static tigress_status fail_transport(tigress_client *c, int rc, const char *method,
                                     const tigress_http_response *hr, unsigned attempts)
{
    tigress__error_slot *slot = tigress__client_error(c);
    int code;
    const char *tmsg = tigress__http_response_transport_error(hr, &code);

    if (rc <= TIGRESS_E_USER_MIN) {
        tigress__client_fail(c, (tigress_status)rc, "the transport failed with application code %d",
                             rc);
    } else {
        tigress__client_fail(c, (tigress_status)rc, "%s on %s after %u attempt%s%s%s",
                             tigress_strerror(rc), method, attempts, attempts == 1 ? "" : "s",
                             tmsg[0] != '\0' ? ": " : "", tmsg);
    }
    slot->pub.transport_code = code;
    return (tigress_status)rc;
}

/* ---- the call ---- */

static long backoff_ms(unsigned attempt, long retry_after_s)
{
    long base = BACKOFF_BASE_MS, ms;

    for (unsigned i = 0; i < attempt && base < BACKOFF_CAP_MS; i++)
        base *= 2;
    if (base > BACKOFF_CAP_MS)
        base = BACKOFF_CAP_MS;
    /* Jitter spreads clients that failed together over half the step again. */
    ms = base + (long)randombytes_uniform((uint32_t)(base / 2 + 1));
    if (retry_after_s > 0) {
        long ra = (retry_after_s > RETRY_AFTER_CAP_S ? RETRY_AFTER_CAP_S : retry_after_s) * 1000L;
        if (ra > ms)
            ms = ra;
    }
    return ms;
}

/* Normalises what a transport returned to one of the documented codes. */
static int normalise_rc(int rc)
{
    if (rc == 0 || rc <= TIGRESS_E_USER_MIN || rc == TIGRESS_E_NETWORK || rc == TIGRESS_E_TLS ||
        rc == TIGRESS_E_TIMEOUT || rc == TIGRESS_E_CANCELLED || rc == TIGRESS_E_NOMEM)
        return rc;
    return TIGRESS_E_NETWORK;
}

/* Checks the echo (C5): a different ID is always an error; a missing one is tolerated only on
 * 304 and 5xx (answers that may come from a cache or a proxy in front of the relay). */
static bool echo_ok(const tigress_http_response *hr, const char *sent)
{
    const char *echo = tigress__http_response_header(hr, "Mailbox-Request-ID");
    int status = tigress__http_response_status(hr);

    if (echo == NULL)
        return status == 304 || status >= 500;
    return strcasecmp(echo, sent) == 0;
}

typedef enum { STEP_DONE, STEP_RETRY } step_kind;

/* One attempt. Sets *rc to the result; returns STEP_RETRY when it may be retried. */
static step_kind attempt_once(tigress_client *c, call_ctx *x, tigress__request *rq,
                              tigress__response *resp, unsigned attempt, tigress_status *rc,
                              long *retry_after_s)
{
    const tigress_transport *t = tigress__client_transport(c);
    tigress_http_response *hr = tigress__http_response_new();
    step_kind step = STEP_DONE;
    int trc, status;

    *retry_after_s = -1;
    if (hr == NULL) {
        *rc = tigress__client_fail(c, TIGRESS_E_NOMEM, "out of memory for the response");
        return STEP_DONE;
    }
    trc = normalise_rc(t->send(&x->req, hr, t->user_data));
    status = tigress__http_response_status(hr);
    if (tigress__http_response_too_large(hr)) {
        *rc = tigress__client_fail(c, TIGRESS_E_TOO_LARGE, "relay response body over %u bytes",
                                   BODY_MAX);
    } else if (tigress__http_response_headers_too_large(hr) &&
               (trc == 0 || trc == TIGRESS_E_NETWORK || trc == TIGRESS_E_NOMEM)) {
        /* Not our memory and not the network: the relay (or something in between) sent more
         * header than any relay needs. Not retried. */
        *rc = tigress__client_fail(c, TIGRESS_E_PROTOCOL,
                                   "relay response header to %s exceeded the SDK's limit (%u bytes "
                                   "of headers, 1024 fields, 100 KB a line)", rq->method, TIGRESS__HTTP_HEADERS_MAX);
        tigress__client_error(c)->pub.http_status = status >= 100 ? status : 0;
    } else if (trc != 0) {
        if (trc == TIGRESS_E_NETWORK && tigress__client_cancelled(c))
            trc = TIGRESS_E_CANCELLED;
        *rc = fail_transport(c, trc, rq->method, hr, attempt + 1);
        step = (trc == TIGRESS_E_NETWORK || trc == TIGRESS_E_TIMEOUT) ? STEP_RETRY : STEP_DONE;
    } else if (status < 100) {
        *rc = tigress__client_fail(c, TIGRESS_E_PROTOCOL, "the transport reported no HTTP status");
    } else if (!echo_ok(hr, rq->request_id)) {
        *rc = tigress__client_fail(c, TIGRESS_E_PROTOCOL,
                                   "relay response to %s (HTTP %d) did not echo our "
                                   "Mailbox-Request-ID", rq->method, status);
        tigress__client_error(c)->pub.http_status = status;
    } else {
        tigress__response_clear(resp);
        if (fill_response(hr, resp) != TIGRESS_OK) {
            *rc = tigress__client_fail(c, TIGRESS_E_NOMEM, "out of memory for the response");
        } else if (map_status(status) == TIGRESS_OK) {
            tigress__error_clear(tigress__client_error(c));
            *rc = TIGRESS_OK;
        } else {
            *rc = fail_status(c, rq->method, hr);
            *retry_after_s = resp->retry_after_s;
            if (status >= 500 || status == 429)
                step = STEP_RETRY;
        }
    }
    tigress__http_response_free(hr);
    return step;
}

tigress_status tigress__http_call(tigress_client *c, tigress__request *rq, tigress__response *resp)
{
    call_ctx x;
    tigress_status rc;
    unsigned max_retries;

    if (c == NULL)
        return TIGRESS_E_INVALID;
    if (rq == NULL || resp == NULL)
        return tigress__client_fail(c, TIGRESS_E_INVALID, "tigress__http_call: NULL argument");
    memset(resp, 0, sizeof(*resp));
    resp->retry_after_s = -1;
    rc = validate(c, rq);
    if (rc != TIGRESS_OK)
        return rc;
    build_request(c, rq, &x);
    max_retries = tigress__client_options(c)->max_retries;
    for (unsigned attempt = 0;; attempt++) {
        long retry_after_s, wait_ms;
        tigress__error_slot saved;

        if (tigress__client_cancelled(c))
            return tigress__client_fail(c, TIGRESS_E_CANCELLED, "cancelled before %s", rq->method);
        if (attempt_once(c, &x, rq, resp, attempt, &rc, &retry_after_s) != STEP_RETRY ||
            attempt >= max_retries)
            return rc;
        /* Keep the failure's detail: a cancelled back-off reports it, a retry replaces it. */
        saved = *tigress__client_error(c);
        tigress__response_clear(resp);
        wait_ms = backoff_ms(attempt, retry_after_s);
        if (tigress__client_backoff(c, wait_ms) == TIGRESS_E_CANCELLED)
            return tigress__client_fail(c, TIGRESS_E_CANCELLED,
                                        "cancelled while waiting to retry %s (last: %.120s)",
                                        rq->method, saved.msg);
    }
}
