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
/* Called by the last tigress_global_cleanup() (global.c): releases what the built-in AES-GCM
 * backend (aead_openssl.c / aead_sodium.c) holds per process. */
void tigress__crypto_global_cleanup(void);

/* Largest plaintext tigress_payload_seal() accepts and tigress_payload_open() returns. */
#define TIGRESS__PAYLOAD_MAX ((size_t)16 * 1024 * 1024)

/*
 * tigress_payload_seal() and tigress_payload_open() with the AEAD provider of a client (NULL:
 * the process default, else the built-in AES-GCM). message.c uses these. open puts the
 * plaintext in guarded memory (lib/secmem.c) when `guarded`, else on the heap (wiped when
 * disposed): for a plaintext that is parsed and dropped within the call.
 */
tigress_status tigress__payload_seal(tigress_buf *out, tigress_payload_type type,
                                     const tigress_secret *secret, const uint8_t *plaintext,
                                     size_t plaintext_len, const tigress_aead_provider *aead);
tigress_status tigress__payload_open(tigress_buf *out, tigress_payload_type type,
                                     const tigress_secret *secret, const char *data,
                                     const tigress_aead_provider *aead, bool guarded);

/*
 * tigress_payload_seal() with a caller-chosen nonce of nonce_len bytes (which must be the size
 * the type needs). Only for deterministic tests: reusing a nonce with the same key destroys the
 * confidentiality of both messages.
 */
tigress_status tigress__payload_seal_with_nonce(tigress_buf *out, tigress_payload_type type,
                                                const tigress_secret *secret,
                                                const uint8_t *nonce, size_t nonce_len,
                                                const uint8_t *plaintext, size_t plaintext_len);

/*
 * Base64 for PUBLIC bytes only (the payload `data`, i.e. ciphertext), in encoding.c. These are
 * fast and NOT constant-time; a Secret or any other confidential bytes must use
 * tigress__b64_decode/tigress__b64_encode (libsodium's constant-time codec) instead.
 *
 * tigress__b64_public_encode_in_place: buf has (raw_len + 2) / 3 * 4 + 1 bytes with the raw_len
 * input bytes at its very end; on return buf holds the padded standard Base64 text and a NUL.
 */
void tigress__b64_public_encode_in_place(uint8_t *buf, size_t raw_len);
/* An upper bound on the decoded size of text_len characters. */
size_t tigress__b64_public_decoded_max(size_t text_len);
/*
 * Decodes text (standard or URL-safe alphabet, padded or not; exactly the inputs
 * tigress__b64_decode accepts) in one pass. The first head_len decoded bytes (a multiple of 3)
 * go to head, the rest to dst, which must hold decoded_max(text_len) - head_len bytes.
 * *raw_len is the total decoded (it may be below head_len). TIGRESS_E_FORMAT when invalid; the
 * outputs may then hold partial data, which the caller wipes.
 */
tigress_status tigress__b64_public_decode(uint8_t *head, size_t head_len, uint8_t *dst,
                                          size_t *raw_len, const char *text, size_t text_len);

#endif /* TIGRESS_CRYPTO_INTERNAL_H */
