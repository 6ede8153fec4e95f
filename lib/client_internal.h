/*
 * Internal interface between the client/HTTP layer (client.c, http.c, transport_curl.c) and
 * the transfer layer (transfer*.c, message.c, wire.c). Never installed.
 */
#ifndef TIGRESS_CLIENT_INTERNAL_H
#define TIGRESS_CLIENT_INTERNAL_H

#include "internal.h"

/* ---- the client object (client.c) ---- */

/* Accessors for the copied options (defaults applied). */
const tigress_client_options *tigress__client_options(const tigress_client *c);
/* The client's error slot: transfer functions record their failures here. */
tigress__error_slot *tigress__client_error(tigress_client *c);
/* Record an error on the client and return code (printf-style message, no secrets). */
tigress_status tigress__client_fail(tigress_client *c, tigress_status code, const char *fmt, ...)
    TIGRESS__PRINTF(3, 4);
/* Called at the start of each public blocking call: clears the last error and spends the
 * cancel the previous call noticed. A cancel requested since (or never noticed) stays pending,
 * so this call is cancelled before its first request. */
void tigress__client_begin(tigress_client *c);
/* True while a cancel is pending (tigress_client_cancel() not yet spent); a true answer marks
 * it noticed, so the next tigress__client_begin() spends it. */
bool tigress__client_cancelled(tigress_client *c);
/* Sleep up to ms milliseconds; returns early with TIGRESS_E_CANCELLED on cancel, or
 * TIGRESS_OK early when tigress_client_wake() is called (push hint) or when the time passed. */
tigress_status tigress__client_sleep(tigress_client *c, long ms);
/* Checks that a relay base URL / host is usable: https (or http to loopback when the option
 * allows), and on the allow-list when one is set (C1, C15). Records the error. */
tigress_status tigress__client_check_relay(tigress_client *c, const char *url);

/* The relay binds a mailbox to the first claim that reads it, so a redeem that fails after its
 * read went out (response lost, cancelled, unusable) may leave this device's claim bound; a
 * retry with a fresh claim would then be refused as "another device" for good. The client
 * keeps the claim of its last failed redeem, for that mailbox URL only, so that the next
 * redeem of the same mailbox presents it again (C2 still holds: one claim per mailbox).
 * remember: never fails (no allocation). recall: copies it into claim and returns true when
 * kept for mailbox_url. forget: for mailbox_url, or any when NULL; wipes. */
void tigress__client_redeem_remember(tigress_client *c, const char *mailbox_url, const char *claim);
bool tigress__client_redeem_recall(const tigress_client *c, const char *mailbox_url,
                                   char claim[37]);
void tigress__client_redeem_forget(tigress_client *c, const char *mailbox_url);

/* Test seams (set only by unit tests): a fake clock and sleep. NULL restores the real ones. */
typedef int64_t (*tigress__now_ms_fn)(void *user_data);
typedef void (*tigress__sleep_ms_fn)(long ms, void *user_data);
void tigress__set_clock(tigress__now_ms_fn now, tigress__sleep_ms_fn sleep_fn, void *user_data);
int64_t tigress__now_ms(void);

/* ---- one relay request (http.c) ---- */

typedef struct tigress__request {
    const char *method;         /* "POST", "PUT", "DELETE", "PATCH" */
    const char *url;            /* absolute, no fragment */
    const char *claim;          /* Mailbox-Device-Claim, or NULL */
    const char *attestation;    /* Mailbox-Device-Attestation, or NULL */
    /* Mailbox-Request-ID. If empty (""), http.c fills it with a fresh UUID before the first
     * attempt; the caller keeps it so a later call can retry with the same ID (C4). */
    char request_id[37];
    const char *body;           /* JSON text or NULL */
    size_t body_len;
    const char *if_none_match;  /* long-poll ETag, or NULL */
    int prefer_wait_s;          /* > 0: send "Prefer: wait=N" and allow the longer timeout */
} tigress__request;

typedef struct tigress__response {
    int status;                 /* HTTP status */
    char *body;                 /* NUL-terminated, tigress__malloc'd, may be NULL */
    size_t body_len;
    char *etag;                 /* ETag header or NULL */
    long retry_after_s;         /* Retry-After, or -1 */
} tigress__response;

void tigress__response_clear(tigress__response *r);

/*
 * Send a request through the client's transport, with retries (network errors, 5xx, 429)
 * using back-off with jitter and the SAME Request-ID; checks the echoed Mailbox-Request-ID
 * (C5). Returns TIGRESS_OK for 200, 201 (C6) and 304; otherwise the mapped status
 * (400 -> E_BAD_REQUEST, 401 -> E_UNAUTHORIZED, 404 -> E_NOT_FOUND, 413 -> E_TOO_LARGE,
 * 429 -> E_RATE_LIMITED, 503 -> E_UNAVAILABLE, other -> E_SERVER; transport failures as
 * reported) with the client's error slot filled (http_status, transport_code, a message that
 * includes the relay's JSON "message" when present). *resp is filled whenever a response
 * arrived (also on error statuses) and must be cleared by the caller.
 */
tigress_status tigress__http_call(tigress_client *c, tigress__request *req, tigress__response *resp);


/* ---- added by the client/HTTP layer (internal to client.c, http.c, transport_curl.c) ----
 * Notes on the accessors above: tigress__client_options() returns max_retries as the
 * effective count (TIGRESS_RETRIES_NONE becomes 0, 0 becomes the default 3) and transport
 * pointing at the client's own copy of the vtable (the libcurl one when none was given). */

/* Like tigress__client_sleep() but tigress_client_wake() does not end it (retry back-off must
 * not be shortened by a push hint); only cancel does. */
tigress_status tigress__client_backoff(tigress_client *c, long ms);
/* The client's transport vtable (never NULL for a live client). */
const tigress_transport *tigress__client_transport(const tigress_client *c);

/* The response object behind tigress_http_response (http.c). */
tigress_http_response *tigress__http_response_new(void);
void tigress__http_response_free(tigress_http_response *resp);
/* Forget the status and headers received so far (an interim 1xx response). */
void tigress__http_response_reset_headers(tigress_http_response *resp);
/* Lets a built-in transport report its own code (a CURLcode) and a short message (copied,
 * printable ASCII kept) alongside its tigress_status return. */
void tigress__http_response_set_transport_error(tigress_http_response *resp, int code,
                                                const char *message);
int tigress__http_response_status(const tigress_http_response *resp);
/* Case-insensitive lookup of the first header with this name, or NULL. */
const char *tigress__http_response_header(const tigress_http_response *resp, const char *name);
/* The body received so far (NULL when none) and its length. Lets a wrapping transport (the
 * fault-injection tests) read what the transport it wraps delivered. */
const uint8_t *tigress__http_response_body(const tigress_http_response *resp, size_t *len);

/* The built-in libcurl transport (transport_curl.c) for client c: fills *out (free slot set).
 * It reads the client's options and also aborts when tigress__client_cancelled(c). */
tigress_status tigress__curl_transport_new(tigress_transport *out, tigress_client *c);

#endif /* TIGRESS_CLIENT_INTERNAL_H */
