/*
 * tests/relay/test_relay_redis.c: two tigress-relay processes sharing one Redis store
 * (several processes share the store, so nothing in the HTTP layer may assume a single
 * process). Skipped when the relay was
 * built without hiredis or redis-server is not installed. The Redis server is a private one on a
 * free loopback port, without persistence, stopped at the end.
 */
#define _DEFAULT_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>

#include "relay_harness.h"

static pid_t g_redis;
static unsigned g_redis_port;
static relay_proc g_a, g_b;
static bool g_skip;

static unsigned free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof sa;
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 ||
        getsockname(fd, (struct sockaddr *)&sa, &len) != 0) {
        if (fd >= 0)
            close(fd);
        return 0;
    }
    close(fd);
    return ntohs(sa.sin_port);
}

static bool redis_up(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "redis-cli -p %u ping >/dev/null 2>&1", g_redis_port);
    for (int i = 0; i < 100; i++) {
        if (system(cmd) == 0)
            return true;
        usleep(50 * 1000);
    }
    return false;
}

static int group_setup(void **state)
{
    (void)state;
    if (th_init() != 0)
        return -1;
    if (system("command -v redis-server >/dev/null 2>&1 && command -v redis-cli >/dev/null 2>&1") != 0) {
        g_skip = true;
        return 0;
    }
    g_redis_port = free_port();
    char port[16];
    snprintf(port, sizeof port, "%u", g_redis_port);
    g_redis = fork();
    if (g_redis == 0) {
        int devnull = open("/dev/null", 1);
        dup2(devnull, 1);
        dup2(devnull, 2);
        execlp("redis-server", "redis-server", "--port", port, "--bind", "127.0.0.1", "--save", "",
               "--appendonly", "no", "--dir", th_dir(), (char *)NULL);
        _exit(127);
    }
    if (g_redis < 0 || !redis_up())
        return -1;
    char url[64];
    snprintf(url, sizeof url, "redis://127.0.0.1:%u", g_redis_port);
    const char *args_a[] = {"--listen", "127.0.0.1:0", "--cert", th_cert(), "--key", th_key(),
                            "--store", url, "--rate-limit", "0", NULL};
    int rc = relay_start_raw(&g_a, args_a);
    if (rc == 70) {             /* relay built without hiredis: store_open refuses redis:// */
        g_skip = true;
        return 0;
    }
    if (rc != 0)
        return -1;
    return relay_start_raw(&g_b, args_a) == 0 ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void)state;
    int rc = 0;
    if (g_a.pid > 0 && relay_stop(&g_a) != 0)
        rc = -1;
    if (g_b.pid > 0 && relay_stop(&g_b) != 0)
        rc = -1;
    if (g_redis > 0) {
        int st;
        kill(g_redis, SIGTERM);
        waitpid(g_redis, &st, 0);
    }
    th_cleanup();
    return rc;
}

/* Binding, updates and deletes made through one process are what the other one sees. */
static void test_relay__redis_two_processes_share_state(void **state)
{
    (void)state;
    if (g_skip)
        skip();
    char ini[37], rec[37], third[37], id[37], exp[32];
    th_uuid(ini);
    th_uuid(rec);
    th_uuid(third);
    th_rfc3339(3600, exp);
    char *b = th_create_body("T", "cmVkaXM=", "x", "RWD", exp, NULL, NULL);
    long st = th_create(&g_a, ini, b, id);
    free(b);
    assert_int_equal(st, 200);
    assert_int_equal(th_read(&g_b, id, rec, NULL), 200);        /* binds through B */
    assert_int_equal(th_read(&g_a, id, third, NULL), 401);      /* A knows */
    assert_int_equal(th_update(&g_a, id, ini, NULL,
                               "{\"payload\":{\"type\":\"T\",\"data\":\"dXBkYXRlZA==\"}}"), 200);
    hresp h;
    assert_int_equal(th_read(&g_b, id, rec, &h), 200);
    assert_non_null(strstr(h.body, "\"data\":\"dXBkYXRlZA==\""));
    assert_string_equal(h.etag, "\"2\"");
    hresp_free(&h);
    char path[128], rid[37];
    snprintf(path, sizeof path, "/v1/m/%s", id);
    th_uuid(rid);
    hreq d = {.method = "DELETE", .path = path, .claim = rec, .rid = rid};
    http_do(&g_b, &d, &h);
    assert_int_equal(h.status, 200);
    hresp_free(&h);
    assert_int_equal(th_read(&g_a, id, ini, NULL), 404);
}

typedef struct poller {
    char id[37], claim[37];
    hresp h;
} poller;

static void *poll_b(void *p)
{
    poller *pl = p;
    char path[128];
    snprintf(path, sizeof path, "/v1/m/%s", pl->id);
    hreq q = {.method = "POST", .path = path, .claim = pl->claim,
              .extra = {"If-None-Match: \"1\"", "Prefer: wait=60"}};
    http_do(&g_b, &q, &pl->h);
    return NULL;
}

/* A read held by process B answers with the content process A's Update wrote. */
static void test_relay__redis_longpoll_across_processes(void **state)
{
    (void)state;
    if (g_skip)
        skip();
    char ini[37], id[37], exp[32];
    th_uuid(ini);
    th_rfc3339(3600, exp);
    char *b = th_create_body("T", "djE=", "x", "RWD", exp, NULL, NULL);
    long st = th_create(&g_a, ini, b, id);
    free(b);
    assert_int_equal(st, 200);
    poller pl;
    memset(&pl, 0, sizeof pl);
    memcpy(pl.id, id, sizeof pl.id);
    memcpy(pl.claim, ini, sizeof pl.claim);
    pthread_t t;
    pthread_create(&t, NULL, poll_b, &pl);
    usleep(300 * 1000);
    assert_int_equal(th_update(&g_a, id, ini, NULL,
                               "{\"payload\":{\"type\":\"T\",\"data\":\"djI=\"}}"), 200);
    pthread_join(t, NULL);
    assert_int_equal(pl.h.status, 200);
    assert_non_null(strstr(pl.h.body, "\"data\":\"djI=\""));
    hresp_free(&pl.h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_relay__redis_two_processes_share_state),
        cmocka_unit_test(test_relay__redis_longpoll_across_processes),
    };
    return cmocka_run_group_tests_name("relay on a shared Redis store", tests, group_setup,
                                       group_teardown);
}
