/*
 * Transfers: the one read path (a secure read of the mailbox, then opening its payload) and the
 * best-effort clean-up request. Used by share/redeem (transfer.c, transfer_redeem.c) and the
 * flow (transfer_flow.c).
 */
#include <sodium.h>
#include <string.h>

#include "transfer_internal.h"

/* A best-effort request made while cleaning up a failed call: its own error must not replace
 * the one the caller is about to return. */
void tigress__transfer_best_effort(tigress_client *c, const char *method, const char *url, const char *claim)
{
    tigress__error_slot *slot = tigress__client_error(c);
    tigress__error_slot saved = *slot;
    tigress__request req;
    tigress__response resp;

    memset(&req, 0, sizeof(req));
    memset(&resp, 0, sizeof(resp));
    req.method = method;
    req.url = url;
    req.claim = claim;
    (void)tigress__http_call(c, &req, &resp);
    tigress__response_clear(&resp);
    *slot = saved;
    slot->pub.message = slot->msg;
}

void tigress__transfer_adopt_etag(tigress_transfer *t, tigress__response *resp)
{
    if (resp->etag == NULL)
        return;
    tigress__free(t->etag);
    t->etag = resp->etag;
    resp->etag = NULL;
}

/* One secure read (POST), with body (the Recipient's token) when not NULL. On 200, *rr holds
 * the parsed payload and the ETag is kept; *not_modified on 304; *answered whenever the relay
 * answered 200 (this device may then be bound to the mailbox). */
tigress_status tigress__transfer_read(tigress_transfer *t, const char *body, size_t body_len,
                                      int prefer_wait_s, tigress__read_result *rr,
                                      bool *not_modified, bool *answered)
{
    tigress__request req;
    tigress__response resp;
    tigress_status rc;

    memset(&req, 0, sizeof(req));
    memset(&resp, 0, sizeof(resp));
    memset(rr, 0, sizeof(*rr));
    *not_modified = false;
    *answered = false;
    req.method = "POST";
    req.url = t->mailbox_url;
    req.claim = t->claim;
    req.body = body;
    req.body_len = body_len;
    if (prefer_wait_s > 0 && t->etag != NULL) {
        req.if_none_match = t->etag;
        req.prefer_wait_s = prefer_wait_s;
    }
    rc = tigress__http_call(t->client, &req, &resp);
    if (rc == TIGRESS_OK && resp.status == 304) {
        *not_modified = true;
    } else if (rc == TIGRESS_OK) {
        *answered = true;
        rc = tigress__wire_parse_read(t->client, resp.body, resp.body_len, rr);
        if (rc == TIGRESS_OK)
            tigress__transfer_adopt_etag(t, &resp);
    }
    tigress__response_clear(&resp);
    return rc;
}

/* Decrypt what a read returned: the one place that checks the Secret fits the payload type. */
tigress_status tigress__transfer_open(tigress_transfer *t, const tigress__read_result *rr,
                                      tigress__msg *m)
{
    memset(m, 0, sizeof(*m));
    if (t->secret == NULL)
        return tigress__client_fail(t->client, TIGRESS_E_KEY,
                                    "the transfer was imported without its Secret");
    if (tigress_payload_key_bytes(rr->payload_type) != tigress_secret_size(t->secret))
        return tigress__client_fail(t->client, TIGRESS_E_KEY,
                                    "the Secret's length does not fit the payload type %s",
                                    tigress_payload_type_name(rr->payload_type));
    return tigress__msg_open(tigress__client_error(t->client), rr->payload_type, t->secret, rr->data,
                             tigress__client_aead(t->client), m);
}
