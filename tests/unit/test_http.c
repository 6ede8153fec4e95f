/* http.c: request headers, Request-ID handling and retries (C3, C4), the echo check (C5),
 * 201 as success (C6), status mapping (C23), back-off with Retry-After, cancel and the body cap.
 * Every test runs against mock_transport with the fake clock, so nothing sleeps for real except
 * the cancel test, which needs a second thread. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "http.h"
#include "http_response.h"
#include "helpers/mock_transport.h"

#define URL "https://relay.test/v1/m"
#define CLAIM "6f0b3c1e-5d2a-4b8e-9c71-2a4f8d9e0b13"

typedef struct fixture {
    mock_transport *m;
    tigress_client *c;
    tigress__response resp;
} fixture;

static int setup_opts(void **state, const tigress_client_options *opts)
{
    fixture *f = calloc(1, sizeof(*f));

    f->m = mock_transport_new();
    f->c = mock_client_new(f->m, opts);
    f->resp.retry_after_s = -1;
    mock_clock_install(1000000);
    *state = f;
    return 0;
}

static int setup(void **state) { return setup_opts(state, NULL); }

static int teardown(void **state)
{
    fixture *f = *state;

    tigress__response_clear(&f->resp);
    tigress_client_free(f->c);
    mock_transport_free(f->m);
    mock_clock_uninstall();
    free(f);
    return 0;
}

static tigress__request post_req(const char *body)
{
    tigress__request r;

    memset(&r, 0, sizeof(r));
    r.method = "POST";
    r.url = URL;
    r.claim = CLAIM;
    r.body = body;
    r.body_len = body != NULL ? strlen(body) : 0;
    return r;
}

static tigress_status call(fixture *f, tigress__request *r)
{
    tigress__response_clear(&f->resp);
    tigress__client_begin(f->c);
    return tigress__http_call(f->c, r, &f->resp);
}

/* C3, C4: claim and Request-ID on the request; JSON headers; a new UUID per call. */
static void test_http__headers_and_fresh_request_id(void **state)
{
    fixture *f = *state;
    tigress__request r1 = post_req("{\"a\":1}"), r2 = post_req(NULL);
    const mock_request *q1, *q2;

    r1.attestation = "att-token";
    r2.if_none_match = "\"3\"";
    r2.prefer_wait_s = 20;
    mock_push_response(f->m, 200, "{\"ok\":true}");
    mock_push_response(f->m, 200, "{}");
    assert_int_equal(call(f, &r1), TIGRESS_OK);
    assert_int_equal(call(f, &r2), TIGRESS_OK);
    assert_int_equal(mock_request_count(f->m), 2);
    q1 = mock_request_at(f->m, 0);
    q2 = mock_request_at(f->m, 1);
    assert_string_equal(q1->method, "POST");
    assert_string_equal(q1->url, URL);
    assert_string_equal(q1->body, "{\"a\":1}");
    assert_string_equal(mock_request_header(q1, "Mailbox-Device-Claim"), CLAIM);
    assert_string_equal(mock_request_header(q1, "Mailbox-Device-Attestation"), "att-token");
    assert_string_equal(mock_request_header(q1, "Content-Type"), "application/json");
    assert_string_equal(mock_request_header(q1, "Accept"), "application/json");
    assert_string_equal(mock_request_header(q1, "User-Agent"), "libtigress/" TIGRESS_VERSION_STRING);
    assert_null(mock_request_header(q1, "If-None-Match"));
    assert_null(mock_request_header(q1, "Prefer"));
    assert_true(tigress__is_uuid(mock_request_header(q1, "Mailbox-Request-ID")));
    assert_string_equal(mock_request_header(q1, "Mailbox-Request-ID"), r1.request_id);
    /* C4: each new request gets a different ID. */
    assert_true(tigress__is_uuid(mock_request_header(q2, "Mailbox-Request-ID")));
    assert_string_not_equal(r1.request_id, r2.request_id);
    assert_null(q2->body);
    assert_null(mock_request_header(q2, "Content-Type"));
    assert_null(mock_request_header(q2, "Mailbox-Device-Attestation"));
    assert_string_equal(mock_request_header(q2, "If-None-Match"), "\"3\"");
    assert_string_equal(mock_request_header(q2, "Prefer"), "wait=20");
    /* The long-poll wait extends the request deadline. */
    assert_int_equal(q1->timeout_ms, 30000);
    assert_int_equal(q2->timeout_ms, 30000 + 20000);
    assert_int_equal(q1->connect_timeout_ms, 10000);
    assert_string_equal(f->resp.body, "{}");
}

/* C4: a lost response is retried with the identical Request-ID, and so is a later call that
 * reuses the request (caller-kept ID). */
static void test_http__retry_after_dropped_response_reuses_request_id(void **state)
{
    fixture *f = *state;
    tigress__request r = post_req("{}");
    const char *id0, *id1;

    mock_push_error(f->m, TIGRESS_E_NETWORK, 56);
    mock_push_response(f->m, 200, "{\"x\":1}");
    assert_int_equal(call(f, &r), TIGRESS_OK);
    assert_int_equal(mock_request_count(f->m), 2);
    id0 = mock_request_header(mock_request_at(f->m, 0), "Mailbox-Request-ID");
    id1 = mock_request_header(mock_request_at(f->m, 1), "Mailbox-Request-ID");
    assert_string_equal(id0, id1);
    assert_string_equal(id0, r.request_id);
    assert_string_equal(f->resp.body, "{\"x\":1}");
    assert_int_equal(mock_clock_sleep_count(), 1);
    /* A second call with the same struct keeps the ID (the caller's retry after a failure). */
    mock_push_response(f->m, 201, "{\"x\":1}");
    assert_int_equal(call(f, &r), TIGRESS_OK);
    assert_string_equal(mock_request_header(mock_request_last(f->m), "Mailbox-Request-ID"),
                        r.request_id);
}

/* C4 with the fake relay: the first Create is applied but its response lost; the retry gets
 * 201 with the original body, and only one mailbox exists. */
static void test_http__fake_relay_duplicate_after_lost_response(void **state)
{
    fixture *f = *state;
    tigress__request r = post_req("{\"payload\":{\"type\":\"AEAD_AES_128_GCM\",\"data\":\"AAAA\"},"
                                  "\"displayInformation\":{\"title\":\"t\",\"description\":\"d\","
                                  "\"imageURL\":\"https://x.test/i.png\"}}");

    mock_relay_enable(f->m, NULL);
    mock_relay_drop_responses(f->m, 1);
    assert_int_equal(call(f, &r), TIGRESS_OK);
    assert_int_equal(f->resp.status, 201); /* C6: the duplicate counts as success */
    assert_non_null(strstr(f->resp.body, "urlLink"));
    assert_non_null(strstr(f->resp.body, mock_relay_last_mailbox_id(f->m)));
    assert_int_equal(mock_relay_mailbox_count(f->m), 1);
    assert_int_equal(mock_relay_duplicate_count(f->m), 1);
    assert_int_equal(mock_request_count(f->m), 2);
}

/* C5: an echo that differs is a protocol error and is not retried. */
static void test_http__echo_mismatch_is_protocol_error(void **state)
{
    fixture *f = *state;
    tigress__request r = post_req("{}");

    mock_script_echo(mock_push_response(f->m, 200, "{}"), MOCK_ECHO_WRONG);
    assert_int_equal(call(f, &r), TIGRESS_E_PROTOCOL);
    assert_int_equal(tigress_client_last_error(f->c)->code, TIGRESS_E_PROTOCOL);
    assert_int_equal(tigress_client_last_error(f->c)->http_status, 200);
    assert_int_equal(mock_request_count(f->m), 1);
}

/* C5: a missing echo is tolerated on 304 and 5xx only. */
static void test_http__missing_echo_tolerated_only_on_304_and_5xx(void **state)
{
    fixture *f = *state;
    tigress__request r = post_req(NULL);

    mock_script_echo(mock_push_response(f->m, 200, "{}"), MOCK_ECHO_MISSING);
    assert_int_equal(call(f, &r), TIGRESS_E_PROTOCOL);
    mock_script_echo(mock_push_response(f->m, 304, NULL), MOCK_ECHO_MISSING);
    assert_int_equal(call(f, &r), TIGRESS_OK);
    assert_int_equal(f->resp.status, 304);
    mock_script_echo(mock_push_response(f->m, 502, NULL), MOCK_ECHO_MISSING);
    mock_script_echo(mock_push_response(f->m, 200, "{}"), MOCK_ECHO_CORRECT);
    assert_int_equal(call(f, &r), TIGRESS_OK);
    assert_int_equal(f->resp.status, 200);
    mock_script_echo(mock_push_response(f->m, 401, NULL), MOCK_ECHO_MISSING);
    assert_int_equal(call(f, &r), TIGRESS_E_PROTOCOL);
}

/* C6: 201 is success. */
static void test_http__201_is_success(void **state)
{
    fixture *f = *state;
    tigress__request r = post_req("{}");

    mock_push_response(f->m, 201, "{\"urlLink\":\"https://relay.test/v1/m/x\"}");
    assert_int_equal(call(f, &r), TIGRESS_OK);
    assert_int_equal(f->resp.status, 201);
    assert_int_equal(tigress_client_last_error(f->c)->code, TIGRESS_OK);
}

/* C23: every status maps to a distinct typed error with http_status and the relay's message. */
static void test_http__status_mapping(void **state)
{
    static const struct { int status; tigress_status code; } cases[] = {
        { 400, TIGRESS_E_BAD_REQUEST }, { 401, TIGRESS_E_UNAUTHORIZED },
        { 404, TIGRESS_E_NOT_FOUND },   { 413, TIGRESS_E_TOO_LARGE },
        { 429, TIGRESS_E_RATE_LIMITED }, { 503, TIGRESS_E_UNAVAILABLE },
        { 500, TIGRESS_E_SERVER },       { 418, TIGRESS_E_SERVER },
        { 405, TIGRESS_E_SERVER },       { 302, TIGRESS_E_SERVER },
    };
    fixture *f = *state;
    tigress_client_options o = TIGRESS_CLIENT_OPTIONS_INIT;
    tigress_client *c;

    o.max_retries = TIGRESS_RETRIES_NONE;
    c = mock_client_new(f->m, &o);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        tigress__request r = post_req("{}");
        const tigress_error *e;
        tigress__response resp = { 0 };

        mock_push_response(f->m, cases[i].status,
                           "{\"error\":\"x\",\"message\":\"because\\nreasons\\u00e9\"}");
        tigress__client_begin(c);
        assert_int_equal(tigress__http_call(c, &r, &resp), cases[i].code);
        e = tigress_client_last_error(c);
        assert_int_equal(e->code, cases[i].code);
        assert_int_equal(e->http_status, cases[i].status);
        assert_int_equal(e->transport_code, 0);
        /* The relay's message is quoted, made printable. */
        assert_non_null(strstr(e->message, "because?reasons?"));
        assert_int_equal(resp.status, cases[i].status); /* resp filled on errors too */
        tigress__response_clear(&resp);
    }
    assert_int_equal(mock_request_count(f->m), sizeof(cases) / sizeof(cases[0]));
    tigress_client_free(c);
}

static void test_http__401_message_names_the_claim_problem(void **state)
{
    fixture *f = *state;
    tigress__request r = post_req("{\"secret-ish\":\"BODY-MUST-NOT-LEAK\"}");
    const char *msg;

    mock_push_response(f->m, 401, "{\"error\":\"unauthorized\",\"message\":\"claim not bound\"}");
    assert_int_equal(call(f, &r), TIGRESS_E_UNAUTHORIZED);
    msg = tigress_client_last_error(f->c)->message;
    assert_non_null(strstr(msg, "device claim"));
    assert_non_null(strstr(msg, "HTTP 401"));
    assert_non_null(strstr(msg, "claim not bound"));
    assert_null(strstr(msg, CLAIM));
    assert_null(strstr(msg, "BODY-MUST-NOT-LEAK"));
}

/* Retries stop after max_retries (1 + max_retries attempts) with growing back-off. */
static void test_http__retries_honour_max_retries(void **state)
{
    fixture *f = *state;
    tigress__request r = post_req("{}");

    for (int i = 0; i < 10; i++)
        mock_push_response(f->m, 500, "{}");
    assert_int_equal(call(f, &r), TIGRESS_E_SERVER);
    assert_int_equal(mock_request_count(f->m), 4); /* default 3 retries */
    assert_int_equal(mock_clock_sleep_count(), 3);
    /* 200 ms * 2^n plus up to 50% jitter. */
    assert_in_range(mock_clock_sleep_at(0), 200, 300);
    assert_in_range(mock_clock_sleep_at(1), 400, 600);
    assert_in_range(mock_clock_sleep_at(2), 800, 1200);
    for (size_t i = 0; i < 4; i++)
        assert_string_equal(mock_request_header(mock_request_at(f->m, i), "Mailbox-Request-ID"),
                            r.request_id);
}

static void test_http__retries_none_and_custom_count(void **state)
{
    fixture *f = *state;
    tigress_client_options o = TIGRESS_CLIENT_OPTIONS_INIT;
    tigress_client *c;
    tigress__request r = post_req("{}");
    tigress__response resp = { 0 };

    o.max_retries = TIGRESS_RETRIES_NONE;
    c = mock_client_new(f->m, &o);
    mock_push_error(f->m, TIGRESS_E_TIMEOUT, 28);
    tigress__client_begin(c);
    assert_int_equal(tigress__http_call(c, &r, &resp), TIGRESS_E_TIMEOUT);
    assert_int_equal(tigress_client_last_error(c)->transport_code, 28);
    assert_int_equal(mock_request_count(f->m), 1);
    tigress_client_free(c);

    o.max_retries = 6;
    c = mock_client_new(f->m, &o);
    for (int i = 0; i < 10; i++)
        mock_push_error(f->m, TIGRESS_E_NETWORK, 7);
    tigress__client_begin(c);
    assert_int_equal(tigress__http_call(c, &r, &resp), TIGRESS_E_NETWORK);
    assert_int_equal(mock_request_count(f->m), 1 + 7);
    /* The back-off is capped at 5 s (plus jitter). */
    assert_in_range(mock_clock_sleep_at(5), 5000, 7500);
    tigress__response_clear(&resp);
    tigress_client_free(c);
}

/* TLS and cancellation are final; they are never retried. */
static void test_http__tls_and_cancel_not_retried(void **state)
{
    fixture *f = *state;
    tigress__request r = post_req("{}");

    mock_push_error(f->m, TIGRESS_E_TLS, 60);
    assert_int_equal(call(f, &r), TIGRESS_E_TLS);
    assert_int_equal(tigress_client_last_error(f->c)->transport_code, 60);
    assert_int_equal(tigress_client_last_error(f->c)->http_status, 0);
    mock_push_error(f->m, TIGRESS_E_CANCELLED, 42);
    assert_int_equal(call(f, &r), TIGRESS_E_CANCELLED);
    assert_int_equal(mock_request_count(f->m), 2);
}

static void test_http__user_code_returned_unchanged(void **state)
{
    fixture *f = *state;
    tigress__request r = post_req("{}");

    mock_push_error(f->m, TIGRESS_E_USER_MIN - 7, 0);
    assert_int_equal(call(f, &r), TIGRESS_E_USER_MIN - 7);
    assert_int_equal(tigress_client_last_error(f->c)->code, TIGRESS_E_USER_MIN - 7);
    assert_int_equal(mock_request_count(f->m), 1);
}

/* Retry-After (seconds) lengthens the wait, capped at 30 s; 429 and 503 are retried. */
static void test_http__retry_after_honoured_and_capped(void **state)
{
    fixture *f = *state;
    tigress__request r = post_req("{}");

    mock_script_header(mock_push_response(f->m, 429, "{}"), "Retry-After", "7");
    mock_script_header(mock_push_response(f->m, 503, "{}"), "Retry-After", "3600");
    mock_push_response(f->m, 200, "{}");
    assert_int_equal(call(f, &r), TIGRESS_OK);
    assert_int_equal(mock_clock_sleep_count(), 2);
    assert_int_equal(mock_clock_sleep_at(0), 7000);
    assert_int_equal(mock_clock_sleep_at(1), 30000);
}

/* A response over 1 MiB is refused, not truncated, and not retried. */
static void test_http__body_over_1mib_too_large(void **state)
{
    fixture *f = *state;
    tigress__request r = post_req("{}");
    mock_script *s = mock_push_response(f->m, 200, NULL);

    mock_script_big_body(s, 1024 * 1024 + 1);
    assert_int_equal(call(f, &r), TIGRESS_E_TOO_LARGE);
    assert_int_equal(mock_request_count(f->m), 1);
    /* Exactly 1 MiB is fine. */
    s = mock_push_response(f->m, 200, NULL);
    mock_script_big_body(s, 1024 * 1024);
    assert_int_equal(call(f, &r), TIGRESS_OK);
    assert_int_equal(f->resp.body_len, 1024 * 1024);
}

/* A response header beyond the SDK's header limit (here one 200 KB header) is a protocol error
 * naming the limit: not "out of memory", not success, and not retried. */
static void test_http__huge_response_header_is_protocol_error(void **state)
{
    fixture *f = *state;
    tigress__request r = post_req("{}");
    const tigress_error *e;
    size_t n = 200 * 1024;
    char *v = malloc(n + 1);
    mock_script *s;

    assert_non_null(v);
    memset(v, 'x', n);
    v[n] = '\0';
    s = mock_push_response(f->m, 200, "{}");
    mock_script_header(s, "X-Huge", v);
    free(v);
    assert_int_equal(call(f, &r), TIGRESS_E_PROTOCOL);
    e = tigress_client_last_error(f->c);
    assert_int_equal(e->code, TIGRESS_E_PROTOCOL);
    assert_non_null(strstr(e->message, "response header"));
    assert_non_null(strstr(e->message, "limit"));
    assert_int_equal(e->http_status, 200);
    assert_int_equal(mock_request_count(f->m), 1);
    /* A large header within the limit is fine. */
    v = malloc(32 * 1024 + 1);
    assert_non_null(v);
    memset(v, 'y', 32 * 1024);
    v[32 * 1024] = '\0';
    s = mock_push_response(f->m, 200, "{}");
    mock_script_header(s, "X-Large", v);
    free(v);
    assert_int_equal(call(f, &r), TIGRESS_OK);
}

/* The response object's public setters validate their input. */
static void test_http__response_setters(void **state)
{
    tigress_http_response *hr = tigress__http_response_new();
    uint8_t byte = 'a';
    (void)state;

    assert_int_equal(tigress_http_response_set_status(NULL, 200), TIGRESS_E_INVALID);
    assert_int_equal(tigress_http_response_set_status(hr, 99), TIGRESS_E_INVALID);
    assert_int_equal(tigress_http_response_set_status(hr, 600), TIGRESS_E_INVALID);
    assert_int_equal(tigress_http_response_set_status(hr, 204), TIGRESS_OK);
    assert_int_equal(tigress_http_response_add_header(NULL, "a", "b"), TIGRESS_E_INVALID);
    assert_int_equal(tigress_http_response_add_header(hr, NULL, "b"), TIGRESS_E_INVALID);
    assert_int_equal(tigress_http_response_add_header(hr, "a", NULL), TIGRESS_E_INVALID);
    assert_int_equal(tigress_http_response_add_header(hr, "", "b"), TIGRESS_E_INVALID);
    assert_int_equal(tigress_http_response_add_header(hr, "ETag", "  \"5\"\r\n"), TIGRESS_OK);
    assert_string_equal(tigress__http_response_header(hr, "etag"), "\"5\"");
    assert_null(tigress__http_response_header(hr, "Missing"));
    assert_int_equal(tigress_http_response_append_body(NULL, &byte, 1), TIGRESS_E_INVALID);
    assert_int_equal(tigress_http_response_append_body(hr, NULL, 1), TIGRESS_E_INVALID);
    assert_int_equal(tigress_http_response_append_body(hr, NULL, 0), TIGRESS_OK);
    assert_int_equal(tigress_http_response_append_body(hr, &byte, 1), TIGRESS_OK);
    assert_int_equal(tigress__http_response_status(hr), 204);
    tigress__http_response_reset_headers(hr);
    assert_null(tigress__http_response_header(hr, "ETag"));
    tigress__http_response_free(hr);
    tigress__http_response_free(NULL);
}

/* ETag and Retry-After reach tigress__response. */
static void test_http__etag_and_retry_after_in_response(void **state)
{
    fixture *f = *state;
    tigress__request r = post_req(NULL);
    mock_script *s = mock_push_response(f->m, 200, "{\"payload\":{}}");

    mock_script_header(s, "ETag", "\"4\"");
    assert_int_equal(call(f, &r), TIGRESS_OK);
    assert_string_equal(f->resp.etag, "\"4\"");
    assert_int_equal(f->resp.retry_after_s, -1);
    assert_int_equal(f->resp.body_len, strlen("{\"payload\":{}}"));
}

/* Invalid requests fail before anything is sent: NULLs, a fragment (C14), header injection. */
static void test_http__invalid_requests_send_nothing(void **state)
{
    fixture *f = *state;
    tigress__request r = post_req("{}");
    tigress__response resp = { 0 };

    assert_int_equal(tigress__http_call(NULL, &r, &resp), TIGRESS_E_INVALID);
    assert_int_equal(tigress__http_call(f->c, NULL, &resp), TIGRESS_E_INVALID);
    assert_int_equal(tigress__http_call(f->c, &r, NULL), TIGRESS_E_INVALID);
    r.url = NULL;
    assert_int_equal(call(f, &r), TIGRESS_E_INVALID);
    r = post_req("{}");
    r.url = "https://relay.test/v1/m/abc#SECRETFRAGMENT";
    assert_int_equal(call(f, &r), TIGRESS_E_INVALID);
    assert_null(strstr(tigress_client_last_error(f->c)->message, "SECRETFRAGMENT"));
    r = post_req("{}");
    r.claim = "abc\r\nX-Evil: 1";
    assert_int_equal(call(f, &r), TIGRESS_E_INVALID);
    r = post_req("{}");
    strcpy(r.request_id, "not-a-uuid");
    assert_int_equal(call(f, &r), TIGRESS_E_INVALID);
    r = post_req("{}");
    r.url = "http://relay.test/v1/m"; /* C1 */
    assert_int_equal(call(f, &r), TIGRESS_E_INSECURE);
    assert_int_equal(mock_request_count(f->m), 0);
}

/* Cancel before a call's request: nothing is sent. Cancel inside send: the back-off ends. */
static void on_send_cancel(mock_transport *m, const mock_request *r, void *ud)
{
    (void)m, (void)r;
    tigress_client_cancel(ud);
}

static void test_http__cancel_during_retries(void **state)
{
    fixture *f = *state;
    tigress__request r = post_req("{}");

    mock_set_on_send(f->m, on_send_cancel, f->c);
    mock_push_error(f->m, TIGRESS_E_NETWORK, 7);
    mock_push_response(f->m, 200, "{}");
    assert_int_equal(call(f, &r), TIGRESS_E_CANCELLED);
    assert_int_equal(mock_request_count(f->m), 1);
    assert_int_equal(mock_cancel_count(f->m), 1);
    assert_int_equal(tigress_client_last_error(f->c)->code, TIGRESS_E_CANCELLED);
    mock_set_on_send(f->m, NULL, NULL);
    /* The cancelled call spent the cancel: the next call works. */
    assert_int_equal(call(f, &r), TIGRESS_OK);
}

/* Real clock: a thread cancels while the call sleeps 5 s between retries. */
typedef struct canceller {
    tigress_client *c;
    long after_ms;
} canceller;

static void *cancel_thread(void *arg)
{
    canceller *k = arg;
    struct timespec ts = { k->after_ms / 1000, (k->after_ms % 1000) * 1000000L };

    nanosleep(&ts, NULL);
    tigress_client_cancel(k->c);
    return NULL;
}

static void test_http__cancel_from_thread_during_backoff(void **state)
{
    fixture *f = *state;
    tigress__request r = post_req("{}");
    canceller k = { f->c, 100 };
    pthread_t th;

    mock_clock_uninstall();
    mock_script_header(mock_push_response(f->m, 503, "{}"), "Retry-After", "30");
    mock_push_response(f->m, 200, "{}");
    assert_int_equal(pthread_create(&th, NULL, cancel_thread, &k), 0);
    assert_int_equal(call(f, &r), TIGRESS_E_CANCELLED);
    pthread_join(th, NULL);
    assert_int_equal(mock_request_count(f->m), 1);
    assert_non_null(strstr(tigress_client_last_error(f->c)->message, "cancelled"));
}

/* Real clock: a thread cancels while the transport blocks in send. */
static void test_http__cancel_from_thread_during_send(void **state)
{
    fixture *f = *state;
    tigress__request r = post_req("{}");
    canceller k = { f->c, 50 };
    pthread_t th;

    mock_clock_uninstall();
    mock_push_hang(f->m);
    mock_push_response(f->m, 200, "{}");
    assert_int_equal(pthread_create(&th, NULL, cancel_thread, &k), 0);
    assert_int_equal(call(f, &r), TIGRESS_E_CANCELLED);
    pthread_join(th, NULL);
    assert_int_equal(mock_request_count(f->m), 1);
    assert_int_equal(mock_script_pending(f->m), 1);
}

/* A wake (push hint) does not shorten the retry back-off. */
static void test_http__wake_does_not_cut_backoff(void **state)
{
    fixture *f = *state;
    tigress__request r = post_req("{}");

    mock_script_header(mock_push_response(f->m, 429, "{}"), "Retry-After", "2");
    mock_push_response(f->m, 200, "{}");
    tigress_client_wake(f->c);
    assert_int_equal(call(f, &r), TIGRESS_OK);
    assert_int_equal(mock_clock_sleep_count(), 1);
    assert_int_equal(mock_clock_sleep_at(0), 2000);
    /* The pending wake is still there for the transfer's poll sleep. */
    assert_int_equal(tigress__client_sleep(f->c, 60000), TIGRESS_OK);
    assert_int_equal(mock_clock_sleep_count(), 1);
}

/* Transport returning 0 without a status is a protocol error. */
static int no_status_send(const tigress_http_request *req, tigress_http_response *resp, void *ud)
{
    (void)req, (void)resp, (void)ud;
    return 0;
}

static void test_http__transport_without_status(void **state)
{
    tigress_transport t = { TIGRESS_TRANSPORT_VERSION, no_status_send, NULL, NULL, NULL };
    tigress_client_options o = TIGRESS_CLIENT_OPTIONS_INIT;
    tigress_client *c = NULL;
    tigress__request r = post_req("{}");
    tigress__response resp = { 0 };
    (void)state;

    o.transport = &t;
    assert_int_equal(tigress_client_new(&c, &o), TIGRESS_OK);
    assert_int_equal(tigress__http_call(c, &r, &resp), TIGRESS_E_PROTOCOL);
    tigress_client_free(c);
}


/* ---- the fake relay of mock_transport, driven through tigress__http_call ---- */

#define INIT_CLAIM "11111111-1111-4111-8111-111111111111"
#define R1_CLAIM "22222222-2222-4222-8222-222222222222"
#define R2_CLAIM "33333333-3333-4333-8333-333333333333"

static tigress_status relay_call(fixture *f, tigress__request *r, const char *method,
                                 const char *url, const char *claim, const char *body)
{
    memset(r, 0, sizeof(*r));
    r->method = method;
    r->url = url;
    r->claim = claim;
    r->body = body;
    r->body_len = body != NULL ? strlen(body) : 0;
    return call(f, r);
}

static char *create_body(const char *rights, int64_t expires_in_s)
{
    static char buf[512];
    char when[21];

    assert_int_equal(tigress__time_format((int64_t)time(NULL) + expires_in_s, when), TIGRESS_OK);
    snprintf(buf, sizeof(buf),
             "{\"payload\":{\"type\":\"AEAD_AES_128_GCM\",\"data\":\"AAAA\"},"
             "\"displayInformation\":{\"title\":\"<Hotel>\",\"description\":\"d\","
             "\"imageURL\":\"https://x.test/i.png\"},"
             "\"mailboxConfiguration\":{\"accessRights\":\"%s\",\"expiration\":\"%s\"}}",
             rights, when);
    return buf;
}

static const char *create_mailbox(fixture *f, const char *rights, char url[128])
{
    tigress__request r;

    assert_int_equal(relay_call(f, &r, "POST", URL, INIT_CLAIM, create_body(rights, 3600)),
                     TIGRESS_OK);
    assert_int_equal(f->resp.status, 200);
    snprintf(url, 128, "%s/%s", URL, mock_relay_last_mailbox_id(f->m));
    assert_non_null(strstr(f->resp.body, url)); /* urlLink includes /v1/m/{id} */
    return mock_relay_last_mailbox_id(f->m);
}

static void test_http__fake_relay_lifecycle(void **state)
{
    fixture *f = *state;
    tigress__request r, rel;
    char url[128];
    const char *id;

    mock_relay_enable(f->m, NULL);
    mock_relay_simulate_wait(f->m, true);
    id = create_mailbox(f, "RWD", url);
    assert_string_equal(mock_relay_initiator(f->m, id), INIT_CLAIM);
    /* First claim binds the Recipient; another claim is refused; the Initiator may read. */
    assert_int_equal(relay_call(f, &r, "POST", url, R1_CLAIM, NULL), TIGRESS_OK);
    assert_non_null(strstr(f->resp.body, "\"payload\""));
    assert_non_null(strstr(f->resp.body, "\"expiration\""));
    assert_string_equal(f->resp.etag, "\"1\"");
    assert_string_equal(mock_relay_recipient(f->m, id), R1_CLAIM);
    assert_int_equal(relay_call(f, &r, "POST", url, R2_CLAIM, NULL), TIGRESS_E_UNAUTHORIZED);
    assert_int_equal(relay_call(f, &r, "POST", url, INIT_CLAIM, NULL), TIGRESS_OK);
    /* Long poll: unchanged -> 304. */
    memset(&r, 0, sizeof(r));
    r.method = "POST";
    r.url = url;
    r.claim = R1_CLAIM;
    r.if_none_match = "\"1\"";
    r.prefer_wait_s = 30;
    assert_int_equal(call(f, &r), TIGRESS_OK);
    assert_int_equal(f->resp.status, 304);
    assert_null(f->resp.body);
    assert_int_equal(mock_relay_waits(f->m), 1);
    assert_int_equal(mock_clock_now(), 1000000 + 30000); /* the relay "held" it 30 s */
    /* Update by the bound Recipient (W granted); an unbound claim is refused. */
    assert_int_equal(relay_call(f, &r, "PUT", url, R1_CLAIM,
                                "{\"payload\":{\"type\":\"AEAD_AES_128_GCM\",\"data\":\"BBBB\"}}"),
                     TIGRESS_OK);
    assert_int_equal(mock_relay_mailbox_version(f->m, id), 2);
    assert_non_null(strstr(mock_relay_payload(f->m, id), "BBBB"));
    assert_int_equal(relay_call(f, &r, "PUT", url, R2_CLAIM,
                                "{\"payload\":{\"type\":\"t\",\"data\":\"CCCC\"}}"),
                     TIGRESS_E_UNAUTHORIZED);
    memset(&r, 0, sizeof(r));
    r.method = "POST";
    r.url = url;
    r.claim = INIT_CLAIM;
    r.if_none_match = "\"1\"";
    assert_int_equal(call(f, &r), TIGRESS_OK);
    assert_int_equal(f->resp.status, 200);
    assert_string_equal(f->resp.etag, "\"2\"");
    /* Relinquish, then the same request again is a 201 duplicate (C6). */
    assert_int_equal(relay_call(f, &rel, "PATCH", url, R1_CLAIM, NULL), TIGRESS_OK);
    assert_null(mock_relay_recipient(f->m, id));
    assert_int_equal(call(f, &rel), TIGRESS_OK);
    assert_int_equal(f->resp.status, 201);
    assert_int_equal(mock_relay_duplicate_count(f->m), 1);
    /* A new Recipient can bind, and delete; afterwards everything is 404. */
    assert_int_equal(relay_call(f, &r, "POST", url, R2_CLAIM, NULL), TIGRESS_OK);
    assert_string_equal(mock_relay_recipient(f->m, id), R2_CLAIM);
    assert_int_equal(relay_call(f, &r, "DELETE", url, R2_CLAIM, NULL), TIGRESS_OK);
    assert_false(mock_relay_mailbox_exists(f->m, id));
    assert_int_equal(call(f, &r), TIGRESS_E_NOT_FOUND); /* a retried DELETE gets 404 */
    assert_int_equal(relay_call(f, &r, "POST", url, INIT_CLAIM, NULL), TIGRESS_E_NOT_FOUND);
    assert_int_equal(tigress_client_last_error(f->c)->http_status, 404);
    assert_int_equal(mock_relay_mailbox_count(f->m), 0);
}

static void test_http__fake_relay_rights_limits_and_faults(void **state)
{
    fixture *f = *state;
    tigress__request r;
    char url[128], big[70 * 1024];
    const char *id;

    mock_relay_enable(f->m, NULL);
    /* Default-style rights RD: no writes, for either party. */
    id = create_mailbox(f, "RD", url);
    assert_string_equal(mock_relay_access_rights(f->m, id), "RD");
    assert_int_equal(relay_call(f, &r, "PUT", url, INIT_CLAIM,
                                "{\"payload\":{\"type\":\"t\",\"data\":\"x\"}}"),
                     TIGRESS_E_UNAUTHORIZED);
    /* Preview GET: public HTML, title escaped. */
    assert_int_equal(relay_call(f, &r, "GET", url, NULL, NULL), TIGRESS_OK);
    assert_non_null(strstr(f->resp.body, "&#60;Hotel&#62;"));
    /* Validation. */
    assert_int_equal(relay_call(f, &r, "POST", URL, INIT_CLAIM, "{not json"), TIGRESS_E_BAD_REQUEST);
    assert_int_equal(relay_call(f, &r, "POST", URL, INIT_CLAIM, "{\"payload\":{}}"),
                     TIGRESS_E_BAD_REQUEST);
    assert_int_equal(relay_call(f, &r, "POST", URL, INIT_CLAIM, create_body("RWD", -60)),
                     TIGRESS_E_BAD_REQUEST);
    assert_int_equal(relay_call(f, &r, "POST", URL, INIT_CLAIM, create_body("RWD", 8 * 86400)),
                     TIGRESS_E_BAD_REQUEST);
    assert_int_equal(relay_call(f, &r, "POST", URL, INIT_CLAIM, create_body("RWX", 60)),
                     TIGRESS_E_BAD_REQUEST);
    assert_int_equal(relay_call(f, &r, "POST", URL, NULL, create_body("RWD", 60)),
                     TIGRESS_E_UNAUTHORIZED);
    memset(big, ' ', sizeof(big) - 1);
    big[0] = '{';
    big[sizeof(big) - 2] = '}';
    big[sizeof(big) - 1] = '\0';
    assert_int_equal(relay_call(f, &r, "POST", URL, INIT_CLAIM, big), TIGRESS_E_TOO_LARGE);
    assert_int_equal(relay_call(f, &r, "POST", URL "/00000000-0000-4000-8000-00000000dead",
                                R1_CLAIM, NULL), TIGRESS_E_NOT_FOUND);
    /* Expiry: once the relay clock passes the expiration, the mailbox is gone. */
    mock_relay_set_expiration(f->m, id, (int64_t)time(NULL) - 1);
    assert_int_equal(relay_call(f, &r, "POST", url, R1_CLAIM, NULL), TIGRESS_E_NOT_FOUND);
    /* Fault injection: a forced 503 with Retry-After is retried; a wrong echo is caught. */
    id = create_mailbox(f, "RWD", url);
    mock_relay_force_status(f->m, 503, 1);
    assert_int_equal(relay_call(f, &r, "POST", url, R1_CLAIM, NULL), TIGRESS_OK);
    assert_int_equal(mock_clock_sleep_at(0), 1000);
    mock_relay_echo_next(f->m, MOCK_ECHO_WRONG);
    assert_int_equal(relay_call(f, &r, "POST", url, R1_CLAIM, NULL), TIGRESS_E_PROTOCOL);
    assert_int_equal(mock_unexpected_count(f->m), 0);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_http__headers_and_fresh_request_id),
        T(test_http__retry_after_dropped_response_reuses_request_id),
        T(test_http__fake_relay_duplicate_after_lost_response),
        T(test_http__echo_mismatch_is_protocol_error),
        T(test_http__missing_echo_tolerated_only_on_304_and_5xx),
        T(test_http__201_is_success),
        T(test_http__status_mapping),
        T(test_http__401_message_names_the_claim_problem),
        T(test_http__retries_honour_max_retries),
        T(test_http__retries_none_and_custom_count),
        T(test_http__tls_and_cancel_not_retried),
        T(test_http__user_code_returned_unchanged),
        T(test_http__retry_after_honoured_and_capped),
        T(test_http__body_over_1mib_too_large),
        T(test_http__huge_response_header_is_protocol_error),
        T(test_http__response_setters),
        T(test_http__etag_and_retry_after_in_response),
        T(test_http__invalid_requests_send_nothing),
        T(test_http__cancel_during_retries),
        T(test_http__cancel_from_thread_during_backoff),
        T(test_http__cancel_from_thread_during_send),
        T(test_http__wake_does_not_cut_backoff),
        T(test_http__transport_without_status),
        T(test_http__fake_relay_lifecycle),
        T(test_http__fake_relay_rights_limits_and_faults),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
