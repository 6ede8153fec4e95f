/*
 * relay/pushurl.c: the one parse of a push target URL (a webpush token's tokenData, or
 * --push-gateway). validate.c rejects a token whose URL fails it (400 at Create, Update and
 * Read); push.c checks and connects to what it returns, nothing else.
 *
 * Strict on purpose: libcurl's URL parser (CURLU) reads the URL, and the URL is refused unless
 * it is ASCII without whitespace, control bytes or backslashes, its scheme is https (written in
 * lower case), it has no user info, login options, fragment or IPv6 zone, its host is not empty,
 * its port is 1..65535, and libcurl's re-serialisation of the parse gives back exactly the input
 * (only a missing "/" path may be added). So a URL that two parsers could read differently
 * (https://public.example:443@127.0.0.1/, a backslash before "@", a numeric host in hex or
 * percent-encoded, dot segments) never reaches the address check.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "relay.h"

static bool part_absent(CURLU *u, CURLUPart part, CURLUcode want)
{
    char *v = NULL;
    CURLUcode rc = curl_url_get(u, part, &v, 0);
    curl_free(v);
    return rc == want;
}

bool push_url_parse(const char *url, push_target *out)
{
    memset(out, 0, sizeof *out);
    if (url == NULL || strncmp(url, "https://", 8) != 0)
        return false;
    size_t len = 0;
    for (const unsigned char *p = (const unsigned char *)url; *p; p++, len++)
        if (*p <= 0x20 || *p >= 0x7f || *p == '\\' || *p == '#')
            return false;
    CURLU *u = curl_url();
    char *s = NULL, *host = NULL, *port = NULL;
    bool ok = u != NULL && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK;
    ok = ok && curl_url_get(u, CURLUPART_SCHEME, &s, 0) == CURLUE_OK && strcmp(s, "https") == 0;
    curl_free(s);
    s = NULL;
    ok = ok && part_absent(u, CURLUPART_USER, CURLUE_NO_USER) &&
         part_absent(u, CURLUPART_PASSWORD, CURLUE_NO_PASSWORD) &&
         part_absent(u, CURLUPART_OPTIONS, CURLUE_NO_OPTIONS) &&
         part_absent(u, CURLUPART_FRAGMENT, CURLUE_NO_FRAGMENT) &&
         part_absent(u, CURLUPART_ZONEID, CURLUE_NO_ZONEID);
    /* The re-serialised parse must be the input (or the input plus an empty path "/"). */
    ok = ok && curl_url_get(u, CURLUPART_URL, &s, 0) == CURLUE_OK &&
         (strcmp(s, url) == 0 ||
          (strlen(s) == len + 1 && s[len] == '/' && strncmp(s, url, len) == 0 &&
           strchr(url + 8, '/') == NULL && strchr(url + 8, '?') == NULL));
    ok = ok && curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK && host[0] != '\0';
    ok = ok && curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) == CURLUE_OK;
    if (ok) {
        char *end = NULL;
        unsigned long pn = strtoul(port, &end, 10);
        const char *h = host;
        size_t hn = strlen(h);
        if (h[0] == '[' && hn >= 2 && h[hn - 1] == ']') {   /* IPv6 literal: no brackets */
            h++;
            hn -= 2;
        }
        ok = end != port && *end == '\0' && pn >= 1 && pn <= 65535 && hn > 0 &&
             hn < sizeof out->host;
        if (ok) {
            memcpy(out->host, h, hn);
            out->host[hn] = '\0';
            out->port = (unsigned)pn;
        }
    }
    curl_free(s);
    curl_free(host);
    curl_free(port);
    if (!ok) {
        curl_url_cleanup(u);
        memset(out, 0, sizeof *out);
        return false;
    }
    out->u = u;
    return true;
}

void push_target_free(push_target *t)
{
    if (t != NULL && t->u != NULL)
        curl_url_cleanup(t->u);
    if (t != NULL)
        t->u = NULL;
}

bool push_url_valid(const char *url)
{
    push_target t;
    if (!push_url_parse(url, &t))
        return false;
    push_target_free(&t);
    return true;
}
