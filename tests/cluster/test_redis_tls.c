/*
 * tests/cluster/test_redis_tls.c: relay/store/redis_tls.c, the TLS tunnel that lets hiredis (plain
 * TCP only) reach a rediss:// server. A private redis-server with --tls-port on 127.0.0.1,
 * certificates made at test time with openssl (a test CA, a server certificate for
 * IP:127.0.0.1 and DNS:redis.test, a client certificate, and a second, unrelated CA).
 * Skipped, with a message, when redis-server is not installed.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <hiredis.h>

#include "redis_tls.h"

/* Upper bounds on waiting (never expected to be reached), multiplied by
 * TIGRESS_TEST_TIME_SCALE when set (tests/harness/valgrind.sh sets 20). */
static int g_scale = 1;
#define IDLE_WAIT_MS (10000 * g_scale)
#define CONNECT_MS (5000 * g_scale)

static bool g_skip;
static bool g_verbose;           /* REDIS_TLS_VERBOSE=1: print the expected error messages */
static char g_dir[] = "/tmp/tigress-redis-tls.XXXXXX";

typedef struct redis_srv {
    pid_t pid;
    int port;
} redis_srv;

static redis_srv g_srv;          /* --tls-auth-clients optional, for most tests */
static redis_srv g_strict;       /* --tls-auth-clients yes */
static redis_srv g_victim;       /* killed mid-session */

static char *path_of(const char *name)
{
    static char bufs[8][512];
    static int next;
    char *b = bufs[next++ % 8];
    snprintf(b, sizeof bufs[0], "%s/%s", g_dir, name);
    return b;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* ---- certificates (openssl at test time; nothing outside the temp dir) --------------------- */

static int make_certs(void)
{
    char cmd[4096];
    snprintf(cmd, sizeof cmd,
        "set -e; cd '%s'\n"
        "ec='-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes'\n"
        "for ca in ca other-ca; do\n"
        "  openssl req -x509 $ec -keyout $ca.key -out $ca.pem -days 2 -subj \"/CN=tigress $ca\" "
        "    -addext basicConstraints=critical,CA:TRUE "
        "    -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null\n"
        "done\n"
        "sign() { # name subject extensions\n"
        "  openssl req $ec -keyout $1.key -out $1.csr -subj \"$2\" 2>/dev/null\n"
        "  printf '%%s\\n' \"$3\" basicConstraints=CA:FALSE keyUsage=critical,digitalSignature "
        "    > $1.ext\n"
        "  openssl x509 -req -in $1.csr -CA ca.pem -CAkey ca.key -CAcreateserial "
        "    -out $1.pem -days 2 -extfile $1.ext 2>/dev/null\n"
        "  rm -f $1.csr $1.ext\n"
        "}\n"
        "sign server /CN=127.0.0.1 'subjectAltName=IP:127.0.0.1,DNS:redis.test\n"
        "extendedKeyUsage=serverAuth'\n"
        "sign client '/CN=tigress relay' extendedKeyUsage=clientAuth\n"
        "chmod 600 *.key\n",
        g_dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* ---- a private redis-server ---------------------------------------------------------------- */

static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof sa;
    int port = -1;
    if (fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0 &&
        getsockname(fd, (struct sockaddr *)&sa, &len) == 0)
        port = ntohs(sa.sin_port);
    if (fd >= 0)
        close(fd);
    return port;
}

static bool tcp_ready(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    bool ok = fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0;
    if (fd >= 0)
        close(fd);
    return ok;
}

/* Starts redis-server with TLS only (--port 0) on 127.0.0.1; auth is "optional" or "yes". */
static int redis_start(redis_srv *r, const char *auth)
{
    for (int attempt = 0; attempt < 3; attempt++) {
        char port[16], log[600], auth_arg[16];
        r->port = free_port();
        snprintf(port, sizeof port, "%d", r->port);
        snprintf(log, sizeof log, "%s/redis-%d.log", g_dir, r->port);
        snprintf(auth_arg, sizeof auth_arg, "%s", auth);
        char *argv[] = {"redis-server", "--port", "0", "--tls-port", port,
                        "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                        "--dir", g_dir, "--logfile", log,
                        "--tls-cert-file", path_of("server.pem"),
                        "--tls-key-file", path_of("server.key"),
                        "--tls-ca-cert-file", path_of("ca.pem"),
                        "--tls-auth-clients", auth_arg, NULL};
        r->pid = fork();
        if (r->pid < 0)
            return -1;
        if (r->pid == 0) {
            int null = open("/dev/null", O_RDWR);
            dup2(null, 1);
            dup2(null, 2);
            execvp(argv[0], argv);
            _exit(127);
        }
        for (int i = 0; i < 400; i++) {   /* up to 20 s */
            int st;
            if (waitpid(r->pid, &st, WNOHANG) == r->pid) {
                r->pid = 0;
                break;                    /* port taken meanwhile? try another one */
            }
            if (tcp_ready(r->port))
                return 0;
            sleep_ms(50);
        }
        if (r->pid > 0) {
            kill(r->pid, SIGKILL);
            waitpid(r->pid, NULL, 0);
            r->pid = 0;
        }
    }
    return -1;
}

static void redis_stop(redis_srv *r, int sig)
{
    if (r->pid > 0) {
        kill(r->pid, sig);
        waitpid(r->pid, NULL, 0);
    }
    r->pid = 0;
}

/* ---- helpers -------------------------------------------------------------------------------- */

static redis_tls_opts opts_ca(void)
{
    redis_tls_opts o = {.ca_file = path_of("ca.pem")};
    return o;
}

/* A hiredis context over a new tunnel to r; fails the test if it cannot be made. */
static redisContext *open_ctx(const redis_srv *r, const redis_tls_opts *o)
{
    char err[512] = "";
    int fd = redis_tls_connect("127.0.0.1", r->port, o, CONNECT_MS, err, sizeof err);
    if (fd < 0)
        fail_msg("redis_tls_connect: %s", err);
    redisContext *c = redisConnectFd(fd);
    assert_non_null(c);
    assert_int_equal(c->err, 0);
    struct timeval tv = {10L * g_scale, 0};
    assert_int_equal(redisSetTimeout(c, tv), REDIS_OK);
    return c;
}

static void expect_status(redisContext *c, const char *want, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    redisReply *rep = redisvCommand(c, fmt, ap);
    va_end(ap);
    if (rep == NULL)
        fail_msg("no reply (%s)", c->errstr);
    assert_true(rep->type == REDIS_REPLY_STATUS || rep->type == REDIS_REPLY_STRING);
    assert_string_equal(rep->str, want);
    freeReplyObject(rep);
}

/* Entries of a /proc/self directory: fd (descriptors) or task (threads). */
static int count_dir(const char *path)
{
    DIR *d = opendir(path);
    int n = 0;
    if (d == NULL)
        return -1;
    while (readdir(d) != NULL)
        n++;
    closedir(d);
    return n;
}

static int count_fds(void)
{
    return count_dir("/proc/self/fd");
}

static int count_threads(void)
{
    return count_dir("/proc/self/task");
}

static void assert_idle(void)
{
    assert_true(redis_tls_wait_idle(IDLE_WAIT_MS));
    assert_int_equal(redis_tls_active(), 0);
}

/* Expects redis_tls_connect to fail with rc and a message containing want; no thread is
 * left. Waits first for the pumps of earlier connections to end: redisFree() closes the
 * application's side and the pump notices on its own thread a moment later (under load, after
 * this function had already counted it once). */
static void expect_connect_fails(const char *host, int port, const redis_tls_opts *o,
                                 int timeout_ms, int rc, const char *want)
{
    assert_idle();
    char err[512] = "";
    int fd = redis_tls_connect(host, port, o, timeout_ms, err, sizeof err);
    if (fd >= 0)
        close(fd);
    assert_int_equal(fd, rc);
    if (strstr(err, want) == NULL)
        fail_msg("error \"%s\" does not mention \"%s\"", err, want);
    if (g_verbose)
        print_message("  refused as expected: %s\n", err);
    assert_int_equal(redis_tls_active(), 0);
}

/* ---- tests --------------------------------------------------------------------------------- */

#define SKIP_IF_NO_REDIS() do { if (g_skip) skip(); } while (0)

/* PING, SET, GET through hiredis over the tunnel; a 1 MiB value crosses in both directions
 * (more than both pump buffers and the socket buffers); closing ends the pump thread. */
static void test_ping_set_get(void **state)
{
    (void)state;
    SKIP_IF_NO_REDIS();
    redis_tls_opts o = opts_ca();
    redisContext *c = open_ctx(&g_srv, &o);
    assert_int_equal(redis_tls_active(), 1);
    expect_status(c, "PONG", "PING");
    expect_status(c, "OK", "SET %s %s", "tigress:tls", "hello over TLS");
    expect_status(c, "hello over TLS", "GET %s", "tigress:tls");

    size_t big_len = 1u << 20;
    char *big = malloc(big_len);
    assert_non_null(big);
    for (size_t i = 0; i < big_len; i++)
        big[i] = (char)('a' + (i * 7) % 26);
    expect_status(c, "OK", "SET %s %b", "tigress:big", big, big_len);
    redisReply *rep = redisCommand(c, "GET %s", "tigress:big");
    assert_non_null(rep);
    assert_int_equal(rep->type, REDIS_REPLY_STRING);
    assert_int_equal(rep->len, big_len);
    assert_memory_equal(rep->str, big, big_len);
    freeReplyObject(rep);

    /* Pipelined: 8 SETs (8 MiB up) written before any reply is read, then 8 GETs (8 MiB
     * down), each value distinct, so flow control in both directions must hold. */
    for (int i = 0; i < 8; i++) {
        big[0] = (char)('0' + i);
        assert_int_equal(redisAppendCommand(c, "SET tigress:p%d %b", i, big, big_len), REDIS_OK);
    }
    for (int i = 0; i < 8; i++)
        assert_int_equal(redisAppendCommand(c, "GET tigress:p%d", i), REDIS_OK);
    for (int i = 0; i < 16; i++) {
        void *v = NULL;
        assert_int_equal(redisGetReply(c, &v), REDIS_OK);
        rep = v;
        assert_non_null(rep);
        if (i < 8) {
            assert_int_equal(rep->type, REDIS_REPLY_STATUS);
        } else {
            big[0] = (char)('0' + i - 8);
            assert_int_equal(rep->type, REDIS_REPLY_STRING);
            assert_int_equal(rep->len, big_len);
            assert_memory_equal(rep->str, big, big_len);
        }
        freeReplyObject(rep);
    }
    free(big);

    redisFree(c);
    assert_idle();
}

/* An idle tunnel sleeps in poll(): no wake-up at all while nothing is sent. A spinning pump
 * (polling an event that cannot progress, or not polling) would count thousands. */
static void test_idle_tunnel_does_not_spin(void **state)
{
    (void)state;
    SKIP_IF_NO_REDIS();
    redis_tls_opts o = opts_ca();
    redisContext *c = open_ctx(&g_srv, &o);
    expect_status(c, "PONG", "PING");   /* after PONG the server sends nothing more */
    unsigned long before = redis_tls_wakeups();
    sleep_ms(300);
    assert_int_equal(redis_tls_wakeups(), before);
    expect_status(c, "PONG", "PING");   /* and it still works: it was asleep, not stuck */
    assert_true(redis_tls_wakeups() > before);
    redisFree(c);
    assert_idle();
}

/* Pub/sub, as the relay's change notices use it: a subscriber blocked without a timeout on
 * one tunnel receives what another tunnel publishes. */
static void test_pubsub_across_tunnels(void **state)
{
    (void)state;
    SKIP_IF_NO_REDIS();
    redis_tls_opts o = opts_ca();
    redisContext *sub = open_ctx(&g_srv, &o), *pub = open_ctx(&g_srv, &o);
    redisReply *rep = redisCommand(sub, "SUBSCRIBE %s", "tigress:chg:tls");
    assert_non_null(rep);
    assert_int_equal(rep->type, REDIS_REPLY_ARRAY);
    freeReplyObject(rep);
    rep = redisCommand(pub, "PUBLISH %s %s", "tigress:chg:tls", "node mailbox-id");
    assert_non_null(rep);
    assert_int_equal(rep->type, REDIS_REPLY_INTEGER);
    assert_int_equal(rep->integer, 1);      /* the subscriber over the tunnel counts */
    freeReplyObject(rep);
    void *v = NULL;
    assert_int_equal(redisGetReply(sub, &v), REDIS_OK);
    rep = v;
    assert_non_null(rep);
    assert_int_equal(rep->type, REDIS_REPLY_ARRAY);
    assert_int_equal(rep->elements, 3);
    assert_string_equal(rep->element[0]->str, "message");
    assert_string_equal(rep->element[2]->str, "node mailbox-id");
    freeReplyObject(rep);
    redisFree(pub);
    redisFree(sub);
    assert_idle();
}

/* server_name: the certificate's DNS name verifies while connecting to the IP. */
static void test_server_name_override(void **state)
{
    (void)state;
    SKIP_IF_NO_REDIS();
    redis_tls_opts o = opts_ca();
    o.server_name = "redis.test";
    redisContext *c = open_ctx(&g_srv, &o);
    expect_status(c, "PONG", "PING");
    redisFree(c);
    assert_idle();
}

static void test_wrong_ca_fails(void **state)
{
    (void)state;
    SKIP_IF_NO_REDIS();
    redis_tls_opts o = {.ca_file = path_of("other-ca.pem")};
    expect_connect_fails("127.0.0.1", g_srv.port, &o, CONNECT_MS,
                         REDIS_TLS_E_CONFIG, "certificate verification failed");
}

/* No ca_file: the system trust store, which does not know the test CA. */
static void test_system_trust_rejects_test_ca(void **state)
{
    (void)state;
    SKIP_IF_NO_REDIS();
    expect_connect_fails("127.0.0.1", g_srv.port, NULL, CONNECT_MS,
                         REDIS_TLS_E_CONFIG, "certificate verification failed");
}

static void test_wrong_server_name_fails(void **state)
{
    (void)state;
    SKIP_IF_NO_REDIS();
    redis_tls_opts o = opts_ca();
    o.server_name = "not-the-server.test";
    expect_connect_fails("127.0.0.1", g_srv.port, &o, CONNECT_MS,
                         REDIS_TLS_E_CONFIG, "certificate verification failed");
}

/* Without server_name the host itself is verified: "localhost" is not in the certificate. */
static void test_host_name_not_in_certificate_fails(void **state)
{
    (void)state;
    SKIP_IF_NO_REDIS();
    redis_tls_opts o = opts_ca();
    char err[512] = "";
    int fd = redis_tls_connect("localhost", g_srv.port, &o, CONNECT_MS, err, sizeof err);
    if (fd >= 0)
        close(fd);
    assert_int_equal(fd, REDIS_TLS_E_CONFIG);
    /* localhost may resolve to ::1 first, where nothing listens; 127.0.0.1 is tried next. */
    if (strstr(err, "certificate verification failed") == NULL)
        fail_msg("unexpected error: %s", err);
    assert_idle();
}

/* --tls-auth-clients yes: without a client certificate no command succeeds (TLS 1.3 reports it
 * after the handshake, so either the connect or the first command fails); with one it works. */
static void test_client_certificate_required(void **state)
{
    (void)state;
    SKIP_IF_NO_REDIS();
    redis_srv strict = {0};
    assert_int_equal(redis_start(&strict, "yes"), 0);
    g_strict = strict;           /* stopped by the group teardown if an assertion fails */

    redis_tls_opts o = opts_ca();
    char err[512] = "";
    int fd = redis_tls_connect("127.0.0.1", strict.port, &o, CONNECT_MS, err, sizeof err);
    if (fd >= 0) {
        redisContext *c = redisConnectFd(fd);
        assert_non_null(c);
        struct timeval tv = {10L * g_scale, 0};
        redisSetTimeout(c, tv);
        redisReply *rep = redisCommand(c, "PING");
        assert_null(rep);
        assert_int_not_equal(c->err, 0);
        if (g_verbose)
            print_message("  handshake done, first command refused: %s\n", c->errstr);
        redisFree(c);
    } else if (g_verbose) {
        print_message("  refused at connect: %s\n", err);
    }
    assert_idle();

    o.cert_file = path_of("client.pem");
    o.key_file = path_of("client.key");
    redisContext *c = open_ctx(&strict, &o);
    expect_status(c, "PONG", "PING");
    expect_status(c, "OK", "SET %s %s", "tigress:mtls", "yes");
    redisFree(c);
    assert_idle();
    redis_stop(&strict, SIGTERM);
    g_strict.pid = 0;
}

/* A client certificate that cannot be loaded is reported, without any key material. */
static void test_bad_client_certificate_reported(void **state)
{
    (void)state;
    SKIP_IF_NO_REDIS();
    redis_tls_opts o = opts_ca();
    o.cert_file = path_of("missing.pem");
    o.key_file = path_of("client.key");
    expect_connect_fails("127.0.0.1", g_srv.port, &o, CONNECT_MS,
                         REDIS_TLS_E_CONFIG, "client certificate");

    /* Key and certificate that do not belong together. */
    o.cert_file = path_of("client.pem");
    o.key_file = path_of("server.key");
    char err[512] = "";
    int fd = redis_tls_connect("127.0.0.1", g_srv.port, &o, CONNECT_MS, err, sizeof err);
    assert_int_equal(fd, REDIS_TLS_E_CONFIG);
    assert_non_null(strstr(err, "client certificate"));
    assert_null(strstr(err, "PRIVATE KEY"));

    o.cert_file = NULL;
    expect_connect_fails("127.0.0.1", g_srv.port, &o, CONNECT_MS,
                         REDIS_TLS_E_CONFIG, "needs a client certificate");
    o.ca_file = path_of("no-such-ca.pem");
    o.key_file = NULL;
    expect_connect_fails("127.0.0.1", g_srv.port, &o, CONNECT_MS,
                         REDIS_TLS_E_CONFIG, "no CA certificate");
}

/* A server that accepts TCP but never speaks TLS: the handshake gives up at the deadline. */
static void test_handshake_timeout(void **state)
{
    (void)state;
    int lfd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof sa;
    assert_true(lfd >= 0);
    assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sizeof sa), 0);
    assert_int_equal(listen(lfd, 4), 0);
    assert_int_equal(getsockname(lfd, (struct sockaddr *)&sa, &len), 0);
    redis_tls_opts o = opts_ca();   /* the certificates exist even without redis-server */
    expect_connect_fails("127.0.0.1", ntohs(sa.sin_port), &o, 300,
                         REDIS_TLS_E_NETWORK, "timed out");
    close(lfd);
    /* Nothing listens any more: refused. */
    expect_connect_fails("127.0.0.1", ntohs(sa.sin_port), &o, CONNECT_MS,
                         REDIS_TLS_E_NETWORK, "cannot connect");
    expect_connect_fails("127.0.0.1", 0, NULL, 100, REDIS_TLS_E_CONFIG, "bad host or port");
}

/* The server dies mid-session: hiredis gets an error (no hang) and the pump thread ends. */
static void test_server_killed_mid_session(void **state)
{
    (void)state;
    SKIP_IF_NO_REDIS();
    redis_srv victim = {0};
    assert_int_equal(redis_start(&victim, "optional"), 0);
    g_victim = victim;           /* stopped by the group teardown if an assertion fails */
    redis_tls_opts o = opts_ca();
    redisContext *c = open_ctx(&victim, &o);
    expect_status(c, "PONG", "PING");
    redis_stop(&victim, SIGKILL);
    g_victim.pid = 0;
    /* The pump sees the dead TCP side by itself, before the client says anything. */
    assert_idle();
    redisReply *rep = redisCommand(c, "PING");
    assert_null(rep);
    assert_int_not_equal(c->err, 0);
    redisFree(c);
    assert_idle();
}

/* 200 connect/PING/close cycles and 20 failed verifications leave no descriptor and no thread
 * behind (redis_tls_wait_idle joins the finished pumps). */
static void test_no_fd_leak_200_cycles(void **state)
{
    (void)state;
    SKIP_IF_NO_REDIS();
    int before = count_fds(), threads = count_threads();
    assert_true(before > 0);
    assert_true(threads > 0);
    redis_tls_opts o = opts_ca();
    for (int i = 0; i < 200; i++) {
        redisContext *c = open_ctx(&g_srv, &o);
        expect_status(c, "PONG", "PING");
        redisFree(c);
    }
    redis_tls_opts bad = {.ca_file = path_of("other-ca.pem")};
    for (int i = 0; i < 20; i++)
        expect_connect_fails("127.0.0.1", g_srv.port, &bad, CONNECT_MS,
                             REDIS_TLS_E_CONFIG, "verification failed");
    assert_idle();
    assert_int_equal(count_fds(), before);
    assert_int_equal(count_threads(), threads);
}

/* ---- setup ---------------------------------------------------------------------------------- */

static int group_setup(void **state)
{
    (void)state;
    signal(SIGPIPE, SIG_IGN);   /* as the relay does: a closed tunnel is an error, not a signal */
    g_verbose = getenv("REDIS_TLS_VERBOSE") != NULL;
    const char *scale = getenv("TIGRESS_TEST_TIME_SCALE");
    if (scale != NULL && atoi(scale) > 1)
        g_scale = atoi(scale);
    if (mkdtemp(g_dir) == NULL || make_certs() != 0) {
        fprintf(stderr, "test_redis_tls: cannot make the test certificates in %s\n", g_dir);
        return -1;
    }
    if (system("command -v redis-server >/dev/null 2>&1") != 0) {
        fprintf(stderr, "SKIP: redis-server not installed (apt-get install redis-server): "
                        "the rediss:// tunnel tests need it\n");
        g_skip = true;
        return 0;
    }
    if (redis_start(&g_srv, "optional") != 0) {
        fprintf(stderr, "test_redis_tls: redis-server with --tls-port did not start "
                        "(see %s/redis-*.log)\n", g_dir);
        return -1;
    }
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    redis_stop(&g_srv, SIGTERM);
    redis_stop(&g_strict, SIGTERM);
    redis_stop(&g_victim, SIGTERM);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
    return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ping_set_get),
        cmocka_unit_test(test_idle_tunnel_does_not_spin),
        cmocka_unit_test(test_pubsub_across_tunnels),
        cmocka_unit_test(test_server_name_override),
        cmocka_unit_test(test_wrong_ca_fails),
        cmocka_unit_test(test_system_trust_rejects_test_ca),
        cmocka_unit_test(test_wrong_server_name_fails),
        cmocka_unit_test(test_host_name_not_in_certificate_fails),
        cmocka_unit_test(test_client_certificate_required),
        cmocka_unit_test(test_bad_client_certificate_reported),
        cmocka_unit_test(test_handshake_timeout),
        cmocka_unit_test(test_server_killed_mid_session),
        cmocka_unit_test(test_no_fd_leak_200_cycles),
    };
    return cmocka_run_group_tests_name("redis_tls", tests, group_setup, group_teardown);
}
