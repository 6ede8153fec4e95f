/*
 * conformance/checks_preview.c: the preview page, content types, optional Request-ID, the
 * push flag and the long-poll extension (R29-R31, R39-R41, X-longpoll, X-preview-escaping,
 * X-push-advertised).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "checks.h"

#define DONE(c) return (c)->failed ? RES_FAIL : RES_PASS

/* Creates a mailbox with the given display strings; 0 on success. */
static int mb_display(conf_ctx *c, const char *title, const char *desc, char claim[37],
                      char id[64])
{
    char exp[32];
    rfc3339_in(3600, exp);
    new_uuid(claim);
    char *b = create_body(NULL, "AAECAwQF", title, desc, "RWD", exp, NULL);
    cresp r;
    long st = mb_create(c, claim, NULL, b, id, &r);
    free(b);
    if (st != 200)
        fail_at(c, &last_q, &r, "Create: expected 200, got %ld", st);
    cresp_free(&r);
    return st == 200 ? 0 : -1;
}

static const char *strcasestr_(const char *h, const char *n)
{
    size_t nl = strlen(n);
    for (; *h; h++)
        if (strncasecmp(h, n, nl) == 0)
            return h;
    return NULL;
}

/* GET preview into r; 1 when 200 text/html. */
static int preview(conf_ctx *c, const char *id, cresp *r)
{
    long st = mb_op(c, "GET", id, NULL, NULL, NULL, r);
    char ct[200] = "";
    cresp_header(r, "Content-Type", ct, sizeof ct);
    if (st != 200) {
        fail_at(c, &last_q, r, "preview: expected 200, got %ld", st);
        return 0;
    }
    if (strncasecmp(ct, "text/html", 9) != 0) {
        fail_at(c, &last_q, r, "preview: Content-Type is not text/html");
        return 0;
    }
    return 1;
}

int check_R29(conf_ctx *c)
{
    char claim[37], id[64], title[80], rec[37];
    snprintf(title, sizeof title, "Conformance preview %08x", (unsigned)rand());
    if (mb_display(c, title, "Open it on your phone", claim, id) != 0)
        DONE(c);
    cresp r;
    if (preview(c, id, &r)) {
        static const char *const tags[] = {"og:title", "og:description", "og:url", "og:type",
                                           NULL};
        for (int i = 0; tags[i] != NULL && !c->failed; i++)
            if (strstr(r.body, tags[i]) == NULL)
                fail_at(c, &last_q, &r, "the page has no %s", tags[i]);
        if (!c->failed && strstr(r.body, title) == NULL)
            fail_at(c, &last_q, &r, "the page does not show the title \"%s\"", title);
        if (!c->failed && strstr(r.body, "Open it on your phone") == NULL)
            fail_at(c, &last_q, &r, "the page does not show the description");
    }
    cresp_free(&r);
    /* no claim needed, and the preview never binds: a reader still binds afterwards */
    new_uuid(rec);
    if (!c->failed)
        expect_op(c, "first secure read after previews (a preview must not bind)", 200, "POST",
                  id, rec, NULL, NULL);
    DONE(c);
}

int check_R30(conf_ctx *c)
{
    char unknown[37];
    new_uuid(unknown);
    expect_op(c, "preview of an unknown id", 404, "GET", unknown, NULL, NULL, NULL);
    expect_op(c, "preview of a malformed id", 404, "GET", "not-a-mailbox", NULL, NULL, NULL);
    DONE(c);
}

int check_R31(conf_ctx *c)
{
    char claim[37], id[64];
    if (mb_display(c, "<script>alert(1)</script>", "</title><script src=https://x.example/a.js>"
                   "</script>", claim, id) != 0)
        DONE(c);
    cresp r;
    if (preview(c, id, &r)) {
        char csp[400] = "";
        const char *sc = strcasestr_(r.body, "<script");
        if (sc != NULL)
            fail_at(c, &last_q, &r, "the page holds a <script> element (at byte %ld)",
                    (long)(sc - r.body));
        else if (strcasestr_(r.body, "javascript:") != NULL ||
                 strcasestr_(r.body, " onerror=") != NULL || strcasestr_(r.body, " onload=") != NULL)
            fail_at(c, &last_q, &r, "the page holds a script URL or event handler");
        else if (cresp_header(&r, "Content-Security-Policy", csp, sizeof csp) != 0)
            fail_at(c, &last_q, &r, "no Content-Security-Policy header");
        else if (strstr(csp, "default-src 'none'") == NULL && strstr(csp, "script-src 'none'") == NULL)
            fail_at(c, &last_q, &r, "the Content-Security-Policy does not forbid scripts");
        else if (strstr(csp, "script-src") != NULL && strstr(csp, "script-src 'none'") == NULL)
            fail_at(c, &last_q, &r, "the Content-Security-Policy allows some script source");
    }
    cresp_free(&r);
    DONE(c);
}

int check_X_preview_escaping(conf_ctx *c)
{
    char claim[37], id[64];
    const char *title = "Tom & Jerry's <b>\"key\"</b>";
    if (mb_display(c, title, "zq7\"><img src=x>'", claim, id) != 0)
        DONE(c);
    cresp r;
    if (preview(c, id, &r)) {
        char v[400];
        if (strstr(r.body, "<b>") != NULL || strstr(r.body, "<img") != NULL)
            fail_at(c, &last_q, &r, "a display string appears unescaped (raw <b> or <img)");
        else if (strstr(r.body, "\"key\"") != NULL || strstr(r.body, "zq7\"") != NULL)
            fail_at(c, &last_q, &r, "a double quote from a display string appears unescaped");
        else if (strstr(r.body, "Jerry's") != NULL)
            fail_at(c, &last_q, &r, "a single quote from a display string appears unescaped");
        else if (strstr(r.body, "Tom & ") != NULL)
            fail_at(c, &last_q, &r, "an ampersand from a display string appears unescaped");
        else if (strstr(r.body, "&lt;b&gt;") == NULL)
            fail_at(c, &last_q, &r, "the escaped title (&lt;b&gt;) is not on the page");
        else if (cresp_header(&r, "X-Content-Type-Options", v, sizeof v) != 0 ||
                 strcasecmp(v, "nosniff") != 0)
            fail_at(c, &last_q, &r, "no X-Content-Type-Options: nosniff");
        else if (cresp_header(&r, "Referrer-Policy", v, sizeof v) != 0 ||
                 strcasecmp(v, "no-referrer") != 0)
            fail_at(c, &last_q, &r, "no Referrer-Policy: no-referrer");
        else if (cresp_header(&r, "Content-Security-Policy", v, sizeof v) != 0 ||
                 strstr(v, "default-src 'none'") == NULL)
            fail_at(c, &last_q, &r, "no Content-Security-Policy with default-src 'none'");
    }
    cresp_free(&r);
    DONE(c);
}

/* Whether s[0..n) is valid UTF-8 (no overlongs, no surrogates). */
static int valid_utf8(const unsigned char *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        unsigned ch = s[i];
        size_t k;
        if (ch < 0x80) {
            i++;
            continue;
        }
        if ((ch & 0xe0) == 0xc0)
            k = 1;
        else if ((ch & 0xf0) == 0xe0)
            k = 2;
        else if ((ch & 0xf8) == 0xf0)
            k = 3;
        else
            return 0;
        if (i + k >= n)
            return 0;
        if (k == 1 && ch < 0xc2)
            return 0;
        for (size_t j = 1; j <= k; j++)
            if ((s[i + j] & 0xc0) != 0x80)
                return 0;
        if (k == 2 && ((ch == 0xe0 && s[i + 1] < 0xa0) || (ch == 0xed && s[i + 1] >= 0xa0)))
            return 0;
        if (k == 3 && ((ch == 0xf0 && s[i + 1] < 0x90) || ch > 0xf4))
            return 0;
        i += k + 1;
    }
    return 1;
}

static void want_type(conf_ctx *c, const char *what, const cresp *r, const char *type,
                      int need_utf8_charset)
{
    char ct[200] = "";
    if (cresp_header(r, "Content-Type", ct, sizeof ct) != 0 ||
        strncasecmp(ct, type, strlen(type)) != 0)
        fail_at(c, &last_q, r, "%s: Content-Type is not %s", what, type);
    else if (need_utf8_charset && strcasestr_(ct, "charset=utf-8") == NULL)
        fail_at(c, &last_q, r, "%s: Content-Type does not say charset=utf-8", what);
    else if (!valid_utf8((const unsigned char *)r->body, r->body_len))
        fail_at(c, &last_q, r, "%s: the body is not valid UTF-8", what);
}

int check_R40(conf_ctx *c)
{
    char claim[37], id[64], unknown[37];
    const char *title = "Schl\xc3\xbcssel \xe2\x9c\x93 \xf0\x9f\x94\x91";
    if (mb_display(c, title, "Zimmer 12", claim, id) != 0)
        DONE(c);
    new_uuid(unknown);
    cresp r;
    mb_op(c, "POST", id, claim, NULL, NULL, &r);
    want_type(c, "secure read (200)", &r, "application/json", 0);
    if (!c->failed && strstr(r.body, title) == NULL && strstr(r.body, "\\u") == NULL)
        fail_at(c, &last_q, &r, "the UTF-8 title does not come back");
    cresp_free(&r);
    mb_op(c, "POST", unknown, claim, NULL, NULL, &r);
    want_type(c, "read of an unknown mailbox (404)", &r, "application/json", 0);
    cresp_free(&r);
    mb_create(c, claim, NULL, "{", NULL, &r);
    want_type(c, "Create with a bad body (400)", &r, "application/json", 0);
    cresp_free(&r);
    mb_op(c, "GET", id, NULL, NULL, NULL, &r);
    want_type(c, "preview (200)", &r, "text/html", 1);
    if (!c->failed && strstr(r.body, title) == NULL)
        fail_at(c, &last_q, &r, "the preview does not show the UTF-8 title as UTF-8");
    cresp_free(&r);
    DONE(c);
}

int check_R41(conf_ctx *c)
{
    char claim[37], id[64], rec[37];
    if (mb_new(c, "RD", claim, id) != 0)
        DONE(c);
    new_uuid(rec);
    cresp r;
    long st = mb_op(c, "GET", id, NULL, NULL, NULL, &r);
    if (st != 200)
        fail_at(c, &last_q, &r, "preview without Mailbox-Request-ID: expected 200, got %ld", st);
    cresp_free(&r);
    st = mb_op(c, "POST", id, rec, NULL, NULL, &r);
    if (st != 200)
        fail_at(c, &last_q, &r, "secure read without Mailbox-Request-ID: expected 200, got %ld",
                st);
    cresp_free(&r);
    DONE(c);
}

/* isPushNotificationSupported of r's JSON body: 0 false, 1 true, -1 missing or not boolean */
static int push_flag(const cresp *r)
{
    cJSON *j = cJSON_ParseWithLength(r->body, r->body_len);
    cJSON *f = cJSON_GetObjectItemCaseSensitive(j, "isPushNotificationSupported");
    int v = cJSON_IsBool(f) ? cJSON_IsTrue(f) : -1;
    cJSON_Delete(j);
    return v;
}

int check_R39(conf_ctx *c)
{
    char claim[37], id[64], exp[32];
    new_uuid(claim);
    rfc3339_in(3600, exp);
    char *b = create_body(NULL, "AAAA", NULL, NULL, "RWD", exp, NULL);
    cresp r;
    long st = mb_create(c, claim, NULL, b, id, &r);
    if (st != 200)
        fail_at(c, &last_q, &r, "Create without a token: expected 200, got %ld", st);
    else if (push_flag(&r) != 0)
        fail_at(c, &last_q, &r, "Create without a token: isPushNotificationSupported is not false");
    cresp_free(&r);
    free(b);
    if (c->failed)
        DONE(c);
    b = create_body(NULL, "AAAA", NULL, NULL, "RWD", exp,
                    ",\"notificationToken\":{\"type\":\"x-conformance-no-such-backend\","
                    "\"tokenData\":\"opaque\"}");
    new_uuid(claim);
    st = mb_create(c, claim, NULL, b, id, &r);
    if (st != 200)
        fail_at(c, &last_q, &r, "Create with a token of an unknown type: expected 200, got %ld",
                st);
    else if (push_flag(&r) != 0)
        fail_at(c, &last_q, &r, "a token type without a backend: isPushNotificationSupported is "
                "not false");
    cresp_free(&r);
    free(b);
    DONE(c);
}

int check_X_push_advertised(conf_ctx *c)
{
    char claim[37], id[64], exp[32];
    new_uuid(claim);
    rfc3339_in(3600, exp);
    char *b = create_body(NULL, "AAAA", NULL, NULL, "RWD", exp,
                          ",\"notificationToken\":{\"type\":\"webpush\","
                          "\"tokenData\":\"https://push.example.com/conformance\"}");
    cresp r;
    long st = mb_create(c, claim, NULL, b, id, &r);
    free(b);
    if (st != 200)
        fail_at(c, &last_q, &r, "Create with a webpush token: expected 200, got %ld", st);
    else if (push_flag(&r) < 0)
        fail_at(c, &last_q, &r, "isPushNotificationSupported is not a boolean");
    cresp_free(&r);
    if (c->failed)
        DONE(c);
    st = mb_op(c, "PUT", id, claim, "",
               "{\"payload\":{\"type\":\"XSALSA20_POLY1305\",\"data\":\"AQ==\"}}", &r);
    if (st != 200)
        fail_at(c, &last_q, &r, "Update: expected 200, got %ld", st);
    else if (push_flag(&r) < 0)
        fail_at(c, &last_q, &r, "the Update's isPushNotificationSupported is not a boolean");
    cresp_free(&r);
    DONE(c);
}

/* A read with If-None-Match (and Prefer when wait > 0). */
static long cond_read(conf_ctx *c, const char *id, const char *claim, const char *etag,
                      int wait, cresp *r)
{
    char path[128], inm[100], pref[40];
    snprintf(path, sizeof path, "/v1/m/%s", id);
    snprintf(inm, sizeof inm, "If-None-Match: %s", etag);
    snprintf(pref, sizeof pref, "Prefer: wait=%d", wait);
    creq q = {.method = "POST", .path = path, .claim = claim,
              .extra = {inm, wait > 0 ? pref : NULL}, .timeout = c->timeout + wait};
    http_do(c, &q, r);
    remember_request(&q);
    return r->status;
}

int check_X_longpoll(conf_ctx *c)
{
    char ini[37], id[64], etag[64] = "", etag2[64] = "";
    if (mb_new(c, "RWD", ini, id) != 0)
        DONE(c);
    cresp r;
    long st = mb_op(c, "POST", id, ini, NULL, NULL, &r);
    if (st != 200 || cresp_header(&r, "ETag", etag, sizeof etag) != 0 || etag[0] == '\0')
        fail_at(c, &last_q, &r, "a 200 secure read has no ETag");
    cresp_free(&r);
    if (c->failed)
        DONE(c);
    st = cond_read(c, id, ini, etag, 0, &r);
    if (st != 304)
        fail_at(c, &last_q, &r, "If-None-Match with the current ETag: expected 304, got %ld", st);
    else if (r.body_len != 0)
        fail_at(c, &last_q, &r, "the 304 has a body");
    cresp_free(&r);
    if (c->failed)
        DONE(c);
    st = cond_read(c, id, ini, etag, 1, &r);
    if (st != 304)
        fail_at(c, &last_q, &r, "Prefer: wait=1 without a change: expected 304, got %ld", st);
    else if (r.elapsed < 0.7)
        fail_at(c, &last_q, &r, "Prefer: wait=1 answered after %.2f s: the read was not held",
                r.elapsed);
    cresp_free(&r);
    if (c->failed)
        DONE(c);
    expect_op(c, "Update", 200, "PUT", id, ini,
              "{\"payload\":{\"type\":\"XSALSA20_POLY1305\",\"data\":\"AQ==\"}}", NULL);
    st = cond_read(c, id, ini, etag, 0, &r);
    cresp_header(&r, "ETag", etag2, sizeof etag2);
    if (st != 200)
        fail_at(c, &last_q, &r, "If-None-Match with the old ETag after an Update: expected 200, "
                "got %ld", st);
    else if (strcmp(etag, etag2) == 0)
        fail_at(c, &last_q, &r, "the ETag did not change with the Update");
    cresp_free(&r);
    DONE(c);
}
