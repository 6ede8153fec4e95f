/*
 * relay/main.c: tigress-relay's entry point: start-up in an order that gives each failure its
 * own exit code, the expiry sweeper, SIGHUP reload and graceful shutdown on SIGTERM/SIGINT.
 * The options themselves (table, parsing, cross-checks) are in relay/options.c.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>

#include <sodium.h>

#include "relay.h"
#include "options.h"
#include "tlscreds.h"

/* ---- the sweeper ---- */
static pthread_mutex_t g_sweep_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_sweep_cond = PTHREAD_COND_INITIALIZER;
static bool g_sweep_stop;

typedef struct sweep_arg {
    store *st;
    unsigned interval;
} sweep_arg;

static void *sweeper_main(void *p)
{
    const sweep_arg *a = p;
    pthread_mutex_lock(&g_sweep_lock);
    while (!g_sweep_stop) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += a->interval;
        pthread_cond_timedwait(&g_sweep_cond, &g_sweep_lock, &ts);
        if (g_sweep_stop)
            break;
        pthread_mutex_unlock(&g_sweep_lock);
        long n = store_sweep(a->st, (int64_t)time(NULL));
        if (n > 0) {
            metrics_add(M_SWEPT, n);
            relay_log(LOG_DEBUG, "event=sweep removed=%ld", n);
        } else if (n < 0) {
            relay_log(LOG_WARN, "event=sweep error=\"store sweep failed\"");
        }
        pthread_mutex_lock(&g_sweep_lock);
    }
    pthread_mutex_unlock(&g_sweep_lock);
    return NULL;
}

/* The password in FILE (one line, newline stripped) into a malloc'd string, or NULL. */
static char *read_secret_file(const char *path)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        fprintf(stderr, "tigress-relay: cannot read --redis-password-file %s: %s\n", path,
                strerror(errno));
        return NULL;
    }
    char buf[1024];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    bool more = fgetc(f) != EOF;
    fclose(f);
    buf[n] = '\0';
    n = strcspn(buf, "\r\n");
    char *pw = NULL;
    if (n == 0 || more || strspn(buf + n, "\r\n") != strlen(buf + n))
        fprintf(stderr, "tigress-relay: --redis-password-file %s must hold one non-empty line "
                        "(at most 1000 bytes)\n", path);
    else if ((pw = malloc(n + 1)) != NULL) {
        memcpy(pw, buf, n);
        pw[n] = '\0';
    }
    sodium_memzero(buf, sizeof buf);
    return pw;
}

/* url with pw (percent-encoded) put in as the password: scheme://[user]:pw@rest. NULL when the
 * URL carries a password already, or out of memory. The result holds a secret: wipe it. */
static char *url_with_password(const char *url, const char *pw)
{
    const char *sep = strstr(url, "://");
    if (sep == NULL)
        return NULL;
    const char *auth = sep + 3, *at = strrchr(auth, '@');
    const char *host = at != NULL ? at + 1 : auth;
    size_t ulen = at != NULL ? (size_t)(at - auth) : 0;
    if (memchr(auth, ':', ulen) != NULL) {
        fprintf(stderr, "tigress-relay: the --store URL has a password and "
                        "--redis-password-file gives another\n");
        return NULL;
    }
    size_t cap = strlen(url) + 3 * strlen(pw) + 4;
    char *out = malloc(cap), *o = out;
    if (out == NULL)
        return NULL;
    memcpy(o, url, (size_t)(auth - url) + ulen);
    o += (size_t)(auth - url) + ulen;
    *o++ = ':';
    for (const unsigned char *p = (const unsigned char *)pw; *p != '\0'; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            strchr("-._~", *p) != NULL) {
            *o++ = (char)*p;
        } else {
            snprintf(o, 4, "%%%02X", *p);
            o += 3;
        }
    }
    *o++ = '@';
    memcpy(o, host, strlen(host) + 1);
    return out;
}

/* Opens the store; NULL after logging why (the exit code is RELAY_EXIT_STORE, or *usage set
 * for a password file that cannot be used). A Redis server that cannot be reached yet is a
 * warning only: the relay starts and answers 503 until it can. */
static store *open_store(const main_config *mc, bool *usage)
{
    const relay_config *cfg = &mc->r;
    char *secret_url = NULL;
    *usage = false;
    if (mc->redis_password_file != NULL) {
        char *pw = read_secret_file(mc->redis_password_file);
        if (pw != NULL) {
            secret_url = url_with_password(cfg->store_path, pw);
            sodium_memzero(pw, strlen(pw));
            free(pw);
        }
        if (secret_url == NULL) {
            *usage = true;
            return NULL;
        }
    }
    char err[512] = "";
    store_config sc = {
        .location = secret_url != NULL ? secret_url : cfg->store_path,
        .busy_timeout_ms = options_is_redis_url(cfg->store_path) ? (int)mc->redis_timeout_ms : 5000,
        .redis_ca = mc->redis_ca,
        .redis_cert = mc->redis_cert,
        .redis_key = mc->redis_key,
    };
    store *st = store_open(&sc, err, sizeof err);
    if (secret_url != NULL) {
        sodium_memzero(secret_url, strlen(secret_url));
        free(secret_url);
    }
    if (st == NULL)
        relay_log(LOG_ERROR, "event=start error=\"cannot open the store: %s\"", err);
    else if (err[0] != '\0')
        relay_log(LOG_WARN, "event=start warning=\"%s\"", err);
    return st;
}

/* SIGHUP, on the main thread: the settings that can change without a restart are read again
 * (command line, then the --config file, as at start) and applied: --cert and --key (new TLS
 * handshakes; connections already open keep theirs), --well-known and --log-level. A part that
 * cannot be loaded keeps what was in use and the log says why. Every other setting needs a
 * restart. */
static void reload(main_config *mc, int argc, char **argv)
{
    relay_notify_reloading();
    relay_log(LOG_INFO, "event=reload");
    main_config nc;
    int rc = options_parse(&nc, argc, argv);
    if (rc >= 0) {
        relay_log(LOG_WARN, "event=reload config=kept error=\"the config file is unreadable or "
                            "invalid (see above); nothing was reloaded\"");
        options_free(&nc);
        relay_notify("READY=1");
        return;
    }
    relay_log_set_level(nc.r.log_level);
    mc->r.log_level = nc.r.log_level;
    char why[512];
    if (!mc->r.insecure_loopback) {
        if (nc.r.cert_file == NULL || nc.r.key_file == NULL) {
            relay_log(LOG_WARN, "event=reload tls=kept error=\"--cert and --key are required\"");
        } else if (tlscreds_load(nc.r.cert_file, nc.r.key_file, why, sizeof why) != 0) {
            relay_log(LOG_WARN, "event=reload tls=kept error=\"%s\"", why);
        } else {
            relay_log(LOG_INFO, "event=reload tls=reloaded");
            char *t = mc->r.cert_file;
            mc->r.cert_file = nc.r.cert_file;
            nc.r.cert_file = t;
            t = mc->r.key_file;
            mc->r.key_file = nc.r.key_file;
            nc.r.key_file = t;
        }
    }
    if (nc.r.well_known_dir != NULL || mc->r.well_known_dir != NULL) {
        if (wellknown_load(nc.r.well_known_dir, why, sizeof why) != 0) {
            relay_log(LOG_WARN, "event=reload well_known=kept error=\"%s\"", why);
        } else {
            char *t = mc->r.well_known_dir;
            mc->r.well_known_dir = nc.r.well_known_dir;
            nc.r.well_known_dir = t;
        }
    }
    options_free(&nc);
    relay_notify("READY=1");
}

/* Each connection is a file descriptor: raise the soft RLIMIT_NOFILE to the hard limit (an
 * unprivileged process may), log both, and warn when --max-connections cannot fit under it
 * (relay/README.md, "Sizing"). */
static void raise_nofile(const relay_config *cfg)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return;
    rlim_t before = rl.rlim_cur;
    if (rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
            rl.rlim_cur = before;
    }
    relay_log(LOG_INFO, "event=start nofile_soft_was=%llu nofile_soft=%llu nofile_hard=%llu",
              (unsigned long long)before, (unsigned long long)rl.rlim_cur,
              (unsigned long long)rl.rlim_max);
    /* About 64 descriptors besides connections: store, logs, listeners, push, metrics. */
    if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < (rlim_t)cfg->max_connections + 64)
        relay_log(LOG_WARN, "event=start warning=\"--max-connections %u needs about %u file "
                            "descriptors but the file limit is %llu: raise the hard limit "
                            "(ulimit -Hn, systemd LimitNOFILE=)\"",
                  (unsigned)cfg->max_connections, (unsigned)cfg->max_connections + 64,
                  (unsigned long long)rl.rlim_cur);
}

int main(int argc, char **argv)
{
    main_config mc;
    relay_config *cfgp = &mc.r;
    int rc = options_parse(&mc, argc, argv);   /* >= 0: done (0 = --help printed) */
    if (rc < 0)
        rc = options_check(cfgp, &mc) != 0 ? RELAY_EXIT_USAGE : -1;
    if (rc < 0) {
        int e = proxy_init(cfgp->trusted_proxy);
        if (e == 0)
            e = vapid_init(cfgp->vapid_key, cfgp->vapid_subject);
        rc = e != 0 ? e : -1;
    }
    if (rc >= 0) {
        vapid_free();
        proxy_free();
        options_free(&mc);
        return rc;
    }
    if (sodium_init() < 0) {
        fprintf(stderr, "tigress-relay: libsodium failed to initialise\n");
        return RELAY_EXIT_USAGE;
    }
    relay_log_init(cfgp->log_level);

    /* Block the stop and reload signals in every thread; main waits for them with sigwait. */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    signal(SIGPIPE, SIG_IGN);

    if (cfgp->well_known_dir != NULL) {
        char why[512];
        if (wellknown_load(cfgp->well_known_dir, why, sizeof why) != 0) {
            relay_log(LOG_ERROR, "event=start error=\"%s\"", why);
            options_free(&mc);
            return RELAY_EXIT_USAGE;
        }
    }

    bool usage = false;
    store *st = open_store(&mc, &usage);
    if (st == NULL) {
        options_free(&mc);
        return usage ? RELAY_EXIT_USAGE : RELAY_EXIT_STORE;
    }
    ratelimit *rl = ratelimit_new(cfgp->rate_limit, cfgp->rate_burst);
    routes_init(cfgp, st);
    if (push_start(cfgp, st) != 0 || longpoll_start(st) != 0 || rl == NULL) {
        relay_log(LOG_ERROR, "event=start error=\"cannot start worker threads\"");
        return RELAY_EXIT_USAGE;
    }
    raise_nofile(cfgp);
    unsigned port = 0;
    int exit_code = 0;
    relay_server *srv = server_start(cfgp, rl, &exit_code, &port);
    if (srv == NULL) {
        push_stop();
        longpoll_stop();
        store_close(st);
        ratelimit_free(rl);
        options_free(&mc);
        return exit_code;
    }
    rc = metrics_start(cfgp->metrics_listen, st);
    if (rc != 0) {
        server_stop(srv);
        push_stop();
        store_close(st);
        ratelimit_free(rl);
        options_free(&mc);
        return rc;
    }
    pthread_t sweeper;
    sweep_arg sa = {st, cfgp->sweep_interval};
    pthread_create(&sweeper, NULL, sweeper_main, &sa);

    const char *colon = strrchr(cfgp->listen, ':');
    printf("listening on %s://%.*s:%u\n", cfgp->insecure_loopback ? "http" : "https",
           (int)(colon - cfgp->listen), cfgp->listen, port);
    fflush(stdout);
    relay_log(LOG_INFO, "event=start port=%u tls=%s attestation_policy=%s", port,
              cfgp->insecure_loopback ? "off" : "on",
              cfgp->attestation == RELAY_ATTEST_REQUIRE ? "require" : "none");

    relay_notify("READY=1");

    int sig = 0;
    while (sigwait(&stop, &sig) == 0 && sig == SIGHUP)
        reload(&mc, argc, argv);
    relay_notify("STOPPING=1");
    relay_log(LOG_INFO, "event=stop signal=%s", sig == SIGTERM ? "TERM" : "INT");

    server_stop(srv);          /* stop accepting, finish in-flight requests */
    metrics_stop();
    pthread_mutex_lock(&g_sweep_lock);
    g_sweep_stop = true;
    pthread_cond_signal(&g_sweep_cond);
    pthread_mutex_unlock(&g_sweep_lock);
    pthread_join(sweeper, NULL);
    push_stop();
    store_close(st);           /* flushes and closes the database */
    quota_free();
    wellknown_free();
    ratelimit_free(rl);
    vapid_free();
    proxy_free();
    options_free(&mc);
    relay_log(LOG_INFO, "event=stopped");
    return RELAY_EXIT_OK;
}
