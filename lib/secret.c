/*
 * tigress_secret: the symmetric key of one transfer.
 *
 * The key bytes and their Base64 text live together in one guarded block (secmem.c:
 * sodium_malloc, guard pages, canary, excluded from core dumps) and are wiped when freed. Nothing here ever puts key material or the text it was
 * decoded from into an error message.
 */
#include <sodium.h>
#include <string.h>

#include "internal.h"

#define SECRET_MAX_BYTES 32
/* Padded Base64 of 32 bytes is 44 characters. */
#define SECRET_TEXT_MAX 45
/* A generous bound on the text form: 32 bytes, every character percent-encoded, is 132. */
#define SECRET_INPUT_MAX 256

struct tigress_secret {
    size_t len;
    uint8_t key[SECRET_MAX_BYTES];
    char text[SECRET_TEXT_MAX];
};

/* sodium_malloc needs sodium_init(); it is idempotent and thread-safe, so calling it here keeps
 * a forgotten tigress_global_init() from turning into a crash. */
static tigress_status ensure_sodium(void)
{
    if (sodium_init() < 0)
        return tigress__fail(TIGRESS_E_INTERNAL, "libsodium failed to initialise");
    return TIGRESS_OK;
}

/* Allocate a Secret and copy len (16 or 32) key bytes into it. */
static tigress_status secret_new(tigress_secret **out, const uint8_t *key, size_t len)
{
    tigress_secret *s;
    tigress_status rc = ensure_sodium();

    if (rc != TIGRESS_OK)
        return rc;
    s = tigress__secure_alloc(sizeof(*s)); /* zeroed */
    if (s == NULL)
        return tigress__fail(TIGRESS_E_NOMEM, "out of guarded memory for a Secret");
    s->len = len;
    memcpy(s->key, key, len);
    sodium_bin2base64(s->text, sizeof(s->text), s->key, len, sodium_base64_VARIANT_ORIGINAL);
    *out = s;
    return TIGRESS_OK;
}

tigress_status tigress_secret_from_bytes(tigress_secret **out, const uint8_t *key, size_t key_len)
{
    if (out == NULL)
        return tigress__fail(TIGRESS_E_INVALID, "tigress_secret_from_bytes: out is NULL");
    *out = NULL;
    if (key == NULL)
        return tigress__fail(TIGRESS_E_INVALID, "tigress_secret_from_bytes: key is NULL");
    if (key_len != 16 && key_len != 32)
        return tigress__fail(TIGRESS_E_KEY, "a Secret must be 16 or 32 bytes, not %zu", key_len);
    return secret_new(out, key, key_len);
}

tigress_status tigress_secret_generate(tigress_secret **out, tigress_payload_type type)
{
    uint8_t key[SECRET_MAX_BYTES];
    size_t len;
    tigress_status rc;

    if (out == NULL)
        return tigress__fail(TIGRESS_E_INVALID, "tigress_secret_generate: out is NULL");
    *out = NULL;
    len = tigress_payload_key_bytes(type);
    if (len == 0)
        return tigress__fail(TIGRESS_E_UNSUPPORTED, "unknown payload type %d", (int)type);
    rc = ensure_sodium();
    if (rc != TIGRESS_OK)
        return rc;
    randombytes_buf(key, len);
    rc = secret_new(out, key, len);
    sodium_memzero(key, sizeof(key));
    return rc;
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Percent-decode src into dst (room for strlen(src) + 1). Returns the decoded length, or
 * (size_t)-1 on a malformed escape or a decoded NUL. */
static size_t percent_decode(char *dst, const char *src)
{
    size_t n = 0;

    for (size_t i = 0; src[i] != '\0'; i++) {
        if (src[i] != '%') {
            dst[n++] = src[i];
            continue;
        }
        int hi = hex_value(src[i + 1]);
        int lo = hi < 0 ? -1 : hex_value(src[i + 2]);
        if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
            return (size_t)-1;
        dst[n++] = (char)(hi * 16 + lo);
        i += 2;
    }
    dst[n] = '\0';
    return n;
}

tigress_status tigress_secret_from_text(tigress_secret **out, const char *text)
{
    char *plain = NULL;
    uint8_t *key = NULL;
    size_t text_len, plain_len, key_len = 0;
    tigress_status rc;

    if (out == NULL)
        return tigress__fail(TIGRESS_E_INVALID, "tigress_secret_from_text: out is NULL");
    *out = NULL;
    if (text == NULL)
        return tigress__fail(TIGRESS_E_INVALID, "tigress_secret_from_text: text is NULL");
    text_len = strlen(text);
    if (text_len == 0 || text_len > SECRET_INPUT_MAX)
        return tigress__fail(TIGRESS_E_KEY, "Secret text has an impossible length (%zu)",
                             text_len);
    plain = tigress__malloc(text_len + 1);
    if (plain == NULL) {
        rc = tigress__fail(TIGRESS_E_NOMEM, "out of memory decoding a Secret");
        goto out;
    }
    plain_len = percent_decode(plain, text);
    if (plain_len == (size_t)-1) {
        rc = tigress__fail(TIGRESS_E_KEY, "Secret text has a malformed percent-escape");
        goto out;
    }
    rc = tigress__b64_decode(&key, &key_len, plain, plain_len);
    if (rc == TIGRESS_E_NOMEM) {
        rc = tigress__fail(TIGRESS_E_NOMEM, "out of memory decoding a Secret");
        goto out;
    }
    if (rc != TIGRESS_OK) {
        rc = tigress__fail(TIGRESS_E_KEY, "Secret text is not valid Base64");
        goto out;
    }
    if (key_len != 16 && key_len != 32) {
        rc = tigress__fail(TIGRESS_E_KEY, "Secret decodes to %zu bytes; 16 or 32 are needed",
                           key_len);
        goto out;
    }
    rc = secret_new(out, key, key_len);
out:
    if (plain != NULL) {
        sodium_memzero(plain, text_len + 1);
        tigress__free(plain);
    }
    if (key != NULL) {
        sodium_memzero(key, key_len + 1);
        tigress__free(key);
    }
    return rc;
}

const uint8_t *tigress_secret_bytes(const tigress_secret *secret)
{
    return secret == NULL ? NULL : secret->key;
}

size_t tigress_secret_size(const tigress_secret *secret)
{
    return secret == NULL ? 0 : secret->len;
}

const char *tigress_secret_text(const tigress_secret *secret)
{
    return secret == NULL ? NULL : secret->text;
}

void tigress_secret_free(tigress_secret *secret)
{
    /* sodium_free (behind it) wipes the whole block before releasing it. */
    tigress__secure_free(secret);
}
