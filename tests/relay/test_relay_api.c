/*
 * tests/relay/test_relay_api.c: conformance of tigress-relay, part 1 (docs/requirements.md
 * R1-R28): the real relay over HTTPS on 127.0.0.1 with a certificate made at test time.
 * One named test per requirement; a test fails when the relay misbehaves.
 */
#define _DEFAULT_SOURCE         /* timegm */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "relay_harness.h"

static relay_proc g_r;

static int group_setup(void **state)
{
    (void)state;
    if (th_init() != 0)
        return -1;
    const char *extra[] = {"--rate-limit", "0", "--metrics-listen", "127.0.0.1:0",
                           "--sweep-interval", "1", "--max-expiry", "86400", NULL};
    return relay_start(&g_r, "api.db", extra) == 0 && g_r.metrics_port != 0 ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void)state;
    int rc = relay_stop(&g_r);      /* graceful shutdown must exit 0 */
    th_cleanup();
    return rc == 0 ? 0 : -1;
}

/* A valid Create body with rights and an expiration one hour ahead. */
static char *body_with(const char *rights, const char *data)
{
    char exp[32];
    th_rfc3339(3600, exp);
    return th_create_body("XSALSA20_POLY1305", data, "Hotel Pass", rights, exp, NULL, NULL);
}

/* Creates a mailbox as a fresh Initiator claim. */
static void new_mailbox(const char *rights, char claim[37], char id[37])
{
    th_uuid(claim);
    char *b = body_with(rights, "AAECAwQFBgc=");
    long st = th_create(&g_r, claim, b, id);
    free(b);
    assert_int_equal(st, 200);
    assert_int_equal(strlen(id), 36);
}

static long req(const char *method, const char *id, const char *claim, const char *rid,
                const char *body, hresp *out)
{
    char path[128];
    snprintf(path, sizeof path, "/v1/m/%s", id);
    hreq q = {.method = method, .path = path, .claim = claim, .rid = rid, .body = body};
    hresp h;
    http_do(&g_r, &q, &h);
    long st = h.status;
    if (out != NULL)
        *out = h;
    else
        hresp_free(&h);
    return st;
}

static long live(void)
{
    return th_metric(&g_r, "tigress_relay_mailboxes_live");
}

/* R1: the API is only reachable over TLS: a plain-HTTP request gets no API response, and the
 * relay refuses to serve plain HTTP except on loopback with --insecure-loopback. */
static void test_relay__R1_plain_http_refused(void **state)
{
    (void)state;
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%u/v1/m", g_r.port);
    hreq q = {.method = "POST", .path = url, .body = "{}"};
    hresp h;
    http_do(&g_r, &q, &h);
    assert_true(h.status == 0 || h.status >= 400);
    assert_true(h.body == NULL || strstr(h.body, "urlLink") == NULL);
    hresp_free(&h);

    relay_proc r2 = {0};
    const char *a1[] = {"--listen", "0.0.0.0:0", "--insecure-loopback", NULL};
    assert_int_equal(relay_start_raw(&r2, a1), 64);
    const char *a2[] = {"--listen", "127.0.0.1:0", NULL};      /* no --cert/--key */
    assert_int_equal(relay_start_raw(&r2, a2), 64);
    /* Development mode: plain HTTP on loopback when asked for explicitly. */
    char store[600];
    snprintf(store, sizeof store, "%s/insecure.db", th_dir());
    const char *a3[] = {"--listen", "127.0.0.1:0", "--insecure-loopback", "--store", store, NULL};
    assert_int_equal(relay_start_raw(&r2, a3), 0);
    char claim[37], rid[37];
    th_uuid(claim);
    th_uuid(rid);
    char exp[32];
    th_rfc3339(600, exp);
    char *b = th_create_body("T", "AAAA", "x", "RWD", exp, NULL, NULL);
    snprintf(url, sizeof url, "http://127.0.0.1:%u/v1/m", r2.port);
    hreq c = {.method = "POST", .path = url, .rid = rid, .claim = claim, .body = b};
    http_do(&r2, &c, &h);
    free(b);
    assert_int_equal(h.status, 200);
    char want[64];
    snprintf(want, sizeof want, "\"urlLink\":\"http://127.0.0.1:%u/v1/m/", r2.port);
    assert_non_null(strstr(h.body, want));
    hresp_free(&h);
    assert_int_equal(relay_stop(&r2), 0);
}

/* R2 (default https port 443) is a deployment property; what can be checked is that 443 is
 * the relay's documented default listen port. */
static void test_relay__R2_default_port_is_443(void **state)
{
    (void)state;
    char cmd[512];
    snprintf(cmd, sizeof cmd, "%s --help", RELAY_BIN);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    char buf[8192];
    size_t n = fread(buf, 1, sizeof buf - 1, p);
    buf[n] = '\0';
    assert_int_equal(pclose(p), 0);
    assert_non_null(strstr(buf, "[default: 0.0.0.0:443]"));
}

/* R3: the API lives under /v1/m; other prefixes are not it. */
static void test_relay__R3_version_prefix(void **state)
{
    (void)state;
    char claim[37], id[37];
    new_mailbox("RWD", claim, id);
    const char *bad[] = {"/v2/m", "/m", "/v1/mailbox", "/"};
    for (size_t i = 0; i < 4; i++) {
        hreq q = {.method = "POST", .path = bad[i], .claim = claim, .body = "{}"};
        hresp h;
        http_do(&g_r, &q, &h);
        assert_int_equal(h.status, 404);
        hresp_free(&h);
    }
    char path[128];
    snprintf(path, sizeof path, "/v2/m/%s", id);
    hreq q = {.method = "POST", .path = path, .claim = claim};
    hresp h;
    http_do(&g_r, &q, &h);
    assert_int_equal(h.status, 404);
    hresp_free(&h);
    assert_int_equal(th_read(&g_r, id, claim, NULL), 200);
}

/* R4: Create answers 200, application/json, urlLink (string), isPushNotificationSupported. */
static void test_relay__R4_create_response_schema(void **state)
{
    (void)state;
    char claim[37], rid[37];
    th_uuid(claim);
    th_uuid(rid);
    char *b = body_with("RWD", "AAAA");
    hreq q = {.method = "POST", .path = "/v1/m", .rid = rid, .claim = claim, .body = b};
    hresp h;
    http_do(&g_r, &q, &h);
    free(b);
    assert_int_equal(h.status, 200);
    assert_string_equal(h.ctype, "application/json");
    assert_non_null(strstr(h.body, "\"urlLink\":\""));
    assert_true(strstr(h.body, "\"isPushNotificationSupported\":false") != NULL ||
                strstr(h.body, "\"isPushNotificationSupported\":true") != NULL);
    hresp_free(&h);
}

static bool is_v4(const char *id)
{
    if (strlen(id) != 36 || id[14] != '4')
        return false;
    return strchr("89ab", id[19]) != NULL;
}

/* R5: N creates -> N distinct v4 UUIDs; a client-supplied mailboxIdentifier is ignored. */
static void test_relay__R5_relay_generated_v4_ids(void **state)
{
    (void)state;
    enum { N = 25 };
    char ids[N][37];
    for (int i = 0; i < N; i++) {
        char claim[37];
        th_uuid(claim);
        char *b = body_with("RD", "AAAA");
        if (i == 0) {   /* try to choose the ID */
            char *b2 = malloc(strlen(b) + 100);
            sprintf(b2, "{\"mailboxIdentifier\":\"00000000-0000-4000-8000-000000000000\",%s",
                    b + 1);
            free(b);
            b = b2;
        }
        assert_int_equal(th_create(&g_r, claim, b, ids[i]), 200);
        free(b);
        assert_true(is_v4(ids[i]));
        assert_string_not_equal(ids[i], "00000000-0000-4000-8000-000000000000");
        for (int j = 0; j < i; j++)
            assert_string_not_equal(ids[i], ids[j]);
    }
}

/* R6: urlLink is https://<public host>/v1/m/{id} and that path is the mailbox. */
static void test_relay__R6_urllink_https_path(void **state)
{
    (void)state;
    char claim[37], rid[37];
    th_uuid(claim);
    th_uuid(rid);
    char *b = body_with("RWD", "AAAA");
    hreq q = {.method = "POST", .path = "/v1/m", .rid = rid, .claim = claim, .body = b};
    hresp h;
    http_do(&g_r, &q, &h);
    char prefix[128];
    snprintf(prefix, sizeof prefix, "\"urlLink\":\"https://127.0.0.1:%u/v1/m/", g_r.port);
    const char *p = strstr(h.body, prefix);
    assert_non_null(p);
    char id[37];
    memcpy(id, p + strlen(prefix), 36);
    id[36] = '\0';
    assert_true(is_v4(id));
    assert_int_equal(p[strlen(prefix) + 36], '"');
    assert_int_equal(th_read(&g_r, id, claim, NULL), 200);
    hresp_free(&h);
    free(b);
}

/* R7: unparsable JSON or a missing required field -> 400, and no mailbox is created. */
static void test_relay__R7_missing_fields_400(void **state)
{
    (void)state;
    char exp[32];
    th_rfc3339(3600, exp);
    const char *P = "\"payload\":{\"type\":\"T\",\"data\":\"AAAA\"}";
    const char *D = "\"displayInformation\":{\"title\":\"t\",\"description\":\"d\","
                    "\"imageURL\":\"https://i.example/x.png\"}";
    char bodies[9][512];
    snprintf(bodies[0], 512, "{%s}", D);                                      /* payload */
    snprintf(bodies[1], 512, "{\"payload\":{\"data\":\"AAAA\"},%s}", D);      /* payload.type */
    snprintf(bodies[2], 512, "{\"payload\":{\"type\":\"T\"},%s}", D);         /* payload.data */
    snprintf(bodies[3], 512, "{%s}", P);                                      /* display */
    snprintf(bodies[4], 512, "{%s,\"displayInformation\":{\"description\":\"d\","
             "\"imageURL\":\"https://i.example/x.png\"}}", P);                /* title */
    snprintf(bodies[5], 512, "{%s,\"displayInformation\":{\"title\":\"t\","
             "\"imageURL\":\"https://i.example/x.png\"}}", P);                /* description */
    snprintf(bodies[6], 512, "{%s,\"displayInformation\":{\"title\":\"t\","
             "\"description\":\"d\"}}", P);                                   /* imageURL */
    snprintf(bodies[7], 512, "{%s,%s", P, D);                                 /* unparsable */
    snprintf(bodies[8], 512, "{%s,%s,\"mailboxConfiguration\":{\"accessRights\":\"RD\"}}", P,
             D);                                                              /* expiration */
    long before = live();
    for (int i = 0; i < 9; i++) {
        char claim[37];
        th_uuid(claim);
        char id[37];
        long st = th_create(&g_r, claim, bodies[i], id);
        if (st != 400)
            fail_msg("body %d: status %ld", i, st);
    }
    assert_int_equal(live(), before);
}

/* R8: a malformed or missing Device Claim -> 401; nothing created. */
static void test_relay__R8_invalid_claim_401(void **state)
{
    (void)state;
    const char *claims[] = {"not-a-uuid", "", "12345678-1234-4234-8234-12345678901",
                            "12345678-1234-4234-8234-1234567890123",
                            "1234567g-1234-4234-8234-123456789012", NULL};
    char *b = body_with("RWD", "AAAA");
    long before = live();
    for (size_t i = 0; i < sizeof claims / sizeof claims[0]; i++) {
        char rid[37];
        th_uuid(rid);
        hreq q = {.method = "POST", .path = "/v1/m", .rid = rid, .claim = claims[i], .body = b};
        hresp h;
        http_do(&g_r, &q, &h);
        if (h.status != 401)
            fail_msg("claim %zu: status %ld", i, h.status);
        assert_non_null(strstr(h.body, "\"error\":"));
        hresp_free(&h);
    }
    assert_int_equal(live(), before);
    free(b);
}

/* R9: policy "require" refuses a Create without attestation (401); policy "none" accepts it. */
static void test_relay__R9_attestation_policy(void **state)
{
    (void)state;
    relay_proc r2 = {0};
    const char *extra[] = {"--attestation", "require", "--rate-limit", "0", NULL};
    assert_int_equal(relay_start(&r2, "attest.db", extra), 0);
    char claim[37], rid[37], id[37];
    th_uuid(claim);
    char *b = body_with("RWD", "AAAA");
    assert_int_equal(th_create(&r2, claim, b, id), 401);
    th_uuid(rid);
    hreq q = {.method = "POST", .path = "/v1/m", .rid = rid, .claim = claim, .body = b,
              .attest = "opaque-oem-attestation-blob"};
    hresp h;
    http_do(&r2, &q, &h);
    assert_int_equal(h.status, 200);
    hresp_free(&h);
    assert_false(th_file_contains(r2.log_path, "opaque-oem-attestation-blob"));
    assert_int_equal(relay_stop(&r2), 0);
    /* The main relay runs with the default policy "none": no header is fine. */
    th_uuid(claim);
    long st = th_create(&g_r, claim, b, id);
    free(b);
    assert_int_equal(st, 200);
}

static void expect_echo(const char *what, const char *method, const char *path,
                        const char *claim, const char *body, long want)
{
    char rid[37];
    th_uuid(rid);
    hreq q = {.method = method, .path = path, .rid = rid, .claim = claim, .body = body};
    hresp h;
    http_do(&g_r, &q, &h);
    if (h.status != want)
        fail_msg("%s: status %ld, expected %ld", what, h.status, want);
    if (!h.has_rid || strcmp(h.rid, rid) != 0)
        fail_msg("%s: Mailbox-Request-ID not echoed", what);
    hresp_free(&h);
}

/* R10: every response to a request bearing Mailbox-Request-ID echoes it, success and error. */
static void test_relay__R10_request_id_echo(void **state)
{
    (void)state;
    char ini[37], rec[37], other[37], id[37], path[128], missing[128];
    new_mailbox("RWD", ini, id);
    th_uuid(rec);
    th_uuid(other);
    snprintf(path, sizeof path, "/v1/m/%s", id);
    snprintf(missing, sizeof missing, "/v1/m/%s", other);
    char *b = body_with("RWD", "AAAA");
    const char *upd = "{\"payload\":{\"type\":\"T\",\"data\":\"BBBB\"}}";
    expect_echo("create 200", "POST", "/v1/m", other, b, 200);
    expect_echo("create 400", "POST", "/v1/m", other, "{", 400);
    expect_echo("create 401", "POST", "/v1/m", "bad", b, 401);
    expect_echo("create 405", "GET", "/v1/m", NULL, NULL, 405);
    expect_echo("read 200", "POST", path, rec, NULL, 200);
    expect_echo("read 401", "POST", path, other, NULL, 401);
    expect_echo("read 404", "POST", missing, rec, NULL, 404);
    expect_echo("update 200", "PUT", path, ini, upd, 200);
    expect_echo("update 400", "PUT", path, ini, "[]", 400);
    expect_echo("update 401", "PUT", path, other, upd, 401);
    expect_echo("preview 200", "GET", path, NULL, NULL, 200);
    expect_echo("preview 404", "GET", missing, NULL, NULL, 404);
    expect_echo("head 200", "HEAD", path, NULL, NULL, 200);
    expect_echo("relinquish 401", "PATCH", path, other, NULL, 401);
    expect_echo("relinquish 200", "PATCH", path, rec, NULL, 200);
    expect_echo("delete 401", "DELETE", path, other, NULL, 401);
    expect_echo("delete 200", "DELETE", path, ini, NULL, 200);
    expect_echo("delete 404", "DELETE", path, ini, NULL, 404);
    expect_echo("other 404", "GET", "/nothing", NULL, NULL, 404);
    free(b);
}

/* R11: the same Create (claim + Request-ID) again -> 201 with the original body; one mailbox. */
static void test_relay__R11_duplicate_create_201(void **state)
{
    (void)state;
    char claim[37], rid[37];
    th_uuid(claim);
    th_uuid(rid);
    char *b = body_with("RWD", "AAAA");
    hreq q = {.method = "POST", .path = "/v1/m", .rid = rid, .claim = claim, .body = b};
    hresp h1, h2;
    long before = live();
    http_do(&g_r, &q, &h1);
    assert_int_equal(h1.status, 200);
    http_do(&g_r, &q, &h2);
    free(b);
    assert_int_equal(h2.status, 201);
    assert_string_equal(h1.body, h2.body);         /* the same urlLink */
    assert_int_equal(live(), before + 1);
    hresp_free(&h1);
    hresp_free(&h2);
}

/* R11 (docs/protocol.md D2): the Request-ID decides, not the body: a repeat of the last Create
 * with another body gets the first answer too and changes nothing. The same holds when the
 * creation quota is used up (test_limits__R11_replay_at_quota_is_answered). */
static void test_relay__R11_repeat_with_other_body_gets_first_answer(void **state)
{
    (void)state;
    char claim[37], rid[37], id[37];
    th_uuid(claim);
    th_uuid(rid);
    char *b1 = body_with("RWD", "AAAA"), *b2 = body_with("RD", "BBBB");
    hreq q = {.method = "POST", .path = "/v1/m", .rid = rid, .claim = claim, .body = b1};
    hresp h1, h2;
    long before = live();
    http_do(&g_r, &q, &h1);
    assert_int_equal(h1.status, 200);
    q.body = b2;
    http_do(&g_r, &q, &h2);
    assert_int_equal(h2.status, 201);
    assert_string_equal(h1.body, h2.body);
    assert_int_equal(live(), before + 1);
    const char *link = strstr(h1.body, "/v1/m/");
    assert_non_null(link);
    snprintf(id, sizeof id, "%.36s", link + 6);
    hresp_free(&h1);
    hresp_free(&h2);
    assert_int_equal(th_read(&g_r, id, claim, &h1), 200);
    assert_non_null(strstr(h1.body, "\"data\":\"AAAA\""));
    hresp_free(&h1);
    free(b1);
    free(b2);
}

/* R12: the same Update again -> 201 and the payload is not overwritten by the repeat. */
static void test_relay__R12_duplicate_update_201(void **state)
{
    (void)state;
    char ini[37], id[37], rid[37];
    new_mailbox("RWD", ini, id);
    th_uuid(rid);
    assert_int_equal(th_update(&g_r, id, ini, rid, "{\"payload\":{\"type\":\"T\",\"data\":\"QUFB\"}}"),
                     200);
    assert_int_equal(th_update(&g_r, id, ini, rid, "{\"payload\":{\"type\":\"T\",\"data\":\"QkJC\"}}"),
                     201);
    hresp h;
    assert_int_equal(th_read(&g_r, id, ini, &h), 200);
    assert_non_null(strstr(h.body, "\"data\":\"QUFB\""));
    hresp_free(&h);
}

/* R13: the same Relinquish again -> 201 and no further state change. */
static void test_relay__R13_duplicate_relinquish_201(void **state)
{
    (void)state;
    char ini[37], id[37], rec[37], rec2[37], rid[37];
    new_mailbox("RWD", ini, id);
    th_uuid(rec);
    th_uuid(rec2);
    th_uuid(rid);
    assert_int_equal(th_read(&g_r, id, rec, NULL), 200);
    assert_int_equal(req("PATCH", id, rec, rid, NULL, NULL), 200);
    assert_int_equal(th_read(&g_r, id, rec2, NULL), 200);      /* a new recipient binds */
    assert_int_equal(req("PATCH", id, rec, rid, NULL, NULL), 201);
    assert_int_equal(th_read(&g_r, id, rec2, NULL), 200);      /* still bound */
    assert_int_equal(th_read(&g_r, id, rec, NULL), 401);
}

/* R14: duplicate detection is per claim: the same Request-ID from another claim is processed. */
static void test_relay__R14_dedupe_keyed_by_claim(void **state)
{
    (void)state;
    char c1[37], c2[37], rid[37];
    th_uuid(c1);
    th_uuid(c2);
    th_uuid(rid);
    char *b = body_with("RWD", "AAAA");
    hreq q1 = {.method = "POST", .path = "/v1/m", .rid = rid, .claim = c1, .body = b};
    hreq q2 = {.method = "POST", .path = "/v1/m", .rid = rid, .claim = c2, .body = b};
    hresp h1, h2;
    http_do(&g_r, &q1, &h1);
    http_do(&g_r, &q2, &h2);
    free(b);
    assert_int_equal(h1.status, 200);
    assert_int_equal(h2.status, 200);
    assert_string_not_equal(h1.body, h2.body);
    hresp_free(&h1);
    hresp_free(&h2);
}

static int64_t parse_exp(const char *body)
{
    const char *p = strstr(body, "\"expiration\":\"");
    if (p == NULL)
        return -1;
    struct tm tm = {0};
    if (sscanf(p + 14, "%4d-%2d-%2dT%2d:%2d:%2dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
               &tm.tm_hour, &tm.tm_min, &tm.tm_sec) != 6)
        return -1;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return (int64_t)timegm(&tm);
}

/* R15: no mailboxConfiguration -> relay default: rights RD, an expiration (now + 24 h). */
static void test_relay__R15_default_configuration(void **state)
{
    (void)state;
    char claim[37], id[37];
    th_uuid(claim);
    char *b = th_create_body("T", "AAAA", "x", NULL, NULL, NULL, NULL);
    long st = th_create(&g_r, claim, b, id);
    free(b);
    assert_int_equal(st, 200);
    hresp h;
    assert_int_equal(th_read(&g_r, id, claim, &h), 200);
    int64_t exp = parse_exp(h.body), now = (int64_t)time(NULL);
    hresp_free(&h);
    assert_true(exp > now + 86400 - 300 && exp <= now + 86400 + 5);
    /* Default rights "RD": no W. */
    assert_int_equal(th_update(&g_r, id, claim, NULL, "{\"payload\":{\"type\":\"T\",\"data\":\"AA\"}}"),
                     401);
    assert_int_equal(req("DELETE", id, claim, "del-1", NULL, NULL), 200);
}

/* R16: accessRights apply: without W no Update, without D no Delete, without R no read. */
static void test_relay__R16_access_rights(void **state)
{
    (void)state;
    char ini[37], id[37], rec[37];
    const char *upd = "{\"payload\":{\"type\":\"T\",\"data\":\"AA\"}}";
    new_mailbox("RD", ini, id);
    assert_int_equal(th_update(&g_r, id, ini, NULL, upd), 401);
    new_mailbox("RW", ini, id);
    th_uuid(rec);
    assert_int_equal(th_read(&g_r, id, rec, NULL), 200);
    assert_int_equal(req("DELETE", id, ini, "d-rw-1", NULL, NULL), 401);
    assert_int_equal(req("DELETE", id, rec, "d-rw-2", NULL, NULL), 401);
    assert_int_equal(th_update(&g_r, id, rec, NULL, upd), 200);
    new_mailbox("WD", ini, id);
    assert_int_equal(th_read(&g_r, id, ini, NULL), 401);
    assert_int_equal(req("DELETE", id, ini, "d-wd-1", NULL, NULL), 200);
}

/* R17: expiration in YYYY-MM-DDThh:mm:ssZ is accepted; anything malformed, past or beyond
 * --max-expiry (86400 here) is 400. */
static void test_relay__R17_expiration_format(void **state)
{
    (void)state;
    char ok[32], past[32], far[32];
    th_rfc3339(600, ok);
    th_rfc3339(-60, past);
    th_rfc3339(86400 + 3600, far);
    char cut[32];
    snprintf(cut, sizeof cut, "%.19s", ok);
    const char *bad[] = {"tomorrow", "2026-13-01T00:00:00Z", "2026-02-30T00:00:00Z",
                         cut /* no Z */, "2026-11-24 10:00:00Z", "2026-11-24T10:00:00+01:00",
                         "", past, far};
    char claim[37], id[37];
    th_uuid(claim);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *b = th_create_body("T", "AAAA", "x", "RWD", bad[i], NULL, NULL);
        long st = th_create(&g_r, claim, b, id);
        free(b);
        if (st != 400)
            fail_msg("expiration '%s': status %ld", bad[i], st);
    }
    char *b = th_create_body("T", "AAAA", "x", "RWD", ok, NULL, NULL);
    long st = th_create(&g_r, claim, b, id);
    free(b);
    assert_int_equal(st, 200);
    hresp h;
    assert_int_equal(th_read(&g_r, id, claim, &h), 200);
    char want[64];
    snprintf(want, sizeof want, "\"expiration\":\"%s\"", ok);
    assert_non_null(strstr(h.body, want));
    hresp_free(&h);
}

/* R18: after its expiration a mailbox is gone for every method (404), swept or not. */
static void test_relay__R18_expiry_then_404(void **state)
{
    (void)state;
    char ini[37], rec[37], id[37], exp[32];
    th_uuid(ini);
    th_uuid(rec);
    /* An expiration a few seconds ahead; on a machine so loaded (or under valgrind) that the
     * Create took longer than that, the relay rightly refused a past expiration: try again with
     * a longer lead instead of failing. */
    long st = 0;
    int64_t expires = 0;
    for (long lead = 3; lead <= 96; lead *= 2) {
        int64_t sent = (int64_t)time(NULL);
        expires = sent + lead;
        th_rfc3339(lead, exp);
        char *b = th_create_body("T", "AAAA", "x", "RWD", exp, NULL, NULL);
        st = th_create(&g_r, ini, b, id);
        free(b);
        if (st == 200 || (int64_t)time(NULL) < sent + lead - 1)
            break;
    }
    assert_int_equal(st, 200);
    while ((int64_t)time(NULL) <= expires + 1)     /* past the expiration, at second precision */
        sleep(1);
    const char *upd = "{\"payload\":{\"type\":\"T\",\"data\":\"AA\"}}";
    assert_int_equal(req("GET", id, NULL, NULL, NULL, NULL), 404);
    assert_int_equal(req("HEAD", id, NULL, NULL, NULL, NULL), 404);
    assert_int_equal(req("POST", id, ini, NULL, NULL, NULL), 404);
    assert_int_equal(req("POST", id, rec, NULL, NULL, NULL), 404);
    assert_int_equal(req("PUT", id, ini, "e-1", upd, NULL), 404);
    assert_int_equal(req("PATCH", id, rec, "e-2", NULL, NULL), 404);
    assert_int_equal(req("DELETE", id, ini, "e-3", NULL, NULL), 404);
}

/* R19: the read returns the stored payload byte for byte, displayInformation and expiration. */
static void test_relay__R19_read_round_trip(void **state)
{
    (void)state;
    char claim[37], id[37], exp[32];
    th_uuid(claim);
    th_rfc3339(7200, exp);
    char *b = th_create_body("AEAD_AES_256_GCM", "3q2+7w==", "Caf\xc3\xa9 \\u00e9 key", "RWD",
                             exp, NULL, NULL);
    long st = th_create(&g_r, claim, b, id);
    free(b);
    assert_int_equal(st, 200);
    hresp h;
    assert_int_equal(th_read(&g_r, id, claim, &h), 200);
    assert_string_equal(h.ctype, "application/json");
    assert_non_null(strstr(h.body, "\"payload\":{\"type\":\"AEAD_AES_256_GCM\",\"data\":\"3q2+7w==\"}"));
    assert_non_null(strstr(h.body, "\"displayInformation\":{\"title\":\"Caf\xc3\xa9 \xc3\xa9 key\""));
    assert_non_null(strstr(h.body, "\"imageURL\":\"https://img.example.com/key.png\""));
    char want[64];
    snprintf(want, sizeof want, "\"expiration\":\"%s\"", exp);
    assert_non_null(strstr(h.body, want));
    hresp_free(&h);
}

/* R20: the first read by a new claim binds it as Recipient. */
static void test_relay__R20_first_read_binds(void **state)
{
    (void)state;
    char ini[37], id[37], rec[37], late[37];
    new_mailbox("RWD", ini, id);
    th_uuid(rec);
    th_uuid(late);
    assert_int_equal(th_read(&g_r, id, rec, NULL), 200);
    assert_int_equal(th_read(&g_r, id, rec, NULL), 200);
    assert_int_equal(th_read(&g_r, id, late, NULL), 401);
}

/* R21: after binding, a third claim gets 401 on read, update, delete and relinquish. */
static void test_relay__R21_third_claim_401(void **state)
{
    (void)state;
    char ini[37], id[37], rec[37], third[37];
    new_mailbox("RWD", ini, id);
    th_uuid(rec);
    th_uuid(third);
    assert_int_equal(th_read(&g_r, id, rec, NULL), 200);
    assert_int_equal(th_read(&g_r, id, third, NULL), 401);
    assert_int_equal(th_update(&g_r, id, third, NULL, "{\"payload\":{\"type\":\"T\",\"data\":\"AA\"}}"),
                     401);
    assert_int_equal(req("DELETE", id, third, "t-1", NULL, NULL), 401);
    assert_int_equal(req("PATCH", id, third, "t-2", NULL, NULL), 401);
    assert_int_equal(th_read(&g_r, id, rec, NULL), 200);
}

/* R22: the Initiator reads and updates before and after binding, and deletes. */
static void test_relay__R22_initiator_access(void **state)
{
    (void)state;
    char ini[37], id[37], rec[37];
    const char *upd = "{\"payload\":{\"type\":\"T\",\"data\":\"AA\"}}";
    new_mailbox("RWD", ini, id);
    th_uuid(rec);
    assert_int_equal(th_read(&g_r, id, ini, NULL), 200);
    assert_int_equal(th_update(&g_r, id, ini, NULL, upd), 200);
    assert_int_equal(th_read(&g_r, id, rec, NULL), 200);      /* the Initiator did not bind */
    assert_int_equal(th_read(&g_r, id, ini, NULL), 200);
    assert_int_equal(th_update(&g_r, id, ini, NULL, upd), 200);
    assert_int_equal(req("DELETE", id, ini, "i-del", NULL, NULL), 200);
}

/* R23: Update by either party -> 200 with isPushNotificationSupported; payload replaced. */
static void test_relay__R23_update_replaces_payload(void **state)
{
    (void)state;
    char ini[37], id[37], rec[37];
    new_mailbox("RWD", ini, id);
    th_uuid(rec);
    assert_int_equal(th_read(&g_r, id, rec, NULL), 200);
    hresp h;
    assert_int_equal(req("PUT", id, rec, "u23-1", "{\"payload\":{\"type\":\"T\",\"data\":\"UkVD\"}}",
                         &h), 200);
    assert_non_null(strstr(h.body, "\"isPushNotificationSupported\":"));
    hresp_free(&h);
    assert_int_equal(th_read(&g_r, id, ini, &h), 200);
    assert_non_null(strstr(h.body, "\"data\":\"UkVD\""));
    hresp_free(&h);
    assert_int_equal(req("PUT", id, ini, "u23-2", "{\"payload\":{\"type\":\"T\",\"data\":\"SU5J\"}}",
                         &h), 200);
    assert_non_null(strstr(h.body, "\"isPushNotificationSupported\":"));
    hresp_free(&h);
    assert_int_equal(th_read(&g_r, id, rec, &h), 200);
    assert_non_null(strstr(h.body, "\"data\":\"SU5J\""));
    hresp_free(&h);
}

/* R24: Update by an unknown claim 401, on an unknown mailbox 404, with a bad body 400. */
static void test_relay__R24_update_errors(void **state)
{
    (void)state;
    char ini[37], id[37], other[37], none[37];
    const char *upd = "{\"payload\":{\"type\":\"T\",\"data\":\"AA\"}}";
    new_mailbox("RWD", ini, id);
    th_uuid(other);
    th_uuid(none);
    assert_int_equal(th_update(&g_r, id, other, NULL, upd), 401);
    assert_int_equal(th_update(&g_r, none, ini, NULL, upd), 404);
    assert_int_equal(th_update(&g_r, id, ini, NULL, "{\"payload\":1}"), 400);
    assert_int_equal(th_update(&g_r, id, ini, NULL, "{}"), 400);
    assert_int_equal(th_update(&g_r, id, ini, NULL, "not json"), 400);
}

/* R25: the same party may update twice in a row. */
static void test_relay__R25_back_to_back_updates(void **state)
{
    (void)state;
    char ini[37], id[37];
    new_mailbox("RWD", ini, id);
    assert_int_equal(th_update(&g_r, id, ini, NULL, "{\"payload\":{\"type\":\"T\",\"data\":\"MQ==\"}}"),
                     200);
    assert_int_equal(th_update(&g_r, id, ini, NULL, "{\"payload\":{\"type\":\"T\",\"data\":\"Mg==\"}}"),
                     200);
}

/* R26: unlimited round trips: 12 alternating updates, each seen by the other party. */
static void test_relay__R26_many_round_trips(void **state)
{
    (void)state;
    char ini[37], id[37], rec[37];
    new_mailbox("RWD", ini, id);
    th_uuid(rec);
    assert_int_equal(th_read(&g_r, id, rec, NULL), 200);
    for (int i = 0; i < 12; i++) {
        const char *writer = i % 2 ? ini : rec, *reader = i % 2 ? rec : ini;
        char body[128], want[64];
        snprintf(body, sizeof body, "{\"payload\":{\"type\":\"T\",\"data\":\"round%02d\"}}", i);
        snprintf(want, sizeof want, "\"data\":\"round%02d\"", i);
        assert_int_equal(th_update(&g_r, id, writer, NULL, body), 200);
        hresp h;
        assert_int_equal(th_read(&g_r, id, reader, &h), 200);
        assert_non_null(strstr(h.body, want));
        hresp_free(&h);
    }
}

/* R27: Delete by Initiator or bound Recipient -> 200; then everything 404; delete again 404. */
static void test_relay__R27_delete_then_404(void **state)
{
    (void)state;
    char ini[37], id[37], rec[37];
    new_mailbox("RWD", ini, id);
    th_uuid(rec);
    assert_int_equal(th_read(&g_r, id, rec, NULL), 200);
    assert_int_equal(req("DELETE", id, rec, "d27-1", NULL, NULL), 200);
    assert_int_equal(req("GET", id, NULL, NULL, NULL, NULL), 404);
    assert_int_equal(th_read(&g_r, id, ini, NULL), 404);
    assert_int_equal(th_read(&g_r, id, rec, NULL), 404);
    assert_int_equal(th_update(&g_r, id, ini, NULL, "{\"payload\":{\"type\":\"T\",\"data\":\"AA\"}}"),
                     404);
    assert_int_equal(req("PATCH", id, rec, "d27-2", NULL, NULL), 404);
    assert_int_equal(req("DELETE", id, ini, "d27-3", NULL, NULL), 404);
    new_mailbox("RWD", ini, id);                     /* and by the Initiator */
    assert_int_equal(req("DELETE", id, ini, "d27-4", NULL, NULL), 200);
    assert_int_equal(th_read(&g_r, id, ini, NULL), 404);
}

/* R28: Delete with a wrong claim -> 401 and the mailbox survives. */
static void test_relay__R28_delete_wrong_claim(void **state)
{
    (void)state;
    char ini[37], id[37], other[37];
    new_mailbox("RWD", ini, id);
    th_uuid(other);
    assert_int_equal(req("DELETE", id, other, "d28-1", NULL, NULL), 401);
    assert_int_equal(th_read(&g_r, id, ini, NULL), 200);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_relay__R1_plain_http_refused),
        cmocka_unit_test(test_relay__R2_default_port_is_443),
        cmocka_unit_test(test_relay__R3_version_prefix),
        cmocka_unit_test(test_relay__R4_create_response_schema),
        cmocka_unit_test(test_relay__R5_relay_generated_v4_ids),
        cmocka_unit_test(test_relay__R6_urllink_https_path),
        cmocka_unit_test(test_relay__R7_missing_fields_400),
        cmocka_unit_test(test_relay__R8_invalid_claim_401),
        cmocka_unit_test(test_relay__R9_attestation_policy),
        cmocka_unit_test(test_relay__R10_request_id_echo),
        cmocka_unit_test(test_relay__R11_duplicate_create_201),
        cmocka_unit_test(test_relay__R11_repeat_with_other_body_gets_first_answer),
        cmocka_unit_test(test_relay__R12_duplicate_update_201),
        cmocka_unit_test(test_relay__R13_duplicate_relinquish_201),
        cmocka_unit_test(test_relay__R14_dedupe_keyed_by_claim),
        cmocka_unit_test(test_relay__R15_default_configuration),
        cmocka_unit_test(test_relay__R16_access_rights),
        cmocka_unit_test(test_relay__R17_expiration_format),
        cmocka_unit_test(test_relay__R18_expiry_then_404),
        cmocka_unit_test(test_relay__R19_read_round_trip),
        cmocka_unit_test(test_relay__R20_first_read_binds),
        cmocka_unit_test(test_relay__R21_third_claim_401),
        cmocka_unit_test(test_relay__R22_initiator_access),
        cmocka_unit_test(test_relay__R23_update_replaces_payload),
        cmocka_unit_test(test_relay__R24_update_errors),
        cmocka_unit_test(test_relay__R25_back_to_back_updates),
        cmocka_unit_test(test_relay__R26_many_round_trips),
        cmocka_unit_test(test_relay__R27_delete_then_404),
        cmocka_unit_test(test_relay__R28_delete_wrong_claim),
    };
    return cmocka_run_group_tests_name("relay conformance R1-R28", tests, group_setup,
                                       group_teardown);
}
