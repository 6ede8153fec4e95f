/*
 * bench/sdk_bench_crypto.c: tigress_payload_seal/open against the raw primitive, same process.
 *
 * "Raw" is what a careful caller of the primitive must do at minimum: draw a fresh random
 * nonce and call crypto_secretbox_easy (XSALSA20_POLY1305) or EVP AES-GCM with a reused
 * context (AES-128/256-GCM) into a buffer it already has; opening is the primitive's decrypt.
 * The SDK additionally allocates the output, lays out nonce||ciphertext||tag, and Base64-encodes
 * (open: decodes, allocates guarded memory and wipes). Each figure is the fastest of 5 timed
 * rounds, which filters out other load on a shared machine.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <sodium.h>
#include <tigress.h>

#include "sdk_bench.h"

#define ROUNDS 5

typedef struct raw_ctx {
    tigress_payload_type type;
    const uint8_t *key;
    EVP_CIPHER_CTX *evp;
    const uint8_t *pt;
    size_t len;
    uint8_t *ct;          /* nonce/iv || ciphertext || tag */
    uint8_t *out;
} raw_ctx;

static const EVP_CIPHER *gcm(tigress_payload_type t)
{
    return t == TIGRESS_PAYLOAD_AES_128_GCM ? EVP_aes_128_gcm() : EVP_aes_256_gcm();
}

static int raw_seal(raw_ctx *r)
{
    if (r->type == TIGRESS_PAYLOAD_XSALSA20_POLY1305) {
        randombytes_buf(r->ct, crypto_secretbox_NONCEBYTES);
        return crypto_secretbox_easy(r->ct + crypto_secretbox_NONCEBYTES, r->pt, r->len, r->ct,
                                     r->key);
    }
    int n = 0, f = 0;
    randombytes_buf(r->ct, 12);
    if (EVP_EncryptInit_ex(r->evp, gcm(r->type), NULL, r->key, r->ct) != 1 ||
        EVP_EncryptUpdate(r->evp, r->ct + 12, &n, r->pt, (int)r->len) != 1 ||
        EVP_EncryptFinal_ex(r->evp, r->ct + 12 + n, &f) != 1 ||
        EVP_CIPHER_CTX_ctrl(r->evp, EVP_CTRL_GCM_GET_TAG, 16, r->ct + 12 + r->len) != 1)
        return -1;
    return 0;
}

static int raw_open(raw_ctx *r)
{
    if (r->type == TIGRESS_PAYLOAD_XSALSA20_POLY1305)
        return crypto_secretbox_open_easy(r->out, r->ct + crypto_secretbox_NONCEBYTES,
                                          r->len + crypto_secretbox_MACBYTES, r->ct, r->key);
    int n = 0, f = 0;
    if (EVP_DecryptInit_ex(r->evp, gcm(r->type), NULL, r->key, r->ct) != 1 ||
        EVP_DecryptUpdate(r->evp, r->out, &n, r->ct + 12, (int)r->len) != 1 ||
        EVP_CIPHER_CTX_ctrl(r->evp, EVP_CTRL_GCM_SET_TAG, 16,
                            (void *)(r->ct + 12 + r->len)) != 1 ||
        EVP_DecryptFinal_ex(r->evp, r->out + n, &f) != 1)
        return -1;
    return 0;
}

/* ns per call of fn, the fastest of ROUNDS rounds of iters calls. */
#define TIME_BEST(iters, expr, out_ns)                                     \
    do {                                                                   \
        double best_ = 1e300;                                              \
        for (int r_ = 0; r_ < ROUNDS; r_++) {                              \
            uint64_t t0_ = bench_wall_ns();                                \
            for (long i_ = 0; i_ < (iters); i_++) {                        \
                if ((expr) != 0) {                                         \
                    fprintf(stderr, "sdk_bench: %s failed\n", #expr);      \
                    return 1;                                              \
                }                                                          \
            }                                                              \
            double ns_ = (double)(bench_wall_ns() - t0_) / (double)(iters); \
            if (ns_ < best_)                                               \
                best_ = ns_;                                               \
        }                                                                  \
        (out_ns) = best_;                                                  \
    } while (0)

static int sdk_seal_once(tigress_payload_type t, const tigress_secret *s, const uint8_t *pt,
                         size_t len)
{
    tigress_buf b = {0};
    tigress_status st = tigress_payload_seal(&b, t, s, pt, len);
    tigress_buf_dispose(&b);
    return st == TIGRESS_OK ? 0 : 1;
}

static int sdk_open_once(tigress_payload_type t, const tigress_secret *s, const char *data)
{
    tigress_buf b = {0};
    tigress_status st = tigress_payload_open(&b, t, s, data);
    tigress_buf_dispose(&b);
    return st == TIGRESS_OK ? 0 : 1;
}

static int bench_one(tigress_payload_type t, size_t len, bool first)
{
    tigress_secret *sec = NULL;
    if (tigress_secret_generate(&sec, t) != TIGRESS_OK)
        return 1;
    raw_ctx r = {.type = t, .key = tigress_secret_bytes(sec), .evp = EVP_CIPHER_CTX_new(),
                 .len = len};
    uint8_t *pt = malloc(len);
    r.ct = malloc(len + 64);
    r.out = malloc(len + 64);
    if (pt == NULL || r.ct == NULL || r.out == NULL || r.evp == NULL)
        return 1;
    randombytes_buf(pt, len);
    r.pt = pt;
    long iters = len >= 65536 ? 40 : 3000;
    double seal_ns, open_ns, raw_seal_ns, raw_open_ns;
    TIME_BEST(iters, raw_seal(&r), raw_seal_ns);
    TIME_BEST(iters, raw_open(&r), raw_open_ns);
    TIME_BEST(iters, sdk_seal_once(t, sec, pt, len), seal_ns);
    tigress_buf sealed = {0};
    if (tigress_payload_seal(&sealed, t, sec, pt, len) != TIGRESS_OK)
        return 1;
    TIME_BEST(iters, sdk_open_once(t, sec, (const char *)sealed.ptr), open_ns);
    printf("%s{\"type\":\"%s\",\"bytes\":%zu,\"seal_ns\":%.0f,\"open_ns\":%.0f,"
           "\"raw_seal_ns\":%.0f,\"raw_open_ns\":%.0f,\"seal_ratio\":%.2f,\"open_ratio\":%.2f}",
           first ? "" : ",\n", tigress_payload_type_name(t), len, seal_ns, open_ns, raw_seal_ns,
           raw_open_ns, seal_ns / raw_seal_ns, open_ns / raw_open_ns);
    tigress_buf_dispose(&sealed);
    EVP_CIPHER_CTX_free(r.evp);
    free(pt);
    free(r.ct);
    free(r.out);
    tigress_secret_free(sec);
    return 0;
}

int bench_crypto(void)
{
    static const size_t sizes[] = {64, 1024, 65536};
    static const tigress_payload_type types[] = {TIGRESS_PAYLOAD_XSALSA20_POLY1305,
                                                 TIGRESS_PAYLOAD_AES_128_GCM,
                                                 TIGRESS_PAYLOAD_AES_256_GCM};
    printf("[");
    bool first = true;
    for (size_t t = 0; t < 3; t++)
        for (size_t s = 0; s < 3; s++) {
            if (bench_one(types[t], sizes[s], first) != 0)
                return 1;
            first = false;
        }
    printf("]\n");
    return 0;
}
