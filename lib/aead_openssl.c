/*
 * Built-in AES-GCM of the default build: OpenSSL EVP, both key sizes, no AAD. Compiled only
 * when lib.mk selects OpenSSL (TIGRESS_HAVE_OPENSSL); aead_sodium.c is the portable one.
 */
#include <openssl/evp.h>
#include <pthread.h>
#include <string.h>

#include "aead_internal.h"

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

const char *tigress__aead_builtin_why_not(tigress_payload_type type)
{
    (void)type;
    return NULL; /* OpenSSL serves both sizes on every CPU */
}

tigress_status tigress__aead_builtin_seal(tigress_payload_type type, const uint8_t *key,
                                          const uint8_t *iv, const uint8_t *pt, size_t len,
                                          uint8_t *ct, uint8_t *tag)
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
    if (len > 0 && (EVP_EncryptUpdate(ctx, ct, &n, pt, (int)len) != 1 || (size_t)n != len))
        goto out;
    if (EVP_EncryptFinal_ex(ctx, ct + len, &n) != 1 || n != 0 ||
        EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, TIGRESS__TAG_BYTES, tag) != 1)
        goto out;
    rc = TIGRESS_OK;
out:
    /* EVP_CIPHER_CTX_free cleanses the expanded key schedule. */
    EVP_CIPHER_CTX_free(ctx);
    if (rc != TIGRESS_OK)
        tigress__fail(rc, "AES-GCM encryption failed inside OpenSSL");
    return rc;
}

tigress_status tigress__aead_builtin_open(tigress_payload_type type, const uint8_t *key,
                                          const uint8_t *iv, const uint8_t *ct, size_t len,
                                          const uint8_t *tag, uint8_t *pt)
{
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    uint8_t tag_copy[TIGRESS__TAG_BYTES];
    int n = 0;
    tigress_status rc = TIGRESS_E_INTERNAL;

    if (ctx == NULL)
        return tigress__fail(TIGRESS_E_NOMEM, "out of memory for the AES-GCM context");
    /* SET_TAG takes a non-const pointer; the tag may also sit right after ct in a buffer
     * being decrypted in place (EVP supports in == out exactly). */
    memcpy(tag_copy, tag, sizeof(tag_copy));
    if (EVP_DecryptInit_ex(ctx, gcm_cipher(type), NULL, key, iv) != 1)
        goto out;
    if (len > 0 && (EVP_DecryptUpdate(ctx, pt, &n, ct, (int)len) != 1 || (size_t)n != len))
        goto out;
    if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, TIGRESS__TAG_BYTES, tag_copy) != 1)
        goto out;
    rc = EVP_DecryptFinal_ex(ctx, pt + len, &n) == 1 ? TIGRESS_OK : TIGRESS_E_CRYPTO;
out:
    EVP_CIPHER_CTX_free(ctx);
    if (rc == TIGRESS_E_CRYPTO)
        tigress__fail(rc, "payload authentication failed: wrong Secret or tampered data");
    else if (rc != TIGRESS_OK)
        tigress__fail(rc, "AES-GCM decryption failed inside OpenSSL");
    return rc;
}
