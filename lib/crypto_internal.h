/*
 * Internal seams of crypto.c that the known-answer tests need. Never installed, and not part of
 * internal.h because nothing else in the library should ever pick its own nonce.
 */
#ifndef TIGRESS_CRYPTO_INTERNAL_H
#define TIGRESS_CRYPTO_INTERNAL_H

#include "internal.h"

/* Nonce sizes: 24 for XSALSA20_POLY1305, 12 for the AES-GCM types. */
#define TIGRESS__SECRETBOX_NONCE_BYTES 24
#define TIGRESS__GCM_IV_BYTES 12
#define TIGRESS__TAG_BYTES 16
/* Largest plaintext tigress_payload_seal() accepts and tigress_payload_open() returns. */
#define TIGRESS__PAYLOAD_MAX ((size_t)16 * 1024 * 1024)

/*
 * tigress_payload_seal() with a caller-chosen nonce of nonce_len bytes (which must be the size
 * the type needs). Only for deterministic tests: reusing a nonce with the same key destroys the
 * confidentiality of both messages.
 */
tigress_status tigress__payload_seal_with_nonce(tigress_buf *out, tigress_payload_type type,
                                                const tigress_secret *secret,
                                                const uint8_t *nonce, size_t nonce_len,
                                                const uint8_t *plaintext, size_t plaintext_len);

#endif /* TIGRESS_CRYPTO_INTERNAL_H */
