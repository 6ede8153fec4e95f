/*
 * tests/relay/test_relay_limits.c: the relay's per-client resource limits, against the real
 * binary. One client address must not be able to take every connection slot (idle TLS
 * connections that never send a ClientHello, request heads trickled a byte at a time, held
 * long-polls), and a request body over --max-body must not be read without bound whatever
 * its framing (a chunked body has no declared length).
 *
 * "Another client" connects from 127.0.0.2 (any 127/8 address is loopback on Linux). The
 * relays here run with their own per-address defaults (relay_limits = 1): the fixture lifts
 * the per-address caps for the other suites, whose clients all share 127.0.0.1.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "relay_harness.h"

static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A TCP connection from src (e.g. "127.0.0.2") to 127.0.0.1:port; -1 on failure. */
static int tcp_from(const char *src, unsigned port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in a = {.sin_family = AF_INET};
    inet_pton(AF_INET, src, &a.sin_addr);
    if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        close(fd);
        return -1;
    }
    struct sockaddr_in d = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, "127.0.0.1", &d.sin_addr);
    if (connect(fd, (struct sockaddr *)&d, sizeof d) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* True when the peer closed fd (or reset it) within wait_ms; data read is discarded. */
static bool closed_within(int fd, long wait_ms)
{
    long end = now_ms() + wait_ms;
    for (;;) {
        long left = end - now_ms();
        if (left < 0)
            return false;
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, (int)left) <= 0)
            return false;
        char buf[4096];
        ssize_t n = recv(fd, buf, sizeof buf, 0);
        if (n <= 0)
            return true;
    }
}

/* Reads what arrives on fd within wait_ms (until the headers' end) into out; its length. */
static size_t read_reply(int fd, long wait_ms, char *out, size_t cap)
{
    size_t len = 0;
    long end = now_ms() + wait_ms;
    out[0] = '\0';
    while (len + 1 < cap) {
        long left = end - now_ms();
        if (left <= 0)
            break;
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, (int)left) <= 0)
            break;
        ssize_t n = recv(fd, out + len, cap - len - 1, 0);
        if (n <= 0)
            break;
        len += (size_t)n;
        out[len] = '\0';
        if (strstr(out, "\r\n\r\n") != NULL)
            break;
    }
    return len;
}

static bool send_all(int fd, const char *s, size_t n)
{
    while (n > 0) {
        ssize_t w = send(fd, s, n, MSG_NOSIGNAL);
        if (w <= 0)
            return false;
        s += w;
        n -= (size_t)w;
    }
    return true;
}

/* HTTP status of one plain-HTTP request (Connection: close) from src; 0 when none came within
 * wait_ms. */
static int plain_status(const char *src, unsigned port, const char *request, long wait_ms)
{
    int fd = tcp_from(src, port);
    if (fd < 0)
        return 0;
    char buf[8192];
    int st = 0;
    if (send_all(fd, request, strlen(request)) && read_reply(fd, wait_ms, buf, sizeof buf) > 12)
        st = atoi(buf + 9);
    close(fd);
    return st;
}

static size_t sink(char *p, size_t s, size_t n, void *ud)
{
    (void)p;
    (void)ud;
    return s * n;
}

/* GET /healthz over HTTPS from src; the status, 0 when no answer within wait_ms. */
static long https_healthz_from(const relay_proc *r, const char *src, long wait_ms, long *took)
{
    char url[128];
    snprintf(url, sizeof url, "https://127.0.0.1:%u/healthz", r->port);
    CURL *c = curl_easy_init();
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CAINFO, th_ca());
    curl_easy_setopt(c, CURLOPT_INTERFACE, src);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, wait_ms);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink);
    long t0 = now_ms(), st = 0;
    if (curl_easy_perform(c) == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &st);
    *took = now_ms() - t0;
    curl_easy_cleanup(c);
    return st;
}

static int start_plain(relay_proc *r, const char *store_name, const char *const *extra)
{
    char store[512];
    snprintf(store, sizeof store, "%s/%s", th_dir(), store_name);
    const char *args[32] = {"--listen", "127.0.0.1:0", "--insecure-loopback", "--store", store};
    size_t n = 5;
    for (size_t i = 0; extra[i] != NULL && n < 31; i++)
        args[n++] = extra[i];
    args[n] = NULL;
    r->relay_limits = 1;
    return relay_start_raw(r, args);
}

/* For the held-read tests, over the plain-HTTP relay r: a mailbox (RWD, +1 h) created under a
 * fresh claim into id, read once by a fresh reader claim (bound as its Recipient), and the
 * ETag of that read, which an If-None-Match long-poll then waits on. */
static void mailbox_read_once(relay_proc *r, char id[37], char reader[37], char etag[64])
{
    char claim[37], rid[37], exp[32];
    th_uuid(claim);
    th_uuid(rid);
    th_uuid(reader);
    th_rfc3339(3600, exp);
    char *body = th_create_body("T", "AAAA", "x", "RWD", exp, NULL, NULL);
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%u/v1/m", r->port);
    hreq cq = {.method = "POST", .path = url, .rid = rid, .claim = claim, .body = body};
    hresp h;
    http_do(r, &cq, &h);
    free(body);
    assert_int_equal(h.status, 200);
    const char *slash = h.body != NULL ? strstr(h.body, "/v1/m/") : NULL;
    assert_non_null(slash);
    snprintf(id, 37, "%.36s", slash + 6);
    hresp_free(&h);
    char rpath[200];
    snprintf(rpath, sizeof rpath, "%s/%s", url, id);
    hreq rq = {.method = "POST", .path = rpath, .claim = reader};
    http_do(r, &rq, &h);
    assert_int_equal(h.status, 200);
    snprintf(etag, 64, "%s", h.etag);
    hresp_free(&h);
}

/* n TCP connections from src to the relay r, then 300 ms for the relay to close those over
 * its per-address cap (it does so as it accepts them). */
static void connect_n(const relay_proc *r, const char *src, int *fds, int n)
{
    for (int i = 0; i < n; i++) {
        fds[i] = tcp_from(src, r->port);
        assert_true(fds[i] >= 0);
    }
    rf_sleep_ms(300);
}

/* True when request on the open connection fd is answered 200 within 3 s (scaled). */
static bool answered_200(int fd, const char *request)
{
    char buf[4096];
    return send_all(fd, request, strlen(request)) &&
           read_reply(fd, rf_scaled_ms(3000), buf, sizeof buf) > 12 && atoi(buf + 9) == 200;
}

static void close_all(const int *fds, int n)
{
    for (int i = 0; i < n; i++)
        close(fds[i]);
}

static int group_setup(void **state)
{
    (void)state;
    return th_init();
}

static int group_teardown(void **state)
{
    (void)state;
    th_cleanup();
    return 0;
}

/* One address opens twice its share of connections over TLS and never sends a ClientHello
 * (--max-connections 16: its default per-address cap is 8). The relay keeps at most 8 of them
 * and another client (127.0.0.2) is still answered at once. */
static void test_limits__idle_tls_from_one_address_leaves_room(void **state)
{
    (void)state;
    relay_proc r = {.relay_limits = 1};
    const char *extra[] = {"--rate-limit", "0", "--max-connections", "16", NULL};
    assert_int_equal(relay_start(&r, "idle.db", extra), 0);
    int fds[16];
    connect_n(&r, "127.0.0.1", fds, 16);
    int refused = 0;
    for (int i = 0; i < 16; i++)
        if (closed_within(fds[i], 50))
            refused++;
    long took = 0;
    long st = https_healthz_from(&r, "127.0.0.2", rf_scaled_ms(5000), &took);
    printf("# idle TLS connections from one address: %d of 16 closed at once; "
           "127.0.0.2 got %ld in %ld ms\n", refused, st, took);
    close_all(fds, 16);
    assert_int_equal(st, 200);
    assert_true(refused >= 8);
    assert_int_equal(relay_stop(&r), 0);
}

/* A request head trickled one byte every 200 ms keeps an idle timeout from ever firing; the
 * read deadline (unset: --connection-timeout, here 2 s) closes it anyway. */
static void test_limits__trickled_head_is_cut_off(void **state)
{
    (void)state;
    relay_proc r = {0};
    const char *extra[] = {"--rate-limit", "0", "--connection-timeout", "2", NULL};
    assert_int_equal(start_plain(&r, "trickle.db", extra), 0);
    int fd = tcp_from("127.0.0.1", r.port);
    assert_true(fd >= 0);
    const char *head = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n";
    assert_true(send_all(fd, head, strlen(head)));
    long t0 = now_ms(), closed_at = -1;
    long limit = t0 + rf_scaled_ms(8000);
    while (now_ms() < limit) {
        if (!send_all(fd, "X", 1) || closed_within(fd, 200)) {
            closed_at = now_ms() - t0;
            break;
        }
    }
    close(fd);
    printf("# trickled head: closed after %ld ms (-1: still open after %ld ms)\n", closed_at,
           rf_scaled_ms(8000));
    assert_true(closed_at >= 0);
    /* A prompt request on a new connection is still answered. */
    assert_int_equal(plain_status("127.0.0.1", r.port,
                                  "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                                  rf_scaled_ms(3000)),
                     200);
    assert_int_equal(relay_stop(&r), 0);
}

/* Held long-polls per address: --max-connections 16 gives one address 8 connections and 4
 * held reads by default. The 5th held read from 127.0.0.1 is refused (429 + Retry-After) at
 * once, 127.0.0.2 is still served, and places are free again once the reads are answered. */
static void test_limits__held_reads_per_address(void **state)
{
    (void)state;
    relay_proc r = {0};
    const char *extra[] = {"--rate-limit", "0", "--max-connections", "16", NULL};
    assert_int_equal(start_plain(&r, "held.db", extra), 0);

    char id[37], reader[37], etag[64];
    mailbox_read_once(&r, id, reader, etag);

    char wait_req[512];
    snprintf(wait_req, sizeof wait_req,
             "POST /v1/m/%s HTTP/1.1\r\nHost: x\r\nMailbox-Device-Claim: %s\r\n"
             "If-None-Match: %s\r\nPrefer: wait=3\r\nContent-Length: 0\r\n\r\n",
             id, reader, etag);
    int held[5];
    char buf[4096];
    for (int i = 0; i < 4; i++) {
        held[i] = tcp_from("127.0.0.1", r.port);
        assert_true(held[i] >= 0);
        assert_true(send_all(held[i], wait_req, strlen(wait_req)));
    }
    for (int i = 0; i < 4; i++)
        assert_int_equal(read_reply(held[i], 300, buf, sizeof buf), 0);   /* held */
    held[4] = tcp_from("127.0.0.1", r.port);
    assert_true(held[4] >= 0);
    long t0 = now_ms();
    assert_true(send_all(held[4], wait_req, strlen(wait_req)));
    size_t n = read_reply(held[4], rf_scaled_ms(3000), buf, sizeof buf);
    long took = now_ms() - t0;
    printf("# 5th held read from one address: %s in %ld ms\n",
           n > 12 ? "answered" : "held (no answer)", took);
    assert_true(n > 12);
    assert_int_equal(atoi(buf + 9), 429);
    assert_non_null(strstr(buf, "Retry-After:"));
    close(held[4]);

    /* Another address is served while 127.0.0.1 holds its four. */
    assert_int_equal(plain_status("127.0.0.2", r.port,
                                  "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                                  rf_scaled_ms(3000)),
                     200);
    /* Once the held reads are answered (304 after their 3 s), their places are free again.
     * (A held read whose client went away keeps its place until its wait ends: libmicrohttpd
     * does not watch a suspended connection.) */
    for (int i = 0; i < 4; i++) {
        size_t m = read_reply(held[i], rf_scaled_ms(6000), buf, sizeof buf);
        assert_true(m > 12);
        assert_int_equal(atoi(buf + 9), 304);
        close(held[i]);
    }
    int fd = tcp_from("127.0.0.1", r.port);
    assert_true(fd >= 0);
    assert_true(send_all(fd, wait_req, strlen(wait_req)));
    assert_int_equal(read_reply(fd, 300, buf, sizeof buf), 0);   /* held, not 429 */
    close(fd);
    assert_int_equal(relay_stop(&r), 0);
}

/* A chunked body far over --max-body (50 MB against 1024 bytes) is not read to its end: the
 * relay closes the connection once it has read its drain allowance (16 x --max-body + 1 MiB). */
static void test_limits__chunked_body_over_max_body_stops_early(void **state)
{
    (void)state;
    relay_proc r = {0};
    const char *extra[] = {"--rate-limit", "0", "--max-body", "1024", NULL};
    assert_int_equal(start_plain(&r, "chunked.db", extra), 0);
    int fd = tcp_from("127.0.0.1", r.port);
    assert_true(fd >= 0);
    int sndbuf = 65536;
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
    struct timeval tv = {5, 0};
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    char claim[37], rid[37];
    th_uuid(claim);
    th_uuid(rid);
    char head[512];
    snprintf(head, sizeof head,
             "POST /v1/m HTTP/1.1\r\nHost: x\r\nMailbox-Device-Claim: %s\r\n"
             "Mailbox-Request-ID: %s\r\nContent-Type: application/json\r\n"
             "Transfer-Encoding: chunked\r\n\r\n", claim, rid);
    assert_true(send_all(fd, head, strlen(head)));
    static char chunk[65536 + 16];
    int hl = snprintf(chunk, sizeof chunk, "10000\r\n");
    memset(chunk + hl, 'A', 65536);
    memcpy(chunk + hl + 65536, "\r\n", 2);
    size_t clen = (size_t)hl + 65536 + 2;
    const unsigned long long goal = 50ULL * 1024 * 1024;
    unsigned long long sent = 0;
    bool answered = false, closed = false;
    long t0 = now_ms();
    while (sent < goal && now_ms() - t0 < rf_scaled_ms(60000)) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 0) > 0) {
            answered = true;    /* an answer or the close arrived */
            break;
        }
        ssize_t w = send(fd, chunk, clen, MSG_NOSIGNAL);
        if (w <= 0) {
            closed = true;
            break;
        }
        sent += (unsigned long long)w;
    }
    long took = now_ms() - t0;
    char buf[4096];
    size_t n = read_reply(fd, 1000, buf, sizeof buf);
    close(fd);
    printf("# chunked body over --max-body 1024: %llu of %llu bytes sent in %ld ms before the "
           "relay %s%s\n", sent, goal, took,
           n > 12 ? "answered " : (answered || closed ? "closed the connection" : "(nothing)"),
           n > 12 ? buf + 9 : "");
    if (n > 12)
        assert_int_equal(atoi(buf + 9), 413);
    assert_true(answered || closed);
    assert_true(sent < 8ULL * 1024 * 1024);
    assert_true(th_file_contains(r.log_path, "event=body_over_limit"));
    assert_int_equal(relay_stop(&r), 0);
}

/* A plain-HTTP Create from 127.0.0.1 whose Mailbox-Device-Attestation is att_len bytes; the
 * status (0: closed without an answer). */
static int create_with_attestation(unsigned port, size_t att_len)
{
    char claim[37], rid[37], exp[32];
    th_uuid(claim);
    th_uuid(rid);
    th_rfc3339(3600, exp);
    char *body = th_create_body("T", "AAAA", "x", "RD", exp, NULL, NULL);
    char *att = malloc(att_len + 1);
    size_t cap = att_len + 1024 + (body != NULL ? strlen(body) : 0);
    char *req = malloc(cap);
    int st = 0;
    if (body != NULL && att != NULL && req != NULL) {
        memset(att, 'A', att_len);
        att[att_len] = '\0';
        snprintf(req, cap,
                 "POST /v1/m HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                 "Mailbox-Device-Claim: %s\r\nMailbox-Request-ID: %s\r\n"
                 "Mailbox-Device-Attestation: %s\r\nContent-Type: application/json\r\n"
                 "Content-Length: %zu\r\n\r\n%s", claim, rid, att, strlen(body), body);
        st = plain_status("127.0.0.1", port, req, rf_scaled_ms(3000));
    }
    free(body);
    free(att);
    free(req);
    return st;
}

/* R42 (request size): the request head must fit in libmicrohttpd's per-connection memory
 * (--connection-memory, default 8192). A Create carrying a 12,000-byte attestation header is
 * refused with 431 by default and created with --connection-memory 32768; a value outside
 * 4096..1048576 is refused at start (exit 64) with the range in the message. */
static void test_limits__R42_connection_memory_bounds_request_head(void **state)
{
    (void)state;
    const char *none[] = {"--rate-limit", "0", NULL};
    relay_proc r = {0};
    assert_int_equal(start_plain(&r, "cmem-default.db", none), 0);
    assert_int_equal(create_with_attestation(r.port, 200), 200);      /* a usual head fits */
    int big_default = create_with_attestation(r.port, 12000);
    assert_int_equal(relay_stop(&r), 0);

    const char *more[] = {"--rate-limit", "0", "--connection-memory", "32768", NULL};
    relay_proc r2 = {0};
    assert_int_equal(start_plain(&r2, "cmem-32k.db", more), 0);
    int big_32k = create_with_attestation(r2.port, 12000);
    assert_int_equal(relay_stop(&r2), 0);
    printf("# 12,000-byte attestation header: %d with 8192, %d with 32768\n", big_default,
           big_32k);
    assert_int_equal(big_default, 431);
    assert_int_equal(big_32k, 200);

    const char *bad[] = {"4095", "1048577", "0", "8k", NULL};
    for (size_t i = 0; bad[i] != NULL; i++) {
        const char *extra[] = {"--connection-memory", bad[i], NULL};
        relay_proc r3 = {0};
        assert_int_equal(start_plain(&r3, "cmem-bad.db", extra), 64);
        if (i < 2)      /* in range of the type, out of the relay's: the message names it */
            assert_true(th_file_contains(r3.log_path, "between 4096 and 1048576"));
    }
}

/* Behind a trusted proxy every connection comes from the proxy. Connections from a
 * --trusted-proxy address are not counted by --max-connections-per-address (the proxy limits
 * connections per client; rate limits, quota and held reads count the forwarded client):
 * with a cap of 4, twelve keep-alive connections from 127.0.0.1 (trusted) are all kept and
 * answered, while from 127.0.0.2 (not trusted) the cap still closes all but four. */
static void test_limits__trusted_proxy_exempt_from_connection_cap(void **state)
{
    (void)state;
    relay_proc r = {0};
    const char *extra[] = {"--rate-limit", "0", "--max-connections", "64",
                           "--max-connections-per-address", "4",
                           "--trusted-proxy", "127.0.0.1/32", NULL};
    assert_int_equal(start_plain(&r, "proxycap.db", extra), 0);
    const char *get = "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 192.0.2.7\r\n\r\n";
    int fds[12];
    connect_n(&r, "127.0.0.1", fds, 12);
    int ok = 0;
    for (int i = 0; i < 12; i++)        /* all still open: each answers on its connection */
        if (answered_200(fds[i], get))
            ok++;
    close_all(fds, 12);

    connect_n(&r, "127.0.0.2", fds, 12);
    int refused = 0, answered = 0;
    for (int i = 0; i < 12; i++) {
        if (closed_within(fds[i], 50))
            refused++;
        else if (answered_200(fds[i], get))
            answered++;
    }
    close_all(fds, 12);
    printf("# cap 4: trusted 127.0.0.1 got %d of 12 answered; untrusted 127.0.0.2: %d closed at "
           "once, %d answered\n", ok, refused, answered);
    assert_int_equal(ok, 12);
    assert_int_equal(refused, 8);
    assert_int_equal(answered, 4);
    assert_int_equal(relay_stop(&r), 0);
}

/* Behind a trusted proxy the held long-polls are counted per forwarded client, not per proxy:
 * with --max-held-reads-per-address 1, clients 192.0.2.1 and 192.0.2.2 behind the same proxy
 * (127.0.0.1) each hold one read; a second one from 192.0.2.1 is refused (429). */
static void test_limits__held_reads_counted_per_forwarded_client(void **state)
{
    (void)state;
    relay_proc r = {0};
    const char *extra[] = {"--rate-limit", "0", "--max-held-reads-per-address", "1",
                           "--trusted-proxy", "127.0.0.1/32", NULL};
    assert_int_equal(start_plain(&r, "heldfwd.db", extra), 0);
    char id[37], reader[37], etag[64];
    mailbox_read_once(&r, id, reader, etag);

    const char *clients[3] = {"192.0.2.1", "192.0.2.2", "192.0.2.1"};
    int fds[3];
    char buf[4096];
    size_t got[3];
    for (int i = 0; i < 3; i++) {
        char req[640];
        snprintf(req, sizeof req,
                 "POST /v1/m/%s HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: %s\r\n"
                 "Mailbox-Device-Claim: %s\r\nIf-None-Match: %s\r\nPrefer: wait=3\r\n"
                 "Content-Length: 0\r\n\r\n", id, clients[i], reader, etag);
        fds[i] = tcp_from("127.0.0.1", r.port);
        assert_true(fds[i] >= 0);
        assert_true(send_all(fds[i], req, strlen(req)));
        got[i] = read_reply(fds[i], i < 2 ? 300 : rf_scaled_ms(3000), buf, sizeof buf);
    }
    printf("# held reads behind one proxy: 192.0.2.1 %s, 192.0.2.2 %s, 192.0.2.1 again %.12s\n",
           got[0] == 0 ? "held" : "answered", got[1] == 0 ? "held" : "answered",
           got[2] > 12 ? buf + 9 : "held");
    for (int i = 0; i < 3; i++)
        close(fds[i]);
    assert_int_equal(got[0], 0);            /* held */
    assert_int_equal(got[1], 0);            /* held: another client, same proxy */
    assert_true(got[2] > 12);
    assert_int_equal(atoi(buf + 9), 429);
    assert_int_equal(relay_stop(&r), 0);
}

/* POST /v1/m with this claim, Request-ID and body; the status (the response in *out). */
static long create_as(const relay_proc *r, const char *claim, const char *rid,
                      const char *body, hresp *out)
{
    hreq q = {.method = "POST", .path = "/v1/m", .rid = rid, .claim = claim, .body = body};
    http_do(r, &q, out);
    return out->status;
}

/* R11, R14, docs/protocol.md D8: the creation quota refuses new mailboxes, not replays. With
 * --max-mailboxes-per-address 1 the first Create uses the quota up; repeating it (same claim
 * and Request-ID: a retry after a lost response) still gets 201 with the first answer's body,
 * before and after a new Create is refused 429; so does a repeat with another body, as under
 * the quota (D2: the Request-ID decides, bodies are not compared). The Request-ID from another
 * claim is no replay (429). Only the first mailbox exists, unchanged. The harness puts this
 * relay on SQLite, and on Redis under tests/cluster/conformance-redis.sh. */
static void test_limits__R11_replay_at_quota_is_answered(void **state)
{
    (void)state;
    relay_proc r = {0};
    const char *extra[] = {"--rate-limit", "0", "--max-mailboxes-per-address", "1",
                           "--metrics-listen", "127.0.0.1:0", NULL};
    assert_int_equal(relay_start(&r, "replay.db", extra), 0);
    char exp[32], claim[37], other_claim[37], rid_a[37], rid_b[37], id[37];
    th_rfc3339(600, exp);
    char *a = th_create_body("T", "QUFB", "A", "RWD", exp, NULL, NULL);
    char *changed = th_create_body("T", "QkJC", "B", "RD", exp, NULL, NULL);
    th_uuid(claim);
    th_uuid(other_claim);
    th_uuid(rid_a);
    th_uuid(rid_b);
    hresp first, h;
    assert_int_equal(create_as(&r, claim, rid_a, a, &first), 200);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(create_as(&r, claim, rid_a, a, &h), 201);
        assert_string_equal(h.body, first.body);
        assert_string_equal(h.rid, rid_a);
        hresp_free(&h);
        assert_int_equal(create_as(&r, claim, rid_b, a, &h), 429);
        assert_true(atol(h.retry_after) >= 1);
        assert_non_null(strstr(h.body, "\"error\":\"quota_exceeded\""));
        assert_string_equal(h.rid, rid_b);
        hresp_free(&h);
    }
    assert_int_equal(create_as(&r, claim, rid_a, changed, &h), 201);
    assert_string_equal(h.body, first.body);
    hresp_free(&h);
    assert_int_equal(create_as(&r, other_claim, rid_a, a, &h), 429);
    hresp_free(&h);
    assert_int_equal(th_metric(&r, "tigress_relay_mailboxes_created_total"), 1);
    assert_int_equal(th_metric(&r, "tigress_relay_duplicates_total"), 3);
    const char *link = strstr(first.body, "/v1/m/");
    assert_non_null(link);
    snprintf(id, sizeof id, "%.36s", link + 6);
    assert_int_equal(th_read(&r, id, claim, &h), 200);
    assert_non_null(strstr(h.body, "\"data\":\"QUFB\""));
    hresp_free(&h);
    hresp_free(&first);
    free(a);
    free(changed);
    assert_int_equal(relay_stop(&r), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_limits__idle_tls_from_one_address_leaves_room),
        cmocka_unit_test(test_limits__trickled_head_is_cut_off),
        cmocka_unit_test(test_limits__held_reads_per_address),
        cmocka_unit_test(test_limits__chunked_body_over_max_body_stops_early),
        cmocka_unit_test(test_limits__R42_connection_memory_bounds_request_head),
        cmocka_unit_test(test_limits__trusted_proxy_exempt_from_connection_cap),
        cmocka_unit_test(test_limits__held_reads_counted_per_forwarded_client),
        cmocka_unit_test(test_limits__R11_replay_at_quota_is_answered),
    };
    return cmocka_run_group_tests_name("relay per-client limits", tests, group_setup,
                                       group_teardown);
}
