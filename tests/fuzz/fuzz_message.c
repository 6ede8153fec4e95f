/*
 * Fuzz target: the decrypted message parser (Provisioning Information, the "tigress" sequence
 * object, TxInfo and signature), through the public API. The fuzz input is the plaintext: it is
 * sealed with the transfer's real Secret (tigress_payload_seal) and served as the mailbox
 * payload by a scripted transport (tests/harness/fuzz_transport.h), so decryption succeeds and
 * the parser sees arbitrary bytes. Three places read a message:
 *   0  tigress_redeem: message 1 (then, if it was accepted, the accessors)
 *   1  the Initiator's tigress_transfer_poll of a stateful share: the Recipient's TxInfo
 *      (then, if it arrived, tigress_transfer_approve signs it)
 *   2  the Recipient's tigress_transfer_poll after its Update: the Initiator's signature,
 *      checked by an Ed25519 verifier
 * Input: [place][payload type][plaintext...].
 */
#include "fuzz.h"
#include "../harness/fuzz_transport.h"

static const char message1[] =
    "{\"format\":\"org.iso.18013.5.1.mDL\",\"content\":{\"k\":\"v\"},"
    "\"tigress\":{\"role\":\"initiator\",\"seq\":1,\"stateful\":true}}";

static tigress_ed25519_key *signing_key(void)
{
    static const uint8_t seed[TIGRESS_ED25519_SEED_BYTES] = { 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7 };
    tigress_ed25519_key *k = NULL;

    fz_require(tigress_ed25519_key_from_seed(&k, seed, sizeof(seed)) == TIGRESS_OK,
               "tigress_ed25519_key_from_seed");
    return k;
}

/* Reads every accessor, so that whatever a message left in the transfer is touched. */
static void touch(const tigress_transfer *t)
{
    const char *type = NULL, *alg = NULL;
    const uint8_t *bytes = NULL;
    size_t len = 0, sum = 0;
    const char *strs[] = { tigress_transfer_format(t), tigress_transfer_content(t),
                           tigress_transfer_title(t), tigress_transfer_description(t),
                           tigress_transfer_image_url(t), tigress_transfer_mailbox_id(t),
                           tigress_transfer_url(t) };

    for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
        if (strs[i] != NULL)
            sum += strlen(strs[i]);
    if (tigress_transfer_txinfo(t, &type, &bytes, &len) == TIGRESS_OK) {
        if (type == NULL || (len > 0 && bytes == NULL))
            abort();
        for (size_t i = 0; i < len; i++)
            sum += bytes[i];
    }
    if (tigress_transfer_signature(t, &alg, &bytes, &len) == TIGRESS_OK) {
        if (alg == NULL || (len > 0 && bytes == NULL))
            abort();
        for (size_t i = 0; i < len; i++)
            sum += bytes[i];
    }
    if (tigress_transfer_state(t) < TIGRESS_STATE_CREATED ||
        tigress_transfer_state(t) > TIGRESS_STATE_FAILED)
        abort();
    (void)sum;
}

static tigress_status redeem(tigress_client *c, const tigress_secret *secret,
                             const tigress_verifier *v, tigress_transfer **t)
{
    tigress_redeem_options o;
    tigress_buf url = { NULL, 0 };
    tigress_status rc;

    fz_share_url(&url, secret);
    fz_require(tigress_redeem_options_init(&o, TIGRESS_REDEEM_OPTIONS_VERSION) == TIGRESS_OK,
               "tigress_redeem_options_init");
    o.share_url = (const char *)url.ptr;
    o.verifier = v;
    rc = tigress_redeem(t, c, &o);
    tigress_buf_dispose(&url);
    return rc;
}

static void serve(fz_script *s, char *body, size_t len)
{
    fz_reply *r = fz_push(s);

    r->body = (const uint8_t *)body;
    r->body_len = len;
}

static void place_redeem(tigress_client *c, fz_script *s, tigress_payload_type type,
                         const uint8_t *pt, size_t len, char **body)
{
    tigress_secret *secret = fz_secret(type);
    tigress_transfer *t = NULL;
    size_t body_len;

    *body = fz_read_body(type, secret, pt, len, &body_len);
    serve(s, *body, body_len);
    if (tigress_redeem(&t, c, NULL) != TIGRESS_E_INVALID) /* (argument check, no traffic) */
        abort();
    if (redeem(c, secret, NULL, &t) == TIGRESS_OK)
        touch(t);
    tigress_transfer_free(t);
    tigress_secret_free(secret);
}

static void place_initiator(tigress_client *c, fz_script *s, tigress_payload_type type,
                            const uint8_t *pt, size_t len, char **body)
{
    static const char created[] =
        "{\"urlLink\":\"" FZ_RELAY "/v1/m/" FZ_MAILBOX_ID "\",\"isPushNotificationSupported\":true}";
    tigress_share_options o;
    tigress_transfer *t = NULL;
    size_t body_len;
    fz_reply *r;

    fz_require(tigress_share_options_init(&o, TIGRESS_SHARE_OPTIONS_VERSION) == TIGRESS_OK,
               "tigress_share_options_init");
    o.relay_url = FZ_RELAY;
    o.format = "org.iso.18013.5.1.mDL";
    o.content_json = "{\"k\":\"v\"}";
    o.title = "Key";
    o.stateful = 1;
    o.payload_type = type;
    r = fz_push(s);
    r->status = 201;
    r->body = (const uint8_t *)created;
    r->body_len = sizeof(created) - 1;
    fz_require(tigress_share_create(&t, c, &o) == TIGRESS_OK, "tigress_share_create");
    /* The Secret exists only now: seal with it and serve the result to the poll. */
    *body = fz_read_body(type, tigress_transfer_secret(t), pt, len, &body_len);
    serve(s, *body, body_len);
    if (tigress_transfer_poll(t) == TIGRESS_OK) {
        touch(t);
        if (tigress_transfer_state(t) == TIGRESS_STATE_TXINFO_RECEIVED) {
            tigress_ed25519_key *k = signing_key();
            tigress_signer signer;

            fz_require(tigress_signer_ed25519(&signer, k) == TIGRESS_OK, "tigress_signer_ed25519");
            (void)tigress_transfer_approve(t, &signer); /* answered by the script's default */
            touch(t);
            tigress_ed25519_key_free(k);
        }
    }
    tigress_transfer_free(t);
}

static void place_recipient(tigress_client *c, fz_script *s, tigress_payload_type type,
                            const uint8_t *pt, size_t len, char **body, char **body2)
{
    static const uint8_t txinfo[] = { 0xde, 0xad, 0xbe, 0xef };
    tigress_secret *secret = fz_secret(type);
    tigress_ed25519_key *k = signing_key();
    uint8_t pub[TIGRESS_ED25519_PUBLIC_BYTES];
    tigress_verifier v;
    tigress_transfer *t = NULL;
    size_t body_len;
    fz_reply *r;

    fz_require(tigress_ed25519_key_public(k, pub, sizeof(pub)) == TIGRESS_OK, "key_public");
    fz_require(tigress_verifier_ed25519(&v, pub) == TIGRESS_OK, "tigress_verifier_ed25519");
    *body = fz_read_body(type, secret, (const uint8_t *)message1, sizeof(message1) - 1, &body_len);
    serve(s, *body, body_len);
    r = fz_push(s); /* the Update's answer */
    r->body = NULL;
    *body2 = fz_read_body(type, secret, pt, len, &body_len);
    serve(s, *body2, body_len);
    fz_require(redeem(c, secret, &v, &t) == TIGRESS_OK, "tigress_redeem");
    fz_require(tigress_transfer_update(t, "org.example.key", txinfo, sizeof(txinfo)) == TIGRESS_OK,
               "tigress_transfer_update");
    if (tigress_transfer_poll(t) == TIGRESS_OK)
        touch(t);
    tigress_transfer_free(t);
    tigress_ed25519_key_free(k);
    tigress_secret_free(secret);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const tigress_payload_type types[] = { TIGRESS_PAYLOAD_XSALSA20_POLY1305,
                                                  TIGRESS_PAYLOAD_AES_128_GCM,
                                                  TIGRESS_PAYLOAD_AES_256_GCM };
    fz_script s;
    tigress_client *c;
    char *body = NULL, *body2 = NULL;
    tigress_payload_type type;
    int place;

    if (size < 3) /* at least one plaintext byte to seal */
        return 0;
    fz_init_once();
    place = data[0] % 3;
    type = types[data[1] % 3];
    data += 2;
    size -= 2;
    fz_script_reset(&s);
    c = fz_client(&s);
    if (place == 0)
        place_redeem(c, &s, type, data, size, &body);
    else if (place == 1)
        place_initiator(c, &s, type, data, size, &body);
    else
        place_recipient(c, &s, type, data, size, &body, &body2);
    free(body);
    free(body2);
    tigress_client_free(c);
    return 0;
}
