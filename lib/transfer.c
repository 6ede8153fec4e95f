/*
 * Transfers, part 1: options, tigress_share_create (Initiator), tigress_redeem (Recipient),
 * accessors and free. The flow after that is in transfer_flow.c, the state machine in
 * transfer_state.c, export/import in transfer_export.c.
 */
#include <cjson/cJSON.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "transfer_internal.h"

#define DEFAULT_TTL_S (24 * 60 * 60)

/* ------------------------------------------------------------------ options */

tigress_status tigress_share_options_init(tigress_share_options *opts, unsigned int version)
{
    static const tigress_share_options init = TIGRESS_SHARE_OPTIONS_INIT;

    if (opts == NULL)
        return tigress__fail(TIGRESS_E_INVALID, "tigress_share_options_init: opts is NULL");
    if (version != TIGRESS_SHARE_OPTIONS_VERSION)
        return tigress__fail(TIGRESS_E_VERSION, "unsupported tigress_share_options version %u",
                             version);
    memcpy(opts, &init, sizeof(init));
    return TIGRESS_OK;
}

tigress_status tigress_redeem_options_init(tigress_redeem_options *opts, unsigned int version)
{
    static const tigress_redeem_options init = TIGRESS_REDEEM_OPTIONS_INIT;

    if (opts == NULL)
        return tigress__fail(TIGRESS_E_INVALID, "tigress_redeem_options_init: opts is NULL");
    if (version != TIGRESS_REDEEM_OPTIONS_VERSION)
        return tigress__fail(TIGRESS_E_VERSION, "unsupported tigress_redeem_options version %u",
                             version);
    memcpy(opts, &init, sizeof(init));
    return TIGRESS_OK;
}

/* ------------------------------------------------------------------ internal helpers */

tigress_transfer *tigress__transfer_alloc(tigress_client *client)
{
    tigress_transfer *t = tigress__calloc(1, sizeof(*t));

    if (t == NULL)
        return NULL;
    t->client = client;
    t->pending_op = -1;
    return t;
}

tigress_status tigress__transfer_fail_from(tigress_client *c, tigress_status rc, const char *what)
{
    return tigress__error_from_last(tigress__client_error(c), rc, what);
}

tigress_status tigress__transfer_seal(tigress_transfer *t, uint32_t seq, bool with_txinfo,
                                      bool with_signature, char **data_out)
{
    const tigress__msg_head head = { t->role, seq, t->stateful };
    const tigress__msg_body body = { t->format, t->content, t->content_len, t->txinfo_type,
                                     t->txinfo, t->txinfo_len, t->sig_alg, t->sig, t->sig_len };

    return tigress__msg_seal(tigress__client_error(t->client), &body, &head, t->payload_type,
                             t->secret, with_txinfo, with_signature,
                             tigress__client_aead(t->client), data_out);
}

tigress_status tigress__transfer_set_content(tigress_transfer *t, const char *text, size_t len)
{
    char *copy = sodium_malloc(len + 1);

    if (copy == NULL)
        return tigress__client_fail(t->client, TIGRESS_E_NOMEM, "out of guarded memory");
    memcpy(copy, text, len);
    copy[len] = '\0';
    if (t->content != NULL)
        sodium_free(t->content);
    t->content = copy;
    t->content_len = len;
    return TIGRESS_OK;
}

void tigress__transfer_note_data(tigress_transfer *t, const char *data)
{
    crypto_generichash(t->last_data_hash, sizeof(t->last_data_hash), (const uint8_t *)data,
                       strlen(data), NULL, 0);
    t->has_last_data = true;
}

bool tigress__transfer_data_is_last(const tigress_transfer *t, const char *data)
{
    uint8_t h[sizeof(t->last_data_hash)];

    if (!t->has_last_data)
        return false;
    crypto_generichash(h, sizeof(h), (const uint8_t *)data, strlen(data), NULL, 0);
    return sodium_memcmp(h, t->last_data_hash, sizeof(h)) == 0;
}

tigress_status tigress__transfer_build_urls(tigress_transfer *t)
{
    tigress_buf url = {0};
    tigress_status rc;

    tigress_buf_dispose(&t->share_url);
    tigress__free(t->url);
    t->url = NULL;
    if (t->secret != NULL) {
        rc = tigress_share_url_build(&t->share_url, t->url_link, t->vertical, t->secret);
        if (rc != TIGRESS_OK)
            return tigress__transfer_fail_from(t->client, rc, "building the Share URL");
    }
    rc = tigress_share_url_build(&url, t->url_link, t->vertical, NULL);
    if (rc != TIGRESS_OK)
        return tigress__transfer_fail_from(t->client, rc, "building the Share URL");
    t->url = (char *)url.ptr; /* tigress__malloc memory, no secret in it */
    return TIGRESS_OK;
}

void tigress_transfer_free(tigress_transfer *t)
{
    if (t == NULL)
        return;
    sodium_memzero(t->claim, sizeof(t->claim));
    sodium_memzero(t->pending_id, sizeof(t->pending_id));
    tigress_secret_free(t->secret);
    tigress_buf_dispose(&t->share_url);
    if (t->content != NULL)
        sodium_free(t->content);
    tigress__free(t->relay);
    tigress__free(t->url_link);
    tigress__free(t->mailbox_url);
    tigress__free_wiped_str(t->attestation);
    tigress__free(t->url);
    tigress__free_wiped_str(t->format);
    tigress__free(t->title);
    tigress__free(t->description);
    tigress__free(t->image_url);
    tigress__free_wiped_str(t->txinfo_type);
    if (t->txinfo != NULL)
        sodium_memzero(t->txinfo, t->txinfo_len);
    tigress__free(t->txinfo);
    tigress__free_wiped_str(t->sig_alg);
    tigress__free(t->sig);
    tigress__free_wiped_str(t->token_type);
    tigress__free_wiped_str(t->token_data);
    tigress__free(t->etag);
    sodium_memzero(t, sizeof(*t));
    tigress__free(t);
}

static bool has_crlf(const char *s)
{
    return s != NULL && strpbrk(s, "\r\n") != NULL;
}

/* ------------------------------------------------------------------ share */

static tigress_status check_share_opts(tigress_client *c, const tigress_share_options *o)
{
    if (o->version < 1 || o->version > TIGRESS_SHARE_OPTIONS_VERSION)
        return tigress__client_fail(c, TIGRESS_E_VERSION,
                                    "unsupported tigress_share_options version %u", o->version);
    if (o->relay_url == NULL || o->relay_url[0] == '\0')
        return tigress__client_fail(c, TIGRESS_E_INVALID, "share options: relay_url is required");
    if (o->format == NULL || o->format[0] == '\0')
        return tigress__client_fail(c, TIGRESS_E_INVALID, "share options: format is required");
    if (o->content_json == NULL || !tigress__json_is_object_text(o->content_json))
        return tigress__client_fail(c, tigress__json_out_of_memory() ? TIGRESS_E_NOMEM :
                                    TIGRESS_E_INVALID,
                                    "share options: content_json must be one JSON object");
    if (o->title == NULL || strlen(o->title) > TIGRESS__DISPLAY_MAX ||
        (o->description != NULL && strlen(o->description) > TIGRESS__DISPLAY_MAX) ||
        (o->image_url != NULL && strlen(o->image_url) > TIGRESS__DISPLAY_MAX))
        return tigress__client_fail(c, TIGRESS_E_INVALID, "share options: title is required; "
                                    "title, description and image_url are at most 256 bytes");
    if (o->image_url != NULL && o->image_url[0] != '\0' &&
        strncmp(o->image_url, "https://", 8) != 0)
        return tigress__client_fail(c, TIGRESS_E_INVALID, "share options: image_url must be https");
    if (o->vertical != 0 && o->vertical != 'a' && o->vertical != 'h' && o->vertical != 'c')
        return tigress__client_fail(c, TIGRESS_E_INVALID,
                                    "share options: vertical must be 'a', 'h', 'c' or 0");
    if (tigress_payload_key_bytes(o->payload_type) == 0)
        return tigress__client_fail(c, TIGRESS_E_UNSUPPORTED, "share options: unknown payload_type %d",
                                    (int)o->payload_type);
    if ((o->notification_token_type == NULL) != (o->notification_token_data == NULL) ||
        has_crlf(o->attestation))
        return tigress__client_fail(c, TIGRESS_E_INVALID, "share options: notification token type "
                                    "and data go together; attestation must be one line");
    if (o->expires_at != 0 && o->expires_at <= (int64_t)time(NULL))
        return tigress__client_fail(c, TIGRESS_E_INVALID, "share options: expires_at is in the past");
    return TIGRESS_OK;
}

/* Copy the Initiator's options into t (everything except what the relay returns). */
static tigress_status share_fill(tigress_transfer *t, const tigress_share_options *o)
{
    size_t rl = strlen(o->relay_url);

    while (rl > 0 && o->relay_url[rl - 1] == '/')
        rl--;
    t->role = TIGRESS_ROLE_INITIATOR;
    t->state = TIGRESS_STATE_CREATED;
    t->stateful = o->stateful != 0;
    t->payload_type = o->payload_type;
    t->vertical = o->vertical;
    t->expires_at = o->expires_at != 0 ? o->expires_at : (int64_t)time(NULL) + DEFAULT_TTL_S;
    t->seq = 1;
    t->relay = tigress__strndup(o->relay_url, rl);
    t->format = tigress__strdup(o->format);
    t->title = tigress__strdup(o->title);
    t->description = tigress__strdup(o->description != NULL ? o->description : "");
    t->image_url = tigress__strdup(o->image_url != NULL ? o->image_url : "");
    t->token_type = tigress__strdup(o->notification_token_type);
    t->token_data = tigress__strdup(o->notification_token_data);
    t->attestation = tigress__strdup(o->attestation);
    if (t->relay == NULL || t->format == NULL || t->title == NULL || t->description == NULL ||
        t->image_url == NULL || (o->notification_token_type != NULL && t->token_type == NULL) ||
        (o->notification_token_data != NULL && t->token_data == NULL) ||
        (o->attestation != NULL && t->attestation == NULL))
        return tigress__client_fail(t->client, TIGRESS_E_NOMEM, "out of memory");
    tigress__uuid_v4(t->claim); /* C2: a fresh claim for every mailbox */
    return tigress__transfer_set_content(t, o->content_json, strlen(o->content_json));
}

/* The relay's urlLink names the mailbox; later requests go to {relay_url}/v1/m/{id}. */
static tigress_status share_adopt_link(tigress_transfer *t, const char *url_link)
{
    tigress_client *c = t->client;
    const tigress_client_options *co = tigress__client_options(c);
    tigress_share_url *u = NULL;
    tigress_status rc;
    size_t n;

    rc = tigress_share_url_parse(&u, url_link,
                                 co->allow_insecure_loopback ? TIGRESS_URL_ALLOW_INSECURE_LOOPBACK : 0);
    if (rc == TIGRESS_E_NOMEM)
        return tigress__client_fail(c, rc, "out of memory");
    if (rc != TIGRESS_OK)
        return tigress__transfer_fail_from(c, TIGRESS_E_PROTOCOL, "the relay's urlLink is unusable");
    if (tigress_share_url_secret(u) != NULL || tigress_share_url_vertical(u) != 0) {
        tigress_share_url_free(u);
        return tigress__client_fail(c, TIGRESS_E_PROTOCOL,
                                    "the relay's urlLink has a query or fragment");
    }
    memcpy(t->mailbox_id, tigress_share_url_mailbox_id(u), 37);
    n = strlen(t->relay) + strlen("/v1/m/") + 36 + 1;
    /* mailbox_url first: once it is set, a failure below deletes the new mailbox. */
    t->mailbox_url = tigress__malloc(n);
    if (t->mailbox_url != NULL)
        snprintf(t->mailbox_url, n, "%s/v1/m/%s", t->relay, t->mailbox_id);
    t->url_link = tigress__strdup(tigress_share_url_mailbox_url(u));
    tigress_share_url_free(u);
    if (t->url_link == NULL || t->mailbox_url == NULL)
        return tigress__client_fail(c, TIGRESS_E_NOMEM, "out of memory");
    return tigress__transfer_build_urls(t);
}

static tigress_status share_send(tigress_transfer *t, const char *data)
{
    tigress_client *c = t->client;
    tigress__display disp = { t->title, t->description, t->image_url };
    tigress__request req;
    tigress__response resp;
    char expiration[21], *body = NULL, *url = NULL, *link = NULL;
    size_t body_len = 0, n = strlen(t->relay) + sizeof("/v1/m");
    tigress_status rc;

    memset(&req, 0, sizeof(req));
    memset(&resp, 0, sizeof(resp));
    if (tigress__time_format(t->expires_at, expiration) != TIGRESS_OK)
        return tigress__client_fail(c, TIGRESS_E_INVALID, "share options: bad expires_at");
    body = tigress__wire_create_body(tigress_payload_type_name(t->payload_type), data, &disp,
                                     t->token_type, t->token_data, t->stateful, expiration,
                                     &body_len);
    url = tigress__malloc(n);
    if (body == NULL || url == NULL) {
        rc = tigress__client_fail(c, TIGRESS_E_NOMEM, "out of memory");
        goto out;
    }
    snprintf(url, n, "%s/v1/m", t->relay);
    req.method = "POST";
    req.url = url;
    req.claim = t->claim;
    req.attestation = t->attestation;
    req.body = body;
    req.body_len = body_len;
    rc = tigress__http_call(c, &req, &resp); /* retries reuse the Request-ID (C4, C6) */
    if (rc != TIGRESS_OK)
        goto out;
    rc = tigress__wire_parse_create(c, resp.body, resp.body_len, &link, &t->push_supported);
    if (rc == TIGRESS_OK)
        rc = share_adopt_link(t, link);
    if (rc != TIGRESS_OK && t->mailbox_url != NULL)
        tigress__transfer_best_effort(c, "DELETE", t->mailbox_url, t->claim); /* don't leave an orphan behind */
out:
    tigress__free(link);
    tigress__response_clear(&resp);
    tigress__free(url);
    tigress__free(body);
    return rc;
}

tigress_status tigress_share_create(tigress_transfer **out, tigress_client *client,
                                    const tigress_share_options *opts)
{
    tigress_transfer *t = NULL;
    tigress_status rc;
    char *data = NULL;

    if (out != NULL)
        *out = NULL;
    if (client == NULL)
        return tigress__fail(TIGRESS_E_INVALID, "tigress_share_create: client is NULL");
    tigress__client_begin(client);
    if (out == NULL || opts == NULL)
        return tigress__client_fail(client, TIGRESS_E_INVALID,
                                    "tigress_share_create: out and opts are required");
    rc = check_share_opts(client, opts);
    if (rc == TIGRESS_OK)
        rc = tigress__client_check_relay(client, opts->relay_url); /* C1, C15 */
    if (rc != TIGRESS_OK)
        return rc;
    t = tigress__transfer_alloc(client);
    if (t == NULL)
        return tigress__client_fail(client, TIGRESS_E_NOMEM, "out of memory");
    rc = share_fill(t, opts);
    if (rc == TIGRESS_OK) {
        rc = tigress_secret_generate(&t->secret, t->payload_type);
        if (rc != TIGRESS_OK)
            rc = tigress__transfer_fail_from(client, rc, "generating the Secret");
    }
    if (rc == TIGRESS_OK)
        rc = tigress__transfer_seal(t, 1, false, false, &data);
    if (rc == TIGRESS_OK)
        rc = share_send(t, data);
    if (rc == TIGRESS_OK) {
        tigress__transfer_note_data(t, data);
        *out = t;
        t = NULL;
    }
    tigress__free(data);
    tigress_transfer_free(t);
    return rc;
}

/* ------------------------------------------------------------------ verifier and accessors */

tigress_status tigress_transfer_set_verifier(tigress_transfer *t, const tigress_verifier *v)
{
    if (t == NULL)
        return tigress__fail(TIGRESS_E_INVALID, "tigress_transfer_set_verifier: transfer is NULL");
    if (v == NULL || v->verify == NULL)
        return tigress__client_fail(t->client, TIGRESS_E_INVALID, "the verifier needs verify()");
    if (v->version < 1 || v->version > TIGRESS_VERIFIER_VERSION)
        return tigress__client_fail(t->client, TIGRESS_E_VERSION,
                                    "unsupported tigress_verifier version %u", v->version);
    t->verifier = *v;
    t->has_verifier = true;
    return TIGRESS_OK;
}

tigress_state tigress_transfer_state(const tigress_transfer *t)
{
    return t != NULL ? t->state : (tigress_state)0;
}

tigress_role tigress_transfer_role(const tigress_transfer *t)
{
    return t != NULL ? t->role : (tigress_role)0;
}

int tigress_transfer_is_stateful(const tigress_transfer *t)
{
    return t != NULL && t->stateful;
}

tigress_flow tigress_transfer_flow(const tigress_transfer *t)
{
    if (t == NULL || t->flow_unknown)
        return TIGRESS_FLOW_UNKNOWN;
    return t->stateful ? TIGRESS_FLOW_STATEFUL : TIGRESS_FLOW_STATELESS;
}

const char *tigress_flow_name(tigress_flow flow)
{
    switch (flow) {
    case TIGRESS_FLOW_STATELESS: return "stateless";
    case TIGRESS_FLOW_STATEFUL: return "stateful";
    case TIGRESS_FLOW_UNKNOWN: return "unknown";
    }
    return "unknown";
}

tigress_payload_type tigress_transfer_payload_type(const tigress_transfer *t)
{
    return t != NULL ? t->payload_type : TIGRESS_PAYLOAD_XSALSA20_POLY1305;
}

const char *tigress_transfer_mailbox_id(const tigress_transfer *t)
{
    return t != NULL ? t->mailbox_id : NULL;
}

const char *tigress_transfer_share_url(const tigress_transfer *t)
{
    return t != NULL && t->share_url.ptr != NULL ? (const char *)t->share_url.ptr : NULL;
}

const char *tigress_transfer_url(const tigress_transfer *t)
{
    return t != NULL ? t->url : NULL;
}

const tigress_secret *tigress_transfer_secret(const tigress_transfer *t)
{
    return t != NULL ? t->secret : NULL;
}

char tigress_transfer_vertical(const tigress_transfer *t)
{
    return t != NULL ? t->vertical : 0;
}

const char *tigress_transfer_format(const tigress_transfer *t)
{
    return t != NULL ? t->format : NULL;
}

const char *tigress_transfer_content(const tigress_transfer *t)
{
    return t != NULL ? t->content : NULL;
}

const char *tigress_transfer_title(const tigress_transfer *t)
{
    return t != NULL ? t->title : NULL;
}

const char *tigress_transfer_description(const tigress_transfer *t)
{
    return t != NULL ? t->description : NULL;
}

const char *tigress_transfer_image_url(const tigress_transfer *t)
{
    return t != NULL ? t->image_url : NULL;
}

int64_t tigress_transfer_expires_at(const tigress_transfer *t)
{
    return t != NULL ? t->expires_at : 0;
}

int tigress_transfer_push_supported(const tigress_transfer *t)
{
    return t != NULL && t->push_supported;
}

tigress_status tigress_transfer_txinfo(const tigress_transfer *t, const char **type_out,
                                       const uint8_t **data_out, size_t *len_out)
{
    if (t == NULL)
        return tigress__fail(TIGRESS_E_INVALID, "tigress_transfer_txinfo: transfer is NULL");
    if (t->txinfo == NULL)
        return TIGRESS_E_STATE;
    if (type_out != NULL)
        *type_out = t->txinfo_type;
    if (data_out != NULL)
        *data_out = t->txinfo;
    if (len_out != NULL)
        *len_out = t->txinfo_len;
    return TIGRESS_OK;
}

tigress_status tigress_transfer_signature(const tigress_transfer *t, const char **alg_out,
                                          const uint8_t **sig_out, size_t *len_out)
{
    if (t == NULL)
        return tigress__fail(TIGRESS_E_INVALID, "tigress_transfer_signature: transfer is NULL");
    if (t->sig == NULL)
        return TIGRESS_E_STATE;
    if (alg_out != NULL)
        *alg_out = t->sig_alg;
    if (sig_out != NULL)
        *sig_out = t->sig;
    if (len_out != NULL)
        *len_out = t->sig_len;
    return TIGRESS_OK;
}
