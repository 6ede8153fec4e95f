/*
 * Export and import: a transfer as a JSON blob so that an app killed between steps (which can be
 * days apart) can resume. The blob holds the Device Claim and, unless exported without it, the
 * Secret and the decrypted content: it is built in memory that is wiped, and parsed the same way.
 *
 * {"tigressTransfer":1, "role", "state", "stateful", "payloadType", "relay", "mailboxId",
 *  "urlLink", "vertical", "claim", "secret"?, "expiresAt", "seq", "peerSeq", "format",
 *  "content"?, "display":{...}, "txInfo"?, "signature"?, "pendingRequestId"?, "pendingOp"?,
 *  "etag"?, "pushSupported", "notificationToken"?, "tokenSentOnUpdate", "attestation"?,
 *  "lastDataHash"?}
 */
#include <cjson/cJSON.h>
#include <sodium.h>
#include <string.h>
#include <strings.h>

#include "transfer_internal.h"

#define BLOB_VERSION 1

static const char *const pending_names[TIGRESS__OP_COUNT_] = {
    "update", "approve", "poll", "revoke", "relinquish", "complete",
};

/* ------------------------------------------------------------------ export */

static void export_body(const tigress_transfer *t, tigress__jw *w, bool with_secret)
{
    char vertical[2] = { t->vertical, '\0' };

    tigress__jw_obj_open(w, NULL);
    tigress__jw_int(w, "tigressTransfer", BLOB_VERSION);
    tigress__jw_str(w, "role", t->role == TIGRESS_ROLE_INITIATOR ? "initiator" : "recipient");
    tigress__jw_str(w, "state", tigress_state_name(t->state));
    tigress__jw_bool(w, "stateful", t->stateful);
    /* Only when set, so that other blobs stay as they were (an older import ignores it). */
    if (t->flow_unknown)
        tigress__jw_bool(w, "flowUnknown", true);
    tigress__jw_str(w, "payloadType", tigress_payload_type_name(t->payload_type));
    tigress__jw_str(w, "relay", t->relay);
    tigress__jw_str(w, "mailboxId", t->mailbox_id);
    tigress__jw_str(w, "urlLink", t->url_link);
    tigress__jw_str(w, "vertical", vertical);
    tigress__jw_str(w, "claim", t->claim);
    if (with_secret && t->secret != NULL)
        tigress__jw_str(w, "secret", tigress_secret_text(t->secret));
    tigress__jw_int(w, "expiresAt", t->expires_at);
    tigress__jw_int(w, "seq", t->seq);
    tigress__jw_int(w, "peerSeq", t->peer_seq);
    tigress__jw_str(w, "format", t->format);
    if (with_secret && t->content != NULL)
        tigress__jw_raw(w, "content", t->content, t->content_len);
    tigress__jw_obj_open(w, "display");
    tigress__jw_str(w, "title", t->title);
    tigress__jw_str(w, "description", t->description);
    tigress__jw_str(w, "imageURL", t->image_url);
    tigress__jw_obj_close(w);
    if (t->txinfo != NULL) {
        tigress__jw_obj_open(w, "txInfo");
        tigress__jw_str(w, "type", t->txinfo_type);
        tigress__jw_b64(w, "data", t->txinfo, t->txinfo_len);
        tigress__jw_obj_close(w);
    }
    if (t->sig != NULL) {
        tigress__jw_obj_open(w, "signature");
        tigress__jw_str(w, "alg", t->sig_alg);
        tigress__jw_b64(w, "value", t->sig, t->sig_len);
        tigress__jw_obj_close(w);
    }
    if (t->pending_op >= 0 && t->pending_op < TIGRESS__OP_COUNT_) {
        tigress__jw_str(w, "pendingRequestId", t->pending_id);
        tigress__jw_str(w, "pendingOp", pending_names[t->pending_op]);
    }
    if (t->etag != NULL)
        tigress__jw_str(w, "etag", t->etag);
    tigress__jw_bool(w, "pushSupported", t->push_supported);
    if (t->token_type != NULL) {
        tigress__jw_obj_open(w, "notificationToken");
        tigress__jw_str(w, "type", t->token_type);
        tigress__jw_str(w, "tokenData", t->token_data);
        tigress__jw_obj_close(w);
    }
    tigress__jw_bool(w, "tokenSentOnUpdate", t->token_sent_on_update);
    if (t->attestation != NULL)
        tigress__jw_str(w, "attestation", t->attestation);
    if (t->has_last_data)
        tigress__jw_b64(w, "lastDataHash", t->last_data_hash, sizeof(t->last_data_hash));
    tigress__jw_obj_close(w);
}

tigress_status tigress_transfer_export(const tigress_transfer *t, unsigned int flags,
                                       tigress_buf *out)
{
    tigress__jw w;
    size_t len = 0;
    char *text;

    if (out != NULL) {
        out->ptr = NULL;
        out->size = 0;
    }
    if (t == NULL)
        return tigress__fail(TIGRESS_E_INVALID, "tigress_transfer_export: transfer is NULL");
    tigress__client_begin(t->client);
    if (out == NULL || (flags & ~(unsigned int)TIGRESS_EXPORT_WITHOUT_SECRET) != 0)
        return tigress__client_fail(t->client, TIGRESS_E_INVALID,
                                    "tigress_transfer_export: out is NULL or unknown flags");
    tigress__jw_init(&w);
    export_body(t, &w, (flags & TIGRESS_EXPORT_WITHOUT_SECRET) == 0);
    text = tigress__jw_take(&w, &len);
    if (text == NULL)
        return tigress__client_fail(t->client, TIGRESS_E_NOMEM, "out of memory");
    /* The blob holds the Device Claim and usually the Secret and content: hand the caller a
     * copy in guarded memory (tigress_buf_dispose knows it). The writer's buffer is
     * tigress__malloc memory, NUL-terminated at len, nothing ever written past len (it grows
     * by copying and wiping, never by realloc): wiping len + 1 bytes wipes all it held. */
    out->ptr = (uint8_t *)tigress__secure_strndup(text, len);
    sodium_memzero(text, len + 1);
    tigress__free(text);
    if (out->ptr == NULL)
        return tigress__client_fail(t->client, TIGRESS_E_NOMEM, "out of guarded memory");
    out->size = len;
    return TIGRESS_OK;
}

/* ------------------------------------------------------------------ import */

typedef struct import_ctx {
    tigress_client *c;
    const cJSON *root;
    tigress_status rc;   /* first failure */
    const char *field;   /* the field that failed, for the message */
} import_ctx;

static bool bad(import_ctx *x, tigress_status rc, const char *field)
{
    if (x->rc == TIGRESS_OK) {
        x->rc = rc;
        x->field = field;
    }
    return false;
}

/* A string member; required ones fail when missing. */
static const char *str(import_ctx *x, const cJSON *obj, const char *key, bool required)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

    if (cJSON_IsString(v))
        return v->valuestring;
    if (v != NULL || required)
        bad(x, TIGRESS_E_FORMAT, key);
    return NULL;
}

static bool num(import_ctx *x, const char *key, double lo, double hi, int64_t *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(x->root, key);

    /* Whole numbers only: every caller's range fits int64_t, so the cast is defined once the
     * range check passed (no floor(): that would need libm with clang). */
    if (!cJSON_IsNumber(v) || !(v->valuedouble >= lo && v->valuedouble <= hi) ||
        (double)(int64_t)v->valuedouble != v->valuedouble)
        return bad(x, TIGRESS_E_FORMAT, key);
    *out = (int64_t)v->valuedouble;
    return true;
}

static bool flag(import_ctx *x, const char *key, bool *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(x->root, key);

    if (v == NULL) {
        *out = false;
        return true;
    }
    if (!cJSON_IsBool(v))
        return bad(x, TIGRESS_E_FORMAT, key);
    *out = cJSON_IsTrue(v);
    return true;
}

static bool dup(import_ctx *x, char **dst, const char *src)
{
    if (src == NULL)
        return true;
    *dst = tigress__strdup(src);
    return *dst != NULL || bad(x, TIGRESS_E_NOMEM, "memory");
}

static bool parse_state(import_ctx *x, tigress_transfer *t)
{
    const char *role = str(x, x->root, "role", true);
    const char *state = str(x, x->root, "state", true);
    static const tigress_state init_ok[] = { TIGRESS_STATE_CREATED, TIGRESS_STATE_TXINFO_RECEIVED };
    static const tigress_state recip_ok[] = { TIGRESS_STATE_REDEEMED, TIGRESS_STATE_SIGNED };

    if (role == NULL || state == NULL)
        return false;
    if (strcmp(role, "initiator") == 0)
        t->role = TIGRESS_ROLE_INITIATOR;
    else if (strcmp(role, "recipient") == 0)
        t->role = TIGRESS_ROLE_RECIPIENT;
    else
        return bad(x, TIGRESS_E_FORMAT, "role");
    for (int s = TIGRESS_STATE_CREATED; s <= TIGRESS_STATE_FAILED; s++)
        if (strcmp(state, tigress_state_name((tigress_state)s)) == 0)
            t->state = (tigress_state)s;
    if (t->state == 0)
        return bad(x, TIGRESS_E_FORMAT, "state");
    /* States that belong to the other side only. */
    for (size_t i = 0; i < 2; i++)
        if ((t->role == TIGRESS_ROLE_INITIATOR && t->state == recip_ok[i]) ||
            (t->role == TIGRESS_ROLE_RECIPIENT && t->state == init_ok[i]))
            return bad(x, TIGRESS_E_FORMAT, "state");
    return true;
}

static bool parse_where(import_ctx *x, tigress_transfer *t)
{
    const char *pt = str(x, x->root, "payloadType", true);
    const char *relay = str(x, x->root, "relay", true);
    const char *id = str(x, x->root, "mailboxId", true);
    const char *link = str(x, x->root, "urlLink", true);
    const char *vertical = str(x, x->root, "vertical", false);
    const char *claim = str(x, x->root, "claim", true);
    tigress_share_url *u = NULL;

    if (pt == NULL || relay == NULL || id == NULL || link == NULL || claim == NULL)
        return false;
    if (tigress_payload_type_from_name(&t->payload_type, pt) != TIGRESS_OK)
        return bad(x, TIGRESS_E_FORMAT, "payloadType");
    if (!tigress__is_uuid(claim))
        return bad(x, TIGRESS_E_FORMAT, "claim");
    if (vertical != NULL && !(vertical[0] == '\0' || (strchr("ahc", vertical[0]) != NULL &&
                                                     vertical[1] == '\0')))
        return bad(x, TIGRESS_E_FORMAT, "vertical");
    t->vertical = vertical != NULL ? vertical[0] : 0;
    memcpy(t->claim, claim, 37);
    /* The link must be a mailbox URL naming the same mailbox. */
    if (tigress_share_url_parse(&u, link, TIGRESS_URL_ALLOW_INSECURE_LOOPBACK) != TIGRESS_OK)
        return bad(x, tigress_error_last()->code == TIGRESS_E_NOMEM ? TIGRESS_E_NOMEM :
                   TIGRESS_E_FORMAT, "urlLink");
    if (!tigress__is_uuid(id) || strcasecmp(id, tigress_share_url_mailbox_id(u)) != 0) {
        tigress_share_url_free(u);
        return bad(x, TIGRESS_E_FORMAT, "mailboxId");
    }
    memcpy(t->mailbox_id, tigress_share_url_mailbox_id(u), 37);
    tigress_share_url_free(u);
    if (!dup(x, &t->relay, relay) || !dup(x, &t->url_link, link))
        return false;
    if (t->role == TIGRESS_ROLE_RECIPIENT)
        return dup(x, &t->mailbox_url, link);
    t->mailbox_url = tigress__malloc(strlen(relay) + sizeof("/v1/m/") + 36);
    if (t->mailbox_url == NULL)
        return bad(x, TIGRESS_E_NOMEM, "memory");
    strcpy(t->mailbox_url, relay);
    strcat(t->mailbox_url, "/v1/m/");
    strcat(t->mailbox_url, t->mailbox_id);
    return true;
}

static bool parse_numbers(import_ctx *x, tigress_transfer *t)
{
    int64_t v;

    if (!num(x, "expiresAt", 1, 253402300799.0, &t->expires_at))
        return false;
    if (!num(x, "seq", 0, 4294967295.0, &v))
        return false;
    t->seq = (uint32_t)v;
    if (!num(x, "peerSeq", 0, 4294967295.0, &v))
        return false;
    t->peer_seq = (uint32_t)v;
    return flag(x, "stateful", &t->stateful) && flag(x, "flowUnknown", &t->flow_unknown) &&
           flag(x, "pushSupported", &t->push_supported) &&
           flag(x, "tokenSentOnUpdate", &t->token_sent_on_update);
}

static bool parse_text(import_ctx *x, tigress_transfer *t)
{
    const cJSON *content = cJSON_GetObjectItemCaseSensitive(x->root, "content");
    const cJSON *disp = cJSON_GetObjectItemCaseSensitive(x->root, "display");
    const char *format = str(x, x->root, "format", true);
    const char *title = str(x, disp, "title", false), *desc = str(x, disp, "description", false);
    const char *image = str(x, disp, "imageURL", false);

    if (format == NULL || format[0] == '\0')
        return bad(x, TIGRESS_E_FORMAT, "format");
    if ((disp != NULL && !cJSON_IsObject(disp)) || x->rc != TIGRESS_OK)
        return bad(x, TIGRESS_E_FORMAT, "display");
    if (!dup(x, &t->format, format) || !dup(x, &t->title, title != NULL ? title : "") ||
        !dup(x, &t->description, desc != NULL ? desc : "") ||
        !dup(x, &t->image_url, image != NULL ? image : ""))
        return false;
    if (content == NULL)
        return true;
    if (!cJSON_IsObject(content))
        return bad(x, TIGRESS_E_FORMAT, "content");
    if (tigress__json_print_secure(content, &t->content, &t->content_len) != TIGRESS_OK)
        return bad(x, TIGRESS_E_NOMEM, "memory");
    return true;
}

/* {"<tkey>": string, "<bkey>": Base64} into *s and *b (both tigress__malloc). */
static bool parse_pair(import_ctx *x, const char *key, const char *tkey, const char *bkey,
                       size_t max, char **s, uint8_t **b, size_t *blen)
{
    const cJSON *obj = cJSON_GetObjectItemCaseSensitive(x->root, key);
    const char *text, *b64;
    tigress_status rc;

    if (obj == NULL)
        return true;
    text = str(x, obj, tkey, true);
    b64 = str(x, obj, bkey, true);
    if (!cJSON_IsObject(obj) || text == NULL || b64 == NULL)
        return bad(x, TIGRESS_E_FORMAT, key);
    rc = tigress__b64_decode(b, blen, b64, strlen(b64));
    if (rc != TIGRESS_OK)
        return bad(x, rc, key);
    if (*blen == 0 || *blen > max)
        return bad(x, TIGRESS_E_FORMAT, key);
    return dup(x, s, text);
}

static bool parse_extras(import_ctx *x, tigress_transfer *t)
{
    const cJSON *tok = cJSON_GetObjectItemCaseSensitive(x->root, "notificationToken");
    const char *pid = str(x, x->root, "pendingRequestId", false);
    const char *pop = str(x, x->root, "pendingOp", false);
    const char *etag = str(x, x->root, "etag", false);
    const char *att = str(x, x->root, "attestation", false);
    const char *hash = str(x, x->root, "lastDataHash", false);

    if (!parse_pair(x, "txInfo", "type", "data", TIGRESS__TXINFO_MAX, &t->txinfo_type,
                    &t->txinfo, &t->txinfo_len) ||
        !parse_pair(x, "signature", "alg", "value", TIGRESS_SIGNATURE_MAX, &t->sig_alg, &t->sig,
                    &t->sig_len))
        return false;
    if ((pid == NULL) != (pop == NULL) || (pid != NULL && !tigress__is_uuid(pid)))
        return bad(x, TIGRESS_E_FORMAT, "pendingRequestId");
    for (int op = 0; pop != NULL && op < TIGRESS__OP_COUNT_; op++)
        if (op != TIGRESS__OP_POLL && strcmp(pop, pending_names[op]) == 0)
            t->pending_op = op;
    if (pop != NULL && t->pending_op < 0)
        return bad(x, TIGRESS_E_FORMAT, "pendingOp");
    if (pid != NULL)
        memcpy(t->pending_id, pid, 37);
    if ((etag != NULL && strpbrk(etag, "\r\n") != NULL) || (att != NULL && strpbrk(att, "\r\n")))
        return bad(x, TIGRESS_E_FORMAT, "etag");
    if (tok != NULL) {
        const char *type = str(x, tok, "type", true), *data = str(x, tok, "tokenData", true);

        if (!cJSON_IsObject(tok) || type == NULL || data == NULL)
            return bad(x, TIGRESS_E_FORMAT, "notificationToken");
        if (!dup(x, &t->token_type, type) || !dup(x, &t->token_data, data))
            return false;
    }
    if (hash != NULL) {
        uint8_t *h = NULL;
        size_t hl = 0;

        if (tigress__b64_decode(&h, &hl, hash, strlen(hash)) != TIGRESS_OK || hl != 32) {
            tigress__free(h);
            return bad(x, TIGRESS_E_FORMAT, "lastDataHash");
        }
        memcpy(t->last_data_hash, h, 32);
        t->has_last_data = true;
        tigress__free(h);
    }
    return dup(x, &t->etag, etag) && dup(x, &t->attestation, att) && x->rc == TIGRESS_OK;
}

/* What each state needs from the stateful flow to carry on. */
static bool check_consistent(import_ctx *x, const tigress_transfer *t)
{
    bool need_tx = t->stateful && ((t->role == TIGRESS_ROLE_INITIATOR &&
                                    (t->state == TIGRESS_STATE_TXINFO_RECEIVED ||
                                     t->state == TIGRESS_STATE_WAITING_FOR_PEER)) ||
                                   (t->role == TIGRESS_ROLE_RECIPIENT &&
                                    (t->state == TIGRESS_STATE_WAITING_FOR_PEER ||
                                     t->state == TIGRESS_STATE_SIGNED)));
    bool need_sig = t->stateful && ((t->role == TIGRESS_ROLE_INITIATOR &&
                                     t->state == TIGRESS_STATE_WAITING_FOR_PEER) ||
                                    (t->role == TIGRESS_ROLE_RECIPIENT &&
                                     t->state == TIGRESS_STATE_SIGNED));

    /* Only a Recipient that has sent nothing yet can leave the flow open (§6). */
    if (t->flow_unknown && (t->role != TIGRESS_ROLE_RECIPIENT || t->stateful ||
                            t->state == TIGRESS_STATE_WAITING_FOR_PEER ||
                            t->state == TIGRESS_STATE_SIGNED))
        return bad(x, TIGRESS_E_FORMAT, "flowUnknown");
    if ((need_tx && t->txinfo == NULL) || (need_sig && t->sig == NULL))
        return bad(x, TIGRESS_E_FORMAT, "txInfo/signature");
    if (!t->stateful && (t->state == TIGRESS_STATE_TXINFO_RECEIVED ||
                         t->state == TIGRESS_STATE_SIGNED ||
                         (t->role == TIGRESS_ROLE_RECIPIENT &&
                          t->state == TIGRESS_STATE_WAITING_FOR_PEER)))
        return bad(x, TIGRESS_E_FORMAT, "state");
    return true;
}

/* The Secret: from the blob, from the caller, or both (then equal). Needed unless final. */
static tigress_status import_secret(tigress_transfer *t, const char *in_blob, const char *given)
{
    tigress_client *c = t->client;
    tigress_secret *other = NULL;
    tigress_status rc = TIGRESS_OK;

    if (in_blob != NULL)
        rc = tigress_secret_from_text(&t->secret, in_blob);
    if (rc == TIGRESS_OK && given != NULL)
        rc = tigress_secret_from_text(in_blob != NULL ? &other : &t->secret, given);
    if (rc != TIGRESS_OK)
        return tigress__transfer_fail_from(c, rc == TIGRESS_E_NOMEM ? rc : TIGRESS_E_KEY,
                                           "the Secret");
    if (other != NULL) {
        bool same = tigress_secret_size(other) == tigress_secret_size(t->secret) &&
                    sodium_memcmp(tigress_secret_bytes(other), tigress_secret_bytes(t->secret),
                                  tigress_secret_size(other)) == 0;
        tigress_secret_free(other);
        if (!same)
            return tigress__client_fail(c, TIGRESS_E_KEY,
                                        "the Secret given differs from the one in the blob");
    }
    if (t->secret == NULL) {
        if (!tigress__state_is_final(t->state))
            return tigress__client_fail(c, TIGRESS_E_KEY, "the blob was exported without the "
                                        "Secret: pass it to tigress_transfer_import");
        return TIGRESS_OK;
    }
    if (tigress_secret_size(t->secret) != tigress_payload_key_bytes(t->payload_type))
        return tigress__client_fail(c, TIGRESS_E_KEY,
                                    "the Secret's length does not fit the payload type");
    return TIGRESS_OK;
}

static tigress_status import_parse(tigress_transfer *t, const cJSON *root, const char *secret)
{
    import_ctx x = { t->client, root, TIGRESS_OK, NULL };
    const char *blob_secret;
    int64_t version;

    if (!cJSON_IsObject(root))
        return tigress__client_fail(t->client, TIGRESS_E_FORMAT, "not a transfer blob");
    if (!num(&x, "tigressTransfer", 1, 4294967295.0, &version))
        return tigress__client_fail(t->client, TIGRESS_E_FORMAT, "not a transfer blob");
    if (version > BLOB_VERSION)
        return tigress__client_fail(t->client, TIGRESS_E_UNSUPPORTED,
                                    "the blob is version %lld; this library reads version %d",
                                    (long long)version, BLOB_VERSION);
    blob_secret = str(&x, root, "secret", false);
    if (parse_state(&x, t) && parse_where(&x, t) && parse_numbers(&x, t) && parse_text(&x, t) &&
        parse_extras(&x, t))
        check_consistent(&x, t);
    if (x.rc == TIGRESS_E_NOMEM)
        return tigress__client_fail(t->client, x.rc, "out of memory");
    if (x.rc != TIGRESS_OK)
        return tigress__client_fail(t->client, x.rc, "bad transfer blob: field \"%s\"", x.field);
    return import_secret(t, blob_secret, secret);
}

tigress_status tigress_transfer_import(tigress_transfer **out, tigress_client *client,
                                       const uint8_t *blob, size_t blob_len, const char *secret)
{
    tigress_transfer *t = NULL;
    cJSON *root;
    tigress_status rc;

    if (out != NULL)
        *out = NULL;
    if (client == NULL)
        return tigress__fail(TIGRESS_E_INVALID, "tigress_transfer_import: client is NULL");
    tigress__client_begin(client);
    if (out == NULL || blob == NULL || blob_len == 0)
        return tigress__client_fail(client, TIGRESS_E_INVALID,
                                    "tigress_transfer_import: out and a blob are required");
    root = cJSON_ParseWithLength((const char *)blob, blob_len);
    if (root == NULL)
        return tigress__client_fail(client, tigress__json_out_of_memory() ? TIGRESS_E_NOMEM :
                                    TIGRESS_E_FORMAT, "the blob is not JSON");
    t = tigress__transfer_alloc(client);
    rc = t == NULL ? tigress__client_fail(client, TIGRESS_E_NOMEM, "out of memory")
                   : import_parse(t, root, secret);
    tigress__json_wipe_delete(root);
    /* C15: the imported relay must still pass this client's policy before any request. */
    if (rc == TIGRESS_OK)
        rc = tigress__client_check_relay(client, t->relay);
    if (rc == TIGRESS_OK)
        rc = tigress__transfer_build_urls(t);
    if (rc == TIGRESS_OK) {
        *out = t;
        t = NULL;
    }
    tigress_transfer_free(t);
    return rc;
}
