/*
 * relay/preview.c: the public preview page (ReadDisplayInformationFromMailbox,
 * docs/protocol.md D9).
 *
 * Messaging apps' link previewers fetch this page; people who open the link in a browser see it.
 * Everything that came from a client is HTML-escaped; the page contains no script, and server.c
 * adds a CSP that forbids script anyway. og:url is built from --public-url, never from the
 * request's Host header (a forged Host must not change what previews show).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "relay.h"

typedef struct sbuf {
    char *p;
    size_t len, cap;
    bool oom;
} sbuf;

static void sb_put(sbuf *b, const char *s, size_t n)
{
    if (b->oom)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 4096;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *np = realloc(b->p, cap);
        if (np == NULL) {
            b->oom = true;
            return;
        }
        b->p = np;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void sb_str(sbuf *b, const char *s)
{
    sb_put(b, s, strlen(s));
}

/* Bytes at s that must not reach the page as they are, 0 if none. Bidi controls (U+202A-202E,
 * U+2066-2069) would make a title read in another order than its characters ("Hotel
 * \u202Ecod.exe" shows as "Hotel exe.doc"), C0/C1 controls and DEL have no business in a
 * title; each becomes a visible U+FFFD so the reader sees that something was there. Tab, CR and
 * LF stay: HTML reads them as spaces, and a description may have lines. */
static size_t hidden_char_len(const unsigned char *s)
{
    if ((s[0] < 0x20 && s[0] != '\t' && s[0] != '\n' && s[0] != '\r') || s[0] == 0x7f)
        return 1;
    if (s[0] == 0xc2 && s[1] >= 0x80 && s[1] <= 0x9f)
        return 2;
    if (s[0] == 0xe2 && ((s[1] == 0x80 && s[2] >= 0xaa && s[2] <= 0xae) ||
                         (s[1] == 0x81 && s[2] >= 0xa6 && s[2] <= 0xa9)))
        return 3;
    return 0;
}

/* Escapes for both element text and double-quoted attribute values. */
static void sb_esc(sbuf *b, const char *s)
{
    for (; *s; s++) {
        size_t hidden = hidden_char_len((const unsigned char *)s);
        if (hidden > 0) {
            sb_str(b, "\xef\xbf\xbd"); /* U+FFFD in UTF-8, the page's charset: any reader gets it */
            s += hidden - 1;
            continue;
        }
        switch (*s) {
        case '&': sb_str(b, "&amp;"); break;
        case '<': sb_str(b, "&lt;"); break;
        case '>': sb_str(b, "&gt;"); break;
        case '"': sb_str(b, "&quot;"); break;
        case '\'': sb_str(b, "&#39;"); break;
        default: sb_put(b, s, 1);
        }
    }
}

static void meta(sbuf *b, const char *prop, const char *value)
{
    sb_str(b, "<meta property=\"");
    sb_str(b, prop);
    sb_str(b, "\" content=\"");
    sb_esc(b, value);
    sb_str(b, "\">\n");
}

static const char *member(const cJSON *o, const char *name)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsString(it) ? it->valuestring : "";
}

static const char style[] =
    "<style>body{font-family:system-ui,sans-serif;max-width:32em;margin:3em auto;padding:0 1em;"
    "color:#222}img{max-width:100%;height:auto;border-radius:8px}.exp{color:#555}"
    ".hint{margin-top:2em;padding:1em;background:#f3f3f3;border-radius:8px}</style>\n";

char *preview_render(const char *public_url, const char *id, const char *display_json,
                     int64_t expires_at, size_t *len)
{
    cJSON *d = cJSON_Parse(display_json != NULL ? display_json : "{}");
    const char *title = member(d, "title"), *desc = member(d, "description");
    const char *img = member(d, "imageURL");
    char url[1024], exp[21];
    snprintf(url, sizeof url, "%s/v1/m/%s", public_url, id);
    relay_format_rfc3339(expires_at, exp);
    /* Human-readable form of the same UTC instant: "2026-11-23 14:05 UTC". */
    char human[32];
    snprintf(human, sizeof human, "%.10s %.5s UTC", exp, exp + 11);

    sbuf b = {0};
    sb_str(&b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
               "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
               "<meta name=\"robots\" content=\"noindex, nofollow\">\n<title>");
    sb_esc(&b, title[0] ? title : "Shared credential");
    sb_str(&b, "</title>\n");
    meta(&b, "og:title", title[0] ? title : "Shared credential");
    meta(&b, "og:type", "website");
    meta(&b, "og:description", desc);
    meta(&b, "og:url", url);
    if (img[0] != '\0') {
        meta(&b, "og:image", img);
        /* The relay never fetches the image, so it states the common preview size. */
        meta(&b, "og:image:width", "1200");
        meta(&b, "og:image:height", "630");
    }
    sb_str(&b, style);
    sb_str(&b, "</head>\n<body>\n<h1>");
    sb_esc(&b, title[0] ? title : "Shared credential");
    sb_str(&b, "</h1>\n<p>");
    sb_esc(&b, desc);
    sb_str(&b, "</p>\n");
    if (img[0] != '\0') {
        sb_str(&b, "<p><img src=\"");
        sb_esc(&b, img);
        sb_str(&b, "\" alt=\"\"></p>\n");
    }
    sb_str(&b, "<p class=\"exp\">This share expires on <time datetime=\"");
    sb_str(&b, exp);
    sb_str(&b, "\">");
    sb_str(&b, human);
    sb_str(&b, "</time>.</p>\n<p class=\"hint\">To receive it, open this link on your phone, "
               "or open it in your wallet app. The credential itself is not shown on this "
               "page.</p>\n</body>\n</html>\n");
    cJSON_Delete(d);
    if (b.oom) {
        free(b.p);
        return NULL;
    }
    *len = b.len;
    return b.p;
}

char *preview_render_missing(size_t *len)
{
    static const char page[] =
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta name=\"robots\" content=\"noindex, nofollow\">\n<title>Link not available</title>\n"
        "</head>\n<body>\n<h1>Link not available</h1>\n<p>This share does not exist, has "
        "expired, or has already been received.</p>\n</body>\n</html>\n";
    char *p = malloc(sizeof page);
    if (p == NULL)
        return NULL;
    memcpy(p, page, sizeof page);
    *len = sizeof page - 1;
    return p;
}
