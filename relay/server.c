/*
 * relay/server.c: the libmicrohttpd daemon: listening socket, TLS, limits, body collection,
 * rate limiting, response headers, graceful shutdown.
 *
 * The relay binds the socket itself (so "port in use" is told apart from a TLS failure and port 0
 * can be reported) and hands it to MHD. MHD runs its own polling threads (a thread pool); a
 * long-poll read suspends its connection so no worker thread waits (a held read must not cost a
 * thread; relay/README.md, "Long-poll extension").
 *
 * Durable writes are not waited for either. The handler queues the store job and suspends
 * the connection; the store's writer thread, once the job's batch has committed, resumes it
 * (MHD_resume_connection is safe from any thread: MHD_ALLOW_SUSPEND_RESUME gives the daemon
 * its inter-thread channel), and MHD calls the handler again, which answers from the
 * outcome. So a batch is no longer limited to one write per worker thread, and the answer
 * still follows the commit. The connection may be torn down while its job runs (daemon
 * shutdown), so the job's outcome lives in a `deferred` shared by the connection and the
 * store, freed by whichever lets go of it last.
 * MHD's own error log is not enabled: its messages can carry client addresses
 * (docs/protocol.md D12).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <stdatomic.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <microhttpd.h>
#include <sodium.h>

#include "relay.h"
#include "tlscreds.h"

struct relay_server {
    struct MHD_Daemon *daemon;
    const relay_config *cfg;
    ratelimit *rl;
    int fd;
};

/* A store job in flight, shared between the connection and the store's callback. */
typedef struct deferred {
    pthread_mutex_t mu;
    int refs;                   /* the connection's and the store's */
    bool closed;                /* the connection is gone: do not resume it */
    struct MHD_Connection *conn;
    relay_pending *p;
} deferred;

/* Per-request state, from the first call of the access handler to completion. */
typedef struct req_ctx {
    deferred *def;              /* a store job queued for this request, or NULL */
    char *body;
    size_t len, cap;
    bool too_large;
    unsigned rate_wait;         /* > 0: answer 429 once the body is drained */
    bool responded;
    bool suspended_once;
    bool holds_slot;            /* counted in its address's held long-polls (addr_key) */
    bool has_addr;
    uint64_t addr_key;          /* keyed hash of the client address (never the address) */
    unsigned long long body_read; /* body bytes read so far, kept or dropped */
    double start_ms;
} req_ctx;

/* Per connection (MHD's socket context), for the request read deadline: from the moment the
 * connection opens, or the previous response is done, the next request's head and body must
 * arrive within --request-read-timeout, however slowly bytes trickle in (the idle timeout of
 * libmicrohttpd restarts on every byte). A sweeper thread shuts the socket of a connection
 * past its deadline; libmicrohttpd then sees end of stream and closes it. */
typedef struct conn_slot {
    struct conn_slot *prev, *next;
    MHD_socket fd;
    int64_t deadline_ms;
    bool request_in;            /* the current request is fully received (or answered) */
    bool shut;
    bool cap_counted;           /* counted by conncap.c under cap_key */
    uint64_t cap_key;
} conn_slot;

static const relay_config *g_cfg;
static ratelimit *g_rl;
/* MHD_stop_daemon() aborts the process while a connection is suspended and not yet resumed,
 * so server_stop() first stops deferring (g_no_defer: writes then wait in their thread) and
 * waits until no deferred job is left (g_inflight: queued and not yet resumed). A handler
 * counts itself in before it looks at g_no_defer, so server_stop cannot miss it. */
static atomic_int g_inflight;
static atomic_bool g_no_defer;
/* --max-connections-per-address is counted by conncap.c (trusted proxies exempt) rather than
 * by libmicrohttpd's per-IP limit, which cannot exempt anyone. */
static bool g_own_conncap;

/* Open connections, for the read deadline (conn_slot). libmicrohttpd reports a connection
 * closed before it closes the socket, so under g_conn_mu a listed fd is still that
 * connection's. */
static pthread_mutex_t g_conn_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_conn_cond;
static conn_slot *g_conns;
static pthread_t g_sweeper;
static bool g_sweeper_running, g_sweeper_stop;

/* Held long-polls per client address: counts keyed by a keyed hash of the address (a random
 * per-process key), kept only while a read is held; addresses are never stored. */
typedef struct held_count {
    struct held_count *next;
    uint64_t key;
    unsigned n;
} held_count;
static pthread_mutex_t g_held_mu = PTHREAD_MUTEX_INITIALIZER;
static held_count *g_held;
static unsigned char g_addr_hash_key[crypto_shorthash_KEYBYTES];

/* Monotonic milliseconds with a fractional part, for request latencies. */
static double now_ms_f(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

static void add_header(struct MHD_Response *r, const char *name, const char *value)
{
    if (value != NULL)
        MHD_add_response_header(r, name, value);
}

static int64_t now_ms_i(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- the request read deadline ---- */

static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                          enum MHD_ConnectionNotificationCode toe)
{
    (void)cls;
    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
        conn_slot *s = calloc(1, sizeof *s);
        if (s == NULL || ci == NULL) {
            free(s);
            return;                 /* no deadline for it: the idle timeout still applies */
        }
        s->fd = ci->connect_fd;
        if (g_own_conncap) {
            const union MHD_ConnectionInfo *ai =
                MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
            int t = conncap_take(ai != NULL ? ai->client_addr : NULL, &s->cap_key);
            s->cap_counted = t == 1;
            if (t < 0) {            /* over the cap: closed before anything is read */
                shutdown(s->fd, SHUT_RDWR);
                s->shut = true;
            }
        }
        pthread_mutex_lock(&g_conn_mu);
        s->deadline_ms = now_ms_i() + 1000 * (int64_t)g_cfg->request_read_timeout;
        s->next = g_conns;
        if (g_conns != NULL)
            g_conns->prev = s;
        g_conns = s;
        pthread_mutex_unlock(&g_conn_mu);
        *socket_context = s;
        return;
    }
    conn_slot *s = *socket_context;
    if (s == NULL)
        return;
    pthread_mutex_lock(&g_conn_mu);
    if (s->prev != NULL)
        s->prev->next = s->next;
    else
        g_conns = s->next;
    if (s->next != NULL)
        s->next->prev = s->prev;
    pthread_mutex_unlock(&g_conn_mu);
    if (s->cap_counted)
        conncap_release(s->cap_key);
    free(s);
    *socket_context = NULL;
}

/* Refuses a connection from an address that holds --max-connections-per-address already,
 * before libmicrohttpd allocates it (on_connection makes the exact count). */
static enum MHD_Result on_accept(void *cls, const struct sockaddr *addr, socklen_t addrlen)
{
    (void)cls;
    (void)addrlen;
    return conncap_full(addr) ? MHD_NO : MHD_YES;
}

/* in == true: the request is in (no deadline until it is answered); false: the response is
 * done, the next request's deadline starts now. */
static void request_in(struct MHD_Connection *c, bool in)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    if (ci == NULL || ci->socket_context == NULL)
        return;
    conn_slot *s = ci->socket_context;
    pthread_mutex_lock(&g_conn_mu);
    s->request_in = in;
    if (!in)
        s->deadline_ms = now_ms_i() + 1000 * (int64_t)g_cfg->request_read_timeout;
    pthread_mutex_unlock(&g_conn_mu);
}

static void *sweeper_main(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&g_conn_mu);
    while (!g_sweeper_stop) {
        int64_t now = now_ms_i();
        unsigned closed = 0;
        for (conn_slot *s = g_conns; s != NULL; s = s->next) {
            if (!s->request_in && !s->shut && s->deadline_ms <= now) {
                shutdown(s->fd, SHUT_RDWR);   /* MHD sees end of stream and closes it */
                s->shut = true;
                closed++;
            }
        }
        if (closed > 0)
            relay_log(LOG_DEBUG, "event=read_deadline closed=%u", closed);
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        ts.tv_nsec += 250 * 1000 * 1000;
        if (ts.tv_nsec >= 1000000000) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000;
        }
        pthread_cond_timedwait(&g_conn_cond, &g_conn_mu, &ts);
    }
    pthread_mutex_unlock(&g_conn_mu);
    return NULL;
}

static int sweeper_start(void)
{
    g_sweeper_stop = false;
    if (g_cfg->request_read_timeout == 0)
        return 0;
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&g_conn_cond, &ca);
    pthread_condattr_destroy(&ca);
    if (pthread_create(&g_sweeper, NULL, sweeper_main, NULL) != 0)
        return -1;
    g_sweeper_running = true;
    return 0;
}

static void sweeper_stop(void)
{
    if (!g_sweeper_running)
        return;
    pthread_mutex_lock(&g_conn_mu);
    g_sweeper_stop = true;
    pthread_cond_signal(&g_conn_cond);
    pthread_mutex_unlock(&g_conn_mu);
    pthread_join(g_sweeper, NULL);
    pthread_cond_destroy(&g_conn_cond);
    g_sweeper_running = false;
}

/* ---- held long-polls per address ---- */

/* Takes one held-read place for key; false when the address holds --max-held-reads-per-address
 * already. */
static bool held_take(uint64_t key)
{
    bool ok = true;
    pthread_mutex_lock(&g_held_mu);
    held_count *h = g_held;
    while (h != NULL && h->key != key)
        h = h->next;
    if (h == NULL) {
        h = calloc(1, sizeof *h);
        if (h != NULL) {
            h->key = key;
            h->next = g_held;
            g_held = h;
        }
    }
    if (h == NULL || (g_cfg->max_held_per_addr > 0 && h->n >= g_cfg->max_held_per_addr))
        ok = false;                 /* (no memory for a count: refused, as over the cap) */
    else
        h->n++;
    pthread_mutex_unlock(&g_held_mu);
    return ok;
}

static void held_release(uint64_t key)
{
    pthread_mutex_lock(&g_held_mu);
    for (held_count **pp = &g_held; *pp != NULL; pp = &(*pp)->next) {
        held_count *h = *pp;
        if (h->key != key)
            continue;
        if (--h->n == 0) {
            *pp = h->next;
            free(h);
        }
        break;
    }
    pthread_mutex_unlock(&g_held_mu);
}

/* Client address bytes for the rate limiter: the IP only (not the port); behind a
 * --trusted-proxy, the forwarded client's (proxy.c). */
static unsigned rate_check(struct MHD_Connection *c, req_ctx *ctx)
{
    unsigned char ip[16];
    size_t n = proxy_client_addr(c, ip);
    if (n == 0)
        return 0;
    crypto_shorthash((unsigned char *)&ctx->addr_key, ip, n, g_addr_hash_key);
    ctx->has_addr = true;
    return ratelimit_take(g_rl, ip, n);
}

static enum MHD_Result send_response(struct MHD_Connection *c, const char *method, req_ctx *ctx,
                                     relay_response *rs)
{
    struct MHD_Response *r;
    if (rs->body != NULL) {
        r = MHD_create_response_from_buffer_with_free_callback(rs->body_len, rs->body, free);
        if (r == NULL)
            free(rs->body);
    } else {
        r = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
    }
    rs->body = NULL;
    if (r == NULL)
        return MHD_NO;
    add_header(r, "Content-Type", rs->status == 304 ? NULL : rs->content_type);
    /* R10: every response to a request that carried Mailbox-Request-ID echoes it. */
    add_header(r, "Mailbox-Request-ID",
               MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Mailbox-Request-ID"));
    if (rs->etag[0] != '\0')
        add_header(r, "ETag", rs->etag);
    if (rs->allow != NULL)
        add_header(r, "Allow", rs->allow);
    if (rs->retry_after > 0) {
        char ra[16];
        snprintf(ra, sizeof ra, "%u", rs->retry_after);
        add_header(r, "Retry-After", ra);
    }
    add_header(r, "Cache-Control", rs->cache_control != NULL ? rs->cache_control : "no-store");
    add_header(r, "X-Content-Type-Options", "nosniff");
    add_header(r, "Referrer-Policy", "no-referrer");
    if (rs->html_headers)
        add_header(r, "Content-Security-Policy",
                   "default-src 'none'; img-src https:; style-src 'unsafe-inline'");
    request_in(c, true);            /* answered: no read deadline until it is sent */
    enum MHD_Result ret = MHD_queue_response(c, rs->status, r);
    MHD_destroy_response(r);
    ctx->responded = true;

    double ms = now_ms_f() - ctx->start_ms;
    relay_log_request(method, rs->route != NULL ? rs->route : "other", rs->status, ms,
                      rs->mailbox);
    metrics_inc(M_REQUESTS);
    metrics_inc(rs->status >= 500   ? M_STATUS_5XX
                : rs->status >= 400 ? M_STATUS_4XX
                : rs->status >= 300 ? M_STATUS_3XX
                                    : M_STATUS_2XX);
    return ret;
}

static enum MHD_Result early_error(struct MHD_Connection *c, const char *method, req_ctx *ctx,
                                   unsigned status, const char *code, const char *msg,
                                   unsigned retry_after)
{
    relay_response rs;
    memset(&rs, 0, sizeof rs);
    rs.retry_after = retry_after;
    rs.route = "any";
    routes_error(&rs, status, code, msg);
    return send_response(c, method, ctx, &rs);
}

static bool append_body(req_ctx *ctx, const char *data, size_t n)
{
    if (ctx->rate_wait > 0)
        return true;                /* refused already: drop the body */
    if (ctx->too_large || ctx->len + n > g_cfg->max_body) {
        ctx->too_large = true;      /* keep reading (and dropping) so the 413 can be sent */
        return true;
    }
    if (ctx->len + n + 1 > ctx->cap) {
        size_t cap = ctx->cap ? ctx->cap : 1024;
        while (cap < ctx->len + n + 1)
            cap *= 2;
        char *nb = realloc(ctx->body, cap);
        if (nb == NULL)
            return false;
        ctx->body = nb;
        ctx->cap = cap;
    }
    memcpy(ctx->body + ctx->len, data, n);
    ctx->len += n;
    ctx->body[ctx->len] = '\0';
    return true;
}

static void deferred_unref(deferred *d)
{
    pthread_mutex_lock(&d->mu);
    bool last = --d->refs == 0;
    pthread_mutex_unlock(&d->mu);
    if (!last)
        return;
    routes_pending_free(d->p);
    pthread_mutex_destroy(&d->mu);
    free(d);
}

/* The store's thread, after the job's batch committed (or failed). */
static void on_store_done(store_async *job)
{
    deferred *d = job->ud;
    /* d->mu also orders this after the handler's MHD_suspend_connection (see defer()). */
    pthread_mutex_lock(&d->mu);
    if (!d->closed)
        MHD_resume_connection(d->conn);
    pthread_mutex_unlock(&d->mu);
    atomic_fetch_sub(&g_inflight, 1);
    deferred_unref(d);
}

/* Queues p's store job. True when the connection is suspended until it is done; false when
 * p holds the outcome already (routes_finish answers at once). */
static bool defer(struct MHD_Connection *c, req_ctx *ctx, relay_pending *p)
{
    atomic_fetch_add(&g_inflight, 1);
    deferred *d = NULL;
    if (atomic_load(&g_no_defer) || (d = calloc(1, sizeof *d)) == NULL ||
        pthread_mutex_init(&d->mu, NULL) != 0) {
        free(d);
        atomic_fetch_sub(&g_inflight, 1);
        routes_run(p); /* stopping, or no memory to wait asynchronously: wait here */
        return false;
    }
    d->refs = 2;
    d->conn = c;
    d->p = p;
    /* Held across queueing and suspending, so the store's callback cannot resume the
     * connection before it is suspended. */
    pthread_mutex_lock(&d->mu);
    bool queued = routes_submit(d->p, on_store_done, d);
    if (queued) {
        MHD_suspend_connection(c);
        ctx->def = d;
    } else {
        d->p = NULL;
        d->refs = 0;
    }
    pthread_mutex_unlock(&d->mu);
    if (!queued) {
        atomic_fetch_sub(&g_inflight, 1);
        pthread_mutex_destroy(&d->mu);
        free(d);
    }
    return queued;
}

static void finish_deferred(req_ctx *ctx, const relay_request *rq, relay_response *rs)
{
    deferred *d = ctx->def;
    ctx->def = NULL;
    pthread_mutex_lock(&d->mu);
    relay_pending *p = d->p;
    d->p = NULL;
    pthread_mutex_unlock(&d->mu);
    deferred_unref(d);
    routes_finish(p, rq, rs);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version,
                                  const char *upload, size_t *upload_size, void **con_cls)
{
    (void)cls;
    (void)version;
    req_ctx *ctx = *con_cls;
    if (ctx == NULL) {
        ctx = calloc(1, sizeof *ctx);
        if (ctx == NULL)
            return MHD_NO;
        ctx->start_ms = now_ms_f();
        *con_cls = ctx;
        if (routes_content_length_conflict(c))
            return early_error(c, method, ctx, 400, "bad_framing",
                               "the request has conflicting Content-Length headers", 0);
        /* A client waiting for "100 Continue", or announcing something huge, is answered
         * before it sends the body. Otherwise the body is read and dropped first: closing on a
         * client that is still sending makes it see a reset instead of the answer. */
        const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
        const char *te = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Transfer-Encoding");
        unsigned long long declared = cl != NULL ? strtoull(cl, NULL, 10) : 0;
        bool answer_now = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Expect") != NULL ||
                          declared > 16ULL * g_cfg->max_body + 1048576ULL ||
                          (declared == 0 && te == NULL);
        unsigned wait = rate_check(c, ctx);
        if (wait > 0) {
            metrics_inc(M_RATE_LIMITED);
            if (answer_now)
                return early_error(c, method, ctx, 429, "rate_limited", "too many requests", wait);
            ctx->rate_wait = wait;
            return MHD_YES;
        }
        if (declared > g_cfg->max_body) {
            if (answer_now)
                return early_error(c, method, ctx, 413, "payload_too_large",
                                   "the request body is larger than this relay accepts", 0);
            ctx->too_large = true;
        }
        return MHD_YES;
    }
    if (ctx->responded) {           /* an early error is queued: drop whatever still comes */
        *upload_size = 0;
        return MHD_YES;
    }
    if (*upload_size > 0) {
        /* A body over --max-body is read and dropped so the client sees the 413, but only up
         * to the same allowance as a declared length (above): past it, whatever the framing
         * (a chunked body has no declared length), the connection is closed at once. */
        ctx->body_read += *upload_size;
        if (ctx->body_read > 16ULL * g_cfg->max_body + 1048576ULL) {
            relay_log(LOG_INFO, "event=body_over_limit action=close");
            return MHD_NO;
        }
        if (!append_body(ctx, upload, *upload_size))
            return MHD_NO;
        *upload_size = 0;
        return MHD_YES;
    }
    request_in(c, true);            /* head and body are in: the read deadline is met */
    if (ctx->rate_wait > 0)
        return early_error(c, method, ctx, 429, "rate_limited", "too many requests",
                           ctx->rate_wait);
    if (ctx->too_large)
        return early_error(c, method, ctx, 413, "payload_too_large",
                           "the request body is larger than this relay accepts", 0);

    relay_request rq = {
        .can_defer = true,
        .method = method, .url = url,
        .request_id = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Mailbox-Request-ID"),
        .claim = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Mailbox-Device-Claim"),
        .attestation = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                                   "Mailbox-Device-Attestation"),
        .content_type = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type"),
        .if_none_match = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "If-None-Match"),
        .prefer = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Prefer"),
        .body = ctx->body != NULL ? ctx->body : "", .body_len = ctx->len,
        .resumed = ctx->suspended_once, .conn = c, .owner = ctx,
    };
    relay_response rs;
    memset(&rs, 0, sizeof rs);
    if (ctx->def != NULL) {
        finish_deferred(ctx, &rq, &rs);    /* resumed: the store job is done */
    } else {
        /* A read that may be held (long-poll) takes one of its address's held-read places
         * first, so one address cannot park every connection the relay has. */
        if (!ctx->holds_slot && ctx->has_addr && rq.prefer != NULL && rq.if_none_match != NULL &&
            strcmp(method, "POST") == 0 && strstr(rq.prefer, "wait") != NULL) {
            if (!held_take(ctx->addr_key)) {
                metrics_inc(M_RATE_LIMITED);
                return early_error(c, method, ctx, 429, "rate_limited",
                                   "too many held reads from this address", 5);
            }
            ctx->holds_slot = true;
        }
        routes_handle(&rq, &rs);
        relay_pending *p = rs.pending;
        rs.pending = NULL;
        if (p != NULL && defer(c, ctx, p))
            return MHD_YES;                /* suspended until the batch commits */
        if (p != NULL)
            routes_finish(p, &rq, &rs);
    }
    if (rs.suspended) {
        ctx->suspended_once = true;
        metrics_waiting(1);
        return MHD_YES;
    }
    if (ctx->holds_slot) {          /* answered, not (or no longer) held */
        held_release(ctx->addr_key);
        ctx->holds_slot = false;
    }
    if (ctx->suspended_once)
        metrics_waiting(-1);
    return send_response(c, method, ctx, &rs);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)c;
    (void)toe;
    request_in(c, false);           /* the next request's read deadline starts now */
    req_ctx *ctx = *con_cls;
    if (ctx == NULL)
        return;
    /* Only a read still held (closed while suspended: daemon shutdown) can be in the waiter
     * list; a resumed one was unlinked before it was answered. The list walk is O(held reads),
     * so it is not done for every request. */
    if (ctx->suspended_once && !ctx->responded)
        longpoll_forget(ctx);
    if (ctx->holds_slot)
        held_release(ctx->addr_key);
    if (ctx->def != NULL) {
        /* Closed while its store job runs: the store's callback frees the job's state. */
        pthread_mutex_lock(&ctx->def->mu);
        ctx->def->closed = true;
        pthread_mutex_unlock(&ctx->def->mu);
        deferred_unref(ctx->def);
    }
    if (ctx->body != NULL) {
        sodium_memzero(ctx->body, ctx->cap);   /* bodies carry claims' payloads: wipe */
        free(ctx->body);
    }
    free(ctx);
    *con_cls = NULL;
}

static int bind_socket(const relay_config *cfg, unsigned *port)
{
    struct sockaddr_storage ss;
    unsigned len;
    bool loopback;
    if (!relay_parse_listen(cfg->listen, &ss, &len, &loopback))
        return -1;
    int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, (struct sockaddr *)&ss, len) != 0 || listen(fd, 256) != 0) {
        close(fd);
        return -1;
    }
    socklen_t sl = sizeof ss;
    getsockname(fd, (struct sockaddr *)&ss, &sl);
    *port = ntohs(ss.ss_family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
                                          : ((struct sockaddr_in6 *)&ss)->sin6_port);
    return fd;
}

/* Without --public-url, the base is the listen address with the bound port; it must be known
 * before the first request can arrive. */
static void default_public_url(relay_config *cfg, unsigned port)
{
    if (cfg->public_url != NULL)
        return;
    const char *colon = strrchr(cfg->listen, ':');
    char buf[400];
    snprintf(buf, sizeof buf, "%s://%.*s:%u", cfg->insecure_loopback ? "http" : "https",
             (int)(colon - cfg->listen), cfg->listen, port);
    cfg->public_url = strdup(buf);
}

relay_server *server_start(relay_config *cfg, ratelimit *rl, int *exit_code,
                           unsigned *bound_port)
{
    relay_server *srv = calloc(1, sizeof *srv);
    if (srv == NULL) {
        *exit_code = RELAY_EXIT_LISTEN;
        return NULL;
    }
    g_cfg = cfg;
    g_rl = rl;
    randombytes_buf(g_addr_hash_key, sizeof g_addr_hash_key);
    atomic_store(&g_no_defer, false);
    srv->cfg = cfg;
    srv->rl = rl;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_ALLOW_SUSPEND_RESUME;
    if (!cfg->insecure_loopback) {
        /* Checked here (parse, and the key belongs to the certificate), so a bad pair is exit 66
         * and libmicrohttpd's failure path is never taken. */
        char why[512];
        if (tlscreds_load(cfg->cert_file, cfg->key_file, why, sizeof why) != 0) {
            relay_log(LOG_ERROR, "event=start error=\"--cert and --key must be readable PEM "
                                 "files holding a certificate chain and its private key: %s\"",
                      why);
            free(srv);
            *exit_code = RELAY_EXIT_TLS;
            return NULL;
        }
        flags |= MHD_USE_TLS;
    }
    srv->fd = bind_socket(cfg, bound_port);
    if (srv->fd < 0) {
        relay_log(LOG_ERROR, "event=start error=\"cannot listen on %s: %s\"", cfg->listen,
                  strerror(errno));
        tlscreds_free();
        free(srv);
        *exit_code = RELAY_EXIT_LISTEN;
        return NULL;
    }
    default_public_url(cfg, *bound_port);
    /* The certificate and key come from a callback, so that a reload (SIGHUP, tlscreds.c)
     * reaches every new handshake while the connections already open keep theirs. */
    struct MHD_OptionItem tls_opts[] = {
        {MHD_OPTION_HTTPS_CERT_CALLBACK, 0, (void *)(uintptr_t)tlscreds_retrieve},
        {MHD_OPTION_HTTPS_PRIORITIES, 0, (void *)(uintptr_t)"NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"},
        {MHD_OPTION_END, 0, NULL},
    };
    struct MHD_OptionItem none[] = {{MHD_OPTION_END, 0, NULL}};
    /* Per-connection memory pool: --connection-memory, default 8 KiB (libmicrohttpd's default,
     * and this relay's setting before, is 32 KiB). It holds the request line and headers, the
     * read buffer and the response headers; bodies are copied
     * out into the request's own buffer (append_body), so --max-body does not depend on it. A
     * held long-poll keeps its pool for its whole wait, so this is most of what one costs
     * besides the GnuTLS session (relay/README.md, "Sizing"; bench/README.md). A request
     * head that does not fit (about 7 KiB of headers at 8 KiB) is refused by libmicrohttpd
     * (431, or the connection closed when even the error does not fit). */
    g_own_conncap = cfg->trusted_proxy != NULL && cfg->max_conn_per_addr > 0;
    conncap_init(g_own_conncap ? cfg->max_conn_per_addr : 0);
    srv->daemon = MHD_start_daemon(
        flags, 0, g_own_conncap ? on_accept : NULL, NULL, on_request, srv,
        MHD_OPTION_LISTEN_SOCKET, srv->fd,
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned)cfg->threads,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)cfg->max_connections,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, cfg->connection_memory,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)cfg->connection_timeout,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, g_own_conncap ? 0u : (unsigned)cfg->max_conn_per_addr,
        MHD_OPTION_NOTIFY_CONNECTION, on_connection, NULL,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
        MHD_OPTION_ARRAY, cfg->insecure_loopback ? none : tls_opts,
        MHD_OPTION_END);
    if (srv->daemon == NULL) {
        close(srv->fd);
        tlscreds_free();
        free(srv);
        relay_log(LOG_ERROR, "event=start error=\"the HTTPS server did not start: the TLS "
                             "library rejected the certificate or key\"");
        *exit_code = cfg->insecure_loopback ? RELAY_EXIT_LISTEN : RELAY_EXIT_TLS;
        return NULL;
    }
    if (sweeper_start() != 0) {
        relay_log(LOG_ERROR, "event=start error=\"cannot start the read-deadline thread\"");
        MHD_stop_daemon(srv->daemon);
        tlscreds_free();
        free(srv);
        *exit_code = RELAY_EXIT_LISTEN;
        return NULL;
    }
    return srv;
}

void server_stop(relay_server *srv)
{
    if (srv == NULL)
        return;
    /* Stop accepting; let requests in flight finish (bounded), then stop the threads. The
     * listening socket is closed only after MHD_stop_daemon(): the polling threads take it out
     * of their epoll sets on their own time, and one that finds it closed already aborts the
     * process ("Failed to remove listen FD from epoll set"; libmicrohttpd's documentation of
     * MHD_quiesce_daemon asks for this order). */
    MHD_socket lfd = MHD_quiesce_daemon(srv->daemon);
    atomic_store(&g_no_defer, true);
    longpoll_stop();          /* resumes every held read so it can answer */
    for (int i = 0; i < 50; i++) {
        const union MHD_DaemonInfo *di =
            MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
        if (di == NULL || di->num_connections == 0)
            break;
        struct timespec ts = {0, 20 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    /* Not bounded: the writer finishes every job (failing it after the store's busy timeout
     * at worst), and stopping the daemon earlier would abort the process. */
    while (atomic_load(&g_inflight) > 0) {
        struct timespec ts = {0, 2 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    sweeper_stop();
    MHD_stop_daemon(srv->daemon);
    if (lfd != MHD_INVALID_SOCKET)
        close(lfd);
    conncap_free();
    tlscreds_free();          /* no session is left that could use them */
    free(srv);
}
