/*
 * tests/cluster/test_cluster.c: three tigress-relay processes over one Redis store (any
 * request may reach any process: relay/README.md, "Operating at scale"). A private
 * redis-server on a free loopback port with appendonly yes and appendfsync always (so an
 * acknowledged write survives SIGKILL), three relays A, B, C on it, and a local HTTPS push
 * receiver. Covers: a transfer whose steps hop between the processes,
 * 50 racing recipients over three processes (exactly one binds, R13), long-poll woken across
 * processes through the change channel, exactly one push per update, the shared rate limit
 * (hashed names only, expiring keys), and Redis stopped mid-test (503 + Retry-After, no crash)
 * then restarted (the relays recover by themselves, no acknowledged mailbox lost).
 *
 * Skipped, with a message, only when redis-server is not installed.
 */
#define _DEFAULT_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cluster_util.h"
#include "relay_harness.h"

static relay_proc g_r[3];          /* A, B, C */
static bool g_skip;
static char g_url[96];

static int group_setup(void **state)
{
    (void)state;
    if (th_init() != 0)
        return -1;
    if (!cu_have_redis()) {
        fprintf(stderr, "SKIP: redis-server/redis-cli not installed (apt-get install "
                        "redis-server); the cluster suite needs a private Redis\n");
        g_skip = true;
        return 0;
    }
    if (cu_redis_start() != 0 || cu_rx_start() != 0)
        return -1;
    snprintf(g_url, sizeof g_url, "redis://127.0.0.1:%u/0", cu_redis_port());
    char gateway[128];
    snprintf(gateway, sizeof gateway, "https://127.0.0.1:%u/_matrix/push/v1/notify",
             cu_rx_port());
    const char *args[] = {"--listen", "127.0.0.1:0", "--cert", th_cert(), "--key", th_key(),
                          "--store", g_url, "--rate-limit", "0", "--push-allow", "127.0.0.1",
                          "--push-ca", th_ca(), "--push-gateway", gateway, NULL};
    for (int i = 0; i < 3; i++)
        if (relay_start_raw(&g_r[i], args) != 0)
            return -1;
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    int rc = 0;
    for (int i = 0; i < 3; i++)
        if (g_r[i].pid > 0 && relay_stop(&g_r[i]) != 0)
            rc = -1;            /* a crash (or a hang) at shutdown fails the suite */
    cu_rx_stop();
    cu_redis_stop();
    th_cleanup();
    return rc;
}

#define A (&g_r[0])
#define B (&g_r[1])
#define C (&g_r[2])

static void make_mailbox(const relay_proc *r, const char *claim, const char *data,
                         const char *ttype, const char *tdata, char id[37])
{
    char exp[32];
    th_rfc3339(3600, exp);
    char *b = th_create_body("T", data, "cluster", "RWD", exp, ttype, tdata);
    assert_int_equal(th_create(r, claim, b, id), 200);
    free(b);
}

static void expect_data(const relay_proc *r, const char *id, const char *claim,
                        const char *data)
{
    hresp h;
    assert_int_equal(th_read(r, id, claim, &h), 200);
    char want[128];
    snprintf(want, sizeof want, "\"data\":\"%s\"", data);
    assert_non_null(strstr(h.body, want));
    hresp_free(&h);
}

static void put(const relay_proc *r, const char *id, const char *claim, const char *data)
{
    char body[256], rid[37];
    snprintf(body, sizeof body, "{\"payload\":{\"type\":\"T\",\"data\":\"%s\"}}", data);
    th_uuid(rid);
    assert_int_equal(th_update(r, id, claim, rid, body), 200);
}

/* The steps of one transfer, each on another process: create on A, redeem on B, TxInfo on
 * C, signature on A, completion (delete) on B. Every process sees what the others wrote. */
static void test_cluster__transfer_hops_between_processes(void **state)
{
    (void)state;
    if (g_skip)
        skip();
    char ini[37], rec[37], other[37], id[37];
    th_uuid(ini);
    th_uuid(rec);
    th_uuid(other);
    make_mailbox(A, ini, "cHJvdmlzaW9u", NULL, NULL, id);          /* create on A */
    expect_data(B, id, rec, "cHJvdmlzaW9u");                       /* redeem on B: binds */
    assert_int_equal(th_read(C, id, other, NULL), 401);            /* C knows the binding */
    put(C, id, rec, "dHhpbmZv");                                   /* TxInfo on C */
    expect_data(A, id, ini, "dHhpbmZv");
    put(A, id, ini, "c2lnbmF0dXJl");                               /* signature on A */
    expect_data(B, id, rec, "c2lnbmF0dXJl");
    char path[128], rid[37];
    snprintf(path, sizeof path, "/v1/m/%s", id);
    th_uuid(rid);
    hreq d = {.method = "DELETE", .path = path, .claim = rec, .rid = rid};
    hresp h;
    http_do(B, &d, &h);                                            /* complete on B */
    assert_int_equal(h.status, 200);
    hresp_free(&h);
    assert_int_equal(th_read(C, id, ini, NULL), 404);
    assert_int_equal(th_read(A, id, rec, NULL), 404);
}

typedef struct racer {
    const relay_proc *r;
    const char *id;
    char claim[37];
    long status;
} racer;

static pthread_barrier_t g_start;

static void *race_main(void *p)
{
    racer *x = p;
    pthread_barrier_wait(&g_start);
    x->status = th_read(x->r, x->id, x->claim, NULL);
    return NULL;
}

/* R13 across processes: 50 recipients race for one mailbox through A, B and C; exactly one
 * is bound, everyone else gets 401, and the winner keeps reading wherever it goes. */
static void test_cluster__50_racing_recipients_exactly_one_binds(void **state)
{
    (void)state;
    if (g_skip)
        skip();
    enum { N = 50 };
    char ini[37], id[37];
    th_uuid(ini);
    make_mailbox(B, ini, "cmFjZQ==", NULL, NULL, id);
    racer rs[N];
    pthread_t t[N];
    pthread_barrier_init(&g_start, NULL, N);
    for (int i = 0; i < N; i++) {
        rs[i].r = &g_r[i % 3];
        rs[i].id = id;
        th_uuid(rs[i].claim);
        rs[i].status = 0;
        pthread_create(&t[i], NULL, race_main, &rs[i]);
    }
    int won = -1, n200 = 0, n401 = 0;
    for (int i = 0; i < N; i++) {
        pthread_join(t[i], NULL);
        if (rs[i].status == 200) {
            n200++;
            won = i;
        } else if (rs[i].status == 401) {
            n401++;
        }
    }
    pthread_barrier_destroy(&g_start);
    assert_int_equal(n200, 1);
    assert_int_equal(n401, N - 1);
    for (int i = 0; i < 3; i++)
        assert_int_equal(th_read(&g_r[i], id, rs[won].claim, NULL), 200);
}

typedef struct poller {
    const relay_proc *r;
    char id[37], claim[37];
    const char *inm;           /* If-None-Match line; NULL: version 1 */
    hresp h;
} poller;

static void *poll_main(void *p)
{
    poller *pl = p;
    char path[128];
    snprintf(path, sizeof path, "/v1/m/%s", pl->id);
    hreq q = {.method = "POST", .path = path, .claim = pl->claim,
              .extra = {pl->inm != NULL ? pl->inm : "If-None-Match: \"1\"", "Prefer: wait=60"}};
    http_do(pl->r, &q, &pl->h);
    return NULL;
}

/* Every process listens on the change channel, and an Update on A answers a read held on B
 * and one held on C with the new content (200, not the 304 the end of the wait would give). */
static void test_cluster__longpoll_on_B_and_C_woken_by_update_on_A(void **state)
{
    (void)state;
    if (g_skip)
        skip();
    assert_int_equal(cu_redis_numsub_wait("tigress:chg:0", 3), 3);
    char ini[37], rec[37], id[37];
    th_uuid(ini);
    th_uuid(rec);
    make_mailbox(A, ini, "djE=", NULL, NULL, id);
    assert_int_equal(th_read(C, id, rec, NULL), 200);              /* bind the Recipient */
    poller pb, pc;
    memset(&pb, 0, sizeof pb);
    memset(&pc, 0, sizeof pc);
    pb.r = B;
    pc.r = C;
    memcpy(pb.id, id, 37);
    memcpy(pc.id, id, 37);
    memcpy(pb.claim, ini, 37);
    memcpy(pc.claim, rec, 37);
    pthread_t tb, tc;
    pthread_create(&tb, NULL, poll_main, &pb);
    pthread_create(&tc, NULL, poll_main, &pc);
    usleep(500 * 1000);        /* let both reads be parked (if not, they see v2 at once: 200) */
    put(A, id, ini, "djI=");
    pthread_join(tb, NULL);
    pthread_join(tc, NULL);
    assert_int_equal(pb.h.status, 200);
    assert_int_equal(pc.h.status, 200);
    assert_non_null(strstr(pb.h.body, "\"data\":\"djI=\""));
    assert_non_null(strstr(pc.h.body, "\"data\":\"djI=\""));
    assert_string_equal(pb.h.etag, "\"2\"");
    hresp_free(&pb.h);
    hresp_free(&pc.h);
}

/* Reads subscriber lines until one is "<node> <id>"; returns that line's node part ("" when
 * the stream ended first). */
static void next_notice(FILE *in, const char *id, char node[64])
{
    char line[256];
    node[0] = '\0';
    while (fgets(line, sizeof line, in) != NULL) {
        line[strcspn(line, "\r\n")] = '\0';
        char *sp = strchr(line, ' ');
        if (sp != NULL && strcmp(sp + 1, id) == 0) {
            snprintf(node, 64, "%.*s", (int)(sp - line), line);
            return;
        }
    }
}

/* What wakes other processes: an Update and a Delete each publish one notice naming the
 * mailbox and the sending process on tigress:chg:<db>; A and C are different senders. */
static void test_cluster__update_and_delete_publish_change_notices(void **state)
{
    (void)state;
    if (g_skip)
        skip();
    pid_t pid;
    FILE *in;
    assert_int_equal(cu_redis_subscribe("tigress:chg:0", &pid, &in), 0);
    assert_int_equal(cu_redis_numsub_wait("tigress:chg:0", 4), 4);   /* 3 relays + us */
    char ini[37], id[37], rid[37], path[128], n1[64], n2[64], n3[64];
    th_uuid(ini);
    make_mailbox(B, ini, "bm90aWNl", NULL, NULL, id);
    put(A, id, ini, "dXA=");
    next_notice(in, id, n1);
    put(C, id, ini, "dXAy");
    next_notice(in, id, n2);
    snprintf(path, sizeof path, "/v1/m/%s", id);
    th_uuid(rid);
    hreq d = {.method = "DELETE", .path = path, .claim = ini, .rid = rid};
    hresp h;
    http_do(A, &d, &h);
    assert_int_equal(h.status, 200);
    hresp_free(&h);
    next_notice(in, id, n3);
    cu_redis_unsubscribe(pid, in);
    assert_int_equal(strlen(n1), 16);
    assert_int_equal(strlen(n2), 16);
    assert_string_not_equal(n1, n2);        /* A's and C's notices */
    assert_string_equal(n1, n3);            /* A again */
}

/* Exactly one process sends each push: the one that handled the Update. Four updates by the
 * Recipient through A, B, C, A give four pushes to the Initiator's token, not more. */
static void test_cluster__one_push_per_update(void **state)
{
    (void)state;
    if (g_skip)
        skip();
    cu_rx_reset();
    char ini[37], rec[37], id[37], tok[160];
    th_uuid(ini);
    th_uuid(rec);
    snprintf(tok, sizeof tok, "https://127.0.0.1:%u/push/ini-cluster", cu_rx_port());
    make_mailbox(C, ini, "cHVzaA==", "webpush", tok, id);
    assert_int_equal(th_read(B, id, rec, NULL), 200);
    const char *data[4] = {"dTE=", "dTI=", "dTM=", "dTQ="};
    for (int i = 0; i < 4; i++)
        put(&g_r[i % 3], id, rec, data[i]);
    assert_int_equal(cu_rx_wait(4), 4);
    sleep(1);                  /* a duplicate from another process would have arrived by now */
    assert_int_equal(cu_rx_count(), 4);
    for (int i = 0; i < 4; i++)
        assert_string_equal(cu_rx_path(i), "/push/ini-cluster");
}

/* One rate limit for a client whichever process it reaches: with a burst of 4 and a slow
 * refill, 10 requests spread over two processes on another database get exactly 4 through.
 * The buckets in Redis are named by keyed hashes (no address) and expire. */
static void test_cluster__rate_limit_is_shared(void **state)
{
    (void)state;
    if (g_skip)
        skip();
    char url[96];
    snprintf(url, sizeof url, "redis://127.0.0.1:%u/1", cu_redis_port());
    const char *args[] = {"--listen", "127.0.0.1:0", "--cert", th_cert(), "--key", th_key(),
                          "--store", url, "--rate-limit", "0.01", "--rate-burst", "4", NULL};
    relay_proc d = {0}, e = {0};
    assert_int_equal(relay_start_raw(&d, args), 0);
    assert_int_equal(relay_start_raw(&e, args), 0);
    int ok = 0, limited = 0;
    for (int i = 0; i < 10; i++) {
        hreq q = {.method = "GET", .path = "/v1/m/00000000-0000-4000-8000-000000000000"};
        hresp h;
        http_do(i % 2 ? &e : &d, &q, &h);
        if (h.status == 429) {
            limited++;
            assert_true(atoi(h.retry_after) >= 1);
        } else if (h.status != 0) {
            ok++;
        }
        hresp_free(&h);
    }
    assert_int_equal(ok, 4);
    assert_int_equal(limited, 6);
    assert_int_equal(relay_stop(&d), 0);
    assert_int_equal(relay_stop(&e), 0);
    assert_true(cu_redis_check_rl_keys(1));
}

static void *outage_poll(void *p)
{
    poll_main(p);
    return NULL;
}

/* Redis killed mid-test: every process answers 503 with Retry-After (never crashes, never a
 * wrong answer); once Redis is back they recover by themselves and every mailbox whose
 * creation or update was acknowledged before the outage is there, with that content. */
static void test_cluster__redis_outage_503_then_recovery(void **state)
{
    (void)state;
    if (g_skip)
        skip();
    enum { M = 6 };
    char ini[M][37], id[M][37], data[M][16];
    for (int i = 0; i < M; i++) {
        th_uuid(ini[i]);
        snprintf(data[i], sizeof data[i], "bSVk%d", i);
        make_mailbox(&g_r[i % 3], ini[i], "b2xk", NULL, NULL, id[i]);
        put(&g_r[(i + 1) % 3], id[i], ini[i], data[i]);             /* acknowledged update */
    }
    /* A long-poll held on C when Redis goes away is answered, not left hanging. */
    poller pl;
    memset(&pl, 0, sizeof pl);
    pl.r = C;
    memcpy(pl.id, id[0], 37);
    memcpy(pl.claim, ini[0], 37);
    pl.inm = "If-None-Match: \"2\"";      /* the version after the update: it waits */
    pthread_t t;
    pthread_create(&t, NULL, outage_poll, &pl);
    usleep(300 * 1000);
    cu_redis_kill9();

    char claim[37];
    th_uuid(claim);
    for (int i = 0; i < 3; i++) {
        hresp h;
        assert_int_equal(th_read(&g_r[i], id[i], ini[i], &h), 503);
        assert_true(atoi(h.retry_after) >= 1);
        hresp_free(&h);
        char *b = th_create_body("T", "bm8=", "x", "RWD", NULL, NULL, NULL);
        long st = th_create(&g_r[i], claim, b, (char[37]){0});
        free(b);
        assert_int_equal(st, 503);
        assert_int_equal(kill(g_r[i].pid, 0), 0);                  /* still running */
    }
    pthread_join(t, NULL);
    /* The held read was resumed: 200 is impossible (nothing changed), only 304 or 503. */
    assert_true(pl.h.status == 304 || pl.h.status == 503);
    hresp_free(&pl.h);

    assert_int_equal(cu_redis_start(), 0);                         /* same port, same AOF */
    for (int i = 0; i < 3; i++)
        assert_int_equal(cu_wait_status(&g_r[i], id[i], ini[i], 200), 200);
    for (int i = 0; i < M; i++)
        expect_data(&g_r[(i + 2) % 3], id[i], ini[i], data[i]);
    char fresh[37];
    make_mailbox(B, claim, "YWZ0ZXI=", NULL, NULL, fresh);         /* writes work again */
    expect_data(C, fresh, claim, "YWZ0ZXI=");
    assert_int_equal(cu_redis_numsub_wait("tigress:chg:0", 3), 3);  /* subscribers are back */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cluster__transfer_hops_between_processes),
        cmocka_unit_test(test_cluster__50_racing_recipients_exactly_one_binds),
        cmocka_unit_test(test_cluster__longpoll_on_B_and_C_woken_by_update_on_A),
        cmocka_unit_test(test_cluster__update_and_delete_publish_change_notices),
        cmocka_unit_test(test_cluster__one_push_per_update),
        cmocka_unit_test(test_cluster__rate_limit_is_shared),
        cmocka_unit_test(test_cluster__redis_outage_503_then_recovery),
    };
    return cmocka_run_group_tests_name("three relays on one Redis", tests, group_setup,
                                       group_teardown);
}
