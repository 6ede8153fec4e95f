/*
 * conformance/report.c: what a failing check says: the message, then the request and the
 * response that broke it (method, path, the protocol headers, status, headers of interest, a
 * body excerpt), with control and non-ASCII bytes escaped. The tool never holds a Secret (its
 * payload data is random bytes), so nothing here needs redacting.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conformance.h"

#define EXCERPT 300

void append_text(char **buf, size_t *len, const char *s)
{
    size_t n = strlen(s);
    char *p = realloc(*buf, *len + n + 1);
    if (p == NULL)
        return;
    memcpy(p + *len, s, n + 1);
    *buf = p;
    *len += n;
}

void append_escaped(char **buf, size_t *len, const char *src, size_t n, size_t max)
{
    char tmp[8];
    size_t shown = n < max ? n : max;
    for (size_t i = 0; i < shown; i++) {
        unsigned char ch = (unsigned char)src[i];
        if (ch == '\\') {
            append_text(buf, len, "\\\\");
        } else if (ch < 0x20 || ch >= 0x7f) {
            snprintf(tmp, sizeof tmp, "\\x%02x", ch);
            append_text(buf, len, tmp);
        } else {
            tmp[0] = (char)ch;
            tmp[1] = '\0';
            append_text(buf, len, tmp);
        }
    }
    if (shown < n) {
        snprintf(tmp, sizeof tmp, "...");
        append_text(buf, len, tmp);
        char more[64];
        snprintf(more, sizeof more, " (%zu bytes in all)", n);
        append_text(buf, len, more);
    }
}

__attribute__((format(printf, 2, 0)))
static void vappend(conf_ctx *c, const char *fmt, va_list ap)
{
    char line[1024];
    vsnprintf(line, sizeof line, fmt, ap);
    append_text(&c->detail, &c->detail_len, "    ");
    append_text(&c->detail, &c->detail_len, line);
    append_text(&c->detail, &c->detail_len, "\n");
}

void note(conf_ctx *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vappend(c, fmt, ap);
    va_end(ap);
}

static const char *const interesting[] = {
    "Content-Type", "Mailbox-Request-ID", "ETag", "Content-Security-Policy", "Retry-After",
    "Allow", "Location", NULL};

static void line_kv(conf_ctx *c, const char *prefix, const char *k, const char *v, size_t vlen)
{
    append_text(&c->detail, &c->detail_len, prefix);
    append_text(&c->detail, &c->detail_len, k);
    append_escaped(&c->detail, &c->detail_len, v, vlen, EXCERPT);
    append_text(&c->detail, &c->detail_len, "\n");
}

void fail_at(conf_ctx *c, const creq *q, const cresp *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vappend(c, fmt, ap);
    va_end(ap);
    c->failed = 1;
    if (q != NULL) {
        char l[700];
        snprintf(l, sizeof l, "%s %s", q->method, q->path);
        line_kv(c, "      > ", "", l, strlen(l));
        if (q->claim)
            line_kv(c, "      > ", "Mailbox-Device-Claim: ", q->claim, strlen(q->claim));
        if (q->rid)
            line_kv(c, "      > ", "Mailbox-Request-ID: ", q->rid, strlen(q->rid));
        for (int i = 0; i < 4 && q->extra[i] != NULL; i++)
            line_kv(c, "      > ", "", q->extra[i], strlen(q->extra[i]));
        if (q->body) {
            size_t n = q->body_len ? q->body_len : strlen(q->body);
            line_kv(c, "      > ", "body: ", q->body, n);
        }
    }
    if (r != NULL) {
        char l[300], v[400];
        if (r->status == 0)
            snprintf(l, sizeof l, "no HTTP answer: %s", r->err);
        else
            snprintf(l, sizeof l, "%ld (%.2f s)", r->status, r->elapsed);
        line_kv(c, "      < ", "", l, strlen(l));
        for (int i = 0; interesting[i] != NULL; i++) {
            if (cresp_header(r, interesting[i], v, sizeof v) == 0) {
                char k[64];
                snprintf(k, sizeof k, "%s: ", interesting[i]);
                line_kv(c, "      < ", k, v, strlen(v));
            }
        }
        if (r->body_len > 0)
            line_kv(c, "      < ", "body: ", r->body, r->body_len);
    }
}
