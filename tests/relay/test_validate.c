/*
 * tests/relay/test_validate.c: unit tests of relay/validate.c (the relay's request-body parser),
 * plus a deterministic mutation loop that feeds thousands of damaged bodies through it: under
 * SAN=1 or valgrind this is the parser's robustness check (no crash, no leak, no acceptance of
 * a body that lost a required member).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "relay.h"

static const int64_t NOW = 1795000000;    /* 2026-11-18T... UTC */

static void test_validate__uuid(void **state)
{
    (void)state;
    assert_true(relay_is_uuid("0f8fad5b-d9cb-469f-a165-70867728950e"));
    assert_true(relay_is_uuid("0F8FAD5B-D9CB-469F-A165-70867728950E"));
    assert_false(relay_is_uuid("0f8fad5b-d9cb-469f-a165-70867728950"));
    assert_false(relay_is_uuid("0f8fad5b-d9cb-469f-a165-70867728950e0"));
    assert_false(relay_is_uuid("0f8fad5bxd9cb-469f-a165-70867728950e"));
    assert_false(relay_is_uuid("0f8fad5b-d9cb-469f-a165-70867728950g"));
    assert_false(relay_is_uuid(""));
    assert_false(relay_is_uuid(NULL));
    char out[37];
    relay_lower_uuid("0F8FAD5B-D9CB-469F-A165-70867728950E", out);
    assert_string_equal(out, "0f8fad5b-d9cb-469f-a165-70867728950e");
}

static void test_validate__utf8(void **state)
{
    (void)state;
    assert_true(relay_utf8_valid("plain", 5));
    assert_true(relay_utf8_valid("caf\xc3\xa9", 5));
    assert_true(relay_utf8_valid("\xf0\x9f\x94\x91", 4));             /* U+1F511 */
    assert_false(relay_utf8_valid("\xc3", 1));                        /* truncated */
    assert_false(relay_utf8_valid("\xc0\xaf", 2));                    /* overlong */
    assert_false(relay_utf8_valid("\xed\xa0\x80", 3));                /* surrogate */
    assert_false(relay_utf8_valid("\xf4\x90\x80\x80", 4));            /* > U+10FFFF */
    assert_false(relay_utf8_valid("\xff", 1));
}

static void test_validate__rfc3339_round_trip(void **state)
{
    (void)state;
    int64_t t;
    assert_true(relay_parse_rfc3339("2024-02-29T23:59:59Z", &t));
    char out[21];
    relay_format_rfc3339(t, out);
    assert_string_equal(out, "2024-02-29T23:59:59Z");
    assert_true(relay_parse_rfc3339("1970-01-01T00:00:00Z", &t));
    assert_int_equal(t, 0);
    assert_true(relay_parse_rfc3339("2026-11-23T12:00:00.123Z", &t));
    relay_format_rfc3339(t, out);
    assert_string_equal(out, "2026-11-23T12:00:00Z");
    const char *bad[] = {"2023-02-29T00:00:00Z", "2026-00-10T00:00:00Z", "2026-11-31T00:00:00Z",
                         "2026-11-23T24:00:00Z", "2026-11-23T12:60:00Z", "2026-11-23T12:00:60Z",
                         "2026-11-23T12:00:00", "2026-11-23T12:00:00+00:00", "2026-11-23 12:00:00Z",
                         "2026-11-23T12:00:00.Z", "2026-11-23T12:00:00Zjunk", "26-11-23T12:00:00Z",
                         "2026-11-23t12:00:00Z", ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (relay_parse_rfc3339(bad[i], &t))
            fail_msg("accepted %s", bad[i]);
}

static const char GOOD[] =
    "{\"payload\":{\"type\":\"AEAD_AES_128_GCM\",\"data\":\"AAEC\",\"extra\":1},"
    "\"displayInformation\":{\"title\":\"Hotel\",\"description\":\"Room 12\","
    "\"imageURL\":\"https://example.com/i.png\"},"
    "\"notificationToken\":{\"type\":\"webpush\",\"tokenData\":\"https://push.example/s/1\"},"
    "\"mailboxConfiguration\":{\"accessRights\":\"DWR\",\"expiration\":\"2026-11-19T00:00:00Z\"}}";

static void test_validate__create_good(void **state)
{
    (void)state;
    create_request cr;
    assert_null(validate_create(GOOD, strlen(GOOD), NOW, 7 * 86400, 86400, &cr));
    assert_string_equal(cr.payload_json,
                        "{\"type\":\"AEAD_AES_128_GCM\",\"data\":\"AAEC\",\"extra\":1}");
    assert_string_equal(cr.display_json, "{\"title\":\"Hotel\",\"description\":\"Room 12\","
                                          "\"imageURL\":\"https://example.com/i.png\"}");
    assert_string_equal(cr.token_json,
                        "{\"type\":\"webpush\",\"tokenData\":\"https://push.example/s/1\"}");
    assert_string_equal(cr.token_type, "webpush");
    assert_string_equal(cr.rights, "RWD");               /* canonical order */
    int64_t t;
    relay_parse_rfc3339("2026-11-19T00:00:00Z", &t);
    assert_int_equal(cr.expires_at, t);
    create_request_clear(&cr);
    /* No configuration: the relay default. */
    const char *min = "{\"payload\":{\"type\":\"T\",\"data\":\"\"},\"displayInformation\":"
                      "{\"title\":\"\",\"description\":\"\",\"imageURL\":\"\"}}";
    assert_null(validate_create(min, strlen(min), NOW, 7 * 86400, 86400, &cr));
    assert_string_equal(cr.rights, "RD");
    assert_int_equal(cr.expires_at, NOW + 86400);
    assert_null(cr.token_json);
    create_request_clear(&cr);
}

static void test_validate__read_and_update(void **state)
{
    (void)state;
    char *tok = NULL;
    assert_null(validate_read_body("", 0, &tok));
    assert_null(tok);
    assert_null(validate_read_body("  \n", 3, &tok));
    const char *rb = "{\"notificationToken\":{\"type\":\"com.google.fcm\",\"tokenData\":\"x\"},\"k\":2}";
    assert_null(validate_read_body(rb, strlen(rb), &tok));
    assert_string_equal(tok, "{\"type\":\"com.google.fcm\",\"tokenData\":\"x\"}");
    free(tok);
    assert_non_null(validate_read_body("{\"notificationToken\":[]}", 24, &tok));
    update_request ur;
    const char *ub = "{\"payload\":{\"type\":\"T\",\"data\":\"QQ==\"}}";
    assert_null(validate_update(ub, strlen(ub), &ur));
    assert_string_equal(ur.payload_json, "{\"type\":\"T\",\"data\":\"QQ==\"}");
    update_request_clear(&ur);
    assert_non_null(validate_update("{\"payload\":{}}", 14, &ur));
}

/* The Prefer header: only a preference named exactly "wait" (any case) counts. */
static void test_validate__prefer_wait(void **state)
{
    (void)state;
    assert_int_equal(relay_prefer_wait(NULL), 0);
    assert_int_equal(relay_prefer_wait(""), 0);
    assert_int_equal(relay_prefer_wait("wait=5"), 5);
    assert_int_equal(relay_prefer_wait("WAIT=7"), 7);
    assert_int_equal(relay_prefer_wait("Wait = 9"), 9);
    assert_int_equal(relay_prefer_wait("respond-async, wait=10"), 10);
    assert_int_equal(relay_prefer_wait("respond-async,wait=11;foo=bar"), 11);
    assert_int_equal(relay_prefer_wait("return=minimal; x=\"a,b\", wait=12"), 12);
    assert_int_equal(relay_prefer_wait("handling=lenient ,\twait=13 ; p"), 13);
    assert_int_equal(relay_prefer_wait("wait=3, wait=30"), 3);      /* the first one wins */
    assert_int_equal(relay_prefer_wait("wait=99999999999999999999"), 1000000000);
    /* Not the wait preference, or not delta-seconds. */
    assert_int_equal(relay_prefer_wait("nowait=5"), 0);
    assert_int_equal(relay_prefer_wait("x-wait=5"), 0);
    assert_int_equal(relay_prefer_wait("wait-for=5"), 0);
    assert_int_equal(relay_prefer_wait("waiting=5"), 0);
    assert_int_equal(relay_prefer_wait("return=minimal; wait=5"), 0);  /* a parameter */
    assert_int_equal(relay_prefer_wait("foo=\"wait=5\""), 0);
    assert_int_equal(relay_prefer_wait("foo=\"a\\\", wait=5\""), 0);
    assert_int_equal(relay_prefer_wait("wait"), 0);
    assert_int_equal(relay_prefer_wait("wait="), 0);
    assert_int_equal(relay_prefer_wait("wait=-5"), 0);
    assert_int_equal(relay_prefer_wait("wait=5s"), 0);
    assert_int_equal(relay_prefer_wait("wait=\"5\""), 0);
}

/* A \u0000 escape decodes to a NUL, which would cut the C string short: the relay would store
 * (and serve) a different value from the one sent. Any JSON string holding one is refused;
 * an escaped backslash followed by the text "u0000" is not a NUL and stays accepted. */
static void test_validate__nul_escape_refused(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "{\"payload\":{\"type\":\"T\",\"data\":\"AA\\u0000BB\"},\"displayInformation\":"
        "{\"title\":\"\",\"description\":\"\",\"imageURL\":\"\"}}",
        "{\"payload\":{\"type\":\"T\",\"data\":\"AA\"},\"displayInformation\":"
        "{\"title\":\"Hotel\\u0000evil\",\"description\":\"\",\"imageURL\":\"\"}}",
        "{\"payload\":{\"type\":\"T\",\"data\":\"AA\",\"x\\u0000\":1},\"displayInformation\":"
        "{\"title\":\"\",\"description\":\"\",\"imageURL\":\"\"}}",
        "{\"payload\":{\"type\":\"T\",\"data\":\"AA\",\"extra\":[\"\\u0000\"]},"
        "\"displayInformation\":{\"title\":\"\",\"description\":\"\",\"imageURL\":\"\"}}",
    };
    create_request cr;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *err = validate_create(bad[i], strlen(bad[i]), NOW, 7 * 86400, 86400, &cr);
        if (err == NULL) {
            create_request_clear(&cr);
            fail_msg("accepted a \\u0000 escape: %s", bad[i]);
        }
        assert_null(cr.payload_json);
    }
    update_request ur;
    const char *ub = "{\"payload\":{\"type\":\"T\\u0000\",\"data\":\"QQ==\"}}";
    assert_non_null(validate_update(ub, strlen(ub), &ur));
    char *tok = NULL;
    const char *rb = "{\"notificationToken\":{\"type\":\"x\",\"tokenData\":\"a\\u0000b\"}}";
    assert_non_null(validate_read_body(rb, strlen(rb), &tok));
    assert_null(tok);
    /* "\\u0000" in JSON is a backslash and the text u0000: kept as sent. */
    const char *ok = "{\"payload\":{\"type\":\"T\",\"data\":\"A\\\\u0000\"},\"displayInformation\":"
                     "{\"title\":\"\\u0001\\\\\\u0041\",\"description\":\"\",\"imageURL\":\"\"}}";
    assert_null(validate_create(ok, strlen(ok), NOW, 7 * 86400, 86400, &cr));
    assert_string_equal(cr.payload_json, "{\"type\":\"T\",\"data\":\"A\\\\u0000\"}");
    create_request_clear(&cr);
}

/* Thousands of damaged copies of a good body: each is either refused with a message or, if
 * accepted, still has every required member. A fixed seed keeps runs identical. */
static void test_validate__mutations(void **state)
{
    (void)state;
    uint32_t seed = 0x7169e55u;
    size_t n = strlen(GOOD);
    char buf[sizeof GOOD + 8];
    int refused = 0, accepted = 0;
    for (int round = 0; round < 20000; round++) {
        memcpy(buf, GOOD, n + 1);
        size_t len = n;
        int edits = 1 + round % 4;
        for (int e = 0; e < edits; e++) {
            seed = seed * 1103515245u + 12345u;
            size_t pos = (seed >> 8) % len;
            switch ((seed >> 4) % 4) {
            case 0: buf[pos] = (char)(seed >> 16); break;               /* replace */
            case 1: memmove(buf + pos, buf + pos + 1, len - pos); len--; break;   /* delete */
            case 2: len = pos; buf[len] = '\0'; break;                  /* truncate */
            default: buf[pos] = "{}[]\":,\\"[(seed >> 16) % 8]; break;  /* structure */
            }
            if (len == 0)
                break;
        }
        create_request cr;
        const char *err = validate_create(buf, len, NOW, 7 * 86400, 86400, &cr);
        if (err != NULL) {
            refused++;
            assert_null(cr.payload_json);
            continue;
        }
        accepted++;
        assert_non_null(cr.payload_json);
        assert_non_null(cr.display_json);
        assert_true(strlen(cr.rights) >= 1);
        assert_true(cr.expires_at > NOW && cr.expires_at <= NOW + 7 * 86400);
        create_request_clear(&cr);
    }
    assert_true(refused > 0);
    assert_true(accepted > 0);     /* edits inside string values keep the body valid */
}

/* Push target URLs (pushurl.c): one strict parse; anything two parsers could read differently
 * is refused, so what is checked is what is connected to. */
static void test_validate__push_url(void **state)
{
    (void)state;
    static const char *const good[] = {
        "https://push.example/s/1", "https://push.example", "https://push.example:8443/a?b=c",
        "https://[2001:4860::1]:443/x", "https://Push.Example/%41",
    };
    static const char *const bad[] = {
        "https://8.8.8.8:443@127.0.0.1:9/h", "https://8.8.8.8\\@127.0.0.1:9/",
        "https://u@push.example/", "https://:p@push.example/", "https://push.example/a#f",
        "http://push.example/", "HTTPS://push.example/", "https:///a", "https://push.example:0/",
        "https://push.example:99999/", "https://push.example/a/../b", "https://0x7f.1/",
        "https://2130706433/", "https://%31%32%37.0.0.1/", "https://push.example/a b",
        "https://push.example/\t", "https://push.example/\xc3\xa9", "https://[fe80::1%25eth0]/",
        "https://push.example/a?", "https://push.example:/a", "", "push.example/a",
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        if (!push_url_valid(good[i]))
            fail_msg("refused %s", good[i]);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (push_url_valid(bad[i]))
            fail_msg("accepted %s", bad[i]);
    push_target t;
    assert_true(push_url_parse("https://[2001:4860::1]/x", &t));
    assert_string_equal(t.host, "2001:4860::1");
    assert_int_equal(t.port, 443);
    push_target_free(&t);
    assert_true(push_url_parse("https://push.example:8443/x", &t));
    assert_string_equal(t.host, "push.example");
    assert_int_equal(t.port, 8443);
    push_target_free(&t);
    /* A Read carrying a webpush token with user info: refused. */
    char *tok = NULL;
    const char *rb = "{\"notificationToken\":{\"type\":\"webpush\",\"tokenData\":"
                     "\"https://8.8.8.8:443@127.0.0.1:9/h\"}}";
    assert_non_null(validate_read_body(rb, strlen(rb), &tok));
    assert_null(tok);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_validate__uuid),
        cmocka_unit_test(test_validate__utf8),
        cmocka_unit_test(test_validate__rfc3339_round_trip),
        cmocka_unit_test(test_validate__create_good),
        cmocka_unit_test(test_validate__read_and_update),
        cmocka_unit_test(test_validate__prefer_wait),
        cmocka_unit_test(test_validate__nul_escape_refused),
        cmocka_unit_test(test_validate__mutations),
        cmocka_unit_test(test_validate__push_url),
    };
    return cmocka_run_group_tests_name("relay request validation", tests, NULL, NULL);
}
