/*
 * tests/relay/test_store.c: the semantics of relay/store/store.h, run against every backend
 * (SQLite in memory, SQLite on a file, and Redis when it is available).
 * Requirement numbers (R..) are those of the protocol reference, section 10.1.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include <signal.h>
#include <sqlite3.h>
#ifdef TIGRESS_HAVE_HIREDIS
#include <hiredis.h>

#include "store_redis_url.h"
#endif
#include <sys/stat.h>
#include <unistd.h>

#include "store_fixture.h"

#define ST(state) (((sf_fixture *)*(state))->s)

static const char PAYLOAD2[] = "{\"type\":\"XSALSA20_POLY1305\",\"data\":\"BBBB\"}";
static const char PAYLOAD3[] = "{\"type\":\"XSALSA20_POLY1305\",\"data\":\"CCCC\"}";
static const char TOKEN_I[] = "{\"type\":\"webpush\",\"tokenData\":\"https://push/i\"}";
static const char TOKEN_R[] = "{\"type\":\"webpush\",\"tokenData\":\"https://push/r\"}";
static const char TOKEN_R2[] = "{\"type\":\"webpush\",\"tokenData\":\"https://push/r2\"}";

static void new_id(char id[STORE_UUID_LEN + 1])
{
    static uint32_t n;
    sf_uuid(id, 0x5eed0000u, ++n);
}

/* A live RWD mailbox owned by claim A. */
static void make_rwd(store *s, char id[STORE_UUID_LEN + 1])
{
    new_id(id);
    assert_int_equal(sf_create(s, id, SF_CLAIM_A, "RWD", SF_LATER, NULL), STORE_OK);
}

static store_rc rd(store *s, const char *id, const char *claim)
{
    store_mailbox mb;
    store_rc rc = store_read(s, id, claim, NULL, SF_NOW, &mb);
    store_mailbox_clear(&mb);
    return rc;
}

static store_rc upd(store *s, const char *id, const char *claim, const char *rid,
                    const char *payload)
{
    store_reply dup;
    store_mailbox out;
    store_rc rc = store_update(s, id, claim, rid, payload, NULL, "{\"ok\":1}", SF_NOW, &dup,
                                 &out);
    store_reply_clear(&dup);
    store_mailbox_clear(&out);
    return rc;
}

static char *payload_of(store *s, const char *id, const char *claim)
{
    store_mailbox mb;
    if (store_read(s, id, claim, NULL, SF_NOW, &mb) != STORE_OK)
        return NULL;
    char *p = strdup(mb.payload_json);
    store_mailbox_clear(&mb);
    return p;
}

/* R4, R19, R22: what was created reads back byte for byte, for the Initiator. */
static void test_store__create_then_read_by_initiator(void **state)
{
    store *s = ST(state);
    char id[STORE_UUID_LEN + 1];
    new_id(id);
    store_new_mailbox nm = {.id = id, .initiator_claim = SF_CLAIM_A,
                            .payload_json = "{\"type\":\"AEAD_AES_128_GCM\",\"data\":\"q83v\"}",
                            .display_json = "{\"title\":\"T\",\"description\":\"D\",\"imageURL\":\"https://x\"}",
                            .initiator_token_json = TOKEN_I, .rights = "RWD",
                            .expires_at = SF_LATER};
    store_reply dup;
    assert_int_equal(store_create(s, &nm, "r-1", "{\"urlLink\":\"u\"}", &dup), STORE_OK);
    assert_null(dup.body);
    store_mailbox mb;
    assert_int_equal(store_read(s, id, SF_CLAIM_A, NULL, SF_NOW, &mb), STORE_OK);
    assert_string_equal(mb.id, id);
    assert_string_equal(mb.rights, "RWD");
    assert_int_equal(mb.expires_at, SF_LATER);
    assert_int_equal(mb.version, 1);
    assert_int_equal(mb.caller, STORE_PARTY_INITIATOR);
    assert_false(mb.recipient_bound);
    assert_string_equal(mb.payload_json, nm.payload_json);
    assert_string_equal(mb.display_json, nm.display_json);
    assert_string_equal(mb.initiator_token_json, TOKEN_I);
    assert_null(mb.recipient_token_json);
    store_mailbox_clear(&mb);
    assert_null(mb.payload_json);
}

/* R11: the same Request-ID from the same claim is a duplicate: original body, nothing new. */
static void test_store__create_duplicate_returns_original_body(void **state)
{
    store *s = ST(state);
    char id1[STORE_UUID_LEN + 1], id2[STORE_UUID_LEN + 1];
    new_id(id1);
    new_id(id2);
    store_new_mailbox nm = {.id = id1, .initiator_claim = SF_CLAIM_A, .payload_json = PAYLOAD2,
                            .display_json = "{}", .rights = "RD", .expires_at = SF_LATER};
    store_reply dup;
    assert_int_equal(store_create(s, &nm, "req-1", "{\"urlLink\":\"first\"}", &dup), STORE_OK);
    nm.id = id2;
    assert_int_equal(store_create(s, &nm, "req-1", "{\"urlLink\":\"second\"}", &dup),
                     STORE_DUPLICATE);
    assert_non_null(dup.body);
    assert_string_equal(dup.body, "{\"urlLink\":\"first\"}");
    store_reply_clear(&dup);
    assert_null(dup.body);
    assert_int_equal(rd(s, id2, SF_CLAIM_A), STORE_NOT_FOUND);
    assert_int_equal(rd(s, id1, SF_CLAIM_A), STORE_OK);
    /* A new Request-ID from the same claim is processed. */
    assert_int_equal(store_create(s, &nm, "req-2", "{}", &dup), STORE_OK);
    assert_int_equal(rd(s, id2, SF_CLAIM_A), STORE_OK);
}

/* R11, R14: store_replay() answers what a repeated Create would get, creating nothing: the
 * original body for the claim's last Request-ID, NOT_FOUND for any other Request-ID, for
 * another claim, or once the claim has processed a newer request (the relay asks this when the
 * per-address quota refuses a Create, docs/protocol.md D8). */
static void test_store__R11_replay_finds_the_create_without_creating(void **state)
{
    store *s = ST(state);
    char id[STORE_UUID_LEN + 1];
    new_id(id);
    store_reply dup;
    assert_int_equal(store_replay(s, SF_CLAIM_A, "req-1", &dup), STORE_NOT_FOUND);
    assert_null(dup.body);
    store_new_mailbox nm = {.id = id, .initiator_claim = SF_CLAIM_A, .payload_json = PAYLOAD2,
                            .display_json = "{}", .rights = "RWD", .expires_at = SF_LATER};
    assert_int_equal(store_create(s, &nm, "req-1", "{\"urlLink\":\"first\"}", &dup), STORE_OK);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(store_replay(s, SF_CLAIM_A, "req-1", &dup), STORE_DUPLICATE);
        assert_string_equal(dup.body, "{\"urlLink\":\"first\"}");
        store_reply_clear(&dup);
    }
    assert_int_equal(store_replay(s, SF_CLAIM_A, "req-2", &dup), STORE_NOT_FOUND);
    assert_null(dup.body);
    assert_int_equal(store_replay(s, SF_CLAIM_C, "req-1", &dup), STORE_NOT_FOUND);
    assert_int_equal(store_replay(s, SF_CLAIM_A, "req-1", NULL), STORE_DUPLICATE);
    assert_int_equal(store_count(s), 1);
    /* Only the last request is remembered, as for store_create's duplicate check. */
    assert_int_equal(upd(s, id, SF_CLAIM_A, "req-3", PAYLOAD3), STORE_OK);
    assert_int_equal(store_replay(s, SF_CLAIM_A, "req-1", &dup), STORE_NOT_FOUND);
    /* The front refuses a missing argument. */
    assert_int_equal(store_replay(s, NULL, "req-1", &dup), STORE_ERROR);
    assert_int_equal(store_replay(s, SF_CLAIM_A, NULL, &dup), STORE_ERROR);
    assert_int_equal(store_replay(NULL, SF_CLAIM_A, "req-1", &dup), STORE_ERROR);
}

/* R14: duplicate detection is per claim: another claim may reuse the Request-ID. */
static void test_store__create_same_request_id_other_claim_is_processed(void **state)
{
    store *s = ST(state);
    char id1[STORE_UUID_LEN + 1], id2[STORE_UUID_LEN + 1];
    new_id(id1);
    new_id(id2);
    assert_int_equal(sf_create(s, id1, SF_CLAIM_A, "RD", SF_LATER, "same"), STORE_OK);
    assert_int_equal(sf_create(s, id2, SF_CLAIM_C, "RD", SF_LATER, "same"), STORE_OK);
    assert_int_equal(rd(s, id2, SF_CLAIM_C), STORE_OK);
}

/* R24, R27, R30: every operation on an unknown mailbox is NOT_FOUND. */
static void test_store__unknown_mailbox_is_not_found(void **state)
{
    store *s = ST(state);
    char id[STORE_UUID_LEN + 1];
    new_id(id);
    store_mailbox mb;
    store_reply dup;
    assert_int_equal(rd(s, id, SF_CLAIM_A), STORE_NOT_FOUND);
    assert_int_equal(store_peek(s, id, SF_NOW, &mb), STORE_NOT_FOUND);
    assert_int_equal(upd(s, id, SF_CLAIM_A, "r", PAYLOAD2), STORE_NOT_FOUND);
    assert_int_equal(store_remove(s, id, SF_CLAIM_A, SF_NOW), STORE_NOT_FOUND);
    assert_int_equal(store_relinquish(s, id, SF_CLAIM_B, "r", "{}", SF_NOW, &dup),
                     STORE_NOT_FOUND);
    assert_int_equal(store_version(s, id, SF_NOW), 0);
}

/* R20, R21: the first other claim to read binds as Recipient; any third claim is refused. */
static void test_store__first_reader_binds_recipient(void **state)
{
    store *s = ST(state);
    char id[STORE_UUID_LEN + 1];
    make_rwd(s, id);
    store_mailbox mb;
    assert_int_equal(store_read(s, id, SF_CLAIM_B, NULL, SF_NOW, &mb), STORE_OK);
    assert_int_equal(mb.caller, STORE_PARTY_RECIPIENT);
    assert_true(mb.recipient_bound);
    assert_non_null(mb.payload_json);
    store_mailbox_clear(&mb);
    assert_int_equal(rd(s, id, SF_CLAIM_C), STORE_UNAUTHORIZED);
    assert_int_equal(upd(s, id, SF_CLAIM_C, "r1", PAYLOAD2), STORE_UNAUTHORIZED);
    assert_int_equal(store_remove(s, id, SF_CLAIM_C, SF_NOW), STORE_UNAUTHORIZED);
    /* The bound Recipient keeps reading; so does the Initiator (R22). */
    assert_int_equal(rd(s, id, SF_CLAIM_B), STORE_OK);
    assert_int_equal(store_read(s, id, SF_CLAIM_A, NULL, SF_NOW, &mb), STORE_OK);
    assert_int_equal(mb.caller, STORE_PARTY_INITIATOR);
    assert_true(mb.recipient_bound);
    store_mailbox_clear(&mb);
}

/* Protocol 3.2: the Initiator reading its own mailbox never binds it as Recipient. */
static void test_store__initiator_read_never_binds(void **state)
{
    store *s = ST(state);
    char id[STORE_UUID_LEN + 1];
    make_rwd(s, id);
    store_mailbox mb;
    assert_int_equal(store_read(s, id, SF_CLAIM_A, TOKEN_R, SF_NOW, &mb), STORE_OK);
    assert_false(mb.recipient_bound);
    assert_null(mb.recipient_token_json); /* the Initiator's body token is not a Recipient's */
    store_mailbox_clear(&mb);
    assert_int_equal(rd(s, id, SF_CLAIM_B), STORE_OK);
}

/* docs/protocol.md D4: a token sent with the secure read is stored for the (new) Recipient. */
static void test_store__read_stores_recipient_token(void **state)
{
    store *s = ST(state);
    char id[STORE_UUID_LEN + 1];
    make_rwd(s, id);
    store_mailbox mb;
    assert_int_equal(store_read(s, id, SF_CLAIM_B, TOKEN_R, SF_NOW, &mb), STORE_OK);
    assert_string_equal(mb.recipient_token_json, TOKEN_R);
    store_mailbox_clear(&mb);
    /* A later read by the bound Recipient replaces it. */
    assert_int_equal(store_read(s, id, SF_CLAIM_B, TOKEN_R2, SF_NOW, &mb), STORE_OK);
    assert_string_equal(mb.recipient_token_json, TOKEN_R2);
    store_mailbox_clear(&mb);
    assert_int_equal(store_read(s, id, SF_CLAIM_A, NULL, SF_NOW, &mb), STORE_OK);
    assert_string_equal(mb.recipient_token_json, TOKEN_R2);
    assert_null(mb.initiator_token_json);
    store_mailbox_clear(&mb);
    /* A refused claim stores nothing. */
    assert_int_equal(store_read(s, id, SF_CLAIM_C, TOKEN_R, SF_NOW, &mb), STORE_UNAUTHORIZED);
    assert_int_equal(store_read(s, id, SF_CLAIM_B, NULL, SF_NOW, &mb), STORE_OK);
    assert_string_equal(mb.recipient_token_json, TOKEN_R2);
    store_mailbox_clear(&mb);
}

/* R29, docs/protocol.md D9: the preview shows display data and expiry, and never binds. */
static void test_store__peek_shows_display_and_never_binds(void **state)
{
    store *s = ST(state);
    char id[STORE_UUID_LEN + 1];
    make_rwd(s, id);
    store_mailbox mb;
    assert_int_equal(store_peek(s, id, SF_NOW, &mb), STORE_OK);
    assert_string_equal(mb.id, id);
    assert_int_equal(mb.expires_at, SF_LATER);
    assert_non_null(mb.display_json);
    assert_non_null(strstr(mb.display_json, "\"title\":\"Key\""));
    assert_null(mb.payload_json);
    assert_null(mb.initiator_token_json);
    assert_int_equal(mb.caller, STORE_PARTY_NONE);
    store_mailbox_clear(&mb);
    assert_int_equal(store_peek(s, id, SF_NOW, &mb), STORE_OK);
    store_mailbox_clear(&mb);
    /* Still unbound: the first secure reader becomes the Recipient. */
    assert_int_equal(store_read(s, id, SF_CLAIM_C, NULL, SF_NOW, &mb), STORE_OK);
    assert_int_equal(mb.caller, STORE_PARTY_RECIPIENT);
    store_mailbox_clear(&mb);
}

/* R16, docs/protocol.md D6: without R nobody reads, and a refused read does not bind. */
static void test_store__rights_without_read_refuse_and_do_not_bind(void **state)
{
    store *s = ST(state);
    char id[STORE_UUID_LEN + 1];
    store_reply dup;
    new_id(id);
    assert_int_equal(sf_create(s, id, SF_CLAIM_A, "WD", SF_LATER, NULL), STORE_OK);
    assert_int_equal(rd(s, id, SF_CLAIM_A), STORE_UNAUTHORIZED);
    assert_int_equal(rd(s, id, SF_CLAIM_B), STORE_UNAUTHORIZED);
    /* B was not bound: relinquishing finds no Recipient. */
    assert_int_equal(store_relinquish(s, id, SF_CLAIM_B, "r", "{}", SF_NOW, &dup),
                     STORE_CONFLICT);
    assert_int_equal(upd(s, id, SF_CLAIM_A, NULL, PAYLOAD2), STORE_OK);
}

/* R16, docs/protocol.md D6: rights RD refuse Update to both parties; the payload is unchanged. */
static void test_store__rights_rd_refuse_update_for_both_parties(void **state)
{
    store *s = ST(state);
    char id[STORE_UUID_LEN + 1];
    new_id(id);
    assert_int_equal(sf_create(s, id, SF_CLAIM_A, "RD", SF_LATER, NULL), STORE_OK);
    char *before = payload_of(s, id, SF_CLAIM_B); /* binds B */
    assert_non_null(before);
    assert_int_equal(upd(s, id, SF_CLAIM_A, "u1", PAYLOAD2), STORE_UNAUTHORIZED);
    assert_int_equal(upd(s, id, SF_CLAIM_B, "u2", PAYLOAD2), STORE_UNAUTHORIZED);
    char *after = payload_of(s, id, SF_CLAIM_A);
    assert_string_equal(before, after);
    assert_int_equal(store_version(s, id, SF_NOW), 1);
    free(before);
    free(after);
    /* D is there: the Recipient completes. */
    assert_int_equal(store_remove(s, id, SF_CLAIM_B, SF_NOW), STORE_OK);
}

/* R16: rights RW refuse Delete to both parties; the mailbox survives. */
static void test_store__rights_rw_refuse_delete(void **state)
{
    store *s = ST(state);
    char id[STORE_UUID_LEN + 1];
    new_id(id);
    assert_int_equal(sf_create(s, id, SF_CLAIM_A, "RW", SF_LATER, NULL), STORE_OK);
    assert_int_equal(rd(s, id, SF_CLAIM_B), STORE_OK);
    assert_int_equal(store_remove(s, id, SF_CLAIM_A, SF_NOW), STORE_UNAUTHORIZED);
    assert_int_equal(store_remove(s, id, SF_CLAIM_B, SF_NOW), STORE_UNAUTHORIZED);
    assert_int_equal(rd(s, id, SF_CLAIM_A), STORE_OK);
}

/* R23, R25, R26: both parties update, back to back, many times; each bumps the version
 * and replaces the payload; *out describes the mailbox after the update. */
static void test_store__updates_replace_payload_and_bump_version(void **state)
{
    store *s = ST(state);
    char id[STORE_UUID_LEN + 1], rid[40], payload[80];
    make_rwd(s, id);
    assert_int_equal(rd(s, id, SF_CLAIM_B), STORE_OK);
    const char *who[] = {SF_CLAIM_A, SF_CLAIM_A, SF_CLAIM_B, SF_CLAIM_A, SF_CLAIM_B, SF_CLAIM_B,
                         SF_CLAIM_A, SF_CLAIM_B, SF_CLAIM_A, SF_CLAIM_B, SF_CLAIM_A, SF_CLAIM_B};
    for (unsigned i = 0; i < sizeof(who) / sizeof(who[0]); i++) {
        snprintf(rid, sizeof(rid), "req-%u", i);
        snprintf(payload, sizeof(payload), "{\"type\":\"X\",\"data\":\"%u\"}", i);
        store_reply dup;
        store_mailbox out;
        assert_int_equal(store_update(s, id, who[i], rid, payload, NULL, "{}", SF_NOW, &dup,
                                        &out),
                         STORE_OK);
        assert_null(dup.body);
        assert_int_equal(out.version, i + 2);
        assert_string_equal(out.payload_json, payload);
        assert_int_equal(out.caller, strcmp(who[i], SF_CLAIM_A) == 0 ? STORE_PARTY_INITIATOR
                                                                     : STORE_PARTY_RECIPIENT);
        store_mailbox_clear(&out);
        assert_int_equal(store_version(s, id, SF_NOW), i + 2);
        char *p = payload_of(s, id, i % 2 ? SF_CLAIM_A : SF_CLAIM_B);
        assert_string_equal(p, payload);
        free(p);
    }
}

/* R24, R21: an Update by a claim that is neither party is refused, also before binding. */
static void test_store__update_by_stranger_is_unauthorized(void **state)
{
    store *s = ST(state);
    char id[STORE_UUID_LEN + 1];
    make_rwd(s, id);
    assert_int_equal(upd(s, id, SF_CLAIM_B, "x", PAYLOAD2), STORE_UNAUTHORIZED);
    /* An Update never binds: B can still bind by reading, and C is then a stranger. */
    assert_int_equal(rd(s, id, SF_CLAIM_B), STORE_OK);
    assert_int_equal(upd(s, id, SF_CLAIM_C, "x", PAYLOAD2), STORE_UNAUTHORIZED);
    assert_int_equal(store_version(s, id, SF_NOW), 1);
}

/* R12: a repeated Update (same claim, same Request-ID) is a duplicate and changes nothing. */
static void test_store__update_duplicate_keeps_first_payload(void **state)
{
    store *s = ST(state);
    char id[STORE_UUID_LEN + 1];
    make_rwd(s, id);
    store_reply dup;
    store_mailbox out;
    assert_int_equal(store_update(s, id, SF_CLAIM_A, "u-1", PAYLOAD2, NULL, "{\"n\":1}", SF_NOW,
                                    &dup, &out),
                     STORE_OK);
    store_mailbox_clear(&out);
    assert_int_equal(store_update(s, id, SF_CLAIM_A, "u-1", PAYLOAD3, TOKEN_I, "{\"n\":2}",
                                    SF_NOW, &dup, &out),
                     STORE_DUPLICATE);
    assert_string_equal(dup.body, "{\"n\":1}");
    store_reply_clear(&dup);
    store_mailbox_clear(&out);
    char *p = payload_of(s, id, SF_CLAIM_A);
    assert_string_equal(p, PAYLOAD2);
    free(p);
    assert_int_equal(store_version(s, id, SF_NOW), 2);
    /* Only the last Request-ID is remembered (protocol 2.8.3). */
    assert_int_equal(upd(s, id, SF_CLAIM_A, "u-2", PAYLOAD3), STORE_OK);
    assert_int_equal(upd(s, id, SF_CLAIM_A, "u-1", PAYLOAD2), STORE_OK);
    assert_int_equal(store_version(s, id, SF_NOW), 4);
}

/* R14: the same Request-ID from the other party is a different request. */
static void test_store__update_same_request_id_other_claim_is_processed(void **state)
{
    store *s = ST(state);
    char id[STORE_UUID_LEN + 1];
    make_rwd(s, id);
    assert_int_equal(rd(s, id, SF_CLAIM_B), STORE_OK);
    assert_int_equal(upd(s, id, SF_CLAIM_A, "shared", PAYLOAD2), STORE_OK);
    assert_int_equal(upd(s, id, SF_CLAIM_B, "shared", PAYLOAD3), STORE_OK);
    char *p = payload_of(s, id, SF_CLAIM_A);
    assert_string_equal(p, PAYLOAD3);
    free(p);
}

/* Without a Request-ID there is no duplicate detection: both updates apply. */
static void test_store__update_without_request_id_always_applies(void **state)
{
    store *s = ST(state);
    char id[STORE_UUID_LEN + 1];
    make_rwd(s, id);
    assert_int_equal(upd(s, id, SF_CLAIM_A, NULL, PAYLOAD2), STORE_OK);
    assert_int_equal(upd(s, id, SF_CLAIM_A, NULL, PAYLOAD2), STORE_OK);
    assert_int_equal(store_version(s, id, SF_NOW), 3);
}

/* Protocol 3.1: an Update stores the caller's token, for its own side only. */
static void test_store__update_stores_callers_token(void **state)
{
    store *s = ST(state);
    char id[STORE_UUID_LEN + 1];
    make_rwd(s, id);
    assert_int_equal(rd(s, id, SF_CLAIM_B), STORE_OK);
    store_reply dup;
    store_mailbox out;
    assert_int_equal(store_update(s, id, SF_CLAIM_B, "1", PAYLOAD2, TOKEN_R, "{}", SF_NOW, &dup,
                                    &out),
                     STORE_OK);
    assert_string_equal(out.recipient_token_json, TOKEN_R);
    assert_null(out.initiator_token_json);
    store_mailbox_clear(&out);
    assert_int_equal(store_update(s, id, SF_CLAIM_A, "2", PAYLOAD3, TOKEN_I, "{}", SF_NOW, &dup,
                                    &out),
                     STORE_OK);
    assert_string_equal(out.initiator_token_json, TOKEN_I);
    assert_string_equal(out.recipient_token_json, TOKEN_R);
    store_mailbox_clear(&out);
    /* No token in the Update: the stored one stays. */
    assert_int_equal(store_update(s, id, SF_CLAIM_A, "3", PAYLOAD2, NULL, "{}", SF_NOW, &dup,
                                    &out),
                     STORE_OK);
    assert_string_equal(out.initiator_token_json, TOKEN_I);
    store_mailbox_clear(&out);
}

static void assert_all_not_found(store *s, const char *id)
{
    store_mailbox mb;
    store_reply dup;
    assert_int_equal(rd(s, id, SF_CLAIM_A), STORE_NOT_FOUND);
    assert_int_equal(rd(s, id, SF_CLAIM_B), STORE_NOT_FOUND);
    assert_int_equal(store_peek(s, id, SF_NOW, &mb), STORE_NOT_FOUND);
    assert_int_equal(upd(s, id, SF_CLAIM_A, "z", PAYLOAD2), STORE_NOT_FOUND);
    assert_int_equal(store_relinquish(s, id, SF_CLAIM_B, "z", "{}", SF_NOW, &dup),
                     STORE_NOT_FOUND);
    assert_int_equal(store_remove(s, id, SF_CLAIM_A, SF_NOW), STORE_NOT_FOUND);
    assert_int_equal(store_version(s, id, SF_NOW), 0);
}

/* R27: Delete by the Initiator; afterwards every operation is NOT_FOUND, a second Delete too. */
static void test_store__remove_by_initiator_then_everything_not_found(void **state)
{
    store *s = ST(state);
    char id[STORE_UUID_LEN + 1];
    make_rwd(s, id);
    assert_int_equal(rd(s, id, SF_CLAIM_B), STORE_OK);
    assert_int_equal(store_remove(s, id, SF_CLAIM_A, SF_NOW), STORE_OK);
    assert_all_not_found(s, id);
}

/* R27, stateless flow: the bound Recipient completes with Delete. */
static void test_store__remove_by_recipient(void **state)
{
    store *s = ST(state);
    char id[STORE_UUID_LEN + 1];
    new_id(id);
    assert_int_equal(sf_create(s, id, SF_CLAIM_A, "RD", SF_LATER, "c1"), STORE_OK);
    assert_int_equal(rd(s, id, SF_CLAIM_B), STORE_OK);
    assert_int_equal(store_remove(s, id, SF_CLAIM_B, SF_NOW), STORE_OK);
    assert_all_not_found(s, id);
    /* Its duplicate-detection row went with it: the Create's Request-ID is free again. */
    char id2[STORE_UUID_LEN + 1];
    new_id(id2);
    assert_int_equal(sf_create(s, id2, SF_CLAIM_A, "RD", SF_LATER, "c1"), STORE_OK);
}

/* R28: Delete with a wrong claim (or by an unbound would-be Recipient) is refused. */
static void test_store__remove_by_stranger_is_refused_and_mailbox_survives(void **state)
{
    store *s = ST(state);
    char id[STORE_UUID_LEN + 1];
    make_rwd(s, id);
    assert_int_equal(store_remove(s, id, SF_CLAIM_B, SF_NOW), STORE_UNAUTHORIZED);
    assert_int_equal(rd(s, id, SF_CLAIM_B), STORE_OK);
    assert_int_equal(store_remove(s, id, SF_CLAIM_C, SF_NOW), STORE_UNAUTHORIZED);
    assert_int_equal(rd(s, id, SF_CLAIM_A), STORE_OK);
    assert_int_equal(rd(s, id, SF_CLAIM_B), STORE_OK);
}

/* R32: after Relinquish a new claim can bind; the old Recipient is a stranger. */
static void test_store__relinquish_lets_a_new_recipient_bind(void **state)
{
    store *s = ST(state);
    char id[STORE_UUID_LEN + 1];
    make_rwd(s, id);
    store_mailbox mb;
    store_reply dup;
    assert_int_equal(store_read(s, id, SF_CLAIM_B, TOKEN_R, SF_NOW, &mb), STORE_OK);
    store_mailbox_clear(&mb);
    assert_int_equal(store_relinquish(s, id, SF_CLAIM_B, "rel-1", "{\"r\":1}", SF_NOW, &dup),
                     STORE_OK);
    assert_null(dup.body);
    /* The binding and the Recipient's token are gone; payload and expiry stay (2.7). */
    assert_int_equal(store_read(s, id, SF_CLAIM_A, NULL, SF_NOW, &mb), STORE_OK);
    assert_false(mb.recipient_bound);
    assert_null(mb.recipient_token_json);
    assert_int_equal(mb.expires_at, SF_LATER);
    assert_int_equal(mb.version, 1);
    store_mailbox_clear(&mb);
    assert_int_equal(store_read(s, id, SF_CLAIM_C, NULL, SF_NOW, &mb), STORE_OK);
    assert_int_equal(mb.caller, STORE_PARTY_RECIPIENT);
    store_mailbox_clear(&mb);
    assert_int_equal(rd(s, id, SF_CLAIM_B), STORE_UNAUTHORIZED);
    assert_int_equal(upd(s, id, SF_CLAIM_B, "u", PAYLOAD2), STORE_UNAUTHORIZED);
}

/* R33: Relinquish by the Initiator or a stranger is refused; with nobody bound it is a
 * conflict; the binding is untouched by refused attempts. */
static void test_store__relinquish_refusals(void **state)
{
    store *s = ST(state);
    char id[STORE_UUID_LEN + 1];
    store_reply dup;
    make_rwd(s, id);
    assert_int_equal(store_relinquish(s, id, SF_CLAIM_B, "1", "{}", SF_NOW, &dup),
                     STORE_CONFLICT);
    assert_int_equal(store_relinquish(s, id, SF_CLAIM_A, "2", "{}", SF_NOW, &dup),
                     STORE_UNAUTHORIZED);
    assert_int_equal(rd(s, id, SF_CLAIM_B), STORE_OK);
    assert_int_equal(store_relinquish(s, id, SF_CLAIM_A, "3", "{}", SF_NOW, &dup),
                     STORE_UNAUTHORIZED);
    assert_int_equal(store_relinquish(s, id, SF_CLAIM_C, "4", "{}", SF_NOW, &dup),
                     STORE_UNAUTHORIZED);
    assert_int_equal(rd(s, id, SF_CLAIM_B), STORE_OK);
    assert_int_equal(rd(s, id, SF_CLAIM_C), STORE_UNAUTHORIZED);
}

/* R13: a repeated Relinquish is a duplicate (original body) and changes nothing more, even
 * though the claim is no longer bound; a genuinely new one by the ex-Recipient is refused. */
static void test_store__relinquish_duplicate(void **state)
{
    store *s = ST(state);
    char id[STORE_UUID_LEN + 1];
    store_reply dup;
    make_rwd(s, id);
    assert_int_equal(rd(s, id, SF_CLAIM_B), STORE_OK);
    assert_int_equal(store_relinquish(s, id, SF_CLAIM_B, "rel", "{\"done\":1}", SF_NOW, &dup),
                     STORE_OK);
    assert_int_equal(rd(s, id, SF_CLAIM_C), STORE_OK); /* C binds in between */
    assert_int_equal(store_relinquish(s, id, SF_CLAIM_B, "rel", "{\"x\":2}", SF_NOW, &dup),
                     STORE_DUPLICATE);
    assert_string_equal(dup.body, "{\"done\":1}");
    store_reply_clear(&dup);
    assert_int_equal(rd(s, id, SF_CLAIM_C), STORE_OK); /* C is still bound */
    assert_int_equal(store_relinquish(s, id, SF_CLAIM_B, "rel2", "{}", SF_NOW, &dup),
                     STORE_UNAUTHORIZED);
}

/* R18: a mailbox whose expiry has passed is NOT_FOUND for everything before any sweep. */
static void test_store__expired_is_not_found_before_sweep(void **state)
{
    store *s = ST(state);
    char id[STORE_UUID_LEN + 1];
    /* Times relative to the clock now: Redis also expires keys by the real clock, which
     * must not reach the expiry while the test runs. */
    const int64_t t0 = (int64_t)time(NULL), exp = t0 + 600;
    new_id(id);
    assert_int_equal(sf_create(s, id, SF_CLAIM_A, "RWD", exp, NULL), STORE_OK);
    store_mailbox mb;
    assert_int_equal(store_read(s, id, SF_CLAIM_B, NULL, t0, &mb), STORE_OK);
    store_mailbox_clear(&mb);
    /* expires_at == now is already expired. */
    assert_int_equal(store_read(s, id, SF_CLAIM_A, NULL, exp, &mb), STORE_NOT_FOUND);
    assert_int_equal(store_read(s, id, SF_CLAIM_C, NULL, exp + 1, &mb), STORE_NOT_FOUND);
    assert_int_equal(store_peek(s, id, exp, &mb), STORE_NOT_FOUND);
    assert_int_equal(store_version(s, id, exp), 0);
    store_reply dup;
    assert_int_equal(store_update(s, id, SF_CLAIM_A, "u", PAYLOAD2, NULL, "{}", exp,
                                    &dup, &mb),
                     STORE_NOT_FOUND);
    assert_int_equal(store_relinquish(s, id, SF_CLAIM_B, "r", "{}", exp, &dup),
                     STORE_NOT_FOUND);
    assert_int_equal(store_remove(s, id, SF_CLAIM_A, exp), STORE_NOT_FOUND);
    /* Nothing was changed by the refused calls: one second earlier it is intact. */
    assert_int_equal(store_read(s, id, SF_CLAIM_A, NULL, exp - 1, &mb), STORE_OK);
    assert_int_equal(mb.version, 1);
    assert_true(mb.recipient_bound);
    store_mailbox_clear(&mb);
}

/* R18: sweep removes exactly the expired mailboxes (in several batches) and reports how
 * many; count() sees only live ones. */
static void test_store__sweep_removes_expired_and_counts(void **state)
{
    store *s = ST(state);
    int64_t now = (int64_t)time(NULL);
    char id[STORE_UUID_LEN + 1];
    enum { EXPIRED = 1203, LIVE = 37 };
    for (uint32_t i = 0; i < EXPIRED + LIVE; i++) {
        sf_uuid(id, 0x5ee90000u, i);
        assert_int_equal(sf_create(s, id, SF_CLAIM_A, "RD", i < EXPIRED ? now - 5 : now + 3600,
                                   NULL),
                         STORE_OK);
    }
    assert_int_equal(store_count(s), LIVE);
    assert_int_equal(store_sweep(s, now), EXPIRED);
    assert_int_equal(store_sweep(s, now), 0);
    assert_int_equal(store_count(s), LIVE);
    sf_uuid(id, 0x5ee90000u, EXPIRED);
    store_mailbox mb;
    assert_int_equal(store_read(s, id, SF_CLAIM_A, NULL, now, &mb), STORE_OK);
    store_mailbox_clear(&mb);
    /* Later, everything is expired. */
    assert_int_equal(store_sweep(s, now + 3600), LIVE);
    assert_int_equal(store_count(s), 0);
}

/* Every store_rc the contract names, each produced by a real call. */
static void test_store__every_rc_is_reachable(void **state)
{
    store *s = ST(state);
    char id[STORE_UUID_LEN + 1];
    store_reply dup;
    store_mailbox mb;
    make_rwd(s, id);
    assert_int_equal(upd(s, id, SF_CLAIM_A, "a", PAYLOAD2), STORE_OK);
    assert_int_equal(store_update(s, id, SF_CLAIM_A, "a", PAYLOAD2, NULL, "{}", SF_NOW, &dup,
                                    &mb),
                     STORE_DUPLICATE);
    store_reply_clear(&dup);
    store_mailbox_clear(&mb);
    assert_int_equal(rd(s, "00000000-0000-4000-8000-000000000000", SF_CLAIM_A), STORE_NOT_FOUND);
    assert_int_equal(store_relinquish(s, id, SF_CLAIM_B, "b", "{}", SF_NOW, &dup),
                     STORE_CONFLICT);
    assert_int_equal(rd(s, id, SF_CLAIM_B), STORE_OK);
    assert_int_equal(rd(s, id, SF_CLAIM_C), STORE_UNAUTHORIZED);
    /* A second mailbox with an id that exists already is a store error, not a success. */
    assert_int_equal(sf_create(s, id, SF_CLAIM_D, "RD", SF_LATER, "d"), STORE_ERROR);
    assert_int_equal(rd(s, id, SF_CLAIM_D), STORE_UNAUTHORIZED);
    /* The failed Create left no duplicate-detection row behind. */
    char id2[STORE_UUID_LEN + 1];
    new_id(id2);
    assert_int_equal(sf_create(s, id2, SF_CLAIM_D, "RD", SF_LATER, "d"), STORE_OK);
}

/* store_open picks the backend from the location; errors name no secret. */
static void test_store__open_dispatch_and_errors(void **state)
{
    (void)state;
    char err[256] = "";
    store_config cfg = {.location = "", .busy_timeout_ms = 10};
    assert_null(store_open(&cfg, err, sizeof(err)));
    assert_true(strlen(err) > 0);
    cfg.location = "/nonexistent-dir-for-tigress-tests/x.db";
    err[0] = '\0';
    assert_null(store_open(&cfg, err, sizeof(err)));
    assert_non_null(strstr(err, "sqlite store"));
    cfg.location = "redis://127.0.0.1:1/0";
    err[0] = '\0';
#ifndef TIGRESS_HAVE_HIREDIS
    assert_null(store_open(&cfg, err, sizeof(err)));
    assert_non_null(strstr(err, "redis backend not built"));
#else
    /* Unreachable is an outage, not a configuration error (the relay must start during an
     * outage and recover by itself): the store opens with a warning in err, and its calls answer
     * STORE_UNAVAILABLE (at once: circuit breaker). */
    store *down = store_open(&cfg, err, sizeof(err));
    assert_non_null(down);
    assert_non_null(strstr(err, "cannot reach 127.0.0.1:1"));
    store_mailbox mb;
    assert_int_equal(store_read(down, "00000000-0000-4000-8000-000000000000", SF_CLAIM_D,
                                     NULL, 0, &mb),
                     STORE_UNAVAILABLE);
    assert_int_equal(store_count(down), -1);
    store_close(down);
    cfg.location = "REDIS://:s3cret-pw@";
    err[0] = '\0';
    assert_null(store_open(&cfg, err, sizeof(err)));
    assert_non_null(strstr(err, "cannot parse"));
    assert_null(strstr(err, "s3cret")); /* the password never reaches a message */
    cfg.location = "redis://:s3cret-pw@127.0.0.1:1";
    err[0] = '\0';
    down = store_open(&cfg, err, sizeof(err));
    assert_non_null(down);
    assert_null(strstr(err, "s3cret"));
    store_close(down);
#endif
}

#ifdef TIGRESS_HAVE_HIREDIS
/* The Sentinel form of the Redis URL; redis:// and rediss:// parse as before. */
static void test_store__redis_sentinel_url(void **state)
{
    (void)state;
    rs_url u;
    memset(&u, 0, sizeof u);
    assert_true(rs_url_parse(&u, "redis+sentinel://al%3Ace:pw%40x@s1:26380,s2,10.0.0.3:1234/"
                                 "mymaster?db=3&min_replicas=2&wait_ms=700"));
    assert_true(u.sentinel);
    assert_false(u.tls);
    assert_int_equal(u.n_sentinels, 3);
    assert_string_equal(u.sentinels[0].host, "s1");
    assert_int_equal(u.sentinels[0].port, 26380);
    assert_string_equal(u.sentinels[1].host, "s2");
    assert_int_equal(u.sentinels[1].port, 26379);
    assert_string_equal(u.sentinels[2].host, "10.0.0.3");
    assert_int_equal(u.sentinels[2].port, 1234);
    assert_string_equal(u.master_name, "mymaster");
    assert_string_equal(u.user, "al:ce");
    assert_string_equal(u.password, "pw@x");
    assert_int_equal(u.db, 3);
    assert_int_equal(u.min_replicas, 2);
    assert_int_equal(u.wait_ms, 700);
    rs_url_clear(&u);
    memset(&u, 0, sizeof u);
    assert_true(rs_url_parse(&u, "REDIS+SENTINEL://h/m"));
    assert_int_equal(u.n_sentinels, 1);
    assert_int_equal(u.db, 0);
    assert_int_equal(u.min_replicas, 0);
    assert_null(u.password);
    rs_url_clear(&u);
    static const char *const bad[] = {
        "redis+sentinel://h",               /* no master name */
        "redis+sentinel://h/",
        "redis+sentinel:///m",              /* no sentinel */
        "redis+sentinel://h,/m",            /* a trailing comma */
        "redis+sentinel://h:0/m",
        "redis+sentinel://h:70000/m",
        "redis+sentinel://h:12x/m",
        "redis+sentinel://h/m/x",
        "redis+sentinel://h/m?db=x",
        "redis+sentinel://h/m?db",
        "redis+sentinel://h/m?mni_replicas=1",  /* a typo is refused, not ignored */
        "redis+sentinel://h/m?wait_ms=0",
        "rediss+sentinel://h/m",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        memset(&u, 0, sizeof u);
        if (rs_url_parse(&u, bad[i]))
            fail_msg("parsed: %s", bad[i]);
        rs_url_clear(&u);
    }
    memset(&u, 0, sizeof u);
    assert_true(rs_url_parse(&u, "redis://:pw@h:6380/2"));
    assert_false(u.sentinel);
    assert_string_equal(u.host, "h");
    assert_int_equal(u.port, 6380);
    assert_int_equal(u.db, 2);
    rs_url_clear(&u);
}
#endif

/* ---- what a stolen disk holds (SQLite file stores only) ---------------------------------- */

/* Whether the file at path contains the bytes of needle anywhere (a missing file does not). */
static bool file_contains(const char *path, const char *needle)
{
    FILE *fp = fopen(path, "rb");
    if (fp == NULL)
        return false;
    size_t cap = 1 << 20, len = 0, n;
    char *buf = malloc(cap);
    assert_non_null(buf);
    while ((n = fread(buf + len, 1, cap - len, fp)) > 0) {
        len += n;
        if (len == cap) {
            cap *= 2;
            buf = realloc(buf, cap);
            assert_non_null(buf);
        }
    }
    fclose(fp);
    size_t nl = strlen(needle);
    bool found = false;
    for (size_t i = 0; !found && nl <= len && i <= len - nl; i++)
        found = memcmp(buf + i, needle, nl) == 0;
    free(buf);
    return found;
}

static bool store_files_contain(const char *db_path, const char *needle)
{
    char wal[600];
    snprintf(wal, sizeof(wal), "%s-wal", db_path);
    return file_contains(db_path, needle) || file_contains(wal, needle);
}

/* docs/protocol.md D12: once a mailbox is deleted and the sweeper has run (store_sweep
 * checkpoints the WAL with TRUNCATE), neither store.db (free pages included: secure_delete)
 * nor store.db-wal holds any of its values: payload (ciphertext, here large enough to need
 * overflow pages), display title, tokens, Request-ID, response body. */
static void test_store__deleted_mailbox_leaves_no_trace_in_files(void **state)
{
    sf_fixture *f = *state;
    store *s = f->s;
    char id[STORE_UUID_LEN + 1], marker[48];
    new_id(id);
    snprintf(marker, sizeof(marker), "GONE-%08lx-MARK", (unsigned long)time(NULL));
    size_t big = 12000; /* several overflow pages: freed to the freelist on delete */
    char *payload = malloc(big + 128);
    assert_non_null(payload);
    int off = snprintf(payload, big + 128, "{\"type\":\"XSALSA20_POLY1305\",\"data\":\"");
    while ((size_t)off < big)
        off += snprintf(payload + off, big + 128 - (size_t)off, "%s", marker);
    snprintf(payload + off, big + 128 - (size_t)off, "\"}");
    char display[160], token[160], rid[64], body[96];
    snprintf(display, sizeof(display), "{\"title\":\"%s\",\"description\":\"D\"}", marker);
    snprintf(token, sizeof(token), "{\"type\":\"webpush\",\"tokenData\":\"https://p/%s\"}", marker);
    snprintf(rid, sizeof(rid), "rid-%s", marker);
    snprintf(body, sizeof(body), "{\"urlLink\":\"%s\"}", marker);
    store_new_mailbox nm = {.id = id, .initiator_claim = SF_CLAIM_A, .payload_json = payload,
                            .display_json = display, .initiator_token_json = token,
                            .rights = "RWD", .expires_at = SF_LATER};
    store_reply dup;
    assert_int_equal(store_create(s, &nm, rid, body, &dup), STORE_OK);
    assert_true(store_files_contain(f->location, marker)); /* the check can see it */
    assert_int_equal(store_remove(s, id, SF_CLAIM_A, SF_NOW), STORE_OK);
    assert_true(store_sweep(s, SF_NOW) >= 0);
    assert_false(store_files_contain(f->location, marker));
    /* And after a clean close too (the last close checkpoints the WAL). */
    store_close(s);
    f->s = sf_reopen(f);
    assert_non_null(f->s);
    assert_false(store_files_contain(f->location, marker));
    free(payload);
}

/* docs/protocol.md D12: the store holds a keyed hash of every Device Claim and Request-ID,
 * never the value, so a copied store.db (or its WAL) lets nobody act as a bound device nor
 * replay a Request-ID. */
static void test_store__files_hold_no_claim_or_request_id_in_clear(void **state)
{
    sf_fixture *f = *state;
    store *s = f->s;
    char id[STORE_UUID_LEN + 1];
    new_id(id);
    assert_int_equal(sf_create(s, id, SF_CLAIM_A, "RWD", SF_LATER, "rid-CLEAR-create"),
                     STORE_OK);
    assert_int_equal(rd(s, id, SF_CLAIM_B), STORE_OK); /* binds B */
    assert_int_equal(upd(s, id, SF_CLAIM_B, "rid-CLEAR-update", PAYLOAD2), STORE_OK);
    /* Both in the WAL (before the checkpoint) and in store.db (after it). */
    assert_false(store_files_contain(f->location, SF_CLAIM_A));
    assert_false(store_files_contain(f->location, SF_CLAIM_B));
    assert_false(store_files_contain(f->location, "rid-CLEAR-"));
    assert_true(store_sweep(s, SF_NOW) >= 0);
    store_close(s);
    f->s = sf_reopen(f);
    assert_non_null(f->s);
    assert_false(store_files_contain(f->location, SF_CLAIM_A));
    assert_false(store_files_contain(f->location, SF_CLAIM_B));
    assert_false(store_files_contain(f->location, "rid-CLEAR-"));
    assert_int_equal(rd(f->s, id, SF_CLAIM_A), STORE_OK);
    assert_int_equal(rd(f->s, id, SF_CLAIM_B), STORE_OK);
    assert_int_equal(rd(f->s, id, SF_CLAIM_C), STORE_UNAUTHORIZED);
}

/* A store written by the previous relay (schema 1, claims in the clear) opens, is migrated
 * in place (to user_version 2, then 3; a key file beside it) and its parties keep every right: the
 * Initiator and the bound Recipient read, update and delete, a third claim is refused, and
 * the remembered Request-IDs still answer as duplicates. */
static void test_store__old_schema_store_is_migrated_and_claims_still_work(void **state)
{
    sf_fixture *f = *state;
    char id1[STORE_UUID_LEN + 1], id2[STORE_UUID_LEN + 1], sql[2048], p[600];
    new_id(id1);
    new_id(id2);
    snprintf(p, sizeof(p), "%s.key", f->location);
    /* Schema 1: claims and Request-IDs in the clear, as relays before the keyed hashes wrote
     * them. */
    sqlite3 *db = sf_old_schema_db(f, 1);
    assert_non_null(db);
    snprintf(sql, sizeof(sql),
             "INSERT INTO mailboxes VALUES ('%s', '%s', '%s', 'RWD', %lld, 3, '%s', '{}', NULL,"
             " NULL);"
             "INSERT INTO mailboxes VALUES ('%s', '%s', NULL, 'RWD', %lld, 1, '%s', '{}', NULL,"
             " NULL);"
             "INSERT INTO requests VALUES ('%s', 'old-rid-a', '%s', '{\"old\":\"a\"}');"
             "INSERT INTO requests VALUES ('%s', 'old-rid-b', '%s', '{\"old\":\"b\"}');",
             id1, SF_CLAIM_A, SF_CLAIM_B, (long long)SF_LATER, PAYLOAD2, id2, SF_CLAIM_C,
             (long long)SF_LATER, PAYLOAD2, SF_CLAIM_A, id1, SF_CLAIM_B, id1);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_close(db), SQLITE_OK);

    f->s = sf_reopen(f);
    assert_non_null(f->s);
    store *s = f->s;
    store_mailbox mb;
    assert_int_equal(store_read(s, id1, SF_CLAIM_A, NULL, SF_NOW, &mb), STORE_OK);
    assert_int_equal(mb.caller, STORE_PARTY_INITIATOR);
    assert_true(mb.recipient_bound);
    assert_int_equal(mb.version, 3);
    store_mailbox_clear(&mb);
    assert_int_equal(store_read(s, id1, SF_CLAIM_B, NULL, SF_NOW, &mb), STORE_OK);
    assert_int_equal(mb.caller, STORE_PARTY_RECIPIENT);
    store_mailbox_clear(&mb);
    assert_int_equal(rd(s, id1, SF_CLAIM_C), STORE_UNAUTHORIZED);
    /* Remembered Request-IDs: a retry still gets the original answer. */
    store_reply dup;
    store_mailbox out;
    assert_int_equal(store_update(s, id1, SF_CLAIM_B, "old-rid-b", PAYLOAD3, NULL, "{}", SF_NOW,
                                  &dup, &out),
                     STORE_DUPLICATE);
    assert_string_equal(dup.body, "{\"old\":\"b\"}");
    store_reply_clear(&dup);
    assert_int_equal(upd(s, id1, SF_CLAIM_B, "new-rid-b", PAYLOAD3), STORE_OK);
    assert_int_equal(upd(s, id1, SF_CLAIM_A, "new-rid-a", PAYLOAD2), STORE_OK);
    assert_int_equal(upd(s, id1, SF_CLAIM_D, "x", PAYLOAD2), STORE_UNAUTHORIZED);
    /* The unbound one still binds its first reader, never its Initiator. */
    assert_int_equal(rd(s, id2, SF_CLAIM_C), STORE_OK);
    assert_int_equal(rd(s, id2, SF_CLAIM_D), STORE_OK);
    assert_int_equal(rd(s, id2, SF_CLAIM_A), STORE_UNAUTHORIZED);
    assert_int_equal(store_remove(s, id1, SF_CLAIM_D, SF_NOW), STORE_UNAUTHORIZED);
    assert_int_equal(store_remove(s, id1, SF_CLAIM_B, SF_NOW), STORE_OK);
    assert_int_equal(store_remove(s, id2, SF_CLAIM_C, SF_NOW), STORE_OK);
    /* Migrated: schema 3, the key file private, no claim left in the clear. */
    assert_true(store_sweep(s, SF_NOW) >= 0);
    struct stat kst;
    assert_int_equal(stat(p, &kst), 0);
    assert_int_equal(kst.st_mode & 0777, 0600);
    assert_int_equal((int)kst.st_size, 32);
    assert_int_equal(sqlite3_open_v2(f->location, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(st, 0), 3); /* via 2, in the same open */
    sqlite3_finalize(st);
    sqlite3_close(db);
    assert_false(store_files_contain(f->location, SF_CLAIM_A));
    assert_false(store_files_contain(f->location, SF_CLAIM_B));
    assert_false(store_files_contain(f->location, "old-rid-"));
}

/* A hashed store without its key file cannot verify any claim: it is refused at open
 * (exit 70) rather than silently started with a new key that would lock every party out. */
static void test_store__hashed_store_without_key_file_is_refused(void **state)
{
    sf_fixture *f = *state;
    char id[STORE_UUID_LEN + 1], p[600], moved[620];
    make_rwd(f->s, id);
    store_close(f->s);
    f->s = NULL;
    snprintf(p, sizeof(p), "%s.key", f->location);
    snprintf(moved, sizeof(moved), "%s.moved", p);
    assert_int_equal(rename(p, moved), 0);
    char err[256] = "";
    store_config cfg = {.location = f->location, .busy_timeout_ms = 100};
    assert_null(store_open(&cfg, err, sizeof(err)));
    assert_non_null(strstr(err, "key"));
    assert_int_equal(rename(moved, p), 0);
    f->s = sf_reopen(f);
    assert_non_null(f->s);
    assert_int_equal(rd(f->s, id, SF_CLAIM_A), STORE_OK);
}

#ifdef TIGRESS_HAVE_HIREDIS
/* ---- what the Redis store holds --------------------------------------------------------- */

static redisContext *redis_raw(const sf_fixture *f)
{
    const char *colon = strrchr(f->location, ':');
    assert_non_null(colon);
    int port = atoi(colon + 1);
    struct timeval tv = {2, 0};
    redisContext *c = redisConnectWithTimeout("127.0.0.1", port, tv);
    assert_non_null(c);
    assert_int_equal(c->err, 0);
    return c;
}

static void redis_ok(redisContext *c, redisReply *r)
{
    (void)c;
    assert_non_null(r);
    assert_int_not_equal(r->type, REDIS_REPLY_ERROR);
    freeReplyObject(r);
}

static bool reply_contains(const redisReply *r, const char *needle)
{
    if (r == NULL)
        return false;
    if (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS)
        return strstr(r->str, needle) != NULL;
    if (r->type == REDIS_REPLY_ARRAY)
        for (size_t i = 0; i < r->elements; i++)
            if (reply_contains(r->element[i], needle))
                return true;
    return false;
}

/* Whether any key name or value in the Redis database contains needle. */
static bool redis_contains(const sf_fixture *f, const char *needle)
{
    redisContext *c = redis_raw(f);
    redisReply *keys = redisCommand(c, "KEYS *");
    assert_non_null(keys);
    bool found = false;
    for (size_t i = 0; !found && i < keys->elements; i++) {
        const char *k = keys->element[i]->str;
        found = strstr(k, needle) != NULL;
        redisReply *t = redisCommand(c, "TYPE %s", k);
        assert_non_null(t);
        redisReply *v = NULL;
        if (strcmp(t->str, "hash") == 0)
            v = redisCommand(c, "HGETALL %s", k);
        else if (strcmp(t->str, "set") == 0)
            v = redisCommand(c, "SMEMBERS %s", k);
        else if (strcmp(t->str, "zset") == 0)
            v = redisCommand(c, "ZRANGE %s 0 -1", k);
        else if (strcmp(t->str, "string") == 0)
            v = redisCommand(c, "GET %s", k);
        found = found || reply_contains(v, needle);
        freeReplyObject(v);
        freeReplyObject(t);
    }
    freeReplyObject(keys);
    redisFree(c);
    return found;
}

/* docs/protocol.md D12 on Redis: no key name or value holds a Device Claim or Request-ID. */
static void test_store__redis_holds_no_claim_or_request_id_in_clear(void **state)
{
    sf_fixture *f = *state;
    store *s = f->s;
    char id[STORE_UUID_LEN + 1];
    new_id(id);
    assert_int_equal(sf_create(s, id, SF_CLAIM_A, "RWD", SF_LATER, "rid-CLEAR-create"),
                     STORE_OK);
    assert_int_equal(rd(s, id, SF_CLAIM_B), STORE_OK);
    assert_int_equal(upd(s, id, SF_CLAIM_B, "rid-CLEAR-update", PAYLOAD2), STORE_OK);
    assert_true(redis_contains(f, id)); /* the check can see what is there */
    assert_false(redis_contains(f, SF_CLAIM_A));
    assert_false(redis_contains(f, SF_CLAIM_B));
    assert_false(redis_contains(f, "rid-CLEAR-"));
    assert_int_equal(rd(s, id, SF_CLAIM_A), STORE_OK);
    assert_int_equal(rd(s, id, SF_CLAIM_C), STORE_UNAUTHORIZED);
}

/* A Redis store written by the previous relay (claims and Request-IDs in the clear, no
 * tigress:schema key) is migrated when a relay first uses it: its parties keep every right
 * and the remembered Request-IDs still answer as duplicates. */
static void test_store__redis_old_format_is_migrated_and_claims_still_work(void **state)
{
    sf_fixture *f = *state;
    store_close(f->s);
    f->s = NULL;
    char id1[STORE_UUID_LEN + 1], id2[STORE_UUID_LEN + 1];
    new_id(id1);
    new_id(id2);
    long long later = (long long)SF_LATER, later_ms = later * 1000;
    redisContext *c = redis_raw(f);
    redis_ok(c, redisCommand(c, "FLUSHALL"));
    redis_ok(c, redisCommand(c, "HSET tigress:mb:%s ini %s rec %s rights RWD exp %lld expms %lld"
                                " ver 3 payload %s display {}",
                             id1, SF_CLAIM_A, SF_CLAIM_B, later, later_ms, PAYLOAD2));
    redis_ok(c, redisCommand(c, "HSET tigress:mb:%s ini %s rights RWD exp %lld expms %lld ver 1"
                                " payload %s display {}",
                             id2, SF_CLAIM_C, later, later_ms, PAYLOAD2));
    redis_ok(c, redisCommand(c, "ZADD tigress:exp %lld %s %lld %s", later, id1, later, id2));
    redis_ok(c, redisCommand(c, "HSET tigress:rq:%s rid old-rid-a mb %s body {\"old\":\"a\"}",
                             SF_CLAIM_A, id1));
    redis_ok(c, redisCommand(c, "HSET tigress:rq:%s rid old-rid-b mb %s body {\"old\":\"b\"}",
                             SF_CLAIM_B, id1));
    redis_ok(c, redisCommand(c, "SADD tigress:mbc:%s %s %s", id1, SF_CLAIM_A, SF_CLAIM_B));
    redisFree(c);

    f->s = sf_reopen(f);
    assert_non_null(f->s);
    store *s = f->s;
    store_mailbox mb;
    assert_int_equal(store_read(s, id1, SF_CLAIM_A, NULL, SF_NOW, &mb), STORE_OK);
    assert_int_equal(mb.caller, STORE_PARTY_INITIATOR);
    assert_true(mb.recipient_bound);
    assert_int_equal(mb.version, 3);
    store_mailbox_clear(&mb);
    assert_int_equal(store_read(s, id1, SF_CLAIM_B, NULL, SF_NOW, &mb), STORE_OK);
    assert_int_equal(mb.caller, STORE_PARTY_RECIPIENT);
    store_mailbox_clear(&mb);
    assert_int_equal(rd(s, id1, SF_CLAIM_C), STORE_UNAUTHORIZED);
    store_reply dup;
    store_mailbox out;
    assert_int_equal(store_update(s, id1, SF_CLAIM_B, "old-rid-b", PAYLOAD3, NULL, "{}", SF_NOW,
                                  &dup, &out),
                     STORE_DUPLICATE);
    assert_string_equal(dup.body, "{\"old\":\"b\"}");
    store_reply_clear(&dup);
    assert_int_equal(upd(s, id1, SF_CLAIM_B, "new-rid-b", PAYLOAD3), STORE_OK);
    assert_int_equal(upd(s, id1, SF_CLAIM_A, "new-rid-a", PAYLOAD2), STORE_OK);
    assert_int_equal(upd(s, id1, SF_CLAIM_D, "x", PAYLOAD2), STORE_UNAUTHORIZED);
    assert_int_equal(rd(s, id2, SF_CLAIM_C), STORE_OK);
    assert_int_equal(rd(s, id2, SF_CLAIM_D), STORE_OK);
    assert_int_equal(rd(s, id2, SF_CLAIM_A), STORE_UNAUTHORIZED);
    assert_false(redis_contains(f, SF_CLAIM_A));
    assert_false(redis_contains(f, SF_CLAIM_B));
    assert_false(redis_contains(f, SF_CLAIM_C));
    assert_false(redis_contains(f, SF_CLAIM_D));
    assert_false(redis_contains(f, "old-rid-"));
    assert_int_equal(store_remove(s, id1, SF_CLAIM_D, SF_NOW), STORE_UNAUTHORIZED);
    assert_int_equal(store_remove(s, id1, SF_CLAIM_B, SF_NOW), STORE_OK);
    assert_int_equal(store_remove(s, id2, SF_CLAIM_C, SF_NOW), STORE_OK);
    /* Nothing of the removed mailboxes is left but the store's own keys. */
    assert_false(redis_contains(f, id1));
    assert_false(redis_contains(f, id2));
}
#endif /* TIGRESS_HAVE_HIREDIS */

#define T(name) cmocka_unit_test_setup_teardown(name, sf_setup, sf_teardown)
#define STORE_SEMANTICS_TESTS                                                                   \
    T(test_store__create_then_read_by_initiator),                                               \
    T(test_store__create_duplicate_returns_original_body),                                      \
    T(test_store__R11_replay_finds_the_create_without_creating),                               \
    T(test_store__create_same_request_id_other_claim_is_processed),                             \
    T(test_store__unknown_mailbox_is_not_found),                                                \
    T(test_store__first_reader_binds_recipient),                                                \
    T(test_store__initiator_read_never_binds),                                                  \
    T(test_store__read_stores_recipient_token),                                                 \
    T(test_store__peek_shows_display_and_never_binds),                                          \
    T(test_store__rights_without_read_refuse_and_do_not_bind),                                  \
    T(test_store__rights_rd_refuse_update_for_both_parties),                                    \
    T(test_store__rights_rw_refuse_delete),                                                     \
    T(test_store__updates_replace_payload_and_bump_version),                                    \
    T(test_store__update_by_stranger_is_unauthorized),                                          \
    T(test_store__update_duplicate_keeps_first_payload),                                        \
    T(test_store__update_same_request_id_other_claim_is_processed),                             \
    T(test_store__update_without_request_id_always_applies),                                    \
    T(test_store__update_stores_callers_token),                                                 \
    T(test_store__remove_by_initiator_then_everything_not_found),                               \
    T(test_store__remove_by_recipient),                                                         \
    T(test_store__remove_by_stranger_is_refused_and_mailbox_survives),                          \
    T(test_store__relinquish_lets_a_new_recipient_bind),                                        \
    T(test_store__relinquish_refusals),                                                         \
    T(test_store__relinquish_duplicate),                                                        \
    T(test_store__expired_is_not_found_before_sweep),                                           \
    T(test_store__sweep_removes_expired_and_counts),                                            \
    T(test_store__every_rc_is_reachable)

int main(void)
{
    int failed = 0;
    signal(SIGPIPE, SIG_IGN); /* a dropped Redis connection must not kill the tests */
    const struct CMUnitTest common[] = {
        cmocka_unit_test(test_store__open_dispatch_and_errors),
#ifdef TIGRESS_HAVE_HIREDIS
        cmocka_unit_test(test_store__redis_sentinel_url),
#endif
    };
    const struct CMUnitTest semantics_mem[] = {STORE_SEMANTICS_TESTS};
    const struct CMUnitTest semantics_file[] = {STORE_SEMANTICS_TESTS};
    failed += cmocka_run_group_tests_name("store", common, NULL, NULL);
    failed += cmocka_run_group_tests_name("store sqlite :memory:", semantics_mem,
                                          sf_group_sqlite_memory, sf_group_teardown);
    failed += cmocka_run_group_tests_name("store sqlite file", semantics_file,
                                          sf_group_sqlite_file, sf_group_teardown);
    const struct CMUnitTest sqlite_file_only[] = {
        T(test_store__deleted_mailbox_leaves_no_trace_in_files),
        T(test_store__files_hold_no_claim_or_request_id_in_clear),
        T(test_store__old_schema_store_is_migrated_and_claims_still_work),
        T(test_store__hashed_store_without_key_file_is_refused),
    };
    failed += cmocka_run_group_tests_name("store sqlite file: on disk", sqlite_file_only,
                                          sf_group_sqlite_file, sf_group_teardown);
    const char *why = NULL;
    if (sf_redis_available(&why)) {
        const struct CMUnitTest semantics_redis[] = {STORE_SEMANTICS_TESTS};
        failed += cmocka_run_group_tests_name("store redis", semantics_redis, sf_group_redis,
                                              sf_group_teardown);
#ifdef TIGRESS_HAVE_HIREDIS
        const struct CMUnitTest redis_only[] = {
            T(test_store__redis_holds_no_claim_or_request_id_in_clear),
            T(test_store__redis_old_format_is_migrated_and_claims_still_work),
        };
        failed += cmocka_run_group_tests_name("store redis: what it holds", redis_only,
                                              sf_group_redis, sf_group_teardown);
#endif
    } else {
        printf("[  SKIP    ] store redis group: %s\n", why);
    }
    return failed == 0 ? 0 : 1;
}
