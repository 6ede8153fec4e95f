/*
 * Fuzz target: relay responses, through the public API. A scripted transport
 * (tests/harness/fuzz_transport.h) answers one chosen request of a flow with the fuzz input as
 * the body, under a status, Mailbox-Request-ID echo, ETag, Retry-After and Content-Type chosen
 * by the input's first bytes. Reached: the HTTP layer's status mapping and echo check, and the
 * parsers of the CreateMailbox, read, Update and delete/relinquish responses.
 *
 * Input: [flow][status][flags][body...]. Every call must return a status code; the transfer
 * states must stay valid; ASan/valgrind report any memory error or leak.
 */
#include "fuzz.h"
#include "../harness/fuzz_transport.h"

enum { FLOW_REDEEM, FLOW_CREATE, FLOW_INITIATOR_POLL, FLOW_UPDATE, FLOW_END, FLOW_COUNT };

static const char message1[] =
    "{\"format\":\"org.iso.18013.5.1.mDL\",\"content\":{\"k\":\"v\"},"
    "\"tigress\":{\"role\":\"initiator\",\"seq\":1,\"stateful\":true}}";

static void check_state(const tigress_transfer *t)
{
    tigress_state s = tigress_transfer_state(t);

    if (s < TIGRESS_STATE_CREATED || s > TIGRESS_STATE_FAILED)
        abort();
}

static void check_error(tigress_client *c, tigress_status rc)
{
    const tigress_error *e = tigress_client_last_error(c);

    if (rc > 0 || e == NULL || e->message == NULL)
        abort();
    /* The error string must be a bounded C string (read every byte). */
    if (strlen(e->message) > 4096)
        abort();
}

/* A valid CreateMailbox answer for the Initiator flows. */
static void push_create_ok(fz_script *s)
{
    static const char body[] =
        "{\"urlLink\":\"" FZ_RELAY "/v1/m/" FZ_MAILBOX_ID "\",\"isPushNotificationSupported\":false}";
    fz_reply *r = fz_push(s);

    r->status = 201;
    r->body = (const uint8_t *)body;
    r->body_len = sizeof(body) - 1;
}

static tigress_status share(tigress_client *c, tigress_transfer **t)
{
    tigress_share_options o;

    fz_require(tigress_share_options_init(&o, TIGRESS_SHARE_OPTIONS_VERSION) == TIGRESS_OK,
               "tigress_share_options_init");
    o.relay_url = FZ_RELAY;
    o.format = "org.iso.18013.5.1.mDL";
    o.content_json = "{\"k\":\"v\"}";
    o.title = "Key";
    o.stateful = 1;
    return tigress_share_create(t, c, &o);
}

static tigress_status redeem(tigress_client *c, const tigress_secret *secret, tigress_transfer **t)
{
    tigress_redeem_options o;
    tigress_buf url = { NULL, 0 };
    tigress_status rc;

    fz_share_url(&url, secret);
    fz_require(tigress_redeem_options_init(&o, TIGRESS_REDEEM_OPTIONS_VERSION) == TIGRESS_OK,
               "tigress_redeem_options_init");
    o.share_url = (const char *)url.ptr;
    rc = tigress_redeem(t, c, &o);
    tigress_buf_dispose(&url);
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_script s;
    tigress_client *c;
    tigress_transfer *t = NULL;
    tigress_secret *secret = NULL;
    char *body1 = NULL;
    size_t body1_len = 0;
    tigress_status rc;
    int flow;

    if (size < 1)
        return 0;
    fz_init_once();
    flow = data[0] % FLOW_COUNT;
    data++;
    size--;
    fz_script_reset(&s);
    c = fz_client(&s);

    switch (flow) {
    case FLOW_REDEEM: { /* the read that binds the Recipient */
        fz_reply *r = fz_push(&s);
        fz_decode_reply(r, &data, &size);
        r->body = data;
        r->body_len = size;
        secret = fz_secret(TIGRESS_PAYLOAD_XSALSA20_POLY1305);
        rc = redeem(c, secret, &t);
        check_error(c, rc);
        break;
    }
    case FLOW_CREATE: { /* the CreateMailbox answer */
        fz_reply *r = fz_push(&s);
        fz_decode_reply(r, &data, &size);
        r->body = data;
        r->body_len = size;
        rc = share(c, &t);
        check_error(c, rc);
        break;
    }
    case FLOW_INITIATOR_POLL: { /* a valid create, then the Initiator's read */
        fz_reply *r;
        push_create_ok(&s);
        r = fz_push(&s);
        fz_decode_reply(r, &data, &size);
        r->body = data;
        r->body_len = size;
        fz_require(share(c, &t) == TIGRESS_OK, "tigress_share_create");
        rc = tigress_transfer_poll(t);
        check_error(c, rc);
        break;
    }
    case FLOW_UPDATE:   /* a valid stateful redeem, then the answer to the Recipient's PUT */
    case FLOW_END: {    /* ... or to its DELETE (complete) / PATCH (relinquish) */
        fz_reply *r = fz_push(&s), *last;
        secret = fz_secret(TIGRESS_PAYLOAD_XSALSA20_POLY1305);
        body1 = fz_read_body(TIGRESS_PAYLOAD_XSALSA20_POLY1305, secret,
                             (const uint8_t *)message1, sizeof(message1) - 1, &body1_len);
        r->body = (const uint8_t *)body1;
        r->body_len = body1_len;
        last = fz_push(&s);
        fz_decode_reply(last, &data, &size);
        last->body = data;
        last->body_len = size;
        fz_require(redeem(c, secret, &t) == TIGRESS_OK, "tigress_redeem");
        if (flow == FLOW_UPDATE) {
            static const uint8_t txinfo[] = { 1, 2, 3, 4 };
            rc = tigress_transfer_update(t, "org.example.key", txinfo, sizeof(txinfo));
        } else if (size > 0 && (data[size - 1] & 1)) {
            rc = tigress_transfer_relinquish(t);
        } else {
            /* complete needs SIGNED for a stateful transfer: expect a state error first, then
             * relinquish, which is allowed in REDEEMED. */
            rc = tigress_transfer_complete(t);
            if (rc == TIGRESS_E_STATE)
                rc = tigress_transfer_relinquish(t);
        }
        check_error(c, rc);
        break;
    }
    default:
        abort();
    }
    if (t != NULL)
        check_state(t);
    tigress_transfer_free(t);
    tigress_secret_free(secret);
    free(body1);
    tigress_client_free(c);
    return 0;
}
