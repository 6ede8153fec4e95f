/*
 * The default Ed25519 signer and verifier used to approve TxInfo in the stateful flow, and the
 * key pair behind them. Known answer: RFC 8032 section 7.1, TEST 1 (empty message).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <sodium.h>

#include "internal.h"

#define RFC8032_T1_SECRET "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"
#define RFC8032_T1_PUBLIC "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
#define RFC8032_T1_SIG                                                                  \
    "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc6" \
    "1e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"

static int setup(void **state)
{
    (void)state;
    return tigress_global_init() == TIGRESS_OK ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    tigress_global_cleanup();
    return 0;
}

static void unhex(uint8_t *out, size_t len, const char *hex)
{
    size_t got = 0;

    assert_int_equal(sodium_hex2bin(out, len, hex, strlen(hex), NULL, &got, NULL), 0);
    assert_int_equal(got, len);
}

static const uint8_t g_msg[] = "tigress-txinfo-v1" "2bba630e-519b-11ec-bf63-0242ac130002" "{}";

/* Sign with the vtable as the library would: TIGRESS_SIGNATURE_MAX bytes offered. */
static size_t sign_with(const tigress_signer *s, const uint8_t *msg, size_t len,
                        uint8_t sig[TIGRESS_SIGNATURE_MAX])
{
    size_t sig_len = TIGRESS_SIGNATURE_MAX;

    assert_int_equal(s->sign(msg, len, sig, &sig_len, s->user_data), 0);
    return sig_len;
}

static void test_signer__rfc8032_test1_from_seed(void **state)
{
    uint8_t seed[32], want_pk[32], pk[32], want_sig[64], sig[TIGRESS_SIGNATURE_MAX];
    tigress_ed25519_key *key = NULL;
    tigress_signer signer;
    tigress_verifier verifier;
    (void)state;

    unhex(seed, sizeof(seed), RFC8032_T1_SECRET);
    unhex(want_pk, sizeof(want_pk), RFC8032_T1_PUBLIC);
    unhex(want_sig, sizeof(want_sig), RFC8032_T1_SIG);
    assert_int_equal(tigress_ed25519_key_from_seed(&key, seed, sizeof(seed)), TIGRESS_OK);
    assert_int_equal(tigress_ed25519_key_public(key, pk, sizeof(pk)), TIGRESS_OK);
    assert_memory_equal(pk, want_pk, 32);
    assert_int_equal(tigress_signer_ed25519(&signer, key), TIGRESS_OK);
    assert_int_equal(signer.version, TIGRESS_SIGNER_VERSION);
    assert_string_equal(signer.alg, "Ed25519");
    /* Ed25519 is deterministic: the empty message gives exactly the RFC's signature. */
    assert_int_equal(sign_with(&signer, NULL, 0, sig), 64);
    assert_memory_equal(sig, want_sig, 64);
    assert_int_equal(sign_with(&signer, (const uint8_t *)"", 0, sig), 64);
    assert_memory_equal(sig, want_sig, 64);
    assert_int_equal(tigress_verifier_ed25519(&verifier, want_pk), TIGRESS_OK);
    assert_int_equal(verifier.version, TIGRESS_SIGNER_VERSION);
    assert_int_equal(verifier.verify("Ed25519", NULL, 0, want_sig, 64, verifier.user_data), 0);
    tigress_ed25519_key_free(key);
}

static void test_signer__same_seed_same_key(void **state)
{
    uint8_t seed[32], pk1[32], pk2[32];
    tigress_ed25519_key *a = NULL, *b = NULL;
    (void)state;

    memset(seed, 0x42, sizeof(seed));
    assert_int_equal(tigress_ed25519_key_from_seed(&a, seed, sizeof(seed)), TIGRESS_OK);
    assert_int_equal(tigress_ed25519_key_from_seed(&b, seed, sizeof(seed)), TIGRESS_OK);
    assert_int_equal(tigress_ed25519_key_public(a, pk1, sizeof(pk1)), TIGRESS_OK);
    assert_int_equal(tigress_ed25519_key_public(b, pk2, sizeof(pk2)), TIGRESS_OK);
    assert_memory_equal(pk1, pk2, 32);
    tigress_ed25519_key_free(a);
    tigress_ed25519_key_free(b);
}

static void test_signer__sign_verify_round_trip(void **state)
{
    tigress_ed25519_key *key = NULL, *other = NULL;
    uint8_t pk[32], pk_other[32], sig[TIGRESS_SIGNATURE_MAX];
    tigress_signer signer;
    tigress_verifier verifier;
    size_t n;
    (void)state;

    assert_int_equal(tigress_ed25519_key_generate(&key), TIGRESS_OK);
    assert_int_equal(tigress_ed25519_key_generate(&other), TIGRESS_OK);
    assert_int_equal(tigress_ed25519_key_public(key, pk, sizeof(pk)), TIGRESS_OK);
    assert_int_equal(tigress_ed25519_key_public(other, pk_other, sizeof(pk_other)), TIGRESS_OK);
    assert_true(memcmp(pk, pk_other, 32) != 0); /* fresh randomness each time */
    assert_int_equal(tigress_signer_ed25519(&signer, key), TIGRESS_OK);
    n = sign_with(&signer, g_msg, sizeof(g_msg) - 1, sig);
    assert_int_equal(n, 64);
    assert_int_equal(tigress_verifier_ed25519(&verifier, pk), TIGRESS_OK);
    assert_int_equal(verifier.verify("Ed25519", g_msg, sizeof(g_msg) - 1, sig, n,
                                     verifier.user_data), 0);
    /* Another key's verifier refuses it. */
    assert_int_equal(tigress_verifier_ed25519(&verifier, pk_other), TIGRESS_OK);
    assert_int_equal(verifier.verify("Ed25519", g_msg, sizeof(g_msg) - 1, sig, n,
                                     verifier.user_data), TIGRESS_E_SIGNATURE);
    tigress_ed25519_key_free(key);
    tigress_ed25519_key_free(other);
}

static void test_signer__tampering_is_e_signature(void **state)
{
    tigress_ed25519_key *key = NULL;
    uint8_t pk[32], sig[TIGRESS_SIGNATURE_MAX], msg[sizeof(g_msg)];
    tigress_signer signer;
    tigress_verifier v;
    size_t n, len = sizeof(g_msg) - 1;
    (void)state;

    memcpy(msg, g_msg, sizeof(msg));
    assert_int_equal(tigress_ed25519_key_generate(&key), TIGRESS_OK);
    assert_int_equal(tigress_ed25519_key_public(key, pk, sizeof(pk)), TIGRESS_OK);
    assert_int_equal(tigress_signer_ed25519(&signer, key), TIGRESS_OK);
    assert_int_equal(tigress_verifier_ed25519(&v, pk), TIGRESS_OK);
    n = sign_with(&signer, msg, len, sig);
    for (size_t i = 0; i < len; i += 7) {
        msg[i] ^= 0x20;
        assert_int_equal(v.verify("Ed25519", msg, len, sig, n, v.user_data), TIGRESS_E_SIGNATURE);
        msg[i] ^= 0x20;
    }
    for (size_t i = 0; i < n; i += 5) {
        sig[i] ^= 0x01;
        assert_int_equal(v.verify("Ed25519", msg, len, sig, n, v.user_data), TIGRESS_E_SIGNATURE);
        sig[i] ^= 0x01;
    }
    /* Shorter message, wrong signature length, wrong or missing algorithm. */
    assert_int_equal(v.verify("Ed25519", msg, len - 1, sig, n, v.user_data), TIGRESS_E_SIGNATURE);
    assert_int_equal(v.verify("Ed25519", msg, len, sig, n - 1, v.user_data), TIGRESS_E_SIGNATURE);
    assert_int_equal(v.verify("Ed25519", msg, len, sig, n + 1, v.user_data), TIGRESS_E_SIGNATURE);
    assert_int_equal(v.verify("ed25519", msg, len, sig, n, v.user_data), TIGRESS_E_SIGNATURE);
    assert_int_equal(v.verify("EdDSA", msg, len, sig, n, v.user_data), TIGRESS_E_SIGNATURE);
    assert_int_equal(v.verify(NULL, msg, len, sig, n, v.user_data), TIGRESS_E_SIGNATURE);
    assert_int_equal(v.verify("Ed25519", msg, len, NULL, n, v.user_data), TIGRESS_E_SIGNATURE);
    /* Untouched, it still verifies: the failures above came from the tampering. */
    assert_int_equal(v.verify("Ed25519", msg, len, sig, n, v.user_data), 0);
    tigress_ed25519_key_free(key);
}

static void test_signer__sign_callback_argument_checks(void **state)
{
    tigress_ed25519_key *key = NULL;
    tigress_signer s;
    uint8_t sig[TIGRESS_SIGNATURE_MAX];
    size_t sig_len = 63;
    (void)state;

    assert_int_equal(tigress_ed25519_key_generate(&key), TIGRESS_OK);
    assert_int_equal(tigress_signer_ed25519(&s, key), TIGRESS_OK);
    assert_int_equal(s.sign(g_msg, 3, sig, &sig_len, s.user_data), TIGRESS_E_BUFFER);
    sig_len = sizeof(sig);
    assert_int_equal(s.sign(NULL, 3, sig, &sig_len, s.user_data), TIGRESS_E_INVALID);
    assert_int_equal(s.sign(g_msg, 3, NULL, &sig_len, s.user_data), TIGRESS_E_INVALID);
    assert_int_equal(s.sign(g_msg, 3, sig, NULL, s.user_data), TIGRESS_E_INVALID);
    assert_int_equal(s.sign(g_msg, 3, sig, &sig_len, NULL), TIGRESS_E_INVALID);
    sig_len = 64; /* exactly enough */
    assert_int_equal(s.sign(g_msg, 3, sig, &sig_len, s.user_data), 0);
    assert_int_equal(sig_len, 64);
    tigress_ed25519_key_free(key);
}

static void test_signer__null_arguments(void **state)
{
    tigress_ed25519_key *key = NULL;
    tigress_signer s;
    tigress_verifier v;
    uint8_t seed[32] = {0}, pk[32], sig[64] = {0};
    (void)state;

    assert_int_equal(tigress_ed25519_key_generate(NULL), TIGRESS_E_INVALID);
    assert_int_equal(tigress_ed25519_key_from_seed(NULL, seed, 32), TIGRESS_E_INVALID);
    assert_int_equal(tigress_ed25519_key_from_seed(&key, NULL, 32), TIGRESS_E_INVALID);
    assert_null(key);
    assert_int_equal(tigress_ed25519_key_from_seed(&key, seed, 31), TIGRESS_E_KEY);
    assert_int_equal(tigress_ed25519_key_from_seed(&key, seed, 64), TIGRESS_E_KEY);
    assert_null(key);
    assert_int_equal(tigress_ed25519_key_public(NULL, pk, sizeof(pk)), TIGRESS_E_INVALID);
    assert_int_equal(tigress_ed25519_key_from_seed(&key, seed, 32), TIGRESS_OK);
    assert_int_equal(tigress_ed25519_key_public(key, NULL, 32), TIGRESS_E_INVALID);
    assert_int_equal(tigress_ed25519_key_public(key, pk, 31), TIGRESS_E_BUFFER);
    assert_int_equal(tigress_signer_ed25519(NULL, key), TIGRESS_E_INVALID);
    assert_int_equal(tigress_signer_ed25519(&s, NULL), TIGRESS_E_INVALID);
    assert_int_equal(tigress_verifier_ed25519(NULL, pk), TIGRESS_E_INVALID);
    assert_int_equal(tigress_verifier_ed25519(&v, NULL), TIGRESS_E_INVALID);
    assert_int_equal(tigress_error_last()->code, TIGRESS_E_INVALID);
    /* The verify callback itself, with a missing key or message. */
    assert_int_equal(tigress_ed25519_key_public(key, pk, sizeof(pk)), TIGRESS_OK);
    assert_int_equal(tigress_verifier_ed25519(&v, pk), TIGRESS_OK);
    assert_int_equal(v.verify("Ed25519", g_msg, 3, sig, 64, NULL), TIGRESS_E_INVALID);
    assert_int_equal(v.verify("Ed25519", NULL, 3, sig, 64, v.user_data), TIGRESS_E_INVALID);
    tigress_ed25519_key_free(key);
    tigress_ed25519_key_free(NULL);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_signer__rfc8032_test1_from_seed),
        T(test_signer__same_seed_same_key),
        T(test_signer__sign_verify_round_trip),
        T(test_signer__tampering_is_e_signature),
        T(test_signer__sign_callback_argument_checks),
        T(test_signer__null_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
