/*
 * tests/cluster/test_cluster_ops.c: operating tigress-relay on Redis: the relay
 * starts while Redis is down and recovers by itself; ACL users and --redis-password-file;
 * credentials refused by a reachable server are a clear start-up failure; a hung server
 * (SIGSTOP) gets every request, held long-polls included, a 503 + Retry-After and the
 * relay recovers after SIGCONT; /healthz follows the store.
 *
 * One private redis-server on loopback (tests/cluster/cluster_util.c). Timings are printed
 * for the record only: nothing here asserts a duration.
 * Skipped, with a message, only when redis-server is not installed.
 */
#define _DEFAULT_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cluster_util.h"
#include "relay_harness.h"

static bool g_skip;

static int group_setup(void **state)
{
    (void)state;
    if (th_init() != 0)
        return -1;
    if (!cu_have_redis()) {
        fprintf(stderr, "SKIP: redis-server/redis-cli not installed (apt-get install "
                        "redis-server); the Redis operations suite needs a private Redis\n");
        g_skip = true;
    }
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    cu_redis_signal(SIGCONT);          /* never leave a stopped server behind */
    cu_redis_stop();
    th_cleanup();
    return 0;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (f == NULL)
        return -1;
    fputs(text, f);
    return fclose(f);
}

/* A relay on `url` (plus extra args, NULL-terminated, may be NULL). Exit status or 0. */
static int start_on(relay_proc *r, const char *url, const char *const *extra)
{
    const char *args[24] = {"--listen", "127.0.0.1:0", "--cert", th_cert(), "--key", th_key(),
                            "--store", url, "--rate-limit", "0", "--metrics-listen",
                            "127.0.0.1:0"};
    size_t n = 12;
    for (size_t i = 0; extra != NULL && extra[i] != NULL && n < 23; i++)
        args[n++] = extra[i];
    args[n] = NULL;
    memset(r, 0, sizeof *r);
    return relay_start_raw(r, args);
}

/* SIGTERM; a clean exit is 0. Otherwise the relay's log goes to stderr to say why. */
static int stop_relay(relay_proc *r)
{
    char log[512];
    snprintf(log, sizeof log, "%s", r->log_path);
    int rc = relay_stop(r);
    if (rc != 0) {
        fprintf(stderr, "relay exit status %d; its log:\n", rc);
        FILE *f = fopen(log, "r");
        char line[1024];
        while (f != NULL && fgets(line, sizeof line, f) != NULL)
            fputs(line, stderr);
        if (f != NULL)
            fclose(f);
    }
    return rc;
}

static long healthz(const relay_proc *r)
{
    char url[96];
    snprintf(url, sizeof url, "http://127.0.0.1:%u/healthz", r->metrics_port);
    hreq q = {.method = "GET", .path = url};
    hresp h;
    http_do(r, &q, &h);
    long st = h.status;
    hresp_free(&h);
    /* The API listener's /healthz (what a load balancer sees) says the same. */
    hreq api = {.method = "GET", .path = "/healthz"};
    http_do(r, &api, &h);
    assert_int_equal(h.status, st);
    if (st == 503)
        assert_true(h.retry_after[0] != '\0');
    hresp_free(&h);
    return st;
}

static long del(const relay_proc *r, const char *id, const char *claim)
{
    char path[64], rid[37];
    snprintf(path, sizeof path, "/v1/m/%s", id);
    th_uuid(rid);
    hreq q = {.method = "DELETE", .path = path, .claim = claim, .rid = rid};
    hresp h;
    http_do(r, &q, &h);
    long st = h.status;
    hresp_free(&h);
    return st;
}

static long create(const relay_proc *r, const char *claim, const char *data, char id[37])
{
    char exp[32];
    th_rfc3339(3600, exp);
    char *b = th_create_body("T", data, "ops", "RWD", exp, NULL, NULL);
    assert_non_null(b);
    long st = th_create(r, claim, b, id);
    free(b);
    return st;
}

/* Create, read back (content checked), delete, then the mailbox is gone. */
static void full_cycle(const relay_proc *r)
{
    char claim[37], id[37];
    th_uuid(claim);
    assert_int_equal(create(r, claim, "Y3ljbGU=", id), 200);
    hresp h;
    assert_int_equal(th_read(r, id, claim, &h), 200);
    assert_non_null(strstr(h.body, "\"data\":\"Y3ljbGU=\""));
    hresp_free(&h);
    assert_int_equal(del(r, id, claim), 200);
    assert_int_equal(th_read(r, id, claim, NULL), 404);
}

/* Redis down when the relay starts is an outage like any other: the relay starts
 * (it used to exit 70), answers 503 + Retry-After, /healthz says 503, and once redis-server
 * comes up on that port it serves a full create/read/delete by itself. */
static void test_cluster_ops__start_with_redis_down_then_recovers(void **state)
{
    (void)state;
    if (g_skip)
        skip();
    char url[96];
    snprintf(url, sizeof url, "redis://127.0.0.1:%u/0", cu_redis_pick_port());
    relay_proc r;
    assert_int_equal(start_on(&r, url, NULL), 0);
    assert_true(th_file_contains(r.log_path, "starting anyway"));
    char claim[37], id[37];
    th_uuid(claim);
    th_uuid(id);
    for (int i = 0; i < 3; i++) {
        char *b = th_create_body("T", "ZG93bg==", "x", "RWD", NULL, NULL, NULL);
        assert_non_null(b);
        hreq q = {.method = "POST", .path = "/v1/m", .claim = claim, .rid = id, .body = b};
        hresp h;
        http_do(&r, &q, &h);
        free(b);
        assert_int_equal(h.status, 503);
        assert_true(atoi(h.retry_after) >= 1);
        hresp_free(&h);
        hresp g;
        assert_int_equal(th_read(&r, id, claim, &g), 503);
        assert_true(atoi(g.retry_after) >= 1);
        hresp_free(&g);
    }
    assert_int_equal(healthz(&r), 503);
    assert_int_equal(kill(r.pid, 0), 0);

    assert_int_equal(cu_redis_start(), 0);
    long st = 0;
    for (int i = 0; i < 100 && st != 200; i++) {     /* bounded: ~10 s */
        char probe[37];
        st = create(&r, claim, "cmVjb3ZlcmVk", probe);
        if (st != 200)
            usleep(100 * 1000);
    }
    assert_int_equal(st, 200);
    full_cycle(&r);
    assert_int_equal(healthz(&r), 200);
    assert_int_equal(stop_relay(&r), 0);
}

/* Redis 6 ACL users: redis://user:password@ sends AUTH user password (the user used to be
 * dropped, so the server refused the start); --redis-password-file supplies the password of
 * the URL's user, percent-encoding whatever it holds. */
static void test_cluster_ops__acl_user_and_password_file(void **state)
{
    (void)state;
    if (g_skip)
        skip();
    assert_int_equal(cu_redis_start(), 0);             /* no-op port reuse if running */
    assert_int_equal(cu_redis_cmd(NULL, 0, "ACL SETUSER alice on '>alicepw' '~*' '&*' '+@all'"),
                     0);
    assert_int_equal(cu_redis_cmd(NULL, 0, "ACL SETUSER bob on '>p@ss:w/rd%2 x' '~*' '&*' "
                                           "'+@all'"), 0);
    char url[128];
    snprintf(url, sizeof url, "redis://alice:alicepw@127.0.0.1:%u/0", cu_redis_port());
    relay_proc r;
    assert_int_equal(start_on(&r, url, NULL), 0);
    full_cycle(&r);
    assert_int_equal(stop_relay(&r), 0);

    char pwfile[600];
    snprintf(pwfile, sizeof pwfile, "%s/bob.pw", th_dir());
    assert_int_equal(write_file(pwfile, "p@ss:w/rd%2 x\n"), 0);
    snprintf(url, sizeof url, "redis://bob@127.0.0.1:%u/0", cu_redis_port());
    const char *extra[] = {"--redis-password-file", pwfile, NULL};
    assert_int_equal(start_on(&r, url, extra), 0);
    full_cycle(&r);
    assert_int_equal(stop_relay(&r), 0);
    assert_false(th_file_contains(r.log_path, "p@ss"));
}

/* A reachable server that refuses the credentials is a configuration error, not an outage:
 * exit 70 with a message naming the refusal (and never the password). A bad URL stays 70;
 * a password both in the URL and in a file, or a password file for SQLite, is 64. */
static void test_cluster_ops__refused_credentials_fail_at_start(void **state)
{
    (void)state;
    if (g_skip)
        skip();
    assert_int_equal(cu_redis_start(), 0);
    char url[128];
    relay_proc r;
    snprintf(url, sizeof url, "redis://alice:wrongpw-41@127.0.0.1:%u/0", cu_redis_port());
    assert_int_equal(start_on(&r, url, NULL), 70);
    assert_true(th_file_contains(r.log_path, "refused the credentials of user alice"));
    assert_false(th_file_contains(r.log_path, "wrongpw-41"));
    snprintf(url, sizeof url, "redis://127.0.0.1:%u/0", cu_redis_port());
    assert_int_equal(cu_redis_cmd(NULL, 0, "ACL SETUSER default on '>defpw'"), 0);
    assert_int_equal(start_on(&r, url, NULL), 70);     /* the server wants AUTH: NOAUTH */
    assert_true(th_file_contains(r.log_path, "refused the credentials"));
    assert_int_equal(cu_redis_cmd(NULL, 0, "-a defpw --no-auth-warning ACL SETUSER default "
                                           "nopass"), 0);
    assert_int_equal(start_on(&r, "redis://127.0.0.1:notaport/0", NULL), 70);

    char pwfile[600];
    snprintf(pwfile, sizeof pwfile, "%s/twice.pw", th_dir());
    assert_int_equal(write_file(pwfile, "alicepw\n"), 0);
    const char *extra[] = {"--redis-password-file", pwfile, NULL};
    snprintf(url, sizeof url, "redis://alice:alicepw@127.0.0.1:%u/0", cu_redis_port());
    assert_int_equal(start_on(&r, url, extra), 64);
    char db[600];
    snprintf(db, sizeof db, "%s/ops.db", th_dir());
    assert_int_equal(start_on(&r, db, extra), 64);
}

typedef struct poller {
    const relay_proc *r;
    char id[37], claim[37];
    hresp h;
    double took;
} poller;

static void *poll_main(void *p)
{
    poller *pl = p;
    char path[128];
    snprintf(path, sizeof path, "/v1/m/%s", pl->id);
    hreq q = {.method = "POST", .path = path, .claim = pl->claim,
              .extra = {"If-None-Match: \"1\"", "Prefer: wait=60"}};
    double t0 = now_s();
    http_do(pl->r, &q, &pl->h);
    pl->took = now_s() - t0;
    return NULL;
}

/* A hung Redis (SIGSTOP: connections are accepted, nothing is answered). Every request gets
 * 503 + Retry-After, the long-polls held when it hung are answered 503, the relay stays up,
 * and after SIGCONT it serves again by itself. Times are printed, not asserted. */
static void test_cluster_ops__hung_redis_503_then_recovery(void **state)
{
    (void)state;
    if (g_skip)
        skip();
    assert_int_equal(cu_redis_start(), 0);
    char url[96];
    snprintf(url, sizeof url, "redis://127.0.0.1:%u/0", cu_redis_port());
    relay_proc r;
    const char *extra[] = {"--rate-limit", "100", NULL};   /* the shared limiter is on */
    assert_int_equal(start_on(&r, url, extra), 0);
    enum { W = 4 };
    poller pl[W];
    pthread_t t[W];
    for (int i = 0; i < W; i++) {
        memset(&pl[i], 0, sizeof pl[i]);
        pl[i].r = &r;
        th_uuid(pl[i].claim);
        assert_int_equal(create(&r, pl[i].claim, "aHVuZw==", pl[i].id), 200);
    }
    for (int i = 0; i < W; i++)
        pthread_create(&t[i], NULL, poll_main, &pl[i]);
    usleep(500 * 1000);                                  /* the reads are parked */
    cu_redis_signal(SIGSTOP);
    double t0 = now_s();
    for (int i = 0; i < 6; i++) {
        hresp h;
        double a = now_s();
        long st = th_read(&r, pl[i % W].id, pl[i % W].claim, &h);
        fprintf(stderr, "NOTE: hung Redis: read %d answered %ld after %.3f s\n", i, st,
                now_s() - a);
        assert_int_equal(st, 503);
        assert_true(atoi(h.retry_after) >= 1);
        hresp_free(&h);
    }
    for (int i = 0; i < W; i++) {
        pthread_join(t[i], NULL);
        fprintf(stderr, "NOTE: hung Redis: held long-poll %d answered %ld after %.3f s "
                        "(%.3f s after SIGSTOP)\n", i, pl[i].h.status, pl[i].took,
                now_s() - t0);
        assert_int_equal(pl[i].h.status, 503);
        assert_true(atoi(pl[i].h.retry_after) >= 1);
        hresp_free(&pl[i].h);
    }
    assert_int_equal(healthz(&r), 503);
    assert_int_equal(kill(r.pid, 0), 0);                  /* still running */
    cu_redis_signal(SIGCONT);
    assert_int_equal(cu_wait_status(&r, pl[0].id, pl[0].claim, 200), 200);
    full_cycle(&r);
    assert_int_equal(stop_relay(&r), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cluster_ops__start_with_redis_down_then_recovers),
        cmocka_unit_test(test_cluster_ops__acl_user_and_password_file),
        cmocka_unit_test(test_cluster_ops__refused_credentials_fail_at_start),
        cmocka_unit_test(test_cluster_ops__hung_redis_503_then_recovery),
    };
    return cmocka_run_group_tests_name("relay operations over Redis", tests, group_setup,
                                       group_teardown);
}
