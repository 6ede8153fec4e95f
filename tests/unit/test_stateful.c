/*
 * The stateful flow over the fake relay: TxInfo (message 2), the Initiator's signature
 * (message 3), verification, replays (C24), a lost Update response retried with the same
 * Request-ID across calls (C4), and tigress_transfer_wait: the back-off schedule on the fake
 * clock, long-polls, cancel from another thread, and the end of the transfer while waiting.
 */
#include "transfer_fixture.h"

#include <pthread.h>
#include <time.h>

static const uint8_t TXINFO[] = { 0x04, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99 };

static void stateful_flow(fx *f, tigress_payload_type type)
{
    tigress_transfer *init = fx_share(f, 1, type), *rec;
    const char *tt = NULL, *alg = NULL;
    const uint8_t *td = NULL, *sig = NULL, *sig2 = NULL;
    size_t tl = 0, sl = 0, sl2 = 0;
    const char *id = tigress_transfer_mailbox_id(init);

    assert_string_equal(mock_relay_access_rights(f->m, id), "RWD"); /* C21 */
    rec = fx_redeem(f, init);
    assert_true(tigress_transfer_is_stateful(rec));
    assert_int_equal(tigress_transfer_txinfo(rec, &tt, &td, &tl), TIGRESS_E_STATE);
    /* A stateful Recipient may not complete before the signature arrived. */
    assert_int_equal(tigress_transfer_complete(rec), TIGRESS_E_STATE);

    assert_int_equal(tigress_transfer_update(rec, "publicKey", TXINFO, sizeof(TXINFO)), TIGRESS_OK);
    assert_int_equal(tigress_transfer_state(rec), TIGRESS_STATE_WAITING_FOR_PEER);
    assert_int_equal(tigress_transfer_poll(rec), TIGRESS_E_AGAIN); /* C24: its own message */

    assert_int_equal(tigress_transfer_poll(init), TIGRESS_OK);
    assert_int_equal(tigress_transfer_state(init), TIGRESS_STATE_TXINFO_RECEIVED);
    assert_int_equal(tigress_transfer_txinfo(init, &tt, &td, &tl), TIGRESS_OK);
    assert_string_equal(tt, "publicKey");
    assert_int_equal(tl, sizeof(TXINFO));
    assert_memory_equal(td, TXINFO, sizeof(TXINFO));
    assert_int_equal(tigress_transfer_poll(init), TIGRESS_E_STATE); /* must approve first */

    assert_int_equal(tigress_transfer_approve(init, &f->signer), TIGRESS_OK);
    assert_int_equal(tigress_transfer_state(init), TIGRESS_STATE_WAITING_FOR_PEER);
    assert_int_equal(tigress_transfer_signature(init, &alg, &sig, &sl), TIGRESS_OK);
    assert_string_equal(alg, "Ed25519");
    assert_int_equal(sl, 64);
    assert_int_equal(tigress_transfer_poll(init), TIGRESS_E_AGAIN); /* its own message 3 */

    assert_int_equal(tigress_transfer_poll(rec), TIGRESS_OK);
    assert_int_equal(tigress_transfer_state(rec), TIGRESS_STATE_SIGNED);
    assert_int_equal(tigress_transfer_signature(rec, &alg, &sig2, &sl2), TIGRESS_OK);
    assert_int_equal(sl2, sl);
    assert_memory_equal(sig, sig2, sl);
    assert_string_equal(tigress_transfer_content(rec), FX_CONTENT);
    assert_int_equal(tigress_transfer_complete(rec), TIGRESS_OK);
    assert_int_equal(tigress_transfer_state(rec), TIGRESS_STATE_COMPLETED);
    assert_int_equal(tigress_transfer_poll(init), TIGRESS_OK);
    assert_int_equal(tigress_transfer_state(init), TIGRESS_STATE_COMPLETED);

    fx_assert_headers(f, true);
    fx_assert_secret_never_sent(f, tigress_transfer_secret(init));
    fx_assert_secret_not_in_errors(f, tigress_transfer_secret(init));
    assert_string_not_equal(fx_claim(f, 0), fx_claim(f, 1)); /* C2 */
    tigress_transfer_free(rec);
    tigress_transfer_free(init);
}

static void test_stateful__flow_xsalsa20(void **state)
{
    stateful_flow(*state, TIGRESS_PAYLOAD_XSALSA20_POLY1305);
}

static void test_stateful__flow_aes128(void **state)
{
    stateful_flow(*state, TIGRESS_PAYLOAD_AES_128_GCM);
}

static void test_stateful__flow_aes256(void **state)
{
    stateful_flow(*state, TIGRESS_PAYLOAD_AES_256_GCM);
}

/* Share and redeem a stateful transfer, the Recipient at WAITING_FOR_PEER. */
static void to_waiting(fx *f, tigress_transfer **init, tigress_transfer **rec)
{
    *init = fx_share(f, 1, TIGRESS_PAYLOAD_XSALSA20_POLY1305);
    *rec = fx_redeem(f, *init);
    assert_int_equal(tigress_transfer_update(*rec, "publicKey", TXINFO, sizeof(TXINFO)), TIGRESS_OK);
}

typedef struct seen_msg {
    uint8_t msg[256];
    size_t len;
    int result;
} seen_msg;

static int recording_verify(const char *alg, const uint8_t *msg, size_t msg_len, const uint8_t *sig,
                            size_t sig_len, void *user_data)
{
    seen_msg *s = user_data;

    (void)alg;
    (void)sig;
    (void)sig_len;
    assert_true(msg_len <= sizeof(s->msg));
    memcpy(s->msg, msg, msg_len);
    s->len = msg_len;
    return s->result;
}

/* The signature covers exactly "tigress-txinfo-v1" || mailbox id || TxInfo bytes; a verifier
 * that says no is E_SIGNATURE with the state unchanged, and a later good one is accepted. */
static void test_stateful__signature_input_and_bad_signature(void **state)
{
    fx *f = *state;
    tigress_transfer *init, *rec;
    seen_msg seen = { .result = TIGRESS_E_SIGNATURE };
    tigress_verifier v = { TIGRESS_SIGNER_VERSION, recording_verify, &seen };
    uint8_t expect[256];
    size_t n = 0;

    to_waiting(f, &init, &rec);
    assert_int_equal(tigress_transfer_poll(init), TIGRESS_OK);
    assert_int_equal(tigress_transfer_approve(init, &f->signer), TIGRESS_OK);
    assert_int_equal(tigress_transfer_set_verifier(rec, &v), TIGRESS_OK);
    assert_int_equal(tigress_transfer_poll(rec), TIGRESS_E_SIGNATURE);
    assert_int_equal(tigress_transfer_state(rec), TIGRESS_STATE_WAITING_FOR_PEER);
    assert_int_equal(tigress_transfer_signature(rec, NULL, NULL, NULL), TIGRESS_E_STATE);
    memcpy(expect, "tigress-txinfo-v1", 17);
    n = 17;
    memcpy(expect + n, tigress_transfer_mailbox_id(rec), 36);
    n += 36;
    memcpy(expect + n, TXINFO, sizeof(TXINFO));
    n += sizeof(TXINFO);
    assert_int_equal(seen.len, n);
    assert_memory_equal(seen.msg, expect, n);
    /* The same bad signature again: still rejected (not swallowed as "seen"). */
    assert_int_equal(tigress_transfer_poll(rec), TIGRESS_E_SIGNATURE);
    /* A verifier for another key. */
    {
        tigress_ed25519_key *k2 = NULL;
        uint8_t pub2[32];
        tigress_verifier v2;

        assert_int_equal(tigress_ed25519_key_generate(&k2), TIGRESS_OK);
        assert_int_equal(tigress_ed25519_key_public(k2, pub2, sizeof(pub2)), TIGRESS_OK);
        assert_int_equal(tigress_verifier_ed25519(&v2, pub2), TIGRESS_OK);
        assert_int_equal(tigress_transfer_set_verifier(rec, &v2), TIGRESS_OK);
        assert_int_equal(tigress_transfer_poll(rec), TIGRESS_E_SIGNATURE);
        assert_int_equal(tigress_transfer_state(rec), TIGRESS_STATE_WAITING_FOR_PEER);
        tigress_ed25519_key_free(k2);
    }
    assert_int_equal(tigress_transfer_set_verifier(rec, &f->verifier), TIGRESS_OK);
    assert_int_equal(tigress_transfer_poll(rec), TIGRESS_OK);
    assert_int_equal(tigress_transfer_state(rec), TIGRESS_STATE_SIGNED);
    tigress_transfer_free(rec);
    tigress_transfer_free(init);
}

/* Without a verifier the signature cannot be accepted. */
static void test_stateful__no_verifier(void **state)
{
    fx *f = *state;
    tigress_transfer *init = fx_share(f, 1, TIGRESS_PAYLOAD_AES_128_GCM), *rec = NULL;
    tigress_redeem_options o = TIGRESS_REDEEM_OPTIONS_INIT;

    o.share_url = tigress_transfer_share_url(init);
    assert_int_equal(tigress_redeem(&rec, f->b, &o), TIGRESS_OK);
    assert_int_equal(tigress_transfer_update(rec, "k", TXINFO, 3), TIGRESS_OK);
    assert_int_equal(tigress_transfer_poll(init), TIGRESS_OK);
    assert_int_equal(tigress_transfer_approve(init, &f->signer), TIGRESS_OK);
    assert_int_equal(tigress_transfer_poll(rec), TIGRESS_E_SIGNATURE);
    assert_non_null(strstr(tigress_client_last_error(f->b)->message, "verifier"));
    assert_int_equal(tigress_transfer_set_verifier(rec, &f->verifier), TIGRESS_OK);
    assert_int_equal(tigress_transfer_poll(rec), TIGRESS_OK);
    tigress_transfer_free(rec);
    tigress_transfer_free(init);
}

static int failing_sign(const uint8_t *msg, size_t msg_len, uint8_t *sig, size_t *sig_len,
                        void *user_data)
{
    (void)msg; (void)msg_len; (void)sig; (void)sig_len; (void)user_data;
    return TIGRESS_E_USER_MIN - 7;
}

/* A signer's own code comes back unchanged; nothing is sent; the state stays. */
static void test_stateful__signer_failure(void **state)
{
    fx *f = *state;
    tigress_transfer *init, *rec;
    tigress_signer s = { TIGRESS_SIGNER_VERSION, "Ed25519", failing_sign, NULL };
    size_t before;

    to_waiting(f, &init, &rec);
    assert_int_equal(tigress_transfer_poll(init), TIGRESS_OK);
    before = mock_request_count(f->m);
    assert_int_equal(tigress_transfer_approve(init, &s), TIGRESS_E_USER_MIN - 7);
    assert_int_equal(tigress_transfer_approve(init, NULL), TIGRESS_E_INVALID);
    s.version = 5;
    assert_int_equal(tigress_transfer_approve(init, &s), TIGRESS_E_VERSION);
    assert_int_equal(mock_request_count(f->m), before);
    assert_int_equal(tigress_transfer_state(init), TIGRESS_STATE_TXINFO_RECEIVED);
    assert_int_equal(tigress_transfer_signature(init, NULL, NULL, NULL), TIGRESS_E_STATE);
    assert_int_equal(tigress_transfer_update(rec, NULL, TXINFO, 1), TIGRESS_E_INVALID);
    assert_int_equal(tigress_transfer_update(rec, "k", TXINFO, 0), TIGRESS_E_INVALID);
    assert_int_equal(tigress_transfer_update(rec, "k", TXINFO, 16385), TIGRESS_E_INVALID);
    tigress_transfer_free(rec);
    tigress_transfer_free(init);
}

/* C24: a replayed older message (the Initiator's message 1, served again after the Recipient's
 * Update) is not new; nor is a reflected message of the reader's own role. */
static void test_stateful__stale_replay_rejected(void **state)
{
    fx *f = *state;
    tigress_transfer *init = fx_share(f, 1, TIGRESS_PAYLOAD_AES_256_GCM), *rec;
    char *msg1, body[4096];

    msg1 = strdup(mock_relay_payload(f->m, tigress_transfer_mailbox_id(init)));
    rec = fx_redeem(f, init);
    assert_int_equal(tigress_transfer_update(rec, "publicKey", TXINFO, sizeof(TXINFO)), TIGRESS_OK);
    snprintf(body, sizeof(body), "{\"payload\":%s,\"expiration\":\"2099-01-01T00:00:00Z\"}", msg1);
    mock_push_response(f->m, 200, body);
    assert_int_equal(tigress_transfer_poll(rec), TIGRESS_E_AGAIN);
    assert_int_equal(tigress_transfer_state(rec), TIGRESS_STATE_WAITING_FOR_PEER);
    /* The Initiator is served its own message 1 with a different nonce-free hash path. */
    init->has_last_data = false;
    mock_push_response(f->m, 200, body);
    assert_int_equal(tigress_transfer_poll(init), TIGRESS_E_AGAIN);
    assert_int_equal(tigress_transfer_state(init), TIGRESS_STATE_CREATED);
    /* The real message 2 is still taken. */
    assert_int_equal(tigress_transfer_poll(init), TIGRESS_OK);
    free(msg1);
    tigress_transfer_free(rec);
    tigress_transfer_free(init);
}

/* Interop: a Recipient implementation that writes no "tigress" member. Its message is new
 * because its data differs from the last one seen (the Initiator's own message 1). */
static void test_stateful__interop_message_without_tigress(void **state)
{
    fx *f = *state;
    tigress_transfer *init = fx_share(f, 1, TIGRESS_PAYLOAD_XSALSA20_POLY1305);
    const char *pt = "{\"format\":\"" FX_FORMAT "\",\"content\":{},"
                     "\"txInfo\":{\"type\":\"publicKey\",\"data\":\"BBEiM0Q=\"}}";
    tigress_buf data = {0};
    char body[4096];
    const char *tt = NULL;
    const uint8_t *td = NULL;
    size_t tl = 0;

    assert_int_equal(tigress_payload_seal(&data, TIGRESS_PAYLOAD_XSALSA20_POLY1305,
                                          tigress_transfer_secret(init), (const uint8_t *)pt,
                                          strlen(pt)), TIGRESS_OK);
    snprintf(body, sizeof(body), "{\"payload\":{\"type\":\"XSALSA20_POLY1305\",\"data\":\"%s\"},"
             "\"expiration\":\"2099-01-01T00:00:00Z\"}", (const char *)data.ptr);
    mock_push_response(f->m, 200, body);
    assert_int_equal(tigress_transfer_poll(init), TIGRESS_OK);
    assert_int_equal(tigress_transfer_state(init), TIGRESS_STATE_TXINFO_RECEIVED);
    assert_int_equal(tigress_transfer_txinfo(init, &tt, &td, &tl), TIGRESS_OK);
    assert_int_equal(tl, 5);
    assert_memory_equal(td, "\x04\x11\x22\x33", 4);
    /* The approval is numbered after the Recipient's message: seq 3. */
    assert_int_equal(init->peer_seq, 2);
    assert_int_equal(tigress_transfer_approve(init, &f->signer), TIGRESS_OK);
    assert_int_equal(init->seq, 3);
    tigress_buf_dispose(&data);
    tigress_transfer_free(init);
}

/* ---- A draft-only Initiator (docs/protocol.md §5, §7): its messages have no "tigress" member.
 * It writes into the libtigress Initiator's mailbox with that Initiator's claim, so the mock
 * relay treats it as the mailbox's Initiator. */

static void draft_put(fx *f, tigress_transfer *init, const char *pt)
{
    tigress_buf data = {0};
    tigress__request req;
    tigress__response resp;
    char body[8192];

    assert_int_equal(tigress_payload_seal(&data, TIGRESS_PAYLOAD_AES_128_GCM,
                                          tigress_transfer_secret(init), (const uint8_t *)pt,
                                          strlen(pt)), TIGRESS_OK);
    snprintf(body, sizeof(body), "{\"payload\":{\"type\":\"AEAD_AES_128_GCM\",\"data\":\"%s\"}}",
             (const char *)data.ptr);
    memset(&req, 0, sizeof(req));
    memset(&resp, 0, sizeof(resp));
    req.method = "PUT";
    req.url = init->mailbox_url;
    req.claim = init->claim;
    req.body = body;
    req.body_len = strlen(body);
    assert_int_equal(tigress__http_call(f->a, &req, &resp), TIGRESS_OK);
    assert_int_equal(resp.status, 200);
    tigress__response_clear(&resp);
    tigress_buf_dispose(&data);
}

/* Message 3 of a draft-only Initiator: the TxInfo and a signature by key over the §5 input. */
static void draft_approve(fx *f, tigress_transfer *init, const char *mailbox_id,
                          tigress_ed25519_key *key)
{
    tigress_signer s;
    uint8_t input[17 + 36 + sizeof(TXINFO)], sig[64];
    size_t sig_len = sizeof(sig);
    char tx_b64[64], sig_b64[128], pt[1024];

    assert_int_equal(tigress_signer_ed25519(&s, key), TIGRESS_OK);
    memcpy(input, "tigress-txinfo-v1", 17);
    memcpy(input + 17, mailbox_id, 36);
    memcpy(input + 53, TXINFO, sizeof(TXINFO));
    assert_int_equal(s.sign(input, sizeof(input), sig, &sig_len, s.user_data), 0);
    assert_int_equal(sig_len, 64);
    sodium_bin2base64(tx_b64, sizeof(tx_b64), TXINFO, sizeof(TXINFO),
                      sodium_base64_VARIANT_ORIGINAL);
    sodium_bin2base64(sig_b64, sizeof(sig_b64), sig, sig_len, sodium_base64_VARIANT_ORIGINAL);
    snprintf(pt, sizeof(pt), "{\"format\":\"com.example.homekey\",\"content\":{\"door\":\"front\"},"
             "\"txInfo\":{\"type\":\"publicKey\",\"data\":\"%s\"},"
             "\"signature\":{\"alg\":\"Ed25519\",\"value\":\"%s\"}}", tx_b64, sig_b64);
    draft_put(f, init, pt);
}

#define DRAFT_MSG1 "{\"format\":\"com.example.homekey\",\"content\":{\"door\":\"front\"}}"

/* A draft-only Initiator (AES-128-GCM, rights RWD, message 1 without "tigress"): the Recipient
 * does not know the flow, may send TxInfo (which makes it stateful), survives an export/import
 * in between, rejects a forged approval and accepts the Initiator's signed one. */
static void test_stateful__draft_initiator_recipient_updates(void **state)
{
    fx *f = *state;
    tigress_transfer *init = fx_share(f, 1, TIGRESS_PAYLOAD_AES_128_GCM), *rec, *back = NULL;
    tigress_ed25519_key *forger = NULL;
    tigress_buf blob = {0};
    char id[37];
    const char *tt = NULL;
    const uint8_t *td = NULL;
    size_t tl = 0;

    memcpy(id, tigress_transfer_mailbox_id(init), sizeof(id));
    draft_put(f, init, DRAFT_MSG1);
    rec = fx_redeem(f, init);
    assert_int_equal(tigress_transfer_flow(rec), TIGRESS_FLOW_UNKNOWN);
    assert_string_equal(tigress_flow_name(tigress_transfer_flow(rec)), "unknown");
    assert_false(tigress_transfer_is_stateful(rec));
    assert_string_equal(tigress_transfer_format(rec), "com.example.homekey");

    /* The CLI keeps a transfer between commands as an export: the open flow survives it. */
    assert_int_equal(tigress_transfer_export(rec, 0, &blob), TIGRESS_OK);
    assert_non_null(strstr((const char *)blob.ptr, "\"flowUnknown\":true"));
    assert_int_equal(tigress_transfer_import(&back, f->b, blob.ptr, blob.size, NULL), TIGRESS_OK);
    assert_int_equal(tigress_transfer_flow(back), TIGRESS_FLOW_UNKNOWN);
    tigress_transfer_free(back);
    tigress_buf_dispose(&blob);

    assert_int_equal(tigress_transfer_update(rec, "publicKey", TXINFO, sizeof(TXINFO)), TIGRESS_OK);
    assert_int_equal(tigress_transfer_state(rec), TIGRESS_STATE_WAITING_FOR_PEER);
    assert_int_equal(tigress_transfer_flow(rec), TIGRESS_FLOW_STATEFUL);
    assert_true(tigress_transfer_is_stateful(rec));
    /* What the Initiator reads is message 2 with the TxInfo (libtigress's Initiator here). */
    assert_int_equal(tigress_transfer_poll(init), TIGRESS_OK);
    assert_int_equal(tigress_transfer_txinfo(init, &tt, &td, &tl), TIGRESS_OK);
    assert_string_equal(tt, "publicKey");
    assert_int_equal(tl, sizeof(TXINFO));
    assert_memory_equal(td, TXINFO, sizeof(TXINFO));

    /* A forged approval (another key) is a signature error; the state stays. */
    assert_int_equal(tigress_ed25519_key_generate(&forger), TIGRESS_OK);
    draft_approve(f, init, id, forger);
    assert_int_equal(tigress_transfer_poll(rec), TIGRESS_E_SIGNATURE);
    assert_int_equal(tigress_transfer_state(rec), TIGRESS_STATE_WAITING_FOR_PEER);
    tigress_ed25519_key_free(forger);

    /* The Initiator's own approval, still without "tigress". */
    draft_approve(f, init, id, f->key);
    assert_int_equal(tigress_transfer_poll(rec), TIGRESS_OK);
    assert_int_equal(tigress_transfer_state(rec), TIGRESS_STATE_SIGNED);
    assert_int_equal(tigress_transfer_complete(rec), TIGRESS_OK);
    assert_int_equal(tigress_transfer_state(rec), TIGRESS_STATE_COMPLETED);
    assert_int_equal(tigress_transfer_flow(rec), TIGRESS_FLOW_STATEFUL);
    tigress_transfer_free(rec);
    tigress_transfer_free(init);
}

/* The same draft-only message 1 in a stateless flow: complete is allowed and settles it. A
 * libtigress stateless message 1 still forbids update (the flow is known). */
static void test_stateful__draft_initiator_recipient_completes(void **state)
{
    fx *f = *state;
    /* Rights RWD so that the draft message can replace libtigress's message 1 (a draft-only
     * Initiator would send it in its Create). */
    tigress_transfer *init = fx_share(f, 1, TIGRESS_PAYLOAD_AES_128_GCM), *rec;
    tigress_transfer *init2 = fx_share(f, 0, TIGRESS_PAYLOAD_AES_256_GCM), *rec2;

    draft_put(f, init, DRAFT_MSG1);
    rec = fx_redeem(f, init);
    assert_int_equal(tigress_transfer_flow(rec), TIGRESS_FLOW_UNKNOWN);
    assert_int_equal(tigress_transfer_complete(rec), TIGRESS_OK);
    assert_int_equal(tigress_transfer_state(rec), TIGRESS_STATE_COMPLETED);
    assert_int_equal(tigress_transfer_flow(rec), TIGRESS_FLOW_STATELESS);

    rec2 = fx_redeem(f, init2);
    assert_int_equal(tigress_transfer_flow(rec2), TIGRESS_FLOW_STATELESS);
    assert_int_equal(tigress_transfer_flow(init2), TIGRESS_FLOW_STATELESS);
    assert_int_equal(tigress_transfer_update(rec2, "publicKey", TXINFO, sizeof(TXINFO)),
                     TIGRESS_E_STATE);
    assert_int_equal(tigress_transfer_flow(NULL), TIGRESS_FLOW_UNKNOWN);
    assert_string_equal(tigress_flow_name(TIGRESS_FLOW_STATEFUL), "stateful");
    assert_string_equal(tigress_flow_name((tigress_flow)42), "unknown");
    tigress_transfer_free(rec2);
    tigress_transfer_free(init2);
    tigress_transfer_free(rec);
    tigress_transfer_free(init);
}

/* C4: the Update's response is lost and there are no retries; the state does not move, and the
 * next tigress_transfer_update() reuses the Request-ID: the relay answers 201 and applies once. */
static void test_stateful__update_retry_same_request_id(void **state)
{
    fx *f = *state;
    tigress_client_options co = TIGRESS_CLIENT_OPTIONS_INIT;
    tigress_client *c;
    tigress_transfer *init = fx_share(f, 1, TIGRESS_PAYLOAD_XSALSA20_POLY1305), *rec = NULL;
    size_t applied, first;
    char rid[37];

    co.max_retries = TIGRESS_RETRIES_NONE;
    c = mock_client_new(f->m, &co);
    assert_int_equal(fx_redeem_url(f, c, tigress_transfer_share_url(init), &rec), TIGRESS_OK);
    applied = mock_relay_applied_count(f->m);
    mock_relay_drop_responses(f->m, 1);
    assert_int_equal(tigress_transfer_update(rec, "publicKey", TXINFO, sizeof(TXINFO)),
                     TIGRESS_E_NETWORK);
    assert_int_equal(tigress_transfer_state(rec), TIGRESS_STATE_REDEEMED);
    assert_int_equal(tigress_transfer_txinfo(rec, NULL, NULL, NULL), TIGRESS_E_STATE);
    first = mock_request_count(f->m) - 1;
    snprintf(rid, sizeof(rid), "%s", mock_request_header(fx_req(f, first), "Mailbox-Request-ID"));
    assert_int_equal(mock_relay_applied_count(f->m), applied + 1); /* the relay did apply it */
    /* Another operation in between does not use the pending ID. */
    assert_int_equal(tigress_transfer_poll(rec), TIGRESS_E_AGAIN);
    assert_string_not_equal(mock_request_header(mock_request_last(f->m), "Mailbox-Request-ID"), rid);
    assert_int_equal(tigress_transfer_update(rec, "publicKey", TXINFO, sizeof(TXINFO)), TIGRESS_OK);
    assert_string_equal(mock_request_header(mock_request_last(f->m), "Mailbox-Request-ID"), rid);
    assert_int_equal(mock_relay_duplicate_count(f->m), 1);
    assert_int_equal(mock_relay_applied_count(f->m), applied + 1);
    assert_int_equal(tigress_transfer_state(rec), TIGRESS_STATE_WAITING_FOR_PEER);
    assert_int_equal(tigress_transfer_poll(init), TIGRESS_OK);
    assert_int_equal(tigress_transfer_state(init), TIGRESS_STATE_TXINFO_RECEIVED);
    tigress_transfer_free(rec);
    tigress_transfer_free(init);
    tigress_client_free(c);
}

/* ------------------------------------------------------------------ wait */

typedef struct progress_log {
    unsigned attempts[64];
    long delays[64];
    size_t n;
} progress_log;

static void record_progress(unsigned int attempt, long next_delay_ms, void *user_data)
{
    progress_log *p = user_data;

    if (p->n < 64) {
        p->attempts[p->n] = attempt;
        p->delays[p->n] = next_delay_ms;
        p->n++;
    }
}

/* Polling schedule on the fake clock: 5 s to 30 s, 10 s to 2 min, 30 s to 10 min, then 60 s;
 * the last sleep is cut to the timeout; E_TIMEOUT, never E_AGAIN. */
static void test_stateful__wait_schedule_fake_clock(void **state)
{
    fx *f = *state;
    tigress_transfer *t = fx_share(f, 1, TIGRESS_PAYLOAD_XSALSA20_POLY1305);
    tigress_wait_options o = TIGRESS_WAIT_OPTIONS_INIT;
    progress_log log = { .n = 0 };
    size_t i = 0;

    mock_clock_install(1000000);
    o.timeout_ms = 700 * 1000;
    o.disable_long_poll = 1;
    o.progress = record_progress;
    o.user_data = &log;
    assert_int_equal(tigress_transfer_wait(t, &o), TIGRESS_E_TIMEOUT);
    assert_int_equal(tigress_transfer_state(t), TIGRESS_STATE_CREATED);
    for (int k = 0; k < 6; k++, i++)
        assert_int_equal(log.delays[i], 5000);
    for (int k = 0; k < 9; k++, i++)
        assert_int_equal(log.delays[i], 10000);
    for (int k = 0; k < 16; k++, i++)
        assert_int_equal(log.delays[i], 30000);
    assert_int_equal(log.delays[i++], 60000);
    assert_int_equal(log.delays[i++], 40000); /* cut to the timeout */
    assert_int_equal(log.n, i);
    for (size_t k = 0; k < log.n; k++) {
        assert_int_equal(log.attempts[k], k + 1);
        assert_int_equal(mock_clock_sleep_at(k), log.delays[k]);
    }
    assert_int_equal(mock_clock_sleep_count(), log.n);
    assert_int_equal(mock_request_count(f->m), 1 + log.n + 1); /* create + one read per round */
    for (size_t k = 1; k < mock_request_count(f->m); k++)
        assert_null(mock_request_header(fx_req(f, k), "Prefer"));
    tigress_transfer_free(t);
}

/* Long-poll: after a read gave an ETag, the wait asks the relay to hold the read
 * (If-None-Match + Prefer: wait); a 304 is followed at once by another long-poll, which
 * returns the Recipient's TxInfo. */
static void test_stateful__wait_long_poll_304_then_200(void **state)
{
    fx *f = *state;
    tigress_transfer *init = fx_share(f, 1, TIGRESS_PAYLOAD_AES_128_GCM), *rec;
    tigress_wait_options o = TIGRESS_WAIT_OPTIONS_INIT;
    progress_log log = { .n = 0 };
    const mock_request *r;
    size_t n0;

    mock_clock_install(0);
    assert_int_equal(tigress_transfer_poll(init), TIGRESS_E_AGAIN); /* learns the ETag */
    rec = fx_redeem(f, init);
    assert_int_equal(tigress_transfer_update(rec, "publicKey", TXINFO, sizeof(TXINFO)), TIGRESS_OK);
    n0 = mock_request_count(f->m);
    mock_push_response(f->m, 304, NULL); /* the relay held the first read and nothing changed */
    o.progress = record_progress;
    o.user_data = &log;
    assert_int_equal(tigress_transfer_wait(init, &o), TIGRESS_OK);
    assert_int_equal(tigress_transfer_state(init), TIGRESS_STATE_TXINFO_RECEIVED);
    assert_int_equal(mock_request_count(f->m), n0 + 2);
    for (size_t k = n0; k < n0 + 2; k++) {
        r = fx_req(f, k);
        assert_string_equal(mock_request_header(r, "If-None-Match"), "\"1\"");
        assert_string_equal(mock_request_header(r, "Prefer"), "wait=25");
    }
    assert_int_equal(log.n, 1);
    assert_int_equal(log.attempts[0], 1);
    assert_int_equal(log.delays[0], 0);   /* no sleep: the relay holds the next read */
    assert_int_equal(mock_clock_sleep_count(), 0);
    tigress_transfer_free(rec);
    tigress_transfer_free(init);
}

/* A relay that answers long-polls at once (304 twice) gets the polling schedule instead of a
 * spin; the wait still times out cleanly. */
static void test_stateful__wait_long_poll_fallback(void **state)
{
    fx *f = *state;
    tigress_transfer *t = fx_share(f, 1, TIGRESS_PAYLOAD_AES_128_GCM);
    tigress_wait_options o = TIGRESS_WAIT_OPTIONS_INIT;
    progress_log log = { .n = 0 };

    mock_clock_install(0);
    assert_int_equal(tigress_transfer_poll(t), TIGRESS_E_AGAIN);
    o.timeout_ms = 12000;
    o.progress = record_progress;
    o.user_data = &log;
    assert_int_equal(tigress_transfer_wait(t, &o), TIGRESS_E_TIMEOUT);
    assert_true(log.n >= 3);
    assert_int_equal(log.delays[0], 0);
    assert_int_equal(mock_relay_waits(f->m), 2); /* no more long-polls once they proved instant */
    for (size_t k = 1; k < log.n; k++)
        assert_true(log.delays[k] > 0);
    assert_int_equal(log.delays[1], 5000);
    assert_int_equal(mock_clock_slept_total(), 12000);
    tigress_transfer_free(t);
}

/* A push hint (tigress_client_wake) cuts the current sleep short: the wait reads at once. */
static void test_stateful__wait_wake_reads_at_once(void **state)
{
    fx *f = *state;
    tigress_transfer *t = fx_share(f, 1, TIGRESS_PAYLOAD_XSALSA20_POLY1305);
    tigress_wait_options o = TIGRESS_WAIT_OPTIONS_INIT;
    progress_log log = { .n = 0 };
    size_t reads0 = mock_request_count(f->m);

    mock_clock_install(0);
    o.timeout_ms = 12000;
    o.disable_long_poll = 1;
    o.progress = record_progress;
    o.user_data = &log;
    assert_int_equal(tigress_client_wake(f->a), TIGRESS_OK); /* a push arrived */
    assert_int_equal(tigress_transfer_wait(t, &o), TIGRESS_E_TIMEOUT);
    /* Without the wake: sleeps of 5, 5 and 2 s between 3 reads, then the last read. With it,
     * the first sleep is skipped (no time passes), so there is one read more. */
    assert_int_equal(log.n, 4);
    assert_int_equal(mock_clock_sleep_count(), 3);
    assert_int_equal(mock_clock_slept_total(), 12000);
    assert_int_equal(mock_request_count(f->m) - reads0, 5);
    tigress_transfer_free(t);
}

/* The end of the transfer while waiting: the Initiator sees COMPLETED (OK), the Recipient of a
 * revoked share REVOKED (E_REVOKED). */
static void test_stateful__wait_sees_end(void **state)
{
    fx *f = *state;
    tigress_transfer *init = fx_share(f, 0, TIGRESS_PAYLOAD_XSALSA20_POLY1305), *rec;
    tigress_transfer *init2 = fx_share(f, 1, TIGRESS_PAYLOAD_XSALSA20_POLY1305), *rec2;

    mock_clock_install(0);
    rec = fx_redeem(f, init);
    assert_int_equal(tigress_transfer_complete(rec), TIGRESS_OK);
    assert_int_equal(tigress_transfer_wait(init, NULL), TIGRESS_OK);
    assert_int_equal(tigress_transfer_state(init), TIGRESS_STATE_COMPLETED);

    rec2 = fx_redeem(f, init2);
    assert_int_equal(tigress_transfer_update(rec2, "k", TXINFO, 4), TIGRESS_OK);
    assert_int_equal(tigress_transfer_revoke(init2), TIGRESS_OK);
    assert_int_equal(tigress_transfer_wait(rec2, NULL), TIGRESS_E_REVOKED);
    assert_int_equal(tigress_transfer_state(rec2), TIGRESS_STATE_REVOKED);
    assert_int_equal(tigress_client_last_error(f->b)->code, TIGRESS_E_REVOKED);
    assert_int_equal(tigress_transfer_wait(rec2, NULL), TIGRESS_E_STATE);
    tigress_transfer_free(rec);
    tigress_transfer_free(init);
    tigress_transfer_free(rec2);
    tigress_transfer_free(init2);
}

typedef struct canceller {
    tigress_client *c;
    volatile int done;
} canceller;

static void *cancel_loop(void *arg)
{
    canceller *k = arg;
    struct timespec ts = { 0, 20 * 1000 * 1000 };

    /* Keep cancelling until the wait has returned: a cancel before the wait began is
     * forgotten when it starts, so one call alone could be lost. */
    while (!k->done) {
        nanosleep(&ts, NULL);
        tigress_client_cancel(k->c);
    }
    return NULL;
}

/* Cancel from another thread ends a sleeping wait with E_CANCELLED, state unchanged. */
static void test_stateful__wait_cancel_from_thread(void **state)
{
    fx *f = *state;
    tigress_transfer *t = fx_share(f, 1, TIGRESS_PAYLOAD_XSALSA20_POLY1305);
    tigress_wait_options o = TIGRESS_WAIT_OPTIONS_INIT;
    canceller k = { f->a, 0 };
    pthread_t th;

    o.disable_long_poll = 1;
    assert_int_equal(pthread_create(&th, NULL, cancel_loop, &k), 0);
    assert_int_equal(tigress_transfer_wait(t, &o), TIGRESS_E_CANCELLED);
    k.done = 1;
    pthread_join(th, NULL);
    assert_int_equal(tigress_client_last_error(f->a)->code, TIGRESS_E_CANCELLED);
    assert_int_equal(tigress_transfer_state(t), TIGRESS_STATE_CREATED);
    tigress_transfer_free(t);
}

/* docs/protocol.md D4: the Recipient's token rides on its first read and on its first Update. */
static void test_stateful__recipient_token_on_update(void **state)
{
    fx *f = *state;
    tigress_transfer *init = fx_share(f, 1, TIGRESS_PAYLOAD_AES_128_GCM), *rec = NULL;
    tigress_redeem_options o = TIGRESS_REDEEM_OPTIONS_INIT;
    const mock_request *r;

    o.share_url = tigress_transfer_share_url(init);
    o.verifier = &f->verifier;
    o.notification_token_type = "webpush";
    o.notification_token_data = "https://push.example/r1";
    assert_int_equal(tigress_redeem(&rec, f->b, &o), TIGRESS_OK);
    assert_int_equal(tigress_transfer_update(rec, "k", TXINFO, 2), TIGRESS_OK);
    r = mock_request_last(f->m);
    assert_string_equal(r->method, "PUT");
    assert_non_null(strstr(r->body, "\"notificationToken\""));
    assert_non_null(strstr(r->body, "push.example/r1"));
    assert_null(strstr(r->body, "publicKey"));   /* TxInfo only inside the ciphertext */
    assert_int_equal(tigress_transfer_poll(init), TIGRESS_OK);
    assert_int_equal(tigress_transfer_approve(init, &f->signer), TIGRESS_OK);
    assert_null(strstr(mock_request_last(f->m)->body, "notificationToken"));
    tigress_transfer_free(rec);
    tigress_transfer_free(init);
}

static void test_stateful__wait_bad_options(void **state)
{
    fx *f = *state;
    tigress_transfer *t = fx_share(f, 1, TIGRESS_PAYLOAD_XSALSA20_POLY1305);
    tigress_wait_options o = TIGRESS_WAIT_OPTIONS_INIT;
    size_t n = mock_request_count(f->m);

    o.version = 0;
    assert_int_equal(tigress_transfer_wait(t, &o), TIGRESS_E_VERSION);
    o.version = TIGRESS_WAIT_OPTIONS_VERSION;
    o.timeout_ms = -5;
    assert_int_equal(tigress_transfer_wait(t, &o), TIGRESS_E_INVALID);
    assert_int_equal(mock_request_count(f->m), n);
    tigress_transfer_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, fx_setup, fx_teardown)
        T(test_stateful__flow_xsalsa20),
        T(test_stateful__flow_aes128),
        T(test_stateful__flow_aes256),
        T(test_stateful__signature_input_and_bad_signature),
        T(test_stateful__no_verifier),
        T(test_stateful__signer_failure),
        T(test_stateful__stale_replay_rejected),
        T(test_stateful__interop_message_without_tigress),
        T(test_stateful__draft_initiator_recipient_updates),
        T(test_stateful__draft_initiator_recipient_completes),
        T(test_stateful__update_retry_same_request_id),
        T(test_stateful__wait_schedule_fake_clock),
        T(test_stateful__wait_long_poll_304_then_200),
        T(test_stateful__wait_long_poll_fallback),
        T(test_stateful__wait_wake_reads_at_once),
        T(test_stateful__wait_sees_end),
        T(test_stateful__wait_cancel_from_thread),
        T(test_stateful__recipient_token_on_update),
        T(test_stateful__wait_bad_options),
#undef T
    };
    /* Paired global init/cleanup: the library gives back everything it holds (the fetched
     * AES-GCM ciphers too), so valgrind-unit's "still reachable" check stays meaningful. */
    if (tigress_global_init() != TIGRESS_OK)
        return 1;
    int failed = cmocka_run_group_tests_name("stateful", tests, NULL, NULL);
    tigress_global_cleanup();
    return failed;
}
