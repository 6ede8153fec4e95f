/*
 * tests/relay/test_store_tokens.c: store_drop_token() (relay/store/store.h) on every backend.
 * A push service answering 404/410 for a webpush subscription makes the relay clear that
 * party's token from the mailbox, but only while the mailbox still holds that very token: a
 * token the party sent since must survive. Runs on SQLite (:memory: and a file) and, when
 * redis-server is installed, on a private Redis server (the Lua script).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <signal.h>

#include "store_fixture.h"

#define ST(state) (((sf_fixture *)*(state))->s)

#define TOK_I "{\"type\":\"webpush\",\"tokenData\":\"https://push.example/i\"}"
#define TOK_R "{\"type\":\"webpush\",\"tokenData\":\"https://push.example/r\"}"
#define TOK_R2 "{\"type\":\"webpush\",\"tokenData\":\"https://push.example/r2\"}"

/* A mailbox of SF_CLAIM_A with token TOK_I, read (bound) by SF_CLAIM_B with token TOK_R. */
static void make_with_tokens(store *s, char id[STORE_UUID_LEN + 1])
{
    static uint32_t n;
    sf_uuid(id, 0x70c0, ++n);
    store_new_mailbox mb = {
        .id = id, .initiator_claim = SF_CLAIM_A,
        .payload_json = "{\"type\":\"XSALSA20_POLY1305\",\"data\":\"AAAA\"}",
        .display_json = "{\"title\":\"t\",\"description\":\"d\"}",
        .initiator_token_json = TOK_I, .rights = "RWD", .expires_at = SF_LATER,
    };
    store_reply dup;
    assert_int_equal(store_create(s, &mb, NULL, "{}", &dup), STORE_OK);
    store_mailbox out;
    assert_int_equal(store_read(s, id, SF_CLAIM_B, TOK_R, SF_NOW, &out), STORE_OK);
    store_mailbox_clear(&out);
}

/* The tokens as the Initiator reads them back (NULL = none) into it/rt (cap 128). */
static void tokens(store *s, const char *id, char *it, char *rt)
{
    store_mailbox out;
    assert_int_equal(store_read(s, id, SF_CLAIM_A, NULL, SF_NOW, &out), STORE_OK);
    snprintf(it, 128, "%s", out.initiator_token_json != NULL ? out.initiator_token_json : "-");
    snprintf(rt, 128, "%s", out.recipient_token_json != NULL ? out.recipient_token_json : "-");
    store_mailbox_clear(&out);
}

/* R37: a gone subscription is cleared for its party only, once; another party's token, a
 * token that differs from the stored one, and an unknown mailbox are left alone. */
static void test_store__drop_token_clears_only_that_token(void **state)
{
    store *s = ST(state);
    char id[STORE_UUID_LEN + 1], it[128], rt[128];
    make_with_tokens(s, id);
    /* Not the stored token (the Recipient's, asked for the Initiator): nothing changes. */
    assert_int_equal(store_drop_token(s, id, STORE_PARTY_INITIATOR, TOK_R), STORE_NOT_FOUND);
    tokens(s, id, it, rt);
    assert_string_equal(it, TOK_I);
    assert_string_equal(rt, TOK_R);

    assert_int_equal(store_drop_token(s, id, STORE_PARTY_INITIATOR, TOK_I), STORE_OK);
    tokens(s, id, it, rt);
    assert_string_equal(it, "-");
    assert_string_equal(rt, TOK_R);
    assert_int_equal(store_drop_token(s, id, STORE_PARTY_INITIATOR, TOK_I), STORE_NOT_FOUND);

    assert_int_equal(store_drop_token(s, id, STORE_PARTY_RECIPIENT, TOK_R), STORE_OK);
    tokens(s, id, it, rt);
    assert_string_equal(rt, "-");

    char other[STORE_UUID_LEN + 1];
    sf_uuid(other, 0x70c1, 1);
    assert_int_equal(store_drop_token(s, other, STORE_PARTY_RECIPIENT, TOK_R), STORE_NOT_FOUND);
}

/* A token the party replaced since the push was queued is not cleared by the old one's 404. */
static void test_store__drop_token_keeps_a_newer_token(void **state)
{
    store *s = ST(state);
    char id[STORE_UUID_LEN + 1], it[128], rt[128];
    make_with_tokens(s, id);
    store_reply dup;
    store_mailbox out;
    assert_int_equal(store_update(s, id, SF_CLAIM_B, NULL,
                                  "{\"type\":\"XSALSA20_POLY1305\",\"data\":\"BBBB\"}", TOK_R2,
                                  "{}", SF_NOW, &dup, &out),
                     STORE_OK);
    store_mailbox_clear(&out);
    assert_int_equal(store_drop_token(s, id, STORE_PARTY_RECIPIENT, TOK_R), STORE_NOT_FOUND);
    tokens(s, id, it, rt);
    assert_string_equal(rt, TOK_R2);
}

/* The front refuses what no backend should see: no party, or a missing argument. */
static void test_store__drop_token_checks_arguments(void **state)
{
    store *s = ST(state);
    char id[STORE_UUID_LEN + 1];
    make_with_tokens(s, id);
    assert_int_equal(store_drop_token(s, id, STORE_PARTY_NONE, TOK_I), STORE_ERROR);
    assert_int_equal(store_drop_token(s, id, STORE_PARTY_INITIATOR, NULL), STORE_ERROR);
    assert_int_equal(store_drop_token(s, NULL, STORE_PARTY_INITIATOR, TOK_I), STORE_ERROR);
    assert_int_equal(store_drop_token(NULL, id, STORE_PARTY_INITIATOR, TOK_I), STORE_ERROR);
}

#define T(f) cmocka_unit_test_setup_teardown(f, sf_setup, sf_teardown)
#define TOKEN_TESTS                                                                            \
    T(test_store__drop_token_clears_only_that_token),                                          \
        T(test_store__drop_token_keeps_a_newer_token),                                         \
        T(test_store__drop_token_checks_arguments)

int main(void)
{
    int failed = 0;
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest mem[] = {TOKEN_TESTS};
    const struct CMUnitTest file[] = {TOKEN_TESTS};
    failed += cmocka_run_group_tests_name("store drop_token sqlite :memory:", mem,
                                          sf_group_sqlite_memory, sf_group_teardown);
    failed += cmocka_run_group_tests_name("store drop_token sqlite file", file,
                                          sf_group_sqlite_file, sf_group_teardown);
    const char *why = NULL;
    if (sf_redis_available(&why)) {
        const struct CMUnitTest redis[] = {TOKEN_TESTS};
        failed += cmocka_run_group_tests_name("store drop_token redis", redis, sf_group_redis,
                                              sf_group_teardown);
    } else {
        printf("[  SKIP    ] store drop_token redis group: %s\n", why);
    }
    return failed == 0 ? 0 : 1;
}
