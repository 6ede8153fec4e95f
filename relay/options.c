/*
 * relay/options.c: tigress-relay's options. One table (g_opts) gives each option its name,
 * kind, place in main_config, default and --help text, so the command line, a --config file
 * (`name = value` lines) and --help cannot disagree. Later sources win: defaults, then the
 * --config file, then the command line.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include <sodium.h>

#include "options.h"

enum opt_kind { O_STR, O_BOOL, O_SIZE, O_LONG, O_UINT, O_UINT0, O_DOUBLE, O_LEVEL, O_ATTEST };

typedef struct opt {
    const char *name;
    enum opt_kind kind;
    size_t offset;
    const char *def;        /* default as text (NULL = unset) */
    const char *arg;        /* placeholder in --help */
    const char *help;
} opt;

#define OFF(f) offsetof(main_config, r.f)
#define MOFF(f) offsetof(main_config, f)
static const opt g_opts[] = {
    {"listen", O_STR, OFF(listen), "0.0.0.0:443", "ADDR:PORT",
     "address to listen on; port 0 picks a free port (printed on stdout)"},
    {"public-url", O_STR, OFF(public_url), NULL, "URL",
     "public base URL for urlLink and og:url"},
    {"store", O_STR, OFF(store_path), "./tigress-relay.db", "PATH|URL",
     "SQLite store file, or a shared Redis store: redis://[user:password@]host[:port][/db] "
     "(rediss:// for TLS), or through Redis Sentinel: redis+sentinel://[user:password@]"
     "host[:port][,host[:port]...]/MASTERNAME[?db=N&min_replicas=N&wait_ms=MS]; a password here shows in `ps`: prefer --redis-password-file or "
     "`store = ...` in a --config file"},
    {"redis-password-file", O_STR, MOFF(redis_password_file), NULL, "FILE",
     "Redis password read from FILE at start (one line; the URL's user, if any, is the ACL "
     "user)"},
    {"redis-timeout-ms", O_UINT, MOFF(redis_timeout_ms), "2000", "MS",
     "Redis connect/command timeout; after a failure the relay answers 503 at once for ~1 s "
     "before trying Redis again"},
    {"redis-ca", O_STR, MOFF(redis_ca), NULL, "FILE",
     "CA bundle (PEM) that must have issued the rediss:// server's certificate; its host name "
     "(or IP) is verified too"},
    {"redis-cert", O_STR, MOFF(redis_cert), NULL, "FILE",
     "client certificate (PEM) for a rediss:// server that wants one (tls-auth-clients)"},
    {"redis-key", O_STR, MOFF(redis_key), NULL, "FILE",
     "private key (PEM) of --redis-cert"},
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
    {"max-mailboxes-per-address", O_UINT0, OFF(max_mailboxes_per_address), "1000", "N",
     "mailboxes one client address may create per 24 hours (0 = no limit; else 429)"},
    {"max-connections", O_UINT, OFF(max_connections), "1024", "N", "concurrent connections"},
    {"connection-memory", O_SIZE, OFF(connection_memory), "8192", "BYTES",
     "libmicrohttpd memory per connection, 4096 to 1048576: the request line and headers must "
     "fit (a longer request head is refused, 431); most of what a held long-poll costs"},
    {"connection-timeout", O_UINT, OFF(connection_timeout), "30", "SECONDS",
     "idle connection timeout"},
    {"max-connections-per-address", O_UINT0, OFF(max_conn_per_addr), "64", "N",
     "concurrent connections from one client address (0 = no cap; more are closed at once; "
     "unset: at most half of --max-connections)"},
    {"request-read-timeout", O_UINT0, OFF(request_read_timeout), "30", "SECONDS",
     "a request's head and body must arrive within this long of the connection opening or the "
     "previous response, even if bytes keep trickling in (0 = off; unset: "
     "--connection-timeout)"},
    {"max-held-reads-per-address", O_UINT0, OFF(max_held_per_addr), "32", "N",
     "long-polls held at once for one client address (0 = no cap; more are answered 429; "
     "unset: at most half of --max-connections-per-address)"},
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
    {"well-known", O_STR, OFF(well_known_dir), NULL, "DIR",
     "serve DIR/apple-app-site-association and DIR/assetlinks.json (app links) under "
     "/.well-known/ (read at start and on SIGHUP)"},
    /* Deploying: VAPID (vapid.c) and the client address behind a proxy (proxy.c). Their
     * defaults are in the help text (none of them has a value by default). */
    {"vapid-key", O_STR, OFF(vapid_key), NULL, "FILE",
     "PEM EC P-256 private key: webpush requests carry VAPID (RFC 8292) and GET /v1/vapid "
     "publishes its public key [default: none, no VAPID]"},
    {"vapid-subject", O_STR, OFF(vapid_subject), NULL, "URI",
     "VAPID contact (sub claim): mailto:ADDRESS or an https:// URL; needed with --vapid-key "
     "[default: none]"},
    {"trusted-proxy", O_STR, OFF(trusted_proxy), NULL, "CIDR[,CIDR]",
     "proxies (IPv4/IPv6 CIDRs) whose Forwarded / X-Forwarded-For name the client address for "
     "rate limits and per-address caps [default: none, those headers are ignored]"},
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
        {"redis-password-file", "none"},
        {"redis-ca", "the system CA store"},
        {"redis-cert", "none"},
        {"redis-key", "in the --redis-cert file"},
        {"push-gateway", "none"},
        {"push-allow", "none"},
        {"push-ca", "the system CA store"},
        {"well-known", "none (404)"},
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
    fprintf(f, "\nSignals: SIGTERM or SIGINT stop gracefully; SIGHUP reloads the certificate, the\n"
               "key, the --well-known files and the log level (from the --config file too) for\n"
               "what follows, keeping what was loaded when a new file is unusable.\n");
    fprintf(f, "\nExit codes:\n"
               "  0   clean shutdown (SIGTERM or SIGINT)\n"
               "  64  bad command line or option value\n"
               "  65  config file unreadable or invalid\n"
               "  66  TLS certificate or key unreadable or invalid\n"
               "  69  cannot listen (port in use, bad address)\n"
               "  70  store cannot be opened (Redis: bad URL, AUTH or SELECT refused; an\n"
               "      unreachable Redis is not fatal: requests get 503 until it answers)\n");
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

/* Which options the user set (config file or command line), not their defaults. */
static bool g_user_set[sizeof g_opts / sizeof g_opts[0]];

/* Sets one option from text. false when the value does not parse. */
static bool set_opt(main_config *cfg, const opt *o, const char *v)
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
    case O_UINT0: {             /* as O_UINT, and 0 (off) is allowed */
        unsigned long n = strtoul(v, &end, 10);
        *(unsigned *)(void *)p = (unsigned)n;
        return *end == '\0' && errno == 0 && v[0] != '-' && v[0] != '\0' && n < 1000000;
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
static int load_config_file(main_config *cfg, const char *path)
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
        } else {
            g_user_set[o - g_opts] = true;
        }
    }
    fclose(f);
    return rc;
}

void options_free(main_config *cfg)
{
    for (size_t i = 0; i < N_OPTS; i++)
        if (g_opts[i].kind == O_STR) {
            char **p = (char **)(void *)((char *)cfg + g_opts[i].offset);
            if (*p != NULL)     /* --store may hold a Redis password (config file) */
                sodium_memzero(*p, strlen(*p));
            free(*p);
            *p = NULL;
        }
}

/* Defaults, then the config file, then the command line. Returns -1 to go on, or an exit code. */
int options_parse(main_config *cfg, int argc, char **argv)
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
        else if (strcmp(argv[i], "--config") == 0)
            path = i + 1 < argc && strncmp(argv[i + 1], "--", 2) != 0 ? argv[++i] : "";
        if (path != NULL && path[0] == '\0') {
            fprintf(stderr, "tigress-relay: option `--config` needs a value\n");
            return RELAY_EXIT_USAGE;
        }
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
            /* No option takes a value starting with "--": that is the next option, and
             * this one was given without its value. */
            if (i + 1 >= argc || strncmp(argv[i + 1], "--", 2) == 0) {
                fprintf(stderr, "tigress-relay: option `--%s` needs a value\n", o->name);
                return RELAY_EXIT_USAGE;
            }
            v = argv[++i];
        }
        if (!set_opt(cfg, o, v)) {
            fprintf(stderr, "tigress-relay: bad value for `--%s`\n", o->name);
            return RELAY_EXIT_USAGE;
        }
        g_user_set[o - g_opts] = true;
    }
    return -1;
}

static bool user_set(const char *name)
{
    const opt *o = find_opt(name, strlen(name));
    return o != NULL && g_user_set[o - g_opts];
}

bool options_is_redis_url(const char *loc)
{
    return loc != NULL &&
           (strncasecmp(loc, "redis://", 8) == 0 || strncasecmp(loc, "rediss://", 9) == 0 ||
            strncasecmp(loc, "redis+sentinel://", 17) == 0);
}

/* Cross-option checks. Returns 0 or RELAY_EXIT_USAGE. */
int options_check(relay_config *cfg, const main_config *mc)
{
    if (mc->redis_password_file != NULL && !options_is_redis_url(cfg->store_path)) {
        fprintf(stderr, "tigress-relay: --redis-password-file needs a redis:// --store\n");
        return RELAY_EXIT_USAGE;
    }
    if ((mc->redis_ca != NULL || mc->redis_cert != NULL || mc->redis_key != NULL) &&
        (cfg->store_path == NULL || strncasecmp(cfg->store_path, "rediss://", 9) != 0)) {
        fprintf(stderr, "tigress-relay: --redis-ca, --redis-cert and --redis-key need a "
                        "rediss:// --store\n");
        return RELAY_EXIT_USAGE;
    }
    if (mc->redis_key != NULL && mc->redis_cert == NULL) {
        fprintf(stderr, "tigress-relay: --redis-key needs --redis-cert\n");
        return RELAY_EXIT_USAGE;
    }
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
    /* An unset --default-expiry follows a shorter --max-expiry instead of contradicting it. */
    if (!user_set("default-expiry") && cfg->default_expiry > cfg->max_expiry)
        cfg->default_expiry = cfg->max_expiry;
    if (cfg->default_expiry > cfg->max_expiry) {
        fprintf(stderr, "tigress-relay: --default-expiry exceeds --max-expiry\n");
        return RELAY_EXIT_USAGE;
    }
    /* Below 4096 libmicrohttpd cannot hold an ordinary request head; above 1 MiB the value is
     * almost surely a typo (a digit too many), and every connection, each held long-poll
     * included, would reserve that much. */
    if (cfg->connection_memory < 4096 || cfg->connection_memory > 1048576) {
        fprintf(stderr, "tigress-relay: --connection-memory must be between 4096 and 1048576 "
                        "bytes (got %zu)\n", cfg->connection_memory);
        return RELAY_EXIT_USAGE;
    }
    /* Unset per-address caps follow the global ones, so that one address can never take every
     * slot: at most half of --max-connections, and held reads at most half of that. The
     * request read deadline follows --connection-timeout. */
    if (!user_set("max-connections-per-address") &&
        cfg->max_conn_per_addr > cfg->max_connections / 2)
        cfg->max_conn_per_addr = cfg->max_connections / 2 > 0 ? cfg->max_connections / 2 : 1;
    if (!user_set("max-held-reads-per-address") && cfg->max_conn_per_addr > 0 &&
        cfg->max_held_per_addr > cfg->max_conn_per_addr / 2)
        cfg->max_held_per_addr = cfg->max_conn_per_addr / 2 > 0 ? cfg->max_conn_per_addr / 2 : 1;
    if (!user_set("request-read-timeout"))
        cfg->request_read_timeout = cfg->connection_timeout;
    if (cfg->max_wait > 60)
        cfg->max_wait = 60;
    if (cfg->rate_limit > 0 && cfg->rate_burst < 1)
        cfg->rate_burst = 1;
    return 0;
}

