/*
 * mock_transport: a tigress_transport test double shared by every unit test.
 *
 *   mock_transport *m = mock_transport_new();
 *   tigress_client *c = mock_client_new(m, NULL);     // a client whose transport is m
 *   ...
 *   tigress_client_free(c);                            // before mock_transport_free(m)
 *   mock_transport_free(m);
 *
 * Every send() is handled in this order:
 *   1. the request is RECORDED (deep copy: method, url, headers, body) - see mock_request_*;
 *   2. the on_send hook runs, if set;
 *   3. if a SCRIPTED response is queued (mock_push_*), the oldest one is used and removed;
 *   4. otherwise, if the FAKE RELAY is enabled (mock_relay_enable), it handles the request;
 *   5. otherwise send() returns TIGRESS_E_NETWORK and mock_unexpected_count() goes up.
 *
 * Scripted responses echo the request's Mailbox-Request-ID by default (MOCK_ECHO_CORRECT).
 *
 * The fake relay implements the six mailbox endpoints of draft-vinokurov-tigress-http-00 under
 * "<base>/v1/m" (base default "https://relay.test"), with the relay behaviour of
 * docs/protocol.md §2-§3:
 * relay-generated UUIDs, first-claim binding of the Recipient, access rights (R, W, D; default
 * "RD"), a duplicate (same Device Claim and same Request-ID as the last request processed for
 * that claim) answered 201 with the original body (Create, Update, Relinquish), Relinquish,
 * Delete (afterwards 404; a retried DELETE gets 404), expiry (404 once the relay clock passes
 * the expiration), ETag "\"<version>\"" on secure reads and 304 for a matching If-None-Match
 * (with or without Prefer: wait; such 304s count in mock_relay_waits(); with
 * mock_relay_simulate_wait() they also advance the mock clock by N s, as if held).
 * Error bodies are {"error": "...", "message": "..."}. Bodies over 64 KiB get 413.
 * Fault injection: mock_relay_drop_responses(), mock_relay_force_status(),
 * mock_relay_echo_next(), mock_set_latency().
 *
 * Nothing here is thread-safe except mock_transport's cancel slot and mock_push_hang().
 */
#ifndef TIGRESS_TEST_MOCK_TRANSPORT_H
#define TIGRESS_TEST_MOCK_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tigress.h"

typedef struct mock_transport mock_transport;

/* ---- lifetime ---- */
mock_transport *mock_transport_new(void);                /* never NULL (aborts on OOM) */
void mock_transport_free(mock_transport *m);             /* NULL ok */
/* A vtable that routes to m (free slot NULL: the test owns m). */
void mock_transport_vtable(mock_transport *m, tigress_transport *out);
/* tigress_global_init() (once per process; never cleaned up) + a client using m. opts may be
 * NULL (defaults); its transport field is replaced by m. Aborts on failure. */
tigress_client *mock_client_new(mock_transport *m, const tigress_client_options *opts);

/* ---- recorded requests ---- */
typedef struct mock_header {
    char *name;
    char *value;
} mock_header;

typedef struct mock_request {
    char *method;
    char *url;
    mock_header *headers;
    size_t header_count;
    char *body;                 /* NUL-terminated copy, NULL when the request had no body */
    size_t body_len;
    long timeout_ms;
    long connect_timeout_ms;
    char *ca_file;              /* NULL when not set */
} mock_request;

size_t mock_request_count(const mock_transport *m);
/* i-th recorded request (0 = first); NULL when out of range. */
const mock_request *mock_request_at(const mock_transport *m, size_t i);
/* The most recent request, or NULL. */
const mock_request *mock_request_last(const mock_transport *m);
/* First header with this name (case-insensitive), or NULL. */
const char *mock_request_header(const mock_request *r, const char *name);
void mock_requests_clear(mock_transport *m);

/* ---- scripted responses (a FIFO queue, used before the fake relay) ---- */
typedef enum mock_echo {
    MOCK_ECHO_CORRECT = 0,      /* echo the request's Mailbox-Request-ID */
    MOCK_ECHO_WRONG,            /* echo a different, valid UUID */
    MOCK_ECHO_MISSING           /* no Mailbox-Request-ID header */
} mock_echo;

typedef struct mock_script mock_script;
/* Queue an HTTP response (body copied; NULL = none). Returns the entry to refine it. */
mock_script *mock_push_response(mock_transport *m, int status, const char *body);
/* Queue a transport failure: send() returns code (e.g. TIGRESS_E_NETWORK) with
 * transport_code reported through the internal setter (0 = none). */
mock_script *mock_push_error(mock_transport *m, int code, int transport_code);
/* Queue a send() that blocks until the cancel slot is called (then TIGRESS_E_CANCELLED). */
mock_script *mock_push_hang(mock_transport *m);
void mock_script_header(mock_script *s, const char *name, const char *value);
void mock_script_echo(mock_script *s, mock_echo echo);
/* Append `bytes` bytes of filler to the body (to test the 1 MiB cap). */
void mock_script_big_body(mock_script *s, size_t bytes);
size_t mock_script_pending(const mock_transport *m);

/* ---- hooks and counters ---- */
/* Called at each send() after recording, before answering (e.g. to cancel from inside). */
typedef void (*mock_on_send_fn)(mock_transport *m, const mock_request *r, void *user_data);
void mock_set_on_send(mock_transport *m, mock_on_send_fn fn, void *user_data);
size_t mock_unexpected_count(const mock_transport *m);  /* sends with nothing to answer */
size_t mock_cancel_count(mock_transport *m);           /* calls of the cancel slot */
/* Each send() advances the mock clock (below) by ms before answering. Default 0. */
void mock_set_latency(mock_transport *m, long ms);

/* ---- a fake clock for tigress__set_clock (process-global; tests are single-threaded) ----
 * Install: time starts at start_ms; each tigress__client_sleep advances it and is recorded. */
void mock_clock_install(int64_t start_ms);
void mock_clock_uninstall(void);                      /* back to the real clock */
int64_t mock_clock_now(void);
void mock_clock_advance(long ms);
size_t mock_clock_sleep_count(void);
long mock_clock_sleep_at(size_t i);                   /* ms of the i-th sleep, -1 if none */
long mock_clock_slept_total(void);

/* ---- the fake relay ---- */
void mock_relay_enable(mock_transport *m, const char *base_url); /* NULL: https://relay.test */
void mock_relay_set_push_supported(mock_transport *m, bool supported);
/* On: a 304 answering "Prefer: wait=N" advances the mock clock by N s (default off). */
void mock_relay_simulate_wait(mock_transport *m, bool on);
/* Relay wall clock (Unix seconds) for expiry; 0 (default) = time(NULL). */
void mock_relay_set_time(mock_transport *m, int64_t unix_s);
/* Process the next n requests normally but lose their responses (send returns
 * TIGRESS_E_NETWORK, transport_code 56). */
void mock_relay_drop_responses(mock_transport *m, unsigned n);
/* Answer the next request with this status (body {"error":"forced","message":...}), without
 * processing it. retry_after_s >= 0 adds a Retry-After header. */
void mock_relay_force_status(mock_transport *m, int status, long retry_after_s);
/* The next relay response uses this echo mode. */
void mock_relay_echo_next(mock_transport *m, mock_echo echo);

size_t mock_relay_mailbox_count(const mock_transport *m);          /* live mailboxes */
/* Mailbox ID of the most recently created mailbox, or NULL. */
const char *mock_relay_last_mailbox_id(const mock_transport *m);
bool mock_relay_mailbox_exists(const mock_transport *m, const char *id);
unsigned mock_relay_mailbox_version(const mock_transport *m, const char *id); /* 0 if none */
/* Bound Recipient claim, or NULL. */
const char *mock_relay_recipient(const mock_transport *m, const char *id);
const char *mock_relay_initiator(const mock_transport *m, const char *id);
/* The stored payload object as JSON text (owned by the mock, valid until the next send). */
const char *mock_relay_payload(mock_transport *m, const char *id);
const char *mock_relay_access_rights(const mock_transport *m, const char *id);
int64_t mock_relay_expiration(const mock_transport *m, const char *id);
void mock_relay_set_expiration(mock_transport *m, const char *id, int64_t unix_s);
/* notificationToken JSON stored for the initiator / recipient, or NULL. */
const char *mock_relay_token(const mock_transport *m, const char *id, bool recipient);
/* Number of mutating requests the relay actually applied (duplicates not counted). */
size_t mock_relay_applied_count(const mock_transport *m);
size_t mock_relay_duplicate_count(const mock_transport *m);  /* 201 duplicates answered */
size_t mock_relay_waits(const mock_transport *m);            /* 304s given to Prefer: wait */

#endif /* TIGRESS_TEST_MOCK_TRANSPORT_H */
