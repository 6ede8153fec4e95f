/*
 * The transfer state machine: the transition table against the one written in
 * include/tigress/transfer.h, wrong-state calls rejected before any request, expiry (local
 * and a 404 after the expiration), a mailbox gone while waiting, C22 (404 on DELETE is done),
 * and network failures that never move the state.
 */
#include "transfer_fixture.h"

#include <time.h>

/* The header's table, written out independently: may op run for role/state/mode? */
static bool expected_allowed(tigress__op op, tigress_role role, tigress_state s, bool stateful)
{
    bool init = role == TIGRESS_ROLE_INITIATOR;

    switch (op) {
    case TIGRESS__OP_UPDATE:
        return !init && stateful && s == TIGRESS_STATE_REDEEMED;
    case TIGRESS__OP_APPROVE:
        return init && stateful && s == TIGRESS_STATE_TXINFO_RECEIVED;
    case TIGRESS__OP_POLL:
        return init ? (s == TIGRESS_STATE_CREATED || s == TIGRESS_STATE_WAITING_FOR_PEER)
                    : (s == TIGRESS_STATE_REDEEMED || s == TIGRESS_STATE_WAITING_FOR_PEER);
    case TIGRESS__OP_REVOKE:
        return init && (s == TIGRESS_STATE_CREATED || s == TIGRESS_STATE_TXINFO_RECEIVED ||
                        s == TIGRESS_STATE_WAITING_FOR_PEER);
    case TIGRESS__OP_RELINQUISH:
        return !init && (s == TIGRESS_STATE_REDEEMED || s == TIGRESS_STATE_WAITING_FOR_PEER);
    case TIGRESS__OP_COMPLETE:
        return !init && ((!stateful && s == TIGRESS_STATE_REDEEMED) ||
                         (stateful && s == TIGRESS_STATE_SIGNED));
    default:
        return false;
    }
}

static void test_state__table_matches_header(void **state)
{
    fx *f = *state;
    tigress_transfer *t = tigress__transfer_alloc(f->a);
    size_t checked = 0;

    assert_non_null(t);
    t->expires_at = (int64_t)time(NULL) + 3600;
    for (int role = TIGRESS_ROLE_INITIATOR; role <= TIGRESS_ROLE_RECIPIENT; role++)
        for (int s = TIGRESS_STATE_CREATED; s <= TIGRESS_STATE_FAILED; s++)
            for (int mode = 0; mode <= 1; mode++)
                for (int op = 0; op < TIGRESS__OP_COUNT_; op++) {
                    tigress_status rc;

                    if (s == TIGRESS_STATE_EXPIRED)
                        continue; /* covered by the expiry tests: always E_EXPIRED */
                    t->role = (tigress_role)role;
                    t->state = (tigress_state)s;
                    t->stateful = mode == 1;
                    rc = tigress__state_check(t, (tigress__op)op);
                    if (expected_allowed((tigress__op)op, t->role, t->state, t->stateful)) {
                        assert_int_equal(rc, TIGRESS_OK);
                    } else {
                        assert_int_equal(rc, TIGRESS_E_STATE);
                        /* The message names the operation and the state. */
                        assert_non_null(strstr(tigress_client_last_error(f->a)->message,
                                               tigress__op_name((tigress__op)op)));
                        assert_non_null(strstr(tigress_client_last_error(f->a)->message,
                                               tigress_state_name(t->state)));
                    }
                    assert_int_equal(t->state, s); /* the check never moves the state */
                    checked++;
                }
    assert_int_equal(checked, 2 * 9 * 2 * TIGRESS__OP_COUNT_);
    assert_int_equal(mock_request_count(f->m), 0);
    tigress_transfer_free(t);
}

/* Events only move along the table's rows. */
static void test_state__events_follow_table(void **state)
{
    fx *f = *state;
    tigress_transfer *t = tigress__transfer_alloc(f->a);

    t->role = TIGRESS_ROLE_INITIATOR;
    t->state = TIGRESS_STATE_CREATED;
    assert_int_equal(tigress__state_apply(t, TIGRESS__EV_TXINFO), TIGRESS_OK);
    assert_int_equal(t->state, TIGRESS_STATE_TXINFO_RECEIVED);
    assert_int_equal(tigress__state_apply(t, TIGRESS__EV_GONE), TIGRESS_E_INTERNAL);
    assert_int_equal(t->state, TIGRESS_STATE_TXINFO_RECEIVED);
    assert_int_equal(tigress__state_apply(t, TIGRESS__EV_APPROVED), TIGRESS_OK);
    assert_int_equal(tigress__state_apply(t, TIGRESS__EV_GONE), TIGRESS_OK);
    assert_int_equal(t->state, TIGRESS_STATE_COMPLETED);
    assert_int_equal(tigress__state_apply(t, TIGRESS__EV_EXPIRED), TIGRESS_E_INTERNAL);
    t->role = TIGRESS_ROLE_RECIPIENT;
    t->state = TIGRESS_STATE_WAITING_FOR_PEER;
    assert_int_equal(tigress__state_apply(t, TIGRESS__EV_GONE), TIGRESS_OK);
    assert_int_equal(t->state, TIGRESS_STATE_REVOKED);
    t->state = TIGRESS_STATE_SIGNED;
    assert_int_equal(tigress__state_apply(t, TIGRESS__EV_SIGNED), TIGRESS_E_INTERNAL);
    assert_int_equal(tigress__state_apply(t, TIGRESS__EV_COMPLETED), TIGRESS_OK);
    assert_int_equal(t->state, TIGRESS_STATE_COMPLETED);
    tigress_transfer_free(t);
}

/* Wrong-state calls through the public API: E_STATE and not one request sent. */
static void test_state__wrong_state_sends_nothing(void **state)
{
    fx *f = *state;
    tigress_transfer *init = fx_share(f, 0, TIGRESS_PAYLOAD_XSALSA20_POLY1305), *rec;
    tigress_transfer *sinit = fx_share(f, 1, TIGRESS_PAYLOAD_AES_128_GCM), *srec;
    uint8_t tx[4] = { 1, 2, 3, 4 };
    size_t n;

    rec = fx_redeem(f, init);
    srec = fx_redeem(f, sinit);
    n = mock_request_count(f->m);
    assert_int_equal(tigress_transfer_update(init, "k", tx, 4), TIGRESS_E_STATE);  /* role */
    assert_int_equal(tigress_transfer_update(rec, "k", tx, 4), TIGRESS_E_STATE);   /* stateless */
    assert_int_equal(tigress_transfer_approve(init, &f->signer), TIGRESS_E_STATE);
    assert_int_equal(tigress_transfer_approve(sinit, &f->signer), TIGRESS_E_STATE); /* no TxInfo */
    assert_int_equal(tigress_transfer_relinquish(init), TIGRESS_E_STATE);
    assert_int_equal(tigress_transfer_complete(init), TIGRESS_E_STATE);
    assert_int_equal(tigress_transfer_revoke(rec), TIGRESS_E_STATE);
    assert_int_equal(tigress_transfer_complete(srec), TIGRESS_E_STATE); /* stateful, unsigned */
    assert_non_null(strstr(tigress_client_last_error(f->b)->message, "REDEEMED"));
    assert_non_null(strstr(tigress_client_last_error(f->b)->message, "complete"));
    assert_int_equal(mock_request_count(f->m), n);

    /* After the end, nothing runs. */
    assert_int_equal(tigress_transfer_complete(rec), TIGRESS_OK);
    assert_int_equal(tigress_transfer_revoke(sinit), TIGRESS_OK);
    n = mock_request_count(f->m);
    assert_int_equal(tigress_transfer_complete(rec), TIGRESS_E_STATE);
    assert_int_equal(tigress_transfer_poll(rec), TIGRESS_E_STATE);
    assert_int_equal(tigress_transfer_relinquish(rec), TIGRESS_E_STATE);
    assert_int_equal(tigress_transfer_revoke(sinit), TIGRESS_E_STATE);
    assert_int_equal(tigress_transfer_poll(sinit), TIGRESS_E_STATE);
    assert_int_equal(tigress_transfer_wait(sinit, NULL), TIGRESS_E_STATE);
    assert_int_equal(mock_request_count(f->m), n);
    tigress_transfer_free(rec);
    tigress_transfer_free(init);
    tigress_transfer_free(srec);
    tigress_transfer_free(sinit);
}

/* Past the expiration every call is E_EXPIRED, the state EXPIRED, and nothing is sent. */
static void test_state__expiry_before_any_request(void **state)
{
    fx *f = *state;
    tigress_transfer *init = fx_share(f, 1, TIGRESS_PAYLOAD_XSALSA20_POLY1305), *rec;
    uint8_t tx[2] = { 9, 9 };
    size_t n;

    rec = fx_redeem(f, init);
    n = mock_request_count(f->m);
    init->expires_at = rec->expires_at = (int64_t)time(NULL) - 1;
    assert_int_equal(tigress_transfer_poll(init), TIGRESS_E_EXPIRED);
    assert_int_equal(tigress_transfer_state(init), TIGRESS_STATE_EXPIRED);
    assert_int_equal(tigress_transfer_revoke(init), TIGRESS_E_EXPIRED);
    assert_int_equal(tigress_transfer_wait(init, NULL), TIGRESS_E_EXPIRED);
    assert_int_equal(tigress_transfer_update(rec, "k", tx, 2), TIGRESS_E_EXPIRED);
    assert_int_equal(tigress_transfer_state(rec), TIGRESS_STATE_EXPIRED);
    assert_int_equal(tigress_transfer_relinquish(rec), TIGRESS_E_EXPIRED);
    assert_int_equal(tigress_transfer_complete(rec), TIGRESS_E_EXPIRED);
    assert_int_equal(tigress_client_last_error(f->b)->code, TIGRESS_E_EXPIRED);
    assert_int_equal(mock_request_count(f->m), n);
    tigress_transfer_free(rec);
    tigress_transfer_free(init);
}

static void expire_during_send(mock_transport *m, const mock_request *r, void *user_data)
{
    tigress_transfer *t = user_data;

    (void)m;
    (void)r;
    t->expires_at = (int64_t)time(NULL) - 1; /* the expiration passes while the request runs */
}

/* A 404 once the expiration has passed means EXPIRED, not completed/revoked. */
static void test_state__404_after_expiry_is_expired(void **state)
{
    fx *f = *state;
    tigress_transfer *init = fx_share(f, 0, TIGRESS_PAYLOAD_XSALSA20_POLY1305), *rec;

    rec = fx_redeem(f, init);
    mock_relay_set_time(f->m, (int64_t)time(NULL) + 30 * 24 * 3600); /* the relay swept it */
    mock_set_on_send(f->m, expire_during_send, rec);
    assert_int_equal(tigress_transfer_poll(rec), TIGRESS_E_EXPIRED);
    assert_int_equal(tigress_transfer_state(rec), TIGRESS_STATE_EXPIRED);
    assert_int_equal(tigress_client_last_error(f->b)->http_status, 404);
    mock_set_on_send(f->m, expire_during_send, init);
    assert_int_equal(tigress_transfer_poll(init), TIGRESS_E_EXPIRED);
    assert_int_equal(tigress_transfer_state(init), TIGRESS_STATE_EXPIRED);
    mock_set_on_send(f->m, NULL, NULL);
    tigress_transfer_free(rec);
    tigress_transfer_free(init);
}

/* C22 and the "mailbox gone" rows: revoke and complete of a deleted mailbox are done; a
 * Recipient that finds it gone (poll, update, relinquish) sees REVOKED. */
static void test_state__mailbox_gone(void **state)
{
    fx *f = *state;
    tigress_transfer *i1 = fx_share(f, 0, TIGRESS_PAYLOAD_XSALSA20_POLY1305), *r1;
    tigress_transfer *i2 = fx_share(f, 1, TIGRESS_PAYLOAD_XSALSA20_POLY1305), *r2;
    tigress_transfer *i3 = fx_share(f, 0, TIGRESS_PAYLOAD_XSALSA20_POLY1305), *r3;
    uint8_t tx[2] = { 1, 2 };

    r1 = fx_redeem(f, i1);
    r2 = fx_redeem(f, i2);
    r3 = fx_redeem(f, i3);
    /* Both sides delete: the second DELETE gets 404 and still counts as done. */
    assert_int_equal(tigress_transfer_revoke(i1), TIGRESS_OK);
    assert_int_equal(tigress_transfer_complete(r1), TIGRESS_OK);
    assert_int_equal(tigress_transfer_state(r1), TIGRESS_STATE_COMPLETED);
    assert_int_equal(tigress_client_last_error(f->b)->code, TIGRESS_OK);
    assert_int_equal(tigress_transfer_revoke(i2), TIGRESS_OK);
    assert_int_equal(tigress_transfer_update(r2, "k", tx, 2), TIGRESS_E_REVOKED);
    assert_int_equal(tigress_transfer_state(r2), TIGRESS_STATE_REVOKED);
    assert_int_equal(tigress_transfer_complete(r3), TIGRESS_OK);
    assert_int_equal(tigress_transfer_revoke(i3), TIGRESS_OK);
    assert_int_equal(tigress_transfer_state(i3), TIGRESS_STATE_REVOKED);
    tigress_transfer_free(r1);
    tigress_transfer_free(i1);
    tigress_transfer_free(r2);
    tigress_transfer_free(i2);
    tigress_transfer_free(r3);
    tigress_transfer_free(i3);

    i1 = fx_share(f, 0, TIGRESS_PAYLOAD_AES_128_GCM);
    r1 = fx_redeem(f, i1);
    assert_int_equal(tigress_transfer_revoke(i1), TIGRESS_OK);
    assert_int_equal(tigress_transfer_relinquish(r1), TIGRESS_E_REVOKED);
    assert_int_equal(tigress_transfer_state(r1), TIGRESS_STATE_REVOKED);
    tigress_transfer_free(r1);
    tigress_transfer_free(i1);
}

/* A network failure leaves every state as it was, for every operation. */
static void test_state__network_error_keeps_state(void **state)
{
    fx *f = *state;
    tigress_client_options co = TIGRESS_CLIENT_OPTIONS_INIT;
    tigress_client *ca, *cb;
    tigress_share_options so = fx_share_opts(1, TIGRESS_PAYLOAD_AES_256_GCM);
    tigress_transfer *init = NULL, *rec = NULL;
    uint8_t tx[3] = { 7, 7, 7 };

    co.max_retries = TIGRESS_RETRIES_NONE;
    ca = mock_client_new(f->m, &co);
    cb = mock_client_new(f->m, &co);
    assert_int_equal(tigress_share_create(&init, ca, &so), TIGRESS_OK);
    assert_int_equal(fx_redeem_url(f, cb, tigress_transfer_share_url(init), &rec), TIGRESS_OK);
#define LOSE(call, st, t)                                                    \
    mock_push_error(f->m, TIGRESS_E_NETWORK, 7);                             \
    assert_int_equal(call, TIGRESS_E_NETWORK);                               \
    assert_int_equal(tigress_transfer_state(t), st)
    LOSE(tigress_transfer_poll(init), TIGRESS_STATE_CREATED, init);
    LOSE(tigress_transfer_revoke(init), TIGRESS_STATE_CREATED, init);
    LOSE(tigress_transfer_update(rec, "k", tx, 3), TIGRESS_STATE_REDEEMED, rec);
    LOSE(tigress_transfer_relinquish(rec), TIGRESS_STATE_REDEEMED, rec);
    LOSE(tigress_transfer_poll(rec), TIGRESS_STATE_REDEEMED, rec);
    assert_int_equal(tigress_client_last_error(cb)->transport_code, 7);
    assert_int_equal(tigress_transfer_update(rec, "k", tx, 3), TIGRESS_OK);
    assert_int_equal(tigress_transfer_poll(init), TIGRESS_OK);
    LOSE(tigress_transfer_approve(init, &f->signer), TIGRESS_STATE_TXINFO_RECEIVED, init);
    assert_int_equal(tigress_transfer_signature(init, NULL, NULL, NULL), TIGRESS_E_STATE);
    assert_int_equal(tigress_transfer_approve(init, &f->signer), TIGRESS_OK);
    assert_int_equal(tigress_transfer_poll(rec), TIGRESS_OK);
    LOSE(tigress_transfer_complete(rec), TIGRESS_STATE_SIGNED, rec);
    assert_int_equal(tigress_transfer_complete(rec), TIGRESS_OK);
#undef LOSE
    tigress_transfer_free(rec);
    tigress_transfer_free(init);
    tigress_client_free(ca);
    tigress_client_free(cb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, fx_setup, fx_teardown)
        T(test_state__table_matches_header),
        T(test_state__events_follow_table),
        T(test_state__wrong_state_sends_nothing),
        T(test_state__expiry_before_any_request),
        T(test_state__404_after_expiry_is_expired),
        T(test_state__mailbox_gone),
        T(test_state__network_error_keeps_state),
#undef T
    };
    /* Paired global init/cleanup: the library gives back everything it holds (the fetched
     * AES-GCM ciphers too), so valgrind-unit's "still reachable" check stays meaningful. */
    if (tigress_global_init() != TIGRESS_OK)
        return 1;
    int failed = cmocka_run_group_tests_name("state", tests, NULL, NULL);
    tigress_global_cleanup();
    return failed;
}
