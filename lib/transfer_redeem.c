/*
 * Transfers: tigress_redeem (Recipient): parse the Share URL, bind this device with the first
 * read, decrypt message 1 (or whatever the slot holds).
 */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "transfer_internal.h"

static tigress_status redeem_secret(tigress_transfer *t, const tigress_redeem_options *o,
                                    const tigress_share_url *u)
{
    const tigress_secret *in_url = tigress_share_url_secret(u);
    tigress_status rc;

    if (o->secret != NULL)
        rc = tigress_secret_from_text(&t->secret, o->secret);
    else if (in_url != NULL)
        rc = tigress_secret_from_bytes(&t->secret, tigress_secret_bytes(in_url),
                                       tigress_secret_size(in_url));
    else
        return tigress__client_fail(t->client, TIGRESS_E_KEY,
                                    "no Secret: the Share URL has no fragment and none was given");
    if (rc != TIGRESS_OK)
        return tigress__transfer_fail_from(t->client, rc, "the Secret");
    return TIGRESS_OK;
}

static tigress_status redeem_fill(tigress_transfer *t, const tigress_redeem_options *o,
                                  const tigress_share_url *u)
{
    tigress_status rc;

    t->role = TIGRESS_ROLE_RECIPIENT;
    t->state = TIGRESS_STATE_REDEEMED;
    t->vertical = tigress_share_url_vertical(u);
    memcpy(t->mailbox_id, tigress_share_url_mailbox_id(u), 37);
    t->relay = tigress__strdup(tigress_share_url_relay(u));
    t->url_link = tigress__strdup(tigress_share_url_mailbox_url(u));
    t->mailbox_url = tigress__strdup(tigress_share_url_mailbox_url(u)); /* no fragment (C14) */
    t->token_type = tigress__strdup(o->notification_token_type);
    t->token_data = tigress__strdup(o->notification_token_data);
    if (t->relay == NULL || t->url_link == NULL || t->mailbox_url == NULL ||
        (o->notification_token_type != NULL && t->token_type == NULL) ||
        (o->notification_token_data != NULL && t->token_data == NULL))
        return tigress__client_fail(t->client, TIGRESS_E_NOMEM, "out of memory");
    if (o->verifier != NULL) {
        rc = tigress_transfer_set_verifier(t, o->verifier);
        if (rc != TIGRESS_OK)
            return rc;
    }
    /* C2: fresh, and never the Initiator's; the same one again only when this device's last
     * redeem of this very mailbox failed after the relay may have bound it. */
    if (!tigress__client_redeem_recall(t->client, t->mailbox_url, t->claim))
        tigress__uuid_v4(t->claim);
    return redeem_secret(t, o, u);
}

/* Adopt message 1 (or whatever the slot holds) and the read response into t. */
static tigress_status redeem_adopt(tigress_transfer *t, tigress__read_result *rr, tigress__msg *m)
{
    tigress_client *c = t->client;

    if (rr->expires_at < 0)
        return tigress__client_fail(c, TIGRESS_E_PROTOCOL, "the read response has no expiration");
    t->payload_type = rr->payload_type;
    t->expires_at = rr->expires_at;
    t->title = rr->title != NULL ? rr->title : tigress__strdup("");
    t->description = rr->description != NULL ? rr->description : tigress__strdup("");
    t->image_url = rr->image_url != NULL ? rr->image_url : tigress__strdup("");
    rr->title = rr->description = rr->image_url = NULL;
    t->format = m->body.format;
    m->body.format = NULL;
    t->content = m->body.content;
    t->content_len = m->body.content_len;
    m->body.content = NULL;
    if (t->title == NULL || t->description == NULL || t->image_url == NULL)
        return tigress__client_fail(c, TIGRESS_E_NOMEM, "out of memory");
    /* The Recipient learns the mode from the message; the Initiator's seq is the first seen. */
    t->stateful = m->has_stateful && m->stateful;
    /* Without "tigress" (a draft-only Initiator) only the partner's format says whether TxInfo
     * is needed: leave the flow open; update or complete decides it (docs/protocol.md §5). */
    t->flow_unknown = !m->has_tigress;
    t->peer_seq = m->has_tigress ? m->seq : 1; /* without "tigress": it is message 1 */
    tigress__transfer_note_data(t, rr->data);
    if (tigress__transfer_expired(t))
        return tigress__client_fail(c, TIGRESS_E_EXPIRED, "the transfer has expired");
    return tigress__transfer_build_urls(t);
}

static tigress_status redeem_read(tigress_transfer *t)
{
    tigress_client *c = t->client;
    tigress__read_result rr;
    tigress__msg m;
    char *body = NULL;
    size_t body_len = 0;
    bool not_modified, answered;
    tigress_status rc;

    memset(&m, 0, sizeof(m));
    if (t->token_type != NULL) {
        /* docs/protocol.md D4: the Recipient's token rides on its first read. */
        body = tigress__wire_token_body(t->token_type, t->token_data, &body_len);
        if (body == NULL)
            return tigress__client_fail(c, TIGRESS_E_NOMEM, "out of memory");
    }
    rc = tigress__transfer_read(t, body, body_len, 0, &rr, &not_modified, &answered);
    if (rc == TIGRESS_OK && not_modified)
        rc = tigress__client_fail(c, TIGRESS_E_PROTOCOL, "the relay answered 304 to a plain read");
    if (rc == TIGRESS_OK)
        rc = tigress__transfer_open(t, &rr, &m);
    if (rc == TIGRESS_OK)
        rc = redeem_adopt(t, &rr, &m);
    /* Once the relay answered, this device is bound: on failure, give the binding back. */
    if (rc != TIGRESS_OK && answered)
        tigress__transfer_best_effort(c, "PATCH", t->mailbox_url, t->claim); /* let a retry bind again */
    tigress__msg_clear(&m);
    tigress__read_result_clear(&rr);
    tigress__free_wiped_str(body);
    return rc;
}

tigress_status tigress_redeem(tigress_transfer **out, tigress_client *client,
                              const tigress_redeem_options *opts)
{
    const tigress_client_options *co;
    tigress_share_url *u = NULL;
    tigress_transfer *t = NULL;
    tigress_status rc;

    if (out != NULL)
        *out = NULL;
    if (client == NULL)
        return tigress__fail(TIGRESS_E_INVALID, "tigress_redeem: client is NULL");
    tigress__client_begin(client);
    if (out == NULL || opts == NULL || opts->share_url == NULL)
        return tigress__client_fail(client, TIGRESS_E_INVALID,
                                    "tigress_redeem: out, opts and opts->share_url are required");
    if (opts->version < 1 || opts->version > TIGRESS_REDEEM_OPTIONS_VERSION)
        return tigress__client_fail(client, TIGRESS_E_VERSION,
                                    "unsupported tigress_redeem_options version %u", opts->version);
    if ((opts->notification_token_type == NULL) != (opts->notification_token_data == NULL))
        return tigress__client_fail(client, TIGRESS_E_INVALID,
                                    "redeem options: notification token type and data go together");
    co = tigress__client_options(client);
    rc = tigress_share_url_parse(&u, opts->share_url,
                                 co->allow_insecure_loopback ? TIGRESS_URL_ALLOW_INSECURE_LOOPBACK : 0);
    if (rc != TIGRESS_OK)
        return tigress__transfer_fail_from(client, rc, "the Share URL");
    rc = tigress__client_check_relay(client, tigress_share_url_relay(u)); /* C15: before any request */
    if (rc == TIGRESS_OK) {
        t = tigress__transfer_alloc(client);
        rc = t == NULL ? tigress__client_fail(client, TIGRESS_E_NOMEM, "out of memory")
                       : redeem_fill(t, opts, u);
    }
    tigress_share_url_free(u);
    if (rc == TIGRESS_OK) {
        rc = redeem_read(t);
        if (rc == TIGRESS_OK)
            tigress__client_redeem_forget(client, t->mailbox_url);
        else
            tigress__client_redeem_remember(client, t->mailbox_url, t->claim);
    }
    if (rc == TIGRESS_OK) {
        *out = t;
        t = NULL;
    }
    tigress_transfer_free(t);
    return rc;
}
