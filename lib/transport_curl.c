/* The default transport: one libcurl easy handle per client, driven through a private multi
 * handle that keeps the connection cache, so connections are kept alive between requests. TLS
 * verification is always on; redirects are never followed.
 *
 * Why the multi interface for one transfer at a time: curl_easy_perform() notices a cancel only
 * in its progress callback, which libcurl calls about once a second while a long-poll sits
 * idle, so tigress_client_cancel() took up to a second to end a wait. curl_multi_poll() can be
 * woken from any thread (curl_multi_wakeup), so a cancel ends the transfer at once.
 *
 * A reference plug-in: it fills the response through the public setters of
 * include/tigress/sys/transport.h only (plus the transport-error detail of http_response.h),
 * takes timeouts and the CA file from the request, and learns of a pending cancel through its
 * cancel slot and the predicate its constructor was given. */
#include <curl/curl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http_response.h"
#include "transport_curl.h"

typedef struct curl_tp {
    CURL *easy;
    CURLM *multi;               /* drives easy; owns the kept-alive connections */
    tigress__cancel_pending_fn cancel_pending; /* the caller's pending cancel, or NULL */
    void *cancel_ud;
    atomic_bool cancel;         /* set by the cancel slot */
    bool allow_http;            /* loopback http allowed by the caller */
    char errbuf[CURL_ERROR_SIZE];
} curl_tp;

typedef struct send_ctx {
    curl_tp *tp;
    tigress_http_response *resp;
    int status;                 /* of the last status line; 0 before one */
} send_ctx;


/* The three-digit code after "HTTP/x " (0 when malformed: the caller then treats the
 * response as unusable rather than guessing). */
static int status_code_at(const char *p)
{
    if (p[0] < '1' || p[0] > '5' || p[1] < '0' || p[1] > '9' || p[2] < '0' || p[2] > '9')
        return 0;
    return (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0');
}

static bool caller_cancelled(curl_tp *tp)
{
    return tp->cancel_pending != NULL && tp->cancel_pending(tp->cancel_ud);
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *ud)
{
    send_ctx *sc = ud;
    size_t len = size * nmemb;
    char line[8192];
    char *colon;

    if (len >= sizeof(line))
        return len; /* an oversized header carries nothing we use: skip it */
    memcpy(line, data, len);
    line[len] = '\0';
    if (len >= 5 && memcmp(line, "HTTP/", 5) == 0) {
        /* A new status line. */
        const char *sp = strchr(line, ' ');
        sc->status = sp != NULL ? status_code_at(sp + 1) : 0;
        if (tigress_http_response_set_status(sc->resp, sc->status) != TIGRESS_OK)
            return 0;
        return len;
    }
    /* An interim 1xx response's headers do not belong to the final response: not recorded. */
    if (sc->status < 200)
        return len;
    colon = strchr(line, ':');
    if (colon == NULL)
        return len; /* the blank line ending the headers */
    *colon = '\0';
    if (tigress_http_response_add_header(sc->resp, line, colon + 1) != TIGRESS_OK)
        return 0;
    return len;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *ud)
{
    send_ctx *sc = ud;
    size_t len = size * nmemb;

    if (tigress_http_response_append_body(sc->resp, (const uint8_t *)data, len) != TIGRESS_OK)
        return 0; /* CURLE_WRITE_ERROR; http.c sees the too-large flag */
    return len;
}

static int on_progress(void *ud, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
    curl_tp *tp = ud;

    (void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
    return (atomic_load(&tp->cancel) || caller_cancelled(tp)) ? 1 : 0;
}

static int map_curl(CURLcode cc)
{
    switch (cc) {
    case CURLE_OK:
        return 0;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_SHUTDOWN_FAILED:
    case CURLE_SSL_CLIENTCERT:
    case CURLE_USE_SSL_FAILED:
        return TIGRESS_E_TLS;
    case CURLE_OPERATION_TIMEDOUT:
        return TIGRESS_E_TIMEOUT;
    case CURLE_ABORTED_BY_CALLBACK:
        return TIGRESS_E_CANCELLED;
    case CURLE_OUT_OF_MEMORY:
        return TIGRESS_E_NOMEM;
    default:
        return TIGRESS_E_NETWORK;
    }
}

/* Method and body. POST-family requests always send a Content-Length, even when empty. */
static CURLcode set_method(CURL *e, const tigress_http_request *req)
{
    CURLcode cc = CURLE_OK;
    const char *m = req->method;
    bool has_body = req->body != NULL;

    if (strcmp(m, "GET") == 0)
        return curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
    if (strcmp(m, "HEAD") == 0)
        return curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
    if (strcmp(m, "DELETE") == 0 && !has_body)
        return curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, "DELETE");
    cc = curl_easy_setopt(e, CURLOPT_POST, 1L);
    if (cc == CURLE_OK)
        cc = curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
                              (curl_off_t)(has_body ? req->body_len : 0));
    if (cc == CURLE_OK)
        cc = curl_easy_setopt(e, CURLOPT_POSTFIELDS, has_body ? (const char *)req->body : "");
    if (cc == CURLE_OK && strcmp(m, "POST") != 0)
        cc = curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, m);
    return cc;
}

static struct curl_slist *build_headers(const tigress_http_request *req)
{
    struct curl_slist *list = NULL, *n;
    char line[1024];

    /* No "Expect: 100-continue" round trip for our small bodies. */
    list = curl_slist_append(list, "Expect:");
    if (list == NULL)
        return NULL;
    for (size_t i = 0; i < req->header_count; i++) {
        int w = snprintf(line, sizeof(line), "%s: %s", req->headers[i].name,
                         req->headers[i].value);
        if (w < 0 || (size_t)w >= sizeof(line) ||
            (n = curl_slist_append(list, line)) == NULL) {
            curl_slist_free_all(list);
            return NULL;
        }
        list = n;
    }
    return list;
}

static CURLcode set_options(curl_tp *tp, const tigress_http_request *req, send_ctx *sc,
                            struct curl_slist *hdrs)
{
    CURL *e = tp->easy;
    const char *protos = tp->allow_http ? "https,http" : "https";
    CURLcode cc = CURLE_OK;

#define SET(opt, val) do { if (cc == CURLE_OK) cc = curl_easy_setopt(e, opt, val); } while (0)
    SET(CURLOPT_URL, req->url);
    SET(CURLOPT_PROTOCOLS_STR, protos);
    SET(CURLOPT_REDIR_PROTOCOLS_STR, "https");
    SET(CURLOPT_FOLLOWLOCATION, 0L);
    SET(CURLOPT_NOSIGNAL, 1L);
    SET(CURLOPT_SSL_VERIFYPEER, 1L);
    SET(CURLOPT_SSL_VERIFYHOST, 2L);
    if (req->ca_file != NULL)
        SET(CURLOPT_CAINFO, req->ca_file);
    if (req->timeout_ms > 0)
        SET(CURLOPT_TIMEOUT_MS, req->timeout_ms);
    if (req->connect_timeout_ms > 0)
        SET(CURLOPT_CONNECTTIMEOUT_MS, req->connect_timeout_ms);
    SET(CURLOPT_TCP_KEEPALIVE, 1L);
    /* A proxy's CONNECT answer is not the relay's response. */
    SET(CURLOPT_SUPPRESS_CONNECT_HEADERS, 1L);
    SET(CURLOPT_HTTPHEADER, hdrs);
    SET(CURLOPT_HEADERFUNCTION, on_header);
    SET(CURLOPT_HEADERDATA, sc);
    SET(CURLOPT_WRITEFUNCTION, on_body);
    SET(CURLOPT_WRITEDATA, sc);
    SET(CURLOPT_NOPROGRESS, 0L);
    SET(CURLOPT_XFERINFOFUNCTION, on_progress);
    SET(CURLOPT_XFERINFODATA, tp);
    SET(CURLOPT_ERRORBUFFER, tp->errbuf);
#undef SET
    if (cc == CURLE_OK)
        cc = set_method(e, req);
    return cc;
}

/* The transfer's result as curl_easy_perform() would give it, or CURLE_ABORTED_BY_CALLBACK as
 * soon as a cancel is seen (flag set by curl_cancel, then the poll woken). */
static CURLcode perform_cancellable(curl_tp *tp)
{
    CURLcode cc = CURLE_GOT_NOTHING; /* stays so only if libcurl reports no result */
    CURLMcode mc = curl_multi_add_handle(tp->multi, tp->easy);
    int running = 1;

    while (mc == CURLM_OK && running) {
        mc = curl_multi_perform(tp->multi, &running);
        if (mc == CURLM_OK && (atomic_load(&tp->cancel) || caller_cancelled(tp))) {
            cc = CURLE_ABORTED_BY_CALLBACK;
            break;
        }
        if (mc == CURLM_OK && running)
            mc = curl_multi_poll(tp->multi, NULL, 0, 1000, NULL);
    }
    if (mc != CURLM_OK) {
        snprintf(tp->errbuf, sizeof(tp->errbuf), "libcurl: %s", curl_multi_strerror(mc));
        cc = mc == CURLM_OUT_OF_MEMORY ? CURLE_OUT_OF_MEMORY : CURLE_SEND_ERROR;
    } else if (cc != CURLE_ABORTED_BY_CALLBACK) {
        CURLMsg *m;
        int left;
        while ((m = curl_multi_info_read(tp->multi, &left)) != NULL)
            if (m->msg == CURLMSG_DONE && m->easy_handle == tp->easy)
                cc = m->data.result;
    }
    (void)curl_multi_remove_handle(tp->multi, tp->easy);
    return cc;
}

static int curl_send(const tigress_http_request *req, tigress_http_response *resp, void *ud)
{
    curl_tp *tp = ud;
    send_ctx sc = { tp, resp, 0 };
    struct curl_slist *hdrs;
    CURLcode cc;
    int rc;

    if (req == NULL || resp == NULL || req->url == NULL || req->method == NULL)
        return TIGRESS_E_NETWORK;
    /* reset keeps the connection cache, so keep-alive survives between requests. */
    curl_easy_reset(tp->easy);
    tp->errbuf[0] = '\0';
    hdrs = build_headers(req);
    if (hdrs == NULL) {
        tigress__http_response_set_transport_error(resp, CURLE_OUT_OF_MEMORY, "cannot build headers");
        return TIGRESS_E_NOMEM;
    }
    cc = set_options(tp, req, &sc, hdrs);
    if (cc == CURLE_OK)
        cc = perform_cancellable(tp);
    curl_slist_free_all(hdrs);
    curl_easy_setopt(tp->easy, CURLOPT_HTTPHEADER, (struct curl_slist *)NULL);
    if (cc == CURLE_OK) {
        long status = 0;
        curl_easy_getinfo(tp->easy, CURLINFO_RESPONSE_CODE, &status);
        if (sc.status == 0)
            tigress_http_response_set_status(resp, (int)status);
        return 0;
    }
    rc = map_curl(cc);
    /* libcurl refuses a header line over 100 KB itself and reports it as out of memory (with
     * no message; newer versions say "Rejected N bytes header" or "too large"): when that
     * happens after the status line and before any body byte, it was the relay's header. */
    {
        size_t body_len = 0;
        (void)tigress__http_response_body(resp, &body_len);
        if ((cc == CURLE_OUT_OF_MEMORY && sc.status >= 100 && body_len == 0) ||
            (strstr(tp->errbuf, "header") != NULL &&
             (strstr(tp->errbuf, "Rejected") != NULL || strstr(tp->errbuf, "oo large") != NULL)))
            tigress__http_response_set_headers_too_large(resp);
    }
    tigress__http_response_set_transport_error(resp, (int)cc,
                                               tp->errbuf[0] != '\0' ? tp->errbuf
                                                                     : curl_easy_strerror(cc));
    return rc;
}

static void curl_cancel(void *ud)
{
    curl_tp *tp = ud;

    atomic_store(&tp->cancel, true);
    (void)curl_multi_wakeup(tp->multi); /* thread-safe; a wake before the poll is kept */
}

static void curl_free_tp(void *ud)
{
    curl_tp *tp = ud;

    if (tp == NULL)
        return;
    curl_multi_cleanup(tp->multi); /* easy is never left added: perform_cancellable removes it */
    curl_easy_cleanup(tp->easy);
    tigress__free(tp);
}

/* Each request starts with this transport's own abort flag down (a cancel that already ended
 * an earlier request must not end this one); whether a cancel is still pending is the caller's
 * to say (the constructor's predicate; for the client: pending until a call notices it). */
static int curl_send_fresh(const tigress_http_request *req, tigress_http_response *resp, void *ud)
{
    curl_tp *tp = ud;

    atomic_store(&tp->cancel, false);
    if (caller_cancelled(tp))
        return TIGRESS_E_CANCELLED;
    return curl_send(req, resp, ud);
}

tigress_status tigress__curl_transport_new(tigress_transport *out, bool allow_http,
                                           tigress__cancel_pending_fn cancel_pending,
                                           void *cancel_user_data)
{
    curl_tp *tp = tigress__calloc(1, sizeof(*tp));

    if (tp == NULL)
        return TIGRESS_E_NOMEM;
    tp->easy = curl_easy_init();
    tp->multi = curl_multi_init();
    if (tp->easy == NULL || tp->multi == NULL) {
        curl_multi_cleanup(tp->multi);
        curl_easy_cleanup(tp->easy);
        tigress__free(tp);
        return TIGRESS_E_NOMEM;
    }
    tp->cancel_pending = cancel_pending;
    tp->cancel_ud = cancel_user_data;
    atomic_init(&tp->cancel, false);
    tp->allow_http = allow_http;
    memset(out, 0, sizeof(*out));
    out->version = TIGRESS_TRANSPORT_VERSION;
    out->send = curl_send_fresh;
    out->cancel = curl_cancel;
    out->free = curl_free_tp;
    out->user_data = tp;
    return TIGRESS_OK;
}
