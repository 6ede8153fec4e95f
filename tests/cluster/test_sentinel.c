/*
 * tests/cluster/test_sentinel.c: tigress-relay on a Redis master watched by Redis Sentinel
 * (--store redis+sentinel://...?min_replicas=1). On loopback, in the harness temp dir: one
 * master, two replicas and three sentinels (quorum 2, down-after-milliseconds 1000,
 * failover-timeout 5000). A thread keeps creating mailboxes; the master is killed (SIGKILL);
 * the relay answers only 200 or 503 + Retry-After meanwhile, follows the failover by itself,
 * and every create it acknowledged (each one WAITed for a replica) is readable afterwards.
 * Before that, with both replicas stopped (SIGSTOP), a create is answered 503 (WAIT saw no
 * replica) and its retry with the same Request-ID, once they are back, finds it done.
 *
 * Two replicas, not one: with min_replicas=1 the promoted master needs a replica of its own
 * before a write can be acknowledged again, and the other replica becomes it.
 * Timings and counts are printed for the record; the only bound is generous (30 s, times
 * TIGRESS_TEST_TIME_SCALE). Skipped, with a message, when redis-server or redis-sentinel is
 * not installed.
 */
#define _DEFAULT_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cluster_util.h"
#include "relay_fixture.h"
#include "relay_harness.h"

#define N_REPLICAS 2
#define N_SENTINELS 3
#define MASTER_NAME "tigressm"
#define MAX_ACKED 20000

static bool g_skip;
static pid_t g_master, g_replica[N_REPLICAS], g_sentinel[N_SENTINELS];
static unsigned g_master_port, g_replica_port[N_REPLICAS], g_sentinel_port[N_SENTINELS];

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The first output line of `redis-cli -p port args` into out (may be NULL); exit status. */
static int cli(unsigned port, char *out, size_t cap, const char *args)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "redis-cli -h 127.0.0.1 -p %u %s 2>/dev/null", port, args);
    FILE *p = popen(cmd, "r");
    if (p == NULL)
        return -1;
    char line[512] = "";
    bool first = true;
    while (fgets(line, sizeof line, p) != NULL) {
        if (first && out != NULL) {
            line[strcspn(line, "\r\n")] = '\0';
            snprintf(out, cap, "%s", line);
        }
        first = false;
    }
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Does the whole output of `redis-cli -p port args` contain needle? */
static bool cli_contains(unsigned port, const char *args, const char *needle)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "redis-cli -h 127.0.0.1 -p %u %s 2>/dev/null", port, args);
    FILE *p = popen(cmd, "r");
    if (p == NULL)
        return false;
    char line[512];
    bool found = false;
    while (fgets(line, sizeof line, p) != NULL)
        if (strstr(line, needle) != NULL)
            found = true;
    pclose(p);
    return found;
}

/* Polls cond every 100 ms for at most secs (times the time scale). */
static bool wait_for(bool (*cond)(void), int secs)
{
    long n = (long)secs * 10 * th_time_scale();
    for (long i = 0; i < n; i++) {
        if (cond())
            return true;
        usleep(100 * 1000);
    }
    return cond();
}

static pid_t start_server(unsigned port, const char *name, unsigned master_port)
{
    char dir[600], p[16], mp[16];
    snprintf(dir, sizeof dir, "%s/%s", th_dir(), name);
    mkdir(dir, 0700);
    snprintf(p, sizeof p, "%u", port);
    snprintf(mp, sizeof mp, "%u", master_port);
    pid_t pid = fork();
    if (pid != 0)
        return pid;
    if (master_port == 0)
        execlp("redis-server", "redis-server", "--port", p, "--bind", "127.0.0.1", "--save", "",
               "--appendonly", "yes", "--appendfsync", "always", "--dir", dir, "--daemonize",
               "no", "--logfile", "server.log", (char *)NULL);
    else
        execlp("redis-server", "redis-server", "--port", p, "--bind", "127.0.0.1", "--save", "",
               "--appendonly", "yes", "--appendfsync", "always", "--dir", dir, "--daemonize",
               "no", "--logfile", "server.log", "--replicaof", "127.0.0.1", mp, (char *)NULL);
    _exit(127);
}

static pid_t start_sentinel(unsigned port, int i)
{
    char dir[600], conf[700];
    snprintf(dir, sizeof dir, "%s/sentinel%d", th_dir(), i);
    mkdir(dir, 0700);
    snprintf(conf, sizeof conf, "%s/sentinel.conf", dir);
    FILE *f = fopen(conf, "w");
    if (f == NULL)
        return -1;
    fprintf(f, "port %u\nbind 127.0.0.1\ndir %s\nlogfile %s/sentinel.log\n"
               "sentinel monitor %s 127.0.0.1 %u 2\n"
               "sentinel down-after-milliseconds %s 1000\n"
               "sentinel failover-timeout %s 5000\n",
            port, dir, dir, MASTER_NAME, g_master_port, MASTER_NAME, MASTER_NAME);
    fclose(f);
    pid_t pid = fork();
    if (pid != 0)
        return pid;
    execlp("redis-sentinel", "redis-sentinel", conf, (char *)NULL);
    _exit(127);
}

static void reap(pid_t *pid, int sig)
{
    if (*pid <= 0)
        return;
    int st;
    kill(*pid, sig);
    waitpid(*pid, &st, 0);
    *pid = 0;
}

static bool replicas_linked(void)
{
    for (int i = 0; i < N_REPLICAS; i++)
        if (!cli_contains(g_replica_port[i], "info replication", "master_link_status:up"))
            return false;
    return true;
}

/* Every sentinel knows the master, both replicas and the two other sentinels. */
static bool sentinels_ready(void)
{
    char want[N_REPLICAS][32];
    for (int i = 0; i < N_REPLICAS; i++)
        snprintf(want[i], sizeof want[i], "127.0.0.1:%u", g_replica_port[i]);
    for (int s = 0; s < N_SENTINELS; s++) {
        char out[256] = "";
        if (cli(g_sentinel_port[s], out, sizeof out, "sentinel ckquorum " MASTER_NAME) != 0 ||
            strstr(out, "OK 3 usable") == NULL)
            return false;
        for (int i = 0; i < N_REPLICAS; i++)
            if (!cli_contains(g_sentinel_port[s], "sentinel replicas " MASTER_NAME, want[i]))
                return false;
    }
    return true;
}

/* No sentinel sees a replica as down (after they were stopped and continued). */
static bool replicas_up_for_sentinels(void)
{
    for (int s = 0; s < N_SENTINELS; s++)
        if (cli_contains(g_sentinel_port[s], "sentinel replicas " MASTER_NAME, "s_down") ||
            cli_contains(g_sentinel_port[s], "sentinel replicas " MASTER_NAME, "disconnected"))
            return false;
    return true;
}

/* A create with a given Request-ID; status, Retry-After seen, and the mailbox id on 200. */
static long create_rid(const relay_proc *r, const char *claim, const char *rid, char id[37],
                       bool *retry_after)
{
    char exp[32];
    th_rfc3339(3600, exp);
    char *b = th_create_body("T", "d2FpdA==", "wait", "RWD", exp, NULL, NULL);
    assert_non_null(b);
    hreq q = {.method = "POST", .path = "/v1/m", .rid = rid, .claim = claim, .body = b};
    hresp h;
    http_do(r, &q, &h);
    free(b);
    id[0] = '\0';
    const char *p = h.body ? strstr(h.body, "/v1/m/") : NULL;
    if ((h.status == 200 || h.status == 201) && p != NULL && strlen(p) >= 6 + 36) {
        memcpy(id, p + 6, 36);
        id[36] = '\0';
    }
    *retry_after = h.retry_after[0] != '\0';
    long st = h.status;
    hresp_free(&h);
    return st;
}

/* The port the first sentinel names as master now. */
static unsigned named_master(void)
{
    char cmd[256];
    snprintf(cmd, sizeof cmd,
             "redis-cli -h 127.0.0.1 -p %u sentinel get-master-addr-by-name %s 2>/dev/null",
             g_sentinel_port[0], MASTER_NAME);
    FILE *p = popen(cmd, "r");
    if (p == NULL)
        return 0;
    char line[128];
    unsigned port = 0;
    int k = 0;
    while (fgets(line, sizeof line, p) != NULL)
        if (++k == 2)
            port = (unsigned)atoi(line);
    pclose(p);
    return port;
}

static int group_setup(void **state)
{
    (void)state;
    if (th_init() != 0)
        return -1;
    if (!cu_have_redis() ||
        system("command -v redis-sentinel >/dev/null 2>&1") != 0) {
        fprintf(stderr, "SKIP: redis-server/redis-cli/redis-sentinel not installed (apt-get "
                        "install redis-server redis-sentinel); the Sentinel failover test "
                        "needs them\n");
        g_skip = true;
    }
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    for (int i = 0; i < N_SENTINELS; i++)
        reap(&g_sentinel[i], SIGTERM);
    for (int i = 0; i < N_REPLICAS; i++)
        reap(&g_replica[i], SIGTERM);
    reap(&g_master, SIGTERM);
    th_cleanup();
    return 0;
}

/* ---- the create load -------------------------------------------------------------------- */

typedef struct acked {
    char id[37], claim[37];
} acked;

static struct {
    const relay_proc *r;
    atomic_bool stop;
    atomic_long n_ok, n_503, n_other, n_503_no_retry_after;
    _Atomic double kill_at;         /* 0 until the master is killed */
    _Atomic double first_503, last_503, first_ok_after_kill;
    pthread_mutex_t mu;
    acked *acks;
    long n_acks;
} g_load;

static void *load_thread(void *arg)
{
    (void)arg;
    char exp[32];
    th_rfc3339(3600, exp);
    char *body = th_create_body("T", "c2VudGluZWw=", "sentinel", "RWD", exp, NULL, NULL);
    if (body == NULL)
        return NULL;
    while (!atomic_load(&g_load.stop)) {
        char claim[37], rid[37], id[37] = "";
        th_uuid(claim);
        th_uuid(rid);
        double t0 = now_s();
        hreq q = {.method = "POST", .path = "/v1/m", .rid = rid, .claim = claim, .body = body};
        hresp h;
        http_do(g_load.r, &q, &h);
        if (h.status == 200) {
            const char *p = h.body ? strstr(h.body, "/v1/m/") : NULL;
            if (p != NULL && strlen(p) >= 6 + 36) {
                memcpy(id, p + 6, 36);
                id[36] = '\0';
            }
            pthread_mutex_lock(&g_load.mu);
            if (id[0] != '\0' && g_load.n_acks < MAX_ACKED) {
                memcpy(g_load.acks[g_load.n_acks].id, id, 37);
                memcpy(g_load.acks[g_load.n_acks].claim, claim, 37);
                g_load.n_acks++;
            }
            pthread_mutex_unlock(&g_load.mu);
            atomic_fetch_add(&g_load.n_ok, 1);
            double k = atomic_load(&g_load.kill_at);
            if (k > 0 && t0 > k && atomic_load(&g_load.first_ok_after_kill) == 0)
                atomic_store(&g_load.first_ok_after_kill, now_s());
        } else if (h.status == 503) {
            atomic_fetch_add(&g_load.n_503, 1);
            if (h.retry_after[0] == '\0')
                atomic_fetch_add(&g_load.n_503_no_retry_after, 1);
            if (atomic_load(&g_load.first_503) == 0)
                atomic_store(&g_load.first_503, now_s());
            atomic_store(&g_load.last_503, now_s());
            usleep(50 * 1000);  /* a client honouring Retry-After would wait longer still */
        } else {
            fprintf(stderr, "unexpected create status %ld: %s\n", h.status,
                    h.body ? h.body : "");
            atomic_fetch_add(&g_load.n_other, 1);
        }
        hresp_free(&h);
    }
    free(body);
    return NULL;
}

static bool resumed(void)
{
    return atomic_load(&g_load.first_ok_after_kill) > 0;
}

static bool failed_over(void)
{
    unsigned m = named_master();
    return m != 0 && m != g_master_port;
}

static void test_sentinel__failover_under_create_load(void **state)
{
    (void)state;
    if (g_skip)
        skip();
    g_master_port = rf_free_port();
    for (int i = 0; i < N_REPLICAS; i++)
        g_replica_port[i] = rf_free_port();
    for (int i = 0; i < N_SENTINELS; i++)
        g_sentinel_port[i] = rf_free_port();
    g_master = start_server(g_master_port, "master", 0);
    assert_true(g_master > 0);
    for (int i = 0; i < 200 && cli(g_master_port, NULL, 0, "ping") != 0; i++)
        usleep(50 * 1000);
    for (int i = 0; i < N_REPLICAS; i++) {
        char name[32];
        snprintf(name, sizeof name, "replica%d", i);
        g_replica[i] = start_server(g_replica_port[i], name, g_master_port);
        assert_true(g_replica[i] > 0);
    }
    assert_true(wait_for(replicas_linked, 30));
    for (int i = 0; i < N_SENTINELS; i++) {
        g_sentinel[i] = start_sentinel(g_sentinel_port[i], i);
        assert_true(g_sentinel[i] > 0);
    }
    double t_ready = now_s();
    assert_true(wait_for(sentinels_ready, 60));
    fprintf(stderr, "# sentinels agreed on the topology in %.1f s\n", now_s() - t_ready);

    char url[256];
    snprintf(url, sizeof url,
             "redis+sentinel://127.0.0.1:%u,127.0.0.1:%u,127.0.0.1:%u/%s?min_replicas=1",
             g_sentinel_port[0], g_sentinel_port[1], g_sentinel_port[2], MASTER_NAME);
    const char *args[] = {"--listen", "127.0.0.1:0", "--cert", th_cert(), "--key", th_key(),
                          "--store", url, "--rate-limit", "0", NULL};
    relay_proc r;
    memset(&r, 0, sizeof r);
    assert_int_equal(relay_start_raw(&r, args), 0);

    /* It works before anything fails, and the write reached the replicas. */
    char claim[37], id[37];
    th_uuid(claim);
    char exp[32];
    th_rfc3339(3600, exp);
    char *b = th_create_body("T", "Zmlyc3Q=", "first", "RWD", exp, NULL, NULL);
    assert_non_null(b);
    assert_int_equal(th_create(&r, claim, b, id), 200);
    free(b);
    assert_int_equal(th_read(&r, id, claim, NULL), 200);

    /* min_replicas=1 with every replica stopped: the create is done on the master but no
     * replica acknowledges it within the WAIT timeout, so it is answered 503 + Retry-After
     * ("not known to be replicated"). Once the replicas are back, the client's retry with the
     * same Request-ID gets the mailbox that was created after all. */
    for (int i = 0; i < N_REPLICAS; i++)
        kill(g_replica[i], SIGSTOP);
    char wclaim[37], wrid[37], wid[37];
    bool ra = false;
    th_uuid(wclaim);
    th_uuid(wrid);
    long wst = create_rid(&r, wclaim, wrid, wid, &ra);
    for (int i = 0; i < N_REPLICAS; i++)
        kill(g_replica[i], SIGCONT);
    fprintf(stderr, "# create with both replicas stopped: %ld\n", wst);
    assert_int_equal(wst, 503);
    assert_true(ra);
    assert_true(wait_for(replicas_linked, 30));
    assert_true(wait_for(replicas_up_for_sentinels, 30));
    long rst = 0;
    for (int i = 0; i < 50 && rst != 201; i++) {
        rst = create_rid(&r, wclaim, wrid, wid, &ra);
        if (rst != 201)
            usleep(100 * 1000);
    }
    fprintf(stderr, "# its retry with the same Request-ID: %ld (the duplicate answer)\n", rst);
    assert_int_equal(rst, 201);     /* a duplicate: the first attempt did create it */
    assert_true(wid[0] == '\0' || th_read(&r, wid, wclaim, NULL) == 200);

    memset(&g_load, 0, sizeof g_load);
    pthread_mutex_init(&g_load.mu, NULL);
    g_load.r = &r;
    g_load.acks = calloc(MAX_ACKED, sizeof *g_load.acks);
    assert_non_null(g_load.acks);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, load_thread, NULL), 0);
    usleep(1500 * 1000);
    long before = atomic_load(&g_load.n_ok);

    double t_kill = now_s();
    atomic_store(&g_load.kill_at, t_kill);
    reap(&g_master, SIGKILL);
    bool fo = wait_for(failed_over, 30);
    double t_fo = now_s();
    bool ok = wait_for(resumed, 30);
    double t_ok = now_s();
    usleep(1000 * 1000);     /* some load on the new master */
    atomic_store(&g_load.stop, true);
    pthread_join(t, NULL);

    unsigned new_master = named_master();
    double first_503 = atomic_load(&g_load.first_503), last_503 = atomic_load(&g_load.last_503);
    fprintf(stderr,
            "# creates before the kill: %ld; acknowledged in all: %ld; 503s: %ld (first %.2f s, "
            "last %.2f s after the kill); other statuses: %ld\n"
            "# sentinels named the new master (port %u, was %u) %.2f s after the kill; "
            "the relay acknowledged creates again %.2f s after the kill\n",
            before, g_load.n_acks, atomic_load(&g_load.n_503),
            first_503 > 0 ? first_503 - t_kill : 0.0, last_503 > 0 ? last_503 - t_kill : 0.0,
            atomic_load(&g_load.n_other), new_master, g_master_port, t_fo - t_kill,
            ok ? atomic_load(&g_load.first_ok_after_kill) - t_kill : t_ok - t_kill);
    assert_true(fo);
    assert_true(ok);
    assert_true(before > 0);
    assert_int_equal(atomic_load(&g_load.n_other), 0);          /* only 200 or 503 */
    assert_int_equal(atomic_load(&g_load.n_503_no_retry_after), 0);

    /* Every acknowledged create survived the failover. */
    long lost = 0;
    for (long i = 0; i < g_load.n_acks; i++) {
        long st = th_read(&r, g_load.acks[i].id, g_load.acks[i].claim, NULL);
        for (int k = 0; k < 50 && st == 503; k++) {     /* a breaker window, at most */
            usleep(100 * 1000);
            st = th_read(&r, g_load.acks[i].id, g_load.acks[i].claim, NULL);
        }
        if (st != 200) {
            fprintf(stderr, "acknowledged mailbox %s: read answers %ld\n", g_load.acks[i].id, st);
            lost++;
        }
    }
    fprintf(stderr, "# %ld acknowledged creates read back, %ld missing\n", g_load.n_acks, lost);
    assert_int_equal(lost, 0);
    assert_int_equal(th_read(&r, id, claim, NULL), 200);
    free(g_load.acks);
    pthread_mutex_destroy(&g_load.mu);
    assert_int_equal(relay_stop(&r), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sentinel__failover_under_create_load),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
