/**
 * @file tigress/keys.h
 * @brief Ed25519 key pairs for the default signer and verifier (tigress/sys/signer.h).
 * @defgroup tigress_keys Ed25519 keys
 * @{
 */
#ifndef TIGRESS_KEYS_H
#define TIGRESS_KEYS_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** @brief An Ed25519 key pair in guarded memory (opaque). */
typedef struct tigress_ed25519_key tigress_ed25519_key;

/** Size of an Ed25519 public key. */
#define TIGRESS_ED25519_PUBLIC_BYTES 32
/** Size of an Ed25519 seed. */
#define TIGRESS_ED25519_SEED_BYTES 32

/**
 * @name Ed25519 key pairs
 * @note Making a key is thread-safe; the caller owns the key made and frees it with
 *       tigress_ed25519_key_free(), which wipes it. A key may be read (and sign) on several
 *       threads at once, but not while it is freed. A NULL pointer argument is
 *       TIGRESS_E_INVALID, except for tigress_ed25519_key_free(), where NULL is a no-op.
 * @{
 */

/**
 * @brief Generate a fresh Ed25519 key pair.
 * @param[out] out the key; free with tigress_ed25519_key_free().
 * @return TIGRESS_OK, TIGRESS_E_INVALID or TIGRESS_E_NOMEM.
 * @since 1.0
 */
TIGRESS_API tigress_status tigress_ed25519_key_generate(tigress_ed25519_key **out);

/**
 * @brief Derive an Ed25519 key pair from a 32-byte seed (copied; the caller wipes its own).
 * @return TIGRESS_OK, TIGRESS_E_INVALID, TIGRESS_E_KEY (wrong length) or TIGRESS_E_NOMEM.
 * @since 1.0
 */
TIGRESS_API tigress_status tigress_ed25519_key_from_seed(tigress_ed25519_key **out,
                                                         const uint8_t *seed, size_t seed_len);

/**
 * @brief Copy the 32-byte public key out.
 * @return TIGRESS_OK, TIGRESS_E_INVALID or TIGRESS_E_BUFFER (out_len < 32).
 * @since 1.0
 */
TIGRESS_API tigress_status tigress_ed25519_key_public(const tigress_ed25519_key *key,
                                                      uint8_t *out, size_t out_len);

/**
 * @brief Wipe and free a key. NULL is a no-op.
 * @note Not while another thread, or a signer made from it (tigress_signer_ed25519() borrows
 *       @p key), uses @p key.
 * @since 1.0
 */
TIGRESS_API void tigress_ed25519_key_free(tigress_ed25519_key *key);

/** @} */

#ifdef __cplusplus
}
#endif
/** @} */
#endif /* TIGRESS_KEYS_H */
