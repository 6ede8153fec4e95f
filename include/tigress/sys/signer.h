/**
 * @file tigress/sys/signer.h
 * @brief Signer and verifier vtables for the stateful flow, and the default Ed25519 ones
 *        (the keys themselves are in tigress/keys.h).
 * @defgroup tigress_signer Signing and verification
 *
 * In the stateful flow the Initiator approves the Recipient's Transaction Information (TxInfo)
 * by signing the bytes  "tigress-txinfo-v1" || mailbox id (36-char lowercase UUID) || TxInfo
 * bytes, and the Recipient verifies that signature. The vtables let the private key stay in the
 * Secure Enclave or the Android Keystore.
 * @{
 */
#ifndef TIGRESS_SYS_SIGNER_H
#define TIGRESS_SYS_SIGNER_H

#include "../common.h"
#include "../keys.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Current version of tigress_signer. */
#define TIGRESS_SIGNER_VERSION 1
/** Current version of tigress_verifier (the same value as TIGRESS_SIGNER_VERSION today). */
#define TIGRESS_VERIFIER_VERSION 1

#ifndef TIGRESS_SIGNER_TYPEDEFS_
#define TIGRESS_SIGNER_TYPEDEFS_
typedef struct tigress_signer tigress_signer;
typedef struct tigress_verifier tigress_verifier;
#endif
/** Largest signature the library accepts from a signer, in bytes. */
#define TIGRESS_SIGNATURE_MAX 512

/**
 * @brief A signer. Copied when passed to the library.
 *
 * sign() writes at most *sig_len bytes (TIGRESS_SIGNATURE_MAX on entry) to @p sig, sets
 * *sig_len, and returns 0, or a negative status (an application code <= TIGRESS_E_USER_MIN is
 * returned unchanged). It runs on the calling thread, during tigress_transfer_approve().
 */
struct tigress_signer {
    unsigned int version;   /**< TIGRESS_SIGNER_VERSION */
    const char *alg;        /**< Algorithm name put on the wire, e.g. "Ed25519" (copied). */
    int (*sign)(const uint8_t *msg, size_t msg_len, uint8_t *sig, size_t *sig_len,
                void *user_data); /**< Required. */
    void *user_data;        /**< Owned by the application; must outlive its use. */
};

/**
 * @brief A verifier. Copied when passed to the library.
 *
 * verify() returns 0 when @p sig is a valid signature by the expected key over @p msg under
 * algorithm @p alg, TIGRESS_E_SIGNATURE when it is not, or another negative status.
 */
struct tigress_verifier {
    unsigned int version;   /**< TIGRESS_VERIFIER_VERSION */
    int (*verify)(const char *alg, const uint8_t *msg, size_t msg_len, const uint8_t *sig,
                  size_t sig_len, void *user_data); /**< Required. */
    void *user_data;        /**< Owned by the application; must outlive its use. */
};

/**
 * @name Default Ed25519 signer and verifier
 * @note Thread-safe (each writes only @p out). A NULL argument is TIGRESS_E_INVALID. The
 *       vtable filled in borrows the key it is given, which must outlive every use of it.
 * @{
 */

/**
 * @brief Fill @p out with the default Ed25519 signer using @p key.
 * @param[out] out the vtable to fill (alg "Ed25519").
 * @param[in] key borrowed: it must outlive every use of the signer.
 * @return TIGRESS_OK or TIGRESS_E_INVALID.
 * @since 1.0
 */
TIGRESS_API tigress_status tigress_signer_ed25519(tigress_signer *out,
                                                  const tigress_ed25519_key *key);

/**
 * @brief Fill @p out with the default Ed25519 verifier for one public key.
 * @param[out] out the vtable to fill; the 32-byte key is referenced, not copied.
 * @param[in] public_key borrowed: TIGRESS_ED25519_PUBLIC_BYTES bytes that must outlive every
 *            use of the verifier.
 * @return TIGRESS_OK or TIGRESS_E_INVALID.
 * @since 1.0
 */
TIGRESS_API tigress_status tigress_verifier_ed25519(tigress_verifier *out,
                                                    const uint8_t *public_key);

/** @} */

#ifdef __cplusplus
}
#endif
/** @} */
#endif /* TIGRESS_SYS_SIGNER_H */
