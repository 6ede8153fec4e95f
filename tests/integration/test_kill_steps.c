/*
 * Integration (fault injection): the real relay over HTTPS on loopback is killed with
 * SIGKILL before every step of each flow - so between every pair of consecutive steps, and
 * before the first. No shutdown code runs; only what the SQLite store committed survives.
 *
 * At each kill: the next step fails with a typed network error (E_NETWORK, no HTTP status,
 * the transport's code set), nothing is handed out, and both transfers are unchanged (state
 * getter and export blob, the pending Request-ID aside). The relay then restarts on the same
 * port and store, the same call succeeds, and the flow goes on to the right plaintext:
 * every write the relay acknowledged before it was killed is still there (R36 durability).
 *
 * Flows: stateless (share, redeem, complete, Initiator learns it); stateful (share, redeem,
 * TxInfo update, Initiator wait, approve, Recipient wait + verify, complete, Initiator wait);
 * revoke; relinquish then a second device. Requirements: C22 (404 means done), C23 (typed
 * errors), R36 (durable store). The Request-ID reuse of a retried write (C4) and the faults
 * that need a relay which answers wrongly are in tests/unit/test_faults.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"

static it_relay relay;
static const char CONTENT[] = "{\"door\":\"garage\",\"key\":\"q83vEjRWeJA=\"}";
static const uint8_t TXINFO[] = "recipient-device-public-key";

enum { INIT = 0, REC = 1, REC2 = 2, ACTORS = 3 };

typedef struct world {
    tigress_client *c[ACTORS];
    tigress_transfer *t[ACTORS];
    tigress_ed25519_key *key;
    uint8_t pub[TIGRESS_ED25519_PUBLIC_BYTES]; /* the verifier points at it */
    tigress_signer signer;
    tigress_verifier verifier;
    int stateful;
    tigress_payload_type type;
} world;

typedef struct kstep {
    const char *name;
    int who;                /* the actor making the call */
    tigress_status normal;  /* its result when the relay is up */
    tigress_state after;    /* the actor's state after it */
    tigress_status (*run)(world *w, int who);
} kstep;

static tigress_status run_share(world *w, int who)
{
    tigress_share_options o;

    it_share_options(&o, &relay, CONTENT);
    o.stateful = w->stateful;
    o.payload_type = w->type;
    return tigress_share_create(&w->t[who], w->c[who], &o);
}

static tigress_status run_redeem(world *w, int who)
{
    tigress_redeem_options o;

    tigress_redeem_options_init(&o, TIGRESS_REDEEM_OPTIONS_VERSION);
    o.share_url = tigress_transfer_share_url(w->t[INIT]);
    o.verifier = &w->verifier;
    return tigress_redeem(&w->t[who], w->c[who], &o);
}

static tigress_status run_update(world *w, int who)
{
    return tigress_transfer_update(w->t[who], "publicKey", TXINFO, sizeof TXINFO);
}

static tigress_status run_wait(world *w, int who)
{
    tigress_wait_options o;

    tigress_transfer_wait_options_init(&o, TIGRESS_WAIT_OPTIONS_VERSION);
    o.timeout_ms = 20000; /* the peer's message is already there: this returns at once */
    return tigress_transfer_wait(w->t[who], &o);
}

static tigress_status run_poll(world *w, int who) { return tigress_transfer_poll(w->t[who]); }
static tigress_status run_approve(world *w, int who)
{
    return tigress_transfer_approve(w->t[who], &w->signer);
}
static tigress_status run_complete(world *w, int who) { return tigress_transfer_complete(w->t[who]); }
static tigress_status run_revoke(world *w, int who) { return tigress_transfer_revoke(w->t[who]); }
static tigress_status run_relinquish(world *w, int who)
{
    return tigress_transfer_relinquish(w->t[who]);
}

#define ST(s) TIGRESS_STATE_##s
#define OK TIGRESS_OK

static const kstep STATELESS[] = {
    { "share", INIT, OK, ST(CREATED), run_share },
    { "redeem", REC, OK, ST(REDEEMED), run_redeem },
    { "complete", REC, OK, ST(COMPLETED), run_complete },
    { "initiator_poll_gone", INIT, OK, ST(COMPLETED), run_poll },
};

static const kstep STATEFUL[] = {
    { "share", INIT, OK, ST(CREATED), run_share },
    { "redeem", REC, OK, ST(REDEEMED), run_redeem },
    { "update_txinfo", REC, OK, ST(WAITING_FOR_PEER), run_update },
    { "initiator_wait_txinfo", INIT, OK, ST(TXINFO_RECEIVED), run_wait },
    { "approve_sign_update", INIT, OK, ST(WAITING_FOR_PEER), run_approve },
    { "recipient_wait_verify", REC, OK, ST(SIGNED), run_wait },
    { "complete", REC, OK, ST(COMPLETED), run_complete },
    { "initiator_wait_gone", INIT, OK, ST(COMPLETED), run_wait },
};

static const kstep REVOKE[] = {
    { "share", INIT, OK, ST(CREATED), run_share },
    { "redeem", REC, OK, ST(REDEEMED), run_redeem },
    { "update_txinfo", REC, OK, ST(WAITING_FOR_PEER), run_update },
    { "revoke", INIT, OK, ST(REVOKED), run_revoke },
    { "recipient_poll_revoked", REC, TIGRESS_E_REVOKED, ST(REVOKED), run_poll },
};

static const kstep RELINQUISH[] = {
    { "share", INIT, OK, ST(CREATED), run_share },
    { "redeem", REC, OK, ST(REDEEMED), run_redeem },
    { "relinquish", REC, OK, ST(RELINQUISHED), run_relinquish },
    { "redeem_second_device", REC2, OK, ST(REDEEMED), run_redeem },
    { "complete_second_device", REC2, OK, ST(COMPLETED), run_complete },
    { "initiator_poll_gone", INIT, OK, ST(COMPLETED), run_poll },
};

/* ---- snapshots: the export blob with the pending Request-ID taken out ---- */

/* Removes "key":"value" (values here are UUIDs and operation names: no escapes). */
static void strip_member(char *json, const char *key)
{
    char pat[64];
    char *p, *q;

    snprintf(pat, sizeof pat, "\"%s\":\"", key);
    p = strstr(json, pat);
    if (p == NULL)
        return;
    q = strchr(p + strlen(pat), '"');
    assert_non_null(q);
    q++;
    if (*q == ',')
        q++;
    else if (p > json && p[-1] == ',')
        p--;
    memmove(p, q, strlen(q) + 1);
}

typedef struct snapshot {
    tigress_buf blob[ACTORS]; /* holds the Secret: disposed (wiped) by snap_free */
    tigress_state state[ACTORS];
} snapshot;

static void snap_take(const world *w, snapshot *s)
{
    memset(s, 0, sizeof *s);
    for (int i = 0; i < ACTORS; i++) {
        s->state[i] = tigress_transfer_state(w->t[i]);
        if (w->t[i] == NULL)
            continue;
        assert_int_equal(tigress_transfer_export(w->t[i], 0, &s->blob[i]), TIGRESS_OK);
        strip_member((char *)s->blob[i].ptr, "pendingRequestId");
        strip_member((char *)s->blob[i].ptr, "pendingOp");
    }
}

static void snap_free(snapshot *s)
{
    for (int i = 0; i < ACTORS; i++)
        tigress_buf_dispose(&s->blob[i]);
}

static void snap_assert_equal(const snapshot *a, const snapshot *b, const char *step)
{
    for (int i = 0; i < ACTORS; i++) {
        const char *x = (const char *)a->blob[i].ptr, *y = (const char *)b->blob[i].ptr;

        if (a->state[i] != b->state[i] || (x == NULL) != (y == NULL) ||
            (x != NULL && strcmp(x, y) != 0))
            fail_msg("%s: transfer %d changed while the relay was down", step, i);
    }
}

/* ---- the flows ---- */

static void world_init(world *w, int stateful, tigress_payload_type type)
{
    memset(w, 0, sizeof *w);
    for (int i = 0; i < ACTORS; i++) {
        /* No retries: the relay is down for the whole call, and back-off would only slow this. */
        w->c[i] = it_client(&relay, TIGRESS_RETRIES_NONE);
        assert_non_null(w->c[i]);
    }
    assert_int_equal(tigress_ed25519_key_generate(&w->key), TIGRESS_OK);
    assert_int_equal(tigress_ed25519_key_public(w->key, w->pub, sizeof w->pub), TIGRESS_OK);
    assert_int_equal(tigress_signer_ed25519(&w->signer, w->key), TIGRESS_OK);
    assert_int_equal(tigress_verifier_ed25519(&w->verifier, w->pub), TIGRESS_OK);
    w->stateful = stateful;
    w->type = type;
}

static void world_free(world *w)
{
    for (int i = 0; i < ACTORS; i++) {
        tigress_transfer_free(w->t[i]);
        tigress_client_free(w->c[i]);
    }
    tigress_ed25519_key_free(w->key);
}

/* Kill the relay before step s, check the failure, bring it back, run s for real. */
static void kill_then_step(world *w, const kstep *s)
{
    const tigress_error *e = tigress_client_last_error(w->c[s->who]);
    tigress_transfer *had = w->t[s->who];
    snapshot before, after;
    tigress_status rc;

    snap_take(w, &before);
    assert_int_equal(it_relay_kill(&relay), 0);
    rc = s->run(w, s->who);
    if (rc != TIGRESS_E_NETWORK)
        fail_msg("%s with the relay killed: %s (%s)", s->name, tigress_status_name(rc), e->message);
    assert_int_equal(e->code, TIGRESS_E_NETWORK);
    assert_int_equal(e->http_status, 0);     /* no response at all */
    assert_int_not_equal(e->transport_code, 0); /* the CURLcode (connection refused) */
    assert_ptr_equal(w->t[s->who], had);     /* share/redeem hand nothing out */
    snap_take(w, &after);
    snap_assert_equal(&before, &after, s->name);
    snap_free(&after);
    snap_free(&before);

    assert_int_equal(it_relay_restart(&relay), 0);
    rc = s->run(w, s->who);
    if (rc != s->normal)
        fail_msg("%s after the restart: %s (%s)", s->name, tigress_status_name(rc), e->message);
    assert_int_equal(tigress_transfer_state(w->t[s->who]), s->after);
}

static void run_flow(const kstep *steps, size_t n, int stateful, tigress_payload_type type,
                     world *w)
{
    world_init(w, stateful, type);
    for (size_t i = 0; i < n; i++)
        kill_then_step(w, &steps[i]);
}

#define RUN(steps, stateful, type, w) run_flow(steps, sizeof steps / sizeof steps[0], stateful, type, w)

static void test_R36_C23_stateless_killed_before_every_step(void **state)
{
    world w;

    (void)state;
    RUN(STATELESS, 0, TIGRESS_PAYLOAD_XSALSA20_POLY1305, &w);
    assert_string_equal(tigress_transfer_content(w.t[REC]), CONTENT);
    assert_int_equal(tigress_transfer_state(w.t[INIT]), ST(COMPLETED));
    world_free(&w);
}

static void test_R36_C23_stateful_killed_before_every_step(void **state)
{
    world w;
    const uint8_t *tx = NULL;
    size_t txl = 0;

    (void)state;
    RUN(STATEFUL, 1, TIGRESS_PAYLOAD_AES_256_GCM, &w);
    assert_string_equal(tigress_transfer_content(w.t[REC]), CONTENT);
    assert_int_equal(tigress_transfer_txinfo(w.t[INIT], NULL, &tx, &txl), TIGRESS_OK);
    assert_int_equal(txl, sizeof TXINFO);
    assert_memory_equal(tx, TXINFO, sizeof TXINFO);
    assert_int_equal(tigress_transfer_signature(w.t[REC], NULL, NULL, NULL), TIGRESS_OK);
    assert_int_equal(tigress_transfer_state(w.t[INIT]), ST(COMPLETED));
    world_free(&w);
}

static void test_R36_C22_revoke_killed_before_every_step(void **state)
{
    world w;

    (void)state;
    RUN(REVOKE, 1, TIGRESS_PAYLOAD_AES_128_GCM, &w);
    assert_string_equal(tigress_transfer_content(w.t[REC]), CONTENT);
    assert_int_equal(tigress_transfer_state(w.t[INIT]), ST(REVOKED));
    world_free(&w);
}

static void test_R36_relinquish_killed_before_every_step(void **state)
{
    world w;

    (void)state;
    RUN(RELINQUISH, 0, TIGRESS_PAYLOAD_XSALSA20_POLY1305, &w);
    assert_string_equal(tigress_transfer_content(w.t[REC2]), CONTENT);
    assert_int_equal(tigress_transfer_state(w.t[REC]), ST(RELINQUISHED));
    world_free(&w);
}

static int group_setup(void **state)
{
    static const char *const args[] = { "--rate-limit", "0", NULL };

    (void)state;
    if (tigress_global_init() != TIGRESS_OK)
        return -1;
    return it_relay_start(&relay, args);
}

static int group_teardown(void **state)
{
    int rc;

    (void)state;
    rc = it_relay_stop(&relay);
    it_relay_cleanup(&relay);
    tigress_global_cleanup();
    return rc == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_R36_C23_stateless_killed_before_every_step),
        cmocka_unit_test(test_R36_C23_stateful_killed_before_every_step),
        cmocka_unit_test(test_R36_C22_revoke_killed_before_every_step),
        cmocka_unit_test(test_R36_relinquish_killed_before_every_step),
    };
    return cmocka_run_group_tests_name("integration_kill_steps", tests, group_setup,
                                       group_teardown);
}
