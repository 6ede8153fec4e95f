/* Base64 (through libsodium), UUIDs (through libuuid) and RFC 3339 timestamps. */
#define _DEFAULT_SOURCE /* timegm, gmtime_r */
#include <ctype.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <uuid/uuid.h>

#include "internal.h"

char *tigress__b64_encode(const uint8_t *data, size_t len)
{
    size_t cap = sodium_base64_encoded_len(len, sodium_base64_VARIANT_ORIGINAL);
    char *out = tigress__malloc(cap);

    if (out == NULL)
        return NULL;
    sodium_bin2base64(out, cap, data, len, sodium_base64_VARIANT_ORIGINAL);
    return out;
}

/* Pick the libsodium variant from the characters used; -1 when both alphabets are mixed. */
static int b64_variant(const char *text, size_t len)
{
    bool std = false, url = false, padded = false;

    for (size_t i = 0; i < len; i++) {
        char c = text[i];
        if (c == '+' || c == '/')
            std = true;
        else if (c == '-' || c == '_')
            url = true;
        else if (c == '=')
            padded = true;
    }
    if (std && url)
        return -1;
    if (url)
        return padded ? sodium_base64_VARIANT_URLSAFE : sodium_base64_VARIANT_URLSAFE_NO_PADDING;
    return padded ? sodium_base64_VARIANT_ORIGINAL : sodium_base64_VARIANT_ORIGINAL_NO_PADDING;
}

tigress_status tigress__b64_decode(uint8_t **out, size_t *out_len, const char *text, size_t text_len)
{
    int variant;
    size_t cap, got = 0;
    const char *end = NULL;
    uint8_t *buf;

    *out = NULL;
    *out_len = 0;
    variant = b64_variant(text, text_len);
    if (variant < 0)
        return TIGRESS_E_FORMAT;
    cap = text_len / 4 * 3 + 3;
    buf = tigress__malloc(cap + 1);
    if (buf == NULL)
        return TIGRESS_E_NOMEM;
    if (sodium_base642bin(buf, cap, text, text_len, NULL, &got, &end, variant) != 0 ||
        end != text + text_len) {
        sodium_memzero(buf, cap + 1);
        tigress__free(buf);
        return TIGRESS_E_FORMAT;
    }
    buf[got] = 0;
    *out = buf;
    *out_len = got;
    return TIGRESS_OK;
}

void tigress__uuid_v4(char out[37])
{
    uuid_t u;

    uuid_generate_random(u);
    uuid_unparse_lower(u, out);
    sodium_memzero(u, sizeof(u));
}

bool tigress__is_uuid(const char *s)
{
    if (s == NULL || strlen(s) != 36)
        return false;
    for (int i = 0; i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i] != '-')
                return false;
        } else if (!isxdigit((unsigned char)s[i])) {
            return false;
        }
    }
    return true;
}

tigress_status tigress__time_format(int64_t t, char out[21])
{
    struct tm tm;
    time_t tt = (time_t)t;

    if (t < 0 || gmtime_r(&tt, &tm) == NULL || tm.tm_year + 1900 > 9999)
        return TIGRESS_E_INVALID;
    if (strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm) != 20)
        return TIGRESS_E_INVALID;
    return TIGRESS_OK;
}

tigress_status tigress__time_parse(const char *s, int64_t *out)
{
    struct tm tm;
    int n = 0;
    time_t t;

    if (s == NULL || strlen(s) != 20)
        return TIGRESS_E_FORMAT;
    memset(&tm, 0, sizeof(tm));
    if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2dZ%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
               &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n) != 6 || n != 20)
        return TIGRESS_E_FORMAT;
    if (tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 || tm.tm_mday > 31 ||
        tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60)
        return TIGRESS_E_FORMAT;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    t = timegm(&tm);
    if (t == (time_t)-1)
        return TIGRESS_E_FORMAT;
    *out = (int64_t)t;
    return TIGRESS_OK;
}
