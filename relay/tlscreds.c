/*
 * relay/tlscreds.c: the certificate chain and key every new TLS handshake presents, swapped
 * atomically on reload (SIGHUP) so a renewed certificate is picked up without a restart.
 *
 * libmicrohttpd gets the credentials through MHD_OPTION_HTTPS_CERT_CALLBACK (GnuTLS's
 * gnutls_certificate_retrieve_function2): each handshake asks for them and receives the
 * generation current at that moment. GnuTLS does not copy or free what the callback returns
 * (the session keeps pointers to it), so a generation must outlive every session that took it.
 * The relay keeps every generation until shutdown rather than counting references: a reload
 * replaces a few kilobytes, certificates are renewed every few weeks at most, so the memory
 * kept is negligible, and no handshake, session resumption or later gnutls_certificate_get_ours
 * can ever see freed memory. tlscreds_free() runs after MHD_stop_daemon(), when no session is
 * left.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/x509.h>
#include <sodium.h>

#include "relay.h"
#include "tlscreds.h"

typedef struct tls_gen {
    struct tls_gen *older;        /* every generation, newest first (freed at shutdown) */
    gnutls_pcert_st *pcerts;
    unsigned n;
    gnutls_privkey_t key;
} tls_gen;

static _Atomic(tls_gen *) g_current;
static tls_gen *g_gens;           /* written by the loading thread only */

#define PEM_MAX (1024 * 1024)

/* The file's bytes (NUL-terminated, at most PEM_MAX) or NULL with why set. */
static char *read_file(const char *what, const char *path, size_t *len, char *why, size_t cap)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        snprintf(why, cap, "cannot read %s %s: %s", what, path, strerror(errno));
        return NULL;
    }
    char *buf = malloc(PEM_MAX + 1);
    size_t n = buf != NULL ? fread(buf, 1, PEM_MAX + 1, f) : 0;
    bool err = ferror(f) != 0;
    fclose(f);
    if (buf == NULL || err || n > PEM_MAX) {
        snprintf(why, cap, "%s %s is %s", what, path,
                 buf == NULL ? "not loadable (out of memory)"
                 : err       ? "unreadable"
                             : "larger than 1 MiB");
        if (buf != NULL)
            sodium_memzero(buf, n > PEM_MAX ? PEM_MAX + 1 : n);
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

static void gen_free(tls_gen *g)
{
    if (g == NULL)
        return;
    for (unsigned i = 0; i < g->n; i++)
        gnutls_pcert_deinit(&g->pcerts[i]);
    free(g->pcerts);
    if (g->key != NULL)
        gnutls_privkey_deinit(g->key);
    free(g);
}

/* Builds a generation from the two PEM buffers; NULL with why set. */
static tls_gen *gen_new(const char *cert_path, const char *cert, size_t cert_len,
                        const char *key_path, const char *key, size_t key_len, char *why,
                        size_t cap)
{
    gnutls_datum_t c = {(unsigned char *)(uintptr_t)cert, (unsigned)cert_len};
    gnutls_datum_t k = {(unsigned char *)(uintptr_t)key, (unsigned)key_len};
    gnutls_x509_crt_t *list = NULL;
    unsigned n = 0;
    if (gnutls_x509_crt_list_import2(&list, &n, &c, GNUTLS_X509_FMT_PEM, 0) < 0 || n == 0) {
        snprintf(why, cap, "--cert %s holds no readable PEM certificate", cert_path);
        return NULL;
    }
    tls_gen *g = calloc(1, sizeof *g);
    gnutls_x509_privkey_t pk = NULL;
    unsigned char cid[64], kid[64];
    size_t cid_len = sizeof cid, kid_len = sizeof kid;
    if (g == NULL || (g->pcerts = calloc(n, sizeof *g->pcerts)) == NULL) {
        snprintf(why, cap, "out of memory");
        goto fail;
    }
    if (gnutls_x509_privkey_init(&pk) < 0 ||
        gnutls_x509_privkey_import(pk, &k, GNUTLS_X509_FMT_PEM) < 0) {
        snprintf(why, cap, "--key %s holds no readable PEM private key (encrypted keys are not "
                           "supported)", key_path);
        goto fail;
    }
    if (gnutls_x509_crt_get_key_id(list[0], 0, cid, &cid_len) < 0 ||
        gnutls_x509_privkey_get_key_id(pk, 0, kid, &kid_len) < 0 || cid_len != kid_len ||
        memcmp(cid, kid, cid_len) != 0) {
        snprintf(why, cap, "--key %s is not the private key of the first certificate in --cert %s",
                 key_path, cert_path);
        goto fail;
    }
    for (unsigned i = 0; i < n; i++) {
        if (gnutls_pcert_import_x509(&g->pcerts[i], list[i], 0) < 0) {
            snprintf(why, cap, "--cert %s: certificate %u is not usable", cert_path, i + 1);
            goto fail;
        }
        g->n = i + 1;
    }
    if (gnutls_privkey_init(&g->key) < 0 ||
        gnutls_privkey_import_x509(g->key, pk, GNUTLS_PRIVKEY_IMPORT_AUTO_RELEASE) < 0) {
        snprintf(why, cap, "--key %s is not usable", key_path);
        goto fail;
    }
    pk = NULL;                          /* owned by g->key now */
    {
        char serial[41] = "", hex[2 * 20 + 1];
        unsigned char raw[20];
        size_t rl = sizeof raw;
        if (gnutls_x509_crt_get_serial(list[0], raw, &rl) == 0) {
            for (size_t i = 0; i < rl; i++)
                snprintf(hex + 2 * i, 3, "%02x", raw[i]);
            memcpy(serial, hex, 2 * rl + 1);
        }
        char after[21];
        relay_format_rfc3339((int64_t)gnutls_x509_crt_get_expiration_time(list[0]), after);
        relay_log(LOG_INFO, "event=tls_loaded chain=%u serial=%s not_after=%s", n, serial, after);
    }
    for (unsigned i = 0; i < n; i++)
        gnutls_x509_crt_deinit(list[i]);
    gnutls_free(list);
    return g;
fail:
    if (pk != NULL)
        gnutls_x509_privkey_deinit(pk);
    for (unsigned i = 0; i < n; i++)
        gnutls_x509_crt_deinit(list[i]);
    gnutls_free(list);
    gen_free(g);
    return NULL;
}

int tlscreds_load(const char *cert_path, const char *key_path, char *why, size_t cap)
{
    size_t cert_len = 0, key_len = 0;
    char *cert = read_file("--cert", cert_path, &cert_len, why, cap);
    if (cert == NULL)
        return -1;
    char *key = read_file("--key", key_path, &key_len, why, cap);
    if (key == NULL) {
        free(cert);
        return -1;
    }
    tls_gen *g = gen_new(cert_path, cert, cert_len, key_path, key, key_len, why, cap);
    sodium_memzero(key, key_len);
    free(key);
    free(cert);
    if (g == NULL)
        return -1;
    g->older = g_gens;
    g_gens = g;
    atomic_store(&g_current, g);
    return 0;
}

int tlscreds_retrieve(gnutls_session_t session, const gnutls_datum_t *req_ca_dn, int nreqs,
                      const gnutls_pk_algorithm_t *pk_algos, int pk_algos_length,
                      gnutls_pcert_st **pcert, unsigned int *pcert_length,
                      gnutls_privkey_t *pkey)
{
    (void)session;
    (void)req_ca_dn;
    (void)nreqs;
    (void)pk_algos;
    (void)pk_algos_length;
    tls_gen *g = atomic_load(&g_current);
    if (g == NULL)
        return -1;                      /* ends the handshake */
    *pcert = g->pcerts;
    *pcert_length = g->n;
    *pkey = g->key;
    return 0;
}

void tlscreds_free(void)
{
    atomic_store(&g_current, NULL);
    while (g_gens != NULL) {
        tls_gen *g = g_gens;
        g_gens = g->older;
        gen_free(g);
    }
}
