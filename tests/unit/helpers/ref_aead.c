/* See ref_aead.h: a test-only reference AES-GCM behind the AEAD provider vtable. */
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "ref_aead.h"

static uint8_t g_sbox[256];
static pthread_once_t g_sbox_once = PTHREAD_ONCE_INIT;
static atomic_ulong g_calls;

static uint8_t rotl8(uint8_t x, int s)
{
    return (uint8_t)((x << s) | (x >> (8 - s)));
}

/* The S-box from the multiplicative inverse and the affine map (generator 3 walk). */
static void sbox_init(void)
{
    uint8_t p = 1, q = 1;

    do {
        p = (uint8_t)(p ^ (uint8_t)(p << 1) ^ ((p & 0x80) ? 0x1B : 0)); /* p *= 3 */
        q = (uint8_t)(q ^ (uint8_t)(q << 1));                             /* q /= 3 */
        q = (uint8_t)(q ^ (uint8_t)(q << 2));
        q = (uint8_t)(q ^ (uint8_t)(q << 4));
        if (q & 0x80)
            q ^= 0x09;
        g_sbox[p] = (uint8_t)(q ^ rotl8(q, 1) ^ rotl8(q, 2) ^ rotl8(q, 3) ^ rotl8(q, 4) ^ 0x63);
    } while (p != 1);
    g_sbox[0] = 0x63;
}

static uint8_t xtime(uint8_t x)
{
    return (uint8_t)((x << 1) ^ ((x & 0x80) ? 0x1B : 0));
}

typedef struct {
    uint8_t rk[240];
    int nr;
} aes_key;

static void aes_expand(aes_key *k, const uint8_t *key, size_t key_len)
{
    int nk = (int)(key_len / 4), total;
    uint8_t rcon = 1;

    k->nr = nk + 6;
    total = 4 * (k->nr + 1);
    memcpy(k->rk, key, key_len);
    for (int i = nk; i < total; i++) {
        uint8_t t[4];

        memcpy(t, k->rk + 4 * (i - 1), 4);
        if (i % nk == 0) {
            uint8_t u = t[0];
            t[0] = (uint8_t)(g_sbox[t[1]] ^ rcon);
            t[1] = g_sbox[t[2]];
            t[2] = g_sbox[t[3]];
            t[3] = g_sbox[u];
            rcon = xtime(rcon);
        } else if (nk > 6 && i % nk == 4) {
            for (int j = 0; j < 4; j++)
                t[j] = g_sbox[t[j]];
        }
        for (int j = 0; j < 4; j++)
            k->rk[4 * i + j] = (uint8_t)(k->rk[4 * (i - nk) + j] ^ t[j]);
    }
}

static void aes_block(const aes_key *k, const uint8_t in[16], uint8_t out[16])
{
    uint8_t s[16], t[16];

    for (int i = 0; i < 16; i++)
        s[i] = (uint8_t)(in[i] ^ k->rk[i]);
    for (int r = 1; r <= k->nr; r++) {
        for (int i = 0; i < 16; i++) /* SubBytes + ShiftRows (column-major state) */
            t[i] = g_sbox[s[((i / 4 + i % 4) % 4) * 4 + i % 4]];
        if (r < k->nr) {
            for (int c = 0; c < 4; c++) { /* MixColumns */
                uint8_t *a = t + 4 * c, a0 = a[0], a1 = a[1], a2 = a[2], a3 = a[3];
                a[0] = (uint8_t)(xtime(a0) ^ xtime(a1) ^ a1 ^ a2 ^ a3);
                a[1] = (uint8_t)(a0 ^ xtime(a1) ^ xtime(a2) ^ a2 ^ a3);
                a[2] = (uint8_t)(a0 ^ a1 ^ xtime(a2) ^ xtime(a3) ^ a3);
                a[3] = (uint8_t)(xtime(a0) ^ a0 ^ a1 ^ a2 ^ xtime(a3));
            }
        }
        for (int i = 0; i < 16; i++)
            s[i] = (uint8_t)(t[i] ^ k->rk[16 * r + i]);
    }
    memcpy(out, s, 16);
}

/* x = x * h in GF(2^128), GCM bit order. */
static void gf_mul(uint8_t x[16], const uint8_t h[16])
{
    uint8_t z[16] = {0}, v[16];

    memcpy(v, h, 16);
    for (int i = 0; i < 128; i++) {
        int lsb = v[15] & 1;

        if (x[i / 8] & (0x80 >> (i % 8)))
            for (int j = 0; j < 16; j++)
                z[j] ^= v[j];
        for (int j = 15; j > 0; j--)
            v[j] = (uint8_t)((v[j] >> 1) | (v[j - 1] << 7));
        v[0] >>= 1;
        if (lsb)
            v[0] ^= 0xE1;
    }
    memcpy(x, z, 16);
}

/* The tag over ciphertext ct (no AAD): E(J0) ^ GHASH(ct || lengths). */
static void gcm_tag(const aes_key *k, const uint8_t iv[12], const uint8_t *ct, size_t len,
                    uint8_t tag[16])
{
    uint8_t h[16] = {0}, y[16] = {0}, j0[16], ej0[16];

    aes_block(k, h, h);
    for (size_t off = 0; off < len; off += 16) {
        size_t n = len - off < 16 ? len - off : 16;
        for (size_t j = 0; j < n; j++)
            y[j] ^= ct[off + j];
        gf_mul(y, h);
    }
    for (int j = 0; j < 8; j++) /* len(A) = 0; len(C) in bits, big-endian */
        y[8 + j] ^= (uint8_t)(((uint64_t)len * 8) >> (56 - 8 * j));
    gf_mul(y, h);
    memcpy(j0, iv, 12);
    j0[12] = j0[13] = j0[14] = 0;
    j0[15] = 1;
    aes_block(k, j0, ej0);
    for (int j = 0; j < 16; j++)
        tag[j] = (uint8_t)(y[j] ^ ej0[j]);
}

/* CTR from inc32(J0): out = in ^ keystream (out may equal in). */
static void gcm_ctr(const aes_key *k, const uint8_t iv[12], const uint8_t *in, size_t len,
                    uint8_t *out)
{
    uint8_t cb[16], ks[16];
    uint32_t ctr = 2;

    memcpy(cb, iv, 12);
    for (size_t off = 0; off < len; off += 16, ctr++) {
        size_t n = len - off < 16 ? len - off : 16;
        cb[12] = (uint8_t)(ctr >> 24);
        cb[13] = (uint8_t)(ctr >> 16);
        cb[14] = (uint8_t)(ctr >> 8);
        cb[15] = (uint8_t)ctr;
        aes_block(k, cb, ks);
        for (size_t j = 0; j < n; j++)
            out[off + j] = (uint8_t)(in[off + j] ^ ks[j]);
    }
    sodium_memzero(ks, sizeof(ks));
}

static int usable(tigress_payload_type type, size_t key_len, size_t nonce_len, size_t tag_len)
{
    return (type == TIGRESS_PAYLOAD_AES_128_GCM || type == TIGRESS_PAYLOAD_AES_256_GCM) &&
           key_len == tigress_payload_key_bytes(type) && nonce_len == 12 && tag_len == 16;
}

static int ref_seal(tigress_payload_type type, const uint8_t *key, size_t key_len,
                    const uint8_t *nonce, size_t nonce_len, const uint8_t *pt, size_t pt_len,
                    uint8_t *ct, uint8_t *tag, size_t tag_len, void *ud)
{
    aes_key k;

    (void)ud;
    atomic_fetch_add(&g_calls, 1);
    if (!usable(type, key_len, nonce_len, tag_len))
        return TIGRESS_E_UNSUPPORTED;
    pthread_once(&g_sbox_once, sbox_init);
    aes_expand(&k, key, key_len);
    gcm_ctr(&k, nonce, pt, pt_len, ct);
    gcm_tag(&k, nonce, ct, pt_len, tag);
    sodium_memzero(&k, sizeof(k));
    return 0;
}

static int ref_open(tigress_payload_type type, const uint8_t *key, size_t key_len,
                    const uint8_t *nonce, size_t nonce_len, const uint8_t *ct, size_t ct_len,
                    const uint8_t *tag, size_t tag_len, uint8_t *pt, void *ud)
{
    aes_key k;
    uint8_t want[16];
    int ok;

    (void)ud;
    atomic_fetch_add(&g_calls, 1);
    if (!usable(type, key_len, nonce_len, tag_len))
        return TIGRESS_E_UNSUPPORTED;
    pthread_once(&g_sbox_once, sbox_init);
    aes_expand(&k, key, key_len);
    gcm_tag(&k, nonce, ct, ct_len, want); /* before decrypting: pt may be ct */
    ok = sodium_memcmp(want, tag, 16) == 0;
    if (ok)
        gcm_ctr(&k, nonce, ct, ct_len, pt);
    sodium_memzero(&k, sizeof(k));
    return ok ? 0 : TIGRESS_E_CRYPTO;
}

void ref_aead_provider(tigress_aead_provider *out)
{
    tigress_aead_provider_init(out, TIGRESS_AEAD_PROVIDER_VERSION);
    out->seal = ref_seal;
    out->open = ref_open;
    out->user_data = NULL;
}

unsigned long ref_aead_calls(void)
{
    return atomic_load(&g_calls);
}

#ifndef TIGRESS_HAVE_OPENSSL
/* The portable build has no built-in AES-128-GCM: every unit program starts with the reference
 * provider as the process default, so the suites written for the default build run unchanged
 * (test_crypto removes it to test the built-in code alone). */
__attribute__((constructor)) static void ref_aead_install_default(void)
{
    tigress_aead_provider p;

    ref_aead_provider(&p);
    if (tigress_aead_provider_set_default(&p) != TIGRESS_OK)
        abort();
}
#endif
