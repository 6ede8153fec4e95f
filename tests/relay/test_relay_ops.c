/*
 * tests/relay/test_relay_ops.c: the relay's operations features (relay/README.md, "Deploying"):
 * the certificate reload on SIGHUP (new handshakes get the new pair, a held long-poll opened
 * before is still answered, an unusable new pair keeps the old one and the log says why),
 * --well-known (the two app-link files, nothing else under /.well-known/), and the systemd
 * readiness messages on $NOTIFY_SOCKET (a path and an abstract name).
 */
#define _DEFAULT_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "relay_harness.h"

/* ---- small helpers ---- */

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

/* Copies src to dst through a temporary file and rename(), as a deploy hook would. */
static void copy_file(const char *src, const char *dst)
{
    char tmp[600], buf[8192];
    snprintf(tmp, sizeof tmp, "%s.tmp", dst);
    FILE *in = fopen(src, "rb"), *out = fopen(tmp, "wb");
    assert_non_null(in);
    assert_non_null(out);
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0)
        assert_int_equal(fwrite(buf, 1, n, out), n);
    fclose(in);
    assert_int_equal(fclose(out), 0);
    assert_int_equal(rename(tmp, dst), 0);
}

/* Number of lines of the file containing needle. */
static int count_in_file(const char *path, const char *needle)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return 0;
    char line[4096];
    int n = 0;
    while (fgets(line, sizeof line, f) != NULL)
        if (strstr(line, needle) != NULL)
            n++;
    fclose(f);
    return n;
}

/* Waits until the log holds at least want lines with needle. */
static bool wait_log(const char *path, const char *needle, int want)
{
    for (long waited = 0; waited < rf_scaled_ms(10000); waited += 20) {
        if (count_in_file(path, needle) >= want)
            return true;
        rf_sleep_ms(20);
    }
    return false;
}

static size_t sink(char *p, size_t s, size_t n, void *ud)
{
    (void)p;
    (void)ud;
    return s * n;
}

/* A request over a new connection (so a new handshake) that trusts only ca. Returns the status,
 * 0 when the transfer failed (*rc then says why: 60 = the certificate was not trusted). */
static long ca_request(const relay_proc *r, const char *ca, const char *method, const char *path,
                       const char *const *headers, const char *body, int *rc)
{
    CURL *c = curl_easy_init();
    assert_non_null(c);
    char url[256];
    snprintf(url, sizeof url, "https://127.0.0.1:%u%s", r->port, path);
    struct curl_slist *h = NULL;
    for (size_t i = 0; headers != NULL && headers[i] != NULL; i++)
        h = curl_slist_append(h, headers[i]);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CAINFO, ca);
    curl_easy_setopt(c, CURLOPT_CAPATH, NULL);
    curl_easy_setopt(c, CURLOPT_FRESH_CONNECT, 1L);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 90L * th_time_scale());
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    if (body != NULL)
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    long status = 0;
    *rc = (int)curl_easy_perform(c);
    if (*rc == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    return status;
}

/* ---- certificate reload ---- */

typedef struct held_read {
    const relay_proc *r;
    char id[37], claim[37], etag[64];
    hresp out;
} held_read;

/* A long-poll over the connection made before the reload (certificate A). */
static void *held_read_main(void *p)
{
    held_read *hr = p;
    char path[64], inm[96];
    snprintf(path, sizeof path, "/v1/m/%s", hr->id);
    snprintf(inm, sizeof inm, "If-None-Match: %s", hr->etag);
    hreq q = {.method = "POST", .path = path, .claim = hr->claim,
              .extra = {inm, "Prefer: wait=30"}};
    http_do(hr->r, &q, &hr->out);
    return NULL;
}

static void test_relay__sighup_reloads_certificate(void **state)
{
    (void)state;
    char dir_b[400], live[400], cert[512], key[512], store[512];
    snprintf(dir_b, sizeof dir_b, "%s/pki-b", th_dir());
    snprintf(live, sizeof live, "%s/live", th_dir());
    assert_int_equal(mkdir(dir_b, 0700) == 0 || errno == EEXIST, 1);
    assert_int_equal(mkdir(live, 0700) == 0 || errno == EEXIST, 1);
    rf_certs b;
    assert_int_equal(rf_certs_make(&b, dir_b), 0);    /* another CA, another server pair */
    snprintf(cert, sizeof cert, "%s/cert.pem", live);
    snprintf(key, sizeof key, "%s/key.pem", live);
    copy_file(th_cert(), cert);
    copy_file(th_key(), key);
    snprintf(store, sizeof store, "%s/reload.db", th_dir());
    relay_proc r;
    memset(&r, 0, sizeof r);
    const char *args[] = {"--listen", "127.0.0.1:0", "--cert", cert, "--key", key, "--store",
                          store, "--rate-limit", "0", "--metrics-listen", "127.0.0.1:0", NULL};
    assert_int_equal(relay_start_raw(&r, args), 0);

    /* Certificate A: a mailbox, its version, and a long-poll held on it. */
    char exp[32];
    th_rfc3339(3600, exp);
    char *body = th_create_body("T", "AAAA", "Key", "RWD", exp, NULL, NULL);
    held_read hr;
    memset(&hr, 0, sizeof hr);
    hr.r = &r;
    th_uuid(hr.claim);
    assert_int_equal(th_create(&r, hr.claim, body, hr.id), 200);
    free(body);
    hresp h;
    assert_int_equal(th_read(&r, hr.id, hr.claim, &h), 200);
    snprintf(hr.etag, sizeof hr.etag, "%s", h.etag);
    hresp_free(&h);
    assert_true(hr.etag[0] != '\0');
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, held_read_main, &hr), 0);
    long waiting = 0;
    for (long w = 0; w < rf_scaled_ms(10000) && waiting < 1; w += 20) {
        rf_sleep_ms(20);
        waiting = th_metric(&r, "tigress_relay_longpoll_waiting");
    }
    assert_int_equal(waiting, 1);

    /* Swap in pair B and reload. */
    copy_file(b.cert, cert);
    copy_file(b.key, key);
    assert_int_equal(kill(r.pid, SIGHUP), 0);
    assert_true(wait_log(r.log_path, "event=reload tls=reloaded", 1));
    int rc = 0;
    assert_int_equal(ca_request(&r, b.ca, "GET", "/healthz", NULL, NULL, &rc), 200);
    assert_int_equal(ca_request(&r, th_ca(), "GET", "/healthz", NULL, NULL, &rc), 0);
    assert_int_equal(rc, CURLE_PEER_FAILED_VERIFICATION);

    /* The read held since before the reload is still there, and is answered. */
    assert_int_equal(th_metric(&r, "tigress_relay_longpoll_waiting"), 1);
    char claim_hdr[96];
    snprintf(claim_hdr, sizeof claim_hdr, "Mailbox-Device-Claim: %s", hr.claim);
    char path[64];
    snprintf(path, sizeof path, "/v1/m/%s", hr.id);
    const char *upd_h[] = {claim_hdr, "Content-Type: application/json",
                           "Mailbox-Request-ID: 7d0c4f9e-2b1a-4c3d-9e8f-0a1b2c3d4e5f", NULL};
    assert_int_equal(ca_request(&r, b.ca, "PUT", path, upd_h,
                                "{\"payload\":{\"type\":\"T\",\"data\":\"QkJCQg==\"}}", &rc),
                     200);
    pthread_join(t, NULL);
    assert_int_equal(hr.out.curl_rc, 0);
    assert_true(hr.out.status == 200 || hr.out.status == 304);
    hresp_free(&hr.out);

    /* A broken key: the reload keeps pair B and says why. */
    write_file(key, "not a key\n");
    assert_int_equal(kill(r.pid, SIGHUP), 0);
    assert_true(wait_log(r.log_path, "event=reload tls=kept", 1));
    assert_true(th_file_contains(r.log_path, "holds no readable PEM private key"));
    assert_int_equal(ca_request(&r, b.ca, "GET", "/healthz", NULL, NULL, &rc), 200);
    assert_int_equal(ca_request(&r, th_ca(), "GET", "/healthz", NULL, NULL, &rc), 0);

    /* A key of another pair (A's key with B's certificate): kept too. */
    copy_file(th_key(), key);
    assert_int_equal(kill(r.pid, SIGHUP), 0);
    assert_true(wait_log(r.log_path, "event=reload tls=kept", 2));
    assert_true(th_file_contains(r.log_path, "is not the private key of the first certificate"));
    assert_int_equal(ca_request(&r, b.ca, "GET", "/healthz", NULL, NULL, &rc), 200);
    /* A missing certificate file. */
    copy_file(b.key, key);
    assert_int_equal(unlink(cert), 0);
    assert_int_equal(kill(r.pid, SIGHUP), 0);
    assert_true(wait_log(r.log_path, "event=reload tls=kept", 3));
    assert_true(th_file_contains(r.log_path, "No such file or directory"));
    assert_int_equal(ca_request(&r, b.ca, "GET", "/healthz", NULL, NULL, &rc), 200);
    assert_int_equal(relay_stop(&r), 0);
}

/* ---- --well-known ---- */

static const char AASA[] =
    "{\"applinks\":{\"details\":[{\"appIDs\":[\"ABCDE12345.org.example.wallet\"],"
    "\"components\":[{\"/\":\"/v1/m/*\"}]}]}}\n";
static const char ASSETLINKS[] =
    "[{\"relation\":[\"delegate_permission/common.handle_all_urls\"],\"target\":{\"namespace\":"
    "\"android_app\",\"package_name\":\"org.example.wallet\",\"sha256_cert_fingerprints\":["
    "\"14:6D:E9:83:C5:73:06:50:D8:EE:B9:95:2F:34:FC:64:16:A0:83:42:E6:1D:BE:A8:8A:04:96:B2:3F:"
    "CF:44:E5\"]}}]\n";

static long wk_get(const relay_proc *r, const char *method, const char *path, hresp *h)
{
    hreq q = {.method = method, .path = path};
    http_do(r, &q, h);
    return h->status;
}

static void test_relay__well_known_app_links(void **state)
{
    (void)state;
    char dir[400], aasa[512], al[512];
    snprintf(dir, sizeof dir, "%s/wk", th_dir());
    assert_int_equal(mkdir(dir, 0700) == 0 || errno == EEXIST, 1);
    snprintf(aasa, sizeof aasa, "%s/apple-app-site-association", dir);
    snprintf(al, sizeof al, "%s/assetlinks.json", dir);
    write_file(aasa, AASA);
    write_file(al, ASSETLINKS);
    char other[512];
    snprintf(other, sizeof other, "%s/security.txt", dir);
    write_file(other, "{\"secret\":1}\n");
    relay_proc r;
    memset(&r, 0, sizeof r);
    const char *extra[] = {"--well-known", dir, "--rate-limit", "0", NULL};
    assert_int_equal(relay_start(&r, "wk.db", extra), 0);

    hresp h;
    assert_int_equal(wk_get(&r, "GET", "/.well-known/apple-app-site-association", &h), 200);
    assert_string_equal(h.ctype, "application/json");
    assert_string_equal(h.cache, "public, max-age=3600");
    assert_int_equal(h.len, strlen(AASA));
    assert_memory_equal(h.body, AASA, h.len);
    hresp_free(&h);
    assert_int_equal(wk_get(&r, "GET", "/.well-known/assetlinks.json", &h), 200);
    assert_string_equal(h.ctype, "application/json");
    assert_string_equal(h.cache, "public, max-age=3600");
    assert_int_equal(h.len, strlen(ASSETLINKS));
    assert_memory_equal(h.body, ASSETLINKS, h.len);
    hresp_free(&h);
    assert_int_equal(wk_get(&r, "HEAD", "/.well-known/assetlinks.json", &h), 200);
    hresp_free(&h);
    assert_int_equal(wk_get(&r, "POST", "/.well-known/assetlinks.json", &h), 405);
    hresp_free(&h);
    /* Nothing else under /.well-known/, whatever the spelling. */
    const char *nope[] = {"/.well-known/security.txt", "/.well-known/", "/.well-known",
                          "/.well-known/assetlinks.json/", "/.well-known/ASSETLINKS.JSON",
                          "/.well-known/%2e%2e/wk/assetlinks.json",
                          "/.well-known/..%2fwk%2fassetlinks.json",
                          "/.well-known/apple-app-site-association.json"};
    for (size_t i = 0; i < sizeof nope / sizeof nope[0]; i++) {
        long st = wk_get(&r, "GET", nope[i], &h);
        if (st != 404)
            fail_msg("%s: %ld, not 404", nope[i], st);
        assert_null(strstr(h.body != NULL ? h.body : "", "secret"));
        hresp_free(&h);
    }
    /* The preview page still works. */
    char exp[32], claim[37], id[37], path[64];
    th_rfc3339(3600, exp);
    char *body = th_create_body("T", "AAAA", "Room key", "RWD", exp, NULL, NULL);
    th_uuid(claim);
    assert_int_equal(th_create(&r, claim, body, id), 200);
    free(body);
    snprintf(path, sizeof path, "/v1/m/%s", id);
    assert_int_equal(wk_get(&r, "GET", path, &h), 200);
    assert_string_equal(h.ctype, "text/html; charset=utf-8");
    assert_string_equal(h.cache, "no-store");
    hresp_free(&h);

    /* SIGHUP reads the files again; a broken one keeps what was served. */
    write_file(al, "[]\n");
    assert_int_equal(kill(r.pid, SIGHUP), 0);
    assert_true(wait_log(r.log_path, "event=well_known_loaded", 2));
    assert_int_equal(wk_get(&r, "GET", "/.well-known/assetlinks.json", &h), 200);
    assert_string_equal(h.body, "[]\n");
    hresp_free(&h);
    write_file(al, "{not json");
    assert_int_equal(kill(r.pid, SIGHUP), 0);
    assert_true(wait_log(r.log_path, "event=reload well_known=kept", 1));
    assert_true(th_file_contains(r.log_path, "assetlinks.json is not JSON"));
    assert_int_equal(wk_get(&r, "GET", "/.well-known/assetlinks.json", &h), 200);
    assert_string_equal(h.body, "[]\n");
    hresp_free(&h);
    assert_int_equal(relay_stop(&r), 0);

    /* A file that is not JSON, or too large, stops the start (exit 64). */
    relay_proc bad;
    memset(&bad, 0, sizeof bad);
    assert_int_equal(relay_start(&bad, "wk2.db", extra), 64);
    char *big = malloc(70000);
    assert_non_null(big);
    memset(big, ' ', 69998);
    big[0] = '[';
    big[69997] = ']';
    big[69998] = '\n';
    big[69999] = '\0';
    write_file(al, big);
    free(big);
    memset(&bad, 0, sizeof bad);
    assert_int_equal(relay_start(&bad, "wk2.db", extra), 64);

    /* Without --well-known: 404. */
    relay_proc plain;
    memset(&plain, 0, sizeof plain);
    const char *none[] = {"--rate-limit", "0", NULL};
    assert_int_equal(relay_start(&plain, "wk3.db", none), 0);
    assert_int_equal(wk_get(&plain, "GET", "/.well-known/apple-app-site-association", &h), 404);
    hresp_free(&h);
    assert_int_equal(wk_get(&plain, "GET", "/.well-known/assetlinks.json", &h), 404);
    hresp_free(&h);
    assert_int_equal(relay_stop(&plain), 0);
}

/* ---- systemd readiness ---- */

/* The next datagram on fd (NUL-terminated into buf), or "" after the time bound. */
static void recv_msg(int fd, char *buf, size_t cap)
{
    struct timeval tv = {.tv_sec = rf_scaled_ms(10000) / 1000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ssize_t n = recv(fd, buf, cap - 1, 0);
    buf[n > 0 ? (size_t)n : 0] = '\0';
}

static void notify_run(const char *name)
{
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    assert_true(fd >= 0);
    struct sockaddr_un sa;
    memset(&sa, 0, sizeof sa);
    sa.sun_family = AF_UNIX;
    size_t n = strlen(name);
    assert_true(n < sizeof sa.sun_path);
    memcpy(sa.sun_path, name, n);
    socklen_t len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
    if (name[0] == '@')
        sa.sun_path[0] = '\0';
    else
        len++;
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, len), 0);

    setenv("NOTIFY_SOCKET", name, 1);
    relay_proc r;
    memset(&r, 0, sizeof r);
    const char *extra[] = {"--rate-limit", "0", NULL};
    int rc = relay_start(&r, "notify.db", extra);
    unsetenv("NOTIFY_SOCKET");
    assert_int_equal(rc, 0);
    char buf[256];
    recv_msg(fd, buf, sizeof buf);
    assert_string_equal(buf, "READY=1");
    hresp h;
    assert_int_equal(wk_get(&r, "GET", "/healthz", &h), 200);   /* the listener is up */
    hresp_free(&h);

    assert_int_equal(kill(r.pid, SIGHUP), 0);
    recv_msg(fd, buf, sizeof buf);
    assert_int_equal(strncmp(buf, "RELOADING=1\nMONOTONIC_USEC=", 27), 0);
    recv_msg(fd, buf, sizeof buf);
    assert_string_equal(buf, "READY=1");
    assert_int_equal(wk_get(&r, "GET", "/healthz", &h), 200);
    hresp_free(&h);

    assert_int_equal(relay_stop(&r), 0);
    recv_msg(fd, buf, sizeof buf);
    assert_string_equal(buf, "STOPPING=1");
    close(fd);
    if (name[0] == '/')
        unlink(name);
}

static void test_relay__notify_socket_path(void **state)
{
    (void)state;
    char name[108];
    snprintf(name, sizeof name, "%s/notify.sock", th_dir());
    if (strlen(name) >= 100)
        skip();
    notify_run(name);
}

static void test_relay__notify_socket_abstract(void **state)
{
    (void)state;
    char name[64];
    snprintf(name, sizeof name, "@tigress-relay-test-%ld-%d", (long)getpid(), rand());
    notify_run(name);
}

/* Without NOTIFY_SOCKET nothing changes: the relay starts, reloads and stops as before. */
static void test_relay__no_notify_socket(void **state)
{
    (void)state;
    unsetenv("NOTIFY_SOCKET");
    relay_proc r;
    memset(&r, 0, sizeof r);
    assert_int_equal(relay_start(&r, "nonotify.db", NULL), 0);
    assert_int_equal(kill(r.pid, SIGHUP), 0);
    assert_true(wait_log(r.log_path, "event=reload tls=reloaded", 1));
    hresp h;
    assert_int_equal(wk_get(&r, "GET", "/healthz", &h), 200);
    hresp_free(&h);
    assert_int_equal(relay_stop(&r), 0);
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_relay__sighup_reloads_certificate),
        cmocka_unit_test(test_relay__well_known_app_links),
        cmocka_unit_test(test_relay__notify_socket_path),
        cmocka_unit_test(test_relay__notify_socket_abstract),
        cmocka_unit_test(test_relay__no_notify_socket),
    };
    return cmocka_run_group_tests_name("relay operations: reload, app links, readiness", tests,
                                       group_setup, group_teardown);
}
