/*
 * Fault injection over both transfer flows (a failure at any step must end in a typed error and
 * a transfer that can carry on: no crash, no leak, no lost or doubled write). A transport that
 * WRAPS another one (the mock transport's in-process relay) breaks the exchange of one step in one way, every time
 * that step's requests go out, until the fault is cleared:
 *
 *   drop the request, lose the response after the relay applied the request, truncate the
 *   body (noticed by the transport or not), deliver the request twice, delay it past the
 *   deadline or until tigress_client_cancel(), answer 500/502/503 with and without
 *   Retry-After (before or after the relay applied the request), answer a garbage body, an
 *   HTML body with the wrong Content-Type, a captive-portal page, a response without its
 *   headers, or one echoing another Mailbox-Request-ID.
 *
 * For every step of every flow (stateless; stateful; revoke; relinquish) and every fault the
 * call returns the typed status the fault calls for, nothing crashes or leaks (valgrind), both
 * transfers are unchanged (state getter and export blob, the pending Request-ID aside) and no
 * error message holds the Secret (C14). Then the fault clears, the same call succeeds - a
 * mutating one with the same Mailbox-Request-ID (C4), answered 201 when the relay had applied
 * it (C6) or 404-as-done for a DELETE (C22), the relay applying it exactly once - and the flow
 * completes with the right plaintext.
 *
 * Each fault the library retries by itself (network, timeout, 5xx) also runs once more as a
 * transient fault, on the first send only: the call recovers within itself, its retry
 * carrying the same Request-ID and claim, and the relay applies the write once (C4, C6).
 *
 * A few faults cannot be errors by design, and the table says so: a duplicated request is
 * answered idempotently (C4, C6); a mangled body on a response whose body the client does not
 * use (Update, Delete, Relinquish, a 404 read) cannot undo a write the relay acknowledged with
 * our own Request-ID (C5). Those cells assert success, the relay applying the write once, and
 * that the flow completes.
 *
 * Requirements: C4 (same Request-ID on retry), C5 (echo check), C6 (201 = already processed),
 * C14 (Secret in no error), C22 (404 on DELETE = done), C23 (statuses typed).
 */
#define _DEFAULT_SOURCE /* strdup */
#include <pthread.h>
#include <strings.h>
#include <time.h>

#include "transfer_fixture.h"
#include "fault_transport.h"
#include <cjson/cJSON.h>

static const uint8_t TXINFO[] = { 0x04, 0x5a, 0x17, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99 };

/* ===================================== the flows ===================================== */

enum { INIT = 0, REC = 1, REC2 = 2, ACTORS = 3 };

typedef struct world {
    mock_transport *m;
    faulty fx[ACTORS];
    tigress_client *c[ACTORS];
    tigress_transfer *t[ACTORS];
    tigress_ed25519_key *key;
    uint8_t pub[TIGRESS_ED25519_PUBLIC_BYTES]; /* the verifier points at it */
    tigress_signer signer;
    tigress_verifier verifier;
    int stateful;
    tigress_payload_type type;
} world;

/* The request a step makes: what a fault can do to it depends on this. */
typedef enum req_kind { K_CREATE, K_READ, K_PUT, K_DELETE, K_PATCH } req_kind;

typedef struct step {
    const char *name;
    int who;                  /* the actor making the call */
    req_kind kind;
    bool body_matters;        /* the client uses the response body, not just status + echo */
    bool faulted;             /* false: only the setup for later steps of this flow */
    tigress_status normal;    /* the result without a fault */
    tigress_state after;      /* the actor's state after it */
    tigress_status (*run)(world *w, int who);
} step;

static tigress_status run_share(world *w, int who)
{
    tigress_share_options o = fx_share_opts(w->stateful, w->type);

    return tigress_share_create(&w->t[who], w->c[who], &o);
}

static tigress_status run_redeem(world *w, int who)
{
    tigress_redeem_options o = TIGRESS_REDEEM_OPTIONS_INIT;

    o.share_url = tigress_transfer_share_url(w->t[INIT]);
    o.verifier = &w->verifier;
    return tigress_redeem(&w->t[who], w->c[who], &o);
}

static tigress_status run_update(world *w, int who)
{
    return tigress_transfer_update(w->t[who], "publicKey", TXINFO, sizeof(TXINFO));
}

static tigress_status run_wait(world *w, int who)
{
    tigress_wait_options o = TIGRESS_WAIT_OPTIONS_INIT;

    o.timeout_ms = 10 * 60 * 1000; /* on the mock clock */
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

#define OK TIGRESS_OK
#define ST(s) TIGRESS_STATE_##s

/* Stateless: share, redeem, complete; the Initiator learns completion from a 404 (C22). */
static const step STATELESS[] = {
    { "share", INIT, K_CREATE, true, true, OK, ST(CREATED), run_share },
    { "redeem", REC, K_READ, true, true, OK, ST(REDEEMED), run_redeem },
    { "complete", REC, K_DELETE, false, true, OK, ST(COMPLETED), run_complete },
    { "initiator_poll_gone", INIT, K_READ, false, true, OK, ST(COMPLETED), run_poll },
};

/* Stateful: TxInfo, signature (verified inside the Recipient's wait), complete. */
static const step STATEFUL[] = {
    { "share", INIT, K_CREATE, true, true, OK, ST(CREATED), run_share },
    { "redeem", REC, K_READ, true, true, OK, ST(REDEEMED), run_redeem },
    { "update_txinfo", REC, K_PUT, false, true, OK, ST(WAITING_FOR_PEER), run_update },
    { "initiator_wait_txinfo", INIT, K_READ, true, true, OK, ST(TXINFO_RECEIVED), run_wait },
    { "approve_sign_update", INIT, K_PUT, false, true, OK, ST(WAITING_FOR_PEER), run_approve },
    { "recipient_wait_verify", REC, K_READ, true, true, OK, ST(SIGNED), run_wait },
    { "complete", REC, K_DELETE, false, true, OK, ST(COMPLETED), run_complete },
    { "initiator_wait_gone", INIT, K_READ, false, true, OK, ST(COMPLETED), run_wait },
};

/* Revoke after the TxInfo arrived; the Recipient learns it from a 404. */
static const step REVOKE[] = {
    { "share", INIT, K_CREATE, true, false, OK, ST(CREATED), run_share },
    { "redeem", REC, K_READ, true, false, OK, ST(REDEEMED), run_redeem },
    { "update_txinfo", REC, K_PUT, false, false, OK, ST(WAITING_FOR_PEER), run_update },
    { "initiator_wait_txinfo", INIT, K_READ, true, false, OK, ST(TXINFO_RECEIVED), run_wait },
    { "revoke", INIT, K_DELETE, false, true, OK, ST(REVOKED), run_revoke },
    { "recipient_poll_revoked", REC, K_READ, false, true, TIGRESS_E_REVOKED, ST(REVOKED), run_poll },
};

/* Relinquish: the first Recipient gives the binding back, a second device redeems. */
static const step RELINQUISH[] = {
    { "share", INIT, K_CREATE, true, false, OK, ST(CREATED), run_share },
    { "redeem", REC, K_READ, true, false, OK, ST(REDEEMED), run_redeem },
    { "relinquish", REC, K_PATCH, false, true, OK, ST(RELINQUISHED), run_relinquish },
    { "redeem_second_device", REC2, K_READ, true, true, OK, ST(REDEEMED), run_redeem },
    { "complete_second_device", REC2, K_DELETE, false, true, OK, ST(COMPLETED), run_complete },
    { "initiator_poll_gone", INIT, K_READ, false, true, OK, ST(COMPLETED), run_poll },
};

typedef struct flow {
    const char *name;
    const step *steps;
    size_t n;
    int stateful;
    tigress_payload_type type;
    void (*check_end)(world *w);
} flow;

static void assert_plaintext(const tigress_transfer *t)
{
    assert_string_equal(tigress_transfer_format(t), FX_FORMAT);
    assert_string_equal(tigress_transfer_content(t), FX_CONTENT);
}

static void end_completed(world *w)
{
    const uint8_t *tx = NULL;
    size_t txl = 0;

    assert_int_equal(tigress_transfer_state(w->t[INIT]), ST(COMPLETED));
    assert_int_equal(tigress_transfer_state(w->t[REC]), ST(COMPLETED));
    assert_plaintext(w->t[REC]);
    if (w->stateful) {
        assert_int_equal(tigress_transfer_txinfo(w->t[INIT], NULL, &tx, &txl), TIGRESS_OK);
        assert_int_equal(txl, sizeof(TXINFO));
        assert_memory_equal(tx, TXINFO, sizeof(TXINFO));
        assert_int_equal(tigress_transfer_signature(w->t[REC], NULL, NULL, NULL), TIGRESS_OK);
    }
}

static void end_revoked(world *w)
{
    assert_int_equal(tigress_transfer_state(w->t[INIT]), ST(REVOKED));
    assert_int_equal(tigress_transfer_state(w->t[REC]), ST(REVOKED));
    assert_plaintext(w->t[REC]);
    assert_false(mock_relay_mailbox_exists(w->m, tigress_transfer_mailbox_id(w->t[INIT])));
}

static void end_relinquished(world *w)
{
    assert_int_equal(tigress_transfer_state(w->t[REC]), ST(RELINQUISHED));
    assert_int_equal(tigress_transfer_state(w->t[REC2]), ST(COMPLETED));
    assert_int_equal(tigress_transfer_state(w->t[INIT]), ST(COMPLETED));
    assert_plaintext(w->t[REC2]);
}

#define FLOW(name, steps, stateful, type, end) \
    { name, steps, sizeof(steps) / sizeof(steps[0]), stateful, type, end }
static const flow FLOWS[] = {
    FLOW("stateless", STATELESS, 0, TIGRESS_PAYLOAD_XSALSA20_POLY1305, end_completed),
    FLOW("stateful", STATEFUL, 1, TIGRESS_PAYLOAD_AES_256_GCM, end_completed),
    FLOW("revoke", REVOKE, 1, TIGRESS_PAYLOAD_AES_128_GCM, end_revoked),
    FLOW("relinquish", RELINQUISH, 0, TIGRESS_PAYLOAD_AES_256_GCM, end_relinquished),
};
#define FLOW_COUNT (sizeof(FLOWS) / sizeof(FLOWS[0]))

static void world_init(world *w, const flow *fl)
{
    memset(w, 0, sizeof(*w));
    w->m = mock_transport_new();
    mock_relay_enable(w->m, NULL);
    for (int i = 0; i < ACTORS; i++)
        w->c[i] = faulty_client(&w->fx[i], w->m);
    assert_int_equal(tigress_ed25519_key_generate(&w->key), TIGRESS_OK);
    assert_int_equal(tigress_ed25519_key_public(w->key, w->pub, sizeof(w->pub)), TIGRESS_OK);
    assert_int_equal(tigress_signer_ed25519(&w->signer, w->key), TIGRESS_OK);
    assert_int_equal(tigress_verifier_ed25519(&w->verifier, w->pub), TIGRESS_OK);
    w->stateful = fl->stateful;
    w->type = fl->type;
}

static void world_free(world *w)
{
    for (int i = 0; i < ACTORS; i++) {
        tigress_transfer_free(w->t[i]);
        tigress_client_free(w->c[i]);
        faulty_destroy(&w->fx[i]);
    }
    tigress_ed25519_key_free(w->key);
    mock_transport_free(w->m);
}

/* ================================= expectations ================================= */

/* True when the step succeeds despite the fault, by design (see the top of the file). */
static bool tolerated(const step *s, fault_kind k)
{
    if (k == F_DUPLICATE)
        return true;
    if (k == F_TRUNCATE_SILENT || k == F_GARBAGE_BODY || k == F_WRONG_CONTENT_TYPE)
        return !s->body_matters;
    return false;
}

static tigress_status expected_error(fault_kind k)
{
    switch (k) {
    case F_DROP_REQUEST: case F_LOSE_RESPONSE: case F_TRUNCATE_NOTICED:
        return TIGRESS_E_NETWORK;
    case F_DELAY_TIMEOUT:
        return TIGRESS_E_TIMEOUT;
    case F_DELAY_CANCEL:
        return TIGRESS_E_CANCELLED;
    case F_500: case F_502_RETRY_AFTER: case F_500_AFTER_WRITE:
        return TIGRESS_E_SERVER;      /* C23: any other status is a generic error */
    case F_503: case F_503_RETRY_AFTER:
        return TIGRESS_E_UNAVAILABLE;
    default:
        return TIGRESS_E_PROTOCOL;    /* C5 echo check, or a body that is not the protocol's */
    }
}

/* Faults after which the library itself retries within the call (C4: same Request-ID). */
static bool retried_in_call(fault_kind k)
{
    tigress_status e = expected_error(k);

    return e == TIGRESS_E_NETWORK || e == TIGRESS_E_TIMEOUT || e == TIGRESS_E_SERVER ||
           e == TIGRESS_E_UNAVAILABLE;
}

/* The HTTP status (C23) or the transport's own code the error detail must carry; -1: any. */
static void expected_detail(fault_kind k, int *http_status, int *transport_code)
{
    static const struct { fault_kind k; int http, transport; } table[] = {
        { F_DROP_REQUEST, 0, 7 }, { F_LOSE_RESPONSE, 0, 56 }, { F_TRUNCATE_NOTICED, 0, 18 },
        { F_DELAY_TIMEOUT, 0, 28 }, { F_DELAY_CANCEL, 0, -1 }, { F_500, 500, 0 },
        { F_502_RETRY_AFTER, 502, 0 }, { F_503, 503, 0 }, { F_503_RETRY_AFTER, 503, 0 },
        { F_500_AFTER_WRITE, 500, 0 },
    };

    *http_status = -1;
    *transport_code = -1;
    for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
        if (table[i].k == k) {
            *http_status = table[i].http;
            *transport_code = table[i].transport;
        }
}

/* The Retry-After a fault sends, in ms (0: none). */
static long retry_after_ms(fault_kind k)
{
    return k == F_502_RETRY_AFTER ? 1000 : k == F_503_RETRY_AFTER ? 2000 : 0;
}

/* ================================== the checks ================================== */

typedef struct snapshot {
    cJSON *blob[ACTORS];     /* export without the pending Request-ID; NULL: no transfer */
    tigress_state state[ACTORS];
} snapshot;

static void snap_take(const world *w, snapshot *s)
{
    for (int i = 0; i < ACTORS; i++) {
        tigress_buf b = { 0 };

        s->blob[i] = NULL;
        s->state[i] = tigress_transfer_state(w->t[i]);
        if (w->t[i] == NULL)
            continue;
        assert_int_equal(tigress_transfer_export(w->t[i], 0, &b), TIGRESS_OK);
        s->blob[i] = cJSON_ParseWithLength((const char *)b.ptr, b.size);
        tigress_buf_dispose(&b);
        assert_non_null(s->blob[i]);
        /* A lost response legitimately leaves its Request-ID pending for the retry (C4). */
        cJSON_DeleteItemFromObjectCaseSensitive(s->blob[i], "pendingRequestId");
        cJSON_DeleteItemFromObjectCaseSensitive(s->blob[i], "pendingOp");
    }
}

static void snap_free(snapshot *s)
{
    for (int i = 0; i < ACTORS; i++)
        tigress__json_wipe_delete(s->blob[i]);
}

/* Names the first member that differs (never its value: the blob holds the Secret). */
static const char *snap_diff(const snapshot *a, const snapshot *b, int *who)
{
    for (int i = 0; i < ACTORS; i++) {
        const cJSON *x;

        *who = i;
        if (a->state[i] != b->state[i])
            return "state";
        if ((a->blob[i] == NULL) != (b->blob[i] == NULL))
            return "(transfer appeared or vanished)";
        if (a->blob[i] == NULL || cJSON_Compare(a->blob[i], b->blob[i], 1))
            continue;
        cJSON_ArrayForEach(x, a->blob[i]) {
            const cJSON *y = cJSON_GetObjectItemCaseSensitive(b->blob[i], x->string);
            if (y == NULL || !cJSON_Compare(x, y, 1))
                return x->string;
        }
        return "(a member was added)";
    }
    return NULL;
}

typedef struct tally {
    unsigned cells, errors, tolerated, recovered;
} tally;

static tally g_tally;

#define CELL_ASSERT(cond, ...)                                                        \
    do {                                                                              \
        if (!(cond)) {                                                                \
            print_error("%s/%s/%s: ", fl->name, s->name, FAULT_NAMES[k]);             \
            print_error(__VA_ARGS__);                                                 \
            print_error("\n");                                                        \
            fail();                                                                   \
        }                                                                             \
    } while (0)

static void run_clean(world *w, const step *s)
{
    tigress_status rc = s->run(w, s->who);

    if (rc != s->normal)
        fail_msg("setup step %s: %s (%s)", s->name, tigress_status_name(rc),
                 tigress_client_last_error(w->c[s->who])->message);
    assert_int_equal(tigress_transfer_state(w->t[s->who]), s->after);
}

static bool mutating(req_kind kind)
{
    return kind == K_PUT || kind == K_DELETE || kind == K_PATCH;
}

/* C14: no client's error message quotes the Secret. */
static void assert_secret_not_in_errors(const world *w)
{
    const tigress_secret *sec = tigress_transfer_secret(w->t[INIT]);

    if (sec == NULL)
        return;
    for (int i = 0; i < ACTORS; i++)
        assert_null(strstr(tigress_client_last_error(w->c[i])->message, tigress_secret_text(sec)));
}

/* The faulted call failed: typed, nothing changed; then the same call succeeds. */
static void check_failed_then_retry(world *w, const flow *fl, const step *s, fault_kind k,
                                    tigress_status rc, const snapshot *before, size_t applied)
{
    tigress_status want = expected_error(k);
    const tigress_error *e = tigress_client_last_error(w->c[s->who]);
    snapshot after;
    const char *diff;
    size_t first;
    int who = 0, http_status, transport_code;

    CELL_ASSERT(rc == want, "got %s, want %s (%s)", tigress_status_name(rc),
                tigress_status_name(want), e->message);
    CELL_ASSERT(e->code == rc, "last error %s", tigress_status_name(e->code));
    CELL_ASSERT(e->message[0] != '\0', "no error message");
    expected_detail(k, &http_status, &transport_code);
    CELL_ASSERT(http_status < 0 || e->http_status == http_status, "http_status %d, want %d",
                e->http_status, http_status);
    CELL_ASSERT(transport_code < 0 || e->transport_code == transport_code,
                "transport_code %d, want %d", e->transport_code, transport_code);
    assert_secret_not_in_errors(w);
    snap_take(w, &after);
    diff = snap_diff(before, &after, &who);
    snap_free(&after);
    CELL_ASSERT(diff == NULL, "transfer %d changed: %s", who, diff);
    g_tally.errors++;

    /* The fault clears: the same call again. */
    first = mock_request_count(w->m);
    rc = s->run(w, s->who);
    CELL_ASSERT(rc == s->normal, "after the fault cleared: %s (%s)", tigress_status_name(rc),
                tigress_client_last_error(w->c[s->who])->message);
    if (mutating(s->kind)) {
        const char *rid = mock_request_header(mock_request_at(w->m, first), "Mailbox-Request-ID");
        /* C4: the retry carries the Request-ID of the attempt whose outcome was unknown. */
        CELL_ASSERT(rid != NULL && strcmp(rid, w->fx[s->who].faulted_rid) == 0,
                    "the retry used a new Mailbox-Request-ID");
        /* C6/C22: whatever reached the relay was applied exactly once. */
        CELL_ASSERT(mock_relay_applied_count(w->m) == applied + 1, "relay applied %zu writes",
                    mock_relay_applied_count(w->m) - applied);
    }
}

/* A transient fault (the first send only): the library's own retry, with the same
 * Request-ID and the same claim, gets through within the call (C4, C6). */
static void check_recovered_in_call(world *w, const flow *fl, const step *s, fault_kind k,
                                    tigress_status rc, size_t first, size_t applied)
{
    const mock_request *r0 = mock_request_at(w->m, first), *last = mock_request_last(w->m);

    CELL_ASSERT(rc == s->normal, "got %s, want %s (%s)", tigress_status_name(rc),
                tigress_status_name(s->normal), tigress_client_last_error(w->c[s->who])->message);
    if (r0 != NULL && r0 != last) /* the relay saw the request twice: the same ID both times */
        CELL_ASSERT(strcmp(mock_request_header(r0, "Mailbox-Request-ID"),
                           mock_request_header(last, "Mailbox-Request-ID")) == 0 &&
                    strcmp(mock_request_header(r0, "Mailbox-Device-Claim"),
                           mock_request_header(last, "Mailbox-Device-Claim")) == 0,
                    "the in-call retry changed its Request-ID or claim");
    if (s->kind != K_READ)
        CELL_ASSERT(mock_relay_applied_count(w->m) == applied + 1, "relay applied %zu writes",
                    mock_relay_applied_count(w->m) - applied);
    g_tally.recovered++;
}

static void run_cell(const flow *fl, size_t index, fault_kind k, bool transient)
{
    const step *s = &fl->steps[index];
    world w;
    snapshot before;
    size_t applied, first, sleeps;
    tigress_status rc;

    world_init(&w, fl);
    for (size_t i = 0; i < index; i++)
        run_clean(&w, &fl->steps[i]);
    snap_take(&w, &before);
    applied = mock_relay_applied_count(w.m);
    first = mock_request_count(w.m);
    sleeps = mock_clock_sleep_count();

    w.fx[s->who].fault = k;
    w.fx[s->who].budget = transient ? 1 : 0;
    rc = s->run(&w, s->who);
    w.fx[s->who].fault = F_NONE;
    CELL_ASSERT(w.fx[s->who].hits > 0, "the fault never fired");
    g_tally.cells++;
    if (!transient && retried_in_call(k)) {
        /* The default 3 retries, each after a back-off on the mock clock of at least the
         * relay's Retry-After. */
        CELL_ASSERT(mock_clock_sleep_count() - sleeps == 3, "%zu back-offs, want 3",
                    mock_clock_sleep_count() - sleeps);
        for (size_t i = sleeps; i < mock_clock_sleep_count(); i++)
            CELL_ASSERT(mock_clock_sleep_at(i) >= retry_after_ms(k),
                        "back-off %ld ms under Retry-After %ld ms", mock_clock_sleep_at(i),
                        retry_after_ms(k));
    }
    if (transient) {
        check_recovered_in_call(&w, fl, s, k, rc, first, applied);
    } else if (tolerated(s, k)) {
        CELL_ASSERT(rc == s->normal, "got %s, want %s (%s)", tigress_status_name(rc),
                    tigress_status_name(s->normal),
                    tigress_client_last_error(w.c[s->who])->message);
        if (s->kind != K_READ)
            CELL_ASSERT(mock_relay_applied_count(w.m) == applied + 1,
                        "relay applied %zu writes", mock_relay_applied_count(w.m) - applied);
        g_tally.tolerated++;
    } else {
        check_failed_then_retry(&w, fl, s, k, rc, &before, applied);
    }
    snap_free(&before);
    CELL_ASSERT(tigress_transfer_state(w.t[s->who]) == s->after, "state %s",
                tigress_state_name(tigress_transfer_state(w.t[s->who])));
    for (size_t i = index + 1; i < fl->n; i++)
        run_clean(&w, &fl->steps[i]);
    fl->check_end(&w);
    CELL_ASSERT(mock_unexpected_count(w.m) == 0, "unexpected sends");
    world_free(&w);
}

/* ================================== the tests ================================== */

typedef struct cell_group {
    const flow *fl;
    fault_kind k;
    bool transient;
    char name[96];
} cell_group;

/* One cmocka test per flow and fault: every faultable step of that flow. */
static void test_fault_over_flow(void **state)
{
    const cell_group *g = *state;

    for (size_t i = 0; i < g->fl->n; i++)
        if (g->fl->steps[i].faulted)
            run_cell(g->fl, i, g->k, g->transient);
}

/* The wrapper itself: with no fault it is transparent, and each fault fires on every send of
 * the step (the library's own retries included), so "the fault never fired" cannot pass. */
static void test_fault_wrapper_transparent_and_sticky(void **state)
{
    world w;

    (void)state;
    world_init(&w, &FLOWS[0]);
    w.fx[INIT].fault = F_DROP_REQUEST;
    assert_int_equal(run_share(&w, INIT), TIGRESS_E_NETWORK);
    assert_null(w.t[INIT]);
    assert_int_equal(w.fx[INIT].hits, 4); /* the first try and the 3 default retries */
    assert_int_equal(mock_request_count(w.m), 0); /* dropped before the relay */
    assert_int_equal(tigress_client_last_error(w.c[INIT])->transport_code, 7);
    w.fx[INIT].fault = F_NONE;
    assert_int_equal(run_share(&w, INIT), TIGRESS_OK);
    assert_int_equal(mock_request_count(w.m), 1);
    assert_int_equal(w.fx[INIT].hits, 4);
    world_free(&w);
}

static int group_setup(void **state)
{
    (void)state;
    mock_clock_install(1000000); /* back-off between retries sleeps on the fake clock */
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    mock_clock_uninstall();
    print_message("fault cells: %u (typed error, state unchanged, then completes: %u; "
                  "tolerated by design: %u; transient, recovered by the call's own retry: %u)\n",
                  g_tally.cells, g_tally.errors, g_tally.tolerated, g_tally.recovered);
    return 0;
}

int main(void)
{
    static cell_group groups[2 * FLOW_COUNT * (F_COUNT_ - 1)];
    static struct CMUnitTest tests[2 * FLOW_COUNT * (F_COUNT_ - 1) + 1];
    size_t n = 0, ng = 0;
    int rc;

    if (tigress_global_init() != TIGRESS_OK)
        return 1;
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_fault_wrapper_transparent_and_sticky);
    for (int transient = 0; transient < 2; transient++) {
        for (size_t f = 0; f < FLOW_COUNT; f++) {
            for (int k = F_NONE + 1; k < F_COUNT_; k++) {
                cell_group *g = &groups[ng++];
                if (transient && !retried_in_call((fault_kind)k))
                    continue;
                g->fl = &FLOWS[f];
                g->k = (fault_kind)k;
                g->transient = transient != 0;
                snprintf(g->name, sizeof(g->name), "C4_C5_C6_C23_%s%s_%s",
                         transient ? "transient_" : "", FLOWS[f].name, FAULT_NAMES[k]);
                tests[n++] = (struct CMUnitTest){ g->name, test_fault_over_flow, NULL, NULL, g };
            }
        }
    }
    rc = _cmocka_run_group_tests("faults", tests, n, group_setup, group_teardown);
    tigress_global_cleanup(); /* so that valgrind sees nothing of ours left, reachable or not */
    return rc;
}
