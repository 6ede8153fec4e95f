/*
 * tests/cluster/cluster_util.c: see cluster_util.h. Ports, temp dir and certificates come from
 * the fixture library (tests/lib/relay_fixture.h, through relay_harness.h).
 */
#define _DEFAULT_SOURCE
#include "cluster_util.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

static pid_t g_redis;
static unsigned g_port;

bool cu_have_redis(void)
{
    return system("command -v redis-server >/dev/null 2>&1 && "
                  "command -v redis-cli >/dev/null 2>&1") == 0;
}

unsigned cu_redis_port(void)
{
    return g_port;
}

/* Runs redis-cli with args; its first output line into out (may be NULL). Exit status. */
static int cli(char *out, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int cli(char *out, size_t cap, const char *fmt, ...)
{
    char args[512], cmd[700];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    snprintf(cmd, sizeof cmd, "redis-cli -h 127.0.0.1 -p %u %s 2>/dev/null", g_port, args);
    FILE *p = popen(cmd, "r");
    if (p == NULL)
        return -1;
    char line[512] = "";
    if (fgets(line, sizeof line, p) == NULL)
        line[0] = '\0';
    line[strcspn(line, "\r\n")] = '\0';
    if (out != NULL)
        snprintf(out, cap, "%s", line);
    while (fgets(args, sizeof args, p) != NULL)
        ;
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

unsigned cu_redis_pick_port(void)
{
    if (g_port == 0)
        g_port = rf_free_port();
    return g_port;
}

void cu_redis_signal(int sig)
{
    if (g_redis > 0)
        kill(g_redis, sig);
}

int cu_redis_cmd(char *out, size_t cap, const char *args)
{
    return cli(out, cap, "%s", args);
}

int cu_redis_start(void)
{
    int st;
    if (g_redis > 0 && waitpid(g_redis, &st, WNOHANG) == 0)
        return 0;                           /* already running */
    if (g_port == 0)
        g_port = rf_free_port();
    char dir[600], port[16];
    snprintf(dir, sizeof dir, "%s/redis", th_dir());
    mkdir(dir, 0700);
    snprintf(port, sizeof port, "%u", g_port);
    g_redis = fork();
    if (g_redis < 0)
        return -1;
    if (g_redis == 0) {
        int devnull = open("/dev/null", O_WRONLY);
        dup2(devnull, 1);
        dup2(devnull, 2);
        execlp("redis-server", "redis-server", "--port", port, "--bind", "127.0.0.1",
               "--save", "", "--appendonly", "yes", "--appendfsync", "always", "--dir", dir,
               "--daemonize", "no", (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 200; i++) {
        char pong[64];
        if (cli(pong, sizeof pong, "ping") == 0 && strcmp(pong, "PONG") == 0)
            return 0;
        usleep(50 * 1000);
    }
    return -1;
}

static void reap(int sig)
{
    if (g_redis <= 0)
        return;
    int st;
    kill(g_redis, sig);
    waitpid(g_redis, &st, 0);
    g_redis = 0;
}

void cu_redis_kill9(void)
{
    reap(SIGKILL);
}

void cu_redis_stop(void)
{
    reap(SIGTERM);
}

long cu_redis_numsub_wait(const char *channel, long want)
{
    long n = -1;
    for (int i = 0; i < 200; i++) {
        char line[512];
        /* NUMSUB prints the channel then the count: take the second line. */
        char full[700];
        snprintf(full, sizeof full, "redis-cli -h 127.0.0.1 -p %u pubsub numsub %s 2>/dev/null",
                 g_port, channel);
        FILE *p = popen(full, "r");
        if (p == NULL)
            return -1;
        int k = 0;
        while (fgets(line, sizeof line, p) != NULL)
            if (++k == 2)
                n = atol(line);
        pclose(p);
        if (n == want)
            return n;
        usleep(50 * 1000);
    }
    return n;
}

int cu_redis_subscribe(const char *channel, pid_t *pid, FILE **out)
{
    int fds[2];
    if (pipe(fds) != 0)
        return -1;
    char port[16];
    snprintf(port, sizeof port, "%u", g_port);
    *pid = fork();
    if (*pid < 0)
        return -1;
    if (*pid == 0) {
        dup2(fds[1], 1);
        close(fds[0]);
        close(fds[1]);
        /* Bounded: a missing notice fails the test instead of hanging it. */
        execlp("timeout", "timeout", "30", "redis-cli", "-h", "127.0.0.1", "-p", port,
               "subscribe", channel, (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    *out = fdopen(fds[0], "r");
    return *out != NULL ? 0 : -1;
}

void cu_redis_unsubscribe(pid_t pid, FILE *out)
{
    int st;
    kill(pid, SIGTERM);
    waitpid(pid, &st, 0);
    if (out != NULL)
        fclose(out);
}

bool cu_redis_check_rl_keys(int db)
{
    char full[256], line[512];
    snprintf(full, sizeof full, "redis-cli -h 127.0.0.1 -p %u -n %d --scan 2>/dev/null", g_port,
             db);
    FILE *p = popen(full, "r");
    if (p == NULL)
        return false;
    int rl = 0;
    bool ok = true;
    while (fgets(line, sizeof line, p) != NULL) {
        line[strcspn(line, "\r\n")] = '\0';
        if (strstr(line, "127.0.0.1") != NULL || strstr(line, "7f000001") != NULL)
            ok = false;                       /* an address in a key name */
        if (strncmp(line, "tigress:rl:", 11) != 0)
            continue;
        rl++;
        if (strlen(line) != 11 + 32 || strspn(line + 11, "0123456789abcdef") != 32)
            ok = false;
        char ttl[64];
        if (cli(ttl, sizeof ttl, "-n %d pttl %s", db, line) != 0 || atol(ttl) <= 0)
            ok = false;                       /* no expiry: it would outlive its window */
    }
    pclose(p);
    return ok && rl >= 1;
}

long cu_wait_status(const relay_proc *r, const char *id, const char *claim, long want)
{
    long st = 0;
    for (int i = 0; i < 300 * th_time_scale() && st != want; i++) {
        st = th_read(r, id, claim, NULL);
        if (st != want)
            usleep(100 * 1000);
    }
    return st;
}

/* ---- push receiver ---------------------------------------------------------------------- */

#define RX_MAX 64
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_cond = PTHREAD_COND_INITIALIZER;
static char g_paths[RX_MAX][128];
static int g_n;
static struct MHD_Daemon *g_rx;
static char *g_cert, *g_key;

static enum MHD_Result rx_handler(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls)
{
    (void)cls;
    (void)method;
    (void)version;
    (void)upload;
    if (*con_cls == NULL) {
        *con_cls = c;          /* first call: headers only */
        return MHD_YES;
    }
    if (*upload_size > 0) {
        *upload_size = 0;      /* the body is not needed, only that one arrived */
        return MHD_YES;
    }
    pthread_mutex_lock(&g_lock);
    if (g_n < RX_MAX)
        snprintf(g_paths[g_n++], sizeof g_paths[0], "%s", url);
    pthread_cond_broadcast(&g_cond);
    pthread_mutex_unlock(&g_lock);
    struct MHD_Response *r = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
    enum MHD_Result ret = MHD_queue_response(c, 201, r);
    MHD_destroy_response(r);
    return ret;
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    char *p = calloc(1, 65536);
    if (p != NULL)
        p[fread(p, 1, 65535, f)] = '\0';
    fclose(f);
    return p;
}

int cu_rx_start(void)
{
    g_cert = slurp(th_cert());
    g_key = slurp(th_key());
    if (g_cert == NULL || g_key == NULL)
        return -1;
    g_rx = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_TLS, 0, NULL, NULL,
                            rx_handler, NULL, MHD_OPTION_HTTPS_MEM_CERT, g_cert,
                            MHD_OPTION_HTTPS_MEM_KEY, g_key, MHD_OPTION_END);
    return g_rx != NULL ? 0 : -1;
}

unsigned cu_rx_port(void)
{
    return g_rx != NULL ? MHD_get_daemon_info(g_rx, MHD_DAEMON_INFO_BIND_PORT)->port : 0;
}

void cu_rx_stop(void)
{
    if (g_rx != NULL)
        MHD_stop_daemon(g_rx);
    g_rx = NULL;
    free(g_cert);
    free(g_key);
}

void cu_rx_reset(void)
{
    pthread_mutex_lock(&g_lock);
    g_n = 0;
    pthread_mutex_unlock(&g_lock);
}

int cu_rx_wait(int n)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += 20;
    pthread_mutex_lock(&g_lock);
    while (g_n < n && pthread_cond_timedwait(&g_cond, &g_lock, &ts) == 0)
        ;
    int got = g_n;
    pthread_mutex_unlock(&g_lock);
    return got;
}

int cu_rx_count(void)
{
    pthread_mutex_lock(&g_lock);
    int n = g_n;
    pthread_mutex_unlock(&g_lock);
    return n;
}

const char *cu_rx_path(int i)
{
    return i >= 0 && i < RX_MAX ? g_paths[i] : "";
}
