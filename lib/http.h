/*
 * One relay request through the client's transport (http.c, the retry engine). Above the
 * client object and the response object; below the transfer layer. Never installed.
 */
#ifndef TIGRESS_HTTP_H
#define TIGRESS_HTTP_H

#include "client_internal.h"

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

#endif /* TIGRESS_HTTP_H */
