/*
 * relay/routes_write.c: the endpoints that write through the store's single writer
 * (draft-vinokurov-tigress-http-00 §6, docs/protocol.md D1-D14): CreateMailbox (with the
 * per-address quota and its replay rule, D8), UpdateMailbox, DeleteMailbox and
 * RelinquishMailbox. Each is two halves (routes.c explains the split): routes_handle_*
 * validates and prepares the store job, routes_finish_* turns its outcome into the answer.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "relay.h"
#include "routes_internal.h"

static char *push_body(bool supported)
{
    return routes_dup_str(supported ? "{\"isPushNotificationSupported\":true}"
                                    : "{\"isPushNotificationSupported\":false}");
}

static void quota_exceeded(relay_response *rs, unsigned wait)
{
    rs->retry_after = wait;
    routes_error(rs, 429, "quota_exceeded",
                 "this client address has created as many mailboxes as this relay allows "
                 "per 24 hours");
}

/* The quota refuses new mailboxes, not replays (docs/protocol.md D8, R11): a Create that
 * repeats the claim's last Request-ID creates nothing and still gets its duplicate answer.
 * So the store is asked for that answer (a lookup, no write); 429 only when there is none. */
static void replay_or_refuse(const relay_request *rq, relay_response *rs, const char *claim,
                             unsigned wait)
{
    relay_pending *p = routes_pending_new(STORE_OP_REPLAY, rq, NULL, claim);
    if (p == NULL) {
        quota_exceeded(rs, wait);
        return;
    }
    p->quota_wait = wait;
    rs->pending = p;
}

void routes_finish_replay(relay_pending *p, relay_response *rs)
{
    if (p->job.rc == STORE_DUPLICATE)
        routes_answer_duplicate(p, rs);
    else if (p->job.rc == STORE_NOT_FOUND)
        quota_exceeded(rs, p->quota_wait);
    else
        routes_store_error(rs, p->job.rc);
}

/* ---- CreateMailbox: POST /v1/m ---- */

/* Copies n bytes to w; returns the end of what it wrote. */
static char *put(char *w, const char *s, size_t n)
{
    memcpy(w, s, n);
    return w + n;
}

/* What a new mailbox's Create answers (R4, R6):
 * {"urlLink":"<public URL>/v1/m/<id>","isPushNotificationSupported":<bool>}, byte for byte
 * what cJSON printed before (json_text.c), without building and printing a cJSON tree. */
static char *create_answer(const char id[37], bool push)
{
    static const char head[] = "{\"urlLink\":", mid[] = ",\"isPushNotificationSupported\":";
    const char *tail = push ? "true}" : "false}";
    size_t base = strlen(g_routes_cfg->public_url);
    char *link = malloc(base + sizeof "/v1/m/" + 36);
    if (link == NULL)
        return NULL;
    memcpy(put(put(link, g_routes_cfg->public_url, base), "/v1/m/", 6), id, 37);
    char *body = malloc(sizeof head + json_quoted_len(link) + sizeof mid + strlen(tail));
    if (body != NULL) {
        char *w = json_put_quoted(put(body, head, sizeof head - 1), link);
        memcpy(put(w, mid, sizeof mid - 1), tail, strlen(tail) + 1);
    }
    free(link);
    return body;
}

void routes_handle_create(const relay_request *rq, relay_response *rs)
{
    char claim[37], id[37];
    if (!routes_check_body_type(rq, rs) || !routes_check_headers(rq, rs, true, claim))
        return;
    if (g_routes_cfg->attestation == RELAY_ATTEST_REQUIRE &&
        (rq->attestation == NULL || rq->attestation[0] == '\0')) {
        routes_error(rs, 401, "attestation_required", "this relay requires device attestation");
        return;
    }
    if (rq->body_len == 0) {
        routes_error(rs, 400, "invalid_body", "request body is empty");
        return;
    }
    create_request cr;
    int64_t now = routes_now();
    const char *err = validate_create(rq->body, rq->body_len, now, g_routes_cfg->max_expiry,
                                      g_routes_cfg->default_expiry, &cr);
    if (err != NULL) {
        routes_error(rs, 400, "invalid_body", err);
        return;
    }
    unsigned char qkey[16];
    bool qtaken = false;
    unsigned qwait = quota_take(rq->conn, qkey, &qtaken);
    if (qwait > 0) {
        create_request_clear(&cr);
        replay_or_refuse(rq, rs, claim, qwait);
        return;
    }
    routes_new_mailbox_id(id);
    char *body = create_answer(id, push_supported(cr.token_type));
    relay_pending *p = body != NULL ? routes_pending_new(STORE_OP_CREATE, rq, id, claim) : NULL;
    if (p == NULL) {
        free(body);
        create_request_clear(&cr);
        if (qtaken)
            quota_refund(qkey);
        routes_error(rs, 500, "internal", "out of memory");
        return;
    }
    p->cr = cr;
    p->body = body;
    memcpy(p->quota_key, qkey, sizeof qkey);
    p->quota_taken = qtaken;
    p->job.now = now;
    p->job.response_body = p->body;
    p->job.mb = (store_new_mailbox){
        .id = p->id, .initiator_claim = p->claim, .payload_json = p->cr.payload_json,
        .display_json = p->cr.display_json, .initiator_token_json = p->cr.token_json,
        .rights = p->cr.rights, .expires_at = p->cr.expires_at,
    };
    rs->pending = p;
}

void routes_finish_create(relay_pending *p, relay_response *rs)
{
    store_rc rc = p->job.rc;
    if (rc != STORE_OK && p->quota_taken)
        quota_refund(p->quota_key);   /* a duplicate or a failure created nothing */
    if (rc == STORE_OK) {
        routes_set_body(rs, 200, ROUTES_JSON_TYPE, p->body);
        p->body = NULL;
        snprintf(rs->mailbox, sizeof rs->mailbox, "%s", p->id);
        metrics_inc(M_CREATED);
    } else if (rc == STORE_DUPLICATE) {
        routes_answer_duplicate(p, rs);
    } else {
        routes_store_error(rs, rc);
    }
}

/* ---- UpdateMailbox: PUT /v1/m/{id} ---- */
void routes_handle_update(const relay_request *rq, relay_response *rs, const char *id)
{
    char claim[37];
    if (!routes_check_body_type(rq, rs) || !routes_check_headers(rq, rs, true, claim))
        return;
    if (rq->body_len == 0) {
        routes_error(rs, 400, "invalid_body", "request body is empty");
        return;
    }
    update_request ur;
    const char *err = validate_update(rq->body, rq->body_len, &ur);
    if (err != NULL) {
        routes_error(rs, 400, "invalid_body", err);
        return;
    }
    /* The body remembered for a duplicate reflects the token sent with this request; when
     * none is sent, the answer below uses the token on file for the caller. */
    relay_pending *p = routes_pending_new(STORE_OP_UPDATE, rq, id, claim);
    if (p == NULL || (p->body = push_body(push_supported(ur.token_type))) == NULL) {
        routes_pending_free(p);
        update_request_clear(&ur);
        routes_error(rs, 500, "internal", "out of memory");
        return;
    }
    p->ur = ur;
    p->job.payload_json = p->ur.payload_json;
    p->job.token_json = p->ur.token_json;
    p->job.response_body = p->body;
    rs->pending = p;
}

void routes_finish_update(relay_pending *p, relay_response *rs)
{
    const char *id = p->id;
    const update_request *ur = &p->ur;
    store_rc rc = p->job.rc;
    const store_mailbox *mb = &p->job.out;
    char *body = p->body;
    p->body = NULL;
    if (rc == STORE_OK) {
        metrics_inc(M_UPDATES);
        longpoll_wake(id);
        const char *mine = mb->caller == STORE_PARTY_INITIATOR ? mb->initiator_token_json
                                                              : mb->recipient_token_json;
        const char *other = mb->caller == STORE_PARTY_INITIATOR ? mb->recipient_token_json
                                                               : mb->initiator_token_json;
        if (other != NULL && (mb->caller != STORE_PARTY_INITIATOR || mb->recipient_bound))
            push_enqueue(other, id, mb->caller == STORE_PARTY_INITIATOR ? STORE_PARTY_RECIPIENT
                                                                        : STORE_PARTY_INITIATOR);
        if (ur->token_json == NULL) {
            char type[64];
            relay_token_type(mine, type);
            free(body);
            body = push_body(push_supported(type));
        }
        routes_set_body(rs, 200, ROUTES_JSON_TYPE, body);
        body = NULL;
    } else if (rc == STORE_DUPLICATE) {
        routes_answer_duplicate(p, rs);
    } else {
        routes_store_error(rs, rc);
    }
    free(body);
}

/* The first half of a bodiless write by a party (delete, relinquish): the headers, then the
 * job for op on id. NULL after filling rs with the error. */
static relay_pending *begin_party_op(const relay_request *rq, relay_response *rs,
                                     const char *id, store_op op)
{
    char claim[37];
    if (!routes_check_headers(rq, rs, true, claim))
        return NULL;
    relay_pending *p = routes_pending_new(op, rq, id, claim);
    if (p == NULL)
        routes_error(rs, 500, "internal", "out of memory");
    return p;
}

/* ---- DeleteMailbox: DELETE /v1/m/{id} ---- */
void routes_handle_delete(const relay_request *rq, relay_response *rs, const char *id)
{
    rs->pending = begin_party_op(rq, rs, id, STORE_OP_REMOVE);
}

void routes_finish_delete(relay_pending *p, relay_response *rs)
{
    const char *id = p->id;
    store_rc rc = p->job.rc;
    if (rc != STORE_OK) {
        routes_store_error(rs, rc);
        return;
    }
    metrics_inc(M_DELETES);
    longpoll_wake(id);          /* waiting readers now learn it is gone (404) */
    routes_set_body(rs, 200, ROUTES_JSON_TYPE, routes_dup_str("{}"));
}

/* ---- RelinquishMailbox: PATCH /v1/m/{id} ---- */
void routes_handle_relinquish(const relay_request *rq, relay_response *rs, const char *id)
{
    relay_pending *p = begin_party_op(rq, rs, id, STORE_OP_RELINQUISH);
    if (p != NULL)
        p->job.response_body = "{}";
    rs->pending = p;
}

void routes_finish_relinquish(relay_pending *p, relay_response *rs)
{
    store_rc rc = p->job.rc;
    if (rc == STORE_OK) {
        metrics_inc(M_RELINQUISHES);
        routes_set_body(rs, 200, ROUTES_JSON_TYPE, routes_dup_str("{}"));
    } else if (rc == STORE_DUPLICATE) {
        routes_answer_duplicate(p, rs);
    } else {
        routes_store_error(rs, rc);
    }
}
