/*
 * The relay's request and response bodies (draft-vinokurov-tigress-http-00 §6, docs/protocol.md).
 * The JSON writer and the cJSON helpers are in json.c, below this file and message.c.
 */
#include <cjson/cJSON.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "transfer_internal.h"

/* ------------------------------------------------------------------ request bodies */

static void jw_payload(tigress__jw *w, const char *payload_type, const char *data)
{
    tigress__jw_obj_open(w, "payload");
    tigress__jw_str(w, "type", payload_type);
    tigress__jw_str(w, "data", data);
    tigress__jw_obj_close(w);
}

static void jw_token(tigress__jw *w, const char *token_type, const char *token_data)
{
    if (token_type == NULL)
        return;
    tigress__jw_obj_open(w, "notificationToken");
    tigress__jw_str(w, "type", token_type);
    tigress__jw_str(w, "tokenData", token_data);
    tigress__jw_obj_close(w);
}

char *tigress__wire_create_body(const char *payload_type, const char *data,
                                const tigress__display *display, const char *token_type,
                                const char *token_data, bool stateful, const char *expiration,
                                size_t *len)
{
    tigress__jw w;

    tigress__jw_init(&w);
    tigress__jw_obj_open(&w, NULL);
    jw_payload(&w, payload_type, data);
    tigress__jw_obj_open(&w, "displayInformation");
    tigress__jw_str(&w, "title", display->title);
    tigress__jw_str(&w, "description", display->description);
    tigress__jw_str(&w, "imageURL", display->image_url);
    tigress__jw_obj_close(&w);
    jw_token(&w, token_type, token_data);
    /* Always sent: the relay default "RD" would silently forbid the stateful Updates (C21). */
    tigress__jw_obj_open(&w, "mailboxConfiguration");
    tigress__jw_str(&w, "accessRights", stateful ? "RWD" : "RD");
    tigress__jw_str(&w, "expiration", expiration);
    tigress__jw_obj_close(&w);
    tigress__jw_obj_close(&w);
    return tigress__jw_take(&w, len);
}

char *tigress__wire_token_body(const char *token_type, const char *token_data, size_t *len)
{
    tigress__jw w;

    tigress__jw_init(&w);
    tigress__jw_obj_open(&w, NULL);
    jw_token(&w, token_type, token_data);
    tigress__jw_obj_close(&w);
    return tigress__jw_take(&w, len);
}

char *tigress__wire_update_body(const char *payload_type, const char *data,
                                const char *token_type, const char *token_data, size_t *len)
{
    tigress__jw w;

    tigress__jw_init(&w);
    tigress__jw_obj_open(&w, NULL);
    jw_payload(&w, payload_type, data);
    jw_token(&w, token_type, token_data);
    tigress__jw_obj_close(&w);
    return tigress__jw_take(&w, len);
}

/* ------------------------------------------------------------------ responses */

static cJSON *parse_body(tigress_client *c, const char *body, size_t len, const char *what,
                         tigress_status *rc)
{
    cJSON *root;

    if (body == NULL || len == 0) {
        *rc = tigress__client_fail(c, TIGRESS_E_PROTOCOL, "%s: the relay sent no body", what);
        return NULL;
    }
    root = cJSON_ParseWithLength(body, len);
    if (root == NULL) {
        if (tigress__json_out_of_memory()) {
            *rc = tigress__client_fail(c, TIGRESS_E_NOMEM, "out of memory");
            return NULL;
        }
        *rc = tigress__client_fail(c, TIGRESS_E_PROTOCOL, "%s: the relay's body is not JSON", what);
        return NULL;
    }
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        *rc = tigress__client_fail(c, TIGRESS_E_PROTOCOL, "%s: the relay's body is not a JSON object",
                                   what);
        return NULL;
    }
    *rc = TIGRESS_OK;
    return root;
}

static const char *get_str(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

    return cJSON_IsString(v) ? v->valuestring : NULL;
}

tigress_status tigress__wire_parse_create(tigress_client *c, const char *body, size_t len,
                                          char **url_link, bool *push)
{
    tigress_status rc;
    cJSON *root = parse_body(c, body, len, "CreateMailbox response", &rc);
    const char *link;
    const cJSON *p;

    *url_link = NULL;
    *push = false;
    if (root == NULL)
        return rc;
    link = get_str(root, "urlLink");
    if (link == NULL || link[0] == '\0') {
        /* A 201 without the original body cannot tell us which mailbox was made. */
        cJSON_Delete(root);
        return tigress__client_fail(c, TIGRESS_E_PROTOCOL,
                                    "CreateMailbox response has no \"urlLink\" string");
    }
    p = cJSON_GetObjectItemCaseSensitive(root, "isPushNotificationSupported");
    *push = cJSON_IsTrue(p);
    *url_link = tigress__strdup(link);
    cJSON_Delete(root);
    if (*url_link == NULL)
        return tigress__client_fail(c, TIGRESS_E_NOMEM, "out of memory");
    return TIGRESS_OK;
}

void tigress__read_result_clear(tigress__read_result *r)
{
    tigress__free(r->data);
    tigress__free(r->title);
    tigress__free(r->description);
    tigress__free(r->image_url);
    memset(r, 0, sizeof(*r));
}

static tigress_status read_display(tigress_client *c, const cJSON *root, tigress__read_result *out)
{
    const cJSON *d = cJSON_GetObjectItemCaseSensitive(root, "displayInformation");
    const char *title, *desc, *image;

    if (d == NULL)
        return TIGRESS_OK; /* display information is only used for the UI */
    if (!cJSON_IsObject(d))
        return tigress__client_fail(c, TIGRESS_E_PROTOCOL,
                                    "\"displayInformation\" in the read response is not an object");
    title = get_str(d, "title");
    desc = get_str(d, "description");
    image = get_str(d, "imageURL");
    out->title = tigress__strdup(title != NULL ? title : "");
    out->description = tigress__strdup(desc != NULL ? desc : "");
    out->image_url = tigress__strdup(image != NULL ? image : "");
    if (out->title == NULL || out->description == NULL || out->image_url == NULL)
        return tigress__client_fail(c, TIGRESS_E_NOMEM, "out of memory");
    return TIGRESS_OK;
}

tigress_status tigress__wire_parse_read(tigress_client *c, const char *body, size_t len,
                                        tigress__read_result *out)
{
    tigress_status rc;
    cJSON *root;
    const cJSON *payload;
    const char *type, *data, *exp;

    memset(out, 0, sizeof(*out));
    out->expires_at = -1;
    root = parse_body(c, body, len, "read response", &rc);
    if (root == NULL)
        return rc;
    payload = cJSON_GetObjectItemCaseSensitive(root, "payload");
    type = get_str(payload, "type");
    data = get_str(payload, "data");
    if (!cJSON_IsObject(payload) || type == NULL || data == NULL) {
        rc = tigress__client_fail(c, TIGRESS_E_PROTOCOL,
                                  "read response lacks a \"payload\" object with \"type\" and \"data\"");
        goto out;
    }
    if (tigress_payload_type_from_name(&out->payload_type, type) != TIGRESS_OK) {
        rc = tigress__client_fail(c, TIGRESS_E_UNSUPPORTED, "unsupported payload type in the mailbox");
        goto out;
    }
    exp = get_str(root, "expiration");
    if (exp != NULL && tigress__time_parse(exp, &out->expires_at) != TIGRESS_OK) {
        rc = tigress__client_fail(c, TIGRESS_E_PROTOCOL,
                                  "\"expiration\" in the read response is not YYYY-MM-DDThh:mm:ssZ");
        goto out;
    }
    out->data = tigress__strdup(data);
    if (out->data == NULL) {
        rc = tigress__client_fail(c, TIGRESS_E_NOMEM, "out of memory");
        goto out;
    }
    rc = read_display(c, root, out);
out:
    cJSON_Delete(root);
    if (rc != TIGRESS_OK)
        tigress__read_result_clear(out);
    return rc;
}

tigress_status tigress__wire_parse_update(tigress_client *c, const char *body, size_t len,
                                          bool *push, bool *has_push)
{
    cJSON *root;
    const cJSON *p;

    *push = false;
    *has_push = false;
    /* A 201 (duplicate) may come without a body; the Update itself is done. */
    if (body == NULL || len == 0)
        return TIGRESS_OK;
    root = cJSON_ParseWithLength(body, len);
    if (root == NULL)
        return TIGRESS_OK; /* the write succeeded; an unreadable extra does not undo it */
    p = cJSON_GetObjectItemCaseSensitive(root, "isPushNotificationSupported");
    if (cJSON_IsBool(p)) {
        *has_push = true;
        *push = cJSON_IsTrue(p);
    }
    (void)c;
    cJSON_Delete(root);
    return TIGRESS_OK;
}
