/*
 * The encrypted messages (docs/protocol.md §4 (payload encryption), §5 (stateful messages)):
 * Provisioning Information {"format", "content"} plus, from libtigress, "tigress": {"role",
 * "seq", "stateful"}, and in the stateful flow "txInfo" (message 2) and "signature" (message 3).
 * Unknown keys are ignored (C11).
 * Plaintext is built and parsed in memory that is wiped; content is kept in guarded memory.
 */
#include <cjson/cJSON.h>
#include <sodium.h>
#include <string.h>

#include "crypto_internal.h"
#include "json.h"
#include "message.h"

void tigress__msg_body_clear(tigress__msg_body *m)
{
    tigress__free_wiped_str(m->format);
    if (m->content != NULL)
        sodium_free(m->content); /* sodium_free wipes */
    tigress__free_wiped_str(m->txinfo_type);
    if (m->txinfo != NULL) {
        sodium_memzero(m->txinfo, m->txinfo_len);
        tigress__free(m->txinfo);
    }
    tigress__free_wiped_str(m->sig_alg);
    if (m->sig != NULL) {
        sodium_memzero(m->sig, m->sig_len);
        tigress__free(m->sig);
    }
    memset(m, 0, sizeof(*m));
}

void tigress__msg_clear(tigress__msg *m)
{
    tigress__msg_body_clear(&m->body);
    memset(m, 0, sizeof(*m));
}

static const char *role_name(tigress_role r)
{
    return r == TIGRESS_ROLE_INITIATOR ? "initiator" : "recipient";
}

tigress_status tigress__msg_seal(tigress__error_slot *err, const tigress__msg_body *t,
                                 const tigress__msg_head *head, tigress_payload_type type,
                                 const tigress_secret *secret, bool with_txinfo,
                                 bool with_signature, const tigress_aead_provider *aead,
                                 char **data_out)
{
    tigress__jw w;
    tigress_buf sealed = {0};
    tigress_status rc;
    char *pt;
    size_t pt_len = 0;

    *data_out = NULL;
    if (secret == NULL)
        return tigress__error_set(err, TIGRESS_E_KEY, "the transfer does not hold its Secret");
    if (t->format == NULL || t->content == NULL)
        return tigress__error_set(err, TIGRESS_E_STATE,
                                  "the transfer does not hold the Provisioning Information");
    tigress__jw_init(&w);
    tigress__jw_obj_open(&w, NULL);
    tigress__jw_str(&w, "format", t->format);
    tigress__jw_raw(&w, "content", t->content, t->content_len);
    if (with_txinfo) {
        tigress__jw_obj_open(&w, "txInfo");
        tigress__jw_str(&w, "type", t->txinfo_type);
        tigress__jw_b64(&w, "data", t->txinfo, t->txinfo_len);
        tigress__jw_obj_close(&w);
    }
    if (with_signature) {
        tigress__jw_obj_open(&w, "signature");
        tigress__jw_str(&w, "alg", t->sig_alg);
        tigress__jw_b64(&w, "value", t->sig, t->sig_len);
        tigress__jw_obj_close(&w);
    }
    tigress__jw_obj_open(&w, "tigress");
    tigress__jw_str(&w, "role", role_name(head->role));
    tigress__jw_int(&w, "seq", head->seq);
    /* Every message says whether the flow is stateful, so a Recipient that binds after a
     * relinquish learns it from whatever message is in the slot. */
    tigress__jw_bool(&w, "stateful", head->stateful);
    tigress__jw_obj_close(&w);
    tigress__jw_obj_close(&w);
    pt = tigress__jw_take(&w, &pt_len);
    if (pt == NULL)
        return tigress__error_set(err, TIGRESS_E_NOMEM, "out of memory");
    if (pt_len > TIGRESS__PAYLOAD_MAX) {
        /* Before any HTTP exchange: no relay status to report (http_status stays 0). */
        sodium_memzero(pt, pt_len);
        tigress__free(pt);
        return tigress__error_set(err, TIGRESS_E_TOO_LARGE,
                                  "the message plaintext is %zu bytes, over the SDK's limit of "
                                  "%zu bytes; nothing was sent to the relay",
                                  pt_len, TIGRESS__PAYLOAD_MAX);
    }
    rc = tigress__payload_seal(&sealed, type, secret, (const uint8_t *)pt, pt_len, aead);
    sodium_memzero(pt, pt_len);
    tigress__free(pt);
    if (rc != TIGRESS_OK)
        return tigress__error_from_last(err, rc, "encrypting the message");
    /* The buffer is tigress__malloc memory holding public Base64 text: hand it over. */
    *data_out = (char *)sealed.ptr;
    return TIGRESS_OK;
}

static const char *get_str(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* Decode a Base64 member into *out (tigress__malloc), at most max bytes. */
static tigress_status get_b64(const cJSON *obj, const char *key, size_t max, uint8_t **out,
                              size_t *len)
{
    const char *text = get_str(obj, key);
    tigress_status rc;

    if (text == NULL)
        return TIGRESS_E_FORMAT;
    rc = tigress__b64_decode(out, len, text, strlen(text));
    if (rc != TIGRESS_OK)
        return rc;
    if (*len == 0 || *len > max) {
        sodium_memzero(*out, *len);
        tigress__free(*out);
        *out = NULL;
        *len = 0;
        return TIGRESS_E_FORMAT;
    }
    return TIGRESS_OK;
}

static tigress_status parse_tigress(const cJSON *root, tigress__msg *m)
{
    const cJSON *tg = cJSON_GetObjectItemCaseSensitive(root, "tigress");
    const cJSON *seq, *st;
    const char *role;

    if (tg == NULL)
        return TIGRESS_OK; /* another implementation's message: accepted (interop) */
    if (!cJSON_IsObject(tg))
        return TIGRESS_E_FORMAT;
    role = get_str(tg, "role");
    seq = cJSON_GetObjectItemCaseSensitive(tg, "seq");
    if (role == NULL || !cJSON_IsNumber(seq))
        return TIGRESS_E_FORMAT;
    if (strcmp(role, "initiator") == 0)
        m->role = TIGRESS_ROLE_INITIATOR;
    else if (strcmp(role, "recipient") == 0)
        m->role = TIGRESS_ROLE_RECIPIENT;
    else
        return TIGRESS_E_FORMAT;
    /* Whole numbers only; the cast is defined because the range is checked first (and
     * needs no libm, unlike floor(), which clang does not inline). */
    if (!(seq->valuedouble >= 1 && seq->valuedouble <= 4294967295.0) ||
        (double)(int64_t)seq->valuedouble != seq->valuedouble)
        return TIGRESS_E_FORMAT;
    m->seq = (uint32_t)seq->valuedouble;
    st = cJSON_GetObjectItemCaseSensitive(tg, "stateful");
    if (st != NULL) {
        if (!cJSON_IsBool(st))
            return TIGRESS_E_FORMAT;
        m->has_stateful = true;
        m->stateful = cJSON_IsTrue(st);
    }
    m->has_tigress = true;
    return TIGRESS_OK;
}

/* "txInfo" and "signature": optional, but well-formed when present. */
static tigress_status parse_extras(const cJSON *root, tigress__msg *m)
{
    const cJSON *tx = cJSON_GetObjectItemCaseSensitive(root, "txInfo");
    const cJSON *sig = cJSON_GetObjectItemCaseSensitive(root, "signature");
    tigress_status rc;

    if (tx != NULL) {
        const char *type = get_str(tx, "type");

        if (!cJSON_IsObject(tx) || type == NULL)
            return TIGRESS_E_FORMAT;
        rc = get_b64(tx, "data", TIGRESS__TXINFO_MAX, &m->body.txinfo, &m->body.txinfo_len);
        if (rc != TIGRESS_OK)
            return rc;
        if ((m->body.txinfo_type = tigress__strdup(type)) == NULL)
            return TIGRESS_E_NOMEM;
    }
    if (sig != NULL) {
        const char *alg = get_str(sig, "alg");

        if (!cJSON_IsObject(sig) || alg == NULL || alg[0] == '\0')
            return TIGRESS_E_FORMAT;
        rc = get_b64(sig, "value", TIGRESS_SIGNATURE_MAX, &m->body.sig, &m->body.sig_len);
        if (rc != TIGRESS_OK)
            return rc;
        if ((m->body.sig_alg = tigress__strdup(alg)) == NULL)
            return TIGRESS_E_NOMEM;
    }
    return TIGRESS_OK;
}

static tigress_status parse_plaintext(const char *pt, size_t len, tigress__msg *m)
{
    cJSON *root = cJSON_ParseWithLength(pt, len);
    const cJSON *content;
    const char *format;
    tigress_status rc;

    if (root == NULL)
        return tigress__json_out_of_memory() ? TIGRESS_E_NOMEM : TIGRESS_E_FORMAT;
    format = get_str(root, "format");
    content = cJSON_GetObjectItemCaseSensitive(root, "content");
    if (!cJSON_IsObject(root) || format == NULL || !cJSON_IsObject(content)) {
        rc = TIGRESS_E_FORMAT; /* C11: "format" (string) and "content" (object) are required */
        goto out;
    }
    if ((m->body.format = tigress__strdup(format)) == NULL) {
        rc = TIGRESS_E_NOMEM;
        goto out;
    }
    rc = tigress__json_print_secure(content, &m->body.content, &m->body.content_len);
    if (rc == TIGRESS_OK)
        rc = parse_tigress(root, m);
    if (rc == TIGRESS_OK)
        rc = parse_extras(root, m);
out:
    tigress__json_wipe_delete(root);
    return rc;
}

tigress_status tigress__msg_open(tigress__error_slot *err, tigress_payload_type type,
                                 const tigress_secret *secret, const char *data,
                                 const tigress_aead_provider *aead, tigress__msg *out)
{
    tigress_buf pt = {0};
    tigress_status rc;

    memset(out, 0, sizeof(*out));
    rc = tigress__payload_open(&pt, type, secret, data, aead, false);
    if (rc == TIGRESS_E_CRYPTO)
        return tigress__error_set(err, rc, "the payload failed authentication: wrong Secret or "
                                          "tampered payload");
    if (rc != TIGRESS_OK)
        return tigress__error_from_last(err, rc, "decrypting the payload");
    rc = parse_plaintext((const char *)pt.ptr, pt.size, out);
    tigress_buf_dispose(&pt);
    if (rc != TIGRESS_OK) {
        tigress__msg_clear(out);
        if (rc == TIGRESS_E_NOMEM)
            return tigress__error_set(err, rc, "out of memory");
        return tigress__error_set(err, rc, "the decrypted message is not valid Provisioning "
                                          "Information (format, content, tigress, txInfo, "
                                          "signature)");
    }
    return TIGRESS_OK;
}

bool tigress__msg_is_new(const tigress__msg *m, tigress_role own_role, uint32_t last_seq,
                         bool same_data)
{
    /* C24: the single slot shows a party its own last write; an old seq is a replay. */
    if (m->has_tigress)
        return m->role != own_role && m->seq > last_seq;
    return !same_data;
}

uint8_t *tigress__msg_sig_input(const char *mailbox_id, const uint8_t *txinfo, size_t txinfo_len,
                                size_t *len)
{
    const size_t ctx = sizeof(TIGRESS__SIG_CONTEXT) - 1;
    uint8_t *buf;

    if (txinfo_len > TIGRESS__TXINFO_MAX || strlen(mailbox_id) != 36)
        return NULL;
    buf = tigress__malloc(ctx + 36 + txinfo_len);
    if (buf == NULL)
        return NULL;
    memcpy(buf, TIGRESS__SIG_CONTEXT, ctx);
    memcpy(buf + ctx, mailbox_id, 36);
    if (txinfo_len > 0)
        memcpy(buf + ctx + 36, txinfo, txinfo_len);
    *len = ctx + 36 + txinfo_len;
    return buf;
}
