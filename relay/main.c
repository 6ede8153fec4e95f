/*
 * relay/main.c: tigress-relay's entry point: options (command line and --config file), start-up
 * in an order that gives each failure its own exit code, the expiry sweeper, and graceful
 * shutdown on SIGTERM/SIGINT.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include <sodium.h>

#include "relay.h"

enum opt_kind { O_STR, O_BOOL, O_SIZE, O_LONG, O_UINT, O_DOUBLE, O_LEVEL, O_ATTEST };

typedef struct opt {
    const char *name;
    enum opt_kind kind;
    size_t offset;
    const char *def;        /* default as text (NULL = unset) */
    const char *arg;        /* placeholder in --help */
    const char *help;
} opt;

#define OFF(f) offsetof(relay_config, f)
static const opt g_opts[] = {
    {"listen", O_STR, OFF(listen), "0.0.0.0:443", "ADDR:PORT",
     "address to listen on; port 0 picks a free port (printed on stdout)"},
    {"public-url", O_STR, OFF(public_url), NULL, "URL",
     "public base URL for urlLink and og:url"},
    {"store", O_STR, OFF(store_path), "./tigress-relay.db", "PATH", "SQLite store file"},
    {"cert", O_STR, OFF(cert_file), NULL, "FILE", "TLS certificate chain (PEM)"},
    {"key", O_STR, OFF(key_file), NULL, "FILE", "TLS private key (PEM)"},
    {"insecure-loopback", O_BOOL, OFF(insecure_loopback), "false", NULL,
     "serve plain HTTP (only allowed on a loopback --listen address; for development)"},
    {"max-body", O_SIZE, OFF(max_body), "65536", "BYTES", "largest request body (else 413)"},
    {"max-expiry", O_LONG, OFF(max_expiry), "604800", "SECONDS",
     "latest allowed expiration, from now (else 400)"},
    {"default-expiry", O_LONG, OFF(default_expiry), "86400", "SECONDS",
     "lifetime of a mailbox created without mailboxConfiguration"},
    {"rate-limit", O_DOUBLE, OFF(rate_limit), "50", "REQ/S",
     "sustained requests per second per client address (0 = no limit; else 429)"},
    {"rate-burst", O_DOUBLE, OFF(rate_burst), "200", "N", "burst size of the per-client bucket"},
    {"max-connections", O_UINT, OFF(max_connections), "1024", "N", "concurrent connections"},
    {"connection-timeout", O_UINT, OFF(connection_timeout), "30", "SECONDS",
     "idle connection timeout"},
    {"threads", O_UINT, OFF(threads), "8", "N", "worker threads (libmicrohttpd thread pool)"},
    {"max-wait", O_UINT, OFF(max_wait), "60", "SECONDS",
     "longest long-poll wait granted for Prefer: wait=N (at most 60)"},
    {"metrics-listen", O_STR, OFF(metrics_listen), NULL, "ADDR:PORT",
     "loopback address for /metrics and /healthz (plain HTTP)"},
    {"sweep-interval", O_UINT, OFF(sweep_interval), "60", "SECONDS",
     "how often expired mailboxes are deleted"},
    {"log-level", O_LEVEL, OFF(log_level), "info", "LEVEL", "error, warn, info or debug"},
    {"push-gateway", O_STR, OFF(push_gateway), NULL, "URL",
     "Sygnal-style push gateway for com.apple.apns / com.google.fcm tokens"},
    {"push-allow", O_STR, OFF(push_allow), NULL, "HOST[,HOST]",
     "push targets allowed although they resolve to non-public addresses"},
    {"push-ca", O_STR, OFF(push_ca), NULL, "FILE",
     "CA bundle for outbound push TLS"},
    {"attestation", O_ATTEST, OFF(attestation), "none", "POLICY",
     "none (accept absent or any) or require (Create without Mailbox-Device-Attestation: 401)"},
};
#define N_OPTS (sizeof g_opts / sizeof g_opts[0])

/* What --help shows as the default of an option that has no value by default. */
static const char *shown_default(const char *name)
{
    static const char *const shown[][2] = {
        {"public-url", "https://<listen address>:<port>"},
        {"cert", "none; required unless --insecure-loopback"},
        {"key", "none; required unless --insecure-loopback"},
        {"metrics-listen", "off"},
        {"push-gateway", "none"},
        {"push-allow", "none"},
        {"push-ca", "the system CA store"},
    };
    for (size_t i = 0; i < sizeof shown / sizeof shown[0]; i++)
        if (strcmp(shown[i][0], name) == 0)
            return shown[i][1];
    return NULL;
}

static void usage(FILE *f)
{
    fprintf(f, "Usage: tigress-relay [OPTION]...\n"
               "Reference relay for the TIGRESS mailbox protocol "
               "(draft-vinokurov-tigress-http-00), over HTTPS.\n\n"
               "Options (each may also be set in a --config file as `name = value`):\n");
    fprintf(f, "  --%-30s %s\n", "config FILE", "read options from FILE (command line wins)");
    for (size_t i = 0; i < N_OPTS; i++) {
        char left[64];
        snprintf(left, sizeof left, "%s%s%s", g_opts[i].name, g_opts[i].arg ? " " : "",
                 g_opts[i].arg ? g_opts[i].arg : "");
        fprintf(f, "  --%-30s %s", left, g_opts[i].help);
        const char *def = g_opts[i].def != NULL ? g_opts[i].def : shown_default(g_opts[i].name);
        if (def != NULL)
            fprintf(f, " [default: %s]", def);
        fputc('\n', f);
    }
    fprintf(f, "  --%-30s %s\n", "help", "show this help and exit");
    fprintf(f, "\nExit codes:\n"
               "  0   clean shutdown (SIGTERM or SIGINT)\n"
               "  64  bad command line or option value\n"
               "  65  config file unreadable or invalid\n"
               "  66  TLS certificate or key unreadable or invalid\n"
               "  69  cannot listen (port in use, bad address)\n"
               "  70  store cannot be opened\n");
}

static bool parse_bool(const char *v, bool *out)
{
    if (!strcasecmp(v, "true") || !strcasecmp(v, "yes") || !strcmp(v, "1") || !strcasecmp(v, "on"))
        *out = true;
    else if (!strcasecmp(v, "false") || !strcasecmp(v, "no") || !strcmp(v, "0") ||
             !strcasecmp(v, "off"))
        *out = false;
    else
        return false;
    return true;
}

/* Sets one option from text. false when the value does not parse. */
static bool set_opt(relay_config *cfg, const opt *o, const char *v)
{
    char *p = (char *)cfg + o->offset, *end = NULL;
    errno = 0;
    switch (o->kind) {
    case O_STR: {
        char **dst = (char **)(void *)p;
        free(*dst);
        *dst = v[0] ? strdup(v) : NULL;
        return true;
    }
    case O_BOOL:
        return parse_bool(v, (bool *)(void *)p);
    case O_SIZE: {
        unsigned long long n = strtoull(v, &end, 10);
        *(size_t *)(void *)p = (size_t)n;
        return *end == '\0' && errno == 0 && v[0] != '-' && n > 0;
    }
    case O_LONG: {
        long n = strtol(v, &end, 10);
        *(long *)(void *)p = n;
        return *end == '\0' && errno == 0 && n > 0;
    }
    case O_UINT: {
        unsigned long n = strtoul(v, &end, 10);
        *(unsigned *)(void *)p = (unsigned)n;
        return *end == '\0' && errno == 0 && v[0] != '-' && n > 0 && n < 1000000;
    }
    case O_DOUBLE: {
        double d = strtod(v, &end);
        *(double *)(void *)p = d;
        return *end == '\0' && errno == 0 && d >= 0.0;
    }
    case O_LEVEL: {
        static const char *const names[] = {"error", "warn", "info", "debug"};
        for (int i = 0; i < 4; i++)
            if (strcmp(v, names[i]) == 0) {
                *(int *)(void *)p = i;
                return true;
            }
        return false;
    }
    case O_ATTEST:
        if (strcmp(v, "none") == 0)
            *(int *)(void *)p = RELAY_ATTEST_NONE;
        else if (strcmp(v, "require") == 0)
            *(int *)(void *)p = RELAY_ATTEST_REQUIRE;
        else
            return false;
        return true;
    }
    return false;
}

static const opt *find_opt(const char *name, size_t len)
{
    for (size_t i = 0; i < N_OPTS; i++)
        if (strlen(g_opts[i].name) == len && strncmp(g_opts[i].name, name, len) == 0)
            return &g_opts[i];
    return NULL;
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n'))
        s[--n] = '\0';
    return s;
}

/* `name = value` lines; '#' starts a comment line. Returns 0 or RELAY_EXIT_CONFIG. */
static int load_config_file(relay_config *cfg, const char *path)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        fprintf(stderr, "tigress-relay: cannot read config file %s: %s\n", path, strerror(errno));
        return RELAY_EXIT_CONFIG;
    }
    char line[4096];
    int lineno = 0, rc = 0;
    while (rc == 0 && fgets(line, sizeof line, f) != NULL) {
        lineno++;
        char *s = trim(line);
        if (*s == '\0' || *s == '#')
            continue;
        char *eq = strchr(s, '=');
        if (eq == NULL) {
            fprintf(stderr, "tigress-relay: %s:%d: expected `name = value`\n", path, lineno);
            rc = RELAY_EXIT_CONFIG;
            break;
        }
        *eq = '\0';
        char *name = trim(s), *value = trim(eq + 1);
        const opt *o = find_opt(name, strlen(name));
        if (o == NULL || !set_opt(cfg, o, value)) {
            fprintf(stderr, "tigress-relay: %s:%d: %s option `%s`\n", path, lineno,
                    o == NULL ? "unknown" : "bad value for", name);
            rc = RELAY_EXIT_CONFIG;
        }
    }
    fclose(f);
    return rc;
}

static void config_free(relay_config *cfg)
{
    for (size_t i = 0; i < N_OPTS; i++)
        if (g_opts[i].kind == O_STR) {
            char **p = (char **)(void *)((char *)cfg + g_opts[i].offset);
            free(*p);
            *p = NULL;
        }
}

/* Defaults, then the config file, then the command line. Returns -1 to go on, or an exit code. */
static int parse_args(relay_config *cfg, int argc, char **argv)
{
    memset(cfg, 0, sizeof *cfg);
    for (size_t i = 0; i < N_OPTS; i++)
        if (g_opts[i].def != NULL)
            set_opt(cfg, &g_opts[i], g_opts[i].def);
    for (int i = 1; i < argc; i++) {            /* the config file first */
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return RELAY_EXIT_OK;
        }
        const char *path = NULL;
        if (strncmp(argv[i], "--config=", 9) == 0)
            path = argv[i] + 9;
        else if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
            path = argv[++i];
        if (path != NULL) {
            int rc = load_config_file(cfg, path);
            if (rc != 0)
                return rc;
        }
    }
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strncmp(a, "--", 2) != 0) {
            fprintf(stderr, "tigress-relay: unexpected argument `%s` (see --help)\n", a);
            return RELAY_EXIT_USAGE;
        }
        a += 2;
        const char *eq = strchr(a, '=');
        size_t nlen = eq ? (size_t)(eq - a) : strlen(a);
        if (nlen == 6 && strncmp(a, "config", 6) == 0) {
            if (eq == NULL)
                i++;
            continue;
        }
        const opt *o = find_opt(a, nlen);
        if (o == NULL) {
            fprintf(stderr, "tigress-relay: unknown option `--%.*s` (see --help)\n", (int)nlen, a);
            return RELAY_EXIT_USAGE;
        }
        const char *v = eq ? eq + 1 : NULL;
        if (v == NULL && o->kind == O_BOOL)
            v = "true";
        if (v == NULL) {
            if (i + 1 >= argc) {
                fprintf(stderr, "tigress-relay: option `--%s` needs a value\n", o->name);
                return RELAY_EXIT_USAGE;
            }
            v = argv[++i];
        }
        if (!set_opt(cfg, o, v)) {
            fprintf(stderr, "tigress-relay: bad value for `--%s`\n", o->name);
            return RELAY_EXIT_USAGE;
        }
    }
    return -1;
}

/* Cross-option checks. Returns 0 or RELAY_EXIT_USAGE. */
static int check_config(relay_config *cfg)
{
    struct sockaddr_storage ss;
    unsigned len;
    bool loopback;
    if (!relay_parse_listen(cfg->listen, &ss, &len, &loopback)) {
        fprintf(stderr, "tigress-relay: --listen must be ADDR:PORT\n");
        return RELAY_EXIT_USAGE;
    }
    if (cfg->insecure_loopback && !loopback) {
        fprintf(stderr, "tigress-relay: --insecure-loopback needs a loopback --listen address\n");
        return RELAY_EXIT_USAGE;
    }
    if (!cfg->insecure_loopback && (cfg->cert_file == NULL || cfg->key_file == NULL)) {
        fprintf(stderr, "tigress-relay: --cert and --key are required (HTTPS only)\n");
        return RELAY_EXIT_USAGE;
    }
    if (cfg->public_url != NULL) {
        size_t n = strlen(cfg->public_url);
        while (n > 0 && cfg->public_url[n - 1] == '/')
            cfg->public_url[--n] = '\0';
        bool https = strncmp(cfg->public_url, "https://", 8) == 0 && n > 8;
        bool http = cfg->insecure_loopback && strncmp(cfg->public_url, "http://", 7) == 0;
        if ((!https && !http) || strpbrk(cfg->public_url, "?# \"<>") != NULL) {
            fprintf(stderr, "tigress-relay: --public-url must be an https:// URL without query\n");
            return RELAY_EXIT_USAGE;
        }
    }
    if (cfg->default_expiry > cfg->max_expiry) {
        fprintf(stderr, "tigress-relay: --default-expiry exceeds --max-expiry\n");
        return RELAY_EXIT_USAGE;
    }
    if (cfg->max_wait > 60)
        cfg->max_wait = 60;
    if (cfg->rate_limit > 0 && cfg->rate_burst < 1)
        cfg->rate_burst = 1;
    return 0;
}

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
        long n = a->st->ops->sweep(a->st, (int64_t)time(NULL));
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

int main(int argc, char **argv)
{
    relay_config cfg;
    int rc = parse_args(&cfg, argc, argv);   /* >= 0: done (0 = --help printed) */
    if (rc < 0)
        rc = check_config(&cfg) != 0 ? RELAY_EXIT_USAGE : -1;
    if (rc >= 0) {
        config_free(&cfg);
        return rc;
    }
    if (sodium_init() < 0) {
        fprintf(stderr, "tigress-relay: libsodium failed to initialise\n");
        return RELAY_EXIT_USAGE;
    }
    relay_log_init(cfg.log_level);

    /* Block the stop signals in every thread; main waits for them with sigwait. */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    signal(SIGPIPE, SIG_IGN);

    char err[256] = "";
    store_config sc = {.location = cfg.store_path, .busy_timeout_ms = 5000};
    store *st = store_open(&sc, err, sizeof err);
    if (st == NULL) {
        relay_log(LOG_ERROR, "event=start error=\"cannot open the store: %s\"", err);
        config_free(&cfg);
        return RELAY_EXIT_STORE;
    }
    ratelimit *rl = ratelimit_new(cfg.rate_limit, cfg.rate_burst);
    routes_init(&cfg, st);
    if (push_start(&cfg) != 0 || longpoll_start(st) != 0 || rl == NULL) {
        relay_log(LOG_ERROR, "event=start error=\"cannot start worker threads\"");
        return RELAY_EXIT_USAGE;
    }
    unsigned port = 0;
    int exit_code = 0;
    relay_server *srv = server_start(&cfg, rl, &exit_code, &port);
    if (srv == NULL) {
        push_stop();
        longpoll_stop();
        store_close(st);
        ratelimit_free(rl);
        config_free(&cfg);
        return exit_code;
    }
    rc = metrics_start(cfg.metrics_listen, st);
    if (rc != 0) {
        server_stop(srv);
        push_stop();
        store_close(st);
        ratelimit_free(rl);
        config_free(&cfg);
        return rc;
    }
    pthread_t sweeper;
    sweep_arg sa = {st, cfg.sweep_interval};
    pthread_create(&sweeper, NULL, sweeper_main, &sa);

    const char *colon = strrchr(cfg.listen, ':');
    printf("listening on %s://%.*s:%u\n", cfg.insecure_loopback ? "http" : "https",
           (int)(colon - cfg.listen), cfg.listen, port);
    fflush(stdout);
    relay_log(LOG_INFO, "event=start port=%u tls=%s attestation_policy=%s", port,
              cfg.insecure_loopback ? "off" : "on",
              cfg.attestation == RELAY_ATTEST_REQUIRE ? "require" : "none");

    int sig = 0;
    sigwait(&stop, &sig);
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
    ratelimit_free(rl);
    config_free(&cfg);
    relay_log(LOG_INFO, "event=stopped");
    return RELAY_EXIT_OK;
}
