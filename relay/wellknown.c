/*
 * relay/wellknown.c: --well-known DIR, the app-link files the mobile platforms fetch from the
 * relay's host: /.well-known/apple-app-site-association (iOS universal links) and
 * /.well-known/assetlinks.json (Android App Links). Only these two names are served, from
 * copies read into memory at start and on reload (SIGHUP); a request path is never turned into
 * a file name, so nothing else under DIR (or outside it) can be reached. Each file must be
 * JSON of at most WK_MAX bytes. A missing file is not served (404); a file that exists but is
 * unreadable, too large or not JSON fails the start (exit 64) or, on reload, keeps every
 * file as it was.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "relay.h"

#define WK_MAX (64 * 1024)
#define WK_N 2

static const char *const wk_names[WK_N] = {"apple-app-site-association", "assetlinks.json"};

static pthread_mutex_t g_wk_mu = PTHREAD_MUTEX_INITIALIZER;
static char *g_wk_body[WK_N];
static size_t g_wk_len[WK_N];

/* 1: loaded into *out; 0: the file does not exist; -1: why is set. */
static int load_one(const char *dir, const char *name, char **out, size_t *len, char *why,
                    size_t cap)
{
    char path[4096];
    if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, name) >= sizeof path) {
        snprintf(why, cap, "--well-known directory name is too long");
        return -1;
    }
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        if (errno == ENOENT)
            return 0;
        snprintf(why, cap, "cannot read %s: %s", path, strerror(errno));
        return -1;
    }
    char *buf = malloc(WK_MAX + 2);
    size_t n = buf != NULL ? fread(buf, 1, WK_MAX + 1, f) : 0;
    bool err = ferror(f) != 0;
    fclose(f);
    if (buf == NULL || err || n > WK_MAX) {
        snprintf(why, cap, "%s is %s", path,
                 buf == NULL ? "not loadable (out of memory)"
                 : err       ? "unreadable (a directory?)"
                             : "larger than 64 KiB");
        free(buf);
        return -1;
    }
    buf[n] = '\0';
    cJSON *j = strlen(buf) == n ? cJSON_Parse(buf) : NULL;
    if (j == NULL) {
        snprintf(why, cap, "%s is not JSON", path);
        free(buf);
        return -1;
    }
    cJSON_Delete(j);
    *out = buf;
    *len = n;
    return 1;
}

int wellknown_load(const char *dir, char *why, size_t cap)
{
    char *body[WK_N] = {NULL};
    size_t len[WK_N] = {0};
    int found = 0;
    for (int i = 0; dir != NULL && i < WK_N; i++) {
        int rc = load_one(dir, wk_names[i], &body[i], &len[i], why, cap);
        if (rc < 0) {
            for (int k = 0; k < i; k++)
                free(body[k]);
            return -1;
        }
        found += rc;
    }
    pthread_mutex_lock(&g_wk_mu);
    for (int i = 0; i < WK_N; i++) {
        free(g_wk_body[i]);
        g_wk_body[i] = body[i];
        g_wk_len[i] = len[i];
    }
    pthread_mutex_unlock(&g_wk_mu);
    if (dir != NULL)
        relay_log(found == WK_N ? LOG_INFO : LOG_WARN,
                  "event=well_known_loaded apple_app_site_association=%s assetlinks=%s",
                  body[0] != NULL ? "yes" : "missing", body[1] != NULL ? "yes" : "missing");
    return 0;
}

void wellknown_free(void)
{
    wellknown_load(NULL, NULL, 0);
}

void wellknown_handle(const relay_request *rq, relay_response *rs)
{
    const char *name = rq->url + strlen("/.well-known/");
    rs->route = "/.well-known/{name}";
    int i = 0;
    while (i < WK_N && strcmp(name, wk_names[i]) != 0)
        i++;
    char *copy = NULL;
    size_t len = 0;
    if (i < WK_N) {
        pthread_mutex_lock(&g_wk_mu);
        if (g_wk_body[i] != NULL && (copy = malloc(g_wk_len[i] + 1)) != NULL) {
            memcpy(copy, g_wk_body[i], g_wk_len[i] + 1);
            len = g_wk_len[i];
        }
        bool present = g_wk_body[i] != NULL;
        pthread_mutex_unlock(&g_wk_mu);
        if (present && copy == NULL) {
            routes_error(rs, 500, "internal", "out of memory");
            return;
        }
    }
    if (copy == NULL) {
        routes_error(rs, 404, "not_found", "no such resource");
        return;
    }
    if (strcmp(rq->method, "GET") != 0 && strcmp(rq->method, "HEAD") != 0) {
        free(copy);
        rs->allow = "GET, HEAD";
        routes_error(rs, 405, "method_not_allowed", "use GET");
        return;
    }
    rs->status = 200;
    rs->content_type = "application/json";
    rs->cache_control = "public, max-age=3600";
    rs->body = copy;
    rs->body_len = len;
}
