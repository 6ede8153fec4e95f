/*
 * Fuzz target: the relay's request handling, in process. routes_handle() (relay/routes.c) is the
 * relay's entry point below libmicrohttpd: it takes a parsed request (method, path, protocol
 * headers, body) and fills a response. This target feeds it a short sequence of requests against
 * a fresh in-memory SQLite store, so a create can be followed by reads, updates, relinquish,
 * delete and previews of the mailbox it made.
 *
 * Input: up to 8 requests separated by a line "===". Each request is
 *     METHOD PATH
 *     Header-Name: value        (Mailbox-Request-ID, Mailbox-Device-Claim,
 *     ...                        Mailbox-Device-Attestation, Content-Type, If-None-Match, Prefer)
 *     <empty line>
 *     body bytes
 * "{id}" in PATH becomes the mailbox ID of the last successful create, and "{exp}" in the
 * body an expiration one hour from now (the relay refuses past ones and ones over 7 days
 * ahead, so a fixed date in a seed would stop working within a week).
 *
 * Oracles, beyond ASan/UBSan/valgrind: every status is 100..599; a JSON response body parses as
 * JSON; an HTML body (the preview page) never contains "<script" in any case (R31).
 */
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <sodium.h>

#include "fuzz.h"
#include "relay.h"

#define MAX_REQUESTS 8
#define MAX_LINE 512

typedef struct parsed {
    char method[16];
    char path[MAX_LINE];
    char *headers[6]; /* in the order of header_names; NULL when absent */
    char *body;       /* NUL-terminated, as the server hands it over */
    size_t body_len;
} parsed;

static const char *const header_names[6] = { "Mailbox-Request-ID", "Mailbox-Device-Claim",
                                             "Mailbox-Device-Attestation", "Content-Type",
                                             "If-None-Match", "Prefer" };

static relay_config g_config;

static void init_once(void)
{
    static bool done;

    if (done)
        return;
    if (sodium_init() < 0)
        abort();
    relay_log_init(LOG_ERROR); /* quiet: the fuzzer's output is its own */
    g_config.public_url = (char *)"https://relay.test";
    g_config.max_body = 64 * 1024;
    g_config.max_expiry = 7L * 24 * 3600;
    g_config.default_expiry = 24L * 3600;
    g_config.attestation = RELAY_ATTEST_NONE;
    g_config.max_wait = 60;
    g_config.log_level = LOG_ERROR;
    done = true;
}

static char *dup_range(const char *s, size_t n)
{
    char *p = malloc(n + 1);

    if (p == NULL)
        abort();
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

/* Replaces the first "{exp}" in the body with an RFC 3339 time one hour from now. */
static void substitute_exp(parsed *p)
{
    char *hole = p->body_len >= 5 ? strstr(p->body, "{exp}") : NULL;
    char when[21], *nb;
    size_t before, n;

    if (hole == NULL)
        return;
    relay_format_rfc3339((int64_t)time(NULL) + 3600, when);
    before = (size_t)(hole - p->body);
    n = p->body_len - 5 + 20;
    nb = malloc(n + 1);
    if (nb == NULL)
        abort();
    memcpy(nb, p->body, before);
    memcpy(nb + before, when, 20);
    memcpy(nb + before + 20, hole + 5, p->body_len - before - 5);
    nb[n] = '\0';
    free(p->body);
    p->body = nb;
    p->body_len = n;
}

/* Parses one request out of [s, s+n). MHD never hands over a value with NUL, CR or LF, nor
 * with surrounding spaces: values are cut to that shape. Returns false when there is no
 * request line. */
static bool parse_request(const char *s, size_t n, const char *last_id, parsed *p)
{
    const char *end = s + n, *line = s, *nl, *sp;
    char first[MAX_LINE];
    size_t len;

    memset(p, 0, sizeof(*p));
    nl = memchr(line, '\n', (size_t)(end - line));
    len = (size_t)((nl != NULL ? nl : end) - line);
    if (len == 0 || len >= sizeof(first))
        return false;
    memcpy(first, line, len);
    first[len] = '\0';
    if (strlen(first) != len)
        return false; /* NUL inside the request line */
    sp = strchr(first, ' ');
    if (sp == NULL || (size_t)(sp - first) >= sizeof(p->method) || sp == first)
        return false;
    memcpy(p->method, first, (size_t)(sp - first));
    {   /* the path, with {id} replaced */
        const char *src = sp + 1, *hole = strstr(src, "{id}");
        if (hole != NULL && last_id[0] != '\0')
            snprintf(p->path, sizeof(p->path), "%.*s%s%s", (int)(hole - src), src, last_id,
                     hole + 4);
        else
            snprintf(p->path, sizeof(p->path), "%s", src);
        p->path[strcspn(p->path, "\r")] = '\0';
    }
    line = nl != NULL ? nl + 1 : end;
    while (line < end) { /* headers until an empty line */
        const char *colon;
        nl = memchr(line, '\n', (size_t)(end - line));
        len = (size_t)((nl != NULL ? nl : end) - line);
        if (len > 0 && line[len - 1] == '\r')
            len--;
        if (len == 0) {
            line = nl != NULL ? nl + 1 : end;
            break;
        }
        colon = memchr(line, ':', len);
        if (colon != NULL && memchr(line, '\0', len) == NULL) {
            size_t name_len = (size_t)(colon - line);
            const char *v = colon + 1, *v_end = line + len;
            while (v < v_end && *v == ' ')
                v++;
            while (v_end > v && v_end[-1] == ' ')
                v_end--;
            for (size_t i = 0; i < 6; i++)
                if (strlen(header_names[i]) == name_len &&
                    strncasecmp(line, header_names[i], name_len) == 0 && p->headers[i] == NULL)
                    p->headers[i] = dup_range(v, (size_t)(v_end - v));
        }
        line = nl != NULL ? nl + 1 : end;
    }
    p->body_len = (size_t)(end - line);
    if (p->body_len > g_config.max_body)
        p->body_len = g_config.max_body; /* the server answers 413 before routing */
    p->body = dup_range(line < end ? line : "", p->body_len);
    substitute_exp(p);
    return true;
}

static void parsed_free(parsed *p)
{
    for (size_t i = 0; i < 6; i++)
        free(p->headers[i]);
    free(p->body);
}

static bool contains_ci(const char *hay, size_t n, const char *needle)
{
    size_t m = strlen(needle);

    for (size_t i = 0; i + m <= n; i++)
        if (strncasecmp(hay + i, needle, m) == 0)
            return true;
    return false;
}

static void check_response(const relay_response *rs)
{
    if (rs->status < 100 || rs->status > 599)
        abort();
    if (rs->body_len > 0 && rs->body == NULL)
        abort();
    if (rs->body == NULL || rs->content_type == NULL)
        return;
    if (strncmp(rs->content_type, "application/json", 16) == 0) {
        cJSON *j = cJSON_ParseWithLength(rs->body, rs->body_len);
        if (j == NULL)
            abort(); /* the relay produced invalid JSON */
        cJSON_Delete(j);
    } else if (strncmp(rs->content_type, "text/html", 9) == 0) {
        if (contains_ci(rs->body, rs->body_len, "<script"))
            abort(); /* R31: the preview never carries script */
    }
}

/* Remembers the mailbox ID from a create's urlLink ".../v1/m/{id}". */
static void note_id(const relay_response *rs, char last_id[37])
{
    const char *p;
    char id[37];

    if ((rs->status != 200 && rs->status != 201) || rs->body == NULL)
        return;
    p = strstr(rs->body, "/v1/m/");
    if (p == NULL || strlen(p + 6) < 36)
        return;
    memcpy(id, p + 6, 36);
    id[36] = '\0';
    if (relay_is_uuid(id))
        memcpy(last_id, id, 37);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data, *end = s + size;
    store_config sc = {.location = ":memory:", .busy_timeout_ms = 1000};
    char err[256], last_id[37] = "";
    store *st;
    int count = 0;

    init_once();
    st = store_open(&sc, err, sizeof(err));
    if (st == NULL) {
        fprintf(stderr, "fuzz_relay_request: store_open: %s\n", err);
        abort();
    }
    routes_init(&g_config, st);
    while (s < end && count < MAX_REQUESTS) {
        const char *sep = NULL;
        for (const char *q = s; q + 5 <= end; q++)
            if (memcmp(q, "\n===\n", 5) == 0) {
                sep = q;
                break;
            }
        size_t n = (size_t)((sep != NULL ? sep : end) - s);
        parsed p;
        if (parse_request(s, n, last_id, &p)) {
            relay_request rq;
            relay_response rs;
            memset(&rq, 0, sizeof(rq));
            memset(&rs, 0, sizeof(rs));
            rq.method = p.method;
            rq.url = p.path;
            rq.request_id = p.headers[0];
            rq.claim = p.headers[1];
            rq.attestation = p.headers[2];
            rq.content_type = p.headers[3];
            rq.if_none_match = p.headers[4];
            rq.prefer = p.headers[5];
            rq.body = p.body;
            rq.body_len = p.body_len;
            /* A long-poll suspends a live libmicrohttpd connection; in process there is none,
             * so every request is its own second pass (the relay then answers 304 at once). */
            rq.resumed = true;
            routes_handle(&rq, &rs);
            if (rs.suspended)
                abort();
            if (getenv("FUZZ_RELAY_TRACE") != NULL) /* for writing seeds: what each one does */
                fprintf(stderr, "%s %s -> %u %.*s\n", rq.method, rq.url, rs.status,
                        rs.body != NULL && rs.content_type != NULL &&
                                strncmp(rs.content_type, "application/json", 16) == 0
                            ? (int)rs.body_len : 0,
                        rs.body != NULL ? rs.body : "");
            check_response(&rs);
            note_id(&rs, last_id);
            free(rs.body);
        }
        parsed_free(&p);
        count++;
        s = sep != NULL ? sep + 5 : end;
    }
    store_close(st);
    return 0;
}
