/*
 * JSON on the wire: a small writer (its buffer is wiped when it grows or is freed, so it can
 * hold plaintext), cJSON helpers that wipe what cJSON allocated, and the relay's request and
 * response bodies (draft-vinokurov-tigress-http-00 §6, DESIGN §3).
 */
#include <cjson/cJSON.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "transfer_internal.h"

/* ------------------------------------------------------------------ writer */

void tigress__jw_init(tigress__jw *w)
{
    memset(w, 0, sizeof(*w));
}

void tigress__jw_free(tigress__jw *w)
{
    if (w->buf != NULL) {
        sodium_memzero(w->buf, w->cap);
        tigress__free(w->buf);
    }
    tigress__jw_init(w);
}

char *tigress__jw_take(tigress__jw *w, size_t *len)
{
    char *out;

    if (w->failed || w->buf == NULL) {
        tigress__jw_free(w);
        return NULL;
    }
    out = w->buf;
    if (len != NULL)
        *len = w->len;
    tigress__jw_init(w);
    return out;
}

/* Grow by allocating a new block and wiping the old one: realloc could leave a copy behind. */
static bool jw_reserve(tigress__jw *w, size_t more)
{
    size_t need, cap;
    char *nb;

    if (w->failed)
        return false;
    if (more > SIZE_MAX / 2 - w->len - 1) {
        w->failed = true;
        return false;
    }
    need = w->len + more + 1;
    if (need <= w->cap)
        return true;
    cap = w->cap == 0 ? 256 : w->cap;
    while (cap < need)
        cap *= 2;
    nb = tigress__malloc(cap);
    if (nb == NULL) {
        w->failed = true;
        return false;
    }
    if (w->buf != NULL) {
        memcpy(nb, w->buf, w->len + 1);
        sodium_memzero(w->buf, w->cap);
        tigress__free(w->buf);
    } else {
        nb[0] = '\0';
    }
    w->buf = nb;
    w->cap = cap;
    return true;
}

static void jw_put(tigress__jw *w, const char *s, size_t n)
{
    if (!jw_reserve(w, n))
        return;
    memcpy(w->buf + w->len, s, n);
    w->len += n;
    w->buf[w->len] = '\0';
}

static void jw_puts(tigress__jw *w, const char *s)
{
    jw_put(w, s, strlen(s));
}

static void jw_escaped(tigress__jw *w, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    const char *run = s;

    jw_put(w, "\"", 1);
    for (; *s != '\0'; s++) {
        unsigned char ch = (unsigned char)*s;
        char esc[7];
        size_t n = 0;

        if (ch == '"' || ch == '\\') {
            esc[0] = '\\';
            esc[1] = (char)ch;
            n = 2;
        } else if (ch == '\n' || ch == '\r' || ch == '\t') {
            esc[0] = '\\';
            esc[1] = ch == '\n' ? 'n' : ch == '\r' ? 'r' : 't';
            n = 2;
        } else if (ch < 0x20) {
            esc[0] = '\\';
            esc[1] = 'u';
            esc[2] = '0';
            esc[3] = '0';
            esc[4] = hex[ch >> 4];
            esc[5] = hex[ch & 15];
            n = 6;
        }
        if (n > 0) {
            jw_put(w, run, (size_t)(s - run));
            jw_put(w, esc, n);
            run = s + 1;
        }
    }
    jw_put(w, run, (size_t)(s - run));
    jw_put(w, "\"", 1);
}

/* Comma and key before a member (or a bare value when key is NULL). */
static void jw_key(tigress__jw *w, const char *key)
{
    if (w->need_comma)
        jw_put(w, ",", 1);
    if (key != NULL) {
        jw_escaped(w, key);
        jw_put(w, ":", 1);
    }
    w->need_comma = true;
}

void tigress__jw_obj_open(tigress__jw *w, const char *key)
{
    jw_key(w, key);
    jw_put(w, "{", 1);
    w->need_comma = false;
}

void tigress__jw_obj_close(tigress__jw *w)
{
    jw_put(w, "}", 1);
    w->need_comma = true;
}

void tigress__jw_str(tigress__jw *w, const char *key, const char *value)
{
    jw_key(w, key);
    jw_escaped(w, value != NULL ? value : "");
}

void tigress__jw_int(tigress__jw *w, const char *key, int64_t value)
{
    char num[24];

    jw_key(w, key);
    snprintf(num, sizeof(num), "%lld", (long long)value);
    jw_puts(w, num);
}

void tigress__jw_bool(tigress__jw *w, const char *key, bool value)
{
    jw_key(w, key);
    jw_puts(w, value ? "true" : "false");
}

void tigress__jw_raw(tigress__jw *w, const char *key, const char *json, size_t len)
{
    jw_key(w, key);
    jw_put(w, json, len);
}

void tigress__jw_b64(tigress__jw *w, const char *key, const uint8_t *data, size_t len)
{
    size_t cap = sodium_base64_encoded_len(len, sodium_base64_VARIANT_ORIGINAL);

    jw_key(w, key);
    if (!jw_reserve(w, cap + 2))
        return;
    w->buf[w->len++] = '"';
    sodium_bin2base64(w->buf + w->len, cap, data, len, sodium_base64_VARIANT_ORIGINAL);
    w->len += strlen(w->buf + w->len);
    w->buf[w->len++] = '"';
    w->buf[w->len] = '\0';
}

/* ------------------------------------------------------------------ cJSON helpers */

static void json_wipe(cJSON *item)
{
    for (; item != NULL; item = item->next) {
        if (item->valuestring != NULL)
            sodium_memzero(item->valuestring, strlen(item->valuestring));
        if (item->string != NULL && !(item->type & cJSON_StringIsConst))
            sodium_memzero(item->string, strlen(item->string));
        json_wipe(item->child);
    }
}

void tigress__json_wipe_delete(cJSON *item)
{
    if (item == NULL)
        return;
    json_wipe(item->child);
    if (item->valuestring != NULL)
        sodium_memzero(item->valuestring, strlen(item->valuestring));
    cJSON_Delete(item);
}

tigress_status tigress__json_print_secure(const cJSON *item, char **out, size_t *len)
{
    /* cJSON_Print* would grow its buffer with realloc and leave unwiped copies behind;
     * print into guarded memory instead, doubling until it fits. */
    size_t cap = 256;

    *out = NULL;
    *len = 0;
    for (;;) {
        char *buf = sodium_malloc(cap);

        if (buf == NULL)
            return TIGRESS_E_NOMEM;
        if (cJSON_PrintPreallocated((cJSON *)(uintptr_t)item, buf, (int)cap, 0)) {
            *out = buf;
            *len = strlen(buf);
            return TIGRESS_OK;
        }
        sodium_free(buf);
        if (cap > (size_t)INT_MAX / 2)
            return TIGRESS_E_NOMEM;
        cap *= 2;
    }
}

bool tigress__json_out_of_memory(void)
{
    /* cJSON returns NULL both for bad input and for a failed allocation; a small probe
     * allocation tells the two apart well enough to report E_NOMEM rather than bad input. */
    void *probe = cJSON_malloc(256);

    if (probe == NULL)
        return true;
    cJSON_free(probe);
    return false;
}

bool tigress__json_is_object_text(const char *text)
{
    /* require_null_terminated: nothing but whitespace may follow the object. */
    cJSON *root = cJSON_ParseWithOpts(text, NULL, 1);
    bool ok = cJSON_IsObject(root);

    tigress__json_wipe_delete(root);
    return ok;
}

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
