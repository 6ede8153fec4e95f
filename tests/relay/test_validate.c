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

#include <cjson/cJSON.h>

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
    /* The same at every offset of a longer ASCII run (the check reads 8 bytes at a time). */
    for (size_t off = 0; off < 20; off++) {
        char buf[32];
        memset(buf, 'a', sizeof buf);
        memcpy(buf + off, "\xc3\xa9", 2);
        assert_true(relay_utf8_valid(buf, sizeof buf));
        buf[off + 1] = 'a';                                           /* truncated */
        assert_false(relay_utf8_valid(buf, sizeof buf));
        buf[off] = '\xff';
        assert_false(relay_utf8_valid(buf, sizeof buf));
        assert_true(relay_utf8_valid(buf, off));                      /* before it: valid */
    }
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

/* The stored texts as the relay made them when it re-printed everything with cJSON: the
 * payload member printed unformatted, the display information rebuilt from its three strings
 * (R19: a reader gets back what was stored then, byte for byte). */
static char *reprinted_payload(const char *body, size_t len)
{
    cJSON *root = cJSON_ParseWithLength(body, len);
    char *text = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(root, "payload"));
    cJSON_Delete(root);
    return text;
}

static char *reprinted_display(const char *body, size_t len)
{
    static const char *const names[] = {"title", "description", "imageURL"};
    cJSON *root = cJSON_ParseWithLength(body, len);
    const cJSON *d = cJSON_GetObjectItemCaseSensitive(root, "displayInformation");
    cJSON *copy = cJSON_CreateObject();
    for (int i = 0; i < 3; i++)
        cJSON_AddStringToObject(copy, names[i],
                                cJSON_GetObjectItemCaseSensitive(d, names[i])->valuestring);
    char *text = cJSON_PrintUnformatted(copy);
    cJSON_Delete(copy);
    cJSON_Delete(root);
    return text;
}

/* An accepted body is stored exactly as the cJSON re-print stored it. */
static void assert_stored_as_reprinted(const char *body, size_t len, const create_request *cr)
{
    char *payload = reprinted_payload(body, len), *display = reprinted_display(body, len);
    assert_non_null(payload);
    assert_string_equal(cr->payload_json, payload);
    assert_string_equal(cr->display_json, display);
    free(payload);
    free(display);
}

/* The payload is kept as sent when that is what a re-print gives, and re-printed otherwise:
 * odd whitespace, escapes (\u, \/, short ones), nested objects and arrays, numbers,
 * duplicate and escaped keys, control bytes, a byte order mark. Whatever the form, the stored
 * payload and display information are what the cJSON re-print stored (R19). */
static void test_validate__stored_text_as_reprinted(void **state)
{
    (void)state;
    static const char *const bodies[] = {
        /* compact: kept as sent */
        "{\"payload\":{\"type\":\"T\",\"data\":\"QQ==\"},\"displayInformation\":"
        "{\"title\":\"a\",\"description\":\"b\",\"imageURL\":\"\"}}",
        "{\"displayInformation\":{\"imageURL\":\"\",\"description\":\"d\",\"title\":\"t\",\"x\":1},"
        "\"payload\":{\"type\":\"T\",\"data\":\"A\\\"B\\\\C\\nD\\tE\",\"o\":{\"a\":[true,false,null,{}],"
        "\"b\":[]},\"type\":\"dup\"}}",
        "{\"payload\":{\"type\":\"T\",\"data\":\"caf\xc3\xa9 \xf0\x9f\x94\x91\"},\"displayInformation\":"
        "{\"title\":\"\",\"description\":\"\",\"imageURL\":\"\"}}",
        /* re-printed: whitespace, numbers, \u and \/ escapes, control bytes */
        " {\n \"payload\" : { \"type\" : \"T\" ,\t\"data\":\"QQ==\" } ,\r\n\"displayInformation\":"
        "{\"title\":\"a\",\"description\":\"b\",\"imageURL\":\"\"} }\n",
        "{\"payload\":{\"type\":\"T\",\"data\":\"\\u00e9\\ud83d\\udd11\\u0041\\/x\\u001f\"},"
        "\"displayInformation\":{\"title\":\"\\u00e9\\b\\f\\r\\u007f\\\"\",\"description\":\"\","
        "\"imageURL\":\"https:\\/\\/i.example\\/x\"}}",
        "{\"payload\":{\"type\":\"T\",\"data\":\"\",\"n\":[1,-0,1.50,1e3,12345678901234567890]},"
        "\"displayInformation\":{\"title\":\"\",\"description\":\"\",\"imageURL\":\"\"}}",
        "{\"payload\":{\"type\":\"T\",\"data\":\"a\x01\x1f b\"},\"displayInformation\":"
        "{\"title\":\"\x02\",\"description\":\"\",\"imageURL\":\"\"}}",
        /* the first "payload" counts, written plainly or escaped */
        "{\"payload\":{\"type\":\"A\",\"data\":\"1\"},\"payload\":{\"type\":\"B\",\"data\":\"2\"},"
        "\"displayInformation\":{\"title\":\"\",\"description\":\"\",\"imageURL\":\"\"}}",
        "{\"p\\u0061yload\":{\"type\":\"A\",\"data\":\"1\"},\"payload\":{\"type\":\"B\",\"data\":\"2\"},"
        "\"displayInformation\":{\"title\":\"\",\"description\":\"\",\"imageURL\":\"\"}}",
        "{\"x\":\"}\\\"payload\\\":{\",\"y\":[\"]\"],\"payload\":{\"type\":\"A\",\"data\":\"1\"},"
        "\"displayInformation\":{\"title\":\"\",\"description\":\"\",\"imageURL\":\"\"}}",
        "\xef\xbb\xbf{\"payload\":{\"type\":\"A\",\"data\":\"1\"},\"displayInformation\":"
        "{\"title\":\"\",\"description\":\"\",\"imageURL\":\"\"}}",
    };
    for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
        create_request cr;
        const char *err = validate_create(bodies[i], strlen(bodies[i]), NOW, 7 * 86400, 86400, &cr);
        if (err != NULL)
            fail_msg("refused body %zu: %s", i, err);
        assert_stored_as_reprinted(bodies[i], strlen(bodies[i]), &cr);
        create_request_clear(&cr);
    }
    /* A raw NUL in a key: cJSON's key ends there, so "payload\0x" is the payload it checks;
     * the relay must store that one, not the unchecked member after it. */
    static const char nul_key[] =
        "{\"payload\0x\":{\"type\":\"A\",\"data\":\"1\"},\"payload\":{\"unchecked\":true},"
        "\"displayInformation\":{\"title\":\"\",\"description\":\"\",\"imageURL\":\"\"}}";
    create_request nk;
    assert_null(validate_create(nul_key, sizeof nul_key - 1, NOW, 7 * 86400, 86400, &nk));
    assert_string_equal(nk.payload_json, "{\"type\":\"A\",\"data\":\"1\"}");
    assert_stored_as_reprinted(nul_key, sizeof nul_key - 1, &nk);
    create_request_clear(&nk);
    /* Spelled out for two of them: escapes decoded, whitespace gone, first member wins. */
    create_request cr;
    assert_null(validate_create(bodies[4], strlen(bodies[4]), NOW, 7 * 86400, 86400, &cr));
    assert_string_equal(cr.payload_json, "{\"type\":\"T\",\"data\":\"\xc3\xa9\xf0\x9f\x94\x91"
                                         "A/x\\u001f\"}");
    assert_string_equal(cr.display_json, "{\"title\":\"\xc3\xa9\\b\\f\\r\x7f\\\"\","
                                         "\"description\":\"\",\"imageURL\":\"https://i.example/x\"}");
    create_request_clear(&cr);
    assert_null(validate_create(bodies[8], strlen(bodies[8]), NOW, 7 * 86400, 86400, &cr));
    assert_string_equal(cr.payload_json, "{\"type\":\"A\",\"data\":\"1\"}");
    create_request_clear(&cr);
}

/* The fast path is real: compact member text is found and reported as printable unchanged;
 * text a print would change is reported as such (then the relay prints it). */
static void test_validate__compact_member(void **state)
{
    (void)state;
    const char *v;
    size_t n;
    const char *b = "{\"a\":[1],\"payload\":{\"k\":[\"x\\\"}\",{}],\"t\":true},\"z\":null}";
    assert_true(json_compact_member(b, strlen(b), "payload", &v, &n));
    assert_int_equal(n, strlen("{\"k\":[\"x\\\"}\",{}],\"t\":true}"));
    assert_memory_equal(v, "{\"k\":[\"x\\\"}\",{}],\"t\":true}", n);
    assert_true(json_compact_member(b, strlen(b), "z", &v, &n));
    assert_int_equal(n, 4);
    assert_false(json_compact_member(b, strlen(b), "a", &v, &n));         /* a number */
    assert_false(json_compact_member(b, strlen(b), "missing", &v, &n));
    static const char *const printed[] = {
        "{\"payload\":{\"k\": \"v\"}}", "{\"payload\":{\"k\":\"\\u0041\"}}", "{\"payload\":{\"k\":\"\\/\"}}",
        "{\"payload\":{\"k\":\"\x01\"}}", "{\"payload\":{\"k\":-1}}", "{\"p\\u0061yload\":{},\"payload\":{}}",
    };
    for (size_t i = 0; i < sizeof printed / sizeof printed[0]; i++)
        if (json_compact_member(printed[i], strlen(printed[i]), "payload", &v, &n))
            fail_msg("kept as sent, but a print changes it: %s", printed[i]);
    /* A byte that matters at every offset of a long string (the scan reads words). */
    static const struct { const char *text; bool compact; } at[] = {
        {"\\\"", true}, {"\\\\", true}, {"\\n", true}, {"\x01", false}, {"\x1f", false},
        {"\\u0041", false}, {"\xc3\xa9", true}, {" ", true}, {"\x7f", true},
    };
    for (size_t k = 0; k < sizeof at / sizeof at[0]; k++) {
        for (int off = 0; off < 20; off++) {
            char body[96];
            int len = snprintf(body, sizeof body, "{\"payload\":{\"k\":\"%.*s%s%.*s\"},\"x\":1}", off,
                               "AAAAAAAAAAAAAAAAAAAA", at[k].text, 20 - off, "BBBBBBBBBBBBBBBBBBBB");
            bool got = json_compact_member(body, (size_t)len, "payload", &v, &n);
            if (got != at[k].compact)
                fail_msg("offset %d: %s", off, body);
            if (got)
                assert_int_equal(n, strlen(body) - strlen("{\"payload\":,\"x\":1}"));
        }
    }
    char out[64];
    *json_put_quoted(out, "a\"\\\b\f\n\r\t\x01\x7f\xc3\xa9") = '\0';
    assert_string_equal(out, "\"a\\\"\\\\\\b\\f\\n\\r\\t\\u0001\x7f\xc3\xa9\"");
    assert_int_equal(json_quoted_len("a\"\\\b\f\n\r\t\x01\x7f\xc3\xa9"), strlen(out));
}

/* GOOD without numbers: its payload is kept as sent, so damaged copies of it exercise the
 * text slicing rather than the re-print. */
static const char GOOD_SLICED[] =
    "{\"payload\":{\"type\":\"AEAD_AES_128_GCM\",\"data\":\"AAEC\",\"extra\":[true,{\"k\":\"v\"}]},"
    "\"displayInformation\":{\"title\":\"Hotel\",\"description\":\"Room 12\","
    "\"imageURL\":\"https://example.com/i.png\"},"
    "\"mailboxConfiguration\":{\"accessRights\":\"DWR\",\"expiration\":\"2026-11-19T00:00:00Z\"}}";

/* Damages a copy of good (1 to 4 edits chosen by *seed) into buf; returns its length. */
static size_t damage(char *buf, const char *good, int round, uint32_t *seed)
{
    size_t len = strlen(good);
    memcpy(buf, good, len + 1);
    int edits = 1 + round % 4;
    for (int e = 0; e < edits && len > 0; e++) {
        *seed = *seed * 1103515245u + 12345u;
        size_t pos = (*seed >> 8) % len;
        switch ((*seed >> 4) % 4) {
        case 0: buf[pos] = (char)(*seed >> 16); break;               /* replace */
        case 1: memmove(buf + pos, buf + pos + 1, len - pos); len--; break;   /* delete */
        case 2: len = pos; buf[len] = '\0'; break;                  /* truncate */
        default: buf[pos] = "{}[]\":,\\"[(*seed >> 16) % 8]; break;  /* structure */
        }
    }
    return len;
}

/* Thousands of damaged copies of a good body: each is either refused with a message or, if
 * accepted, still has every required member and is stored as the cJSON re-print stored it.
 * A fixed seed keeps runs identical. */
static void test_validate__mutations(void **state)
{
    (void)state;
    static const char *const bases[] = {GOOD, GOOD_SLICED};
    uint32_t seed = 0x7169e55u;
    char buf[sizeof GOOD + sizeof GOOD_SLICED];
    for (size_t b = 0; b < 2; b++) {
        int refused = 0, accepted = 0;
        for (int round = 0; round < 20000; round++) {
            size_t len = damage(buf, bases[b], round, &seed);
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
            assert_stored_as_reprinted(buf, len, &cr);
            assert_true(strlen(cr.rights) >= 1);
            assert_true(cr.expires_at > NOW && cr.expires_at <= NOW + 7 * 86400);
            create_request_clear(&cr);
        }
        assert_true(refused > 0);
        assert_true(accepted > 0);     /* edits inside string values keep the body valid */
    }
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
        cmocka_unit_test(test_validate__stored_text_as_reprinted),
        cmocka_unit_test(test_validate__compact_member),
        cmocka_unit_test(test_validate__mutations),
        cmocka_unit_test(test_validate__push_url),
    };
    return cmocka_run_group_tests_name("relay request validation", tests, NULL, NULL);
}
