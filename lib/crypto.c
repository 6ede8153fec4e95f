/*
 * Payload encryption (the `data` string of a payload envelope). The payload-type table (names,
 * key sizes) is in payload_type.c, below this file and secret.c.
 *
 *   XSALSA20_POLY1305: Base64(nonce(24) || MAC(16) || ciphertext)  libsodium secretbox "easy"
 *   AEAD_AES_*_GCM:    Base64(IV(12) || ciphertext || tag(16))     aead.c, no AAD
 *
 * AES-GCM itself is computed by aead.c: the client's or the process's AEAD provider, else the
 * built-in backend of this build (OpenSSL, or libsodium in the portable build).
 *
 * Every buffer that holds plaintext or raw decoded bytes is wiped before it is freed, on every
 * path. A failed tag check returns TIGRESS_E_CRYPTO and never any plaintext.
 */
#include <sodium.h>
#include <string.h>

#include "aead_internal.h"

static bool is_gcm(tigress_payload_type type)
{
    return type == TIGRESS_PAYLOAD_AES_128_GCM || type == TIGRESS_PAYLOAD_AES_256_GCM;
}

static size_t nonce_bytes(tigress_payload_type type)
{
    return is_gcm(type) ? TIGRESS__GCM_IV_BYTES : TIGRESS__SECRETBOX_NONCE_BYTES;
}

/* Wipe and free a tigress__malloc buffer of len bytes; NULL is a no-op. */
static void wipe_free(uint8_t *p, size_t len)
{
    if (p != NULL) {
        sodium_memzero(p, len);
        tigress__free(p);
    }
}

/* Arguments shared by seal and open: type known, key length right for it. */
static tigress_status check_type_and_key(tigress_payload_type type, const tigress_secret *secret)
{
    size_t key_bytes = tigress_payload_key_bytes(type);

    if (key_bytes == 0)
        return tigress__fail(TIGRESS_E_UNSUPPORTED, "unknown payload type %d", (int)type);
    if (tigress_secret_size(secret) != key_bytes)
        return tigress__fail(TIGRESS_E_KEY, "%s needs a %zu-byte Secret, this one has %zu bytes",
                             tigress_payload_type_name(type), key_bytes,
                             tigress_secret_size(secret));
    return TIGRESS_OK;
}

/* seal_with_nonce with the client's AEAD provider (NULL: the default, else built-in). */
static tigress_status seal_with_nonce(tigress_buf *out, tigress_payload_type type,
                                      const tigress_secret *secret, const uint8_t *nonce,
                                      size_t nonce_len, const uint8_t *plaintext,
                                      size_t plaintext_len, const tigress_aead_provider *aead)
{
    uint8_t *text, *raw;
    size_t raw_len, text_len;
    tigress_status rc;

    if (out == NULL)
        return tigress__fail(TIGRESS_E_INVALID, "tigress_payload_seal: out is NULL");
    out->ptr = NULL;
    out->size = 0;
    if (secret == NULL || nonce == NULL || (plaintext == NULL && plaintext_len > 0))
        return tigress__fail(TIGRESS_E_INVALID, "tigress_payload_seal: NULL argument");
    rc = check_type_and_key(type, secret);
    if (rc != TIGRESS_OK)
        return rc;
    if (nonce_len != nonce_bytes(type))
        return tigress__fail(TIGRESS_E_INVALID, "wrong nonce length for the payload type");
    if (plaintext_len > TIGRESS__PAYLOAD_MAX)
        return tigress__fail(TIGRESS_E_INVALID, "plaintext of %zu bytes exceeds the 16 MiB limit",
                             plaintext_len);

    /*
     * One allocation: the text buffer. nonce||sealed bytes are written at its end and then
     * Base64-encoded in place towards the front (see tigress__b64_public_encode_in_place), so
     * there is no separate raw buffer to allocate, copy, wipe and free.
     */
    raw_len = nonce_len + TIGRESS__TAG_BYTES + plaintext_len;
    text_len = (raw_len + 2) / 3 * 4;
    text = tigress__malloc(text_len + 1);
    if (text == NULL)
        return tigress__fail(TIGRESS_E_NOMEM, "out of memory sealing a payload");
    raw = text + text_len + 1 - raw_len;
    memcpy(raw, nonce, nonce_len);
    if (is_gcm(type)) {
        rc = tigress__aead_seal(aead, type, tigress_secret_bytes(secret),
                                tigress_secret_size(secret), nonce, plaintext, plaintext_len,
                                raw + nonce_len, raw + nonce_len + plaintext_len);
        if (rc != TIGRESS_OK)
            goto fail;
    } else if (crypto_secretbox_easy(raw + nonce_len, plaintext_len > 0 ? plaintext : raw,
                                     plaintext_len, nonce, tigress_secret_bytes(secret)) != 0) {
        rc = tigress__fail(TIGRESS_E_INTERNAL, "secretbox encryption failed");
        goto fail;
    }
    /* The text is tigress__malloc'd and NUL-terminated: what tigress_buf_dispose expects. */
    tigress__b64_public_encode_in_place(text, raw_len);
    out->ptr = text;
    out->size = text_len;
    return TIGRESS_OK;
fail:
    wipe_free(text, text_len + 1);
    return rc;
}

tigress_status tigress__payload_seal_with_nonce(tigress_buf *out, tigress_payload_type type,
                                                const tigress_secret *secret,
                                                const uint8_t *nonce, size_t nonce_len,
                                                const uint8_t *plaintext, size_t plaintext_len)
{
    return seal_with_nonce(out, type, secret, nonce, nonce_len, plaintext, plaintext_len, NULL);
}

tigress_status tigress__payload_seal(tigress_buf *out, tigress_payload_type type,
                                     const tigress_secret *secret, const uint8_t *plaintext,
                                     size_t plaintext_len, const tigress_aead_provider *aead)
{
    uint8_t nonce[TIGRESS__SECRETBOX_NONCE_BYTES];
    size_t n = nonce_bytes(type);
    tigress_status rc;

    if (out != NULL) {
        out->ptr = NULL;
        out->size = 0;
    }
    if (sodium_init() < 0)
        return tigress__fail(TIGRESS_E_INTERNAL, "libsodium failed to initialise");
    /* A fresh random nonce for every message (C8): 96 random bits for GCM, 192 for XSalsa20. */
    randombytes_buf(nonce, n);
    rc = seal_with_nonce(out, type, secret, nonce, n, plaintext, plaintext_len, aead);
    sodium_memzero(nonce, sizeof(nonce));
    return rc;
}

tigress_status tigress_payload_seal(tigress_buf *out, tigress_payload_type type,
                                    const tigress_secret *secret, const uint8_t *plaintext,
                                    size_t plaintext_len)
{
    return tigress__payload_seal(out, type, secret, plaintext, plaintext_len, NULL);
}

/* Longest `data` text whose decoded form could hold a maximal plaintext. */
static size_t max_data_chars(void)
{
    size_t raw = TIGRESS__SECRETBOX_NONCE_BYTES + TIGRESS__TAG_BYTES + TIGRESS__PAYLOAD_MAX;

    return (raw + 2) / 3 * 4;
}

/* Decrypt buf = ct||tag (GCM) or MAC||ct (secretbox) so the plaintext starts at buf. */
static tigress_status open_in_place(uint8_t *buf, size_t pt_len, tigress_payload_type type,
                                    const tigress_secret *secret, const uint8_t *nonce,
                                    const tigress_aead_provider *aead)
{
    if (is_gcm(type))
        /* Exactly in place (in == out), which every backend and provider must support. */
        return tigress__aead_open(aead, type, tigress_secret_bytes(secret),
                                  tigress_secret_size(secret), nonce, buf, pt_len,
                                  buf + pt_len, buf);
    uint8_t mac[TIGRESS__TAG_BYTES];
    int r;

    memcpy(mac, buf, sizeof(mac));
    /* libsodium documents overlapping m and c as supported (it moves c down first). */
    r = crypto_secretbox_open_detached(buf, buf + TIGRESS__TAG_BYTES, mac, pt_len, nonce,
                                       tigress_secret_bytes(secret));
    sodium_memzero(mac, sizeof(mac));
    if (r != 0)
        return tigress__fail(TIGRESS_E_CRYPTO,
                             "payload authentication failed: wrong Secret or tampered data");
    return TIGRESS_OK;
}

tigress_status tigress__payload_open(tigress_buf *out, tigress_payload_type type,
                                     const tigress_secret *secret, const char *data,
                                     const tigress_aead_provider *aead, bool guarded)
{
    uint8_t nonce[TIGRESS__SECRETBOX_NONCE_BYTES];
    uint8_t *buf = NULL;
    size_t raw_len = 0, data_len, nlen, max, cap = 0, pt_len = 0;
    tigress_status rc;

    if (out == NULL)
        return tigress__fail(TIGRESS_E_INVALID, "tigress_payload_open: out is NULL");
    out->ptr = NULL;
    out->size = 0;
    if (secret == NULL || data == NULL)
        return tigress__fail(TIGRESS_E_INVALID, "tigress_payload_open: NULL argument");
    rc = check_type_and_key(type, secret);
    if (rc != TIGRESS_OK)
        return rc;
    data_len = strlen(data);
    if (data_len > max_data_chars())
        return tigress__fail(TIGRESS_E_FORMAT, "payload data exceeds the 16 MiB limit");

    /*
     * One allocation, which becomes the caller's plaintext buffer: the nonce (a whole number of
     * Base64 groups: 12 or 24 bytes) is decoded to the stack and everything after it straight
     * into buf, where it is decrypted in place. `data` is ciphertext, so the fast
     * non-constant-time decoder is fine here.
     */
    nlen = nonce_bytes(type);
    max = tigress__b64_public_decoded_max(data_len);
    cap = (max > nlen ? max - nlen : 0) + 1;
    buf = guarded ? tigress__secure_alloc(cap) : tigress__malloc(cap);
    if (buf == NULL) {
        rc = tigress__fail(TIGRESS_E_NOMEM, guarded ? "out of guarded memory opening a payload"
                                                    : "out of memory opening a payload");
        goto out;
    }
    if (tigress__b64_public_decode(nonce, nlen, buf, &raw_len, data, data_len) != TIGRESS_OK) {
        rc = tigress__fail(TIGRESS_E_FORMAT, "payload data is not valid Base64");
        goto out;
    }
    if (raw_len < nlen + TIGRESS__TAG_BYTES) {
        rc = tigress__fail(TIGRESS_E_FORMAT, "payload data is too short (%zu bytes) for %s",
                           raw_len, tigress_payload_type_name(type));
        goto out;
    }
    pt_len = raw_len - nlen - TIGRESS__TAG_BYTES;
    if (pt_len > TIGRESS__PAYLOAD_MAX) {
        rc = tigress__fail(TIGRESS_E_FORMAT, "payload exceeds the 16 MiB limit");
        goto out;
    }
    rc = open_in_place(buf, pt_len, type, secret, nonce, aead);
    if (rc != TIGRESS_OK)
        goto out;
    /* The NUL the public buffer contract promises, and no leftover bytes past it (dispose
     * wipes only size + 1). */
    sodium_memzero(buf + pt_len, cap - pt_len);
    out->ptr = buf;
    out->size = pt_len;
    buf = NULL; /* now owned by the caller, who disposes (and so wipes) it */
    rc = TIGRESS_OK;
out:
    if (guarded)
        tigress__secure_free(buf); /* wipes */
    else
        wipe_free(buf, cap);
    sodium_memzero(nonce, sizeof(nonce));
    return rc;
}

tigress_status tigress_payload_open(tigress_buf *out, tigress_payload_type type,
                                    const tigress_secret *secret, const char *data)
{
    /* The caller keeps the plaintext for as long as it likes: it is opened straight into
     * guarded memory (tigress_buf_dispose knows it). */
    return tigress__payload_open(out, type, secret, data, NULL, true);
}
