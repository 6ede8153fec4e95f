/*
 * Integration: the SDK against the real relay over HTTPS on loopback. Both flows with each
 * payload type, revoke, relinquish, a third device, wrong Secret, Secret apart, expiry.
 * Test names cite protocol requirements (C = client, R = relay).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fixture.h"

static it_relay relay;
static tigress_client *alice, *bob, *carol;

static const char CONTENT[] = "{\"vehicle\":\"VIN123\",\"key\":\"c2VjcmV0\"}";

static int group_setup(void **state)
{
    (void)state;
    if (tigress_global_init() != TIGRESS_OK || it_relay_start(&relay, NULL) != 0)
        return -1;
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    int rc = it_relay_stop(&relay);
    it_relay_cleanup(&relay);
    tigress_global_cleanup();
    return rc == 0 ? 0 : -1; /* R: a clean SIGTERM shutdown exits 0 */
}

static int setup(void **state)
{
    (void)state;
    alice = it_client(&relay, 0);
    bob = it_client(&relay, 0);
    carol = it_client(&relay, 0);
    return alice && bob && carol ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    tigress_client_free(alice);
    tigress_client_free(bob);
    tigress_client_free(carol);
    alice = bob = carol = NULL;
    return 0;
}

static const tigress_wait_options *bounded_wait(void)
{
    static tigress_wait_options w;
    tigress_transfer_wait_options_init(&w, TIGRESS_WAIT_OPTIONS_VERSION);
    w.timeout_ms = it_scaled_ms(30000); /* a hang fails the test instead of blocking the suite */
    return &w;
}

static tigress_transfer *share(tigress_client *c, tigress_payload_type type, int stateful)
{
    tigress_share_options o;
    it_share_options(&o, &relay, CONTENT);
    o.payload_type = type;
    o.stateful = stateful;
    o.vertical = 'c';
    tigress_transfer *t = NULL;
    assert_int_equal(tigress_share_create(&t, c, &o), TIGRESS_OK);
    assert_int_equal(tigress_transfer_state(t), TIGRESS_STATE_CREATED);
    return t;
}

static tigress_status redeem(tigress_transfer **out, tigress_client *c, const char *url,
                             const char *secret, const tigress_verifier *v)
{
    tigress_redeem_options o;
    tigress_redeem_options_init(&o, TIGRESS_REDEEM_OPTIONS_VERSION);
    o.share_url = url;
    o.secret = secret;
    o.verifier = v;
    return tigress_redeem(out, c, &o);
}

/* C7, C12, C14, C22, R20, R27: share -> redeem -> complete -> the Initiator sees COMPLETED. */
static void stateless_flow(tigress_payload_type type)
{
    tigress_transfer *sent = share(alice, type, 0), *got = NULL;
    assert_int_equal(redeem(&got, bob, tigress_transfer_share_url(sent), NULL, NULL), TIGRESS_OK);
    assert_int_equal(tigress_transfer_state(got), TIGRESS_STATE_REDEEMED);
    assert_string_equal(tigress_transfer_content(got), CONTENT);
    assert_string_equal(tigress_transfer_format(got), "com.example.test");
    assert_string_equal(tigress_transfer_title(got), "Test key");
    assert_int_equal(tigress_transfer_payload_type(got), type);
    assert_int_equal(tigress_transfer_vertical(got), 'c');
    assert_string_equal(tigress_transfer_mailbox_id(got), tigress_transfer_mailbox_id(sent));
    assert_int_equal(tigress_transfer_poll(sent), TIGRESS_E_AGAIN); /* nothing new yet */
    assert_int_equal(tigress_transfer_complete(got), TIGRESS_OK);
    assert_int_equal(tigress_transfer_state(got), TIGRESS_STATE_COMPLETED);
    assert_int_equal(tigress_transfer_wait(sent, bounded_wait()), TIGRESS_OK);
    assert_int_equal(tigress_transfer_state(sent), TIGRESS_STATE_COMPLETED);
    tigress_transfer_free(got);
    tigress_transfer_free(sent);
}

static void test_C7_stateless_xsalsa20_poly1305(void **s) { (void)s; stateless_flow(TIGRESS_PAYLOAD_XSALSA20_POLY1305); }
static void test_C7_stateless_aes_128_gcm(void **s) { (void)s; stateless_flow(TIGRESS_PAYLOAD_AES_128_GCM); }
static void test_C7_stateless_aes_256_gcm(void **s) { (void)s; stateless_flow(TIGRESS_PAYLOAD_AES_256_GCM); }

/* R23, R25, C21, C24: TxInfo -> signature -> verified -> completed. */
static void stateful_flow(tigress_payload_type type)
{
    tigress_ed25519_key *key = NULL;
    uint8_t pub[TIGRESS_ED25519_PUBLIC_BYTES];
    assert_int_equal(tigress_ed25519_key_generate(&key), TIGRESS_OK);
    assert_int_equal(tigress_ed25519_key_public(key, pub, sizeof pub), TIGRESS_OK);
    tigress_verifier v;
    tigress_verifier_ed25519(&v, pub);
    tigress_signer signer;
    tigress_signer_ed25519(&signer, key);

    tigress_transfer *sent = share(alice, type, 1), *got = NULL;
    assert_true(tigress_transfer_is_stateful(sent));
    assert_int_equal(redeem(&got, bob, tigress_transfer_share_url(sent), NULL, &v), TIGRESS_OK);
    assert_true(tigress_transfer_is_stateful(got));
    static const uint8_t txinfo[] = {0x04, 0xde, 0xad, 0xbe, 0xef, 0x00, 0x01};
    assert_int_equal(tigress_transfer_update(got, "com.example.pubkey", txinfo, sizeof txinfo),
                     TIGRESS_OK);
    assert_int_equal(tigress_transfer_state(got), TIGRESS_STATE_WAITING_FOR_PEER);
    /* C24: Bob's own message is not news for Bob. */
    assert_int_equal(tigress_transfer_poll(got), TIGRESS_E_AGAIN);

    assert_int_equal(tigress_transfer_wait(sent, bounded_wait()), TIGRESS_OK);
    assert_int_equal(tigress_transfer_state(sent), TIGRESS_STATE_TXINFO_RECEIVED);
    const char *ttype;
    const uint8_t *data;
    size_t len;
    assert_int_equal(tigress_transfer_txinfo(sent, &ttype, &data, &len), TIGRESS_OK);
    assert_string_equal(ttype, "com.example.pubkey");
    assert_int_equal(len, sizeof txinfo);
    assert_memory_equal(data, txinfo, len);
    assert_int_equal(tigress_transfer_approve(sent, &signer), TIGRESS_OK);
    assert_int_equal(tigress_transfer_state(sent), TIGRESS_STATE_WAITING_FOR_PEER);

    assert_int_equal(tigress_transfer_wait(got, bounded_wait()), TIGRESS_OK);
    assert_int_equal(tigress_transfer_state(got), TIGRESS_STATE_SIGNED);
    const char *alg;
    const uint8_t *sig;
    size_t sig_len;
    assert_int_equal(tigress_transfer_signature(got, &alg, &sig, &sig_len), TIGRESS_OK);
    assert_string_equal(alg, "Ed25519");
    assert_int_equal(sig_len, 64);
    assert_int_equal(tigress_transfer_complete(got), TIGRESS_OK);
    assert_int_equal(tigress_transfer_wait(sent, bounded_wait()), TIGRESS_OK);
    assert_int_equal(tigress_transfer_state(sent), TIGRESS_STATE_COMPLETED);
    tigress_transfer_free(got);
    tigress_transfer_free(sent);
    tigress_ed25519_key_free(key);
}

static void test_R23_stateful_xsalsa20_poly1305(void **s) { (void)s; stateful_flow(TIGRESS_PAYLOAD_XSALSA20_POLY1305); }
static void test_R23_stateful_aes_128_gcm(void **s) { (void)s; stateful_flow(TIGRESS_PAYLOAD_AES_128_GCM); }
static void test_R23_stateful_aes_256_gcm(void **s) { (void)s; stateful_flow(TIGRESS_PAYLOAD_AES_256_GCM); }

/* C22, R27: the Initiator revokes before anyone redeems; redeeming then finds nothing. */
static void test_C22_revoke_before_redeem(void **s)
{
    (void)s;
    tigress_transfer *sent = share(alice, TIGRESS_PAYLOAD_XSALSA20_POLY1305, 0), *got = NULL;
    assert_int_equal(tigress_transfer_revoke(sent), TIGRESS_OK);
    assert_int_equal(tigress_transfer_state(sent), TIGRESS_STATE_REVOKED);
    assert_int_equal(redeem(&got, bob, tigress_transfer_share_url(sent), NULL, NULL),
                     TIGRESS_E_NOT_FOUND);
    assert_null(got);
    assert_int_equal(tigress_client_last_error(bob)->http_status, 404);
    /* A final state refuses further calls without touching the network. */
    assert_int_equal(tigress_transfer_revoke(sent), TIGRESS_E_STATE);
    tigress_transfer_free(sent);
}

/* S11: a Recipient waiting for the signature learns that the Initiator revoked. */
static void test_S11_recipient_sees_revocation(void **s)
{
    (void)s;
    tigress_transfer *sent = share(alice, TIGRESS_PAYLOAD_AES_128_GCM, 1), *got = NULL;
    assert_int_equal(redeem(&got, bob, tigress_transfer_share_url(sent), NULL, NULL), TIGRESS_OK);
    assert_int_equal(tigress_transfer_revoke(sent), TIGRESS_OK);
    assert_int_equal(tigress_transfer_wait(got, bounded_wait()), TIGRESS_E_REVOKED);
    assert_int_equal(tigress_transfer_state(got), TIGRESS_STATE_REVOKED);
    tigress_transfer_free(got);
    tigress_transfer_free(sent);
}

/* R32: Bob relinquishes; Carol can then redeem and complete. */
static void test_R32_relinquish_then_second_recipient(void **s)
{
    (void)s;
    tigress_transfer *sent = share(alice, TIGRESS_PAYLOAD_AES_256_GCM, 0), *b = NULL, *c = NULL;
    const char *url = tigress_transfer_share_url(sent);
    assert_int_equal(redeem(&b, bob, url, NULL, NULL), TIGRESS_OK);
    assert_int_equal(redeem(&c, carol, url, NULL, NULL), TIGRESS_E_UNAUTHORIZED);
    assert_int_equal(tigress_transfer_relinquish(b), TIGRESS_OK);
    assert_int_equal(tigress_transfer_state(b), TIGRESS_STATE_RELINQUISHED);
    assert_int_equal(redeem(&c, carol, url, NULL, NULL), TIGRESS_OK);
    assert_string_equal(tigress_transfer_content(c), CONTENT);
    assert_int_equal(tigress_transfer_complete(c), TIGRESS_OK);
    assert_int_equal(tigress_transfer_wait(sent, bounded_wait()), TIGRESS_OK);
    assert_int_equal(tigress_transfer_state(sent), TIGRESS_STATE_COMPLETED);
    tigress_transfer_free(c);
    tigress_transfer_free(b);
    tigress_transfer_free(sent);
}

/* R20, R21: once Bob is bound, a third device is refused (401) and Bob still completes. */
static void test_R21_third_device_refused(void **s)
{
    (void)s;
    tigress_transfer *sent = share(alice, TIGRESS_PAYLOAD_XSALSA20_POLY1305, 0), *b = NULL, *c = NULL;
    const char *url = tigress_transfer_share_url(sent);
    assert_int_equal(redeem(&b, bob, url, NULL, NULL), TIGRESS_OK);
    assert_int_equal(redeem(&c, carol, url, NULL, NULL), TIGRESS_E_UNAUTHORIZED);
    assert_null(c);
    assert_int_equal(tigress_client_last_error(carol)->http_status, 401);
    assert_int_equal(tigress_transfer_complete(b), TIGRESS_OK);
    tigress_transfer_free(b);
    tigress_transfer_free(sent);
}

/* C10, C13: the Secret sent apart works; a wrong Secret is a crypto error, no plaintext. */
static void test_C13_secret_apart_and_C10_wrong_secret(void **s)
{
    (void)s;
    tigress_transfer *sent = share(alice, TIGRESS_PAYLOAD_AES_128_GCM, 0), *b = NULL, *c = NULL;
    const char *bare = tigress_transfer_url(sent);
    assert_null(strchr(bare, '#'));
    tigress_secret *wrong = NULL;
    assert_int_equal(tigress_secret_generate(&wrong, TIGRESS_PAYLOAD_AES_128_GCM), TIGRESS_OK);
    /* Carol has the link but the wrong Secret: binding happens, decryption fails. */
    assert_int_equal(redeem(&c, carol, bare, tigress_secret_text(wrong), NULL), TIGRESS_E_CRYPTO);
    assert_null(c);
    tigress_secret_free(wrong);
    tigress_transfer_free(sent);

    sent = share(alice, TIGRESS_PAYLOAD_AES_256_GCM, 0);
    const char *secret = tigress_secret_text(tigress_transfer_secret(sent));
    assert_int_equal(redeem(&b, bob, tigress_transfer_url(sent), secret, NULL), TIGRESS_OK);
    assert_string_equal(tigress_transfer_content(b), CONTENT);
    assert_int_equal(tigress_transfer_complete(b), TIGRESS_OK);
    tigress_transfer_free(b);
    tigress_transfer_free(sent);
}

/* Shares with an expiration a few seconds ahead. When the machine is so slow (loaded, or under
 * valgrind) that the Create reached the relay after that moment, the relay rightly refused it:
 * try again with a longer lead rather than fail. */
static tigress_status share_expiring(tigress_transfer **sent, tigress_share_options *o)
{
    tigress_status st = TIGRESS_E_INTERNAL;
    for (int64_t lead = 3; lead <= 96; lead *= 2) {
        int64_t start = (int64_t)time(NULL);
        o->expires_at = start + lead;
        st = tigress_share_create(sent, alice, o);
        if (st == TIGRESS_OK || (int64_t)time(NULL) < start + lead - 1)
            break;
    }
    return st;
}

/* R18, C22: after the expiration the Recipient, who learns it only from the relay, gets a
 * typed gone/expired error; the Initiator knows expires_at, so its poll and wait report
 * TIGRESS_E_EXPIRED and its transfer ends in state EXPIRED (and stays there). */
static void test_R18_expiry(void **s)
{
    (void)s;
    tigress_share_options o;
    it_share_options(&o, &relay, CONTENT);
    tigress_transfer *sent = NULL, *got = NULL;
    assert_int_equal(share_expiring(&sent, &o), TIGRESS_OK);
    assert_int_equal(tigress_transfer_expires_at(sent), o.expires_at);
    while ((int64_t)time(NULL) <= o.expires_at + 1)
        sleep(1);
    /* The relay answers 404 for an expired mailbox (R18), so the Recipient sees "not found". */
    assert_int_equal(redeem(&got, bob, tigress_transfer_share_url(sent), NULL, NULL),
                     TIGRESS_E_NOT_FOUND);
    assert_int_equal(tigress_client_last_error(bob)->http_status, 404);
    assert_null(got);
    assert_int_equal(tigress_transfer_state(sent), TIGRESS_STATE_CREATED);
    assert_int_equal(tigress_transfer_poll(sent), TIGRESS_E_EXPIRED);
    assert_int_equal(tigress_client_last_error(alice)->code, TIGRESS_E_EXPIRED);
    assert_int_equal(tigress_transfer_state(sent), TIGRESS_STATE_EXPIRED);
    assert_string_equal(tigress_state_name(tigress_transfer_state(sent)), "EXPIRED");
    /* Final: every later call says so again, without changing the state. */
    assert_int_equal(tigress_transfer_wait(sent, bounded_wait()), TIGRESS_E_EXPIRED);
    assert_int_equal(tigress_transfer_revoke(sent), TIGRESS_E_EXPIRED);
    assert_int_equal(tigress_transfer_state(sent), TIGRESS_STATE_EXPIRED);
    tigress_transfer_free(sent);
}

/* R18, C22: an Initiator already waiting when the expiration passes ends EXPIRED too (the
 * wait is bounded by the expiry, not by its own timeout). */
static void test_R18_expiry_while_waiting(void **s)
{
    (void)s;
    tigress_share_options o;
    it_share_options(&o, &relay, CONTENT);
    tigress_transfer *sent = NULL;
    assert_int_equal(share_expiring(&sent, &o), TIGRESS_OK);
    assert_int_equal(tigress_transfer_wait(sent, bounded_wait()), TIGRESS_E_EXPIRED);
    assert_int_equal(tigress_client_last_error(alice)->code, TIGRESS_E_EXPIRED);
    assert_int_equal(tigress_transfer_state(sent), TIGRESS_STATE_EXPIRED);
    tigress_transfer_free(sent);
}

/* The blob without the Secret needs it back at import; with it, the transfer continues. */
static void test_export_without_secret_then_continue(void **s)
{
    (void)s;
    tigress_transfer *sent = share(alice, TIGRESS_PAYLOAD_XSALSA20_POLY1305, 0), *got = NULL, *again = NULL;
    assert_int_equal(redeem(&got, bob, tigress_transfer_share_url(sent), NULL, NULL), TIGRESS_OK);
    tigress_buf blob = {0};
    assert_int_equal(tigress_transfer_export(got, TIGRESS_EXPORT_WITHOUT_SECRET, &blob), TIGRESS_OK);
    char *secret = strdup(tigress_secret_text(tigress_transfer_secret(sent)));
    assert_null(strstr((const char *)blob.ptr, secret));
    tigress_transfer_free(got);
    assert_int_not_equal(tigress_transfer_import(&again, bob, blob.ptr, blob.size, NULL), TIGRESS_OK);
    assert_int_equal(tigress_transfer_import(&again, bob, blob.ptr, blob.size, secret), TIGRESS_OK);
    assert_int_equal(tigress_transfer_state(again), TIGRESS_STATE_REDEEMED);
    assert_int_equal(tigress_transfer_complete(again), TIGRESS_OK);
    assert_int_equal(tigress_transfer_wait(sent, bounded_wait()), TIGRESS_OK);
    assert_int_equal(tigress_transfer_state(sent), TIGRESS_STATE_COMPLETED);
    free(secret);
    tigress_buf_dispose(&blob);
    tigress_transfer_free(again);
    tigress_transfer_free(sent);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_C7_stateless_xsalsa20_poly1305, setup, teardown),
        cmocka_unit_test_setup_teardown(test_C7_stateless_aes_128_gcm, setup, teardown),
        cmocka_unit_test_setup_teardown(test_C7_stateless_aes_256_gcm, setup, teardown),
        cmocka_unit_test_setup_teardown(test_R23_stateful_xsalsa20_poly1305, setup, teardown),
        cmocka_unit_test_setup_teardown(test_R23_stateful_aes_128_gcm, setup, teardown),
        cmocka_unit_test_setup_teardown(test_R23_stateful_aes_256_gcm, setup, teardown),
        cmocka_unit_test_setup_teardown(test_C22_revoke_before_redeem, setup, teardown),
        cmocka_unit_test_setup_teardown(test_S11_recipient_sees_revocation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_R32_relinquish_then_second_recipient, setup, teardown),
        cmocka_unit_test_setup_teardown(test_R21_third_device_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_C13_secret_apart_and_C10_wrong_secret, setup, teardown),
        cmocka_unit_test_setup_teardown(test_R18_expiry, setup, teardown),
        cmocka_unit_test_setup_teardown(test_R18_expiry_while_waiting, setup, teardown),
        cmocka_unit_test_setup_teardown(test_export_without_secret_then_continue, setup, teardown),
    };
    return cmocka_run_group_tests_name("integration_flows", tests, group_setup, group_teardown);
}
