/* tests/lib/relay_fixture.c: see relay_fixture.h. Nothing outside the temp dirs is written. */
#define _DEFAULT_SOURCE         /* mkdtemp */
#include "relay_fixture.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef RF_RELAY_BIN
#error "RF_RELAY_BIN must name the tigress-relay binary (tests/lib/fixture.mk)"
#endif
#ifndef RF_SOURCE_DIR
#error "RF_SOURCE_DIR must name the source tree (tests/lib/fixture.mk)"
#endif

#define RF_MAX_ARGS 72

/* ---- time, scratch ---------------------------------------------------------------------- */

long rf_time_scale(void)
{
    const char *v = getenv("TIGRESS_TEST_TIME_SCALE");
    long k = v != NULL ? strtol(v, NULL, 10) : 1;
    return k > 1 && k <= 1000 ? k : 1;
}

long rf_scaled_ms(long ms)
{
    return ms * rf_time_scale();
}

void rf_sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

int rf_tmpdir(char *out, size_t cap, const char *prefix)
{
    const char *base = getenv("TMPDIR");
    int n = snprintf(out, cap, "%s/%sXXXXXX", base != NULL && base[0] != '\0' ? base : "/tmp",
                     prefix);
    if (n < 0 || (size_t)n >= cap || mkdtemp(out) == NULL) {
        if (cap > 0)
            out[0] = '\0';
        return -1;
    }
    return 0;
}

int rf_rmtree(const char *dir)
{
    char cmd[700];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

unsigned rf_free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = 0};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof sa;
    unsigned port = 0;
    if (fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0 &&
        getsockname(fd, (struct sockaddr *)&sa, &len) == 0)
        port = ntohs(sa.sin_port);
    if (fd >= 0)
        close(fd);
    return port;
}

/* ---- certificates ----------------------------------------------------------------------- */

int rf_certs_make(rf_certs *c, const char *dir)
{
    snprintf(c->ca, sizeof c->ca, "%s/ca.pem", dir);
    snprintf(c->cert, sizeof c->cert, "%s/cert.pem", dir);
    snprintf(c->key, sizeof c->key, "%s/key.pem", dir);
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "'%s/tests/lib/relay-fixture.sh' certs '%s'", RF_SOURCE_DIR, dir);
    if (system(cmd) != 0) {
        fprintf(stderr, "relay_fixture: making the test certificates in %s failed\n", dir);
        return -1;
    }
    return 0;
}

/* ---- the relay process ------------------------------------------------------------------ */

/* Relays started and not yet reaped: rf_relay_kill_all() kills them. */
static pid_t g_live[64];

static void track(pid_t pid, int add)
{
    for (size_t i = 0; i < sizeof g_live / sizeof g_live[0]; i++)
        if (add ? g_live[i] == 0 : g_live[i] == pid) {
            g_live[i] = add ? pid : 0;
            return;
        }
}

void rf_relay_kill_all(void)
{
    for (size_t i = 0; i < sizeof g_live / sizeof g_live[0]; i++)
        if (g_live[i] > 0) {
            int st;
            kill(g_live[i], SIGKILL);
            waitpid(g_live[i], &st, 0);
            g_live[i] = 0;
        }
}

/* Reads one line from fd until the deadline (CLOCK_MONOTONIC ms); false on EOF or timeout. */
static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int read_line(int fd, char *buf, size_t cap, long deadline)
{
    size_t n = 0;
    while (n + 1 < cap) {
        long left = deadline - now_ms();
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (left <= 0 || poll(&p, 1, (int)(left > 3600000 ? 3600000 : left)) <= 0)
            return 0;
        char ch;
        ssize_t k = read(fd, &ch, 1);
        if (k <= 0)
            return 0;
        if (ch == '\n')
            break;
        buf[n++] = ch;
    }
    buf[n] = '\0';
    return 1;
}

static pid_t reap(rf_relay *r, int sig, int *status)
{
    pid_t pid = r->pid;
    *status = 0;
    kill(pid, sig);
    while (waitpid(pid, status, 0) < 0 && errno == EINTR)
        ;
    track(pid, 0);
    close(r->out_fd);
    r->out_fd = -1;
    r->pid = 0;
    return pid;
}

int rf_relay_start(rf_relay *r, const char *const *args)
{
    const char *argv[RF_MAX_ARGS + 48];
    char num[24];
    size_t n = 0, w = 0;
    int has_timeout = 0;

    while (args[n] != NULL)
        n++;
    if (n + 7 > RF_MAX_ARGS) {
        fprintf(stderr, "relay_fixture: too many relay arguments (%zu)\n", n);
        return -1;
    }
    r->store_path[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        if (strcmp(args[i], "--connection-timeout") == 0)
            has_timeout = 1;
        if (strcmp(args[i], "--store") == 0 && i + 1 < n)
            snprintf(r->store_path, sizeof r->store_path, "%s", args[i + 1]);
    }

    /* TIGRESS_RELAY_WRAPPER: a tool that runs the relay, in words separated by spaces. */
    char *wrap = getenv("TIGRESS_RELAY_WRAPPER") ? strdup(getenv("TIGRESS_RELAY_WRAPPER")) : NULL;
    char *save = NULL;
    for (char *t = wrap ? strtok_r(wrap, " ", &save) : NULL; t != NULL && w < 32;
         t = strtok_r(NULL, " ", &save))
        argv[w++] = t;
    size_t nwrap = w;
    argv[w++] = RF_RELAY_BIN;
    if (!r->relay_limits) {
        static const char *const no_caps[] = {"--max-connections-per-address", "0",
                                              "--max-held-reads-per-address", "0",
                                              "--max-mailboxes-per-address", "0"};
        for (size_t i = 0; i < sizeof no_caps / sizeof no_caps[0]; i++)
            argv[w++] = no_caps[i];
    }
    memcpy(argv + w, args, n * sizeof *argv);
    size_t argc = w + n;
    if (rf_time_scale() > 1 && !has_timeout) {
        snprintf(num, sizeof num, "%ld", 30 * rf_time_scale());
        argv[argc++] = "--connection-timeout";
        argv[argc++] = num;
    }
    argv[argc] = NULL;

    int fds[2];
    if (pipe(fds) != 0) {
        free(wrap);
        return -1;
    }
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        free(wrap);
        return -1;
    }
    if (pid == 0) {
        /* If the test process dies (a crash, an assert), the relay goes with it. */
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        dup2(fds[1], STDOUT_FILENO);
        close(fds[0]);
        close(fds[1]);
        if (r->log_path[0] != '\0') {
            int logfd = open(r->log_path, O_WRONLY | O_CREAT | O_APPEND, 0600);
            if (logfd >= 0)
                dup2(logfd, STDERR_FILENO);
        }
        if (nwrap > 0)
            execvp(argv[0], (char *const *)(uintptr_t)argv);
        else
            execv(RF_RELAY_BIN, (char *const *)(uintptr_t)argv);
        _exit(127);
    }
    free(wrap);
    close(fds[1]);
    r->pid = pid;
    track(pid, 1);
    r->out_fd = fds[0];
    r->metrics_port = 0;

    /* Generous: a loaded machine or an instrumented relay can take many seconds to start. */
    long deadline = now_ms() + rf_scaled_ms(120000);
    char line[256];
    while (read_line(fds[0], line, sizeof line, deadline)) {
        unsigned p;
        if (sscanf(line, "metrics on port %u", &p) == 1)
            r->metrics_port = p;
        const char *colon = strrchr(line, ':');
        if (strncmp(line, "listening on ", 13) == 0 && colon != NULL) {
            r->port = (unsigned)strtoul(colon + 1, NULL, 10);
            snprintf(r->url, sizeof r->url, "%.63s", line + 13);
            return 0;
        }
    }
    /* No "listening" line: the relay exited (or hung). */
    int st;
    reap(r, SIGKILL, &st);
    return WIFEXITED(st) && WEXITSTATUS(st) != 0 ? WEXITSTATUS(st) : -1;
}

/* The last lines of a relay's log (its stderr), to the test's stderr: a relay that ends by
 * abort() says why there (libmicrohttpd prints its fatal error before aborting). */
static void print_log_tail(const char *path)
{
    char tail[2048];
    FILE *f = path[0] != '\0' ? fopen(path, "rb") : NULL;
    if (f == NULL)
        return;
    long end = fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
    long from = end > (long)sizeof tail - 1 ? end - (long)sizeof tail + 1 : 0;
    size_t n = end >= 0 && fseek(f, from, SEEK_SET) == 0 ? fread(tail, 1, sizeof tail - 1, f) : 0;
    fclose(f);
    tail[n] = '\0';
    for (size_t i = 0; i < n; i++)   /* the log is ASCII; keep the terminal safe anyway */
        if (tail[i] != '\n' && (tail[i] < 0x20 || tail[i] > 0x7e))
            tail[i] = '?';
    fprintf(stderr, "# last %zu bytes of %s:\n%s\n", n, path, tail);
}

int rf_relay_stop(rf_relay *r)
{
    if (r->pid <= 0)
        return -1;
    int st;
    pid_t pid = reap(r, SIGTERM, &st);
    if (WIFSIGNALED(st))    /* say which signal, so a rare failure of a clean stop is diagnosable */
        fprintf(stderr, "# relay %ld did not exit on SIGTERM: killed by signal %d (%s)%s\n",
                (long)pid, WTERMSIG(st), strsignal(WTERMSIG(st)),
                WCOREDUMP(st) ? ", core dumped" : "");
    if (WIFSIGNALED(st))
        print_log_tail(r->log_path);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

int rf_relay_kill(rf_relay *r)
{
    if (r->pid <= 0)
        return -1;
    int st;
    reap(r, SIGKILL, &st);
    return WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL ? 0 : -1;
}

int rf_relay_restart(rf_relay *r, const char *const *args)
{
    if (r->pid > 0 && rf_relay_stop(r) != 0)
        return -1;
    const char *a[RF_MAX_ARGS + 1];
    char listen[64];
    size_t n = 0;
    snprintf(listen, sizeof listen, "127.0.0.1:%u", r->port);
    for (; args[n] != NULL && n < RF_MAX_ARGS; n++)
        a[n] = n > 0 && strcmp(args[n - 1], "--listen") == 0 ? listen : args[n];
    a[n] = NULL;
    /* The port was just released; retry briefly in case the kernel holds it a moment. */
    for (int i = 0; i < 20; i++) {
        if (rf_relay_start(r, a) == 0)
            return 0;
        rf_sleep_ms(100);
    }
    return -1;
}
