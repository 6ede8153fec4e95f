/*
 * Share URLs: C1 (https only; http only to loopback and only when asked), C12 (the URL shape,
 * `?v=` vertical), C13 (the Secret only ever in the fragment, or sent apart), C14 (the fragment
 * is stripped from what goes to the relay and never appears in an error message).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "internal.h"

#define ID "2bba630e-519b-11ec-bf63-0242ac130002"
#define LINK "https://relay.example.com/v1/m/" ID
/* The drafts' example Secret: 16 bytes. */
#define SECRET_B64 "hXlr6aRC7KgJpOLTNZaLsw=="

static int setup(void **state)
{
    (void)state;
    return tigress_global_init() == TIGRESS_OK ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    tigress_global_cleanup();
    return 0;
}

static tigress_share_url *parse_ok(const char *url, unsigned int flags)
{
    tigress_share_url *u = NULL;

    assert_int_equal(tigress_share_url_parse(&u, url, flags), TIGRESS_OK);
    assert_non_null(u);
    return u;
}

static void parse_fails(const char *url, unsigned int flags, tigress_status want)
{
    tigress_share_url *u = (tigress_share_url *)&u;

    assert_int_equal(tigress_share_url_parse(&u, url, flags), want);
    assert_null(u);
    assert_int_equal(tigress_error_last()->code, want);
    assert_true(strlen(tigress_error_last()->message) > 0);
}

/* C12, C13: build then parse gives back every part, for each vertical and without one. */
static void test_url__build_parse_round_trip(void **state)
{
    const char verticals[] = { 0, 'a', 'h', 'c' };
    tigress_payload_type types[] = { TIGRESS_PAYLOAD_AES_128_GCM, TIGRESS_PAYLOAD_AES_256_GCM };
    (void)state;

    for (size_t t = 0; t < 2; t++) {
        tigress_secret *s = NULL;
        assert_int_equal(tigress_secret_generate(&s, types[t]), TIGRESS_OK);
        for (size_t v = 0; v < sizeof(verticals); v++) {
            tigress_buf url = {0};
            tigress_share_url *u;

            assert_int_equal(tigress_share_url_build(&url, LINK, verticals[v], s), TIGRESS_OK);
            assert_int_equal(strlen((const char *)url.ptr), url.size);
            /* The Secret is the fragment, as standard padded Base64, and nothing follows it. */
            assert_non_null(strchr((const char *)url.ptr, '#'));
            assert_string_equal(strchr((const char *)url.ptr, '#') + 1, tigress_secret_text(s));
            assert_memory_equal(url.ptr, LINK, strlen(LINK));
            u = parse_ok((const char *)url.ptr, 0);
            assert_string_equal(tigress_share_url_mailbox_url(u), LINK);
            assert_string_equal(tigress_share_url_relay(u), "https://relay.example.com");
            assert_string_equal(tigress_share_url_host(u), "relay.example.com");
            assert_string_equal(tigress_share_url_mailbox_id(u), ID);
            assert_int_equal(tigress_share_url_vertical(u), verticals[v]);
            assert_non_null(tigress_share_url_secret(u));
            assert_int_equal(tigress_secret_size(tigress_share_url_secret(u)),
                             tigress_secret_size(s));
            assert_memory_equal(tigress_secret_bytes(tigress_share_url_secret(u)),
                                tigress_secret_bytes(s), tigress_secret_size(s));
            tigress_share_url_free(u);
            tigress_buf_dispose(&url);
        }
        tigress_secret_free(s);
    }
}

static void test_url__build_exact_text(void **state)
{
    tigress_secret *s = NULL;
    tigress_buf url = {0};
    (void)state;

    assert_int_equal(tigress_secret_from_text(&s, SECRET_B64), TIGRESS_OK);
    assert_int_equal(tigress_share_url_build(&url, LINK, 'c', s), TIGRESS_OK);
    assert_string_equal((const char *)url.ptr, LINK "?v=c#" SECRET_B64);
    tigress_buf_dispose(&url);
    assert_int_equal(tigress_share_url_build(&url, LINK, 0, s), TIGRESS_OK);
    assert_string_equal((const char *)url.ptr, LINK "#" SECRET_B64);
    tigress_buf_dispose(&url);
    tigress_secret_free(s);
}

/* C13: a URL built without the Secret (for sending it apart) has no fragment at all. */
static void test_url__secret_sent_apart_has_no_fragment(void **state)
{
    tigress_buf url = {0};
    tigress_share_url *u;
    (void)state;

    assert_int_equal(tigress_share_url_build(&url, LINK, 'h', NULL), TIGRESS_OK);
    assert_string_equal((const char *)url.ptr, LINK "?v=h");
    assert_null(strchr((const char *)url.ptr, '#'));
    u = parse_ok((const char *)url.ptr, 0);
    assert_null(tigress_share_url_secret(u));
    assert_int_equal(tigress_share_url_vertical(u), 'h');
    tigress_share_url_free(u);
    tigress_buf_dispose(&url);
    /* An empty fragment carries no Secret either. */
    u = parse_ok(LINK "#", 0);
    assert_null(tigress_share_url_secret(u));
    tigress_share_url_free(u);
}

static void test_url__every_secret_flavour_in_fragment(void **state)
{
    static const uint8_t key[16] = { 0xfb, 0xff, 0xbf, 0xfb, 0xff, 0xbf, 0xfb, 0xff,
                                     0xbf, 0xfb, 0xff, 0xbf, 0xfb, 0xff, 0xbf, 0xfb };
    const char *fragments[] = {
        "+/+/+/+/+/+/+/+/+/+/+w==",                    /* standard, padded */
        "+/+/+/+/+/+/+/+/+/+/+w",                      /* standard, unpadded */
        "-_-_-_-_-_-_-_-_-_-_-w==",                    /* URL-safe, padded */
        "-_-_-_-_-_-_-_-_-_-_-w",                      /* URL-safe, unpadded */
        "%2B%2F%2B%2F+/+/+/+/+/+/+/+/+w%3D%3D",        /* percent-encoded */
    };
    (void)state;

    for (size_t i = 0; i < sizeof(fragments) / sizeof(fragments[0]); i++) {
        char url[256];
        tigress_share_url *u;

        snprintf(url, sizeof(url), "%s?v=a#%s", LINK, fragments[i]);
        u = parse_ok(url, 0);
        assert_non_null(tigress_share_url_secret(u));
        assert_int_equal(tigress_secret_size(tigress_share_url_secret(u)), 16);
        assert_memory_equal(tigress_secret_bytes(tigress_share_url_secret(u)), key, 16);
        /* C14: the mailbox URL handed to the relay has neither fragment nor query. */
        assert_string_equal(tigress_share_url_mailbox_url(u), LINK);
        tigress_share_url_free(u);
    }
}

/* C14: nothing after '#' ever reaches the relay. */
static void test_url__fragment_stripped_from_mailbox_url(void **state)
{
    tigress_share_url *u = parse_ok(LINK "?v=c&utm=x#" SECRET_B64, 0);
    (void)state;

    assert_null(strchr(tigress_share_url_mailbox_url(u), '#'));
    assert_null(strchr(tigress_share_url_mailbox_url(u), '?'));
    assert_null(strstr(tigress_share_url_mailbox_url(u), "hXlr6a"));
    assert_null(strstr(tigress_share_url_relay(u), "hXlr6a"));
    assert_string_equal(tigress_share_url_mailbox_url(u), LINK);
    tigress_share_url_free(u);
}

/* C14: a bad Secret is reported without quoting it; so is every other parse failure. */
static void test_url__errors_never_contain_the_secret(void **state)
{
    const char *urls[] = {
        LINK "#hXlr6aRC7KgJpOLTNZaL",               /* 15 bytes */
        LINK "#hXlr6aRC7KgJpOLTNZaLsw==hXlr6a",     /* junk after padding */
        LINK "#hXlr6aRC7KgJpOLTNZaLs%zz",           /* bad escape */
        "http://relay.example.com/v1/m/" ID "#hXlr6aRC7KgJpOLTNZaLsw==",
        "https://relay.example.com/v1/x/" ID "#hXlr6aRC7KgJpOLTNZaLsw==",
        LINK "?v=z#hXlr6aRC7KgJpOLTNZaLsw==",
        LINK "#hXlr6aRC7KgJ pOLTNZaLsw==",
    };
    (void)state;

    for (size_t i = 0; i < sizeof(urls) / sizeof(urls[0]); i++) {
        tigress_share_url *u = NULL;
        assert_true(tigress_share_url_parse(&u, urls[i], 0) < 0);
        assert_null(u);
        assert_null(strstr(tigress_error_last()->message, "hXlr6a"));
        assert_null(strstr(tigress_error_last()->message, "#"));
    }
    parse_fails(LINK "#hXlr6aRC7KgJpOLTNZaL", 0, TIGRESS_E_KEY);
}

/* C1: plain http is refused, unless the caller opts in AND the host is this machine. */
static void test_url__http_refused_unless_loopback_and_flag(void **state)
{
    const char *loopback[] = {
        "http://127.0.0.1:8080/v1/m/" ID,
        "http://[::1]:8443/v1/m/" ID,
        "http://localhost/v1/m/" ID,
        "HTTP://LocalHost:9/v1/m/" ID,
    };
    const char *remote[] = {
        "http://relay.example.com/v1/m/" ID,
        "http://127.0.0.2/v1/m/" ID,
        "http://localhost.example.com/v1/m/" ID,
        "http://[::2]/v1/m/" ID,
        "http://10.0.0.1:80/v1/m/" ID,
    };
    (void)state;

    for (size_t i = 0; i < sizeof(loopback) / sizeof(loopback[0]); i++) {
        tigress_share_url *u;
        parse_fails(loopback[i], 0, TIGRESS_E_INSECURE);
        u = parse_ok(loopback[i], TIGRESS_URL_ALLOW_INSECURE_LOOPBACK);
        assert_memory_equal(tigress_share_url_mailbox_url(u), "http://", 7);
        tigress_share_url_free(u);
    }
    for (size_t i = 0; i < sizeof(remote) / sizeof(remote[0]); i++) {
        parse_fails(remote[i], 0, TIGRESS_E_INSECURE);
        parse_fails(remote[i], TIGRESS_URL_ALLOW_INSECURE_LOOPBACK, TIGRESS_E_INSECURE);
    }
}

static void test_url__other_schemes_refused(void **state)
{
    (void)state;
    parse_fails("ftp://relay.example.com/v1/m/" ID, 0, TIGRESS_E_URL);
    parse_fails("relay.example.com/v1/m/" ID, 0, TIGRESS_E_URL);
    parse_fails("https:/relay.example.com/v1/m/" ID, 0, TIGRESS_E_URL);
    parse_fails("", 0, TIGRESS_E_URL);
}

static void test_url__missing_or_invalid_id(void **state)
{
    (void)state;
    parse_fails("https://relay.example.com/v1/m/", 0, TIGRESS_E_URL);
    parse_fails("https://relay.example.com/v1/m", 0, TIGRESS_E_URL);
    parse_fails("https://relay.example.com/v1/m/2bba630e-519b-11ec-bf63-0242ac13000", 0,
                TIGRESS_E_URL);
    parse_fails("https://relay.example.com/v1/m/2bba630e-519b-11ec-bf63-0242ac1300022", 0,
                TIGRESS_E_URL);
    parse_fails("https://relay.example.com/v1/m/2bba630e-519b-11ec-bf63-0242ac13000g", 0,
                TIGRESS_E_URL);
    parse_fails("https://relay.example.com/v1/m/2bba630e0519b-11ec-bf63-0242ac130002", 0,
                TIGRESS_E_URL);
}

static void test_url__id_case_insensitive_stored_lowercase(void **state)
{
    tigress_share_url *u = parse_ok("https://Relay.EXAMPLE.com/v1/m/2BBA630E-519B-11EC-BF63-"
                                    "0242AC130002?v=a", 0);
    (void)state;

    assert_string_equal(tigress_share_url_mailbox_id(u), ID);
    assert_string_equal(tigress_share_url_host(u), "relay.example.com");
    assert_string_equal(tigress_share_url_mailbox_url(u), LINK);
    tigress_share_url_free(u);
}

static void test_url__wrong_path_refused(void **state)
{
    (void)state;
    parse_fails("https://relay.example.com/v2/m/" ID, 0, TIGRESS_E_URL);
    parse_fails("https://relay.example.com/V1/M/" ID, 0, TIGRESS_E_URL);
    parse_fails("https://relay.example.com/v1/mailbox/" ID, 0, TIGRESS_E_URL);
    parse_fails("https://relay.example.com/x/v1/m/" ID, 0, TIGRESS_E_URL);
    parse_fails("https://relay.example.com/v1/m/" ID "/", 0, TIGRESS_E_URL);
    parse_fails("https://relay.example.com/v1/m/" ID "/extra", 0, TIGRESS_E_URL);
    parse_fails("https://relay.example.com", 0, TIGRESS_E_URL);
    parse_fails("https://relay.example.com?v=a", 0, TIGRESS_E_URL);
}

static void test_url__vertical_rules(void **state)
{
    tigress_share_url *u;
    (void)state;

    u = parse_ok(LINK "?x=1&v=h&y=2", 0); /* other parameters are ignored */
    assert_int_equal(tigress_share_url_vertical(u), 'h');
    tigress_share_url_free(u);
    u = parse_ok(LINK "?", 0);
    assert_int_equal(tigress_share_url_vertical(u), 0);
    tigress_share_url_free(u);
    u = parse_ok(LINK "?vv=z", 0);
    assert_int_equal(tigress_share_url_vertical(u), 0);
    tigress_share_url_free(u);
    parse_fails(LINK "?v=x", 0, TIGRESS_E_URL);
    parse_fails(LINK "?v=", 0, TIGRESS_E_URL);
    parse_fails(LINK "?v", 0, TIGRESS_E_URL);
    parse_fails(LINK "?v=ab", 0, TIGRESS_E_URL);
    parse_fails(LINK "?v=A", 0, TIGRESS_E_URL);
    parse_fails(LINK "?v=a&v=c", 0, TIGRESS_E_URL);
}

static void test_url__ports_and_ipv6(void **state)
{
    tigress_share_url *u;
    (void)state;

    u = parse_ok("https://relay.example.com:8443/v1/m/" ID, 0);
    assert_string_equal(tigress_share_url_relay(u), "https://relay.example.com:8443");
    assert_string_equal(tigress_share_url_host(u), "relay.example.com");
    assert_string_equal(tigress_share_url_mailbox_url(u),
                        "https://relay.example.com:8443/v1/m/" ID);
    tigress_share_url_free(u);
    u = parse_ok("https://[2001:DB8::1]:443/v1/m/" ID "#" SECRET_B64, 0);
    assert_string_equal(tigress_share_url_host(u), "2001:db8::1");
    assert_string_equal(tigress_share_url_relay(u), "https://[2001:db8::1]:443");
    tigress_share_url_free(u);
    u = parse_ok("https://[::ffff:192.0.2.1]/v1/m/" ID, 0);
    assert_string_equal(tigress_share_url_host(u), "::ffff:192.0.2.1");
    tigress_share_url_free(u);
    u = parse_ok("https://192.0.2.7/v1/m/" ID, 0);
    assert_string_equal(tigress_share_url_host(u), "192.0.2.7");
    tigress_share_url_free(u);
    parse_fails("https://relay.example.com:/v1/m/" ID, 0, TIGRESS_E_URL);
    parse_fails("https://relay.example.com:0/v1/m/" ID, 0, TIGRESS_E_URL);
    parse_fails("https://relay.example.com:65536/v1/m/" ID, 0, TIGRESS_E_URL);
    parse_fails("https://relay.example.com:84a/v1/m/" ID, 0, TIGRESS_E_URL);
    parse_fails("https://relay.example.com:1:2/v1/m/" ID, 0, TIGRESS_E_URL);
    parse_fails("https://[::1/v1/m/" ID, 0, TIGRESS_E_URL);
    parse_fails("https://[::1]x/v1/m/" ID, 0, TIGRESS_E_URL);
    parse_fails("https://[fe80::1%25eth0]/v1/m/" ID, 0, TIGRESS_E_URL);
    parse_fails("https://[]/v1/m/" ID, 0, TIGRESS_E_URL);
    parse_fails("https://:443/v1/m/" ID, 0, TIGRESS_E_URL);
    parse_fails("https:///v1/m/" ID, 0, TIGRESS_E_URL);
}

static void test_url__userinfo_spaces_controls_and_length(void **state)
{
    char *long_url;
    size_t n = 2100;
    (void)state;

    parse_fails("https://user@relay.example.com/v1/m/" ID, 0, TIGRESS_E_URL);
    parse_fails("https://user:pw@relay.example.com/v1/m/" ID, 0, TIGRESS_E_URL);
    parse_fails("https://relay.example.com/v1/m/" ID " ", 0, TIGRESS_E_URL);
    parse_fails(" https://relay.example.com/v1/m/" ID, 0, TIGRESS_E_URL);
    parse_fails("https://relay.exa mple.com/v1/m/" ID, 0, TIGRESS_E_URL);
    parse_fails("https://relay.example.com/v1/m/" ID "\r\nHost: evil", 0, TIGRESS_E_URL);
    parse_fails("https://relay.example.com/v1/m/" ID "#\x7f", 0, TIGRESS_E_URL);
    parse_fails("https://relay.example.com\t/v1/m/" ID, 0, TIGRESS_E_URL);
    parse_fails("https://r\xc3\xa9lay.example.com/v1/m/" ID, 0, TIGRESS_E_URL);
    parse_fails("https://relay_example.com/v1/m/" ID, 0, TIGRESS_E_URL);
    /* Overlong input: a valid URL padded with ignored query parameters beyond 2048 chars. */
    long_url = malloc(n + 1);
    assert_non_null(long_url);
    memset(long_url, 'x', n);
    memcpy(long_url, LINK "?y=", strlen(LINK "?y="));
    long_url[n] = '\0';
    parse_fails(long_url, 0, TIGRESS_E_URL);
    long_url[2048] = '\0'; /* exactly at the limit is fine */
    tigress_share_url_free(parse_ok(long_url, 0));
    free(long_url);
}

static void test_url__build_validates_link(void **state)
{
    tigress_secret *s = NULL;
    tigress_buf url = { (uint8_t *)"stale", 5 };
    (void)state;

    assert_int_equal(tigress_secret_from_text(&s, SECRET_B64), TIGRESS_OK);
    assert_int_equal(tigress_share_url_build(&url, LINK "#" SECRET_B64, 'a', s), TIGRESS_E_URL);
    assert_null(url.ptr);
    assert_int_equal(url.size, 0);
    assert_null(strstr(tigress_error_last()->message, "hXlr6a"));
    assert_int_equal(tigress_share_url_build(&url, LINK "?v=a", 'a', s), TIGRESS_E_URL);
    assert_int_equal(tigress_share_url_build(&url, "https://relay.example.com/v1/m/nope", 0, s),
                     TIGRESS_E_URL);
    assert_int_equal(tigress_share_url_build(&url, "ftp://relay.example.com/v1/m/" ID, 0, s),
                     TIGRESS_E_URL);
    /* C1: an http link to a remote relay is never turned into a Share URL. */
    assert_int_equal(tigress_share_url_build(&url, "http://relay.example.com/v1/m/" ID, 0, s),
                     TIGRESS_E_INSECURE);
    /* A loopback http link (a local test relay the client was allowed to use) is accepted. */
    assert_int_equal(tigress_share_url_build(&url, "http://127.0.0.1:8080/v1/m/" ID, 'c', s),
                     TIGRESS_OK);
    assert_string_equal((const char *)url.ptr, "http://127.0.0.1:8080/v1/m/" ID "?v=c#" SECRET_B64);
    tigress_buf_dispose(&url);
    assert_int_equal(tigress_share_url_build(&url, LINK, 'x', s), TIGRESS_E_INVALID);
    assert_int_equal(tigress_share_url_build(&url, LINK, 'A', s), TIGRESS_E_INVALID);
    assert_null(url.ptr);
    tigress_secret_free(s);
}

static void test_url__null_arguments(void **state)
{
    tigress_share_url *u = NULL;
    tigress_buf url = {0};
    (void)state;

    assert_int_equal(tigress_share_url_parse(NULL, LINK, 0), TIGRESS_E_INVALID);
    assert_int_equal(tigress_share_url_parse(&u, NULL, 0), TIGRESS_E_INVALID);
    assert_null(u);
    assert_int_equal(tigress_share_url_build(NULL, LINK, 0, NULL), TIGRESS_E_INVALID);
    assert_int_equal(tigress_share_url_build(&url, NULL, 0, NULL), TIGRESS_E_INVALID);
    assert_null(url.ptr);
    assert_null(tigress_share_url_mailbox_url(NULL));
    assert_null(tigress_share_url_relay(NULL));
    assert_null(tigress_share_url_host(NULL));
    assert_null(tigress_share_url_mailbox_id(NULL));
    assert_int_equal(tigress_share_url_vertical(NULL), 0);
    assert_null(tigress_share_url_secret(NULL));
    tigress_share_url_free(NULL);
}

/* Out-of-memory at every allocation of parse and build: clean failure, no leak. */
static long g_fail_at = -1, g_count;
static void *fail_malloc(size_t n, void *ud)
{
    (void)ud;
    return g_fail_at >= 0 && g_count++ == g_fail_at ? NULL : malloc(n);
}
static void *fail_realloc(void *p, size_t n, void *ud) { (void)ud; return realloc(p, n); }
static void fail_free(void *p, void *ud) { (void)ud; free(p); }

static void test_url__allocation_failures_are_clean(void **state)
{
    tigress_allocator a = { TIGRESS_ALLOCATOR_VERSION, fail_malloc, fail_realloc, fail_free, NULL };
    tigress_secret *s = NULL;
    tigress_status rc;
    int nomem = 0;
    (void)state;

    assert_int_equal(tigress_global_init_mem(&a), TIGRESS_OK);
    assert_int_equal(tigress_secret_from_text(&s, SECRET_B64), TIGRESS_OK);
    for (g_fail_at = 0;; g_fail_at++) {
        tigress_share_url *u = NULL;
        g_count = 0;
        rc = tigress_share_url_parse(&u, LINK "?v=c#" SECRET_B64, 0);
        tigress_share_url_free(u);
        if (rc == TIGRESS_OK)
            break;
        assert_int_equal(rc, TIGRESS_E_NOMEM);
        assert_null(u);
        nomem++;
    }
    for (g_fail_at = 0;; g_fail_at++) {
        tigress_buf url = {0};
        g_count = 0;
        rc = tigress_share_url_build(&url, LINK, 'c', s);
        tigress_buf_dispose(&url);
        if (rc == TIGRESS_OK)
            break;
        assert_int_equal(rc, TIGRESS_E_NOMEM);
        nomem++;
    }
    g_fail_at = -1;
    assert_true(nomem >= 4);
    tigress_secret_free(s);
    tigress_global_cleanup();
    assert_int_equal(tigress_global_init_mem(NULL), TIGRESS_OK);
    tigress_global_cleanup();
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_url__build_parse_round_trip),
        T(test_url__build_exact_text),
        T(test_url__secret_sent_apart_has_no_fragment),
        T(test_url__every_secret_flavour_in_fragment),
        T(test_url__fragment_stripped_from_mailbox_url),
        T(test_url__errors_never_contain_the_secret),
        T(test_url__http_refused_unless_loopback_and_flag),
        T(test_url__other_schemes_refused),
        T(test_url__missing_or_invalid_id),
        T(test_url__id_case_insensitive_stored_lowercase),
        T(test_url__wrong_path_refused),
        T(test_url__vertical_rules),
        T(test_url__ports_and_ipv6),
        T(test_url__userinfo_spaces_controls_and_length),
        T(test_url__build_validates_link),
        T(test_url__null_arguments),
        cmocka_unit_test(test_url__allocation_failures_are_clean),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
