/*
 * Base64 (through libsodium for anything that may be secret; a fast path for public payload
 * ciphertext). UUIDs are in uuid.c, RFC 3339 timestamps in timestamp.c.
 */
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "crypto_internal.h"

char *tigress__b64_encode(const uint8_t *data, size_t len)
{
    size_t cap = sodium_base64_encoded_len(len, sodium_base64_VARIANT_ORIGINAL);
    char *out = tigress__malloc(cap);

    if (out == NULL)
        return NULL;
    sodium_bin2base64(out, cap, data, len, sodium_base64_VARIANT_ORIGINAL);
    return out;
}

/* Pick the libsodium variant from the characters used; -1 when both alphabets are mixed. */
static int b64_variant(const char *text, size_t len)
{
    bool std = false, url = false, padded = false;
    unsigned high = 0;

    for (size_t i = 0; i < len; i++) {
        char c = text[i];
        /* libsodium's decoder maps some bytes >= 0x80 onto alphabet values; no Base64 text
         * contains them, so refuse them here (without a branch on the byte). */
        high |= (unsigned)(unsigned char)c >> 7;
        if (c == '+' || c == '/')
            std = true;
        else if (c == '-' || c == '_')
            url = true;
        else if (c == '=')
            padded = true;
    }
    if ((std && url) || high != 0)
        return -1;
    if (url)
        return padded ? sodium_base64_VARIANT_URLSAFE : sodium_base64_VARIANT_URLSAFE_NO_PADDING;
    return padded ? sodium_base64_VARIANT_ORIGINAL : sodium_base64_VARIANT_ORIGINAL_NO_PADDING;
}

tigress_status tigress__b64_decode(uint8_t **out, size_t *out_len, const char *text, size_t text_len)
{
    int variant;
    size_t cap, got = 0;
    const char *end = NULL;
    uint8_t *buf;

    *out = NULL;
    *out_len = 0;
    variant = b64_variant(text, text_len);
    if (variant < 0)
        return TIGRESS_E_FORMAT;
    cap = text_len / 4 * 3 + 3;
    buf = tigress__malloc(cap + 1);
    if (buf == NULL)
        return TIGRESS_E_NOMEM;
    if (sodium_base642bin(buf, cap, text, text_len, NULL, &got, &end, variant) != 0 ||
        end != text + text_len) {
        sodium_memzero(buf, cap + 1);
        tigress__free(buf);
        return TIGRESS_E_FORMAT;
    }
    buf[got] = 0;
    *out = buf;
    *out_len = got;
    return TIGRESS_OK;
}

/*
 * Base64 of PUBLIC bytes (payload ciphertext). Not constant-time: table look-ups and branches
 * depend on the text. Never use these for a Secret or anything else confidential; those go
 * through tigress__b64_decode above (libsodium's constant-time codec).
 */

void tigress__b64_public_encode_in_place(uint8_t *buf, size_t raw_len)
{
    static const char alphabet[64] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t text_len = (raw_len + 2) / 3 * 4;
    const uint8_t *src = buf + text_len + 1 - raw_len;
    uint8_t *dst = buf;
    size_t i = 0;

    /*
     * The raw bytes sit at offset off = text_len + 1 - raw_len >= groups + 1. Group m reads
     * bytes [off + 3m, off + 3m + 3) into registers before writing characters [4m, 4m + 4);
     * since off + 3(m + 1) > 4(m + 1), no write reaches input not yet read. One pass, no
     * bounce buffer and nothing to wipe: the bytes are public (ciphertext), so table look-ups
     * indexed by them are fine (see above).
     */
    for (; i + 3 <= raw_len; i += 3) {
        uint32_t v = (uint32_t)src[i] << 16 | (uint32_t)src[i + 1] << 8 | src[i + 2];
        dst[0] = (uint8_t)alphabet[v >> 18];
        dst[1] = (uint8_t)alphabet[(v >> 12) & 63];
        dst[2] = (uint8_t)alphabet[(v >> 6) & 63];
        dst[3] = (uint8_t)alphabet[v & 63];
        dst += 4;
    }
    if (i < raw_len) {
        uint32_t v = (uint32_t)src[i] << 16;
        bool two = i + 1 < raw_len;
        if (two)
            v |= (uint32_t)src[i + 1] << 8;
        dst[0] = (uint8_t)alphabet[v >> 18];
        dst[1] = (uint8_t)alphabet[(v >> 12) & 63];
        dst[2] = two ? (uint8_t)alphabet[(v >> 6) & 63] : (uint8_t)'=';
        dst[3] = '=';
    }
    buf[text_len] = 0;
}

/*
 * Four look-up tables, one per position in a group of 4 characters, each giving that
 * character's 6 bits already moved to their place in the 3 output bytes (little-endian), so a
 * group decodes with 4 loads and 3 ORs. Bits 24-26 flag an invalid character, the standard-only
 * '+' '/' and the URL-safe-only '-' '_'; ORing every group and testing the flags once at the
 * end catches invalid characters and mixed alphabets. Built at compile time from B64V.
 */
#define B64_BAD 0x01000000u
#define B64_STD 0x02000000u
#define B64_URL 0x04000000u
#define B64V(c) ((c) >= 'A' && (c) <= 'Z' ? (c) - 'A' : (c) >= 'a' && (c) <= 'z' ? (c) - 'a' + 26 \
                 : (c) >= '0' && (c) <= '9' ? (c) - '0' + 52 : (c) == '+' || (c) == '-' ? 62    \
                 : (c) == '/' || (c) == '_' ? 63 : -1)
#define B64F(c) ((c) == '+' || (c) == '/' ? B64_STD : (c) == '-' || (c) == '_' ? B64_URL : 0u)
#define B64E(c, expr) (B64V(c) < 0 ? B64_BAD : (uint32_t)(expr) | B64F(c))
#define B64_0(c) B64E(c, (unsigned)B64V(c) << 2)
#define B64_1(c) B64E(c, (unsigned)B64V(c) >> 4 | ((unsigned)B64V(c) & 15u) << 12)
#define B64_2(c) B64E(c, ((unsigned)B64V(c) >> 2) << 8 | ((unsigned)B64V(c) & 3u) << 22)
#define B64_3(c) B64E(c, (unsigned)B64V(c) << 16)
#define B64_R4(m, c) m(c), m((c) + 1), m((c) + 2), m((c) + 3)
#define B64_R16(m, c) B64_R4(m, c), B64_R4(m, (c) + 4), B64_R4(m, (c) + 8), B64_R4(m, (c) + 12)
#define B64_R64(m, c) B64_R16(m, c), B64_R16(m, (c) + 16), B64_R16(m, (c) + 32), B64_R16(m, (c) + 48)
#define B64_TABLE(m) { B64_R64(m, 0), B64_R64(m, 64), B64_R64(m, 128), B64_R64(m, 192) }
static const uint32_t b64_d0[256] = B64_TABLE(B64_0);
static const uint32_t b64_d1[256] = B64_TABLE(B64_1);
static const uint32_t b64_d2[256] = B64_TABLE(B64_2);
static const uint32_t b64_d3[256] = B64_TABLE(B64_3);

size_t tigress__b64_public_decoded_max(size_t text_len)
{
    return text_len / 4 * 3 + 2;
}

/* Decode nquads whole groups of 4 characters to out; returns the OR of the table entries. */
static uint32_t decode_quads(uint8_t *out, const char *in, size_t nquads)
{
    const unsigned char *s = (const unsigned char *)in;
    uint32_t seen = 0;

    for (size_t i = 0; i < nquads; i++, s += 4, out += 3) {
        uint32_t w = b64_d0[s[0]] | b64_d1[s[1]] | b64_d2[s[2]] | b64_d3[s[3]];

        seen |= w;
        out[0] = (uint8_t)w;
        out[1] = (uint8_t)(w >> 8);
        out[2] = (uint8_t)(w >> 16);
    }
    return seen;
}

/*
 * Accepts exactly what tigress__b64_decode (libsodium, variant picked from the characters used)
 * accepts: one alphabet (standard or URL-safe), then either no '=' and a length that is not
 * 1 mod 4, or exactly the one or two '=' the length needs; unused trailing bits must be zero.
 */
tigress_status tigress__b64_public_decode(uint8_t *head, size_t head_len, uint8_t *dst,
                                          size_t *raw_len, const char *text, size_t text_len)
{
    size_t pads = 0, n, quads, head_quads = head_len / 3, q1, rem;
    uint32_t seen = 0;
    uint8_t *tail_out;

    *raw_len = 0;
    while (pads < 2 && pads < text_len && text[text_len - 1 - pads] == '=')
        pads++;
    n = text_len - pads;
    rem = n % 4;
    if (rem == 1 || (pads > 0 && rem != 4 - pads))
        return TIGRESS_E_FORMAT;
    quads = n / 4;
    q1 = quads < head_quads ? quads : head_quads;
    seen |= decode_quads(head, text, q1);
    seen |= decode_quads(dst, text + q1 * 4, quads - q1);
    tail_out = quads < head_quads ? head + quads * 3 : dst + (quads - head_quads) * 3;
    if (rem > 0) {
        const unsigned char *s = (const unsigned char *)text + quads * 4;
        /* A short group is a whole group with 'A' (zero bits) for the missing characters. */
        uint32_t w = b64_d0[s[0]] | b64_d1[s[1]] | (rem == 3 ? b64_d2[s[2]] : 0);

        seen |= w;
        /* The bits past the last whole byte must be zero (one canonical text per input). */
        if ((w & (rem == 2 ? 0x00FF00u : 0xFF0000u)) != 0)
            return TIGRESS_E_FORMAT;
        tail_out[0] = (uint8_t)w;
        if (rem == 3)
            tail_out[1] = (uint8_t)(w >> 8);
    }
    if ((seen & B64_BAD) != 0 || (seen & (B64_STD | B64_URL)) == (B64_STD | B64_URL))
        return TIGRESS_E_FORMAT;
    *raw_len = quads * 3 + (rem > 0 ? rem - 1 : 0);
    return TIGRESS_OK;
}
