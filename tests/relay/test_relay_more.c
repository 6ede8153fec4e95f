/*
 * tests/relay/test_relay_more.c: conformance of tigress-relay, part 2 (docs/requirements.md
 * R29-R36, R40-R42) plus the extra cases: racing first-claim binding, malformed input of
 * every kind (mailbox untouched), preview never binds, 405/415, start-up exit codes, --config and
 * --help. R35 (the log audit) runs last, over everything this suite made the relay do.
 */
#define _DEFAULT_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "relay_harness.h"

static relay_proc g_r;
static const char *const g_extra[] = {"--rate-limit", "0", "--metrics-listen", "127.0.0.1:0",
                                      "--public-url", "https://relay.example.test", NULL};

static int group_setup(void **state)
{
    (void)state;
    if (th_init() != 0)
        return -1;
    return relay_start(&g_r, "more.db", g_extra) == 0 ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void)state;
    int rc = relay_stop(&g_r);
    th_cleanup();
    return rc == 0 ? 0 : -1;
}

static void new_mailbox_b(const char *body, char claim[37], char id[37])
{
    th_uuid(claim);
    assert_int_equal(th_create(&g_r, claim, body, id), 200);
}

static void new_mailbox(char claim[37], char id[37])
{
    char exp[32];
    th_rfc3339(3600, exp);
    char *b = th_create_body("XSALSA20_POLY1305", "c2VjcmV0LXBheWxvYWQ=", "Room key", "RWD", exp,
                             NULL, NULL);
    th_remember("c2VjcmV0LXBheWxvYWQ=");
    new_mailbox_b(b, claim, id);
    free(b);
}

static long req(const relay_proc *r, const char *method, const char *id, const char *claim,
                const char *rid, const char *body, hresp *out)
{
    char path[128];
    snprintf(path, sizeof path, "/v1/m/%s", id);
    hreq q = {.method = method, .path = path, .claim = claim, .rid = rid, .body = body};
    hresp h;
    http_do(r, &q, &h);
    long st = h.status;
    if (out != NULL)
        *out = h;
    else
        hresp_free(&h);
    return st;
}

static void get_preview(const char *id, hresp *h)
{
    char path[128];
    snprintf(path, sizeof path, "/v1/m/%s", id);
    hreq q = {.method = "GET", .path = path, .extra = {"Host: evil.example"}};
    http_do(&g_r, &q, h);
}

/* R29: the preview needs no claim and is text/html with OpenGraph tags from displayInformation;
 * og:url comes from --public-url, never from the Host header. */
static void test_relay__R29_preview_opengraph(void **state)
{
    (void)state;
    char exp[32], claim[37], id[37];
    th_rfc3339(3600, exp);
    char *b = th_create_body("T", "AAAA", "Hotel <Pass> & \\\"Suite\\\"", "RWD", exp, NULL, NULL);
    new_mailbox_b(b, claim, id);
    free(b);
    hresp h;
    get_preview(id, &h);
    assert_int_equal(h.status, 200);
    assert_string_equal(h.ctype, "text/html; charset=utf-8");
    assert_non_null(strstr(h.body, "<meta property=\"og:title\" content=\"Hotel &lt;Pass&gt; "
                                   "&amp; &quot;Suite&quot;\">"));
    assert_non_null(strstr(h.body, "<title>Hotel &lt;Pass&gt; &amp; &quot;Suite&quot;</title>"));
    assert_non_null(strstr(h.body, "<meta property=\"og:description\" content=\"A key for room 12\">"));
    assert_non_null(strstr(h.body, "<meta property=\"og:image\" content=\"https://img.example.com/key.png\">"));
    assert_non_null(strstr(h.body, "<meta property=\"og:image:width\" content=\""));
    assert_non_null(strstr(h.body, "<meta property=\"og:image:height\" content=\""));
    assert_non_null(strstr(h.body, "<meta property=\"og:type\" content=\"website\">"));
    char want[160];
    snprintf(want, sizeof want, "<meta property=\"og:url\" content=\"https://relay.example.test/v1/m/%s\">", id);
    assert_non_null(strstr(h.body, want));
    assert_null(strstr(h.body, "evil.example"));
    hresp_free(&h);
}

/* R30: preview of an unknown or malformed ID -> 404. */
static void test_relay__R30_preview_unknown_404(void **state)
{
    (void)state;
    char id[37];
    th_uuid(id);
    hresp h;
    get_preview(id, &h);
    assert_int_equal(h.status, 404);
    hresp_free(&h);
    get_preview("not-a-mailbox", &h);
    assert_int_equal(h.status, 404);
    hresp_free(&h);
}

static bool has_script(const char *s)
{
    for (; *s; s++)
        if (strncasecmp(s, "<script", 7) == 0)
            return true;
    return false;
}

/* R31: no script at all (whatever the fields hold), a strict CSP and the other headers; the
 * page shows the expiry in UTC and tells the person to use their phone or wallet app. */
static void test_relay__R31_preview_no_script(void **state)
{
    (void)state;
    char exp[32], claim[37], id[37];
    th_rfc3339(3600, exp);
    char body[1024];
    snprintf(body, sizeof body,
        "{\"payload\":{\"type\":\"T\",\"data\":\"AAAA\"},\"displayInformation\":{\"title\":"
        "\"<script>alert(1)</script>\",\"description\":\"<SCRIPT src=//x.example/a.js>\","
        "\"imageURL\":\"https://x.example/a.png\\\"><script>alert(2)</script>\"},"
        "\"mailboxConfiguration\":{\"accessRights\":\"RWD\",\"expiration\":\"%s\"}}", exp);
    new_mailbox_b(body, claim, id);
    hresp h;
    get_preview(id, &h);
    assert_int_equal(h.status, 200);
    assert_false(has_script(h.body));
    assert_non_null(strstr(h.body, "&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert_string_equal(h.csp, "default-src 'none'; img-src https:; style-src 'unsafe-inline'");
    assert_string_equal(h.nosniff, "nosniff");
    assert_string_equal(h.referrer, "no-referrer");
    assert_string_equal(h.cache, "no-store");
    char human[32];
    snprintf(human, sizeof human, "%.10s %.5s UTC", exp, exp + 11);
    assert_non_null(strstr(h.body, human));
    assert_non_null(strstr(h.body, "phone"));
    assert_non_null(strstr(h.body, "wallet app"));
    hresp_free(&h);
}

/* R32: relinquish by the Recipient -> 200; a new claim can bind; the old one is then 401. */
static void test_relay__R32_relinquish_rebind(void **state)
{
    (void)state;
    char ini[37], id[37], rec[37], rec2[37], rid[37];
    new_mailbox(ini, id);
    th_uuid(rec);
    th_uuid(rec2);
    th_uuid(rid);
    assert_int_equal(th_read(&g_r, id, rec, NULL), 200);
    assert_int_equal(th_read(&g_r, id, rec2, NULL), 401);
    assert_int_equal(req(&g_r, "PATCH", id, rec, rid, NULL, NULL), 200);
    assert_int_equal(th_read(&g_r, id, rec2, NULL), 200);
    assert_int_equal(th_read(&g_r, id, rec, NULL), 401);
}

/* R33: relinquish by the Initiator, an unbound claim, or with nobody bound -> 401; unknown 404. */
static void test_relay__R33_relinquish_errors(void **state)
{
    (void)state;
    char ini[37], id[37], rec[37], other[37], none[37], rid[37];
    new_mailbox(ini, id);
    th_uuid(rec);
    th_uuid(other);
    th_uuid(none);
    th_uuid(rid);
    assert_int_equal(req(&g_r, "PATCH", id, rec, rid, NULL, NULL), 401);   /* nobody bound */
    assert_int_equal(th_read(&g_r, id, rec, NULL), 200);
    th_uuid(rid);
    assert_int_equal(req(&g_r, "PATCH", id, ini, rid, NULL, NULL), 401);
    th_uuid(rid);
    assert_int_equal(req(&g_r, "PATCH", id, other, rid, NULL, NULL), 401);
    th_uuid(rid);
    assert_int_equal(req(&g_r, "PATCH", none, rec, rid, NULL, NULL), 404);
    assert_int_equal(th_read(&g_r, id, rec, NULL), 200);                    /* still bound */
}

static char *b64(const unsigned char *in, size_t n)
{
    static const char t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char *out = malloc((n + 2) / 3 * 4 + 1), *o = out;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < n ? (uint32_t)in[i + 1] << 8 : 0) |
                     (i + 2 < n ? in[i + 2] : 0);
        *o++ = t[v >> 18 & 63];
        *o++ = t[v >> 12 & 63];
        *o++ = i + 1 < n ? t[v >> 6 & 63] : '=';
        *o++ = i + 2 < n ? t[v & 63] : '=';
    }
    *o = '\0';
    return out;
}

/* R34: opaque ciphertext (random bytes) is stored and returned unchanged. */
static void test_relay__R34_opaque_random_data(void **state)
{
    (void)state;
    unsigned char raw[3000];
    assert_int_equal(getrandom(raw, sizeof raw, 0), (ssize_t)sizeof raw);
    char *data = b64(raw, sizeof raw);
    th_remember(data);
    char exp[32], claim[37], id[37], rec[37];
    th_rfc3339(3600, exp);
    char *b = th_create_body("AEAD_AES_128_GCM", data, "x", "RWD", exp, NULL, NULL);
    new_mailbox_b(b, claim, id);
    free(b);
    th_uuid(rec);
    hresp h;
    assert_int_equal(th_read(&g_r, id, rec, &h), 200);
    char *want = malloc(strlen(data) + 64);
    sprintf(want, "\"data\":\"%s\"", data);
    assert_non_null(strstr(h.body, want));
    hresp_free(&h);
    free(want);
    free(data);
}

/* R36: store and forward: the parties are never online together; a relay restart between
 * the Initiator's create and the Recipient's read loses nothing. */
static void test_relay__R36_store_and_forward(void **state)
{
    (void)state;
    char ini[37], id[37], rec[37];
    new_mailbox(ini, id);
    assert_int_equal(relay_stop(&g_r), 0);
    assert_int_equal(relay_start(&g_r, "more.db", g_extra), 0);
    th_uuid(rec);
    hresp h;
    assert_int_equal(th_read(&g_r, id, rec, &h), 200);
    assert_non_null(strstr(h.body, "c2VjcmV0LXBheWxvYWQ="));
    hresp_free(&h);
}

static bool utf8_ok(const unsigned char *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        unsigned c = s[i], k = c < 0x80 ? 0 : (c & 0xe0) == 0xc0 ? 1 : (c & 0xf0) == 0xe0 ? 2
                                              : (c & 0xf8) == 0xf0 ? 3 : 9;
        if (k == 9 || i + k >= n + (k == 0))
            return false;
        for (unsigned j = 1; j <= k; j++)
            if ((s[i + j] & 0xc0) != 0x80)
                return false;
        i += k + 1;
    }
    return true;
}

/* R40: JSON endpoints answer application/json, the preview text/html; all UTF-8; a body that
 * is not UTF-8 is refused. */
static void test_relay__R40_content_types_utf8(void **state)
{
    (void)state;
    char ini[37], id[37];
    new_mailbox(ini, id);
    hresp h;
    assert_int_equal(req(&g_r, "POST", id, ini, NULL, NULL, &h), 200);
    assert_string_equal(h.ctype, "application/json");
    assert_true(utf8_ok((unsigned char *)h.body, h.len));
    hresp_free(&h);
    assert_int_equal(req(&g_r, "PUT", id, ini, "r40", "{", &h), 400);
    assert_string_equal(h.ctype, "application/json");
    assert_non_null(strstr(h.body, "\"error\":\""));
    assert_non_null(strstr(h.body, "\"message\":\""));
    hresp_free(&h);
    get_preview(id, &h);
    assert_string_equal(h.ctype, "text/html; charset=utf-8");
    assert_true(utf8_ok((unsigned char *)h.body, h.len));
    hresp_free(&h);
    assert_int_equal(req(&g_r, "PUT", id, ini, "r40-2",
                         "{\"payload\":{\"type\":\"T\",\"data\":\"\xff\xfe\"}}", NULL), 400);
}

/* R41: no Mailbox-Request-ID is fine on the preview and the secure read, not on writes. */
static void test_relay__R41_request_id_optional_on_reads(void **state)
{
    (void)state;
    char ini[37], id[37], rec[37];
    new_mailbox(ini, id);
    th_uuid(rec);
    assert_int_equal(req(&g_r, "GET", id, NULL, NULL, NULL, NULL), 200);
    assert_int_equal(req(&g_r, "HEAD", id, NULL, NULL, NULL, NULL), 200);
    assert_int_equal(req(&g_r, "POST", id, rec, NULL, NULL, NULL), 200);
    assert_int_equal(req(&g_r, "PUT", id, ini, NULL, "{\"payload\":{\"type\":\"T\",\"data\":\"AA\"}}",
                         NULL), 400);
    assert_int_equal(req(&g_r, "PATCH", id, rec, NULL, NULL, NULL), 400);
    assert_int_equal(req(&g_r, "DELETE", id, ini, NULL, NULL, NULL), 400);
    char exp[32];
    th_rfc3339(600, exp);
    char *b = th_create_body("T", "AAAA", "x", "RWD", exp, NULL, NULL);
    hreq q = {.method = "POST", .path = "/v1/m", .claim = ini, .body = b};
    hresp h;
    http_do(&g_r, &q, &h);
    free(b);
    assert_int_equal(h.status, 400);
    hresp_free(&h);
    assert_int_equal(th_read(&g_r, id, ini, NULL), 200);     /* nothing was deleted */
}

/* R42: a body over --max-body -> 413 (declared or chunked); a flood -> 429 + Retry-After. */
static void test_relay__R42_size_and_rate_limits(void **state)
{
    (void)state;
    size_t n = 70000;
    char *big = malloc(n + 1);
    memset(big, 'A', n);
    memcpy(big, "{\"payload\":{\"type\":\"T\",\"data\":\"", 31);
    big[n] = '\0';
    char claim[37], rid[37];
    th_uuid(claim);
    th_uuid(rid);
    for (int chunked = 0; chunked < 2; chunked++) {
        hreq q = {.method = "POST", .path = "/v1/m", .rid = rid, .claim = claim, .body = big,
                  .chunked = chunked == 1};
        hresp h;
        http_do(&g_r, &q, &h);
        if (h.status != 413)
        {
            hresp_free(&h);
            free(big);
            fail_msg("chunked=%d: status %ld (curl %d)", chunked, h.status, h.curl_rc);
        }
        assert_string_equal(h.rid, rid);
        hresp_free(&h);
    }
    free(big);

    /* One token per 1000 s: no refill between these requests however slow the machine is
     * (a loaded machine or valgrind can take seconds per TLS handshake). */
    relay_proc r2 = {0};
    const char *extra[] = {"--rate-limit", "0.001", "--rate-burst", "2", NULL};
    assert_int_equal(relay_start(&r2, "rate.db", extra), 0);
    char id[37];
    th_uuid(id);
    long statuses[4];
    hresp last;
    memset(&last, 0, sizeof last);
    for (int i = 0; i < 4; i++) {
        char path[128];
        snprintf(path, sizeof path, "/v1/m/%s", id);
        hreq q = {.method = "GET", .path = path, .rid = rid};
        hresp h;
        http_do(&r2, &q, &h);
        statuses[i] = h.status;
        if (i == 3)
            last = h;
        else
            hresp_free(&h);
    }
    assert_int_equal(statuses[0], 404);
    assert_int_equal(statuses[1], 404);
    assert_int_equal(statuses[2], 429);
    assert_int_equal(statuses[3], 429);
    assert_true(atoi(last.retry_after) >= 1);
    assert_string_equal(last.rid, rid);
    assert_non_null(strstr(last.body, "\"error\":\"rate_limited\""));
    hresp_free(&last);
    /* A refused request with a body still gets its 429 (not a reset). */
    char exp[32];
    th_rfc3339(600, exp);
    char *b = th_create_body("T", "AAAA", "x", "RWD", exp, NULL, NULL);
    hreq c = {.method = "POST", .path = "/v1/m", .rid = rid, .claim = claim, .body = b};
    http_do(&r2, &c, &last);
    free(b);
    assert_int_equal(last.status, 429);
    assert_string_equal(last.rid, rid);
    hresp_free(&last);
    assert_int_equal(relay_stop(&r2), 0);
}

/* Sends `req` as is on a fresh plain-HTTP connection to 127.0.0.1:port and reads until the
 * relay closes it or a read waits for more than a few seconds (then *closed is false). The
 * response is NUL-terminated, malloc'd. */
static char *raw_exchange(unsigned port, const char *req, bool *closed)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    struct timeval tv = {.tv_sec = 3 * th_time_scale()};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    size_t n = strlen(req);
    assert_int_equal(send(fd, req, n, 0), (ssize_t)n);
    size_t cap = 8192, len = 0;
    char *buf = malloc(cap);
    assert_non_null(buf);
    *closed = false;
    for (;;) {
        if (len + 1 == cap) {
            cap *= 2;
            buf = realloc(buf, cap);
            assert_non_null(buf);
        }
        ssize_t k = recv(fd, buf + len, cap - len - 1, 0);
        if (k == 0)
            *closed = true;
        if (k <= 0)
            break;
        len += (size_t)k;
    }
    buf[len] = '\0';
    close(fd);
    return buf;
}

/* Two Content-Length headers that disagree make the request's framing ambiguous (request
 * smuggling: a proxy in front may have used the other one): 400 and the connection is closed,
 * whichever comes first; nothing is created and the leftover bytes are never read as a
 * request. Two identical ones are merged (RFC 9112) and accepted. */
static void test_relay__conflicting_content_length(void **state)
{
    (void)state;
    char store[600];
    snprintf(store, sizeof store, "%s/framing.db", th_dir());
    relay_proc r2 = {0};
    const char *args[] = {"--listen", "127.0.0.1:0", "--insecure-loopback", "--store", store,
                          "--rate-limit", "0", NULL};
    assert_int_equal(relay_start_raw(&r2, args), 0);
    static const char body[] = "{\"payload\":{\"type\":\"T\",\"data\":\"AA\"},\"displayInformation\":"
                               "{\"title\":\"\",\"description\":\"\",\"imageURL\":\"\"}}";
    const size_t blen = sizeof body - 1;
    for (int variant = 0; variant < 3; variant++) {
        char claim[37], req[1024];
        th_uuid(claim);
        size_t first = variant == 1 ? 5 : blen, second = variant == 0 ? 5 : blen;
        snprintf(req, sizeof req,
                 "%s /v1/m HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                 "Mailbox-Device-Claim: %s\r\nMailbox-Request-ID: cl-%d\r\n"
                 "Content-Length: %zu\r\nContent-Length: %zu\r\n%s\r\n%s",
                 "POST", claim, variant, first, second,
                 variant == 2 ? "Connection: close\r\n" : "", body);
        bool closed = false;
        char *resp = raw_exchange(r2.port, req, &closed);
        print_message("Content-Length %zu then %zu: %.40s (closed: %d)\n", first, second, resp,
                      closed);
        if (variant == 2) {
            if (strncmp(resp, "HTTP/1.1 200 ", 13) != 0)
                fail_msg("identical Content-Length headers: %s", resp);
        } else {
            const char *second_status = strstr(resp + 1, "HTTP/1.");
            if (strncmp(resp, "HTTP/1.1 400 ", 13) != 0 || strstr(resp, "urlLink") != NULL ||
                strstr(resp, "Content-Length headers") == NULL || second_status != NULL ||
                !closed)
                fail_msg("Content-Length %zu then %zu answered: %s", first, second, resp);
        }
        free(resp);
    }
    assert_int_equal(relay_stop(&r2), 0);
}

static double mono_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A read with a matching If-None-Match and the given Prefer header; returns the status and
 * the seconds it took. */
static long prefer_read(const char *id, const char *claim, const char *etag, const char *prefer,
                        double *secs)
{
    char path[128], inm[80], pf[160];
    snprintf(path, sizeof path, "/v1/m/%s", id);
    snprintf(inm, sizeof inm, "If-None-Match: %s", etag);
    snprintf(pf, sizeof pf, "Prefer: %s", prefer);
    hreq q = {.method = "POST", .path = path, .claim = claim, .extra = {inm, pf}};
    hresp h;
    double t0 = mono_now();
    http_do(&g_r, &q, &h);
    *secs = mono_now() - t0;
    long st = h.status;
    hresp_free(&h);
    print_message("Prefer: %s -> %ld after %.2f s\n", prefer, st, *secs);
    return st;
}

/* The Prefer header is a list of preferences (RFC 7240): only the preference named exactly
 * "wait" (any case) asks to be held. "nowait=20" or "x-wait=20" must not be read as wait=20;
 * "respond-async, WAIT = 1; p=v" asks for one second. */
static void test_relay__prefer_header_parsed(void **state)
{
    (void)state;
    char claim[37], id[37];
    new_mailbox(claim, id);
    hresp h;
    assert_int_equal(th_read(&g_r, id, claim, &h), 200);
    char etag[64];
    snprintf(etag, sizeof etag, "%s", h.etag);
    hresp_free(&h);
    double secs;
    static const char *const not_wait[] = {"nowait=20", "x-wait=20", "return=minimal; wait=20",
                                           "wait-for=20", "\"wait=20\""};
    for (size_t i = 0; i < sizeof not_wait / sizeof not_wait[0]; i++) {
        assert_int_equal(prefer_read(id, claim, etag, not_wait[i], &secs), 304);
        if (secs >= 8.0)
            fail_msg("'Prefer: %s' was held %.1f s as if it asked to wait", not_wait[i], secs);
    }
    assert_int_equal(prefer_read(id, claim, etag, "respond-async, WAIT = 1; p=v", &secs), 304);
    if (secs < 0.9)
        fail_msg("'Prefer: respond-async, WAIT = 1' was answered at once (%.2f s)", secs);
}

/* The per-address storage quota: with --max-mailboxes-per-address 2, a third mailbox created
 * from 127.0.0.1 within 24 hours gets 429 + Retry-After, while another address (127.0.0.2)
 * still can create. Refused bodies and duplicates (201) create nothing and do not count. */
static void test_relay__mailbox_quota_per_address(void **state)
{
    (void)state;
    relay_proc r2 = {0};
    const char *extra[] = {"--rate-limit", "0", "--max-mailboxes-per-address", "2", NULL};
    assert_int_equal(relay_start(&r2, "quota.db", extra), 0);
    char exp[32], claim[37], rid[37];
    th_rfc3339(600, exp);
    char *b = th_create_body("T", "AAAA", "x", "RWD", exp, NULL, NULL);
    th_uuid(claim);
    for (int i = 0; i < 3; i++)
        assert_int_equal(th_create(&r2, claim, "{\"payload\":{}}", NULL), 400);
    th_uuid(rid);
    hreq q = {.method = "POST", .path = "/v1/m", .rid = rid, .claim = claim, .body = b};
    hresp h;
    http_do(&r2, &q, &h);
    assert_int_equal(h.status, 200);
    hresp_free(&h);
    http_do(&r2, &q, &h);                     /* the same Request-ID again: a duplicate */
    assert_int_equal(h.status, 201);
    hresp_free(&h);
    char c2[37];
    th_uuid(c2);
    assert_int_equal(th_create(&r2, c2, b, NULL), 200);
    th_uuid(c2);
    th_uuid(rid);
    hreq q3 = {.method = "POST", .path = "/v1/m", .rid = rid, .claim = c2, .body = b};
    http_do(&r2, &q3, &h);
    print_message("third create from 127.0.0.1: %ld, Retry-After %s\n", h.status, h.retry_after);
    if (h.status != 429) {
        long st = h.status;
        hresp_free(&h);
        free(b);
        relay_stop(&r2);
        fail_msg("third create from one address: status %ld, expected 429", st);
    }
    assert_true(atol(h.retry_after) >= 1);
    assert_non_null(strstr(h.body, "\"error\":\"quota_exceeded\""));
    assert_string_equal(h.rid, rid);
    hresp_free(&h);
    /* Another client address is not affected. */
    th_uuid(rid);
    hreq q4 = {.method = "POST", .path = "/v1/m", .rid = rid, .claim = c2, .body = b,
               .local_addr = "127.0.0.2"};
    http_do(&r2, &q4, &h);
    print_message("create from 127.0.0.2: %ld (curl %d)\n", h.status, h.curl_rc);
    assert_int_equal(h.status, 200);
    hresp_free(&h);
    free(b);
    /* The store never sees the address. */
    assert_false(th_file_contains(r2.store_path, "127.0.0."));
    assert_int_equal(relay_stop(&r2), 0);
}

/* One Create with the given X-Forwarded-For (NULL: none) / Forwarded header; its status. */
static long create_forwarded(const relay_proc *r, const char *xff, const char *fwd)
{
    char exp[32], claim[37], rid[37], h1[128], h2[128];
    th_rfc3339(600, exp);
    char *b = th_create_body("T", "AAAA", "x", "RWD", exp, NULL, NULL);
    th_uuid(claim);
    th_uuid(rid);
    hreq q = {.method = "POST", .path = "/v1/m", .rid = rid, .claim = claim, .body = b};
    int k = 0;
    if (xff != NULL) {
        snprintf(h1, sizeof h1, "X-Forwarded-For: %s", xff);
        q.extra[k++] = h1;
    }
    if (fwd != NULL) {
        snprintf(h2, sizeof h2, "Forwarded: %s", fwd);
        q.extra[k++] = h2;
    }
    hresp h;
    http_do(r, &q, &h);
    long st = h.status;
    hresp_free(&h);
    free(b);
    return st;
}

/* --trusted-proxy: the per-address creation quota counts the forwarded client (the right-most
 * untrusted X-Forwarded-For / Forwarded hop) for requests from the proxy; without it (or from
 * any other peer) those headers are ignored. */
static void test_relay__trusted_proxy_quota(void **state)
{
    (void)state;
    relay_proc r2 = {0};
    const char *extra[] = {"--rate-limit", "0", "--max-mailboxes-per-address", "1",
                           "--trusted-proxy", "127.0.0.1/32,::1/128", NULL};
    assert_int_equal(relay_start(&r2, "proxy.db", extra), 0);
    assert_int_equal(create_forwarded(&r2, "198.51.100.1", NULL), 200);
    assert_int_equal(create_forwarded(&r2, "198.51.100.2", NULL), 200);
    assert_int_equal(create_forwarded(&r2, "198.51.100.2", NULL), 429);
    /* A hop prepended by the client does not change who it is. */
    assert_int_equal(create_forwarded(&r2, "203.0.113.50, 198.51.100.1", NULL), 429);
    /* The proxy's own hops are skipped; Forwarded (RFC 7239) is read too. */
    assert_int_equal(create_forwarded(&r2, "198.51.100.3, 127.0.0.1", NULL), 200);
    assert_int_equal(create_forwarded(&r2, NULL, "for=\"[2001:db8::3]:4711\";proto=https"), 200);
    assert_int_equal(create_forwarded(&r2, NULL, "for=2001:db8::3"), 429);
    /* No header, or a malformed one: the connection's address (127.0.0.1), once. */
    assert_int_equal(create_forwarded(&r2, NULL, NULL), 200);
    assert_int_equal(create_forwarded(&r2, "not-an-address", NULL), 429);
    assert_int_equal(relay_stop(&r2), 0);
    assert_false(th_file_contains(r2.store_path, "198.51.100."));

    /* Without --trusted-proxy the header is ignored: the second create from 127.0.0.1 is 429
     * whatever it says. */
    relay_proc r3 = {0};
    const char *plain[] = {"--rate-limit", "0", "--max-mailboxes-per-address", "1", NULL};
    assert_int_equal(relay_start(&r3, "noproxy.db", plain), 0);
    assert_int_equal(create_forwarded(&r3, "198.51.100.1", NULL), 200);
    assert_int_equal(create_forwarded(&r3, "198.51.100.2", NULL), 429);
    assert_int_equal(create_forwarded(&r3, NULL, "for=198.51.100.4"), 429);
    assert_int_equal(relay_stop(&r3), 0);

    /* A proxy list that does not hold the peer: ignored as well. */
    relay_proc r4 = {0};
    const char *other[] = {"--rate-limit", "0", "--max-mailboxes-per-address", "1",
                           "--trusted-proxy", "10.0.0.0/8", NULL};
    assert_int_equal(relay_start(&r4, "otherproxy.db", other), 0);
    assert_int_equal(create_forwarded(&r4, "198.51.100.1", NULL), 200);
    assert_int_equal(create_forwarded(&r4, "198.51.100.2", NULL), 429);
    assert_int_equal(relay_stop(&r4), 0);

    /* A malformed --trusted-proxy is a usage error. */
    relay_proc r5 = {0};
    const char *bad[] = {"--trusted-proxy", "10.0.0.0/33", NULL};
    assert_int_equal(relay_start(&r5, "badproxy.db", bad), 64);
}

/* 415 for a body that is not application/json; 405 for a method a route does not have. */
static void test_relay__415_and_405(void **state)
{
    (void)state;
    char ini[37], id[37], rid[37];
    new_mailbox(ini, id);
    th_uuid(rid);
    char exp[32];
    th_rfc3339(600, exp);
    char *b = th_create_body("T", "AAAA", "x", "RWD", exp, NULL, NULL);
    hreq q = {.method = "POST", .path = "/v1/m", .rid = rid, .claim = ini, .body = b,
              .ctype = "text/plain"};
    hresp h;
    http_do(&g_r, &q, &h);
    free(b);
    assert_int_equal(h.status, 415);
    hresp_free(&h);
    char path[128];
    snprintf(path, sizeof path, "/v1/m/%s", id);
    hreq u = {.method = "PUT", .path = path, .rid = rid, .claim = ini,
              .body = "{\"payload\":{\"type\":\"T\",\"data\":\"AA\"}}",
              .ctype = "application/x-www-form-urlencoded"};
    http_do(&g_r, &u, &h);
    assert_int_equal(h.status, 415);
    hresp_free(&h);
    hreq g = {.method = "GET", .path = "/v1/m"};
    http_do(&g_r, &g, &h);
    assert_int_equal(h.status, 405);
    assert_string_equal(h.allow, "POST");
    hresp_free(&h);
    hreq o = {.method = "OPTIONS", .path = path};
    http_do(&g_r, &o, &h);
    assert_int_equal(h.status, 405);
    assert_non_null(strstr(h.allow, "PATCH"));
    hresp_free(&h);
}

typedef struct racer {
    pthread_barrier_t *bar;
    const char *id;
    char claim[37];
    long status;
} racer;

static void *race_main(void *p)
{
    racer *r = p;
    pthread_barrier_wait(r->bar);
    r->status = th_read(&g_r, r->id, r->claim, NULL);
    return NULL;
}

/* Racing first-claim binding: 16 new claims read at once; exactly one binds (200). */
static void test_relay__racing_first_claim_binding(void **state)
{
    (void)state;
    enum { N = 16 };
    for (int round = 0; round < 3; round++) {
        char ini[37], id[37];
        new_mailbox(ini, id);
        pthread_barrier_t bar;
        pthread_barrier_init(&bar, NULL, N);
        racer rs[N];
        pthread_t t[N];
        for (int i = 0; i < N; i++) {
            rs[i].bar = &bar;
            rs[i].id = id;
            th_uuid(rs[i].claim);
            pthread_create(&t[i], NULL, race_main, &rs[i]);
        }
        int ok = 0, denied = 0, winner = -1;
        for (int i = 0; i < N; i++) {
            pthread_join(t[i], NULL);
            if (rs[i].status == 200) {
                ok++;
                winner = i;
            } else if (rs[i].status == 401) {
                denied++;
            }
        }
        pthread_barrier_destroy(&bar);
        assert_int_equal(ok, 1);
        assert_int_equal(denied, N - 1);
        assert_int_equal(th_read(&g_r, id, rs[winner].claim, NULL), 200);
        assert_int_equal(th_read(&g_r, id, rs[(winner + 1) % N].claim, NULL), 401);
    }
}

/* Malformed JSON and headers of every kind: 400/401 and the mailbox untouched (same version,
 * same payload, nobody bound). */
static void test_relay__malformed_input_mailbox_untouched(void **state)
{
    (void)state;
    char ini[37], id[37], rid[37];
    new_mailbox(ini, id);
    const char *bad_updates[] = {
        "", "{", "[]", "null", "\"str\"", "42", "{}x", "{\"payload\":\"x\"}",
        "{\"payload\":{\"type\":1,\"data\":\"AA\"}}", "{\"payload\":{\"type\":\"T\",\"data\":7}}",
        "{\"payload\":{\"type\":\"\",\"data\":\"AA\"}}", "{\"payload\":{\"type\":\"T\"}}",
        "{\"payload\":{\"type\":\"T\",\"data\":\"AA\"},\"notificationToken\":\"x\"}",
        "{\"payload\":{\"type\":\"T\",\"data\":\"AA\"},\"notificationToken\":{\"type\":\"webpush\","
        "\"tokenData\":\"http://push.example/x\"}}",
        "{\"payload\":{\"type\":\"T\",\"data\":\"AA\"},\"notificationToken\":{\"type\":\"x\"}}",
        "{\"payload\":{\"type\":\"T\",\"data\":\"AA\"}", "\xef\xbb\xbf{}",
    };
    for (size_t i = 0; i < sizeof bad_updates / sizeof bad_updates[0]; i++) {
        th_uuid(rid);
        long st = req(&g_r, "PUT", id, ini, rid, bad_updates[i][0] ? bad_updates[i] : NULL, NULL);
        if (st != 400)
            fail_msg("update body %zu: status %ld", i, st);
    }
    const char *bad_claims[] = {"", "x", "00000000000000000000000000000000",
                                "{00000000-0000-4000-8000-000000000000}", NULL};
    for (size_t i = 0; i < sizeof bad_claims / sizeof bad_claims[0]; i++) {
        th_uuid(rid);
        const char *upd = "{\"payload\":{\"type\":\"T\",\"data\":\"QkFE\"}}";
        if (req(&g_r, "PUT", id, bad_claims[i], rid, upd, NULL) != 401 ||
            req(&g_r, "POST", id, bad_claims[i], NULL, NULL, NULL) != 401 ||
            req(&g_r, "DELETE", id, bad_claims[i], rid, NULL, NULL) != 401 ||
            req(&g_r, "PATCH", id, bad_claims[i], rid, NULL, NULL) != 401)
            fail_msg("claim %zu not refused with 401", i);
    }
    char longrid[200];
    memset(longrid, 'r', sizeof longrid - 1);
    longrid[sizeof longrid - 1] = '\0';
    assert_int_equal(req(&g_r, "PUT", id, ini, longrid,
                         "{\"payload\":{\"type\":\"T\",\"data\":\"QkFE\"}}", NULL), 400);
    assert_int_equal(req(&g_r, "POST", id, ini, NULL, "{\"notificationToken\":5}", NULL), 400);
    assert_int_equal(req(&g_r, "POST", id, ini, NULL, "[1,2]", NULL), 400);
    /* Bad Create bodies create nothing (checked through /metrics). */
    long before = th_metric(&g_r, "tigress_relay_mailboxes_live");
    char exp[32], past[32];
    th_rfc3339(600, exp);
    th_rfc3339(-600, past);
    char *creates[6];
    creates[0] = th_create_body("T", "AA", "x", "RX", exp, NULL, NULL);
    creates[1] = th_create_body("T", "AA", "x", "RR", exp, NULL, NULL);
    creates[2] = th_create_body("T", "AA", "x", "", exp, NULL, NULL);
    creates[3] = th_create_body("T", "AA", "x", "RWD", past, NULL, NULL);
    char title[300];
    memset(title, 't', 257);
    title[257] = '\0';
    creates[4] = th_create_body("T", "AA", title, "RWD", exp, NULL, NULL);
    creates[5] = strdup("{\"payload\":{\"type\":\"T\",\"data\":\"AA\"},\"displayInformation\":"
                        "{\"title\":\"t\",\"description\":\"d\",\"imageURL\":\"http://x/y.png\"}}");
    for (int i = 0; i < 6; i++) {
        char c[37], nid[37];
        th_uuid(c);
        long st = th_create(&g_r, c, creates[i], nid);
        if (st != 400)
            fail_msg("create body %d: status %ld", i, st);
        free(creates[i]);
    }
    assert_int_equal(th_metric(&g_r, "tigress_relay_mailboxes_live"), before);
    /* Untouched: version 1, original payload, and a new claim can still bind. */
    hresp h;
    assert_int_equal(th_read(&g_r, id, ini, &h), 200);
    assert_string_equal(h.etag, "\"1\"");
    assert_non_null(strstr(h.body, "c2VjcmV0LXBheWxvYWQ="));
    hresp_free(&h);
    char rec[37];
    th_uuid(rec);
    assert_int_equal(th_read(&g_r, id, rec, NULL), 200);
}

/* The preview never binds or consumes: 20 GETs and 5 HEADs, then a Recipient still binds. */
static void test_relay__preview_never_binds(void **state)
{
    (void)state;
    char ini[37], id[37], rec[37], late[37];
    new_mailbox(ini, id);
    for (int i = 0; i < 25; i++)
        assert_int_equal(req(&g_r, i < 20 ? "GET" : "HEAD", id, NULL, NULL, NULL, NULL), 200);
    th_uuid(rec);
    th_uuid(late);
    hresp h;
    assert_int_equal(th_read(&g_r, id, rec, &h), 200);
    assert_string_equal(h.etag, "\"1\"");
    hresp_free(&h);
    assert_int_equal(th_read(&g_r, id, late, NULL), 401);
}

static int write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (f == NULL)
        return -1;
    fputs(text, f);
    return fclose(f);
}

/* Start-up failures have distinct exit codes: 64 usage (an option missing its value too),
 * 65 config file, 66 TLS, 69 listen, 70 store; a valid --config file works; --max-expiry
 * below the default expiry is accepted when --default-expiry is not given. */
static void test_relay__startup_exit_codes(void **state)
{
    (void)state;
    relay_proc r = {0};
    char busy[64], path[600], garbage[600], store[600], conf[600], text[2048];
    snprintf(busy, sizeof busy, "127.0.0.1:%u", g_r.port);
    const char *in_use[] = {"--listen", busy, "--cert", th_cert(), "--key", th_key(),
                            "--store", ":memory:", NULL};
    assert_int_equal(relay_start_raw(&r, in_use), 69);
    snprintf(path, sizeof path, "%s/missing.pem", th_dir());
    const char *no_cert[] = {"--listen", "127.0.0.1:0", "--cert", path, "--key", th_key(),
                             "--store", ":memory:", NULL};
    assert_int_equal(relay_start_raw(&r, no_cert), 66);
    snprintf(garbage, sizeof garbage, "%s/garbage.pem", th_dir());
    assert_int_equal(write_file(garbage, "-----BEGIN CERTIFICATE-----\nnot base64\n"
                                         "-----END CERTIFICATE-----\n"), 0);
    const char *bad_cert[] = {"--listen", "127.0.0.1:0", "--cert", garbage, "--key", th_key(),
                              "--store", ":memory:", NULL};
    assert_int_equal(relay_start_raw(&r, bad_cert), 66);
    /* A key that does not belong to the certificate. */
    char other_key[600], cmd[1400];
    snprintf(other_key, sizeof other_key, "%s/other.key", th_dir());
    snprintf(cmd, sizeof cmd, "openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 "
             "-out '%s' >/dev/null 2>&1", other_key);
    assert_int_equal(system(cmd), 0);
    const char *mismatch[] = {"--listen", "127.0.0.1:0", "--cert", th_cert(), "--key", other_key,
                              "--store", ":memory:", NULL};
    assert_int_equal(relay_start_raw(&r, mismatch), 66);
    const char *bad_store[] = {"--listen", "127.0.0.1:0", "--cert", th_cert(), "--key", th_key(),
                               "--store", "/nonexistent-dir/x/relay.db", NULL};
    assert_int_equal(relay_start_raw(&r, bad_store), 70);
    const char *bad_opt[] = {"--no-such-option", NULL};
    assert_int_equal(relay_start_raw(&r, bad_opt), 64);
    const char *bad_val[] = {"--max-body", "lots", NULL};
    assert_int_equal(relay_start_raw(&r, bad_val), 64);
    const char *bad_level[] = {"--log-level", "chatty", NULL};
    assert_int_equal(relay_start_raw(&r, bad_level), 64);
    /* An option without its value is a usage error, never silently ignored (--config used
     * to be), nor a swallowed next option. */
    const char *no_conf_val[] = {"--listen", "127.0.0.1:0", "--cert", th_cert(), "--key",
                                 th_key(), "--store", ":memory:", "--config", NULL};
    assert_int_equal(relay_start_raw(&r, no_conf_val), 64);
    assert_true(th_file_contains(r.log_path, "option `--config` needs a value"));
    const char *conf_then_opt[] = {"--config", "--listen", "127.0.0.1:0", NULL};
    assert_int_equal(relay_start_raw(&r, conf_then_opt), 64);
    const char *empty_conf[] = {"--config=", NULL};
    assert_int_equal(relay_start_raw(&r, empty_conf), 64);
    const char *no_body_val[] = {"--max-body", NULL};
    assert_int_equal(relay_start_raw(&r, no_body_val), 64);
    const char *store_then_opt[] = {"--listen", "127.0.0.1:0", "--cert", th_cert(), "--key",
                                    th_key(), "--store", "--max-body", "100", NULL};
    assert_int_equal(relay_start_raw(&r, store_then_opt), 64);
    /* --max-expiry alone lowers the unset default expiry to it; set above it, 64. */
    const char *short_max[] = {"--listen", "127.0.0.1:0", "--cert", th_cert(), "--key",
                               th_key(), "--store", ":memory:", "--max-expiry", "60", NULL};
    assert_int_equal(relay_start_raw(&r, short_max), 0);
    {
        char c60[37], id60[37];
        th_uuid(c60);
        char *b60 = th_create_body("T", "c2hvcnQ=", "x", "RWD", NULL, NULL, NULL);
        assert_non_null(b60);
        long st60 = th_create(&r, c60, b60, id60);   /* no mailboxConfiguration: default */
        free(b60);
        assert_int_equal(st60, 200);
        assert_int_equal(relay_stop(&r), 0);
    }
    const char *both_set[] = {"--listen", "127.0.0.1:0", "--cert", th_cert(), "--key", th_key(),
                              "--store", ":memory:", "--max-expiry", "60", "--default-expiry",
                              "120", NULL};
    assert_int_equal(relay_start_raw(&r, both_set), 64);
    snprintf(conf, sizeof conf, "%s/bad.conf", th_dir());
    assert_int_equal(write_file(conf, "listen = 127.0.0.1:0\nfrobnicate = 3\n"), 0);
    const char *bad_conf[] = {"--config", conf, NULL};
    assert_int_equal(relay_start_raw(&r, bad_conf), 65);
    snprintf(path, sizeof path, "%s/absent.conf", th_dir());
    const char *no_conf[] = {"--config", path, NULL};
    assert_int_equal(relay_start_raw(&r, no_conf), 65);
    /* A valid config file: everything from the file. */
    snprintf(store, sizeof store, "%s/conf.db", th_dir());
    snprintf(text, sizeof text,
             "# relay settings\nlisten = 127.0.0.1:0\ncert = %s\nkey = %s\nstore = %s\n"
             "max-body = 1000\nrate-limit = 0\n", th_cert(), th_key(), store);
    snprintf(conf, sizeof conf, "%s/good.conf", th_dir());
    assert_int_equal(write_file(conf, text), 0);
    const char *good[] = {"--config", conf, NULL};
    assert_int_equal(relay_start_raw(&r, good), 0);
    char claim[37], rid[37];
    th_uuid(claim);
    th_uuid(rid);
    char big[1200];
    memset(big, ' ', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    big[0] = '{';
    big[sizeof big - 2] = '}';
    hreq q = {.method = "POST", .path = "/v1/m", .rid = rid, .claim = claim, .body = big};
    hresp h;
    http_do(&r, &q, &h);
    assert_int_equal(h.status, 413);          /* max-body from the file applies */
    hresp_free(&h);
    assert_int_equal(relay_stop(&r), 0);
}

/* --help lists every option with its default and the exit codes. */
static void test_relay__help_lists_every_option(void **state)
{
    (void)state;
    char cmd[512];
    snprintf(cmd, sizeof cmd, "%s --help", RELAY_BIN);
    FILE *p = popen(cmd, "r");
    char buf[16384];
    size_t n = fread(buf, 1, sizeof buf - 1, p);
    buf[n] = '\0';
    assert_int_equal(pclose(p), 0);
    const char *opts[] = {"--listen", "--public-url", "--store", "--cert", "--key",
                          "--insecure-loopback", "--max-body", "--max-expiry", "--default-expiry",
                          "--rate-limit", "--rate-burst", "--max-connections", "--max-mailboxes-per-address",
                          "--connection-timeout", "--metrics-listen", "--sweep-interval",
                          "--log-level", "--push-gateway", "--push-allow", "--attestation",
                          "--vapid-key", "--vapid-subject", "--trusted-proxy",
                          "--config", "--help", "[default: 65536]", "[default: 604800]",
                          "[default: ./tigress-relay.db]", "[default: info]", "[default: none]",
                          "64", "65", "66", "69", "70"};
    for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++)
        if (strstr(buf, opts[i]) == NULL)
            fail_msg("--help does not mention %s", opts[i]);
    /* Every option line states its default. */
    int lines = 0;
    for (char *line = strtok(buf, "\n"); line != NULL; line = strtok(NULL, "\n")) {
        if (strncmp(line, "  --", 4) != 0 || strncmp(line, "  --config", 10) == 0 ||
            strncmp(line, "  --help", 8) == 0)
            continue;
        lines++;
        if (strstr(line, "[default: ") == NULL)
            fail_msg("no default in: %s", line);
    }
    assert_true(lines >= 22);
}

/* /metrics (Prometheus text) and /healthz on the separate loopback listener. */
static void test_relay__metrics_and_healthz(void **state)
{
    (void)state;
    assert_true(g_r.metrics_port != 0);
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%u/healthz", g_r.metrics_port);
    hreq q = {.method = "GET", .path = url};
    hresp h;
    http_do(&g_r, &q, &h);
    assert_int_equal(h.status, 200);
    assert_string_equal(h.body, "ok\n");
    hresp_free(&h);
    snprintf(url, sizeof url, "http://127.0.0.1:%u/metrics", g_r.metrics_port);
    hreq m = {.method = "GET", .path = url};
    http_do(&g_r, &m, &h);
    assert_int_equal(h.status, 200);
    assert_non_null(strstr(h.body, "# TYPE tigress_relay_requests_total counter\n"));
    assert_non_null(strstr(h.body, "# TYPE tigress_relay_mailboxes_live gauge\n"));
    hresp_free(&h);
    assert_true(th_metric(&g_r, "tigress_relay_requests_total") > 0);
    assert_true(th_metric(&g_r, "tigress_relay_responses_4xx_total") > 0);
    /* The API port does not serve /metrics (counters stay private), and the metrics port
     * only on loopback. */
    hreq a = {.method = "GET", .path = "/metrics"};
    http_do(&g_r, &a, &h);
    assert_int_equal(h.status, 404);
    hresp_free(&h);
    /* It does answer /healthz (load balancers reach only the API port): 200 while the store
     * answers, read-only (GET/HEAD; anything else 405), no mailbox created. */
    long live = th_metric(&g_r, "tigress_relay_mailboxes_live");
    hreq hz = {.method = "GET", .path = "/healthz"};
    http_do(&g_r, &hz, &h);
    assert_int_equal(h.status, 200);
    assert_string_equal(h.body, "ok\n");
    hresp_free(&h);
    hreq hz_head = {.method = "HEAD", .path = "/healthz"};
    http_do(&g_r, &hz_head, &h);
    assert_int_equal(h.status, 200);
    hresp_free(&h);
    hreq hz_post = {.method = "POST", .path = "/healthz", .body = "{}"};
    http_do(&g_r, &hz_post, &h);
    assert_int_equal(h.status, 405);
    hresp_free(&h);
    assert_int_equal(th_metric(&g_r, "tigress_relay_mailboxes_live"), live);
    relay_proc r = {0};
    const char *extra[] = {"--metrics-listen", "0.0.0.0:0", NULL};
    assert_int_equal(relay_start(&r, "metrics.db", extra), 64);
}

/* Log injection through the request method: a method with a tab, a carriage return or an ESC
 * sequence must not reach the log raw (it could forge a key=value pair, start what looks like a
 * new line, or drive the terminal of whoever tails the log). Unknown methods are logged as
 * `other`; known ones by name; every log line is printable ASCII. */
static char *slurp_log(size_t *n)
{
    FILE *f = fopen(g_r.log_path, "rb");
    if (f == NULL)
        return NULL;
    size_t cap = 1 << 16, len = 0;
    char *p = malloc(cap);
    size_t k;
    while (p != NULL && (k = fread(p + len, 1, cap - len, f)) > 0) {
        len += k;
        if (len == cap) {
            char *q = realloc(p, cap *= 2);
            if (q == NULL)
                free(p);
            p = q;
        }
    }
    fclose(f);
    *n = len;
    return p;
}

static size_t count_in(const char *p, size_t n, const char *needle)
{
    size_t k = strlen(needle), c = 0;
    for (size_t i = 0; i + k <= n; i++)
        if (memcmp(p + i, needle, k) == 0)
            c++;
    return c;
}

static void test_relay__log_method_control_bytes(void **state)
{
    (void)state;
    static const char *const methods[] = {
        "GE\tT",                                    /* a tab inside the method */
        "X\x1b]0;owned\x07\x1b[2J",                 /* set the terminal title, clear it */
        "FOO\tstatus=200\tmailbox=forged",          /* forged key=value pairs */
        "Z\x1b[1;31mred\x1b[0m",                    /* colours */
        "P\x7fOST",                                 /* DEL */
        "Q\rts=forged level=error event=forged",    /* a carriage return */
    };
    size_t n0 = 0;
    char *before = slurp_log(&n0);
    assert_non_null(before);
    size_t other0 = count_in(before, n0, "method=other ");
    free(before);
    size_t sent = 0;
    for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++) {
        hreq q = {.method = methods[i], .path = "/v1/m/00000000-0000-4000-8000-000000000000"};
        hresp h;
        http_do(&g_r, &q, &h);
        if (h.status != 0) /* answered: the relay saw the request (and logs it) */
            sent++;
        hresp_free(&h);
    }
    print_message("%zu of %zu odd methods were answered\n", sent,
                  sizeof methods / sizeof methods[0]);
    if (sent < 3) /* at least the tab, ESC and DEL methods reach the handler */
        fail_msg("only %zu of the odd methods were answered", sent);
    hreq g = {.method = "GET", .path = "/healthz"};
    hresp h;
    http_do(&g_r, &g, &h);
    hresp_free(&h);
    /* The line is written before the response leaves; allow for slow runners all the same. */
    size_t n = 0;
    char *log = NULL;
    for (int tries = 0; tries < 50 * th_time_scale(); tries++) {
        free(log);
        log = slurp_log(&n);
        assert_non_null(log);
        if (count_in(log, n, "method=other ") >= other0 + sent)
            break;
        usleep(100 * 1000);
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)log[i];
        if (ch != '\n' && (ch < 0x20 || ch >= 0x7f))
            fail_msg("the relay log holds the raw byte 0x%02x at offset %zu", ch, i);
        if (ch == '\n' && i + 1 < n && strncmp(log + i + 1, "ts=", 3) != 0)
            fail_msg("a log line does not start with ts=: %.40s", log + i + 1);
    }
    assert_int_equal(count_in(log, n, "owned"), 0);
    assert_int_equal(count_in(log, n, "forged"), 0);
    assert_int_equal(count_in(log, n, "method=FOO"), 0);
    assert_true(count_in(log, n, "method=other ") >= other0 + sent);
    assert_true(count_in(log, n, "method=GET ") > 0);
    free(log);
}

/* R35: the log names no claim, token, Request-ID, payload, raw mailbox ID or client address;
 * the store keeps no client address. Runs last, over everything above. */
static void test_relay__R35_log_and_store_audit(void **state)
{
    (void)state;
    char ini[37], id[37];
    new_mailbox(ini, id);           /* at least one request of every kind in the log */
    assert_int_equal(req(&g_r, "GET", id, NULL, NULL, NULL, NULL), 200);
    const char *leak = th_file_leaks(g_r.log_path);
    if (leak != NULL)
        fail_msg("the relay log contains a secret or identifier: %.40s", leak);
    assert_false(th_file_contains(g_r.log_path, "127.0.0.1"));
    assert_true(th_file_contains(g_r.log_path, "event=request"));
    assert_true(th_file_contains(g_r.log_path, "mailbox="));
    assert_false(th_file_contains(g_r.store_path, "127.0.0.1"));
    char wal[600];
    snprintf(wal, sizeof wal, "%s-wal", g_r.store_path);
    assert_false(th_file_contains(wal, "127.0.0.1"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_relay__R29_preview_opengraph),
        cmocka_unit_test(test_relay__R30_preview_unknown_404),
        cmocka_unit_test(test_relay__R31_preview_no_script),
        cmocka_unit_test(test_relay__R32_relinquish_rebind),
        cmocka_unit_test(test_relay__R33_relinquish_errors),
        cmocka_unit_test(test_relay__R34_opaque_random_data),
        cmocka_unit_test(test_relay__R36_store_and_forward),
        cmocka_unit_test(test_relay__R40_content_types_utf8),
        cmocka_unit_test(test_relay__R41_request_id_optional_on_reads),
        cmocka_unit_test(test_relay__R42_size_and_rate_limits),
        cmocka_unit_test(test_relay__conflicting_content_length),
        cmocka_unit_test(test_relay__prefer_header_parsed),
        cmocka_unit_test(test_relay__mailbox_quota_per_address),
        cmocka_unit_test(test_relay__trusted_proxy_quota),
        cmocka_unit_test(test_relay__415_and_405),
        cmocka_unit_test(test_relay__racing_first_claim_binding),
        cmocka_unit_test(test_relay__malformed_input_mailbox_untouched),
        cmocka_unit_test(test_relay__preview_never_binds),
        cmocka_unit_test(test_relay__startup_exit_codes),
        cmocka_unit_test(test_relay__help_lists_every_option),
        cmocka_unit_test(test_relay__metrics_and_healthz),
        cmocka_unit_test(test_relay__log_method_control_bytes),
        cmocka_unit_test(test_relay__R35_log_and_store_audit),
    };
    return cmocka_run_group_tests_name("relay conformance R29-R42 and extras", tests,
                                       group_setup, group_teardown);
}
