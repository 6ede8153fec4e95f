/*
 * tests/relay/test_relay_push.c: conformance of tigress-relay, part 3: push (R37-R39) to a
 * local HTTPS receiver that records what it gets, the SSRF guard, long-poll (docs/protocol.md
 * D10), and durability across kill -9.
 */
#define _DEFAULT_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <microhttpd.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sqlite3.h>
#include <sys/socket.h>

#include "relay_harness.h"

/* ---- the push receiver: a tiny HTTPS server that records every request ---- */
#define MAX_PUSHES 64

typedef struct push_rec {
    char path[256];
    char ttl[32], urgency[32], ctype[64];
    char auth[1024];            /* Authorization ("" when absent) */
    unsigned status;            /* what the receiver answered */
    char *body;
    size_t len;
} push_rec;

typedef struct rx_ctx {
    char *body;
    size_t len;
} rx_ctx;

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_cond = PTHREAD_COND_INITIALIZER;
static push_rec g_pushes[MAX_PUSHES];
static int g_npush;
static struct MHD_Daemon *g_rx;
static unsigned g_rx_port;
static char *g_rx_cert, *g_rx_key;
static relay_proc g_r;
/* Statuses the receiver answers with, in order, before it goes back to 201. */
static unsigned g_script[8];
static int g_nscript;
/* VAPID mode (RFC 8292): when g_vapid_on, the receiver is a push service that answers 401 to a
 * request without a vapid Authorization and 403 to one that does not verify against
 * g_vapid_pub (the key the relay publishes) and g_vapid_sub, or whose aud is not its origin. */
static bool g_vapid_on;
static char g_vapid_pub[128], g_vapid_sub[128];

static const char *vapid_verify(const char *auth, const char *pub, const char *sub);

static void copy_hdr(struct MHD_Connection *c, const char *name, char *dst, size_t cap)
{
    const char *v = MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
    snprintf(dst, cap, "%s", v != NULL ? v : "");
}

static enum MHD_Result rx_handler(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls)
{
    (void)cls;
    (void)method;
    (void)version;
    rx_ctx *ctx = *con_cls;
    if (ctx == NULL) {
        *con_cls = calloc(1, sizeof(rx_ctx));
        return MHD_YES;
    }
    if (*upload_size > 0) {
        ctx->body = realloc(ctx->body, ctx->len + *upload_size + 1);
        memcpy(ctx->body + ctx->len, upload, *upload_size);
        ctx->len += *upload_size;
        ctx->body[ctx->len] = '\0';
        *upload_size = 0;
        return MHD_YES;
    }
    pthread_mutex_lock(&g_lock);
    if (g_npush < MAX_PUSHES) {
        push_rec *p = &g_pushes[g_npush++];
        snprintf(p->path, sizeof p->path, "%s", url);
        copy_hdr(c, "TTL", p->ttl, sizeof p->ttl);
        copy_hdr(c, "Urgency", p->urgency, sizeof p->urgency);
        copy_hdr(c, "Content-Type", p->ctype, sizeof p->ctype);
        copy_hdr(c, "Authorization", p->auth, sizeof p->auth);
        p->body = ctx->body;
        p->len = ctx->len;
        ctx->body = NULL;
    }
    unsigned status = 201;
    if (g_vapid_on) {
        const char *auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
        if (auth == NULL)
            status = 401;
        else if (vapid_verify(auth, g_vapid_pub, g_vapid_sub) != NULL)
            status = 403;
    }
    if (status == 201 && g_nscript > 0) {
        status = g_script[0];
        memmove(g_script, g_script + 1, sizeof g_script - sizeof g_script[0]);
        g_nscript--;
    }
    if (g_npush > 0)
        g_pushes[g_npush - 1].status = status;
    pthread_cond_broadcast(&g_cond);
    pthread_mutex_unlock(&g_lock);
    struct MHD_Response *r = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
    enum MHD_Result ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

static void rx_done(void *cls, struct MHD_Connection *c, void **con_cls,
                    enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)c;
    (void)toe;
    rx_ctx *ctx = *con_cls;
    if (ctx != NULL) {
        free(ctx->body);
        free(ctx);
    }
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    char *p = calloc(1, 65536);
    size_t n = fread(p, 1, 65535, f);
    p[n] = '\0';
    fclose(f);
    return p;
}

/* Waits (bounded) until at least n pushes arrived; returns how many there are. */
static int wait_pushes(int n)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += 20;
    pthread_mutex_lock(&g_lock);
    while (g_npush < n && pthread_cond_timedwait(&g_cond, &g_lock, &ts) == 0)
        ;
    int got = g_npush;
    pthread_mutex_unlock(&g_lock);
    return got;
}

static int group_setup(void **state)
{
    (void)state;
    if (th_init() != 0)
        return -1;
    g_rx_cert = slurp(th_cert());
    g_rx_key = slurp(th_key());
    g_rx = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_TLS, 0, NULL, NULL,
                            rx_handler, NULL, MHD_OPTION_HTTPS_MEM_CERT, g_rx_cert,
                            MHD_OPTION_HTTPS_MEM_KEY, g_rx_key, MHD_OPTION_NOTIFY_COMPLETED,
                            rx_done, NULL, MHD_OPTION_END);
    if (g_rx == NULL)
        return -1;
    g_rx_port = MHD_get_daemon_info(g_rx, MHD_DAEMON_INFO_BIND_PORT)->port;
    char gateway[128];
    snprintf(gateway, sizeof gateway, "https://127.0.0.1:%u/_matrix/push/v1/notify", g_rx_port);
    const char *extra[] = {"--rate-limit", "0", "--metrics-listen", "127.0.0.1:0",
                           "--push-allow", "127.0.0.1", "--push-ca", th_ca(),
                           "--push-gateway", gateway, NULL};
    return relay_start(&g_r, "push.db", extra) == 0 ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void)state;
    int rc = relay_stop(&g_r);
    MHD_stop_daemon(g_rx);
    for (int i = 0; i < g_npush; i++)
        free(g_pushes[i].body);
    free(g_rx_cert);
    free(g_rx_key);
    th_cleanup();
    return rc == 0 ? 0 : -1;
}

static void reset_pushes(void)
{
    pthread_mutex_lock(&g_lock);
    for (int i = 0; i < g_npush; i++)
        free(g_pushes[i].body);
    g_npush = 0;
    pthread_mutex_unlock(&g_lock);
}

static char *create_with_token(const char *type, const char *data, const char *ttype,
                               const char *tdata)
{
    char exp[32];
    th_rfc3339(3600, exp);
    th_remember(data);
    if (tdata != NULL)
        th_remember(tdata);
    return th_create_body(type, data, "Secret Title", "RWD", exp, ttype, tdata);
}

/* Recipient read carrying its token in the body (docs/protocol.md D4). */
static long read_with_token(const char *id, const char *claim, const char *ttype,
                            const char *tdata)
{
    char path[128], body[512];
    snprintf(path, sizeof path, "/v1/m/%s", id);
    snprintf(body, sizeof body, "{\"notificationToken\":{\"type\":\"%s\",\"tokenData\":\"%s\"}}",
             ttype, tdata);
    th_remember(tdata);
    hreq q = {.method = "POST", .path = path, .claim = claim, .body = body};
    hresp h;
    http_do(&g_r, &q, &h);
    long st = h.status;
    hresp_free(&h);
    return st;
}

/* A mailbox on relay r whose Initiator (a fresh claim into ini) registered the webpush token
 * url, read once by a fresh claim into rec, which that binds as the Recipient: an Update by
 * rec then pushes to url. */
static void webpush_mailbox(const relay_proc *r, const char *url, char ini[37], char rec[37],
                            char id[37])
{
    th_uuid(ini);
    th_uuid(rec);
    char *b = create_with_token("T", "AAAA", "webpush", url);
    assert_int_equal(th_create(r, ini, b, id), 200);
    free(b);
    assert_int_equal(th_read(r, id, rec, NULL), 200);
}

/* A relay of one test's own (not the suite's g_r): no rate limit, metrics, push targets
 * verified with the test CA; allow_loopback adds --push-allow 127.0.0.1, without which its
 * SSRF guard refuses every target here. 0 when it listens (relay_start). */
static int start_push_relay(relay_proc *r, const char *store_name, bool allow_loopback)
{
    const char *extra[] = {"--rate-limit", "0", "--metrics-listen", "127.0.0.1:0",
                           "--push-ca", th_ca(), allow_loopback ? "--push-allow" : NULL,
                           "127.0.0.1", NULL};
    return relay_start(r, store_name, extra);
}

/* The receiver answers the next n pushes with statuses[0..n-1] (then 201 again). */
static void script_answers(const unsigned *statuses, int n)
{
    pthread_mutex_lock(&g_lock);
    for (int i = 0; i < n; i++)
        g_script[i] = statuses[i];
    g_nscript = n;
    pthread_mutex_unlock(&g_lock);
}

/* R37: an Update by one party pushes to the other party's token, and only to it. */
static void test_relay__R37_push_to_other_party_only(void **state)
{
    (void)state;
    reset_pushes();
    char ini[37], rec[37], id[37], ini_url[160], rec_url[160];
    th_uuid(ini);
    th_uuid(rec);
    snprintf(ini_url, sizeof ini_url, "https://127.0.0.1:%u/push/initiator-7f3a", g_rx_port);
    snprintf(rec_url, sizeof rec_url, "https://127.0.0.1:%u/push/recipient-91cc", g_rx_port);
    char *b = create_with_token("T", "cGF5bG9hZC1vbmU=", "webpush", ini_url);
    assert_int_equal(th_create(&g_r, ini, b, id), 200);
    free(b);
    assert_int_equal(read_with_token(id, rec, "webpush", rec_url), 200);
    assert_int_equal(th_update(&g_r, id, rec, NULL,
                               "{\"payload\":{\"type\":\"T\",\"data\":\"cmVjaXBpZW50LXdyb3Rl\"}}"),
                     200);
    assert_true(wait_pushes(1) >= 1);
    /* The Recipient again (back to back), then the Initiator: the pushes must be exactly
     * initiator, initiator, recipient. Each is awaited before the next Update, so a wrong extra
     * push (say, to the writer itself) would show up among the first three. */
    assert_int_equal(th_update(&g_r, id, rec, NULL,
                               "{\"payload\":{\"type\":\"T\",\"data\":\"YWdhaW4=\"}}"),
                     200);
    assert_true(wait_pushes(2) >= 2);
    assert_int_equal(th_update(&g_r, id, ini, NULL,
                               "{\"payload\":{\"type\":\"T\",\"data\":\"aW5pdGlhdG9yLXdyb3Rl\"}}"),
                     200);
    assert_true(wait_pushes(3) >= 3);
    pthread_mutex_lock(&g_lock);
    int n = g_npush;
    char p[3][256];
    for (int i = 0; i < 3; i++)
        memcpy(p[i], g_pushes[i].path, sizeof p[i]);
    pthread_mutex_unlock(&g_lock);
    assert_int_equal(n, 3);
    assert_string_equal(p[0], "/push/initiator-7f3a");
    assert_string_equal(p[1], "/push/initiator-7f3a");
    assert_string_equal(p[2], "/push/recipient-91cc");
}

/* R38: a push carries no payload, display data or mailbox ID: webpush is an empty POST with
 * TTL and Urgency; the gateway gets only the device's pushkey and a "mailbox updated" type. */
static void test_relay__R38_push_is_content_free(void **state)
{
    (void)state;
    reset_pushes();
    char ini[37], rec[37], id[37], rec_url[160];
    th_uuid(ini);
    th_uuid(rec);
    snprintf(rec_url, sizeof rec_url, "https://127.0.0.1:%u/push/r38", g_rx_port);
    char *b = create_with_token("T", "Y29udGVudC1mcmVl", "com.apple.apns", "a1b2c3d4e5f60718");
    assert_int_equal(th_create(&g_r, ini, b, id), 200);
    free(b);
    assert_int_equal(read_with_token(id, rec, "webpush", rec_url), 200);
    assert_int_equal(th_update(&g_r, id, rec, NULL,
                               "{\"payload\":{\"type\":\"T\",\"data\":\"c2VjcmV0LWRhdGE=\"}}"),
                     200);
    assert_int_equal(wait_pushes(1), 1);
    assert_int_equal(th_update(&g_r, id, ini, NULL,
                               "{\"payload\":{\"type\":\"T\",\"data\":\"bW9yZS1kYXRh\"}}"),
                     200);
    assert_true(wait_pushes(2) >= 2);
    pthread_mutex_lock(&g_lock);
    push_rec gw = g_pushes[0], wp = g_pushes[1];
    assert_string_equal(gw.path, "/_matrix/push/v1/notify");
    assert_non_null(gw.body);
    assert_non_null(strstr(gw.body, "\"pushkey\":\"a1b2c3d4e5f60718\""));
    assert_non_null(strstr(gw.body, "\"app_id\":\"com.apple.apns\""));
    assert_non_null(strstr(gw.body, "mailbox.updated"));
    assert_null(strstr(gw.body, id));
    assert_null(strstr(gw.body, "c2VjcmV0LWRhdGE="));
    assert_null(strstr(gw.body, "Secret Title"));
    assert_string_equal(wp.path, "/push/r38");
    assert_int_equal(wp.len, 0);
    assert_true(atoi(wp.ttl) > 0);
    assert_true(wp.urgency[0] != '\0');
    pthread_mutex_unlock(&g_lock);
}

static bool push_flag(const hresp *h)
{
    return h->body != NULL && strstr(h->body, "\"isPushNotificationSupported\":true") != NULL;
}

static bool create_flag(const relay_proc *r, const char *ttype, const char *tdata)
{
    char claim[37], rid[37];
    th_uuid(claim);
    th_uuid(rid);
    char *b = create_with_token("T", "AAAA", ttype, tdata);
    hreq q = {.method = "POST", .path = "/v1/m", .rid = rid, .claim = claim, .body = b};
    hresp h;
    http_do(r, &q, &h);
    assert_int_equal(h.status, 200);
    bool f = push_flag(&h);
    hresp_free(&h);
    free(b);
    return f;
}

/* R39: isPushNotificationSupported is true exactly when the caller's token type has a backend. */
static void test_relay__R39_push_supported_flag(void **state)
{
    (void)state;
    char url[160];
    snprintf(url, sizeof url, "https://127.0.0.1:%u/push/r39", g_rx_port);
    assert_false(create_flag(&g_r, NULL, NULL));
    assert_false(create_flag(&g_r, "com.example.unknown", "abc"));
    assert_true(create_flag(&g_r, "webpush", url));
    /* A token long enough that the log audit (R35) cannot match it by chance in the hex of a
     * hashed mailbox ID ("00ff" once did). */
    assert_true(create_flag(&g_r, "com.apple.apns", "00ff9c4e2ab17d3f"));
    assert_true(create_flag(&g_r, "com.google.fcm", "fcm-token"));
    /* Without --push-gateway, APNs/FCM tokens have no backend. */
    relay_proc r2 = {0};
    const char *extra[] = {"--rate-limit", "0", NULL};
    assert_int_equal(relay_start(&r2, "nogw.db", extra), 0);
    assert_false(create_flag(&r2, "com.apple.apns", "00ff9c4e2ab17d3f"));
    assert_true(create_flag(&r2, "webpush", url));
    assert_int_equal(relay_stop(&r2), 0);
    /* An Update without a token answers for the token on file for the caller. */
    char ini[37], id[37], path[128], rid[37];
    th_uuid(ini);
    char *b = create_with_token("T", "AAAA", "webpush", url);
    assert_int_equal(th_create(&g_r, ini, b, id), 200);
    free(b);
    snprintf(path, sizeof path, "/v1/m/%s", id);
    th_uuid(rid);
    hreq q = {.method = "PUT", .path = path, .rid = rid, .claim = ini,
              .body = "{\"payload\":{\"type\":\"T\",\"data\":\"AA\"}}"};
    hresp h;
    http_do(&g_r, &q, &h);
    assert_int_equal(h.status, 200);
    assert_true(push_flag(&h));
    hresp_free(&h);
}

/* SSRF guard: without --push-allow, a target on a loopback address is refused, not contacted. */
static void test_relay__push_ssrf_refused(void **state)
{
    (void)state;
    reset_pushes();
    relay_proc r2 = {0};
    assert_int_equal(start_push_relay(&r2, "ssrf.db", false), 0);
    char ini[37], rec[37], id[37], url[160];
    snprintf(url, sizeof url, "https://127.0.0.1:%u/push/internal", g_rx_port);
    webpush_mailbox(&r2, url, ini, rec, id);
    assert_int_equal(th_update(&r2, id, rec, NULL, "{\"payload\":{\"type\":\"T\",\"data\":\"AA\"}}"),
                     200);
    long refused = 0;
    for (int i = 0; i < 200 * th_time_scale() && refused < 1; i++) {
        refused = th_metric(&r2, "tigress_relay_push_refused_total");
        if (refused < 1)
            usleep(50 * 1000);
    }
    assert_int_equal(refused, 1);
    assert_int_equal(th_metric(&r2, "tigress_relay_push_sent_total"), 0);
    pthread_mutex_lock(&g_lock);
    assert_int_equal(g_npush, 0);
    pthread_mutex_unlock(&g_lock);
    assert_int_equal(relay_stop(&r2), 0);
}

static long wait_metric(const relay_proc *r, const char *name, long want)
{
    long v = -1;
    for (int i = 0; i < 400 * th_time_scale() && v < want; i++) {
        v = th_metric(r, name);
        if (v < want)
            usleep(50 * 1000);
    }
    return v;
}

/* Push retries: a 503 from the push service is retried (with back-off) until accepted; a 410
 * (subscription gone) is not retried, and the token is cleared, so nothing is pushed to it
 * again. */
static void test_relay__push_retry_and_gone(void **state)
{
    (void)state;
    reset_pushes();
    long sent0 = th_metric(&g_r, "tigress_relay_push_sent_total");
    long failed0 = th_metric(&g_r, "tigress_relay_push_failed_total");
    script_answers((const unsigned[]){503, 503}, 2);
    char ini[37], rec[37], id[37], url[160];
    snprintf(url, sizeof url, "https://127.0.0.1:%u/push/retry", g_rx_port);
    webpush_mailbox(&g_r, url, ini, rec, id);
    assert_int_equal(th_update(&g_r, id, rec, NULL, "{\"payload\":{\"type\":\"T\",\"data\":\"AA\"}}"),
                     200);
    assert_int_equal(wait_metric(&g_r, "tigress_relay_push_sent_total", sent0 + 1), sent0 + 1);
    pthread_mutex_lock(&g_lock);
    assert_int_equal(g_npush, 3);               /* 503, 503, then accepted */
    for (int i = 0; i < 3; i++)
        assert_string_equal(g_pushes[i].path, "/push/retry");
    pthread_mutex_unlock(&g_lock);
    script_answers((const unsigned[]){410}, 1);
    assert_int_equal(th_update(&g_r, id, rec, NULL, "{\"payload\":{\"type\":\"T\",\"data\":\"AB\"}}"),
                     200);
    assert_int_equal(wait_metric(&g_r, "tigress_relay_push_failed_total", failed0 + 1),
                     failed0 + 1);
    pthread_mutex_lock(&g_lock);
    assert_int_equal(g_npush, 4);               /* one attempt only */
    pthread_mutex_unlock(&g_lock);
    /* The subscription is gone: the relay cleared the token from the mailbox (before it
     * counted the failure), so the next Update has nothing to push to: no request, and no
     * push queued or counted. */
    assert_int_equal(th_update(&g_r, id, rec, NULL, "{\"payload\":{\"type\":\"T\",\"data\":\"AC\"}}"),
                     200);
    rf_sleep_ms(300);
    assert_int_equal(th_metric(&g_r, "tigress_relay_push_failed_total"), failed0 + 1);
    pthread_mutex_lock(&g_lock);
    assert_int_equal(g_npush, 4);
    pthread_mutex_unlock(&g_lock);
}

/* R37: a webpush subscription answered 410 is cleared from its mailbox in the store, not only
 * remembered in the relay's memory: after a restart on the same store, the next Update of
 * the other party pushes nothing (its own relay here, so the suite's relay keeps its cache). */
static void test_relay__R37_push_gone_cleared_in_store(void **state)
{
    (void)state;
    reset_pushes();
    relay_proc r = {0};
    assert_int_equal(start_push_relay(&r, "gone.db", true), 0);
    script_answers((const unsigned[]){410}, 1);
    char ini[37], rec[37], id[37], url[160];
    snprintf(url, sizeof url, "https://127.0.0.1:%u/push/gone", g_rx_port);
    webpush_mailbox(&r, url, ini, rec, id);
    assert_int_equal(th_update(&r, id, rec, NULL, "{\"payload\":{\"type\":\"T\",\"data\":\"AB\"}}"),
                     200);
    assert_int_equal(wait_metric(&r, "tigress_relay_push_failed_total", 1), 1);
    bool cleared = false;
    for (int i = 0; i < 100 * th_time_scale() && !cleared; i++) {
        cleared = th_file_contains(r.log_path, "event=push outcome=gone token=cleared");
        if (!cleared)
            usleep(20 * 1000);
    }
    assert_true(cleared);
    pthread_mutex_lock(&g_lock);
    assert_int_equal(g_npush, 1);               /* the 410 */
    pthread_mutex_unlock(&g_lock);

    assert_int_equal(relay_stop(&r), 0);        /* the in-memory set of gone URLs is lost */
    assert_int_equal(start_push_relay(&r, "gone.db", true), 0);
    assert_int_equal(th_update(&r, id, rec, NULL, "{\"payload\":{\"type\":\"T\",\"data\":\"AC\"}}"),
                     200);
    rf_sleep_ms(500);
    pthread_mutex_lock(&g_lock);
    int pushes = g_npush;
    pthread_mutex_unlock(&g_lock);
    long failed = th_metric(&r, "tigress_relay_push_failed_total");
    printf("# after the restart: %d push request(s) in all, %ld failed push(es) counted\n",
           pushes, failed);
    assert_int_equal(pushes, 1);                /* no push attempted: no token any more */
    assert_int_equal(failed, 0);                /* nor one dropped by a cache */
    assert_int_equal(relay_stop(&r), 0);
}

/* ---- a plain TCP listener on 127.0.0.1 that counts connections; with hold set it never
 * answers and keeps them open (a tarpit), else it closes each at once ---- */
typedef struct tcp_listener {
    int fd;
    unsigned port;
    bool hold, stop;
    int accepted;
    int held[64];
    int nheld;
    pthread_t t;
    pthread_mutex_t lock;
} tcp_listener;

static void *listener_main(void *p)
{
    tcp_listener *l = p;
    for (;;) {
        pthread_mutex_lock(&l->lock);
        bool stop = l->stop;
        pthread_mutex_unlock(&l->lock);
        if (stop)
            break;
        struct pollfd pfd = {.fd = l->fd, .events = POLLIN};
        if (poll(&pfd, 1, 50) <= 0)
            continue;
        int c = accept(l->fd, NULL, NULL);
        if (c < 0)
            continue;
        pthread_mutex_lock(&l->lock);
        l->accepted++;
        if (l->hold && l->nheld < 64)
            l->held[l->nheld++] = c;
        else
            close(c);
        pthread_mutex_unlock(&l->lock);
    }
    return NULL;
}

static void listener_start(tcp_listener *l, bool hold)
{
    memset(l, 0, sizeof *l);
    pthread_mutex_init(&l->lock, NULL);
    l->hold = hold;
    l->fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(l->fd >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    assert_int_equal(bind(l->fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(l->fd, 64), 0);
    assert_int_equal(getsockname(l->fd, (struct sockaddr *)&a, &len), 0);
    l->port = ntohs(a.sin_port);
    assert_int_equal(pthread_create(&l->t, NULL, listener_main, l), 0);
}

static int listener_count(tcp_listener *l)
{
    pthread_mutex_lock(&l->lock);
    int n = l->accepted;
    pthread_mutex_unlock(&l->lock);
    return n;
}

static void listener_stop(tcp_listener *l)
{
    pthread_mutex_lock(&l->lock);
    l->stop = true;
    pthread_mutex_unlock(&l->lock);
    pthread_join(l->t, NULL);
    for (int i = 0; i < l->nheld; i++)
        close(l->held[i]);
    close(l->fd);
    pthread_mutex_destroy(&l->lock);
}

static long create_status(const relay_proc *r, const char *tdata, char *err_body, size_t cap)
{
    char claim[37], rid[37];
    th_uuid(claim);
    th_uuid(rid);
    char *b = create_with_token("T", "AAAA", "webpush", tdata);
    hreq q = {.method = "POST", .path = "/v1/m", .rid = rid, .claim = claim, .body = b};
    hresp h;
    http_do(r, &q, &h);
    long st = h.status;
    snprintf(err_body, cap, "%s", h.body != NULL ? h.body : "");
    hresp_free(&h);
    free(b);
    return st;
}

/* SSRF through URL user info: a webpush token whose authority carries user info (or a
 * backslash before "@") names a public address before the "@" and a loopback one after it.
 * Such a token is refused with 400 at Create, Read and Update, and nothing connects to the
 * listener behind it. (The relay here allows 127.0.0.1: the parse alone must refuse it.) */
static void test_relay__push_userinfo_token_rejected(void **state)
{
    (void)state;
    tcp_listener l;
    listener_start(&l, false);
    char bad[4][192], body[1024];
    snprintf(bad[0], sizeof bad[0], "https://8.8.8.8:443@127.0.0.1:%u/h", l.port);
    snprintf(bad[1], sizeof bad[1], "https://8.8.8.8\\\\@127.0.0.1:%u/", l.port);  /* JSON \\ */
    snprintf(bad[2], sizeof bad[2], "https://u@127.0.0.1:%u/h", l.port);
    snprintf(bad[3], sizeof bad[3], "https://127.0.0.1:%u/h#frag", l.port);
    for (int i = 0; i < 4; i++) {
        long st = create_status(&g_r, bad[i], body, sizeof body);
        if (st != 400)
            fail_msg("Create with push token %d answered %ld, want 400", i, st);
        assert_non_null(strstr(body, "\"error\""));
        assert_non_null(strstr(body, "\"message\""));
    }
    /* Read and Update carrying such a token: 400 too. */
    char ini[37], rec[37], id[37], ok_url[160], upd[512];
    th_uuid(ini);
    th_uuid(rec);
    snprintf(ok_url, sizeof ok_url, "https://127.0.0.1:%u/push/ok", g_rx_port);
    char *b = create_with_token("T", "AAAA", "webpush", ok_url);
    assert_int_equal(th_create(&g_r, ini, b, id), 200);
    free(b);
    assert_int_equal(read_with_token(id, rec, "webpush", bad[0]), 400);
    snprintf(upd, sizeof upd, "{\"payload\":{\"type\":\"T\",\"data\":\"AA\"},\"notificationToken\":"
             "{\"type\":\"webpush\",\"tokenData\":\"%s\"}}", bad[1]);
    assert_int_equal(th_update(&g_r, id, ini, NULL, upd), 400);
    rf_sleep_ms(300);
    assert_int_equal(listener_count(&l), 0);
    listener_stop(&l);
}

/* Defence in depth: a user-info token that got into the store without validation (written
 * straight into the SQLite file) is refused by the push worker, which never connects to the
 * loopback listener behind the "@". This relay has no --push-allow. */
static void test_relay__push_smuggled_userinfo_never_connects(void **state)
{
    (void)state;
    const char *shared = getenv("TIGRESS_TEST_STORE");
    if (shared != NULL && shared[0] != '\0')
        skip();         /* writes the SQLite file directly */
    tcp_listener l;
    listener_start(&l, false);
    relay_proc r3 = {0};
    assert_int_equal(start_push_relay(&r3, "smuggle.db", false), 0);
    char ini[37], rec[37], id[37];
    th_uuid(ini);
    th_uuid(rec);
    char *b = create_with_token("T", "AAAA", "webpush", "https://8.8.8.8/h");
    assert_int_equal(th_create(&r3, ini, b, id), 200);
    free(b);
    assert_int_equal(relay_stop(&r3), 0);

    char tok[256], sql[512], hex[33];
    snprintf(tok, sizeof tok,
             "{\"type\":\"webpush\",\"tokenData\":\"https://8.8.8.8:443@127.0.0.1:%u/h\"}", l.port);
    /* The store keeps the ID as its 16 bytes (relay/store/store_sqlite_schema.c). */
    size_t n = 0;
    for (const char *q = id; *q != '\0' && n < 32; q++)
        if (*q != '-')
            hex[n++] = *q;
    hex[n] = '\0';
    snprintf(sql, sizeof sql, "UPDATE mailboxes SET initiator_token = '%s' WHERE id = X'%s';", tok,
             hex);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(r3.store_path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_changes(db), 1);
    sqlite3_close(db);

    assert_int_equal(start_push_relay(&r3, "smuggle.db", false), 0);
    assert_int_equal(th_read(&r3, id, rec, NULL), 200);
    assert_int_equal(th_update(&r3, id, rec, NULL, "{\"payload\":{\"type\":\"T\",\"data\":\"AA\"}}"),
                     200);
    long refused = 0;
    for (int i = 0; i < 200 * th_time_scale() && refused < 1 && listener_count(&l) == 0; i++) {
        refused = th_metric(&r3, "tigress_relay_push_refused_total");
        if (refused < 1)
            usleep(50 * 1000);
    }
    int conns = listener_count(&l);
    assert_int_equal(relay_stop(&r3), 0);
    listener_stop(&l);
    if (conns != 0)
        fail_msg("the relay connected %d time(s) to the address after the user info", conns);
    assert_int_equal(refused, 1);
}

/* Tarpits do not stall the queue: pushes to 8 targets that accept and never answer are queued
 * first; a push to a healthy receiver queued after them still arrives well before one tarpit
 * attempt times out (15 s; one worker sending in turn would take 8 x 15 s). */
static void test_relay__push_tarpit_does_not_delay_others(void **state)
{
    (void)state;
    enum { TARPITS = 8 };
    reset_pushes();
    tcp_listener tp;
    listener_start(&tp, true);
    relay_proc r4 = {0};
    assert_int_equal(start_push_relay(&r4, "tarpit.db", true), 0);
    const char *upd = "{\"payload\":{\"type\":\"T\",\"data\":\"AA\"}}";
    for (int i = 0; i < TARPITS; i++) {
        char ini[37], rec[37], id[37], url[160];
        snprintf(url, sizeof url, "https://127.0.0.1:%u/tarpit/%d", tp.port, i);
        webpush_mailbox(&r4, url, ini, rec, id);
        assert_int_equal(th_update(&r4, id, rec, NULL, upd), 200);
    }
    /* The tarpits hold the relay's connections before the healthy push is queued. */
    for (int i = 0; i < 200 * th_time_scale() && listener_count(&tp) < 1; i++)
        usleep(25 * 1000);
    assert_true(listener_count(&tp) >= 1);
    char ini[37], rec[37], id[37], url[160];
    snprintf(url, sizeof url, "https://127.0.0.1:%u/push/after-tarpits", g_rx_port);
    webpush_mailbox(&r4, url, ini, rec, id);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(th_update(&r4, id, rec, NULL, upd), 200);
    /* Bound: 10 s (scaled), under the 15 s a single tarpit attempt may take. */
    long bound_ms = rf_scaled_ms(10000);
    struct timespec dl;
    clock_gettime(CLOCK_REALTIME, &dl);
    dl.tv_sec += bound_ms / 1000;
    pthread_mutex_lock(&g_lock);
    while (g_npush < 1 && pthread_cond_timedwait(&g_cond, &g_lock, &dl) == 0)
        ;
    int got = g_npush;
    char path[256] = "";
    if (got > 0)
        snprintf(path, sizeof path, "%s", g_pushes[0].path);
    pthread_mutex_unlock(&g_lock);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
    print_message("healthy push after %d tarpits: %s after %ld ms (bound %ld ms), tarpit "
                  "connections %d\n", TARPITS, got > 0 ? "arrived" : "not arrived", ms, bound_ms,
                  listener_count(&tp));
    assert_int_equal(relay_stop(&r4), 0);
    listener_stop(&tp);
    assert_int_equal(got, 1);
    assert_string_equal(path, "/push/after-tarpits");
}

typedef struct poller {
    const relay_proc *r;
    char id[37], claim[37], etag[32];
    int wait;
    hresp h;
} poller;

static void *poll_main(void *p)
{
    poller *pl = p;
    char path[128], inm[64], prefer[32];
    snprintf(path, sizeof path, "/v1/m/%s", pl->id);
    snprintf(inm, sizeof inm, "If-None-Match: %s", pl->etag);
    snprintf(prefer, sizeof prefer, "Prefer: wait=%d", pl->wait);
    hreq q = {.method = "POST", .path = path, .claim = pl->claim, .extra = {inm, prefer}};
    http_do(pl->r, &q, &pl->h);
    return NULL;
}

static void wait_waiting(const relay_proc *r, long n)
{
    long w = -1;
    for (int i = 0; i < 400 * th_time_scale() && w != n; i++) {
        w = th_metric(r, "tigress_relay_longpoll_waiting");
        if (w != n)
            usleep(25 * 1000);
    }
    assert_int_equal(w, n);
}

/* Long-poll: a read with If-None-Match + Prefer: wait is held until an Update (then 200 with
 * the new payload and ETag), or until the wait ends (then 304 without a body). */
static void test_relay__longpoll_update_and_timeout(void **state)
{
    (void)state;
    char ini[37], rec[37], id[37];
    th_uuid(ini);
    th_uuid(rec);
    char *b = create_with_token("T", "djE=", NULL, NULL);
    assert_int_equal(th_create(&g_r, ini, b, id), 200);
    free(b);
    hresp h;
    assert_int_equal(th_read(&g_r, id, rec, &h), 200);
    assert_string_equal(h.etag, "\"1\"");
    hresp_free(&h);

    poller pl = {.r = &g_r, .etag = "\"1\"", .wait = 30};
    snprintf(pl.id, sizeof pl.id, "%s", id);
    snprintf(pl.claim, sizeof pl.claim, "%s", rec);
    pthread_t t;
    pthread_create(&t, NULL, poll_main, &pl);
    wait_waiting(&g_r, 1);
    assert_int_equal(th_update(&g_r, id, ini, NULL, "{\"payload\":{\"type\":\"T\",\"data\":\"djI=\"}}"),
                     200);
    pthread_join(t, NULL);
    assert_int_equal(pl.h.status, 200);
    assert_string_equal(pl.h.etag, "\"2\"");
    assert_non_null(strstr(pl.h.body, "\"data\":\"djI=\""));
    hresp_free(&pl.h);

    /* Nothing changes: 304, no body, same ETag. */
    snprintf(pl.etag, sizeof pl.etag, "\"2\"");
    pl.wait = 1;
    poll_main(&pl);
    assert_int_equal(pl.h.status, 304);
    assert_int_equal(pl.h.len, 0);
    assert_string_equal(pl.h.etag, "\"2\"");
    hresp_free(&pl.h);
    /* A stale ETag answers at once with the current payload. */
    snprintf(pl.etag, sizeof pl.etag, "\"1\"");
    pl.wait = 30;
    poll_main(&pl);
    assert_int_equal(pl.h.status, 200);
    assert_string_equal(pl.h.etag, "\"2\"");
    hresp_free(&pl.h);
    /* A Delete wakes the waiter, which then learns the mailbox is gone. */
    snprintf(pl.etag, sizeof pl.etag, "\"2\"");
    pthread_create(&t, NULL, poll_main, &pl);
    wait_waiting(&g_r, 1);
    char path[128], rid[37];
    snprintf(path, sizeof path, "/v1/m/%s", id);
    th_uuid(rid);
    hreq d = {.method = "DELETE", .path = path, .claim = ini, .rid = rid};
    http_do(&g_r, &d, &h);
    assert_int_equal(h.status, 200);
    hresp_free(&h);
    pthread_join(t, NULL);
    assert_int_equal(pl.h.status, 404);
    hresp_free(&pl.h);
}

/* Held reads do not hold worker threads: with one worker, 3 held reads, and a Create still
 * succeeds while they wait. */
static void test_relay__longpoll_holds_no_worker_thread(void **state)
{
    (void)state;
    relay_proc r1 = {0};
    const char *extra[] = {"--rate-limit", "0", "--threads", "1", "--metrics-listen",
                           "127.0.0.1:0", NULL};
    assert_int_equal(relay_start(&r1, "one-thread.db", extra), 0);
    char ini[37], id[37];
    th_uuid(ini);
    char *b = create_with_token("T", "AAAA", NULL, NULL);
    assert_int_equal(th_create(&r1, ini, b, id), 200);
    poller pl[3];
    pthread_t t[3];
    for (int i = 0; i < 3; i++) {
        memset(&pl[i], 0, sizeof pl[i]);
        pl[i].r = &r1;
        pl[i].wait = 30;
        snprintf(pl[i].etag, sizeof pl[i].etag, "\"1\"");
        snprintf(pl[i].id, sizeof pl[i].id, "%s", id);
        snprintf(pl[i].claim, sizeof pl[i].claim, "%s", ini);
        pthread_create(&t[i], NULL, poll_main, &pl[i]);
    }
    wait_waiting(&r1, 3);
    char other[37], id2[37];
    th_uuid(other);
    assert_int_equal(th_create(&r1, other, b, id2), 200);
    free(b);
    assert_int_equal(th_update(&r1, id, ini, NULL, "{\"payload\":{\"type\":\"T\",\"data\":\"Ag==\"}}"),
                     200);
    for (int i = 0; i < 3; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(pl[i].h.status, 200);
        hresp_free(&pl[i].h);
    }
    /* SIGTERM while a read is held: it is answered (304, nothing changed) and the relay
     * exits 0. */
    snprintf(pl[0].etag, sizeof pl[0].etag, "\"2\"");
    pl[0].wait = 60;
    pthread_create(&t[0], NULL, poll_main, &pl[0]);
    wait_waiting(&r1, 1);
    assert_int_equal(relay_stop(&r1), 0);
    pthread_join(t[0], NULL);
    assert_int_equal(pl[0].h.status, 304);
    hresp_free(&pl[0].h);
}

/* Durability: every acknowledged Create and Update survives kill -9 and a restart. */
static void test_relay__durability_kill9(void **state)
{
    (void)state;
    enum { N = 30 };
    relay_proc r = {0};
    const char *extra[] = {"--rate-limit", "0", NULL};
    assert_int_equal(relay_start(&r, "durable.db", extra), 0);
    char claims[N][37], ids[N][37];
    for (int i = 0; i < N; i++) {
        char data[32];
        snprintf(data, sizeof data, "ZHVyYWJsZS0%03d=", i);
        th_uuid(claims[i]);
        char *b = create_with_token("T", data, NULL, NULL);
        assert_int_equal(th_create(&r, claims[i], b, ids[i]), 200);
        free(b);
        if (i % 3 == 0) {
            char upd[128];
            snprintf(upd, sizeof upd, "{\"payload\":{\"type\":\"T\",\"data\":\"dXBkYXRlZC0%03d=\"}}", i);
            assert_int_equal(th_update(&r, ids[i], claims[i], NULL, upd), 200);
        }
    }
    relay_kill9(&r);
    assert_int_equal(relay_start(&r, "durable.db", extra), 0);
    for (int i = 0; i < N; i++) {
        hresp h;
        assert_int_equal(th_read(&r, ids[i], claims[i], &h), 200);
        char want[64];
        if (i % 3 == 0)
            snprintf(want, sizeof want, "\"data\":\"dXBkYXRlZC0%03d=\"", i);
        else
            snprintf(want, sizeof want, "\"data\":\"ZHVyYWJsZS0%03d=\"", i);
        if (strstr(h.body, want) == NULL)
            fail_msg("mailbox %d lost its acknowledged payload", i);
        hresp_free(&h);
    }
    assert_int_equal(relay_stop(&r), 0);
}

/* ---- VAPID (RFC 8292) ---- */

/* base64url without padding -> bytes; the length, or -1 when malformed. */
static long b64url_decode(const char *in, size_t n, unsigned char *out, size_t cap)
{
    static const char al[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    unsigned long acc = 0;
    int bits = 0;
    size_t o = 0;
    if (n % 4 == 1)
        return -1;
    for (size_t i = 0; i < n; i++) {
        const char *q = in[i] != '\0' ? strchr(al, in[i]) : NULL;
        if (q == NULL)
            return -1;
        acc = (acc << 6) | (unsigned long)(q - al);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (o == cap)
                return -1;
            out[o++] = (unsigned char)(acc >> bits);
        }
    }
    return (long)o;
}

/* The EC P-256 public key of a 65-byte uncompressed point (SubjectPublicKeyInfo in DER). */
static EVP_PKEY *p256_public(const unsigned char pt[65])
{
    static const unsigned char spki[26] = {
        0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01,
        0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00};
    unsigned char der[91];
    memcpy(der, spki, sizeof spki);
    memcpy(der + sizeof spki, pt, 65);
    const unsigned char *p = der;
    return d2i_PUBKEY(NULL, &p, sizeof der);
}

/* What a push service checks (RFC 8292): "vapid t=<JWT>, k=<key>", k the key the relay
 * publishes, an ES256 JWT signed with it, aud this receiver's origin, exp in the future and
 * at most 24 h ahead, sub as configured. NULL when valid, else what is wrong. */
static const char *vapid_verify(const char *auth, const char *pub, const char *sub)
{
    if (strncmp(auth, "vapid ", 6) != 0)
        return "not the vapid scheme";
    char t[900] = "", k[128] = "";
    char tmp[1024];
    snprintf(tmp, sizeof tmp, "%s", auth + 6);
    char *save = NULL;
    for (char *param = strtok_r(tmp, ",", &save); param != NULL;
         param = strtok_r(NULL, ",", &save)) {
        while (*param == ' ')
            param++;
        if (strncmp(param, "t=", 2) == 0)
            snprintf(t, sizeof t, "%s", param + 2);
        else if (strncmp(param, "k=", 2) == 0)
            snprintf(k, sizeof k, "%s", param + 2);
    }
    if (t[0] == '\0' || k[0] == '\0')
        return "t or k missing";
    if (strcmp(k, pub) != 0)
        return "k is not the published key";
    unsigned char pt[80];
    if (b64url_decode(k, strlen(k), pt, sizeof pt) != 65 || pt[0] != 0x04)
        return "k is not an uncompressed P-256 point";
    char *dot1 = strchr(t, '.'), *dot2 = dot1 != NULL ? strchr(dot1 + 1, '.') : NULL;
    if (dot2 == NULL || strchr(dot2 + 1, '.') != NULL)
        return "JWT is not three parts";
    unsigned char hdr[256], cl[512], sig[80];
    long hl = b64url_decode(t, (size_t)(dot1 - t), hdr, sizeof hdr - 1);
    long cln = b64url_decode(dot1 + 1, (size_t)(dot2 - dot1 - 1), cl, sizeof cl - 1);
    long sl = b64url_decode(dot2 + 1, strlen(dot2 + 1), sig, sizeof sig);
    if (hl < 0 || cln < 0 || sl != 64)
        return "JWT part malformed";
    hdr[hl] = '\0';
    cl[cln] = '\0';
    cJSON *h = cJSON_Parse((const char *)hdr), *c = cJSON_Parse((const char *)cl);
    const cJSON *alg = cJSON_GetObjectItemCaseSensitive(h, "alg");
    const cJSON *typ = cJSON_GetObjectItemCaseSensitive(h, "typ");
    const cJSON *aud = cJSON_GetObjectItemCaseSensitive(c, "aud");
    const cJSON *exp = cJSON_GetObjectItemCaseSensitive(c, "exp");
    const cJSON *jsub = cJSON_GetObjectItemCaseSensitive(c, "sub");
    char origin[64];
    snprintf(origin, sizeof origin, "https://127.0.0.1:%u", g_rx_port);
    double now = (double)time(NULL);
    const char *why = NULL;
    if (!cJSON_IsString(alg) || strcmp(alg->valuestring, "ES256") != 0 || !cJSON_IsString(typ) ||
        strcmp(typ->valuestring, "JWT") != 0)
        why = "JWT header is not typ JWT, alg ES256";
    else if (!cJSON_IsString(aud) || strcmp(aud->valuestring, origin) != 0)
        why = "aud is not this push service's origin";
    else if (!cJSON_IsNumber(exp) || exp->valuedouble <= now || exp->valuedouble > now + 86400)
        why = "exp not in (now, now + 24 h]";
    else if (!cJSON_IsString(jsub) || strcmp(jsub->valuestring, sub) != 0)
        why = "sub is not the configured one";
    cJSON_Delete(h);
    cJSON_Delete(c);
    if (why != NULL)
        return why;
    /* ES256: raw r||s -> DER, verified over "header.claims". */
    ECDSA_SIG *es = ECDSA_SIG_new();
    ECDSA_SIG_set0(es, BN_bin2bn(sig, 32, NULL), BN_bin2bn(sig + 32, 32, NULL));
    unsigned char *der = NULL;
    int dl = i2d_ECDSA_SIG(es, &der);
    ECDSA_SIG_free(es);
    EVP_PKEY *key = p256_public(pt);
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    bool ok = dl > 0 && key != NULL && md != NULL &&
              EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, key) == 1 &&
              EVP_DigestVerify(md, der, (size_t)dl, (const unsigned char *)t,
                               (size_t)(dot2 - t)) == 1;
    EVP_MD_CTX_free(md);
    EVP_PKEY_free(key);
    OPENSSL_free(der);
    return ok ? NULL : "signature does not verify";
}

/* GET /v1/vapid: the publicKey into out ("" on 404); the status. */
static long get_vapid_key(const relay_proc *r, char *out, size_t cap)
{
    hreq q = {.method = "GET", .path = "/v1/vapid"};
    hresp h;
    http_do(r, &q, &h);
    long st = h.status;
    out[0] = '\0';
    cJSON *j = h.body != NULL ? cJSON_Parse(h.body) : NULL;
    const cJSON *k = cJSON_GetObjectItemCaseSensitive(j, "publicKey");
    if (cJSON_IsString(k))
        snprintf(out, cap, "%s", k->valuestring);
    cJSON_Delete(j);
    hresp_free(&h);
    return st;
}

/* One push from relay r to /push/<name> on the receiver (an Update by the Recipient of a
 * mailbox whose Initiator has that webpush token); the pushes received so far then. */
static int push_once(const relay_proc *r, const char *name, int before)
{
    char ini[37], rec[37], id[37], url[160];
    snprintf(url, sizeof url, "https://127.0.0.1:%u/push/%s", g_rx_port, name);
    webpush_mailbox(r, url, ini, rec, id);
    assert_int_equal(th_update(r, id, rec, NULL, "{\"payload\":{\"type\":\"T\",\"data\":\"AA\"}}"),
                     200);
    return wait_pushes(before + 1);
}

static void make_key(const char *curve, const char *path)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "openssl ecparam -name %s -genkey -noout -out '%s' 2>/dev/null",
             curve, path);
    assert_int_equal(system(cmd), 0);
}

/* RFC 8292: with --vapid-key/--vapid-subject every webpush request carries a vapid
 * Authorization the push service verifies with the key published at GET /v1/vapid (ES256 JWT,
 * aud its origin, exp within 24 h, sub); the JWT is reused for the same origin. A relay without
 * VAPID sends none (and such a push service refuses it: 401, not retried); its /v1/vapid is 404. */
static void test_relay__vapid_push_verified(void **state)
{
    (void)state;
    char key[600], sub[] = "mailto:ops@relay.example", pub[128];
    snprintf(key, sizeof key, "%s/vapid.pem", th_dir());
    make_key("prime256v1", key);
    relay_proc rv = {0};
    const char *extra[] = {"--rate-limit", "0", "--push-allow", "127.0.0.1", "--push-ca",
                           th_ca(), "--vapid-key", key, "--vapid-subject", sub, NULL};
    assert_int_equal(relay_start(&rv, "vapid.db", extra), 0);
    assert_int_equal(get_vapid_key(&rv, pub, sizeof pub), 200);
    unsigned char pt[80];
    assert_int_equal(b64url_decode(pub, strlen(pub), pt, sizeof pt), 65);
    assert_int_equal(pt[0], 0x04);
    assert_int_equal(get_vapid_key(&g_r, g_vapid_pub, sizeof g_vapid_pub), 404);

    reset_pushes();
    pthread_mutex_lock(&g_lock);
    g_vapid_on = true;
    snprintf(g_vapid_pub, sizeof g_vapid_pub, "%s", pub);
    snprintf(g_vapid_sub, sizeof g_vapid_sub, "%s", sub);
    pthread_mutex_unlock(&g_lock);
    assert_int_equal(push_once(&rv, "vapid-1", 0), 1);
    assert_int_equal(push_once(&rv, "vapid-2", 1), 2);
    pthread_mutex_lock(&g_lock);
    push_rec a = g_pushes[0], b = g_pushes[1];
    pthread_mutex_unlock(&g_lock);
    print_message("Authorization: %.60s...\n", a.auth);
    const char *why = vapid_verify(a.auth, pub, sub);
    if (why != NULL)
        fail_msg("the relay's VAPID header does not verify: %s", why);
    assert_int_equal(a.status, 201);
    assert_int_equal(b.status, 201);
    assert_string_equal(a.auth, b.auth);           /* cached for the origin */
    assert_true(atoi(a.ttl) > 0);
    assert_string_equal(a.urgency, "high");

    /* The verifier refuses what is not right: another subject, a tampered claim, a foreign
     * key, another scheme. */
    assert_non_null(vapid_verify(a.auth, pub, "mailto:someone@else.example"));
    char bad[1024];
    snprintf(bad, sizeof bad, "%s", a.auth);
    char *claims = strchr(bad, '.');
    assert_non_null(claims);
    claims[3] = claims[3] == 'A' ? 'B' : 'A';
    assert_non_null(vapid_verify(bad, pub, sub));
    snprintf(bad, sizeof bad, "%s", a.auth);
    char *sig = strrchr(strstr(bad, "t="), '.');
    sig[5] = sig[5] == 'A' ? 'B' : 'A';
    assert_non_null(vapid_verify(bad, pub, sub));
    char other[128];
    snprintf(other, sizeof other, "%s", pub);
    other[10] = other[10] == 'A' ? 'B' : 'A';
    assert_non_null(vapid_verify(a.auth, other, sub));
    assert_non_null(vapid_verify("WebPush abc", pub, sub));

    /* A relay whose key is not the one the push service knows: refused (403), not retried. */
    pthread_mutex_lock(&g_lock);
    snprintf(g_vapid_pub, sizeof g_vapid_pub, "%s", other);
    pthread_mutex_unlock(&g_lock);
    assert_int_equal(push_once(&rv, "vapid-wrong", 2), 3);
    /* No VAPID at all (g_r): no Authorization header; refused with 401. */
    assert_int_equal(push_once(&g_r, "no-vapid", 3), 4);
    rf_sleep_ms(1500);                             /* a retry would have come by now */
    pthread_mutex_lock(&g_lock);
    int n = g_npush;
    push_rec w = g_pushes[2], nv = g_pushes[3];
    g_vapid_on = false;
    pthread_mutex_unlock(&g_lock);
    assert_int_equal(n, 4);
    assert_int_equal(w.status, 403);
    assert_string_equal(nv.path, "/push/no-vapid");
    assert_string_equal(nv.auth, "");
    assert_int_equal(nv.status, 401);
    assert_int_equal(relay_stop(&rv), 0);
    const char *leak = th_file_leaks(rv.log_path);
    if (leak != NULL)
        fail_msg("the VAPID relay's log contains %.40s", leak);
}

/* A VAPID configuration that cannot work stops the relay at start with exit 64 and a message:
 * an unreadable key, a key on another curve, a file that is no key, a bad subject, a key
 * without a subject. */
static void test_relay__vapid_bad_config_exit(void **state)
{
    (void)state;
    char p384[600], missing[600];
    snprintf(p384, sizeof p384, "%s/vapid384.pem", th_dir());
    snprintf(missing, sizeof missing, "%s/no-such-key.pem", th_dir());
    make_key("secp384r1", p384);
    char good[600];
    snprintf(good, sizeof good, "%s/vapid-good.pem", th_dir());
    make_key("prime256v1", good);
    const struct { const char *key, *sub, *msg; } cases[] = {
        {missing, "mailto:ops@relay.example", "cannot read --vapid-key"},
        {p384, "mailto:ops@relay.example", "not a PEM EC P-256"},
        {th_ca(), "mailto:ops@relay.example", "not a PEM EC P-256"},
        {good, "ops@relay.example", "--vapid-subject must be"},
        {good, "http://relay.example/contact", "--vapid-subject must be"},
        {good, "mailto:", "--vapid-subject must be"},
        {good, NULL, "go together"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        relay_proc r = {0};
        snprintf(r.log_path, sizeof r.log_path, "%s/vapid-bad-%zu.log", th_dir(), i);
        const char *extra[] = {"--vapid-key", cases[i].key, cases[i].sub != NULL ?
                               "--vapid-subject" : NULL, cases[i].sub, NULL};
        int rc = relay_start(&r, "vapid-bad.db", extra);
        if (rc != 64)
            fail_msg("case %zu: exit %d, expected 64", i, rc);
        if (!th_file_contains(r.log_path, cases[i].msg))
            fail_msg("case %zu: no `%s` on stderr", i, cases[i].msg);
    }
}

/* The push relay's log names no token, claim or payload either (R35 for push paths). */
static void test_relay__R35_push_log_audit(void **state)
{
    (void)state;
    const char *leak = th_file_leaks(g_r.log_path);
    if (leak != NULL)
        fail_msg("the relay log contains %.40s", leak);
    assert_false(th_file_contains(g_r.log_path, "127.0.0.1"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_relay__R37_push_to_other_party_only),
        cmocka_unit_test(test_relay__R38_push_is_content_free),
        cmocka_unit_test(test_relay__R39_push_supported_flag),
        cmocka_unit_test(test_relay__push_ssrf_refused),
        cmocka_unit_test(test_relay__push_retry_and_gone),
        cmocka_unit_test(test_relay__R37_push_gone_cleared_in_store),
        cmocka_unit_test(test_relay__push_userinfo_token_rejected),
        cmocka_unit_test(test_relay__push_smuggled_userinfo_never_connects),
        cmocka_unit_test(test_relay__push_tarpit_does_not_delay_others),
        cmocka_unit_test(test_relay__longpoll_update_and_timeout),
        cmocka_unit_test(test_relay__longpoll_holds_no_worker_thread),
        cmocka_unit_test(test_relay__durability_kill9),
        cmocka_unit_test(test_relay__vapid_push_verified),
        cmocka_unit_test(test_relay__vapid_bad_config_exit),
        cmocka_unit_test(test_relay__R35_push_log_audit),
    };
    return cmocka_run_group_tests_name("relay push, long-poll, durability", tests, group_setup,
                                       group_teardown);
}
