/*
 * tests/relay/test_store_schema.c: the SQLite store's schema 3 (relay/store/store_sqlite_schema.c)
 * on a file: a store written by the schema-2 relay is migrated at open and keeps every right
 * and every remembered Request-ID (R11, R12, R13; docs/protocol.md D12), and deleting a
 * mailbox, however its claims came and went, leaves no duplicate-detection row behind (D12:
 * nothing of a deleted mailbox stays in the files).
 * Requirement numbers (R..) are those of docs/requirements.md.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store_fixture.h"
#include "store_sqlite_ops.h" /* sq_hash, sq_uuid_parse: to write a schema-2 store by hand */

static const char PAYLOAD[] = "{\"type\":\"XSALSA20_POLY1305\",\"data\":\"AAAA\"}";
#define SF_CLAIM_E "eeeeeeee-eeee-4eee-8eee-eeeeeeeeeeee"

static void new_id(char id[STORE_UUID_LEN + 1])
{
    static uint32_t n;
    sf_uuid(id, 0x5c4e0000u, ++n);
}

static int64_t query_int(const char *path, const char *sql, const char *id)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    unsigned char idb[SQ_ID_LEN];
    if (id != NULL) {
        assert_true(sq_uuid_parse(id, idb));
        sqlite3_bind_blob(st, 1, idb, SQ_ID_LEN, SQLITE_STATIC);
    }
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    int64_t v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

static void put_mailbox(sqlite3 *db, const unsigned char *key, const char *id,
                        const char *initiator, const char *recipient, int version)
{
    unsigned char hi[SQ_HASH_LEN], hr[SQ_HASH_LEN];
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "INSERT INTO mailboxes VALUES (?1, ?2, ?3, 'RWD', ?4, ?5,"
                                        " ?6, '{}', NULL, NULL)",
                                        -1, &st, NULL),
                     SQLITE_OK);
    sq_hash(key, SQ_HASH_CLAIM, initiator, hi);
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_blob(st, 2, hi, SQ_HASH_LEN, SQLITE_STATIC);
    if (recipient != NULL) {
        sq_hash(key, SQ_HASH_CLAIM, recipient, hr);
        sqlite3_bind_blob(st, 3, hr, SQ_HASH_LEN, SQLITE_STATIC);
    }
    sqlite3_bind_int64(st, 4, SF_LATER);
    sqlite3_bind_int(st, 5, version);
    sqlite3_bind_text(st, 6, PAYLOAD, -1, SQLITE_STATIC);
    assert_int_equal(sqlite3_step(st), SQLITE_DONE);
    sqlite3_finalize(st);
}

static void put_request(sqlite3 *db, const unsigned char *key, const char *claim,
                        const char *rid, const char *id, const char *body)
{
    unsigned char hc[SQ_HASH_LEN], hr[SQ_HASH_LEN];
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, "INSERT INTO requests VALUES (?1, ?2, ?3, ?4)", -1,
                                        &st, NULL),
                     SQLITE_OK);
    sq_hash(key, SQ_HASH_CLAIM, claim, hc);
    sq_hash(key, SQ_HASH_REQUEST, rid, hr);
    sqlite3_bind_blob(st, 1, hc, SQ_HASH_LEN, SQLITE_STATIC);
    sqlite3_bind_blob(st, 2, hr, SQ_HASH_LEN, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, body, -1, SQLITE_STATIC);
    assert_int_equal(sqlite3_step(st), SQLITE_DONE);
    sqlite3_finalize(st);
}

static store_rc rd(store *s, const char *id, const char *claim, store_party *party)
{
    store_mailbox mb;
    store_rc rc = store_read(s, id, claim, NULL, SF_NOW, &mb);
    if (party != NULL)
        *party = mb.caller;
    store_mailbox_clear(&mb);
    return rc;
}

/* A store written by the schema-2 relay opens, is migrated in one transaction to schema 3
 * (user_version 3, its key file unchanged), and nothing its parties could do changes:
 * Initiator and bound Recipient read with their roles, another claim is refused, an unbound
 * mailbox binds its first reader, and every remembered Request-ID still answers as a
 * duplicate with the stored body: a Create's (R11, whatever mailbox the retry would make),
 * an Update's (R12) and a Relinquish's by a claim that is no longer a party (R13). */
static void test_store_schema__v2_store_is_migrated_to_v3(void **state)
{
    sf_fixture *f = *state;
    char id1[STORE_UUID_LEN + 1], id2[STORE_UUID_LEN + 1], id3[STORE_UUID_LEN + 1];
    char keypath[600];
    new_id(id1);
    new_id(id2);
    new_id(id3);
    /* Schema 2, as the relay before schema 3 created it: TEXT ids, keyed hashes (32-byte
     * BLOBs) in the claim and Request-ID columns, the key in the file beside the store. */
    sqlite3 *db = sf_old_schema_db(f, 2);
    assert_non_null(db);
    snprintf(keypath, sizeof(keypath), "%s.key", f->location);
    unsigned char key[SQ_KEY_LEN];
    for (int i = 0; i < SQ_KEY_LEN; i++)
        key[i] = (unsigned char)(i * 7 + 1);
    int fd = open(keypath, O_WRONLY | O_CREAT | O_EXCL, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, key, sizeof(key)), (ssize_t)sizeof(key));
    close(fd);
    put_mailbox(db, key, id1, SF_CLAIM_A, SF_CLAIM_B, 3); /* A created, B bound and updated */
    put_mailbox(db, key, id2, SF_CLAIM_C, NULL, 1);       /* C created, nobody bound */
    put_mailbox(db, key, id3, SF_CLAIM_D, NULL, 1);       /* D created, E bound then left */
    put_request(db, key, SF_CLAIM_A, "v2-create-a", id1, "{\"create\":\"a\"}");
    put_request(db, key, SF_CLAIM_B, "v2-update-b", id1, "{\"update\":\"b\"}");
    put_request(db, key, SF_CLAIM_C, "v2-create-c", id2, "{\"create\":\"c\"}");
    put_request(db, key, SF_CLAIM_E, "v2-rel-e", id3, "{\"relinquish\":\"e\"}");
    assert_int_equal(sqlite3_close(db), SQLITE_OK);

    f->s = sf_reopen(f);
    assert_non_null(f->s);
    store *s = f->s;
    assert_int_equal(query_int(f->location, "PRAGMA user_version", NULL), 3);
    store_party party = STORE_PARTY_NONE;
    assert_int_equal(rd(s, id1, SF_CLAIM_A, &party), STORE_OK);
    assert_int_equal(party, STORE_PARTY_INITIATOR);
    assert_int_equal(rd(s, id1, SF_CLAIM_B, &party), STORE_OK);
    assert_int_equal(party, STORE_PARTY_RECIPIENT);
    assert_int_equal(rd(s, id1, SF_CLAIM_C, NULL), STORE_UNAUTHORIZED);
    assert_int_equal(store_version(s, id1, SF_NOW), 3);

    store_reply dup;
    store_mailbox out;
    /* R11: the Create's retry answers the stored body and makes no mailbox. */
    char id4[STORE_UUID_LEN + 1];
    new_id(id4);
    store_new_mailbox nm = {.id = id4, .initiator_claim = SF_CLAIM_C, .payload_json = PAYLOAD,
                            .rights = "RWD", .expires_at = SF_LATER};
    assert_int_equal(store_create(s, &nm, "v2-create-c", "{}", &dup), STORE_DUPLICATE);
    assert_string_equal(dup.body, "{\"create\":\"c\"}");
    store_reply_clear(&dup);
    assert_int_equal(rd(s, id4, SF_CLAIM_C, NULL), STORE_NOT_FOUND);
    /* R12 */
    assert_int_equal(store_update(s, id1, SF_CLAIM_B, "v2-update-b", PAYLOAD, NULL, "{}", SF_NOW,
                                  &dup, &out),
                     STORE_DUPLICATE);
    assert_string_equal(dup.body, "{\"update\":\"b\"}");
    store_reply_clear(&dup);
    store_mailbox_clear(&out);
    /* R13: E relinquished id3 under schema 2 and is no longer bound. */
    assert_int_equal(store_relinquish(s, id3, SF_CLAIM_E, "v2-rel-e", "{}", SF_NOW, &dup),
                     STORE_DUPLICATE);
    assert_string_equal(dup.body, "{\"relinquish\":\"e\"}");
    store_reply_clear(&dup);
    /* The unbound mailbox binds its first reader (never its Initiator). */
    assert_int_equal(rd(s, id2, SF_CLAIM_D, &party), STORE_OK);
    assert_int_equal(party, STORE_PARTY_RECIPIENT);
    assert_int_equal(rd(s, id2, SF_CLAIM_E, NULL), STORE_UNAUTHORIZED);

    /* Deleting id3 takes E's row along although E is no longer a party of it. */
    assert_int_equal(store_remove(s, id3, SF_CLAIM_D, SF_NOW), STORE_OK);
    assert_int_equal(query_int(f->location, "SELECT count(*) FROM requests WHERE mailbox_id = ?1",
                               id3),
                     0);
    assert_int_equal(store_remove(s, id1, SF_CLAIM_B, SF_NOW), STORE_OK);
    assert_int_equal(query_int(f->location, "SELECT count(*) FROM requests", NULL), 1); /* C's */
}

/* D12: a deleted mailbox leaves no duplicate-detection row, whichever claims wrote one: the
 * Initiator (its Create), a Recipient that updated and then relinquished without a
 * Request-ID, one that relinquished with one, and the one bound at the end. Both ways a
 * mailbox goes: DeleteMailbox and the sweep of expired ones. */
static void test_store_schema__deleted_mailbox_leaves_no_request_rows(void **state)
{
    sf_fixture *f = *state;
    store *s = f->s;
    for (int way = 0; way < 2; way++) {
        char id[STORE_UUID_LEN + 1];
        new_id(id);
        int64_t expires = way == 0 ? SF_LATER : SF_NOW + 5;
        store_new_mailbox nm = {.id = id, .initiator_claim = SF_CLAIM_A, .payload_json = PAYLOAD,
                                .rights = "RWD", .expires_at = expires};
        store_reply dup;
        store_mailbox out;
        char rid[32];
        snprintf(rid, sizeof(rid), "create-%d", way);
        assert_int_equal(store_create(s, &nm, rid, "{}", &dup), STORE_OK);
        assert_int_equal(rd(s, id, SF_CLAIM_B, NULL), STORE_OK); /* binds B */
        assert_int_equal(store_update(s, id, SF_CLAIM_B, "upd-b", PAYLOAD, NULL, "{}", SF_NOW,
                                      &dup, &out),
                         STORE_OK);
        store_mailbox_clear(&out);
        assert_int_equal(store_relinquish(s, id, SF_CLAIM_B, NULL, NULL, SF_NOW, &dup), STORE_OK);
        assert_int_equal(rd(s, id, SF_CLAIM_C, NULL), STORE_OK); /* binds C */
        assert_int_equal(store_relinquish(s, id, SF_CLAIM_C, "rel-c", "{}", SF_NOW, &dup),
                         STORE_OK);
        assert_int_equal(rd(s, id, SF_CLAIM_D, NULL), STORE_OK); /* binds D */
        assert_int_equal(store_update(s, id, SF_CLAIM_D, "upd-d", PAYLOAD, NULL, "{}", SF_NOW,
                                      &dup, &out),
                         STORE_OK);
        store_mailbox_clear(&out);
        assert_int_equal(query_int(f->location,
                                   "SELECT count(*) FROM requests WHERE mailbox_id = ?1", id),
                         4);
        if (way == 0)
            assert_int_equal(store_remove(s, id, SF_CLAIM_A, SF_NOW), STORE_OK);
        else
            assert_int_equal(store_sweep(s, SF_NOW + 10), 1);
        assert_int_equal(query_int(f->location,
                                   "SELECT count(*) FROM requests WHERE mailbox_id = ?1", id),
                         0);
        /* The Create's Request-ID went with it: free again (as with schema 2's cascade). */
        char id2[STORE_UUID_LEN + 1];
        new_id(id2);
        nm.id = id2;
        nm.expires_at = SF_LATER;
        assert_int_equal(store_create(s, &nm, rid, "{}", &dup), STORE_OK);
        assert_int_equal(store_remove(s, id2, SF_CLAIM_A, SF_NOW), STORE_OK);
    }
    assert_int_equal(query_int(f->location, "SELECT count(*) FROM requests", NULL), 0);
}

/* IDs are stored as bytes, yet only the lowercase text form names a mailbox, as it did when
 * they were stored as text: an uppercase or malformed ID finds nothing. */
static void test_store_schema__only_the_lowercase_id_names_a_mailbox(void **state)
{
    sf_fixture *f = *state;
    store *s = f->s;
    char id[STORE_UUID_LEN + 1], upper[STORE_UUID_LEN + 1];
    new_id(id);
    assert_int_equal(sf_create(s, id, SF_CLAIM_A, "RWD", SF_LATER, "r"), STORE_OK);
    for (int i = 0; i <= STORE_UUID_LEN; i++)
        upper[i] = (char)(id[i] >= 'a' && id[i] <= 'f' ? id[i] - 'a' + 'A' : id[i]);
    assert_string_not_equal(upper, id);
    assert_int_equal(rd(s, upper, SF_CLAIM_A, NULL), STORE_NOT_FOUND);
    assert_int_equal(rd(s, "not-a-uuid", SF_CLAIM_A, NULL), STORE_NOT_FOUND);
    assert_int_equal(store_remove(s, upper, SF_CLAIM_A, SF_NOW), STORE_NOT_FOUND);
    assert_int_equal(store_version(s, upper, SF_NOW), 0);
    assert_int_equal(rd(s, id, SF_CLAIM_A, NULL), STORE_OK);
}

#define T(name) cmocka_unit_test_setup_teardown(name, sf_setup, sf_teardown)

int main(void)
{
    const struct CMUnitTest file_tests[] = {
        T(test_store_schema__v2_store_is_migrated_to_v3),
        T(test_store_schema__deleted_mailbox_leaves_no_request_rows),
        T(test_store_schema__only_the_lowercase_id_names_a_mailbox),
    };
    return cmocka_run_group_tests_name("store sqlite file: schema 3", file_tests,
                                       sf_group_sqlite_file, sf_group_teardown);
}
