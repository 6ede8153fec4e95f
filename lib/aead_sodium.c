/*
 * Built-in AES-GCM of the portable build: libsodium's crypto_aead_aes256gcm, which exists only
 * for 256-bit keys and only on CPUs with AES instructions (x86 AES-NI + PCLMUL; ARMv8 crypto
 * extensions with libsodium >= 1.0.19). Everything else is TIGRESS_E_UNSUPPORTED (aead.c says
 * to install an AEAD provider): never a slower or weaker fallback.
 */
#include <sodium.h>
#include <string.h>

#include "aead_internal.h"

void tigress__crypto_global_cleanup(void)
{
    /* libsodium holds nothing of ours. */
}

const char *tigress__aead_builtin_why_not(tigress_payload_type type)
{
    if (type == TIGRESS_PAYLOAD_AES_128_GCM)
        return "this build of libtigress has no built-in AES-128-GCM (libsodium has none)";
    /* Idempotent and thread-safe; the CPU feature check needs it. */
    if (sodium_init() < 0)
        return "libsodium failed to initialise";
    if (!crypto_aead_aes256gcm_is_available())
        return "libsodium's AES-256-GCM needs AES instructions (AES-NI or ARMv8 crypto) that "
               "this CPU lacks";
    return NULL;
}

tigress_status tigress__aead_builtin_seal(tigress_payload_type type, const uint8_t *key,
                                          const uint8_t *iv, const uint8_t *pt, size_t len,
                                          uint8_t *ct, uint8_t *tag)
{
    static const uint8_t empty[1];
    unsigned long long tag_len = 0;

    (void)type; /* aead.c only calls this for AEAD_AES_256_GCM (why_not is NULL) */
    if (crypto_aead_aes256gcm_encrypt_detached(ct, tag, &tag_len, len > 0 ? pt : empty, len,
                                               NULL, 0, NULL, iv, key) != 0 ||
        tag_len != TIGRESS__TAG_BYTES)
        return tigress__fail(TIGRESS_E_INTERNAL, "AES-256-GCM encryption failed inside "
                                                 "libsodium");
    return TIGRESS_OK;
}

tigress_status tigress__aead_builtin_open(tigress_payload_type type, const uint8_t *key,
                                          const uint8_t *iv, const uint8_t *ct, size_t len,
                                          const uint8_t *tag, uint8_t *pt)
{
    uint8_t tag_copy[TIGRESS__TAG_BYTES];
    int r;

    (void)type;
    /* The tag may sit right after ct in a buffer decrypted in place: keep a copy. */
    memcpy(tag_copy, tag, sizeof(tag_copy));
    r = crypto_aead_aes256gcm_decrypt_detached(pt, NULL, ct, len, tag_copy, NULL, 0, iv, key);
    sodium_memzero(tag_copy, sizeof(tag_copy));
    if (r != 0)
        return tigress__fail(TIGRESS_E_CRYPTO,
                             "payload authentication failed: wrong Secret or tampered data");
    return TIGRESS_OK;
}
