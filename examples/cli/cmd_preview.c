/* `tigress preview URL`: what a messaging app's link previewer sees. Fetches the relay's public
 * HTML page (GET /v1/m/ID, which never binds) and prints its OpenGraph tags. The fragment (the
 * Secret) is dropped before the request, as the library does for its own requests. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#define PAGE_MAX (256 * 1024)

typedef struct page {
    char *data;
    size_t len;
} page;

static size_t on_body(char *ptr, size_t size, size_t n, void *user)
{
    page *p = user;
    size_t add = size * n;
    if (p->len + add > PAGE_MAX)
        return 0;
    char *grown = realloc(p->data, p->len + add + 1);
    if (grown == NULL)
        return 0;
    memcpy(grown + p->len, ptr, add);
    p->data = grown;
    p->len += add;
    p->data[p->len] = '\0';
    return add;
}

/* Decode the few entities an HTML-escaping relay produces, in place. */
static void html_unescape(char *s)
{
    static const struct { const char *ent; char c; } ents[] = {
        {"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&#39;", '\''},
        {"&#x27;", '\''}, {"&#34;", '"'}, {"&#x2F;", '/'}, {"&#47;", '/'}};
    char *w = s;
    for (const char *r = s; *r;) {
        size_t i, n = sizeof ents / sizeof ents[0];
        for (i = 0; i < n; i++)
            if (strncmp(r, ents[i].ent, strlen(ents[i].ent)) == 0)
                break;
        if (i < n) {
            *w++ = ents[i].c;
            r += strlen(ents[i].ent);
        } else {
            *w++ = *r++;
        }
    }
    *w = '\0';
}

/* The content="..." of the <meta> tag naming property (e.g. "og:title"), or NULL. malloc'd. */
static char *meta_content(const char *html, const char *property)
{
    char needle[64];
    snprintf(needle, sizeof needle, "\"%s\"", property);
    const char *hit = strstr(html, needle);
    if (hit == NULL)
        return NULL;
    const char *start = hit, *end = strchr(hit, '>');
    while (start > html && *start != '<')
        start--;
    if (end == NULL)
        return NULL;
    for (const char *c = start; c + 9 < end; c++) {
        if (strncmp(c, "content=\"", 9) == 0) {
            const char *v = c + 9, *q = memchr(v, '"', (size_t)(end - v));
            if (q == NULL)
                return NULL;
            char *out = malloc((size_t)(q - v) + 1);
            if (out) {
                memcpy(out, v, (size_t)(q - v));
                out[q - v] = '\0';
                html_unescape(out);
            }
            return out;
        }
    }
    return NULL;
}

static int fetch(cli_ctx *ctx, const char *url, page *body, long *status)
{
    CURL *curl = curl_easy_init();
    if (curl == NULL)
        return cli_fail(ctx, CLI_EXIT_OTHER, "cannot initialise libcurl");
    /* --ca-file, else the one a --state file remembers */
    const char *ca = ctx->meta.ca_file[0] ? ctx->meta.ca_file : ctx->args.val[OPT_CA_FILE];
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, body);
    curl_easy_setopt(curl, CURLOPT_USERAGENT, "tigress-cli/" TIGRESS_VERSION_STRING);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, 30L);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "https,http");
    if (ca)
        curl_easy_setopt(curl, CURLOPT_CAINFO, ca);
    CURLcode cc = curl_easy_perform(curl);
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, status);
    curl_easy_cleanup(curl);
    if (cc == CURLE_OK)
        return 0;
    int tls = cc == CURLE_PEER_FAILED_VERIFICATION || cc == CURLE_SSL_CONNECT_ERROR ||
              cc == CURLE_SSL_CACERT_BADFILE;
    return cli_fail(ctx, CLI_EXIT_NETWORK, "cannot fetch the preview: %s%s", curl_easy_strerror(cc),
                    tls ? " (pass --ca-file with the relay's CA certificate)" : "");
}

/* The URL to preview: the argument (URL, @FILE or @-, taken as redeem takes it: a URL in argv
 * has its #fragment blanked there at once; *owned then holds the copy), or the URL (never with
 * the Secret) of the transfer in --state, whose CA file and loopback setting then apply too. */
static int preview_url(cli_ctx *ctx, const char **url, char **owned)
{
    if ((ctx->args.npos == 0) == (ctx->state_path == NULL))
        return cli_fail(ctx, CLI_EXIT_USAGE, "give either a Share URL or --state FILE "
                        "(see `tigress preview --help`)");
    if (ctx->state_path == NULL) {
        int rc = cli_take_url(ctx, owned);
        if (rc == 0)
            *url = *owned;
        return rc;
    }
    int rc = cli_state_load(ctx);
    if (rc == 0)
        *url = tigress_transfer_url(ctx->transfer);
    return rc;
}

int cli_cmd_preview(cli_ctx *ctx)
{
    tigress_share_url *su = NULL;
    const char *url = NULL;
    char *owned = NULL;
    int rc = preview_url(ctx, &url, &owned);
    if (rc != 0)
        return rc;
    unsigned flags = ctx->args.set[OPT_INSECURE_LOOPBACK] || ctx->meta.insecure_loopback
                         ? TIGRESS_URL_ALLOW_INSECURE_LOOPBACK : 0;
    tigress_status st = tigress_share_url_parse(&su, url, flags);
    cli_secure_free(owned); /* the parsed URL is all that is needed from here on */
    if (st != TIGRESS_OK)
        return cli_fail_status(ctx, st, "reading the URL");
    page body = {NULL, 0};
    long status = 0;
    rc = fetch(ctx, tigress_share_url_mailbox_url(su), &body, &status);
    if (rc == 0 && status == 404)
        rc = cli_fail(ctx, CLI_EXIT_GONE, "no such mailbox: it was completed, revoked, or it "
                      "expired (HTTP 404)");
    else if (rc == 0 && status != 200)
        rc = cli_fail(ctx, CLI_EXIT_REFUSED, "the relay answered HTTP %ld", status);
    if (rc == 0) {
        static const char *const props[][3] = {
            {"og:title", "title", "Title:"}, {"og:description", "description", "Description:"},
            {"og:image", "image_url", "Image:"}, {"og:url", "url", "URL:"}};
        out_begin(ctx);
        for (size_t i = 0; i < sizeof props / sizeof props[0]; i++) {
            char *v = meta_content(body.data ? body.data : "", props[i][0]);
            out_str(ctx, props[i][1], props[i][2], v);
            free(v);
        }
        out_int(ctx, "http_status", "HTTP status:", status);
        out_end(ctx);
    }
    free(body.data);
    tigress_share_url_free(su);
    return rc;
}
