/*
 * A test AEAD provider (tigress/sys/aead.h) for test_crypto: AES-GCM from OpenSSL when the test
 * is built with TEST_AEAD_OPENSSL (unit.mk, where libcrypto exists for the target), else from
 * libsodium (AES-256-GCM only, and only with AES instructions). It counts its calls so a test
 * can prove the library used it, and refuses what it cannot serve with TIGRESS_E_UNSUPPORTED.
 */
#ifndef TIGRESS_TEST_AEAD_PROVIDER_H
#define TIGRESS_TEST_AEAD_PROVIDER_H

#include <sodium.h>
#include <string.h>

#include "tigress.h"

#ifdef TEST_AEAD_OPENSSL
#include <openssl/evp.h>
#endif

typedef struct test_aead {
    unsigned seals;
    unsigned opens;
    unsigned refused;   /* calls answered TIGRESS_E_UNSUPPORTED */
    int bad_args;       /* a call with sizes that do not fit the type */
} test_aead;

static int test_aead_sizes_ok(tigress_payload_type type, size_t key_len, size_t nonce_len,
                              size_t tag_len)
{
    return key_len == tigress_payload_key_bytes(type) && nonce_len == 12 && tag_len == 16 &&
           (type == TIGRESS_PAYLOAD_AES_128_GCM || type == TIGRESS_PAYLOAD_AES_256_GCM);
}

/* Whether this provider serves type here. */
static int test_aead_serves(tigress_payload_type type)
{
#ifdef TEST_AEAD_OPENSSL
    (void)type;
    return 1;
#else
    return type == TIGRESS_PAYLOAD_AES_256_GCM && sodium_init() >= 0 &&
           crypto_aead_aes256gcm_is_available();
#endif
}

#ifdef TEST_AEAD_OPENSSL
static int test_aead_evp(int enc, tigress_payload_type type, const uint8_t *key,
                         const uint8_t *nonce, const uint8_t *in, size_t len, uint8_t *out,
                         uint8_t *tag)
{
    const EVP_CIPHER *cipher = type == TIGRESS_PAYLOAD_AES_128_GCM ? EVP_aes_128_gcm()
                                                                    : EVP_aes_256_gcm();
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    uint8_t last[16];
    int n = 0, ok;

    if (ctx == NULL)
        return TIGRESS_E_NOMEM;
    ok = EVP_CipherInit_ex(ctx, cipher, NULL, key, nonce, enc) == 1 &&
         (len == 0 || (EVP_CipherUpdate(ctx, out, &n, in, (int)len) == 1 && (size_t)n == len));
    if (ok && !enc)
        ok = EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, 16, tag) == 1;
    if (ok) {
        int fin = EVP_CipherFinal_ex(ctx, last, &n);
        if (!enc && fin != 1) {
            EVP_CIPHER_CTX_free(ctx);
            return TIGRESS_E_CRYPTO;
        }
        ok = fin == 1;
    }
    if (ok && enc)
        ok = EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, 16, tag) == 1;
    EVP_CIPHER_CTX_free(ctx);
    return ok ? 0 : TIGRESS_E_INTERNAL;
}
#endif

static int test_aead_seal(tigress_payload_type type, const uint8_t *key, size_t key_len,
                          const uint8_t *nonce, size_t nonce_len, const uint8_t *pt,
                          size_t pt_len, uint8_t *ct, uint8_t *tag, size_t tag_len, void *ud)
{
    test_aead *a = ud;

    a->seals++;
    if (!test_aead_sizes_ok(type, key_len, nonce_len, tag_len))
        a->bad_args = 1;
    if (!test_aead_serves(type)) {
        a->refused++;
        return TIGRESS_E_UNSUPPORTED;
    }
#ifdef TEST_AEAD_OPENSSL
    return test_aead_evp(1, type, key, nonce, pt, pt_len, ct, tag);
#else
    {
        static const uint8_t empty[1];
        unsigned long long mlen = 0;
        return crypto_aead_aes256gcm_encrypt_detached(ct, tag, &mlen, pt_len ? pt : empty,
                                                      pt_len, NULL, 0, NULL, nonce, key) == 0
                   ? 0 : TIGRESS_E_INTERNAL;
    }
#endif
}

static int test_aead_open(tigress_payload_type type, const uint8_t *key, size_t key_len,
                          const uint8_t *nonce, size_t nonce_len, const uint8_t *ct,
                          size_t ct_len, const uint8_t *tag, size_t tag_len, uint8_t *pt,
                          void *ud)
{
    test_aead *a = ud;
    uint8_t tag_copy[16];

    a->opens++;
    if (!test_aead_sizes_ok(type, key_len, nonce_len, tag_len))
        a->bad_args = 1;
    if (!test_aead_serves(type)) {
        a->refused++;
        return TIGRESS_E_UNSUPPORTED;
    }
    memcpy(tag_copy, tag, sizeof(tag_copy)); /* the tag may follow ct in place */
#ifdef TEST_AEAD_OPENSSL
    return test_aead_evp(0, type, key, nonce, ct, ct_len, pt, tag_copy);
#else
    return crypto_aead_aes256gcm_decrypt_detached(pt, NULL, ct, ct_len, tag_copy, NULL, 0,
                                                  nonce, key) == 0
               ? 0 : TIGRESS_E_CRYPTO;
#endif
}

static tigress_aead_provider test_aead_vtable(test_aead *a)
{
    tigress_aead_provider p;

    memset(a, 0, sizeof(*a));
    if (tigress_aead_provider_init(&p, TIGRESS_AEAD_PROVIDER_VERSION) != TIGRESS_OK)
        abort();
    p.seal = test_aead_seal;
    p.open = test_aead_open;
    p.user_data = a;
    return p;
}

#endif /* TIGRESS_TEST_AEAD_PROVIDER_H */
