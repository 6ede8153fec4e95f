/*
 * conformance/http.c: the tester's HTTP client (libcurl). One request at a time per handle;
 * the main thread reuses one handle (and its connection), threads make their own.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "conformance.h"

#define MAX_BODY (4u << 20)     /* a relay answer larger than this is cut */

typedef struct {
    char *p;
    size_t n, cap;
} buf;

static int buf_add(buf *b, const char *s, size_t n)
{
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 1024;
        while (cap < b->n + n + 1)
            cap *= 2;
        char *np = realloc(b->p, cap);
        if (np == NULL)
            return -1;
        b->p = np;
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = '\0';
    return 0;
}

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *ud)
{
    buf *b = ud;
    size_t n = size * nmemb;
    if (b->n + n > MAX_BODY)
        return n;               /* keep the first MAX_BODY bytes, drain the rest */
    return buf_add(b, ptr, n) == 0 ? n : 0;
}

static size_t on_header(char *ptr, size_t size, size_t nmemb, void *ud)
{
    buf *b = ud;
    size_t n = size * nmemb;
    if (n >= 5 && strncmp(ptr, "HTTP/", 5) == 0)
        b->n = 0;               /* a new status line (after 100 Continue): start over */
    return buf_add(b, ptr, n) == 0 ? n : 0;
}

void http_global_init(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

void http_global_cleanup(void)
{
    curl_global_cleanup();
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void do_once(CURL *h, const conf_ctx *c, const creq *q, cresp *r)
{
    char url[1024];
    if (strncmp(q->path, "http://", 7) == 0 || strncmp(q->path, "https://", 8) == 0)
        snprintf(url, sizeof url, "%s", q->path);
    else
        snprintf(url, sizeof url, "%s%s", c->base, q->path);
    buf hb = {0}, bb = {0};
    struct curl_slist *hl = NULL;
    char line[512];
    size_t blen = q->body ? (q->body_len ? q->body_len : strlen(q->body)) : 0;

    curl_easy_reset(h);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)((q->timeout > 0 ? q->timeout : c->timeout) * 1000));
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)(c->timeout * 1000));
    if (c->ca_file != NULL)
        curl_easy_setopt(h, CURLOPT_CAINFO, c->ca_file);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &bb);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &hb);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "tigress-conformance/1");

    hl = curl_slist_append(hl, "Expect:");
    if (q->claim != NULL) {
        snprintf(line, sizeof line, "Mailbox-Device-Claim: %s", q->claim);
        hl = curl_slist_append(hl, line);
    }
    if (q->rid != NULL) {
        snprintf(line, sizeof line, "Mailbox-Request-ID: %s", q->rid);
        hl = curl_slist_append(hl, line);
    }
    for (int i = 0; i < 4 && q->extra[i] != NULL; i++)
        hl = curl_slist_append(hl, q->extra[i]);

    if (strcmp(q->method, "HEAD") == 0) {
        curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    } else if (strcmp(q->method, "GET") != 0) {
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, q->method);
        if (blen > 0 || strcmp(q->method, "POST") == 0 || strcmp(q->method, "PUT") == 0) {
            curl_easy_setopt(h, CURLOPT_POSTFIELDS, blen > 0 ? q->body : "");
            curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)blen);
        }
        hl = curl_slist_append(hl, blen > 0 ? "Content-Type: application/json" : "Content-Type:");
    }
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hl);

    double t0 = now_s();
    CURLcode rc = curl_easy_perform(h);
    r->elapsed = now_s() - t0;
    if (rc != CURLE_OK) {
        r->status = 0;
        snprintf(r->err, sizeof r->err, "%s", curl_easy_strerror(rc));
    } else {
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->status);
    }
    curl_slist_free_all(hl);
    r->headers = hb.p ? hb.p : calloc(1, 1);
    r->body = bb.p ? bb.p : calloc(1, 1);
    r->body_len = bb.n;
}

/* Retry-After of a 429, capped (0 when absent or not a 429). */
static int retry_wait(const cresp *r)
{
    char v[32];
    if (r->status != 429 || cresp_header(r, "Retry-After", v, sizeof v) != 0)
        return 0;
    int s = atoi(v);
    return s < 1 ? 1 : s > 5 ? 5 : s;
}

static void do_with_retry(CURL *h, const conf_ctx *c, const creq *q, cresp *r)
{
    for (int attempt = 0;; attempt++) {
        memset(r, 0, sizeof *r);
        do_once(h, c, q, r);
        int w = retry_wait(r);
        /* a 429 is decided before the route: nothing was processed, the same request again */
        if (w == 0 || attempt >= 3 || (q->body_len > 65536))
            return;
        cresp_free(r);
        sleep((unsigned)w);
    }
}

void http_do(conf_ctx *c, const creq *q, cresp *r)
{
    if (c->curl == NULL)
        c->curl = curl_easy_init();
    do_with_retry(c->curl, c, q, r);
}

void http_do_thread(const conf_ctx *c, const creq *q, cresp *r)
{
    CURL *h = curl_easy_init();
    do_with_retry(h, c, q, r);
    curl_easy_cleanup(h);
}

void cresp_free(cresp *r)
{
    free(r->headers);
    free(r->body);
    r->headers = r->body = NULL;
}

int cresp_header(const cresp *r, const char *name, char *out, size_t cap)
{
    size_t nl = strlen(name);
    const char *p = r->headers;
    while (p != NULL && *p != '\0') {
        const char *eol = strchr(p, '\n');
        size_t len = eol ? (size_t)(eol - p) : strlen(p);
        if (len > nl && strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
            const char *v = p + nl + 1;
            while (v < p + len && (*v == ' ' || *v == '\t'))
                v++;
            size_t vl = (size_t)(p + len - v);
            while (vl > 0 && isspace((unsigned char)v[vl - 1]))
                vl--;
            if (out != NULL && cap > 0) {
                if (vl >= cap)
                    vl = cap - 1;
                memcpy(out, v, vl);
                out[vl] = '\0';
            }
            return 0;
        }
        p = eol ? eol + 1 : NULL;
    }
    return -1;
}
