/*
 * tests/relay/relay_harness.h: what the relay conformance suites share. The relay process, its
 * certificates and the time scale come from the fixture library (tests/lib/relay_fixture.h);
 * this file adds the suites' own conventions (one temp dir per program, TIGRESS_TEST_STORE)
 * and a small libcurl HTTPS client with the protocol's request helpers.
 */
#ifndef TIGRESS_TESTS_RELAY_HARNESS_H
#define TIGRESS_TESTS_RELAY_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "relay_fixture.h"

/* pid, port, metrics_port (0 without --metrics-listen), out_fd, log_path (the relay's
 * structured logs), store_path: see rf_relay. */
typedef rf_relay relay_proc;

/* rf_time_scale(): multiply every bound on waiting by it. */
long th_time_scale(void);

/* Makes the temp dir and the certificates. 0 on success. */
int th_init(void);
/* Kills the relays still running, removes the temp dir (kept with TIGRESS_KEEP_TMP set). */
void th_cleanup(void);
const char *th_dir(void);
const char *th_ca(void);        /* CA certificate (PEM) that signed the server certificate */
const char *th_cert(void);
const char *th_key(void);

/* Starts the relay with --listen 127.0.0.1:0 --cert --key --store <dir>/<store_name> plus
 * `extra` (NULL-terminated; may be NULL). Returns 0 when it listens; a positive exit status
 * when it exited before listening; -1 on a harness failure. */
int relay_start(relay_proc *r, const char *store_name, const char *const *extra);
/* Same, with full control over the arguments (no defaults added). */
int relay_start_raw(relay_proc *r, const char *const *args);
/* SIGTERM, wait; returns the exit status (or -1). */
int relay_stop(relay_proc *r);
/* SIGKILL, wait. */
void relay_kill9(relay_proc *r);

typedef struct hreq {
    const char *method;         /* GET HEAD POST PUT DELETE PATCH ... */
    const char *path;           /* "/v1/m" ... or a full URL when starting with http */
    const char *rid;            /* Mailbox-Request-ID or NULL */
    const char *claim;          /* Mailbox-Device-Claim or NULL */
    const char *attest;
    const char *ctype;          /* Content-Type; default application/json when body set */
    const char *body;
    size_t body_len;            /* 0: strlen(body) */
    const char *extra[4];       /* raw "Name: value" header lines */
    bool chunked;
    const char *local_addr;     /* source address (CURLOPT_INTERFACE, e.g. "127.0.0.2") or NULL */
} hreq;

typedef struct hresp {
    long status;                /* 0 when the transfer failed */
    int curl_rc;
    char *body;
    size_t len;
    bool has_rid;
    char rid[256];
    char ctype[128];
    char retry_after[32];
    char etag[64];
    char csp[256];
    char nosniff[64];
    char referrer[64];
    char cache[64];
    char allow[128];
} hresp;

/* Performs the request against r (HTTPS, CA = th_ca()). */
void http_do(const relay_proc *r, const hreq *q, hresp *out);
void hresp_free(hresp *h);

/* Fresh lowercase v4 UUID. Remembered for the log audit. */
void th_uuid(char out[37]);
/* Remembers a string that must never appear in the relay's log (R35). */
void th_remember(const char *s);
/* Returns the first remembered string found in the file, or NULL. */
const char *th_file_leaks(const char *path);
bool th_file_contains(const char *path, const char *needle);

/* A Create body (malloc'd: the caller frees it; NULL when out of memory). expiration may be
 * NULL (no mailboxConfiguration); token_type NULL = none. */
char *th_create_body(const char *type, const char *data, const char *title,
                     const char *rights, const char *expiration, const char *token_type,
                     const char *token_data);
/* RFC 3339 UTC for now + secs. */
void th_rfc3339(long secs_from_now, char out[32]);

/* POST /v1/m; on 200 writes the mailbox ID (last path segment of urlLink). Returns status. */
long th_create(const relay_proc *r, const char *claim, const char *body, char id[37]);
/* Secure read as claim; returns status; *out (optional) receives the response. */
long th_read(const relay_proc *r, const char *id, const char *claim, hresp *out);
long th_update(const relay_proc *r, const char *id, const char *claim, const char *rid,
               const char *body);
/* Value of a metric from /metrics, or -1. */
long th_metric(const relay_proc *r, const char *name);

#endif
