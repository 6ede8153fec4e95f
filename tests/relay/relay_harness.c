/*
 * tests/relay/relay_harness.c: see relay_harness.h. The relay binary's path comes from the
 * build (RELAY_BIN, for the suites' own use; the fixture library starts it); nothing outside
 * the temp dir is written.
 */
#include "relay_harness.h"

#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <uuid/uuid.h>

#ifndef RELAY_BIN
#error "RELAY_BIN must name the tigress-relay binary"
#endif

static char g_dir[256];
static rf_certs g_certs;
static char **g_secrets;
static size_t g_nsecrets;
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;

const char *th_dir(void) { return g_dir; }
const char *th_ca(void) { return g_certs.ca; }
const char *th_cert(void) { return g_certs.cert; }
const char *th_key(void) { return g_certs.key; }
long th_time_scale(void) { return rf_time_scale(); }

int th_init(void)
{
    signal(SIGPIPE, SIG_IGN);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    if (rf_tmpdir(g_dir, sizeof g_dir, "tigress-relay-test-") != 0)
        return -1;
    return rf_certs_make(&g_certs, g_dir);
}

void th_cleanup(void)
{
    rf_relay_kill_all();
    if (g_dir[0] != '\0' && getenv("TIGRESS_KEEP_TMP") == NULL && rf_rmtree(g_dir) != 0)
        fprintf(stderr, "could not remove %s\n", g_dir);
    for (size_t i = 0; i < g_nsecrets; i++)
        free(g_secrets[i]);
    free(g_secrets);
    g_secrets = NULL;
    g_nsecrets = 0;
    curl_global_cleanup();
}

int relay_start_raw(relay_proc *r, const char *const *args)
{
    if (r->log_path[0] == '\0')
        snprintf(r->log_path, sizeof r->log_path, "%s/relay-%d.log", g_dir, rand());
    return rf_relay_start(r, args);
}

int relay_start(relay_proc *r, const char *store_name, const char *const *extra)
{
    const char *args[64];
    char store[512];
    size_t n = 0;
    /* TIGRESS_TEST_STORE=redis://... runs the same suites against a shared Redis store
     * (tests/cluster/conformance-redis.sh); every relay of the run then uses it. */
    const char *shared = getenv("TIGRESS_TEST_STORE");
    if (shared != NULL && shared[0] != '\0')
        snprintf(store, sizeof store, "%s", shared);
    else
        snprintf(store, sizeof store, "%s/%s", g_dir, store_name);
    args[n++] = "--listen";
    args[n++] = "127.0.0.1:0";
    args[n++] = "--cert";
    args[n++] = g_certs.cert;
    args[n++] = "--key";
    args[n++] = g_certs.key;
    args[n++] = "--store";
    args[n++] = store;
    /* TIGRESS_TEST_REDIS_CA: the CA of a rediss:// TIGRESS_TEST_STORE (conformance-redis.sh
     * tls). */
    const char *redis_ca = getenv("TIGRESS_TEST_REDIS_CA");
    if (shared != NULL && shared[0] != '\0' && redis_ca != NULL && redis_ca[0] != '\0') {
        args[n++] = "--redis-ca";
        args[n++] = redis_ca;
    }
    for (size_t i = 0; extra != NULL && extra[i] != NULL && n < 62; i++)
        args[n++] = extra[i];
    args[n] = NULL;
    return relay_start_raw(r, args);
}

int relay_stop(relay_proc *r)
{
    return rf_relay_stop(r);
}

void relay_kill9(relay_proc *r)
{
    rf_relay_kill(r);
}

typedef struct sink {
    char *p;
    size_t len;
} sink;

static size_t on_body(char *data, size_t size, size_t n, void *ud)
{
    sink *s = ud;
    size_t k = size * n;
    char *np = realloc(s->p, s->len + k + 1);
    if (np == NULL)
        return 0;
    memcpy(np + s->len, data, k);
    s->p = np;
    s->len += k;
    s->p[s->len] = '\0';
    return k;
}

static void copy_value(const char *line, size_t n, size_t name_len, char *dst, size_t cap)
{
    const char *v = line + name_len;
    size_t len = n - name_len;
    while (len > 0 && (*v == ' ' || *v == '\t')) {
        v++;
        len--;
    }
    while (len > 0 && (v[len - 1] == '\r' || v[len - 1] == '\n' || v[len - 1] == ' '))
        len--;
    if (len >= cap)
        len = cap - 1;
    memcpy(dst, v, len);
    dst[len] = '\0';
}

static size_t on_header(char *line, size_t size, size_t n, void *ud)
{
    hresp *h = ud;
    size_t len = size * n;
    static const struct { const char *name; size_t off, cap; } map[] = {
        {"mailbox-request-id:", offsetof(hresp, rid), 256},
        {"content-type:", offsetof(hresp, ctype), 128},
        {"retry-after:", offsetof(hresp, retry_after), 32},
        {"etag:", offsetof(hresp, etag), 64},
        {"content-security-policy:", offsetof(hresp, csp), 256},
        {"x-content-type-options:", offsetof(hresp, nosniff), 64},
        {"referrer-policy:", offsetof(hresp, referrer), 64},
        {"cache-control:", offsetof(hresp, cache), 64},
        {"allow:", offsetof(hresp, allow), 128},
    };
    if (strncmp(line, "HTTP/", 5) == 0) {       /* a new response (e.g. after 100) */
        memset(h->rid, 0, sizeof h->rid);
        h->has_rid = false;
    }
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
        size_t nl = strlen(map[i].name);
        if (len >= nl && strncasecmp(line, map[i].name, nl) == 0) {
            copy_value(line, len, nl, (char *)h + map[i].off, map[i].cap);
            if (i == 0)
                h->has_rid = true;
        }
    }
    return len;
}

void http_do(const relay_proc *r, const hreq *q, hresp *out)
{
    memset(out, 0, sizeof *out);
    char url[1024];
    if (strncmp(q->path, "http", 4) == 0)
        snprintf(url, sizeof url, "%s", q->path);
    else
        snprintf(url, sizeof url, "https://127.0.0.1:%u%s", r->port, q->path);
    CURL *c = curl_easy_init();
    struct curl_slist *h = NULL;
    char line[1024];
    if (q->rid != NULL) {
        snprintf(line, sizeof line, "Mailbox-Request-ID: %s", q->rid);
        h = curl_slist_append(h, line);
        th_remember(q->rid);
    }
    if (q->claim != NULL) {
        snprintf(line, sizeof line, "Mailbox-Device-Claim: %s", q->claim);
        h = curl_slist_append(h, line);
        if (q->claim[0] != '\0')
            th_remember(q->claim);
    }
    if (q->attest != NULL) {
        snprintf(line, sizeof line, "Mailbox-Device-Attestation: %s", q->attest);
        h = curl_slist_append(h, line);
    }
    h = curl_slist_append(h, "Expect:");
    if (q->body != NULL) {
        snprintf(line, sizeof line, "Content-Type: %s", q->ctype ? q->ctype : "application/json");
        h = curl_slist_append(h, line);
    }
    if (q->chunked)
        h = curl_slist_append(h, "Transfer-Encoding: chunked");
    for (int i = 0; i < 4 && q->extra[i] != NULL; i++)
        h = curl_slist_append(h, q->extra[i]);
    sink s = {0};
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CAINFO, g_certs.ca);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &s);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, out);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 90L * th_time_scale());
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    if (q->local_addr != NULL)
        curl_easy_setopt(c, CURLOPT_INTERFACE, q->local_addr);
    if (strcmp(q->method, "HEAD") == 0) {
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    } else {
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, q->method);
        if (q->body != NULL || strcmp(q->method, "POST") == 0 || strcmp(q->method, "PUT") == 0) {
            const char *b = q->body ? q->body : "";
            size_t bl = q->body_len ? q->body_len : strlen(b);
            curl_easy_setopt(c, CURLOPT_POSTFIELDS, b);
            curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)bl);
        }
    }
    out->curl_rc = (int)curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
    if (out->curl_rc != CURLE_OK) {     /* status 0; say why, for the failure it will cause */
        out->status = 0;
        fprintf(stderr, "http_do: %s %s: %s\n", q->method, q->path,
                curl_easy_strerror((CURLcode)out->curl_rc));
    }
    out->body = s.p;
    out->len = s.len;
    curl_easy_cleanup(c);
    curl_slist_free_all(h);
}

void hresp_free(hresp *h)
{
    free(h->body);
    h->body = NULL;
}

void th_uuid(char out[37])
{
    uuid_t u;
    uuid_generate_random(u);
    uuid_unparse_lower(u, out);
    th_remember(out);
}

void th_remember(const char *s)
{
    pthread_mutex_lock(&g_lock);
    char **n = realloc(g_secrets, (g_nsecrets + 1) * sizeof *n);
    if (n != NULL) {
        g_secrets = n;
        g_secrets[g_nsecrets] = strdup(s);
        if (g_secrets[g_nsecrets] != NULL)
            g_nsecrets++;
    }
    pthread_mutex_unlock(&g_lock);
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    size_t cap = 65536, n = 0;
    char *p = malloc(cap);
    size_t k;
    while (p != NULL && (k = fread(p + n, 1, cap - n, f)) > 0) {
        n += k;
        if (n == cap) {
            char *np = realloc(p, cap *= 2);
            if (np == NULL) {
                free(p);
                p = NULL;
            } else {
                p = np;
            }
        }
    }
    fclose(f);
    *len = n;
    return p;
}

static bool mem_contains(const char *hay, size_t n, const char *needle)
{
    size_t k = strlen(needle);
    if (k == 0 || k > n)
        return false;
    for (size_t i = 0; i + k <= n; i++)
        if (hay[i] == needle[0] && memcmp(hay + i, needle, k) == 0)
            return true;
    return false;
}

bool th_file_contains(const char *path, const char *needle)
{
    size_t n = 0;
    char *p = slurp(path, &n);
    bool found = p != NULL && mem_contains(p, n, needle);
    free(p);
    return found;
}

const char *th_file_leaks(const char *path)
{
    size_t n = 0;
    char *p = slurp(path, &n);
    const char *found = NULL;
    for (size_t i = 0; p != NULL && i < g_nsecrets && found == NULL; i++)
        if (strlen(g_secrets[i]) >= 4 && mem_contains(p, n, g_secrets[i]))
            found = g_secrets[i];
    free(p);
    return found;
}

void th_rfc3339(long secs, char out[32])
{
    time_t t = time(NULL) + secs;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

char *th_create_body(const char *type, const char *data, const char *title, const char *rights,
                     const char *expiration, const char *token_type, const char *token_data)
{
    char cfg[256] = "", tok[1200] = "";
    if (expiration != NULL) {
        if (rights != NULL)
            snprintf(cfg, sizeof cfg,
                     ",\"mailboxConfiguration\":{\"accessRights\":\"%s\",\"expiration\":\"%s\"}",
                     rights, expiration);
        else
            snprintf(cfg, sizeof cfg, ",\"mailboxConfiguration\":{\"expiration\":\"%s\"}",
                     expiration);
    }
    if (token_type != NULL)
        snprintf(tok, sizeof tok, ",\"notificationToken\":{\"type\":\"%s\",\"tokenData\":\"%s\"}",
                 token_type, token_data);
    size_t cap = strlen(data) + strlen(title) + strlen(type) + 2048;
    char *b = malloc(cap);
    if (b == NULL)
        return NULL;
    snprintf(b, cap,
             "{\"payload\":{\"type\":\"%s\",\"data\":\"%s\"},\"displayInformation\":{\"title\":"
             "\"%s\",\"description\":\"A key for room 12\",\"imageURL\":"
             "\"https://img.example.com/key.png\"}%s%s}",
             type, data, title, tok, cfg);
    return b;
}

long th_create(const relay_proc *r, const char *claim, const char *body, char id[37])
{
    char rid[37];
    th_uuid(rid);
    hreq q = {.method = "POST", .path = "/v1/m", .rid = rid, .claim = claim, .body = body};
    hresp h;
    http_do(r, &q, &h);
    if (id != NULL) {
        id[0] = '\0';
        const char *p = h.body ? strstr(h.body, "/v1/m/") : NULL;
        if (p != NULL && strlen(p) >= 6 + 36) {
            memcpy(id, p + 6, 36);
            id[36] = '\0';
            th_remember(id);
        }
    }
    long st = h.status;
    hresp_free(&h);
    return st;
}

long th_read(const relay_proc *r, const char *id, const char *claim, hresp *out)
{
    char path[128];
    snprintf(path, sizeof path, "/v1/m/%s", id);
    hreq q = {.method = "POST", .path = path, .claim = claim};
    hresp h;
    http_do(r, &q, &h);
    long st = h.status;
    if (out != NULL)
        *out = h;
    else
        hresp_free(&h);
    return st;
}

long th_update(const relay_proc *r, const char *id, const char *claim, const char *rid,
               const char *body)
{
    char path[128], rbuf[37];
    if (rid == NULL) {
        th_uuid(rbuf);
        rid = rbuf;
    }
    snprintf(path, sizeof path, "/v1/m/%s", id);
    hreq q = {.method = "PUT", .path = path, .rid = rid, .claim = claim, .body = body};
    hresp h;
    http_do(r, &q, &h);
    long st = h.status;
    hresp_free(&h);
    return st;
}

long th_metric(const relay_proc *r, const char *name)
{
    if (r->metrics_port == 0)
        return -1;
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%u/metrics", r->metrics_port);
    hreq q = {.method = "GET", .path = url};
    hresp h;
    http_do(r, &q, &h);
    long v = -1;
    size_t nl = strlen(name);
    for (const char *p = h.body; p != NULL && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
        if (strncmp(p, name, nl) == 0 && p[nl] == ' ') {
            v = strtol(p + nl + 1, NULL, 10);
            break;
        }
    hresp_free(&h);
    return v;
}
