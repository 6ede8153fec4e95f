/*
 * tests/relay/test_proxy.c: unit tests of relay/proxy.c (--trusted-proxy): the CIDR list, the
 * match, and which address a request from a peer with Forwarded / X-Forwarded-For counts as.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "relay.h"

/* Text address -> bytes (4 or 16). */
static size_t ip(const char *s, unsigned char out[16])
{
    if (inet_pton(AF_INET, s, out) == 1)
        return 4;
    assert_int_equal(inet_pton(AF_INET6, s, out), 1);
    return 16;
}

/* Which address a request from `peer` counts as, as text. */
static const char *pick(const char *cidrs, const char *peer, const char *fwd, const char *xff)
{
    static char out[INET6_ADDRSTRLEN];
    proxy_cidr *c = NULL;
    size_t n = 0;
    assert_true(proxy_parse_cidrs(cidrs, &c, &n));
    unsigned char p[16], o[16];
    size_t pl = ip(peer, p);
    size_t ol = proxy_pick(c, n, fwd, xff, p, pl, o);
    free(c);
    assert_true(ol == 4 || ol == 16);
    assert_non_null(inet_ntop(ol == 4 ? AF_INET : AF_INET6, o, out, sizeof out));
    return out;
}

static void test_proxy__parse_cidrs(void **state)
{
    (void)state;
    static const char *const good[] = {
        "127.0.0.1/32", "10.0.0.0/8", "0.0.0.0/0", "192.168.1.7", "::1/128", "::/0",
        "2001:db8::/32", "fd00::1", "10.0.0.0/8, 172.16.0.0/12 ,::1", "::ffff:10.0.0.0/104",
    };
    static const char *const bad[] = {
        "", "10.0.0.0/33", "::1/129", "10.0.0.0/", "10.0.0.0/8x", "10.0.0/8", "host.example",
        "10.0.0.0/8,", ",10.0.0.0/8", "10.0.0.0/-1", "[::1]/128", "1.2.3.4:80", "::ffff:1.2.3.4/95",
        "10.0.0.0/ 8", "fe80::1%eth0/64",
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        proxy_cidr *c = NULL;
        size_t n = 0;
        if (!proxy_parse_cidrs(good[i], &c, &n))
            fail_msg("refused `%s`", good[i]);
        assert_true(n >= 1);
        free(c);
    }
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        proxy_cidr *c = NULL;
        size_t n = 0;
        if (proxy_parse_cidrs(bad[i], &c, &n))
            fail_msg("accepted `%s`", bad[i]);
        assert_null(c);
    }
    assert_false(proxy_parse_cidrs(NULL, &(proxy_cidr *){NULL}, &(size_t){0}));
}

static void test_proxy__match(void **state)
{
    (void)state;
    proxy_cidr *c = NULL;
    size_t n = 0;
    assert_true(proxy_parse_cidrs("10.0.0.0/8,192.168.4.0/22,2001:db8:aa::/48,::ffff:172.16.0.0/108",
                                  &c, &n));
    assert_int_equal(n, 4);
    unsigned char b[16];
    static const struct { const char *a; bool in; } cases[] = {
        {"10.1.2.3", true}, {"11.0.0.1", false}, {"192.168.4.0", true}, {"192.168.7.255", true},
        {"192.168.8.0", false}, {"192.168.3.255", false}, {"2001:db8:aa:1::5", true},
        {"2001:db8:ab::5", false}, {"172.16.0.9", true}, {"172.32.0.1", false},
        {"::ffff:10.0.0.1", false},   /* the caller maps these to IPv4 first (proxy.c) */
        {"::a00:1", false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t l = ip(cases[i].a, b);
        if (proxy_cidr_match(c, n, b, l) != cases[i].in)
            fail_msg("%s: expected %s", cases[i].a, cases[i].in ? "inside" : "outside");
    }
    free(c);
}

static void test_proxy__untrusted_peer_headers_ignored(void **state)
{
    (void)state;
    assert_string_equal(pick("10.0.0.0/8", "203.0.113.9", NULL, "198.51.100.1"), "203.0.113.9");
    assert_string_equal(pick("10.0.0.0/8", "203.0.113.9", "for=198.51.100.1", NULL),
                        "203.0.113.9");
    assert_string_equal(pick("10.0.0.0/8", "2001:db8::9", NULL, "198.51.100.1"), "2001:db8::9");
}

static void test_proxy__x_forwarded_for(void **state)
{
    (void)state;
    const char *t = "10.0.0.0/8,2001:db8:1::/48";
    assert_string_equal(pick(t, "10.0.0.1", NULL, "198.51.100.1"), "198.51.100.1");
    /* The right-most untrusted hop: a client cannot choose its address by prepending one. */
    assert_string_equal(pick(t, "10.0.0.1", NULL, "1.1.1.1, 198.51.100.1"), "198.51.100.1");
    assert_string_equal(pick(t, "10.0.0.1", NULL, "1.1.1.1, 198.51.100.1, 10.9.9.9"),
                        "198.51.100.1");
    assert_string_equal(pick(t, "10.0.0.1", NULL, "1.1.1.1,198.51.100.1,10.9.9.9,10.8.8.8"),
                        "198.51.100.1");
    /* Every hop trusted: the left-most one. */
    assert_string_equal(pick(t, "10.0.0.1", NULL, "10.5.5.5, 10.6.6.6"), "10.5.5.5");
    assert_string_equal(pick(t, "10.0.0.1", NULL, "2001:db8:2::7"), "2001:db8:2::7");
    assert_string_equal(pick(t, "10.0.0.1", NULL, "2001:db8:2::7, 2001:db8:1::1"),
                        "2001:db8:2::7");
    assert_string_equal(pick(t, "10.0.0.1", NULL, "[2001:db8:2::7]:443"), "2001:db8:2::7");
    assert_string_equal(pick(t, "10.0.0.1", NULL, "198.51.100.1:5555"), "198.51.100.1");
    assert_string_equal(pick(t, "10.0.0.1", NULL, "::ffff:198.51.100.1"), "198.51.100.1");
    assert_string_equal(pick(t, "2001:db8:1::1", NULL, "198.51.100.2"), "198.51.100.2");
    /* Malformed: the peer. */
    static const char *const bad[] = {
        "", " ", "unknown", "host.example", "1.2.3", "198.51.100.1,", ",198.51.100.1",
        "198.51.100.1,,10.0.0.2", "198.51.100.1 10.0.0.2", "[2001:db8::1", "2001:db8::1]",
        "198.51.100.1:", "198.51.100.1:99999999", "[::1]x", "\"198.51.100.1\"",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *got = pick(t, "10.0.0.1", NULL, bad[i]);
        if (strcmp(got, "10.0.0.1") != 0)
            fail_msg("X-Forwarded-For `%s` gave %s, expected the peer", bad[i], got);
    }
    char big[5000];
    memset(big, 0, sizeof big);
    for (size_t i = 0; strlen(big) + 12 < sizeof big - 1; i++)
        strcat(big, i ? ",1.2.3.4" : "1.2.3.4");
    assert_string_equal(pick(t, "10.0.0.1", NULL, big), "10.0.0.1");
}

static void test_proxy__forwarded(void **state)
{
    (void)state;
    const char *t = "10.0.0.0/8";
    assert_string_equal(pick(t, "10.0.0.1", "for=198.51.100.1", NULL), "198.51.100.1");
    assert_string_equal(pick(t, "10.0.0.1", "For=\"198.51.100.1:80\";proto=https;by=10.0.0.1",
                             NULL), "198.51.100.1");
    assert_string_equal(pick(t, "10.0.0.1", "for=\"[2001:db8:cafe::17]:4711\"", NULL),
                        "2001:db8:cafe::17");
    assert_string_equal(pick(t, "10.0.0.1", "for=1.1.1.1, for=198.51.100.1;proto=https, "
                                            "for=10.2.2.2", NULL), "198.51.100.1");
    /* Forwarded wins over X-Forwarded-For. */
    assert_string_equal(pick(t, "10.0.0.1", "for=198.51.100.1", "203.0.113.5"), "198.51.100.1");
    static const char *const bad[] = {
        "for=unknown", "for=_hidden", "proto=https", "for=198.51.100.1;for=1.1.1.1",
        "for=198.51.100.1, by=10.0.0.1", "for=\"198.51.100.1", "for=", "for=2001:db8::1:80x",
        "for=\"[2001:db8::1]\"x",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *got = pick(t, "10.0.0.1", bad[i], "198.51.100.77");
        if (strcmp(got, "10.0.0.1") != 0)
            fail_msg("Forwarded `%s` gave %s, expected the peer", bad[i], got);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_proxy__parse_cidrs),
        cmocka_unit_test(test_proxy__match),
        cmocka_unit_test(test_proxy__untrusted_peer_headers_ignored),
        cmocka_unit_test(test_proxy__x_forwarded_for),
        cmocka_unit_test(test_proxy__forwarded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
