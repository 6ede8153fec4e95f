/* The NULL-argument behaviour each public declaration documents (include/tigress; in its @note,
 * its group's @note or its @return):
 * NULL handles and out-pointers are TIGRESS_E_INVALID (never a crash), accessors of a NULL
 * handle return NULL or 0, free/dispose functions accept NULL, static strings are never NULL. */
#include "transfer_fixture.h"

#include "tigress/sys/alloc.h"

#define URL "https://relay.example/v1/m/0f8fad5b-d9cb-469f-a165-70867728950e"

static void test_contract__no_init_needed_and_static_strings(void **state)
{
    (void)state;
    assert_non_null(tigress_strerror(12345));
    assert_non_null(tigress_status_name(-12345));
    assert_string_equal(tigress_state_name((tigress_state)99), "UNKNOWN");
    assert_null(tigress_payload_type_name((tigress_payload_type)9));
    assert_int_equal(tigress_payload_key_bytes((tigress_payload_type)9), 0);
    assert_non_null(tigress_version_string());
    assert_int_equal(tigress_version_num(), TIGRESS_VERSION_NUM);
    assert_non_null(tigress_error_last());
    assert_int_equal(tigress_client_options_init(NULL, TIGRESS_CLIENT_OPTIONS_VERSION),
                     TIGRESS_E_INVALID);
    assert_int_equal(tigress_share_options_init(NULL, TIGRESS_SHARE_OPTIONS_VERSION),
                     TIGRESS_E_INVALID);
    assert_int_equal(tigress_redeem_options_init(NULL, TIGRESS_REDEEM_OPTIONS_VERSION),
                     TIGRESS_E_INVALID);
    assert_int_equal(tigress_transfer_wait_options_init(NULL, TIGRESS_WAIT_OPTIONS_VERSION),
                     TIGRESS_E_INVALID);
    tigress_buf_dispose(NULL);
    tigress_free(NULL);
    tigress_client_free(NULL);
    tigress_transfer_free(NULL);
    tigress_secret_free(NULL);
    tigress_share_url_free(NULL);
    tigress_ed25519_key_free(NULL);
}

static void test_contract__client_and_errors(void **state)
{
    fx *f = *state;

    assert_int_equal(tigress_client_new(NULL, NULL), TIGRESS_E_INVALID);
    assert_ptr_equal(tigress_client_last_error(NULL), tigress_error_last());
    assert_int_equal(tigress_client_cancel(NULL), TIGRESS_E_INVALID);
    assert_int_equal(tigress_client_cancel_clear(NULL), TIGRESS_E_INVALID);
    assert_int_equal(tigress_client_wake(NULL), TIGRESS_E_INVALID);
    assert_non_null(tigress_client_last_error(f->a));
    assert_non_null(tigress_client_last_error(f->a)->message);
}

static void test_contract__crypto(void **state)
{
    tigress_secret *s = NULL, *s2 = NULL;
    tigress_share_url *u = NULL;
    tigress_buf b = { NULL, 0 };
    tigress_payload_type pt;
    uint8_t key[32] = { 0 };
    (void)state;

    assert_int_equal(tigress_payload_type_from_name(NULL, "AEAD_AES_128_GCM"), TIGRESS_E_INVALID);
    assert_int_equal(tigress_payload_type_from_name(&pt, NULL), TIGRESS_E_INVALID);
    assert_int_equal(tigress_secret_generate(NULL, TIGRESS_PAYLOAD_XSALSA20_POLY1305),
                     TIGRESS_E_INVALID);
    assert_int_equal(tigress_secret_from_text(NULL, "x"), TIGRESS_E_INVALID);
    assert_int_equal(tigress_secret_from_text(&s2, NULL), TIGRESS_E_INVALID);
    assert_int_equal(tigress_secret_from_bytes(NULL, key, 32), TIGRESS_E_INVALID);
    assert_int_equal(tigress_secret_from_bytes(&s2, NULL, 32), TIGRESS_E_INVALID);
    assert_null(tigress_secret_bytes(NULL));
    assert_int_equal(tigress_secret_size(NULL), 0);
    assert_null(tigress_secret_text(NULL));
    assert_int_equal(tigress_secret_generate(&s, TIGRESS_PAYLOAD_XSALSA20_POLY1305), TIGRESS_OK);
    assert_int_equal(tigress_payload_seal(NULL, 0, s, key, 3), TIGRESS_E_INVALID);
    assert_int_equal(tigress_payload_seal(&b, 0, NULL, key, 3), TIGRESS_E_INVALID);
    assert_int_equal(tigress_payload_seal(&b, 0, s, NULL, 3), TIGRESS_E_INVALID);
    assert_int_equal(tigress_payload_seal(&b, 0, s, NULL, 0), TIGRESS_OK); /* empty plaintext */
    tigress_buf_dispose(&b);
    assert_int_equal(tigress_payload_open(NULL, 0, s, "AAAA"), TIGRESS_E_INVALID);
    assert_int_equal(tigress_payload_open(&b, 0, NULL, "AAAA"), TIGRESS_E_INVALID);
    assert_int_equal(tigress_payload_open(&b, 0, s, NULL), TIGRESS_E_INVALID);
    assert_int_equal(tigress_share_url_build(NULL, URL, 0, s), TIGRESS_E_INVALID);
    assert_int_equal(tigress_share_url_build(&b, NULL, 0, s), TIGRESS_E_INVALID);
    assert_int_equal(tigress_share_url_build(&b, URL, 0, NULL), TIGRESS_OK); /* no fragment */
    assert_string_equal((const char *)b.ptr, URL);
    tigress_buf_dispose(&b);
    assert_int_equal(tigress_share_url_parse(NULL, URL, 0), TIGRESS_E_INVALID);
    assert_int_equal(tigress_share_url_parse(&u, NULL, 0), TIGRESS_E_INVALID);
    assert_null(tigress_share_url_mailbox_url(NULL));
    assert_null(tigress_share_url_relay(NULL));
    assert_null(tigress_share_url_host(NULL));
    assert_null(tigress_share_url_mailbox_id(NULL));
    assert_int_equal(tigress_share_url_vertical(NULL), 0);
    assert_null(tigress_share_url_secret(NULL));
    tigress_secret_free(s);
}

static void test_contract__signer_and_transport(void **state)
{
    fx *f = *state;
    tigress_ed25519_key *k = NULL;
    tigress_signer sg;
    tigress_verifier vf;
    uint8_t pub[32] = { 0 };

    assert_int_equal(tigress_ed25519_key_generate(NULL), TIGRESS_E_INVALID);
    assert_int_equal(tigress_ed25519_key_from_seed(NULL, pub, 32), TIGRESS_E_INVALID);
    assert_int_equal(tigress_ed25519_key_from_seed(&k, NULL, 32), TIGRESS_E_INVALID);
    assert_int_equal(tigress_ed25519_key_public(NULL, pub, 32), TIGRESS_E_INVALID);
    assert_int_equal(tigress_ed25519_key_public(f->key, NULL, 32), TIGRESS_E_INVALID);
    assert_int_equal(tigress_signer_ed25519(NULL, f->key), TIGRESS_E_INVALID);
    assert_int_equal(tigress_signer_ed25519(&sg, NULL), TIGRESS_E_INVALID);
    assert_int_equal(tigress_verifier_ed25519(NULL, pub), TIGRESS_E_INVALID);
    assert_int_equal(tigress_verifier_ed25519(&vf, NULL), TIGRESS_E_INVALID);
    assert_int_equal(tigress_http_response_set_status(NULL, 200), TIGRESS_E_INVALID);
    assert_int_equal(tigress_http_response_add_header(NULL, "a", "b"), TIGRESS_E_INVALID);
    assert_int_equal(tigress_http_response_append_body(NULL, pub, 1), TIGRESS_E_INVALID);
    /* Documented: not after initialisation (the fixture initialised the library). */
    assert_int_equal(tigress_global_init_mem(NULL), TIGRESS_E_STATE);
}

static void test_contract__transfer_entry_points(void **state)
{
    fx *f = *state;
    tigress_share_options so = fx_share_opts(1, TIGRESS_PAYLOAD_XSALSA20_POLY1305);
    tigress_redeem_options ro = TIGRESS_REDEEM_OPTIONS_INIT;
    tigress_transfer *t = NULL;

    assert_int_equal(tigress_share_create(NULL, f->a, &so), TIGRESS_E_INVALID);
    assert_int_equal(tigress_share_create(&t, NULL, &so), TIGRESS_E_INVALID);
    assert_int_equal(tigress_share_create(&t, f->a, NULL), TIGRESS_E_INVALID);
    assert_int_equal(tigress_redeem(NULL, f->b, &ro), TIGRESS_E_INVALID);
    assert_int_equal(tigress_redeem(&t, NULL, &ro), TIGRESS_E_INVALID);
    assert_int_equal(tigress_redeem(&t, f->b, NULL), TIGRESS_E_INVALID);
    assert_int_equal(tigress_transfer_import(NULL, f->a, (const uint8_t *)"{}", 2, NULL),
                     TIGRESS_E_INVALID);
    assert_int_equal(tigress_transfer_import(&t, NULL, (const uint8_t *)"{}", 2, NULL),
                     TIGRESS_E_INVALID);
    assert_int_equal(tigress_transfer_import(&t, f->a, NULL, 2, NULL), TIGRESS_E_INVALID);
    assert_int_equal(mock_request_count(f->m), 0);
}

static void test_contract__null_transfer(void **state)
{
    tigress_buf b = { NULL, 0 };
    fx *f = *state;

    assert_int_equal(tigress_transfer_set_verifier(NULL, &f->verifier), TIGRESS_E_INVALID);
    assert_int_equal(tigress_transfer_update(NULL, "x", (const uint8_t *)"x", 1),
                     TIGRESS_E_INVALID);
    assert_int_equal(tigress_transfer_approve(NULL, &f->signer), TIGRESS_E_INVALID);
    assert_int_equal(tigress_transfer_poll(NULL), TIGRESS_E_INVALID);
    assert_int_equal(tigress_transfer_wait(NULL, NULL), TIGRESS_E_INVALID);
    assert_int_equal(tigress_transfer_revoke(NULL), TIGRESS_E_INVALID);
    assert_int_equal(tigress_transfer_relinquish(NULL), TIGRESS_E_INVALID);
    assert_int_equal(tigress_transfer_complete(NULL), TIGRESS_E_INVALID);
    assert_int_equal(tigress_transfer_state(NULL), 0);
    assert_int_equal(tigress_transfer_role(NULL), 0);
    assert_int_equal(tigress_transfer_is_stateful(NULL), 0);
    assert_int_equal(tigress_transfer_payload_type(NULL), 0);
    assert_null(tigress_transfer_mailbox_id(NULL));
    assert_null(tigress_transfer_share_url(NULL));
    assert_null(tigress_transfer_url(NULL));
    assert_null(tigress_transfer_secret(NULL));
    assert_int_equal(tigress_transfer_vertical(NULL), 0);
    assert_null(tigress_transfer_format(NULL));
    assert_null(tigress_transfer_content(NULL));
    assert_null(tigress_transfer_title(NULL));
    assert_null(tigress_transfer_description(NULL));
    assert_null(tigress_transfer_image_url(NULL));
    assert_int_equal(tigress_transfer_expires_at(NULL), 0);
    assert_int_equal(tigress_transfer_push_supported(NULL), 0);
    assert_int_equal(tigress_transfer_txinfo(NULL, NULL, NULL, NULL), TIGRESS_E_INVALID);
    assert_int_equal(tigress_transfer_signature(NULL, NULL, NULL, NULL), TIGRESS_E_INVALID);
    assert_int_equal(tigress_transfer_export(NULL, 0, &b), TIGRESS_E_INVALID);
    assert_null(b.ptr);
}

/* NULL arguments next to a live transfer: refused before any request; NULL outputs of the
 * TxInfo/signature getters are skipped. */
static void test_contract__null_args_on_a_transfer(void **state)
{
    fx *f = *state;
    tigress_transfer *init = fx_share(f, 1, TIGRESS_PAYLOAD_XSALSA20_POLY1305);
    tigress_transfer *rec = fx_redeem(f, init);
    size_t sent = mock_request_count(f->m);
    size_t len = 0;

    assert_int_equal(tigress_transfer_set_verifier(rec, NULL), TIGRESS_E_INVALID);
    assert_int_equal(tigress_transfer_update(rec, NULL, (const uint8_t *)"x", 1),
                     TIGRESS_E_INVALID);
    assert_int_equal(tigress_transfer_update(rec, "k", NULL, 1), TIGRESS_E_INVALID);
    assert_int_equal(tigress_transfer_export(init, 0, NULL), TIGRESS_E_INVALID);
    assert_int_equal(mock_request_count(f->m), sent);
    assert_int_equal(tigress_transfer_update(rec, "k", (const uint8_t *)"xyz", 3), TIGRESS_OK);
    assert_int_equal(tigress_transfer_txinfo(rec, NULL, NULL, &len), TIGRESS_OK);
    assert_int_equal(len, 3);
    assert_int_equal(tigress_transfer_txinfo(rec, NULL, NULL, NULL), TIGRESS_OK);
    assert_int_equal(tigress_transfer_poll(init), TIGRESS_OK);
    assert_int_equal(tigress_transfer_approve(init, NULL), TIGRESS_E_INVALID);
    assert_int_equal(tigress_transfer_signature(init, NULL, NULL, NULL), TIGRESS_E_STATE);
    tigress_transfer_free(rec);
    tigress_transfer_free(init);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_contract__no_init_needed_and_static_strings),
        cmocka_unit_test_setup_teardown(test_contract__client_and_errors, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_contract__crypto, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_contract__signer_and_transport, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_contract__transfer_entry_points, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_contract__null_transfer, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_contract__null_args_on_a_transfer, fx_setup,
                                        fx_teardown),
    };

    return cmocka_run_group_tests_name("api_contract", tests, NULL, NULL);
}
