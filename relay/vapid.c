/*
 * relay/vapid.c: VAPID (RFC 8292) for webpush. With --vapid-key (a PEM EC P-256 private key)
 * and --vapid-subject (mailto: or https:), every webpush request carries
 *   Authorization: vapid t=<JWT>, k=<public key>
 * where the JWT (ES256, header {"typ":"JWT","alg":"ES256"}) claims aud = the push resource's
 * origin, exp = now + 12 h and sub = the subject, and k is the base64url (no padding) of the
 * uncompressed P-256 public point (65 bytes): the applicationServerKey clients subscribe with,
 * which the relay also publishes at GET /v1/vapid (routes.c).
 * A JWT is kept per origin and signed again once less than an hour of it is left
 * (VAPID_CACHE origins at most; the stalest is replaced).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <pthread.h>

#include <cjson/cJSON.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sodium.h>

#include "relay.h"

#define VAPID_LIFETIME_S (12 * 3600)  /* exp: at most 24 h ahead (RFC 8292 section 2) */
#define VAPID_REFRESH_S 3600          /* sign a new JWT when less than this is left */
#define VAPID_CACHE 64

typedef struct cached {
    char origin[300];
    char *header;          /* "Authorization: vapid t=..., k=..." */
    int64_t exp;
} cached;

static EVP_PKEY *g_key;
static char *g_subject;
static char g_pub[128];    /* base64url of the 65-byte point */
static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static cached g_cache[VAPID_CACHE];

static void b64url(const unsigned char *in, size_t n, char *out, size_t cap)
{
    sodium_bin2base64(out, cap, in, n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

bool vapid_subject_valid(const char *s)
{
    if (s == NULL)
        return false;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p <= 0x20 || *p >= 0x7f || *p == '"' || *p == '\\' || *p == '<' || *p == '>')
            return false;
    if (strncmp(s, "mailto:", 7) == 0) {
        const char *at = strchr(s + 7, '@');
        return at != NULL && at > s + 7 && at[1] != '\0' && strchr(at + 1, '@') == NULL;
    }
    if (strncmp(s, "https://", 8) == 0) {
        size_t host = strcspn(s + 8, "/?#");
        return host > 0 && memchr(s + 8, '@', host) == NULL && strchr(s, '#') == NULL;
    }
    return false;
}

int vapid_init(const char *key_file, const char *subject)
{
    if (key_file == NULL && subject == NULL)
        return 0;
    if (key_file == NULL || subject == NULL) {
        fprintf(stderr, "tigress-relay: --vapid-key and --vapid-subject go together\n");
        return RELAY_EXIT_USAGE;
    }
    if (!vapid_subject_valid(subject)) {
        fprintf(stderr, "tigress-relay: --vapid-subject must be a mailto: address or an https:// "
                        "URL (RFC 8292)\n");
        return RELAY_EXIT_USAGE;
    }
    FILE *f = fopen(key_file, "r");
    if (f == NULL) {
        fprintf(stderr, "tigress-relay: cannot read --vapid-key %s: %s\n", key_file,
                strerror(errno));
        return RELAY_EXIT_USAGE;
    }
    EVP_PKEY *k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
    fclose(f);
    char group[64] = "";
    size_t glen = 0;
    unsigned char pt[65];
    size_t ptlen = 0;
    bool ok = k != NULL && EVP_PKEY_get_base_id(k) == EVP_PKEY_EC &&
              EVP_PKEY_get_utf8_string_param(k, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group,
                                             &glen) == 1 &&
              strcmp(group, "prime256v1") == 0 &&
              EVP_PKEY_get_octet_string_param(k, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, pt,
                                              sizeof pt, &ptlen) == 1 &&
              ptlen == 65 && pt[0] == 0x04;
    if (!ok) {
        fprintf(stderr, "tigress-relay: --vapid-key %s is not a PEM EC P-256 (prime256v1) "
                        "private key\n", key_file);
        EVP_PKEY_free(k);
        return RELAY_EXIT_USAGE;
    }
    g_key = k;
    g_subject = strdup(subject);
    b64url(pt, sizeof pt, g_pub, sizeof g_pub);
    return g_subject != NULL ? 0 : RELAY_EXIT_USAGE;
}

void vapid_free(void)
{
    pthread_mutex_lock(&g_mu);
    for (int i = 0; i < VAPID_CACHE; i++) {
        free(g_cache[i].header);
        memset(&g_cache[i], 0, sizeof g_cache[i]);
    }
    pthread_mutex_unlock(&g_mu);
    EVP_PKEY_free(g_key);
    g_key = NULL;
    free(g_subject);
    g_subject = NULL;
}

const char *vapid_public_key(void)
{
    return g_key != NULL ? g_pub : NULL;
}

/* ES256 over `in`: raw r||s (64 bytes). */
static bool sign_es256(const char *in, unsigned char out[64])
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    unsigned char der[128];
    size_t dlen = sizeof der;
    bool ok = md != NULL && EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, g_key) == 1 &&
              EVP_DigestSign(md, der, &dlen, (const unsigned char *)in, strlen(in)) == 1;
    EVP_MD_CTX_free(md);
    if (!ok)
        return false;
    const unsigned char *p = der;
    ECDSA_SIG *sig = d2i_ECDSA_SIG(NULL, &p, (long)dlen);
    if (sig == NULL)
        return false;
    const BIGNUM *r = NULL, *s = NULL;
    ECDSA_SIG_get0(sig, &r, &s);
    ok = BN_bn2binpad(r, out, 32) == 32 && BN_bn2binpad(s, out + 32, 32) == 32;
    ECDSA_SIG_free(sig);
    return ok;
}

/* A fresh "Authorization: vapid t=..., k=..." line for origin, valid until exp. */
static char *make_header(const char *origin, int64_t exp)
{
    static const char hdr_json[] = "{\"typ\":\"JWT\",\"alg\":\"ES256\"}";
    cJSON *claims = cJSON_CreateObject();
    cJSON_AddStringToObject(claims, "aud", origin);
    cJSON_AddNumberToObject(claims, "exp", (double)exp);
    cJSON_AddStringToObject(claims, "sub", g_subject);
    char *cj = cJSON_PrintUnformatted(claims);
    cJSON_Delete(claims);
    if (cj == NULL)
        return NULL;
    size_t clen = strlen(cj);
    size_t cap = sodium_base64_ENCODED_LEN(sizeof hdr_json, sodium_base64_VARIANT_URLSAFE_NO_PADDING) +
                 sodium_base64_ENCODED_LEN(clen, sodium_base64_VARIANT_URLSAFE_NO_PADDING) + 2;
    char *input = malloc(cap), *line = NULL;
    unsigned char sig[64];
    char sig64[96];
    if (input != NULL) {
        b64url((const unsigned char *)hdr_json, sizeof hdr_json - 1, input, cap);
        size_t n = strlen(input);
        input[n++] = '.';
        b64url((const unsigned char *)cj, clen, input + n, cap - n);
        if (sign_es256(input, sig)) {
            b64url(sig, sizeof sig, sig64, sizeof sig64);
            size_t lcap = strlen(input) + strlen(sig64) + strlen(g_pub) + 64;
            if ((line = malloc(lcap)) != NULL)
                snprintf(line, lcap, "Authorization: vapid t=%s.%s, k=%s", input, sig64, g_pub);
        }
    }
    free(input);
    free(cj);
    return line;
}

char *vapid_header(const char *origin)
{
    if (g_key == NULL || origin == NULL || strlen(origin) >= sizeof g_cache[0].origin)
        return NULL;
    int64_t now = (int64_t)time(NULL);
    char *out = NULL;
    pthread_mutex_lock(&g_mu);
    cached *hit = NULL, *victim = &g_cache[0];
    for (int i = 0; i < VAPID_CACHE && hit == NULL; i++) {
        cached *c = &g_cache[i];
        if (c->header != NULL && strcmp(c->origin, origin) == 0)
            hit = c;
        else if (c->header == NULL || (victim->header != NULL && c->exp < victim->exp))
            victim = c;
    }
    if (hit == NULL || hit->exp - now < VAPID_REFRESH_S) {
        cached *c = hit != NULL ? hit : victim;
        char *h = make_header(origin, now + VAPID_LIFETIME_S);
        if (h != NULL) {
            free(c->header);
            c->header = h;
            c->exp = now + VAPID_LIFETIME_S;
            snprintf(c->origin, sizeof c->origin, "%s", origin);
            hit = c;
        } else {
            hit = NULL;
        }
    }
    if (hit != NULL)
        out = strdup(hit->header);
    pthread_mutex_unlock(&g_mu);
    return out;
}
