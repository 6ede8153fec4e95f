/**
 * @file tigress/sys/aead.h
 * @brief The AEAD provider vtable: plug in CryptoKit, javax.crypto or any AES-GCM.
 * @defgroup tigress_aead AEAD provider
 *
 * The payload types AEAD_AES_128_GCM and AEAD_AES_256_GCM (docs/protocol.md §4) are encrypted
 * by the library's built-in AES-GCM unless a provider is installed: OpenSSL in the default
 * build; in the portable build (libsodium, cJSON and libc only) libsodium's AES-256-GCM where
 * the CPU has AES instructions, and no AES-128-GCM at all. A payload type that neither a provider
 * nor the built-in code can serve fails with TIGRESS_E_UNSUPPORTED and a message naming the
 * type; it never falls back to anything weaker.
 *
 * A provider only computes AES-GCM (RFC 5116, no associated data) over buffers the library
 * owns: nonce choice, the wire layout IV(12) || ciphertext || tag(16), Base64, size limits and
 * wiping stay in the library. XSALSA20_POLY1305 is always libsodium's and never reaches a
 * provider.
 *
 * Which provider is used, for each seal or open: the client's
 * (tigress_client_options.aead_provider) for the transfers of that client, else the process
 * default (tigress_aead_provider_set_default(), also what tigress_payload_seal() and
 * tigress_payload_open() use), else the built-in code.
 * @{
 */
#ifndef TIGRESS_SYS_AEAD_H
#define TIGRESS_SYS_AEAD_H

#include "../common.h"
#include "../crypto.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Current version of tigress_aead_provider. */
#define TIGRESS_AEAD_PROVIDER_VERSION 1
/** Nonce (IV) length the library passes for both AES-GCM payload types, in bytes. */
#define TIGRESS_AEAD_GCM_NONCE_BYTES 12
/** Authentication tag length for both AES-GCM payload types, in bytes. */
#define TIGRESS_AEAD_GCM_TAG_BYTES 16

#ifndef TIGRESS_AEAD_PROVIDER_TYPEDEF_
#define TIGRESS_AEAD_PROVIDER_TYPEDEF_
typedef struct tigress_aead_provider tigress_aead_provider;
#endif

/**
 * @brief An AES-GCM provider. Copied when given to the library.
 *
 * Both slots are required and are called on the thread of the library call that needs them
 * (tigress_payload_seal(), tigress_payload_open(), and the blocking transfer calls), possibly
 * on several threads at once: they must be thread-safe. Every pointer argument is borrowed for
 * the duration of the call; the key must not be kept. The sizes are those of @p type:
 * key_len 16 (AEAD_AES_128_GCM) or 32 (AEAD_AES_256_GCM), nonce_len
 * TIGRESS_AEAD_GCM_NONCE_BYTES, tag_len TIGRESS_AEAD_GCM_TAG_BYTES. There is no associated
 * data. A slot returns 0 on success, TIGRESS_E_CRYPTO when open() finds the tag wrong,
 * TIGRESS_E_UNSUPPORTED when it does not serve @p type, another negative tigress_status, or an
 * application code <= TIGRESS_E_USER_MIN (returned unchanged to the caller).
 */
struct tigress_aead_provider {
    unsigned int version;  /**< TIGRESS_AEAD_PROVIDER_VERSION */
    /**
     * Required. Encrypt @p plaintext_len bytes into @p ciphertext (same length; it never
     * overlaps @p plaintext) and write the tag to @p tag. @p plaintext is NULL only when
     * @p plaintext_len is 0.
     */
    int (*seal)(tigress_payload_type type, const uint8_t *key, size_t key_len,
                const uint8_t *nonce, size_t nonce_len, const uint8_t *plaintext,
                size_t plaintext_len, uint8_t *ciphertext, uint8_t *tag, size_t tag_len,
                void *user_data);
    /**
     * Required. Verify @p tag and decrypt @p ciphertext_len bytes into @p plaintext, which may
     * be the same pointer as @p ciphertext (in place) but never overlaps it otherwise. On any
     * failure the library wipes @p plaintext and returns no plaintext.
     */
    int (*open)(tigress_payload_type type, const uint8_t *key, size_t key_len,
                const uint8_t *nonce, size_t nonce_len, const uint8_t *ciphertext,
                size_t ciphertext_len, const uint8_t *tag, size_t tag_len, uint8_t *plaintext,
                void *user_data);
    void *user_data;       /**< Passed to both slots; owned by the application, which keeps it
                                alive while the provider is installed or used by a client. */
};

/**
 * @brief Zero @p out and set its version: the struct then has no slots set (for Swift and other
 *        languages without C initialisers).
 * @param[out] out the vtable to fill.
 * @param[in] version TIGRESS_AEAD_PROVIDER_VERSION.
 * @return TIGRESS_OK, TIGRESS_E_INVALID (NULL @p out) or TIGRESS_E_VERSION.
 * @note Thread-safe (writes only @p out); needs no tigress_global_init().
 * @since 1.1
 */
TIGRESS_API tigress_status tigress_aead_provider_init(tigress_aead_provider *out,
                                                      unsigned int version);

/**
 * @brief Install (copy) the process-wide default AEAD provider, or remove it with NULL.
 *
 * Used by tigress_payload_seal(), tigress_payload_open() and by every client created without
 * its own tigress_client_options.aead_provider, from the next seal or open on.
 * @param[in] provider the vtable (copied; its user_data must stay valid until it is replaced),
 *            or NULL to go back to the built-in AES-GCM.
 * @return TIGRESS_OK, TIGRESS_E_VERSION (unknown version) or TIGRESS_E_INVALID (a slot is
 *         NULL); detail in tigress_error_last(). On failure the current default is kept.
 * @note Thread-safe: may run concurrently with seals, opens and other calls of it; a seal or
 *       open uses either the old or the new provider, entirely. Needs no tigress_global_init().
 *       The library keeps the default until it is replaced (tigress_global_cleanup() does not
 *       remove it).
 * @since 1.1
 */
TIGRESS_API tigress_status tigress_aead_provider_set_default(
    const tigress_aead_provider *provider);

/**
 * @brief Whether this library can seal and open @p type with no provider installed.
 *
 * XSALSA20_POLY1305 always; both AES-GCM types in the default (OpenSSL) build; in the portable
 * build AEAD_AES_256_GCM only on a CPU with AES instructions and AEAD_AES_128_GCM never.
 * @return 1 when the built-in code serves @p type, 0 otherwise (also for an unknown value).
 * @note Thread-safe. Call it after tigress_global_init() (the CPU check needs it).
 * @since 1.1
 */
TIGRESS_API int tigress_payload_type_builtin(tigress_payload_type type);

#ifdef __cplusplus
}
#endif
/** @} */
#endif /* TIGRESS_SYS_AEAD_H */
