/*
 * Export and import: both flows resumed mid-way from blobs (with and without the Secret),
 * pending Request-IDs kept across a restart (C4), past expirations, and bad blobs.
 */
#include "transfer_fixture.h"

#include <cjson/cJSON.h>
#include <time.h>

static const uint8_t TXINFO[] = { 0xA0, 0xB1, 0xC2, 0xD3, 0xE4 };

/* Export t, free it, import the blob on client c; returns the new transfer. */
static tigress_transfer *reload(tigress_transfer *t, tigress_client *c, unsigned flags,
                                const char *secret)
{
    tigress_buf blob = {0};
    tigress_transfer *n = NULL;
    char *keep = secret != NULL ? strdup(secret) : NULL;

    assert_int_equal(tigress_transfer_export(t, flags, &blob), TIGRESS_OK);
    assert_non_null(blob.ptr);
    assert_int_equal(strlen((const char *)blob.ptr), blob.size);
    tigress_transfer_free(t);
    assert_int_equal(tigress_transfer_import(&n, c, blob.ptr, blob.size, keep), TIGRESS_OK);
    tigress_buf_dispose(&blob);
    assert_null(blob.ptr);
    free(keep);
    return n;
}

/* The stateful flow with both sides exported and imported after every step. */
static void resume_stateful(fx *f, unsigned flags)
{
    tigress_transfer *init = fx_share(f, 1, TIGRESS_PAYLOAD_AES_128_GCM), *rec;
    char secret[64], id[37], share_url[256];

    snprintf(secret, sizeof(secret), "%s", tigress_secret_text(tigress_transfer_secret(init)));
    snprintf(id, sizeof(id), "%s", tigress_transfer_mailbox_id(init));
    snprintf(share_url, sizeof(share_url), "%s", tigress_transfer_share_url(init));
    init = reload(init, f->a, flags, secret);
    assert_string_equal(tigress_transfer_mailbox_id(init), id);
    assert_string_equal(tigress_transfer_share_url(init), share_url);
    assert_int_equal(tigress_transfer_state(init), TIGRESS_STATE_CREATED);
    assert_int_equal(tigress_transfer_poll(init), TIGRESS_E_AGAIN); /* still knows its seq */

    rec = fx_redeem(f, init);
    rec = reload(rec, f->b, flags, secret);
    assert_int_equal(tigress_transfer_state(rec), TIGRESS_STATE_REDEEMED);
    assert_true(tigress_transfer_is_stateful(rec));
    if (flags & TIGRESS_EXPORT_WITHOUT_SECRET)
        assert_null(tigress_transfer_content(rec)); /* read back when needed */
    else
        assert_string_equal(tigress_transfer_content(rec), FX_CONTENT);
    /* The verifier is a pair of pointers: the app sets it again after a restart. */
    assert_int_equal(tigress_transfer_set_verifier(rec, &f->verifier), TIGRESS_OK);
    assert_int_equal(tigress_transfer_update(rec, "publicKey", TXINFO, sizeof(TXINFO)), TIGRESS_OK);
    assert_string_equal(tigress_transfer_content(rec), FX_CONTENT);
    rec = reload(rec, f->b, flags, secret);
    assert_int_equal(tigress_transfer_set_verifier(rec, &f->verifier), TIGRESS_OK);
    assert_int_equal(tigress_transfer_poll(rec), TIGRESS_E_AGAIN); /* its own message 2 */

    assert_int_equal(tigress_transfer_poll(init), TIGRESS_OK);
    init = reload(init, f->a, flags, secret);
    assert_int_equal(tigress_transfer_state(init), TIGRESS_STATE_TXINFO_RECEIVED);
    assert_int_equal(tigress_transfer_approve(init, &f->signer), TIGRESS_OK);
    init = reload(init, f->a, flags, secret);
    assert_int_equal(tigress_transfer_poll(init), TIGRESS_E_AGAIN);

    assert_int_equal(tigress_transfer_poll(rec), TIGRESS_OK);
    rec = reload(rec, f->b, flags, secret);
    assert_int_equal(tigress_transfer_state(rec), TIGRESS_STATE_SIGNED);
    assert_int_equal(tigress_transfer_signature(rec, NULL, NULL, NULL), TIGRESS_OK);
    assert_int_equal(tigress_transfer_complete(rec), TIGRESS_OK);
    assert_int_equal(tigress_transfer_poll(init), TIGRESS_OK);
    assert_int_equal(tigress_transfer_state(init), TIGRESS_STATE_COMPLETED);
    /* A final transfer can be exported and imported without its Secret. */
    init = reload(init, f->a, TIGRESS_EXPORT_WITHOUT_SECRET, NULL);
    assert_int_equal(tigress_transfer_state(init), TIGRESS_STATE_COMPLETED);
    assert_null(tigress_transfer_secret(init));
    assert_null(tigress_transfer_share_url(init));
    assert_non_null(tigress_transfer_url(init));
    fx_assert_secret_never_sent(f, tigress_transfer_secret(rec));
    tigress_transfer_free(rec);
    tigress_transfer_free(init);
}

static void test_export__stateful_resume_with_secret(void **state)
{
    resume_stateful(*state, 0);
}

static void test_export__stateful_resume_without_secret(void **state)
{
    resume_stateful(*state, TIGRESS_EXPORT_WITHOUT_SECRET);
}

/* The stateless flow: the Initiator resumed from a blob learns of the completion. */
static void test_export__stateless_resume(void **state)
{
    fx *f = *state;
    tigress_transfer *init = fx_share(f, 0, TIGRESS_PAYLOAD_XSALSA20_POLY1305), *rec;

    rec = fx_redeem(f, init);
    init = reload(init, f->a, 0, NULL);
    rec = reload(rec, f->b, 0, NULL);
    assert_string_equal(tigress_transfer_content(rec), FX_CONTENT);
    assert_int_equal(tigress_transfer_complete(rec), TIGRESS_OK);
    assert_int_equal(tigress_transfer_poll(init), TIGRESS_OK);
    assert_int_equal(tigress_transfer_state(init), TIGRESS_STATE_COMPLETED);
    tigress_transfer_free(rec);
    tigress_transfer_free(init);
}

/* What is (not) in the blob. */
static void test_export__blob_contents(void **state)
{
    fx *f = *state;
    tigress_transfer *t = fx_share(f, 0, TIGRESS_PAYLOAD_AES_256_GCM), *n = NULL;
    tigress_buf with = {0}, without = {0};
    const char *secret = tigress_secret_text(tigress_transfer_secret(t));
    cJSON *j;

    assert_int_equal(tigress_transfer_export(t, 0, &with), TIGRESS_OK);
    assert_int_equal(tigress_transfer_export(t, TIGRESS_EXPORT_WITHOUT_SECRET, &without), TIGRESS_OK);
    assert_non_null(strstr((char *)with.ptr, secret));
    assert_non_null(strstr((char *)with.ptr, "genericSharingData"));
    assert_null(strstr((char *)without.ptr, secret));
    assert_null(strstr((char *)without.ptr, "genericSharingData"));
    j = cJSON_Parse((char *)without.ptr);
    assert_int_equal(cJSON_GetObjectItem(j, "tigressTransfer")->valueint, 1);
    assert_string_equal(cJSON_GetObjectItem(j, "role")->valuestring, "initiator");
    assert_string_equal(cJSON_GetObjectItem(j, "state")->valuestring, "CREATED");
    assert_string_equal(cJSON_GetObjectItem(j, "claim")->valuestring, fx_claim(f, 0));
    cJSON_Delete(j);
    /* Without the Secret the import needs it (E_KEY); a different one is refused too. */
    assert_int_equal(tigress_transfer_import(&n, f->a, without.ptr, without.size, NULL), TIGRESS_E_KEY);
    assert_null(n);
    {
        tigress_secret *other = NULL;

        assert_int_equal(tigress_secret_generate(&other, TIGRESS_PAYLOAD_AES_256_GCM), TIGRESS_OK);
        assert_int_equal(tigress_transfer_import(&n, f->a, with.ptr, with.size,
                                                 tigress_secret_text(other)), TIGRESS_E_KEY);
        tigress_secret_free(other);
        assert_int_equal(tigress_secret_generate(&other, TIGRESS_PAYLOAD_AES_128_GCM), TIGRESS_OK);
        assert_int_equal(tigress_transfer_import(&n, f->a, without.ptr, without.size,
                                                 tigress_secret_text(other)), TIGRESS_E_KEY);
        tigress_secret_free(other);
        assert_int_equal(tigress_transfer_import(&n, f->a, without.ptr, without.size, "!!"),
                         TIGRESS_E_KEY);
    }
    assert_int_equal(tigress_transfer_import(&n, f->a, with.ptr, with.size, secret), TIGRESS_OK);
    assert_null(strstr(tigress_client_last_error(f->a)->message, secret));
    tigress_transfer_free(n);
    tigress_buf_dispose(&with);
    assert_int_equal(tigress_transfer_export(t, 0x80, &with), TIGRESS_E_INVALID);
    assert_null(with.ptr);
    assert_int_equal(tigress_transfer_export(t, 0, NULL), TIGRESS_E_INVALID);
    assert_int_equal(tigress_transfer_export(NULL, 0, &with), TIGRESS_E_INVALID);
    tigress_buf_dispose(&without);
    tigress_transfer_free(t);
}

/* C4 across a restart: an Update whose response was lost is retried after import with the
 * same Request-ID, and the relay applies it once. */
static void test_export__pending_request_id_survives(void **state)
{
    fx *f = *state;
    tigress_client_options co = TIGRESS_CLIENT_OPTIONS_INIT;
    tigress_client *c;
    tigress_transfer *init = fx_share(f, 1, TIGRESS_PAYLOAD_XSALSA20_POLY1305), *rec = NULL;
    tigress_buf blob = {0};
    char rid[37];

    co.max_retries = TIGRESS_RETRIES_NONE;
    c = mock_client_new(f->m, &co);
    assert_int_equal(fx_redeem_url(f, c, tigress_transfer_share_url(init), &rec), TIGRESS_OK);
    mock_relay_drop_responses(f->m, 1);
    assert_int_equal(tigress_transfer_update(rec, "k", TXINFO, sizeof(TXINFO)), TIGRESS_E_NETWORK);
    snprintf(rid, sizeof(rid), "%s", mock_request_header(mock_request_last(f->m), "Mailbox-Request-ID"));
    assert_int_equal(tigress_transfer_export(rec, 0, &blob), TIGRESS_OK);
    assert_non_null(strstr((char *)blob.ptr, rid));
    tigress_buf_dispose(&blob);
    rec = reload(rec, c, 0, NULL);
    assert_int_equal(tigress_transfer_update(rec, "k", TXINFO, sizeof(TXINFO)), TIGRESS_OK);
    assert_string_equal(mock_request_header(mock_request_last(f->m), "Mailbox-Request-ID"), rid);
    assert_int_equal(mock_relay_duplicate_count(f->m), 1);
    tigress_transfer_free(rec);
    tigress_transfer_free(init);
    tigress_client_free(c);
}

/* A blob whose expiration has passed: every call is E_EXPIRED with no request. */
static void test_export__past_expiry_in_blob(void **state)
{
    fx *f = *state;
    tigress_transfer *t = fx_share(f, 0, TIGRESS_PAYLOAD_XSALSA20_POLY1305), *n = NULL;
    tigress_buf blob = {0};
    cJSON *j;
    char *text;
    size_t before;

    assert_int_equal(tigress_transfer_export(t, 0, &blob), TIGRESS_OK);
    j = cJSON_Parse((char *)blob.ptr);
    cJSON_ReplaceItemInObject(j, "expiresAt", cJSON_CreateNumber((double)(time(NULL) - 60)));
    text = cJSON_PrintUnformatted(j);
    assert_int_equal(tigress_transfer_import(&n, f->a, (uint8_t *)text, strlen(text), NULL), TIGRESS_OK);
    before = mock_request_count(f->m);
    assert_int_equal(tigress_transfer_poll(n), TIGRESS_E_EXPIRED);
    assert_int_equal(tigress_transfer_state(n), TIGRESS_STATE_EXPIRED);
    assert_int_equal(tigress_transfer_revoke(n), TIGRESS_E_EXPIRED);
    assert_int_equal(mock_request_count(f->m), before);
    free(text);
    cJSON_Delete(j);
    tigress_buf_dispose(&blob);
    tigress_transfer_free(n);
    tigress_transfer_free(t);
}

/* Replace (or, with value NULL, remove) one member of a good blob and import it. */
static tigress_status import_edited(fx *f, const char *blob, const char *key, cJSON *value)
{
    cJSON *j = cJSON_Parse(blob);
    tigress_transfer *n = NULL;
    tigress_status rc;
    char *text;

    cJSON_DeleteItemFromObject(j, key);
    if (value != NULL)
        cJSON_AddItemToObject(j, key, value);
    text = cJSON_PrintUnformatted(j);
    rc = tigress_transfer_import(&n, f->a, (uint8_t *)text, strlen(text), NULL);
    if (rc != TIGRESS_OK)
        assert_null(n);
    tigress_transfer_free(n);
    free(text);
    cJSON_Delete(j);
    return rc;
}

static void test_export__bad_blobs(void **state)
{
    fx *f = *state;
    tigress_transfer *t = fx_share(f, 1, TIGRESS_PAYLOAD_XSALSA20_POLY1305), *n = NULL;
    tigress_buf blob = {0};
    const char *b;
    static const char *const required[] = { "tigressTransfer", "role", "state", "payloadType",
        "relay", "mailboxId", "urlLink", "claim", "expiresAt", "seq", "peerSeq", "format" };

    assert_int_equal(tigress_transfer_export(t, 0, &blob), TIGRESS_OK);
    b = (const char *)blob.ptr;
    assert_int_equal(import_edited(f, b, "tigressTransfer", cJSON_CreateNumber(2)),
                     TIGRESS_E_UNSUPPORTED);
    for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++)
        assert_int_equal(import_edited(f, b, required[i], NULL), TIGRESS_E_FORMAT);
    assert_int_equal(import_edited(f, b, "role", cJSON_CreateString("admin")), TIGRESS_E_FORMAT);
    assert_int_equal(import_edited(f, b, "state", cJSON_CreateString("SIGNED")), TIGRESS_E_FORMAT);
    assert_int_equal(import_edited(f, b, "state", cJSON_CreateString("WAITING_FOR_PEER")),
                     TIGRESS_E_FORMAT); /* stateful Initiator waiting needs txInfo/signature */
    assert_int_equal(import_edited(f, b, "mailboxId",
                                   cJSON_CreateString("2bba630e-519b-41ec-bf63-0242ac130002")),
                     TIGRESS_E_FORMAT);
    assert_int_equal(import_edited(f, b, "claim", cJSON_CreateString("nope")), TIGRESS_E_FORMAT);
    assert_int_equal(import_edited(f, b, "seq", cJSON_CreateNumber(-1)), TIGRESS_E_FORMAT);
    assert_int_equal(import_edited(f, b, "seq", cJSON_CreateNumber(1.5)), TIGRESS_E_FORMAT);
    assert_int_equal(import_edited(f, b, "payloadType", cJSON_CreateString("ROT13")), TIGRESS_E_FORMAT);
    assert_int_equal(import_edited(f, b, "content", cJSON_CreateString("{}")), TIGRESS_E_FORMAT);
    assert_int_equal(import_edited(f, b, "secret", cJSON_CreateString("short")), TIGRESS_E_KEY);
    assert_int_equal(import_edited(f, b, "urlLink", cJSON_CreateString("ftp://x")), TIGRESS_E_FORMAT);
    assert_int_equal(import_edited(f, b, "relay", cJSON_CreateString("http://relay.test")),
                     TIGRESS_E_INSECURE);
    assert_int_equal(import_edited(f, b, "txInfo", cJSON_CreateString("x")), TIGRESS_E_FORMAT);
    assert_int_equal(import_edited(f, b, "pendingOp", cJSON_CreateString("update")), TIGRESS_E_FORMAT);
    assert_int_equal(import_edited(f, b, "stateful", cJSON_CreateNumber(1)), TIGRESS_E_FORMAT);
    assert_int_equal(import_edited(f, b, "vertical", cJSON_CreateString("z")), TIGRESS_E_FORMAT);
    assert_int_equal(import_edited(f, b, "etag", NULL), TIGRESS_OK); /* optional */
    /* Not JSON, not an object, and every truncation of a good blob. */
    assert_int_equal(tigress_transfer_import(&n, f->a, (const uint8_t *)"nope", 4, NULL), TIGRESS_E_FORMAT);
    assert_int_equal(tigress_transfer_import(&n, f->a, (const uint8_t *)"[1]", 3, NULL), TIGRESS_E_FORMAT);
    assert_int_equal(tigress_transfer_import(&n, f->a, NULL, 3, NULL), TIGRESS_E_INVALID);
    assert_int_equal(tigress_transfer_import(NULL, f->a, blob.ptr, blob.size, NULL), TIGRESS_E_INVALID);
    assert_int_equal(tigress_transfer_import(&n, NULL, blob.ptr, blob.size, NULL), TIGRESS_E_INVALID);
    for (size_t len = 1; len < blob.size; len++) {
        tigress_status rc = tigress_transfer_import(&n, f->a, blob.ptr, len, NULL);
        assert_int_not_equal(rc, TIGRESS_OK);
        assert_null(n);
    }
    assert_int_equal(mock_request_count(f->m), 1); /* import never talks to the relay */
    tigress_buf_dispose(&blob);
    tigress_transfer_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, fx_setup, fx_teardown)
        T(test_export__stateful_resume_with_secret),
        T(test_export__stateful_resume_without_secret),
        T(test_export__stateless_resume),
        T(test_export__blob_contents),
        T(test_export__pending_request_id_survives),
        T(test_export__past_expiry_in_blob),
        T(test_export__bad_blobs),
#undef T
    };
    /* Paired global init/cleanup: the library gives back everything it holds (the fetched
     * AES-GCM ciphers too), so valgrind-unit's "still reachable" check stays meaningful. */
    if (tigress_global_init() != TIGRESS_OK)
        return 1;
    int failed = cmocka_run_group_tests_name("export", tests, NULL, NULL);
    tigress_global_cleanup();
    return failed;
}
