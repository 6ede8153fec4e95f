/* tigress_client_cancel() / tigress_client_cancel_clear() semantics over the mock relay:
 * a cancel is never lost. Requested before a call starts, it cancels that call before any
 * request goes out; requested during a call, it cancels that call; either way one call spends
 * it and the next call runs normally. cancel_clear drops a pending cancel. */
#include <pthread.h>
#include <semaphore.h>
#include <time.h>

#include "transfer_fixture.h"

#define TXINFO ((const uint8_t *)"{\"pk\":\"abc\"}")
#define TXINFO_LEN 12u

/* One blocking call on a transfer (or a new one), by step name. */
typedef enum step { ST_SHARE, ST_REDEEM, ST_UPDATE, ST_POLL, ST_APPROVE, ST_WAIT, ST_COMPLETE,
                    ST_REVOKE, ST_RELINQUISH } step;

typedef struct flow {
    fx *f;
    tigress_transfer *init, *rec;
} flow;

static tigress_status run_step(flow *w, step s)
{
    tigress_wait_options wo = TIGRESS_WAIT_OPTIONS_INIT;
    tigress_share_options so = fx_share_opts(1, TIGRESS_PAYLOAD_XSALSA20_POLY1305);

    wo.timeout_ms = 60000;
    switch (s) {
    case ST_SHARE:
        return tigress_share_create(&w->init, w->f->a, &so);
    case ST_REDEEM:
        return fx_redeem_url(w->f, w->f->b, tigress_transfer_share_url(w->init), &w->rec);
    case ST_UPDATE:
        return tigress_transfer_update(w->rec, "publicKey", TXINFO, TXINFO_LEN);
    case ST_POLL:
        return tigress_transfer_poll(w->init);
    case ST_APPROVE:
        return tigress_transfer_approve(w->init, &w->f->signer);
    case ST_WAIT:
        return tigress_transfer_wait(w->rec, &wo);
    case ST_COMPLETE:
        return tigress_transfer_complete(w->rec);
    case ST_REVOKE:
        return tigress_transfer_revoke(w->init);
    case ST_RELINQUISH:
        return tigress_transfer_relinquish(w->rec);
    }
    return TIGRESS_E_INVALID;
}

static tigress_client *step_client(flow *w, step s)
{
    return (s == ST_SHARE || s == ST_POLL || s == ST_APPROVE || s == ST_REVOKE) ? w->f->a
                                                                                : w->f->b;
}

static void flow_free(flow *w)
{
    tigress_transfer_free(w->init);
    tigress_transfer_free(w->rec);
    w->init = w->rec = NULL;
}

/* Cancel, then the step: E_CANCELLED, no request, state unchanged; the same step again works. */
static void cancel_then_step(flow *w, step s, tigress_status expect)
{
    tigress_client *c = step_client(w, s);
    tigress_transfer *t = (s == ST_SHARE || s == ST_POLL || s == ST_APPROVE || s == ST_REVOKE)
                              ? w->init : w->rec;
    tigress_state before = t != NULL ? tigress_transfer_state(t) : (tigress_state)0;
    size_t sent = mock_request_count(w->f->m);

    assert_int_equal(tigress_client_cancel(c), TIGRESS_OK);
    assert_int_equal(run_step(w, s), TIGRESS_E_CANCELLED);
    assert_int_equal(tigress_client_last_error(c)->code, TIGRESS_E_CANCELLED);
    assert_int_equal(mock_request_count(w->f->m), sent);
    if (t != NULL)
        assert_int_equal(tigress_transfer_state(t), before);
    else if (s == ST_SHARE)
        assert_null(w->init);
    else
        assert_null(w->rec);
    assert_int_equal(run_step(w, s), expect);
    assert_true(mock_request_count(w->f->m) > sent);
}

/* Every blocking call of the stateful flow, cancelled before it starts, sends nothing. */
static void test_cancel__before_each_step_of_stateful_flow(void **state)
{
    flow w = { *state, NULL, NULL };
    const step steps[] = { ST_SHARE, ST_REDEEM, ST_UPDATE, ST_POLL, ST_APPROVE, ST_WAIT,
                           ST_COMPLETE };

    mock_clock_install(1000);
    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++)
        cancel_then_step(&w, steps[i], TIGRESS_OK);
    assert_int_equal(tigress_transfer_state(w.rec), TIGRESS_STATE_COMPLETED);
    flow_free(&w);
}

/* Revoke and relinquish too. */
static void test_cancel__before_revoke_and_relinquish(void **state)
{
    flow w = { *state, NULL, NULL };

    assert_int_equal(run_step(&w, ST_SHARE), TIGRESS_OK);
    assert_int_equal(run_step(&w, ST_REDEEM), TIGRESS_OK);
    cancel_then_step(&w, ST_RELINQUISH, TIGRESS_OK);
    cancel_then_step(&w, ST_REVOKE, TIGRESS_OK);
    flow_free(&w);
}

/* A cancel on one client does not touch another one. */
static void test_cancel__per_client(void **state)
{
    flow w = { *state, NULL, NULL };

    assert_int_equal(run_step(&w, ST_SHARE), TIGRESS_OK);
    tigress_client_cancel(w.f->a);
    assert_int_equal(run_step(&w, ST_REDEEM), TIGRESS_OK); /* client b */
    assert_int_equal(run_step(&w, ST_REVOKE), TIGRESS_E_CANCELLED);
    assert_int_equal(run_step(&w, ST_REVOKE), TIGRESS_OK);
    flow_free(&w);
}

/* Several cancels before a call notices them count as one. */
static void test_cancel__several_count_as_one(void **state)
{
    flow w = { *state, NULL, NULL };

    for (int i = 0; i < 3; i++)
        tigress_client_cancel(w.f->a);
    assert_int_equal(run_step(&w, ST_SHARE), TIGRESS_E_CANCELLED);
    assert_int_equal(run_step(&w, ST_SHARE), TIGRESS_OK);
    assert_int_equal(mock_request_count(w.f->m), 1);
    flow_free(&w);
}

/* The audit's case, real clock: another thread cancels before the wait starts. Before the fix
 * the wait ran to its timeout (60 s here, E_TIMEOUT); now it is cancelled without a request. */
static void *cancel_thread(void *arg)
{
    tigress_client_cancel(arg);
    return NULL;
}

static void test_cancel__from_thread_before_wait_real_clock(void **state)
{
    flow w = { *state, NULL, NULL };
    tigress_wait_options wo = TIGRESS_WAIT_OPTIONS_INIT;
    pthread_t th;
    size_t sent;

    assert_int_equal(run_step(&w, ST_SHARE), TIGRESS_OK);
    assert_int_equal(run_step(&w, ST_REDEEM), TIGRESS_OK);
    assert_int_equal(run_step(&w, ST_UPDATE), TIGRESS_OK);
    sent = mock_request_count(w.f->m);
    assert_int_equal(pthread_create(&th, NULL, cancel_thread, w.f->b), 0);
    pthread_join(th, NULL);
    wo.timeout_ms = 60000;
    assert_int_equal(tigress_transfer_wait(w.rec, &wo), TIGRESS_E_CANCELLED);
    assert_int_equal(mock_request_count(w.f->m), sent);
    /* Spent: a poll now reads the mailbox (nothing new from the Initiator yet). */
    assert_int_equal(tigress_transfer_poll(w.rec), TIGRESS_E_AGAIN);
    assert_int_equal(mock_request_count(w.f->m), sent + 1);
    flow_free(&w);
}

/* During a call: a thread cancels once the request is in the transport (which blocks until
 * its cancel slot is called). That call is cancelled; the next one works. */
typedef struct in_send {
    sem_t entered;
    tigress_client *c;
} in_send;

static void on_send_post(mock_transport *m, const mock_request *r, void *ud)
{
    (void)m, (void)r;
    sem_post(&((in_send *)ud)->entered);
}

static void *cancel_when_sent(void *arg)
{
    in_send *s = arg;

    sem_wait(&s->entered);
    tigress_client_cancel(s->c);
    return NULL;
}

static void test_cancel__during_send_from_thread(void **state)
{
    flow w = { *state, NULL, NULL };
    in_send s;
    pthread_t th;

    assert_int_equal(sem_init(&s.entered, 0, 0), 0);
    s.c = w.f->a;
    mock_set_on_send(w.f->m, on_send_post, &s);
    mock_push_hang(w.f->m);
    assert_int_equal(pthread_create(&th, NULL, cancel_when_sent, &s), 0);
    assert_int_equal(run_step(&w, ST_SHARE), TIGRESS_E_CANCELLED);
    pthread_join(th, NULL);
    assert_null(w.init);
    assert_int_equal(mock_request_count(w.f->m), 1);
    assert_int_equal(mock_script_pending(w.f->m), 0);
    mock_set_on_send(w.f->m, NULL, NULL);
    /* Spent by the cancelled call. */
    assert_int_equal(run_step(&w, ST_SHARE), TIGRESS_OK);
    assert_int_equal(mock_request_count(w.f->m), 2);
    sem_destroy(&s.entered);
    flow_free(&w);
}

/* During a wait (fake clock): the progress callback cancels before the first sleep; the sleep
 * notices it. The wait is cancelled and spends it. */
static void cancel_in_progress(unsigned int attempt, long next_delay_ms, void *ud)
{
    (void)attempt, (void)next_delay_ms;
    tigress_client_cancel(ud);
}

static void test_cancel__during_wait(void **state)
{
    flow w = { *state, NULL, NULL };
    tigress_wait_options wo = TIGRESS_WAIT_OPTIONS_INIT;

    mock_clock_install(1000);
    assert_int_equal(run_step(&w, ST_SHARE), TIGRESS_OK);
    assert_int_equal(run_step(&w, ST_REDEEM), TIGRESS_OK);
    assert_int_equal(run_step(&w, ST_UPDATE), TIGRESS_OK);
    wo.progress = cancel_in_progress;
    wo.user_data = w.f->b;
    wo.disable_long_poll = 1;
    assert_int_equal(tigress_transfer_wait(w.rec, &wo), TIGRESS_E_CANCELLED);
    assert_int_equal(mock_clock_sleep_count(), 0);
    assert_int_equal(tigress_transfer_state(w.rec), TIGRESS_STATE_WAITING_FOR_PEER);
    assert_int_equal(tigress_transfer_poll(w.rec), TIGRESS_E_AGAIN);
    flow_free(&w);
}

/* A cancel that arrives after the call's last check (here: while the relay answers its only
 * request) does not cancel that call; it stays pending and cancels the next one. */
static void on_send_cancel(mock_transport *m, const mock_request *r, void *ud)
{
    (void)m, (void)r;
    tigress_client_cancel(ud);
}

static void test_cancel__late_cancel_kept_for_next_call(void **state)
{
    flow w = { *state, NULL, NULL };

    mock_set_on_send(w.f->m, on_send_cancel, w.f->a);
    assert_int_equal(run_step(&w, ST_SHARE), TIGRESS_OK);
    mock_set_on_send(w.f->m, NULL, NULL);
    assert_int_equal(run_step(&w, ST_REVOKE), TIGRESS_E_CANCELLED);
    assert_int_equal(mock_request_count(w.f->m), 1);
    assert_int_equal(run_step(&w, ST_REVOKE), TIGRESS_OK);
    flow_free(&w);
}

/* cancel_clear drops a pending cancel, whether requested before a call or late in one. */
static void test_cancel__clear(void **state)
{
    flow w = { *state, NULL, NULL };

    assert_int_equal(tigress_client_cancel_clear(NULL), TIGRESS_E_INVALID);
    assert_int_equal(tigress_client_cancel_clear(w.f->a), TIGRESS_OK); /* nothing pending */
    tigress_client_cancel(w.f->a);
    tigress_client_cancel(w.f->a);
    assert_int_equal(tigress_client_cancel_clear(w.f->a), TIGRESS_OK);
    assert_int_equal(run_step(&w, ST_SHARE), TIGRESS_OK);
    mock_set_on_send(w.f->m, on_send_cancel, w.f->b);
    assert_int_equal(run_step(&w, ST_REDEEM), TIGRESS_OK);
    mock_set_on_send(w.f->m, NULL, NULL);
    assert_int_equal(tigress_client_cancel_clear(w.f->b), TIGRESS_OK);
    assert_int_equal(run_step(&w, ST_RELINQUISH), TIGRESS_OK);
    /* A cancel after a clear still counts. */
    tigress_client_cancel(w.f->a);
    assert_int_equal(run_step(&w, ST_REVOKE), TIGRESS_E_CANCELLED);
    assert_int_equal(mock_request_count(w.f->m), 3);
    flow_free(&w);
}

/* Calls that send nothing do not spend a cancel: export, and a call refused by its state
 * check (documented: it may return its own error and leave the cancel pending). */
static void test_cancel__non_network_calls_keep_it(void **state)
{
    flow w = { *state, NULL, NULL };
    tigress_buf blob = { NULL, 0 };

    assert_int_equal(run_step(&w, ST_SHARE), TIGRESS_OK);
    tigress_client_cancel(w.f->a);
    assert_int_equal(tigress_transfer_export(w.init, 0, &blob), TIGRESS_OK);
    tigress_buf_dispose(&blob);
    assert_int_equal(tigress_transfer_complete(w.init), TIGRESS_E_STATE); /* Initiator */
    assert_int_equal(run_step(&w, ST_REVOKE), TIGRESS_E_CANCELLED);
    assert_int_equal(run_step(&w, ST_REVOKE), TIGRESS_OK);
    assert_int_equal(mock_request_count(w.f->m), 2);
    flow_free(&w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_cancel__before_each_step_of_stateful_flow, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_cancel__before_revoke_and_relinquish, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_cancel__per_client, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_cancel__several_count_as_one, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_cancel__from_thread_before_wait_real_clock, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_cancel__during_send_from_thread, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_cancel__during_wait, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_cancel__late_cancel_kept_for_next_call, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_cancel__clear, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_cancel__non_network_calls_keep_it, fx_setup,
                                        fx_teardown),
    };

    return cmocka_run_group_tests_name("cancel", tests, NULL, NULL);
}
