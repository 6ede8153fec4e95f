/*
 * Integration: the SDK and the relay under disruption. The relay restarted between the steps
 * of a stateful transfer; the relay down mid-transfer (typed error, state intact, completes
 * after it returns); 100 transfers in parallel threads; push delivery to a local receiver
 * while the Initiator waits (R37, R38, C19, C20).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fixture.h"
#include "push_receiver.h"

static it_relay relay;
static push_receiver receiver;
static const char CONTENT[] = "{\"room\":\"1204\",\"key\":\"AAEC\"}";

static int group_setup(void **state)
{
    (void)state;
    if (tigress_global_init() != TIGRESS_OK)
        return -1;
    /* Certificates come first: the push receiver serves the relay's own test certificate. */
    static char ca_opt[400];
    const char *const args[] = {"--push-allow", "127.0.0.1", "--push-ca", ca_opt,
                                "--rate-limit", "0", NULL};
    if (it_relay_start(&relay, NULL) != 0)
        return -1;
    snprintf(ca_opt, sizeof ca_opt, "%s", relay.ca);
    for (int i = 0; args[i]; i++)
        relay.extra[i] = args[i];
    if (it_relay_restart(&relay) != 0)
        return -1;
    return push_receiver_start(&receiver, relay.dir);
}

static int group_teardown(void **state)
{
    (void)state;
    push_receiver_stop(&receiver);
    int rc = it_relay_stop(&relay);
    it_relay_cleanup(&relay);
    tigress_global_cleanup();
    return rc == 0 ? 0 : -1;
}

static const tigress_wait_options *bounded_wait(void)
{
    static tigress_wait_options w;
    tigress_transfer_wait_options_init(&w, TIGRESS_WAIT_OPTIONS_VERSION);
    w.timeout_ms = it_scaled_ms(30000);
    return &w;
}

typedef struct keys {
    tigress_ed25519_key *key;
    uint8_t pub[TIGRESS_ED25519_PUBLIC_BYTES];
    tigress_signer signer;
    tigress_verifier verifier;
} keys;

static void keys_make(keys *k)
{
    assert_int_equal(tigress_ed25519_key_generate(&k->key), TIGRESS_OK);
    assert_int_equal(tigress_ed25519_key_public(k->key, k->pub, sizeof k->pub), TIGRESS_OK);
    tigress_signer_ed25519(&k->signer, k->key);
    tigress_verifier_ed25519(&k->verifier, k->pub);
}

static tigress_transfer *share_stateful(tigress_client *c, const char *push_url)
{
    tigress_share_options o;
    it_share_options(&o, &relay, CONTENT);
    o.stateful = 1;
    o.payload_type = TIGRESS_PAYLOAD_AES_256_GCM;
    if (push_url) {
        o.notification_token_type = "webpush";
        o.notification_token_data = push_url;
    }
    tigress_transfer *t = NULL;
    assert_int_equal(tigress_share_create(&t, c, &o), TIGRESS_OK);
    return t;
}

static tigress_transfer *redeem(tigress_client *c, const char *url, const tigress_verifier *v,
                                const char *push_url)
{
    tigress_redeem_options o;
    tigress_redeem_options_init(&o, TIGRESS_REDEEM_OPTIONS_VERSION);
    o.share_url = url;
    o.verifier = v;
    if (push_url) {
        o.notification_token_type = "webpush";
        o.notification_token_data = push_url;
    }
    tigress_transfer *t = NULL;
    assert_int_equal(tigress_redeem(&t, c, &o), TIGRESS_OK);
    return t;
}

/* Export, free, import: what an app killed between steps does. */
static tigress_transfer *reload(tigress_transfer *t, tigress_client *c, const tigress_verifier *v)
{
    tigress_buf blob = {0};
    assert_int_equal(tigress_transfer_export(t, 0, &blob), TIGRESS_OK);
    tigress_transfer_free(t);
    t = NULL;
    assert_int_equal(tigress_transfer_import(&t, c, blob.ptr, blob.size, NULL), TIGRESS_OK);
    tigress_buf_dispose(&blob);
    if (v)
        assert_int_equal(tigress_transfer_set_verifier(t, v), TIGRESS_OK);
    return t;
}

/* R36 (the store is durable: an acknowledged write survives a relay restart): SIGTERM and
 * restart the relay on the same store and port between every step; both apps also restart (export/import). The transfer completes. */
static void test_R36_relay_restarted_between_steps(void **s)
{
    (void)s;
    keys k;
    keys_make(&k);
    tigress_client *alice = it_client(&relay, 0), *bob = it_client(&relay, 0);
    tigress_transfer *sent = share_stateful(alice, NULL);
    assert_int_equal(it_relay_restart(&relay), 0);
    tigress_transfer *got = redeem(bob, tigress_transfer_share_url(sent), &k.verifier, NULL);
    assert_int_equal(it_relay_restart(&relay), 0);
    got = reload(got, bob, &k.verifier);
    static const uint8_t txinfo[] = "new-device-key";
    assert_int_equal(tigress_transfer_update(got, "pk", txinfo, sizeof txinfo), TIGRESS_OK);
    assert_int_equal(it_relay_restart(&relay), 0);
    sent = reload(sent, alice, NULL);
    assert_int_equal(tigress_transfer_wait(sent, bounded_wait()), TIGRESS_OK);
    assert_int_equal(tigress_transfer_state(sent), TIGRESS_STATE_TXINFO_RECEIVED);
    assert_int_equal(tigress_transfer_approve(sent, &k.signer), TIGRESS_OK);
    assert_int_equal(it_relay_restart(&relay), 0);
    assert_int_equal(tigress_transfer_wait(got, bounded_wait()), TIGRESS_OK);
    assert_int_equal(tigress_transfer_state(got), TIGRESS_STATE_SIGNED);
    assert_int_equal(tigress_transfer_complete(got), TIGRESS_OK);
    assert_int_equal(it_relay_restart(&relay), 0);
    assert_int_equal(tigress_transfer_wait(sent, bounded_wait()), TIGRESS_OK);
    assert_int_equal(tigress_transfer_state(sent), TIGRESS_STATE_COMPLETED);
    tigress_transfer_free(got);
    tigress_transfer_free(sent);
    tigress_client_free(bob);
    tigress_client_free(alice);
    tigress_ed25519_key_free(k.key);
}

/* A network failure never changes the state: with the relay down, each step fails with a
 * typed network error and the same call succeeds once the relay is back. */
static void test_relay_down_mid_transfer_then_completes(void **s)
{
    (void)s;
    keys k;
    keys_make(&k);
    tigress_client *alice = it_client(&relay, TIGRESS_RETRIES_NONE);
    tigress_client *bob = it_client(&relay, TIGRESS_RETRIES_NONE);
    tigress_transfer *sent = share_stateful(alice, NULL);
    tigress_transfer *got = redeem(bob, tigress_transfer_share_url(sent), &k.verifier, NULL);
    static const uint8_t txinfo[] = {1, 2, 3, 4};

    assert_int_equal(it_relay_stop(&relay), 0);
    assert_int_equal(tigress_transfer_update(got, "pk", txinfo, sizeof txinfo), TIGRESS_E_NETWORK);
    assert_int_equal(tigress_client_last_error(bob)->http_status, 0);
    assert_int_equal(tigress_transfer_state(got), TIGRESS_STATE_REDEEMED);
    assert_int_equal(tigress_transfer_poll(sent), TIGRESS_E_NETWORK);
    assert_int_equal(tigress_transfer_state(sent), TIGRESS_STATE_CREATED);
    assert_int_equal(it_relay_restart(&relay), 0);

    assert_int_equal(tigress_transfer_update(got, "pk", txinfo, sizeof txinfo), TIGRESS_OK);
    assert_int_equal(tigress_transfer_wait(sent, bounded_wait()), TIGRESS_OK);
    assert_int_equal(tigress_transfer_state(sent), TIGRESS_STATE_TXINFO_RECEIVED);

    assert_int_equal(it_relay_stop(&relay), 0);
    assert_int_equal(tigress_transfer_approve(sent, &k.signer), TIGRESS_E_NETWORK);
    assert_int_equal(tigress_transfer_state(sent), TIGRESS_STATE_TXINFO_RECEIVED);
    assert_int_equal(it_relay_restart(&relay), 0);
    assert_int_equal(tigress_transfer_approve(sent, &k.signer), TIGRESS_OK);

    assert_int_equal(tigress_transfer_wait(got, bounded_wait()), TIGRESS_OK);
    assert_int_equal(tigress_transfer_state(got), TIGRESS_STATE_SIGNED);
    assert_int_equal(it_relay_stop(&relay), 0);
    assert_int_equal(tigress_transfer_complete(got), TIGRESS_E_NETWORK);
    assert_int_equal(tigress_transfer_state(got), TIGRESS_STATE_SIGNED);
    assert_int_equal(it_relay_restart(&relay), 0);
    assert_int_equal(tigress_transfer_complete(got), TIGRESS_OK);
    assert_int_equal(tigress_transfer_wait(sent, bounded_wait()), TIGRESS_OK);
    assert_int_equal(tigress_transfer_state(sent), TIGRESS_STATE_COMPLETED);
    tigress_transfer_free(got);
    tigress_transfer_free(sent);
    tigress_client_free(bob);
    tigress_client_free(alice);
    tigress_ed25519_key_free(k.key);
}

/* ---- 100 transfers at once, each thread with its own two clients ---- */

#define PARALLEL 100

typedef struct job { int index; int ok; char why[160]; } job;

static void *parallel_one(void *arg)
{
    job *j = arg;
    static const tigress_payload_type types[] = {TIGRESS_PAYLOAD_XSALSA20_POLY1305,
        TIGRESS_PAYLOAD_AES_128_GCM, TIGRESS_PAYLOAD_AES_256_GCM};
    char content[64];
    snprintf(content, sizeof content, "{\"n\":%d}", j->index);
    tigress_client *a = it_client(&relay, 0), *b = it_client(&relay, 0);
    tigress_transfer *sent = NULL, *got = NULL;
    tigress_share_options o;
    it_share_options(&o, &relay, content);
    o.payload_type = types[j->index % 3];
    tigress_redeem_options r;
    tigress_redeem_options_init(&r, TIGRESS_REDEEM_OPTIONS_VERSION);
    tigress_status st = a && b ? TIGRESS_OK : TIGRESS_E_NOMEM;
    const char *step = "client";
    if (st == TIGRESS_OK) {
        step = "share";
        st = tigress_share_create(&sent, a, &o);
    }
    if (st == TIGRESS_OK) {
        step = "redeem";
        r.share_url = tigress_transfer_share_url(sent);
        st = tigress_redeem(&got, b, &r);
    }
    if (st == TIGRESS_OK && strcmp(tigress_transfer_content(got), content) != 0) {
        step = "content";
        st = TIGRESS_E_CRYPTO;
    }
    if (st == TIGRESS_OK) {
        step = "complete";
        st = tigress_transfer_complete(got);
    }
    if (st == TIGRESS_OK) {
        step = "wait";
        st = tigress_transfer_wait(sent, bounded_wait());
    }
    j->ok = st == TIGRESS_OK && tigress_transfer_state(sent) == TIGRESS_STATE_COMPLETED;
    if (!j->ok)
        snprintf(j->why, sizeof j->why, "%s: %s", step, tigress_status_name(st));
    tigress_transfer_free(got);
    tigress_transfer_free(sent);
    tigress_client_free(b);
    tigress_client_free(a);
    return NULL;
}

static void test_parallel_100_transfers(void **s)
{
    (void)s;
    static job jobs[PARALLEL];
    pthread_t tids[PARALLEL];
    for (int i = 0; i < PARALLEL; i++) {
        jobs[i] = (job){.index = i};
        assert_int_equal(pthread_create(&tids[i], NULL, parallel_one, &jobs[i]), 0);
    }
    int ok = 0;
    for (int i = 0; i < PARALLEL; i++) {
        pthread_join(tids[i], NULL);
        if (jobs[i].ok)
            ok++;
        else
            fprintf(stderr, "transfer %d failed at %s\n", i, jobs[i].why);
    }
    assert_int_equal(ok, PARALLEL);
}

/* ---- push: the relay notifies the other party after an Update (R37, R38, C19) ---- */

typedef struct waiter { tigress_transfer *t; tigress_status st; } waiter;

static void *wait_thread(void *arg)
{
    waiter *w = arg;
    tigress_wait_options o;
    tigress_transfer_wait_options_init(&o, TIGRESS_WAIT_OPTIONS_VERSION);
    o.timeout_ms = it_scaled_ms(60000);
    w->st = tigress_transfer_wait(w->t, &o);
    return NULL;
}

static void test_R37_push_delivered_while_initiator_waits(void **s)
{
    (void)s;
    keys k;
    keys_make(&k);
    char alice_url[128], bob_url[128];
    push_receiver_url(&receiver, "alice", alice_url, sizeof alice_url);
    push_receiver_url(&receiver, "bob", bob_url, sizeof bob_url);
    tigress_client *alice = it_client(&relay, 0), *bob = it_client(&relay, 0);
    push_receiver_set_wake(&receiver, alice); /* the app's push handler wakes its wait */
    tigress_transfer *sent = share_stateful(alice, alice_url);
    assert_true(tigress_transfer_push_supported(sent)); /* R39: webpush is configured */
    tigress_transfer *got = redeem(bob, tigress_transfer_share_url(sent), &k.verifier, bob_url);

    waiter w = {sent, TIGRESS_E_INTERNAL};
    pthread_t tid;
    assert_int_equal(pthread_create(&tid, NULL, wait_thread, &w), 0);
    static const uint8_t txinfo[] = "pk-of-bob";
    assert_int_equal(tigress_transfer_update(got, "pk", txinfo, sizeof txinfo), TIGRESS_OK);
    assert_int_equal(push_receiver_await(&receiver, "alice", 1, it_scaled_ms(20000)), 1);
    pthread_join(tid, NULL);
    assert_int_equal(w.st, TIGRESS_OK);
    assert_int_equal(tigress_transfer_state(sent), TIGRESS_STATE_TXINFO_RECEIVED);
    /* R37: Bob's own update notified Alice only. R38: content-free, RFC 8030 headers. */
    assert_int_equal(push_receiver_count(&receiver, "bob"), 0);
    assert_int_equal(receiver.last_body_len, 0);
    assert_true(receiver.last_had_ttl);

    assert_int_equal(tigress_transfer_approve(sent, &k.signer), TIGRESS_OK);
    assert_int_equal(push_receiver_await(&receiver, "bob", 1, it_scaled_ms(20000)), 1);
    assert_int_equal(tigress_transfer_wait(got, bounded_wait()), TIGRESS_OK);
    assert_int_equal(tigress_transfer_state(got), TIGRESS_STATE_SIGNED);
    assert_int_equal(tigress_transfer_complete(got), TIGRESS_OK);
    push_receiver_set_wake(&receiver, NULL);
    tigress_transfer_free(got);
    tigress_transfer_free(sent);
    tigress_client_free(bob);
    tigress_client_free(alice);
    tigress_ed25519_key_free(k.key);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_R36_relay_restarted_between_steps),
        cmocka_unit_test(test_relay_down_mid_transfer_then_completes),
        cmocka_unit_test(test_parallel_100_transfers),
        cmocka_unit_test(test_R37_push_delivered_while_initiator_waits),
    };
    return cmocka_run_group_tests_name("integration_resilience", tests, group_setup, group_teardown);
}
