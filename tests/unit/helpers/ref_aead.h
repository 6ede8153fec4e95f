/*
 * ref_aead: a plain-C AES-GCM (FIPS 197, SP 800-38D; 96-bit IV, no AAD) packaged as a
 * tigress_aead_provider, for TESTS ONLY: table-free, slow and not constant-time. It lets the
 * transfer flows run against the portable build on any target (AES-128-GCM has no built-in
 * code there), where mock_client_new() gives it to each client as its per-client provider.
 * test_crypto checks it against the committed known answers.
 */
#ifndef TIGRESS_TEST_REF_AEAD_H
#define TIGRESS_TEST_REF_AEAD_H

#include "tigress.h"

/* Fill *out with the provider (user_data: a call counter, may be read with ref_aead_calls). */
void ref_aead_provider(tigress_aead_provider *out);
/* Seals plus opens done by the provider so far in this process. */
unsigned long ref_aead_calls(void);

#endif /* TIGRESS_TEST_REF_AEAD_H */
