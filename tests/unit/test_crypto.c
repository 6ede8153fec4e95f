/*
 * Secrets and payload encryption: C7 (both AES-GCM sizes), C8 (fresh IV, IV||ct||tag layout),
 * C9 (CSPRNG Secret of the right length), C10 (tag checked, no plaintext on failure).
 * The known-answer and negative vectors run twice: against the built-in AES-GCM of this build
 * (OpenSSL, or libsodium in the portable build) and against a test AEAD provider installed as
 * the process default (aead_test_provider.h), which counts its calls. A type an implementation
 * cannot serve (AES-128-GCM in the portable build) must be TIGRESS_E_UNSUPPORTED naming it.
 * Known answers come from tests/unit/vectors/gen_vectors.py (pure-Python XSalsa20-Poly1305
 * cross-checked with PyNaCl; pyca/cryptography AES-GCM checked against NIST cases), and so
 * do the committed negative vectors (payload_kat_negative.json: inputs to reject, C7-C10).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <sodium.h>

#include "aead_test_provider.h"
#include "crypto_internal.h"
#include "helpers/ref_aead.h"
#include "vectors/payload_kat.h"
#include "vectors/payload_kat_negative.h"

#define KAT_COUNT (sizeof(payload_kats) / sizeof(payload_kats[0]))
#define ALL_TYPES { TIGRESS_PAYLOAD_XSALSA20_POLY1305, TIGRESS_PAYLOAD_AES_128_GCM, \
                    TIGRESS_PAYLOAD_AES_256_GCM }

static int setup(void **state)
{
    (void)state;
    return tigress_global_init() == TIGRESS_OK ? 0 : -1;
}

/* The implementation under test: the built-in one, or the test provider (g_use_provider). */
static int g_use_provider;
static test_aead g_aead;

static bool served(tigress_payload_type type)
{
    if (type == TIGRESS_PAYLOAD_XSALSA20_POLY1305)
        return true;
    if (g_use_provider == 2)
        return true; /* the reference AES-GCM serves both sizes everywhere */
    return g_use_provider ? test_aead_serves(type) != 0 : tigress_payload_type_builtin(type) != 0;
}

/* A type the implementation cannot serve: the call failed with TIGRESS_E_UNSUPPORTED, and the
 * message names the type. */
static void assert_unsupported(tigress_status rc, tigress_payload_type type)
{
    assert_int_equal(rc, TIGRESS_E_UNSUPPORTED);
    assert_int_equal(tigress_error_last()->code, TIGRESS_E_UNSUPPORTED);
    assert_non_null(strstr(tigress_error_last()->message, tigress_payload_type_name(type)));
}

static int provider_group_setup(void **state)
{
    tigress_aead_provider p = test_aead_vtable(&g_aead);
    (void)state;

    g_use_provider = 1;
    return tigress_aead_provider_set_default(&p) == TIGRESS_OK ? 0 : -1;
}

static int ref_group_setup(void **state)
{
    tigress_aead_provider p;
    (void)state;

    ref_aead_provider(&p);
    g_use_provider = 2;
    return tigress_aead_provider_set_default(&p) == TIGRESS_OK ? 0 : -1;
}

static int provider_group_teardown(void **state)
{
    (void)state;
    g_use_provider = 0;
    return tigress_aead_provider_set_default(NULL) == TIGRESS_OK ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    tigress_global_cleanup();
    return 0;
}

/* Decode a hex string from the vector table into a malloc'd buffer. */
static uint8_t *unhex(const char *hex, size_t *len)
{
    size_t cap = strlen(hex) / 2 + 1;
    uint8_t *b = malloc(cap);

    assert_non_null(b);
    assert_int_equal(sodium_hex2bin(b, cap, hex, strlen(hex), NULL, len, NULL), 0);
    assert_int_equal(*len, strlen(hex) / 2);
    return b;
}

static tigress_payload_type kat_type(const struct payload_kat *v)
{
    tigress_payload_type t;

    assert_int_equal(tigress_payload_type_from_name(&t, v->type), TIGRESS_OK);
    return t;
}

static tigress_secret *kat_secret(const struct payload_kat *v)
{
    tigress_secret *s = NULL;
    size_t len;
    uint8_t *key = unhex(v->key, &len);

    assert_int_equal(tigress_secret_from_bytes(&s, key, len), TIGRESS_OK);
    free(key);
    return s;
}

static void assert_empty(const tigress_buf *b)
{
    assert_null(b->ptr);
    assert_int_equal(b->size, 0);
}

/* ---- payload types ---- */

static void test_crypto__type_names_round_trip(void **state)
{
    tigress_payload_type all[] = ALL_TYPES, t;
    const size_t keys[] = { 32, 16, 32 };
    (void)state;

    for (size_t i = 0; i < 3; i++) {
        const char *name = tigress_payload_type_name(all[i]);
        assert_non_null(name);
        assert_int_equal(tigress_payload_type_from_name(&t, name), TIGRESS_OK);
        assert_int_equal(t, all[i]);
        assert_int_equal(tigress_payload_key_bytes(all[i]), keys[i]);
    }
    assert_string_equal(tigress_payload_type_name(TIGRESS_PAYLOAD_AES_128_GCM), "AEAD_AES_128_GCM");
    assert_null(tigress_payload_type_name((tigress_payload_type)3));
    assert_null(tigress_payload_type_name((tigress_payload_type)-1));
    assert_int_equal(tigress_payload_key_bytes((tigress_payload_type)7), 0);
    assert_int_equal(tigress_payload_type_from_name(&t, "aead_aes_128_gcm"), TIGRESS_E_UNSUPPORTED);
    assert_int_equal(tigress_payload_type_from_name(&t, "AEAD_CHACHA20_POLY1305"),
                     TIGRESS_E_UNSUPPORTED);
    assert_int_equal(tigress_payload_type_from_name(NULL, "AEAD_AES_128_GCM"), TIGRESS_E_INVALID);
    assert_int_equal(tigress_payload_type_from_name(&t, NULL), TIGRESS_E_INVALID);
}

/* ---- known answers (C7, C8) ---- */

static void test_crypto__kat_open_every_vector(void **state)
{
    (void)state;
    for (size_t i = 0; i < KAT_COUNT; i++) {
        const struct payload_kat *v = &payload_kats[i];
        tigress_secret *s = kat_secret(v);
        tigress_buf out = {0};
        size_t pt_len;
        uint8_t *pt = unhex(v->plaintext, &pt_len);

        if (!served(kat_type(v))) {
            assert_unsupported(tigress_payload_open(&out, kat_type(v), s, v->data), kat_type(v));
            assert_empty(&out);
            tigress_secret_free(s);
            free(pt);
            continue;
        }
        assert_int_equal(tigress_payload_open(&out, kat_type(v), s, v->data), TIGRESS_OK);
        assert_int_equal(out.size, pt_len);
        if (pt_len > 0)
            assert_memory_equal(out.ptr, pt, pt_len);
        assert_int_equal(out.ptr[out.size], 0); /* NUL-terminated as promised */
        tigress_buf_dispose(&out);
        tigress_secret_free(s);
        free(pt);
    }
}

static void test_crypto__kat_seal_with_fixed_nonce_matches(void **state)
{
    (void)state;
    for (size_t i = 0; i < KAT_COUNT; i++) {
        const struct payload_kat *v = &payload_kats[i];
        tigress_secret *s = kat_secret(v);
        tigress_buf out = {0};
        size_t pt_len, n_len;
        uint8_t *pt = unhex(v->plaintext, &pt_len), *nonce = unhex(v->nonce, &n_len);

        if (!served(kat_type(v))) {
            assert_unsupported(tigress__payload_seal_with_nonce(&out, kat_type(v), s, nonce, n_len,
                                                                pt, pt_len), kat_type(v));
            assert_empty(&out);
            tigress_secret_free(s);
            free(pt);
            free(nonce);
            continue;
        }
        assert_int_equal(tigress__payload_seal_with_nonce(&out, kat_type(v), s, nonce, n_len,
                                                          pt, pt_len), TIGRESS_OK);
        assert_string_equal((const char *)out.ptr, v->data);
        assert_int_equal(out.size, strlen(v->data));
        tigress_buf_dispose(&out);
        /* A nonce of the wrong size for the type is refused. */
        assert_int_equal(tigress__payload_seal_with_nonce(&out, kat_type(v), s, nonce, n_len - 1,
                                                          pt, pt_len), TIGRESS_E_INVALID);
        assert_empty(&out);
        tigress_secret_free(s);
        free(pt);
        free(nonce);
    }
}

/* C10: any flipped bit (nonce, MAC, ciphertext, tag) fails authentication, no plaintext. */
static void test_crypto__tampered_data_is_rejected(void **state)
{
    (void)state;
    for (size_t i = 0; i < KAT_COUNT; i++) {
        const struct payload_kat *v = &payload_kats[i];
        tigress_secret *s = kat_secret(v);
        size_t raw_len = 0, positions[6];
        uint8_t *raw = NULL;
        char *b64;

        assert_int_equal(tigress__b64_decode(&raw, &raw_len, v->data, strlen(v->data)),
                         TIGRESS_OK);
        positions[0] = 0;                 /* first nonce byte */
        positions[1] = 11;                /* last GCM IV byte / inside the secretbox nonce */
        positions[2] = raw_len / 2;
        positions[3] = raw_len - 16;      /* first tag byte (GCM) / ct or MAC (secretbox) */
        positions[4] = raw_len - 1;       /* last byte: tag (GCM) */
        positions[5] = 24;                /* secretbox MAC start / GCM ct or tag */
        for (size_t p = 0; p < 6; p++) {
            tigress_buf out = {0};
            raw[positions[p]] ^= 0x01;
            b64 = tigress__b64_encode(raw, raw_len);
            if (served(kat_type(v))) {
                assert_int_equal(tigress_payload_open(&out, kat_type(v), s, b64), TIGRESS_E_CRYPTO);
                assert_int_equal(tigress_error_last()->code, TIGRESS_E_CRYPTO);
            } else {
                assert_unsupported(tigress_payload_open(&out, kat_type(v), s, b64), kat_type(v));
            }
            assert_empty(&out);
            tigress__free(b64);
            raw[positions[p]] ^= 0x01;
        }
        tigress__free(raw);
        tigress_secret_free(s);
    }
}

/* C7-C10: every committed negative vector (tampered tag/ciphertext/nonce, truncated, wrong
 * key length, bad Base64, nonce/IV of the wrong length; each payload type) is refused with
 * its expected status, nothing returned, and the status recorded as the last error. */
static void test_C7_C10_negative_vectors_are_rejected(void **state)
{
    size_t n = sizeof(payload_kat_negatives) / sizeof(payload_kat_negatives[0]), bad = 0;
    unsigned seen_types = 0;
    (void)state;

    for (size_t i = 0; i < n; i++) {
        const struct payload_kat_negative *v = &payload_kat_negatives[i];
        tigress_payload_type type;
        tigress_secret *s = NULL;
        tigress_buf out = {0};
        size_t key_len;
        uint8_t *key = unhex(v->key, &key_len);

        assert_int_equal(tigress_payload_type_from_name(&type, v->type), TIGRESS_OK);
        seen_types |= 1u << type;
        tigress_status st = tigress_secret_from_bytes(&s, key, key_len);
        if (st == TIGRESS_OK)
            st = tigress_payload_open(&out, type, s, v->data);
        /* Authentication is the AEAD's: a type it cannot serve stops there, unsupported. */
        const char *expect = !served(type) && strcmp(v->expect, "TIGRESS_E_CRYPTO") == 0
                                 ? "TIGRESS_E_UNSUPPORTED" : v->expect;
        if (strcmp(tigress_status_name(st), expect) != 0) {
            print_error("%s: %s, expected %s\n", v->name, tigress_status_name(st), expect);
            bad++;
        }
        assert_empty(&out);
        assert_int_equal(tigress_error_last()->code, st);
        tigress_secret_free(s);
        free(key);
    }
    assert_int_equal(bad, 0);
    assert_int_equal(seen_types, 7); /* all three payload types */
}

static void test_crypto__wrong_key_is_rejected(void **state)
{
    (void)state;
    for (size_t i = 0; i < KAT_COUNT; i++) {
        const struct payload_kat *v = &payload_kats[i];
        tigress_secret *other = NULL;
        tigress_buf out = {0};

        assert_int_equal(tigress_secret_generate(&other, kat_type(v)), TIGRESS_OK);
        if (served(kat_type(v)))
            assert_int_equal(tigress_payload_open(&out, kat_type(v), other, v->data),
                             TIGRESS_E_CRYPTO);
        else
            assert_unsupported(tigress_payload_open(&out, kat_type(v), other, v->data),
                               kat_type(v));
        assert_empty(&out);
        tigress_secret_free(other);
    }
}

static void test_crypto__wrong_key_length_is_e_key(void **state)
{
    uint8_t key16[16] = {1}, key32[32] = {2};
    tigress_secret *s16 = NULL, *s32 = NULL;
    tigress_buf out = {0};
    (void)state;

    assert_int_equal(tigress_secret_from_bytes(&s16, key16, sizeof(key16)), TIGRESS_OK);
    assert_int_equal(tigress_secret_from_bytes(&s32, key32, sizeof(key32)), TIGRESS_OK);
    assert_int_equal(tigress_payload_seal(&out, TIGRESS_PAYLOAD_AES_128_GCM, s32,
                                          (const uint8_t *)"x", 1), TIGRESS_E_KEY);
    assert_empty(&out);
    assert_int_equal(tigress_error_last()->code, TIGRESS_E_KEY);
    assert_int_equal(tigress_payload_seal(&out, TIGRESS_PAYLOAD_AES_256_GCM, s16,
                                          (const uint8_t *)"x", 1), TIGRESS_E_KEY);
    assert_int_equal(tigress_payload_seal(&out, TIGRESS_PAYLOAD_XSALSA20_POLY1305, s16,
                                          (const uint8_t *)"x", 1), TIGRESS_E_KEY);
    assert_int_equal(tigress_payload_open(&out, TIGRESS_PAYLOAD_AES_128_GCM, s32,
                                          payload_kats[0].data), TIGRESS_E_KEY);
    assert_int_equal(tigress_payload_open(&out, TIGRESS_PAYLOAD_XSALSA20_POLY1305, s16,
                                          payload_kats[0].data), TIGRESS_E_KEY);
    assert_empty(&out);
    tigress_secret_free(s16);
    tigress_secret_free(s32);
}

static void test_crypto__truncated_data_is_e_format(void **state)
{
    tigress_payload_type all[] = ALL_TYPES;
    /* Shorter than nonce + tag for each type: 39 bytes for secretbox, 27 for GCM. */
    uint8_t raw[40] = {0};
    const size_t too_short[] = { 39, 27, 27 };
    (void)state;

    for (size_t i = 0; i < 3; i++) {
        tigress_secret *s = NULL;
        tigress_buf out = {0};
        char *b64 = tigress__b64_encode(raw, too_short[i]);

        assert_int_equal(tigress_secret_generate(&s, all[i]), TIGRESS_OK);
        assert_int_equal(tigress_payload_open(&out, all[i], s, b64), TIGRESS_E_FORMAT);
        assert_empty(&out);
        assert_int_equal(tigress_payload_open(&out, all[i], s, ""), TIGRESS_E_FORMAT);
        tigress__free(b64);
        tigress_secret_free(s);
    }
}

static void test_crypto__bad_base64_is_e_format(void **state)
{
    const struct payload_kat *v = &payload_kats[2];
    tigress_secret *s = kat_secret(v);
    tigress_buf out = {0};
    char *copy = strdup(v->data);
    const char *bad[] = { "!!!!", "AAAA AAAA", "AAA=A", "AAAAA", "====", "AA\nAA" };
    (void)state;

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(tigress_payload_open(&out, kat_type(v), s, bad[i]), TIGRESS_E_FORMAT);
        assert_empty(&out);
        assert_int_equal(tigress_error_last()->code, TIGRESS_E_FORMAT);
    }
    /* One character replaced by an invalid one in an otherwise valid vector. */
    copy[5] = '*';
    assert_int_equal(tigress_payload_open(&out, kat_type(v), s, copy), TIGRESS_E_FORMAT);
    free(copy);
    tigress_secret_free(s);
}

static void test_crypto__mixed_alphabet_is_e_format(void **state)
{
    tigress_secret *s = NULL;
    tigress_buf sealed = {0}, out = {0};
    uint8_t pt[64];
    char *p;
    (void)state;

    memset(pt, 0xfb, sizeof(pt)); /* 0xfb... encodes to '+' and '/' heavy Base64 */
    if (!served(TIGRESS_PAYLOAD_AES_256_GCM))
        skip();
    assert_int_equal(tigress_secret_generate(&s, TIGRESS_PAYLOAD_AES_256_GCM), TIGRESS_OK);
    assert_int_equal(tigress_payload_seal(&sealed, TIGRESS_PAYLOAD_AES_256_GCM, s, pt, sizeof(pt)),
                     TIGRESS_OK);
    /* Put a URL-safe '-' where the standard text has a '+' or '/' (or anywhere, forcing one
     * of each): the alphabets mixed is not Base64. */
    p = strpbrk((char *)sealed.ptr, "+/");
    if (p == NULL) {
        sealed.ptr[0] = '+';
        sealed.ptr[1] = '-';
    } else {
        char *q = (p == (char *)sealed.ptr) ? p + 1 : (char *)sealed.ptr;
        *q = (*p == '+') ? '_' : '-';
    }
    assert_int_equal(tigress_payload_open(&out, TIGRESS_PAYLOAD_AES_256_GCM, s,
                                          (const char *)sealed.ptr), TIGRESS_E_FORMAT);
    assert_empty(&out);
    tigress_buf_dispose(&sealed);
    tigress_secret_free(s);
}

static void test_crypto__unpadded_data_is_accepted(void **state)
{
    const struct payload_kat *v = &payload_kats[1]; /* 1-byte secretbox: 41 bytes -> "=" pad */
    tigress_secret *s = kat_secret(v);
    tigress_buf out = {0};
    char *copy = strdup(v->data);
    (void)state;

    assert_non_null(strchr(copy, '='));
    *strchr(copy, '=') = '\0';
    assert_int_equal(tigress_payload_open(&out, kat_type(v), s, copy), TIGRESS_OK);
    assert_int_equal(out.size, 1);
    tigress_buf_dispose(&out);
    free(copy);
    tigress_secret_free(s);
}

static void round_trip(tigress_payload_type type, const uint8_t *pt, size_t len)
{
    tigress_secret *s = NULL;
    tigress_buf sealed = {0}, out = {0};
    size_t raw_len = (type == TIGRESS_PAYLOAD_XSALSA20_POLY1305 ? 24 : 12) + 16 + len;

    assert_int_equal(tigress_secret_generate(&s, type), TIGRESS_OK);
    if (!served(type)) {
        assert_unsupported(tigress_payload_seal(&sealed, type, s, pt, len), type);
        assert_empty(&sealed);
        tigress_secret_free(s);
        return;
    }
    assert_int_equal(tigress_payload_seal(&sealed, type, s, pt, len), TIGRESS_OK);
    assert_int_equal(sealed.size, (raw_len + 2) / 3 * 4); /* padded standard Base64 */
    assert_int_equal(strlen((const char *)sealed.ptr), sealed.size);
    assert_int_equal(tigress_payload_open(&out, type, s, (const char *)sealed.ptr), TIGRESS_OK);
    assert_int_equal(out.size, len);
    if (len > 0)
        assert_memory_equal(out.ptr, pt, len);
    tigress_buf_dispose(&out);
    tigress_buf_dispose(&sealed);
    tigress_secret_free(s);
}

static void test_crypto__empty_plaintext_round_trip(void **state)
{
    tigress_payload_type all[] = ALL_TYPES;
    (void)state;
    for (size_t i = 0; i < 3; i++) {
        round_trip(all[i], NULL, 0);
        round_trip(all[i], (const uint8_t *)"", 0);
    }
}

static void test_crypto__64k_plaintext_round_trip(void **state)
{
    tigress_payload_type all[] = ALL_TYPES;
    size_t len = 64 * 1024;
    uint8_t *pt = malloc(len);
    (void)state;

    assert_non_null(pt);
    randombytes_buf(pt, len);
    for (size_t i = 0; i < 3; i++)
        round_trip(all[i], pt, len);
    free(pt);
}

static void test_crypto__plaintext_over_16_mib_is_refused(void **state)
{
    tigress_secret *s = NULL;
    tigress_buf out = {0};
    static const uint8_t one[1];
    (void)state;

    assert_int_equal(tigress_secret_generate(&s, TIGRESS_PAYLOAD_AES_128_GCM), TIGRESS_OK);
    /* The length is checked before any byte is read, so a tiny buffer is safe here. */
    assert_int_equal(tigress_payload_seal(&out, TIGRESS_PAYLOAD_AES_128_GCM, s, one,
                                          TIGRESS__PAYLOAD_MAX + 1), TIGRESS_E_INVALID);
    assert_empty(&out);
    tigress_secret_free(s);
}

static int cmp_nonce(const void *a, const void *b)
{
    return memcmp(a, b, 24);
}

/* C8: a fresh random nonce for every seal, so the same plaintext never seals the same way. */
static void test_crypto__fresh_nonce_on_every_seal(void **state)
{
    enum { N = 1000 };
    tigress_payload_type all[] = ALL_TYPES;
    uint8_t (*nonces)[24] = calloc(N, 24);
    (void)state;

    assert_non_null(nonces);
    for (size_t t = 0; t < 3; t++) {
        tigress_secret *s = NULL;
        size_t nlen = all[t] == TIGRESS_PAYLOAD_XSALSA20_POLY1305 ? 24 : 12;

        if (!served(all[t]))
            continue;
        assert_int_equal(tigress_secret_generate(&s, all[t]), TIGRESS_OK);
        memset(nonces, 0, (size_t)N * 24);
        for (size_t i = 0; i < N; i++) {
            tigress_buf sealed = {0};
            uint8_t *raw = NULL;
            size_t raw_len = 0;
            assert_int_equal(tigress_payload_seal(&sealed, all[t], s, (const uint8_t *)"same", 4),
                             TIGRESS_OK);
            assert_int_equal(tigress__b64_decode(&raw, &raw_len, (const char *)sealed.ptr,
                                                 sealed.size), TIGRESS_OK);
            memcpy(nonces[i], raw, nlen);
            tigress__free(raw);
            tigress_buf_dispose(&sealed);
        }
        qsort(nonces, N, 24, cmp_nonce);
        for (size_t i = 1; i < N; i++)
            assert_true(memcmp(nonces[i - 1], nonces[i], 24) != 0);
        tigress_secret_free(s);
    }
    free(nonces);
}

static void test_crypto__null_and_unknown_arguments(void **state)
{
    tigress_secret *s = NULL;
    tigress_buf out = { (uint8_t *)"stale", 5 };
    (void)state;

    assert_int_equal(tigress_secret_generate(&s, TIGRESS_PAYLOAD_AES_128_GCM), TIGRESS_OK);
    assert_int_equal(tigress_payload_seal(NULL, TIGRESS_PAYLOAD_AES_128_GCM, s,
                                          (const uint8_t *)"x", 1), TIGRESS_E_INVALID);
    /* Whatever the caller left in out, a failure leaves it empty. */
    assert_int_equal(tigress_payload_seal(&out, TIGRESS_PAYLOAD_AES_128_GCM, NULL,
                                          (const uint8_t *)"x", 1), TIGRESS_E_INVALID);
    assert_empty(&out);
    assert_int_equal(tigress_payload_seal(&out, TIGRESS_PAYLOAD_AES_128_GCM, s, NULL, 1),
                     TIGRESS_E_INVALID);
    assert_int_equal(tigress_payload_seal(&out, (tigress_payload_type)9, s,
                                          (const uint8_t *)"x", 1), TIGRESS_E_UNSUPPORTED);
    assert_int_equal(tigress_payload_open(NULL, TIGRESS_PAYLOAD_AES_128_GCM, s, "AAAA"),
                     TIGRESS_E_INVALID);
    assert_int_equal(tigress_payload_open(&out, TIGRESS_PAYLOAD_AES_128_GCM, NULL, "AAAA"),
                     TIGRESS_E_INVALID);
    assert_int_equal(tigress_payload_open(&out, TIGRESS_PAYLOAD_AES_128_GCM, s, NULL),
                     TIGRESS_E_INVALID);
    assert_int_equal(tigress_payload_open(&out, (tigress_payload_type)-3, s, "AAAA"),
                     TIGRESS_E_UNSUPPORTED);
    assert_int_equal(tigress_error_last()->code, TIGRESS_E_UNSUPPORTED);
    assert_true(strlen(tigress_error_last()->message) > 0);
    assert_empty(&out);
    tigress_secret_free(s);
}

/* ---- Secrets (C9) ---- */

static void test_crypto__secret_generate_sizes_and_randomness(void **state)
{
    tigress_payload_type all[] = ALL_TYPES;
    tigress_secret *a = NULL, *b = NULL;
    (void)state;

    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(tigress_secret_generate(&a, all[i]), TIGRESS_OK);
        assert_int_equal(tigress_secret_generate(&b, all[i]), TIGRESS_OK);
        assert_int_equal(tigress_secret_size(a), tigress_payload_key_bytes(all[i]));
        assert_true(memcmp(tigress_secret_bytes(a), tigress_secret_bytes(b),
                           tigress_secret_size(a)) != 0);
        /* Text is standard padded Base64: 24 chars for 16 bytes, 44 for 32. */
        assert_int_equal(strlen(tigress_secret_text(a)), tigress_secret_size(a) == 16 ? 24 : 44);
        assert_int_equal(tigress_secret_text(a)[strlen(tigress_secret_text(a)) - 1], '=');
        tigress_secret_free(a);
        tigress_secret_free(b);
    }
    assert_int_equal(tigress_secret_generate(NULL, TIGRESS_PAYLOAD_AES_128_GCM), TIGRESS_E_INVALID);
    a = (tigress_secret *)&a; /* must be reset to NULL on failure */
    assert_int_equal(tigress_secret_generate(&a, (tigress_payload_type)5), TIGRESS_E_UNSUPPORTED);
    assert_null(a);
}

static void test_crypto__secret_from_bytes_lengths(void **state)
{
    uint8_t key[33];
    const size_t bad[] = { 0, 1, 15, 17, 24, 31, 33 };
    tigress_secret *s = NULL;
    (void)state;

    for (size_t i = 0; i < sizeof(key); i++)
        key[i] = (uint8_t)i;
    assert_int_equal(tigress_secret_from_bytes(&s, key, 16), TIGRESS_OK);
    assert_int_equal(tigress_secret_size(s), 16);
    assert_memory_equal(tigress_secret_bytes(s), key, 16);
    assert_string_equal(tigress_secret_text(s), "AAECAwQFBgcICQoLDA0ODw==");
    tigress_secret_free(s);
    assert_int_equal(tigress_secret_from_bytes(&s, key, 32), TIGRESS_OK);
    assert_int_equal(tigress_secret_size(s), 32);
    tigress_secret_free(s);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(tigress_secret_from_bytes(&s, key, bad[i]), TIGRESS_E_KEY);
        assert_null(s);
    }
    assert_int_equal(tigress_secret_from_bytes(NULL, key, 16), TIGRESS_E_INVALID);
    assert_int_equal(tigress_secret_from_bytes(&s, NULL, 16), TIGRESS_E_INVALID);
}

static void test_crypto__secret_from_text_every_flavour(void **state)
{
    /* 16 bytes fb ff bf fb ff bf ... chosen so the text uses '+' and '/' (or '-' and '_'). */
    static const uint8_t key[16] = { 0xfb, 0xff, 0xbf, 0xfb, 0xff, 0xbf, 0xfb, 0xff,
                                     0xbf, 0xfb, 0xff, 0xbf, 0xfb, 0xff, 0xbf, 0xfb };
    const char *forms[] = {
        "+/+/+/+/+/+/+/+/+/+/+w==",       /* standard, padded */
        "+/+/+/+/+/+/+/+/+/+/+w",         /* standard, unpadded */
        "-_-_-_-_-_-_-_-_-_-_-w==",       /* URL-safe, padded */
        "-_-_-_-_-_-_-_-_-_-_-w",         /* URL-safe, unpadded */
        "%2B%2F+/+/+/+/+/+/+/+/+/+w%3D%3d", /* percent-encoded (either hex case) */
        "%2b%2f%2B%2F+/+/+/+/+/+/+/+/+w",
    };
    (void)state;

    for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
        tigress_secret *s = NULL;
        assert_int_equal(tigress_secret_from_text(&s, forms[i]), TIGRESS_OK);
        assert_int_equal(tigress_secret_size(s), 16);
        assert_memory_equal(tigress_secret_bytes(s), key, 16);
        assert_string_equal(tigress_secret_text(s), forms[0]);
        tigress_secret_free(s);
    }
}

static void test_crypto__secret_from_text_rejects_without_quoting(void **state)
{
    const char *bad[] = {
        "",                                /* empty */
        "hXlr6aRC7KgJpOLTNZaLsw=",         /* bad padding */
        "hXlr6aRC7KgJpOLTNZaL",            /* 15 bytes */
        "hXlr6aRC7KgJpOLTNZaLs-w/",        /* mixed alphabets */
        "hXlr6aRC7KgJ pOLTNZaLsw==",       /* space */
        "hXlr6aRC7KgJpOLTNZaLsw%3",        /* truncated escape */
        "hXlr6aRC7KgJpOLTNZaLsw%zz",       /* bad escape */
        "hXlr6aRC7KgJpOLT%00NZaLsw==",     /* NUL escape */
        "hXlr6aRC7K\377JpOLTNZaLsw==",     /* \377: a byte >= 0x80 (libsodium alone accepts it) */
        "hXlr6aRC7K%C3JpOLTNZaLsw==",      /* the same, percent-escaped */
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", /* 48 bytes */
    };
    tigress_secret *s = NULL;
    (void)state;

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(tigress_secret_from_text(&s, bad[i]), TIGRESS_E_KEY);
        assert_null(s);
        assert_int_equal(tigress_error_last()->code, TIGRESS_E_KEY);
        if (strlen(bad[i]) >= 8)
            assert_null(strstr(tigress_error_last()->message, "hXlr6a"));
    }
    assert_int_equal(tigress_secret_from_text(NULL, "hXlr6aRC7KgJpOLTNZaLsw=="), TIGRESS_E_INVALID);
    assert_int_equal(tigress_secret_from_text(&s, NULL), TIGRESS_E_INVALID);
    assert_int_equal(tigress_secret_from_text(&s, "hXlr6aRC7KgJpOLTNZaLsw=="), TIGRESS_OK);
    tigress_secret_free(s);
}

static void test_crypto__secret_null_accessors(void **state)
{
    (void)state;
    assert_null(tigress_secret_bytes(NULL));
    assert_null(tigress_secret_text(NULL));
    assert_int_equal(tigress_secret_size(NULL), 0);
    tigress_secret_free(NULL);
}

/* ---- out-of-memory paths: fail the Nth allocation until the call succeeds ---- */

static long g_fail_at = -1, g_count;
static void *fail_malloc(size_t n, void *ud)
{
    (void)ud;
    return g_fail_at >= 0 && g_count++ == g_fail_at ? NULL : malloc(n);
}
static void *fail_realloc(void *p, size_t n, void *ud) { (void)ud; return realloc(p, n); }
static void fail_free(void *p, void *ud) { (void)ud; free(p); }

static void test_crypto__allocation_failures_are_clean(void **state)
{
    tigress_allocator a = { TIGRESS_ALLOCATOR_VERSION, fail_malloc, fail_realloc, fail_free, NULL };
    tigress_payload_type all[] = ALL_TYPES;
    (void)state;

    assert_int_equal(tigress_global_init_mem(&a), TIGRESS_OK);
    for (size_t t = 0; t < 3; t++) {
        tigress_secret *s = NULL;
        tigress_buf sealed = {0}, out = {0};
        tigress_status rc;
        int seen_nomem = 0, seen_seal;

        if (!served(all[t]))
            continue;
        assert_int_equal(tigress_secret_generate(&s, all[t]), TIGRESS_OK);
        for (g_fail_at = 0;; g_fail_at++) {
            g_count = 0;
            rc = tigress_payload_seal(&sealed, all[t], s, (const uint8_t *)"pt", 2);
            if (rc == TIGRESS_OK)
                break;
            assert_int_equal(rc, TIGRESS_E_NOMEM);
            assert_empty(&sealed);
            seen_nomem++;
        }
        seen_seal = seen_nomem;
        for (g_fail_at = 0;; g_fail_at++) {
            g_count = 0;
            rc = tigress_payload_open(&out, all[t], s, (const char *)sealed.ptr);
            if (rc == TIGRESS_OK)
                break;
            assert_int_equal(rc, TIGRESS_E_NOMEM);
            assert_empty(&out);
            seen_nomem++;
        }
        g_fail_at = -1;
        /* The hooks really reach both seal and open (each allocates once since the
         * single-buffer rework; it was twice before). */
        assert_true(seen_seal >= 1 && seen_nomem - seen_seal >= 1);
        assert_string_equal((const char *)out.ptr, "pt");
        tigress_buf_dispose(&out);
        tigress_buf_dispose(&sealed);
        for (g_fail_at = 0;; g_fail_at++) {
            tigress_secret *t2 = NULL;
            g_count = 0;
            rc = tigress_secret_from_text(&t2, "hXlr6aRC7KgJpOLTNZaLsw==");
            tigress_secret_free(t2);
            if (rc == TIGRESS_OK)
                break;
            assert_int_equal(rc, TIGRESS_E_NOMEM);
        }
        g_fail_at = -1;
        tigress_secret_free(s);
    }
    tigress_global_cleanup();
    assert_int_equal(tigress_global_init_mem(NULL), TIGRESS_OK);
    tigress_global_cleanup();
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

/* ---- the AEAD provider extension point (tigress/sys/aead.h) ---- */

/* Run last in the provider group: the provider really did the AES-GCM work, with the sizes
 * the header promises, and XSALSA20_POLY1305 never reached it. */
static void test_aead__provider_was_used(void **state)
{
    size_t gcm = 0;
    (void)state;

    for (size_t i = 0; i < KAT_COUNT; i++)
        gcm += kat_type(&payload_kats[i]) != TIGRESS_PAYLOAD_XSALSA20_POLY1305;
    assert_true(gcm > 0);
    assert_true(g_aead.opens >= gcm);  /* every GCM vector opened at least once */
    assert_true(g_aead.seals >= gcm);
    assert_int_equal(g_aead.bad_args, 0);
    /* A seal now goes through it too, and is counted. */
    {
        unsigned before = g_aead.seals;
        tigress_secret *s = NULL;
        tigress_buf out = {0};
        tigress_status rc;

        assert_int_equal(tigress_secret_generate(&s, TIGRESS_PAYLOAD_AES_256_GCM), TIGRESS_OK);
        rc = tigress_payload_seal(&out, TIGRESS_PAYLOAD_AES_256_GCM, s, (const uint8_t *)"x", 1);
        assert_int_equal(g_aead.seals, before + 1);
        if (served(TIGRESS_PAYLOAD_AES_256_GCM))
            assert_int_equal(rc, TIGRESS_OK);
        else
            assert_unsupported(rc, TIGRESS_PAYLOAD_AES_256_GCM);
        tigress_buf_dispose(&out);
        tigress_secret_free(s);
    }
}

static int dummy_seal(tigress_payload_type type, const uint8_t *key, size_t key_len,
                      const uint8_t *nonce, size_t nonce_len, const uint8_t *pt, size_t pt_len,
                      uint8_t *ct, uint8_t *tag, size_t tag_len, void *ud)
{
    (void)type; (void)key; (void)key_len; (void)nonce; (void)nonce_len; (void)pt;
    (void)pt_len; (void)ct; (void)tag; (void)tag_len;
    return *(const int *)ud;
}

static int dummy_open(tigress_payload_type type, const uint8_t *key, size_t key_len,
                      const uint8_t *nonce, size_t nonce_len, const uint8_t *ct, size_t ct_len,
                      const uint8_t *tag, size_t tag_len, uint8_t *pt, void *ud)
{
    (void)type; (void)key; (void)key_len; (void)nonce; (void)nonce_len; (void)ct;
    (void)ct_len; (void)tag; (void)tag_len; (void)pt;
    return *(const int *)ud;
}

static void test_aead__provider_init_and_checks(void **state)
{
    tigress_aead_provider p;
    (void)state;

    memset(&p, 0xab, sizeof(p));
    assert_int_equal(tigress_aead_provider_init(&p, TIGRESS_AEAD_PROVIDER_VERSION), TIGRESS_OK);
    assert_int_equal(p.version, TIGRESS_AEAD_PROVIDER_VERSION);
    assert_null(p.seal);
    assert_null(p.open);
    assert_null(p.user_data);
    assert_int_equal(tigress_aead_provider_init(NULL, 1), TIGRESS_E_INVALID);
    assert_int_equal(tigress_aead_provider_init(&p, 0), TIGRESS_E_VERSION);
    assert_int_equal(tigress_aead_provider_init(&p, TIGRESS_AEAD_PROVIDER_VERSION + 1),
                     TIGRESS_E_VERSION);
    /* Slots missing: refused, and the default stays what it was (none). */
    assert_int_equal(tigress_aead_provider_set_default(&p), TIGRESS_E_INVALID);
    p.seal = dummy_seal;
    assert_int_equal(tigress_aead_provider_set_default(&p), TIGRESS_E_INVALID);
    p.open = dummy_open;
    p.version = 7;
    assert_int_equal(tigress_aead_provider_set_default(&p), TIGRESS_E_VERSION);
    assert_int_equal(tigress_error_last()->code, TIGRESS_E_VERSION);
    assert_int_equal(tigress_aead_provider_set_default(NULL), TIGRESS_OK);
}

/* What a provider returns reaches the caller as a status; on failure no plaintext. */
static void test_aead__provider_errors_are_mapped(void **state)
{
    static const struct { int ret; tigress_status seal, open; } cases[] = {
        { TIGRESS_E_CRYPTO, TIGRESS_E_CRYPTO, TIGRESS_E_CRYPTO },
        { TIGRESS_E_UNSUPPORTED, TIGRESS_E_UNSUPPORTED, TIGRESS_E_UNSUPPORTED },
        { TIGRESS_E_NOMEM, TIGRESS_E_NOMEM, TIGRESS_E_NOMEM },
        { TIGRESS_E_USER_MIN - 5, (tigress_status)(TIGRESS_E_USER_MIN - 5),
          (tigress_status)(TIGRESS_E_USER_MIN - 5) },
        { 3, TIGRESS_E_INTERNAL, TIGRESS_E_INTERNAL },
        { -9999, TIGRESS_E_INTERNAL, TIGRESS_E_INTERNAL },
    };
    tigress_aead_provider p;
    tigress_secret *s = NULL;
    tigress_buf out = {0}, sealed = {0};
    int ret = 0;
    (void)state;

    assert_int_equal(tigress_aead_provider_init(&p, TIGRESS_AEAD_PROVIDER_VERSION), TIGRESS_OK);
    p.seal = dummy_seal;
    p.open = dummy_open;
    p.user_data = &ret;
    assert_int_equal(tigress_secret_generate(&s, TIGRESS_PAYLOAD_AES_128_GCM), TIGRESS_OK);
    assert_int_equal(tigress_aead_provider_set_default(&p), TIGRESS_OK);
    /* Success from a provider that writes nothing: a well-formed (if useless) envelope. */
    assert_int_equal(tigress_payload_seal(&sealed, TIGRESS_PAYLOAD_AES_128_GCM, s,
                                          (const uint8_t *)"abc", 3), TIGRESS_OK);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        ret = cases[i].ret;
        assert_int_equal(tigress_payload_seal(&out, TIGRESS_PAYLOAD_AES_128_GCM, s,
                                              (const uint8_t *)"abc", 3), cases[i].seal);
        assert_empty(&out);
        assert_int_equal(tigress_error_last()->code, cases[i].seal);
        if (cases[i].ret != TIGRESS_E_CRYPTO)
            assert_non_null(strstr(tigress_error_last()->message, "AEAD_AES_128_GCM"));
        assert_int_equal(tigress_payload_open(&out, TIGRESS_PAYLOAD_AES_128_GCM, s,
                                              (const char *)sealed.ptr), cases[i].open);
        assert_empty(&out);
    }
    /* XSALSA20_POLY1305 never reaches the provider, whatever it would answer. */
    ret = TIGRESS_E_CRYPTO;
    round_trip(TIGRESS_PAYLOAD_XSALSA20_POLY1305, (const uint8_t *)"abc", 3);
    assert_int_equal(tigress_aead_provider_set_default(NULL), TIGRESS_OK);
    tigress_buf_dispose(&sealed);
    tigress_secret_free(s);
}

/* With no provider: the built-in code serves what this build has, and a type it cannot serve
 * is TIGRESS_E_UNSUPPORTED with a message that names it and says what to plug in. */
static void test_aead__builtin_availability(void **state)
{
    tigress_payload_type all[] = ALL_TYPES;
    (void)state;

    assert_int_equal(tigress_payload_type_builtin(TIGRESS_PAYLOAD_XSALSA20_POLY1305), 1);
    assert_int_equal(tigress_payload_type_builtin((tigress_payload_type)3), 0);
    assert_int_equal(tigress_payload_type_builtin((tigress_payload_type)-1), 0);
#ifdef TIGRESS_HAVE_OPENSSL
    assert_int_equal(tigress_payload_type_builtin(TIGRESS_PAYLOAD_AES_128_GCM), 1);
    assert_int_equal(tigress_payload_type_builtin(TIGRESS_PAYLOAD_AES_256_GCM), 1);
#else
    assert_int_equal(tigress_payload_type_builtin(TIGRESS_PAYLOAD_AES_128_GCM), 0);
    assert_int_equal(tigress_payload_type_builtin(TIGRESS_PAYLOAD_AES_256_GCM),
                     crypto_aead_aes256gcm_is_available() ? 1 : 0);
#endif
    for (size_t i = 0; i < 3; i++) {
        tigress_secret *s = NULL;
        tigress_buf out = {0};
        tigress_status rc;

        assert_int_equal(tigress_secret_generate(&s, all[i]), TIGRESS_OK);
        rc = tigress_payload_seal(&out, all[i], s, (const uint8_t *)"abc", 3);
        if (tigress_payload_type_builtin(all[i])) {
            assert_int_equal(rc, TIGRESS_OK);
        } else {
            assert_unsupported(rc, all[i]);
            assert_non_null(strstr(tigress_error_last()->message, "AEAD provider"));
            assert_empty(&out);
        }
        tigress_buf_dispose(&out);
        tigress_secret_free(s);
    }
}

/* The fast Base64 for public payload data must accept exactly what libsodium's constant-time
 * decoder (tigress__b64_decode, the old path) accepts, with the same bytes. Differential test
 * over valid texts of every flavour and length 0..80 bytes, and single-character mutations. */
static const char b64_mutants[] = "=+/-_ \nA/g0.";

static void check_public_matches_sodium(const char *text, size_t len)
{
    uint8_t *ref = NULL, head[24], *dst;
    size_t ref_len = 0, got = 0, cap = tigress__b64_public_decoded_max(len) + 1;
    tigress_status want = tigress__b64_decode(&ref, &ref_len, text, len);
    static const size_t heads[] = { 0, 12, 24 };

    assert_true(want == TIGRESS_OK || want == TIGRESS_E_FORMAT);
    for (size_t h = 0; h < 3; h++) {
        dst = malloc(cap);
        assert_non_null(dst);
        assert_int_equal(tigress__b64_public_decode(head, heads[h], dst, &got, text, len), want);
        if (want == TIGRESS_OK) {
            size_t in_head = got < heads[h] ? got : heads[h];
            assert_int_equal(got, ref_len);
            assert_true(ref_len - in_head <= cap - heads[h]);
            if (in_head > 0)
                assert_memory_equal(head, ref, in_head);
            if (ref_len > in_head)
                assert_memory_equal(dst, ref + in_head, ref_len - in_head);
        }
        free(dst);
    }
    if (ref != NULL) {
        sodium_memzero(ref, ref_len + 1);
        tigress__free(ref);
    }
}

static void test_crypto__public_base64_matches_libsodium(void **state)
{
    static const int variants[] = { sodium_base64_VARIANT_ORIGINAL,
                                    sodium_base64_VARIANT_ORIGINAL_NO_PADDING,
                                    sodium_base64_VARIANT_URLSAFE,
                                    sodium_base64_VARIANT_URLSAFE_NO_PADDING };
    uint8_t bin[80];
    char text[112], mut[112];
    (void)state;

    for (size_t n = 0; n <= sizeof(bin); n++) {
        randombytes_buf(bin, n);
        if (n > 0)
            bin[0] = 0xfb; /* '+'/'-' heavy start, so alphabets can be mixed below */
        for (size_t v = 0; v < 4; v++) {
            size_t len;
            sodium_bin2base64(text, sizeof(text), bin, n, variants[v]);
            len = strlen(text);
            check_public_matches_sodium(text, len);
            for (size_t i = 0; i < len; i++) {
                for (size_t m = 0; m < sizeof(b64_mutants) - 1; m++) {
                    memcpy(mut, text, len + 1);
                    mut[i] = b64_mutants[m];
                    check_public_matches_sodium(mut, len);
                }
                check_public_matches_sodium(text, i); /* every truncation */
            }
            memcpy(mut, text, len);
            memcpy(mut + len, "==", 3); /* extra padding */
            check_public_matches_sodium(mut, len + 1);
            check_public_matches_sodium(mut, len + 2);
        }
    }
    /* Non-zero unused trailing bits: a second spelling of the same bytes, refused by both. */
    check_public_matches_sodium("QQ==", 4);
    check_public_matches_sodium("QR==", 4);
    check_public_matches_sodium("QUI=", 4);
    check_public_matches_sodium("QUJ=", 4);
    check_public_matches_sodium("QUJ", 3);
    /* The one intended difference: libsodium's branch-free classifier (with signed char) takes
     * every byte >= 0x80 as the digit 63; the public decoder refuses them, as Base64 should. */
    {
        uint8_t head[12], dst[8];
        size_t got;
        char hi[] = "QUJD\x80w==";

        assert_int_equal(tigress__b64_public_decode(head, 12, dst, &got, hi, 8),
                         TIGRESS_E_FORMAT);
        hi[4] = '/';
        assert_int_equal(tigress__b64_public_decode(head, 12, dst, &got, hi, 8), TIGRESS_OK);
        assert_int_equal(got, 4);
    }
}

/* Sealing encodes in place (raw bytes at the end of the text buffer, through a 3 KiB bounce
 * buffer): lengths around the chunk edges give the same text as libsodium's encoder. */
static void test_crypto__in_place_encode_matches_libsodium(void **state)
{
    static const size_t lens[] = { 0, 1, 2, 3, 4, 40, 3071, 3072, 3073, 6143, 6144, 6145, 9217,
                                   65536 + 40 };
    (void)state;

    for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
        size_t n = lens[i], tl = (n + 2) / 3 * 4;
        uint8_t *raw = malloc(n + 1), *buf = malloc(tl + 1);
        char *want;

        assert_non_null(raw);
        assert_non_null(buf);
        randombytes_buf(raw, n);
        memcpy(buf + tl + 1 - n, raw, n);
        tigress__b64_public_encode_in_place(buf, n);
        want = tigress__b64_encode(raw, n);
        assert_non_null(want);
        assert_string_equal((const char *)buf, want);
        tigress__free(want);
        free(raw);
        free(buf);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_crypto__type_names_round_trip),
        T(test_crypto__kat_open_every_vector),
        T(test_crypto__kat_seal_with_fixed_nonce_matches),
        T(test_crypto__tampered_data_is_rejected),
        T(test_C7_C10_negative_vectors_are_rejected),
        T(test_crypto__wrong_key_is_rejected),
        T(test_crypto__wrong_key_length_is_e_key),
        T(test_crypto__truncated_data_is_e_format),
        T(test_crypto__bad_base64_is_e_format),
        T(test_crypto__mixed_alphabet_is_e_format),
        T(test_crypto__unpadded_data_is_accepted),
        T(test_crypto__empty_plaintext_round_trip),
        T(test_crypto__64k_plaintext_round_trip),
        T(test_crypto__plaintext_over_16_mib_is_refused),
        T(test_crypto__fresh_nonce_on_every_seal),
        T(test_crypto__null_and_unknown_arguments),
        T(test_crypto__secret_generate_sizes_and_randomness),
        T(test_crypto__secret_from_bytes_lengths),
        T(test_crypto__secret_from_text_every_flavour),
        T(test_crypto__secret_from_text_rejects_without_quoting),
        T(test_crypto__secret_null_accessors),
        T(test_crypto__public_base64_matches_libsodium),
        T(test_crypto__in_place_encode_matches_libsodium),
        /* Installs its own allocator, so it initialises the library itself. */
        cmocka_unit_test(test_crypto__allocation_failures_are_clean),
    };
    /* The same vectors through the test provider, installed as the process default. */
    const struct CMUnitTest provider_tests[] = {
        T(test_crypto__kat_open_every_vector),
        T(test_crypto__kat_seal_with_fixed_nonce_matches),
        T(test_crypto__tampered_data_is_rejected),
        T(test_C7_C10_negative_vectors_are_rejected),
        T(test_crypto__wrong_key_is_rejected),
        T(test_crypto__empty_plaintext_round_trip),
        T(test_crypto__64k_plaintext_round_trip),
        T(test_aead__provider_was_used),
    };
    /* And through the tests' reference AES-GCM (helpers/ref_aead.c), which the flow tests use
     * as a per-client provider in the portable build: it must give the known answers too. */
    const struct CMUnitTest ref_tests[] = {
        T(test_crypto__kat_open_every_vector),
        T(test_crypto__kat_seal_with_fixed_nonce_matches),
        T(test_crypto__tampered_data_is_rejected),
        T(test_C7_C10_negative_vectors_are_rejected),
        T(test_crypto__wrong_key_is_rejected),
        T(test_crypto__64k_plaintext_round_trip),
    };
    const struct CMUnitTest aead_tests[] = {
        T(test_aead__provider_init_and_checks),
        T(test_aead__provider_errors_are_mapped),
        T(test_aead__builtin_availability),
    };
    int failed;

    /* The built-in AES-GCM alone first (the unit helpers may install a default provider). */
    if (tigress_aead_provider_set_default(NULL) != TIGRESS_OK)
        return 1;
    failed = cmocka_run_group_tests(tests, NULL, NULL);

    failed += cmocka_run_group_tests_name("payload_kat_through_a_provider", provider_tests,
                                          provider_group_setup, provider_group_teardown);
    failed += cmocka_run_group_tests_name("payload_kat_through_the_reference_aes_gcm", ref_tests,
                                          ref_group_setup, provider_group_teardown);
    failed += cmocka_run_group_tests_name("aead_provider_api", aead_tests, NULL,
                                          provider_group_teardown);
    return failed;
}
