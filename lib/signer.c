/*
 * The default Ed25519 signer and verifier for the stateful flow (libsodium), and the key pair
 * type behind them. The key pair lives in sodium_malloc memory and is wiped when freed.
 */
#include <sodium.h>
#include <string.h>

#include "internal.h"

#define ED25519_ALG "Ed25519"

struct tigress_ed25519_key {
    uint8_t sk[crypto_sign_SECRETKEYBYTES]; /* seed || public key, libsodium's layout */
    uint8_t pk[crypto_sign_PUBLICKEYBYTES];
};

/* Allocate a key and derive it from seed, or from fresh randomness when seed is NULL. */
static tigress_status key_new(tigress_ed25519_key **out, const uint8_t *seed)
{
    tigress_ed25519_key *k;

    if (sodium_init() < 0)
        return tigress__fail(TIGRESS_E_INTERNAL, "libsodium failed to initialise");
    k = sodium_malloc(sizeof(*k));
    if (k == NULL)
        return tigress__fail(TIGRESS_E_NOMEM, "out of guarded memory for an Ed25519 key");
    if ((seed != NULL ? crypto_sign_seed_keypair(k->pk, k->sk, seed)
                      : crypto_sign_keypair(k->pk, k->sk)) != 0) {
        sodium_free(k);
        return tigress__fail(TIGRESS_E_INTERNAL, "Ed25519 key generation failed");
    }
    *out = k;
    return TIGRESS_OK;
}

tigress_status tigress_ed25519_key_generate(tigress_ed25519_key **out)
{
    if (out == NULL)
        return tigress__fail(TIGRESS_E_INVALID, "tigress_ed25519_key_generate: out is NULL");
    *out = NULL;
    return key_new(out, NULL);
}

tigress_status tigress_ed25519_key_from_seed(tigress_ed25519_key **out, const uint8_t *seed,
                                             size_t seed_len)
{
    if (out == NULL)
        return tigress__fail(TIGRESS_E_INVALID, "tigress_ed25519_key_from_seed: out is NULL");
    *out = NULL;
    if (seed == NULL)
        return tigress__fail(TIGRESS_E_INVALID, "tigress_ed25519_key_from_seed: seed is NULL");
    if (seed_len != TIGRESS_ED25519_SEED_BYTES)
        return tigress__fail(TIGRESS_E_KEY, "an Ed25519 seed is %d bytes, not %zu",
                             TIGRESS_ED25519_SEED_BYTES, seed_len);
    return key_new(out, seed);
}

tigress_status tigress_ed25519_key_public(const tigress_ed25519_key *key, uint8_t *out,
                                          size_t out_len)
{
    if (key == NULL || out == NULL)
        return tigress__fail(TIGRESS_E_INVALID, "tigress_ed25519_key_public: NULL argument");
    if (out_len < TIGRESS_ED25519_PUBLIC_BYTES)
        return tigress__fail(TIGRESS_E_BUFFER, "an Ed25519 public key needs %d bytes",
                             TIGRESS_ED25519_PUBLIC_BYTES);
    memcpy(out, key->pk, TIGRESS_ED25519_PUBLIC_BYTES);
    return TIGRESS_OK;
}

void tigress_ed25519_key_free(tigress_ed25519_key *key)
{
    /* sodium_free wipes the block before releasing it. */
    if (key != NULL)
        sodium_free(key);
}

/* libsodium is happy with (NULL, 0) in practice, but the C library's rules are not: give it a
 * real address for an empty message. */
static const uint8_t empty_msg[1];

static int ed25519_sign(const uint8_t *msg, size_t msg_len, uint8_t *sig, size_t *sig_len,
                        void *user_data)
{
    const tigress_ed25519_key *k = user_data;
    unsigned long long n = 0;

    if (k == NULL || sig == NULL || sig_len == NULL || (msg == NULL && msg_len > 0))
        return TIGRESS_E_INVALID;
    if (*sig_len < crypto_sign_BYTES)
        return TIGRESS_E_BUFFER;
    if (crypto_sign_detached(sig, &n, msg != NULL ? msg : empty_msg, msg_len, k->sk) != 0)
        return TIGRESS_E_INTERNAL;
    *sig_len = (size_t)n;
    return TIGRESS_OK;
}

static int ed25519_verify(const char *alg, const uint8_t *msg, size_t msg_len,
                          const uint8_t *sig, size_t sig_len, void *user_data)
{
    const uint8_t *pk = user_data;

    if (pk == NULL || (msg == NULL && msg_len > 0))
        return TIGRESS_E_INVALID;
    /* Only the algorithm this verifier was made for: never let the peer pick another. */
    if (alg == NULL || strcmp(alg, ED25519_ALG) != 0 || sig == NULL ||
        sig_len != crypto_sign_BYTES)
        return TIGRESS_E_SIGNATURE;
    if (crypto_sign_verify_detached(sig, msg != NULL ? msg : empty_msg, msg_len, pk) != 0)
        return TIGRESS_E_SIGNATURE;
    return TIGRESS_OK;
}

tigress_status tigress_signer_ed25519(tigress_signer *out, const tigress_ed25519_key *key)
{
    if (out == NULL || key == NULL)
        return tigress__fail(TIGRESS_E_INVALID, "tigress_signer_ed25519: NULL argument");
    memset(out, 0, sizeof(*out));
    out->version = TIGRESS_SIGNER_VERSION;
    out->alg = ED25519_ALG;
    out->sign = ed25519_sign;
    /* The vtable's user_data is not const; the signer never writes through it. */
    out->user_data = (void *)(uintptr_t)key;
    return TIGRESS_OK;
}

tigress_status tigress_verifier_ed25519(tigress_verifier *out, const uint8_t *public_key)
{
    if (out == NULL || public_key == NULL)
        return tigress__fail(TIGRESS_E_INVALID, "tigress_verifier_ed25519: NULL argument");
    memset(out, 0, sizeof(*out));
    out->version = TIGRESS_VERIFIER_VERSION;
    out->verify = ed25519_verify;
    out->user_data = (void *)(uintptr_t)public_key;
    return TIGRESS_OK;
}
