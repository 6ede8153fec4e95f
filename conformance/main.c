/*
 * conformance/main.c: tigress-conformance, the command line. Parses the options, runs the
 * selected checks one after the other (each cleans up its own mailboxes), prints one line per
 * check (or a JSON document) and exits 0 only when no check failed.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

#include "checks.h"

static void help(FILE *f)
{
    fputs("NAME\n"
          "    tigress-conformance - black-box conformance tester for TIGRESS relays\n"
          "\n"
          "SYNOPSIS\n"
          "    tigress-conformance RELAY_URL [--ca-file FILE] [--insecure-loopback]\n"
          "                        [--only ID,...] [--skip ID,...] [--json] [--timeout S]\n"
          "                        [--slow]\n"
          "    tigress-conformance --help\n"
          "\n"
          "DESCRIPTION\n"
          "    Runs checks against the relay at RELAY_URL (https://host[:port]) over HTTPS, as\n"
          "    any client would: endpoints, status codes, JSON shapes, Device Claim binding and\n"
          "    the race for the first claim, duplicate detection by Mailbox-Request-ID, access\n"
          "    rights, Relinquish, Delete, the preview page and TLS-only service. Every check is\n"
          "    named after a relay requirement of libtigress's docs/requirements.md (R<n>) or an\n"
          "    extension of its protocol (X-<name>).\n"
          "\n"
          "    The tester creates only its own mailboxes, each with fresh random Device Claims,\n"
          "    and deletes them at the end of the check that made them (a mailbox made without\n"
          "    the D right cannot be deleted; it expires after two minutes). It sends random bytes\n"
          "    as payload data and never holds a Secret. It needs a relay whose rate limit and\n"
          "    per-address mailbox quota leave room for a few hundred requests and ~100\n"
          "    creations; a 429 with Retry-After is waited out (up to 5 s, 3 times). R6\n"
          "    expects urlLink on RELAY_URL's host (the relay's public URL); R42 expects a\n"
          "    body limit under 1 MiB.\n"
          "\n"
          "    Output: one line per check, \"PASS ID title\", \"FAIL ID title\" followed by\n"
          "    indented lines with what was expected and the request (>) and response (<) that\n"
          "    broke it, or \"SKIP ID title (why)\"; then \"N passed, N failed, N skipped\".\n"
          "\n"
          "OPTIONS\n"
          "    --ca-file FILE       trust the CA certificates in FILE (PEM) instead of the\n"
          "                         system store\n"
          "    --insecure-loopback  allow a plain http:// RELAY_URL on a loopback address\n"
          "                         (a relay started with --insecure-loopback); R1 is skipped\n"
          "    --only ID,...        run only these checks (a slow one named here runs too)\n"
          "    --skip ID,...        do not run these checks\n"
          "    --json               print a JSON array of {id, title, result, detail} instead\n"
          "    --timeout S          seconds allowed for each request (default 30)\n"
          "    --slow               also run the slow checks (R18: waits for the shortest\n"
          "                         expiration the relay accepts, between 2 s and 2 min)\n"
          "    --help               this text\n"
          "\n"
          "CHECKS\n",
          f);
    for (size_t i = 0; i < conf_n_checks; i++)
        fprintf(f, "    %-19s %s%s\n", conf_checks[i].id, conf_checks[i].title,
                conf_checks[i].slow ? " (slow)" : "");
    fputs("\n"
          "EXIT STATUS\n"
          "    0   every check that ran passed (or was skipped)\n"
          "    1   at least one check failed, or the relay could not be reached\n"
          "    2   usage error (bad option, unknown check ID, bad RELAY_URL)\n"
          "\n"
          "EXAMPLES\n"
          "    tigress-conformance https://relay.example\n"
          "    tigress-conformance https://127.0.0.1:8443 --ca-file ca.pem --slow\n"
          "    tigress-conformance https://relay.example --only R20,R21 --json\n"
          "    tigress-conformance http://127.0.0.1:8080 --insecure-loopback --skip X-longpoll\n",
          f);
}

static int usage(const char *msg, const char *arg)
{
    fprintf(stderr, "tigress-conformance: %s%s%s\n(see tigress-conformance --help)\n", msg,
            arg ? ": " : "", arg ? arg : "");
    return 2;
}

static int find_check(const char *id, size_t n)
{
    for (size_t i = 0; i < conf_n_checks; i++)
        if (strlen(conf_checks[i].id) == n && strncasecmp(conf_checks[i].id, id, n) == 0)
            return (int)i;
    return -1;
}

/* Marks the IDs of a comma list in sel; -1 (and a message) for an unknown one. */
static int mark(const char *list, unsigned char *sel)
{
    const char *p = list;
    while (*p != '\0') {
        const char *e = strchr(p, ',');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (n > 0) {
            int k = find_check(p, n);
            if (k < 0) {
                fprintf(stderr, "tigress-conformance: unknown check ID: %.*s\n", (int)n, p);
                return -1;
            }
            sel[k] = 1;
        }
        p += n + (e != NULL);
    }
    return 0;
}

static int is_loopback(const char *h)
{
    return strcasecmp(h, "localhost") == 0 || strncmp(h, "127.", 4) == 0 ||
           strcmp(h, "::1") == 0;
}

static int parse_base(conf_ctx *c, const char *url, int insecure)
{
    CURLU *u = curl_url();
    char *scheme = NULL, *host = NULL, *port = NULL, *path = NULL, *query = NULL, *user = NULL;
    int rc = -1;
    if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) != CURLUE_OK)
        goto out;
    curl_url_get(u, CURLUPART_PATH, &path, 0);
    curl_url_get(u, CURLUPART_QUERY, &query, 0);
    curl_url_get(u, CURLUPART_USER, &user, 0);
    if (query != NULL || user != NULL || (path != NULL && strcmp(path, "/") != 0 && path[0]))
        goto out;
    const char *h = host;
    size_t hl = strlen(h);
    if (h[0] == '[' && hl > 2) {
        h++;
        hl -= 2;
    }
    if (hl >= sizeof c->host)
        goto out;
    for (size_t i = 0; i < hl; i++)
        c->host[i] = (char)tolower((unsigned char)h[i]);
    c->host[hl] = '\0';
    c->port = atoi(port);
    if (strcmp(scheme, "https") == 0) {
        c->plain = 0;
    } else if (strcmp(scheme, "http") == 0 && insecure && is_loopback(c->host)) {
        c->plain = 1;
    } else {
        goto out;
    }
    snprintf(c->base, sizeof c->base, "%s://%s:%d", scheme, host, c->port);
    rc = 0;
out:
    curl_free(scheme);
    curl_free(host);
    curl_free(port);
    curl_free(path);
    curl_free(query);
    curl_free(user);
    curl_url_cleanup(u);
    return rc;
}

static void print_detail(const char *d)
{
    if (d != NULL)
        fputs(d, stdout);
}

int main(int argc, char **argv)
{
    static conf_ctx c;
    const char *url = NULL, *only = NULL, *skip = NULL;
    int json = 0, insecure = 0;
    c.timeout = 30;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int has_val = i + 1 < argc;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            help(stdout);
            return 0;
        } else if (strcmp(a, "--ca-file") == 0) {
            if (!has_val)
                return usage("--ca-file needs a file", NULL);
            c.ca_file = argv[++i];
        } else if (strcmp(a, "--insecure-loopback") == 0) {
            insecure = 1;
        } else if (strcmp(a, "--only") == 0) {
            if (!has_val)
                return usage("--only needs a list of check IDs", NULL);
            only = argv[++i];
        } else if (strcmp(a, "--skip") == 0) {
            if (!has_val)
                return usage("--skip needs a list of check IDs", NULL);
            skip = argv[++i];
        } else if (strcmp(a, "--json") == 0) {
            json = 1;
        } else if (strcmp(a, "--slow") == 0) {
            c.slow = 1;
        } else if (strcmp(a, "--timeout") == 0) {
            char *end = NULL;
            if (!has_val)
                return usage("--timeout needs seconds", NULL);
            c.timeout = strtod(argv[++i], &end);
            if (end == NULL || *end != '\0' || !(c.timeout > 0 && c.timeout <= 3600))
                return usage("--timeout must be a number of seconds in (0, 3600]", argv[i]);
        } else if (a[0] == '-') {
            return usage("unknown option", a);
        } else if (url == NULL) {
            url = a;
        } else {
            return usage("more than one relay URL", a);
        }
    }
    if (url == NULL)
        return usage("no relay URL given", NULL);
    unsigned char sel_only[64] = {0}, sel_skip[64] = {0};
    if (conf_n_checks > sizeof sel_only) {
        fprintf(stderr, "tigress-conformance: too many checks for the selection table\n");
        return 1;
    }
    if ((only != NULL && mark(only, sel_only) != 0) || (skip != NULL && mark(skip, sel_skip) != 0))
        return 2;
    http_global_init();
    if (parse_base(&c, url, insecure) != 0) {
        http_global_cleanup();
        return usage("RELAY_URL must be https://host[:port] (http:// only on a loopback "
                     "address with --insecure-loopback)", url);
    }
    srand((unsigned)time(NULL));

    /* reachability first: a preview of a random id must get some HTTP answer */
    char probe_id[37], probe[128];
    new_uuid(probe_id);
    snprintf(probe, sizeof probe, "/v1/m/%s", probe_id);
    creq pq = {.method = "GET", .path = probe};
    cresp pr;
    http_do(&c, &pq, &pr);
    if (pr.status == 0) {
        fprintf(stderr, "tigress-conformance: cannot reach %s: %s\n", c.base, pr.err);
        cresp_free(&pr);
        http_global_cleanup();
        return 1;
    }
    cresp_free(&pr);

    int npass = 0, nfail = 0, nskip = 0;
    cJSON *arr = json ? cJSON_CreateArray() : NULL;
    for (size_t i = 0; i < conf_n_checks; i++) {
        const conf_check *k = &conf_checks[i];
        if ((only != NULL && !sel_only[i]) || sel_skip[i])
            continue;
        c.detail = NULL;
        c.detail_len = 0;
        c.failed = 0;
        c.n_owned = 0;
        int res;
        if (k->slow && !c.slow && !(only != NULL && sel_only[i])) {
            note(&c, "slow: run with --slow");
            res = RES_SKIP;
        } else {
            res = k->run(&c);
            if (c.failed)
                res = RES_FAIL;
            cleanup_owned(&c);
        }
        const char *word = res == RES_PASS ? "PASS" : res == RES_FAIL ? "FAIL" : "SKIP";
        npass += res == RES_PASS;
        nfail += res == RES_FAIL;
        nskip += res == RES_SKIP;
        if (json) {
            cJSON *o = cJSON_CreateObject();
            cJSON_AddStringToObject(o, "id", k->id);
            cJSON_AddStringToObject(o, "title", k->title);
            cJSON_AddStringToObject(o, "result", word);
            cJSON_AddStringToObject(o, "detail", c.detail ? c.detail : "");
            cJSON_AddItemToArray(arr, o);
        } else if (res == RES_SKIP) {
            /* the reason in parentheses on the same line */
            char why[300] = "";
            if (c.detail != NULL) {
                snprintf(why, sizeof why, "%s", c.detail + 4);
                why[strcspn(why, "\n")] = '\0';
            }
            printf("SKIP %s %s (%s)\n", k->id, k->title, why);
        } else {
            printf("%s %s %s\n", word, k->id, k->title);
            if (res == RES_FAIL)
                print_detail(c.detail);
        }
        fflush(stdout);
        free(c.detail);
        c.detail = NULL;
    }
    if (json) {
        char *s = cJSON_Print(arr);
        puts(s ? s : "[]");
        free(s);
        cJSON_Delete(arr);
    } else {
        printf("%d passed, %d failed, %d skipped\n", npass, nfail, nskip);
    }
    if (c.curl != NULL)
        curl_easy_cleanup(c.curl);
    http_global_cleanup();
    return nfail == 0 ? 0 : 1;
}
