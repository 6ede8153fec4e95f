/**
 * @file tigress/crypto.h
 * @brief Low level: Secrets, payload encryption (seal/open) and Share URLs.
 * @defgroup tigress_crypto Secrets, payloads and Share URLs
 *
 * These functions are what tigress_share_create() and tigress_redeem() use; they are public so
 * that a partner can interoperate with another implementation or store its own envelopes.
 * They need tigress_global_init(). All are thread-safe on distinct objects.
 * @{
 */
#ifndef TIGRESS_CRYPTO_H
#define TIGRESS_CRYPTO_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Payload encryption types (`payload.type` on the wire). Values never change. */
typedef enum tigress_payload_type {
    /** "XSALSA20_POLY1305": libsodium secretbox, 32-byte Secret. The default. */
    TIGRESS_PAYLOAD_XSALSA20_POLY1305 = 0,
    /** "AEAD_AES_128_GCM" (RFC 5116), 16-byte Secret. Mandatory in the drafts. */
    TIGRESS_PAYLOAD_AES_128_GCM = 1,
    /** "AEAD_AES_256_GCM" (RFC 5116), 32-byte Secret. Mandatory in the drafts. */
    TIGRESS_PAYLOAD_AES_256_GCM = 2
} tigress_payload_type;

/**
 * @name Payload type names and key lengths
 * @note Thread-safe. tigress_payload_type_name() and tigress_payload_key_bytes() need no
 *       tigress_global_init() and accept any value; the names are static strings, never freed.
 * @{
 */

/**
 * @brief The wire name of a payload type, e.g. "AEAD_AES_128_GCM".
 * @return a static string, or NULL for an unknown value.
 * @since 1.0
 */
TIGRESS_API const char *tigress_payload_type_name(tigress_payload_type type);

/**
 * @brief Parse a wire name ("XSALSA20_POLY1305", "AEAD_AES_128_GCM", "AEAD_AES_256_GCM").
 * @param[out] out the type.
 * @param[in] name the name (borrowed for the call).
 * @return TIGRESS_OK, TIGRESS_E_INVALID (NULL argument) or TIGRESS_E_UNSUPPORTED.
 * @since 1.0
 */
TIGRESS_API tigress_status tigress_payload_type_from_name(tigress_payload_type *out,
                                                          const char *name);

/**
 * @brief The Secret length a payload type needs: 32, 16 or 32 bytes; 0 for an unknown type.
 * @since 1.0
 */
TIGRESS_API size_t tigress_payload_key_bytes(tigress_payload_type type);

/** @} */

/**
 * @brief An opaque Secret: the symmetric key of one transfer, held in guarded memory
 *        (sodium_malloc) and wiped when freed.
 */
typedef struct tigress_secret tigress_secret;

/**
 * @name Secrets
 * @note Making a Secret is thread-safe; the caller owns the Secret made and frees it with
 *       tigress_secret_free(), which wipes it. A Secret may be read by several threads at
 *       once, but not while it is freed. A NULL pointer argument to a function that returns a
 *       status is TIGRESS_E_INVALID; for a NULL @p secret the accessors return NULL or 0, and
 *       tigress_secret_free() does nothing. What the accessors return is borrowed: valid until
 *       tigress_secret_free(); do not free it. Guarded memory: a Secret (key bytes and
 *       Base64 text) lives in one sodium_malloc block (guard pages, mlock'd, excluded from
 *       core dumps), wiped by tigress_secret_free().
 * @{
 */

/**
 * @brief Generate a fresh random Secret of the length @p type needs (CSPRNG).
 * @param[out] out the new Secret; the caller frees it with tigress_secret_free().
 * @return TIGRESS_OK, TIGRESS_E_INVALID, TIGRESS_E_UNSUPPORTED or TIGRESS_E_NOMEM.
 * @since 1.0
 */
TIGRESS_API tigress_status tigress_secret_generate(tigress_secret **out, tigress_payload_type type);

/**
 * @brief Decode a Secret from text: standard or URL-safe Base64, padded or not, and
 *        percent-encoded characters, as found in a Share URL fragment.
 * @param[out] out the Secret; the caller frees it with tigress_secret_free().
 * @param[in] text NUL-terminated text (borrowed; the caller wipes its own copy).
 * @return TIGRESS_OK, TIGRESS_E_INVALID, TIGRESS_E_KEY (not Base64, or not 16 or 32 bytes)
 *         or TIGRESS_E_NOMEM. The error message never repeats the text.
 * @since 1.0
 */
TIGRESS_API tigress_status tigress_secret_from_text(tigress_secret **out, const char *text);

/**
 * @brief Wrap raw key bytes (16 or 32) in a Secret. The bytes are copied.
 * @return TIGRESS_OK, TIGRESS_E_INVALID, TIGRESS_E_KEY or TIGRESS_E_NOMEM.
 * @since 1.0
 */
TIGRESS_API tigress_status tigress_secret_from_bytes(tigress_secret **out, const uint8_t *key,
                                                     size_t key_len);

/**
 * @brief The raw key bytes; borrowed, valid until tigress_secret_free().
 * @since 1.0
 */
TIGRESS_API const uint8_t *tigress_secret_bytes(const tigress_secret *secret);

/**
 * @brief The key length in bytes (16 or 32), or 0 for NULL.
 * @since 1.0
 */
TIGRESS_API size_t tigress_secret_size(const tigress_secret *secret);

/**
 * @brief The Secret as standard padded Base64, the form put in a Share URL fragment.
 * @return a NUL-terminated string inside the Secret's guarded memory; borrowed, valid until
 *         tigress_secret_free(), wiped with it. NULL for NULL.
 * @since 1.0
 */
TIGRESS_API const char *tigress_secret_text(const tigress_secret *secret);

/**
 * @brief Wipe and free a Secret. NULL is a no-op.
 * @since 1.0
 */
TIGRESS_API void tigress_secret_free(tigress_secret *secret);

/** @} */

/**
 * @name Payload encryption
 * @note Thread-safe; @p secret may be shared read-only between threads. NULL @p out,
 *       @p secret or @p data: TIGRESS_E_INVALID. The caller owns what @p out receives and
 *       releases it with tigress_buf_dispose(), which wipes it. Guarded memory: the
 *       plaintext from tigress_payload_open() is in a sodium_malloc block (the ciphertext from
 *       tigress_payload_seal() is not).
 * @{
 */

/**
 * @brief Encrypt a plaintext into the `data` string of a payload envelope.
 *
 * A fresh random nonce is drawn for every call. Layout before Base64: for AES-GCM
 * IV(12) || ciphertext || tag(16); for XSALSA20_POLY1305 nonce(24) || MAC(16) || ciphertext.
 * No associated data.
 * @param[out] out receives the standard padded Base64 text (NUL-terminated); release it with
 *             tigress_buf_dispose(). Left empty on failure.
 * @param[in] type the payload type.
 * @param[in] secret the key; its length must match @p type.
 * @param[in] plaintext the bytes to seal (borrowed; the caller wipes its copy).
 * @param[in] plaintext_len their length (at most 16 MiB).
 * @return TIGRESS_OK, TIGRESS_E_INVALID, TIGRESS_E_KEY, TIGRESS_E_UNSUPPORTED or TIGRESS_E_NOMEM.
 * @note NULL @p plaintext with length 0 is not an error: it seals an empty plaintext (with a
 *       nonzero length it is TIGRESS_E_INVALID).
 * @since 1.0
 */
TIGRESS_API TIGRESS_WARN_UNUSED tigress_status tigress_payload_seal(tigress_buf *out,
    tigress_payload_type type, const tigress_secret *secret,
    const uint8_t *plaintext, size_t plaintext_len);

/**
 * @brief Decrypt and authenticate the `data` string of a payload envelope.
 *
 * On any failure no plaintext is returned and every intermediate buffer is wiped.
 * @param[out] out receives the plaintext (NUL-terminated); the caller releases it with
 *             tigress_buf_dispose(), which wipes it. Left empty on failure.
 * @param[in] type the payload type.
 * @param[in] secret the key; its length must match @p type.
 * @param[in] data the Base64 text (standard alphabet, padded or not).
 * @return TIGRESS_OK, TIGRESS_E_INVALID, TIGRESS_E_KEY, TIGRESS_E_UNSUPPORTED, TIGRESS_E_FORMAT
 *         (bad Base64, too short) or TIGRESS_E_CRYPTO (authentication failed) or TIGRESS_E_NOMEM.
 * @since 1.0
 */
TIGRESS_API TIGRESS_WARN_UNUSED tigress_status tigress_payload_open(tigress_buf *out,
    tigress_payload_type type, const tigress_secret *secret, const char *data);

/** @} */

/** Flags for tigress_share_url_parse(). */
enum {
    /** Accept `http://` when the host is a loopback address (tests and local demos only). */
    TIGRESS_URL_ALLOW_INSECURE_LOOPBACK = 1u << 0
};

/**
 * @brief Build a Share URL: `{url_link}?v={vertical}#{Secret}`.
 * @param[out] out the URL text; release with tigress_buf_dispose() (it may hold the Secret).
 * @param[in] url_link the relay's `urlLink`, `https://host[:port]/v1/m/{id}` (borrowed).
 * @param[in] vertical 'a', 'h', 'c', or 0 for none.
 * @param[in] secret the Secret to put in the fragment, or NULL to build the URL without it
 *            (for sending the Secret apart).
 * @return TIGRESS_OK, TIGRESS_E_INVALID, TIGRESS_E_URL, TIGRESS_E_INSECURE or TIGRESS_E_NOMEM.
 * @note Thread-safe. NULL @p out or @p url_link: TIGRESS_E_INVALID; NULL @p secret is not an
 *       error: a URL without the fragment. The caller owns what @p out receives
 *       (tigress_buf_dispose(), which wipes it). Guarded memory: with a @p secret the text is
 *       in a sodium_malloc block (guard pages, mlock'd, excluded from core dumps); without,
 *       in ordinary memory.
 * @since 1.0
 */
TIGRESS_API tigress_status tigress_share_url_build(tigress_buf *out, const char *url_link,
                                                   char vertical, const tigress_secret *secret);

/** @brief A parsed Share URL (opaque). Holds the Secret, if any, in guarded memory. */
typedef struct tigress_share_url tigress_share_url;

/**
 * @name Parsed Share URLs
 * @note Parsing is thread-safe; the caller owns the parsed URL and frees it with
 *       tigress_share_url_free(), which wipes its Secret. A parsed URL may be read by several
 *       threads at once, but not while it is freed. NULL @p out or @p url to
 *       tigress_share_url_parse(): TIGRESS_E_INVALID; for a NULL @p url the accessors return
 *       NULL (tigress_share_url_vertical(): 0) and tigress_share_url_free() does nothing. The
 *       strings and the Secret the accessors return are borrowed: valid until
 *       tigress_share_url_free(); do not free them.
 * @{
 */

/**
 * @brief Parse a Share URL into its parts.
 *
 * Accepts `https://host[:port]/v1/m/{uuid}[?v=a|h|c][#Secret]`; the Secret in the fragment may
 * be standard or URL-safe Base64, padded or not, percent-encoded or not.
 * @param[out] out the parsed URL; free with tigress_share_url_free().
 * @param[in] url the text (borrowed).
 * @param[in] flags 0 or TIGRESS_URL_ALLOW_INSECURE_LOOPBACK.
 * @return TIGRESS_OK, TIGRESS_E_INVALID, TIGRESS_E_URL, TIGRESS_E_INSECURE, TIGRESS_E_KEY (the
 *         fragment is not a valid Secret) or TIGRESS_E_NOMEM. Messages never quote the fragment.
 * @since 1.0
 */
TIGRESS_API tigress_status tigress_share_url_parse(tigress_share_url **out, const char *url,
                                                   unsigned int flags);

/**
 * @brief The URL with query and fragment removed: what is sent to the relay.
 * @since 1.0
 */
TIGRESS_API const char *tigress_share_url_mailbox_url(const tigress_share_url *url);
/**
 * @brief The relay base, `scheme://host[:port]`.
 * @since 1.0
 */
TIGRESS_API const char *tigress_share_url_relay(const tigress_share_url *url);
/**
 * @brief The host name (no port, no brackets), for allow-list checks.
 * @since 1.0
 */
TIGRESS_API const char *tigress_share_url_host(const tigress_share_url *url);
/**
 * @brief The mailbox identifier, lowercase UUID.
 * @since 1.0
 */
TIGRESS_API const char *tigress_share_url_mailbox_id(const tigress_share_url *url);
/**
 * @brief The vertical ('a', 'h', 'c'), or 0 when the URL has none.
 * @since 1.0
 */
TIGRESS_API char tigress_share_url_vertical(const tigress_share_url *url);
/**
 * @brief The Secret from the fragment, or NULL when the URL has none. Borrowed: valid until
 *        tigress_share_url_free(), which wipes it.
 * @since 1.0
 */
TIGRESS_API const tigress_secret *tigress_share_url_secret(const tigress_share_url *url);
/**
 * @brief Free a parsed URL, wiping its Secret. NULL is a no-op.
 * @since 1.0
 */
TIGRESS_API void tigress_share_url_free(tigress_share_url *url);

/** @} */

#ifdef __cplusplus
}
#endif
/** @} */
#endif /* TIGRESS_CRYPTO_H */
