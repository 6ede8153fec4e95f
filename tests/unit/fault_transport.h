/*
 * fault_transport: a tigress_transport that WRAPS another one (here the mock transport with its
 * in-process relay) and breaks the exchange in one chosen way - see fault_kind - on every send
 * while armed (budget 0) or on the first `budget` sends only. Used by test_faults.c; header-only
 * so that it is not linked into every unit test. Needs cmocka, transfer_fixture.h (for the
 * internal tigress__http_response_* accessors) and <pthread.h>, <strings.h>, <time.h> first.
 *
 *   faulty f;  tigress_client *c = faulty_client(&f, mock);   // c sends through f
 *   f.fault = F_LOSE_RESPONSE;  ...call...  f.fault = F_NONE;  // f.hits counts faulted sends
 *   tigress_client_free(c);  faulty_destroy(&f);
 */
#ifndef TIGRESS_TEST_FAULT_TRANSPORT_H
#define TIGRESS_TEST_FAULT_TRANSPORT_H

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
    unsigned budget;           /* 0: every send until cleared; n: only the first n sends */
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

    if (f->fault == F_NONE || (f->budget != 0 && f->hits >= f->budget))
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

static void faulty_destroy(faulty *f)
{
    pthread_cond_destroy(&f->cond);
    pthread_mutex_destroy(&f->lock);
}

#endif /* TIGRESS_TEST_FAULT_TRANSPORT_H */
