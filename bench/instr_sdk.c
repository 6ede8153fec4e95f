/*
 * bench/instr_sdk.c: instruction counts of SDK operations, for `make bench-instr`
 * (bench/instr.sh runs it under valgrind --tool=callgrind).
 *
 *   instr_sdk [M]      default 40
 *
 * Each operation kind is measured as M calls between CALLGRIND_ZERO_STATS and
 * CALLGRIND_DUMP_STATS_AT("<op>:<M>"); the figure is the dump's total divided by M. Inputs are
 * prepared before each window, and a few calls of each kind run first (warm-up: lazily
 * initialised tables, the allocator's free lists).
 *   share, redeem    tigress_share_create / tigress_redeem (stateless, XSALSA20_POLY1305),
 *                    two clients on the unit tests' in-memory mock relay
 *                    (tests/unit/helpers/mock_transport.h): the SDK's JSON, URL, crypto and
 *                    state-machine work plus the mock relay's (small) share; no network, no TLS
 *   seal_<type>, open_<type>   tigress_payload_seal / tigress_payload_open of 1 KiB
 *   raw_seal_<type>, raw_open_<type>   the raw primitive on the same 1 KiB, as bench/sdk_bench_crypto.c
 *                    defines it: a fresh random nonce + crypto_secretbox_easy, or EVP AES-GCM
 *                    with a reused context, into a buffer the caller already has (the
 *                    denominator of the envelope ratio in bench/README.md)
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <sodium.h>
#include <valgrind/callgrind.h>

#include "tigress.h"
#include "helpers/mock_transport.h"

#define PT_LEN 1024
#define WARM 3

static long g_m;

static void begin(void)
{
    CALLGRIND_ZERO_STATS;
}

static void end(const char *op, const char *suffix)
{
    char label[64];
    snprintf(label, sizeof label, "%s%s:%ld", op, suffix, g_m);
    CALLGRIND_DUMP_STATS_AT(label);
}

static void fail(const char *what)
{
    fprintf(stderr, "instr_sdk: %s failed: %s\n", what, tigress_error_last()->message);
    exit(1);
}

/* ---- share / redeem through the mock relay ---- */
static void bench_transfer(void)
{
    mock_transport *m = mock_transport_new();
    mock_relay_enable(m, NULL);
    tigress_client *a = mock_client_new(m, NULL), *b = mock_client_new(m, NULL);
    long n = g_m + WARM;
    tigress_transfer **shares = calloc((size_t)n, sizeof *shares);
    tigress_transfer **redeems = calloc((size_t)n, sizeof *redeems);
    if (shares == NULL || redeems == NULL)
        exit(1);
    tigress_share_options o = TIGRESS_SHARE_OPTIONS_INIT;
    o.relay_url = "https://relay.test";
    o.format = "digitalwallet.carkey.ccc";
    o.content_json = "{\"genericSharingData\":{\"keyId\":\"k-1\",\"slot\":3},\"note\":\"hi\"}";
    o.title = "Car key";
    o.description = "A key for the blue car";
    o.image_url = "https://img.example/car.png";
    o.vertical = 'c';
    o.payload_type = TIGRESS_PAYLOAD_XSALSA20_POLY1305;
    o.stateful = 0;
    tigress_redeem_options ro = TIGRESS_REDEEM_OPTIONS_INIT;

    for (long i = 0; i < WARM; i++) {
        if (tigress_share_create(&shares[i], a, &o) != TIGRESS_OK)
            fail("share (warm-up)");
        ro.share_url = tigress_transfer_share_url(shares[i]);
        if (tigress_redeem(&redeems[i], b, &ro) != TIGRESS_OK)
            fail("redeem (warm-up)");
    }
    begin();
    for (long i = WARM; i < n; i++)
        if (tigress_share_create(&shares[i], a, &o) != TIGRESS_OK)
            fail("share");
    end("share", "");
    begin();
    for (long i = WARM; i < n; i++) {
        ro.share_url = tigress_transfer_share_url(shares[i]);
        if (tigress_redeem(&redeems[i], b, &ro) != TIGRESS_OK)
            fail("redeem");
    }
    end("redeem", "");
    for (long i = 0; i < n; i++) {
        tigress_transfer_free(redeems[i]);
        tigress_transfer_free(shares[i]);
    }
    free(shares);
    free(redeems);
    tigress_client_free(a);
    tigress_client_free(b);
    mock_transport_free(m);
}

/* ---- payload seal / open at 1 KiB, and the raw primitive ---- */
static const EVP_CIPHER *gcm(tigress_payload_type t)
{
    return t == TIGRESS_PAYLOAD_AES_128_GCM ? EVP_aes_128_gcm() : EVP_aes_256_gcm();
}

static void raw_seal(tigress_payload_type t, EVP_CIPHER_CTX *evp, const uint8_t *key,
                     const uint8_t *pt, uint8_t *ct)
{
    if (t == TIGRESS_PAYLOAD_XSALSA20_POLY1305) {
        randombytes_buf(ct, crypto_secretbox_NONCEBYTES);
        if (crypto_secretbox_easy(ct + crypto_secretbox_NONCEBYTES, pt, PT_LEN, ct, key) != 0)
            exit(1);
        return;
    }
    int n = 0, f = 0;
    randombytes_buf(ct, 12);
    if (EVP_EncryptInit_ex(evp, gcm(t), NULL, key, ct) != 1 ||
        EVP_EncryptUpdate(evp, ct + 12, &n, pt, PT_LEN) != 1 ||
        EVP_EncryptFinal_ex(evp, ct + 12 + n, &f) != 1 ||
        EVP_CIPHER_CTX_ctrl(evp, EVP_CTRL_GCM_GET_TAG, 16, ct + 12 + PT_LEN) != 1)
        exit(1);
}

static void raw_open(tigress_payload_type t, EVP_CIPHER_CTX *evp, const uint8_t *key,
                     uint8_t *ct, uint8_t *out)
{
    if (t == TIGRESS_PAYLOAD_XSALSA20_POLY1305) {
        if (crypto_secretbox_open_easy(out, ct + crypto_secretbox_NONCEBYTES,
                                       PT_LEN + crypto_secretbox_MACBYTES, ct, key) != 0)
            exit(1);
        return;
    }
    int n = 0, f = 0;
    if (EVP_DecryptInit_ex(evp, gcm(t), NULL, key, ct) != 1 ||
        EVP_DecryptUpdate(evp, out, &n, ct + 12, PT_LEN) != 1 ||
        EVP_CIPHER_CTX_ctrl(evp, EVP_CTRL_GCM_SET_TAG, 16, ct + 12 + PT_LEN) != 1 ||
        EVP_DecryptFinal_ex(evp, out + n, &f) != 1)
        exit(1);
}

static void bench_payload(tigress_payload_type t, const char *suffix)
{
    tigress_secret *sec = NULL;
    if (tigress_secret_generate(&sec, t) != TIGRESS_OK)
        fail("secret_generate");
    const uint8_t *key = tigress_secret_bytes(sec);
    EVP_CIPHER_CTX *evp = EVP_CIPHER_CTX_new();
    uint8_t *pt = malloc(PT_LEN), *ct = malloc(PT_LEN + 64), *out = malloc(PT_LEN + 64);
    tigress_buf *sealed = calloc((size_t)g_m, sizeof *sealed);
    if (evp == NULL || pt == NULL || ct == NULL || out == NULL || sealed == NULL)
        exit(1);
    for (size_t i = 0; i < PT_LEN; i++)
        pt[i] = (uint8_t)(i * 131u + 7u);

    for (long i = 0; i < WARM; i++) {
        tigress_buf s = {0}, p = {0};
        if (tigress_payload_seal(&s, t, sec, pt, PT_LEN) != TIGRESS_OK ||
            tigress_payload_open(&p, t, sec, (const char *)s.ptr) != TIGRESS_OK)
            fail("seal/open (warm-up)");
        tigress_buf_dispose(&s);
        tigress_buf_dispose(&p);
        raw_seal(t, evp, key, pt, ct);
        raw_open(t, evp, key, ct, out);
    }
    begin();
    for (long i = 0; i < g_m; i++)
        if (tigress_payload_seal(&sealed[i], t, sec, pt, PT_LEN) != TIGRESS_OK)
            fail("seal");
    end("seal_", suffix);
    begin();
    for (long i = 0; i < g_m; i++) {
        tigress_buf p = {0};
        if (tigress_payload_open(&p, t, sec, (const char *)sealed[i].ptr) != TIGRESS_OK)
            fail("open");
        tigress_buf_dispose(&p);
    }
    end("open_", suffix);
    begin();
    for (long i = 0; i < g_m; i++)
        raw_seal(t, evp, key, pt, ct);
    end("raw_seal_", suffix);
    begin();
    for (long i = 0; i < g_m; i++)
        raw_open(t, evp, key, ct, out);
    end("raw_open_", suffix);
    if (memcmp(out, pt, PT_LEN) != 0)
        exit(1);

    for (long i = 0; i < g_m; i++)
        tigress_buf_dispose(&sealed[i]);
    free(sealed);
    free(pt);
    free(ct);
    free(out);
    EVP_CIPHER_CTX_free(evp);
    tigress_secret_free(sec);
}

int main(int argc, char **argv)
{
    g_m = argc > 1 ? atol(argv[1]) : 40;
    if (g_m < 1) {
        fprintf(stderr, "usage: instr_sdk [M]\n");
        return 2;
    }
    bench_transfer(); /* first: mock_client_new runs tigress_global_init() */
    bench_payload(TIGRESS_PAYLOAD_XSALSA20_POLY1305, "xsalsa20_poly1305");
    bench_payload(TIGRESS_PAYLOAD_AES_128_GCM, "aes_128_gcm");
    bench_payload(TIGRESS_PAYLOAD_AES_256_GCM, "aes_256_gcm");
    printf("instr_sdk: ok (%ld operations of each kind)\n", g_m);
    return 0;
}
