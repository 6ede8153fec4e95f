/*
 * conformance/checks_create.c: TLS only, Create and its answer, Request-ID echo and
 * duplicates, configuration and expiry, the body limit, the version prefix and attestation
 * (R1, R3-R15, R17, R18, R42).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "checks.h"

#define DONE(c) return (c)->failed ? RES_FAIL : RES_PASS

int check_R1(conf_ctx *c)
{
    if (c->plain) {
        note(c, "the relay under test is plain HTTP (--insecure-loopback)");
        return RES_SKIP;
    }
    char url[600], claim[37], rid[37];
    snprintf(url, sizeof url, "http://%s%s%s:%d/v1/m", strchr(c->host, ':') ? "[" : "", c->host,
             strchr(c->host, ':') ? "]" : "", c->port);
    new_uuid(claim);
    new_uuid(rid);
    char *b = valid_body("RD");
    creq q = {.method = "POST", .path = url, .claim = claim, .rid = rid, .body = b, .timeout = 5};
    cresp r;
    http_do_thread(c, &q, &r);
    char echo[160];
    own_if_created(c, &r, claim); /* a mailbox made over plain HTTP: remove it afterwards */
    if (r.status >= 200 && r.status < 300)
        fail_at(c, &q, &r, "a plain-HTTP Create on the relay's port was answered %ld", r.status);
    else if (r.status != 0 && cresp_header(&r, "Mailbox-Request-ID", echo, sizeof echo) == 0)
        fail_at(c, &q, &r, "a plain-HTTP request got an API answer (it echoes the Request-ID)");
    cresp_free(&r);
    free(b);
    DONE(c);
}

/* A Create sent where the version prefix is missing or wrong must not make a mailbox. */
int check_R3(conf_ctx *c)
{
    static const char *const paths[] = {"/m", "/v2/m", "/V1/m", "/v1/mailbox"};
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        char claim[37];
        cresp r;
        long st = create_fresh(c, paths[i], NULL, claim, NULL, &r);
        if (st >= 200 && st < 300)
            fail_at(c, &last_q, &r, "a Create on %s (not /v1/m) was answered %ld", paths[i], st);
        else if (st == 0)
            fail_at(c, &last_q, &r, "a Create on %s got no HTTP answer", paths[i]);
        cresp_free(&r);
    }
    if (!c->failed) {
        char claim[37], id[64];
        if (mb_new(c, NULL, claim, id) == 0)
            expect_op(c, "read on /v1/m/{id} after the refused unversioned Creates", 200, "POST",
                      id, claim, NULL, NULL);
    }
    DONE(c);
}

/* Attestation is optional: a Create carrying an opaque Mailbox-Device-Attestation is either
 * accepted (200) or refused by policy with 401, never a 400 or a server error. */
int check_R9(conf_ctx *c)
{
    char claim[37];
    cresp r;
    long st = create_fresh(c, "/v1/m", "Mailbox-Device-Attestation: dGVzdC1hdHRlc3RhdGlvbg==",
                           claim, NULL, &r);
    if (st == 401)
        note(c, "the relay refuses this attestation by policy (401)");
    else if (st != 200)
        fail_at(c, &last_q, &r, "a Create with an attestation it may not verify: expected 200 or "
                "401, got %ld", st);
    cresp_free(&r);
    DONE(c);
}

int check_R4(conf_ctx *c)
{
    char claim[37], id[64];
    cresp r;
    long st = create_fresh(c, "/v1/m", NULL, claim, id, &r);
    char ct[200] = "";
    cresp_header(&r, "Content-Type", ct, sizeof ct);
    if (st != 200) {
        fail_at(c, &last_q, &r, "a valid Create: expected 200, got %ld", st);
    } else if (strncasecmp(ct, "application/json", 16) != 0) {
        fail_at(c, &last_q, &r, "Content-Type is not application/json");
    } else {
        cJSON *j = json_body(c, &last_q, &r);
        if (j != NULL) {
            if (!cJSON_IsString(cJSON_GetObjectItemCaseSensitive(j, "urlLink")))
                fail_at(c, &last_q, &r, "urlLink is missing or not a string");
            else if (!cJSON_IsBool(cJSON_GetObjectItemCaseSensitive(j, "isPushNotificationSupported")))
                fail_at(c, &last_q, &r, "isPushNotificationSupported is missing or not a boolean");
        }
        cJSON_Delete(j);
    }
    cresp_free(&r);
    DONE(c);
}

int check_R5(conf_ctx *c)
{
    char claim[37], id1[64], id2[64], mine[37];
    new_uuid(claim);
    new_uuid(mine);
    char extra[200];
    snprintf(extra, sizeof extra, ",\"id\":\"%s\",\"mailboxId\":\"%s\",\"mailboxIdentifier\":\"%s\"",
             mine, mine, mine);
    char exp[32];
    rfc3339_in(3600, exp);
    char *b = create_body(NULL, "AAAA", NULL, NULL, "RD", exp, extra);
    cresp r;
    long st = mb_create(c, claim, NULL, b, id1, &r);
    if (st != 200) {
        fail_at(c, &last_q, &r, "Create: expected 200, got %ld", st);
    } else if (!is_v4_uuid(id1)) {
        fail_at(c, &last_q, &r, "the mailbox id \"%s\" is not a version-4 UUID", id1);
    } else if (strcasecmp(id1, mine) == 0) {
        fail_at(c, &last_q, &r, "the relay used the id the client put in the body");
    }
    cresp_free(&r);
    if (!c->failed) {
        new_uuid(claim);
        st = mb_create(c, claim, NULL, b, id2, &r);
        if (st != 200)
            fail_at(c, &last_q, &r, "second Create: expected 200, got %ld", st);
        else if (!is_v4_uuid(id2) || strcasecmp(id1, id2) == 0)
            fail_at(c, &last_q, &r, "second mailbox id \"%s\" is not a fresh v4 UUID (first %s)",
                    id2, id1);
        cresp_free(&r);
    }
    free(b);
    DONE(c);
}

int check_R6(conf_ctx *c)
{
    char claim[37], id[64];
    cresp r;
    long st = create_fresh(c, "/v1/m", NULL, claim, id, &r);
    if (st != 200) {
        fail_at(c, &last_q, &r, "Create: expected 200, got %ld", st);
        cresp_free(&r);
        DONE(c);
    }
    cJSON *j = json_body(c, &last_q, &r);
    cJSON *l = cJSON_GetObjectItemCaseSensitive(j, "urlLink");
    if (j != NULL && !cJSON_IsString(l)) {
        fail_at(c, &last_q, &r, "no urlLink string");
    } else if (j != NULL) {
        const char *s = l->valuestring;
        char want[400];
        /* a plain-HTTP development relay (--insecure-loopback) may give http:// links */
        const char *scheme = c->plain && strncasecmp(s, "http://", 7) == 0 ? "http" : "https";
        snprintf(want, sizeof want, "%s://%s%s%s", scheme, strchr(c->host, ':') ? "[" : "",
                 c->host, strchr(c->host, ':') ? "]" : "");
        const char *path = strstr(s, "/v1/m/");
        if (strcmp(scheme, "https") == 0 && strncasecmp(s, "https://", 8) != 0)
            fail_at(c, &last_q, &r, "urlLink is not an https URL");
        else if (strncasecmp(s, want, strlen(want)) != 0 ||
                 (s[strlen(want)] != '/' && s[strlen(want)] != ':'))
            fail_at(c, &last_q, &r, "urlLink's host is not the relay's (%s)", c->host);
        else if (path == NULL || strchr(strstr(s, "://") + 3, '/') != path || strchr(path + 6, '/') != NULL ||
                 path[6] == '\0')
            fail_at(c, &last_q, &r, "urlLink's path is not /v1/m/{id}");
        else if (strchr(s, '?') != NULL || strchr(s, '#') != NULL)
            fail_at(c, &last_q, &r, "urlLink carries a query or fragment");
    }
    cJSON_Delete(j);
    cresp_free(&r);
    DONE(c);
}

int check_R7(conf_ctx *c)
{
    static const char *const bad[] = {
        "{\"payload\": {\"type\": \"XSALSA20_POLY1305\", \"data\": \"AAAA\"",
        "not json at all",
        "{\"payload\":{\"data\":\"AAAA\"},\"displayInformation\":{\"title\":\"t\",\"description\":\"d\",\"imageURL\":\"\"}}",
        "{\"payload\":{\"type\":\"XSALSA20_POLY1305\"},\"displayInformation\":{\"title\":\"t\",\"description\":\"d\",\"imageURL\":\"\"}}",
        "{\"payload\":{\"type\":\"XSALSA20_POLY1305\",\"data\":\"AAAA\"},\"displayInformation\":{\"description\":\"d\",\"imageURL\":\"\"}}",
        "{\"payload\":{\"type\":\"XSALSA20_POLY1305\",\"data\":\"AAAA\"},\"displayInformation\":{\"title\":\"t\",\"imageURL\":\"\"}}",
        "{\"payload\":{\"type\":\"XSALSA20_POLY1305\",\"data\":\"AAAA\"},\"displayInformation\":{\"title\":\"t\",\"description\":\"d\"}}",
        "{\"payload\":{\"type\":\"XSALSA20_POLY1305\",\"data\":\"AAAA\"}}",
        NULL};
    for (int i = 0; bad[i] != NULL && !c->failed; i++) {
        char claim[37], rid[37], id[64];
        new_uuid(claim);
        new_uuid(rid);
        cresp r;
        long st = mb_create(c, claim, rid, bad[i], id, &r);
        if (st != 400) {
            fail_at(c, &last_q, &r, "an invalid Create: expected 400, got %ld", st);
            cresp_free(&r);
            break;
        }
        cresp_free(&r);
        /* created nothing: the same claim and Request-ID with a valid body is new work (200),
         * not a duplicate of something stored (201) */
        char *b = valid_body("RD");
        st = mb_create(c, claim, rid, b, id, &r);
        free(b);
        if (st != 200)
            fail_at(c, &last_q, &r,
                    "after a 400, a valid Create with the same Request-ID: expected 200, got %ld",
                    st);
        cresp_free(&r);
    }
    DONE(c);
}

int check_R8(conf_ctx *c)
{
    static const char *const claims[] = {NULL, "not-a-uuid", "", "0f8fad5b-d9cb-469f-a165", NULL};
    for (int i = 0; i < 4 && !c->failed; i++) {
        char *b = valid_body("RD");
        cresp r;
        long st = mb_create(c, claims[i], NULL, b, NULL, &r);
        free(b);
        if (st != 401)
            fail_at(c, &last_q, &r, "Create with a %s claim: expected 401, got %ld",
                    i == 0 ? "missing" : "malformed", st);
        cresp_free(&r);
    }
    DONE(c);
}

/* One request, and its echo must equal the Request-ID sent. */
static void echo_case(conf_ctx *c, const char *what, const char *method, const char *path,
                      const char *claim, const char *body)
{
    char rid[80], echo[200];
    new_uuid(rid);
    strcat(rid, "-conf");
    creq q = {.method = method, .path = path, .claim = claim, .rid = rid, .body = body};
    cresp r;
    http_do(c, &q, &r);
    if (r.status == 0)
        fail_at(c, &q, &r, "%s: no answer", what);
    else if (cresp_header(&r, "Mailbox-Request-ID", echo, sizeof echo) != 0)
        fail_at(c, &q, &r, "%s: got %ld without a Mailbox-Request-ID echo", what, r.status);
    else if (strcmp(echo, rid) != 0)
        fail_at(c, &q, &r, "%s (%ld): echo \"%s\" differs from the Request-ID sent", what,
                r.status, echo);
    if (strcmp(path, "/v1/m") == 0)
        own_if_created(c, &r, claim);
    cresp_free(&r);
}

int check_R10(conf_ctx *c)
{
    char claim[37], id[64], path[128], other[37], unknown[37];
    if (mb_new(c, "RWD", claim, id) != 0)
        DONE(c);
    new_uuid(other);
    new_uuid(unknown);
    snprintf(path, sizeof path, "/v1/m/%s", id);
    char *b = valid_body("RD");
    char upd[200];
    snprintf(upd, sizeof upd, "{\"payload\":{\"type\":\"XSALSA20_POLY1305\",\"data\":\"AQID\"}}");
    echo_case(c, "Create (200)", "POST", "/v1/m", other, b);
    echo_case(c, "Create with a bad body (400)", "POST", "/v1/m", other, "{");
    echo_case(c, "Create with a bad claim (401)", "POST", "/v1/m", "bad", b);
    echo_case(c, "secure read (200)", "POST", path, claim, NULL);
    echo_case(c, "Update (200)", "PUT", path, claim, upd);
    echo_case(c, "preview (200)", "GET", path, NULL, NULL);
    char upath[128];
    snprintf(upath, sizeof upath, "/v1/m/%s", unknown);
    echo_case(c, "read of an unknown mailbox (404)", "POST", upath, claim, NULL);
    echo_case(c, "Update by a stranger (401)", "PUT", path, other, upd);
    free(b);
    DONE(c);
}

int check_R11(conf_ctx *c)
{
    char claim[37], rid[37], id1[64], id2[64];
    new_uuid(claim);
    new_uuid(rid);
    char *b = valid_body("RD");
    cresp r1, r2;
    long st = mb_create(c, claim, rid, b, id1, &r1);
    if (st != 200) {
        fail_at(c, &last_q, &r1, "Create: expected 200, got %ld", st);
    } else {
        st = mb_create(c, claim, rid, b, id2, &r2);
        if (st != 201)
            fail_at(c, &last_q, &r2, "the same Create again (same claim, same Request-ID): "
                    "expected 201, got %ld", st);
        else if (r1.body_len != r2.body_len || memcmp(r1.body, r2.body, r1.body_len) != 0)
            fail_at(c, &last_q, &r2, "the 201 body differs from the first answer's");
        else if (strcmp(id1, id2) != 0)
            fail_at(c, &last_q, &r2, "the duplicate made a second mailbox");
        if (st != 0)
            own_mailbox(c, id2, claim);
        cresp_free(&r2);
    }
    cresp_free(&r1);
    free(b);
    DONE(c);
}

static char *update_body(const char *data)
{
    char *b = malloc(strlen(data) + 100);
    if (b != NULL)
        sprintf(b, "{\"payload\":{\"type\":\"XSALSA20_POLY1305\",\"data\":\"%s\"}}", data);
    return b;
}

int check_R12(conf_ctx *c)
{
    char claim[37], id[64], rid[37], etag1[64] = "", etag2[64] = "";
    if (mb_new(c, "RWD", claim, id) != 0)
        DONE(c);
    new_uuid(rid);
    char *d1 = random_b64(24), *b1 = update_body(d1);
    cresp r1, r2, rr;
    long st = mb_op(c, "PUT", id, claim, rid, b1, &r1);
    if (st != 200) {
        fail_at(c, &last_q, &r1, "Update: expected 200, got %ld", st);
        goto out1;
    }
    mb_op(c, "POST", id, claim, NULL, NULL, &rr);
    cresp_header(&rr, "ETag", etag1, sizeof etag1);
    cresp_free(&rr);
    st = mb_op(c, "PUT", id, claim, rid, b1, &r2);
    if (st != 201)
        fail_at(c, &last_q, &r2, "the same Update again: expected 201, got %ld", st);
    else if (r1.body_len != r2.body_len || memcmp(r1.body, r2.body, r1.body_len) != 0)
        fail_at(c, &last_q, &r2, "the 201 body differs from the first answer's");
    cresp_free(&r2);
    if (!c->failed) {
        st = mb_op(c, "POST", id, claim, NULL, NULL, &rr);
        cresp_header(&rr, "ETag", etag2, sizeof etag2);
        cJSON *j = st == 200 ? json_body(c, &last_q, &rr) : NULL;
        cJSON *p = cJSON_GetObjectItemCaseSensitive(j, "payload");
        cJSON *dd = cJSON_GetObjectItemCaseSensitive(p, "data");
        if (st != 200)
            fail_at(c, &last_q, &rr, "read after the duplicate: expected 200, got %ld", st);
        else if (!cJSON_IsString(dd) || strcmp(dd->valuestring, d1) != 0)
            fail_at(c, &last_q, &rr, "the payload is not the one first written");
        else if (strcmp(etag1, etag2) != 0)
            fail_at(c, &last_q, &rr, "the duplicate Update wrote again (ETag %s -> %s)", etag1,
                    etag2);
        cJSON_Delete(j);
        cresp_free(&rr);
    }
out1:
    cresp_free(&r1);
    free(d1);
    free(b1);
    DONE(c);
}

int check_R13(conf_ctx *c)
{
    char claim[37], id[64], r1[37], r2[37], r3[37], rid[37];
    if (mb_new(c, "RD", claim, id) != 0)
        DONE(c);
    new_uuid(r1);
    new_uuid(r2);
    new_uuid(r3);
    new_uuid(rid);
    if (!expect_op(c, "first read by the Recipient", 200, "POST", id, r1, NULL, NULL))
        DONE(c);
    cresp a, b;
    long st = mb_op(c, "PATCH", id, r1, rid, NULL, &a);
    if (st != 200) {
        fail_at(c, &last_q, &a, "Relinquish: expected 200, got %ld", st);
        cresp_free(&a);
        DONE(c);
    }
    if (expect_op(c, "read by a second claim after the Relinquish", 200, "POST", id, r2, NULL,
                  NULL)) {
        st = mb_op(c, "PATCH", id, r1, rid, NULL, &b);
        if (st != 201)
            fail_at(c, &last_q, &b, "the same Relinquish again: expected 201, got %ld", st);
        else if (a.body_len != b.body_len || memcmp(a.body, b.body, a.body_len) != 0)
            fail_at(c, &last_q, &b, "the 201 body differs from the first answer's");
        cresp_free(&b);
        if (!c->failed)
            expect_op(c, "the duplicate must not unbind the new Recipient: read by a third "
                      "claim", 401, "POST", id, r3, NULL, NULL);
    }
    cresp_free(&a);
    DONE(c);
}

int check_R14(conf_ctx *c)
{
    char a[37], b[37], rid[37], id1[64], id2[64];
    new_uuid(a);
    new_uuid(b);
    new_uuid(rid);
    char *body = valid_body("RD");
    cresp r;
    long st = mb_create(c, a, rid, body, id1, &r);
    if (st != 200)
        fail_at(c, &last_q, &r, "Create by claim A: expected 200, got %ld", st);
    cresp_free(&r);
    if (!c->failed) {
        st = mb_create(c, b, rid, body, id2, &r);
        if (st != 200)
            fail_at(c, &last_q, &r, "the same Request-ID from claim B: expected 200, got %ld", st);
        else if (strcmp(id1, id2) == 0)
            fail_at(c, &last_q, &r, "claim B got claim A's mailbox");
        cresp_free(&r);
    }
    free(body);
    DONE(c);
}

int check_R15(conf_ctx *c)
{
    char claim[37], id[64];
    new_uuid(claim);
    char *b = create_body(NULL, "AAECAw==", NULL, NULL, NULL, NULL, NULL);
    cresp r;
    long st = mb_create(c, claim, NULL, b, id, &r);
    free(b);
    if (st != 200) {
        fail_at(c, &last_q, &r, "Create without mailboxConfiguration: expected 200, got %ld", st);
        cresp_free(&r);
        DONE(c);
    }
    cresp_free(&r);
    st = mb_op(c, "POST", id, claim, NULL, NULL, &r);
    cJSON *j = st == 200 ? json_body(c, &last_q, &r) : NULL;
    cJSON *e = cJSON_GetObjectItemCaseSensitive(j, "expiration");
    int64_t t;
    if (st != 200)
        fail_at(c, &last_q, &r, "read by the Initiator: expected 200 (R), got %ld", st);
    else if (!cJSON_IsString(e) || parse_rfc3339(e->valuestring, &t) != 0)
        fail_at(c, &last_q, &r, "no expiration in YYYY-MM-DDThh:mm:ssZ");
    else if (t <= (int64_t)time(NULL))
        fail_at(c, &last_q, &r, "the default expiration is not in the future");
    cJSON_Delete(j);
    cresp_free(&r);
    if (!c->failed)
        expect_op(c, "Update without W (default rights RD)", 401, "PUT", id, claim,
                  "{\"payload\":{\"type\":\"XSALSA20_POLY1305\",\"data\":\"AQ==\"}}", NULL);
    if (!c->failed)
        expect_op(c, "Delete with D (default rights RD)", 200, "DELETE", id, claim, NULL, NULL);
    DONE(c);
}

int check_R17(conf_ctx *c)
{
    static const char *const bad[] = {"tomorrow", "2030-01-01 10:00:00", "20300101T100000Z",
                                      "2030-13-45T99:99:99Z", "", NULL};
    char claim[37], id[64], exp[32];
    rfc3339_in(3600, exp);
    new_uuid(claim);
    char *b = create_body(NULL, "AAAA", NULL, NULL, "RD", exp, NULL);
    cresp r;
    long st = mb_create(c, claim, NULL, b, id, &r);
    free(b);
    if (st != 200)
        fail_at(c, &last_q, &r, "expiration %s: expected 200, got %ld", exp, st);
    cresp_free(&r);
    for (int i = 0; bad[i] != NULL && !c->failed; i++) {
        new_uuid(claim);
        b = create_body(NULL, "AAAA", NULL, NULL, "RD", bad[i], NULL);
        st = mb_create(c, claim, NULL, b, id, &r);
        free(b);
        if (st != 400)
            fail_at(c, &last_q, &r, "malformed expiration \"%s\": expected 400, got %ld", bad[i],
                    st);
        cresp_free(&r);
    }
    DONE(c);
}

int check_R18(conf_ctx *c)
{
    static const long tries[] = {2, 3, 5, 10, 20, 30, 60, 120, 0};
    char claim[37], id[64] = "", exp[32] = "";
    long used = 0;
    for (int i = 0; tries[i] != 0; i++) {
        new_uuid(claim);
        rfc3339_in(tries[i], exp);
        char *b = create_body(NULL, "AAAA", NULL, NULL, "RWD", exp, NULL);
        long st = mb_create(c, claim, NULL, b, id, NULL);
        free(b);
        if (st == 200) {
            used = tries[i];
            break;
        }
    }
    if (used == 0) {
        note(c, "the relay accepted no expiration of 2 s to 120 s ahead");
        return RES_SKIP;
    }
    int64_t t = 0;
    parse_rfc3339(exp, &t);
    while ((int64_t)time(NULL) <= t + 1)
        sleep(1);
    char upd[] = "{\"payload\":{\"type\":\"XSALSA20_POLY1305\",\"data\":\"AQ==\"}}";
    expect_op(c, "read after the expiration", 404, "POST", id, claim, NULL, NULL);
    expect_op(c, "Update after the expiration", 404, "PUT", id, claim, upd, NULL);
    expect_op(c, "preview after the expiration", 404, "GET", id, NULL, NULL, NULL);
    expect_op(c, "Delete after the expiration", 404, "DELETE", id, claim, NULL, NULL);
    DONE(c);
}

int check_R42(conf_ctx *c)
{
    size_t n = (1u << 20) + 16;
    char *big = malloc(n + 1), claim[37], rid[37];
    if (big == NULL)
        return RES_SKIP;
    const char *head = "{\"payload\":{\"type\":\"XSALSA20_POLY1305\",\"data\":\"";
    memset(big, 'A', n);
    memcpy(big, head, strlen(head));
    memcpy(big + n - 3, "\"}}", 3);
    big[n] = '\0';
    new_uuid(claim);
    new_uuid(rid);
    creq q = {.method = "POST", .path = "/v1/m", .claim = claim, .rid = rid, .body = big,
              .body_len = n};
    cresp r;
    http_do(c, &q, &r);
    if (r.status != 413)
        fail_at(c, &q, &r, "a 1 MiB Create body: expected 413, got %ld%s", r.status,
                r.status == 200 ? " (the relay sets no body limit at or below 1 MiB)" : "");
    own_if_created(c, &r, claim);
    cresp_free(&r);
    free(big);
    DONE(c);
}
