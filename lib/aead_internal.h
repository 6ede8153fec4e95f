/*
 * AES-GCM inside the library: the dispatch in aead.c (client provider, process default,
 * built-in) and the built-in backend of this build, one of aead_openssl.c (default build) and
 * aead_sodium.c (portable build), selected in lib.mk. Never installed.
 */
#ifndef TIGRESS_AEAD_INTERNAL_H
#define TIGRESS_AEAD_INTERNAL_H

#include "crypto_internal.h"

/* TIGRESS_OK or the status (recorded) for a provider that cannot be used. */
tigress_status tigress__aead_provider_check(const tigress_aead_provider *p);

/*
 * Seal: ct(len) and tag(16) from pt(len) (pt NULL only when len is 0). Open: verify the tag of
 * ct(len) and decrypt into pt (pt == ct allowed); TIGRESS_E_CRYPTO when the tag is wrong.
 * client is the client's provider or NULL. iv is TIGRESS__GCM_IV_BYTES. Errors are recorded
 * with tigress__fail; TIGRESS_E_UNSUPPORTED names the type and what to plug in.
 */
tigress_status tigress__aead_seal(const tigress_aead_provider *client, tigress_payload_type type,
                                  const uint8_t *key, size_t key_len, const uint8_t *iv,
                                  const uint8_t *pt, size_t len, uint8_t *ct, uint8_t *tag);
tigress_status tigress__aead_open(const tigress_aead_provider *client, tigress_payload_type type,
                                  const uint8_t *key, size_t key_len, const uint8_t *iv,
                                  const uint8_t *ct, size_t len, const uint8_t *tag, uint8_t *pt);

/* ---- the built-in backend (aead_openssl.c or aead_sodium.c) ---- */
/* NULL when the built-in code serves this AES-GCM type, else why not (a phrase). */
const char *tigress__aead_builtin_why_not(tigress_payload_type type);
tigress_status tigress__aead_builtin_seal(tigress_payload_type type, const uint8_t *key,
                                          const uint8_t *iv, const uint8_t *pt, size_t len,
                                          uint8_t *ct, uint8_t *tag);
tigress_status tigress__aead_builtin_open(tigress_payload_type type, const uint8_t *key,
                                          const uint8_t *iv, const uint8_t *ct, size_t len,
                                          const uint8_t *tag, uint8_t *pt);

#endif /* TIGRESS_AEAD_INTERNAL_H */
