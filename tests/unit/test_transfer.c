/*
 * Share and redeem over the mock transport's fake relay: the stateless flow end to end for the
 * three payload types, what goes on the wire (C2, C3, C4, C12, C14, C21), retries (C4, C6),
 * status mapping (C23), reflection (C24), relay policy (C1, C15), binding (revoke, relinquish,
 * a third device) and wrong Secrets or tampered payloads (C10).
 */
#include "transfer_fixture.h"
#include "helpers/ref_aead.h"

#include <cjson/cJSON.h>

static void stateless_flow(fx *f, tigress_payload_type type)
{
    tigress_transfer *init = fx_share(f, 0, type), *rec;
    const char *id = tigress_transfer_mailbox_id(init);
    char expect[128];

    assert_int_equal(tigress_transfer_state(init), TIGRESS_STATE_CREATED);
    assert_int_equal(tigress_transfer_role(init), TIGRESS_ROLE_INITIATOR);
    assert_string_equal(mock_relay_access_rights(f->m, id), "RD"); /* C21 */
    /* C12: {urlLink}?v=c#Secret, and the URL without the Secret has no fragment. */
    snprintf(expect, sizeof(expect), "https://relay.test/v1/m/%s?v=c#", id);
    assert_memory_equal(tigress_transfer_share_url(init), expect, strlen(expect));
    snprintf(expect, sizeof(expect), "https://relay.test/v1/m/%s?v=c", id);
    assert_string_equal(tigress_transfer_url(init), expect);

    rec = fx_redeem(f, init);
    assert_int_equal(tigress_transfer_state(rec), TIGRESS_STATE_REDEEMED);
    assert_int_equal(tigress_transfer_role(rec), TIGRESS_ROLE_RECIPIENT);
    assert_false(tigress_transfer_is_stateful(rec));
    assert_int_equal(tigress_transfer_payload_type(rec), type);
    assert_string_equal(tigress_transfer_mailbox_id(rec), id);
    assert_string_equal(tigress_transfer_format(rec), FX_FORMAT);
    assert_string_equal(tigress_transfer_content(rec), FX_CONTENT);
    assert_string_equal(tigress_transfer_title(rec), "Car key");
    assert_string_equal(tigress_transfer_description(rec), "A key for the blue car");
    assert_string_equal(tigress_transfer_image_url(rec), "https://img.example/car.png");
    assert_int_equal(tigress_transfer_vertical(rec), 'c');
    assert_int_equal(tigress_transfer_expires_at(rec), tigress_transfer_expires_at(init));
    assert_string_equal(tigress_transfer_share_url(rec), tigress_transfer_share_url(init));

    assert_int_equal(tigress_transfer_complete(rec), TIGRESS_OK);
    assert_int_equal(tigress_transfer_state(rec), TIGRESS_STATE_COMPLETED);
    assert_false(mock_relay_mailbox_exists(f->m, id));
    /* The Initiator learns of the completion from the 404. */
    assert_int_equal(tigress_transfer_poll(init), TIGRESS_OK);
    assert_int_equal(tigress_transfer_state(init), TIGRESS_STATE_COMPLETED);

    fx_assert_headers(f, true);
    fx_assert_secret_never_sent(f, tigress_transfer_secret(init));
    fx_assert_secret_not_in_errors(f, tigress_transfer_secret(init));
    /* C2: request 0 is the Initiator's create, request 1 the Recipient's read. */
    assert_string_not_equal(fx_claim(f, 0), fx_claim(f, 1));
    assert_string_equal(fx_claim(f, 1), fx_claim(f, 2));  /* the Recipient's DELETE */
    assert_string_equal(fx_claim(f, 0), fx_claim(f, 3));  /* the Initiator's read */
    tigress_transfer_free(rec);
    tigress_transfer_free(init);
}

static void test_transfer__stateless_flow_xsalsa20(void **state)
{
    stateless_flow(*state, TIGRESS_PAYLOAD_XSALSA20_POLY1305);
}

static void test_transfer__stateless_flow_aes128(void **state)
{
    stateless_flow(*state, TIGRESS_PAYLOAD_AES_128_GCM);
}

static void test_transfer__stateless_flow_aes256(void **state)
{
    stateless_flow(*state, TIGRESS_PAYLOAD_AES_256_GCM);
}

/* The CreateMailbox body: payload, display, configuration, token only when given (C16, C21). */
static void test_transfer__create_body_shape(void **state)
{
    fx *f = *state;
    tigress_share_options o = fx_share_opts(1, TIGRESS_PAYLOAD_AES_128_GCM);
    tigress_transfer *t = NULL;
    cJSON *j;
    const cJSON *cfg, *tok;

    assert_int_equal(tigress_share_create(&t, f->a, &o), TIGRESS_OK);
    assert_string_equal(fx_req(f, 0)->method, "POST");
    assert_string_equal(fx_req(f, 0)->url, "https://relay.test/v1/m");
    j = cJSON_Parse(fx_req(f, 0)->body);
    assert_non_null(j);
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "payload"), "type")->valuestring,
                        "AEAD_AES_128_GCM");
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "displayInformation"),
                                            "title")->valuestring, "Car key");
    cfg = cJSON_GetObjectItem(j, "mailboxConfiguration");
    assert_string_equal(cJSON_GetObjectItem(cfg, "accessRights")->valuestring, "RWD");
    assert_int_equal(strlen(cJSON_GetObjectItem(cfg, "expiration")->valuestring), 20);
    assert_int_equal(cJSON_GetObjectItem(cfg, "expiration")->valuestring[19], 'Z');
    assert_null(cJSON_GetObjectItem(j, "notificationToken"));
    /* The content is only inside the ciphertext. */
    assert_null(strstr(fx_req(f, 0)->body, "genericSharingData"));
    cJSON_Delete(j);
    tigress_transfer_free(t);

    o.notification_token_type = "webpush";
    o.notification_token_data = "https://push.example/abc";
    assert_int_equal(tigress_share_create(&t, f->a, &o), TIGRESS_OK);
    j = cJSON_Parse(mock_request_last(f->m)->body);
    tok = cJSON_GetObjectItem(j, "notificationToken");
    assert_string_equal(cJSON_GetObjectItem(tok, "type")->valuestring, "webpush");
    assert_string_equal(cJSON_GetObjectItem(tok, "tokenData")->valuestring, "https://push.example/abc");
    assert_non_null(mock_relay_token(f->m, tigress_transfer_mailbox_id(t), false));
    cJSON_Delete(j);
    tigress_transfer_free(t);
}

/* The Recipient's token goes in the body of its first read (docs/protocol.md D4). */
static void test_transfer__recipient_token_on_first_read(void **state)
{
    fx *f = *state;
    tigress_transfer *init = fx_share(f, 0, TIGRESS_PAYLOAD_XSALSA20_POLY1305), *rec = NULL;
    tigress_redeem_options o = TIGRESS_REDEEM_OPTIONS_INIT;

    o.share_url = tigress_transfer_share_url(init);
    o.notification_token_type = "webpush";
    o.notification_token_data = "https://push.example/recipient";
    assert_int_equal(tigress_redeem(&rec, f->b, &o), TIGRESS_OK);
    assert_non_null(strstr(mock_request_last(f->m)->body, "\"notificationToken\""));
    assert_non_null(strstr(mock_relay_token(f->m, tigress_transfer_mailbox_id(init), true),
                           "push.example/recipient"));
    tigress_transfer_free(rec);
    tigress_transfer_free(init);
}

/* C2: each transfer has its own claim. */
static void test_transfer__claim_fresh_per_transfer(void **state)
{
    fx *f = *state;
    tigress_transfer *t1 = fx_share(f, 0, TIGRESS_PAYLOAD_XSALSA20_POLY1305);
    tigress_transfer *t2 = fx_share(f, 0, TIGRESS_PAYLOAD_XSALSA20_POLY1305);

    assert_string_not_equal(fx_claim(f, 0), fx_claim(f, 1));
    assert_string_not_equal(tigress_transfer_mailbox_id(t1), tigress_transfer_mailbox_id(t2));
    tigress_transfer_free(t1);
    tigress_transfer_free(t2);
}

/* C13, C14: the Secret sent apart, as URL-safe unpadded text; nothing of it on the wire. */
static void test_transfer__secret_apart_never_sent(void **state)
{
    fx *f = *state;
    tigress_transfer *init = fx_share(f, 0, TIGRESS_PAYLOAD_AES_256_GCM), *rec = NULL;
    tigress_redeem_options o = TIGRESS_REDEEM_OPTIONS_INIT;
    char text[64];

    snprintf(text, sizeof(text), "%s", tigress_secret_text(tigress_transfer_secret(init)));
    for (char *p = text; *p != '\0'; p++)
        *p = *p == '+' ? '-' : *p == '/' ? '_' : *p;
    text[strcspn(text, "=")] = '\0';
    o.share_url = tigress_transfer_url(init);
    o.secret = text;
    assert_int_equal(tigress_redeem(&rec, f->b, &o), TIGRESS_OK);
    assert_string_equal(tigress_transfer_content(rec), FX_CONTENT);
    assert_int_equal(tigress_transfer_complete(rec), TIGRESS_OK);
    fx_assert_secret_never_sent(f, tigress_transfer_secret(init));
    tigress_transfer_free(rec);

    /* No Secret anywhere: E_KEY before any request. */
    mock_requests_clear(f->m);
    o.secret = NULL;
    assert_int_equal(tigress_redeem(&rec, f->b, &o), TIGRESS_E_KEY);
    assert_null(rec);
    assert_int_equal(mock_request_count(f->m), 0);
    tigress_transfer_free(init);
}

/* C4, C6: the create's response is lost; the retry reuses the Request-ID and gets the same
 * mailbox back (201), so there is only one. */
static void test_transfer__create_retry_reuses_request_id(void **state)
{
    fx *f = *state;
    tigress_transfer *t;

    mock_relay_drop_responses(f->m, 1);
    t = fx_share(f, 0, TIGRESS_PAYLOAD_XSALSA20_POLY1305);
    assert_int_equal(mock_request_count(f->m), 2);
    assert_string_equal(mock_request_header(fx_req(f, 0), "Mailbox-Request-ID"),
                        mock_request_header(fx_req(f, 1), "Mailbox-Request-ID"));
    assert_string_equal(fx_claim(f, 0), fx_claim(f, 1));
    assert_int_equal(mock_relay_mailbox_count(f->m), 1);
    assert_int_equal(mock_relay_duplicate_count(f->m), 1);
    assert_string_equal(tigress_transfer_mailbox_id(t), mock_relay_last_mailbox_id(f->m));
    tigress_transfer_free(t);
}

/* C23: every relay status is a typed error, with the HTTP status in the detail, and the
 * transfer's state does not move. */
static void test_transfer__error_statuses_mapped(void **state)
{
    static const struct { int http; tigress_status rc; } cases[] = {
        { 400, TIGRESS_E_BAD_REQUEST }, { 401, TIGRESS_E_UNAUTHORIZED },
        { 413, TIGRESS_E_TOO_LARGE }, { 429, TIGRESS_E_RATE_LIMITED },
        { 503, TIGRESS_E_UNAVAILABLE }, { 500, TIGRESS_E_SERVER }, { 418, TIGRESS_E_SERVER },
    };
    fx *f = *state;
    tigress_client_options co = TIGRESS_CLIENT_OPTIONS_INIT;
    tigress_client *c;
    tigress_share_options so = fx_share_opts(0, TIGRESS_PAYLOAD_XSALSA20_POLY1305);
    tigress_transfer *init = NULL, *rec = NULL;

    /* No retries, so that one forced status is what the call sees. */
    co.max_retries = TIGRESS_RETRIES_NONE;
    c = mock_client_new(f->m, &co);
    assert_int_equal(tigress_share_create(&init, c, &so), TIGRESS_OK);
    assert_int_equal(fx_redeem_url(f, c, tigress_transfer_share_url(init), &rec), TIGRESS_OK);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        mock_relay_force_status(f->m, cases[i].http, -1);
        assert_int_equal(tigress_transfer_complete(rec), cases[i].rc);
        assert_int_equal(tigress_client_last_error(c)->code, cases[i].rc);
        assert_int_equal(tigress_client_last_error(c)->http_status, cases[i].http);
        assert_int_equal(tigress_transfer_state(rec), TIGRESS_STATE_REDEEMED);
        mock_relay_force_status(f->m, cases[i].http, -1);
        assert_int_equal(tigress_transfer_poll(init), cases[i].rc);
        assert_int_equal(tigress_transfer_state(init), TIGRESS_STATE_CREATED);
    }
    /* And the share itself. */
    mock_relay_force_status(f->m, 400, -1);
    {
        tigress_share_options o = fx_share_opts(0, TIGRESS_PAYLOAD_XSALSA20_POLY1305);
        tigress_transfer *t = (tigress_transfer *)1;
        assert_int_equal(tigress_share_create(&t, c, &o), TIGRESS_E_BAD_REQUEST);
        assert_null(t);
    }
    assert_int_equal(tigress_transfer_complete(rec), TIGRESS_OK);
    tigress_transfer_free(rec);
    tigress_transfer_free(init);
    tigress_client_free(c);
}

/* A plaintext over the SDK's limit is refused before anything is sent: E_TOO_LARGE with a
 * message naming both sizes, http_status 0 (no HTTP exchange), no request. */
static void test_transfer__plaintext_over_limit_not_sent(void **state)
{
    fx *f = *state;
    size_t n = 17u * 1024u * 1024u;
    char *big = malloc(n + 32);
    tigress_share_options so = fx_share_opts(0, TIGRESS_PAYLOAD_XSALSA20_POLY1305);
    tigress_transfer *t = NULL;
    const tigress_error *e;
    size_t before = mock_request_count(f->m);

    assert_non_null(big);
    strcpy(big, "{\"note\":\"");
    memset(big + 9, 'A', n);
    strcpy(big + 9 + n, "\"}");
    so.content_json = big;
    assert_int_equal(tigress_share_create(&t, f->a, &so), TIGRESS_E_TOO_LARGE);
    assert_null(t);
    e = tigress_client_last_error(f->a);
    print_message("%s\n", e->message);
    assert_int_equal(e->code, TIGRESS_E_TOO_LARGE);
    assert_int_equal(e->http_status, 0);
    assert_null(strstr(e->message, "413"));
    assert_non_null(strstr(e->message, "16777216"));     /* the limit */
    assert_non_null(strstr(e->message, "bytes"));
    assert_int_equal(mock_request_count(f->m), before);
    free(big);
}

/* C24: right after the create, the slot holds the Initiator's own message: nothing new. */
static void test_transfer__own_message_is_not_new(void **state)
{
    fx *f = *state;
    tigress_transfer *t = fx_share(f, 1, TIGRESS_PAYLOAD_XSALSA20_POLY1305);
    tigress_transfer *s = fx_share(f, 0, TIGRESS_PAYLOAD_AES_128_GCM);

    assert_int_equal(tigress_transfer_poll(t), TIGRESS_E_AGAIN);
    assert_int_equal(tigress_client_last_error(f->a)->code, TIGRESS_E_AGAIN);
    assert_int_equal(tigress_transfer_state(t), TIGRESS_STATE_CREATED);
    assert_int_equal(tigress_transfer_poll(s), TIGRESS_E_AGAIN);
    assert_int_equal(tigress_transfer_state(s), TIGRESS_STATE_CREATED);
    /* Also when the data has to be decrypted to tell (the hash shortcut forgotten). */
    t->has_last_data = false;
    assert_int_equal(tigress_transfer_poll(t), TIGRESS_E_AGAIN);
    assert_int_equal(tigress_transfer_state(t), TIGRESS_STATE_CREATED);
    tigress_transfer_free(t);
    tigress_transfer_free(s);
}

/* Revoke before anyone redeemed: the Recipient finds nothing. */
static void test_transfer__revoke_before_redeem(void **state)
{
    fx *f = *state;
    tigress_transfer *init = fx_share(f, 0, TIGRESS_PAYLOAD_XSALSA20_POLY1305), *rec = NULL;

    assert_int_equal(tigress_transfer_revoke(init), TIGRESS_OK);
    assert_int_equal(tigress_transfer_state(init), TIGRESS_STATE_REVOKED);
    assert_string_equal(mock_request_last(f->m)->method, "DELETE");
    assert_int_equal(fx_redeem_url(f, f->b, tigress_transfer_share_url(init), &rec),
                     TIGRESS_E_NOT_FOUND);
    assert_null(rec);
    assert_int_equal(tigress_client_last_error(f->b)->http_status, 404);
    tigress_transfer_free(init);
}

/* Relinquish lets a second device redeem; a third device is refused while one is bound. */
static void test_transfer__relinquish_then_second_recipient(void **state)
{
    fx *f = *state;
    tigress_transfer *init = fx_share(f, 0, TIGRESS_PAYLOAD_AES_128_GCM), *r1, *r2 = NULL, *r3 = NULL;
    tigress_client *c3 = mock_client_new(f->m, NULL);
    const char *id = tigress_transfer_mailbox_id(init);

    r1 = fx_redeem(f, init);
    assert_int_equal(fx_redeem_url(f, c3, tigress_transfer_share_url(init), &r3),
                     TIGRESS_E_UNAUTHORIZED); /* a third device while one is bound */
    assert_null(r3);
    assert_int_equal(tigress_transfer_relinquish(r1), TIGRESS_OK);
    assert_string_equal(mock_request_last(f->m)->method, "PATCH");
    assert_int_equal(tigress_transfer_state(r1), TIGRESS_STATE_RELINQUISHED);
    assert_null(mock_relay_recipient(f->m, id));
    assert_int_equal(fx_redeem_url(f, c3, tigress_transfer_share_url(init), &r2), TIGRESS_OK);
    assert_string_equal(tigress_transfer_content(r2), FX_CONTENT);
    assert_int_equal(fx_redeem_url(f, f->b, tigress_transfer_share_url(init), &r3),
                     TIGRESS_E_UNAUTHORIZED); /* the first one cannot come back */
    assert_int_equal(tigress_transfer_complete(r2), TIGRESS_OK);
    tigress_transfer_free(r1);
    tigress_transfer_free(r2);
    tigress_transfer_free(init);
    tigress_client_free(c3);
}

/* C10: a wrong Secret is E_CRYPTO, no transfer, no plaintext; the binding is given back so
 * that the right Secret still works. */
static void test_transfer__wrong_secret(void **state)
{
    fx *f = *state;
    tigress_transfer *init = fx_share(f, 0, TIGRESS_PAYLOAD_XSALSA20_POLY1305), *rec = NULL;
    tigress_secret *other = NULL;
    tigress_redeem_options o = TIGRESS_REDEEM_OPTIONS_INIT;

    assert_int_equal(tigress_secret_generate(&other, TIGRESS_PAYLOAD_XSALSA20_POLY1305), TIGRESS_OK);
    o.share_url = tigress_transfer_url(init);
    o.secret = tigress_secret_text(other);
    rec = (tigress_transfer *)1;
    assert_int_equal(tigress_redeem(&rec, f->b, &o), TIGRESS_E_CRYPTO);
    assert_null(rec);
    assert_null(strstr(tigress_client_last_error(f->b)->message, tigress_secret_text(other)));
    assert_null(mock_relay_recipient(f->m, tigress_transfer_mailbox_id(init)));
    /* A Secret of the wrong length for the payload type. */
    tigress_secret_free(other);
    assert_int_equal(tigress_secret_generate(&other, TIGRESS_PAYLOAD_AES_128_GCM), TIGRESS_OK);
    o.secret = tigress_secret_text(other);
    assert_int_equal(tigress_redeem(&rec, f->b, &o), TIGRESS_E_KEY);
    assert_null(rec);
    o.secret = NULL;
    o.share_url = tigress_transfer_share_url(init);
    assert_int_equal(tigress_redeem(&rec, f->b, &o), TIGRESS_OK);
    tigress_secret_free(other);
    tigress_transfer_free(rec);
    tigress_transfer_free(init);
}

/* Flip one character of the stored ciphertext and serve it: E_CRYPTO, state unchanged. */
static void test_transfer__tampered_payload(void **state)
{
    fx *f = *state;
    tigress_transfer *init = fx_share(f, 1, TIGRESS_PAYLOAD_AES_256_GCM), *rec = NULL;
    cJSON *p = cJSON_Parse(mock_relay_payload(f->m, tigress_transfer_mailbox_id(init)));
    cJSON *resp = cJSON_CreateObject();
    char *data, *body;

    data = cJSON_GetObjectItem(p, "data")->valuestring;
    data[20] = data[20] == 'A' ? 'B' : 'A';
    cJSON_AddItemToObject(resp, "payload", p);
    cJSON_AddStringToObject(resp, "expiration", "2099-01-01T00:00:00Z");
    body = cJSON_PrintUnformatted(resp);
    mock_push_response(f->m, 200, body);
    assert_int_equal(fx_redeem_url(f, f->b, tigress_transfer_share_url(init), &rec), TIGRESS_E_CRYPTO);
    assert_null(rec);
    /* The Initiator reading the same tampered slot. */
    mock_push_response(f->m, 200, body);
    assert_int_equal(tigress_transfer_poll(init), TIGRESS_E_CRYPTO);
    assert_int_equal(tigress_transfer_state(init), TIGRESS_STATE_CREATED);
    free(body);
    cJSON_Delete(resp);
    tigress_transfer_free(init);
}

/* C1, C15: relay policy is applied before any request. */
static void test_transfer__relay_policy_before_any_request(void **state)
{
    fx *f = *state;
    const char *allow[] = { "other.example" };
    tigress_client_options co = TIGRESS_CLIENT_OPTIONS_INIT;
    tigress_client *c;
    tigress_transfer *init = fx_share(f, 0, TIGRESS_PAYLOAD_XSALSA20_POLY1305), *t = NULL;
    tigress_share_options so = fx_share_opts(0, TIGRESS_PAYLOAD_XSALSA20_POLY1305);
    size_t before = mock_request_count(f->m);

    co.relay_allow_list = allow;
    co.relay_allow_list_count = 1;
    c = mock_client_new(f->m, &co);
    assert_int_equal(fx_redeem_url(f, c, tigress_transfer_share_url(init), &t), TIGRESS_E_NOT_ALLOWED);
    assert_int_equal(tigress_share_create(&t, c, &so), TIGRESS_E_NOT_ALLOWED);
    so.relay_url = "http://relay.test";
    assert_int_equal(tigress_share_create(&t, f->a, &so), TIGRESS_E_INSECURE);
    assert_int_equal(fx_redeem_url(f, f->b, "http://relay.test/v1/m/2bba630e-519b-41ec-bf63-0242ac130002#AAAAAAAAAAAAAAAAAAAAAA==", &t),
                     TIGRESS_E_INSECURE);
    assert_int_equal(fx_redeem_url(f, f->b, "https://relay.test/v2/x", &t), TIGRESS_E_URL);
    assert_null(t);
    assert_int_equal(mock_request_count(f->m), before);
    tigress_client_free(c);
    tigress_transfer_free(init);
}

/* Bad options: typed errors, nothing sent. */
static void test_transfer__bad_options(void **state)
{
    fx *f = *state;
    tigress_share_options o;
    tigress_transfer *t = NULL;
    tigress_redeem_options ro = TIGRESS_REDEEM_OPTIONS_INIT;
    char long_title[300];

    memset(long_title, 'x', sizeof(long_title) - 1);
    long_title[sizeof(long_title) - 1] = '\0';
#define EXPECT_SHARE(field, value, code)                                 \
    o = fx_share_opts(0, TIGRESS_PAYLOAD_XSALSA20_POLY1305);             \
    o.field = value;                                                     \
    assert_int_equal(tigress_share_create(&t, f->a, &o), code);          \
    assert_null(t)
    EXPECT_SHARE(version, 0, TIGRESS_E_VERSION);
    EXPECT_SHARE(version, 2, TIGRESS_E_VERSION);
    EXPECT_SHARE(relay_url, NULL, TIGRESS_E_INVALID);
    EXPECT_SHARE(format, "", TIGRESS_E_INVALID);
    EXPECT_SHARE(content_json, "[1,2]", TIGRESS_E_INVALID);
    EXPECT_SHARE(content_json, "{\"a\":1} trailing", TIGRESS_E_INVALID);
    EXPECT_SHARE(title, NULL, TIGRESS_E_INVALID);
    EXPECT_SHARE(title, long_title, TIGRESS_E_INVALID);
    EXPECT_SHARE(image_url, "http://img.example/x.png", TIGRESS_E_INVALID);
    EXPECT_SHARE(vertical, 'x', TIGRESS_E_INVALID);
    EXPECT_SHARE(payload_type, (tigress_payload_type)7, TIGRESS_E_UNSUPPORTED);
    EXPECT_SHARE(notification_token_type, "webpush", TIGRESS_E_INVALID);
    EXPECT_SHARE(attestation, "a\r\nX-Evil: 1", TIGRESS_E_INVALID);
    EXPECT_SHARE(expires_at, 1000, TIGRESS_E_INVALID);
#undef EXPECT_SHARE
    assert_int_equal(tigress_share_create(NULL, f->a, &o), TIGRESS_E_INVALID);
    assert_int_equal(tigress_share_create(&t, NULL, &o), TIGRESS_E_INVALID);
    assert_int_equal(tigress_redeem(&t, f->b, NULL), TIGRESS_E_INVALID);
    assert_int_equal(tigress_redeem(&t, f->b, &ro), TIGRESS_E_INVALID);
    ro.version = 9;
    ro.share_url = "https://relay.test/v1/m/2bba630e-519b-41ec-bf63-0242ac130002";
    assert_int_equal(tigress_redeem(&t, f->b, &ro), TIGRESS_E_VERSION);
    assert_int_equal(mock_request_count(f->m), 0);

    /* The _init functions give the macro's bytes. */
    {
        static const tigress_share_options a = TIGRESS_SHARE_OPTIONS_INIT;
        static const tigress_redeem_options c = TIGRESS_REDEEM_OPTIONS_INIT;
        static const tigress_wait_options e = TIGRESS_WAIT_OPTIONS_INIT;
        tigress_share_options b;
        tigress_redeem_options d;
        tigress_wait_options g;

        memset(&b, 0xAB, sizeof(b));
        memset(&d, 0xAB, sizeof(d));
        memset(&g, 0xAB, sizeof(g));
        assert_int_equal(tigress_share_options_init(&b, TIGRESS_SHARE_OPTIONS_VERSION), TIGRESS_OK);
        assert_int_equal(tigress_redeem_options_init(&d, TIGRESS_REDEEM_OPTIONS_VERSION), TIGRESS_OK);
        assert_int_equal(tigress_transfer_wait_options_init(&g, TIGRESS_WAIT_OPTIONS_VERSION),
                         TIGRESS_OK);
        assert_memory_equal(&a, &b, sizeof(a));
        assert_memory_equal(&c, &d, sizeof(c));
        assert_memory_equal(&e, &g, sizeof(e));
        assert_int_equal(tigress_share_options_init(&b, 2), TIGRESS_E_VERSION);
        assert_int_equal(tigress_redeem_options_init(NULL, 1), TIGRESS_E_INVALID);
        assert_int_equal(tigress_transfer_wait_options_init(&g, 0), TIGRESS_E_VERSION);
    }
}

/* The relay's urlLink must be a mailbox URL; anything else is a protocol error. */
static void test_transfer__bad_create_response(void **state)
{
    fx *f = *state;
    tigress_share_options o = fx_share_opts(0, TIGRESS_PAYLOAD_XSALSA20_POLY1305);
    tigress_transfer *t = NULL;
    static const char *const bodies[] = {
        "{\"isPushNotificationSupported\":false}",
        "{\"urlLink\":\"https://relay.test/v1/x/1\"}",
        "{\"urlLink\":\"https://relay.test/v1/m/2bba630e-519b-41ec-bf63-0242ac130002#abc\"}",
        "not json", "[]", "",
    };

    for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
        mock_push_response(f->m, 200, bodies[i]);
        assert_int_equal(tigress_share_create(&t, f->a, &o), TIGRESS_E_PROTOCOL);
        assert_null(t);
    }
    mock_push_response(f->m, 200, "{\"urlLink\":\"https://relay.test/v1/m/2BBA630E-519B-41EC-BF63-0242AC130002\","
                                  "\"isPushNotificationSupported\":true}");
    assert_int_equal(tigress_share_create(&t, f->a, &o), TIGRESS_OK);
    assert_string_equal(tigress_transfer_mailbox_id(t), "2bba630e-519b-41ec-bf63-0242ac130002");
    assert_true(tigress_transfer_push_supported(t));
    tigress_transfer_free(t);
}

/* Serve a read response whose payload is plaintext pt sealed under t's Secret. */
static void push_sealed(fx *f, const tigress_transfer *t, const char *pt)
{
    tigress_buf data = {0};
    char body[4096];

    assert_int_equal(tigress_payload_seal(&data, tigress_transfer_payload_type(t),
                                          tigress_transfer_secret(t), (const uint8_t *)pt,
                                          strlen(pt)), TIGRESS_OK);
    snprintf(body, sizeof(body), "{\"payload\":{\"type\":\"%s\",\"data\":\"%s\"},"
             "\"displayInformation\":{\"title\":\"T\",\"description\":\"D\",\"imageURL\":\"\"},"
             "\"expiration\":\"2099-01-01T00:00:00Z\"}",
             tigress_payload_type_name(tigress_transfer_payload_type(t)), (const char *)data.ptr);
    mock_push_response(f->m, 200, body);
    tigress_buf_dispose(&data);
}

/* C11: another implementation's message (no "tigress", unknown keys) is accepted; a message
 * without format or content, or with a malformed "tigress", is E_FORMAT and gives no transfer. */
static void test_transfer__interop_and_malformed_plaintext(void **state)
{
    fx *f = *state;
    tigress_transfer *init = fx_share(f, 0, TIGRESS_PAYLOAD_AES_128_GCM), *rec = NULL;
    static const char *const bad[] = {
        "{\"content\":{}}", "{\"format\":\"f\"}", "{\"format\":\"f\",\"content\":[]}",
        "{\"format\":1,\"content\":{}}", "not json", "[]",
        "{\"format\":\"f\",\"content\":{},\"tigress\":{\"role\":\"x\",\"seq\":1}}",
        "{\"format\":\"f\",\"content\":{},\"tigress\":{\"role\":\"initiator\",\"seq\":0}}",
        "{\"format\":\"f\",\"content\":{},\"txInfo\":{\"type\":\"t\",\"data\":\"!!\"}}",
    };

    push_sealed(f, init, "{\"format\":\"other.format\",\"content\":{\"k\":[1,\"two\"]},"
                         "\"vendorExtra\":{\"x\":true}}");
    assert_int_equal(fx_redeem_url(f, f->b, tigress_transfer_share_url(init), &rec), TIGRESS_OK);
    assert_string_equal(tigress_transfer_format(rec), "other.format");
    assert_string_equal(tigress_transfer_content(rec), "{\"k\":[1,\"two\"]}");
    assert_false(tigress_transfer_is_stateful(rec));
    assert_string_equal(tigress_transfer_title(rec), "T");
    tigress_transfer_free(rec);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        rec = (tigress_transfer *)1;
        push_sealed(f, init, bad[i]);
        assert_int_equal(fx_redeem_url(f, f->b, tigress_transfer_share_url(init), &rec),
                         TIGRESS_E_FORMAT);
        assert_null(rec);
    }
    tigress_transfer_free(init);
}

/* Accessors are NULL-safe; free(NULL) is a no-op. */
static void test_transfer__accessors_null_safe(void **state)
{
    (void)state;
    tigress_transfer_free(NULL);
    assert_int_equal(tigress_transfer_state(NULL), 0);
    assert_null(tigress_transfer_share_url(NULL));
    assert_null(tigress_transfer_content(NULL));
    assert_null(tigress_transfer_secret(NULL));
    assert_int_equal(tigress_transfer_txinfo(NULL, NULL, NULL, NULL), TIGRESS_E_INVALID);
    assert_int_equal(tigress_transfer_poll(NULL), TIGRESS_E_INVALID);
    assert_int_equal(tigress_transfer_wait(NULL, NULL), TIGRESS_E_INVALID);
    assert_int_equal(tigress_transfer_revoke(NULL), TIGRESS_E_INVALID);
    assert_string_equal(tigress_state_name(TIGRESS_STATE_TXINFO_RECEIVED), "TXINFO_RECEIVED");
    assert_string_equal(tigress_state_name((tigress_state)99), "UNKNOWN");
}

/* ---- the per-client AEAD provider (tigress/sys/aead.h) ---- */

/* A provider of its own (the tests' reference AES-GCM, counted), so the test can tell that
 * the client's provider was used rather than the process default or the built-in code. */
typedef struct {
    tigress_aead_provider inner;
    unsigned seals, opens;
    int refuse; /* answer TIGRESS_E_UNSUPPORTED */
} counting_aead;

static int counting_seal(tigress_payload_type type, const uint8_t *key, size_t key_len,
                         const uint8_t *nonce, size_t nonce_len, const uint8_t *pt,
                         size_t pt_len, uint8_t *ct, uint8_t *tag, size_t tag_len, void *ud)
{
    counting_aead *a = ud;

    a->seals++;
    if (a->refuse)
        return TIGRESS_E_UNSUPPORTED;
    return a->inner.seal(type, key, key_len, nonce, nonce_len, pt, pt_len, ct, tag, tag_len,
                         a->inner.user_data);
}

static int counting_open(tigress_payload_type type, const uint8_t *key, size_t key_len,
                         const uint8_t *nonce, size_t nonce_len, const uint8_t *ct,
                         size_t ct_len, const uint8_t *tag, size_t tag_len, uint8_t *pt,
                         void *ud)
{
    counting_aead *a = ud;

    a->opens++;
    if (a->refuse)
        return TIGRESS_E_UNSUPPORTED;
    return a->inner.open(type, key, key_len, nonce, nonce_len, ct, ct_len, tag, tag_len, pt,
                         a->inner.user_data);
}

static void client_provider_flow(fx *f, int stateful, tigress_payload_type type)
{
    counting_aead ca;
    tigress_aead_provider p;
    tigress_client_options o = TIGRESS_CLIENT_OPTIONS_INIT;
    tigress_client *a, *b;
    tigress_transfer *init, *rec = NULL;
    tigress_share_options so = fx_share_opts(stateful, type);

    memset(&ca, 0, sizeof(ca));
    ref_aead_provider(&ca.inner);
    assert_int_equal(tigress_aead_provider_init(&p, TIGRESS_AEAD_PROVIDER_VERSION), TIGRESS_OK);
    p.seal = counting_seal;
    p.open = counting_open;
    p.user_data = &ca;
    o.aead_provider = &p;
    a = mock_client_new(f->m, &o);
    b = mock_client_new(f->m, &o);
    memset(&p, 0, sizeof(p)); /* copied by tigress_client_new */
    assert_int_equal(tigress_share_create(&init, a, &so), TIGRESS_OK);
    assert_int_equal(fx_redeem_url(f, b, tigress_transfer_share_url(init), &rec), TIGRESS_OK);
    assert_string_equal(tigress_transfer_content(rec), FX_CONTENT);
    if (type == TIGRESS_PAYLOAD_XSALSA20_POLY1305) {
        assert_int_equal(ca.seals + ca.opens, 0); /* never reaches a provider */
    } else {
        assert_true(ca.seals >= 1);
        assert_true(ca.opens >= 1);
    }
    tigress_transfer_free(rec);
    tigress_transfer_free(init);
    /* A provider that refuses the type: a typed error naming it, nothing created. */
    ca.refuse = 1;
    init = NULL;
    if (type != TIGRESS_PAYLOAD_XSALSA20_POLY1305) {
        assert_int_equal(tigress_share_create(&init, a, &so), TIGRESS_E_UNSUPPORTED);
        assert_null(init);
        assert_non_null(strstr(tigress_client_last_error(a)->message,
                               tigress_payload_type_name(type)));
    }
    tigress_client_free(a);
    tigress_client_free(b);
}

static void test_transfer__client_aead_provider_all_types_both_flows(void **state)
{
    static const tigress_payload_type types[] = { TIGRESS_PAYLOAD_XSALSA20_POLY1305,
                                                  TIGRESS_PAYLOAD_AES_128_GCM,
                                                  TIGRESS_PAYLOAD_AES_256_GCM };

    for (int stateful = 0; stateful <= 1; stateful++)
        for (size_t i = 0; i < 3; i++)
            client_provider_flow(*state, stateful, types[i]);
}

/* An expiration after 2038 and after 2106 from the relay round-trips as int64_t. */
static void test_transfer__expiration_past_2106(void **state)
{
    fx *f = *state;
    tigress_transfer *init = fx_share(f, 0, TIGRESS_PAYLOAD_XSALSA20_POLY1305), *rec = NULL;
    cJSON *p = cJSON_Parse(mock_relay_payload(f->m, tigress_transfer_mailbox_id(init)));
    cJSON *resp = cJSON_CreateObject();
    char *body;

    cJSON_AddItemToObject(resp, "payload", p);
    cJSON_AddStringToObject(resp, "expiration", "2107-01-01T00:00:00Z");
    body = cJSON_PrintUnformatted(resp);
    mock_push_response(f->m, 200, body);
    assert_int_equal(fx_redeem_url(f, f->b, tigress_transfer_share_url(init), &rec), TIGRESS_OK);
    assert_true(tigress_transfer_expires_at(rec) == INT64_C(4323283200));
    free(body);
    cJSON_Delete(resp);
    tigress_transfer_free(rec);
    tigress_transfer_free(init);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, fx_setup, fx_teardown)
        T(test_transfer__stateless_flow_xsalsa20),
        T(test_transfer__stateless_flow_aes128),
        T(test_transfer__stateless_flow_aes256),
        T(test_transfer__client_aead_provider_all_types_both_flows),
        T(test_transfer__expiration_past_2106),
        T(test_transfer__create_body_shape),
        T(test_transfer__recipient_token_on_first_read),
        T(test_transfer__claim_fresh_per_transfer),
        T(test_transfer__secret_apart_never_sent),
        T(test_transfer__create_retry_reuses_request_id),
        T(test_transfer__error_statuses_mapped),
        T(test_transfer__plaintext_over_limit_not_sent),
        T(test_transfer__own_message_is_not_new),
        T(test_transfer__revoke_before_redeem),
        T(test_transfer__relinquish_then_second_recipient),
        T(test_transfer__wrong_secret),
        T(test_transfer__tampered_payload),
        T(test_transfer__relay_policy_before_any_request),
        T(test_transfer__bad_options),
        T(test_transfer__bad_create_response),
        T(test_transfer__interop_and_malformed_plaintext),
        T(test_transfer__accessors_null_safe),
#undef T
    };
    /* Paired global init/cleanup: the library gives back everything it holds (the fetched
     * AES-GCM ciphers too), so valgrind-unit's "still reachable" check stays meaningful. */
    if (tigress_global_init() != TIGRESS_OK)
        return 1;
    int failed = cmocka_run_group_tests_name("transfer", tests, NULL, NULL);
    tigress_global_cleanup();
    return failed;
}
