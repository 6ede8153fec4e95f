/*
 * JSON helpers below the wire bodies (wire.c) and the encrypted messages (message.c): a small
 * writer whose buffer is wiped when it grows or is freed (so it can hold plaintext), and cJSON
 * helpers that wipe what cJSON allocated.
 */
#include <cjson/cJSON.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "json.h"

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
