/*
 * relay/routes_internal.h: what routes.c, routes_read.c and routes_write.c share. Private to
 * those three files; the rest of the relay sees only relay.h's routes_* functions.
 */
#ifndef TIGRESS_RELAY_ROUTES_INTERNAL_H
#define TIGRESS_RELAY_ROUTES_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "relay.h"

#define ROUTES_JSON_TYPE "application/json"
#define ROUTES_HTML_TYPE "text/html; charset=utf-8"

/* Set once by routes_init() before the server starts; read-only afterwards. */
extern const relay_config *g_routes_cfg;
extern store *g_routes_store;

/* A store job between the two halves of a handler. Owns copies of everything the job
 * borrows: the request's own strings may be gone when the job runs (client closed). */
struct relay_pending {
    store_async job;
    char id[37], claim[37];
    char *request_id;
    char *body;                 /* create: the urlLink answer; update: the push answer */
    create_request cr;          /* create */
    update_request ur;          /* update */
    char *token;                /* read: the Recipient's token (cJSON allocation) */
    const char *route;          /* for the request log and metrics of the second half */
    char mailbox[37];
    unsigned char quota_key[16]; /* create: the per-address quota entry it counted against */
    bool quota_taken;
    unsigned quota_wait;        /* replay: Retry-After of the 429 when it is no replay */
};

/* Seconds since the epoch (the store's clock). */
int64_t routes_now(void);
/* A pending job for op on mailbox id (NULL for a create's replay lookup) by claim, with copies
 * of the request's strings; NULL when out of memory. Free with routes_pending_free(). */
relay_pending *routes_pending_new(store_op op, const relay_request *rq, const char *id,
                                  const char *claim);
/* Sets status, content type and body (owned: freed with the response; NULL for none). */
void routes_set_body(relay_response *rs, unsigned status, const char *type, char *body);
/* A malloc'ed copy of s (NULL when out of memory). */
char *routes_dup_str(const char *s);
/* Maps a store outcome other than OK/DUPLICATE to its HTTP error. */
void routes_store_error(relay_response *rs, store_rc rc);
/* A repeated Create, Update or Relinquish: 201 with the first answer's body (D2). */
void routes_answer_duplicate(const relay_pending *p, relay_response *rs);
/* Mailbox-Request-ID (required when need_rid) and Mailbox-Device-Claim; the claim lowercased
 * into claim. False after filling rs with the error. */
bool routes_check_headers(const relay_request *rq, relay_response *rs, bool need_rid,
                          char claim[37]);
/* A non-empty body must be application/json; false after filling rs with the 415. */
bool routes_check_body_type(const relay_request *rq, relay_response *rs);
/* A fresh, unguessable mailbox ID (R5): version-4 UUID text, lowercase. */
void routes_new_mailbox_id(char out[37]);

/* The endpoints: routes_handle_* is the first half (validate, prepare rs->pending),
 * routes_finish_* the second (the store job's outcome into rs). */
void routes_handle_create(const relay_request *rq, relay_response *rs);
void routes_finish_create(relay_pending *p, relay_response *rs);
void routes_finish_replay(relay_pending *p, relay_response *rs);
void routes_handle_update(const relay_request *rq, relay_response *rs, const char *id);
void routes_finish_update(relay_pending *p, relay_response *rs);
void routes_handle_delete(const relay_request *rq, relay_response *rs, const char *id);
void routes_finish_delete(relay_pending *p, relay_response *rs);
void routes_handle_relinquish(const relay_request *rq, relay_response *rs, const char *id);
void routes_finish_relinquish(relay_pending *p, relay_response *rs);
void routes_handle_read(const relay_request *rq, relay_response *rs, const char *id);
void routes_finish_read(relay_pending *p, const relay_request *rq, relay_response *rs);
void routes_handle_preview(const relay_request *rq, relay_response *rs, const char *id);

#endif
