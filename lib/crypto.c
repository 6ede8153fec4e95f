/*
 * Payload encryption (the `data` string of a payload envelope). The payload-type table (names,
 * key sizes) is in payload_type.c, below this file and secret.c.
 *
 *   XSALSA20_POLY1305: Base64(nonce(24) || MAC(16) || ciphertext)  libsodium secretbox "easy"
 *   AEAD_AES_*_GCM:    Base64(IV(12) || ciphertext || tag(16))     OpenSSL EVP, no AAD
 *
 * Every buffer that holds plaintext or raw decoded bytes is wiped before it is freed, on every
 * path. A failed tag check returns TIGRESS_E_CRYPTO and never any plaintext.
 */
#include <openssl/evp.h>
#include <pthread.h>
#include <sodium.h>
#include <string.h>

#include "crypto_internal.h"

static bool is_gcm(tigress_payload_type type)
{
    return type == TIGRESS_PAYLOAD_AES_128_GCM || type == TIGRESS_PAYLOAD_AES_256_GCM;
}

static size_t nonce_bytes(tigress_payload_type type)
{
    return is_gcm(type) ? TIGRESS__GCM_IV_BYTES : TIGRESS__SECRETBOX_NONCE_BYTES;
}

/*
 * The AES-GCM ciphers, fetched from the default provider once per process. Passing
 * EVP_aes_*_gcm() instead makes OpenSSL 3 repeat that fetch (a locked method-store lookup) at
 * every init. Held for the life of the process; if the fetch fails we fall back to the
 * implicit-fetch objects, which are slower but equivalent.
 */
static pthread_once_t g_gcm_once = PTHREAD_ONCE_INIT;
static EVP_CIPHER *g_gcm128;
static EVP_CIPHER *g_gcm256;

static void gcm_fetch(void)
{
    g_gcm128 = EVP_CIPHER_fetch(NULL, "AES-128-GCM", NULL);
    g_gcm256 = EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL);
}

/* The last tigress_global_cleanup() (no other call running, as documented) gives the fetched
 * ciphers back, so that a program pairing init and cleanup ends with nothing of ours still
 * allocated (valgrind's "still reachable" included). The once cannot run again: a later use
 * gets the implicit-fetch objects below, which are slower but equivalent. */
static void gcm_fetch_none(void)
{
}

void tigress__crypto_global_cleanup(void)
{
    pthread_once(&g_gcm_once, gcm_fetch_none); /* never used: nothing fetched, nor later */
    EVP_CIPHER_free(g_gcm128);
    EVP_CIPHER_free(g_gcm256);
    g_gcm128 = NULL;
    g_gcm256 = NULL;
}

static const EVP_CIPHER *gcm_cipher(tigress_payload_type type)
{
    const EVP_CIPHER *c;

    pthread_once(&g_gcm_once, gcm_fetch);
    c = type == TIGRESS_PAYLOAD_AES_128_GCM ? g_gcm128 : g_gcm256;
    if (c == NULL)
        c = type == TIGRESS_PAYLOAD_AES_128_GCM ? EVP_aes_128_gcm() : EVP_aes_256_gcm();
    return c;
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

/* AES-GCM encrypt: writes ct(len) then tag(16) at dst. */
static tigress_status gcm_seal(uint8_t *dst, tigress_payload_type type, const uint8_t *key,
                               const uint8_t *iv, const uint8_t *pt, size_t len)
{
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int n = 0;
    tigress_status rc = TIGRESS_E_INTERNAL;

    if (ctx == NULL)
        return tigress__fail(TIGRESS_E_NOMEM, "out of memory for the AES-GCM context");
    /* One init: 12 bytes is GCM's documented default IV length, so no SET_IVLEN round (and
     * no get_iv_length check: that is a provider parameter query per call). */
    if (EVP_EncryptInit_ex(ctx, gcm_cipher(type), NULL, key, iv) != 1)
        goto out;
    if (len > 0 && (EVP_EncryptUpdate(ctx, dst, &n, pt, (int)len) != 1 || (size_t)n != len))
        goto out;
    if (EVP_EncryptFinal_ex(ctx, dst + len, &n) != 1 || n != 0 ||
        EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, TIGRESS__TAG_BYTES, dst + len) != 1)
        goto out;
    rc = TIGRESS_OK;
out:
    /* EVP_CIPHER_CTX_free cleanses the expanded key schedule. */
    EVP_CIPHER_CTX_free(ctx);
    if (rc != TIGRESS_OK)
        tigress__fail(rc, "AES-GCM encryption failed inside OpenSSL");
    return rc;
}

/* AES-GCM decrypt ct(ct_len) with tag into pt; E_CRYPTO when the tag does not verify. */
static tigress_status gcm_open(uint8_t *pt, tigress_payload_type type, const uint8_t *key,
                               const uint8_t *iv, const uint8_t *ct, size_t ct_len,
                               const uint8_t *tag)
{
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    uint8_t tag_copy[TIGRESS__TAG_BYTES];
    int n = 0;
    tigress_status rc = TIGRESS_E_INTERNAL;

    if (ctx == NULL)
        return tigress__fail(TIGRESS_E_NOMEM, "out of memory for the AES-GCM context");
    /* SET_TAG takes a non-const pointer. */
    memcpy(tag_copy, tag, sizeof(tag_copy));
    if (EVP_DecryptInit_ex(ctx, gcm_cipher(type), NULL, key, iv) != 1)
        goto out;
    if (ct_len > 0 && (EVP_DecryptUpdate(ctx, pt, &n, ct, (int)ct_len) != 1 ||
                       (size_t)n != ct_len))
        goto out;
    if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, TIGRESS__TAG_BYTES, tag_copy) != 1)
        goto out;
    rc = EVP_DecryptFinal_ex(ctx, pt + ct_len, &n) == 1 ? TIGRESS_OK : TIGRESS_E_CRYPTO;
out:
    EVP_CIPHER_CTX_free(ctx);
    if (rc == TIGRESS_E_CRYPTO)
        tigress__fail(rc, "payload authentication failed: wrong Secret or tampered data");
    else if (rc != TIGRESS_OK)
        tigress__fail(rc, "AES-GCM decryption failed inside OpenSSL");
    return rc;
}

tigress_status tigress__payload_seal_with_nonce(tigress_buf *out, tigress_payload_type type,
                                                const tigress_secret *secret,
                                                const uint8_t *nonce, size_t nonce_len,
                                                const uint8_t *plaintext, size_t plaintext_len)
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
        rc = gcm_seal(raw + nonce_len, type, tigress_secret_bytes(secret), nonce, plaintext,
                      plaintext_len);
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

tigress_status tigress_payload_seal(tigress_buf *out, tigress_payload_type type,
                                    const tigress_secret *secret, const uint8_t *plaintext,
                                    size_t plaintext_len)
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
    rc = tigress__payload_seal_with_nonce(out, type, secret, nonce, n, plaintext, plaintext_len);
    sodium_memzero(nonce, sizeof(nonce));
    return rc;
}

/* Longest `data` text whose decoded form could hold a maximal plaintext. */
static size_t max_data_chars(void)
{
    size_t raw = TIGRESS__SECRETBOX_NONCE_BYTES + TIGRESS__TAG_BYTES + TIGRESS__PAYLOAD_MAX;

    return (raw + 2) / 3 * 4;
}

/* Decrypt buf = ct||tag (GCM) or MAC||ct (secretbox) so the plaintext starts at buf. */
static tigress_status open_in_place(uint8_t *buf, size_t pt_len, tigress_payload_type type,
                                    const tigress_secret *secret, const uint8_t *nonce)
{
    if (is_gcm(type))
        /* Exactly in place (in == out), which EVP supports; the tag is copied inside. */
        return gcm_open(buf, type, tigress_secret_bytes(secret), nonce, buf, pt_len,
                        buf + pt_len);
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

tigress_status tigress_payload_open(tigress_buf *out, tigress_payload_type type,
                                    const tigress_secret *secret, const char *data)
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
    buf = tigress__malloc(cap);
    if (buf == NULL) {
        rc = tigress__fail(TIGRESS_E_NOMEM, "out of memory opening a payload");
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
    rc = open_in_place(buf, pt_len, type, secret, nonce);
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
    wipe_free(buf, cap);
    sodium_memzero(nonce, sizeof(nonce));
    return rc;
}
