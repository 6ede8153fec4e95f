/* Integration-test fixture: see fixture.h. */
#include "fixture.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

long it_scaled_ms(long ms)
{
    const char *v = getenv("TIGRESS_TEST_TIME_SCALE");
    long k = v != NULL ? strtol(v, NULL, 10) : 1;
    return k > 1 && k <= 1000 ? ms * k : ms;
}

static int launch(it_relay *r, const char *listen)
{
    char out[320], log[320], cert[320], key[320], store[320];
    snprintf(out, sizeof out, "%s/relay.out", r->dir);
    snprintf(log, sizeof log, "%s/relay.log", r->dir);
    snprintf(cert, sizeof cert, "%s/cert.pem", r->dir);
    snprintf(key, sizeof key, "%s/key.pem", r->dir);
    snprintf(store, sizeof store, "%s/store.db", r->dir);
    unlink(out);
    const char *argv[40] = {IT_RELAY_BIN, "--listen", listen, "--cert", cert, "--key", key,
                            "--store", store};
    int argc = 9;
    for (int i = 0; r->extra[i] && argc < 36; i++)
        argv[argc++] = r->extra[i];
    /* The relay's idle-connection timeout (30 s) scales too: under valgrind a client with many
     * threads can leave a connection it opened idle longer than that before its handshake. */
    char idle[24];
    if (it_scaled_ms(30) > 30) {
        snprintf(idle, sizeof idle, "%ld", it_scaled_ms(30));
        argv[argc++] = "--connection-timeout";
        argv[argc++] = idle;
    }
    argv[argc] = NULL;
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        /* If the test process dies (a crash, an assert), the relay goes with it. */
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        int fo = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int fl = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);
        if (fo < 0 || fl < 0)
            _exit(127);
        dup2(fo, STDOUT_FILENO);
        dup2(fl, STDERR_FILENO);
        execv(IT_RELAY_BIN, (char *const *)(void *)argv);
        _exit(127);
    }
    r->pid = pid;
    /* Polled every 50 ms up to a generous deadline: a loaded machine or an instrumented relay
     * can take many seconds to start. */
    for (long i = 0, n = it_scaled_ms(120000) / 50; i < n; i++) {
        FILE *f = fopen(out, "r");
        char line[256];
        if (f) {
            while (fgets(line, sizeof line, f)) {
                char *p = strstr(line, "listening on https://127.0.0.1:");
                if (p) {
                    fclose(f);
                    r->port = atoi(p + strlen("listening on https://127.0.0.1:"));
                    snprintf(r->url, sizeof r->url, "https://127.0.0.1:%d", r->port);
                    return 0;
                }
            }
            fclose(f);
        }
        int status;
        if (waitpid(pid, &status, WNOHANG) == pid) {
            fprintf(stderr, "fixture: the relay exited at start (status %d); see %s\n", status, log);
            r->pid = 0;
            return -1;
        }
        sleep_ms(50);
    }
    fprintf(stderr, "fixture: the relay did not report its address\n");
    it_relay_stop(r);
    return -1;
}

int it_relay_start(it_relay *r, const char *const *extra_args)
{
    memset(r, 0, sizeof *r);
    for (int i = 0; extra_args && extra_args[i] && i < 15; i++)
        r->extra[i] = extra_args[i];
    const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    snprintf(r->dir, sizeof r->dir, "%s/tigress-it.XXXXXX", tmp);
    if (mkdtemp(r->dir) == NULL)
        return -1;
    snprintf(r->ca, sizeof r->ca, "%s/ca.pem", r->dir);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "'%s/tests/lib/relay-fixture.sh' certs '%s'", IT_SOURCE_DIR, r->dir);
    if (system(cmd) != 0) {
        fprintf(stderr, "fixture: making certificates failed\n");
        return -1;
    }
    return launch(r, "127.0.0.1:0");
}

int it_relay_stop(it_relay *r)
{
    if (r->pid <= 0)
        return 0;
    kill(r->pid, SIGTERM);
    int status = 0;
    while (waitpid(r->pid, &status, 0) < 0 && errno == EINTR)
        ;
    r->pid = 0;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int it_relay_kill(it_relay *r)
{
    if (r->pid <= 0)
        return -1;
    kill(r->pid, SIGKILL);
    int status = 0;
    while (waitpid(r->pid, &status, 0) < 0 && errno == EINTR)
        ;
    r->pid = 0;
    return WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL ? 0 : -1;
}

int it_relay_restart(it_relay *r)
{
    if (it_relay_stop(r) != 0)
        return -1;
    char listen[64];
    snprintf(listen, sizeof listen, "127.0.0.1:%d", r->port);
    /* The port was just released; retry briefly in case the kernel holds it a moment. */
    for (int i = 0; i < 20; i++) {
        if (launch(r, listen) == 0)
            return 0;
        sleep_ms(100);
    }
    return -1;
}

void it_relay_cleanup(it_relay *r)
{
    it_relay_stop(r);
    if (r->dir[0]) {
        char cmd[320];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", r->dir);
        if (system(cmd) != 0)
            fprintf(stderr, "fixture: could not remove %s\n", r->dir);
    }
}

tigress_client *it_client(const it_relay *r, unsigned retries)
{
    tigress_client_options o;
    tigress_client_options_init(&o, TIGRESS_CLIENT_OPTIONS_VERSION);
    o.ca_file = r->ca;
    o.max_retries = retries;
    o.connect_timeout_ms = it_scaled_ms(10000);
    o.request_timeout_ms = it_scaled_ms(30000);
    tigress_client *c = NULL;
    if (tigress_client_new(&c, &o) != TIGRESS_OK)
        return NULL;
    return c;
}

void it_share_options(tigress_share_options *o, const it_relay *r, const char *content)
{
    tigress_share_options_init(o, TIGRESS_SHARE_OPTIONS_VERSION);
    o->relay_url = r->url;
    o->format = "com.example.test";
    o->content_json = content;
    o->title = "Test key";
    o->description = "integration test";
}
