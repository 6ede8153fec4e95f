/*
 * Transfers, part 2: the flow after share/redeem. Every public call here first passes the
 * state machine gate (tigress__state_check: expiry, then the transition table) so that a call
 * in the wrong state sends nothing. A network failure never changes the state; a mutating
 * request that got no response leaves its Request-ID pending for the next attempt (C4).
 */
#include <sodium.h>
#include <string.h>
#include <time.h>

#include "transfer_internal.h"

/* ------------------------------------------------------------------ requests */

/* Send a mutating request for op; keeps the Request-ID when no response came back. */
static tigress_status mutate(tigress_transfer *t, tigress__op op, const char *method,
                             const char *body, size_t body_len, tigress__response *resp)
{
    tigress__request req;
    tigress_status rc;

    memset(&req, 0, sizeof(req));
    req.method = method;
    req.url = t->mailbox_url;
    req.claim = t->claim; /* C3 */
    if (t->role == TIGRESS_ROLE_INITIATOR && body != NULL)
        req.attestation = t->attestation;
    req.body = body;
    req.body_len = body_len;
    if (t->pending_op == (int)op)
        memcpy(req.request_id, t->pending_id, sizeof(req.request_id)); /* C4: same ID again */
    rc = tigress__http_call(t->client, &req, resp);
    /* The outcome is unknown when no usable response came back or the relay answered 5xx (it
     * may have applied the request first): the next attempt reuses the ID so that the relay
     * answers 201 instead of applying it twice (C4, C6). */
    if (rc != TIGRESS_OK && (resp->status == 0 || resp->status >= 500) &&
        req.request_id[0] != '\0') {
        t->pending_op = (int)op;
        memcpy(t->pending_id, req.request_id, sizeof(t->pending_id));
    } else {
        t->pending_op = -1;
        sodium_memzero(t->pending_id, sizeof(t->pending_id));
    }
    return rc;
}

/* After a 404: EXPIRED when past the expiration; else apply "gone" (Initiator: COMPLETED,
 * Recipient: REVOKED). Returns the status the public call reports. */
static tigress_status on_gone_event(tigress_transfer *t)
{
    bool expired;
    tigress_status rc = tigress__state_on_gone(t, &expired);

    if (expired)
        return rc;
    rc = tigress__state_apply(t, TIGRESS__EV_GONE);
    if (rc != TIGRESS_OK)
        return rc;
    if (t->role == TIGRESS_ROLE_INITIATOR) {
        /* The Recipient deleted the mailbox: it has what it needed. */
        tigress__error_clear(tigress__client_error(t->client));
        return TIGRESS_OK;
    }
    tigress__client_fail(t->client, TIGRESS_E_REVOKED, "the Initiator deleted the mailbox");
    tigress__client_error(t->client)->pub.http_status = 404;
    return TIGRESS_E_REVOKED;
}

/* The content is left out of a blob exported without the Secret; every message carries it,
 * so read it back from the mailbox before this side writes its next message. */
static tigress_status refresh_content(tigress_transfer *t)
{
    tigress__read_result rr;
    tigress__msg m;
    bool nm, answered;
    tigress_status rc;

    if (t->content != NULL)
        return TIGRESS_OK;
    rc = tigress__transfer_read(t, NULL, 0, 0, &rr, &nm, &answered);
    if (rc == TIGRESS_E_NOT_FOUND) {
        bool expired;
        tigress_status gone = tigress__state_on_gone(t, &expired);

        if (expired)
            return gone;
        return t->role == TIGRESS_ROLE_RECIPIENT ? on_gone_event(t) : rc;
    }
    if (rc != TIGRESS_OK)
        return rc;
    if (nm) {
        tigress__read_result_clear(&rr);
        return tigress__client_fail(t->client, TIGRESS_E_PROTOCOL, "the relay answered 304 to a plain read");
    }
    rc = tigress__transfer_open(t, &rr, &m);
    if (rc == TIGRESS_OK && t->format != NULL && strcmp(m.body.format, t->format) != 0)
        rc = tigress__client_fail(t->client, TIGRESS_E_FORMAT,
                                  "the mailbox holds a message of another format");
    if (rc == TIGRESS_OK) {
        t->content = m.body.content;
        t->content_len = m.body.content_len;
        m.body.content = NULL;
    }
    tigress__msg_clear(&m);
    tigress__read_result_clear(&rr);
    return rc;
}

/* ------------------------------------------------------------------ reading the peer */

static void take_txinfo(tigress_transfer *t, tigress__msg *m)
{
    tigress__free_wiped_str(t->txinfo_type);
    tigress__free(t->txinfo);
    t->txinfo_type = m->body.txinfo_type;
    t->txinfo = m->body.txinfo;
    t->txinfo_len = m->body.txinfo_len;
    m->body.txinfo_type = NULL;
    m->body.txinfo = NULL;
}

static void adopt_content(tigress_transfer *t, tigress__msg *m)
{
    if (t->content != NULL || m->body.content == NULL)
        return;
    t->content = m->body.content;
    t->content_len = m->body.content_len;
    m->body.content = NULL;
}

/* Initiator, stateful, CREATED: message 2 brings the Recipient's TxInfo. */
static tigress_status initiator_take(tigress_transfer *t, tigress__msg *m)
{
    if (!t->stateful || t->state != TIGRESS_STATE_CREATED)
        return TIGRESS_E_AGAIN; /* nothing this side expects */
    if (m->body.txinfo == NULL)
        return tigress__client_fail(t->client, TIGRESS_E_FORMAT,
                                    "the Recipient's message carries no txInfo");
    take_txinfo(t, m);
    adopt_content(t, m);
    t->peer_seq = m->has_tigress ? m->seq : t->seq + 1; /* without "tigress": message 2 */
    return tigress__state_apply(t, TIGRESS__EV_TXINFO);
}

/* Recipient, WAITING_FOR_PEER: message 3 brings the signature over our TxInfo. */
static tigress_status recipient_take(tigress_transfer *t, tigress__msg *m)
{
    tigress_client *c = t->client;
    uint8_t *input;
    size_t input_len = 0;
    int vr;

    if (t->state != TIGRESS_STATE_WAITING_FOR_PEER)
        return TIGRESS_E_AGAIN;
    if (m->body.sig == NULL)
        return tigress__client_fail(c, TIGRESS_E_SIGNATURE, "the Initiator's message has no signature");
    /* The signature must be over what this device sent, not over something else. */
    if (m->body.txinfo == NULL || m->body.txinfo_len != t->txinfo_len ||
        strcmp(m->body.txinfo_type, t->txinfo_type) != 0 ||
        sodium_memcmp(m->body.txinfo, t->txinfo, t->txinfo_len) != 0)
        return tigress__client_fail(c, TIGRESS_E_SIGNATURE,
                                    "the Initiator signed a TxInfo that is not this device's");
    if (!t->has_verifier)
        return tigress__client_fail(c, TIGRESS_E_SIGNATURE, "no verifier is set for the signature "
                                    "(tigress_transfer_set_verifier)");
    input = tigress__msg_sig_input(t->mailbox_id, t->txinfo, t->txinfo_len, &input_len);
    if (input == NULL)
        return tigress__client_fail(c, TIGRESS_E_NOMEM, "out of memory");
    vr = t->verifier.verify(m->body.sig_alg, input, input_len, m->body.sig, m->body.sig_len, t->verifier.user_data);
    tigress__free(input);
    if (vr == TIGRESS_E_SIGNATURE || vr > 0)
        return tigress__client_fail(c, TIGRESS_E_SIGNATURE, "the Initiator's signature is invalid");
    if (vr != 0)
        return tigress__client_fail(c, (tigress_status)vr, "the verifier failed");
    tigress__free_wiped_str(t->sig_alg);
    tigress__free(t->sig);
    t->sig_alg = m->body.sig_alg;
    t->sig = m->body.sig;
    t->sig_len = m->body.sig_len;
    m->body.sig_alg = NULL;
    m->body.sig = NULL;
    t->peer_seq = m->has_tigress ? m->seq : t->seq + 1; /* without "tigress": message 3 */
    return tigress__state_apply(t, TIGRESS__EV_SIGNED);
}

tigress_status tigress__flow_read_once(tigress_transfer *t, int prefer_wait_s, bool *not_modified)
{
    tigress__read_result rr;
    tigress__msg m;
    bool answered;
    tigress_status rc;

    rc = tigress__transfer_read(t, NULL, 0, prefer_wait_s, &rr, not_modified, &answered);
    if (rc == TIGRESS_E_NOT_FOUND)
        return on_gone_event(t);
    if (rc != TIGRESS_OK)
        return rc;
    if (*not_modified || tigress__transfer_data_is_last(t, rr.data)) {
        tigress__read_result_clear(&rr);
        return tigress__client_fail(t->client, TIGRESS_E_AGAIN, "no new message from the peer yet");
    }
    rc = tigress__transfer_open(t, &rr, &m);
    if (rc == TIGRESS_OK &&
        !tigress__msg_is_new(&m, t->role, t->seq > t->peer_seq ? t->seq : t->peer_seq,
                             tigress__transfer_data_is_last(t, rr.data)))
        rc = TIGRESS_E_AGAIN; /* C24: our own message reflected, or a stale one */
    else if (rc == TIGRESS_OK)
        rc = t->role == TIGRESS_ROLE_INITIATOR ? initiator_take(t, &m) : recipient_take(t, &m);
    /* Remember this payload unless it has to be looked at again (a bad signature may become
     * good once the app sets the right verifier; a bad message may be overwritten). */
    if (rc == TIGRESS_OK || rc == TIGRESS_E_AGAIN)
        tigress__transfer_note_data(t, rr.data);
    if (rc == TIGRESS_E_AGAIN)
        tigress__client_fail(t->client, TIGRESS_E_AGAIN, "no new message from the peer yet");
    tigress__msg_clear(&m);
    tigress__read_result_clear(&rr);
    return rc;
}

tigress_status tigress_transfer_poll(tigress_transfer *t)
{
    bool nm;
    tigress_status rc;

    if (t == NULL)
        return tigress__fail(TIGRESS_E_INVALID, "tigress_transfer_poll: transfer is NULL");
    tigress__client_begin(t->client);
    rc = tigress__state_check(t, TIGRESS__OP_POLL);
    if (rc != TIGRESS_OK)
        return rc;
    return tigress__flow_read_once(t, 0, &nm);
}

/* ------------------------------------------------------------------ writing */

/* The next sequence number: newer than anything this side has sent or seen. */
static uint32_t next_seq(const tigress_transfer *t)
{
    return (t->seq > t->peer_seq ? t->seq : t->peer_seq) + 1;
}

/* Seal this side's next message and PUT it. On success seq and the last data move on. */
static tigress_status send_update(tigress_transfer *t, tigress__op op, bool with_sig,
                                  bool send_token)
{
    tigress__response resp;
    uint32_t seq = next_seq(t);
    char *data = NULL, *body = NULL;
    size_t body_len = 0;
    bool push, has_push;
    tigress_status rc;

    memset(&resp, 0, sizeof(resp));
    rc = tigress__transfer_seal(t, seq, true, with_sig, &data);
    if (rc != TIGRESS_OK)
        return rc;
    body = tigress__wire_update_body(tigress_payload_type_name(t->payload_type), data,
                                     send_token ? t->token_type : NULL, t->token_data, &body_len);
    if (body == NULL) {
        rc = tigress__client_fail(t->client, TIGRESS_E_NOMEM, "out of memory");
        goto out;
    }
    rc = mutate(t, op, "PUT", body, body_len, &resp);
    if (rc != TIGRESS_OK)
        goto out;
    (void)tigress__wire_parse_update(t->client, resp.body, resp.body_len, &push, &has_push);
    if (has_push)
        t->push_supported = push;
    tigress__transfer_adopt_etag(t, &resp);
    t->seq = seq;
    tigress__transfer_note_data(t, data);
out:
    tigress__response_clear(&resp);
    tigress__free(body);
    tigress__free(data);
    return rc;
}

tigress_status tigress_transfer_update(tigress_transfer *t, const char *txinfo_type,
                                       const uint8_t *txinfo, size_t txinfo_len)
{
    tigress_client *c;
    tigress_status rc;

    if (t == NULL)
        return tigress__fail(TIGRESS_E_INVALID, "tigress_transfer_update: transfer is NULL");
    c = t->client;
    tigress__client_begin(c);
    if (txinfo_type == NULL || txinfo_type[0] == '\0' || txinfo == NULL || txinfo_len == 0 ||
        txinfo_len > TIGRESS__TXINFO_MAX)
        return tigress__client_fail(c, TIGRESS_E_INVALID, "tigress_transfer_update: a TxInfo type "
                                    "and 1 to 16384 bytes of TxInfo are required");
    rc = tigress__state_check(t, TIGRESS__OP_UPDATE);
    if (rc == TIGRESS_OK && t->secret == NULL)
        rc = tigress__client_fail(c, TIGRESS_E_KEY, "the transfer was imported without its Secret");
    if (rc == TIGRESS_OK)
        rc = refresh_content(t);
    if (rc != TIGRESS_OK)
        return rc;
    /* The TxInfo goes into the transfer for sealing; it is taken out again on failure so that
     * the transfer is as it was. */
    t->txinfo_type = tigress__strdup(txinfo_type);
    t->txinfo = tigress__malloc(txinfo_len);
    if (t->txinfo_type == NULL || t->txinfo == NULL) {
        rc = tigress__client_fail(c, TIGRESS_E_NOMEM, "out of memory");
    } else {
        memcpy(t->txinfo, txinfo, txinfo_len);
        t->txinfo_len = txinfo_len;
        /* An unknown flow becomes stateful by sending TxInfo; message 2 says so. */
        if (t->flow_unknown)
            t->stateful = true;
        /* docs/protocol.md D4: the Recipient's token also rides on its first Update. */
        rc = send_update(t, TIGRESS__OP_UPDATE, false,
                         t->token_type != NULL && !t->token_sent_on_update);
    }
    if (rc == TIGRESS_OK) {
        t->token_sent_on_update = true;
        t->flow_unknown = false;
        return tigress__state_apply(t, TIGRESS__EV_UPDATED);
    }
    if (t->flow_unknown)
        t->stateful = false;
    tigress__free_wiped_str(t->txinfo_type);
    tigress__free(t->txinfo);
    t->txinfo_type = NULL;
    t->txinfo = NULL;
    t->txinfo_len = 0;
    if (rc == TIGRESS_E_NOT_FOUND)
        return on_gone_event(t);
    return rc;
}

/* Call the signer over "tigress-txinfo-v1" || mailbox id || TxInfo. */
static tigress_status sign_txinfo(tigress_transfer *t, const tigress_signer *s)
{
    tigress_client *c = t->client;
    uint8_t sig[TIGRESS_SIGNATURE_MAX];
    size_t sig_len = sizeof(sig), input_len = 0;
    uint8_t *input = tigress__msg_sig_input(t->mailbox_id, t->txinfo, t->txinfo_len, &input_len);
    int sr;

    if (input == NULL)
        return tigress__client_fail(c, TIGRESS_E_NOMEM, "out of memory");
    sr = s->sign(input, input_len, sig, &sig_len, s->user_data);
    tigress__free(input);
    if (sr != 0) {
        sodium_memzero(sig, sizeof(sig));
        if (sr > 0)
            sr = TIGRESS_E_SIGNATURE;
        return tigress__client_fail(c, (tigress_status)sr, "the signer failed (%d)", sr);
    }
    if (sig_len == 0 || sig_len > sizeof(sig))
        return tigress__client_fail(c, TIGRESS_E_SIGNATURE, "the signer returned %zu bytes", sig_len);
    t->sig = tigress__malloc(sig_len);
    t->sig_alg = tigress__strdup(s->alg);
    if (t->sig == NULL || t->sig_alg == NULL)
        return tigress__client_fail(c, TIGRESS_E_NOMEM, "out of memory");
    memcpy(t->sig, sig, sig_len);
    t->sig_len = sig_len;
    return TIGRESS_OK;
}

tigress_status tigress_transfer_approve(tigress_transfer *t, const tigress_signer *signer)
{
    tigress_client *c;
    tigress_status rc;

    if (t == NULL)
        return tigress__fail(TIGRESS_E_INVALID, "tigress_transfer_approve: transfer is NULL");
    c = t->client;
    tigress__client_begin(c);
    if (signer == NULL || signer->sign == NULL || signer->alg == NULL || signer->alg[0] == '\0')
        return tigress__client_fail(c, TIGRESS_E_INVALID,
                                    "tigress_transfer_approve: a signer with alg and sign() is required");
    if (signer->version < 1 || signer->version > TIGRESS_SIGNER_VERSION)
        return tigress__client_fail(c, TIGRESS_E_VERSION, "unsupported tigress_signer version %u",
                                    signer->version);
    rc = tigress__state_check(t, TIGRESS__OP_APPROVE);
    if (rc == TIGRESS_OK && t->secret == NULL)
        rc = tigress__client_fail(c, TIGRESS_E_KEY, "the transfer was imported without its Secret");
    if (rc == TIGRESS_OK)
        rc = refresh_content(t);
    if (rc != TIGRESS_OK)
        return rc;
    rc = sign_txinfo(t, signer);
    if (rc == TIGRESS_OK)
        rc = send_update(t, TIGRESS__OP_APPROVE, true, false);
    if (rc == TIGRESS_OK)
        return tigress__state_apply(t, TIGRESS__EV_APPROVED);
    tigress__free_wiped_str(t->sig_alg);
    tigress__free(t->sig);
    t->sig_alg = NULL;
    t->sig = NULL;
    t->sig_len = 0;
    if (rc == TIGRESS_E_NOT_FOUND) {
        bool expired;
        tigress_status gone = tigress__state_on_gone(t, &expired);
        if (expired)
            return gone;
    }
    return rc;
}

/* ------------------------------------------------------------------ ending */

/* DELETE or PATCH with the transfer's claim; a 404 is handled by the caller. */
static tigress_status finish(tigress_transfer *t, tigress__op op, const char *method,
                             tigress__event ev)
{
    tigress__response resp;
    tigress_status rc;

    if (t == NULL)
        return tigress__fail(TIGRESS_E_INVALID, "%s: transfer is NULL", tigress__op_name(op));
    tigress__client_begin(t->client);
    rc = tigress__state_check(t, op);
    if (rc != TIGRESS_OK)
        return rc;
    memset(&resp, 0, sizeof(resp));
    rc = mutate(t, op, method, NULL, 0, &resp);
    tigress__response_clear(&resp);
    if (rc == TIGRESS_E_NOT_FOUND) {
        bool expired;
        tigress_status gone = tigress__state_on_gone(t, &expired);

        if (expired)
            return gone;
        if (op == TIGRESS__OP_RELINQUISH)
            return on_gone_event(t); /* the Initiator deleted it: REVOKED */
        /* C22: a DELETE of a mailbox already gone counts as done. */
        tigress__error_clear(tigress__client_error(t->client));
        rc = TIGRESS_OK;
    }
    if (rc != TIGRESS_OK)
        return rc;
    /* Completing without TxInfo settles an unknown flow as stateless. */
    if (op == TIGRESS__OP_COMPLETE)
        t->flow_unknown = false;
    return tigress__state_apply(t, ev);
}

tigress_status tigress_transfer_revoke(tigress_transfer *t)
{
    return finish(t, TIGRESS__OP_REVOKE, "DELETE", TIGRESS__EV_REVOKED);
}

tigress_status tigress_transfer_relinquish(tigress_transfer *t)
{
    return finish(t, TIGRESS__OP_RELINQUISH, "PATCH", TIGRESS__EV_RELINQUISHED);
}

tigress_status tigress_transfer_complete(tigress_transfer *t)
{
    return finish(t, TIGRESS__OP_COMPLETE, "DELETE", TIGRESS__EV_COMPLETED);
}

/* ------------------------------------------------------------------ wait */

tigress_status tigress_transfer_wait_options_init(tigress_wait_options *opts, unsigned int version)
{
    static const tigress_wait_options init = TIGRESS_WAIT_OPTIONS_INIT;

    if (opts == NULL)
        return tigress__fail(TIGRESS_E_INVALID, "tigress_transfer_wait_options_init: opts is NULL");
    if (version != TIGRESS_WAIT_OPTIONS_VERSION)
        return tigress__fail(TIGRESS_E_VERSION, "unsupported tigress_wait_options version %u",
                             version);
    memcpy(opts, &init, sizeof(init));
    return TIGRESS_OK;
}

/* The polling schedule by time already waited: 5 s for 30 s, 10 s to 2 min, 30 s to 10 min,
 * then 60 s. */
static long backoff_ms(int64_t elapsed_ms)
{
    if (elapsed_ms < 30 * 1000)
        return 5 * 1000;
    if (elapsed_ms < 2 * 60 * 1000)
        return 10 * 1000;
    if (elapsed_ms < 10 * 60 * 1000)
        return 30 * 1000;
    return 60 * 1000;
}

/* A long-poll that returns at once twice in a row means the relay does not hold reads: use
 * the polling schedule for the rest of this wait rather than spin. */
#define LONG_POLL_FAST_MS 1000
#define LONG_POLL_FAST_MAX 2

static long wait_delay(const tigress_transfer *t, const tigress_wait_options *o, int64_t elapsed,
                       bool long_poll)
{
    long delay = long_poll ? 0 : backoff_ms(elapsed);
    int64_t to_expiry = (t->expires_at - (int64_t)time(NULL)) * 1000;

    if (o->timeout_ms > 0 && delay > o->timeout_ms - elapsed)
        delay = (long)(o->timeout_ms - elapsed);
    /* Wake up at the expiration so that it is reported then, not a minute later. */
    if (to_expiry >= 0 && delay > to_expiry + 1000)
        delay = (long)to_expiry + 1000;
    return delay < 0 ? 0 : delay;
}

static int long_poll_seconds(const tigress_wait_options *o, int64_t elapsed)
{
    int64_t left;

    if (o->timeout_ms <= 0)
        return TIGRESS__LONG_POLL_S;
    left = (o->timeout_ms - elapsed + 999) / 1000;
    if (left < 1)
        return 1;
    return left < TIGRESS__LONG_POLL_S ? (int)left : TIGRESS__LONG_POLL_S;
}

tigress_status tigress_transfer_wait(tigress_transfer *t, const tigress_wait_options *opts)
{
    static const tigress_wait_options defaults = TIGRESS_WAIT_OPTIONS_INIT;
    const tigress_wait_options *o = opts != NULL ? opts : &defaults;
    tigress_client *c;
    int64_t start;
    unsigned int attempt, fast = 0;
    tigress_status rc;

    if (t == NULL)
        return tigress__fail(TIGRESS_E_INVALID, "tigress_transfer_wait: transfer is NULL");
    c = t->client;
    tigress__client_begin(c);
    if (o->version < 1 || o->version > TIGRESS_WAIT_OPTIONS_VERSION)
        return tigress__client_fail(c, TIGRESS_E_VERSION, "unsupported tigress_wait_options "
                                    "version %u", o->version);
    if (o->timeout_ms < 0)
        return tigress__client_fail(c, TIGRESS_E_INVALID, "wait options: timeout_ms is negative");
    start = tigress__now_ms();
    for (attempt = 1;; attempt++) {
        bool long_poll = t->etag != NULL && !o->disable_long_poll && fast < LONG_POLL_FAST_MAX;
        bool nm = false;
        int64_t before, elapsed;
        long delay;

        if (tigress__client_cancelled(c))
            return tigress__client_fail(c, TIGRESS_E_CANCELLED, "tigress_transfer_wait was cancelled");
        rc = tigress__state_check(t, TIGRESS__OP_POLL); /* expiry is checked on every round */
        if (rc != TIGRESS_OK)
            return rc;
        before = tigress__now_ms();
        elapsed = before - start;
        rc = tigress__flow_read_once(t, long_poll ? long_poll_seconds(o, elapsed) : 0, &nm);
        if (rc != TIGRESS_E_AGAIN)
            return rc;
        if (long_poll)
            fast = tigress__now_ms() - before < LONG_POLL_FAST_MS ? fast + 1 : 0;
        elapsed = tigress__now_ms() - start;
        if (o->timeout_ms > 0 && elapsed >= o->timeout_ms)
            return tigress__client_fail(c, TIGRESS_E_TIMEOUT, "no message from the peer within "
                                        "%ld ms", o->timeout_ms);
        long_poll = t->etag != NULL && !o->disable_long_poll && fast < LONG_POLL_FAST_MAX;
        delay = wait_delay(t, o, elapsed, long_poll);
        if (o->progress != NULL)
            o->progress(attempt, delay, o->user_data);
        if (delay > 0) {
            rc = tigress__client_sleep(c, delay);
            if (rc == TIGRESS_E_CANCELLED)
                return tigress__client_fail(c, rc, "tigress_transfer_wait was cancelled");
        }
    }
}
