/*
 * Fault injection over both transfer flows (issue 7). A transport that WRAPS another one (the
 * mock transport's in-process relay) breaks the exchange of one step in one way, every time
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
 * A few faults cannot be errors by design, and the table says so: a duplicated request is
 * answered idempotently (C4, C6); a mangled body on a response whose body the client does not
 * use (Update, Delete, Relinquish, a 404 read) cannot undo a write the relay acknowledged with
 * our own Request-ID (C5). Those cells assert success, the relay applying the write once, and
 * that the flow completes.
 *
 * Requirements: C4 (same Request-ID on retry), C5 (echo check), C6 (201 = already processed),
 * C14 (Secret in no error), C22 (404 on DELETE = done), C23 (statuses typed), C24 (own
 * message never taken as new).
 */
#define _DEFAULT_SOURCE /* strdup */
#include <pthread.h>
#include <strings.h>
#include <time.h>

#include "transfer_fixture.h"
#include <cjson/cJSON.h>

static const uint8_t TXINFO[] = { 0x04, 0x5a, 0x17, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99 };

/* ================================== the fault transport ================================== */

typedef enum fault_kind {
    F_NONE = 0,
    F_DROP_REQUEST,       /* never reaches the relay: connection refused */
    F_LOSE_RESPONSE,      /* applied by the relay, the response lost (connection reset) */
    F_TRUNCATE_NOTICED,   /* applied; half the body, then the transport reports a short read */
    F_TRUNCATE_SILENT,    /* applied; half the body delivered as if complete */
    F_DUPLICATE,          /* delivered twice (a proxy retrying); the second answer is used */
    F_DELAY_TIMEOUT,      /* applied; the answer comes after the deadline: E_TIMEOUT */
    F_DELAY_CANCEL,       /* applied; the answer is held until tigress_client_cancel() */
    F_500,                /* relay error before applying, no Retry-After */
    F_502_RETRY_AFTER,    /* a gateway error with Retry-After */
    F_503,                /* overloaded, no Retry-After */
    F_503_RETRY_AFTER,    /* overloaded, Retry-After: 2 */
    F_500_AFTER_WRITE,    /* applied, then the relay answers 500 */
    F_GARBAGE_BODY,       /* applied; status and echo intact, body random bytes */
    F_WRONG_CONTENT_TYPE, /* applied; text/html and an HTML body */
    F_PORTAL_PAGE,        /* never reaches the relay: a 200 HTML page without our echo */
    F_MISSING_HEADERS,    /* applied; no Mailbox-Request-ID, Content-Type or ETag */
    F_ECHO_MISMATCH,      /* applied; another Mailbox-Request-ID echoed (C5) */
    F_COUNT_
} fault_kind;

static const char *const FAULT_NAMES[F_COUNT_] = {
    "none", "drop_request", "lose_response", "truncate_noticed", "truncate_silent",
    "duplicate", "delay_timeout", "delay_cancel", "http_500", "http_502_retry_after",
    "http_503", "http_503_retry_after", "http_500_after_write", "garbage_body",
    "wrong_content_type", "portal_page", "missing_headers", "echo_mismatch",
};

typedef struct faulty {
    tigress_transport inner;   /* the wrapped transport */
    tigress_client *client;    /* the client using this transport (for the cancel fault) */
    fault_kind fault;
    unsigned hits;             /* sends the fault acted on */
    char faulted_rid[37];      /* Mailbox-Request-ID of the last faulted send */
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool cancelled;            /* set by the cancel slot */
} faulty;

/* What the wrapped transport answered, copied out of its response object. */
#define CAP_HEADERS 4
static const char *const CAP_NAMES[CAP_HEADERS] = {
    "Mailbox-Request-ID", "Content-Type", "ETag", "Retry-After"
};

typedef struct captured {
    int rc;
    int status;
    char *values[CAP_HEADERS];
    uint8_t *body;
    size_t body_len;
} captured;

static const char *req_header(const tigress_http_request *req, const char *name)
{
    for (size_t i = 0; i < req->header_count; i++)
        if (strcasecmp(req->headers[i].name, name) == 0)
            return req->headers[i].value;
    return NULL;
}

static void forward(faulty *f, const tigress_http_request *req, captured *cap)
{
    tigress_http_response *scratch = tigress__http_response_new();
    const uint8_t *body;

    assert_non_null(scratch);
    memset(cap, 0, sizeof(*cap));
    cap->rc = f->inner.send(req, scratch, f->inner.user_data);
    cap->status = tigress__http_response_status(scratch);
    for (size_t i = 0; i < CAP_HEADERS; i++) {
        const char *v = tigress__http_response_header(scratch, CAP_NAMES[i]);
        cap->values[i] = v != NULL ? strdup(v) : NULL;
    }
    body = tigress__http_response_body(scratch, &cap->body_len);
    if (cap->body_len > 0) {
        cap->body = malloc(cap->body_len);
        assert_non_null(cap->body);
        memcpy(cap->body, body, cap->body_len);
    }
    tigress__http_response_free(scratch);
}

static void captured_free(captured *cap)
{
    for (size_t i = 0; i < CAP_HEADERS; i++)
        free(cap->values[i]);
    free(cap->body);
}

/* Writes a captured answer into resp; skip_mask drops headers by CAP_NAMES index, and
 * replaced[i] (when not NULL) replaces header i. body/len replace the body when body != NULL. */
static void emit(tigress_http_response *resp, const captured *cap, unsigned skip_mask,
                 const char *const replaced[CAP_HEADERS], const uint8_t *body, size_t len)
{
    assert_int_equal(tigress_http_response_set_status(resp, cap->status), TIGRESS_OK);
    for (size_t i = 0; i < CAP_HEADERS; i++) {
        const char *v = replaced != NULL && replaced[i] != NULL ? replaced[i] : cap->values[i];
        if ((skip_mask & (1u << i)) == 0 && v != NULL)
            assert_int_equal(tigress_http_response_add_header(resp, CAP_NAMES[i], v), TIGRESS_OK);
    }
    if (body == NULL) {
        body = cap->body;
        len = cap->body_len;
    }
    if (len > 0)
        assert_int_equal(tigress_http_response_append_body(resp, body, len), TIGRESS_OK);
}

/* An error answer made up here (the relay never saw the request), echoing our ID. */
static int answer_status(const tigress_http_request *req, tigress_http_response *resp,
                         int status, const char *retry_after)
{
    static const char body[] = "{\"error\":\"injected\",\"message\":\"fault injection\"}";
    const char *rid = req_header(req, "Mailbox-Request-ID");

    tigress_http_response_set_status(resp, status);
    if (rid != NULL)
        tigress_http_response_add_header(resp, "Mailbox-Request-ID", rid);
    tigress_http_response_add_header(resp, "Content-Type", "application/json");
    if (retry_after != NULL)
        tigress_http_response_add_header(resp, "Retry-After", retry_after);
    tigress_http_response_append_body(resp, (const uint8_t *)body, sizeof(body) - 1);
    return 0;
}

static void *cancel_thread(void *arg)
{
    faulty *f = arg;
    struct timespec ts = { 0, 1000000L }; /* 1 ms: the send is already waiting */

    nanosleep(&ts, NULL);
    tigress_client_cancel(f->client);
    return NULL;
}

/* Holds the answer until the client's cancel reaches this transport's cancel slot. */
static int hold_until_cancel(faulty *f)
{
    pthread_t tid;
    struct timespec until;
    bool got;

    pthread_mutex_lock(&f->lock);
    f->cancelled = false;
    pthread_mutex_unlock(&f->lock);
    assert_int_equal(pthread_create(&tid, NULL, cancel_thread, f), 0);
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 10; /* a safety net only: the cancel comes after about 1 ms */
    pthread_mutex_lock(&f->lock);
    while (!f->cancelled && pthread_cond_timedwait(&f->cond, &f->lock, &until) == 0)
        ;
    got = f->cancelled;
    pthread_mutex_unlock(&f->lock);
    pthread_join(tid, NULL);
    return got ? TIGRESS_E_CANCELLED : TIGRESS_E_TIMEOUT;
}

static const char HTML[] = "<!doctype html><title>Sign in to the network</title><p>Welcome";

/* Faults that need the relay's real answer. */
static int forwarded_fault(faulty *f, const tigress_http_request *req, tigress_http_response *resp)
{
    static const uint8_t garbage[] = { 0xff, 0x00, '{', 0xfe, '"', 0x80, 'x', 0x01, ']' };
    const char *replaced[CAP_HEADERS] = { NULL, NULL, NULL, NULL };
    captured cap;
    int rc = 0;

    forward(f, req, &cap);
    if (cap.rc != 0) { /* the wrapped transport failed by itself: pass that on */
        captured_free(&cap);
        return cap.rc;
    }
    switch (f->fault) {
    case F_LOSE_RESPONSE:
        tigress__http_response_set_transport_error(resp, 56, "connection reset (injected)");
        rc = TIGRESS_E_NETWORK;
        break;
    case F_TRUNCATE_NOTICED:
        emit(resp, &cap, 0, NULL, cap.body, cap.body_len / 2);
        tigress__http_response_set_transport_error(resp, 18, "short read (injected)");
        rc = TIGRESS_E_NETWORK;
        break;
    case F_TRUNCATE_SILENT:
        emit(resp, &cap, 0, NULL, cap.body != NULL ? cap.body : garbage, cap.body_len / 2);
        break;
    case F_DUPLICATE: /* the first answer is thrown away; the relay sees the request again */
        rc = f->inner.send(req, resp, f->inner.user_data);
        break;
    case F_DELAY_TIMEOUT:
        tigress__http_response_set_transport_error(resp, 28, "timed out (injected)");
        rc = TIGRESS_E_TIMEOUT;
        break;
    case F_DELAY_CANCEL:
        rc = hold_until_cancel(f);
        break;
    case F_500_AFTER_WRITE:
        rc = answer_status(req, resp, 500, NULL);
        break;
    case F_GARBAGE_BODY:
        emit(resp, &cap, 0, NULL, garbage, sizeof(garbage));
        break;
    case F_WRONG_CONTENT_TYPE:
        replaced[1] = "text/html; charset=utf-8";
        emit(resp, &cap, 0, replaced, (const uint8_t *)HTML, sizeof(HTML) - 1);
        break;
    case F_MISSING_HEADERS:
        emit(resp, &cap, 0x7u, NULL, NULL, 0);
        break;
    case F_ECHO_MISMATCH:
        replaced[0] = "00000000-0000-4000-8000-000000000000";
        emit(resp, &cap, 0, replaced, NULL, 0);
        break;
    default:
        fail_msg("fault %d is not a forwarded one", (int)f->fault);
    }
    captured_free(&cap);
    return rc;
}

static int faulty_send(const tigress_http_request *req, tigress_http_response *resp, void *ud)
{
    faulty *f = ud;
    const char *rid = req_header(req, "Mailbox-Request-ID");

    if (f->fault == F_NONE)
        return f->inner.send(req, resp, f->inner.user_data);
    f->hits++;
    snprintf(f->faulted_rid, sizeof(f->faulted_rid), "%s", rid != NULL ? rid : "");
    switch (f->fault) {
    case F_DROP_REQUEST:
        tigress__http_response_set_transport_error(resp, 7, "connection refused (injected)");
        return TIGRESS_E_NETWORK;
    case F_500:
        return answer_status(req, resp, 500, NULL);
    case F_502_RETRY_AFTER:
        return answer_status(req, resp, 502, "1");
    case F_503:
        return answer_status(req, resp, 503, NULL);
    case F_503_RETRY_AFTER:
        return answer_status(req, resp, 503, "2");
    case F_PORTAL_PAGE:
        tigress_http_response_set_status(resp, 200);
        tigress_http_response_add_header(resp, "Content-Type", "text/html");
        tigress_http_response_append_body(resp, (const uint8_t *)HTML, sizeof(HTML) - 1);
        return 0;
    default:
        return forwarded_fault(f, req, resp);
    }
}

static void faulty_cancel(void *ud)
{
    faulty *f = ud;

    if (f->inner.cancel != NULL)
        f->inner.cancel(f->inner.user_data);
    pthread_mutex_lock(&f->lock);
    f->cancelled = true;
    pthread_cond_broadcast(&f->cond);
    pthread_mutex_unlock(&f->lock);
}

/* A client whose transport is f wrapping the mock transport m. */
static tigress_client *faulty_client(faulty *f, mock_transport *m)
{
    tigress_transport t = { TIGRESS_TRANSPORT_VERSION, faulty_send, faulty_cancel, NULL, f };
    tigress_client_options o = TIGRESS_CLIENT_OPTIONS_INIT;
    tigress_client *c = NULL;

    memset(f, 0, sizeof(*f));
    mock_transport_vtable(m, &f->inner);
    pthread_mutex_init(&f->lock, NULL);
    pthread_cond_init(&f->cond, NULL);
    o.transport = &t;
    assert_int_equal(tigress_client_new(&c, &o), TIGRESS_OK);
    f->client = c;
    return c;
}

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
        pthread_cond_destroy(&w->fx[i].cond);
        pthread_mutex_destroy(&w->fx[i].lock);
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
    unsigned cells, errors, tolerated;
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
    int who = 0;

    CELL_ASSERT(rc == want, "got %s, want %s (%s)", tigress_status_name(rc),
                tigress_status_name(want), e->message);
    CELL_ASSERT(e->code == rc, "last error %s", tigress_status_name(e->code));
    CELL_ASSERT(e->message[0] != '\0', "no error message");
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

static void run_cell(const flow *fl, size_t index, fault_kind k)
{
    const step *s = &fl->steps[index];
    world w;
    snapshot before;
    size_t applied;
    tigress_status rc;

    world_init(&w, fl);
    for (size_t i = 0; i < index; i++)
        run_clean(&w, &fl->steps[i]);
    snap_take(&w, &before);
    applied = mock_relay_applied_count(w.m);

    w.fx[s->who].fault = k;
    rc = s->run(&w, s->who);
    w.fx[s->who].fault = F_NONE;
    CELL_ASSERT(w.fx[s->who].hits > 0, "the fault never fired");
    g_tally.cells++;
    if (tolerated(s, k)) {
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
    char name[96];
} cell_group;

/* One cmocka test per flow and fault: every faultable step of that flow. */
static void test_fault_over_flow(void **state)
{
    const cell_group *g = *state;

    for (size_t i = 0; i < g->fl->n; i++)
        if (g->fl->steps[i].faulted)
            run_cell(g->fl, i, g->k);
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
                  "tolerated by design: %u)\n", g_tally.cells, g_tally.errors, g_tally.tolerated);
    return 0;
}

int main(void)
{
    static cell_group groups[FLOW_COUNT * (F_COUNT_ - 1)];
    static struct CMUnitTest tests[FLOW_COUNT * (F_COUNT_ - 1) + 1];
    size_t n = 0;
    int rc;

    if (tigress_global_init() != TIGRESS_OK)
        return 1;
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_fault_wrapper_transparent_and_sticky);
    for (size_t f = 0; f < FLOW_COUNT; f++) {
        for (int k = F_NONE + 1; k < F_COUNT_; k++) {
            cell_group *g = &groups[n - 1];
            g->fl = &FLOWS[f];
            g->k = (fault_kind)k;
            snprintf(g->name, sizeof(g->name), "C4_C5_C6_C23_%s_%s", FLOWS[f].name,
                     FAULT_NAMES[k]);
            tests[n] = (struct CMUnitTest){ g->name, test_fault_over_flow, NULL, NULL, g };
            n++;
        }
    }
    rc = _cmocka_run_group_tests("faults", tests, n, group_setup, group_teardown);
    tigress_global_cleanup(); /* so that valgrind sees nothing of ours left, reachable or not */
    return rc;
}
